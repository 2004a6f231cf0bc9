/* test_statements.c — statements: what a party signs on its own machine
 * (docs/FORMAT.md "Statements"), checked byte for byte against an
 * independent computation with libsodium alone, and hostile bytes refused. */
#define _GNU_SOURCE /* memmem */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "../core/log/log.h"
#include "testutil.h"

#define T0 1782864000000000ull /* 2026-07-01T00:00:00Z, µs */
#define MINUTE 60000000ull

/* {"quantity": 250} */
static const uint8_t BODY[] = { 0x81, 0xa8, 'q', 'u', 'a', 'n', 't', 'i', 't', 'y', 0xcc, 250 };

static struct corridor_signer *signer(const char *name, uint8_t fill)
{
	uint8_t seed[32];
	struct corridor_signer *s;
	memset(seed, fill, sizeof seed);
	ck_assert_int_eq(corridor_signer_from_seed(name, seed, &s), 0);
	return s;
}

static size_t good(const struct corridor_signer *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	struct corridor_diag d;
	corridor_diag_init(&d);
	int err = corridor_statement_sign(s, "corridor.example/ru-mn-cn", "delivery.record",
					  "RU-2026-07-01T00", T0, T0 + 60 * MINUTE, BODY,
					  sizeof BODY, out, cap, &n, &d);
	ck_assert_msg(err == 0, "%s", d.text);
	return n;
}

/* Signed and decoded, every field back; the signature and the hash are
 * what an implementation with only SHA-256 and Ed25519 computes. */
START_TEST(sign_decode_verify)
{
	struct corridor_signer *s = signer("RU-GAZPROM", 7), *other = signer("RU-GAZPROM", 8);
	uint8_t buf[1024];
	size_t n = good(s, buf, sizeof buf);
	struct corridor_statement st;
	ck_assert_int_eq(corridor_statement_decode(buf, n, &st, NULL), 0);
	ck_assert_str_eq(st.origin, "corridor.example/ru-mn-cn");
	ck_assert_str_eq(st.kind, "delivery.record");
	ck_assert_str_eq(st.author, "RU-GAZPROM");
	ck_assert_uint_eq(st.key_id, corridor_signer_vkey(s)->key_id);
	ck_assert_str_eq(st.idempotency_key, "RU-2026-07-01T00");
	ck_assert_uint_eq(st.created_us, T0);
	ck_assert_uint_eq(st.expires_us, T0 + 60 * MINUTE);
	ck_assert_uint_eq(st.body_len, sizeof BODY);
	ck_assert_mem_eq(st.body, BODY, sizeof BODY);
	const uint8_t *pub = corridor_signer_vkey(s)->public_key;
	ck_assert_int_eq(corridor_statement_check_sig(buf, &st, pub), 0);
	ck_assert_int_eq(corridor_statement_check_sig(buf, &st, corridor_signer_vkey(other)->public_key),
			 CORRIDOR_E_SIGNATURE);

	/* independently: the statement map is the bytes up to the signature's
	 * key under fixmap 9; the signed message is the prefix and that map */
	ck_assert_uint_eq(buf[0], 0x8a);
	ck_assert_uint_eq(buf[st.content_len], 0x09);
	ck_assert_uint_eq(buf[st.content_len + 1], 0xc4);
	ck_assert_uint_eq(buf[st.content_len + 2], 64);
	ck_assert_uint_eq(n, st.content_len + 3 + 64);
	uint8_t map[1024], msg[1100], h[32], want[32];
	memcpy(map, buf, st.content_len);
	map[0] = 0x89;
	const char prefix[] = "corridor/statement/v1\n";
	memcpy(msg, prefix, sizeof prefix - 1);
	memcpy(msg + sizeof prefix - 1, map, st.content_len);
	ck_assert_int_eq(crypto_sign_verify_detached(buf + n - 64, msg,
						     sizeof prefix - 1 + st.content_len, pub),
			 0);
	crypto_hash_sha256(want, map, st.content_len);
	corridor_statement_hash(buf, &st, h);
	ck_assert_mem_eq(h, want, 32);
	/* a statement can never pass for an entry: another prefix, another message */
	const char entry_prefix[] = "corridor/entry/v1\n";
	memcpy(msg, entry_prefix, sizeof entry_prefix - 1);
	memcpy(msg + sizeof entry_prefix - 1, map, st.content_len);
	ck_assert_int_ne(crypto_sign_verify_detached(buf + n - 64, msg,
						     sizeof entry_prefix - 1 + st.content_len, pub),
			 0);
	/* a changed byte of the body still decodes, and no longer verifies */
	buf[n - 64 - 3 - 1] ^= 1u;
	ck_assert_int_eq(corridor_statement_decode(buf, n, &st, NULL), 0);
	ck_assert_int_eq(corridor_statement_check_sig(buf, &st, pub), CORRIDOR_E_SIGNATURE);
	corridor_signer_free(s);
	corridor_signer_free(other);
}
END_TEST

/* The worked example of docs/FORMAT.md "Statements", byte for byte. */
START_TEST(format_example)
{
	static const char want_hex[] =
		"8a000101b9636f727269646f722e6578616d706c652f72752d6d6e2d636e02af64656c"
		"69766572792e7265636f726403aa52552d47415a50524f4d04ce24e4e33705b052552d"
		"323032362d30372d303154303006cf000655815f67200007cf0006558235fac4000881"
		"a87175616e74697479ccfa09c44055cbb3f2f79d2f7dd43c1cc58eef892256129d9a8b"
		"bffe3317f4bed4889b47f82f32135b0431e0da64373cfe0067b34677fc5396ae5148c3"
		"ef91ca5f18738908";
	static const char want_hash[] =
		"b53734fbd4b284bab0fc730e4f773a58123d2b743a82ac7ad502abc532d4327b";
	struct corridor_signer *s = signer("RU-GAZPROM", 7);
	uint8_t buf[1024], h[32];
	char hex[2 * sizeof buf + 1], vk[CORRIDOR_VKEY_BYTES_MAX + 1];
	size_t n = good(s, buf, sizeof buf);
	corridor_hex(buf, n, hex);
	ck_assert_str_eq(hex, want_hex);
	struct corridor_statement st;
	ck_assert_int_eq(corridor_statement_decode(buf, n, &st, NULL), 0);
	ck_assert_uint_eq(st.content_len, 116);
	corridor_statement_hash(buf, &st, h);
	corridor_hex(h, 32, hex);
	ck_assert_str_eq(hex, want_hash);
	corridor_vkey_format(corridor_signer_vkey(s), vk);
	ck_assert_str_eq(vk, "RU-GAZPROM+24e4e337+AepKbGPinFIKvvVQexMuxfmVR3auvr57kkIe6mkURtIs");
	corridor_signer_free(s);
}
END_TEST

/* What a statement may not be: each refused by the signer. */
START_TEST(sign_refuses)
{
	struct corridor_signer *s = signer("RU-GAZPROM", 7);
	uint8_t buf[1024];
	size_t n;
	const uint8_t not_map[] = { 0x91, 0x01 }, noncanonical[] = { 0x81, 0xa1, 'q', 0xcd, 0x00,
								     0x01 };
	const char *o = "corridor.example/ru-mn-cn";
	ck_assert_int_eq(corridor_statement_sign(s, o, "delivery.record", NULL, T0, T0 + MINUTE,
						 BODY, sizeof BODY, buf, sizeof buf, &n, NULL),
			 CORRIDOR_E_INVALID);
	ck_assert_int_eq(corridor_statement_sign(s, o, "delivery.record", "", T0, T0 + MINUTE, BODY,
						 sizeof BODY, buf, sizeof buf, &n, NULL),
			 CORRIDOR_E_INVALID);
	ck_assert_int_eq(corridor_statement_sign(s, o, "delivery.record", "a\nb", T0, T0 + MINUTE,
						 BODY, sizeof BODY, buf, sizeof buf, &n, NULL),
			 CORRIDOR_E_INVALID);
	ck_assert_int_eq(corridor_statement_sign(s, o, "delivery.record", "k", T0, T0, BODY,
						 sizeof BODY, buf, sizeof buf, &n, NULL),
			 CORRIDOR_E_INVALID);
	ck_assert_int_eq(corridor_statement_sign(s, o, "Delivery Record", "k", T0, T0 + MINUTE,
						 BODY, sizeof BODY, buf, sizeof buf, &n, NULL),
			 CORRIDOR_E_INVALID);
	ck_assert_int_eq(corridor_statement_sign(s, "with space", "memo", "k", T0, T0 + MINUTE,
						 BODY, sizeof BODY, buf, sizeof buf, &n, NULL),
			 CORRIDOR_E_INVALID);
	ck_assert_int_eq(corridor_statement_sign(s, o, "memo", "k", T0, T0 + MINUTE, not_map,
						 sizeof not_map, buf, sizeof buf, &n, NULL),
			 CORRIDOR_E_INVALID);
	ck_assert_int_eq(corridor_statement_sign(s, o, "memo", "k", T0, T0 + MINUTE, noncanonical,
						 sizeof noncanonical, buf, sizeof buf, &n, NULL),
			 CORRIDOR_E_INVALID);
	ck_assert_int_eq(corridor_statement_sign(s, o, "memo", "k", T0, T0 + MINUTE, BODY,
						 sizeof BODY, buf, 40, &n, NULL),
			 CORRIDOR_E_LIMIT);
	corridor_signer_free(s);
}
END_TEST

/* Hostile bytes: every one refused with a one-line reason, never a crash. */
START_TEST(decode_refuses)
{
	struct corridor_signer *s = signer("MN-MINE", 3);
	uint8_t buf[1024], bad[1100];
	size_t n = good(s, buf, sizeof buf);
	struct corridor_statement st;
	struct corridor_diag d;
	/* truncated anywhere */
	for (size_t cut = 0; cut < n; cut++)
		ck_assert_int_ne(corridor_statement_decode(buf, cut, &st, NULL), 0);
	/* trailing bytes */
	memcpy(bad, buf, n);
	bad[n] = 0xc0;
	ck_assert_int_ne(corridor_statement_decode(bad, n + 1, &st, NULL), 0);
	/* version 2 */
	memcpy(bad, buf, n);
	ck_assert_uint_eq(bad[1], 0x00);
	ck_assert_uint_eq(bad[2], 0x01);
	bad[2] = 0x02;
	corridor_diag_init(&d);
	ck_assert_int_eq(corridor_statement_decode(bad, n, &st, &d), CORRIDOR_E_MALFORMED);
	ck_assert_ptr_nonnull(strstr(d.text, "version"));
	/* a non-canonical version (uint8 for 1) */
	bad[0] = 0x8a;
	memcpy(bad + 1, buf + 1, 1);
	bad[2] = 0xcc;
	bad[3] = 0x01;
	memcpy(bad + 4, buf + 3, n - 3);
	ck_assert_int_eq(corridor_statement_decode(bad, n + 1, &st, NULL), CORRIDOR_E_NONCANONICAL);
	/* the signature's key out of place: a map of 9 */
	memcpy(bad, buf, n);
	bad[0] = 0x89;
	ck_assert_int_ne(corridor_statement_decode(bad, st.content_len, &st, NULL), 0);
	/* a short signature */
	memcpy(bad, buf, n);
	bad[n - 64 - 1] = 63;
	ck_assert_int_ne(corridor_statement_decode(bad, n - 1, &st, NULL), 0);
	/* a control character (here NUL) in the idempotency key (found by the fuzzer) */
	memcpy(bad, buf, n);
	uint8_t *idem = memmem(bad, n, "RU-2026", 7);
	ck_assert_ptr_nonnull(idem);
	idem[2] = 0x00;
	corridor_diag_init(&d);
	ck_assert_int_eq(corridor_statement_decode(bad, n, &st, &d), CORRIDOR_E_MALFORMED);
	ck_assert_ptr_nonnull(strstr(d.text, "idempotency key"));
	/* not msgpack at all, and too large */
	ck_assert_int_ne(corridor_statement_decode((const uint8_t *)"hello", 5, &st, NULL), 0);
	uint8_t *big = calloc(1, CORRIDOR_STATEMENT_BYTES_MAX + 1);
	ck_assert_ptr_nonnull(big);
	ck_assert_int_eq(corridor_statement_decode(big, CORRIDOR_STATEMENT_BYTES_MAX + 1, &st, NULL),
			 CORRIDOR_E_LIMIT);
	free(big);
	corridor_signer_free(s);
}
END_TEST

/* A request body: one statement, or an array of bin; nothing else. */
START_TEST(split_requests)
{
	const uint8_t *p[4];
	size_t l[4], n;
	const uint8_t one[] = { 0x8a, 0x00 };
	ck_assert_int_eq(corridor_statements_split(one, sizeof one, p, l, 4, &n, NULL), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_ptr_eq(p[0], one);
	const uint8_t two[] = { 0x92, 0xc4, 0x01, 0xaa, 0xc5, 0x00, 0x02, 0xbb, 0xcc };
	ck_assert_int_eq(corridor_statements_split(two, sizeof two, p, l, 4, &n, NULL), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(l[0], 1);
	ck_assert_uint_eq(p[0][0], 0xaa);
	ck_assert_uint_eq(l[1], 2);
	ck_assert_uint_eq(p[1][1], 0xcc);
	const uint8_t past[] = { 0x91, 0xc4, 0x05, 0xaa };        /* a bin past the end */
	const uint8_t trailing[] = { 0x91, 0xc4, 0x01, 0xaa, 0x00 }; /* bytes after */
	const uint8_t notbin[] = { 0x91, 0xa1, 'x' };               /* a str, not a bin */
	const uint8_t empty[] = { 0x90 };
	const uint8_t five[] = { 0x95 };
	const uint8_t junk[] = { 'h', 'i' };
	ck_assert_int_eq(corridor_statements_split(past, sizeof past, p, l, 4, &n, NULL),
			 CORRIDOR_E_MALFORMED);
	ck_assert_int_eq(corridor_statements_split(trailing, sizeof trailing, p, l, 4, &n, NULL),
			 CORRIDOR_E_MALFORMED);
	ck_assert_int_eq(corridor_statements_split(notbin, sizeof notbin, p, l, 4, &n, NULL),
			 CORRIDOR_E_MALFORMED);
	ck_assert_int_eq(corridor_statements_split(empty, sizeof empty, p, l, 4, &n, NULL),
			 CORRIDOR_E_LIMIT);
	ck_assert_int_eq(corridor_statements_split(five, sizeof five, p, l, 4, &n, NULL),
			 CORRIDOR_E_LIMIT);
	ck_assert_int_eq(corridor_statements_split(junk, sizeof junk, p, l, 4, &n, NULL),
			 CORRIDOR_E_MALFORMED);
	ck_assert_int_eq(corridor_statements_split(junk, 0, p, l, 4, &n, NULL),
			 CORRIDOR_E_MALFORMED);
}
END_TEST

/* The lifetime rules, at the log's time. */
START_TEST(lifetime)
{
	struct corridor_signer *s = signer("CN-CNPC", 5);
	uint8_t buf[1024];
	size_t n = good(s, buf, sizeof buf); /* created T0, expires T0 + 1 h */
	struct corridor_statement st;
	struct corridor_diag d;
	ck_assert_int_eq(corridor_statement_decode(buf, n, &st, NULL), 0);
	const uint64_t skew = CORRIDOR_STATEMENT_SKEW_US, life = CORRIDOR_STATEMENT_LIFETIME_US;
	ck_assert_int_eq(corridor_statement_check_time(&st, T0, skew, life, NULL), 0);
	ck_assert_int_eq(corridor_statement_check_time(&st, T0 + 59 * MINUTE, skew, life, NULL), 0);
	/* signed on a clock 14 minutes ahead: within the skew */
	ck_assert_int_eq(corridor_statement_check_time(&st, T0 - 14 * MINUTE, skew, life, NULL), 0);
	corridor_diag_init(&d);
	ck_assert_int_eq(corridor_statement_check_time(&st, T0 - 16 * MINUTE, skew, life, &d),
			 CORRIDOR_E_REFUSED);
	ck_assert_ptr_nonnull(strstr(d.text, "skew"));
	corridor_diag_init(&d);
	ck_assert_int_eq(corridor_statement_check_time(&st, T0 + 60 * MINUTE, skew, life, &d),
			 CORRIDOR_E_REFUSED);
	ck_assert_ptr_nonnull(strstr(d.text, "expired"));
	corridor_diag_init(&d);
	ck_assert_int_eq(corridor_statement_check_time(&st, T0, skew, 30 * MINUTE, &d),
			 CORRIDOR_E_REFUSED);
	ck_assert_ptr_nonnull(strstr(d.text, "longer"));
	corridor_signer_free(s);
}
END_TEST

/* ---- version 2 entries through the verifier ---- */

#define ORIGIN "corridor.example/ru-mn-cn"

struct chain {
	struct corridor_signer *op;
	uint8_t tip[32];
	uint64_t seq, time_us;
	uint8_t *bytes[8];
	size_t lens[8];
	size_t n;
};

static void push(struct chain *c, const uint8_t *entry, size_t len)
{
	struct corridor_entry e;
	ck_assert_int_eq(corridor_entry_decode(entry, len, &e, NULL), 0);
	c->bytes[c->n] = malloc(len);
	memcpy(c->bytes[c->n], entry, len);
	c->lens[c->n++] = len;
	corridor_entry_content_hash(entry, &e, c->tip);
	c->seq++;
}

/* The genesis, a version 1 entry signed by the operator at seq 0. */
static void genesis(struct chain *c)
{
	uint8_t body[256], content[1024], msg[1200], sig[64], entry[1200];
	size_t blen = corridor_body_genesis(ORIGIN, corridor_signer_vkey(c->op)->public_key, 0, body,
					    sizeof body);
	const struct corridor_vkey *vk = corridor_signer_vkey(c->op);
	size_t clen = corridor_entry_encode_content(0, c->tip, c->time_us, "genesis", vk->name,
						    vk->key_id, body, blen, content, sizeof content);
	corridor_signer_sign(c->op, msg, corridor_entry_sig_message(content, clen, msg), sig);
	push(c, entry, corridor_entry_seal(content, clen, sig, entry, sizeof entry));
}

/* A memo statement by `who`, created at `created`, as a version 2 entry at
 * the log time c->time_us; `origin` and the lifetime as given. */
static void memo_v2(struct chain *c, const struct corridor_signer *who, const char *origin,
		    const char *idem, uint64_t created, uint64_t life_us)
{
	/* {"text": "hello"} */
	const uint8_t body[] = { 0x81, 0xa4, 't', 'e', 'x', 't', 0xa5, 'h', 'e', 'l', 'l', 'o' };
	uint8_t st[1024], entry[1200];
	size_t slen;
	ck_assert_int_eq(corridor_statement_sign(who, origin, "memo", idem, created,
						 created + life_us, body, sizeof body, st, sizeof st,
						 &slen, NULL),
			 0);
	size_t n = corridor_entry_encode_v2(c->seq, c->tip, c->time_us, st, slen, entry,
					    sizeof entry);
	ck_assert_uint_gt(n, 0);
	push(c, entry, n);
}

/* Feeds the chain to a fresh verifier: 0, or the first failure (diag). */
static int verify(struct chain *c, struct corridor_diag *d)
{
	struct verifier *v;
	struct corridor_merkle_range empty;
	const uint8_t zero[32] = { 0 };
	struct verifier_hooks h = { 0 };
	corridor_merkle_range_init(&empty);
	ck_assert_int_eq(corridor_verifier_new(&v, 0, zero, 0, &empty, &h), 0);
	corridor_diag_init(d);
	int err = corridor_verifier_feed(v, (const uint8_t *const *)c->bytes, c->lens, c->n, d);
	corridor_verifier_free(v);
	return err;
}

static void chain_init(struct chain *c)
{
	memset(c, 0, sizeof *c);
	c->op = signer(ORIGIN, 1);
	c->time_us = T0;
	genesis(c);
}

static void chain_free(struct chain *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->bytes[i]);
	corridor_signer_free(c->op);
}

/* A log of a version 1 genesis and version 2 statements verifies: the
 * statement's signature, its origin, its lifetime at the log time, the
 * chain and the Merkle tree; and the entry decodes to what it wraps. */
START_TEST(v2_entries_verify)
{
	struct chain c;
	struct corridor_diag d;
	chain_init(&c);
	c.time_us = T0 + MINUTE;
	memo_v2(&c, c.op, ORIGIN, "memo-1", T0, 60 * MINUTE);
	c.time_us = T0 + 2 * MINUTE;
	memo_v2(&c, c.op, ORIGIN, "memo-2", T0 + 2 * MINUTE, 60 * MINUTE);
	ck_assert_msg(verify(&c, &d) == 0, "%s", d.text);
	struct corridor_entry e;
	ck_assert_int_eq(corridor_entry_decode(c.bytes[1], c.lens[1], &e, NULL), 0);
	ck_assert_uint_eq(e.version, 2);
	ck_assert_uint_eq(e.seq, 1);
	ck_assert_str_eq(e.kind, "memo");
	ck_assert_str_eq(e.author, ORIGIN);
	ck_assert_str_eq(e.idempotency_key, "memo-1");
	ck_assert_int_eq(corridor_entry_check_sig(c.bytes[1], &e,
						  corridor_signer_vkey(c.op)->public_key),
			 0);
	/* the content hash of a version 2 entry is SHA-256 of all of it */
	uint8_t h[32], want[32];
	corridor_entry_content_hash(c.bytes[1], &e, h);
	crypto_hash_sha256(want, c.bytes[1], c.lens[1]);
	ck_assert_mem_eq(h, want, 32);
	ck_assert_int_eq(corridor_entry_decode(c.bytes[2], c.lens[2], &e, NULL), 0);
	ck_assert_mem_eq(e.prev, want, 32);
	chain_free(&c);
}
END_TEST

/* What a sequencer must never have accepted, caught by verify. */
START_TEST(v2_entries_refused)
{
	struct corridor_diag d;
	struct chain c;
	/* a statement for another ledger */
	chain_init(&c);
	memo_v2(&c, c.op, "corridor.example/elsewhere", "m", T0, MINUTE);
	ck_assert_int_ne(verify(&c, &d), 0);
	ck_assert_ptr_nonnull(strstr(d.text, "not this one"));
	chain_free(&c);
	/* expired at the log's time */
	chain_init(&c);
	c.time_us = T0 + 2 * MINUTE;
	memo_v2(&c, c.op, ORIGIN, "m", T0, MINUTE);
	ck_assert_int_ne(verify(&c, &d), 0);
	ck_assert_ptr_nonnull(strstr(d.text, "expired"));
	chain_free(&c);
	/* created beyond the clock skew */
	chain_init(&c);
	memo_v2(&c, c.op, ORIGIN, "m", T0 + 20 * MINUTE, MINUTE);
	ck_assert_int_ne(verify(&c, &d), 0);
	ck_assert_ptr_nonnull(strstr(d.text, "skew"));
	chain_free(&c);
	/* signed by a key this ledger does not know */
	chain_init(&c);
	struct corridor_signer *stranger = signer(ORIGIN, 2);
	memo_v2(&c, stranger, ORIGIN, "m", T0, MINUTE);
	ck_assert_int_ne(verify(&c, &d), 0);
	corridor_signer_free(stranger);
	chain_free(&c);
	/* the same idempotency key twice */
	chain_init(&c);
	memo_v2(&c, c.op, ORIGIN, "m", T0, MINUTE);
	memo_v2(&c, c.op, ORIGIN, "m", T0, 2 * MINUTE);
	ck_assert_int_ne(verify(&c, &d), 0);
	ck_assert_ptr_nonnull(strstr(d.text, "idempotency key"));
	chain_free(&c);
	/* a statement byte changed inside the entry: its signature fails */
	chain_init(&c);
	memo_v2(&c, c.op, ORIGIN, "m", T0, MINUTE);
	c.bytes[1][c.lens[1] - 64 - 3 - 2] ^= 1u; /* in the body's text */
	ck_assert_int_ne(verify(&c, &d), 0);
	ck_assert_ptr_nonnull(strstr(d.text, "signature"));
	chain_free(&c);
}
END_TEST

/* ---- sequencing statements in a real ledger ---- */

struct led {
	char *dir;
	struct corridor_ledger *l;
	struct corridor_signer *op, *ru;
};

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void led_open(struct led *w)
{
	struct corridor_diag d;
	corridor_diag_init(&d);
	w->dir = tmpdir_new();
	w->op = signer(ORIGIN, 1);
	w->ru = signer("RU-GAZPROM", 2);
	ck_assert_msg(corridor_ledger_create(w->dir, w->op, &w->l, &d) == 0, "%s", d.text);
	struct corridor_party_request r = { .id = "RU-GAZPROM", .name = "Gazprom Export",
					    .country = "RU", .roles = CORRIDOR_ROLE_SELLER,
					    .key = *corridor_signer_vkey(w->ru) };
	uint64_t seq;
	ck_assert_msg(corridor_party_register(w->l, w->op, &r, NULL, &seq, &d) == 0, "%s", d.text);
}

static void led_close(struct led *w)
{
	corridor_ledger_close(w->l);
	corridor_signer_free(w->op);
	corridor_signer_free(w->ru);
	rm_rf(w->dir);
	free(w->dir);
}

/* A memo statement by `who` with `text`, alive from `created` for `life_us`. */
static size_t memo_stmt(const struct corridor_signer *who, const char *idem, const char *text,
			uint64_t created, uint64_t life_us, uint8_t *out, size_t cap)
{
	uint8_t body[128];
	size_t tl = strlen(text), n;
	ck_assert_uint_lt(tl, 31);
	body[0] = 0x81;
	memcpy(body + 1, "\xa4text", 5);
	body[6] = (uint8_t)(0xa0u | tl);
	memcpy(body + 7, text, tl);
	ck_assert_int_eq(corridor_statement_sign(who, ORIGIN, "memo", idem, created,
						 created + life_us, body, 7 + tl, out, cap, &n, NULL),
			 0);
	return n;
}

/* Submits one statement; returns the error, with the receipt and the ledger
 * size after. */
static int submit1(struct led *w, const uint8_t *st, size_t len, struct corridor_receipt *r,
		   struct corridor_diag *d)
{
	const uint8_t *const v[1] = { st };
	size_t appended;
	corridor_diag_init(d);
	return corridor_submit(w->l, w->op, v, &len, 1, r, &appended, d);
}

static uint64_t size_of(struct led *w)
{
	struct corridor_head h;
	ck_assert_int_eq(corridor_ledger_head(w->l, &h), 0);
	return h.size;
}

/* New statements get dense seqs and a checkpoint; the same statement again,
 * or signed anew (even expired by now), gets its original receipt; the
 * ledger verifies from its entries alone. */
START_TEST(submit_and_retry)
{
	struct led w;
	struct corridor_diag d;
	struct corridor_receipt r1, r2, again;
	uint8_t a[1024], b[1024], resigned[1024];
	led_open(&w);
	uint64_t t = now_us(), before = size_of(&w);
	size_t na = memo_stmt(w.ru, "memo-a", "first", t, 60 * MINUTE, a, sizeof a);
	size_t nb = memo_stmt(w.ru, "memo-b", "second", t, 60 * MINUTE, b, sizeof b);
	const uint8_t *const v[2] = { a, b };
	size_t lens[2] = { na, nb }, appended;
	struct corridor_receipt rs[2];
	corridor_diag_init(&d);
	ck_assert_msg(corridor_submit(w.l, w.op, v, lens, 2, rs, &appended, &d) == 0, "%s",
		      d.text);
	ck_assert_uint_eq(appended, 2);
	r1 = rs[0];
	r2 = rs[1];
	ck_assert_uint_eq(r1.seq, before);
	ck_assert_uint_eq(r2.seq, before + 1);
	ck_assert(!r1.duplicate && !r2.duplicate);
	ck_assert_uint_eq(size_of(&w), before + 2);
	/* the receipt is the entry: its leaf hash, its statement hash */
	uint8_t *e1;
	size_t e1len;
	struct corridor_entry e;
	uint8_t leaf[32], sh[32];
	ck_assert_int_eq(corridor_ledger_entry(w.l, r1.seq, &e1, &e1len), 0);
	ck_assert_int_eq(corridor_entry_decode(e1, e1len, &e, NULL), 0);
	ck_assert_uint_eq(e.version, 2);
	ck_assert_mem_eq(e.statement, a, na);
	corridor_merkle_leaf_hash(e1, e1len, leaf);
	ck_assert_mem_eq(leaf, r1.leaf_hash, 32);
	struct corridor_statement st;
	ck_assert_int_eq(corridor_statement_decode(a, na, &st, NULL), 0);
	corridor_statement_hash(a, &st, sh);
	ck_assert_mem_eq(sh, r1.statement_hash, 32);
	free(e1);
	/* a checkpoint was signed for the new size */
	char *note;
	size_t nlen;
	uint64_t cpsize = 0;
	ck_assert_int_eq(corridor_checkpoint_get(w.l, cpsize, &note, &nlen, NULL), 0);
	char want[64];
	snprintf(want, sizeof want, "\n%llu\n", (unsigned long long)(before + 2));
	ck_assert_ptr_nonnull(strstr(note, want));
	free(note);
	/* the same bytes again: the original receipt, nothing written */
	ck_assert_int_eq(submit1(&w, a, na, &again, &d), 0);
	ck_assert(again.duplicate);
	ck_assert_uint_eq(again.seq, r1.seq);
	ck_assert_mem_eq(again.leaf_hash, r1.leaf_hash, 32);
	ck_assert_mem_eq(again.statement_hash, r1.statement_hash, 32);
	/* signed anew an hour ago, expired now: still the same statement */
	size_t nr = memo_stmt(w.ru, "memo-b", "second", t - 120 * MINUTE, MINUTE, resigned,
			      sizeof resigned);
	ck_assert_int_eq(submit1(&w, resigned, nr, &again, &d), 0);
	ck_assert(again.duplicate);
	ck_assert_uint_eq(again.seq, r2.seq);
	ck_assert_uint_eq(size_of(&w), before + 2);
	/* the ledger verifies, statements and all */
	corridor_diag_init(&d);
	ck_assert_msg(corridor_ledger_verify(w.l, NULL, NULL, &d) == 0, "%s", d.text);
	led_close(&w);
}
END_TEST

/* Each refusal leaves the ledger exactly as it was. */
START_TEST(submit_refuses)
{
	struct led w;
	struct corridor_diag d;
	struct corridor_receipt r;
	uint8_t a[1024], b[1024];
	led_open(&w);
	uint64_t t = now_us();
	size_t na = memo_stmt(w.ru, "memo-a", "first", t, 60 * MINUTE, a, sizeof a);
	ck_assert_int_eq(submit1(&w, a, na, &r, &d), 0);
	uint64_t size = size_of(&w);
	/* the same idempotency key with another body */
	size_t nb = memo_stmt(w.ru, "memo-a", "other", t, 60 * MINUTE, b, sizeof b);
	ck_assert_int_eq(submit1(&w, b, nb, &r, &d), CORRIDOR_E_EXISTS);
	ck_assert_ptr_nonnull(strstr(d.text, "another body"));
	/* expired, and created far in the future */
	nb = memo_stmt(w.ru, "memo-x", "late", t - 120 * MINUTE, MINUTE, b, sizeof b);
	ck_assert_int_eq(submit1(&w, b, nb, &r, &d), CORRIDOR_E_REFUSED);
	ck_assert_ptr_nonnull(strstr(d.text, "expired"));
	nb = memo_stmt(w.ru, "memo-y", "early", t + 60 * MINUTE, MINUTE, b, sizeof b);
	ck_assert_int_eq(submit1(&w, b, nb, &r, &d), CORRIDOR_E_REFUSED);
	ck_assert_ptr_nonnull(strstr(d.text, "skew"));
	/* a bad signature */
	nb = memo_stmt(w.ru, "memo-z", "forged", t, MINUTE, b, sizeof b);
	b[nb - 1] ^= 1u;
	ck_assert_int_eq(submit1(&w, b, nb, &r, &d), CORRIDOR_E_SIGNATURE);
	/* someone else's key under RU-GAZPROM's name */
	struct corridor_signer *forger = signer("RU-GAZPROM", 9);
	nb = memo_stmt(forger, "memo-f", "forged", t, MINUTE, b, sizeof b);
	ck_assert_int_eq(submit1(&w, b, nb, &r, &d), CORRIDOR_E_KEY);
	corridor_signer_free(forger);
	/* a statement for another ledger */
	{
		const uint8_t body[] = { 0x81, 0xa4, 't', 'e', 'x', 't', 0xa1, 'x' };
		ck_assert_int_eq(corridor_statement_sign(w.ru, "corridor.example/elsewhere", "memo",
							 "memo-o", t, t + MINUTE, body, sizeof body,
							 b, sizeof b, &nb, NULL),
				 0);
		ck_assert_int_eq(submit1(&w, b, nb, &r, &d), CORRIDOR_E_REFUSED);
		ck_assert_ptr_nonnull(strstr(d.text, "not this one"));
	}
	/* not msgpack */
	ck_assert_int_eq(submit1(&w, (const uint8_t *)"hello", 5, &r, &d),
			 CORRIDOR_E_MALFORMED);
	/* a batch is all or nothing: a good one and an expired one */
	{
		uint8_t g[1024], x[1024];
		size_t ng = memo_stmt(w.ru, "memo-g", "good", t, MINUTE, g, sizeof g);
		size_t nx = memo_stmt(w.ru, "memo-h", "late", t - 120 * MINUTE, MINUTE, x, sizeof x);
		const uint8_t *const v[2] = { g, x };
		size_t lens[2] = { ng, nx }, appended = 99;
		struct corridor_receipt rs[2];
		corridor_diag_init(&d);
		ck_assert_int_eq(corridor_submit(w.l, w.op, v, lens, 2, rs, &appended, &d),
				 CORRIDOR_E_REFUSED);
		ck_assert_uint_eq(appended, 0);
	}
	/* only the operator sequences */
	{
		const uint8_t *const v[1] = { a };
		size_t appended;
		corridor_diag_init(&d);
		ck_assert_int_eq(corridor_submit(w.l, w.ru, v, &na, 1, &r, &appended, &d),
				 CORRIDOR_E_REFUSED);
	}
	ck_assert_uint_eq(size_of(&w), size);
	corridor_diag_init(&d);
	ck_assert_msg(corridor_ledger_verify(w.l, NULL, NULL, &d) == 0, "%s", d.text);
	led_close(&w);
}
END_TEST

/* A ledger's own longest statement lifetime: fixed by its genesis, kept
 * across reopening, applied when sequencing and by verify. */
START_TEST(ledger_lifetime_setting)
{
	struct led w;
	struct corridor_diag d;
	struct corridor_receipt r;
	uint8_t a[1024];
	w.dir = tmpdir_new();
	w.op = signer(ORIGIN, 1);
	w.ru = signer("RU-GAZPROM", 2);
	/* out of bounds: refused, nothing created */
	struct corridor_ledger_settings bad = { .statement_lifetime_max_s = 59 };
	const char *dir = path_join(w.dir, "L");
	ck_assert_int_eq(corridor_ledger_create_with(dir, w.op, &bad, &w.l, &d), CORRIDOR_E_INVALID);
	bad.statement_lifetime_max_s = CORRIDOR_STATEMENT_LIFETIME_MAX_S + 1;
	ck_assert_int_eq(corridor_ledger_create_with(dir, w.op, &bad, &w.l, &d), CORRIDOR_E_INVALID);
	/* two minutes */
	struct corridor_ledger_settings two = { .statement_lifetime_max_s = 120 };
	ck_assert_msg(corridor_ledger_create_with(dir, w.op, &two, &w.l, &d) == 0, "%s", d.text);
	ck_assert_uint_eq(corridor_ledger_statement_lifetime_us(w.l), 120 * 1000000ull);
	struct corridor_party_request pr = { .id = "RU-GAZPROM", .name = "Gazprom Export",
					     .country = "RU", .roles = CORRIDOR_ROLE_SELLER,
					     .key = *corridor_signer_vkey(w.ru) };
	uint64_t seq;
	ck_assert_msg(corridor_party_register(w.l, w.op, &pr, NULL, &seq, &d) == 0, "%s", d.text);
	uint64_t t = now_us(), size = size_of(&w);
	size_t n = memo_stmt(w.ru, "memo-long", "an hour", t, 60 * MINUTE, a, sizeof a);
	ck_assert_int_eq(submit1(&w, a, n, &r, &d), CORRIDOR_E_REFUSED);
	ck_assert_msg(strstr(d.text, "lifetime") || strstr(d.text, "longer"), "%s", d.text);
	ck_assert_uint_eq(size_of(&w), size);
	n = memo_stmt(w.ru, "memo-short", "a minute", t, MINUTE, a, sizeof a);
	ck_assert_msg(submit1(&w, a, n, &r, &d) == 0, "%s", d.text);
	/* reopened, the ledger still applies its own setting; verify agrees */
	corridor_ledger_close(w.l);
	ck_assert_int_eq(corridor_ledger_open(dir, 0, &w.l, &d), 0);
	ck_assert_uint_eq(corridor_ledger_statement_lifetime_us(w.l), 120 * 1000000ull);
	n = memo_stmt(w.ru, "memo-long-2", "an hour", t, 60 * MINUTE, a, sizeof a);
	ck_assert_int_eq(submit1(&w, a, n, &r, &d), CORRIDOR_E_REFUSED);
	corridor_diag_init(&d);
	ck_assert_msg(corridor_ledger_verify(w.l, NULL, NULL, &d) == 0, "%s", d.text);
	led_close(&w);
}
END_TEST

/* Signed reads (RFC 9421): what the client signs the server parses and
 * verifies; every malformed header, another target, another key, a time
 * outside the window is refused. */
START_TEST(httpsig_requests)
{
	struct corridor_signer *ru = signer("RU-GAZPROM", 2), *other = signer("RU-GAZPROM", 3);
	char in[CORRIDOR_HTTPSIG_HEADER_BYTES_MAX], sig[CORRIDOR_HTTPSIG_HEADER_BYTES_MAX];
	struct corridor_httpsig h;
	struct corridor_diag d;
	const int64_t t = 1764633600;
	ck_assert_int_eq(corridor_httpsig_sign(ru, "GET", "/v1/log", "?from=3", t, in, sig), 0);
	char want[160];
	snprintf(want, sizeof want,
		 "sig1=(\"@method\" \"@path\" \"@query\");created=1764633600;keyid=\"RU-GAZPROM+%08x\";"
		 "alg=\"ed25519\"",
		 (unsigned)corridor_signer_vkey(ru)->key_id);
	ck_assert_str_eq(in, want);
	ck_assert_int_eq(corridor_httpsig_parse(in, sig, &h, &d), 0);
	ck_assert_str_eq(h.keyid_name, "RU-GAZPROM");
	ck_assert_uint_eq(h.keyid, corridor_signer_vkey(ru)->key_id);
	const uint8_t *pk = corridor_signer_vkey(ru)->public_key;
	ck_assert_int_eq(corridor_httpsig_verify(&h, "GET", "/v1/log", "?from=3", pk, t + 30, &d), 0);
	/* another target, another method, another key; too early, too late */
	ck_assert_int_eq(corridor_httpsig_verify(&h, "GET", "/v1/log", "?from=4", pk, t, &d),
			 CORRIDOR_E_SIGNATURE);
	ck_assert_int_eq(corridor_httpsig_verify(&h, "GET", "/v1/logs", "?from=3", pk, t, &d),
			 CORRIDOR_E_SIGNATURE);
	ck_assert_int_eq(corridor_httpsig_verify(&h, "POST", "/v1/log", "?from=3", pk, t, &d),
			 CORRIDOR_E_SIGNATURE);
	ck_assert_int_eq(corridor_httpsig_verify(&h, "GET", "/v1/log", "?from=3",
						 corridor_signer_vkey(other)->public_key, t, &d),
			 CORRIDOR_E_SIGNATURE);
	ck_assert_int_eq(corridor_httpsig_verify(&h, "GET", "/v1/log", "?from=3", pk, t + 61, &d),
			 CORRIDOR_E_REFUSED);
	ck_assert_int_eq(corridor_httpsig_verify(&h, "GET", "/v1/log", "?from=3", pk, t - 61, &d),
			 CORRIDOR_E_REFUSED);
	/* an empty query is "?" in the base: signed as "" verifies as "" */
	ck_assert_int_eq(corridor_httpsig_sign(ru, "GET", "/v1/entries/5", "", t, in, sig), 0);
	ck_assert_int_eq(corridor_httpsig_parse(in, sig, &h, &d), 0);
	ck_assert_int_eq(corridor_httpsig_verify(&h, "GET", "/v1/entries/5", "", pk, t, &d), 0);
	/* hostile headers */
	static const char *const bad_inputs[] = {
		"",
		"sig1=",
		"sig1=(\"@method\" \"@path\")" ";created=1;keyid=\"A+00000001\"",
		"sig1=(\"@method\"  \"@path\" \"@query\");created=1;keyid=\"A+00000001\"",
		"sig1=(\"@method\" \"@path\" \"@query\");keyid=\"A+00000001\"",
		"sig1=(\"@method\" \"@path\" \"@query\");created=1",
		"sig1=(\"@method\" \"@path\" \"@query\");created=1;created=2;keyid=\"A+00000001\"",
		"sig1=(\"@method\" \"@path\" \"@query\");created=1;keyid=\"A+00000001\";alg=\"rsa-pss-sha512\"",
		"sig1=(\"@method\" \"@path\" \"@query\");created=1;keyid=\"A+0000001\"",
		"sig1=(\"@method\" \"@path\" \"@query\");created=1;keyid=\"A\"",
		"sig1=(\"@method\" \"@path\" \"@query\");created=-1;keyid=\"A+00000001\"",
		"sig1=(\"@method\" \"@path\" \"@query\");created=1;keyid=\"A+00000001\";color=\"x\"",
		"sig1=(\"@method\" \"@path\" \"@query\");created=1;keyid=\"A+00000001\", sig2=()",
		"sig1=(\"@method\" \"@path\" \"@query\");created=1;keyid=\"A\x01+00000001\"",
		"sig1=(\"@method\" \"@path\" \"@query\");created=5;expires=5;keyid=\"A+00000001\"",
		"Sig1=(\"@method\" \"@path\" \"@query\");created=1;keyid=\"A+00000001\"",
		"sig1=(\"@method\" \"@path\" \"@query\");created=1234567890123456;keyid=\"A+00000001\"",
	};
	for (size_t i = 0; i < sizeof bad_inputs / sizeof bad_inputs[0]; i++)
		ck_assert_msg(corridor_httpsig_parse(bad_inputs[i], sig, &h, &d) != 0, "accepted %s",
			      bad_inputs[i]);
	ck_assert_int_eq(corridor_httpsig_parse(in, NULL, &h, &d), CORRIDOR_E_MALFORMED);
	ck_assert_int_eq(corridor_httpsig_parse(NULL, sig, &h, &d), CORRIDOR_E_MALFORMED);
	ck_assert_int_eq(corridor_httpsig_parse(in, "sig2=:AAAA:", &h, &d), CORRIDOR_E_MALFORMED);
	ck_assert_int_eq(corridor_httpsig_parse(in, "sig1=:AAAA:", &h, &d), CORRIDOR_E_MALFORMED);
	ck_assert_int_eq(corridor_httpsig_parse(in, "sig1=AAAA", &h, &d), CORRIDOR_E_MALFORMED);
	char big[CORRIDOR_HTTPSIG_HEADER_BYTES_MAX + 8];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	ck_assert_int_eq(corridor_httpsig_parse(big, sig, &h, &d), CORRIDOR_E_LIMIT);
	corridor_signer_free(ru);
	corridor_signer_free(other);
}
END_TEST

Suite *suite_statements(void)
{
	Suite *s = suite_create("statements");
	TCase *tc = tcase_create("statements");
	tcase_add_test(tc, sign_decode_verify);
	tcase_add_test(tc, format_example);
	tcase_add_test(tc, sign_refuses);
	tcase_add_test(tc, decode_refuses);
	tcase_add_test(tc, lifetime);
	tcase_add_test(tc, split_requests);
	tcase_add_test(tc, v2_entries_verify);
	tcase_add_test(tc, v2_entries_refused);
	tcase_add_test(tc, submit_and_retry);
	tcase_add_test(tc, submit_refuses);
	tcase_add_test(tc, ledger_lifetime_setting);
	tcase_add_test(tc, httpsig_requests);
	suite_add_tcase(s, tc);
	return s;
}
