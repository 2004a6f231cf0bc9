/*
 * proof.c — inclusion proof documents, c2sp.org/tlog-proof@v1:
 *
 *   c2sp.org/tlog-proof@v1
 *   [extra <base64>]
 *   index <decimal>
 *   <base64 hash>        (zero or more, leaf's sibling first)
 *   <empty line>
 *   <signed checkpoint, verbatim>
 */
#include "formats.h"

static const char MAGIC[] = "c2sp.org/tlog-proof@v1";

static const char *next_line(const char **p, const char *end, size_t *len)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	if (!nl)
		return NULL;
	const char *line = *p;
	*len = (size_t)(nl - line);
	*p = nl + 1;
	return line;
}

int corridor_tlog_proof_parse(const char *buf, size_t len, struct corridor_tlog_proof *out)
{
	const char *p = buf, *end = buf + len, *line;
	size_t ll;
	if (len > CORRIDOR_NOTE_BYTES_MAX + 8192u)
		return CORRIDOR_E_LIMIT;
	out->hash_count = 0;
	out->has_extra = false;
	line = next_line(&p, end, &ll);
	if (!line || ll != sizeof MAGIC - 1 || memcmp(line, MAGIC, ll) != 0)
		return CORRIDOR_E_MALFORMED;
	line = next_line(&p, end, &ll);
	if (line && ll >= 6 && memcmp(line, "extra ", 6) == 0) {
		uint8_t tmp[1024];
		size_t n;
		if (corridor_unbase64(line + 6, ll - 6, tmp, sizeof tmp, &n) != 0)
			return CORRIDOR_E_MALFORMED;
		out->has_extra = true;
		line = next_line(&p, end, &ll);
	}
	if (!line || ll < 7 || memcmp(line, "index ", 6) != 0 ||
	    corridor_parse_u64(line + 6, ll - 6, &out->index) != 0)
		return CORRIDOR_E_MALFORMED;
	for (;;) {
		line = next_line(&p, end, &ll);
		if (!line)
			return CORRIDOR_E_MALFORMED;
		if (ll == 0)
			break;
		if (out->hash_count >= CORRIDOR_PROOF_HASHES_MAX)
			return CORRIDOR_E_LIMIT;
		size_t n = 0;
		if (corridor_unbase64(line, ll, out->hashes[out->hash_count], CORRIDOR_HASH_BYTES,
				      &n) != 0 ||
		    n != CORRIDOR_HASH_BYTES)
			return CORRIDOR_E_MALFORMED;
		out->hash_count++;
	}
	if (p >= end)
		return CORRIDOR_E_MALFORMED;
	out->checkpoint_off = (size_t)(p - buf);
	out->checkpoint_len = (size_t)(end - p);
	return CORRIDOR_OK;
}

int corridor_tlog_proof_write(FILE *f, uint64_t index, const uint8_t (*hashes)[CORRIDOR_HASH_BYTES],
			      size_t count, const char *signed_checkpoint, size_t checkpoint_len)
{
	char b64[64];
	if (fprintf(f, "%s\nindex %llu\n", MAGIC, (unsigned long long)index) < 0)
		return CORRIDOR_E_IO;
	for (size_t i = 0; i < count; i++) {
		corridor_base64(hashes[i], CORRIDOR_HASH_BYTES, b64);
		if (fprintf(f, "%s\n", b64) < 0)
			return CORRIDOR_E_IO;
	}
	if (fputc('\n', f) == EOF || fwrite(signed_checkpoint, 1, checkpoint_len, f) != checkpoint_len)
		return CORRIDOR_E_IO;
	return CORRIDOR_OK;
}
