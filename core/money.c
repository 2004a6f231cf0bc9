/*
 * money.c — the currency and rate service: currency.define, rate.record and
 * rate.correct drafts, the rates CSV import, currency and rate lists. The
 * kinds are core/kinds/money.c; the fixing-rate rule is core/kinds/rules.c.
 */
#include <msgpack.h>

#include "log/log.h"

#define RATE_BODY_BYTES_MAX 256u

static size_t rate_body(const struct corridor_rate *r, uint8_t *buf, size_t cap)
{
	struct corridor_mpbuf w;
	msgpack_packer pk;
	char date[11];
	corridor_date_format(r->day, date);
	corridor_mpbuf_init(&w, &pk, buf, cap);
	msgpack_pack_map(&pk, 5);
	corridor_mp_pack_str(&pk, "base", 4);
	corridor_mp_pack_str(&pk, r->base, 3);
	corridor_mp_pack_str(&pk, "date", 4);
	corridor_mp_pack_str(&pk, date, 10);
	corridor_mp_pack_str(&pk, "quote", 5);
	corridor_mp_pack_str(&pk, r->quote, 3);
	corridor_mp_pack_str(&pk, "rate", 4);
	msgpack_pack_int64(&pk, r->rate_e8);
	corridor_mp_pack_str(&pk, "source", 6);
	corridor_mp_pack_str(&pk, r->source, strlen(r->source));
	return w.overflow ? 0 : w.len;
}

/* ---- the API ---- */

int corridor_currency_define(struct corridor_ledger *l, const struct corridor_signer *s,
			     const char *code, unsigned decimals, const char *idem, uint64_t *seq,
			     struct corridor_diag *diag)
{
	uint8_t buf[128];
	if (!code || !corridor_currency_code_ok(code))
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "--code: an ISO 4217 code of three capital letters");
	if (decimals > CORRIDOR_CURRENCY_DECIMALS_MAX)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "--decimals: 0..%u",
					 CORRIDOR_CURRENCY_DECIMALS_MAX);
	if (idem && corridor_idem_check(idem, strlen(idem), diag))
		return CORRIDOR_E_INVALID;
	struct corridor_mpbuf w;
	msgpack_packer pk;
	corridor_mpbuf_init(&w, &pk, buf, sizeof buf);
	msgpack_pack_map(&pk, 2);
	corridor_mp_pack_str(&pk, "code", 4);
	corridor_mp_pack_str(&pk, code, 3);
	corridor_mp_pack_str(&pk, "decimals", 8);
	msgpack_pack_uint32(&pk, decimals);
	CORRIDOR_ASSERT(!w.overflow);
	return corridor_append_one(l, s, "currency.define", buf, w.len, idem, seq, diag);
}

struct cdec {
	const char *code;
	unsigned *decimals;
};

static int currency_decimals_fn(const struct corridor_snapshot *snap, void *vctx,
				struct corridor_diag *diag)
{
	struct cdec *c = vctx;
	int err = corridor_currency_get(snap->kv, c->code, c->decimals, NULL);
	if (err == CORRIDOR_E_NOTFOUND)
		return corridor_diag_set(diag, err, "currency %s is not defined", c->code);
	return err ? corridor_diag_set(diag, err, "cannot read the currencies") : CORRIDOR_OK;
}

int corridor_currency_decimals(struct corridor_ledger *l, const char *code, unsigned *decimals,
			       struct corridor_diag *diag)
{
	struct cdec c = { .code = code, .decimals = decimals };
	if (corridor_ledger_is_remote(l)) {
		/* what needs no read: the currencies every ledger has */
		for (size_t i = 0; i < CORRIDOR_CURRENCIES_PREDEFINED; i++)
			if (strcmp(code, corridor_currencies_predefined[i]) == 0)
				return *decimals = CORRIDOR_PREDEFINED_DECIMALS, CORRIDOR_OK;
		return corridor_diag_set(diag, CORRIDOR_E_REFUSED,
					 "currency %.3s is defined on the ledger, not built in: with "
					 "--server, run this on a verified replica's host or name a "
					 "built-in currency",
					 code);
	}
	return corridor_ledger_read(l, currency_decimals_fn, &c, diag);
}

struct clist {
	char codes[CORRIDOR_CURRENCIES_MAX][4];
	unsigned decimals[CORRIDOR_CURRENCIES_MAX];
	uint64_t seqs[CORRIDOR_CURRENCIES_MAX];
	size_t n;
};

static int clist_one(void *vctx, const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen)
{
	struct clist *c = vctx;
	if (klen != 3 || vlen != 9)
		return CORRIDOR_E_STORAGE;
	if (c->n >= sizeof c->codes / sizeof c->codes[0])
		return CORRIDOR_E_LIMIT;
	memcpy(c->codes[c->n], k, 3);
	c->codes[c->n][3] = '\0';
	c->decimals[c->n] = v[0];
	c->seqs[c->n++] = corridor_be64_get(v + 1);
	return CORRIDOR_OK;
}

int corridor_currency_list(struct corridor_ledger *l, corridor_currency_fn fn, void *ctx,
			   struct corridor_diag *diag)
{
	struct clist *c = calloc(1, sizeof *c);
	if (!c)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	for (size_t i = 0; i < CORRIDOR_CURRENCIES_PREDEFINED; i++) {
		memcpy(c->codes[c->n], corridor_currencies_predefined[i], 4);
		c->decimals[c->n++] = CORRIDOR_PREDEFINED_DECIMALS;
	}
	int err = corridor_state_scan(l, STATE_CURRENCIES, NULL, 0, clist_one, c, NULL);
	/* predefined first in code order, then defined ones in code order */
	for (size_t i = 0; !err && i < c->n; i++)
		err = fn(ctx, c->codes[i], c->decimals[i], c->seqs[i]);
	free(c);
	if (err < 0 && diag && !diag->text[0])
		corridor_diag_set(diag, err, "cannot read the currencies");
	return err;
}

static int scale_one(void *ctx, const char *code, unsigned decimals, uint64_t seq)
{
	struct corridor_scales *s = ctx;
	(void)seq;
	if (s->count >= CORRIDOR_CURRENCIES_MAX)
		return CORRIDOR_E_LIMIT;
	snprintf(s->code[s->count], sizeof s->code[0], "%s", code);
	s->decimals[s->count++] = (unsigned char)decimals;
	return 0;
}

int corridor_currency_scales(struct corridor_ledger *l, struct corridor_scales *out,
			     struct corridor_diag *diag)
{
	out->count = 0;
	return corridor_currency_list(l, scale_one, out, diag);
}

int corridor_rate_record(struct corridor_ledger *l, const struct corridor_signer *s,
			 const struct corridor_rate *r, bool correct, const char *idem,
			 uint64_t *seq, struct corridor_diag *diag)
{
	uint8_t buf[RATE_BODY_BYTES_MAX + CORRIDOR_IDEM_BYTES_MAX];
	int err = corridor_rate_check(r, diag);
	if (err)
		return err;
	if (idem && corridor_idem_check(idem, strlen(idem), diag))
		return CORRIDOR_E_INVALID;
	size_t n = rate_body(r, buf, sizeof buf);
	CORRIDOR_ASSERT(n > 0);
	return corridor_append_one(l, s, correct ? "rate.correct" : "rate.record", buf, n, idem,
				   seq, diag);
}

/* ---- rates CSV ---- */

struct rrow {
	unsigned line;
	struct corridor_rate r;
	bool skip;
};

static int read_rate_rows(const char *csv, size_t len, struct rrow **out, size_t *count,
			  struct corridor_diag *diag)
{
	struct corridor_rate_csv *d = malloc(sizeof *d);
	struct corridor_rate r;
	struct corridor_diag dd;
	unsigned line;
	size_t cap = 0;
	int err;
	*out = NULL;
	*count = 0;
	if (!d)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	if ((err = corridor_rate_csv_open(d, csv, len, diag)) != 0)
		goto out_free;
	for (;;) {
		err = corridor_rate_csv_next(d, &r, &line, diag);
		if (err == CORRIDOR_E_NOTFOUND) {
			err = CORRIDOR_OK;
			break;
		}
		if (err)
			break;
		if (*count >= CORRIDOR_RATE_ROWS_MAX) {
			err = corridor_diag_set(diag, CORRIDOR_E_LIMIT, "more than %u rows",
						CORRIDOR_RATE_ROWS_MAX);
			break;
		}
		corridor_diag_init(&dd);
		if ((err = corridor_rate_check(&r, &dd)) != 0) {
			err = corridor_diag_set(diag, err, "line %u: %s", line, dd.text);
			break;
		}
		if (*count == cap) {
			cap = cap ? 2 * cap : 256;
			struct rrow *nr = realloc(*out, cap * sizeof *nr);
			if (!nr) {
				err = corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
				break;
			}
			*out = nr;
		}
		(*out)[(*count)++] = (struct rrow){ .line = line, .r = r };
	}
out_free:
	free(d);
	return err;
}

int corridor_rates_csv_parse(const char *csv, size_t len, struct corridor_rate **out, size_t *count,
			     struct corridor_diag *diag)
{
	struct rrow *rows = NULL;
	size_t n = 0;
	*out = NULL;
	*count = 0;
	int err = read_rate_rows(csv, len, &rows, &n, diag);
	if (!err && n) {
		*out = calloc(n, sizeof **out);
		if (!*out)
			err = corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
		for (size_t i = 0; !err && i < n; i++)
			(*out)[i] = rows[i].r;
		if (!err)
			*count = n;
	}
	free(rows);
	return err;
}

static int rate_import_remote(struct corridor_ledger *l, const struct corridor_signer *signer,
			      const struct rrow *rows, size_t count, size_t *written,
			      size_t *skipped, struct corridor_diag *diag)
{
	uint8_t *bodies = malloc((count ? count : 1) * RATE_BODY_BYTES_MAX);
	struct draft *drafts = calloc(count ? count : 1, sizeof *drafts);
	unsigned *lines = calloc(count ? count : 1, sizeof *lines);
	int err = bodies && drafts && lines
			  ? CORRIDOR_OK
			  : corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	for (size_t i = 0; i < count && !err; i++) {
		uint8_t *body = bodies + i * RATE_BODY_BYTES_MAX;
		size_t blen = rate_body(&rows[i].r, body, RATE_BODY_BYTES_MAX);
		CORRIDOR_ASSERT(blen > 0);
		drafts[i] = (struct draft){ .kind = "rate.record", .body = body, .body_len = blen };
		lines[i] = rows[i].line;
	}
	if (!err)
		err = corridor_import_remote(l, signer, drafts, lines, NULL, count, CORRIDOR_BATCH_ENTRIES_MAX,
					     NULL, NULL, written, skipped, diag);
	free(bodies);
	free(drafts);
	free(lines);
	return err;
}

int corridor_rate_import(struct corridor_ledger *l, const struct corridor_signer *signer,
			 const char *csv, size_t len, size_t *written, size_t *skipped,
			 struct corridor_diag *diag)
{
	struct rrow *rows = NULL;
	size_t count = 0, fresh = 0;
	uint8_t *bodies = NULL;
	struct draft *drafts = NULL;
	uint64_t *seqs = NULL;
	struct corridor_dry_run dr;
	*written = *skipped = 0;
	if (len > CORRIDOR_IMPORT_BYTES_MAX)
		return corridor_diag_set(diag, CORRIDOR_E_LIMIT, "the file is larger than 2 GiB");
	int err = read_rate_rows(csv, len, &rows, &count, diag);
	if (err)
		goto out_rows;
	if (corridor_ledger_is_remote(l)) {
		/* the server checks every row against its rates, then sequences;
		 * a row recorded before with the same rate is a duplicate */
		err = rate_import_remote(l, signer, rows, count, written, skipped, diag);
		goto out_rows;
	}
	bodies = malloc((count ? count : 1) * RATE_BODY_BYTES_MAX);
	drafts = calloc(count ? count : 1, sizeof *drafts);
	seqs = calloc(count ? count : 1, sizeof *seqs);
	if (!bodies || !drafts || !seqs) {
		err = corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
		goto out_rows;
	}
	/* The dry run: every row through the same checks an append makes. */
	if ((err = corridor_dry_run_begin(l, &dr, diag)) != 0)
		goto out_rows;
	unsigned roles = 0;
	const char *who = corridor_signer_vkey(signer)->name;
	if (corridor_party_roles(&dr.ov.base, who, &roles) != 0 || !(roles & CORRIDOR_ROLE_RATES))
		err = corridor_diag_set(diag, CORRIDOR_E_REFUSED,
					"rate.record needs a party with the rates role; %s does not "
					"hold it",
					who);
	for (size_t i = 0; i < count && !err; i++) {
		struct corridor_rate have;
		struct rrow *r = &rows[i];
		if (corridor_rate_get(&dr.ov.base, r->r.source, r->r.base, r->r.quote, r->r.day, &have) ==
		    0) {
			char date[11], a[32], b[32];
			if (have.rate_e8 == r->r.rate_e8) {
				r->skip = true;
				continue;
			}
			corridor_date_format(r->r.day, date);
			corridor_decimal_format(have.rate_e8, 8, a, sizeof a);
			corridor_decimal_format(r->r.rate_e8, 8, b, sizeof b);
			err = corridor_diag_set(diag, CORRIDOR_E_REFUSED,
						"line %u: %s has %s/%s %s for %s already (seq %llu), "
						"not %s; a different rate is a correction "
						"(rate record --correct)",
						r->line, r->r.source, r->r.base, r->r.quote, a, date,
						(unsigned long long)have.seq, b);
			break;
		}
		uint8_t *body = bodies + fresh * RATE_BODY_BYTES_MAX;
		size_t blen = rate_body(&r->r, body, RATE_BODY_BYTES_MAX);
		CORRIDOR_ASSERT(blen > 0);
		drafts[fresh] = (struct draft){ .kind = "rate.record", .body = body, .body_len = blen };
		struct corridor_diag rd;
		corridor_diag_init(&rd);
		err = corridor_draft_process(&dr.st, corridor_signer_vkey(signer), &drafts[fresh],
					     dr.head.size + fresh, dr.head.time_us, dr.head.tip, &rd);
		if (err)
			corridor_diag_set(diag, err, "line %u: %s", r->line, rd.text);
		fresh++;
	}
	corridor_dry_run_end(&dr);
	if (err)
		goto out_rows;
	*skipped = count - fresh;
	for (size_t at = 0; at < fresh && !err;) {
		size_t n = fresh - at < CORRIDOR_BATCH_ENTRIES_MAX ? fresh - at
								  : CORRIDOR_BATCH_ENTRIES_MAX;
		size_t appended = 0;
		err = corridor_append(l, signer, drafts + at, n, seqs + at, &appended, diag);
		*written += appended;
		at += n;
	}
out_rows:
	free(rows);
	free(bodies);
	free(drafts);
	free(seqs);
	return err;
}

struct rlist {
	const char *base, *quote;
	int32_t from, to;
	struct corridor_rate *r;
	size_t n, cap;
};

static int rlist_one(void *vctx, const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen)
{
	struct rlist *c = vctx;
	struct corridor_rate r = { 0 };
	const uint8_t *z = memchr(k, 0, klen);
	if (!z || (size_t)(z - k) > CORRIDOR_SOURCE_BYTES_MAX || klen != (size_t)(z - k) + 11 ||
	    vlen != CORRIDOR_RATE_VALUE_BYTES)
		return CORRIDOR_E_STORAGE;
	memcpy(r.source, k, (size_t)(z - k));
	memcpy(r.base, z + 1, 3);
	memcpy(r.quote, z + 4, 3);
	r.day = (int32_t)(corridor_be32_get(z + 7) ^ 0x80000000u);
	r.rate_e8 = (int64_t)corridor_be64_get(v);
	r.seq = corridor_be64_get(v + 8);
	r.corrects = corridor_be64_get(v + 16);
	if ((c->base && strcmp(c->base, r.base) != 0) || (c->quote && strcmp(c->quote, r.quote) != 0) ||
	    r.day < c->from || r.day > c->to)
		return CORRIDOR_OK;
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 256;
		struct corridor_rate *n = realloc(c->r, cap * sizeof *n);
		if (!n)
			return CORRIDOR_E_NOMEM;
		c->r = n;
		c->cap = cap;
	}
	c->r[c->n++] = r;
	return CORRIDOR_OK;
}

static int by_pair_date(const void *a, const void *b)
{
	const struct corridor_rate *x = a, *y = b;
	int c = strcmp(x->base, y->base);
	if (!c)
		c = strcmp(x->quote, y->quote);
	if (!c)
		c = (x->day > y->day) - (x->day < y->day);
	return c ? c : strcmp(x->source, y->source);
}

int corridor_rate_list(struct corridor_ledger *l, const char *base, const char *quote,
		       int32_t from_day, int32_t to_day, corridor_rate_fn fn, void *ctx,
		       struct corridor_diag *diag)
{
	struct rlist c = { .base = base, .quote = quote, .from = from_day, .to = to_day };
	int err = corridor_state_scan(l, STATE_RATES, NULL, 0, rlist_one, &c, NULL);
	if (err) {
		free(c.r);
		return corridor_diag_set(diag, err, "cannot read the rates");
	}
	if (c.n)
		qsort(c.r, c.n, sizeof *c.r, by_pair_date);
	for (size_t i = 0; !err && i < c.n; i++)
		err = fn(ctx, &c.r[i]);
	free(c.r);
	return err;
}
