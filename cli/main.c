/* main.c — the `corridor` command: dispatch to one file per command group. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char USAGE[] =
	"usage: corridor COMMAND [OPTIONS]\n"
	"\n"
	"keys and ledger\n"
	"  key generate --name NAME --out FILE [--kdf interactive|moderate|sensitive]\n"
	"  key public FILE [--cosigner]\n"
	"  key rotate --key CURRENT_KEY --new NEW_KEY_FILE\n"
	"  key revoke --key SIGNER_KEY --party ID --key-id HEX [--reason TEXT]\n"
	"  key add --key OPERATOR_KEY --party ID --vkey VKEY\n"
	"  init --origin ORIGIN --operator-key FILE [--statement-lifetime DURATION]\n"
	"  party register --key OPERATOR_KEY --id ID --name NAME --country CC --roles LIST\n"
	"                 --vkey VKEY [--iban IBAN]...\n"
	"  party list [--format table|json] | party show ID [--format table|json]\n"
	"  memo --key FILE TEXT | memo --key FILE --from LINES.txt [--batch N]\n"
	"  attest SEQ --key FILE [--note TEXT] [--hash HEX]\n"
	"contracts\n"
	"  contract propose --key FILE --file contract.json\n"
	"  contract accept ID --key FILE [--proposal SEQ]\n"
	"  contract amend ID --key FILE --file contract.json --effective DATE\n"
	"  contract terminate ID --key FILE --effective DATE\n"
	"  contract show ID | contract list [--party ID] [--format table|json]\n"
	"deliveries\n"
	"  delivery record --key FILE --contract ID --start T --end T --quantity DEC --meter M\n"
	"                  [--quality A|E] [--reference R]\n"
	"  delivery import --key FILE FILE.csv [--batch N]\n"
	"  delivery correct --key FILE --supersedes SEQ --quantity DEC [--reason TEXT]\n"
	"  delivery list --contract ID [--period YYYY-MM] [--format table|csv|json]\n"
	"money (docs/SETTLEMENT.md)\n"
	"  currency define --key OPERATOR_KEY --code CODE --decimals N | currency list\n"
	"  rate record --key FILE --base CUR --quote CUR --date D --rate DEC --source NAME [--correct]\n"
	"  rate import --key FILE rates.csv | rate list [--pair B/Q] [--from D] [--to D]\n"
	"  settle run --key FILE --period YYYY-MM [--dry-run] | settle show PERIOD|INVOICE\n"
	"  settle reverse --key FILE --period YYYY-MM --reason TEXT\n"
	"  payment record --key FILE --payer ID --payee ID --currency CUR --amount DEC\n"
	"                 --value-date D --reference REF\n"
	"  payment reverse --key FILE SEQ --reason TEXT | payment list [--party ID]\n"
	"  payment import --key FILE statement.xml          ISO 20022 camt.053 (.02 and later)\n"
	"reports\n"
	"  report meters --contract ID --period YYYY-MM [--format table|csv|json]\n"
	"  report performance [--contract ID] --period YYYY-MM [--format table|csv|json]\n"
	"  report invoices [--party ID] [--as-of DATE] | report balances [--as-of DATE]\n"
	"  report diff --theirs ARCHIVE [--vkey VKEY] [--all]\n"
	"  log [--from SEQ] [--limit N] [--format table|json]\n"
	"  entry SEQ [--out FILE]\n"
	"tree, proofs and audits\n"
	"  checkpoint [--size N] | checkpoint sign --key OPERATOR_KEY\n"
	"  checkpoint cosign --key AUDITOR_KEY [--size N]\n"
	"  prove inclusion SEQ | prove consistency OLD_SIZE [NEW_SIZE]\n"
	"  audit checkpoint --vkey VKEY [--cosigner VKEY]... [--min-cosigners K] FILE\n"
	"  audit inclusion --vkey VKEY (--leaf-hash HEX | --entry FILE) PROOF_FILE\n"
	"  audit consistency --vkey VKEY OLD_CHECKPOINT NEW_CHECKPOINT PROOF_FILE\n"
	"  verify | verify --archive FILE --vkey VKEY | verify --view FILE --vkey VKEY [--entries]\n"
	"archives\n"
	"  export --format archive --out FILE [--from SEQ]\n"
	"  export --format journal --out FILE                an hledger / ledger-cli journal\n"
	"  import --archive FILE [--vkey VKEY] | import --tiles DIR|URL [--vkey VKEY]\n"
	"  tiles export --out DIR [--entries]                C2SP tlog-tiles for a static server\n"
	"  monitor --from DIR|URL --vkey VKEY --state DIR [--key FILE] [--watch PARTY]... [--follow]\n"
	"                                                    follow the log by its tiles, verifying\n"
	"  backup --out DIR                                  a consistent, compacted copy\n"
	"\n"
	"Every write takes --idempotency-key K (a retry with the same key and body changes nothing).\n"
	"Every command takes --ledger DIR (else $CORRIDOR_LEDGER, else ./corridor-ledger).\n"
	"Passphrases: $CORRIDOR_PASSPHRASE, --passphrase-file FILE, or a prompt on a terminal.\n"
	"Exit codes: 0 ok, 1 refused or verification failed, 2 usage, 3 I/O or storage.\n";

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
};

static const struct command COMMANDS[] = {
	{ "key", cmd_key },		{ "init", cmd_init },	  { "memo", cmd_memo },
	{ "log", cmd_log },		{ "entry", cmd_entry },	  { "checkpoint", cmd_checkpoint },
	{ "prove", cmd_prove },		{ "audit", cmd_audit },	  { "verify", cmd_verify },
	{ "tiles", cmd_tiles },	{ "monitor", cmd_monitor },	{ "export", cmd_export },	{ "import", cmd_import },	  { "party", cmd_party },
	{ "attest", cmd_attest },	{ "contract", cmd_contract },	  { "delivery", cmd_delivery },
	{ "report", cmd_report },	{ "backup", cmd_backup },	  { "currency", cmd_currency },
	{ "rate", cmd_rate },		{ "settle", cmd_settle },	  { "payment", cmd_payment },
	{ "serve", cmd_serve },	{ "witness", cmd_witness },
};

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
		fputs(USAGE, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	if (corridor_init() != 0) {
		fprintf(stderr, "corridor: cannot initialise libsodium\n");
		return EXIT_STORAGE;
	}
	if ((argc = cli_take_global_options(argc, argv)) < 0)
		return EXIT_USAGE;
	if (argc < 2) {
		fputs(USAGE, stderr);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++) {
		if (strcmp(argv[1], COMMANDS[i].name) != 0)
			continue;
		int rc = COMMANDS[i].run(argc - 2, argv + 2);
		/* Output that did not reach its file (a full disk, a closed pipe) is
		 * a failure, whatever the command thought: one place checks it. */
		bool flush_failed = fflush(stdout) != 0;
		int flush_errno = errno;
		if ((flush_failed || ferror(stdout)) && (rc == EXIT_OK || rc == EXIT_REFUSED)) {
			fprintf(stderr, "corridor: cannot write the output: %s\n",
				flush_failed ? strerror(flush_errno) : "a write failed");
			rc = EXIT_STORAGE;
		}
		return rc;
	}
	fprintf(stderr, "corridor: unknown command '%s' (see 'corridor --help')\n", argv[1]);
	return EXIT_USAGE;
}
