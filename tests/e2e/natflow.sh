#!/bin/sh
# natflow: NOTIFYs go where the subscriber is, whatever its Contact says
# (issue 12 of the tracker: NAT-safe delivery).  Over UDP to the address
# and port the SUBSCRIBE came from (RFC 3581); over TCP and TLS on the
# very connection it came on, kept open for the subscription (RFC 5923,
# RFC 5626 §5.3).  The subscribers (sipsub.pl, Perl's Net::SIP) give a
# Contact where nothing answers: a private address, as a phone behind a
# NAT writes, or a port of theirs with no socket.  A NOTIFY that arrives
# at all arrived by the flow.  Bad input first: a Contact that names a
# public address elsewhere is still refused; then the flows; then a
# connection that closes, which ends its subscription at the next NOTIFY.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
need perl; need_sql
perl -MNet::SIP -MIO::Socket::SSL -e1 2>/dev/null ||
	{ echo "1..0 # SKIP Perl Net::SIP / IO::Socket::SSL not installed"; exit 77; }
SIPSUB="$top_srcdir/tests/e2e/sipsub.pl"
TAB=$(printf '\t')

SUBPIDS=
ours() { { tr '\0' ' ' < "/proc/$1/cmdline"; } 2>/dev/null | grep -q sipsub.pl; }
trap 'for p in $SUBPIDS; do ours "$p" && kill "$p" 2>/dev/null; done
	if [ "$T_FAIL" -ne 0 ]; then for f in "$W"/*.out; do
		[ -f "$f" ] && sed "s|^|# ${f##*/}: |" "$f"; done; fi
	cleanup' EXIT
now() { date +%s.%N | cut -c1-14; }
fcmp() { awk "BEGIN { exit !($1) }"; }
fld() { printf '%s\n' "$2" | tr '\t' '\n' | sed -n "s/^$1=//p" | head -1; }
nth() { grep "^$2$TAB" "$W/$1.out" | sed -n "$3p"; }
count() { grep -c "^$2$TAB" "$W/$1.out"; }
wait_n() {	# wait_n NAME TYPE N [SECONDS]
	_end=$(awk "BEGIN { printf \"%.3f\", $(now) + ${4:-5} }")
	while [ "$(count "$1" "$2")" -lt "$3" ]; do
		fcmp "$(now) > $_end" && return 1
		sleep 0.05
	done
}
sub_bg() {	# sub_bg NAME ARGS...
	_n=$1; shift
	: > "$W/$_n.out"
	perl "$SIPSUB" subscribe --trace "$W/$_n.trace" "$@" \
		> "$W/$_n.out" 2>> "$W/$_n.err" &
	SPID=$!
	SUBPIDS="$SUBPIDS $SPID"
}
nsubs() { sc --json subs 2>/dev/null | grep -c '"device"'; }
wait_subs() {	# wait_subs N: until `sipcfg subs` has N rows (5 s)
	_end=$(awk "BEGIN { printf \"%.3f\", $(now) + 5 }")
	while [ "$(nsubs)" != "$1" ]; do
		fcmp "$(now) > $_end" && return 1
		sleep 0.05
	done
}

make_store
TOKEN=$(sql "SELECT token FROM monitors m JOIN devices d ON d.id = m.device_id WHERE d.sfua_id = '$DEV'")
P1=$(free_port); P2=$(free_port)
while [ "$P2" = "$P1" ]; do P2=$(free_port); done
DEAD=$(free_port)	# nothing listens there
start_daemon "sip_listen sip:127.0.0.1:$P1" "sip_listen sips:127.0.0.1:$P2" \
	"sip_host 127.0.0.1" "sub_min_expires 30" "access_log off"
SIPU="sip:$TOKEN@127.0.0.1:$P1"
SIPS="sips:$TOKEN@127.0.0.1:$P2"
UDP="--user alice --pass line-pw --from sip:alice@example.net"
TLS="--user alice --pass line-pw --from sips:alice@example.net
	--transport tls --cafile $CERT --cert $CERT --key $W/key.pem"

# ------------------------------------------------------------ bad input
# A public address elsewhere is somebody else: refused before credentials.
sub_bg pub --uri "$SIPU" $UDP --contact "sip:alice@192.0.2.9:5060" --timeout 5
wait_n pub END 1 6
is "UDP, Contact on a public address elsewhere: 403" \
	"$(fld code "$(nth pub RESPONSE 1)")" 403
is "and no NOTIFY" "$(count pub NOTIFY)" 0
sub_bg pubt --uri "$SIPU" $UDP --transport tcp \
	--contact "sip:alice@192.0.2.9:5060;transport=tcp" --timeout 5
wait_n pubt END 1 6
is "TCP, Contact on a public address elsewhere: 403" \
	"$(fld code "$(nth pubt RESPONSE 1)")" 403
ok "no subscription" "$(wait_subs 0; echo $?)"

# ------------------------------------------------------------ UDP
# Behind a NAT: the Contact names a private address nobody here has.
sub_bg un --uri "$SIPU" $UDP --contact "sip:alice@10.77.0.7:5060" \
	--expires 600 --timeout 40
UNPID=$SPID
ok "UDP, private Contact: a NOTIFY arrives" "$(wait_n un NOTIFY 1; echo $?)"
n=$(nth un NOTIFY 1)
is "at our own socket, from the notifier's port" "$(fld src "$n")" \
	"127.0.0.1:$P1"
is "its Request-URI is the Contact (RFC 3261 §12.2.1.1)" "$(fld ruri_ok "$n")" 1
is "Subscription-State active" "$(fld state "$n" | cut -d';' -f1)" active
# The Contact's port has no socket: the NOTIFY goes to the source port.
sub_bg ud --uri "$SIPU" $UDP --contact "sip:alice@127.0.0.1:$DEAD" \
	--expires 600 --timeout 40
UDPID=$SPID
ok "UDP, Contact on a port with no socket: a NOTIFY arrives" \
	"$(wait_n ud NOTIFY 1; echo $?)"

# ------------------------------------------------------------ TCP
sub_bg tn --uri "$SIPU" $UDP --transport tcp \
	--contact "sip:alice@10.77.0.7:5060;transport=tcp" --expires 600 \
	--timeout 40
TNPID=$SPID
ok "TCP, private Contact: a NOTIFY arrives" "$(wait_n tn NOTIFY 1; echo $?)"
n=$(nth tn NOTIFY 1)
is "over TCP" "$(fld proto "$n")" tcp
# Our end of the connection we opened is the notifier's listening port;
# a connection the notifier opened would come from a port of its own.
is "on the SUBSCRIBE's own connection" "$(fld src "$n")" "127.0.0.1:$P1"

# ------------------------------------------------------------ TLS
sub_bg sd --uri "$SIPS" $TLS --contact "sips:alice@127.0.0.1:$DEAD" \
	--expires 600 --timeout 40
ok "TLS, Contact on a port with no socket: a NOTIFY arrives" \
	"$(wait_n sd NOTIFY 1; echo $?)"
n=$(nth sd NOTIFY 1)
is "over TLS" "$(fld proto "$n")" tls
is "on the SUBSCRIBE's own connection" "$(fld src "$n")" "127.0.0.1:$P2"
ok "four subscriptions" "$(wait_subs 4; echo $?)"
contains "sipcfg subs shows the Contact as given" "$(sc --json subs)" \
	"sip:alice@10.77.0.7:5060;transport=tcp"

# ------------------------------------------------------------ a change
# The connections stay open for the subscriptions: a change later is
# delivered on them too.
sleep 1.1	# RFC 5989 §4.10: one NOTIFY a second
sc var set global ntp_server ntp-natflow.example.net >/dev/null
for s in un ud tn sd; do
	ok "$s: the change's NOTIFY arrives" "$(wait_n $s NOTIFY 2; echo $?)"
done
is "TCP: still the same connection" "$(fld src "$(nth tn NOTIFY 2)")" \
	"127.0.0.1:$P1"
is "TLS: still the same connection" "$(fld src "$(nth sd NOTIFY 2)")" \
	"127.0.0.1:$P2"
is "TCP: nothing was retransmitted (one NOTIFY per change)" \
	"$(count tn NOTIFY-DUP)" 0

# ------------------------------------------------------------ a flow ends
# The TCP subscriber goes away with its connection.  The notifier cannot
# open another to a Contact behind a NAT, so the next NOTIFY ends that
# subscription (RFC 5626 §5.3: the phone subscribes again on its new
# flow); the others are unharmed.
kill -9 "$TNPID" 2>/dev/null
sleep 1.1
sc var set global ntp_server ntp-natflow2.example.net >/dev/null
for s in un ud sd; do
	ok "$s: the next change's NOTIFY arrives" "$(wait_n $s NOTIFY 3; echo $?)"
done
ok "the closed flow's subscription is gone, three left" \
	"$(wait_subs 3; echo $?)"
alive
ok "daemon alive" $?

kill "$UNPID" "$UDPID" 2>/dev/null
done_testing
