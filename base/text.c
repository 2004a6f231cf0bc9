/* text.c — UTF-8 validation and the escaping every diagnostic goes through:
 * untrusted bytes are never echoed raw. */
#include <stdio.h>

#include "base.h"

/* The code point at s[0, len): its length in bytes, or 0 if the bytes there
 * are not a shortest-form UTF-8 scalar value. */
static size_t utf8_next(const uint8_t *s, size_t len, uint32_t *out)
{
	uint8_t c = s[0];
	if (c < 0x80u) {
		*out = c;
		return 1;
	}
	size_t need;
	uint32_t cp;
	if (c >= 0xc2u && c <= 0xdfu) {
		need = 1;
		cp = c & 0x1fu;
	} else if (c >= 0xe0u && c <= 0xefu) {
		need = 2;
		cp = c & 0x0fu;
	} else if (c >= 0xf0u && c <= 0xf4u) {
		need = 3;
		cp = c & 0x07u;
	} else {
		return 0;
	}
	if (len <= need)
		return 0;
	for (size_t k = 1; k <= need; k++) {
		uint8_t cc = s[k];
		if ((cc & 0xc0u) != 0x80u)
			return 0;
		cp = (cp << 6) | (cc & 0x3fu);
	}
	if ((need == 2 && cp < 0x800u) || (need == 3 && (cp < 0x10000u || cp > 0x10ffffu)))
		return 0;
	if (cp >= 0xd800u && cp <= 0xdfffu)
		return 0;
	*out = cp;
	return need + 1;
}

bool corridor_utf8_valid(const uint8_t *s, size_t len)
{
	uint32_t cp;
	for (size_t i = 0, n; i < len; i += n)
		if ((n = utf8_next(s + i, len - i, &cp)) == 0)
			return false;
	return true;
}

/* Code points a terminal acts on or that reorder or split what it shows:
 * C0 and C1 controls, DEL, line and paragraph separators, bidi controls. */
static bool cp_unsafe(uint32_t cp)
{
	return cp < 0x20u || (cp >= 0x7fu && cp <= 0x9fu) || cp == 0x2028u || cp == 0x2029u ||
	       cp == 0x200eu || cp == 0x200fu || (cp >= 0x202au && cp <= 0x202eu) ||
	       (cp >= 0x2066u && cp <= 0x2069u) || cp == 0xfeffu;
}

size_t corridor_escape(const char *in, size_t len, char *out, size_t cap)
{
	const uint8_t *s = (const uint8_t *)in;
	size_t at = 0;
	if (cap == 0)
		return 0;
	for (size_t i = 0, n; i < len; i += n) {
		char esc[16];
		uint32_t cp;
		const char *piece = in + i;
		size_t plen;
		n = utf8_next(s + i, len - i, &cp);
		if (n == 0) {
			n = 1;
			snprintf(esc, sizeof esc, "\\x%02x", s[i]);
			piece = esc;
		} else if (cp_unsafe(cp)) {
			if (cp < 0x80u)
				snprintf(esc, sizeof esc, "\\x%02x", (unsigned)cp);
			else
				snprintf(esc, sizeof esc, "\\u{%x}", (unsigned)cp);
			piece = esc;
		}
		plen = piece == in + i ? n : strlen(piece);
		if (at + plen >= cap)
			break; /* whole pieces only: never half an escape or a code point */
		memcpy(out + at, piece, plen);
		at += plen;
	}
	out[at] = '\0';
	return at;
}

/* printable UTF-8: no control characters at all (tab allowed if `tab`) */
bool corridor_text_ok(const char *s, size_t len, bool tab)
{
	if (!corridor_utf8_valid((const uint8_t *)s, len))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20u && !(tab && c == '\t')) || c == 0x7fu)
			return false;
	}
	return true;
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
