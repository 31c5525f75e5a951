#!/bin/sh
# rfc6011-example: the whole RFC 6011 §2.3.3 example, played for real.
# A DNS server on loopback answers the Figure 1 records for example.net;
# the ExampleCorp HypoComm 2.1 with MAC 00:11:22:33:44:55 and no user
# identity discovers both SFUA.CFG URLs (the SIP+D2T/D2U records are not
# for it), requests exactly the Figure 2 URLs, p1 before p2, with
# example.net as TLS SNI, and gets a configuration: sipcfgd enrols the
# unknown device as pending and serves it the secret-free default.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
need perl; need_sql
DNSMASQ=$(command -v dnsmasq || echo /usr/sbin/dnsmasq)
[ -x "$DNSMASQ" ] || { echo "1..0 # SKIP dnsmasq not installed"; exit 77; }
UA="$top_builddir/sipcfg-ua"
[ -x "$UA" ] || { echo "Bail out! $UA not built"; exit 99; }
jf() { printf '%s\n' "$2" | perl -MJSON::PP -ne \
	'my $o = decode_json($_); my $v = $o->{'"'$1'"'};
	 print ref $v eq "ARRAY" ? join(" ", @$v) : defined $v ? $v : ""'; }
ev() { grep "\"event\":\"$2\"" "$1" | tail -1; }

# The CS's certificate names the Configuration Service Domain (§2.4.1).
rm -f "$W/cert.pem" "$W/key.pem"
"$top_srcdir/certs/mkcert.sh" "$W" example.net >/dev/null || exit 99
sc init --realm example.net >/dev/null &&
sc template add generic "$top_srcdir/templates/generic.xml" >/dev/null ||
	{ echo "Bail out! store"; exit 99; }
start_daemon "unknown_device enroll"
DNSP=$(free_port) || { echo "Bail out! no free port"; exit 99; }
CLOSED=$(free_port)

# Figure 1, as published for example.net.
cat > "$W/dnsmasq.conf" <<EOF
port=$DNSP
listen-address=127.0.0.1
bind-interfaces
no-resolv
no-hosts
local=/example.net/
naptr-record=example.net,10,10,u,SFUA.CFG,!^.*\$!https://p1.example.net/cfg!
naptr-record=example.net,100,10,u,SFUA.CFG,!^.*\$!https://p2.example.net/cfg!
naptr-record=example.net,90,50,s,SIP+D2T,,_sip._tcp.example.net
naptr-record=example.net,100,50,s,SIP+D2U,,_sip._udp.example.net
EOF
"$DNSMASQ" -k -C "$W/dnsmasq.conf" --pid-file= --user="$(id -un)" \
	2> "$W/dnsmasq.err" &
DNSPID=$!
trap 'kill $DNSPID 2>/dev/null; cleanup' EXIT
i=0
while ! grep -q started "$W/dnsmasq.err" 2>/dev/null && [ $i -lt 100 ]; do
	i=$((i + 1)); sleep 0.05; done

# p1 is down (nothing listens there), p2 is our sipcfgd: both hosts are
# reached through --connect-to, as their names are not in any DNS here.
"$UA" fetch -d example.net -m 00:11:22:33:44:55 --vendor examplecorp.com \
	--model HypoComm --revision 2.1 --dns "127.0.0.1:$DNSP" \
	--cafile "$CERT" --backoff-scale 0.05 \
	--connect-to "p1.example.net:443:127.0.0.1:$CLOSED" \
	--connect-to "p2.example.net:443:127.0.0.1:$PORT" \
	-o "$W/config" > "$W/events" 2> "$W/err"
is "the HypoComm gets a configuration" $? 0
is "discovery: the two SFUA.CFG base URLs, order 10 before 100" \
	"$(jf urls "$(ev "$W/events" discovered)")" \
	"https://p1.example.net/cfg https://p2.example.net/cfg"
contains "p1 first: its connection failed" \
	"$(ev "$W/events" failed)" '"url":"https://p1.example.net/cfg"'
f=$(ev "$W/events" fetched)
is "then p2, with the Figure 2 request URL" "$(jf request "$f")" \
	"https://p2.example.net/cfg?sfua-id=urn:uuid:00000000-0000-1000-8000-001122334455&sfua-vendor=examplecorp.com&sfua-model=HypoComm&sfua-revision=2.1"
contains "the secret-free default" "$(cat "$W/config")" "not (yet) provisioned"
contains "for this device" "$(cat "$W/config")" 'sfua-id="urn:uuid:00000000-0000-1000-8000-001122334455"'
# The enrolment is written by the bookkeeping thread, within seen_flush_ms.
i=0
while row=$(sql "SELECT state, vendor, model FROM devices WHERE mac = '001122334455'") &&
	[ -z "$row" ] && [ $i -lt 60 ]; do i=$((i + 1)); sleep 0.05; done
is "enrolled as pending, with its vendor and model" "$row" "pending|examplecorp.com|HypoComm"
done_testing
