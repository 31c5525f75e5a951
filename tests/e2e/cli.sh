#!/bin/sh
# cli: the sipcfg admin commands on a real store: bad input first (clear
# message, non-zero exit, nothing changed), then each command and --json.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
need_sql
fails "store missing: clear error" "sipcfg init" sc device list
sc init --realm test-realm >/dev/null; ok "init" $?
if [ -n "$PGDB" ]; then
	is "schema version" "$(sql 'SELECT version FROM schema_version')" 9
	ok "WAL mode # SKIP a SQLite store's journal mode" 0
else
	is "schema version" "$(sql 'PRAGMA user_version')" 9
	is "WAL mode" "$(sql 'PRAGMA journal_mode')" wal
fi
sc init >/dev/null; ok "init twice is harmless" $?

fails "unknown command" "unknown command" sc frobnicate
# The habits of a Unix tool (issue 14): a usage error is exit 2 on
# standard error; --help and --version are exit 0 on standard output.
VERSION=$(sed -n 's/^AC_INIT(\[sipcfg\], *\[\([^]]*\)\].*/\1/p' "$top_srcdir/configure.ac")
for p in "$SIPCFG" "$SIPCFGD" "$top_builddir/sipcfg-ua"; do
	n=$(basename "$p")
	"$p" --bogus >"$W/o" 2>"$W/e"; rc=$?
	is "$n --bogus: exit 2, nothing on stdout" "$rc $(wc -c <"$W/o")" "2 0"
	contains "$n --bogus: says so on stderr" "$(cat "$W/e")" "$n"
	"$p" --help >"$W/o" 2>"$W/e"; rc=$?
	is "$n --help: exit 0, nothing on stderr" "$rc $(wc -c <"$W/e")" "0 0"
	contains "$n --help: usage on stdout" "$(cat "$W/o")" "usage: $n"
	"$p" --version >"$W/o" 2>"$W/e"; rc=$?
	is "$n --version" "$rc $(cat "$W/o")" "0 $n $VERSION"
done
fails "unknown option" "unknown option" sc device list --bogus
fails "bad MAC/URN" "not an sfua-id URN or a MAC" sc device add 12:34
fails "bad vendor" "not a DNS domain" sc device add 00:11:22:33:44:55 --vendor "bad vendor"
fails "bad state" "expected active, pending or disabled" sc device add 00:11:22:33:44:55 --state on
fails "unknown user" "no such user" sc device add 00:11:22:33:44:55 --user ghost
is "failed device add left nothing" "$(sql 'SELECT count(*) FROM devices')" 0
fails "empty password refused" "empty password" sh -c "printf '\n' | $SIPCFG -d '$STORE' user add alice"
fails "no password on stdin" "password" sc user add alice
fails "bad user name" "not a valid user name" sh -c "echo pw | $SIPCFG -d '$STORE' user add a:b"
printf 'pw1\n' | sc user add alice >/dev/null; ok "user add (password on stdin)" $?
fails "duplicate user" "already exists" sh -c "echo pw | $SIPCFG -d '$STORE' user add alice"
is "HA1 stored, password not" "$(sql "SELECT count(*) FROM users WHERE ha1_md5 = '$(printf 'alice:test-realm:pw1' | md5sum | cut -d' ' -f1)'")" 1
printf 'pw\n' | sc user add zed >/dev/null
printf 'pw\n' | sc user add bea >/dev/null
fails "user list --limit x" "--limit x: expected a number of users" sc user list --limit x
fails "user list --offset -1" "--offset -1: expected a number of users to skip" sc user list --offset -1
fails "user list --after ''" "--after: expected a user's name" sc user list --after ''
fails "user show of no such user" "ghost: not found" sc user show ghost
is "user list: in name order" "$(sc user list | awk 'NR > 1 { printf "%s ", $1 }')" "alice bea zed "
is "user list --limit 2" "$(sc user list --limit 2 | awk 'NR > 1 { printf "%s ", $1 }')" "alice bea "
is "user list --after bea (keyset)" "$(sc user list --after bea | awk 'NR > 1 { printf "%s ", $1 }')" "zed "
is "user list --offset 1 --limit 1" "$(sc user list --offset 1 --limit 1 | awk 'NR > 1 { printf "%s ", $1 }')" "bea "
is "user show: its fields" "$(sc user show bea | awk '$1 == "name" || $1 == "devices" { printf "%s=%s ", $1, $2 }')" "name=bea devices=0 "
is "user show --json: the row user list gives" "$(sc --json user show bea | tr -d ' \n')" "$(sc --json user list --after alice --limit 1 | tr -d ' \n' | sed 's/^\[//; s/\]$//')"
sc user rm zed >/dev/null && sc user rm bea >/dev/null
if store_bytes | grep -a -q pw1; then ok "password not in the store file" 1; else ok "password not in the store file" 0; fi

sc device add 00:11:22:33:44:55 --vendor examplecorp.com --model HypoComm --user alice --label "desk 1" >/dev/null
ok "device add by MAC" $?
is "MAC becomes the RFC 6011 sfua-id" \
	"$(sql 'SELECT sfua_id FROM devices')" "urn:uuid:00000000-0000-1000-8000-001122334455"
fails "duplicate device" "already exists" sc device add 00-11-22-33-44-55
sc device add urn:uuid:00000000-0000-1000-8000-00aabbccddee >/dev/null
is "MAC derived from a version-1 uuid" \
	"$(sql "SELECT mac FROM devices WHERE sfua_id LIKE '%ddee'")" "00aabbccddee"
sc device add urn:uuid:f81d4fae-7dec-41d0-a765-00a0c91e6bf6 >/dev/null
is "no MAC from a random uuid" \
	"$(sql "SELECT coalesce(mac, 'none') FROM devices WHERE sfua_id LIKE '%6bf6'")" none
sc --json device list > "$W/list.json"; ok "device list --json" $?
if command -v python3 >/dev/null; then
	is "--json is JSON with 3 devices" "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$W/list.json")" 3
fi
contains "device list table" "$(sc device list)" "001122334455"
contains "device show" "$(sc device show 0011.2233.4455)" "desk 1"
fails "device set with nothing" "nothing to change" sc device set 001122334455
sc device set 001122334455 --state disabled >/dev/null
is "device set state" "$(sql "SELECT state FROM devices WHERE mac='001122334455'")" disabled
fails "device set bad max-age" "expected 0..31536000" sc device set 001122334455 --max-age -5

# device list: filters and paging in SQL (issue 11); bad input first.
fails "device list --limit -1" "--limit -1: expected a number of devices" sc device list --limit -1
fails "device list --limit abc" "--limit abc: expected a number of devices" sc device list --limit abc
fails "device list --offset x" "--offset x: expected a number of devices to skip" sc device list --offset x
fails "device list --not-seen-since 5x" "--not-seen-since 5x: expected seconds" sc device list --not-seen-since 5x
fails "device list --user ghost" "--user ghost: no such user" sc device list --user ghost
is "device list --limit 2: two rows and the header" "$(sc device list --limit 2 | wc -l)" 3
is "device list --limit 0: the header only" "$(sc device list --limit 0 | wc -l)" 1
is "device list --offset 1 --limit 1: the second device" \
	"$(sc --json device list --offset 1 --limit 1 | grep '"sfua_id"')" \
	'    "sfua_id": "urn:uuid:00000000-0000-1000-8000-00aabbccddee",'
is "--json of no device is an empty array" "$(sc --json device list --model nosuch)" "[]"
is "device list --vendor" "$(sc --json device list --vendor examplecorp.com | grep -c '"sfua_id"')" 1
is "device list --model" "$(sc --json device list --model HypoComm | grep -c '"sfua_id"')" 1
is "device list --user" "$(sc --json device list --user alice | grep -c '"sfua_id"')" 1
is "device list --state with --vendor" "$(sc --json device list --state disabled --vendor examplecorp.com | grep -c '"sfua_id"')" 1
is "device list: never seen is not seen since 1h" "$(sc --json device list --not-seen-since 1h | grep -c '"sfua_id"')" 3
sql "INSERT INTO device_seen(device_id, last_fetch) SELECT id, $(($(date +%s) - 60)) FROM devices WHERE mac = '001122334455'"
ok "device list: last_fetch in ISO 8601 (UTC)" $(sc device list | grep -Eq '001122334455 .* [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z' && echo 0 || echo 1)
ok "device show: created in ISO 8601, --json in seconds" $(sc device show 001122334455 | grep -Eq '^created +[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$' && sc --json device show 001122334455 | grep -Eq '"created": [0-9]+' && echo 0 || echo 1)
is "device list: seen a minute ago is seen since 1h" "$(sc --json device list --not-seen-since 1h | grep -c '"sfua_id"')" 2
is "device list: ...but not seen since 30s" "$(sc --json device list --not-seen-since 30s | grep -c '"sfua_id"')" 3
if command -v python3 >/dev/null; then
	is "streamed --json is one JSON array" "$(sc --json device list --limit 2 | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" 2
fi

fails "line add without --aor" "are required" sc line add 001122334455 --username alice
fails "line add bad AOR" "expected sip:user@domain" sh -c "echo x | $SIPCFG -d '$STORE' line add 001122334455 --aor mailto:a@b --username a"
echo lpw | sc line add 001122334455 --aor sip:alice@example.net --username alice >/dev/null
ok "line add" $?
is "line realm defaults to the AOR domain" "$(sql 'SELECT realm FROM lines')" example.net
is "line digest is the RFC 2617 HA1" "$(sql 'SELECT ha1 FROM lines')" \
	"$(printf 'alice:example.net:lpw' | md5sum | cut -d' ' -f1)"
fails "line at a taken position" "already exists" sh -c "echo x | $SIPCFG -d '$STORE' line add 001122334455 --aor sip:b@example.net --username b --position 1"
contains "line list" "$(sc line list 001122334455)" "sip:alice@example.net"

fails "template from a missing file" "No such file" sc template add t /nonexistent
printf 'x' > "$W/t.txt"
fails "template bad name" "SIP tokens" sc template add "a b" "$W/t.txt"
sc template add generic "$top_srcdir/templates/generic.xml" >/dev/null; ok "template add" $?
is "content type from the extension" "$(sql "SELECT content_type FROM templates")" application/xml
contains "template list" "$(sc template list)" generic
sc template show generic > "$W/shown"
cmp -s "$W/shown" "$top_srcdir/templates/generic.xml"; ok "template show prints it back" $?

fails "var bad layer" "layer must be" sc var set planet x y
fails "var vendor without NAME VALUE" "usage" sc var set vendor ntp x
sc var set global ntp_server pool.ntp.org >/dev/null; ok "var set global" $?
sc var set vendor examplecorp.com ntp_server '"vendor.ntp"' >/dev/null; ok "var set vendor" $?
sc var set device 001122334455 settings '[{"name":"a","value":"1"}]' >/dev/null; ok "var set device JSON" $?
contains "var show" "$(sc var show)" "vendor.ntp"
fails "var show --limit x" "--limit x: expected a number of variables" sc var show --limit x
is "var show: three variables, in layer order" "$(sc --json var show | python3 -c 'import json,sys; print(" ".join(v["layer"] for v in json.load(sys.stdin)))')" "global vendor device"
is "var show --offset 1 --limit 1: the page of the store" "$(sc --json var show --offset 1 --limit 1 | python3 -c 'import json,sys; print(" ".join(v["layer"] for v in json.load(sys.stdin)))')" "vendor"
sc device set 001122334455 --state active >/dev/null
sc render 001122334455 > "$W/r" 2> "$W/rmeta"; ok "render" $?
contains "render: vendor layer wins over global" "$(cat "$W/r")" "<ntp-server>vendor.ntp</ntp-server>"
contains "render: device JSON variable" "$(cat "$W/r")" '<setting name="a">1</setting>'
contains "render prints the ETag" "$(cat "$W/rmeta")" 'ETag: "'
sc var unset vendor examplecorp.com ntp_server >/dev/null
contains "var unset: global shows again" "$(sc render 001122334455 2>/dev/null)" "pool.ntp.org"
fails "var unset missing" "not found" sc var unset global nope
sc --json render 001122334455 > "$W/rj"; contains "render --json" "$(cat "$W/rj")" '"etag"'

# A template that does not render (put in with the store's shell, which
# sipcfg's own check at `template add` cannot stop) is a clear error.
sql "INSERT INTO templates(name, vendor, content_type, body) VALUES ('broken', 'examplecorp.com', 'application/xml', '{{#open}}never closed')"
fails "broken template: clear error" "template broken" sc render 001122334455
contains "write commands answer --json" "$(sc --json template rm broken)" "\"ok\": true"

sc user rm alice >/dev/null; ok "user rm" $?
is "devices of a removed user are unassigned" "$(sql "SELECT coalesce(CAST(user_id AS text), 'none') FROM devices WHERE mac='001122334455'")" none
sc device rm 001122334455 >/dev/null; ok "device rm" $?
is "its lines went with it" "$(sql 'SELECT count(*) FROM lines')" 0
fails "device rm twice" "not found" sc device rm 001122334455
contains "help lists commands" "$("$SIPCFG" help)" "template add"

# subs and notify (the notifier itself is tested in notify.sh).
fails "notify needs a device or --all" "usage: notify" sc notify
fails "notify: device and --all" "usage: notify" sc notify "$DEV" --all
fails "notify: unknown device" "not found" sc notify 00:00:00:00:00:99
fails "device --notify typo" "expected subscribe, poll" \
	sc device add 00:11:22:33:44:77 --notify push
fails "device add --notify inherit is meaningless" "expected subscribe, poll" \
	sc device add 00:11:22:33:44:77 --notify inherit
fails "profile set needs something to set" "--checksync or --encrypt is required" sc profile set office
sc device add 00:11:22:33:44:77 --notify poll >/dev/null; ok "device add --notify poll" $?
is "notify_mode stored" "$(sql "SELECT notify_mode FROM devices WHERE mac = '001122334477'")" poll
is "subs: none yet" "$(sc subs)" "no subscriptions"
is "subs --json: an empty array" "$(sc --json subs | tr -d ' \n')" "[]"
sc notify 00:11:22:33:44:77 >/dev/null; ok "notify DEV" $?
is "notify DEV is a change-log request" "$(sql "SELECT hint FROM changes WHERE entity = 'notify' ORDER BY seq DESC LIMIT 1")" \
	"notify:$(sql "SELECT id FROM devices WHERE mac = '001122334477'")"
sc notify --all >/dev/null; ok "notify --all" $?
is "notify --all hint" "$(sql "SELECT hint FROM changes ORDER BY seq DESC LIMIT 1")" "notify:*"

# A template that does not parse is refused, not stored.
fails "template with an unclosed section" "does not parse" \
	sh -c "printf '{{#a}}x' | $SIPCFG -d '$STORE' template add broken -"
is "the broken template was not stored" "$(sql "SELECT count(*) FROM templates WHERE name = 'broken'")" 0
# Free text cannot carry line breaks into line-oriented phone files.
fails "--label with a line break" "no control characters" \
	sc device set 00:11:22:33:44:77 --label "$(printf 'a\nb')"
# A new realm would lock users out of Digest: it takes --force.
printf 'pw\n' | sc user add carol >/dev/null
fails "init --realm over users" "use --force" sc init --realm other.example
is "realm unchanged" "$(sql "SELECT value FROM meta WHERE key = 'realm'")" test-realm
if [ -n "$PGDB" ]; then
	ok "the store is readable by its owner only # SKIP no store file on PostgreSQL" 0
else
	V=$(stat -c %a "$STORE"); is "the store is readable by its owner only" "$V" 600
fi

# naptr: RFC 6011 §2.3.1 records for base URLs; bad input first.
fails "naptr: bad domain" "not a DNS domain" sc naptr 'bad domain' https://p1.example.net/cfg
fails "naptr: not https" "expected an https:// base URL" sc naptr cs.example.net http://p1.example.net/cfg
fails "naptr: a query" "expected an https:// base URL" sc naptr cs.example.net 'https://p1.example.net/cfg?x=1'
fails "naptr: a '!' would break the regexp" "expected an https:// base URL" sc naptr cs.example.net 'https://p1.example.net/c!g'
fails "naptr: bad format" "expected zone or dnsmasq" sc naptr cs.example.net https://p1.example.net/cfg --format bind
is "naptr: zone lines, preferred first" "$("$SIPCFG" naptr cs.example.net https://p1.example.net/cfg https://p2.example.net:8443/cfg)" \
"cs.example.net.	IN NAPTR 10 10 \"u\" \"SFUA.CFG\" \"!^.*\$!https://p1.example.net/cfg!\" .
cs.example.net.	IN NAPTR 20 10 \"u\" \"SFUA.CFG\" \"!^.*\$!https://p2.example.net:8443/cfg!\" ."
is "naptr: dnsmasq lines" "$("$SIPCFG" naptr cs.example.net. https://p1.example.net/cfg --format dnsmasq)" \
	'naptr-record=cs.example.net,10,10,u,SFUA.CFG,!^.*$!https://p1.example.net/cfg!'
is "naptr needs no store" "$("$SIPCFG" -d "$W/none.db" naptr cs.example.net https://p1.example.net/cfg >/dev/null 2>&1; echo $?; [ -e "$W/none.db" ]; echo $?)" "0
1"

# A version 1 store (made by hand from schema.sql) is migrated in place:
# data kept, every device given a monitor token, triggers give hints.
# (A SQLite file of its own, whatever the store under test: PostgreSQL
# stores are made at the current version and have no migrations.)
if command -v sqlite3 >/dev/null; then
V1="$W/v1.db"
sqlite3 "$V1" < "$top_srcdir/sql/schema.sql" &&
sqlite3 "$V1" "INSERT INTO devices(sfua_id, mac) VALUES ('urn:uuid:00000000-0000-1000-8000-00aabbccddee', 'aabbccddee00')"
is "hand-made store is version 1" "$(sqlite3 "$V1" 'PRAGMA user_version')" 1
"$SIPCFG" -d "$V1" device list >/dev/null; ok "sipcfg opens (and migrates) it" $?
is "now version 9" "$(sqlite3 "$V1" 'PRAGMA user_version')" 9
is "with the issue 11 indexes (migrate-7)" "$(sqlite3 "$V1" "SELECT count(*) FROM sqlite_master WHERE name IN ('devices_sfua', 'devices_profile', 'users_domain', 'audit_sessions_open')")" 4
is "with the change-log triggers of domains and pins (migrate-8)" "$(sqlite3 "$V1" "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN ('domains_ins', 'domains_upd', 'domains_del', 'pins_ins', 'pins_del')")" 5
is "with the API token table (migrate-9)" "$(sqlite3 "$V1" "SELECT count(*) FROM sqlite_master WHERE name IN ('api_tokens', 'audit_api_tokens_ins', 'audit_api_tokens_del')")" 3
is "the old device kept" "$(sqlite3 "$V1" 'SELECT count(*) FROM devices')" 1
is "the old device was not enrolled by sipcfgd (migrate-6)" "$(sqlite3 "$V1" 'SELECT enrolled_from IS NULL FROM devices')" 1
ok "the old device got a monitor token" "$(sqlite3 "$V1" 'SELECT token FROM monitors' | grep -qx '[0-9a-f]\{32\}'; echo $?)"
sqlite3 "$V1" "UPDATE devices SET label = 'x'"
is "migrated triggers record hints" "$(sqlite3 "$V1" 'SELECT hint FROM changes ORDER BY seq DESC LIMIT 1')" "device:1"
else
	ok "a version 1 store is migrated # SKIP sqlite3 not installed" 0
fi
done_testing
