/*
 * rows.c — the row decoders of the two CSV imports (docs/DELIVERIES.md and
 * SETTLEMENT.md "Rates"): a header naming the columns, then one record per
 * row, each field decoded into the public request type with its line and
 * column in every error. Whether a row makes sense against the ledger is
 * for the kind to decide; these only decode.
 */
#include <stdio.h>
#include <stdlib.h>

#include "formats.h"

bool corridor_currency_code_ok(const char *c)
{
	return strlen(c) == 3 && c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z' &&
	       c[2] >= 'A' && c[2] <= 'Z';
}

/* The next non-blank record with exactly `want` fields: 0, CORRIDOR_E_NOTFOUND
 * at the end, or an error naming the line. */
static int next_record(struct corridor_csv *c, struct corridor_csv_field *fields, size_t max,
		       char *scratch, size_t scratch_cap, size_t want, struct corridor_diag *diag)
{
	size_t n;
	for (;;) {
		int err = corridor_csv_record(c, fields, max, &n, scratch, scratch_cap, diag);
		if (err)
			return err;
		if (n == 1 && fields[0].len == 0)
			continue; /* a blank line */
		if (n != want)
			return corridor_diag_set(diag, CORRIDOR_E_INVALID,
						 "line %u: %zu fields, the header has %zu",
						 c->record_line, n, want);
		return CORRIDOR_OK;
	}
}

/* ---- deliveries ---- */

static const char *const DCOL_NAMES[CORRIDOR_DCOLS] = { "contract", "start", "end", "quantity",
							 "meter", "reference", "quality" };

int corridor_delivery_csv_open(struct corridor_delivery_csv *d, const char *csv, size_t len,
			       struct corridor_diag *diag)
{
	size_t n;
	memset(d, 0, sizeof *d);
	corridor_csv_init(&d->c, csv, len);
	int err = corridor_csv_header(&d->c, DCOL_NAMES, CORRIDOR_DCOLS, CORRIDOR_DCOL_QUALITY,
				      d->map, &n, diag);
	if (err)
		return err;
	d->has_quality = d->map[CORRIDOR_DCOL_QUALITY] >= 0;
	d->want = d->has_quality ? CORRIDOR_DCOLS : CORRIDOR_DCOLS - 1;
	return CORRIDOR_OK;
}

static int copy_field(const struct corridor_csv_field *f, const char *col, char *out, size_t cap,
		      struct corridor_diag *diag)
{
	if (f->len == 0 || f->len >= cap || strlen(f->text) != f->len)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "line %u, column %s: 1-%zu bytes expected", f->line, col,
					 cap - 1);
	memcpy(out, f->text, f->len + 1);
	return CORRIDOR_OK;
}

int corridor_delivery_csv_next(struct corridor_delivery_csv *d, struct corridor_delivery_row *row,
			       struct corridor_diag *diag)
{
	const struct corridor_csv_field *fields = d->fields, *f;
	const int *map = d->map;
	int err = next_record(&d->c, d->fields, CORRIDOR_ROW_FIELDS_MAX, d->scratch,
			      sizeof d->scratch, d->want, diag);
	if (err)
		return err;
	memset(row, 0, sizeof *row);
	row->line = d->c.record_line;
	if ((err = copy_field(&fields[map[CORRIDOR_DCOL_CONTRACT]], "contract", row->contract,
			      sizeof row->contract, diag)) ||
	    (err = copy_field(&fields[map[CORRIDOR_DCOL_METER]], "meter", row->meter,
			      sizeof row->meter, diag)) ||
	    (err = copy_field(&fields[map[CORRIDOR_DCOL_REFERENCE]], "reference", row->reference,
			      sizeof row->reference, diag)))
		return err;
	f = &fields[map[CORRIDOR_DCOL_START]];
	if (corridor_utc_parse(f->text, f->len, &row->r.start_s) != 0)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "line %u, column start: '%.40s' is not a UTC time like "
					 "2026-03-01T00:00:00Z",
					 f->line, f->text);
	f = &fields[map[CORRIDOR_DCOL_END]];
	if (corridor_utc_parse(f->text, f->len, &row->r.end_s) != 0)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "line %u, column end: '%.40s' is not a UTC time like "
					 "2026-03-01T01:00:00Z",
					 f->line, f->text);
	f = &fields[map[CORRIDOR_DCOL_QUANTITY]];
	err = corridor_decimal_parse(f->text, f->len, 3, 0, CORRIDOR_QUANTITY_MILLI_LIMIT - 1,
				     &row->r.quantity_milli);
	if (err)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "line %u, column quantity: '%.40s' %s", f->line, f->text,
					 err == CORRIDOR_E_LIMIT ? "has more than 3 decimals"
					 : err == CORRIDOR_E_OVERFLOW
						 ? "is negative or not below 10^12"
						 : "is not a decimal");
	row->r.quality = 'A';
	if (d->has_quality) {
		f = &fields[map[CORRIDOR_DCOL_QUALITY]];
		if (f->len != 1 || !corridor_quality_ok(f->text[0]) ||
		    f->text[0] == CORRIDOR_QUALITY_MISSING)
			return corridor_diag_set(diag, CORRIDOR_E_INVALID,
						 "line %u, column quality: A, E, J, I, C or T "
						 "(a missing interval is a row not given)",
						 f->line);
		row->r.quality = f->text[0];
	}
	row->r.contract = row->contract;
	row->r.meter = row->meter;
	row->r.reference = row->reference;
	return CORRIDOR_OK;
}

/* ---- rates ---- */

enum rcol { RC_BASE, RC_QUOTE, RC_DATE, RC_RATE, RC_SOURCE, RCOLS };
static const char *const RCOL_NAMES[RCOLS] = { "base", "quote", "date", "rate", "source" };
_Static_assert(RCOLS <= CORRIDOR_RATE_ROW_FIELDS_MAX, "a rate row fits the field array");

int corridor_rate_csv_open(struct corridor_rate_csv *d, const char *csv, size_t len,
			   struct corridor_diag *diag)
{
	size_t n;
	memset(d, 0, sizeof *d);
	corridor_csv_init(&d->c, csv, len);
	return corridor_csv_header(&d->c, RCOL_NAMES, RCOLS, RCOLS, d->map, &n, diag);
}

int corridor_rate_csv_next(struct corridor_rate_csv *d, struct corridor_rate *r, unsigned *line,
			   struct corridor_diag *diag)
{
	const struct corridor_csv_field *f = d->fields, *c;
	const int *map = d->map;
	int err = next_record(&d->c, d->fields, CORRIDOR_RATE_ROW_FIELDS_MAX, d->scratch,
			      sizeof d->scratch, RCOLS, diag);
	if (err)
		return err;
	unsigned ln = *line = d->c.record_line;
	memset(r, 0, sizeof *r);
	c = &f[map[RC_BASE]];
	snprintf(r->base, sizeof r->base, "%.3s", c->text);
	if (c->len != 3 || !corridor_currency_code_ok(r->base))
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "line %u, column base: an ISO 4217 code", ln);
	c = &f[map[RC_QUOTE]];
	snprintf(r->quote, sizeof r->quote, "%.3s", c->text);
	if (c->len != 3 || !corridor_currency_code_ok(r->quote))
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "line %u, column quote: an ISO 4217 code", ln);
	c = &f[map[RC_DATE]];
	if (c->len != 10 || corridor_date_parse(c->text, c->len, &r->day) != 0)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "line %u, column date: '%.20s' is not YYYY-MM-DD", ln,
					 c->text);
	c = &f[map[RC_RATE]];
	err = corridor_decimal_parse(c->text, c->len, 8, 1, CORRIDOR_RATE_LIMIT - 1, &r->rate_e8);
	if (err)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "line %u, column rate: '%.40s' %s", ln, c->text,
					 err == CORRIDOR_E_LIMIT ? "has more than 8 decimals"
					 : err == CORRIDOR_E_OVERFLOW
						 ? "is not above 0 and below 1000000"
						 : "is not a decimal");
	c = &f[map[RC_SOURCE]];
	if (c->len > CORRIDOR_SOURCE_BYTES_MAX)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "line %u, column source: longer than %u", ln,
					 CORRIDOR_SOURCE_BYTES_MAX);
	snprintf(r->source, sizeof r->source, "%s", c->text);
	return CORRIDOR_OK;
}

/* ---- the Measurement Value Document's map ---- */

enum mcol { MC_POINT, MC_IN, MC_OUT, MC_CONTRACT, MC_METER, MCOLS };
static const char *const MCOL_NAMES[MCOLS] = { "point", "in_domain", "out_domain", "contract",
					       "meter" };

/* A field that may be empty, into out. */
static int copy_opt(const struct corridor_csv_field *f, const char *col, char *out, size_t cap,
		    struct corridor_diag *diag)
{
	if (f->len == 0) {
		out[0] = '\0';
		return CORRIDOR_OK;
	}
	return copy_field(f, col, out, cap, diag);
}

int corridor_mvd_map_parse(const char *csv, size_t len, struct corridor_mvd_map_row **out,
			   size_t *count, struct corridor_diag *diag)
{
	struct corridor_csv c;
	struct corridor_csv_field f[MCOLS + 1];
	char scratch[512];
	int map[MCOLS];
	size_t width, n = 0, cap = 0;
	struct corridor_mvd_map_row *rows = NULL;
	*out = NULL;
	*count = 0;
	corridor_csv_init(&c, csv, len);
	int err = corridor_csv_header(&c, MCOL_NAMES, MCOLS, MCOLS, map, &width, diag);
	while (!err) {
		err = next_record(&c, f, MCOLS + 1, scratch, sizeof scratch, MCOLS, diag);
		if (err == CORRIDOR_E_NOTFOUND) {
			err = CORRIDOR_OK;
			break;
		}
		if (err)
			break;
		if (n >= CORRIDOR_MVD_MAP_ROWS_MAX) {
			err = corridor_diag_set(diag, CORRIDOR_E_LIMIT, "the map has more than %u rows",
						CORRIDOR_MVD_MAP_ROWS_MAX);
			break;
		}
		if (n == cap) {
			size_t nc = cap ? 2 * cap : 16;
			void *nr = realloc(rows, nc * sizeof *rows);
			if (!nr) {
				err = corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
				break;
			}
			rows = nr;
			cap = nc;
		}
		struct corridor_mvd_map_row *r = &rows[n];
		memset(r, 0, sizeof *r);
		r->line = c.record_line;
		if ((err = copy_opt(&f[map[MC_POINT]], "point", r->point, sizeof r->point, diag)) ||
		    (err = copy_opt(&f[map[MC_IN]], "in_domain", r->in_domain, sizeof r->in_domain,
				    diag)) ||
		    (err = copy_opt(&f[map[MC_OUT]], "out_domain", r->out_domain,
				    sizeof r->out_domain, diag)) ||
		    (err = copy_field(&f[map[MC_CONTRACT]], "contract", r->contract,
				      sizeof r->contract, diag)) ||
		    (err = copy_field(&f[map[MC_METER]], "meter", r->meter, sizeof r->meter, diag)))
			break;
		if (!r->point[0] && (!r->in_domain[0] || !r->out_domain[0])) {
			err = corridor_diag_set(diag, CORRIDOR_E_INVALID,
						"line %u: a row names a point, or both domains",
						r->line);
			break;
		}
		n++;
	}
	if (err) {
		free(rows);
		return err;
	}
	*out = rows;
	*count = n;
	return CORRIDOR_OK;
}

/* ---- writing a readings CSV ---- */

/* A field, quoted when it holds a comma, a quote or a line break. */
static void csv_put(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

void corridor_delivery_csv_header(FILE *f)
{
	fputs("contract,start,end,quantity,meter,reference,quality\r\n", f);
}

void corridor_delivery_csv_row(FILE *f, const struct corridor_delivery *d, const char *reference)
{
	char s[21], e[21], q[32];
	corridor_utc_format(d->start_s, s);
	corridor_utc_format(d->end_s, e);
	corridor_decimal_format(d->quantity_milli, 3, q, sizeof q);
	csv_put(f, d->contract);
	fprintf(f, ",%s,%s,%s,", s, e, q);
	csv_put(f, d->meter);
	fputc(',', f);
	csv_put(f, reference);
	fprintf(f, ",%c\r\n", d->quality);
}
