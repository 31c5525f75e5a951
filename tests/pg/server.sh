#!/bin/sh
# server.sh COMMAND [ARG...]: run COMMAND with a real PostgreSQL server of
# its own (issue 13), from Debian's packages: initdb in a temporary
# directory, pg_ctl on a Unix socket in that directory and no TCP
# (listen_addresses ''), fsync off (a test's data need not survive the
# machine).  Run as root, the server runs as the user postgres (Debian's
# postgresql-common makes it), else as nobody; the directory is theirs.
# COMMAND gets SIPCFG_TEST_STORE, a libpq URI of the server's database
# "postgres" as the superuser "sipcfg"; it makes databases of its own
# there.  The server is stopped and the directory removed on any exit.
# Exits 77 (skip) only when PostgreSQL is not installed; otherwise with
# COMMAND's status, or 99 when the server does not start.
set -u

bindir=${PG_BINDIR:-}
if [ -z "$bindir" ]; then
	for d in /usr/lib/postgresql/*/bin; do
		[ -x "$d/initdb" ] && bindir=$d
	done
fi
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ] || [ ! -x "$bindir/pg_ctl" ]
then
	echo "1..0 # SKIP PostgreSQL is not installed (apt-get install postgresql)"
	exit 77
fi

dir=$(mktemp -d /tmp/sipcfg-pg.XXXXXX) || exit 99
as=
if [ "$(id -u)" -eq 0 ]; then
	if id postgres >/dev/null 2>&1; then u=postgres; else u=nobody; fi
	chown "$u" "$dir" || exit 99
	as="runuser -u $u --"
fi
stop() {
	$as "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop \
	    >/dev/null 2>&1
	rm -rf "$dir"
}
trap stop EXIT
trap 'exit 99' HUP INT TERM

if ! $as "$bindir/initdb" -D "$dir/data" -A trust -U sipcfg -E UTF8 \
    --no-sync >"$dir/initdb.log" 2>&1; then
	echo "# initdb failed:"; sed 's/^/# /' "$dir/initdb.log"
	exit 99
fi
opts="-c listen_addresses= -k $dir -c fsync=off -c max_connections=50"
if ! $as "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "$opts" start >/dev/null 2>&1; then
	echo "# pg_ctl start failed:"; sed 's/^/# /' "$dir/server.log"
	exit 99
fi

SIPCFG_TEST_STORE="postgresql:///postgres?host=$dir&user=sipcfg"
# How a test stops the server and starts it again (instances.sh: the
# database away while sipcfgd runs).
SIPCFG_TEST_PG_STOP="$as $bindir/pg_ctl -D $dir/data -m fast -w stop"
SIPCFG_TEST_PG_START="$as $bindir/pg_ctl -D $dir/data -l $dir/server.log -w -t 60 -o '$opts' start"
export SIPCFG_TEST_STORE SIPCFG_TEST_PG_STOP SIPCFG_TEST_PG_START
"$@"
