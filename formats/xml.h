/*
 * xml.h — what the XML readers (camt.053, the Measurement Value Document)
 * share: a document read by libxml2 without network, DTD or entities, and
 * namespace-aware element lookup and text. Internal to formats/.
 */
#ifndef CORRIDOR_FORMATS_XML_H
#define CORRIDOR_FORMATS_XML_H

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlreader.h>

#include "formats.h"

/* Reads a document: refused with CORRIDOR_E_INVALID if it carries a DTD
 * (`what` names the document in the message: "a bank statement"), with
 * CORRIDOR_E_MALFORMED if it is not well-formed XML (line and libxml2's
 * first error), CORRIDOR_E_NOMEM if memory ran out. Nothing is printed. The
 * caller frees *out with xmlFreeDoc. */
int corridor_xml_read(const char *xml, size_t len, const char *what, xmlDoc **out,
		      struct corridor_diag *diag);

/* A document read as a stream, one top-level element at a time, so that
 * memory follows the largest such element, not the document. The same
 * refusals as corridor_xml_read: a DTD, XML that is not well-formed (line
 * and libxml2's first error), memory. */
struct corridor_xml_stream {
	xmlTextReaderPtr r;
	bool nomem;
	int line;
	char first[160]; /* libxml2's first error */
};
int corridor_xml_stream_open(struct corridor_xml_stream *s, const char *xml, size_t len,
			     const char *what, struct corridor_diag *diag);
/* Why the reader stopped (after xmlTextReaderRead or Next returned -1, or an
 * expansion failed): the refusal. */
int corridor_xml_stream_fail(const struct corridor_xml_stream *s, const char *what,
			     struct corridor_diag *diag);
void corridor_xml_stream_close(struct corridor_xml_stream *s);

/* The first child element of n named `name` in namespace ns (NULL if none). */
xmlNode *corridor_xml_child(const xmlNode *n, const char *name, const xmlChar *ns);
/* The next sibling element of n named `name` in namespace ns. */
xmlNode *corridor_xml_next(const xmlNode *n, const char *name, const xmlChar *ns);
/* child(child(...)) along a path of names separated by '/'. */
xmlNode *corridor_xml_path(const xmlNode *n, const char *path, const xmlChar *ns);
/* The element's text with surrounding XML whitespace removed, into out:
 * false if n is NULL or the text does not fit in cap. *nomem is set when an
 * allocation failed (the caller fails the read, never reads an absent field). */
bool corridor_xml_text(const xmlNode *n, char *out, size_t cap, bool *nomem);
/* The attribute's value into out (false if absent or too long). */
bool corridor_xml_attr(const xmlNode *n, const char *name, char *out, size_t cap, bool *nomem);
/* The element's line in the document (0 if unknown). */
unsigned corridor_xml_line(const xmlNode *n);

#endif
