#!/bin/sh
# monitor: the HTTPS side of change notices (RFC 6011 §2.5) and the
# notifier's configuration: the monitor Link on 200, HEAD and 304 in
# subscription mode, none in polling mode (global, profile, device), the
# token stable across restarts; SIP TLS under the HTTPS policy (TLS 1.1,
# CBC and finite-field groups refused, ECDHE with AEAD accepted);
# notify_body on refused with a sip: listener; bad notifier
# configuration is refused with file:line and a reason.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
need perl; need_sql
make_store
A="--digest -u alice:$PW"
# The daemon's private TLS directory goes here, to be checked below.
mkdir "$W/tmp" && TMPDIR="$W/tmp" && export TMPDIR
P1=$(free_port) && P2=$(free_port) || { echo "Bail out! no free port"; exit 99; }

# Bad configuration first: sipcfgd -n names the line and the reason.
badconf() {	# badconf DESCRIPTION EXPECTED-MESSAGE DIRECTIVE...
	d=$1; m=$2; shift 2
	{ echo "store $STORE"; echo "cert $CERT"; echo "key $W/key.pem"
	  for l in "$@"; do echo "$l"; done; } > "$W/bad.conf"
	out=$("$SIPCFGD" -n -f "$W/bad.conf" 2>&1); rc=$?
	if [ $rc -ne 0 ] && printf '%s' "$out" | grep -q -- "$m"; then
		ok "$d" 0; else ok "$d (rc $rc: $out)" 1; fi
}
badconf "sip_listen without a port" "bad.conf:4: sip_listen" "sip_listen sip:127.0.0.1"
badconf "sip_listen with another scheme" "expected sip:HOST:PORT" "sip_listen http://127.0.0.1:5060"
badconf "sips with a transport parameter" "expected sip:HOST:PORT" "sip_listen sips:127.0.0.1:5061;transport=udp"
badconf "two sip: listeners" "only one sip: listener" "sip_listen sip:127.0.0.1:$P1" "sip_listen sip:[::1]:$P1"
badconf "port out of range" "sip_listen" "sip_listen sip:127.0.0.1:70000"
badconf "notify_mode typo" "expected subscribe or poll" "notify_mode push"
badconf "subscribe without a listener" "needs a sip_listen" "notify_mode subscribe"
badconf "sub_min_expires above sub_max_expires" "above sub_max_expires" "sip_listen sip:127.0.0.1:$P1" "sub_min_expires 600" "sub_max_expires 300"
badconf "notify_rate 0" "notify_rate: expected 1" "notify_rate 0"
badconf "notify_body not a boolean" "expected on or off" "notify_body maybe"
# RFC 5989 §6: the configuration in a NOTIFY goes over TLS or not at all.
badconf "notify_body on with a sip: listener" "notify_body on needs sips: listeners only" \
	"sip_listen sip:127.0.0.1:$P1" "sip_listen sips:127.0.0.1:$P2" "notify_body on"
badconf "sub_per_device 0" "sub_per_device: expected 1..1000" "sub_per_device 0"
badconf "sub_trust_contact not a boolean" "expected on or off" "sub_trust_contact any"

# No SIP listener: polling mode, no Link.
start_daemon
c -o /dev/null -D "$W/h" $A "$BASE?$Q"
is "200 without a notifier" "$(code "$W/h")" 200
is "no Link in polling mode" "$(hdr Link "$W/h")" ""
stop_daemon

start_daemon "sip_listen sip:127.0.0.1:$P1" "sip_listen sips:127.0.0.1:$P2" \
	"sip_host 127.0.0.1"
contains "ready lines name the SIP transports" "$(cat "$W/daemon.out")" \
	"sipcfgd: sip tls 127.0.0.1:$P2"
TOKEN=$(sql "SELECT token FROM monitors m JOIN devices d ON d.id = m.device_id WHERE d.sfua_id = '$DEV'")
ok "the device has a 32-hex monitor token" "$(printf '%s' "$TOKEN" | grep -qx '[0-9a-f]\{32\}'; echo $?)"
c -o /dev/null -D "$W/h" $A "$BASE?$Q"
links=$(last "$W/h" | grep -i '^Link:' | tr -d '\r')
contains "sips: monitor Link on the 200" "$links" "Link: <sips:$TOKEN@127.0.0.1:$P2>;rel=\"monitor\""
contains "sip: monitor Link too (plain listener)" "$links" "Link: <sip:$TOKEN@127.0.0.1:$P1>;rel=\"monitor\""
etag=$(hdr ETag "$W/h")
c -o /dev/null -D "$W/h" $A -H "If-None-Match: $etag" "$BASE?$Q"
is "conditional GET: 304" "$(code "$W/h")" 304
contains "304 carries the Link (RFC 6011 §2.6.1)" "$(last "$W/h" | tr -d '\r')" "<sips:$TOKEN@127.0.0.1:$P2>"
c -o /dev/null -D "$W/h" $A -I "$BASE?$Q"
contains "HEAD carries the Link" "$(last "$W/h" | tr -d '\r')" "<sips:$TOKEN@127.0.0.1:$P2>"

# Polling mode per profile, then per device (device wins).
sc device set "$DEV" --profile office >/dev/null
sc profile set office --notify poll >/dev/null; ok "profile --notify poll" $?
c -o /dev/null -D "$W/h" $A "$BASE?$Q"
is "profile in polling mode: no Link" "$(hdr Link "$W/h")" ""
contains "polling mode keeps max-age" "$(hdr Cache-Control "$W/h")" "max-age="
sc device set "$DEV" --notify subscribe >/dev/null; ok "device --notify subscribe" $?
c -o /dev/null -D "$W/h" $A "$BASE?$Q"
contains "device overrides its profile" "$(hdr Link "$W/h")" "$TOKEN"
sc device set "$DEV" --notify poll >/dev/null
c -o /dev/null -D "$W/h" $A "$BASE?$Q"
is "device in polling mode: no Link" "$(hdr Link "$W/h")" ""
sc device set "$DEV" --notify inherit >/dev/null
sc profile set office --notify inherit >/dev/null
c -o /dev/null -D "$W/h" $A "$BASE?$Q"
contains "inherit: the global default again" "$(hdr Link "$W/h")" "$TOKEN"
is "device show has the token" "$(sc --json device show "$DEV" | grep -c "\"monitor_token\": \"$TOKEN\"")" 1

# A device without lines cannot authenticate a SUBSCRIBE: no Link.
sc line rm "$DEV" 1 >/dev/null
c -o /dev/null -D "$W/h" $A "$BASE?$Q"
is "no line, no Link" "$(hdr Link "$W/h")" ""
printf 'line-pw\n' | sc line add "$DEV" --aor sip:alice@example.net --username alice >/dev/null

# SIP over TLS: TLS 1.2+ only (NOTES-apis.md §5.3, via OpenSSL's MinProtocol).
if openssl s_client -help 2>&1 | grep -q -- -tls1_1; then
	# The client allows TLS 1.1 (security level 0), so a refusal is
	# the server's: it answers with a protocol_version alert.
	out=$(OPENSSL_CONF=/dev/null openssl s_client -connect 127.0.0.1:$P2 \
		-tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' </dev/null 2>&1)
	contains "SIP TLS refuses TLS 1.1" "$out" "Cipher is (NONE)"
	contains "with a protocol_version alert" "$out" "alert protocol version"
fi
out=$(openssl s_client -connect 127.0.0.1:$P2 -tls1_2 -CAfile "$CERT" </dev/null 2>&1)
contains "SIP TLS 1.2 works with the server certificate" "$out" "Verify return code: 0 (ok)"
# One TLS policy (the HTTPS side's): ECDHE and AEAD only.  sofia-sip sets
# its own cipher list; tlspolicy.c puts ours in its place.
for cs in ECDHE-ECDSA-AES128-SHA ECDHE-ECDSA-AES256-SHA384 ECDHE-RSA-AES128-SHA AES128-SHA; do
	out=$(openssl s_client -connect 127.0.0.1:$P2 -tls1_2 -cipher "$cs" </dev/null 2>&1)
	contains "SIP TLS 1.2 refuses the CBC suite $cs" "$out" "Cipher is (NONE)"
done
for cs in ECDHE-ECDSA-AES128-GCM-SHA256 ECDHE-ECDSA-CHACHA20-POLY1305 ECDHE-ECDSA-AES256-GCM-SHA384; do
	out=$(openssl s_client -connect 127.0.0.1:$P2 -tls1_2 -cipher "$cs" -CAfile "$CERT" </dev/null 2>&1)
	contains "SIP TLS 1.2 accepts $cs" "$out" "Cipher is $cs"
done
out=$(openssl s_client -connect 127.0.0.1:$P2 -tls1_3 -CAfile "$CERT" </dev/null 2>&1)
contains "SIP TLS 1.3 works" "$out" "New, TLSv1.3"
out=$(openssl s_client -connect 127.0.0.1:$P2 -tls1_3 -groups ffdhe2048 </dev/null 2>&1)
contains "SIP TLS 1.3 refuses a finite-field group" "$out" "Cipher is (NONE)"
is "no key copy left in a temporary directory" "$(ls -A "$W/tmp")" ""

# The token is stored: the same after a restart.
stop_daemon; ok "clean stop" $?
start_daemon "sip_listen sip:127.0.0.1:$P1" "sip_listen sips:127.0.0.1:$P2" \
	"sip_host 127.0.0.1" "notify_mode poll"
c -o /dev/null -D "$W/h" $A "$BASE?$Q"
is "notify_mode poll: no Link" "$(hdr Link "$W/h")" ""
sc device set "$DEV" --notify subscribe >/dev/null
c -o /dev/null -D "$W/h" $A "$BASE?$Q"
contains "same token after a restart" "$(hdr Link "$W/h")" "<sips:$TOKEN@127.0.0.1:$P2>"
done_testing
