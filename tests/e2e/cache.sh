#!/bin/sh
# cache: the daemon's one answer cache (issue 11, item 2), against the real
# sipcfgd, real TLS, real curl and a real SQLite file.  Bad answer_cache_mb
# and cache_warm values stop the daemon; every kind of change to the store
# (sipcfg or the store's shell) shows in the very next GET; a change drops
# exactly what it touches (another device's next GET is a hit, read from
# the SIGUSR1 statistics line); the daemon's own bookkeeping drops
# nothing; one cache is shared by all workers; answer_cache_mb bounds it
# (2,000 devices in 1 MiB, every answer still right); 0 turns it off.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
need_sql

MB=16	# answer_cache_mb of the main daemon
DCONF="answer_cache_mb $MB|cache_warm no"
# up: (re)start the daemon with the configuration lines in $DCONF
# (separated by |).  A sipcfgd that refuses them (one without the
# feature) is one failed check (unless UPQ is set), and is started
# without them so that the checks of what it serves still run.
up() {
	old_ifs=$IFS; IFS='|'
	# shellcheck disable=SC2086
	set -- $DCONF
	IFS=$old_ifs
	printf '%s\n' "store $STORE" "cert $CERT" "key $W/key.pem" "$@" > "$W/pre.conf"
	if ! "$SIPCFGD" -n -f "$W/pre.conf" > "$W/pre.out" 2>&1; then
		[ "${UPQ:-}" ] || ok "sipcfgd starts with '$DCONF' ($(grep -m1 . "$W/pre.out"))" 1
		echo "# starting sipcfgd without '$DCONF'"
		set --
	fi
	start_daemon "$@"
}
down() { stop_daemon >/dev/null 2>&1; }

# ------------------------------------------------------------ bad input
# bad DESCRIPTION CONFIG-LINE: sipcfgd, really started, refuses it with
# a non-zero exit, never gets ready, and says why in one line naming the
# file, line and directive (as for every other directive, see config.sh:
# "FILE:LINE: DIRECTIVE: reason", then "configuration not loaded"); the
# reason is the value, not an unknown directive.
bad() {
	printf '%s\n' "store $STORE" "cert $CERT" "key $W/key.pem" \
		"listen 127.0.0.1:0" "$2" > "$W/bad.conf"
	timeout 10 "$SIPCFGD" -f "$W/bad.conf" > "$W/bad.out" 2> "$W/bad.err"
	rc=$?
	dir=${2%% *}
	n=$(grep -c "bad.conf:5: $dir: " "$W/bad.err")
	if [ $rc -ne 0 ] && [ $rc -ne 124 ] && [ "$n" = 1 ] &&
	    ! grep -q "$dir: unknown directive" "$W/bad.err" &&
	    ! grep -q 'ready' "$W/bad.out"; then
		ok "$1" 0
	else
		ok "$1 (rc $rc: $(head -c 300 "$W/bad.err"))" 1
	fi
}
sc init --realm test-realm >/dev/null || { echo "Bail out! init"; exit 99; }
bad "answer_cache_mb -1 refused" "answer_cache_mb -1"
bad "answer_cache_mb lots refused" "answer_cache_mb lots"
bad "answer_cache_mb 99999999999 refused" "answer_cache_mb 99999999999"
bad "cache_warm maybe refused" "cache_warm maybe"
printf '%s\n' "store $STORE" "cert $CERT" "key $W/key.pem" \
	"answer_cache_mb 0" "answer_cache_mb 64" "cache_warm auto" \
	"cache_warm yes" "cache_warm no" > "$W/good.conf"
out=$("$SIPCFGD" -n -f "$W/good.conf" 2>&1)
ok "answer_cache_mb 0/64 and cache_warm auto/yes/no accepted by -n ($(printf '%s' "$out" | grep -v '^ ' | head -c 200))" $?

# ------------------------------------------------------------ the store
# Three devices, each with its own user, password, line and profile; one
# template that shows every part a change can touch.
V=examplecorp.com
MOD=HypoComm
MA=020000000a01 MB_=020000000b02 MC=020000000c03
PWA=pw-a-$$ PWB=pw-b-$$ PWC=pw-c-$$
urn() { echo "urn:uuid:00000000-0000-1000-8000-$1"; }
cat > "$W/t.txt" <<'T'
id={{device.sfua_id}}
label={{device.label}}
user={{user.name}}
realm={{user.realm}}
{{#lines}}
line{{position}}={{aor}} [{{display_name}}]
{{/lines}}
g={{g}} v={{v}} m={{m}} p={{p}} u={{u}} d={{d}}
pw={{provisioning.password}}
tpl=one
{{filler}}
T
printf 'tpl=two\nlabel={{device.label}}\n' > "$W/t2.txt"
mk() {	# mk TAG MAC PASSWORD
	printf '%s\n' "$3" | sc user add "u$1" >/dev/null &&
	sc device add "$2" --vendor "$V" --model "$MOD" --user "u$1" \
		--label "label-$1" --profile "prof-$1" >/dev/null &&
	printf 'line-%s\n' "$1" | sc line add "$2" --aor "sip:u$1@example.net" \
		--username "u$1" --display "Line $1" >/dev/null &&
	sc var set device "$2" d "d-$1" >/dev/null &&
	sc var set user "u$1" u "u-$1" >/dev/null &&
	sc var set profile "prof-$1" p "p-$1" >/dev/null
}
sc template add t "$W/t.txt" --content-type text/plain >/dev/null &&
sc template add t2 "$W/t2.txt" --content-type text/plain \
	--vendor never.example >/dev/null &&
sc var set global g g-0 >/dev/null &&
sc var set vendor "$V" v v-0 >/dev/null &&
sc var set model "$V/$MOD" m m-0 >/dev/null &&
mk a "$MA" "$PWA" && mk b "$MB_" "$PWB" && mk c "$MC" "$PWC" ||
	{ echo "Bail out! cannot make the store"; exit 99; }

# dev TAG: D_MAC, D_USER, D_PW of device a, b or c.
dev() {
	case $1 in
	a) D_MAC=$MA D_PW=$PWA ;;
	b) D_MAC=$MB_ D_PW=$PWB ;;
	c) D_MAC=$MC D_PW=$PWC ;;
	esac
	D_USER=u$1
}
# get TAG [curl args]: one GET (Basic: one request) of the device with its
# own credentials; body in $W/TAG.body, headers in $W/TAG.h; prints the
# status.
get() {
	t=$1; shift
	dev "$t"
	: > "$W/$t.body"
	c -o "$W/$t.body" -D "$W/$t.h" -w '%{http_code}' -u "$D_USER:$D_PW" \
		"$@" "$BASE?sfua-id=$(urn "$D_MAC")&sfua-user=$D_USER" 2>/dev/null
}
# fill TAG: GET the device (its answer is then cached), keep the body and
# ETag to compare with.
fill() {
	s=$(get "$1")
	[ "$s" = 200 ] || ok "GET $1 before the change is 200 (got $s)" 1
	cp "$W/$1.body" "$W/$1.prev"
	PREV_ETAG=$(hdr ETag "$W/$1.h")
}
# after DESCRIPTION TAG NEEDLE: the very next GET of the device is 200,
# with a new ETag and body, and the body has NEEDLE.
after() {
	s=$(get "$2")
	is "$1: next GET is 200" "$s" 200
	contains "$1: visible in the next GET" "$(cat "$W/$2.body")" "$3"
	e=$(hdr ETag "$W/$2.h")
	if [ -n "$e" ] && [ "$e" != "$PREV_ETAG" ] &&
	    ! cmp -s "$W/$2.body" "$W/$2.prev"; then ok "$1: new body and ETag" 0
	else ok "$1: new body and ETag ($PREV_ETAG -> $e)" 1; fi
}

# ------------------------------------------------- the statistics line
STATRE='cache: [0-9]+ answers, [0-9]+ devices, [0-9]+ users, [0-9]+ of [0-9]+ bytes; hits [0-9]+, misses [0-9]+; dropped [0-9]+ by changes, [0-9]+ by the bound; [0-9]+ changes read, [0-9]+ commits touched nothing$'
nstat() { grep -cE "$STATRE" "$W/daemon.err" 2>/dev/null; }
# stats: SIGUSR1, wait (at most 5 s) for the new line in the daemon's log
# ($W/daemon.err, its stderr) and set S_A answers, S_D devices, S_U users,
# S_B bytes, S_M bound, S_H hits, S_X misses, S_C dropped by changes,
# S_L by the bound, S_R changes read, S_K commits that touched nothing.
# All empty when there is no line; a daemon that died of the signal is
# started again (same configuration, new port) so later checks still run.
S_LINES='' UPQ=''
stats() {
	S_LINES=''
	S_A='' S_D='' S_U='' S_B='' S_M='' S_H='' S_X='' S_C='' S_L='' S_R='' S_K=''
	n0=$(nstat)
	kill -USR1 "$DPID" 2>/dev/null || return 1
	i=0
	while [ "$(nstat)" -le "$n0" ]; do
		if ! alive; then
			echo "# sipcfgd died of SIGUSR1; starting it again"
			wait "$DPID" 2>/dev/null
			DPID=
			UPQ=1; up; UPQ=''
			return 1
		fi
		i=$((i + 1))
		[ $i -gt 100 ] && { echo "# no statistics line within 5 s"; return 1; }
		sleep 0.05
	done
	S_LINES=$(($(nstat) - n0))
	line=$(grep -E "$STATRE" "$W/daemon.err" | tail -1)
	# shellcheck disable=SC2046
	set -- $(printf '%s\n' "${line##*cache: }" | tr -c '0-9\n' ' ')
	S_A=$1 S_D=$2 S_U=$3 S_B=$4 S_M=$5 S_H=$6 S_X=$7 S_C=$8 S_L=$9
	S_R=${10} S_K=${11}
	echo "# $line"
}
num() { case ${1:-x} in *[!0-9]*) return 1 ;; esac; }
# delta DESCRIPTION NEW OLD WANT: NEW - OLD is WANT.
delta() {
	if num "$2" && num "$3" && [ $(($2 - $3)) -eq "$4" ]; then ok "$1" 0
	else ok "$1 (got '$3' -> '$2', want +$4)" 1; fi
}
# rel DESCRIPTION A OP B: a numeric comparison of two numbers.
rel() {
	if num "$2" && num "$4" && test "$2" "$3" "$4"; then ok "$1" 0
	else ok "$1 (got '$2' $3 '$4')" 1; fi
}

up
stats
is "SIGUSR1 writes one statistics line" "${S_LINES:-0}" 1
is "the bound is answer_cache_mb MiB" "$S_M" $((MB * 1048576))
is "cache_warm no: no answer rendered before the first GET" "$S_A" 0
ok "daemon alive after SIGUSR1" "$(alive; echo $?)"

# ---------------------------------------- each change in the next GET
fill b; fill c; fill a
sc device set "$MA" --label "label-a2" >/dev/null
after "device label" a "label=label-a2"

fill a
printf 'new-%s\n' "$PWA" | sc user passwd ua --revoke-now >/dev/null
OLD=$PWA PWA=new-$PWA
after "password (--revoke-now)" a "pw=$PWA"
is "password: the old one gets 401 at once" \
	"$(status "$BASE?sfua-id=$(urn "$MA")&sfua-user=ua" -u "ua:$OLD")" 401
is "password: the old one with Digest too" \
	"$(status "$BASE?sfua-id=$(urn "$MA")&sfua-user=ua" --digest -u "ua:$OLD")" 401

fill a
printf 'line-a2\n' | sc line add "$MA" --aor sip:ua2@example.net \
	--username ua2 --display "Second" >/dev/null
after "line added" a "line2=sip:ua2@example.net [Second]"
fill a
sc line rm "$MA" 2 >/dev/null
after "line removed" a "line1=sip:ua@example.net [Line a]"
is "line removed: no line 2" "$(grep -c '^line2=' "$W/a.body")" 0

fill a
sed 's/^tpl=one$/tpl=one-edited/' "$W/t.txt" > "$W/t-edited.txt"
sc template add t "$W/t-edited.txt" --content-type text/plain >/dev/null
after "template body" a "tpl=one-edited"

# A variable in each layer (b is filled too: vendor, model and global
# changes reach every device).
for l in global vendor model profile user device; do
	case $l in
	global)  scope='' n=g ;;
	vendor)  scope=$V n=v ;;
	model)   scope=$V/$MOD n=m ;;
	profile) scope=prof-a n=p ;;
	user)    scope=ua n=u ;;
	device)  scope=$MA n=d ;;
	esac
	fill a
	# shellcheck disable=SC2086
	sc var set $l $scope $n "$n-new" >/dev/null
	after "var in the $l layer" a "$n=$n-new"
done
fill b
sc var set global g g-again >/dev/null
after "global var: every device (b)" b "g=g-again"

fill a
sc profile set prof-a --max-age 777 >/dev/null
s=$(get a)
is "profile max-age: next GET is 200" "$s" 200
is "profile max-age: in the next answer's Cache-Control" \
	"$(hdr Cache-Control "$W/a.h")" "private, max-age=777"
fill a
sc var set profile prof-x p p-x >/dev/null
sc device set "$MA" --profile prof-x >/dev/null
after "device moved to another profile" a "p=p-x"

# A path rule: the vendor path request changes with it.
PB() { echo "https://127.0.0.1:$PORT/prov/k$MA.txt"; }
is "path rule: a name no rule matches yet is 404" \
	"$(status "$(PB)" -u "ua:$PWA")" 404
sc path add 'k{mac}.txt' --template t2 >/dev/null
c -o "$W/p.body" -D "$W/p.h" -u "ua:$PWA" "$(PB)"
is "path rule added: the next vendor path request is 200" "$(code "$W/p.h")" 200
contains "path rule added: with its template" "$(cat "$W/p.body")" "tpl=two"
sc path rm 'k{mac}.txt' >/dev/null
is "path rule removed: the next request is 404" \
	"$(status "$(PB)" -u "ua:$PWA")" 404
sc path add 'k{mac}.txt' >/dev/null
c -o "$W/p.body" -D "$W/p.h" -u "ua:$PWA" "$(PB)"
is "path rule added again without a template: 200" "$(code "$W/p.h")" 200
contains "path rule without a template: the device's own" \
	"$(cat "$W/p.body")" "tpl=one-edited"

# Edits made with the store's shell.
fill a
sql "UPDATE devices SET label = 'shell-label' WHERE mac = '$MA'"
after "store shell: devices.label" a "label=shell-label"
fill a
sql "UPDATE vars SET value = '\"shell-d\"' WHERE layer = 'device' AND name = 'd' AND scope = '$(urn "$MA")'"
after "store shell: vars.value" a "d=shell-d"
fill a
sql "UPDATE lines SET display_name = 'Shell Line' WHERE aor = 'sip:ua@example.net'"
after "store shell: lines.display_name" a "[Shell Line]"

# ----------------------------------------------------------- exactness
# A change to a's own variable: b's next GET is a hit, a's a miss.
fill b; fill a
stats; C0=$S_C R0=$S_R
sc var set device "$MA" d d-exact >/dev/null
stats; H1=$S_H X1=$S_X
is "b's GET after a change to a's device var: 200" "$(get b)" 200
stats
delta "... is a cache hit (hits +1)" "$S_H" "$H1" 1
delta "... and not a miss (misses +0)" "$S_X" "$X1" 0
H2=$S_H X2=$S_X
after "a's own device var" a "d=d-exact"
stats
delta "a's next GET is a miss (misses +1)" "$S_X" "$X2" 1
delta "... not a hit (hits +0)" "$S_H" "$H2" 0
rel "the change was read from the change log" "$S_R" -gt "$R0"
rel "... and dropped a's answer" "$S_C" -gt "$C0"
# One cache for every worker: new connections, whichever thread takes
# them, all hit.
H3=$S_H X3=$S_X
for i in 1 2 3 4 5 6; do get a >/dev/null; done
stats
delta "six GETs on new connections: all hits (shared by the workers)" "$S_H" "$H3" 6
delta "... no misses" "$S_X" "$X3" 0
rel "the cache holds answers, devices and users" \
	"$(( ${S_A:-0} > 0 && ${S_D:-0} > 0 && ${S_U:-0} > 0 ))" -eq 1
rel "bytes within the bound" "$S_B" -le "$S_M"

# ------------------------------------------ bookkeeping drops nothing
seenb() {
	sql "SELECT coalesce((SELECT fetches FROM device_seen s
	    JOIN devices d ON d.id = s.device_id WHERE d.mac = '$MB_'), 0)" 2>/dev/null
}
fill a
stats; C0=$S_C K0=$S_K
nb=$(seenb)
for i in 1 2 3; do get b >/dev/null; done
i=0
# At least: fetches of b made before may be committed in the same flush.
while [ "$(seenb)" -lt $((nb + 3)) ] && [ $i -lt 100 ]; do
	sleep 0.1; i=$((i + 1)); done
rel "the bookkeeping writer committed b's fetches" "$(seenb)" -ge $((nb + 3))
stats; H1=$S_H X1=$S_X
is "a's GET after the bookkeeping commits: 200" "$(get a)" 200
cmp -s "$W/a.body" "$W/a.prev"; ok "... same body" $?
stats
delta "... a cache hit" "$S_H" "$H1" 1
delta "... no miss" "$S_X" "$X1" 0
delta "bookkeeping dropped nothing (dropped by changes unchanged)" "$S_C" "$C0" 0
if [ -n "$PGDB" ]; then
	# Only a transaction that appends to the change log is announced
	# (NOTIFY sipcfg_changes): the feed was not even woken.
	delta "... and did not wake the feed (no NOTIFY for bookkeeping)" "$S_K" "$K0" 0
else
	rel "... and was counted as commits that touched nothing" "$S_K" -gt "$K0"
fi

# ----------------------------------------------------------- deletion
fill c
sc device rm "$MC" >/dev/null
is "device rm: next GET (Digest) is 404" "$(get c --digest)" 404
s=$(get c)
ok "device rm: next GET (Basic) is refused ($s)" "$([ "$s" = 401 ] || [ "$s" = 404 ]; echo $?)"
ok "daemon alive" "$(alive; echo $?)"
down

# ------------------------------------- cache_warm yes (a small store)
DCONF="answer_cache_mb $MB|cache_warm yes"
up
i=0
while stats && [ "${S_A:-0}" -lt 2 ] && [ $i -lt 40 ]; do
	sleep 0.1; i=$((i + 1)); done
rel "cache_warm yes: both active devices rendered at start-up" "$S_A" -ge 2
H1=$S_H X1=$S_X
is "cache_warm yes: a's first GET is 200" "$(get a)" 200
stats
delta "... a hit" "$S_H" "$H1" 1
delta "... no miss" "$S_X" "$X1" 0

# ------------------------------------------ the realm and the domain
# (last on this store: they lock every user out until `user passwd`)
# The store's realm is in every answer (user.realm) and in the challenge.
fill b
sc init --realm realm-2 --force >/dev/null 2>&1
# On PostgreSQL the change reaches the daemon by its LISTEN, a moment
# after the commit (sipcfgd(8), RUNNING SEVERAL INSTANCES): there, ask
# again for up to 3 s; on SQLite the first challenge must have it.
i=0; tries=0; [ -n "$PGDB" ] && tries=30
while :; do
	c -o /dev/null -D "$W/ch" "$BASE?sfua-id=$(urn "$MB_")&sfua-user=ub"
	hdr WWW-Authenticate "$W/ch" | grep -q 'realm="realm-2"' && break
	[ $i -ge $tries ] && break
	i=$((i + 1)); sleep 0.1
done
contains "store realm: the next challenge has it" "$(hdr WWW-Authenticate "$W/ch")" 'realm="realm-2"'
is "store realm: the old HA1 is no good now (401)" "$(get b)" 401
printf 'new-%s\n' "$PWB" | sc user passwd ub --revoke-now >/dev/null
PWB=new-$PWB
after "store realm: after user passwd" b "realm=realm-2"
# A domain's realm reaches sipcfgd on SIGHUP (sipcfg.1): its users are
# moved to it, so Digest works again once the password is set again.
sc domain set default --realm dom-realm --force >/dev/null 2>&1
kill -HUP "$DPID"
i=0
while ! c -o /dev/null -D - "$BASE?sfua-id=$(urn "$MB_")&sfua-user=ub" |
    grep -q 'realm="dom-realm"' && [ $i -lt 50 ]; do
	sleep 0.1; i=$((i + 1)); done
ok "domain realm: challenged with it after SIGHUP" "$([ $i -lt 50 ]; echo $?)"
is "domain realm: Digest with the old HA1 fails" "$(get b --digest)" 401
printf 'dom-%s\n' "$PWB" | sc user passwd ub --revoke-now >/dev/null
PWB=dom-$PWB
is "domain realm: Digest after user passwd is 200" "$(get b --digest)" 200

down

# ------------------------------------------------------------ the bound
# 2,000 devices of about 1 KiB each in 1 MiB: answers are evicted, every
# fetch still gets its own device's answer.
N=2000
awk -v n=$N 'BEGIN {
	print "device,vendor,model,label,user,password"
	for (i = 1; i <= n; i++)
		printf "%s,%s,%s,bulk-%d,bulk%d,bpw%d\n",
		    sprintf("02ff%08x", i), "examplecorp.com", "HypoComm", i, i, i
}' > "$W/bulk.csv"
sc import "$W/bulk.csv" >/dev/null; ok "import of $N devices" $?
sc var set global filler "$(awk 'BEGIN { for (i = 0; i < 1000; i++) printf "x" }')" >/dev/null
DCONF="answer_cache_mb 1|cache_warm no"
up
mkdir "$W/bulk"
awk -v n=$N -v port="$PORT" -v ca="$CERT" -v d="$W/bulk" 'BEGIN {
	for (i = 1; i <= n; i++) {
		printf "url = \"https://127.0.0.1:%s/cfg?sfua-id=urn:uuid:00000000-0000-1000-8000-%s&sfua-user=bulk%d\"\n",
		    port, sprintf("02ff%08x", i), i
		printf "user = \"bulk%d:bpw%d\"\noutput = \"%s/%d\"\n", i, i, d, i
		printf "cacert = \"%s\"\nsilent\nwrite-out = \"%%{http_code}\\n\"\n", ca
		if (i < n) print "next"
	}
}' > "$W/bulk.curl"
curl -K "$W/bulk.curl" > "$W/bulk.codes" 2>"$W/bulk.err"
is "all $N fetches are 200" "$(grep -c '^200$' "$W/bulk.codes")" $N
# Each body is its own device's, with the filler (about 1 KiB).
bad_bodies=$(cd "$W/bulk" && ls | awk -v d="$W/bulk" '{
	f = d "/" $0; ok = 0; sz = 0
	while ((getline l < f) > 0) {
		sz += length(l) + 1
		if (l == "label=bulk-" $0) ok = 1
	}
	close(f)
	if (!ok || sz < 1000) bad++
} END { print bad + 0 }')
is "every body is its own device's, about 1 KiB" "$bad_bodies" 0
is "one body per device" "$(ls "$W/bulk" | wc -l | tr -d ' ')" $N
# The first device's answer was evicted long ago: asked again, it is
# rendered again, right.
c -o "$W/first" -D "$W/first.h" -u bulk1:bpw1 \
	"$BASE?sfua-id=urn:uuid:00000000-0000-1000-8000-02ff00000001&sfua-user=bulk1"
is "the first device again: 200" "$(code "$W/first.h")" 200
contains "... with its own answer" "$(cat "$W/first")" "label=bulk-1
"
stats
is "answer_cache_mb 1: the bound is 1 MiB" "$S_M" 1048576
rel "answer_cache_mb 1: bytes within the bound" "$S_B" -le "$S_M"
rel "answer_cache_mb 1: answers dropped by the bound" "$S_L" -gt 0
rel "answer_cache_mb 1: fewer answers kept than devices fetched" "$S_A" -lt $N
down

# answer_cache_mb 0: no cache at all.
DCONF="answer_cache_mb 0|cache_warm no"
up
for i in 1 2 3; do
	c -o /dev/null -u bulk1:bpw1 "$BASE?sfua-id=urn:uuid:00000000-0000-1000-8000-02ff00000001&sfua-user=bulk1"
done
stats
is "answer_cache_mb 0: no hits" "$S_H" 0
is "answer_cache_mb 0: nothing kept" "$S_A $S_B" "0 0"
down
done_testing
