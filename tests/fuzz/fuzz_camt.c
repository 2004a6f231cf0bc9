/* libFuzzer: the camt.053 reader (libxml2 without network, DTDs or entity
 * substitution) never misbehaves; every refusal says why. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct corridor_camt_tx *tx;
	size_t n;
	struct corridor_diag d;
	corridor_diag_init(&d);
	if (corridor_camt053_parse((const char *)data, size, &tx, &n, &d) == 0) {
		for (size_t i = 0; i < n; i++)
			if (strlen(tx[i].currency) != 3 || !tx[i].amount[0] || !tx[i].account_iban[0])
				abort();
		free(tx);
	} else if (!d.text[0]) {
		abort();
	}
	return 0;
}
