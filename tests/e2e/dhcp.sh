#!/bin/sh
# dhcp: RFC 6011 discovery from the first packet (§2.1.2, §2.2), end to
# end.  The test makes two network namespaces joined by a veth pair: in
# the server one, Debian's dnsmasq serves DHCP from exactly the lines
# `sipcfg dhcp` printed and DNS from the records `sipcfg naptr` printed,
# and sipcfgd runs beside it; in the client one, `sipcfg-ua --dhcp eth0`
# finds the Configuration Service Domain by DHCPINFORM and DHCPv6
# Information-request, then the base URL by NAPTR, fetches, and
# subscribes.  Bad input first: the CLI's refusals, an interface that is
# not there, no DHCP server, malformed options 141 and 58 (refused, and
# options 15 and 21 used instead); then options 141 and 58 beside a
# decoy option 15; then option 141 absent, falling back to option 15.
# Needs root (namespaces, ports 67/68/546/547); skips (77) without.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
need ip perl
DNSMASQ=$(command -v dnsmasq || echo /usr/sbin/dnsmasq)
[ -x "$DNSMASQ" ] || { echo "1..0 # SKIP dnsmasq not installed"; exit 77; }
UA="$top_builddir/sipcfg-ua"
[ -x "$UA" ] || { echo "Bail out! $UA not built"; exit 99; }

# Names of our own, unique to this run (interface names stay < 16).
NS_S=s15s$$
NS_C=s15c$$
[ "$(id -u)" -eq 0 ] && ip netns add "$NS_S" 2>/dev/null ||
	{ echo "1..0 # SKIP cannot make network namespaces (not root?)"; exit 77; }
PIDS=
dhcp_cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	ip netns del "$NS_S" 2>/dev/null
	ip netns del "$NS_C" 2>/dev/null
	if [ "$T_FAIL" -ne 0 ]; then
		for f in "$W"/dnsmasq*.log "$W"/ua-*.out; do
			[ -f "$f" ] && tail -12 "$f" | sed "s|^|# $(basename "$f"): |"
		done
	fi
	cleanup
}
trap dhcp_cleanup EXIT
ip netns add "$NS_C" || { echo "Bail out! cannot make $NS_C"; exit 99; }
# Background processes are started with "ip netns exec" itself (it
# execs), so that $! is the process to stop.
in_c() { ip netns exec "$NS_C" "$@"; }

# ---- The network: 10.15.0.1 / fd15::1 (server), .2 / ::2 (client).
for ns in "$NS_S" "$NS_C"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0 >/dev/null 2>&1
	ip -n "$ns" link set lo up
done
ip -n "$NS_S" link add eth0 type veth peer name eth0 netns "$NS_C" &&
	ip -n "$NS_S" addr add 10.15.0.1/24 dev eth0 &&
	ip -n "$NS_S" addr add fd15::1/64 dev eth0 nodad &&
	ip -n "$NS_C" addr add 10.15.0.2/24 dev eth0 &&
	ip -n "$NS_C" addr add fd15::2/64 dev eth0 nodad &&
	ip -n "$NS_S" link set eth0 up && ip -n "$NS_C" link set eth0 up ||
	{ echo "Bail out! cannot set up the veth pair"; exit 99; }

# JSON helpers (perl's core JSON::PP): jp EXPR LINE evaluates EXPR on
# the decoded line $o; arrays print space-separated.
jp() { printf '%s\n' "$2" | perl -MJSON::PP -ne 'my $o = decode_json($_);
	my $v = eval q{'"$1"'}; print ref $v eq "ARRAY" ? join(" ", @$v) :
	ref $v eq "HASH" ? "{}" : defined $v ? $v : ""'; }
ev() { grep "\"event\":\"$2\"" "$1" | tail -1; }
nev() { grep -c "\"event\":\"$2\"" "$1"; }
wait_ev() {	# wait_ev FILE EVENT SECONDS
	i=0
	while [ "$(nev "$1" "$2")" -lt 1 ]; do
		i=$((i + 1)); [ $i -gt $(($3 * 20)) ] && return 1
		sleep 0.05
	done
}

# ---- The CS: a certificate for the domain and the address, sipcfgd.
CS=cs.s15.test
rm -f "$W/cert.pem" "$W/key.pem"
"$top_srcdir/certs/mkcert.sh" "$W" "$CS" 10.15.0.1 >/dev/null || exit 99
make_store
cat > "$W/sipcfgd.conf" <<EOF
store $STORE
cert $CERT
key $W/key.pem
listen 10.15.0.1:443
threads 2
sip_listen sip:10.15.0.1:5060
sip_listen sips:10.15.0.1:5061
sip_host 10.15.0.1
EOF
ip netns exec "$NS_S" "$SIPCFGD" -f "$W/sipcfgd.conf" > "$W/daemon.out" 2> "$W/daemon.err" &
SPID=$!
PIDS="$PIDS $SPID"
i=0
while ! grep -q '^sipcfgd: ready' "$W/daemon.out"; do
	kill -0 "$SPID" 2>/dev/null ||
		{ echo "Bail out! sipcfgd: $(cat "$W/daemon.err")"; exit 99; }
	i=$((i + 1)); [ $i -gt 200 ] && { echo "Bail out! no ready line"; exit 99; }
	sleep 0.05
done

# ---- sipcfg dhcp: bad input first.
fails "a domain with an empty label is refused" "not a DNS domain" \
	"$SIPCFG" dhcp cs..s15.test
fails "a domain with a space is refused" "not a DNS domain" \
	"$SIPCFG" dhcp "cs s15.test"
fails "an unknown --format is refused" "expected dnsmasq, kea or dhcpd" \
	"$SIPCFG" dhcp --format isc "$CS"
new_store other || { echo "Bail out! cannot make a second store"; exit 99; }
OTHER=$NEW_STORE
"$SIPCFG" -d "$OTHER" init --realm r >/dev/null
fails "no argument and no domain in the store: says what to do" \
	"no CS domain" "$SIPCFG" -d "$OTHER" dhcp
long=$(printf 'a%.0s' $(seq 60))
fails "more than 255 octets: dnsmasq cannot send it, said so" \
	"dnsmasq sends at most 255" "$SIPCFG" dhcp --format dnsmasq \
	"$long.one.test" "$long.two.test" "$long.three.test" "$long.four.test"
out=$("$SIPCFG" dhcp --hex "$long.one.test" "$long.two.test" \
	"$long.three.test" "$long.four.test")
is "--hex: past 255 octets, two options 141 (RFC 3396) and one 58" \
	"$(printf '%s\n' "$out" | cut -c1-10 | tr '\n' ' ')" \
	"dhcp4 8dff dhcp4 8d14 dhcp6 003a "
"$SIPCFG" -d "$OTHER" domain add "$CS" --cert "$CERT" \
	--key "$W/key.pem" >/dev/null
is "no argument: the store's domains" \
	"$("$SIPCFG" -d "$OTHER" dhcp --format dnsmasq)" \
	"$("$SIPCFG" dhcp --format dnsmasq "$CS")"
DATA=$("$SIPCFG" --json dhcp "$CS" |
	perl -MJSON::PP -e 'local $/; print decode_json(<STDIN>)->{dhcp4}{data}')
is "--json: option 141's data for $CS" "$DATA" 02637303733135047465737400

# dnsmasq_start NAME LINES...: a dnsmasq in the server namespace from a
# configuration of the given lines; waits until it has started.
DPID2=
dnsmasq_start() {
	name=$1; shift
	if [ -n "$DPID2" ]; then kill "$DPID2"; wait "$DPID2" 2>/dev/null; fi
	{
		echo "interface=eth0"; echo "bind-interfaces"
		echo "no-resolv"; echo "no-hosts"; echo "local=/s15.test/"
		echo "log-queries"; echo "log-dhcp"; echo "log-facility=-"
		for l in "$@"; do printf '%s\n' "$l"; done
		"$SIPCFG" naptr "$CS" https://10.15.0.1/cfg --format dnsmasq
	} > "$W/dnsmasq-$name.conf"
	ip netns exec "$NS_S" "$DNSMASQ" -k -C "$W/dnsmasq-$name.conf" --pid-file= --user=root \
		> "$W/dnsmasq-$name.log" 2>&1 &
	DPID2=$!
	PIDS="$PIDS $DPID2"
	i=0
	while ! grep -q 'started' "$W/dnsmasq-$name.log"; do
		kill -0 "$DPID2" 2>/dev/null || { echo "Bail out! dnsmasq $name:" \
			"$(cat "$W/dnsmasq-$name.log")"; exit 99; }
		i=$((i + 1)); [ $i -gt 200 ] && { echo "Bail out! dnsmasq $name"; exit 99; }
		sleep 0.05
	done
}
RANGES="dhcp-range=10.15.0.100,10.15.0.200,255.255.255.0
dhcp-range=fd15::100,fd15::1ff,64"

CRED="-m 00:11:22:33:44:55 -u alice -p $PW --vendor examplecorp.com --model HypoComm"
COMMON="--dns 10.15.0.1 --cafile $CERT --backoff-scale 0.05 --timeout 3000 --retries 1"

# ---- sipcfg-ua --dhcp: bad input first.
dnsmasq_start dnsonly
# shellcheck disable=SC2086
in_c "$UA" fetch --dhcp nosuch0 $CRED $COMMON -o /dev/null \
	> "$W/ua-nosuch.out" 2>&1
is "an interface that is not there: no configuration (1)" $? 1
contains "and says so" "$(cat "$W/ua-nosuch.out")" "nosuch0: no such network interface"
# shellcheck disable=SC2086
in_c "$UA" fetch --dhcp eth0 --dhcp-timeout 1500 $CRED $COMMON -o /dev/null \
	> "$W/ua-nodhcp.out" 2>&1
is "no DHCP server and no --domain: no configuration (1)" $? 1
d=$(ev "$W/ua-nodhcp.out" dhcp)
is "the DHCPINFORM went unanswered" "$(jp '$o->{v4}{error}' "$d")" \
	"no answer to the DHCPINFORM on eth0"
is "the Information-request too" "$(jp '$o->{v6}{error}' "$d")" \
	"no answer to the Information-request on eth0"
contains "said on standard error" "$(cat "$W/ua-nodhcp.out")" \
	"gave no Configuration Service Domain"
# shellcheck disable=SC2086
in_c "$UA" fetch --dhcp eth0 --dhcp-timeout 1500 -d "$CS" $CRED $COMMON \
	-o "$W/c0" > "$W/ua-manual.out" 2>&1
is "no DHCP server, --domain given: fetched (§2.2.2)" $? 0
is "the domain came from --domain" "$(jp '$o->{source}' "$(ev "$W/ua-manual.out" dhcp)")" \
	"--domain"

# Malformed options: 141 with a pointer loop, 58 with a pointer (RFC
# 3315 §8 forbids compression there); 15 and 21 name the CS.
dnsmasq_start bad "$RANGES" "domain=$CS" \
	"dhcp-option=option6:sip-server-domain,$CS" \
	"dhcp-option=141,02:63:73:c0:00" "dhcp-option=option6:58,02:63:73:c0:00"
# shellcheck disable=SC2086
in_c "$UA" fetch --dhcp eth0 $CRED $COMMON -o "$W/c1" > "$W/ua-bad.out" 2>&1
is "malformed 141 and 58: still fetched (0)" $? 0
d=$(ev "$W/ua-bad.out" dhcp)
contains "option 141 refused as a pointer loop" "$(jp '$o->{v4}{error}' "$d")" \
	"option 141 refused: pointer loop at offset 3"
contains "option 58 refused: compression not allowed" "$(jp '$o->{v6}{error}' "$d")" \
	"option 58 refused: compression pointer at offset 3"
is "options 15 and 21 used instead" "$(jp '$o->{source}' "$d") $(jp '$o->{domains}' "$d")" \
	"15+21 $CS"
contains "dnsmasq really sent the malformed 141" "$(cat "$W/dnsmasq-bad.log")" \
	"option:141   02:63:73:c0:00"

# ---- Options 141 and 58 from `sipcfg dhcp`, a decoy option 15 and 21.
"$SIPCFG" dhcp --format dnsmasq "$CS" > "$W/dhcp-lines"
dnsmasq_start good "$RANGES" "domain=lan.s15.test" \
	"dhcp-option=option6:sip-server-domain,lan.s15.test" \
	"$(cat "$W/dhcp-lines")"
ok "dnsmasq's configuration holds exactly what sipcfg dhcp printed" \
	"$(grep -F -x -f "$W/dhcp-lines" "$W/dnsmasq-good.conf" | cmp -s - "$W/dhcp-lines"; echo $?)"
# shellcheck disable=SC2086
ip netns exec "$NS_C" "$UA" run --dhcp eth0 $CRED $COMMON --state "$W/state" \
	> "$W/ua-good.out" 2>&1 &
UPID=$!
PIDS="$PIDS $UPID"
wait_ev "$W/ua-good.out" notified 20
d=$(ev "$W/ua-good.out" dhcp)
is "DHCPv4 option 141: $CS" "$(jp '$o->{v4}{141}' "$d")" "$CS"
is "(option 15 came too)" "$(jp '$o->{v4}{15}' "$d")" lan.s15.test
is "DHCPv6 option 58: $CS" "$(jp '$o->{v6}{58}' "$d")" "$CS"
is "from the servers in the other namespace" \
	"$(jp '$o->{v4}{server}' "$d") $(jp '$o->{v6}{server}' "$d" | cut -c1-4)" \
	"10.15.0.1 fe80"
is "§2.2.1: only 141/58's domain, option 15/21 left out" \
	"$(jp '$o->{source}' "$d") $(jp '$o->{domains}' "$d")" "141+58 $CS"
contains "the octets on the wire were sipcfg dhcp's" "$(cat "$W/dnsmasq-good.log")" \
	"option:141   02:63:73:03:73:31:35:04:74:65:73:74:00"
dd=$(ev "$W/ua-good.out" discovered)
is "NAPTR: the base URL of $CS" "$(jp '$o->{domain}' "$dd") $(jp '$o->{urls}' "$dd")" \
	"$CS https://10.15.0.1/cfg"
f=$(ev "$W/ua-good.out" fetched)
is "fetched (200)" "$(jp '$o->{status}' "$f")" 200
ok "the configuration is alice's" "$(grep -q 'sip:alice@example.net' "$W/state/config"; echo $?)"
s=$(ev "$W/ua-good.out" subscribed)
is "subscribed (200)" "$(jp '$o->{status}' "$s")" 200
contains "to the sips: monitor URI beside it" "$(jp '$o->{uri}' "$s")" "@10.15.0.1:5061"
ok "and notified" "$([ "$(nev "$W/ua-good.out" notified)" -ge 1 ]; echo $?)"
kill -TERM "$UPID"; wait "$UPID"; rc=$?
is "run: SIGTERM, clean exit" "$rc" 0

# ---- Option 141 (and 58) absent: option 15 (and 21) name the CS.
dnsmasq_start fallback "$RANGES" "domain=$CS" \
	"dhcp-option=option6:sip-server-domain,$CS"
# shellcheck disable=SC2086
ip netns exec "$NS_C" "$UA" run --dhcp eth0 $CRED $COMMON --state "$W/state2" \
	> "$W/ua-fallback.out" 2>&1 &
UPID=$!
PIDS="$PIDS $UPID"
wait_ev "$W/ua-fallback.out" notified 20
d=$(ev "$W/ua-fallback.out" dhcp)
is "no option 141 in the answer" "$(jp '$o->{v4}{141}' "$d")" ""
is "option 15: $CS" "$(jp '$o->{v4}{15}' "$d")" "$CS"
is "§2.1.2: option 15 (and 21) used" \
	"$(jp '$o->{source}' "$d") $(jp '$o->{domains}' "$d")" "15+21 $CS"
is "NAPTR, then fetched (200)" "$(jp '$o->{status}' "$(ev "$W/ua-fallback.out" fetched)")" 200
is "subscribed (200)" "$(jp '$o->{status}' "$(ev "$W/ua-fallback.out" subscribed)")" 200
ok "the configuration is alice's" "$(grep -q 'sip:alice@example.net' "$W/state2/config"; echo $?)"
kill -TERM "$UPID"; wait "$UPID"; rc=$?
is "run: SIGTERM, clean exit" "$rc" 0
ok "sipcfgd still running" "$(kill -0 "$SPID"; echo $?)"
done_testing
