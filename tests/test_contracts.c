/* test_contracts.c — exact decimals and dates, contract terms (each field
 * wrong in turn), and the contract lifecycle through the API. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define ORIGIN "corridor.example/contracts"

static const char *example(const char *name)
{
	static char buf[1024];
	const char *base = getenv("CORRIDOR_EXAMPLES");
	snprintf(buf, sizeof buf, "%s/%s", base ? base : "docs/examples", name);
	return buf;
}

START_TEST(decimals_are_exact)
{
	int64_t v;
	ck_assert_int_eq(corridor_decimal_parse("250.12503", 9, 6, 0, INT64_MAX, &v), 0);
	ck_assert_int_eq(v, 250125030);
	ck_assert_int_eq(corridor_decimal_parse("7.12345678", 10, 8, 0, INT64_MAX, &v), 0);
	ck_assert_int_eq(v, 712345678);
	ck_assert_int_eq(corridor_decimal_parse("-0.5", 4, 3, INT64_MIN, INT64_MAX, &v), 0);
	ck_assert_int_eq(v, -500);
	ck_assert_int_eq(corridor_decimal_parse("0007", 4, 3, 0, INT64_MAX, &v), 0);
	ck_assert_int_eq(v, 7000);
	/* more fractional digits than allowed are refused, never rounded */
	ck_assert_int_eq(corridor_decimal_parse("1.2345", 6, 3, 0, INT64_MAX, &v), CORRIDOR_E_LIMIT);
	const char *bad[] = { "", "-", ".5", "5.", "1e5", "+1", " 1", "1 ", "1,5", "0x10", "1..2" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_int_ne(corridor_decimal_parse(bad[i], strlen(bad[i]), 3, INT64_MIN,
							INT64_MAX, &v), 0);
	ck_assert_int_eq(corridor_decimal_parse("9223372036854775.808", 20, 3, INT64_MIN, INT64_MAX,
						&v), CORRIDOR_E_OVERFLOW);
	ck_assert_int_eq(corridor_decimal_parse("1000000000000", 13, 3, 0, 999999999999999, &v),
			 CORRIDOR_E_OVERFLOW);
	char out[32];
	corridor_decimal_format(250125030, 6, out, sizeof out);
	ck_assert_str_eq(out, "250.12503");
	corridor_decimal_format(-500, 3, out, sizeof out);
	ck_assert_str_eq(out, "-0.5");
	corridor_decimal_format(260000000, 6, out, sizeof out);
	ck_assert_str_eq(out, "260");
}
END_TEST

START_TEST(dates_and_offsets)
{
	int32_t d, m;
	char out[11], off[7];
	ck_assert_int_eq(corridor_date_parse("1970-01-01", 10, &d), 0);
	ck_assert_int_eq(d, 0);
	ck_assert_int_eq(corridor_date_parse("2024-02-29", 10, &d), 0);
	corridor_date_format(d, out);
	ck_assert_str_eq(out, "2024-02-29");
	const char *bad[] = { "2026-02-29", "2026-13-01", "2026-04-31", "2026-4-1", "26-04-01",
			      "2026/04/01", "1969-12-31" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_int_ne(corridor_date_parse(bad[i], strlen(bad[i]), &d), 0);
	/* every day from 1970 to 2100 round-trips */
	for (int32_t z = 0; z < 47482; z++) {
		corridor_date_format(z, out);
		ck_assert_int_eq(corridor_date_parse(out, 10, &d), 0);
		ck_assert_int_eq(d, z);
	}
	ck_assert_int_eq(corridor_offset_parse("+08:00", 6, &m), 0);
	ck_assert_int_eq(m, 480);
	ck_assert_int_eq(corridor_offset_parse("-03:30", 6, &m), 0);
	ck_assert_int_eq(m, -210);
	corridor_offset_format(-210, off);
	ck_assert_str_eq(off, "-03:30");
	ck_assert_int_ne(corridor_offset_parse("-00:00", 6, &m), 0);
	ck_assert_int_ne(corridor_offset_parse("+15:00", 6, &m), 0);
	ck_assert_int_ne(corridor_offset_parse("+08:60", 6, &m), 0);
	ck_assert_int_ne(corridor_offset_parse("08:00", 5, &m), 0);
}
END_TEST

/* Parses the example with one field replaced (value NULL: removed). */
static int parse_with(const char *file, const char *field, json_t *value, struct corridor_diag *d)
{
	json_error_t jerr;
	json_t *root = json_load_file(example(file), 0, &jerr);
	ck_assert_ptr_nonnull(root);
	if (value)
		json_object_set_new(root, field, value);
	else
		json_object_del(root, field);
	char *text = json_dumps(root, 0);
	struct corridor_contract_terms t;
	corridor_diag_init(d);
	int err = corridor_contract_parse_json(text, strlen(text), &t, d);
	free(text);
	json_decref(root);
	return err;
}

START_TEST(each_field_wrong_in_turn)
{
	struct corridor_diag d;
	struct corridor_contract_terms t;
	size_t len;
	char *text = (char *)slurp(example("gas-G1.json"), &len);
	ck_assert_int_eq(corridor_contract_parse_json(text, len, &t, &d), 0);
	ck_assert_int_eq(t.prices[0].price_micro, 250125030);
	ck_assert_int_eq(t.prices[1].price_micro, 260000000);
	ck_assert_int_eq(t.min_milli, 3000000);
	ck_assert_int_eq(t.max_milli, 3050000);
	ck_assert_int_eq(t.utc_offset_min, 480);
	free(text);
	struct {
		const char *field;
		json_t *value;
	} cases[] = {
		{ "id", json_string("g1") },
		{ "id", NULL },
		{ "seller", json_string("ru gaz") },
		{ "buyer", json_string("RU-GAZ") },
		{ "commodity", json_string("oil") },
		{ "delivery_point", json_string("") },
		{ "unit", json_string("Mwh") },
		{ "start", json_string("2026-02-30") },
		{ "end", json_string("2025-12-31") },
		{ "utc_offset", json_string("+8") },
		{ "prices", json_array() },
		{ "prices", json_pack("[{s:s,s:f}]", "from", "2026-01-01", "price", 250.0) },
		{ "prices", json_pack("[{s:s,s:s}]", "from", "2026-01-01", "price", "250.1234567") },
		{ "prices", json_pack("[{s:s,s:s}]", "from", "2026-01-01", "price", "-1") },
		{ "prices", json_pack("[{s:s,s:s}]", "from", "2026-01-01", "price", "1000000") },
		{ "prices", json_pack("[{s:s,s:s}]", "from", "2026-01-02", "price", "1") },
		{ "prices", json_pack("[{s:s,s:s},{s:s,s:s}]", "from", "2026-01-01", "price", "1",
				      "from", "2026-01-01", "price", "2") },
		{ "currency", json_string("usd") },
		{ "settlement_currency", json_string("RENMINBI") },
		{ "rate_source", NULL },
		{ "payment_days", json_integer(-1) },
		{ "payment_days", json_integer(400) },
		{ "min_quantity", json_string("1.2345") },
		{ "min_quantity", json_string("3060") },
		{ "shortfall_share_bp", json_integer(100001) },
		{ "shortfall_share_bp", NULL },
		{ "max_quantity", json_integer(3050) },
		{ "tolerance_permille", json_integer(1001) },
		{ "metering_party", json_string("") },
		{ "billing_meter", json_string("M 1") },
		{ "carries", json_string("G2") },
		{ "colour", json_string("blue") },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int err = parse_with("gas-G1.json", cases[i].field, cases[i].value, &d);
		ck_assert_msg(err == CORRIDOR_E_INVALID, "case %zu (%s): got %d (%s)", i, cases[i].field,
			      err, d.text);
		ck_assert_msg(d.text[0] != '\0', "case %zu: no message", i);
	}
	/* Transit: needs carries, refuses bands. */
	ck_assert_int_eq(parse_with("transit-T1.json", "carries", NULL, &d), CORRIDOR_E_INVALID);
	ck_assert_int_eq(parse_with("transit-T1.json", "min_quantity", json_string("10"), &d),
			 CORRIDOR_E_INVALID);
	/* Not JSON, duplicate keys. */
	ck_assert_int_eq(corridor_contract_parse_json("{\"id\":", 6, &t, &d), CORRIDOR_E_MALFORMED);
	const char *dup = "{\"id\":\"A\",\"id\":\"B\"}";
	ck_assert_int_eq(corridor_contract_parse_json(dup, strlen(dup), &t, &d), CORRIDOR_E_MALFORMED);
}
END_TEST

struct cworld {
	char *dir;
	struct corridor_ledger *l;
	struct corridor_signer *op, *gaz, *buy, *pipe, *other;
};

static void cworld_open(struct cworld *w)
{
	struct corridor_diag d;
	w->dir = tmpdir_new();
	w->op = test_signer(ORIGIN, 1);
	w->gaz = test_signer("RU-GAZ", 2);
	w->buy = test_signer("CN-BUY", 3);
	w->pipe = test_signer("MN-PIPE", 4);
	w->other = test_signer("OTHER", 5);
	ck_assert_int_eq(corridor_ledger_create(path_join(w->dir, "L"), w->op, &w->l, &d), 0);
	test_party(w->l, w->op, w->gaz, "MN", CORRIDOR_ROLE_SELLER | CORRIDOR_ROLE_BUYER);
	test_party(w->l, w->op, w->buy, "MN", CORRIDOR_ROLE_BUYER | CORRIDOR_ROLE_METER);
	test_party(w->l, w->op, w->pipe, "MN", CORRIDOR_ROLE_SELLER | CORRIDOR_ROLE_METER);
	test_party(w->l, w->op, w->other, "MN", CORRIDOR_ROLE_BUYER);
}

static void cworld_close(struct cworld *w)
{
	corridor_ledger_close(w->l);
	corridor_signer_free(w->op);
	corridor_signer_free(w->gaz);
	corridor_signer_free(w->buy);
	corridor_signer_free(w->pipe);
	corridor_signer_free(w->other);
	rm_rf(w->dir);
	free(w->dir);
}

static void load(const char *file, struct corridor_contract_terms *t)
{
	size_t len;
	struct corridor_diag d;
	char *text = (char *)slurp(example(file), &len);
	ck_assert_ptr_nonnull(text);
	ck_assert_msg(corridor_contract_parse_json(text, len, t, &d) == 0, "%s", d.text);
	free(text);
}

START_TEST(lifecycle)
{
	struct cworld w;
	struct corridor_diag d;
	uint64_t seq, prop;
	struct corridor_contract_terms *g = malloc(sizeof *g), *t = malloc(sizeof *t),
				       *x = malloc(sizeof *x);
	struct corridor_contract *c = malloc(sizeof *c);
	cworld_open(&w);
	load("gas-G1.json", g);
	load("transit-T1.json", t);
	/* Only the seller or the buyer proposes; roles must fit. */
	UNCHANGED(&w, corridor_contract_propose(w.l, w.pipe, g, NULL, &seq, &d), CORRIDOR_E_REFUSED);
	*x = *g;
	snprintf(x->seller, sizeof x->seller, "OTHER"); /* OTHER holds no seller role */
	UNCHANGED(&w, corridor_contract_propose(w.l, w.buy, x, NULL, &seq, &d), CORRIDOR_E_REFUSED);
	*x = *g;
	snprintf(x->metering_party, sizeof x->metering_party, "OTHER"); /* no meter role */
	UNCHANGED(&w, corridor_contract_propose(w.l, w.gaz, x, NULL, &seq, &d), CORRIDOR_E_REFUSED);
	/* Transit cannot carry a contract that is not accepted. */
	UNCHANGED(&w, corridor_contract_propose(w.l, w.pipe, t, NULL, &seq, &d), CORRIDOR_E_REFUSED);
	ck_assert_int_eq(corridor_contract_propose(w.l, w.gaz, g, NULL, &prop, &d), 0);
	UNCHANGED(&w, corridor_contract_propose(w.l, w.buy, g, NULL, &seq, &d), CORRIDOR_E_REFUSED);
	/* Amend before acceptance; accept by the proposer or a third party. */
	UNCHANGED(&w, corridor_contract_amend(w.l, w.buy, g, g->start_day, NULL, &seq, &d),
		  CORRIDOR_E_REFUSED);
	UNCHANGED(&w, corridor_contract_accept(w.l, w.gaz, "G1", prop, NULL, &seq, &d),
		  CORRIDOR_E_REFUSED);
	UNCHANGED(&w, corridor_contract_accept(w.l, w.other, "G1", prop, NULL, &seq, &d),
		  CORRIDOR_E_REFUSED);
	UNCHANGED(&w, corridor_contract_accept(w.l, w.buy, "G1", prop + 1, NULL, &seq, &d),
		  CORRIDOR_E_REFUSED);
	ck_assert_int_eq(corridor_contract_accept(w.l, w.buy, "G1", 0, NULL, &seq, &d), 0);
	ck_assert_int_eq(corridor_contract_get(w.l, "G1", c, &d), 0);
	ck_assert_int_eq(c->status, CORRIDOR_CONTRACT_ACTIVE);
	ck_assert_uint_eq(c->version_count, 1);
	/* What went in comes back out, field for field. */
	ck_assert(memcmp(&c->versions[0].terms, g, sizeof *g) == 0);
	/* Transit: a supply contract of another unit is refused; G1's is fine. */
	*x = *t;
	snprintf(x->unit, sizeof x->unit, "GJ");
	UNCHANGED(&w, corridor_contract_propose(w.l, w.pipe, x, NULL, &seq, &d), CORRIDOR_E_REFUSED);
	ck_assert_int_eq(corridor_contract_propose(w.l, w.pipe, t, NULL, &prop, &d), 0);
	ck_assert_int_eq(corridor_contract_accept(w.l, w.gaz, "T1", prop, NULL, &seq, &d), 0);
	/* Amendments: a price from any date; other terms from a period's first day;
	 * never before the first unsettled period; identity fixed. */
	int32_t apr10, may1, dec1_2025;
	ck_assert_int_eq(corridor_date_parse("2026-04-10", 10, &apr10), 0);
	ck_assert_int_eq(corridor_date_parse("2026-05-01", 10, &may1), 0);
	ck_assert_int_eq(corridor_date_parse("2025-12-01", 10, &dec1_2025), 0);
	*x = *g;
	x->prices[1].price_micro = 265500000;
	ck_assert_int_eq(corridor_contract_amend(w.l, w.buy, x, apr10, NULL, &prop, &d), 0);
	*x = *g;
	x->payment_days = 25;
	UNCHANGED(&w, corridor_contract_amend(w.l, w.buy, x, apr10, NULL, &seq, &d),
		  CORRIDOR_E_REFUSED);
	UNCHANGED(&w, corridor_contract_amend(w.l, w.buy, x, dec1_2025, NULL, &seq, &d),
		  CORRIDOR_E_REFUSED);
	*x = *g;
	snprintf(x->buyer, sizeof x->buyer, "OTHER");
	UNCHANGED(&w, corridor_contract_amend(w.l, w.gaz, x, may1, NULL, &seq, &d), CORRIDOR_E_REFUSED);
	ck_assert_int_eq(corridor_contract_accept(w.l, w.gaz, "G1", prop, NULL, &seq, &d), 0);
	ck_assert_int_eq(corridor_contract_get(w.l, "G1", c, &d), 0);
	ck_assert_uint_eq(c->version_count, 2);
	ck_assert_int_eq(c->versions[1].effective_day, apr10);
	ck_assert_int_eq(c->versions[1].terms.prices[1].price_micro, 265500000);
	/* Termination: from a period's first day only, accepted by the other side. */
	UNCHANGED(&w, corridor_contract_terminate(w.l, w.gaz, "G1", apr10 + 5, NULL, &seq, &d),
		  CORRIDOR_E_REFUSED);
	ck_assert_int_eq(corridor_contract_terminate(w.l, w.gaz, "G1", may1, NULL, &prop, &d), 0);
	UNCHANGED(&w, corridor_contract_accept(w.l, w.gaz, "G1", prop, NULL, &seq, &d),
		  CORRIDOR_E_REFUSED);
	ck_assert_int_eq(corridor_contract_accept(w.l, w.buy, "G1", prop, NULL, &seq, &d), 0);
	ck_assert_int_eq(corridor_contract_get(w.l, "G1", c, &d), 0);
	ck_assert_int_eq(c->status, CORRIDOR_CONTRACT_TERMINATED);
	ck_assert_int_eq(c->versions[c->version_count - 1].terms.end_day, may1);
	UNCHANGED(&w, corridor_contract_amend(w.l, w.buy, g, may1, NULL, &seq, &d), CORRIDOR_E_REFUSED);
	/* Everything derived from the entries again by verify. */
	corridor_diag_init(&d);
	ck_assert_msg(corridor_ledger_verify(w.l, NULL, NULL, &d) == 0, "%s", d.text);
	free(g);
	free(t);
	free(x);
	free(c);
	cworld_close(&w);
}
END_TEST

Suite *suite_contracts(void)
{
	Suite *s = suite_create("contracts");
	TCase *tc = tcase_create("terms-and-lifecycle");
	tcase_add_test(tc, decimals_are_exact);
	tcase_add_test(tc, dates_and_offsets);
	tcase_add_test(tc, each_field_wrong_in_turn);
	tcase_add_test(tc, lifecycle);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}
