#!/bin/sh
# api: the admin REST API (issue 14 §2) of a real sipcfgd, through curl
# over TLS on its admin listener, on a real store.  Bad input first: no
# token, a malformed, unknown or expired one, the wrong scope, malformed
# JSON, unknown fields, a missing or stale If-Match, a body too big, an
# unknown route or method.  Then every route, each checked against the
# store through the CLI; the same change made by the CLI and by the API
# gives the same device and the same audit rows (but for who made them);
# the OpenAPI document and the routes the server has are the same set;
# /metrics passes promtool's check (when promtool is there).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
need_sql
need python3
make_store
DB=urn:uuid:00000000-0000-1000-8000-0011223344bb

TW=$(sc token add ops --scope write) &&
TR=$(sc token add viewer --scope read) &&
TO=$(sc token add old --scope read --valid-for 60) ||
	{ echo "Bail out! cannot make the tokens"; exit 99; }
sql "UPDATE api_tokens SET expires = 1000 WHERE name = 'old'" >/dev/null

fails "token add: a scope is needed" "--scope read or --scope write" sc token add x
fails "token add: a bad scope" "--scope admin: expected read or write" sc token add x --scope admin
fails "token add: a bad name" "a token name is 1 to 64" sc token add "a b" --scope read
fails "token add: a name taken" "ops: already exists" sc token add ops --scope read
is "tokens are sipcfg_ and 64 hex digits" "$(printf '%s' "$TW" | grep -cE '^sipcfg_[0-9a-f]{64}$')" 1
is "the store keeps no token, only its hash" "$(sql "SELECT count(*) FROM api_tokens WHERE sha256 = '$(printf '%s' "$TW" | sha256sum | cut -d' ' -f1)'")" 1
is "... and never the token itself" "$(sql "SELECT count(*) FROM api_tokens WHERE sha256 LIKE '%$(printf '%s' "$TW" | cut -c8-40)%'")" 0

start_daemon "admin_listen 127.0.0.1:0"
contains "the daemon names its admin listener" "$ADMIN" "https://127.0.0.1:"

# api METHOD PATH [curl args]: the answer's status in CODE, its body in
# $W/b, its headers in $W/h.
api() {
	m=$1; p=$2; shift 2
	CODE=$(curl -sS --cacert "$CERT" -X "$m" -o "$W/b" -D "$W/h" \
	    -w '%{http_code}' "$@" "$ADMIN$p")
}
aw() { api "$@" -H "Authorization: Bearer $TW"; }
ar() { api "$@" -H "Authorization: Bearer $TR"; }
# j EXPR: a Python expression over the last body (as b).
j() { python3 -c "import json,sys; b=json.load(open('$W/b')); print($1)"; }
hv() { grep -i "^$1:" "$W/h" | head -1 | cut -d' ' -f2- | tr -d '\r'; }
detail() { j "b['detail']" 2>/dev/null; }
etag() { ar GET "$1"; hv ETag; }

# ---------------------------------------------------------- bad input
api GET /api/v1/devices
is "no token: 401" "$CODE" 401
is "... as a problem document (RFC 9457)" "$(hv Content-Type)" "application/problem+json"
is "... with its fields" "$(j "sorted(b.keys())")" "['detail', 'status', 'title', 'type']"
contains "... asking for a bearer token" "$(hv WWW-Authenticate)" "Bearer"
api GET /api/v1/devices -H "Authorization: Bearer nope"
is "a malformed token: 401" "$CODE" 401
contains "... said" "$(detail)" "not a sipcfg token"
api GET /api/v1/devices -H "Authorization: Bearer sipcfg_$(printf '%064d' 0)"
is "an unknown token: 401" "$CODE" 401
contains "... said" "$(detail)" "unknown or removed token"
api GET /api/v1/devices -H "Authorization: Bearer $TO"
is "an expired token: 401" "$CODE" 401
contains "... said" "$(detail)" "token old expired"
api GET /api/v1/devices -H "Authorization: Basic b3BzOng="
is "Basic is not a bearer token: 401" "$CODE" 401
ar PATCH "/api/v1/devices/$DEV" -d '{"label":"x"}'
is "a read token cannot change: 403" "$CODE" 403
contains "... said" "$(detail)" "has scope read: this needs write"
ar POST /api/v1/tokens -d '{"name":"mine","scope":"write"}'
is "... nor make itself a write token" "$CODE" 403
E=$(etag "/api/v1/devices/$DEV")
aw PATCH "/api/v1/devices/$DEV" -H "If-Match: $E" -d '{"label":'
is "malformed JSON: 400" "$CODE" 400
contains "... said where" "$(detail)" "malformed JSON at line 1"
aw PATCH "/api/v1/devices/$DEV" -H "If-Match: $E" -d '["label"]'
is "not an object: 400" "$CODE" 400
aw PATCH "/api/v1/devices/$DEV" -H "If-Match: $E" -d '{"label":"x","colour":"red"}'
is "an unknown field: 400" "$CODE" 400
contains "... named" "$(detail)" "unknown field: colour"
aw PATCH "/api/v1/devices/$DEV" -H "If-Match: $E" -d '{"label":{"a":1}}'
is "a field that is not a scalar: 400" "$CODE" 400
aw POST /api/v1/users -d '{"name":"carol","one_time":"maybe"}'
is "a flag that is not a boolean: 400" "$CODE" 400
contains "... said" "$(detail)" "one_time: expected true or false"
aw PATCH "/api/v1/devices/$DEV" -d '{"label":"x"}'
is "a change without If-Match: 428" "$CODE" 428
aw PATCH "/api/v1/devices/$DEV" -H 'If-Match: "0123456789abcdef0123456789abcdef"' -d '{"label":"x"}'
is "a stale If-Match: 412" "$CODE" 412
contains "... said" "$(detail)" "changed since you read it"
aw PATCH "/api/v1/devices/$DEV" -H "If-Match: W/$E" -d '{"label":"x"}'
is "a weak ETag never matches (strong comparison): 412" "$CODE" 412
is "... and nothing was changed" "$(sc --json device show "$DEV" | python3 -c 'import json,sys; print(json.load(sys.stdin)["label"])')" None
aw PATCH "/api/v1/devices/$DEV" -H "If-Match: $E" -d '{"state":"asleep"}'
is "a value the command refuses: 400" "$CODE" 400
contains "... with the CLI's reason" "$(detail)" "--state asleep: expected active, pending or disabled"
aw GET /api/v1/devices/urn:uuid:00000000-0000-1000-8000-00000000dead
is "a device that is not there: 404" "$CODE" 404
aw GET /api/v1/devices/not-a-device
is "not a device name: 400" "$CODE" 400
aw GET /api/v1/nothing
is "an unknown route: 404" "$CODE" 404
contains "... pointing at the OpenAPI document" "$(detail)" "/api/v1/openapi.json"
aw PUT /api/v1/devices
is "a method the route has not: 405" "$CODE" 405
is "... with the methods it has (Allow)" "$(hv Allow)" "GET, POST"
aw GET "/api/v1/devices?limit=0"
is "limit 0: 400" "$CODE" 400
aw GET "/api/v1/devices?limit=many"
is "limit not a number: 400" "$CODE" 400
aw GET "/api/v1/devices?state=active&state=disabled"
is "a parameter given twice: 400" "$CODE" 400
aw GET "/api/v1/devices?colour=red"
is "an unknown query parameter: 400" "$CODE" 400
head -c 1100000 /dev/zero | tr '\0' 'a' > "$W/big"
aw POST /api/v1/import --data-binary "@$W/big"
is "a body over 1 MiB: 413" "$CODE" 413
aw GET /api/v1/devices --tls-max 1.1 2>/dev/null
is "TLS 1.1 is refused" "$CODE" 000
alive; ok "the daemon lives on" $?

# ------------------------------------------------------ every route
aw GET /api/v1/whoami
is "whoami" "$(j "b['token'], b['scope']")" "ops write"
aw POST /api/v1/devices -d "{\"device\":\"$DB\",\"vendor\":\"examplecorp.com\",\"model\":\"HypoComm\"}"
is "device add: 201" "$CODE" 201
is "... Location" "$(hv Location)" "/api/v1/devices/$DB"
is "... in the store" "$(sc --json device show "$DB" | python3 -c 'import json,sys; print(json.load(sys.stdin)["vendor"])')" examplecorp.com
aw POST /api/v1/devices -d "{\"device\":\"$DB\"}"
is "... twice: 409" "$CODE" 409
ar GET "/api/v1/devices?limit=1"
is "device list: a page of one" "$(j "len(b['items']), b['offset'], b['limit']")" "1 0 1"
N=$(j "b['next']")
is "... and the next page, after the last id (keyset)" "$N" "/api/v1/devices?after=$(j "b['items'][0]['id']")&limit=1"
ar GET "$N"
is "... which has the other device" "$(j "b['items'][0]['sfua_id'], b['next']")" "$DB None"
ar GET "/api/v1/devices?limit=1&offset=0"
is "with an offset, the next page by offset" "$(j "b['next']")" "/api/v1/devices?offset=1&limit=1"
ar GET "$(j "b['next']")"
is "... the same device as after=" "$(j "b['items'][0]['sfua_id']")" "$DB"
ar GET "/api/v1/devices?after=0"
is "after=0 refused" "$CODE" 400
ar GET "/api/v1/devices?vendor=examplecorp.com&user=alice"
is "device list filtered" "$(j "[d['sfua_id'] for d in b['items']]")" "['$DEV']"
ar GET /api/v1/devices/duplicates
is "device duplicates" "$CODE" 200
ar GET "/api/v1/devices/$DEV"
is "device show: 200" "$CODE" 200
E=$(hv ETag)
contains "... with a strong ETag" "$E" '"'
is "... the CLI's document" "$(j "b['sfua_id'], b['user']")" "$DEV alice"
is "a fetch by the device leaves its ETag as it was" "$(status "$BASE?$Q" -u "alice:$PW") $(etag "/api/v1/devices/$DEV")" "200 $E"
aw PATCH "/api/v1/devices/$DEV" -H "If-Match: $E" -d '{"label":"front desk"}'
is "device set with If-Match: 200" "$CODE" 200
E2=$(hv ETag)
is "... the new document" "$(j "b['label']")" "front desk"
is "... a new ETag" "$([ "$E" != "$E2" ] && echo new)" new
is "... which GET gives too" "$(etag "/api/v1/devices/$DEV")" "$E2"
is "... in the store" "$(sc --json device show "$DEV" | python3 -c 'import json,sys; print(json.load(sys.stdin)["label"])')" "front desk"
aw PATCH "/api/v1/devices/$DEV" -H "If-Match: $E" -d '{"label":"overwritten"}'
is "a second operator with the old ETag: 412" "$CODE" 412
aw PATCH "/api/v1/devices/$DEV" -H 'If-Match: *' -d '{"label":"front desk"}'
is "If-Match: * matches what exists" "$CODE" 200
ar GET "/api/v1/devices/$DEV/config"
is "config: 200" "$CODE" 200
is "... the line password masked" "$(j "'line-pw' in b['body'], '********' in b['body'], b['masked']")" "False True True"
ar GET "/api/v1/devices/$DEV/explain"
is "explain" "$(j "b['template']['chosen']")" generic
ar GET "/api/v1/devices/$DEV/history"
is "history: a page" "$(j "len(b['items']) > 0")" True
ar GET "/api/v1/devices/$DEV/lines"
is "line list" "$(j "[l['aor'] for l in b['items']]")" "['sip:alice@example.net']"
E=$(etag "/api/v1/devices/$DB")
aw POST "/api/v1/devices/$DB/lines" -H "If-Match: $E" -d '{"aor":"sip:bob@example.net","username":"bob","password":"pw-line2"}'
is "line add: 200" "$CODE" 200
is "... with the password the body gave (sealed, not stored)" "$(sc --json line list "$DB" | python3 -c 'import json,sys; print([l["username"] for l in json.load(sys.stdin)])')" "['bob']"
E=$(etag "/api/v1/devices/$DB")
aw DELETE "/api/v1/devices/$DB/lines/1" -H "If-Match: $E"
is "line rm: 204" "$CODE" 204
is "... gone" "$(sc --json line list "$DB")" "[]"
E=$(etag "/api/v1/devices/$DEV")
aw DELETE "/api/v1/devices/$DEV/pin" -H "If-Match: $E"
is "unpin without a pin: 400" "$CODE" 400
contains "... said" "$(detail)" "no client certificate is pinned"
aw POST "/api/v1/devices/$DEV/notify" -d '{}'
is "notify a device" "$CODE" 200
aw POST "/api/v1/devices/$DEV/notify" -d '{"check_sync":true}'
is "check-sync a device" "$CODE" 200
is "... recorded" "$(sql "SELECT count(*) FROM audit_sessions WHERE command LIKE 'POST /api/v1/devices/%/notify' AND who LIKE 'token ops %'")" 2
ar GET "/api/v1/audit?limit=2"
is "... in the audit trail, as requests, naming the token" "$(j "[(a['entity'], a['op'], a['who'].split(' (')[0]) for a in b['items']]")" "[('checksync', 'request', 'token ops'), ('notify', 'request', 'token ops')]"
aw POST /api/v1/notify -d '{"all":true}'
is "notify all" "$CODE" 200
ar GET /api/v1/drift
is "drift: a page" "$(j "sorted(b.keys())")" "['items', 'limit', 'next', 'offset']"
ar GET "/api/v1/drift?device=urn:uuid:00000000-0000-1000-8000-00112233ffff"
is "drift of no such device: 404" "$CODE" 404
ar GET "/api/v1/drift?device=$DEV"
is "drift of one device: a list of it alone" "$(j "[r['device'] for r in b['items']]")" "['$DEV']"
ar GET "/api/v1/devices?status=maybe"
is "device list status=maybe: 400" "$CODE" 400
ar GET "/api/v1/devices?status=true&limit=1"
is "device list with status: each row's drift and subscriptions" "$(j "sorted(k for k in b['items'][0] if k in ('drift', 'subscriptions'))")" "['drift', 'subscriptions']"
S1=$(j "b['items'][0]['sfua_id'], (b['items'][0]['drift'] or {}).get('why'), b['items'][0]['subscriptions']")
ar GET "/api/v1/drift?device=$(echo "$S1" | cut -d' ' -f1)"
W1=$(j "(b['items'] or [{}])[0].get('why')")
ar GET "/api/v1/subscriptions?device=$(echo "$S1" | cut -d' ' -f1)"
is "... as drift and subscriptions give them" "$S1" "$(echo "$S1" | cut -d' ' -f1) $W1 $(j "b['items']")"
ar GET "/api/v1/drift?limit=1"
is "drift: a page of one, the next after its id (keyset)" "$(j "b['next']")" "/api/v1/drift?after=$(j "b['items'][0]['id']")&limit=1"
I1=$(j "b['items'][0]['id']")
ar GET "$(j "b['next']")"
is "... which goes on after it" "$(j "b['items'][0]['id'] > $I1")" True
ar GET "/api/v1/subscriptions?device=$DEV"
is "subscriptions of a device" "$CODE" 200
# Three rows as a notifier writes them while it holds subscriptions
# (written here by hand: holding real ones is notify.sh's subject), to
# page through a device's subscriptions one at a time: the next link
# keeps the device and goes on after the last id.
DID=$(sql "SELECT id FROM devices WHERE sfua_id = '$DEV'")
for n in 1 2 3; do
	sql "INSERT INTO subscriptions(instance, local_id, device_id, uri, transport, source, created, expires) VALUES ('api-test', $n, $DID, 'sip:t@example.net', 'udp', '127.0.0.1:5060', $(date +%s), $(($(date +%s) + 600)))"
done
ids=; N="/api/v1/subscriptions?device=$DEV&limit=1"
while [ -n "$N" ] && [ "$N" != None ]; do
	ar GET "$N"
	ids="$ids $(j "b['items'][0]['id'] if b['items'] else ''")"
	N=$(j "b['next']")
	case $ids in *api-test/3*) break ;; esac
done
is "a device's subscriptions a page of one at a time, after the last id" "$ids" " api-test/1 api-test/2 api-test/3"
contains "... the next link keeps the device" "$(ar GET "/api/v1/subscriptions?device=$DEV&limit=1"; j "b['next']")" "device="
sql "DELETE FROM subscriptions WHERE instance = 'api-test'"

aw POST /api/v1/users -d '{"name":"carol","password":"pw-carol"}'
is "user add: 201" "$CODE" 201
is "... Location" "$(hv Location)" /api/v1/users/carol
is "... no HA1 in the answer" "$(grep -ci ha1 "$W/b")" 0
ar GET /api/v1/users
is "user list" "$(j "sorted(u['name'] for u in b['items'])")" "['alice', 'carol']"
ar GET "/api/v1/users?limit=1&after="
is "user list: an empty after= refused" "$CODE" 400
contains "... said" "$(detail)" "expected a user's name"
ar GET /api/v1/users/nobody
is "no such user: 404" "$CODE" 404
ar GET "/api/v1/users?limit=1"
is "user list: a page of one" "$(j "[u['name'] for u in b['items']]")" "['alice']"
N=$(j "b['next']")
is "... the next page after the last name (keyset)" "$N" "/api/v1/users?after=alice&limit=1"
ar GET "$N"
is "... which has the other user, and no more" "$(j "[u['name'] for u in b['items']], b['next']")" "['carol'] None"
ar GET "/api/v1/users?limit=1&offset=1"
is "... by offset, the same user" "$(j "[u['name'] for u in b['items']], b['next']")" "['carol'] None"
ar GET /api/v1/users/carol
is "user show: the row user list gives" "$(j "b['name'], b['devices'], b['otp']")" "carol 0 0"
E=$(etag /api/v1/users/carol)
aw POST /api/v1/users/carol/password -H 'If-Match: "0123456789abcdef0123456789abcdef"' -d '{"password":"pw-carol-2"}'
is "user passwd, a stale If-Match: 412" "$CODE" 412
aw POST /api/v1/users/carol/password -H "If-Match: $E" -d '{"password":"pw-carol-2"}'
is "user passwd" "$CODE" 200
E=$(etag /api/v1/users/carol)
aw POST /api/v1/users/carol/otp -H "If-Match: $E" -d '{}'
is "user otp: the one-time password in this answer" "$(j "len(b['one_time_password']) >= 8")" True
E=$(etag /api/v1/users/carol)
aw DELETE /api/v1/users/carol -H "If-Match: $E"
is "user rm: 204" "$CODE" 204
is "... gone" "$(sc --json user list | grep -c carol)" 0

ar GET /api/v1/templates
is "template list" "$(j "[t['name'] for t in b['items']]")" "['generic']"
ar GET /api/v1/templates/generic/body
contains "template show" "$(j "b['body']" 2>/dev/null || cat "$W/b")" "sip-ua-config"
aw PUT /api/v1/templates/extra -d '{"body":"x={{x}}\n","vendor":"acme.example"}'
is "template add by PUT: 200" "$CODE" 200
is "... in the store" "$(sc template show extra | head -1)" "x={{x}}"
aw PUT /api/v1/templates/extra -d '{"body":"y\n"}'
is "... replacing it needs If-Match: 428" "$CODE" 428
E=$(etag /api/v1/templates/extra)
aw PUT /api/v1/templates/extra -H "If-Match: $E" -d '{"body":"y={{y}}\n","vendor":"acme.example"}'
is "... with it: 200" "$CODE" 200
E=$(etag /api/v1/templates/extra)
aw DELETE /api/v1/templates/extra -H "If-Match: $E"
is "template rm: 204" "$CODE" 204

aw PUT /api/v1/vars/global/greeting -d '{"value":"hello"}'
is "var set global" "$CODE" 200
aw PUT "/api/v1/vars/device/$DEV/greeting" -d '{"value":"hi there"}'
is "var set device" "$CODE" 200
ar GET "/api/v1/vars?layer=device&scope=$DEV"
is "var show" "$(j "[(v['name'], v['value']) for v in b['items']]")" "[('greeting', 'hi there')]"
ar GET "/api/v1/vars/device/$DEV/greeting"
is "a device variable, with its ETag" "$(j "b['value']")" "hi there"
E=$(hv ETag)
aw PUT "/api/v1/vars/device/$DEV/greeting" -d '{"value":"hello again"}'
is "... changing it needs If-Match: 428" "$CODE" 428
aw PUT "/api/v1/vars/device/$DEV/greeting" -H "If-Match: $E" -d '{"value":"hello again"}'
is "... with it: 200 and the new value" "$CODE $(j "b['value']")" "200 hello again"
aw DELETE "/api/v1/vars/device/$DEV/greeting" -H "If-Match: $E"
is "... a stale If-Match cannot remove it: 412" "$CODE" 412
E=$(etag "/api/v1/vars/device/$DEV/greeting")
aw DELETE "/api/v1/vars/device/$DEV/greeting" -H "If-Match: $E"
is "var unset device: 204" "$CODE" 204
E=$(etag /api/v1/vars/global/greeting)
aw DELETE /api/v1/vars/global/greeting -H "If-Match: $E"
is "var unset global: 204" "$CODE" 204
ar GET /api/v1/vars/global/greeting
is "... gone: 404" "$CODE" 404
is "... none left" "$(sc --json var show global)" "[]"

aw PATCH /api/v1/profiles/lobby -d '{"max_age":"600"}'
is "profile set (new): 200" "$CODE" 200
aw PATCH /api/v1/profiles/lobby -d '{"max_age":"900"}'
is "... changing it needs If-Match: 428" "$CODE" 428
E=$(etag /api/v1/profiles/lobby)
aw PATCH /api/v1/profiles/lobby -H "If-Match: $E" -d '{"max_age":"900"}'
is "... with it" "$(j "b['max_age']")" 900
ar GET /api/v1/profiles
is "profile list" "$(j "[p['name'] for p in b['items']]")" "['lobby']"
ar GET /api/v1/domains
is "domain list" "$(j "[d['name'] for d in b['items']]")" "['default']"
ar GET /api/v1/domains/default
is "domain show" "$CODE" 200

aw POST /api/v1/paths -d '{"pattern":"acme-{mac}.cfg","vendor":"acme.example","template":"generic"}'
is "path add: 201" "$CODE" 201
ar GET /api/v1/paths
is "path list" "$(j "'acme-{mac}.cfg' in [p['pattern'] for p in b['items']]")" True
E=$(etag "/api/v1/paths/acme-%7Bmac%7D.cfg")
aw DELETE "/api/v1/paths/acme-%7Bmac%7D.cfg" -H "If-Match: $E"
is "path rm: 204" "$CODE" 204
ar GET /api/v1/checksync
is "checksync list" "$(j "len(b['items']) > 3")" True
E=$(etag /api/v1/checksync/snom.com)
aw PATCH /api/v1/checksync/snom.com -H "If-Match: $E" -d '{"event":"check-sync"}'
is "checksync set" "$(j "b['event']")" check-sync

printf 'device,vendor,model\n00:11:22:33:44:c1,examplecorp.com,HypoComm\n' > "$W/new.csv"
printf 'device,vendor,state\n00:11:22:33:44:c2,examplecorp.com,asleep\nnot-a-mac,x,active\n' > "$W/bad.csv"
aw POST /api/v1/import --data-binary "@$W/bad.csv" -H 'Content-Type: text/csv'
is "import of bad rows: 400" "$CODE" 400
contains "... the count in the detail" "$(detail)" "2 bad rows of 2, nothing imported"
is "... each bad row, by line, in errors" "$(j "[e.split(': ')[0] for e in b['errors'][:2]]")" "['stdin:2', 'stdin:3']"
is "... nothing written" "$(sc --json device list | grep -c 0011223344c2)" 0
is "... and nothing said on the daemon's output" "$(cat "$W/daemon.out" "$W/daemon.err" | grep -c 'bad row')" 0
sc export --all --secrets > "$W/all.txt" 2>/dev/null
aw POST /api/v1/import --data-binary "@$W/all.txt"
is "a whole store (export --all) is not moved through the API: 400" "$CODE" 400
contains "... said" "$(detail)" "not through the API"
aw POST "/api/v1/import?dry_run=true" --data-binary "@$W/new.csv" -H 'Content-Type: text/csv'
is "import --dry-run: 200" "$CODE" 200
contains "... its summary in the answer" "$(j "b['messages'][0]")" "dry run, nothing written: 1 rows: 1 devices added"
is "... wrote nothing" "$(sc --json device list | grep -c 0011223344c1)" 0
aw POST /api/v1/import --data-binary "@$W/new.csv" -H 'Content-Type: text/csv'
is "import: 200" "$CODE" 200
is "... the device is there" "$(sc --json device list | grep -c '"0011223344c1"')" 1

aw POST /api/v1/tokens -d '{"name":"ci","scope":"read","valid_for":"1d"}'
is "token add: 201" "$CODE" 201
TC=$(j "b['token']")
api GET /api/v1/whoami -H "Authorization: Bearer $TC"
is "... the new token works" "$(j "b['token']")" ci
ar GET /api/v1/tokens
is "token list: names and scopes, no secrets" "$(j "sorted(t['name'] for t in b['items']), any('sha256' in t or 'token' in t for t in b['items'])")" "['ci', 'old', 'ops', 'viewer'] False"
E=$(etag /api/v1/tokens/ci)
aw DELETE /api/v1/tokens/ci -H "If-Match: $E"
is "token rm: 204" "$CODE" 204
api GET /api/v1/whoami -H "Authorization: Bearer $TC"
is "... and it no longer works" "$CODE" 401
ar GET "/api/v1/audit?limit=5"
is "audit: the newest first, naming the token" "$(j "b['items'][0]['who'].split(' (')[0], b['items'][0]['command']")" "token ops DELETE /api/v1/tokens/ci"
E=$(etag "/api/v1/devices/0011223344c1")
aw DELETE "/api/v1/devices/0011223344c1" -H "If-Match: $E"
is "device rm: 204" "$CODE" 204
is "... gone" "$(sc --json device list | grep -c 0011223344c1)" 0

# ------------------------- the CLI and the API: the same change, the same
DA=urn:uuid:00000000-0000-1000-8000-0011223344a1
DC=urn:uuid:00000000-0000-1000-8000-0011223344a2
sc device add "$DA" --vendor examplecorp.com >/dev/null
sc device add "$DC" --vendor examplecorp.com >/dev/null
sc device set "$DA" --label lobby --state disabled --user alice --max-age 600 >/dev/null
E=$(etag "/api/v1/devices/$DC")
aw PATCH "/api/v1/devices/$DC" -H "If-Match: $E" -d '{"label":"lobby","state":"disabled","user":"alice","max_age":600}'
is "the API's change" "$CODE" 200
# A device without what names it; its audit rows the same way.
norm='import json,sys
d=json.load(sys.stdin)
for k in ("id","sfua_id","mac","created","updated","monitor_token"): d.pop(k,None)
print(json.dumps(d,sort_keys=True))'
is "the CLI and the API leave the same device" "$(sc --json device show "$DA" | python3 -c "$norm")" "$(sc --json device show "$DC" | python3 -c "$norm")"
rows() { sql "SELECT a.op, a.before, a.after FROM audit a JOIN devices d ON d.id = a.device_id WHERE d.sfua_id = '$1' AND a.op = 'update' ORDER BY a.id" | sed "s/$2//g"; }
RA=$(rows "$DA" 0011223344a1)
RC=$(rows "$DC" 0011223344a2)
is "... and the same audit rows" "$RC" "$RA"
is "... one made by the OS user, one by the token" "$(sql "SELECT DISTINCT d.sfua_id || ':' || CASE WHEN s.who LIKE 'token ops%' THEN 'token' ELSE 'os' END FROM audit a JOIN audit_sessions s ON s.id = a.session_id JOIN devices d ON d.id = a.device_id WHERE d.sfua_id IN ('$DA', '$DC') AND a.op = 'update' ORDER BY 1" | paste -sd' ' -)" "$DA:os $DC:token"

# ------------------------------------------------------------ OpenAPI
api GET /api/v1/openapi.json
is "the OpenAPI document, without a token" "$CODE" 200
is "... OpenAPI 3" "$(j "b['openapi'][:2]")" "3."
j "'\n'.join(sorted(m.upper() + ' ' + p for p, ms in b['paths'].items() for m in ms))" > "$W/doc.routes"
"$SIPCFGD" --routes | sort > "$W/srv.routes"
is "every route the server has is documented, and only those" "$(diff "$W/srv.routes" "$W/doc.routes" && echo same)" same
is "... $(wc -l < "$W/srv.routes") of them" "$(wc -l < "$W/srv.routes" | tr -d ' ')" "$(wc -l < "$W/doc.routes" | tr -d ' ')"
missing=
while read -r m p; do
	u=$(printf '%s' "$p" | sed -e "s|{dev}|$DEV|" -e 's|{[a-z]*}|x|g')
	api "$m" "$u" -H "Authorization: Bearer $TR"
	if [ "$CODE" = 404 ] && grep -q 'no such route' "$W/b"; then
		missing="$missing $m $p"; fi
	[ "$CODE" = 405 ] && missing="$missing $m $p"
done < "$W/doc.routes"
is "the server answers every documented route" "$missing" ""

# ------------------------------------------------------------ metrics
ar GET /metrics
is "/metrics with a token" "$CODE" 200
contains "... the text format" "$(hv Content-Type)" "text/plain; version=0.0.4"
cp "$W/b" "$W/metrics.txt"
contains "... counts the API's requests" "$(cat "$W/metrics.txt")" 'sipcfg_http_requests_total{route="api",code="200"}'
contains "... and the configuration fetches" "$(cat "$W/metrics.txt")" 'sipcfg_http_requests_total{route="config",code="200"}'
contains "... and the admin API's refusals" "$(cat "$W/metrics.txt")" 'sipcfg_auth_failures_total{reason="admin"}'
api GET /metrics
is "/metrics without a token: 401" "$CODE" 401
if command -v promtool >/dev/null 2>&1; then
	out=$(promtool check metrics < "$W/metrics.txt" 2>&1); rc=$?
	is "promtool check metrics accepts it" "$rc:$out" "0:"
else
	ok "promtool check metrics # SKIP promtool not installed" 0
fi

alive; ok "the daemon is still up" $?

# -------------------------- client certificates instead (admin_client_ca)
stop_daemon
"$top_srcdir/certs/mkclient.sh" ca "$W/ca" adm >/dev/null &&
"$top_srcdir/certs/mkclient.sh" self "$W/ca" self ops >/dev/null ||
	{ echo "Bail out! cannot make the CA"; exit 99; }
# clientcert CN: a certificate for CN signed by the CA, $W/ca/CN.pem.
clientcert() {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	    -out "$W/ca/$1.key" 2>/dev/null &&
	openssl req -new -key "$W/ca/$1.key" -subj "/CN=$1" \
	    -out "$W/ca/$1.csr" &&
	openssl x509 -req -in "$W/ca/$1.csr" -CA "$W/ca/adm-ca.pem" \
	    -CAkey "$W/ca/adm-ca.key" -CAcreateserial -days 10 \
	    -out "$W/ca/$1.pem" 2>/dev/null
}
clientcert viewer && clientcert stranger ||
	{ echo "Bail out! cannot make the client certificates"; exit 99; }
start_daemon "admin_listen 127.0.0.1:0" "admin_client_ca $W/ca/adm-ca.pem"
api GET /api/v1/whoami --cert "$W/ca/self.pem" --key "$W/ca/self.key"
is "a certificate the CA did not sign: 401" "$CODE" 401
contains "... said" "$(detail)" "does not validate against admin_client_ca"
api GET /api/v1/whoami --cert "$W/ca/stranger.pem" --key "$W/ca/stranger.key"
is "a CN that names no token: 401" "$CODE" 401
contains "... said" "$(detail)" "CN stranger names no token"
api GET /api/v1/whoami --cert "$W/ca/viewer.pem" --key "$W/ca/viewer.key"
is "a certificate naming a token: its scope" "$(j "b['token'], b['scope']")" "viewer read"
api PATCH "/api/v1/profiles/lobby" --cert "$W/ca/viewer.pem" --key "$W/ca/viewer.key" -d '{}'
is "... no more than that scope" "$CODE" 403
ar GET /api/v1/whoami
is "bearer tokens still work beside it" "$(j "b['token']")" viewer
stop_daemon

# A drift page reads at most admin_scan_max devices (each one rendered),
# so that a fleet whose devices mostly do not drift never holds the
# listener: the page stops there, with fewer rows than its limit, and its
# next link goes on after the last device read.  35 devices that never
# fetched (all drift), read 10 at a time.
{ echo device; i=0; while [ $i -lt 35 ]; do printf '02aa%08x\n' $i; i=$((i + 1)); done; } > "$W/scan.csv"
sc import "$W/scan.csv" >/dev/null || { echo "Bail out! import"; exit 99; }
start_daemon "admin_listen 127.0.0.1:0" "admin_scan_max 10"
ar GET "/api/v1/drift?limit=100"
is "admin_scan_max 10: a page of at most 10 rows" "$(j "len(b['items']) <= 10")" True
contains "... and a next link, after the last device read" "$(j "b['next']")" "/api/v1/drift?after="
seen=; N="/api/v1/drift?limit=100"; pages=0
while [ -n "$N" ] && [ "$N" != None ] && [ $pages -lt 50 ]; do
	ar GET "$N"
	seen="$seen $(j "' '.join(r['device'] for r in b['items'])")"
	N=$(j "b['next']"); pages=$((pages + 1))
done
is "... following them gives what sipcfg drift gives, each once" \
    "$(printf '%s\n' $seen | sort | paste -sd' ' -)" \
    "$(sc --json drift | python3 -c 'import json,sys; print(" ".join(sorted(r["device"] for r in json.load(sys.stdin))))')"
is "... in pages of 10 devices read" "$pages" "$(( ($(sql "SELECT count(*) FROM devices WHERE state = 'active'") + 9) / 10 ))"
stop_daemon
done_testing
