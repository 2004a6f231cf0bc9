/*
 * base.h — what every layer shares: invariant checks, diagnostics, byte
 * order, reading a file. Below formats/ and core/; includes only the public
 * header. Not part of the API.
 */
#ifndef CORRIDOR_BASE_H
#define CORRIDOR_BASE_H

#include <assert.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "corridor/corridor.h"

#if defined(__GNUC__) || defined(__clang__)
#define CORRIDOR_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CORRIDOR_PRINTF(a, b)
#endif

/* Invariant checks stay on in release builds: a broken invariant in a ledger
 * is worse than a crash. */
#define CORRIDOR_ASSERT(cond)                                                          \
	do {                                                                           \
		if (!(cond))                                                           \
			corridor_bug(__FILE__, __LINE__, #cond);                       \
	} while (0)
_Noreturn void corridor_bug(const char *file, int line, const char *what);

/* Sets diag->text (if diag is non-NULL) and returns err. */
int corridor_diag_set(struct corridor_diag *diag, int err, const char *fmt, ...)
	CORRIDOR_PRINTF(3, 4);
/* Same, and records the seq concerned. */
int corridor_diag_seq(struct corridor_diag *diag, int err, uint64_t seq, const char *fmt, ...)
	CORRIDOR_PRINTF(4, 5);

static inline void corridor_be64_put(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)(v & 0xffu);
		v >>= 8;
	}
}
static inline uint64_t corridor_be64_get(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}
static inline void corridor_be32_put(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}
static inline uint32_t corridor_be32_get(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Little-endian, where a layout follows a library's own (the SHA-256 midstate). */
static inline void corridor_le32_put(uint8_t *p, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8u * i));
}
static inline uint32_t corridor_le32_get(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}
static inline void corridor_le64_put(uint8_t *p, uint64_t v)
{
	for (unsigned i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8u * i));
}
static inline uint64_t corridor_le64_get(const uint8_t *p)
{
	uint64_t v = 0;
	for (unsigned i = 8; i-- > 0;)
		v = (v << 8) | p[i];
	return v;
}

/* Printable UTF-8: valid, and no control character (a tab allowed if `tab`). */
bool corridor_text_ok(const char *s, size_t len, bool tab);

/* An entry kind's name: 1..CORRIDOR_KIND_BYTES_MAX of [a-z._]. */
bool corridor_kind_name_ok(const char *s, size_t len);

/* Reads a whole file (at most max_bytes) into a malloc'd, NUL-terminated buffer. */
int corridor_read_file(const char *path, size_t max_bytes, uint8_t **out, size_t *out_len,
		       struct corridor_diag *diag);

/* Replaces path with `len` bytes, durably and at once: a temporary file
 * beside it (path.tmp-XXXXXX), fsync, chmod to `mode`, rename, then fsync of
 * the directory; a reader sees the old file or the new one, never a part.
 * Errors: CORRIDOR_E_FULL (no space), CORRIDOR_E_IO, CORRIDOR_E_INVALID (a
 * path over PATH_MAX). */
int corridor_replace_file(const char *path, const void *data, size_t len, unsigned mode,
			  struct corridor_diag *diag);

#endif
