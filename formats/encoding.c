/* encoding.c — hex, base64 and UTF-8: the text encodings every format uses. */
#include <stdio.h>

#include <sodium.h>

#include "../core/internal.h"

void corridor_hex(const uint8_t *bytes, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[bytes[i] >> 4];
		out[2 * i + 1] = digits[bytes[i] & 0x0fu];
	}
	out[2 * len] = '\0';
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int corridor_unhex(const char *hex, size_t hex_len, uint8_t *out, size_t len)
{
	if (hex_len != 2 * len)
		return CORRIDOR_E_MALFORMED;
	for (size_t i = 0; i < len; i++) {
		int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return CORRIDOR_E_MALFORMED;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return CORRIDOR_OK;
}

size_t corridor_base64_len(size_t len)
{
	return sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
}

void corridor_base64(const uint8_t *bytes, size_t len, char *out)
{
	sodium_bin2base64(out, corridor_base64_len(len), bytes, len,
			  sodium_base64_VARIANT_ORIGINAL);
}

int corridor_unbase64(const char *b64, size_t b64_len, uint8_t *out, size_t cap, size_t *out_len)
{
	const char *end = NULL;
	size_t n = 0;
	if (b64_len % 4u != 0)
		return CORRIDOR_E_MALFORMED;
	/* The alphabet is checked here, before libsodium sees a byte: its
	 * constant-time table lookup is not meant for bytes >= 0x80. */
	size_t pad = 0;
	while (pad < 2 && pad < b64_len && b64[b64_len - 1 - pad] == '=')
		pad++;
	for (size_t i = 0; i < b64_len - pad; i++) {
		char c = b64[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '/'))
			return CORRIDOR_E_MALFORMED;
	}
	if (b64_len / 4u * 3u > cap + 2u)
		return CORRIDOR_E_LIMIT;
	if (sodium_base642bin(out, cap, b64, b64_len, NULL, &n, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0)
		return CORRIDOR_E_MALFORMED;
	if (end != b64 + b64_len)
		return CORRIDOR_E_MALFORMED;
	*out_len = n;
	return CORRIDOR_OK;
}

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
