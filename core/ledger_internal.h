/*
 * ledger_internal.h — what the core's files share: the ledger handle, the key
 * registry interface, entry-kind processing and the streaming verifier.
 */
#ifndef CORRIDOR_LEDGER_INTERNAL_H
#define CORRIDOR_LEDGER_INTERNAL_H

#include <lmdb.h>

#include "internal.h"

#define LEDGER_FORMAT "corridor-ledger/1"
#define MAP_BYTES_INITIAL ((size_t)64 << 20)
#define MAP_BYTES_MAX ((size_t)1 << 40)
#define WRITE_RETRIES_MAX 12u
#define TXN_BEGIN_RETRIES_MAX 8u
#define KEYS_MAX 65536u

struct corridor_ledger {
	MDB_env *env;
	MDB_dbi meta, entries, nodes, keys, checkpoints;
	char origin[CORRIDOR_NAME_BYTES_MAX + 1];
	bool replica;
	bool map_full; /* set by lmdb_err when a write ran out of map */
};

/* Translates an LMDB return code; records MDB_MAP_FULL for the retry loop. */
int corridor_lmdb_err(struct corridor_ledger *l, int rc, const char *what,
		      struct corridor_diag *diag);
/* mdb_txn_begin with MDB_MAP_RESIZED and MDB_READERS_FULL handled. */
int corridor_txn_begin(struct corridor_ledger *l, unsigned flags, MDB_txn **txn,
		       struct corridor_diag *diag);
/* Runs fn in a write transaction and commits; MDB_MAP_FULL grows the map and
 * reruns the whole of fn (bounded). fn must be re-runnable. */
typedef int (*corridor_write_fn)(struct corridor_ledger *l, MDB_txn *txn, void *ctx,
				 struct corridor_diag *diag);
int corridor_ledger_write(struct corridor_ledger *l, corridor_write_fn fn, void *ctx,
			  struct corridor_diag *diag);

/* The head record in meta: size, root, content hash of the last entry, its time. */
struct ledger_head {
	uint64_t size;
	uint8_t root[CORRIDOR_HASH_BYTES];
	uint8_t tip[CORRIDOR_HASH_BYTES];
	uint64_t time_us;
	uint32_t operator_key_id;
};
#define HEAD_BYTES (8u + 32u + 32u + 8u + 4u)
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
#define NODE_KEY_BYTES 9u
void corridor_node_key(unsigned level, uint64_t index, uint8_t key[NODE_KEY_BYTES]);

/* Signs the checkpoint of `head` inside `txn` and stores it by size. */
int corridor_checkpoint_sign_txn(struct corridor_ledger *l, MDB_txn *txn,
				 const struct ledger_head *head,
				 const struct corridor_signer *signer, struct corridor_diag *diag);

/* Replica creation (archive imports). */
int corridor_replica_create(const char *dir, const char *origin, struct corridor_ledger **out,
			    struct corridor_diag *diag);
int corridor_replica_init_txn(struct corridor_ledger *l, MDB_txn *txn, const char *origin,
			      struct corridor_diag *diag);
/* Removes an uninitialised environment a failed create left behind. */
void corridor_env_discard(const char *dir);

/* ---- key registry ---- */

struct key_record {
	uint32_t key_id;
	char name[CORRIDOR_NAME_BYTES_MAX + 1];
	uint8_t public_key[CORRIDOR_PUBLIC_KEY_BYTES];
	uint64_t valid_from;  /* first seq this key may sign */
	uint64_t valid_until; /* last seq this key may sign (UINT64_MAX: open) */
};
#define KEY_VALUE_BYTES (32u + 8u + 8u)

struct keyreg {
	/* Returns 0, CORRIDOR_E_NOTFOUND or an error. */
	int (*get)(struct keyreg *r, uint32_t key_id, const char *name, struct key_record *out);
	int (*put)(struct keyreg *r, const struct key_record *rec);
};

/* In memory (verify, archives). */
struct keyreg_mem {
	struct keyreg base;
	struct key_record *recs;
	size_t count, cap;
};
void corridor_keyreg_mem_init(struct keyreg_mem *m);
void corridor_keyreg_mem_release(struct keyreg_mem *m);

/* In LMDB (writes). */
struct keyreg_lmdb {
	struct keyreg base;
	struct corridor_ledger *l;
	MDB_txn *txn;
	struct corridor_diag *diag;
};
void corridor_keyreg_lmdb_init(struct keyreg_lmdb *k, struct corridor_ledger *l, MDB_txn *txn,
			       struct corridor_diag *diag);
void corridor_key_record_encode(const struct key_record *r, uint8_t *key, size_t *key_len,
				uint8_t value[KEY_VALUE_BYTES]);
int corridor_key_record_decode(const uint8_t *key, size_t key_len, const uint8_t *value,
			       size_t value_len, struct key_record *out);

/* ---- entry kinds ---- */

/* What processing an entry may read and change. */
struct kind_state {
	struct keyreg *keys;
	char origin[CORRIDOR_NAME_BYTES_MAX + 1]; /* empty until genesis */
	uint32_t operator_key_id;
};

/* Checks an entry's body against its kind, that its author's key is valid at
 * its seq, and applies its effects on the state. Returns the public key its
 * signature must verify with. The one place where kinds are decided, used by
 * appends and by every verification. */
int corridor_kind_process(struct kind_state *st, const struct corridor_entry *e,
			  uint8_t public_key[CORRIDOR_PUBLIC_KEY_BYTES], struct corridor_diag *diag);

/* Body encoders. Return the length written into buf, or 0 if it does not fit. */
size_t corridor_body_genesis(const char *origin, const uint8_t public_key[CORRIDOR_PUBLIC_KEY_BYTES],
			     uint8_t *buf, size_t cap);
size_t corridor_body_memo(const char *text, size_t len, uint8_t *buf, size_t cap);

/* ---- appends ---- */

struct draft {
	const char *kind;
	const uint8_t *body;
	size_t body_len;
};
/* Appends drafts [0, n) in one write transaction (n <= CORRIDOR_BATCH_ENTRIES_MAX),
 * signed by `signer` and, if the signer is the operator, with a freshly signed
 * checkpoint. */
int corridor_append(struct corridor_ledger *l, const struct corridor_signer *signer,
		    const struct draft *drafts, size_t n, uint64_t *first_seq,
		    struct corridor_diag *diag);
int corridor_append_txn(struct corridor_ledger *l, MDB_txn *txn,
			const struct corridor_signer *signer, const struct draft *drafts,
			size_t n, bool genesis, uint64_t *first_seq, struct corridor_diag *diag);

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
struct keyreg_mem *corridor_verifier_keys(struct verifier *v);
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

int corridor_mp_uint(const uint8_t *v, size_t len, uint64_t *out);

#endif
