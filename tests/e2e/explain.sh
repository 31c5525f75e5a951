#!/bin/sh
# explain: `sipcfg explain DEV` (issue 14 §5) on a real store, for a
# device with variables on every layer: bad input first; then the
# template chosen among those that match, most specific first; each
# variable's layer, what it overrode and what it merged with, secret
# ones masked; the user's kind of password; the client certificate
# policy and the notify mode with where each comes from; and the ETag,
# the one sipcfgd really serves (curl over TLS) and `sipcfg render`
# prints.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
need_sql
make_store
T=$top_srcdir/templates/generic.xml
sc template add vendorwide "$T" --vendor examplecorp.com >/dev/null &&
sc template add hypo "$T" --vendor examplecorp.com --model HypoComm >/dev/null &&
sc template add other "$T" --vendor other.example >/dev/null &&
sc profile set desk --max-age 600 >/dev/null &&
sc device set "$DEV" --profile desk >/dev/null &&
sc var set global ntp_server '"ntp.global.example"' >/dev/null &&
sc var set vendor examplecorp.com ntp_server '"ntp.vendor.example"' >/dev/null &&
sc var set model examplecorp.com/HypoComm keys '{"a": 1, "b": 2}' >/dev/null &&
sc var set profile desk keys '{"b": 3, "c": 4}' >/dev/null &&
sc var set user alice lang '"fr"' >/dev/null &&
sc var set device "$DEV" tz '"Europe/Paris"' >/dev/null &&
sc var set device "$DEV" pin '"1234"' --secret >/dev/null ||
	{ echo "Bail out! cannot make the layers"; exit 99; }

fails "unknown device" "not found" sc explain 00:11:22:33:44:99
fails "not a device" "not an sfua-id URN or a MAC" sc explain 12:34
fails "--notify bogus refused" "--notify bogus: expected subscribe or poll" sc explain "$DEV" --notify bogus
fails "--max-age out of range" "--max-age -1: expected" sc explain "$DEV" --max-age -1
fails "DEV is required" "usage\|expects\|argument" sc explain

X=$(sc --json explain "$DEV"); ok "explain --json" $?
# j EXPR: a value of the explanation (python3's json, as a test tool).
need python3
j() { printf '%s' "$X" | python3 -c "import json, sys; x = json.load(sys.stdin); print(json.dumps($1) if not isinstance($1, str) else $1)"; }
is "the most specific template is chosen" "$(j "x['template']['chosen']")" hypo
is "every matching template, most specific first" "$(j "' '.join(t['name'] for t in x['template']['matching'])")" "hypo vendorwide generic"
is "a vendor variable over the global one" "$(j "x['vars']['ntp_server']['value']") $(j "x['vars']['ntp_server']['layer']") $(j "x['vars']['ntp_server']['under'][0]['layer']")" "ntp.vendor.example vendor global"
is "a profile object merged over the model's" "$(j "x['vars']['keys']['value']")" '{"a": 1, "b": 3, "c": 4}'
is "... from the profile, merged with the model's" "$(j "x['vars']['keys']['layer']") $(j "x['vars']['keys']['under'][0]['layer']") $(j "x['vars']['keys']['under'][0]['merged']")" "profile model true"
is "the user's layer" "$(j "x['vars']['lang']['layer']") $(j "x['vars']['lang']['scope']")" "user alice"
is "the device's layer" "$(j "x['vars']['tz']['layer']")" device
is "a secret variable is masked" "$(j "x['vars']['pin']['value']")" "(secret)"
case $X in *1234*) ok "the secret's value is nowhere" 1 ;; *) ok "the secret's value is nowhere" 0 ;; esac
is "auth: alice, a long-term password, the store's realm" "$(j "x['auth']['user']") $(j "x['auth']['password']") $(j "x['auth']['realm']")" "alice long-term test-realm"
is "client certificate: the domain's" "$(j "x['auth']['client_cert']") $(j "x['auth']['client_cert_from']")" "optional domain"
sc device set "$DEV" --client-cert required >/dev/null
is "client certificate: the device's own" "$(sc --json explain "$DEV" | python3 -c 'import json,sys; a=json.load(sys.stdin)["auth"]; print(a["client_cert"], a["client_cert_from"])')" "required device"
sc device set "$DEV" --client-cert inherit >/dev/null
is "notify: subscribe by default, a SIP line" "$(j "x['notify']['mode']") $(j "x['notify']['from']") $(j "x['notify']['sip_line']")" "subscribe default true"
sc profile set desk --notify poll >/dev/null
is "notify: the profile's" "$(sc --json explain "$DEV" | python3 -c 'import json,sys; n=json.load(sys.stdin)["notify"]; print(n["mode"], n["from"])')" "poll profile"
sc device set "$DEV" --notify subscribe >/dev/null
is "notify: the device's over the profile's" "$(sc --json explain "$DEV" | python3 -c 'import json,sys; n=json.load(sys.stdin)["notify"]; print(n["mode"], n["from"])')" "subscribe device"
is "max-age: the profile's" "$(j "x['answer']['max_age']") $(j "x['answer']['max_age_from']")" "600 profile"

X=$(sc --json explain "$DEV")
RENDER=$(sc render "$DEV" 2>&1 >/dev/null | sed -n 's/^ETag: //p')
is "the ETag is the one sipcfg render gives" "$(j "x['answer']['etag']")" "$RENDER"
start_daemon
c -D "$W/h" -o /dev/null -u "alice:$PW" "$BASE?$Q"
is "... and the one sipcfgd serves" "$(j "x['answer']['etag']")" "$(hdr ETag "$W/h")"
stop_daemon

out=$(sc explain "$DEV")
contains "the table names the chosen template" "$out" "hypo, the most specific"
contains "the table gives each variable's layer" "$out" "vendor examplecorp.com"
contains "... and what it merged with" "$out" "model examplecorp.com/HypoComm (merged)"

# A pending device gets a secret-free answer: the shared layers only.
sc device set "$DEV" --state pending >/dev/null
X=$(sc --json explain "$DEV")
is "pending: secret-free" "$(j "x['answer']['secret_free']")" true
is "pending: no profile, user or device variables" "$(j "' '.join(sorted(x['vars']))")" "keys ntp_server"
printf 'otp\n' | sc user add bob --one-time --valid-for 2d >/dev/null 2>&1 ||
	sc user add bob --one-time --valid-for 2d >/dev/null
sc device set "$DEV" --state active --user bob >/dev/null
is "a one-time password is named" "$(sc --json explain "$DEV" | python3 -c 'import json,sys; a=json.load(sys.stdin)["auth"]; print(a["user"], a["password"].split()[0], "otp_not_after" in a)')" "bob one-time True"
done_testing
