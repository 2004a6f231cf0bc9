/*
 * corridor/reports.h — reports: meter against meter, contract performance, ledger against ledger, receivables, balances, the journal.
 * Part of the public API; include <corridor/corridor.h> for all of it.
 */
#ifndef CORRIDOR_API_REPORTS_H
#define CORRIDOR_API_REPORTS_H

#include "payments.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Reconciliation reports (docs/DELIVERIES.md "Reports")               */
/* ------------------------------------------------------------------ */


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
	/* the entries that hold them (a series: its entry); other: the first of
	 * those summed; 0 where a side has none */
	uint64_t billing_seq, other_seq;
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
 *  contract whose term overlaps the month, by id.
 *  Errors: CORRIDOR_E_NOTFOUND (no such accepted contract), CORRIDOR_E_OVERFLOW
 *  (a band), the read errors, or fn's own non-zero result. */
typedef int (*corridor_performance_fn)(void *ctx, const struct corridor_performance *p);
CORRIDOR_MUST_CHECK int corridor_report_performance(struct corridor_ledger *ledger,
						    const char *contract, int32_t period_first_day,
						    corridor_performance_fn fn, void *ctx,
						    struct corridor_diag *diag);
/** How a span of time is reported: as one total, or per month, quarter or
 *  year (a quarter or year cut at the span's ends). */
enum corridor_grouping {
	CORRIDOR_GROUP_ALL = 0,
	CORRIDOR_GROUP_MONTH,
	CORRIDOR_GROUP_QUARTER,
	CORRIDOR_GROUP_YEAR,
};
/** The end (excluded) of the group that starts on first_day, within a span
 *  that ends on end_day: the next first day of a month, quarter or year
 *  (by grouping), or end_day if that comes first (CORRIDOR_GROUP_ALL:
 *  end_day). Reports "at each month's end" use the day before it. */
int32_t corridor_group_end(int32_t first_day, int32_t end_day, enum corridor_grouping grouping);
typedef int (*corridor_performance_span_fn)(void *ctx, int32_t first_day, int32_t end_day,
					    const struct corridor_performance *p);
/** Performance over the whole months [first_day, end_day): per group (a
 *  month, quarter, year, or the span), each contract's figures summed over
 *  the group's months (the band is the sum of the months' prorated bands;
 *  shortfall and excess are the months', as settlement bills them), by id;
 *  fn gets the group's [first, end). Errors: CORRIDOR_E_INVALID (not whole
 *  months), CORRIDOR_E_LIMIT, CORRIDOR_E_OVERFLOW, as
 *  corridor_report_performance. */
CORRIDOR_MUST_CHECK int corridor_report_performance_span(struct corridor_ledger *ledger,
							 const char *contract, int32_t first_day,
							 int32_t end_day,
							 enum corridor_grouping grouping,
							 corridor_performance_span_fn fn, void *ctx,
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

/** The same for one contract (contract not NULL): the contract, its latest
 *  readings and its invoices — of the local month that starts on period_day,
 *  if period_day >= 0 — read through the contract's own day index, so the
 *  cost is the contract's (the month's), not the ledger's; rates and
 *  payments, which are no contract's, are left out.
 *  Errors: as corridor_report_diff, CORRIDOR_E_INVALID (a month without a
 *  contract, or a day that is not a month's first). */
CORRIDOR_MUST_CHECK int corridor_report_diff_of(struct corridor_ledger *ours,
						struct corridor_ledger *theirs,
						const char *contract, int32_t period_day,
						corridor_diff_fn fn, void *ctx,
						struct corridor_diff_totals *totals,
						struct corridor_diag *diag);

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
 *  it are not counted); of `party` (as debtor or creditor) if not NULL.
 *  Errors: CORRIDOR_E_OVERFLOW, CORRIDOR_E_LIMIT (more than 10^7 rows), the
 *  read errors. */
CORRIDOR_MUST_CHECK int corridor_report_invoices(struct corridor_ledger *ledger, const char *party,
						 int32_t as_of_day,
						 struct corridor_invoice_report *out,
						 struct corridor_diag *diag);
void corridor_invoice_report_release(struct corridor_invoice_report *r);

/** Writes the accounting journal (docs/SETTLEMENT.md "Journal") to a new
 *  file `path` (refused if it exists; removed again on failure): invoices
 *  and payments as balanced transactions in the syntax hledger and
 *  ledger-cli both read (a reversal a transaction of its own on the day it
 *  happened; the fixings used as P prices; every account declared), whose
 *  balances equal corridor_report_balances.
 *  Errors: CORRIDOR_E_IO, storage errors. */
CORRIDOR_MUST_CHECK int corridor_export_journal(struct corridor_ledger *ledger, const char *path,
						struct corridor_diag *diag);
/** The same with `party` not NULL: that party's books (docs/SETTLEMENT.md
 *  "Journal"): assets:receivables:<counterparty>, liabilities:payables:
 *  <counterparty>, revenues:<contract>, expenses:<contract> and assets:cash,
 *  every account declared with its type, so hledger's bs and is and both
 *  tools' strict modes read it. Errors: as above, CORRIDOR_E_NOTFOUND (no
 *  such party). */
CORRIDOR_MUST_CHECK int corridor_export_journal_of(struct corridor_ledger *ledger,
						   const char *party, const char *path,
						   struct corridor_diag *diag);
/** The trial balance per party and currency by (currency, party): invoice
 *  postings (issued on or before as_of) and payments (value date on or before
 *  it). Every currency sums to zero. as_of_day < 0: everything.
 *  Errors: CORRIDOR_E_STORAGE (the balance index disagrees with the entries),
 *  CORRIDOR_E_OVERFLOW, CORRIDOR_E_LIMIT, the read errors, or fn's own
 *  non-zero result. */
typedef int (*corridor_balance_fn)(void *ctx, const struct corridor_balance *b);
CORRIDOR_MUST_CHECK int corridor_report_balances(struct corridor_ledger *ledger, int32_t as_of_day,
						 corridor_balance_fn fn, void *ctx,
						 struct corridor_diag *diag);

#ifdef __cplusplus
}
#endif
#endif /* CORRIDOR_API_REPORTS_H */
