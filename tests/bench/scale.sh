#!/bin/bash
# scale.sh: sipcfgd at a provider's scale (issue 11), against nginx in the
# same run.  For each N it builds a store of N devices, each with its own
# user and password, with `sipcfg import`; starts sipcfgd; and drives it
# with wrk, every request for a random device with that device's own
# Basic credentials, keep-alive and with a new TLS connection per request.
# nginx serves the same bytes (one device's rendered configuration,
# copied into 1,000 files asked for at random) with the same certificate.
# Then a boot storm: distinct devices fetching with Digest and a new TLS
# connection each, through `sipcfg-ua swarm`, failures counted.
#
# With BACKENDS="sqlite pg" (or PG=1) each N is run again on PostgreSQL
# (issue 13): a server of the script's own (initdb in the work directory,
# a Unix socket, fsync off), the same devices imported with
# `sipcfg -d postgresql://... import` (timed), and TWO sipcfgd instances
# on that one database (shared secret_file, the seal key from
# SIPCFG_SEAL_KEY, each with a SIP notifier on UDP).  Then
#   - the same wrk runs against instance A: keep-alive random-device GET
#     against the SQLite run of the same N (issue 13: >= 0.8x);
#   - a database restart (pg_ctl stop -m fast, then start) while wrk
#     drives both instances, keep-alive, with devices whose answers are
#     cached: the errors (non-2xx, connection errors) to them;
#   - commit -> NOTIFY across instances: SUBS devices subscribed at BOTH
#     instances (2 x SUBS dialogs, tests/bench/subswarm.c), K single-device
#     changes each made with `sipcfg var set` (one process each, paced
#     0-20 ms apart once both NOTIFYs came), the time until each
#     instance's subscriber has its NOTIFY: p50/p99 per instance, from
#     sipcfg's exit (the commit returned) and from its start; then one
#     global change to all (it empties both answer caches: last).
# At N = 1,000,000 this takes about an hour on 2 CPUs, most of it the
# PostgreSQL import (about 25 minutes) and the two instances warming
# their caches from it (about 18 minutes).
#
# A benchmark, not a test: not in `make check`; the timings never make it
# fail.  It exits non-zero only if the set-up fails.
#
# usage: tests/bench/scale.sh [N...]       (default: 1000 100000)
# environment:
#   DURATION   seconds per wrk run (default 10)
#   CONNS      wrk connections, keep-alive (default 32); new TLS: 16
#   STORM      devices in the boot storm (default 100000, at most the
#              largest N; 0 skips it)
#   CACHE_MB   answer_cache_mb (default: room for every device, about
#              6 KiB each, plus 64); the RSS figures follow it
#   WARM       cache_warm (default yes; the runs start once warming ended)
#   KEEP=1     keep the work directory
#   BACKENDS   the stores each N is run on, in order: "sqlite" (default),
#              "pg", or "sqlite pg" (PG=1 is short for that)
# PostgreSQL run (BACKENDS has pg):
#   PG_BINDIR  PostgreSQL's bin directory (default the newest
#              /usr/lib/postgresql/*/bin)
#   PG_SHARED_BUFFERS  (default 512MB), PG_MAX_CONN (default 60: each
#              instance holds threads x listeners worker connections plus
#              the feed's, the notifier's, the checker's, bookkeeping's)
#   SUBS       devices subscribed at both instances (default 5000: 10,000
#              subscriptions; at most N)
#   K          single-device changes (default 200; 0 skips the phase)
#   NOTIFY_RATE  each instance's notify_rate (default 2500)
#   RESTART_DURATION  seconds of wrk on both instances around the
#              database restart (default 20; the stop comes at 5 s)
#   RESTART_CONNS     wrk keep-alive connections per instance (default 16)
#   DOWN       seconds between the stop and the start (default 0)
#   The boot storm then goes to the last backend's instance A.
#
# Needs: wrk, nginx (nginx-light), curl, openssl, bc; run as root.
# PostgreSQL run: postgresql (initdb, pg_ctl, psql), cc, libssl-dev,
# libsqlite3-dev.

set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
SIPCFG=${SIPCFG:-$top/sipcfg}
SIPCFGD=${SIPCFGD:-$top/sipcfgd}
UA=${UA:-$top/sipcfg-ua}
NGINX=${NGINX:-nginx}
WRK=${WRK:-wrk}
DURATION=${DURATION:-10}
CONNS=${CONNS:-32}
STORM=${STORM:-100000}
[ $# -gt 0 ] && NS="$*" || NS="1000 100000"
if [ -n "${PG:-}" ] && [ "${PG:-}" != 0 ]; then
	BACKENDS=${BACKENDS:-sqlite pg}
fi
BACKENDS=${BACKENDS:-sqlite}
SUBS=${SUBS:-5000}
K=${K:-200}
NOTIFY_RATE=${NOTIFY_RATE:-2500}
RESTART_DURATION=${RESTART_DURATION:-20}
RESTART_CONNS=${RESTART_CONNS:-16}
DOWN=${DOWN:-0}
CC=${CC:-cc}

die() { echo "scale.sh: set-up failed: $*" >&2; exit 2; }
for t in openssl curl bc "$WRK" "$NGINX"; do
	command -v "$t" >/dev/null 2>&1 || die "$t not installed (apt-get install -y nginx-light wrk curl openssl bc)"
done
[ -x "$SIPCFG" ] && [ -x "$SIPCFGD" ] && [ -x "$UA" ] || die "build first (make -j2)"
[ "$(id -u)" -eq 0 ] || die "run as root (nginx is started here)"
HAVE_PG=
for b in $BACKENDS; do
	case $b in
	sqlite) ;;
	pg) HAVE_PG=1 ;;
	*) die "BACKENDS: $b? (sqlite, pg)" ;;
	esac
done
if [ -n "$HAVE_PG" ]; then
	PGBIN=${PG_BINDIR:-}
	if [ -z "$PGBIN" ]; then
		for d in /usr/lib/postgresql/*/bin; do
			[ -x "$d/initdb" ] && PGBIN=$d
		done
	fi
	[ -n "$PGBIN" ] && [ -x "$PGBIN/initdb" ] && [ -x "$PGBIN/pg_ctl" ] &&
	    [ -x "$PGBIN/psql" ] ||
	    die "PostgreSQL not installed (apt-get install -y postgresql; or PG_BINDIR)"
	command -v "$CC" >/dev/null 2>&1 || die "$CC not installed (subswarm)"
fi

W=$(mktemp -d "${TMPDIR:-/tmp}/sipcfg-scale.XXXXXX") || die "mktemp"
DPID= NPID= BPID= PGUP= PGAS=
cleanup() {
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	[ -n "$BPID" ] && kill "$BPID" 2>/dev/null && wait "$BPID" 2>/dev/null
	[ -n "$NPID" ] && kill -QUIT "$NPID" 2>/dev/null && wait "$NPID" 2>/dev/null
	[ -n "$PGUP" ] && $PGAS "$PGBIN/pg_ctl" -D "$W/pg/data" -m immediate \
	    -w stop >/dev/null 2>&1
	if [ -n "${KEEP:-}" ]; then echo "work dir kept: $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
chmod 711 "$W"
mkdir -p "$W/www/f" "$W/logs" "$W/tmp" && chmod -R 755 "$W/www" || die "mkdir"
"$top/certs/mkcert.sh" "$W" localhost >/dev/null || die "certs/mkcert.sh"
now() { date +%s.%N; }
# say WHAT: progress on stderr, with the time and the load (PostgreSQL
# runs: they take long at N = 1,000,000).
say() {
	[ -n "$HAVE_PG" ] &&
	    echo "scale.sh: $(date +%H:%M:%S) (load $(cut -d' ' -f1-3 /proc/loadavg)): $*" >&2
	return 0
}
secs() { echo "scale=2; ($2 - $1) / 1" | bc; }
rss() { awk '/^VmRSS:/ { print int($2 / 1024) }' "/proc/$1/status"; }

# ------------------------------------------------------------------ nginx
cat >"$W/nginx.conf" <<EOF
worker_processes 2;
pid $W/nginx.pid;
error_log $W/logs/error.log warn;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $W/tmp/body;
	proxy_temp_path $W/tmp/proxy;
	fastcgi_temp_path $W/tmp/fastcgi;
	uwsgi_temp_path $W/tmp/uwsgi;
	scgi_temp_path $W/tmp/scgi;
	keepalive_requests 1000000;
	sendfile on;
	server {
		listen 127.0.0.1:NPORT ssl;
		ssl_certificate $W/cert.pem;
		ssl_certificate_key $W/key.pem;
		ssl_protocols TLSv1.2 TLSv1.3;
		ssl_session_cache off;
		ssl_session_tickets off;
		location /f/ {
			root $W/www;
			default_type application/xml;
			add_header Cache-Control "private, max-age=3600";
		}
	}
}
EOF
NPORT=$((20000 + $$ % 30000))
sed -i "s/NPORT/$NPORT/" "$W/nginx.conf"
"$NGINX" -c "$W/nginx.conf" -p "$W" -e "$W/logs/error.log" -g 'daemon off;' \
    >"$W/nginx.out" 2>&1 &
NPID=$!

# ------------------------------------------------------------- wrk scripts
# Device k in [0, N): its MAC is 0x010000000000 + k, its user u<k> with
# password pw<k>, as sipcfg-ua swarm numbers its UAs from the first MAC.
# wrk picks a random one and sends Basic (no challenge round trip, as
# nginx has none).
cat >"$W/dev.lua" <<'EOF'
local N = tonumber(os.getenv("SCALE_N"))
local b = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
local function b64(s)
	return ((s:gsub('.', function(x)
		local r, c = '', x:byte()
		for i = 8, 1, -1 do r = r .. (c % 2 ^ i - c % 2 ^ (i - 1) > 0 and '1' or '0') end
		return r
	end) .. '0000'):gsub('%d%d?%d?%d?%d?%d?', function(x)
		if #x < 6 then return '' end
		local c = 0
		for i = 1, 6 do c = c + (x:sub(i, i) == '1' and 2 ^ (6 - i) or 0) end
		return b:sub(c + 1, c + 1)
	end) .. ({ '', '==', '=' })[#s % 3 + 1])
end
local close = os.getenv("SCALE_CLOSE") == "1"
init = function() math.randomseed(os.time() + math.floor(os.clock() * 1e6)) end
request = function()
	local i = math.random(N) - 1
	local h = { Authorization = "Basic " .. b64("u" .. i .. ":pw" .. i) }
	if close then h["Connection"] = "close" end
	return wrk.format("GET", string.format(
	    "/cfg?sfua-id=urn:uuid:00000000-0000-1000-8000-01%010x&sfua-user=u%d", i, i), h)
end
EOF
cat >"$W/static.lua" <<'EOF'
local close = os.getenv("SCALE_CLOSE") == "1"
request = function()
	local h = {}
	if close then h["Connection"] = "close" end
	return wrk.format("GET", "/f/" .. math.random(1000) .. ".xml", h)
end
EOF
# run URL SCRIPT CLOSE: requests/s, and non-2xx in $W/non
run() {
	c=$CONNS
	[ "$3" = 1 ] && c=16
	SCALE_CLOSE=$3 "$WRK" -t2 -c"$c" -d"${DURATION}s" -s "$2" "$1" >"$W/wrk.out" 2>&1
	awk '/Non-2xx/ { print $NF }' "$W/wrk.out" >"$W/non"
	awk '/^Requests\/sec:/ { print $2 }' "$W/wrk.out"
}

declare -A KA CL NKA NCL IMP UP R0 R1 NON WARMED RW STATS
declare -A PKA PCL PNKA PNCL PIMP PUP PWARM PR0 PR1 PNON PSTATS PSTATSB
declare -A PNA PNB PNSA PNSB PCMD PNSAMP PNEST PFAN PBEXIT
declare -A PRQ PRERR PRDETAIL PRSTOP PRSTART PRLOG PRCACHE
LASTN=
BACKENDS=$(echo $BACKENDS)
LASTB=${BACKENDS##* }

# start_d CONF OUT ERR: a sipcfgd in the background, its pid in SPID_,
# once it printed its ready line.
start_d() {
	"$SIPCFGD" -f "$1" >"$2" 2>"$3" &
	SPID_=$!
	while ! grep -q '^sipcfgd: ready' "$2"; do
		kill -0 "$SPID_" 2>/dev/null || die "sipcfgd ($1): $(tail -3 "$3")"
		sleep 0.01
	done
}
# warmed ERR PID: until warming (cache_warm) ended, with one of these lines.
warmed() {
	while ! grep -qE 'cache: (warmed in|not warming)' "$1"; do
		kill -0 "$2" 2>/dev/null || die "sipcfgd: $(tail -3 "$1")"
		sleep 0.2
	done
}
# cache_stats ERR PID: the cache line SIGUSR1 has it print.
cache_stats() {
	_n0=$(grep -c 'cache: .* answers' "$1")
	kill -USR1 "$2"
	while [ "$(grep -c 'cache: .* answers' "$1")" -le "$_n0" ]; do sleep 0.05; done
	grep 'cache: .* answers' "$1" | tail -1 | sed 's/.*cache: //'
}
# nginx_bytes PORT: the bytes nginx serves, device 1's configuration.
nginx_bytes() {
	curl -sS --cacert "$W/cert.pem" -u u1:pw1 -o "$W/www/one.xml" \
	    "https://127.0.0.1:$1/cfg?sfua-id=urn:uuid:00000000-0000-1000-8000-010000000001&sfua-user=u1" ||
	    die "fetch device 1"
	for k in $(seq 1 1000); do cp "$W/www/one.xml" "$W/www/f/$k.xml"; done
	chmod 644 "$W/www/f/"*
}

run_sqlite() {
	S=$W/s$N.db
	"$SIPCFG" -d "$S" init --realm bench >/dev/null &&
	"$SIPCFG" -d "$S" template add generic "$top/templates/generic.xml" >/dev/null ||
	    die "init"
	t0=$(now)
	"$SIPCFG" -d "$S" import "$W/in.csv" >"$W/import.out" 2>&1 ||
	    die "import of $N: $(tail -3 "$W/import.out")"
	IMP[$N]=$(secs "$t0" "$(now)")
	say "N=$N SQLite: import ${IMP[$N]} s"
	cat >"$W/d.conf" <<EOF
store $S
cert $W/cert.pem
key $W/key.pem
listen 127.0.0.1:0
threads 2
access_log off
max_inflight 100000
auth_fail_limit 100000
auth_fail_limit_addr 1000000
max_per_ip 0
answer_cache_mb ${CACHE_MB:-$((N * 6 / 1024 + 64))}
cache_warm ${WARM:-yes}
EOF
	t0=$(now)
	start_d "$W/d.conf" "$W/d.out" "$W/d.err"
	DPID=$SPID_
	UP[$N]=$(secs "$t0" "$(now)")
	R0[$N]=$(rss "$DPID")
	warmed "$W/d.err" "$DPID"
	WARMED[$N]=$(secs "$t0" "$(now)")
	say "N=$N SQLite: warmed in ${WARMED[$N]} s"
	RW[$N]=$(rss "$DPID")
	DPORT=$(sed -n 's|^sipcfgd: ready https://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$W/d.out" | head -1)
	nginx_bytes "$DPORT"
	export SCALE_N=$N
	KA[$N]=$(run "https://127.0.0.1:$DPORT" "$W/dev.lua" 0); NON[$N]=$(cat "$W/non")
	NKA[$N]=$(run "https://127.0.0.1:$NPORT" "$W/static.lua" 0)
	CL[$N]=$(run "https://127.0.0.1:$DPORT" "$W/dev.lua" 1)
	NCL[$N]=$(run "https://127.0.0.1:$NPORT" "$W/static.lua" 1)
	R1[$N]=$(rss "$DPID")
	STATS[$N]=$(cache_stats "$W/d.err" "$DPID")
	say "N=$N SQLite: keep-alive ${KA[$N]} req/s (nginx ${NKA[$N]}), new TLS ${CL[$N]} (nginx ${NCL[$N]})"
	if [ "$N" != "${NS##* }" ] || [ "$B" != "$LASTB" ]; then
		kill "$DPID"; wait "$DPID" 2>/dev/null; DPID=
		rm -f "$S" "$S"-*
	fi
}

# ------------------------------------------------------------ PostgreSQL
udp_busy() {	# udp_busy PORT: is anything bound to UDP PORT?
	hex=$(printf '%04X' "$1")
	cat /proc/net/udp /proc/net/udp6 2>/dev/null |
	    awk -v p=":$hex" 'substr($2, length($2) - 4) == p { f = 1 }
	        END { exit !f }'
}
udp_port() {	# udp_port [NOT]: a free UDP port, not NOT
	_p=$((20000 + (RANDOM * 7 + $$) % 30000))
	while udp_busy "$_p" || [ "$_p" = "${1:-}" ] || [ "$_p" = "$NPORT" ]; do
		_p=$((20000 + (RANDOM * 7 + $$) % 30000))
	done
	echo "$_p"
}
pg() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }
if [ -n "$HAVE_PG" ]; then
	"$CC" -O2 -Wall -o "$W/subswarm" "$top/tests/bench/subswarm.c" -lssl \
	    -lcrypto -lsqlite3 >"$W/cc.log" 2>&1 ||
	    die "compiling subswarm.c: $(tail -5 "$W/cc.log")"
	# The server: initdb as postgres (when root) in the work directory, a
	# Unix socket there and no TCP, fsync off (nothing here need survive
	# the machine), sized for a million devices and two instances.
	mkdir -p "$W/pg" || die "mkdir"
	if id postgres >/dev/null 2>&1; then u=postgres; else u=nobody; fi
	chown "$u" "$W/pg" || die "chown"
	PGAS="runuser -u $u --"
	$PGAS "$PGBIN/initdb" -D "$W/pg/data" -A trust -U sipcfg -E UTF8 \
	    --no-sync >"$W/pg/initdb.log" 2>&1 ||
	    die "initdb: $(tail -3 "$W/pg/initdb.log")"
	PGOPTS="-c listen_addresses= -k $W/pg -c fsync=off"
	PGOPTS="$PGOPTS -c max_connections=${PG_MAX_CONN:-60}"
	PGOPTS="$PGOPTS -c shared_buffers=${PG_SHARED_BUFFERS:-512MB}"
	PGOPTS="$PGOPTS -c max_wal_size=8GB -c checkpoint_timeout=30min"
	PGOPTS="$PGOPTS -c maintenance_work_mem=256MB"
	pg_start() {
		$PGAS "$PGBIN/pg_ctl" -D "$W/pg/data" -l "$W/pg/server.log" -w \
		    -t 120 -o "$PGOPTS" start >/dev/null 2>&1
	}
	pg_stop() {
		$PGAS "$PGBIN/pg_ctl" -D "$W/pg/data" -m fast -w -t 120 stop \
		    >/dev/null 2>&1
	}
	pg_start || die "pg_ctl start: $(tail -5 "$W/pg/server.log")"
	PGUP=1
	PGADMIN="postgresql:///postgres?host=$W/pg&user=sipcfg"
	# A PostgreSQL store's seal key is a file beside each instance.
	export SIPCFG_SEAL_KEY=$W/seal.key
	head -c 48 /dev/urandom >"$W/secret"
fi

# field FILE KEY WORD: the number after WORD in subswarm's "R KEY ..." line.
field() {
	awk -v k="$2" -v w="$3" '$1 == "R" && $2 == k {
	    for (i = 3; i < NF; i++) if ($i == w) { print $(i + 1); exit } }' "$1"
}
# rval FILE KEY: the value of subswarm's "R KEY ..." line.
rval() {
	awk -v k="$2" '$1 == "R" && $2 == k { $1 = ""; $2 = ""; sub(/^  /, "");
	    print; exit }' "$1"
}
# wrk_errs FILE: requests, errors (non-2xx + socket errors), the detail.
wrk_errs() {
	awk '/requests in/ { r = $1 }
	    /Non-2xx/ { n = $NF }
	    /Socket errors:/ { gsub(",", ""); c = $4; rd = $6; wr = $8; to = $10 }
	    END { printf "%d %d non-2xx %d, connect %d, read %d, write %d, timeout %d\n",
	        r, n + c + rd + wr + to, n, c, rd, wr, to }' "$1"
}

run_pg() {
	DB=s$N
	URI="postgresql:///$DB?host=$W/pg&user=sipcfg"
	pg "$PGADMIN" -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" \
	    >"$W/pg.out" 2>&1 || die "createdb: $(tail -3 "$W/pg.out")"
	"$SIPCFG" -d "$URI" init --realm bench >/dev/null 2>"$W/pg.out" &&
	"$SIPCFG" -d "$URI" template add generic "$top/templates/generic.xml" \
	    >/dev/null 2>>"$W/pg.out" ||
	    die "init on PostgreSQL: $(tail -3 "$W/pg.out")"
	t0=$(now)
	"$SIPCFG" -d "$URI" import "$W/in.csv" >"$W/import.out" 2>&1 ||
	    die "import of $N into PostgreSQL: $(tail -3 "$W/import.out")"
	PIMP[$N]=$(secs "$t0" "$(now)")
	say "N=$N PostgreSQL: import ${PIMP[$N]} s"
	SA=$(udp_port); SB=$(udp_port "$SA")
	for I in a b; do
		[ $I = a ] && SP=$SA || SP=$SB
		cat >"$W/$I.conf" <<EOF
store $URI
seal_key $W/seal.key
secret_file $W/secret
cert $W/cert.pem
key $W/key.pem
listen 127.0.0.1:0
threads 2
access_log off
max_inflight 100000
auth_fail_limit 100000
auth_fail_limit_addr 1000000
max_per_ip 0
answer_cache_mb ${CACHE_MB:-$((N * 6 / 1024 + 64))}
cache_warm ${WARM:-yes}
sip_listen sip:127.0.0.1:$SP
sip_host 127.0.0.1
sub_per_source 10000000
sub_max 10000000
notify_rate $NOTIFY_RATE
EOF
	done
	t0=$(now)
	start_d "$W/a.conf" "$W/a.out" "$W/a.err"; DPID=$SPID_
	start_d "$W/b.conf" "$W/b.out" "$W/b.err"; BPID=$SPID_
	PUP[$N]=$(secs "$t0" "$(now)")
	PR0[$N]="$(rss "$DPID")/$(rss "$BPID")"
	warmed "$W/a.err" "$DPID"
	warmed "$W/b.err" "$BPID"
	PWARM[$N]=$(secs "$t0" "$(now)")
	say "N=$N PostgreSQL: both warmed in ${PWARM[$N]} s"
	DPORT=$(sed -n 's|^sipcfgd: ready https://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$W/a.out" | head -1)
	BPORT=$(sed -n 's|^sipcfgd: ready https://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$W/b.out" | head -1)
	nginx_bytes "$DPORT"
	export SCALE_N=$N
	PKA[$N]=$(run "https://127.0.0.1:$DPORT" "$W/dev.lua" 0); PNON[$N]=$(cat "$W/non")
	PNKA[$N]=$(run "https://127.0.0.1:$NPORT" "$W/static.lua" 0)
	PCL[$N]=$(run "https://127.0.0.1:$DPORT" "$W/dev.lua" 1)
	PNCL[$N]=$(run "https://127.0.0.1:$NPORT" "$W/static.lua" 1)
	say "N=$N PostgreSQL: keep-alive ${PKA[$N]} req/s (nginx ${PNKA[$N]}), new TLS ${PCL[$N]} (nginx ${PNCL[$N]})"

	# A database restart while wrk drives both instances (keep-alive,
	# random devices, all cached by cache_warm: see the cache lines).
	PRCACHE[$N]="A $(cache_stats "$W/a.err" "$DPID" | sed 's/;.*//'); B $(cache_stats "$W/b.err" "$BPID" | sed 's/;.*//')"
	na=$(grep -c 'store cannot be reached' "$W/a.err")
	nb=$(grep -c 'store cannot be reached' "$W/b.err")
	SCALE_CLOSE=0 "$WRK" -t1 -c"$RESTART_CONNS" -d"${RESTART_DURATION}s" \
	    -s "$W/dev.lua" "https://127.0.0.1:$DPORT" >"$W/ra.out" 2>&1 &
	wa=$!
	SCALE_CLOSE=0 "$WRK" -t1 -c"$RESTART_CONNS" -d"${RESTART_DURATION}s" \
	    -s "$W/dev.lua" "https://127.0.0.1:$BPORT" >"$W/rb.out" 2>&1 &
	wb=$!
	sleep 5
	t0=$(now)
	pg_stop || die "pg_ctl stop: $(tail -3 "$W/pg/server.log")"
	t1=$(now)
	sleep "$DOWN"
	t2=$(now)
	pg_start || die "pg_ctl start: $(tail -3 "$W/pg/server.log")"
	t3=$(now)
	PRSTOP[$N]=$(secs "$t0" "$t1")
	PRSTART[$N]=$(secs "$t2" "$t3")
	wait "$wa"; wait "$wb"
	read -r qa ea da <<<"$(wrk_errs "$W/ra.out")"
	read -r qb eb db <<<"$(wrk_errs "$W/rb.out")"
	PRQ[$N]="A $qa, B $qb"
	PRERR[$N]=$((ea + eb))
	PRDETAIL[$N]="A: $da; B: $db"
	say "N=$N PostgreSQL: restart: requests ${PRQ[$N]}, errors ${PRERR[$N]} (${PRDETAIL[$N]})"
	sleep 2
	PRLOG[$N]="A: 'store cannot be reached' $(($(grep -c 'store cannot be reached' "$W/a.err") - na)), 'store is back' $(grep -c 'store is back' "$W/a.err"); B: $(($(grep -c 'store cannot be reached' "$W/b.err") - nb)), $(grep -c 'store is back' "$W/b.err")"

	# commit -> NOTIFY across the instances: SUBS devices subscribed at
	# both, K changes made with sipcfg.
	if [ "$K" -gt 0 ]; then
		ns=$SUBS
		[ "$ns" -gt "$N" ] && ns=$N
		pg "$URI" -At -F "$(printf '\t')" -c "SELECT d.sfua_id, m.token,
		    l.username, l.realm, l.ha1, l.aor FROM monitors m
		    JOIN devices d ON d.id = m.device_id JOIN lines l
		    ON l.device_id = d.id AND l.position = (SELECT min(position)
		    FROM lines WHERE device_id = d.id) ORDER BY d.id LIMIT $ns" \
		    >"$W/subs.tsv" 2>"$W/pg.out" ||
		    die "subscribers: $(tail -3 "$W/pg.out")"
		cat >"$W/commit.sh" <<EOF
#!/bin/sh
# commit.sh LAYER SCOPE NAME VALUE: one change, made with sipcfg.
if [ "\$1" = global ]; then
	exec "$SIPCFG" -d "$URI" var set global "\$3" "\$4" --string
fi
exec "$SIPCFG" -d "$URI" var set "\$1" "\$2" "\$3" "\$4" --string
EOF
		chmod 755 "$W/commit.sh"
		"$W/subswarm" run --list "$W/subs.tsv" --sip "127.0.0.1:$SA" \
		    --sip2 "127.0.0.1:$SB" --n "$ns" --k "$K" --pid "$DPID" \
		    --realm bench --commit-cmd "$W/commit.sh" \
		    >"$W/sw$N.out" 2>"$W/sw$N.err" ||
		    die "subswarm: $(grep -v '^subswarm:  ' "$W/sw$N.err" | tail -5)"
		f=$W/sw$N.out
		for x in a b; do
			v=$(printf 'p50 %s p99 %s max %s' "$(field "$f" single_ms_$x p50)" \
			    "$(field "$f" single_ms_$x p99)" "$(field "$f" single_ms_$x max)")
			[ $x = a ] && PNA[$N]=$v || PNB[$N]=$v
			v=$(printf 'p50 %s p99 %s' "$(field "$f" single_start_ms_$x p50)" \
			    "$(field "$f" single_start_ms_$x p99)")
			[ $x = a ] && PNSA[$N]=$v || PNSB[$N]=$v
		done
		PCMD[$N]="p50 $(field "$f" single_cmd_ms p50) p99 $(field "$f" single_cmd_ms p99)"
		PNSAMP[$N]=$(rval "$f" single_samples)
		PNEST[$N]=$(rval "$f" establish_ok)
		PBEXIT[$N]=$(rval "$f" single_before_exit | sed 's/ (.*//')
		say "N=$N PostgreSQL: commit -> NOTIFY A ${PNA[$N]}; B ${PNB[$N]}"
		PFAN[$N]="$(rval "$f" fanout_received), the last $(rval "$f" fanout_last_seconds | sed 's/ (.*//') s after sipcfg started"
		grep '^R anomaly ' "$f" | sed "s/^R anomaly /  N=$N subswarm: /" >"$W/anom$N"
	fi

	PR1[$N]="$(rss "$DPID")/$(rss "$BPID")"
	PSTATS[$N]=$(cache_stats "$W/a.err" "$DPID")
	PSTATSB[$N]=$(cache_stats "$W/b.err" "$BPID")
	if [ "$N" != "${NS##* }" ] || [ "$B" != "$LASTB" ]; then
		kill "$DPID" "$BPID"; wait "$DPID" "$BPID" 2>/dev/null; DPID= BPID=
		pg "$PGADMIN" -c "DROP DATABASE $DB" >/dev/null 2>&1
	fi
}

for N in $NS; do
	awk -v n="$N" 'BEGIN {
		print "device,vendor,model,user,password,line1.aor,line1.username,line1.password";
		for (i = 0; i < n; i++)
			printf "01%010x,examplecorp.com,HypoComm,u%d,pw%d,sip:u%d@example.net,u%d,lp%d\n", i, i, i, i, i, i;
	}' >"$W/in.csv"
	for B in $BACKENDS; do
		"run_$B"
	done
	rm -f "$W/in.csv"
	LASTN=$N
done

# ------------------------------------------------------------- boot storm
STORMLINE="skipped"
if [ "$STORM" -gt 0 ]; then
	[ "$STORM" -gt "$LASTN" ] && STORM=$LASTN
	t0=$(now)
	"$UA" swarm "$STORM" -q -b "https://127.0.0.1:$DPORT/cfg" -m 010000000000 \
	    -u 'u%d' -p 'pw%d' --cafile "$W/cert.pem" --duration 1 \
	    --retries 1 >"$W/storm.json" 2>"$W/storm.err"
	STORMLINE="$STORM devices in $(secs "$t0" "$(now)") s: $(head -c 400 "$W/storm.json")"
fi

# ------------------------------------------------------------------ table
HAVE_SQLITE=
case " $BACKENDS " in *" sqlite "*) HAVE_SQLITE=1 ;; esac
if [ -n "$HAVE_SQLITE" ]; then
echo
echo "sipcfgd at scale vs nginx (same bytes, same certificate), 127.0.0.1, $(nproc) CPUs"
echo "wrk -t2 -d${DURATION}s: keep-alive -c$CONNS, new TLS connection per request -c16"
echo
printf '%-10s %9s %9s %6s %9s %9s %6s %8s %8s %8s %8s %8s %8s\n' N ka-req/s nginx ratio \
    tls-req/s nginx ratio import-s start-s warm-s rss0-MB rssw-MB rss1-MB
for N in $NS; do
	awk -v n="$N" -v a="${KA[$N]:-0}" -v b="${NKA[$N]:-0}" -v c="${CL[$N]:-0}" \
	    -v d="${NCL[$N]:-0}" -v i="${IMP[$N]}" -v u="${UP[$N]}" \
	    -v r0="${R0[$N]}" -v r1="${R1[$N]}" -v w="${WARMED[$N]}" \
	    -v rw="${RW[$N]}" 'BEGIN {
		printf "%-10s %9.0f %9.0f %5.2fx %9.0f %9.0f %5.2fx %8s %8s %8s %8s %8s %8s\n",
		    n, a, b, (b > 0 ? a / b : 0), c, d, (d > 0 ? c / d : 0), i, u, w, r0, rw, r1 }'
	[ -n "${NON[$N]}" ] && echo "  (N=$N: ${NON[$N]} non-2xx answers in the keep-alive run)"
	echo "  N=$N cache: ${STATS[$N]}"
done
first=${NS%% *}
awk -v a="${KA[$LASTN]:-0}" -v b="${KA[$first]:-0}" -v l="$LASTN" -v f="$first" \
    'BEGIN { printf "\nkeep-alive N=%s vs N=%s: %.2fx\n", l, f, (b > 0 ? a / b : 0) }'
fi

if [ -n "$HAVE_PG" ]; then
echo
echo "PostgreSQL $("$PGBIN/postgres" --version | awk '{ print $3 }') (Unix socket, fsync off," \
    "shared_buffers ${PG_SHARED_BUFFERS:-512MB}): two sipcfgd instances, A and B, on one database"
echo "wrk against A as above; ka ratio: against the SQLite run of the same N in this run"
echo
printf '%-10s %9s %9s %6s %9s %9s %9s %9s %8s %8s %11s %11s\n' N ka-req/s sqlite ratio \
    tls-req/s sqlite import-s sqlite-s start-s warm-s rss0-MB rss1-MB
for N in $NS; do
	awk -v n="$N" -v a="${PKA[$N]:-0}" -v b="${KA[$N]:-0}" -v c="${PCL[$N]:-0}" \
	    -v d="${CL[$N]:-0}" -v i="${PIMP[$N]}" -v si="${IMP[$N]:--}" \
	    -v u="${PUP[$N]}" -v w="${PWARM[$N]}" -v r0="${PR0[$N]}" \
	    -v r1="${PR1[$N]}" 'BEGIN {
		printf "%-10s %9.0f %9.0f %5.2fx %9.0f %9.0f %9s %9s %8s %8s %11s %11s\n",
		    n, a, b, (b > 0 ? a / b : 0), c, d, i, si, u, w, r0, r1 }'
	[ -n "${PNON[$N]}" ] && echo "  (N=$N: ${PNON[$N]} non-2xx answers in the keep-alive run)"
	echo "  N=$N nginx, the same bytes: keep-alive ${PNKA[$N]} req/s, new TLS ${PNCL[$N]} req/s"
	awk -v a="${PKA[$N]:-0}" -v na="${PNKA[$N]:-0}" -v b="${KA[$N]:-0}" -v nb="${NKA[$N]:-0}" \
	    -v n="$N" 'BEGIN { if (na > 0 && b > 0 && nb > 0)
		printf "  N=%s keep-alive, each against nginx in its own run: PostgreSQL %.2fx, SQLite %.2fx; PostgreSQL vs SQLite so: %.2fx\n",
		    n, a / na, b / nb, (a / na) / (b / nb) }'

	if [ "$K" -gt 0 ]; then
		echo "  N=$N commit -> NOTIFY, $(echo "${PNEST[$N]}" | awk '{ print $1 }') subscriptions" \
		    "($(( ${SUBS} < N ? SUBS : N )) devices at both instances), ${PNSAMP[$N]} NOTIFYs of $K sipcfg changes:"
		echo "      A: ${PNA[$N]} ms; B: ${PNB[$N]} ms (from sipcfg's exit, the commit returned)"
		echo "      from sipcfg's start: A ${PNSA[$N]} ms; B ${PNSB[$N]} ms;" \
		    "sipcfg ran ${PCMD[$N]} ms; NOTIFYs before sipcfg exited: ${PBEXIT[$N]}"
		echo "      fan-out of one global change: ${PFAN[$N]}"
		[ -s "$W/anom$N" ] && cat "$W/anom$N"
	fi
	echo "  N=$N database restart (stop -m fast ${PRSTOP[$N]} s, start ${PRSTART[$N]} s, DOWN ${DOWN} s)" \
	    "under wrk -c$RESTART_CONNS per instance for ${RESTART_DURATION} s:"
	echo "      requests ${PRQ[$N]}; errors ${PRERR[$N]} (${PRDETAIL[$N]})"
	echo "      cached before: ${PRCACHE[$N]}; logged: ${PRLOG[$N]}"
	echo "  N=$N cache A: ${PSTATS[$N]}"
	echo "  N=$N cache B: ${PSTATSB[$N]}"
done
# Issue 13's targets, at the last N.
verdict() {	# verdict OK-EXPRESSION (awk, on v)
	awk -v v="$1" "BEGIN { if (v == \"\" || v == \"nan\") print \"n/a\"; else print ($2) ? \"met\" : \"MISSED\" }"
}
N=$LASTN
ratio=$(awk -v a="${PKA[$N]:-0}" -v b="${KA[$N]:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b }')
nratio=$(awk -v a="${PKA[$N]:-0}" -v na="${PNKA[$N]:-0}" -v b="${KA[$N]:-0}" -v nb="${NKA[$N]:-0}" \
    'BEGIN { if (na > 0 && b > 0 && nb > 0) printf "%.2f", (a / na) / (b / nb) }')
pa=$(echo "${PNA[$N]:-}" | awk '{ print $4 }')
pb=$(echo "${PNB[$N]:-}" | awk '{ print $4 }')
pmax=$(awk -v a="$pa" -v b="$pb" 'BEGIN { if (a != "" && b != "") print (a + 0 > b + 0 ? a : b) }')
echo
echo "issue 13 targets at N=$N:"
printf '  %-52s %-22s %s\n' "keep-alive random-device GET, PostgreSQL vs SQLite" \
    "${ratio:-n/a}x" ">= 0.8x: $(verdict "$ratio" 'v >= 0.8')"
printf '  %-52s %-22s %s\n' "  the same, each against nginx in its own run" \
    "${nratio:-n/a}x" ">= 0.8x: $(verdict "$nratio" 'v >= 0.8')"
printf '  %-52s %-22s %s\n' "import of $N devices into PostgreSQL" "${PIMP[$N]} s" \
    "< 120 s: $(verdict "${PIMP[$N]}" 'v < 120')"
printf '  %-52s %-22s %s\n' "commit -> NOTIFY p99 across instances (A / B)" "$pa / $pb ms" \
    "< 300 ms: $(verdict "$pmax" 'v < 300')"
printf '  %-52s %-22s %s\n' "errors during the database restart" "${PRERR[$N]}" \
    "0: $(verdict "${PRERR[$N]}" 'v == 0')"
fi
echo "boot storm (sipcfg-ua swarm, Digest, a new TLS connection each): $STORMLINE"
exit 0
