#!/bin/sh
# testssl: Debian's testssl.sh against sipcfgd's HTTPS port reports no
# HIGH or CRITICAL finding (issue 6).  The certificate is what an
# operator gets from a CA: issued by a (test) CA, with a CRL distribution
# point (a self-signed one is rightly reported for having no revocation
# information).  The run's summary goes into this test's log.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
need perl
TESTSSL=$(command -v testssl || command -v testssl.sh)
[ -n "$TESTSSL" ] || { echo "1..0 # SKIP testssl.sh not installed"; exit 77; }
make_store

# A CA and a server certificate as a CA issues them.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$W/ca.key" -out "$W/ca.pem" -days 365 -subj "/CN=sipcfg test CA" \
	-addext basicConstraints=critical,CA:TRUE \
	-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null &&
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$W/key.pem" -out "$W/srv.csr" -subj /CN=localhost 2>/dev/null &&
printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" \
	"crlDistributionPoints=URI:http://ca.example.test/sipcfg-test.crl" \
	"extendedKeyUsage=serverAuth" "keyUsage=critical,digitalSignature" \
	"basicConstraints=critical,CA:FALSE" > "$W/ext.cnf" &&
openssl x509 -req -in "$W/srv.csr" -CA "$W/ca.pem" -CAkey "$W/ca.key" \
	-CAcreateserial -days 365 -extfile "$W/ext.cnf" -out "$W/srv.pem" 2>/dev/null &&
cat "$W/srv.pem" "$W/ca.pem" > "$W/cert.pem" ||
	{ echo "Bail out! cannot make the test CA"; exit 99; }
start_daemon

"$TESTSSL" --quiet --color 0 --warnings off --add-ca "$W/ca.pem" \
	--jsonfile "$W/testssl.json" "127.0.0.1:$PORT" > "$W/testssl.out" 2>&1
ok "testssl.sh ran to the end" "$(grep -q 'Done ' "$W/testssl.out"; echo $?)"
summary() {
	perl -MJSON::PP -0777 -ne 'my $r = decode_json($_); my %c;
	    $c{$_->{severity}}++ for @$r;
	    print join(" ", map { "$_=$c{$_}" } sort keys %c), "\n";
	    print "$_->{severity} $_->{id}: $_->{finding}\n"
	        for grep { $_->{severity} =~ /^(HIGH|CRITICAL|MEDIUM|LOW)$/ } @$r' \
	    "$W/testssl.json"
}
summary | sed 's/^/# testssl: /'
bad=$(perl -MJSON::PP -0777 -ne 'my $r = decode_json($_);
	print scalar grep { $_->{severity} =~ /^(HIGH|CRITICAL)$/ } @$r' "$W/testssl.json")
is "no HIGH or CRITICAL finding" "$bad" 0
contains "TLS 1.0 and 1.1 offered: no" "$(grep -E '^ TLS 1(\.1)? ' "$W/testssl.out")" "not offered"
contains "TLS 1.3 offered" "$(grep -E '^ TLS 1.3 ' "$W/testssl.out")" "offered"
done_testing
