/*
 * statement.c — statements (docs/FORMAT.md "Statements"): what a party signs.
 *
 *   statement        = map { 0: version (1), 1: origin, 2: kind, 3: author,
 *                            4: key id, 5: idempotency key, 6: created,
 *                            7: expires, 8: body }          fixmap 9, 0x89
 *   signed statement = the same map with 9: signature       fixmap 10, 0x8a
 *   signature        = Ed25519("corridor/statement/v1\n" || statement)
 *   statement hash   = SHA-256(statement)
 *
 * The statement's bytes are the signed statement's after its header, under
 * the header of fixmap 9, up to the signature's key: as entries do it. A
 * statement nests at most CORRIDOR_ENTRY_DEPTH_MAX deep, its body one less:
 * as an entry and its body.
 */
#include <stdio.h>

#include <sodium.h>

#include "formats.h"

#define SIGNED_MAP_HEADER 0x8au

int corridor_statement_build(const struct corridor_vkey *vk, const char *origin, const char *kind,
			     const char *idem, uint64_t created_us, uint64_t expires_us,
			     const uint8_t *body, size_t body_len, uint8_t *out, size_t cap,
			     size_t *content_len, struct corridor_diag *diag)
{
	if (!corridor_key_name_valid(origin, strlen(origin)))
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "the origin is not a key name");
	if (!corridor_kind_name_ok(kind, strlen(kind)))
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "'%s' is not an entry kind", kind);
	size_t ilen = idem ? strlen(idem) : 0;
	if (ilen == 0 || ilen > CORRIDOR_IDEM_BYTES_MAX || !corridor_text_ok(idem, ilen, false))
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "a statement needs an idempotency key of 1-%u bytes of "
					 "printable UTF-8",
					 CORRIDOR_IDEM_BYTES_MAX);
	if (created_us >= expires_us)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "a statement expires after it is created");
	bool is_map = body_len > 0 && ((body[0] & 0xf0u) == 0x80u || body[0] == 0xdeu || body[0] == 0xdfu);
	if (!is_map ||
	    corridor_msgpack_check_canonical(body, body_len, CORRIDOR_ENTRY_DEPTH_MAX - 1u, NULL) != 0)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "the body is not one canonical msgpack map");
	struct corridor_mpbuf w;
	msgpack_packer pk;
	corridor_mpbuf_init(&w, &pk, out, cap);
	msgpack_pack_map(&pk, 10);
	msgpack_pack_uint8(&pk, 0);
	msgpack_pack_uint64(&pk, CORRIDOR_STATEMENT_VERSION);
	msgpack_pack_uint8(&pk, 1);
	corridor_mp_cstr(&pk, origin);
	msgpack_pack_uint8(&pk, 2);
	corridor_mp_cstr(&pk, kind);
	msgpack_pack_uint8(&pk, 3);
	corridor_mp_cstr(&pk, vk->name);
	msgpack_pack_uint8(&pk, 4);
	msgpack_pack_uint64(&pk, vk->key_id);
	msgpack_pack_uint8(&pk, 5);
	corridor_mp_pack_str(&pk, idem, ilen);
	msgpack_pack_uint8(&pk, 6);
	msgpack_pack_uint64(&pk, created_us);
	msgpack_pack_uint8(&pk, 7);
	msgpack_pack_uint64(&pk, expires_us);
	msgpack_pack_uint8(&pk, 8);
	corridor_mpbuf_write(&w, (const char *)body, body_len);
	if (w.overflow || w.len + CORRIDOR_STATEMENT_SIG_FIELD_BYTES > cap ||
	    w.len + CORRIDOR_STATEMENT_SIG_FIELD_BYTES > CORRIDOR_STATEMENT_BYTES_MAX)
		return corridor_diag_set(diag, CORRIDOR_E_LIMIT, "the statement is over %u bytes",
					 CORRIDOR_STATEMENT_BYTES_MAX);
	CORRIDOR_ASSERT(out[0] == SIGNED_MAP_HEADER);
	*content_len = w.len; /* with the fixmap 10 header, so far */
	return CORRIDOR_OK;
}

size_t corridor_statement_finish(const struct corridor_signer *signer, uint8_t *out,
				 size_t content_len, uint8_t *msg)
{
	/* sign the statement map: the same bytes under the fixmap 9 header */
	size_t plen = sizeof CORRIDOR_STATEMENT_SIG_PREFIX - 1;
	CORRIDOR_ASSERT(out[0] == SIGNED_MAP_HEADER && plen + content_len <= CORRIDOR_SIG_MSG_BYTES_MAX);
	memcpy(msg, CORRIDOR_STATEMENT_SIG_PREFIX, plen);
	msg[plen] = CORRIDOR_STATEMENT_MAP_HEADER;
	memcpy(msg + plen + 1, out + 1, content_len - 1);
	uint8_t sig[CORRIDOR_SIGNATURE_BYTES];
	corridor_signer_sign(signer, msg, plen + content_len, sig);
	out[content_len] = 0x09u;
	out[content_len + 1] = 0xc4u; /* bin8 */
	out[content_len + 2] = CORRIDOR_SIGNATURE_BYTES;
	memcpy(out + content_len + 3, sig, CORRIDOR_SIGNATURE_BYTES);
	return content_len + CORRIDOR_STATEMENT_SIG_FIELD_BYTES;
}

int corridor_statement_sign(const struct corridor_signer *signer, const char *origin,
			    const char *kind, const char *idem, uint64_t created_us,
			    uint64_t expires_us, const uint8_t *body, size_t body_len, uint8_t *out,
			    size_t cap, size_t *out_len, struct corridor_diag *diag)
{
	size_t content_len;
	int err = corridor_statement_build(corridor_signer_vkey(signer), origin, kind, idem,
					   created_us, expires_us, body, body_len, out, cap,
					   &content_len, diag);
	if (err)
		return err;
	uint8_t *msg = malloc(CORRIDOR_SIG_MSG_BYTES_MAX);
	if (!msg)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	*out_len = corridor_statement_finish(signer, out, content_len, msg);
	free(msg);
	return CORRIDOR_OK;
}

int corridor_statement_decode(const uint8_t *buf, size_t len, struct corridor_statement *out,
			      struct corridor_diag *diag)
{
	struct corridor_mpscan scan;
	msgpack_unpacked u;
	memset(out, 0, sizeof *out);
	if (len > CORRIDOR_STATEMENT_BYTES_MAX)
		return corridor_diag_set(diag, CORRIDOR_E_LIMIT, "statement is %zu bytes, more than %u",
					 len, CORRIDOR_STATEMENT_BYTES_MAX);
	int err = corridor_mp_decode_canonical(buf, len, CORRIDOR_ENTRY_DEPTH_MAX, &scan, &u, diag);
	if (err)
		return err;
	const msgpack_object *o = &u.data;
	if (o->type != MSGPACK_OBJECT_MAP || o->via.map.size != 10 || scan.children != 20) {
		err = corridor_diag_set(diag, CORRIDOR_E_MALFORMED,
					"a statement is a map of its 10 fields");
		goto out_destroy;
	}
	const msgpack_object_kv *kv = o->via.map.ptr;
	for (uint32_t i = 0; i < 10; i++)
		if (kv[i].key.type != MSGPACK_OBJECT_POSITIVE_INTEGER || kv[i].key.via.u64 != i) {
			err = corridor_diag_set(diag, CORRIDOR_E_MALFORMED,
						"statement field %u is missing or misplaced", i);
			goto out_destroy;
		}
	static const msgpack_object_type types[10] = {
		MSGPACK_OBJECT_POSITIVE_INTEGER, MSGPACK_OBJECT_STR, MSGPACK_OBJECT_STR,
		MSGPACK_OBJECT_STR, MSGPACK_OBJECT_POSITIVE_INTEGER, MSGPACK_OBJECT_STR,
		MSGPACK_OBJECT_POSITIVE_INTEGER, MSGPACK_OBJECT_POSITIVE_INTEGER, MSGPACK_OBJECT_MAP,
		MSGPACK_OBJECT_BIN
	};
	static const char *const names[10] = { "version", "origin", "kind", "author", "key",
					       "idempotency key", "created", "expires", "body",
					       "signature" };
	for (unsigned i = 0; i < 10; i++)
		if (kv[i].val.type != types[i]) {
			err = corridor_diag_set(diag, CORRIDOR_E_MALFORMED,
						"statement field %u (%s) has the wrong type", i,
						names[i]);
			goto out_destroy;
		}
	const msgpack_object_str *origin = &kv[1].val.via.str, *kind = &kv[2].val.via.str,
				 *author = &kv[3].val.via.str, *idem = &kv[5].val.via.str;
	const char *bad = NULL;
	if ((out->version = kv[0].val.via.u64) != CORRIDOR_STATEMENT_VERSION)
		bad = "version";
	else if (!corridor_key_name_valid(origin->ptr, origin->size))
		bad = "origin";
	else if (!corridor_kind_name_ok(kind->ptr, kind->size))
		bad = "kind";
	else if (!corridor_key_name_valid(author->ptr, author->size))
		bad = "author";
	else if (kv[4].val.via.u64 > UINT32_MAX)
		bad = "key";
	else if (idem->size == 0 || idem->size > CORRIDOR_IDEM_BYTES_MAX ||
		 !corridor_text_ok(idem->ptr, idem->size, false))
		bad = "idempotency key";
	else if (kv[6].val.via.u64 >= kv[7].val.via.u64)
		bad = "expires (not after created)";
	else if (kv[9].val.via.bin.size != CORRIDOR_SIGNATURE_BYTES)
		bad = "signature";
	if (bad) {
		err = corridor_diag_set(diag, CORRIDOR_E_MALFORMED, "statement %s is not valid", bad);
		goto out_destroy;
	}
	memcpy(out->origin, origin->ptr, origin->size);
	memcpy(out->kind, kind->ptr, kind->size);
	memcpy(out->author, author->ptr, author->size);
	memcpy(out->idempotency_key, idem->ptr, idem->size);
	out->key_id = (uint32_t)kv[4].val.via.u64;
	out->created_us = kv[6].val.via.u64;
	out->expires_us = kv[7].val.via.u64;
	out->body = buf + scan.child_off[17];
	out->body_len = scan.child_off[18] - scan.child_off[17];
	out->content_len = scan.child_off[18];
	memcpy(out->sig, kv[9].val.via.bin.ptr, CORRIDOR_SIGNATURE_BYTES);
	CORRIDOR_ASSERT(buf[0] == SIGNED_MAP_HEADER && out->content_len < len);
	err = CORRIDOR_OK;
out_destroy:
	msgpack_unpacked_destroy(&u);
	return err;
}

/* The statement map: the signed bytes after their header, under fixmap 9. */
static void statement_update(crypto_hash_sha256_state *hs, const uint8_t *buf,
			     const struct corridor_statement *st)
{
	const uint8_t header = CORRIDOR_STATEMENT_MAP_HEADER;
	crypto_hash_sha256_update(hs, &header, 1);
	crypto_hash_sha256_update(hs, buf + 1, st->content_len - 1);
}

void corridor_statement_hash(const uint8_t *buf, const struct corridor_statement *st,
			     uint8_t out[CORRIDOR_HASH_BYTES])
{
	crypto_hash_sha256_state hs;
	crypto_hash_sha256_init(&hs);
	statement_update(&hs, buf, st);
	crypto_hash_sha256_final(&hs, out);
}

int corridor_statement_check_sig(const uint8_t *buf, const struct corridor_statement *st,
				 const uint8_t public_key[CORRIDOR_PUBLIC_KEY_BYTES])
{
	size_t plen = sizeof CORRIDOR_STATEMENT_SIG_PREFIX - 1;
	uint8_t *msg = malloc(plen + st->content_len);
	if (!msg)
		return CORRIDOR_E_NOMEM;
	memcpy(msg, CORRIDOR_STATEMENT_SIG_PREFIX, plen);
	msg[plen] = CORRIDOR_STATEMENT_MAP_HEADER;
	memcpy(msg + plen + 1, buf + 1, st->content_len - 1);
	int rc = crypto_sign_verify_detached(st->sig, msg, plen + st->content_len, public_key);
	free(msg);
	return rc == 0 ? CORRIDOR_OK : CORRIDOR_E_SIGNATURE;
}

int corridor_statement_check_time(const struct corridor_statement *st, uint64_t now_us,
				  uint64_t skew_us, uint64_t lifetime_max_us,
				  struct corridor_diag *diag)
{
	CORRIDOR_ASSERT(st->created_us < st->expires_us);
	if (now_us >= st->expires_us)
		return corridor_diag_set(diag, CORRIDOR_E_REFUSED,
					 "the statement expired %llu s before the log's time",
					 (unsigned long long)((now_us - st->expires_us) / 1000000u));
	if (st->created_us > now_us && st->created_us - now_us > skew_us)
		return corridor_diag_set(diag, CORRIDOR_E_REFUSED,
					 "the statement was created %llu s after the log's time (the "
					 "clock skew allowed is %llu s)",
					 (unsigned long long)((st->created_us - now_us) / 1000000u),
					 (unsigned long long)(skew_us / 1000000u));
	if (st->expires_us - st->created_us > lifetime_max_us)
		return corridor_diag_set(diag, CORRIDOR_E_REFUSED,
					 "the statement lives %llu s, longer than the %llu s allowed",
					 (unsigned long long)((st->expires_us - st->created_us) /
							      1000000u),
					 (unsigned long long)(lifetime_max_us / 1000000u));
	return CORRIDOR_OK;
}

static bool be_len(const uint8_t *buf, size_t len, size_t *at, unsigned bytes, size_t *out)
{
	if (len - *at < bytes)
		return false;
	size_t v = 0;
	for (unsigned i = 0; i < bytes; i++)
		v = (v << 8) | buf[*at + i];
	*at += bytes;
	*out = v;
	return true;
}

int corridor_statements_split(const uint8_t *buf, size_t len, const uint8_t **ptrs,
			      size_t *lens, size_t max, size_t *n, struct corridor_diag *diag)
{
	size_t at = 1, count;
	*n = 0;
	if (len == 0)
		return corridor_diag_set(diag, CORRIDOR_E_MALFORMED, "an empty body");
	if (buf[0] == SIGNED_MAP_HEADER) {
		if (max == 0)
			return corridor_diag_set(diag, CORRIDOR_E_LIMIT, "no room for a statement");
		ptrs[0] = buf;
		lens[0] = len;
		*n = 1;
		return CORRIDOR_OK;
	}
	if ((buf[0] & 0xf0u) == 0x90u)
		count = buf[0] & 0x0fu;
	else if (!((buf[0] == 0xdcu && be_len(buf, len, &at, 2, &count)) ||
		   (buf[0] == 0xddu && be_len(buf, len, &at, 4, &count))))
		return corridor_diag_set(diag, CORRIDOR_E_MALFORMED,
					 "the body is neither a statement nor an array of them");
	if (count == 0 || count > max)
		return corridor_diag_set(diag, CORRIDOR_E_LIMIT, "1-%zu statements per request", max);
	for (size_t i = 0; i < count; i++) {
		size_t sl;
		if (at >= len)
			return corridor_diag_set(diag, CORRIDOR_E_MALFORMED,
						 "the array ends before statement %zu", i + 1);
		uint8_t h = buf[at++];
		unsigned lb = h == 0xc4u ? 1u : h == 0xc5u ? 2u : h == 0xc6u ? 4u : 0u;
		if (lb == 0 || !be_len(buf, len, &at, lb, &sl) || sl > len - at)
			return corridor_diag_set(diag, CORRIDOR_E_MALFORMED,
						 "statement %zu is not a bin of the bytes that remain",
						 i + 1);
		ptrs[i] = buf + at;
		lens[i] = sl;
		at += sl;
	}
	if (at != len)
		return corridor_diag_set(diag, CORRIDOR_E_MALFORMED, "bytes after the last statement");
	*n = count;
	return CORRIDOR_OK;
}
