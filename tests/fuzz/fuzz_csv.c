/* libFuzzer: the RFC 4180 reader never reads out of bounds and always
 * NUL-terminates what it returns. */
#include <stdint.h>
#include <stdlib.h>

#include "../../core/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct corridor_csv c;
	struct corridor_csv_field f[16];
	char scratch[4096];
	size_t n;
	corridor_csv_init(&c, (const char *)data, size);
	for (unsigned guard = 0; guard < 100000; guard++) {
		if (corridor_csv_record(&c, f, 16, &n, scratch, sizeof scratch, NULL) != 0)
			break;
		for (size_t i = 0; i < n; i++)
			if (f[i].text[f[i].len] != '\0')
				abort();
	}
	return 0;
}
