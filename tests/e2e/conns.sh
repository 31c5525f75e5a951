#!/bin/sh
# conns: idle and half-open connections cannot deny service to everyone
# (issue 16).  A real sipcfgd, real curl, and tests/e2e/slowloris.pl
# holding thousands of connections from 127.0.0.2 while alice fetches
# from 127.0.0.1: the per-source limit (max_per_ip), the deadline for
# the handshake and first request line (handshake_timeout), and busy
# counting only connections that completed a handshake.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
need perl
perl -MIO::Socket::SSL -e 1 2>/dev/null || { echo "1..0 # SKIP no IO::Socket::SSL"; exit 77; }
# The holder needs a descriptor per connection.
ulimit -n 8192 2>/dev/null || { echo "1..0 # SKIP cannot raise the open files limit"; exit 77; }
make_store
HOLD="$top_srcdir/tests/e2e/slowloris.pl"

# Bad input first.
printf 'store %s\ncert %s\nkey %s\nhandshake_timeout 0\n' "$STORE" "$CERT" "$W/key.pem" > "$W/bad.conf"
"$SIPCFGD" -n -f "$W/bad.conf" 2>"$W/bad.err" >/dev/null
is "handshake_timeout 0 is refused" $? 1
contains "... with file:line" "$(cat "$W/bad.err")" "bad.conf:4: handshake_timeout"
printf 'store %s\ncert %s\nkey %s\nmax_per_ip -1\n' "$STORE" "$CERT" "$W/key.pem" > "$W/bad.conf"
"$SIPCFGD" -n -f "$W/bad.conf" 2>/dev/null >/dev/null
is "max_per_ip -1 is refused" $? 1
printf 'store %s\ncert %s\nkey %s\n' "$STORE" "$CERT" "$W/key.pem" > "$W/good.conf"
contains "sipcfgd -n: max_per_ip on by default" "$("$SIPCFGD" -n -f "$W/good.conf" 2>/dev/null)" "max_per_ip 256"
contains "sipcfgd -n: handshake_timeout 10 by default" "$("$SIPCFGD" -n -f "$W/good.conf" 2>/dev/null)" "handshake_timeout 10"

# hold SECONDS KIND=N...: slowloris.pl in the background from 127.0.0.2,
# its report in $W/hold.out; returns once every connection was tried.
hold() {
	rm -f "$W/ready"
	perl "$HOLD" 127.0.0.1 "$PORT" 127.0.0.2 "$@" > "$W/hold.out" 2>"$W/hold.err" &
	HPID=$!
	s=$1; shift
	i=0
	while [ ! -f "$W/ready" ]; do
		kill -0 $HPID 2>/dev/null || break
		i=$((i + 1)); [ $i -gt 1200 ] && break
		sleep 0.05
	done
}
# alice N: N fetches from 127.0.0.1, the statuses counted ("200x5").
alice() {
	for i in $(seq "$1"); do status "$BASE?$Q" --basic -u "alice:$PW" --max-time 10; echo; done |
		sort | uniq -c | awk '{ printf "%s%sx%s", (NR > 1 ? " " : ""), $2, $1 }'
}
field() {	# field KIND NAME: a figure of the holder's report (-1: none)
	v=$(sed -n "s/^$1 .*$2=\([0-9.]*\).*/\1/p" "$W/hold.out")
	echo "${v:--1}"
}

# 1. The defaults (max_per_ip 256): 3,100 idle connections and 50 that
# dribble a ClientHello, from one address, with a 30 s deadline.
start_daemon "handshake_timeout 30"
hold 4 "$W/ready" idle=3100 dribble=50
is "3,150 connections from 127.0.0.2: alice still gets 200 every time" "$(alice 10)" "200x10"
wait $HPID
sed 's/^/# holder: /' "$W/hold.out"
is "all connected at the TCP level" "$(field idle open)" 3100
is "the server held max_per_ip (256) of them, no more" \
	"$(( $(field idle held) + $(field dribble held) ))" 256
ok "daemon alive" "$(alive; echo $?)"
stop_daemon

# 2. The deadline for the handshake and the first request line (2 s),
# which traffic does not extend: idle, and a ClientHello a byte a second.
start_daemon "handshake_timeout 2"
hold 6 "$W/ready" idle=100 dribble=50
is "alice gets 200 meanwhile" "$(alice 3)" "200x3"
wait $HPID
sed 's/^/# holder: /' "$W/hold.out"
is "every idle connection was closed by the server" "$(field idle closed)" 100
ok "... by the deadline: after 1.5 s, before 4 s" \
	"$(awk -v m="$(field idle maxlife)" -v f="$(field idle fast)" 'BEGIN { exit !(m >= 1.5 && m < 4 && f == 0) }'; echo $?)"
is "dribbling a ClientHello a byte a second does not escape it" "$(field dribble closed)" 50
ok "... closed before 4 s too" \
	"$(awk -v m="$(field dribble maxlife)" 'BEGIN { exit !(m < 4) }'; echo $?)"
ok "daemon alive" "$(alive; echo $?)"
is "after it all, alice: 200" "$(alice 1)" "200x1"
stop_daemon

# 3. Only connections that completed a handshake make the server busy:
# no per-source limit, busy_connections 50, 500 idle connections.
start_daemon "max_per_ip 0" "busy_connections 50" "handshake_timeout 30"
hold 4 "$W/ready" idle=500
is "500 idle connections, busy_connections 50: alice gets 200" "$(alice 5)" "200x5"
wait $HPID
is "... and they were all held (no limit, no deadline yet)" "$(field idle fast)" 0
# Connections that did complete a handshake and a request do count.
hold 4 "$W/ready" est=60
contains "60 established connections, busy_connections 50: 503" "$(alice 1)" "503x1"
wait $HPID
is "they stayed open (keep-alive)" "$(field est closed)" 0
is "once they are gone, alice: 200" "$(alice 1)" "200x1"
ok "daemon alive" "$(alive; echo $?)"
stop_daemon
is "clean exit" $? 0
done_testing
