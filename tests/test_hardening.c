/* test_hardening.c — what a hostile probe broke (issue 10): escaping, archives
 * truncated while read, keys nobody can own, one BOM rule, the installed
 * library linked through pkg-config. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#define ORIGIN "corridor.example/hardening"

START_TEST(escape_makes_one_safe_line)
{
	char out[256];
	const struct {
		const char *in;
		size_t len;
		const char *want;
	} cases[] = {
		{ "5\033]0;pwned\007", 11, "5\\x1b]0;pwned\\x07" },
		{ "a\nb\r", 4, "a\\x0ab\\x0d" },
		{ "\xff\xfe ok", 5, "\\xff\\xfe ok" },
		{ "\xc2\x9b" "31m", 5, "\\u{9b}31m" },          /* C1 CSI */
		{ "x\xe2\x80\xaey", 5, "x\\u{202e}y" },        /* bidi override */
		{ "Улаанбаатар 北京", strlen("Улаанбаатар 北京"), "Улаанбаатар 北京" },
		{ "tab\there", 8, "tab\\x09here" },
		{ "nul\0in", 6, "nul\\x00in" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t n = corridor_escape(cases[i].in, cases[i].len, out, sizeof out);
		ck_assert_str_eq(out, cases[i].want);
		ck_assert_uint_eq(n, strlen(cases[i].want));
		/* escaping twice changes nothing */
		char again[256];
		corridor_escape(out, n, again, sizeof again);
		ck_assert_str_eq(again, out);
	}
	/* never half an escape or half a code point at the end */
	corridor_escape("ab\033", 3, out, 5);
	ck_assert_str_eq(out, "ab");
	corridor_escape("a北", 4, out, 4);
	ck_assert_str_eq(out, "a");
}
END_TEST

struct cut {
	const char *path;
	off_t to;
	bool done;
};

static void truncate_once(void *ctx, uint64_t done, uint64_t total)
{
	struct cut *c = ctx;
	(void)done;
	(void)total;
	if (!c->done) {
		ck_assert_int_eq(truncate(c->path, c->to), 0);
		c->done = true;
	}
}

/* An archive truncated while it is read: an ordinary error, not SIGBUS; a
 * first import that fails leaves no environment behind. */
START_TEST(archive_truncated_while_read)
{
	char *dir = tmpdir_new();
	struct corridor_signer *op = test_signer(ORIGIN, 7);
	struct corridor_ledger *l;
	struct corridor_diag d;
	ck_assert_int_eq(corridor_ledger_create(path_join(dir, "L"), op, &l, &d), 0);
	/* about 24 MiB: several times the reader's buffer */
	enum { N = 9000 };
	static char text[3000];
	memset(text, 'x', sizeof text - 1);
	const char **texts = malloc(N * sizeof *texts);
	size_t *lens = malloc(N * sizeof *lens);
	for (int i = 0; i < N; i++) {
		texts[i] = text;
		lens[i] = sizeof text - 1;
	}
	ck_assert_msg(corridor_memo_append(l, op, texts, lens, N, 1000, NULL, NULL, &d) == 0, "%s",
		      d.text);
	free(texts);
	free(lens);
	ck_assert_int_eq(corridor_checkpoint_sign(l, op, NULL, &d), 0);
	char arc[1200];
	snprintf(arc, sizeof arc, "%s", path_join(dir, "a.arc"));
	ck_assert_int_eq(corridor_archive_export(l, 0, arc, &d), 0);
	corridor_ledger_close(l);
	struct stat st;
	ck_assert_int_eq(stat(arc, &st), 0);
	ck_assert_int_gt(st.st_size, 16 << 20);
	struct cut c = { .path = arc, .to = st.st_size / 2 };
	corridor_diag_init(&d);
	int err = corridor_archive_verify(arc, corridor_signer_vkey(op), truncate_once, &c, &d);
	ck_assert_msg(c.done, "%d %s", err, d.text);
	ck_assert_int_eq(err, CORRIDOR_E_MALFORMED);
	ck_assert_msg(strstr(d.text, "truncated"), "%s", d.text);
	/* the half archive into a new replica: refused, and no directory left */
	char rep[1200];
	snprintf(rep, sizeof rep, "%s", path_join(dir, "R"));
	corridor_diag_init(&d);
	ck_assert_int_eq(corridor_archive_import(rep, arc, NULL, NULL, &d), CORRIDOR_E_MALFORMED);
	ck_assert_int_ne(stat(rep, &st), 0);
	corridor_signer_free(op);
	rm_rf(dir);
	free(dir);
}
END_TEST

/* No party may register the all-zero (or another small-order) key, nor a key
 * that is already another party's. */
START_TEST(keys_nobody_can_own)
{
	char *dir = tmpdir_new();
	struct corridor_signer *op = test_signer(ORIGIN, 7), *a = test_signer("PA", 8);
	struct corridor_ledger *l;
	struct corridor_diag d;
	uint64_t seq;
	ck_assert_int_eq(corridor_ledger_create(path_join(dir, "L"), op, &l, &d), 0);
	struct corridor_party_request r = { .id = "PA", .name = "PA", .country = "MN",
					    .roles = CORRIDOR_ROLE_SELLER,
					    .key = *corridor_signer_vkey(a) };
	struct corridor_head h0, h1;
	/* the zero key */
	struct corridor_party_request z = r;
	memset(z.key.public_key, 0, sizeof z.key.public_key);
	z.key.key_id = corridor_key_id("PA", 2, CORRIDOR_SIGTYPE_ED25519, z.key.public_key);
	ck_assert_int_eq(corridor_ledger_head(l, &h0), 0);
	corridor_diag_init(&d);
	ck_assert_int_eq(corridor_party_register(l, op, &z, NULL, &seq, &d), CORRIDOR_E_REFUSED);
	ck_assert_msg(strstr(d.text, "not a valid Ed25519"), "%s", d.text);
	ck_assert_int_eq(corridor_ledger_head(l, &h1), 0);
	ck_assert_uint_eq(h0.size, h1.size);
	ck_assert_msg(corridor_party_register(l, op, &r, NULL, &seq, &d) == 0, "%s", d.text);
	/* PA's key for PB */
	struct corridor_party_request b = r;
	b.id = "PB";
	b.name = "PB";
	snprintf(b.key.name, sizeof b.key.name, "PB");
	b.key.key_id = corridor_key_id("PB", 2, CORRIDOR_SIGTYPE_ED25519, b.key.public_key);
	corridor_diag_init(&d);
	ck_assert_int_eq(corridor_party_register(l, op, &b, NULL, &seq, &d), CORRIDOR_E_REFUSED);
	ck_assert_msg(strstr(d.text, "already registered to 'PA'"), "%s", d.text);
	ck_assert_int_eq(corridor_ledger_verify(l, NULL, NULL, &d), 0);
	corridor_ledger_close(l);
	corridor_signer_free(op);
	corridor_signer_free(a);
	rm_rf(dir);
	free(dir);
}
END_TEST

/* One rule for a UTF-8 byte order mark: every reader skips it. */
START_TEST(one_bom_rule)
{
	char path[1024];
	size_t len;
	struct corridor_contract_terms *t = malloc(sizeof *t);
	struct corridor_diag d;
	const char *base = getenv("CORRIDOR_EXAMPLES");
	snprintf(path, sizeof path, "%s/gas-G1.json", base ? base : "docs/examples");
	char *text = (char *)slurp(path, &len);
	ck_assert_ptr_nonnull(text);
	char *bom = malloc(len + 3);
	memcpy(bom, "\xef\xbb\xbf", 3);
	memcpy(bom + 3, text, len);
	ck_assert_msg(corridor_contract_parse_json(bom, len + 3, t, &d) == 0, "%s", d.text);
	ck_assert_str_eq(t->id, "G1");
	free(bom);
	free(text);
	free(t);
	static const char rates[] = "\xef\xbb\xbf" "base,quote,date,rate,source\nUSD,CNY,2027-01-05,7,PBOC\n";
	ck_assert_int_eq(corridor_import_check(CORRIDOR_IMPORT_RATES, rates, sizeof rates - 1, &d), 0);
}
END_TEST

/* `make install` gives a library a program links against with pkg-config,
 * shared (with a soname) and static, and runs. */
START_TEST(installed_library_links_both_ways)
{
	const char *src = getenv("CORRIDOR_SRC"), *build = getenv("CORRIDOR_BUILD");
	if (!src || !build || strcmp(build, "build") != 0) {
		/* the sanitizer build is not what is installed: the plain run covers it */
		fprintf(stderr, "hardening: install test runs in the plain build only\n");
		return;
	}
	char cmd[2048];
	snprintf(cmd, sizeof cmd, "sh '%s/tests/install.sh' '%s' >&2", src, src);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

Suite *suite_hardening(void)
{
	Suite *s = suite_create("hardening");
	TCase *tc = tcase_create("hostile");
	tcase_add_test(tc, escape_makes_one_safe_line);
	tcase_add_test(tc, archive_truncated_while_read);
	tcase_add_test(tc, keys_nobody_can_own);
	tcase_add_test(tc, one_bom_rule);
	tcase_add_test(tc, installed_library_links_both_ways);
	tcase_set_timeout(tc, 300);
	suite_add_tcase(s, tc);
	return s;
}
