/*
 * csv.c — a strict RFC 4180 reader that knows where it is.
 *
 * Records end at CRLF or LF (also inside the last line without one); fields
 * are separated by commas; a field that starts with a double quote runs to
 * the matching quote, with "" standing for one quote and commas, CR and LF
 * taken literally; nothing may follow a closing quote but a comma or the end
 * of the record; a quote inside an unquoted field is an error. A UTF-8 byte
 * order mark at the very start is skipped. A NUL byte inside a field is an
 * error (a C string would end there and hide the rest). Every field reports
 * the line and column (1-based) where it starts, so errors can name them.
 *
 * libcsv (Debian's libcsv-dev) was considered: it does not report positions,
 * which the importers must give for every bad row.
 */
#include "formats.h"

void corridor_csv_init(struct corridor_csv *c, const char *buf, size_t len)
{
	c->buf = buf;
	c->len = len;
	c->pos = 0;
	c->line = 1;
	c->col = 1;
	if (len >= 3 && (unsigned char)buf[0] == 0xefu && (unsigned char)buf[1] == 0xbbu &&
	    (unsigned char)buf[2] == 0xbfu)
		c->pos = 3;
}

/* Moves past one byte, tracking line and column. */
static void advance(struct corridor_csv *c)
{
	if (c->buf[c->pos] == '\n') {
		c->line++;
		c->col = 1;
	} else {
		c->col++;
	}
	c->pos++;
}

int corridor_csv_record(struct corridor_csv *c, struct corridor_csv_field *fields, size_t max,
			size_t *count, char *scratch, size_t scratch_cap,
			struct corridor_diag *diag)
{
	size_t n = 0, used = 0;
	*count = 0;
	if (c->pos >= c->len)
		return CORRIDOR_E_NOTFOUND; /* no more records */
	c->record_line = c->line;
	for (;;) {
		if (n >= max)
			return corridor_diag_set(diag, CORRIDOR_E_LIMIT,
						 "line %u: more than %zu fields", c->record_line, max);
		struct corridor_csv_field *f = &fields[n++];
		f->line = c->line;
		f->col = c->col;
		f->text = scratch + used;
		size_t start = used;
		bool quoted = c->pos < c->len && c->buf[c->pos] == '"';
		if (quoted) {
			advance(c);
			for (;;) {
				if (c->pos >= c->len)
					return corridor_diag_set(diag, CORRIDOR_E_MALFORMED,
								 "line %u, column %u: a quoted field "
								 "is never closed",
								 f->line, f->col);
				char ch = c->buf[c->pos];
				if (ch == '"') {
					if (c->pos + 1 < c->len && c->buf[c->pos + 1] == '"') {
						advance(c);
						advance(c);
					} else {
						advance(c);
						break;
					}
				} else {
					advance(c);
				}
				if (used >= scratch_cap)
					return corridor_diag_set(diag, CORRIDOR_E_LIMIT,
								 "line %u: the record is too long",
								 c->record_line);
				scratch[used++] = ch;
			}
		} else {
			while (c->pos < c->len) {
				char ch = c->buf[c->pos];
				if (ch == ',' || ch == '\n' ||
				    (ch == '\r' && c->pos + 1 < c->len && c->buf[c->pos + 1] == '\n'))
					break;
				if (ch == '"' || ch == '\r')
					return corridor_diag_set(diag, CORRIDOR_E_MALFORMED,
								 "line %u, column %u: %s inside an "
								 "unquoted field",
								 c->line, c->col,
								 ch == '"' ? "a quote" : "a bare CR");
				if (used >= scratch_cap)
					return corridor_diag_set(diag, CORRIDOR_E_LIMIT,
								 "line %u: the record is too long",
								 c->record_line);
				scratch[used++] = ch;
				advance(c);
			}
		}
		f->len = used - start;
		if (memchr(f->text, '\0', f->len))
			return corridor_diag_set(diag, CORRIDOR_E_MALFORMED,
						 "line %u, column %u: a NUL byte inside a field",
						 f->line, f->col);
		if (used >= scratch_cap)
			return corridor_diag_set(diag, CORRIDOR_E_LIMIT, "line %u: the record is too long",
						 c->record_line);
		scratch[used++] = '\0';
		if (c->pos >= c->len)
			break;
		char ch = c->buf[c->pos];
		if (ch == ',') {
			advance(c);
			continue;
		}
		if (ch == '\r' && c->pos + 1 < c->len && c->buf[c->pos + 1] == '\n') {
			advance(c);
			advance(c);
			break;
		}
		if (ch == '\n') {
			advance(c);
			break;
		}
		return corridor_diag_set(diag, CORRIDOR_E_MALFORMED,
					 "line %u, column %u: text after a closing quote", c->line,
					 c->col);
	}
	*count = n;
	return CORRIDOR_OK;
}

int corridor_csv_header(struct corridor_csv *c, const char *const *names, int ncols,
			int nrequired, int *map, size_t *width, struct corridor_diag *diag)
{
	struct corridor_csv_field fields[CORRIDOR_CSV_HEADER_FIELDS_MAX];
	char scratch[CORRIDOR_CSV_HEADER_BYTES_MAX];
	size_t n;
	int err = corridor_csv_record(c, fields, CORRIDOR_CSV_HEADER_FIELDS_MAX, &n, scratch,
				      sizeof scratch, diag);
	if (err)
		return err == CORRIDOR_E_NOTFOUND
			       ? corridor_diag_set(diag, CORRIDOR_E_INVALID, "the file is empty")
			       : err;
	for (int k = 0; k < ncols; k++)
		map[k] = -1;
	for (size_t i = 0; i < n; i++) {
		int found = -1;
		for (int k = 0; k < ncols && found < 0; k++)
			if (strcmp(fields[i].text, names[k]) == 0)
				found = k;
		if (found < 0 || map[found] >= 0)
			return corridor_diag_set(diag, CORRIDOR_E_INVALID,
						 "line 1: column '%.40s' is %s", fields[i].text,
						 found < 0 ? "unknown" : "given twice");
		map[found] = (int)i;
	}
	for (int k = 0; k < nrequired; k++)
		if (map[k] < 0)
			return corridor_diag_set(diag, CORRIDOR_E_INVALID,
						 "line 1: the header lacks the column '%s'", names[k]);
	*width = n;
	return CORRIDOR_OK;
}
