#!/bin/sh
# Builds a small ledger with the release before entry version 2 (0.1.0 at
# e4d86e7): every kind in a few entries. Run from an empty directory with
# C=/path/to/old/corridor and EX=docs/examples of that tree.
set -eu
export CORRIDOR_PASSPHRASE="fixture passphrase"
export CORRIDOR_LEDGER=ledger
O=corridor.example/v1-fixture
key() { "$C" key generate --name "$1" --out "$2" --kdf interactive; }
VK=$(key "$O" operator.key); echo "$VK" > operator.vkey
"$C" init --origin "$O" --operator-key operator.key >/dev/null
GAZ=$(key RU-GAZPROM gazprom.key); CNPC=$(key CN-CNPC cnpc.key)
FX=$(key FX-PUB fx.key); AG=$(key SETTLE-AG agent.key)
"$C" party register --key operator.key --id RU-GAZPROM --name "Russian gas producer" --country RU --roles seller,buyer --vkey "$GAZ" --iban DE89370400440532013000 >/dev/null
"$C" party register --key operator.key --id CN-CNPC --name "Chinese gas buyer" --country CN --roles buyer,meter --vkey "$CNPC" --iban GB82WEST12345698765432 >/dev/null
"$C" party register --key operator.key --id FX-PUB --name "Rate publisher" --country MN --roles rates --vkey "$FX" >/dev/null
"$C" party register --key operator.key --id SETTLE-AG --name "Settlement agent" --country MN --roles settlement --vkey "$AG" >/dev/null
S=$("$C" memo --key gazprom.key --idempotency-key NOM-1 "nominated 12,000 MWh")
"$C" attest "$S" --key cnpc.key --note "confirmed" >/dev/null
key RU-GAZPROM gazprom-2.key >/dev/null
"$C" key rotate --key gazprom.key --new gazprom-2.key >/dev/null
sed -e 's/"RU-GAZ"/"RU-GAZPROM"/g' -e 's/"CN-BUY"/"CN-CNPC"/g' "$EX/gas-G1.json" > gas.json
"$C" contract propose --key gazprom-2.key --file gas.json >/dev/null
"$C" contract accept G1 --key cnpc.key >/dev/null
for who in gazprom-2:M1:GAZ cnpc:CN-ERENHOT:CNPC; do
	k=${who%%:*}; rest=${who#*:}; m=${rest%%:*}; p=${rest#*:}
	{ echo "contract,start,end,quantity,meter,reference"
	  for d in $(seq 1 31); do
		s=$(date -u -d "2025-12-31 16:00 +0000 + $((d - 1)) days" +%Y-%m-%dT%H:%M:%SZ)
		e=$(date -u -d "2025-12-31 16:00 +0000 + $d days" +%Y-%m-%dT%H:%M:%SZ)
		echo "G1,$s,$e,100,$m,$p-2026-01-$d"
	  done; } > $k.csv
	"$C" delivery import --key $k.key $k.csv >/dev/null
done
F=$("$C" delivery list --contract G1 --format csv | awk -F, 'NR==2 {print $1}')
"$C" delivery correct --key gazprom-2.key --supersedes "$F" --quantity 99.8 --reason "recalibrated" >/dev/null
{ echo "base,quote,date,rate,source"; for d in 01 02 05 06 07 08 09 12 13 14 15 16 19 20 21 22 23 26 27 28 29 30; do echo "USD,CNY,2026-01-$d,7.12000000,PBOC"; done; } > rates.csv
"$C" rate import --key fx.key rates.csv >/dev/null
"$C" settle run --key agent.key --period 2026-01 >/dev/null
"$C" settle reverse --key agent.key --period 2026-01 --reason "fixture: reissue" >/dev/null
"$C" settle run --key agent.key --period 2026-01 >/dev/null
P=$("$C" payment record --key gazprom-2.key --payer CN-CNPC --payee RU-GAZPROM --currency CNY --amount 1000.00 --value-date 2026-02-20 --reference INV-G1-2026-01)
"$C" payment reverse --key gazprom-2.key "$P" --reason "returned" >/dev/null
"$C" checkpoint sign --key operator.key >/dev/null
"$C" verify
"$C" log | tail -3
