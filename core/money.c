/*
 * money.c — currencies and FX rates: the kinds currency.define, rate.record
 * and rate.correct, their state, the rates CSV import and the rate lookup
 * settlement uses (SETTLEMENT.md "Conversion").
 *
 * Bodies (canonical maps, string keys):
 *   currency.define {code, decimals, idempotency_key?}          the operator
 *   rate.record     {base, date, idempotency_key?, quote, rate, source}
 *   rate.correct    the same fields; replaces the rate of (source, pair, date)
 *                                                               a `rates` party
 * rate is the decimal times 10^8 (0 < r < 10^14); date is YYYY-MM-DD.
 *
 * State: STATE_CURRENCIES code -> u8 decimals || be64 seq;
 *        STATE_RATES source || 0 || base || quote || be32(day ^ 2^31)
 *                    -> be64 rate || be64 seq || be64 corrected seq.
 */
#include <msgpack.h>

#include "ledger_internal.h"

#define RATE_BODY_BYTES_MAX 256u
#define RATE_VALUE_BYTES 24u

/* ---- money text ---- */

void corridor_money_format(int64_t minor, unsigned decimals, char *out, size_t cap)
{
	char digits[24];
	uint64_t mag = minor < 0 ? (uint64_t)0 - (uint64_t)minor : (uint64_t)minor;
	int n = snprintf(digits, sizeof digits, "%0*llu", (int)decimals + 1,
			 (unsigned long long)mag);
	CORRIDOR_ASSERT(n > 0 && (unsigned)n > decimals);
	size_t whole = (size_t)n - decimals;
	if (decimals == 0)
		snprintf(out, cap, "%s%s", minor < 0 ? "-" : "", digits);
	else
		snprintf(out, cap, "%s%.*s.%s", minor < 0 ? "-" : "", (int)whole, digits,
			 digits + whole);
}

/* ---- currencies ---- */

static const char *const PREDEFINED[] = { "CNY", "MNT", "RUB", "USD" };
#define PREDEFINED_DECIMALS 2u

int corridor_currency_get(struct corridor_kv *kv, const char *code, unsigned *decimals,
			  uint64_t *seq)
{
	const uint8_t *v;
	size_t vlen;
	if (!corridor_currency_code_ok(code))
		return CORRIDOR_E_NOTFOUND;
	for (size_t i = 0; i < sizeof PREDEFINED / sizeof PREDEFINED[0]; i++)
		if (strcmp(code, PREDEFINED[i]) == 0) {
			*decimals = PREDEFINED_DECIMALS;
			if (seq)
				*seq = 0;
			return CORRIDOR_OK;
		}
	int err = kv->get(kv, STATE_CURRENCIES, (const uint8_t *)code, 3, &v, &vlen);
	if (err)
		return err;
	if (vlen != 9 || v[0] > CORRIDOR_CURRENCY_DECIMALS_MAX)
		return CORRIDOR_E_STORAGE;
	*decimals = v[0];
	if (seq)
		*seq = corridor_be64_get(v + 1);
	return CORRIDOR_OK;
}

static int process_currency(struct kind_state *st, const struct corridor_entry *e,
			    const msgpack_object *o, struct corridor_diag *diag)
{
	static const char *const allowed[] = { "code", "decimals", "idempotency_key", NULL };
	char code[8];
	uint64_t decimals;
	unsigned have;
	if (!corridor_mpo_fields_only(o, allowed) ||
	    !corridor_mpo_str(corridor_mpo_field(o, "code"), code, sizeof code) ||
	    !corridor_mpo_uint(corridor_mpo_field(o, "decimals"), CORRIDOR_CURRENCY_DECIMALS_MAX,
			       &decimals) ||
	    !corridor_currency_code_ok(code))
		return corridor_entry_bad(e, diag, CORRIDOR_E_VERIFY,
			    "needs code (three capital letters) and decimals (0..4)");
	if (corridor_currency_get(st->kv, code, &have, NULL) == 0)
		return corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED, "%s is defined already (%u decimals)", code,
			    have);
	uint8_t v[9];
	v[0] = (uint8_t)decimals;
	corridor_be64_put(v + 1, e->seq);
	return st->kv->put(st->kv, STATE_CURRENCIES, (const uint8_t *)code, 3, v, sizeof v);
}

/* ---- rates ---- */

static size_t rate_key(const char *source, const char *base, const char *quote, int32_t day,
		       uint8_t *out)
{
	size_t n = strlen(source);
	memcpy(out, source, n);
	out[n] = 0;
	memcpy(out + n + 1, base, 3);
	memcpy(out + n + 4, quote, 3);
	corridor_be32_put(out + n + 7, (uint32_t)day ^ 0x80000000u);
	return n + 11;
}

static bool source_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > CORRIDOR_SOURCE_BYTES_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20u || c >= 0x7fu || c == ',' || c == '"')
			return false;
	}
	return true;
}

int corridor_rate_check(const struct corridor_rate *r, struct corridor_diag *diag)
{
	if (!source_ok(r->source))
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "source: 1-%u printable ASCII characters, no spaces",
					 CORRIDOR_SOURCE_BYTES_MAX);
	if (!corridor_currency_code_ok(r->base) || !corridor_currency_code_ok(r->quote))
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "base and quote: ISO 4217 codes such as USD");
	if (strcmp(r->base, r->quote) == 0)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "base and quote are the same");
	if (r->rate_e8 <= 0 || r->rate_e8 >= CORRIDOR_RATE_LIMIT)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "rate: 0 < rate < 1000000 with at most 8 decimals");
	return CORRIDOR_OK;
}

int corridor_rate_get(struct corridor_kv *kv, const char *source, const char *base,
		      const char *quote, int32_t day, struct corridor_rate *out)
{
	uint8_t k[CORRIDOR_SOURCE_BYTES_MAX + 11];
	const uint8_t *v;
	size_t vlen;
	if (strlen(source) > CORRIDOR_SOURCE_BYTES_MAX || strlen(base) != 3 || strlen(quote) != 3)
		return CORRIDOR_E_NOTFOUND;
	int err = kv->get(kv, STATE_RATES, k, rate_key(source, base, quote, day, k), &v, &vlen);
	if (err)
		return err;
	if (vlen != RATE_VALUE_BYTES)
		return CORRIDOR_E_STORAGE;
	memset(out, 0, sizeof *out);
	snprintf(out->source, sizeof out->source, "%s", source);
	memcpy(out->base, base, 4);
	memcpy(out->quote, quote, 4);
	out->day = day;
	out->rate_e8 = (int64_t)corridor_be64_get(v);
	out->seq = corridor_be64_get(v + 8);
	out->corrects = corridor_be64_get(v + 16);
	return CORRIDOR_OK;
}

int corridor_rate_fixing(struct corridor_kv *kv, const char *source, const char *from,
			 const char *to, int32_t fixing_day, struct corridor_rate *out,
			 bool *inverse)
{
	for (int pass = 0; pass < 2; pass++)
		for (int32_t back = 0; back <= CORRIDOR_RATE_LOOKBACK_DAYS; back++) {
			int err = pass == 0 ? corridor_rate_get(kv, source, from, to,
								fixing_day - back, out)
					    : corridor_rate_get(kv, source, to, from,
								fixing_day - back, out);
			if (err == 0) {
				*inverse = pass == 1;
				return CORRIDOR_OK;
			}
			if (err != CORRIDOR_E_NOTFOUND)
				return err;
		}
	return CORRIDOR_E_NOTFOUND;
}

static size_t rate_body(const struct corridor_rate *r, const char *idem, uint8_t *buf, size_t cap)
{
	struct corridor_mpbuf w;
	msgpack_packer pk;
	char date[11];
	corridor_date_format(r->day, date);
	corridor_mpbuf_init(&w, &pk, buf, cap);
	msgpack_pack_map(&pk, idem ? 6 : 5);
	corridor_mp_pack_str(&pk, "base", 4);
	corridor_mp_pack_str(&pk, r->base, 3);
	corridor_mp_pack_str(&pk, "date", 4);
	corridor_mp_pack_str(&pk, date, 10);
	if (idem) {
		corridor_mp_pack_str(&pk, "idempotency_key", 15);
		corridor_mp_pack_str(&pk, idem, strlen(idem));
	}
	corridor_mp_pack_str(&pk, "quote", 5);
	corridor_mp_pack_str(&pk, r->quote, 3);
	corridor_mp_pack_str(&pk, "rate", 4);
	msgpack_pack_int64(&pk, r->rate_e8);
	corridor_mp_pack_str(&pk, "source", 6);
	corridor_mp_pack_str(&pk, r->source, strlen(r->source));
	return w.overflow ? 0 : w.len;
}

static int process_rate(struct kind_state *st, const struct corridor_entry *e,
			const msgpack_object *o, struct corridor_diag *diag)
{
	static const char *const allowed[] = { "base",	"date",	  "idempotency_key",
					       "quote", "rate", "source", NULL };
	struct corridor_rate r = { 0 }, old;
	struct corridor_diag d;
	bool correct = strcmp(e->kind, "rate.correct") == 0;
	unsigned decimals;
	if (!corridor_mpo_fields_only(o, allowed) ||
	    !corridor_mpo_str(corridor_mpo_field(o, "base"), r.base, sizeof r.base) ||
	    !corridor_mpo_str(corridor_mpo_field(o, "quote"), r.quote, sizeof r.quote) ||
	    !corridor_mpo_str(corridor_mpo_field(o, "source"), r.source, sizeof r.source) ||
	    !corridor_mpo_date(corridor_mpo_field(o, "date"), &r.day) ||
	    !corridor_mpo_int(corridor_mpo_field(o, "rate"), &r.rate_e8))
		return corridor_entry_bad(e, diag, CORRIDOR_E_VERIFY, "needs base, quote, date, rate and source");
	corridor_diag_init(&d);
	if (corridor_rate_check(&r, &d) != 0)
		return corridor_entry_bad(e, diag, CORRIDOR_E_VERIFY, "%s", d.text);
	if (corridor_currency_get(st->kv, r.base, &decimals, NULL) != 0 ||
	    corridor_currency_get(st->kv, r.quote, &decimals, NULL) != 0)
		return corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED, "%s/%s: a currency that is not defined",
			    r.base, r.quote);
	int err = corridor_rate_get(st->kv, r.source, r.base, r.quote, r.day, &old);
	if (err && err != CORRIDOR_E_NOTFOUND)
		return err;
	char date[11];
	corridor_date_format(r.day, date);
	if (!correct && err == 0)
		return corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED,
			    "%s has a %s/%s rate for %s already (seq %llu); a different one is a "
			    "correction",
			    r.source, r.base, r.quote, date, (unsigned long long)old.seq);
	if (correct && err)
		return corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED, "%s has no %s/%s rate for %s to correct",
			    r.source, r.base, r.quote, date);
	uint8_t k[CORRIDOR_SOURCE_BYTES_MAX + 11], v[RATE_VALUE_BYTES];
	corridor_be64_put(v, (uint64_t)r.rate_e8);
	corridor_be64_put(v + 8, e->seq);
	corridor_be64_put(v + 16, correct ? old.seq : 0);
	return st->kv->put(st->kv, STATE_RATES, k, rate_key(r.source, r.base, r.quote, r.day, k), v,
			   sizeof v);
}

int corridor_money_process(struct kind_state *st, const struct corridor_entry *e,
			   struct corridor_diag *diag)
{
	msgpack_unpacked u;
	int err;
	msgpack_unpacked_init(&u);
	err = corridor_body_map(e, &u, diag);
	if (!err && strcmp(e->kind, "currency.define") == 0)
		err = process_currency(st, e, &u.data, diag);
	else if (!err)
		err = process_rate(st, e, &u.data, diag);
	msgpack_unpacked_destroy(&u);
	return err;
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
	msgpack_pack_map(&pk, idem ? 3 : 2);
	corridor_mp_pack_str(&pk, "code", 4);
	corridor_mp_pack_str(&pk, code, 3);
	corridor_mp_pack_str(&pk, "decimals", 8);
	msgpack_pack_uint32(&pk, decimals);
	if (idem) {
		corridor_mp_pack_str(&pk, "idempotency_key", 15);
		corridor_mp_pack_str(&pk, idem, strlen(idem));
	}
	CORRIDOR_ASSERT(!w.overflow);
	return corridor_append_one(l, s, "currency.define", buf, w.len, seq, diag);
}

int corridor_currency_decimals(struct corridor_ledger *l, const char *code, unsigned *decimals,
			       struct corridor_diag *diag)
{
	MDB_txn *txn;
	struct corridor_kv_lmdb kv;
	int err = corridor_txn_begin(l, MDB_RDONLY, &txn, diag);
	if (err)
		return err;
	corridor_kv_lmdb_init(&kv, l, txn);
	err = corridor_currency_get(&kv.base, code, decimals, NULL);
	mdb_txn_abort(txn);
	if (err == CORRIDOR_E_NOTFOUND)
		return corridor_diag_set(diag, err, "currency %s is not defined", code);
	return err ? corridor_diag_set(diag, err, "cannot read the currencies") : CORRIDOR_OK;
}

struct clist {
	char codes[256][4];
	unsigned decimals[256];
	uint64_t seqs[256];
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
	MDB_txn *txn;
	struct corridor_kv_lmdb kv;
	struct clist *c = calloc(1, sizeof *c);
	if (!c)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	for (size_t i = 0; i < sizeof PREDEFINED / sizeof PREDEFINED[0]; i++) {
		memcpy(c->codes[c->n], PREDEFINED[i], 4);
		c->decimals[c->n++] = PREDEFINED_DECIMALS;
	}
	int err = corridor_txn_begin(l, MDB_RDONLY, &txn, diag);
	if (err) {
		free(c);
		return err;
	}
	corridor_kv_lmdb_init(&kv, l, txn);
	err = kv.base.scan(&kv.base, STATE_CURRENCIES, NULL, 0, clist_one, c);
	mdb_txn_abort(txn);
	/* predefined first in code order, then defined ones in code order */
	for (size_t i = 0; !err && i < c->n; i++)
		err = fn(ctx, c->codes[i], c->decimals[i], c->seqs[i]);
	free(c);
	if (err < 0 && diag && !diag->text[0])
		corridor_diag_set(diag, err, "cannot read the currencies");
	return err;
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
	size_t n = rate_body(r, idem, buf, sizeof buf);
	CORRIDOR_ASSERT(n > 0);
	return corridor_append_one(l, s, correct ? "rate.correct" : "rate.record", buf, n, seq,
				   diag);
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
		size_t blen = rate_body(&r->r, NULL, body, RATE_BODY_BYTES_MAX);
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
	    vlen != RATE_VALUE_BYTES)
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
	MDB_txn *txn;
	struct corridor_kv_lmdb kv;
	struct rlist c = { .base = base, .quote = quote, .from = from_day, .to = to_day };
	int err = corridor_txn_begin(l, MDB_RDONLY, &txn, diag);
	if (err)
		return err;
	corridor_kv_lmdb_init(&kv, l, txn);
	err = kv.base.scan(&kv.base, STATE_RATES, NULL, 0, rlist_one, &c);
	mdb_txn_abort(txn);
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
