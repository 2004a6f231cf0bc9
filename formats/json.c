/*
 * json.c — writes canonical msgpack values as JSON (output only; input JSON is
 * parsed with jansson where the project reads it).
 *
 * Mapping: map -> object (integer keys become decimal strings), array -> array,
 * str -> string, bin -> lower-case hex string, integers -> numbers (exact, any
 * 64-bit value), booleans -> true/false.
 */
#include <msgpack.h>

#include "formats.h"

/* Bytes written as they are: printable, not a quote or a backslash. */
static bool json_plain(unsigned char c)
{
	return c >= 0x20u && c != 0x7fu && c != '"' && c != '\\';
}

int corridor_json_write_string(FILE *f, const char *s, size_t len)
{
	if (fputc('"', f) == EOF)
		return CORRIDOR_E_IO;
	for (size_t i = 0; i < len;) {
		size_t run = 0;
		while (i + run < len && json_plain((unsigned char)s[i + run]))
			run++;
		if (run && fwrite(s + i, 1, run, f) != run)
			return CORRIDOR_E_IO;
		i += run;
		if (i == len)
			break;
		unsigned char c = (unsigned char)s[i++];
		int rc;
		if (c == '"')
			rc = fputs("\\\"", f);
		else if (c == '\\')
			rc = fputs("\\\\", f);
		else if (c == '\n')
			rc = fputs("\\n", f);
		else if (c == '\r')
			rc = fputs("\\r", f);
		else if (c == '\t')
			rc = fputs("\\t", f);
		else
			rc = fprintf(f, "\\u%04x", c);
		if (rc < 0)
			return CORRIDOR_E_IO;
	}
	return fputc('"', f) == EOF ? CORRIDOR_E_IO : CORRIDOR_OK;
}

static int write_scalar(FILE *f, const msgpack_object *o)
{
	switch (o->type) {
	case MSGPACK_OBJECT_BOOLEAN:
		return fputs(o->via.boolean ? "true" : "false", f) < 0 ? CORRIDOR_E_IO : 0;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		return fprintf(f, "%llu", (unsigned long long)o->via.u64) < 0 ? CORRIDOR_E_IO : 0;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		return fprintf(f, "%lld", (long long)o->via.i64) < 0 ? CORRIDOR_E_IO : 0;
	case MSGPACK_OBJECT_STR:
		return corridor_json_write_string(f, o->via.str.ptr, o->via.str.size);
	case MSGPACK_OBJECT_BIN: {
		if (fputc('"', f) == EOF)
			return CORRIDOR_E_IO;
		for (uint32_t i = 0; i < o->via.bin.size; i++)
			if (fprintf(f, "%02x", (unsigned char)o->via.bin.ptr[i]) < 0)
				return CORRIDOR_E_IO;
		return fputc('"', f) == EOF ? CORRIDOR_E_IO : 0;
	}
	default:
		return CORRIDOR_E_MALFORMED;
	}
}

struct json_frame {
	const msgpack_object *obj;
	uint32_t next;
};

int corridor_msgpack_write_json(FILE *f, const uint8_t *buf, size_t len)
{
	struct json_frame stack[CORRIDOR_ENTRY_DEPTH_MAX + 2];
	size_t depth = 0;
	msgpack_unpacked u;
	int err = corridor_msgpack_check_canonical(buf, len, CORRIDOR_ENTRY_DEPTH_MAX, NULL);
	if (err)
		return err;
	msgpack_unpacked_init(&u);
	size_t off = 0;
	if (msgpack_unpack_next(&u, (const char *)buf, len, &off) != MSGPACK_UNPACK_SUCCESS) {
		err = CORRIDOR_E_MALFORMED;
		goto out_destroy;
	}
	const msgpack_object *o = &u.data;
	for (;;) {
		if (o) {
			if (o->type == MSGPACK_OBJECT_MAP || o->type == MSGPACK_OBJECT_ARRAY) {
				CORRIDOR_ASSERT(depth < sizeof stack / sizeof stack[0]);
				if (fputc(o->type == MSGPACK_OBJECT_MAP ? '{' : '[', f) == EOF) {
					err = CORRIDOR_E_IO;
					goto out_destroy;
				}
				stack[depth].obj = o;
				stack[depth].next = 0;
				depth++;
			} else if ((err = write_scalar(f, o)) != 0) {
				goto out_destroy;
			}
		}
		if (depth == 0)
			break;
		struct json_frame *fr = &stack[depth - 1];
		bool is_map = fr->obj->type == MSGPACK_OBJECT_MAP;
		uint32_t n = is_map ? fr->obj->via.map.size : fr->obj->via.array.size;
		if (fr->next >= n) {
			if (fputc(is_map ? '}' : ']', f) == EOF) {
				err = CORRIDOR_E_IO;
				goto out_destroy;
			}
			depth--;
			o = NULL;
			continue;
		}
		if (fr->next > 0 && fputc(',', f) == EOF) {
			err = CORRIDOR_E_IO;
			goto out_destroy;
		}
		if (is_map) {
			const msgpack_object_kv *kv = &fr->obj->via.map.ptr[fr->next];
			if (kv->key.type == MSGPACK_OBJECT_STR)
				err = corridor_json_write_string(f, kv->key.via.str.ptr,
								 kv->key.via.str.size);
			else
				err = fprintf(f, "\"%llu\"", (unsigned long long)kv->key.via.u64) < 0
					      ? CORRIDOR_E_IO
					      : 0;
			if (err || fputc(':', f) == EOF) {
				err = err ? err : CORRIDOR_E_IO;
				goto out_destroy;
			}
			o = &kv->val;
		} else {
			o = &fr->obj->via.array.ptr[fr->next];
		}
		fr->next++;
	}
	err = CORRIDOR_OK;
out_destroy:
	msgpack_unpacked_destroy(&u);
	return err;
}
