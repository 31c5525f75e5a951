#!/bin/sh
# console: the operator's web console (issue 14 §3) in a real headless
# Chromium (Debian's chromium, driven by playwright-core from
# tests/console/node_modules: `npm ci` there, as .ci/run does), against a
# real sipcfgd's admin listener over TLS.  curl first: the console's
# files, the policy they come with, the API refusing a missing or wrong
# token and a read token's notify.  Then tests/console/console.mjs in the
# browser: a malformed and a wrong token refused on the login page; the
# real one; a hostile label and User-Agent shown as text; the device
# found by its MAC; its configuration with secrets masked; drift after a
# CLI change; notify, disable and enable with If-Match, a stale one
# refused; the audit trail; logout; a 401 mid-session; a read token
# offered no action; no CSP violation and no script error.  Here again:
# the store has the notify, made in the token's audit session, and the
# audit rows name the token.  Skips (77) without chromium, node or
# playwright-core.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
need_sql
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || { echo "1..0 # SKIP no $CHROMIUM"; exit 77; }
command -v node >/dev/null 2>&1 || { echo "1..0 # SKIP node not installed"; exit 77; }
[ -f "$top_srcdir/tests/console/node_modules/playwright-core/package.json" ] || {
	echo "1..0 # SKIP no playwright-core (npm ci in tests/console)"; exit 77; }

make_store
# Polling mode: drift is then about the configuration alone (a device
# in subscription mode with no subscription also counts as lapsed).
# Labels and User-Agents reach the page from outside: a hostile one of
# each, which must show as text.
LABEL='<img src=x onerror=alert(1)> desk "5" <b>bold</b>'
HOSTILE_UA='<script>alert(2)</script><img src=x onerror=alert(3)>'
sc device set "$DEV" --notify poll --label 'front desk' >/dev/null &&
B=urn:uuid:00000000-0000-1000-8000-0004f2aabbcc &&
printf 'pw-bob\n' | sc user add bob >/dev/null &&
sc device add "$B" --vendor polycom.com --model VVX410 --user bob \
	--label 'reception' >/dev/null &&
sc device add 00:15:65:00:00:01 --state pending --label "$LABEL" \
	>/dev/null || { echo "Bail out! cannot make the devices"; exit 99; }
TOKEN_NAME=console-test
TOKEN=$(sc token add "$TOKEN_NAME" --scope write) &&
RTOKEN=$(sc token add console-read --scope read) ||
	{ echo "Bail out! cannot make the tokens"; exit 99; }

start_daemon "admin_listen 127.0.0.1:0" "admin_console $top_srcdir/console"
ADMIN=$(sed -n 's|^sipcfgd: admin \(https://[^ /]*\).*|\1|p' "$W/daemon.out" | head -1)
[ -n "$ADMIN" ] || { echo "Bail out! no admin line in: $(cat "$W/daemon.out")"; exit 99; }

# The device fetches once, as a Yealink would, so that it has been seen
# and its User-Agent gives a model and firmware.
UA_MODEL=T46S UA_FW=66.86.0.15
is "the device fetches its configuration" "$(status "$BASE?$Q" -u "alice:$PW" \
	-A "Yealink SIP-$UA_MODEL $UA_FW 00:11:22:33:44:55")" 200
is "bob's device fetches with a hostile User-Agent" "$(status \
	"$BASE?sfua-id=$B&sfua-user=bob&sfua-vendor=polycom.com&sfua-model=VVX410" \
	-u bob:pw-bob -A "$HOSTILE_UA")" 200
# Fetch bookkeeping is written in batches (seen_flush_ms, 1 s).
seen() { sql "SELECT count(*) FROM device_seen WHERE last_etag IS NOT NULL"; }
i=0; while [ "$(seen)" != 2 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
is "... and the store has seen both" "$(seen)" 2

# ---- curl: the files, their policy, the API's refusals
is "GET /console/app.js without a token: the console is public" \
	"$(status "$ADMIN/console/app.js")" 200
c -D "$W/h" -o "$W/index.html" "$ADMIN/console/" >/dev/null
is "GET /console/: 200" "$(code "$W/h")" 200
contains "... a strict Content-Security-Policy" \
	"$(hdr Content-Security-Policy "$W/h")" "default-src 'none'"
contains "... scripts from the console's own origin only" \
	"$(hdr Content-Security-Policy "$W/h")" "script-src 'self'"
contains "... the page itself" "$(cat "$W/index.html")" '<script src="app.js"'
is "the API without a token: 401" "$(status "$ADMIN/api/v1/whoami")" 401
is "... with a wrong token: 401" "$(status "$ADMIN/api/v1/whoami" \
	-H "Authorization: Bearer sipcfg_$(printf '%064d' 0)")" 401
contains "... a problem document" "$(c -H 'Authorization: Bearer nope' \
	"$ADMIN/api/v1/whoami")" '"status"'
contains "the real token: whoami names it" "$(c -H "Authorization: Bearer $TOKEN" \
	"$ADMIN/api/v1/whoami")" "\"$TOKEN_NAME\""
is "a read token cannot notify: 403" "$(status "$ADMIN/api/v1/devices/001122334455/notify" \
	-H "Authorization: Bearer $RTOKEN" -H 'Content-Type: application/json' -d '{}')" 403

# ---- the browser
NOTIFIES=$(sql "SELECT count(*) FROM changes WHERE entity = 'notify'")
SHOT=
if [ -w "$top_srcdir/doc" ]; then SHOT=$top_srcdir/doc/console.png; fi
ADMIN=$ADMIN TOKEN=$TOKEN RTOKEN=$RTOKEN TOKEN_NAME=$TOKEN_NAME DEV=$DEV MAC=001122334455 \
PW=$PW LINE_PW=line-pw LABEL=$LABEL UA_MODEL=$UA_MODEL UA_FW=$UA_FW \
B=$B HOSTILE_UA=$HOSTILE_UA \
SIPCFG=$SIPCFG STORE=$STORE SHOT=$SHOT CHROMIUM=$CHROMIUM \
	node "$top_srcdir/tests/console/console.mjs" > "$W/browser.out" 2> "$W/browser.err"
brc=$?
while IFS= read -r l; do
	case $l in
	"ok - "*) ok "browser: ${l#ok - }" 0 ;;
	"not ok - "*) ok "browser: ${l#not ok - }" 1 ;;
	"# "*) echo "$l" ;;
	esac
done < "$W/browser.out"
ok "the browser run ended cleanly (exit $brc$(head -c 300 "$W/browser.err" | tr '\n' ' '))" \
	"$([ $brc -eq 0 ] && grep -qx '# done' "$W/browser.out"; echo $?)"

# ---- what the store says the console did
is "the console's notify is in the store's change log" \
	"$(sql "SELECT count(*) - $NOTIFIES FROM changes WHERE entity = 'notify'")" 1
# A notify changes no row, so `sipcfg audit` (rows) does not list it; its
# audit session names the token all the same.
is "... made in an audit session that names the token" "$(sql "SELECT count(*)
	FROM audit_sessions WHERE who LIKE 'token $TOKEN_NAME %'
	AND command LIKE 'POST /api/v1/devices/%/notify'")" 1
AUDIT=$(sc --json audit | tr -d '\n ' | sed 's/},{"ts"/}\n{"ts"/g')
is "sipcfg audit names the token for the disable and the enable" \
	"$(printf '%s\n' "$AUDIT" | grep "\"who\":\"token$TOKEN_NAME(" |
	grep '"command":"PATCH/api/v1/devices/' | grep -c '"entity":"device"')" 2
is "the stale disable changed nothing" "$(sc --json device show "$DEV" |
	sed -n 's/.*"state": "\(.*\)".*/\1/p')" active
stop_daemon
done_testing
