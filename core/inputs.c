/*
 * inputs.c — a writer signs only what it derived from entries it verified.
 *
 * Settlement computes invoices from derived tables (the per-day reading
 * buckets, the rates index). Those tables are not signed: whoever can write
 * the ledger's files can change them without touching an entry. Before a
 * settlement agent signs a batch, every derived record the batch's amounts
 * come from is checked against the signed entry it names:
 *   - the entry at that seq exists, decodes, and its Merkle leaf hash is the
 *     one the tree holds (the bytes are the logged bytes);
 *   - its signature verifies under the author's key that was valid at it;
 *   - its body says what the derived record says (contract, meter, interval,
 *     quantity, quality and recorder of a reading; source, pair, date and
 *     value of a rate).
 * Signatures are checked on every core. What this does not see: a record
 * removed from an index (an omission leaves nothing to compare); `verify`,
 * which rebuilds every table from the entries, does.
 */
#include <msgpack.h>
#include <sodium.h>

#include "log/log.h"

#define INPUTS_MAX 50000000u /* readings one check may cover */

struct input {
	const uint8_t *bytes; /* the entry, in the read transaction's map */
	size_t len;
	struct corridor_entry e;
	uint8_t pub[CORRIDOR_PUBLIC_KEY_BYTES];
	bool bad;
};

struct inputs {
	struct input *v;
	size_t n, cap;
	uint8_t *scratch; /* one signature message per worker */
};

static int inputs_add(struct inputs *in, struct corridor_ledger *l, MDB_txn *txn,
		      struct corridor_kv *kv, uint64_t seq, struct corridor_entry *out,
		      struct corridor_diag *diag)
{
	/* a series' points come one after another: one entry, checked once */
	if (in->n && in->v[in->n - 1].e.seq == seq) {
		*out = in->v[in->n - 1].e;
		return CORRIDOR_OK;
	}
	if (in->n >= INPUTS_MAX)
		return corridor_diag_set(diag, CORRIDOR_E_LIMIT, "more than %u inputs to check",
					 INPUTS_MAX);
	if (in->n == in->cap) {
		size_t cap = in->cap ? 2 * in->cap : 1024;
		void *nv = realloc(in->v, cap * sizeof *in->v);
		if (!nv)
			return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
		in->v = nv;
		in->cap = cap;
	}
	struct input *x = &in->v[in->n];
	uint8_t leaf[CORRIDOR_HASH_BYTES], stored[CORRIDOR_HASH_BYTES];
	struct node_ctx nc = { .l = l, .txn = txn };
	struct key_record kr;
	const uint8_t *bytes;
	size_t len;
	if (corridor_entry_in(l, txn, seq, &x->e, &bytes, &len) != 0)
		return corridor_diag_seq(diag, CORRIDOR_E_VERIFY, seq,
					 "the state names entry %llu, which the log does not hold "
					 "(run 'corridor verify')",
					 (unsigned long long)seq);
	x->bytes = bytes;
	x->len = len;
	corridor_merkle_leaf_hash(x->bytes, x->len, leaf);
	if (corridor_node_get(&nc, 0, seq, stored) != 0 || sodium_memcmp(leaf, stored, 32) != 0)
		return corridor_diag_seq(diag, CORRIDOR_E_VERIFY, seq,
					 "entry %llu is not the entry the Merkle tree holds (run "
					 "'corridor verify')",
					 (unsigned long long)seq);
	if (corridor_key_get(kv, x->e.author, x->e.key_id, &kr) != 0 || seq < kr.valid_from ||
	    seq > kr.valid_until)
		return corridor_diag_seq(diag, CORRIDOR_E_VERIFY, seq,
					 "entry %llu: key %08x of '%s' was not valid there",
					 (unsigned long long)seq, (unsigned)x->e.key_id,
					 x->e.author);
	memcpy(x->pub, kr.public_key, sizeof x->pub);
	x->bad = false;
	*out = x->e;
	in->n++;
	return CORRIDOR_OK;
}

static void sig_range(void *ctx, unsigned worker, size_t begin, size_t end)
{
	struct inputs *in = ctx;
	uint8_t *msg = in->scratch + (size_t)worker * CORRIDOR_SIG_MSG_BYTES_MAX;
	for (size_t i = begin; i < end; i++) {
		struct input *x = &in->v[i];
		size_t n = corridor_entry_signed_message(x->bytes, &x->e, msg);
		x->bad = crypto_sign_verify_detached(x->e.sig, msg, n, x->pub) != 0;
	}
}

/* Every collected entry's signature, on every core. */
static int inputs_signatures(struct inputs *in, struct corridor_diag *diag)
{
	unsigned workers = corridor_cores();
	if (workers == 0 || workers > CORRIDOR_THREADS_MAX)
		workers = workers ? CORRIDOR_THREADS_MAX : 1;
	if (in->n == 0)
		return CORRIDOR_OK;
	in->scratch = malloc((size_t)workers * CORRIDOR_SIG_MSG_BYTES_MAX);
	if (!in->scratch)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	corridor_parallel_for(in->n, workers, sig_range, in);
	free(in->scratch);
	in->scratch = NULL;
	for (size_t i = 0; i < in->n; i++)
		if (in->v[i].bad)
			return corridor_diag_seq(diag, CORRIDOR_E_SIGNATURE, in->v[i].e.seq,
						 "entry %llu: the signature of '%s' does not verify "
						 "(run 'corridor verify')",
						 (unsigned long long)in->v[i].e.seq, in->v[i].e.author);
	return CORRIDOR_OK;
}

static bool body_uint(const struct corridor_entry *e, const char *key, uint64_t want)
{
	size_t vlen;
	uint64_t got;
	const uint8_t *v = corridor_map_find(e->body, e->body_len, key, &vlen);
	return v && corridor_mp_uint(v, vlen, &got) == 0 && got == want;
}

static bool body_str(const struct corridor_entry *e, const char *key, const char *want)
{
	size_t vlen, slen;
	const char *s;
	const uint8_t *v = corridor_map_find(e->body, e->body_len, key, &vlen);
	return v && corridor_mp_str(v, vlen, &s, &slen) == 0 && slen == strlen(want) &&
	       memcmp(s, want, slen) == 0;
}

/* ---- readings ---- */

/* Series entry e carries point d: contract, meter, interval, quantity, quality. */
static bool series_point_is(const struct corridor_entry *e, const struct corridor_delivery *d)
{
	msgpack_unpacked u;
	struct corridor_series *s = malloc(sizeof *s);
	bool ok = false;
	msgpack_unpacked_init(&u);
	if (s && msgpack_unpack_next(&u, (const char *)e->body, e->body_len, NULL) ==
			 MSGPACK_UNPACK_SUCCESS &&
	    corridor_series_decode(&u.data, s) == 0 && !strcmp(s->contract, d->contract) &&
	    !strcmp(s->meter, d->meter) && s->resolution_s > 0 && d->start_s >= s->start_s &&
	    (d->start_s - s->start_s) % s->resolution_s == 0) {
		int64_t i = (d->start_s - s->start_s) / s->resolution_s;
		ok = i < (int64_t)s->count && d->end_s == d->start_s + s->resolution_s &&
		     s->quantity_milli[i] == d->quantity_milli && s->quality[i] == d->quality;
	}
	msgpack_unpacked_destroy(&u);
	free(s);
	return ok;
}

struct rcheck {
	struct inputs *in;
	struct corridor_ledger *l;
	MDB_txn *txn;
	struct corridor_kv *kv;
	struct corridor_diag *diag;
};

static int reading_one(void *vctx, const struct corridor_delivery *d)
{
	struct rcheck *c = vctx;
	struct corridor_entry e;
	char q[2] = { d->quality, '\0' };
	int err = inputs_add(c->in, c->l, c->txn, c->kv, d->seq, &e, c->diag);
	if (err)
		return err;
	bool same = strcmp(e.author, d->recorder) == 0;
	if (d->supersedes == 0 && !strcmp(e.kind, "delivery.series"))
		same = same && series_point_is(&e, d);
	else if (d->supersedes == 0)
		same = same && strcmp(e.kind, "delivery.record") == 0 &&
		       body_str(&e, "contract", d->contract) && body_str(&e, "meter", d->meter) &&
		       body_uint(&e, "start", (uint64_t)d->start_s) &&
		       body_uint(&e, "end", (uint64_t)d->end_s) &&
		       body_uint(&e, "quantity", (uint64_t)d->quantity_milli) &&
		       body_str(&e, "quality", q);
	else /* a correction's interval and meter are its target's, checked there */
		same = same && strcmp(e.kind, "delivery.correct") == 0 &&
		       body_uint(&e, "supersedes", d->supersedes) &&
		       body_uint(&e, "quantity", (uint64_t)d->quantity_milli);
	if (!same)
		return corridor_diag_seq(c->diag, CORRIDOR_E_VERIFY, d->seq,
					 "the derived readings of %s disagree with signed entry %llu "
					 "(run 'corridor verify'); nothing was signed",
					 d->contract, (unsigned long long)d->seq);
	return CORRIDOR_OK;
}

int corridor_readings_verify(struct corridor_ledger *l, MDB_txn *txn, struct corridor_kv *kv,
			     const char *contract, int32_t first_day, int32_t days,
			     int32_t offset_min, struct corridor_diag *diag)
{
	struct inputs in = { 0 };
	struct rcheck c = { .in = &in, .l = l, .txn = txn, .kv = kv, .diag = diag };
	int err = corridor_day_readings(kv, contract, first_day, days, offset_min, reading_one, &c);
	if (err && diag && !diag->text[0])
		corridor_diag_set(diag, err, "cannot read the readings of %s", contract);
	if (!err)
		err = inputs_signatures(&in, diag);
	free(in.v);
	return err;
}

int corridor_rate_verify(struct corridor_ledger *l, MDB_txn *txn, struct corridor_kv *kv,
			 const struct corridor_rate *r, struct corridor_diag *diag)
{
	struct inputs in = { 0 };
	struct corridor_entry e;
	char date[11];
	corridor_date_format(r->day, date);
	int err = inputs_add(&in, l, txn, kv, r->seq, &e, diag);
	if (!err && !((strcmp(e.kind, "rate.record") == 0 || strcmp(e.kind, "rate.correct") == 0) &&
		      body_str(&e, "source", r->source) && body_str(&e, "base", r->base) &&
		      body_str(&e, "quote", r->quote) && body_str(&e, "date", date) &&
		      body_uint(&e, "rate", (uint64_t)r->rate_e8)))
		err = corridor_diag_seq(diag, CORRIDOR_E_VERIFY, r->seq,
					"the rates index disagrees with signed entry %llu (run "
					"'corridor verify'); nothing was signed",
					(unsigned long long)r->seq);
	if (!err)
		err = inputs_signatures(&in, diag);
	free(in.v);
	return err;
}
