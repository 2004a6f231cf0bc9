/*
 * corridor.h — the public API of libcorridor, a signed, append-only ledger.
 *
 * This header is the manual. Every function says what it does, who owns what
 * after the call, and the exact errors it can return. The `corridor` CLI uses
 * nothing but what is declared here.
 *
 * Conventions
 *   - Functions return 0 (CORRIDOR_OK) or a negative enum corridor_err.
 *   - Functions that can fail take an optional `struct corridor_diag *` that
 *     receives a one-line, human-readable explanation (and the seq concerned,
 *     where there is one). Pass NULL if you do not need it.
 *   - Byte formats are specified in docs/FORMAT.md.
 *
 * Caveats (rules a user must not break)
 *   - Do not use a struct corridor_ledger across fork(): open it again in the
 *     child. Do not share one ledger handle between threads without your own
 *     lock.
 *   - Reports and iterations hold an LMDB read transaction while they run:
 *     keep callbacks short, or writers' map growth waits for them.
 *   - Call corridor_init() once before anything else (it initialises
 *     libsodium); it is safe to call more than once.
 */
#ifndef CORRIDOR_CORRIDOR_H
#define CORRIDOR_CORRIDOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define CORRIDOR_MUST_CHECK __attribute__((warn_unused_result))
#else
#define CORRIDOR_MUST_CHECK
#endif

/* ------------------------------------------------------------------ */
/* Limits. Every buffer, loop and batch has a named maximum.           */
/* ------------------------------------------------------------------ */

#define CORRIDOR_HASH_BYTES 32u
#define CORRIDOR_PUBLIC_KEY_BYTES 32u
#define CORRIDOR_SIGNATURE_BYTES 64u
/** An entry's canonical encoding, signature included (a tlog-tiles bundle entry). */
#define CORRIDOR_ENTRY_BYTES_MAX 65535u
/** Nesting depth of msgpack containers inside an entry (envelope = depth 1). */
#define CORRIDOR_ENTRY_DEPTH_MAX 8u
/** Bytes of an entry kind, e.g. "memo". */
#define CORRIDOR_KIND_BYTES_MAX 64u
/** Bytes of a key name, party id or origin. */
#define CORRIDOR_NAME_BYTES_MAX 255u
/** Bytes of one memo's text. */
#define CORRIDOR_MEMO_TEXT_BYTES_MAX 16384u
/** Entries written in one write transaction. */
#define CORRIDOR_BATCH_ENTRIES_MAX 4096u
/** Default entries per transaction for bulk writers. */
#define CORRIDOR_BATCH_ENTRIES_DEFAULT 1000u
/** Lines in one bulk memo file. */
#define CORRIDOR_MEMO_LINES_MAX 10000000u
/** A signed note (checkpoint with its signatures). */
#define CORRIDOR_NOTE_BYTES_MAX 65536u
/** Signature lines in one signed note (the Go sumdb/note cap). */
#define CORRIDOR_NOTE_SIGS_MAX 100u
/** Hashes in one Merkle proof (a tree of 2^63 leaves needs 63 hashes at most
 *  for inclusion and 126 for consistency; we allow 64 per direction). */
#define CORRIDOR_PROOF_HASHES_MAX 130u
/** Bytes of a verifier key string. */
#define CORRIDOR_VKEY_BYTES_MAX (CORRIDOR_NAME_BYTES_MAX + 1u + 8u + 1u + 44u)
/** Bytes of a passphrase. */
#define CORRIDOR_PASSPHRASE_BYTES_MAX 1024u
/** Bytes of an idempotency key. */
#define CORRIDOR_IDEM_BYTES_MAX 128u
/** Bytes of a party id ([A-Z0-9-]). */
#define CORRIDOR_PARTY_ID_BYTES_MAX 32u
/** Bytes of a party's display name. */
#define CORRIDOR_PARTY_NAME_BYTES_MAX 128u
/** Bank accounts (IBANs) of one party. */
#define CORRIDOR_PARTY_IBANS_MAX 8u
/** Keys one party has had (shown by corridor_party_get). */
#define CORRIDOR_PARTY_KEYS_MAX 64u
/** Bytes of a free-text reason or note in a body. */
#define CORRIDOR_REASON_BYTES_MAX 1024u
/** Worker threads for parallel signing and verification. */
#define CORRIDOR_THREADS_MAX 64u
/** Bytes of a diagnostic line. */
#define CORRIDOR_DIAG_BYTES_MAX 320u

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

enum corridor_err {
	CORRIDOR_OK = 0,
	CORRIDOR_E_NOMEM = -1,        /* out of memory */
	CORRIDOR_E_INVALID = -2,      /* an argument or input value is not acceptable */
	CORRIDOR_E_MALFORMED = -3,    /* input bytes do not parse */
	CORRIDOR_E_NONCANONICAL = -4, /* msgpack that parses but is not canonical */
	CORRIDOR_E_LIMIT = -5,        /* input exceeds a named limit */
	CORRIDOR_E_IO = -6,           /* a file could not be read or written */
	CORRIDOR_E_EXISTS = -7,       /* refuses to overwrite something that exists */
	CORRIDOR_E_NOTFOUND = -8,     /* no such ledger, entry, checkpoint or file */
	CORRIDOR_E_STORAGE = -9,      /* LMDB failed (see diag) */
	CORRIDOR_E_FULL = -10,        /* the disk or the map is full */
	CORRIDOR_E_UNSEAL = -11,      /* wrong passphrase, or key file tampered */
	CORRIDOR_E_KEY = -12,         /* key unknown, not valid at this seq, or wrong */
	CORRIDOR_E_SIGNATURE = -13,   /* a signature does not verify */
	CORRIDOR_E_VERIFY = -14,      /* a ledger, archive or proof check failed */
	CORRIDOR_E_REFUSED = -15,     /* a rule refuses this write */
	CORRIDOR_E_REPLICA = -16,     /* a replica refuses local writes */
	CORRIDOR_E_CRYPTO = -17,      /* the crypto library failed to initialise */
	CORRIDOR_E_OVERFLOW = -18,    /* an integer would overflow */
};

/** A static, one-line description of an error code. Never NULL. */
const char *corridor_strerror(int err);

/** Filled by failing functions: what went wrong, in one line. */
struct corridor_diag {
	bool has_seq;   /* the failure concerns entry `seq` */
	uint64_t seq;
	char text[CORRIDOR_DIAG_BYTES_MAX];
};

/** Clears a diag (no allocation). */
void corridor_diag_init(struct corridor_diag *diag);

/** Initialises libsodium. Errors: CORRIDOR_E_CRYPTO. */
CORRIDOR_MUST_CHECK int corridor_init(void);

/** Progress of a long operation: `done` of `total` units so far. */
typedef void (*corridor_progress_fn)(void *ctx, uint64_t done, uint64_t total);

/* ------------------------------------------------------------------ */
/* Encoding helpers                                                    */
/* ------------------------------------------------------------------ */

/** Lower-case hex of `len` bytes into `out` (2*len+1 bytes, NUL-terminated). */
void corridor_hex(const uint8_t *bytes, size_t len, char *out);
/** Parses exactly `2*len` hex digits. Errors: CORRIDOR_E_MALFORMED. */
CORRIDOR_MUST_CHECK int corridor_unhex(const char *hex, size_t hex_len, uint8_t *out, size_t len);
/** Standard base64 with padding; `out` needs corridor_base64_len(len) bytes. */
size_t corridor_base64_len(size_t len);
void corridor_base64(const uint8_t *bytes, size_t len, char *out);
/** Strict standard base64 (padding required, no whitespace, canonical trailing
 *  bits). Writes at most `cap` bytes. Errors: CORRIDOR_E_MALFORMED, CORRIDOR_E_LIMIT. */
CORRIDOR_MUST_CHECK int corridor_unbase64(const char *b64, size_t b64_len, uint8_t *out,
					  size_t cap, size_t *out_len);
/** Parses an exact decimal ("-12.5", "250.12503") into an integer scaled by
 *  10^scale: at most `scale` fractional digits (more are refused, never
 *  rounded), no exponent, sign only '-', result within [min, max].
 *  Errors: CORRIDOR_E_MALFORMED, CORRIDOR_E_LIMIT (too many fractional digits),
 *  CORRIDOR_E_OVERFLOW (out of bounds). */
CORRIDOR_MUST_CHECK int corridor_decimal_parse(const char *s, size_t len, unsigned scale,
					       int64_t min, int64_t max, int64_t *out);
/** Formats a scaled integer as a decimal, without trailing fractional zeros. */
void corridor_decimal_format(int64_t v, unsigned scale, char *out, size_t cap);
/** Parses a calendar date YYYY-MM-DD (1970-9999) into days since 1970-01-01.
 *  Errors: CORRIDOR_E_MALFORMED (including dates that do not exist). */
CORRIDOR_MUST_CHECK int corridor_date_parse(const char *s, size_t len, int32_t *days);
void corridor_date_format(int32_t days, char out[11]);
/** The calendar date of a day number. */
void corridor_civil_from_days(int32_t days, int32_t *y, unsigned *m, unsigned *d);
/** True if the day is the first of its month. */
bool corridor_month_start(int32_t days);
/** Parses a fixed UTC offset "+08:00" (-14:00 .. +14:00; "-00:00" refused)
 *  into minutes. Errors: CORRIDOR_E_MALFORMED. */
CORRIDOR_MUST_CHECK int corridor_offset_parse(const char *s, size_t len, int32_t *minutes);
void corridor_offset_format(int32_t minutes, char out[7]);

/** Parses a UTC instant written exactly YYYY-MM-DDTHH:MM:SSZ into seconds
 *  since the epoch. Errors: CORRIDOR_E_MALFORMED. */
CORRIDOR_MUST_CHECK int corridor_utc_parse(const char *s, size_t len, int64_t *secs);
void corridor_utc_format(int64_t secs, char out[21]);

/** Parses a decimal uint64 of exactly `len` digits: no sign, no blanks, no
 *  leading zeros (except "0"). Errors: CORRIDOR_E_MALFORMED, CORRIDOR_E_OVERFLOW. */
CORRIDOR_MUST_CHECK int corridor_parse_u64(const char *s, size_t len, uint64_t *out);

/** True if `s` is well-formed UTF-8 (no overlongs, no surrogates). */
bool corridor_utf8_valid(const uint8_t *s, size_t len);

/** Makes untrusted bytes safe for one line of a terminal: control characters
 *  (C0, DEL) and bytes that are not UTF-8 become `\xNN`; C1 controls, line
 *  separators and bidi controls `\u{N}`; everything else is copied, so
 *  escaping an escaped text changes nothing (messages that quote messages).
 *  Writes at most cap-1 bytes and a NUL into out, never half an escape or
 *  half a code point; returns the length written. Every error text
 *  (corridor_diag) and every untrusted string the CLI prints goes through it. */
size_t corridor_escape(const char *in, size_t len, char *out, size_t cap);

/* ------------------------------------------------------------------ */
/* Keys (C2SP signed-note Ed25519 keys)                                */
/* ------------------------------------------------------------------ */

/** Argon2id cost of a sealed key file: libsodium's named levels. */
enum corridor_kdf {
	CORRIDOR_KDF_INTERACTIVE = 1,
	CORRIDOR_KDF_MODERATE = 2,
	CORRIDOR_KDF_SENSITIVE = 3,
};

/** C2SP signature type bytes. */
#define CORRIDOR_SIGTYPE_ED25519 0x01u
/** c2sp.org/tlog-cosignature: timestamped Ed25519 cosignatures. */
#define CORRIDOR_SIGTYPE_COSIGNATURE 0x04u

/** A public key as a C2SP verifier key: name+hex8(keyid)+base64(0x01||pub). */
struct corridor_vkey {
	char name[CORRIDOR_NAME_BYTES_MAX + 1];
	uint32_t key_id;
	uint8_t public_key[CORRIDOR_PUBLIC_KEY_BYTES];
	uint8_t sigtype; /* CORRIDOR_SIGTYPE_ED25519 or CORRIDOR_SIGTYPE_COSIGNATURE */
};

/** key id = first 4 bytes, big-endian, of SHA-256(name || 0x0A || type || pub). */
uint32_t corridor_key_id(const char *name, size_t name_len, uint8_t sigtype,
			 const uint8_t public_key[CORRIDOR_PUBLIC_KEY_BYTES]);

/** True if `name` is a valid C2SP key name: non-empty, at most
 *  CORRIDOR_NAME_BYTES_MAX bytes, UTF-8, printable ASCII-or-UTF-8 without
 *  spaces or '+'. */
bool corridor_key_name_valid(const char *name, size_t len);

/** Parses a verifier key string of exactly `len` bytes and checks that its key
 *  id matches its name and key. Signature types 0x01 (Ed25519 notes) and 0x04
 *  (Ed25519 cosignatures) are accepted; sigtype says which.
 *  Errors: CORRIDOR_E_MALFORMED (any deviation). */
CORRIDOR_MUST_CHECK int corridor_vkey_parse(const char *s, size_t len, struct corridor_vkey *out);
/** Formats `vk` into `out` (CORRIDOR_VKEY_BYTES_MAX+1 bytes). */
void corridor_vkey_format(const struct corridor_vkey *vk, char out[CORRIDOR_VKEY_BYTES_MAX + 1]);
/** The same Ed25519 key as a cosigner (type 0x04, its own key id). */
void corridor_vkey_as_cosigner(const struct corridor_vkey *vk, struct corridor_vkey *out);

/** An unsealed signing key; the secret lives in sodium_malloc'd, guarded memory. */
struct corridor_signer;

/** Creates a new Ed25519 key named `name`, seals its secret with Argon2id
 *  (level `kdf`) + XSalsa20-Poly1305 under `passphrase`, and writes it to
 *  `path`, created with mode 0600; never overwrites.
 *  Errors: CORRIDOR_E_INVALID (bad name, empty passphrase), CORRIDOR_E_EXISTS,
 *  CORRIDOR_E_IO, CORRIDOR_E_NOMEM. */
CORRIDOR_MUST_CHECK int corridor_key_generate(const char *name, const char *passphrase,
					      size_t passphrase_len, enum corridor_kdf kdf,
					      const char *path, struct corridor_diag *diag);

/** Reads the public part of a key file (no passphrase needed).
 *  Errors: CORRIDOR_E_IO, CORRIDOR_E_NOTFOUND, CORRIDOR_E_MALFORMED. */
CORRIDOR_MUST_CHECK int corridor_key_read_public(const char *path, struct corridor_vkey *out,
						 struct corridor_diag *diag);

/** Unseals a key file. On success the caller owns *out (corridor_signer_free).
 *  Errors: CORRIDOR_E_IO, CORRIDOR_E_NOTFOUND, CORRIDOR_E_MALFORMED (truncated or
 *  garbled file), CORRIDOR_E_LIMIT (KDF cost outside libsodium's levels),
 *  CORRIDOR_E_UNSEAL (wrong passphrase or tampered file), CORRIDOR_E_NOMEM. */
CORRIDOR_MUST_CHECK int corridor_signer_load(const char *path, const char *passphrase,
					     size_t passphrase_len, struct corridor_signer **out,
					     struct corridor_diag *diag);

/** A signer from a raw 32-byte Ed25519 seed (tests, vectors). Caller owns *out.
 *  Errors: CORRIDOR_E_INVALID, CORRIDOR_E_NOMEM. */
CORRIDOR_MUST_CHECK int corridor_signer_from_seed(const char *name,
						  const uint8_t seed[32],
						  struct corridor_signer **out);
/** Wipes and frees. NULL is allowed. */
void corridor_signer_free(struct corridor_signer *signer);
/** The signer's public identity (borrowed; valid while the signer lives). */
const struct corridor_vkey *corridor_signer_vkey(const struct corridor_signer *signer);
/** Ed25519 detached signature of `msg`. Thread-safe for one signer. */
void corridor_signer_sign(const struct corridor_signer *signer, const uint8_t *msg, size_t len,
			  uint8_t sig[CORRIDOR_SIGNATURE_BYTES]);

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

/** The RFC 6962 root of the first `size` leaves, in O(log size) reads. */
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
 *  `root` is compared as given (a root of the wrong length never matches). */
CORRIDOR_MUST_CHECK int corridor_merkle_verify_inclusion(uint64_t index, uint64_t size,
							 const uint8_t leaf_hash[CORRIDOR_HASH_BYTES],
							 const uint8_t (*proof)[CORRIDOR_HASH_BYTES],
							 size_t count, const uint8_t *root,
							 size_t root_len);
/** RFC 9162 §2.1.4.2. A proof from size 0 is rejected (0 -> 0 included); equal
 *  sizes with an empty proof hold exactly when the two roots are equal.
 *  Returns 0 if the proof holds, else CORRIDOR_E_VERIFY. */
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
/** Loads the range of the first `size` leaves from stored nodes. */
CORRIDOR_MUST_CHECK int corridor_merkle_range_load(struct corridor_merkle_range *range,
						   corridor_merkle_get_fn get, void *ctx,
						   uint64_t size);
/** Appends a leaf hash; `put` (may be NULL) sees every completed node. */
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

#define CORRIDOR_ENTRY_VERSION 1u
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
	size_t content_len; /* the map of keys 0-7 is 0x88 || raw[1, content_len) */
};

/** Strictly decodes one entry occupying exactly `len` bytes: pre-scans declared
 *  counts and lengths before msgpack-c allocates, refuses floats, nil and ext,
 *  re-encodes and compares bytes, checks key order, UTF-8 and field types.
 *  Errors: CORRIDOR_E_MALFORMED, CORRIDOR_E_NONCANONICAL, CORRIDOR_E_LIMIT,
 *  CORRIDOR_E_NOMEM. */
CORRIDOR_MUST_CHECK int corridor_entry_decode(const uint8_t *buf, size_t len,
					      struct corridor_entry *out,
					      struct corridor_diag *diag);

/** SHA-256 of the entry's signed content (its canonical map of keys 0-7):
 *  what the next entry's `prev` holds. */
void corridor_entry_content_hash(const uint8_t *buf, const struct corridor_entry *e,
				 uint8_t out[CORRIDOR_HASH_BYTES]);

/** Checks the signature over "corridor/entry/v1\n" || content map.
 *  Errors: CORRIDOR_E_SIGNATURE. */
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

/** The same for an unsigned integer value. */
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

/* ------------------------------------------------------------------ */
/* Parties, roles and keys (docs/ROLES.md)                             */
/* ------------------------------------------------------------------ */

/** Roles a party may hold; the operator's role is implied by the genesis. */
enum corridor_role {
	CORRIDOR_ROLE_SELLER = 1 << 0,
	CORRIDOR_ROLE_BUYER = 1 << 1,
	CORRIDOR_ROLE_METER = 1 << 2,
	CORRIDOR_ROLE_RATES = 1 << 3,
	CORRIDOR_ROLE_SETTLEMENT = 1 << 4,
	CORRIDOR_ROLE_AUDITOR = 1 << 5,
	CORRIDOR_ROLE_OPERATOR = 1 << 6,
};
#define CORRIDOR_ROLES_ASSIGNABLE 0x3fu
/** Parses "seller,buyer" into role bits. Errors: CORRIDOR_E_INVALID. */
CORRIDOR_MUST_CHECK int corridor_roles_parse(const char *list, unsigned *roles,
					     struct corridor_diag *diag);
/** Writes role names, comma-separated, into out. */
void corridor_roles_format(unsigned roles, char *out, size_t cap);

/** True for [A-Z0-9-]{1,32} not starting or ending with '-'. */
bool corridor_party_id_valid(const char *id);
/** True for an assigned ISO 3166-1 alpha-2 code. */
bool corridor_country_valid(const char *cc);
/** True for an IBAN (ISO 13616): upper-case, no spaces, known country length
 *  where the country is known, mod-97 check digits. */
bool corridor_iban_valid(const char *iban);

struct corridor_party_request {
	const char *id;
	const char *name;
	const char *country;
	unsigned roles;                 /* CORRIDOR_ROLE_* bits, not OPERATOR */
	struct corridor_vkey key;       /* its first key; key.name must equal id */
	const char *const *ibans;
	size_t iban_count;
};
/** The operator registers a party and its first key (valid from the next seq).
 *  Errors: CORRIDOR_E_INVALID (a field, named in diag), CORRIDOR_E_REFUSED
 *  (not the operator, id taken, idempotency key reused), CORRIDOR_E_KEY,
 *  CORRIDOR_E_REPLICA, CORRIDOR_E_STORAGE, CORRIDOR_E_FULL. */
CORRIDOR_MUST_CHECK int corridor_party_register(struct corridor_ledger *ledger,
						const struct corridor_signer *operator_key,
						const struct corridor_party_request *req,
						const char *idempotency_key, uint64_t *seq,
						struct corridor_diag *diag);

struct corridor_party_key {
	uint32_t key_id;
	uint8_t public_key[CORRIDOR_PUBLIC_KEY_BYTES];
	uint64_t valid_from;  /* first seq it may sign */
	uint64_t valid_until; /* last seq it may sign; UINT64_MAX while valid */
};
struct corridor_party {
	char id[CORRIDOR_NAME_BYTES_MAX + 1];
	char name[CORRIDOR_PARTY_NAME_BYTES_MAX + 1];
	char country[3];
	unsigned roles;
	uint64_t registered_seq;
	size_t iban_count;
	char ibans[CORRIDOR_PARTY_IBANS_MAX][35];
	size_t key_count; /* ordered by valid_from */
	struct corridor_party_key keys[CORRIDOR_PARTY_KEYS_MAX];
};
/** One party with its keys. Errors: CORRIDOR_E_NOTFOUND, CORRIDOR_E_STORAGE. */
CORRIDOR_MUST_CHECK int corridor_party_get(struct corridor_ledger *ledger, const char *id,
					   struct corridor_party *out, struct corridor_diag *diag);
/** Every party (the operator first, then by id). fn's non-zero return stops. */
typedef int (*corridor_party_fn)(void *ctx, const struct corridor_party *party);
CORRIDOR_MUST_CHECK int corridor_party_list(struct corridor_ledger *ledger, corridor_party_fn fn,
					    void *ctx, struct corridor_diag *diag);

/** A party introduces a new key, signed with its current one (the old key
 *  stays valid up to this seq). For the operator, later checkpoints are signed
 *  with the new key. Errors: CORRIDOR_E_REFUSED (key reused), CORRIDOR_E_KEY,
 *  and the storage errors. */
CORRIDOR_MUST_CHECK int corridor_key_rotate(struct corridor_ledger *ledger,
					    const struct corridor_signer *current,
					    const uint8_t new_public_key[CORRIDOR_PUBLIC_KEY_BYTES],
					    const char *idempotency_key, uint64_t *seq,
					    struct corridor_diag *diag);
/** The operator, or the party itself, revokes one of the party's keys from
 *  this seq on. Errors: CORRIDOR_E_REFUSED (not allowed, unknown or already
 *  invalid key, the operator's current key), and the storage errors. */
CORRIDOR_MUST_CHECK int corridor_key_revoke(struct corridor_ledger *ledger,
					    const struct corridor_signer *signer, const char *party,
					    uint32_t key_id, const char *reason,
					    const char *idempotency_key, uint64_t *seq,
					    struct corridor_diag *diag);
/** The operator gives a party a new key and revokes every key the party still
 *  had (a lost key). key->name must be the party id.
 *  Errors: CORRIDOR_E_REFUSED, CORRIDOR_E_INVALID, and the storage errors. */
CORRIDOR_MUST_CHECK int corridor_key_add(struct corridor_ledger *ledger,
					 const struct corridor_signer *operator_key,
					 const char *party, const struct corridor_vkey *key,
					 const char *idempotency_key, uint64_t *seq,
					 struct corridor_diag *diag);

/** Countersigns entry `target`: an attest entry naming it and its content
 *  hash. `hash` (may be NULL: read from the ledger) is the hash the attester
 *  expects; a different one is refused. Errors: CORRIDOR_E_REFUSED (no such
 *  entry, wrong hash), CORRIDOR_E_KEY, and the storage errors. */
CORRIDOR_MUST_CHECK int corridor_attest(struct corridor_ledger *ledger,
					const struct corridor_signer *signer, uint64_t target,
					const uint8_t *hash, const char *note,
					const char *idempotency_key, uint64_t *seq,
					struct corridor_diag *diag);

/** A party with the auditor role cosigns the stored checkpoint of `size`
 *  (0 = the latest) after checking that it is consistent with the last one it
 *  cosigned; the cosignature (c2sp.org/tlog-cosignature, type 0x04, named by
 *  the party id) is kept with the checkpoint. Returns the size cosigned.
 *  Errors: CORRIDOR_E_REFUSED (not an auditor, older than what it cosigned),
 *  CORRIDOR_E_VERIFY (not consistent), CORRIDOR_E_NOTFOUND, CORRIDOR_E_KEY,
 *  CORRIDOR_E_REPLICA, and the storage errors. */
CORRIDOR_MUST_CHECK int corridor_checkpoint_cosign(struct corridor_ledger *ledger,
						   const struct corridor_signer *auditor,
						   uint64_t size, uint64_t *size_out,
						   struct corridor_diag *diag);

/* ------------------------------------------------------------------ */
/* Contracts (docs/CONTRACTS.md)                                       */
/* ------------------------------------------------------------------ */

#define CORRIDOR_PRICE_STEPS_MAX 64u
#define CORRIDOR_CONTRACT_VERSIONS_MAX 32u
#define CORRIDOR_CONTRACT_PENDING_MAX 16u
#define CORRIDOR_METER_ID_BYTES_MAX 64u
#define CORRIDOR_POINT_BYTES_MAX 128u
#define CORRIDOR_CONTRACT_JSON_BYTES_MAX (1u << 20)
/** Bounds of SETTLEMENT.md "Numbers". */
#define CORRIDOR_QUANTITY_MILLI_LIMIT 1000000000000000LL /* |q| < 10^15 */
#define CORRIDOR_PRICE_MICRO_LIMIT 1000000000000LL       /* 0 <= p < 10^12 */
#define CORRIDOR_BASIS_POINTS_MAX 100000u
#define CORRIDOR_PERMILLE_MAX 1000u
#define CORRIDOR_PAYMENT_DAYS_MAX 366u

enum corridor_commodity {
	CORRIDOR_COMMODITY_GAS = 1,
	CORRIDOR_COMMODITY_POWER = 2,
	CORRIDOR_COMMODITY_TRANSIT = 3,
};

/** A price (or, for transit, fee) per contract unit from a local date on, in
 *  micro-units of the contract currency's major unit. */
struct corridor_price_step {
	int32_t from_day; /* days since 1970-01-01, a local date of the contract */
	int64_t price_micro;
};

/** The terms of a bilateral contract (one version). Dates are local calendar
 *  days of the contract's fixed UTC offset; the term is [start, end). */
struct corridor_contract_terms {
	char id[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
	char seller[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
	char buyer[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
	enum corridor_commodity commodity;
	char carries[CORRIDOR_PARTY_ID_BYTES_MAX + 1]; /* transit: the supply contract */
	char delivery_point[CORRIDOR_POINT_BYTES_MAX + 1];
	char unit[8];            /* kWh, MWh, GJ, MMBtu, m3 */
	int32_t start_day, end_day;
	int32_t utc_offset_min;
	size_t price_count;
	struct corridor_price_step prices[CORRIDOR_PRICE_STEPS_MAX];
	char currency[4];
	char settlement_currency[4];
	char rate_source[CORRIDOR_PARTY_ID_BYTES_MAX + 1]; /* empty if no conversion */
	uint32_t payment_days;
	bool has_min, has_max;
	int64_t min_milli, max_milli;   /* per period, milli-units */
	/* The capacity (optional): at most this many milli-units per hour; a
	 * reading above capacity x its interval's length is refused. */
	bool has_max_rate;
	int64_t max_rate_milli;
	uint32_t shortfall_bp, excess_bp;
	uint32_t tolerance_permille;
	char metering_party[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
	char billing_meter[CORRIDOR_METER_ID_BYTES_MAX + 1];
};

/** Parses contract terms from JSON (jansson; docs/CONTRACTS.md) and validates
 *  them (corridor_contract_validate). Decimals must be JSON strings.
 *  Errors: CORRIDOR_E_MALFORMED (not JSON), CORRIDOR_E_INVALID (a field; diag
 *  names it), CORRIDOR_E_LIMIT. */
CORRIDOR_MUST_CHECK int corridor_contract_parse_json(const char *json, size_t len,
						     struct corridor_contract_terms *out,
						     struct corridor_diag *diag);
/** Checks every bound of SETTLEMENT.md "Numbers" and the terms' own
 *  consistency (not the ledger's parties). Errors: CORRIDOR_E_INVALID. */
CORRIDOR_MUST_CHECK int corridor_contract_validate(const struct corridor_contract_terms *t,
						   struct corridor_diag *diag);

/** The seller or buyer proposes a contract; the other party accepts it.
 *  Errors: CORRIDOR_E_INVALID, CORRIDOR_E_REFUSED (roles, id taken, unknown
 *  parties or carried contract), CORRIDOR_E_KEY, and the storage errors. */
CORRIDOR_MUST_CHECK int corridor_contract_propose(struct corridor_ledger *ledger,
						  const struct corridor_signer *signer,
						  const struct corridor_contract_terms *terms,
						  const char *idempotency_key, uint64_t *seq,
						  struct corridor_diag *diag);
/** The other party accepts a pending proposal (propose, amend or terminate),
 *  named by its seq (0: the only pending one). */
CORRIDOR_MUST_CHECK int corridor_contract_accept(struct corridor_ledger *ledger,
						 const struct corridor_signer *signer, const char *id,
						 uint64_t proposal, const char *idempotency_key,
						 uint64_t *seq, struct corridor_diag *diag);
/** Proposes new terms from a local date: prices may change from any date,
 *  other terms only from the first day of a period. */
CORRIDOR_MUST_CHECK int corridor_contract_amend(struct corridor_ledger *ledger,
						const struct corridor_signer *signer,
						const struct corridor_contract_terms *terms,
						int32_t effective_day, const char *idempotency_key,
						uint64_t *seq, struct corridor_diag *diag);
/** Proposes to end the contract from the first day of a period. */
CORRIDOR_MUST_CHECK int corridor_contract_terminate(struct corridor_ledger *ledger,
						    const struct corridor_signer *signer,
						    const char *id, int32_t effective_day,
						    const char *idempotency_key, uint64_t *seq,
						    struct corridor_diag *diag);

enum corridor_contract_status {
	CORRIDOR_CONTRACT_PROPOSED = 1,
	CORRIDOR_CONTRACT_ACTIVE = 2,
	CORRIDOR_CONTRACT_TERMINATED = 3,
};
struct corridor_contract_version {
	uint64_t accepted_seq;
	int32_t effective_day;
	struct corridor_contract_terms terms;
};
struct corridor_contract_pending {
	uint64_t seq;
	char kind[24]; /* contract.propose, contract.amend, contract.terminate */
	char proposer[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
	int32_t effective_day; /* amend and terminate */
};
/** A contract: its versions (oldest first; the terms in force on a date are
 *  the latest version effective on or before it) and its pending proposals. */
struct corridor_contract {
	char id[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
	enum corridor_contract_status status;
	uint64_t proposed_seq;
	size_t version_count;
	struct corridor_contract_version versions[CORRIDOR_CONTRACT_VERSIONS_MAX];
	size_t pending_count;
	struct corridor_contract_pending pending[CORRIDOR_CONTRACT_PENDING_MAX];
};
/** One contract. Errors: CORRIDOR_E_NOTFOUND, CORRIDOR_E_STORAGE. */
CORRIDOR_MUST_CHECK int corridor_contract_get(struct corridor_ledger *ledger, const char *id,
					      struct corridor_contract *out,
					      struct corridor_diag *diag);
/** Every contract (of `party` as seller, buyer or metering party, if not NULL). */
typedef int (*corridor_contract_fn)(void *ctx, const struct corridor_contract *c);
CORRIDOR_MUST_CHECK int corridor_contract_list(struct corridor_ledger *ledger, const char *party,
					       corridor_contract_fn fn, void *ctx,
					       struct corridor_diag *diag);

/* ------------------------------------------------------------------ */
/* Deliveries (docs/DELIVERIES.md)                                     */
/* ------------------------------------------------------------------ */

/** Intervals one recorder has on one meter within one UTC day. */
#define CORRIDOR_DAY_INTERVALS_MAX 1440u
/** Rows of one delivery import. */
#define CORRIDOR_IMPORT_ROWS_MAX 10000000u
#define CORRIDOR_IMPORT_BYTES_MAX ((size_t)2 << 30)

struct corridor_delivery_request {
	const char *contract;
	const char *meter;
	const char *reference; /* the source system's id; the idempotency key (may be NULL) */
	int64_t start_s, end_s; /* UTC seconds, [start, end) */
	int64_t quantity_milli; /* thousandths of the contract unit, 0 <= q < 10^15 */
	char quality;           /* 'A' actual or 'E' estimated */
};

/** Records one metered interval: by the metering party, or by the seller or
 *  buyer (their own readings); inside the term of an accepted contract and
 *  within one local day of it; no overlap with the recorder's earlier interval
 *  on the same meter. Errors: CORRIDOR_E_INVALID, CORRIDOR_E_REFUSED, and the
 *  storage errors. */
CORRIDOR_MUST_CHECK int corridor_delivery_record(struct corridor_ledger *ledger,
						 const struct corridor_signer *signer,
						 const struct corridor_delivery_request *r,
						 uint64_t *seq, struct corridor_diag *diag);
/** Corrects the reading at `supersedes` (the recorder only); the original
 *  stays in the log, superseded. Quantity 0 removes the interval from billing. */
CORRIDOR_MUST_CHECK int corridor_delivery_correct(struct corridor_ledger *ledger,
						  const struct corridor_signer *signer,
						  uint64_t supersedes, int64_t quantity_milli,
						  const char *reason, const char *idempotency_key,
						  uint64_t *seq, struct corridor_diag *diag);

struct corridor_delivery {
	uint64_t seq;
	char contract[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
	char recorder[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
	char meter[CORRIDOR_METER_ID_BYTES_MAX + 1];
	int64_t start_s, end_s;
	int64_t quantity_milli;
	char quality;
	uint64_t supersedes;    /* 0 for an original reading */
	uint64_t superseded_by; /* 0 while it is the latest */
};
/** Every reading of a contract (corrections included), by seq; period
 *  (days since the epoch of the month's first local day, or -1 for all)
 *  selects the readings whose interval starts in that local month. */
typedef int (*corridor_delivery_fn)(void *ctx, const struct corridor_delivery *d);
CORRIDOR_MUST_CHECK int corridor_delivery_list(struct corridor_ledger *ledger, const char *contract,
					       int32_t period_first_day, corridor_delivery_fn fn,
					       void *ctx, struct corridor_diag *diag);

/** What an importer reads. */
enum corridor_import_format {
	CORRIDOR_IMPORT_DELIVERIES = 1, /* delivery CSV (corridor_delivery_import) */
	CORRIDOR_IMPORT_RATES = 2,      /* rates CSV (corridor_rate_import) */
	CORRIDOR_IMPORT_STATEMENT = 3,  /* ISO 20022 camt.053 (corridor_payment_import) */
};
/** Reads and checks a whole import file with the importer's own reader, with
 *  no ledger and no key: a caller checks the file before it asks for a
 *  passphrase. The importer reads the file again (and checks it against the
 *  ledger). Errors: those of the importer's reader, with line and column. */
CORRIDOR_MUST_CHECK int corridor_import_check(enum corridor_import_format format, const char *buf,
					      size_t len, struct corridor_diag *diag);

/** Imports a CSV of readings (RFC 4180; header `contract,start,end,quantity,
 *  meter,reference` in any order, optional `quality`): every row is checked,
 *  then all rows are checked against the ledger as one dry run, and only then
 *  written in transactions of `batch_entries`. A row whose reference was
 *  imported before with the same values is skipped (re-running an import
 *  completes it); with other values it is refused. `committed` sees each batch
 *  written. Errors name the line (and column). */
CORRIDOR_MUST_CHECK int corridor_delivery_import(struct corridor_ledger *ledger,
						 const struct corridor_signer *signer,
						 const char *csv, size_t len, size_t batch_entries,
						 corridor_committed_fn committed, void *ctx,
						 size_t *rows_written, size_t *rows_skipped,
						 struct corridor_diag *diag);

/* ------------------------------------------------------------------ */
/* Reconciliation reports (docs/DELIVERIES.md "Reports")               */
/* ------------------------------------------------------------------ */

/** THE rounding of Corridor (SETTLEMENT.md "Numbers"): num / den rounded half
 *  to even, exact in 128 bits. den must be > 0. Errors: CORRIDOR_E_OVERFLOW
 *  when the result does not fit a signed 64-bit integer. */
__extension__ typedef __int128 corridor_i128;
CORRIDOR_MUST_CHECK int corridor_div_round(corridor_i128 num, corridor_i128 den, int64_t *out);

enum corridor_meter_status {
	CORRIDOR_METER_AGREE = 1,     /* both sides within tolerance */
	CORRIDOR_METER_DISPUTED = 2,  /* both sides, beyond tolerance */
	CORRIDOR_METER_BILLING_ONLY = 3,
	CORRIDOR_METER_OTHER_ONLY = 4,
};
struct corridor_meter_row {
	int64_t start_s, end_s;
	bool has_billing, has_other;
	int64_t billing_milli, other_milli; /* latest readings; other: summed over meters */
	enum corridor_meter_status status;
};
struct corridor_meter_report {
	char contract[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
	char unit[8];
	char metering_party[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
	char other_party[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
	char billing_meter[CORRIDOR_METER_ID_BYTES_MAX + 1];
	uint32_t tolerance_permille;
	size_t count;
	struct corridor_meter_row *rows; /* by interval; malloc'd */
	int64_t total_billing_milli, total_other_milli;
	size_t agree, disputed, billing_only, other_only;
};
/** Meter vs meter for a contract and a local month (period_first_day: days
 *  since the epoch of the month's first day). For a transit contract, the
 *  readings of the supply contract it carries.
 *  Errors: CORRIDOR_E_NOTFOUND (no such accepted contract), CORRIDOR_E_STORAGE,
 *  CORRIDOR_E_NOMEM. Release with corridor_meter_report_release. */
CORRIDOR_MUST_CHECK int corridor_report_meters(struct corridor_ledger *ledger, const char *contract,
					       int32_t period_first_day,
					       struct corridor_meter_report *out,
					       struct corridor_diag *diag);
void corridor_meter_report_release(struct corridor_meter_report *r);

struct corridor_performance {
	char contract[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
	char unit[8];
	bool has_min, has_max;
	int64_t min_milli, max_milli;  /* the band, prorated to the days of the term in P */
	int64_t billable_milli;        /* SETTLEMENT.md "Billable quantity" */
	int64_t shortfall_milli, excess_milli;
	size_t intervals, disputed;
};
/** Contract performance for a local month: the band, the billable quantity,
 *  shortfall and excess; for one contract, or (contract NULL) every accepted
 *  contract whose term overlaps the month, by id. */
typedef int (*corridor_performance_fn)(void *ctx, const struct corridor_performance *p);
CORRIDOR_MUST_CHECK int corridor_report_performance(struct corridor_ledger *ledger,
						    const char *contract, int32_t period_first_day,
						    corridor_performance_fn fn, void *ctx,
						    struct corridor_diag *diag);
/** Days of the month that starts on first_day (28-31). */
unsigned corridor_month_days(int32_t first_day);

/* ---- Ledger against ledger (docs/DELIVERIES.md "report diff") ---- */

/** Readings one side may hold for one contract in a diff. */
#define CORRIDOR_DIFF_READINGS_MAX 4000000u
#define CORRIDOR_DIFF_KEY_BYTES_MAX 160u
#define CORRIDOR_DIFF_FIELDS_BYTES_MAX 320u

enum corridor_diff_kind {
	CORRIDOR_DIFF_CONTRACT = 1, /* matched by contract id */
	CORRIDOR_DIFF_DELIVERY = 2, /* matched by contract, meter and interval start */
	CORRIDOR_DIFF_RATE = 3,     /* matched by source, pair and date */
	CORRIDOR_DIFF_INVOICE = 4,  /* matched by invoice id */
	CORRIDOR_DIFF_PAYMENT = 5,  /* matched by reference, payer, value date (and #n among equals) */
	CORRIDOR_DIFF_KINDS = 5
};
enum corridor_diff_status {
	CORRIDOR_DIFF_MATCH = 1,
	CORRIDOR_DIFF_OURS_ONLY = 2,
	CORRIDOR_DIFF_THEIRS_ONLY = 3,
	CORRIDOR_DIFF_DIFFER = 4,
};
struct corridor_diff_row {
	enum corridor_diff_kind kind;
	enum corridor_diff_status status;
	/* contract: "G1"; delivery: "G1/M1/2026-01-01T00:00:00Z" */
	char key[CORRIDOR_DIFF_KEY_BYTES_MAX];
	/* DIFFER: the fields that differ, comma-separated (e.g. "quantity,quality") */
	char fields[CORRIDOR_DIFF_FIELDS_BYTES_MAX];
	uint64_t ours_seq, theirs_seq; /* the entry on each side (0: none) */
};
/** Counts by kind ([kind - 1]) and status ([status - 1]). */
struct corridor_diff_totals {
	size_t count[CORRIDOR_DIFF_KINDS][4];
};
/** Compares two ledgers' contracts (every version's terms, status), latest
 *  readings (end, quantity, quality, recorder), rates (rate), invoices
 *  (contract, parties, currency, subtotal, total, due date, status) and
 *  payments (payee, currency, amount, status), calling `fn` for every row in
 *  key order: contracts, each contract's readings, rates, invoices, payments.
 *  Neither ledger is written; either may be a replica made from another
 *  party's archive.
 *  Errors: CORRIDOR_E_LIMIT (more than CORRIDOR_DIFF_READINGS_MAX readings),
 *  CORRIDOR_E_NOMEM, CORRIDOR_E_STORAGE, or what `fn` returns. */
typedef int (*corridor_diff_fn)(void *ctx, const struct corridor_diff_row *row);
CORRIDOR_MUST_CHECK int corridor_report_diff(struct corridor_ledger *ours,
					     struct corridor_ledger *theirs, corridor_diff_fn fn,
					     void *ctx, struct corridor_diff_totals *totals,
					     struct corridor_diag *diag);

/** Copies entry `seq` (canonical bytes) into a malloc'd buffer the caller frees.
 *  Errors: CORRIDOR_E_NOTFOUND, CORRIDOR_E_STORAGE, CORRIDOR_E_NOMEM. */
CORRIDOR_MUST_CHECK int corridor_ledger_entry(struct corridor_ledger *ledger, uint64_t seq,
					      uint8_t **out, size_t *out_len);

/** Calls `fn` for entries seq >= from, at most `limit` of them (0 = all), in
 *  seq order, inside one read transaction; the bytes are valid during the call.
 *  A non-zero return from `fn` stops and is returned. */
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

/* ------------------------------------------------------------------ */
/* Archives                                                            */
/* ------------------------------------------------------------------ */

/** Writes an archive of entries [from, size of the latest signed checkpoint)
 *  to `path` (created, never overwritten). Errors: CORRIDOR_E_EXISTS,
 *  CORRIDOR_E_NOTFOUND (no signed checkpoint, or from beyond it), CORRIDOR_E_IO,
 *  CORRIDOR_E_STORAGE. */
CORRIDOR_MUST_CHECK int corridor_archive_export(struct corridor_ledger *ledger, uint64_t from,
						const char *path, struct corridor_diag *diag);

/** Verifies a full archive offline against the operator's verifier key: header,
 *  every entry as corridor_ledger_verify does, the Merkle root against the
 *  checkpoint, the checkpoint's signature. A partial archive (first > 0) is
 *  refused: it can only extend a replica. Errors: CORRIDOR_E_VERIFY (with seq),
 *  CORRIDOR_E_MALFORMED, CORRIDOR_E_SIGNATURE, CORRIDOR_E_KEY, CORRIDOR_E_IO,
 *  CORRIDOR_E_INVALID (partial archive), CORRIDOR_E_NOMEM. */
CORRIDOR_MUST_CHECK int corridor_archive_verify(const char *path, const struct corridor_vkey *vkey,
						corridor_progress_fn progress, void *ctx,
						struct corridor_diag *diag);

/** Creates a replica in `dir` from a full archive, or extends the replica in
 *  `dir` from an archive whose `first` equals the replica's size. Every entry is
 *  verified and the archive's checkpoint must be consistent with the replica's
 *  before anything is written; the whole import is one transaction. `vkey`
 *  (may be NULL) pins the operator key the checkpoint must be signed with;
 *  without it a new replica trusts the genesis entry's key.
 *  Errors: as corridor_archive_verify, plus CORRIDOR_E_REFUSED (dir holds a
 *  ledger that is not a replica, or first != replica size), CORRIDOR_E_STORAGE,
 *  CORRIDOR_E_FULL. */
CORRIDOR_MUST_CHECK int corridor_archive_import(const char *dir, const char *path,
						const struct corridor_vkey *vkey, uint64_t *size_out,
						struct corridor_diag *diag);

/* ------------------------------------------------------------------ */
/* Currencies, FX rates, settlement, payments (docs/SETTLEMENT.md)     */
/* ------------------------------------------------------------------ */

#define CORRIDOR_CURRENCY_DECIMALS_MAX 4u
#define CORRIDOR_RATE_LIMIT 100000000000000LL /* 0 < r < 10^14, r = rate x 10^8 */
#define CORRIDOR_RATE_LOOKBACK_DAYS 7
#define CORRIDOR_SOURCE_BYTES_MAX 32u
#define CORRIDOR_REFERENCE_BYTES_MAX 140u   /* ISO 20022 Max140Text */
#define CORRIDOR_INVOICE_ID_BYTES_MAX 64u
/** Invoices in one batch, lines and adjustments on one invoice. */
#define CORRIDOR_BATCH_INVOICES_MAX 4000u
#define CORRIDOR_INVOICE_LINES_MAX 64u
#define CORRIDOR_INVOICE_ADJUSTMENTS_MAX 120u
/** Rows of one rates CSV. */
#define CORRIDOR_RATE_ROWS_MAX 1000000u
/** Periods of a contract's term walked when checking settlement order. */
#define CORRIDOR_TERM_PERIODS_MAX 1200u
/** Money: |amount| < 2^63 minor units; a payment amount is positive. */

/** Formats minor units with exactly `decimals` fractional digits ("-12.30"). */
void corridor_money_format(int64_t minor, unsigned decimals, char *out, size_t cap);

/** Defines a currency (the operator): an ISO 4217 code of three capital
 *  letters and its minor-unit decimals (0..4). CNY, RUB, MNT and USD are
 *  predefined with 2 decimals. A code is defined once.
 *  Errors: CORRIDOR_E_INVALID, CORRIDOR_E_REFUSED, storage errors. */
CORRIDOR_MUST_CHECK int corridor_currency_define(struct corridor_ledger *ledger,
						 const struct corridor_signer *signer,
						 const char *code, unsigned decimals,
						 const char *idempotency_key, uint64_t *seq,
						 struct corridor_diag *diag);
/** The decimals of a currency (predefined or defined). Errors: CORRIDOR_E_NOTFOUND. */
CORRIDOR_MUST_CHECK int corridor_currency_decimals(struct corridor_ledger *ledger, const char *code,
						   unsigned *decimals, struct corridor_diag *diag);
typedef int (*corridor_currency_fn)(void *ctx, const char *code, unsigned decimals, uint64_t seq);
/** Every currency by code (seq 0: predefined). */
CORRIDOR_MUST_CHECK int corridor_currency_list(struct corridor_ledger *ledger,
					       corridor_currency_fn fn, void *ctx,
					       struct corridor_diag *diag);

/** An FX rate: units of `quote` per 1 unit of `base`, times 10^8. */
struct corridor_rate {
	char source[CORRIDOR_SOURCE_BYTES_MAX + 1];
	char base[4], quote[4];
	int32_t day;     /* the publisher's calendar date */
	int64_t rate_e8; /* 0 < r < 10^14 */
	uint64_t seq;    /* the entry that set it (listing) */
	uint64_t corrects; /* listing: the seq of the rate it corrected, 0 for a first */
};
/** Records a rate (a `rates` party). A second rate for the same (source, pair,
 *  date) is refused unless `correct` is set (a rate.correct entry, which needs
 *  an existing rate). Errors: CORRIDOR_E_INVALID, CORRIDOR_E_REFUSED, storage. */
CORRIDOR_MUST_CHECK int corridor_rate_record(struct corridor_ledger *ledger,
					     const struct corridor_signer *signer,
					     const struct corridor_rate *rate, bool correct,
					     const char *idempotency_key, uint64_t *seq,
					     struct corridor_diag *diag);
/** Imports a rates CSV (RFC 4180; header `base,quote,date,rate,source`, any
 *  column order): every row checked first, then written in one transaction.
 *  A row equal to a rate already recorded is skipped; a different value for an
 *  existing (source, pair, date) is refused (correct it with --correct).
 *  Errors: CORRIDOR_E_MALFORMED / CORRIDOR_E_INVALID (diag names line and
 *  column), CORRIDOR_E_REFUSED, CORRIDOR_E_LIMIT, storage errors. */
CORRIDOR_MUST_CHECK int corridor_rate_import(struct corridor_ledger *ledger,
					     const struct corridor_signer *signer, const char *csv,
					     size_t len, size_t *written, size_t *skipped,
					     struct corridor_diag *diag);
typedef int (*corridor_rate_fn)(void *ctx, const struct corridor_rate *r);
/** Current rates, by pair, date and source; base/quote NULL for all pairs;
 *  days in [from_day, to_day]. */
CORRIDOR_MUST_CHECK int corridor_rate_list(struct corridor_ledger *ledger, const char *base,
					   const char *quote, int32_t from_day, int32_t to_day,
					   corridor_rate_fn fn, void *ctx, struct corridor_diag *diag);

enum corridor_line_kind {
	CORRIDOR_LINE_ENERGY = 1,
	CORRIDOR_LINE_SHORTFALL = 2,
	CORRIDOR_LINE_EXCESS = 3,
	CORRIDOR_LINE_TRANSIT = 4,
};
struct corridor_invoice_line {
	enum corridor_line_kind kind;
	int64_t quantity_milli;
	int64_t price_micro;
	int64_t amount_minor; /* contract currency */
};
/** A prior-period adjustment (SETTLEMENT.md): delta in the contract currency,
 *  amount converted with the rate that period's invoice used. */
struct corridor_invoice_adjustment {
	int32_t period_day;
	char invoice[CORRIDOR_INVOICE_ID_BYTES_MAX + 1];
	int64_t delta_minor, amount_minor;
};
struct corridor_invoice {
	char id[CORRIDOR_INVOICE_ID_BYTES_MAX + 1];
	char contract[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
	char seller[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
	char buyer[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
	char currency[4], settlement_currency[4];
	int32_t period_day, issue_day, due_day;
	size_t line_count;
	struct corridor_invoice_line lines[CORRIDOR_INVOICE_LINES_MAX];
	size_t adjustment_count;
	struct corridor_invoice_adjustment adjustments[CORRIDOR_INVOICE_ADJUSTMENTS_MAX];
	uint64_t intervals, disputed;
	int64_t subtotal_minor; /* lines, contract currency */
	bool converted;         /* a rate was used: */
	struct corridor_rate rate; /* as recorded (direct: base = currency) */
	int64_t total_minor;    /* settlement currency, adjustments included */
	uint64_t seq;           /* the entry (0 in a dry run) */
	bool reversed;
};
struct corridor_netting {
	char currency[4];
	char from[CORRIDOR_PARTY_ID_BYTES_MAX + 1], to[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
	int64_t amount_minor;
};
#define CORRIDOR_NETTING_MAX 4096u
struct corridor_currency_total {
	char currency[4];
	int64_t amount_minor;
};
#define CORRIDOR_BATCH_CURRENCIES_MAX 64u
/** A settlement batch: its invoices (by id), totals and netting per currency,
 *  and the exact entry bodies it writes (summary first). */
/** A contract a settlement run left unsettled. */
struct corridor_unsettled {
	char contract[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
	char why[CORRIDOR_DIAG_BYTES_MAX];
};
struct corridor_batch {
	int32_t period_day;
	uint64_t seq; /* the summary entry (0 in a dry run) */
	bool reversed;
	size_t invoice_count;
	struct corridor_invoice *invoices; /* malloc'd */
	size_t total_count;
	struct corridor_currency_total totals[CORRIDOR_BATCH_CURRENCIES_MAX];
	size_t netting_count;
	struct corridor_netting *netting; /* malloc'd */
	uint8_t digest[CORRIDOR_HASH_BYTES];
	/* Rates a refused run lacked: (source, pair base/quote, fixing date). */
	size_t missing_count;
	struct corridor_rate *missing; /* malloc'd */
	/* Contracts the run left unsettled for the period, and why: its own
	 * computation failed (an amount overflows, ...), an earlier period of it
	 * is unsettled, or it carries one of these (SETTLEMENT.md "Batches"). */
	size_t unsettled_count;
	struct corridor_unsettled *unsettled; /* malloc'd */
	/* The bodies, in write order: summary, then invoices by id. */
	size_t body_count;
	uint8_t **bodies;
	size_t *body_lens;
};
void corridor_batch_release(struct corridor_batch *b);

/** Settles a period (a `settlement` party): every accepted contract whose
 *  term overlaps it and that is not settled for it, from one read snapshot;
 *  with dry_run, nothing is written and `out` holds exactly what would be.
 *  A contract whose own computation fails, that has an earlier period
 *  unsettled, or that carries such a contract is left unsettled and listed
 *  in out->unsettled; the others are settled (the call succeeds: callers
 *  check unsettled_count). A run that loses a race with another (the period
 *  got settled meanwhile) computes again from the new state.
 *  Errors: CORRIDOR_E_NOTFOUND (nothing left to settle: diag says so),
 *  CORRIDOR_E_REFUSED (the signer holds no settlement role: checked first;
 *  missing rates: diag lists every (source, pair, fixing date); every
 *  contract unsettled, out->unsettled says why; a batch of that period in
 *  progress), CORRIDOR_E_LIMIT, storage errors. */
CORRIDOR_MUST_CHECK int corridor_settle_run(struct corridor_ledger *ledger,
					    const struct corridor_signer *signer,
					    int32_t period_day, bool dry_run,
					    struct corridor_batch *out, struct corridor_diag *diag);
/** The same for one contract (contract NULL: every contract). */
CORRIDOR_MUST_CHECK int corridor_settle_run_contract(struct corridor_ledger *ledger,
						     const struct corridor_signer *signer,
						     int32_t period_day, const char *contract,
						     bool dry_run, struct corridor_batch *out,
						     struct corridor_diag *diag);
/** The batches of a period, oldest first (reversed ones included). */
typedef int (*corridor_batch_fn)(void *ctx, const struct corridor_batch *b);
CORRIDOR_MUST_CHECK int corridor_settle_show(struct corridor_ledger *ledger, int32_t period_day,
					     corridor_batch_fn fn, void *ctx,
					     struct corridor_diag *diag);
/** One invoice by id, as written. */
CORRIDOR_MUST_CHECK int corridor_invoice_get(struct corridor_ledger *ledger, const char *id,
					     struct corridor_invoice *out,
					     struct corridor_diag *diag);
/** Every invoice's record (no lines: id, contract, parties, settlement
 *  currency, period, issue and due dates, total, seq, reversed), by issue
 *  date then seq. */
typedef int (*corridor_invoice_fn)(void *ctx, const struct corridor_invoice *inv);
CORRIDOR_MUST_CHECK int corridor_invoice_list(struct corridor_ledger *ledger,
					      corridor_invoice_fn fn, void *ctx,
					      struct corridor_diag *diag);
/** Reverses the latest batch of a period (a `settlement` party). Refused while
 *  a later batch holds an adjustment for one of its invoices. */
CORRIDOR_MUST_CHECK int corridor_settle_reverse(struct corridor_ledger *ledger,
						const struct corridor_signer *signer,
						int32_t period_day, const char *reason,
						const char *idempotency_key, uint64_t *seq,
						struct corridor_diag *diag);

struct corridor_payment {
	uint64_t seq;
	char payer[CORRIDOR_PARTY_ID_BYTES_MAX + 1], payee[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
	char currency[4];
	int64_t amount_minor; /* > 0 */
	int32_t value_day;
	char reference[CORRIDOR_REFERENCE_BYTES_MAX + 1];
	uint64_t reversed_by; /* 0 while it stands */
};
/** Records a payment (by the payee or a `settlement` party). Without an
 *  idempotency key, the payment's identity (payer, payee, currency, amount,
 *  value date, reference) is its key: a second payment of the same identity
 *  is refused as a retry (CORRIDOR_E_REFUSED, diag names the seq).
 *  Errors: CORRIDOR_E_INVALID, CORRIDOR_E_REFUSED, storage errors. */
CORRIDOR_MUST_CHECK int corridor_payment_record(struct corridor_ledger *ledger,
						const struct corridor_signer *signer,
						const struct corridor_payment *p,
						const char *idempotency_key, uint64_t *seq,
						struct corridor_diag *diag);
/** Records another payment of an identity recorded before (the caller says
 *  it is a new payment, not a retry): its key is the identity's next
 *  occurrence ("#2", "#3", ...). */
CORRIDOR_MUST_CHECK int corridor_payment_record_another(struct corridor_ledger *ledger,
							const struct corridor_signer *signer,
							const struct corridor_payment *p,
							uint64_t *seq, struct corridor_diag *diag);
/** Reverses a payment (its payee or a `settlement` party). */
CORRIDOR_MUST_CHECK int corridor_payment_reverse(struct corridor_ledger *ledger,
						 const struct corridor_signer *signer,
						 uint64_t payment, const char *reason,
						 const char *idempotency_key, uint64_t *seq,
						 struct corridor_diag *diag);
typedef int (*corridor_payment_fn)(void *ctx, const struct corridor_payment *p);
/** camt.053 import limits. */
#define CORRIDOR_CAMT_BYTES_MAX (64u << 20)
#define CORRIDOR_CAMT_TX_MAX CORRIDOR_BATCH_ENTRIES_MAX

enum corridor_camt_outcome {
	CORRIDOR_CAMT_APPLIED = 1,   /* a payment, applied to `invoice` */
	CORRIDOR_CAMT_UNAPPLIED = 2, /* a payment no invoice matched: the payer's credit */
	CORRIDOR_CAMT_REVERSED = 3,  /* a reversal of payment `reverses` */
	CORRIDOR_CAMT_ALREADY = 4,   /* imported before (the same statement again) */
	CORRIDOR_CAMT_UNMATCHED = 5, /* not written: `why` says what is missing */
	CORRIDOR_CAMT_NOT_BOOKED = 6,/* pending or information only: not written */
	CORRIDOR_CAMT_NO_REFERENCE = 7, /* booked, but no bank reference: not written */
};
/** What became of one statement transaction. */
struct corridor_camt_result {
	unsigned statement, entry, tx; /* positions, from 1 (tx 0: the entry itself) */
	unsigned line;
	enum corridor_camt_outcome outcome;
	char bank_reference[36];
	char payer[CORRIDOR_PARTY_ID_BYTES_MAX + 1], payee[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
	char currency[4];
	int64_t amount_minor;
	int32_t value_day;
	char invoice[CORRIDOR_INVOICE_ID_BYTES_MAX + 1];
	uint64_t seq, reverses;
	char why[128];
};
typedef int (*corridor_camt_fn)(void *ctx, const struct corridor_camt_result *r);
/** Imports an ISO 20022 camt.053 statement (.001.02 and later) of an account
 *  registered to the signer's party: every booked credit becomes a payment to
 *  it from the party whose registered IBAN is the debtor's, applied to the
 *  invoice its reference names (structured creditor reference, end-to-end
 *  id, then remittance text), else to the one open invoice of that payer,
 *  payee, currency and amount, else left unapplied; a booked reversal (RvslInd)
 *  of a debit reverses the payment it undoes; a debit (the owner paying) is
 *  written only by a `settlement` party. Each transaction's bank reference is
 *  its idempotency key: the same statement again appends nothing. Everything
 *  is checked first and written in one transaction; `fn` gets every
 *  transaction's outcome, unmatched ones included.
 *  Errors: CORRIDOR_E_MALFORMED (not XML), CORRIDOR_E_INVALID (not camt.053,
 *  a missing element: diag names the line), CORRIDOR_E_REFUSED (the account
 *  is not the signer's), CORRIDOR_E_LIMIT, storage errors. */
CORRIDOR_MUST_CHECK int corridor_payment_import(struct corridor_ledger *ledger,
						const struct corridor_signer *signer,
						const char *xml, size_t len, corridor_camt_fn fn,
						void *ctx, size_t *written,
						struct corridor_diag *diag);
/** Payments by seq (of `party` as payer or payee, if not NULL). */
CORRIDOR_MUST_CHECK int corridor_payment_list(struct corridor_ledger *ledger, const char *party,
					      corridor_payment_fn fn, void *ctx,
					      struct corridor_diag *diag);

struct corridor_balance {
	char party[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
	char currency[4];
	unsigned decimals;
	int64_t balance_minor; /* receivable (+) or payable (-) */
};

/** One open or paid invoice as of a date (SETTLEMENT.md "Payments"). */
struct corridor_invoice_status {
	char id[CORRIDOR_INVOICE_ID_BYTES_MAX + 1];
	char contract[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
	char debtor[CORRIDOR_PARTY_ID_BYTES_MAX + 1], creditor[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
	char currency[4];
	unsigned decimals;
	int64_t amount_minor, paid_minor, open_minor; /* amount = |total| */
	int32_t due_day;
	int32_t paid_day;     /* value date of the payment that closed it, or -1 */
	int64_t days_overdue; /* (paid_day or as_of) - due_day, at least 0 */
};
enum corridor_aging {
	CORRIDOR_AGING_CURRENT = 0,
	CORRIDOR_AGING_1_30 = 1,
	CORRIDOR_AGING_31_60 = 2,
	CORRIDOR_AGING_61_90 = 3,
	CORRIDOR_AGING_OVER_90 = 4,
	CORRIDOR_AGING_BUCKETS = 5
};
/** Open amounts per debtor and currency in aging buckets. */
struct corridor_aging_row {
	char party[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
	char currency[4];
	unsigned decimals;
	int64_t bucket_minor[CORRIDOR_AGING_BUCKETS];
	int64_t open_minor;
};
struct corridor_invoice_report {
	size_t count;
	struct corridor_invoice_status *invoices; /* by id */
	size_t aging_count;
	struct corridor_aging_row *aging; /* by party, currency */
	size_t credit_count;
	/* unapplied credit per payer (overpayments, payments no invoice took),
	 * in balance_minor; by party, currency */
	struct corridor_balance *credits;
};
/** Invoices against payments as of a date (payments with a value date after
 *  it are not counted); of `party` (as debtor or creditor) if not NULL. */
CORRIDOR_MUST_CHECK int corridor_report_invoices(struct corridor_ledger *ledger, const char *party,
						 int32_t as_of_day,
						 struct corridor_invoice_report *out,
						 struct corridor_diag *diag);
void corridor_invoice_report_release(struct corridor_invoice_report *r);

/** Writes the accounting journal (docs/SETTLEMENT.md "Journal") to a new
 *  file `path` (refused if it exists; removed again on failure): standing
 *  invoices and payments as balanced transactions in the syntax hledger and
 *  ledger-cli both read, whose balances equal corridor_report_balances.
 *  Errors: CORRIDOR_E_IO, storage errors. */
CORRIDOR_MUST_CHECK int corridor_export_journal(struct corridor_ledger *ledger, const char *path,
						struct corridor_diag *diag);
/** The trial balance per party and currency by (currency, party): invoice
 *  postings (issued on or before as_of) and payments (value date on or before
 *  it). Every currency sums to zero. as_of_day < 0: everything. */
typedef int (*corridor_balance_fn)(void *ctx, const struct corridor_balance *b);
CORRIDOR_MUST_CHECK int corridor_report_balances(struct corridor_ledger *ledger, int32_t as_of_day,
						 corridor_balance_fn fn, void *ctx,
						 struct corridor_diag *diag);


#ifdef __cplusplus
}
#endif
#endif /* CORRIDOR_CORRIDOR_H */
