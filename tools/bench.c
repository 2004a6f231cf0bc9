/*
 * bench.c — `make bench`: throughput figures, one "name value" line each, all
 * from one run. Ratios compare the pipeline with raw libsodium on one core.
 *
 *   sign_only_per_s       crypto_sign_detached on entry-sized messages, one core
 *   ingest_entries_per_s  signed memo entries appended in batches of 1000,
 *                         durable commits (fsync), on the build directory's disk
 *   verify_only_per_s     crypto_sign_verify_detached, one core
 *   verify_entries_per_s  corridor_ledger_verify of the ledger just written
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "corridor/corridor.h"

#define ENTRIES 100000u
#define BATCH 1000u
#define RAW_OPS 20000u
#define MSG_BYTES 160u

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
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

	printf("sign_only_per_s %.0f\n", sign_only);
	printf("ingest_entries_per_s %.0f\n", ingest);
	printf("verify_only_per_s %.0f\n", verify_only);
	printf("verify_entries_per_s %.0f\n", verify);
	printf("ingest_vs_sign_only %.2f\n", ingest / sign_only);
	printf("verify_vs_verify_only %.2f\n", verify / verify_only);
	corridor_ledger_close(l);
	corridor_signer_free(op);
	free(texts);
	free(lens);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}
