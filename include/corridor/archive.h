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

#ifdef __cplusplus
}
#endif
#endif /* CORRIDOR_API_ARCHIVE_H */
