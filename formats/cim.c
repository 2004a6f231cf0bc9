/*
 * cim.c — the ENTSO-E Measurement Value Document (IEC 62325-451-n,
 * MeasurementValue_MarketDocument v1.1: type A45, process A20, system
 * operator meter alignment), read with libxml2 into one interval per
 * position, and written back from readings. docs/DELIVERIES.md says what
 * each element means to Corridor; here only what the bytes say is checked.
 *
 * What is read (elements in CORRIDOR_MVD_NS, order not relied on):
 *   mRID, revisionNumber, type (A45), process.processType (A20),
 *   sender_/receiver_MarketParticipant.mRID, createdDateTime,
 *   period.timeInterval/{start,end}, domain.mRID,
 *   TimeSeries: mRID, product (8716867000030, active energy), curveType
 *     (A01, A03), in_Domain.mRID, out_Domain.mRID, marketEvaluationPoint.mRID
 *     (optional), measurement_Unit.name (KWH, MWH),
 *     Period: timeInterval/{start,end}, resolution (PT15M, PT30M, PT60M or
 *       PT1H), Point: position, quantity (optional), quality (optional).
 * The XSD leaves much to the importer (../shared/cim/README.md "What the XSD
 * accepts"): each of those is decided here and refused with its line.
 */
#include <stdlib.h>
#include <string.h>

#include "xml.h"

#define MVD_ACTIVE_ENERGY "8716867000030"
#define MVD_QTY_INT_DIGITS_MAX 12u  /* below 10^12 of the unit */
#define MVD_QTY_SCALE 6u

struct mvd_ctx {
	const xmlChar *ns;
	bool nomem;
	struct corridor_mvd *doc;
	size_t cap_series, cap_points;
	struct corridor_diag *diag;
};

#include <stdarg.h>

__attribute__((format(printf, 3, 4))) static int fail(struct mvd_ctx *c, const xmlNode *n,
						       const char *fmt, ...)
{
	char what[200];
	va_list ap;
	if (c->nomem)
		return corridor_diag_set(c->diag, CORRIDOR_E_NOMEM, "out of memory reading the document");
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	return corridor_diag_set(c->diag, CORRIDOR_E_INVALID, "line %u: %s", corridor_xml_line(n),
				 what);
}

/* A child's text, required: its absence or excess length is refused by name. */
static int need(struct mvd_ctx *c, const xmlNode *parent, const char *name, char *out,
		size_t cap)
{
	const xmlNode *n = corridor_xml_path(parent, name, c->ns);
	if (corridor_xml_text(n, out, cap, &c->nomem) && out[0])
		return CORRIDOR_OK;
	if (n && !c->nomem)
		return corridor_diag_set(c->diag, CORRIDOR_E_INVALID, "line %u: %s: 1-%zu characters",
					 corridor_xml_line(n), name, cap - 1);
	return fail(c, parent, "%s is missing", name);
}

/* "YYYY-MM-DDTHH:MMZ" (the schema's minute precision) or with seconds. */
static bool utc_minute(const char *s, int64_t *out)
{
	char full[24];
	size_t len = strlen(s);
	if (len == 17 && s[16] == 'Z') {
		memcpy(full, s, 16);
		memcpy(full + 16, ":00Z", 5);
		return corridor_utc_parse(full, 20, out) == 0;
	}
	return len == 20 && corridor_utc_parse(s, len, out) == 0;
}

static int interval(struct mvd_ctx *c, const xmlNode *parent, const char *name, int64_t *start,
		    int64_t *end)
{
	char a[32], b[32], path[64];
	const xmlNode *iv = corridor_xml_path(parent, name, c->ns);
	if (!iv)
		return fail(c, parent, "%s is missing", name);
	snprintf(path, sizeof path, "%s/start", name);
	int err = need(c, parent, path, a, sizeof a);
	if (!err) {
		snprintf(path, sizeof path, "%s/end", name);
		err = need(c, parent, path, b, sizeof b);
	}
	if (err)
		return err;
	if (!utc_minute(a, start) || !utc_minute(b, end))
		return fail(c, iv, "%s: start and end are UTC times like 2026-05-01T00:00Z", name);
	if (*end <= *start)
		return fail(c, iv, "%s: end is not after start", name);
	return CORRIDOR_OK;
}

/* xs:decimal (optional sign, digits, optional fraction; at least one digit)
 * as millionths, exactly: 0 or the reason it is refused. */
static const char *decimal_micro(const char *s, int64_t *out)
{
	int64_t v = 0;
	unsigned ints = 0, fracs = 0;
	if (*s == '+')
		s++;
	else if (*s == '-')
		return "is negative";
	bool digits = false;
	for (; *s >= '0' && *s <= '9'; s++) {
		digits = true;
		if (ints == 0 && *s == '0')
			continue; /* leading zeros */
		if (++ints > MVD_QTY_INT_DIGITS_MAX)
			return "is not below 10^12";
		v = v * 10 + (*s - '0');
	}
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++) {
			digits = true;
			if (fracs == MVD_QTY_SCALE) {
				if (*s != '0')
					return "has more than 6 decimals";
				continue;
			}
			v = v * 10 + (*s - '0');
			fracs++;
		}
	}
	if (*s || !digits)
		return "is not a decimal";
	for (; fracs < MVD_QTY_SCALE; fracs++)
		v *= 10;
	*out = v;
	return NULL;
}

/* CIM quality codes (../shared/cim/README.md) and Corridor's (DELIVERIES.md). */
static const struct {
	const char *code;
	char quality;
} QUALITIES[] = {
	{ "A01", 'J' }, /* adjusted */
	{ "A02", 'M' }, /* not available: no reading */
	{ "A03", 'E' }, /* estimated */
	{ "A04", 'A' }, /* as provided */
	{ "A05", 'I' }, /* incomplete */
	{ "A06", 'C' }, /* calculated */
	{ "A07", 'T' }, /* temporary */
};

const char *corridor_mvd_quality_code(char quality)
{
	for (size_t i = 0; i < sizeof QUALITIES / sizeof QUALITIES[0]; i++)
		if (QUALITIES[i].quality == quality)
			return QUALITIES[i].code;
	return NULL;
}

static char quality_of(const char *code)
{
	for (size_t i = 0; i < sizeof QUALITIES / sizeof QUALITIES[0]; i++)
		if (strcmp(QUALITIES[i].code, code) == 0)
			return QUALITIES[i].quality;
	return 0;
}

static bool resolution_of(const char *s, uint32_t *res)
{
	static const struct {
		const char *text;
		uint32_t s;
	} R[] = { { "PT15M", 900 }, { "PT30M", 1800 }, { "PT60M", 3600 }, { "PT1H", 3600 } };
	for (size_t i = 0; i < sizeof R / sizeof R[0]; i++)
		if (strcmp(s, R[i].text) == 0) {
			*res = R[i].s;
			return true;
		}
	return false;
}

static int grow(struct mvd_ctx *c, size_t more)
{
	struct corridor_mvd *d = c->doc;
	if (d->npoints + more > CORRIDOR_MVD_POINTS_MAX)
		return corridor_diag_set(c->diag, CORRIDOR_E_LIMIT, "more than %u intervals",
					 CORRIDOR_MVD_POINTS_MAX);
	if (d->npoints + more <= c->cap_points)
		return CORRIDOR_OK;
	size_t cap = c->cap_points ? c->cap_points : 1024;
	while (cap < d->npoints + more)
		cap *= 2;
	void *n = realloc(d->points, cap * sizeof *d->points);
	if (!n)
		return corridor_diag_set(c->diag, CORRIDOR_E_NOMEM, "out of memory");
	d->points = n;
	c->cap_points = cap;
	return CORRIDOR_OK;
}

/* Positions of one Period: which were given, at which line. */
struct slot {
	unsigned line; /* 0: no Point */
	int64_t q;
	char quality;
};

static int read_point(struct mvd_ctx *c, const xmlNode *pt, uint32_t slots, struct slot *s)
{
	char pos[16], qty[64], ql[8];
	uint64_t p;
	int err = need(c, pt, "position", pos, sizeof pos);
	if (err)
		return err;
	if (corridor_parse_u64(pos, strlen(pos), &p) != 0 || p < 1 || p > slots)
		return fail(c, pt, "Point position %s is outside the Period's positions", pos);
	struct slot *at = &s[p - 1];
	if (at->line)
		return corridor_diag_set(c->diag, CORRIDOR_E_INVALID,
					 "line %u: Point position %s is given twice (first at line %u)",
					 corridor_xml_line(pt), pos, at->line);
	const xmlNode *qn = corridor_xml_child(pt, "quantity", c->ns);
	const xmlNode *qln = corridor_xml_child(pt, "quality", c->ns);
	bool has_q = qn != NULL;
	at->quality = 'A';
	if (qln) {
		if (!corridor_xml_text(qln, ql, sizeof ql, &c->nomem) || !(at->quality = quality_of(ql)))
			return fail(c, qln, "Point quality is one of A01-A07");
	} else if (!has_q) {
		at->quality = 'M'; /* neither quantity nor quality: nothing was read */
	}
	at->q = 0;
	if (has_q) {
		const char *why;
		if (!corridor_xml_text(qn, qty, sizeof qty, &c->nomem))
			return fail(c, qn, "Point quantity is not a decimal");
		if ((why = decimal_micro(qty, &at->q)) != NULL)
			return corridor_diag_set(c->diag, CORRIDOR_E_INVALID,
						 "line %u: Point quantity '%s' %s",
						 corridor_xml_line(qn), qty, why);
	} else if (at->quality != 'M') {
		return fail(c, pt, "Point has a quality but no quantity (only A02 may omit it)");
	}
	if (at->quality == 'M' && at->q != 0)
		return fail(c, pt, "Point is A02 (not available) but has a quantity");
	at->line = corridor_xml_line(pt);
	return CORRIDOR_OK;
}

static int read_period(struct mvd_ctx *c, const xmlNode *per, bool a03)
{
	char res_s[16];
	int64_t start, end;
	uint32_t res;
	int err = interval(c, per, "timeInterval", &start, &end);
	if (!err)
		err = need(c, per, "resolution", res_s, sizeof res_s);
	if (err)
		return err;
	if (!resolution_of(res_s, &res))
		return fail(c, corridor_xml_child(per, "resolution", c->ns),
			    "resolution %s: PT15M, PT30M or PT60M", res_s);
	if (start < c->doc->start_s || end > c->doc->end_s)
		return fail(c, per, "the Period lies outside the document's period.timeInterval");
	if ((end - start) % res != 0 || start % res != 0)
		return fail(c, per, "the Period's interval is not a whole number of %s from a "
				    "multiple of it", res_s);
	if ((uint64_t)(end - start) / res > CORRIDOR_MVD_POINTS_MAX)
		return corridor_diag_set(c->diag, CORRIDOR_E_LIMIT, "more than %u intervals",
					 CORRIDOR_MVD_POINTS_MAX);
	uint32_t slots = (uint32_t)((end - start) / res);
	struct slot *s = calloc(slots, sizeof *s);
	if (!s)
		return corridor_diag_set(c->diag, CORRIDOR_E_NOMEM, "out of memory");
	unsigned points = 0;
	for (const xmlNode *pt = corridor_xml_child(per, "Point", c->ns); pt && !err;
	     pt = corridor_xml_next(pt, "Point", c->ns), points++)
		err = read_point(c, pt, slots, s);
	if (!err && points == 0)
		err = fail(c, per, "the Period has no Point");
	/* A01: every position once; A03: a block runs to the next Point */
	for (uint32_t i = 0; i < slots && !err; i++) {
		if (s[i].line)
			continue;
		if (!a03 || i == 0) {
			char at[24];
			snprintf(at, sizeof at, "%u", i + 1);
			err = fail(c, per, "curve %s: the Period has no Point at position %s",
				   a03 ? "A03" : "A01", at);
		} else {
			s[i] = s[i - 1];
		}
	}
	if (!err)
		err = grow(c, slots);
	for (uint32_t i = 0; i < slots && !err; i++)
		c->doc->points[c->doc->npoints++] = (struct corridor_mvd_point){
			.start_s = start + (int64_t)i * res, .resolution_s = res, .line = s[i].line,
			.quantity_micro = s[i].q, .quality = s[i].quality };
	free(s);
	return err;
}

static int point_cmp(const void *a, const void *b)
{
	const struct corridor_mvd_point *x = a, *y = b;
	return x->start_s < y->start_s ? -1 : x->start_s > y->start_s;
}

static int read_series(struct mvd_ctx *c, const xmlNode *ts)
{
	struct corridor_mvd *d = c->doc;
	char curve[8], product[20], unit[8];
	if (d->nseries >= CORRIDOR_MVD_SERIES_MAX)
		return corridor_diag_set(c->diag, CORRIDOR_E_LIMIT, "more than %u TimeSeries",
					 CORRIDOR_MVD_SERIES_MAX);
	if (d->nseries == c->cap_series) {
		size_t cap = c->cap_series ? 2 * c->cap_series : 16;
		void *n = realloc(d->series, cap * sizeof *d->series);
		if (!n)
			return corridor_diag_set(c->diag, CORRIDOR_E_NOMEM, "out of memory");
		d->series = n;
		c->cap_series = cap;
	}
	struct corridor_mvd_series *s = &d->series[d->nseries];
	memset(s, 0, sizeof *s);
	s->line = corridor_xml_line(ts);
	int err;
	if ((err = need(c, ts, "mRID", s->mrid, sizeof s->mrid)) ||
	    (err = need(c, ts, "product", product, sizeof product)) ||
	    (err = need(c, ts, "curveType", curve, sizeof curve)) ||
	    (err = need(c, ts, "in_Domain.mRID", s->in_domain, sizeof s->in_domain)) ||
	    (err = need(c, ts, "out_Domain.mRID", s->out_domain, sizeof s->out_domain)) ||
	    (err = need(c, ts, "measurement_Unit.name", unit, sizeof unit)))
		return err;
	const xmlNode *mep = corridor_xml_child(ts, "marketEvaluationPoint.mRID", c->ns);
	if (mep && (err = need(c, ts, "marketEvaluationPoint.mRID", s->point, sizeof s->point)))
		return err;
	if (strcmp(product, MVD_ACTIVE_ENERGY) != 0)
		return fail(c, ts, "TimeSeries product %s: only " MVD_ACTIVE_ENERGY
				   " (active energy) is metered energy", product);
	if (strcmp(curve, "A01") != 0 && strcmp(curve, "A03") != 0)
		return fail(c, ts, "TimeSeries curveType %s: A01 or A03", curve);
	if (strcmp(unit, "KWH") == 0)
		s->unit = CORRIDOR_MVD_KWH;
	else if (strcmp(unit, "MWH") == 0)
		s->unit = CORRIDOR_MVD_MWH;
	else
		return fail(c, ts, "TimeSeries measurement_Unit.name %s: KWH or MWH", unit);
	s->first = d->npoints;
	for (const xmlNode *p = corridor_xml_child(ts, "Period", c->ns); p && !err;
	     p = corridor_xml_next(p, "Period", c->ns))
		err = read_period(c, p, strcmp(curve, "A03") == 0);
	if (err)
		return err;
	s->count = d->npoints - s->first;
	qsort(d->points + s->first, s->count, sizeof *d->points, point_cmp);
	for (size_t i = s->first + 1; i < d->npoints; i++) {
		const struct corridor_mvd_point *a = &d->points[i - 1], *b = &d->points[i];
		if (a->start_s + a->resolution_s > b->start_s)
			return corridor_diag_set(c->diag, CORRIDOR_E_INVALID,
						 "line %u: TimeSeries %s: Periods overlap (the "
						 "interval of line %u and that of line %u)",
						 s->line, s->mrid, a->line, b->line);
	}
	d->nseries++;
	return CORRIDOR_OK;
}

/* The document's header, as its elements stream past (the schema puts all
 * of them before the first TimeSeries). */
struct header {
	char rev[8], type[8], process[8], created[32];
	bool seen[9];
	unsigned root_line;
	bool checked;
};

static const char *const HEADER_FIELDS[9] = {
	"mRID", "revisionNumber", "type", "process.processType",
	"sender_MarketParticipant.mRID", "receiver_MarketParticipant.mRID", "createdDateTime",
	"domain.mRID", "period.timeInterval",
};

/* One element of the header: its text kept (the interval parsed). */
static int header_field(struct mvd_ctx *c, struct header *h, const xmlNode *n)
{
	struct corridor_mvd *d = c->doc;
	char *out[8] = { d->mrid, h->rev, h->type, h->process, d->sender, d->receiver, h->created,
			 d->domain };
	size_t cap[8] = { sizeof d->mrid, sizeof h->rev, sizeof h->type, sizeof h->process,
			  sizeof d->sender, sizeof d->receiver, sizeof h->created,
			  sizeof d->domain };
	for (unsigned i = 0; i < 9; i++) {
		if (!xmlStrEqual(n->name, (const xmlChar *)HEADER_FIELDS[i]))
			continue;
		if (h->checked)
			return fail(c, n, "%s comes after the TimeSeries", HEADER_FIELDS[i]);
		if (h->seen[i])
			return fail(c, n, "%s is given twice", HEADER_FIELDS[i]);
		h->seen[i] = true;
		if (i == 8)
			return interval(c, n->parent, HEADER_FIELDS[8], &d->start_s, &d->end_s);
		return need(c, n->parent, HEADER_FIELDS[i], out[i], cap[i]);
	}
	return CORRIDOR_OK; /* sawsdl: others (e.g. a later version's) are not read */
}

/* The header complete and valid: before the first TimeSeries is read. */
static int header_check(struct mvd_ctx *c, struct header *h, const xmlNode *at)
{
	struct corridor_mvd *d = c->doc;
	h->checked = true;
	for (unsigned i = 0; i < 9; i++)
		if (!h->seen[i])
			return fail(c, at, "%s is missing (before the TimeSeries)", HEADER_FIELDS[i]);
	uint64_t r;
	if (h->rev[0] < '1' || h->rev[0] > '9' || strlen(h->rev) > 3 ||
	    corridor_parse_u64(h->rev, strlen(h->rev), &r) != 0)
		return fail(c, at, "revisionNumber %s: 1-999", h->rev);
	d->revision = (unsigned)r;
	if (!corridor_text_ok(d->mrid, strlen(d->mrid), false) || strchr(d->mrid, ' '))
		return fail(c, at, "mRID: printable characters without spaces");
	if (strcmp(h->type, "A45") != 0)
		return fail(c, at, "type %s: a Measurement Value Document is A45", h->type);
	if (strcmp(h->process, "A20") != 0)
		return fail(c, at, "process.processType %s: A20 (meter alignment)", h->process);
	if (strlen(h->created) != 20 || corridor_utc_parse(h->created, 20, &d->created_s) != 0)
		return fail(c, at, "createdDateTime %s: a UTC time like 2026-05-02T06:00:00Z",
			    h->created);
	return CORRIDOR_OK;
}

static int top_level(struct mvd_ctx *c, struct header *h, const xmlNode *n)
{
	if (!xmlStrEqual(n->name, (const xmlChar *)"TimeSeries"))
		return header_field(c, h, n);
	int err = h->checked ? CORRIDOR_OK : header_check(c, h, n);
	return err ? err : read_series(c, n);
}

void corridor_mvd_release(struct corridor_mvd *doc)
{
	free(doc->series);
	free(doc->points);
	memset(doc, 0, sizeof *doc);
}

#define MVD_WHAT "a Measurement Value Document"

/* The document streamed: the root checked, then each of its child elements
 * expanded, read and let go in turn, so memory follows one TimeSeries. */
static int read_stream(struct mvd_ctx *c, struct corridor_xml_stream *st)
{
	struct header h;
	memset(&h, 0, sizeof h);
	int ret;
	while ((ret = xmlTextReaderRead(st->r)) == 1) {
		int type = xmlTextReaderNodeType(st->r);
		if (type == XML_READER_TYPE_DOCUMENT_TYPE)
			return corridor_diag_set(c->diag, CORRIDOR_E_INVALID,
						 MVD_WHAT " carries no DTD: a document with a "
						 "DOCTYPE (and so any entity) is refused");
		if (type == XML_READER_TYPE_ELEMENT)
			break;
	}
	if (ret != 1)
		return ret == 0 ? corridor_diag_set(c->diag, CORRIDOR_E_MALFORMED,
						    "not well-formed XML: no root element")
				: corridor_xml_stream_fail(st, MVD_WHAT, c->diag);
	xmlNode *root = xmlTextReaderCurrentNode(st->r);
	const char *href = root && root->ns ? (const char *)root->ns->href : "";
	if (!root || !xmlStrEqual(root->name, (const xmlChar *)"MeasurementValue_MarketDocument") ||
	    strcmp(href, CORRIDOR_MVD_NS) != 0)
		return corridor_diag_set(c->diag, CORRIDOR_E_INVALID,
					 "line %u: not a Measurement Value Document v1.1: the root "
					 "is <%.60s> in namespace '%.120s', not "
					 "MeasurementValue_MarketDocument in %s",
					 corridor_xml_line(root), root ? (const char *)root->name : "",
					 href, CORRIDOR_MVD_NS);
	c->ns = root->ns->href;
	h.root_line = corridor_xml_line(root);
	int err = CORRIDOR_OK;
	ret = xmlTextReaderIsEmptyElement(st->r) ? 0 : xmlTextReaderRead(st->r);
	while (ret == 1 && !err) {
		int depth = xmlTextReaderDepth(st->r), type = xmlTextReaderNodeType(st->r);
		if (depth == 0)
			break; /* the root's end */
		if (depth == 1 && type == XML_READER_TYPE_ELEMENT) {
			xmlNode *n = xmlTextReaderExpand(st->r);
			if (!n)
				return corridor_xml_stream_fail(st, MVD_WHAT, c->diag);
			if (n->ns && xmlStrEqual(n->ns->href, c->ns) && (err = top_level(c, &h, n)))
				break;
			ret = xmlTextReaderNext(st->r);
			continue;
		}
		ret = xmlTextReaderRead(st->r);
	}
	if (err)
		return err;
	while (ret == 1) /* the rest must be well-formed too */
		ret = xmlTextReaderRead(st->r);
	if (ret == -1 || st->nomem)
		return corridor_xml_stream_fail(st, MVD_WHAT, c->diag);
	if (!h.checked && (err = header_check(c, &h, root)) != 0)
		return err;
	if (c->doc->nseries == 0)
		return corridor_diag_set(c->diag, CORRIDOR_E_INVALID,
					 "line %u: the document has no TimeSeries", h.root_line);
	return CORRIDOR_OK;
}

int corridor_mvd_parse(const char *xml, size_t len, struct corridor_mvd *out,
		       struct corridor_diag *diag)
{
	struct mvd_ctx c = { .doc = out, .diag = diag };
	struct corridor_xml_stream st;
	memset(out, 0, sizeof *out);
	if (len > CORRIDOR_MVD_BYTES_MAX)
		return corridor_diag_set(diag, CORRIDOR_E_LIMIT, "the document is larger than 1 GiB");
	int err = corridor_xml_stream_open(&st, xml, len, MVD_WHAT, diag);
	if (!err)
		err = read_stream(&c, &st);
	corridor_xml_stream_close(&st);
	if (err)
		corridor_mvd_release(out);
	return err;
}

/* ---- writing ---- */

static const char *res_text(uint32_t res)
{
	return res == 900 ? "PT15M" : res == 1800 ? "PT30M" : "PT60M";
}

static void minute(int64_t t, char out[21])
{
	corridor_utc_format(t, out); /* 2026-05-01T00:00:00Z */
	memcpy(out + 16, "Z", 2);
}

/* Text an identifier may carry into XML, escaped. */
static void xml_put(FILE *f, const char *s)
{
	corridor_markup_put(f, s);
}

static void element(FILE *f, const char *indent, const char *name, const char *scheme,
		    const char *value)
{
	fprintf(f, "%s<%s", indent, name);
	if (scheme)
		fprintf(f, " codingScheme=\"%s\"", scheme);
	fputc('>', f);
	xml_put(f, value);
	fprintf(f, "</%s>\n", name);
}

/* One Period: the points p[0..n) of one UTC day and resolution, every
 * position from the first point's day start (clipped to the document) to
 * the last one's day end written, the absent ones as A02. */
static void write_period(FILE *f, const struct corridor_mvd *doc,
			 const struct corridor_mvd_point *p, size_t n)
{
	uint32_t res = p[0].resolution_s;
	int64_t day = p[0].start_s - (p[0].start_s % 86400 + 86400) % 86400;
	int64_t start = day > doc->start_s ? day : doc->start_s;
	int64_t end = day + 86400 < doc->end_s ? day + 86400 : doc->end_s;
	start += (res - (start % res + res) % res) % res; /* onto the resolution's grid */
	end -= (end % res + res) % res;
	char a[21], b[21], q[32];
	minute(start, a);
	minute(end, b);
	fprintf(f, "    <Period>\n      <timeInterval>\n        <start>%s</start>\n"
		   "        <end>%s</end>\n      </timeInterval>\n      <resolution>%s</resolution>\n",
		a, b, res_text(res));
	size_t k = 0;
	for (int64_t t = start; t < end; t += res) {
		unsigned pos = (unsigned)((t - start) / res + 1);
		while (k < n && p[k].start_s < t)
			k++;
		if (k < n && p[k].start_s == t && p[k].quality != 'M') {
			corridor_decimal_format(p[k].quantity_micro / 1000, 3, q, sizeof q);
			fprintf(f, "      <Point><position>%u</position><quantity>%s</quantity>", pos,
				q);
			if (p[k].quality != 'A')
				fprintf(f, "<quality>%s</quality>", corridor_mvd_quality_code(p[k].quality));
			fputs("</Point>\n", f);
		} else {
			fprintf(f, "      <Point><position>%u</position><quality>A02</quality></Point>\n",
				pos);
		}
	}
	fputs("    </Period>\n", f);
}

int corridor_mvd_write(FILE *f, const struct corridor_mvd *doc, struct corridor_diag *diag)
{
	char a[21], b[21], created[21];
	minute(doc->start_s, a);
	minute(doc->end_s, b);
	corridor_utc_format(doc->created_s, created);
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	      "<MeasurementValue_MarketDocument xmlns=\"" CORRIDOR_MVD_NS "\">\n", f);
	element(f, "  ", "mRID", NULL, doc->mrid);
	fprintf(f, "  <revisionNumber>%u</revisionNumber>\n  <type>A45</type>\n"
		   "  <process.processType>A20</process.processType>\n", doc->revision);
	element(f, "  ", "sender_MarketParticipant.mRID", "A01", doc->sender);
	fputs("  <sender_MarketParticipant.marketRole.type>A04</sender_MarketParticipant.marketRole.type>\n", f);
	element(f, "  ", "receiver_MarketParticipant.mRID", "A01", doc->receiver);
	fputs("  <receiver_MarketParticipant.marketRole.type>A04</receiver_MarketParticipant.marketRole.type>\n", f);
	fprintf(f, "  <createdDateTime>%s</createdDateTime>\n  <period.timeInterval>\n"
		   "    <start>%s</start>\n    <end>%s</end>\n  </period.timeInterval>\n",
		created, a, b);
	element(f, "  ", "domain.mRID", "A01", doc->domain);
	for (size_t i = 0; i < doc->nseries; i++) {
		const struct corridor_mvd_series *s = &doc->series[i];
		fputs("  <TimeSeries>\n", f);
		element(f, "    ", "mRID", NULL, s->mrid);
		fputs("    <businessType>A65</businessType>\n    <product>" MVD_ACTIVE_ENERGY
		      "</product>\n    <curveType>A01</curveType>\n", f);
		element(f, "    ", "in_Domain.mRID", "A01", s->in_domain);
		element(f, "    ", "out_Domain.mRID", "A01", s->out_domain);
		if (s->point[0])
			element(f, "    ", "marketEvaluationPoint.mRID", "A01", s->point);
		fprintf(f, "    <measurement_Unit.name>%s</measurement_Unit.name>\n",
			s->unit == CORRIDOR_MVD_KWH ? "KWH" : "MWH");
		const struct corridor_mvd_point *p = doc->points + s->first;
		for (size_t j = 0; j < s->count;) {
			int64_t day = p[j].start_s - (p[j].start_s % 86400 + 86400) % 86400;
			size_t k = j + 1;
			while (k < s->count && p[k].resolution_s == p[j].resolution_s &&
			       p[k].start_s < day + 86400)
				k++;
			write_period(f, doc, p + j, k - j);
			j = k;
		}
		fputs("  </TimeSeries>\n", f);
	}
	fputs("</MeasurementValue_MarketDocument>\n", f);
	if (fflush(f) != 0 || ferror(f))
		return corridor_diag_set(diag, CORRIDOR_E_IO, "cannot write the document");
	return CORRIDOR_OK;
}
