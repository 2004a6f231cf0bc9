/* libFuzzer: a reader's view from a file (header, items, proofs, the public kinds replayed). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "corridor/corridor.h"

static char path[64];

/* The scratch file goes when the fuzzer exits normally. */
static void remove_scratch(void)
{
	unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct corridor_vkey vk;
	static int ready;
	if (!ready) {
		if (corridor_init() != 0)
			abort();
		snprintf(path, sizeof path, "/tmp/corridor-fuzz-view-%d", (int)getpid());
		atexit(remove_scratch);
		vk.sigtype = CORRIDOR_SIGTYPE_ED25519;
		snprintf(vk.name, sizeof vk.name, "corridor.example/fuzz");
		ready = 1;
	}
	FILE *f = fopen(path, "wb");
	if (!f)
		abort();
	fwrite(data, 1, size, f);
	fclose(f);
	struct corridor_view_info info;
	(void)!corridor_view_verify(path, &vk, NULL, NULL, &info, NULL);
	return 0;
}
