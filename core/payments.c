/*
 * payments.c — payments (payment.record, payment.reverse), and the reports
 * that set invoices against them: invoices with aging, and balances.
 *
 * Bodies (canonical maps, string keys):
 *   payment.record  {amount, currency, idempotency_key?, payee, payer, reference,
 *                    value_date}                  the payee or a `settlement` party
 *   payment.reverse {idempotency_key?, payment, reason}
 *                                                 the payee or a `settlement` party
 * State: STATE_PAYMENTS be64(seq) -> be64 amount || be32(value day ^ 2^31) ||
 *        be64 reversed_by || payer, payee, currency, reference (u8 length each);
 *        the trial balance (STATE_BALANCES): payer +amount, payee -amount.
 *
 * Application (SETTLEMENT.md "Payments") happens when a report is made, so a
 * payment to an invoice later reversed applies to its re-issue: a reference
 * names an invoice id with or without its "-r<n>" suffix, and applies to the
 * standing invoice of that contract and period.
 */
#include <msgpack.h>
#include <sodium.h>

#include "log/log.h"

#define PAY_FIXED 20u
#define BIAS 0x80000000u
#define REPORT_ROWS_MAX 10000000u

/* ---- API ---- */

static size_t payment_body(const struct corridor_payment *p, const char *idem, uint8_t *buf,
			   size_t cap)
{
	struct corridor_mpbuf w;
	msgpack_packer pk;
	char date[11];
	corridor_date_format(p->value_day, date);
	corridor_mpbuf_init(&w, &pk, buf, cap);
	msgpack_pack_map(&pk, idem ? 7 : 6);
	corridor_mp_pack_str(&pk, "amount", 6);
	msgpack_pack_int64(&pk, p->amount_minor);
	corridor_mp_pack_str(&pk, "currency", 8);
	corridor_mp_pack_str(&pk, p->currency, strlen(p->currency));
	if (idem) {
		corridor_mp_pack_str(&pk, "idempotency_key", 15);
		corridor_mp_pack_str(&pk, idem, strlen(idem));
	}
	corridor_mp_pack_str(&pk, "payee", 5);
	corridor_mp_pack_str(&pk, p->payee, strlen(p->payee));
	corridor_mp_pack_str(&pk, "payer", 5);
	corridor_mp_pack_str(&pk, p->payer, strlen(p->payer));
	corridor_mp_pack_str(&pk, "reference", 9);
	corridor_mp_pack_str(&pk, p->reference, strlen(p->reference));
	corridor_mp_pack_str(&pk, "value_date", 10);
	corridor_mp_pack_str(&pk, date, 10);
	return w.overflow ? 0 : w.len;
}

static size_t reverse_body(uint64_t payment, const char *reason, const char *idem, uint8_t *buf,
			   size_t cap)
{
	struct corridor_mpbuf w;
	msgpack_packer pk;
	corridor_mpbuf_init(&w, &pk, buf, cap);
	msgpack_pack_map(&pk, idem ? 3 : 2);
	if (idem) {
		corridor_mp_pack_str(&pk, "idempotency_key", 15);
		corridor_mp_pack_str(&pk, idem, strlen(idem));
	}
	corridor_mp_pack_str(&pk, "payment", 7);
	msgpack_pack_uint64(&pk, payment);
	corridor_mp_pack_str(&pk, "reason", 6);
	corridor_mp_pack_str(&pk, reason, strlen(reason));
	return w.overflow ? 0 : w.len;
}

#define PAYMENT_BODY_BYTES_MAX (CORRIDOR_REASON_BYTES_MAX + CORRIDOR_IDEM_BYTES_MAX + 512u)

/* A payment's natural identity, as an idempotency key: payer, payee,
 * currency, amount, value date and reference (SETTLEMENT.md "Payments"),
 * hashed to fit; `occurrence` > 1 names the occurrence-th payment of that
 * identity ("#2", ...). */
#define PAYMENT_OCCURRENCES_MAX 1000u
static void payment_identity(const struct corridor_payment *p, unsigned occurrence,
			     char out[CORRIDOR_IDEM_BYTES_MAX + 1])
{
	crypto_hash_sha256_state hs;
	uint8_t h[CORRIDOR_HASH_BYTES], amt[8];
	char hex[2 * 16 + 1], date[11];
	corridor_date_format(p->value_day, date);
	corridor_be64_put(amt, (uint64_t)p->amount_minor);
	crypto_hash_sha256_init(&hs);
	const char *parts[5] = { p->payer, p->payee, p->currency, date, p->reference };
	for (int i = 0; i < 5; i++)
		crypto_hash_sha256_update(&hs, (const uint8_t *)parts[i], strlen(parts[i]) + 1);
	crypto_hash_sha256_update(&hs, amt, sizeof amt);
	crypto_hash_sha256_final(&hs, h);
	corridor_hex(h, 16, hex);
	if (occurrence > 1)
		snprintf(out, CORRIDOR_IDEM_BYTES_MAX + 1, "payment/%s#%u", hex, occurrence);
	else
		snprintf(out, CORRIDOR_IDEM_BYTES_MAX + 1, "payment/%s", hex);
}

/* The seq a key of `author` for payment.record names, or 0. */
struct idem_ctx {
	const char *author, *key;
	uint64_t seq;
};

static int idem_seq_fn(const struct corridor_snapshot *snap, void *vctx, struct corridor_diag *diag)
{
	struct idem_ctx *c = vctx;
	(void)diag;
	if (corridor_idem_lookup(snap->kv, c->author, "payment.record", c->key, strlen(c->key),
				 &c->seq) != 0)
		c->seq = 0;
	return CORRIDOR_OK;
}

static uint64_t idem_seq(struct corridor_ledger *l, const char *author, const char *key)
{
	struct idem_ctx c = { .author = author, .key = key };
	return corridor_ledger_read(l, idem_seq_fn, &c, NULL) == 0 ? c.seq : 0;
}

static int payment_write(struct corridor_ledger *l, const struct corridor_signer *s,
			 const struct corridor_payment *p, const char *idem, bool again,
			 uint64_t *seq, struct corridor_diag *diag)
{
	uint8_t buf[PAYMENT_BODY_BYTES_MAX];
	char natural[CORRIDOR_IDEM_BYTES_MAX + 1];
	if (p->amount_minor <= 0)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "--amount must be positive");
	if (!corridor_currency_code_ok(p->currency))
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "--currency: an ISO 4217 code");
	if (!p->payer[0] || !p->payee[0])
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "--payer and --payee are needed");
	if (!corridor_reference_ok(p->reference))
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "--reference: 1-%u bytes of printable UTF-8",
					 CORRIDOR_REFERENCE_BYTES_MAX);
	if (idem && corridor_idem_check(idem, strlen(idem), diag))
		return CORRIDOR_E_INVALID;
	if (!idem) {
		/* no key given: the payment's identity is its key; the same payment
		 * twice is a retry, refused unless the caller says it is another */
		const char *who = corridor_signer_vkey(s)->name;
		uint64_t at = 0;
		unsigned k = 1;
		payment_identity(p, k, natural);
		if ((at = idem_seq(l, who, natural)) != 0 && !again)
			return corridor_diag_set(diag, CORRIDOR_E_REFUSED,
						 "a payment of the same payer, payee, currency, amount, "
						 "value date and reference was recorded at seq %llu: "
						 "nothing was written (a retry?); if it is another "
						 "payment, say so with --new",
						 (unsigned long long)at);
		while (at != 0 && ++k <= PAYMENT_OCCURRENCES_MAX) {
			payment_identity(p, k, natural);
			at = idem_seq(l, who, natural);
		}
		if (at != 0)
			return corridor_diag_set(diag, CORRIDOR_E_LIMIT,
						 "more than %u payments of one identity",
						 PAYMENT_OCCURRENCES_MAX);
		idem = natural;
	}
	size_t n = payment_body(p, idem, buf, sizeof buf);
	CORRIDOR_ASSERT(n > 0);
	return corridor_append_one(l, s, "payment.record", buf, n, seq, diag);
}

int corridor_payment_record(struct corridor_ledger *l, const struct corridor_signer *s,
			    const struct corridor_payment *p, const char *idem, uint64_t *seq,
			    struct corridor_diag *diag)
{
	return payment_write(l, s, p, idem, false, seq, diag);
}

int corridor_payment_record_another(struct corridor_ledger *l, const struct corridor_signer *s,
				    const struct corridor_payment *p, uint64_t *seq,
				    struct corridor_diag *diag)
{
	return payment_write(l, s, p, NULL, true, seq, diag);
}

int corridor_payment_reverse(struct corridor_ledger *l, const struct corridor_signer *s,
			     uint64_t payment, const char *reason, const char *idem, uint64_t *seq,
			     struct corridor_diag *diag)
{
	uint8_t buf[PAYMENT_BODY_BYTES_MAX];
	if (!reason || !reason[0] || strlen(reason) > CORRIDOR_REASON_BYTES_MAX)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "--reason: 1-%u bytes",
					 CORRIDOR_REASON_BYTES_MAX);
	if (idem && corridor_idem_check(idem, strlen(idem), diag))
		return CORRIDOR_E_INVALID;
	size_t n = reverse_body(payment, reason, idem, buf, sizeof buf);
	CORRIDOR_ASSERT(n > 0);
	return corridor_append_one(l, s, "payment.reverse", buf, n, seq, diag);
}

struct plist {
	struct corridor_payment *p;
	size_t n;
};

static int plist_one(void *vctx, const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen)
{
	struct plist *c = vctx;
	if (klen != 8)
		return CORRIDOR_E_STORAGE;
	if (c->n >= REPORT_ROWS_MAX)
		return CORRIDOR_E_LIMIT;
	void *n = realloc(c->p, (c->n + 1) * sizeof *c->p);
	if (!n)
		return CORRIDOR_E_NOMEM;
	c->p = n;
	return corridor_payment_rec_decode(corridor_be64_get(k), v, vlen, &c->p[c->n++]);
}

static int by_seq(const void *a, const void *b)
{
	uint64_t x = ((const struct corridor_payment *)a)->seq,
		 y = ((const struct corridor_payment *)b)->seq;
	return (x > y) - (x < y);
}

static int payments_all(struct corridor_kv *kv, struct plist *pl)
{
	int err = kv->scan(kv, STATE_PAYMENTS, NULL, 0, plist_one, pl);
	if (!err && pl->n)
		qsort(pl->p, pl->n, sizeof *pl->p, by_seq);
	return err;
}

struct payment_list_args {
	const char *party;
	corridor_payment_fn fn;
	void *ctx;
};

static int payment_list_fn(const struct corridor_snapshot *snap, void *vctx,
			struct corridor_diag *diag)
{
	struct payment_list_args *args = vctx;
	const char *party = args->party;
	corridor_payment_fn fn = args->fn;
	void *ctx = args->ctx;
	struct plist pl = { 0 };
	int err;
	err = payments_all(snap->kv, &pl);
	if (err) {
		free(pl.p);
		return corridor_diag_set(diag, err, "cannot read the payments");
	}
	for (size_t i = 0; !err && i < pl.n; i++)
		if (!party || !strcmp(party, pl.p[i].payer) || !strcmp(party, pl.p[i].payee))
			err = fn(ctx, &pl.p[i]);
	free(pl.p);
	return err;
}

int corridor_payment_list(struct corridor_ledger *l, const char *party, corridor_payment_fn fn,
			  void *ctx, struct corridor_diag *diag)
{
	struct payment_list_args args = { .party = party, .fn = fn, .ctx = ctx };
	return corridor_ledger_read(l, payment_list_fn, &args, diag);
}

/* ---- invoices against payments ---- */

struct ilist {
	struct corridor_invoice *inv;
	size_t n;
	struct corridor_kv *kv;
};

static int ilist_one(void *vctx, const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen)
{
	struct ilist *c = vctx;
	char id[CORRIDOR_INVOICE_ID_BYTES_MAX + 1];
	(void)v;
	(void)vlen;
	if (klen == 0 || klen > CORRIDOR_INVOICE_ID_BYTES_MAX)
		return CORRIDOR_E_STORAGE;
	if (c->n >= REPORT_ROWS_MAX)
		return CORRIDOR_E_LIMIT;
	memcpy(id, k, klen);
	id[klen] = '\0';
	void *n = realloc(c->inv, (c->n + 1) * sizeof *c->inv);
	if (!n)
		return CORRIDOR_E_NOMEM;
	c->inv = n;
	return corridor_invoice_record(c->kv, id, &c->inv[c->n++]);
}

/* The id without a re-issue suffix "-r<n>". */
static size_t base_len(const char *id)
{
	size_t n = strlen(id), i = n;
	while (i > 0 && id[i - 1] >= '0' && id[i - 1] <= '9')
		i--;
	if (i < n && i >= 2 && id[i - 1] == 'r' && id[i - 2] == '-')
		return i - 2;
	return n;
}

static int by_inv_id(const void *a, const void *b)
{
	return strcmp(((const struct corridor_invoice_status *)a)->id,
		      ((const struct corridor_invoice_status *)b)->id);
}

static int by_party_currency(const void *a, const void *b)
{
	const struct corridor_aging_row *x = a, *y = b;
	int c = strcmp(x->party, y->party);
	return c ? c : strcmp(x->currency, y->currency);
}

static int by_credit(const void *a, const void *b)
{
	const struct corridor_balance *x = a, *y = b;
	int c = strcmp(x->party, y->party);
	return c ? c : strcmp(x->currency, y->currency);
}

struct report_invoices_args {
	const char *party;
	int32_t as_of;
	struct corridor_invoice_report *out;
};

static int report_invoices_fn(const struct corridor_snapshot *snap, void *vctx,
			struct corridor_diag *diag)
{
	struct report_invoices_args *args = vctx;
	const char *party = args->party;
	int32_t as_of = args->as_of;
	struct corridor_invoice_report *out = args->out;
	struct ilist il = { 0 };
	struct plist pl = { 0 };
	memset(out, 0, sizeof *out);
	int err;
	il.kv = snap->kv;
	err = snap->kv->scan(snap->kv, STATE_INVOICES, NULL, 0, ilist_one, &il);
	if (!err)
		err = payments_all(snap->kv, &pl);
	struct corridor_invoice_status *st = NULL;
	size_t ns = 0;
	if (!err)
		st = calloc(il.n ? il.n : 1, sizeof *st);
	if (!err && !st)
		err = CORRIDOR_E_NOMEM;
	for (size_t i = 0; !err && i < il.n; i++) {
		const struct corridor_invoice *v = &il.inv[i];
		if (v->reversed || v->issue_day > as_of)
			continue;
		struct corridor_invoice_status *s = &st[ns++];
		snprintf(s->id, sizeof s->id, "%s", v->id);
		snprintf(s->contract, sizeof s->contract, "%s", v->contract);
		bool owed = v->total_minor >= 0;
		snprintf(s->debtor, sizeof s->debtor, "%s", owed ? v->buyer : v->seller);
		snprintf(s->creditor, sizeof s->creditor, "%s", owed ? v->seller : v->buyer);
		memcpy(s->currency, v->settlement_currency, 4);
		if (corridor_currency_get(snap->kv, s->currency, &s->decimals, NULL) != 0)
			s->decimals = 2;
		s->amount_minor = owed ? v->total_minor : -v->total_minor;
		s->open_minor = s->amount_minor;
		s->due_day = v->due_day;
		/* nothing owed (a transit month with nothing carried): settled when issued */
		s->paid_day = s->amount_minor == 0 ? v->issue_day : -1;
	}
	if (ns)
		qsort(st, ns, sizeof *st, by_inv_id);
	/* payments in seq order, each to the standing invoice its reference names */
	for (size_t i = 0; !err && i < pl.n; i++) {
		const struct corridor_payment *p = &pl.p[i];
		if (p->reversed_by || p->value_day > as_of)
			continue;
		size_t bl = base_len(p->reference);
		struct corridor_invoice_status *to = NULL;
		for (size_t k = 0; k < ns && !to; k++)
			if (base_len(st[k].id) == bl && !strncmp(st[k].id, p->reference, bl) &&
			    !strcmp(st[k].currency, p->currency))
				to = &st[k];
		int64_t applied = 0;
		if (to) {
			applied = p->amount_minor < to->open_minor ? p->amount_minor : to->open_minor;
			to->paid_minor += applied;
			to->open_minor -= applied;
			if (to->open_minor == 0 && applied > 0)
				to->paid_day = p->value_day;
		}
		if (p->amount_minor > applied)
			err = corridor_positions_add(&out->credits, &out->credit_count, REPORT_ROWS_MAX,
						    snap->kv, p->payer, p->currency,
						    p->amount_minor - applied);
	}
	/* days overdue, aging, the party filter */
	for (size_t i = 0; !err && i < ns; i++) {
		struct corridor_invoice_status *s = &st[i];
		int64_t ref = s->open_minor == 0 && s->paid_day >= 0 ? s->paid_day : as_of;
		s->days_overdue = ref > s->due_day ? ref - s->due_day : 0;
		if (party && strcmp(party, s->debtor) && strcmp(party, s->creditor))
			continue;
		out->invoices = out->invoices ? out->invoices : calloc(ns, sizeof *out->invoices);
		if (!out->invoices) {
			err = CORRIDOR_E_NOMEM;
			break;
		}
		out->invoices[out->count++] = *s;
		if (s->open_minor == 0)
			continue;
		int64_t late = as_of - s->due_day;
		unsigned bucket = late <= 0 ? CORRIDOR_AGING_CURRENT
				  : late <= 30 ? CORRIDOR_AGING_1_30
				  : late <= 60 ? CORRIDOR_AGING_31_60
				  : late <= 90 ? CORRIDOR_AGING_61_90
					       : CORRIDOR_AGING_OVER_90;
		struct corridor_aging_row *a = NULL;
		for (size_t k = 0; k < out->aging_count && !a; k++)
			if (!strcmp(out->aging[k].party, s->debtor) &&
			    !strcmp(out->aging[k].currency, s->currency))
				a = &out->aging[k];
		if (!a) {
			void *n = realloc(out->aging, (out->aging_count + 1) * sizeof *out->aging);
			if (!n) {
				err = CORRIDOR_E_NOMEM;
				break;
			}
			out->aging = n;
			a = &out->aging[out->aging_count++];
			memset(a, 0, sizeof *a);
			memcpy(a->party, s->debtor, sizeof a->party);
			memcpy(a->currency, s->currency, 4);
			a->decimals = s->decimals;
		}
		if (__builtin_add_overflow(a->bucket_minor[bucket], s->open_minor,
					   &a->bucket_minor[bucket]) ||
		    __builtin_add_overflow(a->open_minor, s->open_minor, &a->open_minor))
			err = CORRIDOR_E_OVERFLOW;
	}
	free(st);
	free(il.inv);
	free(pl.p);
	if (party && !err) {
		size_t k = 0;
		for (size_t i = 0; i < out->credit_count; i++)
			if (!strcmp(out->credits[i].party, party))
				out->credits[k++] = out->credits[i];
		out->credit_count = k;
	}
	if (out->aging_count)
		qsort(out->aging, out->aging_count, sizeof *out->aging, by_party_currency);
	if (out->credit_count)
		qsort(out->credits, out->credit_count, sizeof *out->credits, by_credit);
	if (err) {
		corridor_invoice_report_release(out);
		return corridor_diag_set(diag, err, "cannot make the invoice report");
	}
	return CORRIDOR_OK;
}

int corridor_report_invoices(struct corridor_ledger *l, const char *party, int32_t as_of,
			     struct corridor_invoice_report *out, struct corridor_diag *diag)
{
	memset(out, 0, sizeof *out);
	struct report_invoices_args args = { .party = party, .as_of = as_of, .out = out };
	return corridor_ledger_read(l, report_invoices_fn, &args, diag);
}

void corridor_invoice_report_release(struct corridor_invoice_report *r)
{
	free(r->invoices);
	free(r->aging);
	free(r->credits);
	memset(r, 0, sizeof *r);
}

struct balances {
	struct corridor_balance *b;
	size_t n;
};

struct bal_check {
	struct balances *bs;
	size_t matched;
	bool differ;
};

static int bal_compare(void *vctx, const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen)
{
	struct bal_check *c = vctx;
	int64_t stored;
	if (vlen != 8 || klen < 5)
		return CORRIDOR_E_STORAGE;
	stored = (int64_t)corridor_be64_get(v);
	for (size_t i = 0; i < c->bs->n; i++) {
		size_t pl = strlen(c->bs->b[i].party);
		if (pl + 4 == klen && !memcmp(k, c->bs->b[i].party, pl) &&
		    !memcmp(k + pl + 1, c->bs->b[i].currency, 3)) {
			c->matched++;
			c->differ |= stored != c->bs->b[i].balance_minor;
			return CORRIDOR_OK;
		}
	}
	c->differ |= stored != 0;
	return CORRIDOR_OK;
}

struct report_balances_args {
	int32_t as_of;
	corridor_balance_fn fn;
	void *ctx;
};

static int report_balances_fn(const struct corridor_snapshot *snap, void *vctx,
			struct corridor_diag *diag)
{
	struct report_balances_args *args = vctx;
	int32_t as_of = args->as_of;
	corridor_balance_fn fn = args->fn;
	void *ctx = args->ctx;
	struct ilist il = { 0 };
	struct plist pl = { 0 };
	struct balances bs = { 0 };
	int err;
	il.kv = snap->kv;
	err = snap->kv->scan(snap->kv, STATE_INVOICES, NULL, 0, ilist_one, &il);
	if (!err)
		err = payments_all(snap->kv, &pl);
	for (size_t i = 0; !err && i < il.n; i++) {
		const struct corridor_invoice *v = &il.inv[i];
		if (v->reversed || (as_of >= 0 && v->issue_day > as_of))
			continue;
		if (!(err = corridor_positions_add(&bs.b, &bs.n, REPORT_ROWS_MAX, snap->kv, v->seller, v->settlement_currency, v->total_minor)))
			err = corridor_positions_add(&bs.b, &bs.n, REPORT_ROWS_MAX, snap->kv, v->buyer, v->settlement_currency, -v->total_minor);
	}
	for (size_t i = 0; !err && i < pl.n; i++) {
		const struct corridor_payment *p = &pl.p[i];
		if (p->reversed_by || (as_of >= 0 && p->value_day > as_of))
			continue;
		if (!(err = corridor_positions_add(&bs.b, &bs.n, REPORT_ROWS_MAX, snap->kv, p->payer, p->currency, p->amount_minor)))
			err = corridor_positions_add(&bs.b, &bs.n, REPORT_ROWS_MAX, snap->kv, p->payee, p->currency, -p->amount_minor);
	}
	if (!err && as_of < 0) {
		/* everything: the index kept with every entry must agree */
		struct bal_check bc = { .bs = &bs };
		err = snap->kv->scan(snap->kv, STATE_BALANCES, NULL, 0, bal_compare, &bc);
		if (!err && bc.differ)
			err = corridor_diag_set(diag, CORRIDOR_E_STORAGE,
						"the balance index disagrees with the entries");
	}
	free(il.inv);
	free(pl.p);
	if (bs.n)
		qsort(bs.b, bs.n, sizeof *bs.b, corridor_positions_order);
	/* every currency sums to zero */
	for (size_t lo = 0; !err && lo < bs.n;) {
		size_t hi = lo;
		corridor_i128 sum = 0;
		while (hi < bs.n && !strcmp(bs.b[hi].currency, bs.b[lo].currency))
			sum += bs.b[hi++].balance_minor;
		CORRIDOR_ASSERT(sum == 0);
		lo = hi;
	}
	for (size_t i = 0; !err && i < bs.n; i++)
		err = fn(ctx, &bs.b[i]);
	free(bs.b);
	if (err < 0 && diag && !diag->text[0])
		corridor_diag_set(diag, err, "cannot make the balances");
	return err;
}

int corridor_report_balances(struct corridor_ledger *l, int32_t as_of, corridor_balance_fn fn,
			     void *ctx, struct corridor_diag *diag)
{
	struct report_balances_args args = { .as_of = as_of, .fn = fn, .ctx = ctx };
	return corridor_ledger_read(l, report_balances_fn, &args, diag);
}

/* ---- ISO 20022 camt.053 import ---- */

struct iban_map {
	char (*iban)[35];
	char (*party)[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
	size_t n;
};

static int iban_collect(void *ctx, const struct corridor_party *p)
{
	struct iban_map *m = ctx;
	for (size_t i = 0; i < p->iban_count; i++) {
		void *a = realloc(m->iban, (m->n + 1) * sizeof *m->iban);
		if (!a)
			return CORRIDOR_E_NOMEM;
		m->iban = a;
		void *b = realloc(m->party, (m->n + 1) * sizeof *m->party);
		if (!b)
			return CORRIDOR_E_NOMEM;
		m->party = b;
		snprintf(m->iban[m->n], sizeof m->iban[0], "%s", p->ibans[i]);
		snprintf(m->party[m->n++], sizeof m->party[0], "%.32s", p->id);
	}
	return 0;
}

static const char *iban_party(const struct iban_map *m, const char *iban)
{
	for (size_t i = 0; iban[0] && i < m->n; i++)
		if (strcmp(m->iban[i], iban) == 0)
			return m->party[i];
	return NULL;
}

struct camt_draft {
	struct corridor_camt_result r;
	const char *kind;
	uint8_t body[PAYMENT_BODY_BYTES_MAX];
	size_t body_len;
	bool write;
	long target; /* a reversal of the payment this statement's draft #target records, or -1 */
	char idem[CORRIDOR_IDEM_BYTES_MAX + 1];
};
#define CAMT_REVERSAL_REASON "bank statement: reversal"

/* The invoice a reference names: a standing invoice id, with or without -r<n>. */
static struct corridor_invoice_status *named_invoice(struct corridor_invoice_report *rep,
						     const char *ref, const char *currency)
{
	size_t bl = base_len(ref);
	for (size_t i = 0; ref[0] && i < rep->count; i++)
		if (base_len(rep->invoices[i].id) == bl && !strncmp(rep->invoices[i].id, ref, bl) &&
		    !strcmp(rep->invoices[i].currency, currency))
			return &rep->invoices[i];
	return NULL;
}

static int plist_keep(void *ctx, const struct corridor_payment *p)
{
	struct plist *pl = ctx;
	void *n = realloc(pl->p, (pl->n + 1) * sizeof *pl->p);
	if (!n)
		return CORRIDOR_E_NOMEM;
	pl->p = n;
	pl->p[pl->n++] = *p;
	return 0;
}

/* Decides what one transaction becomes (nothing is written here). */
static int camt_decide(const struct corridor_camt_tx *t, const char *owner, unsigned owner_roles,
		       const struct iban_map *ibans, struct corridor_invoice_report *rep,
		       struct plist *pays, struct corridor_kv *kv, struct camt_draft *cds,
		       size_t at, struct corridor_diag *diag)
{
	struct camt_draft *cd = &cds[at];
	struct corridor_camt_result *r = &cd->r;
	unsigned dec;
	char *idem = cd->idem;
	memset(cd, 0, sizeof *cd);
	cd->target = -1;
	r->statement = t->statement_no;
	r->entry = t->entry_no;
	r->tx = t->tx_no;
	r->line = t->line;
	r->value_day = t->value_day;
	memcpy(r->currency, t->currency, 4);
	snprintf(r->bank_reference, sizeof r->bank_reference, "%s",
		 t->entry_ref[0] ? t->entry_ref : t->tx_ref);
	if (!t->booked) {
		r->outcome = CORRIDOR_CAMT_NOT_BOOKED;
		snprintf(r->why, sizeof r->why, "status is not BOOK");
		return CORRIDOR_OK;
	}
	if (corridor_currency_get(kv, t->currency, &dec, NULL) != 0) {
		r->outcome = CORRIDOR_CAMT_UNMATCHED;
		snprintf(r->why, sizeof r->why, "currency %s is not defined", t->currency);
		return CORRIDOR_OK;
	}
	if (corridor_decimal_parse(t->amount, strlen(t->amount), dec, 1, INT64_MAX,
				   &r->amount_minor) != 0)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "line %u: amount '%.39s' is not a positive %s amount with "
					 "at most %u decimals",
					 t->line, t->amount, t->currency, dec);
	const char *cp = iban_party(ibans, t->counterparty_iban);
	if (!cp) {
		r->outcome = CORRIDOR_CAMT_UNMATCHED;
		if (!t->counterparty_iban[0])
			snprintf(r->why, sizeof r->why, "no counterparty IBAN in the statement");
		else
			snprintf(r->why, sizeof r->why, "counterparty IBAN %.34s%s%.40s%s is not registered",
				 t->counterparty_iban, t->counterparty_name[0] ? " (" : "",
				 t->counterparty_name, t->counterparty_name[0] ? ")" : "");
		return CORRIDOR_OK;
	}
	bool owner_pays = t->credit == t->reversal; /* a debit, or the reversal of a credit-to-them */
	snprintf(r->payer, sizeof r->payer, "%.32s", owner_pays ? owner : cp);
	snprintf(r->payee, sizeof r->payee, "%.32s", owner_pays ? cp : owner);
	if (owner_pays && !(owner_roles & CORRIDOR_ROLE_SETTLEMENT)) {
		r->outcome = CORRIDOR_CAMT_UNMATCHED;
		snprintf(r->why, sizeof r->why, "%.32s paying %.32s: recorded by its payee", owner,
			 cp);
		return CORRIDOR_OK;
	}
	/* The identity of a bank transaction: the bank's reference of the entry
	 * (and the transaction's place among the entry's details), else the
	 * bank's reference of the transaction itself. A position in the file is
	 * none: a re-issued statement could not be told from a new one. */
	if (t->entry_ref[0])
		snprintf(idem, sizeof cd->idem, "camt053/%s/%s/%u", t->account_iban, t->entry_ref,
			 t->tx_no);
	else if (t->tx_ref[0])
		snprintf(idem, sizeof cd->idem, "camt053/%s/tx/%s", t->account_iban, t->tx_ref);
	else {
		r->outcome = CORRIDOR_CAMT_NO_REFERENCE;
		snprintf(r->why, sizeof r->why,
			 "no bank reference (AcctSvcrRef): not imported; record it with "
			 "`payment record`");
		return CORRIDOR_OK;
	}
	const char *refs[3] = { t->creditor_ref, t->end_to_end, t->remittance };
	if (t->reversal) {
		/* the payment it undoes: same parties, currency and amount; its
		 * reference if the bank repeats it; the latest first */
		struct corridor_payment *hit = NULL;
		for (size_t pass = 0; pass < 2 && !hit; pass++)
			for (size_t i = pays->n; i-- > 0 && !hit;) {
				struct corridor_payment *p = &pays->p[i];
				bool same = !p->reversed_by && !strcmp(p->payer, r->payer) &&
					    !strcmp(p->payee, r->payee) &&
					    !strcmp(p->currency, r->currency) &&
					    p->amount_minor == r->amount_minor;
				bool ref = false;
				for (int k = 0; k < 3; k++)
					ref |= refs[k][0] && !strcmp(refs[k], p->reference);
				if (same && (pass == 1 || ref))
					hit = p;
			}
		/* or a payment this statement records, earlier */
		for (size_t j = at; !hit && cd->target < 0 && j-- > 0;) {
			const struct corridor_camt_result *o = &cds[j].r;
			if (cds[j].write && cds[j].target < 0 && !strcmp(cds[j].kind, "payment.record") &&
			    o->amount_minor == r->amount_minor && !strcmp(o->payer, r->payer) &&
			    !strcmp(o->payee, r->payee) && !strcmp(o->currency, r->currency) &&
			    !cds[j].r.reverses) {
				bool taken = false;
				for (size_t q = j + 1; q < at; q++)
					taken |= cds[q].target == (long)j;
				if (!taken)
					cd->target = (long)j;
			}
		}
		if (cd->target >= 0) {
			r->outcome = CORRIDOR_CAMT_REVERSED;
			cd->kind = "payment.reverse";
			cd->write = true; /* its body names the seq draft #target gets */
			return CORRIDOR_OK;
		}
		if (!hit) {
			r->outcome = CORRIDOR_CAMT_UNMATCHED;
			snprintf(r->why, sizeof r->why, "a reversal, but no standing payment of %s to %s "
							"of that amount",
				 r->payer, r->payee);
			return CORRIDOR_OK;
		}
		hit->reversed_by = UINT64_MAX; /* taken */
		r->outcome = CORRIDOR_CAMT_REVERSED;
		r->reverses = hit->seq;
		cd->kind = "payment.reverse";
		cd->body_len = reverse_body(hit->seq, CAMT_REVERSAL_REASON, idem, cd->body,
					    sizeof cd->body);
		cd->write = true;
		return CORRIDOR_OK;
	}
	struct corridor_payment p = { .amount_minor = r->amount_minor, .value_day = t->value_day };
	memcpy(p.payer, r->payer, sizeof p.payer);
	memcpy(p.payee, r->payee, sizeof p.payee);
	memcpy(p.currency, r->currency, 4);
	struct corridor_invoice_status *inv = NULL;
	for (int k = 0; k < 3 && !inv; k++)
		if ((inv = named_invoice(rep, refs[k], r->currency)) != NULL)
			snprintf(p.reference, sizeof p.reference, "%s", refs[k]);
	if (!inv) {
		struct corridor_invoice_status *only = NULL;
		size_t hits = 0;
		for (size_t i = 0; i < rep->count; i++) {
			struct corridor_invoice_status *s = &rep->invoices[i];
			if (s->open_minor == r->amount_minor && !strcmp(s->debtor, r->payer) &&
			    !strcmp(s->creditor, r->payee) && !strcmp(s->currency, r->currency)) {
				only = s;
				hits++;
			}
		}
		if (hits == 1) {
			inv = only;
			snprintf(p.reference, sizeof p.reference, "%s", inv->id);
		}
	}
	if (inv) {
		r->outcome = CORRIDOR_CAMT_APPLIED;
		snprintf(r->invoice, sizeof r->invoice, "%s", inv->id);
		inv->open_minor = inv->open_minor > r->amount_minor ? inv->open_minor - r->amount_minor : 0;
	} else {
		r->outcome = CORRIDOR_CAMT_UNAPPLIED;
		const char *any = refs[0][0] ? refs[0] : refs[1][0] ? refs[1] : refs[2][0] ? refs[2]
					 : t->entry_ref[0] ? t->entry_ref : "bank statement";
		snprintf(p.reference, sizeof p.reference, "%s", any);
		snprintf(r->why, sizeof r->why, "no invoice matches: an unapplied credit of %s",
			 r->payer);
	}
	if (!corridor_reference_ok(p.reference))
		snprintf(p.reference, sizeof p.reference, "bank statement");
	cd->kind = "payment.record";
	cd->body_len = payment_body(&p, idem, cd->body, sizeof cd->body);
	cd->write = true;
	return CORRIDOR_OK;
}

/* The write: one transaction; a reversal of a payment recorded by the same
 * statement names the seq that payment got a moment before. Re-runnable. */
struct camt_write {
	const struct corridor_signer *signer;
	struct draft *drafts;
	size_t nd, appended;
	uint64_t *seqs;
	struct camt_draft *cds;
	const size_t *cd_of, *draft_of;
};

static int camt_write_fn(struct corridor_ledger *l, MDB_txn *txn, void *vctx,
			 struct corridor_diag *diag)
{
	struct camt_write *c = vctx;
	c->appended = 0;
	for (size_t k = 0; k < c->nd; k++) {
		struct camt_draft *cd = &c->cds[c->cd_of[k]];
		size_t app = 0;
		if (cd->target >= 0) {
			cd->body_len = reverse_body(c->seqs[c->draft_of[cd->target]],
						    CAMT_REVERSAL_REASON, cd->idem, cd->body,
						    sizeof cd->body);
			CORRIDOR_ASSERT(cd->body_len > 0);
			c->drafts[k].body_len = cd->body_len;
		}
		int err = corridor_append_txn(l, txn, c->signer, &c->drafts[k], 1, false,
					      &c->seqs[k], &app, diag);
		if (err)
			return err;
		c->appended += app;
	}
	return CORRIDOR_OK;
}

/* What the ledger holds for the bank transaction written at seq `at`: the
 * bank's facts (amount, currency, parties; the value date of a payment). */
static int camt_recorded(struct corridor_kv *kv, struct corridor_ledger *l, MDB_txn *txn,
			 uint64_t at, struct corridor_camt_result *was, struct corridor_diag *diag)
{
	uint8_t kb[8];
	struct corridor_entry e;
	struct corridor_payment p;
	uint64_t target = at;
	memset(was, 0, sizeof *was);
	corridor_be64_put(kb, at);
	MDB_val k = { .mv_size = 8, .mv_data = kb }, ev;
	if (mdb_get(txn, l->entries, &k, &ev) != 0 ||
	    corridor_entry_decode(ev.mv_data, ev.mv_size, &e, NULL) != 0)
		return corridor_diag_set(diag, CORRIDOR_E_STORAGE,
					 "the idempotency index names a missing entry %llu",
					 (unsigned long long)at);
	was->reverses = 0;
	if (strcmp(e.kind, "payment.reverse") == 0) {
		const uint8_t *pv;
		size_t plen;
		if ((pv = corridor_map_find(e.body, e.body_len, "payment", &plen)) == NULL ||
		    corridor_mp_uint(pv, plen, &target) != 0)
			return corridor_diag_set(diag, CORRIDOR_E_STORAGE, "entry %llu does not decode",
						 (unsigned long long)at);
		was->reverses = target;
		was->outcome = CORRIDOR_CAMT_REVERSED;
	} else {
		was->outcome = CORRIDOR_CAMT_APPLIED;
	}
	if (corridor_payment_rec_get(kv, target, &p) != 0)
		return corridor_diag_set(diag, CORRIDOR_E_STORAGE, "payment %llu is not in the index",
					 (unsigned long long)target);
	was->amount_minor = p.amount_minor;
	was->value_day = was->reverses ? INT32_MIN : p.value_day;
	memcpy(was->currency, p.currency, sizeof was->currency);
	memcpy(was->payer, p.payer, sizeof was->payer);
	memcpy(was->payee, p.payee, sizeof was->payee);
	return CORRIDOR_OK;
}

/* The same bank facts: amount, currency, parties and (a payment's) value date. */
static bool camt_same(const struct corridor_camt_result *was, const struct corridor_camt_result *r)
{
	return was->amount_minor == r->amount_minor && !strcmp(was->currency, r->currency) &&
	       !strcmp(was->payer, r->payer) && !strcmp(was->payee, r->payee) &&
	       (was->value_day == INT32_MIN || was->value_day == r->value_day);
}

/* "CNY 100.00 from A to B on 2026-02-15" in out (48 bytes). */
static void camt_describe(struct corridor_kv *kv, const struct corridor_camt_result *r, char *out)
{
	unsigned dec = 2;
	char amt[32], date[11];
	if (corridor_currency_get(kv, r->currency, &dec, NULL) != 0)
		dec = 2;
	corridor_money_format(r->amount_minor, dec, amt, sizeof amt);
	corridor_date_format(r->value_day, date);
	if (r->value_day == INT32_MIN)
		snprintf(out, 48, "%.3s %.24s", r->currency, amt);
	else
		snprintf(out, 48, "%.3s %.24s on %.10s", r->currency, amt, date);
}

int corridor_payment_import(struct corridor_ledger *l, const struct corridor_signer *signer,
			    const char *xml, size_t len, corridor_camt_fn fn, void *ctx,
			    size_t *written, struct corridor_diag *diag)
{
	struct corridor_camt_tx *txs = NULL;
	struct camt_draft *cds = NULL;
	struct corridor_party *owner = NULL;
	struct iban_map ibans = { 0 };
	struct corridor_invoice_report rep = { 0 };
	struct plist pays = { 0 };
	struct draft *drafts = NULL;
	uint64_t *seqs = NULL;
	size_t n = 0, nd = 0, *draft_of = NULL, *cd_of = NULL;
	*written = 0;
	int err = corridor_camt053_parse(xml, len, &txs, &n, diag);
	if (err)
		return err;
	const char *who = corridor_signer_vkey(signer)->name;
	owner = malloc(sizeof *owner);
	cds = calloc(n ? n : 1, sizeof *cds);
	drafts = calloc(n ? n : 1, sizeof *drafts);
	seqs = calloc(n ? n : 1, sizeof *seqs);
	draft_of = calloc(n ? n : 1, sizeof *draft_of);
	cd_of = calloc(n ? n : 1, sizeof *cd_of);
	if (!owner || !cds || !drafts || !seqs || !draft_of || !cd_of) {
		err = corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
		goto out;
	}
	if ((err = corridor_party_get(l, who, owner, diag)) != 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		bool mine = false;
		for (size_t k = 0; k < owner->iban_count; k++)
			mine |= strcmp(owner->ibans[k], txs[i].account_iban) == 0;
		if (!mine) {
			err = corridor_diag_set(diag, CORRIDOR_E_REFUSED,
						"statement %u is of account %s, not an account "
						"registered to %s; nothing was written",
						txs[i].statement_no, txs[i].account_iban, who);
			goto out;
		}
	}
	if ((err = corridor_party_list(l, iban_collect, &ibans, diag)) != 0 ||
	    (err = corridor_report_invoices(l, NULL, INT32_MAX, &rep, diag)) != 0 ||
	    (err = corridor_payment_list(l, NULL, plist_keep, &pays, diag)) != 0)
		goto out;
	/* What each transaction becomes, then the dry run: imported before? else
	 * the same checks an append makes. */
	struct corridor_dry_run dr;
	if ((err = corridor_dry_run_begin(l, &dr, diag)) != 0)
		goto out;
	for (size_t i = 0; i < n && !err; i++)
		err = camt_decide(&txs[i], who, owner->roles, &ibans, &rep, &pays, &dr.ov.base, cds,
				  i, diag);
	for (size_t i = 0; i < n && !err; i++) {
		struct camt_draft *cd = &cds[i];
		const char *key;
		size_t klen;
		if (!cd->write)
			continue;
		if (cd->target >= 0) {
			struct camt_draft *tg = &cds[cd->target];
			if (!tg->write) { /* the payment was imported before: so was this */
				cd->target = -1;
				cd->r.reverses = tg->r.seq;
				cd->body_len = reverse_body(tg->r.seq, CAMT_REVERSAL_REASON, cd->idem,
							    cd->body, sizeof cd->body);
			} else {
				cd->body_len = reverse_body(dr.head.size + (uint64_t)draft_of[cd->target],
							    CAMT_REVERSAL_REASON, cd->idem, cd->body,
							    sizeof cd->body);
			}
		}
		CORRIDOR_ASSERT(cd->body_len > 0);
		int has_key = corridor_msgpack_map_str(cd->body, cd->body_len, "idempotency_key",
						       &key, &klen);
		CORRIDOR_ASSERT(has_key == 0); /* every imported transaction carries one */
		/* Imported before, or earlier in this statement: under either kind */
		const char *kinds[2] = { cd->kind, !strcmp(cd->kind, "payment.record")
							   ? "payment.reverse" : "payment.record" };
		bool seen = false;
		for (int kk = 0; kk < 2 && !seen && !err; kk++) {
			uint64_t at;
			if (corridor_idem_lookup(&dr.ov.base, who, kinds[kk], key, klen, &at) != 0)
				continue;
			seen = true;
			struct corridor_camt_result was;
			if (at >= dr.head.size) {
				CORRIDOR_ASSERT(at - dr.head.size < nd);
				was = cds[cd_of[at - dr.head.size]].r;
				err = corridor_diag_set(diag, CORRIDOR_E_REFUSED,
							"line %u: bank reference %s/%u is given twice in "
							"this statement (line %u): nothing was written",
							cd->r.line, cd->r.bank_reference, cd->r.tx, was.line);
				break;
			}
			if ((err = camt_recorded(&dr.ov.base, l, dr.txn, at, &was, diag)) != 0)
				break;
			if (kk != 0 || !camt_same(&was, &cd->r)) {
				char a[48], b[48];
				camt_describe(&dr.ov.base, &was, a);
				camt_describe(&dr.ov.base, &cd->r, b);
				err = corridor_diag_set(diag, CORRIDOR_E_REFUSED,
							"line %u: bank reference %s/%u was imported at seq "
							"%llu with other values (%s%s; this statement: "
							"%s %s): nothing was written",
							cd->r.line, cd->r.bank_reference, cd->r.tx,
							(unsigned long long)at,
							kk ? (was.reverses ? "a reversal, " : "a payment, ")
							   : "",
							a, cd->kind + 8, b);
				break;
			}
			cd->write = false;
			cd->r.outcome = CORRIDOR_CAMT_ALREADY;
			cd->r.seq = at;
			snprintf(cd->r.why, sizeof cd->r.why, "imported before, at seq %llu",
				 (unsigned long long)cd->r.seq);
		}
		if (seen || err)
			continue;
		draft_of[i] = nd;
		cd_of[nd] = i;
		drafts[nd] = (struct draft){ .kind = cd->kind, .body = cd->body, .body_len = cd->body_len };
		struct corridor_diag rd;
		corridor_diag_init(&rd);
		err = corridor_draft_process(&dr.st, corridor_signer_vkey(signer), &drafts[nd],
					     dr.head.size + nd, dr.head.time_us, dr.head.tip, &rd);
		if (err)
			corridor_diag_set(diag, err, "line %u: %s", cd->r.line, rd.text);
		nd++;
	}
	corridor_dry_run_end(&dr);
	if (err)
		goto out;
	if (nd) {
		struct camt_write cw = { .signer = signer, .drafts = drafts, .nd = nd, .seqs = seqs,
					 .cds = cds, .cd_of = cd_of, .draft_of = draft_of };
		if ((err = corridor_ledger_write(l, camt_write_fn, &cw, diag)) != 0)
			goto out;
		*written = cw.appended;
	}
	for (size_t i = 0, k = 0; i < n && !err; i++) {
		if (cds[i].write)
			cds[i].r.seq = seqs[k++];
		if (cds[i].write && cds[i].target >= 0)
			cds[i].r.reverses = seqs[draft_of[cds[i].target]];
		if (fn)
			err = fn(ctx, &cds[i].r);
	}
out:
	free(txs);
	free(cds);
	free(owner);
	free(ibans.iban);
	free(ibans.party);
	free(pays.p);
	free(drafts);
	free(seqs);
	free(draft_of);
	free(cd_of);
	corridor_invoice_report_release(&rep);
	return err;
}
