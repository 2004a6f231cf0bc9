/*
 * kinds.h — every entry kind's state machine (core/kinds/): validate a body,
 * decide who may write it at this seq, apply it to derived state. Nothing
 * here opens a transaction, touches LMDB, appends or calls the public API:
 * it sees only the key-value interface it is handed (struct corridor_kv:
 * LMDB, memory or an overlay), and codecs (formats/). The append path, dry
 * runs and verify call the same dispatcher, corridor_kind_process().
 * Not part of the API.
 */
#ifndef CORRIDOR_KINDS_H
#define CORRIDOR_KINDS_H

#include <sodium.h>

#include "../../formats/formats.h"

/* Derived-state tables (state.c): keys, parties, idempotency keys, contracts
 * and the bodies of their proposals (kept until accepted or superseded). */
enum state_table {
	STATE_KEYS = 0,
	STATE_PARTIES = 1,
	STATE_IDEM = 2,
	STATE_CONTRACTS = 3,
	STATE_PROPOSALS = 4,
	STATE_DELIVERIES = 5, /* be64(seq) -> a reading and what superseded it */
	STATE_DAYS = 6,       /* recorder, meter, UTC day -> its intervals (overlaps) */
	STATE_PERIODS = 7,    /* contract, local day -> its readings (deliveries.c) */
	STATE_CURRENCIES = 8, /* ISO 4217 code -> decimals, seq (money.c) */
	STATE_RATES = 9,      /* source, base, quote, day -> rate, seq (money.c) */
	STATE_SETTLED = 10,   /* contract, month -> what its invoice settled (settle.c) */
	STATE_INVOICES = 11,  /* invoice id -> the invoice's postings (settle.c) */
	STATE_BATCHES = 12,   /* month, be64(seq) [, part] -> a batch and its parts */
	STATE_PAYMENTS = 13,  /* be64(seq) -> a payment (payments.c) */
	STATE_BALANCES = 14,  /* party, currency -> the trial balance, minor units */
	STATE_TABLES = 15
};

#define SECONDS_PER_DAY 86400
/* Days and periods in table keys: be32(day ^ 2^31), so that keys sort as days. */
#define BIAS 0x80000000u

/* ---- derived state as key-value tables ---- */

#define CORRIDOR_KV_KEY_BYTES_MAX 511u /* LMDB's default key limit */
typedef int (*corridor_kv_scan_fn)(void *ctx, const uint8_t *key, size_t klen, const uint8_t *val,
				   size_t vlen);
struct corridor_kv {
	/* 0, CORRIDOR_E_NOTFOUND or an error; *val stays valid until the next put. */
	int (*get)(struct corridor_kv *kv, unsigned table, const uint8_t *key, size_t klen,
		   const uint8_t **val, size_t *vlen);
	int (*put)(struct corridor_kv *kv, unsigned table, const uint8_t *key, size_t klen,
		   const uint8_t *val, size_t vlen);
	/* Every record whose key starts with prefix (order not guaranteed). */
	int (*scan)(struct corridor_kv *kv, unsigned table, const uint8_t *prefix, size_t plen,
		    corridor_kv_scan_fn fn, void *ctx);
};

/* Key records: key = name || 0x00 || be32(key id); value = pub || from || until. */
struct key_record {
	uint32_t key_id;
	char name[CORRIDOR_NAME_BYTES_MAX + 1];
	uint8_t public_key[CORRIDOR_PUBLIC_KEY_BYTES];
	uint64_t valid_from;  /* first seq this key may sign */
	uint64_t valid_until; /* last seq this key may sign (UINT64_MAX: open) */
};
#define KEY_VALUE_BYTES (32u + 8u + 8u)
_Static_assert(KEY_VALUE_BYTES == CORRIDOR_PUBLIC_KEY_BYTES + 8u + 8u,
	       "a key: public key, valid from, valid until");
int corridor_key_get(struct corridor_kv *kv, const char *name, uint32_t key_id,
		     struct key_record *out);
int corridor_key_put(struct corridor_kv *kv, const struct key_record *r);
int corridor_key_record_decode(const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen,
			       struct key_record *out);

/* ---- entry kinds ---- */

/* What processing an entry may read and change. */
struct kind_state {
	struct corridor_kv *kv;
	char origin[CORRIDOR_NAME_BYTES_MAX + 1]; /* empty until genesis */
	uint64_t lifetime_max_us; /* a statement's longest lifetime (genesis) */
	uint32_t operator_key_id;
	/* The content hash of an earlier entry (attestations). */
	int (*content_hash)(void *ctx, uint64_t seq, uint8_t out[CORRIDOR_HASH_BYTES]);
	void *content_ctx;
	/* The Merkle root of the log's first `size` entries, size <= the seq
	 * being decided (a settlement batch names the tree it was computed at).
	 * CORRIDOR_E_NOTFOUND if it cannot be known. */
	int (*tree_root)(void *ctx, uint64_t size, uint8_t out[CORRIDOR_HASH_BYTES]);
	void *tree_ctx;
};

/* Checks an entry's body against its kind, that its author's key is valid at
 * its seq, and applies its effects on the state. Returns the public key its
 * signature must verify with. The one place where kinds are decided, used by
 * appends and by every verification. */
int corridor_kind_process(struct kind_state *st, const struct corridor_entry *e,
			  uint8_t public_key[CORRIDOR_PUBLIC_KEY_BYTES], struct corridor_diag *diag);

/* Body encoders. Return the length written into buf, or 0 if it does not fit. */
/* lifetime_s: the ledger's longest statement lifetime (0: the default, not
 * written). */
size_t corridor_body_genesis(const char *origin, const uint8_t public_key[CORRIDOR_PUBLIC_KEY_BYTES],
			     uint64_t lifetime_s, uint8_t *buf, size_t cap);
size_t corridor_body_memo(const char *text, size_t len, uint8_t *buf, size_t cap);

/* The role rule a kind's author must satisfy (roles.c). */
enum kind_rule {
	RULE_GENESIS,          /* seq 0, the operator introducing itself */
	RULE_OPERATOR,         /* the operator only */
	RULE_SELF,             /* any registered party, acting on itself */
	RULE_OPERATOR_OR_SELF, /* the operator, or the party the body names */
	RULE_ANY,              /* any registered party */
	RULE_ROLE,             /* a party holding `role` */
	RULE_CONTRACT_PARTY,   /* seller or buyer of the contract (contracts issue) */
	RULE_RECORDER,         /* the metering party or the other contract party */
	RULE_PAYEE_OR_ROLE,    /* the payee, or a party holding `role` */
};
struct kind_rule_def {
	const char *kind;
	enum kind_rule rule;
	unsigned role; /* for RULE_ROLE and RULE_PAYEE_OR_ROLE */
	bool implemented;
};
const struct kind_rule_def *corridor_kind_rule(const char *kind);
/* Checks the generic part of the rule: who the author is and what roles it
 * holds. `target` is the party the body names (RULE_OPERATOR_OR_SELF). */
int corridor_rule_check(const struct kind_rule_def *r, const struct kind_state *st,
			const char *author, unsigned author_roles, const char *target,
			uint64_t seq, struct corridor_diag *diag);
/* Processes delivery.record and delivery.correct (deliveries.c). */
int corridor_delivery_process(struct kind_state *st, const struct corridor_entry *e,
			      struct corridor_diag *diag);
/* contract || 0 || be32(day ^ 2^31) [|| be64(seq) if seq != 0]: the key of a
 * contract's local day (STATE_PERIODS) or month (STATE_SETTLED). */
size_t corridor_period_key(const char *contract, int32_t first_day, uint64_t seq, uint8_t *out);
/* A contract's readings of local days [first_day, first_day + days), day by
 * day in seq order, each with superseded_by set (deliveries.c). */
int corridor_day_readings(struct corridor_kv *kv, const char *contract, int32_t first_day,
			  int32_t days, int32_t offset_min, corridor_delivery_fn fn, void *ctx);
/* A series: its header by seq and its record in its local day's bucket
 * (tables.c); its recorded points (missing ones left out), each with
 * superseded_by set, to fn; CORRIDOR_E_NOTFOUND if seq is no series. */
int corridor_series_put(struct corridor_kv *kv, uint64_t seq, const char *recorder,
			const struct corridor_series *s, int32_t offset_min);
int corridor_series_readings(struct corridor_kv *kv, uint64_t seq, corridor_delivery_fn fn,
			     void *ctx);
int corridor_period_meters(struct corridor_kv *kv, const struct corridor_contract *c,
			   int32_t first_day, struct corridor_meter_report *out);
/* Reads a contract's state record (contracts.c). */
int corridor_contract_record(struct corridor_kv *kv, const char *id, struct corridor_contract *out);
/* Processes contract.propose, .accept, .amend and .terminate (contracts.c). */
int corridor_contract_process(struct kind_state *st, const struct corridor_entry *e,
			      struct corridor_diag *diag);

/* "<kind>: <message>" for entry e, with its seq, as error `code` (kinds.c). */
int corridor_entry_bad(const struct corridor_entry *e, struct corridor_diag *diag, int code,
		       const char *fmt, ...) CORRIDOR_PRINTF(4, 5);
/* Unpacks an entry's body, which must be a map (a VERIFY error if not). The
 * caller has initialised u and destroys it. */
int corridor_body_map(const struct corridor_entry *e, msgpack_unpacked *u,
		      struct corridor_diag *diag);
/* The contract version in force on a local day; a band prorated to the days
 * of the term inside the month at first_day (reports.c, SETTLEMENT.md). */
const struct corridor_contract_terms *corridor_terms_in_force(const struct corridor_contract *c,
							     int32_t day);
int corridor_band_prorate(int64_t q, const struct corridor_contract_terms *t, int32_t first_day,
			  int64_t *out);

/* ---- money (money.c, settle.c, payments.c) ---- */
/* Decimals (and defining seq, 0 if predefined) of a currency; NOTFOUND if none. */
int corridor_currency_get(struct corridor_kv *kv, const char *code, unsigned *decimals,
			  uint64_t *seq);
int corridor_rate_check(const struct corridor_rate *r, struct corridor_diag *diag);
int corridor_rate_get(struct corridor_kv *kv, const char *source, const char *base,
		      const char *quote, int32_t day, struct corridor_rate *out);
/* The fixing rate (SETTLEMENT.md "Conversion"): the direct pair from..to on
 * the latest date in [fixing - 7, fixing], else the inverse pair likewise. */
int corridor_rate_fixing(struct corridor_kv *kv, const char *source, const char *from,
			 const char *to, int32_t fixing_day, struct corridor_rate *out,
			 bool *inverse);
/* currency.define, rate.record, rate.correct */
int corridor_money_process(struct kind_state *st, const struct corridor_entry *e,
			   struct corridor_diag *diag);
/* settlement.batch, settlement.invoice, settlement.reverse (settle.c) */
int corridor_settle_process(struct kind_state *st, const struct corridor_entry *e,
			    struct corridor_diag *diag);
/* payment.record, payment.reverse (payments.c) */
int corridor_payment_process(struct kind_state *st, const struct corridor_entry *e,
			     struct corridor_diag *diag);
/* An invoice's record (no lines) by id; NOTFOUND if none (settle.c). */
int corridor_invoice_record(struct corridor_kv *kv, const char *id, struct corridor_invoice *out);
/* An invoice's canonical body; 0 if it does not fit. */
size_t corridor_invoice_body(const struct corridor_invoice *inv, uint8_t *buf, size_t cap);
/* Adds delta to the (party, currency) row of a growing array (at most
 * `max` rows), creating it with the currency's decimals from kv (if kv). */
int corridor_positions_add(struct corridor_balance **v, size_t *n, size_t max,
			  struct corridor_kv *kv, const char *party, const char *currency,
			  int64_t delta);
/* qsort order of balance rows: by currency, then party. */
int corridor_positions_order(const void *a, const void *b);
/* Adds delta to the trial balance of (party, currency). */
int corridor_trial_balance_add(struct corridor_kv *kv, const char *party, const char *currency,
			 int64_t delta);
/* The first day of contract c's first period with no standing invoice. */
int32_t corridor_first_unsettled_day(struct corridor_kv *kv, const struct corridor_contract *c);

/* Reads a party's roles from the state (0 and CORRIDOR_E_NOTFOUND if none). */
int corridor_party_roles(struct corridor_kv *kv, const char *id, unsigned *roles);
/* The idempotency index: key = author || 0 || kind || 0 || idempotency key. */
size_t corridor_idem_key(const char *author, const char *kind, const char *idem, size_t idem_len,
			 uint8_t *out);
/* The seq that used idempotency key `idem` of `author` for `kind` (the one
 * lookup appends, dry runs, imports and the kinds share): 0 with *seq set,
 * CORRIDOR_E_NOTFOUND, CORRIDOR_E_LIMIT (too long for a table key), or
 * CORRIDOR_E_STORAGE. */
int corridor_idem_lookup(struct corridor_kv *kv, const char *author, const char *kind,
			 const char *idem, size_t idem_len, uint64_t *seq);
/* Records that `seq` used it. */
int corridor_idem_record(struct corridor_kv *kv, const char *author, const char *kind,
			 const char *idem, size_t idem_len, uint64_t seq);
/* Checks an idempotency key: 1..CORRIDOR_IDEM_BYTES_MAX bytes, UTF-8, printable. */
int corridor_idem_check(const char *s, size_t len, struct corridor_diag *diag);
/* The idempotency key of a statement whose author gave none: its kind's
 * natural identity (identity.c). False: the kind has none (a memo). */
bool corridor_natural_key(const char *kind, const uint8_t *body, size_t len,
			  char out[CORRIDOR_IDEM_BYTES_MAX + 1]);
/* A fresh key for a statement without identity: "random:" + 32 hex digits. */
void corridor_random_key(char out[CORRIDOR_IDEM_BYTES_MAX + 1]);


/* ---- shared records and helpers ---- */

/* An entry's body being read by a kind: field lookups report through diag. */
struct kind_body {
	const struct corridor_entry *e;
	struct corridor_diag *diag;
};
#define CORRIDOR_RATE_VALUE_BYTES 24u
_Static_assert(CORRIDOR_RATE_VALUE_BYTES == 8u + 8u + 8u, "a rate: rate_e8, seq, corrected seq");
/* The currencies every ledger knows, with 2 decimals (SETTLEMENT.md). */
#define CORRIDOR_CURRENCIES_PREDEFINED 4u
#define CORRIDOR_PREDEFINED_DECIMALS 2u
extern const char *const corridor_currencies_predefined[CORRIDOR_CURRENCIES_PREDEFINED];
/* A payment reference: 1..CORRIDOR_REFERENCE_BYTES_MAX bytes of UTF-8, no
 * control characters. */
bool corridor_reference_ok(const char *s);
/* What a contract has settled for one period (STATE_SETTLED). */
struct settled_rec {
	bool standing;
	uint64_t batch;
	int64_t invoiced; /* subtotal invoiced for the period, adjustments included */
	int64_t rate_e8;  /* 0: no conversion */
	bool inverse;
	uint32_t open_adjustments; /* standing later batches adjusting this period */
	uint32_t reversals;
	char id[CORRIDOR_INVOICE_ID_BYTES_MAX + 1];
};
#define SETTLED_FIXED 34u
_Static_assert(SETTLED_FIXED == 1u + 8u + 8u + 8u + 1u + 4u + 4u,
	       "settled: standing, batch, invoiced, rate, inverse, open adjustments, reversals");

/* An invoice's record (STATE_INVOICES). */
struct inv_rec {
	uint64_t seq, batch;
	int32_t period, issue, due;
	int64_t total;
	bool reversed;
	char contract[CORRIDOR_PARTY_ID_BYTES_MAX + 1], seller[CORRIDOR_PARTY_ID_BYTES_MAX + 1],
		buyer[CORRIDOR_PARTY_ID_BYTES_MAX + 1], currency[4];
};
#define INVREC_FIXED 37u
_Static_assert(INVREC_FIXED == 8u + 8u + 4u + 4u + 4u + 8u + 1u,
	       "an invoice record: seq, batch, period, issue, due, total, reversed");

/* What a settlement computation collects (corridor_batch_compute). */
struct settle_run {
	struct corridor_kv *kv;
	int32_t P;
	struct corridor_batch *b;
	size_t cap;
	struct corridor_diag *diag;
};

/* A batch in progress or closed (STATE_BATCHES header). */
struct batch_hdr {
	bool reversed;
	uint32_t count, seen;
	char last_id[CORRIDOR_INVOICE_ID_BYTES_MAX + 1];
	crypto_hash_sha256_state hs;
	const uint8_t *body; /* the summary's body */
	size_t body_len;
};
/* A SHA-256 computation in progress, as bytes (docs/FORMAT.md "batches"):
 * H0..H7 (le32 each), the count of bits hashed (le64), the 64-byte block
 * buffer of which the first (bits / 8) mod 64 bytes are pending input. */
#define SHA256_MIDSTATE_BYTES (8u * 4u + 8u + 64u)
#define HDR_FIXED (1u + 4u + 4u + 1u + CORRIDOR_INVOICE_ID_BYTES_MAX + SHA256_MIDSTATE_BYTES)
_Static_assert(SHA256_MIDSTATE_BYTES == sizeof(crypto_hash_sha256_state),
	       "the midstate's bytes hold libsodium's whole SHA-256 state");

/* What a reversal collects from a period's batches (corridor_batch_latest,
 * corridor_batch_parts). */
struct rev_scan {
	struct corridor_kv *kv;
	int32_t P;
	uint64_t latest;      /* standing batch with the highest seq */
	char (*ids)[CORRIDOR_INVOICE_ID_BYTES_MAX + 1];
	size_t nids;
	struct {
		char contract[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
		int32_t period;
		int64_t delta;
	} *adj;
	size_t nadj;
};

/* ---- body.c ---- */

/* "<kind>: <message>" for entry b->e, as a verification failure. */
int corridor_body_bad(const struct kind_body *b, const char *fmt, ...) CORRIDOR_PRINTF(2, 3);
/* Every field of the body is one of `allowed` (a NULL-terminated list). */
int corridor_body_fields(const struct kind_body *b, const char *const *allowed);
/* Reads a str field into out (NUL-terminated, at most max bytes). */
int corridor_body_str(const struct kind_body *b, const char *name, bool required, char *out, size_t max,
		     bool *present);
int corridor_body_bin32(const struct kind_body *b, const char *name, uint8_t out[32]);
int corridor_body_uint(const struct kind_body *b, const char *name, uint64_t *out);

/* ---- deliveries.c ---- */

bool corridor_meter_id_ok(const char *m);

/* ---- parties.c ---- */

int corridor_kind_genesis(struct kind_state *st, const struct corridor_entry *e,
			   uint8_t pub[CORRIDOR_PUBLIC_KEY_BYTES], struct corridor_diag *diag);
int corridor_kind_party_register(struct kind_state *st, const struct kind_body *b);
int corridor_kind_key_rotate(struct kind_state *st, const struct kind_body *b,
			      struct key_record *signing);
int corridor_kind_key_revoke(struct kind_state *st, const struct kind_body *b, const char *party,
			      uint64_t key_id);
int corridor_kind_key_add(struct kind_state *st, const struct kind_body *b);
int corridor_kind_attest(struct kind_state *st, const struct kind_body *b);
int corridor_kind_memo(const struct kind_body *b);

/* ---- rules.c ---- */

void corridor_period_text(int32_t first_day, char out[8]);
bool corridor_period_parse(const msgpack_object *o, int32_t *first_day);
int32_t corridor_period_last_day(int32_t first_day);
int32_t corridor_period_next(int32_t first_day);
int32_t corridor_period_of(int32_t day);
/* The invoice of contract c for run->P, or *none if c has nothing for P. */
int corridor_invoice_compute(struct settle_run *run, const struct corridor_contract *c,
			   struct corridor_invoice *inv, bool *none);
/* SETTLEMENT.md "Netting" and the per-currency totals, from positions and the
 * invoices' totals;
 positions are sorted by currency, then party. */
int corridor_netting_compute(struct corridor_balance *ps, size_t n, struct corridor_batch *b);
int corridor_batch_total_add(struct corridor_batch *b, const char *cur, int64_t amount);

/* A batch summary's computed_at {root bin 32, size uint}: *size 0 when it
 * has none; false if it is there but malformed. */
bool corridor_batch_computed_at(const msgpack_object *o, uint64_t *size,
				uint8_t root[CORRIDOR_HASH_BYTES]);

/* ---- tables.c ---- */

/* Parses a canonical array of role names (canonical order, no repeats). */
int corridor_roles_from_array(const uint8_t *v, size_t vlen, unsigned *roles);
int corridor_contract_record_decode(const uint8_t *buf, size_t len, struct corridor_contract *c);
int corridor_contract_record_put(struct corridor_kv *kv, const struct corridor_contract *c);
int corridor_reading_decode(uint64_t seq, const uint8_t *v, size_t len, struct corridor_delivery *d);
int corridor_reading_get(struct corridor_kv *kv, uint64_t seq, struct corridor_delivery *d);
/* Stores a reading by seq (STATE_DELIVERIES). */
int corridor_reading_put(struct corridor_kv *kv, uint64_t seq, const struct corridor_delivery *d);
int corridor_bucket_append(struct corridor_kv *kv, const struct corridor_delivery *d,
			 int32_t offset_min);
size_t corridor_rate_key(const char *source, const char *base, const char *quote, int32_t day,
		       uint8_t *out);
int corridor_settled_get(struct corridor_kv *kv, const char *contract, int32_t period,
		       struct settled_rec *s);
int corridor_settled_put(struct corridor_kv *kv, const char *contract, int32_t period,
		       const struct settled_rec *s);
int corridor_invrec_get(struct corridor_kv *kv, const char *id, struct inv_rec *r);
int corridor_invrec_put(struct corridor_kv *kv, const char *id, const struct inv_rec *r);
int corridor_payment_rec_decode(uint64_t seq, const uint8_t *v, size_t vlen, struct corridor_payment *p);
int corridor_payment_rec_put(struct corridor_kv *kv, const struct corridor_payment *p);
int corridor_payment_rec_get(struct corridor_kv *kv, uint64_t seq, struct corridor_payment *p);

/* ---- settle.c ---- */

/* batch keys */
size_t corridor_batch_key(int32_t period, uint64_t seq, char tag, const char *name, size_t nlen,
			uint8_t *out);
int corridor_batch_hdr_get(struct corridor_kv *kv, int32_t period, uint64_t seq, struct batch_hdr *h);
int corridor_batch_open_get(struct corridor_kv *kv, uint64_t *seq);
bool corridor_field_i64(const msgpack_object *m, const char *k, int64_t *out);
bool corridor_field_u64(const msgpack_object *m, const char *k, uint64_t *out);
/* Decodes an invoice body (already canonical). */
int corridor_invoice_decode(const msgpack_object *o, struct corridor_invoice *inv);
int corridor_batch_latest(void *vctx, const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen);
int corridor_batch_parts(void *vctx, const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen);
/* Computes the batch of period P from the state in kv (of one contract, or
 * of every one); no invoices -> NOTFOUND. A contract whose own computation
 * fails is left out and listed in b->unsettled, and so is a transit contract
 * carrying one; storage and memory errors stop the run, and so do missing
 * rates (every one listed). at_size/at_root: the tree the state in kv is
 * of, named in the summary (computed_at; 0: not named). progress (NULL:
 * none) hears the contracts computed of all there are. */
int corridor_batch_compute(struct corridor_kv *kv, int32_t P, const char *only,
			   uint64_t at_size, const uint8_t at_root[CORRIDOR_HASH_BYTES],
			   corridor_progress_fn progress, void *progress_ctx,
			   struct corridor_batch *b, struct corridor_diag *diag);

/* ---- tables.c ---- */

/* Decodes a party record (value of the parties table) and loads its keys. */
int corridor_party_record_decode(struct corridor_kv *kv, const uint8_t *v, size_t vlen,
			struct corridor_party *out);

/* Every payment of the ledger in seq order (at most CORRIDOR_PAYMENT_ROWS_MAX);
 * the caller frees rows->p. */
#define CORRIDOR_PAYMENT_ROWS_MAX 10000000u
struct corridor_payment_rows {
	struct corridor_payment *p;
	size_t n;
};
int corridor_payments_all(struct corridor_kv *kv, struct corridor_payment_rows *rows);

/* ---- rules.c ---- */

/* The id without a re-issue suffix "-r<n>". */
size_t corridor_invoice_base_len(const char *id);

/* Where a month's billable quantity stands against the contract's band
 * (SETTLEMENT.md "Take-or-pay"): the band prorated to the days of the term
 * in the month, and the shortfall below the minimum or the excess above the
 * maximum (at most one of them is not 0). CORRIDOR_E_OVERFLOW. */
struct corridor_band {
	bool has_min, has_max;
	int64_t min_milli, max_milli;
	int64_t shortfall_milli, excess_milli;
};
int corridor_band_position(const struct corridor_contract_terms *t, int32_t first_day,
			   int64_t billable_milli, struct corridor_band *out);

#endif
