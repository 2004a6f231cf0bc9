/* cmd_delivery.c — corridor delivery record | correct | import | list. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

struct drec {
	struct corridor_delivery_request r;
	uint64_t supersedes;
	int64_t point_s; /* a series' point, or INT64_MIN */
	const char *reason, *idem;
	bool correct;
};

static int do_delivery(struct corridor_ledger *l, const struct corridor_signer *s, void *vctx,
		       uint64_t *seq, struct corridor_diag *d)
{
	struct drec *c = vctx;
	if (c->correct)
		return corridor_delivery_correct_at(l, s, c->supersedes, c->point_s,
						    c->r.quantity_milli, c->reason, c->idem, seq, d);
	return corridor_delivery_record(l, s, &c->r, seq, d);
}

static int parse_quantity(const char *q, int64_t *out)
{
	int err = q ? corridor_decimal_parse(q, strlen(q), 3, 0, CORRIDOR_QUANTITY_MILLI_LIMIT - 1, out)
		    : CORRIDOR_E_INVALID;
	if (err)
		return cli_usage("--quantity: a decimal 0 <= q < 10^12 with at most 3 decimals");
	return EXIT_OK;
}

static int delivery_record(int argc, char **argv, bool correct)
{
	const char *key = NULL, *contract = NULL, *start = NULL, *end = NULL, *qty = NULL,
		   *meter = NULL, *quality = NULL, *ref = NULL, *sup = NULL, *reason = NULL,
		   *idem = NULL, *pass_file = NULL, *ledger = NULL;
	const struct cli_opt opts[] = {
		{ "key", &key, NULL, NULL, NULL, 0 },
		{ "contract", &contract, NULL, NULL, NULL, 0 },
		{ "start", &start, NULL, NULL, NULL, 0 },
		{ "end", &end, NULL, NULL, NULL, 0 },
		{ "quantity", &qty, NULL, NULL, NULL, 0 },
		{ "meter", &meter, NULL, NULL, NULL, 0 },
		{ "quality", &quality, NULL, NULL, NULL, 0 },
		{ "reference", &ref, NULL, NULL, NULL, 0 },
		{ "supersedes", &sup, NULL, NULL, NULL, 0 },
		{ "reason", &reason, NULL, NULL, NULL, 0 },
		{ "idempotency-key", &idem, NULL, NULL, NULL, 0 },
		{ "passphrase-file", &pass_file, NULL, NULL, NULL, 0 },
		{ "ledger", &ledger, NULL, NULL, NULL, 0 },
	};
	const char *pos[1];
	size_t np;
	if (!cli_parse(argc, argv, opts, sizeof opts / sizeof opts[0], pos, 0, 0, &np, correct ? "delivery correct" : "delivery record"))
		return EXIT_USAGE;
	struct drec c = { .correct = correct, .reason = reason, .idem = idem,
			  .point_s = INT64_MIN };
	int rc = parse_quantity(qty, &c.r.quantity_milli);
	if (rc)
		return rc;
	if (correct) {
		if (!sup || !cli_u64(sup, &c.supersedes))
			return cli_usage("--supersedes SEQ is required; usage: %s", cli_usage_line());
		/* a series' point is named by its start */
		if (start && corridor_utc_parse(start, strlen(start), &c.point_s) != 0)
			return cli_usage("--start is a UTC time like 2026-03-01T00:00:00Z");
	} else {
		if (!contract || !meter || !start || !end)
			return cli_usage("--contract, --start, --end and --meter are required; usage: %s",
					 cli_usage_line());
		if (corridor_utc_parse(start, strlen(start), &c.r.start_s) != 0 ||
		    corridor_utc_parse(end, strlen(end), &c.r.end_s) != 0)
			return cli_usage("--start and --end are UTC times like 2026-03-01T00:00:00Z");
		if (quality && (strlen(quality) != 1 || (quality[0] != 'A' && quality[0] != 'E')))
			return cli_usage("--quality is A (actual) or E (estimated)");
		c.r.contract = contract;
		c.r.meter = meter;
		c.r.reference = ref ? ref : idem;
		c.r.quality = quality ? quality[0] : 'A';
	}
	return cli_write(ledger, key, pass_file, do_delivery, &c);
}

struct imp_progress {
	uint64_t done;
	char **buf; /* the file, freed once read */
};

static void imp_input_done(void *ctx)
{
	struct imp_progress *p = ctx;
	free(*p->buf);
	*p->buf = NULL;
}

static void imp_committed(void *ctx, uint64_t first, uint64_t last)
{
	struct imp_progress *p = ctx;
	printf("appended %llu..%llu\n", (unsigned long long)first, (unsigned long long)last);
	fflush(stdout);
	p->done += last - first + 1;
}

static void imp_progress(void *ctx, uint64_t done, uint64_t total)
{
	(void)ctx;
	cli_progress((void *)"import (intervals)", done, total);
}

/* --format of the readings files: csv (default for import) or cim. */
static bool delivery_format(const char *s, enum corridor_delivery_format *out)
{
	if (!s || strcmp(s, "csv") == 0)
		*out = CORRIDOR_DELIVERIES_CSV;
	else if (strcmp(s, "cim") == 0)
		*out = CORRIDOR_DELIVERIES_MVD;
	else
		return false;
	return true;
}

static int read_map(const char *path, char **buf, size_t *len)
{
	*buf = NULL;
	*len = 0;
	return path ? cli_read_input(path, CORRIDOR_IMPORT_BYTES_MAX, buf, len) : EXIT_OK;
}

/* Over --server: each contract's UTC offset as the reader's view shows it
 * (its verified replica, for a reader entitled to everything), so that the
 * rows are grouped into series as locally. */
struct offsets {
	struct corridor_contract_offset *o;
	size_t n, cap;
};

static int offset_one(void *ctx, const struct corridor_contract *c)
{
	struct offsets *v = ctx;
	if (c->version_count == 0)
		return 0;
	if (v->n == v->cap) {
		size_t cap = v->cap ? 2 * v->cap : 16;
		void *n = realloc(v->o, cap * sizeof *v->o);
		if (!n)
			return CORRIDOR_E_NOMEM;
		v->o = n;
		v->cap = cap;
	}
	struct corridor_contract_offset *o = &v->o[v->n++];
	snprintf(o->contract, sizeof o->contract, "%s", c->id);
	o->utc_offset_min = c->versions[0].terms.utc_offset_min;
	return 0;
}

static int remote_offsets(struct offsets *out)
{
	struct corridor_ledger *l;
	struct cli_doc doc;
	struct corridor_diag d;
	corridor_diag_init(&d);
	int rc = cli_open_view(NULL, CLI_TABLE, "/v1/contracts", "", &l, &doc);
	if (rc)
		return rc;
	int err = l ? corridor_contract_list(l, NULL, offset_one, out, &d)
		    : corridor_contracts_from_json(doc.body, doc.len, offset_one, out, &d);
	corridor_ledger_close(l);
	return cli_view_fail(err, &d, &doc);
}

static int delivery_import(int argc, char **argv)
{
	const char *key = NULL, *batch_s = NULL, *pass_file = NULL, *ledger = NULL, *format = NULL,
		   *map_path = NULL, *reason = NULL;
	const struct cli_opt opts[] = {
		{ "key", &key, NULL, NULL, NULL, 0 },
		{ "batch", &batch_s, NULL, NULL, NULL, 0 },
		{ "format", &format, NULL, NULL, NULL, 0 },
		{ "map", &map_path, NULL, NULL, NULL, 0 },
		{ "reason", &reason, NULL, NULL, NULL, 0 },
		{ "passphrase-file", &pass_file, NULL, NULL, NULL, 0 },
		{ "ledger", &ledger, NULL, NULL, NULL, 0 },
	};
	const char *pos[1];
	size_t np;
	uint64_t batch = CORRIDOR_BATCH_ENTRIES_DEFAULT;
	if (!cli_parse(argc, argv, opts, sizeof opts / sizeof opts[0], pos, 1, 1, &np, "delivery import"))
		return EXIT_USAGE;
	if (batch_s && (!cli_u64(batch_s, &batch) || batch == 0 || batch > CORRIDOR_BATCH_ENTRIES_MAX))
		return cli_usage("--batch must be 1..%u", CORRIDOR_BATCH_ENTRIES_MAX);
	struct corridor_delivery_import_opts o = { .reason = reason, .batch_entries = (size_t)batch,
						   .committed = imp_committed,
						   .progress = imp_progress,
						   .input_done = imp_input_done };
	if (!delivery_format(format, &o.format))
		return cli_usage("--format is csv or cim (an IEC 62325 Measurement Value Document)");
	if (map_path && o.format != CORRIDOR_DELIVERIES_MVD)
		return cli_usage("--map goes with --format cim");
	char *map = NULL, *buf;
	size_t len;
	int rc = read_map(map_path, &map, &o.map_len);
	if (rc)
		return rc;
	o.map = map;
	struct corridor_ledger *l;
	struct corridor_signer *s;
	struct corridor_diag d;
	corridor_diag_init(&d);
	rc = cli_import_open(pos[0],
			     o.format == CORRIDOR_DELIVERIES_MVD ? CORRIDOR_MVD_BYTES_MAX
								 : CORRIDOR_IMPORT_BYTES_MAX,
			     o.format == CORRIDOR_DELIVERIES_MVD ? CORRIDOR_IMPORT_MVD
								 : CORRIDOR_IMPORT_DELIVERIES,
			     ledger, key, pass_file, &buf, &len, &l, &s);
	if (rc) {
		free(map);
		return rc;
	}
	struct offsets offs = { 0 };
	if (cli_server.url && o.format == CORRIDOR_DELIVERIES_CSV && !reason &&
	    (rc = remote_offsets(&offs)) != 0) {
		corridor_signer_free(s);
		corridor_ledger_close(l);
		free(buf);
		free(map);
		return rc;
	}
	o.offsets = offs.o;
	o.offset_count = offs.n;
	struct imp_progress prog = { .buf = &buf };
	o.ctx = &prog;
	size_t written, skipped;
	int err = corridor_delivery_import_with(l, s, buf, len, &o, &written, &skipped, &d);
	free(offs.o);
	cli_progress_end("import");
	corridor_signer_free(s);
	corridor_ledger_close(l);
	free(buf);
	free(map);
	if (err) {
		if (d.text[0])
			fprintf(stderr, "corridor: %s: %s%s\n", cli_safe(pos[0]), d.text,
				written ? "" : "; nothing was written");
		else
			cli_fail(err, NULL);
		return cli_exit_code(err);
	}
	printf("imported %zu readings, %zu already there\n", written, skipped);
	return EXIT_OK;
}

/* Writes FILE through a temporary file beside it, renamed when complete. */
static int delivery_export(int argc, char **argv)
{
	const char *format = NULL, *contract = NULL, *period = NULL, *recorder = NULL,
		   *map_path = NULL, *sender = NULL, *receiver = NULL, *revision = NULL,
		   *out = NULL, *ledger = NULL;
	const struct cli_opt opts[] = {
		{ "format", &format, NULL, NULL, NULL, 0 },
		{ "contract", &contract, NULL, NULL, NULL, 0 },
		{ "period", &period, NULL, NULL, NULL, 0 },
		{ "recorder", &recorder, NULL, NULL, NULL, 0 },
		{ "map", &map_path, NULL, NULL, NULL, 0 },
		{ "sender", &sender, NULL, NULL, NULL, 0 },
		{ "receiver", &receiver, NULL, NULL, NULL, 0 },
		{ "revision", &revision, NULL, NULL, NULL, 0 },
		{ "out", &out, NULL, NULL, NULL, 0 },
		{ "ledger", &ledger, NULL, NULL, NULL, 0 },
	};
	const char *pos[1];
	size_t np;
	if (!cli_parse(argc, argv, opts, sizeof opts / sizeof opts[0], pos, 0, 0, &np, "delivery export"))
		return EXIT_USAGE;
	struct corridor_delivery_export_opts o = { .contract = contract, .recorder = recorder,
						   .sender = sender, .receiver = receiver,
						   .revision = 1, .created_s = (int64_t)time(NULL) };
	if (!format || !delivery_format(format, &o.format) || !contract || !period || !out)
		return cli_usage("--format cim|csv, --contract, --period and --out are required; "
				 "usage: %s",
				 cli_usage_line());
	if (!cli_period(period, &o.period_first_day))
		return cli_usage("--period is a month YYYY-MM");
	uint64_t rev = 1;
	if (revision && (!cli_u64(revision, &rev) || rev < 1 || rev > 999))
		return cli_usage("--revision is 1-999");
	o.revision = (unsigned)rev;
	if (o.format == CORRIDOR_DELIVERIES_CSV && (map_path || sender || receiver || revision))
		return cli_usage("--map, --sender, --receiver and --revision go with --format cim");
	char *map = NULL;
	int rc = read_map(map_path, &map, &o.map_len);
	if (rc)
		return rc;
	o.map = map;
	struct corridor_ledger *l;
	if ((rc = cli_open_ro(ledger, &l)) != 0) {
		free(map);
		return rc;
	}
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp.%ld", out, (long)getpid());
	FILE *f = fopen(tmp, "wx");
	struct corridor_diag d;
	corridor_diag_init(&d);
	size_t n = 0;
	int err = CORRIDOR_E_IO;
	if (f) {
		err = corridor_delivery_export(l, &o, f, &n, &d);
		if (fclose(f) != 0 && !err)
			err = CORRIDOR_E_IO;
		if (!err && rename(tmp, out) != 0)
			err = CORRIDOR_E_IO;
		if (err)
			unlink(tmp);
	}
	corridor_ledger_close(l);
	free(map);
	if (err && !d.text[0]) {
		fprintf(stderr, "corridor: cannot write %s: %s\n", cli_safe(out), strerror(errno));
		return EXIT_STORAGE;
	}
	if (err)
		return cli_fail(err, &d);
	printf("wrote %zu readings to %s\n", n, cli_safe(out));
	return EXIT_OK;
}

struct dlist {
	enum cli_format format;
	struct cli_list list;
};

static const struct cli_col DELIVERY_COLS[] = {
	{ "SEQ", 8, true },	       { "RECORDER", 12, false }, { "METER", 14, false },
	{ "START (UTC)", 20, false }, { "END (UTC)", 20, false }, { "QUANTITY", 16, true },
	{ "Q", 1, false },	       { "STATUS", 0, false },
};

static int print_delivery(void *ctx, const struct corridor_delivery *d)
{
	struct dlist *c = ctx;
	char s[21], e[21], q[32];
	corridor_utc_format(d->start_s, s);
	corridor_utc_format(d->end_s, e);
	corridor_decimal_format(d->quantity_milli, 3, q, sizeof q);
	const char *status = d->superseded_by ? "superseded" : d->supersedes ? "correction" : "latest";
	if (c->format == CLI_JSON || c->format == CLI_JSONL) {
		cli_list_item(&c->list);
		int err = corridor_delivery_json(stdout, d);
		cli_list_item_end(&c->list);
		if (err)
			return err;
	} else if (c->format == CLI_CSV) {
		printf("%llu,%s,%s,", (unsigned long long)d->seq, d->contract, d->recorder);
		cli_csv_str(d->meter);
		printf(",%s,%s,%s,%c,", s, e, q, d->quality);
		cli_csv_seq(d->supersedes);
		putchar(',');
		cli_csv_seq(d->superseded_by);
		fputs("\r\n", stdout);
	} else {
		char seq[24], g[CLI_NUM_BYTES], qual[2] = { d->quality, '\0' };
		snprintf(seq, sizeof seq, "%llu", (unsigned long long)d->seq);
		const char *cells[] = { seq, d->recorder, d->meter, s, e, cli_grouped(q, g), qual,
					status };
		cli_table_row(DELIVERY_COLS, 8, cells);
	}
	return ferror(stdout) ? CORRIDOR_E_IO : CORRIDOR_OK;
}

static int delivery_list(int argc, char **argv)
{
	const char *contract = NULL, *period = NULL, *format = NULL, *ledger = NULL;
	const struct cli_opt opts[] = {
		{ "contract", &contract, NULL, NULL, NULL, 0 },
		{ "period", &period, NULL, NULL, NULL, 0 },
		{ "format", &format, NULL, NULL, NULL, 0 },
		{ "ledger", &ledger, NULL, NULL, NULL, 0 },
	};
	const char *pos[1];
	size_t np;
	if (!cli_parse(argc, argv, opts, 4, pos, 0, 0, &np, "delivery list"))
		return EXIT_USAGE;
	if (!contract)
		return cli_usage("--contract is required; usage: %s", cli_usage_line());
	struct dlist c = { 0 };
	if (cli_list_format(format, true, &c.format) != EXIT_OK)
		return EXIT_USAGE;
	c.list.f = c.format;
	int32_t first = -1;
	if (period && !cli_period(period, &first))
		return cli_usage("--period is a month YYYY-MM");
	struct corridor_ledger *l;
	struct corridor_diag dg;
	corridor_diag_init(&dg);
	char query[256] = "";
	cli_query_add(query, sizeof query, "contract", contract);
	cli_query_add(query, sizeof query, "period", period);
	struct cli_doc doc;
	int rc = cli_open_view(ledger, c.format, "/v1/deliveries", query, &l, &doc);
	if (rc || (!l && !doc.body))
		return rc;
	if (c.format == CLI_CSV)
		printf("seq,contract,recorder,meter,start,end,quantity,quality,supersedes,"
		       "superseded_by\r\n");
	else if (c.format == CLI_TABLE)
		cli_table_head(DELIVERY_COLS, 8);
	if (doc.body)
		return cli_view_fail(corridor_deliveries_from_json(doc.body, doc.len, print_delivery,
								   &c, &dg),
				     &dg, &doc);
	cli_list_open(&c.list);
	int err = corridor_delivery_list(l, contract, first, print_delivery, &c, &dg);
	if (!err)
		cli_list_close(&c.list);
	corridor_ledger_close(l);
	return err ? cli_fail(err, &dg) : EXIT_OK;
}

int cmd_delivery(int argc, char **argv)
{
	if (argc >= 1 && strcmp(argv[0], "record") == 0)
		return delivery_record(argc - 1, argv + 1, false);
	if (argc >= 1 && strcmp(argv[0], "correct") == 0)
		return delivery_record(argc - 1, argv + 1, true);
	if (argc >= 1 && strcmp(argv[0], "import") == 0)
		return delivery_import(argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "list") == 0)
		return delivery_list(argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "export") == 0)
		return delivery_export(argc - 1, argv + 1);
	return cli_no_subcommand("delivery", argc, argv);
}
