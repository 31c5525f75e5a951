#!/bin/sh
# checksync: the legacy check-sync push (BRIEF.md §3): phones simulated
# with Perl's Net::SIP (syncphone.pl) that challenge the NOTIFY with 401.
# Bad input first; then a device in check-sync mode gets, after a
# `sipcfg` change, an authenticated out-of-dialog NOTIFY with its
# vendor's Event and "Subscription-State: terminated"; devices not in
# this mode get nothing, nor does a change that keeps the bytes; the
# operator's --check-sync --reboot; the per-vendor switch and its
# per-device override; a phone that does not answer is retried.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
need perl; need_sql
perl -MNet::SIP -e1 2>/dev/null ||
	{ echo "1..0 # SKIP Perl Net::SIP not installed"; exit 77; }
PHONE="$top_srcdir/tests/e2e/syncphone.pl"
now() { date +%s.%N | cut -c1-14; }
# wait_line FILE PATTERN N [SECONDS]: until N lines match.
wait_line() {
	_end=$(awk "BEGIN { printf \"%.3f\", $(now) + ${4:-5} }")
	while [ "$(grep -c "$2" "$1" 2>/dev/null)" -lt "$3" ]; do
		awk "BEGIN { exit !($(now) > $_end) }" && return 1
		sleep 0.05
	done
}

make_store
DEV2=urn:uuid:00000000-0000-1000-8000-0011223344bb
printf 'bob-pw\n' | sc user add bob >/dev/null
sc device add "$DEV2" --vendor yealink.com --user bob >/dev/null
printf 'bob-line\n' | sc line add "$DEV2" --aor sip:bob@example.net \
	--username bob >/dev/null
S=$(free_port) && PP1=$(free_port) && PP2=$(free_port) || exit 99

# Bad input: clear errors, nothing changed.
fails "--reboot without --check-sync" "goes with --check-sync" sc notify "$DEV" --reboot
fails "--check-sync with --all" "one device at a time" sc notify --all --check-sync
fails "device --checksync typo" "expected on, off" sc device set "$DEV" --checksync yes
fails "device --contact not a SIP URI" "expected a sip: or sips: URI" sc device set "$DEV" --contact http://x
fails "checksync set: bad vendor" "not a vendor DNS domain" sc checksync set 'bad vendor'
fails "checksync set: bad event" "not an Event value" sc checksync set yealink.com --event 'check sync'
fails "checksync set: --on and --off" "not both" sc checksync set yealink.com --on --off
is "shipped events" "$(sc --json checksync list | perl -MJSON::PP -0777 -ne 'print join ",", map { "$_->{vendor}=$_->{event}" } @{decode_json($_)}')" \
	"cisco.com=resync,grandstream.com=check-sync,panasonic.com=check-sync,polycom.com=check-sync,snom.com=check-sync;reboot=false,yealink.com=check-sync;reboot=false"
is "off by default everywhere" "$(sql 'SELECT sum(enabled) FROM checksync_events')" 0

# Device 1 (yealink) in check-sync mode, its phone on PP1; device 2 not.
sc device set "$DEV" --vendor yealink.com --checksync on \
	--contact "sip:alice@127.0.0.1:$PP1" >/dev/null; ok "device set --checksync on --contact" $?
sc device set "$DEV2" --contact "sip:bob@127.0.0.1:$PP2" >/dev/null
start_daemon "sip_listen sip:127.0.0.1:$S;transport=udp" "sip_host 127.0.0.1"
perl "$PHONE" --port "$PP1" --realm example.net --user alice --pass line-pw \
	--timeout 40 > "$W/p1" 2>&1 &
P1PID=$!
perl "$PHONE" --port "$PP2" --realm example.net --user bob --pass bob-line \
	--timeout 40 > "$W/p2" 2>&1 &
P2PID=$!
trap 'kill $P1PID $P2PID 2>/dev/null; cleanup' EXIT
wait_line "$W/p1" READY 1 && wait_line "$W/p2" READY 1

sc var set global ntp_server ntp.cs.example >/dev/null
wait_line "$W/p1" '^NOTIFY' 1 5
n=$(grep '^NOTIFY' "$W/p1" | tail -1)
contains "a change: the phone challenged the NOTIFY first" "$(cat "$W/p1")" "CHALLENGED event=check-sync;reboot=false"
contains "then took it, authenticated with the line's credentials" "$n" "auth=ok"
contains "Event: the vendor's check-sync;reboot=false" "$n" "event=check-sync;reboot=false "
contains "Subscription-State: terminated" "$n" "state=terminated "
contains "no body (Content-Length: 0)" "$n" "cl=0 "
contains "To: the line's AOR" "$n" "to=<sip:alice@example.net>"
contains "sent to the configured contact" "$n" "ruri=sip:alice@127.0.0.1:$PP1"
is "the device not in check-sync mode got nothing" "$(grep -c '^NOTIFY\|^CHALLENGED' "$W/p2")" 0

# A change that does not alter the bytes: no push.
sleep 1.1
sc var set vendor other.example.com ntp_server x >/dev/null
wait_line "$W/p1" '^NOTIFY' 2 2
is "same bytes: no check-sync" "$(grep -c '^NOTIFY' "$W/p1")" 1

# The operator asks, with reboot (only then reboot=true).
sc notify "$DEV" --check-sync --reboot >/dev/null; ok "notify --check-sync --reboot" $?
wait_line "$W/p1" '^NOTIFY' 2 5
contains "--reboot: check-sync;reboot=true" "$(grep '^NOTIFY' "$W/p1" | tail -1)" "event=check-sync;reboot=true "

# The vendor switch: yealink.com on reaches device 2; its own off wins.
sc checksync set yealink.com --on >/dev/null; ok "checksync set yealink.com --on" $?
sleep 0.3
sc var set device "$DEV2" ntp_server ntp.bob.example >/dev/null
wait_line "$W/p2" '^NOTIFY' 1 5
contains "vendor switched on: device 2 pushed" "$(grep '^NOTIFY' "$W/p2" | tail -1)" "auth=ok"
sc device set "$DEV2" --checksync off >/dev/null
sleep 1.1
sc var set device "$DEV2" ntp_server ntp2.bob.example >/dev/null
wait_line "$W/p2" '^NOTIFY' 2 2
is "its own --checksync off wins" "$(grep -c '^NOTIFY' "$W/p2")" 1
kill $P1PID $P2PID 2>/dev/null; wait $P1PID $P2PID 2>/dev/null

# A phone that does not answer the first NOTIFY: retried after 2 s.
perl "$PHONE" --port "$PP1" --realm example.net --user alice --pass line-pw \
	--drop 1 --timeout 20 > "$W/p3" 2>&1 &
P1PID=$!
wait_line "$W/p3" READY 1
sleep 1.1
sc var set device "$DEV" ntp_server ntp3.example >/dev/null
wait_line "$W/p3" '^NOTIFY' 1 40
contains "the first one dropped" "$(cat "$W/p3")" "DROPPED"
contains "a retry got through" "$(grep '^NOTIFY' "$W/p3" | tail -1)" "auth=ok"
done_testing
