#!/bin/sh
# bulk: `sipcfg import` and `sipcfg export` (issue 11) on a real store:
# each kind of bad row rejected with its line number and nothing written
# (the store file byte-identical; on PostgreSQL its dump, but for where
# its sequences are: a rolled-back insert moves them), a dry run
# byte-identical too, then an
# import the daemon serves with the imported credentials, the export
# round trip into a fresh store, and secrets only under --secrets.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
need_sql
need sha256sum
sc init --realm bulk-realm >/dev/null &&
sc template add generic "$top_srcdir/templates/generic.xml" >/dev/null &&
sc profile set desk --max-age 600 >/dev/null ||
	{ echo "Bail out! cannot make the store"; exit 99; }
sum() {
	if [ -n "$PGDB" ]; then
		store_bytes | grep -v '^SELECT pg_catalog.setval(' |
		    sha256sum | cut -d' ' -f1
	else sha256sum "$STORE" | cut -d' ' -f1; fi
}
# rejects DESCRIPTION EXPECTED-MESSAGE FILE [options]: non-zero exit,
# the message, and the store file unchanged to the byte.
rejects() {
	d=$1; m=$2; shift 2
	before=$(sum)
	out=$(sc import "$@" 2>&1 </dev/null); rc=$?
	if [ $rc -ne 0 ] && printf '%s' "$out" | grep -q -- "$m"; then ok "$d" 0
	else ok "$d (rc $rc: $out)" 1; fi
	is "$d: store byte-identical" "$(sum)" "$before"
}
H=domain,device,vendor,model,label,state,user,password,profile
G="$H,line1.aor,line1.username,line1.password,var.tz"
good() { echo ",00:11:22:33:44:0$1,examplecorp.com,HypoComm,desk $1,active,u$1,pw$1,desk,sip:u$1@example.net,u$1,lp$1,Europe/Paris"; }

# Bad input first: each rejected with FILE:LINE, nothing written.
printf '%s\n%s\n%s\n' "$G" "$(good 1)" ",12:34,,,,,,,,,,," > "$W/f.csv"
rejects "bad MAC" "f.csv:3: device 12:34: not an sfua-id URN or a MAC" "$W/f.csv"
printf '%s\n%s\n%s\n' "$G" "$(good 1)" "nowhere.example,00:11:22:33:44:09,,,,,,,,,,," > "$W/f.csv"
rejects "unknown domain" "f.csv:3: domain nowhere.example: no such domain" "$W/f.csv"
printf '%s\n%s\n%s\n' "$G" ",00:11:22:33:44:09,,,,on,,,,,,," "$(good 1)" > "$W/f.csv"
rejects "bad state" "f.csv:2: state on: expected active, pending or disabled" "$W/f.csv"
printf '%s\n%s\n%s\n%s\n' "$G" "$(good 1)" "$(good 2)" "$(good 1 | sed 's/u1/v1/g')" > "$W/f.csv"
rejects "duplicate device" "f.csv:4: device urn:uuid:00000000-0000-1000-8000-001122334401: already on line 2" "$W/f.csv"
printf '%s\n%s\n' "$G" "$(good 1 | sed 's/,desk,/,gold,/')" > "$W/f.csv"
rejects "unknown profile" "f.csv:2: profile gold: no such profile" "$W/f.csv"
printf '%s\n%s\n%s\n' "$G" "$(good 1)" ',00:11:22:33:44:02,x,"a"b,,,,,,,,,' > "$W/f.csv"
rejects "malformed CSV quoting" "f.csv:3: a closing quote must end the field" "$W/f.csv"
printf '%s\n%s\n%s\n' "$G" "$(good 1)" ',00:11:22:33:44:02,x,"open' > "$W/f.csv"
rejects "unclosed CSV quote" "f.csv:3: a quoted field opened on line 3 is not closed" "$W/f.csv"
printf '%s\n%s\n' "$G" ",00:11:22:33:44:02,,,,,newuser,,,,,," > "$W/f.csv"
rejects "new user without a password" "f.csv:2: user newuser is new" "$W/f.csv"
printf '%s\n%s\n' "$H,bogus" ",00:11:22:33:44:02,,,,,,,,x" > "$W/f.csv"
rejects "unknown column" "f.csv:1: column bogus: unknown" "$W/f.csv"
printf '%s\n%s\n' "$G" "$(good 1 | sed 's/sip:u1@example.net/tel:123/')" > "$W/f.csv"
rejects "bad line AOR (the line add rule)" "f.csv:2: line 1 aor: expected sip:user@domain" "$W/f.csv"
printf '%s\n' '{"device":"00:11:22:33:44:01","user":"u1","password":"pw1"}' \
	'{"device":"00:11:22:33:44:02",' '{"device":"00:11:22:33:44:03","state":"gone"}' > "$W/f.jsonl"
out=$(sc import "$W/f.jsonl" 2>&1); rc=$?
ok "bad JSON rejected" $([ $rc -ne 0 ] && printf '%s' "$out" | grep -q 'f.jsonl:2: ' && echo 0 || echo 1)
contains "every bad row reported, not only the first" "$out" "f.jsonl:3: state gone"
contains "the summary says nothing was imported" "$out" "2 bad rows of 3, nothing imported"
printf '%s\n' '{"device":"00:11:22:33:44:01","user":"u1","password":"pw1"}' \
	'{"device":"00:11:22:33:44:02","user":"u1","password":"other"}' > "$W/f.jsonl"
rejects "one user, two passwords" "f.jsonl:2: user u1: another password than on line 1" "$W/f.jsonl"
rejects "unknown --format" "expected csv or jsonl" "$W/f.jsonl" --format xml
is "nothing written by any of them" "$(sql 'SELECT (SELECT count(*) FROM devices), (SELECT count(*) FROM users), (SELECT count(*) FROM lines)')" "0|0|0"

# Many rows: an import sends them in batches (on PostgreSQL with COPY,
# 10,000 devices at a time, store_pg_import.c).  A row the store itself
# refuses (a trigger of this test's: the file's own checks cannot see
# it), in the second batch, fails the whole import by its line, and
# nothing is written; without the trigger all 12,000 are there, each
# with its user, line, variable and its own monitor token.
new_store many || { echo "Bail out! no store for many rows"; exit 99; }
MANY=$NEW_STORE
"$SIPCFG" -d "$MANY" init --realm bulk-realm >/dev/null ||
	{ echo "Bail out! cannot make the store for many rows"; exit 99; }
awk 'BEGIN { print "device,user,password,line1.aor,line1.username,line1.password,var.n";
	for (i = 0; i < 12000; i++)
		printf "02%010x,m%d,pw%d,sip:%s@example.net,m%d,lp%d,%d\n", i, i, i,
		    i == 11000 ? "refused" : "m" i, i, i, i }' > "$W/many.csv"
msql() { (STORE=$MANY; sql "$1"); }
if [ -n "$PGDB" ]; then
	msql "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS \$\$
	    BEGIN RAISE EXCEPTION 'refused by the test trigger'; END \$\$;
	    CREATE TRIGGER refuse BEFORE INSERT ON lines FOR EACH ROW
	    WHEN (NEW.aor = 'sip:refused@example.net') EXECUTE FUNCTION refuse();"
else
	msql "CREATE TRIGGER refuse BEFORE INSERT ON lines
	    WHEN NEW.aor = 'sip:refused@example.net'
	    BEGIN SELECT RAISE(ABORT, 'refused by the test trigger'); END;"
fi
out=$("$SIPCFG" -d "$MANY" import "$W/many.csv" 2>&1); rc=$?
ok "a row the store refuses fails the import" $([ $rc -ne 0 ] && echo 0 || echo 1)
ok "... naming its line, 11002" $(printf '%s' "$out" | grep -Eq 'many.csv:11002: |line 11002: ' && echo 0 || echo 1)
contains "... and the store's reason" "$out" "refused by the test trigger"
is "... and nothing is written" "$(msql "SELECT count(*) FROM devices") $(msql "SELECT count(*) FROM users") $(msql "SELECT count(*) FROM monitors")" "0 0 0"
if [ -n "$PGDB" ]; then msql "DROP TRIGGER refuse ON lines"
else msql "DROP TRIGGER refuse"; fi
out=$("$SIPCFG" -d "$MANY" import "$W/many.csv" 2>&1)
contains "12,000 rows in batches" "$out" "12000 rows: 12000 devices added"
is "every device, user, line and variable" "$(msql "SELECT count(*) FROM devices") $(msql "SELECT count(*) FROM users") $(msql "SELECT count(*) FROM lines") $(msql "SELECT count(*) FROM vars WHERE layer = 'device'")" "12000 12000 12000 12000"
is "each device its own monitor token" "$(msql "SELECT count(DISTINCT m.token) FROM devices d JOIN monitors m ON m.device_id = d.id")" 12000
is "the last row as the file has it" "$(msql "SELECT d.mac || ' ' || u.name || ' ' || l.aor || ' ' || v.value FROM devices d JOIN users u ON u.id = d.user_id JOIN lines l ON l.device_id = d.id JOIN vars v ON v.scope = d.sfua_id WHERE d.mac = '020000002edf'")" "020000002edf m11999 sip:m11999@example.net 11999"

# A dry run: what would change, and the store byte-identical.
printf '%s\n%s\n%s\n' "$G" "$(good 1)" "$(good 2)" > "$W/a.csv"
before=$(sum)
out=$(sc import "$W/a.csv" --dry-run); ok "dry run" $?
contains "dry run says what it would add" "$out" "2 devices added, 0 changed"
is "dry run: store byte-identical" "$(sum)" "$before"

# The import, served by the daemon with the imported password.
seq0=$(sql 'SELECT coalesce(max(seq), 0) FROM changes')
aud0=$(sql 'SELECT count(*) FROM audit')
out=$(sc import "$W/a.csv"); ok "import" $?
contains "import summary" "$out" "2 rows: 2 devices added"
# One audit row for the whole import (sql/migrate-8.sql), and one change
# row per device, user and device variables it touched.
is "the import is one audit row" "$(($(sql 'SELECT count(*) FROM audit') - aud0))" 1
if [ -n "$PGDB" ]; then jx() { echo "(a.after::json->>'$1')"; }
else jx() { echo "json_extract(a.after, '\$.$1')"; }; fi
is "who, the command, the counts" "$(sql "SELECT s.who, a.entity, CAST(s.command LIKE '%import%a.csv' AS integer), $(jx added), $(jx users_added) FROM audit a JOIN audit_sessions s ON s.id = a.session_id ORDER BY a.id DESC LIMIT 1")" "$(id -un)|import|1|2|2"
contains "sipcfg audit shows it" "$(sc audit --limit 1)" "import"
# (Row ids as the store gave them: PostgreSQL's sequences do not go back
# on the rollbacks above.)
idof() { sql "SELECT id FROM $1 WHERE $2"; }
is "the change rows: each device, user and device's variables added" \
	"$(sql "SELECT hint FROM changes WHERE seq > $seq0" | LC_ALL=C sort | paste -sd' ' -)" \
	"$(printf '%s\n' "device:$(idof devices "mac = '001122334401'")" \
	    "device:$(idof devices "mac = '001122334402'")" \
	    "user:$(idof users "name = 'u1'")" "user:$(idof users "name = 'u2'")" \
	    var:device:urn:uuid:00000000-0000-1000-8000-001122334401 \
	    var:device:urn:uuid:00000000-0000-1000-8000-001122334402 |
	    LC_ALL=C sort | paste -sd' ' -)"
is "two devices, two users, two lines" "$(sql 'SELECT (SELECT count(*) FROM devices), (SELECT count(*) FROM users), (SELECT count(*) FROM lines)')" "2|2|2"
is "HA1 with the store's realm" "$(sql "SELECT ha1_md5 FROM users WHERE name = 'u1'")" \
	"$(printf 'u1:bulk-realm:pw1' | md5sum | cut -d' ' -f1)"
if store_bytes | grep -a -q 'pw1\|lp1'; then ok "no password in the store file" 1
else ok "no password in the store file" 0; fi
out=$(sc import "$W/a.csv"); contains "the same file again changes nothing" "$out" "0 devices added, 0 changed, 2 unchanged"
D1=urn:uuid:00000000-0000-1000-8000-001122334401
start_daemon
is "imported device with the imported password: 200" \
	"$(status "$BASE?sfua-id=$D1&sfua-user=u1" --digest -u u1:pw1)" 200
is "wrong password: 401" "$(status "$BASE?sfua-id=$D1&sfua-user=u1" --digest -u u1:pw2)" 401
body=$(c "$BASE?sfua-id=$D1&sfua-user=u1" --digest -u u1:pw1)
contains "the imported line is served" "$body" "sip:u1@example.net"
stop_daemon

# A dry run of a change: counted by rendering, and nothing written.
printf '%s\n%s\n%s\n' "$G" "$(good 1 | sed 's/desk 1/desk one/')" "$(good 2)" > "$W/b.csv"
out=$(sc import "$W/b.csv" --dry-run)
contains "dry run: a label change is a changed device" "$out" "0 devices added, 1 changed, 1 unchanged, 0 removed"
contains "dry run: the generic template does not show the label: no ETag" "$out" "0 of 2 existing devices"
printf '%s\n%s\n%s\n' "$G" "$(good 1 | sed 's/sip:u1@/sip:u1b@/')" "$(good 2)" > "$W/b.csv"
before=$(sum)
out=$(sc import "$W/b.csv" --dry-run --replace)
contains "dry run: one device changed" "$out" "0 devices added, 1 changed, 1 unchanged, 0 removed"
contains "dry run: a new AOR is a new ETag" "$out" "1 of 2 existing devices"
is "dry run of a change: store byte-identical" "$(sum)" "$before"
printf '%s\n%s\n' "$G" "$(good 1)" > "$W/c.csv"
out=$(sc import "$W/c.csv" --dry-run --replace)
contains "--replace would remove the device not in the file" "$out" "1 removed"

# Export: secrets only under --secrets; the round trip is exact.
sc var set device "$D1" n 42 >/dev/null
sc export > "$W/plain.csv"; ok "export" $?
if grep -q "$(sql "SELECT ha1_md5 FROM users WHERE name = 'u1'")\|lp1" "$W/plain.csv"; then
	ok "no HA1 or password without --secrets" 1; else ok "no HA1 or password without --secrets" 0; fi
sc export --secrets > "$W/full.csv"
contains "--secrets gives the HA1" "$(cat "$W/full.csv")" "$(printf 'u1:bulk-realm:pw1' | md5sum | cut -d' ' -f1)"
contains "--secrets gives the line password" "$(cat "$W/full.csv")" ",lp1,"
for f in csv jsonl; do
	sc export --secrets --format $f > "$W/e1.$f"
	new_store "fresh_$f" || { echo "Bail out! no fresh store"; exit 99; }
	S2=$NEW_STORE
	"$SIPCFG" -d "$S2" init --realm bulk-realm >/dev/null
	"$SIPCFG" -d "$S2" profile set desk --max-age 600 >/dev/null
	"$SIPCFG" -d "$S2" import "$W/e1.$f" >/dev/null; ok "import the $f export into a fresh store" $?
	"$SIPCFG" -d "$S2" export --secrets --format $f > "$W/e2.$f"
	if cmp -s "$W/e1.$f" "$W/e2.$f"; then ok "$f round trip is exact" 0
	else ok "$f round trip is exact ($(diff "$W/e1.$f" "$W/e2.$f" | head -4))" 1; fi
done
sc export --secrets --format jsonl | sc import - >/dev/null; ok "import from standard input" $?
out=$(sc export --format jsonl | sc import - 2>&1)
contains "lines without their secrets are refused" "$out" "stdin:1: line 1: give password or ha1"

# Listings longer than a window (1000 rows) are printed as read, a
# window at a time: users in batches after the last name, devices as
# the store steps; the rows after the first window look the same.
new_store big || { echo "Bail out! no fresh store"; exit 99; }
S3=$NEW_STORE
"$SIPCFG" -d "$S3" init --realm bulk-realm >/dev/null
{ echo "device,user,password"
  i=0; while [ $i -lt 2500 ]; do printf '02%010x,w%04d,pw-%d\n' $i $i $i; i=$((i + 1)); done
} > "$W/big.csv"
"$SIPCFG" -d "$S3" import "$W/big.csv" >/dev/null; ok "import 2500 devices and users" $?
ul() { "$SIPCFG" -d "$S3" "$@"; }
is "user list: 2500 users past two windows" "$(ul user list | tail -n +2 | wc -l | tr -d ' ')" 2500
is "... in name order, none twice" "$(ul user list | tail -n +2 | awk '{ print $1 }' | sort -c && ul user list | tail -n +2 | awk '{ print $1 }' | sort -u | wc -l | tr -d ' ')" 2500
is "... --json the same, one array" "$(ul --json user list | python3 -c 'import json,sys; r=json.load(sys.stdin); print(len(r), r[1000]["name"], r[-1]["name"])')" "2500 w1000 w2499"
is "--limit 1500 across the window" "$(ul --json user list --limit 1500 | python3 -c 'import json,sys; r=json.load(sys.stdin); print(len(r), r[-1]["name"])')" "1500 w1499"
is "--offset 999 --limit 3" "$(ul user list --offset 999 --limit 3 | tail -n +2 | awk '{ printf "%s ", $1 }')" "w0999 w1000 w1001 "
# Two fetches on record, one in each window (as sipcfgd writes them).
STORE=$S3 sql "INSERT INTO device_seen(device_id, last_fetch) SELECT id, 1796000000 FROM devices WHERE mac IN ('020000000001', '0200000009c3')" >/dev/null
is "device list past the window: times in ISO 8601 there too" \
    "$(ul device list | grep -c '2026-11-30T')" 2
# 2500 subscription rows as notifiers write them (by hand here: holding
# real ones is notify.sh's and bench/notify.sh's subject), two instances.
now=$(date +%s)
STORE=$S3 sql "INSERT INTO subscriptions(instance, local_id, device_id, uri, transport, source, created, expires) SELECT CASE WHEN id % 2 = 0 THEN 'host-a:5060' ELSE 'host-b:5060' END, id, id, 'sip:x@example.net', 'udp', '127.0.0.1:5060', $now, $((now + 600)) FROM devices" >/dev/null
is "subs: 2500 past two windows" "$(ul subs | tail -n +2 | wc -l | tr -d ' ')" 2500
is "... --json: one array in id order, each once" "$(ul --json subs | python3 -c 'import json,sys; r=json.load(sys.stdin); k=[(s["instance"], int(s["id"].rsplit("/",1)[1])) for s in r]; print(len(r), len(set(k)), k == sorted(k))')" "2500 2500 True"
is "--limit 1500 across the window" "$(ul --json subs --limit 1500 | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" 1500
done_testing
