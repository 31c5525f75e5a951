#!/bin/sh
# lint: banned unbounded or unchecked C calls in the project's sources
# (the curl habit), and no secrets in log calls.
set -u
src=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$src" || exit 99
fail=0
n=0
check() {
	n=$((n + 1))
	if [ -n "$2" ]; then
		echo "not ok $n - $1"; printf '%s\n' "$2" | sed 's/^/#   /'
		fail=$((fail + 1))
	else
		echo "ok $n - $1"
	fi
}
files=$(ls server/*.c server/*.h contrib/ua/*.c contrib/ua/*.h tests/unit/*.c tests/fuzz/*.c tests/bench/*.c tests/e2e/*.c 2>/dev/null | grep -v -e 'server/openapi_json.h')
check "no sprintf/strcpy/strcat/gets/strtok/atoi/atol" \
	"$(grep -nE '\b(sprintf|vsprintf|strcpy|strcat|gets|strtok|atoi|atol)[[:space:]]*\(' $files | grep -vE '^\S+:[0-9]+:\s*(/?\*|//)')"
check "only store_sqlite.c includes sqlite3.h (tests excepted)" \
	"$(grep -l 'include <sqlite3.h>' server/*.c server/*.h | grep -v store_sqlite.c)"
check "only the PostgreSQL backend (store_pg*) includes libpq-fe.h" \
	"$(grep -l 'include <libpq-fe.h>' server/*.c server/*.h | grep -v 'server/store_pg')"
check "only the listeners (http.c, admin_http*, admin_api*) include microhttpd.h" \
	"$(grep -l 'include <microhttpd.h>' server/*.c server/*.h | grep -v -e 'server/http.c' -e 'server/admin_http' -e 'server/admin_api')"
check "only the notifier (notifier_int.h says which files) and sipcheck.c include sofia-sip headers" \
	"$(grep -l 'include <sofia-sip/' server/*.c server/*.h | grep -v -e 'server/notifier.c' -e 'server/notifier_int.h' -e 'server/nsub.c' -e 'server/nsubscribe.c' -e 'server/checksync.c' -e 'server/sipcheck.c')"
check "no password, HA1 or Authorization value passed to a log call" \
	"$(grep -nE 'log_(info|warn|warnx|debug|access)\(.*(password|ha1|->response|hdr\b)' server/*.c)"
check "every server file opens with a comment" \
	"$(for f in $(ls server/*.c server/*.h | grep -v schema_sql.h); do head -1 "$f" | grep -q '^/\*' || echo "$f"; done)"
check "the console builds no HTML from strings and runs nothing inline (its CSP)" \
	"$(grep -nE 'innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function| style=| on[a-z]+=' console/* | grep -vE '^\S+:[0-9]+:\s*(/?\*|//)')"
echo "1..$n"
echo "# $((n - fail)) passed, $fail failed"
[ "$fail" -eq 0 ]
