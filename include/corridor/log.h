/*
 * corridor/log.h — the log: signed notes and checkpoints, the Merkle tree and its proofs, entries, and the ledger handle.
 * Part of the public API; include <corridor/corridor.h> for all of it.
 */
#ifndef CORRIDOR_API_LOG_H
#define CORRIDOR_API_LOG_H

#include "keys.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Signed notes and checkpoints (C2SP signed-note, tlog-checkpoint)     */
/* ------------------------------------------------------------------ */

struct corridor_note_sig {
	size_t name_off, name_len; /* key name, inside the note buffer */
	uint32_t key_id;
	uint8_t sig[CORRIDOR_SIGNATURE_BYTES + 8u]; /* bytes after the key id */
	size_t sig_len;
	bool verified; /* set by corridor_note_open for known keys */
};

/** A parsed signed note; offsets refer to the caller's buffer. */
struct corridor_note {
	size_t text_len; /* the text is buf[0, text_len): it ends with '\n' */
	size_t sig_count;
	struct corridor_note_sig sigs[CORRIDOR_NOTE_SIGS_MAX];
};

/** Parses a signed note (C2SP signed-note): UTF-8, no control characters other
 *  than newline, text split from the signatures at the last blank line, every
 *  signature line well-formed. Signatures whose payload is not 4+64 bytes are
 *  kept but can never verify. Errors: CORRIDOR_E_MALFORMED, CORRIDOR_E_LIMIT. */
CORRIDOR_MUST_CHECK int corridor_note_parse(const char *buf, size_t len,
					    struct corridor_note *out);

/** Parses and verifies a note against `n` known keys, as Go's note.Open does:
 *  signatures from unknown (name, key id) pairs are ignored; a known key whose
 *  signature fails rejects the whole note; at least one known key must verify.
 *  Errors: as corridor_note_parse, plus CORRIDOR_E_SIGNATURE (a known key's
 *  signature fails), CORRIDOR_E_KEY (no signature from a known key). */
CORRIDOR_MUST_CHECK int corridor_note_open(const char *buf, size_t len,
					   const struct corridor_vkey *keys, size_t n,
					   struct corridor_note *out);

/** Checks one signature line of a parsed note as a c2sp.org/tlog-cosignature
 *  (type 0x04) by `cosigner`: the line's name and key id must be the
 *  cosigner's, the payload 8-byte big-endian time || Ed25519 signature over
 *  "cosignature/v1\ntime <t>\n" || note text. *time_out receives the time.
 *  Errors: CORRIDOR_E_KEY (not this cosigner's line), CORRIDOR_E_SIGNATURE. */
CORRIDOR_MUST_CHECK int corridor_cosignature_verify(const char *buf, const struct corridor_note *note,
						    size_t sig_index,
						    const struct corridor_vkey *cosigner,
						    uint64_t *time_out);
/** Builds a cosignature line ("— name base64(keyid||time||sig)\n") for the
 *  note text buf[0, text_len) at POSIX time `time_s` into `out` (cap bytes).
 *  Errors: CORRIDOR_E_LIMIT. */
CORRIDOR_MUST_CHECK int corridor_cosignature_line(const char *text, size_t text_len,
						  const struct corridor_signer *cosigner,
						  uint64_t time_s, char *out, size_t cap,
						  size_t *out_len);

/** Signs `text` (which must end with '\n', be UTF-8 without control characters
 *  other than newline and contain no blank line at its end) and writes the
 *  signed note to a malloc'd, NUL-terminated buffer the caller frees.
 *  Errors: CORRIDOR_E_INVALID, CORRIDOR_E_NOMEM. */
CORRIDOR_MUST_CHECK int corridor_note_sign(const char *text, size_t text_len,
					   const struct corridor_signer *signer, char **out,
					   size_t *out_len);

/** A checkpoint's body (C2SP tlog-checkpoint), extension lines ignored. */
struct corridor_checkpoint {
	char origin[CORRIDOR_NAME_BYTES_MAX + 1];
	uint64_t size;
	uint8_t root[CORRIDOR_HASH_BYTES];
};

/** Parses a checkpoint body: origin line, decimal size (no leading zeros),
 *  base64 32-byte root, then optional non-empty extension lines.
 *  Errors: CORRIDOR_E_MALFORMED. */
CORRIDOR_MUST_CHECK int corridor_checkpoint_parse(const char *text, size_t len,
						  struct corridor_checkpoint *out);
/** Formats the three-line body into `out` (cap bytes, NUL-terminated).
 *  Errors: CORRIDOR_E_LIMIT. */
CORRIDOR_MUST_CHECK int corridor_checkpoint_format(const struct corridor_checkpoint *cp,
						   char *out, size_t cap, size_t *out_len);

/* ------------------------------------------------------------------ */
/* Merkle tree (RFC 6962 / RFC 9162)                                   */
/* ------------------------------------------------------------------ */

/** SHA-256(0x00 || leaf). */
void corridor_merkle_leaf_hash(const uint8_t *leaf, size_t len, uint8_t out[CORRIDOR_HASH_BYTES]);
/** SHA-256(0x01 || left || right). */
void corridor_merkle_node_hash(const uint8_t left[CORRIDOR_HASH_BYTES],
			       const uint8_t right[CORRIDOR_HASH_BYTES],
			       uint8_t out[CORRIDOR_HASH_BYTES]);

/** Reads the stored hash of the complete subtree at (level, index): the root of
 *  leaves [index*2^level, (index+1)*2^level). Returns 0 or a corridor_err. */
typedef int (*corridor_merkle_get_fn)(void *ctx, unsigned level, uint64_t index,
				      uint8_t out[CORRIDOR_HASH_BYTES]);

/** The RFC 6962 root of the first `size` leaves, in O(log size) reads.
 *  Size 0 gives the
 *  hash of the empty string. Errors: get's own error. */
CORRIDOR_MUST_CHECK int corridor_merkle_root(corridor_merkle_get_fn get, void *ctx,
					     uint64_t size, uint8_t out[CORRIDOR_HASH_BYTES]);
/** RFC 9162 §2.1.3.1 inclusion proof of leaf `index` in the tree of `size`.
 *  `out` holds CORRIDOR_PROOF_HASHES_MAX hashes. Errors: CORRIDOR_E_INVALID. */
CORRIDOR_MUST_CHECK int corridor_merkle_prove_inclusion(corridor_merkle_get_fn get, void *ctx,
							uint64_t index, uint64_t size,
							uint8_t (*out)[CORRIDOR_HASH_BYTES],
							size_t *count);
/** RFC 9162 §2.1.4.1 consistency proof from `size1` to `size2`
 *  (0 < size1 <= size2). Errors: CORRIDOR_E_INVALID. */
CORRIDOR_MUST_CHECK int corridor_merkle_prove_consistency(corridor_merkle_get_fn get, void *ctx,
							  uint64_t size1, uint64_t size2,
							  uint8_t (*out)[CORRIDOR_HASH_BYTES],
							  size_t *count);
/** RFC 9162 §2.1.3.2. Returns 0 if the proof holds, else CORRIDOR_E_VERIFY.
 *  `root` is compared as given (a root of the wrong length never matches).
 *  Errors: CORRIDOR_E_VERIFY (index not below size, a proof of the
 *  wrong length, or one that does not lead to root). */
CORRIDOR_MUST_CHECK int corridor_merkle_verify_inclusion(uint64_t index, uint64_t size,
							 const uint8_t leaf_hash[CORRIDOR_HASH_BYTES],
							 const uint8_t (*proof)[CORRIDOR_HASH_BYTES],
							 size_t count, const uint8_t *root,
							 size_t root_len);
/** RFC 9162 §2.1.4.2. A proof from size 0 is rejected (0 -> 0 included); equal
 *  sizes with an empty proof hold exactly when the two roots are equal.
 *  Returns 0 if the proof holds, else CORRIDOR_E_VERIFY.
 *  Errors: CORRIDOR_E_VERIFY (sizes out of order, a proof of the
 *  wrong length, or one that does not lead to both roots). */
CORRIDOR_MUST_CHECK int corridor_merkle_verify_consistency(
	uint64_t size1, uint64_t size2, const uint8_t *root1, size_t root1_len,
	const uint8_t *root2, size_t root2_len, const uint8_t (*proof)[CORRIDOR_HASH_BYTES],
	size_t count);

/** A compact range [0, size): the roots of the complete subtrees that make up
 *  the tree, largest first. Appending a leaf completes 1 + ctz(size+1) nodes. */
struct corridor_merkle_range {
	uint64_t size;
	unsigned count;
	uint8_t hashes[64][CORRIDOR_HASH_BYTES];
};
/** Called for every node a leaf append completes (level 0 is the leaf). */
typedef int (*corridor_merkle_put_fn)(void *ctx, unsigned level, uint64_t index,
				      const uint8_t hash[CORRIDOR_HASH_BYTES]);
void corridor_merkle_range_init(struct corridor_merkle_range *range);
/** Loads the range of the first `size` leaves from stored nodes.
 *  Errors: get's own error. */
CORRIDOR_MUST_CHECK int corridor_merkle_range_load(struct corridor_merkle_range *range,
						   corridor_merkle_get_fn get, void *ctx,
						   uint64_t size);
/** Appends a leaf hash; `put` (may be NULL) sees every completed node.
 *  Errors: CORRIDOR_E_OVERFLOW (2^64 - 1 leaves), or put's own error. */
CORRIDOR_MUST_CHECK int corridor_merkle_range_append(struct corridor_merkle_range *range,
						     const uint8_t leaf_hash[CORRIDOR_HASH_BYTES],
						     corridor_merkle_put_fn put, void *ctx);
void corridor_merkle_range_root(const struct corridor_merkle_range *range,
				uint8_t out[CORRIDOR_HASH_BYTES]);

/* ------------------------------------------------------------------ */
/* Inclusion proof documents (c2sp.org/tlog-proof@v1)                  */
/* ------------------------------------------------------------------ */

struct corridor_tlog_proof {
	uint64_t index;
	size_t hash_count;
	uint8_t hashes[CORRIDOR_PROOF_HASHES_MAX][CORRIDOR_HASH_BYTES];
	bool has_extra;
	size_t checkpoint_off; /* the embedded signed checkpoint, inside the buffer */
	size_t checkpoint_len;
};

/** Parses a tlog-proof document. Errors: CORRIDOR_E_MALFORMED, CORRIDOR_E_LIMIT. */
CORRIDOR_MUST_CHECK int corridor_tlog_proof_parse(const char *buf, size_t len,
						  struct corridor_tlog_proof *out);
/** Writes a tlog-proof document (no extra line) to `f`. Errors: CORRIDOR_E_IO. */
CORRIDOR_MUST_CHECK int corridor_tlog_proof_write(FILE *f, uint64_t index,
						  const uint8_t (*hashes)[CORRIDOR_HASH_BYTES],
						  size_t count, const char *signed_checkpoint,
						  size_t checkpoint_len);

/* ------------------------------------------------------------------ */
/* Entries (canonical msgpack envelope, docs/FORMAT.md)                 */
/* ------------------------------------------------------------------ */

/** Entries signed in place by their author over seq and prev (every ledger
 *  written before 0.2.0; docs/FORMAT.md 2). */
#define CORRIDOR_ENTRY_VERSION_1 1u
/** An entry that wraps a statement signed by its author (docs/FORMAT.md 2b). */
#define CORRIDOR_ENTRY_VERSION_2 2u
#define CORRIDOR_ENTRY_SIG_PREFIX "corridor/entry/v1\n"

/** A decoded entry. Pointers refer into the buffer that was decoded. */
struct corridor_entry {
	uint64_t version;
	uint64_t seq;
	uint8_t prev[CORRIDOR_HASH_BYTES];
	uint64_t time_us;
	char kind[CORRIDOR_KIND_BYTES_MAX + 1];
	char author[CORRIDOR_NAME_BYTES_MAX + 1];
	uint32_t key_id;
	const uint8_t *body; /* canonical bytes of the body map */
	size_t body_len;
	uint8_t sig[CORRIDOR_SIGNATURE_BYTES];
	size_t content_len; /* v1: the map of keys 0-7 is 0x88 || raw[1, content_len);
			     * v2: the whole entry */
	/* version 2 only (docs/FORMAT.md 2b): the signed statement it wraps,
	 * its bytes inside the buffer decoded, and what it says beyond the above */
	const uint8_t *statement;
	size_t statement_len, statement_content_len;
	char origin[CORRIDOR_NAME_BYTES_MAX + 1];
	char idempotency_key[CORRIDOR_IDEM_BYTES_MAX + 1];
	uint64_t created_us, expires_us;
};

/** Writes one entry (its canonical bytes) as one line of JSON: seq, kind,
 *  author, key, time, time_us, prev, leaf_hash, version, for version 2 the
 *  statement's origin, idempotency_key, created, expires and hash, then the
 *  body (docs/FORMAT.md "JSON"). Errors: those of corridor_entry_decode,
 *  CORRIDOR_E_IO. */
CORRIDOR_MUST_CHECK int corridor_entry_json(FILE *f, const uint8_t *bytes, size_t len,
					    struct corridor_diag *diag);

/** Strictly decodes one entry occupying exactly `len` bytes: pre-scans declared
 *  counts and lengths before msgpack-c allocates, refuses floats, nil and ext,
 *  re-encodes and compares bytes, checks key order, UTF-8 and field types.
 *  Errors: CORRIDOR_E_MALFORMED, CORRIDOR_E_NONCANONICAL, CORRIDOR_E_LIMIT,
 *  CORRIDOR_E_NOMEM. */
CORRIDOR_MUST_CHECK int corridor_entry_decode(const uint8_t *buf, size_t len,
					      struct corridor_entry *out,
					      struct corridor_diag *diag);

/** The content hash: what the next entry's `prev` holds. Version 1: SHA-256
 *  of the signed content (the canonical map of keys 0-7); version 2: SHA-256
 *  of the whole entry. */
void corridor_entry_content_hash(const uint8_t *buf, const struct corridor_entry *e,
				 uint8_t out[CORRIDOR_HASH_BYTES]);

/** Checks the author's signature: version 1 over "corridor/entry/v1\n" ||
 *  content map; version 2 the statement's, over "corridor/statement/v1\n" ||
 *  statement. Errors: CORRIDOR_E_SIGNATURE, CORRIDOR_E_NOMEM. */
CORRIDOR_MUST_CHECK int corridor_entry_check_sig(const uint8_t *buf, const struct corridor_entry *e,
						 const uint8_t public_key[CORRIDOR_PUBLIC_KEY_BYTES]);

/** Writes a canonical msgpack value as one line of JSON to `f` (maps with
 *  string keys become objects, bin becomes lower-case hex, integers stay
 *  integers). Errors: CORRIDOR_E_MALFORMED, CORRIDOR_E_IO. */
CORRIDOR_MUST_CHECK int corridor_msgpack_write_json(FILE *f, const uint8_t *buf, size_t len);

/** Writes `s` as a JSON string literal, escaped. Errors: CORRIDOR_E_IO. */
CORRIDOR_MUST_CHECK int corridor_json_write_string(FILE *f, const char *s, size_t len);

/** Finds the str value of string key `key` in a canonical map (e.g. an entry
 *  body). *s points into `map`. Errors: CORRIDOR_E_NOTFOUND, CORRIDOR_E_MALFORMED. */
CORRIDOR_MUST_CHECK int corridor_msgpack_map_str(const uint8_t *map, size_t len, const char *key,
						 const char **s, size_t *n);

/** The same for an unsigned integer value.
 *  Errors: CORRIDOR_E_NOTFOUND, CORRIDOR_E_MALFORMED. */
CORRIDOR_MUST_CHECK int corridor_msgpack_map_uint(const uint8_t *map, size_t len, const char *key,
						  uint64_t *out);

/** Checks that `buf` holds exactly one canonical msgpack value (the rules of
 *  entries: sorted keys, shortest ints, no float/nil/ext, UTF-8 strings,
 *  depth <= `depth_max`). Errors: CORRIDOR_E_MALFORMED, CORRIDOR_E_NONCANONICAL,
 *  CORRIDOR_E_LIMIT, CORRIDOR_E_NOMEM. */
CORRIDOR_MUST_CHECK int corridor_msgpack_check_canonical(const uint8_t *buf, size_t len,
							 unsigned depth_max,
							 struct corridor_diag *diag);

/* ------------------------------------------------------------------ */
/* The ledger                                                          */
/* ------------------------------------------------------------------ */

struct corridor_ledger;

enum corridor_open_flags {
	/* Reads only (LMDB MDB_RDONLY): every write is refused with
	 * CORRIDOR_E_REFUSED; the ledger's files need not be writable (the
	 * directory must still allow LMDB's lock file). */
	CORRIDOR_OPEN_READONLY = 1 << 0,
};

/** The tree head after the last committed write. */
struct corridor_head {
	uint64_t size;
	uint8_t root[CORRIDOR_HASH_BYTES];
};

/** Creates a ledger in directory `dir` (created if missing; it must hold no
 *  ledger) with a genesis entry naming the operator key; the key's name is the
 *  origin. Signs the first checkpoint. `time_us` 0 means now.
 *  Errors: CORRIDOR_E_EXISTS, CORRIDOR_E_INVALID (origin not a valid key name),
 *  CORRIDOR_E_IO, CORRIDOR_E_STORAGE, CORRIDOR_E_FULL. */
CORRIDOR_MUST_CHECK int corridor_ledger_create(const char *dir,
					       const struct corridor_signer *operator_key,
					       struct corridor_ledger **out,
					       struct corridor_diag *diag);

/** What a ledger fixes at its creation, in its genesis entry. */
struct corridor_ledger_settings {
	/* The longest lifetime (expires - created) of a statement it accepts,
	 * in seconds (CORRIDOR_STATEMENT_LIFETIME_MIN_S..MAX_S); 0: 24 hours. */
	uint64_t statement_lifetime_max_s;
};
/** corridor_ledger_create with settings (NULL: the defaults). Errors: as
 *  corridor_ledger_create, CORRIDOR_E_INVALID (a setting out of bounds). */
CORRIDOR_MUST_CHECK int corridor_ledger_create_with(const char *dir,
						    const struct corridor_signer *operator_key,
						    const struct corridor_ledger_settings *settings,
						    struct corridor_ledger **out,
						    struct corridor_diag *diag);
/** The longest statement lifetime the ledger accepts, in microseconds. */
uint64_t corridor_ledger_statement_lifetime_us(const struct corridor_ledger *ledger);

/** Opens an existing ledger. Errors: CORRIDOR_E_NOTFOUND, CORRIDOR_E_MALFORMED
 *  (not a Corridor ledger), CORRIDOR_E_STORAGE, CORRIDOR_E_IO. */
CORRIDOR_MUST_CHECK int corridor_ledger_open(const char *dir, unsigned flags,
					     struct corridor_ledger **out,
					     struct corridor_diag *diag);
void corridor_ledger_close(struct corridor_ledger *ledger);

/** The ledger's origin (borrowed). */
const char *corridor_ledger_origin(const struct corridor_ledger *ledger);
/** True if this ledger is a replica built from archives. */
bool corridor_ledger_is_replica(const struct corridor_ledger *ledger);

/** Current tree head. Errors: CORRIDOR_E_STORAGE. */
CORRIDOR_MUST_CHECK int corridor_ledger_head(struct corridor_ledger *ledger,
					     struct corridor_head *out);

/** Appends one memo per text, validating every text first (nothing is written
 *  if any is invalid), in write transactions of `batch_entries` entries
 *  (1..CORRIDOR_BATCH_ENTRIES_MAX). `committed` (may be NULL) is called after
 *  each commit with the first and last seq of that batch. An operator write also
 *  signs a checkpoint of the new head in the same transaction.
 *  Errors: CORRIDOR_E_INVALID (a text, names it in diag), CORRIDOR_E_KEY (signer
 *  not a key valid at that seq), CORRIDOR_E_REPLICA, CORRIDOR_E_STORAGE,
 *  CORRIDOR_E_FULL. After an error, batches already committed stay. */
typedef void (*corridor_committed_fn)(void *ctx, uint64_t first_seq, uint64_t last_seq);
CORRIDOR_MUST_CHECK int corridor_memo_append(struct corridor_ledger *ledger,
					     const struct corridor_signer *signer,
					     const char *const *texts, const size_t *lens,
					     size_t count, size_t batch_entries,
					     corridor_committed_fn committed, void *ctx,
					     struct corridor_diag *diag);
/** Checks one memo text: UTF-8, 1..CORRIDOR_MEMO_TEXT_BYTES_MAX bytes, no
 *  control characters but tab. Errors: CORRIDOR_E_INVALID. */
CORRIDOR_MUST_CHECK int corridor_memo_check(const char *text, size_t len,
					    struct corridor_diag *diag);

/** Appends one memo; with an idempotency key (may be NULL), a retry with the
 *  same text returns the existing seq and writes nothing.
 *  Errors: as corridor_memo_append, plus CORRIDOR_E_REFUSED (the idempotency
 *  key was used for another text). */
CORRIDOR_MUST_CHECK int corridor_memo_add(struct corridor_ledger *ledger,
					  const struct corridor_signer *signer, const char *text,
					  size_t len, const char *idempotency_key, uint64_t *seq,
					  struct corridor_diag *diag);

/* ---- the errors every read and every write can return ----
 *
 * "The read errors": CORRIDOR_E_STORAGE (LMDB failed, or a derived record is
 * corrupt), CORRIDOR_E_IO (LMDB could not read the disk), CORRIDOR_E_NOMEM.
 *
 * "The write errors", of every function that appends entries, beyond its
 * own: CORRIDOR_E_REPLICA (a replica takes no local writes),
 * CORRIDOR_E_REFUSED (the ledger was opened read-only; the signer's role does
 * not allow the kind; an idempotency key this signer used for another body
 * of the kind; a rule of the kind), CORRIDOR_E_KEY (the signer's key is not
 * registered, or not valid at the next seq), CORRIDOR_E_VERIFY (a body the
 * kind does not accept), CORRIDOR_E_LIMIT (an entry over
 * CORRIDOR_ENTRY_BYTES_MAX), CORRIDOR_E_OVERFLOW (a trial balance would
 * overflow), CORRIDOR_E_FULL (the disk or the map is full: nothing was
 * written), and the read errors. A write either lands whole or not at all.
 */

/* ---- reading, proving and verifying the ledger ---- */

/** Copies entry `seq` (canonical bytes) into a malloc'd buffer the caller frees.
 *  Errors: CORRIDOR_E_NOTFOUND, CORRIDOR_E_STORAGE, CORRIDOR_E_NOMEM. */
CORRIDOR_MUST_CHECK int corridor_ledger_entry(struct corridor_ledger *ledger, uint64_t seq,
					      uint8_t **out, size_t *out_len);

/** Calls `fn` for entries seq >= from, at most `limit` of them (0 = all), in
 *  seq order, inside one read transaction; the bytes are valid during the call.
 *  A non-zero return from `fn` stops and is returned.
 *  Errors: CORRIDOR_E_STORAGE, or fn's own non-zero result. */
typedef int (*corridor_entry_fn)(void *ctx, uint64_t seq, const uint8_t *bytes, size_t len);
CORRIDOR_MUST_CHECK int corridor_ledger_scan(struct corridor_ledger *ledger, uint64_t from,
					     uint64_t limit, corridor_entry_fn fn, void *ctx);

/** Signs the current tree head as a checkpoint with the operator key and keeps
 *  it (by size). Returns the signed size in *size_out (may be NULL).
 *  Errors: CORRIDOR_E_KEY (not the current operator key), CORRIDOR_E_REPLICA,
 *  CORRIDOR_E_STORAGE, CORRIDOR_E_FULL. */
CORRIDOR_MUST_CHECK int corridor_checkpoint_sign(struct corridor_ledger *ledger,
						 const struct corridor_signer *operator_key,
						 uint64_t *size_out, struct corridor_diag *diag);

/** The stored signed checkpoint of `size` (0 = the latest), as a malloc'd,
 *  NUL-terminated note the caller frees.
 *  Errors: CORRIDOR_E_NOTFOUND, CORRIDOR_E_STORAGE, CORRIDOR_E_NOMEM. */
CORRIDOR_MUST_CHECK int corridor_checkpoint_get(struct corridor_ledger *ledger, uint64_t size,
						char **note, size_t *note_len,
						struct corridor_diag *diag);

/** Whether the ledger holds the tree of a checkpoint it published (a signed
 *  note, signed by `vkey`, the operator's key; vkey NULL: the signature is
 *  not checked): its size at most the ledger's, and the ledger's root at that
 *  size the checkpoint's. What a service checks before it takes writes after
 *  a restore from backup. Errors: CORRIDOR_E_REFUSED (the ledger is behind
 *  it), CORRIDOR_E_VERIFY (not such a checkpoint, or another history at that
 *  size, with the seq), CORRIDOR_E_STORAGE. */
CORRIDOR_MUST_CHECK int corridor_checkpoint_held(struct corridor_ledger *ledger, const char *note,
						 size_t len, const struct corridor_vkey *vkey,
						 struct corridor_diag *diag);
/** The high-water mark a service keeps outside its ledger, so that a restore
 *  of the ledger's directory does not take it back (docs/AUDITING.md "After
 *  a restore"): the latest checkpoint it published, replaced durably in
 *  `path`. Errors: CORRIDOR_E_FULL, CORRIDOR_E_IO. */
CORRIDOR_MUST_CHECK int corridor_published_save(const char *path, const char *note, size_t len,
						struct corridor_diag *diag);
/** corridor_checkpoint_held for the mark in `path` (none yet: OK, size 0).
 *  A local file of the service's own: its signature is not checked (a
 *  damaged one can only refuse). *size_out: the mark's tree size. Errors: as
 *  corridor_checkpoint_held, CORRIDOR_E_IO, CORRIDOR_E_LIMIT. */
CORRIDOR_MUST_CHECK int corridor_published_check(struct corridor_ledger *ledger, const char *path,
						 uint64_t *size_out, struct corridor_diag *diag);

/** Writes the tlog-proof document for entry `seq` against the latest signed
 *  checkpoint that contains it. Errors: CORRIDOR_E_NOTFOUND (no such entry, or
 *  no signed checkpoint contains it yet), CORRIDOR_E_STORAGE, CORRIDOR_E_IO. */
CORRIDOR_MUST_CHECK int corridor_prove_inclusion(struct corridor_ledger *ledger, uint64_t seq,
						 FILE *out, struct corridor_diag *diag);

/** The RFC 9162 consistency proof from `size1` to `size2` (0 = the latest signed
 *  checkpoint's size). `out` holds CORRIDOR_PROOF_HASHES_MAX hashes.
 *  Errors: CORRIDOR_E_INVALID (sizes), CORRIDOR_E_NOTFOUND, CORRIDOR_E_STORAGE. */
CORRIDOR_MUST_CHECK int corridor_prove_consistency(struct corridor_ledger *ledger,
						   uint64_t size1, uint64_t *size2,
						   uint8_t (*out)[CORRIDOR_HASH_BYTES],
						   size_t *count, struct corridor_diag *diag);

/** Writes the operator key chain document for the checkpoint of `size` (0 =
 *  the latest signed one): every operator key.rotate entry before it, with
 *  its inclusion proof in that checkpoint (docs/FORMAT.md "Operator key
 *  chain"). Errors: CORRIDOR_E_NOTFOUND, CORRIDOR_E_STORAGE, CORRIDOR_E_IO. */
CORRIDOR_MUST_CHECK int corridor_prove_operator_keys(struct corridor_ledger *ledger, uint64_t size,
						     FILE *out, struct corridor_diag *diag);

/** Follows an operator key chain document from the trusted key: each link
 *  must be a key.rotate by the origin, signed by the key before it, at an
 *  increasing seq below `size`, and included in the tree of (`size`, `root`).
 *  Writes every key reached (the trusted one first) into keys (at most
 *  keys_max); the checkpoint must then verify with one of them.
 *  Errors: CORRIDOR_E_MALFORMED, CORRIDOR_E_VERIFY, CORRIDOR_E_LIMIT. */
#define CORRIDOR_CHAIN_LINKS_MAX 64u
CORRIDOR_MUST_CHECK int corridor_operator_chain_follow(const char *doc, size_t len,
						       const struct corridor_vkey *trusted,
						       uint64_t size, const uint8_t root[CORRIDOR_HASH_BYTES],
						       struct corridor_vkey *keys, size_t keys_max,
						       size_t *count, struct corridor_diag *diag);

/** Full verification from the entries alone: canonical decoding, dense seq,
 *  prev chain, non-decreasing time, every signature against a key valid for
 *  its author at that seq (on every core), every stored Merkle node, the head,
 *  every stored checkpoint (root and operator signature) and every index.
 *  Returns 0 when everything holds; otherwise the first failure, with its seq,
 *  in diag. Errors: CORRIDOR_E_VERIFY, CORRIDOR_E_STORAGE, CORRIDOR_E_NOMEM. */
CORRIDOR_MUST_CHECK int corridor_ledger_verify(struct corridor_ledger *ledger,
					       corridor_progress_fn progress, void *ctx,
					       struct corridor_diag *diag);

/** Writes a consistent, compacted copy of the ledger into the new directory
 *  `dir` (LMDB's environment copy with MDB_CP_COMPACT, taken from one read
 *  transaction, so writers keep working meanwhile). Restoring is copying the
 *  directory back (README "Backup and restore").
 *  Errors: CORRIDOR_E_EXISTS (dir holds a ledger), CORRIDOR_E_IO,
 *  CORRIDOR_E_FULL, CORRIDOR_E_STORAGE. */
CORRIDOR_MUST_CHECK int corridor_ledger_backup(struct corridor_ledger *ledger, const char *dir,
					       struct corridor_diag *diag);


struct corridor_balance {
	char party[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
	char currency[4];
	unsigned decimals;
	int64_t balance_minor; /* receivable (+) or payable (-) */
};

#ifdef __cplusplus
}
#endif
#endif /* CORRIDOR_API_LOG_H */
