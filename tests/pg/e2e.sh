#!/bin/sh
# e2e.sh: end-to-end tests that touch the store run again, the same
# scripts, with the store on a real PostgreSQL server of their own
# (server.sh; tests/e2e/lib.sh gives each a database).  Skips (77) only
# when PostgreSQL is not installed.  PG_E2E names the scripts (default:
# every one that touches the store; dns.sh does not: it tests the
# NAPTR/SRV lookup of sipcfg-ua against a DNS server of its own; nor
# testssl.sh, whose subject is the TLS front, the same on both backends,
# and which takes minutes).
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir

exec "$top_srcdir/tests/pg/server.sh" sh -c '
	rc=0
	for t in ${PG_E2E:-http changes auth monitor notify cache checksync \
	    ua instances move rfc6011-example vendor templates audit domains \
	    clientcert bootstrap natflow cli bulk drift explain api seal encrypt \
	    uatrust robust config hostile siphostile conns harden_cli tls \
	    dhcp console}; do
		echo "# tests/e2e/$t.sh on PostgreSQL"
		sh "$top_srcdir/tests/e2e/$t.sh"
		r=$?
		[ $r -eq 0 ] || [ $r -eq 77 ] || rc=1
	done
	exit $rc'
