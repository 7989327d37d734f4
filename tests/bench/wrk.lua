-- wrk.lua: the bench's requests and its machine-readable results.
--
-- wrk -t T -c C -d D -s wrk.lua URL -- MODE SESSION TOKEN RECORDED_AT TAG [DATAFILE]
--
-- Every request is the bench's POST (the body fcgiclient.h builds too):
--   {"sessionId":SESSION,"workerId":"W<tag>.<thread>-<n>","worker_name":
--    "Bench Worker","units":1+n%9,"recordedAtUtc":RECORDED_AT,
--    "clientEventId":"evt-<tag>.<thread>-<n>"}
-- where <thread> is the wrk thread (0 .. T-1) and <n> counts that thread's
-- requests from 0, so clientEventIds are distinct and deterministic.
--
-- MODE
--   web, create, reject  n = 0, 1, 2, ... (a new record each time)
--   create               also notes which ids got a 201 (the answer echoes
--                        workerId) and prints, per thread, how many ids were
--                        generated and which of them got no 201 (requests in
--                        flight when wrk stopped, and the one request wrk
--                        builds in thread 0 to check the script but never
--                        sends):  wrkdata thread <t> <bound> <id,id,...>
--   replay               cycles over the ids a create run of the same TAG
--                        and thread count answered with 201: ids 0 .. bound-1
--                        of its thread minus the listed ones, read from
--                        DATAFILE (the create run's wrkdata lines)
--   storm                one fixed request: thread 0's id 0 of TAG
-- done() prints "wrkstat KEY VALUE" lines: requests, duration_us, rps,
-- status_NNN counts, socket errors, latency percentiles in microseconds.

local session, token, recorded, tag
local headers
local ids, pos          -- replay: the ids to cycle over
local fixed             -- storm: the one request

-- Globals: read from each thread by done() through thread:get().
mode = nil
tid = 0
n = 0
counts = {}
answered = {}

local threads = {}
local nthreads = 0

function setup(thread)
   thread:set("tid", nthreads)
   nthreads = nthreads + 1
   table.insert(threads, thread)
end

local function body(i)
   local t = tag .. "." .. tid
   return string.format('{"sessionId":"%s","workerId":"W%s-%d",' ..
      '"worker_name":"Bench Worker","units":%d,"recordedAtUtc":"%s",' ..
      '"clientEventId":"evt-%s-%d"}', session, t, i, 1 + i % 9, recorded,
      t, i)
end

local function load_replay(path)
   local f = assert(io.open(path, "r"))
   for line in f:lines() do
      local t, bound, miss = line:match("^wrkdata thread (%d+) (%d+) ?(.*)$")
      if t and tonumber(t) == tid then
         local skip = {}
         for m in miss:gmatch("%d+") do skip[tonumber(m)] = true end
         ids = {}
         for i = 0, tonumber(bound) - 1 do
            if not skip[i] then ids[#ids + 1] = i end
         end
      end
   end
   f:close()
   assert(ids and #ids > 0, "no ids to replay for thread " .. tid)
   pos = 1
end

function init(args)
   mode, session, token, recorded, tag = args[1], args[2], args[3],
      args[4], args[5]
   headers = {
      ["Authorization"] = "Bearer " .. token,
      ["Content-Type"] = "application/json",
   }
   if mode == "replay" then
      load_replay(args[6])
   elseif mode == "storm" then
      local saved = tid
      tid = 0
      fixed = wrk.format("POST", nil, headers, body(0))
      tid = saved
   end
end

function request()
   if fixed then
      return fixed
   end
   local i
   if ids then
      i = ids[pos]
      pos = pos % #ids + 1
   else
      i = n
      n = n + 1
   end
   return wrk.format("POST", nil, headers, body(i))
end

function response(status, hdrs, b)
   counts[status] = (counts[status] or 0) + 1
   if mode == "create" and status == 201 then
      local id = b:match('"workerId":"W[^"]-%-(%d+)"')
      if id then
         answered[tonumber(id)] = true
      end
   end
end

function done(summary, latency, requests)
   local total = {}
   mode = threads[1]:get("mode")
   for _, t in ipairs(threads) do
      for status, c in pairs(t:get("counts")) do
         total[status] = (total[status] or 0) + c
      end
      if mode == "create" then
         local bound, got, miss = t:get("n"), t:get("answered"), {}
         for i = 0, bound - 1 do
            if not got[i] then miss[#miss + 1] = string.format("%d", i) end
         end
         io.write(string.format("wrkdata thread %d %d %s\n", t:get("tid"),
            bound, table.concat(miss, ",")))
      end
   end
   local secs = summary.duration / 1e6
   io.write(string.format("wrkstat mode %s\n", mode))
   io.write(string.format("wrkstat requests %d\n", summary.requests))
   io.write(string.format("wrkstat duration_us %d\n", summary.duration))
   io.write(string.format("wrkstat rps %.1f\n", summary.requests / secs))
   for status, c in pairs(total) do
      io.write(string.format("wrkstat status_%d %d\n", status, c))
   end
   for _, k in ipairs({ "connect", "read", "write", "timeout" }) do
      io.write(string.format("wrkstat err_%s %d\n", k, summary.errors[k]))
   end
   io.write(string.format("wrkstat non2xx3xx %d\n", summary.errors.status))
   for _, p in ipairs({ 50, 90, 99, 99.9 }) do
      io.write(string.format("wrkstat p%s_us %d\n",
         tostring(p):gsub("%.", "_"), latency:percentile(p)))
   end
   io.write(string.format("wrkstat mean_us %.0f\n", latency.mean))
   io.write(string.format("wrkstat max_us %d\n", latency.max))
end
