/*
 * entries.c — an entry as its readers see it: the JSON object `corridor entry`,
 * `corridor log --format json` and the service's /v1/entries and /v1/log
 * print (docs/SERVICE.md), one writer for all of them.
 */
#include <stdio.h>

#include "log/log.h"

int corridor_entry_json(FILE *f, const uint8_t *bytes, size_t len, struct corridor_diag *diag)
{
	struct corridor_entry e;
	char t[CORRIDOR_TIME_TEXT_BYTES], leaf_hex[65], prev_hex[65];
	uint8_t leaf[CORRIDOR_HASH_BYTES];
	int err = corridor_entry_decode(bytes, len, &e, diag);
	if (err)
		return err;
	corridor_time_text(e.time_us, t);
	corridor_merkle_leaf_hash(bytes, len, leaf);
	corridor_hex(leaf, 32, leaf_hex);
	corridor_hex(e.prev, 32, prev_hex);
	fprintf(f, "{\"seq\":%llu,\"kind\":\"%s\",\"author\":", (unsigned long long)e.seq, e.kind);
	if (corridor_json_write_string(f, e.author, strlen(e.author)) != 0)
		return CORRIDOR_E_IO;
	fprintf(f,
		",\"key\":\"%08x\",\"time\":\"%s\",\"time_us\":%llu,\"prev\":\"%s\","
		"\"leaf_hash\":\"%s\",\"version\":%llu,",
		(unsigned)e.key_id, t, (unsigned long long)e.time_us, prev_hex, leaf_hex,
		(unsigned long long)e.version);
	if (e.version == CORRIDOR_ENTRY_VERSION_2) {
		/* what the author signed beyond kind and body */
		struct corridor_statement st;
		uint8_t h[CORRIDOR_HASH_BYTES];
		char created[CORRIDOR_TIME_TEXT_BYTES], expires[CORRIDOR_TIME_TEXT_BYTES], hex[65];
		if ((err = corridor_statement_decode(e.statement, e.statement_len, &st, diag)) != 0)
			return err;
		corridor_statement_hash(e.statement, &st, h);
		corridor_hex(h, sizeof h, hex);
		corridor_time_text(st.created_us, created);
		corridor_time_text(st.expires_us, expires);
		fputs("\"statement\":{\"origin\":", f);
		if (corridor_json_write_string(f, st.origin, strlen(st.origin)) != 0)
			return CORRIDOR_E_IO;
		fputs(",\"idempotency_key\":", f);
		if (corridor_json_write_string(f, st.idempotency_key, strlen(st.idempotency_key)) != 0)
			return CORRIDOR_E_IO;
		fprintf(f, ",\"created\":\"%s\",\"expires\":\"%s\",\"hash\":\"%s\"},", created,
			expires, hex);
	}
	fputs("\"body\":", f);
	if (corridor_msgpack_write_json(f, e.body, e.body_len) != 0)
		return CORRIDOR_E_IO;
	fputs("}\n", f);
	return ferror(f) ? CORRIDOR_E_IO : CORRIDOR_OK;
}
