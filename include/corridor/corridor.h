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

/* One header per topic, each the manual of its topic; this one has them all. */
#include "base.h"     /* limits, errors, diagnostics, encodings, version */
#include "keys.h"     /* key names and ids, verifier keys, signers, key files */
#include "log.h"      /* notes, checkpoints, Merkle proofs, entries, the ledger */
#include "statements.h" /* what a party signs on its own machine */
#include "httpsig.h"  /* signed read requests (RFC 9421) */
#include "parties.h"  /* parties, roles, their keys */
#include "contracts.h"
#include "deliveries.h"
#include "money.h"    /* currencies, money, FX rates */
#include "settle.h"   /* invoices, batches, netting, reversal */
#include "payments.h" /* payments, bank statements */
#include "reports.h"  /* meters, performance, diff, receivables, balances, journal */
#include "archive.h"
#include "tiles.h"    /* C2SP tlog-tiles */
#include "witness.h"  /* C2SP tlog-witness */
#include "views.h"    /* the reading commands' JSON */
#include "audit.h"    /* the audit report (HTML) */

#endif /* CORRIDOR_CORRIDOR_H */
