#!/bin/sh
# changes: a change made with sipcfg, and one made with the store's own
# shell (sqlite3, or psql on PostgreSQL), gives a new ETag on the next GET;
# a change that does not alter the bytes keeps the ETag; the change log is
# filled by triggers.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
need_sql
make_store
start_daemon
A="--digest -u alice:$PW"
etag() { c -o "$W/body" -D "$W/h" $A "$BASE?$Q" && hdr ETag "$W/h"; }
e0=$(etag)
ok "first ETag" "$([ -n "$e0" ]; echo $?)"

sc var set global ntp_server ntp1.example.net >/dev/null
e1=$(etag)
ok "sipcfg var set: new ETag" "$([ "$e1" != "$e0" ]; echo $?)"
contains "new body has the variable" "$(cat "$W/body")" "ntp1.example.net"
lm1=$(hdr Last-Modified "$W/h")

sql "UPDATE lines SET display_name = 'Changed by shell' WHERE position = 1"
e2=$(etag)
ok "shell edit: new ETag" "$([ "$e2" != "$e1" ]; echo $?)"
contains "new body has the shell's change" "$(cat "$W/body")" "Changed by shell"
is "shell edit went to the change log" \
	"$(sql "SELECT count(*) FROM changes WHERE entity='lines' AND op='update'")" 1

sql "UPDATE templates SET body = replace(body, '<realm>', '<sip-realm>')"
e3=$(etag)
ok "template edit: new ETag" "$([ "$e3" != "$e2" ]; echo $?)"
contains "template edit visible" "$(cat "$W/body")" "<sip-realm>"

# A change to another device does not change this one's ETag.
sc device add 00:11:22:33:44:66 >/dev/null
e4=$(etag)
is "unrelated change keeps the ETag" "$e4" "$e3"

# Deleting a line changes the bytes and never moves Last-Modified back.
sc line rm "$DEV" 1 >/dev/null
e5=$(etag)
lm5=$(hdr Last-Modified "$W/h")
ok "line rm: new ETag" "$([ "$e5" != "$e4" ]; echo $?)"
t1=$(date -d "$lm1" +%s); t5=$(date -d "$lm5" +%s)
ok "Last-Modified does not go backwards ($lm1 -> $lm5)" "$([ "$t5" -ge "$t1" ]; echo $?)"

# Identical bytes, identical ETag, also from a second instance.
DPID1=$DPID; PORT1=$PORT
DPID=; start_daemon
c -o /dev/null -D "$W/h2" $A "https://127.0.0.1:$PORT/cfg?$Q"
is "a second instance on the same store serves the same ETag" "$(hdr ETag "$W/h2")" "$e5"
stop_daemon; DPID=$DPID1
stop_daemon
done_testing
