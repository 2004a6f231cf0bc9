/*
 * corridor/audit.h — the audit pack: what an auditor reads before the
 * tables (docs/AUDITING.md "The audit report"). corridor_audit_collect
 * gathers, from one ledger, the verification it ran and the figures of a
 * span of days; corridor_audit_html writes them as one self-contained HTML
 * file with inline SVG plots and the figures as JSON. Part of the public
 * API; include <corridor/corridor.h> for all of it.
 */
#ifndef CORRIDOR_API_AUDIT_H
#define CORRIDOR_API_AUDIT_H

#include <stdio.h>

#include "contracts.h"
#include "payments.h"
#include "reports.h"
#include "settle.h"
#include "views.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bounds of one report. */
#define CORRIDOR_AUDIT_CONTRACTS_MAX 1024u /* contracts in a report */
#define CORRIDOR_AUDIT_MONTHS_MAX 120u     /* months in its span (ten years) */
#define CORRIDOR_AUDIT_TRACE_MAX 10000u    /* corrections, adjustments, reversals listed */
#define CORRIDOR_AUDIT_SERIES_MAX 64u      /* FX series (source, pair) */
#define CORRIDOR_AUDIT_FIXINGS_MAX 20000u  /* fixings of one series in the span */
#define CORRIDOR_AUDIT_EXCEPTIONS_MAX 100000u /* disputed intervals and one-sided runs, per contract */
#define CORRIDOR_AUDIT_PLOT_POINTS 720u /* intervals a meter plot draws one by one */

struct corridor_audit_request {
	int32_t first_day, end_day; /* [first, end), whole months */
	const char *const *contracts; /* NULL or contract_count ids: only these */
	size_t contract_count;
	const struct corridor_vkey *operator_key; /* trusted; NULL: the genesis key */
	const struct corridor_vkey *cosigners;    /* witnesses to check (as cosigners) */
	size_t cosigner_count;
	corridor_progress_fn progress; /* verification: entries of the log's */
	void *progress_ctx;
};

/* One signature line of the checkpoint, and what the report found of it. */
enum corridor_audit_sig_status {
	CORRIDOR_AUDIT_SIG_OPERATOR = 1,  /* the operator's, verified with a key of the chain */
	CORRIDOR_AUDIT_SIG_COSIGNER = 2,  /* a named cosigner's, verified */
	CORRIDOR_AUDIT_SIG_AUDITOR = 3,   /* an auditor party's, verified by verify */
	CORRIDOR_AUDIT_SIG_UNCHECKED = 4, /* a key the report does not know */
	CORRIDOR_AUDIT_SIG_BAD = 5,       /* a known key whose signature fails */
};
struct corridor_audit_sig {
	char name[CORRIDOR_NAME_BYTES_MAX + 1];
	uint32_t key_id;
	enum corridor_audit_sig_status status;
	uint64_t time_s; /* a cosignature's timestamp, else 0 */
};
struct corridor_audit_verification {
	int result; /* CORRIDOR_OK, or the first failure of corridor_ledger_verify */
	char why[CORRIDOR_DIAG_BYTES_MAX];
	uint64_t failed_seq; /* with result: the seq named, or UINT64_MAX */
	uint64_t size;       /* the log verified */
	uint8_t root[CORRIDOR_HASH_BYTES];
	char *checkpoint; /* the latest signed checkpoint note (malloc'd), or NULL */
	size_t checkpoint_len;
	uint64_t checkpoint_size;
	uint8_t checkpoint_root[CORRIDOR_HASH_BYTES];
	bool checkpoint_ok; /* signed by a key of the chain, its tree this log's */
	bool genesis_trusted; /* the operator key was taken from the genesis entry */
	char chain_why[CORRIDOR_DIAG_BYTES_MAX]; /* why the key chain does not hold, or "" */
	size_t key_count; /* the operator keys, trusted first, then each rotation */
	struct corridor_vkey keys[CORRIDOR_CHAIN_LINKS_MAX];
	uint64_t key_valid_from[CORRIDOR_CHAIN_LINKS_MAX]; /* first seq each may sign */
	size_t sig_count;
	struct corridor_audit_sig sigs[CORRIDOR_NOTE_SIGS_MAX];
};

/* A day of one contract's meter comparison (the contract's local day). */
struct corridor_audit_day {
	int32_t day;
	uint32_t intervals, disputed, billing_only, other_only;
	bool has_billing, has_other;
	int64_t billing_milli, other_milli;         /* summed over the day */
	int64_t billing_min_milli, billing_max_milli; /* of one interval */
	int64_t other_min_milli, other_max_milli;
};
/* Consecutive intervals only one side recorded (the same side), as one run. */
struct corridor_audit_run {
	int64_t start_s, end_s; /* of the first interval, the end of the last */
	enum corridor_meter_status status; /* BILLING_ONLY or OTHER_ONLY */
	uint32_t intervals;
};
struct corridor_audit_month {
	int32_t first_day;
	/* report meters of the month, its rows only the disputed intervals
	 * (totals and counts as reported); count 0 with `no_meters` for a month
	 * the contract's term does not reach */
	struct corridor_meter_report meters;
	/* the one-sided intervals, run by run (a side that records nothing for
	 * a month is one run, however many intervals) */
	size_t run_count;
	struct corridor_audit_run *runs; /* malloc'd */
	bool no_meters;
	bool has_performance;
	struct corridor_performance performance;
	/* of the terms in force on the month's first day: what a shortfall
	 * line and an excess line apply to quantity x price */
	uint32_t shortfall_bp, excess_bp;
};
struct corridor_audit_contract {
	struct corridor_contract_terms terms; /* the latest version */
	uint64_t accepted_seq;
	size_t month_count;
	struct corridor_audit_month *months; /* malloc'd */
	size_t day_count;
	struct corridor_audit_day *days; /* malloc'd, by day */
	size_t interval_count;           /* compared, over the span */
	/* every interval compared, while there are at most
	 * CORRIDOR_AUDIT_PLOT_POINTS (NULL beyond: the plot draws the days) */
	size_t point_count;
	struct corridor_meter_row *points; /* malloc'd */
};
/* The invoice report and balances at one month's end. */
struct corridor_audit_month_end {
	int32_t day; /* the month's last day */
	struct corridor_invoice_report invoices;
	size_t balance_count;
	struct corridor_balance *balances; /* malloc'd */
};
/* A fixing a settlement used, and the series it comes from. */
struct corridor_audit_fixing_used {
	char invoice[CORRIDOR_INVOICE_ID_BYTES_MAX + 1];
	uint64_t invoice_seq;
	struct corridor_rate rate; /* as the invoice holds it */
	bool in_series;            /* the series holds the same rate that day */
};
struct corridor_audit_series {
	char source[CORRIDOR_SOURCE_BYTES_MAX + 1];
	char base[4], quote[4];
	size_t fixing_count;
	struct corridor_rate *fixings; /* malloc'd, by day: the publisher's series */
	size_t used_count;
	struct corridor_audit_fixing_used *used; /* malloc'd */
};
/* A correction, adjustment or reversal, as the log holds it. */
struct corridor_audit_trace {
	uint64_t seq;
	uint64_t time_us;
	char kind[CORRIDOR_KIND_BYTES_MAX + 1];
	char author[CORRIDOR_NAME_BYTES_MAX + 1];
	char what[160];    /* what it concerns: "supersedes 42", "INV-G1-2026-03", ... */
	char reason[CORRIDOR_REASON_BYTES_MAX + 1]; /* as written (escaped when written out) */
};

struct corridor_audit {
	char origin[CORRIDOR_NAME_BYTES_MAX + 1];
	int32_t first_day, end_day;
	uint64_t generated_us;
	struct corridor_audit_verification verification;
	size_t contract_count;
	struct corridor_audit_contract *contracts; /* malloc'd, by id */
	size_t month_end_count;
	struct corridor_audit_month_end *month_ends; /* malloc'd; the last: the span's end */
	size_t invoice_count;
	struct corridor_invoice *invoice_list; /* malloc'd: issued in the span, with lines */
	size_t payment_count;
	struct corridor_payment *payments; /* malloc'd: value date in the span */
	struct corridor_scales scales;
	size_t series_count;
	struct corridor_audit_series *series; /* malloc'd */
	size_t trace_count;
	bool trace_truncated;
	struct corridor_audit_trace *trace; /* malloc'd, by seq */
};

/** Gathers the audit of [first_day, end_day) (whole months, at most
 *  CORRIDOR_AUDIT_MONTHS_MAX): runs corridor_ledger_verify and records its
 *  result (a failure is reported, not returned), checks the latest signed
 *  checkpoint against the operator key chain from the trusted key and each
 *  of its signature lines, and collects per contract (every accepted one
 *  whose term overlaps the span, or those named) the meter comparison and
 *  performance of each month; the invoice report and balances at each
 *  month's end; the invoices issued and payments made in the span; each FX
 *  series a settlement used; and every correction, adjustment and reversal
 *  in the log. Release with corridor_audit_release.
 *  Errors: CORRIDOR_E_INVALID (not whole months; too many), CORRIDOR_E_NOTFOUND
 *  (a named contract), CORRIDOR_E_LIMIT, CORRIDOR_E_OVERFLOW, the read errors. */
CORRIDOR_MUST_CHECK int corridor_audit_collect(struct corridor_ledger *ledger,
					       const struct corridor_audit_request *req,
					       struct corridor_audit *out,
					       struct corridor_diag *diag);
void corridor_audit_release(struct corridor_audit *a);

/** Writes the audit as one HTML5 document (docs/AUDITING.md "The audit
 *  report"): no external resource of any kind, a print stylesheet, inline
 *  SVG plots (where a series has more points than its plot has pixels, daily
 *  minimum/maximum bands), tables naming the seqs of every figure, and the
 *  figures as JSON in <script type="application/json" id="corridor-data">.
 *  Errors: CORRIDOR_E_IO (the stream failed), CORRIDOR_E_NOMEM. */
CORRIDOR_MUST_CHECK int corridor_audit_html(FILE *f, const struct corridor_audit *a);

#ifdef __cplusplus
}
#endif
#endif /* CORRIDOR_API_AUDIT_H */
