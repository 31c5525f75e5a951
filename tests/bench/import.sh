#!/bin/sh
# import: time `sipcfg import` of N generated devices (default 1000; the
# issue 11 figures are N = 1000, 100000 and 1000000), each device with
# its own user and password and one line, into a fresh store.  Not in
# make check: timings never decide a test.
#   tests/bench/import.sh [N] [csv|jsonl]
set -e
N=${1:-1000}
FMT=${2:-csv}
top=$(cd "$(dirname "$0")/../.." && pwd)
SIPCFG=${SIPCFG:-$top/sipcfg}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT INT TERM
"$SIPCFG" -d "$dir/s.db" init --realm bench >/dev/null
"$SIPCFG" -d "$dir/s.db" profile set desk --max-age 3600 >/dev/null
if [ "$FMT" = csv ]; then
	awk -v n="$N" 'BEGIN {
		print "device,vendor,model,label,state,user,password,profile,line1.aor,line1.username,line1.password";
		for (i = 1; i <= n; i++)
			printf "%012x,examplecorp.com,HypoComm,desk %d,active,u%d,pw%d,desk,sip:u%d@example.com,u%d,lp%d\n", i, i, i, i, i, i, i;
	}' > "$dir/in"
else
	awk -v n="$N" 'BEGIN {
		for (i = 1; i <= n; i++)
			printf "{\"device\":\"%012x\",\"vendor\":\"examplecorp.com\",\"model\":\"HypoComm\",\"label\":\"desk %d\",\"user\":\"u%d\",\"password\":\"pw%d\",\"profile\":\"desk\",\"lines\":[{\"aor\":\"sip:u%d@example.com\",\"username\":\"u%d\",\"password\":\"lp%d\"}]}\n", i, i, i, i, i, i;
	}' > "$dir/in"
fi
t0=$(date +%s.%N)
"$SIPCFG" -d "$dir/s.db" import "$dir/in"
t1=$(date +%s.%N)
"$SIPCFG" -d "$dir/s.db" export --secrets > "$dir/out"
t2=$(date +%s.%N)
echo "N=$N format=$FMT import $(echo "$t1 - $t0" | bc) s, export $(echo "$t2 - $t1" | bc) s, store $(du -m "$dir/s.db" | cut -f1) MB"
