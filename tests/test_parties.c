/* test_parties.c — parties, roles and the key lifecycle through the API: each
 * rule with its negative case; every refused write leaves the ledger file
 * byte for byte as it was. */
#define _GNU_SOURCE
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#define ORIGIN "corridor.example/parties"

struct world {
	char *dir;
	char path[1024];
	struct corridor_ledger *l;
	struct corridor_signer *op, *gaz, *cnp, *aud;
};

static void reg(struct world *w, struct corridor_signer *s, const char *cc, unsigned roles)
{
	struct corridor_diag d;
	uint64_t seq;
	struct corridor_party_request r = { .id = corridor_signer_vkey(s)->name,
					    .name = corridor_signer_vkey(s)->name,
					    .country = cc,
					    .roles = roles,
					    .key = *corridor_signer_vkey(s) };
	ck_assert_msg(corridor_party_register(w->l, w->op, &r, NULL, &seq, &d) == 0, "%s", d.text);
}

static void world_open(struct world *w)
{
	struct corridor_diag d;
	w->dir = tmpdir_new();
	snprintf(w->path, sizeof w->path, "%s/L", w->dir);
	w->op = test_signer(ORIGIN, 1);
	w->gaz = test_signer("RU-GAZ", 2);
	w->cnp = test_signer("CN-PIPE", 3);
	w->aud = test_signer("AUDIT-1", 4);
	ck_assert_int_eq(corridor_ledger_create(w->path, w->op, &w->l, &d), 0);
	reg(w, w->gaz, "RU", CORRIDOR_ROLE_SELLER);
	reg(w, w->cnp, "CN", CORRIDOR_ROLE_BUYER | CORRIDOR_ROLE_METER);
	reg(w, w->aud, "MN", CORRIDOR_ROLE_AUDITOR);
}

static void world_close(struct world *w)
{
	corridor_ledger_close(w->l);
	corridor_signer_free(w->op);
	corridor_signer_free(w->gaz);
	corridor_signer_free(w->cnp);
	corridor_signer_free(w->aud);
	rm_rf(w->dir);
	free(w->dir);
}

static void file_hash(const char *dir, uint8_t out[32])
{
	size_t len;
	uint8_t *b = slurp(path_join(dir, "data.mdb"), &len);
	ck_assert_ptr_nonnull(b);
	crypto_hash_sha256(out, b, len);
	free(b);
}

/* The call must fail with `code` and change nothing: head and file bytes. */
#define REFUSED(w, call, code)                                                               \
	do {                                                                                 \
		struct corridor_head b_, a_;                                                 \
		uint8_t fb_[32], fa_[32];                                                    \
		ck_assert_int_eq(corridor_ledger_head((w)->l, &b_), 0);                      \
		file_hash((w)->path, fb_);                                                   \
		int rc_ = (call);                                                            \
		ck_assert_msg(rc_ == (code), "%s: got %d, want %d (%s)", #call, rc_, (code), \
			      d.text);                                                       \
		ck_assert_int_eq(corridor_ledger_head((w)->l, &a_), 0);                      \
		ck_assert_uint_eq(a_.size, b_.size);                                         \
		ck_assert(memcmp(a_.root, b_.root, 32) == 0);                                \
		file_hash((w)->path, fa_);                                                   \
		ck_assert_msg(memcmp(fa_, fb_, 32) == 0, "%s changed the ledger file", #call);\
	} while (0)

static int memo(struct world *w, struct corridor_signer *s, const char *text, const char *idem,
		uint64_t *seq, struct corridor_diag *d)
{
	return corridor_memo_add(w->l, s, text, strlen(text), idem, seq, d);
}

static void verify_ok(struct world *w)
{
	struct corridor_diag d;
	corridor_diag_init(&d);
	ck_assert_msg(corridor_ledger_verify(w->l, NULL, NULL, &d) == 0, "%s", d.text);
}

START_TEST(registration_rules)
{
	struct world w;
	struct corridor_diag d;
	uint64_t seq;
	world_open(&w);
	struct corridor_signer *x = test_signer("MN-GRID", 5), *stranger = test_signer("STRANGER", 6);
	struct corridor_party_request r = { .id = "MN-GRID", .name = "Mongolian grid",
					    .country = "MN", .roles = CORRIDOR_ROLE_BUYER,
					    .key = *corridor_signer_vkey(x) };
	/* A non-operator may not register a party. */
	REFUSED(&w, corridor_party_register(w.l, w.gaz, &r, NULL, &seq, &d), CORRIDOR_E_REFUSED);
	/* An unregistered key may not write at all. */
	REFUSED(&w, memo(&w, stranger, "hi", NULL, &seq, &d), CORRIDOR_E_KEY);
	/* Invalid fields are refused before anything is written. */
	struct corridor_party_request bad = r;
	bad.country = "XX";
	REFUSED(&w, corridor_party_register(w.l, w.op, &bad, NULL, &seq, &d), CORRIDOR_E_INVALID);
	bad = r;
	bad.id = "mn-grid";
	REFUSED(&w, corridor_party_register(w.l, w.op, &bad, NULL, &seq, &d), CORRIDOR_E_INVALID);
	bad = r;
	const char *ibans[1] = { "DE89370400440532013001" }; /* wrong check digits */
	bad.ibans = ibans;
	bad.iban_count = 1;
	REFUSED(&w, corridor_party_register(w.l, w.op, &bad, NULL, &seq, &d), CORRIDOR_E_INVALID);
	bad = r;
	bad.key = *corridor_signer_vkey(stranger); /* named otherwise */
	REFUSED(&w, corridor_party_register(w.l, w.op, &bad, NULL, &seq, &d), CORRIDOR_E_INVALID);
	/* Registered once; a second time is refused. */
	const char *good_ibans[1] = { "DE89370400440532013000" };
	r.ibans = good_ibans;
	r.iban_count = 1;
	ck_assert_int_eq(corridor_party_register(w.l, w.op, &r, NULL, &seq, &d), 0);
	/* The same registration again is a retry: its seq, nothing written. */
	struct corridor_head before, after;
	uint64_t again;
	ck_assert_int_eq(corridor_ledger_head(w.l, &before), 0);
	ck_assert_int_eq(corridor_party_register(w.l, w.op, &r, NULL, &again, &d), 0);
	ck_assert_uint_eq(again, seq);
	ck_assert_int_eq(corridor_ledger_head(w.l, &after), 0);
	ck_assert_uint_eq(after.size, before.size);
	/* Another registration of the same id is refused by the rules. */
	struct corridor_party_request other = r;
	other.name = "Mongolian grid, again";
	REFUSED(&w, corridor_party_register(w.l, w.op, &other, NULL, &again, &d), CORRIDOR_E_REFUSED);
	/* Its key is valid from the next seq on, and shows so. */
	struct corridor_party p;
	ck_assert_int_eq(corridor_party_get(w.l, "MN-GRID", &p, &d), 0);
	ck_assert_str_eq(p.name, "Mongolian grid");
	ck_assert_str_eq(p.country, "MN");
	ck_assert_uint_eq(p.roles, CORRIDOR_ROLE_BUYER);
	ck_assert_uint_eq(p.iban_count, 1);
	ck_assert_uint_eq(p.key_count, 1);
	ck_assert_uint_eq(p.keys[0].valid_from, seq + 1);
	ck_assert_uint_eq(p.keys[0].valid_until, UINT64_MAX);
	ck_assert_int_eq(memo(&w, x, "hello", NULL, &seq, &d), 0);
	verify_ok(&w);
	corridor_signer_free(x);
	corridor_signer_free(stranger);
	world_close(&w);
}
END_TEST

START_TEST(rotation_and_revocation)
{
	struct world w;
	struct corridor_diag d;
	uint64_t seq, rot;
	world_open(&w);
	struct corridor_signer *gaz2 = test_signer("RU-GAZ", 20);
	ck_assert_int_eq(corridor_key_rotate(w.l, w.gaz, corridor_signer_vkey(gaz2)->public_key, NULL,
					     &rot, &d), 0);
	/* The rotated key is used after the rotation: refused. The new one works. */
	REFUSED(&w, memo(&w, w.gaz, "old key", NULL, &seq, &d), CORRIDOR_E_KEY);
	ck_assert_int_eq(memo(&w, gaz2, "new key", NULL, &seq, &d), 0);
	/* The same rotation again is a retry (its seq), whichever key signs it. */
	ck_assert_int_eq(corridor_key_rotate(w.l, gaz2, corridor_signer_vkey(gaz2)->public_key, NULL,
					     &seq, &d), 0);
	ck_assert_uint_eq(seq, rot);
	/* A key is never reused: not by its party, not by another. */
	REFUSED(&w, corridor_key_rotate(w.l, gaz2, corridor_signer_vkey(gaz2)->public_key,
					"again", &seq, &d), CORRIDOR_E_REFUSED);
	REFUSED(&w, corridor_key_rotate(w.l, w.cnp, corridor_signer_vkey(gaz2)->public_key, NULL,
					&seq, &d), CORRIDOR_E_REFUSED);
	/* Another party may not revoke RU-GAZ's key; the operator may. */
	uint32_t kid = corridor_signer_vkey(gaz2)->key_id;
	REFUSED(&w, corridor_key_revoke(w.l, w.cnp, "RU-GAZ", kid, NULL, NULL, &seq, &d),
		CORRIDOR_E_REFUSED);
	ck_assert_int_eq(memo(&w, gaz2, "before revocation", NULL, &seq, &d), 0);
	uint64_t rev;
	ck_assert_int_eq(corridor_key_revoke(w.l, w.op, "RU-GAZ", kid, "compromised", NULL, &rev, &d), 0);
	REFUSED(&w, memo(&w, gaz2, "after revocation", NULL, &seq, &d), CORRIDOR_E_KEY);
	/* Revoking it again, or a key it never had: refused. */
	REFUSED(&w, corridor_key_revoke(w.l, w.op, "RU-GAZ", kid, NULL, NULL, &seq, &d),
		CORRIDOR_E_REFUSED);
	REFUSED(&w, corridor_key_revoke(w.l, w.op, "RU-GAZ", 0x12345678u, NULL, NULL, &seq, &d),
		CORRIDOR_E_REFUSED);
	/* The lost key replaced by the operator. */
	struct corridor_signer *gaz3 = test_signer("RU-GAZ", 30);
	ck_assert_int_eq(corridor_key_add(w.l, w.op, "RU-GAZ", corridor_signer_vkey(gaz3), NULL, &seq,
					  &d), 0);
	ck_assert_int_eq(memo(&w, gaz3, "replacement", NULL, &seq, &d), 0);
	/* Only the operator adds keys; a party cannot add one for another. */
	struct corridor_signer *gaz4 = test_signer("RU-GAZ", 40);
	REFUSED(&w, corridor_key_add(w.l, w.cnp, "RU-GAZ", corridor_signer_vkey(gaz4), NULL, &seq, &d),
		CORRIDOR_E_REFUSED);
	/* A party revokes its own (current) key. */
	ck_assert_int_eq(corridor_key_revoke(w.l, gaz3, "RU-GAZ", corridor_signer_vkey(gaz3)->key_id,
					     "leaving", NULL, &seq, &d), 0);
	REFUSED(&w, memo(&w, gaz3, "gone", NULL, &seq, &d), CORRIDOR_E_KEY);
	/* Validity as DESIGN 3.4 states it. */
	struct corridor_party p;
	ck_assert_int_eq(corridor_party_get(w.l, "RU-GAZ", &p, &d), 0);
	ck_assert_uint_eq(p.key_count, 3);
	ck_assert_uint_eq(p.keys[0].valid_until, rot);     /* rotated at r: valid <= r */
	ck_assert_uint_eq(p.keys[1].valid_from, rot + 1);  /* introduced at r: valid > r */
	ck_assert_uint_eq(p.keys[1].valid_until, rev - 1); /* revoked at v: invalid >= v */
	verify_ok(&w);
	corridor_signer_free(gaz2);
	corridor_signer_free(gaz3);
	corridor_signer_free(gaz4);
	world_close(&w);
}
END_TEST

START_TEST(operator_rotation)
{
	struct world w;
	struct corridor_diag d;
	uint64_t seq, size;
	world_open(&w);
	struct corridor_signer *op2 = test_signer(ORIGIN, 50);
	ck_assert_int_eq(corridor_key_rotate(w.l, w.op, corridor_signer_vkey(op2)->public_key, NULL,
					     &seq, &d), 0);
	/* The old key signs neither entries nor checkpoints any more. */
	REFUSED(&w, memo(&w, w.op, "old", NULL, &seq, &d), CORRIDOR_E_KEY);
	REFUSED(&w, corridor_checkpoint_sign(w.l, w.op, &size, &d), CORRIDOR_E_KEY);
	ck_assert_int_eq(corridor_checkpoint_sign(w.l, op2, &size, &d), 0);
	ck_assert_int_eq(memo(&w, op2, "new", NULL, &seq, &d), 0);
	/* The operator's current key cannot be revoked. */
	REFUSED(&w, corridor_key_revoke(w.l, op2, ORIGIN, corridor_signer_vkey(op2)->key_id, NULL,
					NULL, &seq, &d), CORRIDOR_E_REFUSED);
	/* The latest checkpoint verifies with the new key, not the old one. */
	char *note;
	size_t len;
	struct corridor_note parsed;
	ck_assert_int_eq(corridor_checkpoint_get(w.l, 0, &note, &len, &d), 0);
	ck_assert_int_eq(corridor_note_open(note, len, corridor_signer_vkey(op2), 1, &parsed), 0);
	ck_assert_int_eq(corridor_note_open(note, len, corridor_signer_vkey(w.op), 1, &parsed),
			 CORRIDOR_E_KEY);
	free(note);
	verify_ok(&w);
	/* An archive verifies from either operator key: the log links them. */
	const char *arc = path_join(w.dir, "a.arc");
	ck_assert_int_eq(corridor_archive_export(w.l, 0, arc, &d), 0);
	ck_assert_int_eq(corridor_archive_verify(arc, corridor_signer_vkey(w.op), NULL, NULL, &d), 0);
	ck_assert_int_eq(corridor_archive_verify(arc, corridor_signer_vkey(op2), NULL, NULL, &d), 0);
	ck_assert_int_eq(corridor_archive_verify(arc, corridor_signer_vkey(w.gaz), NULL, NULL, &d),
			 CORRIDOR_E_KEY);
	/* The operator key chain: from the old key to the new one, checked
	 * against the checkpoint's tree; tampering or another start refused. */
	char *doc, *cpn;
	size_t dlen, cplen;
	FILE *m = open_memstream(&doc, &dlen);
	ck_assert_int_eq(corridor_prove_operator_keys(w.l, 0, m, &d), 0);
	fclose(m);
	ck_assert_int_eq(corridor_checkpoint_get(w.l, 0, &cpn, &cplen, &d), 0);
	struct corridor_checkpoint cp;
	ck_assert_int_eq(corridor_note_parse(cpn, cplen, &parsed), 0);
	ck_assert_int_eq(corridor_checkpoint_parse(cpn, parsed.text_len, &cp), 0);
	struct corridor_vkey keys[CORRIDOR_CHAIN_LINKS_MAX];
	size_t nkeys;
	ck_assert_int_eq(corridor_operator_chain_follow(doc, dlen, corridor_signer_vkey(w.op), cp.size,
							cp.root, keys, CORRIDOR_CHAIN_LINKS_MAX,
							&nkeys, &d), 0);
	ck_assert_uint_eq(nkeys, 2);
	ck_assert(memcmp(keys[1].public_key, corridor_signer_vkey(op2)->public_key, 32) == 0);
	ck_assert_int_eq(corridor_note_open(cpn, cplen, keys, nkeys, &parsed), 0);
	ck_assert_int_ne(corridor_operator_chain_follow(doc, dlen, corridor_signer_vkey(w.gaz), cp.size,
							cp.root, keys, CORRIDOR_CHAIN_LINKS_MAX,
							&nkeys, &d), 0);
	char *e = strstr(doc, "entry ") + 40;
	*e = *e == 'A' ? 'B' : 'A';
	ck_assert_int_ne(corridor_operator_chain_follow(doc, dlen, corridor_signer_vkey(w.op), cp.size,
							cp.root, keys, CORRIDOR_CHAIN_LINKS_MAX,
							&nkeys, &d), 0);
	free(doc);
	free(cpn);
	corridor_signer_free(op2);
	world_close(&w);
}
END_TEST

START_TEST(attestations)
{
	struct world w;
	struct corridor_diag d;
	uint64_t seq, target;
	world_open(&w);
	ck_assert_int_eq(memo(&w, w.gaz, "delivered 100 MWh", NULL, &target, &d), 0);
	uint8_t wrong[32];
	memset(wrong, 7, 32);
	REFUSED(&w, corridor_attest(w.l, w.cnp, target, wrong, NULL, NULL, &seq, &d),
		CORRIDOR_E_REFUSED);
	REFUSED(&w, corridor_attest(w.l, w.cnp, 999, NULL, NULL, NULL, &seq, &d), CORRIDOR_E_REFUSED);
	ck_assert_int_eq(corridor_attest(w.l, w.cnp, target, NULL, "agreed", NULL, &seq, &d), 0);
	/* The attest entry names the seq and the content hash prev-style. */
	uint8_t *b;
	size_t len;
	struct corridor_entry e, t;
	uint64_t named;
	ck_assert_int_eq(corridor_ledger_entry(w.l, seq, &b, &len), 0);
	ck_assert_int_eq(corridor_entry_decode(b, len, &e, NULL), 0);
	ck_assert_str_eq(e.kind, "attest");
	ck_assert_int_eq(corridor_msgpack_map_uint(e.body, e.body_len, "seq", &named), 0);
	ck_assert_uint_eq(named, target);
	uint8_t *tb;
	size_t tlen;
	ck_assert_int_eq(corridor_ledger_entry(w.l, target, &tb, &tlen), 0);
	ck_assert_int_eq(corridor_entry_decode(tb, tlen, &t, NULL), 0);
	uint8_t want[32];
	corridor_entry_content_hash(tb, &t, want);
	/* and the next entry's prev would be this same hash */
	uint8_t *nb;
	size_t nlen;
	struct corridor_entry n;
	ck_assert_int_eq(corridor_ledger_entry(w.l, target + 1, &nb, &nlen), 0);
	ck_assert_int_eq(corridor_entry_decode(nb, nlen, &n, NULL), 0);
	ck_assert(memcmp(n.prev, want, 32) == 0);
	ck_assert_int_eq(corridor_attest(w.l, w.aud, target, want, NULL, NULL, &seq, &d), 0);
	verify_ok(&w);
	free(b);
	free(tb);
	free(nb);
	world_close(&w);
}
END_TEST

START_TEST(idempotency)
{
	struct world w;
	struct corridor_diag d;
	uint64_t a, b;
	world_open(&w);
	ck_assert_int_eq(memo(&w, w.gaz, "nomination 42", "NOM-42", &a, &d), 0);
	/* Same key, same body: the existing seq, nothing written. */
	struct corridor_head h1, h2;
	ck_assert_int_eq(corridor_ledger_head(w.l, &h1), 0);
	ck_assert_int_eq(memo(&w, w.gaz, "nomination 42", "NOM-42", &b, &d), 0);
	ck_assert_uint_eq(b, a);
	ck_assert_int_eq(corridor_ledger_head(w.l, &h2), 0);
	ck_assert_uint_eq(h1.size, h2.size);
	/* Same key, another body: refused (409 over HTTP). */
	REFUSED(&w, memo(&w, w.gaz, "nomination 43", "NOM-42", &b, &d), CORRIDOR_E_EXISTS);
	/* The key is scoped per author and kind. */
	ck_assert_int_eq(memo(&w, w.cnp, "nomination 42", "NOM-42", &b, &d), 0);
	ck_assert_uint_ne(b, a);
	ck_assert_int_eq(corridor_attest(w.l, w.gaz, a, NULL, NULL, "NOM-42", &b, &d), 0);
	/* Too long a key is refused. */
	char longkey[200];
	memset(longkey, 'k', sizeof longkey - 1);
	longkey[sizeof longkey - 1] = 0;
	REFUSED(&w, memo(&w, w.gaz, "x", longkey, &b, &d), CORRIDOR_E_INVALID);
	verify_ok(&w);
	world_close(&w);
}
END_TEST

START_TEST(idempotency_concurrent_retries)
{
	struct world w;
	struct corridor_diag d;
	world_open(&w);
	corridor_ledger_close(w.l);
	enum { RACERS = 4 };
	pid_t pids[RACERS];
	for (int i = 0; i < RACERS; i++) {
		pids[i] = fork();
		ck_assert(pids[i] >= 0);
		if (pids[i] == 0) {
			struct corridor_ledger *l;
			uint64_t seq;
			if (corridor_ledger_open(w.path, 0, &l, NULL) != 0)
				_exit(3);
			int err = corridor_memo_add(l, w.gaz, "once only", 9, "RETRY-1", &seq, NULL);
			corridor_ledger_close(l);
			_exit(err == 0 ? 0 : 4);
		}
	}
	for (int i = 0; i < RACERS; i++) {
		int st;
		ck_assert_int_eq(waitpid(pids[i], &st, 0), pids[i]);
		ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	ck_assert_int_eq(corridor_ledger_open(w.path, 0, &w.l, &d), 0);
	struct corridor_head h;
	ck_assert_int_eq(corridor_ledger_head(w.l, &h), 0);
	ck_assert_uint_eq(h.size, 5); /* genesis, three parties, exactly one memo */
	verify_ok(&w);
	world_close(&w);
}
END_TEST

START_TEST(cosignatures_follow_c2sp)
{
	struct world w;
	struct corridor_diag d;
	uint64_t seq, size;
	world_open(&w);
	REFUSED(&w, corridor_checkpoint_cosign(w.l, w.gaz, 0, &size, &d), CORRIDOR_E_REFUSED);
	ck_assert_int_eq(corridor_checkpoint_cosign(w.l, w.aud, 0, &size, &d), 0);
	char *note;
	size_t len;
	ck_assert_int_eq(corridor_checkpoint_get(w.l, size, &note, &len, &d), 0);
	/* Check the cosignature independently of our own verifier: the key id,
	 * the timestamped_signature layout and the signed message of the spec. */
	struct corridor_note parsed;
	ck_assert_int_eq(corridor_note_parse(note, len, &parsed), 0);
	ck_assert_uint_eq(parsed.sig_count, 2);
	const struct corridor_note_sig *s = &parsed.sigs[1];
	ck_assert_uint_eq(s->name_len, 7);
	ck_assert(memcmp(note + s->name_off, "AUDIT-1", 7) == 0);
	const struct corridor_vkey *av = corridor_signer_vkey(w.aud);
	uint8_t idin[7 + 2 + 32], h[32];
	memcpy(idin, "AUDIT-1\n\x04", 9);
	memcpy(idin + 9, av->public_key, 32);
	crypto_hash_sha256(h, idin, sizeof idin);
	ck_assert_uint_eq(s->key_id, (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 |
					     (uint32_t)h[2] << 8 | h[3]);
	ck_assert_uint_eq(s->sig_len, 72);
	uint64_t t = 0;
	for (int i = 0; i < 8; i++)
		t = t << 8 | s->sig[i];
	char msg[1024];
	int mlen = snprintf(msg, sizeof msg, "cosignature/v1\ntime %llu\n%.*s", (unsigned long long)t,
			    (int)parsed.text_len, note);
	ck_assert_int_eq(crypto_sign_verify_detached(s->sig + 8, (const uint8_t *)msg,
						     (unsigned long long)mlen, av->public_key), 0);
	free(note);
	verify_ok(&w);
	/* Cosigning again later: consistent, allowed; an older size: refused. */
	ck_assert_int_eq(memo(&w, w.gaz, "more", NULL, &seq, &d), 0);
	ck_assert_int_eq(corridor_checkpoint_sign(w.l, w.op, &seq, &d), 0);
	uint64_t size2;
	ck_assert_int_eq(corridor_checkpoint_cosign(w.l, w.aud, 0, &size2, &d), 0);
	ck_assert_uint_gt(size2, size);
	REFUSED(&w, corridor_checkpoint_cosign(w.l, w.aud, size - 1, &seq, &d), CORRIDOR_E_REFUSED);
	verify_ok(&w);
	/* Archives carry the cosignatures, and their verification checks them. */
	const char *arc = path_join(w.dir, "c.arc");
	ck_assert_int_eq(corridor_archive_export(w.l, 0, arc, &d), 0);
	size_t alen;
	uint8_t *ab = slurp(arc, &alen);
	ck_assert_ptr_nonnull(memmem(ab, alen, "\xe2\x80\x94 AUDIT-1 ", 11));
	ck_assert_int_eq(corridor_archive_verify(arc, corridor_signer_vkey(w.op), NULL, NULL, &d), 0);
	/* A cosignature line tampered inside the archive is caught. */
	uint8_t *cl = memmem(ab, alen, "\xe2\x80\x94 AUDIT-1 ", 11);
	cl[20] = cl[20] == 'A' ? 'B' : 'A';
	ck_assert(spit(arc, ab, alen));
	ck_assert_int_ne(corridor_archive_verify(arc, corridor_signer_vkey(w.op), NULL, NULL, &d), 0);
	free(ab);
	world_close(&w);
}
END_TEST

Suite *suite_parties(void)
{
	Suite *s = suite_create("parties");
	TCase *tc = tcase_create("roles-and-keys");
	tcase_add_test(tc, registration_rules);
	tcase_add_test(tc, rotation_and_revocation);
	tcase_add_test(tc, operator_rotation);
	tcase_add_test(tc, attestations);
	tcase_add_test(tc, idempotency);
	tcase_add_test(tc, idempotency_concurrent_retries);
	tcase_add_test(tc, cosignatures_follow_c2sp);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}
