#!/bin/sh
# auth: RFC 6011 §2.4.1 and RFC 7616/7617 against the real daemon with
# real curl: both Digest algorithms offered, Basic and Digest accepted,
# username != sfua-user is 403, unknown user == wrong password, nc
# replay and stale nonces, and the failure guard.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
make_store
printf 'bob-pw\n' | sc user add bob >/dev/null
start_daemon "auth_fail_limit 4" "auth_block 60" "nonce_ttl 10"

# Bad input first.
c -o /dev/null -D "$W/h401" "$BASE?$Q"
ch=$(grep -i '^WWW-Authenticate:' "$W/h401" | tr -d '\r')
contains "401 offers Digest SHA-256" "$ch" 'algorithm=SHA-256'
contains "401 offers Digest MD5" "$ch" 'algorithm=MD5'
contains "401 offers qop=auth" "$ch" 'qop="auth"'
contains "401 offers Basic" "$ch" 'Basic realm="test-realm"'
is "SHA-256 challenge comes first (RFC 7616 §3.7)" \
	"$(grep -i '^WWW-Authenticate:' "$W/h401" | head -1 | grep -c SHA-256)" 1
is "malformed Authorization is 400" \
	"$(status "$BASE?$Q" -H 'Authorization: Digest username="alice')" 400
is "unsupported scheme gets our challenges (401, RFC 7235)" \
	"$(status "$BASE?$Q" -H 'Authorization: Bearer abc')" 401
is "malformed Basic is 400" \
	"$(status "$BASE?$Q" -H 'Authorization: Basic !!!notbase64')" 400
is "username != sfua-user is 403 (RFC 6011 §2.4.1)" \
	"$(status "$BASE?sfua-id=$DEV&sfua-user=bob" --digest -u alice:$PW)" 403
is "no sfua-user with credentials is 403" \
	"$(status "$BASE?sfua-id=$DEV" --basic -u alice:$PW)" 403
is "another user's valid credentials are 403" \
	"$(status "$BASE?sfua-id=$DEV&sfua-user=bob" --digest -u bob:bob-pw)" 403

# Unknown user and wrong password look the same from outside.
c -o "$W/b1" -D "$W/h1" --digest -u alice:wrong "$BASE?$Q"
c -o "$W/b2" -D "$W/h2" --digest -u nobody:wrong "$BASE?sfua-id=$DEV&sfua-user=nobody"
is "wrong password is 401" "$(code "$W/h1")" 401
is "unknown user is 401" "$(code "$W/h2")" 401
cmp -s "$W/b1" "$W/b2"; ok "same body for unknown user and wrong password" $?
is "same headers apart from nonces" \
	"$(grep -iv -e '^date' -e 'nonce' "$W/h1" | md5sum)" \
	"$(grep -iv -e '^date' -e 'nonce' "$W/h2" | md5sum)"

# Good credentials.
is "Digest (curl --digest, MD5) is 200" "$(status "$BASE?$Q" --digest -u alice:$PW)" 200
is "Basic is 200" "$(status "$BASE?$Q" --basic -u alice:$PW)" 200
is "Basic with a wrong password is 401" "$(status "$BASE?$Q" --basic -u alice:nope)" 401

# Digest SHA-256, nc replay and stale nonces, with a client of our own
# making the exact Authorization headers (curl picks one algorithm).
nonce=$(grep -i '^WWW-Authenticate: Digest.*SHA-256' "$W/h401" | sed 's/.*nonce="\([^"]*\)".*/\1/')
opaque=$(grep -i '^WWW-Authenticate: Digest.*SHA-256' "$W/h401" | sed 's/.*opaque="\([^"]*\)".*/\1/')
uri="/cfg?$Q"
sha() { printf '%s' "$1" | openssl dgst -sha256 -r | cut -d' ' -f1; }
ha1=$(sha "alice:test-realm:$PW")
ha2=$(sha "GET:$uri")
auth() {	# auth NC
	resp=$(sha "$ha1:$nonce:$1:0a4f113b:auth:$ha2")
	printf 'Digest username="alice", realm="test-realm", nonce="%s", uri="%s", algorithm=SHA-256, qop=auth, nc=%s, cnonce="0a4f113b", response="%s", opaque="%s"' \
		"$nonce" "$uri" "$1" "$resp" "$opaque"
}
is "Digest SHA-256 is 200" "$(status "$BASE?$Q" -H "Authorization: $(auth 00000001)")" 200
is "same nc again is refused (replay)" "$(status "$BASE?$Q" -H "Authorization: $(auth 00000001)")" 401
is "next nc is 200" "$(status "$BASE?$Q" -H "Authorization: $(auth 00000002)")" 200
is "Digest for another URI is refused" \
	"$(status "$BASE?$Q&x=1" -H "Authorization: $(auth 00000003)")" 401
bad=$(auth 00000004 | sed 's/realm="test-realm"/realm="other"/')
is "Digest with a wrong realm is refused" "$(status "$BASE?$Q" -H "Authorization: $bad")" 401

# Stale: the nonce_ttl is 10 s in this test.
sleep 11
c -o /dev/null -D "$W/hst" -H "Authorization: $(auth 00000005)" "$BASE?$Q"
is "expired nonce is 401" "$(code "$W/hst")" 401
contains "expired nonce says stale=true" "$(cat "$W/hst")" "stale=true"

# The guard: 4 failures from one address, then 429 with Retry-After.
for i in 1 2 3 4; do status "$BASE?$Q" --basic -u alice:bad$i >/dev/null; done
c -o /dev/null -D "$W/h429" --basic -u alice:$PW "$BASE?$Q"
is "after repeated failures: 429" "$(code "$W/h429")" 429
ok "429 has Retry-After" "$([ -n "$(hdr Retry-After "$W/h429")" ]; echo $?)"
ok "daemon alive" "$(alive; echo $?)"
if grep -q "$PW" "$W/daemon.err"; then ok "password never logged" 1; else ok "password never logged" 0; fi
if grep -qi "authorization:\|response=" "$W/daemon.err"; then ok "Authorization never logged" 1; else ok "Authorization never logged" 0; fi
stop_daemon
done_testing
