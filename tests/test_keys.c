/* test_keys.c — sealed key files: generate, load, and every way to break one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"

static const char PASS[] = "correct horse battery staple";

static char *make_key(const char *dir, const char *name)
{
	const char *path = path_join(dir, name);
	struct corridor_diag d;
	ck_assert_int_eq(corridor_key_generate(name, PASS, strlen(PASS), CORRIDOR_KDF_INTERACTIVE,
					       path, &d), 0);
	return strdup(path);
}

START_TEST(generate_and_load)
{
	char *dir = tmpdir_new();
	char *path = make_key(dir, "RU-GAZ");
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	struct corridor_vkey pub;
	ck_assert_int_eq(corridor_key_read_public(path, &pub, NULL), 0);
	ck_assert_str_eq(pub.name, "RU-GAZ");
	struct corridor_signer *s;
	ck_assert_int_eq(corridor_signer_load(path, PASS, strlen(PASS), &s, NULL), 0);
	const struct corridor_vkey *vk = corridor_signer_vkey(s);
	ck_assert(memcmp(vk->public_key, pub.public_key, 32) == 0);
	ck_assert_uint_eq(vk->key_id, pub.key_id);
	ck_assert_uint_eq(vk->key_id, corridor_key_id("RU-GAZ", 6, 1, vk->public_key));
	/* The verifier key string round-trips. */
	char str[CORRIDOR_VKEY_BYTES_MAX + 1];
	struct corridor_vkey back;
	corridor_vkey_format(vk, str);
	ck_assert_int_eq(corridor_vkey_parse(str, strlen(str), &back), 0);
	ck_assert(memcmp(back.public_key, vk->public_key, 32) == 0);
	corridor_signer_free(s);
	/* Never overwrites. */
	struct corridor_diag d;
	ck_assert_int_eq(corridor_key_generate("RU-GAZ", PASS, strlen(PASS), CORRIDOR_KDF_INTERACTIVE,
					       path, &d), CORRIDOR_E_EXISTS);
	/* Bad names and empty passphrases are refused. */
	ck_assert_int_eq(corridor_key_generate("has space", PASS, strlen(PASS),
					       CORRIDOR_KDF_INTERACTIVE, path_join(dir, "x"), &d),
			 CORRIDOR_E_INVALID);
	ck_assert_int_eq(corridor_key_generate("a+b", PASS, strlen(PASS), CORRIDOR_KDF_INTERACTIVE,
					       path_join(dir, "y"), &d), CORRIDOR_E_INVALID);
	ck_assert_int_eq(corridor_key_generate("OK", "", 0, CORRIDOR_KDF_INTERACTIVE,
					       path_join(dir, "z"), &d), CORRIDOR_E_INVALID);
	free(path);
	rm_rf(dir);
	free(dir);
}
END_TEST

START_TEST(wrong_passphrase)
{
	char *dir = tmpdir_new();
	char *path = make_key(dir, "CN-BUYER");
	struct corridor_signer *s = NULL;
	struct corridor_diag d;
	ck_assert_int_eq(corridor_signer_load(path, "wrong", 5, &s, &d), CORRIDOR_E_UNSEAL);
	ck_assert_ptr_null(s);
	ck_assert(strstr(d.text, "wrong passphrase") != NULL);
	free(path);
	rm_rf(dir);
	free(dir);
}
END_TEST

START_TEST(truncated_and_garbled)
{
	char *dir = tmpdir_new();
	char *path = make_key(dir, "MN-GRID");
	size_t len;
	uint8_t *orig = slurp(path, &len);
	const char *cut = path_join(dir, "cut.key");
	for (size_t i = 0; i < len; i++) {
		struct corridor_signer *s = NULL;
		ck_assert(spit(cut, orig, i));
		int err = corridor_signer_load(cut, PASS, strlen(PASS), &s, NULL);
		ck_assert_msg(err == CORRIDOR_E_MALFORMED, "cut at %zu gave %d", i, err);
	}
	free(orig);
	free(path);
	rm_rf(dir);
	free(dir);
}
END_TEST

/* Replaces the first occurrence of `from` in the file with `to`. */
static void edit(const char *src, const char *dst, const char *from, const char *to)
{
	size_t len;
	char *t = (char *)slurp(src, &len);
	char *p = strstr(t, from);
	ck_assert_ptr_nonnull(p);
	char out[8192];
	snprintf(out, sizeof out, "%.*s%s%s", (int)(p - t), t, to, p + strlen(from));
	ck_assert(spit(dst, out, strlen(out)));
	free(t);
}

START_TEST(tampered)
{
	char *dir = tmpdir_new();
	char *path = make_key(dir, "MN-TRANSIT");
	const char *bad = path_join(dir, "bad.key");
	size_t len;
	char *text = (char *)slurp(path, &len);
	struct corridor_signer *s = NULL;
	/* A different name: the sealed name disagrees. */
	edit(path, bad, "name MN-TRANSIT", "name MN-TRANSIX");
	ck_assert_int_eq(corridor_signer_load(bad, PASS, strlen(PASS), &s, NULL), CORRIDOR_E_UNSEAL);
	/* A different public key: the sealed seed disagrees. */
	char *pub = strstr(text, "public ") + 7;
	char swapped[64];
	snprintf(swapped, sizeof swapped, "public %c%.42s", pub[0] == 'A' ? 'B' : 'A', pub + 1);
	char orig_line[64];
	snprintf(orig_line, sizeof orig_line, "public %.43s", pub);
	edit(path, bad, orig_line, swapped);
	int err = corridor_signer_load(bad, PASS, strlen(PASS), &s, NULL);
	ck_assert(err == CORRIDOR_E_UNSEAL || err == CORRIDOR_E_MALFORMED);
	/* A different cost: the derived key differs, the MAC fails. */
	edit(path, bad, "argon2id13 2 ", "argon2id13 3 ");
	ck_assert_int_eq(corridor_signer_load(bad, PASS, strlen(PASS), &s, NULL), CORRIDOR_E_UNSEAL);
	/* A hostile cost is refused before any work. */
	edit(path, bad, "argon2id13 2 67108864", "argon2id13 2 1099511627776");
	ck_assert_int_eq(corridor_signer_load(bad, PASS, strlen(PASS), &s, NULL), CORRIDOR_E_LIMIT);
	/* A flipped ciphertext, salt or nonce character. */
	const char *labels[3] = { "sealed ", "salt ", "nonce " };
	for (int i = 0; i < 3; i++) {
		char *v = strstr(text, labels[i]) + strlen(labels[i]);
		char from[64], to[64];
		snprintf(from, sizeof from, "%s%.4s", labels[i], v);
		snprintf(to, sizeof to, "%s%c%.3s", labels[i], v[0] == 'Q' ? 'R' : 'Q', v + 1);
		edit(path, bad, from, to);
		err = corridor_signer_load(bad, PASS, strlen(PASS), &s, NULL);
		ck_assert_msg(err == CORRIDOR_E_UNSEAL || err == CORRIDOR_E_MALFORMED, "%s: %d",
			      labels[i], err);
	}
	ck_assert_ptr_null(s);
	free(text);
	free(path);
	rm_rf(dir);
	free(dir);
}
END_TEST

Suite *suite_keys(void)
{
	Suite *s = suite_create("keys");
	TCase *tc = tcase_create("keyfile");
	tcase_add_test(tc, generate_and_load);
	tcase_add_test(tc, wrong_passphrase);
	tcase_add_test(tc, truncated_and_garbled);
	tcase_add_test(tc, tampered);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}
