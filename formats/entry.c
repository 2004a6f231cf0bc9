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

/* ---- a msgpack writer into a fixed buffer ---- */

int corridor_mpbuf_write(void *data, const char *bytes, size_t n)
{
	struct corridor_mpbuf *w = data;
	if (n == 0)
		return 0; /* msgpack-c writes empty bodies with a NULL pointer */
	if (w->overflow || n > w->cap - w->len) {
		w->overflow = true;
		return -1;
	}
	memcpy(w->buf + w->len, bytes, n);
	w->len += n;
	return 0;
}

void corridor_mpbuf_init(struct corridor_mpbuf *w, msgpack_packer *pk, uint8_t *buf, size_t cap)
{
	*w = (struct corridor_mpbuf){ .buf = buf, .cap = cap, .len = 0, .overflow = false };
	msgpack_packer_init(pk, w, corridor_mpbuf_write);
}

void corridor_mp_pack_str(msgpack_packer *pk, const char *s, size_t n)
{
	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, s, n);
}

void corridor_mp_cstr(msgpack_packer *pk, const char *s)
{
	corridor_mp_pack_str(pk, s, strlen(s));
}

void corridor_mp_date(msgpack_packer *pk, int32_t day)
{
	char d[11];
	corridor_date_format(day, d);
	corridor_mp_pack_str(pk, d, 10);
}

/* ---- a msgpack "writer" that compares with the input instead ---- */

struct compare_writer {
	const uint8_t *expect;
	size_t len, pos;
	bool differs;
};

static int compare_write(void *data, const char *bytes, size_t n)
{
	struct compare_writer *w = data;
	if (n == 0)
		return 0; /* msgpack-c writes empty bodies with a NULL pointer */
	if (w->differs || n > w->len - w->pos || memcmp(w->expect + w->pos, bytes, n) != 0) {
		w->differs = true;
		return -1;
	}
	w->pos += n;
	return 0;
}

/* ---- canonical walk ---- */

static int key_cmp(const msgpack_object *a, const msgpack_object *b)
{
	if (a->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		return a->via.u64 < b->via.u64 ? -1 : a->via.u64 > b->via.u64;
	size_t la = a->via.str.size, lb = b->via.str.size, n = la < lb ? la : lb;
	/* msgpack-c leaves ptr NULL for an empty string: compare no bytes then */
	int c = n ? memcmp(a->via.str.ptr, b->via.str.ptr, n) : 0;
	if (c != 0)
		return c;
	return la < lb ? -1 : la > lb;
}

struct walk_frame {
	const msgpack_object *obj;
	uint32_t next;
};

static int check_map_keys(const msgpack_object_map *m, struct corridor_diag *diag)
{
	for (uint32_t i = 0; i < m->size; i++) {
		const msgpack_object *k = &m->ptr[i].key;
		if (k->type != MSGPACK_OBJECT_POSITIVE_INTEGER && k->type != MSGPACK_OBJECT_STR)
			return corridor_diag_set(diag, CORRIDOR_E_NONCANONICAL,
						 "map key is neither an unsigned integer nor a string");
		if (i == 0)
			continue;
		const msgpack_object *p = &m->ptr[i - 1].key;
		if (p->type != k->type)
			return corridor_diag_set(diag, CORRIDOR_E_NONCANONICAL,
						 "map mixes integer and string keys");
		if (key_cmp(p, k) >= 0)
			return corridor_diag_set(diag, CORRIDOR_E_NONCANONICAL,
						 "map keys are unsorted or duplicated");
	}
	return CORRIDOR_OK;
}

/* Walks the object tree without recursion (the scan bounded its depth). */
static int check_tree(const msgpack_object *root, struct corridor_diag *diag)
{
	struct walk_frame stack[2u * CORRIDOR_ENTRY_DEPTH_MAX + 2u];
	size_t depth = 0;
	const msgpack_object *o = root;
	for (;;) {
		if (o) {
			switch (o->type) {
			case MSGPACK_OBJECT_STR:
				if (!corridor_utf8_valid((const uint8_t *)o->via.str.ptr,
							 o->via.str.size))
					return corridor_diag_set(diag, CORRIDOR_E_MALFORMED,
								 "string is not valid UTF-8");
				break;
			case MSGPACK_OBJECT_MAP: {
				int err = check_map_keys(&o->via.map, diag);
				if (err)
					return err;
			}
				/* fall through */
			case MSGPACK_OBJECT_ARRAY:
				CORRIDOR_ASSERT(depth < sizeof stack / sizeof stack[0]);
				stack[depth].obj = o;
				stack[depth].next = 0;
				depth++;
				break;
			case MSGPACK_OBJECT_BOOLEAN:
			case MSGPACK_OBJECT_POSITIVE_INTEGER:
			case MSGPACK_OBJECT_NEGATIVE_INTEGER:
			case MSGPACK_OBJECT_BIN:
				break;
			default:
				return corridor_diag_set(diag, CORRIDOR_E_MALFORMED,
							 "msgpack type not allowed");
			}
		}
		if (depth == 0)
			return CORRIDOR_OK;
		struct walk_frame *f = &stack[depth - 1];
		if (f->obj->type == MSGPACK_OBJECT_MAP) {
			uint32_t pairs = f->obj->via.map.size;
			if (f->next >= 2u * pairs) {
				depth--;
				o = NULL;
				continue;
			}
			const msgpack_object_kv *kv = &f->obj->via.map.ptr[f->next / 2u];
			o = (f->next % 2u == 0) ? &kv->key : &kv->val;
			f->next++;
		} else {
			if (f->next >= f->obj->via.array.size) {
				depth--;
				o = NULL;
				continue;
			}
			o = &f->obj->via.array.ptr[f->next++];
		}
	}
}

/* Passes 1-3 for any value; `u` must be destroyed by the caller on success. */
int corridor_mp_decode_canonical(const uint8_t *buf, size_t len, unsigned depth_max,
			    struct corridor_mpscan *scan, msgpack_unpacked *u,
			    struct corridor_diag *diag)
{
	int err = corridor_mpscan(buf, len, depth_max, scan, diag);
	if (err)
		return err;
	msgpack_unpacked_init(u);
	size_t off = 0;
	msgpack_unpack_return r = msgpack_unpack_next(u, (const char *)buf, len, &off);
	if (r == MSGPACK_UNPACK_NOMEM_ERROR) {
		err = corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory decoding msgpack");
		goto out_destroy;
	}
	if (r != MSGPACK_UNPACK_SUCCESS || off != len) {
		err = corridor_diag_set(diag, CORRIDOR_E_MALFORMED, "msgpack does not parse");
		goto out_destroy;
	}
	struct compare_writer cw = { .expect = buf, .len = len, .pos = 0, .differs = false };
	msgpack_packer pk;
	msgpack_packer_init(&pk, &cw, compare_write);
	if (msgpack_pack_object(&pk, u->data) != 0 || cw.differs || cw.pos != len) {
		err = corridor_diag_set(diag, CORRIDOR_E_NONCANONICAL,
					"msgpack is not in shortest canonical form");
		goto out_destroy;
	}
	err = check_tree(&u->data, diag);
	if (err)
		goto out_destroy;
	return CORRIDOR_OK;
out_destroy:
	msgpack_unpacked_destroy(u);
	return err;
}

int corridor_msgpack_check_canonical(const uint8_t *buf, size_t len, unsigned depth_max,
				     struct corridor_diag *diag)
{
	struct corridor_mpscan scan;
	msgpack_unpacked u;
	if (depth_max > CORRIDOR_ENTRY_DEPTH_MAX)
		depth_max = CORRIDOR_ENTRY_DEPTH_MAX;
	int err = corridor_mp_decode_canonical(buf, len, depth_max, &scan, &u, diag);
	if (err)
		return err;
	msgpack_unpacked_destroy(&u);
	return CORRIDOR_OK;
}

bool corridor_kind_name_ok(const char *s, size_t len)
{
	if (len == 0 || len > CORRIDOR_KIND_BYTES_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || c == '.' || c == '_'))
			return false;
	}
	return true;
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
	if (out->version != CORRIDOR_ENTRY_VERSION) {
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

int corridor_entry_check_sig(const uint8_t *buf, const struct corridor_entry *e,
			     const uint8_t public_key[CORRIDOR_PUBLIC_KEY_BYTES])
{
	uint8_t *msg = malloc(CORRIDOR_SIG_MSG_BYTES_MAX);
	if (!msg)
		return CORRIDOR_E_NOMEM;
	size_t n = corridor_entry_sig_message(buf, e->content_len, msg);
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
	msgpack_pack_uint8(&pk, 0);
	msgpack_pack_uint64(&pk, CORRIDOR_ENTRY_VERSION);
	msgpack_pack_uint8(&pk, 1);
	msgpack_pack_uint64(&pk, seq);
	msgpack_pack_uint8(&pk, 2);
	msgpack_pack_bin(&pk, CORRIDOR_HASH_BYTES);
	msgpack_pack_bin_body(&pk, prev, CORRIDOR_HASH_BYTES);
	msgpack_pack_uint8(&pk, 3);
	msgpack_pack_uint64(&pk, time_us);
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

/* ---- reading canonical values by hand (already validated) ---- */

int corridor_mp_str(const uint8_t *v, size_t len, const char **s, size_t *slen)
{
	size_t hdr, n;
	if (len < 1)
		return CORRIDOR_E_MALFORMED;
	if (v[0] >= 0xa0u && v[0] <= 0xbfu) {
		hdr = 1;
		n = v[0] & 0x1fu;
	} else if (v[0] == 0xd9u && len >= 2) {
		hdr = 2;
		n = v[1];
	} else if (v[0] == 0xdau && len >= 3) {
		hdr = 3;
		n = (size_t)v[1] << 8 | v[2];
	} else if (v[0] == 0xdbu && len >= 5) {
		hdr = 5;
		n = corridor_be32_get(v + 1);
	} else {
		return CORRIDOR_E_MALFORMED;
	}
	if (hdr + n != len)
		return CORRIDOR_E_MALFORMED;
	*s = (const char *)v + hdr;
	*slen = n;
	return CORRIDOR_OK;
}

int corridor_mp_bin(const uint8_t *v, size_t len, const uint8_t **b, size_t *blen)
{
	size_t hdr, n;
	if (len >= 2 && v[0] == 0xc4u) {
		hdr = 2;
		n = v[1];
	} else if (len >= 3 && v[0] == 0xc5u) {
		hdr = 3;
		n = (size_t)v[1] << 8 | v[2];
	} else if (len >= 5 && v[0] == 0xc6u) {
		hdr = 5;
		n = corridor_be32_get(v + 1);
	} else {
		return CORRIDOR_E_MALFORMED;
	}
	if (hdr + n != len)
		return CORRIDOR_E_MALFORMED;
	*b = v + hdr;
	*blen = n;
	return CORRIDOR_OK;
}

int corridor_mp_uint(const uint8_t *v, size_t len, uint64_t *out)
{
	if (len == 1 && v[0] <= 0x7fu) {
		*out = v[0];
		return CORRIDOR_OK;
	}
	unsigned n = len == 2 && v[0] == 0xccu ? 1u : len == 3 && v[0] == 0xcdu ? 2u
		   : len == 5 && v[0] == 0xceu ? 4u : len == 9 && v[0] == 0xcfu ? 8u : 0u;
	if (n == 0)
		return CORRIDOR_E_MALFORMED;
	uint64_t x = 0;
	for (unsigned i = 1; i <= n; i++)
		x = (x << 8) | v[i];
	*out = x;
	return CORRIDOR_OK;
}

const uint8_t *corridor_map_find(const uint8_t *map, size_t len, const char *key,
				 size_t *value_len)
{
	struct corridor_mpscan scan;
	size_t klen = strlen(key);
	if (corridor_mpscan(map, len, CORRIDOR_ENTRY_DEPTH_MAX, &scan, NULL) != 0)
		return NULL;
	if (scan.children > CORRIDOR_MPSCAN_CHILDREN_MAX || scan.children % 2u != 0)
		return NULL;
	for (size_t i = 0; i + 1 < scan.children; i += 2) {
		const char *s;
		size_t slen;
		const uint8_t *k = map + scan.child_off[i];
		if (corridor_mp_str(k, scan.child_off[i + 1] - scan.child_off[i], &s, &slen) != 0)
			continue;
		if (slen == klen && memcmp(s, key, klen) == 0) {
			*value_len = scan.child_off[i + 2] - scan.child_off[i + 1];
			return map + scan.child_off[i + 1];
		}
	}
	return NULL;
}

int corridor_msgpack_map_str(const uint8_t *map, size_t len, const char *key, const char **s,
			     size_t *n)
{
	size_t vlen;
	const uint8_t *v = corridor_map_find(map, len, key, &vlen);
	if (!v)
		return CORRIDOR_E_NOTFOUND;
	return corridor_mp_str(v, vlen, s, n);
}

int corridor_msgpack_map_uint(const uint8_t *map, size_t len, const char *key, uint64_t *out)
{
	size_t vlen;
	const uint8_t *v = corridor_map_find(map, len, key, &vlen);
	if (!v)
		return CORRIDOR_E_NOTFOUND;
	return corridor_mp_uint(v, vlen, out);
}

/* ---- reading decoded msgpack objects (canonical input) ---- */

const msgpack_object *corridor_mpo_field(const msgpack_object *map, const char *key)
{
	size_t n = strlen(key);
	if (!map || map->type != MSGPACK_OBJECT_MAP)
		return NULL;
	for (uint32_t i = 0; i < map->via.map.size; i++) {
		const msgpack_object *k = &map->via.map.ptr[i].key;
		if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == n &&
		    memcmp(k->via.str.ptr, key, n) == 0)
			return &map->via.map.ptr[i].val;
	}
	return NULL;
}

bool corridor_mpo_str(const msgpack_object *o, char *out, size_t cap)
{
	if (!o || o->type != MSGPACK_OBJECT_STR || o->via.str.size >= cap)
		return false;
	if (o->via.str.size) /* an empty string's ptr may be NULL */
		memcpy(out, o->via.str.ptr, o->via.str.size);
	out[o->via.str.size] = '\0';
	return true;
}

bool corridor_mpo_fields_only(const msgpack_object *o, const char *const *allowed)
{
	for (uint32_t i = 0; i < o->via.map.size; i++) {
		const msgpack_object *k = &o->via.map.ptr[i].key;
		bool ok = false;
		for (size_t f = 0; allowed[f] && !ok; f++)
			ok = k->type == MSGPACK_OBJECT_STR && k->via.str.size == strlen(allowed[f]) &&
			     memcmp(k->via.str.ptr, allowed[f], k->via.str.size) == 0;
		if (!ok)
			return false;
	}
	return true;
}

bool corridor_mpo_date(const msgpack_object *o, int32_t *day)
{
	char s[16];
	return corridor_mpo_str(o, s, sizeof s) && strlen(s) == 10 &&
	       corridor_date_parse(s, 10, day) == 0;
}

bool corridor_mpo_uint(const msgpack_object *o, uint64_t max, uint64_t *out)
{
	if (!o || o->type != MSGPACK_OBJECT_POSITIVE_INTEGER || o->via.u64 > max)
		return false;
	*out = o->via.u64;
	return true;
}

bool corridor_mpo_int(const msgpack_object *o, int64_t *out)
{
	if (o && o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 <= (uint64_t)INT64_MAX) {
		*out = (int64_t)o->via.u64;
		return true;
	}
	if (o && o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
		*out = o->via.i64;
		return true;
	}
	return false;
}
