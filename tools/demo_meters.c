/* demo_meters.c — deterministic meter readings for the demo: the same flow
 * seen by two meters on either side of a border.
 *
 *   demo-meters CONTRACT START_UTC INTERVALS BASE SEED BILLING.csv BILLING_METER
 *               OTHER.csv OTHER_METER SKIP [STEP_S]
 *
 * STEP_S is the interval length (3600, hourly, by default; 86400: daily). An
 * hourly flow follows a daily load curve, a daily one is flat; both with
 * seeded noise of ±4 %; each meter reads it within ±0.2 %; every 613th
 * interval the other meter is 1.5 % high (beyond a 10 per-mille tolerance);
 * the other side has no readings for the 24 intervals from SKIP (a failed
 * data link). Integers only: the contract unit in thousandths. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corridor/corridor.h"

#define HOURS_MAX (24u * 366u)

static uint64_t rng_state;

static uint32_t next_u32(void)
{
	/* xorshift64*: deterministic across machines */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717ULL) >> 32);
}

/* A uniform integer in [-span, span]. */
static int64_t jitter(int64_t span)
{
	return (int64_t)(next_u32() % (uint32_t)(2 * span + 1)) - span;
}

/* Load in per-mille of the base by local hour: night low, evening peak. */
static const int64_t PROFILE_PERMILLE[24] = { 780, 750, 730, 720, 730, 790, 880, 960,
					      1010, 1030, 1040, 1040, 1030, 1020, 1010, 1020,
					      1060, 1120, 1180, 1200, 1160, 1070, 950, 850 };

static int write_row(FILE *f, const char *contract, int64_t t, int64_t step, int64_t milli,
		     const char *meter, const char *ref_prefix, unsigned long hour)
{
	char s[21], e[21], q[32];
	corridor_utc_format(t, s);
	corridor_utc_format(t + step, e);
	corridor_decimal_format(milli, 3, q, sizeof q);
	(void)hour;
	/* the reference names the interval: unique however the year is split */
	return fprintf(f, "%s,%s,%s,%s,%s,%s-%s-%s\r\n", contract, s, e, q, meter, ref_prefix,
		       contract, s) < 0;
}

int main(int argc, char **argv)
{
	if (argc != 11 && argc != 12) {
		fprintf(stderr, "usage: demo-meters CONTRACT START_UTC INTERVALS BASE SEED "
				"BILLING.csv BILLING_METER OTHER.csv OTHER_METER SKIP [STEP_S]\n");
		return 2;
	}
	long step = argc == 12 ? strtol(argv[11], NULL, 10) : 3600;
	int64_t start;
	char *end;
	unsigned long hours = strtoul(argv[3], &end, 10);
	long long base_kwh = strtoll(argv[4], NULL, 10);
	unsigned long long seed = strtoull(argv[5], NULL, 10);
	unsigned long skip = strtoul(argv[10], NULL, 10);
	if (corridor_utc_parse(argv[2], strlen(argv[2]), &start) != 0 || *end || hours == 0 ||
	    hours > HOURS_MAX || base_kwh <= 0 || base_kwh > 10000000 || seed == 0 ||
	    (step != 3600 && step != 86400)) {
		fprintf(stderr, "demo-meters: bad arguments\n");
		return 2;
	}
	rng_state = seed;
	FILE *fb = fopen(argv[6], "wb"), *fo = fopen(argv[8], "wb");
	if (!fb || !fo) {
		fprintf(stderr, "demo-meters: cannot create the output files\n");
		return 1;
	}
	const char *header = "contract,start,end,quantity,meter,reference\r\n";
	int bad = fputs(header, fb) < 0 || fputs(header, fo) < 0;
	for (unsigned long h = 0; h < hours && !bad; h++) {
		int64_t t = start + (int64_t)h * step;
		unsigned local_hour = (unsigned)(h % 24u);
		int64_t base_milli = (int64_t)base_kwh * 1000;
		/* the flow: profile ± 4 %, then each meter within ± 0.2 % of it */
		int64_t flow = step == 3600 ? base_milli * PROFILE_PERMILLE[local_hour] / 1000
					    : base_milli;
		flow += flow * jitter(40) / 1000;
		int64_t billing = flow + flow * jitter(2) / 1000;
		int64_t other = flow + flow * jitter(2) / 1000;
		if (h % 613u == 100u)
			other += other * 15 / 1000;
		bad |= write_row(fb, argv[1], t, step, billing, argv[7], "B", h);
		if (h < skip || h >= skip + 24u)
			bad |= write_row(fo, argv[1], t, step, other, argv[9], "O", h);
	}
	bad |= fclose(fb) != 0;
	bad |= fclose(fo) != 0;
	if (bad) {
		fprintf(stderr, "demo-meters: cannot write the output files\n");
		return 1;
	}
	return 0;
}
