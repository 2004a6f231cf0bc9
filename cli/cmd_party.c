/* cmd_party.c — corridor party register | list | show, and corridor attest. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct register_ctx {
	const struct corridor_party_request *req;
	const char *idem;
};

static int do_register(struct corridor_ledger *l, const struct corridor_signer *s, void *vctx,
		       uint64_t *seq, struct corridor_diag *d)
{
	struct register_ctx *c = vctx;
	return corridor_party_register(l, s, c->req, c->idem, seq, d);
}

static int party_register(int argc, char **argv)
{
	const char *key = NULL, *id = NULL, *name = NULL, *cc = NULL, *roles_s = NULL, *vkey = NULL,
		   *idem = NULL, *pass_file = NULL, *ledger = NULL;
	const char *ibans[CORRIDOR_PARTY_IBANS_MAX];
	size_t niban = 0;
	const struct cli_opt opts[] = {
		{ "key", &key, NULL, NULL, NULL, 0 },
		{ "id", &id, NULL, NULL, NULL, 0 },
		{ "name", &name, NULL, NULL, NULL, 0 },
		{ "country", &cc, NULL, NULL, NULL, 0 },
		{ "roles", &roles_s, NULL, NULL, NULL, 0 },
		{ "vkey", &vkey, NULL, NULL, NULL, 0 },
		{ "iban", NULL, NULL, ibans, &niban, CORRIDOR_PARTY_IBANS_MAX },
		{ "idempotency-key", &idem, NULL, NULL, NULL, 0 },
		{ "passphrase-file", &pass_file, NULL, NULL, NULL, 0 },
		{ "ledger", &ledger, NULL, NULL, NULL, 0 },
	};
	const char *pos[1];
	size_t np;
	if (!cli_parse(argc, argv, opts, sizeof opts / sizeof opts[0], pos, 0, 0, &np, "party register"))
		return EXIT_USAGE;
	if (!key || !id || !name || !cc || !roles_s || !vkey)
		return cli_usage("--key, --id, --name, --country, --roles and --vkey are required; "
				 "usage: %s",
				 cli_usage_line());
	struct corridor_diag d;
	corridor_diag_init(&d);
	struct corridor_party_request req = { .id = id, .name = name, .country = cc,
					      .ibans = ibans, .iban_count = niban };
	int rc = cli_vkey(vkey, &req.key);
	if (rc)
		return rc;
	if (corridor_roles_parse(roles_s, &req.roles, &d) != 0)
		return cli_usage("%s", d.text);
	struct register_ctx c = { .req = &req, .idem = idem };
	return cli_write(ledger, key, pass_file, do_register, &c);
}

static void validity(const struct corridor_party_key *k, char *out, size_t cap)
{
	if (k->valid_until == UINT64_MAX)
		snprintf(out, cap, "from seq %llu", (unsigned long long)k->valid_from);
	else if (k->valid_until < k->valid_from)
		snprintf(out, cap, "never valid (revoked at seq %llu)",
			 (unsigned long long)k->valid_from);
	else
		snprintf(out, cap, "seq %llu to %llu", (unsigned long long)k->valid_from,
			 (unsigned long long)k->valid_until);
}

static void vkey_of(const struct corridor_party *p, const struct corridor_party_key *k,
		    char out[CORRIDOR_VKEY_BYTES_MAX + 1])
{
	struct corridor_vkey vk = { .key_id = k->key_id, .sigtype = CORRIDOR_SIGTYPE_ED25519 };
	snprintf(vk.name, sizeof vk.name, "%s", p->id);
	memcpy(vk.public_key, k->public_key, 32);
	corridor_vkey_format(&vk, out);
}

static int print_json(const struct corridor_party *p)
{
	int err = corridor_party_json(stdout, p);
	return err ? err : putchar('\n') == EOF ? CORRIDOR_E_IO : CORRIDOR_OK;
}

static const struct cli_col PARTY_COLS[] = { { "ID", 26, false },	 { "NAME", 28, false },
					    { "COUNTRY", 7, false }, { "ROLES", 24, false },
					    { "KEYS", 0, false } };

static int print_row(void *ctx, const struct corridor_party *p)
{
	struct cli_list *list = ctx;
	char roles[128];
	if (list->f != CLI_TABLE) {
		cli_list_item(list);
		int err = corridor_party_json(stdout, p);
		cli_list_item_end(list);
		return err ? err : ferror(stdout) ? CORRIDOR_E_IO : CORRIDOR_OK;
	}
	corridor_roles_format(p->roles, roles, sizeof roles);
	unsigned valid = 0;
	for (size_t i = 0; i < p->key_count; i++)
		valid += p->keys[i].valid_until == UINT64_MAX;
	char keys[48];
	snprintf(keys, sizeof keys, "%zu (%u valid)", p->key_count, valid);
	const char *cells[] = { p->id, p->name, p->country[0] ? p->country : "-", roles, keys };
	cli_table_row(PARTY_COLS, 5, cells);
	return CORRIDOR_OK;
}

static int party_list(int argc, char **argv)
{
	const char *format = NULL, *ledger = NULL;
	const struct cli_opt opts[] = { { "format", &format, NULL, NULL, NULL, 0 },
					 { "ledger", &ledger, NULL, NULL, NULL, 0 } };
	const char *pos[1];
	size_t np;
	if (!cli_parse(argc, argv, opts, 2, pos, 0, 0, &np, "party list"))
		return EXIT_USAGE;
	enum cli_format f;
	if (cli_list_format(format, false, &f) != EXIT_OK)
		return EXIT_USAGE;
	struct cli_list list = { .f = f };
	struct corridor_ledger *l;
	struct corridor_diag d;
	corridor_diag_init(&d);
	struct cli_doc doc;
	int rc = cli_open_view(ledger, f, "/v1/parties", "", &l, &doc);
	if (rc || (!l && !doc.body))
		return rc;
	if (f == CLI_TABLE)
		cli_table_head(PARTY_COLS, 5);
	if (doc.body) /* the server's view, read back */
		return cli_view_fail(corridor_parties_from_json(doc.body, doc.len, print_row, &list, &d),
				     &d, &doc);
	cli_list_open(&list);
	int err = corridor_party_list(l, print_row, &list, &d);
	if (!err)
		cli_list_close(&list);
	corridor_ledger_close(l);
	return err ? cli_fail(err, &d) : EXIT_OK;
}

static int keep_party(void *ctx, const struct corridor_party *p)
{
	memcpy(ctx, p, sizeof *p);
	return 0;
}

static int party_show(int argc, char **argv)
{
	const char *format = NULL, *ledger = NULL;
	const struct cli_opt opts[] = { { "format", &format, NULL, NULL, NULL, 0 },
					 { "ledger", &ledger, NULL, NULL, NULL, 0 } };
	const char *pos[1];
	size_t np;
	bool json;
	if (!cli_parse(argc, argv, opts, 2, pos, 1, 1, &np,
		       "party show"))
		return EXIT_USAGE;
	enum cli_format f;
	if (cli_format(format, false, &f) != EXIT_OK)
		return EXIT_USAGE;
	json = f == CLI_JSON;
	struct corridor_ledger *l;
	struct corridor_diag d;
	corridor_diag_init(&d);
	char vpath[CLI_VIEW_PATH_BYTES];
	cli_view_path(vpath, "/v1/parties/", pos[0]);
	struct cli_doc doc;
	int rc = cli_open_view(ledger, f, vpath, "", &l, &doc);
	if (rc || (!l && !doc.body))
		return rc;
	struct corridor_party *p = malloc(sizeof *p);
	int err = !p	  ? CORRIDOR_E_NOMEM
		  : l	  ? corridor_party_get(l, pos[0], p, &d)
			  : corridor_parties_from_json(doc.body, doc.len, keep_party, p, &d);
	free(doc.body);
	corridor_ledger_close(l);
	if (err) {
		free(p);
		return cli_fail(err, &d);
	}
	if (json) {
		err = print_json(p);
	} else {
		char roles[128], when[64], vk[CORRIDOR_VKEY_BYTES_MAX + 1];
		corridor_roles_format(p->roles, roles, sizeof roles);
		printf("id          %s\nname        %s\ncountry     %s\nroles       %s\n"
		       "registered  seq %llu\n",
		       p->id, p->name, p->country[0] ? p->country : "-", roles,
		       (unsigned long long)p->registered_seq);
		for (size_t i = 0; i < p->iban_count; i++)
			printf("iban        %s\n", p->ibans[i]);
		for (size_t i = 0; i < p->key_count; i++) {
			validity(&p->keys[i], when, sizeof when);
			vkey_of(p, &p->keys[i], vk);
			printf("key         %08x  %-28s %s\n", (unsigned)p->keys[i].key_id, when, vk);
		}
	}
	free(p);
	return err ? cli_fail(err, NULL) : EXIT_OK;
}

int cmd_party(int argc, char **argv)
{
	if (argc >= 1 && strcmp(argv[0], "register") == 0)
		return party_register(argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "list") == 0)
		return party_list(argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "show") == 0)
		return party_show(argc - 1, argv + 1);
	return cli_no_subcommand("party", argc, argv);
}

struct attest_ctx {
	uint64_t target;
	const uint8_t *hash;
	const char *note, *idem;
};

static int do_attest(struct corridor_ledger *l, const struct corridor_signer *s, void *vctx,
		     uint64_t *seq, struct corridor_diag *d)
{
	struct attest_ctx *c = vctx;
	return corridor_attest(l, s, c->target, c->hash, c->note, c->idem, seq, d);
}

int cmd_attest(int argc, char **argv)
{
	const char *key = NULL, *note = NULL, *hash_hex = NULL, *idem = NULL, *pass_file = NULL,
		   *ledger = NULL;
	const struct cli_opt opts[] = {
		{ "key", &key, NULL, NULL, NULL, 0 },
		{ "note", &note, NULL, NULL, NULL, 0 },
		{ "hash", &hash_hex, NULL, NULL, NULL, 0 },
		{ "idempotency-key", &idem, NULL, NULL, NULL, 0 },
		{ "passphrase-file", &pass_file, NULL, NULL, NULL, 0 },
		{ "ledger", &ledger, NULL, NULL, NULL, 0 },
	};
	const char *pos[1];
	size_t np;
	uint64_t target;
	uint8_t hash[CORRIDOR_HASH_BYTES];
	if (!cli_parse(argc, argv, opts, 6, pos, 1, 1, &np, "attest"))
		return EXIT_USAGE;
	if (!cli_u64(pos[0], &target))
		return cli_usage("SEQ must be a number; usage: %s", cli_usage_line());
	if (hash_hex && corridor_unhex(hash_hex, strlen(hash_hex), hash, sizeof hash) != 0)
		return cli_usage("--hash must be 64 hex digits (the entry's content hash)");
	struct attest_ctx c = { .target = target, .hash = hash_hex ? hash : NULL, .note = note,
				.idem = idem };
	return cli_write(ledger, key, pass_file, do_attest, &c);
}
