/* test_cli.c — end-to-end: the real build/corridor binary on a temp ledger. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"

#define ORIGIN "corridor.example/ru-mn-cn"

static char *g_dir;
static char g_env_ledger[1200];
static const char *ENV[] = { "CORRIDOR_PASSPHRASE=test passphrase", g_env_ledger, NULL };

static struct run cli(const char *const *argv)
{
	return run_cli(argv, ENV);
}

/* Runs and expects exit `code`; returns stdout (caller frees). */
static char *expect(int code, const char *const *argv)
{
	struct run r = cli(argv);
	ck_assert_msg(r.status == code, "%s %s: exit %d, want %d; stderr: %s", argv[0],
		      argv[1] ? argv[1] : "", r.status, code, r.err);
	if (code != 0) {
		/* One clear line on stderr. */
		size_t n = strlen(r.err);
		ck_assert_msg(n > 0 && strchr(r.err, '\n') == r.err + n - 1, "stderr: '%s'", r.err);
	}
	free(r.err);
	return r.out;
}

static const char *P(const char *name)
{
	return path_join(g_dir, name);
}

static char g_vkey[CORRIDOR_VKEY_BYTES_MAX + 2];

static void setup(void)
{
	g_dir = tmpdir_new();
	snprintf(g_env_ledger, sizeof g_env_ledger, "CORRIDOR_LEDGER=%s/ledger", g_dir);
	char *out = expect(0, (const char *[]){ "key", "generate", "--name", ORIGIN, "--out",
						P("op.key"), "--kdf", "interactive", NULL });
	snprintf(g_vkey, sizeof g_vkey, "%s", out);
	g_vkey[strcspn(g_vkey, "\n")] = 0;
	free(out);
	free(expect(0, (const char *[]){ "init", "--origin", ORIGIN, "--operator-key", P("op.key"),
					 NULL }));
}

static void teardown(void)
{
	rm_rf(g_dir);
	free(g_dir);
}

START_TEST(keys_from_the_command_line)
{
	struct stat st;
	ck_assert_int_eq(stat(P("op.key"), &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	char *out = expect(0, (const char *[]){ "key", "public", P("op.key"), NULL });
	out[strcspn(out, "\n")] = 0;
	ck_assert_str_eq(out, g_vkey);
	struct corridor_vkey vk;
	ck_assert_int_eq(corridor_vkey_parse(out, strlen(out), &vk), 0);
	ck_assert_str_eq(vk.name, ORIGIN);
	free(out);
	/* Refuses to overwrite; bad level; init refuses a key named otherwise. */
	free(expect(1, (const char *[]){ "key", "generate", "--name", ORIGIN, "--out", P("op.key"),
					 "--kdf", "interactive", NULL }));
	free(expect(2, (const char *[]){ "key", "generate", "--name", "X", "--out", P("x.key"),
					 "--kdf", "fast", NULL }));
	free(expect(0, (const char *[]){ "key", "generate", "--name", "OTHER", "--out",
					 P("other.key"), "--kdf", "interactive", NULL }));
	free(expect(1, (const char *[]){ "init", "--origin", "OTHER", "--operator-key", P("other.key"),
					 NULL }));
	/* Wrong passphrase: one line, exit 1, nothing written. */
	struct run r = run_cli((const char *[]){ "memo", "--key", P("op.key"), "hi", NULL },
			       (const char *[]){ "CORRIDOR_PASSPHRASE=nope", g_env_ledger, NULL });
	ck_assert_int_eq(r.status, 1);
	ck_assert(strstr(r.err, "wrong passphrase") != NULL);
	run_free(&r);
	/* Passphrase from a file. */
	ck_assert(spit(P("pass.txt"), "test passphrase\n", 16));
	r = run_cli((const char *[]){ "memo", "--key", P("op.key"), "--passphrase-file", P("pass.txt"),
				      "from file", NULL },
		    (const char *[]){ "CORRIDOR_PASSPHRASE=", g_env_ledger, NULL });
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert_str_eq(r.out, "1\n");
	run_free(&r);
	/* A truncated key file. */
	size_t len;
	uint8_t *k = slurp(P("op.key"), &len);
	ck_assert(spit(P("cut.key"), k, len / 2));
	free(k);
	r = cli((const char *[]){ "memo", "--key", P("cut.key"), "hi", NULL });
	ck_assert_int_eq(r.status, 1);
	ck_assert(strstr(r.err, "truncated") != NULL);
	run_free(&r);
	/* Another party's key is not registered. */
	free(expect(1, (const char *[]){ "memo", "--key", P("other.key"), "hi", NULL }));
}
END_TEST

START_TEST(memo_log_and_verify)
{
	char *out = expect(0, (const char *[]){ "memo", "--key", P("op.key"), "gas nomination accepted",
						NULL });
	ck_assert_str_eq(out, "1\n");
	free(out);
	const char lines[] = "line one\r\nline two\nline three\n";
	ck_assert(spit(P("lines.txt"), lines, strlen(lines)));
	out = expect(0, (const char *[]){ "memo", "--key", P("op.key"), "--from", P("lines.txt"),
					  "--batch", "2", NULL });
	ck_assert_str_eq(out, "appended 2..3\nappended 4..4\n");
	free(out);
	/* A bad line anywhere: nothing written, the line named. */
	ck_assert(spit(P("bad.txt"), "ok\nfine\n\nlast\n", 14));
	struct run r = cli((const char *[]){ "memo", "--key", P("op.key"), "--from", P("bad.txt"), NULL });
	ck_assert_int_eq(r.status, 1);
	ck_assert(strstr(r.err, "line 3") != NULL);
	run_free(&r);
	out = expect(0, (const char *[]){ "log", "--format", "json", NULL });
	int lines_n = 0;
	for (char *p = out; (p = strchr(p, '\n')); p++)
		lines_n++;
	ck_assert_int_eq(lines_n, 5);
	ck_assert(strstr(out, "\"seq\":3,\"kind\":\"memo\"") != NULL);
	ck_assert(strstr(out, "\"body\":{\"text\":\"line two\"}") != NULL);
	ck_assert(strstr(out, "\"leaf_hash\":\"") != NULL);
	ck_assert(strstr(out, "\"author\":\"" ORIGIN "\"") != NULL);
	free(out);
	out = expect(0, (const char *[]){ "log", "--from", "4", "--limit", "1", NULL });
	ck_assert(strstr(out, "line three") != NULL && strstr(out, "line two") == NULL);
	free(out);
	out = expect(0, (const char *[]){ "verify", NULL });
	ck_assert(strstr(out, "verify OK: 5 entries") != NULL);
	free(out);
	/* Usage errors exit 2; a missing ledger exits 1 with a hint. */
	free(expect(2, (const char *[]){ "log", "--format", "xml", NULL }));
	free(expect(2, (const char *[]){ "memo", "--key", P("op.key"), NULL }));
	free(expect(2, (const char *[]){ "frobnicate", NULL }));
	r = cli((const char *[]){ "log", "--ledger", P("nothing-here"), NULL });
	ck_assert_int_eq(r.status, 1);
	ck_assert(strstr(r.err, "corridor init") != NULL);
	run_free(&r);
}
END_TEST

START_TEST(proofs_and_audits)
{
	for (int i = 0; i < 6; i++)
		free(expect(0, (const char *[]){ "memo", "--key", P("op.key"), "reading", NULL }));
	char *cp7 = expect(0, (const char *[]){ "checkpoint", NULL });
	ck_assert(spit(P("cp7"), cp7, strlen(cp7)));
	ck_assert(strncmp(cp7, ORIGIN "\n7\n", strlen(ORIGIN) + 3) == 0);
	free(cp7);
	char *proof = expect(0, (const char *[]){ "prove", "inclusion", "5", NULL });
	ck_assert(strncmp(proof, "c2sp.org/tlog-proof@v1\nindex 5\n", 31) == 0);
	ck_assert(spit(P("p5"), proof, strlen(proof)));
	free(proof);
	free(expect(0, (const char *[]){ "entry", "5", "--out", P("e5"), NULL }));
	char *ok = expect(0, (const char *[]){ "audit", "inclusion", "--vkey", g_vkey, "--entry",
					       P("e5"), P("p5"), NULL });
	ck_assert(strstr(ok, "inclusion OK") != NULL);
	free(ok);
	/* The wrong entry for the proof, a wrong leaf hash, another key: refused. */
	free(expect(0, (const char *[]){ "entry", "4", "--out", P("e4"), NULL }));
	free(expect(1, (const char *[]){ "audit", "inclusion", "--vkey", g_vkey, "--entry", P("e4"),
					 P("p5"), NULL }));
	free(expect(1, (const char *[]){ "audit", "inclusion", "--vkey", g_vkey, "--leaf-hash",
					 "00000000000000000000000000000000000000000000000000000000000000"
					 "00",
					 P("p5"), NULL }));
	free(expect(0, (const char *[]){ "key", "generate", "--name", ORIGIN, "--out", P("fake.key"),
					 "--kdf", "interactive", NULL }));
	char *fake = expect(0, (const char *[]){ "key", "public", P("fake.key"), NULL });
	fake[strcspn(fake, "\n")] = 0;
	free(expect(1, (const char *[]){ "audit", "inclusion", "--vkey", fake, "--entry", P("e5"),
					 P("p5"), NULL }));
	free(expect(1, (const char *[]){ "audit", "checkpoint", "--vkey", fake, P("cp7"), NULL }));
	free(fake);
	/* The checkpoint, its tampering, consistency with a later one. */
	ok = expect(0, (const char *[]){ "audit", "checkpoint", "--vkey", g_vkey, P("cp7"), NULL });
	ck_assert(strstr(ok, "size 7") != NULL);
	free(ok);
	size_t len;
	char *t = (char *)slurp(P("cp7"), &len);
	t[strlen(ORIGIN) + 1] = '8';
	ck_assert(spit(P("cp7bad"), t, len));
	free(t);
	free(expect(1, (const char *[]){ "audit", "checkpoint", "--vkey", g_vkey, P("cp7bad"), NULL }));
	free(expect(0, (const char *[]){ "memo", "--key", P("op.key"), "later", NULL }));
	char *cp8 = expect(0, (const char *[]){ "checkpoint", NULL });
	ck_assert(spit(P("cp8"), cp8, strlen(cp8)));
	free(cp8);
	char *cons = expect(0, (const char *[]){ "prove", "consistency", "7", NULL });
	ck_assert(spit(P("c78"), cons, strlen(cons)));
	free(cons);
	ok = expect(0, (const char *[]){ "audit", "consistency", "--vkey", g_vkey, P("cp7"), P("cp8"),
					 P("c78"), NULL });
	ck_assert(strstr(ok, "7 -> 8") != NULL);
	free(ok);
	free(expect(1, (const char *[]){ "audit", "consistency", "--vkey", g_vkey, P("cp8"), P("cp7"),
					 P("c78"), NULL }));
	/* checkpoint sign with a non-operator key is refused; --size selects one. */
	free(expect(1, (const char *[]){ "checkpoint", "sign", "--key", P("fake.key"), NULL }));
	char *cp = expect(0, (const char *[]){ "checkpoint", "--size", "7", NULL });
	ck_assert(strncmp(cp, ORIGIN "\n7\n", strlen(ORIGIN) + 3) == 0);
	free(cp);
	free(expect(1, (const char *[]){ "checkpoint", "--size", "99", NULL }));
	free(expect(1, (const char *[]){ "prove", "inclusion", "99", NULL }));
}
END_TEST

START_TEST(archives_and_replicas)
{
	for (int i = 0; i < 3; i++)
		free(expect(0, (const char *[]){ "memo", "--key", P("op.key"), "x", NULL }));
	free(expect(0, (const char *[]){ "export", "--format", "archive", "--out", P("a.arc"), NULL }));
	free(expect(1, (const char *[]){ "export", "--format", "archive", "--out", P("a.arc"), NULL }));
	char *ok = expect(0, (const char *[]){ "verify", "--archive", P("a.arc"), "--vkey", g_vkey,
					       NULL });
	ck_assert(strstr(ok, "archive OK") != NULL);
	free(ok);
	size_t len;
	uint8_t *b = slurp(P("a.arc"), &len);
	b[len - 10] ^= 1;
	ck_assert(spit(P("bad.arc"), b, len));
	ck_assert(spit(P("short.arc"), b, len - 30));
	free(b);
	struct run r = cli((const char *[]){ "verify", "--archive", P("bad.arc"), "--vkey", g_vkey, NULL });
	ck_assert_int_eq(r.status, 1);
	ck_assert_msg(strstr(r.err, "entry 3") || strstr(r.err, "seq 3"), "%s", r.err);
	run_free(&r);
	free(expect(1, (const char *[]){ "verify", "--archive", P("short.arc"), "--vkey", g_vkey, NULL }));
	ok = expect(0, (const char *[]){ "import", "--archive", P("a.arc"), "--ledger", P("replica"),
					 "--vkey", g_vkey, NULL });
	ck_assert(strstr(ok, "4 entries") != NULL);
	free(ok);
	free(expect(0, (const char *[]){ "verify", "--ledger", P("replica"), NULL }));
	free(expect(1, (const char *[]){ "memo", "--key", P("op.key"), "--ledger", P("replica"), "no",
					 NULL }));
	free(expect(0, (const char *[]){ "memo", "--key", P("op.key"), "y", NULL }));
	free(expect(0, (const char *[]){ "export", "--format", "archive", "--from", "4", "--out",
					 P("b.arc"), NULL }));
	ok = expect(0, (const char *[]){ "import", "--archive", P("b.arc"), "--ledger", P("replica"),
					 NULL });
	ck_assert(strstr(ok, "5 entries") != NULL);
	free(ok);
	free(expect(1, (const char *[]){ "import", "--archive", P("b.arc"), "--ledger", P("replica"),
					 NULL }));
	/* A failed first import leaves nothing behind. */
	free(expect(1, (const char *[]){ "import", "--archive", P("bad.arc"), "--ledger", P("r2"), NULL }));
	struct stat st;
	ck_assert_int_ne(stat(P("r2"), &st), 0);
}
END_TEST

Suite *suite_cli(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("end-to-end");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, keys_from_the_command_line);
	tcase_add_test(tc, memo_log_and_verify);
	tcase_add_test(tc, proofs_and_audits);
	tcase_add_test(tc, archives_and_replicas);
	tcase_set_timeout(tc, 300);
	suite_add_tcase(s, tc);
	return s;
}
