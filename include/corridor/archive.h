/*
 * corridor/archive.h — archives: a ledger as one file, exported and imported with full verification.
 * Part of the public API; include <corridor/corridor.h> for all of it.
 */
#ifndef CORRIDOR_API_ARCHIVE_H
#define CORRIDOR_API_ARCHIVE_H

#include "reports.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Archives                                                            */
/* ------------------------------------------------------------------ */

/** Writes an archive of entries [from, size of the latest signed checkpoint)
 *  to `path` (created, never overwritten). Errors: CORRIDOR_E_EXISTS,
 *  CORRIDOR_E_NOTFOUND (no signed checkpoint, or from beyond it), CORRIDOR_E_IO,
 *  CORRIDOR_E_STORAGE. */
CORRIDOR_MUST_CHECK int corridor_archive_export(struct corridor_ledger *ledger, uint64_t from,
						const char *path, struct corridor_diag *diag);
/** The same, reporting the entries written of the archive's to `progress`. */
CORRIDOR_MUST_CHECK int corridor_archive_export_with(struct corridor_ledger *ledger, uint64_t from,
						     const char *path,
						     corridor_progress_fn progress, void *ctx,
						     struct corridor_diag *diag);

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
/** The same, reporting its progress (entries verified of the archive's)
 *  to `progress` as it goes. */
CORRIDOR_MUST_CHECK int corridor_archive_import_with(const char *dir, const char *path,
						     const struct corridor_vkey *vkey,
						     corridor_progress_fn progress, void *ctx,
						     uint64_t *size_out,
						     struct corridor_diag *diag);
/** After a restore from an older backup: takes back into the operator's own
 *  ledger in `dir` (not a replica) the entries it published since, from an
 *  archive (or tiles, corridor_tiles_restore_from) whose `first` is the
 *  ledger's size; verified exactly as corridor_archive_import verifies them,
 *  the checkpoint signed by `vkey` (required: the ledger's operator key) and
 *  consistent with the ledger's. Run it with the service stopped.
 *  Errors: as corridor_archive_import; CORRIDOR_E_NOTFOUND (no ledger),
 *  CORRIDOR_E_REFUSED (dir holds a replica), CORRIDOR_E_INVALID (no vkey). */
CORRIDOR_MUST_CHECK int corridor_archive_restore(const char *dir, const char *path,
						 const struct corridor_vkey *vkey,
						 uint64_t *size_out, struct corridor_diag *diag);

/* ---- a reader's view (docs/FORMAT.md §8a) ---- */

/** Whether entries of this kind are public: every registered party may see
 *  them (docs/SERVICE.md "Who sees what"): genesis, party.register, key.*,
 *  currency.define, rate.record, rate.correct. */
bool corridor_kind_public(const char *kind);
/** Writes the view of `reader` (a registered party) to `path` (created, mode
 *  0600): every entry it may see (corridor_entry_visible) below the latest
 *  signed checkpoint, each with its inclusion proof under that checkpoint.
 *  *count: the entries written. Errors: CORRIDOR_E_NOTFOUND (no signed
 *  checkpoint, or no such reader), CORRIDOR_E_IO, CORRIDOR_E_FULL, the read
 *  errors. */
CORRIDOR_MUST_CHECK int corridor_view_export(struct corridor_ledger *ledger, const char *reader,
					     const char *path, size_t *count,
					     struct corridor_diag *diag);
struct corridor_view_info {
	char origin[CORRIDOR_NAME_BYTES_MAX + 1];
	char reader[CORRIDOR_NAME_BYTES_MAX + 1];
	uint64_t size;                   /* the checkpoint's tree size */
	uint8_t root[CORRIDOR_HASH_BYTES]; /* and root */
	size_t count;                    /* entries verified */
	size_t public_count;             /* of which of public kinds */
};
/** One verified entry of a view, in seq order. A non-zero return stops. */
typedef int (*corridor_view_entry_fn)(void *ctx, uint64_t seq, const uint8_t *bytes, size_t len);
/** Verifies a view offline with the operator's verifier key: the header, the
 *  checkpoint's signature, origin and size; every entry canonical, at its
 *  seq, included under the checkpoint's root; the public kinds replayed by
 *  the kinds' own rules (so every author's key is known at every seq); every
 *  signature by its author's key valid at its seq. What a view cannot show:
 *  that the server left nothing out (docs/SERVICE.md "A party's view").
 *  Errors: CORRIDOR_E_MALFORMED, CORRIDOR_E_NONCANONICAL, CORRIDOR_E_KEY (the
 *  key is not the origin's), CORRIDOR_E_VERIFY, CORRIDOR_E_IO,
 *  CORRIDOR_E_NOMEM, or fn's own. */
CORRIDOR_MUST_CHECK int corridor_view_verify(const char *path, const struct corridor_vkey *vkey,
					     corridor_view_entry_fn fn, void *ctx,
					     struct corridor_view_info *info,
					     struct corridor_diag *diag);

#ifdef __cplusplus
}
#endif
#endif /* CORRIDOR_API_ARCHIVE_H */
