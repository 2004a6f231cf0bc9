/* cmd_key.c — corridor key generate | public. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static int key_generate(int argc, char **argv)
{
	const char *name = NULL, *out = NULL, *kdf_s = NULL, *pass_file = NULL, *ledger = NULL;
	const struct cli_opt opts[] = {
		{ "name", &name, NULL },	   { "out", &out, NULL },
		{ "kdf", &kdf_s, NULL },	   { "passphrase-file", &pass_file, NULL },
		{ "ledger", &ledger, NULL },
	};
	const char *pos[1];
	size_t np;
	const char *usage = "corridor key generate --name NAME --out FILE "
			    "[--kdf interactive|moderate|sensitive]";
	if (!cli_parse(argc, argv, opts, 5, pos, 0, 0, &np, usage))
		return EXIT_USAGE;
	if (!name || !out)
		return cli_usage("--name and --out are required; usage: %s", usage);
	enum corridor_kdf kdf = CORRIDOR_KDF_MODERATE;
	if (kdf_s && strcmp(kdf_s, "interactive") == 0)
		kdf = CORRIDOR_KDF_INTERACTIVE;
	else if (kdf_s && strcmp(kdf_s, "sensitive") == 0)
		kdf = CORRIDOR_KDF_SENSITIVE;
	else if (kdf_s && strcmp(kdf_s, "moderate") != 0)
		return cli_usage("--kdf must be interactive, moderate or sensitive");
	char *pass;
	size_t plen;
	int rc = cli_passphrase(pass_file, true, &pass, &plen);
	if (rc)
		return rc;
	struct corridor_diag d;
	corridor_diag_init(&d);
	int err = corridor_key_generate(name, pass, plen, kdf, out, &d);
	cli_passphrase_free(pass, plen);
	if (err)
		return cli_fail(err, &d);
	struct corridor_vkey vk;
	if ((err = corridor_key_read_public(out, &vk, &d)) != 0)
		return cli_fail(err, &d);
	char s[CORRIDOR_VKEY_BYTES_MAX + 1];
	corridor_vkey_format(&vk, s);
	printf("%s\n", s);
	return EXIT_OK;
}

static int key_public(int argc, char **argv)
{
	const char *ledger = NULL;
	const struct cli_opt opts[] = { { "ledger", &ledger, NULL } };
	const char *pos[1];
	size_t np;
	if (!cli_parse(argc, argv, opts, 1, pos, 1, 1, &np, "corridor key public FILE"))
		return EXIT_USAGE;
	struct corridor_vkey vk;
	struct corridor_diag d;
	corridor_diag_init(&d);
	int err = corridor_key_read_public(pos[0], &vk, &d);
	if (err)
		return cli_fail(err, &d);
	char s[CORRIDOR_VKEY_BYTES_MAX + 1];
	corridor_vkey_format(&vk, s);
	printf("%s\n", s);
	return EXIT_OK;
}

int cmd_key(int argc, char **argv)
{
	if (argc >= 1 && strcmp(argv[0], "generate") == 0)
		return key_generate(argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "public") == 0)
		return key_public(argc - 1, argv + 1);
	return cli_usage("usage: corridor key generate|public ...");
}
