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
#
# Needs: wrk, nginx (nginx-light), curl, openssl, bc; run as root.

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

die() { echo "scale.sh: set-up failed: $*" >&2; exit 2; }
for t in openssl curl bc "$WRK" "$NGINX"; do
	command -v "$t" >/dev/null 2>&1 || die "$t not installed (apt-get install -y nginx-light wrk curl openssl bc)"
done
[ -x "$SIPCFG" ] && [ -x "$SIPCFGD" ] && [ -x "$UA" ] || die "build first (make -j2)"
[ "$(id -u)" -eq 0 ] || die "run as root (nginx is started here)"

W=$(mktemp -d "${TMPDIR:-/tmp}/sipcfg-scale.XXXXXX") || die "mktemp"
DPID= NPID=
cleanup() {
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	[ -n "$NPID" ] && kill -QUIT "$NPID" 2>/dev/null && wait "$NPID" 2>/dev/null
	if [ -n "${KEEP:-}" ]; then echo "work dir kept: $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
chmod 711 "$W"
mkdir -p "$W/www/f" "$W/logs" "$W/tmp" && chmod -R 755 "$W/www" || die "mkdir"
"$top/certs/mkcert.sh" "$W" localhost >/dev/null || die "certs/mkcert.sh"
now() { date +%s.%N; }
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
LASTN=
for N in $NS; do
	S=$W/s$N.db
	"$SIPCFG" -d "$S" init --realm bench >/dev/null &&
	"$SIPCFG" -d "$S" template add generic "$top/templates/generic.xml" >/dev/null ||
	    die "init"
	awk -v n="$N" 'BEGIN {
		print "device,vendor,model,user,password,line1.aor,line1.username,line1.password";
		for (i = 0; i < n; i++)
			printf "01%010x,examplecorp.com,HypoComm,u%d,pw%d,sip:u%d@example.net,u%d,lp%d\n", i, i, i, i, i, i;
	}' >"$W/in.csv"
	t0=$(now)
	"$SIPCFG" -d "$S" import "$W/in.csv" >"$W/import.out" 2>&1 ||
	    die "import of $N: $(tail -3 "$W/import.out")"
	IMP[$N]=$(secs "$t0" "$(now)")
	rm -f "$W/in.csv"
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
	"$SIPCFGD" -f "$W/d.conf" >"$W/d.out" 2>"$W/d.err" &
	DPID=$!
	while ! grep -q '^sipcfgd: ready' "$W/d.out"; do
		kill -0 "$DPID" 2>/dev/null || die "sipcfgd: $(tail -3 "$W/d.err")"
		sleep 0.01
	done
	UP[$N]=$(secs "$t0" "$(now)")
	R0[$N]=$(rss "$DPID")
	# Warming (cache_warm) ends with one of these lines.
	while ! grep -qE 'cache: (warmed in|not warming)' "$W/d.err"; do
		kill -0 "$DPID" 2>/dev/null || die "sipcfgd: $(tail -3 "$W/d.err")"
		sleep 0.2
	done
	WARMED[$N]=$(secs "$t0" "$(now)")
	RW[$N]=$(rss "$DPID")
	DPORT=$(sed -n 's|^sipcfgd: ready https://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$W/d.out" | head -1)
	# The bytes nginx serves: device 1's configuration.
	curl -sS --cacert "$W/cert.pem" -u u1:pw1 -o "$W/www/one.xml" \
	    "https://127.0.0.1:$DPORT/cfg?sfua-id=urn:uuid:00000000-0000-1000-8000-010000000001&sfua-user=u1" ||
	    die "fetch device 1"
	for k in $(seq 1 1000); do cp "$W/www/one.xml" "$W/www/f/$k.xml"; done
	chmod 644 "$W/www/f/"*
	export SCALE_N=$N
	KA[$N]=$(run "https://127.0.0.1:$DPORT" "$W/dev.lua" 0); NON[$N]=$(cat "$W/non")
	NKA[$N]=$(run "https://127.0.0.1:$NPORT" "$W/static.lua" 0)
	CL[$N]=$(run "https://127.0.0.1:$DPORT" "$W/dev.lua" 1)
	NCL[$N]=$(run "https://127.0.0.1:$NPORT" "$W/static.lua" 1)
	R1[$N]=$(rss "$DPID")
	n0=$(grep -c 'cache: .* answers' "$W/d.err")
	kill -USR1 "$DPID"
	while [ "$(grep -c 'cache: .* answers' "$W/d.err")" -le "$n0" ]; do sleep 0.05; done
	STATS[$N]=$(grep 'cache: .* answers' "$W/d.err" | tail -1 | sed 's/.*cache: //')
	LASTN=$N
	if [ "$N" != "${NS##* }" ]; then
		kill "$DPID"; wait "$DPID" 2>/dev/null; DPID=
		rm -f "$S" "$S"-*
	fi
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
echo "boot storm (sipcfg-ua swarm, Digest, a new TLS connection each): $STORMLINE"
exit 0
