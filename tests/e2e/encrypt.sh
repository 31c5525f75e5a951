#!/bin/sh
# encrypt: per-device encrypted configuration files (issue 5).  What the
# daemon serves decrypts with stock `openssl cms` / `openssl enc -d -md
# md5` to exactly the bytes `sipcfg render` prints; the same ETag means
# the same bytes; a new key changes both; a plain (bootstrap) path rule
# delivers the key unencrypted.  Bad input first.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
need openssl; need_sql
make_store
M=00:11:22:33:44:55


fails "device key without a seal key" "no seal key" sh -c \
	"mv '$KEYF' $W/k; $SIPCFG -d '$STORE' device key $M; rc=\$?; mv $W/k '$KEYF'; exit \$rc"
fails "unknown mode" "expected none, cms-password" sc device set "$M" --encrypt rot13
fails "--enc-cert not a certificate" "not a PEM certificate" sc device set "$M" --enc-cert /etc/hostname
fails "profile --encrypt typo" "expected none, cms-password" sc profile set lab --encrypt aes

start_daemon
sc render "$M" > "$W/plain" 2>/dev/null; ok "the plaintext, from sipcfg render" $?

# Encryption asked for, but no key yet: a clear 500, logged.
sc device set "$M" --encrypt cms-password >/dev/null
is "encrypt without a key: 500" "$(status "$BASE?$Q" --digest -u alice:$PW)" 500
contains "the log says what to do" "$(cat "$W/daemon.err")" "sipcfg device key"
KEY=$(sc device key "$M"); ok "device key prints the key once" "$(printf '%s' "$KEY" | grep -qx '[0-9a-f]\{64\}'; echo $?)"
ok "the key is not in the store in clear" "$(! store_bytes | grep -qa "$KEY"; echo $?)"

get() {	# get OUT: the device's answer, headers in OUT.h
	c -o "$1" -D "$1.h" --digest -u "alice:$PW" "$BASE?$Q"
}

# cms-password: openssl cms -decrypt -pwri_password
get "$W/c1"
is "cms-password: 200" "$(code "$W/c1.h")" 200
is "Content-Type" "$(hdr Content-Type "$W/c1.h")" application/pkcs7-mime
openssl cms -decrypt -binary -inform DER -in "$W/c1" -pwri_password "$KEY" \
	-out "$W/d1" 2>"$W/err"
ok "openssl cms -decrypt -pwri_password: the rendered bytes" "$(cmp -s "$W/d1" "$W/plain"; echo $?)"
get "$W/c1b"
ok "same ETag, same bytes" "$(cmp -s "$W/c1" "$W/c1b"; echo $?)"
is "same ETag" "$(hdr ETag "$W/c1b.h")" "$(hdr ETag "$W/c1.h")"
c -o /dev/null -D "$W/h304" --digest -u "alice:$PW" -H "If-None-Match: $(hdr ETag "$W/c1.h")" "$BASE?$Q"
is "revalidation: 304" "$(code "$W/h304")" 304

# openssl-enc-md5: openssl enc -d -aes-256-cbc -md md5
sc device set "$M" --encrypt openssl-enc-md5 >/dev/null
get "$W/c2"
is "openssl-enc-md5: starts with Salted__" "$(head -c 8 "$W/c2")" "Salted__"
openssl enc -d -aes-256-cbc -md md5 -pass "pass:$KEY" -in "$W/c2" -out "$W/d2" 2>/dev/null
ok "openssl enc -d -md md5: the rendered bytes" "$(cmp -s "$W/d2" "$W/plain"; echo $?)"

# cms-cert: to the device's certificate (EC P-256)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$W/dev.key" -out "$W/dev.pem" -subj /CN=phone -days 30 2>/dev/null
sc device set "$M" --encrypt cms-cert >/dev/null
is "cms-cert without a certificate: 500" "$(status "$BASE?$Q" --digest -u alice:$PW)" 500
sc device set "$M" --enc-cert "$W/dev.pem" >/dev/null; ok "device set --enc-cert" $?
get "$W/c3"
openssl cms -decrypt -binary -inform DER -in "$W/c3" -recip "$W/dev.pem" \
	-inkey "$W/dev.key" -out "$W/d3" 2>/dev/null
ok "openssl cms -decrypt -recip: the rendered bytes" "$(cmp -s "$W/d3" "$W/plain"; echo $?)"

# A new key: new ETag, the old key no longer opens it.
e_old=$(hdr ETag "$W/c1.h")
sc device set "$M" --encrypt cms-password >/dev/null
KEY2=$(sc device key "$M")
get "$W/c4"
ok "a new key: a new ETag" "$([ "$(hdr ETag "$W/c4.h")" != "$e_old" ]; echo $?)"
openssl cms -decrypt -binary -inform DER -in "$W/c4" -pwri_password "$KEY" \
	-out "$W/d4" >/dev/null 2>&1
ok "the old key does not open it" "$(! cmp -s "$W/d4" "$W/plain"; echo $?)"

# The bootstrap file: a plain path rule delivers the key in clear.
printf 'key={{device.encryption_key}}\n' | sc template add boot - \
	--content-type text/plain >/dev/null
sc path add 'boot{mac}.txt' --template boot --plain >/dev/null; ok "path add --plain" $?
c -o "$W/boot" -D "$W/boot.h" --digest -u "alice:$PW" "https://127.0.0.1:$PORT/prov/boot001122334455.txt"
is "the bootstrap file is not encrypted, and carries the key" "$(cat "$W/boot")" "key=$KEY2"
is "the secret-free default never carries it" \
	"$(sc render "$M" --secret-free 2>/dev/null | grep -c "$KEY2")" 0
done_testing
