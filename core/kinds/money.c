/*
 * money.c — currency.define, rate.record and rate.correct.
 *
 * Bodies (canonical maps, string keys):
 *   currency.define {code, decimals, idempotency_key?}          the operator
 *   rate.record     {base, date, idempotency_key?, quote, rate, source}
 *   rate.correct    the same fields; replaces the rate of (source, pair, date)
 *                                                               a `rates` party
 * rate is the decimal times 10^8 (0 < r < 10^14); date is YYYY-MM-DD.
 *
 * State: STATE_CURRENCIES code -> u8 decimals || be64 seq;
 *        STATE_RATES source || 0 || base || quote || be32(day ^ 2^31)
 *                    -> be64 rate || be64 seq || be64 corrected seq.
 */
#include <stdio.h>

#include <msgpack.h>
#include <sodium.h>

#include "kinds.h"

static int process_currency(struct kind_state *st, const struct corridor_entry *e,
			    const msgpack_object *o, struct corridor_diag *diag)
{
	static const char *const allowed[] = { "code", "decimals", "idempotency_key", NULL };
	char code[8];
	uint64_t decimals;
	unsigned have;
	if (!corridor_mpo_fields_only(o, allowed) ||
	    !corridor_mpo_str(corridor_mpo_field(o, "code"), code, sizeof code) ||
	    !corridor_mpo_uint(corridor_mpo_field(o, "decimals"), CORRIDOR_CURRENCY_DECIMALS_MAX,
			       &decimals) ||
	    !corridor_currency_code_ok(code))
		return corridor_entry_bad(e, diag, CORRIDOR_E_VERIFY,
			    "needs code (three capital letters) and decimals (0..4)");
	if (corridor_currency_get(st->kv, code, &have, NULL) == 0)
		return corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED, "%s is defined already (%u decimals)", code,
			    have);
	uint8_t v[9];
	v[0] = (uint8_t)decimals;
	corridor_be64_put(v + 1, e->seq);
	return st->kv->put(st->kv, STATE_CURRENCIES, (const uint8_t *)code, 3, v, sizeof v);
}

static bool source_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > CORRIDOR_SOURCE_BYTES_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20u || c >= 0x7fu || c == ',' || c == '"')
			return false;
	}
	return true;
}

int corridor_rate_check(const struct corridor_rate *r, struct corridor_diag *diag)
{
	if (!source_ok(r->source))
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "source: 1-%u printable ASCII characters, no spaces",
					 CORRIDOR_SOURCE_BYTES_MAX);
	if (!corridor_currency_code_ok(r->base) || !corridor_currency_code_ok(r->quote))
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "base and quote: ISO 4217 codes such as USD");
	if (strcmp(r->base, r->quote) == 0)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "base and quote are the same");
	if (r->rate_e8 <= 0 || r->rate_e8 >= CORRIDOR_RATE_LIMIT)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "rate: 0 < rate < 1000000 with at most 8 decimals");
	return CORRIDOR_OK;
}

static int process_rate(struct kind_state *st, const struct corridor_entry *e,
			const msgpack_object *o, struct corridor_diag *diag)
{
	static const char *const allowed[] = { "base",	"date",	  "idempotency_key",
					       "quote", "rate", "source", NULL };
	struct corridor_rate r = { 0 }, old;
	struct corridor_diag d;
	bool correct = strcmp(e->kind, "rate.correct") == 0;
	unsigned decimals;
	if (!corridor_mpo_fields_only(o, allowed) ||
	    !corridor_mpo_str(corridor_mpo_field(o, "base"), r.base, sizeof r.base) ||
	    !corridor_mpo_str(corridor_mpo_field(o, "quote"), r.quote, sizeof r.quote) ||
	    !corridor_mpo_str(corridor_mpo_field(o, "source"), r.source, sizeof r.source) ||
	    !corridor_mpo_date(corridor_mpo_field(o, "date"), &r.day) ||
	    !corridor_mpo_int(corridor_mpo_field(o, "rate"), &r.rate_e8))
		return corridor_entry_bad(e, diag, CORRIDOR_E_VERIFY, "needs base, quote, date, rate and source");
	corridor_diag_init(&d);
	if (corridor_rate_check(&r, &d) != 0)
		return corridor_entry_bad(e, diag, CORRIDOR_E_VERIFY, "%s", d.text);
	if (corridor_currency_get(st->kv, r.base, &decimals, NULL) != 0 ||
	    corridor_currency_get(st->kv, r.quote, &decimals, NULL) != 0)
		return corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED, "%s/%s: a currency that is not defined",
			    r.base, r.quote);
	int err = corridor_rate_get(st->kv, r.source, r.base, r.quote, r.day, &old);
	if (err && err != CORRIDOR_E_NOTFOUND)
		return err;
	char date[11];
	corridor_date_format(r.day, date);
	if (!correct && err == 0)
		return corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED,
			    "%s has a %s/%s rate for %s already (seq %llu); a different one is a "
			    "correction",
			    r.source, r.base, r.quote, date, (unsigned long long)old.seq);
	if (correct && err)
		return corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED, "%s has no %s/%s rate for %s to correct",
			    r.source, r.base, r.quote, date);
	uint8_t k[CORRIDOR_SOURCE_BYTES_MAX + 11], v[CORRIDOR_RATE_VALUE_BYTES];
	corridor_be64_put(v, (uint64_t)r.rate_e8);
	corridor_be64_put(v + 8, e->seq);
	corridor_be64_put(v + 16, correct ? old.seq : 0);
	return st->kv->put(st->kv, STATE_RATES, k, corridor_rate_key(r.source, r.base, r.quote, r.day, k), v,
			   sizeof v);
}

int corridor_money_process(struct kind_state *st, const struct corridor_entry *e,
			   struct corridor_diag *diag)
{
	msgpack_unpacked u;
	int err;
	msgpack_unpacked_init(&u);
	err = corridor_body_map(e, &u, diag);
	if (!err && strcmp(e->kind, "currency.define") == 0)
		err = process_currency(st, e, &u.data, diag);
	else if (!err)
		err = process_rate(st, e, &u.data, diag);
	msgpack_unpacked_destroy(&u);
	return err;
}
