/* encoding.c — hex, base64, UTF-8 and times: the text encodings every format uses. */
#include <stdio.h>
#include <time.h>

#include <sodium.h>

#include "formats.h"

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

void corridor_time_text(uint64_t time_us, char out[CORRIDOR_TIME_TEXT_BYTES])
{
	time_t secs = (time_t)(time_us / 1000000u);
	struct tm tm;
	gmtime_r(&secs, &tm);
	size_t n = strftime(out, CORRIDOR_TIME_TEXT_BYTES, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, CORRIDOR_TIME_TEXT_BYTES - n, ".%06uZ", (unsigned)(time_us % 1000000u));
}

void corridor_markup_put(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default:
			if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
				fputs("&#xFFFD;", f);
			else
				fputc(*s, f);
		}
	}
}
