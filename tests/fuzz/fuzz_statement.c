/* libFuzzer: the request splitter and strict statement decoding; whatever is accepted is canonical,
 * its fields in their limits, and its signature check and hash run. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "corridor/corridor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct corridor_statement st;
	/* the request splitter of corridor serve: every piece inside the body */
	const uint8_t *ptrs[64];
	size_t lens[64], n;
	if (corridor_statements_split(data, size, ptrs, lens, 64, &n, NULL) == 0)
		for (size_t i = 0; i < n; i++)
			if (ptrs[i] < data || lens[i] > size || ptrs[i] + lens[i] > data + size)
				abort();
	if (corridor_statement_decode(data, size, &st, NULL) != 0)
		return 0;
	if (corridor_msgpack_check_canonical(data, size, CORRIDOR_ENTRY_DEPTH_MAX, NULL) != 0 ||
	    st.content_len >= size || st.created_us >= st.expires_us || !st.idempotency_key[0] ||
	    st.body < data || st.body + st.body_len > data + st.content_len)
		abort();
	uint8_t h[CORRIDOR_HASH_BYTES], key[CORRIDOR_PUBLIC_KEY_BYTES];
	memset(key, 0x42, sizeof key);
	corridor_statement_hash(data, &st, h);
	(void)corridor_statement_check_sig(data, &st, key);
	return 0;
}
