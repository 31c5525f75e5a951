#!/bin/sh
# move: a whole store moved (issue 13 §5) with
# `sipcfg export --all --secrets | sipcfg -d TARGET import -`, from a
# SQLite file into the test's store ($STORE: another SQLite file, or under
# tests/pg/e2e.sh a PostgreSQL database), whose seal key differs.  Bad
# input first: what export and import refuse, and that a refused import
# leaves the target empty.  Then: sipcfgd on the target serves the same
# body, ETag and monitor token as on the source; the same user password
# and the secrets (line password, long-term password, secret variable)
# were sealed again under the target's key; exporting the target gives
# the source's export byte for byte, and so does moving it back.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
need_sql

# The source: a SQLite store with its own key, whatever $STORE is.
SRC="$W/src.db"
src() { SIPCFG_SEAL_KEY="$W/src.key" "$SIPCFG" -d "$SRC" "$@"; }
# The target: the test's store, with a key of its own.
[ -n "$PGDB" ] || { SIPCFG_SEAL_KEY="$W/dst.key"; export SIPCFG_SEAL_KEY; }
DKEY=$SIPCFG_SEAL_KEY
cat > "$W/t.txt" <<'EOF'
{{#lines}}line {{position}} {{username}} {{password}}
{{/lines}}pin {{admin_pin}}
prov {{provisioning.user}} {{provisioning.password}}
EOF
{
	src init --realm move-realm &&
	src template add generic "$W/t.txt" &&
	printf 'first-pw\n' | src user add alice &&
	printf '%s\n' "$PW" | src user passwd alice --revoke-now &&
	src device add "$DEV" --vendor examplecorp.com --model HypoComm \
		--user alice --label "moved à l'identique" &&
	printf 'line-secret\n' | src line add "$DEV" --aor sip:alice@example.net \
		--username alice &&
	src var set global admin_pin '"4711"' --secret &&
	src var set global ntp_server '"ntp.move.example"' &&
	src profile set office --max-age 1234 &&
	src path add 'move-{mac}.xml' --template generic
} >/dev/null 2>"$W/src.err" || { echo "Bail out! source store: $(cat "$W/src.err")"; exit 99; }
sc init --realm other-realm >/dev/null || { echo "Bail out! target init"; exit 99; }
ok "the keys differ" "$(cmp -s "$W/src.key" "$DKEY"; [ $? -eq 1 ]; echo $?)"

# ------------------------------------------------------------ bad input
out=$(src export --all 2>&1); rc=$?
is "export --all without --secrets: exit 1" $rc 1
contains "says to add --secrets" "$out" "add --secrets"
out=$(src export --all --secrets --format csv 2>&1)
is "export --all as CSV: exit 1" $? 1
out=$(SIPCFG_SEAL_KEY="$W/nokey" "$SIPCFG" -d "$SRC" export --all --secrets 2>&1)
is "export --all without the seal key: exit 1" $? 1
contains "says the secrets cannot be opened" "$out" "seal key"
head -c 32 /dev/urandom > "$W/wrong.key"; chmod 600 "$W/wrong.key"
out=$(SIPCFG_SEAL_KEY="$W/wrong.key" "$SIPCFG" -d "$SRC" export --all --secrets 2>&1)
is "export --all with another key: exit 1" $? 1
contains "says it does not open" "$out" "does not open with this seal key"

src export --all --secrets > "$W/e1" || { echo "Bail out! export"; exit 99; }
ok "the export has no sealed text" "$(grep -q '"s1:' "$W/e1"; [ $? -eq 1 ]; echo $?)"
contains "and the line password in clear, for the target to seal" \
	"$(grep '"table":"lines"' "$W/e1")" '"clear":{"password_sealed":"line-secret"}'
head -n 5 "$W/e1" > "$W/trunc"
out=$(sc import "$W/trunc" 2>&1)
is "a truncated export: exit 1" $? 1
contains "says it ends early" "$out" "ends early"
sed 's/"version":[0-9]*/"version":99/' "$W/e1" > "$W/v99"
out=$(sc import "$W/v99" 2>&1)
is "another schema version: exit 1" $? 1
contains "names both versions" "$out" "version 99"
sed '3s/.*/{"table":"nosuch","row":{"a":1}}/' "$W/e1" > "$W/badt"
out=$(sc import "$W/badt" 2>&1)
is "a table that is not a store's: exit 1" $? 1
contains "with its line" "$out" "badt:3:"
sed '3s/.*/{"table":"meta","row":{"key; DROP TABLE users":1}}/' "$W/e1" > "$W/inj"
out=$(sc import "$W/inj" 2>&1)
is "a column name that is not one: exit 1" $? 1
sed '$d' "$W/e1" > "$W/noend"; echo '{"end":{"rows":3}}' >> "$W/noend"
out=$(sc import "$W/noend" 2>&1)
is "an end record that miscounts: exit 1" $? 1
out=$(sc import --dry-run "$W/e1" 2>&1)
is "--dry-run on a whole store: exit 1" $? 1
is "a refused import left the target empty" "$(sql "SELECT count(*) FROM devices") $(sql "SELECT count(*) FROM users")" "0 0"
is "users table untouched (not dropped)" "$(sql "SELECT count(*) FROM users WHERE 1 = 1")" 0

# ------------------------------------------------ the source, served
{ echo "store $SRC"; echo "seal_key $W/src.key"; echo "cert $W/cert.pem"
  echo "key $W/key.pem"; echo "listen 127.0.0.1:0"; echo "threads 2"
  echo "sip_listen sip:127.0.0.1:$(free_port)"; echo "sip_host 127.0.0.1"
} > "$W/b.conf"
SIPCFG_SEAL_KEY="$W/src.key" run_b
PB=$(sed -n 's|.*https://127.0.0.1:\([0-9]*\)/.*|\1|p' "$W/b.out")
c -o "$W/body1" -D "$W/h1" --digest -u "alice:$PW" "https://127.0.0.1:$PB/cfg?$Q"
is "the source serves the device" "$(code "$W/h1")" 200
kill -TERM "$BPID"; wait "$BPID"
E1=$(hdr ETag "$W/h1"); L1=$(hdr Link "$W/h1")
contains "with its secrets" "$(cat "$W/body1")" "line 1 alice line-secret"

# ------------------------------------------------------------- the move
src export --all --secrets > "$W/e1"
out=$(src export --all --secrets | sc import - 2>&1); rc=$?
is "export --all --secrets | import -: exit 0" $rc 0
contains "says what came" "$out" "1 devices, 1 users"
out=$(sc import "$W/e1" 2>&1)
is "a second import into the now full store: exit 1" $? 1
contains "says it needs an empty one" "$out" "empty one"
ok "the target's secrets are sealed (not in clear)" \
	"$(sql "SELECT password_sealed FROM lines" | grep -q '^s1:'; echo $?)"
sc export --all --secrets > "$W/e2"
ok "the target exports the source's export, byte for byte" "$(cmp -s "$W/e1" "$W/e2"; echo $?)"

start_daemon "sip_listen sip:127.0.0.1:$(free_port)" "sip_host 127.0.0.1"
c -o "$W/body2" -D "$W/h2" --digest -u "alice:$PW" "$BASE?$Q"
is "the same password works on the target" "$(code "$W/h2")" 200
is "the same ETag" "$(hdr ETag "$W/h2")" "$E1"
ok "the same body" "$(cmp -s "$W/body1" "$W/body2"; echo $?)"
T1=$(printf '%s' "$L1" | sed -n 's/^<sip:\([0-9a-f]*\)@.*/\1/p')
ok "a monitor token" "$(printf '%s' "$T1" | grep -qx '[0-9a-f]\{32\}'; echo $?)"
contains "the same monitor token" "$(hdr Link "$W/h2")" "<sip:$T1@"
contains "the secret variable opened under the new key" "$(cat "$W/body2")" "pin 4711"
contains "the long-term password too" "$(cat "$W/body2")" "prov alice $PW"
is "the path rules are the source's (init's went)" "$(sc path list)" "$(src path list)"
stop_daemon

# ------------------------------------------- and back (as it is now:
# the fetch above is in its bookkeeping)
sc export --all --secrets > "$W/e4"
rm -f "$W/back.db" "$W/back.key"
SIPCFG_SEAL_KEY="$W/back.key" "$SIPCFG" -d "$W/back.db" init >/dev/null
sc export --all --secrets | SIPCFG_SEAL_KEY="$W/back.key" "$SIPCFG" -d "$W/back.db" import - >/dev/null
is "moved back into SQLite: exit 0" $? 0
SIPCFG_SEAL_KEY="$W/back.key" "$SIPCFG" -d "$W/back.db" export --all --secrets > "$W/e3"
ok "and it exports the same bytes again" "$(cmp -s "$W/e4" "$W/e3"; echo $?)"
done_testing
