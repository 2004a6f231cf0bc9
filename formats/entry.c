/*
 * entry.c — the canonical msgpack entry envelope (docs/FORMAT.md §Entry).
 *
 * Decoding is strict and in three passes over untrusted bytes:
 *   1. corridor_mpscan(): declared counts and lengths against the bytes that
 *      remain, depth, refused types; nothing allocated yet;
 *   2. msgpack-c unpacks, and we re-encode the object while comparing each
 *      written byte with the input (non-shortest forms differ);
 *   3. a walk checks map keys (one kind per map, strictly ascending), UTF-8
 *      strings, and the envelope's fields and types.
 */
#include <msgpack.h>
#include <sodium.h>

#include "formats.h"

/* Version 2 (docs/FORMAT.md 2b): {0: 2, 1: seq, 2: prev, 3: time,
 * 4: signed statement}; what the statement says is the entry's kind, author,
 * key and body. */
static int decode_v2(const uint8_t *buf, size_t len, const msgpack_object *o,
		     const struct corridor_mpscan *scan, struct corridor_entry *out,
		     struct corridor_diag *diag)
{
	static const msgpack_object_type types[5] = {
		MSGPACK_OBJECT_POSITIVE_INTEGER, MSGPACK_OBJECT_POSITIVE_INTEGER, MSGPACK_OBJECT_BIN,
		MSGPACK_OBJECT_POSITIVE_INTEGER, MSGPACK_OBJECT_BIN
	};
	static const char *const names[5] = { "version", "seq", "prev", "time", "statement" };
	if (o->via.map.size != 5 || scan->children != 10)
		return corridor_diag_set(diag, CORRIDOR_E_MALFORMED,
					 "a version 2 entry is a map of its 5 fields");
	const msgpack_object_kv *kv = o->via.map.ptr;
	for (uint32_t i = 0; i < 5; i++) {
		if (kv[i].key.type != MSGPACK_OBJECT_POSITIVE_INTEGER || kv[i].key.via.u64 != i)
			return corridor_diag_set(diag, CORRIDOR_E_MALFORMED,
						 "entry field %u is missing or misplaced", i);
		if (kv[i].val.type != types[i])
			return corridor_diag_set(diag, CORRIDOR_E_MALFORMED,
						 "entry field %u (%s) has the wrong type", i, names[i]);
	}
	if (kv[2].val.via.bin.size != CORRIDOR_HASH_BYTES)
		return corridor_diag_set(diag, CORRIDOR_E_MALFORMED, "entry prev is not 32 bytes");
	out->version = CORRIDOR_ENTRY_VERSION_2;
	out->seq = kv[1].val.via.u64;
	memcpy(out->prev, kv[2].val.via.bin.ptr, CORRIDOR_HASH_BYTES);
	out->time_us = kv[3].val.via.u64;
	/* the statement's bytes, in the entry's own buffer */
	size_t slen = kv[4].val.via.bin.size;
	const uint8_t *sb = buf + len - slen; /* the last value: its data ends the entry */
	CORRIDOR_ASSERT(scan->child_off[9] < len - slen);
	struct corridor_statement st;
	struct corridor_diag sd;
	corridor_diag_init(&sd);
	int err = corridor_statement_decode(sb, slen, &st, &sd);
	if (err)
		return corridor_diag_set(diag, err, "entry statement: %s", sd.text);
	memcpy(out->kind, st.kind, sizeof out->kind);
	memcpy(out->author, st.author, sizeof out->author);
	out->key_id = st.key_id;
	out->body = st.body;
	out->body_len = st.body_len;
	memcpy(out->sig, st.sig, CORRIDOR_SIGNATURE_BYTES);
	out->content_len = len;
	out->statement = sb;
	out->statement_len = slen;
	out->statement_content_len = st.content_len;
	memcpy(out->origin, st.origin, sizeof out->origin);
	memcpy(out->idempotency_key, st.idempotency_key, sizeof out->idempotency_key);
	out->created_us = st.created_us;
	out->expires_us = st.expires_us;
	return CORRIDOR_OK;
}

int corridor_entry_decode(const uint8_t *buf, size_t len, struct corridor_entry *out,
			  struct corridor_diag *diag)
{
	struct corridor_mpscan scan;
	msgpack_unpacked u;
	if (len > CORRIDOR_ENTRY_BYTES_MAX)
		return corridor_diag_set(diag, CORRIDOR_E_LIMIT, "entry is %zu bytes, more than %u",
					 len, CORRIDOR_ENTRY_BYTES_MAX);
	int err = corridor_mp_decode_canonical(buf, len, CORRIDOR_ENTRY_DEPTH_MAX, &scan, &u, diag);
	if (err)
		return err;
	const msgpack_object *o = &u.data;
	memset(out, 0, sizeof *out);
	if (o->type == MSGPACK_OBJECT_MAP && o->via.map.size >= 1 &&
	    o->via.map.ptr[0].key.type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
	    o->via.map.ptr[0].key.via.u64 == 0 &&
	    o->via.map.ptr[0].val.type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
	    o->via.map.ptr[0].val.via.u64 == CORRIDOR_ENTRY_VERSION_2) {
		err = decode_v2(buf, len, o, &scan, out, diag);
		goto out_destroy;
	}
	if (o->type != MSGPACK_OBJECT_MAP || o->via.map.size != 9 || scan.children != 18) {
		err = corridor_diag_set(diag, CORRIDOR_E_MALFORMED,
					"entry is not a map of the 9 envelope fields");
		goto out_destroy;
	}
	const msgpack_object_kv *kv = o->via.map.ptr;
	for (uint32_t i = 0; i < 9; i++) {
		if (kv[i].key.type != MSGPACK_OBJECT_POSITIVE_INTEGER || kv[i].key.via.u64 != i) {
			err = corridor_diag_set(diag, CORRIDOR_E_MALFORMED,
						"entry field %u is missing or misplaced", i);
			goto out_destroy;
		}
	}
	const msgpack_object *v = NULL;
#define FIELD(i, t, what)                                                                  \
	do {                                                                               \
		v = &kv[i].val;                                                            \
		if (v->type != (t)) {                                                      \
			err = corridor_diag_set(diag, CORRIDOR_E_MALFORMED,                \
						"entry field %u (%s) has the wrong type", i, what); \
			goto out_destroy;                                                  \
		}                                                                          \
	} while (0)
	FIELD(0, MSGPACK_OBJECT_POSITIVE_INTEGER, "version");
	out->version = v->via.u64;
	if (out->version != CORRIDOR_ENTRY_VERSION_1) {
		err = corridor_diag_set(diag, CORRIDOR_E_MALFORMED, "entry version %llu unknown",
					(unsigned long long)out->version);
		goto out_destroy;
	}
	FIELD(1, MSGPACK_OBJECT_POSITIVE_INTEGER, "seq");
	out->seq = v->via.u64;
	FIELD(2, MSGPACK_OBJECT_BIN, "prev");
	if (v->via.bin.size != CORRIDOR_HASH_BYTES) {
		err = corridor_diag_set(diag, CORRIDOR_E_MALFORMED, "entry prev is not 32 bytes");
		goto out_destroy;
	}
	memcpy(out->prev, v->via.bin.ptr, CORRIDOR_HASH_BYTES);
	FIELD(3, MSGPACK_OBJECT_POSITIVE_INTEGER, "time");
	out->time_us = v->via.u64;
	FIELD(4, MSGPACK_OBJECT_STR, "kind");
	if (!corridor_kind_name_ok(v->via.str.ptr, v->via.str.size)) {
		err = corridor_diag_set(diag, CORRIDOR_E_MALFORMED, "entry kind is not valid");
		goto out_destroy;
	}
	memcpy(out->kind, v->via.str.ptr, v->via.str.size);
	out->kind[v->via.str.size] = '\0';
	FIELD(5, MSGPACK_OBJECT_STR, "author");
	if (!corridor_key_name_valid(v->via.str.ptr, v->via.str.size)) {
		err = corridor_diag_set(diag, CORRIDOR_E_MALFORMED, "entry author is not valid");
		goto out_destroy;
	}
	memcpy(out->author, v->via.str.ptr, v->via.str.size);
	out->author[v->via.str.size] = '\0';
	FIELD(6, MSGPACK_OBJECT_POSITIVE_INTEGER, "key");
	if (v->via.u64 > UINT32_MAX) {
		err = corridor_diag_set(diag, CORRIDOR_E_MALFORMED, "entry key id exceeds 32 bits");
		goto out_destroy;
	}
	out->key_id = (uint32_t)v->via.u64;
	FIELD(7, MSGPACK_OBJECT_MAP, "body");
	out->body = buf + scan.child_off[15];
	out->body_len = scan.child_off[16] - scan.child_off[15];
	FIELD(8, MSGPACK_OBJECT_BIN, "sig");
	if (v->via.bin.size != CORRIDOR_SIGNATURE_BYTES) {
		err = corridor_diag_set(diag, CORRIDOR_E_MALFORMED, "entry sig is not 64 bytes");
		goto out_destroy;
	}
	memcpy(out->sig, v->via.bin.ptr, CORRIDOR_SIGNATURE_BYTES);
#undef FIELD
	out->content_len = scan.child_off[16];
	err = CORRIDOR_OK;
out_destroy:
	msgpack_unpacked_destroy(&u);
	return err;
}

/* The content map is the entry's map with its first 8 pairs: the entry's
 * bytes after its own header (fixmap 9), under the header of fixmap 8. */
static void content_hash(const uint8_t *map_body, size_t body_len, uint8_t out[CORRIDOR_HASH_BYTES])
{
	crypto_hash_sha256_state st;
	const uint8_t header = CORRIDOR_CONTENT_MAP_HEADER;
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, &header, 1);
	crypto_hash_sha256_update(&st, map_body, body_len);
	crypto_hash_sha256_final(&st, out);
}

void corridor_entry_content_hash(const uint8_t *buf, const struct corridor_entry *e,
				 uint8_t out[CORRIDOR_HASH_BYTES])
{
	if (e->version == CORRIDOR_ENTRY_VERSION_2) { /* the whole entry */
		crypto_hash_sha256(out, buf, e->content_len);
		return;
	}
	CORRIDOR_ASSERT(e->content_len > 1 && buf[0] == CORRIDOR_ENTRY_MAP_HEADER);
	content_hash(buf + 1, e->content_len - 1, out);
}

void corridor_content_hash(const uint8_t *content, size_t content_len,
			   uint8_t out[CORRIDOR_HASH_BYTES])
{
	CORRIDOR_ASSERT(content_len > 1 && content[0] == CORRIDOR_CONTENT_MAP_HEADER);
	content_hash(content + 1, content_len - 1, out);
}

size_t corridor_entry_sig_message(const uint8_t *content, size_t content_len, uint8_t *msg)
{
	static const char prefix[] = CORRIDOR_ENTRY_SIG_PREFIX;
	size_t plen = sizeof prefix - 1;
	CORRIDOR_ASSERT(content_len + plen <= CORRIDOR_SIG_MSG_BYTES_MAX);
	memcpy(msg, prefix, plen);
	msg[plen] = CORRIDOR_CONTENT_MAP_HEADER;
	memcpy(msg + plen + 1, content + 1, content_len - 1);
	return plen + content_len;
}

size_t corridor_entry_signed_message(const uint8_t *buf, const struct corridor_entry *e,
				     uint8_t *msg)
{
	if (e->version != CORRIDOR_ENTRY_VERSION_2)
		return corridor_entry_sig_message(buf, e->content_len, msg);
	static const char prefix[] = CORRIDOR_STATEMENT_SIG_PREFIX;
	size_t plen = sizeof prefix - 1;
	CORRIDOR_ASSERT(e->statement_content_len + plen <= CORRIDOR_SIG_MSG_BYTES_MAX);
	memcpy(msg, prefix, plen);
	msg[plen] = CORRIDOR_STATEMENT_MAP_HEADER;
	memcpy(msg + plen + 1, e->statement + 1, e->statement_content_len - 1);
	return plen + e->statement_content_len;
}

/* Keys 0-3 of every entry version: version, seq, prev, time. */
static void pack_envelope_head(msgpack_packer *pk, uint64_t version, uint64_t seq,
			       const uint8_t prev[CORRIDOR_HASH_BYTES], uint64_t time_us)
{
	msgpack_pack_uint8(pk, 0);
	msgpack_pack_uint64(pk, version);
	msgpack_pack_uint8(pk, 1);
	msgpack_pack_uint64(pk, seq);
	msgpack_pack_uint8(pk, 2);
	msgpack_pack_bin(pk, CORRIDOR_HASH_BYTES);
	msgpack_pack_bin_body(pk, prev, CORRIDOR_HASH_BYTES);
	msgpack_pack_uint8(pk, 3);
	msgpack_pack_uint64(pk, time_us);
}

size_t corridor_entry_encode_v2(uint64_t seq, const uint8_t prev[CORRIDOR_HASH_BYTES],
				uint64_t time_us, const uint8_t *statement, size_t statement_len,
				uint8_t *out, size_t cap)
{
	struct corridor_mpbuf w;
	msgpack_packer pk;
	corridor_mpbuf_init(&w, &pk, out, cap);
	msgpack_pack_map(&pk, 5);
	pack_envelope_head(&pk, CORRIDOR_ENTRY_VERSION_2, seq, prev, time_us);
	msgpack_pack_uint8(&pk, 4);
	msgpack_pack_bin(&pk, statement_len);
	msgpack_pack_bin_body(&pk, statement, statement_len);
	return w.overflow || w.len > CORRIDOR_ENTRY_BYTES_MAX ? 0 : w.len;
}

int corridor_entry_check_sig(const uint8_t *buf, const struct corridor_entry *e,
			     const uint8_t public_key[CORRIDOR_PUBLIC_KEY_BYTES])
{
	uint8_t *msg = malloc(CORRIDOR_SIG_MSG_BYTES_MAX);
	if (!msg)
		return CORRIDOR_E_NOMEM;
	size_t n = corridor_entry_signed_message(buf, e, msg);
	int rc = crypto_sign_verify_detached(e->sig, msg, n, public_key);
	free(msg);
	return rc == 0 ? CORRIDOR_OK : CORRIDOR_E_SIGNATURE;
}

size_t corridor_entry_encode_content(uint64_t seq, const uint8_t prev[CORRIDOR_HASH_BYTES],
				     uint64_t time_us, const char *kind, const char *author,
				     uint32_t key_id, const uint8_t *body, size_t body_len,
				     uint8_t *buf, size_t cap)
{
	struct corridor_mpbuf w;
	msgpack_packer pk;
	corridor_mpbuf_init(&w, &pk, buf, cap);
	msgpack_pack_map(&pk, 8);
	pack_envelope_head(&pk, CORRIDOR_ENTRY_VERSION_1, seq, prev, time_us);
	msgpack_pack_uint8(&pk, 4);
	corridor_mp_pack_str(&pk, kind, strlen(kind));
	msgpack_pack_uint8(&pk, 5);
	corridor_mp_pack_str(&pk, author, strlen(author));
	msgpack_pack_uint8(&pk, 6);
	msgpack_pack_uint64(&pk, key_id);
	msgpack_pack_uint8(&pk, 7);
	corridor_mpbuf_write(&w, (const char *)body, body_len);
	return w.overflow ? 0 : w.len;
}

size_t corridor_entry_seal(const uint8_t *content, size_t content_len,
			   const uint8_t sig[CORRIDOR_SIGNATURE_BYTES], uint8_t *out, size_t cap)
{
	/* keys 0-7 then 8: bin8(64) sig — the map header grows from 8 to 9 pairs. */
	size_t n = content_len + 1 + 2 + CORRIDOR_SIGNATURE_BYTES;
	CORRIDOR_ASSERT(content_len > 1 && content[0] == CORRIDOR_CONTENT_MAP_HEADER);
	if (n > cap)
		return 0;
	out[0] = CORRIDOR_ENTRY_MAP_HEADER;
	memcpy(out + 1, content + 1, content_len - 1);
	out[content_len] = 0x08u;
	out[content_len + 1] = 0xc4u;
	out[content_len + 2] = (uint8_t)CORRIDOR_SIGNATURE_BYTES;
	memcpy(out + content_len + 3, sig, CORRIDOR_SIGNATURE_BYTES);
	return n;
}
