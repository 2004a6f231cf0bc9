/*
 * internal.h — helpers shared by core/ and formats/; not part of the API.
 */
#ifndef CORRIDOR_INTERNAL_H
#define CORRIDOR_INTERNAL_H

#include <assert.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "corridor/corridor.h"

#if defined(__GNUC__) || defined(__clang__)
#define CORRIDOR_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CORRIDOR_PRINTF(a, b)
#endif

/* Invariant checks stay on in release builds: a broken invariant in a ledger
 * is worse than a crash. */
#define CORRIDOR_ASSERT(cond)                                                          \
	do {                                                                           \
		if (!(cond))                                                           \
			corridor_bug(__FILE__, __LINE__, #cond);                       \
	} while (0)
_Noreturn void corridor_bug(const char *file, int line, const char *what);

/* Sets diag->text (if diag is non-NULL) and returns err. */
int corridor_diag_set(struct corridor_diag *diag, int err, const char *fmt, ...)
	CORRIDOR_PRINTF(3, 4);
/* Same, and records the seq concerned. */
int corridor_diag_seq(struct corridor_diag *diag, int err, uint64_t seq, const char *fmt, ...)
	CORRIDOR_PRINTF(4, 5);

static inline void corridor_be64_put(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)(v & 0xffu);
		v >>= 8;
	}
}
static inline uint64_t corridor_be64_get(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}
static inline void corridor_be32_put(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}
static inline uint32_t corridor_be32_get(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}


/* Reads a whole file (at most max_bytes) into a malloc'd, NUL-terminated buffer. */
int corridor_read_file(const char *path, size_t max_bytes, uint8_t **out, size_t *out_len,
		       struct corridor_diag *diag);

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

/* ---- parallel for (core/parallel.c) ---- */

/* Calls fn(ctx, worker, begin, end) on up to `threads` workers over [0, n),
 * the calling thread being worker 0. threads 0 = one per online core.
 * Returns the number of workers used. */
typedef void (*corridor_range_fn)(void *ctx, unsigned worker, size_t begin, size_t end);
unsigned corridor_parallel_for(size_t n, unsigned threads, corridor_range_fn fn, void *ctx);
unsigned corridor_cores(void);

/* Helper threads that run fn(ctx, id) with ids 1..count while the caller
 * (id 0) works too; used by pipelines whose stages hand work over through
 * atomics. Returns how many started (possibly fewer: the caller must be able
 * to finish alone). */
#include <pthread.h>
struct corridor_worker_arg {
	void (*fn)(void *ctx, unsigned id);
	void *ctx;
	unsigned id;
};
struct corridor_workers {
	unsigned count;
	pthread_t threads[CORRIDOR_THREADS_MAX];
	struct corridor_worker_arg args[CORRIDOR_THREADS_MAX];
};
unsigned corridor_workers_start(struct corridor_workers *w, unsigned count,
				void (*fn)(void *ctx, unsigned id), void *ctx);
void corridor_workers_join(struct corridor_workers *w);

/* ---- msgpack output (formats/entry.c) ---- */

#include <msgpack.h>
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
/* Builds the full entry (keys 0-8) from its content map and signature into
 * out (cap bytes). Returns the length, or 0 if it does not fit. */
size_t corridor_entry_seal(const uint8_t *content, size_t content_len,
			   const uint8_t sig[CORRIDOR_SIGNATURE_BYTES], uint8_t *out, size_t cap);
/* The message an entry signature covers: prefix || content map. `msg` needs
 * CORRIDOR_ENTRY_BYTES_MAX + 32 bytes. Returns its length. */
size_t corridor_entry_sig_message(const uint8_t *content, size_t content_len, uint8_t *msg);
#define CORRIDOR_SIG_MSG_BYTES_MAX (CORRIDOR_ENTRY_BYTES_MAX + 32u)

/* Looks up a string-keyed field of a canonical map (as decoded by
 * corridor_entry_decode's body). Returns a pointer to the value's bytes and its
 * length, or NULL. */
const uint8_t *corridor_map_find(const uint8_t *map, size_t len, const char *key,
				 size_t *value_len);
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

#endif
