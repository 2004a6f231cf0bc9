/*
 * bench.c — `make bench`: throughput figures, one "name value" line each, all
 * from one run. Ratios compare the pipeline with raw libsodium on one core.
 *
 *   sign_only_per_s       crypto_sign_detached on entry-sized messages, one core
 *   ingest_entries_per_s  signed memo entries appended in batches of 1000,
 *                         durable commits (fsync), on the build directory's disk
 *   verify_only_per_s     crypto_sign_verify_detached, one core
 *   verify_entries_per_s  corridor_ledger_verify of the ledger just written
 *   tiles_export_entries_per_s  that ledger as tlog-tiles with entry bundles
 *   tiles_import_entries_per_s  a replica built from those tiles (every entry
 *                         verified as an archive import does, every tile checked)
 *   monitor_entries_per_s `corridor monitor` over loopback HTTP from a static
 *                         server of those tiles, from nothing: the whole run
 *                         (the tree checked, every entry verified into its
 *                         replica), beside verify_entries_per_s
 *   import_rows_per_s     a 1,000,000-row delivery CSV imported (115 contracts)
 *   import_peak_rss_mb    the same rows (other contracts) imported from a file by
 *                         `corridor delivery import`: its peak resident memory
 *                         (wait4), beside import_file_mb, the file's size
 *   settle_intervals_per_s  one settlement batch (written, not a dry run) over
 *                         1,000,000 intervals of March across 1,000 contracts,
 *                         in a ledger of its own
 *   settle_check_share    of that run, the share spent checking its inputs
 *                         against the signed entries (core/inputs.c), the
 *                         check timed alone on a dry run's batch
 *   settle_unchecked_intervals_per_s  the run less that check (at least the
 *                         dry run's computation): what a run cost before the
 *                         check existed
 *   report_balances_ms    corridor_report_balances on that ledger afterwards
 *   audit_report_ms, audit_report_mb  corridor report audit (verification,
 *                         gathering, HTML) of a year of hourly series of 100
 *                         contracts read by both sides (audit_intervals), and
 *                         the size of its file
 *   serve_statements_per_s  `corridor serve` on loopback: 8 clients (4 one
 *                         statement a request, 4 in requests of 100, each with
 *                         32 keep-alive connections busy, the most one address may hold) submit 100,000
 *                         statements signed before
 *                         the clock starts; every one accepted once, seq dense,
 *                         verify passes afterwards
 *   serve_vs_verify_only  that rate over one core's raw verification rate
 *   serve_p50_ms, serve_p99_ms  latency of the one-statement requests
 *   serve_batch_p99_ms    latency of the 100-statement requests
 *
 * CORRIDOR_BENCH=serve runs the service alone, CORRIDOR_BENCH=import the
 * delivery importers alone, CORRIDOR_BENCH=audit the audit report alone (quicker
 * runs while working on one of them).
 */
#define _XOPEN_SOURCE 700
#define _DEFAULT_SOURCE /* wait4: a child's peak memory */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "corridor/corridor.h"
#include "power_terms.h"
#include "log/log.h" /* the settlement's input check, timed alone */

#define ENTRIES 100000u
#define IMPORT_ROWS 1000000u
#define IMPORT_CONTRACTS 115u /* a year of hourly readings each: 115 x 8760 > 10^6 */
#define BATCH 1000u
#define RAW_OPS 20000u
#define SERVE_STATEMENTS 100000u
#define SERVE_CLIENTS 8u
#define SERVE_BATCH 100u /* statements a request, for half the clients */
#define SERVE_IN_FLIGHT 32u /* connections a client keeps busy: all the server allows one address */
#define MSG_BYTES 160u

/* A UTC time at minute precision, as the Measurement Value Document has it. */
static void minute_z(int64_t t, char out[21])
{
	corridor_utc_format(t, out);
	memcpy(out + 16, "Z", 2);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int count_balance(void *ctx, const struct corridor_balance *b)
{
	(void)b;
	(*(unsigned *)ctx)++;
	return 0;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

#define SETTLE_CONTRACTS 1000u
#define SETTLE_INTERVALS 1000u /* per contract: 40-minute intervals from March 1 (or 15-minute) */

static int party_add(struct corridor_ledger *l, struct corridor_signer *op, const char *id,
		     unsigned roles, struct corridor_signer **out)
{
	uint8_t seed[32];
	uint64_t seq;
	struct corridor_diag d;
	randombytes_buf(seed, sizeof seed);
	if (corridor_signer_from_seed(id, seed, out) != 0)
		return 1;
	struct corridor_party_request pr = { .id = id, .name = id, .country = "MN", .roles = roles,
					     .key = *corridor_signer_vkey(*out) };
	return corridor_party_register(l, op, &pr, NULL, &seq, &d) != 0;
}

/* Settlement of SETTLE_CONTRACTS x SETTLE_INTERVALS intervals of step_s
 * seconds each: 2400 (40 minutes: single readings, one entry each) or 900
 * (quarter hours: the import makes each local day one series). */
/* A ledger at path with the power contracts' seller, buyer and a
 * settlement party. */
static int power_ledger(const char *path, struct corridor_signer *op, struct corridor_ledger **l,
			struct corridor_signer **grid, struct corridor_signer **buyer,
			struct corridor_signer **agent)
{
	struct corridor_diag d;
	if (corridor_ledger_create(path, op, l, &d) != 0) {
		fprintf(stderr, "bench: %s: %s\n", path, d.text);
		return 1;
	}
	return party_add(*l, op, "RU-GRID", CORRIDOR_ROLE_SELLER, grid) ||
	       party_add(*l, op, "MN-GRID", CORRIDOR_ROLE_BUYER, buyer) ||
	       party_add(*l, op, "SETTLER", CORRIDOR_ROLE_SETTLEMENT, agent);
}

static int bench_settle(const char *dir, struct corridor_signer *op, int64_t step_s, double *rate,
			double *share, double *unchecked, double *bal_ms)
{
	char path[96];
	struct corridor_ledger *l;
	struct corridor_signer *grid, *buyer, *agent;
	struct corridor_diag d;
	snprintf(path, sizeof path, "%s/S%lld", dir, (long long)step_s);
	if (power_ledger(path, op, &l, &grid, &buyer, &agent) != 0)
		return 1;
	struct corridor_contract_terms t = { .commodity = CORRIDOR_COMMODITY_POWER,
					     .utc_offset_min = 480, .price_count = 2,
					     .payment_days = 15, .tolerance_permille = 10,
					     .has_min = true, .min_milli = 30000000000LL,
					     .shortfall_bp = 5000 };
	power_parties(&t);
	if (corridor_date_parse("2026-03-01", 10, &t.start_day) != 0 ||
	    corridor_date_parse("2027-03-01", 10, &t.end_day) != 0)
		return 1;
	t.prices[0] = (struct corridor_price_step){ .from_day = t.start_day, .price_micro = 6150000 };
	t.prices[1] = (struct corridor_price_step){ .from_day = t.start_day + 14,
						    .price_micro = 6450000 };
	for (unsigned c = 0; c < SETTLE_CONTRACTS; c++) {
		uint64_t prop, seq;
		snprintf(t.id, sizeof t.id, "Q%u", c);
		snprintf(t.billing_meter, sizeof t.billing_meter, "SEL-%u", c);
		if (corridor_contract_propose(l, grid, &t, NULL, &prop, &d) != 0 ||
		    corridor_contract_accept(l, buyer, t.id, prop, NULL, &seq, &d) != 0) {
			fprintf(stderr, "bench: contracts: %s\n", d.text);
			return 1;
		}
	}
	size_t rows = (size_t)SETTLE_CONTRACTS * SETTLE_INTERVALS, cap = rows * 96u + 64u, len = 0;
	char *csv = malloc(cap);
	if (!csv)
		return 1;
	len += (size_t)snprintf(csv, cap, "contract,start,end,quantity,meter,reference\r\n");
	int64_t base_s = (int64_t)t.start_day * 86400 - 480 * 60;
	for (unsigned i = 0; i < rows; i++) {
		char s[21], e[21];
		unsigned c = i % SETTLE_CONTRACTS, k = i / SETTLE_CONTRACTS;
		corridor_utc_format(base_s + (int64_t)k * step_s, s);
		corridor_utc_format(base_s + (int64_t)(k + 1) * step_s, e);
		len += (size_t)snprintf(csv + len, cap - len, "Q%u,%s,%s,%u.%03u,SEL-%u,R%u-%u\r\n",
					c, s, e, 25000u + i % 977u, i % 1000u, c, c, k);
	}
	size_t written, skipped;
	if (corridor_delivery_import(l, buyer, csv, len, BATCH, NULL, NULL, &written, &skipped,
				     &d) != 0) {
		fprintf(stderr, "bench: settle import: %s\n", d.text);
		return 1;
	}
	free(csv);
	struct corridor_batch b;
	int32_t march = t.start_day;
	/* a dry run (the computation: a dry run signs nothing, so it checks
	 * nothing) once to warm the caches, then timed; then the input check
	 * alone on its batch */
	double dry_s = 0;
	for (int k = 0; k < 2; k++) {
		if (k)
			corridor_batch_release(&b);
		double td = now_s();
		if (corridor_settle_run(l, agent, march, true, &b, &d) != 0) {
			fprintf(stderr, "bench: settle dry run: %s\n", d.text);
			return 1;
		}
		dry_s = now_s() - td;
	}
	MDB_txn *txn;
	struct corridor_kv_lmdb kv;
	if (corridor_txn_begin(l, MDB_RDONLY, &txn, &d) != 0)
		return 1;
	corridor_kv_lmdb_init(&kv, l, txn);
	double tc = now_s();
	int cerr = corridor_settle_inputs_check(l, txn, &kv.base, &b, &d);
	double check_s = now_s() - tc;
	mdb_txn_abort(txn);
	corridor_batch_release(&b);
	if (cerr) {
		fprintf(stderr, "bench: settle check: %s\n", d.text);
		return 1;
	}
	double t0 = now_s();
	if (corridor_settle_run(l, agent, march, false, &b, &d) != 0 ||
	    b.invoice_count != SETTLE_CONTRACTS) {
		fprintf(stderr, "bench: settle: %s\n", d.text);
		return 1;
	}
	double run_s = now_s() - t0;
	*rate = (double)rows / run_s;
	*share = check_s / run_s;
	/* before the check: the run less it, which is never less than the
	 * computation alone (the dry run) */
	*unchecked = (double)rows / (run_s - check_s > dry_s ? run_s - check_s : dry_s);
	fprintf(stderr, "bench: settlement of %zu %s: dry run (no check) %.2f s, input "
			"check %.2f s, written run %.2f s\n",
		rows, step_s == 900 ? "intervals as series" : "intervals", dry_s, check_s, run_s);
	corridor_batch_release(&b);
	t0 = now_s();
	unsigned n = 0;
	if (corridor_report_balances(l, -1, count_balance, &n, &d) != 0 || n != 2) {
		fprintf(stderr, "bench: balances: %s\n", d.text);
		return 1;
	}
	*bal_ms = (now_s() - t0) * 1000.0;
	corridor_ledger_close(l);
	corridor_signer_free(grid);
	corridor_signer_free(buyer);
	corridor_signer_free(agent);
	return 0;
}

#define AUDIT_CONTRACTS 100u /* a year of hourly readings each, by both sides */

/* The audit report of a year of hourly data for AUDIT_CONTRACTS contracts,
 * each read by both sides and settled every month: the report's wall time
 * (verification included) and its file's size. */
static int bench_audit(const char *dir, struct corridor_signer *op, double *ms, double *mb,
		       double *intervals)
{
	char path[96], out[128];
	struct corridor_ledger *l;
	struct corridor_signer *grid, *buyer, *agent;
	struct corridor_diag d;
	snprintf(path, sizeof path, "%s/A", dir);
	snprintf(out, sizeof out, "%s/audit.html", dir);
	if (power_ledger(path, op, &l, &grid, &buyer, &agent) != 0)
		return 1;
	struct corridor_contract_terms t = { .commodity = CORRIDOR_COMMODITY_POWER,
					     .utc_offset_min = 480, .price_count = 1,
					     .payment_days = 15, .tolerance_permille = 10,
					     .has_min = true, .min_milli = 18000000000LL,
					     .shortfall_bp = 5000 };
	power_parties(&t);
	if (corridor_date_parse("2026-01-01", 10, &t.start_day) != 0 ||
	    corridor_date_parse("2027-01-01", 10, &t.end_day) != 0)
		return 1;
	t.prices[0] = (struct corridor_price_step){ .from_day = t.start_day, .price_micro = 6150000 };
	for (unsigned c = 0; c < AUDIT_CONTRACTS; c++) {
		uint64_t prop, seq;
		snprintf(t.id, sizeof t.id, "A%03u", c);
		snprintf(t.billing_meter, sizeof t.billing_meter, "SEL-%u", c);
		if (corridor_contract_propose(l, grid, &t, NULL, &prop, &d) != 0 ||
		    corridor_contract_accept(l, buyer, t.id, prop, NULL, &seq, &d) != 0) {
			fprintf(stderr, "bench: audit contracts: %s\n", d.text);
			return 1;
		}
	}
	/* a month at a time, each side: the buyer bills on SEL-c, the seller
	 * reads RU-c, one reading in 500 beyond the tolerance */
	int64_t base_s = (int64_t)t.start_day * 86400 - 480 * 60;
	unsigned hours = (unsigned)(t.end_day - t.start_day) * 24u;
	size_t cap = (size_t)AUDIT_CONTRACTS * 745u * 80u + 64u;
	char *csv = malloc(cap);
	if (!csv)
		return 1;
	*intervals = 0;
	for (int32_t m = t.start_day; m < t.end_day; m += (int32_t)corridor_month_days(m)) {
		unsigned h0 = (unsigned)(m - t.start_day) * 24u,
			 h1 = h0 + corridor_month_days(m) * 24u;
		for (int side = 0; side < 2; side++) {
			size_t len = (size_t)snprintf(csv, cap,
						      "contract,start,end,quantity,meter,reference\r\n");
			for (unsigned h = h0; h < h1 && h < hours; h++)
				for (unsigned c = 0; c < AUDIT_CONTRACTS; c++) {
					char s0[21], e0[21];
					unsigned q = 25000u + (h * 7u + c * 13u) % 977u;
					if (side && (h + c) % 500u == 0)
						q += q / 20u; /* 5 %: disputed */
					corridor_utc_format(base_s + (int64_t)h * 3600, s0);
					corridor_utc_format(base_s + (int64_t)(h + 1) * 3600, e0);
					len += (size_t)snprintf(csv + len, cap - len,
								"A%03u,%s,%s,%u.%03u,%s-%u,%c%u-%u\r\n", c,
								s0, e0, q, h % 1000u, side ? "RU" : "SEL",
								c, side ? 'R' : 'B', c, h);
				}
			size_t written, skipped;
			if (corridor_delivery_import(l, side ? grid : buyer, csv, len, BATCH, NULL, NULL,
						     &written, &skipped, &d) != 0) {
				fprintf(stderr, "bench: audit import: %s\n", d.text);
				return 1;
			}
			*intervals += (double)(h1 - h0) * AUDIT_CONTRACTS;
		}
		struct corridor_batch b;
		if (corridor_settle_run(l, agent, m, false, &b, &d) != 0) {
			fprintf(stderr, "bench: audit settle: %s\n", d.text);
			return 1;
		}
		corridor_batch_release(&b);
	}
	free(csv);
	if (corridor_checkpoint_sign(l, op, NULL, &d) != 0)
		return 1;
	struct corridor_audit_request req = { .first_day = t.start_day, .end_day = t.end_day };
	struct corridor_audit *a = malloc(sizeof *a);
	double t0 = now_s();
	FILE *f = fopen(out, "w");
	if (!a || !f || corridor_audit_collect(l, &req, a, &d) != 0) {
		fprintf(stderr, "bench: audit: %s\n", d.text);
		return 1;
	}
	int err = corridor_audit_html(f, a);
	if (fclose(f) != 0 || err || a->verification.result != 0) {
		fprintf(stderr, "bench: audit report failed\n");
		return 1;
	}
	*ms = (now_s() - t0) * 1000.0;
	corridor_audit_release(a);
	free(a);
	struct stat st;
	*mb = stat(out, &st) == 0 ? (double)st.st_size / 1e6 : 0;
	corridor_ledger_close(l);
	corridor_signer_free(grid);
	corridor_signer_free(buyer);
	corridor_signer_free(agent);
	return 0;
}

extern char **environ;

/* The port a server wrote into its log after `marker`, within 30 s; 0 if none. */
static unsigned wait_port(const char *log, const char *marker)
{
	for (int i = 0; i < 300; i++) {
		char buf[4096] = "";
		FILE *f = fopen(log, "r");
		if (f) {
			size_t n = fread(buf, 1, sizeof buf - 1, f);
			buf[n] = '\0';
			fclose(f);
		}
		const char *p = strstr(buf, marker);
		if (p && strchr(p, '\n'))
			return (unsigned)strtoul(p + strlen(marker), NULL, 10);
		nanosleep(&(struct timespec){ .tv_nsec = 100000000 }, NULL);
	}
	return 0;
}

/* `corridor monitor` following the tiles in tdir from nothing, over loopback
 * HTTP from a plain static server (python3 -m http.server): entries per
 * second of its whole run (every tile fetched and checked, every entry
 * verified into its replica). */
static int bench_monitor(const char *bin, const char *dir, const char *tdir,
			 const struct corridor_vkey *vkey, uint64_t size, double *rate)
{
	char log[4200], state[4200], out[4200], url[64], vk[CORRIDOR_VKEY_BYTES_MAX + 1];
	snprintf(log, sizeof log, "%s/http.log", dir);
	snprintf(state, sizeof state, "%s/monitor", dir);
	snprintf(out, sizeof out, "%s/monitor.out", dir);
	corridor_vkey_format(vkey, vk);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	char p0[] = "python3", p1[] = "-u", p2[] = "-m", p3[] = "http.server", p4[] = "0",
	     p5[] = "--bind", p6[] = "127.0.0.1", p7[] = "--directory";
	char *pargv[] = { p0, p1, p2, p3, p4, p5, p6, p7, (char *)(uintptr_t)tdir, NULL };
	pid_t web, mon;
	if (posix_spawnp(&web, "python3", &fa, NULL, pargv, environ) != 0) {
		perror("bench: python3 -m http.server");
		return 1;
	}
	posix_spawn_file_actions_destroy(&fa);
	unsigned port = wait_port(log, " port ");
	int status = -1, rc = 1;
	if (!port) {
		fprintf(stderr, "bench: the static server did not start (see %s)\n", log);
		goto out_kill;
	}
	snprintf(url, sizeof url, "http://127.0.0.1:%u", port);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	char m1[] = "monitor", m2[] = "--from", m4[] = "--vkey", m6[] = "--state";
	char *margv[] = { (char *)(uintptr_t)bin, m1, m2, url, m4, vk, m6, state, NULL };
	double t0 = now_s();
	if (posix_spawn(&mon, bin, &fa, NULL, margv, environ) != 0 ||
	    waitpid(mon, &status, 0) != mon) {
		perror("bench: corridor monitor");
		goto out_kill;
	}
	*rate = (double)size / (now_s() - t0);
	posix_spawn_file_actions_destroy(&fa);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench: corridor monitor failed (see %s)\n", out);
		goto out_kill;
	}
	rc = 0;
out_kill:
	kill(web, SIGTERM);
	waitpid(web, NULL, 0);
	return rc;
}

/* ---- corridor serve under load ---- */


struct serve_client {
	unsigned port;
	uint8_t *const *st;
	const size_t *len;
	size_t from, n, per_request;
	double *lat_ms; /* one per request */
	size_t requests;
	unsigned id;
	int err;
};

/* Reads one HTTP response on a keep-alive connection: its status. */
static unsigned read_response(int fd, char *buf, size_t cap)
{
	size_t got = 0;
	char *end = NULL;
	while (!end) {
		ssize_t r = read(fd, buf + got, cap - 1 - got);
		if (r <= 0)
			return 0;
		got += (size_t)r;
		buf[got] = '\0';
		end = strstr(buf, "\r\n\r\n");
	}
	const char *cl = strstr(buf, "Content-Length: ");
	size_t body = cl ? strtoul(cl + 16, NULL, 10) : 0, have = got - (size_t)(end + 4 - buf);
	while (have < body) {
		char sink[65536];
		ssize_t r = read(fd, sink, sizeof sink < body - have ? sizeof sink : body - have);
		if (r <= 0)
			return 0;
		have += (size_t)r;
	}
	unsigned status = 0;
	sscanf(buf, "HTTP/1.1 %u", &status);
	return status;
}

/* A request's body: one statement, or a msgpack array of bin. */
static size_t serve_body(const struct serve_client *c, size_t at, uint8_t *body)
{
	size_t k = c->per_request, bl = 0;
	if (k == 1) {
		memcpy(body, c->st[at], c->len[at]);
		return c->len[at];
	}
	body[bl++] = 0xdc;
	body[bl++] = (uint8_t)(k >> 8);
	body[bl++] = (uint8_t)k;
	for (size_t i = 0; i < k; i++) {
		body[bl++] = 0xc5;
		body[bl++] = (uint8_t)(c->len[at + i] >> 8);
		body[bl++] = (uint8_t)c->len[at + i];
		memcpy(body + bl, c->st[at + i], c->len[at + i]);
		bl += c->len[at + i];
	}
	return bl;
}

/* One client: SERVE_IN_FLIGHT keep-alive connections, each with one request
 * outstanding at a time, the next sent as soon as its answer is in. */
static void *serve_client_run(void *arg)
{
	struct serve_client *c = arg;
	struct pollfd pf[SERVE_IN_FLIGHT];
	double sent_at[SERVE_IN_FLIGHT] = { 0 };
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)c->port) };
	uint8_t *body = malloc(SERVE_BATCH * 600u + 16u + 256u);
	char head[256], buf[1 << 16];
	size_t next = c->from, end = c->from + c->n, open = 0;
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	if (!body) {
		c->err = 1;
		return NULL;
	}
	/* each client from its own address, as separate parties would be (the
	 * server limits connections per address) */
	struct sockaddr_in me = { .sin_family = AF_INET };
	me.sin_addr.s_addr = htonl(0x7f000002u + c->id);
	for (unsigned i = 0; i < SERVE_IN_FLIGHT; i++) {
		pf[i].fd = socket(AF_INET, SOCK_STREAM, 0);
		pf[i].events = POLLIN;
		if (pf[i].fd < 0 || bind(pf[i].fd, (struct sockaddr *)&me, sizeof me) != 0 ||
		    connect(pf[i].fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
			c->err = 1;
			goto out;
		}
	}
	for (;;) {
		/* every idle connection takes the next request */
		for (unsigned i = 0; i < SERVE_IN_FLIGHT && next < end; i++) {
			if (pf[i].events == 0)
				continue;
			if (sent_at[i] > 0)
				continue;
			size_t bl = serve_body(c, next, body + 256);
			int hn = snprintf(head, sizeof head,
					  "POST /v1/statements HTTP/1.1\r\nHost: 127.0.0.1\r\n"
					  "Content-Length: %zu\r\n\r\n",
					  bl);
			/* one write: a request split in two would wait for a delayed ACK */
			memcpy(body + 256 - hn, head, (size_t)hn);
			if (write(pf[i].fd, body + 256 - hn, (size_t)hn + bl) != (ssize_t)((size_t)hn + bl)) {
				c->err = 1;
				goto out;
			}
			sent_at[i] = now_s();
			next += c->per_request;
			open++;
		}
		if (open == 0)
			break;
		if (poll(pf, SERVE_IN_FLIGHT, 60000) <= 0) {
			c->err = 1;
			goto out;
		}
		for (unsigned i = 0; i < SERVE_IN_FLIGHT; i++) {
			if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR)) || sent_at[i] <= 0)
				continue;
			if (read_response(pf[i].fd, buf, sizeof buf) != 201) {
				c->err = 1;
				goto out;
			}
			c->lat_ms[c->requests++] = (now_s() - sent_at[i]) * 1000.0;
			sent_at[i] = 0;
			open--;
		}
	}
out:
	for (unsigned i = 0; i < SERVE_IN_FLIGHT; i++)
		if (pf[i].fd >= 0)
			close(pf[i].fd);
	free(body);
	return NULL;
}

static int by_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double percentile(double *v, size_t n, double p)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof *v, by_double);
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);
	return v[i];
}

static int bench_serve(const char *bin, const char *dir, double *rate, double *p50, double *p99,
		       double *bp99)
{
	char ledger[96], key[96], log[96];
	struct corridor_diag d;
	struct corridor_signer *op, *ru;
	struct corridor_ledger *l;
	uint8_t seed[32];
	uint64_t seq;
	int rc = 1;
	snprintf(ledger, sizeof ledger, "%s/serve-ledger", dir);
	snprintf(key, sizeof key, "%s/serve-op.key", dir);
	snprintf(log, sizeof log, "%s/serve.log", dir);
	if (corridor_key_generate("bench.example/serve", "bench", 5, CORRIDOR_KDF_INTERACTIVE, key,
				  &d) != 0 ||
	    corridor_signer_load(key, "bench", 5, &op, &d) != 0 ||
	    corridor_ledger_create(ledger, op, &l, &d) != 0) {
		fprintf(stderr, "bench: serve ledger: %s\n", d.text);
		return 1;
	}
	randombytes_buf(seed, sizeof seed);
	if (corridor_signer_from_seed("RU-GRID", seed, &ru) != 0)
		return 1;
	struct corridor_party_request pr = { .id = "RU-GRID", .name = "RU grid", .country = "RU",
					     .roles = CORRIDOR_ROLE_SELLER,
					     .key = *corridor_signer_vkey(ru) };
	if (corridor_party_register(l, op, &pr, NULL, &seq, &d) != 0)
		return 1;
	corridor_ledger_close(l);
	/* every statement signed before the clock starts */
	uint8_t **st = calloc(SERVE_STATEMENTS, sizeof *st);
	size_t *len = calloc(SERVE_STATEMENTS, sizeof *len);
	uint8_t *arena = malloc((size_t)SERVE_STATEMENTS * 512u);
	double *lat = malloc(SERVE_STATEMENTS * sizeof *lat);
	if (!st || !len || !arena || !lat)
		return 1;
	struct timespec wall;
	clock_gettime(CLOCK_REALTIME, &wall);
	uint64_t t = (uint64_t)wall.tv_sec * 1000000u + (uint64_t)wall.tv_nsec / 1000u;
	for (unsigned i = 0; i < SERVE_STATEMENTS; i++) {
		uint8_t body[64];
		char text[40], idem[32];
		int tl = snprintf(text, sizeof text, "reading %u at Selendum", i);
		snprintf(idem, sizeof idem, "bench-%u", i);
		body[0] = 0x81;
		memcpy(body + 1, "\xa4text", 5);
		body[6] = (uint8_t)(0xa0u | (unsigned)tl);
		memcpy(body + 7, text, (size_t)tl);
		st[i] = arena + (size_t)i * 512u;
		if (corridor_statement_sign(ru, "bench.example/serve", "memo", idem, t,
					    t + 3600000000u, body, 7 + (size_t)tl, st[i], 512, &len[i],
					    &d) != 0) {
			fprintf(stderr, "bench: sign: %s\n", d.text);
			return 1;
		}
	}
	/* the server */
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	char a1[] = "serve", a2[] = "--listen", a3[] = "127.0.0.1:0", a4[] = "--operator-key",
	     a6[] = "--ledger";
	char *argv[] = { (char *)(uintptr_t)bin, a1, a2, a3, a4, key, a6, ledger, NULL };
	pid_t pid;
	setenv("CORRIDOR_PASSPHRASE", "bench", 1);
	if (posix_spawn(&pid, bin, &fa, NULL, argv, environ) != 0) {
		perror("bench: serve");
		return 1;
	}
	posix_spawn_file_actions_destroy(&fa);
	unsigned port = wait_port(log, "listening on http://127.0.0.1:");
	if (!port) {
		fprintf(stderr, "bench: the server did not start (see %s)\n", log);
		kill(pid, SIGKILL);
		return 1;
	}
	struct serve_client c[SERVE_CLIENTS];
	pthread_t th[SERVE_CLIENTS];
	size_t per = SERVE_STATEMENTS / SERVE_CLIENTS;
	double t0 = now_s();
	for (unsigned i = 0; i < SERVE_CLIENTS; i++) {
		c[i] = (struct serve_client){ .port = port, .st = st, .len = len, .from = i * per, .id = i,
					      .n = per, .lat_ms = lat + i * per,
					      .per_request = i < SERVE_CLIENTS / 2 ? 1 : SERVE_BATCH };
		pthread_create(&th[i], NULL, serve_client_run, &c[i]);
	}
	int bad = 0;
	for (unsigned i = 0; i < SERVE_CLIENTS; i++) {
		pthread_join(th[i], NULL);
		bad |= c[i].err;
	}
	double wall_s = now_s() - t0;
	*rate = SERVE_STATEMENTS / wall_s;
	/* how the server spent it: transactions, and time under the ledger lock */
	{
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
		char mbuf[1 << 15];
		size_t got = 0;
		inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
			const char *rq = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
			if (write(fd, rq, strlen(rq)) == (ssize_t)strlen(rq))
				for (ssize_t r; got < sizeof mbuf - 1 &&
						(r = read(fd, mbuf + got, sizeof mbuf - 1 - got)) > 0;)
					got += (size_t)r;
		}
		if (fd >= 0)
			close(fd);
		mbuf[got] = '\0';
		const char *tx = strstr(mbuf, "corridor_batch_statements_count ");
		const char *cs = strstr(mbuf, "corridor_commit_seconds_sum ");
		if (tx && cs)
			fprintf(stderr, "bench: serve: %llu transactions, %.1f s of %.1f under the ledger lock\n",
				strtoull(tx + 32, NULL, 10), strtod(cs + 28, NULL), wall_s);
	}
	kill(pid, SIGTERM);
	int wst;
	while (waitpid(pid, &wst, 0) < 0 && errno == EINTR) {
	}
	/* single-statement latencies, then the batches' */
	double *one = malloc(SERVE_STATEMENTS * sizeof *one), *many = malloc(SERVE_CLIENTS * per * sizeof *many);
	size_t n1 = 0, n2 = 0;
	for (unsigned i = 0; i < SERVE_CLIENTS; i++)
		for (size_t k = 0; k < c[i].requests; k++) {
			if (c[i].per_request == 1)
				one[n1++] = c[i].lat_ms[k];
			else
				many[n2++] = c[i].lat_ms[k];
		}
	*p50 = percentile(one, n1, 0.50);
	*p99 = percentile(one, n1, 0.99);
	*bp99 = percentile(many, n2, 0.99);
	/* every statement once, the seqs dense, and it verifies */
	struct corridor_head h;
	if (!bad && corridor_ledger_open(ledger, 0, &l, &d) == 0) {
		if (corridor_ledger_head(l, &h) == 0 && h.size == 2 + SERVE_STATEMENTS &&
		    corridor_ledger_verify(l, NULL, NULL, &d) == 0)
			rc = 0;
		else
			fprintf(stderr, "bench: serve ledger: size %llu, %s\n",
				(unsigned long long)h.size, d.text);
		corridor_ledger_close(l);
	} else {
		fprintf(stderr, "bench: a serve client failed (see %s)\n", log);
	}
	free(one);
	free(many);
	free(st);
	free(len);
	free(arena);
	free(lat);
	corridor_signer_free(ru);
	corridor_signer_free(op);
	return rc;
}

/* A 1,000,000-row CSV of hourly power over many contracts, imported, then
 * the same hours of as many other contracts as one Measurement Value
 * Document: the rates, and the bytes on disk each CSV interval took. */
#define RSS_PASSPHRASE "bench passphrase"

/* `corridor delivery import` of csv into ledger with the key file, run by
 * a helper forked when the bench began: a child's peak memory (wait4's
 * ru_maxrss) counts the image it was spawned from, and the bench's own has
 * grown by then. */
struct rss_job {
	char bin[256], ledger[256], key[256], csv[256];
};
static int rss_req[2] = { -1, -1 }, rss_ans[2] = { -1, -1 };
static pid_t rss_pid = -1;

static void rss_helper_start(void)
{
	if (pipe(rss_req) != 0 || pipe(rss_ans) != 0)
		return;
	pid_t pid = fork();
	if (pid != 0) {
		rss_pid = pid;
		close(rss_req[0]);
		close(rss_ans[1]);
		return;
	}
	close(rss_req[1]);
	close(rss_ans[0]);
	struct rss_job j;
	long kib = -1;
	if (read(rss_req[0], &j, sizeof j) == (ssize_t)sizeof j) {
		char env_pass[64];
		snprintf(env_pass, sizeof env_pass, "CORRIDOR_PASSPHRASE=%s", RSS_PASSPHRASE);
		char *envp[] = { env_pass, NULL };
		const char *argv[] = { j.bin, "delivery", "import", "--key", j.key,
				       "--ledger", j.ledger, j.csv, NULL };
		posix_spawn_file_actions_t fa;
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
		pid_t c;
		int st;
		struct rusage ru;
		if (posix_spawn(&c, j.bin, &fa, NULL, (char *const *)(uintptr_t)argv, envp) == 0 &&
		    wait4(c, &st, 0, &ru) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0)
			kib = ru.ru_maxrss;
	}
	ssize_t w = write(rss_ans[1], &kib, sizeof kib);
	_exit(w == (ssize_t)sizeof kib ? 0 : 1);
}

static int cli_peak_rss(const char *bin, const char *ledger, const char *key, const char *csv,
			double *mb)
{
	struct rss_job j;
	long kib = -1;
	snprintf(j.bin, sizeof j.bin, "%s", bin);
	snprintf(j.ledger, sizeof j.ledger, "%s", ledger);
	snprintf(j.key, sizeof j.key, "%s", key);
	snprintf(j.csv, sizeof j.csv, "%s", csv);
	if (rss_req[1] < 0 || write(rss_req[1], &j, sizeof j) != (ssize_t)sizeof j ||
	    read(rss_ans[0], &kib, sizeof kib) != (ssize_t)sizeof kib || kib < 0) {
		fprintf(stderr, "bench: corridor delivery import (for its memory) failed\n");
		return 1;
	}
	waitpid(rss_pid, NULL, 0);
	*mb = (double)kib / 1024.0;
	return 0;
}

static int bench_import(struct corridor_ledger *l, struct corridor_signer *op, const char *ledger,
			const char *bin, double *csv_rate, double *bytes_per_interval_out,
			double *cim_rate, double *rss_mb, double *file_mb)
{
	struct corridor_diag d;
	double import_rate = 0, bytes_per_interval = 0, import_cim_rate = 0;
	uint8_t s2[32], s3[32];
	struct corridor_signer *grid, *buyer;
	randombytes_buf(s2, 32);
	randombytes_buf(s3, 32);
	uint64_t seq;
	/* the buyer's key as a file too: the CLI's import runs with it below */
	char buyer_key[128];
	snprintf(buyer_key, sizeof buyer_key, "%s/../mn-grid.key", ledger);
	(void)s3;
	if (corridor_signer_from_seed("RU-GRID", s2, &grid) != 0 ||
	    corridor_key_generate("MN-GRID", RSS_PASSPHRASE, strlen(RSS_PASSPHRASE),
				  CORRIDOR_KDF_INTERACTIVE, buyer_key, &d) != 0 ||
	    corridor_signer_load(buyer_key, RSS_PASSPHRASE, strlen(RSS_PASSPHRASE), &buyer, &d) != 0)
		return 1;
	struct corridor_party_request pr = { .id = "RU-GRID", .name = "RU grid", .country = "RU",
					     .roles = CORRIDOR_ROLE_SELLER,
					     .key = *corridor_signer_vkey(grid) };
	if (corridor_party_register(l, op, &pr, NULL, &seq, &d) != 0)
		return 1;
	pr = (struct corridor_party_request){ .id = "MN-GRID", .name = "MN grid", .country = "MN",
					      .roles = CORRIDOR_ROLE_BUYER,
					      .key = *corridor_signer_vkey(buyer) };
	if (corridor_party_register(l, op, &pr, NULL, &seq, &d) != 0)
		return 1;
	struct corridor_contract_terms t = { .commodity = CORRIDOR_COMMODITY_POWER,
					     .utc_offset_min = 180, .price_count = 1,
					     .payment_days = 15, .tolerance_permille = 10 };
	power_parties(&t);
	if (corridor_date_parse("2026-01-01", 10, &t.start_day) != 0 ||
	    corridor_date_parse("2027-01-01", 10, &t.end_day) != 0)
		return 1;
	t.prices[0] = (struct corridor_price_step){ .from_day = t.start_day,
						    .price_micro = 6150000 };
	/* R: the contracts of a ledger of their own, into which the CLI imports
	 * the same rows from a file, for its peak memory (a new ledger: the
	 * pages of this one's other data are not the import's) */
	char rss_ledger[160];
	struct corridor_ledger *rl;
	snprintf(rss_ledger, sizeof rss_ledger, "%s-rss", ledger);
	if (corridor_ledger_create(rss_ledger, op, &rl, &d) != 0)
		return 1;
	pr = (struct corridor_party_request){ .id = "RU-GRID", .name = "RU grid", .country = "RU",
					      .roles = CORRIDOR_ROLE_SELLER,
					      .key = *corridor_signer_vkey(grid) };
	if (corridor_party_register(rl, op, &pr, NULL, &seq, &d) != 0)
		return 1;
	pr = (struct corridor_party_request){ .id = "MN-GRID", .name = "MN grid", .country = "MN",
					      .roles = CORRIDOR_ROLE_BUYER,
					      .key = *corridor_signer_vkey(buyer) };
	if (corridor_party_register(rl, op, &pr, NULL, &seq, &d) != 0)
		return 1;
	for (unsigned c = 0; c < 3 * IMPORT_CONTRACTS; c++) {
		uint64_t prop;
		/* P: imported from CSV; Q: from a Measurement Value Document; R:
		 * from CSV by the CLI, into rl */
		unsigned k = c / IMPORT_CONTRACTS;
		struct corridor_ledger *in = k == 2 ? rl : l;
		snprintf(t.id, sizeof t.id, "%c%u", "PQR"[k], c % IMPORT_CONTRACTS);
		snprintf(t.billing_meter, sizeof t.billing_meter, "%s-%u",
			 k == 0 ? "SEL" : k == 1 ? "QEL" : "REL", c % IMPORT_CONTRACTS);
		if (corridor_contract_propose(in, grid, &t, NULL, &prop, &d) != 0 ||
		    corridor_contract_accept(in, buyer, t.id, prop, NULL, &seq, &d) != 0) {
			fprintf(stderr, "bench: contracts: %s\n", d.text);
			return 1;
		}
	}
	size_t cap = (size_t)IMPORT_ROWS * 96u + 64u, len = 0;
	char *csv = malloc(cap);
	len += (size_t)snprintf(csv, cap, "contract,start,end,quantity,meter,reference\r\n");
	int64_t base_s = (int64_t)t.start_day * 86400 - 180 * 60;
	for (unsigned i = 0; i < IMPORT_ROWS; i++) {
		char s[21], e[21];
		unsigned c = i % IMPORT_CONTRACTS, h = i / IMPORT_CONTRACTS;
		corridor_utc_format(base_s + (int64_t)h * 3600, s);
		corridor_utc_format(base_s + (int64_t)(h + 1) * 3600, e);
		len += (size_t)snprintf(csv + len, cap - len, "P%u,%s,%s,%u.%03u,SEL-%u,H%u-%u\r\n",
					c, s, e, 40000u + i % 977u, i % 1000u, c, c, h);
	}
	struct stat st0, st1;
	char path[96];
	snprintf(path, sizeof path, "%s/data.mdb", ledger);
	stat(path, &st0);
	size_t written, skipped;

	double t1 = now_s();
	if (corridor_delivery_import(l, buyer, csv, len, BATCH, NULL, NULL, &written, &skipped,
				     &d) != 0) {
		fprintf(stderr, "bench: import: %s\n", d.text);
		return 1;
	}
	import_rate = IMPORT_ROWS / (now_s() - t1);
	stat(path, &st1);
	bytes_per_interval = (double)(st1.st_size - st0.st_size) / IMPORT_ROWS;
	/* the same rows for the R contracts, imported by the CLI from a file:
	 * its peak resident memory beside the file's size */
	for (char *p = csv; (p = strstr(p, "\r\nP")) != NULL; p += 2)
		p[2] = 'R';
	for (char *p = csv; (p = strstr(p, ",SEL-")) != NULL; p += 2)
		memcpy(p + 1, "REL", 3);
	char csv_path[160];
	snprintf(csv_path, sizeof csv_path, "%s/../rss.csv", ledger);
	FILE *cf = fopen(csv_path, "w");
	if (!cf || fwrite(csv, 1, len, cf) != len || fclose(cf) != 0)
		return 1;
	corridor_ledger_close(rl);
	if (cli_peak_rss(bin, rss_ledger, buyer_key, csv_path, rss_mb) != 0)
		return 1;
	*file_mb = (double)len / 1e6;
	free(csv);
	/* The same hours for the Q contracts as one Measurement Value Document:
	 * a TimeSeries per metering point, a Period per UTC day. */
	unsigned hours = IMPORT_ROWS / IMPORT_CONTRACTS;
	cap = (size_t)IMPORT_CONTRACTS * ((size_t)hours * 80u + (hours / 24u + 2u) * 200u + 1024u);
	char *xml = malloc(cap);
	if (!xml)
		return 1;
	char a[21], b[21];
	minute_z(base_s, a);
	minute_z(base_s + (int64_t)hours * 3600, b);
	len = (size_t)snprintf(xml, cap,
			       "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			       "<MeasurementValue_MarketDocument xmlns=\"urn:iec62325.351:"
			       "tc57wg16:451-n:measurementvaluedocument:1:1\">"
			       "<mRID>BENCH-1</mRID><revisionNumber>1</revisionNumber>"
			       "<type>A45</type><process.processType>A20</process.processType>"
			       "<sender_MarketParticipant.mRID codingScheme=\"A01\">10XMN"
			       "</sender_MarketParticipant.mRID><sender_MarketParticipant."
			       "marketRole.type>A04</sender_MarketParticipant.marketRole.type>"
			       "<receiver_MarketParticipant.mRID codingScheme=\"A01\">10XRU"
			       "</receiver_MarketParticipant.mRID><receiver_MarketParticipant."
			       "marketRole.type>A04</receiver_MarketParticipant.marketRole.type>"
			       "<createdDateTime>2027-01-02T00:00:00Z</createdDateTime>"
			       "<period.timeInterval><start>%s</start><end>%s</end>"
			       "</period.timeInterval><domain.mRID codingScheme=\"A01\">10YMN"
			       "</domain.mRID>\n",
			       a, b);
	for (unsigned c = 0; c < IMPORT_CONTRACTS; c++) {
		len += (size_t)snprintf(xml + len, cap - len,
					"<TimeSeries><mRID>%u</mRID><businessType>A65"
					"</businessType><product>8716867000030</product>"
					"<curveType>A01</curveType><in_Domain.mRID "
					"codingScheme=\"A01\">10YMN</in_Domain.mRID>"
					"<out_Domain.mRID codingScheme=\"A01\">10YRU"
					"</out_Domain.mRID><marketEvaluationPoint.mRID "
					"codingScheme=\"A01\">QEL-%u</marketEvaluationPoint.mRID>"
					"<measurement_Unit.name>KWH</measurement_Unit.name>\n",
					c, c);
		int64_t end_s = base_s + (int64_t)hours * 3600;
		for (int64_t day = base_s - base_s % 86400; day < end_s; day += 86400) {
			int64_t p0 = day > base_s ? day : base_s;
			int64_t p1 = day + 86400 < end_s ? day + 86400 : end_s;
			minute_z(p0, a);
			minute_z(p1, b);
			len += (size_t)snprintf(xml + len, cap - len,
						"<Period><timeInterval><start>%s</start><end>"
						"%s</end></timeInterval><resolution>PT60M"
						"</resolution>\n",
						a, b);
			for (int64_t t2 = p0; t2 < p1; t2 += 3600) {
				unsigned i = (unsigned)((t2 - base_s) / 3600) * IMPORT_CONTRACTS + c;
				len += (size_t)snprintf(
					xml + len, cap - len,
					"<Point><position>%u</position><quantity>%u.%03u"
					"</quantity></Point>\n",
					(unsigned)((t2 - p0) / 3600 + 1), 40000u + i % 977u,
					i % 1000u);
			}
			len += (size_t)snprintf(xml + len, cap - len, "</Period>\n");
		}
		len += (size_t)snprintf(xml + len, cap - len, "</TimeSeries>\n");
		if (len >= cap) {
			fprintf(stderr, "bench: the document outgrew its buffer\n");
			return 1;
		}
	}
	len += (size_t)snprintf(xml + len, cap - len, "</MeasurementValue_MarketDocument>\n");
	struct corridor_delivery_import_opts io = { .format = CORRIDOR_DELIVERIES_MVD,
						    .batch_entries = BATCH };
	t1 = now_s();
	if (corridor_delivery_import_with(l, buyer, xml, len, &io, &written, &skipped, &d) != 0 ||
	    written != (size_t)hours * IMPORT_CONTRACTS) {
		fprintf(stderr, "bench: import --format cim: %s\n", d.text);
		return 1;
	}
	import_cim_rate = (double)written / (now_s() - t1);
	free(xml);
	corridor_signer_free(grid);
	corridor_signer_free(buyer);
	*csv_rate = import_rate;
	*bytes_per_interval_out = bytes_per_interval;
	*cim_rate = import_cim_rate;
	return 0;
}

int main(int argc, char **argv)
{
	const char *bin = argc > 1 ? argv[1] : "build/corridor";
	rss_helper_start(); /* while the bench is small */
	if (corridor_init() != 0)
		return 1;
	uint8_t pk[32], sk[64], msg[MSG_BYTES], sig[64];
	crypto_sign_keypair(pk, sk);
	randombytes_buf(msg, sizeof msg);

	double t0 = now_s();
	for (unsigned i = 0; i < RAW_OPS; i++) {
		msg[0] = (uint8_t)i;
		crypto_sign_detached(sig, NULL, msg, sizeof msg, sk);
	}
	double sign_only = RAW_OPS / (now_s() - t0);

	t0 = now_s();
	unsigned ok = 0;
	for (unsigned i = 0; i < RAW_OPS; i++)
		ok += crypto_sign_verify_detached(sig, msg, sizeof msg, pk) == 0;
	double verify_only = RAW_OPS / (now_s() - t0);
	if (ok != RAW_OPS && ok != 1) {
		/* only the last message matches its signature; the work is what counts */
	}

	char dir[] = "build/bench-XXXXXX";
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	/* CORRIDOR_BENCH=serve: the raw rates and the service alone (a quicker run) */
	const char *only = getenv("CORRIDOR_BENCH");
	if (only && strcmp(only, "serve") == 0) {
		double rate = 0, p50 = 0, p99 = 0, bp99 = 0;
		int rc = bench_serve(bin, dir, &rate, &p50, &p99, &bp99);
		if (rc == 0)
			printf("verify_only_per_s %.0f\nserve_statements_per_s %.0f\n"
			       "serve_vs_verify_only %.2f\nserve_p50_ms %.1f\nserve_p99_ms %.1f\n"
			       "serve_batch_p99_ms %.1f\n",
			       verify_only, rate, rate / verify_only, p50, p99, bp99);
		if (rc == 0) /* on failure the server's log stays */
			nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
		return rc;
	}
	char ledger[64];
	snprintf(ledger, sizeof ledger, "%s/L", dir);
	uint8_t seed[32];
	randombytes_buf(seed, sizeof seed);
	struct corridor_signer *op;
	struct corridor_ledger *l;
	struct corridor_diag d;
	if (corridor_signer_from_seed("bench.example/ledger", seed, &op) != 0 ||
	    corridor_ledger_create(ledger, op, &l, &d) != 0) {
		fprintf(stderr, "bench: cannot create the ledger: %s\n", d.text);
		return 1;
	}
	static char texts_buf[ENTRIES][48];
	const char **texts = malloc(ENTRIES * sizeof *texts);
	size_t *lens = malloc(ENTRIES * sizeof *lens);
	for (unsigned i = 0; i < ENTRIES; i++) {
		snprintf(texts_buf[i], sizeof texts_buf[i], "meter reading %u at border point", i);
		texts[i] = texts_buf[i];
		lens[i] = strlen(texts_buf[i]);
	}
	t0 = now_s();
	if (corridor_memo_append(l, op, texts, lens, ENTRIES, BATCH, NULL, NULL, &d) != 0) {
		fprintf(stderr, "bench: ingest failed: %s\n", d.text);
		return 1;
	}
	double ingest = ENTRIES / (now_s() - t0);
	/* CORRIDOR_BENCH=audit: the audit report alone */
	if (only && strcmp(only, "audit") == 0) {
		double ams = 0, amb = 0, aiv = 0;
		int rc = bench_audit(dir, op, &ams, &amb, &aiv);
		if (rc == 0)
			printf("audit_intervals %.0f\naudit_report_ms %.0f\naudit_report_mb %.2f\n", aiv,
			       ams, amb);
		corridor_ledger_close(l);
		corridor_signer_free(op);
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
		return rc;
	}
	/* CORRIDOR_BENCH=import: the raw signing rate and the delivery importers alone */
	if (only && strcmp(only, "import") == 0) {
		double csv = 0, bpi = 0, cim = 0;
		double rss = 0, fmb = 0;
		int rc = bench_import(l, op, ledger, bin, &csv, &bpi, &cim, &rss, &fmb);
		if (rc == 0)
			printf("sign_only_per_s %.0f\nimport_csv_intervals_per_s %.0f\n"
			       "import_cim_intervals_per_s %.0f\nimport_vs_sign_only %.2f\n"
			       "bytes_per_interval %.0f\nimport_file_mb %.0f\nimport_peak_rss_mb %.0f\n",
			       sign_only, csv, cim, csv / sign_only, bpi, fmb, rss);
		corridor_ledger_close(l);
		corridor_signer_free(op);
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
		return rc;
	}

	t0 = now_s();
	if (corridor_ledger_verify(l, NULL, NULL, &d) != 0) {
		fprintf(stderr, "bench: verify failed: %s\n", d.text);
		return 1;
	}
	double verify = (ENTRIES + 1) / (now_s() - t0);

	/* The same log as tiles with bundles, and a replica fed from them. */
	double tiles_export = 0, tiles_import = 0, monitor = 0;
	{
		char tdir[4200], rdir[4200];
		struct corridor_tiles_stats ts;
		uint64_t size = 0, got = 0;
		snprintf(tdir, sizeof tdir, "%s/tiles", dir);
		snprintf(rdir, sizeof rdir, "%s/tiles-replica", dir);
		if (corridor_checkpoint_sign(l, op, &size, &d) != 0)
			return 1;
		t0 = now_s();
		if (corridor_tiles_export(l, tdir, true, &ts, &d) != 0) {
			fprintf(stderr, "bench: tiles export: %s\n", d.text);
			return 1;
		}
		tiles_export = (double)size / (now_s() - t0);
		t0 = now_s();
		if (corridor_tiles_import(rdir, tdir, corridor_signer_vkey(op), &got, &d) != 0 ||
		    got != size) {
			fprintf(stderr, "bench: import --tiles: %s\n", d.text);
			return 1;
		}
		tiles_import = (double)size / (now_s() - t0);
		if (bench_monitor(bin, dir, tdir, corridor_signer_vkey(op), size, &monitor) != 0)
			return 1;
	}

	double import_rate = 0, bytes_per_interval = 0, import_cim_rate = 0;
	double rss_mb = 0, file_mb = 0;
	if (bench_import(l, op, ledger, bin, &import_rate, &bytes_per_interval, &import_cim_rate,
			 &rss_mb, &file_mb) != 0)
		return 1;

	double settle_rate = 0, settle_share = 0, settle_unchecked = 0, balances_ms = 0;
	double series_rate = 0, series_share = 0, series_unchecked = 0, series_bal_ms = 0;
	if (bench_settle(dir, op, 2400, &settle_rate, &settle_share, &settle_unchecked,
			 &balances_ms) != 0 ||
	    bench_settle(dir, op, 900, &series_rate, &series_share, &series_unchecked,
			 &series_bal_ms) != 0)
		return 1;
	printf("sign_only_per_s %.0f\n", sign_only);
	printf("ingest_entries_per_s %.0f\n", ingest);
	printf("verify_only_per_s %.0f\n", verify_only);
	printf("verify_entries_per_s %.0f\n", verify);
	printf("tiles_export_entries_per_s %.0f\n", tiles_export);
	printf("tiles_import_entries_per_s %.0f\n", tiles_import);
	printf("monitor_entries_per_s %.0f\n", monitor);
	printf("ingest_vs_sign_only %.2f\n", ingest / sign_only);
	printf("verify_vs_verify_only %.2f\n", verify / verify_only);
	printf("import_csv_intervals_per_s %.0f\n", import_rate);
	printf("import_cim_intervals_per_s %.0f\n", import_cim_rate);
	printf("import_vs_sign_only %.2f\n", import_rate / sign_only);
	printf("bytes_per_interval %.0f\n", bytes_per_interval);
	printf("import_file_mb %.0f\n", file_mb);
	printf("import_peak_rss_mb %.0f\n", rss_mb);
	printf("settle_intervals_per_s %.0f\n", settle_rate);
	printf("settle_check_share %.2f\n", settle_share);
	printf("settle_series_intervals_per_s %.0f\n", series_rate);
	printf("settle_series_vs_single %.2f\n", series_rate / settle_rate);
	printf("settle_unchecked_intervals_per_s %.0f\n", settle_unchecked);
	printf("report_balances_ms %.1f\n", balances_ms);
	double audit_ms = 0, audit_mb = 0, audit_iv = 0;
	if (bench_audit(dir, op, &audit_ms, &audit_mb, &audit_iv) != 0)
		return 1;
	printf("audit_intervals %.0f\n", audit_iv);
	printf("audit_report_ms %.0f\n", audit_ms);
	printf("audit_report_mb %.2f\n", audit_mb);
	double serve_rate = 0, p50 = 0, p99 = 0, bp99 = 0;
	if (bench_serve(bin, dir, &serve_rate, &p50, &p99, &bp99) != 0)
		return 1;
	printf("serve_statements_per_s %.0f\n", serve_rate);
	printf("serve_vs_verify_only %.2f\n", serve_rate / verify_only);
	printf("serve_p50_ms %.1f\n", p50);
	printf("serve_p99_ms %.1f\n", p99);
	printf("serve_batch_p99_ms %.1f\n", bp99);
	corridor_ledger_close(l);
	corridor_signer_free(op);
	free(texts);
	free(lens);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}
