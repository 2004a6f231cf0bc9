/*
 * writes.c — the single-entry writes a party makes: memos, key lifecycle,
 * attestations. Each builds its canonical body here and appends it through the
 * one pipeline (append.c), where corridor_kind_process decides.
 */
#include <msgpack.h>

#include "log/log.h"

#define BODY_BYTES_MAX (CORRIDOR_MEMO_TEXT_BYTES_MAX + 1024u)

/* Checks the idempotency key the author gives (the statement carries it) and
 * starts a body. */
static int body_begin(struct corridor_mpbuf *w, msgpack_packer *pk, uint8_t *buf, size_t cap,
		      const char *idem, struct corridor_diag *diag)
{
	int err = idem ? corridor_idem_check(idem, strlen(idem), diag) : CORRIDOR_OK;
	if (!err)
		corridor_mpbuf_init(w, pk, buf, cap);
	return err;
}

static int check_text(const char *what, const char *s, size_t max, struct corridor_diag *diag)
{
	size_t n = s ? strlen(s) : 0;
	if (!s)
		return CORRIDOR_OK;
	if (n == 0 || n > max || !corridor_utf8_valid((const uint8_t *)s, n))
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "the %s must be 1-%zu bytes of UTF-8",
					 what, max);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20u || s[i] == 0x7f)
			return corridor_diag_set(diag, CORRIDOR_E_INVALID,
						 "the %s has a control character", what);
	return CORRIDOR_OK;
}

int corridor_memo_add(struct corridor_ledger *l, const struct corridor_signer *signer,
		      const char *text, size_t len, const char *idem, uint64_t *seq,
		      struct corridor_diag *diag)
{
	uint8_t *body = malloc(BODY_BYTES_MAX);
	int err = corridor_memo_check(text, len, diag);
	if (!err && idem)
		err = corridor_idem_check(idem, strlen(idem), diag);
	if (!body)
		err = corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	if (!err) {
		size_t n = corridor_body_memo(text, len, body, BODY_BYTES_MAX);
		CORRIDOR_ASSERT(n > 0);
		err = corridor_append_one(l, signer, "memo", body, n, idem, seq, diag);
	}
	free(body);
	return err;
}

int corridor_key_rotate(struct corridor_ledger *l, const struct corridor_signer *current,
			const uint8_t new_public_key[CORRIDOR_PUBLIC_KEY_BYTES], const char *idem,
			uint64_t *seq, struct corridor_diag *diag)
{
	uint8_t body[512];
	struct corridor_mpbuf w;
	msgpack_packer pk;
	int err = body_begin(&w, &pk, body, sizeof body, idem, diag);
	if (err)
		return err;
	msgpack_pack_map(&pk, 1);
	corridor_mp_pack_str(&pk, "key", 3);
	msgpack_pack_bin(&pk, 32);
	msgpack_pack_bin_body(&pk, new_public_key, 32);
	CORRIDOR_ASSERT(!w.overflow);
	return corridor_append_one(l, current, "key.rotate", body, w.len, idem, seq, diag);
}

int corridor_key_revoke(struct corridor_ledger *l, const struct corridor_signer *signer,
			const char *party, uint32_t key_id, const char *reason, const char *idem,
			uint64_t *seq, struct corridor_diag *diag)
{
	uint8_t body[2048];
	struct corridor_mpbuf w;
	msgpack_packer pk;
	int err = check_text("reason", reason, CORRIDOR_REASON_BYTES_MAX, diag);
	if (!err && !corridor_key_name_valid(party, strlen(party)))
		err = corridor_diag_set(diag, CORRIDOR_E_INVALID, "'%s' is not a party id", party);
	if (err || (err = body_begin(&w, &pk, body, sizeof body, idem, diag)) != 0)
		return err;
	msgpack_pack_map(&pk, 2u + (reason ? 1u : 0u));
	corridor_mp_pack_str(&pk, "key_id", 6);
	msgpack_pack_uint32(&pk, key_id);
	corridor_mp_pack_str(&pk, "party", 5);
	corridor_mp_pack_str(&pk, party, strlen(party));
	if (reason) {
		corridor_mp_pack_str(&pk, "reason", 6);
		corridor_mp_pack_str(&pk, reason, strlen(reason));
	}
	CORRIDOR_ASSERT(!w.overflow);
	return corridor_append_one(l, signer, "key.revoke", body, w.len, idem, seq, diag);
}

int corridor_key_add(struct corridor_ledger *l, const struct corridor_signer *op, const char *party,
		     const struct corridor_vkey *key, const char *idem, uint64_t *seq,
		     struct corridor_diag *diag)
{
	uint8_t body[1024];
	struct corridor_mpbuf w;
	msgpack_packer pk;
	if (strcmp(key->name, party) != 0 || key->sigtype != CORRIDOR_SIGTYPE_ED25519)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "the key is named '%s': a key for %s must be named %s",
					 key->name, party, party);
	int err = body_begin(&w, &pk, body, sizeof body, idem, diag);
	if (err)
		return err;
	msgpack_pack_map(&pk, 2);
	corridor_mp_pack_str(&pk, "key", 3);
	msgpack_pack_bin(&pk, 32);
	msgpack_pack_bin_body(&pk, key->public_key, 32);
	corridor_mp_pack_str(&pk, "party", 5);
	corridor_mp_pack_str(&pk, party, strlen(party));
	CORRIDOR_ASSERT(!w.overflow);
	return corridor_append_one(l, op, "key.add", body, w.len, idem, seq, diag);
}

int corridor_attest(struct corridor_ledger *l, const struct corridor_signer *signer, uint64_t target,
		    const uint8_t *hash, const char *note, const char *idem, uint64_t *seq,
		    struct corridor_diag *diag)
{
	uint8_t body[2048], actual[CORRIDOR_HASH_BYTES], *bytes;
	size_t len;
	struct corridor_entry e;
	struct corridor_mpbuf w;
	msgpack_packer pk;
	int err = check_text("note", note, CORRIDOR_REASON_BYTES_MAX, diag);
	if (err)
		return err;
	/* The hash the entry has now: what the attester countersigns (from a
	 * server: the entry as included in a checkpoint it verified). */
	struct corridor_diag rd;
	corridor_diag_init(&rd);
	err = corridor_ledger_entry_as(l, signer, target, &bytes, &len, &rd);
	if (err == CORRIDOR_E_NOTFOUND)
		return corridor_diag_set(diag, CORRIDOR_E_REFUSED, "there is no entry %llu to attest",
					 (unsigned long long)target);
	if (err)
		return corridor_diag_set(diag, err, "cannot read entry %llu: %s",
					 (unsigned long long)target,
					 rd.text[0] ? rd.text : corridor_strerror(err));
	err = corridor_entry_decode(bytes, len, &e, diag);
	if (!err)
		corridor_entry_content_hash(bytes, &e, actual);
	free(bytes);
	if (err)
		return err;
	if (hash && memcmp(hash, actual, CORRIDOR_HASH_BYTES) != 0)
		return corridor_diag_set(diag, CORRIDOR_E_REFUSED,
					 "entry %llu does not have the content hash given",
					 (unsigned long long)target);
	if ((err = body_begin(&w, &pk, body, sizeof body, idem, diag)) != 0)
		return err;
	msgpack_pack_map(&pk, 2u + (note ? 1u : 0u));
	corridor_mp_pack_str(&pk, "hash", 4);
	msgpack_pack_bin(&pk, 32);
	msgpack_pack_bin_body(&pk, actual, 32);
	if (note) {
		corridor_mp_pack_str(&pk, "note", 4);
		corridor_mp_pack_str(&pk, note, strlen(note));
	}
	corridor_mp_pack_str(&pk, "seq", 3);
	msgpack_pack_uint64(&pk, target);
	CORRIDOR_ASSERT(!w.overflow);
	return corridor_append_one(l, signer, "attest", body, w.len, idem, seq, diag);
}

int corridor_import_check(enum corridor_import_format format, const char *buf, size_t len,
			  struct corridor_diag *diag)
{
	struct corridor_rate *rates = NULL;
	struct corridor_camt_tx *txs = NULL;
	size_t n = 0;
	int err;
	switch (format) {
	case CORRIDOR_IMPORT_DELIVERIES:
		return corridor_deliveries_csv_check(buf, len, diag);
	case CORRIDOR_IMPORT_RATES:
		err = corridor_rates_csv_parse(buf, len, &rates, &n, diag);
		free(rates);
		return err;
	case CORRIDOR_IMPORT_STATEMENT:
		err = corridor_camt053_parse(buf, len, &txs, &n, diag);
		free(txs);
		return err;
	case CORRIDOR_IMPORT_MVD:
		return corridor_mvd_check(buf, len, diag);
	}
	return corridor_diag_set(diag, CORRIDOR_E_INVALID, "unknown import format");
}
