#!/bin/sh
# http: configuration delivery over real TLS with real curl: validation,
# the unknown-device policies, all cache headers, HEAD, 304 both ways,
# 405 with Allow.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
make_store
start_daemon
contains "ready line names the bound address" "$READY" "https://127.0.0.1:$PORT/cfg"
A="--digest -u alice:$PW"

# Bad input first.
is "missing sfua-id is 400" "$(status "$BASE?sfua-user=alice")" 400
body=$(c "$BASE?sfua-user=alice")
is "400 has a one-line reason" "$body" "sfua-id is required"
is "bad URN is 400" "$(status "$BASE?sfua-id=nonsense")" 400
is "bad vendor is 400" "$(status "$BASE?sfua-id=$DEV&sfua-vendor=a..b")" 400
is "duplicate sfua-id is 400" "$(status "$BASE?sfua-id=$DEV&sfua-id=$DEV")" 400
is "other path is 404" "$(status "https://127.0.0.1:$PORT/etc/passwd")" 404
is "POST is 405" "$(status "$BASE?$Q" -X POST -d x=1)" 405
c -o /dev/null -D "$W/h405" -X PUT "$BASE?$Q"
is "405 carries Allow" "$(hdr Allow "$W/h405")" "GET, HEAD"
is "DELETE is 405" "$(status "$BASE?$Q" -X DELETE)" 405
is "unknown device (deny) is 401, like a known one, before authentication" \
	"$(status "$BASE?sfua-id=urn:uuid:00000000-0000-1000-8000-00000000dead")" 401
is "unknown device (deny) is 404 after it" \
	"$(status "$BASE?sfua-id=urn:uuid:00000000-0000-1000-8000-00000000dead&sfua-user=alice" --digest -u "alice:$PW")" 404
is "no credentials is 401" "$(status "$BASE?$Q")" 401

# 200 with every header.
c -D "$W/h200" -o "$W/body" $A "$BASE?$Q"
is "authenticated GET is 200" "$(code "$W/h200")" 200
is "Content-Type" "$(hdr Content-Type "$W/h200")" "application/xml"
ETAG=$(hdr ETag "$W/h200")
LM=$(hdr Last-Modified "$W/h200")
contains "strong ETag" "$ETAG" '"'
case $ETAG in W/*) ok "ETag is not weak" 1 ;; *) ok "ETag is not weak" 0 ;; esac
ok "Last-Modified present" "$([ -n "$LM" ]; echo $?)"
is "Cache-Control" "$(hdr Cache-Control "$W/h200")" "private, max-age=3600"
contains "body has the line's AOR (RFC 6011 §3.1)" "$(cat "$W/body")" \
	"<address-of-record>sip:alice@example.net</address-of-record>"
contains "body has the outbound proxy" "$(cat "$W/body")" "sip:proxy.example.net"
contains "body has the digest" "$(cat "$W/body")" '<digest algorithm="MD5">'
if command -v xmllint >/dev/null; then
	xmllint --noout "$W/body"; ok "generic template renders well-formed XML" $?
fi
sc render "$DEV" > "$W/rendered" 2> "$W/render.meta"
cmp -s "$W/body" "$W/rendered"; ok "sipcfg render prints exactly the served bytes" $?
contains "sipcfg render prints the same ETag" "$(cat "$W/render.meta")" "ETag: $ETAG"

# The same bytes give the same ETag on a second fetch (and instance).
c -D "$W/h2" -o /dev/null $A "$BASE?$Q"
is "ETag stable across requests" "$(hdr ETag "$W/h2")" "$ETAG"

# Keep-alive: two requests on one TLS connection (the bench's main case).
curl -sv --cacert "$CERT" --basic -u alice:$PW -o /dev/null -o /dev/null \
	"$BASE?$Q" "$BASE?$Q" 2> "$W/ka"
contains "keep-alive: the second request reuses the connection" "$(cat "$W/ka")" "Re-using existing connection"
if grep -qi '^< Connection: close' "$W/ka"; then ok "no Connection: close on a 200" 1; else ok "no Connection: close on a 200" 0; fi

# HEAD.
c -I -D "$W/hhead" -o /dev/null $A "$BASE?$Q"
is "HEAD is 200" "$(code "$W/hhead")" 200
is "HEAD has the same ETag" "$(hdr ETag "$W/hhead")" "$ETAG"
is "HEAD has the body's Content-Length" "$(hdr Content-Length "$W/hhead")" \
	"$(wc -c < "$W/body" | tr -d ' ')"

# 304 both ways, with the same metadata (RFC 6011 §2.6.1).
: > "$W/b304"
c -D "$W/h304" -o "$W/b304" $A -H "If-None-Match: $ETAG" "$BASE?$Q"
is "If-None-Match gives 304" "$(code "$W/h304")" 304
is "304 has the same ETag" "$(hdr ETag "$W/h304")" "$ETAG"
is "304 has Cache-Control" "$(hdr Cache-Control "$W/h304")" "private, max-age=3600"
is "304 has no body" "$(wc -c < "$W/b304" | tr -d ' ')" 0
is "If-None-Match with another ETag gives 200" \
	"$(status "$BASE?$Q" $A -H 'If-None-Match: "nope"')" 200
is "If-None-Match list gives 304" \
	"$(status "$BASE?$Q" $A -H "If-None-Match: \"a\", $ETAG")" 304
is "If-Modified-Since = Last-Modified gives 304" \
	"$(status "$BASE?$Q" $A -H "If-Modified-Since: $LM")" 304
is "If-Modified-Since in the past gives 200" \
	"$(status "$BASE?$Q" $A -H 'If-Modified-Since: Sat, 01 Jan 2000 00:00:00 GMT')" 200
is "bad If-Modified-Since is ignored (200)" \
	"$(status "$BASE?$Q" $A -H 'If-Modified-Since: yesterday')" 200

# max-age per device and per profile.
sc device set "$DEV" --profile office >/dev/null
sc profile set office --max-age 600 >/dev/null
c -D "$W/hp" -o /dev/null $A "$BASE?$Q"
is "profile max-age" "$(hdr Cache-Control "$W/hp")" "private, max-age=600"
sc device set "$DEV" --max-age 120 >/dev/null
c -D "$W/hd" -o /dev/null $A "$BASE?$Q"
is "device max-age wins" "$(hdr Cache-Control "$W/hd")" "private, max-age=120"

# Disabled devices.
sc device set "$DEV" --state disabled >/dev/null
is "disabled device is 403" "$(status "$BASE?$Q" $A)" 403
sc device set "$DEV" --state active >/dev/null

# Bookkeeping is written in batches, off the request path.
i=0
while [ "$(sql 'SELECT count(*) FROM device_seen WHERE last_etag IS NOT NULL' 2>/dev/null)" != 1 ] && [ $i -lt 60 ]; do
	sleep 0.1; i=$((i + 1)); done
if command -v sqlite3 >/dev/null || [ -n "$PGDB" ]; then
	row=$(sql "SELECT last_addr, last_ua FROM device_seen")
	contains "fetch bookkeeping recorded address and User-Agent" "$row" "127.0.0.1|curl/"
fi
ok "daemon alive" "$(alive; echo $?)"
stop_daemon; ok "SIGTERM stops cleanly" $?

# Unknown-device policies: default (secret-free) and enroll (pending).
start_daemon "unknown_device default"
U="sfua-id=urn:uuid:00000000-0000-1000-8000-00aabbccddee&sfua-vendor=examplecorp.com"
c -D "$W/hu" -o "$W/bu" "$BASE?$U"
is "default policy serves 200 without credentials" "$(code "$W/hu")" 200
contains "default config is secret-free" "$(cat "$W/bu")" "secret-free default"
case $(cat "$W/bu") in *digest*) ok "no digest in the default" 1 ;; *) ok "no digest in the default" 0 ;; esac
is "default config has a short max-age" "$(hdr Cache-Control "$W/hu")" "private, max-age=300"
stop_daemon
start_daemon "unknown_device enroll"
is "enroll policy serves the default" "$(status "$BASE?$U")" 200
i=0
while ! sc device list | grep -q 00aabbccddee && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
contains "unknown device enrolled as pending" "$(sc device list)" "pending"
is "pending device still gets the default" "$(status "$BASE?$U")" 200
stop_daemon
done_testing
