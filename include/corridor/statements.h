/*
 * corridor/statements.h — statements: what a party signs on its own machine
 * (docs/FORMAT.md "Statements"). A statement names the ledger (its origin),
 * its kind, author, key, idempotency key and lifetime, and carries the body;
 * the sequencer gives it a seq, prev and log time. Its signature covers the
 * statement alone, under a prefix of its own, so no statement can be taken
 * for an entry, a checkpoint or a cosignature.
 * Part of the public API; include <corridor/corridor.h> for all of it.
 */
#ifndef CORRIDOR_API_STATEMENTS_H
#define CORRIDOR_API_STATEMENTS_H

#include "log.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What the signature covers: this prefix, then the statement map (keys 0-8). */
#define CORRIDOR_STATEMENT_SIG_PREFIX "corridor/statement/v1\n"
#define CORRIDOR_STATEMENT_VERSION 1u
/** A signed statement leaves room in a 65,535-byte entry for the envelope the
 *  sequencer adds (version, seq, prev, time: under 64 bytes). */
#define CORRIDOR_STATEMENT_BYTES_MAX (CORRIDOR_ENTRY_BYTES_MAX - 256u)
/** The clock skew a ledger allows: a statement created later than the log's
 *  time plus this is refused (it was signed on a clock running ahead). */
#define CORRIDOR_STATEMENT_SKEW_US ((uint64_t)15 * 60 * 1000000)
/** The longest lifetime (expires - created) by default: a party may sign
 *  offline and submit within a day. A ledger may set its own at creation
 *  (struct corridor_ledger_settings), within the bounds below. */
#define CORRIDOR_STATEMENT_LIFETIME_US ((uint64_t)24 * 3600 * 1000000)
#define CORRIDOR_STATEMENT_LIFETIME_MIN_S 60u
#define CORRIDOR_STATEMENT_LIFETIME_MAX_S (31u * 86400u)

/** A decoded signed statement. Strings are copies; body points into the
 *  bytes decoded. */
struct corridor_statement {
	uint64_t version;
	char origin[CORRIDOR_NAME_BYTES_MAX + 1];
	char kind[CORRIDOR_KIND_BYTES_MAX + 1];
	char author[CORRIDOR_NAME_BYTES_MAX + 1];
	uint32_t key_id;
	char idempotency_key[CORRIDOR_IDEM_BYTES_MAX + 1];
	uint64_t created_us, expires_us; /* UTC microseconds since 1970 */
	const uint8_t *body;             /* a canonical map */
	size_t body_len;
	size_t content_len; /* the statement map's length (keys 0-8) */
	uint8_t sig[CORRIDOR_SIGNATURE_BYTES];
};

/** Builds and signs a statement by `signer` (its name is the author, its key
 *  id the key) into out (cap bytes); *out_len receives its length. body must
 *  be one canonical map. Errors: CORRIDOR_E_INVALID (an origin, kind or
 *  idempotency key that is not valid; created >= expires; a body that is no
 *  canonical map), CORRIDOR_E_LIMIT (over CORRIDOR_STATEMENT_BYTES_MAX or
 *  cap). */
CORRIDOR_MUST_CHECK int corridor_statement_sign(const struct corridor_signer *signer,
						const char *origin, const char *kind,
						const char *idempotency_key, uint64_t created_us,
						uint64_t expires_us, const uint8_t *body,
						size_t body_len, uint8_t *out, size_t cap,
						size_t *out_len, struct corridor_diag *diag);

/** Decodes a signed statement strictly: exactly one canonical map of keys 0-9
 *  in order, every field of its type and within its limit. Does not check
 *  the signature. Errors: CORRIDOR_E_MALFORMED, CORRIDOR_E_NONCANONICAL,
 *  CORRIDOR_E_LIMIT, CORRIDOR_E_NOMEM. */
CORRIDOR_MUST_CHECK int corridor_statement_decode(const uint8_t *buf, size_t len,
						  struct corridor_statement *out,
						  struct corridor_diag *diag);

/** Checks the signature of a decoded statement (buf: the bytes decoded) with
 *  the author's public key. Errors: CORRIDOR_E_SIGNATURE, CORRIDOR_E_NOMEM. */
CORRIDOR_MUST_CHECK int corridor_statement_check_sig(
	const uint8_t *buf, const struct corridor_statement *st,
	const uint8_t public_key[CORRIDOR_PUBLIC_KEY_BYTES]);

/** The statement hash: SHA-256 of the statement map (keys 0-8, without the
 *  signature), how a later statement names one that may not be sequenced
 *  yet. */
void corridor_statement_hash(const uint8_t *buf, const struct corridor_statement *st,
			     uint8_t out[CORRIDOR_HASH_BYTES]);

/** Checks a statement's lifetime against the log's time `now_us`: refused
 *  (CORRIDOR_E_REFUSED, with the reason) if it has expired (now >= expires),
 *  was created more than skew_us after now, or lives longer than
 *  lifetime_max_us. */
CORRIDOR_MUST_CHECK int corridor_statement_check_time(const struct corridor_statement *st,
						      uint64_t now_us, uint64_t skew_us,
						      uint64_t lifetime_max_us,
						      struct corridor_diag *diag);

/** The statements of a request body (docs/SERVICE.md): one signed statement
 *  (a map), or a msgpack array of bin, each a signed statement. ptrs/lens
 *  (room for max) receive where each lies inside buf; nothing is decoded.
 *  Errors: CORRIDOR_E_MALFORMED (neither, or lengths past the end),
 *  CORRIDOR_E_LIMIT (more than max, or none). */
CORRIDOR_MUST_CHECK int corridor_statements_split(const uint8_t *buf, size_t len,
						  const uint8_t **ptrs, size_t *lens, size_t max,
						  size_t *n, struct corridor_diag *diag);

/** What the sequencer answers for a statement: its entry's seq and Merkle
 *  leaf hash, and the statement hash (zeros when the original is a version 1
 *  entry). duplicate: the statement was sequenced before (or earlier in the
 *  same batch) and this is the original receipt. */
struct corridor_receipt {
	uint64_t seq;
	uint8_t leaf_hash[CORRIDOR_HASH_BYTES];
	uint8_t statement_hash[CORRIDOR_HASH_BYTES];
	bool duplicate;
};

/** Sequences n signed statements (1..CORRIDOR_BATCH_ENTRIES_MAX) as version 2
 *  entries in one write transaction, with a checkpoint of the new head signed
 *  by `operator` (the current operator key): all of them or none.
 *  receipts[i] answers stmts[i]. A statement whose (author, kind,
 *  idempotency key) is in the log with the same kind and body gets the
 *  original receipt, whatever its created/expires say; the rest are each
 *  decided at their own seq by the rules `verify` applies (origin, lifetime
 *  at the log's time, key, role, the kind's rules), its signature checked
 *  with the key that is the author's at that seq. (Writes made in this
 *  process go through the same sequencer without the second check: the
 *  write API of corridor/parties.h and the rest.)
 *  *appended: how many entries are new.
 *  Errors: CORRIDOR_E_MALFORMED, CORRIDOR_E_NONCANONICAL, CORRIDOR_E_LIMIT (a
 *  statement; too many), CORRIDOR_E_EXISTS (an idempotency key used for
 *  another body), CORRIDOR_E_SIGNATURE, CORRIDOR_E_KEY, CORRIDOR_E_REFUSED
 *  (expired, future, another ledger, a role or rule; not the operator key),
 *  and the write errors (corridor/log.h). */
CORRIDOR_MUST_CHECK int corridor_submit(struct corridor_ledger *ledger,
					const struct corridor_signer *operator_key,
					const uint8_t *const *stmts, const size_t *lens, size_t n,
					struct corridor_receipt *receipts,
					size_t *appended, struct corridor_diag *diag);

/** The author's current key for a signed statement (decoded into *st):
 *  what its signature must verify with now, before it is sequenced.
 *  Errors: those of corridor_statement_decode, CORRIDOR_E_KEY (not
 *  registered, rotated or revoked), the read errors. */
CORRIDOR_MUST_CHECK int corridor_statement_key_now(struct corridor_ledger *ledger,
						   const uint8_t *stmt, size_t len,
						   struct corridor_statement *st,
						   uint8_t public_key[CORRIDOR_PUBLIC_KEY_BYTES],
						   struct corridor_diag *diag);

/** corridor_submit, where verified[i] (or NULL) is the public key stmts[i]'s
 *  signature was verified with beforehand (corridor_statement_key_now and
 *  corridor_statement_check_sig, e.g. on other cores, outside the write):
 *  it is not checked again when that is the author's key at its seq, and is
 *  checked as usual otherwise (a key rotated meanwhile). */
CORRIDOR_MUST_CHECK int corridor_submit_verified(
	struct corridor_ledger *ledger, const struct corridor_signer *operator_key,
	const uint8_t *const *stmts, const size_t *lens,
	const uint8_t (*verified)[CORRIDOR_PUBLIC_KEY_BYTES], size_t n,
	struct corridor_receipt *receipts, size_t *appended, struct corridor_diag *diag);

/** corridor_submit's check alone: the statements decided as corridor_submit
 *  would decide them now, in a write transaction that is then abandoned:
 *  nothing is written, no checkpoint signed. receipts[i].seq is the seq
 *  stmts[i] would get (or had, for a duplicate). Errors: as corridor_submit. */
CORRIDOR_MUST_CHECK int corridor_submit_dry_run(struct corridor_ledger *ledger,
						const uint8_t *const *stmts, const size_t *lens,
						size_t n, struct corridor_receipt *receipts,
						size_t *appended, struct corridor_diag *diag);

/* ---- a ledger on another machine ---- */

/** Where a remote ledger sends what it signs: a transport (the client of
 *  `corridor serve`, client/client.h) that submits a batch of signed
 *  statements and answers with receipts it has checked against the
 *  operator's key. */
struct corridor_remote {
	/* Submits stmts[0..n) as one batch (all or none); receipts[i] answers
	 * stmts[i]; *appended: how many are new. dry_run: only checked against
	 * the ledger's current state. Errors: as corridor_submit, plus
	 * CORRIDOR_E_IO (the server cannot be reached) and CORRIDOR_E_VERIFY (an
	 * answer that does not check). */
	int (*submit)(void *ctx, const uint8_t *const *stmts, const size_t *lens, size_t n,
		      bool dry_run, struct corridor_receipt *receipts, size_t *appended,
		      struct corridor_diag *diag);
	/* Reads entry seq as `reader` (a signed read): its canonical bytes in
	 * *bytes (malloc'd), checked to be included in a checkpoint signed by
	 * the operator and consistent with every one this transport saw, so a
	 * writer signs only what it derived from entries it verified. Errors:
	 * CORRIDOR_E_NOTFOUND, CORRIDOR_E_REFUSED (not the reader's to see),
	 * CORRIDOR_E_IO, CORRIDOR_E_VERIFY. */
	int (*entry)(void *ctx, const struct corridor_signer *reader, uint64_t seq, uint8_t **bytes,
		     size_t *len, struct corridor_diag *diag);
	void *ctx;
	char origin[CORRIDOR_NAME_BYTES_MAX + 1]; /* the ledger's, as its checkpoint names it */
	uint64_t statement_lifetime_us;           /* how long what it signs lives */
	size_t batch_max;                         /* statements per submit, at most */
};

/** A ledger handle whose writes are statements signed in this process and
 *  sequenced by `remote` (which must outlive the handle): every write call of
 *  the API (corridor_memo_add, corridor_delivery_record, ...) works on it and
 *  returns the seqs the receipts name. A write that names an entry it must
 *  read first (corridor_attest) reads it through remote->entry, verified.
 *  A call that must read the ledger's state itself (reports, settlement,
 *  imports that match against what is recorded) is refused with
 *  CORRIDOR_E_REFUSED and says so: run it on a verified replica. Errors:
 *  CORRIDOR_E_INVALID, CORRIDOR_E_NOMEM. */
CORRIDOR_MUST_CHECK int corridor_ledger_open_remote(const struct corridor_remote *remote,
						    struct corridor_ledger **out,
						    struct corridor_diag *diag);
/** Whether the handle is a remote ledger. */
bool corridor_ledger_is_remote(const struct corridor_ledger *ledger);

#ifdef __cplusplus
}
#endif
#endif /* CORRIDOR_API_STATEMENTS_H */
