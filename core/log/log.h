/*
 * ledger_internal.h — what the core's files share: the ledger handle, the key
 * registry interface, entry-kind processing and the streaming verifier.
 */
#ifndef CORRIDOR_LEDGER_INTERNAL_H
#define CORRIDOR_LEDGER_INTERNAL_H

#include <lmdb.h>
#include <pthread.h>

#include "../internal.h"
#include "../kinds/kinds.h"

#define LEDGER_FORMAT "corridor-ledger/1"
/* The layout of the derived tables (docs/FORMAT.md "Derived tables"): meta
 * "tables" holds it as be32; a ledger without it has layout 1. A writable
 * open of an older layout rebuilds every table from the entries. */
#define LEDGER_TABLES_VERSION 2u
#define MAP_BYTES_INITIAL ((size_t)64 << 20)
#define MAP_BYTES_MAX ((size_t)1 << 40)
#define WRITE_RETRIES_MAX 12u
#define TXN_BEGIN_RETRIES_MAX 8u
#define KEYS_MAX 65536u

extern const char *const corridor_state_table_names[STATE_TABLES];

struct corridor_ledger {
	MDB_env *env;
	MDB_dbi meta, entries, nodes, checkpoints, cosigned;
	MDB_dbi state[STATE_TABLES];
	char origin[CORRIDOR_NAME_BYTES_MAX + 1];
	uint64_t lifetime_max_us; /* statements' longest lifetime (the genesis's) */
	const struct corridor_remote *remote; /* a remote ledger: no environment */
	bool replica;
	bool readonly; /* opened with CORRIDOR_OPEN_READONLY: writes are refused */
	bool map_full; /* set by lmdb_err when a write ran out of map */
	/* Held shared by every transaction of this process (corridor_txn_begin
	 * to corridor_txn_abort/commit), exclusively while the map is resized:
	 * LMDB allows mdb_env_set_mapsize only with no transaction active, and
	 * threads of one process (the service's) read while one writes. */
	pthread_rwlock_t maplock;
};

/* Translates an LMDB return code; records MDB_MAP_FULL for the retry loop. */
int corridor_lmdb_err(struct corridor_ledger *l, int rc, const char *what,
		      struct corridor_diag *diag);
/* mdb_txn_begin with MDB_MAP_RESIZED and MDB_READERS_FULL handled. */
int corridor_txn_begin(struct corridor_ledger *l, unsigned flags, MDB_txn **txn,
		       struct corridor_diag *diag);
/* The ends of a transaction begun by corridor_txn_begin. */
void corridor_txn_abort(struct corridor_ledger *l, MDB_txn *txn);
int corridor_txn_commit(struct corridor_ledger *l, MDB_txn *txn);
/* Runs fn in a write transaction and commits; MDB_MAP_FULL grows the map and
 * reruns the whole of fn (bounded). fn must be re-runnable. */
typedef int (*corridor_write_fn)(struct corridor_ledger *l, MDB_txn *txn, void *ctx,
				 struct corridor_diag *diag);
int corridor_ledger_write(struct corridor_ledger *l, corridor_write_fn fn, void *ctx,
			  struct corridor_diag *diag);

/* The meta record of the genesis's statement lifetime (be64 microseconds). */
#define LEDGER_META_LIFETIME "statement_lifetime_us"
/* Records what the genesis just processed in st fixes: origin, lifetime. */
struct kind_state;
int corridor_ledger_founded_txn(struct corridor_ledger *l, MDB_txn *txn,
				const struct kind_state *st, struct corridor_diag *diag);
/* A meta record by name: LMDB's return code (MDB_NOTFOUND if none). */
int corridor_meta_get(struct corridor_ledger *l, MDB_txn *txn, const char *name, MDB_val *val);
int corridor_meta_put(struct corridor_ledger *l, MDB_txn *txn, const char *name, const void *data,
		      size_t len);

/* A read snapshot: its transaction, and the derived state over it. */
struct corridor_snapshot {
	struct corridor_ledger *l;
	MDB_txn *txn;
	struct corridor_kv *kv;
};
typedef int (*corridor_read_fn)(const struct corridor_snapshot *s, void *ctx,
				struct corridor_diag *diag);
/* Runs fn in a read transaction and closes it: what corridor_ledger_write is
 * to writes. Beginning handles MDB_MAP_RESIZED and a full reader table; a
 * negative result fn left without a message gets "cannot read the ledger";
 * a positive one (a caller's callback that stopped) passes through. */
int corridor_ledger_read(struct corridor_ledger *l, corridor_read_fn fn, void *ctx,
			 struct corridor_diag *diag);

/* Every record of a derived-state table whose key starts with prefix, in one
 * read snapshot (corridor_ledger_read over kv->scan). */
int corridor_state_scan(struct corridor_ledger *l, unsigned table, const uint8_t *prefix,
			size_t plen, corridor_kv_scan_fn fn, void *ctx, struct corridor_diag *diag);

/* The stored entry of `seq` in txn, decoded: e (and *bytes, if asked) point
 * into LMDB's pages, valid until txn ends. 0, CORRIDOR_E_NOTFOUND, or
 * CORRIDOR_E_STORAGE (it does not decode, or holds another seq). */
int corridor_entry_in(struct corridor_ledger *l, MDB_txn *txn, uint64_t seq,
		      struct corridor_entry *e, const uint8_t **bytes, size_t *len);

/* The head record in meta: size, root, content hash of the last entry, its time. */
struct ledger_head {
	uint64_t size;
	uint8_t root[CORRIDOR_HASH_BYTES];
	uint8_t tip[CORRIDOR_HASH_BYTES];
	uint64_t time_us;
	uint32_t operator_key_id;
};
#define HEAD_BYTES (8u + 32u + 32u + 8u + 4u)
_Static_assert(HEAD_BYTES == 8u + CORRIDOR_HASH_BYTES + CORRIDOR_HASH_BYTES + 8u + 4u,
	       "the head: size, root, tip, time, operator key id");
int corridor_head_get(struct corridor_ledger *l, MDB_txn *txn, struct ledger_head *h,
		      struct corridor_diag *diag);
int corridor_head_put(struct corridor_ledger *l, MDB_txn *txn, const struct ledger_head *h,
		      struct corridor_diag *diag);

/* Merkle node access through a transaction. */
struct node_ctx {
	struct corridor_ledger *l;
	MDB_txn *txn;
};
int corridor_node_get(void *ctx, unsigned level, uint64_t index, uint8_t out[CORRIDOR_HASH_BYTES]);
int corridor_node_put(void *ctx, unsigned level, uint64_t index,
		      const uint8_t hash[CORRIDOR_HASH_BYTES]);
/* The content hash of a stored entry, read through the txn of a node_ctx. */
int corridor_stored_content_hash(void *ctx, uint64_t seq, uint8_t out[CORRIDOR_HASH_BYTES]);
#define NODE_KEY_BYTES 9u
void corridor_node_key(unsigned level, uint64_t index, uint8_t key[NODE_KEY_BYTES]);

/* Reads the stored checkpoint of *size (0: the latest) in txn; *size is set to
 * its size. CORRIDOR_E_NOTFOUND (with a message) if there is none. */
/* A str or uint field of an archive's or a view's header map (canonical,
 * string keys). Errors: CORRIDOR_E_MALFORMED (absent or another type). */
int corridor_header_str(const uint8_t *h, size_t hlen, const char *key, const char **s,
			size_t *n);
int corridor_header_uint(const uint8_t *h, size_t hlen, const char *key, uint64_t *out);
int corridor_checkpoint_read(struct corridor_ledger *l, MDB_txn *txn, uint64_t *size, MDB_val *note,
			     struct corridor_diag *diag);

/* Signs the checkpoint of `head` inside `txn` and stores it by size. */
int corridor_checkpoint_sign_txn(struct corridor_ledger *l, MDB_txn *txn,
				 const struct ledger_head *head,
				 const struct corridor_signer *signer, struct corridor_diag *diag);

/* Replica creation (archive imports). */
int corridor_replica_create(const char *dir, struct corridor_ledger **out, struct corridor_diag *diag);
int corridor_replica_init_txn(struct corridor_ledger *l, MDB_txn *txn, const char *origin,
			      struct corridor_diag *diag);
/* Removes an uninitialised environment a failed create left behind. */
void corridor_env_discard(const char *dir);

/* ---- key-value tables: LMDB, memory, overlay ---- */
struct corridor_kv_lmdb {
	struct corridor_kv base;
	struct corridor_ledger *l;
	MDB_txn *txn;
};
void corridor_kv_lmdb_init(struct corridor_kv_lmdb *k, struct corridor_ledger *l, MDB_txn *txn);
struct kv_slot {
	uint8_t *key, *val;
	size_t klen, vlen;
	uint64_t hash;
};
struct corridor_kv_mem_table {
	struct kv_slot *slots;
	size_t cap, count;
};
struct corridor_kv_mem {
	struct corridor_kv base;
	struct corridor_kv_mem_table tables[STATE_TABLES];
};
void corridor_kv_mem_init(struct corridor_kv_mem *m);
void corridor_kv_mem_release(struct corridor_kv_mem *m);
int corridor_kv_compare(struct corridor_ledger *l, MDB_txn *txn, struct corridor_kv_mem *m,
			struct corridor_diag *diag);
/* Reads fall through to `under`; writes stay in memory: a dry run of kinds
 * against the real state that changes nothing. */
struct corridor_kv_overlay {
	struct corridor_kv base;
	struct corridor_kv *under;
	struct corridor_kv_mem top;
};
void corridor_kv_overlay_init(struct corridor_kv_overlay *o, struct corridor_kv *under);
void corridor_kv_overlay_release(struct corridor_kv_overlay *o);


/* The meter report of contract record c for the month at first_day, from the
 * month index (reports.c); out->contract is c's id. */
/* Checks every reading the buckets of `contract` hold for [first_day,
 * first_day + days) against the signed entry it names (inputs.c). */
int corridor_readings_verify(struct corridor_ledger *l, MDB_txn *txn, struct corridor_kv *kv,
			     const char *contract, int32_t first_day, int32_t days,
			     int32_t offset_min, struct corridor_diag *diag);
/* Every derived input of a computed batch against its signed entry (settle.c). */
struct corridor_batch;
int corridor_settle_inputs_check(struct corridor_ledger *l, MDB_txn *txn, struct corridor_kv *kv,
				 const struct corridor_batch *b, struct corridor_diag *diag);
/* The same for one indexed rate. */
int corridor_rate_verify(struct corridor_ledger *l, MDB_txn *txn, struct corridor_kv *kv,
			 const struct corridor_rate *r, struct corridor_diag *diag);
/* Builds the entry a draft would be at `seq` (the envelope without its signature)
 * and runs corridor_kind_process on it: the one check appends and dry runs share. */
struct draft;
int corridor_draft_process(struct kind_state *st, const struct corridor_vkey *author,
			   const struct draft *d, uint64_t seq, uint64_t time_us,
			   const uint8_t prev[CORRIDOR_HASH_BYTES], struct corridor_diag *diag);

/* The rates CSV of corridor_rate_import, parsed and checked (no ledger). */
/* Reads and checks a delivery CSV file whole, without a ledger. */
int corridor_deliveries_csv_check(const char *csv, size_t len, struct corridor_diag *diag);
/* Reads and checks a Measurement Value Document whole, without a ledger. */
int corridor_mvd_check(const char *xml, size_t len, struct corridor_diag *diag);
/* deliveries.c: a reading's body, its checks as a request, a correction's
 * body (start_s INT64_MIN: a single reading; quality 0: unchanged;
 * reason may be NULL). Bodies are canonical maps. */
#define CORRIDOR_DELIVERY_BODY_BYTES_MAX 512u
#define CORRIDOR_CORRECT_BODY_BYTES_MAX (CORRIDOR_DELIVERY_BODY_BYTES_MAX + CORRIDOR_REASON_BYTES_MAX)
size_t corridor_record_body(const struct corridor_delivery_request *r, uint8_t *buf, size_t cap);
int corridor_delivery_request_check(const struct corridor_delivery_request *r,
				    struct corridor_diag *diag);
size_t corridor_correct_body(uint64_t supersedes, int64_t start_s, int64_t quantity_milli,
			     char quality, const char *reason, uint8_t *buf, size_t cap);
int corridor_rates_csv_parse(const char *csv, size_t len, struct corridor_rate **out, size_t *count,
			     struct corridor_diag *diag);

/* ---- dry runs: drafts checked against the ledger as it is, nothing written ---- */

struct corridor_dry_run {
	MDB_txn *txn; /* a read snapshot */
	struct ledger_head head;
	struct corridor_kv_lmdb under;
	struct corridor_kv_overlay ov; /* reads fall through, writes stay in memory */
	struct node_ctx nc;
	struct kind_state st; /* for corridor_draft_process at head.size + i */
};
int corridor_dry_run_begin(struct corridor_ledger *l, struct corridor_dry_run *dr,
			   struct corridor_diag *diag);
void corridor_dry_run_end(struct corridor_dry_run *dr);

/* ---- appends ---- */

/* A write this process makes: kind, body and, if its author names one, the
 * idempotency key (NULL: the kind's natural identity, core/kinds/identity.c). */
struct draft {
	const char *kind;
	const uint8_t *body;
	size_t body_len;
	const char *idem;
};
/* The idempotency key a draft's statement carries. */
void corridor_draft_idem(const struct draft *d,
			 char out[CORRIDOR_IDEM_BYTES_MAX + 1]);

/* The sequencer (submit.c): signed statements become the version 2 entries
 * at the next seqs, each decided by corridor_kind_process at its own seq, in
 * one write transaction; a statement whose (author, kind, idempotency key)
 * is known with the same body gets the original receipt, with another body
 * stops the batch (CORRIDOR_E_EXISTS). */
struct sequence_req {
	const struct corridor_signer *op; /* signs the checkpoint if it is the
					   * current operator key after the batch */
	bool op_required;                  /* refuse unless op is the current operator key */
	bool genesis;                      /* the first batch, holding the genesis */
	const uint8_t *const *stmts;       /* signed statements */
	const size_t *lens;
	size_t n;
	/* Statements this process signed with signed_by's key, their fields
	 * given (no decoding, no second signature check: the key the dispatcher
	 * names must be signed_by's), or NULL: decode and check each. */
	const struct corridor_vkey *signed_by;
	const struct corridor_statement *fields;
	/* Or, per statement, the public key its signature was already verified
	 * with (NULL: none): not checked again if it is the author's key at its
	 * seq. */
	const uint8_t (*verified)[CORRIDOR_PUBLIC_KEY_BYTES];
	/* Called before stmts[i] is first read whole (it may be being signed). */
	void (*ready)(void *ctx, size_t i);
	void *ready_ctx;
	struct corridor_receipt *receipts; /* n */
	size_t appended;                   /* out: how many entries are new */
};
int corridor_sequence_txn(struct corridor_ledger *l, MDB_txn *txn, struct sequence_req *req,
			  struct corridor_diag *diag);

/* Appends drafts [0, n) in one write transaction (n <= CORRIDOR_BATCH_ENTRIES_MAX):
 * each becomes a statement signed by `signer` and goes through the
 * sequencer, with a freshly signed checkpoint if the signer is the current
 * operator key. seqs (n of them) receives every draft's seq (the original
 * one for a retry); *appended how many are new. */
int corridor_append(struct corridor_ledger *l, const struct corridor_signer *signer,
		    const struct draft *drafts, size_t n, uint64_t *seqs, size_t *appended,
		    struct corridor_diag *diag);
int corridor_append_txn(struct corridor_ledger *l, MDB_txn *txn,
			const struct corridor_signer *signer, const struct draft *drafts,
			size_t n, bool genesis, uint64_t *seqs, size_t *appended,
			struct corridor_diag *diag);
/* Appends one draft and returns its seq (existing, for an idempotent retry). */
/* A remote ledger's dry run of drafts: its sequencer checks them against its
 * state, nothing is written. */
int corridor_append_check_remote(struct corridor_ledger *l, const struct corridor_signer *signer,
				 const struct draft *drafts, size_t n, struct corridor_diag *diag);
/* An import into a remote ledger (docs/SERVICE.md "Remote mode"): every
 * batch of drafts[0..n) checked by the server against its current state
 * (nothing written), then committed batch by batch, each acknowledged.
 * lines[i]: the input line of drafts[i], for messages ("lines A-B: ...");
 * weights[i] (NULL: 1 each): what drafts[i] counts as in *written or
 * *skipped (a series: its intervals). Drafts written before with the same
 * bodies count as *skipped; a re-run completes an interrupted import
 * through their idempotency keys. */
int corridor_import_remote(struct corridor_ledger *l, const struct corridor_signer *signer,
			   const struct draft *drafts, const unsigned *lines,
			   const uint32_t *weights, size_t n,
			   size_t batch, corridor_committed_fn committed, void *ctx,
			   size_t *written, size_t *skipped, struct corridor_diag *diag);
/* Entry seq as corridor_ledger_entry reads it; for a remote ledger, read by
 * `reader` through its transport and verified there (corridor_remote.entry).
 * Errors: CORRIDOR_E_NOTFOUND, and a remote's. */
CORRIDOR_MUST_CHECK int corridor_ledger_entry_as(struct corridor_ledger *l,
						 const struct corridor_signer *reader, uint64_t seq,
						 uint8_t **out, size_t *out_len,
						 struct corridor_diag *diag);
/* Of a committed batch's receipts seqs[0..n) with `appended` new: each
 * draft's weight (NULL: 1) added to *written if it is new, else *skipped. */
void corridor_count_fresh(const uint64_t *seqs, size_t n, size_t appended, const uint32_t *weights,
			  size_t *written, size_t *skipped);
/* How many drafts a remote ledger takes in one append. */
size_t corridor_remote_batch_max(const struct corridor_ledger *l);
int corridor_append_one(struct corridor_ledger *l, const struct corridor_signer *signer,
			const char *kind, const uint8_t *body, size_t body_len, const char *idem,
			uint64_t *seq, struct corridor_diag *diag);

/* ---- streaming verifier (verify, archives, import) ---- */

struct verifier;
/* Called for every Merkle node the verifier completes. */
typedef int (*verifier_node_fn)(void *ctx, unsigned level, uint64_t index,
				const uint8_t hash[CORRIDOR_HASH_BYTES], struct corridor_diag *diag);
/* Called after each entry is accepted, with the tree so far. */
typedef int (*verifier_entry_fn)(void *ctx, uint64_t seq, const uint8_t *bytes, size_t len,
				 const struct corridor_merkle_range *range,
				 const struct kind_state *st, struct corridor_diag *diag);
struct verifier_hooks {
	verifier_node_fn node;
	verifier_entry_fn entry;
	void *ctx;
};
/* Starts at seq `first` with the given chain tip, time, tree and key state. */
int corridor_verifier_new(struct verifier **out, uint64_t first,
			  const uint8_t tip[CORRIDOR_HASH_BYTES], uint64_t time_us,
			  const struct corridor_merkle_range *range, const struct verifier_hooks *h);
struct kind_state *corridor_verifier_state(struct verifier *v);
/* Makes the verifier keep its state in kv instead of its own memory tables
 * (imports write straight into the replica's LMDB tables), and look up the
 * content hash of entries before `first` through fn. */
void corridor_verifier_use_kv(struct verifier *v, struct corridor_kv *kv,
			      int (*fn)(void *ctx, uint64_t seq, uint8_t out[CORRIDOR_HASH_BYTES]),
			      void *ctx);
/* Makes the kinds read earlier trees' roots through fn (a replica's or the
 * ledger's stored nodes) instead of nodes the verifier keeps in memory. */
#define CORRIDOR_MERKLE_LEVELS_MAX 64u
void corridor_verifier_use_tree(struct verifier *v,
				int (*fn)(void *ctx, uint64_t size, uint8_t out[CORRIDOR_HASH_BYTES]),
				void *ctx);
/* The root of the first `size` leaves from a ledger's stored nodes
 * (ctx: struct node_ctx), for kind_state.tree_root. */
int corridor_stored_tree_root(void *ctx, uint64_t size, uint8_t out[CORRIDOR_HASH_BYTES]);

/* Empties every derived table in txn and replays (verifying) every entry
 * into them; the replay must reach the stored head. Then records
 * LEDGER_TABLES_VERSION (verify.c). */
int corridor_tables_rebuild_txn(struct corridor_ledger *l, MDB_txn *txn,
				struct corridor_diag *diag);
struct corridor_kv_mem *corridor_verifier_mem(struct verifier *v);
const struct corridor_merkle_range *corridor_verifier_range(const struct verifier *v);
void corridor_verifier_tip(const struct verifier *v, uint8_t tip[CORRIDOR_HASH_BYTES],
			   uint64_t *time_us);
/* Feeds n entries (the next seqs). Returns the first failure, with its seq. */
int corridor_verifier_feed(struct verifier *v, const uint8_t *const *bytes, const size_t *lens,
			   size_t n, struct corridor_diag *diag);
void corridor_verifier_free(struct verifier *v);
#define VERIFY_CHUNK_ENTRIES 4096u

/* Checks a signed checkpoint note against the state's operator key valid at
 * its size, and its root against `root`. */
int corridor_checkpoint_check(const struct kind_state *st, const char *note, size_t note_len,
			      uint64_t size, const uint8_t root[CORRIDOR_HASH_BYTES],
			      struct corridor_diag *diag);

/* Every signature line of a checkpoint note other than the operator's (marked
 * verified by corridor_note_open) must be a valid cosignature by a party with
 * the auditor role, with one of the keys the state records for it. */
int corridor_cosignatures_check(const struct kind_state *st, const char *buf,
				const struct corridor_note *note, uint64_t size,
				struct corridor_diag *diag);

#endif
