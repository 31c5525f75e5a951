#!/bin/bash
# notify.sh: sipcfgd's SIP notifier under N held http-monitor subscriptions
# (RFC 5989 / RFC 6011 §2.5) on loopback UDP, then TLS_N of them over TLS,
# one connection each (issue 12: the TLS figure).  A benchmark, not a test: it
# is not part of `make check`, and the figures never make it fail.  It
# exits non-zero only if the set-up fails (with a message saying what).
#
# usage: tests/bench/notify.sh
# environment:
#   N            subscriptions / devices (default 10000)
#   K            single-device changes measured (default 200)
#   SOCKS        UDP sockets subswarm spreads the dialogs over (default 40)
#   WINDOW       SUBSCRIBE transactions subswarm keeps in flight (default 200)
#   SETTINGS     global `settings` entries, to give the rendered
#                configuration a realistic size (default 42, ~3.5 KiB
#                as in https.sh)
#   SETTLE       seconds to hold all N after establishing before RSS is
#                read again (default 35: sofia keeps each completed
#                SUBSCRIBE transaction, 401s included, 32 s over UDP)
#   EXPIRES      Expires subswarm asks for (default 3600 = sub_max_expires;
#                60, the minimum, makes it refresh every ~30 s)
#   TERM_PHASE=0 skip the shutdown phase (SIGTERM while holding N), over
#                UDP and over TLS
#   NOTIFY_RATE  sipcfgd's notify_rate (default 2500, the daemon's own;
#                issue 12 measures at 10000)
#   CONF_EXTRA   more sipcfgd.conf lines (newline-separated), e.g.
#                "cache_warm no" to leave the HTTPS side's answer cache
#                out of the RSS figures
#   TLS_N        subscriptions over TLS in the TLS phase (default 10000;
#                0 skips the phase)
#   TLS_WINDOW   TLS connections subswarm has between connect() and the
#                answer to their SUBSCRIBE at a time, i.e. at most so many
#                handshakes in flight (default 50)
#   TLS_SETTLE   SETTLE of the TLS phase (default 10: over a reliable
#                transport sofia keeps no completed transaction, RFC 3261
#                §17.2.2 Timer J = 0)
#   TLS_K        K of the TLS phase (default K)
#   KEEP=1       keep the work directory
#   CC           C compiler (default cc)
#
# What happens: a store with N devices is bulk-loaded with sqlite3 (SQL from
# `subswarm sql`: per device one user and line 1 with username = user
# name, fixed password, Digest HA1 computed in C; the store's trigger gives
# each device its monitor token), sipcfgd starts with
#   sip_listen sip:127.0.0.1:PORT;transport=udp
# and default pacing (notify_rate, sub_*_expires untouched), and subswarm
# (tests/bench/subswarm.c) subscribes to all N, then measures
#   - establish: SUBSCRIBE / 401 / Digest SUBSCRIBE / 200 / NOTIFY for all
#   - single:    K changes of one device's `ntp_server` (layer device),
#                committed with libsqlite3, each to a different device;
#                commit returned -> NOTIFY with the new ETag received
#   - fan-out:   one change of the global `timezone`: commit -> the last of
#                the N NOTIFYs received (each answered 200 at once)
#   - no-op:     a global variable no template uses: NOTIFYs (want 0) and
#                the daemon CPU it costs
#   - probes:    while idle, during the fan-out and after the no-op change,
#                a refresh SUBSCRIBE (Digest) every 100 ms, timed to its
#                200: how long a phone waits while the notifier is busy
#   - shutdown:  SIGTERM with N held: the terminated NOTIFYs
# and reads sipcfgd's VmRSS before subscribing and while holding N, and its
# per-thread CPU time per phase from /proc.
#
# The TLS phase (TLS_N > 0) comes after: the UDP sipcfgd is stopped, a second
# one starts on the same store with only
#   sip_listen sips:127.0.0.1:PORT
# (the bench certificate from certs/mkcert.sh), and subswarm --transport tls
# makes TLS_N TLS connections to it, one per subscription as TLS_N phones
# would (TLS 1.2 or 1.3, the certificate not checked), at most TLS_WINDOW
# handshakes at a time, and runs the same phases over them: the time to
# establish all (connect, handshake, SUBSCRIBE / 401 / Digest SUBSCRIBE / 200
# / NOTIFY), sipcfgd's VmRSS before and while holding TLS_N, RSS per TLS
# subscription, then single, fan-out and shutdown as above, every NOTIFY
# arriving on the subscription's own connection.  The store holds
# max(N, TLS_N) devices; each phase uses the first N (TLS_N) of them.
# The shell's and so the daemons' and subswarm's open-files limit is raised
# to the hard limit (ulimit -n); TLS_N needs it above TLS_N + 64.
#
# sipcfgd.conf also has auth_fail_limit 100000 (as in https.sh; env
# AUTH_FAIL_LIMIT) and sub_per_source 10000000: every subscriber here
# comes from 127.0.0.1.  sub_max stays at its default (100000), above any
# TLS_N an open-files limit allows here.

set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
SIPCFG=${SIPCFG:-$top/sipcfg}
SIPCFGD=${SIPCFGD:-$top/sipcfgd}
CC=${CC:-cc}
N=${N:-10000}
K=${K:-200}
SOCKS=${SOCKS:-40}
WINDOW=${WINDOW:-200}
SETTINGS=${SETTINGS:-42}
TERM_PHASE=${TERM_PHASE:-1}
TLS_N=${TLS_N:-10000}
TLS_WINDOW=${TLS_WINDOW:-50}
TLS_SETTLE=${TLS_SETTLE:-10}
TLS_K=${TLS_K:-$K}
SETTLE=${SETTLE:-35}
EXPIRES=${EXPIRES:-3600}
NOTIFY_RATE=${NOTIFY_RATE:-2500}
AUTH_FAIL_LIMIT=${AUTH_FAIL_LIMIT:-100000}
REALM=bench
LINEPW=bench-line-pw

die() {
	echo "notify.sh: set-up failed: $*" >&2
	exit 2
}

for t in "$CC" sqlite3 openssl curl; do
	command -v "$t" >/dev/null 2>&1 ||
	    die "$t not installed (apt-get install -y gcc sqlite3 openssl curl libssl-dev libsqlite3-dev)"
done
[ -x "$SIPCFG" ] && [ -x "$SIPCFGD" ] ||
    die "$SIPCFG or $SIPCFGD missing; build with make -j2 in $top"
case $N in ''|*[!0-9]*|0) die "N=$N: expected a positive number" ;; esac
case $TLS_N in ''|*[!0-9]*) die "TLS_N=$TLS_N: expected a number" ;; esac
NDEV=$N
[ "$TLS_N" -gt "$N" ] && NDEV=$TLS_N
# One descriptor per TLS connection, in sipcfgd and in subswarm.
ulimit -n "$(ulimit -Hn)" 2>/dev/null
NOFILE=$(ulimit -n)
if [ "$TLS_N" -gt 0 ] && [ "$NOFILE" != unlimited ] &&
    [ "$NOFILE" -lt $((TLS_N + 64)) ]; then
	die "TLS_N=$TLS_N needs an open-files limit above $((TLS_N + 64)); the hard limit is $NOFILE"
fi

W=$(mktemp -d "${TMPDIR:-/tmp}/sipcfg-notify.XXXXXX") || die "mktemp -d"
DPID=
stop_daemon() {
	if [ -n "$DPID" ] && kill -0 "$DPID" 2>/dev/null; then
		kill "$DPID" 2>/dev/null
		# It may be sending N terminating NOTIFYs: give it time.
		for _ in $(seq 1 300); do
			kill -0 "$DPID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$DPID" 2>/dev/null
		wait "$DPID" 2>/dev/null
	fi
	DPID=
}
cleanup() {
	stop_daemon
	if [ -n "${KEEP:-}" ]; then
		echo "work dir kept: $W"
	else
		rm -rf "$W"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# -------------------------------------------------------- 1. the tool
"$CC" -O2 -Wall -o "$W/subswarm" "$top/tests/bench/subswarm.c" -lssl \
    -lcrypto -lsqlite3 >"$W/cc.log" 2>&1 ||
    die "compiling subswarm.c: $(tail -5 "$W/cc.log")"

# ----------------------------------------------------- 2. cert, store
"$top/certs/mkcert.sh" "$W" localhost >/dev/null || die "certs/mkcert.sh"
STORE=$W/store.db
sc() { "$SIPCFG" -d "$STORE" "$@"; }
{
	sc init --realm "$REALM" &&
	sc template add generic "$top/templates/generic.xml"
} >"$W/store.log" 2>&1 || die "building the store: $(tail -3 "$W/store.log")"
if [ "$SETTINGS" -gt 0 ]; then
	js='['
	for i in $(seq 1 "$SETTINGS"); do
		[ "$i" -gt 1 ] && js="$js,"
		js="$js{\"name\":\"bench.setting.$i\",\"value\":\"value-$i-0123456789\"}"
	done
	js="$js]"
	sc var set global settings "$js" >>"$W/store.log" 2>&1 ||
	    die "var set global settings: $(tail -3 "$W/store.log")"
fi
t0=$(date +%s.%N)
"$W/subswarm" sql "$NDEV" "$REALM" --pass "$LINEPW" >"$W/devices.sql" ||
    die "subswarm sql"
sqlite3 "$STORE" <"$W/devices.sql" >"$W/sqlite.log" 2>&1 ||
    die "loading $NDEV devices: $(tail -3 "$W/sqlite.log")"
t1=$(date +%s.%N)
NMON=$(sqlite3 "$STORE" 'SELECT count(*) FROM monitors m JOIN devices d
    ON d.id = m.device_id' 2>"$W/sqlite.log") ||
    die "no monitors table in the store (notifier schema not there?): $(cat "$W/sqlite.log")"
[ "$NMON" -eq "$NDEV" ] || die "$NMON monitor tokens for $NDEV devices"
SAMPLE=$(sqlite3 "$STORE" 'SELECT sfua_id FROM devices ORDER BY id LIMIT 1')
SAMPLEUSER=$(sqlite3 "$STORE" 'SELECT u.name FROM devices d JOIN users u
    ON u.id = d.user_id ORDER BY d.id LIMIT 1')
BODY=$(sc render "$SAMPLE" 2>/dev/null | wc -c)
printf 'store: %d devices loaded in %.2f s; rendered config %d bytes\n' \
    "$NDEV" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" "$BODY"

# ------------------------------------------------------------ 3. sipcfgd
udp_busy() {	# udp_busy PORT: is anything bound to UDP PORT?
	hex=$(printf '%04X' "$1")
	cat /proc/net/udp /proc/net/udp6 2>/dev/null |
	    awk -v p=":$hex" 'substr($2, length($2) - 4) == p { f = 1 }
	        END { exit !f }'
}
tcp_busy() {	# tcp_busy PORT: is anything bound to TCP PORT?
	hex=$(printf '%04X' "$1")
	cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
	    awk -v p=":$hex" 'substr($2, length($2) - 4) == p { f = 1 }
	        END { exit !f }'
}
# start_daemon SIPPORT [sips]: 0 up, 1 port taken, dies otherwise.  With
# sips, a TLS listener only, and the files are sipcfgd-tls.*.
start_daemon() {
	if [ "${2:-}" = sips ]; then
		D=$W/sipcfgd-tls
		LISTEN="sips:127.0.0.1:$1"
	else
		D=$W/sipcfgd
		LISTEN="sip:127.0.0.1:$1;transport=udp"
	fi
	cat >"$D.conf" <<EOF
store $STORE
cert $W/cert.pem
key $W/key.pem
listen 127.0.0.1:0
threads 2
access_log off
auth_fail_limit $AUTH_FAIL_LIMIT
sub_per_source 10000000
sub_max 10000000
notify_rate $NOTIFY_RATE
sip_listen $LISTEN
admin_listen 127.0.0.1:0
${CONF_EXTRA:-}
EOF
	: >"$D.out"
	"$SIPCFGD" -f "$D.conf" >"$D.out" 2>"$D.err" &
	DPID=$!
	i=0
	while ! grep -q '^sipcfgd: ready' "$D.out"; do
		if ! kill -0 "$DPID" 2>/dev/null; then
			wait "$DPID" 2>/dev/null
			DPID=
			grep -qi 'in use' "$D.err" && return 1
			die "sipcfgd exited: $(tail -5 "$D.err")"
		fi
		i=$((i + 1))
		[ "$i" -gt 400 ] && die "sipcfgd printed no ready line in 20 s"
		sleep 0.05
	done
	return 0
}
SPORT=
base=$((20000 + $$ % 30000))
for try in 0 1 2 3 4 5 6 7 8 9; do
	p=$((base + try * 97))
	udp_busy "$p" && continue
	if start_daemon "$p"; then
		SPORT=$p
		break
	fi
done
[ -n "$SPORT" ] || die "no free UDP port for sip_listen"
grep -q "^sipcfgd: sip udp 127.0.0.1:$SPORT\$" "$W/sipcfgd.out" ||
    die "sipcfgd printed no 'sipcfgd: sip udp 127.0.0.1:$SPORT' line (no SIP side yet?): $(cat "$W/sipcfgd.out")"
HPORT=$(sed -n 's|^sipcfgd: ready https://127\.0\.0\.1:\([0-9]*\)/cfg.*|\1|p' \
    "$W/sipcfgd.out" | head -1)
[ -n "$HPORT" ] || die "cannot parse the HTTPS port from: $(cat "$W/sipcfgd.out")"
URL="https://127.0.0.1:$HPORT/cfg?sfua-id=$SAMPLE&sfua-user=$SAMPLEUSER"

# The monitor Link the HTTPS side hands out for the sample device.
code=$(curl -sS --cacert "$W/cert.pem" --digest -u "$SAMPLEUSER:$LINEPW" \
    -D "$W/get.hdr" -o "$W/get.body" -w '%{http_code}' "$URL") ||
    die "curl $URL failed"
[ "$code" = 200 ] || die "GET of the sample device: $code $(head -c 300 "$W/get.body")"
LINK=$(grep -i '^Link:' "$W/get.hdr" | tr -d '\r' | sed 's/^[Ll]ink: *//' |
    paste -sd' ')
echo "sipcfgd: SIP udp 127.0.0.1:$SPORT, HTTPS 127.0.0.1:$HPORT (pid $DPID)"
echo "sample device $SAMPLE: Link ${LINK:-(none)}"
TOKEN=$(sqlite3 "$STORE" "SELECT m.token FROM monitors m JOIN devices d
    ON d.id = m.device_id WHERE d.sfua_id = '$SAMPLE'")
case $LINK in *"sip:$TOKEN@127.0.0.1:$SPORT"*) ;; *)
	echo "NOTE: the Link does not name sip:$TOKEN@127.0.0.1:$SPORT;" \
	    "subswarm subscribes to that URI anyway" ;;
esac
echo

# The admin API (sipcfgd(8) ADMIN API), for the subscription pages.
ADMIN=$(sed -n 's|^sipcfgd: admin ||p' "$W/sipcfgd.out" | head -1)
APITOK=$(sc token add bench --scope read 2>>"$W/store.log") ||
    die "token add: $(tail -1 "$W/store.log")"
# hook-api.sh: a page of 100 subscriptions at the first row, the middle
# and the end of the N held, by offset and by keyset (after= the id of
# the row before), through the API; and the first page with the CLI.
cat >"$W/hook-api.sh" <<'EOF'
W=$1 ADMIN=$2 TOK=$3 N=$4 SIPCFG=$5 STORE=$6
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) * 1000 }'; }
get() {	# get QUERY: ms for GET /api/v1/subscriptions?QUERY (200 or "ERR")
	c=$(curl -sS --cacert "$W/cert.pem" -H "Authorization: Bearer $TOK" \
	    -o "$W/page.json" -w '%{http_code} %{time_total}' \
	    "$ADMIN/api/v1/subscriptions?$1")
	case $c in 200\ *) awk -v t="${c#* }" 'BEGIN { printf "%.1f", t * 1000 }' ;;
	*) echo "ERR(${c%% *})" ;; esac
}
idat() {	# idat ROW: the id of the subscription at row ROW (from 0)
	"$SIPCFG" -d "$STORE" --json subs --offset "$1" --limit 1 |
	    sed -n 's/.*"id": "\(.*\)".*/\1/p' | sed 's|/|%2F|g'
}
out="first $(get limit=100) ms"
for row in $((N / 2)) $((N - 100)); do
	[ "$row" -gt 0 ] || continue
	id=$(idat $((row - 1)))
	out="$out; row $row: offset $(get "limit=100&offset=$row") ms, after $(get "limit=100&after=$id") ms"
done
echo "R api_subs_pages $out"
s=$(date +%s.%N)
"$SIPCFG" -d "$STORE" --json subs --limit 100 >/dev/null 2>&1
echo "R cli_subs_page $(ms "$s" "$(date +%s.%N)") ms"
echo "R rss_after_api $(awk '/^VmRSS/ { print $2 }' /proc/$7/status) kB"
EOF

# --------------------------------------------------------- 4. subswarm
# While all N are held: what `sipcfg subs` lists (and how long it takes).
cat >"$W/hook-held.sh" <<EOF
echo "R rss_split \$(awk '/^(RssAnon|RssFile|RssShmem):/ { printf "%s %s kB ", \$1, \$2 }' /proc/$DPID/status)"
s=\$(date +%s.%N)
if "$SIPCFG" -d "$STORE" --json subs >"$W/subs.json" 2>"$W/subs.err"; then
	n=\$(grep -o '"device"' "$W/subs.json" | wc -l)
	e=\$(date +%s.%N)
	echo "R subs_listed \$n (sipcfg subs took \$(awk -v a="\$s" -v b="\$e" 'BEGIN { printf "%.2f", b - a }') s)"
else
	echo "R subs_listed failed: \$(head -1 "$W/subs.err")"
fi
[ -n "$ADMIN" ] && sh "$W/hook-api.sh" "$W" "$ADMIN" "$APITOK" "$N" "$SIPCFG" "$STORE" "$DPID"
EOF
# After the measurements: the ETag of the last NOTIFY against a GET now.
cat >"$W/hook-end.sh" <<EOF
e=\$(curl -sS --cacert "$W/cert.pem" --digest -u "\$SUBSWARM_USER:$LINEPW" \
    -D - -o /dev/null "https://127.0.0.1:$HPORT/cfg?sfua-id=\$SUBSWARM_SFUA&sfua-user=\$SUBSWARM_USER" |
    tr -d '\r' | awk 'tolower(\$1) == "etag:" { v = \$2 } END { print v }')
echo "R etag_get \$e"
echo "R etag_notify \$SUBSWARM_ETAG"
EOF
targs=()
[ "$TERM_PHASE" = 1 ] && targs=(--term)
LOAD0=$(cut -d" " -f1-3 /proc/loadavg)
"$W/subswarm" run --store "$STORE" --sip "127.0.0.1:$SPORT" --n "$N" \
    --realm "$REALM" --k "$K" --socks "$SOCKS" --window "$WINDOW" \
    --pid "$DPID" --settle "$SETTLE" --expires "$EXPIRES" "${targs[@]}" \
    --hook-held "sh $W/hook-held.sh" \
    --hook-end "sh $W/hook-end.sh" >"$W/results" 2>"$W/subswarm.err" &
SPID=$!
# Progress lines as they come; anomalies in full go to the err file.
tail -f --pid="$SPID" "$W/subswarm.err" 2>/dev/null |
    grep --line-buffered '^subswarm: ' | grep --line-buffered -v ANOMALY &
TPID=$!
wait "$SPID"
src=$?
wait "$TPID"
[ "$src" -eq 0 ] || die "subswarm failed ($src): $(grep -v '^subswarm:  ' "$W/subswarm.err" | tail -5)"

if [ "$TERM_PHASE" = 1 ] && [ -n "$DPID" ]; then
	for _ in $(seq 1 300); do
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$DPID" 2>/dev/null; then
		echo "NOTE: sipcfgd still running 30 s after SIGTERM; killed"
		kill -KILL "$DPID"
	fi
	wait "$DPID"
	echo "sipcfgd exit status after SIGTERM: $?"
	DPID=
fi

# --------------------------------------------------------------- 5. table
RES=$W/results
r() { awk -v k="$1" '$1 == "R" && $2 == k { $1 = ""; $2 = ""; sub(/^  /, "");
    print; exit }' "$RES"; }
field() {	# field KEY WORD: the number after WORD in the value of KEY
	r "$1" | awk -v w="$2" '{ for (i = 1; i < NF; i++) if ($i == w)
	    { print $(i + 1); exit } }'
}
first() { r "$1" | awk '{ print $1 }'; }
verdict() {	# verdict VALUE LIMIT: "met" if VALUE < LIMIT
	awk -v v="$1" -v l="$2" 'BEGIN { if (v == "" || v == "nan" ||
	    v == "-nan") print "n/a"; else print (v + 0 < l + 0) ? "met" : "MISSED" }'
}

P99=$(field single_ms p99)
FANLAST=$(first fanout_last_seconds)
FANGOT=$(r fanout_received)
FANN=$(echo "$FANGOT" | awk '{ print $1 }')
FANOK=$FANLAST
[ "$FANN" = "$N" ] || FANOK=   # not all notified: no verdict on time

echo
echo "sipcfgd SIP notifier, $N http-monitor subscriptions over UDP on 127.0.0.1"
echo "CPUs: $(nproc); sipcfgd threads 2, notify_rate $NOTIFY_RATE, default sub_*_expires;" \
    "subswarm: $SOCKS sockets, $WINDOW SUBSCRIBEs in flight"
echo "rendered config $BODY bytes; load average before $LOAD0," \
    "after $(cut -d" " -f1-3 /proc/loadavg)"
echo
printf '%-44s %-34s %s\n' figure value "target"
row() { printf '%-44s %-34s %s\n' "$1" "$2" "${3:-}"; }
row "subscriptions established" "$(r establish_ok)"
row "time to establish all" "$(first establish_seconds) s ($(first establish_rate))"
row "  SUBSCRIBE..initial NOTIFY per device" "$(r handshake_ms | sed 's/ (.*//') ms"
row "single device: commit -> NOTIFY p50" "$(field single_ms p50) ms"
row "single device: commit -> NOTIFY p99" "$P99 ms (max $(field single_ms max))" \
    "p99 < 300 ms: $(verdict "$P99" 300)"
row "  samples" "$(r single_samples)"
# Issue 12: 100,000 notified in < 15 s at notify_rate 10,000/s; scaled.
FANT=$(awk -v n="$N" -v r="$NOTIFY_RATE" 'BEGIN { printf "%.1f", n / r * 1.5 }')
row "fan-out: commit -> last NOTIFY" "$FANLAST s" \
    "$N notified < $FANT s: $(verdict "$FANOK" "$FANT")"
row "fan-out: NOTIFYs received" "$FANGOT"
row "fan-out: first NOTIFY after commit" "$(r fanout_first_ms) ms"
row "fan-out: NOTIFY rate" "$(r fanout_rate | sed 's/ first-to-last.*//') (first to last)" \
    "(notify_rate $NOTIFY_RATE)"
row "fan-out: per-device latency" "$(r fanout_latency_ms) ms"
RSS0=$(first rss_before)
RSS1=$(first rss_held)
row "sipcfgd VmRSS before subscribing" "$RSS0 kB"
row "sipcfgd VmRSS holding $N (+1.5 s)" "$RSS1 kB"
row "RSS per held subscription (+1.5 s)" "$(r rss_per_sub)"
if [ "$SETTLE" -gt 0 ]; then
	row "sipcfgd VmRSS holding $N (+${SETTLE} s more)" "$(first rss_settled) kB"
	PERSUB=$(r rss_per_sub_settled)
	row "RSS per held subscription (+${SETTLE} s)" "$PERSUB" \
	    "<= 4096 bytes: $(verdict "$(echo "$PERSUB" | awk '{ print $1 }')" 4097)"
fi
row "no-op global change: NOTIFYs" "$(r noop_notifies)"
row "refresh SUBSCRIBE -> 200, idle" "$(r probe_idle | sed 's/^n [0-9]* //')"
row "  the same while establishing" "$(r probe_establish | sed 's/^n [0-9]* //')"
PF=$(r probe_fanout | sed 's/^n [0-9]* //')
PFP99=$(echo "$PF" | awk '{ for (i = 1; i < NF; i++) if ($i == "p99") { print $(i + 1); exit } }')
row "  the same during the fan-out" "$PF" "p99 < 50 ms: $(verdict "$PFP99" 50)"
row "  the same after the no-op change" "$(r probe_noop | sed 's/^n [0-9]* //')"
if [ "$TERM_PHASE" = 1 ]; then
	row "SIGTERM: terminated NOTIFYs" "$(r term_notifies | sed 's/ (.*//')"
	row "SIGTERM: last NOTIFY / exit after" "$(first term_last_seconds) s / $(r term_exit_seconds) s"
	row "SIGTERM: retry-after" "$(r term_retry_after)" "[60, 120]"
fi
EG=$(r etag_get)
EN=$(r etag_notify)
if [ -n "$EG" ] && [ "$EG" = "$EN" ]; then ec="same"; else ec="DIFFERENT"; fi
row "last NOTIFY ETag vs GET (sample device)" "$ec ($EN / $EG)"
row "sipcfg subs while holding" "$(r subs_listed)"
row "sipcfg subs --limit 100 while holding" "$(r cli_subs_page)"
echo "API GET /api/v1/subscriptions?limit=100 while holding $N:"
echo "  $(r api_subs_pages)"
row "sipcfgd VmRSS after those API pages" "$(r rss_after_api)"
row "sipcfgd RSS holding, by kind" "$(r rss_split)"
echo
echo "sipcfgd CPU per phase (from /proc/PID/task/*/stat):"
for k in cpu_establish cpu_idle cpu_single cpu_fanout cpu_noop; do
	v=$(r "$k")
	[ -n "$v" ] && printf '  %-14s %s\n' "${k#cpu_}" "$v"
done
echo
echo "UDP datagrams dropped at sipcfgd's SIP socket (receive buffer full):" \
    "$(r establish_daemon_udp_drops) while establishing," \
    "$(r daemon_udp_drops | sed 's/ (.*//') in the whole run before SIGTERM"
echo "SIP totals: sent $(r sip_sent), received $(r sip_received);" \
    "SUBSCRIBE answers: $(r subscribe_responses);" \
    "SUBSCRIBE retransmissions $(r subscribe_retransmits);" \
    "NOTIFYs $(r notifies); refreshes $(r refreshes)"
fan=$(r fanout_per_500ms)
[ -n "$fan" ] && echo "fan-out NOTIFYs per 500 ms after the commit:$fan"
grep '^R terminated ' "$W/results" | sed 's/^R terminated /terminated NOTIFYs, reason /'
if grep -q '^R anomaly ' "$W/results"; then
	echo
	echo "ANOMALIES (the first of each kind, with what was sent and received," \
	    "are in subswarm's stderr; KEEP=1 keeps $W/subswarm.err):"
	grep '^R anomaly ' "$W/results" | sed 's/^R anomaly /  /'
	echo
	echo "the first of each kind in full (at most 200 lines):"
	awk '/^subswarm: ANOMALY/ { p = 1 } /^subswarm: [^A]/ { p = 0 } p' \
	    "$W/subswarm.err" | head -200 | sed 's/\r$//; s/^/  | /'
fi
if [ -s "$W/sipcfgd.err" ]; then
	echo
	echo "sipcfgd stderr ($(wc -l <"$W/sipcfgd.err") lines), last 10:"
	tail -10 "$W/sipcfgd.err" | sed 's/^/  /'
fi

# ------------------------------------------------------------ 6. over TLS
[ "$TLS_N" -gt 0 ] || exit 0
stop_daemon		# the UDP one, if TERM_PHASE=0 left it running
# TcpExtListenOverflows: connections the kernel dropped because a listen
# queue was full (for the whole machine: on a quiet one, sipcfgd's).
listen_overflows() {
	awk '$1 == "TcpExt:" { if (!h) { for (i = 2; i <= NF; i++) c[$i] = i;
	    h = 1 } else print $c["ListenOverflows"] }' /proc/net/netstat
}
echo
echo "TLS phase: $TLS_N subscriptions, one TLS connection each" \
    "(open-files limit $NOFILE)"
TPORT=
base=$((20000 + ($$ + 4999) % 30000))
for try in 0 1 2 3 4 5 6 7 8 9; do
	p=$((base + try * 97))
	tcp_busy "$p" && continue
	if start_daemon "$p" sips; then
		TPORT=$p
		break
	fi
done
[ -n "$TPORT" ] || die "no free TCP port for sip_listen sips:"
grep -q "^sipcfgd: sip tls 127.0.0.1:$TPORT\$" "$W/sipcfgd-tls.out" ||
    die "sipcfgd printed no 'sipcfgd: sip tls 127.0.0.1:$TPORT' line: $(cat "$W/sipcfgd-tls.out")"
echo "sipcfgd: SIP tls 127.0.0.1:$TPORT (pid $DPID," \
    "open-files limit $(awk '$1 == "Max" && $2 == "open" { print $4 }' \
    "/proc/$DPID/limits"))"
# While all are held: the daemon's descriptors (one per connection).
cat >"$W/hook-held-tls.sh" <<EOF
echo "R daemon_fds \$(ls /proc/$DPID/fd 2>/dev/null | wc -l)"
EOF
"$W/subswarm" run --transport tls --store "$STORE" \
    --sip "127.0.0.1:$TPORT" --n "$TLS_N" --realm "$REALM" --k "$TLS_K" \
    --window "$TLS_WINDOW" --pid "$DPID" --settle "$TLS_SETTLE" \
    --expires "$EXPIRES" --setup-timeout 600 "${targs[@]}" \
    --hook-held "sh $W/hook-held-tls.sh" \
    >"$W/results-tls" 2>"$W/subswarm-tls.err" &
SPID=$!
LOVF0=$(listen_overflows)
tail -f --pid="$SPID" "$W/subswarm-tls.err" 2>/dev/null |
    grep --line-buffered '^subswarm: ' | grep --line-buffered -v ANOMALY &
TPID=$!
wait "$SPID"
src=$?
wait "$TPID"
LOVF1=$(listen_overflows)
[ "$src" -eq 0 ] || die "subswarm --transport tls failed ($src): $(grep -v '^subswarm:  ' "$W/subswarm-tls.err" | tail -5)"
if [ "$TERM_PHASE" = 1 ] && [ -n "$DPID" ]; then
	for _ in $(seq 1 300); do
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$DPID" 2>/dev/null; then
		echo "NOTE: sipcfgd still running 30 s after SIGTERM; killed"
		kill -KILL "$DPID"
	fi
	wait "$DPID"
	echo "sipcfgd exit status after SIGTERM: $?"
	DPID=
fi

RES=$W/results-tls
echo
echo "sipcfgd SIP notifier, $TLS_N http-monitor subscriptions over TLS on" \
    "127.0.0.1, one connection each"
echo "subswarm: at most $TLS_WINDOW connections between connect() and" \
    "their SUBSCRIBE's answer; TLS $(r tls_version)"
echo
printf '%-44s %s\n' figure value
trow() { printf '%-44s %s\n' "$1" "$2"; }
TOK=$(first establish_ok)
trow "TLS subscriptions held" "$(r establish_ok)"
trow "TLS handshakes" "$(r tls_handshakes)"
trow "  connect -> handshake done" "$(r tls_handshake_ms | sed 's/ (.*//') ms"
trow "time to establish all" "$(first establish_seconds) s"
trow "establish rate" "$(first establish_rate) (connect, handshake, SUBSCRIBE/401/SUBSCRIBE/200/NOTIFY)"
trow "  connect..initial NOTIFY per device" "$(r handshake_ms | sed 's/ (.*//') ms"
RSS0=$(first rss_before)
trow "sipcfgd VmRSS before subscribing" "$RSS0 kB"
trow "sipcfgd VmRSS holding $TOK (+1.5 s)" "$(first rss_held) kB"
trow "RSS per TLS subscription (+1.5 s)" "$(r rss_per_sub)"
if [ "$TLS_SETTLE" -gt 0 ]; then
	trow "sipcfgd VmRSS holding $TOK (+${TLS_SETTLE} s more)" "$(first rss_settled) kB"
	trow "RSS per TLS subscription (+${TLS_SETTLE} s)" "$(r rss_per_sub_settled)"
fi
trow "sipcfgd open descriptors holding" "$(r daemon_fds)"
if [ "$TLS_K" -gt 0 ]; then
	trow "single device: commit -> NOTIFY p50/p99" "$(field single_ms p50) / $(field single_ms p99) ms ($(r single_samples))"
fi
trow "fan-out: commit -> last NOTIFY" "$(first fanout_last_seconds) s ($(r fanout_received))"
trow "fan-out: NOTIFY rate" "$(r fanout_rate | sed 's/ first-to-last.*//') (first to last; notify_rate $NOTIFY_RATE)"
if [ "$TERM_PHASE" = 1 ]; then
	trow "SIGTERM: terminated NOTIFYs" "$(r term_notifies | sed 's/ (.*//')"
fi
trow "connections lost before SIGTERM" "$(r tls_closed | awk '{ print $1 }')"
trow "listen queue overflows (SYNs dropped)" "$((LOVF1 - LOVF0)) (TcpExtListenOverflows, whole machine)"
trow "stream" "$(r tls_stream)"
echo
echo "sipcfgd CPU per phase over TLS:"
for k in cpu_establish cpu_idle cpu_single cpu_fanout; do
	v=$(r "$k")
	[ -n "$v" ] && printf '  %-14s %s; subswarm %s\n' "${k#cpu_}" "$v" \
	    "$(r "${k}_subswarm" | sed 's/ (.*//')"
done
echo "SIP totals: sent $(r sip_sent), received $(r sip_received);" \
    "SUBSCRIBE answers: $(r subscribe_responses); NOTIFYs $(r notifies)"
if grep -q '^R anomaly ' "$RES"; then
	echo
	echo "TLS ANOMALIES (KEEP=1 keeps $W/subswarm-tls.err):"
	grep '^R anomaly ' "$RES" | sed 's/^R anomaly /  /'
	echo
	echo "the first of each kind in full (at most 100 lines):"
	awk '/^subswarm: ANOMALY/ { p = 1 } /^subswarm: [^A]/ { p = 0 } p' \
	    "$W/subswarm-tls.err" | head -100 | sed 's/\r$//; s/^/  | /'
fi
if [ -s "$W/sipcfgd-tls.err" ]; then
	echo
	echo "sipcfgd (TLS) stderr ($(wc -l <"$W/sipcfgd-tls.err") lines), last 10:"
	tail -10 "$W/sipcfgd-tls.err" | sed 's/^/  /'
fi
exit 0
