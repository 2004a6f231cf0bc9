/*
 * corridor/money.h — currencies, money as integers, FX rates.
 * Part of the public API; include <corridor/corridor.h> for all of it.
 */
#ifndef CORRIDOR_API_MONEY_H
#define CORRIDOR_API_MONEY_H

#include "deliveries.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Currencies, FX rates, settlement, payments (docs/SETTLEMENT.md)     */
/* ------------------------------------------------------------------ */

#define CORRIDOR_CURRENCY_DECIMALS_MAX 4u
#define CORRIDOR_RATE_LIMIT 100000000000000LL /* 0 < r < 10^14, r = rate x 10^8 */
#define CORRIDOR_RATE_LOOKBACK_DAYS 7
#define CORRIDOR_SOURCE_BYTES_MAX 32u
#define CORRIDOR_REFERENCE_BYTES_MAX 140u   /* ISO 20022 Max140Text */
#define CORRIDOR_INVOICE_ID_BYTES_MAX 64u
/** Invoices in one batch, lines and adjustments on one invoice. */
#define CORRIDOR_BATCH_INVOICES_MAX 4000u
#define CORRIDOR_INVOICE_LINES_MAX 64u
#define CORRIDOR_INVOICE_ADJUSTMENTS_MAX 120u
/** Rows of one rates CSV. */
#define CORRIDOR_RATE_ROWS_MAX 1000000u
/** Periods of a contract's term walked when checking settlement order. */
#define CORRIDOR_TERM_PERIODS_MAX 1200u
/** Money: |amount| < 2^63 minor units; a payment amount is positive. */

/** THE rounding of Corridor (SETTLEMENT.md "Numbers"): num / den rounded half
 *  to even, exact in 128 bits. den must be > 0. Errors: CORRIDOR_E_OVERFLOW
 *  when the result does not fit a signed 64-bit integer. */
__extension__ typedef __int128 corridor_i128;
CORRIDOR_MUST_CHECK int corridor_div_round(corridor_i128 num, corridor_i128 den, int64_t *out);

/** Formats minor units with exactly `decimals` fractional digits ("-12.30"). */
void corridor_money_format(int64_t minor, unsigned decimals, char *out, size_t cap);

/** Defines a currency (the operator): an ISO 4217 code of three capital
 *  letters and its minor-unit decimals (0..4). CNY, RUB, MNT and USD are
 *  predefined with 2 decimals. A code is defined once.
 *  Errors: CORRIDOR_E_INVALID, CORRIDOR_E_REFUSED, storage errors. */
CORRIDOR_MUST_CHECK int corridor_currency_define(struct corridor_ledger *ledger,
						 const struct corridor_signer *signer,
						 const char *code, unsigned decimals,
						 const char *idempotency_key, uint64_t *seq,
						 struct corridor_diag *diag);
/** The decimals of a currency (predefined or defined). Errors: CORRIDOR_E_NOTFOUND. */
CORRIDOR_MUST_CHECK int corridor_currency_decimals(struct corridor_ledger *ledger, const char *code,
						   unsigned *decimals, struct corridor_diag *diag);
typedef int (*corridor_currency_fn)(void *ctx, const char *code, unsigned decimals, uint64_t seq);
/** Every currency by code (seq 0: predefined).
 *  Errors: CORRIDOR_E_LIMIT (more than 256 currencies), the read errors, or
 *  fn's own non-zero result. */
CORRIDOR_MUST_CHECK int corridor_currency_list(struct corridor_ledger *ledger,
					       corridor_currency_fn fn, void *ctx,
					       struct corridor_diag *diag);

/** An FX rate: units of `quote` per 1 unit of `base`, times 10^8. */
struct corridor_rate {
	char source[CORRIDOR_SOURCE_BYTES_MAX + 1];
	char base[4], quote[4];
	int32_t day;     /* the publisher's calendar date */
	int64_t rate_e8; /* 0 < r < 10^14 */
	uint64_t seq;    /* the entry that set it (listing) */
	uint64_t corrects; /* listing: the seq of the rate it corrected, 0 for a first */
};
/** Records a rate (a `rates` party). A second rate for the same (source, pair,
 *  date) is refused unless `correct` is set (a rate.correct entry, which needs
 *  an existing rate). Errors: CORRIDOR_E_INVALID, CORRIDOR_E_REFUSED, storage. */
CORRIDOR_MUST_CHECK int corridor_rate_record(struct corridor_ledger *ledger,
					     const struct corridor_signer *signer,
					     const struct corridor_rate *rate, bool correct,
					     const char *idempotency_key, uint64_t *seq,
					     struct corridor_diag *diag);
/** Imports a rates CSV (RFC 4180; header `base,quote,date,rate,source`, any
 *  column order): every row checked first, then written in one transaction.
 *  A row equal to a rate already recorded is skipped; a different value for an
 *  existing (source, pair, date) is refused (correct it with --correct).
 *  Errors: CORRIDOR_E_MALFORMED / CORRIDOR_E_INVALID (diag names line and
 *  column), CORRIDOR_E_REFUSED, CORRIDOR_E_LIMIT, storage errors. */
CORRIDOR_MUST_CHECK int corridor_rate_import(struct corridor_ledger *ledger,
					     const struct corridor_signer *signer, const char *csv,
					     size_t len, size_t *written, size_t *skipped,
					     struct corridor_diag *diag);
typedef int (*corridor_rate_fn)(void *ctx, const struct corridor_rate *r);
/** Current rates, by pair, date and source; base/quote NULL for all pairs;
 *  days in [from_day, to_day].
 *  Errors: the read errors, or fn's own non-zero result. */
CORRIDOR_MUST_CHECK int corridor_rate_list(struct corridor_ledger *ledger, const char *base,
					   const char *quote, int32_t from_day, int32_t to_day,
					   corridor_rate_fn fn, void *ctx, struct corridor_diag *diag);

#ifdef __cplusplus
}
#endif
#endif /* CORRIDOR_API_MONEY_H */
