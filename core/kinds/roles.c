/*
 * roles.c — who may write each kind (docs/ROLES.md); role names are
 * formats/roles.c.
 */
#include <stdio.h>

#include <msgpack.h>
#include <sodium.h>

#include "kinds.h"

static const struct kind_rule_def RULES[] = {
	{ "genesis", RULE_GENESIS, 0, true },
	{ "party.register", RULE_OPERATOR, 0, true },
	{ "key.add", RULE_OPERATOR, 0, true },
	{ "key.rotate", RULE_SELF, 0, true },
	{ "key.revoke", RULE_OPERATOR_OR_SELF, 0, true },
	{ "memo", RULE_ANY, 0, true },
	{ "attest", RULE_ANY, 0, true },
	{ "currency.define", RULE_OPERATOR, 0, true },
	{ "contract.propose", RULE_CONTRACT_PARTY, 0, true },
	{ "contract.accept", RULE_CONTRACT_PARTY, 0, true },
	{ "contract.amend", RULE_CONTRACT_PARTY, 0, true },
	{ "contract.terminate", RULE_CONTRACT_PARTY, 0, true },
	{ "delivery.record", RULE_RECORDER, 0, true },
	{ "delivery.series", RULE_RECORDER, 0, true },
	{ "delivery.correct", RULE_RECORDER, 0, true },
	{ "rate.record", RULE_ROLE, CORRIDOR_ROLE_RATES, true },
	{ "rate.correct", RULE_ROLE, CORRIDOR_ROLE_RATES, true },
	{ "settlement.invoice", RULE_ROLE, CORRIDOR_ROLE_SETTLEMENT, true },
	{ "settlement.batch", RULE_ROLE, CORRIDOR_ROLE_SETTLEMENT, true },
	{ "settlement.reverse", RULE_ROLE, CORRIDOR_ROLE_SETTLEMENT, true },
	{ "payment.record", RULE_PAYEE_OR_ROLE, CORRIDOR_ROLE_SETTLEMENT, true },
	{ "payment.reverse", RULE_PAYEE_OR_ROLE, CORRIDOR_ROLE_SETTLEMENT, true },
};

const struct kind_rule_def *corridor_kind_rule(const char *kind)
{
	for (size_t i = 0; i < sizeof RULES / sizeof RULES[0]; i++)
		if (strcmp(RULES[i].kind, kind) == 0)
			return &RULES[i];
	return NULL;
}

int corridor_rule_check(const struct kind_rule_def *r, const struct kind_state *st,
			const char *author, unsigned author_roles, const char *target,
			uint64_t seq, struct corridor_diag *diag)
{
	bool is_operator = strcmp(author, st->origin) == 0;
	switch (r->rule) {
	case RULE_ANY:
	case RULE_SELF:
		return CORRIDOR_OK;
	case RULE_OPERATOR:
		if (is_operator)
			return CORRIDOR_OK;
		return corridor_diag_seq(diag, CORRIDOR_E_REFUSED, seq,
					 "%s may be written by the operator only, not by %s", r->kind,
					 author);
	case RULE_OPERATOR_OR_SELF:
		if (is_operator || strcmp(author, target) == 0)
			return CORRIDOR_OK;
		return corridor_diag_seq(diag, CORRIDOR_E_REFUSED, seq,
					 "%s about %s may be written by the operator or %s itself, "
					 "not by %s",
					 r->kind, target, target, author);
	case RULE_ROLE:
		if (author_roles & r->role)
			return CORRIDOR_OK;
		return corridor_diag_seq(diag, CORRIDOR_E_REFUSED, seq,
					 "%s needs a party with the %s role; %s does not hold it",
					 r->kind, r->role == CORRIDOR_ROLE_RATES ? "rates" : "settlement",
					 author);
	case RULE_GENESIS:
	case RULE_PAYEE_OR_ROLE: /* payments.c: the payee is in the body or the payment */
	case RULE_CONTRACT_PARTY:
	case RULE_RECORDER:
	default:
		/* decided by the kind's own processing */
		return CORRIDOR_OK;
	}
}
