# shellcheck shell=bash disable=SC2154,SC2034
# lib.sh: what tests/bench/run and tests/bench/profile share: the build, the
# helper programs, a throwaway MariaDB (scripts/db-sandbox), lighttpd from
# tests/bench/lighttpd.conf, tokens and sessions.  Sourced, not run.
#
# Needs from the caller: $here (tests/bench), $repo (the checkout).
# Sets for the caller: B_TMP (the run's temporary directory), B_BIN
# (helpers), B_DB_SOCK, B_DB_PASSWORD, B_USER, B_SECRET, B_TOKEN,
# B_BAD_TOKEN, B_PORT, B_WEB_PID; the caller sets B_PRODREC, B_KEEP, B_ENV.

B_TMP=
B_KEEP=
B_WEB_PID=
B_DB_STARTED=
B_EXTRA_PIDS=
B_ENV=()	# NAME=VALUE settings for the FastCGI program (--env)

bench_note() { printf '%s\n' "$*" >&2; }
bench_die() {
	printf '%s: %s\n' "${0##*/}" "$*" >&2
	exit 1
}

# True while pid runs (a zombie counts as gone).
bench_alive() {
	local state
	state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# The temporary directory of this run, /tmp/bench.XXXXXX (short: the
# MariaDB socket path must fit in sun_path).
bench_tmp_create() {
	B_TMP=$(mktemp -d /tmp/bench.XXXXXX)
	chmod 700 "$B_TMP"
	mkdir -p "$B_TMP/bin" "$B_TMP/web/htdocs"
}

# Build an optimised prodrec (-O2 -g, no sanitizers) out of tree in
# $repo/run/bench-build, configuring it the first time; prints the dir.
bench_build_default() {
	local dir=$repo/run/bench-build
	if [ ! -x "$repo/configure" ]; then
		(cd "$repo" && autoreconf -fi) >&2 ||
		    bench_die "autoreconf failed in $repo"
	fi
	if [ -f "$repo/config.status" ]; then
		bench_die "$repo is configured in tree, so it cannot build out of" \
		    "tree in $dir: run 'make distclean' there or pass --build DIR"
	fi
	mkdir -p "$dir"
	if [ ! -f "$dir/Makefile" ]; then
		(cd "$dir" && "$repo/configure" --quiet CFLAGS='-O2 -g') >&2 ||
		    bench_die "configure failed in $dir"
	fi
	make -C "$dir" -s -j"$(nproc)" src/prodrec >&2 ||
	    bench_die "make failed in $dir"
	echo "$dir"
}

# The build's compiler flags, and a warning when they are not an
# optimised build.
bench_build_flags() {
	local mk=$1/Makefile cflags san
	cflags=$(sed -n 's/^CFLAGS = //p' "$mk" 2>/dev/null | head -n 1)
	san=$(sed -n 's/^SAN_CFLAGS = //p' "$mk" 2>/dev/null | head -n 1)
	printf '%s' "${cflags:-?}${san:+ $san}"
}

# Compile the helper programs into $B_TMP/bin.
bench_helpers() {
	local cc=${CC:-cc} opt=(-O2 -g -Wall -Wextra)
	# shellcheck disable=SC2046
	if ! { "$cc" "${opt[@]}" -o "$B_TMP/bin/fcgi201" "$here/fcgi201.c" \
	    $(pkg-config --cflags --libs fcgi) &&
	    "$cc" "${opt[@]}" -o "$B_TMP/bin/dbloop" "$here/dbloop.c" \
	    $(pkg-config --cflags --libs libmariadb) &&
	    "$cc" "${opt[@]}" -o "$B_TMP/bin/coldstart" "$here/coldstart.c" &&
	    "$cc" "${opt[@]}" -o "$B_TMP/bin/fcgidrive" "$here/fcgidrive.c"; }; then
		bench_die "cannot compile the helpers in $here"
	fi
	B_BIN=$B_TMP/bin
}

# A free TCP port on 127.0.0.1.
bench_free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# MariaDB through scripts/db-sandbox in $B_TMP/db, with the prodrec
# account's password random; fails unless commits are durable
# (innodb_flush_log_at_trx_commit=1, which db-sandbox sets).
bench_db_start() {
	B_DB_DIR=$B_TMP/db
	B_DB_SOCK=$B_DB_DIR/mysqld.sock
	B_DB_PASSWORD=bench-$(openssl rand -hex 8)
	B_DB_STARTED=1
	DB_PASSWORD=$B_DB_PASSWORD "$repo/scripts/db-sandbox" start \
	    "$B_DB_DIR" >"$B_TMP/db-sandbox.log" 2>&1 || {
		cat "$B_TMP/db-sandbox.log" >&2
		bench_die "scripts/db-sandbox start failed"
	}
	local flush
	flush=$(bench_sql "SELECT @@innodb_flush_log_at_trx_commit")
	[ "$flush" = 1 ] ||
	    bench_die "innodb_flush_log_at_trx_commit is $flush, not 1"
}

bench_db_stop() {
	[ -n "$B_DB_STARTED" ] || return 0
	DB_STOP_TIMEOUT=20 "$repo/scripts/db-sandbox" stop "$B_DB_DIR" \
	    >>"$B_TMP/db-sandbox.log" 2>&1 || true
	B_DB_STARTED=
}

# Run SQL as root in the prodrec database; prints rows tab-separated.
bench_sql() {
	mariadb --no-defaults -S "$B_DB_SOCK" -u root --batch \
	    --skip-column-names prodrec -e "$1"
}

# Open a session owned by $1 (as a DBA does, with SQL); prints its id.
bench_new_session() {
	local sid
	sid=$(openssl rand -hex 12)
	bench_sql "INSERT INTO production_sessions (session_id, owner_auth0_id,
	    status) VALUES ('$sid', '$1', 'open')" || bench_die "cannot open a session"
	echo "$sid"
}

# The JWT secret, a good token and a well-formed one with a bad signature.
bench_tokens() {
	B_USER=bench-user
	B_SECRET=bench-$(openssl rand -hex 24)
	B_TOKEN=$(PRODREC_JWT_SECRET=$B_SECRET "$repo/scripts/mint-token" \
	    "$B_USER" 7200)
	local other
	other=$(PRODREC_JWT_SECRET=wrong-$B_SECRET "$repo/scripts/mint-token" \
	    "$B_USER" 7200)
	# The good token's header and payload with the other's signature.
	B_BAD_TOKEN=${B_TOKEN%.*}.${other##*.}
}

# Escape a value for a double-quoted lighttpd string.
bench_conf_quote() {
	local s=${1//\\/\\\\}
	printf '%s' "${s//\"/\\\"}"
}

# Start lighttpd from lighttpd.conf with bin-path $1 and $2 workers on a
# free port; returns once the FastCGI program answers through it and, for
# a pool, every worker runs.  Sets B_PORT, B_WEB_PID.
bench_web_start() {
	local bin=$1 workers=$2 dir=$B_TMP/web conf tpl waited=0 code
	conf=$dir/lighttpd.conf
	B_PORT=$(bench_free_port)
	tpl=$(<"$here/lighttpd.conf")
	tpl=${tpl//@PORT@/$B_PORT}
	tpl=${tpl//@RUNDIR@/$(bench_conf_quote "$dir")}
	tpl=${tpl//@BIN@/$(bench_conf_quote "$bin")}
	tpl=${tpl//@WORKERS@/$workers}
	tpl=${tpl//@DB_SOCKET@/$(bench_conf_quote "$B_DB_SOCK")}
	tpl=${tpl//@DB_PASSWORD@/$(bench_conf_quote "$B_DB_PASSWORD")}
	local extra='' kv
	for kv in "${B_ENV[@]}"; do
		extra+=$'\n'"        \"$(bench_conf_quote "${kv%%=*}")\" => \"$(bench_conf_quote "${kv#*=}")\","
	done
	tpl=${tpl//@EXTRA_ENV@/$extra}
	(umask 077 && printf '%s\n' "$tpl" >"$conf")
	lighttpd -tt -f "$conf" >/dev/null || bench_die "lighttpd rejects $conf"
	rm -f "$dir/lighttpd.pid"
	# Its own session and process group: the FastCGI processes it spawns
	# stay in the group, which bench_web_stop ends.
	PRODREC_JWT_SECRET=$B_SECRET TZ=UTC setsid lighttpd -D -f "$conf" \
	    </dev/null >>"$dir/lighttpd-error.log" 2>&1 &
	B_WEB_PID=$!
	while :; do
		code=$(curl -s -o /dev/null --max-time 2 -w '%{http_code}' \
		    "http://127.0.0.1:$B_PORT/api/__ready__" 2>/dev/null) || code=
		if [ -n "$code" ] && [ "$code" != 000 ] && [ "$code" != 503 ] &&
		    [ "$(bench_pool_workers | wc -l)" -ge "$workers" ]; then
			break
		fi
		if ! bench_alive "$B_WEB_PID" || [ "$waited" -ge 150 ]; then
			tail -n 20 "$dir/lighttpd-error.log" >&2
			bench_die "lighttpd with $bin did not start serving"
		fi
		sleep 0.2
		waited=$((waited + 1))
	done
}

# The FastCGI master lighttpd spawned (its only child).
bench_pool_master() {
	[ -n "$B_WEB_PID" ] || return 0
	ps -o pid= --ppid "$B_WEB_PID" | awk '{ print $1 }' | head -n 1
}

# The master's workers.
bench_pool_workers() {
	local master
	master=$(bench_pool_master)
	[ -n "$master" ] || return 0
	ps -o pid= --ppid "$master" | awk '{ print $1 }'
}

# Pids in process group $1.
bench_group() {
	ps -e -o pid=,pgid= | awk -v g="$1" '$2 == g { print $1 }'
}

# Stop lighttpd (it stops its FastCGI master, which stops its workers),
# then anything of its process group still there.
bench_web_stop() {
	local pid=$B_WEB_PID waited=0 left
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || true
	while :; do
		left=$(bench_group "$pid")
		[ -z "$left" ] && break
		if [ "$waited" -ge 75 ]; then
			bench_note "killing what is left of lighttpd's group: $left"
			# shellcheck disable=SC2086
			kill -KILL $left 2>/dev/null || true
			sleep 0.2
			break
		fi
		sleep 0.2
		waited=$((waited + 1))
	done
	wait "$pid" 2>/dev/null || true
	B_WEB_PID=
	rm -f "$B_TMP/web/fcgi.sock"-*
}

# CPU clock ticks (user + system, all threads) pid has used so far.
bench_ticks() {
	[ -n "$1" ] && awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null ||
	    echo 0
}

# Ticks used so far by the database, lighttpd, the FastCGI pool (master and
# workers) and the whole machine (busy, stolen by the hypervisor, and in
# all), as "name ticks" lines.
bench_cpu_snapshot() {
	local pool=0 pid
	for pid in $(bench_pool_master) $(bench_pool_workers); do
		pool=$((pool + $(bench_ticks "$pid")))
	done
	echo "db $(bench_ticks "$(cat "$B_DB_DIR/mysqld.pid" 2>/dev/null)")"
	echo "web $(bench_ticks "$B_WEB_PID")"
	echo "pool $pool"
	awk '/^cpu / { busy = $2 + $3 + $4 + $7 + $8
	    print "busy", busy; print "steal", $9
	    print "all", busy + $5 + $6 + $9 }' /proc/stat
}

# Private (unshared) memory of pid in KiB: Private_Clean + Private_Dirty.
bench_private_kib() {
	awk '/^Private_(Clean|Dirty):/ { s += $2 } END { print s + 0 }' \
	    "/proc/$1/smaps_rollup" 2>/dev/null
}

# Proportional set size of pid in KiB (shared pages divided among sharers).
bench_pss_kib() {
	awk '/^Pss:/ { print $2 + 0 }' "/proc/$1/smaps_rollup" 2>/dev/null
}

# The trap of both scripts: stop everything started, remove the directory.
bench_cleanup() {
	local rc=$?
	set +e
	trap - EXIT INT TERM
	# shellcheck disable=SC2086
	[ -z "$B_EXTRA_PIDS" ] || kill -TERM $B_EXTRA_PIDS 2>/dev/null
	bench_web_stop
	bench_db_stop
	if [ -n "$B_TMP" ] && [ -d "$B_TMP" ]; then
		if [ -n "$B_KEEP" ]; then
			bench_note "kept $B_TMP"
		else
			rm -rf "$B_TMP"
		fi
	fi
	exit "$rc"
}
