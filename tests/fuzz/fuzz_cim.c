/* libFuzzer: the Measurement Value Document reader (libxml2 without network,
 * DTDs or entity substitution) never misbehaves; what it accepts is within
 * its bounds, and every refusal says why. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct corridor_mvd doc;
	struct corridor_diag d;
	corridor_diag_init(&d);
	if (corridor_mvd_parse((const char *)data, size, &doc, &d) == 0) {
		if (doc.nseries == 0 || doc.revision < 1 || doc.revision > 999)
			abort();
		for (size_t i = 0; i < doc.nseries; i++) {
			const struct corridor_mvd_series *s = &doc.series[i];
			if (s->first + s->count > doc.npoints || !s->in_domain[0] || !s->out_domain[0])
				abort();
			for (size_t j = s->first; j < s->first + s->count; j++) {
				const struct corridor_mvd_point *p = &doc.points[j];
				if (p->start_s < doc.start_s || p->start_s + p->resolution_s > doc.end_s ||
				    p->quantity_micro < 0 || !corridor_quality_ok(p->quality) ||
				    (j > s->first && doc.points[j - 1].start_s >= p->start_s))
					abort();
			}
		}
		corridor_mvd_release(&doc);
	} else if (!d.text[0]) {
		abort();
	}
	/* the map reader too, on the same bytes */
	struct corridor_mvd_map_row *map;
	size_t n;
	corridor_diag_init(&d);
	if (corridor_mvd_map_parse((const char *)data, size, &map, &n, &d) == 0)
		free(map);
	else if (!d.text[0])
		abort();
	return 0;
}
