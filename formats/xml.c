/*
 * xml.c — documents read with libxml2 for the importers (formats/xml.h).
 *
 * A business document has no business carrying a DTD: one with a DOCTYPE is
 * refused before libxml2 reads a byte of it, so no entity can be declared,
 * and a reference to an undeclared one is not well-formed. libxml2 runs
 * without network access and prints nothing: its first error becomes the
 * one line of the refusal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/globals.h>
#include <libxml/xmlerror.h>

#include "xml.h"

xmlNode *corridor_xml_child(const xmlNode *n, const char *name, const xmlChar *ns)
{
	for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && c->ns && xmlStrEqual(c->ns->href, ns) &&
		    xmlStrEqual(c->name, (const xmlChar *)name))
			return c;
	return NULL;
}

xmlNode *corridor_xml_next(const xmlNode *n, const char *name, const xmlChar *ns)
{
	for (xmlNode *c = n ? n->next : NULL; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && c->ns && xmlStrEqual(c->ns->href, ns) &&
		    xmlStrEqual(c->name, (const xmlChar *)name))
			return c;
	return NULL;
}

xmlNode *corridor_xml_path(const xmlNode *n, const char *p, const xmlChar *ns)
{
	char name[48];
	const xmlNode *at = n;
	while (at && *p) {
		size_t k = strcspn(p, "/");
		if (k >= sizeof name)
			return NULL;
		memcpy(name, p, k);
		name[k] = '\0';
		at = corridor_xml_child(at, name, ns);
		p += k + (p[k] == '/');
	}
	return (xmlNode *)(uintptr_t)at;
}

static bool trimmed(const char *s, char *out, size_t cap)
{
	size_t len = strlen(s);
	while (len && strchr(" \t\r\n", s[len - 1]))
		len--;
	while (len && strchr(" \t\r\n", *s)) {
		s++;
		len--;
	}
	if (len >= cap)
		return false;
	memcpy(out, s, len);
	out[len] = '\0';
	return true;
}

bool corridor_xml_text(const xmlNode *n, char *out, size_t cap, bool *nomem)
{
	out[0] = '\0';
	if (!n)
		return false;
	xmlChar *t = xmlNodeGetContent(n);
	if (!t) {
		*nomem = true;
		return false;
	}
	bool ok = trimmed((const char *)t, out, cap);
	xmlFree(t);
	return ok;
}

bool corridor_xml_attr(const xmlNode *n, const char *name, char *out, size_t cap, bool *nomem)
{
	out[0] = '\0';
	if (!n || !xmlHasProp(n, (const xmlChar *)name))
		return false;
	xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
	if (!v) {
		*nomem = true;
		return false;
	}
	bool ok = trimmed((const char *)v, out, cap);
	xmlFree(v);
	return ok;
}

unsigned corridor_xml_line(const xmlNode *n)
{
	long l = n ? xmlGetLineNo(n) : 0;
	return l > 0 && l < (long)UINT32_MAX ? (unsigned)l : 0u;
}

/* libxml2's errors while one document is read: the first one's line and
 * text, and whether memory ran out anywhere (then the message may be absent
 * or a consequence). */
struct xml_errors {
	bool nomem;
	int line;
	char first[160];
};

static void xml_error(void *ctx, xmlErrorPtr e)
{
	struct xml_errors *x = ctx;
	if (!e)
		return;
	if (e->code == XML_ERR_NO_MEMORY || e->domain == XML_FROM_MEMORY)
		x->nomem = true;
	if (!x->first[0] && e->level >= XML_ERR_ERROR) {
		x->line = e->line;
		snprintf(x->first, sizeof x->first, "%s", e->message ? e->message : "unreadable");
		x->first[strcspn(x->first, "\r\n")] = '\0'; /* libxml2 ends its texts in a newline */
	}
}

/* The line of the first document type declaration in the bytes, or 0; errs
 * towards refusing (a "<!DOCTYPE" inside a comment is refused too). */
static unsigned doctype_line(const char *xml, size_t len)
{
	static const char tag[] = "<!DOCTYPE";
	const size_t n = sizeof tag - 1;
	unsigned line = 1;
	for (size_t i = 0; i + n <= len; i++) {
		if (xml[i] == '\n')
			line++;
		else if (xml[i] == '<' && memcmp(xml + i, tag, n) == 0)
			return line;
	}
	return 0;
}

int corridor_xml_read(const char *xml, size_t len, const char *what, xmlDoc **out,
		      struct corridor_diag *diag)
{
	*out = NULL;
	if (len > (size_t)INT32_MAX)
		return corridor_diag_set(diag, CORRIDOR_E_LIMIT, "%s is larger than 2 GiB", what);
	unsigned line = doctype_line(xml, len);
	if (line)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "line %u: %s carries no DTD: a document with a DOCTYPE "
					 "(and so any entity) is refused",
					 line, what);
	/* this thread's error handler, for the parse only */
	struct xml_errors xe = { .nomem = false };
	xmlStructuredErrorFunc old_fn = xmlStructuredError;
	void *old_ctx = xmlStructuredErrorContext;
	xmlSetStructuredErrorFunc(&xe, xml_error);
	xmlDoc *doc = xmlReadMemory(xml, (int)len, NULL, NULL,
				    XML_PARSE_NONET | XML_PARSE_NOWARNING | XML_PARSE_COMPACT |
				    XML_PARSE_NOBLANKS);
	xmlSetStructuredErrorFunc(old_ctx, old_fn);
	if (xe.nomem) {
		xmlFreeDoc(doc);
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory reading %s", what);
	}
	if (!doc)
		return corridor_diag_set(diag, CORRIDOR_E_MALFORMED, "not well-formed XML: line %d: %s",
					 xe.line, xe.first[0] ? xe.first : "unreadable");
	if (doc->intSubset || doc->extSubset) { /* another encoding hid it from the scan */
		xmlFreeDoc(doc);
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "%s carries no DTD: a document with a DOCTYPE "
					 "(and so any entity) is refused",
					 what);
	}
	*out = doc;
	return CORRIDOR_OK;
}

/* ---- streams ---- */

static void stream_error(void *ctx, xmlErrorPtr e)
{
	struct corridor_xml_stream *s = ctx;
	struct xml_errors x = { .nomem = s->nomem, .line = s->line };
	memcpy(x.first, s->first, sizeof x.first);
	xml_error(&x, e);
	s->nomem = x.nomem;
	s->line = x.line;
	memcpy(s->first, x.first, sizeof s->first);
}

int corridor_xml_stream_open(struct corridor_xml_stream *s, const char *xml, size_t len,
			     const char *what, struct corridor_diag *diag)
{
	memset(s, 0, sizeof *s);
	if (len > (size_t)INT32_MAX)
		return corridor_diag_set(diag, CORRIDOR_E_LIMIT, "%s is larger than 2 GiB", what);
	unsigned line = doctype_line(xml, len);
	if (line)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "line %u: %s carries no DTD: a document with a DOCTYPE "
					 "(and so any entity) is refused",
					 line, what);
	s->r = xmlReaderForMemory(xml, (int)len, NULL, NULL,
				  XML_PARSE_NONET | XML_PARSE_NOWARNING | XML_PARSE_COMPACT |
					  XML_PARSE_NOBLANKS);
	if (!s->r)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory reading %s", what);
	xmlTextReaderSetStructuredErrorHandler(s->r, stream_error, s);
	return CORRIDOR_OK;
}

int corridor_xml_stream_fail(const struct corridor_xml_stream *s, const char *what,
			     struct corridor_diag *diag)
{
	if (s->nomem)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory reading %s", what);
	return corridor_diag_set(diag, CORRIDOR_E_MALFORMED, "not well-formed XML: line %d: %s",
				 s->line, s->first[0] ? s->first : "unreadable");
}

void corridor_xml_stream_close(struct corridor_xml_stream *s)
{
	if (s->r)
		xmlFreeTextReader(s->r);
	s->r = NULL;
}
