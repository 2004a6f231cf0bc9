#!/bin/sh
# demo_rates.sh — the demo year's daily fixings as rate import CSV on stdout:
# working days of 2026 (no weekend rates), USD/CNY by PBOC and RUB/MNT by
# Mongolbank, a deterministic slow wave around 7.12 CNY per USD and 38.4 MNT
# per RUB. Used by tools/demo.sh and tools/demo-server.sh.
awk 'BEGIN {
	print "base,quote,date,rate,source"
	for (i = 0; i < 365; i++) {
		t = 1767225600 + i * 86400
		cmd = "date -u -d @" t " +%Y-%m-%d:%u"; cmd | getline dw; close(cmd)
		split(dw, a, ":")
		if (a[2] >= 6) continue
		u = 712000000 + (i * 7919) % 2400000 - 1200000
		r = 3840000000 + (i * 104729) % 60000000 - 30000000
		printf "USD,CNY,%s,%d.%08d,PBOC\n", a[1], u / 100000000, u % 100000000
		printf "RUB,MNT,%s,%d.%08d,MONGOLBANK\n", a[1], r / 100000000, r % 100000000
	}
}'
