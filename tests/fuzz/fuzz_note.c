/* libFuzzer: signed notes, checkpoint bodies and tlog-proof documents. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "corridor/corridor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct corridor_note note;
	static struct corridor_tlog_proof proof;
	struct corridor_checkpoint cp;
	struct corridor_vkey vk;
	const char *s = (const char *)data;
	if (corridor_note_parse(s, size, &note) == 0)
		(void)!corridor_checkpoint_parse(s, note.text_len, &cp);
	(void)!corridor_tlog_proof_parse(s, size, &proof);
	(void)!corridor_vkey_parse(s, size, &vk);
	return 0;
}
