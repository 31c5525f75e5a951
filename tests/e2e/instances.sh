#!/bin/sh
# instances: two sipcfgd instances on one store (issue 13), the way a
# provider runs several behind NAPTR records (RFC 6011 §2.3.1, §2.4.2):
# on SQLite a file both open, on PostgreSQL (tests/pg/e2e.sh) a database
# both LISTEN on.  Bad input first (PostgreSQL: a database that is not
# there, its password never shown).  Then: the same ETag and monitor
# token from both; a `sipcfg` change notified to a subscriber of each;
# `kill -9` of the preferred instance, sipcfg-ua fails over through NAPTR
# to the other and gets the change made meanwhile.  On PostgreSQL also a
# database stop: cached answers keep flowing from both, a miss gets 503
# with Retry-After, /readyz says 503; once it is started again, /readyz
# says 200 without a restart of sipcfgd and a change made just after is
# notified by both instances.  Both race for one device's trust-on-first-
# use pin and for one one-time password: exactly one request wins.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
need perl
need_sql
DNSMASQ=$(command -v dnsmasq || echo /usr/sbin/dnsmasq)
[ -x "$DNSMASQ" ] || { echo "1..0 # SKIP dnsmasq not installed"; exit 77; }
UA="$top_builddir/sipcfg-ua"
SUB="$top_srcdir/tests/e2e/sipsub.pl"
perl -MNet::SIP -e1 2>/dev/null || { echo "1..0 # SKIP Net::SIP not installed"; exit 77; }

# ------------------------------------------------------------ bad input
if [ -n "$PGDB" ]; then
	BAD="postgresql://sipcfg:hunter2-$$@127.0.0.1:1/nodb"
	out=$("$SIPCFG" -d "$BAD" device list 2>&1); rc=$?
	ok "sipcfg on a database that is not there: non-zero exit ($rc)" \
	    "$([ $rc -ne 0 ]; echo $?)"
	contains "and says why" "$out" "PostgreSQL"
	ok "without its password" "$(printf '%s' "$out" | grep -q hunter2; [ $? -ne 0 ]; echo $?)"
	{ echo "store $BAD"; echo "cert $CERT"; echo "key $W/key.pem"
	  echo "listen 127.0.0.1:0"; } > "$W/bad.conf"
	out=$("$SIPCFGD" -f "$W/bad.conf" 2>&1 </dev/null); rc=$?
	ok "sipcfgd refuses to start on it ($rc)" "$([ $rc -ne 0 ]; echo $?)"
	contains "naming the store" "$out" "store:"
	ok "without its password" "$(printf '%s' "$out" | grep -q hunter2; [ $? -ne 0 ]; echo $?)"
fi

rm -f "$W/cert.pem" "$W/key.pem"
"$top_srcdir/certs/mkcert.sh" "$W" cs.example.test >/dev/null || exit 99
make_store
# A second device that nobody fetches before the database stops.
sc device add "00:bb:00:00:00:01" --user alice --vendor examplecorp.com \
	--model HypoComm >/dev/null || { echo "Bail out! second device"; exit 99; }
head -c 48 /dev/urandom > "$W/secret"
SA1=$(free_port) && SA2=$(free_port) && SB1=$(free_port) &&
	SB2=$(free_port) && DNSP=$(free_port) ||
	{ echo "Bail out! no free port"; exit 99; }

# Both instances share the nonce secret (a nonce of one is good at the
# other) and the store; the seal key is the environment's or the file's.
# start_ab [CONFIG-LINE...]: instance A (lib.sh's daemon) and B, alike.
start_ab() {
	start_daemon "secret_file $W/secret" "sip_listen sip:127.0.0.1:$SA1" \
		"sip_listen sips:127.0.0.1:$SA2" "sip_host 127.0.0.1" "$@"
	PA=$PORT; APID=$DPID
	{ echo "store $STORE"; echo "cert $W/cert.pem"; echo "key $W/key.pem"
	  echo "listen 127.0.0.1:0"; echo "threads 2"
	  echo "secret_file $W/secret"; echo "sip_listen sip:127.0.0.1:$SB1"
	  echo "sip_listen sips:127.0.0.1:$SB2"; echo "sip_host 127.0.0.1"
	  for l in "$@"; do echo "$l"; done
	} > "$W/b.conf"
	run_b
	PB=$(sed -n 's|.*https://127.0.0.1:\([0-9]*\)/.*|\1|p' "$W/b.out")
	BBASE="https://127.0.0.1:$PB/cfg"
}
start_ab
SPA= SPB= UPID= DNSPID=
trap 'kill $BPID $SPA $SPB $UPID $DNSPID 2>/dev/null; cleanup' EXIT
A="--digest -u alice:$PW"

# ---------------------------------------------------- same answers
c -o "$W/ga" -D "$W/ha" $A "$BASE?$Q"
c -o "$W/gb" -D "$W/hb" $A "$BBASE?$Q"
is "A answers 200" "$(code "$W/ha")" 200
is "B answers 200" "$(code "$W/hb")" 200
ETAG=$(hdr ETag "$W/ha")
is "the same ETag from both" "$(hdr ETag "$W/hb")" "$ETAG"
ok "the same body from both" "$(cmp -s "$W/ga" "$W/gb"; echo $?)"
TOKEN=$(hdr Link "$W/ha" | sed -n 's/^<sips*:\([0-9a-f]*\)@.*/\1/p')
ok "A's Link has a monitor token" "$(printf '%s' "$TOKEN" | grep -qx '[0-9a-f]\{32\}'; echo $?)"
contains "B's Link has the same token" "$(hdr Link "$W/hb")" "<sips:$TOKEN@127.0.0.1:$SB2>"

# ----------------------------------- a change, notified by both
perl "$SUB" subscribe --uri "sip:$TOKEN@127.0.0.1:$SA1" --user alice \
	--pass line-pw --timeout 60 > "$W/sa" 2>&1 &
SPA=$!
perl "$SUB" subscribe --uri "sip:$TOKEN@127.0.0.1:$SB1" --user alice \
	--pass line-pw --timeout 60 > "$W/sb" 2>&1 &
SPB=$!
# nn FILE: NOTIFYs so far; wait_n FILE N [TENTHS]: until N of them.
nn() { grep -c '^NOTIFY	' "$1"; }
wait_n() {
	_i=0
	while [ "$(nn "$1")" -lt "$2" ] && [ $_i -lt "${3:-100}" ]; do
		_i=$((_i + 1)); sleep 0.1
	done
	[ "$(nn "$1")" -ge "$2" ]
}
# etag_n FILE N: the ETag of the Nth NOTIFY.
etag_n() { grep '^NOTIFY	' "$1" | sed -n "${2}p" | tr '\t' '\n' | sed -n 's/^etag=//p'; }
wait_n "$W/sa" 1; ok "subscribed at A: the first NOTIFY" $?
wait_n "$W/sb" 1; ok "subscribed at B: the first NOTIFY" $?
is "A's first NOTIFY carries the GET's ETag" "$(etag_n "$W/sa" 1)" "$ETAG"
is "B's first NOTIFY carries the same" "$(etag_n "$W/sb" 1)" "$ETAG"

sc var set global ntp_server ntp.instances.example >/dev/null
wait_n "$W/sa" 2; ok "sipcfg change: A's subscriber is notified" $?
wait_n "$W/sb" 2; ok "and B's" $?
c -o /dev/null -D "$W/ha" $A "$BASE?$Q"
c -o /dev/null -D "$W/hb" $A "$BBASE?$Q"
E2=$(hdr ETag "$W/ha")
ok "the ETag moved" "$([ "$E2" != "$ETAG" ]; echo $?)"
is "B's new ETag is A's" "$(hdr ETag "$W/hb")" "$E2"
is "A's NOTIFY carries it" "$(etag_n "$W/sa" 2)" "$E2"
is "B's NOTIFY carries it" "$(etag_n "$W/sb" 2)" "$E2"

# An edit with the backend's own shell, not sipcfg: seen by both.
sql "UPDATE vars SET value = '\"ntp.shell.example\"' WHERE layer = 'global' AND name = 'ntp_server'" >/dev/null
wait_n "$W/sa" 3; ok "another change: A notifies again" $?
wait_n "$W/sb" 3; ok "and B" $?

# --------------------------------------- PostgreSQL goes away and back
if [ -n "$PGDB" ] && [ -n "${SIPCFG_TEST_PG_STOP:-}" ]; then
	c -o /dev/null -D "$W/ha" $A "$BASE?$Q"; E3=$(hdr ETag "$W/ha")
	c -o /dev/null -D "$W/hb" $A "$BBASE?$Q"
	is "before the stop: both cached the same answer" "$(hdr ETag "$W/hb")" "$E3"
	is "ready before the stop" "$(status "https://127.0.0.1:$PA/readyz")" 200
	eval "$SIPCFG_TEST_PG_STOP" >/dev/null 2>&1
	ok "the database stopped" $?
	i=0; while [ "$(status "https://127.0.0.1:$PA/readyz")" != 503 ] &&
		[ $i -lt 150 ]; do i=$((i + 1)); sleep 0.1; done
	c -o /dev/null -D "$W/r" "https://127.0.0.1:$PA/readyz"
	is "A's /readyz: 503" "$(code "$W/r")" 503
	ok "with Retry-After" "$([ -n "$(hdr Retry-After "$W/r")" ]; echo $?)"
	i=0; while [ "$(status "https://127.0.0.1:$PB/readyz")" != 503 ] &&
		[ $i -lt 150 ]; do i=$((i + 1)); sleep 0.1; done
	is "B's /readyz: 503" "$(status "https://127.0.0.1:$PB/readyz")" 503
	got=
	for k in 1 2 3 4 5; do
		c -o /dev/null -D "$W/ha" $A "$BASE?$Q"
		[ "$(hdr ETag "$W/ha")" = "$E3" ] && got="$got $(code "$W/ha")" ||
			got="$got $(code "$W/ha")-wrong-etag"
		c -o /dev/null -D "$W/hb" $A -H "If-None-Match: $E3" "$BBASE?$Q"
		got="$got $(code "$W/hb")"
	done
	is "database away: A's cached answer 5 times, B's 304 5 times" \
	    "$got" " 200 304 200 304 200 304 200 304 200 304"
	Q2="sfua-id=urn:uuid:00000000-0000-1000-8000-00bb00000001&sfua-user=alice"
	c -o "$W/m" -D "$W/hm" $A "$BASE?$Q2"
	is "a device never fetched: 503" "$(code "$W/hm")" 503
	ok "with Retry-After (RFC 6011 §2.4.2)" "$([ -n "$(hdr Retry-After "$W/hm")" ]; echo $?)"
	contains "and a reason" "$(cat "$W/m")" "unavailable"
	ok "A still runs" "$(kill -0 "$APID"; echo $?)"
	ok "B still runs" "$(kill -0 "$BPID"; echo $?)"
	na=$(nn "$W/sa"); nb=$(nn "$W/sb")
	eval "$SIPCFG_TEST_PG_START" >/dev/null 2>&1
	ok "the database started again" $?
	i=0; while [ "$(status "https://127.0.0.1:$PA/readyz")" != 200 ] &&
		[ $i -lt 150 ]; do i=$((i + 1)); sleep 0.1; done
	is "A ready again, not restarted" "$(status "https://127.0.0.1:$PA/readyz")" 200
	i=0; while [ "$(status "https://127.0.0.1:$PB/readyz")" != 200 ] &&
		[ $i -lt 150 ]; do i=$((i + 1)); sleep 0.1; done
	is "B ready again" "$(status "https://127.0.0.1:$PB/readyz")" 200
	# Each worker makes its connection again at its next request, at
	# most once a second (store_pg.c): a worker that tried while the
	# database was starting answers 503 (Retry-After) for up to 1 s more.
	i=0; while [ "$(status "$BASE?$Q2" $A)" != 200 ] && [ $i -lt 30 ]; do
		i=$((i + 1)); sleep 0.1; done
	is "the device never fetched: 200 now (every worker within 3 s)" \
	    "$(status "$BASE?$Q2" $A)" 200
	sc var set global ntp_server ntp.after-restart.example >/dev/null
	wait_n "$W/sa" $((na + 1)); ok "a change after the restart: A notifies" $?
	wait_n "$W/sb" $((nb + 1)); ok "and B" $?
	c -o /dev/null -D "$W/ha" $A "$BASE?$Q"
	is "A's NOTIFY has the new ETag" "$(etag_n "$W/sa" $((na + 1)))" "$(hdr ETag "$W/ha")"
	grep -q "store cannot be reached" "$W/daemon.err"
	ok "A logged the outage" $?
	grep -q "store is back" "$W/daemon.err"
	ok "and the return" $?
fi
kill "$SPA" "$SPB" 2>/dev/null; SPA= SPB=

# A phone finds out that its instance died when it refreshes its
# subscription (RFC 6665 §4.1.2.2): the operator bounds that time with
# sub_max_expires.  Both instances again, granting 6 s.
stop_daemon; kill -TERM "$BPID"; wait "$BPID"
cp "$W/daemon.err" "$W/a1.err"; cp "$W/b.err" "$W/b1.err"	# (kept on failure)
start_ab "sub_min_expires 1" "sub_max_expires 6"

# ------------- both race for one device's pin and one one-time password
# RFC 6011 §2.4.1 trust on first use and §5 bootstrap: requests at A and
# B at once; the store decides (a conditional write in one statement),
# exactly one wins and the other instance sees it.
"$top_srcdir/certs/mkclient.sh" self "$W" selfA "phone A" >/dev/null &&
"$top_srcdir/certs/mkclient.sh" self "$W" selfB "phone B" >/dev/null ||
	{ echo "Bail out! cannot make certificates"; exit 99; }
printf 'dave-pw\n' | sc user add dave >/dev/null
sc device add 00:cc:00:00:00:01 --user dave --vendor examplecorp.com \
	--model HypoComm >/dev/null
QD="sfua-id=urn:uuid:00000000-0000-1000-8000-00cc00000001&sfua-user=dave"
OTP=$(sc user add erin --one-time --valid-for 10m 2>/dev/null)
sc device add 00:cc:00:00:00:02 --user erin --vendor examplecorp.com \
	--model HypoComm >/dev/null
QE="sfua-id=urn:uuid:00000000-0000-1000-8000-00cc00000002&sfua-user=erin"
ok "a one-time password for erin" "$([ -n "$OTP" ]; echo $?)"
pids=
for k in 1 2 3 4; do
	status "$BASE?$QD" --cert "$W/selfA.pem" --key "$W/selfA.key" \
	    --digest -u dave:dave-pw > "$W/pa$k" & pids="$pids $!"
	status "$BBASE?$QD" --cert "$W/selfB.pem" --key "$W/selfB.key" \
	    --digest -u dave:dave-pw > "$W/pb$k" & pids="$pids $!"
	status "$BASE?$QE" --digest -u "erin:$OTP" > "$W/oa$k" & pids="$pids $!"
	status "$BBASE?$QE" --digest -u "erin:$OTP" > "$W/ob$k" & pids="$pids $!"
done
wait $pids
codes() { for f in "$@"; do cat "$f"; echo; done; }
pa=$(codes "$W"/pa? | sort -u | tr '\n' ' '); pb=$(codes "$W"/pb? | sort -u | tr '\n' ' ')
case "$pa/$pb" in
"200 /403 "|"403 /200 ") r=0 ;; *) r=1 ;; esac
ok "pin race: one certificate's requests all 200, the other's all 403 (A: $pa, B: $pb)" $r
is "one pin in the store" "$(sql "SELECT count(*) FROM device_pins p JOIN devices d ON d.id = p.device_id WHERE d.mac = '00cc00000001'")" 1
is "OTP race: exactly one of 8 requests at A and B got 200" \
	"$(codes "$W"/oa? "$W"/ob? | grep -c '^200$')" 1
is "and the password is used up" "$(sql "SELECT otp FROM users WHERE name = 'erin'")" 0

# ------------------------------- kill -9 of one, failover by NAPTR
{
	echo "port=$DNSP"; echo "listen-address=127.0.0.1"
	echo "bind-interfaces"; echo "no-resolv"; echo "no-hosts"
	echo "local=/example.test/"
	"$SIPCFG" naptr cs.example.test "https://127.0.0.1:$PA/cfg" \
		"https://127.0.0.1:$PB/cfg" --format dnsmasq
	echo "log-facility=-"
} > "$W/dnsmasq.conf"
"$DNSMASQ" -k -C "$W/dnsmasq.conf" --pid-file= --user="$(id -un)" \
	> "$W/dnsmasq.log" 2>&1 &
DNSPID=$!
i=0
while ! grep -q started "$W/dnsmasq.log" 2>/dev/null && [ $i -lt 100 ]; do
	i=$((i + 1)); sleep 0.05; done
kill -0 "$DNSPID" 2>/dev/null || { echo "Bail out! dnsmasq: $(cat "$W/dnsmasq.log")"; exit 99; }
# ev FILE EVENT: its lines; wait_ev FILE EVENT N: until N of them (15 s).
nev() { grep -c "\"event\":\"$2\"" "$1"; }
wait_ev() {
	_i=0
	while [ "$(nev "$1" "$2")" -lt "$3" ] && [ $_i -lt 150 ]; do
		_i=$((_i + 1)); sleep 0.1
	done
	[ "$(nev "$1" "$2")" -ge "$3" ]
}
"$UA" run -d cs.example.test -m 00:11:22:33:44:55 -u alice -p "$PW" \
	--vendor examplecorp.com --model HypoComm --dns "127.0.0.1:$DNSP" \
	--cafile "$W/cert.pem" --backoff-scale 0.05 --timeout 3000 \
	--state "$W/state" > "$W/run" 2> "$W/run.err" &
UPID=$!
wait_ev "$W/run" subscribed 1; ok "the UA subscribed" $?
contains "at A, the preferred instance" "$(grep '"event":"subscribed"' "$W/run" | tail -1)" "@127.0.0.1:$SA2"
ns=$(nev "$W/run" subscribed)
kill -9 "$APID"; wait "$APID" 2>/dev/null; DPID=
sc var set global ntp_server ntp.after-kill.example >/dev/null
wait_ev "$W/run" subscribed $((ns + 1)); ok "kill -9 of A: the UA subscribed again" $?
contains "at B" "$(grep '"event":"subscribed"' "$W/run" | tail -1)" "@127.0.0.1:$SB2"
i=0; while ! grep -q ntp.after-kill.example "$W/state/config" 2>/dev/null &&
	[ $i -lt 100 ]; do i=$((i + 1)); sleep 0.1; done
ok "the change made while A died reached the UA from B" \
	"$(grep -q ntp.after-kill.example "$W/state/config"; echo $?)"
sc var set global ntp_server ntp.after-failover.example >/dev/null
i=0; while ! grep -q ntp.after-failover.example "$W/state/config" 2>/dev/null &&
	[ $i -lt 100 ]; do i=$((i + 1)); sleep 0.1; done
ok "and the next change by B's NOTIFY" \
	"$(grep -q ntp.after-failover.example "$W/state/config"; echo $?)"
kill -TERM "$UPID"; wait "$UPID"; rc=$?; UPID=
is "the UA ends cleanly" "$rc" 0
ok "B still runs" "$(kill -0 "$BPID"; echo $?)"
done_testing
