#!/bin/sh
# demo_march.sh METER REF-PREFIX QUANTITY [DAY-10-QUANTITY] — March 2026 gas
# days of contract G1 (16:00Z to 16:00Z, +08:00 gas days) as delivery import
# CSV on stdout, references REF-PREFIX<day>. Used by tools/demo.sh and
# tools/demo-server.sh.
set -eu
echo "contract,start,end,quantity,meter,reference"
for d in $(seq 1 31); do
	s=$(date -u -d "2026-02-28 16:00 +0000 + $((d - 1)) days" +%Y-%m-%dT%H:%M:%SZ)
	e=$(date -u -d "2026-02-28 16:00 +0000 + $d days" +%Y-%m-%dT%H:%M:%SZ)
	q=$3; [ "$d" = 10 ] && q=${4:-$3}
	echo "G1,$s,$e,$q,$1,$2$d"
done
