/* libFuzzer: corridor_monitor_run against a hostile mirror. The input picks
 * two tree sizes and byte flips applied to the tiles the mirror serves (the
 * checkpoints stay signed by the log's key, so the walk goes deep); the
 * first two bytes 0xff 0xff make the rest the monitor's own state file. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "corridor/corridor.h"

#define FUZZ_LEAVES_MAX 70000u
#define FUZZ_FLIPS_MAX 16u

static struct corridor_signer *op;
static uint8_t (*leaf)[32];

struct mirror {
	uint64_t size;
	char *note;
	size_t note_len;
	const uint8_t *flips; /* (tile selector, offset, xor) triples */
	size_t nflips;
};

/* Hash i of tile (level, index) of a tree of `size`: the root of its 256^level leaves. */
static void tile_hash(unsigned level, uint64_t first, uint8_t out[32])
{
	uint64_t span = (uint64_t)1 << (8 * level);
	struct corridor_merkle_range r;
	corridor_merkle_range_init(&r);
	for (uint64_t i = 0; i < span; i++)
		(void)!corridor_merkle_range_append(&r, leaf[first + i], NULL, NULL);
	corridor_merkle_range_root(&r, out);
}

static int fetch(void *ctx, const char *rel, size_t max, uint8_t **data, size_t *len,
		 struct corridor_diag *diag)
{
	const struct mirror *m = ctx;
	int level;
	uint64_t index;
	unsigned width;
	(void)diag;
	if (!strcmp(rel, "checkpoint")) {
		*data = malloc(m->note_len + 1);
		memcpy(*data, m->note, m->note_len);
		*len = m->note_len;
		return CORRIDOR_OK;
	}
	if (corridor_tile_path_parse(rel, &level, &index, &width) != 0)
		return CORRIDOR_E_NOTFOUND;
	if (level == CORRIDOR_TILE_ENTRIES)
		return CORRIDOR_E_REFUSED; /* a reader of the tree alone */
	if (level < 0 || level > 2)
		return CORRIDOR_E_NOTFOUND;
	uint64_t span = (uint64_t)1 << (8 * (unsigned)level);
	if ((index * 256 + width) * span > m->size || (size_t)width * 32 > max)
		return CORRIDOR_E_NOTFOUND;
	*data = malloc((size_t)width * 32);
	*len = (size_t)width * 32;
	for (unsigned i = 0; i < width; i++)
		tile_hash((unsigned)level, (index * 256 + i) * span, *data + (size_t)i * 32);
	for (size_t k = 0; k < m->nflips; k++) {
		const uint8_t *f = m->flips + 3 * k;
		if (f[0] % 8 == (uint8_t)(level * 3 + (int)(index % 3)))
			(*data)[f[1] * 31u % *len] ^= f[2];
	}
	return CORRIDOR_OK;
}

static void sign_size(struct mirror *m, uint64_t size)
{
	struct corridor_checkpoint cp = { .size = size };
	struct corridor_merkle_range r;
	char text[512];
	size_t tl;
	snprintf(cp.origin, sizeof cp.origin, "corridor.example/fuzz");
	corridor_merkle_range_init(&r);
	for (uint64_t i = 0; i < size; i++)
		(void)!corridor_merkle_range_append(&r, leaf[i], NULL, NULL);
	corridor_merkle_range_root(&r, cp.root);
	free(m->note);
	m->size = size;
	if (corridor_checkpoint_format(&cp, text, sizeof text, &tl) != 0 ||
	    corridor_note_sign(text, tl, op, &m->note, &m->note_len) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char dir[64], path[128];
	if (!op) {
		uint8_t seed[32] = { 3 };
		if (corridor_init() != 0 ||
		    corridor_signer_from_seed("corridor.example/fuzz", seed, &op) != 0 ||
		    !(leaf = malloc(FUZZ_LEAVES_MAX * sizeof *leaf)))
			abort();
		for (uint32_t i = 0; i < FUZZ_LEAVES_MAX; i++) {
			uint8_t b[4] = { (uint8_t)(i >> 24), (uint8_t)(i >> 16), (uint8_t)(i >> 8),
					 (uint8_t)i };
			corridor_merkle_leaf_hash(b, sizeof b, leaf[i]);
		}
	}
	if (size < 4)
		return 0;
	snprintf(dir, sizeof dir, "/tmp/corridor-fuzz-monitor-%d", (int)getpid());
	snprintf(path, sizeof path, "%s/state", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/leaves", dir);
	unlink(path);
	struct mirror m = { .note = NULL };
	struct corridor_monitor_result r;
	struct corridor_diag d;
	const struct corridor_vkey *vk = corridor_signer_vkey(op);
	/* small trees mostly; now and then one past 65,536 (a level-2 tile) */
	uint64_t s1 = ((uint64_t)data[0] << 8 | data[1]) % 2000u + 1,
		 s2 = s1 + (data[2] & 0x80 ? 65536u : 0) + (uint64_t)(data[2] & 0x7f) * 13u +
		      data[3];
	if (data[0] == 0xff && data[1] == 0xff) { /* a hostile state file */
		FILE *f;
		snprintf(path, sizeof path, "%s/state", dir);
		sign_size(&m, 200);
		(void)!corridor_monitor_run(dir, fetch, &m, "fuzz", vk, &r, &d); /* makes dir */
		if ((f = fopen(path, "wb")) != NULL) {
			fwrite(data + 2, 1, size - 2, f);
			fclose(f);
		}
		sign_size(&m, 300);
		(void)!corridor_monitor_run(dir, fetch, &m, "fuzz", vk, &r, &d);
		free(m.note);
		return 0;
	}
	if (s2 > FUZZ_LEAVES_MAX)
		s2 = FUZZ_LEAVES_MAX;
	m.flips = data + 4;
	m.nflips = (size - 4) / 3 < FUZZ_FLIPS_MAX ? (size - 4) / 3 : FUZZ_FLIPS_MAX;
	sign_size(&m, s1);
	(void)!corridor_monitor_run(dir, fetch, &m, "fuzz", vk, &r, &d);
	sign_size(&m, s2);
	(void)!corridor_monitor_run(dir, fetch, &m, "fuzz", vk, &r, &d);
	free(m.note);
	return 0;
}
