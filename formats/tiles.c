/*
 * tiles.c — tlog-tiles paths (c2sp.org/tlog-tiles "Merkle Tree"): the index
 * in zero-padded groups of three digits, all but the last prefixed by 'x';
 * ".p/<W>" for a partial tile.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "formats.h"

void corridor_tile_path(int level, uint64_t index, unsigned width,
			char out[CORRIDOR_TILE_PATH_BYTES])
{
	char groups[8][4];
	size_t n = 0;
	do {
		snprintf(groups[n++], sizeof groups[0], "%03u", (unsigned)(index % 1000u));
		index /= 1000u;
	} while (index > 0 && n < 8);
	int at = level == CORRIDOR_TILE_ENTRIES ? snprintf(out, CORRIDOR_TILE_PATH_BYTES, "tile/entries")
						: snprintf(out, CORRIDOR_TILE_PATH_BYTES, "tile/%d", level);
	for (size_t i = n; i-- > 0;)
		at += snprintf(out + at, CORRIDOR_TILE_PATH_BYTES - (size_t)at, "/%s%s", i ? "x" : "",
			       groups[i]);
	if (width < CORRIDOR_TILE_WIDTH)
		snprintf(out + at, CORRIDOR_TILE_PATH_BYTES - (size_t)at, ".p/%u", width);
}

/* A decimal with no leading zeros, in [0, max]; the chars it took. */
static size_t plain_number(const char *s, uint64_t max, uint64_t *v)
{
	size_t n = 0;
	*v = 0;
	while (s[n] >= '0' && s[n] <= '9' && n < 20) {
		if (*v > (max - (uint64_t)(s[n] - '0')) / 10u)
			return 0;
		*v = *v * 10u + (uint64_t)(s[n] - '0');
		n++;
	}
	return n == 0 || (n > 1 && s[0] == '0') ? 0 : n;
}

static int path_parse(const char *p, int *level, uint64_t *index, unsigned *width)
{
	uint64_t v;
	size_t n;
	if (strncmp(p, "tile/", 5) != 0)
		return CORRIDOR_E_MALFORMED;
	p += 5;
	if (strncmp(p, "entries/", 8) == 0) {
		*level = CORRIDOR_TILE_ENTRIES;
		p += 8;
	} else {
		if (!(n = plain_number(p, CORRIDOR_TILE_LEVELS - 1, &v)) || p[n] != '/')
			return CORRIDOR_E_MALFORMED;
		*level = (int)v;
		p += n + 1;
	}
	/* x001/x234/067: groups of exactly three digits */
	*index = 0;
	for (unsigned g = 0;; g++) {
		bool x = *p == 'x';
		if (g >= 7)
			return CORRIDOR_E_MALFORMED; /* 7 groups exceed any uint64 index used */
		p += x;
		for (int k = 0; k < 3; k++)
			if (p[k] < '0' || p[k] > '9')
				return CORRIDOR_E_MALFORMED;
		*index = *index * 1000u + (uint64_t)((p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0'));
		p += 3;
		if (x) {
			if (*p != '/')
				return CORRIDOR_E_MALFORMED;
			p++;
			continue;
		}
		break;
	}
	*width = CORRIDOR_TILE_WIDTH;
	if (*p == '\0')
		return CORRIDOR_OK;
	if (strncmp(p, ".p/", 3) != 0 || !(n = plain_number(p + 3, CORRIDOR_TILE_WIDTH - 1, &v)) ||
	    v == 0 || p[3 + n] != '\0')
		return CORRIDOR_E_MALFORMED;
	*width = (unsigned)v;
	return CORRIDOR_OK;
}

int corridor_tile_path_parse(const char *path, int *level, uint64_t *index, unsigned *width)
{
	char again[CORRIDOR_TILE_PATH_BYTES];
	if (strlen(path) >= sizeof again || path_parse(path, level, index, width) != 0)
		return CORRIDOR_E_MALFORMED;
	/* one spelling per tile: "x000/001" is not 1 */
	corridor_tile_path(*level, *index, *width, again);
	return strcmp(again, path) == 0 ? CORRIDOR_OK : CORRIDOR_E_MALFORMED;
}
