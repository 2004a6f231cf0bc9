/*
 * dispatch.c — the one dispatcher: an entry's author key valid at its seq,
 * the role rule of its kind, then the kind's own state machine. Appends,
 * dry runs and every verification call corridor_kind_process.
 */
#include <stdio.h>

#include <msgpack.h>
#include <sodium.h>

#include "kinds.h"

/* The author's key must be registered and valid at e->seq. */
static int author_key(struct kind_state *st, const struct corridor_entry *e,
		      struct key_record *rec, struct corridor_diag *diag)
{
	int err = corridor_key_get(st->kv, e->author, e->key_id, rec);
	if (err == CORRIDOR_E_NOTFOUND)
		return corridor_diag_seq(diag, CORRIDOR_E_KEY, e->seq,
					 "key %08x of '%s' is not registered in this ledger",
					 (unsigned)e->key_id, e->author);
	if (err)
		return corridor_diag_seq(diag, err, e->seq, "cannot read the key index");
	if (e->seq < rec->valid_from)
		return corridor_diag_seq(diag, CORRIDOR_E_KEY, e->seq,
					 "key %08x of '%s' is not valid yet at seq %llu",
					 (unsigned)e->key_id, e->author, (unsigned long long)e->seq);
	if (e->seq > rec->valid_until)
		return corridor_diag_seq(diag, CORRIDOR_E_KEY, e->seq,
					 "key %08x of '%s' was rotated or revoked: valid up to seq "
					 "%llu only",
					 (unsigned)e->key_id, e->author,
					 (unsigned long long)rec->valid_until);
	return CORRIDOR_OK;
}

/* A version 2 entry's statement at its seq: for this ledger, and alive at
 * the log's time (docs/FORMAT.md 2a "Lifetime"). */
static int statement_check(const struct kind_state *st, const struct corridor_entry *e,
			   struct corridor_diag *diag)
{
	struct corridor_statement s = { .created_us = e->created_us,
					.expires_us = e->expires_us };
	struct corridor_diag d;
	if (strcmp(e->origin, st->origin) != 0)
		return corridor_diag_seq(diag, CORRIDOR_E_REFUSED, e->seq,
					 "the statement is for the ledger '%s', not this one",
					 e->origin);
	corridor_diag_init(&d);
	CORRIDOR_ASSERT(st->lifetime_max_us > 0); /* set by the genesis, or from it */
	if (corridor_statement_check_time(&s, e->time_us, CORRIDOR_STATEMENT_SKEW_US,
					  st->lifetime_max_us, &d) != 0)
		return corridor_diag_seq(diag, CORRIDOR_E_REFUSED, e->seq, "%s", d.text);
	return CORRIDOR_OK;
}

int corridor_kind_process(struct kind_state *st, const struct corridor_entry *e,
			  uint8_t public_key[CORRIDOR_PUBLIC_KEY_BYTES], struct corridor_diag *diag)
{
	struct kind_body b = { .e = e, .diag = diag };
	struct key_record signing;
	unsigned roles = 0;
	char idem[CORRIDOR_IDEM_BYTES_MAX + 1], target[CORRIDOR_NAME_BYTES_MAX + 1];
	uint64_t key_id = 0;
	bool has_idem;
	int err;
	if (strcmp(e->kind, "genesis") == 0) {
		if ((err = corridor_kind_genesis(st, e, public_key, diag)) != 0)
			return err;
		return e->version == CORRIDOR_ENTRY_VERSION_2 ? statement_check(st, e, diag) : 0;
	}
	if (st->origin[0] == '\0')
		return corridor_diag_seq(diag, CORRIDOR_E_VERIFY, e->seq,
					 "the log does not start with a genesis entry");
	if (e->version == CORRIDOR_ENTRY_VERSION_2 && (err = statement_check(st, e, diag)) != 0)
		return err;
	const struct kind_rule_def *rule = corridor_kind_rule(e->kind);
	if (!rule || !rule->implemented)
		return corridor_diag_seq(diag, CORRIDOR_E_VERIFY, e->seq,
					 "unknown entry kind '%s'", e->kind);
	/* 1. Who signs: a key valid at this seq, and the party's roles. */
	if ((err = author_key(st, e, &signing, diag)) != 0)
		return err;
	if ((err = corridor_party_roles(st->kv, e->author, &roles)) != 0)
		return corridor_diag_seq(diag, CORRIDOR_E_KEY, e->seq, "'%s' is not a party here",
					 e->author);
	/* 2. May it write this kind (about this party)? */
	target[0] = '\0';
	if (rule->rule == RULE_OPERATOR_OR_SELF &&
	    ((err = corridor_body_str(&b, "party", true, target, CORRIDOR_NAME_BYTES_MAX, NULL)) ||
	     (err = corridor_body_uint(&b, "key_id", &key_id))))
		return err;
	if ((err = corridor_rule_check(rule, st, e->author, roles, target, e->seq, diag)) != 0)
		return err;
	/* 3. An idempotency key is used once per author and kind: a statement's
	 * own (version 2), or the body's (version 1). */
	if ((err = corridor_body_str(&b, "idempotency_key", false, idem, CORRIDOR_IDEM_BYTES_MAX,
			     &has_idem)) != 0)
		return err;
	if (e->version == CORRIDOR_ENTRY_VERSION_2) {
		if (has_idem)
			return corridor_body_bad(&b, "a statement's body names no idempotency key: "
						     "the statement does");
		snprintf(idem, sizeof idem, "%s", e->idempotency_key);
		has_idem = true;
	}
	if (has_idem) {
		uint64_t at = 0;
		err = corridor_idem_lookup(st->kv, e->author, e->kind, idem, strlen(idem), &at);
		if (err == CORRIDOR_E_LIMIT)
			return corridor_body_bad(&b, "the idempotency key is too long");
		if (err == 0 || err == CORRIDOR_E_STORAGE)
			return corridor_diag_seq(diag, CORRIDOR_E_REFUSED, e->seq,
						 "idempotency key '%s' of %s for %s was used at seq "
						 "%llu for a different body",
						 idem, e->author, e->kind, (unsigned long long)at);
		if (err != CORRIDOR_E_NOTFOUND)
			return corridor_diag_seq(diag, err, e->seq, "cannot read the idempotency keys");
	}
	/* 4. The kind's own rules and effects. */
	if (strcmp(e->kind, "memo") == 0)
		err = corridor_kind_memo(&b);
	else if (strcmp(e->kind, "attest") == 0)
		err = corridor_kind_attest(st, &b);
	else if (strcmp(e->kind, "party.register") == 0)
		err = corridor_kind_party_register(st, &b);
	else if (strcmp(e->kind, "key.rotate") == 0)
		err = corridor_kind_key_rotate(st, &b, &signing);
	else if (strcmp(e->kind, "key.add") == 0)
		err = corridor_kind_key_add(st, &b);
	else if (strcmp(e->kind, "key.revoke") == 0) {
		static const char *const allowed[] = { "idempotency_key", "key_id", "party",
						       "reason", NULL };
		char reason[CORRIDOR_REASON_BYTES_MAX + 1];
		if (!(err = corridor_body_fields(&b, allowed)) &&
		    !(err = corridor_body_str(&b, "reason", false, reason, CORRIDOR_REASON_BYTES_MAX, NULL)))
			err = corridor_kind_key_revoke(st, &b, target, key_id);
	} else if (strncmp(e->kind, "contract.", 9) == 0)
		err = corridor_contract_process(st, e, diag);
	else if (strncmp(e->kind, "delivery.", 9) == 0)
		err = corridor_delivery_process(st, e, diag);
	else if (strncmp(e->kind, "rate.", 5) == 0 || strcmp(e->kind, "currency.define") == 0)
		err = corridor_money_process(st, e, diag);
	else if (strncmp(e->kind, "settlement.", 11) == 0)
		err = corridor_settle_process(st, e, diag);
	else if (strncmp(e->kind, "payment.", 8) == 0)
		err = corridor_payment_process(st, e, diag);
	else
		CORRIDOR_ASSERT(!"an implemented kind without processing");
	if (err)
		return err;
	if (has_idem) {
		if ((err = corridor_idem_record(st->kv, e->author, e->kind, idem, strlen(idem),
						e->seq)) != 0)
			return corridor_diag_seq(diag, err, e->seq, "cannot record the idempotency key");
	}
	memcpy(public_key, signing.public_key, 32);
	return CORRIDOR_OK;
}
