#!/bin/sh
# audit: every change made through sipcfg is recorded (who: the OS user,
# when, the command, before/after with secrets masked), changes made
# another way too (as not sipcfg); every configuration answer is recorded
# per device with its ETag and whether it carried secrets; `sipcfg audit`
# and `sipcfg device history` show them, with --json.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
need perl; need_sql
jq1() { perl -MJSON::PP -0777 -ne 'my $r = decode_json($_); '"$1"; }
make_store
ME=$(id -un)

fails "audit --limit 0" "expected 1..100000" sc audit --limit 0
fails "history of an unknown device" "not found" sc device history 00:00:00:00:00:99
fails "history --limit x" "expected 1..100000" sc device history "$DEV" --limit x

sc device set "$DEV" --label "front desk" >/dev/null
a=$(sc --json audit --limit 1)
is "who: the OS user" "$(printf '%s' "$a" | jq1 'print $r->[0]{who}')" "$ME"
contains "the command" "$(printf '%s' "$a" | jq1 'print $r->[0]{command}')" "device set $DEV --label"
is "before" "$(printf '%s' "$a" | jq1 'print $r->[0]{before}{label} // "null"')" null
is "after" "$(printf '%s' "$a" | jq1 'print $r->[0]{after}{label}')" "front desk"
all=$(sc --json audit --limit 1000)
is "every sipcfg change of make_store is there (user, device, line...)" \
	"$(printf '%s' "$all" | jq1 'my %e; $e{$_->{entity}}++ for @$r; print join ",", sort keys %e')" \
	"device,line,realm,template,user"
HA1=$(sql 'SELECT ha1 FROM lines LIMIT 1')
ok "the line has an HA1 to look for" "$([ ${#HA1} -eq 32 ]; echo $?)"
AUD=$(sql 'SELECT before, after FROM audit')
ok "no HA1 anywhere in the audit" "$(! printf '%s' "$AUD" | grep -q "$HA1"; echo $?)"
contains "secrets are masked" "$(printf '%s' "$all" | jq1 'print join " ", map { $_->{after}{password} // () } @$r')" "(secret)"
printf 'new-pw\n' | sc user passwd alice >/dev/null
is "a password change says so, without it" \
	"$(sc --json audit --limit 1 | jq1 'print $r->[0]{after}{password}')" "(new secret)"
sql "UPDATE devices SET label = 'by shell'"
is "a change made with the store's shell: recorded, not as sipcfg" \
	"$(sc --json audit --limit 1 | jq1 'print $r->[0]{who}, "|", $r->[0]{after}{label}')" "(not sipcfg)|by shell"
n0=$(sql 'SELECT count(*) FROM audit')
fails "a failed command" "no such user" sc device set "$DEV" --user ghost
is "leaves no audit row" "$(sql 'SELECT count(*) FROM audit')" "$n0"
# An import is one row: who, the file and the counts (sipcfg(1), import).
printf 'device,label\n00:11:22:33:44:77,imported\n' > "$W/i.csv"
sc import "$W/i.csv" >/dev/null
a=$(sc --json audit --limit 1)
is "an import: one audit row, by the OS user" \
	"$(($(sql 'SELECT count(*) FROM audit') - n0)):$(printf '%s' "$a" | jq1 'print $r->[0]{who}, "|", $r->[0]{entity}, "|", $r->[0]{after}{added}')" \
	"1:$ME|import|1"
contains "with the file" "$(printf '%s' "$a" | jq1 'print $r->[0]{after}{file}')" "i.csv"

# Answers, per device: ETag and whether they carried secrets.
start_daemon "seen_flush_ms 50" "unknown_device default"
c -o /dev/null -D "$W/h" --digest -u "alice:new-pw" "$BASE?$Q"
e=$(hdr ETag "$W/h")
i=0
while [ "$(sql 'SELECT count(*) FROM fetches')" -lt 1 ] && [ $i -lt 60 ]; do
	i=$((i + 1)); sleep 0.05; done
h=$(sc --json device history "$DEV")
f='my ($f) = grep { $_->{kind} eq "fetch" } @$r;'
is "history: the answer" "$(printf '%s' "$h" | jq1 "$f"' print $f->{kind}')" fetch
is "with the ETag served" "$(printf '%s' "$h" | jq1 "$f"' print $f->{etag}')" "$e"
is "that carried secrets" "$(printf '%s' "$h" | jq1 "$f"' print $f->{secrets}')" 1
# The secret-free default of an unknown device is recorded as such.
sc device set "$DEV" --state pending >/dev/null
c -o /dev/null "$BASE?$Q"
i=0
while [ "$(sql 'SELECT count(*) FROM fetches')" -lt 2 ] && [ $i -lt 60 ]; do
	i=$((i + 1)); sleep 0.05; done
is "a secret-free answer: secrets 0" "$(sql 'SELECT secrets FROM fetches ORDER BY id DESC LIMIT 1')" 0
contains "and the device's changes" "$(printf '%s' "$h" | jq1 'print join " ", map { $_->{op} // () } @$r')" "device update"
contains "history as a table" "$(sc device history "$DEV")" "fetch"
done_testing
