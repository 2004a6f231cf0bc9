/* test_serve.c — `corridor serve` on loopback, driven over real HTTP: a
 * statement signed here is sequenced there and answered with a receipt; a
 * retry gets the original one; every kind of bad request gets its status and
 * writes nothing; SIGTERM stops it cleanly; the ledger verifies. */
#define _GNU_SOURCE /* memmem */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

extern char **environ;

#define ORIGIN "corridor.example/serve"
#define MINUTE 60000000ull

struct srv {
	char *dir;
	const char *ledger, *opkey;
	char log[4096];
	pid_t pid;
	unsigned port;
	struct corridor_signer *ru;
	const char *const *extra;
};

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void cli_ok(const char *const *argv)
{
	const char *env[] = { "CORRIDOR_PASSPHRASE=serve-test", NULL };
	struct run r = run_cli(argv, env);
	ck_assert_msg(r.status == 0, "%s: %s", argv[0], r.err);
	run_free(&r);
}

static void srv_start_with(struct srv *s, const char *const *extra);
static void srv_spawn(struct srv *s, const char *const *extra);
static void srv_start(struct srv *s)
{
	srv_start_with(s, NULL);
}

/* The server, with more options (NULL-terminated, at most 4) if extra is not NULL. */
static void srv_start_with(struct srv *s, const char *const *extra)
{
	memset(s, 0, sizeof *s);
	s->dir = tmpdir_new();
	char *ledger = strdup(path_join(s->dir, "ledger")), *opkey = strdup(path_join(s->dir, "op.key"));
	s->ledger = ledger;
	s->opkey = opkey;
	snprintf(s->log, sizeof s->log, "%s", path_join(s->dir, "serve.log"));
	cli_ok((const char *const[]){ "key", "generate", "--name", ORIGIN, "--out", opkey, "--kdf",
				      "interactive", NULL });
	cli_ok((const char *const[]){ "init", "--origin", ORIGIN, "--operator-key", opkey,
				      "--ledger", ledger, NULL });
	s->ru = test_signer("RU-GAZPROM", 0x21);
	char vk[CORRIDOR_VKEY_BYTES_MAX + 1];
	corridor_vkey_format(corridor_signer_vkey(s->ru), vk);
	cli_ok((const char *const[]){ "party", "register", "--key", opkey, "--id", "RU-GAZPROM",
				      "--name", "Gazprom", "--country", "RU", "--roles", "seller",
				      "--vkey", vk, "--ledger", ledger, NULL });
	s->extra = extra;
	srv_spawn(s, extra);
}

/* (Re)starts the server process on the fixture's ledger, on a new port. */
static void srv_spawn(struct srv *s, const char *const *extra)
{
	char *ledger = (char *)(uintptr_t)s->ledger, *opkey = (char *)(uintptr_t)s->opkey;
	s->port = 0;
	/* the server, its stderr into a file we read the port from */
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, s->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	char a0[] = "serve", a1[] = "--listen", a2[] = "127.0.0.1:0", a3[] = "--operator-key",
	     a4[] = "--ledger";
	char *argv[13] = { (char *)(uintptr_t)corridor_bin(), a0, a1, a2, a3, opkey, a4, ledger };
	for (size_t i = 0; extra && extra[i] && i < 4; i++)
		argv[8 + i] = (char *)(uintptr_t)extra[i];
	setenv("CORRIDOR_PASSPHRASE", "serve-test", 1);
	ck_assert_int_eq(posix_spawn(&s->pid, argv[0], &fa, NULL, argv, environ), 0);
	unsetenv("CORRIDOR_PASSPHRASE");
	posix_spawn_file_actions_destroy(&fa);
	for (int i = 0; i < 300 && !s->port; i++) { /* up to 30 s (the sanitizer build is slow) */
		size_t n;
		char *t = (char *)slurp(s->log, &n);
		const char *p = t ? strstr(t, "listening on http") : NULL;
		p = p ? strstr(p, "://127.0.0.1:") : NULL;
		if (p && strchr(p, '\n'))
			s->port = (unsigned)strtoul(p + strlen("://127.0.0.1:"), NULL, 10);
		free(t);
		if (!s->port)
			usleep(100000);
	}
	ck_assert_msg(s->port > 0, "the server did not say where it listens");
}

static int srv_stop(struct srv *s)
{
	int st;
	kill(s->pid, SIGTERM);
	while (waitpid(s->pid, &st, 0) < 0 && errno == EINTR) {
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void srv_free(struct srv *s)
{
	corridor_signer_free(s->ru);
	free((void *)(uintptr_t)s->ledger);
	free((void *)(uintptr_t)s->opkey);
	rm_rf(s->dir);
	free(s->dir);
}

/* A connection to the server on loopback. */
static int srv_connect(const struct srv *s)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)s->port) };
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	return fd;
}

/* One HTTP/1.1 request on a fresh connection; the status, and the response
 * body (malloc'd, NUL-terminated) in *body. */
static unsigned http(const struct srv *s, const char *method, const char *path,
		     const void *data, size_t len, char **body)
{
	int fd = srv_connect(s);
	char head[512];
	int hn = snprintf(head, sizeof head,
			  "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
			  "Content-Type: application/msgpack\r\nContent-Length: %zu\r\n\r\n",
			  method, path, len);
	ck_assert_int_eq(write(fd, head, (size_t)hn), hn);
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, (const char *)data + off, len - off);
		if (w <= 0)
			break; /* the server may refuse before reading it all */
		off += (size_t)w;
	}
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap + 1);
	for (;;) {
		if (n == cap) {
			cap *= 2;
			buf = realloc(buf, cap + 1);
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	unsigned status = 0;
	sscanf(buf, "HTTP/1.1 %u", &status);
	const char *b = strstr(buf, "\r\n\r\n");
	*body = strdup(b ? b + 4 : "");
	free(buf);
	return status;
}

static size_t memo(const struct corridor_signer *who, const char *idem, const char *text,
		   uint64_t created, uint64_t life_us, uint8_t *out, size_t cap)
{
	uint8_t body[64];
	size_t tl = strlen(text), n;
	body[0] = 0x81;
	memcpy(body + 1, "\xa4text", 5);
	body[6] = (uint8_t)(0xa0u | tl);
	memcpy(body + 7, text, tl);
	ck_assert_int_eq(corridor_statement_sign(who, ORIGIN, "memo", idem, created,
						 created + life_us, body, 7 + tl, out, cap, &n, NULL),
			 0);
	return n;
}

START_TEST(serve_statements)
{
	struct srv s;
	char *b;
	uint8_t st[1024], other[1024];
	srv_start(&s);
	uint64_t t = now_us();
	/* health and the checkpoint */
	ck_assert_uint_eq(http(&s, "GET", "/healthz", NULL, 0, &b), 200);
	ck_assert_str_eq(b, "ok\n");
	free(b);
	ck_assert_uint_eq(http(&s, "GET", "/checkpoint", NULL, 0, &b), 200);
	ck_assert_ptr_nonnull(strstr(b, ORIGIN "\n2\n")); /* genesis and party.register */
	free(b);
	/* a statement: 201 and its receipt, with an inclusion proof */
	size_t n = memo(s.ru, "serve-1", "hello", t, 30 * MINUTE, st, sizeof st);
	ck_assert_uint_eq(http(&s, "POST", "/v1/statements", st, n, &b), 201);
	ck_assert_ptr_nonnull(strstr(b, "\"seq\":2,"));
	ck_assert_ptr_nonnull(strstr(b, "\"duplicate\":false"));
	ck_assert_ptr_nonnull(strstr(b, "c2sp.org/tlog-proof@v1"));
	free(b);
	/* the same bytes again: 200 and the original receipt */
	ck_assert_uint_eq(http(&s, "POST", "/v1/statements", st, n, &b), 200);
	ck_assert_ptr_nonnull(strstr(b, "\"seq\":2,"));
	ck_assert_ptr_nonnull(strstr(b, "\"duplicate\":true"));
	free(b);
	/* the same key with another body: 409 */
	size_t no = memo(s.ru, "serve-1", "other", t, 30 * MINUTE, other, sizeof other);
	ck_assert_uint_eq(http(&s, "POST", "/v1/statements", other, no, &b), 409);
	free(b);
	/* expired: 422 with the reason */
	no = memo(s.ru, "serve-2", "late", t - 120 * MINUTE, MINUTE, other, sizeof other);
	ck_assert_uint_eq(http(&s, "POST", "/v1/statements", other, no, &b), 422);
	ck_assert_ptr_nonnull(strstr(b, "expired"));
	free(b);
	/* a bad signature: 403 */
	no = memo(s.ru, "serve-3", "forged", t, MINUTE, other, sizeof other);
	other[no - 1] ^= 1u;
	ck_assert_uint_eq(http(&s, "POST", "/v1/statements", other, no, &b), 403);
	free(b);
	/* not msgpack: 400, the reason as JSON */
	ck_assert_uint_eq(http(&s, "POST", "/v1/statements", "hello", 5, &b), 400);
	ck_assert_ptr_nonnull(strstr(b, "{\"error\":"));
	free(b);
	/* a body over the limit: 413 */
	size_t big = (8u << 20) + 1;
	uint8_t *huge = calloc(1, big);
	ck_assert_uint_eq(http(&s, "POST", "/v1/statements", huge, big, &b), 413);
	free(huge);
	free(b);
	/* an unknown path, and a GET of the write endpoint */
	ck_assert_uint_eq(http(&s, "GET", "/nowhere", NULL, 0, &b), 404);
	free(b);
	ck_assert_uint_eq(http(&s, "GET", "/v1/statements", NULL, 0, &b), 405);
	free(b);
	/* a batch of two new ones: 201, seqs 3 and 4 */
	uint8_t b1[1024], b2[1024], batch[2100];
	size_t n1 = memo(s.ru, "serve-4", "four", t, MINUTE, b1, sizeof b1);
	size_t n2 = memo(s.ru, "serve-5", "five", t, MINUTE, b2, sizeof b2);
	size_t bl = 0;
	batch[bl++] = 0x92;
	batch[bl++] = 0xc5;
	batch[bl++] = (uint8_t)(n1 >> 8);
	batch[bl++] = (uint8_t)n1;
	memcpy(batch + bl, b1, n1);
	bl += n1;
	batch[bl++] = 0xc5;
	batch[bl++] = (uint8_t)(n2 >> 8);
	batch[bl++] = (uint8_t)n2;
	memcpy(batch + bl, b2, n2);
	bl += n2;
	ck_assert_uint_eq(http(&s, "POST", "/v1/statements", batch, bl, &b), 201);
	ck_assert_ptr_nonnull(strstr(b, "\"seq\":3,"));
	ck_assert_ptr_nonnull(strstr(b, "\"seq\":4,"));
	free(b);
	/* the metrics count what happened */
	ck_assert_uint_eq(http(&s, "GET", "/metrics", NULL, 0, &b), 200);
	ck_assert_ptr_nonnull(strstr(b, "corridor_requests_total{status=\"201\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(b, "corridor_requests_total{status=\"409\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(b, "corridor_statements_appended_total 3\n"));
	ck_assert_ptr_nonnull(strstr(b, "corridor_statements_duplicate_total 1\n"));
	ck_assert_ptr_nonnull(strstr(b, "corridor_ledger_entries 5\n"));
	free(b);
	/* SIGTERM: a clean exit; an access line per request, none raw */
	ck_assert_int_eq(srv_stop(&s), 0);
	size_t ll;
	char *log = (char *)slurp(s.log, &ll);
	ck_assert_ptr_nonnull(strstr(log, "serve: 127.0.0.1 POST /v1/statements 201"));
	ck_assert_ptr_nonnull(strstr(log, "serve: 127.0.0.1 POST /v1/statements 409"));
	free(log);
	/* five entries: genesis, the party, three statements; and it verifies */
	struct run r = run_cli((const char *const[]){ "verify", "--ledger", s.ledger, NULL }, NULL);
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert_ptr_nonnull(strstr(r.out, "5 entries"));
	run_free(&r);
	srv_free(&s);
}
END_TEST

/* A connection from `src` (a loopback address) to the server, or -1. */
static int connect_from(const struct srv *s, const char *src)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in from = { .sin_family = AF_INET }, to = { .sin_family = AF_INET };
	inet_pton(AF_INET, src, &from.sin_addr);
	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	to.sin_port = htons((uint16_t)s->port);
	if (fd < 0 || bind(fd, (struct sockaddr *)&from, sizeof from) != 0 ||
	    connect(fd, (struct sockaddr *)&to, sizeof to) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* The server's corridor_connections_open gauge, read from /metrics. */
static unsigned connections_open(const struct srv *s)
{
	char *b;
	ck_assert_uint_eq(http(s, "GET", "/metrics", NULL, 0, &b), 200);
	const char *p = strstr(b, "\ncorridor_connections_open ");
	ck_assert_ptr_nonnull(p);
	unsigned n = (unsigned)strtoul(p + strlen("\ncorridor_connections_open "), NULL, 10);
	free(b);
	return n;
}

/* 1,000 connections opened from one address and left idle: the server holds
 * that address's share (32) and closes the rest; a client elsewhere reads and
 * writes meanwhile, and nothing the flood sent is written. */
START_TEST(serve_thousand_idle_connections)
{
	enum { FLOOD = 1000 };
	struct rlimit rl;
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur < FLOOD + 64) {
		rl.rlim_cur = rl.rlim_max < FLOOD + 256 ? rl.rlim_max : FLOOD + 256;
		ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	}
	ck_assert_uint_ge(rl.rlim_cur, FLOOD + 64);
	struct srv s;
	char *b;
	srv_start(&s);
	int *fd = malloc(FLOOD * sizeof *fd);
	size_t made = 0;
	for (int i = 0; i < FLOOD; i++) {
		/* non-blocking: a full accept queue must not stall the flood */
		fd[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		ck_assert_int_ge(fd[i], 0);
		struct sockaddr_in from = { .sin_family = AF_INET }, to = { .sin_family = AF_INET };
		inet_pton(AF_INET, "127.0.0.2", &from.sin_addr);
		inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
		to.sin_port = htons((uint16_t)s.port);
		ck_assert_int_eq(bind(fd[i], (struct sockaddr *)&from, sizeof from), 0);
		int rc = connect(fd[i], (struct sockaddr *)&to, sizeof to);
		struct pollfd pf = { .fd = fd[i], .events = POLLOUT };
		if (rc == 0 || (errno == EINPROGRESS && poll(&pf, 1, 100) == 1))
			made++;
	}
	ck_assert_uint_ge(made, 32); /* the flood reached the server */
	/* the server holds at most the address's share of them */
	usleep(200000);
	unsigned held = connections_open(&s);
	ck_assert_msg(held <= 32 + 1, "the server holds %u idle connections from one address", held);
	/* and serves everyone else: a read and a write */
	ck_assert_uint_eq(http(&s, "GET", "/healthz", NULL, 0, &b), 200);
	free(b);
	uint8_t st[512];
	size_t n = memo(s.ru, "during-the-flood", "still here", (uint64_t)time(NULL) * 1000000u,
			600000000u, st, sizeof st);
	ck_assert_uint_eq(http(&s, "POST", "/v1/statements", st, n, &b), 201);
	ck_assert_msg(strstr(b, "\"seq\":2"), "%s", b); /* nothing else was written */
	free(b);
	for (int i = 0; i < FLOOD; i++)
		close(fd[i]);
	free(fd);
	ck_assert_int_eq(srv_stop(&s), 0);
	cli_ok((const char *const[]){ "verify", "--ledger", s.ledger, NULL });
	srv_free(&s);
}
END_TEST

/* Idle connections from one address use up that address's share, not the
 * service: a client elsewhere is still answered. A client that sends one
 * byte a second is cut off at the request time limit, and the server goes
 * on serving. */
START_TEST(serve_hostile_clients)
{
	struct srv s;
	char *b;
	srv_start(&s);
	enum { IDLE = 40 };
	int idle[IDLE], open_n = 0;
	for (int i = 0; i < IDLE; i++)
		if ((idle[i] = connect_from(&s, "127.0.0.2")) >= 0)
			open_n++;
	ck_assert_int_ge(open_n, 32);
	ck_assert_uint_eq(http(&s, "GET", "/healthz", NULL, 0, &b), 200);
	free(b);
	/* the slow one: a byte a second of a request line that never ends */
	int slow = connect_from(&s, "127.0.0.3");
	ck_assert_int_ge(slow, 0);
	const char *line = "POST /v1/statements HTTP/1.1\r\nContent-Length: 100000\r\n";
	bool cut = false;
	for (int i = 0; i < 40 && !cut; i++) {
		if (write(slow, line + (i % 50), 1) != 1) {
			cut = true;
			break;
		}
		/* meanwhile, others are served */
		if (i % 10 == 0) {
			ck_assert_uint_eq(http(&s, "GET", "/healthz", NULL, 0, &b), 200);
			free(b);
		}
		char c;
		struct timeval tv = { .tv_sec = 1 };
		fd_set rd;
		FD_ZERO(&rd);
		FD_SET(slow, &rd);
		if (select(slow + 1, &rd, NULL, NULL, &tv) == 1 && read(slow, &c, 1) <= 0)
			cut = true; /* the server closed it */
	}
	ck_assert_msg(cut, "a client sending a byte a second was never cut off");
	close(slow);
	for (int i = 0; i < IDLE; i++)
		if (idle[i] >= 0)
			close(idle[i]);
	ck_assert_uint_eq(http(&s, "GET", "/healthz", NULL, 0, &b), 200);
	free(b);
	ck_assert_int_eq(srv_stop(&s), 0);
	srv_free(&s);
}
END_TEST

/* ---- remote mode: the real CLI against the real server ---- */

struct remote {
	const struct srv *s;
	char url[64], vkey[CORRIDOR_VKEY_BYTES_MAX + 1], env_state[1200];
};

/* The client's view of s: its URL, the operator's verifier key, a state
 * directory of its own. */
static void remote_init(struct remote *r, const struct srv *s, const char *scheme)
{
	const char *env[] = { "CORRIDOR_PASSPHRASE=serve-test", NULL };
	memset(r, 0, sizeof *r);
	r->s = s;
	snprintf(r->url, sizeof r->url, "%s://127.0.0.1:%u", scheme, s->port);
	snprintf(r->env_state, sizeof r->env_state, "CORRIDOR_STATE=%s", path_join(s->dir, "state"));
	struct run x = run_cli((const char *const[]){ "key", "public", s->opkey, NULL }, env);
	ck_assert_int_eq(x.status, 0);
	snprintf(r->vkey, sizeof r->vkey, "%.*s", (int)strcspn(x.out, "\n"), x.out);
	run_free(&x);
}

/* Runs the CLI with --server and --server-vkey; returns the run. */
static struct run remote_run(const struct remote *r, const char *const *args)
{
	const char *argv[32];
	size_t n = 0;
	argv[n++] = "--server";
	argv[n++] = r->url;
	argv[n++] = "--server-vkey";
	argv[n++] = r->vkey;
	for (size_t i = 0; args[i] && n < 31; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	const char *env[] = { "CORRIDOR_PASSPHRASE=serve-test", r->env_state, NULL };
	return run_cli(argv, env);
}

static char *remote_ok(const struct remote *r, const char *const *args)
{
	struct run x = remote_run(r, args);
	ck_assert_msg(x.status == 0, "%s: exit %d: %s", args[0], x.status, x.err);
	free(x.err);
	return x.out;
}

/* The party signs on its own machine with its own key file; the server,
 * which holds only the operator's key, sequences; every receipt is checked
 * against the operator's key; a server that shows another history is caught. */
static char *local_json(const char *ledger, const char *const *args);

START_TEST(remote_mode)
{
	struct srv s;
	struct remote r;
	srv_start(&s);
	remote_init(&r, &s, "http");
	const char *env[] = { "CORRIDOR_PASSPHRASE=serve-test", NULL };
	struct run x;
	/* the meter's key is made on "its" machine: a file the server never sees */
	char *mnkey = strdup(path_join(s.dir, "mn.key"));
	x = run_cli((const char *const[]){ "key", "generate", "--name", "MN-GRID", "--out", mnkey,
					   "--kdf", "interactive", NULL },
		    env);
	ck_assert_int_eq(x.status, 0);
	char mnvk[CORRIDOR_VKEY_BYTES_MAX + 1];
	snprintf(mnvk, sizeof mnvk, "%.*s", (int)strcspn(x.out, "\n"), x.out);
	run_free(&x);
	/* the operator registers it remotely: its statement goes over the wire too */
	char *out = remote_ok(&r, (const char *const[]){ "party", "register", "--key", s.opkey,
							  "--id", "MN-GRID", "--name", "Mongolian grid",
							  "--country", "MN", "--roles", "buyer,meter",
							  "--vkey", mnvk, NULL });
	ck_assert_str_eq(out, "2\n");
	free(out);
	/* a memo; the same again is the same write; another body is refused */
	out = remote_ok(&r, (const char *const[]){ "memo", "--key", mnkey, "--idempotency-key", "M1",
						    "hourly values sent", NULL });
	ck_assert_str_eq(out, "3\n");
	free(out);
	out = remote_ok(&r, (const char *const[]){ "memo", "--key", mnkey, "--idempotency-key", "M1",
						    "hourly values sent", NULL });
	ck_assert_str_eq(out, "3\n");
	free(out);
	x = remote_run(&r, (const char *const[]){ "memo", "--key", mnkey, "--idempotency-key", "M1",
						   "something else", NULL });
	ck_assert_int_eq(x.status, 1);
	ck_assert_msg(strstr(x.err, "another body") && strchr(x.err, '\n') == x.err + strlen(x.err) - 1,
		      "%s", x.err);
	run_free(&x);
	/* many memos, in acknowledged batches */
	char *lines = strdup(path_join(s.dir, "lines.txt"));
	ck_assert(spit(lines, "one\ntwo\nthree\n", 14));
	out = remote_ok(&r, (const char *const[]){ "memo", "--key", mnkey, "--from", lines,
						    "--batch", "2", NULL });
	ck_assert_str_eq(out, "appended 4..5\nappended 6..6\n3 memos, 3 appended\n");
	free(out);
	/* a role the party does not hold: refused, one line */
	x = remote_run(&r, (const char *const[]){ "currency", "define", "--key", mnkey, "--code",
						   "KZT", "--decimals", "2", NULL });
	ck_assert_int_eq(x.status, 1);
	run_free(&x);
	/* a ledger is created where it lives */
	x = remote_run(&r, (const char *const[]){ "init", "--origin", ORIGIN, "--operator-key",
						   s.opkey, "--ledger", path_join(s.dir, "x"), NULL });
	ck_assert_int_eq(x.status, 2);
	run_free(&x);
	/* reads are signed by the reader's key; other reads are not remote yet */
	x = remote_run(&r, (const char *const[]){ "log", NULL });
	ck_assert_int_eq(x.status, 2);
	ck_assert_msg(strstr(x.err, "--key"), "%s", x.err);
	run_free(&x);
	out = remote_ok(&r, (const char *const[]){ "log", "--key", mnkey, "--from", "2", NULL });
	ck_assert_msg(strstr(out, "\"seq\":3,\"kind\":\"memo\",\"author\":\"MN-GRID\"") &&
			      strstr(out, "\"seq\":2,\"kind\":\"party.register\""),
		      "%s", out);
	free(out);
	out = remote_ok(&r, (const char *const[]){ "entry", "3", "--key", mnkey, NULL });
	ck_assert_msg(strstr(out, "hourly values sent"), "%s", out);
	free(out);
	/* a report reads a verified replica: signed by a reader entitled to it */
	x = remote_run(&r, (const char *const[]){ "report", "balances", NULL });
	ck_assert_int_eq(x.status, 2);
	ck_assert_msg(strstr(x.err, "--key"), "%s", x.err);
	ck_assert_str_eq(x.out, "");
	run_free(&x);
	/* a reader not entitled to the archive reads the server's view of its
	 * part: its table (MN-GRID has no balances: the header alone), and in
	 * JSON the bytes the command prints locally, narrowed */
	x = remote_run(&r, (const char *const[]){ "report", "balances", "--key", mnkey, NULL });
	ck_assert_msg(x.status == 0 && !strncmp(x.out, "CUR ", 4) && !strchr(x.out, '\n')[1],
		      "%d %s %s", x.status, x.out, x.err);
	run_free(&x);
	out = remote_ok(&r, (const char *const[]){ "report", "balances", "--key", mnkey, "--format",
						    "json", NULL });
	ck_assert_str_eq(out, "[]\n");
	free(out);
	{
		char *want = local_json(s.ledger, (const char *const[]){ "party", "show", "MN-GRID",
									 NULL });
		out = remote_ok(&r, (const char *const[]){ "party", "show", "MN-GRID", "--key", mnkey,
							    "--format", "json", NULL });
		ck_assert_str_eq(out, want);
		free(out);
		free(want);
	}
	x = remote_run(&r, (const char *const[]){ "contract", "show", "G-NONE", "--key", mnkey,
						   "--format", "json", NULL });
	ck_assert_int_eq(x.status, 1);
	ck_assert_msg(strstr(x.err, "not yours to read") && !x.out[0], "%s", x.err);
	run_free(&x);
	/* its verified view: saved only once it verifies, and checked again
	 * offline with the operator's key */
	{
		const char *vfile = path_join(s.dir, "mn.view");
		out = remote_ok(&r, (const char *const[]){ "export", "--format", "archive", "--out",
							    vfile, "--key", mnkey, NULL });
		ck_assert_msg(strstr(out, "the view of MN-GRID"), "%s", out);
		free(out);
		struct run v = run_cli((const char *const[]){ "verify", "--view", vfile, "--vkey",
							      r.vkey, "--entries", NULL },
				       NULL);
		ck_assert_msg(v.status == 0 && strstr(v.err, "view OK: MN-GRID sees") &&
				      strstr(v.out, "\"kind\":\"memo\",\"author\":\"MN-GRID\""),
			      "%s %s", v.out, v.err);
		run_free(&v);
		char ruvk[CORRIDOR_VKEY_BYTES_MAX + 1];
		corridor_vkey_format(corridor_signer_vkey(s.ru), ruvk);
		v = run_cli((const char *const[]){ "verify", "--view", vfile, "--vkey", ruvk, NULL },
			    NULL);
		ck_assert_msg(v.status != 0 && strstr(v.err, "verifier key"), "%s", v.err);
		run_free(&v);
	}
	x = remote_run(&r, (const char *const[]){ "report", "invoices", "--party", "RU-GAZPROM",
						   "--key", mnkey, "--format", "json", NULL });
	ck_assert_int_eq(x.status, 1);
	ck_assert_msg(strstr(x.err, "another party's receivables"), "%s", x.err);
	run_free(&x);
	/* a server whose checkpoints another key signs is not this ledger's */
	struct remote wrong = r;
	struct corridor_signer *other = test_signer(ORIGIN, 0x5a);
	corridor_vkey_format(corridor_signer_vkey(other), wrong.vkey);
	corridor_signer_free(other);
	x = remote_run(&wrong, (const char *const[]){ "memo", "--key", mnkey, "x", NULL });
	ck_assert_int_eq(x.status, 1); /* what this client saw was signed by the right one */
	ck_assert_msg(strstr(x.err, "--server-vkey"), "%s", x.err);
	run_free(&x);
	snprintf(wrong.env_state, sizeof wrong.env_state, "CORRIDOR_STATE=%s",
		 path_join(s.dir, "state-new"));
	x = remote_run(&wrong, (const char *const[]){ "memo", "--key", mnkey, "x", NULL });
	ck_assert_int_eq(x.status, 1); /* a new client: the server's checkpoint itself */
	ck_assert_msg(strstr(x.err, "not signed by the operator key"), "%s", x.err);
	run_free(&x);
	/* the client remembers the tree it saw; a server showing another
	 * history under the same key is caught: here, the state file holds the
	 * checkpoint of another ledger the same operator key signed */
	char *fork = strdup(path_join(s.dir, "fork"));
	cli_ok((const char *const[]){ "init", "--origin", ORIGIN, "--operator-key", s.opkey,
				      "--ledger", fork, NULL });
	x = run_cli((const char *const[]){ "checkpoint", "--ledger", fork, NULL }, env);
	ck_assert_int_eq(x.status, 0);
	char state[1200];
	snprintf(state, sizeof state, "%s/%s", path_join(s.dir, "state"),
		 "corridor.example_serve.checkpoint");
	size_t had_len;
	char *had = (char *)slurp(state, &had_len);
	ck_assert_ptr_nonnull(had);
	ck_assert(spit(state, x.out, strlen(x.out)));
	run_free(&x);
	x = remote_run(&r, (const char *const[]){ "memo", "--key", mnkey, "forked?", NULL });
	ck_assert_int_eq(x.status, 1);
	ck_assert_msg(strstr(x.err, "rewrote history"), "%s", x.err);
	run_free(&x);
	ck_assert(spit(state, had, had_len)); /* the true one back: the client goes on */
	free(had);
	out = remote_ok(&r, (const char *const[]){ "memo", "--key", mnkey, "back", NULL });
	ck_assert_str_eq(out, "7\n");
	free(out);
	ck_assert_int_eq(srv_stop(&s), 0);
	/* what the server wrote verifies, every entry a statement */
	cli_ok((const char *const[]){ "verify", "--ledger", s.ledger, NULL });
	free(fork);
	free(lines);
	free(mnkey);
	srv_free(&s);
}
END_TEST

/* A key file made on "its owner's machine"; its verifier key in vk. */
static char *party_key(const struct srv *s, const char *name, char vk[CORRIDOR_VKEY_BYTES_MAX + 1])
{
	const char *env[] = { "CORRIDOR_PASSPHRASE=serve-test", NULL };
	char file[64];
	snprintf(file, sizeof file, "%s.key", name);
	char *path = strdup(path_join(s->dir, file));
	struct run x = run_cli((const char *const[]){ "key", "generate", "--name", name, "--out",
						      path, "--kdf", "interactive", NULL },
			       env);
	ck_assert_int_eq(x.status, 0);
	snprintf(vk, CORRIDOR_VKEY_BYTES_MAX + 1, "%.*s", (int)strcspn(x.out, "\n"), x.out);
	run_free(&x);
	return path;
}

/* The size of the log as the operator reads it over the network. */
static uint64_t remote_size(const struct remote *r)
{
	char *out = remote_ok(r, (const char *const[]){ "log", "--key", r->s->opkey, "--from", "0",
							 "--limit", "1000", NULL });
	uint64_t n = 0;
	for (const char *p = out; (p = strstr(p, "\"seq\":")) != NULL; p++)
		n++;
	free(out);
	return n;
}

/* Writes that read the ledger first, made on a party's machine: what they
 * read is verified there (an entry with its inclusion proof, a replica) or
 * decided by the server's idempotency; what the reader may not see, it
 * cannot sign over; a refusal writes nothing. */
START_TEST(remote_writes_that_read_first)
{
	struct srv s;
	struct remote r;
	struct run x;
	char vk[CORRIDOR_VKEY_BYTES_MAX + 1];
	srv_start(&s);
	remote_init(&r, &s, "http");
	char *aud = party_key(&s, "AUDIT", vk);
	free(remote_ok(&r, (const char *const[]){ "party", "register", "--key", s.opkey, "--id",
						   "AUDIT", "--name", "Auditor", "--country", "MN",
						   "--roles", "auditor", "--vkey", vk, NULL }));
	char *fx = party_key(&s, "FX", vk);
	free(remote_ok(&r, (const char *const[]){ "party", "register", "--key", s.opkey, "--id",
						   "FX", "--name", "Rates", "--country", "MN",
						   "--roles", "rates", "--vkey", vk, NULL }));
	char *cn = party_key(&s, "CN-BUY", vk);
	free(remote_ok(&r, (const char *const[]){ "party", "register", "--key", s.opkey, "--id",
						   "CN-BUY", "--name", "Buyer", "--country", "CN",
						   "--roles", "buyer,seller", "--vkey", vk, NULL }));
	/* an attestation is over the entry as the attester verified it */
	char *memo = remote_ok(&r, (const char *const[]){ "memo", "--key", cn, "nominated", NULL });
	memo[strcspn(memo, "\n")] = '\0';
	free(remote_ok(&r, (const char *const[]){ "attest", memo, "--key", aud, "--note", "seen",
						   NULL }));
	uint64_t before = remote_size(&r);
	x = remote_run(&r, (const char *const[]){ "attest", memo, "--key", fx, NULL });
	ck_assert_int_eq(x.status, 1); /* a memo is its author's: FX cannot read it */
	ck_assert_msg(strstr(x.err, "not yours to read") && strchr(x.err, '\n') == x.err + strlen(x.err) - 1,
		      "%s", x.err);
	run_free(&x);
	x = remote_run(&r, (const char *const[]){ "attest", "9999", "--key", aud, NULL });
	ck_assert_int_eq(x.status, 1);
	ck_assert_msg(strstr(x.err, "no entry 9999"), "%s", x.err);
	run_free(&x);
	/* an acceptance names the proposal its author read */
	x = remote_run(&r, (const char *const[]){ "contract", "accept", "G1", "--key", cn, NULL });
	ck_assert_int_ne(x.status, 0);
	ck_assert_msg(strstr(x.err, "--proposal"), "%s", x.err);
	run_free(&x);
	x = remote_run(&r, (const char *const[]){ "contract", "accept", "G1", "--proposal", memo,
						   "--key", cn, NULL });
	ck_assert_int_eq(x.status, 1);
	ck_assert_msg(strstr(x.err, "is not a proposal of contract G1"), "%s", x.err);
	run_free(&x);
	ck_assert_uint_eq(remote_size(&r), before);
	/* rates: checked by the server, then sequenced; again: nothing new; a
	 * different rate for a day already fixed is refused, nothing written */
	char *rates = strdup(path_join(s.dir, "rates.csv"));
	const char *csv = "base,quote,date,rate,source\nUSD,CNY,2026-01-02,7.10,PBOC\n"
			  "USD,CNY,2026-01-05,7.11,PBOC\n";
	ck_assert(spit(rates, csv, strlen(csv)));
	char *out = remote_ok(&r, (const char *const[]){ "rate", "import", "--key", fx, rates, NULL });
	ck_assert_str_eq(out, "imported 2 rates, 0 already there\n");
	free(out);
	out = remote_ok(&r, (const char *const[]){ "rate", "import", "--key", fx, rates, NULL });
	ck_assert_str_eq(out, "imported 0 rates, 2 already there\n");
	free(out);
	before = remote_size(&r);
	csv = "base,quote,date,rate,source\nUSD,CNY,2026-01-06,7.12,PBOC\nUSD,CNY,2026-01-05,7.19,PBOC\n";
	ck_assert(spit(rates, csv, strlen(csv)));
	x = remote_run(&r, (const char *const[]){ "rate", "import", "--key", fx, rates, NULL });
	ck_assert_int_eq(x.status, 1);
	ck_assert_msg(strstr(x.err, "lines 2-3") && strstr(x.err, "already"), "%s", x.err);
	run_free(&x);
	ck_assert_uint_eq(remote_size(&r), before);
	/* a payment's identity: the same payment again is a retry, --new another */
	const char *pay[] = { "payment", "record", "--key", cn, "--payer", "RU-GAZPROM", "--payee",
			      "CN-BUY", "--currency", "USD", "--amount", "1500.00", "--value-date",
			      "2026-02-01", "--reference", "INV-1", NULL, NULL };
	char *first = remote_ok(&r, pay);
	x = remote_run(&r, pay);
	ck_assert_int_eq(x.status, 1);
	ck_assert_msg(strstr(x.err, "a retry?"), "%s", x.err);
	run_free(&x);
	pay[16] = "--new";
	char *second = remote_ok(&r, pay);
	ck_assert_str_ne(first, second);
	free(first);
	free(second);
	/* the auditor's report reads its verified replica: what the local one says */
	out = remote_ok(&r, (const char *const[]){ "report", "balances", "--key", aud, "--format",
						    "csv", NULL });
	struct run local = run_cli((const char *const[]){ "report", "balances", "--ledger", s.ledger,
							  "--format", "csv", NULL },
				   NULL);
	ck_assert_int_eq(local.status, 0);
	ck_assert_str_eq(out, local.out);
	ck_assert_msg(strstr(out, "USD,CN-BUY,-3000.00"), "%s", out);
	free(out);
	run_free(&local);
	x = remote_run(&r, (const char *const[]){ "settle", "reverse", "--key", aud, "--period",
						   "2026-01", "--reason", "x", NULL });
	ck_assert_int_eq(x.status, 2);
	ck_assert_msg(strstr(x.err, "--replica"), "%s", x.err);
	run_free(&x);
	ck_assert_int_eq(srv_stop(&s), 0);
	cli_ok((const char *const[]){ "verify", "--ledger", s.ledger, NULL });
	free(memo);
	free(rates);
	free(aud);
	free(fx);
	free(cn);
	srv_free(&s);
}
END_TEST

/* ---- many clients at once ---- */

/* One request on a fresh connection, no assertion (it runs on other
 * threads): the status and whether the answer carries Retry-After. */
struct shot {
	unsigned port;
	const uint8_t *data;
	size_t len;
	unsigned status;
	bool retry_after;
	pthread_barrier_t *go;
};

static void *shoot(void *arg)
{
	struct shot *t = arg;
	char head[256], buf[65536];
	size_t n = 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)t->port) };
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	pthread_barrier_wait(t->go);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
		goto out;
	int hn = snprintf(head, sizeof head,
			  "POST /v1/statements HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
			  "Content-Length: %zu\r\n\r\n",
			  t->len);
	if (write(fd, head, (size_t)hn) != hn || write(fd, t->data, t->len) != (ssize_t)t->len)
		goto out;
	for (ssize_t r; n < sizeof buf - 1 && (r = read(fd, buf + n, sizeof buf - 1 - n)) > 0;)
		n += (size_t)r;
	buf[n] = '\0';
	sscanf(buf, "HTTP/1.1 %u", &t->status);
	t->retry_after = strstr(buf, "Retry-After: 1\r\n") != NULL;
out:
	if (fd >= 0)
		close(fd);
	return NULL;
}

#define SHOTS 12
/* Fires SHOTS single-statement requests at once; returns how many got 201. */
static unsigned volley(const struct srv *s, const char *tag, struct shot *t, uint8_t (*st)[512])
{
	pthread_t th[SHOTS];
	pthread_barrier_t go;
	uint64_t now = now_us();
	unsigned created = 0;
	pthread_barrier_init(&go, NULL, SHOTS);
	for (unsigned i = 0; i < SHOTS; i++) {
		char idem[32];
		snprintf(idem, sizeof idem, "%s-%u", tag, i);
		t[i] = (struct shot){ .port = s->port, .data = st[i], .go = &go };
		t[i].len = memo(s->ru, idem, idem, now, 30 * MINUTE, st[i], 512);
		ck_assert_int_eq(pthread_create(&th[i], NULL, shoot, &t[i]), 0);
	}
	for (unsigned i = 0; i < SHOTS; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&go);
	for (unsigned i = 0; i < SHOTS; i++)
		created += t[i].status == 201;
	return created;
}

static uint64_t metric(const struct srv *s, const char *name)
{
	char *b, key[96];
	ck_assert_uint_eq(http(s, "GET", "/metrics", NULL, 0, &b), 200);
	snprintf(key, sizeof key, "\n%s ", name);
	const char *p = strstr(b, key);
	ck_assert_msg(p, "no %s in %s", name, b);
	uint64_t v = strtoull(p + strlen(key), NULL, 10);
	free(b);
	return v;
}

/* Concurrent requests are gathered into shared transactions, every one
 * answered with its own receipt; with the queue full, requests are shed
 * with 503 and Retry-After, and the same bytes go in later. */
START_TEST(serve_gathers_and_sheds)
{
	struct srv s;
	struct shot t[SHOTS];
	uint8_t(*st)[512] = malloc(SHOTS * 512);
	srv_start(&s);
	ck_assert_uint_eq(volley(&s, "g", t, st), SHOTS);
	uint64_t batches = metric(&s, "corridor_batch_statements_count");
	ck_assert_uint_eq(metric(&s, "corridor_batch_statements_sum"), SHOTS);
	ck_assert_msg(batches < SHOTS, "%llu transactions for %u requests at once",
		      (unsigned long long)batches, SHOTS);
	fprintf(stderr, "serve: %u requests at once went in %llu transaction(s)\n", SHOTS,
		(unsigned long long)batches);
	ck_assert_uint_eq(metric(&s, "corridor_ledger_entries"), 2 + SHOTS);
	ck_assert_int_eq(srv_stop(&s), 0);
	cli_ok((const char *const[]){ "verify", "--ledger", s.ledger, NULL });
	srv_free(&s);
	/* a queue of one statement: the rest are told to come back (volleys
	 * until one is shed: whether a request finds the queue busy is timing) */
	srv_start_with(&s, (const char *const[]){ "--queue-max", "1", NULL });
	unsigned created = 0, shed = 0, volleys = 0, total = 0;
	while (shed == 0 && volleys < 20) {
		char tag[8];
		snprintf(tag, sizeof tag, "q%u", volleys++);
		created += volley(&s, tag, t, st);
		for (unsigned i = 0; i < SHOTS; i++) {
			ck_assert_msg(t[i].status == 201 || (t[i].status == 503 && t[i].retry_after),
				      "status %u", t[i].status);
			shed += t[i].status == 503;
		}
		total += SHOTS;
	}
	ck_assert_uint_ge(created, 1);
	ck_assert_uint_ge(shed, 1);
	fprintf(stderr, "serve: with a queue of 1, %u of %u requests were shed (503)\n", shed,
		total);
	ck_assert_uint_eq(metric(&s, "corridor_ledger_entries"), 2 + created);
	for (unsigned i = 0; i < SHOTS; i++) { /* later, the same bytes: in */
		char *b;
		ck_assert_uint_eq(http(&s, "POST", "/v1/statements", st[i], t[i].len, &b),
				  t[i].status == 201 ? 200u : 201u);
		free(b);
	}
	ck_assert_uint_eq(metric(&s, "corridor_ledger_entries"), 2 + total); /* each once */
	ck_assert_int_eq(srv_stop(&s), 0);
	cli_ok((const char *const[]){ "verify", "--ledger", s.ledger, NULL });
	srv_free(&s);
	free(st);
}
END_TEST

/* ---- signed reads: who sees what ---- */

/* A GET with the given signature headers (either may be NULL); the status,
 * the body (malloc'd) and its length. */
/* A header line (with its CRLF) get_signed adds, and the response's
 * headers it keeps (for the test that reads them). */
static const char *g_extra_header = "";
static char g_response_head[4096];

static unsigned get_signed(const struct srv *s, const char *target, const char *input,
			   const char *sig, char **body, size_t *blen)
{
	int fd = srv_connect(s);
	char head[4096];
	int hn = snprintf(head, sizeof head,
			  "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s%s%s%s%s%s%s\r\n",
			  target, input ? "Signature-Input: " : "", input ? input : "",
			  input ? "\r\n" : "", sig ? "Signature: " : "", sig ? sig : "",
			  sig ? "\r\n" : "", g_extra_header);
	ck_assert_int_eq(write(fd, head, (size_t)hn), hn);
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap + 1);
	for (ssize_t r;;) {
		if (n == cap)
			buf = realloc(buf, (cap *= 2) + 1);
		if ((r = read(fd, buf + n, cap - n)) <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	unsigned status = 0;
	sscanf(buf, "HTTP/1.1 %u", &status);
	char *b = strstr(buf, "\r\n\r\n");
	size_t off = b ? (size_t)(b + 4 - buf) : n;
	snprintf(g_response_head, sizeof g_response_head, "%.*s",
		 (int)(off < sizeof g_response_head ? off : sizeof g_response_head - 1), buf);
	*blen = n - off;
	*body = malloc(*blen + 1);
	memcpy(*body, buf + off, *blen);
	(*body)[*blen] = '\0';
	free(buf);
	return status;
}

/* A read signed by `who` at `created`. */
static unsigned read_as(const struct srv *s, const struct corridor_signer *who, const char *path,
			const char *query, int64_t created, char **body, size_t *blen)
{
	char in[CORRIDOR_HTTPSIG_HEADER_BYTES_MAX], sig[CORRIDOR_HTTPSIG_HEADER_BYTES_MAX],
		target[512];
	ck_assert_int_eq(corridor_httpsig_sign(who, "GET", path, query, created, in, sig), 0);
	snprintf(target, sizeof target, "%s%s", path, query);
	return get_signed(s, target, in, sig, body, blen);
}

/* The seqs a verified view held. */
struct view_seen {
	bool has[64];
};

static int view_saw(void *ctx, uint64_t seq, const uint8_t *bytes, size_t len)
{
	struct view_seen *v = ctx;
	(void)bytes;
	(void)len;
	if (seq < 64)
		v->has[seq] = true;
	return 0;
}

START_TEST(signed_reads_who_sees_what)
{
	struct srv s;
	struct corridor_diag d;
	struct corridor_ledger *l;
	struct corridor_signer *op, *buy = test_signer("CN-BUY", 0x22),
				    *other = test_signer("MN-X", 0x23),
				    *aud = test_signer("AUD-MN", 0x24);
	char *b;
	size_t bl;
	int64_t now = (int64_t)time(NULL);
	srv_start(&s);
	/* parties and a contract between RU-GAZPROM and CN-BUY, written beside
	 * the server (LMDB takes writers from more than one process) */
	ck_assert_int_eq(corridor_signer_load(s.opkey, "serve-test", 10, &op, &d), 0);
	ck_assert_int_eq(corridor_ledger_open(s.ledger, 0, &l, &d), 0);
	const struct {
		struct corridor_signer *who;
		unsigned roles;
	} ps[] = { { buy, CORRIDOR_ROLE_BUYER }, { other, CORRIDOR_ROLE_BUYER },
		   { aud, CORRIDOR_ROLE_AUDITOR } };
	uint64_t seq, contract_seq, memo_seq;
	for (size_t i = 0; i < 3; i++) {
		struct corridor_party_request r = { .id = corridor_signer_vkey(ps[i].who)->name,
						    .name = "a party", .country = "MN",
						    .roles = ps[i].roles,
						    .key = *corridor_signer_vkey(ps[i].who) };
		ck_assert_msg(corridor_party_register(l, op, &r, NULL, &seq, &d) == 0, "%s", d.text);
	}
	char path[1024];
	snprintf(path, sizeof path, "%s/gas-G1.json", getenv("CORRIDOR_EXAMPLES"));
	size_t jl;
	char *json = (char *)slurp(path, &jl);
	ck_assert_ptr_nonnull(json);
	struct corridor_contract_terms *t = malloc(sizeof *t);
	ck_assert_msg(corridor_contract_parse_json(json, jl, t, &d) == 0, "%s", d.text);
	snprintf(t->seller, sizeof t->seller, "RU-GAZPROM");
	snprintf(t->buyer, sizeof t->buyer, "CN-BUY");
	snprintf(t->metering_party, sizeof t->metering_party, "RU-GAZPROM");
	ck_assert_msg(corridor_contract_propose(l, s.ru, t, NULL, &contract_seq, &d) == 0, "%s",
		      d.text);
	ck_assert_int_eq(corridor_memo_add(l, other, "mine", 4, NULL, &memo_seq, &d), 0);
	uint64_t signed_size;
	ck_assert_int_eq(corridor_checkpoint_sign(l, op, &signed_size, &d), 0);
	corridor_ledger_close(l);
	free(t);
	free(json);
	char entry[64];
	snprintf(entry, sizeof entry, "/v1/entries/%llu", (unsigned long long)contract_seq);
	/* unsigned, signed wrongly, out of its window, for another target: 401 */
	ck_assert_uint_eq(get_signed(&s, entry, NULL, NULL, &b, &bl), 401);
	free(b);
	ck_assert_uint_eq(get_signed(&s, entry, "sig1=(", "sig1=:AAAA:", &b, &bl), 401);
	free(b);
	ck_assert_uint_eq(read_as(&s, buy, entry, "", now - 3600, &b, &bl), 401);
	ck_assert_msg(strstr(b, "outside"), "%s", b);
	free(b);
	{
		char in[CORRIDOR_HTTPSIG_HEADER_BYTES_MAX], sig[CORRIDOR_HTTPSIG_HEADER_BYTES_MAX];
		ck_assert_int_eq(corridor_httpsig_sign(buy, "GET", "/v1/log", "?from=0&limit=100",
						       now, in, sig), 0);
		ck_assert_uint_eq(get_signed(&s, "/v1/log?from=0&limit=5", in, sig, &b, &bl), 401);
		free(b);
		/* CN-BUY's signature under MN-X's key id */
		char forged[sizeof in];
		const char *kid = strstr(in, "keyid=\"");
		char mx[32];
		snprintf(mx, sizeof mx, "keyid=\"MN-X+%08x\"",
			 (unsigned)corridor_signer_vkey(other)->key_id);
		snprintf(forged, sizeof forged, "%.*s%s%s", (int)(kid - in), in, mx,
			 strchr(kid + 7, '"') + 1);
		ck_assert_uint_eq(get_signed(&s, entry, forged, sig, &b, &bl), 401);
		free(b);
	}
	/* a third party may not read B's contract with C; the parties and the
	 * auditor may */
	ck_assert_uint_eq(read_as(&s, other, entry, "", now, &b, &bl), 403);
	free(b);
	ck_assert_uint_eq(read_as(&s, buy, entry, "", now, &b, &bl), 200);
	ck_assert_msg(strstr(b, "\"kind\":\"contract.propose\""), "%s", b);
	free(b);
	ck_assert_uint_eq(read_as(&s, s.ru, entry, "", now, &b, &bl), 200);
	free(b);
	ck_assert_uint_eq(read_as(&s, aud, entry, "", now, &b, &bl), 200);
	free(b);
	/* a memo is its author's */
	snprintf(entry, sizeof entry, "/v1/entries/%llu", (unsigned long long)memo_seq);
	ck_assert_uint_eq(read_as(&s, buy, entry, "", now, &b, &bl), 403);
	free(b);
	ck_assert_uint_eq(read_as(&s, other, entry, "", now, &b, &bl), 200);
	free(b);
	/* the log shows each reader its part */
	ck_assert_uint_eq(read_as(&s, other, "/v1/log", "?from=0&limit=100", now, &b, &bl), 200);
	ck_assert_msg(!strstr(b, "contract.propose") && strstr(b, "\"kind\":\"memo\"") &&
			      strstr(b, "party.register"),
		      "%s", b);
	free(b);
	ck_assert_uint_eq(read_as(&s, aud, "/v1/log", "?from=0&limit=100", now, &b, &bl), 200);
	ck_assert_msg(strstr(b, "contract.propose") && strstr(b, "\"kind\":\"memo\""), "%s", b);
	free(b);
	/* the archive: for those entitled to everything; any other reader gets
	 * its view, which verifies offline with the operator's key alone */
	ck_assert_uint_eq(read_as(&s, buy, "/v1/archive", "", now, &b, &bl), 200);
	const char *vpath = path_join(s.dir, "buy.view");
	ck_assert(spit(vpath, b, bl));
	struct corridor_view_info vi;
	struct view_seen seen = { 0 };
	ck_assert_msg(corridor_view_verify(vpath, corridor_signer_vkey(op), view_saw, &seen, &vi,
					   &d) == 0,
		      "%s", d.text);
	ck_assert_str_eq(vi.reader, "CN-BUY");
	ck_assert_msg(seen.has[contract_seq] && !seen.has[memo_seq] && seen.has[0] &&
			      vi.count < vi.size && vi.public_count + 1 == vi.count,
		      "%zu of %llu", vi.count, (unsigned long long)vi.size);
	/* the operator's key and nothing else: another key, a changed byte, a
	 * cut file are each refused */
	struct corridor_signer *imp = test_signer(ORIGIN, 0x5b);
	ck_assert_int_eq(corridor_view_verify(vpath, corridor_signer_vkey(imp), NULL, NULL, &vi, &d),
			 CORRIDOR_E_VERIFY);
	corridor_signer_free(imp);
	for (size_t cut = 0; cut < 3; cut++) {
		char *bad = malloc(bl);
		memcpy(bad, b, bl);
		size_t blen2 = bl;
		if (cut == 0)
			bad[bl - 40] ^= 1; /* inside the last entry's proof */
		else if (cut == 1)
			bad[bl / 2] ^= 0x20;
		else
			blen2 = bl - 7;
		ck_assert(spit(vpath, bad, blen2));
		int verr = corridor_view_verify(vpath, corridor_signer_vkey(op), NULL, NULL, &vi, &d);
		ck_assert_msg(verr != 0 && strlen(d.text) > 0 && !strchr(d.text, '\n'), "%zu", cut);
		free(bad);
	}
	free(b);
	ck_assert_uint_eq(read_as(&s, other, "/v1/archive", "", now, &b, &bl), 200);
	ck_assert(spit(vpath, b, bl));
	memset(&seen, 0, sizeof seen);
	ck_assert_msg(corridor_view_verify(vpath, corridor_signer_vkey(op), view_saw, &seen, &vi,
					   &d) == 0,
		      "%s", d.text);
	ck_assert(!seen.has[contract_seq] && seen.has[memo_seq]);
	free(b);
	ck_assert_uint_eq(read_as(&s, aud, "/v1/archive", "?from=0", now, &b, &bl), 200);
	const char *apath = path_join(s.dir, "got.archive");
	ck_assert(spit(apath, b, bl));
	free(b);
	ck_assert_msg(corridor_archive_verify(apath, corridor_signer_vkey(op), NULL, NULL, &d) == 0,
		      "%s", d.text);
	ck_assert_int_eq(srv_stop(&s), 0);
	corridor_signer_free(op);
	corridor_signer_free(buy);
	corridor_signer_free(other);
	corridor_signer_free(aud);
	srv_free(&s);
}
END_TEST

/* G1, RU-GAZPROM's gas to CN-BUY in USD (no conversion), accepted, and
 * January metered daily by RU-GAZPROM, written beside the server. */
static void g1_january(struct corridor_ledger *l, const struct srv *s,
		       const struct corridor_signer *buy)
{
	struct corridor_diag d;
	uint64_t seq, prop;
	char path[1024];
	corridor_diag_init(&d);
	snprintf(path, sizeof path, "%s/gas-G1.json", getenv("CORRIDOR_EXAMPLES"));
	size_t jl;
	char *json = (char *)slurp(path, &jl);
	struct corridor_contract_terms *t = malloc(sizeof *t);
	ck_assert_msg(corridor_contract_parse_json(json, jl, t, &d) == 0, "%s", d.text);
	snprintf(t->seller, sizeof t->seller, "RU-GAZPROM");
	snprintf(t->buyer, sizeof t->buyer, "CN-BUY");
	snprintf(t->metering_party, sizeof t->metering_party, "RU-GAZPROM");
	snprintf(t->settlement_currency, sizeof t->settlement_currency, "USD");
	t->rate_source[0] = '\0'; /* no conversion: no rates needed */
	ck_assert_msg(corridor_contract_propose(l, s->ru, t, NULL, &prop, &d) == 0, "%s", d.text);
	ck_assert_msg(corridor_contract_accept(l, buy, "G1", prop, NULL, &seq, &d) == 0, "%s",
		      d.text);
	int64_t day0;
	ck_assert_int_eq(corridor_utc_parse("2025-12-31T16:00:00Z", 20, &day0), 0);
	for (int i = 0; i < 31; i++) {
		struct corridor_delivery_request q = { .contract = "G1", .meter = "M1",
						       .start_s = day0 + (int64_t)i * 86400,
						       .end_s = day0 + (int64_t)(i + 1) * 86400,
						       .quantity_milli = 100000, .quality = 'A' };
		ck_assert_msg(corridor_delivery_record(l, s->ru, &q, &seq, &d) == 0, "%s", d.text);
	}
	free(t);
	free(json);
}

/* Meter data over the network: a CSV's rows grouped into a series per meter
 * and local day on the recorder's machine, by the contract's offset as its
 * view shows it; the server decides each series as locally. The same file
 * again appends nothing; a file that brings other values for a held
 * interval is refused there, nothing written. */
START_TEST(remote_import_as_series)
{
	struct srv s;
	struct remote r;
	struct run x;
	struct corridor_diag d;
	struct corridor_ledger *l;
	struct corridor_signer *buy;
	char vk[CORRIDOR_VKEY_BYTES_MAX + 1], path[1024];
	uint64_t seq, prop;
	srv_start(&s);
	remote_init(&r, &s, "http");
	char *buykey = party_key(&s, "CN-BUY", vk);
	free(remote_ok(&r, (const char *const[]){ "party", "register", "--key", s.opkey, "--id",
						   "CN-BUY", "--name", "Buyer", "--country", "CN",
						   "--roles", "buyer", "--vkey", vk, NULL }));
	ck_assert_int_eq(corridor_signer_load(buykey, "serve-test", 10, &buy, &d), 0);
	/* G1 at +08:00, metered by the buyer, written beside the server */
	snprintf(path, sizeof path, "%s/gas-G1.json", getenv("CORRIDOR_EXAMPLES"));
	size_t jl;
	char *json = (char *)slurp(path, &jl);
	struct corridor_contract_terms *t = malloc(sizeof *t);
	corridor_diag_init(&d);
	ck_assert_msg(corridor_contract_parse_json(json, jl, t, &d) == 0, "%s", d.text);
	snprintf(t->seller, sizeof t->seller, "RU-GAZPROM");
	snprintf(t->metering_party, sizeof t->metering_party, "CN-BUY");
	ck_assert_int_eq(corridor_ledger_open(s.ledger, 0, &l, &d), 0);
	ck_assert_msg(corridor_contract_propose(l, s.ru, t, NULL, &prop, &d) == 0, "%s", d.text);
	ck_assert_msg(corridor_contract_accept(l, buy, "G1", prop, NULL, &seq, &d) == 0, "%s",
		      d.text);
	corridor_ledger_close(l);
	free(t);
	free(json);
	/* two local days of hourly readings: 2026-01-05 and 06 at +08:00 */
	char *csv = strdup(path_join(s.dir, "hourly.csv"));
	FILE *f = fopen(csv, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "contract,start,end,quantity,meter,reference\n");
	int64_t t0;
	ck_assert_int_eq(corridor_utc_parse("2026-01-04T16:00:00Z", 20, &t0), 0);
	for (int h = 0; h < 48; h++) {
		char a[21], b[21];
		corridor_utc_format(t0 + h * 3600, a);
		corridor_utc_format(t0 + (h + 1) * 3600, b);
		fprintf(f, "G1,%s,%s,4.%03d,M1,H%d\n", a, b, h, h);
	}
	ck_assert_int_eq(fclose(f), 0);
	uint64_t before = remote_size(&r);
	char *out = remote_ok(&r, (const char *const[]){ "delivery", "import", "--key", buykey, csv,
						       NULL });
	ck_assert_msg(strstr(out, "imported 48 readings, 0 already there\n"), "%s", out);
	free(out);
	ck_assert_uint_eq(remote_size(&r), before + 2); /* one series per local day */
	struct run lg = run_cli((const char *const[]){ "log", "--from", "0", "--format", "json",
						       "--ledger", s.ledger, NULL },
				NULL);
	ck_assert_int_eq(lg.status, 0);
	size_t series = 0;
	for (const char *p = lg.out; (p = strstr(p, "\"delivery.series\"")) != NULL; p++)
		series++;
	ck_assert_uint_eq(series, 2);
	run_free(&lg);
	/* what the server holds is what the file says, hour by hour */
	struct run m = run_cli((const char *const[]){ "delivery", "list", "--contract", "G1",
						      "--format", "csv", "--ledger", s.ledger, NULL },
			       NULL);
	ck_assert_int_eq(m.status, 0);
	ck_assert_msg(strstr(m.out, "2026-01-04T16:00:00Z,2026-01-04T17:00:00Z,4,A") &&
			      strstr(m.out, "2026-01-06T15:00:00Z,2026-01-06T16:00:00Z,4.047"),
		      "%s", m.out);
	run_free(&m);
	/* the same file again: the same statements, nothing appended */
	out = remote_ok(&r, (const char *const[]){ "delivery", "import", "--key", buykey, csv, NULL });
	ck_assert_msg(strstr(out, "imported 0 readings, 48 already there\n"), "%s", out);
	free(out);
	ck_assert_uint_eq(remote_size(&r), before + 2);
	/* another value for a held hour: refused by the server, nothing written */
	char *other = strdup(path_join(s.dir, "other.csv"));
	const char *o = "contract,start,end,quantity,meter,reference\n"
			"G1,2026-01-05T03:00:00Z,2026-01-05T04:00:00Z,9.000,M1,X1\n"
			"G1,2026-01-05T04:00:00Z,2026-01-05T05:00:00Z,9.000,M1,X2\n";
	ck_assert(spit(other, o, strlen(o)));
	x = remote_run(&r, (const char *const[]){ "delivery", "import", "--key", buykey, other, NULL });
	ck_assert_int_eq(x.status, 1);
	ck_assert_msg(strstr(x.err, "line 2: delivery.series: the interval from "
				  "2026-01-05T03:00:00Z overlaps reading") &&
			      strstr(x.err, "nothing was written") &&
			      strchr(x.err, '\n') == x.err + strlen(x.err) - 1,
		      "%s", x.err);
	run_free(&x);
	ck_assert_uint_eq(remote_size(&r), before + 2);
	/* --reason and a document need the ledger's state: refused, one line */
	x = remote_run(&r, (const char *const[]){ "delivery", "import", "--key", buykey, "--reason",
						   "meter swap", other, NULL });
	ck_assert_int_eq(x.status, 1);
	ck_assert_msg(strstr(x.err, "where the ledger is"), "%s", x.err);
	run_free(&x);
	ck_assert_uint_eq(remote_size(&r), before + 2);
	ck_assert_int_eq(corridor_ledger_open(s.ledger, CORRIDOR_OPEN_READONLY, &l, &d), 0);
	ck_assert_msg(corridor_ledger_verify(l, NULL, NULL, &d) == 0, "%s", d.text);
	corridor_ledger_close(l);
	corridor_signer_free(buy);
	free(other);
	free(csv);
	free(buykey);
	srv_free(&s);
}
END_TEST

/* ---- JSON views: the CLI's --format json, narrowed to the reader ---- */

/* `corridor ARGS --ledger DIR --format json`, which must succeed: stdout. */
static char *local_json(const char *ledger, const char *const *args)
{
	const char *argv[24];
	size_t n = 0;
	while (args[n] && n < 18) {
		argv[n] = args[n];
		n++;
	}
	argv[n++] = "--ledger";
	argv[n++] = ledger;
	argv[n++] = "--format";
	argv[n++] = "json";
	argv[n] = NULL;
	struct run x = run_cli(argv, NULL);
	ck_assert_msg(x.status == 0, "%s: %s", args[0], x.err);
	char *out = x.out;
	x.out = NULL;
	run_free(&x);
	return out;
}

/* A view read by `who` answers `status`; its body (malloc'd). */
static char *view_as(const struct srv *s, const struct corridor_signer *who, const char *path,
		     const char *query, unsigned status)
{
	char *b;
	size_t bl;
	unsigned got = read_as(s, who, path, query, (int64_t)time(NULL), &b, &bl);
	ck_assert_msg(got == status, "%s%s as %s: %u %s", path, query,
		      corridor_signer_vkey(who)->name, got, b);
	return b;
}

static int keep_none(void *ctx, const struct corridor_party *p)
{
	(void)ctx;
	(void)p;
	return 1; /* a record reached: the document was taken as valid */
}

START_TEST(json_views_who_sees_what)
{
	struct srv s;
	struct corridor_diag d;
	struct corridor_ledger *l;
	struct corridor_signer *op, *buy,
				    *other = test_signer("MN-X", 0x23),
				    *aud = test_signer("AUD-MN", 0x24),
				    *agent = test_signer("SETTLER", 0x25);
	uint64_t seq;
	srv_start(&s);
	/* CN-BUY's key in a file on "its" machine, for the CLI */
	char *buykey = strdup(path_join(s.dir, "buy.key"));
	ck_assert_msg(corridor_key_generate("CN-BUY", "serve-test", 10, CORRIDOR_KDF_INTERACTIVE,
					    buykey, &d) == 0,
		      "%s", d.text);
	ck_assert_int_eq(corridor_signer_load(buykey, "serve-test", 10, &buy, &d), 0);
	ck_assert_int_eq(corridor_signer_load(s.opkey, "serve-test", 10, &op, &d), 0);
	ck_assert_int_eq(corridor_ledger_open(s.ledger, 0, &l, &d), 0);
	const struct {
		struct corridor_signer *who;
		unsigned roles;
	} ps[] = { { buy, CORRIDOR_ROLE_BUYER },
		   { other, CORRIDOR_ROLE_BUYER },
		   { aud, CORRIDOR_ROLE_AUDITOR },
		   { agent, CORRIDOR_ROLE_SETTLEMENT } };
	for (size_t i = 0; i < 4; i++) {
		struct corridor_party_request r = { .id = corridor_signer_vkey(ps[i].who)->name,
						    .name = "a party", .country = "MN",
						    .roles = ps[i].roles,
						    .key = *corridor_signer_vkey(ps[i].who) };
		ck_assert_msg(corridor_party_register(l, op, &r, NULL, &seq, &d) == 0, "%s", d.text);
	}
	/* G1: RU-GAZPROM sells to CN-BUY; January metered, settled and paid */
	g1_january(l, &s, buy);
	int32_t jan;
	ck_assert_int_eq(corridor_date_parse("2026-01-01", 10, &jan), 0);
	struct corridor_batch b;
	ck_assert_msg(corridor_settle_run(l, agent, jan, false, &b, &d) == 0, "%s", d.text);
	ck_assert_uint_eq(b.invoice_count, 1);
	struct corridor_payment pay = { .payer = "CN-BUY", .payee = "RU-GAZPROM",
					.currency = "USD", .amount_minor = 1000000,
					.reference = "INV-G1-2026-01" };
	ck_assert_int_eq(corridor_date_parse("2026-02-10", 10, &pay.value_day), 0);
	ck_assert_msg(corridor_payment_record(l, s.ru, &pay, NULL, &seq, &d) == 0, "%s", d.text);
	corridor_batch_release(&b);
	uint64_t signed_size;
	ck_assert_int_eq(corridor_checkpoint_sign(l, op, &signed_size, &d), 0);
	ck_assert_uint_lt(signed_size, 256);
	/* the tiles of that tree: the hash tile public, the entry bundle for
	 * those who see everything, gzipped for a client that takes it */
	uint8_t want_tile[CORRIDOR_TILE_WIDTH * CORRIDOR_HASH_BYTES], *want_bundle;
	size_t want_bl;
	ck_assert_int_eq(corridor_tile_read(l, 0, 0, (unsigned)signed_size, want_tile, &d), 0);
	ck_assert_int_eq(corridor_bundle_read(l, 0, (unsigned)signed_size, &want_bundle, &want_bl,
					      &d), 0);
	corridor_ledger_close(l);
	{
		char tpath[64], *tb;
		size_t tbl;
		snprintf(tpath, sizeof tpath, "/tile/0/000.p/%u", (unsigned)signed_size);
		ck_assert_uint_eq(get_signed(&s, tpath, NULL, NULL, &tb, &tbl), 200);
		ck_assert(tbl == signed_size * 32 && memcmp(tb, want_tile, tbl) == 0);
		ck_assert_msg(strstr(g_response_head, "immutable") &&
				      strstr(g_response_head, "application/octet-stream"),
			      "%s", g_response_head);
		free(tb);
		snprintf(tpath, sizeof tpath, "/tile/0/000.p/%u", (unsigned)signed_size + 1);
		ck_assert_uint_eq(get_signed(&s, tpath, NULL, NULL, &tb, &tbl), 404);
		free(tb);
		ck_assert_uint_eq(get_signed(&s, "/tile/0/x000/000", NULL, NULL, &tb, &tbl), 404);
		free(tb);
		snprintf(tpath, sizeof tpath, "/tile/entries/000.p/%u", (unsigned)signed_size);
		ck_assert_uint_eq(get_signed(&s, tpath, NULL, NULL, &tb, &tbl), 401);
		free(tb);
		ck_assert_uint_eq(read_as(&s, buy, tpath, "", (int64_t)time(NULL), &tb, &tbl), 403);
		free(tb);
		ck_assert_uint_eq(read_as(&s, aud, tpath, "", (int64_t)time(NULL), &tb, &tbl), 200);
		ck_assert(tbl == want_bl && memcmp(tb, want_bundle, tbl) == 0);
		ck_assert(!strstr(g_response_head, "Content-Encoding"));
		free(tb);
		g_extra_header = "Accept-Encoding: gzip, identity\r\n";
		ck_assert_uint_eq(read_as(&s, aud, tpath, "", (int64_t)time(NULL), &tb, &tbl), 200);
		g_extra_header = "";
		ck_assert_msg(strstr(g_response_head, "Content-Encoding: gzip") && tbl > 10 &&
				      (uint8_t)tb[0] == 0x1f && (uint8_t)tb[1] == 0x8b,
			      "%s", g_response_head);
		free(tb);
		free(want_bundle);
	}

	/* Every view, read by the auditor, is byte for byte what the CLI prints
	 * for --format json on the same ledger. */
	const struct {
		const char *path, *query;
		const char *const args[8];
	} views[] = {
		{ "/v1/parties", "", { "party", "list", NULL } },
		{ "/v1/parties/CN-BUY", "", { "party", "show", "CN-BUY", NULL } },
		{ "/v1/currencies", "", { "currency", "list", NULL } },
		{ "/v1/rates", "", { "rate", "list", NULL } },
		{ "/v1/contracts", "", { "contract", "list", NULL } },
		{ "/v1/contracts/G1", "", { "contract", "show", "G1", NULL } },
		{ "/v1/deliveries", "?contract=G1&period=2026-01",
		  { "delivery", "list", "--contract", "G1", "--period", "2026-01", NULL } },
		{ "/v1/settlements/2026-01", "", { "settle", "show", "2026-01", NULL } },
		{ "/v1/invoices/INV-G1-2026-01", "", { "settle", "show", "INV-G1-2026-01", NULL } },
		{ "/v1/payments", "", { "payment", "list", NULL } },
		{ "/v1/reports/meters", "?contract=G1&period=2026-01",
		  { "report", "meters", "--contract", "G1", "--period", "2026-01", NULL } },
		{ "/v1/reports/performance", "?period=2026-01",
		  { "report", "performance", "--period", "2026-01", NULL } },
		{ "/v1/reports/invoices", "?as_of=2026-03-01",
		  { "report", "invoices", "--as-of", "2026-03-01", NULL } },
		{ "/v1/reports/balances", "?as_of=2026-03-01",
		  { "report", "balances", "--as-of", "2026-03-01", NULL } },
	};
	char *seen[sizeof views / sizeof views[0]];
	for (size_t i = 0; i < sizeof views / sizeof views[0]; i++) {
		char *want = local_json(s.ledger, views[i].args);
		seen[i] = view_as(&s, aud, views[i].path, views[i].query, 200);
		ck_assert_msg(strcmp(seen[i], want) == 0, "%s: served\n%s\nCLI\n%s", views[i].path,
			      seen[i], want);
		free(want);
	}
	ck_assert_msg(strstr(seen[7], "INV-G1-2026-01") && strstr(seen[9], "INV-G1-2026-01") &&
			      strstr(seen[13], "CN-BUY"),
		      "%s %s %s", seen[7], seen[9], seen[13]);

	/* A third party: the public views as everyone sees them, nothing of G1 */
	for (size_t i = 0; i < 4; i++) {
		char *got = view_as(&s, other, views[i].path, views[i].query, 200);
		ck_assert_str_eq(got, seen[i]);
		free(got);
	}
	const char *closed[] = { "/v1/contracts/G1", "/v1/contracts/NO-SUCH",
				 "/v1/invoices/INV-G1-2026-01", "/v1/invoices/NO-SUCH" };
	for (size_t i = 0; i < 4; i++)
		free(view_as(&s, other, closed[i], "", 403));
	free(view_as(&s, other, "/v1/deliveries", "?contract=G1", 403));
	free(view_as(&s, other, "/v1/reports/meters", "?contract=G1&period=2026-01", 403));
	free(view_as(&s, other, "/v1/reports/invoices", "?party=CN-BUY", 403));
	const struct {
		const char *path, *query, *want;
	} empty[] = {
		{ "/v1/contracts", "", "[]\n" },
		{ "/v1/contracts", "?format=jsonl", "" },
		{ "/v1/settlements/2026-01", "", "[]\n" },
		{ "/v1/payments", "", "[]\n" },
		{ "/v1/reports/performance", "?period=2026-01",
		  "{\"period\":\"2026-01\",\"contracts\":[]}\n" },
		{ "/v1/reports/balances", "?as_of=2026-03-01", "[]\n" },
	};
	for (size_t i = 0; i < sizeof empty / sizeof empty[0]; i++) {
		char *got = view_as(&s, other, empty[i].path, empty[i].query, 200);
		ck_assert_msg(strcmp(got, empty[i].want) == 0, "%s: %s", empty[i].path, got);
		free(got);
	}
	char *got = view_as(&s, other, "/v1/reports/invoices", "?as_of=2026-03-01", 200);
	ck_assert_msg(!strstr(got, "INV-G1") && !strstr(got, "CN-BUY"), "%s", got);
	free(got);

	/* The buyer: its contract, readings, invoice and payment as the auditor
	 * sees them; of the batch, its invoice and netting line without totals;
	 * its own receivables and balances only. */
	const size_t same[] = { 5, 6, 8, 9, 10, 11 };
	for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
		got = view_as(&s, buy, views[same[i]].path, views[same[i]].query, 200);
		ck_assert_msg(strcmp(got, seen[same[i]]) == 0, "%s: %s", views[same[i]].path, got);
		free(got);
	}
	got = view_as(&s, buy, "/v1/settlements/2026-01", "", 200);
	ck_assert_msg(strstr(got, "INV-G1-2026-01") && strstr(got, "\"totals\":[]") &&
			      strstr(seen[7], "\"totals\":[{"),
		      "%s", got);
	free(got);
	const char *mine[] = { "report", "invoices", "--party", "CN-BUY", "--as-of", "2026-03-01",
			       NULL };
	char *want = local_json(s.ledger, mine);
	got = view_as(&s, buy, "/v1/reports/invoices", "?as_of=2026-03-01", 200);
	ck_assert_str_eq(got, want);
	free(got);
	free(want);
	got = view_as(&s, buy, "/v1/reports/balances", "?as_of=2026-03-01", 200);
	ck_assert_msg(strstr(got, "\"party\":\"CN-BUY\"") && !strstr(got, "RU-GAZPROM"), "%s", got);
	free(got);

	/* Over --server the buyer's CLI reads its part from the views, as tables
	 * and CSV too: where its part is the whole of what a command shows, the
	 * same bytes as the command on the ledger itself */
	struct remote rm;
	remote_init(&rm, &s, "http");
	const char *const tables[][8] = {
		{ "party", "show", "CN-BUY", NULL },
		{ "party", "list", NULL },
		{ "currency", "list", NULL },
		{ "contract", "show", "G1", NULL },
		{ "contract", "list", NULL },
		{ "delivery", "list", "--contract", "G1", NULL },
		{ "settle", "show", "INV-G1-2026-01", NULL },
		{ "payment", "list", NULL },
		{ "report", "meters", "--contract", "G1", "--period", "2026-01", NULL },
		{ "report", "performance", "--period", "2026-01", NULL },
		{ "report", "invoices", "--party", "CN-BUY", "--as-of", "2026-03-01", NULL },
	};
	for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
		for (int csv = 0; csv < 2; csv++) {
			const char *argv[16], *rargv[16];
			size_t n = 0;
			while (tables[i][n]) {
				argv[n] = rargv[n] = tables[i][n];
				n++;
			}
			size_t rn = n;
			bool has_csv = strcmp(tables[i][0], "party") && strcmp(tables[i][0], "contract");
			if (csv && !has_csv)
				continue;
			if (csv) {
				argv[n++] = rargv[rn++] = "--format";
				argv[n++] = rargv[rn++] = "csv";
			}
			argv[n++] = "--ledger";
			argv[n++] = s.ledger;
			argv[n] = NULL;
			rargv[rn++] = "--key";
			rargv[rn++] = buykey;
			rargv[rn] = NULL;
			struct run lwant = run_cli(argv, NULL);
			ck_assert_msg(lwant.status == 0, "%s %s: %s", argv[0], argv[1], lwant.err);
			char *rgot = remote_ok(&rm, rargv);
			ck_assert_msg(strcmp(rgot, lwant.out) == 0, "%s %s%s over --server:\n%s\nlocally:\n%s",
				      argv[0], argv[1], csv ? " (csv)" : "", rgot, lwant.out);
			free(rgot);
			run_free(&lwant);
		}
	/* what a client reads back from a server is checked like any input: a
	 * truncated, mistyped or oversized view is one clear line, no record */
	{
		const char *bad[] = { "{\"id\":", "[{\"id\":1}]", "not json",
				      "{\"id\":\"CN-BUY\",\"name\":\"a\",\"country\":\"MNXX\"}" };
		for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
			corridor_diag_init(&d);
			ck_assert_int_eq(corridor_parties_from_json(bad[i], strlen(bad[i]), keep_none,
								    NULL, &d),
					 CORRIDOR_E_MALFORMED);
			ck_assert_msg(strstr(d.text, "not a party view") && !strchr(d.text, '\n'),
				      "%s", d.text);
		}
		struct corridor_invoice_report ir;
		int32_t asof;
		ck_assert_int_eq(corridor_invoice_report_from_json("[]", 2, &ir, &asof, &d),
				 CORRIDOR_E_MALFORMED);
	}
	/* its own balances and the batch's part that is its */
	char *mine_t = remote_ok(&rm, (const char *const[]){ "report", "balances", "--as-of",
							     "2026-03-01", "--key", buykey, NULL });
	ck_assert_msg(strstr(mine_t, "CN-BUY") && !strstr(mine_t, "RU-GAZPROM"), "%s", mine_t);
	free(mine_t);
	mine_t = remote_ok(&rm, (const char *const[]){ "settle", "show", "2026-01", "--key", buykey,
						       NULL });
	ck_assert_msg(strstr(mine_t, "INV-G1-2026-01") && strstr(mine_t, "netting"), "%s", mine_t);
	free(mine_t);

	/* Those who see everything learn that an id does not exist; bad queries,
	 * unsigned and expired reads are refused */
	free(view_as(&s, aud, "/v1/contracts/NO-SUCH", "", 404));
	free(view_as(&s, aud, "/v1/parties/NO-SUCH", "", 404));
	free(view_as(&s, aud, "/v1/settlements/2026-13", "", 400));
	free(view_as(&s, aud, "/v1/rates", "?pair=USDCNY", 400));
	free(view_as(&s, aud, "/v1/reports/meters", "?contract=G1", 400));
	free(view_as(&s, aud, "/v1/reports/no-such", "", 404));
	char *bb;
	size_t bl;
	ck_assert_uint_eq(get_signed(&s, "/v1/contracts/G1", NULL, NULL, &bb, &bl), 401);
	free(bb);
	ck_assert_uint_eq(read_as(&s, buy, "/v1/contracts/G1", "", (int64_t)time(NULL) - 3600, &bb,
				  &bl),
			  401);
	free(bb);
	for (size_t i = 0; i < sizeof views / sizeof views[0]; i++)
		free(seen[i]);
	ck_assert_int_eq(srv_stop(&s), 0);
	corridor_signer_free(op);
	corridor_signer_free(buy);
	corridor_signer_free(other);
	corridor_signer_free(aud);
	corridor_signer_free(agent);
	free(buykey);
	srv_free(&s);
}
END_TEST

/* ---- a witness (c2sp.org/tlog-witness) ---- */

/* Starts `corridor witness serve` on loopback; its port in w->port. */
static void witness_spawn_at(struct srv *w, const char *key, const char *vkey, const char *state,
			     const char *listen);
static void witness_spawn(struct srv *w, const char *key, const char *vkey, const char *state)
{
	witness_spawn_at(w, key, vkey, state, "127.0.0.1:0");
}

static void witness_spawn_at(struct srv *w, const char *key, const char *vkey, const char *state,
			     const char *listen)
{
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, w->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	const char *argv[] = { corridor_bin(), "witness", "serve", "--listen", listen,
			       "--key", key, "--log", vkey, "--state", state, NULL };
	setenv("CORRIDOR_PASSPHRASE", "serve-test", 1);
	ck_assert_int_eq(posix_spawn(&w->pid, argv[0], &fa, NULL, (char *const *)(uintptr_t)argv,
				     environ),
			 0);
	unsetenv("CORRIDOR_PASSPHRASE");
	posix_spawn_file_actions_destroy(&fa);
	w->port = 0;
	for (int i = 0; i < 300 && !w->port; i++) {
		size_t n;
		char *t = (char *)slurp(w->log, &n);
		const char *p = t ? strstr(t, "listening on http://127.0.0.1:") : NULL;
		if (p && strchr(p, '\n'))
			w->port = (unsigned)strtoul(p + strlen("listening on http://127.0.0.1:"), NULL,
						    10);
		free(t);
		if (!w->port)
			usleep(100000);
	}
	ck_assert_msg(w->port > 0, "the witness did not say where it listens");
}

/* An add-checkpoint body: old size, the proof from it (if any), the note. */
static char *add_body(uint64_t old, const uint8_t (*proof)[32], size_t n, const char *note,
		      size_t *len)
{
	size_t cap = 64 + n * 48 + strlen(note);
	char *b = malloc(cap);
	int at = snprintf(b, cap, "old %llu\n", (unsigned long long)old);
	for (size_t i = 0; i < n; i++) {
		corridor_base64(proof[i], 32, b + at);
		at += (int)strlen(b + at);
		b[at++] = '\n';
	}
	b[at++] = '\n';
	memcpy(b + at, note, strlen(note) + 1);
	*len = (size_t)at + strlen(note);
	return b;
}

START_TEST(witness_cosigns_consistent_checkpoints)
{
	struct corridor_diag d;
	char *dir = tmpdir_new();
	struct srv w = { 0 };
	snprintf(w.log, sizeof w.log, "%s", path_join(dir, "witness.log"));
	char *wkey = strdup(path_join(dir, "w1.key")), *state = strdup(path_join(dir, "state"));
	cli_ok((const char *const[]){ "key", "generate", "--name", "witness.example/w1", "--out",
				      wkey, "--kdf", "interactive", NULL });
	struct corridor_vkey wkv, wvk; /* the witness's key, as a cosigner (0x04) */
	ck_assert_int_eq(corridor_key_read_public(wkey, &wkv, &d), 0);
	corridor_vkey_as_cosigner(&wkv, &wvk);
	/* the log it follows, and its verifier key */
	struct corridor_signer *op = test_signer("corridor.example/witnessed", 0x61),
			       *imp = test_signer("corridor.example/witnessed", 0x62),
			       *stranger = test_signer("corridor.example/other", 0x63);
	struct corridor_ledger *l, *l2, *l3;
	ck_assert_int_eq(corridor_ledger_create(path_join(dir, "L"), op, &l, &d), 0);
	ck_assert_int_eq(corridor_ledger_create(path_join(dir, "L2"), op, &l2, &d), 0);
	ck_assert_int_eq(corridor_ledger_create(path_join(dir, "L3"), stranger, &l3, &d), 0);
	char opvk[CORRIDOR_VKEY_BYTES_MAX + 1];
	corridor_vkey_format(corridor_signer_vkey(op), opvk);
	const char *texts[40];
	size_t lens[40];
	for (int i = 0; i < 40; i++) {
		texts[i] = "a reading";
		lens[i] = 9;
	}
	uint64_t a, b, c;
	ck_assert_int_eq(corridor_memo_append(l, op, texts, lens, 10, 10, NULL, NULL, &d), 0);
	ck_assert_int_eq(corridor_checkpoint_sign(l, op, &a, &d), 0);
	witness_spawn(&w, wkey, opvk, state);
	char *note, *body, *ans;
	size_t nl, bl;
	ck_assert_int_eq(corridor_checkpoint_get(l, a, &note, &nl, &d), 0);
	/* the first checkpoint: from old size 0, no proof */
	body = add_body(0, NULL, 0, note, &bl);
	ck_assert_uint_eq(http(&w, "POST", "/add-checkpoint", body, bl, &ans), 200);
	ck_assert_msg(!strncmp(ans, "\xe2\x80\x94 witness.example/w1 ", 23) &&
			      strchr(ans, '\n') == ans + strlen(ans) - 1,
		      "%s", ans);
	{ /* the line is a tlog-cosignature by the witness's key over that note */
		char *cosigned = malloc(nl + strlen(ans) + 1);
		memcpy(cosigned, note, nl);
		memcpy(cosigned + nl, ans, strlen(ans) + 1);
		struct corridor_note *pn = malloc(sizeof *pn);
		uint64_t t = 0;
		ck_assert_int_eq(corridor_note_parse(cosigned, strlen(cosigned), pn), 0);
		ck_assert_int_eq(corridor_cosignature_verify(cosigned, pn, pn->sig_count - 1, &wvk, &t),
				 0);
		ck_assert(t > 0);
		free(pn);
		free(cosigned);
	}
	free(ans);
	/* again from 0: the witness holds a, and says so */
	ck_assert_uint_eq(http(&w, "POST", "/add-checkpoint", body, bl, &ans), 409);
	char want[32];
	snprintf(want, sizeof want, "%llu\n", (unsigned long long)a);
	ck_assert_str_eq(ans, want);
	free(ans);
	free(body);
	free(note);
	/* a later checkpoint with its consistency proof from a */
	ck_assert_int_eq(corridor_memo_append(l, op, texts, lens, 30, 30, NULL, NULL, &d), 0);
	ck_assert_int_eq(corridor_checkpoint_sign(l, op, &b, &d), 0);
	uint8_t proof[64][32];
	size_t np;
	uint64_t to = b;
	ck_assert_int_eq(corridor_prove_consistency(l, a, &to, proof, &np, &d), 0);
	ck_assert_int_eq(corridor_checkpoint_get(l, b, &note, &nl, &d), 0);
	body = add_body(a, (const uint8_t (*)[32])proof, np, note, &bl);
	ck_assert_uint_eq(http(&w, "POST", "/add-checkpoint", body, bl, &ans), 200);
	free(ans);
	free(body);
	free(note);
	/* a split view: the operator's key on another history of the same size
	 * as what the witness holds */
	ck_assert_int_eq(corridor_memo_append(l2, op, texts, lens, 40, 40, NULL, NULL, &d), 0);
	ck_assert_int_eq(corridor_checkpoint_sign(l2, op, &c, &d), 0);
	ck_assert_uint_eq(c, b);
	ck_assert_int_eq(corridor_checkpoint_get(l2, c, &note, &nl, &d), 0);
	body = add_body(b, NULL, 0, note, &bl);
	ck_assert_uint_eq(http(&w, "POST", "/add-checkpoint", body, bl, &ans), 422);
	free(ans);
	free(body);
	free(note);
	/* the next step with a proof that does not hold, then with the right one */
	ck_assert_int_eq(corridor_memo_append(l, op, texts, lens, 4, 4, NULL, NULL, &d), 0);
	uint64_t e;
	ck_assert_int_eq(corridor_checkpoint_sign(l, op, &e, &d), 0);
	to = e;
	ck_assert_int_eq(corridor_prove_consistency(l, b, &to, proof, &np, &d), 0);
	ck_assert_int_eq(corridor_checkpoint_get(l, e, &note, &nl, &d), 0);
	proof[0][0] ^= 1;
	body = add_body(b, (const uint8_t (*)[32])proof, np, note, &bl);
	ck_assert_uint_eq(http(&w, "POST", "/add-checkpoint", body, bl, &ans), 422);
	free(ans);
	free(body);
	proof[0][0] ^= 1;
	body = add_body(b, (const uint8_t (*)[32])proof, np, note, &bl);
	ck_assert_uint_eq(http(&w, "POST", "/add-checkpoint", body, bl, &ans), 200);
	free(ans);
	free(body);
	free(note);
	b = e; /* what the witness holds from here */
	/* another log: 404; the right name under another key: 403; junk: 400;
	 * an old size above the checkpoint's: 400 */
	ck_assert_int_eq(corridor_checkpoint_sign(l3, stranger, &c, &d), 0);
	ck_assert_int_eq(corridor_checkpoint_get(l3, c, &note, &nl, &d), 0);
	body = add_body(0, NULL, 0, note, &bl);
	ck_assert_uint_eq(http(&w, "POST", "/add-checkpoint", body, bl, &ans), 404);
	free(ans);
	free(body);
	free(note);
	struct corridor_ledger *l4;
	ck_assert_int_eq(corridor_ledger_create(path_join(dir, "L4"), imp, &l4, &d), 0);
	ck_assert_int_eq(corridor_checkpoint_sign(l4, imp, &c, &d), 0);
	ck_assert_int_eq(corridor_checkpoint_get(l4, c, &note, &nl, &d), 0);
	body = add_body(b, NULL, 0, note, &bl);
	ck_assert_uint_eq(http(&w, "POST", "/add-checkpoint", body, bl, &ans), 403);
	free(ans);
	free(body);
	body = add_body(c + 1, NULL, 0, note, &bl);
	ck_assert_uint_eq(http(&w, "POST", "/add-checkpoint", body, bl, &ans), 403);
	free(ans);
	free(body);
	free(note);
	ck_assert_uint_eq(http(&w, "POST", "/add-checkpoint", "old x\n\nnot a note", 17, &ans), 400);
	free(ans);
	ck_assert_int_eq(corridor_checkpoint_get(l, b, &note, &nl, &d), 0);
	body = add_body(b + 5, NULL, 0, note, &bl);
	ck_assert_uint_eq(http(&w, "POST", "/add-checkpoint", body, bl, &ans), 400);
	free(ans);
	free(body);
	/* the record is durable: after a restart the witness still holds b */
	kill(w.pid, SIGKILL);
	waitpid(w.pid, NULL, 0);
	witness_spawn(&w, wkey, opvk, state);
	body = add_body(0, NULL, 0, note, &bl);
	ck_assert_uint_eq(http(&w, "POST", "/add-checkpoint", body, bl, &ans), 409);
	snprintf(want, sizeof want, "%llu\n", (unsigned long long)b);
	ck_assert_str_eq(ans, want);
	free(ans);
	free(body);
	free(note);
	kill(w.pid, SIGTERM);
	waitpid(w.pid, NULL, 0);
	corridor_ledger_close(l);
	corridor_ledger_close(l2);
	corridor_ledger_close(l3);
	corridor_ledger_close(l4);
	corridor_signer_free(op);
	corridor_signer_free(imp);
	corridor_signer_free(stranger);
	free(wkey);
	free(state);
	rm_rf(dir);
	free(dir);
}
END_TEST

START_TEST(serve_sends_checkpoints_to_witnesses)
{
	struct corridor_diag d;
	struct srv s, w = { 0 };
	srv_start(&s);
	/* the operator's verifier key, for the witness to follow the log */
	struct run x = run_cli((const char *const[]){ "key", "public", s.opkey, NULL }, NULL);
	ck_assert_int_eq(x.status, 0);
	char opvk[CORRIDOR_VKEY_BYTES_MAX + 1];
	snprintf(opvk, sizeof opvk, "%.*s", (int)strcspn(x.out, "\n"), x.out);
	run_free(&x);
	char *wdir = tmpdir_new();
	snprintf(w.log, sizeof w.log, "%s", path_join(wdir, "w1.log"));
	char *wkey = strdup(path_join(wdir, "w1.key")), *wkey2 = strdup(path_join(wdir, "w2.key")),
	     *state = strdup(path_join(wdir, "state"));
	cli_ok((const char *const[]){ "key", "generate", "--name", "witness.example/w1", "--out",
				      wkey, "--kdf", "interactive", NULL });
	cli_ok((const char *const[]){ "key", "generate", "--name", "witness.example/w2", "--out",
				      wkey2, "--kdf", "interactive", NULL });
	witness_spawn(&w, wkey, opvk, state);
	char vk1[CORRIDOR_VKEY_BYTES_MAX + 1], vk2[CORRIDOR_VKEY_BYTES_MAX + 1];
	x = run_cli((const char *const[]){ "key", "public", wkey, NULL }, NULL);
	snprintf(vk1, sizeof vk1, "%.*s", (int)strcspn(x.out, "\n"), x.out);
	run_free(&x);
	x = run_cli((const char *const[]){ "key", "public", wkey2, NULL }, NULL);
	snprintf(vk2, sizeof vk2, "%.*s", (int)strcspn(x.out, "\n"), x.out);
	run_free(&x);
	/* the service again, with two witnesses: w1, and w2 down (nothing
	 * listens on port 1) */
	ck_assert_int_eq(srv_stop(&s), 0);
	char a1[600], a2[600];
	snprintf(a1, sizeof a1, "http://127.0.0.1:%u+%s", w.port, vk1);
	snprintf(a2, sizeof a2, "http://127.0.0.1:1+%s", vk2);
	const char *extra[] = { "--witness", a1, "--witness", a2, NULL };
	srv_spawn(&s, extra);
	/* a backup of the ledger as it is now, for the restore below */
	char *backup = strdup(path_join(wdir, "backup"));
	cli_ok((const char *const[]){ "backup", "--out", backup, "--ledger", s.ledger, NULL });
	/* writes go on */
	uint8_t st[512];
	char *ans;
	size_t n = memo(s.ru, "witnessed-1", "nominated", now_us(), 30 * MINUTE, st, sizeof st);
	ck_assert_uint_eq(http(&s, "POST", "/v1/statements", st, n, &ans), 201);
	free(ans);
	/* the cosigned checkpoint appears once w1 answers */
	char *cp = NULL;
	for (int i = 0; i < 100; i++) {
		ck_assert_uint_eq(http(&s, "GET", "/checkpoint", NULL, 0, &cp), 200);
		if (strstr(cp, "\xe2\x80\x94 witness.example/w1 "))
			break;
		free(cp);
		cp = NULL;
		usleep(100000);
	}
	ck_assert_msg(cp != NULL, "no cosignature of w1 on the served checkpoint");
	const char *cpath = path_join(wdir, "cosigned.checkpoint");
	ck_assert(spit(cpath, cp, strlen(cp)));
	char *cpf = strdup(cpath);
	x = run_cli((const char *const[]){ "key", "public", wkey, "--cosigner", NULL }, NULL);
	char cos1[CORRIDOR_VKEY_BYTES_MAX + 1], cos2[CORRIDOR_VKEY_BYTES_MAX + 1];
	snprintf(cos1, sizeof cos1, "%.*s", (int)strcspn(x.out, "\n"), x.out);
	run_free(&x);
	x = run_cli((const char *const[]){ "key", "public", wkey2, "--cosigner", NULL }, NULL);
	snprintf(cos2, sizeof cos2, "%.*s", (int)strcspn(x.out, "\n"), x.out);
	run_free(&x);
	x = run_cli((const char *const[]){ "audit", "checkpoint", "--vkey", opvk, "--cosigner", cos1,
					    "--cosigner", cos2, "--min-cosigners", "1", cpf, NULL },
		    NULL);
	ck_assert_msg(x.status == 0, "%s %s", x.out, x.err);
	run_free(&x);
	x = run_cli((const char *const[]){ "audit", "checkpoint", "--vkey", opvk, "--cosigner", cos1,
					    "--cosigner", cos2, "--min-cosigners", "2", cpf, NULL },
		    NULL);
	ck_assert_msg(x.status == 1, "%s %s", x.out, x.err);
	run_free(&x);
	/* the ledger keeps the witness's line beside its checkpoint (served with
	 * it, not in the stored checkpoint, which `verify` checks against the
	 * parties), and verifies */
	free(cp);
	ck_assert_int_eq(srv_stop(&s), 0);
	cli_ok((const char *const[]){ "verify", "--ledger", s.ledger, NULL });
	struct corridor_ledger *l;
	ck_assert_int_eq(corridor_ledger_open(s.ledger, CORRIDOR_OPEN_READONLY, &l, &d), 0);
	char *note;
	size_t nl;
	ck_assert_int_eq(corridor_checkpoint_served(l, &note, &nl, &d), 0);
	ck_assert(strstr(note, "\xe2\x80\x94 witness.example/w1 "));
	free(note);
	ck_assert_int_eq(corridor_checkpoint_get(l, 0, &note, &nl, &d), 0);
	ck_assert(!strstr(note, "witness.example/w1"));
	free(note);
	corridor_ledger_close(l);
	/* restored from the older backup, the ledger is behind what w1 cosigned:
	 * the service refuses to start, in one line */
	{
		const char *env[] = { "CORRIDOR_PASSPHRASE=serve-test", NULL };
		x = run_cli((const char *const[]){ "serve", "--listen", "127.0.0.1:0", "--operator-key",
						   s.opkey, "--ledger", backup, "--witness", a1, NULL },
			    env);
		ck_assert_msg(x.status == 1 && strstr(x.err, "refusing to start") &&
				      strstr(x.err, "behind what it published"),
			      "%d %s", x.status, x.err);
		run_free(&x);
	}
	/* the way back: the entries it published, taken back from a mirror of
	 * them (here the tiles of the ledger as it was before the restore) */
	char *mirror = strdup(path_join(wdir, "mirror"));
	cli_ok((const char *const[]){ "tiles", "export", "--out", mirror, "--entries", "--ledger",
				      s.ledger, NULL });
	x = run_cli((const char *const[]){ "import", "--tiles", mirror, "--vkey", opvk, "--ledger",
					    backup, NULL },
		    NULL);
	ck_assert_msg(x.status == 1 && strstr(x.err, "--restore"), "%d %s", x.status, x.err);
	run_free(&x);
	x = run_cli((const char *const[]){ "import", "--tiles", mirror, "--ledger", backup,
					    "--restore", NULL },
		    NULL);
	ck_assert_msg(x.status == 2 && strstr(x.err, "--vkey"), "%d %s", x.status, x.err);
	run_free(&x);
	x = run_cli((const char *const[]){ "import", "--tiles", mirror, "--vkey", opvk, "--ledger",
					    backup, "--restore", NULL },
		    NULL);
	ck_assert_msg(x.status == 0 && strstr(x.out, "holds"), "%d %s %s", x.status, x.out, x.err);
	run_free(&x);
	cli_ok((const char *const[]){ "verify", "--ledger", backup, NULL });
	/* in the service's place, the restored ledger starts, takes writes, and
	 * w1 cosigns its next checkpoint (consistent with the one it held) */
	rm_rf(s.ledger);
	ck_assert(rename(backup, s.ledger) == 0);
	srv_spawn(&s, extra);
	n = memo(s.ru, "witnessed-2", "after the restore", now_us(), 30 * MINUTE, st, sizeof st);
	ck_assert_uint_eq(http(&s, "POST", "/v1/statements", st, n, &ans), 201);
	free(ans);
	uint64_t held = 0;
	{
		size_t hl;
		char *h = (char *)slurp(cpf, &hl);
		ck_assert(h && strchr(h, '\n'));
		held = strtoull(strchr(h, '\n') + 1, NULL, 10);
		free(h);
	}
	bool cosigned = false;
	for (int i = 0; i < 100 && !cosigned; i++) {
		ck_assert_uint_eq(http(&s, "GET", "/checkpoint", NULL, 0, &cp), 200);
		cosigned = strstr(cp, "\xe2\x80\x94 witness.example/w1 ") && strchr(cp, '\n') &&
			   strtoull(strchr(cp, '\n') + 1, NULL, 10) > held;
		free(cp);
		if (!cosigned)
			usleep(100000);
	}
	ck_assert_msg(cosigned, "w1 did not cosign a checkpoint beyond size %llu after the restore",
		      (unsigned long long)held);
	ck_assert_int_eq(srv_stop(&s), 0);
	free(mirror);
	kill(w.pid, SIGTERM);
	waitpid(w.pid, NULL, 0);
	free(backup);
	free(wkey);
	free(wkey2);
	free(state);
	free(cpf);
	rm_rf(wdir);
	free(wdir);
	srv_free(&s);
}
END_TEST


/* Without a witness, the service keeps the latest checkpoint it published
 * outside the ledger's directory: a ledger restored from an older backup,
 * or one holding another history, does not start. */
START_TEST(serve_keeps_a_high_water_mark)
{
	struct corridor_diag d;
	struct srv s;
	srv_start(&s);
	char *backup = strdup(path_join(s.dir, "backup"));
	char *mark = strdup(path_join(s.dir, "ledger.published"));
	cli_ok((const char *const[]){ "backup", "--out", backup, "--ledger", s.ledger, NULL });
	uint8_t st[512];
	char *ans;
	size_t n = memo(s.ru, "after-backup", "written after the backup", now_us(), 30 * MINUTE, st,
			sizeof st);
	ck_assert_uint_eq(http(&s, "POST", "/v1/statements", st, n, &ans), 201);
	free(ans);
	struct corridor_ledger *l;
	struct corridor_head h;
	ck_assert_int_eq(srv_stop(&s), 0);
	ck_assert_int_eq(corridor_ledger_open(s.ledger, CORRIDOR_OPEN_READONLY, &l, &d), 0);
	ck_assert_int_eq(corridor_ledger_head(l, &h), 0);
	corridor_ledger_close(l);
	size_t ml;
	char *m = (char *)slurp(mark, &ml);
	ck_assert_msg(m && strchr(m, '\n') && strtoull(strchr(m, '\n') + 1, NULL, 10) == h.size,
		      "the mark does not hold size %llu: %s", (unsigned long long)h.size, m);
	free(m);
	/* the directory restored from the backup: behind its mark */
	rm_rf(s.ledger);
	ck_assert(rename(backup, s.ledger) == 0);
	const char *env[] = { "CORRIDOR_PASSPHRASE=serve-test", NULL };
	struct run x = run_cli((const char *const[]){ "serve", "--listen", "127.0.0.1:0",
						      "--operator-key", s.opkey, "--ledger", s.ledger,
						      NULL },
			       env);
	ck_assert_msg(x.status == 1 && strstr(x.err, "refusing to start") &&
			      strstr(x.err, "behind the checkpoint") &&
			      strstr(x.err, "high-water mark") && !strchr(x.err, '\n')[1],
		      "%d %s", x.status, x.err);
	run_free(&x);
	/* another history of that size (written locally, signed by the
	 * operator): refused too, with the seq */
	struct corridor_signer *op;
	ck_assert_int_eq(corridor_signer_load(s.opkey, "serve-test", 10, &op, &d), 0);
	ck_assert_int_eq(corridor_ledger_open(s.ledger, 0, &l, &d), 0);
	const char *txt[] = { "another history" };
	size_t lens[] = { strlen(txt[0]) };
	ck_assert_msg(corridor_memo_append(l, s.ru, txt, lens, 1, 4000, NULL, NULL, &d) == 0, "%s",
		      d.text);
	uint64_t size;
	ck_assert_int_eq(corridor_checkpoint_sign(l, op, &size, &d), 0);
	ck_assert_uint_eq(size, h.size);
	corridor_ledger_close(l);
	x = run_cli((const char *const[]){ "serve", "--listen", "127.0.0.1:0", "--operator-key",
					    s.opkey, "--ledger", s.ledger, NULL },
		    env);
	ck_assert_msg(x.status == 1 && strstr(x.err, "another history"), "%d %s", x.status, x.err);
	run_free(&x);
	/* a mark elsewhere (--published), none yet: it starts, and records it */
	char *mark2 = strdup(path_join(s.dir, "elsewhere.published"));
	const char *extra[] = { "--published", mark2, NULL };
	srv_spawn(&s, extra);
	for (int i = 0; i < 100 && !(m = (char *)slurp(mark2, &ml)); i++)
		usleep(100000);
	ck_assert_msg(m != NULL, "no mark written at %s", mark2);
	free(m);
	ck_assert_int_eq(srv_stop(&s), 0);
	corridor_signer_free(op);
	free(backup);
	free(mark);
	free(mark2);
	srv_free(&s);
}
END_TEST


/* A witness that was down when the service started, and comes back holding a
 * larger tree than the ledger's (restored from an older backup): the
 * service stops taking writes (503) instead of signing a split view. */
START_TEST(serve_stops_writes_behind_a_witness)
{
	struct srv s, w = { 0 };
	srv_start(&s);
	struct run x = run_cli((const char *const[]){ "key", "public", s.opkey, NULL }, NULL);
	char opvk[CORRIDOR_VKEY_BYTES_MAX + 1], vk1[CORRIDOR_VKEY_BYTES_MAX + 1];
	snprintf(opvk, sizeof opvk, "%.*s", (int)strcspn(x.out, "\n"), x.out);
	run_free(&x);
	char *wkey = strdup(path_join(s.dir, "w1.key")), *state = strdup(path_join(s.dir, "wstate"));
	snprintf(w.log, sizeof w.log, "%s", path_join(s.dir, "w1.log"));
	cli_ok((const char *const[]){ "key", "generate", "--name", "witness.example/w1", "--out",
				      wkey, "--kdf", "interactive", NULL });
	x = run_cli((const char *const[]){ "key", "public", wkey, NULL }, NULL);
	snprintf(vk1, sizeof vk1, "%.*s", (int)strcspn(x.out, "\n"), x.out);
	run_free(&x);
	witness_spawn(&w, wkey, opvk, state);
	char a1[600], listen[64];
	snprintf(a1, sizeof a1, "http://127.0.0.1:%u+%s", w.port, vk1);
	snprintf(listen, sizeof listen, "127.0.0.1:%u", w.port);
	ck_assert_int_eq(srv_stop(&s), 0);
	char *backup = strdup(path_join(s.dir, "backup"));
	cli_ok((const char *const[]){ "backup", "--out", backup, "--ledger", s.ledger, NULL });
	char *mark = strdup(path_join(s.dir, "fresh.published"));
	const char *extra[] = { "--witness", a1, "--published", mark, NULL };
	srv_spawn(&s, extra);
	/* a write after the backup, cosigned by w1 */
	uint8_t st[512];
	char *ans, *cp = NULL;
	size_t n = memo(s.ru, "ahead-1", "after the backup", now_us(), 30 * MINUTE, st, sizeof st);
	ck_assert_uint_eq(http(&s, "POST", "/v1/statements", st, n, &ans), 201);
	free(ans);
	bool cosigned = false;
	for (int i = 0; i < 100 && !cosigned; i++) {
		ck_assert_uint_eq(http(&s, "GET", "/checkpoint", NULL, 0, &cp), 200);
		cosigned = strstr(cp, "\xe2\x80\x94 witness.example/w1 ") != NULL;
		free(cp);
		if (!cosigned)
			usleep(100000);
	}
	ck_assert(cosigned);
	ck_assert_int_eq(srv_stop(&s), 0);
	kill(w.pid, SIGTERM);
	waitpid(w.pid, NULL, 0);
	/* the older backup in the ledger's place, the witness down: it starts
	 * (a witness down cannot tell, and the mark is elsewhere) and writes */
	rm_rf(s.ledger);
	ck_assert(rename(backup, s.ledger) == 0);
	rm_rf(mark);
	srv_spawn(&s, extra);
	n = memo(s.ru, "while-down", "the witness is down", now_us(), 30 * MINUTE, st, sizeof st);
	ck_assert_uint_eq(http(&s, "POST", "/v1/statements", st, n, &ans), 201);
	free(ans);
	/* the witness back, on its port, with what it cosigned: writes stop */
	witness_spawn_at(&w, wkey, opvk, state, listen);
	unsigned code = 0;
	for (int i = 0; i < 100 && code != 503; i++) {
		char idem[32];
		snprintf(idem, sizeof idem, "after-%d", i);
		n = memo(s.ru, idem, "after the witness came back", now_us(), 30 * MINUTE, st,
			 sizeof st);
		code = http(&s, "POST", "/v1/statements", st, n, &ans);
		ck_assert_msg(code == 201 || code == 503, "%u %s", code, ans);
		if (code == 503)
			ck_assert_msg(strstr(ans, "does not extend a checkpoint it published"), "%s",
				      ans);
		free(ans);
		if (code != 503)
			usleep(100000);
	}
	ck_assert_msg(code == 503, "writes went on behind the witness's tree");
	ck_assert_int_eq(srv_stop(&s), 0);
	kill(w.pid, SIGTERM);
	waitpid(w.pid, NULL, 0);
	free(wkey);
	free(state);
	free(backup);
	free(mark);
	srv_free(&s);
}
END_TEST

/* ---- kill -9 under load ---- */

#define FAULT_STATEMENTS 2000u /* at least */
#define FAULT_PER_KILL 400u     /* statements a kill, in a long run */
#define FAULT_CLIENTS 4u
#define FAULT_KILLS_DEFAULT 5u /* CORRIDOR_SERVE_KILLS=N runs more (a long run: 100) */

struct fault {
	_Atomic unsigned port;
	uint8_t (*st)[512];
	size_t *len;
	uint64_t *acked; /* the seq each statement's receipt named, UINT64_MAX until then */
	_Atomic unsigned done_clients;
	_Atomic size_t acked_total;
	unsigned id;
	size_t count;
};

/* POSTs statements [from, from+n) as one request; on an answer, records
 * their seqs and returns true. No assertion: this runs on client threads. */
static bool fault_post(struct fault *f, size_t from, size_t n)
{
	uint8_t body[16 * 520];
	size_t bl = 0;
	body[bl++] = (uint8_t)(0x90u | n);
	for (size_t i = 0; i < n; i++) {
		body[bl++] = 0xc5;
		body[bl++] = (uint8_t)(f->len[from + i] >> 8);
		body[bl++] = (uint8_t)f->len[from + i];
		memcpy(body + bl, f->st[from + i], f->len[from + i]);
		bl += f->len[from + i];
	}
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)f->port) };
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	char head[256], buf[1 << 16];
	size_t got = 0;
	bool ok = false;
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
		goto out;
	int hn = snprintf(head, sizeof head,
			  "POST /v1/statements HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
			  "Content-Length: %zu\r\n\r\n",
			  bl);
	if (write(fd, head, (size_t)hn) != hn || write(fd, body, bl) != (ssize_t)bl)
		goto out;
	for (ssize_t r; got < sizeof buf - 1 && (r = read(fd, buf + got, sizeof buf - 1 - got)) > 0;)
		got += (size_t)r;
	buf[got] = '\0';
	unsigned status = 0;
	if (sscanf(buf, "HTTP/1.1 %u", &status) != 1 || (status != 200 && status != 201))
		goto out;
	const char *p = buf;
	for (size_t i = 0; i < n; i++) {
		if (!(p = strstr(p, "\"seq\":")))
			goto out;
		p += 6;
		f->acked[from + i] = strtoull(p, NULL, 10);
	}
	ok = true;
out:
	if (fd >= 0)
		close(fd);
	return ok;
}

static void *fault_client(void *arg)
{
	struct fault *f = arg;
	unsigned id = __atomic_fetch_add(&f->id, 1u, __ATOMIC_RELAXED);
	size_t per = f->count / FAULT_CLIENTS, at = id * per, end = at + per;
	unsigned seed = 7u + id;
	while (at < end) {
		size_t n = 1 + (size_t)((unsigned)rand_r(&seed) % 12u);
		if (n > end - at)
			n = end - at;
		while (!fault_post(f, at, n)) /* no answer: the same bytes again */
			usleep(20000);
		__atomic_fetch_add(&f->acked_total, n, __ATOMIC_RELEASE);
		at += n;
	}
	__atomic_fetch_add(&f->done_clients, 1u, __ATOMIC_RELEASE);
	return NULL;
}

static int count_memo(void *vctx, uint64_t seq, const uint8_t *bytes, size_t len)
{
	struct fault *f = vctx;
	struct corridor_entry e;
	unsigned k;
	ck_assert_int_eq(corridor_entry_decode(bytes, len, &e, NULL), 0);
	if (strcmp(e.kind, "memo") != 0)
		return 0;
	ck_assert_int_eq(sscanf(e.idempotency_key, "fault-%u", &k), 1);
	ck_assert_uint_lt(k, f->count);
	/* recorded once, where its receipt said */
	ck_assert_msg(f->acked[k] == seq, "statement %u at seq %llu, its receipt said %llu", k,
		      (unsigned long long)seq, (unsigned long long)f->acked[k]);
	f->acked[k] = UINT64_MAX - 1; /* seen */
	return 0;
}

/* The server is killed with SIGKILL at random moments while four clients
 * send pre-signed statements and retry the same bytes when an answer is
 * lost: nothing acknowledged is lost, nothing is recorded twice, the ledger
 * verifies. */
START_TEST(serve_survives_kill_9)
{
	struct srv s;
	struct fault f = { 0 };
	const char *env_kills = getenv("CORRIDOR_SERVE_KILLS");
	unsigned kills = env_kills ? (unsigned)strtoul(env_kills, NULL, 10) : FAULT_KILLS_DEFAULT;
	/* enough statements between kills that the clients cannot finish
	 * between two looks of the killer (a faster server made 60 a kill too
	 * few: the last kill found the clients done) */
	f.count = kills * FAULT_PER_KILL > FAULT_STATEMENTS ? kills * FAULT_PER_KILL
							     : FAULT_STATEMENTS;
	f.count = f.count / FAULT_CLIENTS * FAULT_CLIENTS;
	f.count -= f.count % FAULT_CLIENTS;
	f.st = malloc(f.count * sizeof *f.st);
	f.len = calloc(f.count, sizeof *f.len);
	f.acked = malloc(f.count * sizeof *f.acked);
	srv_start(&s);
	uint64_t t = now_us();
	for (unsigned i = 0; i < f.count; i++) { /* signed before the clock starts */
		char idem[32];
		snprintf(idem, sizeof idem, "fault-%u", i);
		f.len[i] = memo(s.ru, idem, idem, t, 30 * MINUTE, f.st[i], sizeof f.st[i]);
		f.acked[i] = UINT64_MAX;
	}
	f.port = s.port;
	pthread_t th[FAULT_CLIENTS];
	for (unsigned i = 0; i < FAULT_CLIENTS; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, fault_client, &f), 0);
	unsigned seed = 42, done_kills = 0;
	while (__atomic_load_n(&f.done_clients, __ATOMIC_ACQUIRE) < FAULT_CLIENTS) {
		/* each kill at a random moment, once the clients have made their
		 * share of progress since the last: all of them happen under load */
		usleep(500 + (useconds_t)((unsigned)rand_r(&seed) % 4000u));
		if (done_kills >= kills ||
		    __atomic_load_n(&f.acked_total, __ATOMIC_ACQUIRE) <
			    (done_kills + 1) * f.count / (kills + 1))
			continue;
		kill(s.pid, SIGKILL);
		int st;
		while (waitpid(s.pid, &st, 0) < 0 && errno == EINTR) {
		}
		done_kills++;
		srv_spawn(&s, NULL);
		f.port = s.port;
	}
	for (unsigned i = 0; i < FAULT_CLIENTS; i++)
		pthread_join(th[i], NULL);
	ck_assert_int_eq(srv_stop(&s), 0);
	/* every statement acknowledged, and in the ledger exactly once, where its
	 * receipt said; the seqs dense; everything verifies */
	struct corridor_ledger *l;
	struct corridor_diag d;
	struct corridor_head h;
	ck_assert_int_eq(corridor_ledger_open(s.ledger, 0, &l, &d), 0);
	ck_assert_int_eq(corridor_ledger_scan(l, 0, 0, count_memo, &f), 0);
	for (unsigned i = 0; i < f.count; i++)
		ck_assert_msg(f.acked[i] == UINT64_MAX - 1, "statement %u is not in the ledger", i);
	ck_assert_int_eq(corridor_ledger_head(l, &h), 0);
	ck_assert_uint_eq(h.size, 2 + f.count);
	corridor_diag_init(&d);
	ck_assert_msg(corridor_ledger_verify(l, NULL, NULL, &d) == 0, "%s", d.text);
	corridor_ledger_close(l);
	ck_assert_uint_eq(done_kills, kills);
	fprintf(stderr, "serve: %u SIGKILLs under load: %zu statements, each recorded once\n",
		done_kills, f.count);
	free(f.st);
	free(f.len);
	free(f.acked);
	srv_free(&s);
}
END_TEST

/* ---- TLS ---- */

/* corridor serve over TLS with a certificate for 127.0.0.1; the client
 * checks it against --cacert, and refuses a server it cannot check. */
START_TEST(serve_over_tls)
{
	struct srv s;
	char *dir = tmpdir_new(), cmd[2048];
	char *cert = strdup(path_join(dir, "cert.pem")), *key = strdup(path_join(dir, "key.pem"));
	snprintf(cmd, sizeof cmd,
		 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
		 "-keyout '%s' -out '%s' -days 2 -subj /CN=127.0.0.1 "
		 "-addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1",
		 key, cert);
	ck_assert_int_eq(system(cmd), 0);
	srv_start_with(&s, (const char *const[]){ "--tls-cert", cert, "--tls-key", key, NULL });
	struct remote r;
	remote_init(&r, &s, "https");
	struct run x;
	/* the operator's own statement, over TLS, the certificate checked */
	char *out = remote_ok(&r, (const char *const[]){ "--cacert", cert, "memo", "--key",
							  s.opkey, "over TLS", NULL });
	ck_assert_str_eq(out, "2\n");
	free(out);
	/* without the CA: the certificate cannot be checked, nothing is sent */
	x = remote_run(&r, (const char *const[]){ "memo", "--key", s.opkey, "unchecked", NULL });
	ck_assert_int_eq(x.status, 3);
	ck_assert_msg(strstr(x.err, "cannot reach") && strchr(x.err, '\n') == x.err + strlen(x.err) - 1,
		      "%s", x.err);
	run_free(&x);
	/* plain HTTP to the TLS port is no request */
	snprintf(r.url, sizeof r.url, "http://127.0.0.1:%u", s.port);
	x = remote_run(&r, (const char *const[]){ "memo", "--key", s.opkey, "plain", NULL });
	ck_assert_int_ne(x.status, 0);
	run_free(&x);
	ck_assert_int_eq(srv_stop(&s), 0);
	cli_ok((const char *const[]){ "verify", "--ledger", s.ledger, NULL });
	srv_free(&s);
	rm_rf(dir);
	free(dir);
	free(cert);
	free(key);
}
END_TEST

/* ---- settlement from a verified replica ---- */

/* The settlement agent on its own machine: its replica is fed from the
 * server's archive and verified; the batch computed from it is signed there
 * and accepted by the server, which recomputes it at its seq. */
START_TEST(settle_from_a_replica)
{
	struct srv s;
	struct corridor_diag d;
	struct corridor_ledger *l;
	struct corridor_signer *op, *buy = test_signer("CN-BUY", 0x22);
	uint64_t seq;
	srv_start(&s);
	const char *env[] = { "CORRIDOR_PASSPHRASE=serve-test", NULL };
	char *agent_key = strdup(path_join(s.dir, "agent.key"));
	struct run x = run_cli((const char *const[]){ "key", "generate", "--name", "SETTLER", "--out",
						      agent_key, "--kdf", "interactive", NULL },
			       env);
	ck_assert_int_eq(x.status, 0);
	run_free(&x);
	struct corridor_vkey agent;
	ck_assert_int_eq(corridor_key_read_public(agent_key, &agent, &d), 0);
	/* the ledger's history, written beside the server */
	ck_assert_int_eq(corridor_signer_load(s.opkey, "serve-test", 10, &op, &d), 0);
	ck_assert_int_eq(corridor_ledger_open(s.ledger, 0, &l, &d), 0);
	struct corridor_party_request r = { .id = "CN-BUY", .name = "buyer", .country = "CN",
					    .roles = CORRIDOR_ROLE_BUYER,
					    .key = *corridor_signer_vkey(buy) };
	ck_assert_int_eq(corridor_party_register(l, op, &r, NULL, &seq, &d), 0);
	r = (struct corridor_party_request){ .id = "SETTLER", .name = "agent", .country = "MN",
					     .roles = CORRIDOR_ROLE_SETTLEMENT, .key = agent };
	ck_assert_msg(corridor_party_register(l, op, &r, NULL, &seq, &d) == 0, "%s", d.text);
	char wvk[CORRIDOR_VKEY_BYTES_MAX + 1];
	char *wkey = party_key(&s, "MN-WATCH", wvk);
	r = (struct corridor_party_request){ .id = "MN-WATCH", .name = "a party watching",
					     .country = "MN", .roles = CORRIDOR_ROLE_BUYER };
	ck_assert_int_eq(corridor_vkey_parse(wvk, strlen(wvk), &r.key), 0);
	ck_assert_msg(corridor_party_register(l, op, &r, NULL, &seq, &d) == 0, "%s", d.text);
	g1_january(l, &s, buy);
	/* what the server serves ends at a signed checkpoint (its own batches sign
	 * one each; these local writes by the parties did not) */
	uint64_t signed_size;
	ck_assert_int_eq(corridor_checkpoint_sign(l, op, &signed_size, &d), 0);
	corridor_ledger_close(l);
	/* the agent settles January over the network, from its replica */
	struct remote rm;
	remote_init(&rm, &s, "http");
	char *replica = strdup(path_join(s.dir, "replica"));
	x = remote_run(&rm, (const char *const[]){ "settle", "run", "--key", agent_key, "--period",
						    "2026-01", NULL });
	ck_assert_int_eq(x.status, 2); /* without a replica: said so */
	ck_assert_msg(strstr(x.err, "--replica"), "%s", x.err);
	run_free(&x);
	char *out = remote_ok(&rm, (const char *const[]){ "settle", "run", "--key", agent_key,
							   "--period", "2026-01", "--replica", replica,
							   NULL });
	ck_assert_msg(strstr(out, "INV-G1-2026-01"), "%s", out);
	free(out);
	/* the replica is a verified copy: it syncs, and verifies on its own */
	out = remote_ok(&rm, (const char *const[]){ "import", "--key", agent_key, "--ledger", replica,
						     NULL });
	ck_assert_msg(strstr(out, "replica"), "%s", out);
	free(out);
	cli_ok((const char *const[]){ "verify", "--ledger", replica, NULL });
	/* a replica from the service's tiles: the bundles are a signed read by
	 * a reader entitled to them */
	{
		char turl[64];
		snprintf(turl, sizeof turl, "http://127.0.0.1:%u", s.port);
		const char *tenv[] = { "CORRIDOR_PASSPHRASE=serve-test", NULL };
		char *trep = strdup(path_join(s.dir, "tiles-replica"));
		x = run_cli((const char *const[]){ "import", "--tiles", turl, "--vkey", rm.vkey,
						   "--ledger", trep, NULL },
			    tenv);
		ck_assert_msg(x.status == 1 && strstr(x.err, "entitled to everything"), "%d %s",
			      x.status, x.err);
		run_free(&x);
		x = run_cli((const char *const[]){ "import", "--tiles", turl, "--vkey", rm.vkey,
						   "--key", agent_key, "--ledger", trep, NULL },
			    tenv);
		ck_assert_msg(x.status == 0 && strstr(x.out, "holds"), "%s %s", x.out, x.err);
		run_free(&x);
		cli_ok((const char *const[]){ "verify", "--ledger", trep, NULL });
		free(trep);
		/* monitors of the service: the agent gets every entry; a party not
		 * entitled to them verifies the tree, and its own entries from its
		 * view, each checked against the tree's leaf at its seq */
		char *ast = strdup(path_join(s.dir, "mon-agent")),
		     *wst = strdup(path_join(s.dir, "mon-watch"));
		x = run_cli((const char *const[]){ "monitor", "--from", turl, "--vkey", rm.vkey,
						   "--state", ast, "--key", agent_key, NULL },
			    tenv);
		ck_assert_msg(x.status == 0 && strstr(x.out, "every one verified"), "%s %s", x.out,
			      x.err);
		run_free(&x);
		x = run_cli((const char *const[]){ "monitor", "--from", turl, "--vkey", rm.vkey,
						   "--state", wst, "--key", wkey, "--watch",
						   "MN-WATCH", NULL },
			    tenv);
		ck_assert_msg(x.status == 0 && strstr(x.out, "the tree alone is verified") &&
				      strstr(x.out, "watch MN-WATCH: ") &&
				      strstr(x.out, "party.register") &&
				      !strstr(x.out, "delivery.record") &&
				      strstr(x.out, "watch: 1 new entries concern MN-WATCH"),
			      "%d %s %s", x.status, x.out, x.err);
		run_free(&x);
		/* without its key, a party's watch has no entries to look at */
		x = run_cli((const char *const[]){ "monitor", "--from", turl, "--vkey", rm.vkey,
						   "--state", path_join(s.dir, "mon-nokey"),
						   "--watch", "MN-WATCH", NULL },
			    tenv);
		ck_assert_msg(x.status == 1 && strstr(x.err, "--watch needs the entries"), "%d %s",
			      x.status, x.err);
		run_free(&x);
		/* the tree of that run was recorded, but what it could not watch is
		 * shown by the next run that can */
		x = run_cli((const char *const[]){ "monitor", "--from", turl, "--vkey", rm.vkey,
						   "--state", path_join(s.dir, "mon-nokey"), "--key",
						   wkey, "--watch", "MN-WATCH", NULL },
			    tenv);
		ck_assert_msg(x.status == 0 && strstr(x.out, "no new entries") &&
				      strstr(x.out, "watch: 1 new entries concern MN-WATCH"),
			      "%d %s %s", x.status, x.out, x.err);
		run_free(&x);
		free(ast);
		free(wst);
	}
	/* a new replica from nothing, by the operator (also entitled to it) */
	x = remote_run(&rm, (const char *const[]){ "import", "--key", s.opkey, "--ledger",
						    path_join(s.dir, "replica2"), NULL });
	ck_assert_msg(x.status == 0, "%s", x.err);
	run_free(&x);
	ck_assert_int_eq(srv_stop(&s), 0);
	cli_ok((const char *const[]){ "verify", "--ledger", s.ledger, NULL });
	x = run_cli((const char *const[]){ "settle", "show", "2026-01", "--ledger", s.ledger, NULL },
		    env);
	ck_assert_msg(x.status == 0 && strstr(x.out, "INV-G1-2026-01"), "%s %s", x.out, x.err);
	run_free(&x);
	corridor_signer_free(op);
	corridor_signer_free(buy);
	free(replica);
	free(agent_key);
	free(wkey);
	srv_free(&s);
}
END_TEST

Suite *suite_serve(void)
{
	/* a client writing to a server it just killed gets EPIPE, not a signal */
	signal(SIGPIPE, SIG_IGN);
	Suite *s = suite_create("serve");
	TCase *tc = tcase_create("serve");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, serve_statements);
	tcase_add_test(tc, serve_hostile_clients);
	tcase_add_test(tc, serve_thousand_idle_connections);
	tcase_add_test(tc, remote_mode);
	tcase_add_test(tc, remote_writes_that_read_first);
	tcase_add_test(tc, remote_import_as_series);
	tcase_add_test(tc, serve_gathers_and_sheds);
	tcase_add_test(tc, signed_reads_who_sees_what);
	tcase_add_test(tc, json_views_who_sees_what);
	tcase_add_test(tc, witness_cosigns_consistent_checkpoints);
	tcase_add_test(tc, serve_sends_checkpoints_to_witnesses);
	tcase_add_test(tc, serve_keeps_a_high_water_mark);
	tcase_add_test(tc, serve_stops_writes_behind_a_witness);
	tcase_add_test(tc, serve_survives_kill_9);
	tcase_add_test(tc, serve_over_tls);
	tcase_add_test(tc, settle_from_a_replica);
	suite_add_tcase(s, tc);
	return s;
}
