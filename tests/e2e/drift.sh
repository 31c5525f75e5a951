#!/bin/sh
# drift: `sipcfg drift` (issue 14 §5) on a real store, with devices that
# really fetched from a real sipcfgd over TLS with curl.  Bad options
# first; then each reason with its since: a device never seen; one whose
# configuration changed after its fetch (and is gone from the list once
# it fetched again); one not seen for 3 x its max-age; one in
# subscription mode whose subscription lapsed.  A device on its current
# configuration is never listed.  --json and --limit.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
need_sql
make_store
B=urn:uuid:00000000-0000-1000-8000-0011223344bb
C=urn:uuid:00000000-0000-1000-8000-0011223344cc
printf 'pw-bob\n' | sc user add bob >/dev/null &&
sc device add "$B" --vendor examplecorp.com --model HypoComm --user bob \
	>/dev/null &&
printf 'lp-bob\n' | sc line add "$B" --aor sip:bob@example.net \
	--username bob >/dev/null &&
sc device add "$C" --vendor examplecorp.com --model HypoComm >/dev/null ||
	{ echo "Bail out! cannot make the devices"; exit 99; }

fails "--factor 0 refused" "--factor 0: expected 1 to 1000" sc drift --factor 0
fails "--factor not a number" "--factor x: expected" sc drift --factor x
fails "--notify bogus refused" "--notify bogus: expected subscribe or poll" sc drift --notify bogus
fails "--max-age out of range" "--max-age 99999999999: expected" sc drift --max-age 99999999999
fails "--limit not a number" "--limit many: expected" sc drift --limit many
fails "--after 0 refused" "--after 0: expected a device id" sc drift --after 0
fails "drift of no such device" "not found" sc drift urn:uuid:00000000-0000-1000-8000-00112233ffff
fails "two devices" "usage" sc drift "$B" "$C"
fails "unknown option" "unknown option" sc drift --bogus

# ids: the devices drift lists (its first column), sorted, one line.
ids() { sc --json drift "$@" | sed -n 's/.*"device": "\(.*\)".*/\1/p' | sort | paste -sd' ' -; }
whyof() { sc --json drift "$@" | tr -d '\n ' | sed 's/},{/}\n{/g' | grep "\"device\":\"$DEV_X\"" | sed -n 's/.*"why":"\([^"]*\)".*/\1/p'; }

is "before any fetch: all three never fetched" "$(ids --notify poll)" "$DEV $B $C"
DEV_X=$C; is "... their reason: never" "$(whyof --notify poll)" never
is "... since their creation" "$(sc --json drift --notify poll | tr -d '\n ' | sed 's/},{/}\n{/g' | grep -c '"since":[0-9]')" 3
# Keyset: the last row's id gives the rest, the scan starting there.
first=$(sc --json drift --notify poll --limit 1 | sed -n 's/.*"id": \([0-9]*\).*/\1/p')
is "--limit 1 names its row's id" "$(printf '%s' "$first" | grep -c '^[0-9][0-9]*$')" 1
is "--after that id: the other two, in id order" \
    "$(sc --json drift --notify poll --after "$first" | sed -n 's/.*"id": \([0-9]*\).*/\1/p' | paste -sd' ' -)" \
    "$(sql "SELECT id FROM devices WHERE id > $first ORDER BY id" | paste -sd' ' -)"

start_daemon
QB="sfua-id=$B&sfua-user=bob&sfua-vendor=examplecorp.com&sfua-model=HypoComm"
is "alice fetches" "$(status "$BASE?$Q" -u "alice:$PW")" 200
is "bob fetches" "$(status "$BASE?$QB" -u "bob:pw-bob")" 200
# Fetch bookkeeping is written in batches (seen_flush_ms, 1 s).
seen() { sql "SELECT count(*) FROM device_seen WHERE last_etag IS NOT NULL"; }
i=0; while [ "$(seen)" != 2 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
is "both fetches are in the store" "$(seen)" 2
is "after the fetches: only the one never seen" "$(ids --notify poll)" "$C"

sc var set device "$DEV" ntp_server '"ntp2.example.net"' >/dev/null
is "a change alice has not fetched: she drifts" "$(ids --notify poll)" "$DEV $C"
DEV_X=$DEV; is "... changed" "$(whyof --notify poll)" changed
row=$(sc --json drift --notify poll | tr -d '\n ' | sed 's/},{/}\n{/g' | grep "\"device\":\"$DEV\"")
now=$(status "$BASE?$Q" -u "alice:$PW" -D "$W/h" -o /dev/null >/dev/null; hdr ETag "$W/h")
is "... the current ETag, the one a fetch gets now" "$(printf '%s' "$row" | sed -n 's/.*"etag":"\\"\([0-9a-f]*\)\\"".*/\1/p')" "$(printf '%s' "$now" | tr -d '"')"
i=0; while sc --json drift --notify poll | grep -q "\"$DEV\"" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
is "alice fetched it: she no longer drifts" "$(ids --notify poll)" "$C"

# Subscription mode (the default here): both have a SIP line and no
# sipcfgd holds a subscription of theirs.
is "subscription mode: both lapsed" "$(ids)" "$DEV $B $C"
DEV_X=$B; is "... lapsed" "$(whyof)" lapsed
# The row a notifier writes while it holds a subscription (written here
# by hand: holding real ones is notify.sh's subject).
BID=$(sql "SELECT id FROM devices WHERE sfua_id = '$B'")
sql "INSERT INTO subscriptions(instance, local_id, device_id, uri, transport, source, created, expires) VALUES ('test', 1, $BID, 'sip:bob@example.net', 'udp', '127.0.0.1:5060', $(date +%s), $(($(date +%s) + 600)))"
is "a live subscription: not lapsed" "$(ids)" "$DEV $C"
is "drift DEV: that device alone, none when current" "$(ids "$B")" ""
is "drift DEV: a drifting one, its row" "$(ids "$C")" "$C"
# device list --status: each row's drift and live subscriptions.
st() { sc --json device list --status | python3 -c "import json,sys
for d in json.load(sys.stdin):
	if d['sfua_id'] == '$1': print(d['drift'] and d['drift']['why'], len(d['subscriptions']))"; }
is "device list --status: bob current, his subscription" "$(st "$B")" "None 1"
is "... alice lapsed, none" "$(st "$DEV")" "lapsed 0"
is "... the third never fetched" "$(st "$C")" "never 0"
is "... and in the table, drift and subs columns" "$(sc device list --status | head -1 | awk '{ print $(NF - 1), $NF }')" "drift subs"
sql "UPDATE subscriptions SET expires = $(($(date +%s) - 1))"
is "an expired one: lapsed again" "$(ids)" "$DEV $B $C"

# Not seen for 3 x max-age (3600 s here): bob's last fetch, moved back.
sql "UPDATE device_seen SET last_fetch = last_fetch - 3 * 3600 - 60 WHERE device_id = $BID"
DEV_X=$B; is "bob unseen for 3 x max-age" "$(whyof --notify poll)" unseen
is "... not with --factor 4" "$(ids --notify poll --factor 4)" "$C"
last=$(sql "SELECT last_fetch FROM device_seen WHERE device_id = $BID")
contains "... since his last fetch" "$(sc --json drift --notify poll | tr -d '\n ' | sed 's/},{/}\n{/g' | grep "\"device\":\"$B\"")" "\"since\":$last"
contains "the table gives times in ISO 8601" "$(sc drift --notify poll)" "$(date -u -d "@$last" +%Y-%m-%dT%H:%M:%SZ)"
is "--limit 1: one row" "$(sc --json drift --notify poll --limit 1 | grep -c '"device"')" 1
stop_daemon
done_testing
