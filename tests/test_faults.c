/* test_faults.c — resource faults: a full disk, a file size limit, an
 * unwritable ledger, too little memory. Each gives a clear one-line error and leaves every
 * committed entry intact and nothing partial. */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#define ORIGIN "corridor.example/faults"

static const char *ENV[] = { "CORRIDOR_PASSPHRASE=faults", NULL };

static void write_lines(const char *path, int n, int width)
{
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	for (int i = 0; i < n; i++) {
		fprintf(f, "line %06d ", i);
		for (int k = 0; k < width; k++)
			fputc('a' + (i + k) % 26, f);
		fputc('\n', f);
	}
	fclose(f);
}

/* An operator key and a new ledger, made with the real binary. */
static void new_ledger(const char *key, const char *ledger)
{
	struct run r = run_cli((const char *[]){ "key", "generate", "--name", ORIGIN, "--out", key,
						 "--kdf", "interactive", NULL }, ENV);
	ck_assert_int_eq(r.status, 0);
	run_free(&r);
	r = run_cli((const char *[]){ "init", "--origin", ORIGIN, "--operator-key", key, "--ledger",
				      ledger, NULL }, ENV);
	ck_assert_int_eq(r.status, 0);
	run_free(&r);
}

static int count_acked(const char *out)
{
	int last = -1;
	for (const char *p = out; (p = strstr(p, "appended ")); p++) {
		unsigned a, b;
		if (sscanf(p, "appended %u..%u", &a, &b) == 2)
			last = (int)b;
	}
	return last;
}

START_TEST(disk_full_on_a_small_tmpfs)
{
	if (geteuid() != 0) {
		/* Mounting needs root; file_size_limit covers the same path. */
		fprintf(stderr, "faults: not root, the tmpfs disk-full test is not run here\n");
		return;
	}
	char *dir = tmpdir_new();
	char mnt[1024], key[1024], lines[1024], ledger[1100];
	snprintf(mnt, sizeof mnt, "%s", path_join(dir, "mnt"));
	snprintf(key, sizeof key, "%s", path_join(dir, "op.key"));
	snprintf(lines, sizeof lines, "%s", path_join(dir, "lines.txt"));
	snprintf(ledger, sizeof ledger, "%s/L", mnt);
	ck_assert_int_eq(mkdir(mnt, 0700), 0);
	if (mount("tmpfs", mnt, "tmpfs", 0, "size=1m") != 0) {
		fprintf(stderr, "faults: cannot mount a tmpfs (%s); test not run\n", strerror(errno));
		rm_rf(dir);
		free(dir);
		return;
	}
	new_ledger(key, ledger);
	struct run r;
	write_lines(lines, 4000, 600); /* ~2.4 MB: more than the disk */
	r = run_cli((const char *[]){ "memo", "--ledger", ledger, "--key", key, "--from", lines,
				      "--batch", "100", NULL }, ENV);
	ck_assert_int_eq(r.status, 3);
	ck_assert_msg(strstr(r.err, "no space left") != NULL, "%s", r.err);
	ck_assert(strchr(r.err, '\n') == r.err + strlen(r.err) - 1);
	int acked = count_acked(r.out);
	run_free(&r);
	/* Every acknowledged batch is there, nothing else, and it verifies. */
	struct corridor_ledger *l;
	struct corridor_head h;
	struct corridor_diag d;
	ck_assert_int_eq(corridor_ledger_open(ledger, 0, &l, &d), 0);
	ck_assert_int_eq(corridor_ledger_verify(l, NULL, NULL, &d), 0);
	ck_assert_int_eq(corridor_ledger_head(l, &h), 0);
	ck_assert_uint_eq(h.size, (uint64_t)(acked < 0 ? 1 : acked + 1));
	corridor_ledger_close(l);
	umount(mnt);
	rm_rf(dir);
	free(dir);
}
END_TEST

START_TEST(file_size_limit_mid_commit)
{
	char *dir = tmpdir_new();
	char ledger[1024];
	snprintf(ledger, sizeof ledger, "%s", path_join(dir, "L"));
	struct corridor_signer *op = test_signer(ORIGIN, 3);
	struct corridor_ledger *l;
	struct corridor_diag d;
	struct corridor_head before, after;
	ck_assert_int_eq(corridor_ledger_create(ledger, op, &l, &d), 0);
	ck_assert_int_eq(corridor_ledger_head(l, &before), 0);
	corridor_ledger_close(l);
	struct stat st;
	ck_assert_int_eq(stat(path_join(ledger, "data.mdb"), &st), 0);
	pid_t pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		/* The batch needs ~1.2 MB; the file may grow by 64 KiB. */
		struct rlimit rl = { .rlim_cur = (rlim_t)st.st_size + 65536,
				     .rlim_max = (rlim_t)st.st_size + 65536 };
		signal(SIGXFSZ, SIG_IGN);
		if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
			_exit(10);
		enum { N = 2000 };
		static char buf[N][600];
		const char *t[N];
		size_t n[N];
		for (int i = 0; i < N; i++) {
			memset(buf[i], 'a' + i % 26, 599);
			t[i] = buf[i];
			n[i] = 599;
		}
		struct corridor_ledger *cl;
		struct corridor_diag cd;
		if (corridor_ledger_open(ledger, 0, &cl, &cd) != 0)
			_exit(11);
		int err = corridor_memo_append(cl, op, t, n, N, N, NULL, NULL, &cd);
		corridor_ledger_close(cl);
		_exit(err == CORRIDOR_E_FULL && strstr(cd.text, "size limit") ? 0 : 12);
	}
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
	ck_assert_int_eq(corridor_ledger_open(ledger, 0, &l, &d), 0);
	ck_assert_int_eq(corridor_ledger_head(l, &after), 0);
	ck_assert_uint_eq(after.size, before.size);
	ck_assert(memcmp(after.root, before.root, 32) == 0);
	ck_assert_int_eq(corridor_ledger_verify(l, NULL, NULL, &d), 0);
	/* And the ledger still takes writes once there is room. */
	const char *t = "after the fault";
	size_t n = strlen(t);
	ck_assert_int_eq(corridor_memo_append(l, op, &t, &n, 1, 1, NULL, NULL, &d), 0);
	corridor_ledger_close(l);
	corridor_signer_free(op);
	rm_rf(dir);
	free(dir);
}
END_TEST

START_TEST(unwritable_ledger_directory)
{
	char *dir = tmpdir_new();
	char ro[1024];
	snprintf(ro, sizeof ro, "%s", path_join(dir, "ro"));
	ck_assert_int_eq(mkdir(ro, 0500), 0);
	struct corridor_signer *op = test_signer(ORIGIN, 4);
	struct corridor_ledger *l = NULL;
	struct corridor_diag d;
	int err = corridor_ledger_create(path_join(ro, "L"), op, &l, &d);
	if (geteuid() == 0) {
		/* root writes anyway: nothing to test for permissions */
		if (err == 0)
			corridor_ledger_close(l);
	} else {
		ck_assert_int_eq(err, CORRIDOR_E_IO);
		ck_assert(strstr(d.text, "cannot create") != NULL);
	}
	/* A file where the directory should be: a clear error either way. */
	ck_assert(spit(path_join(dir, "file"), "x", 1));
	err = corridor_ledger_create(path_join(dir, "file"), op, &l, &d);
	ck_assert_int_ne(err, 0);
	ck_assert(d.text[0] != '\0');
	corridor_signer_free(op);
	chmod(ro, 0700);
	rm_rf(dir);
	free(dir);
}
END_TEST

/* Runs the corridor binary with its address space limited to as_bytes, stdout
 * and stderr captured. Returns the exit code, or 128+signal. */
static int run_limited(const char *const *argv, rlim_t as_bytes, char **out, char **err)
{
	FILE *o = tmpfile(), *e = tmpfile();
	ck_assert(o && e);
	pid_t pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = { .rlim_cur = as_bytes, .rlim_max = as_bytes };
		if (dup2(fileno(o), 1) < 0 || dup2(fileno(e), 2) < 0 ||
		    setrlimit(RLIMIT_AS, &rl) != 0)
			_exit(120);
		execv(argv[0], (char *const *)(uintptr_t)argv);
		_exit(121);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
	}
	FILE *fs[2] = { o, e };
	char **bufs[2] = { out, err };
	for (int i = 0; i < 2; i++) {
		long n = ftell(fs[i]);
		ck_assert(n >= 0);
		*bufs[i] = calloc((size_t)n + 1, 1);
		rewind(fs[i]);
		ck_assert_uint_eq(fread(*bufs[i], 1, (size_t)n, fs[i]), (size_t)n);
		fclose(fs[i]);
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Below some limit the dynamic loader cannot even map the binary's libraries
 * (libxml2 brings ICU): a sweep starts where `help` runs, from 8 MiB up. */
static rlim_t loadable_limit(void)
{
	const char *help[] = { corridor_bin(), "help", NULL };
	for (rlim_t start = (rlim_t)8 << 20;; start += start / 4) {
		char *o, *e;
		int hrc = run_limited(help, start, &o, &e);
		free(o);
		free(e);
		if (hrc == 0)
			return start;
		ck_assert_msg(start <= (rlim_t)1 << 30, "corridor help does not run under 1 GiB");
	}
}

static uint64_t acked_entries(const char *out)
{
	uint64_t n = 0;
	for (const char *p = out; (p = strstr(p, "appended ")); p++) {
		unsigned long long a, b;
		if (sscanf(p, "appended %llu..%llu", &a, &b) == 2)
			n += b - a + 1;
	}
	return n;
}

/* A 9 MB input under an address-space limit from 8 MiB upwards: every run
 * either finishes or stops with one line naming the memory it lacked, never
 * a crash; what it acknowledged is there, no batch is partial, the ledger
 * verifies. The limits meet, in turn, the input buffer, the line index, the
 * LMDB map, Argon2id's 64 MiB and the map's growth. */
START_TEST(out_of_memory_on_a_huge_input)
{
#if defined(__SANITIZE_ADDRESS__)
	fprintf(stderr, "faults: AddressSanitizer reserves terabytes of address space; "
			"the out-of-memory test runs in the plain build\n");
	return;
#endif
	char *dir = tmpdir_new();
	char key[1024], lines[1024], ledger[1024];
	snprintf(key, sizeof key, "%s", path_join(dir, "op.key"));
	snprintf(lines, sizeof lines, "%s", path_join(dir, "lines.txt"));
	snprintf(ledger, sizeof ledger, "%s", path_join(dir, "L"));
	new_ledger(key, ledger);
	enum { LINES = 100000, BATCH = 1000 };
	write_lines(lines, LINES, 80);
	setenv("CORRIDOR_PASSPHRASE", "faults", 1);
	const char *argv[] = { corridor_bin(), "memo", "--ledger", ledger, "--key", key,
			       "--from", lines, "--batch", "1000", NULL };
	bool done = false, saw_input_refused = false;
	int runs = 0;
	rlim_t last_limit = 0, start = loadable_limit();
	for (rlim_t limit = start; !done && limit <= (rlim_t)4 << 30; limit += limit / 4, runs++) {
		struct corridor_ledger *l;
		struct corridor_head before, after;
		struct corridor_diag d;
		ck_assert_int_eq(corridor_ledger_open(ledger, 0, &l, &d), 0);
		ck_assert_int_eq(corridor_ledger_head(l, &before), 0);
		corridor_ledger_close(l);
		char *out, *err;
		int rc = run_limited(argv, limit, &out, &err);
		ck_assert_msg(rc == 0 || rc == 3, "limit %llu MiB: exit %d: %s",
			      (unsigned long long)(limit >> 20), rc, err);
		uint64_t acked = acked_entries(out);
		if (rc == 3) {
			/* One line, naming memory. */
			ck_assert_msg(strncmp(err, "corridor: ", 10) == 0 && strstr(err, "memory") &&
					      strchr(err, '\n') == err + strlen(err) - 1,
				      "limit %llu MiB: %s", (unsigned long long)(limit >> 20), err);
			saw_input_refused |= strstr(err, "out of memory reading") != NULL;
		} else {
			ck_assert_uint_eq(acked, LINES);
			done = true;
			last_limit = limit;
		}
		ck_assert_int_eq(corridor_ledger_open(ledger, 0, &l, &d), 0);
		ck_assert_int_eq(corridor_ledger_head(l, &after), 0);
		ck_assert_msg(corridor_ledger_verify(l, NULL, NULL, &d) == 0, "%s", d.text);
		corridor_ledger_close(l);
		/* Exactly what was acknowledged, whole batches only. */
		ck_assert_uint_eq(after.size, before.size + acked);
		ck_assert_uint_eq(acked % BATCH, 0);
		free(out);
		free(err);
	}
	unsetenv("CORRIDOR_PASSPHRASE");
	fprintf(stderr, "faults: %d runs under a memory limit rising from %llu MiB, %d refused "
			"with one line, finished at %llu MiB\n",
		runs, (unsigned long long)(start >> 20), runs - 1,
		(unsigned long long)(last_limit >> 20));
	ck_assert_msg(done, "no limit up to 4 GiB let the import finish");
	ck_assert(saw_input_refused);
	ck_assert_int_ge(runs, 5);
	rm_rf(dir);
	free(dir);
}
END_TEST


/* A bank statement read under an address-space limit rising from where the
 * binary loads: every run prints exactly what the unlimited run prints, or
 * stops with one line naming memory — an allocation that fails inside the
 * reader is never taken for an absent field. */
START_TEST(out_of_memory_reading_a_statement)
{
#if defined(__SANITIZE_ADDRESS__)
	fprintf(stderr, "faults: AddressSanitizer reserves terabytes of address space; "
			"the statement out-of-memory test runs in the plain build\n");
	return;
#endif
	char *dir = tmpdir_new();
	char key[1024], gkey[1024], ledger[1024], stmt[1024];
	snprintf(key, sizeof key, "%s", path_join(dir, "op.key"));
	snprintf(gkey, sizeof gkey, "%s", path_join(dir, "gaz.key"));
	snprintf(ledger, sizeof ledger, "%s", path_join(dir, "L"));
	snprintf(stmt, sizeof stmt, "%s", path_join(dir, "stmt.xml"));
	new_ledger(key, ledger);
	struct run r = run_cli((const char *[]){ "key", "generate", "--name", "RU-GAZ", "--out", gkey,
						 "--kdf", "interactive", NULL }, ENV);
	ck_assert_int_eq(r.status, 0);
	char vk[256];
	snprintf(vk, sizeof vk, "%s", r.out);
	vk[strcspn(vk, "\n")] = 0;
	run_free(&r);
	r = run_cli((const char *[]){ "party", "register", "--ledger", ledger, "--key", key, "--id",
				      "RU-GAZ", "--name", "RU-GAZ", "--country", "RU", "--roles",
				      "seller", "--vkey", vk, "--iban", "DE89370400440532013000",
				      NULL }, ENV);
	ck_assert_msg(r.status == 0, "%s", r.err);
	run_free(&r);
	/* 4,000 credits from accounts nobody registered: all reported, none written */
	FILE *f = fopen(stmt, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\">"
		   "<BkToCstmrStmt><Stmt><Acct><Id><IBAN>DE89370400440532013000</IBAN></Id></Acct>\n");
	for (int i = 0; i < 4000; i++)
		fprintf(f, "<Ntry><Amt Ccy=\"CNY\">%d.%02d</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>"
			   "<ValDt><Dt>2026-04-10</Dt></ValDt><AcctSvcrRef>B-%d</AcctSvcrRef><NtryDtls>"
			   "<TxDtls><RltdPties><Dbtr><Nm>Payer %d</Nm></Dbtr><DbtrAcct><Id><IBAN>"
			   "NL91ABNA04171643%02d</IBAN></Id></DbtrAcct></RltdPties><RmtInf><Ustrd>"
			   "invoice %d</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>\n",
			100 + i, i % 100, i, i, i % 100, i);
	fprintf(f, "</Stmt></BkToCstmrStmt></Document>\n");
	fclose(f);
	setenv("CORRIDOR_PASSPHRASE", "faults", 1);
	const char *argv[] = { corridor_bin(), "payment", "import", "--ledger", ledger, "--key", gkey,
			       stmt, "--format", "csv", NULL };
	char *want, *werr;
	ck_assert_int_eq(run_limited(argv, RLIM_INFINITY, &want, &werr), 0);
	ck_assert_msg(strstr(want, ",unmatched,B-3999,"), "%s", werr);
	free(werr);
	rlim_t start = loadable_limit();
	int runs = 0, refused = 0;
	bool done = false;
	for (rlim_t limit = start; !done && limit <= (rlim_t)4 << 30; limit += limit / 8, runs++) {
		char *out, *err;
		int rc = run_limited(argv, limit, &out, &err);
		if (rc == 0) {
			ck_assert_msg(strcmp(out, want) == 0, "limit %llu MiB: exit 0 with other output",
				      (unsigned long long)(limit >> 20));
			done = true;
		} else {
			ck_assert_msg(rc == 3 && strncmp(err, "corridor: ", 10) == 0 &&
					      strstr(err, "memory") &&
					      strchr(err, '\n') == err + strlen(err) - 1,
				      "limit %llu MiB: exit %d: %s", (unsigned long long)(limit >> 20),
				      rc, err);
			refused++;
		}
		free(out);
		free(err);
	}
	unsetenv("CORRIDOR_PASSPHRASE");
	fprintf(stderr, "faults: a 4,000-entry statement under %d memory limits: %d refused with "
			"one line, then the full result\n", runs, refused);
	ck_assert(done);
	ck_assert_int_ge(refused, 1);
	free(want);
	rm_rf(dir);
	free(dir);
}
END_TEST

Suite *suite_faults(void)
{
	Suite *s = suite_create("faults");
	TCase *tc = tcase_create("resources");
	tcase_add_test(tc, disk_full_on_a_small_tmpfs);
	tcase_add_test(tc, file_size_limit_mid_commit);
	tcase_add_test(tc, unwritable_ledger_directory);
	tcase_add_test(tc, out_of_memory_on_a_huge_input);
	tcase_add_test(tc, out_of_memory_reading_a_statement);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}
