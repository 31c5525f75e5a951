#!/bin/sh
# seal: SIP passwords that vendor formats print in clear are kept only
# sealed (AES-256-GCM) under a key file (beside a SQLite store; on
# PostgreSQL SIPCFG_SEAL_KEY's), made by `sipcfg init`: the store alone
# reveals none.  Bad cases first
# (no key, a key readable by others, a forged sealed value), then the
# password in `sipcfg render` and in what sipcfgd serves a phone.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
need_sql
SECRET="Sip-Secret-$$-x"
out=$(sc init --realm test-realm 2>&1)
contains "init makes the seal key" "$out" "seal key $KEYF made"
is "the key file is the owner's only" "$(stat -c %a "$KEYF")" 600
is "32 bytes" "$(wc -c < "$KEYF" | tr -d ' ')" 32
sc template add yealink "$top_srcdir/templates/yealink.cfg" --vendor yealink.com >/dev/null
printf 'pw1\n' | sc user add u1 >/dev/null
sc device add 00:15:65:aa:bb:01 --vendor yealink.com --user u1 >/dev/null
printf '%s\n' "$SECRET" | sc line add 00:15:65:aa:bb:01 --aor sip:1001@example.net \
	--username 1001 >/dev/null
[ -n "$PGDB" ] || sql 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null

# The store file (and its WAL; a dump of the database) hold no trace of it.
ok "the store file has no clear password" "$(! store_bytes | grep -qa "$SECRET"; echo $?)"
contains "it is sealed" "$(sql 'SELECT password_sealed FROM lines')" "s1:"

# Bad cases.
chmod 644 "$KEYF"
out=$(sc render 00:15:65:aa:bb:01 2>&1); rc=$?
ok "a key readable by others is refused ($rc)" "$([ $rc -ne 0 ]; echo $?)"
contains "saying why" "$out" "readable by its owner only"
chmod 600 "$KEYF"
mv "$KEYF" "$W/away.key"
out=$(sc render 00:15:65:aa:bb:01 2>/dev/null)
contains "without the key file: it renders" "$out" "account.1.auth_name = 1001"
ok "but with no password" "$(! printf '%s' "$out" | grep -q "$SECRET"; echo $?)"
note=$(printf 'x\n' | sc line add 00:15:65:aa:bb:01 --aor sip:1002@example.net \
	--username 1002 2>&1 >/dev/null)
contains "line add without a key says only the HA1 is kept" "$note" "no seal key"
mv "$W/away.key" "$KEYF"
sql "UPDATE lines SET password_sealed = 's1:AAAA' || substr(password_sealed, 8) WHERE position = 1"
out=$(sc render 00:15:65:aa:bb:01 2>&1); rc=$?
is "a forged sealed value: still renders" $rc 0
ok "with no password" "$(! printf '%s' "$out" | grep -q "$SECRET"; echo $?)"
sc line rm 00:15:65:aa:bb:01 1 >/dev/null
printf '%s\n' "$SECRET" | sc line add 00:15:65:aa:bb:01 --aor sip:1001@example.net \
	--username 1001 --position 1 >/dev/null

# The key opens it: the template gets it, and so does the phone.
contains "render prints the password" "$(sc render 00:15:65:aa:bb:01 2>/dev/null)" \
	"account.1.password = $SECRET"
start_daemon
c -o "$W/cfg" -D "$W/h" -A "Yealink SIP-T46S 66.86.0.15" --digest -u u1:pw1 \
	"https://127.0.0.1:$PORT/prov/001565aabb01.cfg"
is "the phone's file: 200" "$(code "$W/h")" 200
contains "with its SIP password" "$(cat "$W/cfg")" "account.1.password = $SECRET"
ok "the daemon never logs it" "$(! grep -q "$SECRET" "$W/daemon.err"; echo $?)"
done_testing
