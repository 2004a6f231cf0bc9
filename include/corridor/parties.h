/*
 * corridor/parties.h — parties, roles and their keys.
 * Part of the public API; include <corridor/corridor.h> for all of it.
 */
#ifndef CORRIDOR_API_PARTIES_H
#define CORRIDOR_API_PARTIES_H

#include "log.h"

#ifdef __cplusplus
extern "C" {
#endif

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
/** Whether the registered party `reader` may see everything in the ledger:
 *  the operator, auditors and settlement parties (docs/SERVICE.md "Who sees
 *  what"). Errors: CORRIDOR_E_NOTFOUND (no such party), the read errors. */
CORRIDOR_MUST_CHECK int corridor_reader_sees_all(struct corridor_ledger *ledger,
						 const char *reader, bool *all,
						 struct corridor_diag *diag);
/** Whether `reader` may see this entry (its canonical bytes): public kinds,
 *  its own entries, what concerns contracts it is a party to, its invoices,
 *  payments and netting lines (docs/SERVICE.md "Who sees what"; the readers
 *  of corridor_reader_sees_all see everything). Errors: those of
 *  corridor_entry_decode, the read errors. */
CORRIDOR_MUST_CHECK int corridor_entry_visible(struct corridor_ledger *ledger, const char *reader,
					       const uint8_t *bytes, size_t len, bool *visible,
					       struct corridor_diag *diag);

/** Whether this entry concerns `party` (what `corridor monitor --watch`
 *  prints): it authored it (made with its key, by it or not), or the entry
 *  is one it may see that is not of a public kind (its contracts' entries,
 *  its invoices, payments, netting lines, attestations of its entries), or a
 *  public entry about it (its registration, its keys). With ledger NULL the
 *  entry is known to be one `party` may see (it comes from its verified
 *  view, corridor_view_verify). Errors: as corridor_entry_visible. */
CORRIDOR_MUST_CHECK int corridor_entry_concerns(struct corridor_ledger *ledger, const char *party,
						const uint8_t *bytes, size_t len, bool *yes,
						struct corridor_diag *diag);

/** Every party (the operator first, then by id). fn's non-zero return stops.
 *  Errors: the read errors, or fn's own non-zero result. */
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

/** Keeps a witness's cosignature line ("— name base64\n") beside the stored
 *  checkpoint of `size` (0 = the latest), if it is a valid
 *  c2sp.org/tlog-cosignature of that checkpoint by `cosigner` (a type 0x04
 *  key); already there, or a newer checkpoint witnessed: nothing changes
 *  (*added false). Kept for the latest witnessed checkpoint only, apart from
 *  the stored checkpoint (witnesses are not parties; `verify` checks only
 *  the operator's signature and auditors' cosignatures), and served with it
 *  (corridor_checkpoint_served; docs/AUDITING.md "Witnesses").
 *  Errors: CORRIDOR_E_MALFORMED (not one line), CORRIDOR_E_SIGNATURE (not
 *  that cosigner's over that checkpoint), CORRIDOR_E_NOTFOUND,
 *  CORRIDOR_E_LIMIT, the storage errors. */
CORRIDOR_MUST_CHECK int corridor_checkpoint_add_cosignature(struct corridor_ledger *ledger,
							    uint64_t size, const char *line,
							    size_t len,
							    const struct corridor_vkey *cosigner,
							    bool *added, struct corridor_diag *diag);

/** The latest signed checkpoint as served (GET /checkpoint): its stored note,
 *  with the witnesses' cosignature lines of that size after it. malloc'd,
 *  NUL-terminated. Errors: CORRIDOR_E_NOTFOUND, the read errors. */
CORRIDOR_MUST_CHECK int corridor_checkpoint_served(struct corridor_ledger *ledger, char **note,
						   size_t *len, struct corridor_diag *diag);

#ifdef __cplusplus
}
#endif
#endif /* CORRIDOR_API_PARTIES_H */
