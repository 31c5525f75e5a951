# lib.sh: shared set-up for the end-to-end tests (sourced, POSIX sh).
#
# Each test gets its own directory with a real SQLite store made by the
# real sipcfg, a real ECDSA certificate from certs/mkcert.sh, and a real
# sipcfgd started on port 0; we wait for its ready line (never a fixed
# sleep) and talk to it with curl and openssl over TLS on loopback.

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
SIPCFG="$top_builddir/sipcfg"
SIPCFGD="$top_builddir/sipcfgd"

T_N=0
T_FAIL=0
ok() {	# ok DESCRIPTION CONDITION-STATUS
	T_N=$((T_N + 1))
	if [ "$2" -eq 0 ]; then
		echo "ok $T_N - $1"
	else
		echo "not ok $T_N - $1"
		T_FAIL=$((T_FAIL + 1))
	fi
}
is() {	# is DESCRIPTION GOT WANT
	if [ "$2" = "$3" ]; then ok "$1" 0; else
		ok "$1 (got '$2', want '$3')" 1; fi
}
contains() {	# contains DESCRIPTION HAYSTACK NEEDLE
	case $2 in *"$3"*) ok "$1" 0 ;; *)
		ok "$1 (no '$3' in: $(printf '%s' "$2" | head -c 300))" 1 ;; esac
}
done_testing() {
	echo "1..$T_N"
	echo "# $((T_N - T_FAIL)) passed, $T_FAIL failed"
	[ "$T_FAIL" -eq 0 ]
}
# fails DESCRIPTION EXPECTED-MESSAGE CMD...: CMD exits non-zero and its
# output says why.
fails() {
	d=$1; m=$2; shift 2
	out=$("$@" 2>&1 </dev/null); rc=$?
	if [ $rc -ne 0 ] && printf '%s' "$out" | grep -q -- "$m"; then ok "$d" 0
	else ok "$d (rc $rc: $out)" 1; fi
}
# fails_quiet DESCRIPTION EXPECTED-MESSAGE CMD...: the same, with the
# reason on standard error and nothing on standard output.
fails_quiet() {
	d=$1; m=$2; shift 2
	out=$("$@" 2>"$W/err" </dev/null); rc=$?
	if [ $rc -ne 0 ] && [ -z "$out" ] && grep -q -- "$m" "$W/err"; then
		ok "$d" 0
	else
		ok "$d (rc $rc, stdout '$out', stderr $(cat "$W/err"))" 1
	fi
}
need() {
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || {
			echo "1..0 # SKIP $t not installed"; exit 77; }
	done
}

need curl openssl
W=$(mktemp -d "${TMPDIR:-/tmp}/sipcfg-e2e.XXXXXX")
DPID=
cleanup() {
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	for d in ${PGDB:-} ${PGDBS:-}; do
		psql -X -q "$SIPCFG_TEST_STORE" \
		    -c "DROP DATABASE IF EXISTS $d WITH (FORCE)" >/dev/null 2>&1
	done
	if [ "$T_FAIL" -ne 0 ] || [ -n "${KEEP:-}" ]; then
		echo "# work dir kept: $W"
		[ -f "$W/daemon.err" ] && sed 's/^/# daemon: /' "$W/daemon.err" | tail -20
	else
		rm -rf "$W"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# The store: a SQLite file, or with SIPCFG_TEST_STORE set to a
# PostgreSQL URI (tests/pg/server.sh; issue 13) a database of this test's
# own on that server, its seal key a file in $W.
PGDB=
case ${SIPCFG_TEST_STORE:-} in
postgresql://*|postgres://*)
	need psql
	PGDB=sipcfg_e2e_$$
	psql -X -q "$SIPCFG_TEST_STORE" -c "CREATE DATABASE $PGDB" >/dev/null ||
		{ echo "Bail out! cannot make database $PGDB"; exit 99; }
	case $SIPCFG_TEST_STORE in *\?*) STORE="$SIPCFG_TEST_STORE&dbname=$PGDB" ;;
	*) STORE="$SIPCFG_TEST_STORE?dbname=$PGDB" ;; esac
	SIPCFG_SEAL_KEY="$W/seal.key"
	export SIPCFG_SEAL_KEY
	;;
*)
	STORE="$W/store.db" ;;
esac
CERT="$W/cert.pem"
"$top_srcdir/certs/mkcert.sh" "$W" localhost >/dev/null || exit 99

sc() { "$SIPCFG" -d "$STORE" "$@"; }

# sql STATEMENT: run it on the store with the backend's own shell (an
# edit made outside sipcfg), printing rows as sqlite3 does ('|' apart).
need_sql() { if [ -n "$PGDB" ]; then need psql pg_dump; else need sqlite3; fi; }
# SQLite waits up to 5 s for a lock (sipcfgd may be writing).
sql() {
	if [ -n "$PGDB" ]; then psql -X -q -tA "$STORE" -c "$1"
	else sqlite3 -cmd ".timeout 5000" "$STORE" "$1"; fi
}
# KEYF: the store's seal key file (beside a SQLite store; on PostgreSQL
# the one SIPCFG_SEAL_KEY names).
if [ -n "$PGDB" ]; then KEYF=$SIPCFG_SEAL_KEY; else KEYF=$STORE.key; fi
# new_store NAME: sets NEW_STORE to another, empty store of this test's:
# the file $W/NAME.db, or a database ${PGDB}_NAME on the same server
# (NAME's other characters than [a-z0-9_] as '_'; dropped on exit too;
# the same seal key).
PGDBS=
new_store() {
	if [ -n "$PGDB" ]; then
		_d=${PGDB}_$(printf '%s' "$1" | tr -c 'a-z0-9_' '_')
		psql -X -q "$SIPCFG_TEST_STORE" -c "CREATE DATABASE $_d" \
		    >/dev/null || return 1
		PGDBS="$PGDBS $_d"
		case $SIPCFG_TEST_STORE in
		*\?*) NEW_STORE="$SIPCFG_TEST_STORE&dbname=$_d" ;;
		*) NEW_STORE="$SIPCFG_TEST_STORE?dbname=$_d" ;;
		esac
	else
		NEW_STORE=$W/$1.db
	fi
}
# store_bytes: all the store holds, to grep for what must not be there
# (the SQLite file and its WAL; a pg_dump of the database, without the
# random key of its \restrict lines).
store_bytes() {
	if [ -n "$PGDB" ]; then pg_dump -d "$STORE" | grep -Ev '^\\(un)?restrict '
	else cat "$STORE" "$STORE-wal" 2>/dev/null; fi
}

# The demo-like store: user alice, a device with one line, the generic
# template.
PW=secret-$$-pw
DEV=urn:uuid:00000000-0000-1000-8000-001122334455
make_store() {
	sc init --realm test-realm >/dev/null &&
	sc template add generic "$top_srcdir/templates/generic.xml" >/dev/null &&
	printf '%s\n' "$PW" | sc user add alice >/dev/null &&
	sc device add "$DEV" --vendor examplecorp.com --model HypoComm \
		--user alice >/dev/null &&
	printf '%s\n' "line-pw" | sc line add "$DEV" --aor sip:alice@example.net \
		--username alice --proxy sip:proxy.example.net >/dev/null ||
	{ echo "Bail out! cannot make the store"; exit 99; }
}

# start_daemon [config lines...]: writes the config, starts sipcfgd on
# port 0 and sets PORT from its ready line.
start_daemon() {
	{
		echo "store $STORE"
		echo "cert $CERT"
		echo "key $W/key.pem"
		echo "listen 127.0.0.1:0"
		echo "threads 2"
		for l in "$@"; do echo "$l"; done
	} > "$W/sipcfgd.conf"
	: > "$W/daemon.out"
	"$SIPCFGD" -f "$W/sipcfgd.conf" > "$W/daemon.out" 2> "$W/daemon.err" &
	DPID=$!
	i=0
	while ! grep -q '^sipcfgd: ready' "$W/daemon.out"; do
		if ! kill -0 "$DPID" 2>/dev/null; then
			echo "Bail out! sipcfgd exited: $(cat "$W/daemon.err")"
			DPID=
			exit 99
		fi
		i=$((i + 1))
		[ $i -gt 200 ] && { echo "Bail out! no ready line"; exit 99; }
		sleep 0.05
	done
	READY=$(grep '^sipcfgd: ready' "$W/daemon.out")
	PORT=$(printf '%s' "$READY" | sed -n 's|.*https://127.0.0.1:\([0-9]*\)/.*|\1|p')
	BASE="https://127.0.0.1:$PORT/cfg"
	# The admin listener, when admin_listen is given (issue 14).
	ADMIN=$(sed -n 's|^sipcfgd: admin \(https://[^ ]*\).*|\1|p' "$W/daemon.out")
}
# run_b: a second sipcfgd ("B") with the configuration in $W/b.conf,
# its output in $W/b.out and $W/b.err; sets BPID once it is ready.
run_b() {
	: > "$W/b.out"
	"$SIPCFGD" -f "$W/b.conf" > "$W/b.out" 2> "$W/b.err" &
	BPID=$!
	i=0
	while ! grep -q '^sipcfgd: ready' "$W/b.out"; do
		kill -0 "$BPID" 2>/dev/null || { echo "Bail out! B: $(cat "$W/b.err")"; exit 99; }
		i=$((i + 1)); [ $i -gt 200 ] && { echo "Bail out! B not ready"; exit 99; }
		sleep 0.05
	done
}
stop_daemon() {
	[ -n "$DPID" ] || return 0
	kill -TERM "$DPID"
	wait "$DPID"
	rc=$?
	DPID=
	return $rc
}
alive() { kill -0 "$DPID" 2>/dev/null; }
# free_port: a port of 127.0.0.1 that is free now for both TCP and UDP,
# below the kernel's ephemeral range (needs perl; for listeners that
# cannot be given port 0).
free_port() {
	perl -MIO::Socket::INET -e 'for (1 .. 200) {
		my $p = 20000 + int rand 12000;
		IO::Socket::INET->new(Proto => "tcp", LocalAddr => "127.0.0.1",
		    LocalPort => $p, Listen => 1) or next;
		IO::Socket::INET->new(Proto => "udp", LocalAddr => "127.0.0.1",
		    LocalPort => $p) or next;
		print "$p\n"; exit 0 } exit 1'
}

Q="sfua-id=$DEV&sfua-user=alice&sfua-vendor=examplecorp.com&sfua-model=HypoComm"
# c ARGS...: curl with our CA, printing the status code last.
c() { curl -sS --cacert "$CERT" "$@"; }
# status URL [curl args]: just the HTTP status.
status() { u=$1; shift; c -o /dev/null -w '%{http_code}' "$@" "$u"; }
# last FILE: the final response's header block of a curl -D dump (curl
# --digest dumps the 401 before it too).
last() { awk '/^HTTP\//{b=""} {b=b $0 "\n"} END{printf "%s", b}' "$1"; }
# hdr NAME FILE: a header's value in the final response.
hdr() { last "$2" | grep -i "^$1:" | head -1 | cut -d' ' -f2- | tr -d '\r'; }
# code FILE: the final response's status code.
code() { last "$1" | head -1 | cut -d' ' -f2; }
