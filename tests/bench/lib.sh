# shellcheck shell=bash disable=SC2154,SC2034
# lib.sh: what tests/bench/run and tests/bench/profile share: the build, the
# helper programs, a throwaway MariaDB (scripts/db-sandbox), lighttpd from
# tests/bench/lighttpd.conf, tokens and sessions, for run's peer phases the
# peers' databases and processes, and for run's Galera phase a three-node
# cluster (scripts/galera-sandbox).  Sourced, not run.
#
# Needs from the caller: $here (tests/bench), $repo (the checkout).
# Sets for the caller: B_TMP (the run's temporary directory), B_BIN
# (helpers), B_DB_SOCK, B_DB_PASSWORD, B_USER, B_SECRET, B_TOKEN,
# B_BAD_TOKEN, B_PORT, B_WEB_PID, B_PEER_PID (the last peer process
# started), B_GALERA_PORT and B_GALERA_SOCK (per node, from 1); the caller
# sets B_PRODREC, B_KEEP, B_ENV.

# alive (true while a pid runs) and conf_quote (escapes a value for a
# double-quoted lighttpd string), shared with the sandboxes.
# shellcheck source-path=SCRIPTDIR source=../../scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"

B_TMP=
B_KEEP=
B_WEB_PID=
B_DB_STARTED=
B_EXTRA_PIDS=
B_EXTRA_GROUPS=	# process groups bench_cleanup ends (background loads)
B_PEER_GROUPS=	# process groups of the peers and their lighttpd, while they run
B_APACHE_DIRS=	# scripts/apache-sandbox directories of Apache while it runs
B_PEER_PID=
B_WEB_PIDS=	# every lighttpd started and not yet stopped
declare -gA B_WEB_DIRS=()	# lighttpd pid -> its run directory
B_GALERA_DIR=
B_GALERA_PORT=()
B_GALERA_SOCK=()
B_ENV=()	# NAME=VALUE settings for the FastCGI program (--env)

bench_note() { printf '%s\n' "$*" >&2; }
bench_die() {
	printf '%s: %s\n' "${0##*/}" "$*" >&2
	exit 1
}

# The temporary directory of this run, /tmp/bench.XXXXXX (short: the
# MariaDB socket path must fit in sun_path).
bench_tmp_create() {
	B_TMP=$(mktemp -d /tmp/bench.XXXXXX)
	chmod 700 "$B_TMP"
	mkdir -p "$B_TMP/bin" "$B_TMP/web/htdocs"
}

# Sets build to the build directory given (--build; made absolute), or,
# when none was, to bench_build_default's after saying so with the
# caller's say; sets B_PRODREC to its src/prodrec (not checked).
bench_use_build() {
	if [ -z "$build" ]; then
		say "building an optimised prodrec in $repo/run/bench-build"
		build=$(bench_build_default)
	fi
	build=$(cd "$build" && pwd)
	B_PRODREC=$build/src/prodrec
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
	    "$cc" "${opt[@]}" -I"$here/../../src" -o "$B_TMP/bin/dbloop" \
	    "$here/dbloop.c" \
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

# Run SQL $2 as root in database $3 (default prodrec) of the server at
# socket $1; prints rows tab-separated.
bench_sql_at() {
	mariadb --no-defaults -S "$1" -u root --batch --skip-column-names \
	    "${3:-prodrec}" -e "$2"
}

bench_sql() { bench_sql_at "$B_DB_SOCK" "$1"; }

# Open a session owned by $1 (as a DBA does, with SQL) on the server at
# socket $2 (default the sandbox's), in database $3 (default prodrec);
# prints its id.
bench_new_session() {
	local sid
	sid=$(openssl rand -hex 12)
	bench_sql_at "${2:-$B_DB_SOCK}" "INSERT INTO production_sessions
	    (session_id, owner_auth0_id, status) VALUES ('$sid', '$1', 'open')" \
	    "${3:-}" || bench_die "cannot open a session"
	echo "$sid"
}

# A database $1 on the sandbox's server, loaded as root from the SQL file
# $2, and an account '$3'@'localhost' with password $4 and the grants
# $5 (SQL, "ON TABLE" parts separated by ";"; e.g. "SELECT, INSERT ON
# t1;SELECT ON t2"), nothing more.  For the peers and the machine ceiling.
bench_db_create() {
	local db=$1 sql=$2 user=$3 pass=$4 grant part grants=''
	IFS=';' read -r -a grant <<<"$5"
	for part in "${grant[@]}"; do
		grants+="GRANT ${part% ON *} ON \`$db\`.${part##* ON } TO '$user'@'localhost';"
	done
	bench_sql "CREATE DATABASE \`$db\`" ||
	    bench_die "cannot create the database $db"
	mariadb --no-defaults -S "$B_DB_SOCK" -u root --batch "$db" <"$sql" ||
	    bench_die "cannot load $sql into $db"
	bench_sql "CREATE USER '$user'@'localhost' IDENTIFIED BY '$pass';
	    $grants" || bench_die "cannot create the account $user for $db"
}

# Empty when scripts/galera-sandbox has all it needs, else what it says
# is missing.
bench_galera_missing() {
	local out
	out=$("$repo/scripts/galera-sandbox" check 2>&1) && return 0
	printf '%s; scripts/galera-sandbox check says how to install them' \
	    "$(head -n 1 <<<"$out")"
}

# A three-node Galera cluster through scripts/galera-sandbox in $B_TMP/galera
# (the nodes live where the sandbox puts them; the prodrec account has the
# bench's random password, as on the single server).  Sets B_GALERA_PORT[K]
# and B_GALERA_SOCK[K].
bench_galera_start() {
	local k port sock
	B_GALERA_DIR=$B_TMP/galera
	# The start of three nodes on a busy 2-core machine can take a while.
	DB_PASSWORD=$B_DB_PASSWORD GALERA_START_TIMEOUT=${GALERA_START_TIMEOUT:-180} \
	    "$repo/scripts/galera-sandbox" start "$B_GALERA_DIR" 3 \
	    >"$B_TMP/galera-nodes" 2>"$B_TMP/galera-sandbox.log" || {
		tail -n 30 "$B_TMP/galera-sandbox.log" >&2
		bench_die "scripts/galera-sandbox start failed"
	}
	while read -r _ k _ port _ sock; do
		B_GALERA_PORT[k]=$port
		B_GALERA_SOCK[k]=$sock
	done < <(grep '^node ' "$B_TMP/galera-nodes")
	[ "${#B_GALERA_PORT[@]}" -eq 3 ] ||
	    bench_die "galera-sandbox printed $(grep -c '^node ' "$B_TMP/galera-nodes") nodes, not 3"
}

# The node list of pool $1: node $1 first, then the others in order, so
# that each pool works on its own node while all are up.
bench_galera_hosts() {
	local k list=127.0.0.1:${B_GALERA_PORT[$1]}
	for k in 1 2 3; do
		[ "$k" -eq "$1" ] || list+=,127.0.0.1:${B_GALERA_PORT[k]}
	done
	echo "$list"
}

# Stop the cluster (galera-sandbox removes its data); with --keep, save the
# nodes' error logs first.
bench_galera_stop() {
	local k
	[ -n "$B_GALERA_DIR" ] || return 0
	if [ -n "$B_KEEP" ]; then
		for k in 1 2 3; do
			cp "$B_GALERA_DIR/node$k/mysqld.err" \
			    "$B_TMP/galera-node$k.err" 2>/dev/null || true
		done
	fi
	GALERA_STOP_TIMEOUT=20 "$repo/scripts/galera-sandbox" stop \
	    "$B_GALERA_DIR" >>"$B_TMP/galera-sandbox.log" 2>&1 || true
	B_GALERA_DIR=
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

# Start lighttpd from lighttpd.conf with bin-path $1 and $2 workers on a
# free port, in run directory $3 (default $B_TMP/web); with $4, a
# PRODREC_DB_HOST list, the program uses those servers over TCP instead of
# the sandbox's socket (PRODREC_DB_SOCKET empty: prodrec then skips it).
# Returns once the FastCGI program answers through it and, for a pool,
# every worker runs.  Sets B_PORT, B_WEB_PID; several may run at once.
bench_web_start() {
	local bin=$1 workers=$2 dir=${3:-$B_TMP/web} hosts=${4:-} conf tpl
	local sock=$B_DB_SOCK
	[ -z "$hosts" ] || sock=
	mkdir -p "$dir/htdocs"
	conf=$dir/lighttpd.conf
	B_PORT=$(bench_free_port)
	tpl=$(<"$here/lighttpd.conf")
	tpl=${tpl//@PORT@/$B_PORT}
	tpl=${tpl//@RUNDIR@/$(conf_quote "$dir")}
	tpl=${tpl//@BIN@/$(conf_quote "$bin")}
	tpl=${tpl//@WORKERS@/$workers}
	tpl=${tpl//@DB_SOCKET@/$(conf_quote "$sock")}
	tpl=${tpl//@DB_PASSWORD@/$(conf_quote "$B_DB_PASSWORD")}
	local extra='' kv
	[ -z "$hosts" ] ||
	    extra+=$'\n'"        \"PRODREC_DB_HOST\" => \"$(conf_quote "$hosts")\","
	for kv in "${B_ENV[@]}"; do
		extra+=$'\n'"        \"$(conf_quote "${kv%%=*}")\" => \"$(conf_quote "${kv#*=}")\","
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
	B_WEB_PIDS+=" $B_WEB_PID"
	B_WEB_DIRS[$B_WEB_PID]=$dir
	bench_await 30 "$B_WEB_PID" "$dir/lighttpd-error.log" \
	    "lighttpd with $bin did not start serving" bench_web_ready "$workers"
}

# True once lighttpd $B_WEB_PID at $B_PORT answers (anything but no answer
# or 503) and its FastCGI master has $1 workers.
bench_web_ready() {
	local code
	code=$(curl -s -o /dev/null --max-time 2 -w '%{http_code}' \
	    "http://127.0.0.1:$B_PORT/api/__ready__" 2>/dev/null) || code=
	[ -n "$code" ] && [ "$code" != 000 ] && [ "$code" != 503 ] &&
	    [ "$(bench_pool_workers | wc -l)" -ge "$1" ]
}

# bench_await SECONDS PID LOG MESSAGE COMMAND [ARG...]: runs COMMAND every
# 0.2 s until it succeeds; when pid PID (a server starting) is gone, or
# after about SECONDS, prints the last 20 lines of LOG and dies with
# MESSAGE.
bench_await() {
	local limit=$1 pid=$2 log=$3 msg=$4 waited=0
	shift 4
	until "$@"; do
		if ! alive "$pid" || [ "$waited" -ge $((limit * 5)) ]; then
			tail -n 20 "$log" >&2
			bench_die "$msg"
		fi
		sleep 0.2
		waited=$((waited + 1))
	done
}

# The FastCGI master lighttpd $1 (default $B_WEB_PID) spawned (its only
# child).
bench_pool_master() {
	local web=${1:-$B_WEB_PID}
	[ -n "$web" ] || return 0
	ps -o pid= --ppid "$web" | awk '{ print $1 }' | head -n 1
}

# The master's workers (of lighttpd $1, default $B_WEB_PID).
bench_pool_workers() {
	local master
	master=$(bench_pool_master "${1:-}")
	[ -n "$master" ] || return 0
	ps -o pid= --ppid "$master" | awk '{ print $1 }'
}

# Pids in process group $1.
bench_group() {
	ps -e -o pid=,pgid= | awk -v g="$1" '$2 == g { print $1 }'
}

# Wait up to 15 s for process group $1 ($2 names it in a note) to be gone
# after a SIGTERM, then SIGKILL what is left of it.
bench_group_gone() {
	local waited=0 left
	while left=$(bench_group "$1") && [ -n "$left" ]; do
		if [ "$waited" -ge 75 ]; then
			bench_note "killing what is left of $2: $left"
			# shellcheck disable=SC2086
			kill -KILL $left 2>/dev/null || true
			sleep 0.2
			return
		fi
		sleep 0.2
		waited=$((waited + 1))
	done
}

# Stop lighttpd $1 (default $B_WEB_PID; it stops its FastCGI master, which
# stops its workers), then anything of its process group still there.
bench_web_stop() {
	local pid=${1:-$B_WEB_PID} rest='' w
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || true
	bench_group_gone "$pid" "lighttpd's group"
	wait "$pid" 2>/dev/null || true
	[ "$pid" != "$B_WEB_PID" ] || B_WEB_PID=
	for w in $B_WEB_PIDS; do
		[ "$w" = "$pid" ] || rest+=" $w"
	done
	B_WEB_PIDS=$rest
	rm -f "${B_WEB_DIRS[$pid]:-$B_TMP/web}/fcgi.sock"-*
	unset "B_WEB_DIRS[$pid]"
}

# CPU clock ticks (user + system, all threads) pid has used so far.
bench_ticks() {
	[ -n "$1" ] && awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null ||
	    echo 0
}

# The whole machine's ticks so far, as "name ticks" lines: busy (user,
# nice, system, irq, softirq), steal (taken by the hypervisor) and all.
bench_machine_ticks() {
	awk '/^cpu / { busy = $2 + $3 + $4 + $7 + $8
	    print "busy", busy; print "steal", $9
	    print "all", busy + $5 + $6 + $9 }' /proc/stat
}

# Ticks used so far by the database, lighttpd, the FastCGI pool (master and
# workers) and the whole machine (busy, stolen by the hypervisor, and in
# all), as "name ticks" lines.  $1: the lighttpd pids (default $B_WEB_PID)
# and $2: the database servers' pids (default the sandbox's), for the
# Galera phase's three of each.
bench_cpu_snapshot() {
	local webs=${1-$B_WEB_PID} dbs=${2-} pool=0 web=0 db=0 w pid
	[ $# -ge 2 ] || dbs=$(cat "$B_DB_DIR/mysqld.pid" 2>/dev/null)
	for w in $webs; do
		web=$((web + $(bench_ticks "$w")))
		for pid in $(bench_pool_master "$w") $(bench_pool_workers "$w"); do
			pool=$((pool + $(bench_ticks "$pid")))
		done
	done
	for pid in $dbs; do
		db=$((db + $(bench_ticks "$pid")))
	done
	echo "db $db"
	echo "web $web"
	echo "pool $pool"
	bench_machine_ticks
}

# Ticks used so far by the database, and as in bench_cpu_snapshot by the
# web server and the program, each given as process groups: $1 the web
# servers' (empty: there is none, and no "web" line), $2 the program's
# (a peer: php-fpm's master and children, node's primary and workers;
# empty: none, and no "pool" line).
bench_group_cpu_snapshot() {
	local g pid web=0 pool=0 db
	for g in $2; do
		for pid in $(bench_group "$g"); do
			pool=$((pool + $(bench_ticks "$pid")))
		done
	done
	db=$(bench_ticks "$(cat "$B_DB_DIR/mysqld.pid" 2>/dev/null)")
	echo "db $db"
	if [ -n "$1" ]; then
		for g in $1; do
			for pid in $(bench_group "$g"); do
				web=$((web + $(bench_ticks "$pid")))
			done
		done
		echo "web $web"
	fi
	[ -z "$2" ] || echo "pool $pool"
	bench_machine_ticks
}

# Start a peer's process in the background, in a session and process group
# of its own, with only the environment given: bench_peer_spawn LOG
# NAME=VALUE... -- COMMAND [ARG...] (PATH is kept, HOME is the run's
# directory, TZ is UTC).  Output to LOG.  Sets B_PEER_PID (its pid, and
# its group's id); not to be called in $(...), which would start it in a
# subshell.
bench_peer_spawn() {
	local log=$1 vars=()
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		vars+=("$1")
		shift
	done
	[ "${1:-}" = -- ] || bench_die "bench_peer_spawn: no -- before the command"
	shift
	setsid env -i PATH="$PATH" HOME="$B_TMP" TZ=UTC "${vars[@]}" "$@" \
	    </dev/null >>"$log" 2>&1 &
	B_PEER_PID=$!
	B_PEER_GROUPS+=" $B_PEER_PID"
}

# Stop the process group $1 a peer or its lighttpd runs in: SIGTERM to the
# group, then SIGKILL to what is left after 15 s.
bench_peer_stop() {
	local g=$1 rest='' x
	[ -n "$g" ] || return 0
	kill -TERM -- "-$g" 2>/dev/null || true
	bench_group_gone "$g" "group $g"
	wait "$g" 2>/dev/null || true
	for x in $B_PEER_GROUPS; do
		[ "$x" = "$g" ] || rest+=" $x"
	done
	B_PEER_GROUPS=$rest
}

# Wait until the peer whose group is $2 answers on port $1 (any answer but
# none, 502, 503 or 504 to a GET of the records path: the program itself
# answered, 404 or 405) and, with $3, until its log $4 has a line matching
# the extended regular expression $3.  At most 60 s; dies with the log's
# tail if it stops or does not answer.
bench_peer_wait() {
	local port=$1 g=$2 pattern=${3:-} log=${4:-} waited=0 code
	while :; do
		code=$(curl -s -o /dev/null --max-time 2 -w '%{http_code}' \
		    "http://127.0.0.1:$port/api/control/production/records" \
		    2>/dev/null) || code=
		case $code in '' | 000 | 502 | 503 | 504) ;; *)
			[ -z "$pattern" ] || grep -Eq -- "$pattern" "$log" && return 0 ;;
		esac
		if ! alive "$g" || [ "$waited" -ge 300 ]; then
			[ -z "$log" ] || tail -n 20 "$log" >&2
			bench_die "the peer on port $port did not start serving (last answer ${code:-none})"
		fi
		sleep 0.2
		waited=$((waited + 1))
	done
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
	local g w
	# shellcheck disable=SC2086
	[ -z "$B_EXTRA_PIDS" ] || kill -TERM $B_EXTRA_PIDS 2>/dev/null
	for g in $B_EXTRA_GROUPS; do
		kill -TERM -- "-$g" 2>/dev/null
	done
	for g in $B_PEER_GROUPS; do
		bench_peer_stop "$g"
	done
	for w in $B_WEB_PIDS; do
		bench_web_stop "$w"
	done
	for w in $B_APACHE_DIRS; do
		"$repo/scripts/apache-sandbox" stop "$w" >/dev/null 2>&1
	done
	bench_db_stop
	bench_galera_stop
	if [ -n "$B_TMP" ] && [ -d "$B_TMP" ]; then
		if [ -n "$B_KEEP" ]; then
			bench_note "kept $B_TMP"
		else
			rm -rf "$B_TMP"
		fi
	fi
	exit "$rc"
}
