/* libFuzzer: a witness's add-checkpoint body (old size, proof lines, the
 * checkpoint note), decided by corridor_witness_add. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "corridor/corridor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct corridor_witness *w;
	static struct corridor_signer *key, *log;
	if (!w) {
		uint8_t seed[32] = { 7 }, seed2[32] = { 9 };
		char dir[64];
		if (corridor_init() != 0 ||
		    corridor_signer_from_seed("witness.example/fuzz", seed, &key) != 0 ||
		    corridor_signer_from_seed("corridor.example/fuzz", seed2, &log) != 0)
			abort();
		snprintf(dir, sizeof dir, "/tmp/corridor-fuzz-witness-%d", (int)getpid());
		if (corridor_witness_open(dir, corridor_signer_vkey(log), 1, key, &w, NULL) != 0)
			abort();
	}
	char out[4096];
	size_t out_len;
	unsigned status;
	(void)!corridor_witness_add(w, (const char *)data, size, &status, out, sizeof out, &out_len,
				    NULL);
	return 0;
}
