/*
 * body.c — reading and checking entry bodies: the helpers every kind uses,
 * idempotency keys, and the bodies of genesis and memo.
 */
#include <stdio.h>

#include <msgpack.h>
#include <sodium.h>

#include "kinds.h"

/* ---- idempotency keys ---- */

size_t corridor_idem_key(const char *author, const char *kind, const char *idem, size_t idem_len,
			 uint8_t *out)
{
	size_t a = strlen(author), k = strlen(kind);
	memcpy(out, author, a);
	out[a] = 0;
	memcpy(out + a + 1, kind, k);
	out[a + 1 + k] = 0;
	memcpy(out + a + k + 2, idem, idem_len);
	return a + k + 2 + idem_len;
}

int corridor_idem_check(const char *s, size_t len, struct corridor_diag *diag)
{
	if (len == 0 || len > CORRIDOR_IDEM_BYTES_MAX || !corridor_text_ok(s, len, false))
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "an idempotency key is 1-%u bytes of printable UTF-8",
					 CORRIDOR_IDEM_BYTES_MAX);
	return CORRIDOR_OK;
}

/* ---- bodies ---- */

size_t corridor_body_genesis(const char *origin, const uint8_t public_key[CORRIDOR_PUBLIC_KEY_BYTES],
			     uint64_t lifetime_s, uint8_t *buf, size_t cap)
{
	struct corridor_mpbuf w;
	msgpack_packer pk;
	corridor_mpbuf_init(&w, &pk, buf, cap);
	msgpack_pack_map(&pk, lifetime_s ? 3 : 2);
	corridor_mp_pack_str(&pk, "key", 3);
	msgpack_pack_bin(&pk, CORRIDOR_PUBLIC_KEY_BYTES);
	msgpack_pack_bin_body(&pk, public_key, CORRIDOR_PUBLIC_KEY_BYTES);
	corridor_mp_pack_str(&pk, "origin", 6);
	corridor_mp_pack_str(&pk, origin, strlen(origin));
	if (lifetime_s) {
		corridor_mp_pack_str(&pk, "statement_lifetime_s", 20);
		msgpack_pack_uint64(&pk, lifetime_s);
	}
	return w.overflow ? 0 : w.len;
}

size_t corridor_body_memo(const char *text, size_t len, uint8_t *buf, size_t cap)
{
	struct corridor_mpbuf w;
	msgpack_packer pk;
	corridor_mpbuf_init(&w, &pk, buf, cap);
	msgpack_pack_map(&pk, 1);
	corridor_mp_pack_str(&pk, "text", 4);
	corridor_mp_pack_str(&pk, text, len);
	return w.overflow ? 0 : w.len;
}

int corridor_memo_check(const char *text, size_t len, struct corridor_diag *diag)
{
	if (len == 0)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "memo text is empty");
	if (len > CORRIDOR_MEMO_TEXT_BYTES_MAX)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "memo text is %zu bytes, more than %u", len,
					 CORRIDOR_MEMO_TEXT_BYTES_MAX);
	if (!corridor_utf8_valid((const uint8_t *)text, len))
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "memo text is not valid UTF-8");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if ((c < 0x20u && c != '\t') || c == 0x7fu)
			return corridor_diag_set(diag, CORRIDOR_E_INVALID,
						 "memo text has a control character at byte %zu",
						 i + 1);
	}
	return CORRIDOR_OK;
}

/* ---- reading bodies ---- */

int corridor_entry_bad(const struct corridor_entry *e, struct corridor_diag *diag, int code,
		       const char *fmt, ...)
{
	char msg[CORRIDOR_DIAG_BYTES_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return corridor_diag_seq(diag, code, e->seq, "%s: %s", e->kind, msg);
}

int corridor_body_map(const struct corridor_entry *e, msgpack_unpacked *u,
		      struct corridor_diag *diag)
{
	size_t off = 0;
	if (msgpack_unpack_next(u, (const char *)e->body, e->body_len, &off) !=
		    MSGPACK_UNPACK_SUCCESS ||
	    u->data.type != MSGPACK_OBJECT_MAP)
		return corridor_entry_bad(e, diag, CORRIDOR_E_VERIFY, "body does not parse");
	return CORRIDOR_OK;
}

/* A body's fields, looked up by name; the body was decoded canonically. */
int corridor_body_bad(const struct kind_body *b, const char *fmt, ...)
{
	char msg[CORRIDOR_DIAG_BYTES_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return corridor_diag_seq(b->diag, CORRIDOR_E_VERIFY, b->e->seq, "%s: %s", b->e->kind, msg);
}

/* Every field of the body is one of `allowed` (a NULL-terminated list). */
int corridor_body_fields(const struct kind_body *b, const char *const *allowed)
{
	struct corridor_mpscan scan;
	if (corridor_mpscan(b->e->body, b->e->body_len, CORRIDOR_ENTRY_DEPTH_MAX, &scan, NULL) != 0 ||
	    scan.children > CORRIDOR_MPSCAN_CHILDREN_MAX)
		return corridor_body_bad(b, "body is not a map of fields");
	for (size_t i = 0; i < scan.children; i += 2) {
		const char *name;
		size_t n;
		bool ok = false;
		if (corridor_mp_str(b->e->body + scan.child_off[i],
				    scan.child_off[i + 1] - scan.child_off[i], &name, &n) != 0)
			return corridor_body_bad(b, "body has a field that is not named");
		for (size_t k = 0; allowed[k] && !ok; k++)
			ok = strlen(allowed[k]) == n && memcmp(allowed[k], name, n) == 0;
		if (!ok)
			return corridor_body_bad(b, "body has an unknown field");
	}
	return CORRIDOR_OK;
}

/* Reads a str field into out (NUL-terminated, at most max bytes). */
int corridor_body_str(const struct kind_body *b, const char *name, bool required, char *out, size_t max,
		     bool *present)
{
	const char *s;
	size_t n;
	int err = corridor_msgpack_map_str(b->e->body, b->e->body_len, name, &s, &n);
	if (present)
		*present = err == 0;
	if (err == CORRIDOR_E_NOTFOUND && !required) {
		out[0] = '\0';
		return CORRIDOR_OK;
	}
	if (err || n > max || !corridor_text_ok(s, n, false))
		return corridor_body_bad(b, "body: field %s is missing or not acceptable text", name);
	memcpy(out, s, n);
	out[n] = '\0';
	return CORRIDOR_OK;
}

int corridor_body_bin32(const struct kind_body *b, const char *name, uint8_t out[32])
{
	size_t vlen, blen;
	const uint8_t *v = corridor_map_find(b->e->body, b->e->body_len, name, &vlen), *bytes;
	if (!v || corridor_mp_bin(v, vlen, &bytes, &blen) != 0 || blen != 32)
		return corridor_body_bad(b, "body: field %s must be 32 bytes", name);
	memcpy(out, bytes, 32);
	return CORRIDOR_OK;
}

int corridor_body_uint(const struct kind_body *b, const char *name, uint64_t *out)
{
	size_t vlen;
	const uint8_t *v = corridor_map_find(b->e->body, b->e->body_len, name, &vlen);
	if (!v || corridor_mp_uint(v, vlen, out) != 0)
		return corridor_body_bad(b, "body: field %s must be an unsigned integer", name);
	return CORRIDOR_OK;
}
