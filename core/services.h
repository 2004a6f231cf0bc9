/*
 * services.h — what the services (the files of core/ itself: contracts, deliveries, money,
 * settlement, payments, receivables, statements, reports, diff, export)
 * share beyond the sequencer (log/log.h) and the kinds (kinds/kinds.h).
 * Services turn inputs into drafts, hand them to the sequencer and read
 * through corridor_ledger_read; they never write derived state. Not part of
 * the API.
 */
#ifndef CORRIDOR_SERVICES_H
#define CORRIDOR_SERVICES_H

#include "log/log.h"

/* ---- payments.c ---- */

#define PAYMENT_BODY_BYTES_MAX (CORRIDOR_REASON_BYTES_MAX + CORRIDOR_IDEM_BYTES_MAX + 512u)
/* The canonical body of payment.record for p, and of payment.reverse; 0 if
 * it does not fit cap. (The idempotency key is the statement's.) */
size_t corridor_payment_body(const struct corridor_payment *p, uint8_t *buf, size_t cap);
size_t corridor_payment_reverse_body(uint64_t payment, const char *reason, uint8_t *buf,
				     size_t cap);

#endif
