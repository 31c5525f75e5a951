#!/bin/sh
# testssl: Debian's testssl.sh against sipcfgd's HTTPS port reports no
# HIGH or CRITICAL finding and forward secrecy, with an ECDSA and with an
# RSA certificate (issues 6 and 16).  The certificate is what an
# operator gets from a CA: issued by a (test) CA, with a CRL distribution
# point (a self-signed one is rightly reported for having no revocation
# information).  The run's summary goes into this test's log.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
need perl
TESTSSL=$(command -v testssl || command -v testssl.sh)
[ -n "$TESTSSL" ] || { echo "1..0 # SKIP testssl.sh not installed"; exit 77; }
make_store

# A CA, and a server certificate of key type $1 (ec or rsa) as a CA
# issues it, in $W/cert.pem and $W/key.pem.
mkcerts() {
	case $1 in
	ec) kopt="-newkey ec -pkeyopt ec_paramgen_curve:P-256"
	    ku=digitalSignature ;;
	rsa) kopt="-newkey rsa:2048"
	    ku=digitalSignature,keyEncipherment ;;
	esac
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$W/ca.key" -out "$W/ca.pem" -days 365 -subj "/CN=sipcfg test CA" \
		-addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null &&
	openssl req $kopt -nodes \
		-keyout "$W/key.pem" -out "$W/srv.csr" -subj /CN=localhost 2>/dev/null &&
	printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" \
		"crlDistributionPoints=URI:http://ca.example.test/sipcfg-test.crl" \
		"extendedKeyUsage=serverAuth" "keyUsage=critical,$ku" \
		"basicConstraints=critical,CA:FALSE" > "$W/ext.cnf" &&
	openssl x509 -req -in "$W/srv.csr" -CA "$W/ca.pem" -CAkey "$W/ca.key" \
		-CAcreateserial -days 365 -extfile "$W/ext.cnf" -out "$W/srv.pem" 2>/dev/null &&
	cat "$W/srv.pem" "$W/ca.pem" > "$W/cert.pem" ||
		{ echo "Bail out! cannot make the test CA"; exit 99; }
}
summary() {
	perl -MJSON::PP -0777 -ne 'my $r = decode_json($_); my %c;
	    $c{$_->{severity}}++ for @$r;
	    print join(" ", map { "$_=$c{$_}" } sort keys %c), "\n";
	    print "$_->{severity} $_->{id}: $_->{finding}\n"
	        for grep { $_->{severity} =~ /^(HIGH|CRITICAL|MEDIUM|LOW)$/ } @$r' \
	    "$W/testssl.json"
}
# finding ID: the finding testssl.sh reported under that id.
finding() {
	perl -MJSON::PP -0777 -ne 'my $r = decode_json($_);
	    print map { "$_->{finding}\n" } grep { $_->{id} eq "'"$1"'" } @$r' \
	    "$W/testssl.json"
}

for kt in ec rsa; do
	mkcerts $kt
	start_daemon
	rm -f "$W/testssl.json"
	"$TESTSSL" --quiet --color 0 --warnings off --add-ca "$W/ca.pem" \
		--jsonfile "$W/testssl.json" "127.0.0.1:$PORT" > "$W/testssl.out" 2>&1
	ok "$kt: testssl.sh ran to the end" "$(grep -q 'Done ' "$W/testssl.out"; echo $?)"
	summary | sed "s/^/# testssl $kt: /"
	bad=$(perl -MJSON::PP -0777 -ne 'my $r = decode_json($_);
		print scalar grep { $_->{severity} =~ /^(HIGH|CRITICAL)$/ } @$r' "$W/testssl.json")
	is "$kt: no HIGH or CRITICAL finding" "$bad" 0
	contains "$kt: TLS 1.0 and 1.1 offered: no" "$(grep -E '^ TLS 1(\.1)? ' "$W/testssl.out")" "not offered"
	contains "$kt: TLS 1.3 offered" "$(grep -E '^ TLS 1.3 ' "$W/testssl.out")" "offered"
	# testssl.sh 3.0 names it PFS, later versions FS.
	fs=$(finding PFS; finding FS)
	contains "$kt: forward secrecy offered" "$fs" "offered"
	# (testssl.sh 3.0 lists AEAD suites with and without forward
	# secrecy together; tls.sh checks that static RSA is refused.)
	stop_daemon
done
done_testing
