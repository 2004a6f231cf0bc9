/* util.c — option parsing, passphrases, errors and terminal output. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"
#include "../client/client.h"

const struct cli_cmd *cli_current;
const char *cli_global_ledger, *cli_global_pass_file;

const char *cli_usage_line(void)
{
	return cli_current ? cli_synopsis(cli_current) : "corridor --help";
}

static const struct cli_opt *binding(const struct cli_opt *opts, size_t nopts, const char *name,
				     size_t nlen)
{
	for (size_t k = 0; k < nopts; k++)
		if (strlen(opts[k].name) == nlen && memcmp(opts[k].name, name, nlen) == 0)
			return &opts[k];
	return NULL;
}

/* The table's entry for `path`, or for a family the entry of its
 * subcommand (the first positional: option values skipped by the bindings).
 * NULL after printing the usage error. */
const char *cli_subcommand(int argc, char **argv, const struct cli_opt *opts, size_t nopts)
{
	const char *sub = NULL;
	for (int i = 0; i < argc && !sub; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			sub = i + 1 < argc ? argv[i + 1] : NULL;
			break;
		}
		if (a[0] == '-' && a[1] == '-' && a[2]) {
			const char *eq = strchr(a + 2, '=');
			const struct cli_opt *o =
				binding(opts, nopts, a + 2, eq ? (size_t)(eq - a - 2) : strlen(a + 2));
			if (o && !o->flag && !eq)
				i++; /* its value */
			continue;
		}
		if (a[0] != '-')
			sub = a;
	}
	return sub;
}

static const struct cli_cmd *resolve(const char *path, int argc, char **argv,
				     const struct cli_opt *opts, size_t nopts)
{
	const char *sub = cli_subcommand(argc, argv, opts, nopts);
	char full[128];
	const struct cli_cmd *c = NULL;
	if (sub && (size_t)snprintf(full, sizeof full, "%s %s", path, sub) < sizeof full)
		c = cli_cmd_find(full);
	if (!c)
		c = cli_cmd_find(path);
	if (c)
		return c;
	bool help = false;
	for (int i = 0; i < argc && !help; i++)
		help = !strcmp(argv[i], "--help") || !strcmp(argv[i], "-h");
	char hv[] = "--help", *hargv[] = { hv };
	if (help)
		exit(cli_no_subcommand(path, 1, hargv));
	char *sv = (char *)(uintptr_t)sub, *sargv[] = { sv };
	cli_no_subcommand(path, sub ? 1 : 0, sargv);
	return NULL;
}

bool cli_parse(int argc, char **argv, const struct cli_opt *opts, size_t nopts,
	       const char **pos, size_t pos_min, size_t pos_max, size_t *npos, const char *path)
{
	const struct cli_cmd *c = resolve(path, argc, argv, opts, nopts);
	if (!c)
		return false;
	cli_current = c;
	/* the table and the parser cannot drift: every option the table lists
	 * for c is one this command parses */
	const struct cli_optdoc *doc;
	for (size_t i = 0; (doc = cli_cmd_opt_at(c, i)) != NULL; i++) {
		const struct cli_opt *o = binding(opts, nopts, doc->name, strlen(doc->name));
		if (!o || (!doc->arg) != (o->flag != NULL) || (doc->flags & CLI_MANY) != (o->list ? CLI_MANY : 0u)) {
			fprintf(stderr, "corridor: internal error: 'corridor %s' documents --%s as it "
					"does not parse it\n",
				c->path, doc->name);
			abort();
		}
	}
	const char *usage = cli_synopsis(c);
	for (int i = 0; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			cli_help(c, stdout);
			exit(fflush(stdout) == 0 && !ferror(stdout) ? EXIT_OK : EXIT_STORAGE);
		}
	size_t np = 0;
	bool only_pos = false;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (!only_pos && strcmp(a, "--") == 0) {
			only_pos = true;
			continue;
		}
		/* hledger's short forms, where the command has the long option */
		const char *alias = only_pos ? NULL : cli_short_option(c, a);
		if (alias)
			a = alias;
		if (!only_pos && a[0] == '-' && a[1] == '-' && a[2] != '\0') {
			const char *name = a + 2, *eq = strchr(name, '=');
			size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
			const struct cli_opt *o =
				cli_cmd_opt(c, name, nlen) ? binding(opts, nopts, name, nlen) : NULL;
			/* with --server, a command that reads takes the reader's key
			 * and the replica it reads (docs/SERVICE.md "Reads") */
			const char **remote_slot = NULL;
			if (!o && cli_server.url) {
				if (nlen == 3 && !memcmp(name, "key", 3))
					remote_slot = &cli_server.read_key;
				else if (nlen == 15 && !memcmp(name, "passphrase-file", 15))
					remote_slot = &cli_server.read_pass_file;
				else if (nlen == 7 && !memcmp(name, "replica", 7))
					remote_slot = &cli_server.replica;
			}
			if (o && !o->list && !o->flag && cli_server.url &&
			    ((nlen == 3 && !memcmp(name, "key", 3)) ||
			     (nlen == 15 && !memcmp(name, "passphrase-file", 15)))) {
				/* the command's own --key signs its reads too */
				const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[i + 1] : NULL);
				if (nlen == 3)
					cli_server.read_key = v;
				else
					cli_server.read_pass_file = v;
			}
			if (remote_slot) {
				const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
				if (!v) {
					cli_usage("--%.*s needs a value; usage: %s", (int)nlen, name, usage);
					return false;
				}
				*remote_slot = v;
				continue;
			}
			if (!o && ((nlen == 3 && !memcmp(name, "key", 3)) ||
				   (nlen == 7 && !memcmp(name, "replica", 7)))) {
				cli_usage("'corridor %s' takes --%.*s with --server only (a signed read "
					  "of the server, or its verified replica)",
					  c->path, (int)nlen, name);
				return false;
			}
			if (!o) {
				char shown[CLI_SAFE_BYTES_MAX];
				snprintf(shown, sizeof shown, "%.*s", (int)(nlen < 64 ? nlen : 64), name);
				const char *near = cli_suggest_option(c, name, nlen);
				if (near)
					cli_usage("unknown option --%s for 'corridor %s'; did you mean --%s?",
						  cli_safe(shown), c->path, near);
				else
					cli_usage("unknown option --%s for 'corridor %s' (see 'corridor %s "
						  "--help')",
						  cli_safe(shown), c->path, c->path);
				return false;
			}
			if (o->list) {
				const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
				if (!v) {
					cli_usage("--%s needs a value; usage: %s", o->name, usage);
					return false;
				}
				if (*o->count >= o->max) {
					cli_usage("--%s is given more than %zu times", o->name, o->max);
					return false;
				}
				o->list[(*o->count)++] = v;
			} else if (o->flag) {
				if (eq) {
					cli_usage("--%s takes no value; usage: %s", o->name, usage);
					return false;
				}
				*o->flag = true;
			} else if (eq) {
				*o->value = eq + 1;
			} else if (i + 1 < argc) {
				*o->value = argv[++i];
			} else {
				cli_usage("--%s needs a value; usage: %s", o->name, usage);
				return false;
			}
			continue;
		}
		if (np >= pos_max) {
			cli_usage("unexpected argument '%s'; usage: %s", cli_safe(a), usage);
			return false;
		}
		pos[np++] = a;
	}
	if (np < pos_min) {
		cli_usage("missing argument; usage: %s", usage);
		return false;
	}
	*npos = np;
	return true;
}

int cli_usage(const char *fmt, ...)
{
	va_list ap;
	fputs("corridor: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_USAGE;
}

int cli_exit_code(int err)
{
	switch (err) {
	case CORRIDOR_OK:
		return EXIT_OK;
	case CORRIDOR_E_IO:
	case CORRIDOR_E_STORAGE:
	case CORRIDOR_E_FULL:
	case CORRIDOR_E_NOMEM:
	case CORRIDOR_E_CRYPTO:
		return EXIT_STORAGE;
	default:
		return EXIT_REFUSED;
	}
}

int cli_fail(int err, const struct corridor_diag *diag)
{
	const char *text = diag && diag->text[0] ? diag->text : corridor_strerror(err);
	if (diag && diag->has_seq)
		fprintf(stderr, "corridor: at seq %llu: %s\n", (unsigned long long)diag->seq, text);
	else
		fprintf(stderr, "corridor: %s\n", text);
	return cli_exit_code(err);
}

const char *cli_ledger_dir(const char *opt)
{
	if (opt && *opt)
		return opt;
	if (cli_global_ledger && *cli_global_ledger)
		return cli_global_ledger;
	const char *env = getenv("CORRIDOR_LEDGER");
	if (env && *env)
		return env;
	return "./corridor-ledger";
}

struct cli_server cli_server;
static struct corridor_client *g_client; /* the one connection of this process */

static void client_free(void)
{
	corridor_client_free(g_client);
	g_client = NULL;
}

int cli_take_global_options(int argc, char **argv)
{
	int w = 0;
	bool before_command = true; /* argv[0] is the program */
	for (int i = 0; i < argc; i++) {
		const char **slot = NULL;
		if (i > 0 && before_command && argv[i][0] != '-')
			before_command = false;
		if (strcmp(argv[i], "--") == 0) { /* the rest is the command's */
			while (i < argc)
				argv[w++] = argv[i++];
			break;
		}
		if (strcmp(argv[i], "--server") == 0)
			slot = &cli_server.url;
		else if (strcmp(argv[i], "--server-vkey") == 0)
			slot = &cli_server.vkey;
		else if (strcmp(argv[i], "--cacert") == 0)
			slot = &cli_server.cacert;
		else if (before_command && strcmp(argv[i], "--ledger") == 0)
			slot = &cli_global_ledger;
		else if (before_command && strcmp(argv[i], "--passphrase-file") == 0)
			slot = &cli_global_pass_file;
		if (!slot) {
			argv[w++] = argv[i];
			continue;
		}
		if (i + 1 >= argc) {
			cli_usage("%s needs a value", argv[i]);
			return -1;
		}
		*slot = argv[++i];
	}
	argv[w] = NULL;
	if (!cli_server.url && getenv("CORRIDOR_SERVER") && *getenv("CORRIDOR_SERVER"))
		cli_server.url = getenv("CORRIDOR_SERVER");
	if (!cli_server.vkey && getenv("CORRIDOR_SERVER_VKEY") && *getenv("CORRIDOR_SERVER_VKEY"))
		cli_server.vkey = getenv("CORRIDOR_SERVER_VKEY");
	return w;
}


static int client_connect(void)
{
	struct corridor_diag d;
	corridor_diag_init(&d);
	if (g_client)
		return EXIT_OK;
	struct corridor_client_options o = { .url = cli_server.url, .server_vkey = cli_server.vkey,
					     .cacert = cli_server.cacert };
	int err = corridor_client_open(&o, &g_client, &d);
	if (err)
		return cli_fail(err, &d);
	atexit(client_free);
	return EXIT_OK;
}

/* The ledger behind --server: writes are signed here and sequenced there. */
static int open_remote(struct corridor_ledger **out)
{
	struct corridor_diag d;
	corridor_diag_init(&d);
	int rc = client_connect();
	if (rc)
		return rc;
	int err = corridor_ledger_open_remote(corridor_client_remote(g_client), out, &d);
	return err ? cli_fail(err, &d) : EXIT_OK;
}

/* A signed read's body (malloc'd, NUL-terminated); an exit code. */
/* The reader's key, unsealed once a run (Argon2id costs by design): a
 * command that makes several signed reads asks for it once. */
static struct corridor_signer *g_reader;
static const char *g_reader_path;

static void reader_free(void)
{
	corridor_signer_free(g_reader);
	g_reader = NULL;
}

static int remote_fetch(const char *key, const char *pass_file, const char *path,
			const char *query, char **body, size_t *len)
{
	struct corridor_diag d;
	corridor_diag_init(&d);
	*body = NULL;
	*len = 0;
	if (!key)
		return cli_usage("with --server, a read is signed: give --key FILE (the reader's key)");
	int rc = client_connect();
	if (rc)
		return rc;
	if (!g_reader || strcmp(g_reader_path, key) != 0) {
		reader_free();
		if ((rc = cli_signer(key, pass_file, &g_reader)) != 0)
			return rc;
		g_reader_path = key;
		static bool registered;
		if (!registered)
			registered = atexit(reader_free) == 0;
	}
	int err = corridor_client_get(g_client, g_reader, path, query, body, len, &d);
	return err ? cli_fail(err, &d) : EXIT_OK;
}

int cli_remote_get(const char *key, const char *pass_file, const char *path, const char *query)
{
	char *body;
	size_t len;
	int rc = remote_fetch(key, pass_file, path, query, &body, &len);
	if (rc)
		return rc;
	bool ok = fwrite(body, 1, len, stdout) == len;
	free(body);
	return ok ? EXIT_OK : EXIT_STORAGE;
}

struct find_contract {
	const char *id;
	struct corridor_contract *out;
	bool found;
};

static int find_contract_one(void *ctx, const struct corridor_contract *c)
{
	struct find_contract *f = ctx;
	if (strcmp(c->id, f->id) == 0) {
		memcpy(f->out, c, sizeof *c);
		f->found = true;
	}
	return 0;
}

int cli_view_contract(const char *id, struct corridor_contract *out)
{
	static char *body; /* the reader's view of its contracts, fetched once */
	static size_t len;
	if (!cli_server.url || !cli_server.read_key)
		return CORRIDOR_E_NOTFOUND;
	if (!body && remote_fetch(cli_server.read_key, cli_server.read_pass_file, "/v1/contracts",
				  "", &body, &len) != EXIT_OK)
		return CORRIDOR_E_IO;
	struct find_contract f = { .id = id, .out = out };
	struct corridor_diag d;
	corridor_diag_init(&d);
	int err = corridor_contracts_from_json(body, len, find_contract_one, &f, &d);
	return err ? err : f.found ? CORRIDOR_OK : CORRIDOR_E_NOTFOUND;
}

/* REPLICA_NOT_ENTITLED: the archive was refused (403) and `quiet` asked
 * for no message. */
#define REPLICA_NOT_ENTITLED (-1)

static int replica_sync(const char *key, const char *pass_file, const char *dir, uint64_t *size,
			bool quiet)
{
	struct corridor_signer *reader;
	struct corridor_ledger *r;
	struct corridor_vkey vk;
	struct corridor_diag d;
	struct corridor_head h = { 0 };
	char *body = NULL, query[48], tmp[4200];
	size_t len = 0;
	corridor_diag_init(&d);
	if (!key)
		return cli_usage("with --server, the archive is a signed read: give --key FILE");
	int rc = client_connect();
	if (rc || (rc = cli_vkey(cli_server.vkey, &vk)) != 0)
		return rc;
	/* from what the replica holds already */
	if (corridor_ledger_open(dir, CORRIDOR_OPEN_READONLY, &r, NULL) == 0) {
		if (corridor_ledger_head(r, &h) != 0)
			h.size = 0;
		corridor_ledger_close(r);
	}
	if ((rc = cli_signer(key, pass_file, &reader)) != 0)
		return rc;
	snprintf(query, sizeof query, "?from=%llu", (unsigned long long)h.size);
	int err = corridor_client_get(g_client, reader, "/v1/archive", query, &body, &len, &d);
	corridor_signer_free(reader);
	if (err == CORRIDOR_E_NOTFOUND && h.size > 0) { /* nothing newer */
		*size = h.size;
		return EXIT_OK;
	}
	if (err == CORRIDOR_E_REFUSED && quiet)
		return REPLICA_NOT_ENTITLED;
	if (err)
		return cli_fail(err, &d);
	/* to a private file, then imported: every entry verified, the checkpoint
	 * consistent with the replica's, all in one transaction */
	int n = snprintf(tmp, sizeof tmp, "%s.archive-XXXXXX", dir);
	int fd = n > 0 && (size_t)n < sizeof tmp ? mkstemp(tmp) : -1;
	bool ok = fd >= 0 && write(fd, body, len) == (ssize_t)len;
	if (fd >= 0 && close(fd) != 0)
		ok = false;
	free(body);
	if (!ok) {
		if (fd >= 0)
			unlink(tmp);
		fprintf(stderr, "corridor: cannot write the archive beside %s\n", cli_safe(dir));
		return EXIT_STORAGE;
	}
	err = corridor_archive_import(dir, tmp, &vk, size, &d);
	if (err == CORRIDOR_E_MALFORMED) {
		/* a reader not entitled to everything is sent its view instead */
		struct corridor_view_info info;
		struct corridor_diag dv;
		corridor_diag_init(&dv);
		if (corridor_view_verify(tmp, &vk, NULL, NULL, &info, &dv) == 0) {
			unlink(tmp);
			if (quiet)
				return REPLICA_NOT_ENTITLED;
			fprintf(stderr, "corridor: %s is not entitled to everything (operator, "
					"auditors, settlement): the server sent its view, which "
					"`export --format archive --out FILE` keeps and `verify --view "
					"FILE` checks; --format json shows its part\n",
				info.reader);
			return EXIT_REFUSED;
		}
	}
	unlink(tmp);
	return err ? cli_fail(err, &d) : EXIT_OK;
}

int cli_archive_fetch(uint64_t from, const char *out)
{
	struct corridor_signer *reader;
	struct corridor_vkey vk;
	struct corridor_diag d;
	char *body = NULL, query[48];
	size_t len = 0;
	corridor_diag_init(&d);
	if (!cli_server.read_key)
		return cli_usage("with --server, the archive is a signed read: give --key FILE");
	int rc = client_connect();
	if (rc || (rc = cli_vkey(cli_server.vkey, &vk)) != 0 ||
	    (rc = cli_signer(cli_server.read_key, cli_server.read_pass_file, &reader)) != 0)
		return rc;
	snprintf(query, sizeof query, "?from=%llu", (unsigned long long)from);
	int err = corridor_client_get(g_client, reader, "/v1/archive", query, &body, &len, &d);
	corridor_signer_free(reader);
	if (err)
		return cli_fail(err, &d);
	int fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	bool ok = fd >= 0 && write(fd, body, len) == (ssize_t)len && fsync(fd) == 0;
	if (fd >= 0 && close(fd) != 0)
		ok = false;
	free(body);
	if (!ok) {
		fprintf(stderr, "corridor: cannot write %s: %s\n", cli_safe(out), strerror(errno));
		if (fd >= 0)
			unlink(out);
		return EXIT_STORAGE;
	}
	/* kept only once verified: the whole archive, or the reader's view */
	err = from == 0 ? corridor_archive_verify(out, &vk, NULL, NULL, &d) : CORRIDOR_OK;
	if (!err) {
		printf("wrote %s: the archive from seq %llu\n", out, (unsigned long long)from);
		return EXIT_OK;
	}
	if (err == CORRIDOR_E_MALFORMED) {
		struct corridor_view_info info;
		corridor_diag_init(&d);
		if ((err = corridor_view_verify(out, &vk, NULL, NULL, &info, &d)) == 0) {
			printf("wrote %s: the view of %s, %zu of %llu entries, verified\n", out,
			       info.reader, info.count, (unsigned long long)info.size);
			return EXIT_OK;
		}
	}
	unlink(out);
	fprintf(stderr, "corridor: what the server sent does not verify: %s\n",
		d.text[0] ? d.text : corridor_strerror(err));
	return cli_exit_code(err);
}

int cli_replica_sync(const char *key, const char *pass_file, const char *dir, uint64_t *size)
{
	return replica_sync(key, pass_file, dir, size, false);
}

/* A read with --server: the reader's verified replica (--replica DIR, else
 * beside the client's state file), brought up to the server first, read
 * here. Only a reader entitled to everything gets the whole archive. */
static int open_replica(struct corridor_ledger **out, bool quiet)
{
	char dir[4200];
	uint64_t size;
	struct corridor_diag d;
	corridor_diag_init(&d);
	if (!cli_server.read_key)
		return cli_usage("with --server, a read is signed by the reader: give --key FILE");
	int rc = client_connect();
	if (rc)
		return rc;
	if (cli_server.replica)
		snprintf(dir, sizeof dir, "%s", cli_server.replica);
	else if (corridor_client_replica_path(g_client, dir, sizeof dir) != 0)
		return cli_usage("the replica's path is too long: give --replica DIR");
	rc = replica_sync(cli_server.read_key, cli_server.read_pass_file, dir, &size, quiet);
	if (rc)
		return rc;
	int err = corridor_ledger_open(dir, CORRIDOR_OPEN_READONLY, out, &d);
	return err ? cli_fail(err, &d) : EXIT_OK;
}

int cli_open(const char *opt_dir, struct corridor_ledger **out)
{
	struct corridor_diag d;
	corridor_diag_init(&d);
	if (cli_server.url)
		return open_remote(out);
	int err = corridor_ledger_open(cli_ledger_dir(opt_dir), 0, out, &d);
	return err ? cli_fail(err, &d) : EXIT_OK;
}

int cli_open_ro(const char *opt_dir, struct corridor_ledger **out)
{
	struct corridor_diag d;
	corridor_diag_init(&d);
	if (cli_server.url)
		return open_replica(out, false);
	int err = corridor_ledger_open(cli_ledger_dir(opt_dir), CORRIDOR_OPEN_READONLY, out, &d);
	return err ? cli_fail(err, &d) : EXIT_OK;
}

int cli_open_view(const char *opt_dir, enum cli_format f, const char *path, const char *query,
		  struct corridor_ledger **out, struct cli_doc *doc)
{
	*out = NULL;
	doc->body = NULL;
	doc->len = 0;
	if (!cli_server.url)
		return cli_open_ro(opt_dir, out);
	if (!cli_server.read_key)
		return cli_usage("with --server, a read is signed by the reader: give --key FILE");
	int rc = open_replica(out, true);
	if (rc != REPLICA_NOT_ENTITLED)
		return rc;
	*out = NULL; /* not entitled to the archive: the server's view of its part */
	if (f == CLI_JSONL) { /* a list, one object a line */
		char q[512];
		snprintf(q, sizeof q, "%s%sformat=jsonl", query, query[0] ? "&" : "?");
		return cli_remote_get(cli_server.read_key, cli_server.read_pass_file, path, q);
	}
	if (f == CLI_JSON)
		return cli_remote_get(cli_server.read_key, cli_server.read_pass_file, path, query);
	return remote_fetch(cli_server.read_key, cli_server.read_pass_file, path, query,
			    &doc->body, &doc->len);
}

int cli_view_fail(int err, const struct corridor_diag *d, struct cli_doc *doc)
{
	free(doc->body);
	doc->body = NULL;
	return err ? cli_fail(err, d) : ferror(stdout) ? EXIT_STORAGE : EXIT_OK;
}

/* value percent-encoded (all but unreserved characters) at q + at, within
 * cap; the new end. */
static size_t encode(char *q, size_t cap, size_t at, const char *value, const char *keep)
{
	static const char hexd[] = "0123456789ABCDEF";
	for (const unsigned char *v = (const unsigned char *)value; *v && at + 4 < cap; v++) {
		if ((*v >= 'A' && *v <= 'Z') || (*v >= 'a' && *v <= 'z') ||
		    (*v >= '0' && *v <= '9') || strchr(keep, *v)) {
			q[at++] = (char)*v;
		} else {
			q[at++] = '%';
			q[at++] = hexd[*v >> 4];
			q[at++] = hexd[*v & 15];
		}
	}
	q[at] = '\0';
	return at;
}

void cli_query_add(char *q, size_t cap, const char *name, const char *value)
{
	size_t at = strlen(q);
	if (!value)
		return;
	int n = snprintf(q + at, cap - at, "%c%s=", at ? '&' : '?', name);
	if (n < 0 || (size_t)n >= cap - at) {
		q[at] = '\0';
		return;
	}
	encode(q, cap, at + (size_t)n, value, "-._~/");
}

void cli_view_path(char out[CLI_VIEW_PATH_BYTES], const char *prefix, const char *segment)
{
	int n = snprintf(out, CLI_VIEW_PATH_BYTES, "%s", prefix);
	encode(out, CLI_VIEW_PATH_BYTES, n > 0 && n < CLI_VIEW_PATH_BYTES ? (size_t)n : 0, segment,
	       "-._~");
}

static char *secure_buf(void)
{
	char *p = sodium_malloc(CORRIDOR_PASSPHRASE_BYTES_MAX + 2);
	if (p)
		memset(p, 0, CORRIDOR_PASSPHRASE_BYTES_MAX + 2);
	return p;
}

void cli_passphrase_free(char *p, size_t len)
{
	(void)len;
	if (p)
		sodium_free(p); /* wipes */
}

/* Strips one trailing "\n" or "\r\n". */
static size_t chomp(char *s, size_t n)
{
	if (n > 0 && s[n - 1] == '\n')
		n--;
	if (n > 0 && s[n - 1] == '\r')
		n--;
	s[n] = '\0';
	return n;
}

/* Reads one line from the terminal; a line longer than the limit is refused
 * (returns false), never cut: a cut passphrase would seal a key with less
 * than the user typed. */
static bool prompt(int fd, const char *question, char *buf, size_t *len)
{
	bool too_long = false;
	struct termios old, quiet;
	bool echo_off = tcgetattr(fd, &old) == 0;
	if (echo_off) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(fd, TCSAFLUSH, &quiet);
	}
	if (write(fd, question, strlen(question)) < 0) {
		/* ignore: the question is cosmetic */
	}
	size_t n = 0;
	for (;;) {
		char c;
		ssize_t r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || c == '\n')
			break;
		if (n < CORRIDOR_PASSPHRASE_BYTES_MAX)
			buf[n++] = c;
		else
			too_long = true;
	}
	if (echo_off)
		tcsetattr(fd, TCSAFLUSH, &old);
	if (write(fd, "\n", 1) < 0) {
		/* cosmetic */
	}
	*len = chomp(buf, n);
	return !too_long;
}

int cli_passphrase(const char *file_opt, bool confirm, char **out, size_t *len)
{
	char *buf = secure_buf();
	size_t n = 0;
	if (!buf)
		return cli_fail(CORRIDOR_E_NOMEM, NULL);
	if (!file_opt)
		file_opt = cli_global_pass_file;
	if (file_opt) {
		FILE *f = fopen(file_opt, "rb");
		if (!f) {
			fprintf(stderr, "corridor: cannot read passphrase file %s: %s\n", file_opt,
				strerror(errno));
			sodium_free(buf);
			return EXIT_STORAGE;
		}
		n = fread(buf, 1, CORRIDOR_PASSPHRASE_BYTES_MAX + 1, f);
		fclose(f);
		if (n > CORRIDOR_PASSPHRASE_BYTES_MAX) {
			sodium_free(buf);
			return cli_usage("the passphrase file is longer than %u bytes",
					 CORRIDOR_PASSPHRASE_BYTES_MAX);
		}
		char *nl = memchr(buf, '\n', n);
		if (nl)
			n = (size_t)(nl - buf) + 1;
		n = chomp(buf, n);
	} else if (getenv("CORRIDOR_PASSPHRASE")) {
		const char *env = getenv("CORRIDOR_PASSPHRASE");
		n = strlen(env);
		if (n > CORRIDOR_PASSPHRASE_BYTES_MAX) {
			sodium_free(buf);
			return cli_usage("CORRIDOR_PASSPHRASE is longer than %u bytes",
					 CORRIDOR_PASSPHRASE_BYTES_MAX);
		}
		memcpy(buf, env, n);
	} else {
		int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			sodium_free(buf);
			return cli_usage("no passphrase: set CORRIDOR_PASSPHRASE, pass "
					 "--passphrase-file FILE, or run on a terminal");
		}
		if (!prompt(fd, "Passphrase: ", buf, &n)) {
			close(fd);
			sodium_free(buf);
			return cli_usage("the passphrase is longer than %u bytes",
					 CORRIDOR_PASSPHRASE_BYTES_MAX);
		}
		if (confirm) {
			char *again = secure_buf();
			size_t n2 = 0;
			if (!again) {
				close(fd);
				sodium_free(buf);
				return cli_fail(CORRIDOR_E_NOMEM, NULL);
			}
			bool fits = prompt(fd, "Passphrase (again): ", again, &n2);
			bool same = fits && n == n2 && sodium_memcmp(buf, again, n) == 0;
			sodium_free(again);
			if (!same) {
				close(fd);
				sodium_free(buf);
				return cli_usage("the two passphrases differ");
			}
		}
		close(fd);
	}
	if (n == 0) {
		sodium_free(buf);
		return cli_usage("the passphrase is empty");
	}
	*out = buf;
	*len = n;
	return EXIT_OK;
}

int cli_signer(const char *path, const char *pass_file, struct corridor_signer **out)
{
	char *pass;
	size_t plen;
	struct corridor_diag d;
	if (!path)
		return cli_usage("--key FILE is required");
	int rc = cli_passphrase(pass_file, false, &pass, &plen);
	if (rc)
		return rc;
	corridor_diag_init(&d);
	int err = corridor_signer_load(path, pass, plen, out, &d);
	cli_passphrase_free(pass, plen);
	return err ? cli_fail(err, &d) : EXIT_OK;
}

int cli_vkey(const char *arg, struct corridor_vkey *out)
{
	if (!arg)
		return cli_usage("--vkey VKEY is required");
	if (strchr(arg, '+')) {
		if (corridor_vkey_parse(arg, strlen(arg), out) != 0) {
			fprintf(stderr, "corridor: '%s' is not a valid verifier key "
					"(name+hex8+base64)\n",
				cli_safe(arg));
			return EXIT_REFUSED;
		}
		return EXIT_OK;
	}
	char buf[CORRIDOR_VKEY_BYTES_MAX + 4];
	FILE *f = fopen(arg, "rb");
	if (!f) {
		fprintf(stderr, "corridor: --vkey %s is neither a verifier key nor a readable file\n",
			arg);
		return EXIT_USAGE;
	}
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	n = chomp(buf, n);
	if (corridor_vkey_parse(buf, n, out) != 0) {
		fprintf(stderr, "corridor: %s does not hold a valid verifier key\n", arg);
		return EXIT_REFUSED;
	}
	return EXIT_OK;
}

/* Growth step for inputs whose size is not known up front (pipes). */
#define READ_CHUNK_BYTES ((size_t)64 << 10)

int cli_read_input(const char *path, size_t max, char **buf, size_t *len)
{
	int rc = EXIT_OK;
	*buf = NULL;
	*len = 0;
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "corridor: cannot open %s: %s\n", path, strerror(errno));
		return EXIT_STORAGE;
	}
	/* A regular file's size sizes the buffer; anything else grows by chunks. */
	struct stat st;
	size_t cap = READ_CHUNK_BYTES;
	if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode)) {
		if ((uint64_t)st.st_size > max) {
			fprintf(stderr, "corridor: %s is larger than %zu bytes\n", path, max);
			rc = EXIT_REFUSED;
			goto out_close;
		}
		cap = (size_t)st.st_size + 1; /* the extra byte sees a file that grew */
	}
	char *b = NULL;
	size_t n = 0;
	for (;;) {
		if (cap > max + 1)
			cap = max + 1; /* one byte past max tells "larger" from "exactly max" */
		char *nb = realloc(b, cap + 1);
		if (!nb) {
			fprintf(stderr, "corridor: out of memory reading %s\n", path);
			rc = EXIT_STORAGE;
			goto out_free;
		}
		b = nb;
		n += fread(b + n, 1, cap - n, f);
		if (ferror(f)) {
			fprintf(stderr, "corridor: cannot read %s\n", path);
			rc = EXIT_STORAGE;
			goto out_free;
		}
		if (n > max) {
			fprintf(stderr, "corridor: %s is larger than %zu bytes\n", path, max);
			rc = EXIT_REFUSED;
			goto out_free;
		}
		if (n < cap || feof(f))
			break;
		cap = cap < READ_CHUNK_BYTES ? READ_CHUNK_BYTES : cap * 2; /* a pipe, or a file that grew */
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	goto out_close;
out_free:
	free(b);
out_close:
	fclose(f);
	return rc;
}

void cli_json_str(const char *s)
{
	if (corridor_json_write_string(stdout, s, strlen(s)) != 0) {
		/* the caller sees it in ferror(stdout) */
	}
}

const char *cli_safe(const char *s)
{
	static char bufs[4][CLI_SAFE_BYTES_MAX];
	static unsigned next;
	char *b = bufs[next++ % 4u];
	corridor_escape(s, strlen(s), b, CLI_SAFE_BYTES_MAX);
	return b;
}

void cli_csv_str(const char *s)
{
	if (!s[strcspn(s, ",\"\r\n")]) {
		fputs(s, stdout);
		return;
	}
	putchar('"');
	for (; *s; s++) {
		if (*s == '"')
			putchar('"');
		putchar(*s);
	}
	putchar('"');
}

int cli_list_format(const char *s, bool allow_csv, enum cli_format *out)
{
	if (s && strcmp(s, "jsonl") == 0) {
		*out = CLI_JSONL;
		return EXIT_OK;
	}
	if (s && strcmp(s, "table") && strcmp(s, "json") && (!allow_csv || strcmp(s, "csv")))
		return cli_usage("--format must be %s", allow_csv ? "table, csv, json or jsonl"
								  : "table, json or jsonl");
	return cli_format(s, allow_csv, out);
}

void cli_csv_seq(uint64_t seq)
{
	if (seq)
		printf("%llu", (unsigned long long)seq);
}

void cli_list_open(struct cli_list *l)
{
	l->n = 0;
	if (l->f == CLI_JSON)
		putchar('[');
}

void cli_list_item(struct cli_list *l)
{
	if (l->f == CLI_JSON && l->n)
		putchar(',');
	l->n++;
}

void cli_list_item_end(struct cli_list *l)
{
	if (l->f == CLI_JSONL)
		putchar('\n');
}

void cli_list_close(struct cli_list *l)
{
	if (l->f == CLI_JSON)
		fputs("]\n", stdout);
}

int cli_format(const char *s, bool allow_csv, enum cli_format *out)
{
	*out = CLI_TABLE;
	if (!s || strcmp(s, "table") == 0)
		return EXIT_OK;
	if (strcmp(s, "json") == 0) {
		*out = CLI_JSON;
		return EXIT_OK;
	}
	if (allow_csv && strcmp(s, "csv") == 0) {
		*out = CLI_CSV;
		return EXIT_OK;
	}
	return cli_usage("--format must be %s", allow_csv ? "table, csv or json" : "table or json");
}

bool cli_period(const char *s, int32_t *first_day)
{
	char d[11];
	return s && strlen(s) == 7 && snprintf(d, sizeof d, "%s-01", s) == 10 &&
	       corridor_date_parse(d, 10, first_day) == 0;
}

/* Decimal digits only: no sign, no blanks, no leading zeros, no overflow. */
bool cli_u64(const char *s, uint64_t *out)
{
	return s && corridor_parse_u64(s, strlen(s), out) == 0;
}

#define PROGRESS_EVERY_US 100000u /* a terminal line at most ten times a second */

static uint64_t monotonic_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

static const void *progress_shown; /* the label of the line on stderr now */

void cli_progress(void *label, uint64_t done, uint64_t total)
{
	static const void *started;
	static uint64_t start_us, last_us, last_done;
	if (!isatty(STDERR_FILENO))
		return;
	uint64_t now = monotonic_us();
	if (started != label || done < last_done) { /* a new piece of work */
		started = label;
		start_us = now;
		last_us = 0;
	}
	last_done = done;
	if (done < total && now - last_us < PROGRESS_EVERY_US)
		return;
	last_us = now;
	progress_shown = label;
	uint64_t el = now - start_us, rate = el ? done * 1000000u / el : 0;
	fprintf(stderr, "\r\033[K%s: %llu", (const char *)label, (unsigned long long)done);
	if (total >= done && total > 0)
		fprintf(stderr, "/%llu (%llu%%)", (unsigned long long)total,
			(unsigned long long)(done * 100u / total));
	fprintf(stderr, ", %llu/s", (unsigned long long)rate);
	if (total > done && rate > 0)
		fprintf(stderr, ", %llus left", (unsigned long long)((total - done) / rate + 1));
	fflush(stderr);
}

void cli_progress_end(const char *label)
{
	(void)label;
	if (progress_shown && isatty(STDERR_FILENO))
		fputc('\n', stderr);
	progress_shown = NULL;
}

void cli_time(uint64_t time_us, char out[40])
{
	corridor_time_text(time_us, out);
}

int cli_print_seq(int err, uint64_t seq, const struct corridor_diag *d)
{
	if (err)
		return cli_fail(err, d);
	printf("%llu\n", (unsigned long long)seq);
	return EXIT_OK;
}

int cli_write(const char *ledger_opt, const char *key, const char *pass_file, cli_write_fn fn,
	      void *ctx)
{
	struct corridor_ledger *l;
	struct corridor_signer *s;
	struct corridor_diag d;
	uint64_t seq = 0;
	corridor_diag_init(&d);
	int rc = cli_open(ledger_opt, &l);
	if (rc)
		return rc;
	if ((rc = cli_signer(key, pass_file, &s)) != 0) {
		corridor_ledger_close(l);
		return rc;
	}
	int err = fn(l, s, ctx, &seq, &d);
	corridor_signer_free(s);
	corridor_ledger_close(l);
	return cli_print_seq(err, seq, &d);
}

int cli_import_open(const char *file, size_t max, enum corridor_import_format format,
		    const char *ledger, const char *key, const char *pass_file, char **buf,
		    size_t *len, struct corridor_ledger **l, struct corridor_signer **s)
{
	struct corridor_diag d;
	corridor_diag_init(&d);
	int rc = cli_read_input(file, max, buf, len);
	if (rc)
		return rc;
	int err = corridor_import_check(format, *buf, *len, &d);
	if (err) {
		fprintf(stderr, "corridor: %s: %s; nothing was written\n", cli_safe(file), d.text);
		rc = cli_exit_code(err);
		goto out_free;
	}
	if ((rc = cli_open(ledger, l)) != 0)
		goto out_free;
	if ((rc = cli_signer(key, pass_file, s)) != 0) {
		corridor_ledger_close(*l);
		goto out_free;
	}
	return EXIT_OK;
out_free:
	free(*buf);
	*buf = NULL;
	return rc;
}

int cli_tiles_import(const char *replica, const char *source, const char *vkey, bool restore,
		     const char *key,
		     const char *pass_file)
{
	struct corridor_vkey vk;
	struct corridor_diag d;
	struct corridor_signer *reader = NULL;
	struct corridor_mirror *m = NULL;
	uint64_t size = 0;
	int rc, err;
	corridor_diag_init(&d);
	if (vkey && (rc = cli_vkey(vkey, &vk)) != 0)
		return rc;
	bool web = strncmp(source, "http://", 7) == 0 || strncmp(source, "https://", 8) == 0;
	if (!web && key)
		return cli_usage("--key signs requests to a web mirror; a directory needs none");
	if (web && key && (rc = cli_signer(key, pass_file, &reader)) != 0)
		return rc;
	corridor_fetch_fn fetch = web ? corridor_mirror_fetch : corridor_tiles_dir_fetch;
	void *fctx = (void *)(uintptr_t)source;
	err = web ? corridor_mirror_open(source, cli_server.cacert, reader, &m, &d) : CORRIDOR_OK;
	if (web)
		fctx = m;
	static const char label[] = "import --tiles: entries fetched + verified";
	if (!err)
		err = restore ? corridor_tiles_restore_from(replica, fetch, fctx, source,
							    vkey ? &vk : NULL, &size, &d)
			      : corridor_tiles_import_with(replica, fetch, fctx, source,
							   vkey ? &vk : NULL, cli_progress,
							   (void *)label, &size, &d);
	cli_progress_end(label);
	corridor_mirror_free(m);
	corridor_signer_free(reader);
	if (err)
		return cli_fail(err, &d);
	printf("%s %s holds %llu entries\n", restore ? "ledger" : "replica", replica,
	       (unsigned long long)size);
	return EXIT_OK;
}

bool cli_parse_listen(const char *s, struct sockaddr_in *sa)
{
	const char *colon = strrchr(s, ':');
	char host[64];
	uint64_t port;
	if (!colon || (size_t)(colon - s) >= sizeof host || !cli_u64(colon + 1, &port) ||
	    port > 65535)
		return false;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	memset(sa, 0, sizeof *sa);
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1;
}

int cli_http_post(const char *url, const char *body, size_t len, long timeout_s, long *status,
		  char **answer, size_t *answer_len, struct corridor_diag *diag)
{
	return corridor_http_post(url, cli_server.cacert, body, len, timeout_s, status, answer,
				  answer_len, diag);
}
