/*
 * camt.c — bank statements (ISO 20022 camt.053, SETTLEMENT.md "Bank
 * statements"): each transaction matched to a party and an invoice
 * (camt_decide decides, camt_wording says why), checked as one dry run
 * against the ledger, then written as payment.record / payment.reverse
 * entries; a statement imported again appends nothing.
 */
#include <stdio.h>

#include <msgpack.h>
#include <sodium.h>

#include "services.h"


/* ---- ISO 20022 camt.053 import ---- */

struct iban_map {
	char (*iban)[35];
	char (*party)[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
	size_t n;
};

static int iban_collect(void *ctx, const struct corridor_party *p)
{
	struct iban_map *m = ctx;
	for (size_t i = 0; i < p->iban_count; i++) {
		void *a = realloc(m->iban, (m->n + 1) * sizeof *m->iban);
		if (!a)
			return CORRIDOR_E_NOMEM;
		m->iban = a;
		void *b = realloc(m->party, (m->n + 1) * sizeof *m->party);
		if (!b)
			return CORRIDOR_E_NOMEM;
		m->party = b;
		snprintf(m->iban[m->n], sizeof m->iban[0], "%s", p->ibans[i]);
		snprintf(m->party[m->n++], sizeof m->party[0], "%.32s", p->id);
	}
	return 0;
}

static const char *iban_party(const struct iban_map *m, const char *iban)
{
	for (size_t i = 0; iban[0] && i < m->n; i++)
		if (strcmp(m->iban[i], iban) == 0)
			return m->party[i];
	return NULL;
}

struct camt_draft {
	struct corridor_camt_result r;
	const char *kind;
	uint8_t body[PAYMENT_BODY_BYTES_MAX];
	size_t body_len;
	bool write;
	long target; /* a reversal of the payment this statement's draft #target records, or -1 */
	char idem[CORRIDOR_IDEM_BYTES_MAX + 1];
};
#define CAMT_REVERSAL_REASON "bank statement: reversal"

/* The invoice a reference names: a standing invoice id, with or without -r<n>. */
static struct corridor_invoice_status *named_invoice(struct corridor_invoice_report *rep,
						     const char *ref, const char *currency)
{
	size_t bl = corridor_invoice_base_len(ref);
	for (size_t i = 0; ref[0] && i < rep->count; i++)
		if (corridor_invoice_base_len(rep->invoices[i].id) == bl && !strncmp(rep->invoices[i].id, ref, bl) &&
		    !strcmp(rep->invoices[i].currency, currency))
			return &rep->invoices[i];
	return NULL;
}

static int plist_keep(void *ctx, const struct corridor_payment *p)
{
	struct corridor_payment_rows *pl = ctx;
	void *n = realloc(pl->p, (pl->n + 1) * sizeof *pl->p);
	if (!n)
		return CORRIDOR_E_NOMEM;
	pl->p = n;
	pl->p[pl->n++] = *p;
	return 0;
}

/* Decides what one transaction becomes (nothing is written here). */
/* Why a transaction is not written as matched: the decision names it,
 * camt_wording says it. */
enum camt_why {
	WHY_NONE,
	WHY_NOT_BOOKED,      /* status is not BOOK */
	WHY_CURRENCY,        /* the currency is not defined */
	WHY_NO_IBAN,         /* no counterparty IBAN */
	WHY_IBAN_UNKNOWN,    /* the counterparty IBAN is no party's */
	WHY_PAYEE_RECORDS,   /* the owner pays, and is not a settlement party */
	WHY_NO_REFERENCE,    /* no bank reference: no identity */
	WHY_NOTHING_TO_REVERSE,
	WHY_UNAPPLIED,       /* no invoice matches */
};

/* What every decision of one statement shares. */
struct camt_match {
	const char *owner; /* the account holder, who imports */
	unsigned owner_roles;
	const struct iban_map *ibans;
	struct corridor_invoice_report *rep; /* open amounts, reduced as matched */
	struct corridor_payment_rows *pays;  /* standing payments, marked as reversed */
	struct corridor_kv *kv;
	struct camt_draft *cds; /* the drafts so far */
};

/* The identity of a bank transaction: the bank's reference of the entry (and
 * the transaction's place among the entry's details), else the bank's
 * reference of the transaction itself. A position in the file is none: a
 * re-issued statement could not be told from a new one. false if none. */
static bool camt_identity(const struct corridor_camt_tx *t, char out[CORRIDOR_IDEM_BYTES_MAX + 1])
{
	if (t->entry_ref[0])
		snprintf(out, CORRIDOR_IDEM_BYTES_MAX + 1, "camt053/%s/%s/%u", t->account_iban,
			 t->entry_ref, t->tx_no);
	else if (t->tx_ref[0])
		snprintf(out, CORRIDOR_IDEM_BYTES_MAX + 1, "camt053/%s/tx/%s", t->account_iban,
			 t->tx_ref);
	return t->entry_ref[0] || t->tx_ref[0];
}

/* A reversal: the standing payment it undoes (same parties, currency and
 * amount; its reference if the bank repeats it; the latest first), or a
 * payment this statement records earlier. */
static enum camt_why camt_reversal(const struct camt_match *m, size_t at,
				   const char *const refs[3])
{
	struct camt_draft *cd = &m->cds[at];
	struct corridor_camt_result *r = &cd->r;
	struct corridor_payment *hit = NULL;
	for (size_t pass = 0; pass < 2 && !hit; pass++)
		for (size_t i = m->pays->n; i-- > 0 && !hit;) {
			struct corridor_payment *p = &m->pays->p[i];
			bool same = !p->reversed_by && !strcmp(p->payer, r->payer) &&
				    !strcmp(p->payee, r->payee) && !strcmp(p->currency, r->currency) &&
				    p->amount_minor == r->amount_minor;
			bool ref = false;
			for (int k = 0; k < 3; k++)
				ref |= refs[k][0] && !strcmp(refs[k], p->reference);
			if (same && (pass == 1 || ref))
				hit = p;
		}
	for (size_t j = at; !hit && cd->target < 0 && j-- > 0;) {
		const struct camt_draft *o = &m->cds[j];
		if (o->write && o->target < 0 && !strcmp(o->kind, "payment.record") &&
		    o->r.amount_minor == r->amount_minor && !strcmp(o->r.payer, r->payer) &&
		    !strcmp(o->r.payee, r->payee) && !strcmp(o->r.currency, r->currency) &&
		    !o->r.reverses) {
			bool taken = false;
			for (size_t q = j + 1; q < at; q++)
				taken |= m->cds[q].target == (long)j;
			if (!taken)
				cd->target = (long)j;
		}
	}
	if (cd->target >= 0) {
		r->outcome = CORRIDOR_CAMT_REVERSED;
		cd->kind = "payment.reverse";
		cd->write = true; /* its body names the seq draft #target gets */
		return WHY_NONE;
	}
	if (!hit) {
		r->outcome = CORRIDOR_CAMT_UNMATCHED;
		return WHY_NOTHING_TO_REVERSE;
	}
	hit->reversed_by = UINT64_MAX; /* taken */
	r->outcome = CORRIDOR_CAMT_REVERSED;
	r->reverses = hit->seq;
	cd->kind = "payment.reverse";
	cd->body_len = corridor_payment_reverse_body(hit->seq, CAMT_REVERSAL_REASON,
						     cd->body, sizeof cd->body);
	cd->write = true;
	return WHY_NONE;
}

/* A payment: the invoice a reference names, else the one open invoice of
 * exactly that amount between the two; else an unapplied credit. */
static enum camt_why camt_payment(const struct camt_match *m, const struct corridor_camt_tx *t,
				  struct camt_draft *cd, const char *const refs[3])
{
	struct corridor_camt_result *r = &cd->r;
	enum camt_why why = WHY_NONE;
	struct corridor_payment p = { .amount_minor = r->amount_minor, .value_day = t->value_day };
	memcpy(p.payer, r->payer, sizeof p.payer);
	memcpy(p.payee, r->payee, sizeof p.payee);
	memcpy(p.currency, r->currency, 4);
	struct corridor_invoice_status *inv = NULL;
	for (int k = 0; k < 3 && !inv; k++)
		if ((inv = named_invoice(m->rep, refs[k], r->currency)) != NULL)
			snprintf(p.reference, sizeof p.reference, "%s", refs[k]);
	if (!inv) {
		struct corridor_invoice_status *only = NULL;
		size_t hits = 0;
		for (size_t i = 0; i < m->rep->count; i++) {
			struct corridor_invoice_status *s = &m->rep->invoices[i];
			if (s->open_minor == r->amount_minor && !strcmp(s->debtor, r->payer) &&
			    !strcmp(s->creditor, r->payee) && !strcmp(s->currency, r->currency)) {
				only = s;
				hits++;
			}
		}
		if (hits == 1) {
			inv = only;
			snprintf(p.reference, sizeof p.reference, "%s", inv->id);
		}
	}
	if (inv) {
		r->outcome = CORRIDOR_CAMT_APPLIED;
		snprintf(r->invoice, sizeof r->invoice, "%s", inv->id);
		inv->open_minor = inv->open_minor > r->amount_minor ? inv->open_minor - r->amount_minor : 0;
	} else {
		r->outcome = CORRIDOR_CAMT_UNAPPLIED;
		const char *any = refs[0][0] ? refs[0] : refs[1][0] ? refs[1] : refs[2][0] ? refs[2]
					 : t->entry_ref[0] ? t->entry_ref : "bank statement";
		snprintf(p.reference, sizeof p.reference, "%s", any);
		why = WHY_UNAPPLIED;
	}
	if (!corridor_reference_ok(p.reference))
		snprintf(p.reference, sizeof p.reference, "bank statement");
	cd->kind = "payment.record";
	cd->body_len = corridor_payment_body(&p, cd->body, sizeof cd->body);
	cd->write = true;
	return why;
}

/* Decides what transaction t (the at-th of the statement) becomes: its
 * outcome, parties and draft in m->cds[at]; *why says what kept it from
 * being matched. An amount that is no amount of its currency stops the
 * import (CORRIDOR_E_INVALID). */
static int camt_decide(const struct camt_match *m, const struct corridor_camt_tx *t, size_t at,
		       enum camt_why *why, struct corridor_diag *diag)
{
	struct camt_draft *cd = &m->cds[at];
	struct corridor_camt_result *r = &cd->r;
	unsigned dec;
	memset(cd, 0, sizeof *cd);
	cd->target = -1;
	*why = WHY_NONE;
	r->statement = t->statement_no;
	r->entry = t->entry_no;
	r->tx = t->tx_no;
	r->line = t->line;
	r->value_day = t->value_day;
	memcpy(r->currency, t->currency, 4);
	snprintf(r->bank_reference, sizeof r->bank_reference, "%s",
		 t->entry_ref[0] ? t->entry_ref : t->tx_ref);
	r->outcome = CORRIDOR_CAMT_UNMATCHED;
	if (!t->booked) {
		r->outcome = CORRIDOR_CAMT_NOT_BOOKED;
		*why = WHY_NOT_BOOKED;
		return CORRIDOR_OK;
	}
	if (corridor_currency_get(m->kv, t->currency, &dec, NULL) != 0) {
		*why = WHY_CURRENCY;
		return CORRIDOR_OK;
	}
	if (corridor_decimal_parse(t->amount, strlen(t->amount), dec, 1, INT64_MAX,
				   &r->amount_minor) != 0)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "line %u: amount '%.39s' is not a positive %s amount with "
					 "at most %u decimals",
					 t->line, t->amount, t->currency, dec);
	const char *cp = iban_party(m->ibans, t->counterparty_iban);
	if (!cp) {
		*why = t->counterparty_iban[0] ? WHY_IBAN_UNKNOWN : WHY_NO_IBAN;
		return CORRIDOR_OK;
	}
	bool owner_pays = t->credit == t->reversal; /* a debit, or the reversal of a credit-to-them */
	snprintf(r->payer, sizeof r->payer, "%.32s", owner_pays ? m->owner : cp);
	snprintf(r->payee, sizeof r->payee, "%.32s", owner_pays ? cp : m->owner);
	if (owner_pays && !(m->owner_roles & CORRIDOR_ROLE_SETTLEMENT)) {
		*why = WHY_PAYEE_RECORDS;
		return CORRIDOR_OK;
	}
	if (!camt_identity(t, cd->idem)) {
		r->outcome = CORRIDOR_CAMT_NO_REFERENCE;
		*why = WHY_NO_REFERENCE;
		return CORRIDOR_OK;
	}
	const char *const refs[3] = { t->creditor_ref, t->end_to_end, t->remittance };
	*why = t->reversal ? camt_reversal(m, at, refs) : camt_payment(m, t, cd, refs);
	return CORRIDOR_OK;
}

/* The words for a decision (the `why` of a result). */
static void camt_wording(const struct corridor_camt_tx *t, enum camt_why why,
			 struct corridor_camt_result *r)
{
	switch (why) {
	case WHY_NONE:
		break;
	case WHY_NOT_BOOKED:
		snprintf(r->why, sizeof r->why, "status is not BOOK");
		break;
	case WHY_CURRENCY:
		snprintf(r->why, sizeof r->why, "currency %s is not defined", t->currency);
		break;
	case WHY_NO_IBAN:
		snprintf(r->why, sizeof r->why, "no counterparty IBAN in the statement");
		break;
	case WHY_IBAN_UNKNOWN:
		snprintf(r->why, sizeof r->why, "counterparty IBAN %.34s%s%.40s%s is not registered",
			 t->counterparty_iban, t->counterparty_name[0] ? " (" : "",
			 t->counterparty_name, t->counterparty_name[0] ? ")" : "");
		break;
	case WHY_PAYEE_RECORDS:
		snprintf(r->why, sizeof r->why, "%.32s paying %.32s: recorded by its payee", r->payer,
			 r->payee);
		break;
	case WHY_NO_REFERENCE:
		snprintf(r->why, sizeof r->why,
			 "no bank reference (AcctSvcrRef): not imported; record it with "
			 "`payment record`");
		break;
	case WHY_NOTHING_TO_REVERSE:
		snprintf(r->why, sizeof r->why, "a reversal, but no standing payment of %s to %s "
						"of that amount",
			 r->payer, r->payee);
		break;
	case WHY_UNAPPLIED:
		snprintf(r->why, sizeof r->why, "no invoice matches: an unapplied credit of %s",
			 r->payer);
		break;
	}
}

/* The write: one transaction; a reversal of a payment recorded by the same
 * statement names the seq that payment got a moment before. Re-runnable. */
struct camt_write {
	const struct corridor_signer *signer;
	struct draft *drafts;
	size_t nd, appended;
	uint64_t *seqs;
	struct camt_draft *cds;
	const size_t *cd_of, *draft_of;
};

static int camt_write_fn(struct corridor_ledger *l, MDB_txn *txn, void *vctx,
			 struct corridor_diag *diag)
{
	struct camt_write *c = vctx;
	c->appended = 0;
	for (size_t k = 0; k < c->nd; k++) {
		struct camt_draft *cd = &c->cds[c->cd_of[k]];
		size_t app = 0;
		if (cd->target >= 0) {
			cd->body_len = corridor_payment_reverse_body(c->seqs[c->draft_of[cd->target]],
						    CAMT_REVERSAL_REASON, cd->body,
						    sizeof cd->body);
			CORRIDOR_ASSERT(cd->body_len > 0);
			c->drafts[k].body_len = cd->body_len;
		}
		int err = corridor_append_txn(l, txn, c->signer, &c->drafts[k], 1, false,
					      &c->seqs[k], &app, diag);
		if (err)
			return err;
		c->appended += app;
	}
	return CORRIDOR_OK;
}

/* What the ledger holds for the bank transaction written at seq `at`: the
 * bank's facts (amount, currency, parties; the value date of a payment). */
static int camt_recorded(struct corridor_kv *kv, struct corridor_ledger *l, MDB_txn *txn,
			 uint64_t at, struct corridor_camt_result *was, struct corridor_diag *diag)
{
	struct corridor_entry e;
	struct corridor_payment p;
	uint64_t target = at;
	memset(was, 0, sizeof *was);
	if (corridor_entry_in(l, txn, at, &e, NULL, NULL) != 0)
		return corridor_diag_set(diag, CORRIDOR_E_STORAGE,
					 "the idempotency index names a missing entry %llu",
					 (unsigned long long)at);
	was->reverses = 0;
	if (strcmp(e.kind, "payment.reverse") == 0) {
		const uint8_t *pv;
		size_t plen;
		if ((pv = corridor_map_find(e.body, e.body_len, "payment", &plen)) == NULL ||
		    corridor_mp_uint(pv, plen, &target) != 0)
			return corridor_diag_set(diag, CORRIDOR_E_STORAGE, "entry %llu does not decode",
						 (unsigned long long)at);
		was->reverses = target;
		was->outcome = CORRIDOR_CAMT_REVERSED;
	} else {
		was->outcome = CORRIDOR_CAMT_APPLIED;
	}
	if (corridor_payment_rec_get(kv, target, &p) != 0)
		return corridor_diag_set(diag, CORRIDOR_E_STORAGE, "payment %llu is not in the index",
					 (unsigned long long)target);
	was->amount_minor = p.amount_minor;
	was->value_day = was->reverses ? INT32_MIN : p.value_day;
	memcpy(was->currency, p.currency, sizeof was->currency);
	memcpy(was->payer, p.payer, sizeof was->payer);
	memcpy(was->payee, p.payee, sizeof was->payee);
	return CORRIDOR_OK;
}

/* The same bank facts: amount, currency, parties and (a payment's) value date. */
static bool camt_same(const struct corridor_camt_result *was, const struct corridor_camt_result *r)
{
	return was->amount_minor == r->amount_minor && !strcmp(was->currency, r->currency) &&
	       !strcmp(was->payer, r->payer) && !strcmp(was->payee, r->payee) &&
	       (was->value_day == INT32_MIN || was->value_day == r->value_day);
}

/* "CNY 100.00 from A to B on 2026-02-15" in out (48 bytes). */
static void camt_describe(struct corridor_kv *kv, const struct corridor_camt_result *r, char *out)
{
	unsigned dec = 2;
	char amt[32], date[11];
	if (corridor_currency_get(kv, r->currency, &dec, NULL) != 0)
		dec = 2;
	corridor_money_format(r->amount_minor, dec, amt, sizeof amt);
	corridor_date_format(r->value_day, date);
	if (r->value_day == INT32_MIN)
		snprintf(out, 48, "%.3s %.24s", r->currency, amt);
	else
		snprintf(out, 48, "%.3s %.24s on %.10s", r->currency, amt, date);
}

int corridor_payment_import(struct corridor_ledger *l, const struct corridor_signer *signer,
			    const char *xml, size_t len, corridor_camt_fn fn, void *ctx,
			    size_t *written, struct corridor_diag *diag)
{
	struct corridor_camt_tx *txs = NULL;
	struct camt_draft *cds = NULL;
	struct corridor_party *owner = NULL;
	struct iban_map ibans = { 0 };
	struct corridor_invoice_report rep = { 0 };
	struct corridor_payment_rows pays = { 0 };
	struct draft *drafts = NULL;
	uint64_t *seqs = NULL;
	size_t n = 0, nd = 0, *draft_of = NULL, *cd_of = NULL;
	*written = 0;
	int err = corridor_camt053_parse(xml, len, &txs, &n, diag);
	if (err)
		return err;
	const char *who = corridor_signer_vkey(signer)->name;
	owner = malloc(sizeof *owner);
	cds = calloc(n ? n : 1, sizeof *cds);
	drafts = calloc(n ? n : 1, sizeof *drafts);
	seqs = calloc(n ? n : 1, sizeof *seqs);
	draft_of = calloc(n ? n : 1, sizeof *draft_of);
	cd_of = calloc(n ? n : 1, sizeof *cd_of);
	if (!owner || !cds || !drafts || !seqs || !draft_of || !cd_of) {
		err = corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
		goto out;
	}
	if ((err = corridor_party_get(l, who, owner, diag)) != 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		bool mine = false;
		for (size_t k = 0; k < owner->iban_count; k++)
			mine |= strcmp(owner->ibans[k], txs[i].account_iban) == 0;
		if (!mine) {
			err = corridor_diag_set(diag, CORRIDOR_E_REFUSED,
						"statement %u is of account %s, not an account "
						"registered to %s; nothing was written",
						txs[i].statement_no, txs[i].account_iban, who);
			goto out;
		}
	}
	if ((err = corridor_party_list(l, iban_collect, &ibans, diag)) != 0 ||
	    (err = corridor_report_invoices(l, NULL, INT32_MAX, &rep, diag)) != 0 ||
	    (err = corridor_payment_list(l, NULL, plist_keep, &pays, diag)) != 0)
		goto out;
	/* What each transaction becomes, then the dry run: imported before? else
	 * the same checks an append makes. */
	struct corridor_dry_run dr;
	if ((err = corridor_dry_run_begin(l, &dr, diag)) != 0)
		goto out;
	const struct camt_match match = { .owner = who, .owner_roles = owner->roles,
					  .ibans = &ibans, .rep = &rep, .pays = &pays,
					  .kv = &dr.ov.base, .cds = cds };
	for (size_t i = 0; i < n && !err; i++) {
		enum camt_why why;
		if ((err = camt_decide(&match, &txs[i], i, &why, diag)) == 0)
			camt_wording(&txs[i], why, &cds[i].r);
	}
	for (size_t i = 0; i < n && !err; i++) {
		struct camt_draft *cd = &cds[i];
		const char *key = cd->idem;
		size_t klen = strlen(key);
		if (!cd->write)
			continue;
		if (cd->target >= 0) {
			struct camt_draft *tg = &cds[cd->target];
			if (!tg->write) { /* the payment was imported before: so was this */
				cd->target = -1;
				cd->r.reverses = tg->r.seq;
				cd->body_len = corridor_payment_reverse_body(tg->r.seq, CAMT_REVERSAL_REASON,
							    cd->body, sizeof cd->body);
			} else {
				cd->body_len = corridor_payment_reverse_body(dr.head.size + (uint64_t)draft_of[cd->target],
							    CAMT_REVERSAL_REASON, cd->body,
							    sizeof cd->body);
			}
		}
		CORRIDOR_ASSERT(cd->body_len > 0);
		CORRIDOR_ASSERT(klen > 0); /* every imported transaction has its identity */
		/* Imported before, or earlier in this statement: under either kind */
		const char *kinds[2] = { cd->kind, !strcmp(cd->kind, "payment.record")
							   ? "payment.reverse" : "payment.record" };
		bool seen = false;
		for (int kk = 0; kk < 2 && !seen && !err; kk++) {
			uint64_t at;
			if (corridor_idem_lookup(&dr.ov.base, who, kinds[kk], key, klen, &at) != 0)
				continue;
			seen = true;
			struct corridor_camt_result was;
			if (at >= dr.head.size) {
				CORRIDOR_ASSERT(at - dr.head.size < nd);
				was = cds[cd_of[at - dr.head.size]].r;
				err = corridor_diag_set(diag, CORRIDOR_E_REFUSED,
							"line %u: bank reference %s/%u is given twice in "
							"this statement (line %u): nothing was written",
							cd->r.line, cd->r.bank_reference, cd->r.tx, was.line);
				break;
			}
			if ((err = camt_recorded(&dr.ov.base, l, dr.txn, at, &was, diag)) != 0)
				break;
			if (kk != 0 || !camt_same(&was, &cd->r)) {
				char a[48], b[48];
				camt_describe(&dr.ov.base, &was, a);
				camt_describe(&dr.ov.base, &cd->r, b);
				err = corridor_diag_set(diag, CORRIDOR_E_REFUSED,
							"line %u: bank reference %s/%u was imported at seq "
							"%llu with other values (%s%s; this statement: "
							"%s %s): nothing was written",
							cd->r.line, cd->r.bank_reference, cd->r.tx,
							(unsigned long long)at,
							kk ? (was.reverses ? "a reversal, " : "a payment, ")
							   : "",
							a, cd->kind + 8, b);
				break;
			}
			cd->write = false;
			cd->r.outcome = CORRIDOR_CAMT_ALREADY;
			cd->r.seq = at;
			snprintf(cd->r.why, sizeof cd->r.why, "imported before, at seq %llu",
				 (unsigned long long)cd->r.seq);
		}
		if (seen || err)
			continue;
		draft_of[i] = nd;
		cd_of[nd] = i;
		drafts[nd] = (struct draft){ .kind = cd->kind, .body = cd->body, .body_len = cd->body_len,
					     .idem = cd->idem };
		struct corridor_diag rd;
		corridor_diag_init(&rd);
		err = corridor_draft_process(&dr.st, corridor_signer_vkey(signer), &drafts[nd],
					     dr.head.size + nd, dr.head.time_us, dr.head.tip, &rd);
		if (err)
			corridor_diag_set(diag, err, "line %u: %s", cd->r.line, rd.text);
		nd++;
	}
	corridor_dry_run_end(&dr);
	if (err)
		goto out;
	if (nd) {
		struct camt_write cw = { .signer = signer, .drafts = drafts, .nd = nd, .seqs = seqs,
					 .cds = cds, .cd_of = cd_of, .draft_of = draft_of };
		if ((err = corridor_ledger_write(l, camt_write_fn, &cw, diag)) != 0)
			goto out;
		*written = cw.appended;
	}
	for (size_t i = 0, k = 0; i < n && !err; i++) {
		if (cds[i].write)
			cds[i].r.seq = seqs[k++];
		if (cds[i].write && cds[i].target >= 0)
			cds[i].r.reverses = seqs[draft_of[cds[i].target]];
		if (fn)
			err = fn(ctx, &cds[i].r);
	}
out:
	free(txs);
	free(cds);
	free(owner);
	free(ibans.iban);
	free(ibans.party);
	free(pays.p);
	free(drafts);
	free(seqs);
	free(draft_of);
	free(cd_of);
	corridor_invoice_report_release(&rep);
	return err;
}
