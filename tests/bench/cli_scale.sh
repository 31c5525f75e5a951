#!/bin/bash
# cli_scale.sh: the admin CLI on a store of N devices, each with its own
# user (issue 11: `device show|add|set|rm` under 50 ms, `device list`
# streamed, at N = 1,000,000).  A benchmark, not a test: it is not part
# of `make check`, and the figures never make it fail.  It exits non-zero
# only if the set-up fails (with a message saying what).
#
# usage: tests/bench/cli_scale.sh [PEER-SIPCFG]
# environment:
#   N        devices (default 1000000)
#   SIPCFG   the sipcfg measured (default ./sipcfg, from the build tree)
#   KEEP=1   keep the work directory
#
# The store is made with `sipcfg init` and loaded with plain SQL in one
# transaction through the sqlite3 shell (so the store's triggers run:
# change log, monitor tokens, audit).  With PEER-SIPCFG (an older build,
# e.g. one from before issue 11), the store is made and timed with the
# peer first; then SIPCFG opens it (migrating it to its own schema
# version) and is timed on the same rows, and the ratios are printed.
# Each figure is the best of three runs of the command, wall clock.
set -u
N=${N:-1000000}
SIPCFG=${SIPCFG:-./sipcfg}
PEER=${1:-}
W=$(mktemp -d /tmp/cli_scale.XXXXXX) || exit 1
DB=$W/store.db
trap '[ "${KEEP:-0}" = 1 ] && echo "kept $W" || rm -rf "$W"' EXIT

die() { echo "cli_scale.sh: $*" >&2; exit 1; }
command -v sqlite3 >/dev/null || die "needs the sqlite3 shell"
[ -x "$SIPCFG" ] || die "$SIPCFG: not built (make -j2)"
[ -z "$PEER" ] || [ -x "$PEER" ] || die "$PEER: not executable"
MAKER=${PEER:-$SIPCFG}

# A command that takes longer than this many seconds is stopped and
# shown as ">LIMIT" (a full scan per device, O(N^2), never ends at 10^6).
TIMEOUT=${TIMEOUT:-60}

# The best of three wall-clock times of a command, in ms.
best_ms() {
	local best= t0 t1 ms i rc
	for i in 1 2 3; do
		t0=$(date +%s%N)
		timeout "$TIMEOUT" "$@" >/dev/null 2>"$W/err"
		rc=$?
		t1=$(date +%s%N)
		[ $rc = 124 ] && { echo ">$((TIMEOUT * 1000))"; return; }
		[ $rc = 0 ] || { cat "$W/err" >&2; die "failed: $*"; }
		ms=$(( (t1 - t0) / 1000000 ))
		[ -z "$best" ] || [ "$ms" -lt "$best" ] && best=$ms
	done
	echo "$best"
}

"$MAKER" -d "$DB" init >/dev/null || die "sipcfg init failed"
echo "loading $N devices, each with its own user (sqlite3 shell, one transaction)"
t0=$(date +%s%N)
sqlite3 "$DB" <<EOF || die "loading failed"
PRAGMA foreign_keys = ON;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
INSERT INTO users(id, name, realm, ha1_md5, ha1_sha256)
SELECT i, printf('u%07d', i), 'sipcfg', printf('%032x', i),
    printf('%064x', i) FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
INSERT INTO devices(id, sfua_id, mac, vendor, model, user_id)
SELECT i, printf('urn:uuid:00000000-0000-1000-8000-%012x', i),
    printf('%012x', i), CASE i % 3 WHEN 0 THEN 'yealink.com'
    WHEN 1 THEN 'polycom.com' ELSE 'snom.com' END,
    printf('m%d', i % 7), i FROM n;
COMMIT;
EOF
t1=$(date +%s%N)
echo "loaded in $(( (t1 - t0) / 1000000 )) ms"

MID=$(printf 'urn:uuid:00000000-0000-1000-8000-%012x' $((N / 2)))
MIDMAC=$(printf '%012x' $((N / 2 + 1)))
NEWDEV=urn:uuid:00000000-0000-1000-8000-ffffffffff01

# One run of every figure with one sipcfg: name=ms lines.
measure() {
	local s=$1 lim
	# The first command also migrates the store to s's schema version.
	"$s" -d "$DB" device show "$MID" >/dev/null || die "$s: device show failed"
	echo "show=$(best_ms "$s" -d "$DB" device show "$MID")"
	echo "show_mac=$(best_ms "$s" -d "$DB" device show "$MIDMAC")"
	echo "set=$(best_ms "$s" -d "$DB" device set "$MID" --label bench)"
	# add and rm alternate, so each add has a device to make.
	local a r t0 t1 rc best_a= best_r=
	for i in 1 2 3; do
		t0=$(date +%s%N)
		timeout "$TIMEOUT" "$s" -d "$DB" device add "$NEWDEV" \
		    --user u0000001 >/dev/null 2>&1
		rc=$?
		t1=$(date +%s%N); a=$(( (t1 - t0) / 1000000 ))
		if [ $rc = 124 ]; then
			best_a=">$((TIMEOUT * 1000))"
			# Stopped before its commit: rm needs the device.
			sqlite3 "$DB" "INSERT INTO devices(sfua_id) \
			    VALUES ('$NEWDEV')" || die "cannot add $NEWDEV"
		elif [ $rc != 0 ]; then
			die "$s: device add failed"
		fi
		t0=$(date +%s%N)
		"$s" -d "$DB" device rm "$NEWDEV" >/dev/null ||
		    die "$s: device rm failed"
		t1=$(date +%s%N); r=$(( (t1 - t0) / 1000000 ))
		case $best_a in
		'>'*) ;;
		*) [ -z "$best_a" ] || [ "$a" -lt "$best_a" ] && best_a=$a ;;
		esac
		[ -z "$best_r" ] || [ "$r" -lt "$best_r" ] && best_r=$r
	done
	echo "add=$best_a"
	echo "rm=$best_r"
	if "$s" -d "$DB" device list --limit 1 >/dev/null 2>&1; then
		echo "list10=$(best_ms "$s" -d "$DB" device list --limit 10)"
		echo "list10_user=$(best_ms "$s" -d "$DB" device list \
		    --user u0500000 --limit 10)"
	else
		# No --limit: the whole listing is read, then cut.
		echo "list10=$(best_ms sh -c "'$s' -d '$DB' device list | head -n 11")"
		echo "list10_user=-"
	fi
}

row() {
	printf '%-34s %10s %10s %8s\n' "$@"
}

if [ -n "$PEER" ]; then
	measure "$PEER" > "$W/peer" || exit 1
fi
measure "$SIPCFG" > "$W/this" || exit 1

echo
echo "N=$N devices, best of 3, ms"
row "command" "${PEER:+peer}" "this" "${PEER:+ratio}"
for k in show show_mac set add rm list10 list10_user; do
	t=$(sed -n "s/^$k=//p" "$W/this")
	p=
	ratio=
	if [ -n "$PEER" ]; then
		p=$(sed -n "s/^$k=//p" "$W/peer")
		case "$p$t" in
		*-*) ratio=- ;;
		'>'*) ratio="$p/$t" ;;
		*) ratio=$(awk -v p="$p" -v t="$t" 'BEGIN {
			printf "%.0fx", (t > 0 ? p / t : p) }') ;;
		esac
	fi
	case $k in
	show) what="device show URN" ;;
	show_mac) what="device show MAC" ;;
	set) what="device set URN --label" ;;
	add) what="device add URN --user" ;;
	rm) what="device rm URN" ;;
	list10) what="device list --limit 10" ;;
	list10_user) what="device list --user U --limit 10" ;;
	esac
	row "$what" "$p" "$t" "$ratio"
done
