#!/bin/sh
# ua: sipcfg-ua, the RFC 6011 client, end to end: a real DNS server on
# loopback (dnsmasq) serving the NAPTR records `sipcfg naptr` prints for
# two sipcfgd instances on one store.  Bad input first; then the
# §2.3.1.2 cases (NXDOMAIN, empty answer, SERVFAIL) on the way to the
# real domain; a fetch from the preferred instance; `run`: subscribed, a
# `sipcfg` change arrives as a NOTIFY and a new configuration; the
# preferred instance stops and the UA fails over to the other; trust on
# first use and a refused pin change; polling mode with 304s.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
need perl
DNSMASQ=$(command -v dnsmasq || echo /usr/sbin/dnsmasq)
[ -x "$DNSMASQ" ] || { echo "1..0 # SKIP dnsmasq not installed"; exit 77; }
UA="$top_builddir/sipcfg-ua"
[ -x "$UA" ] || { echo "Bail out! $UA not built"; exit 99; }

now() { date +%s.%N | cut -c1-14; }
fcmp() { awk "BEGIN { exit !($1) }"; }
# jf FIELD LINE: a top-level field of a JSON event line.
jf() { printf '%s\n' "$2" | perl -MJSON::PP -ne \
	'my $o = decode_json($_); my $v = $o->{'"'$1'"'};
	 print ref $v eq "ARRAY" ? join(" ", @$v) : defined $v ? $v : ""'; }
# ev FILE EVENT [N]: the Nth (default last) line of that event.
ev() { grep "\"event\":\"$2\"" "$1" | if [ -n "${3:-}" ]; then
	sed -n "${3}p"; else tail -1; fi; }
nev() { grep -c "\"event\":\"$2\"" "$1"; }
# wait_ev FILE EVENT N [SECONDS]: until N such events (default 10 s).
wait_ev() {
	_end=$(awk "BEGIN { printf \"%.3f\", $(now) + ${4:-10} }")
	while [ "$(nev "$1" "$2")" -lt "$3" ]; do
		fcmp "$(now) > $_end" && return 1
		sleep 0.05
	done
}

# A certificate for the Configuration Service Domain (the UA sends it as
# SNI and validates it, RFC 6011 §2.4.1).
rm -f "$W/cert.pem" "$W/key.pem"
"$top_srcdir/certs/mkcert.sh" "$W" cs.example.test >/dev/null || exit 99
make_store
head -c 48 /dev/urandom > "$W/secret"
SA1=$(free_port) && SA2=$(free_port) && SB1=$(free_port) &&
	SB2=$(free_port) && DNSP=$(free_port) ||
	{ echo "Bail out! no free port"; exit 99; }

# Instance A through lib.sh; instance B by hand on the same store.
start_daemon "secret_file $W/secret" "sip_listen sip:127.0.0.1:$SA1" \
	"sip_listen sips:127.0.0.1:$SA2" "sip_host 127.0.0.1" \
	"shutdown_retry_after 1"
PA=$PORT; APID=$DPID
start_b() {	# start_b [CERT-DIR]
	{ echo "store $STORE"; echo "cert ${1:-$W}/cert.pem"
	  echo "key ${1:-$W}/key.pem"
	  echo "listen 127.0.0.1:${PB:-0}"; echo "threads 2"
	  echo "secret_file $W/secret"; echo "sip_listen sip:127.0.0.1:$SB1"
	  echo "sip_listen sips:127.0.0.1:$SB2"; echo "sip_host 127.0.0.1"
	} > "$W/b.conf"
	run_b
	PB=$(sed -n 's|.*https://127.0.0.1:\([0-9]*\)/.*|\1|p' "$W/b.out")
}
start_b
trap 'kill $BPID 2>/dev/null; cleanup' EXIT

# The DNS: what `sipcfg naptr` prints, and the §2.3.1.2 failure cases.
# A real SERVFAIL comes from dnsmasq's DNSSEC validation: names it
# forwards to an upstream that answers them unsigned (under a root trust
# anchor) are BOGUS (see dns.sh).
UP=$(free_port) || { echo "Bail out! no free port"; exit 99; }
"$DNSMASQ" -k --conf-file=/dev/null --no-resolv --no-hosts --pid-file= \
	--bind-interfaces --port="$UP" --listen-address=127.0.0.1 \
	--local=/#/ --user="$(id -un)" \
	--naptr-record='sf.broken.test,10,10,u,SFUA.CFG,!^.*$!https://127.0.0.1:1/cfg!' \
	--log-facility=- > "$W/upstream.log" 2>&1 &
UPPID=$!
{
	echo "port=$DNSP"; echo "listen-address=127.0.0.1"
	echo "bind-interfaces"; echo "no-resolv"; echo "no-hosts"
	echo "local=/example.test/"
	"$SIPCFG" naptr cs.example.test "https://127.0.0.1:$PA/cfg" \
		"https://127.0.0.1:$PB/cfg" --format dnsmasq
	echo 'txt-record=empty.example.test,"no NAPTR here"'
	echo "dnssec"
	echo "trust-anchor=.,20326,8,2,E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D"
	echo "server=127.0.0.1#$UP"
	echo "log-queries"; echo "log-facility=-"
} > "$W/dnsmasq.conf"
"$DNSMASQ" -k -C "$W/dnsmasq.conf" --pid-file= --user="$(id -un)" \
	> "$W/dnsmasq.log" 2>&1 &
DNSPID=$!
trap 'kill $BPID $DNSPID $UPPID $UPID 2>/dev/null; cleanup' EXIT
i=0
while ! { grep -q started "$W/dnsmasq.log" && grep -q started "$W/upstream.log"; } 2>/dev/null &&
	[ $i -lt 100 ]; do i=$((i + 1)); sleep 0.05; done
kill -0 "$DNSPID" 2>/dev/null || { echo "Bail out! dnsmasq: $(cat "$W/dnsmasq.log")"; exit 99; }

COMMON="--dns 127.0.0.1:$DNSP --cafile $CERT --backoff-scale 0.05 --timeout 3000"
CRED="-m 00:11:22:33:44:55 -u alice -p $PW --vendor examplecorp.com --model HypoComm"

# ---------------------------------------------------------------- bad input
"$UA" >/dev/null 2>&1; is "no command: usage (2)" $? 2
"$UA" fetch -d cs.example.test $CRED >/dev/null 2>&1
is "no trust anchor given: usage (2)" $? 2
"$UA" fetch -d cs.example.test $CRED --cafile "$W/nonexistent.pem" \
	>/dev/null 2>&1; is "a CA file that is not there: usage (2), at once" $? 2
echo garbage > "$W/badpin"
"$UA" fetch -d cs.example.test $CRED --pin-file "$W/badpin" \
	>/dev/null 2>&1; is "a pin file that is not one: usage (2)" $? 2
"$UA" fetch -d cs.example.test -m 00:11:22 -u alice --cafile "$CERT" \
	>/dev/null 2>&1; is "bad MAC: usage (2)" $? 2
"$UA" fetch -b http://127.0.0.1:$PA/cfg $CRED --cafile "$CERT" \
	>/dev/null 2>&1; is "a base URL that is not https: usage (2)" $? 2
"$UA" fetch -d nx.example.test $CRED $COMMON -o "$W/c0" > "$W/e0" 2>&1
is "only a nonexistent domain: no configuration (1)" $? 1
contains "its discovery failed with NXDOMAIN" "$(ev "$W/e0" failed)" "NXDOMAIN"
"$UA" fetch -d cs.example.test $CRED -p wrong $COMMON -o "$W/c0" \
	> "$W/e0" 2>&1
is "wrong password: no configuration (1)" $? 1
is "a 401 drops the URL (permanent, §2.4.2), both of them" \
	"$(grep -c '"dropped":true' "$W/e0")" 2

# ------------------------------------------- §2.3.1.2 cases, then a fetch
"$UA" fetch -d nx.example.test -d empty.example.test -d sf.broken.test \
	-d cs.example.test $CRED $COMMON -o "$W/c1" > "$W/e1" 2>&1
is "fetch through three failing domains: 0" $? 0
f=$(grep '"step":"discovery"' "$W/e1")
contains "NXDOMAIN moved on" "$f" '"domain":"nx.example.test"'
contains "an empty answer moved on" "$f" '"domain":"empty.example.test"'
contains "a SERVFAIL moved on" "$(printf '%s' "$f" | grep sf.broken.test)" SERVFAIL
contains "(a real one: the DNS server said BOGUS)" "$(cat "$W/dnsmasq.log")" "sf.broken.test is BOGUS"
d=$(ev "$W/e1" discovered)
is "discovered both instances, preferred first" "$(jf urls "$d")" \
	"https://127.0.0.1:$PA/cfg https://127.0.0.1:$PB/cfg"
fe=$(ev "$W/e1" fetched)
is "fetched from the preferred instance" "$(jf url "$fe")" "https://127.0.0.1:$PA/cfg"
c -o "$W/g1" -D "$W/h" --digest -u "alice:$PW" "$BASE?$Q"
is "the fetched ETag is the GET's" "$(jf etag "$fe")" "$(hdr ETag "$W/h")"
ok "the configuration written is the GET's body" "$(cmp -s "$W/c1" "$W/g1"; echo $?)"
contains "the Link came with it" "$(jf link "$fe")" "sips:"

# ------------------------------------------------------------------ run
"$UA" run -d cs.example.test $CRED $COMMON --state "$W/state" \
	> "$W/run" 2> "$W/run.err" &
UPID=$!
wait_ev "$W/run" subscribed 1 10
s=$(ev "$W/run" subscribed)
is "run: subscribed (200)" "$(jf status "$s")" 200
contains "to instance A's sips: monitor URI" "$(jf uri "$s")" "@127.0.0.1:$SA2"
wait_ev "$W/run" notified 1 5
n1=$(nev "$W/run" notified)
sc var set global ntp_server ntp.ua-test.example >/dev/null
wait_ev "$W/run" refetched 1 10
r=$(ev "$W/run" refetched)
c -o /dev/null -D "$W/h" --digest -u "alice:$PW" "$BASE?$Q"
is "a sipcfg change: NOTIFY, then the new configuration" "$(jf etag "$r")" "$(hdr ETag "$W/h")"
ok "the NOTIFY said it changed" "$(grep '"event":"notified"' "$W/run" | sed -n "$((n1 + 1)),\$p" | grep -q '"changed":true'; echo $?)"
ok "state kept on disk" "$(grep -q ntp.ua-test.example "$W/state/config"; echo $?)"

# ---------------------------------------------- the preferred one stops
nr=$(nev "$W/run" refetched); nn=$(nev "$W/run" not-modified)
ns=$(nev "$W/run" subscribed)
kill -TERM "$APID"; wait "$APID"; DPID=
wait_ev "$W/run" terminated 1 10
t=$(ev "$W/run" terminated)
is "A's shutdown: terminated, reason probation" "$(jf reason "$t")" probation
wait_ev "$W/run" subscribed $((ns + 1)) 15
s=$(ev "$W/run" subscribed)
contains "failed over: subscribed to instance B" "$(jf uri "$s")" "@127.0.0.1:$SB2"
ok "A's URL failed on the way (connection refused)" \
	"$(grep '"event":"failed"' "$W/run" | grep -q "127.0.0.1:$PA"; echo $?)"
ok "B revalidated what it had (304)" "$([ "$(nev "$W/run" not-modified)" -gt "$nn" ]; echo $?)"
sc var set global ntp_server ntp2.ua-test.example >/dev/null
wait_ev "$W/run" refetched $((nr + 1)) 10
ok "B's NOTIFY brings the next change" "$(grep -q ntp2.ua-test.example "$W/state/config"; echo $?)"
kill -TERM "$UPID"; wait "$UPID"; rc=$?; UPID=
is "run: SIGTERM, clean exit" "$rc" 0
# §2.6.1: after a restart what is stored is of unknown validity: the UA
# revalidates it with a conditional GET (304 here) before using it.
"$UA" fetch -d cs.example.test $CRED $COMMON --state "$W/state" \
	-o "$W/c2" > "$W/e4" 2>&1
is "restart: fetch with the stored state: 0" $? 0
is "revalidated with a conditional GET: 304, no new fetch" \
	"$(nev "$W/e4" not-modified) $(nev "$W/e4" fetched)" "1 0"
ok "the stored configuration is what it writes" "$(cmp -s "$W/c2" "$W/state/config"; echo $?)"

# ------------------------------------------------------ trust on first use
PIN="$W/pin"
"$UA" fetch -b "https://127.0.0.1:$PB/cfg" -d cs.example.test $CRED \
	--pin-file "$PIN" --backoff-scale 0.05 -o /dev/null > "$W/e2" 2>&1
is "TOFU: first use works" $? 0
ok "and wrote a pin" "$(grep -q '^sha256//' "$PIN"; echo $?)"
"$UA" fetch -b "https://127.0.0.1:$PB/cfg" -d cs.example.test $CRED \
	--pin-file "$PIN" --backoff-scale 0.05 -o /dev/null > "$W/e2" 2>&1
is "TOFU: the same key again works" $? 0
ok "writing to -o /dev/null left it a device" "$([ -c /dev/null ]; echo $?)"
# B restarts with a new key.
kill -TERM "$BPID"; wait "$BPID"
mkdir "$W/new" && "$top_srcdir/certs/mkcert.sh" "$W/new" cs.example.test >/dev/null
start_b "$W/new"
"$UA" fetch -b "https://127.0.0.1:$PB/cfg" -d cs.example.test $CRED \
	--pin-file "$PIN" --backoff-scale 0.05 -o /dev/null > "$W/e3" 2> "$W/e3.err"
is "TOFU: a changed key is refused (3)" $? 3
contains "loudly" "$(cat "$W/e3.err")" "pin"

# ------------------------------------------------------- polling mode
sc device set "$DEV" --notify poll --max-age 2 >/dev/null
"$UA" run -b "https://127.0.0.1:$PB/cfg" -d cs.example.test $CRED \
	--cafile "$W/new/cert.pem" --backoff-scale 0.05 > "$W/poll" 2>&1 &
UPID=$!
wait_ev "$W/poll" not-modified 1 10
f=$(ev "$W/poll" fetched)
is "polling mode: no Link" "$(jf link "$f")" ""
is "max-age 2" "$(jf max_age "$f")" 2
ok "it polled before max-age ran out" "$(jf in "$(ev "$W/poll" poll 1)" | awk '{ exit !($1 < 2 && $1 > 0) }'; echo $?)"
ok "a conditional GET got 304 Not Modified" "$([ "$(nev "$W/poll" not-modified)" -ge 1 ]; echo $?)"
is "no subscription in polling mode" "$(nev "$W/poll" subscribed)" 0
kill -TERM "$UPID"; wait "$UPID"; UPID=

# ------------------------------------------------------------ swarm
# Five UAs in one process: sfua-ids from a MAC range, one user each.
for i in 0 1 2 3 4; do
	printf 'sp%d\n' $i | sc user add "s$i" >/dev/null
	sc device add "00:aa:00:00:00:0$i" --user "s$i" --vendor examplecorp.com \
		--model HypoComm >/dev/null
	printf 'sl%d\n' $i | sc line add "00:aa:00:00:00:0$i" \
		--aor "sip:s$i@example.net" --username "s$i" >/dev/null
done
"$UA" swarm 5 -b "https://127.0.0.1:$PB/cfg" -d cs.example.test \
	-m 00:aa:00:00:00:00 -u 's%d' -p 'sp%d' --cafile "$W/new/cert.pem" \
	--duration 3 > "$W/swarm" 2> "$W/swarm.err"
is "swarm: exit 0" $? 0
sw=$(tail -1 "$W/swarm")
sq() { printf '%s\n' "$sw" | perl -MJSON::PP -ne 'my $o = decode_json($_); print '"$1"; }
is "swarm: 5 fetched" "$(sq '$o->{events}{fetched}')" 5
is "swarm: 5 subscribed" "$(sq '$o->{events}{subscribed}')" 5
is "swarm: a first NOTIFY timed for each" "$(sq '$o->{subscribe_to_notify_ms}{n}')" 5
ok "swarm: latency percentiles reported" "$(sq '$o->{fetch_ms}{p99} > 0 ? "y" : ""' | grep -q y; echo $?)"
done_testing
