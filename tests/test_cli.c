/* test_cli.c — end-to-end: the real build/corridor binary on a temp ledger. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "../core/internal.h"
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
	ck_assert_str_eq(out, "appended 2..3\nappended 4..4\n3 memos, 3 appended\n");
	free(out);
	/* A bad line anywhere: nothing written, the line named. */
	ck_assert(spit(P("bad.txt"), "ok\nfine\n\nlast\n", 14));
	struct run r = cli((const char *[]){ "memo", "--key", P("op.key"), "--from", P("bad.txt"), NULL });
	ck_assert_int_eq(r.status, 1);
	ck_assert(strstr(r.err, "line 3") != NULL);
	run_free(&r);
	/* --format json: one document, an array of the entries; jsonl: one a line */
	out = expect(0, (const char *[]){ "log", "--format", "jsonl", NULL });
	int lines_n = 0;
	for (char *p = out; (p = strchr(p, '\n')); p++)
		lines_n++;
	ck_assert_int_eq(lines_n, 5);
	for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
		json_error_t le;
		json_t *o = json_loads(line, 0, &le);
		ck_assert_msg(json_is_object(o), "%s", line);
		json_decref(o);
	}
	free(out);
	out = expect(0, (const char *[]){ "log", "--format", "json", NULL });
	json_error_t ae;
	json_t *arr = json_loads(out, 0, &ae);
	ck_assert_msg(json_is_array(arr) && json_array_size(arr) == 5, "%s", out);
	json_decref(arr);
	ck_assert(strstr(out, "\"seq\":3,\"kind\":\"memo\"") != NULL);
	ck_assert(strstr(out, "\"body\":{\"text\":\"line two\"}") != NULL);
	ck_assert(strstr(out, "\"leaf_hash\":\"") != NULL);
	ck_assert(strstr(out, "\"author\":\"" ORIGIN "\"") != NULL);
	/* every write is a statement: its origin, key and lifetime are shown */
	ck_assert(strstr(out, "\"version\":2,\"statement\":{\"origin\":\"" ORIGIN
			      "\",\"idempotency_key\":\"random:") != NULL);
	ck_assert(strstr(out, "\"version\":1") == NULL);
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
	/* A ledger's statement lifetime: a duration, within bounds, or nothing is created. */
	free(expect(2, (const char *[]){ "init", "--origin", ORIGIN, "--operator-key", P("op.key"),
					 "--ledger", P("short"), "--statement-lifetime", "5x", NULL }));
	free(expect(1, (const char *[]){ "init", "--origin", ORIGIN, "--operator-key", P("op.key"),
					 "--ledger", P("short"), "--statement-lifetime", "40d", NULL }));
	free(expect(1, (const char *[]){ "log", "--ledger", P("short"), NULL }));
	free(expect(0, (const char *[]){ "init", "--origin", ORIGIN, "--operator-key", P("op.key"),
					 "--ledger", P("short"), "--statement-lifetime", "2h", NULL }));
	out = expect(0, (const char *[]){ "entry", "0", "--ledger", P("short"), NULL });
	ck_assert_msg(strstr(out, "statement_lifetime_s") && strstr(out, "7200"), "%s", out);
	free(out);
}
END_TEST

/* Lines from a pipe: the size is not known up front, so the reader grows its
 * buffer; 3,000 lines (about 200 KB) arrive whole and in order. */
START_TEST(memo_from_a_pipe)
{
	ck_assert_int_eq(mkfifo(P("fifo"), 0600), 0);
	pid_t pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		FILE *f = fopen(P("fifo"), "w");
		if (!f)
			_exit(1);
		for (int i = 0; i < 3000; i++)
			fprintf(f, "piped line %04d %s\n", i,
				"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz");
		_exit(fclose(f) == 0 ? 0 : 1);
	}
	char *out = expect(0, (const char *[]){ "memo", "--key", P("op.key"), "--from", P("fifo"),
						"--batch", "1000", NULL });
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ck_assert_str_eq(out, "appended 1..1000\nappended 1001..2000\nappended 2001..3000\n"
			      "3000 memos, 3000 appended\n");
	free(out);
	out = expect(0, (const char *[]){ "entry", "3000", NULL });
	ck_assert_msg(strstr(out, "piped line 2999 ") != NULL, "%s", out);
	free(out);
}
END_TEST

/* Runs the binary with stdout on /dev/full; returns the exit code, stderr in err. */
static int to_full_disk(const char *const *argv, char *err, size_t cap)
{
	FILE *e = tmpfile();
	ck_assert_ptr_nonnull(e);
	pid_t pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		int full = open("/dev/full", O_WRONLY);
		if (full < 0 || dup2(full, 1) < 0 || dup2(fileno(e), 2) < 0)
			_exit(120);
		for (size_t i = 0; ENV[i]; i++) {
			char kv[1300];
			snprintf(kv, sizeof kv, "%s", ENV[i]);
			char *eq = strchr(kv, '=');
			if (!eq)
				_exit(122);
			*eq = '\0';
			setenv(kv, eq + 1, 1);
		}
		execv(argv[0], (char *const *)(uintptr_t)argv);
		_exit(121);
	}
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	rewind(e);
	size_t n = fread(err, 1, cap - 1, e);
	err[n] = '\0';
	fclose(e);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Output that cannot be written is a failure with one line, never exit 0
 * with the output silently lost. */
START_TEST(output_to_a_full_disk)
{
	free(expect(0, (const char *[]){ "memo", "--key", P("op.key"), "one", NULL }));
	const char *cmds[][6] = {
		{ "log", NULL },
		{ "party", "list", NULL },
		{ "verify", NULL },
		{ "checkpoint", NULL },
		{ "report", "performance", "--period", "2026-03", NULL },
	};
	char err[1024];
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		const char *argv[8] = { corridor_bin() };
		for (size_t k = 0; cmds[i][k]; k++)
			argv[k + 1] = cmds[i][k];
		int rc = to_full_disk(argv, err, sizeof err);
		ck_assert_msg(rc == 3, "%s: exit %d, stderr %s", cmds[i][0], rc, err);
		ck_assert_msg(strncmp(err, "corridor: ", 10) == 0 &&
				      strchr(err, '\n') == err + strlen(err) - 1,
			      "%s: %s", cmds[i][0], err);
	}
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

/* The head, read through the library: refused writes must leave it as it was. */
static void head_of(struct corridor_head *h)
{
	struct corridor_ledger *l;
	char dir[1200];
	snprintf(dir, sizeof dir, "%s/ledger", g_dir);
	ck_assert_int_eq(corridor_ledger_open(dir, 0, &l, NULL), 0);
	ck_assert_int_eq(corridor_ledger_head(l, &h[0]), 0);
	corridor_ledger_close(l);
}

static void refused_unchanged(const char *const *argv)
{
	struct corridor_head a, b;
	head_of(&a);
	free(expect(1, argv));
	head_of(&b);
	ck_assert_uint_eq(a.size, b.size);
	ck_assert(memcmp(a.root, b.root, 32) == 0);
}

static char *keygen(const char *name, const char *file)
{
	char *vk = expect(0, (const char *[]){ "key", "generate", "--name", name, "--out", P(file),
					       "--kdf", "interactive", NULL });
	vk[strcspn(vk, "\n")] = 0;
	return vk;
}

START_TEST(parties_keys_and_roles)
{
	char *gaz = keygen("RU-GAZ", "gaz.key"), *aud = keygen("AUDIT-1", "aud.key");
	char *cn = keygen("CN-BUYER", "cn.key");
	char *out = expect(0, (const char *[]){ "party", "register", "--key", P("op.key"), "--id",
						"RU-GAZ", "--name", "Gazprom Export", "--country",
						"RU", "--roles", "seller", "--vkey", gaz, "--iban",
						"DE89370400440532013000", NULL });
	ck_assert_str_eq(out, "1\n");
	free(out);
	free(expect(0, (const char *[]){ "party", "register", "--key", P("op.key"), "--id", "AUDIT-1",
					 "--name", "Witness", "--country", "MN", "--roles", "auditor",
					 "--vkey", aud, NULL }));
	/* A non-operator registering a party; a bad role; a bad IBAN. */
	refused_unchanged((const char *[]){ "party", "register", "--key", P("gaz.key"), "--id",
					    "CN-BUYER", "--name", "CN", "--country", "CN", "--roles",
					    "buyer", "--vkey", cn, NULL });
	free(expect(2, (const char *[]){ "party", "register", "--key", P("op.key"), "--id", "CN-BUYER",
					 "--name", "CN", "--country", "CN", "--roles", "king", "--vkey",
					 cn, NULL }));
	refused_unchanged((const char *[]){ "party", "register", "--key", P("op.key"), "--id",
					    "CN-BUYER", "--name", "CN", "--country", "CN", "--roles",
					    "buyer", "--vkey", cn, "--iban", "CN00123", NULL });
	/* A party writes; an unregistered key does not. */
	free(expect(0, (const char *[]){ "memo", "--key", P("gaz.key"), "nominated 100 MWh", NULL }));
	refused_unchanged((const char *[]){ "memo", "--key", P("cn.key"), "hello", NULL });
	/* Idempotent retries. */
	char *a = expect(0, (const char *[]){ "memo", "--key", P("gaz.key"), "--idempotency-key",
					      "N-7", "gas day 7", NULL });
	char *b = expect(0, (const char *[]){ "memo", "--key", P("gaz.key"), "--idempotency-key",
					      "N-7", "gas day 7", NULL });
	ck_assert_str_eq(a, b);
	free(a);
	free(b);
	refused_unchanged((const char *[]){ "memo", "--key", P("gaz.key"), "--idempotency-key", "N-7",
					    "gas day 8", NULL });
	/* Attestations: right and wrong hash. */
	free(expect(0, (const char *[]){ "attest", "3", "--key", P("aud.key"), "--note", "seen", NULL }));
	refused_unchanged((const char *[]){ "attest", "3", "--key", P("aud.key"), "--hash",
					    "0000000000000000000000000000000000000000000000000000000000000000",
					    NULL });
	/* Rotation: the old key is refused afterwards. */
	free(keygen("RU-GAZ", "gaz2.key"));
	free(expect(0, (const char *[]){ "key", "rotate", "--key", P("gaz.key"), "--new",
					 P("gaz2.key"), NULL }));
	refused_unchanged((const char *[]){ "memo", "--key", P("gaz.key"), "old", NULL });
	free(expect(0, (const char *[]){ "memo", "--key", P("gaz2.key"), "new", NULL }));
	/* party show --format json: keys with their validity. */
	out = expect(0, (const char *[]){ "party", "show", "RU-GAZ", "--format", "json", NULL });
	ck_assert(strstr(out, "\"roles\":[\"seller\"]") != NULL);
	ck_assert(strstr(out, "\"valid_from\":2,\"valid_until\":6") != NULL);
	ck_assert(strstr(out, "\"valid_from\":7,\"valid_until\":null") != NULL);
	ck_assert(strstr(out, "\"ibans\":[\"DE89370400440532013000\"]") != NULL);
	free(out);
	out = expect(0, (const char *[]){ "party", "list", NULL });
	ck_assert(strstr(out, "AUDIT-1") && strstr(out, "RU-GAZ") && strstr(out, ORIGIN));
	free(out);
	/* Lost key: the operator adds one and the lost one stops working. */
	char *gaz3 = keygen("RU-GAZ", "gaz3.key");
	refused_unchanged((const char *[]){ "key", "add", "--key", P("aud.key"), "--party", "RU-GAZ",
					    "--vkey", gaz3, NULL });
	free(expect(0, (const char *[]){ "key", "add", "--key", P("op.key"), "--party", "RU-GAZ",
					 "--vkey", gaz3, NULL }));
	refused_unchanged((const char *[]){ "memo", "--key", P("gaz2.key"), "lost", NULL });
	free(expect(0, (const char *[]){ "memo", "--key", P("gaz3.key"), "found", NULL }));
	/* Witness cosignature, and k of n cosigners in the audit. */
	free(expect(0, (const char *[]){ "checkpoint", "sign", "--key", P("op.key"), NULL }));
	char *cp = expect(0, (const char *[]){ "checkpoint", "cosign", "--key", P("aud.key"), NULL });
	ck_assert(spit(P("cp"), cp, strlen(cp)));
	ck_assert(strstr(cp, "\xe2\x80\x94 AUDIT-1 ") != NULL);
	free(cp);
	char *audc = expect(0, (const char *[]){ "key", "public", P("aud.key"), "--cosigner", NULL });
	audc[strcspn(audc, "\n")] = 0;
	ck_assert(strstr(audc, "+AQ") == NULL); /* type 0x04, not 0x01 */
	out = expect(0, (const char *[]){ "audit", "checkpoint", "--vkey", g_vkey, "--cosigner", audc,
					  "--min-cosigners", "1", P("cp"), NULL });
	ck_assert(strstr(out, "cosigned by 1 of 1") != NULL);
	free(out);
	free(expect(1, (const char *[]){ "audit", "checkpoint", "--vkey", g_vkey, "--cosigner", cn,
					 "--min-cosigners", "1", P("cp"), NULL }));
	free(expect(1, (const char *[]){ "checkpoint", "cosign", "--key", P("gaz3.key"), NULL }));
	/* Operator rotation: checkpoints move to the new key; audits follow the chain. */
	char *op2 = keygen(ORIGIN, "op2.key");
	free(expect(0, (const char *[]){ "key", "rotate", "--key", P("op.key"), "--new", P("op2.key"),
					 NULL }));
	refused_unchanged((const char *[]){ "checkpoint", "sign", "--key", P("op.key"), NULL });
	char *cp2 = expect(0, (const char *[]){ "checkpoint", "sign", "--key", P("op2.key"), NULL });
	ck_assert(spit(P("cp2"), cp2, strlen(cp2)));
	free(cp2);
	char *chain = expect(0, (const char *[]){ "prove", "operator-keys", NULL });
	ck_assert(spit(P("chain"), chain, strlen(chain)));
	free(chain);
	free(expect(0, (const char *[]){ "audit", "checkpoint", "--vkey", op2, P("cp2"), NULL }));
	free(expect(1, (const char *[]){ "audit", "checkpoint", "--vkey", g_vkey, P("cp2"), NULL }));
	free(expect(0, (const char *[]){ "audit", "checkpoint", "--vkey", g_vkey, "--chain", P("chain"),
					 P("cp2"), NULL }));
	free(expect(1, (const char *[]){ "audit", "checkpoint", "--vkey", gaz3, "--chain", P("chain"),
					 P("cp2"), NULL }));
	out = expect(0, (const char *[]){ "verify", NULL });
	ck_assert(strstr(out, "verify OK") != NULL);
	free(out);
	out = expect(0, (const char *[]){ "log", "--format", "json", NULL });
	ck_assert(strstr(out, "\"kind\":\"attest\"") && strstr(out, "\"kind\":\"key.rotate\""));
	free(out);
	free(gaz);
	free(aud);
	free(cn);
	free(gaz3);
	free(op2);
	free(audc);
}
END_TEST

/* ---- CSV reports against their JSON: each named column, each row ---- */

#define CSV_ROWS_MAX 256
#define CSV_COLS_MAX 20
struct csv_table {
	size_t rows, cols;
	char *cell[CSV_ROWS_MAX][CSV_COLS_MAX];
	char *head[CSV_COLS_MAX];
};

static void csv_table_read(const char *text, struct csv_table *t)
{
	struct corridor_csv c;
	struct corridor_csv_field f[CSV_COLS_MAX];
	char scratch[8192];
	size_t n;
	struct corridor_diag d;
	memset(t, 0, sizeof *t);
	corridor_csv_init(&c, text, strlen(text));
	ck_assert_int_eq(corridor_csv_record(&c, f, CSV_COLS_MAX, &n, scratch, sizeof scratch, &d), 0);
	t->cols = n;
	for (size_t i = 0; i < n; i++)
		t->head[i] = strdup(f[i].text);
	int err;
	while ((err = corridor_csv_record(&c, f, CSV_COLS_MAX, &n, scratch, sizeof scratch, &d)) == 0) {
		ck_assert_msg(n == t->cols, "a row of %zu fields under %zu columns", n, t->cols);
		ck_assert_uint_lt(t->rows, CSV_ROWS_MAX);
		for (size_t i = 0; i < n; i++)
			t->cell[t->rows][i] = strdup(f[i].text);
		t->rows++;
	}
	ck_assert_int_eq(err, CORRIDOR_E_NOTFOUND);
}

static void csv_table_free(struct csv_table *t)
{
	for (size_t i = 0; i < t->cols; i++) {
		free(t->head[i]);
		for (size_t r = 0; r < t->rows; r++)
			free(t->cell[r][i]);
	}
}

static const char *csv_get(const struct csv_table *t, size_t row, const char *col)
{
	for (size_t i = 0; i < t->cols; i++)
		if (!strcmp(t->head[i], col))
			return t->cell[row][i];
	ck_abort_msg("no column %s", col);
	return NULL;
}

static const char *example_path(const char *name)
{
	static char buf[1024];
	const char *base = getenv("CORRIDOR_EXAMPLES");
	snprintf(buf, sizeof buf, "%s/%s", base ? base : "docs/examples", name);
	return buf;
}

START_TEST(contracts_deliveries_reports)
{
	char *gaz = keygen("RU-GAZ", "gaz.key"), *buy = keygen("CN-BUY", "buy.key");
	free(expect(0, (const char *[]){ "party", "register", "--key", P("op.key"), "--id", "RU-GAZ",
					 "--name", "G", "--country", "RU", "--roles", "seller",
					 "--vkey", gaz, NULL }));
	free(expect(0, (const char *[]){ "party", "register", "--key", P("op.key"), "--id", "CN-BUY",
					 "--name", "B", "--country", "CN", "--roles", "buyer,meter",
					 "--vkey", buy, NULL }));
	/* A malformed contract file names the field; a good one goes through. */
	const char *badjson = "{\"id\":\"G1\",\"unit\":\"MWh\",\"prices\":3}";
	ck_assert(spit(P("bad.json"), badjson, strlen(badjson)));
	struct run r = cli((const char *[]){ "contract", "propose", "--key", P("gaz.key"), "--file",
					     P("bad.json"), NULL });
	ck_assert_int_eq(r.status, 1);
	run_free(&r);
	free(expect(0, (const char *[]){ "contract", "propose", "--key", P("gaz.key"), "--file",
					 example_path("gas-G1.json"), NULL }));
	refused_unchanged((const char *[]){ "contract", "accept", "G1", "--key", P("gaz.key"), NULL });
	free(expect(0, (const char *[]){ "contract", "accept", "G1", "--key", P("buy.key"), NULL }));
	char *show = expect(0, (const char *[]){ "contract", "show", "G1", "--format", "json", NULL });
	ck_assert(strstr(show, "\"status\":\"active\"") != NULL);
	ck_assert(strstr(show, "{\"from\":\"2026-03-16\",\"price\":\"260\"}") != NULL);
	free(show);
	/* Both sides meter March 1-3 (local +08:00); a bad file writes nothing. */
	const char *gcsv = "contract,start,end,quantity,meter,reference,quality\r\n"
			   "G1,2026-02-28T16:00:00Z,2026-03-01T16:00:00Z,100,M1,G-01,A\r\n"
			   "G1,2026-03-01T16:00:00Z,2026-03-02T16:00:00Z,100,M1,G-02,A\r\n"
			   "G1,2026-03-02T16:00:00Z,2026-03-03T16:00:00Z,100,M1,G-03,E\r\n";
	const char *bcsv = "\xef\xbb\xbfreference,contract,start,end,quantity,meter\n"
			   "B-01,G1,2026-02-28T16:00:00Z,2026-03-01T16:00:00Z,100.4,CN-M\n"
			   "B-02,G1,2026-03-01T16:00:00Z,2026-03-02T16:00:00Z,101,CN-M\n";
	ck_assert(spit(P("g.csv"), gcsv, strlen(gcsv)));
	ck_assert(spit(P("b.csv"), bcsv, strlen(bcsv)));
	const char *badcsv = "contract,start,end,quantity,meter,reference\n"
			     "G1,2026-03-05T16:00:00Z,2026-03-06T16:00:00Z,1.2345,M1,X\n";
	ck_assert(spit(P("bad.csv"), badcsv, strlen(badcsv)));
	r = cli((const char *[]){ "delivery", "import", "--key", P("gaz.key"), P("bad.csv"), NULL });
	ck_assert_int_eq(r.status, 1);
	ck_assert_msg(strstr(r.err, "line 2, column quantity") != NULL, "%s", r.err);
	run_free(&r);
	char *out = expect(0, (const char *[]){ "delivery", "import", "--key", P("gaz.key"), P("g.csv"),
						NULL });
	ck_assert(strstr(out, "imported 3 readings") != NULL);
	free(out);
	free(expect(0, (const char *[]){ "delivery", "import", "--key", P("buy.key"), P("b.csv"), NULL }));
	out = expect(0, (const char *[]){ "delivery", "import", "--key", P("gaz.key"), P("g.csv"),
					  NULL });
	ck_assert(strstr(out, "imported 0 readings, 3 already there") != NULL);
	free(out);
	/* Correct the third day by its recorder; the original stays, superseded. */
	out = expect(0, (const char *[]){ "delivery", "list", "--contract", "G1", "--format", "csv",
					  NULL });
	ck_assert(strstr(out, ",2026-03-02T16:00:00Z,2026-03-03T16:00:00Z,100,E,,") != NULL);
	free(out);
	char *seq = expect(0, (const char *[]){ "delivery", "correct", "--key", P("gaz.key"),
						"--supersedes", "7", "--quantity", "99.5", "--reason",
						"calibration", NULL });
	free(seq);
	refused_unchanged((const char *[]){ "delivery", "correct", "--key", P("buy.key"),
					    "--supersedes", "6", "--quantity", "1", NULL });
	/* The reports: the same numbers in table, CSV and JSON. */
	char *tbl = expect(0, (const char *[]){ "report", "meters", "--contract", "G1", "--period",
						"2026-03", NULL });
	char *csv = expect(0, (const char *[]){ "report", "meters", "--contract", "G1", "--period",
						"2026-03", "--format", "csv", NULL });
	char *json = expect(0, (const char *[]){ "report", "meters", "--contract", "G1", "--period",
						 "2026-03", "--format", "json", NULL });
	ck_assert(strstr(csv, "2026-02-28T16:00:00Z,2026-03-01T16:00:00Z,100,100.4,-0.4,agree"));
	ck_assert(strstr(csv, "2026-03-01T16:00:00Z,2026-03-02T16:00:00Z,100,101,-1,disputed"));
	ck_assert(strstr(csv, "2026-03-02T16:00:00Z,2026-03-03T16:00:00Z,99.5,,,billing-only"));
	ck_assert(strstr(json, "\"billing\":\"100\",\"other\":\"101\",\"difference\":\"-1\","
			       "\"status\":\"disputed\""));
	ck_assert(strstr(json, "\"totals\":{\"billing\":\"299.5\",\"other\":\"201.4\",\"agree\":1,"
			       "\"disputed\":1,\"billing_only\":1,\"other_only\":0}"));
	ck_assert_msg(strstr(tbl, "total billing 299.5 MWh, other 201.4 MWh; 1 agree, 1 disputed, 1 "
				  "billing only"),
		      "%s", tbl);
	struct csv_table mt;
	csv_table_read(csv, &mt);
	ck_assert_uint_ge(mt.rows, 3);
	csv_table_free(&mt);
	free(tbl);
	free(csv);
	free(json);
	csv = expect(0, (const char *[]){ "report", "performance", "--period", "2026-03", "--format",
					  "csv", NULL });
	json = expect(0, (const char *[]){ "report", "performance", "--period", "2026-03", "--format",
					   "json", NULL });
	ck_assert(strstr(csv, "G1,2026-03,MWh,3000,3050,299.5,2700.5,0,3,1") != NULL);
	struct csv_table ct; /* every row as wide as the header */
	csv_table_read(csv, &ct);
	ck_assert_str_eq(csv_get(&ct, 0, "billable"), "299.5");
	ck_assert_str_eq(csv_get(&ct, 0, "shortfall"), "2700.5");
	csv_table_free(&ct);
	ck_assert(strstr(json, "\"billable\":\"299.5\",\"shortfall\":\"2700.5\",\"excess\":\"0\"") !=
		  NULL);
	free(csv);
	free(json);
	/* periods as hledger writes them: a range of whole months is March again;
	 * a quarter totals its months (January and February metered nothing) */
	csv = expect(0, (const char *[]){ "report", "performance", "--period",
					  "2026-03-01..2026-03-31", "--format", "csv", NULL });
	ck_assert_msg(strstr(csv, "G1,2026-03,MWh,3000,3050,299.5,2700.5,0,3,1"), "%s", csv);
	free(csv);
	csv = expect(0, (const char *[]){ "report", "performance", "--begin", "2026-01-01", "--end",
					  "2026-04-01", "--format", "csv", NULL });
	ck_assert_msg(strstr(csv, "G1,2026-Q1,MWh,9000,9150,299.5,8700.5,0,3,1"), "%s", csv);
	free(csv);
	csv = expect(0, (const char *[]){ "report", "performance", "--period", "2026-Q1", "--monthly",
					  "--format", "csv", NULL });
	ck_assert_msg(strstr(csv, "G1,2026-01,MWh,3000,3050,0,3000,0,0,0") &&
			      strstr(csv, "G1,2026-02,MWh,3000,3050,0,3000,0,0,0") &&
			      strstr(csv, "G1,2026-03,MWh,3000,3050,299.5,2700.5,0,3,1"),
		      "%s", csv);
	free(csv);
	json = expect(0, (const char *[]){ "report", "performance", "--period", "2026", "--quarterly",
					   "--format", "json", NULL });
	ck_assert_msg(strstr(json, "{\"periods\":[{\"period\":\"2026-Q1\",\"contracts\":[") &&
			      strstr(json, "{\"period\":\"2026-Q4\",\"contracts\":["),
		      "%s", json);
	free(json);
	/* hledger's short forms */
	csv = expect(0, (const char *[]){ "report", "performance", "-p", "2026-Q1", "-M", "--format",
					  "csv", NULL });
	ck_assert_msg(strstr(csv, "G1,2026-02,MWh,3000,3050,0,3000,0,0,0"), "%s", csv);
	free(csv);
	/* not whole months, a bad period, both forms at once: one line each */
	free(expect(2, (const char *[]){ "report", "performance", "--period", "2026-03-05..2026-03-09",
					 NULL }));
	free(expect(2, (const char *[]){ "report", "performance", "--period", "2026-Q5", NULL }));
	free(expect(2, (const char *[]){ "report", "performance", "--period", "2026", "--begin",
					 "2026-01-01", NULL }));
	free(expect(2, (const char *[]){ "report", "performance", "--period", "2026", "--monthly",
					 "--yearly", NULL }));
	/* balances at each quarter's end are the balances as of those days */
	out = expect(0, (const char *[]){ "report", "balances", "--period", "2026-Q1", "--format",
					  "csv", NULL });
	char *asof = expect(0, (const char *[]){ "report", "balances", "--as-of", "2026-03-31",
						 "--format", "csv", NULL });
	ck_assert_str_eq(out, asof);
	free(out);
	free(asof);
	out = expect(0, (const char *[]){ "report", "balances", "--period", "2026", "--quarterly",
					  "--format", "csv", NULL });
	ck_assert_msg(strncmp(out, "as_of,currency,party,balance\r\n", 30) == 0, "%s", out);
	free(out);
	out = expect(0, (const char *[]){ "verify", NULL });
	ck_assert(strstr(out, "verify OK") != NULL);
	free(out);
	/* Ledger against ledger: against its own archive, everything matches (an
	 * archive runs to the latest signed checkpoint, so sign one first). */
	free(expect(0, (const char *[]){ "checkpoint", "sign", "--key", P("op.key"), NULL }));
	free(expect(0, (const char *[]){ "export", "--format", "archive", "--out", P("g.arc"), NULL }));
	r = cli((const char *[]){ "report", "diff", "--theirs", P("g.arc"), "--vkey", g_vkey, NULL });
	ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
	out = r.out;
	free(r.err);
	ck_assert_msg(strstr(out, "contracts: 1 match, 0 differ, 0 only ours, 0 only theirs\n"
				  "deliveries: 5 match, 0 differ, 0 only ours, 0 only theirs\n"),
		      "%s", out);
	free(out);
	/* Then ours moves on: a correction and a new reading; exit 1, each named. */
	free(expect(0, (const char *[]){ "delivery", "correct", "--key", P("buy.key"), "--supersedes",
					 "9", "--quantity", "100.5", "--reason", "recount", NULL }));
	const char *more = "contract,start,end,quantity,meter,reference\n"
			   "G1,2026-03-02T16:00:00Z,2026-03-03T16:00:00Z,99,CN-M,B-03\n";
	ck_assert(spit(P("more.csv"), more, strlen(more)));
	free(expect(0, (const char *[]){ "delivery", "import", "--key", P("buy.key"), P("more.csv"),
					 NULL }));
	r = cli((const char *[]){ "report", "diff", "--theirs", P("g.arc"), "--vkey", g_vkey,
				  "--format", "csv", NULL });
	ck_assert_int_eq(r.status, 1);
	ck_assert_msg(strstr(r.out, "kind,key,status,fields,ours_seq,theirs_seq\r\n"
				    "delivery,G1/CN-M/2026-03-01T16:00:00Z,differ,\"quantity\",11,9\r\n"
				    "delivery,G1/CN-M/2026-03-02T16:00:00Z,ours-only,\"\",12,\r\n"),
		      "%s", r.out);
	run_free(&r);
	/* one contract-month, against a replica made once: the same two rows;
	 * another month of it matches */
	free(expect(0, (const char *[]){ "import", "--archive", P("g.arc"), "--ledger", P("their"),
					 "--vkey", g_vkey, NULL }));
	r = cli((const char *[]){ "report", "diff", "--theirs", P("their"), "--contract", "G1",
				  "--period", "2026-03", "--format", "csv", NULL });
	ck_assert_int_eq(r.status, 1);
	ck_assert_msg(strstr(r.out, "delivery,G1/CN-M/2026-03-01T16:00:00Z,differ,\"quantity\",11,9\r\n"
				    "delivery,G1/CN-M/2026-03-02T16:00:00Z,ours-only,\"\",12,\r\n"),
		      "%s", r.out);
	run_free(&r);
	r = cli((const char *[]){ "report", "diff", "--theirs", P("their"), "--contract", "G1",
				  "--period", "2026-04", NULL });
	ck_assert_msg(r.status == 0 && strstr(r.out, "deliveries: 0 match, 0 differ"), "%s%s", r.out,
		      r.err);
	run_free(&r);
	free(expect(2, (const char *[]){ "report", "diff", "--theirs", P("their"), "--period",
					 "2026-03", NULL }));
	free(expect(2, (const char *[]){ "report", "diff", "--theirs", P("their"), "--vkey", g_vkey,
					 NULL }));
	r = cli((const char *[]){ "report", "diff", "--theirs", P("g.arc"), "--format", "json",
				  "--all", NULL });
	ck_assert_int_eq(r.status, 1);
	ck_assert(strstr(r.out, "{\"kind\":\"contract\",\"key\":\"G1\",\"status\":\"match\","
			       "\"fields\":[],\"ours_seq\":3,\"theirs_seq\":3}"));
	ck_assert(strstr(r.out, "\"deliveries\":{\"match\":4,\"ours_only\":1,\"theirs_only\":0,"
			       "\"differ\":1}"));
	run_free(&r);
	/* A meter id holding a quote and a comma stays one CSV field and one
	 * JSON string. */
	free(expect(0, (const char *[]){ "delivery", "record", "--key", P("buy.key"), "--contract",
					 "G1", "--start", "2026-03-03T16:00:00Z", "--end",
					 "2026-03-04T16:00:00Z", "--quantity", "7", "--meter",
					 "Q\"M,1", NULL }));
	out = expect(0, (const char *[]){ "delivery", "list", "--contract", "G1", "--format", "csv",
					  NULL });
	ck_assert_msg(strstr(out, ",CN-BUY,\"Q\"\"M,1\",2026-03-03T16:00:00Z,") != NULL, "%s", out);
	free(out);
	out = expect(0, (const char *[]){ "delivery", "list", "--contract", "G1", "--format", "json",
					  NULL });
	ck_assert_msg(strstr(out, "\"meter\":\"Q\\\"M,1\",") != NULL, "%s", out);
	free(out);
	r = cli((const char *[]){ "report", "diff", "--theirs", P("g.arc"), "--format", "csv", NULL });
	ck_assert_int_eq(r.status, 1);
	ck_assert_msg(strstr(r.out, "delivery,\"G1/Q\"\"M,1/2026-03-03T16:00:00Z\",ours-only,") !=
			      NULL, "%s", r.out);
	run_free(&r);
	/* Their archive must verify: a changed byte is refused before any row. */
	size_t alen;
	uint8_t *arc = slurp(P("g.arc"), &alen);
	arc[alen / 2] ^= 0x20;
	ck_assert(spit(P("g-bad.arc"), arc, alen));
	free(arc);
	r = cli((const char *[]){ "report", "diff", "--theirs", P("g-bad.arc"), "--vkey", g_vkey,
				  NULL });
	ck_assert_int_eq(r.status, 1);
	ck_assert_str_eq(r.out, "");
	ck_assert(strncmp(r.err, "corridor: ", 10) == 0 && strchr(r.err, '\n') == r.err + strlen(r.err) - 1);
	run_free(&r);
	/* An hourly meter-day from CSV is one series; a point is corrected by its start. */
	char hcsv[4096];
	size_t hl = (size_t)snprintf(hcsv, sizeof hcsv, "contract,start,end,quantity,meter,reference\n");
	for (int h = 0; h < 24; h++) {
		char a[21], b[21];
		corridor_utc_format(1772640000 + 3600 * h, a); /* 2026-03-04T16:00:00Z */
		corridor_utc_format(1772640000 + 3600 * (h + 1), b);
		hl += (size_t)snprintf(hcsv + hl, sizeof hcsv - hl, "G1,%s,%s,4.2,CN-H,H-%d\n", a, b, h);
	}
	ck_assert(spit(P("hourly.csv"), hcsv, hl));
	out = expect(0, (const char *[]){ "delivery", "import", "--key", P("buy.key"), P("hourly.csv"),
					  NULL });
	ck_assert_msg(strstr(out, "imported 24 readings"), "%s", out);
	free(out);
	out = expect(0, (const char *[]){ "delivery", "list", "--contract", "G1", "--period", "2026-03",
					  "--format", "csv", NULL });
	unsigned long long series = 0;
	size_t points = 0;
	for (const char *ln = out; (ln = strstr(ln, ",CN-H,")) != NULL; ln++) {
		const char *bol = ln;
		while (bol > out && bol[-1] != '\n')
			bol--;
		unsigned long long sq = strtoull(bol, NULL, 10);
		ck_assert(series == 0 || sq == series);
		series = sq;
		points++;
	}
	free(out);
	ck_assert_uint_eq(points, 24);
	char sseq[24];
	snprintf(sseq, sizeof sseq, "%llu", series);
	refused_unchanged((const char *[]){ "delivery", "correct", "--key", P("buy.key"),
					    "--supersedes", sseq, "--quantity", "4", "--reason", "swap",
					    NULL });
	r = cli((const char *[]){ "delivery", "correct", "--key", P("buy.key"), "--supersedes", sseq,
				  "--start", "2026-03-04 18:00", "--quantity", "4", NULL });
	ck_assert_int_eq(r.status, 2);
	run_free(&r);
	free(expect(0, (const char *[]){ "delivery", "correct", "--key", P("buy.key"), "--supersedes",
					 sseq, "--start", "2026-03-04T18:00:00Z", "--quantity", "4",
					 "--reason", "swap", NULL }));
	out = expect(0, (const char *[]){ "delivery", "list", "--contract", "G1", "--period", "2026-03",
					  "--format", "csv", NULL });
	ck_assert_msg(strstr(out, ",CN-H,2026-03-04T18:00:00Z,2026-03-04T19:00:00Z,4,A,") != NULL,
		      "%s", out);
	free(out);
	out = expect(0, (const char *[]){ "verify", NULL });
	ck_assert(strstr(out, "verify OK") != NULL);
	free(out);
	free(gaz);
	free(buy);
}
END_TEST



/* The CSV row whose `key` columns equal the JSON object's `jkey` fields, its
 * every column in `cols` (CSV name = JSON name unless renamed "csv=json")
 * equal to the JSON value. */
static void csv_matches(const struct csv_table *t, const char *section, json_t *o,
			const char *const *keys, const char *const *cols)
{
	size_t hit = SIZE_MAX;
	for (size_t r = 0; r < t->rows && hit == SIZE_MAX; r++) {
		bool same = !strcmp(csv_get(t, r, "section"), section);
		for (size_t k = 0; same && keys[k]; k++) {
			const char *eq = strchr(keys[k], '=');
			char cn[32];
			snprintf(cn, sizeof cn, "%.*s", eq ? (int)(eq - keys[k]) : 31, keys[k]);
			const char *jv = json_string_value(json_object_get(o, eq ? eq + 1 : keys[k]));
			same = jv && !strcmp(csv_get(t, r, cn), jv);
		}
		if (same)
			hit = r;
	}
	ck_assert_msg(hit != SIZE_MAX, "no %s row for %s", section, json_dumps(o, 0));
	for (size_t k = 0; cols[k]; k++) {
		const char *eq = strchr(cols[k], '=');
		char cn[32], want[64];
		snprintf(cn, sizeof cn, "%.*s", eq ? (int)(eq - cols[k]) : 31, cols[k]);
		json_t *jv = json_object_get(o, eq ? eq + 1 : cols[k]);
		ck_assert_ptr_nonnull(jv);
		if (json_is_integer(jv))
			snprintf(want, sizeof want, "%lld", (long long)json_integer_value(jv));
		else
			snprintf(want, sizeof want, "%s", json_string_value(jv));
		ck_assert_msg(!strcmp(csv_get(t, hit, cn), want), "%s %s: CSV '%s', JSON '%s'", section,
			      cn, csv_get(t, hit, cn), want);
	}
}

static void invoices_csv_equals_json(const char *as_of)
{
	char *csv = expect(0, (const char *[]){ "report", "invoices", "--as-of", as_of, "--format",
						"csv", NULL });
	char *js = expect(0, (const char *[]){ "report", "invoices", "--as-of", as_of, "--format",
					       "json", NULL });
	struct csv_table t;
	json_error_t je;
	json_t *root = json_loads(js, 0, &je);
	ck_assert_msg(root != NULL, "%s", je.text);
	csv_table_read(csv, &t);
	size_t i, n = 0;
	json_t *o;
	json_array_foreach(json_object_get(root, "invoices"), i, o) {
		csv_matches(&t, "invoice", o, (const char *[]){ "invoice", NULL },
			    (const char *[]){ "contract", "debtor", "creditor", "currency", "amount",
					      "paid", "open", "due", "days_overdue", NULL });
		n++;
	}
	json_array_foreach(json_object_get(root, "aging"), i, o) {
		csv_matches(&t, "aging", o, (const char *[]){ "debtor=party", "currency", NULL },
			    (const char *[]){ "open", "current", "1-30", "31-60", "61-90",
					      "over-90", NULL });
		n++;
	}
	json_array_foreach(json_object_get(root, "unapplied"), i, o) {
		csv_matches(&t, "unapplied", o, (const char *[]){ "debtor=party", "currency", NULL },
			    (const char *[]){ "amount", NULL });
		n++;
	}
	ck_assert_uint_eq(n, t.rows);
	ck_assert_uint_gt(n, 0);
	csv_table_free(&t);
	json_decref(root);
	free(csv);
	free(js);
	/* balances */
	csv = expect(0, (const char *[]){ "report", "balances", "--format", "csv", NULL });
	js = expect(0, (const char *[]){ "report", "balances", "--format", "json", NULL });
	root = json_loads(js, 0, &je);
	ck_assert_msg(root != NULL, "%s", je.text);
	csv_table_read(csv, &t);
	ck_assert_uint_eq(json_array_size(root), t.rows);
	json_array_foreach(root, i, o) {
		ck_assert_str_eq(csv_get(&t, i, "currency"), json_string_value(json_object_get(o, "currency")));
		ck_assert_str_eq(csv_get(&t, i, "party"), json_string_value(json_object_get(o, "party")));
		ck_assert_str_eq(csv_get(&t, i, "balance"), json_string_value(json_object_get(o, "balance")));
	}
	csv_table_free(&t);
	json_decref(root);
	free(csv);
	free(js);
}

/* The money commands end to end on the real binary: rates from CSV,
 * settlement in order, the worked example's March in three formats, a missing
 * rate, payments by hand and from a camt.053 statement, the reports, the
 * journal, reversal. */
/* The output of argv in `format` read by an independent parser (Python's
 * json and csv modules): json one document, jsonl one object a line, csv
 * RFC 4180 with a header and every row as wide. */
static void parses(const char *const *args, const char *format)
{
	const char *argv[16];
	size_t n = 0;
	for (; args[n] && n < 12; n++)
		argv[n] = args[n];
	argv[n++] = "--format";
	argv[n++] = format;
	argv[n] = NULL;
	char *out = expect(0, argv);
	char file[64], cmd[8400];
	snprintf(file, sizeof file, "out.%s", format);
	ck_assert(spit(P(file), out, strlen(out)));
	static const char *const check =
		"import csv, json, sys\n"
		"f, kind = sys.argv[1], sys.argv[2]\n"
		"text = open(f, encoding='utf-8', newline='').read()\n"
		"if kind == 'json':\n"
		"    json.loads(text)\n"
		"elif kind == 'jsonl':\n"
		"    for line in text.splitlines():\n"
		"        assert isinstance(json.loads(line), dict), line\n"
		"else:\n"
		"    rows = list(csv.reader(text.splitlines(keepends=True), strict=True))\n"
		"    assert rows and all(rows[0]), rows[:1]\n"
		"    assert all(len(r) == len(rows[0]) for r in rows), rows\n";
	char script[4200];
	snprintf(script, sizeof script, "%s", P("check.py"));
	ck_assert(spit(script, check, strlen(check)));
	snprintf(cmd, sizeof cmd, "python3 '%s' '%s' %s", script, P(file), format);
	ck_assert_msg(system(cmd) == 0, "%s %s --format %s: not %s:\n%s", args[0],
		      args[1] ? args[1] : "", format, format, out);
	free(out);
}

START_TEST(money_end_to_end)
{
	struct {
		const char *id, *file, *roles, *iban;
	} ps[5] = { { "RU-GAZ", "gaz.key", "seller,buyer", "DE89370400440532013000" },
		    { "CN-BUY", "buy.key", "buyer", "GB82WEST12345698765432" },
		    { "MN-PIPE", "pipe.key", "seller,meter", NULL },
		    { "FX", "fx.key", "rates", NULL },
		    { "AGENT", "agent.key", "settlement", NULL } };
	for (int i = 0; i < 5; i++) {
		char *vk = keygen(ps[i].id, ps[i].file);
		if (ps[i].iban)
			free(expect(0, (const char *[]){ "party", "register", "--key", P("op.key"), "--id",
							 ps[i].id, "--name", ps[i].id, "--country", "MN",
							 "--roles", ps[i].roles, "--vkey", vk, "--iban",
							 ps[i].iban, NULL }));
		else
			free(expect(0, (const char *[]){ "party", "register", "--key", P("op.key"), "--id",
							 ps[i].id, "--name", ps[i].id, "--country", "MN",
							 "--roles", ps[i].roles, "--vkey", vk, NULL }));
		free(vk);
	}
	free(expect(0, (const char *[]){ "contract", "propose", "--key", P("gaz.key"), "--file",
					 example_path("gas-G1.json"), NULL }));
	free(expect(0, (const char *[]){ "contract", "accept", "G1", "--key", P("buy.key"), NULL }));
	free(expect(0, (const char *[]){ "contract", "propose", "--key", P("pipe.key"), "--file",
					 example_path("transit-T1.json"), NULL }));
	free(expect(0, (const char *[]){ "contract", "accept", "T1", "--key", P("gaz.key"), NULL }));
	char csv[4096];
	size_t at = (size_t)snprintf(csv, sizeof csv, "contract,start,end,quantity,meter,reference\n");
	for (int d = 0; d < 31; d++) {
		char s0[21], e0[21];
		corridor_utc_format(1772294400 + (int64_t)d * 86400, s0); /* 2026-02-28T16:00Z */
		corridor_utc_format(1772294400 + (int64_t)(d + 1) * 86400, e0);
		at += (size_t)snprintf(csv + at, sizeof csv - at, "G1,%s,%s,100,M1,G-%d\n", s0, e0, d);
	}
	ck_assert(spit(P("march.csv"), csv, at));
	free(expect(0, (const char *[]){ "delivery", "import", "--key", P("gaz.key"), P("march.csv"),
					 NULL }));
	const char *rates = "base,quote,date,rate,source\n"
			    "USD,CNY,2026-01-30,7.1,PBOC\nUSD,CNY,2026-02-27,7.2,PBOC\n"
			    "USD,CNY,2026-03-27,7.12345678,PBOC\n";
	ck_assert(spit(P("rates.csv"), rates, strlen(rates)));
	char *out = expect(0, (const char *[]){ "rate", "import", "--key", P("fx.key"), P("rates.csv"),
						NULL });
	ck_assert_msg(strstr(out, "imported 3 rates, 0 already there"), "%s", out);
	free(out);
	refused_unchanged((const char *[]){ "rate", "import", "--key", P("gaz.key"), P("rates.csv"),
					    NULL });
	out = expect(0, (const char *[]){ "rate", "list", "--pair", "USD/CNY", "--from", "2026-03-01",
					  "--format", "csv", NULL });
	ck_assert_msg(strstr(out, "USD,CNY,2026-03-27,7.12345678,PBOC,"), "%s", out);
	ck_assert(!strstr(out, "2026-02-27"));
	free(out);
	/* periods in order */
	refused_unchanged((const char *[]){ "settle", "run", "--key", P("agent.key"), "--period",
					    "2026-03", NULL });
	free(expect(0, (const char *[]){ "settle", "run", "--key", P("agent.key"), "--period",
					 "2026-01", NULL }));
	free(expect(0, (const char *[]){ "settle", "run", "--key", P("agent.key"), "--period",
					 "2026-02", NULL }));
	/* March: a dry run in JSON writes nothing; the run in CSV; show in a table */
	struct corridor_head h0, h1;
	head_of(&h0);
	char *json = expect(0, (const char *[]){ "settle", "run", "--key", P("agent.key"), "--period",
						 "2026-03", "--dry-run", "--format", "json", NULL });
	head_of(&h1);
	ck_assert_uint_eq(h0.size, h1.size);
	ck_assert_msg(strstr(json, "\"dry_run\":true"), "%s", json);
	ck_assert(strstr(json, "{\"kind\":\"energy\",\"quantity\":\"1500\",\"price\":\"250.12503\","
			       "\"amount\":\"375187.54\"}"));
	ck_assert(strstr(json, "\"subtotal\":\"793063.48\""));
	ck_assert(strstr(json, "\"total\":\"5649353.42\""));
	ck_assert(strstr(json, "{\"currency\":\"CNY\",\"from\":\"CN-BUY\",\"to\":\"RU-GAZ\","
			       "\"amount\":\"5649353.42\"}"));
	char *csvout = expect(0, (const char *[]){ "settle", "run", "--key", P("agent.key"),
						   "--period", "2026-03", "--format", "csv", NULL });
	ck_assert_msg(strstr(csvout, "INV-G1-2026-03,G1,2026-03,RU-GAZ,CN-BUY,excess,50,250.12503,"
				     "1875.94,USD,\r\n"), "%s", csvout);
	ck_assert(strstr(csvout, "INV-G1-2026-03,G1,2026-03,RU-GAZ,CN-BUY,total,,,5649353.42,CNY,\r\n"));
	ck_assert(strstr(csvout, "INV-T1-2026-03,T1,2026-03,MN-PIPE,RU-GAZ,transit,3100,1.234567,"
				 "3827.16,USD,\r\n"));
	char *tbl = expect(0, (const char *[]){ "settle", "show", "INV-G1-2026-03", NULL });
	ck_assert_msg(strstr(tbl, "5,649,353.42  CNY") && strstr(tbl, "due 2026-04-20") &&
			      strstr(tbl, "50           250.12503    15.00%"),
		      "%s", tbl);
	free(json);
	free(csvout);
	free(tbl);
	out = expect(0, (const char *[]){ "settle", "run", "--key", P("agent.key"), "--period",
					  "2026-03", NULL });
	ck_assert_msg(strstr(out, "nothing left to settle for 2026-03"), "%s", out);
	free(out);
	/* machine formats print their document when nothing is left */
	out = expect(0, (const char *[]){ "settle", "run", "--key", P("agent.key"), "--period",
					  "2026-03", "--format", "json", NULL });
	ck_assert_str_eq(out, "{\"batches\":[],\"unsettled\":[]}\n");
	free(out);
	out = expect(0, (const char *[]){ "settle", "run", "--key", P("agent.key"), "--period",
					  "2026-03", "--format", "csv", NULL });
	ck_assert_str_eq(out, "invoice,contract,period,seller,buyer,line,quantity,price,amount,"
			      "currency,why\r\n");
	free(out);
	/* April has no rate within 7 days of its last day: every one is named */
	struct run r = cli((const char *[]){ "settle", "run", "--key", P("agent.key"), "--period",
					     "2026-04", NULL });
	ck_assert_int_eq(r.status, 1);
	ck_assert_msg(strstr(r.err, "missing rate: PBOC USD/CNY 2026-04-30"), "%s", r.err);
	run_free(&r);
	/* a payment by hand, partial; a statement from the bank */
	free(expect(0, (const char *[]){ "payment", "record", "--key", P("gaz.key"), "--payer",
					 "CN-BUY", "--payee", "RU-GAZ", "--currency", "CNY",
					 "--amount", "1000000.5", "--value-date", "2026-04-25",
					 "--reference", "INV-G1-2026-03", NULL }));
	/* the same payment again is a retry, refused; --new says it is another */
	refused_unchanged((const char *[]){ "payment", "record", "--key", P("gaz.key"), "--payer",
					    "CN-BUY", "--payee", "RU-GAZ", "--currency", "CNY",
					    "--amount", "1000000.5", "--value-date", "2026-04-25",
					    "--reference", "INV-G1-2026-03", NULL });
	free(expect(0, (const char *[]){ "payment", "record", "--key", P("gaz.key"), "--payer",
					 "CN-BUY", "--payee", "RU-GAZ", "--currency", "CNY",
					 "--amount", "1000000.5", "--value-date", "2026-04-25",
					 "--reference", "INV-G1-2026-03", "--new", NULL }));
	free(expect(2, (const char *[]){ "payment", "record", "--key", P("gaz.key"), "--payer",
					 "CN-BUY", "--payee", "RU-GAZ", "--currency", "CNY",
					 "--amount", "1.005", "--value-date", "2026-04-25",
					 "--reference", "x", NULL }));
	char stmt[1024];
	snprintf(stmt, sizeof stmt, "%s/stmt-02.xml",
		 getenv("CORRIDOR_CAMT") ? getenv("CORRIDOR_CAMT") : "tests/camt");
	out = expect(0, (const char *[]){ "payment", "import", "--key", P("gaz.key"), stmt, "--format",
					  "csv", NULL });
	ck_assert_msg(strstr(out, "1.1.1,") && strstr(out, ",applied,BANK-0001,CN-BUY,RU-GAZ,CNY,"),
		      "%s", out);
	ck_assert(strstr(out, ",unmatched,BANK-0004,"));
	free(out);
	out = expect(0, (const char *[]){ "payment", "import", "--key", P("gaz.key"), stmt, NULL });
	ck_assert_msg(strstr(out, "0 written"), "%s", out);
	free(out);
	/* the reports, three formats, the same numbers */
	tbl = expect(0, (const char *[]){ "report", "invoices", "--as-of", "2026-05-01", NULL });
	csvout = expect(0, (const char *[]){ "report", "invoices", "--as-of", "2026-05-01",
					     "--format", "csv", NULL });
	json = expect(0, (const char *[]){ "report", "invoices", "--as-of", "2026-05-01", "--format",
					   "json", "--party", "CN-BUY", NULL });
	ck_assert_msg(strstr(csvout, "invoice,INV-G1-2026-03,G1,CN-BUY,RU-GAZ,CNY,5649353.42,"),
		      "%s", csvout);
	ck_assert(strstr(tbl, "INV-G1-2026-03"));
	ck_assert(strstr(json, "\"invoice\":\"INV-G1-2026-03\""));
	ck_assert(!strstr(json, "INV-T1")); /* CN-BUY is no party to T1 */
	free(tbl);
	free(csvout);
	free(json);
	csvout = expect(0, (const char *[]){ "report", "balances", "--format", "csv", NULL });
	ck_assert_msg(strstr(csvout, "currency,party,balance\r\n"), "%s", csvout);
	free(csvout);
	invoices_csv_equals_json("2026-05-01");
	invoices_csv_equals_json("2026-12-31");
	/* the journal; an existing file is not overwritten */
	out = expect(0, (const char *[]){ "export", "--format", "journal", "--out", P("books.journal"),
					  NULL });
	free(out);
	free(expect(3, (const char *[]){ "export", "--format", "journal", "--out", P("books.journal"),
					 NULL }));
	size_t jl;
	char *jt = (char *)slurp(P("books.journal"), &jl);
	ck_assert(jt && strstr(jt, "(INV-G1-2026-03) invoice G1 2026-03  ; contract: G1"));
	free(jt);
	/* reversal: latest first, then March again as -r1 */
	free(expect(0, (const char *[]){ "settle", "reverse", "--key", P("agent.key"), "--period",
					 "2026-03", "--reason", "rate corrected", NULL }));
	json = expect(0, (const char *[]){ "settle", "show", "2026-03", "--format", "json", NULL });
	ck_assert_msg(strstr(json, "\"reversed\":true"), "%s", json);
	/* each batch names the tree it was computed at: the log up to its summary */
	unsigned long long bseq = 0, at_size = 0;
	const char *bs = strstr(json, "\"seq\":"),
		   *cat = strstr(json, "\"computed_at\":{\"size\":");
	ck_assert_msg(bs && cat && sscanf(bs, "\"seq\":%llu", &bseq) == 1 &&
			      sscanf(cat, "\"computed_at\":{\"size\":%llu", &at_size) == 1 &&
			      bseq > 0 && at_size == bseq,
		      "%s", json);
	out = expect(0, (const char *[]){ "settle", "show", "2026-03", NULL });
	char want_at[64];
	snprintf(want_at, sizeof want_at, "computed at tree size %llu, root ", at_size);
	ck_assert_msg(strstr(out, want_at), "%s", out);
	free(out);
	free(json);
	out = expect(0, (const char *[]){ "settle", "run", "--key", P("agent.key"), "--period",
					  "2026-03", NULL });
	ck_assert_msg(strstr(out, "INV-G1-2026-03-r1"), "%s", out);
	free(out);
	out = expect(0, (const char *[]){ "verify", NULL });
	ck_assert(strstr(out, "verify OK"));
	free(out);
	/* the log says what each money entry is about */
	out = expect(0, (const char *[]){ "log", NULL });
	ck_assert_msg(strstr(out, "period 2026-03, 2 invoices") && strstr(out, "INV-G1-2026-03-r1") &&
			      strstr(out, "USD/CNY 2026-03-27 (PBOC)") &&
			      strstr(out, "CN-BUY to RU-GAZ, CNY: INV-G1-2026-03") &&
			      strstr(out, "reverses batch"),
		      "%s", out);
	free(out);
	/* every reading command's machine formats, read by another parser */
	static const char *const lists[][8] = {
		{ "party", "list", NULL },	     { "contract", "list", NULL },
		{ "currency", "list", NULL },	     { "rate", "list", NULL },
		{ "payment", "list", NULL },	     { "log", NULL },
		{ "delivery", "list", "--contract", "G1", NULL },
	};
	for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
		parses(lists[i], "json");
		parses(lists[i], "jsonl");
		if (strcmp(lists[i][0], "party") && strcmp(lists[i][0], "contract") &&
		    strcmp(lists[i][0], "log"))
			parses(lists[i], "csv");
	}
	static const char *const docs[][10] = {
		{ "settle", "show", "2026-03", NULL },
		{ "report", "meters", "--contract", "G1", "--period", "2026-03", NULL },
		{ "report", "performance", "--period", "2026-03", NULL },
		{ "report", "performance", "--period", "2026-Q1", "--monthly", NULL },
		{ "report", "invoices", "--as-of", "2026-06-30", NULL },
		{ "report", "balances", NULL },
		{ "report", "balances", "--period", "2026-Q1", "--monthly", NULL },
		{ "report", "invoices", "--period", "2026-Q2", "--monthly", NULL },
	};
	for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
		parses(docs[i], "json");
		parses(docs[i], "csv");
	}
	/* invoices at a quarter's end are the report as of that day, each row
	 * after its as_of */
	char *q = expect(0, (const char *[]){ "report", "invoices", "--period", "2026-Q2",
					      "--quarterly", "--format", "csv", NULL });
	char *one = expect(0, (const char *[]){ "report", "invoices", "--as-of", "2026-06-30",
						"--format", "csv", NULL });
	size_t cap = 2 * strlen(one) + 4096, wat = 0;
	char *want = malloc(cap);
	ck_assert_ptr_nonnull(want);
	for (const char *line = one; *line;) {
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line + 1) : strlen(line);
		wat += (size_t)snprintf(want + wat, cap - wat, "%s%.*s",
				       line == one ? "as_of," : "2026-06-30,", (int)n, line);
		line += n;
	}
	ck_assert_str_eq(q, want);
	ck_assert_msg(strstr(q, "2026-06-30,invoice,INV-G1-2026-03-r1,"), "%s", q);
	free(want);
	free(one);
	free(q);
	char *mj = expect(0, (const char *[]){ "report", "invoices", "--period", "2026-Q2",
					       "--monthly", "--format", "json", NULL });
	ck_assert_msg(mj[0] == '[' && strstr(mj, "{\"as_of\":\"2026-04-30\",\"invoices\":[") &&
			      strstr(mj, ",{\"as_of\":\"2026-05-31\",") &&
			      strstr(mj, ",{\"as_of\":\"2026-06-30\","),
		      "%s", mj);
	free(mj);
	parses((const char *const[]){ "contract", "show", "G1", NULL }, "json");
	parses((const char *const[]){ "party", "show", "CN-BUY", NULL }, "json");
}
END_TEST


/* Peak RSS (KiB) of one run of the binary, measured in a fresh child so no
 * earlier command's peak counts. */
static long peak_rss_kib(const char *const *argv, const char *const *env, int *status)
{
	int fds[2];
	ck_assert_int_eq(pipe(fds), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct run r = run_cli(argv, env);
		struct rusage ru;
		getrusage(RUSAGE_CHILDREN, &ru);
		long v[2] = { ru.ru_maxrss, r.status };
		ssize_t w = write(fds[1], v, sizeof v);
		_exit(w == (ssize_t)sizeof v ? 0 : 1);
	}
	close(fds[1]);
	long v[2] = { -1, -1 };
	ssize_t got = read(fds[0], v, sizeof v);
	close(fds[0]);
	int st;
	waitpid(pid, &st, 0);
	ck_assert_int_eq(got, (ssize_t)sizeof v);
	*status = (int)v[1];
	return v[0];
}

static bool raw_controls(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20u && *s != '\n')
			return true;
	return false;
}

/* Files are checked before the key unseals (a wrong passphrase is not what
 * the user hears about a bad file); untrusted bytes reach the terminal
 * escaped, on one line; unreadable files exit 3; strict numbers. */
START_TEST(hostile_files_on_the_command_line)
{
	const char *wrong[] = { "CORRIDOR_PASSPHRASE=not the passphrase", g_env_ledger, NULL };
	/* rate import: a NUL inside a field is an error, not the end of it */
	static const char rates[] = "base,quote,date,rate,source\nUSD,CNY,2027-01-05,7,PBOC\0XYZ\n";
	ck_assert(spit(P("nul.csv"), rates, sizeof rates - 1));
	struct run r = run_cli((const char *[]){ "rate", "import", "--key", P("op.key"), P("nul.csv"),
						 NULL }, wrong);
	ck_assert_int_eq(r.status, 1);
	ck_assert_msg(strstr(r.err, "NUL") && strstr(r.err, "line 2") && !strstr(r.err, "passphrase"),
		      "%s", r.err);
	run_free(&r);
	/* delivery import: a quantity that would set the terminal's title */
	const char *bad = "contract,start,end,quantity,meter,reference\n"
			  "G1,2026-03-01T00:00:00Z,2026-03-02T00:00:00Z,5\033]0;pwned\007,M1,R1\n";
	ck_assert(spit(P("esc.csv"), bad, strlen(bad)));
	r = run_cli((const char *[]){ "delivery", "import", "--key", P("op.key"), P("esc.csv"), NULL },
		    wrong);
	ck_assert_int_eq(r.status, 1);
	ck_assert_msg(!raw_controls(r.err) && strstr(r.err, "\\x1b]0;pwned\\x07") &&
			      strchr(r.err, '\n') == r.err + strlen(r.err) - 1 &&
			      !strstr(r.err, "passphrase"),
		      "%s", r.err);
	run_free(&r);
	/* a statement with a DTD whose entity expands a thousandfold: refused
	 * before it is read, in bounded memory */
	size_t cap = 200000, at = 0;
	char *x = malloc(cap);
	at += (size_t)snprintf(x + at, cap - at, "<?xml version=\"1.0\"?>\n<!DOCTYPE d [<!ENTITY a \"");
	for (int i = 0; i < 1000; i++)
		at += (size_t)snprintf(x + at, cap - at, "aaaaaaaaaa");
	at += (size_t)snprintf(x + at, cap - at, "\">]>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:"
					       "xsd:camt.053.001.02\"><BkToCstmrStmt><Stmt><Acct><Id><IBAN>");
	while (at + 64 < cap - 100)
		at += (size_t)snprintf(x + at, cap - at, "&a;&a;&a;&a;&a;&a;&a;&a;");
	at += (size_t)snprintf(x + at, cap - at, "</IBAN></Id></Acct></Stmt></BkToCstmrStmt></Document>");
	ck_assert(spit(P("bomb.xml"), x, at));
	free(x);
	int status;
	long kib = peak_rss_kib((const char *[]){ "payment", "import", "--key", P("op.key"),
						  P("bomb.xml"), NULL }, wrong, &status);
	ck_assert_int_eq(status, 1);
	/* the limit: 32 MiB for the program itself and 16 x the file */
	/* the limit: what the same command takes on a one-line file, plus 16 x
	 * the file (so it holds in the sanitizer build too) */
	ck_assert(spit(P("tiny.xml"), "<x/>", 4));
	int bstatus;
	long base = peak_rss_kib((const char *[]){ "payment", "import", "--key", P("op.key"),
						   P("tiny.xml"), NULL }, wrong, &bstatus);
	ck_assert_int_eq(bstatus, 1);
	fprintf(stderr, "cli: a %zu-byte entity bomb refused at a peak RSS of %ld KiB (a 4-byte "
			"file: %ld KiB)\n", at, kib, base);
	ck_assert_msg(kib < base + 16 * (long)(at / 1024), "peak RSS %ld KiB for %zu bytes (base %ld)",
		      kib, at, base);
	r = run_cli((const char *[]){ "payment", "import", "--key", P("op.key"), P("bomb.xml"), NULL },
		    wrong);
	ck_assert_msg(strstr(r.err, "no DTD") && !strstr(r.err, "passphrase"), "%s", r.err);
	run_free(&r);
	/* unreadable input: exit 3, whichever command */
	free(expect(3, (const char *[]){ "delivery", "import", "--key", P("op.key"), P("none.csv"), NULL }));
	free(expect(3, (const char *[]){ "contract", "propose", "--key", P("op.key"), "--file",
					 P("none.json"), NULL }));
	free(expect(3, (const char *[]){ "verify", "--archive", P("none.arc"), "--vkey", g_vkey, NULL }));
	free(expect(3, (const char *[]){ "memo", "--key", P("none.key"), "hi", NULL }));
	/* strict counts */
	const char *limits[] = { "0", "-0", "\t5", "05", "+5", "5 ", "" };
	for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++)
		free(expect(2, (const char *[]){ "log", "--limit", limits[i], NULL }));
	free(expect(0, (const char *[]){ "log", "--limit", "1", NULL }));
	/* an amendment's file names the contract it amends */
	struct run a = cli((const char *[]){ "contract", "amend", "G9", "--key", P("op.key"), "--file",
					     example_path("gas-G1.json"), "--effective", "2026-05-01",
					     NULL });
	ck_assert_int_eq(a.status, 2);
	ck_assert_msg(strstr(a.err, "'G1', not of 'G9'"), "%s", a.err);
	run_free(&a);
	/* a backup is as private as the ledger */
	free(expect(0, (const char *[]){ "backup", "--out", P("bk"), NULL }));
	struct stat sl, sb;
	char lpath[1300];
	snprintf(lpath, sizeof lpath, "%s/ledger/data.mdb", g_dir);
	ck_assert_int_eq(stat(lpath, &sl), 0);
	ck_assert_int_eq(stat(path_join(P("bk"), "data.mdb"), &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, sl.st_mode & 0777);
	ck_assert_int_eq(sb.st_mode & 0077, 0);
}
END_TEST


/* A contract whose amount overflows is left unsettled in every output
 * format, the other settled, exit 1 after writing. */
START_TEST(unsettled_contracts_in_every_format)
{
	const char *ids[3] = { "SEL", "BUY", "AGT" }, *roles[3] = { "seller", "buyer", "settlement" };
	const char *files[3] = { "sel.key", "buy.key", "agt.key" };
	for (int i = 0; i < 3; i++) {
		char *vk = keygen(ids[i], files[i]);
		free(expect(0, (const char *[]){ "party", "register", "--key", P("op.key"), "--id", ids[i],
						 "--name", ids[i], "--country", "MN", "--roles", roles[i],
						 "--vkey", vk, NULL }));
		free(vk);
	}
#define CONTRACT_TMPL "{\"id\":\"%s\",\"seller\":\"SEL\",\"buyer\":\"BUY\",\"commodity\":\"gas\"," \
			   "\"delivery_point\":\"x\",\"unit\":\"MWh\",\"start\":\"2026-03-01\"," \
			   "\"end\":\"2027-01-01\",\"utc_offset\":\"+08:00\",\"prices\":[{\"from\":" \
			   "\"2026-03-01\",\"price\":\"%s\"}],\"currency\":\"USD\"," \
			   "\"settlement_currency\":\"USD\",\"payment_days\":10,\"tolerance_permille\":5," \
			   "\"metering_party\":\"SEL\",\"billing_meter\":\"M-%s\"}"
	const char *cid[2] = { "OK1", "BAD" }, *price[2] = { "1", "999999.999999" },
		   *qty[2] = { "10", "999999999999.999" };
	char csv[1024];
	size_t at = (size_t)snprintf(csv, sizeof csv, "contract,start,end,quantity,meter,reference\n");
	for (int i = 0; i < 2; i++) {
		char json[1024], name[32];
		snprintf(json, sizeof json, CONTRACT_TMPL, cid[i], price[i], cid[i]);
		snprintf(name, sizeof name, "%s.json", cid[i]);
		ck_assert(spit(P(name), json, strlen(json)));
		free(expect(0, (const char *[]){ "contract", "propose", "--key", P("sel.key"), "--file",
						 P(name), NULL }));
		free(expect(0, (const char *[]){ "contract", "accept", cid[i], "--key", P("buy.key"),
						 NULL }));
		at += (size_t)snprintf(csv + at, sizeof csv - at,
				       "%s,2026-03-01T16:00:00Z,2026-03-02T16:00:00Z,%s,M-%s,R-%s\n", cid[i],
				       qty[i], cid[i], cid[i]);
	}
	ck_assert(spit(P("d.csv"), csv, at));
	free(expect(0, (const char *[]){ "delivery", "import", "--key", P("sel.key"), P("d.csv"), NULL }));
	/* a dry run in JSON and CSV, then the run in a table */
	struct run r = cli((const char *[]){ "settle", "run", "--key", P("agt.key"), "--period",
					     "2026-03", "--dry-run", "--format", "json", NULL });
	ck_assert_int_eq(r.status, 1);
	json_error_t je;
	json_t *root = json_loads(r.out, 0, &je);
	ck_assert_msg(root != NULL, "%s: %s", je.text, r.out);
	json_t *inv = json_array_get(json_object_get(json_array_get(json_object_get(root, "batches"), 0),
						     "invoices"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(inv, "id")), "INV-OK1-2026-03");
	json_t *u = json_array_get(json_object_get(root, "unsettled"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(u, "contract")), "BAD");
	ck_assert(strstr(json_string_value(json_object_get(u, "why")), "overflow"));
	ck_assert_uint_eq(json_array_size(json_object_get(root, "unsettled")), 1);
	json_decref(root);
	run_free(&r);
	r = cli((const char *[]){ "settle", "run", "--key", P("agt.key"), "--period", "2026-03",
				  "--dry-run", "--format", "csv", NULL });
	ck_assert_int_eq(r.status, 1);
	struct csv_table t;
	csv_table_read(r.out, &t);
	bool seen = false;
	for (size_t i = 0; i < t.rows; i++)
		if (!strcmp(csv_get(&t, i, "line"), "unsettled")) {
			ck_assert_str_eq(csv_get(&t, i, "contract"), "BAD");
			seen = strstr(csv_get(&t, i, "why"), "overflow") != NULL;
		}
	ck_assert(seen);
	csv_table_free(&t);
	run_free(&r);
	struct corridor_head h0, h1;
	head_of(&h0);
	r = cli((const char *[]){ "settle", "run", "--key", P("agt.key"), "--period", "2026-03", NULL });
	ck_assert_int_eq(r.status, 1);
	ck_assert_msg(strstr(r.out, "unsettled: BAD:") && strstr(r.out, "INV-OK1-2026-03") &&
			      strstr(r.err, "1 contract left unsettled for 2026-03"),
		      "%s / %s", r.out, r.err);
	run_free(&r);
	head_of(&h1);
	ck_assert_uint_eq(h1.size, h0.size + 2); /* the summary and OK1's invoice */
	/* again: nothing left but BAD, which cannot be settled: nothing written, exit 1 */
	refused_unchanged((const char *[]){ "settle", "run", "--key", P("agt.key"), "--period",
					    "2026-03", NULL });
}
END_TEST


/* Two agents settle the same month at once, five months running: the loser
 * always ends like a run that came second (exit 0, nothing left), and each
 * month has exactly one batch. */
START_TEST(settlement_race_has_one_outcome)
{
	const char *ids[3] = { "SEL", "BUY", "AGT" }, *roles[3] = { "seller", "buyer", "settlement" };
	const char *files[3] = { "sel.key", "buy.key", "agt.key" };
	for (int i = 0; i < 3; i++) {
		char *vk = keygen(ids[i], files[i]);
		free(expect(0, (const char *[]){ "party", "register", "--key", P("op.key"), "--id", ids[i],
						 "--name", ids[i], "--country", "MN", "--roles", roles[i],
						 "--vkey", vk, NULL }));
		free(vk);
	}
	char json[1024];
	snprintf(json, sizeof json, CONTRACT_TMPL, "OK1", "1", "OK1");
	ck_assert(spit(P("OK1.json"), json, strlen(json)));
	free(expect(0, (const char *[]){ "contract", "propose", "--key", P("sel.key"), "--file",
					 P("OK1.json"), NULL }));
	free(expect(0, (const char *[]){ "contract", "accept", "OK1", "--key", P("buy.key"), NULL }));
	char csv[2048];
	size_t at = (size_t)snprintf(csv, sizeof csv, "contract,start,end,quantity,meter,reference\n");
	for (int m = 3; m <= 7; m++)
		at += (size_t)snprintf(csv + at, sizeof csv - at,
				       "OK1,2026-%02d-01T16:00:00Z,2026-%02d-02T16:00:00Z,%d,M-OK1,R-%d\n", m,
				       m, 10 + m, m);
	ck_assert(spit(P("d.csv"), csv, at));
	free(expect(0, (const char *[]){ "delivery", "import", "--key", P("sel.key"), P("d.csv"), NULL }));
	for (int m = 3; m <= 7; m++) {
		char period[24];
		snprintf(period, sizeof period, "2026-%02d", m);
		pid_t pids[2];
		for (int k = 0; k < 2; k++) {
			pids[k] = fork();
			ck_assert_int_ge(pids[k], 0);
			if (pids[k] == 0) {
				struct run r = cli((const char *[]){ "settle", "run", "--key", P("agt.key"),
								     "--period", period, NULL });
				_exit(r.status == 0 ? 0 : 10 + (r.status & 0x7f));
			}
		}
		for (int k = 0; k < 2; k++) {
			int st;
			ck_assert_int_eq(waitpid(pids[k], &st, 0), pids[k]);
			ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: a run exited %d", period,
				      WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		}
		char *out = expect(0, (const char *[]){ "settle", "show", period, "--format", "json", NULL });
		size_t batches = 0;
		for (const char *q = out; (q = strstr(q, "\"digest\":")); q++)
			batches++;
		ck_assert_msg(batches == 1, "%s: %zu batches: %s", period, batches, out);
		free(out);
	}
	free(expect(0, (const char *[]){ "verify", NULL }));
}
END_TEST

/* The commands as the binary knows them: the completion's list (printed
 * from the command table). n: how many. */
static char **command_paths(size_t *n)
{
	char *comp = expect(0, (const char *[]){ "help", "--completion", NULL });
	const char *p = strstr(comp, "_corridor_cmds=(");
	ck_assert_ptr_nonnull(p);
	p += strlen("_corridor_cmds=(");
	char **paths = calloc(128, sizeof *paths);
	*n = 0;
	while (*p == '"' || *p == ' ') {
		if (*p == ' ') {
			p++;
			continue;
		}
		const char *e = strchr(p + 1, '"');
		ck_assert(e && *n < 128);
		paths[(*n)++] = strndup(p + 1, (size_t)(e - p - 1));
		p = e + 1;
	}
	free(comp);
	ck_assert_uint_gt(*n, 50);
	return paths;
}

/* The options the completion offers for a command (from the same table). */
static char *command_opts(const char *comp, const char *path)
{
	char key[96];
	snprintf(key, sizeof key, "\t\"%s\") echo \"", path);
	const char *p = strstr(comp, key);
	ck_assert_msg(p != NULL, "%s has no options line", path);
	p += strlen(key);
	return strndup(p, strcspn(p, "\""));
}

/* Every command and subcommand has help: CMD --help, -h and `corridor help
 * CMD` print the same (exit 0, on stdout) with every option it parses;
 * the man page and the completion list the same commands and options —
 * all printed from one table that cli_parse also parses by (it aborts on a
 * documented option it does not parse). */
START_TEST(help_on_every_command)
{
	size_t n;
	char **paths = command_paths(&n);
	char *comp = expect(0, (const char *[]){ "help", "--completion", NULL });
	char *man = expect(0, (const char *[]){ "help", "--man", NULL });
	char *overview = expect(0, (const char *[]){ "--help", NULL });
	for (size_t i = 0; i < n; i++) {
		const char *argv[8];
		size_t k = 0;
		char *words = strdup(paths[i]);
		for (char *w = strtok(words, " "); w && k < 4; w = strtok(NULL, " "))
			argv[k++] = w;
		argv[k] = "--help";
		argv[k + 1] = NULL;
		char *help = expect(0, argv);
		char want[128];
		snprintf(want, sizeof want, "usage: corridor %s", paths[i]);
		ck_assert_msg(strncmp(help, want, strlen(want)) == 0, "%s", help);
		ck_assert_msg(strstr(help, "examples:\n  corridor "), "%s", help);
		argv[k] = "-h";
		char *h = expect(0, argv);
		ck_assert_str_eq(h, help);
		free(h);
		const char *hv[8] = { "help" };
		for (size_t j = 0; j < k; j++)
			hv[j + 1] = argv[j];
		hv[k + 1] = NULL;
		h = expect(0, hv);
		ck_assert_str_eq(h, help);
		free(h);
		/* every option: in the help, the man page and the completion */
		char *opts = command_opts(comp, paths[i]);
		for (char *o = strtok(opts, " "); o; o = strtok(NULL, " ")) {
			if (!strcmp(o, "--help"))
				continue;
			char line[96], aliased[96];
			snprintf(line, sizeof line, "  %s", o);
			snprintf(aliased, sizeof aliased, ", %s", o); /* after its short form */
			ck_assert_msg(strstr(help, line) || strstr(help, aliased),
				      "%s: %s not in its help", paths[i], o);
			/* in roff, each hyphen is \- */
			char roffed[96] = ".B ";
			size_t r = strlen(roffed);
			for (const char *c = o; *c && r + 3 < sizeof roffed; c++) {
				if (*c == '-')
					roffed[r++] = '\\';
				roffed[r++] = *c;
			}
			roffed[r] = '\0';
			char roff_alias[96]; /* ".B \-p, \-\-period" */
			snprintf(roff_alias, sizeof roff_alias, ", %s", roffed + 3);
			ck_assert_msg(strstr(man, roffed) || strstr(man, roff_alias),
				      "%s: %s not in the man page", paths[i], roffed);
		}
		free(opts);
		snprintf(want, sizeof want, "\n  %s", paths[i]);
		ck_assert_msg(strstr(overview, want), "%s not in corridor --help", paths[i]);
		free(help);
		free(words);
		free(paths[i]);
	}
	free(paths);
	/* the completion works in bash: subcommands, then the command's options */
	char script[4200], cmd[8600], got[256] = "";
	snprintf(script, sizeof script, "%s", P("corridor.bash"));
	ck_assert(spit(script, comp, strlen(comp)));
	snprintf(cmd, sizeof cmd,
		 "bash -c '. %s; COMP_WORDS=(corridor delivery imp); COMP_CWORD=2; _corridor; "
		 "echo \"${COMPREPLY[*]}\"; COMP_WORDS=(corridor --ledger L settle run --per); "
		 "COMP_CWORD=5; _corridor; echo \"${COMPREPLY[*]}\"'",
		 script);
	FILE *sh = popen(cmd, "r");
	ck_assert_ptr_nonnull(sh);
	size_t got_len = fread(got, 1, sizeof got - 1, sh);
	got[got_len] = '\0';
	ck_assert_int_eq(pclose(sh), 0);
	ck_assert_str_eq(got, "import\n--period\n");
	free(comp);
	free(man);
	free(overview);
}
END_TEST

/* What a new user mistypes gets the nearest command or option; global
 * options go before the command too; `--` ends the options; --version. */
START_TEST(cli_conventions)
{
	struct run r = cli((const char *[]){ "delivery", "imprt", "x.csv", NULL });
	ck_assert_int_eq(r.status, 2);
	ck_assert_msg(strstr(r.err, "did you mean 'corridor delivery import'?"), "%s", r.err);
	run_free(&r);
	r = cli((const char *[]){ "delivry", "list", NULL });
	ck_assert_int_eq(r.status, 2);
	ck_assert_msg(strstr(r.err, "did you mean 'delivery'?"), "%s", r.err);
	run_free(&r);
	r = cli((const char *[]){ "settle", "run", "--key", P("op.key"), "--perod", "2026-03", NULL });
	ck_assert_int_eq(r.status, 2);
	ck_assert_msg(strstr(r.err, "unknown option --perod for 'corridor settle run'; did you mean "
				    "--period?"),
		      "%s", r.err);
	run_free(&r);
	/* an option of a sibling is not this command's */
	r = cli((const char *[]){ "report", "balances", "--party", "X", NULL });
	ck_assert_int_eq(r.status, 2);
	ck_assert_msg(strstr(r.err, "unknown option --party for 'corridor report balances'"), "%s",
		      r.err);
	run_free(&r);
	/* an option's name is shown escaped, never raw */
	r = cli((const char *[]){ "log", "--\x1b[31mred", NULL });
	ck_assert_int_eq(r.status, 2);
	ck_assert_msg(!strchr(r.err, '\x1b') && strstr(r.err, "unknown option"), "%s", r.err);
	run_free(&r);
	r = cli((const char *[]){ "delivery", NULL });
	ck_assert_int_eq(r.status, 2);
	ck_assert_msg(strstr(r.err, "delivery import"), "%s", r.err);
	run_free(&r);
	char *out = expect(0, (const char *[]){ "delivery", "--help", NULL });
	ck_assert_msg(strstr(out, "delivery import") && strstr(out, "delivery export"), "%s", out);
	free(out);
	out = expect(0, (const char *[]){ "--version", NULL });
	char want[64];
	snprintf(want, sizeof want, "corridor %s\n", corridor_version());
	ck_assert_str_eq(out, want);
	free(out);
	/* --ledger (and --passphrase-file) before the command */
	free(expect(0, (const char *[]){ "--ledger", P("second"), "init", "--origin", ORIGIN,
					 "--operator-key", P("op.key"), NULL }));
	char pf[4200];
	snprintf(pf, sizeof pf, "%s", P("pass.txt"));
	ck_assert(spit(pf, "test passphrase", 15));
	const char *env[] = { g_env_ledger, NULL };
	r = run_cli((const char *[]){ "--ledger", P("second"), "--passphrase-file", pf, "memo",
				      "--key", P("op.key"), "--", "--not-an-option", NULL },
		    env);
	ck_assert_msg(r.status == 0, "%s", r.err);
	run_free(&r);
	out = expect(0, (const char *[]){ "--ledger", P("second"), "log", "--format", "json", NULL });
	ck_assert_msg(strstr(out, "--not-an-option"), "%s", out);
	free(out);
	/* the other ledger (the environment's) has no such memo */
	out = expect(0, (const char *[]){ "log", "--format", "json", NULL });
	ck_assert_msg(!strstr(out, "--not-an-option"), "%s", out);
	free(out);
	/* log's filters: kind, author, time; the limit counts what is printed */
	free(expect(0, (const char *[]){ "--ledger", P("second"), "memo", "--key", P("op.key"),
					 "second memo", NULL }));
	const char *lg[] = { "--ledger", P("second"), "log", "--kind", "memo", NULL, NULL, NULL, NULL };
	out = expect(0, lg);
	ck_assert_msg(strstr(out, "--not-an-option") && strstr(out, "second memo") &&
			      !strstr(out, "ledger.genesis") && !strstr(out, " genesis"),
		      "%s", out);
	free(out);
	lg[5] = "--limit";
	lg[6] = "1";
	out = expect(0, lg);
	ck_assert_msg(strstr(out, "--not-an-option") && !strstr(out, "second memo"), "%s", out);
	free(out);
	lg[5] = "--author";
	lg[6] = "RU-GAZPROM";
	out = expect(0, lg);
	ck_assert_msg(!strstr(out, "memo "), "%s", out); /* the header only */
	ck_assert_ptr_eq(strchr(out, '\n'), out + strlen(out) - 1);
	free(out);
	lg[5] = "--since";
	lg[6] = "2099-01-01";
	out = expect(0, lg);
	ck_assert_ptr_eq(strchr(out, '\n'), out + strlen(out) - 1);
	free(out);
	lg[6] = "yesterday";
	free(expect(2, lg));
}
END_TEST

/* The display column at which byte offset `at` of line starts: a CJK
 * character takes two columns, any other code point one (the names here). */
static size_t column_of(const char *line, size_t at)
{
	size_t col = 0;
	for (size_t i = 0; i < at;) {
		unsigned char c = (unsigned char)line[i];
		size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : 4;
		uint32_t cp = n == 3 ? (uint32_t)(c & 0x0f) << 12 |
					       (uint32_t)((unsigned char)line[i + 1] & 0x3f) << 6 |
					       ((unsigned char)line[i + 2] & 0x3f)
				     : 0;
		col += cp >= 0x4e00 && cp <= 0x9fff ? 2 : 1;
		i += n;
	}
	return col;
}

/* The line of `out` that holds `needle`; the column where `field` starts on it. */
static size_t field_column(const char *out, const char *needle, const char *field)
{
	const char *l = strstr(out, needle);
	ck_assert_msg(l != NULL, "%s not in:\n%s", needle, out);
	while (l > out && l[-1] != '\n')
		l--;
	const char *f = strstr(l, field);
	ck_assert_msg(f && (size_t)(strchr(l, '\n') - l) > (size_t)(f - l), "%s", l);
	return column_of(l, (size_t)(f - l));
}

/* Tables align on display width whatever the script of a name, carry a
 * header, group thousands (never in CSV or JSON), cut long text with an
 * ellipsis, never cut a number. */
START_TEST(tables_align_on_display_width)
{
	char *cn = keygen("CN-POWER", "cnp.key"), *mn = keygen("MN-POWER", "mnp.key");
	free(expect(0, (const char *[]){ "party", "register", "--key", P("op.key"), "--id",
					 "CN-POWER", "--name", "内蒙古电力公司", "--country", "CN",
					 "--roles", "seller", "--vkey", cn, NULL }));
	free(expect(0, (const char *[]){ "party", "register", "--key", P("op.key"), "--id",
					 "MN-POWER", "--name", "Монголын цахилгаан дамжуулах үндэсний сүлжээ",
					 "--country", "MN",
					 "--roles", "buyer", "--vkey", mn, NULL }));
	char *out = expect(0, (const char *[]){ "party", "list", NULL });
	size_t head = field_column(out, "ID ", "COUNTRY");
	ck_assert_uint_eq(field_column(out, "CN-POWER", "CN "), head);
	ck_assert_uint_eq(field_column(out, "MN-POWER", "MN "), head);
	/* a long name is cut with an ellipsis, the columns stay */
	ck_assert_msg(strstr(out, "Монголын цахилгаан дамжуула\xe2\x80\xa6"), "%s", out);
	ck_assert_uint_eq(field_column(out, "MN-POWER", "buyer"), field_column(out, "ID ", "ROLES"));
	ck_assert_uint_eq(field_column(out, "CN-POWER", "seller"), field_column(out, "ID ", "ROLES"));
	free(out);
	/* a long kind in log's KIND column does not push the others */
	out = expect(0, (const char *[]){ "log", NULL });
	ck_assert_uint_eq(field_column(out, "party.register", "CN-POWER"),
			  field_column(out, "SEQ", "SUMMARY"));
	ck_assert_uint_eq(field_column(out, " genesis ", "corridor.exa"),
			  field_column(out, "SEQ", "AUTHOR"));
	free(out);
	/* thousands separators in tables only; rates and payments have a header */
	char *fx = keygen("FX", "fx.key");
	free(expect(0, (const char *[]){ "party", "register", "--key", P("op.key"), "--id", "FX",
					 "--name", "Rates", "--country", "MN", "--roles", "rates",
					 "--vkey", fx, NULL }));
	free(fx);
	free(expect(0, (const char *[]){ "rate", "record", "--key", P("fx.key"), "--base", "RUB",
					 "--quote", "MNT", "--date", "2026-03-02", "--rate",
					 "38123.5", "--source", "MONGOLBANK", NULL }));
	out = expect(0, (const char *[]){ "rate", "list", NULL });
	ck_assert_msg(strncmp(out, "PAIR ", 5) == 0 && strstr(out, "38,123.5"), "%s", out);
	free(out);
	out = expect(0, (const char *[]){ "rate", "list", "--format", "csv", NULL });
	ck_assert_msg(strstr(out, ",38123.5,") && !strstr(out, "38,123"), "%s", out);
	free(out);
	out = expect(0, (const char *[]){ "rate", "list", "--format", "json", NULL });
	ck_assert_msg(!strstr(out, "38,123"), "%s", out);
	free(out);
	free(expect(0, (const char *[]){ "payment", "record", "--key", P("cnp.key"), "--payer",
					 "MN-POWER", "--payee", "CN-POWER", "--currency", "MNT",
					 "--amount", "177606640678.68", "--value-date", "2026-04-01",
					 "--reference", "INV-X", NULL }));
	out = expect(0, (const char *[]){ "payment", "list", NULL });
	ck_assert_msg(strstr(out, "SEQ") && strstr(out, "AMOUNT") && strstr(out, "177,606,640,678.68"),
		      "%s", out);
	ck_assert_uint_eq(field_column(out, "INV-X", "MNT"), field_column(out, "SEQ", "CUR"));
	free(out);
	out = expect(0, (const char *[]){ "report", "balances", NULL });
	ck_assert_msg(strstr(out, "-177,606,640,678.68") && strstr(out, "BALANCE"), "%s", out);
	free(out);
	out = expect(0, (const char *[]){ "report", "balances", "--format", "csv", NULL });
	ck_assert_msg(strstr(out, ",-177606640678.68") && !strstr(out, "177,606"), "%s", out);
	free(out);
	free(cn);
	free(mn);
}
END_TEST

Suite *suite_cli(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("end-to-end");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, keys_from_the_command_line);
	tcase_add_test(tc, help_on_every_command);
	tcase_add_test(tc, cli_conventions);
	tcase_add_test(tc, tables_align_on_display_width);
	tcase_add_test(tc, memo_log_and_verify);
	tcase_add_test(tc, memo_from_a_pipe);
	tcase_add_test(tc, output_to_a_full_disk);
	tcase_add_test(tc, proofs_and_audits);
	tcase_add_test(tc, archives_and_replicas);
	tcase_add_test(tc, parties_keys_and_roles);
	tcase_add_test(tc, contracts_deliveries_reports);
	tcase_add_test(tc, money_end_to_end);
	tcase_add_test(tc, hostile_files_on_the_command_line);
	tcase_add_test(tc, unsettled_contracts_in_every_format);
	tcase_add_test(tc, settlement_race_has_one_outcome);
	tcase_set_timeout(tc, 300);
	suite_add_tcase(s, tc);
	return s;
}
