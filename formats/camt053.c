/*
 * camt053.c — ISO 20022 bank-to-customer statements (camt.053.001.02 and
 * later) read with libxml2 into one record per booked transaction.
 *
 * What is read (element paths under Document/BkToCstmrStmt/Stmt):
 *   Acct/Id/IBAN                       the statement's account
 *   Ntry/Amt[@Ccy], Ntry/CdtDbtInd     the entry's amount and direction
 *   Ntry/RvslInd                       true: the entry reverses an earlier one
 *   Ntry/Sts                           BOOK (.02-.07: text; .08+: Sts/Cd)
 *   Ntry/ValDt/Dt | ValDt/DtTm         the value date
 *   Ntry/AcctSvcrRef | Ntry/NtryRef    the bank's reference of the entry
 *   Ntry/NtryDtls/TxDtls               one transaction each (a batch booking
 *                                      has several); none: the entry is one
 *     Refs/EndToEndId, AmtDtls/TxAmt/Amt (.02) or Amt (.04+),
 *     RltdPties/{Dbtr,Cdtr}/Nm (.02-.07) or {Dbtr,Cdtr}/Pty/Nm (.08+),
 *     RltdPties/{DbtrAcct,CdtrAcct}/Id/IBAN,
 *     RmtInf/Strd/CdtrRefInf/Ref, RmtInf/Ustrd (the first)
 *     Refs/AcctSvcrRef                   the bank's reference of the transaction
 * A bank statement has no business carrying a DTD: a document with a
 * DOCTYPE is refused before libxml2 reads a byte of it, so no entity can be
 * declared, and a reference to an undeclared one is not well-formed. libxml2
 * runs without network access. An allocation failure anywhere is an error
 * (CORRIDOR_E_NOMEM), never an absent field. Anything else is ignored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xml.h"

#define CAMT_NS_PREFIX "urn:iso:std:iso:20022:tech:xsd:camt.053.001."

struct camt_ctx {
	const xmlChar *ns;
	bool nomem; /* an allocation failed while reading a field */
	struct corridor_camt_tx *tx;
	size_t n, cap;
	struct corridor_diag *diag;
};

static xmlNode *child(const xmlNode *n, const char *name, const xmlChar *ns)
{
	return corridor_xml_child(n, name, ns);
}

static xmlNode *next_named(xmlNode *n, const char *name, const xmlChar *ns)
{
	return corridor_xml_next(n, name, ns);
}

static xmlNode *path(const xmlNode *n, const char *p, const xmlChar *ns)
{
	return corridor_xml_path(n, p, ns);
}

/* The element's text, whitespace-trimmed, into out (false if absent or too
 * long). A failed allocation marks the context: the caller fails the read. */
static bool text(struct camt_ctx *c, const xmlNode *n, char *out, size_t cap)
{
	return corridor_xml_text(n, out, cap, &c->nomem);
}

/* The Ccy attribute of an amount element (3 letters) into out[4]. */
static bool ccy_of(struct camt_ctx *c, const xmlNode *amt, char out[4])
{
	return corridor_xml_attr(amt, "Ccy", out, 4, &c->nomem) && strlen(out) == 3;
}

static bool date_of(struct camt_ctx *c, const xmlNode *dt, int32_t *day)
{
	char s[40];
	const xmlNode *d = child(dt, "Dt", c->ns);
	if (!d)
		d = child(dt, "DtTm", c->ns);
	return d && text(c, d, s, sizeof s) && strlen(s) >= 10 &&
	       corridor_date_parse(s, 10, day) == 0;
}

static int fail(struct camt_ctx *c, const xmlNode *n, const char *what)
{
	if (c->nomem)
		return corridor_diag_set(c->diag, CORRIDOR_E_NOMEM, "out of memory reading the statement");
	return corridor_diag_set(c->diag, CORRIDOR_E_INVALID, "line %ld: %s", n ? xmlGetLineNo(n) : 0L,
				 what);
}

static int push(struct camt_ctx *c, const struct corridor_camt_tx *t)
{
	if (c->n >= CORRIDOR_CAMT_TX_MAX)
		return corridor_diag_set(c->diag, CORRIDOR_E_LIMIT, "more than %u transactions",
					 CORRIDOR_CAMT_TX_MAX);
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 64;
		void *n = realloc(c->tx, cap * sizeof *c->tx);
		if (!n)
			return corridor_diag_set(c->diag, CORRIDOR_E_NOMEM, "out of memory");
		c->tx = n;
		c->cap = cap;
	}
	c->tx[c->n++] = *t;
	return CORRIDOR_OK;
}

/* The transaction's own fields (TxDtls), over the entry's defaults in *t. */
static int read_tx(struct camt_ctx *c, const xmlNode *tx, struct corridor_camt_tx *t)
{
	const xmlChar *ns = c->ns;
	const xmlNode *amt = child(tx, "Amt", ns);
	if (!amt)
		amt = path(tx, "AmtDtls/TxAmt/Amt", ns);
	if (amt && !(ccy_of(c, amt, t->currency) && text(c, amt, t->amount, sizeof t->amount)))
		return fail(c, amt, "a transaction amount needs Ccy and a decimal");
	char ind[8];
	if (text(c, child(tx, "CdtDbtInd", ns), ind, sizeof ind))
		t->credit = strcmp(ind, "CRDT") == 0;
	text(c, path(tx, "Refs/AcctSvcrRef", ns), t->tx_ref, sizeof t->tx_ref);
	text(c, path(tx, "Refs/EndToEndId", ns), t->end_to_end, sizeof t->end_to_end);
	if (strcmp(t->end_to_end, "NOTPROVIDED") == 0)
		t->end_to_end[0] = '\0';
	text(c, path(tx, "RmtInf/Strd/CdtrRefInf/Ref", ns), t->creditor_ref, sizeof t->creditor_ref);
	text(c, path(tx, "RmtInf/Ustrd", ns), t->remittance, sizeof t->remittance);
	const xmlNode *rp = child(tx, "RltdPties", ns);
	/* the counterparty: the debtor of a credit, the creditor of a debit; a
	 * reversal undoes the other direction (its parties repeat the original's).
	 * A bank that fills only the other side is read from that side. */
	const char *sides[2] = { "Dbtr", "Cdtr" };
	int first = t->credit != t->reversal ? 0 : 1;
	for (int k = 0; k < 2 && !t->counterparty_iban[0]; k++) {
		const char *who = sides[(first + k) % 2];
		char acct[24];
		snprintf(acct, sizeof acct, "%sAcct/Id/IBAN", who);
		if (!text(c, path(rp, acct, ns), t->counterparty_iban, sizeof t->counterparty_iban))
			continue;
		const xmlNode *party = child(rp, who, ns);
		if (!text(c, child(party, "Nm", ns), t->counterparty_name, sizeof t->counterparty_name))
			text(c, path(party, "Pty/Nm", ns), t->counterparty_name,
			     sizeof t->counterparty_name);
	}
	return c->nomem ? fail(c, tx, "") : CORRIDOR_OK;
}

static int read_entry(struct camt_ctx *c, const xmlNode *ntry, const char *iban, unsigned stmt_no,
		      unsigned ntry_no)
{
	const xmlChar *ns = c->ns;
	struct corridor_camt_tx t;
	char ind[8], sts[8], rv[8];
	memset(&t, 0, sizeof t);
	snprintf(t.account_iban, sizeof t.account_iban, "%s", iban);
	t.statement_no = stmt_no;
	t.entry_no = ntry_no;
	t.line = (unsigned)xmlGetLineNo(ntry);
	const xmlNode *amt = child(ntry, "Amt", ns);
	if (!ccy_of(c, amt, t.currency) || !text(c, amt, t.amount, sizeof t.amount))
		return fail(c, ntry, "Ntry needs Amt with a Ccy attribute");
	if (!text(c, child(ntry, "CdtDbtInd", ns), ind, sizeof ind) ||
	    (strcmp(ind, "CRDT") != 0 && strcmp(ind, "DBIT") != 0))
		return fail(c, ntry, "Ntry needs CdtDbtInd CRDT or DBIT");
	t.credit = strcmp(ind, "CRDT") == 0;
	t.reversal = text(c, child(ntry, "RvslInd", ns), rv, sizeof rv) &&
		     (strcmp(rv, "true") == 0 || strcmp(rv, "1") == 0);
	const xmlNode *st = child(ntry, "Sts", ns);
	if (!text(c, child(st, "Cd", ns), sts, sizeof sts))
		text(c, st, sts, sizeof sts);
	t.booked = strcmp(sts, "BOOK") == 0;
	if (!date_of(c, child(ntry, "ValDt", ns), &t.value_day) &&
	    !date_of(c, child(ntry, "BookgDt", ns), &t.value_day))
		return fail(c, ntry, "Ntry needs ValDt (or BookgDt) with Dt or DtTm");
	/* the bank's own reference; NtryRef numbers entries within one
	 * statement only, so it is no identity (SETTLEMENT.md, "Bank statements") */
	text(c, child(ntry, "AcctSvcrRef", ns), t.entry_ref, sizeof t.entry_ref);
	if (c->nomem)
		return fail(c, ntry, "");
	bool entry_credit = t.credit;
	unsigned tx_no = 0;
	for (const xmlNode *dt = child(ntry, "NtryDtls", ns); dt; dt = next_named((xmlNode *)(uintptr_t)dt, "NtryDtls", ns))
		for (const xmlNode *tx = child(dt, "TxDtls", ns); tx;
		     tx = next_named((xmlNode *)(uintptr_t)tx, "TxDtls", ns)) {
			struct corridor_camt_tx one = t;
			one.credit = entry_credit;
			one.tx_no = ++tx_no;
			one.line = (unsigned)xmlGetLineNo(tx);
			int err = read_tx(c, tx, &one);
			if (!err)
				err = push(c, &one);
			if (err)
				return err;
		}
	return tx_no ? CORRIDOR_OK : push(c, &t);
}

int corridor_camt053_parse(const char *xml, size_t len, struct corridor_camt_tx **out,
			   size_t *count, struct corridor_diag *diag)
{
	struct camt_ctx c = { .diag = diag };
	*out = NULL;
	*count = 0;
	if (len > CORRIDOR_CAMT_BYTES_MAX)
		return corridor_diag_set(diag, CORRIDOR_E_LIMIT, "the statement is larger than %u bytes",
					 CORRIDOR_CAMT_BYTES_MAX);
	xmlDoc *doc;
	int err = corridor_xml_read(xml, len, "a bank statement", &doc, diag);
	if (err)
		return err;
	xmlNode *root = xmlDocGetRootElement(doc);
	const char *href = root && root->ns ? (const char *)root->ns->href : "";
	const char *ver = strncmp(href, CAMT_NS_PREFIX, strlen(CAMT_NS_PREFIX)) == 0
				  ? href + strlen(CAMT_NS_PREFIX)
				  : NULL;
	if (!root || !xmlStrEqual(root->name, (const xmlChar *)"Document") || !ver ||
	    strlen(ver) != 2 || ver[0] < '0' || ver[0] > '9' || ver[1] < '0' || ver[1] > '9' ||
	    strcmp(ver, "02") < 0) {
		err = corridor_diag_set(diag, CORRIDOR_E_INVALID,
					"not a camt.053 statement: the root is <%s> in namespace "
					"'%.120s', not Document in %sNN (NN >= 02)",
					root ? (const char *)root->name : "", href, CAMT_NS_PREFIX);
		goto out_doc;
	}
	c.ns = root->ns->href;
	xmlNode *msg = child(root, "BkToCstmrStmt", c.ns);
	if (!msg) {
		err = fail(&c, root, "Document needs BkToCstmrStmt");
		goto out_doc;
	}
	unsigned stmt_no = 0;
	for (xmlNode *st = child(msg, "Stmt", c.ns); st && !err; st = next_named(st, "Stmt", c.ns)) {
		char iban[35];
		stmt_no++;
		if (!text(&c, path(st, "Acct/Id/IBAN", c.ns), iban, sizeof iban)) {
			err = fail(&c, st, "Stmt needs Acct/Id/IBAN");
			break;
		}
		unsigned ntry_no = 0;
		for (xmlNode *n = child(st, "Ntry", c.ns); n && !err; n = next_named(n, "Ntry", c.ns))
			err = read_entry(&c, n, iban, stmt_no, ++ntry_no);
	}
	if (!err && stmt_no == 0)
		err = fail(&c, msg, "BkToCstmrStmt has no Stmt");
out_doc:
	xmlFreeDoc(doc);
	if (err) {
		free(c.tx);
		return err;
	}
	*out = c.tx;
	*count = c.n;
	return CORRIDOR_OK;
}
