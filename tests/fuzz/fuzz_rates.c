/* libFuzzer: the rates CSV reader (header, RFC 4180, every cell checked)
 * never misbehaves, and what it accepts is within SETTLEMENT.md's bounds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/log/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct corridor_rate *r;
	size_t n;
	struct corridor_diag d;
	corridor_diag_init(&d);
	if (corridor_rates_csv_parse((const char *)data, size, &r, &n, &d) == 0) {
		for (size_t i = 0; i < n; i++)
			if (r[i].rate_e8 <= 0 || r[i].rate_e8 >= CORRIDOR_RATE_LIMIT ||
			    strlen(r[i].base) != 3 || strlen(r[i].quote) != 3 || !r[i].source[0] ||
			    !strcmp(r[i].base, r[i].quote))
				abort();
		free(r);
	} else if (!d.text[0]) {
		abort(); /* every refusal says why */
	}
	return 0;
}
