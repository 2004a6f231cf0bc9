/*
 * bench.c — `make bench`: throughput figures, one "name value" line each, all
 * from one run. Ratios compare the pipeline with raw libsodium on one core.
 *
 *   sign_only_per_s       crypto_sign_detached on entry-sized messages, one core
 *   ingest_entries_per_s  signed memo entries appended in batches of 1000,
 *                         durable commits (fsync), on the build directory's disk
 *   verify_only_per_s     crypto_sign_verify_detached, one core
 *   verify_entries_per_s  corridor_ledger_verify of the ledger just written
 *   import_rows_per_s     a 1,000,000-row delivery CSV imported (115 contracts)
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
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "corridor/corridor.h"
#include "log/log.h" /* the settlement's input check, timed alone */

#define ENTRIES 100000u
#define IMPORT_ROWS 1000000u
#define IMPORT_CONTRACTS 115u /* a year of hourly readings each: 115 x 8760 > 10^6 */
#define BATCH 1000u
#define RAW_OPS 20000u
#define MSG_BYTES 160u

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
#define SETTLE_INTERVALS 1000u /* per contract: 40-minute intervals, March 1-28 */

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

static int bench_settle(const char *dir, struct corridor_signer *op, double *rate, double *share,
			double *unchecked, double *bal_ms)
{
	char path[96];
	struct corridor_ledger *l;
	struct corridor_signer *grid, *buyer, *agent;
	struct corridor_diag d;
	snprintf(path, sizeof path, "%s/S", dir);
	if (corridor_ledger_create(path, op, &l, &d) != 0 ||
	    party_add(l, op, "RU-GRID", CORRIDOR_ROLE_SELLER, &grid) ||
	    party_add(l, op, "MN-GRID", CORRIDOR_ROLE_BUYER, &buyer) ||
	    party_add(l, op, "SETTLER", CORRIDOR_ROLE_SETTLEMENT, &agent))
		return 1;
	struct corridor_contract_terms t = { .commodity = CORRIDOR_COMMODITY_POWER,
					     .utc_offset_min = 480, .price_count = 2,
					     .payment_days = 15, .tolerance_permille = 10,
					     .has_min = true, .min_milli = 30000000000LL,
					     .shortfall_bp = 5000 };
	snprintf(t.seller, sizeof t.seller, "RU-GRID");
	snprintf(t.buyer, sizeof t.buyer, "MN-GRID");
	snprintf(t.delivery_point, sizeof t.delivery_point, "Selendum 220 kV");
	snprintf(t.unit, sizeof t.unit, "kWh");
	snprintf(t.currency, sizeof t.currency, "RUB");
	snprintf(t.settlement_currency, sizeof t.settlement_currency, "RUB");
	snprintf(t.metering_party, sizeof t.metering_party, "MN-GRID");
	snprintf(t.billing_meter, sizeof t.billing_meter, "SEL-1");
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
		corridor_utc_format(base_s + (int64_t)k * 2400, s);
		corridor_utc_format(base_s + (int64_t)(k + 1) * 2400, e);
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
	fprintf(stderr, "bench: settlement of %zu intervals: dry run (no check) %.2f s, input "
			"check %.2f s, written run %.2f s\n",
		rows, dry_s, check_s, run_s);
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

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
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

	t0 = now_s();
	if (corridor_ledger_verify(l, NULL, NULL, &d) != 0) {
		fprintf(stderr, "bench: verify failed: %s\n", d.text);
		return 1;
	}
	double verify = (ENTRIES + 1) / (now_s() - t0);

	/* A 1,000,000-row CSV of hourly power over many contracts, imported. */
	double import_rate = 0, bytes_per_interval = 0;
	{
		uint8_t s2[32], s3[32];
		struct corridor_signer *grid, *buyer;
		randombytes_buf(s2, 32);
		randombytes_buf(s3, 32);
		uint64_t seq;
		if (corridor_signer_from_seed("RU-GRID", s2, &grid) != 0 ||
		    corridor_signer_from_seed("MN-GRID", s3, &buyer) != 0)
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
		snprintf(t.seller, sizeof t.seller, "RU-GRID");
		snprintf(t.buyer, sizeof t.buyer, "MN-GRID");
		snprintf(t.delivery_point, sizeof t.delivery_point, "Selendum 220 kV");
		snprintf(t.unit, sizeof t.unit, "kWh");
		snprintf(t.currency, sizeof t.currency, "RUB");
		snprintf(t.settlement_currency, sizeof t.settlement_currency, "RUB");
		snprintf(t.metering_party, sizeof t.metering_party, "MN-GRID");
		snprintf(t.billing_meter, sizeof t.billing_meter, "SEL-1");
		if (corridor_date_parse("2026-01-01", 10, &t.start_day) != 0 ||
		    corridor_date_parse("2027-01-01", 10, &t.end_day) != 0)
			return 1;
		t.prices[0] = (struct corridor_price_step){ .from_day = t.start_day,
							    .price_micro = 6150000 };
		for (unsigned c = 0; c < IMPORT_CONTRACTS; c++) {
			uint64_t prop;
			snprintf(t.id, sizeof t.id, "P%u", c);
			if (corridor_contract_propose(l, grid, &t, NULL, &prop, &d) != 0 ||
			    corridor_contract_accept(l, buyer, t.id, prop, NULL, &seq, &d) != 0) {
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
		free(csv);
		corridor_signer_free(grid);
		corridor_signer_free(buyer);
	}

	double settle_rate = 0, settle_share = 0, settle_unchecked = 0, balances_ms = 0;
	if (bench_settle(dir, op, &settle_rate, &settle_share, &settle_unchecked, &balances_ms) != 0)
		return 1;
	printf("sign_only_per_s %.0f\n", sign_only);
	printf("ingest_entries_per_s %.0f\n", ingest);
	printf("verify_only_per_s %.0f\n", verify_only);
	printf("verify_entries_per_s %.0f\n", verify);
	printf("ingest_vs_sign_only %.2f\n", ingest / sign_only);
	printf("verify_vs_verify_only %.2f\n", verify / verify_only);
	printf("import_rows_per_s %.0f\n", import_rate);
	printf("import_vs_sign_only %.2f\n", import_rate / sign_only);
	printf("bytes_per_interval %.0f\n", bytes_per_interval);
	printf("settle_intervals_per_s %.0f\n", settle_rate);
	printf("settle_check_share %.2f\n", settle_share);
	printf("settle_unchecked_intervals_per_s %.0f\n", settle_unchecked);
	printf("report_balances_ms %.1f\n", balances_ms);
	corridor_ledger_close(l);
	corridor_signer_free(op);
	free(texts);
	free(lens);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}
