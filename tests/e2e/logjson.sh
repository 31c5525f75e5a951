#!/bin/sh
# logjson: log_format json (sipcfgd.conf(5)) against the real daemon over
# real TLS with real curl.  Bad input first (a bad log_format value stops
# sipcfgd -n with file:line), then every line the daemon writes must
# parse as one JSON object with ts, level and msg, and the access lines
# of a 200, a 401, a 403 with a hostile user name and a 404 carry their
# facts as keys of their own, with no password anywhere.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
need python3
make_store

printf '%s\n' "store $STORE" "cert $CERT" "key $W/key.pem" "log_format xml" \
    > "$W/bad.conf"
out=$("$SIPCFGD" -n -f "$W/bad.conf" 2>&1); rc=$?
ok "log_format xml: sipcfgd -n fails ($rc)" "$([ $rc -ne 0 ]; echo $?)"
contains "... and says where and why" "$out" \
    "bad.conf:4: log_format: expected text or json"
printf '%s\n' "store $STORE" "cert $CERT" "key $W/key.pem" "log_format json" \
    > "$W/good.conf"
out=$("$SIPCFGD" -n -f "$W/good.conf" 2>&1); rc=$?
is "log_format json: sipcfgd -n accepts it" "$rc" 0
contains "-n prints it" "$out" "log_format json"

start_daemon "log_format json"
A="--basic -u alice:$PW"
is "a good request: 200" "$(status "$BASE?$Q" $A)" 200
is "no credentials: 401" "$(status "$BASE?$Q")" 401
is "a wrong password: 401" "$(status "$BASE?$Q" --basic -u alice:wrong-pw)" 401
# A user name with a quote, a backslash, a byte that is no UTF-8 and an
# e-acute that is: the line must still parse, the e-acute kept.
evil=$(printf 'e"v\\il\377\303\251:x' | base64)
is "a hostile user name: 403" "$(status "$BASE?$Q" \
    -H "Authorization: Basic $evil")" 403
is "no such path: 404" "$(status "https://127.0.0.1:$PORT/nosuch")" 404

# The access line is written once the response is done: wait for five.
i=0
while [ "$(grep -c '"level":"access"' "$W/daemon.err")" -lt 5 ] &&
    [ $i -lt 100 ]; do
	sleep 0.05; i=$((i + 1))
done

# One summary line per log line: "bad" for one that does not parse or
# lacks ts/level/msg, else the level and, for access lines, the facts.
python3 - "$W/daemon.err" > "$W/summary" <<'EOF'
import json, re, sys
ts = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$')
with open(sys.argv[1], 'rb') as f:
    for raw in f:
        try:
            o = json.loads(raw.decode('utf-8'))
        except Exception as e:
            print('bad', repr(raw[:80]), e)
            continue
        if not isinstance(o, dict) or not ts.match(o.get('ts', '')) or \
                not isinstance(o.get('level'), str) or \
                not isinstance(o.get('msg'), str):
            print('bad', repr(raw[:80]))
            continue
        if o['level'] != 'access':
            print(o['level'])
            continue
        for k in ('addr', 'status', 'bytes', 'duration_us', 'device',
                  'user', 'route'):
            if k not in o:
                print('bad', 'no key', k, repr(raw[:80]))
                break
        else:
            ok = isinstance(o['status'], int) and \
                isinstance(o['bytes'], int) and \
                isinstance(o['duration_us'], int)
            print('access' if ok else 'bad', o['status'], o['route'],
                  o['addr'], o['device'], json.dumps(o['user']),
                  o.get('note', '-'), json.dumps(o.get('reason', '-')))
EOF
is "python3 read the log" "$?" 0
is "every line is a JSON object with ts, level and msg" \
    "$(grep -c '^bad' "$W/summary")" 0
grep '^bad' "$W/summary" | sed 's/^/# /'
contains "event lines too (info)" "$(cat "$W/summary")" "info"
s=$(grep '^access' "$W/summary")
contains "the 200: route, address, device, user" "$s" \
    "access 200 config 127.0.0.1 $DEV \"alice\""
contains "the 401 without credentials: user null" "$s" \
    "access 401 config 127.0.0.1 $DEV null"
contains "the 401 with a wrong password: its note" "$s" \
    "access 401 config 127.0.0.1 $DEV \"alice\" auth-failed"
contains "the 403: the user name escaped, its reason" "$s" \
    "\"e\\\"v\\\\il\\ufffd\\u00e9\" - \"the authentication username must equal sfua-user\""
contains "the 404: route other, no device, its reason" "$s" \
    "access 404 other 127.0.0.1 None null - \"no such resource\""
if grep -q -- "$PW" "$W/daemon.err" || grep -q wrong-pw "$W/daemon.err"; then
	ok "no password in the log" 1
else
	ok "no password in the log" 0
fi

# The text format is unchanged: the same facts on one access: line.
kill "$DPID"; wait "$DPID" 2>/dev/null; DPID=
start_daemon
is "text: a 404" "$(status "https://127.0.0.1:$PORT/nosuch")" 404
i=0
while ! grep -q 'access: ' "$W/daemon.err" && [ $i -lt 100 ]; do
	sleep 0.05; i=$((i + 1))
done
contains "text: the access line as before" "$(cat "$W/daemon.err")" \
    'sipcfgd: access: 127.0.0.1 404 17 '
contains "text: ... with its reason" "$(cat "$W/daemon.err")" \
    'device=- user=- reason="no such resource"'
done_testing
