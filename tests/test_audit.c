/*
 * test_audit.c — the audit report (corridor report audit) of the demo's
 * corridor year: its HTML parsed as HTML5, every plot as XML, its embedded
 * figures against the JSON reports, rendered by headless Chromium to a PNG
 * and a PDF (tests/audit_check.py); hostile text escaped; bad requests
 * refused with nothing written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "testutil.h"

static const char DEMO_PASS[] =
	"CORRIDOR_PASSPHRASE=demo passphrase (never use a real one in an environment variable)";

static const char *src_dir(void)
{
	const char *s = getenv("CORRIDOR_SRC");
	return s ? s : ".";
}

static const char *python(void)
{
	/* Debian's, whose html5lib tools/deps.sh installs */
	return access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
}

static void check_report(const char *ledger, const char *html, const char *work)
{
	char cmd[8192], log[4200];
	snprintf(log, sizeof log, "%s/check.log", work);
	snprintf(cmd, sizeof cmd, "%s '%s/tests/audit_check.py' '%s' '%s' '%s' 2026 '%s' > '%s' 2>&1",
		 python(), src_dir(), corridor_bin(), ledger, html, work, log);
	int rc = system(cmd);
	size_t n = 0;
	char *out = (char *)slurp(log, &n);
	ck_assert_msg(rc == 0, "audit_check failed:\n%s", out ? out : "(no output)");
	fprintf(stderr, "%s", out ? out : "");
	free(out);
}

static bool file_has(const char *path, const char *needle)
{
	size_t n = 0;
	char *b = (char *)slurp(path, &n);
	bool has = b && strstr(b, needle) != NULL;
	free(b);
	return has;
}

START_TEST(audit_report_of_the_demo)
{
	char *dir = tmpdir_new();
	char cmd[8192], demo[4096], ledger[4200], html[4200], out[4200];
	snprintf(demo, sizeof demo, "%s/demo", dir);
	snprintf(ledger, sizeof ledger, "%s/ledger", demo);
	snprintf(html, sizeof html, "%s/audit-2026.html", demo);
	/* the demo writes demo/audit-2026.html for the corridor year */
	snprintf(cmd, sizeof cmd, "cd '%s' && sh '%s/tools/demo.sh' '%s' > demo.log 2>&1", dir,
		 src_dir(), corridor_bin());
	int rc = system(cmd);
	if (rc != 0) {
		snprintf(cmd, sizeof cmd, "tail -20 '%s/demo.log' >&2", dir);
		ck_assert_int_eq(system(cmd), 0);
	}
	ck_assert_msg(rc == 0, "the demo failed");
	check_report(ledger, html, dir);

	/* a reason with markup: escaped in the page, intact in the data */
	const char *env[] = { DEMO_PASS, NULL };
	struct run r = run_cli((const char *[]){ "payment", "list", "--format", "csv", "--ledger",
						 ledger, NULL },
			       env);
	ck_assert_int_eq(r.status, 0);
	unsigned long long pseq = 0;
	/* the first payment: seq first, reversed_by (empty: it stands) last */
	const char *first = strchr(r.out, '\n');
	const char *eol = first ? strchr(first + 1, '\r') : NULL;
	if (first && eol && eol[-1] == ',' && sscanf(first + 1, "%llu,", &pseq) != 1)
		pseq = 0;
	run_free(&r);
	ck_assert_msg(pseq > 0, "no standing payment in the demo");
	char seq[24], agent[4200];
	snprintf(seq, sizeof seq, "%llu", pseq);
	snprintf(agent, sizeof agent, "%s/agent.key", demo);
	static const char hostile[] = "</script><script>alert(1)</script> & \"quoted\" <b>";
	r = run_cli((const char *[]){ "payment", "reverse", seq, "--key", agent, "--reason", hostile,
				      "--ledger", ledger, NULL },
		    env);
	ck_assert_msg(r.status == 0, "%s", r.err);
	run_free(&r);
	snprintf(out, sizeof out, "%s/again.html", dir);
	r = run_cli((const char *[]){ "report", "audit", "--period", "2026", "--out", out, "--ledger",
				      ledger, NULL },
		    NULL);
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert_msg(strstr(r.out, "verification OK"), "%s", r.out);
	run_free(&r);
	ck_assert(file_has(out, "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; "
				"&quot;quoted&quot; &lt;b&gt;"));
	ck_assert(!file_has(out, "<script>alert"));
	ck_assert(file_has(out, "\\u003c/script>\\u003cscript>alert(1)\\u003c/script> & "
				"\\\"quoted\\\" \\u003cb>"));
	check_report(ledger, out, dir);

	/* refused, and nothing written: an existing file, a period that is not
	 * whole months, a contract that is not there */
	struct stat before, after;
	ck_assert_int_eq(stat(out, &before), 0);
	r = run_cli((const char *[]){ "report", "audit", "--period", "2026", "--out", out, "--ledger",
				      ledger, NULL },
		    NULL);
	ck_assert_int_eq(r.status, 2);
	ck_assert_msg(strstr(r.err, "exists"), "%s", r.err);
	run_free(&r);
	ck_assert_int_eq(stat(out, &after), 0);
	ck_assert(before.st_size == after.st_size && before.st_mtime == after.st_mtime);
	char none[4200];
	snprintf(none, sizeof none, "%s/none.html", dir);
	r = run_cli((const char *[]){ "report", "audit", "--begin", "2026-01-05", "--end",
				      "2026-02-01", "--out", none, "--ledger", ledger, NULL },
		    NULL);
	ck_assert_int_eq(r.status, 2);
	ck_assert_msg(strstr(r.err, "whole months"), "%s", r.err);
	run_free(&r);
	r = run_cli((const char *[]){ "report", "audit", "--period", "2026", "--contract",
				      "NO\x1b[31mPE", "--out", none, "--ledger", ledger, NULL },
		    NULL);
	ck_assert_int_ne(r.status, 0);
	ck_assert_msg(strchr(r.err, '\x1b') == NULL && strchr(r.err, '\n') == strrchr(r.err, '\n'),
		      "%s", r.err);
	run_free(&r);
	ck_assert_int_ne(access(none, F_OK), 0);
	/* a trusted key that is not the operator's: the report says the
	 * checkpoint does not hold, and the exit status says so too */
	char gaz[4200];
	snprintf(gaz, sizeof gaz, "%s/gazprom.key", demo);
	r = run_cli((const char *[]){ "key", "public", gaz, NULL }, NULL);
	ck_assert_int_eq(r.status, 0);
	char wrong[256];
	snprintf(wrong, sizeof wrong, "%.*s", (int)strcspn(r.out, "\n"), r.out);
	run_free(&r);
	r = run_cli((const char *[]){ "report", "audit", "--period", "2026-Q1", "--vkey", wrong,
				      "--out", none, "--ledger", ledger, NULL },
		    NULL);
	ck_assert_int_eq(r.status, 1);
	ck_assert_msg(strstr(r.err, "checkpoint does not hold"), "%s", r.err);
	run_free(&r);
	ck_assert(file_has(none, "does not hold"));
	rm_rf(dir);
	free(dir);
}
END_TEST

Suite *suite_audit(void)
{
	Suite *s = suite_create("audit");
	TCase *tc = tcase_create("report");
	tcase_set_timeout(tc, 900);
	tcase_add_test(tc, audit_report_of_the_demo);
	suite_add_tcase(s, tc);
	return s;
}
