#!/bin/sh
# make demo-server — the corridor year over the network. The operator's
# machine (./demo-server/operator/) holds the ledger and only the operator's
# key, and runs `corridor serve` on loopback; every party works from a
# directory of its own holding only its key (and its client state): its
# statements are signed there and sent with --server. The same year is then
# run on one local ledger with the same keys, and the two are compared:
# invoices, balances and the trial balance must be equal, and both verify.
# Re-runnable: it recreates ./demo-server/.
set -eu
C=${1:-build/corridor}
TOOLS=$(cd "$(dirname "$0")" && pwd)
case "$C" in /*) ;; *) C="$(pwd)/$C" ;; esac
DEMO_METERS=$(dirname "$C")/demo-meters
EXAMPLES=$(pwd)/docs/examples
rm -rf demo-server
mkdir -p demo-server
cd demo-server
TOP=$(pwd)
export CORRIDOR_PASSPHRASE="demo passphrase (never use a real one in an environment variable)"
ORIGIN=corridor.example/ru-mn-cn
step() { printf '\n== %s\n' "$*"; }
PARTIES="operator RU-GAZPROM CN-CNPC MN-TRANSIT AUDIT-MN RU-GRID MN-GRID CN-IMPOWER MN-MINE FX-PUB SETTLE-AG"
for p in $PARTIES; do mkdir -p "$p"; done

# as PARTY corridor-args...: a command run on PARTY's machine. In network
# mode it talks to the server (its own state directory, the operator's
# verifier key pinned); in local mode the same command writes the local
# ledger directly (the comparison run).
as() {
	p=$1
	shift
	if [ "$MODE" = network ]; then
		(cd "$TOP/$p" && CORRIDOR_STATE="$TOP/$p/state" CORRIDOR_SERVER="$URL" \
			CORRIDOR_SERVER_VKEY="$VKEY" "$C" "$@")
	else
		(cd "$TOP/$p" && CORRIDOR_LEDGER="$TOP/local/ledger" "$C" "$@")
	fi
}
# the replica option a settlement agent gives in network mode
replica() { [ "$MODE" = network ] && echo "--replica $TOP/SETTLE-AG/replica" || true; }
# the key a party signs its reads with in network mode
reader() { [ "$MODE" = network ] && echo "--key $1" || true; }

step "Keys, each made on its owner's machine"
VKEY=$(cd operator && "$C" key generate --name "$ORIGIN" --out operator.key --kdf interactive)
key() { (cd "$1" && "$C" key generate --name "$1" --out "$2" --kdf interactive); }
GAZ=$(key RU-GAZPROM gazprom.key)
CNPC=$(key CN-CNPC cnpc.key)
MNT=$(key MN-TRANSIT mn-transit.key)
AUD=$(key AUDIT-MN audit.key)
GRID=$(key RU-GRID grid.key)
MNG=$(key MN-GRID mn-grid.key)
IMP=$(key CN-IMPOWER impower.key)
MINE=$(key MN-MINE mine.key)
FXK=$(key FX-PUB fx.key)
AGK=$(key SETTLE-AG agent.key)
(cd RU-GAZPROM && "$C" key generate --name RU-GAZPROM --out gazprom-2027.key --kdf interactive >/dev/null)
for p in $PARTIES; do printf '%-11s %s\n' "$p" "$(ls "$p" | tr '\n' ' ')"; done

# The input files, the same for both runs (generated deterministically).
sed -e 's/"RU-GAZ"/"RU-GAZPROM"/g' -e 's/"CN-BUY"/"CN-CNPC"/g' "$EXAMPLES/gas-G1.json" > RU-GAZPROM/gas.json
sh "$TOOLS/demo_march.sh" M1 GAZ-2026-03- 100 > RU-GAZPROM/gazprom-march.csv
sh "$TOOLS/demo_march.sh" CN-ERENHOT CNPC- 100.4 101 > CN-CNPC/cnpc-march.csv
"$DEMO_METERS" G1 2025-12-31T16:00:00Z 59 100 20260102 RU-GAZPROM/gaz-janfeb.csv M1 \
	CN-CNPC/cnpc-janfeb.csv CN-ERENHOT 100000 86400
"$DEMO_METERS" G1 2026-03-31T16:00:00Z 275 100 20260103 RU-GAZPROM/gaz-aprdec.csv M1 \
	CN-CNPC/cnpc-aprdec.csv CN-ERENHOT 100000 86400
cp "$EXAMPLES/power-P1.json" RU-GRID/power-P1.json
sed -e 's|"prices": \[ { "from": "2026-01-01", "price": "6.150000" } \]|"prices": [ { "from": "2026-01-01", "price": "6.150000" }, { "from": "2026-07-01", "price": "6.450000" } ]|' \
	"$EXAMPLES/power-P1.json" > RU-GRID/power-P1-july.json
"$DEMO_METERS" P1 2025-12-31T21:00:00Z 8760 95000 20260101 MN-GRID/mn-grid-2026.csv SEL-220-1 \
	RU-GRID/ru-grid-2026.csv RU-SEL-1 5424
sed -e 's/"P1"/"P2"/' -e 's/"RU-GRID"/"CN-IMPOWER"/' -e 's/"MN-GRID"/"MN-MINE"/g' \
	-e 's/"Selendum 220 kV interconnector"/"Oyu Tolgoi 220 kV substation"/' \
	-e 's/"+03:00"/"+08:00"/' -e 's/"6.150000"/"0.410000"/' -e 's/"RUB"/"CNY"/' \
	-e 's/"MNT"/"CNY"/' -e '/rate_source/d' -e 's/"SEL-220-1"/"OT-220-1"/' \
	"$EXAMPLES/power-P1.json" > CN-IMPOWER/power-P2.json
"$DEMO_METERS" P2 2025-12-31T16:00:00Z 8760 60000 20260104 MN-MINE/mine-2026.csv OT-220-1 \
	CN-IMPOWER/impower-2026.csv IM-OT-1 100000
sed -e 's/"MN-PIPE"/"MN-TRANSIT"/g' -e 's/"RU-GAZ"/"RU-GAZPROM"/g' "$EXAMPLES/transit-T1.json" \
	> MN-TRANSIT/transit.json
sh "$TOOLS/demo_rates.sh" > FX-PUB/rates-2026.csv

# The year: the same commands in both modes. Seqs a party needs later come
# from what its own writes printed, never from reading others' data.
first_of() { sed -n 's/^appended \([0-9]*\)\.\..*/\1/p' | head -1; }
year() {
	say() { [ "$MODE" = network ] && step "$@" || true; }
	say "The operator registers the parties (statements signed on the operator's machine)"
	reg() { as operator party register --key operator.key "$@" >/dev/null; }
	reg --id RU-GAZPROM --name "Russian gas producer" --country RU --roles seller,buyer \
		--vkey "$GAZ" --iban DE89370400440532013000
	reg --id CN-CNPC --name "Chinese gas buyer" --country CN --roles buyer,meter --vkey "$CNPC" \
		--iban GB82WEST12345698765432
	reg --id MN-TRANSIT --name "Mongolian pipeline operator" --country MN --roles seller,meter \
		--vkey "$MNT" --iban MN580050099123456789
	reg --id AUDIT-MN --name "Corridor auditor" --country MN --roles auditor --vkey "$AUD"
	reg --id RU-GRID --name "Russian grid company" --country RU --roles seller --vkey "$GRID"
	reg --id MN-GRID --name "Mongolian grid company" --country MN --roles buyer,meter --vkey "$MNG"
	reg --id CN-IMPOWER --name "Inner Mongolia power company" --country CN --roles seller \
		--vkey "$IMP"
	reg --id MN-MINE --name "Mongolian copper mine" --country MN --roles buyer,meter --vkey "$MINE"
	reg --id FX-PUB --name "Rate publisher" --country MN --roles rates --vkey "$FXK"
	reg --id SETTLE-AG --name "Corridor settlement agent" --country MN --roles settlement \
		--vkey "$AGK"

	say "A remark by RU-GAZPROM, countersigned by the auditor over the entry it verified"
	SEQ=$(as RU-GAZPROM memo --key gazprom.key --idempotency-key NOM-2026-03-01 \
		"Gas day 2026-03-01: nominated 12,000 MWh at Naushki")
	as AUDIT-MN attest "$SEQ" --key audit.key --note "nomination seen" >/dev/null
	if [ "$MODE" = network ]; then
		echo "a memo is its author's: CN-CNPC cannot read it, so cannot countersign it:"
		as CN-CNPC attest "$SEQ" --key cnpc.key 2>&1 || true
	fi
	as RU-GAZPROM key rotate --key gazprom.key --new gazprom-2027.key >/dev/null

	say "Contracts proposed and accepted by their parties, each on its own machine"
	# the proposer passes on the seq its receipt names; the other side reads
	# that entry (verified) and accepts it
	P=$(as RU-GAZPROM contract propose --key gazprom-2027.key --file gas.json)
	as CN-CNPC contract accept G1 --proposal "$P" --key cnpc.key >/dev/null
	P=$(as RU-GRID contract propose --key grid.key --file power-P1.json)
	as MN-GRID contract accept P1 --proposal "$P" --key mn-grid.key >/dev/null
	P=$(as RU-GRID contract amend P1 --key grid.key --file power-P1-july.json --effective 2026-07-01)
	as MN-GRID contract accept P1 --proposal "$P" --key mn-grid.key >/dev/null
	P=$(as CN-IMPOWER contract propose --key impower.key --file power-P2.json)
	as MN-MINE contract accept P2 --proposal "$P" --key mine.key >/dev/null
	P=$(as MN-TRANSIT contract propose --key mn-transit.key --file transit.json)
	as RU-GAZPROM contract accept T1 --proposal "$P" --key gazprom-2027.key >/dev/null

	say "A year of meter data from both sides of each border, imported in acknowledged batches"
	FIRST=$(as RU-GAZPROM delivery import --key gazprom-2027.key gazprom-march.csv | first_of)
	as CN-CNPC delivery import --key cnpc.key cnpc-march.csv >/dev/null
	as RU-GAZPROM delivery correct --key gazprom-2027.key --supersedes "$FIRST" --quantity 99.8 \
		--reason "meter recalibrated" >/dev/null
	as RU-GAZPROM delivery import --key gazprom-2027.key gaz-janfeb.csv >/dev/null
	as CN-CNPC delivery import --key cnpc.key cnpc-janfeb.csv >/dev/null
	as RU-GAZPROM delivery import --key gazprom-2027.key gaz-aprdec.csv >/dev/null
	as CN-CNPC delivery import --key cnpc.key cnpc-aprdec.csv >/dev/null
	as MN-GRID delivery import --key mn-grid.key mn-grid-2026.csv >/dev/null
	as RU-GRID delivery import --key grid.key ru-grid-2026.csv | tail -1
	as MN-MINE delivery import --key mine.key mine-2026.csv >/dev/null
	as CN-IMPOWER delivery import --key impower.key impower-2026.csv | tail -1
	echo "an interrupted import is completed by running it again:"
	as CN-IMPOWER delivery import --key impower.key impower-2026.csv | tail -1

	say "A year of daily fixings from the rate publisher"
	as FX-PUB rate import --key fx.key rates-2026.csv

	say "Twelve monthly settlement batches, each computed from the agent's verified replica"
	for m in 01 02 03 04 05 06 07 08 09 10 11 12; do
		if [ "$m" = 06 ]; then
			# MN-GRID corrects its reading of the first May hour (local
			# midnight 1 May is row 2880 of its file): June adjusts May.
			# Both ledgers hold each day as a series (over the network the
			# import grouped the rows by the contract's offset as MN-GRID's
			# view shows it), the hour a point of it, found in MN-GRID's list.
			MAYSTART=$(sed -n 2882p "$TOP/MN-GRID/mn-grid-2026.csv" | cut -d, -f2)
			# shellcheck disable=SC2046
			MAYSEQ=$(as MN-GRID delivery list --contract P1 --period 2026-05 \
				$(reader mn-grid.key) --format csv | tr -d '\r' | awk -F, -v s="$MAYSTART" \
				'$3 == "MN-GRID" && $5 == s {print $1; exit}')
			as MN-GRID delivery correct --key mn-grid.key --supersedes "$MAYSEQ" \
				--start "$MAYSTART" --quantity 0 --reason "double-counted hour" >/dev/null
		fi
		# shellcheck disable=SC2046
		as SETTLE-AG settle run --key agent.key --period "2026-$m" $(replica) --format csv |
			tr -d '\r' | awk -F, -v m="$m" -v mode="$MODE" \
			'$6 == "total" && mode == "network" {printf "2026-%s  %-20s %16s %s\n", m, $1, $9, $10}'
	done

	say "Payments, recorded by the payees and the agent; one reversed"
	# shellcheck disable=SC2046
	amount() { as AUDIT-MN settle show "$1" $(reader audit.key) --format csv | tr -d '\r' |
		awk -F, '$6 == "total" {print $9}'; }
	as RU-GAZPROM payment record --key gazprom-2027.key --payer CN-CNPC --payee RU-GAZPROM \
		--currency CNY --amount "$(amount INV-G1-2026-01)" --value-date 2026-02-19 \
		--reference INV-G1-2026-01 >/dev/null
	as RU-GAZPROM payment record --key gazprom-2027.key --payer CN-CNPC --payee RU-GAZPROM \
		--currency CNY --amount 1000000.00 --value-date 2026-04-20 --reference INV-G1-2026-03 >/dev/null
	as MN-TRANSIT payment record --key mn-transit.key --payer RU-GAZPROM --payee MN-TRANSIT \
		--currency USD --amount "$(amount INV-T1-2026-03)" --value-date 2026-04-28 \
		--reference INV-T1-2026-03 >/dev/null
	as SETTLE-AG payment record --key agent.key --payer MN-GRID --payee RU-GRID --currency USD \
		--amount 1500.00 --value-date 2026-03-05 --reference INV-P1-2026-01 >/dev/null
	BAD=$(as RU-GRID payment record --key grid.key --payer MN-GRID --payee RU-GRID --currency MNT \
		--amount "$(amount INV-P1-2026-01)" --value-date 2026-02-14 --reference INV-P1-2026-01)
	echo "the same payment again is a retry, refused:"
	as RU-GRID payment record --key grid.key --payer MN-GRID --payee RU-GRID --currency MNT \
		--amount "$(amount INV-P1-2026-01)" --value-date 2026-02-14 --reference INV-P1-2026-01 \
		2>&1 | sed 's/seq [0-9]*/seq N/' || true
	as RU-GRID payment reverse --key grid.key "$BAD" --reason "returned by the bank" >/dev/null
	as RU-GRID payment record --key grid.key --payer MN-GRID --payee RU-GRID --currency MNT \
		--amount "$(amount INV-P1-2026-01)" --value-date 2026-02-20 --reference INV-P1-2026-01 >/dev/null
}

step "The operator's machine: a ledger and the service, on loopback"
(cd operator && "$C" init --origin "$ORIGIN" --operator-key operator.key --ledger ledger \
	--statement-lifetime 1h)
(cd operator && exec "$C" serve --listen 127.0.0.1:0 --operator-key operator.key --ledger ledger \
	2> serve.log) &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
URL=
for _ in $(seq 1 100); do
	URL=$(sed -n 's/^listening on \(http:[^ ]*\).*/\1/p' operator/serve.log | head -1)
	[ -n "$URL" ] && break
	sleep 0.1
done
[ -n "$URL" ] || { echo "demo-server: the server did not start" >&2; cat operator/serve.log >&2; exit 1; }
echo "listening on $URL"
MODE=network
year

step "The auditor's view: a verified replica of the whole log, read on its machine"
as AUDIT-MN report invoices --key audit.key --as-of 2027-01-31 | head -6
as AUDIT-MN report balances --key audit.key
echo "A party entitled to only its part gets no replica:"
as MN-MINE report balances --key mine.key 2>&1 || true

step "The server's access log: its last requests"
tail -3 operator/serve.log
kill -TERM $SERVER
wait $SERVER 2>/dev/null || true
trap - EXIT
echo "the operator's machine holds: $(ls operator | tr '\n' ' ')"
(cd operator && "$C" verify --ledger ledger)

step "The same year on one local ledger, with the same keys: the results are equal"
mkdir -p local
(cd operator && "$C" init --origin "$ORIGIN" --operator-key operator.key --ledger ../local/ledger \
	--statement-lifetime 1h)
MODE=local
year >/dev/null
"$C" verify --ledger local/ledger
same() {
	a=$(cd operator && "$C" "$@" --ledger ledger --format csv)
	b=$("$C" "$@" --ledger local/ledger --format csv)
	if [ "$a" = "$b" ]; then
		echo "equal: corridor $*"
	else
		echo "demo-server: corridor $* differs between the network and the local run" >&2
		exit 1
	fi
}
same report invoices --as-of 2027-01-31
same report balances
for m in 01 06 12; do same settle show "2026-$m"; done
# Payments compared without their seqs: the local imports store each meter-day
# as one series, the network imports one reading a row, so the logs' lengths
# differ while every figure is the same. A reversal stays visible.
noseq() { tr -d '\r' | awk -F, 'BEGIN { OFS = "," } NR > 1 { $1 = ""; if ($8 != "0") $8 = "reversed" } { print }'; }
a=$(cd operator && "$C" payment list --ledger ledger --format csv | noseq)
b=$("$C" payment list --ledger local/ledger --format csv | noseq)
if [ "$a" = "$b" ] && [ -n "$a" ]; then
	echo "equal: corridor payment list (seqs aside)"
else
	echo "demo-server: corridor payment list differs between the network and the local run" >&2
	exit 1
fi
printf '\nThe network run is in ./demo-server/ (one directory per machine)\n'
