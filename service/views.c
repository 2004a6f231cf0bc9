/*
 * views.c — GET /v1/parties, /v1/currencies, /v1/rates, /v1/contracts,
 * /v1/deliveries, /v1/settlements/PERIOD, /v1/invoices/ID, /v1/payments and
 * /v1/reports/{meters,performance,invoices,balances} (docs/SERVICE.md
 * "Reads"): the document `corridor ... --format json` prints, from the same
 * library calls, narrowed to what the reader may see (corridor/views.h).
 *
 * To a reader who does not see everything, a contract that is not its own
 * and one that does not exist both answer 403, so ids are not probed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "views.h"
#include "../cli/cli.h"

#define NDJSON "application/x-ndjson"
#define JSON "application/json"

struct view {
	struct corridor_ledger *l;
	const char *reader;
	bool all;
	serve_arg_fn arg;
	void *arg_ctx;
	FILE *f;
	size_t n;       /* records written */
	int err;        /* a writer's or a check's error */
	struct corridor_scales scales;
	struct corridor_diag d;
	unsigned status; /* a refusal decided while answering, or 0 */
	char why[CORRIDOR_DIAG_BYTES_MAX];
};

static const char *arg(struct view *v, const char *name)
{
	return v->arg(v->arg_ctx, name);
}

static int refuse(struct view *v, unsigned status, const char *why)
{
	v->status = status;
	snprintf(v->why, sizeof v->why, "%s", why);
	return CORRIDOR_E_REFUSED;
}

static bool day_arg(struct view *v, const char *name, int32_t *day)
{
	const char *s = arg(v, name);
	return !s || (strlen(s) == 10 && corridor_date_parse(s, 10, day) == 0);
}

/* ---- a list's framing: a JSON array, or (format=jsonl) an object a line ---- */

static bool lines(struct view *v)
{
	const char *f = arg(v, "format");
	return f && strcmp(f, "jsonl") == 0;
}

/* Before each record of a list. */
static void item(struct view *v)
{
	if (!lines(v) && v->n)
		fputc(',', v->f);
	v->n++;
}

/* After it: the end of its line, for jsonl. */
static int item_end(struct view *v)
{
	return lines(v) && fputc('\n', v->f) == EOF ? CORRIDOR_E_IO : CORRIDOR_OK;
}

/* A list around `err = body`: the brackets (an array), and its type. */
static int list_open(struct view *v, const char **type)
{
	*type = lines(v) ? NDJSON : JSON;
	if (!lines(v))
		fputc('[', v->f);
	return CORRIDOR_OK;
}

static int list_close(struct view *v, int err)
{
	if (!err && !lines(v) && fputs("]\n", v->f) == EOF)
		err = CORRIDOR_E_IO;
	return err;
}

/* ---- one document per path ---- */

static int party_one(void *ctx, const struct corridor_party *p)
{
	struct view *v = ctx;
	item(v);
	int err = corridor_party_json(v->f, p);
	return err ? err : item_end(v);
}

static int currency_one(void *ctx, const char *code, unsigned decimals, uint64_t seq)
{
	struct view *v = ctx;
	item(v);
	int err = corridor_currency_json(v->f, code, decimals, seq);
	return err ? err : item_end(v);
}

static int rate_one(void *ctx, const struct corridor_rate *r)
{
	struct view *v = ctx;
	item(v);
	int err = corridor_rate_json(v->f, r);
	return err ? err : item_end(v);
}

static int rates(struct view *v)
{
	const char *pair = arg(v, "pair");
	char b[4] = "", q[4] = "";
	int32_t lo = INT32_MIN, hi = INT32_MAX;
	if (pair && (strlen(pair) != 7 || pair[3] != '/'))
		return refuse(v, 400, "pair=BASE/QUOTE, e.g. USD/CNY");
	if (pair) {
		memcpy(b, pair, 3);
		memcpy(q, pair + 4, 3);
	}
	if (!day_arg(v, "from", &lo) || !day_arg(v, "to", &hi))
		return refuse(v, 400, "from= and to= are dates YYYY-MM-DD");
	return corridor_rate_list(v->l, pair ? b : NULL, pair ? q : NULL, lo, hi, rate_one, v,
				  &v->d);
}

/* A contract the reader may see, or a refusal (403, or 404 to those who see
 * everything). */
static int contract_check(struct view *v, const char *id)
{
	bool may = false;
	if (!id || !*id || strlen(id) > CORRIDOR_PARTY_ID_BYTES_MAX)
		return refuse(v, 400, "a contract id is required");
	int err = corridor_reader_sees_contract(v->l, v->reader, id, &may, &v->d);
	if (err == CORRIDOR_E_NOTFOUND && v->all)
		return refuse(v, 404, "no such contract");
	if (err)
		return err;
	return may ? CORRIDOR_OK : refuse(v, 403, "this contract is not yours to read");
}

static int contract_one(void *ctx, const struct corridor_contract *c)
{
	struct view *v = ctx;
	bool may = v->all;
	int err = 0;
	if (!may && (err = corridor_reader_sees_contract(v->l, v->reader, c->id, &may, NULL)) != 0)
		return err;
	if (may) {
		item(v);
		if ((err = corridor_contract_json(v->f, c)) != 0 || (err = item_end(v)) != 0)
			return err;
	}
	return 0;
}

static int contracts(struct view *v)
{
	return corridor_contract_list(v->l, arg(v, "party"), contract_one, v, &v->d);
}

static int contract(struct view *v, const char *id)
{
	int err = contract_check(v, id);
	if (err)
		return err;
	struct corridor_contract *c = malloc(sizeof *c);
	if (!c)
		return CORRIDOR_E_NOMEM;
	err = corridor_contract_get(v->l, id, c, &v->d);
	if (!err && ((err = corridor_contract_json(v->f, c)) != 0 || fputc('\n', v->f) == EOF))
		err = err ? err : CORRIDOR_E_IO;
	free(c);
	return err;
}

static int delivery_one(void *ctx, const struct corridor_delivery *d)
{
	struct view *v = ctx;
	item(v);
	int err = corridor_delivery_json(v->f, d);
	return err ? err : item_end(v);
}

static int deliveries(struct view *v)
{
	const char *id = arg(v, "contract"), *period = arg(v, "period");
	int32_t first = -1;
	if (period && !cli_period(period, &first))
		return refuse(v, 400, "period=YYYY-MM");
	int err = contract_check(v, id);
	return err ? err : corridor_delivery_list(v->l, id, first, delivery_one, v, &v->d);
}

static int batch_one(void *ctx, const struct corridor_batch *b)
{
	struct view *v = ctx;
	struct corridor_batch mine;
	int err;
	if (v->all) {
		fputs(v->n++ ? "," : "", v->f);
		return corridor_batch_json(v->f, &v->scales, b, false);
	}
	if ((err = corridor_batch_for_reader(b, v->reader, &mine)) != 0)
		return err;
	if (mine.invoice_count || mine.netting_count) {
		fputs(v->n++ ? "," : "", v->f);
		err = corridor_batch_json(v->f, &v->scales, &mine, false);
	}
	corridor_batch_release(&mine);
	return err;
}

static int settlement(struct view *v, const char *period)
{
	int32_t first;
	if (!cli_period(period, &first))
		return refuse(v, 400, "/v1/settlements/YYYY-MM");
	fputc('[', v->f);
	int err = corridor_settle_show(v->l, first, batch_one, v, &v->d);
	if (!err)
		fputs("]\n", v->f);
	return err;
}

static int invoice(struct view *v, const char *id)
{
	struct corridor_invoice *inv = malloc(sizeof *inv);
	if (!inv)
		return CORRIDOR_E_NOMEM;
	int err = strlen(id) > CORRIDOR_INVOICE_ID_BYTES_MAX
			  ? CORRIDOR_E_NOTFOUND
			  : corridor_invoice_get(v->l, id, inv, &v->d);
	if (err == CORRIDOR_E_NOTFOUND || (!err && !v->all && !corridor_invoice_visible(inv, v->reader)))
		err = v->all ? refuse(v, 404, "no such invoice")
			     : refuse(v, 403, "this invoice is not yours to read");
	if (!err) {
		fputc('[', v->f);
		err = corridor_invoice_json(v->f, &v->scales, inv);
		fputs("]\n", v->f);
	}
	free(inv);
	return err;
}

static int payment_one(void *ctx, const struct corridor_payment *p)
{
	struct view *v = ctx;
	if (!v->all && !corridor_payment_visible(p, v->reader))
		return 0;
	item(v);
	int err = corridor_payment_json(v->f, &v->scales, p);
	return err ? err : item_end(v);
}

static int payments(struct view *v, const char **type)
{
	list_open(v, type);
	return list_close(v, corridor_payment_list(v->l, arg(v, "party"), payment_one, v, &v->d));
}

static int meters(struct view *v)
{
	const char *id = arg(v, "contract"), *period = arg(v, "period");
	int32_t first;
	if (!period || !cli_period(period, &first))
		return refuse(v, 400, "contract=ID&period=YYYY-MM");
	int err = contract_check(v, id);
	if (err)
		return err;
	struct corridor_meter_report r;
	if ((err = corridor_report_meters(v->l, id, first, &r, &v->d)) != 0)
		return err;
	err = corridor_meter_report_json(v->f, &r, period);
	fputc('\n', v->f);
	corridor_meter_report_release(&r);
	return err;
}

static int performance_one(void *ctx, const struct corridor_performance *p)
{
	struct view *v = ctx;
	bool may = v->all;
	int err = 0;
	if (!may && (err = corridor_reader_sees_contract(v->l, v->reader, p->contract, &may,
							 NULL)) != 0)
		return err;
	if (!may)
		return 0;
	fputs(v->n++ ? "," : "", v->f);
	return corridor_performance_json(v->f, p);
}

static int performance(struct view *v)
{
	const char *id = arg(v, "contract"), *period = arg(v, "period");
	int32_t first;
	int err;
	if (!period || !cli_period(period, &first))
		return refuse(v, 400, "period=YYYY-MM[&contract=ID]");
	if (id && (err = contract_check(v, id)) != 0)
		return err;
	fprintf(v->f, "{\"period\":\"%s\",\"contracts\":[", period);
	err = corridor_report_performance(v->l, id, first, performance_one, v, &v->d);
	if (!err)
		fputs("]}\n", v->f);
	return err;
}

static int report_invoices(struct view *v)
{
	const char *party = arg(v, "party");
	int32_t day = (int32_t)(time(NULL) / 86400);
	if (!day_arg(v, "as_of", &day))
		return refuse(v, 400, "as_of=YYYY-MM-DD");
	if (!v->all && party && strcmp(party, v->reader))
		return refuse(v, 403, "another party's receivables are not yours to read");
	struct corridor_invoice_report r;
	int err = corridor_report_invoices(v->l, v->all ? party : v->reader, day, &r, &v->d);
	if (err)
		return err;
	err = corridor_invoice_report_json(v->f, &r, day);
	fputc('\n', v->f);
	corridor_invoice_report_release(&r);
	return err;
}

static int balance_one(void *ctx, const struct corridor_balance *b)
{
	struct view *v = ctx;
	if (!v->all && strcmp(b->party, v->reader))
		return 0;
	fputs(v->n++ ? "," : "", v->f);
	return corridor_balance_json(v->f, b);
}

static int balances(struct view *v)
{
	int32_t day = -1;
	if (!day_arg(v, "as_of", &day))
		return refuse(v, 400, "as_of=YYYY-MM-DD");
	fputc('[', v->f);
	int err = corridor_report_balances(v->l, day, balance_one, v, &v->d);
	if (!err)
		fputs("]\n", v->f);
	return err;
}

/* ---- routing ---- */

static const char *const PREFIXES[] = { "/v1/parties",	   "/v1/currencies", "/v1/rates",
					"/v1/contracts",   "/v1/deliveries", "/v1/settlements/",
					"/v1/invoices/",   "/v1/payments",   "/v1/reports/" };

/* `path` is `prefix` exactly, or `prefix` then "/" and one segment (*rest). */
static bool route(const char *path, const char *prefix, const char **rest)
{
	size_t n = strlen(prefix);
	if (strncmp(path, prefix, n) != 0)
		return false;
	*rest = path + n + (prefix[n - 1] != '/' && path[n] == '/');
	return path[n] == '\0' || path[n] == '/' || prefix[n - 1] == '/';
}

bool serve_view_path(const char *path)
{
	const char *rest;
	for (size_t i = 0; i < sizeof PREFIXES / sizeof PREFIXES[0]; i++)
		if (route(path, PREFIXES[i], &rest))
			return true;
	return false;
}

static int dispatch(struct view *v, const char *path, const char **type)
{
	const char *rest;
	*type = JSON;
	if (route(path, "/v1/parties", &rest)) {
		if (!*rest) {
			list_open(v, type);
			return list_close(v, corridor_party_list(v->l, party_one, v, &v->d));
		}
		struct corridor_party *p = malloc(sizeof *p);
		int err = !p ? CORRIDOR_E_NOMEM
			     : strlen(rest) > CORRIDOR_NAME_BYTES_MAX
				       ? CORRIDOR_E_NOTFOUND
				       : corridor_party_get(v->l, rest, p, &v->d);
		if (err == CORRIDOR_E_NOTFOUND)
			err = refuse(v, 404, "no such party");
		if (!err && ((err = corridor_party_json(v->f, p)) != 0 || fputc('\n', v->f) == EOF))
			err = err ? err : CORRIDOR_E_IO;
		free(p);
		return err;
	}
	if (route(path, "/v1/currencies", &rest) && !*rest) {
		list_open(v, type);
		return list_close(v, corridor_currency_list(v->l, currency_one, v, &v->d));
	}
	if (route(path, "/v1/rates", &rest) && !*rest) {
		list_open(v, type);
		return list_close(v, rates(v));
	}
	if (route(path, "/v1/contracts", &rest)) {
		if (*rest)
			return contract(v, rest);
		list_open(v, type);
		return list_close(v, contracts(v));
	}
	if (route(path, "/v1/deliveries", &rest) && !*rest) {
		list_open(v, type);
		return list_close(v, deliveries(v));
	}
	if (route(path, "/v1/settlements/", &rest))
		return settlement(v, rest);
	if (route(path, "/v1/invoices/", &rest) && *rest)
		return invoice(v, rest);
	if (route(path, "/v1/payments", &rest) && !*rest)
		return payments(v, type);
	if (!strcmp(path, "/v1/reports/meters"))
		return meters(v);
	if (!strcmp(path, "/v1/reports/performance"))
		return performance(v);
	if (!strcmp(path, "/v1/reports/invoices"))
		return report_invoices(v);
	if (!strcmp(path, "/v1/reports/balances"))
		return balances(v);
	return refuse(v, 404, "no such view (docs/SERVICE.md \"Reads\")");
}

static void error_body(struct serve_view *out, unsigned status, const char *why)
{
	FILE *f = open_memstream(&out->body, &out->len);
	out->status = status;
	out->type = JSON;
	if (!f) {
		out->body = NULL;
		out->len = 0;
		return;
	}
	fputs("{\"error\":", f);
	if (corridor_json_write_string(f, why, strlen(why)) != 0)
		fputs("\"\"", f);
	fputs("}\n", f);
	fclose(f);
}

void serve_view_answer(struct corridor_ledger *l, pthread_mutex_t *lock, const char *path,
		       serve_arg_fn argf, void *arg_ctx, const char *reader,
		       struct serve_view *out)
{
	struct view *v = calloc(1, sizeof *v);
	char *buf = NULL;
	size_t len = 0;
	const char *type = JSON;
	memset(out, 0, sizeof *out);
	if (!v) {
		error_body(out, 503, "out of memory");
		return;
	}
	v->l = l;
	v->reader = reader;
	v->arg = argf;
	v->arg_ctx = arg_ctx;
	corridor_diag_init(&v->d);
	if (!(v->f = open_memstream(&buf, &len))) {
		free(v);
		error_body(out, 503, "out of memory");
		return;
	}
	if (lock)
		pthread_mutex_lock(lock);
	int err = corridor_reader_sees_all(l, reader, &v->all, &v->d);
	if (!err)
		err = corridor_currency_scales(l, &v->scales, &v->d);
	if (!err)
		err = dispatch(v, path, &type);
	if (lock)
		pthread_mutex_unlock(lock);
	if (!err && ferror(v->f))
		err = CORRIDOR_E_IO;
	fclose(v->f);
	if (v->status)
		error_body(out, v->status, v->why);
	else if (err)
		error_body(out,
			   err == CORRIDOR_E_NOTFOUND ? 404
			   : err == CORRIDOR_E_REFUSED || err == CORRIDOR_E_OVERFLOW ? 422
			   : 503,
			   v->d.text[0] ? v->d.text : corridor_strerror(err));
	if (v->status || err) {
		free(buf);
	} else {
		out->status = 200;
		out->type = type;
		out->body = buf;
		out->len = len;
	}
	free(v);
}
