/* cmd_contract.c — corridor contract propose | accept | amend | terminate | show | list. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *const COMMODITY_NAMES[] = { "", "gas", "power", "transit" };
static const char *const STATUS_NAMES[] = { "", "proposed", "active", "terminated" };

/* Loads the terms from a JSON file; flags given on the command line override it. */
struct term_flags {
	const char *file, *id, *seller, *buyer, *start, *end;
	const char *amend_id; /* amend: the file must be the terms of this contract */
};

static int load_terms(const struct term_flags *f, struct corridor_contract_terms *t)
{
	struct corridor_diag d;
	corridor_diag_init(&d);
	if (!f->file)
		return cli_usage("--file contract.json is required (docs/CONTRACTS.md has examples)");
	char *buf;
	size_t n;
	int rc = cli_read_input(f->file, CORRIDOR_CONTRACT_JSON_BYTES_MAX, &buf, &n);
	if (rc)
		return rc;
	int err = corridor_contract_parse_json(buf, n, t, &d);
	free(buf);
	if (err) {
		fprintf(stderr, "corridor: %s: %s\n", f->file, d.text);
		return cli_exit_code(err);
	}
	if (f->amend_id && strcmp(t->id, f->amend_id) != 0)
		return cli_usage("%s is the terms of contract '%s', not of '%s': nothing was written",
				 f->file, cli_safe(t->id), f->amend_id);
	if (f->id)
		snprintf(t->id, sizeof t->id, "%s", f->id);
	if (f->seller)
		snprintf(t->seller, sizeof t->seller, "%s", f->seller);
	if (f->buyer)
		snprintf(t->buyer, sizeof t->buyer, "%s", f->buyer);
	if (f->start && corridor_date_parse(f->start, strlen(f->start), &t->start_day) != 0)
		return cli_usage("--start must be a date YYYY-MM-DD");
	if (f->end && corridor_date_parse(f->end, strlen(f->end), &t->end_day) != 0)
		return cli_usage("--end must be a date YYYY-MM-DD");
	if ((err = corridor_contract_validate(t, &d)) != 0)
		return cli_fail(err, &d);
	return EXIT_OK;
}

struct cwrite {
	struct corridor_contract_terms *t;
	const char *id, *idem;
	int32_t effective;
	uint64_t proposal;
	int what; /* 0 propose, 1 amend, 2 terminate, 3 accept */
};

static int do_contract(struct corridor_ledger *l, const struct corridor_signer *s, void *vctx,
		       uint64_t *seq, struct corridor_diag *d)
{
	struct cwrite *c = vctx;
	switch (c->what) {
	case 0:
		return corridor_contract_propose(l, s, c->t, c->idem, seq, d);
	case 1:
		return corridor_contract_amend(l, s, c->t, c->effective, c->idem, seq, d);
	case 2:
		return corridor_contract_terminate(l, s, c->id, c->effective, c->idem, seq, d);
	default:
		return corridor_contract_accept(l, s, c->id, c->proposal, c->idem, seq, d);
	}
}

static int contract_write(int what, int argc, char **argv)
{
	struct term_flags f = { 0 };
	const char *key = NULL, *idem = NULL, *pass_file = NULL, *ledger = NULL, *eff = NULL,
		   *proposal = NULL;
	const struct cli_opt opts[] = {
		{ "key", &key, NULL, NULL, NULL, 0 },
		{ "file", &f.file, NULL, NULL, NULL, 0 },
		{ "id", &f.id, NULL, NULL, NULL, 0 },
		{ "seller", &f.seller, NULL, NULL, NULL, 0 },
		{ "buyer", &f.buyer, NULL, NULL, NULL, 0 },
		{ "start", &f.start, NULL, NULL, NULL, 0 },
		{ "end", &f.end, NULL, NULL, NULL, 0 },
		{ "effective", &eff, NULL, NULL, NULL, 0 },
		{ "proposal", &proposal, NULL, NULL, NULL, 0 },
		{ "idempotency-key", &idem, NULL, NULL, NULL, 0 },
		{ "passphrase-file", &pass_file, NULL, NULL, NULL, 0 },
		{ "ledger", &ledger, NULL, NULL, NULL, 0 },
	};
	static const char *const PATHS[] = { "contract propose", "contract amend",
					     "contract terminate", "contract accept" };
	const char *pos[1];
	size_t np;
	if (!cli_parse(argc, argv, opts, sizeof opts / sizeof opts[0], pos, what == 0 ? 0 : 1,
		       what == 0 ? 0 : 1, &np, PATHS[what]))
		return EXIT_USAGE;
	struct corridor_contract_terms *t = calloc(1, sizeof *t);
	struct cwrite c = { .t = t, .id = np ? pos[0] : NULL, .idem = idem, .what = what };
	int rc = EXIT_OK;
	if (!t)
		return cli_fail(CORRIDOR_E_NOMEM, NULL);
	if ((what == 1 || what == 2) &&
	    (!eff || corridor_date_parse(eff, strlen(eff), &c.effective) != 0))
		rc = cli_usage("--effective DATE (YYYY-MM-DD, a local date of the contract) is "
			       "required; usage: %s",
			       cli_usage_line());
	if (!rc && what == 3 && proposal && (!cli_u64(proposal, &c.proposal) || c.proposal == 0))
		rc = cli_usage("--proposal is the seq of the proposal to accept");
	if (!rc && (what == 0 || what == 1)) {
		if (what == 1)
			f.amend_id = pos[0];
		rc = load_terms(&f, t);
	}
	if (!rc)
		rc = cli_write(ledger, key, pass_file, do_contract, &c);
	free(t);
	return rc;
}

static int print_contract_json(const struct corridor_contract *c)
{
	int err = corridor_contract_json(stdout, c);
	return err ? err : putchar('\n') == EOF ? CORRIDOR_E_IO : CORRIDOR_OK;
}

static const struct cli_col CONTRACT_COLS[] = {
	{ "ID", 12, false },	{ "STATUS", 10, false }, { "GOOD", 7, false },
	{ "SELLER", 14, false }, { "BUYER", 14, false },  { "UNIT", 5, false },
	{ "START", 10, false },	 { "END", 10, false },	  { "PENDING", 7, true },
};

static int print_contract_row(void *ctx, const struct corridor_contract *c)
{
	struct cli_list *list = ctx;
	if (list->f != CLI_TABLE) {
		cli_list_item(list);
		int err = corridor_contract_json(stdout, c);
		cli_list_item_end(list);
		return err ? err : ferror(stdout) ? CORRIDOR_E_IO : CORRIDOR_OK;
	}
	const struct corridor_contract_terms *t =
		c->version_count ? &c->versions[c->version_count - 1].terms : NULL;
	char s[11] = "-", e[11] = "-";
	if (t) {
		corridor_date_format(t->start_day, s);
		corridor_date_format(t->end_day, e);
	}
	char pending[24];
	snprintf(pending, sizeof pending, "%zu", c->pending_count);
	const char *cells[] = { c->id,		   STATUS_NAMES[c->status],
				t ? COMMODITY_NAMES[t->commodity] : "-",
				t ? t->seller : "-", t ? t->buyer : "-",
				t ? t->unit : "-",   s,
				e,		   pending };
	cli_table_row(CONTRACT_COLS, 9, cells);
	return CORRIDOR_OK;
}

static int keep_contract(void *ctx, const struct corridor_contract *c)
{
	memcpy(ctx, c, sizeof *c);
	return 0;
}

static int contract_show(int argc, char **argv, bool list)
{
	const char *format = NULL, *ledger = NULL, *party = NULL;
	const struct cli_opt opts[] = {
		{ "format", &format, NULL, NULL, NULL, 0 },
		{ "ledger", &ledger, NULL, NULL, NULL, 0 },
		{ "party", &party, NULL, NULL, NULL, 0 },
	};
	const char *pos[1];
	size_t np;
	if (!cli_parse(argc, argv, opts, list ? 3 : 2, pos, list ? 0 : 1, list ? 0 : 1, &np,
		       list ? "contract list" : "contract show"))
		return EXIT_USAGE;
	enum cli_format f;
	if ((list ? cli_list_format(format, false, &f) : cli_format(format, false, &f)) != EXIT_OK)
		return EXIT_USAGE;
	bool json = f == CLI_JSON;
	struct cli_list rows = { .f = f };
	struct corridor_ledger *l;
	struct corridor_diag d;
	corridor_diag_init(&d);
	char vpath[CLI_VIEW_PATH_BYTES], query[256] = "";
	if (list)
		snprintf(vpath, sizeof vpath, "/v1/contracts");
	else
		cli_view_path(vpath, "/v1/contracts/", pos[0]);
	cli_query_add(query, sizeof query, "party", list ? party : NULL);
	struct cli_doc doc;
	int rc = cli_open_view(ledger, f, vpath, query, &l, &doc);
	if (rc || (!l && !doc.body))
		return rc;
	int err;
	if (list) {
		if (f == CLI_TABLE)
			cli_table_head(CONTRACT_COLS, 9);
		if (l)
			cli_list_open(&rows);
		err = l ? corridor_contract_list(l, party, print_contract_row, &rows, &d)
			: corridor_contracts_from_json(doc.body, doc.len, print_contract_row, &rows,
						       &d);
		if (l && !err)
			cli_list_close(&rows);
	} else {
		struct corridor_contract *c = malloc(sizeof *c);
		err = !c  ? CORRIDOR_E_NOMEM
		      : l ? corridor_contract_get(l, pos[0], c, &d)
			  : corridor_contracts_from_json(doc.body, doc.len, keep_contract, c, &d);
		if (!err && json) {
			err = print_contract_json(c);
		} else if (!err) {
			printf("contract    %s (%s, proposed at seq %llu)\n", c->id,
			       STATUS_NAMES[c->status], (unsigned long long)c->proposed_seq);
			for (size_t i = 0; i < c->version_count; i++) {
				char e[11], s[11], en[11], off[7], p[48];
				const struct corridor_contract_terms *t = &c->versions[i].terms;
				corridor_date_format(c->versions[i].effective_day, e);
				corridor_date_format(t->start_day, s);
				corridor_date_format(t->end_day, en);
				corridor_offset_format(t->utc_offset_min, off);
				printf("%s %zu: from %s (accepted at seq %llu)\n",
				       i + 1 == c->version_count ? "in force" : "version ", i + 1, e,
				       (unsigned long long)c->versions[i].accepted_seq);
				printf("  %s %s -> %s at %s, %s, term %s to %s (%s), metered by %s on "
				       "%s\n",
				       COMMODITY_NAMES[t->commodity], t->seller, t->buyer,
				       t->delivery_point, t->unit, s, en, off, t->metering_party,
				       t->billing_meter);
				for (size_t k = 0; k < t->price_count; k++) {
					corridor_date_format(t->prices[k].from_day, s);
					corridor_decimal_format(t->prices[k].price_micro, 6, p, sizeof p);
					printf("  price from %s: %s %s/%s\n", s, p, t->currency, t->unit);
				}
			}
			for (size_t i = 0; i < c->pending_count; i++) {
				char e[11];
				corridor_date_format(c->pending[i].effective_day, e);
				printf("pending     seq %llu: %s by %s from %s\n",
				       (unsigned long long)c->pending[i].seq, c->pending[i].kind,
				       c->pending[i].proposer, e);
			}
		}
		free(c);
	}
	free(doc.body);
	corridor_ledger_close(l);
	return err ? cli_fail(err, &d) : EXIT_OK;
}

int cmd_contract(int argc, char **argv)
{
	static const char *const verbs[] = { "propose", "amend", "terminate", "accept" };
	for (int i = 0; i < 4; i++)
		if (argc >= 1 && strcmp(argv[0], verbs[i]) == 0)
			return contract_write(i, argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "show") == 0)
		return contract_show(argc - 1, argv + 1, false);
	if (argc >= 1 && strcmp(argv[0], "list") == 0)
		return contract_show(argc - 1, argv + 1, true);
	return cli_no_subcommand("contract", argc, argv);
}
