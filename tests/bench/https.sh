#!/bin/bash
# https.sh: compare sipcfgd with nginx serving the same ~4 KiB config over
# HTTPS on loopback.  A benchmark, not a test: it is not part of `make
# check`, and the timings never make it fail.  It exits non-zero only if
# the set-up fails (with a message saying what failed).
#
# usage: tests/bench/https.sh
# environment:
#   DURATION     seconds per wrk run (default 5; "5s" also accepted)
#   CONNS        wrk connections (default 32)
#   WRK_THREADS  wrk threads (default 2)
#   RUNS         runs per server and scenario (default 3; the median is used)
#   KEEP=1       keep the work directory
#
# Needs: openssl, curl, wrk, nginx (Debian: nginx-light), run as root (nginx
# is started with its own config and prefix in the work directory).
#
# Both servers get the same certificate (ECDSA P-256 from certs/mkcert.sh),
# the same body bytes (nginx serves the output of `sipcfg render`), and the
# same wrk command line (an HTTP Basic Authorization header, which nginx
# ignores).  Per scenario the runs alternate between the servers.  nginx
# has TLS session resumption turned off (no session cache, no tickets)
# because sipcfgd (libmicrohttpd + GnuTLS) does not resume sessions, so
# "new TLS connection per request" is a full handshake on both.

set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
SIPCFG=${SIPCFG:-$top/sipcfg}
SIPCFGD=${SIPCFGD:-$top/sipcfgd}
NGINX=${NGINX:-nginx}
WRK=${WRK:-wrk}

DURATION=${DURATION:-5}
case $DURATION in *[0-9]) DURATION=${DURATION}s ;; esac
CONNS=${CONNS:-32}
WRK_THREADS=${WRK_THREADS:-2}
RUNS=${RUNS:-3}

DEV=urn:uuid:00000000-0000-1000-8000-001122334455
PW=bench-secret-pw

die() {
	echo "https.sh: set-up failed: $*" >&2
	exit 2
}

for t in openssl curl "$WRK" "$NGINX"; do
	command -v "$t" >/dev/null 2>&1 ||
	    die "$t not installed (apt-get install -y nginx-light wrk curl openssl)"
done
[ -x "$SIPCFG" ] && [ -x "$SIPCFGD" ] ||
    die "$SIPCFG or $SIPCFGD missing; build with make -j2 in $top"
[ "$(id -u)" -eq 0 ] || die "run as root (nginx is started here)"

W=$(mktemp -d "${TMPDIR:-/tmp}/sipcfg-bench.XXXXXX") || die "mktemp -d"
DPID=
NPID=
cleanup() {
	if [ -n "$DPID" ]; then
		kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	fi
	if [ -n "$NPID" ]; then
		# SIGQUIT: graceful; the master takes its workers with it.
		kill -QUIT "$NPID" 2>/dev/null && wait "$NPID" 2>/dev/null
	fi
	if [ -n "${KEEP:-}" ]; then
		echo "work dir kept: $W"
	else
		rm -rf "$W"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The nginx workers may run as an unprivileged user: let them reach www/.
chmod 711 "$W"
mkdir -p "$W/www" "$W/logs" "$W/tmp" || die "mkdir in $W"
chmod 755 "$W/www"

# ----------------------------------------------------------------- 1. cert
"$top/certs/mkcert.sh" "$W" localhost >/dev/null || die "certs/mkcert.sh"
CERT=$W/cert.pem
KEY=$W/key.pem

# ---------------------------------------------------------------- 2. store
STORE=$W/store.db
sc() { "$SIPCFG" -d "$STORE" "$@"; }
{
	sc init --realm bench &&
	sc template add generic "$top/templates/generic.xml" &&
	printf '%s\n' "$PW" | sc user add alice &&
	sc device add "$DEV" --vendor examplecorp.com --model HypoComm \
	    --user alice &&
	for i in 1 2 3 4; do
		printf 'line-pw-%s\n' "$i" | sc line add "$DEV" \
		    --aor "sip:alice$i@example.net" --username "alice$i" \
		    --proxy sip:proxy.example.net --display "Alice line $i" \
		    --position "$i" || exit 1
	done
} >"$W/store.log" 2>&1 || die "building the store: $(tail -3 "$W/store.log")"

# Pad to ~4 KiB with the global `settings` variable: four lines give about
# 1.6 KiB, each setting about 60 bytes more.
js='['
for i in $(seq 1 42); do
	[ "$i" -gt 1 ] && js="$js,"
	js="$js{\"name\":\"bench.setting.$i\",\"value\":\"value-$i-0123456789\"}"
done
js="$js]"
sc var set global settings "$js" >>"$W/store.log" 2>&1 ||
    die "var set global settings: $(tail -3 "$W/store.log")"
sc render "$DEV" >"$W/www/cfg.xml" 2>"$W/render.hdr" ||
    die "sipcfg render: $(cat "$W/render.hdr")"
chmod 644 "$W/www/cfg.xml"
SIZE=$(wc -c <"$W/www/cfg.xml")
[ "$SIZE" -ge 3584 ] && [ "$SIZE" -le 4608 ] ||
    die "rendered body is $SIZE bytes, want 3.5-4.5 KiB"

# -------------------------------------------------------------- 3. sipcfgd
cat >"$W/sipcfgd.conf" <<EOF
store $STORE
cert $CERT
key $KEY
listen 127.0.0.1:0
threads 2
access_log off
max_inflight 100000
auth_fail_limit 100000
EOF
: >"$W/sipcfgd.out"
"$SIPCFGD" -f "$W/sipcfgd.conf" >"$W/sipcfgd.out" 2>"$W/sipcfgd.err" &
DPID=$!
i=0
while ! grep -q '^sipcfgd: ready' "$W/sipcfgd.out"; do
	if ! kill -0 "$DPID" 2>/dev/null; then
		DPID=
		die "sipcfgd exited: $(tail -5 "$W/sipcfgd.err")"
	fi
	i=$((i + 1))
	[ "$i" -gt 400 ] && die "sipcfgd printed no ready line in 20 s"
	sleep 0.05
done
DPORT=$(sed -n 's|^sipcfgd: ready https://127\.0\.0\.1:\([0-9]*\)/cfg.*|\1|p' \
    "$W/sipcfgd.out" | head -1)
[ -n "$DPORT" ] || die "cannot parse the port from: $(head -1 "$W/sipcfgd.out")"

# ---------------------------------------------------------------- 4. nginx
# A free port: not listening now according to /proc/net/tcp{,6}; if the
# bind still loses a race, the next candidate is tried.
listening() {	# listening PORT: is anything listening on PORT?
	hex=$(printf '%04X' "$1")
	cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
	    awk -v p=":$hex" '$4 == "0A" && substr($2, length($2) - 4) == p \
	        { f = 1 } END { exit !f }'
}
nginx_conf() {	# nginx_conf PORT
	cat >"$W/nginx.conf" <<EOF
worker_processes 2;
pid $W/nginx.pid;
error_log $W/logs/error.log warn;
events {
	worker_connections 4096;
}
http {
	access_log off;
	client_body_temp_path $W/tmp/body;
	proxy_temp_path $W/tmp/proxy;
	fastcgi_temp_path $W/tmp/fastcgi;
	uwsgi_temp_path $W/tmp/uwsgi;
	scgi_temp_path $W/tmp/scgi;
	keepalive_requests 1000000;
	keepalive_timeout 75s;
	sendfile on;
	tcp_nopush on;
	etag on;
	server {
		listen 127.0.0.1:$1 ssl;
		server_name localhost;
		ssl_certificate $CERT;
		ssl_certificate_key $KEY;
		ssl_protocols TLSv1.2 TLSv1.3;
		ssl_session_cache off;
		ssl_session_tickets off;
		location = /cfg {
			alias $W/www/cfg.xml;
			default_type application/xml;
			add_header Cache-Control "private, max-age=3600";
		}
	}
}
EOF
}
NPORT=
base=$((20000 + $$ % 30000))
for try in 0 1 2 3 4 5 6 7 8 9; do
	p=$((base + try * 97))
	listening "$p" && continue
	nginx_conf "$p"
	"$NGINX" -t -q -c "$W/nginx.conf" -p "$W" -e "$W/logs/error.log" \
	    >"$W/nginx.t" 2>&1 || die "nginx -t: $(cat "$W/nginx.t")"
	"$NGINX" -c "$W/nginx.conf" -p "$W" -e "$W/logs/error.log" \
	    -g 'daemon off;' >"$W/nginx.out" 2>&1 &
	NPID=$!
	i=0
	up=
	while kill -0 "$NPID" 2>/dev/null; do
		if [ -s "$W/nginx.pid" ] &&
		    curl -s -k -o /dev/null "https://127.0.0.1:$p/cfg"; then
			up=1
			break
		fi
		i=$((i + 1))
		[ "$i" -gt 400 ] && die "nginx not answering on port $p in 20 s"
		sleep 0.05
	done
	if [ -n "$up" ]; then
		NPORT=$p
		break
	fi
	wait "$NPID" 2>/dev/null
	NPID=
	grep -q 'Address already in use' "$W/logs/error.log" "$W/nginx.out" \
	    2>/dev/null ||
	    die "nginx exited: $(tail -5 "$W/logs/error.log" "$W/nginx.out" 2>/dev/null)"
done
[ -n "$NPORT" ] || die "no free port for nginx"

# ------------------------------------------------------- 5. auth and check
AUTH="Authorization: Basic $(printf 'alice:%s' "$PW" | openssl base64 -A)"
QS="sfua-id=$DEV&sfua-user=alice"
DURL="https://127.0.0.1:$DPORT/cfg?$QS"
NURL="https://127.0.0.1:$NPORT/cfg?$QS"

fetch() {	# fetch NAME URL [curl args]: body to $W/NAME.body, headers .hdr
	n=$1 u=$2
	shift 2
	curl -sS --cacert "$CERT" -H "$AUTH" -D "$W/$n.hdr" -o "$W/$n.body" \
	    -w '%{http_code}' "$@" "$u"
}
hdr() {	# hdr NAME FILE: a header's value
	grep -i "^$1:" "$2" | head -1 | cut -d' ' -f2- | tr -d '\r'
}

code=$(fetch sipcfgd "$DURL") || die "curl to sipcfgd failed"
[ "$code" = 200 ] || die "sipcfgd answered $code: $(head -c 300 "$W/sipcfgd.body")"
code=$(fetch nginx "$NURL") || die "curl to nginx failed"
[ "$code" = 200 ] || die "nginx answered $code: $(head -c 300 "$W/nginx.body")"
cmp -s "$W/sipcfgd.body" "$W/nginx.body" ||
    die "sipcfgd and nginx bodies differ"
DSIZE=$(wc -c <"$W/sipcfgd.body")
NSIZE=$(wc -c <"$W/nginx.body")
echo "body: sipcfgd $DSIZE bytes, nginx $NSIZE bytes (identical)"
DETAG=$(hdr ETag "$W/sipcfgd.hdr")
NETAG=$(hdr ETag "$W/nginx.hdr")
[ -n "$DETAG" ] || die "sipcfgd sent no ETag"
[ -n "$NETAG" ] || die "nginx sent no ETag"
code=$(fetch sipcfgd304 "$DURL" -H "If-None-Match: $DETAG") ||
    die "curl to sipcfgd failed"
[ "$code" = 304 ] || die "sipcfgd answered $code to If-None-Match $DETAG"
code=$(fetch nginx304 "$NURL" -H "If-None-Match: $NETAG") ||
    die "curl to nginx failed"
[ "$code" = 304 ] || die "nginx answered $code to If-None-Match $NETAG"
echo "ETag: sipcfgd $DETAG, nginx $NETAG (both answer 304 to it)"

# What each server negotiates, and whether it keeps the connection open
# (two requests in one curl run: "Re-using existing connection").
tlsinfo() {	# tlsinfo URL: "TLSv1.3 / CIPHER; keep-alive yes|no"
	curl -sS -v --cacert "$CERT" -H "$AUTH" -o /dev/null -o /dev/null \
	    "$1" "$1" 2>&1 | awk '
		/SSL connection using/ && !v { sub(/.*using /, ""); v = $0 }
		/Re-using existing connection/ { r = 1 }
		END { printf "%s; keep-alive %s\n", v, r ? "yes" : "NO" }'
}
kex() {	# kex PORT: the key exchange group, as openssl s_client sees it
	openssl s_client -connect "127.0.0.1:$1" -servername localhost -brief \
	    </dev/null 2>&1 | sed -n 's/^.*Temp Key: *//p' | head -1
}
DTLS=$(tlsinfo "$DURL")
NTLS=$(tlsinfo "$NURL")
echo "TLS: sipcfgd $DTLS; nginx $NTLS"
echo "key exchange: sipcfgd $(kex "$DPORT"); nginx $(kex "$NPORT")"
case $DTLS in *"keep-alive NO"*)
	echo "NOTE: sipcfgd closes the connection after each response" \
	    "(Connection: close), so its keep-alive scenarios also pay a" \
	    "full TLS handshake per request" ;;
esac
LOAD0=$(cut -d" " -f1-3 /proc/loadavg)
echo

# ----------------------------------------------------------- 6. scenarios
exec 3>&1
# wrk_run SERVER SCENARIO RUN URL [wrk -H args]: prints requests/s.
wrk_run() {
	srv=$1 scen=$2 run=$3 url=$4
	shift 4
	out=$W/wrk.$scen.$srv.$run
	"$WRK" -t"$WRK_THREADS" -c"$CONNS" -d"$DURATION" -H "$AUTH" "$@" \
	    "$url" >"$out" 2>&1
	rps=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
	[ -n "$rps" ] || rps=0
	non=$(awk -F: '/Non-2xx or 3xx responses/ { gsub(/ /, "", $2);
	    print $2 }' "$out")
	sock=$(grep 'Socket errors' "$out" | sed 's/^ *//')
	reqs=$(awk '/requests in/ { print $1 }' "$out")
	note=
	if [ -n "$non" ]; then
		note=" WARNING: $non non-2xx/3xx responses"
		echo x >>"$W/warnings"
	fi
	if [ -n "$sock" ]; then
		# Large counts only: compare the sum with the requests done.
		errs=$(printf '%s\n' "$sock" | tr -c '0-9\n' ' ' |
		    awk '{ s = 0; for (i = 1; i <= NF; i++) s += $i; print s }')
		note="$note ($sock)"
		if [ "${reqs:-0}" -gt 0 ] && [ $((errs * 100)) -gt "$reqs" ]; then
			note="$note WARNING: socket errors > 1% of requests"
			echo x >>"$W/warnings"
		fi
	fi
	[ "$rps" = 0 ] && { note="$note WARNING: no result"; echo x >>"$W/warnings"; }
	printf "  %-9s run %d: %10s req/s%s\n" "$srv" "$run" "$rps" "$note" >&3
	echo "$rps"
}
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
    END { if (NR % 2) print v[(NR + 1) / 2];
          else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# scenario KEY LABEL [extra args for sipcfgd] -- [extra args for nginx]
declare -A DMED NMED
scenario() {
	key=$1 label=$2
	shift 2
	dargs=() nargs=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do dargs+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	nargs=("$@")
	echo "$label (wrk -t$WRK_THREADS -c$CONNS -d$DURATION, $RUNS runs each):" >&3
	d=() n=()
	for r in $(seq 1 "$RUNS"); do
		# Alternate which server goes first.
		if [ $((r % 2)) -eq 1 ]; then
			d+=("$(wrk_run sipcfgd "$key" "$r" "$DURL" "${dargs[@]}")")
			n+=("$(wrk_run nginx "$key" "$r" "$NURL" "${nargs[@]}")")
		else
			n+=("$(wrk_run nginx "$key" "$r" "$NURL" "${nargs[@]}")")
			d+=("$(wrk_run sipcfgd "$key" "$r" "$DURL" "${dargs[@]}")")
		fi
	done
	DMED[$key]=$(median "${d[@]}")
	NMED[$key]=$(median "${n[@]}")
}

scenario ka "keep-alive GET" --
scenario c304 "conditional GET (304)" -H "If-None-Match: $DETAG" -- \
    -H "If-None-Match: $NETAG"
scenario close "new TLS connection per request" -H "Connection: close" -- \
    -H "Connection: close"

kill -0 "$DPID" 2>/dev/null || die "sipcfgd died during the runs"
kill -0 "$NPID" 2>/dev/null || die "nginx died during the runs"

# ----------------------------------------------------------------- 7. table
row() {	# row LABEL KEY TARGET
	dm=${DMED[$2]} nm=${NMED[$2]}
	awk -v l="$1" -v d="$dm" -v n="$nm" -v t="$3" 'BEGIN {
		r = n > 0 ? d / n : 0
		v = "-"
		if (t != "-") { m = substr(t, 3) + 0; v = r >= m ? "met" : "BELOW" }
		printf "%-26s %14.0f %13.0f %6.2fx   %-7s %s\n", l, d, n, r, t, v
	}'
}
echo
echo "sipcfgd vs nginx, HTTPS on 127.0.0.1, median of $RUNS runs of $DURATION"
echo "body $DSIZE bytes; CPUs: $(nproc); wrk -t$WRK_THREADS -c$CONNS;" \
    "sipcfgd threads 2, nginx worker_processes 2"
echo "load average before $LOAD0, after $(cut -d" " -f1-3 /proc/loadavg)"
echo "$("$NGINX" -v 2>&1 | head -1); $("$WRK" --version 2>&1 | head -1)"
echo
printf '%-26s %14s %13s %7s   %-7s %s\n' scenario "sipcfgd req/s" \
    "nginx req/s" ratio target ""
row "keep-alive GET" ka ">=0.8x"
row "conditional GET (304)" c304 "-"
row "new TLS conn per request" close ">=0.9x"
WARN=$(cat "$W/warnings" 2>/dev/null | wc -l)
[ "$WARN" -gt 0 ] && echo "($WARN warning(s) above: see the per-run lines)"
exit 0
