/*
 * deliveries.c — the delivery service: delivery.record and delivery.correct
 * drafts, the delivery list, and the CSV import: every row decoded
 * (formats/rows.c) and checked, then all of them checked against the ledger
 * as one dry run, then written in atomic batches. The kinds and their state
 * are core/kinds/deliveries.c and tables.c.
 */
#include <msgpack.h>

#include "log/log.h"

#define DELIVERY_BODY_BYTES_MAX 512u

/* ---- bodies and the single writes ---- */

static size_t record_body(const struct corridor_delivery_request *r, uint8_t *buf, size_t cap)
{
	struct corridor_mpbuf w;
	msgpack_packer pk;
	char q[2] = { r->quality ? r->quality : 'A', 0 };
	corridor_mpbuf_init(&w, &pk, buf, cap);
	msgpack_pack_map(&pk, 6);
	corridor_mp_pack_str(&pk, "contract", 8);
	corridor_mp_pack_str(&pk, r->contract, strlen(r->contract));
	corridor_mp_pack_str(&pk, "end", 3);
	msgpack_pack_int64(&pk, r->end_s);
	corridor_mp_pack_str(&pk, "meter", 5);
	corridor_mp_pack_str(&pk, r->meter, strlen(r->meter));
	corridor_mp_pack_str(&pk, "quality", 7);
	corridor_mp_pack_str(&pk, q, 1);
	corridor_mp_pack_str(&pk, "quantity", 8);
	msgpack_pack_int64(&pk, r->quantity_milli);
	corridor_mp_pack_str(&pk, "start", 5);
	msgpack_pack_int64(&pk, r->start_s);
	return w.overflow ? 0 : w.len;
}

static int request_check(const struct corridor_delivery_request *r, struct corridor_diag *diag)
{
	if (!r->contract || !corridor_party_id_valid(r->contract))
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "contract: not a contract id");
	if (!r->meter || !corridor_meter_id_ok(r->meter))
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "meter: 1-%u bytes without spaces", CORRIDOR_METER_ID_BYTES_MAX);
	if (r->reference && corridor_idem_check(r->reference, strlen(r->reference), diag) != 0)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "reference: 1-%u bytes of printable text", CORRIDOR_IDEM_BYTES_MAX);
	if (r->quality && r->quality != 'A' && r->quality != 'E')
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "quality: A or E");
	if (r->quantity_milli < 0 || r->quantity_milli >= CORRIDOR_QUANTITY_MILLI_LIMIT)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "quantity: 0 <= q < 10^12 with at most 3 decimals");
	if (r->end_s <= r->start_s)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "end: must be after start");
	return CORRIDOR_OK;
}

int corridor_delivery_record(struct corridor_ledger *l, const struct corridor_signer *s,
			     const struct corridor_delivery_request *r, uint64_t *seq,
			     struct corridor_diag *diag)
{
	uint8_t body[DELIVERY_BODY_BYTES_MAX];
	int err = request_check(r, diag);
	if (err)
		return err;
	size_t n = record_body(r, body, sizeof body);
	CORRIDOR_ASSERT(n > 0);
	/* the reference, if given, is the reading's identity */
	return corridor_append_one(l, s, "delivery.record", body, n, r->reference, seq, diag);
}

int corridor_delivery_correct(struct corridor_ledger *l, const struct corridor_signer *s,
			      uint64_t supersedes, int64_t quantity, const char *reason,
			      const char *idem, uint64_t *seq, struct corridor_diag *diag)
{
	uint8_t body[DELIVERY_BODY_BYTES_MAX + CORRIDOR_REASON_BYTES_MAX];
	struct corridor_mpbuf w;
	msgpack_packer pk;
	if (quantity < 0 || quantity >= CORRIDOR_QUANTITY_MILLI_LIMIT)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "quantity: 0 <= q < 10^12 with at most 3 decimals");
	if (reason && (strlen(reason) == 0 || strlen(reason) > CORRIDOR_REASON_BYTES_MAX ||
		       !corridor_utf8_valid((const uint8_t *)reason, strlen(reason))))
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "reason: 1-%u bytes of UTF-8",
					 CORRIDOR_REASON_BYTES_MAX);
	if (idem && corridor_idem_check(idem, strlen(idem), diag) != 0)
		return CORRIDOR_E_INVALID;
	corridor_mpbuf_init(&w, &pk, body, sizeof body);
	msgpack_pack_map(&pk, 2u + (reason ? 1u : 0u));
	corridor_mp_pack_str(&pk, "quantity", 8);
	msgpack_pack_int64(&pk, quantity);
	if (reason) {
		corridor_mp_pack_str(&pk, "reason", 6);
		corridor_mp_pack_str(&pk, reason, strlen(reason));
	}
	corridor_mp_pack_str(&pk, "supersedes", 10);
	msgpack_pack_uint64(&pk, supersedes);
	CORRIDOR_ASSERT(!w.overflow);
	return corridor_append_one(l, s, "delivery.correct", body, w.len, idem, seq, diag);
}

/* ---- listing ---- */

struct dlist_ctx {
	const char *contract;
	int32_t first_day;
	int32_t offset_min;
	int32_t next_day;
	corridor_delivery_fn fn;
	void *ctx;
};

static int dlist_one(void *vctx, const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen)
{
	struct dlist_ctx *c = vctx;
	struct corridor_delivery d;
	if (klen != 8 || corridor_reading_decode(corridor_be64_get(k), v, vlen, &d) != 0)
		return CORRIDOR_E_STORAGE;
	if (strcmp(d.contract, c->contract) != 0)
		return CORRIDOR_OK;
	if (c->first_day >= 0) {
		int64_t local_day = (d.start_s + (int64_t)c->offset_min * 60) / SECONDS_PER_DAY;
		if (local_day < c->first_day || local_day >= c->next_day)
			return CORRIDOR_OK;
	}
	return c->fn(c->ctx, &d);
}

static int delivery_list_fn(const struct corridor_snapshot *snap, void *vctx,
			    struct corridor_diag *diag)
{
	struct dlist_ctx *dc = vctx;
	struct corridor_contract *c = malloc(sizeof *c);
	int err;
	if (!c)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	if (corridor_contract_record(snap->kv, dc->contract, c) != 0) {
		err = corridor_diag_set(diag, CORRIDOR_E_NOTFOUND, "no contract %s", dc->contract);
	} else {
		int32_t first_day = dc->first_day;
		dc->offset_min = c->version_count ? c->versions[0].terms.utc_offset_min : 0;
		dc->next_day = first_day < 0 ? 0
					     : first_day + (int32_t)corridor_month_days(first_day);
		err = first_day >= 0
			      ? corridor_day_readings(snap->kv, dc->contract, first_day,
						      (int32_t)corridor_month_days(first_day),
						      dc->offset_min, dc->fn, dc->ctx)
			      : snap->kv->scan(snap->kv, STATE_DELIVERIES, NULL, 0, dlist_one, dc);
		if (err < 0)
			err = corridor_diag_set(diag, err, "cannot read the deliveries");
	}
	free(c);
	return err;
}

int corridor_delivery_list(struct corridor_ledger *l, const char *contract, int32_t first_day,
			   corridor_delivery_fn fn, void *ctx, struct corridor_diag *diag)
{
	struct dlist_ctx dc = { .contract = contract, .first_day = first_day, .fn = fn, .ctx = ctx };
	return corridor_ledger_read(l, delivery_list_fn, &dc, diag);
}

/* ---- CSV import ---- */

/* A parsed row: its line and its canonical body, kept in one arena (a million
 * rows take their bodies' bytes, about 150 each, and nothing more). */
struct row {
	unsigned line;
	bool skip; /* imported before with the same values */
	uint32_t body_len;
	size_t body_off;
};

struct rows {
	struct row *r;
	size_t count, cap;
	uint8_t *arena;
	size_t used, arena_cap;
};

static const uint8_t *row_body(const struct rows *rs, const struct row *r)
{
	return rs->arena + r->body_off;
}

/* The row's reference: its identity, kept after its body. */
static const char *row_ref(const struct rows *rs, const struct row *r)
{
	return (const char *)rs->arena + r->body_off + r->body_len;
}

struct parsed {
	struct corridor_delivery_row row;
	uint8_t body[DELIVERY_BODY_BYTES_MAX];
	size_t body_len;
};

/* A decoded row checked as a request, and its body. */
static int parse_row(struct parsed *p, struct corridor_diag *diag)
{
	struct corridor_diag d;
	int err;
	corridor_diag_init(&d);
	if ((err = request_check(&p->row.r, &d)) != 0)
		return corridor_diag_set(diag, err, "line %u, column %s", p->row.line, d.text);
	p->body_len = record_body(&p->row.r, p->body, sizeof p->body);
	CORRIDOR_ASSERT(p->body_len > 0);
	return CORRIDOR_OK;
}

static int rows_add(struct rows *rs, const struct parsed *p)
{
	if (rs->count == rs->cap) {
		size_t cap = rs->cap ? 2 * rs->cap : 4096;
		struct row *n = realloc(rs->r, cap * sizeof *n);
		if (!n)
			return CORRIDOR_E_NOMEM;
		rs->r = n;
		rs->cap = cap;
	}
	size_t rlen = strlen(p->row.reference), need = p->body_len + rlen + 1;
	if (rs->arena_cap - rs->used < need) {
		size_t cap = rs->arena_cap ? 2 * rs->arena_cap : (size_t)1 << 20;
		uint8_t *n = realloc(rs->arena, cap);
		if (!n)
			return CORRIDOR_E_NOMEM;
		rs->arena = n;
		rs->arena_cap = cap;
	}
	memcpy(rs->arena + rs->used, p->body, p->body_len);
	memcpy(rs->arena + rs->used + p->body_len, p->row.reference, rlen + 1);
	rs->r[rs->count++] = (struct row){ .line = p->row.line, .body_len = (uint32_t)p->body_len,
					   .body_off = rs->used };
	rs->used += need;
	return CORRIDOR_OK;
}

static void rows_release(struct rows *rs)
{
	free(rs->r);
	free(rs->arena);
	memset(rs, 0, sizeof *rs);
}

/* Reads the whole file: header, then every row decoded and checked. */
static int read_rows(const char *csv, size_t len, struct rows *rs, struct corridor_diag *diag)
{
	struct corridor_delivery_csv *d = malloc(sizeof *d);
	struct parsed p;
	int err;
	if (!d)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	if ((err = corridor_delivery_csv_open(d, csv, len, diag)) != 0)
		goto out_free;
	for (;;) {
		memset(&p, 0, sizeof p);
		err = corridor_delivery_csv_next(d, &p.row, diag);
		if (err == CORRIDOR_E_NOTFOUND) {
			err = CORRIDOR_OK;
			break;
		}
		if (err)
			break;
		if (rs->count >= CORRIDOR_IMPORT_ROWS_MAX) {
			err = corridor_diag_set(diag, CORRIDOR_E_LIMIT, "more than %u rows",
						CORRIDOR_IMPORT_ROWS_MAX);
			break;
		}
		if ((err = parse_row(&p, diag)) != 0)
			break;
		if (rows_add(rs, &p) != 0) {
			err = corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
			break;
		}
	}
out_free:
	free(d);
	return err;
}

int corridor_deliveries_csv_check(const char *csv, size_t len, struct corridor_diag *diag)
{
	struct rows rs = { 0 };
	int err = len > CORRIDOR_IMPORT_BYTES_MAX
			  ? corridor_diag_set(diag, CORRIDOR_E_LIMIT, "the file is larger than 2 GiB")
			  : read_rows(csv, len, &rs, diag);
	rows_release(&rs);
	return err;
}

/* The dry run: every row through the same checks an append makes, against
 * the ledger as it is, with the state changes kept in memory. Rows imported
 * before with the same values are marked to skip. */
static int dry_run(struct corridor_ledger *l, const struct corridor_signer *signer, struct rows *rs,
		   struct corridor_diag *diag)
{
	struct corridor_dry_run dr;
	const struct corridor_vkey *vk = corridor_signer_vkey(signer);
	size_t *fresh = malloc((rs->count ? rs->count : 1) * sizeof *fresh), nfresh = 0;
	if (!fresh)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	int err = corridor_dry_run_begin(l, &dr, diag);
	if (err) {
		free(fresh);
		return err;
	}
	for (size_t i = 0; i < rs->count && !err; i++) {
		struct row *r = &rs->r[i];
		const uint8_t *body = row_body(rs, r);
		const char *ref = row_ref(rs, r);
		size_t rlen = strlen(ref);
		CORRIDOR_ASSERT(rlen > 0); /* every imported row carries its reference */
		uint64_t at;
		if (corridor_idem_lookup(&dr.ov.base, vk->name, "delivery.record", ref, rlen, &at) == 0) {
			/* Imported before (or earlier in this file): the same values? */
			bool same = false;
			if (at >= dr.head.size) {
				const struct row *twin = &rs->r[fresh[at - dr.head.size]];
				same = twin->body_len == r->body_len &&
				       !memcmp(row_body(rs, twin), body, r->body_len);
			} else {
				struct corridor_entry e;
				same = corridor_entry_in(l, dr.txn, at, &e, NULL, NULL) == 0 &&
				       e.body_len == r->body_len && !memcmp(e.body, body, r->body_len);
			}
			if (!same)
				err = corridor_diag_set(diag, CORRIDOR_E_REFUSED,
							"line %u: reference %.*s was imported at seq "
							"%llu with other values",
							r->line, (int)rlen, ref, (unsigned long long)at);
			r->skip = true;
			continue;
		}
		struct draft d = { .kind = "delivery.record", .body = body, .body_len = r->body_len,
				   .idem = ref };
		struct corridor_diag rd;
		corridor_diag_init(&rd);
		err = corridor_draft_process(&dr.st, vk, &d, dr.head.size + nfresh, dr.head.time_us, dr.head.tip,
					     &rd);
		if (err)
			corridor_diag_set(diag, err, "line %u: %s", r->line, rd.text);
		fresh[nfresh++] = i;
	}
	corridor_dry_run_end(&dr);
	free(fresh);
	return err;
}

/* The import into a remote ledger: the server checks and sequences. */
static int import_remote(struct corridor_ledger *l, const struct corridor_signer *signer,
			 struct rows *rs, size_t batch, corridor_committed_fn committed, void *ctx,
			 size_t *written, size_t *skipped, struct corridor_diag *diag)
{
	struct draft *drafts = calloc(rs->count ? rs->count : 1, sizeof *drafts);
	unsigned *lines = calloc(rs->count ? rs->count : 1, sizeof *lines);
	int err = drafts && lines ? CORRIDOR_OK
				  : corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	for (size_t i = 0; i < rs->count && !err; i++) {
		drafts[i] = (struct draft){ .kind = "delivery.record",
					    .body = row_body(rs, &rs->r[i]),
					    .body_len = rs->r[i].body_len,
					    .idem = row_ref(rs, &rs->r[i]) };
		lines[i] = rs->r[i].line;
	}
	if (!err)
		err = corridor_import_remote(l, signer, drafts, lines, rs->count, batch, committed,
					     ctx, written, skipped, diag);
	free(drafts);
	free(lines);
	return err;
}

int corridor_delivery_import(struct corridor_ledger *l, const struct corridor_signer *signer,
			     const char *csv, size_t len, size_t batch, corridor_committed_fn committed,
			     void *ctx, size_t *written, size_t *skipped, struct corridor_diag *diag)
{
	struct rows rs = { 0 };
	*written = *skipped = 0;
	if (batch == 0 || batch > CORRIDOR_BATCH_ENTRIES_MAX)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "batch size must be 1..%u",
					 CORRIDOR_BATCH_ENTRIES_MAX);
	if (len > CORRIDOR_IMPORT_BYTES_MAX)
		return corridor_diag_set(diag, CORRIDOR_E_LIMIT, "the file is larger than 2 GiB");
	int err = read_rows(csv, len, &rs, diag);
	if (err)
		goto out_free;
	if (corridor_ledger_is_remote(l)) {
		err = import_remote(l, signer, &rs, batch, committed, ctx, written, skipped, diag);
		goto out_free;
	}
	if ((err = dry_run(l, signer, &rs, diag)) != 0)
		goto out_free;
	struct draft *drafts = calloc(batch, sizeof *drafts);
	uint64_t *seqs = calloc(batch, sizeof *seqs);
	if (!drafts || !seqs) {
		free(drafts);
		free(seqs);
		err = corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
		goto out_free;
	}
	size_t i = 0;
	while (i < rs.count && !err) {
		size_t n = 0;
		for (; i < rs.count && n < batch; i++) {
			if (rs.r[i].skip) {
				(*skipped)++;
				continue;
			}
			drafts[n++] = (struct draft){ .kind = "delivery.record",
						      .body = row_body(&rs, &rs.r[i]),
						      .body_len = rs.r[i].body_len,
						      .idem = row_ref(&rs, &rs.r[i]) };
		}
		if (n == 0)
			break;
		size_t appended = 0;
		err = corridor_append(l, signer, drafts, n, seqs, &appended, diag);
		if (!err) {
			*written += appended;
			*skipped += n - appended; /* written meanwhile by a retry elsewhere */
			if (committed && appended)
				committed(ctx, seqs[0], seqs[n - 1]);
		}
	}
	free(drafts);
	free(seqs);
out_free:
	rows_release(&rs);
	return err;
}
