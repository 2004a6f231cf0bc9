/*
 * formats.h — the codecs' own interface: bytes <-> public or formats types,
 * with no ledger access. Includes nothing from core/. Not part of the API.
 */
#ifndef CORRIDOR_FORMATS_H
#define CORRIDOR_FORMATS_H

#include <stdio.h>
#include <msgpack.h>

#include "../base/base.h"

/* ---- markup (formats/encoding.c) ---- */

/* s as XML or HTML text or attribute value: & < > " ' as references, a
 * control character other than newline and tab as U+FFFD (never raw). */
void corridor_markup_put(FILE *f, const char *s);

/* ---- msgpack pre-scan (formats/mpscan.c) ---- */

#define CORRIDOR_MPSCAN_CHILDREN_MAX 64u
/* What the pre-scan learns about the top-level value. */
struct corridor_mpscan {
	size_t elements;         /* values in total (containers included) */
	size_t children;         /* direct children of a top-level container */
	size_t child_off[CORRIDOR_MPSCAN_CHILDREN_MAX + 1]; /* their offsets, then the end */
};
/* Walks exactly one msgpack value occupying buf[0, len): every declared count
 * and length must fit the bytes that remain, depth <= depth_max, and floats,
 * nil, ext and the never-used 0xc1 are refused. No allocation. */
int corridor_mpscan(const uint8_t *buf, size_t len, unsigned depth_max,
		    struct corridor_mpscan *out, struct corridor_diag *diag);
/* The same for the value at the start of buf; *consumed receives its length. */
int corridor_mpscan_prefix(const uint8_t *buf, size_t len, unsigned depth_max,
			   struct corridor_mpscan *out, size_t *consumed,
			   struct corridor_diag *diag);


/* ---- role names (formats/roles.c) ---- */

/* Role names by bit (CORRIDOR_ROLE_*), in canonical order. */
extern const char *const corridor_role_names[7];

/* ---- CSV (formats/csv.c): strict RFC 4180 with positions ---- */

struct corridor_csv {
	const char *buf;
	size_t len, pos;
	unsigned line, col;  /* where the reader is */
	unsigned record_line; /* where the last record started */
};
struct corridor_csv_field {
	const char *text; /* NUL-terminated, inside the caller's scratch */
	size_t len;
	unsigned line, col;
};
void corridor_csv_init(struct corridor_csv *c, const char *buf, size_t len);
/* Reads the next record into fields (at most max), the text copied into
 * scratch. CORRIDOR_E_NOTFOUND at the end of the input; errors name the line
 * and column. */
int corridor_csv_record(struct corridor_csv *c, struct corridor_csv_field *fields, size_t max,
			size_t *count, char *scratch, size_t scratch_cap, struct corridor_diag *diag);

/* Reads the header record: each field one of names[0, ncols) at most once,
 * the first nrequired all present. map[k] receives the column of names[k]
 * (-1 if absent), *width the number of columns. */
#define CORRIDOR_CSV_HEADER_FIELDS_MAX 16u
#define CORRIDOR_CSV_HEADER_BYTES_MAX 1024u
int corridor_csv_header(struct corridor_csv *c, const char *const *names, int ncols,
			int nrequired, int *map, size_t *width, struct corridor_diag *diag);

/* ---- msgpack output (formats/entry.c) ---- */

/* A msgpack-c writer into a fixed buffer; `overflow` is set if it did not fit. */
struct corridor_mpbuf {
	uint8_t *buf;
	size_t cap, len;
	bool overflow;
};
int corridor_mpbuf_write(void *data, const char *bytes, size_t n);
void corridor_mpbuf_init(struct corridor_mpbuf *w, msgpack_packer *pk, uint8_t *buf, size_t cap);
void corridor_mp_pack_str(msgpack_packer *pk, const char *s, size_t n);
/* A NUL-terminated string; a date as YYYY-MM-DD. */
void corridor_mp_cstr(msgpack_packer *pk, const char *s);
void corridor_mp_date(msgpack_packer *pk, int32_t day);
/* Reading a decoded (canonical) msgpack object: a map's field by string key,
 * a str into a buffer (false if absent, another type or too long), integers. */
const msgpack_object *corridor_mpo_field(const msgpack_object *map, const char *key);
bool corridor_mpo_str(const msgpack_object *o, char *out, size_t cap);
/* Every key of map o is one of `allowed` (NULL-terminated). */
bool corridor_mpo_fields_only(const msgpack_object *o, const char *const *allowed);
/* A YYYY-MM-DD string as days since 1970-01-01. */
bool corridor_mpo_date(const msgpack_object *o, int32_t *day);
bool corridor_mpo_uint(const msgpack_object *o, uint64_t max, uint64_t *out);
bool corridor_mpo_int(const msgpack_object *o, int64_t *out);

/* ---- entries (formats/entry.c) ---- */

/* Encodes the content map (keys 0-7) of an entry into buf (cap bytes).
 * body must be one canonical map. Returns the length, or 0 if it does not fit. */
size_t corridor_entry_encode_content(uint64_t seq, const uint8_t prev[CORRIDOR_HASH_BYTES],
				     uint64_t time_us, const char *kind, const char *author,
				     uint32_t key_id, const uint8_t *body, size_t body_len,
				     uint8_t *buf, size_t cap);
/* The first byte of a content map (fixmap of 8 pairs, keys 0-7) and of an
 * entry (fixmap of 9: the content's pairs, then 8 = the signature). */
#define CORRIDOR_CONTENT_MAP_HEADER 0x88u
#define CORRIDOR_ENTRY_MAP_HEADER 0x89u
/* The content hash (what the next entry's prev holds) of a content map as
 * corridor_entry_encode_content wrote it; equal to corridor_entry_content_hash
 * of the sealed entry. */
void corridor_content_hash(const uint8_t *content, size_t content_len,
			   uint8_t out[CORRIDOR_HASH_BYTES]);
/* Pre-scans, unpacks and re-encodes buf[0, len): exactly one value in shortest
 * canonical form, no float, nil, ext or duplicate key. On success u holds
 * the object (the caller destroys it). */
int corridor_mp_decode_canonical(const uint8_t *buf, size_t len, unsigned depth_max,
				 struct corridor_mpscan *scan, msgpack_unpacked *u,
				 struct corridor_diag *diag);
/* Builds the full entry (keys 0-8) from its content map and signature into
 * out (cap bytes). Returns the length, or 0 if it does not fit. */
size_t corridor_entry_seal(const uint8_t *content, size_t content_len,
			   const uint8_t sig[CORRIDOR_SIGNATURE_BYTES], uint8_t *out, size_t cap);
/* The message an entry signature covers: prefix || content map. `msg` needs
 * CORRIDOR_ENTRY_BYTES_MAX + 32 bytes. Returns its length. */
size_t corridor_entry_sig_message(const uint8_t *content, size_t content_len, uint8_t *msg);
#define CORRIDOR_SIG_MSG_BYTES_MAX (CORRIDOR_ENTRY_BYTES_MAX + 32u)
/* The message the author's signature of a decoded entry covers, either
 * version, into msg (CORRIDOR_SIG_MSG_BYTES_MAX bytes). Returns its length. */
size_t corridor_entry_signed_message(const uint8_t *buf, const struct corridor_entry *e,
				     uint8_t *msg);
/* The version 2 entry of a signed statement at seq (0 if it does not fit cap
 * or 65,535 bytes). */
size_t corridor_entry_encode_v2(uint64_t seq, const uint8_t prev[CORRIDOR_HASH_BYTES],
				uint64_t time_us, const uint8_t *statement, size_t statement_len,
				uint8_t *out, size_t cap);
#define CORRIDOR_STATEMENT_MAP_HEADER 0x89u
/* A signed statement's last field: key 9, bin8 header, the signature. */
#define CORRIDOR_STATEMENT_SIG_FIELD_BYTES (3u + CORRIDOR_SIGNATURE_BYTES)
/* A statement in two steps, so that signing can run on other threads: build
 * checks every field and writes the signed statement's bytes up to its
 * signature (*content_len of them, room for the signature left in cap);
 * finish signs them with `signer` (whose vkey build was given), appends the
 * signature and returns the signed statement's length. msg: scratch of
 * CORRIDOR_SIG_MSG_BYTES_MAX bytes. corridor_statement_sign is the two. */
int corridor_statement_build(const struct corridor_vkey *vk, const char *origin, const char *kind,
			     const char *idem, uint64_t created_us, uint64_t expires_us,
			     const uint8_t *body, size_t body_len, uint8_t *out, size_t cap,
			     size_t *content_len, struct corridor_diag *diag);
size_t corridor_statement_finish(const struct corridor_signer *signer, uint8_t *out,
				 size_t content_len, uint8_t *msg);

/* Looks up a string-keyed field of a canonical map (as decoded by
 * corridor_entry_decode's body). Returns a pointer to the value's bytes and its
 * length, or NULL. */
const uint8_t *corridor_map_find(const uint8_t *map, size_t len, const char *key,
				 size_t *value_len);
/* The canonical map without its string key `key` into out (cap bytes): its
 * length, or 0 if the map has no such key (or it does not fit). */
size_t corridor_map_without(const uint8_t *map, size_t len, const char *key, uint8_t *out,
			    size_t cap);
/* Reads a str value. Returns 0 or CORRIDOR_E_MALFORMED. */
int corridor_mp_str(const uint8_t *v, size_t len, const char **s, size_t *slen);
/* Reads a bin value. */
int corridor_mp_bin(const uint8_t *v, size_t len, const uint8_t **b, size_t *blen);
/* Reads a uint value (shortest form). */
int corridor_mp_uint(const uint8_t *v, size_t len, uint64_t *out);


/* ---- ISO 20022 camt.053 statements (formats/camt053.c) ---- */

/* One booked (or not) transaction of a statement: an entry, or one of a batch
 * entry's TxDtls. Texts are as written (amount: a decimal string). */
struct corridor_camt_tx {
	char account_iban[35];
	char currency[4];
	char amount[40];
	bool credit, reversal, booked;
	int32_t value_day;
	char entry_ref[36]; /* Ntry/AcctSvcrRef */
	char tx_ref[36];    /* TxDtls/Refs/AcctSvcrRef */
	unsigned statement_no, entry_no, tx_no, line;
	char end_to_end[36], creditor_ref[36], remittance[141];
	char counterparty_iban[35], counterparty_name[141];
};
int corridor_camt053_parse(const char *xml, size_t len, struct corridor_camt_tx **out,
			   size_t *count, struct corridor_diag *diag);

/* ---- IEC 62325-451-n Measurement Value Document (formats/cim.c) ---- */

#define CORRIDOR_MVD_NS "urn:iec62325.351:tc57wg16:451-n:measurementvaluedocument:1:1"
#define CORRIDOR_MVD_SERIES_MAX 100000u   /* TimeSeries in one document */
#define CORRIDOR_MVD_POINTS_MAX 10000000u /* intervals in one document */
#define CORRIDOR_MVD_ID_BYTES_MAX 60u     /* mRID, marketEvaluationPoint */
#define CORRIDOR_MVD_PARTY_BYTES_MAX 16u  /* sender, receiver (EIC) */
#define CORRIDOR_MVD_AREA_BYTES_MAX 18u   /* domains (EIC) */
enum corridor_mvd_unit { CORRIDOR_MVD_KWH = 1, CORRIDOR_MVD_MWH = 2 };
/* One interval of a series: a Point, or one position of an A03 block. */
struct corridor_mvd_point {
	int64_t start_s;
	uint32_t resolution_s; /* 900, 1800 or 3600 */
	unsigned line;         /* the Point's line */
	int64_t quantity_micro; /* millionths of the series' unit; 0 if missing */
	char quality;          /* A E M J I C T (docs/DELIVERIES.md) */
};
struct corridor_mvd_series {
	char mrid[CORRIDOR_MVD_ID_BYTES_MAX + 1];
	char point[CORRIDOR_MVD_ID_BYTES_MAX + 1]; /* marketEvaluationPoint; "" if none */
	char in_domain[CORRIDOR_MVD_AREA_BYTES_MAX + 1], out_domain[CORRIDOR_MVD_AREA_BYTES_MAX + 1];
	enum corridor_mvd_unit unit;
	unsigned line;
	size_t first, count; /* into points[], by start */
};
struct corridor_mvd {
	char mrid[CORRIDOR_MVD_ID_BYTES_MAX + 1];
	unsigned revision; /* 1..999 */
	char sender[CORRIDOR_MVD_PARTY_BYTES_MAX + 1], receiver[CORRIDOR_MVD_PARTY_BYTES_MAX + 1];
	char domain[CORRIDOR_MVD_AREA_BYTES_MAX + 1];
	int64_t created_s, start_s, end_s;
	struct corridor_mvd_series *series;
	size_t nseries;
	struct corridor_mvd_point *points;
	size_t npoints;
};
/* Reads a document (docs/DELIVERIES.md "Measurement Value Document"): the
 * root, namespace, type A45 and process A20 checked, every Period placed by
 * its interval and resolution, positions checked against the curve type
 * (A01: each exactly once; A03: blocks from position 1, each position taking
 * its block's value), units KWH or MWH, quantities exact to 6 decimals.
 * Errors name the line and element. On success the caller releases *out. */
int corridor_mvd_parse(const char *xml, size_t len, struct corridor_mvd *out,
		       struct corridor_diag *diag);
void corridor_mvd_release(struct corridor_mvd *doc);
/* Writes a document valid against the schema: one Period per UTC day and
 * resolution of each series, curve type A01, intervals without a point as
 * quality A02 (not available). Quantities are written with 3 decimals.
 * Points of a series must be sorted by start and not overlap. Errors:
 * CORRIDOR_E_IO. */
int corridor_mvd_write(FILE *f, const struct corridor_mvd *doc, struct corridor_diag *diag);
/* The map from a document's identifiers to contracts and meters: a CSV
 * with header point,in_domain,out_domain,contract,meter (any order). A row
 * with a point maps the series naming that marketEvaluationPoint; a row
 * without one maps the series naming no point with those domains. */
#define CORRIDOR_MVD_MAP_ROWS_MAX 100000u
struct corridor_mvd_map_row {
	unsigned line;
	char point[CORRIDOR_MVD_ID_BYTES_MAX + 1];
	char in_domain[CORRIDOR_MVD_AREA_BYTES_MAX + 1], out_domain[CORRIDOR_MVD_AREA_BYTES_MAX + 1];
	char contract[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
	char meter[CORRIDOR_METER_ID_BYTES_MAX + 1];
};
int corridor_mvd_map_parse(const char *csv, size_t len, struct corridor_mvd_map_row **out,
			   size_t *count, struct corridor_diag *diag);
/* A readings CSV as the delivery importer reads it (RFC 4180, CRLF):
 * the header, then one row per reading. */
void corridor_delivery_csv_header(FILE *f);
void corridor_delivery_csv_row(FILE *f, const struct corridor_delivery *d, const char *reference);
/* The CIM quality code for a Corridor quality, and back (0 if none). */
const char *corridor_mvd_quality_code(char quality);

/* ---- contract terms (formats/terms.c) ---- */

/* "gas", "power", "transit" by enum corridor_commodity (index 0 unused). */
extern const char *const corridor_commodity_names[4];
/* Packs terms as the canonical map of the log (keys in byte order). */
void corridor_terms_pack(msgpack_packer *pk, const struct corridor_contract_terms *t);
/* Reads terms from a canonical map; 0 or CORRIDOR_E_MALFORMED. The caller
 * validates them (corridor_contract_validate). */
int corridor_terms_decode(const msgpack_object *o, struct corridor_contract_terms *t);
/* Decodes a contract JSON file (CONTRACTS.md): fields, types and decimals.
 * CORRIDOR_E_LIMIT (too large), _MALFORMED (not JSON), _INVALID (a field).
 * Does not validate the terms as a whole. */
int corridor_terms_json_decode(const char *json, size_t len, struct corridor_contract_terms *t,
			       struct corridor_diag *diag);

/* ---- the accounting journal (formats/journal.c) ---- */

#include <stdio.h>
struct corridor_journal_currency {
	char code[4];
	unsigned decimals;
};
struct corridor_journal_invoice {
	char id[CORRIDOR_INVOICE_ID_BYTES_MAX + 1];
	char contract[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
	char seller[CORRIDOR_PARTY_ID_BYTES_MAX + 1], buyer[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
	char currency[4]; /* the settlement currency */
	int32_t period_day, issue_day;
	int64_t total_minor;
	int32_t reversed_day; /* the day its batch was reversed; -1 while it stands */
};
struct corridor_journal_payment {
	uint64_t seq;
	char payer[CORRIDOR_PARTY_ID_BYTES_MAX + 1], payee[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
	char currency[4];
	int64_t amount_minor;
	int32_t value_day;
	char reference[CORRIDOR_REFERENCE_BYTES_MAX + 1];
	int32_t reversed_day; /* -1 while it stands */
};
/* A fixing a settlement used: 1 base = rate_e8 / 10^8 quote on `day`. */
struct corridor_journal_price {
	int32_t day;
	char base[4], quote[4];
	int64_t rate_e8;
};
#define CORRIDOR_JOURNAL_ACCOUNTS_MAX 65536u
/* What a journal holds: invoices and payments (reversed ones too), the
 * prices used; party NULL: the clearing view (an account per party), else
 * that party's books. */
struct corridor_journal {
	const struct corridor_journal_currency *currencies;
	size_t ncurrencies;
	const struct corridor_journal_invoice *invoices;
	size_t ninvoices;
	const struct corridor_journal_payment *payments;
	size_t npayments;
	const struct corridor_journal_price *prices;
	size_t nprices;
	const char *party;
};
/* Writes the journal (SETTLEMENT.md "Journal") to f. Errors: CORRIDOR_E_IO
 * (f reports an error), CORRIDOR_E_NOMEM, CORRIDOR_E_LIMIT (more accounts
 * than CORRIDOR_JOURNAL_ACCOUNTS_MAX). */
int corridor_journal_write(FILE *f, const struct corridor_journal *j);

/* ---- the import rows (formats/rows.c) ---- */

/* Three uppercase ASCII letters (the shape of an ISO 4217 code). */
bool corridor_currency_code_ok(const char *code);

#define CORRIDOR_ROW_FIELDS_MAX 16u
#define CORRIDOR_ROW_BYTES_MAX 4096u
/* ---- delivery.series bodies (formats/series.c) ---- */

/* A point's quality code (A E M J I C T) and a series resolution (900, 1800,
 * 3600 seconds). */
bool corridor_quality_ok(char q);
bool corridor_resolution_ok(int64_t resolution_s);
/* The canonical body of s; 0 if it does not fit in cap. */
size_t corridor_series_body(const struct corridor_series *s, uint8_t *buf, size_t cap);
/* A decoded body's fields, their types and counts: 0, or -1. */
int corridor_series_decode(const msgpack_object *o, struct corridor_series *s);
/* The largest series body: 96 points of at most 9 bytes each, and the rest. */
#define CORRIDOR_SERIES_BODY_BYTES_MAX 1280u

enum corridor_dcol {
	CORRIDOR_DCOL_CONTRACT, CORRIDOR_DCOL_START, CORRIDOR_DCOL_END, CORRIDOR_DCOL_QUANTITY,
	CORRIDOR_DCOL_METER, CORRIDOR_DCOL_REFERENCE, CORRIDOR_DCOL_QUALITY, CORRIDOR_DCOLS
};
/* A delivery CSV being read: its header's column map, then record by record. */
struct corridor_delivery_csv {
	struct corridor_csv c;
	int map[CORRIDOR_DCOLS];
	bool has_quality;
	size_t want;
	struct corridor_csv_field fields[CORRIDOR_ROW_FIELDS_MAX];
	char scratch[CORRIDOR_ROW_BYTES_MAX];
};
/* One decoded row; r's strings point into it. */
struct corridor_delivery_row {
	unsigned line;
	char contract[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
	char meter[CORRIDOR_METER_ID_BYTES_MAX + 1];
	char reference[CORRIDOR_IDEM_BYTES_MAX + 1];
	struct corridor_delivery_request r;
};
/* Reads the header (contract, start, end, quantity, meter, reference and an
 * optional quality, in any order). */
int corridor_delivery_csv_open(struct corridor_delivery_csv *d, const char *csv, size_t len,
			       struct corridor_diag *diag);
/* The next row: 0, CORRIDOR_E_NOTFOUND at the end, or an error naming its
 * line and column. Blank lines are skipped. */
int corridor_delivery_csv_next(struct corridor_delivery_csv *d, struct corridor_delivery_row *row,
			       struct corridor_diag *diag);

#define CORRIDOR_RATE_ROW_FIELDS_MAX 8u
#define CORRIDOR_RATE_ROW_BYTES_MAX 1024u
/* A rates CSV (base, quote, date, rate, source) being read. */
struct corridor_rate_csv {
	struct corridor_csv c;
	int map[5];
	struct corridor_csv_field fields[CORRIDOR_RATE_ROW_FIELDS_MAX];
	char scratch[CORRIDOR_RATE_ROW_BYTES_MAX];
};
int corridor_rate_csv_open(struct corridor_rate_csv *d, const char *csv, size_t len,
			   struct corridor_diag *diag);
/* The next rate and its line: 0, CORRIDOR_E_NOTFOUND at the end, or an error. */
int corridor_rate_csv_next(struct corridor_rate_csv *d, struct corridor_rate *r, unsigned *line,
			   struct corridor_diag *diag);

/* ---- keys (formats/keys.c) ---- */

#define CORRIDOR_SEED_BYTES 32u
/* A signer for key `name` from a 32-byte Ed25519 seed. CORRIDOR_E_INVALID
 * (a name signed-note does not allow) or CORRIDOR_E_NOMEM. */
int corridor_signer_new(const char *name, const uint8_t seed[CORRIDOR_SEED_BYTES],
			struct corridor_signer **out);

#endif
