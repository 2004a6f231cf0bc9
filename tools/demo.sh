#!/bin/sh
# make demo — what Corridor does so far, on a fresh ledger under ./demo/:
# keys and parties, a gas contract metered on both sides of the border, a year
# of hourly power readings (generated deterministically by tools/demo_meters.c),
# meter reconciliation and contract performance, ledger-against-archive diff,
# checkpoints, an inclusion proof an auditor checks with nothing but the
# operator's verifier key, an archive and a verified replica, tampering caught.
# Re-runnable: it recreates ./demo/.
set -eu
C=${1:-build/corridor}
TOOLS=$(cd "$(dirname "$0")" && pwd)
case "$C" in /*) ;; *) C="$(pwd)/$C" ;; esac
DEMO_METERS=$(dirname "$C")/demo-meters
rm -rf demo
mkdir -p demo
cd demo
export CORRIDOR_PASSPHRASE="demo passphrase (never use a real one in an environment variable)"
export CORRIDOR_LEDGER=ledger
ORIGIN=corridor.example/ru-mn-cn

step() { printf '\n== %s\n' "$*"; }

step "The operator's key (Argon2id-sealed, mode 0600) and its C2SP verifier key"
VKEY=$("$C" key generate --name "$ORIGIN" --out operator.key --kdf interactive)
echo "$VKEY"

step "A new ledger for the Russia-Mongolia-China corridor"
"$C" init --origin "$ORIGIN" --operator-key operator.key

step "The corridor's parties, registered by the operator with roles and first keys"
key() { "$C" key generate --name "$1" --out "$2" --kdf interactive; }
GAZ=$(key RU-GAZPROM gazprom.key)
CNPC=$(key CN-CNPC cnpc.key)
MNT=$(key MN-TRANSIT mn-transit.key)
AUD=$(key AUDIT-MN audit.key)
"$C" party register --key operator.key --id RU-GAZPROM --name "Russian gas producer" \
	--country RU --roles seller,buyer --vkey "$GAZ" --iban DE89370400440532013000 >/dev/null
"$C" party register --key operator.key --id CN-CNPC --name "Chinese gas buyer" --country CN \
	--roles buyer,meter --vkey "$CNPC" --iban GB82WEST12345698765432 >/dev/null
"$C" party register --key operator.key --id MN-TRANSIT --name "Mongolian pipeline operator" \
	--country MN --roles seller,meter --vkey "$MNT" --iban MN580050099123456789 >/dev/null
"$C" party register --key operator.key --id AUDIT-MN --name "Corridor auditor" --country MN \
	--roles auditor --vkey "$AUD" >/dev/null
"$C" party list

step "Who may write what is enforced before anything is written"
GRID=$(key RU-GRID grid.key)
"$C" party register --key gazprom.key --id RU-GRID --name "Not allowed" --country RU \
	--roles seller --vkey "$GRID" || echo "(refused, exit $?)"

step "A party's remark, countersigned by the other side; a retry changes nothing"
SEQ=$("$C" memo --key gazprom.key --idempotency-key NOM-2026-03-01 "Gas day 2026-03-01: nominated 12,000 MWh at Naushki")
AGAIN=$("$C" memo --key gazprom.key --idempotency-key NOM-2026-03-01 "Gas day 2026-03-01: nominated 12,000 MWh at Naushki")
echo "memo at seq $SEQ; the retry with the same idempotency key returned seq $AGAIN"
"$C" attest "$SEQ" --key cnpc.key --note "nomination confirmed" >/dev/null

step "Key rotation: the old key stops, the new one signs"
"$C" key generate --name RU-GAZPROM --out gazprom-2027.key --kdf interactive >/dev/null
"$C" key rotate --key gazprom.key --new gazprom-2027.key >/dev/null
"$C" memo --key gazprom.key "written with the rotated key" || echo "(refused, exit $?)"
"$C" memo --key gazprom-2027.key "Gas day 2026-03-02: nominated 11,800 MWh" >/dev/null
"$C" party show RU-GAZPROM

step "A pipeline gas contract RU->CN: proposed by the seller, accepted by the buyer"
GAS_CONTRACT=$(dirname "$0")/../docs/examples/gas-G1.json
case "$GAS_CONTRACT" in /*) ;; *) GAS_CONTRACT="$OLDPWD/$GAS_CONTRACT" ;; esac
sed -e 's/"RU-GAZ"/"RU-GAZPROM"/g' -e 's/"CN-BUY"/"CN-CNPC"/g' "$GAS_CONTRACT" > gas.json
"$C" contract propose --key gazprom-2027.key --file gas.json >/dev/null
"$C" contract accept G1 --key cnpc.key >/dev/null
"$C" contract show G1

step "March gas days metered on both sides of the border, imported from CSV"
sh "$TOOLS/demo_march.sh" M1 GAZ-2026-03- 100 > gazprom-march.csv
sh "$TOOLS/demo_march.sh" CN-ERENHOT CNPC- 100.4 101 > cnpc-march.csv
"$C" delivery import --key gazprom-2027.key gazprom-march.csv | tail -1
"$C" delivery import --key cnpc.key cnpc-march.csv | tail -1
"$C" delivery import --key gazprom-2027.key gazprom-march.csv | tail -1
FIRST=$("$C" delivery list --contract G1 --format csv | awk -F, 'NR==2 {print $1}')
"$C" delivery correct --key gazprom-2027.key --supersedes "$FIRST" --quantity 99.8 \
	--reason "meter recalibrated" >/dev/null

step "The rest of the gas year, metered daily on both sides (a generator, fixed seed)"
"$DEMO_METERS" G1 2025-12-31T16:00:00Z 59 100 20260102 gaz-janfeb.csv M1 \
	cnpc-janfeb.csv CN-ERENHOT 100000 86400
"$DEMO_METERS" G1 2026-03-31T16:00:00Z 275 100 20260103 gaz-aprdec.csv M1 \
	cnpc-aprdec.csv CN-ERENHOT 100000 86400
"$C" delivery import --key gazprom-2027.key gaz-janfeb.csv | tail -1
"$C" delivery import --key cnpc.key cnpc-janfeb.csv | tail -1
"$C" delivery import --key gazprom-2027.key gaz-aprdec.csv | tail -1
"$C" delivery import --key cnpc.key cnpc-aprdec.csv | tail -1

step "Meter vs meter for March: agree within 5 per mille, or disputed"
"$C" report meters --contract G1 --period 2026-03 | sed -n '1,2p;10,12p;$p'
step "Contract performance for March: band, billable, shortfall, excess"
"$C" report performance --period 2026-03

step "Hourly power RU->MN for all of 2026 (P1, kWh, RUB): a contract and a July price change"
MNG=$(key MN-GRID mn-grid.key)
"$C" party register --key operator.key --id RU-GRID --name "Russian grid company" --country RU \
	--roles seller --vkey "$GRID" >/dev/null
"$C" party register --key operator.key --id MN-GRID --name "Mongolian grid company" \
	--country MN --roles buyer,meter --vkey "$MNG" >/dev/null
POWER_CONTRACT=$(dirname "$GAS_CONTRACT")/power-P1.json
"$C" contract propose --key grid.key --file "$POWER_CONTRACT" >/dev/null
"$C" contract accept P1 --key mn-grid.key >/dev/null
sed -e 's|"prices": \[ { "from": "2026-01-01", "price": "6.150000" } \]|"prices": [ { "from": "2026-01-01", "price": "6.150000" }, { "from": "2026-07-01", "price": "6.450000" } ]|' \
	"$POWER_CONTRACT" > power-P1-july.json
"$C" contract amend P1 --key grid.key --file power-P1-july.json --effective 2026-07-01 >/dev/null
"$C" contract accept P1 --key mn-grid.key >/dev/null
"$C" contract show P1

step "8,760 hourly readings from each side's meter, imported in batches (RU lost 15 August)"
# Deterministic (fixed seed): the same year on every run. Local midnight
# 2026-01-01 at +03:00 is 2025-12-31T21:00Z; hour 5424 is 15 August.
"$DEMO_METERS" P1 2025-12-31T21:00:00Z 8760 95000 20260101 mn-grid-2026.csv SEL-220-1 \
	ru-grid-2026.csv RU-SEL-1 5424
"$C" delivery import --key mn-grid.key mn-grid-2026.csv | tail -1
"$C" delivery import --key grid.key ru-grid-2026.csv | tail -1

step "May 2026 as the Mongolian system operator sends it: an IEC 62325 Measurement Value Document"
printf 'point,in_domain,out_domain,contract,meter\n10T-MN-RU-SEL220,10YMN-EMS------1,10YRU-ES-------1,P1,SEL-220-1\n' \
	> p1-points.csv
"$C" delivery export --format cim --contract P1 --period 2026-05 --map p1-points.csv \
	--sender 10XMN-NDC------1 --receiver 10XRU-SO-------1 --out p1-2026-05.xml
grep -c '<Point>' p1-2026-05.xml | sed 's/$/ points, one Period per UTC day/'
echo "the same readings sent back by their recorder append nothing:"
"$C" delivery import --key mn-grid.key --format cim --map p1-points.csv p1-2026-05.xml | tail -1

step "Hourly power CN->MN for all of 2026 (P2, kWh, CNY): Inner Mongolia to a Mongolian mine"
IMP=$(key CN-IMPOWER impower.key)
MINE=$(key MN-MINE mine.key)
"$C" party register --key operator.key --id CN-IMPOWER --name "Inner Mongolia power company" \
	--country CN --roles seller --vkey "$IMP" >/dev/null
"$C" party register --key operator.key --id MN-MINE --name "Mongolian copper mine" \
	--country MN --roles buyer,meter --vkey "$MINE" >/dev/null
sed -e 's/"P1"/"P2"/' -e 's/"RU-GRID"/"CN-IMPOWER"/' -e 's/"MN-GRID"/"MN-MINE"/g' \
	-e 's/"Selendum 220 kV interconnector"/"Oyu Tolgoi 220 kV substation"/' \
	-e 's/"+03:00"/"+08:00"/' -e 's/"6.150000"/"0.410000"/' -e 's/"RUB"/"CNY"/' \
	-e 's/"MNT"/"CNY"/' -e '/rate_source/d' -e 's/"SEL-220-1"/"OT-220-1"/' \
	"$POWER_CONTRACT" > power-P2.json
"$C" contract propose --key impower.key --file power-P2.json >/dev/null
"$C" contract accept P2 --key mine.key >/dev/null
"$DEMO_METERS" P2 2025-12-31T16:00:00Z 8760 60000 20260104 mine-2026.csv OT-220-1 \
	impower-2026.csv IM-OT-1 100000
"$C" delivery import --key mine.key mine-2026.csv | tail -1
"$C" delivery import --key impower.key impower-2026.csv | tail -1

step "Meter vs meter, August 2026: the lost day and the hours beyond 10 per mille"
"$C" report meters --contract P1 --period 2026-08 --format csv | tr -d '\r' > p1-2026-08.csv
head -1 p1-2026-08.csv
grep ',disputed,' p1-2026-08.csv
grep ',billing-only,' p1-2026-08.csv | head -3
echo "... (24 hours of 15 August local with no RU reading)"
"$C" report meters --contract P1 --period 2026-08 | tail -1

step "Contract performance of P1, month by month"
"$C" report performance --contract P1 --period 2026-01 --format csv | tr -d '\r'
for m in 02 03 04 05 06 07 08 09 10 11 12; do
	"$C" report performance --contract P1 --period "2026-$m" --format csv | tr -d '\r' | tail -n +2
done

step "Operator remarks: one at a time, then a file in atomic batches"
"$C" memo --key operator.key "Gas day 2026-03-01: Power of Siberia 2 nominations received"
cat > remarks.txt <<'TXT'
RU->CN pipeline gas: border point Naushki/Sükhbaatar metering verified
MN transit: Ulaanbaatar compressor station back in service 06:00 +08:00
RU->MN power: hourly export schedule confirmed with the Mongolian grid
CN->MN power: Inner Mongolia grid to the Oyu Tolgoi mine, 220 kV line
FX fixing sources agreed: PBOC (CNY), CBR (RUB), Mongolbank (MNT)
TXT
"$C" memo --key operator.key --from remarks.txt --batch 2

step "The log: its first entries (the rest: corridor log --from 12)"
"$C" log --limit 12

step "Money: a rate publisher and a settlement agent; the Mongolian transit contract T1"
FXK=$(key FX-PUB fx.key)
AGK=$(key SETTLE-AG agent.key)
"$C" party register --key operator.key --id FX-PUB --name "Rate publisher (PBOC and Mongolbank fixings)" \
	--country MN --roles rates --vkey "$FXK" >/dev/null
"$C" party register --key operator.key --id SETTLE-AG --name "Corridor settlement agent" \
	--country MN --roles settlement --vkey "$AGK" >/dev/null
sed -e 's/"MN-PIPE"/"MN-TRANSIT"/g' -e 's/"RU-GAZ"/"RU-GAZPROM"/g' \
	"$(dirname "$GAS_CONTRACT")/transit-T1.json" > transit.json
"$C" contract propose --key mn-transit.key --file transit.json >/dev/null
"$C" contract accept T1 --key gazprom-2027.key >/dev/null
"$C" currency list

step "A year of daily fixings on working days (no weekend rates): USD/CNY by PBOC, RUB/MNT by Mongolbank"
sh "$TOOLS/demo_rates.sh" > rates-2026.csv
"$C" rate import --key fx.key rates-2026.csv
"$C" rate list --pair USD/CNY --from 2026-03-25 --to 2026-03-31

step "Twelve monthly settlement batches (G1 gas USD->CNY, T1 transit USD, P1 power RUB->MNT, P2 power CNY)"
echo "Settling March before January is refused:"
"$C" settle run --key agent.key --period 2026-03 --dry-run 2>&1 | tail -1 || true
for m in 01 02 03 04 05 06 07 08 09 10 11 12; do
	if [ "$m" = 06 ]; then
		# May is settled; now MN-GRID corrects one May hour: June carries the adjustment.
		# Its hours are stored as daily series: the point is named by its start.
		set -- $("$C" delivery list --contract P1 --period 2026-05 --format csv | tr -d '\r' | \
			awk -F, '$3 == "MN-GRID" && $10 == "" {print $1, $5; exit}')
		"$C" delivery correct --key mn-grid.key --supersedes "$1" --start "$2" --quantity 0 \
			--reason "double-counted hour" >/dev/null
	fi
	"$C" settle run --key agent.key --period "2026-$m" --format csv | tr -d '\r' | \
		awk -F, -v m="$m" '$6 == "total" {printf "2026-%s  %-20s %16s %s\n", m, $1, $9, $10}'
done
"$C" settle run --key agent.key --period 2026-12 | tail -1
step "The last batch (December), its invoices and netting"
"$C" settle show 2026-12
step "June's P1 invoice carries May's correction as an adjustment"
"$C" settle show INV-P1-2026-06 | grep -E "adjustment|total"

step "Payments: on time, late, partial, one in the wrong currency, one unmatched, one reversed"
amount() { "$C" settle show "$1" --format csv | tr -d '\r' | awk -F, '$6 == "total" {print $9}'; }
"$C" payment record --key gazprom-2027.key --payer CN-CNPC --payee RU-GAZPROM --currency CNY \
	--amount "$(amount INV-G1-2026-01)" --value-date 2026-02-19 --reference INV-G1-2026-01 >/dev/null
"$C" payment record --key gazprom-2027.key --payer CN-CNPC --payee RU-GAZPROM --currency CNY \
	--amount "$(amount INV-G1-2026-02)" --value-date 2026-04-02 --reference INV-G1-2026-02 >/dev/null
"$C" payment record --key gazprom-2027.key --payer CN-CNPC --payee RU-GAZPROM --currency CNY \
	--amount 1000000.00 --value-date 2026-04-20 --reference INV-G1-2026-03 >/dev/null
"$C" payment record --key mn-transit.key --payer RU-GAZPROM --payee MN-TRANSIT --currency USD \
	--amount "$(amount INV-T1-2026-03)" --value-date 2026-04-28 --reference INV-T1-2026-03 >/dev/null
"$C" payment record --key agent.key --payer MN-GRID --payee RU-GRID --currency USD \
	--amount 1500.00 --value-date 2026-03-05 --reference INV-P1-2026-01 >/dev/null
"$C" payment record --key grid.key --payer MN-GRID --payee RU-GRID --currency MNT \
	--amount 25000.00 --value-date 2026-03-09 --reference "Selendum Feb" >/dev/null
BAD=$("$C" payment record --key grid.key --payer MN-GRID --payee RU-GRID --currency MNT \
	--amount "$(amount INV-P1-2026-01)" --value-date 2026-02-14 --reference INV-P1-2026-01)
"$C" payment reverse --key grid.key "$BAD" --reason "returned by the bank: wrong account" >/dev/null
"$C" payment record --key grid.key --payer MN-GRID --payee RU-GRID --currency MNT \
	--amount "$(amount INV-P1-2026-01)" --value-date 2026-02-20 --reference INV-P1-2026-01 >/dev/null
"$C" payment list

step "RU-GAZPROM's bank statement (ISO 20022 camt.053.001.02), imported by the account owner"
A4=$(amount INV-G1-2026-04)
A5=$(amount INV-G1-2026-05)
ntry() { # amount ccy CRDT|DBIT reversal ref debtor-iban remittance-xml
	cat <<XML
      <Ntry>
        <Amt Ccy="$2">$1</Amt><CdtDbtInd>$3</CdtDbtInd>$4<Sts>BOOK</Sts>
        <ValDt><Dt>2026-06-12</Dt></ValDt><AcctSvcrRef>$5</AcctSvcrRef>
        <BkTxCd><Prtry><Cd>RCDT</Cd></Prtry></BkTxCd>
        <NtryDtls><TxDtls><RltdPties><DbtrAcct><Id><IBAN>$6</IBAN></Id></DbtrAcct></RltdPties>$7</TxDtls></NtryDtls>
      </Ntry>
XML
}
{
	cat <<XML
<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>DEMO-STMT-2026-06</MsgId><CreDtTm>2026-06-30T18:00:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>RU-GAZPROM-CNY-2026-06</Id><CreDtTm>2026-06-30T18:00:00</CreDtTm>
      <Acct><Id><IBAN>DE89370400440532013000</IBAN></Id></Acct>
      <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="CNY">0.00</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-06-01</Dt></Dt></Bal>
XML
	ntry "$A4" CNY CRDT "" BANK-0601 GB82WEST12345698765432 \
		"<RmtInf><Strd><CdtrRefInf><Ref>INV-G1-2026-04</Ref></CdtrRefInf></Strd></RmtInf>"
	ntry "$A5" CNY CRDT "" BANK-0602 GB82WEST12345698765432 ""
	ntry 12000.00 CNY CRDT "" BANK-0603 NL91ABNA0417164300 "<RmtInf><Ustrd>unknown sender</Ustrd></RmtInf>"
	ntry 5000.00 CNY CRDT "" BANK-0604 GB82WEST12345698765432 "<RmtInf><Ustrd>advance</Ustrd></RmtInf>"
	ntry 5000.00 CNY DBIT "<RvslInd>true</RvslInd>" BANK-0605 GB82WEST12345698765432 \
		"<RmtInf><Ustrd>advance</Ustrd></RmtInf>"
	cat <<XML
    </Stmt>
  </BkToCstmrStmt>
</Document>
XML
} > statement-2026-06.xml
"$C" payment import --key gazprom-2027.key statement-2026-06.xml
echo "The same statement again:"
"$C" payment import --key gazprom-2027.key statement-2026-06.xml | tail -1

step "Invoices against payments as of 2027-01-31: paid, open, days overdue, aging"
"$C" report invoices --as-of 2027-01-31 | head -8
echo "..."
"$C" report invoices --as-of 2027-01-31 | sed -n '/^aging/,$p'

step "Balances: the trial balance per currency sums to zero"
"$C" report balances
"$C" report balances --format csv | tr -d '\r' | awk -F, 'NR > 1 {
	split($3, p, "."); v = p[1] * 100 + (p[1] < 0 || substr($3, 1, 1) == "-" ? -p[2] : p[2]); s[$1] += v }
	END { for (c in s) printf "%s sums to %d minor units\n", c, s[c] }' | sort

step "The books in hledger and ledger-cli: the clearing view, and CN-CNPC's own books"
rm -f books.journal cnpc.journal
"$C" export --format journal --out books.journal
"$C" export --format journal --party CN-CNPC --out cnpc.journal
ledger -f books.journal --pedantic bal parties:RU-GAZPROM parties:CN-CNPC
hledger -f cnpc.journal --strict bs
hledger -f cnpc.journal --strict is

step "The operator signs the head; the auditor cosigns it (C2SP tlog-cosignature)"
"$C" checkpoint sign --key operator.key >/dev/null
"$C" checkpoint cosign --key audit.key | tee checkpoint.txt
AUDC=$("$C" key public audit.key --cosigner)
"$C" audit checkpoint --vkey "$VKEY" --cosigner "$AUDC" --min-cosigners 1 checkpoint.txt

step "An auditor with only the verifier key checks one entry"
"$C" prove inclusion 3 > entry3.tlog-proof
"$C" entry 3 --out entry3.bin
"$C" audit inclusion --vkey "$VKEY" --entry entry3.bin entry3.tlog-proof

step "The log only grew: a consistency proof from size 5 to now"
"$C" checkpoint --size 5 > checkpoint5.txt
"$C" prove consistency 5 > consistency.txt
"$C" audit consistency --vkey "$VKEY" checkpoint5.txt checkpoint.txt consistency.txt

step "Full verification: every byte, chain link, signature, tree node and index"
"$C" verify

step "An archive, verified offline, and a replica built from it"
"$C" export --format archive --out ledger.archive
"$C" verify --archive ledger.archive --vkey "$VKEY"
"$C" import --archive ledger.archive --ledger replica --vkey "$VKEY"
"$C" verify --ledger replica

step "Ledger against ledger: CNPC corrects its disputed day 10; what differs from the archive"
DAY10=$("$C" delivery list --contract G1 --format csv | awk -F, '$4 == "CN-ERENHOT" && $5 == "2026-03-09T16:00:00Z" {print $1}')
"$C" delivery correct --key cnpc.key --supersedes "$DAY10" --quantity 100.3 \
	--reason "flow computer fixed" >/dev/null
rc=0
"$C" report diff --theirs ledger.archive --vkey "$VKEY" || rc=$?
if [ "$rc" -ne 1 ]; then
	echo "demo: report diff did not find the correction (exit $rc)" >&2
	exit 1
fi
echo "(exit status 1: the ledgers differ, in exactly that reading)"

step "Tampering is caught: one byte of the archive changed"
cp ledger.archive tampered.archive
printf 'X' | dd of=tampered.archive bs=1 seek=$(( $(wc -c < tampered.archive) - 80 )) conv=notrunc 2>/dev/null
rc=0
"$C" verify --archive tampered.archive --vkey "$VKEY" || rc=$?
if [ "$rc" -ne 1 ]; then
	echo "demo: tampering was NOT detected (exit $rc)" >&2
	exit 1
fi
echo "(exit status 1: verification failed, as it must)"
step "The audit pack: the corridor year as one HTML file with plots, verified as it is written"
"$C" report audit --period 2026 --vkey "$VKEY" --cosigner "$AUDC" --out audit-2026.html
echo "(open demo/audit-2026.html in a browser; it loads nothing from anywhere)"
printf '\nDemo ledger, keys and proofs are in ./demo/\n'
