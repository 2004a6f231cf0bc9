/* test_statements.c — statements: what a party signs on its own machine
 * (docs/FORMAT.md "Statements"), checked byte for byte against an
 * independent computation with libsodium alone, and hostile bytes refused. */
#define _GNU_SOURCE /* memmem */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "testutil.h"

#define T0 1782864000000000ull /* 2026-07-01T00:00:00Z, µs */
#define MINUTE 60000000ull

/* {"quantity": 250} */
static const uint8_t BODY[] = { 0x81, 0xa8, 'q', 'u', 'a', 'n', 't', 'i', 't', 'y', 0xcc, 250 };

static struct corridor_signer *signer(const char *name, uint8_t fill)
{
	uint8_t seed[32];
	struct corridor_signer *s;
	memset(seed, fill, sizeof seed);
	ck_assert_int_eq(corridor_signer_from_seed(name, seed, &s), 0);
	return s;
}

static size_t good(const struct corridor_signer *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	struct corridor_diag d;
	corridor_diag_init(&d);
	int err = corridor_statement_sign(s, "corridor.example/ru-mn-cn", "delivery.record",
					  "RU-2026-07-01T00", T0, T0 + 60 * MINUTE, BODY,
					  sizeof BODY, out, cap, &n, &d);
	ck_assert_msg(err == 0, "%s", d.text);
	return n;
}

/* Signed and decoded, every field back; the signature and the hash are
 * what an implementation with only SHA-256 and Ed25519 computes. */
START_TEST(sign_decode_verify)
{
	struct corridor_signer *s = signer("RU-GAZPROM", 7), *other = signer("RU-GAZPROM", 8);
	uint8_t buf[1024];
	size_t n = good(s, buf, sizeof buf);
	struct corridor_statement st;
	ck_assert_int_eq(corridor_statement_decode(buf, n, &st, NULL), 0);
	ck_assert_str_eq(st.origin, "corridor.example/ru-mn-cn");
	ck_assert_str_eq(st.kind, "delivery.record");
	ck_assert_str_eq(st.author, "RU-GAZPROM");
	ck_assert_uint_eq(st.key_id, corridor_signer_vkey(s)->key_id);
	ck_assert_str_eq(st.idempotency_key, "RU-2026-07-01T00");
	ck_assert_uint_eq(st.created_us, T0);
	ck_assert_uint_eq(st.expires_us, T0 + 60 * MINUTE);
	ck_assert_uint_eq(st.body_len, sizeof BODY);
	ck_assert_mem_eq(st.body, BODY, sizeof BODY);
	const uint8_t *pub = corridor_signer_vkey(s)->public_key;
	ck_assert_int_eq(corridor_statement_check_sig(buf, &st, pub), 0);
	ck_assert_int_eq(corridor_statement_check_sig(buf, &st, corridor_signer_vkey(other)->public_key),
			 CORRIDOR_E_SIGNATURE);

	/* independently: the statement map is the bytes up to the signature's
	 * key under fixmap 9; the signed message is the prefix and that map */
	ck_assert_uint_eq(buf[0], 0x8a);
	ck_assert_uint_eq(buf[st.content_len], 0x09);
	ck_assert_uint_eq(buf[st.content_len + 1], 0xc4);
	ck_assert_uint_eq(buf[st.content_len + 2], 64);
	ck_assert_uint_eq(n, st.content_len + 3 + 64);
	uint8_t map[1024], msg[1100], h[32], want[32];
	memcpy(map, buf, st.content_len);
	map[0] = 0x89;
	const char prefix[] = "corridor/statement/v1\n";
	memcpy(msg, prefix, sizeof prefix - 1);
	memcpy(msg + sizeof prefix - 1, map, st.content_len);
	ck_assert_int_eq(crypto_sign_verify_detached(buf + n - 64, msg,
						     sizeof prefix - 1 + st.content_len, pub),
			 0);
	crypto_hash_sha256(want, map, st.content_len);
	corridor_statement_hash(buf, &st, h);
	ck_assert_mem_eq(h, want, 32);
	/* a statement can never pass for an entry: another prefix, another message */
	const char entry_prefix[] = "corridor/entry/v1\n";
	memcpy(msg, entry_prefix, sizeof entry_prefix - 1);
	memcpy(msg + sizeof entry_prefix - 1, map, st.content_len);
	ck_assert_int_ne(crypto_sign_verify_detached(buf + n - 64, msg,
						     sizeof entry_prefix - 1 + st.content_len, pub),
			 0);
	/* a changed byte of the body still decodes, and no longer verifies */
	buf[n - 64 - 3 - 1] ^= 1u;
	ck_assert_int_eq(corridor_statement_decode(buf, n, &st, NULL), 0);
	ck_assert_int_eq(corridor_statement_check_sig(buf, &st, pub), CORRIDOR_E_SIGNATURE);
	corridor_signer_free(s);
	corridor_signer_free(other);
}
END_TEST

/* The worked example of docs/FORMAT.md "Statements", byte for byte. */
START_TEST(format_example)
{
	static const char want_hex[] =
		"8a000101b9636f727269646f722e6578616d706c652f72752d6d6e2d636e02af64656c"
		"69766572792e7265636f726403aa52552d47415a50524f4d04ce24e4e33705b052552d"
		"323032362d30372d303154303006cf000655815f67200007cf0006558235fac4000881"
		"a87175616e74697479ccfa09c44055cbb3f2f79d2f7dd43c1cc58eef892256129d9a8b"
		"bffe3317f4bed4889b47f82f32135b0431e0da64373cfe0067b34677fc5396ae5148c3"
		"ef91ca5f18738908";
	static const char want_hash[] =
		"b53734fbd4b284bab0fc730e4f773a58123d2b743a82ac7ad502abc532d4327b";
	struct corridor_signer *s = signer("RU-GAZPROM", 7);
	uint8_t buf[1024], h[32];
	char hex[2 * sizeof buf + 1], vk[CORRIDOR_VKEY_BYTES_MAX + 1];
	size_t n = good(s, buf, sizeof buf);
	corridor_hex(buf, n, hex);
	ck_assert_str_eq(hex, want_hex);
	struct corridor_statement st;
	ck_assert_int_eq(corridor_statement_decode(buf, n, &st, NULL), 0);
	ck_assert_uint_eq(st.content_len, 116);
	corridor_statement_hash(buf, &st, h);
	corridor_hex(h, 32, hex);
	ck_assert_str_eq(hex, want_hash);
	corridor_vkey_format(corridor_signer_vkey(s), vk);
	ck_assert_str_eq(vk, "RU-GAZPROM+24e4e337+AepKbGPinFIKvvVQexMuxfmVR3auvr57kkIe6mkURtIs");
	corridor_signer_free(s);
}
END_TEST

/* What a statement may not be: each refused by the signer. */
START_TEST(sign_refuses)
{
	struct corridor_signer *s = signer("RU-GAZPROM", 7);
	uint8_t buf[1024];
	size_t n;
	const uint8_t not_map[] = { 0x91, 0x01 }, noncanonical[] = { 0x81, 0xa1, 'q', 0xcd, 0x00,
								     0x01 };
	const char *o = "corridor.example/ru-mn-cn";
	ck_assert_int_eq(corridor_statement_sign(s, o, "delivery.record", NULL, T0, T0 + MINUTE,
						 BODY, sizeof BODY, buf, sizeof buf, &n, NULL),
			 CORRIDOR_E_INVALID);
	ck_assert_int_eq(corridor_statement_sign(s, o, "delivery.record", "", T0, T0 + MINUTE, BODY,
						 sizeof BODY, buf, sizeof buf, &n, NULL),
			 CORRIDOR_E_INVALID);
	ck_assert_int_eq(corridor_statement_sign(s, o, "delivery.record", "a\nb", T0, T0 + MINUTE,
						 BODY, sizeof BODY, buf, sizeof buf, &n, NULL),
			 CORRIDOR_E_INVALID);
	ck_assert_int_eq(corridor_statement_sign(s, o, "delivery.record", "k", T0, T0, BODY,
						 sizeof BODY, buf, sizeof buf, &n, NULL),
			 CORRIDOR_E_INVALID);
	ck_assert_int_eq(corridor_statement_sign(s, o, "Delivery Record", "k", T0, T0 + MINUTE,
						 BODY, sizeof BODY, buf, sizeof buf, &n, NULL),
			 CORRIDOR_E_INVALID);
	ck_assert_int_eq(corridor_statement_sign(s, "with space", "memo", "k", T0, T0 + MINUTE,
						 BODY, sizeof BODY, buf, sizeof buf, &n, NULL),
			 CORRIDOR_E_INVALID);
	ck_assert_int_eq(corridor_statement_sign(s, o, "memo", "k", T0, T0 + MINUTE, not_map,
						 sizeof not_map, buf, sizeof buf, &n, NULL),
			 CORRIDOR_E_INVALID);
	ck_assert_int_eq(corridor_statement_sign(s, o, "memo", "k", T0, T0 + MINUTE, noncanonical,
						 sizeof noncanonical, buf, sizeof buf, &n, NULL),
			 CORRIDOR_E_INVALID);
	ck_assert_int_eq(corridor_statement_sign(s, o, "memo", "k", T0, T0 + MINUTE, BODY,
						 sizeof BODY, buf, 40, &n, NULL),
			 CORRIDOR_E_LIMIT);
	corridor_signer_free(s);
}
END_TEST

/* Hostile bytes: every one refused with a one-line reason, never a crash. */
START_TEST(decode_refuses)
{
	struct corridor_signer *s = signer("MN-MINE", 3);
	uint8_t buf[1024], bad[1100];
	size_t n = good(s, buf, sizeof buf);
	struct corridor_statement st;
	struct corridor_diag d;
	/* truncated anywhere */
	for (size_t cut = 0; cut < n; cut++)
		ck_assert_int_ne(corridor_statement_decode(buf, cut, &st, NULL), 0);
	/* trailing bytes */
	memcpy(bad, buf, n);
	bad[n] = 0xc0;
	ck_assert_int_ne(corridor_statement_decode(bad, n + 1, &st, NULL), 0);
	/* version 2 */
	memcpy(bad, buf, n);
	ck_assert_uint_eq(bad[1], 0x00);
	ck_assert_uint_eq(bad[2], 0x01);
	bad[2] = 0x02;
	corridor_diag_init(&d);
	ck_assert_int_eq(corridor_statement_decode(bad, n, &st, &d), CORRIDOR_E_MALFORMED);
	ck_assert_ptr_nonnull(strstr(d.text, "version"));
	/* a non-canonical version (uint8 for 1) */
	bad[0] = 0x8a;
	memcpy(bad + 1, buf + 1, 1);
	bad[2] = 0xcc;
	bad[3] = 0x01;
	memcpy(bad + 4, buf + 3, n - 3);
	ck_assert_int_eq(corridor_statement_decode(bad, n + 1, &st, NULL), CORRIDOR_E_NONCANONICAL);
	/* the signature's key out of place: a map of 9 */
	memcpy(bad, buf, n);
	bad[0] = 0x89;
	ck_assert_int_ne(corridor_statement_decode(bad, st.content_len, &st, NULL), 0);
	/* a short signature */
	memcpy(bad, buf, n);
	bad[n - 64 - 1] = 63;
	ck_assert_int_ne(corridor_statement_decode(bad, n - 1, &st, NULL), 0);
	/* a control character (here NUL) in the idempotency key (found by the fuzzer) */
	memcpy(bad, buf, n);
	uint8_t *idem = memmem(bad, n, "RU-2026", 7);
	ck_assert_ptr_nonnull(idem);
	idem[2] = 0x00;
	corridor_diag_init(&d);
	ck_assert_int_eq(corridor_statement_decode(bad, n, &st, &d), CORRIDOR_E_MALFORMED);
	ck_assert_ptr_nonnull(strstr(d.text, "idempotency key"));
	/* not msgpack at all, and too large */
	ck_assert_int_ne(corridor_statement_decode((const uint8_t *)"hello", 5, &st, NULL), 0);
	uint8_t *big = calloc(1, CORRIDOR_STATEMENT_BYTES_MAX + 1);
	ck_assert_ptr_nonnull(big);
	ck_assert_int_eq(corridor_statement_decode(big, CORRIDOR_STATEMENT_BYTES_MAX + 1, &st, NULL),
			 CORRIDOR_E_LIMIT);
	free(big);
	corridor_signer_free(s);
}
END_TEST

/* The lifetime rules, at the log's time. */
START_TEST(lifetime)
{
	struct corridor_signer *s = signer("CN-CNPC", 5);
	uint8_t buf[1024];
	size_t n = good(s, buf, sizeof buf); /* created T0, expires T0 + 1 h */
	struct corridor_statement st;
	struct corridor_diag d;
	ck_assert_int_eq(corridor_statement_decode(buf, n, &st, NULL), 0);
	const uint64_t skew = CORRIDOR_STATEMENT_SKEW_US, life = CORRIDOR_STATEMENT_LIFETIME_US;
	ck_assert_int_eq(corridor_statement_check_time(&st, T0, skew, life, NULL), 0);
	ck_assert_int_eq(corridor_statement_check_time(&st, T0 + 59 * MINUTE, skew, life, NULL), 0);
	/* signed on a clock 14 minutes ahead: within the skew */
	ck_assert_int_eq(corridor_statement_check_time(&st, T0 - 14 * MINUTE, skew, life, NULL), 0);
	corridor_diag_init(&d);
	ck_assert_int_eq(corridor_statement_check_time(&st, T0 - 16 * MINUTE, skew, life, &d),
			 CORRIDOR_E_REFUSED);
	ck_assert_ptr_nonnull(strstr(d.text, "skew"));
	corridor_diag_init(&d);
	ck_assert_int_eq(corridor_statement_check_time(&st, T0 + 60 * MINUTE, skew, life, &d),
			 CORRIDOR_E_REFUSED);
	ck_assert_ptr_nonnull(strstr(d.text, "expired"));
	corridor_diag_init(&d);
	ck_assert_int_eq(corridor_statement_check_time(&st, T0, skew, 30 * MINUTE, &d),
			 CORRIDOR_E_REFUSED);
	ck_assert_ptr_nonnull(strstr(d.text, "longer"));
	corridor_signer_free(s);
}
END_TEST

Suite *suite_statements(void)
{
	Suite *s = suite_create("statements");
	TCase *tc = tcase_create("statements");
	tcase_add_test(tc, sign_decode_verify);
	tcase_add_test(tc, format_example);
	tcase_add_test(tc, sign_refuses);
	tcase_add_test(tc, decode_refuses);
	tcase_add_test(tc, lifetime);
	suite_add_tcase(s, tc);
	return s;
}
