#!/bin/sh
# domains: several RFC 6011 §2.4.1 Configuration Service Domains on one
# port.  The certificate is chosen by SNI (checked with openssl s_client
# -servername and with curl --resolve, which sends the name as SNI);
# no SNI or an unknown name gets the default domain; devices and users
# belong to a domain, the same device may be in two.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
need openssl
MK="$top_srcdir/certs/mkclient.sh"
make_store
"$MK" ca "$W" test >/dev/null &&
"$MK" server "$W" test a "a.example.net" >/dev/null &&
"$MK" server "$W" test b "b.example.org" >/dev/null ||
	{ echo "Bail out! cannot make certificates"; exit 99; }

# Bad input first: nothing may change.
sc domain add 'not a name' --cert "$W/a.pem" --key "$W/a.key" 2>"$W/e" >/dev/null
is "domain add: a bad name is refused (exit 1)" $? 1
contains "... saying why" "$(cat "$W/e")" "not a DNS name"
sc domain add 127.0.0.1 --cert "$W/a.pem" --key "$W/a.key" 2>"$W/e" >/dev/null
is "domain add: an address is refused (SNI carries names)" $? 1
sc domain add a.example.net 2>"$W/e" >/dev/null
is "domain add without --cert is refused" $? 1
sc domain add a.example.net --cert "$W/a.pem" 2>"$W/e" >/dev/null
is "--cert without --key is refused" $? 1
sc domain add a.example.net --cert "$W/a.pem" --key "$W/b.key" 2>"$W/e" >/dev/null
is "a key of another certificate is refused" $? 1
contains "... saying so" "$(cat "$W/e")" "does not belong to the certificate"
sc domain add a.example.net --cert "$W/nosuch.pem" --key "$W/a.key" 2>"$W/e" >/dev/null
is "a missing certificate file is refused" $? 1
sc domain add a.example.net --cert "$W/a.key" --key "$W/a.key" 2>"$W/e" >/dev/null
is "a key given as the certificate is refused" $? 1
sc domain add a.example.net --cert "$W/a.pem" --key "$W/a.key" --client-cert sometimes 2>"$W/e" >/dev/null
is "a bad --client-cert is refused" $? 1
sc domain add a.example.net --cert "$W/a.pem" --key "$W/a.key" --ca "$W/a.key" 2>"$W/e" >/dev/null
is "a CA file without a certificate is refused" $? 1
is "nothing was added" "$(sc --json domain list | grep -c '"name"')" 1
sc --domain nosuch.example device list 2>"$W/e" >/dev/null
is "an unknown --domain is refused" $? 1
contains "... naming it" "$(cat "$W/e")" "no domain nosuch.example"
sc domain rm default 2>/dev/null
is "the default domain cannot be removed" $? 1

# Two domains; b has a realm of its own.
sc domain add a.example.net --cert "$W/a.pem" --key "$W/a.key" >/dev/null &&
sc domain add b.example.org --cert "$W/b.pem" --key "$W/b.key" --realm b-realm >/dev/null
ok "two domains added" $?
is "domain list shows three" "$(sc --json domain list | grep -c '"name"')" 3
sc domain add A.EXAMPLE.NET --cert "$W/a.pem" --key "$W/a.key" 2>/dev/null >/dev/null
is "names are unique whatever their case" $? 1

# Domain b: the same MAC as the default domain's device, its own user.
printf 'carol-pw\n' | sc --domain b.example.org user add carol >/dev/null
is "user carol added in b" $? 0
contains "carol takes b's realm" "$(sc --json user list)" '"b-realm"'
sc --domain b.example.org device add "$DEV" --vendor examplecorp.com \
	--model HypoComm --user carol --label in-b >/dev/null 2>"$W/e"
is "the same device in a second domain is allowed" $? 0
contains "... with a warning" "$(cat "$W/e")" "also in domain default"
sc --json device duplicates > "$W/dups"
is "device duplicates lists both" "$(grep -c '"sfua_id"' "$W/dups")" 2
contains "... with their domains" "$(cat "$W/dups")" '"b.example.org"'
sc device show "$DEV" 2>"$W/e" >/dev/null
is "an ambiguous DEV is refused" $? 1
contains "... asking for --domain" "$(cat "$W/e")" "--domain"
contains "--domain picks one" "$(sc --json --domain b.example.org device show "$DEV")" '"in-b"'
sc --domain b.example.org device set "$DEV" --user alice 2>"$W/e" >/dev/null
is "a user of another domain cannot be assigned" $? 1
contains "... saying why" "$(cat "$W/e")" "another domain"
sc domain rm b.example.org 2>"$W/e" >/dev/null
is "a domain with devices cannot be removed" $? 1

start_daemon
CA="$W/test-ca.pem"

# What certificate each name gets.
subject() {	# subject [SERVERNAME]
	if [ -n "${1:-}" ]; then
		openssl s_client -connect "127.0.0.1:$PORT" -servername "$1" </dev/null 2>/dev/null
	else
		openssl s_client -connect "127.0.0.1:$PORT" -noservername </dev/null 2>/dev/null
	fi | openssl x509 -noout -subject 2>/dev/null
}
contains "SNI a.example.net gets a's certificate" "$(subject a.example.net)" "CN = a.example.net"
contains "SNI b.example.org gets b's certificate" "$(subject b.example.org)" "CN = b.example.org"
contains "SNI in capitals and with a dot still b" "$(subject B.EXAMPLE.ORG.)" "CN = b.example.org"
contains "no SNI gets the default certificate" "$(subject)" "CN = localhost"
contains "an unknown name gets the default certificate" "$(subject other.example.com)" "CN = localhost"

# curl --resolve sends the name as SNI and checks the certificate for it.
ca() {	# ca NAME PATH-AND-QUERY [curl args]: status over SNI NAME
	n=$1 u=$2
	shift 2
	curl -sS -o "$W/body" -w '%{http_code}' --cacert "$CA" \
		--resolve "$n:$PORT:127.0.0.1" "$@" "https://$n:$PORT$u"
}
is "a.example.net validates with the test CA (alice is no user there: 401)" \
	"$(ca a.example.net "/cfg?$Q" --digest -u alice:$PW)" 401
is "b.example.org: carol's device, carol's password: 200" \
	"$(ca b.example.org "/cfg?sfua-id=$DEV&sfua-user=carol" --digest -u carol:carol-pw)" 200
contains "... and b's configuration" "$(cat "$W/body")" "HypoComm"
is "b.example.org: alice is no user there (401)" \
	"$(ca b.example.org "/cfg?sfua-id=$DEV&sfua-user=alice" --digest -u alice:$PW)" 401
curl -sS -o /dev/null -D "$W/hb" --cacert "$CA" --resolve "b.example.org:$PORT:127.0.0.1" \
	"https://b.example.org:$PORT/cfg?sfua-id=$DEV&sfua-user=carol"
contains "b challenges with its own realm" "$(grep -i '^WWW-Authenticate' "$W/hb")" 'realm="b-realm"'
is "default domain (no SNI): alice's device: 200" \
	"$(status "$BASE?$Q" --digest -u alice:$PW)" 200
is "default domain: carol is no user there (401)" \
	"$(status "$BASE?sfua-id=$DEV&sfua-user=carol" --digest -u carol:carol-pw)" 401
is "a.example.net: carol of b is no user there (401)" \
	"$(ca a.example.net "/cfg?sfua-id=$DEV&sfua-user=carol" --digest -u carol:carol-pw)" 401
# A phone bootstrapped in b with a one-time password (RFC 6011 §5).
DEV3=urn:uuid:00000000-0000-1000-8000-0000000000b3
OTP=$(sc --domain b.example.org user add dave --one-time --valid-for 1h)
sc --domain b.example.org device add "$DEV3" --vendor examplecorp.com --model HypoComm --user dave >/dev/null
is "a one-time password in b is not good over the default domain (401)" \
	"$(status "$BASE?sfua-id=$DEV3&sfua-user=dave" --digest -u "dave:$OTP")" 401
is "... but over b's name: 200" \
	"$(ca b.example.org "/cfg?sfua-id=$DEV3&sfua-user=dave" --digest -u "dave:$OTP")" 200
is "... once" \
	"$(ca b.example.org "/cfg?sfua-id=$DEV3&sfua-user=dave" --digest -u "dave:$OTP")" 401
curl -sS -o /dev/null --cacert "$W/cert.pem" --resolve "b.example.org:$PORT:127.0.0.1" \
	"https://b.example.org:$PORT/cfg?$Q" 2>/dev/null
ok "b's certificate does not validate with the default's CA" $((! $?))

# SIGHUP reloads the domains: a new one is served without a restart; a
# broken one leaves the served set as it was.
"$MK" server "$W" test c "c.example.com" >/dev/null
sc domain add c.example.com --cert "$W/c.pem" --key "$W/c.key" >/dev/null
contains "a domain added while running is not served yet" "$(subject c.example.com)" "CN = localhost"
kill -HUP "$DPID"
i=0; while ! grep -q "domains and their certificates reloaded" "$W/daemon.err" && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
contains "after SIGHUP it is" "$(subject c.example.com)" "CN = c.example.com"
mv "$W/c.key" "$W/c.key.gone"
kill -HUP "$DPID"
i=0; while ! grep -q "domain c.example.com:.*cannot read" "$W/daemon.err" && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
contains "a reload with a missing key says so" "$(cat "$W/daemon.err")" "c.key: cannot read it"
contains "... and keeps serving the old set" "$(subject c.example.com)" "CN = c.example.com"
"$SIPCFGD" -n -f "$W/sipcfgd.conf" 2>"$W/n.err" >/dev/null
is "sipcfgd -n checks the domains too" $? 1
contains "... naming the file" "$(cat "$W/n.err")" "c.key: cannot read it"
# A domain's realm is in its users' HA1s.
sc domain set b.example.org --realm b2-realm 2>"$W/e" >/dev/null
is "changing b's realm with users in it takes --force" $? 1
contains "... saying what it does" "$(cat "$W/e")" "locks them out of Digest"
sc domain set b.example.org --realm b2-realm --force 2>"$W/e" >/dev/null
is "with --force it is changed" $? 0
contains "... and says who to give a new password" "$(cat "$W/e")" "users moved to realm"
printf 'carol-pw2\n' | sc --domain b.example.org user passwd carol --overlap 0 >/dev/null
mv "$W/c.key.gone" "$W/c.key"
kill -HUP "$DPID"
i=0; while [ "$(grep -c "domains and their certificates reloaded" "$W/daemon.err")" -lt 2 ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
is "after user passwd and a reload, Digest works in the new realm" \
	"$(ca b.example.org "/cfg?sfua-id=$DEV&sfua-user=carol" --digest -u carol:carol-pw2)" 200
ok "daemon alive" $(alive; echo $?)
stop_daemon
is "clean exit" $? 0
done_testing
