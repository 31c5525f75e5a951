#!/bin/sh
# mkclient.sh: certificates for trying client certificates and several
# CS domains (RFC 6011 §2.4.1) without a real CA.
#
# usage: certs/mkclient.sh ca OUTDIR NAME
#            a CA (OUTDIR/NAME-ca.pem, NAME-ca.key): a "vendor factory CA"
#        certs/mkclient.sh device OUTDIR CA-NAME FILE ID...
#            a client certificate signed by CA-NAME whose subject CN is the
#            first ID and whose subjectAltNames carry every ID (a MAC such
#            as 001122334455, or an sfua-id URN: URI SAN)
#        certs/mkclient.sh self OUTDIR FILE CN
#            a self-signed client certificate (trust on first use)
#        certs/mkclient.sh server OUTDIR CA-NAME FILE DNS-NAME
#            a server certificate for a CS domain, signed by CA-NAME
# Each certificate is OUTDIR/FILE.pem with its key in OUTDIR/FILE.key
# (mode 0600); ECDSA P-256, valid 825 days.
set -eu

usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[ $# -ge 3 ] || usage
what=$1 out=$2
shift 2
command -v openssl >/dev/null || { echo "mkclient: openssl not found" >&2; exit 1; }
mkdir -p "$out"
umask 077

newkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

# sign CA-NAME FILE SUBJECT EXTENSIONS...
sign() {
	ca=$1 f=$2 subj=$3
	shift 3
	[ -s "$out/$ca-ca.pem" ] || { echo "mkclient: no CA $out/$ca-ca.pem (make it with: mkclient.sh ca $out $ca)" >&2; exit 1; }
	newkey "$out/$f.key"
	printf '%s\n' "$@" > "$out/$f.ext"
	openssl req -new -key "$out/$f.key" -subj "$subj" -out "$out/$f.csr" 2>/dev/null
	openssl x509 -req -in "$out/$f.csr" -CA "$out/$ca-ca.pem" \
		-CAkey "$out/$ca-ca.key" -CAcreateserial -days 825 -sha256 \
		-extfile "$out/$f.ext" -out "$out/$f.pem" 2>/dev/null
	rm -f "$out/$f.csr" "$out/$f.ext"
	chmod 644 "$out/$f.pem"
}

case $what in
ca)
	name=$1
	newkey "$out/$name-ca.key"
	openssl req -x509 -new -key "$out/$name-ca.key" -sha256 -days 825 \
		-subj "/CN=$name factory CA/O=sipcfg test" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" \
		-out "$out/$name-ca.pem" 2>/dev/null
	chmod 644 "$out/$name-ca.pem"
	echo "mkclient: wrote $out/$name-ca.pem"
	;;
device)
	[ $# -ge 3 ] || usage
	ca=$1 f=$2
	shift 2
	san=
	for id in "$@"; do
		case $id in
		urn:*) s="URI:$id" ;;
		*) s="DNS:$id" ;;
		esac
		san=${san:+$san,}$s
	done
	sign "$ca" "$f" "/CN=$1/O=sipcfg test device" \
		"basicConstraints=CA:FALSE" \
		"keyUsage=critical,digitalSignature" \
		"extendedKeyUsage=clientAuth" \
		"subjectAltName=$san"
	echo "mkclient: wrote $out/$f.pem (device $*, signed by $ca)"
	;;
self)
	f=$1 cn=$2
	newkey "$out/$f.key"
	openssl req -x509 -new -key "$out/$f.key" -sha256 -days 825 \
		-subj "/CN=$cn/O=sipcfg test self-signed" \
		-addext "extendedKeyUsage=clientAuth" \
		-out "$out/$f.pem" 2>/dev/null
	chmod 644 "$out/$f.pem"
	echo "mkclient: wrote $out/$f.pem (self-signed, CN=$cn)"
	;;
server)
	[ $# -eq 3 ] || usage
	ca=$1 f=$2 dns=$3
	sign "$ca" "$f" "/CN=$dns/O=sipcfg test" \
		"basicConstraints=CA:FALSE" \
		"keyUsage=critical,digitalSignature" \
		"extendedKeyUsage=serverAuth" \
		"subjectAltName=DNS:$dns"
	echo "mkclient: wrote $out/$f.pem (server $dns, signed by $ca)"
	;;
*)
	usage
	;;
esac
