#!/bin/sh
# vendor: the file names legacy phones ask for (BRIEF.md §3), under the
# vendor_paths prefix.  For each shipped vendor path: a fetch with that
# vendor's real User-Agent gets its device's configuration, a wrong
# password 401, revalidation 304 with the same ETag and the monitor Link;
# an unknown MAC per policy; what the User-Agent says is recorded.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
need_sql
sc init --realm test-realm >/dev/null &&
sc template add generic "$top_srcdir/templates/generic.xml" >/dev/null ||
	{ echo "Bail out! store"; exit 99; }

# vendor  MAC (as the store has it)  file name (as the phone asks)  User-Agent
cat > "$W/phones" <<'T'
yealink.com|001565aabb01|001565aabb01.cfg|Yealink SIP-T46S 66.86.0.15 00:15:65:aa:bb:01
polycom.com|0004f2aabb02|0004F2AABB02-phone.cfg|FileTransport PolycomVVX-VVX_410-UA/5.9.0.9373 (SN:0004f2aabb02) Type/Application
polycom.com|0004f2aabb03|0004f2aabb03.cfg|FileTransport PolycomVVX-VVX_450-UA/6.3.1.8427 (SN:0004f2aabb03) Type/Application
snom.com|000413aabb04|snomD785-000413AABB04.htm|Mozilla/4.0 (compatible; snomD785-SIP 10.1.54.13 1.1.3-u)
grandstream.com|000b82aabb05|cfg000b82aabb05.xml|Grandstream Model HW GXP2170 SW 1.0.9.135 DevId 000b82aabb05
panasonic.com|0080f0aabb06|Config0080F0AABB06.cfg|Panasonic_KX-UTG300/01.133 (0080f0aabb06)
cisco.com|0018b9aabb07|spa0018b9aabb07.xml|Cisco/SPA504G-7.5.5 (0018b9aabb07)(CCQ1234567)
T
i=0
while IFS='|' read -r vendor mac file ua; do
	i=$((i + 1))
	printf 'pw%d\n' $i | sc user add "u$i" >/dev/null
	sc device add "$mac" --vendor "$vendor" --user "u$i" >/dev/null
	printf 'line%d\n' $i | sc line add "$mac" --aor "sip:u$i@example.net" \
		--username "u$i" >/dev/null
done < "$W/phones"
P1=$(free_port) || exit 99
start_daemon "sip_listen sip:127.0.0.1:$P1" "sip_host 127.0.0.1"
PB="https://127.0.0.1:$PORT/prov"

# Bad input first.
is "a name no rule matches: 404" "$(status "$PB/phone.cfg" --digest -u u1:pw1)" 404
is "a path below the prefix: 404" "$(status "$PB/a/001565aabb01.cfg" --digest -u u1:pw1)" 404
is "an empty name: 404" "$(status "$PB/" --digest -u u1:pw1)" 404
is "the prefix alone: 404" "$(status "https://127.0.0.1:$PORT/prov" --digest -u u1:pw1)" 404
is "an unknown MAC (deny): 404" "$(status "$PB/0015650000ff.cfg" --digest -u u1:pw1)" 404
is "another device's user: 403" "$(status "$PB/001565aabb01.cfg" --digest -u u2:pw2)" 403
is "POST: 405" "$(status "$PB/001565aabb01.cfg" -X POST --digest -u u1:pw1)" 405

i=0
while IFS='|' read -r vendor mac file ua; do
	i=$((i + 1))
	v=${vendor%%.*}
	is "$v $file: no credentials, 401" "$(status "$PB/$file" -A "$ua")" 401
	is "$v $file: wrong password, 401" \
		"$(status "$PB/$file" -A "$ua" --digest -u "u$i:nope")" 401
	c -o "$W/body" -D "$W/h" -A "$ua" --digest -u "u$i:pw$i" "$PB/$file"
	is "$v $file: 200 with Digest" "$(code "$W/h")" 200
	contains "$v $file: its own device's configuration" "$(cat "$W/body")" \
		"urn:uuid:00000000-0000-1000-8000-$mac"
	e=$(hdr ETag "$W/h")
	contains "$v $file: monitored like the standard path (Link)" \
		"$(hdr Link "$W/h")" "rel=\"monitor\""
	c -o /dev/null -D "$W/h" -A "$ua" -u "u$i:pw$i" -H "If-None-Match: $e" \
		"$PB/$file"
	is "$v $file: Basic, revalidated: 304" "$(code "$W/h")" 304
	is "$v $file: same ETag" "$(hdr ETag "$W/h")" "$e"
done < "$W/phones"

# The standard path and the vendor path give the same bytes and ETag.
c -o "$W/std" -D "$W/h1" --digest -u u1:pw1 \
	"$BASE?sfua-id=urn:uuid:00000000-0000-1000-8000-001565aabb01&sfua-user=u1"
c -o "$W/ven" -D "$W/h2" --digest -u u1:pw1 "$PB/00:15:65:AA:BB:01.cfg"
is "MAC with colons, upper case: 200" "$(code "$W/h2")" 200
is "standard and vendor path: same ETag" "$(hdr ETag "$W/h2")" "$(hdr ETag "$W/h1")"
ok "and same bytes" "$(cmp -s "$W/std" "$W/ven"; echo $?)"

# A rule with its own template.
printf 'kind=forced\nmac={{device.mac}}\n' | sc template add forced - \
	--content-type text/plain >/dev/null
sc path add 'x{mac}.txt' --template forced >/dev/null; ok "path add with a template" $?
c -o "$W/body" -D "$W/h" --digest -u u1:pw1 "$PB/x001565aabb01.txt"
is "its template is used" "$(cat "$W/body")" "kind=forced
mac=001565aabb01"
is "with its content type" "$(hdr Content-Type "$W/h")" text/plain

# Bookkeeping: the fetch and its User-Agent are recorded.
sleep 1.2
is "last User-Agent recorded" \
	"$(sql "SELECT last_ua FROM device_seen s JOIN devices d ON d.id = s.device_id WHERE d.mac = '0080f0aabb06'")" \
	"Panasonic_KX-UTG300/01.133 (0080f0aabb06)"
is "and what it says: model and firmware" \
	"$(sql "SELECT ua_vendor || ' ' || ua_model || ' ' || ua_firmware FROM device_seen s JOIN devices d ON d.id = s.device_id WHERE d.mac = '0080f0aabb06'")" \
	"panasonic.com KX-UTG300 01.133"
is "for every vendor" \
	"$(sql "SELECT ua_model || '/' || ua_firmware FROM device_seen ORDER BY device_id" | paste -sd' ' -)" \
	"T46S/66.86.0.15 VVX_410/5.9.0.9373 VVX_450/6.3.1.8427 D785/10.1.54.13 GXP2170/1.0.9.135 KX-UTG300/01.133 SPA504G/7.5.5"
contains "device list shows them" "$(sc device list --json)" '"ua_model": "SPA504G"'
stop_daemon

# Unknown MACs under the other policies.
start_daemon "unknown_device default"
c -o "$W/body" -D "$W/h" "https://127.0.0.1:$PORT/prov/Config0080F0000099.cfg"
is "unknown MAC (default): 200" "$(code "$W/h")" 200
contains "the secret-free default" "$(cat "$W/body")" "not (yet) provisioned"
stop_daemon
start_daemon "unknown_device enroll" "seen_flush_ms 50"
is "unknown MAC (enroll): 200" "$(status "https://127.0.0.1:$PORT/prov/cfg000b82000098.xml")" 200
i=0
while [ -z "$(sql "SELECT state FROM devices WHERE mac = '000b82000098'")" ] &&
	[ $i -lt 60 ]; do i=$((i + 1)); sleep 0.05; done
is "enrolled as pending, with the rule's vendor" \
	"$(sql "SELECT state || ' ' || vendor FROM devices WHERE mac = '000b82000098'")" \
	"pending grandstream.com"
stop_daemon
start_daemon "vendor_paths off"
is "vendor_paths off: 404" "$(status "https://127.0.0.1:$PORT/prov/001565aabb01.cfg" --digest -u u1:pw1)" 404
done_testing
