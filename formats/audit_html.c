/*
 * audit_html.c — the audit report as one self-contained HTML5 document
 * (docs/AUDITING.md "The audit report"): inline CSS (a print stylesheet
 * too), inline SVG plots drawn here, tables that name the seqs behind
 * every figure, and the figures as JSON in a data block. Nothing is
 * fetched: a Content-Security-Policy of default-src 'none' makes any
 * attempt an error a browser reports.
 *
 * Plot coordinates are integers (pixels), computed from the integer
 * amounts and quantities with 64-bit arithmetic; no floating point comes
 * near a figure.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats.h"
#include "corridor/audit.h"
#include "corridor/views.h"

/* ---- text ---- */

/* s escaped for HTML text and attribute values. */
static void esc(FILE *f, const char *s)
{
	corridor_markup_put(f, s);
}

static void date(int32_t day, char out[11])
{
	corridor_date_format(day, out);
}

static void month_label(int32_t day, char out[8])
{
	char d[11];
	corridor_date_format(day, d);
	memcpy(out, d, 7);
	out[7] = '\0';
}

static int32_t next_month(int32_t day)
{
	int32_t y;
	unsigned m, d;
	corridor_civil_from_days(day, &y, &m, &d);
	static const unsigned len[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	unsigned n = len[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
	return day - (int32_t)(d - 1) + (int32_t)n;
}

/* An exact decimal with thousands separators ("1,234,567.50"). */
static void grouped(int64_t v, unsigned decimals, char *out, size_t cap)
{
	char raw[48];
	corridor_decimal_format(v, decimals, raw, sizeof raw);
	const char *p = raw, *dot = strchr(raw, '.');
	size_t at = 0, digits = (size_t)((dot ? dot : raw + strlen(raw)) - raw);
	if (*p == '-') {
		out[at++] = '-';
		p++;
		digits--;
	}
	for (size_t i = 0; i < digits && at + 2 < cap; i++) {
		if (i && (digits - i) % 3 == 0)
			out[at++] = ',';
		out[at++] = p[i];
	}
	if (dot)
		at += (size_t)snprintf(out + at, cap - at, "%s", dot);
	out[at < cap ? at : cap - 1] = '\0';
}

static void money(const struct corridor_audit *a, const char *cur, int64_t minor, char *out,
		  size_t cap)
{
	grouped(minor, corridor_scales_decimals(&a->scales, cur), out, cap);
}

/* ---- plots ---- */

#define PLOT_W 900
#define PLOT_H 280
#define PLOT_L 96 /* room for the y labels */
#define PLOT_R 16
#define PLOT_T 34 /* the legend */
#define PLOT_B 44 /* the x labels */
#define INNER_W (PLOT_W - PLOT_L - PLOT_R)
#define INNER_H (PLOT_H - PLOT_T - PLOT_B)

static const char *const COLOURS[] = { "#1f5fa8", "#e07b00", "#2e8540", "#8e44ad",
				       "#b03060", "#00838f", "#6d4c41", "#5d6d7e" };
#define COLOUR(i) COLOURS[(i) % (sizeof COLOURS / sizeof COLOURS[0])]
#define RED "#c62828"

struct axis {
	int64_t lo, hi;   /* the y range, in the figures' units */
	int64_t step;     /* between ticks */
	unsigned decimals; /* of the units */
	const char *unit;
};

/* v scaled into [0, px] of [lo, hi], without overflow. */
static int64_t scale(int64_t v, int64_t lo, int64_t hi, int64_t px)
{
	if (hi <= lo)
		return 0;
	if (v <= lo)
		return 0;
	if (v >= hi)
		return px;
	uint64_t span = (uint64_t)hi - (uint64_t)lo, off = (uint64_t)v - (uint64_t)lo;
	while (span > UINT64_MAX / (uint64_t)px) {
		span >>= 1;
		off >>= 1;
	}
	return (int64_t)(off * (uint64_t)px / (span ? span : 1));
}

static int64_t y_px(const struct axis *ax, int64_t v)
{
	return PLOT_T + INNER_H - scale(v, ax->lo, ax->hi, INNER_H);
}

/* A range with round ticks: about five steps of 1, 2 or 5 x 10^k. */
static void axis_fit(struct axis *ax, int64_t lo, int64_t hi, bool from_zero)
{
	/* beyond half the range of int64 a plot shows nothing readable: clamp,
	 * so no step below overflows */
	if (hi > INT64_MAX / 4)
		hi = INT64_MAX / 4;
	if (lo < INT64_MIN / 4)
		lo = INT64_MIN / 4;
	if (from_zero && lo > 0)
		lo = 0;
	if (from_zero && hi < 0)
		hi = 0;
	if (hi <= lo)
		hi = lo + 1;
	uint64_t raw = ((uint64_t)hi - (uint64_t)lo) / 5u, p = 1;
	while (p <= UINT64_MAX / 10u && p * 10u <= raw)
		p *= 10u;
	uint64_t step = raw <= p ? p : raw <= 2 * p ? 2 * p : raw <= 5 * p ? 5 * p : 10 * p;
	if (step > (uint64_t)INT64_MAX / 4)
		step = (uint64_t)INT64_MAX / 4;
	ax->step = (int64_t)step;
	/* floor and ceiling to the step, away from zero */
	int64_t s = ax->step;
	ax->lo = lo >= 0 ? lo / s * s : -((-lo + s - 1) / s) * s;
	ax->hi = hi <= 0 ? -((-hi) / s * s) : (hi / s + (hi % s != 0)) * s;
	if (ax->hi <= ax->lo)
		ax->hi = ax->lo + s;
}

/* A tick's label: whole units with k, M, bn for large ones, else the
 * decimals the step needs. */
static void tick_label(const struct axis *ax, int64_t v, char *out, size_t cap)
{
	int64_t one = 1;
	for (unsigned i = 0; i < ax->decimals; i++)
		one *= 10;
	if (ax->step >= one) {
		int64_t whole = v / one, mag = whole < 0 ? -whole : whole;
		static const struct {
			int64_t unit;
			const char *suffix;
		} mags[] = { { 1000000000000LL, " tn" }, { 1000000000LL, " bn" },
			     { 1000000LL, " M" }, { 10000LL, " k" } };
		for (size_t i = 0; i < sizeof mags / sizeof mags[0]; i++) {
			int64_t u = mags[i].unit == 10000LL ? 1000LL : mags[i].unit;
			if (mag >= mags[i].unit) {
				int64_t q = mag / u, r = mag % u * 10 / u;
				if (r)
					snprintf(out, cap, "%s%" PRId64 ".%" PRId64 "%s",
						 whole < 0 ? "-" : "", q, r, mags[i].suffix);
				else
					snprintf(out, cap, "%s%" PRId64 "%s", whole < 0 ? "-" : "", q,
						 mags[i].suffix);
				return;
			}
		}
		grouped(whole, 0, out, cap);
		return;
	}
	/* the decimals the step needs */
	unsigned need = 0;
	for (int64_t s = ax->step, u = one; s % u != 0 && need < ax->decimals; u /= 10)
		need++;
	int64_t cut = 1;
	for (unsigned i = need; i < ax->decimals; i++)
		cut *= 10;
	grouped(v / cut, need, out, cap);
}

struct plot {
	FILE *f;
	const char *id;
	int32_t x0, x1; /* days [x0, x1) along x */
	struct axis ax;
};

static int64_t x_px_day(const struct plot *p, int32_t day)
{
	return PLOT_L + scale(day, p->x0, p->x1, INNER_W);
}

/* x of a time (seconds since the epoch, shifted to local time). */
static int64_t x_px_s(const struct plot *p, int64_t s)
{
	return PLOT_L + scale(s, (int64_t)p->x0 * 86400, (int64_t)p->x1 * 86400, INNER_W);
}

struct legend_item {
	const char *label;
	const char *colour;
	bool marker; /* a dot, not a swatch */
};

static void plot_open(struct plot *p, const char *title, const char *desc,
		      const struct legend_item *legend, size_t nlegend)
{
	FILE *f = p->f;
	fprintf(f, "<figure class=\"plot\"><svg xmlns=\"http://www.w3.org/2000/svg\" "
		   "viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" "
		   "aria-labelledby=\"%s-t %s-d\">\n<title id=\"%s-t\">",
		PLOT_W, PLOT_H, PLOT_W, PLOT_H, p->id, p->id, p->id);
	esc(f, title);
	fprintf(f, "</title>\n<desc id=\"%s-d\">", p->id);
	esc(f, desc);
	fputs("</desc>\n<rect x=\"0\" y=\"0\" width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n", f);
	/* the y grid and its labels */
	for (int64_t v = p->ax.lo; v <= p->ax.hi; v += p->ax.step) {
		char l[48];
		int64_t y = y_px(&p->ax, v);
		tick_label(&p->ax, v, l, sizeof l);
		fprintf(f, "<line x1=\"%d\" y1=\"%" PRId64 "\" x2=\"%d\" y2=\"%" PRId64 "\" "
			   "stroke=\"%s\" stroke-width=\"1\"/>"
			   "<text x=\"%d\" y=\"%" PRId64 "\" text-anchor=\"end\" class=\"tick\">%s</text>\n",
			PLOT_L, y, PLOT_W - PLOT_R, y, v == 0 ? "#777777" : "#e3e3e3", PLOT_L - 6,
			y + 4, l);
		if (v > INT64_MAX - p->ax.step)
			break;
	}
	fprintf(f, "<text x=\"12\" y=\"%d\" class=\"unit\" transform=\"rotate(-90 12 %d)\" "
		   "text-anchor=\"middle\">",
		PLOT_T + INNER_H / 2, PLOT_T + INNER_H / 2);
	esc(f, p->ax.unit);
	fputs("</text>\n", f);
	/* the x axis: months, or years over a long span */
	int32_t months = 0;
	for (int32_t m = p->x0; m < p->x1; m = next_month(m))
		months++;
	for (int32_t m = p->x0; m < p->x1; m = next_month(m)) {
		int32_t y;
		unsigned mo, d;
		corridor_civil_from_days(m, &y, &mo, &d);
		if (months > 24 && mo != 1 && m != p->x0)
			continue;
		static const char *const names[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
						     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
		int64_t x = x_px_day(p, m);
		fprintf(f, "<line x1=\"%" PRId64 "\" y1=\"%d\" x2=\"%" PRId64 "\" y2=\"%d\" "
			   "stroke=\"#999999\"/>",
			x, PLOT_T + INNER_H, x, PLOT_T + INNER_H + 5);
		if (months > 24)
			fprintf(f, "<text x=\"%" PRId64 "\" y=\"%d\" class=\"tick\">%d</text>\n", x + 2,
				PLOT_T + INNER_H + 18, (int)y);
		else
			fprintf(f, "<text x=\"%" PRId64 "\" y=\"%d\" class=\"tick\">%s%s%.0d</text>\n",
				x + 2, PLOT_T + INNER_H + 18, names[mo - 1],
				mo == 1 || m == p->x0 ? " " : "", mo == 1 || m == p->x0 ? (int)y : 0);
	}
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#555555\"/>\n", PLOT_L,
		PLOT_T + INNER_H, PLOT_W - PLOT_R, PLOT_T + INNER_H);
	/* the legend */
	int x = PLOT_L;
	for (size_t i = 0; i < nlegend; i++) {
		if (legend[i].marker)
			fprintf(f, "<circle cx=\"%d\" cy=\"16\" r=\"4\" fill=\"%s\"/>", x + 6,
				legend[i].colour);
		else
			fprintf(f, "<rect x=\"%d\" y=\"11\" width=\"14\" height=\"10\" fill=\"%s\"/>", x,
				legend[i].colour);
		fprintf(f, "<text x=\"%d\" y=\"20\" class=\"legend\">", x + 18);
		esc(f, legend[i].label);
		fputs("</text>\n", f);
		x += 28 + 8 * (int)strlen(legend[i].label);
	}
}

static void plot_close(struct plot *p, const char *caption)
{
	fputs("</svg><figcaption>", p->f);
	esc(p->f, caption);
	fputs("</figcaption></figure>\n", p->f);
}

/* ---- the sections ---- */

static const char *sig_status(enum corridor_audit_sig_status s)
{
	switch (s) {
	case CORRIDOR_AUDIT_SIG_OPERATOR: return "the operator's signature: verified with a key of the operator key chain";
	case CORRIDOR_AUDIT_SIG_COSIGNER: return "a cosignature by a witness named with --cosigner: verified";
	case CORRIDOR_AUDIT_SIG_AUDITOR: return "a cosignature by an auditor party of the ledger: verified with its registered key";
	case CORRIDOR_AUDIT_SIG_BAD: return "DOES NOT VERIFY";
	default: return "not checked: a key this report was not given (name it with --cosigner)";
	}
}

static void hex(FILE *f, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", b[i]);
}

static void section_verification(FILE *f, const struct corridor_audit *a)
{
	const struct corridor_audit_verification *v = &a->verification;
	fputs("<section id=\"verification\"><h2>What was verified</h2>\n", f);
	if (v->result == 0)
		fprintf(f, "<p class=\"ok\">Full verification passed: all %" PRIu64 " entries — "
			   "canonical encoding, the hash chain, every signature against a key valid "
			   "for its author at its seq, every rule replayed, every Merkle node, every "
			   "stored checkpoint and every index.</p>\n",
			v->size);
	else {
		fputs("<p class=\"bad\">Verification FAILED", f);
		if (v->failed_seq != UINT64_MAX)
			fprintf(f, " at entry %" PRIu64, v->failed_seq);
		fputs(": ", f);
		esc(f, v->why);
		fputs("</p>\n", f);
	}
	fputs("<table class=\"kv\"><tbody>\n", f);
	fputs("<tr><th>Log</th><td>", f);
	esc(f, a->origin);
	fprintf(f, "</td></tr>\n<tr><th>Log size</th><td>%" PRIu64 " entries</td></tr>\n"
		   "<tr><th>Root (SHA-256, RFC 6962)</th><td class=\"hash\">", v->size);
	hex(f, v->root, CORRIDOR_HASH_BYTES);
	fputs("</td></tr>\n", f);
	if (v->checkpoint) {
		fprintf(f, "<tr><th>Latest signed checkpoint</th><td>size %" PRIu64 ", root <span "
			   "class=\"hash\">",
			v->checkpoint_size);
		hex(f, v->checkpoint_root, CORRIDOR_HASH_BYTES);
		fprintf(f, "</span>: %s</td></tr>\n",
			v->checkpoint_ok ? "signed by the operator and a tree of this log"
					 : "<strong class=\"bad\">does not hold</strong>");
	} else {
		fputs("<tr><th>Latest signed checkpoint</th><td class=\"bad\">none</td></tr>\n", f);
	}
	fprintf(f, "<tr><th>Trusted operator key</th><td>%s</td></tr>\n",
		v->genesis_trusted ? "the key the genesis entry names (give --vkey to trust a key you "
				     "hold)"
				   : "the key given with --vkey");
	fputs("</tbody></table>\n", f);
	if (v->chain_why[0]) {
		fputs("<p class=\"bad\">Not verified: ", f);
		esc(f, v->chain_why);
		fputs("</p>\n", f);
	}
	fputs("<h3>Operator key chain</h3><table><thead><tr><th>key</th><th>key id</th>"
	      "<th>signs from seq</th></tr></thead><tbody>\n", f);
	for (size_t k = 0; k < v->key_count; k++) {
		fputs("<tr><td>", f);
		esc(f, v->keys[k].name);
		fprintf(f, "</td><td class=\"hash\">%08" PRIx32 "</td><td class=\"num\">%" PRIu64
			   "</td></tr>\n",
			v->keys[k].key_id, v->key_valid_from[k]);
	}
	fputs("</tbody></table>\n", f);
	if (v->checkpoint) {
		fputs("<h3>The checkpoint's signatures</h3><table><thead><tr><th>name</th>"
		      "<th>key id</th><th>time</th><th>what it is</th></tr></thead><tbody>\n", f);
		for (size_t i = 0; i < v->sig_count; i++) {
			const struct corridor_audit_sig *s = &v->sigs[i];
			char t[40] = "";
			if (s->time_s)
				corridor_utc_format((int64_t)s->time_s, t);
			fputs("<tr><td>", f);
			esc(f, s->name);
			fprintf(f, "</td><td class=\"hash\">%08" PRIx32 "</td><td>%s</td><td%s>%s</td>"
				   "</tr>\n",
				s->key_id, t, s->status == CORRIDOR_AUDIT_SIG_BAD ? " class=\"bad\"" : "",
				sig_status(s->status));
		}
		fputs("</tbody></table>\n<pre class=\"note\">", f);
		esc(f, v->checkpoint);
		fputs("</pre>\n", f);
	}
	fputs("</section>\n", f);
}

static const char *status_name(enum corridor_meter_status s)
{
	switch (s) {
	case CORRIDOR_METER_AGREE: return "agree";
	case CORRIDOR_METER_DISPUTED: return "disputed";
	case CORRIDOR_METER_BILLING_ONLY: return "billing only";
	default: return "other only";
	}
}

#define EXCEPTION_ROWS_SHOWN 100u

/* Both sides' readings: each interval while few, else a band per step of
 * days (an interval's least and greatest reading), disagreements marked. */
static void plot_meters(FILE *f, const struct corridor_audit *a,
			const struct corridor_audit_contract *c, size_t ci)
{
	const struct corridor_contract_terms *t = &c->terms;
	int64_t lo = 0, hi = 0;
	bool any = false;
	for (size_t i = 0; i < c->day_count; i++) {
		const struct corridor_audit_day *d = &c->days[i];
		if (d->has_billing) {
			lo = !any || d->billing_min_milli < lo ? d->billing_min_milli : lo;
			hi = !any || d->billing_max_milli > hi ? d->billing_max_milli : hi;
			any = true;
		}
		if (d->has_other) {
			lo = !any || d->other_min_milli < lo ? d->other_min_milli : lo;
			hi = !any || d->other_max_milli > hi ? d->other_max_milli : hi;
			any = true;
		}
	}
	char id[40], unit[40], title[256], desc[512];
	snprintf(id, sizeof id, "meters-%zu", ci);
	snprintf(unit, sizeof unit, "%s per interval", t->unit);
	struct plot p = { .f = f, .id = id, .x0 = a->first_day, .x1 = a->end_day };
	p.ax.decimals = 3;
	p.ax.unit = unit;
	axis_fit(&p.ax, lo, hi, true);
	bool points = c->points != NULL;
	snprintf(title, sizeof title, "%s: both sides' metered quantities", t->id);
	snprintf(desc, sizeof desc,
		 "%zu intervals compared; %s. Red marks: disagreements beyond the %u permille "
		 "tolerance; hollow marks: intervals one side did not record.",
		 c->interval_count,
		 points ? "each interval drawn"
			: "for each step of days, the band from the least to the greatest reading "
			  "of one interval",
		 t->tolerance_permille);
	char lb[80], lo_[80];
	snprintf(lb, sizeof lb, "billing (%s)", t->metering_party);
	snprintf(lo_, sizeof lo_, "other side");
	const struct legend_item legend[] = { { lb, COLOURS[0], false },
					      { lo_, COLOURS[1], false },
					      { "disputed", RED, true } };
	plot_open(&p, title, desc, legend, 3);
	int64_t off = (int64_t)t->utc_offset_min * 60;
	if (points) {
		for (int side = 0; side < 2; side++) {
			fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" "
				   "points=\"",
				COLOURS[side]);
			for (size_t i = 0; i < c->point_count; i++) {
				const struct corridor_meter_row *w = &c->points[i];
				if (side ? !w->has_other : !w->has_billing)
					continue;
				int64_t mid = (w->start_s + w->end_s) / 2 + off;
				fprintf(f, "%" PRId64 ",%" PRId64 " ", x_px_s(&p, mid),
					y_px(&p.ax, side ? w->other_milli : w->billing_milli));
			}
			fputs("\"/>\n", f);
		}
		for (size_t i = 0; i < c->point_count; i++) {
			const struct corridor_meter_row *w = &c->points[i];
			if (w->status == CORRIDOR_METER_AGREE)
				continue;
			int64_t mid = (w->start_s + w->end_s) / 2 + off;
			int64_t v = w->has_billing ? w->billing_milli : w->other_milli;
			fprintf(f, "<circle cx=\"%" PRId64 "\" cy=\"%" PRId64 "\" r=\"3.5\" %s><title>",
				x_px_s(&p, mid), y_px(&p.ax, v),
				w->status == CORRIDOR_METER_DISPUTED
					? "fill=\"" RED "\""
					: "fill=\"none\" stroke=\"" RED "\" stroke-width=\"1.5\"");
			char s[21];
			corridor_utc_format(w->start_s, s);
			fprintf(f, "%s: %s</title></circle>\n", s, status_name(w->status));
		}
	} else {
		/* days per step, so that the steps fit the pixels */
		size_t step = (c->day_count + INNER_W / 2 - 1) / (INNER_W / 2);
		if (step == 0)
			step = 1;
		for (int side = 0; side < 2; side++) {
			/* the band: forward along the greatest, back along the least */
			char *pts = NULL;
			size_t plen = 0;
			FILE *m = open_memstream(&pts, &plen);
			if (!m)
				continue;
			int64_t *mins = calloc(c->day_count / step + 1, sizeof *mins);
			int64_t *xs = calloc(c->day_count / step + 1, sizeof *xs);
			size_t nb = 0;
			for (size_t i = 0; mins && xs && i < c->day_count; i += step) {
				bool has = false;
				int64_t mn = 0, mx = 0;
				for (size_t j = i; j < i + step && j < c->day_count; j++) {
					const struct corridor_audit_day *d = &c->days[j];
					bool h = side ? d->has_other : d->has_billing;
					int64_t a0 = side ? d->other_min_milli : d->billing_min_milli;
					int64_t a1 = side ? d->other_max_milli : d->billing_max_milli;
					if (!h)
						continue;
					mn = !has || a0 < mn ? a0 : mn;
					mx = !has || a1 > mx ? a1 : mx;
					has = true;
				}
				if (!has)
					continue;
				xs[nb] = x_px_day(&p, c->days[i].day);
				mins[nb++] = y_px(&p.ax, mn);
				fprintf(m, "%" PRId64 ",%" PRId64 " ", xs[nb - 1], y_px(&p.ax, mx));
			}
			for (size_t k = nb; k-- > 0;)
				fprintf(m, "%" PRId64 ",%" PRId64 " ", xs[k], mins[k]);
			fclose(m);
			if (nb)
				fprintf(f, "<polygon fill=\"%s\" fill-opacity=\"0.35\" stroke=\"%s\" "
					   "stroke-width=\"1\" points=\"%s\"/>\n",
					COLOURS[side], COLOURS[side], pts);
			free(pts);
			free(mins);
			free(xs);
		}
		for (size_t i = 0; i < c->day_count; i++) {
			const struct corridor_audit_day *d = &c->days[i];
			if (!d->disputed && !d->billing_only && !d->other_only)
				continue;
			char day[11];
			date(d->day, day);
			fprintf(f, "<rect x=\"%" PRId64 "\" y=\"%d\" width=\"2\" height=\"8\" "
				   "fill=\"%s\"><title>%s: %" PRIu32 " disputed, %" PRIu32
				   " one-sided</title></rect>\n",
				x_px_day(&p, d->day), PLOT_T, d->disputed ? RED : "#f4a6a6", day,
				d->disputed, d->billing_only + d->other_only);
		}
	}
	plot_close(&p, desc);
}

/* Monthly billable quantity against the band. */
static void plot_performance(FILE *f, const struct corridor_audit *a,
			     const struct corridor_audit_contract *c, size_t ci)
{
	int64_t hi = 0;
	size_t n = 0;
	for (size_t m = 0; m < c->month_count; m++) {
		const struct corridor_audit_month *am = &c->months[m];
		if (!am->has_performance)
			continue;
		n++;
		const struct corridor_performance *p = &am->performance;
		hi = p->billable_milli > hi ? p->billable_milli : hi;
		hi = p->has_max && p->max_milli > hi ? p->max_milli : hi;
		hi = p->has_min && p->min_milli > hi ? p->min_milli : hi;
	}
	if (!n)
		return;
	char id[40], unit[40], title[256], desc[400];
	snprintf(id, sizeof id, "perf-%zu", ci);
	snprintf(unit, sizeof unit, "%s per month", c->terms.unit);
	struct plot p = { .f = f, .id = id, .x0 = a->first_day, .x1 = a->end_day };
	p.ax.decimals = 3;
	p.ax.unit = unit;
	axis_fit(&p.ax, 0, hi, true);
	snprintf(title, sizeof title, "%s: monthly billable quantity against the contract's band",
		 c->terms.id);
	snprintf(desc, sizeof desc,
		 "Bars: the billable quantity of each month (red below the minimum: shortfall; "
		 "purple above the maximum: excess). Shaded: the band from the minimum to the "
		 "maximum, prorated to the days of the term.");
	const struct legend_item legend[] = { { "billable", COLOURS[2], false },
					      { "shortfall", RED, false },
					      { "excess", COLOURS[3], false },
					      { "band (min..max)", "#cfd8dc", false } };
	plot_open(&p, title, desc, legend, 4);
	for (size_t m = 0; m < c->month_count; m++) {
		const struct corridor_audit_month *am = &c->months[m];
		if (!am->has_performance)
			continue;
		const struct corridor_performance *pf = &am->performance;
		int64_t x0 = x_px_day(&p, am->first_day), x1 = x_px_day(&p, next_month(am->first_day));
		int64_t w = x1 - x0, bx = x0 + w / 4, bw = w / 2 > 1 ? w / 2 : 1;
		if (pf->has_min || pf->has_max) {
			int64_t top = y_px(&p.ax, pf->has_max ? pf->max_milli : p.ax.hi);
			int64_t bot = y_px(&p.ax, pf->has_min ? pf->min_milli : 0);
			fprintf(f, "<rect x=\"%" PRId64 "\" y=\"%" PRId64 "\" width=\"%" PRId64
				   "\" height=\"%" PRId64 "\" fill=\"#cfd8dc\"/>\n",
				x0 + 1, top, w > 2 ? w - 2 : 1, bot - top > 1 ? bot - top : 1);
		}
		const char *col = pf->shortfall_milli > 0 ? RED
				  : pf->excess_milli > 0  ? COLOURS[3]
							  : COLOURS[2];
		int64_t top = y_px(&p.ax, pf->billable_milli), base = y_px(&p.ax, 0);
		char q[48], ml[8];
		grouped(pf->billable_milli, 3, q, sizeof q);
		month_label(am->first_day, ml);
		fprintf(f, "<rect x=\"%" PRId64 "\" y=\"%" PRId64 "\" width=\"%" PRId64 "\" height=\"%"
			   PRId64 "\" fill=\"%s\"><title>%s: %s %s billable</title></rect>\n",
			bx, top, bw, base - top > 0 ? base - top : 0, col, ml, q, c->terms.unit);
	}
	plot_close(&p, desc);
}

/* The invoices by contract, then period, then seq, so a contract's month
 * finds its own by bisection. */
struct inv_key {
	const char *contract;
	int32_t period_day;
	uint64_t seq;
	size_t i; /* into a->invoice_list */
};
struct by_contract {
	size_t n;
	struct inv_key *k;
};

static int by_contract_period(const void *x, const void *y)
{
	const struct inv_key *v = x, *w = y;
	int c = strcmp(v->contract, w->contract);
	if (c)
		return c;
	if (v->period_day != w->period_day)
		return v->period_day < w->period_day ? -1 : 1;
	return (v->seq > w->seq) - (v->seq < w->seq);
}

/* The first position of contract id's invoices. */
static size_t contract_first(const struct by_contract *bc, const char *id)
{
	size_t lo = 0, hi = bc->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(bc->k[mid].contract, id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void section_contract(FILE *f, const struct corridor_audit *a,
			     const struct corridor_audit_contract *c, size_t ci,
			     const struct by_contract *bc)
{
	const struct corridor_contract_terms *t = &c->terms;
	char s[11], e[11];
	date(t->start_day, s);
	date(t->end_day - 1, e);
	fputs("<section class=\"contract\"><h3 id=\"contract-", f);
	esc(f, t->id);
	fputs("\">Contract ", f);
	esc(f, t->id);
	fputs("</h3>\n<p>", f);
	esc(f, t->seller);
	fputs(" sells to ", f);
	esc(f, t->buyer);
	fprintf(f, " (%s, %s) at ",
		t->commodity == CORRIDOR_COMMODITY_GAS     ? "gas"
		: t->commodity == CORRIDOR_COMMODITY_POWER ? "power"
							   : "transit",
		t->unit);
	esc(f, t->delivery_point);
	fprintf(f, ", %s to %s, UTC%+03d:%02d; accepted at seq %" PRIu64 "; meter ", s, e,
		t->utc_offset_min / 60, abs(t->utc_offset_min % 60), c->accepted_seq);
	esc(f, t->billing_meter);
	fputs(" of ", f);
	esc(f, t->metering_party);
	fprintf(f, " bills; tolerance %u permille.</p>\n", t->tolerance_permille);
	if (c->interval_count)
		plot_meters(f, a, c, ci);
	plot_performance(f, a, c, ci);
	fprintf(f, "<table><thead><tr><th>month</th><th>billing (%s)</th><th>other</th>"
		   "<th>agree</th><th>disputed</th><th>one-sided</th><th>billable</th><th>min</th>"
		   "<th>max</th><th>shortfall</th><th>excess</th><th>invoice (seq)</th></tr></thead>"
		   "<tbody>\n",
		t->unit);
	for (size_t m = 0; m < c->month_count; m++) {
		const struct corridor_audit_month *am = &c->months[m];
		if (am->no_meters)
			continue;
		const struct corridor_meter_report *r = &am->meters;
		const struct corridor_performance *pf = &am->performance;
		char ml[8], b[48], o[48], q[48], mn[48], mx[48], sh[48], ex[48];
		month_label(am->first_day, ml);
		grouped(r->total_billing_milli, 3, b, sizeof b);
		grouped(r->total_other_milli, 3, o, sizeof o);
		grouped(pf->billable_milli, 3, q, sizeof q);
		grouped(pf->min_milli, 3, mn, sizeof mn);
		grouped(pf->max_milli, 3, mx, sizeof mx);
		grouped(pf->shortfall_milli, 3, sh, sizeof sh);
		grouped(pf->excess_milli, 3, ex, sizeof ex);
		fprintf(f, "<tr><td>%s</td><td class=\"num\">%s</td><td class=\"num\">%s</td>"
			   "<td class=\"num\">%zu</td><td class=\"num%s\">%zu</td><td class=\"num\">%zu"
			   "</td><td class=\"num\">%s</td><td class=\"num\">%s</td><td class=\"num\">%s"
			   "</td><td class=\"num\">%s</td><td class=\"num\">%s</td><td>",
			ml, b, o, r->agree, r->disputed ? " bad" : "", r->disputed,
			r->billing_only + r->other_only, am->has_performance ? q : "",
			am->has_performance && pf->has_min ? mn : "-",
			am->has_performance && pf->has_max ? mx : "-", am->has_performance ? sh : "",
			am->has_performance ? ex : "");
		for (size_t k = contract_first(bc, t->id); k < bc->n; k++) {
			const struct corridor_invoice *v = &a->invoice_list[bc->k[k].i];
			if (strcmp(v->contract, t->id) != 0 || v->period_day > am->first_day)
				break;
			if (v->period_day != am->first_day)
				continue;
			fputs(v->reversed ? "<s>" : "", f);
			esc(f, v->id);
			fprintf(f, " (%" PRIu64 ")%s ", v->seq, v->reversed ? "</s>" : "");
		}
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody></table>\n", f);
	size_t shown = 0, total = 0;
	for (size_t m = 0; m < c->month_count; m++)
		total += c->months[m].meters.count;
	if (total) {
		fprintf(f, "<details><summary>%zu disputed intervals</summary><table><thead>"
			   "<tr><th>start (UTC)</th><th>end</th><th>billing</th><th>seq</th>"
			   "<th>other</th><th>seq</th><th>difference</th><th>status</th></tr></thead>"
			   "<tbody>\n",
			total);
		for (size_t m = 0; m < c->month_count && shown < EXCEPTION_ROWS_SHOWN; m++) {
			const struct corridor_meter_report *r = &c->months[m].meters;
			for (size_t i = 0; i < r->count && shown < EXCEPTION_ROWS_SHOWN; i++, shown++) {
				const struct corridor_meter_row *w = &r->rows[i];
				char st[21], en[21], b[48] = "-", o[48] = "-", d[48] = "-";
				corridor_utc_format(w->start_s, st);
				corridor_utc_format(w->end_s, en);
				if (w->has_billing)
					grouped(w->billing_milli, 3, b, sizeof b);
				if (w->has_other)
					grouped(w->other_milli, 3, o, sizeof o);
				if (w->has_billing && w->has_other)
					grouped(w->billing_milli - w->other_milli, 3, d, sizeof d);
				char bs[24] = "", os[24] = "";
				if (w->billing_seq)
					snprintf(bs, sizeof bs, "%" PRIu64, w->billing_seq);
				if (w->other_seq)
					snprintf(os, sizeof os, "%" PRIu64, w->other_seq);
				fprintf(f, "<tr><td>%s</td><td>%s</td><td class=\"num\">%s</td>"
					   "<td class=\"num\">%s</td><td class=\"num\">%s</td>"
					   "<td class=\"num\">%s</td><td class=\"num\">%s</td><td>%s</td>"
					   "</tr>\n",
					st, en, b, bs, o, os, d, status_name(w->status));
			}
		}
		fputs("</tbody></table>", f);
		if (total > shown)
			fprintf(f, "<p>%zu more in the embedded data (meters).</p>", total - shown);
		fputs("</details>\n", f);
	}
	/* one-sided intervals, run by run */
	size_t runs = 0, one_sided = 0;
	for (size_t m = 0; m < c->month_count; m++) {
		runs += c->months[m].run_count;
		for (size_t k = 0; k < c->months[m].run_count; k++)
			one_sided += c->months[m].runs[k].intervals;
	}
	if (runs) {
		fprintf(f, "<details><summary>%zu intervals one side did not record, in %zu runs"
			   "</summary><table><thead><tr><th>from (UTC)</th><th>to</th><th>intervals</th>"
			   "<th>recorded by</th></tr></thead><tbody>\n",
			one_sided, runs);
		shown = 0;
		for (size_t m = 0; m < c->month_count && shown < EXCEPTION_ROWS_SHOWN; m++)
			for (size_t k = 0; k < c->months[m].run_count && shown < EXCEPTION_ROWS_SHOWN;
			     k++, shown++) {
				const struct corridor_audit_run *u = &c->months[m].runs[k];
				char st[21], en[21];
				corridor_utc_format(u->start_s, st);
				corridor_utc_format(u->end_s, en);
				fprintf(f, "<tr><td>%s</td><td>%s</td><td class=\"num\">%" PRIu32
					   "</td><td>%s</td></tr>\n",
					st, en, u->intervals,
					u->status == CORRIDOR_METER_BILLING_ONLY ? "the billing side only"
										 : "the other side only");
			}
		fputs("</tbody></table>", f);
		if (runs > shown)
			fprintf(f, "<p>%zu more in the embedded data (one_sided).</p>", runs - shown);
		fputs("</details>\n", f);
	}
	fputs("</section>\n", f);
}

/* The currencies the invoices settle in, the aging and balances use. */
struct currencies {
	size_t n;
	char code[CORRIDOR_CURRENCIES_MAX][4];
};

static void currency_add(struct currencies *c, const char *code)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->code[i], code))
			return;
	if (c->n < CORRIDOR_CURRENCIES_MAX)
		snprintf(c->code[c->n++], 4, "%s", code);
}

static int64_t sat_add(int64_t a, int64_t b)
{
	if (b > 0 && a > INT64_MAX - b)
		return INT64_MAX;
	if (b < 0 && a < INT64_MIN - b)
		return INT64_MIN;
	return a + b;
}

/* The month of the span a day falls in (an index of a->month_ends), or
 * month_end_count if it is outside the span. */
static size_t month_of(const struct corridor_audit *a, int32_t day)
{
	if (day < a->first_day || day >= a->end_day)
		return a->month_end_count;
	size_t lo = 0, hi = a->month_end_count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (a->month_ends[mid].day < day)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Per currency: invoiced and paid per month; the aging at each month's end. */
static void plots_money(FILE *f, const struct corridor_audit *a, const struct currencies *cs)
{
	size_t months = a->month_end_count;
	int64_t *inv = calloc(months + 1, sizeof *inv), *paid = calloc(months + 1, sizeof *paid);
	int64_t(*age)[CORRIDOR_AGING_BUCKETS] = calloc(months + 1, sizeof *age);
	if (!inv || !paid || !age)
		goto out_free;
	for (size_t ci = 0; ci < cs->n; ci++) {
		const char *cur = cs->code[ci];
		unsigned dec = corridor_scales_decimals(&a->scales, cur);
		memset(inv, 0, (months + 1) * sizeof *inv);
		memset(paid, 0, (months + 1) * sizeof *paid);
		memset(age, 0, (months + 1) * sizeof *age);
		int64_t hi = 0;
		/* one pass each: a day's month is the first month end on or after it */
		for (size_t i = 0; i < a->invoice_count; i++) {
			const struct corridor_invoice *v = &a->invoice_list[i];
			size_t m = month_of(a, v->issue_day);
			if (!v->reversed && m < months && !strcmp(v->settlement_currency, cur))
				inv[m] = sat_add(inv[m], v->total_minor < 0 ? -v->total_minor
									   : v->total_minor);
		}
		for (size_t i = 0; i < a->payment_count; i++) {
			const struct corridor_payment *p = &a->payments[i];
			size_t m = month_of(a, p->value_day);
			if (!p->reversed_by && m < months && !strcmp(p->currency, cur))
				paid[m] = sat_add(paid[m], p->amount_minor);
		}
		int32_t m0 = a->first_day;
		for (size_t m = 0; m < months; m++, m0 = next_month(m0)) {
			const struct corridor_invoice_report *r = &a->month_ends[m].invoices;
			int64_t open = 0;
			for (size_t g = 0; g < r->aging_count; g++)
				if (!strcmp(r->aging[g].currency, cur))
					for (int k = 0; k < CORRIDOR_AGING_BUCKETS; k++) {
						age[m][k] = sat_add(age[m][k], r->aging[g].bucket_minor[k]);
						open = sat_add(open, r->aging[g].bucket_minor[k]);
					}
			hi = inv[m] > hi ? inv[m] : hi;
			hi = paid[m] > hi ? paid[m] : hi;
			hi = open > hi ? open : hi;
		}
		char id[32], unit[16], title[160], desc[400];
		snprintf(id, sizeof id, "money-%zu", ci);
		snprintf(unit, sizeof unit, "%s", cur);
		struct plot p = { .f = f, .id = id, .x0 = a->first_day, .x1 = a->end_day };
		p.ax.decimals = dec;
		p.ax.unit = unit;
		axis_fit(&p.ax, 0, hi, true);
		snprintf(title, sizeof title, "Invoices, payments and open receivables in %s", cur);
		snprintf(desc, sizeof desc,
			 "For each month: the %s invoiced (by issue date; reversed invoices left out) "
			 "and paid (by value date), and at the month's end the open amounts stacked by "
			 "days past due: current, 1-30, 31-60, 61-90, over 90.",
			 cur);
		static const char *const AGE_COLOURS[] = { "#9ccc65", "#ffca28", "#ffa726", "#ef6c00",
							   RED };
		const struct legend_item legend[] = {
			{ "invoiced", COLOURS[0], false }, { "paid", COLOURS[2], false },
			{ "open: current", AGE_COLOURS[0], false }, { "1-30", AGE_COLOURS[1], false },
			{ "31-60", AGE_COLOURS[2], false },	 { "61-90", AGE_COLOURS[3], false },
			{ "over 90 days", AGE_COLOURS[4], false },
		};
		plot_open(&p, title, desc, legend, 7);
		m0 = a->first_day;
		for (size_t m = 0; m < months; m++, m0 = next_month(m0)) {
			int64_t x0 = x_px_day(&p, m0), x1 = x_px_day(&p, next_month(m0));
			int64_t w = (x1 - x0) / 4 > 1 ? (x1 - x0) / 4 : 1, base = y_px(&p.ax, 0);
			char ml[8], amt[48];
			month_label(m0, ml);
			const int64_t bars[2] = { inv[m], paid[m] };
			for (int b = 0; b < 2; b++) {
				int64_t top = y_px(&p.ax, bars[b]);
				grouped(bars[b], dec, amt, sizeof amt);
				fprintf(f, "<rect x=\"%" PRId64 "\" y=\"%" PRId64 "\" width=\"%" PRId64
					   "\" height=\"%" PRId64 "\" fill=\"%s\"><title>%s %s: %s %s"
					   "</title></rect>\n",
					x0 + w * b + w / 2, top, w, base - top, COLOURS[b ? 2 : 0], ml,
					b ? "paid" : "invoiced", amt, cur);
			}
			int64_t acc = 0;
			for (int k = 0; k < CORRIDOR_AGING_BUCKETS; k++) {
				if (age[m][k] <= 0)
					continue;
				int64_t y0 = y_px(&p.ax, acc), y1 = y_px(&p.ax, sat_add(acc, age[m][k]));
				acc = sat_add(acc, age[m][k]);
				grouped(age[m][k], dec, amt, sizeof amt);
				fprintf(f, "<rect x=\"%" PRId64 "\" y=\"%" PRId64 "\" width=\"%" PRId64
					   "\" height=\"%" PRId64 "\" fill=\"%s\"><title>open at the end "
					   "of %s, %s: %s %s</title></rect>\n",
					x0 + w * 2 + w / 2, y1, w, y0 - y1 > 0 ? y0 - y1 : 1,
					AGE_COLOURS[k], ml, k == 0 ? "current" : legend[2 + k].label, amt,
					cur);
			}
		}
		plot_close(&p, desc);
	}
out_free:
	free(inv);
	free(paid);
	free(age);
}

/* Per currency: each party's balance at each month's end. */
static void plots_balances(FILE *f, const struct corridor_audit *a, const struct currencies *cs)
{
	for (size_t ci = 0; ci < cs->n; ci++) {
		const char *cur = cs->code[ci];
		unsigned dec = corridor_scales_decimals(&a->scales, cur);
		struct parties {
			size_t n;
			char id[16][CORRIDOR_PARTY_ID_BYTES_MAX + 1];
		} ps = { 0 };
		int64_t lo = 0, hi = 0;
		for (size_t m = 0; m < a->month_end_count; m++)
			for (size_t b = 0; b < a->month_ends[m].balance_count; b++) {
				const struct corridor_balance *x = &a->month_ends[m].balances[b];
				if (strcmp(x->currency, cur) != 0)
					continue;
				lo = x->balance_minor < lo ? x->balance_minor : lo;
				hi = x->balance_minor > hi ? x->balance_minor : hi;
				size_t k = 0;
				while (k < ps.n && strcmp(ps.id[k], x->party) != 0)
					k++;
				if (k == ps.n && ps.n < 16)
					snprintf(ps.id[ps.n++], sizeof ps.id[0], "%s", x->party);
			}
		if (!ps.n)
			continue;
		char id[32], unit[16], title[160], desc[300];
		snprintf(id, sizeof id, "bal-%zu", ci);
		snprintf(unit, sizeof unit, "%s", cur);
		struct plot p = { .f = f, .id = id, .x0 = a->first_day, .x1 = a->end_day };
		p.ax.decimals = dec;
		p.ax.unit = unit;
		axis_fit(&p.ax, lo, hi, true);
		snprintf(title, sizeof title, "Balances in %s at each month's end", cur);
		snprintf(desc, sizeof desc,
			 "Each party's trial balance in %s (receivable above zero, payable below) at "
			 "each month's end; the balances of one currency sum to zero.",
			 cur);
		struct legend_item legend[16];
		for (size_t k = 0; k < ps.n; k++)
			legend[k] = (struct legend_item){ ps.id[k], COLOUR(k), true };
		plot_open(&p, title, desc, legend, ps.n);
		for (size_t k = 0; k < ps.n; k++) {
			fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"",
				COLOUR(k));
			for (size_t m = 0; m < a->month_end_count; m++) {
				int64_t v = 0;
				for (size_t b = 0; b < a->month_ends[m].balance_count; b++) {
					const struct corridor_balance *x = &a->month_ends[m].balances[b];
					if (!strcmp(x->currency, cur) && !strcmp(x->party, ps.id[k]))
						v = x->balance_minor;
				}
				fprintf(f, "%" PRId64 ",%" PRId64 " ",
					x_px_day(&p, a->month_ends[m].day + 1), y_px(&p.ax, v));
			}
			fputs("\"/>\n", f);
		}
		plot_close(&p, desc);
	}
}

/* Each FX series a settlement used, with the fixings used marked. */
static void plots_rates(FILE *f, const struct corridor_audit *a)
{
	for (size_t si = 0; si < a->series_count; si++) {
		const struct corridor_audit_series *s = &a->series[si];
		int64_t lo = INT64_MAX, hi = 0;
		for (size_t i = 0; i < s->fixing_count; i++) {
			lo = s->fixings[i].rate_e8 < lo ? s->fixings[i].rate_e8 : lo;
			hi = s->fixings[i].rate_e8 > hi ? s->fixings[i].rate_e8 : hi;
		}
		for (size_t i = 0; i < s->used_count; i++) {
			lo = s->used[i].rate.rate_e8 < lo ? s->used[i].rate.rate_e8 : lo;
			hi = s->used[i].rate.rate_e8 > hi ? s->used[i].rate.rate_e8 : hi;
		}
		if (lo > hi)
			continue;
		char id[32], unit[40], title[160], desc[300];
		snprintf(id, sizeof id, "fx-%zu", si);
		snprintf(unit, sizeof unit, "%s per %s", s->quote, s->base);
		struct plot p = { .f = f, .id = id, .x0 = a->first_day, .x1 = a->end_day };
		p.ax.decimals = 8;
		p.ax.unit = unit;
		int64_t pad = (hi - lo) / 10 + 1;
		axis_fit(&p.ax, lo - pad, hi + pad, false);
		snprintf(title, sizeof title, "%s %s/%s: the fixings used against the publisher's series",
			 s->source, s->base, s->quote);
		snprintf(desc, sizeof desc,
			 "Line: every fixing %s published in the ledger. Dots: the fixing each invoice "
			 "converted with (red: not the series' value that day).",
			 s->source);
		const struct legend_item legend[] = { { "published series", COLOURS[0], false },
						      { "used by an invoice", COLOURS[1], true },
						      { "not in the series", RED, true } };
		plot_open(&p, title, desc, legend, 3);
		fputs("<polyline fill=\"none\" stroke=\"#1f5fa8\" stroke-width=\"1.5\" points=\"", f);
		for (size_t i = 0; i < s->fixing_count; i++) {
			const struct corridor_rate *r = &s->fixings[i];
			if (r->day < a->first_day - 31 || r->day >= a->end_day)
				continue;
			fprintf(f, "%" PRId64 ",%" PRId64 " ", x_px_day(&p, r->day),
				y_px(&p.ax, r->rate_e8));
		}
		fputs("\"/>\n", f);
		for (size_t i = 0; i < s->used_count; i++) {
			const struct corridor_audit_fixing_used *u = &s->used[i];
			char d[11], r[32];
			date(u->rate.day, d);
			corridor_decimal_format(u->rate.rate_e8, 8, r, sizeof r);
			fprintf(f, "<circle cx=\"%" PRId64 "\" cy=\"%" PRId64 "\" r=\"4\" fill=\"%s\">"
				   "<title>",
				x_px_day(&p, u->rate.day), y_px(&p.ax, u->rate.rate_e8),
				u->in_series ? COLOURS[1] : RED);
			esc(f, u->invoice);
			fprintf(f, " (seq %" PRIu64 "): %s %s</title></circle>\n", u->invoice_seq, d, r);
		}
		plot_close(&p, desc);
	}
}

static const char *LINE_KIND[] = { "", "energy", "shortfall", "excess", "transit" };

static void section_invoices(FILE *f, const struct corridor_audit *a)
{
	const struct corridor_invoice_report *end =
		&a->month_ends[a->month_end_count - 1].invoices;
	char asof[11];
	date(a->month_ends[a->month_end_count - 1].day, asof);
	fputs("<table><thead><tr><th>invoice</th><th>seq</th><th>contract</th><th>debtor → "
	      "creditor</th><th>period</th><th>due</th><th>lines (quantity × price = amount)"
	      "</th><th>rate</th><th>total</th>",
	      f);
	fprintf(f, "<th>open %s</th><th>days late</th></tr></thead><tbody>\n", asof);
	for (size_t i = 0; i < a->invoice_count; i++) {
		const struct corridor_invoice *v = &a->invoice_list[i];
		char ml[8], due[11], tot[48];
		month_label(v->period_day, ml);
		date(v->due_day, due);
		money(a, v->settlement_currency, v->total_minor, tot, sizeof tot);
		fprintf(f, "<tr%s><td>", v->reversed ? " class=\"reversed\"" : "");
		esc(f, v->id);
		fprintf(f, "%s</td><td class=\"num\">%" PRIu64 "</td><td>", v->reversed ? " (reversed)" : "",
			v->seq);
		esc(f, v->contract);
		fputs("</td><td>", f);
		/* the invoice's debtor is its buyer, unless its total is negative */
		esc(f, v->total_minor < 0 ? v->seller : v->buyer);
		fputs(" → ", f);
		esc(f, v->total_minor < 0 ? v->buyer : v->seller);
		fprintf(f, "</td><td>%s</td><td>%s</td><td>", ml, due);
		const struct corridor_audit_month *pm = NULL;
		for (size_t c = 0; c < a->contract_count && !pm; c++)
			if (!strcmp(a->contracts[c].terms.id, v->contract))
				for (size_t m = 0; m < a->contracts[c].month_count; m++)
					if (a->contracts[c].months[m].first_day == v->period_day)
						pm = &a->contracts[c].months[m];
		for (size_t k = 0; k < v->line_count; k++) {
			const struct corridor_invoice_line *l = &v->lines[k];
			char q[48], pr[48], am[48], share[24] = "";
			grouped(l->quantity_milli, 3, q, sizeof q);
			grouped(l->price_micro, 6, pr, sizeof pr);
			money(a, v->currency, l->amount_minor, am, sizeof am);
			uint32_t bp = !pm ? 0
				      : l->kind == CORRIDOR_LINE_SHORTFALL ? pm->shortfall_bp
				      : l->kind == CORRIDOR_LINE_EXCESS    ? pm->excess_bp
									   : 0;
			if (bp)
				snprintf(share, sizeof share, " × %u.%02u%%", bp / 100, bp % 100);
			fprintf(f, "%s%s %s × %s%s = %s %s", k ? "<br>" : "",
				l->kind >= 1 && l->kind <= 4 ? LINE_KIND[l->kind] : "?", q, pr, share, am,
				v->currency);
		}
		for (size_t k = 0; k < v->adjustment_count; k++) {
			char am[48];
			money(a, v->settlement_currency, v->adjustments[k].amount_minor, am, sizeof am);
			fprintf(f, "<br>adjustment of ");
			esc(f, v->adjustments[k].invoice);
			fprintf(f, ": %s %s", am, v->settlement_currency);
		}
		fputs("</td><td>", f);
		if (v->converted) {
			char r[32], d[11];
			corridor_decimal_format(v->rate.rate_e8, 8, r, sizeof r);
			date(v->rate.day, d);
			esc(f, v->rate.source);
			fprintf(f, " %s/%s %s: %s", v->rate.base, v->rate.quote, d, r);
		}
		fprintf(f, "</td><td class=\"num\">%s %s</td>", tot, v->settlement_currency);
		/* the report is by id: bisect */
		const struct corridor_invoice_status *st = NULL;
		size_t lo = 0, hi = end->count;
		while (lo < hi && !st) {
			size_t mid = lo + (hi - lo) / 2;
			int c = strcmp(end->invoices[mid].id, v->id);
			if (c == 0)
				st = &end->invoices[mid];
			else if (c < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (st) {
			char o[48];
			money(a, st->currency, st->open_minor, o, sizeof o);
			fprintf(f, "<td class=\"num\">%s</td><td class=\"num%s\">%" PRId64 "</td>", o,
				st->days_overdue > 0 && st->open_minor ? " bad" : "", st->days_overdue);
		} else {
			fputs("<td></td><td></td>", f);
		}
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table>\n", f);
	fprintf(f, "<h3>Aging of open amounts on %s</h3><table><thead><tr><th>debtor</th>"
		   "<th>currency</th><th>current</th><th>1-30</th><th>31-60</th><th>61-90</th>"
		   "<th>over 90</th><th>open</th></tr></thead><tbody>\n",
		asof);
	for (size_t g = 0; g < end->aging_count; g++) {
		const struct corridor_aging_row *r = &end->aging[g];
		fputs("<tr><td>", f);
		esc(f, r->party);
		fprintf(f, "</td><td>%s</td>", r->currency);
		for (int k = 0; k < CORRIDOR_AGING_BUCKETS; k++) {
			char b[48];
			grouped(r->bucket_minor[k], r->decimals, b, sizeof b);
			fprintf(f, "<td class=\"num\">%s</td>", b);
		}
		char o[48];
		grouped(r->open_minor, r->decimals, o, sizeof o);
		fprintf(f, "<td class=\"num\">%s</td></tr>\n", o);
	}
	fputs("</tbody></table>\n", f);
}

static void section_payments(FILE *f, const struct corridor_audit *a)
{
	fputs("<table><thead><tr><th>seq</th><th>value date</th><th>payer → payee</th>"
	      "<th>amount</th><th>reference</th><th>reversed by</th></tr></thead><tbody>\n", f);
	for (size_t i = 0; i < a->payment_count; i++) {
		const struct corridor_payment *p = &a->payments[i];
		char d[11], am[48], rb[24] = "";
		date(p->value_day, d);
		money(a, p->currency, p->amount_minor, am, sizeof am);
		if (p->reversed_by)
			snprintf(rb, sizeof rb, "%" PRIu64, p->reversed_by);
		fprintf(f, "<tr%s><td class=\"num\">%" PRIu64 "</td><td>%s</td><td>",
			p->reversed_by ? " class=\"reversed\"" : "", p->seq, d);
		esc(f, p->payer);
		fputs(" → ", f);
		esc(f, p->payee);
		fprintf(f, "</td><td class=\"num\">%s %s</td><td>", am, p->currency);
		esc(f, p->reference);
		fprintf(f, "</td><td class=\"num\">%s</td></tr>\n", rb);
	}
	fputs("</tbody></table>\n", f);
}

static void section_balances(FILE *f, const struct corridor_audit *a)
{
	const struct corridor_audit_month_end *me = &a->month_ends[a->month_end_count - 1];
	char d[11];
	date(me->day, d);
	fprintf(f, "<table><thead><tr><th>currency</th><th>party</th><th>balance on %s</th></tr>"
		   "</thead><tbody>\n",
		d);
	for (size_t b = 0; b < me->balance_count; b++) {
		const struct corridor_balance *x = &me->balances[b];
		char am[48];
		grouped(x->balance_minor, x->decimals, am, sizeof am);
		fprintf(f, "<tr><td>%s</td><td>", x->currency);
		esc(f, x->party);
		fprintf(f, "</td><td class=\"num\">%s</td></tr>\n", am);
	}
	fputs("</tbody></table>\n", f);
}

static void section_rates(FILE *f, const struct corridor_audit *a)
{
	fputs("<table><thead><tr><th>invoice</th><th>seq</th><th>fixing</th><th>rate</th>"
	      "<th>set at seq</th><th>the series' value that day</th></tr></thead><tbody>\n", f);
	for (size_t si = 0; si < a->series_count; si++)
		for (size_t i = 0; i < a->series[si].used_count; i++) {
			const struct corridor_audit_fixing_used *u = &a->series[si].used[i];
			char d[11], r[32];
			date(u->rate.day, d);
			corridor_decimal_format(u->rate.rate_e8, 8, r, sizeof r);
			fputs("<tr><td>", f);
			esc(f, u->invoice);
			fprintf(f, "</td><td class=\"num\">%" PRIu64 "</td><td>", u->invoice_seq);
			esc(f, u->rate.source);
			fprintf(f, " %s/%s %s</td><td class=\"num\">%s</td><td class=\"num\">%" PRIu64
				   "</td><td%s>%s</td></tr>\n",
				u->rate.base, u->rate.quote, d, r, u->rate.seq,
				u->in_series ? "" : " class=\"bad\"",
				u->in_series ? "the same" : "DIFFERS (or none)");
		}
	fputs("</tbody></table>\n", f);
}

static void section_trace(FILE *f, const struct corridor_audit *a)
{
	fputs("<section id=\"trace\"><h2>Corrections, adjustments and reversals</h2>\n", f);
	fprintf(f, "<p>%zu in the log%s; each names the entry (seq) that made it.</p>\n",
		a->trace_count,
		a->trace_truncated ? " (the first of more than the report lists)" : "");
	fputs("<table><thead><tr><th>seq</th><th>logged (UTC)</th><th>kind</th><th>author</th>"
	      "<th>what</th><th>reason</th></tr></thead><tbody>\n", f);
	for (size_t i = 0; i < a->trace_count; i++) {
		const struct corridor_audit_trace *t = &a->trace[i];
		char when[CORRIDOR_TIME_TEXT_BYTES] = "";
		if (t->time_us)
			corridor_time_text(t->time_us, when);
		fprintf(f, "<tr><td class=\"num\">%" PRIu64 "</td><td>%s</td><td>", t->seq, when);
		esc(f, t->kind);
		fputs("</td><td>", f);
		esc(f, t->author);
		fputs("</td><td>", f);
		esc(f, t->what);
		fputs("</td><td>", f);
		esc(f, t->reason);
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody></table></section>\n", f);
}

/* ---- the data block ---- */

static int json_str(FILE *f, const char *s)
{
	return corridor_json_write_string(f, s, strlen(s));
}

static const char *sig_name(enum corridor_audit_sig_status s)
{
	switch (s) {
	case CORRIDOR_AUDIT_SIG_OPERATOR: return "operator";
	case CORRIDOR_AUDIT_SIG_COSIGNER: return "cosigner";
	case CORRIDOR_AUDIT_SIG_AUDITOR: return "auditor";
	case CORRIDOR_AUDIT_SIG_BAD: return "invalid";
	default: return "unchecked";
	}
}

static int data_json(FILE *f, const struct corridor_audit *a)
{
	const struct corridor_audit_verification *v = &a->verification;
	char d0[11], d1[11];
	int err = 0;
	date(a->first_day, d0);
	date(a->end_day - 1, d1);
	fputs("{\"format\":\"corridor-audit\",\"version\":1,\"origin\":", f);
	err |= json_str(f, a->origin);
	fprintf(f, ",\"first_day\":\"%s\",\"last_day\":\"%s\",\"verification\":{\"result\":\"%s\","
		   "\"why\":",
		d0, d1, v->result ? "failed" : "ok");
	if (v->result)
		err |= json_str(f, v->why);
	else
		fputs("null", f);
	fputs(",\"seq\":", f);
	if (v->failed_seq != UINT64_MAX)
		fprintf(f, "%" PRIu64, v->failed_seq);
	else
		fputs("null", f);
	fprintf(f, ",\"size\":%" PRIu64 ",\"root\":\"", v->size);
	hex(f, v->root, CORRIDOR_HASH_BYTES);
	fputs("\",\"checkpoint\":", f);
	if (v->checkpoint) {
		fprintf(f, "{\"size\":%" PRIu64 ",\"root\":\"", v->checkpoint_size);
		hex(f, v->checkpoint_root, CORRIDOR_HASH_BYTES);
		fprintf(f, "\",\"valid\":%s,\"note\":", v->checkpoint_ok ? "true" : "false");
		err |= json_str(f, v->checkpoint);
		fputs(",\"signatures\":[", f);
		for (size_t i = 0; i < v->sig_count; i++) {
			fputs(i ? ",{\"name\":" : "{\"name\":", f);
			err |= json_str(f, v->sigs[i].name);
			fprintf(f, ",\"key_id\":\"%08" PRIx32 "\",\"status\":\"%s\",\"time\":%" PRIu64 "}",
				v->sigs[i].key_id, sig_name(v->sigs[i].status), v->sigs[i].time_s);
		}
		fputs("]}", f);
	} else {
		fputs("null", f);
	}
	fprintf(f, ",\"operator_key_trusted\":\"%s\",\"operator_key_chain\":",
		v->genesis_trusted ? "genesis" : "given");
	if (v->chain_why[0])
		err |= json_str(f, v->chain_why);
	else
		fputs("\"ok\"", f);
	fputs(",\"operator_keys\":[", f);
	for (size_t k = 0; k < v->key_count; k++) {
		fputs(k ? ",{\"name\":" : "{\"name\":", f);
		err |= json_str(f, v->keys[k].name);
		fprintf(f, ",\"key_id\":\"%08" PRIx32 "\",\"valid_from\":%" PRIu64 "}",
			v->keys[k].key_id, v->key_valid_from[k]);
	}
	fputs("]}", f);
	/* the reports, as their JSON prints them */
	const struct corridor_audit_month_end *last = &a->month_ends[a->month_end_count - 1];
	fputs(",\"balances\":[", f);
	for (size_t b = 0; b < last->balance_count; b++) {
		fputs(b ? "," : "", f);
		err |= corridor_balance_json(f, &last->balances[b]);
	}
	fputs("],\"balances_monthly\":[", f);
	for (size_t m = 0; m < a->month_end_count; m++) {
		char d[11];
		date(a->month_ends[m].day, d);
		fprintf(f, "%s{\"as_of\":\"%s\",\"balances\":[", m ? "," : "", d);
		for (size_t b = 0; b < a->month_ends[m].balance_count; b++) {
			fputs(b ? "," : "", f);
			err |= corridor_balance_json(f, &a->month_ends[m].balances[b]);
		}
		fputs("]}", f);
	}
	fputs("],\"invoices\":", f);
	err |= corridor_invoice_report_json(f, &last->invoices, last->day);
	fputs(",\"aging_monthly\":[", f);
	for (size_t m = 0; m < a->month_end_count; m++) {
		char d[11];
		const struct corridor_invoice_report *r = &a->month_ends[m].invoices;
		date(a->month_ends[m].day, d);
		fprintf(f, "%s{\"as_of\":\"%s\",\"aging\":[", m ? "," : "", d);
		for (size_t g = 0; g < r->aging_count; g++) {
			fputs(g ? "," : "", f);
			err |= corridor_aging_json(f, &r->aging[g]);
		}
		fputs("]}", f);
	}
	/* performance as `report performance --period P --monthly` */
	fputs("],\"performance\":{\"periods\":[", f);
	size_t groups = 0;
	for (int32_t m = a->first_day, mi = 0; m < a->end_day; m = next_month(m), mi++) {
		size_t n = 0;
		for (size_t c = 0; c < a->contract_count; c++) {
			const struct corridor_audit_month *am = &a->contracts[c].months[mi];
			if (!am->has_performance)
				continue;
			if (n == 0) {
				char ml[8];
				month_label(m, ml);
				fprintf(f, "%s{\"period\":\"%s\",\"contracts\":[", groups ? "," : "", ml);
				groups++;
			}
			fputs(n++ ? "," : "", f);
			err |= corridor_performance_json(f, &am->performance);
		}
		if (n)
			fputs("]}", f);
	}
	fputs("]},\"meters\":[", f);
	size_t nm = 0;
	for (size_t c = 0; c < a->contract_count; c++)
		for (size_t m = 0; m < a->contracts[c].month_count; m++) {
			const struct corridor_audit_month *am = &a->contracts[c].months[m];
			if (am->no_meters)
				continue;
			char ml[8];
			month_label(am->first_day, ml);
			fputs(nm++ ? "," : "", f);
			err |= corridor_meter_report_json(f, &am->meters, ml);
		}
	fputs("],\"one_sided\":[", f);
	nm = 0;
	for (size_t c = 0; c < a->contract_count; c++)
		for (size_t m = 0; m < a->contracts[c].month_count; m++) {
			const struct corridor_audit_month *am = &a->contracts[c].months[m];
			if (!am->run_count)
				continue;
			char ml[8];
			month_label(am->first_day, ml);
			fprintf(f, "%s{\"contract\":", nm++ ? "," : "");
			err |= json_str(f, a->contracts[c].terms.id);
			fprintf(f, ",\"period\":\"%s\",\"runs\":[", ml);
			for (size_t k = 0; k < am->run_count; k++) {
				const struct corridor_audit_run *u = &am->runs[k];
				char st[21], en[21];
				corridor_utc_format(u->start_s, st);
				corridor_utc_format(u->end_s, en);
				fprintf(f, "%s{\"start\":\"%s\",\"end\":\"%s\",\"status\":\"%s\","
					   "\"intervals\":%" PRIu32 "}",
					k ? "," : "", st, en,
					u->status == CORRIDOR_METER_BILLING_ONLY ? "billing-only"
										 : "other-only",
					u->intervals);
			}
			fputs("]}", f);
		}
	fputs("],\"invoice_list\":[", f);
	for (size_t i = 0; i < a->invoice_count; i++) {
		fputs(i ? "," : "", f);
		err |= corridor_invoice_json(f, &a->scales, &a->invoice_list[i]);
	}
	fputs("],\"payments\":[", f);
	for (size_t i = 0; i < a->payment_count; i++) {
		fputs(i ? "," : "", f);
		err |= corridor_payment_json(f, &a->scales, &a->payments[i]);
	}
	fputs("],\"fx\":[", f);
	for (size_t si = 0; si < a->series_count; si++) {
		const struct corridor_audit_series *s = &a->series[si];
		fprintf(f, "%s{\"source\":", si ? "," : "");
		err |= json_str(f, s->source);
		fprintf(f, ",\"base\":\"%s\",\"quote\":\"%s\",\"fixings\":[", s->base, s->quote);
		for (size_t i = 0; i < s->fixing_count; i++) {
			fputs(i ? "," : "", f);
			err |= corridor_rate_json(f, &s->fixings[i]);
		}
		fputs("],\"used\":[", f);
		for (size_t i = 0; i < s->used_count; i++) {
			const struct corridor_audit_fixing_used *u = &s->used[i];
			char d[11], r[32];
			date(u->rate.day, d);
			corridor_decimal_format(u->rate.rate_e8, 8, r, sizeof r);
			fprintf(f, "%s{\"invoice\":", i ? "," : "");
			err |= json_str(f, u->invoice);
			fprintf(f, ",\"seq\":%" PRIu64 ",\"date\":\"%s\",\"rate\":\"%s\",\"rate_seq\":%"
				   PRIu64 ",\"in_series\":%s}",
				u->invoice_seq, d, r, u->rate.seq, u->in_series ? "true" : "false");
		}
		fputs("]}", f);
	}
	fputs("],\"trace\":[", f);
	for (size_t i = 0; i < a->trace_count; i++) {
		const struct corridor_audit_trace *t = &a->trace[i];
		char when[CORRIDOR_TIME_TEXT_BYTES] = "";
		if (t->time_us)
			corridor_time_text(t->time_us, when);
		fprintf(f, "%s{\"seq\":%" PRIu64 ",\"time\":", i ? "," : "", t->seq);
		if (t->time_us)
			err |= json_str(f, when);
		else
			fputs("null", f);
		fputs(",\"kind\":", f);
		err |= json_str(f, t->kind);
		fputs(",\"author\":", f);
		err |= json_str(f, t->author);
		fputs(",\"what\":", f);
		err |= json_str(f, t->what);
		fputs(",\"reason\":", f);
		err |= json_str(f, t->reason);
		fputc('}', f);
	}
	fprintf(f, "],\"trace_truncated\":%s}", a->trace_truncated ? "true" : "false");
	return err ? CORRIDOR_E_IO : CORRIDOR_OK;
}

/* ---- the page ---- */

static const char STYLE[] =
	"body{font-family:'DejaVu Sans',Verdana,sans-serif;font-size:14px;color:#1b1b1b;"
	"background:#ffffff;margin:24px auto;max-width:960px;padding:0 16px}"
	"h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;border-bottom:2px solid #1f5fa8;"
	"padding-bottom:3px;margin-top:32px}h3{font-size:16px;margin-top:22px}"
	"table{border-collapse:collapse;margin:8px 0 16px;font-size:12px}"
	"th,td{border:1px solid #cfd8dc;padding:3px 6px;text-align:left;vertical-align:top}"
	"th{background:#eceff1}td.num{text-align:right;font-variant-numeric:tabular-nums;"
	"white-space:nowrap}.hash{font-family:'DejaVu Sans Mono',monospace;font-size:11px;"
	"word-break:break-all}.ok{color:#1b5e20;font-weight:bold}.bad{color:#b71c1c;"
	"font-weight:bold}tr.reversed td{color:#777777;text-decoration:line-through}"
	"pre.note{background:#f5f5f5;padding:8px;font-size:11px;white-space:pre-wrap;"
	"word-break:break-all}table.kv th{width:220px}"
	"figure.plot{margin:12px 0}figure.plot svg{max-width:100%;height:auto;"
	"border:1px solid #e0e0e0}figcaption{font-size:12px;color:#555555}"
	"svg text{font-family:'DejaVu Sans',Verdana,sans-serif}svg .tick{font-size:11px;"
	"fill:#444444}svg .legend{font-size:12px;fill:#1b1b1b}svg .unit{font-size:11px;"
	"fill:#444444}nav ul{columns:2}"
	"@media print{body{max-width:none;margin:0;font-size:11px}nav{display:none}"
	"section.contract,figure.plot{break-inside:avoid}h2{break-before:page}"
	"h2:first-of-type{break-before:auto}details>summary{display:none}"
	"figure.plot svg{border:none}a{color:inherit;text-decoration:none}}"
	"@page{size:A4;margin:14mm}";

int corridor_audit_html(FILE *f, const struct corridor_audit *a)
{
	if (a->month_end_count == 0)
		return CORRIDOR_E_INVALID;
	/* the data first, so that a failure writes nothing half-way */
	char *data = NULL;
	size_t dlen = 0;
	FILE *m = open_memstream(&data, &dlen);
	if (!m)
		return CORRIDOR_E_NOMEM;
	int err = data_json(m, a);
	if (fclose(m) != 0 && !err)
		err = CORRIDOR_E_NOMEM;
	if (err) {
		free(data);
		return err;
	}
	char d0[11], d1[11], gen[CORRIDOR_TIME_TEXT_BYTES];
	date(a->first_day, d0);
	date(a->end_day - 1, d1);
	corridor_time_text(a->generated_us, gen);
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	      "style-src 'unsafe-inline'\">\n<meta name=\"viewport\" content=\"width=device-width, "
	      "initial-scale=1\">\n<title>Audit of ",
	      f);
	esc(f, a->origin);
	fprintf(f, ", %s to %s</title>\n<style>%s</style>\n</head>\n<body>\n<header><h1>Audit of ",
		d0, d1, STYLE);
	esc(f, a->origin);
	fprintf(f, "</h1><p>%s to %s · %zu contracts · %zu invoices · %zu payments · written %s by "
		   "corridor %s (<code>corridor report audit</code>)</p></header>\n",
		d0, d1, a->contract_count, a->invoice_count, a->payment_count, gen,
		corridor_version());
	fputs("<nav><ul><li><a href=\"#verification\">What was verified</a></li>"
	      "<li><a href=\"#contracts\">Contracts: meters and performance</a></li>"
	      "<li><a href=\"#invoices\">Invoices and payments</a></li>"
	      "<li><a href=\"#balances\">Balances</a></li><li><a href=\"#rates\">FX rates</a></li>"
	      "<li><a href=\"#trace\">Corrections, adjustments and reversals</a></li>"
	      "<li><a href=\"#data\">The data</a></li></ul></nav>\n",
	      f);
	section_verification(f, a);
	fputs("<section id=\"contracts\"><h2>Contracts: meters and performance</h2>\n", f);
	if (!a->contract_count)
		fputs("<p>No accepted contract runs in the period.</p>\n", f);
	struct by_contract bc = { .n = a->invoice_count,
				  .k = malloc((a->invoice_count + 1) * sizeof *bc.k) };
	if (!bc.k) {
		free(data);
		return CORRIDOR_E_NOMEM;
	}
	for (size_t i = 0; i < a->invoice_count; i++)
		bc.k[i] = (struct inv_key){ a->invoice_list[i].contract, a->invoice_list[i].period_day,
					    a->invoice_list[i].seq, i };
	if (bc.n)
		qsort(bc.k, bc.n, sizeof *bc.k, by_contract_period);
	for (size_t c = 0; c < a->contract_count; c++)
		section_contract(f, a, &a->contracts[c], c, &bc);
	free(bc.k);
	fputs("</section>\n", f);
	struct currencies *cs = calloc(1, sizeof *cs);
	if (!cs) {
		free(data);
		return CORRIDOR_E_NOMEM;
	}
	for (size_t i = 0; i < a->invoice_count; i++)
		currency_add(cs, a->invoice_list[i].settlement_currency);
	for (size_t i = 0; i < a->payment_count; i++)
		currency_add(cs, a->payments[i].currency);
	fputs("<section id=\"invoices\"><h2>Invoices and payments</h2>\n", f);
	plots_money(f, a, cs);
	fputs("<h3>Invoices of the period</h3>\n", f);
	section_invoices(f, a);
	fputs("<h3>Payments of the period</h3>\n", f);
	section_payments(f, a);
	fputs("</section>\n<section id=\"balances\"><h2>Balances</h2>\n", f);
	struct currencies *bs = calloc(1, sizeof *bs);
	for (size_t mi = 0; bs && mi < a->month_end_count; mi++)
		for (size_t b = 0; b < a->month_ends[mi].balance_count; b++)
			currency_add(bs, a->month_ends[mi].balances[b].currency);
	if (bs)
		plots_balances(f, a, bs);
	free(bs);
	free(cs);
	section_balances(f, a);
	fputs("</section>\n<section id=\"rates\"><h2>FX rates</h2>\n", f);
	if (!a->series_count)
		fputs("<p>No invoice of the period converted between currencies.</p>\n", f);
	plots_rates(f, a);
	if (a->series_count)
		section_rates(f, a);
	fputs("</section>\n", f);
	section_trace(f, a);
	fputs("<section id=\"data\"><h2>The data</h2><p>The figures of this report as JSON, in "
	      "the element <code>script#corridor-data</code>: <code>balances</code>, "
	      "<code>invoices</code>, <code>performance</code> and each of <code>meters</code> as "
	      "<code>corridor report balances|invoices|performance|meters --format json</code> "
	      "print them for this ledger and period (the meters' intervals: the disputed "
	      "ones; the one-sided ones are in <code>one_sided</code>, run by run).</p></section>\n<script type=\"application/json\" id=\"corridor-data\">",
	      f);
	/* no "</script" can end the block early: every '<' is escaped */
	for (size_t i = 0; i < dlen; i++) {
		if (data[i] == '<')
			fputs("\\u003c", f);
		else
			fputc(data[i], f);
	}
	free(data);
	fputs("</script>\n</body>\n</html>\n", f);
	return ferror(f) ? CORRIDOR_E_IO : CORRIDOR_OK;
}
