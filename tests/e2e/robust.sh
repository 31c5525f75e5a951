#!/bin/sh
# robust: oversized and malformed requests get a 4xx, the daemon stays
# up; the store unavailable gives 503 with Retry-After; a broken template
# is not a crash.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
need_sql
make_store
start_daemon "max_inflight 64"
A="--digest -u alice:$PW"
long=$(head -c 3000 /dev/zero | tr '\0' a)
is "over-long query is 414 or 400" "$(status "$BASE?sfua-id=urn:x:$long" | sed 's/414/4xx/; s/400/4xx/')" 4xx
huge=$(head -c 70000 /dev/zero | tr '\0' a)
code=$(status "$BASE?$Q" -H "X-Big: $huge" 2>/dev/null); crc=$?
# The server may close before curl has sent it all: then curl fails to
# send (55) or to receive (56) instead of reading the 4xx.
case $code/$crc in
4*) ok "oversized header is 4xx ($code)" 0 ;;
000/55|000/56) ok "oversized header: the connection is closed (curl $crc)" 0 ;;
*) ok "oversized header is 4xx ($code, curl $crc)" 1 ;;
esac
is "percent garbage is 400" "$(status "$BASE?sfua-id=%zz")" 400
is "NUL in a value is 400" "$(status "$BASE?sfua-id=urn:x:a%00")" 400
# Raw garbage over TLS, and a request line that is not HTTP.
printf 'GARBAGE\r\n\r\n' | timeout 10 openssl s_client -quiet -connect 127.0.0.1:$PORT >/dev/null 2>&1
printf 'GET /cfg?sfua-id=%s&sfua-user=alice HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Digest ,,,,=\r\n\r\n' "$DEV" |
	timeout 10 openssl s_client -quiet -connect 127.0.0.1:$PORT 2>/dev/null | head -1 > "$W/raw"
contains "hand-made bad Authorization gets 400" "$(cat "$W/raw")" "400"
# RFC 9112 §3.2: more than one Host, or a bad one, is a 400 with a reason.
raw() {	# raw HEADERS: the status line and body of a hand-made request
	printf 'GET /cfg?sfua-id=%s&sfua-user=alice HTTP/1.1\r\n%bConnection: close\r\n\r\n' "$DEV" "$1" |
		timeout 10 openssl s_client -quiet -connect 127.0.0.1:$PORT 2>/dev/null |
		sed -n '1p;$p' | tr -d '\r' | tr '\n' '|'
}
is "two Host headers: 400" "$(raw 'Host: a\r\nHost: b\r\n')" "HTTP/1.1 400 Bad Request|more than one Host header|"
is "a Host with a space: 400" "$(raw 'Host: a b\r\n')" "HTTP/1.1 400 Bad Request|malformed Host header|"
is "a Host with a bad port: 400" "$(raw 'Host: a:12x\r\n')" "HTTP/1.1 400 Bad Request|malformed Host header|"
contains "an IPv6 literal Host is fine (401)" "$(raw 'Host: [::1]:8443\r\n')" "401"
head -c 5000 /dev/urandom | timeout 10 openssl s_client -quiet -connect 127.0.0.1:$PORT >/dev/null 2>&1
head -c 5000 /dev/urandom | curl -s -o /dev/null --max-time 3 "http://127.0.0.1:$PORT/" --data-binary @- 2>/dev/null
ok "daemon alive after garbage" "$(alive; echo $?)"
is "and still serves" "$(status "$BASE?$Q" $A)" 200

# A template that fails to render: a clear error, not a crash.
# (sipcfg refuses it; the store's own shell cannot.)
sql "INSERT INTO templates(name, vendor, model, content_type, body) VALUES ('broken', 'examplecorp.com', 'HypoComm', 'application/xml', '{{#x}}unclosed')"
c -o "$W/b" -D "$W/h" $A "$BASE?$Q"
is "broken template: 500 with a reason" "$(code "$W/h")" 500
contains "the log names the template" "$(cat "$W/daemon.err")" "template broken"
sc template rm broken >/dev/null
is "fixed: 200 again" "$(status "$BASE?$Q" $A)" 200

# Store unavailable: an exclusive lock held past the busy timeout.
stop_daemon
if [ -n "$PGDB" ]; then
	# PostgreSQL: a session holds the devices table locked; the
	# daemon's lock_timeout is the busy timeout.  (No answer cache: it
	# is warmed at start, and answers from it while the database is
	# away, by design.)
	start_daemon "busy_timeout_ms 100" "retry_after 7" "answer_cache_mb 0"
	psql -X -q "$STORE&application_name=robust_lock" -c "BEGIN;
	    LOCK TABLE devices IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(60)" \
	    >/dev/null 2>&1 &
	LPID=$!
	i=0
	while [ "$(sql "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a
	    ON a.pid = l.pid WHERE a.application_name = 'robust_lock'
	    AND l.relation = 'devices'::regclass AND l.granted")" != 1 ] &&
	    [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
else
	start_daemon "busy_timeout_ms 100" "retry_after 7"
	sql "PRAGMA journal_mode=DELETE; BEGIN EXCLUSIVE; SELECT 1;" >/dev/null 2>&1
	# (WAL readers are never blocked; take the file away instead.)
	mv "$STORE" "$STORE.away"; mv "$STORE-wal" "$STORE-wal.away" 2>/dev/null; mv "$STORE-shm" "$STORE-shm.away" 2>/dev/null
	: > "$STORE"; chmod 000 "$STORE"
fi
c -o /dev/null -D "$W/h503" $A "$BASE?$Q"
code=$(code "$W/h503")
is "store unavailable: 503" "$code" 503
is "503 has Retry-After" "$(hdr Retry-After "$W/h503")" 7
if [ -n "$PGDB" ]; then
	sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
	    WHERE application_name = 'robust_lock'" >/dev/null
	wait "$LPID"
else
	rm -f "$STORE"; mv "$STORE.away" "$STORE"; mv "$STORE-wal.away" "$STORE-wal" 2>/dev/null; mv "$STORE-shm.away" "$STORE-shm" 2>/dev/null
fi
ok "daemon alive" "$(alive; echo $?)"
stop_daemon; ok "clean stop" $?
done_testing
