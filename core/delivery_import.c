/*
 * delivery_import.c — the delivery importers: a CSV of readings and an IEC
 * 62325 Measurement Value Document. Both become rows (line, contract, meter,
 * interval, quantity, quality); rows are grouped into a series per contract,
 * meter and local day (docs/DELIVERIES.md "Series"), checked against what
 * the recorder holds (the same values: nothing to write; other values: a
 * correction, when the import has a reason or a higher revision of the same
 * document), dry-run through the kinds, and only then written in batches.
 */
#include <msgpack.h>
#include <sodium.h>

#include "log/log.h"

/* ---- rows ---- */

/* A parsed row: its line and fields, its texts in one arena. A single
 * reading's body is made from them when it is written (most rows become
 * series points and never need one). */
struct row {
	int64_t start_s, quantity_milli;
	uint32_t line;
	uint32_t text_off; /* reference, contract and meter, each NUL-ended */
	uint32_t dur_s;	   /* the interval's length: it ends at start_s + dur_s */
	char quality;
}; /* 32 bytes: a 1,000,000-row file's rows take 32 MB */

static int64_t row_end(const struct row *r)
{
	return r->start_s + r->dur_s;
}

struct rows {
	struct row *r;
	size_t count, cap;
	uint8_t *arena;
	size_t used, arena_cap;
};

/* The row's reference: its identity as a single reading. */
static const char *row_ref(const struct rows *rs, const struct row *r)
{
	return (const char *)rs->arena + r->text_off;
}

static const char *row_contract(const struct rows *rs, const struct row *r)
{
	const char *ref = row_ref(rs, r);
	return ref + strlen(ref) + 1;
}

static const char *row_meter(const struct rows *rs, const struct row *r)
{
	const char *c = row_contract(rs, r);
	return c + strlen(c) + 1;
}

struct parsed {
	struct corridor_delivery_row row;
};

/* The row as a single reading's body, into buf (CORRIDOR_DELIVERY_BODY_BYTES_MAX). */
static size_t row_body(const struct rows *rs, const struct row *r, uint8_t *buf)
{
	struct corridor_delivery_request q = { .contract = row_contract(rs, r),
					       .meter = row_meter(rs, r),
					       .reference = row_ref(rs, r),
					       .start_s = r->start_s,
					       .end_s = row_end(r),
					       .quantity_milli = r->quantity_milli,
					       .quality = r->quality };
	size_t n = corridor_record_body(&q, buf, CORRIDOR_DELIVERY_BODY_BYTES_MAX);
	CORRIDOR_ASSERT(n > 0);
	return n;
}

/* A decoded row checked as a request, and its body. */
static int parse_row(struct parsed *p, struct corridor_diag *diag)
{
	struct corridor_diag d;
	int err;
	corridor_diag_init(&d);
	/* a series keeps more qualities than a single reading (A, E): the
	 * grouping decides which this row becomes */
	char quality = p->row.r.quality;
	if (quality != 'A' && quality != 'E')
		p->row.r.quality = 'A';
	err = corridor_delivery_request_check(&p->row.r, &d);
	p->row.r.quality = quality;
	if (err)
		return corridor_diag_set(diag, err, "line %u, column %s", p->row.line, d.text);
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
	const struct corridor_delivery_request *q = &p->row.r;
	size_t rlen = strlen(p->row.reference), cl = strlen(q->contract), ml = strlen(q->meter);
	size_t need = rlen + cl + ml + 3;
	if (rs->arena_cap - rs->used < need) {
		size_t cap = rs->arena_cap ? 2 * rs->arena_cap : (size_t)1 << 20;
		uint8_t *n = realloc(rs->arena, cap);
		if (!n)
			return CORRIDOR_E_NOMEM;
		rs->arena = n;
		rs->arena_cap = cap;
	}
	if (rs->used + need > UINT32_MAX)
		return CORRIDOR_E_LIMIT;
	if (q->end_s - q->start_s > (int64_t)UINT32_MAX || q->end_s < q->start_s)
		return CORRIDOR_E_INVALID; /* (the request check refuses it first) */
	uint8_t *at = rs->arena + rs->used;
	memcpy(at, p->row.reference, rlen + 1);
	at += rlen + 1;
	memcpy(at, q->contract, cl + 1);
	at += cl + 1;
	memcpy(at, q->meter, ml + 1);
	rs->r[rs->count++] = (struct row){ .line = p->row.line, .text_off = (uint32_t)rs->used,
					   .start_s = q->start_s,
					   .dur_s = (uint32_t)(q->end_s - q->start_s),
					   .quantity_milli = q->quantity_milli,
					   .quality = q->quality ? q->quality : 'A' };
	rs->used += need;
	return CORRIDOR_OK;
}

/* Why rows_add refused the row of `line`. */
static int rows_refusal(int err, unsigned line, struct corridor_diag *diag)
{
	if (err == CORRIDOR_E_LIMIT)
		return corridor_diag_set(diag, err, "line %u: the rows' texts exceed 4 GiB", line);
	if (err == CORRIDOR_E_INVALID)
		return corridor_diag_set(diag, err, "line %u, column end: the interval is longer "
					 "than a reading can be", line);
	return corridor_diag_set(diag, err, "out of memory");
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
		if ((err = rows_add(rs, &p)) != 0) {
			rows_refusal(err, p.row.line, diag);
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

/* ---- rows into writes: a series per (contract, meter, local day), else single readings ---- */

/* What one import is: its ledger and signer, options, and for a Measurement
 * Value Document the document (its rows carry no reference: they are
 * always series, named by the document). */
struct import {
	struct corridor_ledger *l;
	const struct corridor_signer *signer;
	const char *recorder;
	const struct corridor_delivery_import_opts *o;
	const struct corridor_mvd *mvd;
	struct corridor_dry_run *dr;
};

enum unit_kind { UNIT_SINGLE, UNIT_SERIES, UNIT_FIX };

/* One write of the import: a series of rows, one row as a single reading,
 * or one row correcting the reading that holds its interval. */
struct unit {
	size_t first;   /* into order[] */
	uint32_t nrows; /* rows it carries: 1 for a single reading or a correction */
	enum unit_kind kind;
	bool skip;
	uint8_t *body;  /* a series' or a correction's body (malloc'd); a single reading's is its row's */
	size_t body_len;
	char *idem;     /* malloc'd, or NULL: the row's reference or the natural key */
	uint32_t writes; /* intervals (or corrections) it writes */
};

struct plan {
	size_t *order; /* row indexes, grouped */
	struct unit *u;
	size_t nu, cap;
};

static void plan_release(struct plan *pl)
{
	for (size_t i = 0; pl->u && i < pl->nu; i++) {
		free(pl->u[i].body);
		free(pl->u[i].idem);
	}
	free(pl->u);
	free(pl->order);
	memset(pl, 0, sizeof *pl);
}

struct sort_key {
	const char *contract, *meter;
	int64_t day, res, start_s;
	size_t i;
};

/* Rows in the order of their contract, meter, resolution (a document's;
 * a CSV's are all 0) and start; the local day is a function of the start
 * within one contract, so each meter-day is a run of this order. */
static int key_cmp(const void *a, const void *b)
{
	const struct sort_key *x = a, *y = b;
	int c = strcmp(x->contract, y->contract);
	if (!c)
		c = strcmp(x->meter, y->meter);
	if (!c)
		c = x->res < y->res ? -1 : x->res > y->res;
	if (!c)
		c = x->start_s < y->start_s ? -1 : x->start_s > y->start_s;
	if (!c)
		c = x->i < y->i ? -1 : x->i > y->i;
	return c;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b < 0 ? 1 : 0);
}

/* Rows k[0..n) of one (contract, meter, local day) make one series when
 * all are of one resolution, on one grid from the first, distinct, in at
 * most CORRIDOR_SERIES_POINTS_MAX points (the gaps are missing points).
 * *why: the first row that does not fit, or SIZE_MAX. */
static bool series_fits(const struct rows *rs, const struct sort_key *k, size_t n, size_t *why)
{
	int64_t res = rs->r[k[0].i].dur_s;
	*why = 0;
	if (!corridor_resolution_ok(res))
		return false;
	for (size_t j = 0; j < n; j++) {
		const struct row *r = &rs->r[k[j].i];
		*why = j;
		if (r->dur_s != res || (r->start_s - k[0].start_s) % res != 0 ||
		    (j && r->start_s == k[j - 1].start_s))
			return false;
	}
	*why = n - 1;
	return (k[n - 1].start_s - k[0].start_s) / res < CORRIDOR_SERIES_POINTS_MAX;
}

/* The contract's UTC offset as the import sees it; false if it has none. */
static bool contract_offset(struct corridor_kv *kv, const char *id, int32_t *offset_min)
{
	struct corridor_contract *c = malloc(sizeof *c);
	bool ok = c && corridor_contract_record(kv, id, c) == 0 && c->version_count > 0;
	if (ok)
		*offset_min = c->versions[0].terms.utc_offset_min;
	free(c);
	return ok;
}

/* The same, for the import: for a remote ledger (kv NULL), the offsets its
 * view gave. */
static bool import_offset(struct corridor_kv *kv, const struct corridor_delivery_import_opts *o,
			  const char *id, int32_t *offset_min)
{
	if (kv)
		return contract_offset(kv, id, offset_min);
	for (size_t i = 0; i < o->offset_count; i++)
		if (strcmp(o->offsets[i].contract, id) == 0) {
			*offset_min = o->offsets[i].utc_offset_min;
			return true;
		}
	return false;
}

static bool plain_quality(char q)
{
	return q == 'A' || q == 'E';
}

/* Why a document's rows do not make one series (they always must). */
static int group_refusal(const struct rows *rs, const struct sort_key *k, size_t why,
			 struct corridor_diag *diag)
{
	const struct row *r = &rs->r[k[why].i];
	char at[21];
	corridor_utc_format(r->start_s, at);
	if (why > 0 && r->start_s == rs->r[k[why - 1].i].start_s)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "line %u: the interval from %s of meter %s is also given "
					 "at line %u",
					 r->line, at, row_meter(rs, r), rs->r[k[why - 1].i].line);
	return corridor_diag_set(diag, CORRIDOR_E_INVALID,
				 "line %u: the interval from %s of meter %s is off the grid of "
				 "the day's other points (line %u)",
				 r->line, at, row_meter(rs, r), rs->r[k[0].i].line);
}

static struct unit *unit_new(struct plan *pl)
{
	CORRIDOR_ASSERT(pl->nu < pl->cap);
	struct unit *u = &pl->u[pl->nu++];
	memset(u, 0, sizeof *u);
	return u;
}

/* Groups the rows, in the order of their contract, meter, resolution and
 * start; a series' points are filled in later, against the ledger. A CSV's
 * day of one row stays a single reading (its reference is its identity),
 * unless its quality is one only a series keeps; a document's rows are
 * always series, one per resolution of a meter-day. */
static int plan_build(struct corridor_kv *kv, const struct corridor_delivery_import_opts *o,
		      const struct rows *rs, bool mvd, struct plan *pl, struct corridor_diag *diag)
{
	size_t n = rs->count;
	struct sort_key *k = malloc((n ? n : 1) * sizeof *k);
	pl->order = malloc((n ? n : 1) * sizeof *pl->order);
	pl->cap = 2 * n + 1; /* a unit per row, and a correction per row at most */
	pl->u = calloc(pl->cap, sizeof *pl->u);
	if (!k || !pl->order || !pl->u) {
		free(k);
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rs->r[i];
		k[i] = (struct sort_key){ .contract = row_contract(rs, r), .meter = row_meter(rs, r),
					  .res = mvd ? r->dur_s : 0,
					  .start_s = r->start_s, .i = i };
	}
	qsort(k, n, sizeof *k, key_cmp);
	/* the local days, the contract's terms read once per contract */
	const char *last = NULL;
	int32_t off = 0;
	bool known = false;
	for (size_t i = 0; i < n; i++) {
		if (!last || strcmp(last, k[i].contract) != 0)
			known = import_offset(kv, o, k[i].contract, &off);
		last = k[i].contract;
		/* a row of an unknown contract stays single: its append says why */
		k[i].day = known ? floor_div(k[i].start_s + off * 60, SECONDS_PER_DAY)
				 : INT64_MIN + (int64_t)i;
	}
	int err = CORRIDOR_OK;
	for (size_t i = 0; i < n && !err;) {
		size_t j = i + 1, why;
		while (j < n && k[j].day == k[i].day && k[j].res == k[i].res &&
		       !strcmp(k[j].meter, k[i].meter) && !strcmp(k[j].contract, k[i].contract))
			j++;
		bool fits = series_fits(rs, k + i, j - i, &why);
		bool one_plain = j - i == 1 && plain_quality(rs->r[k[i].i].quality);
		if (mvd && !fits) {
			err = group_refusal(rs, k + i, why, diag);
		} else if (fits && !(one_plain && !mvd)) {
			struct unit *u = unit_new(pl);
			u->first = i;
			u->nrows = (uint32_t)(j - i);
			u->kind = UNIT_SERIES;
		} else {
			for (size_t q = i; q < j && !err; q++) {
				const struct row *r = &rs->r[k[q].i];
				if (!plain_quality(r->quality))
					err = corridor_diag_set(diag, CORRIDOR_E_INVALID,
								"line %u: quality %c is kept only in a "
								"series: an interval of PT15M, PT30M or "
								"PT60M on its meter-day's grid",
								r->line, r->quality);
				struct unit *u = unit_new(pl);
				u->first = q;
				u->nrows = 1;
				u->kind = UNIT_SINGLE;
			}
		}
		i = j;
	}
	for (size_t i = 0; i < n; i++)
		pl->order[i] = k[i].i;
	free(k);
	return err;
}

struct live_ctx {
	const char *recorder, *meter;
	struct corridor_delivery *d;
	size_t n, cap;
};

static int live_one(void *vctx, const struct corridor_delivery *d)
{
	struct live_ctx *c = vctx;
	if (d->superseded_by || strcmp(d->recorder, c->recorder) || strcmp(d->meter, c->meter))
		return 0;
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 32;
		void *nd = realloc(c->d, cap * sizeof *c->d);
		if (!nd)
			return CORRIDOR_E_NOMEM;
		c->d = nd;
		c->cap = cap;
	}
	c->d[c->n++] = *d;
	return 0;
}

/* ---- a document's names for its writes ---- */

#define MVD_KEY_PREFIX "mvd/"

/* "mvd/<revision>/<16 hex of what it is>/<document mRID>": the idempotency
 * key of a write a document makes, from which a later revision of the same
 * document is recognised. */
static char *mvd_key(const struct corridor_mvd *doc, const void *what, size_t len)
{
	uint8_t h[CORRIDOR_HASH_BYTES];
	char hex[17], *out = malloc(CORRIDOR_IDEM_BYTES_MAX + 1);
	if (!out)
		return NULL;
	crypto_hash_sha256(h, what, len);
	sodium_bin2hex(hex, sizeof hex, h, 8);
	snprintf(out, CORRIDOR_IDEM_BYTES_MAX + 1, MVD_KEY_PREFIX "%u/%s/%s", doc->revision, hex,
		 doc->mrid);
	return out;
}

/* The revision of document `mrid` that made the write with key `key`; 0 if
 * another source made it. */
static unsigned mvd_key_revision(const char *key, const char *mrid)
{
	size_t pl = strlen(MVD_KEY_PREFIX), d = 0;
	unsigned rev = 0;
	if (strncmp(key, MVD_KEY_PREFIX, pl) != 0)
		return 0;
	for (key += pl; *key >= '0' && *key <= '9' && d < 3; key++, d++)
		rev = rev * 10 + (unsigned)(*key - '0');
	if (d == 0 || *key != '/' || strlen(key) < 18 || key[17] != '/')
		return 0;
	return strcmp(key + 18, mrid) == 0 ? rev : 0;
}

/* May a row with other values than the recorder's reading d of its interval
 * be written as a correction of d? 0 with its reason in *reason, or the
 * refusal. */
static int correction_reason(struct import *im, const struct row *r,
			     const struct corridor_delivery *d, char *reason, size_t cap,
			     struct corridor_diag *diag)
{
	char at[21];
	corridor_utc_format(r->start_s, at);
	if (im->mvd && d->seq < im->dr->head.size) {
		struct corridor_entry e;
		unsigned rev = 0;
		if (corridor_entry_in(im->l, im->dr->txn, d->seq, &e, NULL, NULL) == 0)
			rev = mvd_key_revision(e.idempotency_key, im->mvd->mrid);
		if (rev && rev < im->mvd->revision) {
			if (im->o->reason)
				snprintf(reason, cap, "%s", im->o->reason);
			else
				snprintf(reason, cap, "revision %u of Measurement Value Document %s",
					 im->mvd->revision, im->mvd->mrid);
			return CORRIDOR_OK;
		}
		if (rev)
			return corridor_diag_set(diag, CORRIDOR_E_REFUSED,
						 "line %u: revision %u of document %s conflicts with "
						 "revision %u, which recorded the interval from %s at "
						 "seq %llu with other values; a correction comes as a "
						 "higher revisionNumber",
						 r->line, im->mvd->revision, im->mvd->mrid, rev, at,
						 (unsigned long long)d->seq);
	}
	if (im->o->reason) {
		snprintf(reason, cap, "%s", im->o->reason);
		return CORRIDOR_OK;
	}
	return corridor_diag_set(diag, CORRIDOR_E_REFUSED,
				 "line %u: the interval from %s was recorded at seq %llu with other "
				 "values; a correction names it (delivery correct --supersedes %llu "
				 "--start %s) or the import gives its reason (--reason)",
				 r->line, at, (unsigned long long)d->seq, (unsigned long long)d->seq,
				 at);
}

/* A correction of reading d by row r, as a unit of its own. */
static int fix_add(struct import *im, struct plan *pl, size_t order_at, const struct row *r,
		   const struct corridor_delivery *d, const char *reason, struct corridor_diag *diag)
{
	struct unit *u = unit_new(pl);
	u->first = order_at;
	u->nrows = 1;
	u->kind = UNIT_FIX;
	u->writes = 1;
	u->body = malloc(CORRIDOR_CORRECT_BODY_BYTES_MAX);
	if (!u->body)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	/* the quality too, when it changes (a single reading keeps only A and E) */
	char q = r->quality != d->quality ? r->quality : 0;
	u->body_len = corridor_correct_body(d->seq, d->start_s, r->quantity_milli, q, reason,
					    u->body, CORRIDOR_CORRECT_BODY_BYTES_MAX);
	CORRIDOR_ASSERT(u->body_len > 0);
	if (im->mvd) {
		uint8_t what[16];
		corridor_be64_put(what, d->seq);
		corridor_be64_put(what + 8, (uint64_t)d->start_s);
		if (!(u->idem = mvd_key(im->mvd, what, sizeof what)))
			return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	}
	return CORRIDOR_OK;
}

/* Series unit u's body (s: scratch): the points q/qual of the grid from
 * base_s, those of the intervals first..last. */
static int unit_series_body(struct unit *u, struct corridor_series *s, const char *contract,
			    const char *meter, int64_t res, int64_t base_s, const int64_t *q,
			    const char *qual, int64_t first, int64_t last, struct corridor_diag *diag)
{
	size_t i0 = (size_t)((first - base_s) / res);
	memset(s, 0, sizeof *s);
	snprintf(s->contract, sizeof s->contract, "%s", contract);
	snprintf(s->meter, sizeof s->meter, "%s", meter);
	s->resolution_s = (uint32_t)res;
	s->start_s = first;
	s->count = (uint32_t)((last - first) / res + 1);
	for (uint32_t j = 0; j < s->count; j++) {
		s->quantity_milli[j] = q[i0 + j];
		s->quality[j] = qual[i0 + j];
	}
	if (!(u->body = malloc(CORRIDOR_SERIES_BODY_BYTES_MAX)))
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	u->body_len = corridor_series_body(s, u->body, CORRIDOR_SERIES_BODY_BYTES_MAX);
	CORRIDOR_ASSERT(u->body_len > 0);
	return CORRIDOR_OK;
}

/* Rows of unit u against what the recorder holds on their meter and local
 * day: a row whose interval is held with the same values appends nothing; one
 * held with other values becomes a correction (correction_reason); the rest
 * are new. A series' body is built from its new rows (NULL if none: the unit
 * is skipped); a single reading that is held is skipped or becomes the
 * correction. *held_same counts the rows skipped. */
static int unit_fill(struct import *im, const struct rows *rs, struct plan *pl, struct unit *u,
		     size_t *held_same, struct corridor_diag *diag)
{
	struct corridor_kv *kv = &im->dr->ov.base;
	const struct row *r0 = &rs->r[pl->order[u->first]];
	const char *contract = row_contract(rs, r0), *meter = row_meter(rs, r0);
	int32_t off = 0;
	u->writes = u->nrows;
	if (!contract_offset(kv, contract, &off)) {
		if (u->kind == UNIT_SINGLE)
			return CORRIDOR_OK; /* the kind says why */
		return corridor_diag_set(diag, CORRIDOR_E_REFUSED,
					 "line %u: no accepted contract %s", r0->line, contract);
	}
	struct corridor_series *s = calloc(1, sizeof *s);
	struct live_ctx lc = { .recorder = im->recorder, .meter = meter };
	char *reason = malloc(CORRIDOR_REASON_BYTES_MAX + 1);
	int err = CORRIDOR_OK;
	if (!s || !reason) {
		err = corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
		goto out_free;
	}
	int64_t res = r0->dur_s;
	int32_t day = (int32_t)floor_div(r0->start_s + off * 60, SECONDS_PER_DAY);
	if ((err = corridor_day_readings(kv, contract, day, 1, off, live_one, &lc)) != 0) {
		err = corridor_diag_set(diag, err, "cannot read the readings of %s", contract);
		goto out_free;
	}
	int64_t first = INT64_MAX, last = INT64_MIN;
	int64_t q[CORRIDOR_SERIES_POINTS_MAX];
	char qual[CORRIDOR_SERIES_POINTS_MAX];
	memset(qual, CORRIDOR_QUALITY_MISSING, sizeof qual);
	memset(q, 0, sizeof q);
	size_t fresh = 0;
	for (uint32_t j = 0; j < u->nrows && !err; j++) {
		const struct row *r = &rs->r[pl->order[u->first + j]];
		const struct corridor_delivery *held = NULL;
		/* held before this import (a twin within it is the kinds' overlap) */
		for (size_t x = 0; x < lc.n && !held; x++)
			if (lc.d[x].start_s == r->start_s && lc.d[x].end_s == row_end(r) &&
			    lc.d[x].seq < im->dr->head.size)
				held = &lc.d[x];
		if (held && held->quantity_milli == r->quantity_milli && held->quality == r->quality) {
			(*held_same)++;
			continue;
		}
		if (held) {
			if (!(err = correction_reason(im, r, held, reason,
						      CORRIDOR_REASON_BYTES_MAX + 1, diag)))
				err = fix_add(im, pl, u->first + j, r, held, reason, diag);
			continue; /* (pl->u does not move: its capacity is fixed) */
		}
		fresh++;
		if (u->kind == UNIT_SINGLE)
			continue;
		size_t i = (size_t)((r->start_s - r0->start_s) / res);
		q[i] = r->quantity_milli;
		qual[i] = r->quality;
		first = r->start_s < first ? r->start_s : first;
		last = r->start_s > last ? r->start_s : last;
	}
	u->writes = (uint32_t)fresh;
	if (err || fresh == 0) {
		u->skip = !err;
		goto out_free;
	}
	if (u->kind == UNIT_SINGLE)
		goto out_free;
	if ((err = unit_series_body(u, s, contract, meter, res, r0->start_s, q, qual, first, last,
				    diag)) != 0)
		goto out_free;
	if (im->mvd) { /* named by what it is, within its document */
		uint8_t what[CORRIDOR_PARTY_ID_BYTES_MAX + CORRIDOR_METER_ID_BYTES_MAX + 18];
		size_t cl = strlen(contract), ml = strlen(meter);
		memcpy(what, contract, cl + 1);
		memcpy(what + cl + 1, meter, ml + 1);
		corridor_be64_put(what + cl + ml + 2, (uint64_t)first);
		corridor_be64_put(what + cl + ml + 10, (uint64_t)res);
		if (!(u->idem = mvd_key(im->mvd, what, cl + ml + 18)))
			err = corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	}
out_free:
	free(lc.d);
	free(reason);
	free(s);
	return err;
}

static struct draft unit_draft(const struct rows *rs, const struct plan *pl, const struct unit *u)
{
	const struct row *r = &rs->r[pl->order[u->first]];
	switch (u->kind) {
	case UNIT_SERIES:
		return (struct draft){ .kind = "delivery.series", .body = u->body,
				       .body_len = u->body_len, .idem = u->idem };
	case UNIT_FIX:
		return (struct draft){ .kind = "delivery.correct", .body = u->body,
				       .body_len = u->body_len, .idem = u->idem };
	case UNIT_SINGLE:
		break;
	}
	return (struct draft){ .kind = "delivery.record", .body = u->body,
			       .body_len = u->body_len, .idem = row_ref(rs, r) };
}

/* A single reading whose reference was imported before (or earlier in this
 * file): the same values are skipped, other values refused. */
static int reference_seen(struct import *im, const struct rows *rs, struct plan *pl,
			  struct unit *u, uint64_t at, const size_t *fresh)
{
	bool same = false;
	(void)rs;
	if (at >= im->dr->head.size) {
		const struct unit *twin = &pl->u[fresh[at - im->dr->head.size]];
		same = twin->kind == UNIT_SINGLE && twin->body_len == u->body_len &&
		       !memcmp(twin->body, u->body, u->body_len);
	} else {
		struct corridor_entry e;
		same = corridor_entry_in(im->l, im->dr->txn, at, &e, NULL, NULL) == 0 &&
		       e.body_len == u->body_len && !memcmp(e.body, u->body, u->body_len);
	}
	u->skip = true;
	return same ? CORRIDOR_OK : CORRIDOR_E_REFUSED;
}

/* A write named by the document whose key was used before: the same body is
 * the same write (skipped), another is refused (the sequencer would). */
static int key_seen(struct import *im, const struct plan *pl, struct unit *u, uint64_t at,
		    const size_t *fresh)
{
	bool same = false;
	if (at >= im->dr->head.size) {
		const struct unit *twin = &pl->u[fresh[at - im->dr->head.size]];
		same = twin->body_len == u->body_len && !memcmp(twin->body, u->body, u->body_len);
	} else {
		struct corridor_entry e;
		same = corridor_entry_in(im->l, im->dr->txn, at, &e, NULL, NULL) == 0 &&
		       e.body_len == u->body_len && !memcmp(e.body, u->body, u->body_len);
	}
	u->skip = true;
	return same ? CORRIDOR_OK : CORRIDOR_E_EXISTS;
}

/* The dry run: every write through the same checks an append makes, against
 * the ledger as it is, with the state changes kept in memory. What was
 * imported before with the same values is marked to skip. */
static int dry_run(struct import *im, const struct rows *rs, struct plan *pl, size_t *held_same,
		   struct corridor_diag *diag)
{
	struct corridor_dry_run dr;
	const struct corridor_vkey *vk = corridor_signer_vkey(im->signer);
	size_t cap = 2 * rs->count + 1;
	size_t *fresh = malloc(cap * sizeof *fresh), nfresh = 0;
	if (!fresh)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	int err = corridor_dry_run_begin(im->l, &dr, diag);
	if (err) {
		free(fresh);
		return err;
	}
	im->dr = &dr;
	err = plan_build(&dr.ov.base, im->o, rs, im->mvd != NULL, pl, diag);
	/* corrections are appended to the plan as they are found, and run last */
	for (size_t i = 0; i < pl->nu && !err; i++) {
		struct unit *u = &pl->u[i];
		const struct row *r = &rs->r[pl->order[u->first]];
		uint64_t at;
		if (u->kind == UNIT_SINGLE) {
			if (!(u->body = malloc(CORRIDOR_DELIVERY_BODY_BYTES_MAX))) {
				err = corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
				break;
			}
			u->body_len = row_body(rs, r, u->body);
			const char *ref = row_ref(rs, r);
			size_t rlen = strlen(ref);
			CORRIDOR_ASSERT(rlen > 0); /* every imported row carries its reference */
			if (corridor_idem_lookup(&dr.ov.base, vk->name, "delivery.record", ref, rlen,
						 &at) == 0) {
				if (reference_seen(im, rs, pl, u, at, fresh) != 0)
					err = corridor_diag_set(diag, CORRIDOR_E_REFUSED,
								"line %u: reference %.*s was imported at "
								"seq %llu with other values",
								r->line, (int)rlen, ref,
								(unsigned long long)at);
				else
					(*held_same)++;
				continue;
			}
		}
		if (u->kind != UNIT_FIX) {
			if ((err = unit_fill(im, rs, pl, u, held_same, diag)) != 0)
				break;
			u = &pl->u[i];
			if (u->skip)
				continue;
		}
		struct draft d = unit_draft(rs, pl, u);
		if (d.idem && u->kind != UNIT_SINGLE &&
		    corridor_idem_lookup(&dr.ov.base, vk->name, d.kind, d.idem, strlen(d.idem),
					 &at) == 0) {
			if (key_seen(im, pl, u, at, fresh) != 0)
				err = corridor_diag_set(diag, CORRIDOR_E_EXISTS,
							"line %u: document %s revision %u was imported "
							"before with other values (seq %llu): a revised "
							"document has a higher revisionNumber",
							r->line, im->mvd ? im->mvd->mrid : "",
							im->mvd ? im->mvd->revision : 0,
							(unsigned long long)at);
			else
				(*held_same) += u->nrows;
			continue;
		}
		struct corridor_diag rd;
		corridor_diag_init(&rd);
		err = corridor_draft_process(&dr.st, vk, &d, dr.head.size + nfresh, dr.head.time_us,
					     dr.head.tip, &rd);
		if (err)
			corridor_diag_set(diag, err, "line %u: %s", r->line, rd.text);
		CORRIDOR_ASSERT(nfresh < cap);
		fresh[nfresh++] = i;
	}
	im->dr = NULL;
	corridor_dry_run_end(&dr);
	free(fresh);
	return err;
}

/* The import into a remote ledger: rows grouped as locally (by the
 * contracts' offsets its view gave), every row new; the server checks and
 * sequences. */
static int import_remote(struct import *im, struct rows *rs, size_t *written, size_t *skipped,
			 struct corridor_diag *diag)
{
	const struct corridor_delivery_import_opts *o = im->o;
	struct plan pl = { 0 };
	if (im->mvd || o->reason)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "a Measurement Value Document, and an import with --reason, "
					 "are imported where the ledger is (they compare with what it "
					 "holds); over --server, only a CSV");
	int err = plan_build(NULL, o, rs, false, &pl, diag);
	struct draft *drafts = calloc(pl.nu ? pl.nu : 1, sizeof *drafts);
	unsigned *lines = calloc(pl.nu ? pl.nu : 1, sizeof *lines);
	uint32_t *weights = calloc(pl.nu ? pl.nu : 1, sizeof *weights);
	struct corridor_series *s = malloc(sizeof *s);
	if (!err && (!drafts || !lines || !weights || !s))
		err = corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	for (size_t i = 0; i < pl.nu && !err; i++) {
		struct unit *u = &pl.u[i];
		const struct row *r0 = &rs->r[pl.order[u->first]];
		if (u->kind == UNIT_SINGLE) {
			if (!(u->body = malloc(CORRIDOR_DELIVERY_BODY_BYTES_MAX))) {
				err = corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
				break;
			}
			u->body_len = row_body(rs, r0, u->body);
		} else {
			int64_t q[CORRIDOR_SERIES_POINTS_MAX], res = r0->dur_s, last = 0;
			char qual[CORRIDOR_SERIES_POINTS_MAX];
			memset(qual, CORRIDOR_QUALITY_MISSING, sizeof qual);
			memset(q, 0, sizeof q);
			for (uint32_t j = 0; j < u->nrows; j++) {
				const struct row *r = &rs->r[pl.order[u->first + j]];
				size_t at = (size_t)((r->start_s - r0->start_s) / res);
				q[at] = r->quantity_milli;
				qual[at] = r->quality;
				last = r->start_s;
			}
			err = unit_series_body(u, s, row_contract(rs, r0), row_meter(rs, r0), res,
					       r0->start_s, q, qual, r0->start_s, last, diag);
		}
		drafts[i] = unit_draft(rs, &pl, u);
		lines[i] = r0->line;
		weights[i] = u->nrows;
	}
	if (!err)
		err = corridor_import_remote(im->l, im->signer, drafts, lines, weights, pl.nu,
					     o->batch_entries, o->committed, o->ctx, written,
					     skipped, diag);
	free(s);
	free(weights);
	free(lines);
	free(drafts);
	plan_release(&pl);
	return err;
}

/* Dry run, then the plan's units in batches. */
static int import_rows(struct import *im, struct rows *rs, size_t *written, size_t *skipped,
		       struct corridor_diag *diag)
{
	const struct corridor_delivery_import_opts *o = im->o;
	struct plan pl = { 0 };
	size_t batch = o->batch_entries;
	if (corridor_ledger_is_remote(im->l))
		return import_remote(im, rs, written, skipped, diag);
	int err = dry_run(im, rs, &pl, skipped, diag);
	if (err)
		goto out_plan;
	struct draft *drafts = calloc(batch, sizeof *drafts);
	uint64_t *seqs = calloc(batch, sizeof *seqs);
	uint32_t *carried = calloc(batch, sizeof *carried);
	if (!drafts || !seqs || !carried) {
		err = corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
		goto out_batch;
	}
	uint64_t total = 0, done = 0;
	for (size_t k = 0; k < pl.nu; k++)
		total += pl.u[k].skip ? 0u : pl.u[k].writes;
	if (o->progress)
		o->progress(o->ctx, 0, total);
	size_t i = 0;
	while (i < pl.nu && !err) {
		size_t n = 0;
		for (; i < pl.nu && n < batch; i++) {
			if (pl.u[i].skip)
				continue;
			/* the intervals it writes (those held already were counted) */
			carried[n] = pl.u[i].writes;
			drafts[n++] = unit_draft(rs, &pl, &pl.u[i]);
		}
		if (n == 0)
			break;
		size_t appended = 0;
		err = corridor_append(im->l, im->signer, drafts, n, seqs, &appended, diag);
		if (!err) {
			/* rows, as the file counts them */
			corridor_count_fresh(seqs, n, appended, carried, written, skipped);
			if (o->committed && appended)
				o->committed(o->ctx, seqs[0], seqs[n - 1]);
			for (size_t k = 0; k < n; k++)
				done += carried[k];
			if (o->progress)
				o->progress(o->ctx, done, total);
		}
	}
out_batch:
	free(drafts);
	free(seqs);
	free(carried);
out_plan:
	plan_release(&pl);
	return err;
}

/* ---- a Measurement Value Document into rows ---- */

struct billing_find {
	const char *point, *recorder;
	char contract[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
	unsigned found;
	struct corridor_contract c;
};

static int billing_one(void *vctx, const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen)
{
	struct billing_find *f = vctx;
	(void)k;
	(void)klen;
	if (corridor_contract_record_decode(v, vlen, &f->c) != 0 || f->c.version_count == 0)
		return CORRIDOR_E_STORAGE;
	const struct corridor_contract_terms *t = &f->c.versions[f->c.version_count - 1].terms;
	if (strcmp(t->billing_meter, f->point) != 0)
		return 0;
	if (f->found++ == 0)
		snprintf(f->contract, sizeof f->contract, "%s", t->id);
	return 0;
}

/* The contract and meter of one series: its --map row, else the one
 * contract whose billing meter its point is. */
static int series_target(struct corridor_kv *kv, const struct corridor_mvd_series *s,
			 const struct corridor_mvd_map_row *map, size_t nmap, char *contract,
			 char *meter, struct corridor_diag *diag)
{
	for (size_t i = 0; i < nmap; i++) {
		const struct corridor_mvd_map_row *m = &map[i];
		bool hit = s->point[0] ? strcmp(m->point, s->point) == 0
				       : !m->point[0] && !strcmp(m->in_domain, s->in_domain) &&
						 !strcmp(m->out_domain, s->out_domain);
		if (hit) {
			snprintf(contract, CORRIDOR_PARTY_ID_BYTES_MAX + 1, "%s", m->contract);
			snprintf(meter, CORRIDOR_METER_ID_BYTES_MAX + 1, "%s", m->meter);
			return CORRIDOR_OK;
		}
	}
	if (!s->point[0])
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "line %u: TimeSeries %s names no marketEvaluationPoint and "
					 "the map has no row for domains %s -> %s (--map)",
					 s->line, s->mrid, s->out_domain, s->in_domain);
	if (!corridor_meter_id_ok(s->point))
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "line %u: marketEvaluationPoint %s is no meter id (1-%u bytes "
					 "without spaces): map it (--map)",
					 s->line, s->point, CORRIDOR_METER_ID_BYTES_MAX);
	struct billing_find *f = calloc(1, sizeof *f);
	if (!f)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	f->point = s->point;
	int err = kv->scan(kv, STATE_CONTRACTS, NULL, 0, billing_one, f);
	if (err)
		err = corridor_diag_set(diag, err, "cannot read the contracts");
	else if (f->found != 1)
		err = corridor_diag_set(diag, CORRIDOR_E_INVALID,
					"line %u: metering point %s is the billing meter of %s "
					"contract: name its contract in a map (--map)",
					s->line, s->point, f->found ? "more than one" : "no");
	else {
		snprintf(contract, CORRIDOR_PARTY_ID_BYTES_MAX + 1, "%s", f->contract);
		snprintf(meter, CORRIDOR_METER_ID_BYTES_MAX + 1, "%s", s->point);
	}
	free(f);
	return err;
}

/* A point's quantity in milli-units of the contract's unit, exactly. */
static const char *to_contract_unit(int64_t micro, enum corridor_mvd_unit from, const char *unit,
				    int64_t *milli)
{
	bool kwh = strcmp(unit, "kWh") == 0, mwh = strcmp(unit, "MWh") == 0;
	if ((from == CORRIDOR_MVD_KWH && kwh) || (from == CORRIDOR_MVD_MWH && mwh)) {
		if (micro % 1000 != 0)
			return "has more than 3 decimals of the contract's unit";
		*milli = micro / 1000;
	} else if (from == CORRIDOR_MVD_MWH && kwh) {
		*milli = micro; /* 1 MWh = 10^6 milli-kWh */
	} else if (from == CORRIDOR_MVD_KWH && mwh) {
		if (micro % 1000000 != 0)
			return "has more than 3 decimals of MWh";
		*milli = micro / 1000000;
	} else {
		return NULL;
	}
	return *milli < CORRIDOR_QUANTITY_MILLI_LIMIT ? "" : "is not below 10^12 of the contract's unit";
}

static int mvd_rows(struct corridor_kv *kv, const struct corridor_mvd *doc,
		    const struct corridor_mvd_map_row *map, size_t nmap, struct rows *rs,
		    struct corridor_diag *diag)
{
	struct parsed *p = calloc(1, sizeof *p);
	struct corridor_contract *c = malloc(sizeof *c);
	int err = p && c ? CORRIDOR_OK : corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	for (size_t i = 0; i < doc->nseries && !err; i++) {
		const struct corridor_mvd_series *s = &doc->series[i];
		char contract[CORRIDOR_PARTY_ID_BYTES_MAX + 1], meter[CORRIDOR_METER_ID_BYTES_MAX + 1];
		if ((err = series_target(kv, s, map, nmap, contract, meter, diag)) != 0)
			break;
		if (corridor_contract_record(kv, contract, c) != 0 || c->version_count == 0) {
			err = corridor_diag_set(diag, CORRIDOR_E_REFUSED,
						"line %u: TimeSeries %s maps to contract %s, which "
						"this ledger does not have",
						s->line, s->mrid, contract);
			break;
		}
		const char *unit = c->versions[c->version_count - 1].terms.unit;
		for (size_t j = 0; j < s->count && !err; j++) {
			const struct corridor_mvd_point *pt = &doc->points[s->first + j];
			if (pt->quality == CORRIDOR_QUALITY_MISSING)
				continue; /* not a reading */
			int64_t milli = 0;
			const char *why = to_contract_unit(pt->quantity_micro, s->unit, unit, &milli);
			if (!why) {
				err = corridor_diag_set(diag, CORRIDOR_E_INVALID,
							"line %u: TimeSeries %s is in %s, contract %s in "
							"%s",
							s->line, s->mrid,
							s->unit == CORRIDOR_MVD_KWH ? "KWH" : "MWH",
							contract, unit);
				break;
			}
			if (why[0]) {
				err = corridor_diag_set(diag, CORRIDOR_E_INVALID,
							"line %u: Point quantity %s", pt->line, why);
				break;
			}
			memset(p, 0, sizeof *p);
			p->row.line = pt->line ? pt->line : s->line;
			snprintf(p->row.contract, sizeof p->row.contract, "%s", contract);
			snprintf(p->row.meter, sizeof p->row.meter, "%s", meter);
			p->row.r = (struct corridor_delivery_request){
				.contract = p->row.contract, .meter = p->row.meter,
				.reference = p->row.reference, .start_s = pt->start_s,
				.end_s = pt->start_s + pt->resolution_s, .quantity_milli = milli,
				.quality = pt->quality };
			if (rs->count >= CORRIDOR_IMPORT_ROWS_MAX)
				err = corridor_diag_set(diag, CORRIDOR_E_LIMIT, "more than %u intervals",
							CORRIDOR_IMPORT_ROWS_MAX);
			else if ((err = rows_add(rs, p)) != 0)
				rows_refusal(err, p->row.line, diag);
		}
	}
	free(p);
	free(c);
	return err;
}

int corridor_mvd_check(const char *xml, size_t len, struct corridor_diag *diag)
{
	struct corridor_mvd doc;
	int err = corridor_mvd_parse(xml, len, &doc, diag);
	if (!err)
		corridor_mvd_release(&doc);
	return err;
}

/* The document's rows need the ledger (contracts, units): read in a
 * snapshot of their own, before the dry run. */
struct mvd_rows_args {
	const struct corridor_mvd *doc;
	const struct corridor_mvd_map_row *map;
	size_t nmap;
	struct rows *rs;
};

static int mvd_rows_fn(const struct corridor_snapshot *snap, void *vctx, struct corridor_diag *diag)
{
	struct mvd_rows_args *a = vctx;
	return mvd_rows(snap->kv, a->doc, a->map, a->nmap, a->rs, diag);
}

int corridor_delivery_import_with(struct corridor_ledger *l, const struct corridor_signer *signer,
				  const char *buf, size_t len,
				  const struct corridor_delivery_import_opts *o, size_t *written,
				  size_t *skipped, struct corridor_diag *diag)
{
	struct rows rs = { 0 };
	struct corridor_mvd doc;
	struct corridor_mvd_map_row *map = NULL;
	size_t nmap = 0;
	bool mvd = o->format == CORRIDOR_DELIVERIES_MVD;
	struct import im = { .l = l, .signer = signer, .o = o, .mvd = mvd ? &doc : NULL,
			     .recorder = corridor_signer_vkey(signer)->name };
	int err = CORRIDOR_OK;
	*written = *skipped = 0;
	memset(&doc, 0, sizeof doc);
	if (o->batch_entries == 0 || o->batch_entries > CORRIDOR_BATCH_ENTRIES_MAX)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "batch size must be 1..%u",
					 CORRIDOR_BATCH_ENTRIES_MAX);
	if (!mvd && o->format != CORRIDOR_DELIVERIES_CSV)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "unknown delivery format");
	if (o->reason && (!o->reason[0] || strlen(o->reason) > CORRIDOR_REASON_BYTES_MAX ||
			  !corridor_utf8_valid((const uint8_t *)o->reason, strlen(o->reason))))
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "reason: 1-%u bytes of UTF-8",
					 CORRIDOR_REASON_BYTES_MAX);
	if (len > CORRIDOR_IMPORT_BYTES_MAX)
		return corridor_diag_set(diag, CORRIDOR_E_LIMIT, "the file is larger than 2 GiB");
	if (!mvd) {
		err = read_rows(buf, len, &rs, diag);
		if (o->input_done)
			o->input_done(o->ctx);
		if (!err)
			err = import_rows(&im, &rs, written, skipped, diag);
		goto out_free;
	}
	err = corridor_mvd_parse(buf, len, &doc, diag);
	if (o->input_done)
		o->input_done(o->ctx);
	if (err)
		goto out_free;
	if (o->map && (err = corridor_mvd_map_parse(o->map, o->map_len, &map, &nmap, diag)) != 0) {
		char text[CORRIDOR_DIAG_BYTES_MAX];
		snprintf(text, sizeof text, "%s", diag->text);
		err = corridor_diag_set(diag, err, "the map: %s", text);
		goto out_free;
	}
	if (corridor_ledger_is_remote(l)) {
		err = import_remote(&im, &rs, written, skipped, diag);
		goto out_free;
	}
	struct mvd_rows_args a = { .doc = &doc, .map = map, .nmap = nmap, .rs = &rs };
	if ((err = corridor_ledger_read(l, mvd_rows_fn, &a, diag)) == 0)
		err = import_rows(&im, &rs, written, skipped, diag);
out_free:
	free(map);
	corridor_mvd_release(&doc);
	rows_release(&rs);
	return err;
}

int corridor_delivery_import(struct corridor_ledger *l, const struct corridor_signer *signer,
			     const char *csv, size_t len, size_t batch, corridor_committed_fn committed,
			     void *ctx, size_t *written, size_t *skipped, struct corridor_diag *diag)
{
	struct corridor_delivery_import_opts o = { .format = CORRIDOR_DELIVERIES_CSV,
						   .batch_entries = batch,
						   .committed = committed,
						   .ctx = ctx };
	return corridor_delivery_import_with(l, signer, csv, len, &o, written, skipped, diag);
}
