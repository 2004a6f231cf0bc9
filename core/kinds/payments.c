/*
 * payments.c — payment.record and payment.reverse.
 *
 * Bodies (canonical maps, string keys):
 *   payment.record  {amount, currency, idempotency_key?, payee, payer, reference,
 *                    value_date}                  the payee or a `settlement` party
 *   payment.reverse {idempotency_key?, payment, reason}
 *                                                 the payee or a `settlement` party
 * State: STATE_PAYMENTS be64(seq) -> be64 amount || be32(value day ^ 2^31) ||
 *        be64 reversed_by || payer, payee, currency, reference (u8 length each);
 *        the trial balance (STATE_BALANCES): payer +amount, payee -amount.
 */
#include <stdio.h>

#include <msgpack.h>
#include <sodium.h>

#include "kinds.h"

bool corridor_reference_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > CORRIDOR_REFERENCE_BYTES_MAX || !corridor_utf8_valid((const uint8_t *)s, n))
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20u || s[i] == 0x7f)
			return false;
	return true;
}

/* The author may write about a payment to `payee`: the payee or a settlement party. */
static int payee_or_settlement(struct kind_state *st, const struct corridor_entry *e,
			       const char *payee, struct corridor_diag *diag)
{
	unsigned roles = 0;
	if (strcmp(e->author, payee) == 0)
		return CORRIDOR_OK;
	if (corridor_party_roles(st->kv, e->author, &roles) == 0 && (roles & CORRIDOR_ROLE_SETTLEMENT))
		return CORRIDOR_OK;
	return corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED,
		    "a payment to %s is recorded by %s or a settlement party, not by %s", payee, payee,
		    e->author);
}

static int process_record(struct kind_state *st, const struct corridor_entry *e,
			  const msgpack_object *o, struct corridor_diag *diag)
{
	static const char *const allowed[] = { "amount", "currency", "idempotency_key", "payee",
					       "payer", "reference", "value_date", NULL };
	struct corridor_payment p = { .seq = e->seq };
	unsigned decimals, roles;
	if (!corridor_mpo_fields_only(o, allowed) ||
	    !corridor_mpo_int(corridor_mpo_field(o, "amount"), &p.amount_minor) ||
	    !corridor_mpo_str(corridor_mpo_field(o, "currency"), p.currency, sizeof p.currency) ||
	    !corridor_mpo_str(corridor_mpo_field(o, "payee"), p.payee, sizeof p.payee) ||
	    !corridor_mpo_str(corridor_mpo_field(o, "payer"), p.payer, sizeof p.payer) ||
	    !corridor_mpo_str(corridor_mpo_field(o, "reference"), p.reference, sizeof p.reference) ||
	    !corridor_mpo_date(corridor_mpo_field(o, "value_date"), &p.value_day) ||
	    !corridor_reference_ok(p.reference))
		return corridor_entry_bad(e, diag, CORRIDOR_E_VERIFY,
			    "needs amount, currency, payee, payer, reference and value_date");
	if (p.amount_minor <= 0)
		return corridor_entry_bad(e, diag, CORRIDOR_E_VERIFY, "the amount must be positive");
	int err = payee_or_settlement(st, e, p.payee, diag);
	if (err)
		return err;
	if (corridor_currency_get(st->kv, p.currency, &decimals, NULL) != 0)
		return corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED, "currency %s is not defined", p.currency);
	if (strcmp(p.payer, p.payee) == 0)
		return corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED, "payer and payee are the same party");
	if (corridor_party_roles(st->kv, p.payer, &roles) != 0 ||
	    corridor_party_roles(st->kv, p.payee, &roles) != 0)
		return corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED, "%s or %s is not a registered party",
			    p.payer, p.payee);
	if ((err = corridor_trial_balance_add(st->kv, p.payer, p.currency, p.amount_minor)) != 0 ||
	    (err = corridor_trial_balance_add(st->kv, p.payee, p.currency, -p.amount_minor)) != 0)
		return err == CORRIDOR_E_OVERFLOW
			       ? corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED, "the balance would overflow")
			       : err;
	return corridor_payment_rec_put(st->kv, &p);
}

static int process_reverse(struct kind_state *st, const struct corridor_entry *e,
			   const msgpack_object *o, struct corridor_diag *diag)
{
	static const char *const allowed[] = { "idempotency_key", "payment", "reason", NULL };
	struct corridor_payment p;
	uint64_t seq;
	char reason[CORRIDOR_REASON_BYTES_MAX + 1];
	if (!corridor_mpo_fields_only(o, allowed) ||
	    !corridor_mpo_uint(corridor_mpo_field(o, "payment"), UINT64_MAX, &seq) ||
	    !corridor_mpo_str(corridor_mpo_field(o, "reason"), reason, sizeof reason) || !reason[0])
		return corridor_entry_bad(e, diag, CORRIDOR_E_VERIFY, "needs payment and reason");
	if (corridor_payment_rec_get(st->kv, seq, &p) != 0)
		return corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED, "entry %llu is not a payment",
			    (unsigned long long)seq);
	if (p.reversed_by)
		return corridor_entry_bad(e, diag, CORRIDOR_E_REFUSED, "payment %llu was reversed by %llu already",
			    (unsigned long long)seq, (unsigned long long)p.reversed_by);
	int err = payee_or_settlement(st, e, p.payee, diag);
	if (err)
		return err;
	p.reversed_by = e->seq;
	if ((err = corridor_trial_balance_add(st->kv, p.payer, p.currency, -p.amount_minor)) != 0 ||
	    (err = corridor_trial_balance_add(st->kv, p.payee, p.currency, p.amount_minor)) != 0)
		return err;
	return corridor_payment_rec_put(st->kv, &p);
}

int corridor_payment_process(struct kind_state *st, const struct corridor_entry *e,
			     struct corridor_diag *diag)
{
	msgpack_unpacked u;
	int err;
	msgpack_unpacked_init(&u);
	err = corridor_body_map(e, &u, diag);
	if (!err && strcmp(e->kind, "payment.record") == 0)
		err = process_record(st, e, &u.data, diag);
	else if (!err)
		err = process_reverse(st, e, &u.data, diag);
	msgpack_unpacked_destroy(&u);
	return err;
}
