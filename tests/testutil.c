/* testutil.c — temp dirs, files, and running the real binary. */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

extern char **environ;

char *tmpdir_new(void)
{
	const char *base = getenv("TMPDIR");
	char tmpl[512];
	snprintf(tmpl, sizeof tmpl, "%s/corridor-test-XXXXXX", base && *base ? base : "/tmp");
	char *d = mkdtemp(tmpl);
	ck_assert_ptr_nonnull(d);
	return strdup(d);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

void rm_rf(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

const char *path_join(const char *dir, const char *name)
{
	static char bufs[8][1024];
	static unsigned at;
	char *b = bufs[at++ % 8];
	snprintf(b, 1024, "%s/%s", dir, name);
	return b;
}

uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	uint8_t *b = malloc(cap + 1);
	for (;;) {
		if (n == cap) {
			cap *= 2;
			b = realloc(b, cap + 1);
		}
		size_t r = fread(b + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
	}
	fclose(f);
	b[n] = 0;
	*len = n;
	return b;
}

bool spit(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return false;
	bool ok = fwrite(data, 1, len, f) == len;
	return fclose(f) == 0 && ok;
}

const char *vector_path(const char *rel)
{
	static char buf[1024];
	const char *base = getenv("CORRIDOR_VECTORS");
	snprintf(buf, sizeof buf, "%s/%s", base ? base : "tests/vectors", rel);
	return buf;
}

struct corridor_signer *test_signer(const char *name, uint8_t seed_byte)
{
	uint8_t seed[32];
	struct corridor_signer *s = NULL;
	for (int i = 0; i < 32; i++)
		seed[i] = (uint8_t)(seed_byte + i);
	ck_assert_int_eq(corridor_signer_from_seed(name, seed, &s), 0);
	return s;
}

const char *corridor_bin(void)
{
	const char *b = getenv("CORRIDOR_BIN");
	return b ? b : "build/corridor";
}

#define CAPTURE_BYTES_MAX ((size_t)1 << 20)

static char *read_all(int fd)
{
	size_t cap = 4096, n = 0;
	char *b = malloc(cap + 1);
	for (;;) {
		if (n == cap && cap < CAPTURE_BYTES_MAX) {
			cap *= 2;
			b = realloc(b, cap + 1);
		}
		if (n == cap)
			break;
		ssize_t r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	b[n] = 0;
	return b;
}

struct run run_cli(const char *const *argv, const char *const *env)
{
	struct run r = { .status = -1 };
	char outp[] = "/tmp/corridor-out-XXXXXX", errp[] = "/tmp/corridor-err-XXXXXX";
	int ofd = mkstemp(outp), efd = mkstemp(errp);
	ck_assert(ofd >= 0 && efd >= 0);
	unlink(outp);
	unlink(errp);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, ofd, 1);
	posix_spawn_file_actions_adddup2(&fa, efd, 2);
	/* argv[0] is the binary; environment: ours plus additions. */
	size_t nenv = 0, nadd = 0;
	while (environ[nenv])
		nenv++;
	while (env && env[nadd])
		nadd++;
	char **e = calloc(nenv + nadd + 1, sizeof *e);
	size_t k = 0;
	for (size_t i = 0; i < nadd; i++)
		e[k++] = (char *)(uintptr_t)env[i];
	for (size_t i = 0; i < nenv; i++) {
		bool shadowed = false;
		for (size_t j = 0; j < nadd && !shadowed; j++) {
			const char *eq = strchr(env[j], '=');
			size_t kl = eq ? (size_t)(eq - env[j]) : strlen(env[j]);
			shadowed = strncmp(environ[i], env[j], kl) == 0 && environ[i][kl] == '=';
		}
		if (!shadowed)
			e[k++] = environ[i];
	}
	size_t na = 0;
	while (argv[na])
		na++;
	char **a = calloc(na + 2, sizeof *a);
	a[0] = (char *)(uintptr_t)corridor_bin();
	for (size_t i = 0; i < na; i++)
		a[i + 1] = (char *)(uintptr_t)argv[i];
	pid_t pid;
	int rc = posix_spawn(&pid, a[0], &fa, NULL, a, e);
	ck_assert_int_eq(rc, 0);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
	}
	r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	lseek(ofd, 0, SEEK_SET);
	lseek(efd, 0, SEEK_SET);
	r.out = read_all(ofd);
	r.err = read_all(efd);
	close(ofd);
	close(efd);
	posix_spawn_file_actions_destroy(&fa);
	free(a);
	free(e);
	return r;
}

void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

void test_party(struct corridor_ledger *l, const struct corridor_signer *op,
		const struct corridor_signer *s, const char *country, unsigned roles)
{
	struct corridor_diag d;
	uint64_t seq;
	struct corridor_party_request r = { .id = corridor_signer_vkey(s)->name,
					    .name = corridor_signer_vkey(s)->name,
					    .country = country,
					    .roles = roles,
					    .key = *corridor_signer_vkey(s) };
	ck_assert_msg(corridor_party_register(l, op, &r, NULL, &seq, &d) == 0, "%s", d.text);
}

void test_terms(const char *file, struct corridor_contract_terms *t)
{
	char path[1024];
	size_t len;
	struct corridor_diag d;
	const char *base = getenv("CORRIDOR_EXAMPLES");
	snprintf(path, sizeof path, "%s/%s", base ? base : "docs/examples", file);
	char *text = (char *)slurp(path, &len);
	ck_assert_ptr_nonnull(text);
	ck_assert_msg(corridor_contract_parse_json(text, len, t, &d) == 0, "%s", d.text);
	free(text);
}
