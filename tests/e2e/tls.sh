#!/bin/sh
# tls: TLS 1.2 and 1.3 only (openssl s_client), IPv4 and IPv6 listeners.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
make_store
start_daemon "listen [::1]:0"
P6=$(printf '%s' "$READY" | sed -n 's|.*https://\[::1\]:\([0-9]*\)/.*|\1|p')
contains "ready line lists the IPv6 listener" "$READY" "https://[::1]:"

sc() { openssl s_client -connect "127.0.0.1:$PORT" -servername localhost "$@" </dev/null 2>&1; }
# The client is told to allow old protocols (SECLEVEL=0), so a refusal is
# the server's doing; "Cipher is (NONE)" means no handshake completed.
old="-cipher DEFAULT:@SECLEVEL=0"
out=$(sc -tls1_1 $old)
contains "TLS 1.1 refused" "$out" "Cipher is (NONE)"
out=$(sc -tls1 $old)
contains "TLS 1.0 refused" "$out" "Cipher is (NONE)"
contains "TLS 1.2 accepted" "$(sc -tls1_2)" "New, TLSv1.2, Cipher is ECDHE"
contains "TLS 1.2 uses an AEAD suite" "$(sc -tls1_2)" "Cipher is ECDHE-ECDSA-AES128-GCM-SHA256"
contains "TLS 1.2 CBC suites refused" "$(sc -tls1_2 -cipher ECDHE-ECDSA-AES128-SHA256)" "Cipher is (NONE)"
contains "TLS 1.3 accepted" "$(sc -tls1_3)" "New, TLSv1.3, Cipher is TLS_"
out=$(sc -tls1_2)
contains "ECDSA certificate" "$out" "Peer signature type: ECDSA"
contains "X25519 key exchange preferred" "$out" "Server Temp Key: X25519"
is "curl --tlsv1.2 --tls-max 1.2 works" \
	"$(status "$BASE?$Q" --tlsv1.2 --tls-max 1.2 --digest -u alice:$PW)" 200
is "curl over IPv6 works" \
	"$(status "https://[::1]:$P6/cfg?$Q" --digest -u alice:$PW)" 200
is "plain HTTP on the TLS port is refused" \
	"$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/cfg?$Q")" 000
ok "daemon alive after plain HTTP" "$(alive; echo $?)"
contains "ECDSA: static RSA key exchange refused" \
	"$(sc -tls1_2 -cipher AES128-GCM-SHA256)" "Cipher is (NONE)"
stop_daemon

# An RSA certificate: forward secrecy all the same (ECDHE only; static
# RSA key exchange, AES128-GCM-SHA256 and the like, is refused).
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/key.pem" \
	-out "$W/cert.pem" -days 30 -subj /CN=localhost \
	-addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null ||
	{ echo "Bail out! cannot make an RSA certificate"; exit 99; }
start_daemon
out=$(sc -tls1_2 -cipher AES128-GCM-SHA256)
contains "RSA: static RSA key exchange refused (AES128-GCM-SHA256)" "$out" "Cipher is (NONE)"
out=$(sc -tls1_2 -cipher AES256-GCM-SHA384)
contains "RSA: static RSA key exchange refused (AES256-GCM-SHA384)" "$out" "Cipher is (NONE)"
out=$(sc -tls1_2 -cipher DHE-RSA-AES128-GCM-SHA256)
contains "RSA: finite-field DHE refused" "$out" "Cipher is (NONE)"
contains "RSA: TLS 1.2 negotiates ECDHE" "$(sc -tls1_2)" "Cipher is ECDHE-RSA-AES128-GCM-SHA256"
is "RSA: curl works" "$(status "$BASE?$Q" --tlsv1.2 --tls-max 1.2 --digest -u alice:$PW)" 200
stop_daemon
stop_daemon
done_testing
