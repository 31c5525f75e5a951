#!/bin/sh
# bootstrap: RFC 6011 §5 "a one-time password valid only for the initial
# access", rotation with an overlap, and secret variables, against the
# real daemon over real TLS with real curl and a real store.
# Bad input first (durations, windows, a used one-time password), then:
# a one-time password works once and its answer carries the long-term
# password, which then works (Basic and Digest); two passwords during a
# rotation's overlap, one after it; secret variables only in full
# answers; and no password or secret in clear in the store or the log.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
need_sql
q() { sql "$1"; }
# get WHO:PASSWORD QUERY [curl args]: body in $W/body, prints the status.
get() {
	_u=$1 _q=$2; shift 2
	c -o "$W/body" -D "$W/h" -u "$_u" "$@" "$BASE?$_q" >/dev/null
	code "$W/h"
}
qof() { printf 'sfua-id=%s&sfua-user=%s&sfua-vendor=examplecorp.com&sfua-model=HypoComm' "$1" "$2"; }
# The long-term password a generic answer carries.
pwin() { sed -n 's|.*<password>\(.*\)</password>.*|\1|p' "$1"; }
ALPHA='23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ'
make_store
NOW=$(date +%s)

# ------------------------------------------------------------ bad input
for d in "" 0 -5 +5 1.5h 5x 7dd 1w "5 " 366d 99999999999999999999; do
	fails_quiet "user add --one-time --valid-for '$d' is refused" "valid-for" \
		sc user add badu --one-time --valid-for "$d"
done
fails_quiet "--valid-for without --one-time is refused" "go with --one-time" \
	sc user add badu --valid-for 1h
fails_quiet "--not-before that is not unix seconds is refused" "unix seconds" \
	sc user add badu --one-time --not-before yesterday
fails_quiet "user otp for an unknown user: not found" "not found" sc user otp nobody
fails_quiet "user otp --valid-for 3x is refused" "valid-for" sc user otp alice --valid-for 3x
for d in -1 1w 1.5d abc; do
	out=$(printf 'never-set\n' | sc user passwd alice --overlap "$d" 2>&1); rc=$?
	ok "user passwd --overlap '$d' is refused ($rc: $out)" \
		"$([ $rc -ne 0 ] && printf '%s' "$out" | grep -q -- --overlap; echo $?)"
done
is "no user was made by any of that" "$(q "SELECT count(*) FROM users WHERE name = 'badu'")" 0
mv "$KEYF" "$W/away.key"
fails_quiet "var set --secret without a seal key is refused" "needs the seal key" \
	sc var set global timezone nope --secret
mv "$W/away.key" "$KEYF"
is "and nothing was stored" "$(q "SELECT count(*) FROM vars")" 0
big=$(head -c 1100 /dev/zero | tr '\0' x)
fails_quiet "a secret over 1024 bytes is refused" "at most 1024" \
	sc var set global big "$big" --secret

# ------------------------------------------------------------ one-time passwords
# One line on standard output, nothing else: scripts capture it.
sc user add bob --one-time --valid-for 1h > "$W/otp" 2>"$W/err"
is "user add --one-time: exit 0" $? 0
is "one line on stdout" "$(wc -l < "$W/otp" | tr -d ' ')" 1
OTP=$(cat "$W/otp")
ok "16 characters of the unambiguous alphabet ($OTP)" \
	"$(printf '%s' "$OTP" | grep -qxE "[$ALPHA]{16}"; echo $?)"
is "nothing on stderr" "$(cat "$W/err")" ""
is "stored as a one-time password, open for an hour" \
	"$(q "SELECT otp, CAST(otp_not_before IS NULL AS integer), CAST(otp_not_after BETWEEN $NOW + 3590 AND $NOW + 3610 AS integer) FROM users WHERE name = 'bob'")" "1|1|1"
OTP2=$(sc user add bob2 --one-time)
ok "another user gets another one" "$([ -n "$OTP2" ] && [ "$OTP2" != "$OTP" ]; echo $?)"
OTPX=$(sc user add carol --one-time --not-before $((NOW - 100)) --valid-for 10)
OTPF=$(sc user add dave --one-time --not-before $((NOW + 3600)) --valid-for 1d)
OTPE=$(sc user add eve --one-time --valid-for 30m)
OTPG=$(sc user add gina --one-time)
is "default window: 7 days" \
	"$(q "SELECT CAST(otp_not_after BETWEEN $NOW + 604790 AND $NOW + 604810 AS integer) FROM users WHERE name = 'gina'")" 1
OTPH=$(sc user add hank --one-time --valid-for 90s)
OTPY=$(sc user add yuri --one-time)
OTPN=$(sc user add nina --one-time)
OTPR=$(sc user add rita --one-time)
is "user list --json shows who has one" \
	"$(sc --json user list | tr -d ' \n' | grep -o '"name":"bob","realm":"test-realm","updated":[0-9]*,"devices":0,"otp":[01]')" \
	"$(sc --json user list | tr -d ' \n' | grep -o '"name":"bob","realm":"test-realm","updated":[0-9]*,"devices":0,')\"otp\":1"
n=1
for u in bob bob2 carol dave eve gina hank nina rita; do
	sc device add "urn:uuid:00000000-0000-1000-8000-0000000001$n$n" \
		--vendor examplecorp.com --model HypoComm --user $u >/dev/null
	eval "D_$u=urn:uuid:00000000-0000-1000-8000-0000000001$n$n"
	n=$((n + 1))
done
sc template add yealink "$top_srcdir/templates/yealink.cfg" --vendor yealink.com >/dev/null
sc device add 00:15:65:aa:bb:77 --vendor yealink.com --user yuri >/dev/null

# Secret variables: a string and a JSON array (the generic template's
# settings), at the global layer, so secret-free answers have them too.
TZS="Secret-TZ-$$"
SETS="Secret-Setting-$$"
sc var set global timezone "$TZS" --secret > "$W/out"
contains "var set --secret says so" "$(cat "$W/out")" "(secret)"
sc var set global settings "[{\"name\":\"admin\",\"value\":\"$SETS\"}]" --secret >/dev/null
sc var set global ntp_server ntp.example.net >/dev/null
show=$(sc var show)
contains "var show: (secret)" "$show" "(secret)"
ok "var show never prints the value" "$(! printf '%s' "$show" | grep -q "$TZS\|$SETS"; echo $?)"
ok "the audit has neither (values and command lines masked)" \
	"$(! sc --json audit --limit 1000 | grep -q "$TZS\|$SETS"; echo $?)"
contains "the audit shows (secret) for the variable" \
	"$(sc --json audit --limit 3 | tr -d ' \n')" '"name":"timezone","value":"(secret)"'
contains "and the command line with (secret) for its value" \
	"$(sc --json audit --limit 3 | tr -d '\n')" 'var set global timezone (secret) --secret'


start_daemon "unknown_device default" "auth_fail_limit 1000"

# A window that is over, or not yet open, is a wrong password.
is "expired one-time password (Basic): 401" "$(get "carol:$OTPX" "$(qof "$D_carol" carol)" --basic)" 401
is "expired one-time password (Digest): 401" "$(get "carol:$OTPX" "$(qof "$D_carol" carol)" --digest)" 401
is "not yet valid one-time password: 401" "$(get "dave:$OTPF" "$(qof "$D_dave" dave)" --basic)" 401
is "and neither was used up" "$(q "SELECT otp FROM users WHERE name IN ('carol', 'dave')" | paste -sd, -)" "1,1"
is "a wrong password for an OTP user: 401" "$(get "bob:x$OTP" "$(qof "$D_bob" bob)" --basic)" 401
is "another user's one-time password: 401" "$(get "bob:$OTP2" "$(qof "$D_bob" bob)" --basic)" 401
is "bob's one-time password for bob2's device (sfua-user bob): 403" \
	"$(get "bob:$OTP" "sfua-id=$D_bob2&sfua-user=bob" --basic)" 403
is "... which leaves it unused" "$(q "SELECT otp FROM users WHERE name = 'bob'")" 1

# First use: 200, and the answer carries the long-term password.
QB=$(qof "$D_bob" bob)
is "one-time password (Basic): 200" "$(get "bob:$OTP" "$QB" --basic)" 200
LONG=$(pwin "$W/body")
ok "the answer carries a long-term password ($LONG)" \
	"$(printf '%s' "$LONG" | grep -qxE "[$ALPHA]{24}"; echo $?)"
contains "with the user name" "$(cat "$W/body")" "<username>bob</username>"
contains "and the secret variable (full answer)" "$(cat "$W/body")" "<timezone>$TZS</timezone>"
contains "the JSON one too, as JSON" "$(cat "$W/body")" "<setting name=\"admin\">$SETS</setting>"
is "stored: no longer one-time, the long-term one sealed" \
	"$(q "SELECT otp, substr(password_sealed, 1, 3) FROM users WHERE name = 'bob'")" "0|s1:"
is "second use (Basic): 401" "$(get "bob:$OTP" "$QB" --basic)" 401
is "second use (Digest): 401" "$(get "bob:$OTP" "$QB" --digest)" 401
is "the long-term password (Basic): 200" "$(get "bob:$LONG" "$QB" --basic)" 200
is "it is still the one the answer carries" "$(pwin "$W/body")" "$LONG"
is "the long-term password (Digest): 200" "$(get "bob:$LONG" "$QB" --digest)" 200
is "the ETag is that of the answer with it" "$(hdr ETag "$W/h")" \
	"$(sc render "$D_bob" 2>&1 >/dev/null | sed -n 's/^ETag: //p')"

# First use by Digest.
is "one-time password (Digest): 200" "$(get "eve:$OTPE" "$(qof "$D_eve" eve)" --digest)" 200
LONGE=$(pwin "$W/body")
ok "carries a long-term password" "$(printf '%s' "$LONGE" | grep -qxE "[$ALPHA]{24}"; echo $?)"
ok "another one than bob's" "$([ "$LONGE" != "$LONG" ]; echo $?)"
is "second use (Digest): 401" "$(get "eve:$OTPE" "$(qof "$D_eve" eve)" --digest)" 401
is "eve's long-term password (Digest): 200" "$(get "eve:$LONGE" "$(qof "$D_eve" eve)" --digest)" 200

# A HEAD has no body to carry the new password: it does not use it up.
c -o /dev/null -D "$W/hh" -I -u "gina:$OTPG" --basic "$BASE?$(qof "$D_gina" gina)"
is "HEAD with a one-time password: 200" "$(code "$W/hh")" 200
is "and it is not used up" "$(q "SELECT otp FROM users WHERE name = 'gina'")" 1
is "the GET that follows: 200" "$(get "gina:$OTPG" "$(qof "$D_gina" gina)" --basic)" 200
ok "with the long-term password" "$([ -n "$(pwin "$W/body")" ]; echo $?)"

# Concurrent first uses: exactly one wins.
QH=$(qof "$D_hank" hank)
pids=
for i in 1 2 3 4 5 6; do
	c -o "$W/race$i" -w '%{http_code}\n' -u "hank:$OTPH" --basic "$BASE?$QH" > "$W/code$i" &
	pids="$pids $!"
done
wait $pids
wins=$(cat "$W"/code? | grep -c '^200$')
losses=$(cat "$W"/code? | grep -c '^401$')
is "six at once: one 200" "$wins" 1
is "and five 401" "$losses" 5
LONGH=$(for i in 1 2 3 4 5 6; do pwin "$W/race$i"; done)
is "the winner's password is the one that works" "$(get "hank:$LONGH" "$QH" --basic)" 200

# A vendor path (no sfua-user): the device's own user, same rules.
c -o "$W/ycfg" -D "$W/yh" -A "Yealink SIP-T46S 66.86.0.15" --basic -u "yuri:$OTPY" \
	"https://127.0.0.1:$PORT/prov/001565aabb77.cfg"
is "Yealink file with a one-time password: 200" "$(code "$W/yh")" 200
contains "hands the phone its user" "$(cat "$W/ycfg")" "static.auto_provision.server.username = yuri"
LONGY=$(sed -n 's/^static.auto_provision.server.password = //p' "$W/ycfg")
ok "and its long-term password ($LONGY)" "$(printf '%s' "$LONGY" | grep -qxE "[$ALPHA]{24}"; echo $?)"
c -o /dev/null -D "$W/yh" --digest -u "yuri:$LONGY" "https://127.0.0.1:$PORT/prov/001565aabb77.cfg"
is "which then works (Digest)" "$(code "$W/yh")" 200

# A replaced phone: a new one-time password; the old long-term one goes.
OTPB2=$(sc user otp bob --valid-for 10m)
ok "user otp prints a new one" "$(printf '%s' "$OTPB2" | grep -qxE "[$ALPHA]{16}"; echo $?)"
is "the old long-term password: 401" "$(get "bob:$LONG" "$QB" --basic)" 401
is "the new one-time password: 200" "$(get "bob:$OTPB2" "$QB" --basic)" 200
LONG2=$(pwin "$W/body")
ok "a new long-term password" "$([ -n "$LONG2" ] && [ "$LONG2" != "$LONG" ]; echo $?)"
is "the first one-time password still 401" "$(get "bob:$OTP" "$QB" --basic)" 401

# ------------------------------------------------------------ secret variables
# Unknown device (unknown_device default): the secret-free answer.
QU="sfua-id=urn:uuid:00000000-0000-1000-8000-00000000beef&sfua-vendor=examplecorp.com&sfua-model=HypoComm"
c -o "$W/unk" -D "$W/uh" "$BASE?$QU"
is "unknown device: 200 (secret-free default)" "$(code "$W/uh")" 200
contains "with the plain variable" "$(cat "$W/unk")" "<ntp-server>ntp.example.net</ntp-server>"
ok "without the secret ones" "$(! grep -q "$TZS\|$SETS" "$W/unk"; echo $?)"
ok "nor any timezone or setting (they are empty)" "$(! grep -q "<timezone>\|<setting " "$W/unk"; echo $?)"
sc device add 00:11:22:33:44:99 --vendor examplecorp.com --model HypoComm --state pending >/dev/null
c -o "$W/pend" -D "$W/ph" "$BASE?sfua-id=urn:uuid:00000000-0000-1000-8000-001122334499&sfua-vendor=examplecorp.com&sfua-model=HypoComm"
is "pending device: 200" "$(code "$W/ph")" 200
contains "secret-free" "$(cat "$W/pend")" "secret-free default"
ok "without the secret ones" "$(! grep -q "$TZS\|$SETS" "$W/pend"; echo $?)"
ok "sipcfg render --secret-free: without them" \
	"$(! sc render "$D_bob" --secret-free 2>/dev/null | grep -q "$TZS\|$SETS"; echo $?)"
# A forged sealed value renders empty; the daemon carries on.
q "UPDATE vars SET value = '\"s1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"' WHERE name = 'timezone'"
is "a forged secret variable: still 200" "$(get "bob:$LONG2" "$QB" --basic)" 200
ok "with it empty" "$(! grep -q "<timezone>" "$W/body"; echo $?)"
contains "the other one still there" "$(cat "$W/body")" "$SETS"
sc var set global timezone "$TZS" --secret >/dev/null

# ------------------------------------------------------------ rotation
QA=$(qof "$DEV" alice)
printf 'alice-new-1\n' | sc user passwd alice --overlap 8 > "$W/out"
T_OLD=$(date +%s)
contains "user passwd says until when the old one works" "$(cat "$W/out")" "the old one is accepted until"
is "old password in the overlap (Basic): 200" "$(get "alice:$PW" "$QA" --basic)" 200
is "old password in the overlap (Digest): 200" "$(get "alice:$PW" "$QA" --digest)" 200
is "new password (Basic): 200" "$(get "alice:alice-new-1" "$QA" --basic)" 200
is "new password (Digest): 200" "$(get "alice:alice-new-1" "$QA" --digest)" 200
contains "the configuration hands the phone the new one" "$(cat "$W/body")" "<password>alice-new-1</password>"
# Digest SHA-256 with both, on one nonce: nc is shared, never a replay
# of the other password's try.
c -o /dev/null -D "$W/h401" "$BASE?$QA"
nonce=$(grep -i '^WWW-Authenticate: Digest.*SHA-256' "$W/h401" | sed 's/.*nonce="\([^"]*\)".*/\1/')
uri="/cfg?$QA"
sha() { printf '%s' "$1" | openssl dgst -sha256 -r | cut -d' ' -f1; }
auth() {	# auth PASSWORD NC
	_h1=$(sha "alice:test-realm:$1")
	_r=$(sha "$_h1:$nonce:$2:0a4f113b:auth:$(sha "GET:$uri")")
	printf 'Authorization: Digest username="alice", realm="test-realm", nonce="%s", uri="%s", algorithm=SHA-256, qop=auth, nc=%s, cnonce="0a4f113b", response="%s"' \
		"$nonce" "$uri" "$2" "$_r"
}
is "SHA-256, old password, nc 1: 200" "$(status "$BASE?$QA" -H "$(auth "$PW" 00000001)")" 200
is "SHA-256, new password, nc 2: 200" "$(status "$BASE?$QA" -H "$(auth alice-new-1 00000002)")" 200
is "SHA-256, new password, nc 1 again: a replay, 401" "$(status "$BASE?$QA" -H "$(auth alice-new-1 00000001)")" 401
is "SHA-256, old password, nc 3: 200" "$(status "$BASE?$QA" -H "$(auth "$PW" 00000003)")" 200
while [ "$(date +%s)" -le $((T_OLD + 9)) ]; do sleep 0.5; done
is "after the overlap, old password (Basic): 401" "$(get "alice:$PW" "$QA" --basic)" 401
is "after the overlap, old password (Digest): 401" "$(get "alice:$PW" "$QA" --digest)" 401
is "SHA-256, old password, nc 4: 401" "$(status "$BASE?$QA" -H "$(auth "$PW" 00000004)")" 401
is "new password (Basic): 200" "$(get "alice:alice-new-1" "$QA" --basic)" 200
is "new password (Digest): 200" "$(get "alice:alice-new-1" "$QA" --digest)" 200
printf 'alice-new-2\n' | sc user passwd alice --overlap 0 > "$W/out"
is "--overlap 0 says nothing of an old one" "$(cat "$W/out")" "password of alice changed"
is "--overlap 0: the previous password at once 401 (Basic)" "$(get "alice:alice-new-1" "$QA" --basic)" 401
is "--overlap 0: the previous password at once 401 (Digest)" "$(get "alice:alice-new-1" "$QA" --digest)" 401
is "the new one: 200" "$(get "alice:alice-new-2" "$QA" --digest)" 200
printf 'alice-new-3\n' | sc user passwd alice >/dev/null
is "default overlap (1d): the previous one still 200" "$(get "alice:alice-new-2" "$QA" --basic)" 200
is "stored: the old one until a day from now" \
	"$(q "SELECT CAST(old_until BETWEEN $NOW + 86300 AND $(date +%s) + 86410 AS integer) FROM users WHERE name = 'alice'")" 1

# ------------------------------------------------------------ nothing in clear
ok "the daemon is alive" "$(alive; echo $?)"
stop_daemon
for s in "$OTP" "$LONG" "$LONGE" "$LONG2" "$OTPE" "$TZS" "$SETS" alice-new-1; do
	ok "no '$s' in the store or its WAL" "$(! store_bytes | grep -qa -- "$s"; echo $?)"
	ok "no '$s' in the daemon's log" "$(! grep -qa -- "$s" "$W/daemon.err"; echo $?)"
done
ok "(the same grep finds what is kept in clear: a plain variable)" \
	"$(store_bytes | grep -qa ntp.example.net; echo $?)"
contains "the log says a one-time credential was used" "$(cat "$W/daemon.err")" "one-time credential used up"

# ------------------------------------------------------------ no seal key
# Nothing to seal the long-term password with: 503 + Retry-After, and the
# one-time password stays good for when the key is there.
( printf 'store %s\ncert %s\nkey %s\nseal_key %s\n' "$STORE" "$CERT" "$W/key.pem" "$W/no-such.key" > "$W/nokey.conf"
  "$SIPCFGD" -n -f "$W/nokey.conf" ) 2>"$W/nokey.err"
is "sipcfgd -n: a seal_key that does not exist is an error" $? 1
contains "... naming it" "$(cat "$W/nokey.err")" "no-such.key: no such file"
mv "$KEYF" "$W/kept.key"
start_daemon
mv "$W/kept.key" "$KEYF"
contains "without a key sipcfgd warns what it cannot do" "$(cat "$W/daemon.err")" "one-time passwords cannot be used"
c -o /dev/null -D "$W/nk" -u "nina:$OTPN" --basic "$BASE?$(qof "$D_nina" nina)"
is "no seal key: 503" "$(code "$W/nk")" 503
ok "with Retry-After" "$([ -n "$(hdr Retry-After "$W/nk")" ]; echo $?)"
is "not used up" "$(q "SELECT otp FROM users WHERE name = 'nina'")" 1
contains "the log says why" "$(cat "$W/daemon.err")" "is not used up"
stop_daemon
start_daemon
is "with the key: 200" "$(get "nina:$OTPN" "$(qof "$D_nina" nina)" --basic)" 200
ok "and the long-term password" "$([ -n "$(pwin "$W/body")" ]; echo $?)"
stop_daemon

# ------------------------------------------------------------ the guard
# Out of its window, a one-time password counts as a failure like any.
start_daemon "auth_fail_limit 3" "auth_block 60"
for i in 1 2 3; do get "carol:$OTPX" "$(qof "$D_carol" carol)" --basic >/dev/null; done
is "after three expired one-time passwords: carol gets 429" "$(get "carol:$OTPX" "$(qof "$D_carol" carol)" --basic)" 429
is "rita from the same address is not blocked (the guard counts per user name)" \
	"$(get "rita:$OTPR" "$(qof "$D_rita" rita)" --basic)" 200
is "and rita's is used up" "$(q "SELECT otp FROM users WHERE name = 'rita'")" 0
stop_daemon
done_testing
