/* cmd_monitor.c — corridor monitor: follows a log by its tiles
 * (docs/AUDITING.md "Following the log with corridor monitor"). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"
#include "../client/client.h"

#define MONITOR_WATCH_MAX 16u
#define MONITOR_INTERVAL_DEFAULT_S 30u
#define MONITOR_INTERVAL_MAX_S 86400u
#define MONITOR_PATH_BYTES 4096u

struct monitor {
	const char *from, *state, *key, *pass_file, *vkey_arg;
	const char *watch[MONITOR_WATCH_MAX];
	size_t watch_count;
	struct corridor_vkey vkey;
	struct corridor_signer *reader;
	struct corridor_mirror *mirror; /* a web mirror; NULL for a directory */
	struct corridor_monitor_result r;
	uint64_t watch_from; /* entries before it were shown to the watch already */
	uint8_t *leaves;     /* the verified leaf hashes of [watch_from, r.size) */
	struct corridor_ledger *replica;
	size_t shown;
	bool unreachable; /* the last run could not reach the mirror */
};

static volatile sig_atomic_t monitor_stop;

static void on_signal(int sig)
{
	(void)sig;
	monitor_stop = 1;
}

static void watch_print(struct monitor *m, const uint8_t *bytes, size_t len, bool known_visible)
{
	struct corridor_entry e;
	if (corridor_entry_decode(bytes, len, &e, NULL) != 0)
		return; /* verified before: cannot happen */
	for (size_t i = 0; i < m->watch_count; i++) {
		bool yes = false;
		struct corridor_diag d;
		corridor_diag_init(&d);
		if (corridor_entry_concerns(known_visible ? NULL : m->replica, m->watch[i], bytes, len,
					    &yes, &d) != 0 ||
		    !yes)
			continue;
		printf("watch %s: ", cli_safe(m->watch[i]));
		cli_entry_line(&e);
		m->shown++;
	}
}

static int watch_replica_one(void *ctx, uint64_t seq, const uint8_t *bytes, size_t len)
{
	(void)seq;
	watch_print(ctx, bytes, len, false);
	return ferror(stdout) ? CORRIDOR_E_IO : CORRIDOR_OK;
}

/* The reader's view from corridor serve: every entry it may see, verified
 * as `verify --view` verifies it; each new one must be the entry the tiles
 * have at its seq. */
static int watch_view_one(void *ctx, uint64_t seq, const uint8_t *bytes, size_t len)
{
	struct monitor *m = ctx;
	uint8_t leaf[CORRIDOR_HASH_BYTES];
	if (seq < m->watch_from || seq >= m->r.size)
		return CORRIDOR_OK;
	corridor_merkle_leaf_hash(bytes, len, leaf);
	if (memcmp(leaf, m->leaves + (seq - m->watch_from) * CORRIDOR_HASH_BYTES, sizeof leaf)) {
		fprintf(stderr,
			"corridor: entry %llu of the server's view is not the entry its tiles "
			"have at that seq: a split view\n",
			(unsigned long long)seq);
		return CORRIDOR_E_VERIFY;
	}
	watch_print(m, bytes, len, true);
	return CORRIDOR_OK;
}

static int watch_view(struct monitor *m)
{
	struct corridor_client_options o = { .url = m->from, .server_vkey = m->vkey_arg,
					     .cacert = cli_server.cacert, .state_dir = m->state };
	struct corridor_client *c = NULL;
	struct corridor_view_info info;
	struct corridor_diag d;
	char path[MONITOR_PATH_BYTES], *body = NULL;
	size_t len = 0, n = (size_t)(m->r.size - m->watch_from);
	corridor_diag_init(&d);
	int err = CORRIDOR_OK;
	if (!(m->leaves = malloc(n * CORRIDOR_HASH_BYTES + 1)))
		return cli_fail(CORRIDOR_E_NOMEM, NULL);
	err = corridor_monitor_leaves(m->state, m->watch_from, n, m->leaves, &d);
	if (!err)
		err = corridor_client_open(&o, &c, &d);
	if (!err)
		err = corridor_client_get(c, m->reader, "/v1/archive", "", &body, &len, &d);
	snprintf(path, sizeof path, "%s/view.tmp", m->state);
	FILE *f = err ? NULL : fopen(path, "wb");
	if (!err && (!f || fwrite(body, 1, len, f) != len)) {
		err = CORRIDOR_E_IO;
		snprintf(d.text, sizeof d.text, "cannot write %.200s", path);
	}
	if (f && fclose(f) != 0 && !err) {
		err = CORRIDOR_E_IO;
		snprintf(d.text, sizeof d.text, "cannot write %.200s", path);
	}
	if (!err)
		err = corridor_view_verify(path, &m->vkey, watch_view_one, m, &info, &d);
	unlink(path);
	free(body);
	free(m->leaves);
	m->leaves = NULL;
	corridor_client_free(c);
	if (err == CORRIDOR_E_VERIFY && !d.text[0])
		return EXIT_REFUSED; /* watch_view_one said why */
	return err ? cli_fail(err, &d) : EXIT_OK;
}

/* The watch's own mark: entries below it were shown (a run whose watch
 * failed — the view unreachable, a split view — leaves it, so the next run
 * shows them). "<state>/watched", a decimal seq. */
static uint64_t watched_get(const struct monitor *m, uint64_t fallback)
{
	char path[MONITOR_PATH_BYTES], buf[32] = { 0 };
	uint64_t v;
	snprintf(path, sizeof path, "%s/watched", m->state);
	FILE *f = fopen(path, "r");
	if (!f)
		return fallback;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return cli_u64(buf, &v) && v <= fallback ? v : fallback;
}

static void watched_set(const struct monitor *m, uint64_t seq)
{
	char path[MONITOR_PATH_BYTES], tmp[MONITOR_PATH_BYTES + 8];
	snprintf(path, sizeof path, "%s/watched", m->state);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	bool ok = f && fprintf(f, "%llu\n", (unsigned long long)seq) > 0;
	if (f && fclose(f) != 0)
		ok = false;
	if (!ok || rename(tmp, path) != 0) {
		unlink(tmp);
		fprintf(stderr, "corridor: cannot record the watch's mark in %s\n", path);
	}
}

/* One run: the tree (and the entries where they can be read) verified and
 * recorded, then what concerns the watched parties. */
static int monitor_once(struct monitor *m, bool quiet_if_same)
{
	struct corridor_monitor_result *rp = &m->r;
	struct corridor_diag d;
	corridor_diag_init(&d);
	static const char label[] = "monitor catch-up: entries fetched + verified";
	int err = corridor_monitor_run_with(m->state,
					    m->mirror ? corridor_mirror_fetch : corridor_tiles_dir_fetch,
					    m->mirror ? (void *)m->mirror : (void *)(uintptr_t)m->from,
					    m->from, &m->vkey, cli_progress, (void *)label, rp, &d);
	cli_progress_end(label);
	m->unreachable = err == CORRIDOR_E_IO;
	if (err)
		return cli_fail(err, &d);
	const struct corridor_monitor_result r = *rp;
	m->watch_from = m->watch_count ? watched_get(m, r.from_size) : r.size;
	if (r.size == r.from_size && m->watch_from == r.size && quiet_if_same)
		return EXIT_OK;
	char root[CORRIDOR_HASH_BYTES * 2 + 1];
	sodium_bin2hex(root, sizeof root, r.root, CORRIDOR_HASH_BYTES);
	printf("checkpoint %llu of %s verified (root %.16s…): ", (unsigned long long)r.size,
	       cli_safe(r.origin), root);
	if (r.size == r.from_size)
		printf("no new entries\n");
	else
		printf("extends %llu, %zu tiles checked\n", (unsigned long long)r.from_size,
		       r.tiles);
	if (r.entries)
		printf("entries: the replica %s/replica holds %llu, every one verified\n", m->state,
		       (unsigned long long)r.replica_size);
	else
		printf("entries: not read (%s); the tree alone is verified\n", cli_safe(r.no_entries));
	int rc = EXIT_OK;
	if (m->watch_count && r.size > m->watch_from) {
		m->shown = 0;
		if (r.entries) {
			char dir[MONITOR_PATH_BYTES];
			snprintf(dir, sizeof dir, "%s/replica", m->state);
			if (corridor_ledger_open(dir, CORRIDOR_OPEN_READONLY, &m->replica, &d) != 0)
				return cli_fail(CORRIDOR_E_STORAGE, &d);
			err = corridor_ledger_scan(m->replica, m->watch_from, r.size - m->watch_from,
						   watch_replica_one, m);
			corridor_ledger_close(m->replica);
			m->replica = NULL;
			rc = err ? cli_fail(err, NULL) : EXIT_OK;
		} else if (m->mirror && m->reader) {
			rc = watch_view(m);
		} else {
			fprintf(stderr, "corridor: --watch needs the entries: a reader entitled to the "
					"bundles, or --key of a party and a corridor serve URL\n");
			rc = EXIT_REFUSED;
		}
		watched_set(m, rc ? m->watch_from : r.size); /* a failed watch is shown again */
		if (!rc)
			printf("watch: %zu new entries concern %s\n", m->shown,
			       m->watch_count == 1 ? cli_safe(m->watch[0]) : "the watched parties");
	}
	fflush(stdout);
	return rc;
}

int cmd_monitor(int argc, char **argv)
{
	struct monitor m = { .from = NULL };
	const char *interval_s = NULL;
	bool follow = false;
	const struct cli_opt opts[] = {
		{ "from", &m.from, NULL, NULL, NULL, 0 },
		{ "vkey", &m.vkey_arg, NULL, NULL, NULL, 0 },
		{ "state", &m.state, NULL, NULL, NULL, 0 },
		{ "key", &m.key, NULL, NULL, NULL, 0 },
		{ "passphrase-file", &m.pass_file, NULL, NULL, NULL, 0 },
		{ "watch", NULL, NULL, m.watch, &m.watch_count, MONITOR_WATCH_MAX },
		{ "follow", NULL, &follow, NULL, NULL, 0 },
		{ "interval", &interval_s, NULL, NULL, NULL, 0 },
	};
	const char *pos[1];
	size_t np;
	if (!cli_parse(argc, argv, opts, 8, pos, 0, 0, &np, "monitor"))
		return EXIT_USAGE;
	if (!m.from || !m.state || !m.vkey_arg)
		return cli_usage("--from, --vkey and --state are required; usage: %s", cli_usage_line());
	uint64_t interval = MONITOR_INTERVAL_DEFAULT_S;
	if (interval_s && (!follow || !cli_u64(interval_s, &interval) || interval == 0 ||
			   interval > MONITOR_INTERVAL_MAX_S))
		return cli_usage("--interval takes --follow and 1..%u seconds", MONITOR_INTERVAL_MAX_S);
	int rc = cli_vkey(m.vkey_arg, &m.vkey);
	if (rc)
		return rc;
	bool web = strncmp(m.from, "http://", 7) == 0 || strncmp(m.from, "https://", 8) == 0;
	if (!web && m.key)
		return cli_usage("--key signs requests to a web mirror; a directory needs none");
	if (m.key && (rc = cli_signer(m.key, m.pass_file, &m.reader)) != 0)
		return rc;
	struct corridor_diag d;
	corridor_diag_init(&d);
	if (web && corridor_mirror_open(m.from, cli_server.cacert, m.reader, &m.mirror, &d) != 0) {
		rc = cli_fail(CORRIDOR_E_INVALID, &d);
		goto out_free;
	}
	if (!follow) {
		rc = monitor_once(&m, false);
		goto out_free;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* a mirror that cannot be reached is retried; anything that does not
	 * verify stops the monitor */
	for (bool first = true; !monitor_stop; first = false) {
		rc = monitor_once(&m, !first);
		if (rc && m.unreachable)
			fprintf(stderr, "corridor: monitor: retrying in %llu s\n",
				(unsigned long long)interval);
		else if (rc)
			break;
		for (uint64_t s = 0; s < interval && !monitor_stop; s++)
			sleep(1);
	}
	if (monitor_stop && m.unreachable)
		rc = EXIT_OK;
out_free:
	corridor_mirror_free(m.mirror);
	corridor_signer_free(m.reader);
	return rc;
}
