/*
 * merkle.c — the RFC 6962 / RFC 9162 Merkle tree: hashing, compact ranges,
 * proof generation over stored complete subtrees, and proof verification.
 *
 * Storage model: every complete subtree (level l, index i) covering leaves
 * [i*2^l, (i+1)*2^l) is stored once, when its last leaf is appended. Any range
 * that the RFC's recursive definitions name starts at a multiple of a power of
 * two at least as large as the range, so it splits into at most 64 stored
 * subtrees: a root or a proof costs O(log n) reads. No recursion anywhere.
 */
#include <sodium.h>

#include "log.h"

#define LEVELS_MAX 64u

void corridor_merkle_leaf_hash(const uint8_t *leaf, size_t len, uint8_t out[CORRIDOR_HASH_BYTES])
{
	crypto_hash_sha256_state st;
	const uint8_t tag = 0x00u;
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, &tag, 1);
	crypto_hash_sha256_update(&st, leaf, len);
	crypto_hash_sha256_final(&st, out);
}

void corridor_merkle_node_hash(const uint8_t left[CORRIDOR_HASH_BYTES],
			       const uint8_t right[CORRIDOR_HASH_BYTES],
			       uint8_t out[CORRIDOR_HASH_BYTES])
{
	uint8_t buf[1 + 2 * CORRIDOR_HASH_BYTES];
	buf[0] = 0x01u;
	memcpy(buf + 1, left, CORRIDOR_HASH_BYTES);
	memcpy(buf + 1 + CORRIDOR_HASH_BYTES, right, CORRIDOR_HASH_BYTES);
	crypto_hash_sha256(out, buf, sizeof buf);
}

static void empty_root(uint8_t out[CORRIDOR_HASH_BYTES])
{
	crypto_hash_sha256(out, (const uint8_t *)"", 0);
}

/* Largest power of two strictly below n (n >= 2). */
static uint64_t split_point(uint64_t n)
{
	CORRIDOR_ASSERT(n >= 2);
	return (uint64_t)1 << (63 - __builtin_clzll(n - 1));
}

static unsigned floor_log2(uint64_t n)
{
	CORRIDOR_ASSERT(n >= 1);
	return (unsigned)(63 - __builtin_clzll(n));
}

/* MTH of leaves [begin, end), begin aligned to a power of two >= end-begin
 * (or begin == 0). Reads the stored subtrees left to right, folds from the right. */
static int range_hash(corridor_merkle_get_fn get, void *ctx, uint64_t begin, uint64_t end,
		      uint8_t out[CORRIDOR_HASH_BYTES])
{
	uint8_t chunks[LEVELS_MAX][CORRIDOR_HASH_BYTES];
	unsigned count = 0;
	uint64_t p = begin;
	CORRIDOR_ASSERT(begin < end);
	do {
		unsigned level = floor_log2(end - p);
		if (p != 0 && (unsigned)__builtin_ctzll(p) < level)
			level = (unsigned)__builtin_ctzll(p);
		CORRIDOR_ASSERT(count < LEVELS_MAX);
		int err = get(ctx, level, p >> level, chunks[count]);
		if (err)
			return err;
		count++;
		p += (uint64_t)1 << level;
	} while (p < end && count < LEVELS_MAX);
	CORRIDOR_ASSERT(p == end);
	unsigned last = count - 1;
	memcpy(out, chunks[last], CORRIDOR_HASH_BYTES);
	for (unsigned i = last; i-- > 0;)
		corridor_merkle_node_hash(chunks[i], out, out);
	return CORRIDOR_OK;
}

int corridor_merkle_root(corridor_merkle_get_fn get, void *ctx, uint64_t size,
			 uint8_t out[CORRIDOR_HASH_BYTES])
{
	if (size == 0) {
		empty_root(out);
		return CORRIDOR_OK;
	}
	return range_hash(get, ctx, 0, size, out);
}

/* Emits the pushed hashes in reverse order after an optional first hash. */
static void reverse_into(uint8_t (*pushed)[CORRIDOR_HASH_BYTES], size_t npushed,
			 uint8_t (*out)[CORRIDOR_HASH_BYTES], size_t start)
{
	for (size_t i = 0; i < npushed; i++)
		memcpy(out[start + i], pushed[npushed - 1 - i], CORRIDOR_HASH_BYTES);
}

int corridor_merkle_prove_inclusion(corridor_merkle_get_fn get, void *ctx, uint64_t index,
				    uint64_t size, uint8_t (*out)[CORRIDOR_HASH_BYTES],
				    size_t *count)
{
	uint8_t pushed[LEVELS_MAX][CORRIDOR_HASH_BYTES];
	size_t n = 0;
	uint64_t off = 0, m = index, sz = size;
	if (index >= size)
		return CORRIDOR_E_INVALID;
	/* PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n])         if m < k
	 *               = PATH(m-k, D[k:n]) : MTH(D[0:k])       otherwise */
	while (sz > 1) {
		uint64_t k = split_point(sz);
		int err;
		CORRIDOR_ASSERT(n < LEVELS_MAX);
		if (m < k) {
			err = range_hash(get, ctx, off + k, off + sz, pushed[n]);
			sz = k;
		} else {
			err = range_hash(get, ctx, off, off + k, pushed[n]);
			off += k;
			m -= k;
			sz -= k;
		}
		if (err)
			return err;
		n++;
	}
	reverse_into(pushed, n, out, 0);
	*count = n;
	return CORRIDOR_OK;
}

int corridor_merkle_prove_consistency(corridor_merkle_get_fn get, void *ctx, uint64_t size1,
				      uint64_t size2, uint8_t (*out)[CORRIDOR_HASH_BYTES],
				      size_t *count)
{
	uint8_t pushed[2 * LEVELS_MAX][CORRIDOR_HASH_BYTES];
	size_t n = 0, first = 0;
	uint64_t off = 0, m = size1, sz = size2;
	bool b = true;
	if (size1 == 0 || size1 > size2)
		return CORRIDOR_E_INVALID;
	/* SUBPROOF(m, D[n], b), RFC 9162 §2.1.4.1, unrolled. */
	for (;;) {
		int err;
		if (m == sz) {
			if (!b) {
				err = range_hash(get, ctx, off, off + sz, out[0]);
				if (err)
					return err;
				first = 1;
			}
			break;
		}
		uint64_t k = split_point(sz);
		CORRIDOR_ASSERT(n < 2 * LEVELS_MAX);
		if (m <= k) {
			err = range_hash(get, ctx, off + k, off + sz, pushed[n]);
			sz = k;
		} else {
			err = range_hash(get, ctx, off, off + k, pushed[n]);
			off += k;
			m -= k;
			sz -= k;
			b = false;
		}
		if (err)
			return err;
		n++;
	}
	CORRIDOR_ASSERT(first + n <= CORRIDOR_PROOF_HASHES_MAX);
	reverse_into(pushed, n, out, first);
	*count = first + n;
	return CORRIDOR_OK;
}

static bool hash_eq(const uint8_t a[CORRIDOR_HASH_BYTES], const uint8_t *b, size_t b_len)
{
	return b_len == CORRIDOR_HASH_BYTES && sodium_memcmp(a, b, CORRIDOR_HASH_BYTES) == 0;
}

int corridor_merkle_verify_inclusion(uint64_t index, uint64_t size,
				     const uint8_t leaf_hash[CORRIDOR_HASH_BYTES],
				     const uint8_t (*proof)[CORRIDOR_HASH_BYTES], size_t count,
				     const uint8_t *root, size_t root_len)
{
	uint8_t r[CORRIDOR_HASH_BYTES];
	if (index >= size || count > CORRIDOR_PROOF_HASHES_MAX)
		return CORRIDOR_E_VERIFY;
	uint64_t fn = index, sn = size - 1;
	memcpy(r, leaf_hash, CORRIDOR_HASH_BYTES);
	for (size_t i = 0; i < count; i++) {
		if (sn == 0)
			return CORRIDOR_E_VERIFY;
		if ((fn & 1u) || fn == sn) {
			corridor_merkle_node_hash(proof[i], r, r);
			while (!(fn & 1u) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			corridor_merkle_node_hash(r, proof[i], r);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return (sn == 0 && hash_eq(r, root, root_len)) ? CORRIDOR_OK : CORRIDOR_E_VERIFY;
}

int corridor_merkle_verify_consistency(uint64_t size1, uint64_t size2, const uint8_t *root1,
				       size_t root1_len, const uint8_t *root2, size_t root2_len,
				       const uint8_t (*proof)[CORRIDOR_HASH_BYTES], size_t count)
{
	uint8_t fr[CORRIDOR_HASH_BYTES], sr[CORRIDOR_HASH_BYTES];
	if (size1 == 0 || size1 > size2 || count > CORRIDOR_PROOF_HASHES_MAX)
		return CORRIDOR_E_VERIFY;
	if (size1 == size2) {
		bool same = root1_len == root2_len && memcmp(root1, root2, root1_len) == 0;
		return (count == 0 && same) ? CORRIDOR_OK : CORRIDOR_E_VERIFY;
	}
	if (count == 0 || root1_len != CORRIDOR_HASH_BYTES || root2_len != CORRIDOR_HASH_BYTES)
		return CORRIDOR_E_VERIFY;
	/* If size1 is a power of two, the path starts with root1 itself. */
	size_t i = 0;
	if ((size1 & (size1 - 1)) == 0) {
		memcpy(fr, root1, CORRIDOR_HASH_BYTES);
	} else {
		memcpy(fr, proof[0], CORRIDOR_HASH_BYTES);
		i = 1;
	}
	memcpy(sr, fr, CORRIDOR_HASH_BYTES);
	uint64_t fn = size1 - 1, sn = size2 - 1;
	while (fn & 1u) {
		fn >>= 1;
		sn >>= 1;
	}
	for (; i < count; i++) {
		if (sn == 0)
			return CORRIDOR_E_VERIFY;
		if ((fn & 1u) || fn == sn) {
			corridor_merkle_node_hash(proof[i], fr, fr);
			corridor_merkle_node_hash(proof[i], sr, sr);
			while (!(fn & 1u) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			corridor_merkle_node_hash(sr, proof[i], sr);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return (sn == 0 && hash_eq(fr, root1, root1_len) && hash_eq(sr, root2, root2_len))
		       ? CORRIDOR_OK
		       : CORRIDOR_E_VERIFY;
}

void corridor_merkle_range_init(struct corridor_merkle_range *range)
{
	range->size = 0;
	range->count = 0;
}

int corridor_merkle_range_load(struct corridor_merkle_range *range, corridor_merkle_get_fn get,
			       void *ctx, uint64_t size)
{
	uint64_t p = 0;
	corridor_merkle_range_init(range);
	while (p < size) {
		unsigned level = floor_log2(size - p);
		if (p != 0 && (unsigned)__builtin_ctzll(p) < level)
			level = (unsigned)__builtin_ctzll(p);
		CORRIDOR_ASSERT(range->count < LEVELS_MAX);
		int err = get(ctx, level, p >> level, range->hashes[range->count]);
		if (err)
			return err;
		range->count++;
		p += (uint64_t)1 << level;
	}
	range->size = size;
	return CORRIDOR_OK;
}

int corridor_merkle_range_append(struct corridor_merkle_range *range,
				 const uint8_t leaf_hash[CORRIDOR_HASH_BYTES],
				 corridor_merkle_put_fn put, void *ctx)
{
	uint8_t node[CORRIDOR_HASH_BYTES];
	uint64_t index = range->size;
	unsigned level = 0;
	int err;
	if (range->size == UINT64_MAX)
		return CORRIDOR_E_OVERFLOW;
	memcpy(node, leaf_hash, CORRIDOR_HASH_BYTES);
	if (put && (err = put(ctx, 0, index, node)) != 0)
		return err;
	while (index & 1u) {
		CORRIDOR_ASSERT(range->count > 0);
		range->count--;
		corridor_merkle_node_hash(range->hashes[range->count], node, node);
		index >>= 1;
		level++;
		if (put && (err = put(ctx, level, index, node)) != 0)
			return err;
	}
	CORRIDOR_ASSERT(range->count < LEVELS_MAX);
	memcpy(range->hashes[range->count], node, CORRIDOR_HASH_BYTES);
	range->count++;
	range->size++;
	CORRIDOR_ASSERT(range->count == (unsigned)__builtin_popcountll(range->size));
	return CORRIDOR_OK;
}

void corridor_merkle_range_root(const struct corridor_merkle_range *range,
				uint8_t out[CORRIDOR_HASH_BYTES])
{
	if (range->count == 0) {
		empty_root(out);
		return;
	}
	memcpy(out, range->hashes[range->count - 1], CORRIDOR_HASH_BYTES);
	for (unsigned i = range->count - 1; i-- > 0;)
		corridor_merkle_node_hash(range->hashes[i], out, out);
}
