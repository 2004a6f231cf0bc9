/* test_crash.c — kill -9 a bulk memo writer at random moments, many times:
 * every seq it acknowledged is still there, nothing partial is, verify passes.
 * CORRIDOR_CRASH_ITERATIONS sets the number of kills (default 12). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <msgpack.h>

#include "../formats/formats.h"
#include "testutil.h"

#define ORIGIN "corridor.example/crash"
#define LINES 4000
#define BATCH 200
/* A fresh ledger every so many kills keeps each verify small. */
#define KILLS_PER_LEDGER 25

extern char **environ;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Starts `corridor memo --from` with stdout to `out`; kills it after
 * delay_ns (0: let it finish). Returns its wait status. */
static int run_writer(const char *ledger, const char *key, const char *lines, const char *out,
		      uint64_t delay_ns)
{
	char batch[16];
	snprintf(batch, sizeof batch, "%d", BATCH);
	const char *argv[] = { corridor_bin(), "memo", "--ledger", ledger, "--key", key, "--from",
			       lines, "--batch", batch, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	setenv("CORRIDOR_PASSPHRASE", "crash test", 1);
	pid_t pid;
	ck_assert_int_eq(posix_spawn(&pid, argv[0], &fa, NULL, (char **)(uintptr_t)argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	if (delay_ns) {
		struct timespec ts = { .tv_sec = (time_t)(delay_ns / 1000000000u),
				       .tv_nsec = (long)(delay_ns % 1000000000u) };
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
	}
	return st;
}

/* The highest seq the writer acknowledged, or -1. */
static long long last_ack(const char *out)
{
	size_t len;
	char *t = (char *)slurp(out, &len);
	long long last = -1;
	for (char *p = t; p && *p;) {
		unsigned long long a, b;
		if (sscanf(p, "appended %llu..%llu", &a, &b) == 2)
			last = (long long)b;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	free(t);
	return last;
}

struct check_ctx {
	int run;
	uint64_t next_line;
	bool ok;
};

static int check_entry(void *vctx, uint64_t seq, const uint8_t *bytes, size_t len)
{
	struct check_ctx *c = vctx;
	struct corridor_entry e;
	const char *s;
	size_t n;
	char want[64];
	(void)seq;
	ck_assert_int_eq(corridor_entry_decode(bytes, len, &e, NULL), 0);
	ck_assert_int_eq(corridor_msgpack_map_str(e.body, e.body_len, "text", &s, &n), 0);
	snprintf(want, sizeof want, "run %d line %llu", c->run, (unsigned long long)c->next_line);
	/* This run's memos are exactly its first lines, in order. */
	c->ok = c->ok && n == strlen(want) && memcmp(s, want, n) == 0;
	c->next_line++;
	return 0;
}

START_TEST(kill_nine_during_bulk_memo)
{
	char *dir = tmpdir_new();
	char ledger[1024], key[1024], lines[1024], out[1024];
	snprintf(ledger, sizeof ledger, "%s", path_join(dir, "L"));
	snprintf(key, sizeof key, "%s", path_join(dir, "op.key"));
	snprintf(lines, sizeof lines, "%s", path_join(dir, "lines.txt"));
	snprintf(out, sizeof out, "%s", path_join(dir, "out.txt"));
	const char *env[] = { "CORRIDOR_PASSPHRASE=crash test", NULL };
	struct run r = run_cli((const char *[]){ "key", "generate", "--name", ORIGIN, "--out", key,
						 "--kdf", "interactive", NULL }, env);
	ck_assert_int_eq(r.status, 0);
	run_free(&r);
	const char *it_env = getenv("CORRIDOR_CRASH_ITERATIONS");
	int iterations = it_env ? atoi(it_env) : 12;
	uint32_t x = 0x9e3779b9u; /* fixed seed: the same kill schedule every run */
	uint64_t full_ns = 0;
	int killed_mid_write = 0;
	for (int run = 0; run <= iterations; run++) {
		if (run % KILLS_PER_LEDGER == 0 || run == 1) {
			rm_rf(ledger);
			r = run_cli((const char *[]){ "init", "--origin", ORIGIN, "--operator-key", key,
						      "--ledger", ledger, NULL }, env);
			ck_assert_int_eq(r.status, 0);
			run_free(&r);
		}
		FILE *f = fopen(lines, "w");
		for (int j = 0; j < LINES; j++)
			fprintf(f, "run %d line %d\n", run, j);
		fclose(f);
		struct corridor_ledger *l;
		struct corridor_head before, after;
		ck_assert_int_eq(corridor_ledger_open(ledger, 0, &l, NULL), 0);
		ck_assert_int_eq(corridor_ledger_head(l, &before), 0);
		corridor_ledger_close(l);

		uint64_t delay = 0;
		if (run > 0) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			delay = 1 + (uint64_t)x % full_ns;
		}
		uint64_t t0 = now_ns();
		int st = run_writer(ledger, key, lines, out, delay);
		if (run == 0) { /* the first run completes and times a whole run */
			ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
			full_ns = now_ns() - t0;
		}
		long long acked = last_ack(out);

		struct corridor_diag d;
		ck_assert_int_eq(corridor_ledger_open(ledger, 0, &l, &d), 0);
		ck_assert_msg(corridor_ledger_verify(l, NULL, NULL, &d) == 0, "run %d: %s", run, d.text);
		ck_assert_int_eq(corridor_ledger_head(l, &after), 0);
		/* Nothing acknowledged is lost. */
		if (acked >= 0)
			ck_assert_uint_ge(after.size, (uint64_t)acked + 1);
		/* Nothing partial: whole batches of this run's lines, in order. */
		uint64_t added = after.size - before.size;
		ck_assert_msg(added % BATCH == 0 || added == LINES, "run %d added %llu", run,
			      (unsigned long long)added);
		struct check_ctx c = { .run = run, .next_line = 0, .ok = true };
		ck_assert_int_eq(corridor_ledger_scan(l, before.size, 0, check_entry, &c), 0);
		ck_assert_msg(c.ok, "run %d: entries are not its first lines in order", run);
		corridor_ledger_close(l);
		if (run > 0 && added > 0 && added < LINES)
			killed_mid_write++;
	}
	fprintf(stderr, "crash: %d kills, %d in the middle of the writes\n", iterations,
		killed_mid_write);
	rm_rf(dir);
	free(dir);
}
END_TEST

/* kill -9 a delivery import at random moments, then run the same import to
 * the end: every row is in the ledger exactly once and verify passes. */

struct ref_count {
	const char *meter; /* the intervals of this meter */
	size_t records, distinct_ok;
	char seen[4096];
};

#define CRASH_FIRST_HOUR_S 1767196800 /* 2025-12-31T16:00:00Z: 2026-01-01 at +08:00 */

/* One hour of the import is in the ledger: once. */
static void hour_seen(struct ref_count *c, int64_t start_s)
{
	ck_assert_int_ge(start_s, CRASH_FIRST_HOUR_S);
	ck_assert_int_eq((start_s - CRASH_FIRST_HOUR_S) % 3600, 0);
	size_t idx = (size_t)((start_s - CRASH_FIRST_HOUR_S) / 3600);
	ck_assert_uint_lt(idx, sizeof c->seen);
	ck_assert_msg(!c->seen[idx], "hour %zu is in the ledger twice", idx);
	c->seen[idx] = 1;
	c->records++;
}

/* Every interval the import wrote: as single readings or as series points. */
static int count_record(void *vctx, uint64_t seq, const uint8_t *bytes, size_t len)
{
	struct ref_count *c = vctx;
	struct corridor_entry e;
	(void)seq;
	ck_assert_int_eq(corridor_entry_decode(bytes, len, &e, NULL), 0);
	if (strcmp(e.kind, "delivery.record") != 0 && strcmp(e.kind, "delivery.series") != 0)
		return 0;
	ck_assert_uint_eq(e.version, CORRIDOR_ENTRY_VERSION_2);
	msgpack_unpacked u;
	msgpack_unpacked_init(&u);
	ck_assert(msgpack_unpack_next(&u, (const char *)e.body, e.body_len, NULL) ==
		  MSGPACK_UNPACK_SUCCESS);
	const msgpack_object *m = corridor_mpo_field(&u.data, "meter");
	ck_assert(m && m->type == MSGPACK_OBJECT_STR);
	if (m->via.str.size != strlen(c->meter) ||
	    memcmp(m->via.str.ptr, c->meter, m->via.str.size) != 0) {
		msgpack_unpacked_destroy(&u);
		return 0;
	}
	if (strcmp(e.kind, "delivery.series") == 0) {
		struct corridor_series *s = malloc(sizeof *s);
		ck_assert_int_eq(corridor_series_decode(&u.data, s), 0);
		ck_assert_uint_eq(s->resolution_s, 3600);
		for (uint32_t i = 0; i < s->count; i++)
			if (s->quality[i] != CORRIDOR_QUALITY_MISSING)
				hour_seen(c, s->start_s + 3600 * (int64_t)i);
		free(s);
	} else {
		int64_t start;
		ck_assert(corridor_mpo_int(corridor_mpo_field(&u.data, "start"), &start));
		hour_seen(c, start);
	}
	msgpack_unpacked_destroy(&u);
	return 0;
}

/* Starts argv (the real binary, stdout to `out`) and kills it with SIGKILL
 * after a random pause below max_ms (xorshift state *x). */
static void spawn_and_kill(const char *const *argv, const char *out, uint32_t max_ms, uint32_t *x)
{
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	pid_t pid;
	ck_assert_int_eq(posix_spawn(&pid, argv[0], &fa, NULL, (char **)(uintptr_t)argv, environ),
			 0);
	posix_spawn_file_actions_destroy(&fa);
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	struct timespec ts = { 0, (long)(*x % max_ms) * 1000000L };
	nanosleep(&ts, NULL);
	kill(pid, SIGKILL);
	int st;
	waitpid(pid, &st, 0);
}

/* Runs argv `kills` times, each killed at a random moment; after each the
 * ledger opens and verifies. */
static void kill_during(const char *const *argv, const char *out, const char *ledger, int kills,
			uint32_t x)
{
	for (int k = 0; k < kills; k++) {
		spawn_and_kill(argv, out, 900u, &x);
		struct corridor_ledger *l;
		struct corridor_diag d;
		ck_assert_int_eq(corridor_ledger_open(ledger, 0, &l, &d), 0);
		ck_assert_msg(corridor_ledger_verify(l, NULL, NULL, &d) == 0, "kill %d: %s", k, d.text);
		corridor_ledger_close(l);
	}
}

START_TEST(kill_nine_during_delivery_import)
{
	char *dir = tmpdir_new();
	char ledger[1024], op[1024], gaz[1024], buy[1024], csv[1024], out[1024];
	snprintf(ledger, sizeof ledger, "%s", path_join(dir, "L"));
	snprintf(op, sizeof op, "%s", path_join(dir, "op.key"));
	snprintf(gaz, sizeof gaz, "%s", path_join(dir, "gaz.key"));
	snprintf(buy, sizeof buy, "%s", path_join(dir, "buy.key"));
	snprintf(csv, sizeof csv, "%s", path_join(dir, "rows.csv"));
	snprintf(out, sizeof out, "%s", path_join(dir, "out.txt"));
	const char *env[] = { "CORRIDOR_PASSPHRASE=crash test", NULL };
	struct run r;
#define CLI(...)                                                                   \
	do {                                                                       \
		r = run_cli((const char *[]){ __VA_ARGS__, NULL }, env);           \
		ck_assert_msg(r.status == 0, "%s", r.err);                         \
		run_free(&r);                                                      \
	} while (0)
	CLI("key", "generate", "--name", ORIGIN, "--out", op, "--kdf", "interactive");
	r = run_cli((const char *[]){ "key", "generate", "--name", "RU-GAZ", "--out", gaz, "--kdf",
				      "interactive", NULL }, env);
	char gvk[256];
	snprintf(gvk, sizeof gvk, "%s", r.out);
	gvk[strcspn(gvk, "\n")] = 0;
	run_free(&r);
	r = run_cli((const char *[]){ "key", "generate", "--name", "CN-BUY", "--out", buy, "--kdf",
				      "interactive", NULL }, env);
	char bvk[256];
	snprintf(bvk, sizeof bvk, "%s", r.out);
	bvk[strcspn(bvk, "\n")] = 0;
	run_free(&r);
	CLI("init", "--origin", ORIGIN, "--operator-key", op, "--ledger", ledger);
	CLI("party", "register", "--key", op, "--id", "RU-GAZ", "--name", "G", "--country", "RU",
	    "--roles", "seller", "--vkey", gvk, "--ledger", ledger);
	CLI("party", "register", "--key", op, "--id", "CN-BUY", "--name", "B", "--country", "CN",
	    "--roles", "buyer", "--vkey", bvk, "--ledger", ledger);
	const char *base = getenv("CORRIDOR_EXAMPLES");
	char g1[1024];
	snprintf(g1, sizeof g1, "%s/gas-G1.json", base ? base : "docs/examples");
	CLI("contract", "propose", "--key", gaz, "--file", g1, "--ledger", ledger);
	CLI("contract", "accept", "G1", "--key", buy, "--ledger", ledger);
	/* 4000 hourly readings of G1 (+08:00), from 2026-01-01 local. */
	enum { ROWS = 4000 };
	FILE *f = fopen(csv, "w");
	fprintf(f, "contract,start,end,quantity,meter,reference\r\n");
	for (int i = 0; i < ROWS; i++) {
		char s[21], e[21];
		int64_t t0 = CRASH_FIRST_HOUR_S + (int64_t)i * 3600;
		corridor_utc_format(t0, s);
		corridor_utc_format(t0 + 3600, e);
		fprintf(f, "G1,%s,%s,%d.%03d,M1,ROW-%d\r\n", s, e, 4 + i % 3, i % 1000, i);
	}
	fclose(f);
	const char *it_env = getenv("CORRIDOR_CRASH_ITERATIONS");
	int kills = it_env ? atoi(it_env) / 4 : 4;
	setenv("CORRIDOR_PASSPHRASE", "crash test", 1);
	const char *argv[] = { corridor_bin(), "delivery", "import", "--key", gaz, csv,
			       "--batch", "250", "--ledger", ledger, NULL };
	kill_during(argv, out, ledger, kills, 0x2545f491u);
	/* The same import, to the end. */
	CLI("delivery", "import", "--key", gaz, csv, "--batch", "250", "--ledger", ledger);
	struct corridor_ledger *l;
	struct corridor_diag d;
	ck_assert_int_eq(corridor_ledger_open(ledger, 0, &l, &d), 0);
	ck_assert_msg(corridor_ledger_verify(l, NULL, NULL, &d) == 0, "%s", d.text);
	struct ref_count *c = calloc(1, sizeof *c);
	c->meter = "M1";
	ck_assert_int_eq(corridor_ledger_scan(l, 0, 0, count_record, c), 0);
	ck_assert_uint_eq(c->records, ROWS);
	free(c);
	corridor_ledger_close(l);
	/* The buyer's side of the same hours as a Measurement Value Document
	 * (one Period per UTC day, its meter placed by the map), killed too. */
	char xml[1024], map[1024];
	snprintf(xml, sizeof xml, "%s", path_join(dir, "buyer.xml"));
	snprintf(map, sizeof map, "%s", path_join(dir, "map.csv"));
	f = fopen(map, "w");
	fprintf(f, "point,in_domain,out_domain,contract,meter\nCN-M1-EIC,,,G1,CN-M1\n");
	fclose(f);
	f = fopen(xml, "w");
	int64_t t_end = CRASH_FIRST_HOUR_S + (int64_t)ROWS * 3600;
	char a[21], b[21];
	corridor_utc_format(CRASH_FIRST_HOUR_S, a);
	corridor_utc_format(t_end, b);
	a[16] = b[16] = 'Z';
	a[17] = b[17] = 0;
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<MeasurementValue_MarketDocument "
		   "xmlns=\"urn:iec62325.351:tc57wg16:451-n:measurementvaluedocument:1:1\">"
		   "<mRID>CRASH-1</mRID><revisionNumber>1</revisionNumber><type>A45</type>"
		   "<process.processType>A20</process.processType>"
		   "<sender_MarketParticipant.mRID codingScheme=\"A01\">S</sender_MarketParticipant.mRID>"
		   "<sender_MarketParticipant.marketRole.type>A04</sender_MarketParticipant.marketRole.type>"
		   "<receiver_MarketParticipant.mRID codingScheme=\"A01\">R</receiver_MarketParticipant.mRID>"
		   "<receiver_MarketParticipant.marketRole.type>A04</receiver_MarketParticipant.marketRole.type>"
		   "<createdDateTime>2026-12-01T00:00:00Z</createdDateTime><period.timeInterval>"
		   "<start>%s</start><end>%s</end></period.timeInterval>"
		   "<domain.mRID codingScheme=\"A01\">D</domain.mRID><TimeSeries><mRID>1</mRID>"
		   "<businessType>A65</businessType><product>8716867000030</product>"
		   "<curveType>A01</curveType><in_Domain.mRID codingScheme=\"A01\">I</in_Domain.mRID>"
		   "<out_Domain.mRID codingScheme=\"A01\">O</out_Domain.mRID>"
		   "<marketEvaluationPoint.mRID codingScheme=\"A01\">CN-M1-EIC</marketEvaluationPoint.mRID>"
		   "<measurement_Unit.name>MWH</measurement_Unit.name>\n",
		a, b);
	for (int64_t day = CRASH_FIRST_HOUR_S - CRASH_FIRST_HOUR_S % 86400; day < t_end; day += 86400) {
		int64_t p0 = day > CRASH_FIRST_HOUR_S ? day : CRASH_FIRST_HOUR_S;
		int64_t p1 = day + 86400 < t_end ? day + 86400 : t_end;
		corridor_utc_format(p0, a);
		corridor_utc_format(p1, b);
		a[16] = b[16] = 'Z';
		a[17] = b[17] = 0;
		fprintf(f, "<Period><timeInterval><start>%s</start><end>%s</end></timeInterval>"
			   "<resolution>PT60M</resolution>\n", a, b);
		for (int64_t t = p0; t < p1; t += 3600)
			fprintf(f, "<Point><position>%lld</position><quantity>4.%03lld</quantity></Point>\n",
				(long long)((t - p0) / 3600 + 1), (long long)(t / 3600 % 1000));
		fprintf(f, "</Period>\n");
	}
	fprintf(f, "</TimeSeries></MeasurementValue_MarketDocument>\n");
	fclose(f);
	const char *cargv[] = { corridor_bin(), "delivery", "import", "--key", buy, "--format",
				"cim", "--map", map, xml, "--batch", "20", "--ledger", ledger, NULL };
	kill_during(cargv, out, ledger, kills, 0x9e3779b9u);
	CLI("delivery", "import", "--key", buy, "--format", "cim", "--map", map, xml, "--batch", "20",
	    "--ledger", ledger);
	r = run_cli((const char *[]){ "delivery", "import", "--key", buy, "--format", "cim", "--map",
				      map, xml, "--ledger", ledger, NULL },
		    env);
	ck_assert_msg(r.status == 0 && strstr(r.out, "imported 0 readings"), "%s%s", r.out, r.err);
	run_free(&r);
	ck_assert_int_eq(corridor_ledger_open(ledger, 0, &l, &d), 0);
	ck_assert_msg(corridor_ledger_verify(l, NULL, NULL, &d) == 0, "%s", d.text);
	c = calloc(1, sizeof *c);
	c->meter = "CN-M1";
	ck_assert_int_eq(corridor_ledger_scan(l, 0, 0, count_record, c), 0);
	ck_assert_uint_eq(c->records, ROWS);
	free(c);
	corridor_ledger_close(l);
	fprintf(stderr, "crash: %d kills during a %d-row delivery import and %d during a "
			"%d-interval Measurement Value Document import, then each completed once\n",
		kills, ROWS, kills, ROWS);
#undef CLI
	rm_rf(dir);
	free(dir);
}
END_TEST


/* kill -9 at random moments of the money writers, in turn: a rates CSV import
 * (one transaction), a settlement batch (one transaction) and a camt.053
 * statement import (one transaction). After each kill the ledger verifies;
 * at the end each writer is run to completion once more: every rate exactly
 * once, each period settled exactly once, each statement payment once. */

struct money_count {
	size_t rates, batches, invoices, payments;
};

static int count_money(void *vctx, uint64_t seq, const uint8_t *bytes, size_t len)
{
	struct money_count *c = vctx;
	struct corridor_entry e;
	(void)seq;
	ck_assert_int_eq(corridor_entry_decode(bytes, len, &e, NULL), 0);
	c->rates += strcmp(e.kind, "rate.record") == 0;
	c->batches += strcmp(e.kind, "settlement.batch") == 0;
	c->invoices += strcmp(e.kind, "settlement.invoice") == 0;
	c->payments += strcmp(e.kind, "payment.record") == 0;
	return 0;
}

START_TEST(kill_nine_during_money_writers)
{
	char *dir = tmpdir_new();
	char ledger[1024], op[1024], gaz[1024], buy[1024], fx[1024], ag[1024], rates[1024],
		stmt[1024];
	snprintf(ledger, sizeof ledger, "%s", path_join(dir, "L"));
	snprintf(op, sizeof op, "%s", path_join(dir, "op.key"));
	snprintf(gaz, sizeof gaz, "%s", path_join(dir, "gaz.key"));
	snprintf(buy, sizeof buy, "%s", path_join(dir, "buy.key"));
	snprintf(fx, sizeof fx, "%s", path_join(dir, "fx.key"));
	snprintf(ag, sizeof ag, "%s", path_join(dir, "agent.key"));
	snprintf(rates, sizeof rates, "%s", path_join(dir, "rates.csv"));
	snprintf(stmt, sizeof stmt, "%s", path_join(dir, "stmt.xml"));
	const char *env[] = { "CORRIDOR_PASSPHRASE=crash test", NULL };
	struct run r;
#define CLI(...)                                                                   \
	do {                                                                       \
		r = run_cli((const char *[]){ __VA_ARGS__, NULL }, env);           \
		ck_assert_msg(r.status == 0, "%s", r.err);                         \
		run_free(&r);                                                      \
	} while (0)
	CLI("key", "generate", "--name", ORIGIN, "--out", op, "--kdf", "interactive");
	const char *ids[4] = { "RU-GAZ", "CN-BUY", "FX", "AGENT" };
	const char *files[4] = { gaz, buy, fx, ag };
	const char *roles[4] = { "seller", "buyer", "rates", "settlement" };
	const char *ibans[4] = { "DE89370400440532013000", "GB82WEST12345698765432", NULL, NULL };
	char vk[4][256];
	for (int i = 0; i < 4; i++) {
		r = run_cli((const char *[]){ "key", "generate", "--name", ids[i], "--out", files[i],
					      "--kdf", "interactive", NULL }, env);
		snprintf(vk[i], sizeof vk[i], "%s", r.out);
		vk[i][strcspn(vk[i], "\n")] = 0;
		run_free(&r);
	}
	CLI("init", "--origin", ORIGIN, "--operator-key", op, "--ledger", ledger);
	for (int i = 0; i < 4; i++) {
		if (ibans[i])
			CLI("party", "register", "--key", op, "--id", ids[i], "--name", ids[i],
			    "--country", "MN", "--roles", roles[i], "--vkey", vk[i], "--iban",
			    ibans[i], "--ledger", ledger);
		else
			CLI("party", "register", "--key", op, "--id", ids[i], "--name", ids[i],
			    "--country", "MN", "--roles", roles[i], "--vkey", vk[i], "--ledger",
			    ledger);
	}
	const char *base = getenv("CORRIDOR_EXAMPLES");
	char g1[1024];
	snprintf(g1, sizeof g1, "%s/gas-G1.json", base ? base : "docs/examples");
	CLI("contract", "propose", "--key", gaz, "--file", g1, "--ledger", ledger);
	CLI("contract", "accept", "G1", "--key", buy, "--ledger", ledger);
	/* a rate for every day of 2026 */
	enum { DAYS = 365, PAYS = 3 };
	FILE *f = fopen(rates, "w");
	fprintf(f, "base,quote,date,rate,source\r\n");
	for (int i = 0; i < DAYS; i++) {
		char date[11];
		corridor_date_format(20454 + i, date); /* 2026-01-01 */
		fprintf(f, "USD,CNY,%s,7.%08d,PBOC\r\n", date, 10000000 + i * 1111);
	}
	fclose(f);
	f = fopen(stmt, "w");
	fprintf(f, "<?xml version=\"1.0\"?>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:"
		   "camt.053.001.02\"><BkToCstmrStmt><GrpHdr><MsgId>M</MsgId><CreDtTm>2026-06-30T00:"
		   "00:00</CreDtTm></GrpHdr><Stmt><Id>S</Id><CreDtTm>2026-06-30T00:00:00</CreDtTm>"
		   "<Acct><Id><IBAN>DE89370400440532013000</IBAN></Id></Acct>\n");
	for (int i = 0; i < PAYS; i++)
		fprintf(f, "<Ntry><Amt Ccy=\"CNY\">%d.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>"
			   "<ValDt><Dt>2026-06-1%d</Dt></ValDt><AcctSvcrRef>B-%d</AcctSvcrRef><NtryDtls>"
			   "<TxDtls><RltdPties><DbtrAcct><Id><IBAN>GB82WEST12345698765432</IBAN></Id>"
			   "</DbtrAcct></RltdPties><RmtInf><Ustrd>INV-G1-2026-0%d</Ustrd></RmtInf>"
			   "</TxDtls></NtryDtls></Ntry>\n",
			1000 + i, i, i, i + 1);
	fprintf(f, "</Stmt></BkToCstmrStmt></Document>\n");
	fclose(f);
	const char *it_env = getenv("CORRIDOR_CRASH_ITERATIONS");
	int kills = it_env ? atoi(it_env) / 4 : 6;
	uint32_t x = 0x9e3779b9u;
	setenv("CORRIDOR_PASSPHRASE", "crash test", 1);
	for (int k = 0; k < kills; k++) {
		char period[16];
		snprintf(period, sizeof period, "2026-%02u", 1u + (unsigned)(k / 3) % 12u);
		const char *rate_argv[] = { corridor_bin(), "rate",  "import", "--key", fx, rates,
					    "--ledger",	    ledger, NULL };
		const char *settle_argv[] = { corridor_bin(), "settle", "run", "--key", ag,
					      "--period",     period,	"--ledger", ledger, NULL };
		const char *pay_argv[] = { corridor_bin(), "payment", "import", "--key", gaz, stmt,
					   "--ledger",	   ledger, NULL };
		const char *const *argv = k % 3 == 0 ? rate_argv : k % 3 == 1 ? settle_argv : pay_argv;
		spawn_and_kill(argv, "/dev/null", 400u, &x);
		struct corridor_ledger *l;
		struct corridor_diag d;
		struct money_count c = { 0 };
		ck_assert_int_eq(corridor_ledger_open(ledger, 0, &l, &d), 0);
		ck_assert_msg(corridor_ledger_verify(l, NULL, NULL, &d) == 0, "kill %d: %s", k, d.text);
		ck_assert_int_eq(corridor_ledger_scan(l, 0, 0, count_money, &c), 0);
		ck_assert(c.rates == 0 || c.rates == DAYS);          /* all or nothing */
		ck_assert(c.payments == 0 || c.payments == PAYS);
		ck_assert_uint_eq(c.invoices, c.batches); /* one contract: one invoice per batch */
		corridor_ledger_close(l);
	}
	/* Each writer to the end, once more. */
	CLI("rate", "import", "--key", fx, rates, "--ledger", ledger);
	for (unsigned m = 1; m <= 12; m++) {
		char period[16];
		snprintf(period, sizeof period, "2026-%02u", m);
		CLI("settle", "run", "--key", ag, "--period", period, "--ledger", ledger);
	}
	CLI("payment", "import", "--key", gaz, stmt, "--ledger", ledger);
	struct corridor_ledger *l;
	struct corridor_diag d;
	struct money_count c = { 0 };
	ck_assert_int_eq(corridor_ledger_open(ledger, 0, &l, &d), 0);
	ck_assert_msg(corridor_ledger_verify(l, NULL, NULL, &d) == 0, "%s", d.text);
	ck_assert_int_eq(corridor_ledger_scan(l, 0, 0, count_money, &c), 0);
	ck_assert_uint_eq(c.rates, DAYS);
	ck_assert_uint_eq(c.batches, 12);
	ck_assert_uint_eq(c.invoices, 12);
	ck_assert_uint_eq(c.payments, PAYS);
	corridor_ledger_close(l);
	fprintf(stderr, "crash: %d kills across rate import, settlement and statement import, then "
			"each completed once\n",
		kills);
#undef CLI
	rm_rf(dir);
	free(dir);
}
END_TEST

Suite *suite_crash(void)
{
	Suite *s = suite_create("crash");
	TCase *tc = tcase_create("kill-9");
	tcase_add_test(tc, kill_nine_during_bulk_memo);
	tcase_add_test(tc, kill_nine_during_delivery_import);
	tcase_add_test(tc, kill_nine_during_money_writers);
	tcase_set_timeout(tc, 1800);
	suite_add_tcase(s, tc);
	return s;
}

