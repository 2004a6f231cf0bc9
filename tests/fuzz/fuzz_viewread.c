/* libFuzzer: a server's JSON views read back by the client (every
 * decoder of formats/viewread.c on the same bytes). */
#include <stdint.h>
#include <stdlib.h>

#include "corridor/corridor.h"

static int any_party(void *ctx, const struct corridor_party *p)
{
	(void)ctx;
	return p->id[0] == '\0';
}
static int any_contract(void *ctx, const struct corridor_contract *c)
{
	(void)ctx;
	return c->id[0] == '\0';
}
static int any_delivery(void *ctx, const struct corridor_delivery *d)
{
	(void)ctx;
	return d->contract[0] == '\0';
}
static int any_currency(void *ctx, const char *code, unsigned decimals, uint64_t seq)
{
	(void)ctx;
	(void)seq;
	return code[0] == '\0' || decimals > 4;
}
static int any_rate(void *ctx, const struct corridor_rate *r)
{
	(void)ctx;
	return r->base[0] == '\0';
}
static int any_invoice(void *ctx, const struct corridor_invoice *v)
{
	(void)ctx;
	return v->id[0] == '\0';
}
static int any_batch(void *ctx, const struct corridor_batch *b)
{
	(void)ctx;
	return b->invoice_count > 4000;
}
static int any_payment(void *ctx, const struct corridor_payment *p)
{
	(void)ctx;
	return p->payer[0] == '\0';
}
static int any_perf(void *ctx, const struct corridor_performance *p)
{
	(void)ctx;
	return p->contract[0] == '\0';
}
static int any_balance(void *ctx, const struct corridor_balance *b)
{
	(void)ctx;
	return b->party[0] == '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *doc = (const char *)data;
	static struct corridor_scales sc;
	struct corridor_meter_report mr;
	struct corridor_invoice_report ir;
	int32_t as_of;
	(void)!corridor_parties_from_json(doc, size, any_party, NULL, NULL);
	(void)!corridor_contracts_from_json(doc, size, any_contract, NULL, NULL);
	(void)!corridor_deliveries_from_json(doc, size, any_delivery, NULL, NULL);
	(void)!corridor_currencies_from_json(doc, size, any_currency, NULL, NULL);
	(void)!corridor_rates_from_json(doc, size, any_rate, NULL, NULL);
	(void)!corridor_invoices_from_json(doc, size, &sc, any_invoice, NULL, NULL);
	(void)!corridor_batches_from_json(doc, size, &sc, any_batch, NULL, NULL);
	(void)!corridor_payments_from_json(doc, size, &sc, any_payment, NULL, NULL);
	(void)!corridor_performance_from_json(doc, size, any_perf, NULL, NULL);
	(void)!corridor_balances_from_json(doc, size, any_balance, NULL, NULL);
	if (corridor_meter_report_from_json(doc, size, &mr, NULL) == 0)
		corridor_meter_report_release(&mr);
	if (corridor_invoice_report_from_json(doc, size, &ir, &as_of, NULL) == 0)
		corridor_invoice_report_release(&ir);
	return 0;
}
