#!/bin/sh
# harden_cli: issue 16 ("hardening against hostile clients"), against the
# real daemon over real TLS with real curl and a real store.
# Bad input first (config values out of range, CLI options), then:
#  - a rotation's old password never fetches the new one (doc/sipcfg.1,
#    user passwd), --revoke-now ends the old one at once, and a used
#    one-time password fetches nothing;
#  - a User-Agent full of terminal escapes is stored as received but never
#    reaches the terminal through the CLI's listings (--json is exact);
#  - unknown_device enroll is bounded per address and in rate, and what
#    is enrolled and unseen expires (sipcfgd.conf(5));
#  - choosing openssl-enc-md5 warns that it is legacy (doc/sipcfg.1).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
need_sql
q() { sql "$1"; }
# get WHO:PASSWORD [curl args]: body in $W/body, prints the status.
get() {
	_u=$1; shift
	c -o "$W/body" -D "$W/h" -u "$_u" "$@" "$BASE?$Q" >/dev/null
	code "$W/h"
}
# A config file of lines; sipcfgd -n checks it.
conf() {
	{ echo "store $STORE"; echo "cert $CERT"; echo "key $W/key.pem"
	  echo "listen 127.0.0.1:0"; for l in "$@"; do echo "$l"; done
	} > "$W/check.conf"
}
# wait_for DESCRIPTION SHELL-CONDITION: up to 10 s, then ok/not ok.
wait_for() {
	_i=0
	while ! eval "$2"; do
		_i=$((_i + 1))
		[ $_i -gt 100 ] && break
		sleep 0.1
	done
	ok "$1" "$(eval "$2"; echo $?)"
}
pending() { q "SELECT count(*) FROM devices WHERE state = 'pending' AND sfua_id LIKE '$1%'"; }
ESC=$(printf '\033')
BEL=$(printf '\007')
CSI8=$(printf '\302\233')	# U+009B, the 8-bit CSI, in UTF-8
make_store

# ------------------------------------------------------------ bad input
for l in "enroll_max 0" "enroll_max 10000001" "enroll_max_per_ip 0" \
    "enroll_rate 0" "enroll_rate 100001" "enroll_expire -1" \
    "enroll_expire 31536001" "enroll_rate ten"; do
	conf "$l"
	out=$("$SIPCFGD" -n -f "$W/check.conf" 2>&1); rc=$?
	ok "sipcfgd refuses '$l' with file:line and the range ($rc: $(printf '%s' "$out" | head -1))" \
		"$([ $rc -ne 0 ] && printf '%s' "$out" | grep -q "check.conf:5: ${l%% *}: expected [0-9]*\.\.[0-9]*"; echo $?)"
done
conf "pending_max_age 300" "enroll_expire 300"
out=$("$SIPCFGD" -n -f "$W/check.conf" 2>&1); rc=$?
ok "enroll_expire not above pending_max_age is refused ($rc: $(printf '%s' "$out" | head -1))" \
	"$([ $rc -ne 0 ] && printf '%s' "$out" | grep -q "enroll_expire 300 is not above pending_max_age 300"; echo $?)"
conf "enroll_max 5" "enroll_max_per_ip 2" "enroll_rate 3" "enroll_expire 600"
out=$("$SIPCFGD" -n -f "$W/check.conf" 2>&1 >/dev/null); rc=$?
ok "the enroll_* directives in range are taken ($rc: $(printf '%s' "$out" | tail -1))" "$rc"
fails_quiet "device list --state bogus is refused" "expected active, pending or disabled" \
	sc device list --state bogus
fails_quiet "user passwd --revoke-now with --overlap is refused" "choose one" \
	sc user passwd alice --revoke-now --overlap 1h
ok "... and alice's password is unchanged" \
	"$(q "SELECT CAST(old_until IS NULL AS integer) FROM users WHERE name = 'alice'" | grep -qx 1; echo $?)"

# ------------------------------------------------------------ legacy encryption
sc device set "$DEV" --encrypt openssl-enc-md5 >/dev/null 2>"$W/err"
contains "device set --encrypt openssl-enc-md5 warns on stderr" "$(cat "$W/err")" \
	"warning: openssl-enc-md5 is legacy encryption (unauthenticated CBC"
is "in one line" "$(wc -l < "$W/err" | tr -d ' ')" 1
sc device add urn:uuid:00000000-0000-1000-8000-00000000e0e0 --encrypt openssl-enc-md5 \
	>/dev/null 2>"$W/err"
contains "device add --encrypt openssl-enc-md5 warns too" "$(cat "$W/err")" "legacy encryption"
sc profile set legacy --encrypt openssl-enc-md5 >/dev/null 2>"$W/err"
contains "profile set --encrypt openssl-enc-md5 warns too" "$(cat "$W/err")" "legacy encryption"
sc device set "$DEV" --encrypt cms-password >/dev/null 2>"$W/err"
is "cms-password: no warning" "$(cat "$W/err")" ""
sc device set "$DEV" --encrypt none >/dev/null 2>&1
contains "doc/sipcfg.1 says it next to the mode" \
	"$(sed -n '/^\.B openssl-enc-md5/,/^\.EX/p' "$top_srcdir/doc/sipcfg.1")" "without authentication"

# ------------------------------------------------------------ rotation
start_daemon "seen_flush_ms 50"
is "alice's own password: 200" "$(get "alice:$PW" --digest)" 200
printf 'alice-NEW-1\n' | sc user passwd alice >/dev/null
for round in 1 2; do
	for auth in --basic --digest; do
		is "round $round: old password in the overlap ($auth): 200" "$(get "alice:$PW" $auth)" 200
		ok "round $round: ... without the new password ($auth)" \
			"$(! grep -q 'alice-NEW-1' "$W/body"; echo $?)"
		ok "round $round: ... and no <password> at all ($auth)" \
			"$(! grep -q '<password>' "$W/body"; echo $?)"
		contains "round $round: ... but the rest of the configuration ($auth)" \
			"$(cat "$W/body")" "sip:alice@example.net"
		ET_OLD=$(hdr ETag "$W/h")
		is "round $round: new password ($auth): 200" "$(get "alice:alice-NEW-1" $auth)" 200
		contains "round $round: ... which the answer carries ($auth)" \
			"$(cat "$W/body")" "<password>alice-NEW-1</password>"
		ok "round $round: the two answers have their own ETags" \
			"$([ -n "$ET_OLD" ] && [ "$ET_OLD" != "$(hdr ETag "$W/h")" ]; echo $?)"
	done
done
contains "the access log says old-password" "$(cat "$W/daemon.err")" "old-password"
printf 'alice-NEW-2\n' | sc user passwd alice --revoke-now > "$W/out"
is "--revoke-now says nothing of an old one" "$(cat "$W/out")" "password of alice changed"
is "--revoke-now: the previous password at once 401 (Basic)" "$(get "alice:alice-NEW-1" --basic)" 401
is "--revoke-now: the previous password at once 401 (Digest)" "$(get "alice:alice-NEW-1" --digest)" 401
is "--revoke-now: the new one 200" "$(get "alice:alice-NEW-2" --digest)" 200
# A one-time password (RFC 6011 §5) fetches the long-term one once; used,
# it is nobody's way to the long-term one.
OTP=$(sc user otp alice --valid-for 10m)
is "user otp: the previous password 401" "$(get "alice:alice-NEW-2" --basic)" 401
is "one-time password: 200" "$(get "alice:$OTP" --basic)" 200
LONG=$(sed -n 's|.*<password>\(.*\)</password>.*|\1|p' "$W/body")
ok "... carrying the long-term one" "$([ -n "$LONG" ]; echo $?)"
is "the used one-time password: 401" "$(get "alice:$OTP" --basic)" 401
ok "... and its 401 carries nothing of it" "$(! grep -q "$LONG" "$W/body"; echo $?)"
is "the long-term one: 200" "$(get "alice:$LONG" --digest)" 200
stop_daemon

# ------------------------------------------------------------ enrolment
# The defaults first (enroll_max_per_ip 100, enroll_rate 10).
start_daemon "unknown_device enroll" "seen_flush_ms 50"
HOSTILE=$(printf 'x\033]0;pwned\007\033[2J\302\233?25l\tend')
EV=urn:uuid:00000000-0000-1000-8000-0000000e5c00
is "an unknown device with a hostile User-Agent: its secret-free 200" \
	"$(status "$BASE?sfua-id=$EV" -H "User-Agent: $HOSTILE")" 200
wait_for "it is enrolled as pending" '[ "$(pending "$EV")" = 1 ]'
is "it asks again: 200" "$(status "$BASE?sfua-id=$EV" -H "User-Agent: $HOSTILE")" 200
WANT_UA=$(printf '%s' "$HOSTILE" | od -An -tx1 | tr -d ' \n' | tr a-f A-F)
if [ -n "$PGDB" ]; then HEX="upper(encode(convert_to(last_ua, 'UTF8'), 'hex'))"
else HEX="hex(last_ua)"; fi
ua_stored() {
	[ "$(q "SELECT $HEX FROM device_seen s JOIN devices d ON d.id = s.device_id WHERE d.sfua_id = '$EV'")" = "$WANT_UA" ]
}
wait_for "its User-Agent is stored as received" ua_stored
is "enrolled_from is the client's address" "$(q "SELECT enrolled_from FROM devices WHERE sfua_id = '$EV'")" 127.0.0.1
for cmd in "device show $EV" "device list" "device list --state pending" \
    "device history $EV" "audit" "subs" "user list"; do
	# shellcheck disable=SC2086
	sc $cmd > "$W/out" 2>&1
	ok "$cmd: no ESC, BEL, CSI or tab reaches the terminal" \
		"$(! grep -q "[$ESC$BEL	]" "$W/out" && ! grep -q "$CSI8" "$W/out"; echo $?)"
done
contains "device show prints it escaped" "$(sc device show "$EV")" \
	'x\x1b]0;pwned\x07\x1b[2J\u009b?25l\x09end'
sc --json device show "$EV" > "$W/json"
contains "--json device show carries it exactly (JSON escapes)" "$(cat "$W/json")" \
	'"x\u001B]0;pwned\u0007\u001B[2J'"$CSI8"'?25l\tend"'
is "--json device list too" \
	"$(sc --json device list | grep -c '"x\\u001B]0;pwned\\u0007\\u001B\[2J')" 1

# many PREFIX: 300 requests for unknown devices, one connection.
many() {
	i=0
	: > "$W/many"
	while [ $i -lt 300 ]; do
		printf 'url = "%s?sfua-id=urn:uuid:00000000-0000-1000-8000-%s%08d"\noutput = "/dev/null"\n' \
			"$BASE" "$1" $i >> "$W/many"
		i=$((i + 1))
	done
	c -K "$W/many" -w '%{http_code}\n' | sort | uniq -c | tr -s ' '
}
is "300 requests with the defaults: 300 secret-free 200s" "$(many 00a0)" " 300 200"
sleep 0.3	# the writer's batches are 50 ms apart
n=$(q "SELECT count(*) FROM devices WHERE state = 'pending'")
ok "with the defaults, not 301 pending devices but at most 100 ($n)" \
	"$([ "$n" -ge 2 ] && [ "$n" -le 100 ]; echo $?)"
wait_for "the refusal is logged" 'grep -q "enrolment refused" "$W/daemon.err"'
stop_daemon

# 300 unknown devices from one address: at most enroll_max_per_ip (5,
# with the hostile one) are written, every one still gets its answer.
# (SQLite enforces foreign keys only when asked; PostgreSQL always.)
[ -n "$PGDB" ] || FK="PRAGMA foreign_keys = ON;"
q "${FK:-} DELETE FROM devices WHERE enrolled_from IS NOT NULL AND sfua_id <> '$EV'"
: > "$W/daemon.err"
start_daemon "unknown_device enroll" "seen_flush_ms 50" "enroll_max_per_ip 5" \
	"enroll_rate 1000"
is "300 requests: 300 secret-free 200s" "$(many 00b0)" " 300 200"
sleep 0.3	# the writer's batches are 50 ms apart
wait_for "the refusal is logged, once, with the directive" \
	'grep -q "over enroll_max_per_ip 5" "$W/daemon.err"'
is "no more than enroll_max_per_ip pending devices from 127.0.0.1" \
	"$(q "SELECT count(*) FROM devices WHERE enrolled_from = '127.0.0.1'")" 5
is "the log line is rate-limited" "$(grep -c 'enrolment refused' "$W/daemon.err")" 1
is "device list --state pending lists exactly them" \
	"$(sc --json device list --state pending | grep -c '"sfua_id"')" 5
is "device list --state active lists the rest" \
	"$(sc --json device list --state active | grep -c '"sfua_id"')" 2
stop_daemon

# Rate, and expiry: an operator's pending device stays, one that keeps
# fetching stays, the enrolled ones unseen for enroll_expire go.
sc device add urn:uuid:00000000-0000-1000-8000-00000000abcd --state pending >/dev/null
POLLER=urn:uuid:00000000-0000-1000-8000-0000000e5c00
start_daemon "unknown_device enroll" "seen_flush_ms 50" "enroll_max_per_ip 1000" \
	"enroll_rate 2" "pending_max_age 1" "enroll_expire 3"
: > "$W/burst"
i=0
while [ $i -lt 20 ]; do
	printf 'url = "%s?sfua-id=urn:uuid:00000000-0000-1000-8000-00000001%04d"\noutput = "/dev/null"\n' \
		"$BASE" $i >> "$W/burst"
	i=$((i + 1))
done
t0=$(date +%s)
c -K "$W/burst" >/dev/null
t1=$(date +%s)
sleep 0.3
n=$(q "SELECT count(*) FROM devices WHERE sfua_id LIKE 'urn:uuid:00000000-0000-1000-8000-00000001%'")
ok "20 at once with enroll_rate 2: $n enrolled, at most 2 + 2 a second" \
	"$([ "$n" -ge 1 ] && [ "$n" -le $((2 + 2 * (t1 - t0 + 1))) ]; echo $?)"
end=$(($(date +%s) + 6))
while [ "$(date +%s)" -lt $end ]; do
	status "$BASE?sfua-id=$POLLER" >/dev/null
	sleep 0.5
done
is "the enrolled ones unseen for enroll_expire are gone" \
	"$(q "SELECT count(*) FROM devices WHERE enrolled_from IS NOT NULL AND sfua_id <> '$POLLER'")" 0
is "the one that kept fetching is still pending" "$(pending "$POLLER")" 1
is "the operator's pending device stays" "$(pending urn:uuid:00000000-0000-1000-8000-00000000abcd)" 1
is "alice's device stays" "$(q "SELECT state FROM devices WHERE sfua_id = '$DEV'")" active
contains "the log says what expired" "$(cat "$W/daemon.err")" "unseen for 3s removed (enroll_expire)"
ok "the daemon is alive" "$(alive; echo $?)"
stop_daemon
done_testing
