#!/bin/sh
# store.sh: the store's unit tests (test_store, test_changes) run again,
# the same programs, on a real PostgreSQL server of their own
# (server.sh), each on a database of its own (tests/unit/teststore.h).
# Skips (77) only when PostgreSQL is not installed.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_builddir

exec "$top_srcdir/tests/pg/server.sh" sh -c '
	rc=0
	for t in test_store test_changes; do
		echo "# $t on PostgreSQL"
		"$top_builddir/tests/unit/$t" || rc=1
	done
	exit $rc'
