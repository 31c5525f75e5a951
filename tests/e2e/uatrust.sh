#!/bin/sh
# uatrust: what sipcfg-ua keeps secret and whom it believes.  The
# configuration it fetches holds passwords and HA1s: -o and --state write
# it mode 0600 (a state directory it makes is 0700; one that others may
# write to is refused, one they may read is warned about); -p warns that
# the password shows in the process list.  The sips: notifier must pass
# the same trust as the HTTPS side (--cafile, or the key pinned on first
# use): two real sipcfgd on one store, A serving HTTPS with the trusted
# certificate and naming in its monitor Link the sips: address where B
# listens.  With a certificate of its own on B the UA refuses to
# subscribe (no SUBSCRIBE reaches B) and says why; with the right one it
# subscribes.  Bad input first.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
need perl stat timeout
UA="$top_builddir/sipcfg-ua"
[ -x "$UA" ] || { echo "Bail out! $UA not built"; exit 99; }

now() { date +%s.%N | cut -c1-14; }
fcmp() { awk "BEGIN { exit !($1) }"; }
nev() { grep -c "\"event\":\"$2\"" "$1"; }
ev() { grep "\"event\":\"$2\"" "$1" | tail -1; }
# wait_ev FILE EVENT N [SECONDS]: until N such events (default 10 s).
wait_ev() {
	_end=$(awk "BEGIN { printf \"%.3f\", $(now) + ${4:-10} }")
	while [ "$(nev "$1" "$2")" -lt "$3" ]; do
		fcmp "$(now) > $_end" && return 1
		sleep 0.05
	done
}
mode() { stat -c %a "$1" 2>/dev/null || echo none; }

# A: HTTPS with the certificate the UA trusts; its sips: listener is on
# 127.0.0.2 but its Link names 127.0.0.1, where B listens.
rm -f "$W/cert.pem" "$W/key.pem"
"$top_srcdir/certs/mkcert.sh" "$W" cs.example.test >/dev/null || exit 99
mkdir "$W/other" && "$top_srcdir/certs/mkcert.sh" "$W/other" cs.example.test \
	>/dev/null || exit 99
make_store
head -c 48 /dev/urandom > "$W/secret"
SP=$(free_port) || { echo "Bail out! no free port"; exit 99; }
start_daemon "secret_file $W/secret" "sip_listen sips:127.0.0.2:$SP" \
	"sip_host 127.0.0.1"
BPID=
start_b() {	# start_b CERT-DIR: B, the notifier the Link names
	{ echo "store $STORE"; echo "cert $1/cert.pem"; echo "key $1/key.pem"
	  echo "listen 127.0.0.1:0"; echo "threads 2"
	  echo "secret_file $W/secret"; echo "sip_listen sips:127.0.0.1:$SP"
	  echo "sip_host 127.0.0.1"
	} > "$W/b.conf"
	run_b
}
stop_b() { kill -TERM "$BPID"; wait "$BPID"; BPID=; }
UPID=
trap 'kill $BPID $UPID 2>/dev/null; cleanup' EXIT

URL="https://127.0.0.1:$PORT/cfg"
ID="-b $URL -d cs.example.test -m 00:11:22:33:44:55 -u alice --vendor examplecorp.com --model HypoComm --backoff-scale 0.05 --timeout 3000"
printf '%s\n' "$PW" > "$W/pw"

# ---------------------------------------------------------------- bad input
"$UA" fetch $ID --password-file "$W/nonexistent" --cafile "$CERT" \
	-o "$W/c0" > /dev/null 2> "$W/e0"
is "a password file that is not there: usage (2)" $? 2
contains "and it says so" "$(cat "$W/e0")" "$W/nonexistent"
"$UA" fetch $ID -p "$PW" --password-file "$W/pw" --cafile "$CERT" \
	-o "$W/c0" > /dev/null 2> "$W/e0"
is "-p and --password-file together: usage (2)" $? 2
contains "and it says so" "$(cat "$W/e0")" "one of"
: > "$W/afile"
timeout 20 "$UA" run $ID --password-file "$W/pw" --cafile "$CERT" --state "$W/afile" \
	> /dev/null 2> "$W/e0"
is "--state naming a file: usage (2)" $? 2
contains "and it says so" "$(cat "$W/e0")" "not a directory"
mkdir -m 0777 "$W/open"
"$UA" fetch $ID --password-file "$W/pw" --cafile "$CERT" --state "$W/open" \
	-o "$W/c0" > /dev/null 2> "$W/e0"
is "a state directory others may write to: usage (2)" $? 2
contains "and it says why" "$(cat "$W/e0")" "others can write"
is "nothing was written there" "$(ls "$W/open" | wc -l)" 0
ok "no configuration written" "$([ ! -e "$W/c0" ]; echo $?)"

# ------------------------------------------------------- -p and its warning
"$UA" fetch $ID -p "$PW" --cafile "$CERT" -o "$W/c1" > /dev/null 2> "$W/e1"
is "-p still works" $? 0
contains "-p: a warning on stderr" "$(cat "$W/e1")" "warning"
contains "naming the way out" "$(cat "$W/e1")" "--password-file"
is "one line" "$(grep -c warning "$W/e1")" 1
ok "the password itself is not printed" "$(! grep -q "$PW" "$W/e1"; echo $?)"
"$UA" fetch $ID --password-file "$W/pw" --cafile "$CERT" -o "$W/c2" \
	> /dev/null 2> "$W/e2"
is "--password-file: works" $? 0
is "without a warning" "$(cat "$W/e2")" ""
SIPCFG_UA_PASSWORD=$PW "$UA" fetch $ID --cafile "$CERT" -o "$W/c3" \
	> /dev/null 2> "$W/e3"
is "SIPCFG_UA_PASSWORD: works" $? 0
is "without a warning" "$(cat "$W/e3")" ""

# -------------------------------------------------------------- file modes
ok "the fetched configuration holds the line's HA1" \
	"$(grep -q '<digest[^>]*>[0-9a-f]\{32\}</digest>' "$W/c1"; echo $?)"
is "-o: written 0600" "$(mode "$W/c1")" 600
(umask 022; : > "$W/c4"; chmod 644 "$W/c4")
"$UA" fetch $ID --password-file "$W/pw" --cafile "$CERT" -o "$W/c4" \
	> /dev/null 2>&1
is "-o over an existing 0644 file: 0600 now" "$(mode "$W/c4")" 600
ok "with the configuration in it" "$(cmp -s "$W/c1" "$W/c4"; echo $?)"
"$UA" fetch $ID --password-file "$W/pw" --cafile "$CERT" -o /dev/null \
	> /dev/null 2>&1
is "-o /dev/null: still written in place" $? 0
ok "and left a device" "$([ -c /dev/null ]; echo $?)"
(umask 0; "$UA" fetch $ID --password-file "$W/pw" --cafile "$CERT" \
	--state "$W/st" -o "$W/c5" > /dev/null 2>&1)
is "umask 0: the state directory made 0700" "$(mode "$W/st")" 700
is "its config 0600" "$(mode "$W/st/config")" 600
is "its meta.json 0600" "$(mode "$W/st/meta.json")" 600
is "-o 0600 under umask 0 too" "$(mode "$W/c5")" 600
is "no temporary file left" "$(ls "$W/st" | tr '\n' ' ')" "config meta.json "
mkdir -m 0755 "$W/st2"
"$UA" fetch $ID --password-file "$W/pw" --cafile "$CERT" --state "$W/st2" \
	-o /dev/null > /dev/null 2> "$W/e5"
is "a state directory others may read: works" $? 0
contains "with a warning" "$(cat "$W/e5")" "chmod 700"
is "left as it was" "$(mode "$W/st2")" 755
is "its files 0600 all the same" "$(mode "$W/st2/config") $(mode "$W/st2/meta.json")" "600 600"

# ------------------------------------------- sips: a notifier not trusted
start_b "$W/other"
"$UA" run $ID --password-file "$W/pw" --cafile "$CERT" --sip-transport tls \
	> "$W/r1" 2> "$W/r1.err" &
UPID=$!
wait_ev "$W/r1" failed 2 15
kill -TERM "$UPID"; wait "$UPID"; UPID=
is "fetched over the trusted HTTPS" "$(nev "$W/r1" fetched)" 1
is "no subscription to a notifier with another certificate" \
	"$(nev "$W/r1" subscribed)" 0
f=$(grep '"step":"subscribe"' "$W/r1" | head -1)
contains "a failed subscribe step" "$f" "certificate"
contains "naming the notifier" "$f" "sips:"
contains "a clear message on stderr" "$(cat "$W/r1.err")" "notifier"
ok "retried, not given up" \
	"$([ "$(grep -c '"step":"subscribe"' "$W/r1")" -ge 2 ]; echo $?)"
# wait_n N: the retry_in of the Nth refusal, in seconds.
wait_n() { grep '"step":"subscribe"' "$W/r1" | sed -n "$1p" |
	sed -n 's/.*"retry_in":\([0-9.]*\).*/\1/p' | awk '{ printf "%.2f", $1 }'; }
w1=$(wait_n 1); w2=$(wait_n 2)
ok "with a growing back-off (§2.7): $w1 s, then $w2 s" "$(fcmp "${w2:-0} > ${w1:-0}"; echo $?)"
is "B's notifier saw no subscription" "$(grep -c '^sipcfgd: subscription' "$W/b.err")" 0
stop_b

# Trust on first use: the pin is the HTTPS server's key; B's differs.
start_b "$W/other"
PIN="$W/pin"
"$UA" run $ID --password-file "$W/pw" --pin-file "$PIN" --sip-transport tls \
	> "$W/r2" 2> "$W/r2.err" &
UPID=$!
wait_ev "$W/r2" failed 2 15
kill -TERM "$UPID"; wait "$UPID"; UPID=
ok "TOFU: first use pinned A's key" "$(grep -q '^sha256//' "$PIN"; echo $?)"
is "TOFU: no subscription to another key" "$(nev "$W/r2" subscribed)" 0
contains "TOFU: the pin is named" \
	"$(grep '"step":"subscribe"' "$W/r2" | head -1)" "pin"
stop_b

# -------------------------------------------- sips: the right certificate
start_b "$W"
"$UA" run $ID --password-file "$W/pw" --cafile "$CERT" --sip-transport tls \
	--state "$W/st3" > "$W/r3" 2> "$W/r3.err" &
UPID=$!
wait_ev "$W/r3" notified 1 15
s=$(ev "$W/r3" subscribed)
contains "the right certificate: subscribed" "$s" '"status":200'
contains "at B's sips: address" "$s" "@127.0.0.1:$SP"
contains "B's notifier took it, over TLS" "$(grep '^sipcfgd: subscription' "$W/b.err")" "over tls"
sc var set global ntp_server ntp.trust.example >/dev/null
wait_ev "$W/r3" refetched 1 10
ok "a change came as a NOTIFY and a new configuration" \
	"$(grep -q ntp.trust.example "$W/st3/config"; echo $?)"
is "still 0600" "$(mode "$W/st3/config")" 600
kill -TERM "$UPID"; wait "$UPID"; UPID=
"$UA" run $ID --password-file "$W/pw" --pin-file "$PIN" --sip-transport tls \
	> "$W/r4" 2> "$W/r4.err" &
UPID=$!
wait_ev "$W/r4" subscribed 1 15
contains "TOFU: the pinned key on B too: subscribed" \
	"$(ev "$W/r4" subscribed)" '"status":200'
kill -TERM "$UPID"; wait "$UPID"; UPID=
stop_b
done_testing
