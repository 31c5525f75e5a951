#!/bin/sh
# hostile: what an attacker tries at the HTTPS front, against the real
# daemon with real curl (issue 16 of the tracker): guessing behind an
# address where a real phone logs in, probing which devices exist before
# authenticating, and reading the daemon's memory through a core dump.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
make_store
printf 'bob-pw\n' | sc user add bob >/dev/null
DEVB=urn:uuid:00000000-0000-1000-8000-00000000b0b0
sc device add "$DEVB" --vendor examplecorp.com --model HypoComm --user bob >/dev/null
QB="sfua-id=$DEVB&sfua-user=bob"
start_daemon	# the defaults: auth_fail_limit 10, unknown_device deny

# 1. One good login behind an address must not reset the count of a
# guesser behind the same address (the defaults: 10 per user name).
# 9 wrong passwords for bob, then alice's good login, four times.
got=
for round in 1 2 3 4; do
	for i in 1 2 3 4 5 6 7 8 9; do
		s=$(status "$BASE?$QB" --basic -u "bob:guess$round$i")
		[ "$s" = 429 ] && { got="429 in round $round"; break 2; }
	done
	status "$BASE?$Q" --basic -u "alice:$PW" >/dev/null
done
is "guessing bob behind alice's logins is stopped in round 2" "$got" "429 in round 2"
is "bob, even with his password, is blocked from this address" \
	"$(status "$BASE?$QB" --basic -u bob:bob-pw)" 429
is "alice from the same address is not" "$(status "$BASE?$Q" --basic -u "alice:$PW")" 200
is "bob from another address is not" \
	"$(status "$BASE?$QB" --basic -u bob:bob-pw --interface 127.0.0.2)" 200

# 8. Nothing about a device is told before authentication (deny): an
# unknown, disabled, pending or user-less device gets the same 401 as an
# active one, on the vendor paths and on the RFC 6011 path alike.
sc device add 00:11:22:33:44:d1 --vendor yealink.com --user bob >/dev/null
sc device set 00:11:22:33:44:d1 --state disabled >/dev/null
sc device add 00:11:22:33:44:d2 --vendor yealink.com >/dev/null
sc device add 00:11:22:33:44:d3 --vendor yealink.com --user bob --state pending >/dev/null
sc device add 00:11:22:33:44:a1 --vendor yealink.com --user bob >/dev/null
PB="https://127.0.0.1:$PORT/prov"
urn() { echo "urn:uuid:00000000-0000-1000-8000-001122334$1"; }
# shape URL: status, body and headers without the nonces and dates.
shape() {
	c -o "$W/sb" -D "$W/sh" "$1"
	printf '%s|%s|%s' "$(code "$W/sh")" "$(cat "$W/sb")" \
	    "$(grep -iv -e '^date' -e 'nonce' "$W/sh" | md5sum | cut -c1-8)"
}
want=$(shape "$PB/0011223344a1.cfg")
contains "vendor path, active device: a 401 challenge" "$want" "401|"
for m in ee d1 d2 d3; do
	is "vendor path, $m (unknown, disabled, no user, pending) looks the same" \
		"$(shape "$PB/0011223344$m.cfg")" "$want"
done
want=$(shape "$BASE?sfua-id=$(urn 4a1)&sfua-user=bob")
contains "RFC 6011 path, active device: a 401 challenge" "$want" "401|"
for m in 4ee 4d1 4d2 4d3; do
	is "RFC 6011 path, $m looks the same" \
		"$(shape "$BASE?sfua-id=$(urn $m)&sfua-user=bob")" "$want"
done
# After authentication the reason is told.
is "unknown device, after authentication: 404" \
	"$(status "$BASE?sfua-id=$(urn 4ee)&sfua-user=alice" --digest -u "alice:$PW")" 404
is "disabled device, after authentication: 403" \
	"$(status "$PB/0011223344d1.cfg" --digest -u "alice:$PW")" 403
is "... with the reason" "$(c --digest -u "alice:$PW" "$PB/0011223344d1.cfg")" "device disabled"
is "a device without a user, after authentication: 403" \
	"$(c --digest -u "alice:$PW" "$PB/0011223344d2.cfg")" "device has no user assigned"
is "a pending device, after authentication: the secret-free answer" \
	"$(status "$PB/0011223344d3.cfg" --digest -u "alice:$PW")" 200

# 10. No core dumps of a process holding the seal key, the TLS key and
# the HA1s, unless core_dumps asks for them.
lim() { awk '/^Max core file size/ { print $5, $6 }' "/proc/$DPID/limits"; }
is "no core dumps (RLIMIT_CORE 0, soft and hard)" "$(lim)" "0 0"

ok "daemon alive" "$(alive; echo $?)"
stop_daemon
is "clean exit" $? 0

# core_dumps on: the limits the daemon was started with are left alone
# (awk's own are the shell's, as the daemon's were).
ulimit -c unlimited 2>/dev/null || ulimit -c 1024 2>/dev/null
start_daemon "core_dumps on"
is "core_dumps on: the core limit is left as it was" "$(lim)" \
	"$(awk '/^Max core file size/ { print $5, $6 }' /proc/self/limits)"
contains "core_dumps on: a warning says what it exposes" "$(cat "$W/daemon.err")" "core_dumps on"
stop_daemon
done_testing
