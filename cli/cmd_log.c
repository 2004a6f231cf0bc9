/* cmd_log.c — corridor init | memo | log | entry. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MEMO_FILE_BYTES_MAX ((size_t)256 << 20)

/* A duration: digits and one unit, s, m, h or d ("24h", "90m"); 0 if not. */
static uint64_t duration_s(const char *s)
{
	uint64_t n = 0;
	size_t i = 0;
	for (; s[i] >= '0' && s[i] <= '9' && i < 9; i++)
		n = n * 10u + (uint64_t)(s[i] - '0');
	if (i == 0 || s[i] == '\0' || s[i + 1] != '\0')
		return 0;
	switch (s[i]) {
	case 's': return n;
	case 'm': return n * 60u;
	case 'h': return n * 3600u;
	case 'd': return n * 86400u;
	default: return 0;
	}
}

int cmd_init(int argc, char **argv)
{
	const char *origin = NULL, *key = NULL, *pass_file = NULL, *ledger = NULL,
		   *lifetime = NULL;
	const struct cli_opt opts[] = {
		{ "origin", &origin, NULL, NULL, NULL, 0 },
		{ "operator-key", &key, NULL, NULL, NULL, 0 },
		{ "passphrase-file", &pass_file, NULL, NULL, NULL, 0 },
		{ "ledger", &ledger, NULL, NULL, NULL, 0 },
		{ "statement-lifetime", &lifetime, NULL, NULL, NULL, 0 },
	};
	const char *pos[1];
	size_t np;
	if (!cli_parse(argc, argv, opts, 5, pos, 0, 0, &np, "init"))
		return EXIT_USAGE;
	if (!origin || !key)
		return cli_usage("--origin and --operator-key are required; usage: %s", cli_usage_line());
	if (cli_server.url)
		return cli_usage("init creates a ledger here, on the operator's host: no --server");
	/* how long a statement signed offline may wait to be submitted */
	struct corridor_ledger_settings settings = { 0 };
	if (lifetime && (settings.statement_lifetime_max_s = duration_s(lifetime)) == 0)
		return cli_usage("--statement-lifetime: a duration such as 90m, 24h or 7d");
	struct corridor_signer *op;
	int rc = cli_signer(key, pass_file, &op);
	if (rc)
		return rc;
	if (strcmp(corridor_signer_vkey(op)->name, origin) != 0) {
		fprintf(stderr,
			"corridor: the operator key is named '%s' but the origin is '%s': they "
			"must be equal (generate the key with --name %s)\n",
			corridor_signer_vkey(op)->name, origin, origin);
		corridor_signer_free(op);
		return EXIT_REFUSED;
	}
	struct corridor_ledger *l;
	struct corridor_diag d;
	corridor_diag_init(&d);
	const char *dir = cli_ledger_dir(ledger);
	int err = corridor_ledger_create_with(dir, op, &settings, &l, &d);
	corridor_signer_free(op);
	if (err)
		return cli_fail(err, &d);
	printf("initialised ledger %s with origin %s\n", dir, origin);
	corridor_ledger_close(l);
	return EXIT_OK;
}

struct memo_progress {
	uint64_t done, total;
};

static void memo_committed(void *ctx, uint64_t first, uint64_t last)
{
	struct memo_progress *p = ctx;
	/* The acknowledgement: these seqs are durable now. */
	printf("appended %llu..%llu\n", (unsigned long long)first, (unsigned long long)last);
	fflush(stdout);
	p->done += last - first + 1;
	cli_progress((void *)"memo", p->done, p->total);
}

/* Splits buf into lines (LF or CRLF) in place; validates each. */
static int split_lines(char *buf, size_t len, char ***texts, size_t **lens, size_t *count)
{
	size_t n = 0, cap = 0;
	char **t = NULL;
	size_t *l = NULL;
	size_t p = 0;
	int rc = EXIT_OK;
	while (p < len) {
		char *nl = memchr(buf + p, '\n', len - p);
		size_t end = nl ? (size_t)(nl - buf) : len, llen = end - p;
		if (llen > 0 && buf[p + llen - 1] == '\r')
			llen--;
		if (n >= CORRIDOR_MEMO_LINES_MAX) {
			rc = cli_usage("the file has more than %u lines", CORRIDOR_MEMO_LINES_MAX);
			goto out_fail;
		}
		struct corridor_diag d;
		corridor_diag_init(&d);
		if (corridor_memo_check(buf + p, llen, &d) != 0) {
			fprintf(stderr, "corridor: line %zu: %s; nothing was written\n", n + 1,
				d.text);
			rc = EXIT_REFUSED;
			goto out_fail;
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 1024;
			char **nt = realloc(t, cap * sizeof *nt);
			size_t *nlens = realloc(l, cap * sizeof *nlens);
			if (nt)
				t = nt;
			if (nlens)
				l = nlens;
			if (!nt || !nlens) {
				rc = cli_fail(CORRIDOR_E_NOMEM, NULL);
				goto out_fail;
			}
		}
		t[n] = buf + p;
		l[n] = llen;
		n++;
		p = end + 1;
	}
	*texts = t;
	*lens = l;
	*count = n;
	return EXIT_OK;
out_fail:
	free(t);
	free(l);
	return rc;
}

int cmd_memo(int argc, char **argv)
{
	const char *key = NULL, *from = NULL, *batch_s = NULL, *pass_file = NULL, *ledger = NULL,
		   *idem = NULL;
	const struct cli_opt opts[] = {
		{ "key", &key, NULL, NULL, NULL, 0 },
		{ "from", &from, NULL, NULL, NULL, 0 },
		{ "batch", &batch_s, NULL, NULL, NULL, 0 },
		{ "passphrase-file", &pass_file, NULL, NULL, NULL, 0 },
		{ "ledger", &ledger, NULL, NULL, NULL, 0 },
		{ "idempotency-key", &idem, NULL, NULL, NULL, 0 },
	};
	const char *pos[1];
	size_t np;
	if (!cli_parse(argc, argv, opts, 6, pos, 0, 1, &np, "memo"))
		return EXIT_USAGE;
	if (!key || (np == 1) == (from != NULL))
		return cli_usage("give --key and either TEXT or --from FILE; usage: %s", cli_usage_line());
	if (from && idem)
		return cli_usage("--idempotency-key goes with a single memo, not --from");
	uint64_t batch = CORRIDOR_BATCH_ENTRIES_DEFAULT;
	if (batch_s && (!cli_u64(batch_s, &batch) || batch == 0 || batch > CORRIDOR_BATCH_ENTRIES_MAX))
		return cli_usage("--batch must be 1..%u", CORRIDOR_BATCH_ENTRIES_MAX);

	char *buf = NULL, **texts = NULL, *one[1];
	size_t *lens = NULL, one_len[1], count = 1;
	struct corridor_diag d;
	corridor_diag_init(&d);
	int rc;
	if (from) {
		size_t len;
		if ((rc = cli_read_input(from, MEMO_FILE_BYTES_MAX, &buf, &len)) != 0)
			return rc;
		if ((rc = split_lines(buf, len, &texts, &lens, &count)) != 0) {
			free(buf);
			return rc;
		}
		if (count == 0) {
			free(buf);
			free(texts);
			free(lens);
			return cli_usage("%s holds no lines", from);
		}
	} else {
		one[0] = (char *)(uintptr_t)pos[0];
		one_len[0] = strlen(pos[0]);
		if (corridor_memo_check(one[0], one_len[0], &d) != 0)
			return cli_fail(CORRIDOR_E_INVALID, &d);
		texts = one;
		lens = one_len;
	}
	struct corridor_ledger *l = NULL;
	struct corridor_signer *s = NULL;
	if ((rc = cli_open(ledger, &l)) != 0 || (rc = cli_signer(key, pass_file, &s)) != 0)
		goto out_free;
	struct memo_progress prog = { .done = 0, .total = count };
	uint64_t seq = 0;
	int err;
	if (from) {
		err = corridor_memo_append(l, s, (const char *const *)texts, lens, count,
					   (size_t)batch, memo_committed, &prog, &d);
		cli_progress_end("memo");
		rc = err ? cli_fail(err, &d) : EXIT_OK;
		if (!err) /* the summary, after the acknowledgements */
			printf("%zu memos, %llu appended\n", count, (unsigned long long)prog.done);
	} else {
		err = corridor_memo_add(l, s, texts[0], lens[0], idem, &seq, &d);
		rc = cli_print_seq(err, seq, &d);
	}
out_free:
	corridor_signer_free(s);
	corridor_ledger_close(l);
	if (from) {
		free(texts);
		free(lens);
		free(buf);
	}
	return rc;
}

/* What `log` prints: the filters, and how many it may still print. */
#define LOG_ENOUGH 1 /* log_one's "stop": the limit is reached */
struct log_ctx {
	bool json;
	struct cli_list list; /* log's framing (entry prints one object) */
	int err;
	bool filtered;              /* by the fields below (`log`; not `entry`) */
	const char *kind, *author;
	int64_t since_us, until_us; /* [since, until) of the log's time */
	uint64_t left;              /* entries still to print; 0: no limit */
};

static void summary(const struct corridor_entry *e, char *out, size_t cap)
{
	/* What the entry is about, cut to fit a table row. */
	const char *s;
	size_t n;
	uint64_t u;
	out[0] = '\0';
	if (strcmp(e->kind, "attest") == 0 &&
	    corridor_msgpack_map_uint(e->body, e->body_len, "seq", &u) == 0) {
		snprintf(out, cap, "attests seq %llu", (unsigned long long)u);
		return;
	}
	if (strcmp(e->kind, "key.rotate") == 0) {
		snprintf(out, cap, "a new key for %.40s", e->author);
		return;
	}
	if (strcmp(e->kind, "key.add") == 0 &&
	    corridor_msgpack_map_str(e->body, e->body_len, "party", &s, &n) == 0) {
		snprintf(out, cap, "a new key for %.*s (the old ones revoked)", (int)n, s);
		return;
	}
	if (strcmp(e->kind, "key.revoke") == 0 &&
	    corridor_msgpack_map_uint(e->body, e->body_len, "key_id", &u) == 0 &&
	    corridor_msgpack_map_str(e->body, e->body_len, "party", &s, &n) == 0) {
		snprintf(out, cap, "key %08llx of %.*s", (unsigned long long)u, (int)n, s);
		return;
	}
	if (strcmp(e->kind, "payment.record") == 0) {
		const char *payer, *payee, *cur;
		size_t a, b, c;
		if (corridor_msgpack_map_str(e->body, e->body_len, "payer", &payer, &a) == 0 &&
		    corridor_msgpack_map_str(e->body, e->body_len, "payee", &payee, &b) == 0 &&
		    corridor_msgpack_map_str(e->body, e->body_len, "currency", &cur, &c) == 0 &&
		    corridor_msgpack_map_str(e->body, e->body_len, "reference", &s, &n) == 0) {
			snprintf(out, cap, "%.*s to %.*s, %.*s: %.*s", (int)a, payer, (int)b, payee,
				 (int)c, cur, (int)(n < 40 ? n : 40), s);
			return;
		}
	}
	if (strncmp(e->kind, "rate.", 5) == 0) {
		const char *base, *quote, *date;
		size_t a, b, c;
		if (corridor_msgpack_map_str(e->body, e->body_len, "base", &base, &a) == 0 &&
		    corridor_msgpack_map_str(e->body, e->body_len, "quote", &quote, &b) == 0 &&
		    corridor_msgpack_map_str(e->body, e->body_len, "date", &date, &c) == 0 &&
		    corridor_msgpack_map_str(e->body, e->body_len, "source", &s, &n) == 0) {
			snprintf(out, cap, "%.*s/%.*s %.*s (%.*s)", (int)a, base, (int)b, quote, (int)c,
				 date, (int)(n < 32 ? n : 32), s);
			return;
		}
	}
	if ((strcmp(e->kind, "settlement.batch") == 0 || strcmp(e->kind, "settlement.reverse") == 0) &&
	    corridor_msgpack_map_str(e->body, e->body_len, "period", &s, &n) == 0) {
		if (corridor_msgpack_map_uint(e->body, e->body_len, "count", &u) == 0)
			snprintf(out, cap, "period %.*s, %llu invoices", (int)n, s, (unsigned long long)u);
		else if (corridor_msgpack_map_uint(e->body, e->body_len, "batch", &u) == 0)
			snprintf(out, cap, "reverses batch %llu of %.*s", (unsigned long long)u, (int)n, s);
		return;
	}
	if (strcmp(e->kind, "payment.reverse") == 0 &&
	    corridor_msgpack_map_uint(e->body, e->body_len, "payment", &u) == 0) {
		snprintf(out, cap, "reverses payment %llu", (unsigned long long)u);
		return;
	}
	if (strncmp(e->kind, "delivery.", 9) == 0 &&
	    corridor_msgpack_map_str(e->body, e->body_len, "contract", &s, &n) == 0) {
		const char *meter;
		size_t m;
		if (corridor_msgpack_map_str(e->body, e->body_len, "meter", &meter, &m) == 0)
			snprintf(out, cap, "%.*s on %.*s", (int)n, s, (int)(m < 40 ? m : 40), meter);
		return;
	}
	if (strcmp(e->kind, "delivery.correct") == 0 &&
	    corridor_msgpack_map_uint(e->body, e->body_len, "supersedes", &u) == 0) {
		snprintf(out, cap, "corrects reading %llu", (unsigned long long)u);
		return;
	}
	if (strncmp(e->kind, "contract.", 9) == 0 &&
	    corridor_msgpack_map_str(e->body, e->body_len, "contract", &s, &n) == 0) {
		snprintf(out, cap, "contract %.*s", (int)(n < 40 ? n : 40), s);
		return;
	}
	if (strcmp(e->kind, "contract.propose") == 0) {
		snprintf(out, cap, "a new contract");
		return;
	}
	if (strcmp(e->kind, "currency.define") == 0 &&
	    corridor_msgpack_map_str(e->body, e->body_len, "code", &s, &n) == 0) {
		snprintf(out, cap, "%.*s", (int)(n < 8 ? n : 8), s);
		return;
	}
	if (corridor_msgpack_map_str(e->body, e->body_len, "text", &s, &n) == 0 ||
	    corridor_msgpack_map_str(e->body, e->body_len, "id", &s, &n) == 0 ||
	    corridor_msgpack_map_str(e->body, e->body_len, "origin", &s, &n) == 0) {
		size_t m = n < cap - 1 ? n : cap - 1;
		while (m > 0 && m < n && ((unsigned char)s[m] & 0xc0u) == 0x80u)
			m--; /* never cut inside a UTF-8 sequence */
		snprintf(out, cap, "%.*s", (int)m, s);
	}
}

static int log_one(void *vctx, uint64_t seq, const uint8_t *bytes, size_t len)
{
	struct log_ctx *c = vctx;
	struct corridor_entry e;
	struct corridor_diag d;
	corridor_diag_init(&d);
	if (corridor_entry_decode(bytes, len, &e, &d) != 0) {
		fprintf(stderr, "corridor: entry %llu does not decode: %s (run 'corridor verify')\n",
			(unsigned long long)seq, d.text);
		c->err = CORRIDOR_E_VERIFY;
		return c->err;
	}
	if (c->filtered &&
	    ((c->kind && strcmp(e.kind, c->kind) != 0) || (c->author && strcmp(e.author, c->author) != 0) ||
	     (int64_t)e.time_us < c->since_us || (int64_t)e.time_us >= c->until_us))
		return CORRIDOR_OK;
	if (c->json) {
		cli_list_item(&c->list); /* (an entry's JSON ends its own line) */
		if ((c->err = corridor_entry_json(stdout, bytes, len, &d)) != 0)
			return c->err;
	} else {
		cli_entry_line(&e);
	}
	if (ferror(stdout))
		return CORRIDOR_E_IO;
	return c->left && --c->left == 0 ? LOG_ENOUGH : CORRIDOR_OK;
}

/* --since/--until: a UTC time (2026-03-01T00:00:00Z) or a date (its UTC
 * midnight), in microseconds. */
static bool log_time(const char *s, int64_t *us)
{
	int64_t t;
	int32_t day;
	size_t n = strlen(s);
	if (n == 10 && corridor_date_parse(s, n, &day) == 0)
		t = (int64_t)day * 86400;
	else if (corridor_utc_parse(s, n, &t) != 0)
		return false;
	*us = t * 1000000;
	return true;
}

static const struct cli_col LOG_COLS[] = { { "SEQ", 8, true },	 { "TIME (UTC)", 27, false },
					  { "KIND", 18, false }, { "AUTHOR", 16, false },
					  { "KEY", 8, false },	 { "SUMMARY", 0, false } };

void cli_entry_head(void)
{
	cli_table_head(LOG_COLS, 6);
}

void cli_entry_line(const struct corridor_entry *e)
{
	char sum[61], t[40], seq[24], key[12];
	cli_time(e->time_us, t);
	summary(e, sum, sizeof sum);
	snprintf(seq, sizeof seq, "%llu", (unsigned long long)e->seq);
	snprintf(key, sizeof key, "%08x", (unsigned)e->key_id);
	const char *cells[] = { seq, t, e->kind, e->author, key, sum };
	cli_table_row(LOG_COLS, 6, cells);
}

int cmd_log(int argc, char **argv)
{
	const char *from_s = NULL, *limit_s = NULL, *format = NULL, *ledger = NULL, *key = NULL,
		   *pass_file = NULL, *kind = NULL, *author = NULL, *since = NULL, *until = NULL;
	const struct cli_opt opts[] = {
		{ "kind", &kind, NULL, NULL, NULL, 0 },
		{ "author", &author, NULL, NULL, NULL, 0 },
		{ "since", &since, NULL, NULL, NULL, 0 },
		{ "until", &until, NULL, NULL, NULL, 0 },
		{ "from", &from_s, NULL, NULL, NULL, 0 },
		{ "limit", &limit_s, NULL, NULL, NULL, 0 },
		{ "format", &format, NULL, NULL, NULL, 0 },
		{ "ledger", &ledger, NULL, NULL, NULL, 0 },
		{ "key", &key, NULL, NULL, NULL, 0 },
		{ "passphrase-file", &pass_file, NULL, NULL, NULL, 0 },
	};
	const char *pos[1];
	size_t np;
	if (!cli_parse(argc, argv, opts, sizeof opts / sizeof opts[0], pos, 0, 0, &np, "log"))
		return EXIT_USAGE;
	uint64_t from = 0, limit = 0;
	if (from_s && !cli_u64(from_s, &from))
		return cli_usage("--from must be a seq");
	if (limit_s && (!cli_u64(limit_s, &limit) || limit == 0))
		return cli_usage("--limit must be a count of at least 1 (leave it out for all)");
	struct log_ctx c = { .filtered = true, .kind = kind, .author = author, .since_us = INT64_MIN,
			     .until_us = INT64_MAX, .left = limit };
	if ((since && !log_time(since, &c.since_us)) || (until && !log_time(until, &c.until_us)))
		return cli_usage("--since and --until are UTC times (2026-03-01T00:00:00Z) or dates "
				 "(YYYY-MM-DD)");
	enum cli_format f;
	if (cli_list_format(format, false, &f) != EXIT_OK)
		return EXIT_USAGE;
	c.json = f == CLI_JSON || f == CLI_JSONL;
	c.list.f = f;
	if (cli_server.url) { /* what this reader may see of the range, as JSON */
		char query[112];
		if (format && !c.json)
			return cli_usage("with --server, log prints JSON (--format json or jsonl)");
		if (kind || author || since || until)
			return cli_usage("with --server, log takes --from and --limit only (the "
					 "server's /v1/log has no filters)");
		snprintf(query, sizeof query, "?from=%llu&limit=%llu%s", (unsigned long long)from,
			 (unsigned long long)(limit ? limit : 100), f == CLI_JSONL ? "&format=jsonl" : "");
		return cli_remote_get(key, pass_file, "/v1/log", query);
	}
	struct corridor_ledger *l;
	int rc = cli_open_ro(ledger, &l);
	if (rc)
		return rc;
	if (!c.json)
		cli_entry_head();
	cli_list_open(&c.list);
	/* the limit counts what is printed: the scan stops at it (LOG_ENOUGH) */
	int err = corridor_ledger_scan(l, from, 0, log_one, &c);
	corridor_ledger_close(l);
	if (err == LOG_ENOUGH)
		err = CORRIDOR_OK;
	if (!err && !c.err)
		cli_list_close(&c.list);
	if (err && !c.err)
		return cli_fail(err, NULL);
	return c.err ? EXIT_REFUSED : EXIT_OK;
}

int cmd_entry(int argc, char **argv)
{
	const char *out = NULL, *ledger = NULL, *key = NULL, *pass_file = NULL;
	const struct cli_opt opts[] = { { "out", &out, NULL, NULL, NULL, 0 },
					{ "ledger", &ledger, NULL, NULL, NULL, 0 },
					{ "key", &key, NULL, NULL, NULL, 0 },
					{ "passphrase-file", &pass_file, NULL, NULL, NULL, 0 } };
	const char *pos[1];
	size_t np;
	uint64_t seq;
	if (!cli_parse(argc, argv, opts, 4, pos, 1, 1, &np,
		       "entry"))
		return EXIT_USAGE;
	if (!cli_u64(pos[0], &seq))
		return cli_usage("SEQ must be a number");
	if (cli_server.url) {
		char path[64];
		if (out)
			return cli_usage("with --server, entry prints JSON (--out is for a local ledger)");
		snprintf(path, sizeof path, "/v1/entries/%llu", (unsigned long long)seq);
		return cli_remote_get(key, pass_file, path, "");
	}
	struct corridor_ledger *l;
	int rc = cli_open_ro(ledger, &l);
	if (rc)
		return rc;
	uint8_t *bytes;
	size_t len;
	int err = corridor_ledger_entry(l, seq, &bytes, &len);
	corridor_ledger_close(l);
	if (err == CORRIDOR_E_NOTFOUND) {
		fprintf(stderr, "corridor: no entry %llu\n", (unsigned long long)seq);
		return EXIT_REFUSED;
	}
	if (err)
		return cli_fail(err, NULL);
	if (out) {
		FILE *f = fopen(out, "wbx");
		bool ok = f && fwrite(bytes, 1, len, f) == len;
		if (f && fclose(f) != 0)
			ok = false;
		free(bytes);
		if (!ok) {
			fprintf(stderr, "corridor: cannot write %s (it must not exist)\n", out);
			return EXIT_STORAGE;
		}
		return EXIT_OK;
	}
	struct log_ctx c = { .json = true };
	err = log_one(&c, seq, bytes, len);
	free(bytes);
	return err ? cli_fail(err, NULL) : EXIT_OK;
}
