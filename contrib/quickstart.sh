#!/bin/sh
# quickstart.sh: from a fresh Debian 12 checkout to a running sipcfgd.
#
#   contrib/quickstart.sh        install what is missing, build, create the
#                                demo store and certificate in ./var, run
#                                sipcfgd in the foreground
#   contrib/quickstart.sh test   the same set-up, then the whole test suite
#
# Packages are installed with apt-get (through sudo when not root).  The
# demo store is created once; re-running keeps it and its password.
set -eu

mode=${1:-run}
case $mode in run|test|setup) ;; *)
	echo "usage: $0 [run|test|setup]" >&2; exit 2 ;;
esac
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

PKGS="build-essential autoconf automake pkg-config libmicrohttpd-dev
libsqlite3-dev libpq-dev libjansson-dev libssl-dev libgnutls28-dev libsofia-sip-ua-dev
libcurl4-openssl-dev sqlite3 curl openssl ca-certificates"
# The notifier tests talk to an independent SIP stack (Perl's Net::SIP);
# the store's tests run again on a PostgreSQL server of their own.
[ "$mode" = test ] && PKGS="$PKGS perl libnet-sip-perl libio-socket-ssl-perl dnsmasq-base libxml2-utils testssl.sh iproute2 postgresql"

missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "quickstart: installing:$missing"
	sudo=
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq
	$sudo apt-get install -y -qq --no-install-recommends $missing
fi

if [ ! -x ./configure ] || [ configure.ac -nt configure ] ||
   [ Makefile.am -nt configure ]; then
	autoreconf -fi
fi
[ -f Makefile ] || ./configure --enable-werror
make -j"$(nproc)"

# ---- the demo store, certificate and configuration in ./var
mkdir -p var
chmod 700 var
certs/mkcert.sh var localhost
store=var/sipcfg.db
demo_id=urn:uuid:00000000-0000-1000-8000-001122334455
if [ ! -s "$store" ]; then
	umask 077
	head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n' > var/demo-password
	pw=$(cat var/demo-password)
	./sipcfg -d "$store" init --realm sipcfg-demo
	./sipcfg -d "$store" template add generic templates/generic.xml
	printf '%s\n' "$pw" | ./sipcfg -d "$store" user add alice
	./sipcfg -d "$store" device add "$demo_id" --vendor examplecorp.com \
		--model HypoComm --user alice --label "demo phone"
	printf '%s\n' "$pw" | ./sipcfg -d "$store" line add "$demo_id" \
		--aor sip:alice@example.net --username alice \
		--proxy sip:proxy.example.net --display "Alice Demo"
	./sipcfg -d "$store" var set global ntp_server pool.ntp.org
	./sipcfg -d "$store" var set global timezone Europe/Berlin
	# A token for the admin API and console, kept like the password.
	./sipcfg -d "$store" token add demo --scope write > var/demo-token
	umask 022
fi
if [ ! -s var/sipcfgd.conf ]; then
	cat > var/sipcfgd.conf <<CONF
# Demo configuration made by contrib/quickstart.sh; see sipcfgd.conf(5).
store sipcfg.db
cert cert.pem
key key.pem
listen 127.0.0.1:8443
listen [::1]:8443
base_path /cfg
unknown_device deny
max_age 3600
# The http-monitor notifier: UDP and TCP on 5060, TLS on 5061 (RFC 5989).
sip_listen sip:127.0.0.1:5060
sip_listen sips:127.0.0.1:5061
# The REST API, the web console and /metrics (sipcfgd(8), ADMIN API).
admin_listen 127.0.0.1:8444
admin_console ../console
CONF
fi
pw=$(cat var/demo-password)

case $mode in
setup)
	exit 0 ;;
test)
	exec make check ;;
esac

cat <<MSG

sipcfgd is starting with the demo store var/sipcfg.db.  In another shell:

  curl --cacert var/cert.pem --digest -u alice:$pw \\
    'https://localhost:8443/cfg?sfua-id=$demo_id&sfua-user=alice&sfua-vendor=examplecorp.com&sfua-model=HypoComm'

  ./sipcfg-ua run -b https://localhost:8443/cfg -d localhost \\
    -i $demo_id -u alice \\
    --password-file var/demo-password --cafile var/cert.pem   # a phone that stays current

  curl --cacert var/cert.pem -H "Authorization: Bearer \$(cat var/demo-token)" \\
    https://localhost:8444/api/v1/devices     # the REST API

  https://localhost:8444/ in a browser, token in var/demo-token: the console

  ./sipcfg -d var/sipcfg.db device list      # what the store holds
  ./sipcfg -d var/sipcfg.db subs             # who is subscribed to changes
  man ./doc/sipcfg.1                          # the admin CLI

MSG
exec ./sipcfgd -f var/sipcfgd.conf
