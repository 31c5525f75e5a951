#!/bin/sh
# mkcert.sh: make a self-signed ECDSA P-256 server certificate for sipcfgd.
#
# usage: certs/mkcert.sh OUTDIR [NAME...]
# Writes OUTDIR/key.pem (mode 0600) and OUTDIR/cert.pem, valid 825 days,
# with subjectAltName for every NAME plus localhost, 127.0.0.1 and ::1.
# An existing pair is kept, so re-running is safe.
set -eu

out=${1:?usage: mkcert.sh OUTDIR [NAME...]}
shift
cn=${1:-localhost}

if [ -s "$out/key.pem" ] && [ -s "$out/cert.pem" ]; then
	echo "mkcert: $out/cert.pem exists, kept"
	exit 0
fi
command -v openssl >/dev/null || { echo "mkcert: openssl not found" >&2; exit 1; }
mkdir -p "$out"

san="DNS:localhost,IP:127.0.0.1,IP:::1"
for n in "$@"; do
	[ "$n" = localhost ] && continue
	case $n in
	*[!0-9.]*) san="DNS:$n,$san" ;;
	*) san="IP:$n,$san" ;;
	esac
done

umask 077
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	-nodes -sha256 -days 825 \
	-subj "/CN=$cn/O=sipcfg demo" \
	-addext "subjectAltName=$san" \
	-addext "keyUsage=critical,digitalSignature" \
	-addext "extendedKeyUsage=serverAuth" \
	-keyout "$out/key.pem" -out "$out/cert.pem" 2>/dev/null
chmod 600 "$out/key.pem"
chmod 644 "$out/cert.pem"
echo "mkcert: wrote $out/cert.pem (ECDSA P-256, CN=$cn, SAN $san)"
