#!/bin/sh
# deb.sh: the Debian package (issue 14 §6), as an operator meets it.
# Builds it from the committed tree (git archive HEAD, so nothing of a
# build in the work tree gets in) with dpkg-buildpackage -us -uc -b;
# lintian finds no error in it; `dpkg -i` installs it on this machine;
# the installed programs answer --version; the system user sipcfg owns
# /var/lib/sipcfg; the installed `sipcfg init` makes the store there as
# that user, and the installed `sipcfgd -n` checks the installed
# configuration; a bad configuration makes it fail.  The package is
# purged at the end (the store made here with it).
#
# It installs a package system-wide, so it is not part of `make check`:
# .ci/run runs it, as root.  Exits 77 when not root or without git,
# dpkg-buildpackage or lintian.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
n=0 bad=0
ok() {
	n=$((n + 1))
	if [ "$2" -eq 0 ]; then echo "ok $n - $1"
	else echo "not ok $n - $1"; bad=$((bad + 1)); fi
}
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP not root"; exit 77; }
for t in git dpkg-buildpackage lintian; do
	command -v "$t" >/dev/null || { echo "1..0 # SKIP no $t"; exit 77; }
done
git -C "$top" rev-parse HEAD >/dev/null 2>&1 ||
	{ echo "1..0 # SKIP not a git checkout"; exit 77; }
dpkg -s sipcfg >/dev/null 2>&1 &&
	{ echo "Bail out! a sipcfg package is installed already"; exit 99; }

W=$(mktemp -d /tmp/sipcfg-deb.XXXXXX)
cleanup() {
	dpkg --purge sipcfg >/dev/null 2>&1
	rm -rf /var/lib/sipcfg
	userdel sipcfg >/dev/null 2>&1
	rm -rf "$W"
}
trap cleanup EXIT

mkdir "$W/src"
git -C "$top" archive HEAD | tar -x -C "$W/src" ||
	{ echo "Bail out! git archive"; exit 99; }
(cd "$W/src" && DEB_BUILD_OPTIONS=parallel=$(nproc) \
    dpkg-buildpackage -us -uc -b) >"$W/build.log" 2>&1
rc=$?
ok "dpkg-buildpackage -us -uc -b" $rc
[ $rc -eq 0 ] || { tail -30 "$W/build.log" | sed 's/^/# /'; exit 1; }
DEB=$(ls "$W"/sipcfg_*.deb)
lintian --fail-on error "$DEB" >"$W/lintian.log" 2>&1
rc=$?
ok "lintian: no error" $rc
grep -v 'running with root privileges' "$W/lintian.log" | sed 's/^/# lintian: /'

contents=$(dpkg-deb -c "$DEB")
for f in ./usr/sbin/sipcfgd ./usr/bin/sipcfg ./usr/bin/sipcfg-ua \
    ./usr/share/man/man8/sipcfgd.8.gz ./usr/share/man/man1/sipcfg.1.gz \
    ./usr/share/man/man1/sipcfg-ua.1.gz ./usr/share/man/man5/sipcfgd.conf.5.gz \
    ./lib/systemd/system/sipcfgd.service ./etc/sipcfg/sipcfgd.conf \
    ./usr/share/sipcfg/generic.xml ./usr/share/sipcfg/pg/schema.sql; do
	case $contents in *" $f"*) ok "ships $f" 0 ;; *) ok "ships $f" 1 ;; esac
done
case $(dpkg-deb -I "$DEB" conffiles) in
*/etc/sipcfg/sipcfgd.conf*) ok "sipcfgd.conf is a conffile" 0 ;;
*) ok "sipcfgd.conf is a conffile" 1 ;; esac

dpkg -i "$DEB" >"$W/install.log" 2>&1
rc=$?
ok "dpkg -i" $rc
[ $rc -eq 0 ] || { sed 's/^/# /' "$W/install.log"; exit 1; }
for p in /usr/bin/sipcfg /usr/sbin/sipcfgd /usr/bin/sipcfg-ua; do
	v=$("$p" --version); ok "$p --version ($v)" $?
done
ok "the system user sipcfg" $(getent passwd sipcfg >/dev/null; echo $?)
ok "/var/lib/sipcfg is sipcfg's" $([ "$(stat -c %U "/var/lib/sipcfg")" = sipcfg ]; echo $?)
ok "a certificate and its key, the key not world-readable" \
	$([ -s /etc/sipcfg/cert.pem ] && [ "$(stat -c %a /etc/sipcfg/key.pem)" = 640 ]; echo $?)
ok "the unit names the installed daemon" \
	$(grep -q '^ExecStart=/usr/sbin/sipcfgd ' /lib/systemd/system/sipcfgd.service; echo $?)

# A bad configuration first: sipcfgd -n says so and fails.
printf 'store /var/lib/sipcfg/sipcfg.db\nbogus_directive 1\n' > "$W/bad.conf"
chmod 644 "$W/bad.conf"; chmod 755 "$W"
out=$(runuser -u sipcfg -- /usr/sbin/sipcfgd -n -f "$W/bad.conf" 2>&1); rc=$?
ok "sipcfgd -n refuses a bad configuration" $([ $rc -ne 0 ] && printf '%s' "$out" | grep -q bogus_directive; echo $?)
out=$(runuser -u sipcfg -- /usr/sbin/sipcfgd -n -f /etc/sipcfg/sipcfgd.conf 2>&1); rc=$?
ok "sipcfgd -n before sipcfg init: no store ($out)" $([ $rc -ne 0 ]; echo $?)

out=$(runuser -u sipcfg -- /usr/bin/sipcfg init 2>&1); rc=$?
ok "the installed sipcfg init, as sipcfg ($out)" $rc
ok "... the store in /var/lib/sipcfg" $([ -s /var/lib/sipcfg/sipcfg.db ]; echo $?)
out=$(runuser -u sipcfg -- /usr/sbin/sipcfgd -n -f /etc/sipcfg/sipcfgd.conf 2>&1); rc=$?
ok "the installed sipcfgd -n checks the installed configuration" \
	$([ $rc -eq 0 ] && printf '%s' "$out" | grep -q 'configuration OK'; echo $?)
ok "... with the admin listener on loopback" \
	$(printf '%s' "$out" | grep -q '^admin_listen 127.0.0.1:8444$'; echo $?)
ok "... whose console the package ships ($out)" \
	$([ -s /usr/share/sipcfg/console/index.html ] && ! printf '%s' "$out" | grep -q 'admin_console'.*'not readable'; echo $?)
ok "... and the OpenAPI document" $([ -s /usr/share/sipcfg/openapi.json ]; echo $?)

dpkg --purge sipcfg >/dev/null 2>&1
ok "dpkg --purge" $?
ok "... the configuration and certificate gone" $([ ! -e /etc/sipcfg/sipcfgd.conf ] && [ ! -e /etc/sipcfg/key.pem ]; echo $?)
echo "1..$n"
echo "# $((n - bad)) passed, $bad failed"
[ $bad -eq 0 ]
