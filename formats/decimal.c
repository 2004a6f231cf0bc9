/*
 * decimal.c — exact decimals, calendar dates and UTC offsets as text.
 *
 * Money, prices, rates and quantities never pass through floating point: a
 * decimal string is parsed digit by digit into an integer with a fixed scale
 * (SETTLEMENT.md "Numbers"), and more fractional digits than the scale allows
 * are refused, not rounded.
 */
#include <stdio.h>

#include "formats.h"

int corridor_decimal_parse(const char *s, size_t len, unsigned scale, int64_t min, int64_t max,
			   int64_t *out)
{
	size_t i = 0, frac = 0;
	bool neg = false, dot = false, digits = false;
	uint64_t v = 0;
	const uint64_t limit = (uint64_t)INT64_MAX;
	if (scale > 18)
		return CORRIDOR_E_INVALID;
	if (len > 0 && s[0] == '-') {
		neg = true;
		i = 1;
	}
	for (; i < len; i++) {
		char c = s[i];
		if (c == '.' && !dot && digits) {
			dot = true;
			continue;
		}
		if (c < '0' || c > '9')
			return CORRIDOR_E_MALFORMED;
		if (dot && ++frac > scale)
			return CORRIDOR_E_LIMIT; /* more digits than allowed: refused */
		if (v > (limit - (uint64_t)(c - '0')) / 10u)
			return CORRIDOR_E_OVERFLOW;
		v = v * 10u + (uint64_t)(c - '0');
		digits = true;
	}
	if (!digits || (dot && frac == 0))
		return CORRIDOR_E_MALFORMED;
	for (; frac < scale; frac++) {
		if (v > limit / 10u)
			return CORRIDOR_E_OVERFLOW;
		v *= 10u;
	}
	int64_t r = neg ? -(int64_t)v : (int64_t)v;
	if (r < min || r > max)
		return CORRIDOR_E_OVERFLOW;
	*out = r;
	return CORRIDOR_OK;
}

void corridor_decimal_format(int64_t v, unsigned scale, char *out, size_t cap)
{
	uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v, p = 1;
	for (unsigned i = 0; i < scale; i++)
		p *= 10u;
	uint64_t ip = m / p, fp = m % p;
	int n = snprintf(out, cap, "%s%llu", v < 0 ? "-" : "", (unsigned long long)ip);
	if (n < 0 || (size_t)n >= cap || fp == 0)
		return;
	char frac[24];
	snprintf(frac, sizeof frac, "%0*llu", (int)scale, (unsigned long long)fp);
	size_t fl = strlen(frac);
	while (fl > 0 && frac[fl - 1] == '0')
		frac[--fl] = '\0';
	snprintf(out + n, cap - (size_t)n, ".%s", frac);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int32_t days_from_civil(int32_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int32_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153u * (m + (m > 2 ? (unsigned)-3 : 9u)) + 2u) / 5u + d - 1u;
	const unsigned doe = yoe * 365u + yoe / 4u - yoe / 100u + doy;
	return era * 146097 + (int32_t)doe - 719468;
}

void corridor_civil_from_days(int32_t z, int32_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	const int32_t era = (z >= 0 ? z : z - 146096) / 146097;
	const unsigned doe = (unsigned)(z - era * 146097);
	const unsigned yoe = (doe - doe / 1460u + doe / 36524u - doe / 146096u) / 365u;
	const unsigned doy = doe - (365u * yoe + yoe / 4u - yoe / 100u);
	const unsigned mp = (5u * doy + 2u) / 153u;
	*d = doy - (153u * mp + 2u) / 5u + 1u;
	*m = mp < 10 ? mp + 3u : mp - 9u;
	*y = (int32_t)yoe + era * 400 + (*m <= 2);
}

static bool digits_at(const char *s, size_t n, unsigned *v)
{
	*v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*v = *v * 10u + (unsigned)(s[i] - '0');
	}
	return true;
}

int corridor_date_parse(const char *s, size_t len, int32_t *days)
{
	unsigned y, m, d;
	if (len != 10 || s[4] != '-' || s[7] != '-' || !digits_at(s, 4, &y) ||
	    !digits_at(s + 5, 2, &m) || !digits_at(s + 8, 2, &d))
		return CORRIDOR_E_MALFORMED;
	if (y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1)
		return CORRIDOR_E_MALFORMED;
	int32_t z = days_from_civil((int32_t)y, m, d);
	int32_t yy;
	unsigned mm, dd;
	corridor_civil_from_days(z, &yy, &mm, &dd);
	if ((unsigned)yy != y || mm != m || dd != d) /* 2026-02-30 and the like */
		return CORRIDOR_E_MALFORMED;
	*days = z;
	return CORRIDOR_OK;
}

int corridor_period_range_parse(const char *s, size_t len, int32_t *first_day, int32_t *end_day)
{
	unsigned y, n;
	int32_t a, b;
	const char *dots = len >= 12 ? memchr(s, '.', len) : NULL;
	if (dots && (size_t)(dots - s) + 2 < len && dots[1] == '.') { /* A..B, B included */
		size_t al = (size_t)(dots - s);
		if (corridor_date_parse(s, al, &a) != 0 ||
		    corridor_date_parse(dots + 2, len - al - 2, &b) != 0 || b < a)
			return CORRIDOR_E_MALFORMED;
		*first_day = a;
		*end_day = b + 1;
		return CORRIDOR_OK;
	}
	if (len == 10)
		return corridor_date_parse(s, len, first_day) == 0
			       ? (*end_day = *first_day + 1, CORRIDOR_OK)
			       : CORRIDOR_E_MALFORMED;
	if (len < 4 || !digits_at(s, 4, &y) || y < 1970 || y > 9998)
		return CORRIDOR_E_MALFORMED;
	unsigned m0, months;
	if (len == 4) {
		m0 = 1;
		months = 12;
	} else if (len == 7 && s[4] == '-' && s[5] == 'Q' && digits_at(s + 6, 1, &n) && n >= 1 &&
		   n <= 4) {
		m0 = 3 * n - 2;
		months = 3;
	} else if (len == 7 && s[4] == '-' && digits_at(s + 5, 2, &n) && n >= 1 && n <= 12) {
		m0 = n;
		months = 1;
	} else {
		return CORRIDOR_E_MALFORMED;
	}
	unsigned m1 = m0 + months, y1 = y + (m1 > 12 ? 1u : 0u);
	*first_day = days_from_civil((int32_t)y, m0, 1);
	*end_day = days_from_civil((int32_t)y1, m1 > 12 ? m1 - 12 : m1, 1);
	return CORRIDOR_OK;
}

void corridor_date_format(int32_t days, char out[11])
{
	int32_t y;
	unsigned m, d;
	corridor_civil_from_days(days, &y, &m, &d);
	snprintf(out, 11, "%04d-%02u-%02u", (int)y, m, d);
}

int corridor_offset_parse(const char *s, size_t len, int32_t *minutes)
{
	unsigned h, m;
	if (len != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':' || !digits_at(s + 1, 2, &h) ||
	    !digits_at(s + 4, 2, &m) || m > 59 || h > 14 || (h == 14 && m != 0))
		return CORRIDOR_E_MALFORMED;
	int32_t v = (int32_t)(h * 60u + m);
	if (s[0] == '-' && v == 0)
		return CORRIDOR_E_MALFORMED; /* "-00:00" means "unknown" in RFC 3339 */
	*minutes = s[0] == '-' ? -v : v;
	return CORRIDOR_OK;
}

void corridor_offset_format(int32_t minutes, char out[7])
{
	unsigned a = (unsigned)(minutes < 0 ? -minutes : minutes) % (15u * 60u);
	snprintf(out, 7, "%c%02u:%02u", minutes < 0 ? '-' : '+', (a / 60u) % 100u, a % 60u);
}

bool corridor_month_start(int32_t days)
{
	int32_t y;
	unsigned m, d;
	corridor_civil_from_days(days, &y, &m, &d);
	return d == 1;
}

int corridor_utc_parse(const char *s, size_t len, int64_t *secs)
{
	unsigned hh, mi, ss;
	int32_t day;
	/* exactly YYYY-MM-DDTHH:MM:SSZ: one spelling, UTC only */
	if (len != 20 || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z' ||
	    corridor_date_parse(s, 10, &day) != 0 || !digits_at(s + 11, 2, &hh) ||
	    !digits_at(s + 14, 2, &mi) || !digits_at(s + 17, 2, &ss) || hh > 23 || mi > 59 ||
	    ss > 59)
		return CORRIDOR_E_MALFORMED;
	*secs = (int64_t)day * 86400 + (int64_t)hh * 3600 + (int64_t)mi * 60 + (int64_t)ss;
	return CORRIDOR_OK;
}

void corridor_utc_format(int64_t secs, char out[21])
{
	int64_t day = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
	int64_t rem = secs - day * 86400;
	char d[11];
	corridor_date_format((int32_t)day, d);
	snprintf(out, 21, "%.10sT%02u:%02u:%02uZ", d, (unsigned)(rem / 3600) % 24u,
		 (unsigned)(rem / 60 % 60), (unsigned)(rem % 60));
}

unsigned corridor_month_days(int32_t first_day)
{
	int32_t y;
	unsigned m, d;
	corridor_civil_from_days(first_day, &y, &m, &d);
	if (m == 2)
		return (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 29u : 28u;
	return (m == 4 || m == 6 || m == 9 || m == 11) ? 30u : 31u;
}

/*
 * The one rounding of Corridor: a quotient rounded half to even, computed
 * exactly in 128 bits. Every amount, prorated band and conversion goes
 * through here (SETTLEMENT.md "Numbers").
 */
int corridor_div_round(corridor_i128 num, corridor_i128 den, int64_t *out)
{
	CORRIDOR_ASSERT(den > 0);
	corridor_i128 q = num / den, r = num % den; /* truncates toward zero */
	if (r < 0) {                                /* floor */
		q -= 1;
		r += den;
	}
	corridor_i128 twice = 2 * r;
	if (twice > den || (twice == den && (q & 1) != 0))
		q += 1;
	if (q > INT64_MAX || q < INT64_MIN)
		return CORRIDOR_E_OVERFLOW;
	*out = (int64_t)q;
	return CORRIDOR_OK;
}

/* ---- money text ---- */

void corridor_money_format(int64_t minor, unsigned decimals, char *out, size_t cap)
{
	char digits[24];
	uint64_t mag = minor < 0 ? (uint64_t)0 - (uint64_t)minor : (uint64_t)minor;
	int n = snprintf(digits, sizeof digits, "%0*llu", (int)decimals + 1,
			 (unsigned long long)mag);
	CORRIDOR_ASSERT(n > 0 && (unsigned)n > decimals);
	size_t whole = (size_t)n - decimals;
	if (decimals == 0)
		snprintf(out, cap, "%s%s", minor < 0 ? "-" : "", digits);
	else
		snprintf(out, cap, "%s%.*s.%s", minor < 0 ? "-" : "", (int)whole, digits,
			 digits + whole);
}
