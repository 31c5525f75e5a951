#!/bin/sh
# clientcert: RFC 6011 §2.4.1 client certificates against the real
# daemon with real curl.  Certificates come from certs/mkclient.sh: a
# "factory CA" configured for the domain, device certificates naming a
# MAC or an sfua-id, self-signed ones for trust on first use.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
need openssl; need_sql
MK="$top_srcdir/certs/mkclient.sh"
make_store
DEV2=urn:uuid:00000000-0000-1000-8000-00aabbccdd02
printf 'bob-pw\n' | sc user add bob >/dev/null
sc device add "$DEV2" --vendor examplecorp.com --model HypoComm --user bob >/dev/null
Q2="sfua-id=$DEV2&sfua-user=bob"
{
	"$MK" ca "$W" factory &&
	"$MK" ca "$W" rogue &&
	"$MK" device "$W" factory mac1 001122334455 &&
	"$MK" device "$W" factory urn1 "$DEV" &&
	"$MK" device "$W" factory dev2 00aabbccdd02 &&
	"$MK" device "$W" factory anon "plain-name" &&
	"$MK" device "$W" rogue forged 001122334455 &&
	"$MK" self "$W" selfA "phone A" &&
	"$MK" self "$W" selfB "phone B"
} >/dev/null || { echo "Bail out! cannot make certificates"; exit 99; }
sc domain set default --ca "$W/factory-ca.pem" >/dev/null ||
	{ echo "Bail out! domain set"; exit 99; }
sc domain set default --ca "$W/nosuch.pem" 2>/dev/null >/dev/null
is "domain set: a missing CA file is refused" $? 1
sc device set "$DEV" --client-cert always 2>/dev/null >/dev/null
is "device set: a bad --client-cert is refused" $? 1
sc device unpin "$DEV" 2>"$W/e" >/dev/null
is "unpin without a pin is an error" $? 1
start_daemon

# asked: 1 if the handshake carries a CertificateRequest.
asked() {
	openssl s_client -connect "127.0.0.1:$PORT" -tls1_2 -state </dev/null 2>&1 |
		grep -c "read server certificate request"
}
is "optional: the server asks for a client certificate" "$(asked)" 1
# cc CERT QUERY USER:PW: status with client certificate CERT.
cc() { status "$BASE?$2" --cert "$W/$1.pem" --key "$W/$1.key" --digest -u "$3"; }

# Bad input first.
is "a factory certificate of another device: 403" "$(cc dev2 "$Q" alice:$PW)" 403
contains "... logged as a warning" "$(cat "$W/daemon.err")" "bound to another device"
is "a factory certificate of another device for an unknown device: 403" \
	"$(cc dev2 "sfua-id=urn:uuid:00000000-0000-1000-8000-0000000000aa" alice:$PW)" 403
is "a certificate naming the MAC from another CA is untrusted; TOFU pins it" \
	"$(cc forged "$Q2" bob:bob-pw)" 200
is "the pinned untrusted certificate for bob's device works again" \
	"$(cc forged "$Q2" bob:bob-pw)" 200
is "... but a different one for that device is refused (403)" "$(cc selfA "$Q2" bob:bob-pw)" 403
contains "... with a warning naming the pin" "$(cat "$W/daemon.err")" "not the one pinned to it"
is "wrong password with a certificate: 401, and nothing pinned" \
	"$(cc selfA "$Q" alice:wrong)" 401
is "no pin was made for alice's device" \
	"$(sql "SELECT count(*) FROM device_pins d JOIN devices v ON v.id = d.device_id WHERE v.sfua_id = '$DEV'")" 0

# Valid and bound.
is "factory certificate with the device's MAC: 200" "$(cc mac1 "$Q" alice:$PW)" 200
is "factory certificate with the device's sfua-id: 200" "$(cc urn1 "$Q" alice:$PW)" 200
is "factory certificate naming no device: 200 (valid, not bound)" "$(cc anon "$Q" alice:$PW)" 200
is "no certificate (optional): 200" "$(status "$BASE?$Q" --digest -u alice:$PW)" 200
is "valid certificates make no pin" \
	"$(sql "SELECT count(*) FROM device_pins d JOIN devices v ON v.id = d.device_id WHERE v.sfua_id = '$DEV'")" 0

# Trust on first use for alice's device.
is "self-signed A with good credentials: 200" "$(cc selfA "$Q" alice:$PW)" 200
contains "... pinned, logged" "$(cat "$W/daemon.err")" "pinned on first use"
contains "device show has the pin" "$(sc --json device show "$DEV")" "$(openssl x509 -in "$W/selfA.pem" -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1)"
is "self-signed A again: 200" "$(cc selfA "$Q" alice:$PW)" 200
is "self-signed B for the same device: 403" "$(cc selfB "$Q" alice:$PW)" 403
is "a pinned device without its certificate: 403" "$(status "$BASE?$Q" --digest -u alice:$PW)" 403
# A pinned device presents the pinned certificate, whatever a CA says.
is "a pinned device with a CA-signed certificate naming no device: 403" \
	"$(cc anon "$Q" alice:$PW)" 403
is "a pinned device with a CA-signed certificate naming it: 403" \
	"$(cc mac1 "$Q" alice:$PW)" 403
is "... and the pin is unchanged: A still works" "$(cc selfA "$Q" alice:$PW)" 200
is "B with a wrong password: 401, not 403 (nothing told before authentication)" \
	"$(cc selfB "$Q" alice:wrong)" 401
sc device unpin "$DEV" >/dev/null
is "device unpin works" $? 0
is "after unpin, B is pinned: 200" "$(cc selfB "$Q" alice:$PW)" 200
is "... and A is now refused" "$(cc selfA "$Q" alice:$PW)" 403
contains "pins are in the device's history" "$(sc --json device history "$DEV")" '"pin insert"'
contains "... made by sipcfgd" "$(sc --json device history "$DEV")" "sipcfgd (trust on first use)"
contains "... and so are unpins" "$(sc --json device history "$DEV")" '"pin delete"'

# Policies.
sc device set "$DEV" --client-cert required >/dev/null
is "device required, no certificate: 403" "$(status "$BASE?$Q" --digest -u alice:$PW)" 403
is "device required, its pinned certificate: 200" "$(cc selfB "$Q" alice:$PW)" 200
sc device set "$DEV" --client-cert ignore >/dev/null
is "device ignore: a certificate that is not the pin is ignored (200)" \
	"$(cc selfA "$Q" alice:$PW)" 200
is "device ignore: another device's factory certificate ignored (200)" \
	"$(cc dev2 "$Q" alice:$PW)" 200
sc device set "$DEV" --client-cert inherit >/dev/null
is "inherit: the domain's optional again, A refused" "$(cc selfA "$Q" alice:$PW)" 403
sc device unpin "$DEV" >/dev/null
sc domain set default --tofu off >/dev/null
stop_daemon
start_daemon
is "tofu off: an untrusted certificate is refused (403)" "$(cc selfA "$Q" alice:$PW)" 403
is "tofu off: a valid bound one works" "$(cc mac1 "$Q" alice:$PW)" 200
sc domain set default --client-cert required --tofu on >/dev/null
stop_daemon
start_daemon
is "domain required: no certificate is 403" "$(status "$BASE?$Q" --digest -u alice:$PW)" 403
is "domain required: an unknown device without one is 403 too" \
	"$(status "$BASE?sfua-id=urn:uuid:00000000-0000-1000-8000-0000000000aa")" 403
is "domain required: a factory certificate works" "$(cc urn1 "$Q" alice:$PW)" 200
sc domain set default --client-cert ignore >/dev/null
stop_daemon
start_daemon
# With ignore the server does not even ask (no CertificateRequest).
is "domain ignore: no client certificate asked for" "$(asked)" 0
is "domain ignore: the device's other-device certificate is ignored" "$(cc dev2 "$Q" alice:$PW)" 200
ok "daemon alive" $(alive; echo $?)
stop_daemon
is "clean exit" $? 0
done_testing
