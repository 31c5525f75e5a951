#!/bin/sh
# templates: the shipped vendor templates (issue 5).  For each vendor, in a
# store of its own: a device with no lines and no variables renders a
# file of the vendor's syntax that registers nothing; with two lines and
# the provisioning variables, each line's AOR user and host, auth user,
# display name and outbound proxy land in the vendor's keys, as do the
# provisioning URL, credentials, resync period, NTP server and time zone;
# the encryption key appears only once set; a secret-free answer carries
# no secret; XML formats escape the display name, and nothing is left
# unrendered.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"

XL=
if command -v xmllint >/dev/null 2>&1; then XL=1; else
	echo "# xmllint not installed (libxml2-utils): XML parse checks skipped"
fi
URL=https://prov.example.com/p/
EK=0f1e2d3c4b5a69788796a5b4c3d2e1f0

# get KEY: the value(s) of KEY in $W/out as written (XML still escaped),
# one line per occurrence, in the syntax of format $FMT.
get() {
	case $FMT in
	yealink)
		awk -v k="$1" 'index($0, k " = ") == 1 {
		    print substr($0, length(k) + 4) }' "$W/out" ;;
	panasonic)
		awk -v k="$1" '{ sub(/\r$/, "") } index($0, k "=\"") == 1 {
		    v = substr($0, length(k) + 3); sub(/"$/, "", v); print v }' \
		    "$W/out" ;;
	polycom)
		awk -v k="$1" '{ sub(/^[ \t]+/, "") } index($0, k "=\"") == 1 {
		    v = substr($0, length(k) + 3); sub(/".*/, "", v); print v }' \
		    "$W/out" ;;
	element)	# "NAME" or "NAME IDX" (Snom's indexed settings)
		set -- $1
		if [ $# -eq 2 ]; then
			sed -n "s|^ *<$1 idx=\"$2\"[^>]*>\(.*\)</$1>\$|\1|p" "$W/out"
		else
			sed -n "s|^ *<$1\( [^>]*\)\{0,1\}>\(.*\)</$1>\$|\2|p" "$W/out"
		fi ;;
	esac
}

# well_formed WHAT: $W/out follows the vendor's file syntax.
well_formed() {
	case $FMT in
	yealink)
		is "$V $1: first line is the version header" \
			"$(head -1 "$W/out")" "#!version:1.0.0.1"
		is "$V $1: every other line is blank, a comment or key = value" \
			"$(sed 1d "$W/out" | grep -cvE '^$|^#|^[a-z0-9_.]+ = ')" 0 ;;
	panasonic)
		is "$V $1: first line is the designated comment" \
			"$(head -1 "$W/out" | cut -c1-44)" \
			"# Panasonic SIP Phone Standard Format File #"
		is "$V $1: every line ends in CR LF" \
			"$(grep -cv "$(printf '\r')\$" "$W/out")" 0
		is "$V $1: every other line is blank, a comment or KEY=\"value\"" \
			"$(sed 1d "$W/out" | tr -d '\r' |
			grep -cvE '^$|^#|^[A-Z0-9_]+="[^"]*"$')" 0
		is "$V $1: ends with an empty line" \
			"$(tail -c 4 "$W/out" | od -An -c | tr -d ' ')" '\r\n\r\n' ;;
	*)
		if [ -n "$XL" ]; then
			xmllint --noout "$W/out" 2>"$W/xerr"
			r=$?
			ok "$V $1: xmllint parses it" $r
			[ $r -eq 0 ] || head -3 "$W/xerr" | sed 's/^/# /'
			is "$V $1: root element" \
				"$(xmllint --xpath 'name(/*)' "$W/out" 2>/dev/null)" "$ROOT"
		fi ;;
	esac
	is "$V $1: nothing left unrendered" "$(grep -c '{{\|}}' "$W/out")" 0
}

render() {	# render [--secret-free]: the device's file into $W/out
	sc render "$MAC" "$@" > "$W/out" 2>"$W/rerr"
	r=$?
	ok "$V: sipcfg render${1:+ $1}" $r
	[ $r -eq 0 ] || sed 's/^/# /' "$W/rerr"
}

# The keys, per vendor: description|key as get() takes it|value as written.
table() {
	case $V in
	yealink) cat <<'T'
line 1 AOR user|account.1.user_name|alice
line 1 AOR host|account.1.sip_server.1.address|example.net
line 1 auth user|account.1.auth_name|alice-auth
line 1 display name (not escaped)|account.1.display_name|A & B <x>
line 1 outbound proxy|account.1.outbound_proxy.1.address|proxy.example.net
line 1 outbound proxy port|account.1.outbound_proxy.1.port|5070
line 2 AOR user|account.2.user_name|bob
line 2 AOR host|account.2.sip_server.1.address|example.org
line 2 auth user|account.2.auth_name|bob-auth
line 2 display name|account.2.display_name|Bob Two
line 2 outbound proxy|account.2.outbound_proxy.1.address|edge.example.org
line 2 outbound proxy has no port|account.2.outbound_proxy.1.port|
provisioning URL|static.auto_provision.server.url|https://prov.example.com/p/
provisioning user|static.auto_provision.server.username|prov-user
provisioning password|static.auto_provision.server.password|prov-pw
periodic resync (minutes)|static.auto_provision.repeat.minutes|1440
check-sync without reboot|sip.notify_reboot_enable|0
NTP server|local_time.ntp_server1|ntp.example.com
time zone (vendor layer)|local_time.time_zone|+1
T
	;;
	polycom) cat <<'T'
line 1 AOR user|reg.1.address|alice
line 1 AOR host|reg.1.server.1.address|example.net
line 1 auth user|reg.1.auth.userId|alice-auth
line 1 display name (escaped)|reg.1.displayName|A &amp; B &lt;x&gt;
line 1 outbound proxy|reg.1.outboundProxy.address|proxy.example.net
line 1 outbound proxy port|reg.1.outboundProxy.port|5070
line 2 AOR user|reg.2.address|bob
line 2 AOR host|reg.2.server.1.address|example.org
line 2 auth user|reg.2.auth.userId|bob-auth
line 2 display name|reg.2.displayName|Bob Two
line 2 outbound proxy|reg.2.outboundProxy.address|edge.example.org
provisioning URL|device.prov.serverName|https://prov.example.com/p/
provisioning over HTTPS|device.prov.serverType|3
provisioning user|device.prov.user|prov-user
provisioning password|device.prov.password|prov-pw
periodic resync (seconds)|prov.polling.period|86400
check-sync without reboot|voIpProt.SIP.specialEvent.checkSync.alwaysReboot|0
check-sync NOTIFY challenged|voIpProt.SIP.requestValidation.1.method|digest
challenged in line 1's realm|voIpProt.SIP.requestValidation.digest.realm|example.net
NTP server|tcpIpApp.sntp.address|ntp.example.com
time zone (vendor layer)|tcpIpApp.sntp.gmtOffset|3600
T
	;;
	snom) cat <<'T'
line 1 AOR user|user_name 1|alice
line 1 AOR host|user_host 1|example.net
line 1 auth user|user_pname 1|alice-auth
line 1 display name (escaped)|user_realname 1|A &amp; B &lt;x&gt;
line 1 outbound proxy|user_outbound 1|proxy.example.net:5070
line 2 AOR user|user_name 2|bob
line 2 AOR host|user_host 2|example.org
line 2 auth user|user_pname 2|bob-auth
line 2 display name|user_realname 2|Bob Two
line 2 outbound proxy|user_outbound 2|edge.example.org
provisioning URL|setting_server|https://prov.example.com/p/snomD785-{mac}.htm
provisioning user|http_client_user|prov-user
provisioning password|http_client_pass|prov-pw
periodic resync (seconds)|settings_refresh_timer|86400
check-sync NOTIFY challenged|challenge_checksync|on
NTP server|ntp_server|ntp.example.com
time zone (vendor layer)|timezone|GER+1
T
	;;
	grandstream) cat <<'T'
account 1 active|P271|1
line 1 AOR user|P35|alice
line 1 AOR host|P47|example.net
line 1 auth user|P36|alice-auth
line 1 display name (escaped)|P3|A &amp; B &lt;x&gt;
line 1 outbound proxy|P48|proxy.example.net:5070
account 1 accepts a SIP reset|P26015|1
account 2 active|P401|1
line 2 AOR user|P404|bob
line 2 AOR host|P402|example.org
line 2 auth user|P405|bob-auth
line 2 display name|P407|Bob Two
line 2 outbound proxy|P403|edge.example.org
account 3 (no line) disabled|P501|0
provisioning URL|P237|https://prov.example.com/p/
provisioning over HTTPS|P212|2
provisioning user|P1360|prov-user
provisioning password|P1361|prov-pw
periodic resync (minutes)|P193|1440
SIP NOTIFY authenticated|P4428|0
NTP server|P30|ntp.example.com
time zone (vendor layer)|P64|CET-1CEST-2,M3.5.0,M10.5.0/3
T
	;;
	panasonic) cat <<'T'
line 1 AOR user|PHONE_NUMBER_1|alice
line 1 AOR host (registrar)|SIP_RGSTR_ADDR_1|example.net
line 1 AOR host (service domain)|SIP_SVCDOMAIN_1|example.net
line 1 auth user|SIP_AUTHID_1|alice-auth
line 1 display name (not escaped)|DISPLAY_NAME_1|A & B <x>
line 1 outbound proxy|SIP_OUTPROXY_ADDR_1|proxy.example.net
line 1 outbound proxy port|SIP_OUTPROXY_PORT_1|5070
line 2 AOR user|PHONE_NUMBER_2|bob
line 2 AOR host (registrar)|SIP_RGSTR_ADDR_2|example.org
line 2 AOR host (service domain)|SIP_SVCDOMAIN_2|example.org
line 2 auth user|SIP_AUTHID_2|bob-auth
line 2 display name|DISPLAY_NAME_2|Bob Two
line 2 outbound proxy|SIP_OUTPROXY_ADDR_2|edge.example.org
provisioning URL|CFG_STANDARD_FILE_PATH|https://prov.example.com/p/Config{MAC}.cfg
provisioning user|HTTP_AUTH_ID|prov-user
provisioning password|HTTP_AUTH_PASSWORD|prov-pw
periodic resync (minutes)|CFG_CYCLIC_INTVL|1440
check-sync accepted|CFG_RESYNC_FROM_SIP|check-sync
NTP server|NTP_ADDR|ntp.example.com
time zone (vendor layer)|TIME_ZONE|60
T
	;;
	cisco-spa) cat <<'T'
line 1 AOR user|User_ID_1_|alice
line 1 AOR host|Proxy_1_|example.net
line 1 auth user|Auth_ID_1_|alice-auth
line 1 display name (escaped)|Display_Name_1_|A &amp; B &lt;x&gt;
line 1 outbound proxy|Outbound_Proxy_1_|proxy.example.net:5070
line 1 resync NOTIFY challenged|Auth_Resync-Reboot_1_|Yes
line 2 AOR user|User_ID_2_|bob
line 2 AOR host|Proxy_2_|example.org
line 2 auth user|Auth_ID_2_|bob-auth
line 2 display name|Display_Name_2_|Bob Two
line 2 outbound proxy|Outbound_Proxy_2_|edge.example.org
provisioning URL and credentials|Profile_Rule|[--uid prov-user --pwd prov-pw]https://prov.example.com/p/spa$MA.xml
periodic resync (seconds)|Resync_Periodic|86400
resync from SIP|Resync_From_SIP|Yes
NTP server|Primary_NTP_Server|ntp.example.com
time zone (vendor layer)|Time_Zone|GMT+01:00
T
	;;
	esac
}

# Where the encryption key goes once set (nothing for Snom: no such key).
keytable() {
	case $V in
	yealink) echo "encryption key|static.auto_provision.aes_key.mac|$EK" ;;
	polycom) echo "encryption key|device.sec.configEncryption.key|$EK" ;;
	grandstream) echo "encryption key|P1359|$EK" ;;
	panasonic)
		echo "encryption key|CFG_FILE_KEY2|$EK"
		echo "encrypted file wanted|CFG_STANDARD_FILE_PATH|${URL}Config{MAC}.e2c" ;;
	cisco-spa)
		echo "encryption key|Profile_Rule|[--uid prov-user --pwd prov-pw --key $EK]${URL}spa\$MA.xml" ;;
	esac
}

check() {	# check TABLE-FUNCTION: every row of the table holds
	$1 > "$W/table"
	while IFS='|' read -r desc key want; do
		is "$V: $desc ($key)" "$(get "$key")" "$want"
	done < "$W/table"
}

# name|file|vendor domain|model|MAC|format|XML root|time zone as the
# vendor writes it|line 1's user key|XPath of line 1's display name
cat > "$W/vendors" <<'T'
yealink|yealink.cfg|yealink.com|T46S|001565aabb01|yealink||+1|account.1.user_name|
polycom|polycom.xml|polycom.com|VVX_410|0004f2aabb02|polycom|polycomConfig|3600|reg.1.address|string(//@*[name()="reg.1.displayName"])
snom|snom.xml|snom.com|D785|000413aabb04|element|settings|GER+1|user_name 1|string(//user_realname[@idx="1"])
grandstream|grandstream.xml|grandstream.com|GXP2170|000b82aabb05|element|gs_provision|CET-1CEST-2,M3.5.0,M10.5.0/3|P35|string(//P3)
panasonic|panasonic.cfg|panasonic.com|KX-UTG300|0080f0aabb06|panasonic||60|PHONE_NUMBER_1|
cisco-spa|cisco-spa.xml|cisco.com|SPA504G|0018b9aabb07|element|flat-profile|GMT+01:00|User_ID_1_|string(//Display_Name_1_)
T

while IFS='|' read -r V FILE VENDOR MODEL MAC FMT ROOT TZ L1KEY XDISP; do
	new_store "$V" || { echo "Bail out! cannot make the $V store"; exit 99; }
	STORE=$NEW_STORE
	sc init --realm test-realm >/dev/null &&
	sc template add "$V" "$top_srcdir/templates/$FILE" \
		--vendor "$VENDOR" >/dev/null &&
	printf 'user-pw\n' | sc user add "u-$V" >/dev/null &&
	sc device add "$MAC" --vendor "$VENDOR" --model "$MODEL" \
		--user "u-$V" >/dev/null ||
	{ echo "Bail out! cannot make the $V store"; exit 99; }

	# Bad input first: no lines, no variables.
	render
	well_formed "no lines, no variables"
	is "$V no lines: line 1 is not configured ($L1KEY)" \
		"$(get "$L1KEY" | grep -c '')" 0
	ukey=$(table | sed -n 's/^provisioning URL[^|]*|\([^|]*\)|.*/\1/p')
	is "$V no variables: no provisioning URL key ($ukey)" \
		"$(get "$ukey" | grep -c '')" 0
	if [ "$V" = grandstream ]; then
		is "$V no lines: account 1 disabled (P271)" "$(get P271)" 0
		is "$V no lines: account 6 disabled (P1801)" "$(get P1801)" 0
	fi

	# Two lines and the operator's variables.
	printf 'alice-sip-pw\n' | sc line add "$MAC" --aor sip:alice@example.net \
		--username alice-auth --proxy sip:proxy.example.net:5070 \
		--display 'A & B <x>' >/dev/null &&
	printf 'bob-sip-pw\n' | sc line add "$MAC" --aor sip:bob@example.org \
		--username bob-auth --proxy sip:edge.example.org \
		--display 'Bob Two' >/dev/null &&
	sc var set global provisioning "{\"url\": \"$URL\", \"user\": \"prov-user\",
	    \"password\": \"prov-pw\", \"resync_minutes\": 1440,
	    \"resync_seconds\": 86400}" >/dev/null &&
	sc var set global ntp_server ntp.example.com >/dev/null &&
	sc var set vendor "$VENDOR" timezone "$TZ" --string >/dev/null ||
	{ echo "Bail out! cannot set up the $V device"; exit 99; }

	render
	well_formed "two lines"
	check table
	is "$V: no encryption key before one is set" \
		"$(grep -c "$EK" "$W/out")" 0
	case $FMT in
	yealink|panasonic)
		contains "$V: display name kept as is (plain text)" \
			"$(cat "$W/out")" "A & B <x>" ;;
	*)
		is "$V: the raw display name does not appear (XML-escaped)" \
			"$(grep -c 'A & B <x>' "$W/out")" 0
		if [ -n "$XL" ]; then
			is "$V: the parsed display name is the stored one" \
				"$(xmllint --xpath "$XDISP" "$W/out" 2>/dev/null)" "A & B <x>"
		fi ;;
	esac

	# The key, set for the vendor: in the full answer only.
	sc var set vendor "$VENDOR" encryption_key "$EK" --string >/dev/null ||
	{ echo "Bail out! var set"; exit 99; }
	render
	well_formed "with a key"
	if [ "$V" = snom ]; then
		is "$V: no key (Snom files take none)" "$(grep -c "$EK" "$W/out")" 0
	else
		check keytable
	fi

	render --secret-free
	well_formed "secret-free"
	is "$V secret-free: no provisioning password" \
		"$(grep -c 'prov-pw' "$W/out")" 0
	is "$V secret-free: no encryption key" "$(grep -c "$EK" "$W/out")" 0
	is "$V secret-free: no line" "$(grep -c 'alice' "$W/out")" 0
	contains "$V secret-free: still the provisioning URL" "$(cat "$W/out")" "$URL"
done < "$W/vendors"
done_testing
