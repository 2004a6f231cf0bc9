/*
 * payments.c — the payment service: payment.record and payment.reverse drafts
 * (their bodies, the payment's natural identity as its idempotency key) and
 * the payment list. The reports are receivables.c, bank statements camt.c;
 * the kinds core/kinds/payments.c.
 */
#include <msgpack.h>
#include <sodium.h>

#include "services.h"


/* ---- API ---- */

size_t corridor_payment_body(const struct corridor_payment *p, uint8_t *buf, size_t cap)
{
	struct corridor_mpbuf w;
	msgpack_packer pk;
	char date[11];
	corridor_date_format(p->value_day, date);
	corridor_mpbuf_init(&w, &pk, buf, cap);
	msgpack_pack_map(&pk, 6);
	corridor_mp_pack_str(&pk, "amount", 6);
	msgpack_pack_int64(&pk, p->amount_minor);
	corridor_mp_pack_str(&pk, "currency", 8);
	corridor_mp_pack_str(&pk, p->currency, strlen(p->currency));
	corridor_mp_pack_str(&pk, "payee", 5);
	corridor_mp_pack_str(&pk, p->payee, strlen(p->payee));
	corridor_mp_pack_str(&pk, "payer", 5);
	corridor_mp_pack_str(&pk, p->payer, strlen(p->payer));
	corridor_mp_pack_str(&pk, "reference", 9);
	corridor_mp_pack_str(&pk, p->reference, strlen(p->reference));
	corridor_mp_pack_str(&pk, "value_date", 10);
	corridor_mp_pack_str(&pk, date, 10);
	return w.overflow ? 0 : w.len;
}

size_t corridor_payment_reverse_body(uint64_t payment, const char *reason, uint8_t *buf, size_t cap)
{
	struct corridor_mpbuf w;
	msgpack_packer pk;
	corridor_mpbuf_init(&w, &pk, buf, cap);
	msgpack_pack_map(&pk, 2);
	corridor_mp_pack_str(&pk, "payment", 7);
	msgpack_pack_uint64(&pk, payment);
	corridor_mp_pack_str(&pk, "reason", 6);
	corridor_mp_pack_str(&pk, reason, strlen(reason));
	return w.overflow ? 0 : w.len;
}


/* A payment's natural identity, as an idempotency key: payer, payee,
 * currency, amount, value date and reference (SETTLEMENT.md "Payments"),
 * hashed to fit; `occurrence` > 1 names the occurrence-th payment of that
 * identity ("#2", ...). */
#define PAYMENT_OCCURRENCES_MAX 1000u
static void payment_identity(const struct corridor_payment *p, unsigned occurrence,
			     char out[CORRIDOR_IDEM_BYTES_MAX + 1])
{
	crypto_hash_sha256_state hs;
	uint8_t h[CORRIDOR_HASH_BYTES], amt[8];
	char hex[2 * 16 + 1], date[11];
	corridor_date_format(p->value_day, date);
	corridor_be64_put(amt, (uint64_t)p->amount_minor);
	crypto_hash_sha256_init(&hs);
	const char *parts[5] = { p->payer, p->payee, p->currency, date, p->reference };
	for (int i = 0; i < 5; i++)
		crypto_hash_sha256_update(&hs, (const uint8_t *)parts[i], strlen(parts[i]) + 1);
	crypto_hash_sha256_update(&hs, amt, sizeof amt);
	crypto_hash_sha256_final(&hs, h);
	corridor_hex(h, 16, hex);
	if (occurrence > 1)
		snprintf(out, CORRIDOR_IDEM_BYTES_MAX + 1, "payment/%s#%u", hex, occurrence);
	else
		snprintf(out, CORRIDOR_IDEM_BYTES_MAX + 1, "payment/%s", hex);
}

/* The seq a key of `author` for payment.record names, or 0. */
struct idem_ctx {
	const char *author, *key;
	uint64_t seq;
};

static int idem_seq_fn(const struct corridor_snapshot *snap, void *vctx, struct corridor_diag *diag)
{
	struct idem_ctx *c = vctx;
	(void)diag;
	if (corridor_idem_lookup(snap->kv, c->author, "payment.record", c->key, strlen(c->key),
				 &c->seq) != 0)
		c->seq = 0;
	return CORRIDOR_OK;
}

static uint64_t idem_seq(struct corridor_ledger *l, const char *author, const char *key)
{
	struct idem_ctx c = { .author = author, .key = key };
	return corridor_ledger_read(l, idem_seq_fn, &c, NULL) == 0 ? c.seq : 0;
}

static int payment_retried(uint64_t at, struct corridor_diag *diag)
{
	return corridor_diag_set(diag, CORRIDOR_E_REFUSED,
				 "a payment of the same payer, payee, currency, amount, value date "
				 "and reference was recorded at seq %llu: nothing was written (a "
				 "retry?); if it is another payment, say so with --new",
				 (unsigned long long)at);
}

/* The same, on a remote ledger: the server's idempotency answers whether
 * occurrence k of this identity is recorded (a duplicate: nothing written). */
static int payment_write_remote(struct corridor_ledger *l, const struct corridor_signer *s,
				const uint8_t *body, size_t len, const struct corridor_payment *p,
				bool again, uint64_t *seq, struct corridor_diag *diag)
{
	char natural[CORRIDOR_IDEM_BYTES_MAX + 1];
	for (unsigned k = 1; k <= PAYMENT_OCCURRENCES_MAX; k++) {
		struct draft d = { .kind = "payment.record", .body = body, .body_len = len,
				   .idem = natural };
		uint64_t at = 0;
		size_t appended = 0;
		payment_identity(p, k, natural);
		int err = corridor_append(l, s, &d, 1, &at, &appended, diag);
		if (err || appended == 1) {
			if (!err && seq)
				*seq = at;
			return err;
		}
		if (!again)
			return payment_retried(at, diag);
	}
	return corridor_diag_set(diag, CORRIDOR_E_LIMIT, "more than %u payments of one identity",
				 PAYMENT_OCCURRENCES_MAX);
}

static int payment_write(struct corridor_ledger *l, const struct corridor_signer *s,
			 const struct corridor_payment *p, const char *idem, bool again,
			 uint64_t *seq, struct corridor_diag *diag)
{
	uint8_t buf[PAYMENT_BODY_BYTES_MAX];
	char natural[CORRIDOR_IDEM_BYTES_MAX + 1];
	if (p->amount_minor <= 0)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "--amount must be positive");
	if (!corridor_currency_code_ok(p->currency))
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "--currency: an ISO 4217 code");
	if (!p->payer[0] || !p->payee[0])
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "--payer and --payee are needed");
	if (!corridor_reference_ok(p->reference))
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "--reference: 1-%u bytes of printable UTF-8",
					 CORRIDOR_REFERENCE_BYTES_MAX);
	if (idem && corridor_idem_check(idem, strlen(idem), diag))
		return CORRIDOR_E_INVALID;
	size_t n = corridor_payment_body(p, buf, sizeof buf);
	CORRIDOR_ASSERT(n > 0);
	if (!idem && corridor_ledger_is_remote(l))
		return payment_write_remote(l, s, buf, n, p, again, seq, diag);
	if (!idem) {
		/* no key given: the payment's identity is its key; the same payment
		 * twice is a retry, refused unless the caller says it is another */
		const char *who = corridor_signer_vkey(s)->name;
		uint64_t at = 0;
		unsigned k = 1;
		payment_identity(p, k, natural);
		if ((at = idem_seq(l, who, natural)) != 0 && !again)
			return payment_retried(at, diag);
		while (at != 0 && ++k <= PAYMENT_OCCURRENCES_MAX) {
			payment_identity(p, k, natural);
			at = idem_seq(l, who, natural);
		}
		if (at != 0)
			return corridor_diag_set(diag, CORRIDOR_E_LIMIT,
						 "more than %u payments of one identity",
						 PAYMENT_OCCURRENCES_MAX);
		idem = natural;
	}
	return corridor_append_one(l, s, "payment.record", buf, n, idem, seq, diag);
}

int corridor_payment_record(struct corridor_ledger *l, const struct corridor_signer *s,
			    const struct corridor_payment *p, const char *idem, uint64_t *seq,
			    struct corridor_diag *diag)
{
	return payment_write(l, s, p, idem, false, seq, diag);
}

int corridor_payment_record_another(struct corridor_ledger *l, const struct corridor_signer *s,
				    const struct corridor_payment *p, uint64_t *seq,
				    struct corridor_diag *diag)
{
	return payment_write(l, s, p, NULL, true, seq, diag);
}

int corridor_payment_reverse(struct corridor_ledger *l, const struct corridor_signer *s,
			     uint64_t payment, const char *reason, const char *idem, uint64_t *seq,
			     struct corridor_diag *diag)
{
	uint8_t buf[PAYMENT_BODY_BYTES_MAX];
	if (!reason || !reason[0] || strlen(reason) > CORRIDOR_REASON_BYTES_MAX)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "--reason: 1-%u bytes",
					 CORRIDOR_REASON_BYTES_MAX);
	if (idem && corridor_idem_check(idem, strlen(idem), diag))
		return CORRIDOR_E_INVALID;
	size_t n = corridor_payment_reverse_body(payment, reason, buf, sizeof buf);
	CORRIDOR_ASSERT(n > 0);
	return corridor_append_one(l, s, "payment.reverse", buf, n, idem, seq, diag);
}

struct payment_list_args {
	const char *party;
	corridor_payment_fn fn;
	void *ctx;
};

static int payment_list_fn(const struct corridor_snapshot *snap, void *vctx,
			struct corridor_diag *diag)
{
	struct payment_list_args *args = vctx;
	const char *party = args->party;
	corridor_payment_fn fn = args->fn;
	void *ctx = args->ctx;
	struct corridor_payment_rows pl = { 0 };
	int err;
	err = corridor_payments_all(snap->kv, &pl);
	if (err) {
		free(pl.p);
		return corridor_diag_set(diag, err, "cannot read the payments");
	}
	for (size_t i = 0; !err && i < pl.n; i++)
		if (!party || !strcmp(party, pl.p[i].payer) || !strcmp(party, pl.p[i].payee))
			err = fn(ctx, &pl.p[i]);
	free(pl.p);
	return err;
}

int corridor_payment_list(struct corridor_ledger *l, const char *party, corridor_payment_fn fn,
			  void *ctx, struct corridor_diag *diag)
{
	struct payment_list_args args = { .party = party, .fn = fn, .ctx = ctx };
	return corridor_ledger_read(l, payment_list_fn, &args, diag);
}
