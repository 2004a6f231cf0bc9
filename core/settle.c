/*
 * settle.c — the settlement service: a run computes the batch from one read
 * snapshot (corridor_batch_compute, core/kinds/settle.c), checks its inputs
 * against their signed entries (inputs.c) and hands the summary and its
 * invoices to the sequencer as one append; settle show, invoice get/list,
 * reverse. The kinds and every rule are core/kinds/settle.c and rules.c.
 */
#include <msgpack.h>
#include <sodium.h>

#include "log/log.h"




static int by_id_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* The derived inputs of a batch against the signed entries they come from
 * (inputs.c): for each invoice, the readings of its period (the carried
 * contract's, for transit) and of every earlier period it adjusts or that
 * holds a reading written after that period was settled, and the rate it
 * converts at. A writer signs only what it verified. */
static int period_readings_verify(struct corridor_ledger *l, MDB_txn *txn, struct corridor_kv *kv,
				  const struct corridor_contract *c, int32_t p,
				  struct corridor_diag *diag)
{
	const struct corridor_contract_terms *t = corridor_terms_in_force(c, p);
	const char *who = c->id;
	struct corridor_contract *carried = NULL;
	int32_t offset = c->versions[0].terms.utc_offset_min;
	int err = CORRIDOR_OK;
	if (t->commodity == CORRIDOR_COMMODITY_TRANSIT) {
		if (!(carried = malloc(sizeof *carried)))
			return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
		if (corridor_contract_record(kv, t->carries, carried) != 0 ||
		    carried->version_count == 0) {
			free(carried);
			return CORRIDOR_OK; /* nothing carried: no readings to check */
		}
		who = carried->id;
		offset = carried->versions[0].terms.utc_offset_min;
	}
	err = corridor_readings_verify(l, txn, kv, who, p, corridor_period_last_day(p) - p + 1, offset, diag);
	free(carried);
	return err;
}

struct newer_scan {
	uint64_t after;
	bool found;
};

static int newer_one(void *vctx, const struct corridor_delivery *d)
{
	struct newer_scan *n = vctx;
	n->found |= d->seq > n->after;
	return CORRIDOR_OK;
}

int corridor_settle_inputs_check(struct corridor_ledger *l, MDB_txn *txn, struct corridor_kv *kv,
				 const struct corridor_batch *b, struct corridor_diag *diag)
{
	struct corridor_contract *c = malloc(sizeof *c);
	int err = c ? CORRIDOR_OK : corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	for (size_t i = 0; !err && i < b->invoice_count; i++) {
		const struct corridor_invoice *inv = &b->invoices[i];
		if ((err = corridor_contract_record(kv, inv->contract, c)) != 0) {
			corridor_diag_set(diag, err, "cannot read contract %s", inv->contract);
			break;
		}
		if (inv->converted && (err = corridor_rate_verify(l, txn, kv, &inv->rate, diag)) != 0)
			break;
		if ((err = period_readings_verify(l, txn, kv, c, inv->period_day, diag)) != 0)
			break;
		int32_t p = corridor_period_of(c->versions[0].terms.start_day);
		for (unsigned k = 0; !err && p < inv->period_day && k < CORRIDOR_TERM_PERIODS_MAX;
		     k++, p = corridor_period_next(p)) {
			struct settled_rec s;
			bool adjusted = false;
			for (size_t a = 0; a < inv->adjustment_count; a++)
				adjusted |= inv->adjustments[a].period_day == p;
			if (!adjusted && corridor_settled_get(kv, c->id, p, &s) == 0) {
				struct newer_scan ns = { .after = s.batch };
				const struct corridor_contract_terms *t = corridor_terms_in_force(c, p);
				const char *who = t->commodity == CORRIDOR_COMMODITY_TRANSIT ? t->carries
											     : c->id;
				err = corridor_day_readings(kv, who, p, corridor_period_last_day(p) - p + 1,
							    c->versions[0].terms.utc_offset_min,
							    newer_one, &ns);
				if (err) {
					corridor_diag_set(diag, err, "cannot read the readings of %s", who);
					break;
				}
				adjusted = ns.found;
			}
			if (adjusted)
				err = period_readings_verify(l, txn, kv, c, p, diag);
		}
	}
	free(c);
	return err;
}

struct compute_args {
	const char *who;
	int32_t period_day;
	const char *contract;
	bool dry_run;
	struct corridor_batch *out;
	uint64_t generation; /* batches of the period so far, standing or reversed */
	corridor_progress_fn progress;
	void *progress_ctx;
};

static int count_batch(void *vctx, const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen)
{
	uint64_t *n = vctx;
	(void)k;
	(void)v;
	(void)vlen;
	*n += klen == 12; /* a summary (month, seq), not one of its parts */
	return CORRIDOR_OK;
}

/* The batch computed from one snapshot, and (unless a dry run) its inputs
 * checked against their signed entries in the same snapshot. */
static int compute_fn(const struct corridor_snapshot *snap, void *vctx, struct corridor_diag *diag)
{
	struct compute_args *a = vctx;
	uint64_t open;
	unsigned roles = 0;
	int err = CORRIDOR_OK;
	/* who may settle comes first: a party without the role learns that,
	 * whatever state the period is in */
	if (corridor_party_roles(snap->kv, a->who, &roles) != 0 ||
	    !(roles & CORRIDOR_ROLE_SETTLEMENT))
		err = corridor_diag_set(diag, CORRIDOR_E_REFUSED,
					"%s holds no settlement role: only a settlement party "
					"settles",
					a->who);
	if (!err && (err = corridor_batch_open_get(snap->kv, &open)) == 0 && open)
		err = corridor_diag_set(diag, CORRIDOR_E_REFUSED, "batch %llu is not complete",
					(unsigned long long)open);
	/* the tree this snapshot is of, which the summary names */
	struct ledger_head head;
	if (!err)
		err = corridor_head_get(snap->l, snap->txn, &head, diag);
	if (!err)
		err = corridor_batch_compute(snap->kv, a->period_day, a->contract, head.size,
					     head.root, a->progress, a->progress_ctx, a->out, diag);
	uint8_t prefix[4];
	corridor_be32_put(prefix, (uint32_t)a->period_day ^ BIAS);
	a->generation = 0;
	if (!err && (err = snap->kv->scan(snap->kv, STATE_BATCHES, prefix, 4, count_batch,
					   &a->generation)) != 0)
		corridor_diag_set(diag, err, "cannot read the batches");
	/* a dry run signs nothing; what is signed is checked first */
	if (!err && !a->dry_run)
		err = corridor_settle_inputs_check(snap->l, snap->txn, snap->kv, a->out, diag);
	return err;
}

#define SETTLE_ATTEMPTS_MAX 3 /* runs that lose a race compute again, this often */

/* A run computed from `l` and written to `sink` (the same ledger, or the
 * remote one a verified replica `l` copies), recomputed up to `attempts`
 * times when the write finds the state moved. */
static int settle_run_on(struct corridor_ledger *l, struct corridor_ledger *sink,
			 const struct corridor_signer *signer, int32_t period_day,
			 const char *contract, bool dry_run, unsigned attempts,
			 corridor_progress_fn progress, void *progress_ctx,
			 struct corridor_batch *out, struct corridor_diag *diag)
{
	memset(out, 0, sizeof *out);
	if (!corridor_month_start(period_day))
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "a period starts on a month's first day");
	const char *who = corridor_signer_vkey(signer)->name;
	int err = CORRIDOR_OK;
	for (unsigned attempt = 0; attempt < attempts; attempt++) {
		struct compute_args args = { .who = who, .period_day = period_day,
					     .contract = contract, .dry_run = dry_run, .out = out,
					     .progress = progress, .progress_ctx = progress_ctx };
		corridor_batch_release(out);
		err = corridor_ledger_read(l, compute_fn, &args, diag);
		if (err || dry_run)
			return err;
		struct draft *drafts = calloc(out->body_count, sizeof *drafts);
		uint64_t *seqs = calloc(out->body_count, sizeof *seqs);
		char (*keys)[CORRIDOR_IDEM_BYTES_MAX + 1] = calloc(out->body_count, sizeof *keys);
		size_t appended = 0;
		if (!drafts || !seqs || !keys) {
			free(drafts);
			free(seqs);
			free(keys);
			return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
		}
		/* A settlement's identity: its period (and contract) and how many
		 * batches of the period came before it; each invoice's, its id and
		 * that count (docs/FORMAT.md 2a). */
		char per[8];
		corridor_period_text(period_day, per);
		snprintf(keys[0], sizeof keys[0], "%.7s%s%.64s/%llu", per, contract ? "/" : "",
			 contract ? contract : "", (unsigned long long)args.generation + 1);
		drafts[0] = (struct draft){ "settlement.batch", out->bodies[0], out->body_lens[0],
					    keys[0] };
		for (size_t i = 1; i < out->body_count; i++) {
			snprintf(keys[i], sizeof keys[i], "%.64s/%llu", out->invoices[i - 1].id,
				 (unsigned long long)args.generation + 1);
			drafts[i] = (struct draft){ "settlement.invoice", out->bodies[i],
						    out->body_lens[i], keys[i] };
		}
		err = corridor_append(sink, signer, drafts, out->body_count, seqs, &appended, diag);
		free(keys);
		if (!err) {
			out->seq = seqs[0];
			for (size_t i = 0; i < out->invoice_count; i++)
				out->invoices[i].seq = seqs[i + 1];
		}
		free(drafts);
		free(seqs);
		/* Refused at write time: the state moved since the snapshot (another
		 * run settled the period, a reading or rate landed). Compute again. */
		if (err != CORRIDOR_E_REFUSED && err != CORRIDOR_E_VERIFY)
			return err;
	}
	return err;
}

int corridor_settle_run_contract(struct corridor_ledger *l, const struct corridor_signer *signer,
				 int32_t period_day, const char *contract, bool dry_run,
				 struct corridor_batch *out, struct corridor_diag *diag)
{
	return corridor_settle_run_with(l, signer, period_day, contract, dry_run, NULL, NULL, out,
					diag);
}

int corridor_settle_run_with(struct corridor_ledger *l, const struct corridor_signer *signer,
			     int32_t period_day, const char *contract, bool dry_run,
			     corridor_progress_fn progress, void *progress_ctx,
			     struct corridor_batch *out, struct corridor_diag *diag)
{
	return settle_run_on(l, l, signer, period_day, contract, dry_run, SETTLE_ATTEMPTS_MAX,
			     progress, progress_ctx, out, diag);
}

int corridor_settle_run_from(struct corridor_ledger *replica, struct corridor_ledger *ledger,
			     const struct corridor_signer *signer, int32_t period_day,
			     const char *contract, struct corridor_batch *out,
			     struct corridor_diag *diag)
{
	return corridor_settle_run_from_with(replica, ledger, signer, period_day, contract, NULL,
					     NULL, out, diag);
}

int corridor_settle_run_from_with(struct corridor_ledger *replica, struct corridor_ledger *ledger,
				  const struct corridor_signer *signer, int32_t period_day,
				  const char *contract, corridor_progress_fn progress,
				  void *progress_ctx, struct corridor_batch *out,
				  struct corridor_diag *diag)
{
	if (strcmp(corridor_ledger_origin(replica), corridor_ledger_origin(ledger)) != 0)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "the replica is of '%s', not of '%s'",
					 corridor_ledger_origin(replica), corridor_ledger_origin(ledger));
	/* once: if the ledger moved past the replica, the ledger refuses the
	 * batch (its recomputation differs), and the replica is synced again */
	int err = settle_run_on(replica, ledger, signer, period_day, contract, false, 1, progress,
				progress_ctx, out, diag);
	if ((err == CORRIDOR_E_REFUSED || err == CORRIDOR_E_VERIFY) && diag) {
		char why[sizeof diag->text];
		memcpy(why, diag->text, sizeof why);
		corridor_diag_set(diag, err,
				  "%.200s (the ledger may have moved past the replica: sync it and "
				  "run again)",
				  why);
	}
	return err;
}

int corridor_settle_run(struct corridor_ledger *l, const struct corridor_signer *signer,
			int32_t period_day, bool dry_run, struct corridor_batch *out,
			struct corridor_diag *diag)
{
	return corridor_settle_run_contract(l, signer, period_day, NULL, dry_run, out, diag);
}

/* ---- show and reverse ---- */

static int read_entry_body(struct corridor_ledger *l, MDB_txn *txn, uint64_t seq,
			   msgpack_unpacked *u)
{
	struct corridor_entry e;
	size_t off = 0;
	if (corridor_entry_in(l, txn, seq, &e, NULL, NULL) != 0 ||
	    msgpack_unpack_next(u, (const char *)e.body, e.body_len, &off) != MSGPACK_UNPACK_SUCCESS)
		return CORRIDOR_E_STORAGE;
	return CORRIDOR_OK;
}

static int invoice_load(struct corridor_ledger *l, MDB_txn *txn, struct corridor_kv *kv,
			const char *id, struct corridor_invoice *out)
{
	struct inv_rec r;
	msgpack_unpacked u;
	int err = corridor_invrec_get(kv, id, &r);
	if (err)
		return err;
	msgpack_unpacked_init(&u);
	err = read_entry_body(l, txn, r.seq, &u);
	if (!err)
		err = corridor_invoice_decode(&u.data, out) ? CORRIDOR_E_STORAGE : CORRIDOR_OK;
	msgpack_unpacked_destroy(&u);
	out->seq = r.seq;
	out->reversed = r.reversed;
	return err;
}

struct iget {
	const char *id;
	struct corridor_invoice *out;
};

static int invoice_get_fn(const struct corridor_snapshot *snap, void *vctx,
			  struct corridor_diag *diag)
{
	struct iget *c = vctx;
	int err = invoice_load(snap->l, snap->txn, snap->kv, c->id, c->out);
	if (err == CORRIDOR_E_NOTFOUND)
		return corridor_diag_set(diag, err, "no invoice %s", c->id);
	return err ? corridor_diag_set(diag, err, "cannot read invoice %s", c->id) : CORRIDOR_OK;
}

int corridor_invoice_get(struct corridor_ledger *l, const char *id, struct corridor_invoice *out,
			 struct corridor_diag *diag)
{
	struct iget c = { .id = id, .out = out };
	return corridor_ledger_read(l, invoice_get_fn, &c, diag);
}

struct inv_all {
	struct corridor_kv *kv;
	struct corridor_invoice *inv;
	size_t n;
};

static int inv_all_one(void *vctx, const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen)
{
	struct inv_all *c = vctx;
	char id[CORRIDOR_INVOICE_ID_BYTES_MAX + 1];
	(void)v;
	(void)vlen;
	if (klen == 0 || klen > CORRIDOR_INVOICE_ID_BYTES_MAX)
		return CORRIDOR_E_STORAGE;
	memcpy(id, k, klen);
	id[klen] = '\0';
	void *n = realloc(c->inv, (c->n + 1) * sizeof *c->inv);
	if (!n)
		return CORRIDOR_E_NOMEM;
	c->inv = n;
	return corridor_invoice_record(c->kv, id, &c->inv[c->n++]);
}

static int by_issue_seq(const void *a, const void *b)
{
	const struct corridor_invoice *x = a, *y = b;
	if (x->issue_day != y->issue_day)
		return x->issue_day < y->issue_day ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

static int invoice_all_fn(const struct corridor_snapshot *snap, void *vctx,
			  struct corridor_diag *diag)
{
	struct inv_all *c = vctx;
	(void)diag;
	c->kv = snap->kv;
	return snap->kv->scan(snap->kv, STATE_INVOICES, NULL, 0, inv_all_one, c);
}

int corridor_invoice_list(struct corridor_ledger *l, corridor_invoice_fn fn, void *ctx,
			  struct corridor_diag *diag)
{
	struct inv_all c = { 0 };
	int err = corridor_ledger_read(l, invoice_all_fn, &c, NULL);
	if (err) {
		free(c.inv);
		return corridor_diag_set(diag, err, "cannot read the invoices");
	}
	if (c.n)
		qsort(c.inv, c.n, sizeof *c.inv, by_issue_seq);
	for (size_t i = 0; !err && i < c.n; i++)
		err = fn(ctx, &c.inv[i]);
	free(c.inv);
	return err;
}

struct show_scan {
	uint64_t *seqs;
	size_t n;
};

static int show_batches(void *vctx, const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen)
{
	struct show_scan *c = vctx;
	(void)v;
	(void)vlen;
	if (klen != 12)
		return CORRIDOR_OK;
	void *n = realloc(c->seqs, (c->n + 1) * sizeof *c->seqs);
	if (!n)
		return CORRIDOR_E_NOMEM;
	c->seqs = n;
	c->seqs[c->n++] = corridor_be64_get(k + 4);
	return CORRIDOR_OK;
}

static int by_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static int batch_load(struct corridor_ledger *l, MDB_txn *txn, struct corridor_kv *kv, int32_t P,
		      uint64_t seq, struct corridor_batch *b)
{
	struct batch_hdr h;
	struct rev_scan rs = { .kv = kv };
	msgpack_unpacked u;
	uint8_t prefix[12];
	memset(b, 0, sizeof *b);
	b->period_day = P;
	b->seq = seq;
	int err = corridor_batch_hdr_get(kv, P, seq, &h);
	if (err)
		return err;
	b->reversed = h.reversed;
	err = kv->scan(kv, STATE_BATCHES, prefix, corridor_batch_key(P, seq, 0, NULL, 0, prefix), corridor_batch_parts,
		       &rs);
	if (!err && rs.nids) {
		qsort(rs.ids, rs.nids, sizeof *rs.ids, by_id_str);
		b->invoices = calloc(rs.nids, sizeof *b->invoices);
		if (!b->invoices)
			err = CORRIDOR_E_NOMEM;
	}
	for (size_t i = 0; !err && i < rs.nids; i++)
		if ((err = invoice_load(l, txn, kv, rs.ids[i], &b->invoices[i])) == 0)
			b->invoice_count++;
	free(rs.ids);
	free(rs.adj);
	if (err)
		return err;
	/* totals and netting from the summary entry */
	msgpack_unpacked_init(&u);
	err = read_entry_body(l, txn, seq, &u);
	const msgpack_object *nt = err ? NULL : corridor_mpo_field(&u.data, "netting");
	const msgpack_object *tt = err ? NULL : corridor_mpo_field(&u.data, "totals");
	const msgpack_object *dg = err ? NULL : corridor_mpo_field(&u.data, "digest");
	if (!err && (!nt || nt->type != MSGPACK_OBJECT_ARRAY || !tt ||
		     tt->type != MSGPACK_OBJECT_ARRAY || tt->via.array.size > CORRIDOR_BATCH_CURRENCIES_MAX ||
		     !dg || dg->type != MSGPACK_OBJECT_BIN || dg->via.bin.size != CORRIDOR_HASH_BYTES))
		err = CORRIDOR_E_STORAGE;
	if (!err && !corridor_batch_computed_at(&u.data, &b->computed_size, b->computed_root))
		err = CORRIDOR_E_STORAGE;
	if (!err) {
		memcpy(b->digest, dg->via.bin.ptr, CORRIDOR_HASH_BYTES);
		b->netting = calloc(nt->via.array.size ? nt->via.array.size : 1, sizeof *b->netting);
		if (!b->netting)
			err = CORRIDOR_E_NOMEM;
	}
	for (uint32_t i = 0; !err && nt && i < nt->via.array.size; i++) {
		const msgpack_object *m = &nt->via.array.ptr[i];
		struct corridor_netting *n = &b->netting[b->netting_count++];
		if (!corridor_field_i64(m, "amount", &n->amount_minor) ||
		    !corridor_mpo_str(corridor_mpo_field(m, "currency"), n->currency, sizeof n->currency) ||
		    !corridor_mpo_str(corridor_mpo_field(m, "from"), n->from, sizeof n->from) ||
		    !corridor_mpo_str(corridor_mpo_field(m, "to"), n->to, sizeof n->to))
			err = CORRIDOR_E_STORAGE;
	}
	for (uint32_t i = 0; !err && tt && i < tt->via.array.size; i++) {
		const msgpack_object *m = &tt->via.array.ptr[i];
		struct corridor_currency_total *t = &b->totals[b->total_count++];
		if (!corridor_field_i64(m, "amount", &t->amount_minor) ||
		    !corridor_mpo_str(corridor_mpo_field(m, "currency"), t->currency, sizeof t->currency))
			err = CORRIDOR_E_STORAGE;
	}
	msgpack_unpacked_destroy(&u);
	return err;
}

struct show_args {
	int32_t P;
	corridor_batch_fn fn;
	void *ctx;
};

static int settle_show_fn(const struct corridor_snapshot *snap, void *vctx,
			  struct corridor_diag *diag)
{
	struct show_args *a = vctx;
	struct show_scan ss = { 0 };
	uint8_t prefix[4];
	char per[8];
	corridor_period_text(a->P, per);
	corridor_be32_put(prefix, (uint32_t)a->P ^ BIAS);
	int err = snap->kv->scan(snap->kv, STATE_BATCHES, prefix, 4, show_batches, &ss);
	if (!err && ss.n == 0)
		err = corridor_diag_set(diag, CORRIDOR_E_NOTFOUND, "no batch for %s", per);
	else if (err)
		corridor_diag_set(diag, err, "cannot read the batches");
	if (ss.n)
		qsort(ss.seqs, ss.n, sizeof *ss.seqs, by_u64);
	for (size_t i = 0; !err && i < ss.n; i++) {
		struct corridor_batch b;
		err = batch_load(snap->l, snap->txn, snap->kv, a->P, ss.seqs[i], &b);
		if (err)
			corridor_diag_set(diag, err, "cannot read batch %llu",
					  (unsigned long long)ss.seqs[i]);
		else
			err = a->fn(a->ctx, &b);
		corridor_batch_release(&b);
	}
	free(ss.seqs);
	return err;
}

int corridor_settle_show(struct corridor_ledger *l, int32_t P, corridor_batch_fn fn, void *ctx,
			 struct corridor_diag *diag)
{
	struct show_args a = { .P = P, .fn = fn, .ctx = ctx };
	return corridor_ledger_read(l, settle_show_fn, &a, diag);
}

/* The reversal of the standing batch of P as `src` holds it, written to
 * `dst` (the same ledger, or the server a verified replica follows). */
static int settle_reverse_on(struct corridor_ledger *l, struct corridor_ledger *dst,
			     const struct corridor_signer *s, int32_t P, const char *reason,
			     const char *idem, uint64_t *seq, struct corridor_diag *diag)
{
	struct rev_scan rs = { 0 };
	uint8_t prefix[4], buf[CORRIDOR_REASON_BYTES_MAX + CORRIDOR_IDEM_BYTES_MAX + 128];
	char per[8];
	corridor_period_text(P, per);
	if (!reason || !reason[0] || strlen(reason) > CORRIDOR_REASON_BYTES_MAX)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "--reason: 1-%u bytes",
					 CORRIDOR_REASON_BYTES_MAX);
	if (idem && corridor_idem_check(idem, strlen(idem), diag))
		return CORRIDOR_E_INVALID;
	corridor_be32_put(prefix, (uint32_t)P ^ BIAS);
	int err = corridor_state_scan(l, STATE_BATCHES, prefix, 4, corridor_batch_latest, &rs, NULL);
	if (err)
		return corridor_diag_set(diag, err, "cannot read the batches");
	if (!rs.latest)
		return corridor_diag_set(diag, CORRIDOR_E_NOTFOUND, "no standing batch for %s", per);
	struct corridor_mpbuf w;
	msgpack_packer pk;
	corridor_mpbuf_init(&w, &pk, buf, sizeof buf);
	msgpack_pack_map(&pk, 3);
	corridor_mp_cstr(&pk, "batch"), msgpack_pack_uint64(&pk, rs.latest);
	corridor_mp_cstr(&pk, "period"), corridor_mp_cstr(&pk, per);
	corridor_mp_cstr(&pk, "reason"), corridor_mp_cstr(&pk, reason);
	CORRIDOR_ASSERT(!w.overflow);
	return corridor_append_one(dst, s, "settlement.reverse", buf, w.len, idem, seq, diag);
}

int corridor_settle_reverse(struct corridor_ledger *l, const struct corridor_signer *s,
			    int32_t P, const char *reason, const char *idem, uint64_t *seq,
			    struct corridor_diag *diag)
{
	return settle_reverse_on(l, l, s, P, reason, idem, seq, diag);
}

int corridor_settle_reverse_from(struct corridor_ledger *replica, struct corridor_ledger *ledger,
				 const struct corridor_signer *s, int32_t P, const char *reason,
				 const char *idem, uint64_t *seq, struct corridor_diag *diag)
{
	if (strcmp(replica->origin, ledger->origin) != 0)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "the replica is of %s, the ledger is %s", replica->origin,
					 ledger->origin);
	return settle_reverse_on(replica, ledger, s, P, reason, idem, seq, diag);
}
