#!/bin/bash
# api.sh: the admin REST API (issue 14 §2) on a store of N devices, each
# with its own user and line: how long a list page of devices and of
# users takes at the start, the middle and the end of the store (by
# offset and by keyset; devices with their drift and subscriptions, and
# drift, by keyset), a device read and change (GET for the ETag,
# PATCH with If-Match) and a user read and password change for random
# devices and users, the same reads and changes made with the CLI, a
# process per call, as the peer, and the daemon's peak RSS.  A benchmark,
# not a test: timings never make it fail; it exits non-zero only when the
# set-up fails.
#
# usage: tests/bench/api.sh
# environment:
#   N       devices (default 100000)
#   K       random devices read and changed (default 200)
#   STORE   a postgresql:// URI instead of a SQLite file in the work dir
#   KEEP=1  keep the work directory
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
SIPCFG=${SIPCFG:-$top/sipcfg}
SIPCFGD=${SIPCFGD:-$top/sipcfgd}
N=${N:-100000}
K=${K:-200}
W=$(mktemp -d "${TMPDIR:-/tmp}/sipcfg-bench-api.XXXXXX")
DPID=
cleanup() {
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	[ -n "${KEEP:-}" ] && echo "work dir: $W" || rm -rf "$W"
}
trap cleanup EXIT
die() { echo "api.sh: $*" >&2; exit 1; }
for t in curl openssl python3; do
	command -v $t >/dev/null || die "$t not found"
done
STORE=${STORE:-$W/store.db}
sc() { "$SIPCFG" -d "$STORE" "$@"; }
now() { date +%s.%N; }
ms() { python3 -c "print('%.2f' % (($2 - $1) * 1000 / $3))"; }

# The store: N devices, each with its own user (and password) and line.
sc init >/dev/null || die "sipcfg init"
sc template add generic "$top/templates/generic.xml" >/dev/null ||
	die "template add"
python3 - "$N" > "$W/devices.csv" <<'EOF'
import sys
n = int(sys.argv[1])
print("device,vendor,model,user,password,line1.aor,line1.username,line1.password")
for i in range(n):
	mac = "%012x" % (0x020000000000 + i)
	print("%s,examplecorp.com,HypoComm,u%d,pw-%d-x,sip:u%d@example.net,u%d,lp-%d" % (mac, i, i, i, i, i))
EOF
t0=$(now)
sc import "$W/devices.csv" >/dev/null || die "import of $N devices"
t1=$(now)
printf 'store: %d devices, users and lines imported in %.1f s\n' "$N" \
    "$(python3 -c "print($t1 - $t0)")"
TOK=$(sc token add bench --scope write) || die "token add"
"$top/certs/mkcert.sh" "$W" localhost >/dev/null || die "mkcert"
cat > "$W/sipcfgd.conf" <<EOF
store $STORE
cert $W/cert.pem
key $W/key.pem
listen 127.0.0.1:0
admin_listen 127.0.0.1:0
access_log off
EOF
"$SIPCFGD" -f "$W/sipcfgd.conf" > "$W/out" 2> "$W/err" &
DPID=$!
for i in $(seq 100); do grep -q '^sipcfgd: ready' "$W/out" && break; sleep 0.1; done
A=$(sed -n 's|^sipcfgd: admin ||p' "$W/out")
[ -n "$A" ] || die "no admin listener: $(cat "$W/err")"
H="Authorization: Bearer $TOK"
c() { curl -sS --cacert "$W/cert.pem" -H "$H" "$@"; }

# List pages: one connection, 5 pages each, the mean.
for off in 0 $((N / 2)) $((N - 100)); do
	urls=
	for i in 1 2 3 4 5; do urls="$urls -o /dev/null $A/api/v1/devices?limit=100&offset=$off"; done
	t=$(c -w '%{time_total}\n' $urls |
	    python3 -c 'import sys; v=[float(x) for x in sys.stdin]; print("%.2f" % (sum(v) / len(v) * 1000))')
	printf 'GET /api/v1/devices?limit=100&offset=%-8d %8s ms\n' "$off" "$t"
done

# The same depths by keyset (after=, what the API's next link uses).
for off in 0 $((N / 2)) $((N - 100)); do
	id=$(sc --json device list --offset "$off" --limit 1 |
	    python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"] - 1)')
	[ "$id" -gt 0 ] || id=
	urls=
	for i in 1 2 3 4 5; do
		urls="$urls -o /dev/null $A/api/v1/devices?limit=100${id:+&after=$id}"
	done
	t=$(c -w '%{time_total}\n' $urls |
	    python3 -c 'import sys; v=[float(x) for x in sys.stdin]; print("%.2f" % (sum(v) / len(v) * 1000))')
	printf 'GET /api/v1/devices?limit=100&after=%-9s %8s ms  (row %d)\n' "${id:-}" "$t" "$off"
done

# The same keyset pages with status=true (each row's drift and live
# subscriptions, what the console's device list shows), and drift pages.
for off in 0 $((N / 2)) $((N - 100)); do
	id=$(sc --json device list --offset "$off" --limit 1 |
	    python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"] - 1)')
	[ "$id" -gt 0 ] || id=
	for what in "devices?status=true&limit=100" "drift?limit=100"; do
		urls=
		for i in 1 2 3 4 5; do
			urls="$urls -o /dev/null $A/api/v1/$what${id:+&after=$id}"
		done
		t=$(c -w '%{time_total}\n' $urls |
		    python3 -c 'import sys; v=[float(x) for x in sys.stdin]; print("%.2f" % (sum(v) / len(v) * 1000))')
		printf 'GET /api/v1/%-29s %8s ms  (after row %d)\n' "$what" "$t" "$off"
	done
done

# Random devices: K reads on one connection; K changes (GET + PATCH).
python3 -c "
import random
random.seed(7)
for i in random.sample(range($N), $K): print('%012x' % (0x020000000000 + i))" > "$W/pick"
# The API client, as a billing system runs one: one keep-alive TLS
# connection; K reads of random resources (GET, checked), then K changes
# (a GET for the ETag, then METHOD PATH/KEY[SUFFIX] with If-Match and
# BODY, where {} is the key).  Prints the mean ms of a read and a change.
cat > "$W/client.py" <<'PYBENCH'
import http.client, json, ssl, sys, time, urllib.parse
a, tok, ca, pick, base, key, method, suffix, body = sys.argv[1:]
u = urllib.parse.urlsplit(a)
ctx = ssl.create_default_context(cafile=ca)
ctx.check_hostname = False
c = http.client.HTTPSConnection(u.hostname, u.port, context=ctx)
h = {"Authorization": "Bearer " + tok}
keys = [l.strip() for l in open(pick) if l.strip()]
def get(k):
	c.request("GET", base + k, headers=h)
	r = c.getresponse(); b = r.read()
	assert r.status == 200, r.status
	assert not key or json.loads(b)[key] == k, b[:200]
	return r.getheader("ETag")
t0 = time.monotonic()
for k in keys:
	get(k)
t1 = time.monotonic()
for k in keys:
	e = get(k)
	c.request(method, base + k + suffix, body=body.replace("{}", k),
	    headers=dict(h, **{"If-Match": e, "Content-Type": "application/json"}))
	r = c.getresponse(); r.read()
	assert r.status == 200, r.status
t2 = time.monotonic()
print("%.2f %.2f" % ((t1 - t0) * 1000 / len(keys), (t2 - t1) * 1000 / len(keys)))
PYBENCH
client() { python3 "$W/client.py" "$A" "$TOK" "$W/cert.pem" "$@"; }
read -r API_READ API_CHANGE <<EOF2
$(client "$W/pick" /api/v1/devices/ "" PATCH "" '{"label":"bench"}')
EOF2
[ -n "${API_CHANGE:-}" ] || die "the API client failed"
[ "$(sc --json device show "$(head -1 "$W/pick")" | python3 -c 'import json,sys; print(json.load(sys.stdin)["label"])')" = bench ] ||
	die "the PATCH did not reach the store"

# The peer: the same read and change with the CLI, a process per call.
t0=$(now); while read -r d; do sc --json device show "$d" >/dev/null; done < "$W/pick"; t1=$(now)
CLI_READ=$(ms "$t0" "$t1" "$K")
t0=$(now); while read -r d; do sc device set "$d" --label cli >/dev/null; done < "$W/pick"; t1=$(now)
CLI_CHANGE=$(ms "$t0" "$t1" "$K")
printf 'device read   (%d random):  API %6s ms   CLI %6s ms   API/CLI %s\n' \
    "$K" "$API_READ" "$CLI_READ" "$(python3 -c "print('%.2f' % ($API_READ / $CLI_READ))")"
printf 'device change (%d random):  API %6s ms   CLI %6s ms   API/CLI %s\n' \
    "$K" "$API_CHANGE" "$CLI_CHANGE" "$(python3 -c "print('%.2f' % ($API_CHANGE / $CLI_CHANGE))")"
echo "(API: one keep-alive TLS connection; a change is a GET for the ETag and a PATCH"
echo " with If-Match.  CLI: a process per call, as scripts run it, each its own commit)"

# Users: a fleet has one per phone.  Pages by offset and by keyset
# (after= the last name, what the API's next link uses), then random
# users read (GET, for the ETag) and changed (a new password with
# If-Match), against the CLI doing the same.
for off in 0 $((N / 2)) $((N - 100)); do
	# The page at row off follows the name at off - 1.
	name=
	[ "$off" -gt 0 ] && name=$(sc --json user list --offset $((off - 1)) --limit 1 |
	    python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["name"])')
	for how in offset after; do
		if [ $how = offset ]; then q="offset=$off"; else q="after=$name"; fi
		[ "$q" = after= ] && q=
		urls=
		for i in 1 2 3 4 5; do urls="$urls -o /dev/null $A/api/v1/users?limit=100${q:+&$q}"; done
		t=$(c -w '%{time_total}\n' $urls |
		    python3 -c 'import sys; v=[float(x) for x in sys.stdin]; print("%.2f" % (sum(v) / len(v) * 1000))')
		printf 'GET /api/v1/users?limit=100&%-16s %8s ms  (row %d)\n' "$q" "$t" "$off"
	done
done
python3 -c "
import random
random.seed(11)
for i in random.sample(range($N), $K): print('u%d' % i)" > "$W/upick"
read -r UAPI_READ UAPI_CHANGE <<EOF2
$(client "$W/upick" /api/v1/users/ name POST /password '{"password":"bench-{}"}')
EOF2
[ -n "${UAPI_CHANGE:-}" ] || die "the API client failed on users"
t0=$(now); while read -r n; do sc --json user show "$n" >/dev/null; done < "$W/upick"; t1=$(now)
UCLI_READ=$(ms "$t0" "$t1" "$K")
t0=$(now); while read -r n; do echo "cli-$n" | sc user passwd "$n" >/dev/null; done < "$W/upick"; t1=$(now)
UCLI_CHANGE=$(ms "$t0" "$t1" "$K")
printf 'user read     (%d random):  API %6s ms   CLI %6s ms   API/CLI %s\n' \
    "$K" "$UAPI_READ" "$UCLI_READ" "$(python3 -c "print('%.2f' % ($UAPI_READ / $UCLI_READ))")"
printf 'user passwd   (%d random):  API %6s ms   CLI %6s ms   API/CLI %s\n' \
    "$K" "$UAPI_CHANGE" "$UCLI_CHANGE" "$(python3 -c "print('%.2f' % ($UAPI_CHANGE / $UCLI_CHANGE))")"
printf 'sipcfgd peak RSS after all of it: %s\n' "$(awk '/^VmHWM/ { printf "%.0f MB", $2 / 1024 }' /proc/$DPID/status)"
