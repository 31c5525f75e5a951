#!/bin/sh
# dns: the UA's RFC 6011 §2.3.1 discovery (contrib/ua/ua_dns.c) against
# real DNS servers on loopback.  dnsmasq serves the NAPTR records, NODATA
# and NXDOMAIN; a second dnsmasq behind a DNSSEC-validating first one
# gives a real SERVFAIL (an unsigned denial under a root trust anchor is
# BOGUS); a small perl responder gives what dnsmasq never does: silence,
# REFUSED, FORMERR to EDNS, malformed answers, and truncated UDP answers
# whose TCP retry (RFC 7766) answers, is truncated again, is cut off or
# answers another question.  dns_probe is built from the sources into
# the work directory.  Bad cases first.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
DNSMASQ=${DNSMASQ:-/usr/sbin/dnsmasq}
need "${CC:-cc}" perl
[ -x "$DNSMASQ" ] || { echo "1..0 # SKIP dnsmasq not installed"; exit 77; }
# The real SERVFAIL comes from dnsmasq's DNSSEC validation.
"$DNSMASQ" --version | grep -q ' DNSSEC' ||
	{ echo "1..0 # SKIP dnsmasq built without DNSSEC"; exit 77; }

PIDS=
dns_cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	if [ "$T_FAIL" -ne 0 ]; then
		for f in "$W"/*.log; do
			[ -f "$f" ] && tail -15 "$f" | sed "s|^|# $(basename "$f"): |"
		done
	fi
	cleanup
}
trap dns_cleanup EXIT

# shellcheck disable=SC2086
${CC:-cc} ${CFLAGS:-} -I"$top_srcdir/contrib/ua" -o "$W/dns_probe" \
	"$top_srcdir/tests/e2e/dns_probe.c" "$top_srcdir/contrib/ua/ua_dns.c" \
	-lresolv 2> "$W/cc.log" ||
	{ echo "Bail out! cannot build dns_probe: $(head -5 "$W/cc.log")"; exit 99; }
probe() { "$W/dns_probe" "$@" 2>&1; }
first() { printf '%s\n' "$1" | head -1; }

# Four distinct ports: the resolver, its upstream, the odd responder,
# and one where nothing listens.
PORTS=
while [ "$(echo "$PORTS" | wc -w)" -lt 4 ]; do
	p=$(free_port) || { echo "Bail out! no free port"; exit 99; }
	case " $PORTS " in *" $p "*) ;; *) PORTS="$PORTS $p" ;; esac
done
# shellcheck disable=SC2086
set -- $PORTS
P=$1 P2=$2 PR=$3 PC=$4

# wait_log FILE PID: until the server logs its start (it has bound by then).
wait_log() {
	i=0
	while ! grep -q "$3" "$1" 2>/dev/null; do
		kill -0 "$2" 2>/dev/null ||
			{ echo "Bail out! server exited: $(tail -3 "$1")"; exit 99; }
		i=$((i + 1))
		[ $i -gt 200 ] && { echo "Bail out! server not ready"; exit 99; }
		sleep 0.05
	done
}

V6=
perl -MIO::Socket::IP -e 'IO::Socket::IP->new(Proto => "udp",
    LocalHost => "::1", LocalPort => 0) or exit 1' 2>/dev/null && V6=,::1

DM="$DNSMASQ --no-resolv --no-hosts --conf-file=/dev/null --bind-interfaces
    -k --pid-file= --log-queries --log-facility=-"
RE='!^.*$!'

# The upstream: everything is local to it ("/#/"), so a DS query for
# "test" gets an unsigned NODATA.
$DM --port="$P2" --listen-address=127.0.0.1 --local=/#/ \
	--naptr-record="cs2.broken.test,10,10,U,SFUA.CFG,${RE}https://cs2.example.net/!" \
	> "$W/upstream.log" 2>&1 &
UPID=$!
PIDS="$PIDS $UPID"
wait_log "$W/upstream.log" "$UPID" started

# The resolver under test.  Records of cs1 in a scrambled order: four
# usable ones, the rest to be filtered out.
set -- \
	"cs1.example.test,20,10,U,SFUA.CFG,${RE}https://p2.example.net/cfg!" \
	"cs1.example.test,5,5,U,E2U+sips,${RE}https://wrong-service.example.net/!" \
	"cs1.example.test,10,50,U,SFUA.CFG,${RE}https://p1b.example.net/cfg!" \
	"cs1.example.test,5,6,S,SFUA.CFG,${RE}https://wrong-flag.example.net/!" \
	"cs1.example.test,30,10,U,sfua.cfg,${RE}https://p3.example.net/cfg!" \
	"cs1.example.test,5,7,U,SFUA.CFG,${RE}http://plain-http.example.net/!" \
	"cs1.example.test,5,8,U,SFUA.CFG,!^nomatch\$!https://nomatch.example.net/!" \
	"cs1.example.test,5,9,U,SFUA.CFG,,replaced.example.test" \
	"cs1.example.test,5,4,U,SFUA.CFG,${RE}https://both.example.net/!,replaced.example.test" \
	"cs1.example.test,10,20,u,SFUA.CFG,${RE}https://p1.example.net/cfg!" \
	"cs3.example.test,10,10,U,SFUA.CFG,!^([a-z0-9]+)\\.example\\.test\$!https://\\1.cfg.example.net/x!" \
	"other.example.test,10,10,U,E2U+sip,${RE}https://sip.example.net/!" \
	"other.example.test,10,10,S,SFUA.CFG,${RE}https://srv.example.net/!" \
	"http.example.test,10,10,U,SFUA.CFG,${RE}http://cs.example.net/!"
NAPTR=
for r in "$@"; do NAPTR="$NAPTR --naptr-record=$r"; done
# 20 usable records (more than UA_DNS_MAX) and 40 long ones (more than
# the 1232 bytes of a UDP answer).
i=20; while [ $i -gt 0 ]; do
	NAPTR="$NAPTR --naptr-record=many.example.test,$i,1,U,SFUA.CFG,${RE}https://m$i.example.net/!"
	i=$((i - 1)); done
long=$(printf '%0100d' 0)
i=1; while [ $i -le 40 ]; do
	NAPTR="$NAPTR --naptr-record=big.example.test,$i,1,U,SFUA.CFG,${RE}https://b$i.$long.example.net/!"
	i=$((i + 1)); done

# shellcheck disable=SC2086
$DM --port="$P" --listen-address="127.0.0.1$V6" --local=/example.test/ \
	--txt-record=empty.example.test,"a name without NAPTR" \
	--dnssec \
	--trust-anchor=.,20326,8,2,E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D \
	--server="127.0.0.1#$P2" $NAPTR > "$W/dnsmasq.log" 2>&1 &
DMPID=$!
PIDS="$PIDS $DMPID"
wait_log "$W/dnsmasq.log" "$DMPID" started

# The odd responder: its answer depends on the first label of the name.
cat > "$W/odd.pl" <<'EOF'
use strict;
use IO::Select;
use IO::Socket::INET;
my $s = IO::Socket::INET->new(Proto => 'udp', LocalAddr => '127.0.0.1',
    LocalPort => $ARGV[0]) or die "bind: $!\n";
my $t = IO::Socket::INET->new(Proto => 'tcp', LocalAddr => '127.0.0.1',
    LocalPort => $ARGV[0], Listen => 5, ReuseAddr => 1) or die "tcp: $!\n";
$| = 1;
print "odd: ready\n";
sub cs { chr(length $_[0]) . $_[0] }
# The answer to query $q (undef: none), over TCP if $tcp.
sub answer {
	my ($q, $tcp) = @_;
	return undef if length $q < 17;
	my ($id, $fl, $qd, $an, $ns, $ar) = unpack 'n6', $q;
	my $i = 12;
	$i += 1 + ord(substr $q, $i, 1) while $i < length $q && ord(substr $q, $i, 1);
	my $question = substr $q, 12, $i + 5 - 12;
	my $label = substr $q, 13, ord(substr $q, 12, 1);
	print "odd: $label ar=$ar", ($tcp ? " tcp" : ""), "\n";
	my $rdata = pack('nn', 10, 10) . cs('U') . cs('SFUA.CFG') .
	    cs('!^.*$!https://odd.example.net/!') . "\0";
	my ($flags, $count, $rr, $rcode) = (0x8180, 1, '', 0);
	if ($label eq 'silent') {
		return undef;
	} elsif ($label eq 'refused') {
		($rcode, $count) = (5, 0);
	} elsif (($label =~ /^tc/ && !$tcp) || $label eq 'tctc') {
		($flags, $count) = (0x8380, 0);
	} elsif ($label eq 'tcclose') {
		return undef;
	} elsif ($label eq 'tcwrongid') {
		$id ^= 1;
	} elsif ($label eq 'tc') {
		# over TCP: the whole answer
	} elsif ($label eq 'formerr' && $ar > 0) {
		($rcode, $count) = (1, 0);
	} elsif ($label eq 'badrdata') {
		$rdata = pack('nn', 10, 10) . chr(200) . 'U';
	} elsif ($label eq 'trailing') {
		$rdata .= "junk";
	} elsif ($label eq 'badcount') {
		$count = 2;
	} elsif ($label ne 'formerr') {
		($rcode, $count) = (3, 0);
	}
	$rr = pack('nnnNn', 0xc00c, 35, 1, 60, length $rdata) . $rdata
	    if $count;
	return pack('n6', $id, $flags | $rcode, 1, $count, 0, 0) .
	    $question . $rr;
}
my $sel = IO::Select->new($s, $t);
while (1) {
	for my $r ($sel->can_read) {
		if ($r == $s) {
			my $peer = $s->recv(my $q, 4096) or next;
			my $a = answer($q, 0);
			$s->send($a, 0, $peer) if defined $a;
			next;
		}
		my $c = $t->accept or next;
		my ($l, $q) = ('', '');
		if ($c->read($l, 2) == 2) {
			$c->read($q, unpack 'n', $l);
			my $a = answer($q, 1);
			print $c pack('n', length $a) . $a if defined $a;
		}
		close $c;
	}
}
EOF
perl "$W/odd.pl" "$PR" > "$W/odd.log" 2>&1 &
OPID=$!
PIDS="$PIDS $OPID"
wait_log "$W/odd.log" "$OPID" "odd: ready"

D=127.0.0.1:$P
O=127.0.0.1:$PR

# ---- Bad input.
out=$(probe "$D" "bad..example.test")
is "empty label: ERROR" "$(first "$out")" ERROR
contains "and says why" "$out" "not a domain name"
out=$(probe "$D" "$(printf 'cs1.example.test\nx')")
contains "control character in the domain refused" "$out" "not a domain name: cs1.example.test?x"
for s in 127.0.0.1:99999 127.0.0.1:0 "[::1" "[::1]x" host.example:53 127.0.0.1: ; do
	out=$(probe "$s" cs1.example.test)
	contains "bad server '$s' refused" "$out" "bad DNS server address"
done
out=$(probe 127.0.0.1:"$PC" cs1.example.test 2000)
is "closed port: ERROR" "$(first "$out")" ERROR
contains "connection refused, not a timeout" "$out" "no DNS server listening at 127.0.0.1:$PC"

# ---- Servers that misbehave.
t0=$(date +%s%N)
out=$(timeout 20 "$W/dns_probe" "$O" silent.odd.test 1000 2>&1)
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
is "silent server: ERROR" "$(first "$out")" ERROR
contains "a timeout" "$out" "timed out"
ok "timeout honoured: 1000 ms asked, returned after $ms ms" \
	"$([ "$ms" -ge 900 ] && [ "$ms" -lt 3000 ]; echo $?)"
out=$(probe "$O" refused.odd.test)
is "REFUSED: ERROR (only SERVFAIL is UA_DNS_SERVFAIL)" "$(first "$out")" ERROR
contains "naming the rcode" "$out" "answered REFUSED"
out=$(probe "$O" tctc.odd.test)
is "truncated over UDP, then over TCP too: ERROR" "$(first "$out")" ERROR
contains "saying so" "$out" "truncated over TCP too"
out=$(probe "$O" tcclose.odd.test)
is "truncated, and TCP closed without an answer: ERROR" "$(first "$out")" ERROR
contains "saying the TCP retry failed" "$out" "TCP retry failed: connection closed"
out=$(probe "$O" tcwrongid.odd.test)
is "truncated, and TCP answered another id: ERROR" "$(first "$out")" ERROR
contains "refused as not ours" "$out" "not an answer to the question"
out=$(probe "$O" badrdata.odd.test)
is "NAPTR RDATA overrunning its length: ERROR" "$(first "$out")" ERROR
contains "malformed record named" "$out" "malformed NAPTR record at badrdata.odd.test"
is "one-line error" "$(printf '%s\n' "$out" | wc -l | tr -d ' ')" 2
out=$(probe "$O" trailing.odd.test)
is "NAPTR RDATA with bytes after the replacement: ERROR" "$(first "$out")" ERROR
contains "malformed record" "$out" "malformed NAPTR record at trailing.odd.test"
out=$(probe "$O" badcount.odd.test)
is "answer count larger than the answer: ERROR" "$(first "$out")" ERROR
contains "malformed answer" "$out" "malformed DNS answer"
out=$(probe "$O" formerr.odd.test)
is "FORMERR to EDNS: retried without EDNS" "$out" \
	"$(printf 'OK\n10 10 https://odd.example.net/')"
contains "the responder saw the EDNS query" "$(cat "$W/odd.log")" "formerr ar=1"
contains "and the plain one" "$(cat "$W/odd.log")" "formerr ar=0"

# ---- RFC 6011 §2.3.1.2 (errata EID 2622): NXDOMAIN, NODATA, SERVFAIL.
out=$(probe "$D" nothere.example.test)
is "unknown name: NXDOMAIN" "$(first "$out")" NXDOMAIN
out=$(probe "$D" empty.example.test)
is "name with only TXT: NODATA" "$(first "$out")" NODATA
contains "no NAPTR at all" "$out" "no NAPTR record for empty.example.test"
out=$(probe "$D" other.example.test)
is "only other services and flag S: NODATA" "$(first "$out")" NODATA
contains "counted and explained" "$out" "2 NAPTR records, none with service SFUA.CFG and flag u"
out=$(probe "$D" http.example.test)
is "SFUA.CFG giving plain http: NODATA" "$(first "$out")" NODATA
contains "explained" "$out" "none giving an https URL"
out=$(probe "$D" cs2.broken.test)
is "DNSSEC-bogus answer: SERVFAIL" "$(first "$out")" SERVFAIL
contains "dnsmasq really validated it as BOGUS" "$(cat "$W/dnsmasq.log")" \
	"validation cs2.broken.test is BOGUS"
out=$(probe 127.0.0.1:"$P2" cs2.broken.test)
is "the same name from the upstream itself: OK" "$out" \
	"$(printf 'OK\n10 10 https://cs2.example.net/')"

# ---- Happy path.
# RFC 7766 §5: a truncated UDP answer is asked again over TCP.
out=$(probe "$O" tc.odd.test)
is "truncated over UDP: retried over TCP, answered" "$out" \
	"$(printf 'OK\n10 10 https://odd.example.net/')"
contains "the responder saw the UDP query" "$(cat "$W/odd.log")" "odd: tc ar=1"
contains "and then the TCP one" "$(cat "$W/odd.log")" "odd: tc ar=1 tcp"
out=$(probe "$D" big.example.test)
is "40 long records (> 1232 bytes) from dnsmasq: OK over TCP" "$(first "$out")" OK
is "the best 16 kept" "$(printf '%s\n' "$out" | sed 1d | wc -l | tr -d ' ')" 16
is "first is order 1" "$(printf '%s\n' "$out" | sed -n 2p)" \
	"1 1 https://b1.$long.example.net/"
out=$(probe "$D" cs1.example.test)
is "cs1: filtered and ordered by order, then preference" "$out" "$(printf '%s\n' \
	OK \
	"10 20 https://p1.example.net/cfg" \
	"10 50 https://p1b.example.net/cfg" \
	"20 10 https://p2.example.net/cfg" \
	"30 10 https://p3.example.net/cfg")"
out=$(probe "$D" CS1.Example.Test.)
is "case and trailing dot in the domain" "$(printf '%s\n' "$out" | sed -n 2p)" \
	"10 20 https://p1.example.net/cfg"
out=$(probe "$D" cs3.example.test)
is "backref regexp applied to the domain" "$out" \
	"$(printf 'OK\n10 10 https://cs3.cfg.example.net/x')"
out=$(probe "$D" many.example.test)
is "20 records: the best UA_DNS_MAX (16) kept" \
	"$(printf '%s\n' "$out" | sed 1d | wc -l | tr -d ' ')" 16
is "first is order 1" "$(printf '%s\n' "$out" | sed -n 2p)" "1 1 https://m1.example.net/"
is "last is order 16" "$(printf '%s\n' "$out" | tail -1)" "16 1 https://m16.example.net/"
if [ -n "$V6" ]; then
	out=$(probe "[::1]:$P" cs3.example.test)
	is "IPv6 server [::1]:PORT" "$out" \
		"$(printf 'OK\n10 10 https://cs3.cfg.example.net/x')"
else
	ok "IPv6 server # SKIP no ::1" 0
fi
ok "dnsmasq still running" "$(kill -0 "$DMPID"; echo $?)"
done_testing
