/*
 * terms.c — a contract's terms as bytes: the canonical msgpack map the log
 * stores, and the JSON file a user writes (decimals as strings, never JSON
 * numbers). Decoding only: whether terms make sense is the contract kind's
 * rule (core/kinds/contracts.c, corridor_contract_validate).
 */
#include <stdio.h>

#include <jansson.h>

#include "formats.h"

const char *const corridor_commodity_names[4] = { NULL, "gas", "power", "transit" };

#define INVALID(...) corridor_diag_set(diag, CORRIDOR_E_INVALID, __VA_ARGS__)

/* ---- encoding terms: a canonical map, keys in byte order ---- */

void corridor_terms_pack(msgpack_packer *pk, const struct corridor_contract_terms *t)
{
	bool transit = t->commodity == CORRIDOR_COMMODITY_TRANSIT;
	char off[7];
	size_t n = 16u + (transit ? 1u : 0u) + (t->has_max ? 2u : 0u) + (t->has_min ? 2u : 0u) +
		   (t->rate_source[0] ? 1u : 0u) + (t->has_max_rate ? 1u : 0u);
	/* excess_premium_bp and shortfall_share_bp go with max and min. */
	msgpack_pack_map(pk, n);
	corridor_mp_cstr(pk, "billing_meter"), corridor_mp_cstr(pk, t->billing_meter);
	corridor_mp_cstr(pk, "buyer"), corridor_mp_cstr(pk, t->buyer);
	if (transit)
		corridor_mp_cstr(pk, "carries"), corridor_mp_cstr(pk, t->carries);
	corridor_mp_cstr(pk, "commodity"), corridor_mp_cstr(pk, corridor_commodity_names[t->commodity]);
	corridor_mp_cstr(pk, "currency"), corridor_mp_cstr(pk, t->currency);
	corridor_mp_cstr(pk, "delivery_point"), corridor_mp_cstr(pk, t->delivery_point);
	corridor_mp_cstr(pk, "end"), corridor_mp_date(pk, t->end_day);
	if (t->has_max)
		corridor_mp_cstr(pk, "excess_premium_bp"), msgpack_pack_uint32(pk, t->excess_bp);
	corridor_mp_cstr(pk, "id"), corridor_mp_cstr(pk, t->id);
	if (t->has_max)
		corridor_mp_cstr(pk, "max_quantity"), msgpack_pack_int64(pk, t->max_milli);
	if (t->has_max_rate)
		corridor_mp_cstr(pk, "max_rate"), msgpack_pack_int64(pk, t->max_rate_milli);
	corridor_mp_cstr(pk, "metering_party"), corridor_mp_cstr(pk, t->metering_party);
	if (t->has_min)
		corridor_mp_cstr(pk, "min_quantity"), msgpack_pack_int64(pk, t->min_milli);
	corridor_mp_cstr(pk, "payment_days"), msgpack_pack_uint32(pk, t->payment_days);
	corridor_mp_cstr(pk, "prices");
	msgpack_pack_array(pk, t->price_count);
	for (size_t i = 0; i < t->price_count; i++) {
		msgpack_pack_array(pk, 2);
		corridor_mp_date(pk, t->prices[i].from_day);
		msgpack_pack_int64(pk, t->prices[i].price_micro);
	}
	if (t->rate_source[0])
		corridor_mp_cstr(pk, "rate_source"), corridor_mp_cstr(pk, t->rate_source);
	corridor_mp_cstr(pk, "seller"), corridor_mp_cstr(pk, t->seller);
	corridor_mp_cstr(pk, "settlement_currency"), corridor_mp_cstr(pk, t->settlement_currency);
	if (t->has_min)
		corridor_mp_cstr(pk, "shortfall_share_bp"), msgpack_pack_uint32(pk, t->shortfall_bp);
	corridor_mp_cstr(pk, "start"), corridor_mp_date(pk, t->start_day);
	corridor_mp_cstr(pk, "tolerance_permille"), msgpack_pack_uint32(pk, t->tolerance_permille);
	corridor_mp_cstr(pk, "unit"), corridor_mp_cstr(pk, t->unit);
	corridor_offset_format(t->utc_offset_min, off);
	corridor_mp_cstr(pk, "utc_offset"), corridor_mp_cstr(pk, off);
}

/* ---- decoding terms from a msgpack object (already canonical) ---- */

static const char *const TERM_FIELDS[] = {
	"billing_meter", "buyer", "carries", "commodity", "currency", "delivery_point", "end",
	"excess_premium_bp", "id", "max_quantity", "max_rate", "metering_party", "min_quantity",
	"payment_days", "prices", "rate_source", "seller", "settlement_currency",
	"shortfall_share_bp", "start", "tolerance_permille", "unit", "utc_offset", NULL
};

/* Reads terms from a canonical map; the caller validates them. */
int corridor_terms_decode(const msgpack_object *o, struct corridor_contract_terms *t)
{
	char buf[CORRIDOR_POINT_BYTES_MAX + 1];
	uint64_t u;
	memset(t, 0, sizeof *t);
	if (o->type != MSGPACK_OBJECT_MAP)
		return CORRIDOR_E_MALFORMED;
	for (uint32_t i = 0; i < o->via.map.size; i++) { /* no unknown fields */
		const msgpack_object *k = &o->via.map.ptr[i].key;
		bool known = false;
		for (size_t f = 0; TERM_FIELDS[f] && !known; f++)
			known = k->type == MSGPACK_OBJECT_STR && k->via.str.size == strlen(TERM_FIELDS[f]) &&
				memcmp(k->via.str.ptr, TERM_FIELDS[f], k->via.str.size) == 0;
		if (!known)
			return CORRIDOR_E_MALFORMED;
	}
	if (!corridor_mpo_str(corridor_mpo_field(o, "id"), t->id, sizeof t->id) ||
	    !corridor_mpo_str(corridor_mpo_field(o, "seller"), t->seller, sizeof t->seller) ||
	    !corridor_mpo_str(corridor_mpo_field(o, "buyer"), t->buyer, sizeof t->buyer) ||
	    !corridor_mpo_str(corridor_mpo_field(o, "commodity"), buf, sizeof buf) ||
	    !corridor_mpo_str(corridor_mpo_field(o, "delivery_point"), t->delivery_point, sizeof t->delivery_point) ||
	    !corridor_mpo_str(corridor_mpo_field(o, "unit"), t->unit, sizeof t->unit) ||
	    !corridor_mpo_date(corridor_mpo_field(o, "start"), &t->start_day) || !corridor_mpo_date(corridor_mpo_field(o, "end"), &t->end_day) ||
	    !corridor_mpo_str(corridor_mpo_field(o, "currency"), t->currency, sizeof t->currency) ||
	    !corridor_mpo_str(corridor_mpo_field(o, "settlement_currency"), t->settlement_currency,
		  sizeof t->settlement_currency) ||
	    !corridor_mpo_uint(corridor_mpo_field(o, "payment_days"), UINT32_MAX, &u))
		return CORRIDOR_E_MALFORMED;
	t->payment_days = (uint32_t)u;
	t->commodity = 0;
	for (unsigned c = 1; c <= 3; c++)
		if (strcmp(buf, corridor_commodity_names[c]) == 0)
			t->commodity = (enum corridor_commodity)c;
	if (!corridor_mpo_str(corridor_mpo_field(o, "utc_offset"), buf, sizeof buf) ||
	    corridor_offset_parse(buf, strlen(buf), &t->utc_offset_min) != 0 ||
	    !corridor_mpo_uint(corridor_mpo_field(o, "tolerance_permille"), UINT32_MAX, &u))
		return CORRIDOR_E_MALFORMED;
	t->tolerance_permille = (uint32_t)u;
	if (!corridor_mpo_str(corridor_mpo_field(o, "metering_party"), t->metering_party, sizeof t->metering_party) ||
	    !corridor_mpo_str(corridor_mpo_field(o, "billing_meter"), t->billing_meter, sizeof t->billing_meter))
		return CORRIDOR_E_MALFORMED;
	if (corridor_mpo_field(o, "carries") && !corridor_mpo_str(corridor_mpo_field(o, "carries"), t->carries, sizeof t->carries))
		return CORRIDOR_E_MALFORMED;
	if (corridor_mpo_field(o, "rate_source") &&
	    !corridor_mpo_str(corridor_mpo_field(o, "rate_source"), t->rate_source, sizeof t->rate_source))
		return CORRIDOR_E_MALFORMED;
	if ((t->has_min = corridor_mpo_field(o, "min_quantity") != NULL)) {
		if (!corridor_mpo_int(corridor_mpo_field(o, "min_quantity"), &t->min_milli) ||
		    !corridor_mpo_uint(corridor_mpo_field(o, "shortfall_share_bp"), UINT32_MAX, &u))
			return CORRIDOR_E_MALFORMED;
		t->shortfall_bp = (uint32_t)u;
	} else if (corridor_mpo_field(o, "shortfall_share_bp")) {
		return CORRIDOR_E_MALFORMED;
	}
	if ((t->has_max = corridor_mpo_field(o, "max_quantity") != NULL)) {
		if (!corridor_mpo_int(corridor_mpo_field(o, "max_quantity"), &t->max_milli) ||
		    !corridor_mpo_uint(corridor_mpo_field(o, "excess_premium_bp"), UINT32_MAX, &u))
			return CORRIDOR_E_MALFORMED;
		t->excess_bp = (uint32_t)u;
	} else if (corridor_mpo_field(o, "excess_premium_bp")) {
		return CORRIDOR_E_MALFORMED;
	}
	if ((t->has_max_rate = corridor_mpo_field(o, "max_rate") != NULL) &&
	    !corridor_mpo_int(corridor_mpo_field(o, "max_rate"), &t->max_rate_milli))
		return CORRIDOR_E_MALFORMED;
	const msgpack_object *p = corridor_mpo_field(o, "prices");
	if (!p || p->type != MSGPACK_OBJECT_ARRAY || p->via.array.size > CORRIDOR_PRICE_STEPS_MAX)
		return CORRIDOR_E_MALFORMED;
	for (uint32_t i = 0; i < p->via.array.size; i++) {
		const msgpack_object *step = &p->via.array.ptr[i];
		if (step->type != MSGPACK_OBJECT_ARRAY || step->via.array.size != 2 ||
		    !corridor_mpo_date(&step->via.array.ptr[0], &t->prices[i].from_day) ||
		    !corridor_mpo_int(&step->via.array.ptr[1], &t->prices[i].price_micro))
			return CORRIDOR_E_MALFORMED;
	}
	t->price_count = p->via.array.size;
	return CORRIDOR_OK;
}

/* ---- JSON ---- */

static int jstr(json_t *root, const char *key, bool required, char *out, size_t cap,
		struct corridor_diag *diag)
{
	json_t *v = json_object_get(root, key);
	out[0] = '\0';
	if (!v && !required)
		return CORRIDOR_OK;
	if (!json_is_string(v))
		return INVALID("%s: %s text", key, v ? "must be" : "missing:");
	if (json_string_length(v) >= cap)
		return INVALID("%s: at most %zu bytes", key, cap - 1);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return INVALID("%s: contains a NUL character", key);
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return CORRIDOR_OK;
}

static int juint(json_t *root, const char *key, bool required, bool *present, uint32_t *out,
		 struct corridor_diag *diag)
{
	json_t *v = json_object_get(root, key);
	if (present)
		*present = v != NULL;
	if (!v && !required)
		return CORRIDOR_OK;
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > UINT32_MAX)
		return INVALID("%s: %s a non-negative integer", key, v ? "must be" : "missing:");
	*out = (uint32_t)json_integer_value(v);
	return CORRIDOR_OK;
}

/* A decimal given as a JSON string (never a JSON number: no binary floats). */
static int jdec(json_t *v, const char *what, unsigned scale, int64_t min, int64_t max, int64_t *out,
		struct corridor_diag *diag)
{
	if (!json_is_string(v))
		return INVALID("%s: give the decimal as a string, e.g. \"250.12503\"", what);
	int err = corridor_decimal_parse(json_string_value(v), json_string_length(v), scale, min, max,
					 out);
	if (err == CORRIDOR_E_LIMIT)
		return INVALID("%s: at most %u decimal places", what, scale);
	if (err)
		return INVALID("%s: '%s' is not a decimal within bounds", what, json_string_value(v));
	return CORRIDOR_OK;
}

static int jdate(json_t *root, const char *key, int32_t *day, struct corridor_diag *diag)
{
	json_t *v = json_object_get(root, key);
	if (!json_is_string(v) || corridor_date_parse(json_string_value(v), json_string_length(v), day))
		return INVALID("%s: a date YYYY-MM-DD", key);
	return CORRIDOR_OK;
}

static const char *const JSON_FIELDS[] = {
	"id", "seller", "buyer", "commodity", "carries", "delivery_point", "unit", "start", "end",
	"utc_offset", "prices", "currency", "settlement_currency", "rate_source", "payment_days",
	"min_quantity", "max_quantity", "max_rate", "shortfall_share_bp", "excess_premium_bp",
	"tolerance_permille", "metering_party", "billing_meter", NULL
};

int corridor_terms_json_decode(const char *json, size_t len, struct corridor_contract_terms *t,
				 struct corridor_diag *diag)
{
	json_error_t jerr;
	char buf[CORRIDOR_POINT_BYTES_MAX + 1];
	int err;
	memset(t, 0, sizeof *t);
	if (len > CORRIDOR_CONTRACT_JSON_BYTES_MAX)
		return corridor_diag_set(diag, CORRIDOR_E_LIMIT, "the contract file is over %u bytes",
					 CORRIDOR_CONTRACT_JSON_BYTES_MAX);
	/* a UTF-8 byte order mark at the start is skipped, as every reader does */
	if (len >= 3 && !memcmp(json, "\xef\xbb\xbf", 3)) {
		json += 3;
		len -= 3;
	}
	json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return corridor_diag_set(diag, CORRIDOR_E_MALFORMED, "not JSON: line %d: %s", jerr.line,
					 jerr.text);
	if (!json_is_object(root)) {
		err = INVALID("the contract must be a JSON object");
		goto out_free;
	}
	const char *key;
	json_t *val;
	json_object_foreach(root, key, val)
	{
		bool known = false;
		for (size_t f = 0; JSON_FIELDS[f] && !known; f++)
			known = strcmp(JSON_FIELDS[f], key) == 0;
		if (!known) {
			err = INVALID("%s: unknown field", key);
			goto out_free;
		}
	}
	if ((err = jstr(root, "id", true, t->id, sizeof t->id, diag)) ||
	    (err = jstr(root, "seller", true, t->seller, sizeof t->seller, diag)) ||
	    (err = jstr(root, "buyer", true, t->buyer, sizeof t->buyer, diag)) ||
	    (err = jstr(root, "commodity", true, buf, sizeof buf, diag)))
		goto out_free;
	for (unsigned c = 1; c <= 3; c++)
		if (strcmp(buf, corridor_commodity_names[c]) == 0)
			t->commodity = (enum corridor_commodity)c;
	if ((err = jstr(root, "carries", false, t->carries, sizeof t->carries, diag)) ||
	    (err = jstr(root, "delivery_point", true, t->delivery_point, sizeof t->delivery_point,
			diag)) ||
	    (err = jstr(root, "unit", true, t->unit, sizeof t->unit, diag)) ||
	    (err = jdate(root, "start", &t->start_day, diag)) ||
	    (err = jdate(root, "end", &t->end_day, diag)) ||
	    (err = jstr(root, "utc_offset", true, buf, sizeof buf, diag)))
		goto out_free;
	if (corridor_offset_parse(buf, strlen(buf), &t->utc_offset_min) != 0) {
		err = INVALID("utc_offset: a fixed offset such as +08:00");
		goto out_free;
	}
	json_t *prices = json_object_get(root, "prices");
	if (!json_is_array(prices) || json_array_size(prices) == 0 ||
	    json_array_size(prices) > CORRIDOR_PRICE_STEPS_MAX) {
		err = INVALID("prices: a list of 1-%u {\"from\": date, \"price\": decimal}",
			      CORRIDOR_PRICE_STEPS_MAX);
		goto out_free;
	}
	for (size_t i = 0; i < json_array_size(prices); i++) {
		json_t *step = json_array_get(prices, i);
		char what[48];
		snprintf(what, sizeof what, "prices[%zu].price", i);
		if (!json_is_object(step) || json_object_size(step) != 2 ||
		    (err = jdate(step, "from", &t->prices[i].from_day, diag)) != 0) {
			err = INVALID("prices[%zu]: {\"from\": \"YYYY-MM-DD\", \"price\": \"decimal\"}", i);
			goto out_free;
		}
		if ((err = jdec(json_object_get(step, "price"), what, 6, 0,
				CORRIDOR_PRICE_MICRO_LIMIT - 1, &t->prices[i].price_micro, diag)))
			goto out_free;
	}
	t->price_count = json_array_size(prices);
	bool has;
	if ((err = jstr(root, "currency", true, t->currency, sizeof t->currency, diag)) ||
	    (err = jstr(root, "settlement_currency", true, t->settlement_currency,
			sizeof t->settlement_currency, diag)) ||
	    (err = jstr(root, "rate_source", false, t->rate_source, sizeof t->rate_source, diag)) ||
	    (err = juint(root, "payment_days", true, NULL, &t->payment_days, diag)) ||
	    (err = juint(root, "tolerance_permille", true, NULL, &t->tolerance_permille, diag)) ||
	    (err = jstr(root, "metering_party", true, t->metering_party, sizeof t->metering_party,
			diag)) ||
	    (err = jstr(root, "billing_meter", true, t->billing_meter, sizeof t->billing_meter, diag)))
		goto out_free;
	json_t *mn = json_object_get(root, "min_quantity"), *mx = json_object_get(root, "max_quantity");
	if ((t->has_min = mn != NULL) &&
	    (err = jdec(mn, "min_quantity", 3, 0, CORRIDOR_QUANTITY_MILLI_LIMIT - 1, &t->min_milli,
			diag)))
		goto out_free;
	if ((t->has_max = mx != NULL) &&
	    (err = jdec(mx, "max_quantity", 3, 0, CORRIDOR_QUANTITY_MILLI_LIMIT - 1, &t->max_milli,
			diag)))
		goto out_free;
	json_t *mr = json_object_get(root, "max_rate");
	if ((t->has_max_rate = mr != NULL) &&
	    (err = jdec(mr, "max_rate", 3, 1, CORRIDOR_QUANTITY_MILLI_LIMIT - 1, &t->max_rate_milli,
			diag)))
		goto out_free;
	if ((err = juint(root, "shortfall_share_bp", false, &has, &t->shortfall_bp, diag)))
		goto out_free;
	if (has != t->has_min) {
		err = INVALID("shortfall_share_bp: given with min_quantity, and only with it");
		goto out_free;
	}
	if ((err = juint(root, "excess_premium_bp", false, &has, &t->excess_bp, diag)))
		goto out_free;
	if (has != t->has_max) {
		err = INVALID("excess_premium_bp: given with max_quantity, and only with it");
		goto out_free;
	}
	err = CORRIDOR_OK;
out_free:
	json_decref(root);
	return err;
}
