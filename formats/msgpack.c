/*
 * msgpack.c — canonical msgpack (docs/FORMAT.md §2 "Canonical encoding"):
 * the writer into a fixed buffer, the strict decoder (pre-scan, unpack,
 * re-encode and compare, key order), and readers of fields in canonical
 * maps. Entries (entry.c) and statements (statement.c) are built on it.
 */
#include <stdio.h>

#include <msgpack.h>

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

size_t corridor_map_without(const uint8_t *map, size_t len, const char *key, uint8_t *out,
			    size_t cap)
{
	struct corridor_mpscan scan;
	size_t klen = strlen(key), count;
	if (corridor_mpscan(map, len, CORRIDOR_ENTRY_DEPTH_MAX, &scan, NULL) != 0 ||
	    scan.children > CORRIDOR_MPSCAN_CHILDREN_MAX || scan.children % 2u != 0 ||
	    scan.children == 0)
		return 0;
	count = scan.children / 2u;
	for (size_t i = 0; i + 1 < scan.children; i += 2) {
		const char *s;
		size_t slen, from = scan.child_off[i], to = scan.child_off[i + 2];
		if (corridor_mp_str(map + from, scan.child_off[i + 1] - from, &s, &slen) != 0 ||
		    slen != klen || memcmp(s, key, klen) != 0)
			continue;
		/* the same map, one pair fewer: a new header, the other pairs as they were */
		size_t head = count - 1 <= 15u ? 1u : 3u, body = scan.child_off[0];
		if (head + (from - body) + (len - to) > cap)
			return 0;
		if (head == 1)
			out[0] = (uint8_t)(0x80u | (count - 1));
		else {
			out[0] = 0xdeu;
			out[1] = (uint8_t)((count - 1) >> 8);
			out[2] = (uint8_t)(count - 1);
		}
		memcpy(out + head, map + body, from - body);
		memcpy(out + head + (from - body), map + to, len - to);
		return head + (from - body) + (len - to);
	}
	return 0;
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
