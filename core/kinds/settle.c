/*
 * settle.c — settlement.batch, settlement.invoice and settlement.reverse:
 * a batch computed (corridor_batch_compute) and checked against what was
 * written, the postings, reversal.
 *
 * Bodies (canonical maps, string keys; amounts in minor units):
 *   settlement.batch   {computed_at?: {root, size}, count, digest,
 *                       netting: [{amount, currency, from, to}], period,
 *                       totals: [{amount, currency}]}
 *   settlement.invoice {adjustments?: [{amount, delta, invoice, period}], buyer,
 *                       contract, currency, disputed, due, id, intervals, issued,
 *                       lines: [{amount, kind, price, quantity}], period,
 *                       rate?: {base, date, quote, rate, source}, seller,
 *                       settlement_currency, subtotal, total}
 *   settlement.reverse {batch, idempotency_key?, period, reason}
 * digest = SHA-256 over the invoice bodies, concatenated in id order; a batch's
 * invoices follow its summary; when the last one is in, digest, totals and
 * netting are recomputed from them and must give the summary's body exactly.
 *
 * State: STATE_SETTLED  contract || 0 || be32(period)  -> SETTLED_* record
 *        STATE_INVOICES id -> INVOICE_* record
 *        STATE_BATCHES  be32(period) || be64(seq) -> batch header; with a part
 *                       tag and name after it: 'I' id (its invoices), 'P'
 *                       party 0 currency -> position, 'T' currency -> total,
 *                       'A' contract 0 be32(period) -> adjustment delta;
 *                       OPEN_KEY -> be64(seq of the batch in progress, 0 none).
 */
#include <stdio.h>

#include <msgpack.h>
#include <sodium.h>

#include "kinds.h"

#define BODY_CAP CORRIDOR_ENTRY_BYTES_MAX
#define POSITIONS_MAX 65536u
static const uint8_t OPEN_KEY[1] = { 0xff };

static const char *const LINE_KINDS[] = { "", "energy", "shortfall", "excess", "transit" };

/* batch keys */
size_t corridor_batch_key(int32_t period, uint64_t seq, char tag, const char *name, size_t nlen,
			uint8_t *out)
{
	corridor_be32_put(out, (uint32_t)period ^ BIAS);
	corridor_be64_put(out + 4, seq);
	if (!tag)
		return 12;
	out[12] = (uint8_t)tag;
	memcpy(out + 13, name, nlen);
	return 13 + nlen;
}
#define BATCH_KEY_MAX (13u + CORRIDOR_INVOICE_ID_BYTES_MAX + 8u)


_Static_assert(sizeof(((crypto_hash_sha256_state *)0)->state) == 8u * 4u &&
		       sizeof(((crypto_hash_sha256_state *)0)->count) == 8u &&
		       sizeof(((crypto_hash_sha256_state *)0)->buf) == 64u,
	       "libsodium's SHA-256 state is H0..H7, a bit count and one block");

static void midstate_put(uint8_t *v, const crypto_hash_sha256_state *hs)
{
	for (unsigned i = 0; i < 8; i++)
		corridor_le32_put(v + 4u * i, hs->state[i]);
	corridor_le64_put(v + 32, hs->count);
	memcpy(v + 40, hs->buf, 64);
}

static void midstate_get(const uint8_t *v, crypto_hash_sha256_state *hs)
{
	for (unsigned i = 0; i < 8; i++)
		hs->state[i] = corridor_le32_get(v + 4u * i);
	hs->count = corridor_le64_get(v + 32);
	memcpy(hs->buf, v + 40, 64);
}

int corridor_batch_hdr_get(struct corridor_kv *kv, int32_t period, uint64_t seq, struct batch_hdr *h)
{
	uint8_t k[12];
	const uint8_t *v;
	size_t vlen;
	int err = kv->get(kv, STATE_BATCHES, k, corridor_batch_key(period, seq, 0, NULL, 0, k), &v, &vlen);
	if (err)
		return err;
	if (vlen < HDR_FIXED || v[9] > CORRIDOR_INVOICE_ID_BYTES_MAX)
		return CORRIDOR_E_STORAGE;
	h->reversed = v[0];
	h->count = corridor_be32_get(v + 1);
	h->seen = corridor_be32_get(v + 5);
	memcpy(h->last_id, v + 10, v[9]);
	h->last_id[v[9]] = '\0';
	midstate_get(v + 10 + CORRIDOR_INVOICE_ID_BYTES_MAX, &h->hs);
	h->body = v + HDR_FIXED;
	h->body_len = vlen - HDR_FIXED;
	return CORRIDOR_OK;
}

static int hdr_put(struct corridor_kv *kv, int32_t period, uint64_t seq, const struct batch_hdr *h)
{
	uint8_t k[12];
	size_t vlen = HDR_FIXED + h->body_len;
	uint8_t *v = calloc(1, vlen);
	if (!v)
		return CORRIDOR_E_NOMEM;
	v[0] = h->reversed;
	corridor_be32_put(v + 1, h->count);
	corridor_be32_put(v + 5, h->seen);
	v[9] = (uint8_t)strlen(h->last_id);
	memcpy(v + 10, h->last_id, v[9]);
	midstate_put(v + 10 + CORRIDOR_INVOICE_ID_BYTES_MAX, &h->hs);
	memcpy(v + HDR_FIXED, h->body, h->body_len);
	int err = kv->put(kv, STATE_BATCHES, k, corridor_batch_key(period, seq, 0, NULL, 0, k), v, vlen);
	free(v);
	return err;
}

int corridor_batch_open_get(struct corridor_kv *kv, uint64_t *seq)
{
	const uint8_t *v;
	size_t vlen;
	int err = kv->get(kv, STATE_BATCHES, OPEN_KEY, 1, &v, &vlen);
	*seq = 0;
	if (err == CORRIDOR_E_NOTFOUND)
		return CORRIDOR_OK;
	if (err)
		return err;
	if (vlen != 12)
		return CORRIDOR_E_STORAGE;
	*seq = corridor_be64_get(v + 4);
	return CORRIDOR_OK;
}

static int open_put(struct corridor_kv *kv, int32_t period, uint64_t seq)
{
	uint8_t v[12];
	corridor_batch_key(period, seq, 0, NULL, 0, v);
	return kv->put(kv, STATE_BATCHES, OPEN_KEY, 1, v, 12);
}

static int open_period(struct corridor_kv *kv, int32_t *period)
{
	const uint8_t *v;
	size_t vlen;
	int err = kv->get(kv, STATE_BATCHES, OPEN_KEY, 1, &v, &vlen);
	if (err || vlen != 12)
		return err ? err : CORRIDOR_E_STORAGE;
	*period = (int32_t)(corridor_be32_get(v) ^ BIAS);
	return CORRIDOR_OK;
}

static int part_add(struct corridor_kv *kv, int32_t period, uint64_t seq, char tag,
		    const char *name, size_t nlen, int64_t delta)
{
	uint8_t k[BATCH_KEY_MAX], v[8];
	const uint8_t *old;
	size_t olen, klen = corridor_batch_key(period, seq, tag, name, nlen, k);
	int64_t cur = 0;
	int err = kv->get(kv, STATE_BATCHES, k, klen, &old, &olen);
	if (err == 0 && olen == 8)
		cur = (int64_t)corridor_be64_get(old);
	else if (err != CORRIDOR_E_NOTFOUND)
		return err ? err : CORRIDOR_E_STORAGE;
	if (__builtin_add_overflow(cur, delta, &cur))
		return CORRIDOR_E_OVERFLOW;
	corridor_be64_put(v, (uint64_t)cur);
	return kv->put(kv, STATE_BATCHES, k, klen, v, 8);
}

/* ---- bodies ---- */

static void pperiod(msgpack_packer *pk, int32_t day)
{
	char p[8];
	corridor_period_text(day, p);
	corridor_mp_cstr(pk, p);
}

size_t corridor_invoice_body(const struct corridor_invoice *inv, uint8_t *buf, size_t cap)
{
	struct corridor_mpbuf w;
	msgpack_packer pk;
	corridor_mpbuf_init(&w, &pk, buf, cap);
	msgpack_pack_map(&pk, 14u + (inv->adjustment_count ? 1u : 0u) + (inv->converted ? 1u : 0u));
	if (inv->adjustment_count) {
		corridor_mp_cstr(&pk, "adjustments");
		msgpack_pack_array(&pk, inv->adjustment_count);
		for (size_t i = 0; i < inv->adjustment_count; i++) {
			const struct corridor_invoice_adjustment *a = &inv->adjustments[i];
			msgpack_pack_map(&pk, 4);
			corridor_mp_cstr(&pk, "amount"), msgpack_pack_int64(&pk, a->amount_minor);
			corridor_mp_cstr(&pk, "delta"), msgpack_pack_int64(&pk, a->delta_minor);
			corridor_mp_cstr(&pk, "invoice"), corridor_mp_cstr(&pk, a->invoice);
			corridor_mp_cstr(&pk, "period"), pperiod(&pk, a->period_day);
		}
	}
	corridor_mp_cstr(&pk, "buyer"), corridor_mp_cstr(&pk, inv->buyer);
	corridor_mp_cstr(&pk, "contract"), corridor_mp_cstr(&pk, inv->contract);
	corridor_mp_cstr(&pk, "currency"), corridor_mp_cstr(&pk, inv->currency);
	corridor_mp_cstr(&pk, "disputed"), msgpack_pack_uint64(&pk, inv->disputed);
	corridor_mp_cstr(&pk, "due"), corridor_mp_date(&pk, inv->due_day);
	corridor_mp_cstr(&pk, "id"), corridor_mp_cstr(&pk, inv->id);
	corridor_mp_cstr(&pk, "intervals"), msgpack_pack_uint64(&pk, inv->intervals);
	corridor_mp_cstr(&pk, "issued"), corridor_mp_date(&pk, inv->issue_day);
	corridor_mp_cstr(&pk, "lines");
	msgpack_pack_array(&pk, inv->line_count);
	for (size_t i = 0; i < inv->line_count; i++) {
		const struct corridor_invoice_line *l = &inv->lines[i];
		msgpack_pack_map(&pk, 4);
		corridor_mp_cstr(&pk, "amount"), msgpack_pack_int64(&pk, l->amount_minor);
		corridor_mp_cstr(&pk, "kind"), corridor_mp_cstr(&pk, LINE_KINDS[l->kind]);
		corridor_mp_cstr(&pk, "price"), msgpack_pack_int64(&pk, l->price_micro);
		corridor_mp_cstr(&pk, "quantity"), msgpack_pack_int64(&pk, l->quantity_milli);
	}
	corridor_mp_cstr(&pk, "period"), pperiod(&pk, inv->period_day);
	if (inv->converted) {
		corridor_mp_cstr(&pk, "rate");
		msgpack_pack_map(&pk, 5);
		corridor_mp_cstr(&pk, "base"), corridor_mp_cstr(&pk, inv->rate.base);
		corridor_mp_cstr(&pk, "date"), corridor_mp_date(&pk, inv->rate.day);
		corridor_mp_cstr(&pk, "quote"), corridor_mp_cstr(&pk, inv->rate.quote);
		corridor_mp_cstr(&pk, "rate"), msgpack_pack_int64(&pk, inv->rate.rate_e8);
		corridor_mp_cstr(&pk, "source"), corridor_mp_cstr(&pk, inv->rate.source);
	}
	corridor_mp_cstr(&pk, "seller"), corridor_mp_cstr(&pk, inv->seller);
	corridor_mp_cstr(&pk, "settlement_currency"), corridor_mp_cstr(&pk, inv->settlement_currency);
	corridor_mp_cstr(&pk, "subtotal"), msgpack_pack_int64(&pk, inv->subtotal_minor);
	corridor_mp_cstr(&pk, "total"), msgpack_pack_int64(&pk, inv->total_minor);
	return w.overflow ? 0 : w.len;
}

static size_t batch_body(const struct corridor_batch *b, uint8_t *buf, size_t cap)
{
	struct corridor_mpbuf w;
	msgpack_packer pk;
	corridor_mpbuf_init(&w, &pk, buf, cap);
	msgpack_pack_map(&pk, b->computed_size ? 6 : 5);
	if (b->computed_size) {
		corridor_mp_cstr(&pk, "computed_at");
		msgpack_pack_map(&pk, 2);
		corridor_mp_cstr(&pk, "root");
		msgpack_pack_bin(&pk, CORRIDOR_HASH_BYTES);
		msgpack_pack_bin_body(&pk, b->computed_root, CORRIDOR_HASH_BYTES);
		corridor_mp_cstr(&pk, "size"), msgpack_pack_uint64(&pk, b->computed_size);
	}
	corridor_mp_cstr(&pk, "count"), msgpack_pack_uint64(&pk, b->invoice_count);
	corridor_mp_cstr(&pk, "digest");
	msgpack_pack_bin(&pk, CORRIDOR_HASH_BYTES);
	msgpack_pack_bin_body(&pk, b->digest, CORRIDOR_HASH_BYTES);
	corridor_mp_cstr(&pk, "netting");
	msgpack_pack_array(&pk, b->netting_count);
	for (size_t i = 0; i < b->netting_count; i++) {
		const struct corridor_netting *n = &b->netting[i];
		msgpack_pack_map(&pk, 4);
		corridor_mp_cstr(&pk, "amount"), msgpack_pack_int64(&pk, n->amount_minor);
		corridor_mp_cstr(&pk, "currency"), corridor_mp_cstr(&pk, n->currency);
		corridor_mp_cstr(&pk, "from"), corridor_mp_cstr(&pk, n->from);
		corridor_mp_cstr(&pk, "to"), corridor_mp_cstr(&pk, n->to);
	}
	corridor_mp_cstr(&pk, "period"), pperiod(&pk, b->period_day);
	corridor_mp_cstr(&pk, "totals");
	msgpack_pack_array(&pk, b->total_count);
	for (size_t i = 0; i < b->total_count; i++) {
		msgpack_pack_map(&pk, 2);
		corridor_mp_cstr(&pk, "amount"), msgpack_pack_int64(&pk, b->totals[i].amount_minor);
		corridor_mp_cstr(&pk, "currency"), corridor_mp_cstr(&pk, b->totals[i].currency);
	}
	return w.overflow ? 0 : w.len;
}

bool corridor_field_i64(const msgpack_object *m, const char *k, int64_t *out)
{
	return corridor_mpo_int(corridor_mpo_field(m, k), out);
}

bool corridor_field_u64(const msgpack_object *m, const char *k, uint64_t *out)
{
	return corridor_mpo_uint(corridor_mpo_field(m, k), UINT64_MAX, out);
}

/* Decodes an invoice body (already canonical). */
int corridor_invoice_decode(const msgpack_object *o, struct corridor_invoice *inv)
{
	static const char *const allowed[] = { "adjustments", "buyer", "contract", "currency",
					       "disputed", "due", "id", "intervals", "issued",
					       "lines", "period", "rate", "seller",
					       "settlement_currency", "subtotal", "total", NULL };
	memset(inv, 0, sizeof *inv);
	if (!corridor_mpo_fields_only(o, allowed) ||
	    !corridor_mpo_str(corridor_mpo_field(o, "buyer"), inv->buyer, sizeof inv->buyer) ||
	    !corridor_mpo_str(corridor_mpo_field(o, "seller"), inv->seller, sizeof inv->seller) ||
	    !corridor_mpo_str(corridor_mpo_field(o, "contract"), inv->contract, sizeof inv->contract) ||
	    !corridor_mpo_str(corridor_mpo_field(o, "currency"), inv->currency, sizeof inv->currency) ||
	    !corridor_mpo_str(corridor_mpo_field(o, "settlement_currency"), inv->settlement_currency,
			      sizeof inv->settlement_currency) ||
	    !corridor_mpo_str(corridor_mpo_field(o, "id"), inv->id, sizeof inv->id) ||
	    !corridor_field_u64(o, "disputed", &inv->disputed) || !corridor_field_u64(o, "intervals", &inv->intervals) ||
	    !corridor_mpo_date(corridor_mpo_field(o, "due"), &inv->due_day) ||
	    !corridor_mpo_date(corridor_mpo_field(o, "issued"), &inv->issue_day) ||
	    !corridor_period_parse(corridor_mpo_field(o, "period"), &inv->period_day) ||
	    !corridor_field_i64(o, "subtotal", &inv->subtotal_minor) || !corridor_field_i64(o, "total", &inv->total_minor))
		return CORRIDOR_E_VERIFY;
	const msgpack_object *lines = corridor_mpo_field(o, "lines");
	if (!lines || lines->type != MSGPACK_OBJECT_ARRAY ||
	    lines->via.array.size > CORRIDOR_INVOICE_LINES_MAX)
		return CORRIDOR_E_VERIFY;
	for (uint32_t i = 0; i < lines->via.array.size; i++) {
		static const char *const la[] = { "amount", "kind", "price", "quantity", NULL };
		const msgpack_object *m = &lines->via.array.ptr[i];
		struct corridor_invoice_line *l = &inv->lines[inv->line_count++];
		char kind[16];
		if (m->type != MSGPACK_OBJECT_MAP || !corridor_mpo_fields_only(m, la) ||
		    !corridor_field_i64(m, "amount", &l->amount_minor) || !corridor_field_i64(m, "price", &l->price_micro) ||
		    !corridor_field_i64(m, "quantity", &l->quantity_milli) ||
		    !corridor_mpo_str(corridor_mpo_field(m, "kind"), kind, sizeof kind))
			return CORRIDOR_E_VERIFY;
		for (unsigned k = CORRIDOR_LINE_ENERGY; k <= CORRIDOR_LINE_TRANSIT; k++)
			if (strcmp(kind, LINE_KINDS[k]) == 0)
				l->kind = (enum corridor_line_kind)k;
		if (!l->kind)
			return CORRIDOR_E_VERIFY;
	}
	const msgpack_object *adj = corridor_mpo_field(o, "adjustments");
	if (adj) {
		if (adj->type != MSGPACK_OBJECT_ARRAY || adj->via.array.size == 0 ||
		    adj->via.array.size > CORRIDOR_INVOICE_ADJUSTMENTS_MAX)
			return CORRIDOR_E_VERIFY;
		for (uint32_t i = 0; i < adj->via.array.size; i++) {
			static const char *const aa[] = { "amount", "delta", "invoice", "period", NULL };
			const msgpack_object *m = &adj->via.array.ptr[i];
			struct corridor_invoice_adjustment *a =
				&inv->adjustments[inv->adjustment_count++];
			if (m->type != MSGPACK_OBJECT_MAP || !corridor_mpo_fields_only(m, aa) ||
			    !corridor_field_i64(m, "amount", &a->amount_minor) ||
			    !corridor_field_i64(m, "delta", &a->delta_minor) ||
			    !corridor_mpo_str(corridor_mpo_field(m, "invoice"), a->invoice,
					      sizeof a->invoice) ||
			    !corridor_period_parse(corridor_mpo_field(m, "period"), &a->period_day))
				return CORRIDOR_E_VERIFY;
		}
	}
	const msgpack_object *rate = corridor_mpo_field(o, "rate");
	if (rate) {
		static const char *const ra[] = { "base", "date", "quote", "rate", "source", NULL };
		inv->converted = true;
		if (rate->type != MSGPACK_OBJECT_MAP || !corridor_mpo_fields_only(rate, ra) ||
		    !corridor_mpo_str(corridor_mpo_field(rate, "base"), inv->rate.base,
				      sizeof inv->rate.base) ||
		    !corridor_mpo_str(corridor_mpo_field(rate, "quote"), inv->rate.quote,
				      sizeof inv->rate.quote) ||
		    !corridor_mpo_str(corridor_mpo_field(rate, "source"), inv->rate.source,
				      sizeof inv->rate.source) ||
		    !corridor_mpo_date(corridor_mpo_field(rate, "date"), &inv->rate.day) ||
		    !corridor_field_i64(rate, "rate", &inv->rate.rate_e8))
			return CORRIDOR_E_VERIFY;
	}
	return CORRIDOR_OK;
}

void corridor_batch_release(struct corridor_batch *b)
{
	free(b->invoices);
	free(b->netting);
	free(b->missing);
	free(b->unsettled);
	for (size_t i = 0; i < b->body_count; i++)
		free(b->bodies[i]);
	free(b->bodies);
	free(b->body_lens);
	memset(b, 0, sizeof *b);
}

/* ---- processing ---- */

/* computed_at {root bin 32, size uint}, if the summary has it. False if it
 * is there but malformed. */
bool corridor_batch_computed_at(const msgpack_object *o, uint64_t *size,
				uint8_t root[CORRIDOR_HASH_BYTES])
{
	static const char *const fields[] = { "root", "size", NULL };
	const msgpack_object *at = corridor_mpo_field(o, "computed_at"), *r;
	*size = 0;
	if (!at)
		return true;
	if (at->type != MSGPACK_OBJECT_MAP || !corridor_mpo_fields_only(at, fields) ||
	    !corridor_field_u64(at, "size", size) || *size == 0 ||
	    !(r = corridor_mpo_field(at, "root")) || r->type != MSGPACK_OBJECT_BIN ||
	    r->via.bin.size != CORRIDOR_HASH_BYTES)
		return false;
	memcpy(root, r->via.bin.ptr, CORRIDOR_HASH_BYTES);
	return true;
}

static int process_batch(struct kind_state *st, const struct corridor_entry *e,
			 const msgpack_object *o, struct corridor_diag *diag)
{
	static const char *const allowed[] = { "computed_at", "count", "digest", "netting",
					       "period", "totals", NULL };
	uint8_t at_root[CORRIDOR_HASH_BYTES], root[CORRIDOR_HASH_BYTES];
	uint64_t at_size;
	uint64_t count, open;
	int32_t P;
	if (!corridor_mpo_fields_only(o, allowed) || !corridor_field_u64(o, "count", &count) ||
	    !corridor_period_parse(corridor_mpo_field(o, "period"), &P) || !corridor_mpo_field(o, "digest") ||
	    !corridor_mpo_field(o, "netting") || !corridor_mpo_field(o, "totals"))
		return corridor_entry_bad(e, diag, CORRIDOR_E_VERIFY, "needs count, digest, netting, period, totals");
	if (count == 0 || count > CORRIDOR_BATCH_INVOICES_MAX)
		return corridor_entry_bad(e, diag, CORRIDOR_E_VERIFY, "count must be 1..%u",
			    CORRIDOR_BATCH_INVOICES_MAX);
	if (!corridor_batch_computed_at(o, &at_size, at_root))
		return corridor_entry_bad(e, diag, CORRIDOR_E_VERIFY,
					  "computed_at is {root: 32 bytes, size: 1 or more}");
	/* the tree it names is this log's, at a size it had before the batch */
	if (at_size && (at_size > e->seq || !st->tree_root ||
			st->tree_root(st->tree_ctx, at_size, root) != 0 ||
			sodium_memcmp(root, at_root, CORRIDOR_HASH_BYTES) != 0))
		return corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED,
					  "the batch was computed at tree size %llu with a root this "
					  "log does not have at that size: compute it from a replica "
					  "of this ledger",
					  (unsigned long long)at_size);
	int err = corridor_batch_open_get(st->kv, &open);
	if (err)
		return err;
	if (open)
		return corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED, "batch %llu is not complete",
			    (unsigned long long)open);
	struct batch_hdr h = { .count = (uint32_t)count, .body = e->body, .body_len = e->body_len };
	crypto_hash_sha256_init(&h.hs);
	if ((err = hdr_put(st->kv, P, e->seq, &h)) != 0)
		return err;
	return open_put(st->kv, P, e->seq);
}

/* The last invoice of a batch is in: its summary must be what they give. */
static int batch_close(struct kind_state *st, const struct corridor_entry *e, int32_t P,
		       uint64_t bseq, struct batch_hdr *h, struct corridor_diag *diag);

struct part_scan {
	struct corridor_balance *ps;
	size_t n;
	struct corridor_batch *b;
	int err;
};

static int part_collect(void *vctx, const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen)
{
	struct part_scan *c = vctx;
	if (klen < 13 || vlen != 8)
		return CORRIDOR_OK;
	const char *name = (const char *)k + 13;
	size_t nlen = klen - 13;
	int64_t amount = (int64_t)corridor_be64_get(v);
	if (k[12] == 'P') {
		const char *z = memchr(name, 0, nlen);
		char party[CORRIDOR_PARTY_ID_BYTES_MAX + 1], cur[4];
		if (!z || (size_t)(z - name) > CORRIDOR_PARTY_ID_BYTES_MAX || nlen != (size_t)(z - name) + 4)
			return CORRIDOR_E_STORAGE;
		memcpy(party, name, (size_t)(z - name));
		party[z - name] = '\0';
		memcpy(cur, z + 1, 3);
		cur[3] = '\0';
		return corridor_positions_add(&c->ps, &c->n, POSITIONS_MAX, NULL, party, cur, amount);
	}
	if (k[12] == 'T') {
		char cur[4];
		if (nlen != 3)
			return CORRIDOR_E_STORAGE;
		memcpy(cur, name, 3);
		cur[3] = '\0';
		return corridor_batch_total_add(c->b, cur, amount);
	}
	return CORRIDOR_OK;
}

static int batch_close(struct kind_state *st, const struct corridor_entry *e, int32_t P,
		       uint64_t bseq, struct batch_hdr *h, struct corridor_diag *diag)
{
	struct corridor_batch b = { .period_day = P, .invoice_count = h->count };
	struct part_scan ps = { .b = &b };
	uint8_t prefix[12];
	/* computed_at is what the summary says (checked when it came in) */
	msgpack_unpacked u;
	msgpack_unpacked_init(&u);
	if (msgpack_unpack_next(&u, (const char *)h->body, h->body_len, NULL) ==
		    MSGPACK_UNPACK_SUCCESS &&
	    !corridor_batch_computed_at(&u.data, &b.computed_size, b.computed_root))
		b.computed_size = 0;
	msgpack_unpacked_destroy(&u);
	crypto_hash_sha256_final(&h->hs, b.digest);
	int err = st->kv->scan(st->kv, STATE_BATCHES, prefix, corridor_batch_key(P, bseq, 0, NULL, 0, prefix),
			       part_collect, &ps);
	if (!err)
		err = corridor_netting_compute(ps.ps, ps.n, &b);
	free(ps.ps);
	uint8_t *body = err ? NULL : malloc(BODY_CAP);
	size_t len = body ? batch_body(&b, body, BODY_CAP) : 0;
	bool same = len && len == h->body_len && !memcmp(body, h->body, len);
	free(body);
	corridor_batch_release(&b);
	if (err)
		return err == CORRIDOR_E_STORAGE || err == CORRIDOR_E_NOMEM
			       ? err
			       : corridor_entry_bad(e, diag, CORRIDOR_E_VERIFY, "the batch's postings overflow");
	if (!same)
		return corridor_entry_bad(e, diag, CORRIDOR_E_VERIFY,
			    "batch %llu: its summary (digest, totals or netting) is not what its "
			    "invoices give",
			    (unsigned long long)bseq);
	return open_put(st->kv, P, 0);
}

/* A settlement.invoice is accepted only if it is exactly the invoice the
 * rules give from the state at its seq: the same computation a run makes,
 * re-encoded and compared byte for byte. So verify re-derives every invoice
 * line, rate, adjustment and total from the deliveries, rates and contracts. */
static int process_invoice(struct kind_state *st, const struct corridor_entry *e,
			   const msgpack_object *o, struct corridor_diag *diag)
{
	struct corridor_invoice *inv = malloc(sizeof *inv), *calc = malloc(sizeof *calc);
	struct corridor_contract *c = malloc(sizeof *c);
	uint8_t *body = malloc(BODY_CAP);
	struct corridor_batch scratch = { 0 };
	struct batch_hdr h;
	struct settled_rec s;
	uint64_t bseq;
	int32_t bP = 0;
	bool none = true;
	int err = (!inv || !calc || !c || !body) ? CORRIDOR_E_NOMEM : CORRIDOR_OK;
	if (err)
		goto out;
	if (corridor_invoice_decode(o, inv) != 0) {
		err = corridor_entry_bad(e, diag, CORRIDOR_E_VERIFY, "malformed invoice body");
		goto out;
	}
	if ((err = corridor_batch_open_get(st->kv, &bseq)) != 0)
		goto out;
	if (!bseq || (err = open_period(st->kv, &bP)) != 0 || (err = corridor_batch_hdr_get(st->kv, bP, bseq, &h)) != 0) {
		err = err ? err : corridor_entry_bad(e, diag, CORRIDOR_E_VERIFY, "no batch is open for invoice %s", inv->id);
		goto out;
	}
	if (bP != inv->period_day || h.seen >= h.count ||
	    (h.last_id[0] && strcmp(h.last_id, inv->id) >= 0)) {
		err = corridor_entry_bad(e, diag, CORRIDOR_E_VERIFY,
			   "invoice %s does not belong to batch %llu (period, count or id order)",
			   inv->id, (unsigned long long)bseq);
		goto out;
	}
	if (corridor_contract_record(st->kv, inv->contract, c) != 0 || c->version_count == 0) {
		err = corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED, "%s is not an accepted contract", inv->contract);
		goto out;
	}
	struct corridor_diag cd;
	corridor_diag_init(&cd);
	struct settle_run run = { .kv = st->kv, .P = inv->period_day, .b = &scratch, .diag = &cd };
	if ((err = corridor_invoice_compute(&run, c, calc, &none)) != 0) {
		err = corridor_entry_bad(e, diag, err == CORRIDOR_E_NOMEM || err == CORRIDOR_E_STORAGE
					    ? err
					    : CORRIDOR_E_REFUSED,
			   "invoice %s: %s", inv->id, cd.text);
		goto out;
	}
	if (scratch.missing_count || none) {
		err = corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED, "invoice %s: %s", inv->id,
			   scratch.missing_count ? "a rate it needs is not recorded"
						 : "its contract has nothing to settle for the period");
		goto out;
	}
	size_t len = corridor_invoice_body(calc, body, BODY_CAP);
	if (len != e->body_len || memcmp(body, e->body, len) != 0) {
		err = corridor_entry_bad(e, diag, CORRIDOR_E_VERIFY,
			   "invoice %s is not what the ledger gives: recomputed subtotal %lld, "
			   "total %lld; the entry says %lld, %lld",
			   inv->id, (long long)calc->subtotal_minor, (long long)calc->total_minor,
			   (long long)inv->subtotal_minor, (long long)inv->total_minor);
		goto out;
	}
	/* effects: what it settled, the adjusted periods, postings, the batch */
	int32_t P = calc->period_day;
	for (size_t i = 0; i < calc->adjustment_count && !err; i++) {
		struct corridor_invoice_adjustment *a = &calc->adjustments[i];
		struct settled_rec ps;
		uint8_t ak[CORRIDOR_PARTY_ID_BYTES_MAX + 13];
		size_t aklen = corridor_period_key(calc->contract, a->period_day, 0, ak);
		if ((err = corridor_settled_get(st->kv, calc->contract, a->period_day, &ps)) != 0)
			break;
		ps.open_adjustments++;
		if (__builtin_add_overflow(ps.invoiced, a->delta_minor, &ps.invoiced))
			err = CORRIDOR_E_OVERFLOW;
		if (!err)
			err = corridor_settled_put(st->kv, calc->contract, a->period_day, &ps);
		if (!err)
			err = part_add(st->kv, P, bseq, 'A', (const char *)ak, aklen, a->delta_minor);
	}
	if (err)
		goto out;
	corridor_settled_get(st->kv, calc->contract, P, &s); /* keeps the reversal count */
	s.standing = true;
	s.batch = bseq;
	s.invoiced = calc->subtotal_minor;
	s.rate_e8 = calc->converted ? calc->rate.rate_e8 : 0;
	s.inverse = calc->converted && strcmp(calc->rate.base, calc->currency) != 0;
	s.open_adjustments = 0;
	snprintf(s.id, sizeof s.id, "%s", calc->id);
	struct inv_rec r = { .seq = e->seq, .batch = bseq, .period = P, .issue = calc->issue_day,
			     .due = calc->due_day, .total = calc->total_minor };
	memcpy(r.contract, calc->contract, sizeof r.contract);
	memcpy(r.seller, calc->seller, sizeof r.seller);
	memcpy(r.buyer, calc->buyer, sizeof r.buyer);
	memcpy(r.currency, calc->settlement_currency, 4);
	char pk[2 * CORRIDOR_PARTY_ID_BYTES_MAX + 8];
	size_t sl = strlen(calc->seller), bl = strlen(calc->buyer);
	if ((err = corridor_settled_put(st->kv, calc->contract, P, &s)) ||
	    (err = corridor_invrec_put(st->kv, calc->id, &r)) ||
	    (err = part_add(st->kv, P, bseq, 'I', calc->id, strlen(calc->id), 0)) ||
	    (err = corridor_trial_balance_add(st->kv, calc->seller, r.currency, calc->total_minor)) ||
	    (err = corridor_trial_balance_add(st->kv, calc->buyer, r.currency, -calc->total_minor)))
		goto out;
	memcpy(pk, calc->seller, sl);
	pk[sl] = 0;
	memcpy(pk + sl + 1, r.currency, 3);
	if ((err = part_add(st->kv, P, bseq, 'P', pk, sl + 4, calc->total_minor)) != 0)
		goto out;
	memcpy(pk, calc->buyer, bl);
	pk[bl] = 0;
	memcpy(pk + bl + 1, r.currency, 3);
	if ((err = part_add(st->kv, P, bseq, 'P', pk, bl + 4, -calc->total_minor)) ||
	    (err = part_add(st->kv, P, bseq, 'T', r.currency, 3, calc->total_minor)))
		goto out;
	/* the batch header last: its body pointer is into the kv's value */
	if ((err = corridor_batch_hdr_get(st->kv, bP, bseq, &h)) != 0)
		goto out;
	crypto_hash_sha256_update(&h.hs, e->body, e->body_len);
	h.seen++;
	snprintf(h.last_id, sizeof h.last_id, "%s", calc->id);
	uint8_t *copy = malloc(h.body_len ? h.body_len : 1);
	if (!copy) {
		err = CORRIDOR_E_NOMEM;
		goto out;
	}
	memcpy(copy, h.body, h.body_len);
	h.body = copy;
	err = hdr_put(st->kv, P, bseq, &h);
	if (!err && h.seen == h.count)
		err = batch_close(st, e, P, bseq, &h, diag);
	free(copy);
out:
	if (err == CORRIDOR_E_OVERFLOW)
		err = corridor_entry_bad(e, diag, CORRIDOR_E_VERIFY, "an amount overflows");
	corridor_batch_release(&scratch);
	free(inv);
	free(calc);
	free(c);
	free(body);
	return err;
}


int corridor_batch_latest(void *vctx, const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen)
{
	struct rev_scan *c = vctx;
	if (klen == 12 && vlen >= HDR_FIXED && !v[0]) {
		uint64_t seq = corridor_be64_get(k + 4);
		if (seq > c->latest)
			c->latest = seq;
	}
	return CORRIDOR_OK;
}

int corridor_batch_parts(void *vctx, const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen)
{
	struct rev_scan *c = vctx;
	(void)v;
	if (klen < 14)
		return CORRIDOR_OK;
	const char *name = (const char *)k + 13;
	size_t nlen = klen - 13;
	if (k[12] == 'I') {
		if (nlen > CORRIDOR_INVOICE_ID_BYTES_MAX)
			return CORRIDOR_E_STORAGE;
		void *n = realloc(c->ids, (c->nids + 1) * sizeof *c->ids);
		if (!n)
			return CORRIDOR_E_NOMEM;
		c->ids = n;
		memcpy(c->ids[c->nids], name, nlen);
		c->ids[c->nids++][nlen] = '\0';
	} else if (k[12] == 'A') {
		const char *z = memchr(name, 0, nlen);
		if (!z || (size_t)(z - name) > CORRIDOR_PARTY_ID_BYTES_MAX ||
		    nlen != (size_t)(z - name) + 5 || vlen != 8)
			return CORRIDOR_E_STORAGE;
		void *n = realloc(c->adj, (c->nadj + 1) * sizeof *c->adj);
		if (!n)
			return CORRIDOR_E_NOMEM;
		c->adj = n;
		memcpy(c->adj[c->nadj].contract, name, (size_t)(z - name));
		c->adj[c->nadj].contract[z - name] = '\0';
		c->adj[c->nadj].period = (int32_t)(corridor_be32_get((const uint8_t *)z + 1) ^ BIAS);
		c->adj[c->nadj++].delta = (int64_t)corridor_be64_get(v);
	}
	return CORRIDOR_OK;
}

static int process_reverse(struct kind_state *st, const struct corridor_entry *e,
			   const msgpack_object *o, struct corridor_diag *diag)
{
	static const char *const allowed[] = { "batch", "idempotency_key", "period", "reason",
					       NULL };
	uint64_t bseq, open;
	int32_t P;
	char reason[CORRIDOR_REASON_BYTES_MAX + 1], per[8];
	struct batch_hdr h;
	struct rev_scan rs = { .kv = st->kv };
	if (!corridor_mpo_fields_only(o, allowed) || !corridor_field_u64(o, "batch", &bseq) ||
	    !corridor_period_parse(corridor_mpo_field(o, "period"), &P) ||
	    !corridor_mpo_str(corridor_mpo_field(o, "reason"), reason, sizeof reason) || !reason[0])
		return corridor_entry_bad(e, diag, CORRIDOR_E_VERIFY, "needs batch, period and reason");
	corridor_period_text(P, per);
	int err = corridor_batch_open_get(st->kv, &open);
	if (err)
		return err;
	if (open == bseq && open)
		return corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED, "batch %llu is not complete",
			    (unsigned long long)bseq);
	if (corridor_batch_hdr_get(st->kv, P, bseq, &h) != 0 || h.reversed)
		return corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED, "%llu is not a standing batch of %s",
			    (unsigned long long)bseq, per);
	uint8_t prefix[12];
	corridor_be32_put(prefix, (uint32_t)P ^ BIAS);
	if ((err = st->kv->scan(st->kv, STATE_BATCHES, prefix, 4, corridor_batch_latest, &rs)) != 0)
		return err;
	if (rs.latest != bseq)
		return corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED,
			    "batch %llu is not the latest batch of %s (%llu is): reverse that first",
			    (unsigned long long)bseq, per, (unsigned long long)rs.latest);
	err = st->kv->scan(st->kv, STATE_BATCHES, prefix, corridor_batch_key(P, bseq, 0, NULL, 0, prefix),
			   corridor_batch_parts, &rs);
	for (size_t i = 0; !err && i < rs.nids; i++) {
		struct inv_rec r;
		struct settled_rec s;
		if ((err = corridor_invrec_get(st->kv, rs.ids[i], &r)) != 0 ||
		    (err = corridor_settled_get(st->kv, r.contract, r.period, &s)) != 0)
			break;
		if (s.open_adjustments) {
			err = corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED,
				   "a later batch holds an adjustment for %s: reverse that batch "
				   "first",
				   rs.ids[i]);
			break;
		}
		s.standing = false;
		s.reversals++;
		r.reversed = true;
		if ((err = corridor_settled_put(st->kv, r.contract, r.period, &s)) ||
		    (err = corridor_invrec_put(st->kv, rs.ids[i], &r)) ||
		    (err = corridor_trial_balance_add(st->kv, r.seller, r.currency, -r.total)) ||
		    (err = corridor_trial_balance_add(st->kv, r.buyer, r.currency, r.total)))
			break;
	}
	for (size_t i = 0; !err && i < rs.nadj; i++) {
		struct settled_rec s;
		if ((err = corridor_settled_get(st->kv, rs.adj[i].contract, rs.adj[i].period, &s)) != 0)
			break;
		s.invoiced -= rs.adj[i].delta;
		CORRIDOR_ASSERT(s.open_adjustments > 0);
		s.open_adjustments--;
		err = corridor_settled_put(st->kv, rs.adj[i].contract, rs.adj[i].period, &s);
	}
	free(rs.ids);
	free(rs.adj);
	if (err)
		return err == CORRIDOR_E_OVERFLOW ? corridor_entry_bad(e, diag, CORRIDOR_E_VERIFY, "overflow") : err;
	if ((err = corridor_batch_hdr_get(st->kv, P, bseq, &h)) != 0)
		return err;
	uint8_t *copy = malloc(h.body_len ? h.body_len : 1);
	if (!copy)
		return CORRIDOR_E_NOMEM;
	memcpy(copy, h.body, h.body_len);
	h.body = copy;
	h.reversed = true;
	err = hdr_put(st->kv, P, bseq, &h);
	free(copy);
	return err;
}

int corridor_settle_process(struct kind_state *st, const struct corridor_entry *e,
			    struct corridor_diag *diag)
{
	msgpack_unpacked u;
	int err;
	msgpack_unpacked_init(&u);
	err = corridor_body_map(e, &u, diag);
	if (!err && strcmp(e->kind, "settlement.batch") == 0)
		err = process_batch(st, e, &u.data, diag);
	else if (!err && strcmp(e->kind, "settlement.invoice") == 0)
		err = process_invoice(st, e, &u.data, diag);
	else if (!err)
		err = process_reverse(st, e, &u.data, diag);
	msgpack_unpacked_destroy(&u);
	return err;
}

/* ---- the run ---- */

struct id_list {
	char (*ids)[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
	size_t n;
};

static int id_collect(void *vctx, const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen)
{
	struct id_list *c = vctx;
	(void)v;
	(void)vlen;
	if (klen == 0 || klen > CORRIDOR_PARTY_ID_BYTES_MAX)
		return CORRIDOR_E_STORAGE;
	void *n = realloc(c->ids, (c->n + 1) * sizeof *c->ids);
	if (!n)
		return CORRIDOR_E_NOMEM;
	c->ids = n;
	memcpy(c->ids[c->n], k, klen);
	c->ids[c->n++][klen] = '\0';
	return CORRIDOR_OK;
}

static int by_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

static int by_invoice_id(const void *a, const void *b)
{
	return strcmp(((const struct corridor_invoice *)a)->id,
		      ((const struct corridor_invoice *)b)->id);
}

static int unsettled_add(struct corridor_batch *b, const char *contract, const char *why)
{
	if (b->unsettled_count >= CORRIDOR_BATCH_INVOICES_MAX)
		return CORRIDOR_E_LIMIT;
	void *n = realloc(b->unsettled, (b->unsettled_count + 1) * sizeof *b->unsettled);
	if (!n)
		return CORRIDOR_E_NOMEM;
	b->unsettled = n;
	struct corridor_unsettled *u = &b->unsettled[b->unsettled_count++];
	size_t idlen = strlen(contract);
	if (!strncmp(why, contract, idlen) && !strncmp(why + idlen, ": ", 2))
		why += idlen + 2; /* the computation's messages name the contract: it is there already */
	snprintf(u->contract, sizeof u->contract, "%s", contract);
	snprintf(u->why, sizeof u->why, "%s", why);
	return CORRIDOR_OK;
}

static bool is_unsettled(const struct corridor_batch *b, const char *contract)
{
	for (size_t i = 0; i < b->unsettled_count; i++)
		if (!strcmp(b->unsettled[i].contract, contract))
			return true;
	return false;
}

/* Computes the batch of period P from the state in kv (of one contract, or
 * of every one); no invoices -> NOTFOUND. A contract whose own computation
 * fails is left out and listed in b->unsettled, and so is a transit contract
 * carrying one; storage and memory errors stop the run, and so do missing
 * rates (every one listed). */
int corridor_batch_compute(struct corridor_kv *kv, int32_t P, const char *only,
			   uint64_t at_size, const uint8_t at_root[CORRIDOR_HASH_BYTES],
			   corridor_progress_fn progress, void *progress_ctx,
			   struct corridor_batch *b, struct corridor_diag *diag)
{
	char (*carries)[CORRIDOR_PARTY_ID_BYTES_MAX + 1] = NULL;
	struct id_list ids = { 0 };
	struct corridor_contract *c = malloc(sizeof *c);
	struct corridor_balance *ps = NULL;
	size_t nps = 0;
	char per[8];
	corridor_period_text(P, per);
	memset(b, 0, sizeof *b);
	b->period_day = P;
	if (!c)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	struct settle_run run = { .kv = kv, .P = P, .b = b, .diag = diag };
	int err = kv->scan(kv, STATE_CONTRACTS, NULL, 0, id_collect, &ids);
	if (err)
		corridor_diag_set(diag, err, "cannot read the contracts");
	if (!err && ids.n)
		qsort(ids.ids, ids.n, sizeof *ids.ids, by_str);
	for (size_t i = 0; !err && i < ids.n; i++) {
		bool none;
		if (progress)
			progress(progress_ctx, i, ids.n);
		if ((err = corridor_contract_record(kv, ids.ids[i], c)) != 0) {
			corridor_diag_set(diag, err, "cannot read contract %s", ids.ids[i]);
			break;
		}
		if (c->version_count == 0 || (only && strcmp(only, c->id) != 0))
			continue;
		if (b->invoice_count == run.cap) {
			size_t cap = run.cap ? 2 * run.cap : 16;
			void *n = realloc(b->invoices, cap * sizeof *b->invoices);
			void *m = n ? realloc(carries, cap * sizeof *carries) : NULL;
			if (n)
				b->invoices = n;
			if (m)
				carries = m;
			if (!n || !m) {
				err = corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
				break;
			}
			run.cap = cap;
		}
		struct corridor_diag cd;
		corridor_diag_init(&cd);
		run.diag = &cd;
		err = corridor_invoice_compute(&run, c, &b->invoices[b->invoice_count], &none);
		run.diag = diag;
		if (err == CORRIDOR_E_NOMEM || err == CORRIDOR_E_STORAGE || err == CORRIDOR_E_IO) {
			corridor_diag_set(diag, err, "%s", cd.text);
			break;
		}
		if (err) { /* this contract's own failure: the others go on */
			if ((err = unsettled_add(b, c->id, cd.text[0] ? cd.text : corridor_strerror(err))))
				corridor_diag_set(diag, err, "too many unsettled contracts");
			if (err)
				break;
			continue;
		}
		snprintf(carries[b->invoice_count], sizeof carries[0], "%s",
			 c->versions[c->version_count - 1].terms.carries);
		if (!none && b->invoice_count >= CORRIDOR_BATCH_INVOICES_MAX) {
			err = corridor_diag_set(diag, CORRIDOR_E_LIMIT, "more than %u invoices in a batch",
						CORRIDOR_BATCH_INVOICES_MAX);
			break;
		}
		if (!none)
			b->invoice_count++;
	}
	if (!err && progress)
		progress(progress_ctx, ids.n, ids.n);
	free(c);
	free(ids.ids);
	/* a transit contract carrying an unsettled one waits with it */
	for (bool again = true; !err && again;) {
		again = false;
		for (size_t i = 0; !err && i < b->invoice_count; i++) {
			if (!carries[i][0] || !is_unsettled(b, carries[i]))
				continue;
			char why[CORRIDOR_DIAG_BYTES_MAX];
			snprintf(why, sizeof why, "it carries %s, which is left unsettled", carries[i]);
			if ((err = unsettled_add(b, b->invoices[i].contract, why)) != 0) {
				corridor_diag_set(diag, err, "too many unsettled contracts");
				break;
			}
			memmove(&b->invoices[i], &b->invoices[i + 1],
				(b->invoice_count - i - 1) * sizeof *b->invoices);
			memmove(&carries[i], &carries[i + 1], (b->invoice_count - i - 1) * sizeof *carries);
			b->invoice_count--;
			i--;
			again = true;
		}
	}
	free(carries);
	if (!err && b->missing_count) {
		char list[CORRIDOR_DIAG_BYTES_MAX] = "", date[11];
		size_t at = 0;
		for (size_t i = 0; i < b->missing_count && at < sizeof list; i++) {
			corridor_date_format(b->missing[i].day, date);
			int n = snprintf(list + at, sizeof list - at, "%s%s %s/%s %s", i ? ", " : "",
					 b->missing[i].source, b->missing[i].base, b->missing[i].quote,
					 date);
			at += n > 0 ? (size_t)n : 0;
		}
		return corridor_diag_set(diag, CORRIDOR_E_REFUSED,
					 "%zu rate%s missing for %s: %s", b->missing_count,
					 b->missing_count == 1 ? "" : "s", per, list);
	}
	if (!err && b->invoice_count == 0 && b->unsettled_count)
		return corridor_diag_set(diag, CORRIDOR_E_REFUSED,
					 "nothing settled for %s: %zu contract%s left unsettled (first: "
					 "%s)",
					 per, b->unsettled_count, b->unsettled_count == 1 ? "" : "s",
					 b->unsettled[0].why);
	if (!err && b->invoice_count == 0)
		return corridor_diag_set(diag, CORRIDOR_E_NOTFOUND,
					 "nothing left to settle for %s: every active contract is "
					 "settled for it",
					 per);
	if (err)
		return err;
	qsort(b->invoices, b->invoice_count, sizeof *b->invoices, by_invoice_id);
	/* bodies, digest, postings, netting */
	b->body_count = 0;
	b->bodies = calloc(b->invoice_count + 1, sizeof *b->bodies);
	b->body_lens = calloc(b->invoice_count + 1, sizeof *b->body_lens);
	if (!b->bodies || !b->body_lens)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	b->body_count = b->invoice_count + 1;
	crypto_hash_sha256_state hs;
	crypto_hash_sha256_init(&hs);
	for (size_t i = 0; i < b->invoice_count && !err; i++) {
		struct corridor_invoice *inv = &b->invoices[i];
		uint8_t *body = malloc(BODY_CAP);
		size_t len = body ? corridor_invoice_body(inv, body, BODY_CAP) : 0;
		b->bodies[i + 1] = body;
		b->body_lens[i + 1] = len;
		if (!body)
			return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
		if (!len)
			return corridor_diag_set(diag, CORRIDOR_E_LIMIT, "invoice %s is over 64 KiB",
						 inv->id);
		crypto_hash_sha256_update(&hs, body, len);
		if ((err = corridor_positions_add(&ps, &nps, POSITIONS_MAX, NULL, inv->seller, inv->settlement_currency,
					inv->total_minor)) ||
		    (err = corridor_positions_add(&ps, &nps, POSITIONS_MAX, NULL, inv->buyer, inv->settlement_currency,
					-inv->total_minor)) ||
		    (err = corridor_batch_total_add(b, inv->settlement_currency, inv->total_minor)))
			corridor_diag_set(diag, err, "the batch's positions overflow");
	}
	crypto_hash_sha256_final(&hs, b->digest);
	if (!err && (err = corridor_netting_compute(ps, nps, b)) != 0)
		corridor_diag_set(diag, err, "out of memory");
	free(ps);
	if (err)
		return err;
	b->computed_size = at_size;
	memcpy(b->computed_root, at_root, CORRIDOR_HASH_BYTES);
	b->bodies[0] = malloc(BODY_CAP);
	if (!b->bodies[0])
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	if ((b->body_lens[0] = batch_body(b, b->bodies[0], BODY_CAP)) == 0)
		return corridor_diag_set(diag, CORRIDOR_E_LIMIT, "the batch summary is over 64 KiB");
	return CORRIDOR_OK;
}
