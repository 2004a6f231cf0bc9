/* libFuzzer: contract JSON through jansson and every validation. */
#include <stdint.h>
#include <stdlib.h>

#include "corridor/corridor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct corridor_contract_terms t;
	(void)!corridor_contract_parse_json((const char *)data, size, &t, NULL);
	return 0;
}
