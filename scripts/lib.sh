# shellcheck shell=bash
# lib.sh: the shell functions the sandboxes (scripts/db-sandbox,
# scripts/galera-sandbox, scripts/web-sandbox, scripts/apache-sandbox) and
# the benchmark (tests/bench/lib.sh) share, written once here.  Sourced,
# not run: each caller finds it next to itself through BASH_SOURCE, so it
# works from any working directory and from `make distcheck`'s unpacked
# tarball (scripts/ is in EXTRA_DIST whole).  Not installed: the Debian
# package and `make install` need none of it (scripts/fetch-jwks, the one
# installed script, stands alone).
#
# It defines functions only, and sets no shell option and no variable.
# Messages go to stderr prefixed with "$me: " when the caller sets me (as
# galera-sandbox does), else with the basename of $0 ("db-sandbox: ...").

# alive PID
# True (0) while process PID runs; 1 when it does not exist or is a zombie
# (exited, not yet reaped by whoever adopted it) or dead (state Z or X).
alive() {
	local stat state
	# The state follows the name in parentheses, which may hold spaces.
	read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
	state=${stat##*) }
	state=${state%% *}
	[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# wait_gone LIMIT PID...
# Waits, polling every 0.2 s, for every PID given to exit (see alive);
# returns 0 once none runs, 1 if any still runs after about LIMIT seconds.
# Kills nothing.
wait_gone() {
	local limit=$1 waited=0 pid left
	shift
	while :; do
		left=
		for pid in "$@"; do
			alive "$pid" && left=1
		done
		[ -z "$left" ] && return 0
		[ "$waited" -ge $((limit * 5)) ] && return 1
		sleep 0.2
		waited=$((waited + 1))
	done
}

# stop_leader LIMIT WHAT PID
# Stops process PID, the leader of a process group (a server this script
# started): SIGTERM, then, if it still runs after about LIMIT seconds, says
# "WHAT PID did not stop, killing" and SIGKILLs its group (or it alone when
# that fails); last, SIGTERM to the stragglers of its group.  Returns 0.
stop_leader() {
	local limit=$1 what=$2 pid=$3
	kill -TERM "$pid" 2>/dev/null || true
	if ! wait_gone "$limit" "$pid"; then
		echo "${me:-${0##*/}}: $what $pid did not stop, killing" >&2
		kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
	fi
	kill -TERM -- "-$pid" 2>/dev/null || true
}

# stop_pids LIMIT WHAT PID...
# Stops the processes PID... (none: does nothing): SIGTERM, then, if any
# still runs after about LIMIT seconds, says "WHAT PID... did not stop,
# killing", SIGKILLs them all and waits up to 5 s more.  Returns 0.
stop_pids() {
	local limit=$1 what=$2
	shift 2
	[ $# -gt 0 ] || return 0
	kill -TERM "$@" 2>/dev/null || true
	if ! wait_gone "$limit" "$@"; then
		echo "${me:-${0##*/}}: $what $* did not stop, killing" >&2
		kill -KILL "$@" 2>/dev/null || true
		wait_gone 5 "$@" || true
	fi
}

# conf_quote VALUE
# Prints VALUE (no newline) escaped for a double-quoted string of an Apache
# or lighttpd configuration file: each \ doubled, each " as \".  The caller
# writes the surrounding quotes.
conf_quote() {
	local s=${1//\\/\\\\}
	printf '%s' "${s//\"/\\\"}"
}

# sql_quote VALUE
# Prints VALUE (no newline) as a single-quoted SQL string literal, quotes
# included: each \ doubled, each ' doubled.
sql_quote() {
	local s=${1//\\/\\\\}
	printf "'%s'" "${s//\'/\'\'}"
}

# runtime_dir KIND DIR
# Prints the directory, outside DIR, that holds what a server of DIR must
# reach by a path other users can follow, with no space and short enough
# for a unix socket: BASE/KIND-HASH, HASH from DIR's real path (the same
# DIR always gets the same directory).  BASE is /run/prodrec-sandbox (mode
# 0755) as root, else /tmp/prodrec-sandbox-UID (mode 0700), made when
# missing; it must be a directory of ours that no one else can write, else
# it says so and exits 1 (in $(...), the caller's set -e then stops it).
# Makes nothing below BASE.
runtime_dir() {
	local kind=$1 dir=$2 base mode=0700 uid hash
	uid=$(id -u)
	if [ "$uid" -eq 0 ]; then
		base=/run/prodrec-sandbox
		mode=0755
	else
		base=/tmp/prodrec-sandbox-$uid
	fi
	[ -e "$base" ] || mkdir -m "$mode" "$base" 2>/dev/null || true
	if [ -L "$base" ] || [ ! -d "$base" ] ||
	    [ "$(stat -c %u "$base")" != "$uid" ] ||
	    [ -n "$(find "$base" -maxdepth 0 -perm /022)" ]; then
		echo "${me:-${0##*/}}: $base must be a directory owned by $(id -un) that no one else can write" >&2
		exit 1
	fi
	hash=$(cd "$dir" && pwd -P | sha256sum | cut -c1-12)
	echo "$base/$kind-$hash"
}

# mariadb_pid PIDFILE DATADIR
# Prints the pid recorded in PIDFILE when that process runs and is a
# MariaDB server (comm mariadbd or mysqld) started with --datadir=DATADIR;
# returns 1 otherwise (no or empty pid file, a crashed or killed server, or
# its pid reused by another process, even another MariaDB).
mariadb_pid() {
	local pidfile=$1 datadir=$2 pid comm
	[ -f "$pidfile" ] || return 1
	pid=$(tr -dc '0-9' <"$pidfile")
	[ -n "$pid" ] || return 1
	alive "$pid" || return 1
	comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
	case $comm in
	mariadbd | mysqld) ;;
	*) return 1 ;;
	esac
	tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null |
	    grep -qxF -- "--datadir=$datadir" || return 1
	echo "$pid"
}

# sandbox_prodrec REPO
# Prints the absolute path of the prodrec binary a sandbox serves:
# $PRODREC_BIN, else $BUILD_DIR/src/prodrec, else REPO/src/prodrec (a
# relative path is taken from the working directory).  When it is not an
# executable file, says so and exits 1 (in $(...), the caller's set -e then
# stops it).
sandbox_prodrec() {
	local prodrec=${PRODREC_BIN:-${BUILD_DIR:-$1}/src/prodrec}
	case $prodrec in /*) ;; *) prodrec=$(pwd)/$prodrec ;; esac
	if [ ! -x "$prodrec" ]; then
		echo "${me:-${0##*/}}: no prodrec binary at $prodrec (set PRODREC_BIN)" >&2
		exit 1
	fi
	printf '%s\n' "$prodrec"
}

# sandbox_db_socket
# Prints the real path (links resolved, as far as they resolve) of the
# MariaDB socket $PRODREC_DB_SOCKET (a relative path is taken from the
# working directory): a link in a directory the server's user cannot
# search is no use to it.  When PRODREC_DB_SOCKET is unset or empty, says
# so and exits 1 (in $(...), the caller's set -e then stops it).
sandbox_db_socket() {
	local db_socket=${PRODREC_DB_SOCKET:-}
	if [ -z "$db_socket" ]; then
		echo "${me:-${0##*/}}: set PRODREC_DB_SOCKET (e.g. run/db/mysqld.sock)" >&2
		exit 1
	fi
	case $db_socket in /*) ;; *) db_socket=$(pwd)/$db_socket ;; esac
	readlink -f -- "$db_socket" || echo "$db_socket"
}

# unix_sockets PREFIX
# Prints "INODE STATE PATH" for each unix socket of /proc/net/unix whose
# path starts with PREFIX. The path is the rest of the line after seven
# fields: it may hold spaces.
unix_sockets() {
	awk -v pfx="$1" 'NR > 1 {
		path = $0
		for (i = 0; i < 7; i++)
			sub(/^ *[^ ]+ /, "", path)
		if (index(path, pfx) == 1)
			print $7, $6, path
	}' /proc/net/unix
}

# socket_holders PREFIX
# Prints, one a line and sorted, the pids of the processes holding a unix
# socket whose path starts with PREFIX (see unix_sockets), found through
# their file descriptors, so that even processes their server lost track
# of are found; prints nothing when there is no such socket.  Always
# returns 0.
socket_holders() {
	local inodes pid fd link
	inodes=$(unix_sockets "$1" |
	    awk '{ printf "socket:[%s]\n", $1 }')
	[ -n "$inodes" ] || return 0
	for fd in /proc/[0-9]*/fd/*; do
		link=$(readlink "$fd" 2>/dev/null) || continue
		case $link in socket:*) ;; *) continue ;; esac
		if grep -qxF -- "$link" <<<"$inodes"; then
			pid=${fd#/proc/}
			echo "${pid%%/*}"
		fi
	done | sort -u
}
