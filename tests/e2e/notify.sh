#!/bin/sh
# notify: the SIP notifier (RFC 5989 http-monitor subscriptions, RFC 6665)
# against a SIP peer that is not our code: tests/e2e/sipsub.pl, a small
# subscriber on Perl's Net::SIP.  The monitor Link; bad input first (489,
# 404, 406, 423, 401); then over UDP: subscribe, the immediate NOTIFY, a
# change, a change that leaves the bytes alone, coalescing, `sipcfg subs`,
# `sipcfg notify`, a change made with the store's shell (sqlite3 or
# psql), what each kind of change touches (a second device: its
# variables, user, profile and lines),
# refresh, unsubscribe, fetch,
# sub_max_expires; TLS (with a challenged refresh), TCP (with an
# unsubscribe that carries no credentials); NOTIFYs answered 489 and
# 481; a deleted device; then a second daemon (sub_min_expires 1,
# notify_body yes): expiry, SIGTERM; a third (sips: only, notify_body
# yes, which a sip: listener would refuse): body=true over TLS.  Every SIP message is in $W/NAME.trace (KEEP=1 keeps $W).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
need perl; need_sql
perl -MNet::SIP -MIO::Socket::SSL -e1 2>/dev/null ||
	{ echo "1..0 # SKIP Perl Net::SIP / IO::Socket::SSL not installed"; exit 77; }
SIPSUB="$top_srcdir/tests/e2e/sipsub.pl"
A="--digest -u alice:$PW"
TAB=$(printf '\t')

# Subscribers run in the background; they end by themselves (--timeout),
# but not later than the test.
SUBPIDS=
# Only ours: a finished subscriber's pid may belong to anyone by now.
ours() { { tr '\0' ' ' < "/proc/$1/cmdline"; } 2>/dev/null | grep -q sipsub.pl; }
trap 'for p in $SUBPIDS; do ours "$p" && kill "$p" 2>/dev/null; done
	if [ "$T_FAIL" -ne 0 ]; then for f in "$W"/*.out; do
		[ -f "$f" ] && sed "s|^|# ${f##*/}: |" "$f"; done; fi
	cleanup' EXIT

now() { date +%s.%N | cut -c1-14; }
fcmp() { awk "BEGIN { exit !($1) }"; }		# fcmp "1.5 > 1"
# fld NAME LINE: a field of a sipsub.pl output line.
fld() { printf '%s\n' "$2" | tr '\t' '\n' | sed -n "s/^$1=//p" | head -1; }
# nth NAME TYPE N: the Nth line of TYPE (NOTIFY, RESPONSE, END...) of a
# subscriber; N = '$' for the last one.
nth() { grep "^$2$TAB" "$W/$1.out" | sed -n "$3p"; }
count() { grep -c "^$2$TAB" "$W/$1.out"; }
# vals NAME TYPE FIELD [FROM]: FIELD of the subscriber's TYPE lines (from
# the FROMth on), each followed by a space.
vals() {
	grep "^$2$TAB" "$W/$1.out" | sed -n "${4:-1},\$p" |
	while IFS= read -r _l; do printf '%s ' "$(fld "$3" "$_l")"; done
}
# wait_n NAME TYPE N [SECONDS]: until the subscriber printed N lines of TYPE.
wait_n() {
	_end=$(awk "BEGIN { printf \"%.3f\", $(now) + ${4:-5} }")
	while [ "$(count "$1" "$2")" -lt "$3" ]; do
		fcmp "$(now) > $_end" && return 1
		sleep 0.05
	done
	return 0
}
# wait_code NAME CODE N [SECONDS]: until N responses with that code came
# (a NOTIFY may overtake the 200 that it follows).
wait_code() {
	_end=$(awk "BEGIN { printf \"%.3f\", $(now) + ${4:-3} }")
	while [ "$(grep -c "^RESPONSE${TAB}code=$2$TAB" "$W/$1.out")" -lt "$3" ]; do
		fcmp "$(now) > $_end" && return 1
		sleep 0.05
	done
	return 0
}
# quiet NAME SECONDS: let SECONDS pass since the subscriber's last NOTIFY
# (the notifier sends at most one NOTIFY a second per subscription).
quiet() {
	_t=$(fld t "$(nth "$1" NOTIFY '$')")
	[ -n "$_t" ] || return 0
	_d=$(awk "BEGIN { d = $_t + $2 - $(now); printf \"%.3f\", (d > 0 ? d : 0) }")
	sleep "$_d"
}
# sub_bg NAME ARGS...: a subscriber in the background, output in $W/NAME.out
sub_bg() {
	_n=$1; shift
	: > "$W/$_n.out"
	perl "$SIPSUB" subscribe --trace "$W/$_n.trace" "$@" \
		> "$W/$_n.out" 2>> "$W/$_n.err" &
	SPID=$!
	SUBPIDS="$SUBPIDS $SPID"
}
# sub_fg NAME ARGS...: a subscriber run to its end (output in $W/NAME.out).
sub_fg() {
	_n=$1; shift
	perl "$SIPSUB" subscribe --trace "$W/$_n.trace" --timeout 5 "$@" \
		> "$W/$_n.out" 2>> "$W/$_n.err"
}
UDP="--user alice --pass line-pw --from sip:alice@example.net"
TLS="--user alice --pass line-pw --from sips:alice@example.net
	--transport tls --cafile $CERT --cert $CERT --key $W/key.pem"
etag() { c -o "$W/body" -D "$W/h" $A "$BASE?$Q" && hdr ETag "$W/h"; }
# subs_q PERL: PERL run with $s = the decoded `sipcfg --json subs` array.
subs_q() { sc --json subs 2>/dev/null | tee "$W/subs.json" |
	perl -MJSON::PP -0777 -ne 'my $s = decode_json($_); '"$1" 2>/dev/null; }
nsubs() { subs_q 'print scalar @$s'; }
wait_subs() {	# wait_subs N: until `sipcfg subs` has N rows (2 s)
	_end=$(awk "BEGIN { printf \"%.3f\", $(now) + 2 }")
	while [ "$(nsubs)" != "$1" ]; do
		fcmp "$(now) > $_end" && return 1
		sleep 0.05
	done
	return 0
}
# subs_row TRANSPORT: that subscription's row as NAME=VALUE fields.
subs_row() { subs_q 'my ($r) = grep { $_->{transport} eq "'"$1"'" } @$s;
	print join "\t", map { "$_=" . ($r->{$_} // "") }
	    qw(device uri transport source expires last_notify last_etag)'; }
noq() { printf '%s' "$1" | tr -d '"'; }
# monitor_links: read the Link headers of a GET into SIPS, SIPU, TOKEN.
monitor_links() {
	E=$(etag)
	links=$(last "$W/h" | grep -i '^link:' | tr -d '\r')
	SIPS=$(printf '%s\n' "$links" | grep -o '<sips:[^>]*>[^,]*' |
		grep 'rel="\{0,1\}monitor' | sed 's/^<\([^>]*\)>.*/\1/' | head -1)
	SIPU=$(printf '%s\n' "$links" | grep -o '<sip:[^>]*>[^,]*' |
		grep 'rel="\{0,1\}monitor' | sed 's/^<\([^>]*\)>.*/\1/' | head -1)
	TOKEN=$(printf '%s' "$SIPS" | sed -n 's/^sips:\([^@]*\)@.*/\1/p')
}

make_store
P1=$(free_port); P2=$(free_port)
while [ "$P2" = "$P1" ]; do P2=$(free_port); done
start_daemon "sip_listen sip:127.0.0.1:$P1" "sip_listen sips:127.0.0.1:$P2" \
	"sip_host 127.0.0.1" "sub_min_expires 30"

# ------------------------------------------------------------ start-up
out=$(cat "$W/daemon.out")
for l in "sip udp 127.0.0.1:$P1" "sip tcp 127.0.0.1:$P1" "sip tls 127.0.0.1:$P2"; do
	contains "start-up line 'sipcfgd: $l'" "$out" "sipcfgd: $l"
done
is "the ready line comes last" "$(tail -1 "$W/daemon.out" | cut -d' ' -f2)" ready

# ------------------------------------------------------------ the Link
monitor_links
E0=$E
# Line 1's realm as the device gets it (sipcfg line add defaults it to
# the AoR's domain, so it is not the store realm).
REALM1=$(sed -n 's|.*<realm>\(.*\)</realm>.*|\1|p' "$W/body" | head -1)
is "sanity: line 1's realm in the store = in the config" "$REALM1" \
	"$(sql "SELECT realm FROM lines WHERE position = 1")"
is "GET: 200" "$(code "$W/h")" 200
ok "GET: an ETag" "$([ -n "$E0" ]; echo $?)"
ok "Link: sips monitor URI, 32-hex token ($SIPS)" \
	"$(printf '%s' "$SIPS" | grep -Eqx "sips:[0-9a-f]{32}@127\.0\.0\.1:$P2"; echo $?)"
is "Link: sip monitor URI with the same token" "$SIPU" "sip:$TOKEN@127.0.0.1:$P1"
is "the token is the device's row in monitors" \
	"$(sql "SELECT m.token FROM monitors m JOIN devices d
		ON d.id = m.device_id WHERE d.sfua_id = '$DEV' AND m.resource = 'config'")" "$TOKEN"
c -o /dev/null -D "$W/h304" $A -H "If-None-Match: $E0" "$BASE?$Q"
is "304 for If-None-Match" "$(code "$W/h304")" 304
contains "the 304 has the Link too" "$(last "$W/h304" | grep -i '^link:')" "<$SIPS>"
sc device set "$DEV" --notify poll >/dev/null
c -o /dev/null -D "$W/hpoll" $A "$BASE?$Q"
is "polling mode (device --notify poll): 200" "$(code "$W/hpoll")" 200
is "polling mode: no Link" "$(last "$W/hpoll" | grep -ci '^link:')" 0
sc device set "$DEV" --notify inherit >/dev/null
monitor_links
is "--notify inherit: the Link is back" "$SIPS" "sips:$TOKEN@127.0.0.1:$P2"
E0=$E

# ------------------------------------------------------------ bad input
BOGUS=sip:0123456789abcdef0123456789abcdef@127.0.0.1:$P1
sub_fg e489 --uri "$SIPU" --event presence $UDP
r=$(nth e489 RESPONSE 1)
is "Event: presence -> 489" "$(fld code "$r")" 489
contains "489 has Allow-Events: http-monitor" "$(fld allow_events "$r")" http-monitor
is "489 is the only response (no challenge first)" "$(count e489 RESPONSE)" 1
sub_fg e489b --uri "$SIPU" --no-event $UDP
is "no Event header -> 489" "$(fld code "$(nth e489b RESPONSE 1)")" 489
sub_fg e489c --uri "$BOGUS" --event presence $UDP
is "Event checked before the token: unknown token + bad Event -> 489" \
	"$(fld code "$(nth e489c RESPONSE 1)")" 489
sub_fg e404 --uri "$BOGUS" $UDP
is "unknown token -> 404" "$(fld code "$(nth e404 RESPONSE 1)")" 404
# RFC 5989 §6: the sips: monitor URI is for TLS only.
sub_fg e416 --uri "sips:$TOKEN@127.0.0.1:$P1" --transport udp $UDP
is "sips: URI over UDP -> 416" "$(fld code "$(nth e416 RESPONSE 1)")" 416
is "404 is the only response" "$(count e404 RESPONSE)" 1
sub_fg e406 --uri "$SIPU" --accept "application/pidf+xml" $UDP
r=$(nth e406 RESPONSE 1)
is "Accept without message/http -> 406" "$(fld code "$r")" 406
contains "406 has Accept: message/http" "$(fld accept "$r")" message/http
sub_fg e423 --uri "$SIPU" --expires 5 --accept "application/xml, message/*" $UDP
r=$(nth e423 RESPONSE 1)
is "Expires 5 < sub_min_expires 30 -> 423 (Accept message/* passed)" "$(fld code "$r")" 423
is "423 has Min-Expires: 30" "$(fld min_expires "$r")" 30
sub_fg e401 --uri "$SIPU" --user alice --pass wrong-pw --accept "*/*"
r1=$(nth e401 RESPONSE 1); r2=$(nth e401 RESPONSE 2)
is "no credentials -> 401" "$(fld code "$r1")" 401
is "wrong password -> 401 again" "$(fld code "$r2")" 401
is "the subscriber gave up after the second 401" "$(fld reason "$(nth e401 END 1)")" final
is "never 407" "$(grep -c 'code=407' "$W/e401.out")" 0
ok "no Proxy-Authenticate" "$(grep -q 'proxy_auth=' "$W/e401.out" && echo 1 || echo 0)"
is "challenge realm is line 1's" "$(fld realm "$r1")" "$REALM1"
is "challenge qop=auth" "$(fld qop "$r1")" auth
is "challenge algorithm=MD5" "$(fld algorithm "$r1")" MD5
ok "challenge has an opaque" "$([ -n "$(fld opaque "$r1")" ]; echo $?)"
ok "the second 401 is a fresh challenge (new nonce)" \
	"$([ -n "$(fld nonce "$r2")" ] && [ "$(fld nonce "$r2")" != "$(fld nonce "$r1")" ]; echo $?)"
sub_fg e401u --uri "$SIPU" --user bob --pass line-pw
is "user that is no line of the device -> 401, 401" \
	"$(vals e401u RESPONSE code)" "401 401 "
is "no subscription from all that" "$(nsubs)" 0

# ------------------------------------------------------------ UDP: subscribe
sub_bg u --uri "$SIPU" $UDP --expires 600 --timeout 55
UPID=$SPID
wait_n u NOTIFY 1
wait_code u 200 1
r1=$(nth u RESPONSE 1); r2=$(nth u RESPONSE 2)
is "SUBSCRIBE: 401 first" "$(fld code "$r1")" 401
is "SUBSCRIBE with Digest: 200" "$(fld code "$r2")" 200
x=$(fld expires "$r2")
ok "200 Expires $x <= 600 asked" "$([ -n "$x" ] && [ "$x" -gt 0 ] && [ "$x" -le 600 ]; echo $?)"
ok "200 has a Contact" "$([ -n "$(fld contact "$r2")" ]; echo $?)"
n=$(nth u NOTIFY 1)
is "immediate NOTIFY: Event" "$(fld event "$n")" http-monitor
st=$(fld state "$n")
x=$(printf '%s' "$st" | sed -n 's/^active;expires=\([0-9]*\)$/\1/p')
ok "Subscription-State active;expires=N, N <= 600 ($st)" \
	"$([ -n "$x" ] && [ "$x" -gt 0 ] && [ "$x" -le 600 ]; echo $?)"
is "Content-Type message/http" "$(fld ctype "$n")" message/http
is "body status line" "$(fld http "$n")" "HTTP/1.1 200 OK"
is "body ETag = the GET's ETag" "$(fld etag "$n")" "$E0"
# RFC 3986 §3.4: ':' may stay as it is in a query, as UAs send it.
ok "body Content-Location https://HOST:PORT/cfg?sfua-id=<urn> ($(fld cloc "$n"))" \
	"$(printf '%s' "$(fld cloc "$n")" | grep -qix "https://[^/]*/cfg?sfua-id=$DEV"; echo $?)"
ok "body Last-Modified present" "$([ -n "$(fld lastmod "$n")" ]; echo $?)"
contains "body Cache-Control private, max-age" "$(fld cache_control "$n")" "private"
is "body Content-Type application/xml" "$(fld inner_ctype "$n")" application/xml
c -o "$W/body0" $A "$BASE?$Q"
is "body Content-Length = the GET's body size" "$(fld inner_clen "$n")" "$(wc -c < "$W/body0" | tr -d ' ')"
is "no configuration in the body (headers only)" "$(fld inner_body "$n")" 0
is "NOTIFY in the dialog (Call-ID, tags)" "$(fld dialog "$n")" ok
is "NOTIFY Request-URI = our Contact" "$(fld ruri_ok "$n")" 1
ok "NOTIFY has a Contact" "$([ -n "$(fld contact "$n")" ]; echo $?)"
is "NOTIFY Content-Length matches" "$(fld clen_ok "$n")" 1
contains "NOTIFY over UDP" "$(fld via "$n")" "SIP/2.0/UDP"

# ------------------------------------------------------------ sipcfg subs
wait_subs 1
is "sipcfg subs: one subscription" "$(nsubs)" 1
row=$(subs_row udp)
is "subs: device" "$(fld device "$row")" "$DEV"
is "subs: uri" "$(fld uri "$row")" "$SIPU"
is "subs: transport" "$(fld transport "$row")" udp
is "subs: source = the subscriber's address" "$(fld source "$row")" \
	"$(fld local "$(nth u START 1)")"
t=$(date +%s); x=$(fld expires "$row")
ok "subs: expires ~ now + 600 ($x)" \
	"$([ -n "$x" ] && [ "$x" -gt $((t + 500)) ] && [ "$x" -le $((t + 601)) ]; echo $?)"
x=$(fld last_notify "$row")
ok "subs: last_notify ~ now ($x)" \
	"$([ -n "$x" ] && [ "$x" -ge $((t - 10)) ] && [ "$x" -le $((t + 1)) ]; echo $?)"
is "subs: last_etag" "$(noq "$(fld last_etag "$row")")" "$(noq "$E0")"
out=$(sc subs)
contains "sipcfg subs (text) shows the device" "$out" "$DEV"
contains "sipcfg subs (text) shows the transport" "$out" udp
contains "sipcfg subs DEV works too" "$(sc subs "$DEV")" "$SIPU"

# ------------------------------------------------------------ a change
quiet u 1.1
t0=$(now)
sc var set global ntp_server ntp9.example.net >/dev/null
wait_n u NOTIFY 2 3
E1=$(etag)
n=$(nth u NOTIFY 2)
ok "the change gives a new ETag" "$([ -n "$E1" ] && [ "$E1" != "$E0" ]; echo $?)"
is "NOTIFY after sipcfg var set: ETag = new GET's" "$(fld etag "$n")" "$E1"
d=$(awk "BEGIN { printf \"%.3f\", $(fld t "$n") - $t0 }")
ok "NOTIFY came soon after the change (${d} s < 0.5 s)" "$(fcmp "$d < 0.5"; echo $?)"
is "state still active" "$(fld state "$n" | cut -d';' -f1)" active

# A change that leaves these bytes alone gives no NOTIFY.
sc var set vendor other.example.com x 1 >/dev/null
is "another vendor's variable keeps the ETag" "$(etag)" "$E1"
wait_n u NOTIFY 3 2
is "no NOTIFY within 2 s for it" "$(count u NOTIFY)" 2

# ------------------------------------------------------------ coalescing
# Change A gives a NOTIFY at once; changes B and C right after it fall in
# its one-second window and give one NOTIFY, at the window's end, with C's
# ETag: nothing lost, nothing extra.
sc var set global ntp_server ntp10.example.net >/dev/null
wait_n u NOTIFY 3 2
EA=$(etag)
t3=$(fld t "$(nth u NOTIFY 3)")
sc var set global timezone Europe/Berlin >/dev/null
sc var set global ntp_server ntp11.example.net >/dev/null
tc=$(now)
EC=$(etag)
is "change A: NOTIFY with its ETag" "$(fld etag "$(nth u NOTIFY 3)")" "$EA"
ok "changes B and C made inside A's window ($(awk "BEGIN { printf \"%.3f\", $tc - $t3 }") s)" \
	"$(fcmp "$tc - $t3 < 0.8"; echo $?)"
wait_n u NOTIFY 4 3
n=$(nth u NOTIFY 4)
d=$(awk "BEGIN { printf \"%.3f\", $(fld t "$n") - $t3 }")
ok "one NOTIFY in the window: the next one ${d} s later (>= 0.9 s)" "$(fcmp "$d >= 0.9"; echo $?)"
ok "and it comes when the window ends (${d} s < 1.6 s)" "$(fcmp "$d < 1.6"; echo $?)"
is "it carries the latest ETag (change C)" "$(fld etag "$n")" "$EC"
wait_n u NOTIFY 5 1.5
is "no further NOTIFY for change B" "$(count u NOTIFY)" 4

# ------------------------------------------------------------ sipcfg notify
sc notify "$DEV" >/dev/null
wait_n u NOTIFY 5 3
n=$(nth u NOTIFY 5)
is "sipcfg notify DEV: a NOTIFY" "$(count u NOTIFY)" 5
is "with the same ETag" "$(fld etag "$n")" "$EC"
is "still active" "$(fld state "$n" | cut -d';' -f1)" active
row=$(subs_row udp)
is "subs: last_etag follows" "$(noq "$(fld last_etag "$row")")" "$(noq "$EC")"
sc notify --all >/dev/null
wait_n u NOTIFY 6 3
is "sipcfg notify --all: a NOTIFY" "$(fld etag "$(nth u NOTIFY 6)")" "$EC"

# ------------------------------------------- the store's shell (sqlite3, psql)
quiet u 1.1
sql "UPDATE lines SET display_name = 'Changed by shell' WHERE position = 1"
wait_n u NOTIFY 7 3
ES=$(etag)
contains "sanity: the GET shows the shell's change" "$(cat "$W/body")" "Changed by shell"
is "store shell change: NOTIFY with the new ETag" "$(fld etag "$(nth u NOTIFY 7)")" "$ES"

# ------------------------------------------------------------ what a change touches
# A second device (user bob, profile lab) and its own subscriber: changes
# to its device variables, its user's and its profile's variables, its
# lines and its user each reach it (when its bytes change) and never the
# first device's subscriber.
DEV2=urn:uuid:00000000-0000-1000-8000-0011223344aa
printf 'bob-pw\n' | sc user add bob >/dev/null
sc device add "$DEV2" --vendor examplecorp.com --model HypoComm --user bob \
	--profile lab >/dev/null
printf 'bob-line\n' | sc line add "$DEV2" --aor sip:bob@example.net \
	--username bob >/dev/null
TOK2=$(sql "SELECT token FROM monitors m JOIN devices d ON d.id = m.device_id WHERE d.sfua_id = '$DEV2'")
Q2="sfua-id=$DEV2&sfua-user=bob&sfua-vendor=examplecorp.com&sfua-model=HypoComm"
BOBPW=bob-pw
etag2() { c -o "$W/body2" -D "$W/h2" --digest -u "bob:$BOBPW" "$BASE?$Q2" && hdr ETag "$W/h2"; }
sub_bg k --uri "sip:$TOK2@127.0.0.1:$P1" --user bob --pass bob-line \
	--from sip:bob@example.net --expires 600 --timeout 40
KPID=$SPID
wait_n k NOTIFY 1
is "second device: first NOTIFY carries its GET's ETag" \
	"$(fld etag "$(nth k NOTIFY 1)")" "$(etag2)"
nu=$(count u NOTIFY)
kn=1
touches() {	# touches DESCRIPTION COMMAND...: one more NOTIFY, the new ETag
	_desc=$1; shift
	quiet k 1.1
	"$@" >/dev/null 2>&1 </dev/null
	kn=$((kn + 1))
	wait_n k NOTIFY $kn 3
	is "$_desc: a NOTIFY with the new ETag" "$(fld etag "$(nth k NOTIFY $kn)")" "$(etag2)"
}
touches "device variable" sc var set device "$DEV2" ntp_server ntp.dev2.example
touches "profile variable" sc var set profile lab timezone Europe/Paris
touches "user variable (over the profile's)" sc var set user bob timezone Asia/Tokyo
# A deleted variable has no row left: the change log's hint still finds
# the user's devices.
touches "user variable unset (the profile's again)" sc var unset user bob timezone
touches "line added" sh -c "printf 'l2\n' | $SIPCFG -d '$STORE' line add $DEV2 --aor sip:bob2@example.net --username bob2"
touches "line removed" sc line rm "$DEV2" 2
# RFC 6011 §5 rotation: the configuration hands the phone its new
# password, but only to a request made with it: an answer to the old one
# (still good during the overlap) never carries the new one.
BOBPW=bob-pw2
touches "password change" sh -c "printf 'bob-pw2\n' | $SIPCFG -d '$STORE' user passwd bob"
nothing() {	# nothing DESCRIPTION COMMAND...: same bytes, no NOTIFY
	_desc=$1; shift
	quiet k 1.1
	"$@" >/dev/null 2>&1 </dev/null
	wait_n k NOTIFY $((kn + 1)) 1.5
	is "$_desc: no NOTIFY" "$(count k NOTIFY)" $kn
}
nothing "device label (not in the template)" sc device set "$DEV2" --label "second phone"
nothing "another vendor's variable" sc var set vendor other.example.com ntp_server x
is "none of that reached the first device" "$(count u NOTIFY)" "$nu"
# Switched to polling mode: its subscription ends (RFC 6011 §2.5.1.2),
# and the GET that follows has no Link.
quiet k 1.1
sc device set "$DEV2" --notify poll >/dev/null
wait_n k NOTIFY $((kn + 1)) 3
is "polling mode: the subscription ends, reason rejected" \
	"$(fld state "$(nth k NOTIFY '$')")" "terminated;reason=rejected"
wait_n k END 1 3
ok "second device: no subscription left" "$(wait_subs 1; echo $?)"
c -o /dev/null -D "$W/h2" --digest -u bob:bob-pw2 "$BASE?$Q2"
is "and its GET has no Link" "$(hdr Link "$W/h2")" ""

# ------------------------------------------------------------ refresh
nr=$(count u RESPONSE)
kill -USR2 "$UPID"
wait_n u NOTIFY 8 3
wait_code u 200 2
r=$(nth u RESPONSE '$')
is "refresh: 200 (after $(($(count u RESPONSE) - nr - 1)) challenge(s))" "$(fld code "$r")" 200
x=$(fld expires "$r")
ok "refresh: Expires $x <= 600" "$([ -n "$x" ] && [ "$x" -gt 0 ] && [ "$x" -le 600 ]; echo $?)"
n=$(nth u NOTIFY 8)
is "refresh: NOTIFY active" "$(fld state "$n" | cut -d';' -f1)" active
is "refresh: same ETag" "$(fld etag "$n")" "$ES"
is "refresh: same dialog" "$(fld dialog "$n")" ok
is "refresh: still one subscription" "$(nsubs)" 1

# ------------------------------------------------------------ unsubscribe
kill -USR1 "$UPID"
wait_n u END 1 3
wait_code u 200 3
r=$(nth u RESPONSE '$')
is "Expires: 0 -> 200" "$(fld code "$r")" 200
n=$(nth u NOTIFY '$')
is "then NOTIFY terminated;reason=timeout" "$(fld state "$n")" "terminated;reason=timeout"
is "with the current ETag" "$(fld etag "$n")" "$ES"
is "subscriber saw the end" "$(fld reason "$(nth u END 1)")" terminated
ok "sipcfg subs: empty after unsubscribe" "$(wait_subs 0; echo $?)"

# RFC 6665 4.4.3: a new SUBSCRIBE with Expires: 0 is a fetch.
sub_fg f --uri "$SIPU" $UDP --expires 0
is "fetch: 200" "$(fld code "$(nth f RESPONSE '$')")" 200
n=$(nth f NOTIFY 1)
is "fetch: NOTIFY terminated;reason=timeout" "$(fld state "$n")" "terminated;reason=timeout"
is "fetch: with the current ETag" "$(fld etag "$n")" "$ES"
ok "fetch: leaves no subscription" "$(wait_subs 0; echo $?)"

# sub_max_expires (3600 by default) bounds the Expires asked for, and is
# what a SUBSCRIBE without Expires gets; body=true is not honoured with
# notify_body no (the default).
for m in "--expires 7200" "--no-expires"; do
	k=m$(printf '%s' "$m" | tr -dc 'a-z0-9')
	sub_bg $k --uri "$SIPU" $UDP $m --event "http-monitor;body=true" --timeout 10
	wait_n $k NOTIFY 1
	wait_code $k 200 1
	is "$m: 200 Expires 3600" "$(fld expires "$(nth $k RESPONSE '$')")" 3600
	n=$(nth $k NOTIFY 1)
	is "$m: NOTIFY active;expires=3600" "$(fld state "$n")" "active;expires=3600"
	is "$m: body=true with notify_body no: still no body" "$(fld inner_body "$n")" 0
	kill -USR1 "$SPID"
	wait_n $k END 1 3
	is "$m: unsubscribed" "$(fld reason "$(nth $k END 1)")" terminated
	ok "$m: sipcfg subs empty again" "$(wait_subs 0; echo $?)"
done

# ------------------------------------------------------------ TLS
sub_bg t --uri "$SIPS" $TLS --expires 600 --timeout 30 --challenged \
	--answer-delay 0.03
TPID=$SPID
wait_n t NOTIFY 1
wait_code t 200 1
s=$(nth t START 1)
contains "our Contact is sips:" "$(fld contact "$s")" "<sips:"
contains "our Via is TLS" "$(grep -m1 '^Via:' "$W/t.trace")" "SIP/2.0/TLS"
r=$(nth t RESPONSE '$')
is "TLS: 200" "$(fld code "$r")" 200
contains "TLS: the 200's Contact is sips:" "$(fld contact "$r")" "sips:"
n=$(nth t NOTIFY 1)
is "TLS: NOTIFY came over TLS" "$(fld proto "$n")" tls
contains "TLS: NOTIFY Via is TLS" "$(fld via "$n")" "SIP/2.0/TLS"
contains "TLS: NOTIFY Contact is sips:" "$(fld contact "$n")" "sips:"
is "TLS: NOTIFY ETag" "$(fld etag "$n")" "$ES"
is "TLS: NOTIFY active" "$(fld state "$n" | cut -d';' -f1)" active
is "TLS: Request-URI = our sips Contact" "$(fld ruri_ok "$n")" 1
wait_subs 1
row=$(subs_row tls)
is "subs: transport tls" "$(fld transport "$row")" tls
is "subs: the sips uri" "$(fld uri "$row")" "$SIPS"
quiet t 1.1
sc var set global ntp_server ntp12.example.net >/dev/null
wait_n t NOTIFY 2 3
ET=$(etag)
n=$(nth t NOTIFY 2)
is "TLS: NOTIFY after a change, new ETag" "$(fld etag "$n")" "$ET"
is "TLS: that one over TLS too" "$(fld proto "$n")" tls
# In-dialog requests without credentials first (--challenged) and NOTIFYs
# answered 30 ms late, as over a real network: a refresh is challenged,
# then authenticated, and the subscription lives on with its full time.
quiet t 1.1
nr=$(count t RESPONSE)
kill -USR2 "$TPID"
wait_code t 200 2
wait_n t END 1 0.5	# whatever the refresh brings has come by then
is "challenged refresh: 401, then 200" \
	"$(vals t RESPONSE code $((nr + 1)))" "401 200 "
n=$(nth t NOTIFY '$')
is "challenged refresh: the last NOTIFY is active" "$(fld state "$n" | cut -d';' -f1)" active
x=$(fld state "$n" | sed -n 's/.*expires=\([0-9]*\).*/\1/p')
ok "challenged refresh: expires=$x, the full 600 s again" \
	"$([ -n "$x" ] && [ "$x" -ge 595 ] && [ "$x" -le 600 ]; echo $?)"
is "challenged refresh: the subscription was not ended" "$(count t END)" 0
row=$(subs_row tls)
t=$(date +%s); x=$(fld expires "$row")
ok "challenged refresh: subs expires ~ now + 600 ($x)" \
	"$([ -n "$x" ] && [ "$x" -gt $((t + 590)) ] && [ "$x" -le $((t + 601)) ]; echo $?)"
kill -USR1 "$TPID" 2>/dev/null
wait_n t END 1 3
is "TLS: NOTIFY terminated" "$(fld state "$(nth t NOTIFY '$')" | cut -d';' -f1)" terminated
ok "sipcfg subs: empty again" "$(wait_subs 0; echo $?)"

# ------------------------------------------------------------ TCP
# sip: without transport= is UDP and TCP.  An unsubscribe in the dialog
# is accepted without a challenge (RFC 6665 §4.2.1.4; only who knows the
# dialog's Call-ID and both tags can send one).
sub_bg p --uri "$SIPU" $UDP --transport tcp --expires 600 --challenged \
	--timeout 30
PPID_=$SPID
wait_n p NOTIFY 1
wait_code p 200 1
n=$(nth p NOTIFY 1)
is "TCP: NOTIFY came over TCP" "$(fld proto "$n")" tcp
contains "TCP: NOTIFY Via is TCP" "$(fld via "$n")" "SIP/2.0/TCP"
is "TCP: NOTIFY ETag" "$(fld etag "$n")" "$ET"
is "TCP: Request-URI = our Contact" "$(fld ruri_ok "$n")" 1
wait_subs 1
is "subs: transport tcp" "$(fld transport "$(subs_row tcp)")" tcp
nr=$(count p RESPONSE); nn=$(count p NOTIFY)
kill -USR1 "$PPID_"
wait_n p END 1 3
is "unsubscribe without credentials: 200 at once" \
	"$(vals p RESPONSE code $((nr + 1)))" "200 "
is "unsubscribe: then one NOTIFY, terminated;reason=timeout" \
	"$(vals p NOTIFY state $((nn + 1)))" "terminated;reason=timeout "
ok "sipcfg subs: empty" "$(wait_subs 0; echo $?)"

# ------------------------------------------------------------ 489
# A NOTIFY answered 489 (one of the codes of RFC 6665 4.2.2) ends the
# subscription too.
sub_bg q --uri "$SIPU" $UDP --expires 600 --answer-notify 200,489 --timeout 30
wait_n q NOTIFY 1
ok "489 case: subscription listed" "$(wait_subs 1; echo $?)"
sc notify "$DEV" >/dev/null
wait_n q NOTIFY 2 3
is "489 case: next NOTIFY answered 489" "$(fld answer "$(nth q NOTIFY 2)")" 489
ok "NOTIFY answered 489 drops the subscription" "$(wait_subs 0; echo $?)"

# ------------------------------------------------------------ 481
sub_bg x --uri "$SIPU" $UDP --expires 600 --answer-notify 200,481 --timeout 30
wait_n x NOTIFY 1
is "481 case: first NOTIFY answered 200" "$(fld answer "$(nth x NOTIFY 1)")" 200
ok "481 case: subscription listed" "$(wait_subs 1; echo $?)"
sc notify "$DEV" >/dev/null
wait_n x NOTIFY 2 3
is "481 case: next NOTIFY answered 481" "$(fld answer "$(nth x NOTIFY 2)")" 481
ok "NOTIFY answered 481 drops the subscription (sipcfg subs empty)" "$(wait_subs 0; echo $?)"
sc var set global ntp_server ntp13.example.net >/dev/null
wait_n x NOTIFY 3 2
is "no NOTIFY after the 481" "$(count x NOTIFY)" 2
E481=$(etag)

# ------------------------------------------------------------ device deleted
sub_bg d --uri "$SIPU" $UDP --expires 600 --timeout 30
wait_n d NOTIFY 1
is "before rm: NOTIFY with the ETag" "$(fld etag "$(nth d NOTIFY 1)")" "$E481"
sc device rm "$DEV" >/dev/null
wait_n d NOTIFY 2 3
n=$(nth d NOTIFY 2)
is "device rm: body 404" "$(fld http "$n")" "HTTP/1.1 404 Not Found"
ok "device rm: Content-Location still there" "$([ -n "$(fld cloc "$n")" ]; echo $?)"
is "device rm: terminated;reason=noresource" "$(fld state "$n")" "terminated;reason=noresource"
wait_n d END 1 2
ok "device rm: no subscription left" "$(wait_subs 0; echo $?)"
sub_fg gone --uri "$SIPU" $UDP
is "device rm: its monitor URI is now 404" "$(fld code "$(nth gone RESPONSE 1)")" 404

# The device again (a new row, so a new token).
sc device add "$DEV" --vendor examplecorp.com --model HypoComm --user alice >/dev/null &&
printf '%s\n' "line-pw" | sc line add "$DEV" --aor sip:alice@example.net \
	--username alice --proxy sip:proxy.example.net >/dev/null
stop_daemon
ok "daemon A stops cleanly" $?
cp "$W/daemon.err" "$W/daemonA.err"

# ------------------------------------------------------------ expiry, SIGTERM
P1=$(free_port); P2=$(free_port)
while [ "$P2" = "$P1" ]; do P2=$(free_port); done
start_daemon "sip_listen sip:127.0.0.1:$P1" "sip_listen sips:127.0.0.1:$P2" \
	"sip_host 127.0.0.1" "sub_min_expires 1"
monitor_links
ok "the device again: a new token ($TOKEN)" \
	"$(printf '%s' "$TOKEN" | grep -Eqx '[0-9a-f]{32}'; echo $?)"
sub_bg e --uri "$SIPU" $UDP --expires 2 --timeout 10
wait_n e NOTIFY 1
wait_code e 200 1
r=$(nth e RESPONSE '$')
x=$(fld expires "$r")
ok "Expires 2 accepted with sub_min_expires 1 (200, Expires $x <= 2)" \
	"$([ "$(fld code "$r")" = 200 ] && [ -n "$x" ] && [ "$x" -le 2 ] && [ "$x" -gt 0 ]; echo $?)"
wait_n e NOTIFY 2 5
n=$(nth e NOTIFY 2)
is "expiry: NOTIFY terminated;reason=timeout" "$(fld state "$n")" "terminated;reason=timeout"
# The notifier's clock has whole seconds: a 2 s subscription may end up
# to 1 s early, never later than about 1 s after its time.
d=$(awk "BEGIN { printf \"%.3f\", $(fld t "$n") - $(fld t "$r") }")
ok "expiry: ${d} s after the 200 (2 s granted, whole-second clock)" \
	"$(fcmp "$d >= 1.0 && $d < 3.5"; echo $?)"
ok "expiry: no subscription left" "$(wait_subs 0; echo $?)"
sub_bg s --uri "$SIPU" $UDP --expires 600 --timeout 20
sub_bg s2 --uri "$SIPS" $TLS --expires 600 --timeout 20
wait_n s NOTIFY 1
wait_n s2 NOTIFY 1
ok "two subscriptions before SIGTERM" "$(wait_subs 2; echo $?)"
stop_daemon
ok "SIGTERM: the daemon exits 0" $?
for nm in s s2; do
	wait_n $nm NOTIFY 2 2
	st=$(fld state "$(nth $nm NOTIFY 2)")
	ra=$(printf '%s' "$st" | sed -n 's/.*;retry-after=\([0-9]*\).*/\1/p')
	is "SIGTERM ($nm): terminated" "${st%%;*}" terminated
	contains "SIGTERM ($nm): reason=probation" "$st" ";reason=probation"
	ok "SIGTERM ($nm): retry-after in [60, 120] ($ra)" \
		"$([ -n "$ra" ] && [ "$ra" -ge 60 ] && [ "$ra" -le 120 ]; echo $?)"
done

# ------------------------------------------------------------ notify_body
# notify_body yes needs sips: listeners only (it is refused with a sip:
# one, see monitor.sh): the configuration goes over TLS or not at all.
P3=$(free_port)
start_daemon "sip_listen sips:127.0.0.1:$P3" "sip_host 127.0.0.1" \
	"notify_body yes"
monitor_links
c -o "$W/bodyB" $A "$BASE?$Q"
sub_fg b0 --uri "$SIPS" $TLS --expires 0
is "notify_body yes, body not asked for: no body" "$(fld inner_body "$(nth b0 NOTIFY 1)")" 0
# notify_body yes and Event: http-monitor;body=true: the configuration in
# the NOTIFY, byte for byte.
sub_fg b --uri "$SIPS" $TLS --event "http-monitor;body=true" --expires 0
n=$(nth b NOTIFY 1)
is "body=true: 200" "$(fld code "$(nth b RESPONSE '$')")" 200
is "body=true: the configuration is in the NOTIFY" "$(fld inner_body "$n")" \
	"$(wc -c < "$W/bodyB" | tr -d ' ')"
is "body=true: the same bytes as a GET" "$(fld inner_md5 "$n")" \
	"$(md5sum < "$W/bodyB" | cut -d' ' -f1)"
is "body=true: Content-Length of the inner message" "$(fld inner_clen "$n")" \
	"$(wc -c < "$W/bodyB" | tr -d ' ')"

stop_daemon
ok "the sips:-only daemon stops cleanly" $?

# ------------------------------------------------------------ all along
is "no retransmitted NOTIFY anywhere (our answers arrived)" \
	"$(cat "$W"/*.out | grep -c '^NOTIFY-DUP')" 0
is "every NOTIFY was in its dialog" \
	"$(cat "$W"/*.out | grep '^NOTIFY' | grep -vc "${TAB}dialog=ok")" 0
is "no ERROR from the subscribers" "$(cat "$W"/*.out | grep -c '^ERROR')" 0
done_testing
