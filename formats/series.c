/*
 * series.c — the delivery.series body (docs/FORMAT.md §3): a canonical map
 *   {contract, meter, qualities, quantities, resolution, start}
 * qualities: a str of one code per point; quantities: an array of uints
 * (milli-units, 0 where the point is missing); resolution: seconds; start:
 * UTC seconds of the first point. Shape only: the kind decides the rest.
 */
#include <string.h>

#include <msgpack.h>

#include "formats.h"

bool corridor_quality_ok(char q)
{
	return q && strchr("AEMJICT", q) != NULL;
}

bool corridor_resolution_ok(int64_t resolution_s)
{
	return resolution_s == 900 || resolution_s == 1800 || resolution_s == 3600;
}

size_t corridor_series_body(const struct corridor_series *s, uint8_t *buf, size_t cap)
{
	struct corridor_mpbuf w;
	msgpack_packer pk;
	CORRIDOR_ASSERT(s->count >= 1 && s->count <= CORRIDOR_SERIES_POINTS_MAX &&
			strlen(s->quality) == s->count);
	corridor_mpbuf_init(&w, &pk, buf, cap);
	msgpack_pack_map(&pk, 6);
	corridor_mp_pack_str(&pk, "contract", 8);
	corridor_mp_cstr(&pk, s->contract);
	corridor_mp_pack_str(&pk, "meter", 5);
	corridor_mp_cstr(&pk, s->meter);
	corridor_mp_pack_str(&pk, "qualities", 9);
	corridor_mp_pack_str(&pk, s->quality, s->count);
	corridor_mp_pack_str(&pk, "quantities", 10);
	msgpack_pack_array(&pk, s->count);
	for (uint32_t i = 0; i < s->count; i++)
		msgpack_pack_uint64(&pk, (uint64_t)s->quantity_milli[i]);
	corridor_mp_pack_str(&pk, "resolution", 10);
	msgpack_pack_uint32(&pk, s->resolution_s);
	corridor_mp_pack_str(&pk, "start", 5);
	msgpack_pack_int64(&pk, s->start_s);
	return w.overflow ? 0 : w.len;
}

int corridor_series_decode(const msgpack_object *o, struct corridor_series *s)
{
	static const char *const allowed[] = { "contract", "idempotency_key", "meter", "qualities",
					       "quantities", "resolution", "start", NULL };
	uint64_t res;
	memset(s, 0, sizeof *s);
	if (o->type != MSGPACK_OBJECT_MAP || !corridor_mpo_fields_only(o, allowed) ||
	    !corridor_mpo_str(corridor_mpo_field(o, "contract"), s->contract, sizeof s->contract) ||
	    !corridor_mpo_str(corridor_mpo_field(o, "meter"), s->meter, sizeof s->meter) ||
	    !corridor_mpo_str(corridor_mpo_field(o, "qualities"), s->quality, sizeof s->quality) ||
	    !corridor_mpo_uint(corridor_mpo_field(o, "resolution"), 86400, &res) ||
	    !corridor_mpo_int(corridor_mpo_field(o, "start"), &s->start_s))
		return -1;
	const msgpack_object *q = corridor_mpo_field(o, "quantities");
	if (!q || q->type != MSGPACK_OBJECT_ARRAY || q->via.array.size == 0 ||
	    q->via.array.size > CORRIDOR_SERIES_POINTS_MAX ||
	    q->via.array.size != strlen(s->quality))
		return -1;
	s->resolution_s = (uint32_t)res;
	s->count = q->via.array.size;
	for (uint32_t i = 0; i < s->count; i++) {
		uint64_t v;
		if (!corridor_mpo_uint(&q->via.array.ptr[i], CORRIDOR_QUANTITY_MILLI_LIMIT - 1, &v) ||
		    !corridor_quality_ok(s->quality[i]))
			return -1;
		s->quantity_milli[i] = (int64_t)v;
	}
	return 0;
}
