/*
 * corridor/settle.h — settlement: invoices, batches, netting, reversal.
 * Part of the public API; include <corridor/corridor.h> for all of it.
 */
#ifndef CORRIDOR_API_SETTLE_H
#define CORRIDOR_API_SETTLE_H

#include "money.h"

#ifdef __cplusplus
extern "C" {
#endif

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
	/* The tree the batch was computed at, named in its summary
	 * (`computed_at`): the log's size and root in the snapshot (a replica's,
	 * for a run from a verified copy). 0 for a batch written before this
	 * field existed. */
	uint64_t computed_size;
	uint8_t computed_root[CORRIDOR_HASH_BYTES];
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
/** A run computed from `replica` (a verified replica of `ledger`, kept up to
 *  date from its archive) and written to `ledger` (typically a remote ledger,
 *  corridor_ledger_open_remote): a settlement agent on another machine signs
 *  only what it computed from entries it verified; the ledger recomputes the
 *  batch at its seq and accepts it only if it is the same, byte for byte.
 *  Tried once: if the ledger moved past the replica, it is refused, and the
 *  replica is synced before the next run. Errors: as corridor_settle_run,
 *  CORRIDOR_E_INVALID (a replica of another ledger). */
CORRIDOR_MUST_CHECK int corridor_settle_run_from(struct corridor_ledger *replica,
						 struct corridor_ledger *ledger,
						 const struct corridor_signer *signer,
						 int32_t period_day, const char *contract,
						 struct corridor_batch *out,
						 struct corridor_diag *diag);
/** The same for one contract (contract NULL: every contract).
 *  Errors: as corridor_settle_run. */
CORRIDOR_MUST_CHECK int corridor_settle_run_contract(struct corridor_ledger *ledger,
						     const struct corridor_signer *signer,
						     int32_t period_day, const char *contract,
						     bool dry_run, struct corridor_batch *out,
						     struct corridor_diag *diag);
/** corridor_settle_run_contract and corridor_settle_run_from, reporting the
 *  contracts computed of all the ledger holds to `progress` (a run that
 *  loses a race and computes again starts again from 0). */
CORRIDOR_MUST_CHECK int corridor_settle_run_with(struct corridor_ledger *ledger,
						 const struct corridor_signer *signer,
						 int32_t period_day, const char *contract,
						 bool dry_run, corridor_progress_fn progress,
						 void *progress_ctx, struct corridor_batch *out,
						 struct corridor_diag *diag);
CORRIDOR_MUST_CHECK int corridor_settle_run_from_with(struct corridor_ledger *replica,
						      struct corridor_ledger *ledger,
						      const struct corridor_signer *signer,
						      int32_t period_day, const char *contract,
						      corridor_progress_fn progress,
						      void *progress_ctx,
						      struct corridor_batch *out,
						      struct corridor_diag *diag);
/** The batches of a period, oldest first (reversed ones included).
 *  Errors: CORRIDOR_E_NOTFOUND (no batch for the period), the read errors, or
 *  fn's own non-zero result. */
typedef int (*corridor_batch_fn)(void *ctx, const struct corridor_batch *b);
CORRIDOR_MUST_CHECK int corridor_settle_show(struct corridor_ledger *ledger, int32_t period_day,
					     corridor_batch_fn fn, void *ctx,
					     struct corridor_diag *diag);
/** One invoice by id, as written.
 *  Errors: CORRIDOR_E_NOTFOUND, the read errors. */
CORRIDOR_MUST_CHECK int corridor_invoice_get(struct corridor_ledger *ledger, const char *id,
					     struct corridor_invoice *out,
					     struct corridor_diag *diag);
/** Every invoice's record (no lines: id, contract, parties, settlement
 *  currency, period, issue and due dates, total, seq, reversed), by issue
 *  date then seq.
 *  Errors: the read errors, or fn's own non-zero result. */
typedef int (*corridor_invoice_fn)(void *ctx, const struct corridor_invoice *inv);
CORRIDOR_MUST_CHECK int corridor_invoice_list(struct corridor_ledger *ledger,
					      corridor_invoice_fn fn, void *ctx,
					      struct corridor_diag *diag);
/** Reverses the latest batch of a period (a `settlement` party). Refused while
 *  a later batch holds an adjustment for one of its invoices.
 *  Errors: CORRIDOR_E_INVALID (reason, idempotency key), CORRIDOR_E_NOTFOUND (no
 *  standing batch for the period), CORRIDOR_E_REFUSED (a later batch adjusts
 *  it; not a settlement party), and the write errors. */
CORRIDOR_MUST_CHECK int corridor_settle_reverse(struct corridor_ledger *ledger,
						const struct corridor_signer *signer,
						int32_t period_day, const char *reason,
						const char *idempotency_key, uint64_t *seq,
						struct corridor_diag *diag);
/** The same, the batch found in a verified `replica` of `ledger` (a remote
 *  ledger): the server decides again at the seq it gives, and refuses the
 *  reversal if that batch is no longer the standing one. Errors: as
 *  corridor_settle_reverse, CORRIDOR_E_INVALID (a replica of another ledger). */
CORRIDOR_MUST_CHECK int corridor_settle_reverse_from(struct corridor_ledger *replica,
						     struct corridor_ledger *ledger,
						     const struct corridor_signer *signer,
						     int32_t period_day, const char *reason,
						     const char *idempotency_key, uint64_t *seq,
						     struct corridor_diag *diag);

#ifdef __cplusplus
}
#endif
#endif /* CORRIDOR_API_SETTLE_H */
