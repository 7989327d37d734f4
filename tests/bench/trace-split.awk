# trace-split.awk: a prodrec worker's wall time per request, from
# `perf trace -p PID -o FILE` output, split into: waiting for MariaDB
# (poll on the database socket), libfcgi's lingering close (shutdown, then
# poll until lighttpd closes its end), idle (ppoll for the next connection),
# other system calls, and the time between system calls (user code plus
# time runnable but not running).  perf trace itself slows each system call
# by some microseconds: compare phases with each other, not with the bench.
#
# usage: awk -f trace-split.awk [-v label=NAME] FILE
{
	if (!match($0, /^ *[0-9.]+ \( *[0-9.]+ ms\): [a-z_0-9]+\(/))
		next
	line = $0
	sub(/^ */, "", line)
	t = line + 0
	d = line
	sub(/^[^(]*\( */, "", d)
	d = d + 0
	name = line
	sub(/^[^:]*: /, "", name)
	sub(/\(.*/, "", name)
	if (last_end > 0 && t > last_end)
		cat["between system calls (user code, run queue)"] += t - last_end
	if (name == "poll") {
		k = prev == "shutdown" ? "libfcgi lingering close (poll after shutdown)" \
		    : "waiting for MariaDB (poll)"
		cat[k] += d
		n[k]++
	} else if (name == "ppoll") {
		cat["idle: waiting for lighttpd (ppoll)"] += d
		n["idle: waiting for lighttpd (ppoll)"]++
	} else {
		cat["other system calls"] += d
		n["other system calls"]++
		if (name == "accept4")
			requests++
	}
	if (first == "")
		first = t
	last_end = t + d
	prev = name
}
END {
	if (requests == 0) {
		print "no request in the trace"
		exit 1
	}
	wall = last_end - first
	printf "== %s: %d requests in %.0f ms of one worker: %.0f us each\n", \
	    label, requests, wall, wall * 1000 / requests
	for (k in cat)
		printf "  %-48s %8.1f us/request %5.1f%%  (%.2f calls)\n", k, \
		    cat[k] * 1000 / requests, 100 * cat[k] / wall, n[k] / requests
}
