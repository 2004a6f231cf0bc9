/*
 * table.c — the CLI's tables: columns aligned on display width (a Chinese
 * character takes two columns, a combining mark none), a header on every
 * table, numbers right-aligned with thousands separators, a cell longer
 * than its column cut with an ellipsis. Every cell is escaped first
 * (cli_safe): untrusted text never reaches the terminal raw. Tables only:
 * CSV and JSON carry plain numbers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define ELLIPSIS "\xe2\x80\xa6" /* U+2026, one column */

/* The code point at s (valid UTF-8, as cli_safe leaves it), its length in *n. */
static uint32_t code_point(const unsigned char *s, size_t *n)
{
	if (s[0] < 0x80) {
		*n = 1;
		return s[0];
	}
	if ((s[0] & 0xe0) == 0xc0 && s[1]) {
		*n = 2;
		return (uint32_t)(s[0] & 0x1f) << 6 | (s[1] & 0x3f);
	}
	if ((s[0] & 0xf0) == 0xe0 && s[1] && s[2]) {
		*n = 3;
		return (uint32_t)(s[0] & 0x0f) << 12 | (uint32_t)(s[1] & 0x3f) << 6 | (s[2] & 0x3f);
	}
	if ((s[0] & 0xf8) == 0xf0 && s[1] && s[2] && s[3]) {
		*n = 4;
		return (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3f) << 12 |
		       (uint32_t)(s[2] & 0x3f) << 6 | (s[3] & 0x3f);
	}
	*n = 1;
	return 0xfffd;
}

/* Columns a code point takes on a terminal: 0 for combining marks and
 * zero-width characters, 2 for East Asian wide and fullwidth ones (Unicode
 * 15 EastAsianWidth W and F, the blocks in use), else 1. */
unsigned cli_cp_width(uint32_t c)
{
	static const uint32_t zero[][2] = {
		{ 0x0300, 0x036f }, { 0x0483, 0x0489 }, { 0x0591, 0x05bd }, { 0x0610, 0x061a },
		{ 0x064b, 0x065f }, { 0x1ab0, 0x1aff }, { 0x1dc0, 0x1dff }, { 0x180b, 0x180f },
		{ 0x200b, 0x200f }, { 0x20d0, 0x20ff }, { 0xfe00, 0xfe0f }, { 0xfe20, 0xfe2f },
		{ 0xfeff, 0xfeff },
	};
	static const uint32_t wide[][2] = {
		{ 0x1100, 0x115f },   { 0x2e80, 0x303e },   { 0x3041, 0x33ff },
		{ 0x3400, 0x4dbf },   { 0x4e00, 0x9fff },   { 0xa000, 0xa4cf },
		{ 0xac00, 0xd7a3 },   { 0xf900, 0xfaff },   { 0xfe30, 0xfe4f },
		{ 0xff00, 0xff60 },   { 0xffe0, 0xffe6 },   { 0x1f300, 0x1f64f },
		{ 0x1f900, 0x1f9ff }, { 0x20000, 0x2fffd }, { 0x30000, 0x3fffd },
	};
	for (size_t i = 0; i < sizeof zero / sizeof zero[0]; i++)
		if (c >= zero[i][0] && c <= zero[i][1])
			return 0;
	for (size_t i = 0; i < sizeof wide / sizeof wide[0]; i++)
		if (c >= wide[i][0] && c <= wide[i][1])
			return 2;
	return 1;
}

size_t cli_display_width(const char *s)
{
	size_t w = 0, n;
	for (const unsigned char *p = (const unsigned char *)s; *p; p += n)
		w += cli_cp_width(code_point(p, &n));
	return w;
}

/* s (escaped) into out, at most `width` columns: cut before the code point
 * that would not fit with an ellipsis after it. *cols: the columns used. */
static void fit(const char *s, size_t width, char *out, size_t cap, size_t *cols)
{
	size_t total = cli_display_width(s), w = 0, at = 0, n;
	const unsigned char *p = (const unsigned char *)s;
	if (total <= width || width == 0) {
		snprintf(out, cap, "%s", s);
		*cols = total;
		return;
	}
	for (; *p; p += n) {
		unsigned cw = cli_cp_width(code_point(p, &n));
		if (w + cw + 1 > width || at + n + sizeof ELLIPSIS > cap)
			break;
		memcpy(out + at, p, n);
		at += n;
		w += cw;
	}
	memcpy(out + at, ELLIPSIS, sizeof ELLIPSIS);
	*cols = w + 1;
}

#define ROW_BYTES_MAX 8192u

/* Appends one cell to row (at *at). */
static void cell(const struct cli_col *c, const char *text, bool last, char *row, size_t *at)
{
	char buf[CLI_SAFE_BYTES_MAX + 8];
	size_t cols;
	/* a number is never cut; text is, but for the last column's */
	fit(cli_safe(text ? text : ""), last || c->number ? 0 : c->width, buf, sizeof buf, &cols);
	int pad = (int)(cols < c->width ? c->width - cols : 0);
	int n = c->number ? snprintf(row + *at, ROW_BYTES_MAX - *at, "%*s%s", pad, "", buf)
			  : snprintf(row + *at, ROW_BYTES_MAX - *at, "%s%*s", buf, last ? 0 : pad, "");
	if (n > 0)
		*at += (size_t)n < ROW_BYTES_MAX - *at ? (size_t)n : ROW_BYTES_MAX - 1 - *at;
}

void cli_table_head(const struct cli_col *cols, size_t n)
{
	const char *h[CLI_TABLE_COLS_MAX];
	if (n > CLI_TABLE_COLS_MAX)
		abort(); /* a table of the CLI's own making */
	for (size_t i = 0; i < n; i++)
		h[i] = cols[i].header;
	cli_table_row(cols, n, h);
}

void cli_table_row(const struct cli_col *cols, size_t n, const char *const *cells)
{
	char row[ROW_BYTES_MAX];
	size_t at = 0;
	for (size_t i = 0; i < n; i++) {
		if (i && at + 2 < ROW_BYTES_MAX) {
			row[at++] = ' ';
			row[at++] = ' ';
		}
		cell(&cols[i], cells[i], i + 1 == n, row, &at);
	}
	while (at > 0 && row[at - 1] == ' ')
		at--; /* no trailing blanks */
	row[at] = '\0';
	puts(row);
}

const char *cli_grouped(const char *dec, char out[CLI_NUM_BYTES])
{
	size_t len = strlen(dec), lead = dec[0] == '-' ? 1u : 0u;
	size_t ilen = strcspn(dec + lead, ".");
	if (len + ilen / 3 + 1 > CLI_NUM_BYTES || ilen == 0) {
		snprintf(out, CLI_NUM_BYTES, "%s", dec);
		return out;
	}
	size_t at = 0;
	if (lead)
		out[at++] = '-';
	for (size_t i = 0; i < ilen; i++) {
		if (i && (ilen - i) % 3 == 0)
			out[at++] = ',';
		out[at++] = dec[lead + i];
	}
	snprintf(out + at, CLI_NUM_BYTES - at, "%s", dec + lead + ilen);
	return out;
}
