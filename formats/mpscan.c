/*
 * mpscan.c — pre-scan of untrusted msgpack.
 *
 * msgpack-c's unpacker allocates from declared counts before it reads the
 * elements, so five hostile bytes (0xdf ff ff ff ff) could ask it for tens of
 * gigabytes. This walk runs first, allocates nothing, and accepts a buffer only
 * if every declared count and length fits in the bytes that remain (each
 * element takes at least one byte), nesting stays within depth_max, and the
 * value uses no type Corridor refuses (float, nil, ext, 0xc1).
 */
#include "formats.h"

struct frame {
	uint64_t remaining; /* values still expected in this container */
};

static uint64_t be(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

int corridor_mpscan_prefix(const uint8_t *buf, size_t len, unsigned depth_max,
			   struct corridor_mpscan *out, size_t *consumed,
			   struct corridor_diag *diag)
{
	struct frame stack[CORRIDOR_ENTRY_DEPTH_MAX + 1];
	unsigned depth = 0;
	size_t pos = 0;
	uint64_t top_values = 1; /* the single top-level value */

	CORRIDOR_ASSERT(depth_max <= CORRIDOR_ENTRY_DEPTH_MAX);
	out->elements = 0;
	out->children = 0;
	if (len == 0)
		return corridor_diag_set(diag, CORRIDOR_E_MALFORMED, "empty msgpack value");

	for (;;) {
		/* Pop finished containers; stop once the top value is complete. */
		while (depth > 0 && stack[depth - 1].remaining == 0)
			depth--;
		if (depth == 0 && top_values == 0)
			break;
		if (depth == 0)
			top_values--;
		else
			stack[depth - 1].remaining--;

		if (depth == 1 && out->children < CORRIDOR_MPSCAN_CHILDREN_MAX)
			out->child_off[out->children] = pos;
		if (depth == 1)
			out->children++;

		if (pos >= len)
			return corridor_diag_set(diag, CORRIDOR_E_MALFORMED,
						 "msgpack truncated at byte %zu", pos);
		size_t avail = len - pos - 1;
		uint8_t t = buf[pos++];
		uint64_t count = 0;     /* container elements (maps: 2 per pair) */
		uint64_t payload = 0;   /* bytes that follow the header */
		unsigned hdr = 0;       /* length bytes after the type byte */
		bool container = false;
		out->elements++;

		if (t <= 0x7fu || t >= 0xe0u || t == 0xc2u || t == 0xc3u) {
			/* fixint, negative fixint, false, true */
		} else if (t >= 0x80u && t <= 0x8fu) {
			count = 2u * (t & 0x0fu);
			container = true;
		} else if (t >= 0x90u && t <= 0x9fu) {
			count = t & 0x0fu;
			container = true;
		} else if (t >= 0xa0u && t <= 0xbfu) {
			payload = t & 0x1fu;
		} else {
			switch (t) {
			case 0xc0u:
				return corridor_diag_set(diag, CORRIDOR_E_MALFORMED,
							 "msgpack nil at byte %zu is not allowed",
							 pos - 1);
			case 0xc1u:
				return corridor_diag_set(diag, CORRIDOR_E_MALFORMED,
							 "msgpack byte 0xc1 at %zu is never used",
							 pos - 1);
			case 0xcau:
			case 0xcbu:
				return corridor_diag_set(diag, CORRIDOR_E_MALFORMED,
							 "msgpack float at byte %zu is not allowed",
							 pos - 1);
			case 0xc7u: case 0xc8u: case 0xc9u:
			case 0xd4u: case 0xd5u: case 0xd6u: case 0xd7u: case 0xd8u:
				return corridor_diag_set(diag, CORRIDOR_E_MALFORMED,
							 "msgpack ext at byte %zu is not allowed",
							 pos - 1);
			case 0xc4u: case 0xd9u: hdr = 1; break;           /* bin8, str8 */
			case 0xc5u: case 0xdau: hdr = 2; break;           /* bin16, str16 */
			case 0xc6u: case 0xdbu: hdr = 4; break;           /* bin32, str32 */
			case 0xccu: case 0xd0u: payload = 1; break;       /* (u)int8 */
			case 0xcdu: case 0xd1u: payload = 2; break;
			case 0xceu: case 0xd2u: payload = 4; break;
			case 0xcfu: case 0xd3u: payload = 8; break;
			case 0xdcu: hdr = 2; container = true; break;     /* array16 */
			case 0xddu: hdr = 4; container = true; break;     /* array32 */
			case 0xdeu: hdr = 2; container = true; break;     /* map16 */
			case 0xdfu: hdr = 4; container = true; break;     /* map32 */
			default:
				return corridor_diag_set(diag, CORRIDOR_E_MALFORMED,
							 "msgpack type 0x%02x at byte %zu", t, pos - 1);
			}
			if (hdr) {
				if (avail < hdr)
					return corridor_diag_set(diag, CORRIDOR_E_MALFORMED,
								 "msgpack header truncated at byte %zu",
								 pos - 1);
				uint64_t n = be(buf + pos, hdr);
				pos += hdr;
				avail -= hdr;
				if (container)
					count = (t == 0xdeu || t == 0xdfu) ? 2u * n : n;
				else
					payload = n;
			}
		}
		if (container) {
			/* Every element needs at least one byte: a count larger than
			 * what remains is a lie, refused before anyone allocates. */
			if (count > avail)
				return corridor_diag_set(diag, CORRIDOR_E_MALFORMED,
							 "msgpack container at byte %zu declares %llu "
							 "elements but only %zu bytes remain",
							 pos - 1 - hdr, (unsigned long long)count, avail);
			if (count > 0) {
				if (depth >= depth_max)
					return corridor_diag_set(diag, CORRIDOR_E_LIMIT,
								 "msgpack nested deeper than %u",
								 depth_max);
				stack[depth].remaining = count;
				depth++;
			}
			continue;
		}
		if (payload > avail)
			return corridor_diag_set(diag, CORRIDOR_E_MALFORMED,
						 "msgpack value at byte %zu declares %llu bytes but "
						 "only %zu remain",
						 pos - 1 - hdr, (unsigned long long)payload, avail);
		pos += (size_t)payload;
	}
	if (consumed)
		*consumed = pos;
	else if (pos != len)
		return corridor_diag_set(diag, CORRIDOR_E_MALFORMED,
					 "%zu trailing bytes after the msgpack value", len - pos);
	/* Offsets are recorded for the first CORRIDOR_MPSCAN_CHILDREN_MAX children;
	 * callers that need them check `children` first. */
	if (out->children <= CORRIDOR_MPSCAN_CHILDREN_MAX)
		out->child_off[out->children] = pos;
	return CORRIDOR_OK;
}

int corridor_mpscan(const uint8_t *buf, size_t len, unsigned depth_max,
		    struct corridor_mpscan *out, struct corridor_diag *diag)
{
	return corridor_mpscan_prefix(buf, len, depth_max, out, NULL, diag);
}
