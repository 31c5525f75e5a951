#!/bin/sh
# config: sipcfgd.conf errors name file:line and stop the daemon; -n
# checks a configuration; the busy_connections soft limit answers 503
# with Retry-After while too many connections are open, then serves again.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
make_store
conf() { printf '%s\n' "store $STORE" "cert $CERT" "key $W/key.pem" "$@" > "$W/c.conf"; }
bad() {	# bad DESCRIPTION EXPECTED-MESSAGE CONFIG-LINE...
	d=$1; m=$2; shift 2
	conf "$@"
	out=$("$SIPCFGD" -n -f "$W/c.conf" 2>&1); rc=$?
	if [ $rc -ne 0 ] && printf '%s' "$out" | grep -q -- "$m"; then ok "$d" 0
	else ok "$d (rc $rc: $out)" 1; fi
}
# Bad input first.
bad "unknown directive names file:line" "c.conf:4: bogus: unknown directive" "bogus 1"
bad "value out of range" "c.conf:4: threads: expected 1..64" "threads 0"
bad "not a number" "expected 1..64" "threads many"
bad "bad listen" "expected host:port" "listen 127.0.0.1"
bad "bad policy" "expected deny, default or enroll" "unknown_device maybe"
bad "base_path must be absolute" "must start with /" "base_path cfg"
bad "missing value" "missing value" "max_age"
out=$("$SIPCFGD" -n -f "$W/none.conf" 2>&1); rc=$?
ok "missing configuration file: clear error ($out)" "$([ $rc -ne 0 ] && printf '%s' "$out" | grep -q 'none.conf'; echo $?)"
# (An empty database on PostgreSQL: a store not made yet.)
new_store nostore || { echo "Bail out! cannot make an empty database"; exit 99; }
printf '%s\n' "store $NEW_STORE" "cert $CERT" "key $W/key.pem" > "$W/c2.conf"
out=$("$SIPCFGD" -n -f "$W/c2.conf" 2>&1); rc=$?
ok "missing store: says to run sipcfg init" "$([ $rc -ne 0 ] && printf '%s' "$out" | grep -q 'sipcfg init'; echo $?)"
printf '%s\n' "store $STORE" "cert $W/nocert.pem" "key $W/key.pem" > "$W/c3.conf"
out=$("$SIPCFGD" -n -f "$W/c3.conf" 2>&1); rc=$?
ok "missing certificate: clear error" "$([ $rc -ne 0 ] && printf '%s' "$out" | grep -q 'nocert.pem'; echo $?)"

conf "listen 127.0.0.1:0" "unknown_device enroll" "max_age 600"
out=$("$SIPCFGD" -n -f "$W/c.conf" 2>&1); rc=$?
is "-n on a good configuration exits 0" "$rc" 0
contains "-n prints the effective configuration" "$out" "unknown_device enroll"
contains "-n says OK" "$out" "configuration OK"
if [ -n "$PGDB" ]; then
	is "store untouched by -n" "$(sql 'SELECT count(*) FROM devices')" 1
else
	[ -f "$STORE-wal" ] || [ -f "$STORE" ]; ok "store untouched by -n" $?
fi

# The soft connection limit: 2 connections allowed, a third is told 503.
# Only connections that completed a handshake and made a request count.
start_daemon "busy_connections 2" "retry_after 9" "connection_timeout 20"
A="--basic -u alice:$PW"
is "below the limit: 200" "$(status "$BASE?$Q" $A)" 200
# Each s_client holds a connection open until we close its fifo.
mkfifo "$W/in1" "$W/in2"
openssl s_client -connect "127.0.0.1:$PORT" < "$W/in1" > "$W/sc1" 2>&1 &
SC1=$!
openssl s_client -connect "127.0.0.1:$PORT" < "$W/in2" > "$W/sc2" 2>&1 &
SC2=$!
exec 3> "$W/in1" 4> "$W/in2"
i=0
while ! { grep -q '^---' "$W/sc1" && grep -q '^---' "$W/sc2"; } && [ $i -lt 100 ]; do
	sleep 0.05; i=$((i + 1)); done
is "two handshakes without a request do not make it busy: 200" "$(status "$BASE?$Q" $A)" 200
printf 'GET /cfg?%s HTTP/1.1\r\nHost: localhost\r\n\r\n' "$Q" >&3
printf 'GET /cfg?%s HTTP/1.1\r\nHost: localhost\r\n\r\n' "$Q" >&4
i=0
while ! { grep -q '^HTTP/1.1 401' "$W/sc1" && grep -q '^HTTP/1.1 401' "$W/sc2"; } && [ $i -lt 100 ]; do
	sleep 0.05; i=$((i + 1)); done
c -o /dev/null -D "$W/h503" $A "$BASE?$Q"
is "over busy_connections: 503" "$(code "$W/h503")" 503
is "503 has Retry-After" "$(hdr Retry-After "$W/h503")" 9
exec 3>&- 4>&-
wait "$SC1" "$SC2" 2>/dev/null
is "connections closed: served again" "$(status "$BASE?$Q" $A)" 200
stop_daemon
done_testing
