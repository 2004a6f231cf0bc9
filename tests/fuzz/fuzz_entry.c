/* libFuzzer: strict entry decoding; whatever is accepted re-checks canonical. */
#include <stdint.h>
#include <stdlib.h>

#include "corridor/corridor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct corridor_entry e;
	if (corridor_entry_decode(data, size, &e, NULL) == 0 &&
	    corridor_msgpack_check_canonical(data, size, CORRIDOR_ENTRY_DEPTH_MAX, NULL) != 0)
		abort();
	return 0;
}
