/* cmd_key.c — corridor key generate | public. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static int key_generate(int argc, char **argv)
{
	const char *name = NULL, *out = NULL, *kdf_s = NULL, *pass_file = NULL, *ledger = NULL;
	const struct cli_opt opts[] = {
		{ "name", &name, NULL, NULL, NULL, 0 },	   { "out", &out, NULL, NULL, NULL, 0 },
		{ "kdf", &kdf_s, NULL, NULL, NULL, 0 },	   { "passphrase-file", &pass_file, NULL, NULL, NULL, 0 },
		{ "ledger", &ledger, NULL, NULL, NULL, 0 },
	};
	const char *pos[1];
	size_t np;
	if (!cli_parse(argc, argv, opts, 5, pos, 0, 0, &np, "key generate"))
		return EXIT_USAGE;
	if (!name || !out)
		return cli_usage("--name and --out are required; usage: %s", cli_usage_line());
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
	bool cosigner = false;
	const struct cli_opt opts[] = { { "ledger", &ledger, NULL, NULL, NULL, 0 },
					 { "cosigner", NULL, &cosigner, NULL, NULL, 0 } };
	const char *pos[1];
	size_t np;
	if (!cli_parse(argc, argv, opts, 2, pos, 1, 1, &np, "key public"))
		return EXIT_USAGE;
	struct corridor_vkey vk, cv;
	struct corridor_diag d;
	corridor_diag_init(&d);
	int err = corridor_key_read_public(pos[0], &vk, &d);
	if (err)
		return cli_fail(err, &d);
	char s[CORRIDOR_VKEY_BYTES_MAX + 1];
	/* --cosigner: the same key as a c2sp.org/tlog-cosignature verifier (0x04). */
	corridor_vkey_as_cosigner(&vk, &cv);
	corridor_vkey_format(cosigner ? &cv : &vk, s);
	printf("%s\n", s);
	return EXIT_OK;
}

/* Common to rotate, revoke and add: open, load the signer, run, print seq. */
struct key_write {
	const char *key, *pass_file, *ledger, *idem;
};

struct rotate_ctx {
	struct corridor_vkey nv;
	const char *idem;
};

static int do_rotate(struct corridor_ledger *l, const struct corridor_signer *s, void *vctx,
		     uint64_t *seq, struct corridor_diag *d)
{
	struct rotate_ctx *c = vctx;
	const char *name = corridor_signer_vkey(s)->name;
	if (strcmp(c->nv.name, name) != 0) {
		snprintf(d->text, sizeof d->text,
			 "the new key is named '%.100s', the current one '%.100s': a party's keys "
			 "are named by its id",
			 c->nv.name, name);
		return CORRIDOR_E_INVALID;
	}
	return corridor_key_rotate(l, s, c->nv.public_key, c->idem, seq, d);
}

static int key_rotate(int argc, char **argv)
{
	struct key_write w = { 0 };
	const char *newfile = NULL;
	const struct cli_opt opts[] = {
		{ "key", &w.key, NULL, NULL, NULL, 0 },
		{ "new", &newfile, NULL, NULL, NULL, 0 },
		{ "idempotency-key", &w.idem, NULL, NULL, NULL, 0 },
		{ "passphrase-file", &w.pass_file, NULL, NULL, NULL, 0 },
		{ "ledger", &w.ledger, NULL, NULL, NULL, 0 },
	};
	const char *pos[1];
	size_t np;
	if (!cli_parse(argc, argv, opts, 5, pos, 0, 0, &np, "key rotate"))
		return EXIT_USAGE;
	if (!w.key || !newfile)
		return cli_usage("--key and --new are required; usage: %s", cli_usage_line());
	struct corridor_diag d;
	corridor_diag_init(&d);
	struct rotate_ctx c = { .idem = w.idem };
	int err = corridor_key_read_public(newfile, &c.nv, &d);
	if (err)
		return cli_fail(err, &d);
	return cli_write(w.ledger, w.key, w.pass_file, do_rotate, &c);
}

struct revoke_ctx {
	const char *party, *reason, *idem;
	uint32_t key_id;
};

static int do_revoke(struct corridor_ledger *l, const struct corridor_signer *s, void *vctx,
		     uint64_t *seq, struct corridor_diag *d)
{
	struct revoke_ctx *c = vctx;
	return corridor_key_revoke(l, s, c->party, c->key_id, c->reason, c->idem, seq, d);
}

static int key_revoke(int argc, char **argv)
{
	struct key_write w = { 0 };
	const char *party = NULL, *kid_s = NULL, *reason = NULL;
	const struct cli_opt opts[] = {
		{ "key", &w.key, NULL, NULL, NULL, 0 },
		{ "party", &party, NULL, NULL, NULL, 0 },
		{ "key-id", &kid_s, NULL, NULL, NULL, 0 },
		{ "reason", &reason, NULL, NULL, NULL, 0 },
		{ "idempotency-key", &w.idem, NULL, NULL, NULL, 0 },
		{ "passphrase-file", &w.pass_file, NULL, NULL, NULL, 0 },
		{ "ledger", &w.ledger, NULL, NULL, NULL, 0 },
	};
	const char *pos[1];
	size_t np;
	uint8_t kid[4];
	if (!cli_parse(argc, argv, opts, 7, pos, 0, 0, &np, "key revoke"))
		return EXIT_USAGE;
	if (!w.key || !party || !kid_s)
		return cli_usage("--key, --party and --key-id are required; usage: %s", cli_usage_line());
	if (corridor_unhex(kid_s, strlen(kid_s), kid, 4) != 0)
		return cli_usage("--key-id is the key id as 8 hex digits");
	struct revoke_ctx c = { .party = party, .reason = reason, .idem = w.idem,
				.key_id = (uint32_t)kid[0] << 24 | (uint32_t)kid[1] << 16 |
					  (uint32_t)kid[2] << 8 | kid[3] };
	return cli_write(w.ledger, w.key, w.pass_file, do_revoke, &c);
}

struct add_ctx {
	const char *party, *idem;
	struct corridor_vkey vk;
};

static int do_add(struct corridor_ledger *l, const struct corridor_signer *s, void *vctx,
		  uint64_t *seq, struct corridor_diag *d)
{
	struct add_ctx *c = vctx;
	return corridor_key_add(l, s, c->party, &c->vk, c->idem, seq, d);
}

static int key_add(int argc, char **argv)
{
	struct key_write w = { 0 };
	const char *party = NULL, *vkey = NULL;
	const struct cli_opt opts[] = {
		{ "key", &w.key, NULL, NULL, NULL, 0 },
		{ "party", &party, NULL, NULL, NULL, 0 },
		{ "vkey", &vkey, NULL, NULL, NULL, 0 },
		{ "idempotency-key", &w.idem, NULL, NULL, NULL, 0 },
		{ "passphrase-file", &w.pass_file, NULL, NULL, NULL, 0 },
		{ "ledger", &w.ledger, NULL, NULL, NULL, 0 },
	};
	const char *pos[1];
	size_t np;
	if (!cli_parse(argc, argv, opts, 6, pos, 0, 0, &np, "key add"))
		return EXIT_USAGE;
	if (!w.key || !party || !vkey)
		return cli_usage("--key, --party and --vkey are required; usage: %s", cli_usage_line());
	struct add_ctx c = { .party = party, .idem = w.idem };
	int rc = cli_vkey(vkey, &c.vk);
	return rc ? rc : cli_write(w.ledger, w.key, w.pass_file, do_add, &c);
}

int cmd_key(int argc, char **argv)
{
	if (argc >= 1 && strcmp(argv[0], "rotate") == 0)
		return key_rotate(argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "revoke") == 0)
		return key_revoke(argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "add") == 0)
		return key_add(argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "generate") == 0)
		return key_generate(argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "public") == 0)
		return key_public(argc - 1, argv + 1);
	return cli_no_subcommand("key", argc, argv);
}
