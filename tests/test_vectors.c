/* test_vectors.c — the published vectors: RFC 6962 roots and proofs, the
 * transparency-dev probes, and C2SP signed notes and verifier keys. */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* ---- an in-memory node store for the 8-leaf tree ---- */

#define MEM_LEVELS 8
#define MEM_INDEX 64
struct mem_tree {
	uint8_t node[MEM_LEVELS][MEM_INDEX][32];
	bool has[MEM_LEVELS][MEM_INDEX];
};

static int mem_get(void *ctx, unsigned level, uint64_t index, uint8_t out[32])
{
	struct mem_tree *t = ctx;
	if (level >= MEM_LEVELS || index >= MEM_INDEX || !t->has[level][index])
		return CORRIDOR_E_NOTFOUND;
	memcpy(out, t->node[level][index], 32);
	return 0;
}

static int mem_put(void *ctx, unsigned level, uint64_t index, const uint8_t hash[32])
{
	struct mem_tree *t = ctx;
	ck_assert(level < MEM_LEVELS && index < MEM_INDEX);
	memcpy(t->node[level][index], hash, 32);
	t->has[level][index] = true;
	return 0;
}

static const char *LEAVES[8] = { "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
				 "606162636465666768696a6b6c6d6e6f" };
static const char *ROOTS[9] = {
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

static void build_tree(struct mem_tree *t, struct corridor_merkle_range *r, uint8_t roots[9][32])
{
	memset(t, 0, sizeof *t);
	corridor_merkle_range_init(r);
	corridor_merkle_range_root(r, roots[0]);
	for (int i = 0; i < 8; i++) {
		uint8_t leaf[16], h[32];
		size_t n = strlen(LEAVES[i]) / 2;
		ck_assert_int_eq(corridor_unhex(LEAVES[i], 2 * n, leaf, n), 0);
		corridor_merkle_leaf_hash(leaf, n, h);
		ck_assert_int_eq(corridor_merkle_range_append(r, h, mem_put, t), 0);
		corridor_merkle_range_root(r, roots[i + 1]);
	}
}

START_TEST(roots_0_to_8)
{
	struct mem_tree t;
	struct corridor_merkle_range r;
	uint8_t roots[9][32];
	build_tree(&t, &r, roots);
	for (int n = 0; n <= 8; n++) {
		char hex[65], hex2[65];
		uint8_t stored[32];
		corridor_hex(roots[n], 32, hex);
		ck_assert_str_eq(hex, ROOTS[n]);
		/* The root from stored nodes agrees with the compact range. */
		ck_assert_int_eq(corridor_merkle_root(mem_get, &t, (uint64_t)n, stored), 0);
		corridor_hex(stored, 32, hex2);
		ck_assert_str_eq(hex2, ROOTS[n]);
	}
}
END_TEST

START_TEST(all_64_proofs)
{
	struct mem_tree t;
	struct corridor_merkle_range r;
	uint8_t roots[9][32];
	build_tree(&t, &r, roots);
	size_t len;
	char *text = (char *)slurp(vector_path("rfc6962-8leaf-proofs.txt"), &len);
	ck_assert_ptr_nonnull(text);
	int lines = 0;
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char kind;
		unsigned m, n;
		int off = 0;
		ck_assert_int_eq(sscanf(line, "%c %u %u%n", &kind, &m, &n, &off), 3);
		uint8_t want[16][32], got[CORRIDOR_PROOF_HASHES_MAX][32];
		size_t nwant = 0, ngot = 0;
		for (char *p = line + off; *p == ' '; p += 65) {
			ck_assert_int_eq(corridor_unhex(p + 1, 64, want[nwant], 32), 0);
			nwant++;
		}
		uint8_t leaf[16], lh[32];
		if (kind == 'I') {
			size_t ln = strlen(LEAVES[m]) / 2;
			ck_assert_int_eq(corridor_unhex(LEAVES[m], 2 * ln, leaf, ln), 0);
			corridor_merkle_leaf_hash(leaf, ln, lh);
			ck_assert_int_eq(corridor_merkle_prove_inclusion(mem_get, &t, m, n, got, &ngot), 0);
			ck_assert_int_eq(corridor_merkle_verify_inclusion(
						 m, n, lh, (const uint8_t(*)[32])want, nwant, roots[n], 32),
					 0);
		} else {
			ck_assert_int_eq(kind, 'C');
			ck_assert_int_eq(corridor_merkle_prove_consistency(mem_get, &t, m, n, got, &ngot), 0);
			ck_assert_int_eq(corridor_merkle_verify_consistency(m, n, roots[m], 32, roots[n], 32,
									    (const uint8_t(*)[32])want,
									    nwant),
					 0);
		}
		ck_assert_uint_eq(ngot, nwant);
		ck_assert(memcmp(got, want, 32 * nwant) == 0);
		lines++;
	}
	ck_assert_int_eq(lines, 64);
	free(text);
}
END_TEST

/* ---- the 196 probes ---- */

static int probes_run, probes_agree;

/* Decodes a base64 string (any length); false if it is not base64. */
static bool b64(json_t *v, uint8_t *out, size_t cap, size_t *n)
{
	if (!json_is_string(v))
		return false;
	const char *s = json_string_value(v);
	return corridor_unbase64(s, strlen(s), out, cap, n) == 0;
}

/* The policy of vectors/README.md: leaf and proof hashes exactly 32 bytes. */
static bool proof_hashes(json_t *arr, uint8_t (*out)[32], size_t *n)
{
	*n = 0;
	if (json_is_null(arr))
		return true;
	if (!json_is_array(arr) || json_array_size(arr) > CORRIDOR_PROOF_HASHES_MAX)
		return false;
	for (size_t i = 0; i < json_array_size(arr); i++) {
		uint8_t buf[128];
		size_t got;
		if (!b64(json_array_get(arr, i), buf, sizeof buf, &got) || got != 32)
			return false;
		memcpy(out[i], buf, 32);
		(*n)++;
	}
	return true;
}

/* jansson holds integers as int64; some probes use 2^64-1. The integer
 * fields are read from the text and blanked before jansson parses the rest. */
static bool take_u64(char *text, const char *key, uint64_t *out)
{
	char pat[32];
	snprintf(pat, sizeof pat, "\"%s\":", key);
	char *p = strstr(text, pat);
	if (!p)
		return false;
	p += strlen(pat);
	while (*p == ' ')
		p++;
	bool neg = *p == '-';
	char *start = p, *end;
	errno = 0;
	unsigned long long v = strtoull(neg ? p + 1 : p, &end, 10);
	bool ok = !neg && errno == 0 && end != p;
	for (char *q = start; q < end; q++)
		*q = q == start ? '0' : ' ';
	*out = v;
	return ok;
}

static bool probe_ok(const char *path)
{
	json_error_t jerr;
	size_t tlen;
	char *text = (char *)slurp(path, &tlen);
	ck_assert_ptr_nonnull(text);
	uint64_t a = 0, b = 0;
	bool incl = strstr(text, "\"leafIdx\"") != NULL;
	bool ints_ok = incl ? take_u64(text, "leafIdx", &a) & take_u64(text, "treeSize", &b)
			    : take_u64(text, "size1", &a) & take_u64(text, "size2", &b);
	json_t *j = json_loads(text, 0, &jerr);
	free(text);
	ck_assert_msg(j != NULL, "cannot parse %s: %s", path, jerr.text);
	uint8_t proof[CORRIDOR_PROOF_HASHES_MAX][32], r1[128], r2[128], leaf[128];
	size_t np, n1 = 0, n2 = 0, nl = 0;
	bool holds = false;
	if (incl) {
		uint64_t idx = a, size = b;
		if (ints_ok &&
		    b64(json_object_get(j, "root"), r1, sizeof r1, &n1) &&
		    b64(json_object_get(j, "leafHash"), leaf, sizeof leaf, &nl) && nl == 32 &&
		    proof_hashes(json_object_get(j, "proof"), proof, &np))
			holds = corridor_merkle_verify_inclusion(idx, size, leaf,
								 (const uint8_t(*)[32])proof, np,
								 r1, n1) == 0;
	} else {
		uint64_t s1 = a, s2 = b;
		if (ints_ok &&
		    b64(json_object_get(j, "root1"), r1, sizeof r1, &n1) &&
		    b64(json_object_get(j, "root2"), r2, sizeof r2, &n2) &&
		    proof_hashes(json_object_get(j, "proof"), proof, &np))
			holds = corridor_merkle_verify_consistency(s1, s2, r1, n1, r2, n2,
								   (const uint8_t(*)[32])proof, np) == 0;
	}
	bool want_err = json_is_true(json_object_get(j, "wantErr"));
	json_decref(j);
	return holds != want_err;
}

static int visit_probe(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	size_t n = strlen(p);
	if (flag != FTW_F || n < 5 || strcmp(p + n - 5, ".json") != 0)
		return 0;
	probes_run++;
	if (probe_ok(p))
		probes_agree++;
	else
		fprintf(stderr, "probe disagrees: %s\n", p);
	return 0;
}

START_TEST(all_196_probes)
{
	probes_run = probes_agree = 0;
	char dir[1024];
	snprintf(dir, sizeof dir, "%s", vector_path("rfc6962-probes"));
	ck_assert_int_eq(nftw(dir, visit_probe, 16, FTW_PHYS), 0);
	ck_assert_int_eq(probes_run, 196);
	ck_assert_int_eq(probes_agree, 196);
}
END_TEST

/* ---- C2SP signed notes ---- */

static const char N1_TEXT[] = "If you think cryptography is the answer to your problem,\n"
			      "then you don't know what your problem is.\n";
static const char N1_NOTE[] =
	"If you think cryptography is the answer to your problem,\n"
	"then you don't know what your problem is.\n"
	"\n"
	"\xe2\x80\x94 PeterNeumann "
	"x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
static const char N1_VKEY[] = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
static const char N2_VKEY[] = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
static const char N2_NOTE[] =
	"This is an example message.\n"
	"\n"
	"\xe2\x80\x94 example.com/foo "
	"Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";
static const char N3_VKEY[] = "example.org/ledger-test+967522f8+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4";
static const char N3_NOTE[] =
	"example.org/ledger-test\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n"
	"\xe2\x80\x94 example.org/ledger-test "
	"lnUi+BVs62UNptcifsRHHiw/iO1HogVFIfsAPRmBG/WD3E2H4Cul3pr6EdHy/1TVSsAQS7wmRD18MDIncqo/thPopgw=\n";

START_TEST(note_n1_signs_byte_for_byte)
{
	uint8_t seed[32];
	struct corridor_signer *s;
	char vk[CORRIDOR_VKEY_BYTES_MAX + 1], *note;
	size_t len;
	ck_assert_int_eq(corridor_unhex("810a1402d5146c8d84f2443330f54080ebf98ee17d9c74f6252fc5d5c7283173",
					64, seed, 32), 0);
	ck_assert_int_eq(corridor_signer_from_seed("PeterNeumann", seed, &s), 0);
	corridor_vkey_format(corridor_signer_vkey(s), vk);
	ck_assert_str_eq(vk, N1_VKEY);
	ck_assert_int_eq(corridor_note_sign(N1_TEXT, strlen(N1_TEXT), s, &note, &len), 0);
	ck_assert_str_eq(note, N1_NOTE);
	free(note);
	corridor_signer_free(s);
}
END_TEST

START_TEST(note_n2_verifies)
{
	struct corridor_vkey vk;
	struct corridor_note note;
	ck_assert_int_eq(corridor_vkey_parse(N2_VKEY, strlen(N2_VKEY), &vk), 0);
	ck_assert_int_eq(corridor_note_open(N2_NOTE, strlen(N2_NOTE), &vk, 1, &note), 0);
	ck_assert_uint_eq(note.text_len, strlen("This is an example message.\n"));
}
END_TEST

START_TEST(note_n3_checkpoint)
{
	uint8_t seed[32];
	struct corridor_signer *s;
	struct corridor_checkpoint cp = { .size = 8 };
	char vk[CORRIDOR_VKEY_BYTES_MAX + 1], text[256], *note;
	size_t tlen, len;
	for (int i = 0; i < 32; i++)
		seed[i] = (uint8_t)i;
	ck_assert_int_eq(corridor_signer_from_seed("example.org/ledger-test", seed, &s), 0);
	corridor_vkey_format(corridor_signer_vkey(s), vk);
	ck_assert_str_eq(vk, N3_VKEY);
	ck_assert_uint_eq(corridor_signer_vkey(s)->key_id, 0x967522f8u);
	strcpy(cp.origin, "example.org/ledger-test");
	ck_assert_int_eq(corridor_unhex(ROOTS[8], 64, cp.root, 32), 0);
	ck_assert_int_eq(corridor_checkpoint_format(&cp, text, sizeof text, &tlen), 0);
	ck_assert_int_eq(corridor_note_sign(text, tlen, s, &note, &len), 0);
	ck_assert_str_eq(note, N3_NOTE);
	/* And it parses back. */
	struct corridor_note parsed;
	struct corridor_checkpoint back;
	ck_assert_int_eq(corridor_note_open(note, len, corridor_signer_vkey(s), 1, &parsed), 0);
	ck_assert_int_eq(corridor_checkpoint_parse(note, parsed.text_len, &back), 0);
	ck_assert_uint_eq(back.size, 8);
	ck_assert(memcmp(back.root, cp.root, 32) == 0);
	free(note);
	corridor_signer_free(s);
}
END_TEST

START_TEST(vkeys_rejected)
{
	struct corridor_vkey vk;
	size_t n = strlen(N1_VKEY);
	char buf[256];
	ck_assert_int_eq(corridor_vkey_parse(N1_VKEY, n, &vk), 0);
	for (size_t i = 0; i < n; i++) /* every proper prefix */
		ck_assert_int_ne(corridor_vkey_parse(N1_VKEY, i, &vk), 0);
	for (size_t i = 0; i < n; i++) { /* any single byte changed */
		for (int c = 0; c < 256; c++) {
			if ((char)c == N1_VKEY[i])
				continue;
			memcpy(buf, N1_VKEY, n);
			buf[i] = (char)c;
			ck_assert_msg(corridor_vkey_parse(buf, n, &vk) != 0, "accepted change at %zu to %d",
				      i, c);
		}
	}
	const char *bad1 = "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==";
	const char *bad2 = "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
	ck_assert_int_ne(corridor_vkey_parse(bad1, strlen(bad1), &vk), 0);
	ck_assert_int_ne(corridor_vkey_parse(bad2, strlen(bad2), &vk), 0);
}
END_TEST

START_TEST(note_tampering)
{
	struct corridor_vkey vk, other;
	struct corridor_note note;
	size_t n = strlen(N1_NOTE);
	char buf[512];
	ck_assert_int_eq(corridor_vkey_parse(N1_VKEY, strlen(N1_VKEY), &vk), 0);
	ck_assert_int_eq(corridor_note_open(N1_NOTE, n, &vk, 1, &note), 0);
	/* Any one byte of the text changed: rejected. */
	size_t text_len = strlen(N1_TEXT);
	for (size_t i = 0; i < text_len - 1; i++) {
		memcpy(buf, N1_NOTE, n);
		buf[i] = buf[i] == 'x' ? 'y' : 'x';
		ck_assert_int_ne(corridor_note_open(buf, n, &vk, 1, &note), 0);
	}
	/* No signature from a known key: rejected; an unknown signer is ignored. */
	ck_assert_int_eq(corridor_vkey_parse(N2_VKEY, strlen(N2_VKEY), &other), 0);
	ck_assert_int_eq(corridor_note_open(N1_NOTE, n, &other, 1, &note), CORRIDOR_E_KEY);
	struct corridor_vkey both[2] = { other, vk };
	ck_assert_int_eq(corridor_note_open(N1_NOTE, n, both, 2, &note), 0);
	/* A second, unknown signature line is ignored. */
	snprintf(buf, sizeof buf, "%s\xe2\x80\x94 someone.else AAAAAAAAAAAAAAA=\n", N1_NOTE);
	ck_assert_int_eq(corridor_note_open(buf, strlen(buf), &vk, 1, &note), 0);
	ck_assert_uint_eq(note.sig_count, 2);
	/* Malformed: no blank line, control characters, no final newline. */
	ck_assert_int_ne(corridor_note_open(N1_TEXT, strlen(N1_TEXT), &vk, 1, &note), 0);
	memcpy(buf, N1_NOTE, n);
	buf[3] = '\t';
	ck_assert_int_eq(corridor_note_parse(buf, n, &note), CORRIDOR_E_MALFORMED);
	ck_assert_int_eq(corridor_note_parse(N1_NOTE, n - 1, &note), CORRIDOR_E_MALFORMED);
}
END_TEST

Suite *suite_vectors(void)
{
	Suite *s = suite_create("vectors");
	TCase *tc = tcase_create("published");
	tcase_add_test(tc, roots_0_to_8);
	tcase_add_test(tc, all_64_proofs);
	tcase_add_test(tc, all_196_probes);
	tcase_add_test(tc, note_n1_signs_byte_for_byte);
	tcase_add_test(tc, note_n2_verifies);
	tcase_add_test(tc, note_n3_checkpoint);
	tcase_add_test(tc, vkeys_rejected);
	tcase_add_test(tc, note_tampering);
	suite_add_tcase(s, tc);
	return s;
}
