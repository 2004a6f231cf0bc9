/* test_tty.c — the passphrase prompt on a real terminal (a pty): no echo,
 * asked twice when a key is made, the two answers compared. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

extern char **environ;

/* Runs argv on a new pty as its controlling terminal; answers each prompt
 * containing "Passphrase" with the next line of answers. Returns the exit
 * status; everything the terminal showed goes into screen. */
static int on_pty(const char *const *argv, const char *const *answers, size_t nanswers,
		  char *screen, size_t cap)
{
	int master = posix_openpt(O_RDWR | O_NOCTTY);
	ck_assert(master >= 0);
	ck_assert_int_eq(grantpt(master), 0);
	ck_assert_int_eq(unlockpt(master), 0);
	char slave_name[128];
	ck_assert_int_eq(ptsname_r(master, slave_name, sizeof slave_name), 0);
	pid_t pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		setsid(); /* the pty becomes the controlling terminal on open */
		int slave = open(slave_name, O_RDWR);
		if (slave < 0)
			_exit(120);
		dup2(slave, 0);
		dup2(slave, 1);
		dup2(slave, 2);
		close(master);
		unsetenv("CORRIDOR_PASSPHRASE");
		execv(argv[0], (char *const *)(uintptr_t)argv);
		_exit(121);
	}
	size_t len = 0, answered = 0, prompts_seen = 0;
	for (int rounds = 0; rounds < 2000; rounds++) {
		struct pollfd p = { .fd = master, .events = POLLIN };
		if (poll(&p, 1, 100) <= 0) {
			int st;
			if (waitpid(pid, &st, WNOHANG) == pid) {
				close(master);
				screen[len] = 0;
				return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			}
			continue;
		}
		ssize_t n = read(master, screen + len, cap - 1 - len);
		if (n <= 0)
			break; /* EIO: the child closed the terminal */
		len += (size_t)n;
		screen[len] = 0;
		size_t prompts = 0;
		for (const char *q = screen; (q = strstr(q, "Passphrase")); q++)
			prompts++;
		while (prompts_seen < prompts && answered < nanswers) {
			prompts_seen++;
			ck_assert(write(master, answers[answered], strlen(answers[answered])) > 0);
			answered++;
		}
	}
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	close(master);
	screen[len] = 0;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

START_TEST(passphrase_prompt_on_a_terminal)
{
	char *dir = tmpdir_new();
	char key[1024], screen[8192];
	snprintf(key, sizeof key, "%s", path_join(dir, "tty.key"));
	const char *gen[] = { corridor_bin(), "key", "generate", "--name", "TTY-TEST", "--out",
			      key, "--kdf", "interactive", NULL };
	const char *same[] = { "typed secret\n", "typed secret\n" };
	int rc = on_pty(gen, same, 2, screen, sizeof screen);
	ck_assert_msg(rc == 0, "exit %d: %s", rc, screen);
	ck_assert(strstr(screen, "Passphrase (again)") != NULL);
	ck_assert_msg(strstr(screen, "typed secret") == NULL, "the passphrase was echoed: %s", screen);
	ck_assert(strstr(screen, "TTY-TEST+") != NULL);
	/* The key unseals with what was typed. */
	struct corridor_signer *s = NULL;
	ck_assert_int_eq(corridor_signer_load(key, "typed secret", 12, &s, NULL), 0);
	corridor_signer_free(s);
	/* Two different answers: refused, nothing written. */
	char key2[1024];
	snprintf(key2, sizeof key2, "%s", path_join(dir, "tty2.key"));
	const char *gen2[] = { corridor_bin(), "key", "generate", "--name", "TTY-TEST", "--out",
			       key2, "--kdf", "interactive", NULL };
	const char *differ[] = { "one\n", "two\n" };
	rc = on_pty(gen2, differ, 2, screen, sizeof screen);
	ck_assert_int_eq(rc, 2);
	ck_assert(strstr(screen, "differ") != NULL);
	ck_assert_int_ne(access(key2, F_OK), 0);
	/* Longer than the limit: refused, never cut to the first 1,024 bytes. */
	static char longer[1200];
	memset(longer, 'p', 1100);
	longer[1100] = '\n';
	const char *too_long[] = { longer, longer };
	rc = on_pty(gen2, too_long, 2, screen, sizeof screen);
	ck_assert_int_eq(rc, 2);
	ck_assert_msg(strstr(screen, "longer than 1024 bytes") != NULL, "%s", screen);
	ck_assert_int_ne(access(key2, F_OK), 0);
	rm_rf(dir);
	free(dir);
}
END_TEST

/* Long work on a terminal shows one progress line on stderr (done/total,
 * rate, time left); the acknowledgements stay on stdout; not on a pipe. */
START_TEST(progress_on_a_terminal)
{
	char *dir = tmpdir_new();
	char key[1024], ledger[1024], lines[1024], csv[1024], screen[65536];
	snprintf(key, sizeof key, "%s", path_join(dir, "op.key"));
	snprintf(ledger, sizeof ledger, "%s", path_join(dir, "L"));
	snprintf(lines, sizeof lines, "%s", path_join(dir, "lines.txt"));
	snprintf(csv, sizeof csv, "%s", path_join(dir, "none.csv"));
	const char *pw[] = { "pw\n", "pw\n" };
	const char *gen[] = { corridor_bin(), "key", "generate", "--name", "tty.example/log",
			      "--out", key, "--kdf", "interactive", NULL };
	ck_assert_int_eq(on_pty(gen, pw, 2, screen, sizeof screen), 0);
	const char *init[] = { corridor_bin(), "init", "--origin", "tty.example/log",
			       "--operator-key", key, "--ledger", ledger, NULL };
	ck_assert_int_eq(on_pty(init, pw, 1, screen, sizeof screen), 0);
	FILE *f = fopen(lines, "w");
	ck_assert_ptr_nonnull(f);
	for (int i = 0; i < 3000; i++)
		fprintf(f, "line %d\n", i);
	ck_assert_int_eq(fclose(f), 0);
	const char *memo[] = { corridor_bin(), "memo", "--key", key, "--from", lines, "--batch",
			       "500", "--ledger", ledger, NULL };
	int rc = on_pty(memo, pw, 1, screen, sizeof screen);
	ck_assert_msg(rc == 0, "exit %d: %s", rc, screen);
	ck_assert_msg(strstr(screen, "memo: 3000/3000 (100%), ") && strstr(screen, "/s") &&
			      strstr(screen, "appended 2501..3000"),
		      "%s", screen);
	/* verify: the same line, the whole log */
	const char *verify[] = { corridor_bin(), "verify", "--ledger", ledger, NULL };
	rc = on_pty(verify, pw, 0, screen, sizeof screen);
	ck_assert_msg(rc == 0 && strstr(screen, "verify: 3001/3001 (100%)"), "%s", screen);
	/* an archive import into a replica: the same line */
	char archive[1024], replica[1024];
	snprintf(archive, sizeof archive, "%s", path_join(dir, "L.archive"));
	snprintf(replica, sizeof replica, "%s", path_join(dir, "R"));
	const char *sign[] = { corridor_bin(), "checkpoint", "sign", "--key", key, "--ledger",
			       ledger, NULL };
	ck_assert_int_eq(on_pty(sign, pw, 1, screen, sizeof screen), 0);
	const char *exp[] = { corridor_bin(), "export", "--format", "archive", "--out", archive,
			      "--ledger", ledger, NULL };
	rc = on_pty(exp, pw, 0, screen, sizeof screen);
	ck_assert_msg(rc == 0 && strstr(screen, "export: 3001/3001 (100%)"), "%s", screen);
	const char *imp[] = { corridor_bin(), "import", "--archive", archive, "--ledger", replica,
			      NULL };
	rc = on_pty(imp, pw, 0, screen, sizeof screen);
	ck_assert_msg(rc == 0 && strstr(screen, "import: 3001/3001 (100%)") &&
			      strstr(screen, "holds 3001 entries"),
		      "%s", screen);
	/* tiles: the export, a replica brought up from them, a monitor's catch-up */
	char tiles[1024], replica2[1024], state[1024], vkey[256];
	snprintf(tiles, sizeof tiles, "%s", path_join(dir, "T"));
	snprintf(replica2, sizeof replica2, "%s", path_join(dir, "R2"));
	snprintf(state, sizeof state, "%s", path_join(dir, "mon"));
	const char *texp[] = { corridor_bin(), "tiles", "export", "--out", tiles, "--entries",
			       "--ledger", ledger, NULL };
	rc = on_pty(texp, pw, 0, screen, sizeof screen);
	ck_assert_msg(rc == 0 && strstr(screen, "tiles export: ") &&
			      strstr(screen, "/3001 (100%)") && strstr(screen, "wrote "),
		      "%s", screen);
	const char *timp[] = { corridor_bin(), "import", "--tiles", tiles, "--ledger", replica2,
			       NULL };
	rc = on_pty(timp, pw, 0, screen, sizeof screen);
	ck_assert_msg(rc == 0 &&
			      strstr(screen, "import --tiles: entries fetched + verified: 6002/6002 "
					     "(100%)") &&
			      strstr(screen, "holds 3001 entries"),
		      "%s", screen);
	struct run pub = run_cli((const char *[]){ "key", "public", key, NULL }, NULL);
	ck_assert_int_eq(pub.status, 0);
	snprintf(vkey, sizeof vkey, "%.*s", (int)strcspn(pub.out, "\n"), pub.out);
	run_free(&pub);
	const char *mon[] = { corridor_bin(), "monitor", "--from", tiles, "--vkey", vkey, "--state",
			      state, NULL };
	rc = on_pty(mon, pw, 0, screen, sizeof screen);
	ck_assert_msg(rc == 0 &&
			      strstr(screen, "monitor catch-up: entries fetched + verified: "
					     "6002/6002 (100%)") &&
			      strstr(screen, "checkpoint 3001 of tty.example/log verified"),
		      "%s", screen);
	/* a settle run: the contracts computed of the ledger's */
	char pwfile[1024], sledger[1024];
	snprintf(pwfile, sizeof pwfile, "%s", path_join(dir, "pw.txt"));
	snprintf(sledger, sizeof sledger, "%s", path_join(dir, "S"));
	ck_assert(spit(pwfile, "pw\n", 3));
	const char *env[] = { "CORRIDOR_PASSPHRASE=pw", NULL };
	struct run r = run_cli((const char *[]){ "init", "--origin", "tty.example/log",
						 "--operator-key", key, "--ledger", sledger, NULL },
			       env);
	ck_assert_msg(r.status == 0, "%s", r.err);
	run_free(&r);
	static const struct {
		const char *id, *roles;
	} ps[] = { { "RU-GAZ", "seller" }, { "CN-BUY", "buyer" }, { "FX", "rates" },
		   { "AGENT", "settlement" } };
	for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
		char pk[1024];
		snprintf(pk, sizeof pk, "%s", path_join(dir, ps[i].id));
		r = run_cli((const char *[]){ "key", "generate", "--name", ps[i].id, "--out", pk,
					      "--kdf", "interactive", NULL },
			    env);
		ck_assert_msg(r.status == 0, "%s", r.err);
		snprintf(vkey, sizeof vkey, "%.*s", (int)strcspn(r.out, "\n"), r.out);
		run_free(&r);
		r = run_cli((const char *[]){ "party", "register", "--key", key, "--id", ps[i].id,
					      "--name", ps[i].id, "--country", "MN", "--roles",
					      ps[i].roles, "--vkey", vkey, "--ledger", sledger, NULL },
			    env);
		ck_assert_msg(r.status == 0, "%s", r.err);
		run_free(&r);
	}
	char terms[1024], rates[1024];
	snprintf(terms, sizeof terms, "%s/gas-G1.json",
		 getenv("CORRIDOR_EXAMPLES") ? getenv("CORRIDOR_EXAMPLES") : "docs/examples");
	snprintf(rates, sizeof rates, "%s", path_join(dir, "rates.csv"));
	static const char rates_csv[] = "base,quote,date,rate,source\nUSD,CNY,2026-01-30,7.1,PBOC\n";
	ck_assert(spit(rates, rates_csv, sizeof rates_csv - 1));
	const char *setup[][10] = {
		{ "contract", "propose", "--key", path_join(dir, "RU-GAZ"), "--file", terms, NULL },
		{ "contract", "accept", "G1", "--key", path_join(dir, "CN-BUY"), NULL },
		{ "rate", "import", "--key", path_join(dir, "FX"), rates, NULL },
	};
	for (size_t i = 0; i < sizeof setup / sizeof setup[0]; i++) {
		const char *argv[16];
		size_t n = 0;
		for (; setup[i][n]; n++)
			argv[n] = setup[i][n];
		argv[n++] = "--ledger";
		argv[n++] = sledger;
		argv[n] = NULL;
		r = run_cli(argv, env);
		ck_assert_msg(r.status == 0, "%s: %s", setup[i][0], r.err);
		run_free(&r);
	}
	char agent[1024];
	snprintf(agent, sizeof agent, "%s", path_join(dir, "AGENT"));
	const char *settle[] = { corridor_bin(), "settle", "run", "--key", agent, "--period",
				 "2026-01", "--dry-run", "--passphrase-file", pwfile, "--ledger",
				 sledger, NULL };
	rc = on_pty(settle, pw, 0, screen, sizeof screen);
	ck_assert_msg(rc == 0 && strstr(screen, "settle run: contracts: 1/1 (100%)") &&
			      strstr(screen, "G1"),
		      "%s", screen);
	/* on a pipe: no progress at all */
	r = run_cli((const char *[]){ "verify", "--ledger", ledger, NULL }, NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_msg(r.err[0] == '\0', "%s", r.err);
	run_free(&r);
	rm_rf(dir);
	free(dir);
}
END_TEST

Suite *suite_tty(void)
{
	Suite *s = suite_create("tty");
	TCase *tc = tcase_create("prompt");
	tcase_add_test(tc, passphrase_prompt_on_a_terminal);
	tcase_add_test(tc, progress_on_a_terminal);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}
