/* test_entry.c — canonical decoding of entries and hostile msgpack. */
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "../core/internal.h"
#include "testutil.h"

/* A well-formed entry with body {"text": "hello"}; returns its length. */
static size_t good_entry(uint8_t *out, uint64_t seq)
{
	uint8_t prev[32], body[32], content[512], sig[64];
	memset(prev, 0xab, sizeof prev);
	memset(sig, 0x5a, sizeof sig);
	/* {"text":"hello"} */
	const uint8_t b[] = { 0x81, 0xa4, 't', 'e', 'x', 't', 0xa5, 'h', 'e', 'l', 'l', 'o' };
	memcpy(body, b, sizeof b);
	size_t clen = corridor_entry_encode_content(seq, prev, 1700000000000000u, "memo", "OPERATOR",
						    0x01020304u, body, sizeof b, content,
						    sizeof content);
	ck_assert_uint_gt(clen, 0);
	return corridor_entry_seal(content, clen, sig, out, 1024);
}

START_TEST(roundtrip)
{
	uint8_t buf[1024];
	size_t n = good_entry(buf, 7);
	struct corridor_entry e;
	ck_assert_int_eq(corridor_entry_decode(buf, n, &e, NULL), 0);
	ck_assert_uint_eq(e.seq, 7);
	ck_assert_str_eq(e.kind, "memo");
	ck_assert_str_eq(e.author, "OPERATOR");
	ck_assert_uint_eq(e.key_id, 0x01020304u);
	ck_assert_uint_eq(e.time_us, 1700000000000000u);
	ck_assert_uint_eq(e.body_len, 12);
	const char *s;
	size_t sl;
	ck_assert_int_eq(corridor_msgpack_map_str(e.body, e.body_len, "text", &s, &sl), 0);
	ck_assert_uint_eq(sl, 5);
	ck_assert(memcmp(s, "hello", 5) == 0);
	/* Truncated anywhere: refused, never read past the end. */
	for (size_t i = 0; i < n; i++) {
		uint8_t *copy = malloc(i ? i : 1);
		memcpy(copy, buf, i);
		ck_assert_int_ne(corridor_entry_decode(copy, i, &e, NULL), 0);
		free(copy);
	}
}
END_TEST

static int check(const uint8_t *b, size_t n)
{
	return corridor_msgpack_check_canonical(b, n, CORRIDOR_ENTRY_DEPTH_MAX, NULL);
}

START_TEST(non_canonical_refused)
{
	const uint8_t ok[] = { 0x82, 0x00, 0x01, 0x01, 0x02 };               /* {0:1,1:2} */
	const uint8_t long_int[] = { 0x82, 0x00, 0xcc, 0x01, 0x01, 0x02 };   /* uint8 for 1 */
	const uint8_t long_int16[] = { 0x81, 0x00, 0xcd, 0x00, 0xff };       /* uint16 for 255 */
	const uint8_t signed_pos[] = { 0x81, 0x00, 0xd0, 0x05 };             /* int8 for 5 */
	const uint8_t unsorted[] = { 0x82, 0x01, 0x01, 0x00, 0x02 };
	const uint8_t duplicate[] = { 0x82, 0x00, 0x01, 0x00, 0x02 };
	const uint8_t mixed[] = { 0x82, 0x00, 0x01, 0xa1, 'a', 0x02 };
	const uint8_t str_unsorted[] = { 0x82, 0xa1, 'b', 0x01, 0xa1, 'a', 0x02 };
	const uint8_t str_prefix_order[] = { 0x82, 0xa2, 'a', 'b', 0x01, 0xa1, 'a', 0x02 };
	const uint8_t str8_short[] = { 0xd9, 0x03, 'a', 'b', 'c' };
	const uint8_t map16_small[] = { 0xde, 0x00, 0x01, 0x00, 0x01 };
	const uint8_t bin16_small[] = { 0xc5, 0x00, 0x01, 0x00 };
	ck_assert_int_eq(check(ok, sizeof ok), 0);
	ck_assert_int_eq(check(long_int, sizeof long_int), CORRIDOR_E_NONCANONICAL);
	ck_assert_int_eq(check(long_int16, sizeof long_int16), CORRIDOR_E_NONCANONICAL);
	ck_assert_int_eq(check(signed_pos, sizeof signed_pos), CORRIDOR_E_NONCANONICAL);
	ck_assert_int_eq(check(unsorted, sizeof unsorted), CORRIDOR_E_NONCANONICAL);
	ck_assert_int_eq(check(duplicate, sizeof duplicate), CORRIDOR_E_NONCANONICAL);
	ck_assert_int_eq(check(mixed, sizeof mixed), CORRIDOR_E_NONCANONICAL);
	ck_assert_int_eq(check(str_unsorted, sizeof str_unsorted), CORRIDOR_E_NONCANONICAL);
	ck_assert_int_eq(check(str_prefix_order, sizeof str_prefix_order), CORRIDOR_E_NONCANONICAL);
	ck_assert_int_eq(check(str8_short, sizeof str8_short), CORRIDOR_E_NONCANONICAL);
	ck_assert_int_eq(check(map16_small, sizeof map16_small), CORRIDOR_E_NONCANONICAL);
	ck_assert_int_eq(check(bin16_small, sizeof bin16_small), CORRIDOR_E_NONCANONICAL);
}
END_TEST

START_TEST(refused_types)
{
	const uint8_t f32[] = { 0x81, 0x00, 0xca, 0x3f, 0x80, 0x00, 0x00 };
	const uint8_t f64[] = { 0x81, 0x00, 0xcb, 0, 0, 0, 0, 0, 0, 0, 0 };
	const uint8_t nil[] = { 0x81, 0x00, 0xc0 };
	const uint8_t ext[] = { 0x81, 0x00, 0xd4, 0x01, 0x00 };
	const uint8_t never[] = { 0xc1 };
	const uint8_t bad_utf8[] = { 0xa2, 0xc3, 0x28 };
	const uint8_t overlong[] = { 0xa2, 0xc0, 0x80 };
	const uint8_t trailing[] = { 0x01, 0x02 };
	const uint8_t bin_key[] = { 0x81, 0xc4, 0x01, 0x00, 0x01 };
	ck_assert_int_eq(check(f32, sizeof f32), CORRIDOR_E_MALFORMED);
	ck_assert_int_eq(check(f64, sizeof f64), CORRIDOR_E_MALFORMED);
	ck_assert_int_eq(check(nil, sizeof nil), CORRIDOR_E_MALFORMED);
	ck_assert_int_eq(check(ext, sizeof ext), CORRIDOR_E_MALFORMED);
	ck_assert_int_eq(check(never, sizeof never), CORRIDOR_E_MALFORMED);
	ck_assert_int_eq(check(bad_utf8, sizeof bad_utf8), CORRIDOR_E_MALFORMED);
	ck_assert_int_eq(check(overlong, sizeof overlong), CORRIDOR_E_MALFORMED);
	ck_assert_int_eq(check(trailing, sizeof trailing), CORRIDOR_E_MALFORMED);
	ck_assert_int_ne(check(bin_key, sizeof bin_key), 0);
	/* booleans and negative integers in the signed family are fine */
	const uint8_t ok[] = { 0x83, 0x00, 0xc3, 0x01, 0xff, 0x02, 0xd0, 0x80 };
	ck_assert_int_eq(check(ok, sizeof ok), 0);
}
END_TEST

START_TEST(hostile_counts_refused_before_allocation)
{
	/* Declared counts of 2^32-1 at the top and nested: the pre-scan refuses
	 * them from the header alone (its message names the declared count). */
	const uint8_t top_map[] = { 0xdf, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00 };
	const uint8_t top_array[] = { 0xdd, 0xff, 0xff, 0xff, 0xff, 0x00 };
	const uint8_t nested[] = { 0x81, 0x00, 0x91, 0xdf, 0xff, 0xff, 0xff, 0xff, 0x00 };
	const uint8_t big_str[] = { 0xdb, 0xff, 0xff, 0xff, 0xff, 'a' };
	const uint8_t big_bin[] = { 0xc6, 0xff, 0xff, 0xff, 0xff, 'a' };
	const uint8_t *cases[] = { top_map, top_array, nested, big_str, big_bin };
	size_t lens[] = { sizeof top_map, sizeof top_array, sizeof nested, sizeof big_str,
			  sizeof big_bin };
	for (size_t i = 0; i < 5; i++) {
		struct corridor_diag d;
		struct corridor_entry e;
		corridor_diag_init(&d);
		ck_assert_int_eq(corridor_msgpack_check_canonical(cases[i], lens[i], 8, &d),
				 CORRIDOR_E_MALFORMED);
		ck_assert_msg(strstr(d.text, "declares") != NULL, "case %zu: %s", i, d.text);
		ck_assert_int_eq(corridor_entry_decode(cases[i], lens[i], &e, NULL), CORRIDOR_E_MALFORMED);
	}
	/* Too deep: refused with a limit, not a stack overflow. */
	uint8_t deep[64];
	for (size_t i = 0; i < sizeof deep - 1; i++)
		deep[i] = 0x91;
	deep[sizeof deep - 1] = 0x00;
	ck_assert_int_eq(check(deep, sizeof deep), CORRIDOR_E_LIMIT);
}
END_TEST

START_TEST(envelope_fields)
{
	uint8_t buf[1024];
	size_t n = good_entry(buf, 300);
	struct corridor_entry e;
	ck_assert_int_eq(corridor_entry_decode(buf, n, &e, NULL), 0);
	/* A map that is canonical but not an envelope. */
	const uint8_t small[] = { 0x81, 0x00, 0x01 };
	ck_assert_int_eq(corridor_entry_decode(small, sizeof small, &e, NULL), CORRIDOR_E_MALFORMED);
	/* Too large. */
	uint8_t *big = calloc(CORRIDOR_ENTRY_BYTES_MAX + 1, 1);
	ck_assert_int_eq(corridor_entry_decode(big, CORRIDOR_ENTRY_BYTES_MAX + 1, &e, NULL),
			 CORRIDOR_E_LIMIT);
	free(big);
}
END_TEST

START_TEST(mutations_never_crash_and_stay_canonical)
{
	uint8_t buf[1024], m[1024];
	size_t n = good_entry(buf, 12345);
	uint32_t x = 2463534242u; /* xorshift: fixed seed, same run every time */
	for (int iter = 0; iter < 20000; iter++) {
		memcpy(m, buf, n);
		int flips = 1 + (int)(x % 3);
		for (int f = 0; f < flips; f++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			m[x % n] = (uint8_t)(x >> 8);
		}
		struct corridor_entry e;
		if (corridor_entry_decode(m, n, &e, NULL) == 0)
			/* Whatever is accepted is canonical: it re-checks clean. */
			ck_assert_int_eq(check(m, n), 0);
	}
}
END_TEST

/* The library says which version it is, as the header does, and the shared
 * library is named after it (the Makefile reads the same macros). */
START_TEST(version)
{
	char want[32];
	snprintf(want, sizeof want, "%d.%d.%d", CORRIDOR_VERSION_MAJOR, CORRIDOR_VERSION_MINOR,
		 CORRIDOR_VERSION_PATCH);
	ck_assert_str_eq(corridor_version(), want);
	const char *build = getenv("CORRIDOR_BUILD"), *src = getenv("CORRIDOR_SRC");
	if (build && src) {
		char path[4096];
		snprintf(path, sizeof path, "%s/%s/libcorridor.so.%s", src, build, want);
		ck_assert_msg(access(path, R_OK) == 0, "%s is missing", path);
	}
}
END_TEST

Suite *suite_entry(void)
{
	Suite *s = suite_create("entry");
	TCase *tc = tcase_create("canonical");
	tcase_add_test(tc, roundtrip);
	tcase_add_test(tc, version);
	tcase_add_test(tc, non_canonical_refused);
	tcase_add_test(tc, refused_types);
	tcase_add_test(tc, hostile_counts_refused_before_allocation);
	tcase_add_test(tc, envelope_fields);
	tcase_add_test(tc, mutations_never_crash_and_stay_canonical);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}
