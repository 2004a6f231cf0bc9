/*
 * corridor/payments.h — payments and bank statements (ISO 20022 camt.053).
 * Part of the public API; include <corridor/corridor.h> for all of it.
 */
#ifndef CORRIDOR_API_PAYMENTS_H
#define CORRIDOR_API_PAYMENTS_H

#include "settle.h"

#ifdef __cplusplus
extern "C" {
#endif

struct corridor_payment {
	uint64_t seq;
	char payer[CORRIDOR_PARTY_ID_BYTES_MAX + 1], payee[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
	char currency[4];
	int64_t amount_minor; /* > 0 */
	int32_t value_day;
	char reference[CORRIDOR_REFERENCE_BYTES_MAX + 1];
	uint64_t reversed_by; /* 0 while it stands */
};
/** Records a payment (by the payee or a `settlement` party). Without an
 *  idempotency key, the payment's identity (payer, payee, currency, amount,
 *  value date, reference) is its key: a second payment of the same identity
 *  is refused as a retry (CORRIDOR_E_REFUSED, diag names the seq).
 *  Errors: CORRIDOR_E_INVALID, CORRIDOR_E_REFUSED, storage errors. */
CORRIDOR_MUST_CHECK int corridor_payment_record(struct corridor_ledger *ledger,
						const struct corridor_signer *signer,
						const struct corridor_payment *p,
						const char *idempotency_key, uint64_t *seq,
						struct corridor_diag *diag);
/** Records another payment of an identity recorded before (the caller says
 *  it is a new payment, not a retry): its key is the identity's next
 *  occurrence ("#2", "#3", ...).
 *  Errors: as corridor_payment_record, plus CORRIDOR_E_LIMIT (too many occurrences
 *  of one identity). */
CORRIDOR_MUST_CHECK int corridor_payment_record_another(struct corridor_ledger *ledger,
							const struct corridor_signer *signer,
							const struct corridor_payment *p,
							uint64_t *seq, struct corridor_diag *diag);
/** Reverses a payment (its payee or a `settlement` party).
 *  Errors: CORRIDOR_E_INVALID (reason, idempotency key), CORRIDOR_E_REFUSED (no
 *  such payment, reversed already, not its payee nor a settlement party),
 *  and the write errors. */
CORRIDOR_MUST_CHECK int corridor_payment_reverse(struct corridor_ledger *ledger,
						 const struct corridor_signer *signer,
						 uint64_t payment, const char *reason,
						 const char *idempotency_key, uint64_t *seq,
						 struct corridor_diag *diag);
typedef int (*corridor_payment_fn)(void *ctx, const struct corridor_payment *p);
/** camt.053 import limits. */
#define CORRIDOR_CAMT_BYTES_MAX (64u << 20)
#define CORRIDOR_CAMT_TX_MAX CORRIDOR_BATCH_ENTRIES_MAX

enum corridor_camt_outcome {
	CORRIDOR_CAMT_APPLIED = 1,   /* a payment, applied to `invoice` */
	CORRIDOR_CAMT_UNAPPLIED = 2, /* a payment no invoice matched: the payer's credit */
	CORRIDOR_CAMT_REVERSED = 3,  /* a reversal of payment `reverses` */
	CORRIDOR_CAMT_ALREADY = 4,   /* imported before (the same statement again) */
	CORRIDOR_CAMT_UNMATCHED = 5, /* not written: `why` says what is missing */
	CORRIDOR_CAMT_NOT_BOOKED = 6,/* pending or information only: not written */
	CORRIDOR_CAMT_NO_REFERENCE = 7, /* booked, but no bank reference: not written */
};
/** What became of one statement transaction. */
struct corridor_camt_result {
	unsigned statement, entry, tx; /* positions, from 1 (tx 0: the entry itself) */
	unsigned line;
	enum corridor_camt_outcome outcome;
	char bank_reference[36];
	char payer[CORRIDOR_PARTY_ID_BYTES_MAX + 1], payee[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
	char currency[4];
	int64_t amount_minor;
	int32_t value_day;
	char invoice[CORRIDOR_INVOICE_ID_BYTES_MAX + 1];
	uint64_t seq, reverses;
	char why[128];
};
typedef int (*corridor_camt_fn)(void *ctx, const struct corridor_camt_result *r);
/** Imports an ISO 20022 camt.053 statement (.001.02 and later) of an account
 *  registered to the signer's party: every booked credit becomes a payment to
 *  it from the party whose registered IBAN is the debtor's, applied to the
 *  invoice its reference names (structured creditor reference, end-to-end
 *  id, then remittance text), else to the one open invoice of that payer,
 *  payee, currency and amount, else left unapplied; a booked reversal (RvslInd)
 *  of a debit reverses the payment it undoes; a debit (the owner paying) is
 *  written only by a `settlement` party. Each transaction's bank reference is
 *  its idempotency key: the same statement again appends nothing. Everything
 *  is checked first and written in one transaction; `fn` gets every
 *  transaction's outcome, unmatched ones included.
 *  Errors: CORRIDOR_E_MALFORMED (not XML), CORRIDOR_E_INVALID (not camt.053,
 *  a missing element: diag names the line), CORRIDOR_E_REFUSED (the account
 *  is not the signer's), CORRIDOR_E_LIMIT, storage errors. */
CORRIDOR_MUST_CHECK int corridor_payment_import(struct corridor_ledger *ledger,
						const struct corridor_signer *signer,
						const char *xml, size_t len, corridor_camt_fn fn,
						void *ctx, size_t *written,
						struct corridor_diag *diag);
/** Payments by seq (of `party` as payer or payee, if not NULL).
 *  Errors: the read errors, or fn's own non-zero result. */
CORRIDOR_MUST_CHECK int corridor_payment_list(struct corridor_ledger *ledger, const char *party,
					      corridor_payment_fn fn, void *ctx,
					      struct corridor_diag *diag);

#ifdef __cplusplus
}
#endif
#endif /* CORRIDOR_API_PAYMENTS_H */
