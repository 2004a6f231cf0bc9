/*
 * corridor/witness.h — a witness of other logs (c2sp.org/tlog-witness):
 * it cosigns a log's checkpoint only if it is signed by the log and
 * consistent with the last one it cosigned (docs/AUDITING.md "Witnesses").
 * Part of the public API; include <corridor/corridor.h> for all of it.
 */
#ifndef CORRIDOR_API_WITNESS_H
#define CORRIDOR_API_WITNESS_H

#include "keys.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The largest add-checkpoint body: the old size, 63 proof lines, a note. */
#define CORRIDOR_WITNESS_BODY_BYTES_MAX (CORRIDOR_NOTE_BYTES_MAX + 64u * 48u)

struct corridor_witness;
/** A witness keeping its records in state_dir (created if missing): for each
 *  origin among `logs` (the logs' verifier keys, 1..64), the latest
 *  checkpoint it cosigned. `key` signs the cosignatures and must outlive it.
 *  Errors: CORRIDOR_E_INVALID, CORRIDOR_E_IO, CORRIDOR_E_NOMEM. */
CORRIDOR_MUST_CHECK int corridor_witness_open(const char *state_dir,
					      const struct corridor_vkey *logs, size_t n,
					      const struct corridor_signer *key,
					      struct corridor_witness **out,
					      struct corridor_diag *diag);
/** Decides one add-checkpoint request body exactly as the spec prescribes:
 *  *status 200 (out: the cosignature line, the new checkpoint recorded
 *  durably first), 400 (malformed, or the old size above the checkpoint's),
 *  403 (no valid signature of the log), 404 (a log it does not follow), 409
 *  (the old size is not the one it holds; out: that size and a newline,
 *  text/x.tlog.size), 422 (not consistent). diag says why for all but 200.
 *  Safe from several threads: the check and the record are one step.
 *  Errors (nothing decided, *status 500): CORRIDOR_E_IO, CORRIDOR_E_FULL,
 *  CORRIDOR_E_STORAGE (a record it cannot read), CORRIDOR_E_NOMEM,
 *  CORRIDOR_E_LIMIT (out too small). */
CORRIDOR_MUST_CHECK int corridor_witness_add(struct corridor_witness *w, const char *body,
					     size_t len, unsigned *status, char *out, size_t cap,
					     size_t *out_len, struct corridor_diag *diag);
void corridor_witness_free(struct corridor_witness *w);

#ifdef __cplusplus
}
#endif

#endif
