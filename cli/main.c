/* main.c — the `corridor` command: dispatch to one file per command group. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

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
	if (corridor_init() != 0) {
		fprintf(stderr, "corridor: cannot initialise libsodium\n");
		return EXIT_STORAGE;
	}
	if ((argc = cli_take_global_options(argc, argv)) < 0)
		return EXIT_USAGE;
	if (argc < 2) {
		cli_overview(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		cli_overview(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("corridor %s\n", corridor_version());
		return EXIT_OK;
	}
	if (strcmp(argv[1], "help") == 0)
		return cli_help_command(argc - 2, argv + 2);
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
	return cli_unknown_command(argv[1]);
}
