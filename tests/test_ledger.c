/* test_ledger.c — the ledger through its API: appends, tampering anywhere,
 * archives, replicas, map growth, concurrent writers. A real LMDB in a temp dir. */
#include <lmdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#define ORIGIN "corridor.example/test"

struct fixture {
	char *dir;
	struct corridor_signer *op;
	struct corridor_ledger *l;
};

static void fx_open(struct fixture *f, size_t memos)
{
	struct corridor_diag d;
	f->dir = tmpdir_new();
	f->op = test_signer(ORIGIN, 1);
	ck_assert_int_eq(corridor_ledger_create(path_join(f->dir, "L"), f->op, &f->l, &d), 0);
	for (size_t i = 0; i < memos; i++) {
		char text[64];
		snprintf(text, sizeof text, "memo number %zu", i);
		const char *t = text;
		size_t n = strlen(text);
		ck_assert_int_eq(corridor_memo_append(f->l, f->op, &t, &n, 1, 1, NULL, NULL, &d), 0);
	}
}

static void fx_close(struct fixture *f)
{
	corridor_ledger_close(f->l);
	corridor_signer_free(f->op);
	rm_rf(f->dir);
	free(f->dir);
}

static int verify(struct corridor_ledger *l, struct corridor_diag *d)
{
	corridor_diag_init(d);
	return corridor_ledger_verify(l, NULL, NULL, d);
}

/* Raw LMDB access, as an attacker with write access to the files would have. */
static void raw_edit(const char *dir, const char *db, const void *key, size_t klen,
		     const void *val, size_t vlen, bool del)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	ck_assert_int_eq(mdb_env_create(&env), 0);
	mdb_env_set_maxdbs(env, 8);
	ck_assert_int_eq(mdb_env_open(env, dir, 0, 0600), 0);
	ck_assert_int_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
	ck_assert_int_eq(mdb_dbi_open(txn, db, 0, &dbi), 0);
	MDB_val k = { .mv_size = klen, .mv_data = (void *)(uintptr_t)key };
	MDB_val v = { .mv_size = vlen, .mv_data = (void *)(uintptr_t)val };
	ck_assert_int_eq(del ? mdb_del(txn, dbi, &k, NULL) : mdb_put(txn, dbi, &k, &v, 0), 0);
	ck_assert_int_eq(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

static void seq_key(uint64_t seq, uint8_t k[8])
{
	for (int i = 7; i >= 0; i--) {
		k[i] = (uint8_t)seq;
		seq >>= 8;
	}
}

START_TEST(append_and_verify)
{
	struct fixture f;
	struct corridor_diag d;
	struct corridor_head h;
	fx_open(&f, 5);
	ck_assert_int_eq(corridor_ledger_head(f.l, &h), 0);
	ck_assert_uint_eq(h.size, 6);
	ck_assert_int_eq(verify(f.l, &d), 0);
	/* Operator writes sign the new head in the same transaction. */
	char *note;
	size_t len;
	ck_assert_int_eq(corridor_checkpoint_get(f.l, 0, &note, &len, &d), 0);
	struct corridor_note parsed;
	struct corridor_checkpoint cp;
	ck_assert_int_eq(corridor_note_open(note, len, corridor_signer_vkey(f.op), 1, &parsed), 0);
	ck_assert_int_eq(corridor_checkpoint_parse(note, parsed.text_len, &cp), 0);
	ck_assert_uint_eq(cp.size, 6);
	ck_assert(memcmp(cp.root, h.root, 32) == 0);
	free(note);
	/* Refuses to initialise over it; other keys cannot write. */
	struct corridor_ledger *again;
	ck_assert_int_eq(corridor_ledger_create(path_join(f.dir, "L"), f.op, &again, &d),
			 CORRIDOR_E_EXISTS);
	struct corridor_signer *stranger = test_signer("STRANGER", 9);
	const char *t = "hello";
	size_t n = 5;
	ck_assert_int_eq(corridor_memo_append(f.l, stranger, &t, &n, 1, 1, NULL, NULL, &d),
			 CORRIDOR_E_KEY);
	/* A key with the operator's name but another secret is refused too. */
	struct corridor_signer *imposter = test_signer(ORIGIN, 77);
	ck_assert_int_eq(corridor_memo_append(f.l, imposter, &t, &n, 1, 1, NULL, NULL, &d),
			 CORRIDOR_E_KEY);
	struct corridor_head after;
	ck_assert_int_eq(corridor_ledger_head(f.l, &after), 0);
	ck_assert_uint_eq(after.size, h.size);
	ck_assert(memcmp(after.root, h.root, 32) == 0);
	corridor_signer_free(stranger);
	corridor_signer_free(imposter);
	fx_close(&f);
}
END_TEST

START_TEST(bad_batch_writes_nothing)
{
	struct fixture f;
	struct corridor_diag d;
	struct corridor_head before, after;
	fx_open(&f, 1);
	ck_assert_int_eq(corridor_ledger_head(f.l, &before), 0);
	const char *texts[3] = { "fine", "also fine", "bad\x01" };
	size_t lens[3] = { 4, 9, 4 };
	ck_assert_int_eq(corridor_memo_append(f.l, f.op, texts, lens, 3, 1, NULL, NULL, &d),
			 CORRIDOR_E_INVALID);
	ck_assert(strstr(d.text, "memo 3") != NULL);
	ck_assert_int_eq(corridor_ledger_head(f.l, &after), 0);
	ck_assert_uint_eq(after.size, before.size);
	ck_assert(memcmp(after.root, before.root, 32) == 0);
	fx_close(&f);
}
END_TEST

START_TEST(every_byte_of_an_entry_is_protected)
{
	struct fixture f;
	struct corridor_diag d;
	fx_open(&f, 4);
	uint8_t *orig;
	size_t len;
	ck_assert_int_eq(corridor_ledger_entry(f.l, 2, &orig, &len), 0);
	corridor_ledger_close(f.l);
	uint8_t key[8], *m = malloc(len);
	seq_key(2, key);
	for (size_t i = 0; i < len; i++) {
		memcpy(m, orig, len);
		m[i] ^= 0x01;
		raw_edit(path_join(f.dir, "L"), "entries", key, 8, m, len, false);
		ck_assert_int_eq(corridor_ledger_open(path_join(f.dir, "L"), 0, &f.l, &d), 0);
		ck_assert_msg(verify(f.l, &d) == CORRIDOR_E_VERIFY, "byte %zu not detected", i);
		ck_assert_msg(d.has_seq && d.seq == 2, "byte %zu: %s", i, d.text);
		corridor_ledger_close(f.l);
	}
	raw_edit(path_join(f.dir, "L"), "entries", key, 8, orig, len, false);
	ck_assert_int_eq(corridor_ledger_open(path_join(f.dir, "L"), 0, &f.l, &d), 0);
	ck_assert_int_eq(verify(f.l, &d), 0);
	free(m);
	free(orig);
	fx_close(&f);
}
END_TEST

START_TEST(derived_state_is_checked)
{
	struct fixture f;
	struct corridor_diag d;
	fx_open(&f, 6);
	const char *dir = path_join(f.dir, "L");
	char dirc[1024];
	snprintf(dirc, sizeof dirc, "%s", dir);
	corridor_ledger_close(f.l);
	/* A Merkle node changed. */
	uint8_t nk[9] = { 0, 0, 0, 0, 0, 0, 0, 3, 1 }, bad[32]; /* level 1, index 1 */
	memset(bad, 0x11, 32);
	raw_edit(dirc, "nodes", nk, 9, bad, 32, false);
	ck_assert_int_eq(corridor_ledger_open(dirc, 0, &f.l, &d), 0);
	ck_assert_int_eq(verify(f.l, &d), CORRIDOR_E_VERIFY);
	ck_assert(strstr(d.text, "Merkle") != NULL);
	corridor_ledger_close(f.l);
	fx_close(&(struct fixture){ .dir = f.dir, .op = f.op, .l = NULL });

	/* An entry deleted: the seq is no longer dense. */
	fx_open(&f, 4);
	snprintf(dirc, sizeof dirc, "%s", path_join(f.dir, "L"));
	corridor_ledger_close(f.l);
	uint8_t key[8];
	seq_key(3, key);
	raw_edit(dirc, "entries", key, 8, NULL, 0, true);
	ck_assert_int_eq(corridor_ledger_open(dirc, 0, &f.l, &d), 0);
	ck_assert_int_eq(verify(f.l, &d), CORRIDOR_E_VERIFY);
	ck_assert(d.has_seq && d.seq == 3);
	corridor_ledger_close(f.l);
	fx_close(&(struct fixture){ .dir = f.dir, .op = f.op, .l = NULL });

	/* A stored checkpoint changed. */
	fx_open(&f, 2);
	snprintf(dirc, sizeof dirc, "%s", path_join(f.dir, "L"));
	char *note;
	size_t len;
	ck_assert_int_eq(corridor_checkpoint_get(f.l, 3, &note, &len, &d), 0);
	corridor_ledger_close(f.l);
	note[len - 5] = note[len - 5] == 'A' ? 'B' : 'A';
	seq_key(3, key);
	raw_edit(dirc, "checkpoints", key, 8, note, len, false);
	free(note);
	ck_assert_int_eq(corridor_ledger_open(dirc, 0, &f.l, &d), 0);
	ck_assert_int_eq(verify(f.l, &d), CORRIDOR_E_VERIFY);
	ck_assert_msg(strstr(d.text, "checkpoint 3") != NULL, "%s", d.text);
	fx_close(&f);
}
END_TEST

static const char *export(struct fixture *f, const char *name, uint64_t from)
{
	struct corridor_diag d;
	const char *p = path_join(f->dir, name);
	ck_assert_int_eq(corridor_archive_export(f->l, from, p, &d), 0);
	return p;
}

START_TEST(archive_every_byte_and_truncation)
{
	struct fixture f;
	struct corridor_diag d;
	fx_open(&f, 3);
	char arc[1024], mod[1024];
	snprintf(arc, sizeof arc, "%s", export(&f, "a.arc", 0));
	snprintf(mod, sizeof mod, "%s", path_join(f.dir, "m.arc"));
	const struct corridor_vkey *vk = corridor_signer_vkey(f.op);
	ck_assert_int_eq(corridor_archive_verify(arc, vk, NULL, NULL, &d), 0);
	size_t len;
	uint8_t *orig = slurp(arc, &len), *m = malloc(len);
	for (size_t i = 0; i < len; i++) {
		memcpy(m, orig, len);
		m[i] ^= 0x20;
		ck_assert(spit(mod, m, len));
		ck_assert_msg(corridor_archive_verify(mod, vk, NULL, NULL, &d) != 0,
			      "byte %zu of the archive not detected", i);
	}
	for (size_t i = 0; i < len; i++) {
		ck_assert(spit(mod, orig, i));
		ck_assert_msg(corridor_archive_verify(mod, vk, NULL, NULL, &d) != 0,
			      "truncation at %zu not detected", i);
	}
	/* The wrong key for the vkey. */
	struct corridor_signer *other = test_signer(ORIGIN, 42);
	ck_assert_int_eq(corridor_archive_verify(arc, corridor_signer_vkey(other), NULL, NULL, &d),
			 CORRIDOR_E_KEY);
	corridor_signer_free(other);
	free(m);
	free(orig);
	fx_close(&f);
}
END_TEST

START_TEST(archive_names_the_bad_seq)
{
	struct fixture f;
	struct corridor_diag d;
	fx_open(&f, 3);
	const char *arc = export(&f, "a.arc", 0);
	size_t len;
	uint8_t *b = slurp(arc, &len);
	/* The last entry is the last bytes: its memo text sits just before the sig. */
	b[len - 64 - 3 - 2] ^= 0x01;
	ck_assert(spit(arc, b, len));
	ck_assert_int_eq(corridor_archive_verify(arc, corridor_signer_vkey(f.op), NULL, NULL, &d),
			 CORRIDOR_E_VERIFY);
	ck_assert(d.has_seq && d.seq == 3);
	free(b);
	fx_close(&f);
}
END_TEST

START_TEST(replica_from_archives)
{
	struct fixture f;
	struct corridor_diag d;
	fx_open(&f, 3);
	char rep[1024];
	snprintf(rep, sizeof rep, "%s", path_join(f.dir, "R"));
	uint64_t size;
	ck_assert_int_eq(corridor_archive_import(rep, export(&f, "a.arc", 0), NULL, &size, &d), 0);
	ck_assert_uint_eq(size, 4);
	const char *t = "more";
	size_t n = 4;
	ck_assert_int_eq(corridor_memo_append(f.l, f.op, &t, &n, 1, 1, NULL, NULL, &d), 0);
	ck_assert_int_eq(corridor_memo_append(f.l, f.op, &t, &n, 1, 1, NULL, NULL, &d), 0);
	/* A later archive extends it; a repeated or overlapping one is refused. */
	const char *b = export(&f, "b.arc", 4);
	ck_assert_int_eq(corridor_archive_import(rep, b, corridor_signer_vkey(f.op), &size, &d), 0);
	ck_assert_uint_eq(size, 6);
	ck_assert_int_eq(corridor_archive_import(rep, b, NULL, &size, &d), CORRIDOR_E_REFUSED);
	struct corridor_ledger *r;
	ck_assert_int_eq(corridor_ledger_open(rep, 0, &r, &d), 0);
	ck_assert(corridor_ledger_is_replica(r));
	ck_assert_int_eq(verify(r, &d), 0);
	struct corridor_head hr, hl;
	ck_assert_int_eq(corridor_ledger_head(r, &hr), 0);
	ck_assert_int_eq(corridor_ledger_head(f.l, &hl), 0);
	ck_assert(memcmp(hr.root, hl.root, 32) == 0);
	/* A replica refuses local writes and checkpoint signing. */
	ck_assert_int_eq(corridor_memo_append(r, f.op, &t, &n, 1, 1, NULL, NULL, &d),
			 CORRIDOR_E_REPLICA);
	ck_assert_int_eq(corridor_checkpoint_sign(r, f.op, NULL, &d), CORRIDOR_E_REPLICA);
	corridor_ledger_close(r);
	/* A partial archive cannot be verified alone, nor start a replica. */
	ck_assert_int_eq(corridor_archive_verify(b, corridor_signer_vkey(f.op), NULL, NULL, &d),
			 CORRIDOR_E_INVALID);
	ck_assert_int_eq(corridor_archive_import(path_join(f.dir, "R2"), b, NULL, &size, &d),
			 CORRIDOR_E_REFUSED);
	/* Importing into a ledger that is not a replica is refused. */
	ck_assert_int_eq(corridor_archive_import(path_join(f.dir, "L"), b, NULL, &size, &d),
			 CORRIDOR_E_REFUSED);
	fx_close(&f);
}
END_TEST

START_TEST(replica_refuses_a_forked_history)
{
	/* Two ledgers with the same operator key diverge after genesis: the
	 * second's archive cannot extend a replica of the first. */
	struct fixture a, b;
	struct corridor_diag d;
	uint64_t size;
	fx_open(&a, 2);
	fx_open(&b, 0);
	const char *t = "different history";
	size_t n = strlen(t);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(corridor_memo_append(b.l, b.op, &t, &n, 1, 1, NULL, NULL, &d), 0);
	char rep[1024];
	snprintf(rep, sizeof rep, "%s", path_join(a.dir, "R"));
	ck_assert_int_eq(corridor_archive_import(rep, export(&a, "a.arc", 0), NULL, &size, &d), 0);
	ck_assert_int_ne(corridor_archive_import(rep, export(&b, "b.arc", 3), NULL, &size, &d), 0);
	struct corridor_ledger *r;
	ck_assert_int_eq(corridor_ledger_open(rep, 0, &r, &d), 0);
	struct corridor_head h;
	ck_assert_int_eq(corridor_ledger_head(r, &h), 0);
	ck_assert_uint_eq(h.size, 3);
	ck_assert_int_eq(verify(r, &d), 0);
	corridor_ledger_close(r);
	fx_close(&a);
	fx_close(&b);
}
END_TEST

START_TEST(map_grows_when_full)
{
	setenv("CORRIDOR_MAP_BYTES", "131072", 1);
	struct fixture f;
	struct corridor_diag d;
	fx_open(&f, 0);
	unsetenv("CORRIDOR_MAP_BYTES");
	enum { N = 3000 };
	static char texts_buf[N][600];
	const char *texts[N];
	size_t lens[N];
	for (int i = 0; i < N; i++) {
		memset(texts_buf[i], 'a' + i % 26, 599);
		texts_buf[i][599] = 0;
		texts[i] = texts_buf[i];
		lens[i] = 599;
	}
	ck_assert_int_eq(corridor_memo_append(f.l, f.op, texts, lens, N, 1000, NULL, NULL, &d), 0);
	struct corridor_head h;
	ck_assert_int_eq(corridor_ledger_head(f.l, &h), 0);
	ck_assert_uint_eq(h.size, N + 1);
	ck_assert_int_eq(verify(f.l, &d), 0);
	fx_close(&f);
}
END_TEST

/* A reader's view of one batch: the memos [from, from + n) must all come from
 * the same writer's same batch ("wW bB iI"). */
struct batch_check {
	char prefix[24];
	size_t seen;
	bool mixed;
};

static int check_batch_entry(void *vctx, uint64_t seq, const uint8_t *bytes, size_t len)
{
	struct batch_check *c = vctx;
	struct corridor_entry e;
	const char *text;
	size_t n;
	(void)seq;
	if (corridor_entry_decode(bytes, len, &e, NULL) != 0 ||
	    corridor_msgpack_map_str(e.body, e.body_len, "text", &text, &n) != 0) {
		c->mixed = true;
		return 1;
	}
	const char *sp = memchr(text, ' ', n);
	const char *sp2 = sp ? memchr(sp + 1, ' ', n - (size_t)(sp + 1 - text)) : NULL;
	size_t plen = sp2 ? (size_t)(sp2 - text) : 0;
	if (!plen || plen >= sizeof c->prefix) {
		c->mixed = true;
		return 1;
	}
	if (c->seen == 0) {
		memcpy(c->prefix, text, plen);
		c->prefix[plen] = '\0';
	} else if (strlen(c->prefix) != plen || memcmp(c->prefix, text, plen) != 0) {
		c->mixed = true;
	}
	c->seen++;
	return 0;
}

/* Writers in several processes and readers in others: the seq stays dense,
 * no write is lost, and a reader only ever sees whole batches. */
START_TEST(concurrent_writers_keep_seq_dense)
{
	struct fixture f;
	struct corridor_diag d;
	fx_open(&f, 0);
	char dir[1024];
	snprintf(dir, sizeof dir, "%s", path_join(f.dir, "L"));
	corridor_ledger_close(f.l);
	enum { WRITERS = 3, READERS = 2, BATCHES = 40, PER = 10 };
	enum { FINAL = 1 + WRITERS * BATCHES * PER, READS_MAX = 5000000 };
	pid_t pids[WRITERS + READERS];
	for (int w = 0; w < WRITERS + READERS; w++) {
		pids[w] = fork();
		ck_assert(pids[w] >= 0);
		if (pids[w] == 0 && w >= WRITERS) {
			/* Reader: each head it sees is genesis plus whole batches,
			 * never shrinks, and its last batch is one writer's batch. */
			struct corridor_ledger *l;
			if (corridor_ledger_open(dir, CORRIDOR_OPEN_READONLY, &l, NULL) != 0)
				_exit(3);
			uint64_t last = 1;
			for (int r = 0; r < READS_MAX && last < FINAL; r++) {
				struct corridor_head h;
				if (corridor_ledger_head(l, &h) != 0)
					_exit(4);
				if (h.size < last || (h.size - 1) % PER != 0)
					_exit(5); /* went back, or a partial batch */
				if (h.size > 1) {
					struct batch_check c = { .seen = 0 };
					if (corridor_ledger_scan(l, h.size - PER, PER, check_batch_entry,
								 &c) != 0 ||
					    c.mixed || c.seen != PER)
						_exit(6);
				}
				last = h.size;
			}
			corridor_ledger_close(l);
			_exit(last == FINAL ? 0 : 7);
		}
		if (pids[w] == 0) {
			struct corridor_ledger *l;
			if (corridor_ledger_open(dir, 0, &l, NULL) != 0)
				_exit(3);
			for (int b = 0; b < BATCHES; b++) {
				char buf[PER][48];
				const char *t[PER];
				size_t n[PER];
				for (int i = 0; i < PER; i++) {
					snprintf(buf[i], sizeof buf[i], "w%d b%d i%d", w, b, i);
					t[i] = buf[i];
					n[i] = strlen(buf[i]);
				}
				if (corridor_memo_append(l, f.op, t, n, PER, PER, NULL, NULL, NULL) != 0)
					_exit(4);
			}
			corridor_ledger_close(l);
			_exit(0);
		}
	}
	for (int w = 0; w < WRITERS + READERS; w++) {
		int st;
		ck_assert_int_eq(waitpid(pids[w], &st, 0), pids[w]);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s %d: status %d",
			      w < WRITERS ? "writer" : "reader", w, st);
	}
	ck_assert_int_eq(corridor_ledger_open(dir, 0, &f.l, &d), 0);
	struct corridor_head h;
	ck_assert_int_eq(corridor_ledger_head(f.l, &h), 0);
	ck_assert_uint_eq(h.size, FINAL);
	/* The log is whole batches, and every writer's every batch is there once. */
	bool seen[WRITERS][BATCHES] = { { false } };
	for (uint64_t from = 1; from < FINAL; from += PER) {
		struct batch_check c = { .seen = 0 };
		ck_assert_int_eq(corridor_ledger_scan(f.l, from, PER, check_batch_entry, &c), 0);
		ck_assert(!c.mixed);
		ck_assert_uint_eq(c.seen, PER);
		int w, b;
		ck_assert_int_eq(sscanf(c.prefix, "w%d b%d", &w, &b), 2);
		ck_assert(w >= 0 && w < WRITERS && b >= 0 && b < BATCHES);
		ck_assert_msg(!seen[w][b], "batch w%d b%d twice", w, b);
		seen[w][b] = true;
	}
	ck_assert_int_eq(verify(f.l, &d), 0);
	fx_close(&f);
}
END_TEST

START_TEST(proofs_from_the_store_verify)
{
	struct fixture f;
	struct corridor_diag d;
	fx_open(&f, 40);
	struct corridor_head h;
	ck_assert_int_eq(corridor_ledger_head(f.l, &h), 0);
	/* Every consistency proof between signed sizes verifies. */
	for (uint64_t a = 1; a <= h.size; a += 3) {
		uint8_t proof[CORRIDOR_PROOF_HASHES_MAX][32];
		size_t n;
		uint64_t b = h.size;
		char *na, *nb;
		size_t la, lb;
		struct corridor_note pa, pb;
		struct corridor_checkpoint ca, cb;
		ck_assert_int_eq(corridor_prove_consistency(f.l, a, &b, proof, &n, &d), 0);
		ck_assert_int_eq(corridor_checkpoint_get(f.l, a, &na, &la, &d), 0);
		ck_assert_int_eq(corridor_checkpoint_get(f.l, b, &nb, &lb, &d), 0);
		ck_assert_int_eq(corridor_note_parse(na, la, &pa), 0);
		ck_assert_int_eq(corridor_note_parse(nb, lb, &pb), 0);
		ck_assert_int_eq(corridor_checkpoint_parse(na, pa.text_len, &ca), 0);
		ck_assert_int_eq(corridor_checkpoint_parse(nb, pb.text_len, &cb), 0);
		ck_assert_int_eq(corridor_merkle_verify_consistency(a, b, ca.root, 32, cb.root, 32,
								    (const uint8_t(*)[32])proof, n),
				 0);
		free(na);
		free(nb);
	}
	/* Every inclusion proof document verifies against its checkpoint. */
	for (uint64_t seq = 0; seq < h.size; seq++) {
		char *doc;
		size_t dlen;
		FILE *m = open_memstream(&doc, &dlen);
		ck_assert_int_eq(corridor_prove_inclusion(f.l, seq, m, &d), 0);
		fclose(m);
		struct corridor_tlog_proof *p = malloc(sizeof *p);
		struct corridor_note note;
		struct corridor_checkpoint cp;
		ck_assert_int_eq(corridor_tlog_proof_parse(doc, dlen, p), 0);
		ck_assert_uint_eq(p->index, seq);
		ck_assert_int_eq(corridor_note_open(doc + p->checkpoint_off, p->checkpoint_len,
						    corridor_signer_vkey(f.op), 1, &note), 0);
		ck_assert_int_eq(corridor_checkpoint_parse(doc + p->checkpoint_off, note.text_len, &cp), 0);
		uint8_t *e, leaf[32];
		size_t elen;
		ck_assert_int_eq(corridor_ledger_entry(f.l, seq, &e, &elen), 0);
		corridor_merkle_leaf_hash(e, elen, leaf);
		ck_assert_int_eq(corridor_merkle_verify_inclusion(seq, cp.size, leaf,
								  (const uint8_t(*)[32])p->hashes,
								  p->hash_count, cp.root, 32),
				 0);
		free(e);
		free(p);
		free(doc);
	}
	fx_close(&f);
}
END_TEST

START_TEST(backup_while_writing_and_restore)
{
	struct fixture f;
	struct corridor_diag d;
	fx_open(&f, 5);
	char dir[1024], bak[1024];
	snprintf(dir, sizeof dir, "%s", path_join(f.dir, "L"));
	snprintf(bak, sizeof bak, "%s", path_join(f.dir, "backup"));
	char *cp_before;
	size_t cplen;
	ck_assert_int_eq(corridor_checkpoint_get(f.l, 0, &cp_before, &cplen, &d), 0);
	/* A writer keeps appending from another process while the copy is taken. */
	pid_t pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		struct corridor_ledger *w;
		if (corridor_ledger_open(dir, 0, &w, NULL) != 0)
			_exit(3);
		for (int i = 0; i < 200; i++) {
			const char *t = "written during the backup";
			size_t n = strlen(t);
			if (corridor_memo_append(w, f.op, &t, &n, 1, 1, NULL, NULL, NULL) != 0)
				_exit(4);
		}
		corridor_ledger_close(w);
		_exit(0);
	}
	ck_assert_int_eq(corridor_ledger_backup(f.l, bak, &d), 0);
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ck_assert_int_eq(corridor_ledger_backup(f.l, bak, &d), CORRIDOR_E_EXISTS);
	/* "Restore": open the copy; it verifies on its own and takes writes, and
	 * its next signed checkpoint is consistent with the one before the copy. */
	struct corridor_ledger *r;
	ck_assert_int_eq(corridor_ledger_open(bak, 0, &r, &d), 0);
	ck_assert_msg(corridor_ledger_verify(r, NULL, NULL, &d) == 0, "%s", d.text);
	const char *t = "after the restore";
	size_t n = strlen(t);
	ck_assert_int_eq(corridor_memo_append(r, f.op, &t, &n, 1, 1, NULL, NULL, &d), 0);
	struct corridor_note pa, pb;
	struct corridor_checkpoint ca, cb;
	char *cp_after;
	size_t alen;
	ck_assert_int_eq(corridor_checkpoint_get(r, 0, &cp_after, &alen, &d), 0);
	ck_assert_int_eq(corridor_note_parse(cp_before, cplen, &pa), 0);
	ck_assert_int_eq(corridor_note_parse(cp_after, alen, &pb), 0);
	ck_assert_int_eq(corridor_checkpoint_parse(cp_before, pa.text_len, &ca), 0);
	ck_assert_int_eq(corridor_checkpoint_parse(cp_after, pb.text_len, &cb), 0);
	uint8_t proof[CORRIDOR_PROOF_HASHES_MAX][32];
	size_t count;
	uint64_t size2 = cb.size;
	ck_assert_uint_gt(cb.size, ca.size);
	ck_assert_int_eq(corridor_prove_consistency(r, ca.size, &size2, proof, &count, &d), 0);
	ck_assert_int_eq(corridor_merkle_verify_consistency(ca.size, cb.size, ca.root, 32, cb.root, 32,
							    (const uint8_t(*)[32])proof, count),
			 0);
	ck_assert_msg(corridor_ledger_verify(r, NULL, NULL, &d) == 0, "%s", d.text);
	free(cp_before);
	free(cp_after);
	corridor_ledger_close(r);
	fx_close(&f);
}
END_TEST

START_TEST(read_only_opens_refuse_writes)
{
	struct fixture f;
	struct corridor_diag d;
	struct corridor_ledger *ro;
	struct corridor_head a, b;
	fx_open(&f, 3);
	ck_assert_int_eq(corridor_ledger_open(path_join(f.dir, "L"), CORRIDOR_OPEN_READONLY, &ro, &d), 0);
	ck_assert_int_eq(corridor_ledger_head(ro, &a), 0);
	ck_assert_int_eq(corridor_ledger_verify(ro, NULL, NULL, &d), 0);
	const char *t = "no";
	size_t n = 2;
	ck_assert_int_eq(corridor_memo_append(ro, f.op, &t, &n, 1, 1, NULL, NULL, &d),
			 CORRIDOR_E_REFUSED);
	ck_assert_int_eq(corridor_checkpoint_sign(ro, f.op, NULL, &d), CORRIDOR_E_REFUSED);
	ck_assert_int_eq(corridor_ledger_head(ro, &b), 0);
	ck_assert_uint_eq(a.size, b.size);
	/* The writable handle still writes, and the read-only one sees it. */
	ck_assert_int_eq(corridor_memo_append(f.l, f.op, &t, &n, 1, 1, NULL, NULL, &d), 0);
	ck_assert_int_eq(corridor_ledger_head(ro, &b), 0);
	ck_assert_uint_eq(b.size, a.size + 1);
	corridor_ledger_close(ro);
	fx_close(&f);
}
END_TEST

START_TEST(corrupted_lock_file)
{
	struct fixture f;
	struct corridor_diag d;
	fx_open(&f, 2);
	char dir[1024];
	snprintf(dir, sizeof dir, "%s", path_join(f.dir, "L"));
	corridor_ledger_close(f.l);
	f.l = NULL;
	/* Garbage over the lock file: a clear error, or LMDB rebuilds it; never a
	 * crash, never a damaged ledger. */
	uint8_t junk[8192];
	memset(junk, 0x5a, sizeof junk);
	ck_assert(spit(path_join(dir, "lock.mdb"), junk, sizeof junk));
	int err = corridor_ledger_open(dir, 0, &f.l, &d);
	if (err) {
		ck_assert(d.text[0] != '\0');
		ck_assert(spit(path_join(dir, "lock.mdb"), "", 0)); /* the documented repair */
		ck_assert_int_eq(corridor_ledger_open(dir, 0, &f.l, &d), 0);
	}
	ck_assert_msg(corridor_ledger_verify(f.l, NULL, NULL, &d) == 0, "%s", d.text);
	fx_close(&f);
}
END_TEST

/* ---- a ledger written by release 0.1.0 (tests/vectors/v1-ledger) ---- */

static struct corridor_signer *v1_signer(const char *dir, const char *name)
{
	size_t len;
	struct corridor_signer *s;
	struct corridor_diag d;
	uint8_t *bytes = slurp(vector_path(path_join("v1-ledger", name)), &len);
	ck_assert_ptr_nonnull(bytes);
	const char *path = path_join(dir, name);
	ck_assert(spit(path, bytes, len));
	free(bytes);
	ck_assert_int_eq(chmod(path, 0600), 0);
	const char *pass = "fixture passphrase";
	ck_assert_msg(corridor_signer_load(path, pass, strlen(pass), &s, &d) == 0, "%s", d.text);
	return s;
}

static uint64_t entry_version(struct corridor_ledger *l, uint64_t seq)
{
	uint8_t *bytes;
	size_t len;
	struct corridor_entry e;
	ck_assert_int_eq(corridor_ledger_entry(l, seq, &bytes, &len), 0);
	ck_assert_int_eq(corridor_entry_decode(bytes, len, &e, NULL), 0);
	free(bytes);
	return e.version;
}

START_TEST(v1_ledger_opens_verifies_and_grows)
{
	struct corridor_diag d;
	struct corridor_ledger *l;
	struct corridor_head h;
	char *dir = tmpdir_new();
	const char *ldir = path_join(dir, "ledger");
	size_t len;
	ck_assert_int_eq(mkdir(ldir, 0700), 0);
	uint8_t *mdb = slurp(vector_path("v1-ledger/data.mdb"), &len);
	ck_assert_ptr_nonnull(mdb);
	ck_assert(spit(path_join(ldir, "data.mdb"), mdb, len));
	free(mdb);
	/* the current release opens and verifies what 0.1.0 wrote */
	ck_assert_msg(corridor_ledger_open(ldir, 0, &l, &d) == 0, "%s", d.text);
	ck_assert_msg(verify(l, &d) == 0, "%s", d.text);
	ck_assert_int_eq(corridor_ledger_head(l, &h), 0);
	ck_assert_uint_eq(h.size, 102);
	for (uint64_t seq = 0; seq < h.size; seq++)
		ck_assert_uint_eq(entry_version(l, seq), CORRIDOR_ENTRY_VERSION_1);
	/* and takes version 2 entries after them */
	struct corridor_signer *gaz = v1_signer(dir, "gazprom-2.key");
	struct corridor_signer *cnpc = v1_signer(dir, "cnpc.key");
	uint64_t memo_seq, rec_seq, again;
	const char *text = "nominated 11,800 MWh";
	ck_assert_msg(corridor_memo_add(l, gaz, text, strlen(text), "NOM-2", &memo_seq, &d) == 0,
		      "%s", d.text);
	ck_assert_uint_eq(memo_seq, 102);
	struct corridor_delivery_request r = { .contract = "G1", .meter = "CN-ERENHOT",
					       .reference = "CNPC-2026-02-1",
					       .start_s = 1769875200, .end_s = 1769875200 + 86400,
					       .quantity_milli = 100400, .quality = 'A' };
	ck_assert_msg(corridor_delivery_record(l, cnpc, &r, &rec_seq, &d) == 0, "%s", d.text);
	ck_assert_uint_eq(rec_seq, 103);
	ck_assert_uint_eq(entry_version(l, 102), CORRIDOR_ENTRY_VERSION_2);
	ck_assert_uint_eq(entry_version(l, 103), CORRIDOR_ENTRY_VERSION_2);
	/* a version 1 write retried now is the same write: its original seq */
	struct corridor_head before, after;
	ck_assert_int_eq(corridor_ledger_head(l, &before), 0);
	const char *nom1 = "nominated 12,000 MWh";
	ck_assert_msg(corridor_memo_add(l, gaz, nom1, strlen(nom1), "NOM-1", &again, &d) == 0,
		      "%s", d.text);
	ck_assert_uint_eq(entry_version(l, again), CORRIDOR_ENTRY_VERSION_1);
	ck_assert_int_eq(corridor_ledger_head(l, &after), 0);
	ck_assert_uint_eq(after.size, before.size);
	/* with another body it is refused */
	ck_assert_int_eq(corridor_memo_add(l, gaz, text, strlen(text), "NOM-1", &again, &d),
			 CORRIDOR_E_EXISTS);
	/* the same reading again is a retry too, whoever's identity it has */
	ck_assert_int_eq(corridor_delivery_record(l, cnpc, &r, &again, &d), 0);
	ck_assert_uint_eq(again, rec_seq);
	ck_assert_msg(verify(l, &d) == 0, "%s", d.text);
	corridor_ledger_close(l);
	/* the archive 0.1.0 exported verifies and imports with the current release */
	struct corridor_vkey vk;
	uint8_t *vtext = slurp(vector_path("v1-ledger/operator.vkey"), &len);
	ck_assert_ptr_nonnull(vtext);
	ck_assert_int_eq(corridor_vkey_parse((const char *)vtext, strcspn((char *)vtext, "\n"), &vk),
			 0);
	free(vtext);
	const char *archive = vector_path("v1-ledger/ledger.archive");
	ck_assert_msg(corridor_archive_verify(archive, &vk, NULL, NULL, &d) == 0, "%s", d.text);
	uint64_t size = 0;
	ck_assert_msg(corridor_archive_import(path_join(dir, "replica"), archive, &vk, &size, &d) == 0,
		      "%s", d.text);
	ck_assert_uint_eq(size, 102);
	corridor_signer_free(gaz);
	corridor_signer_free(cnpc);
	rm_rf(dir);
	free(dir);
}
END_TEST

/* ---- derived tables of an earlier layout are rebuilt from the entries ---- */

static int count_reading(void *ctx, const struct corridor_delivery *d)
{
	(void)d;
	++*(size_t *)ctx;
	return 0;
}

/* Edits a closed ledger as an earlier release (or a later one) left it:
 * its meta "tables" set to `tables` (0: absent) and, if asked, the
 * per-day readings table emptied. */
static void older_tables(const char *dir, uint32_t tables, bool drop_periods)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi meta, periods;
	ck_assert_int_eq(mdb_env_create(&env), 0);
	ck_assert_int_eq(mdb_env_set_maxdbs(env, 64), 0);
	ck_assert_int_eq(mdb_env_set_mapsize(env, (size_t)1 << 30), 0);
	ck_assert_int_eq(mdb_env_open(env, dir, 0, 0600), 0);
	ck_assert_int_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
	ck_assert_int_eq(mdb_dbi_open(txn, "meta", 0, &meta), 0);
	MDB_val k = { 6, (void *)"tables" }, v;
	uint8_t be[4] = { (uint8_t)(tables >> 24), (uint8_t)(tables >> 16), (uint8_t)(tables >> 8),
			  (uint8_t)tables };
	v.mv_size = 4;
	v.mv_data = be;
	ck_assert_int_eq(tables ? mdb_put(txn, meta, &k, &v, 0) : mdb_del(txn, meta, &k, NULL), 0);
	if (drop_periods) {
		ck_assert_int_eq(mdb_dbi_open(txn, "periods", 0, &periods), 0);
		ck_assert_int_eq(mdb_drop(txn, periods, 0), 0);
	}
	ck_assert_int_eq(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

START_TEST(older_tables_are_rebuilt_from_the_entries)
{
	struct corridor_diag d;
	struct corridor_ledger *l;
	char *dir = tmpdir_new();
	const char *ldir = path_join(dir, "L");
	char ledger[1024];
	snprintf(ledger, sizeof ledger, "%s", ldir);
	struct corridor_signer *op = test_signer("corridor.example/tables", 1),
			       *gaz = test_signer("RU-GAZ", 2), *buy = test_signer("CN-BUY", 3);
	ck_assert_int_eq(corridor_ledger_create(ledger, op, &l, &d), 0);
	test_party(l, op, gaz, "RU", CORRIDOR_ROLE_SELLER);
	test_party(l, op, buy, "CN", CORRIDOR_ROLE_BUYER);
	struct corridor_contract_terms *t = malloc(sizeof *t);
	test_terms("gas-G1.json", t);
	uint64_t prop, seq;
	ck_assert_int_eq(corridor_contract_propose(l, gaz, t, NULL, &prop, &d), 0);
	ck_assert_int_eq(corridor_contract_accept(l, buy, "G1", prop, NULL, &seq, &d), 0);
	free(t);
	struct corridor_series *s = calloc(1, sizeof *s);
	snprintf(s->contract, sizeof s->contract, "G1");
	snprintf(s->meter, sizeof s->meter, "M1");
	ck_assert_int_eq(corridor_utc_parse("2026-03-01T16:00:00Z", 20, &s->start_s), 0); /* 03-02 local */
	s->resolution_s = 3600;
	s->count = 24;
	for (int i = 0; i < 24; i++) {
		s->quantity_milli[i] = 4000 + (i % 5 == 0 ? -7 : 11) * i;
		s->quality[i] = i == 3 ? 'E' : 'A';
	}
	ck_assert_msg(corridor_delivery_series(l, gaz, s, &seq, &d) == 0, "%s", d.text);
	free(s);
	corridor_ledger_close(l);
	int32_t march;
	ck_assert_int_eq(corridor_date_parse("2026-03-01", 10, &march), 0);
	/* an earlier release's ledger, its per-day table unreadable to this one:
	 * even a read-only open rebuilds the tables first */
	older_tables(ledger, 0, true);
	ck_assert_msg(corridor_ledger_open(ledger, CORRIDOR_OPEN_READONLY, &l, &d) == 0, "%s", d.text);
	size_t n = 0;
	ck_assert_int_eq(corridor_delivery_list(l, "G1", march, count_reading, &n, &d), 0);
	ck_assert_uint_eq(n, 24);
	ck_assert_msg(verify(l, &d) == 0, "%s", d.text);
	corridor_ledger_close(l);
	/* a later release's layout is not read */
	older_tables(ledger, 99, false);
	ck_assert_int_eq(corridor_ledger_open(ledger, 0, &l, &d), CORRIDOR_E_MALFORMED);
	ck_assert_msg(strstr(d.text, "later release"), "%s", d.text);
	corridor_signer_free(op);
	corridor_signer_free(gaz);
	corridor_signer_free(buy);
	rm_rf(dir);
	free(dir);
}
END_TEST

Suite *suite_ledger(void)
{
	Suite *s = suite_create("ledger");
	TCase *tc = tcase_create("api");
	tcase_add_test(tc, append_and_verify);
	tcase_add_test(tc, bad_batch_writes_nothing);
	tcase_add_test(tc, every_byte_of_an_entry_is_protected);
	tcase_add_test(tc, derived_state_is_checked);
	tcase_add_test(tc, archive_every_byte_and_truncation);
	tcase_add_test(tc, archive_names_the_bad_seq);
	tcase_add_test(tc, replica_from_archives);
	tcase_add_test(tc, replica_refuses_a_forked_history);
	tcase_add_test(tc, map_grows_when_full);
	tcase_add_test(tc, concurrent_writers_keep_seq_dense);
	tcase_add_test(tc, proofs_from_the_store_verify);
	tcase_add_test(tc, backup_while_writing_and_restore);
	tcase_add_test(tc, corrupted_lock_file);
	tcase_add_test(tc, read_only_opens_refuse_writes);
	tcase_add_test(tc, v1_ledger_opens_verifies_and_grows);
	tcase_add_test(tc, older_tables_are_rebuilt_from_the_entries);
	tcase_set_timeout(tc, 300);
	suite_add_tcase(s, tc);
	return s;
}
