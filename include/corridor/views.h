/*
 * corridor/views.h — what the reading commands show, as JSON: one writer per
 * record, used by the CLI's `--format json` and by `corridor serve`'s JSON
 * endpoints alike, so the two cannot print different things
 * (docs/FORMAT.md "JSON views"). Part of the public API.
 *
 * Every writer writes one JSON value (no newline) and returns CORRIDOR_OK, or
 * CORRIDOR_E_IO when the stream reports an error. Amounts and quantities are
 * strings of exact decimals; free text is escaped (RFC 8259).
 */
#ifndef CORRIDOR_API_VIEWS_H
#define CORRIDOR_API_VIEWS_H

#include <stdio.h>

#include "payments.h"
#include "reports.h"
#include "settle.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Currencies a ledger may define (and list). */
#define CORRIDOR_CURRENCIES_MAX 256u

/** The minor-unit decimals of every currency of one ledger, for writing
 *  amounts that carry only their currency code. */
struct corridor_scales {
	size_t count;
	char code[CORRIDOR_CURRENCIES_MAX][4];
	unsigned char decimals[CORRIDOR_CURRENCIES_MAX];
};
/** Fills `out` from the ledger's currencies (predefined and defined).
 *  Errors: those of corridor_currency_list. */
CORRIDOR_MUST_CHECK int corridor_currency_scales(struct corridor_ledger *ledger,
						 struct corridor_scales *out,
						 struct corridor_diag *diag);
/** A currency's decimals; 2 for a code the table does not hold. */
unsigned corridor_scales_decimals(const struct corridor_scales *scales, const char *code);

/* Who sees which view (docs/SERVICE.md "Who sees what"; core/reads.c, with
 * corridor_entry_visible): the readers of corridor_reader_sees_all see
 * everything; any other registered party sees public views (parties,
 * currencies, rates) and its own part of the rest. */

/** Whether `reader` may see contract `id` (its terms, readings, meter and
 *  performance reports): a seller, buyer or metering party of any of its
 *  versions, or a reader who sees everything. *may is false, with
 *  CORRIDOR_OK, for a contract that does not exist when the reader does not
 *  see everything (a third party learns nothing of which ids exist).
 *  Errors: CORRIDOR_E_NOTFOUND (no such reader; for those who see
 *  everything, no such contract), the read errors. */
CORRIDOR_MUST_CHECK int corridor_reader_sees_contract(struct corridor_ledger *ledger,
						      const char *reader, const char *id,
						      bool *may, struct corridor_diag *diag);
/** An invoice is its seller's and buyer's; a payment its payer's and
 *  payee's; a netting line its two parties'. */
bool corridor_invoice_visible(const struct corridor_invoice *v, const char *reader);
bool corridor_payment_visible(const struct corridor_payment *p, const char *reader);
bool corridor_netting_visible(const struct corridor_netting *n, const char *reader);
/** The part of a batch `reader` may see: its invoices and netting lines,
 *  the period, seq, digest and reversal; no totals (they sum other parties'
 *  invoices). Release `out` with corridor_batch_release.
 *  Errors: CORRIDOR_E_NOMEM. */
CORRIDOR_MUST_CHECK int corridor_batch_for_reader(const struct corridor_batch *b,
						  const char *reader,
						  struct corridor_batch *out);

CORRIDOR_MUST_CHECK int corridor_party_json(FILE *f, const struct corridor_party *p);
CORRIDOR_MUST_CHECK int corridor_contract_json(FILE *f, const struct corridor_contract *c);
CORRIDOR_MUST_CHECK int corridor_delivery_json(FILE *f, const struct corridor_delivery *d);
CORRIDOR_MUST_CHECK int corridor_currency_json(FILE *f, const char *code, unsigned decimals,
					       uint64_t seq);
CORRIDOR_MUST_CHECK int corridor_rate_json(FILE *f, const struct corridor_rate *r);
CORRIDOR_MUST_CHECK int corridor_invoice_json(FILE *f, const struct corridor_scales *s,
					      const struct corridor_invoice *v);
/** A batch with its invoices, totals and netting; `dry_run` as computed. */
CORRIDOR_MUST_CHECK int corridor_batch_json(FILE *f, const struct corridor_scales *s,
					    const struct corridor_batch *b, bool dry_run);
CORRIDOR_MUST_CHECK int corridor_payment_json(FILE *f, const struct corridor_scales *s,
					      const struct corridor_payment *p);
/** `period` is the report's YYYY-MM. */
CORRIDOR_MUST_CHECK int corridor_meter_report_json(FILE *f, const struct corridor_meter_report *r,
						   const char *period);
CORRIDOR_MUST_CHECK int corridor_performance_json(FILE *f, const struct corridor_performance *p);
CORRIDOR_MUST_CHECK int corridor_invoice_report_json(FILE *f,
						     const struct corridor_invoice_report *r,
						     int32_t as_of_day);
CORRIDOR_MUST_CHECK int corridor_balance_json(FILE *f, const struct corridor_balance *b);
/** One row of an invoice report's aging (as in its `aging` array). */
CORRIDOR_MUST_CHECK int corridor_aging_json(FILE *f, const struct corridor_aging_row *g);

/* ---- reading the views back (formats/viewread.c) ----
 * What a client of `corridor serve` decodes: each document exactly as the
 * writers above produce it (a list: one object a line, or a JSON array),
 * into the same records, fn called for each. Amounts keep the decimals they
 * were written with; `scales`, if not NULL, learns each currency's. What
 * they hold is the server's computation (docs/SERVICE.md "JSON views").
 * Errors: CORRIDOR_E_MALFORMED (not such a document), CORRIDOR_E_LIMIT (over
 * 256 MiB), CORRIDOR_E_NOMEM, or fn's own. */
typedef int (*corridor_invoice_fn)(void *ctx, const struct corridor_invoice *v);
CORRIDOR_MUST_CHECK int corridor_parties_from_json(const char *doc, size_t len,
						   corridor_party_fn fn, void *ctx,
						   struct corridor_diag *diag);
CORRIDOR_MUST_CHECK int corridor_contracts_from_json(const char *doc, size_t len,
						     corridor_contract_fn fn, void *ctx,
						     struct corridor_diag *diag);
CORRIDOR_MUST_CHECK int corridor_deliveries_from_json(const char *doc, size_t len,
						      corridor_delivery_fn fn, void *ctx,
						      struct corridor_diag *diag);
CORRIDOR_MUST_CHECK int corridor_currencies_from_json(const char *doc, size_t len,
						      corridor_currency_fn fn, void *ctx,
						      struct corridor_diag *diag);
CORRIDOR_MUST_CHECK int corridor_rates_from_json(const char *doc, size_t len,
						 corridor_rate_fn fn, void *ctx,
						 struct corridor_diag *diag);
CORRIDOR_MUST_CHECK int corridor_invoices_from_json(const char *doc, size_t len,
						    struct corridor_scales *scales,
						    corridor_invoice_fn fn, void *ctx,
						    struct corridor_diag *diag);
/** A batch handed to fn lives until fn returns. */
CORRIDOR_MUST_CHECK int corridor_batches_from_json(const char *doc, size_t len,
						   struct corridor_scales *scales,
						   corridor_batch_fn fn, void *ctx,
						   struct corridor_diag *diag);
CORRIDOR_MUST_CHECK int corridor_payments_from_json(const char *doc, size_t len,
						    struct corridor_scales *scales,
						    corridor_payment_fn fn, void *ctx,
						    struct corridor_diag *diag);
/** Release `out` with corridor_meter_report_release. */
CORRIDOR_MUST_CHECK int corridor_meter_report_from_json(const char *doc, size_t len,
							struct corridor_meter_report *out,
							struct corridor_diag *diag);
CORRIDOR_MUST_CHECK int corridor_performance_from_json(const char *doc, size_t len,
						       corridor_performance_fn fn, void *ctx,
						       struct corridor_diag *diag);
/** Release `out` with corridor_invoice_report_release; *as_of_day: its date. */
CORRIDOR_MUST_CHECK int corridor_invoice_report_from_json(const char *doc, size_t len,
							  struct corridor_invoice_report *out,
							  int32_t *as_of_day,
							  struct corridor_diag *diag);
CORRIDOR_MUST_CHECK int corridor_balances_from_json(const char *doc, size_t len,
						    corridor_balance_fn fn, void *ctx,
						    struct corridor_diag *diag);

#ifdef __cplusplus
}
#endif

#endif
