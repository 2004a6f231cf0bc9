/* test_tiles.c — the log as c2sp.org/tlog-tiles: paths, which tiles exist,
 * every hash against a Merkle tree rebuilt here from the entry bundles
 * alone, and `tiles export` as a static directory, incrementally. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "testutil.h"

START_TEST(tile_paths)
{
	char p[CORRIDOR_TILE_PATH_BYTES];
	int level;
	uint64_t index;
	unsigned width;
	corridor_tile_path(0, 1234067, 256, p);
	ck_assert_str_eq(p, "tile/0/x001/x234/067");
	corridor_tile_path(2, 0, 1, p);
	ck_assert_str_eq(p, "tile/2/000.p/1");
	corridor_tile_path(CORRIDOR_TILE_ENTRIES, 273, 112, p);
	ck_assert_str_eq(p, "tile/entries/273.p/112");
	ck_assert_int_eq(corridor_tile_path_parse("tile/0/x001/x234/067", &level, &index, &width), 0);
	ck_assert(level == 0 && index == 1234067 && width == 256);
	ck_assert_int_eq(corridor_tile_path_parse("tile/entries/273.p/112", &level, &index, &width), 0);
	ck_assert(level == CORRIDOR_TILE_ENTRIES && index == 273 && width == 112);
	/* one spelling per tile */
	const char *bad[] = { "tile/00/000",	  "tile/0/x000/001", "tile/0/1",	 "tile/0/0001",
			      "tile/0/000.p/0",	  "tile/0/000.p/256", "tile/0/000.p/01", "tile/64/000",
			      "tile/0/000/",	  "tile/0/x001",     "tiles/0/000",	 "tile/0/000.p/",
			      "tile/entries/x00/1", "tile/-1/000",    "" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(corridor_tile_path_parse(bad[i], &level, &index, &width) ==
				      CORRIDOR_E_MALFORMED,
			      "%s", bad[i]);
}
END_TEST

/* RFC 6962 MTH over leaf hashes [lo, hi), written here from the RFC alone. */
static void mth(const uint8_t (*leaf)[32], uint64_t lo, uint64_t hi, uint8_t out[32])
{
	if (hi - lo == 1) {
		memcpy(out, leaf[lo], 32);
		return;
	}
	uint64_t k = 1;
	while (k * 2 < hi - lo)
		k *= 2;
	uint8_t buf[65];
	buf[0] = 1;
	mth(leaf, lo, lo + k, buf + 1);
	mth(leaf, lo + k, hi, buf + 33);
	crypto_hash_sha256(out, buf, sizeof buf);
}

static uint8_t *read_all(const char *dir, const char *rel, size_t *len)
{
	return slurp(path_join(dir, rel), len);
}

/* Every entry of the bundles of a tree of `size`, as leaf hashes. */
static uint8_t (*leaves_from_bundles(const char *dir, uint64_t size))[32]
{
	uint8_t (*leaf)[32] = malloc((size_t)size * 32);
	char rel[CORRIDOR_TILE_PATH_BYTES];
	uint64_t seq = 0;
	for (uint64_t n = 0; seq < size; n++) {
		unsigned w = size - seq >= 256 ? 256 : (unsigned)(size - seq);
		size_t len;
		corridor_tile_path(CORRIDOR_TILE_ENTRIES, n, w, rel);
		uint8_t *b = read_all(dir, rel, &len);
		ck_assert_msg(b != NULL, "bundle %s missing", rel);
		size_t at = 0;
		for (unsigned i = 0; i < w; i++, seq++) {
			ck_assert(at + 2 <= len);
			size_t el = (size_t)b[at] << 8 | b[at + 1];
			ck_assert(at + 2 + el <= len);
			uint8_t pre[1 + 65535];
			pre[0] = 0;
			memcpy(pre + 1, b + at + 2, el);
			crypto_hash_sha256(leaf[seq], pre, 1 + el);
			at += 2 + el;
		}
		ck_assert_uint_eq(at, len); /* nothing after the last entry */
		free(b);
	}
	return leaf;
}

/* The tiles of tree `size` in dir, each hash against mth; the count of
 * tiles by level (full, partial) in the census. */
static void check_tree(const char *dir, uint64_t size, const uint8_t (*leaf)[32],
		       unsigned census[3][2], unsigned partial_width[3])
{
	char rel[CORRIDOR_TILE_PATH_BYTES];
	for (unsigned level = 0; level < 3; level++) {
		uint64_t unit = (uint64_t)1 << (8 * level);
		uint64_t hashes = size / unit;
		for (uint64_t n = 0; n * 256 < hashes; n++) {
			unsigned w = hashes - n * 256 >= 256 ? 256 : (unsigned)(hashes - n * 256);
			size_t len;
			corridor_tile_path((int)level, n, w, rel);
			uint8_t *t = read_all(dir, rel, &len);
			ck_assert_msg(t != NULL, "tile %s of size %llu missing", rel,
				      (unsigned long long)size);
			ck_assert_uint_eq(len, (size_t)w * 32);
			for (unsigned i = 0; i < w; i++) {
				uint8_t want[32];
				uint64_t lo = (n * 256 + i) * unit;
				mth(leaf, lo, lo + unit, want);
				ck_assert_msg(memcmp(t + (size_t)i * 32, want, 32) == 0,
					      "%s hash %u differs from the tree", rel, i);
			}
			free(t);
			census[level][w < 256]++;
			if (w < 256)
				partial_width[level] = w;
		}
	}
}

static int count_files(const char *dir)
{
	int n = 0;
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		if (e->d_name[0] == '.')
			continue;
		char p[4096];
		struct stat st;
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
			n += count_files(p);
		else if (strstr(e->d_name, ".tmp-") == NULL)
			n++;
	}
	closedir(d);
	return n;
}

/* A tiles directory whose entry bundles this reader may not have (as
 * corridor serve answers 403 to a party not entitled to them), and where one
 * file may be served with a byte flipped. */
struct tree_only {
	const char *dir;
	const char *forge; /* rel served with a flipped byte, or NULL */
};

static int tree_only_fetch(void *ctx, const char *rel, size_t max, uint8_t **data, size_t *len,
			   struct corridor_diag *diag)
{
	const struct tree_only *t = ctx;
	if (!strncmp(rel, "tile/entries/", 13)) {
		snprintf(diag->text, sizeof diag->text, "bundles are not for this reader");
		return CORRIDOR_E_REFUSED;
	}
	int err = corridor_tiles_dir_fetch((void *)(uintptr_t)t->dir, rel, max, data, len, diag);
	if (!err && t->forge && !strcmp(rel, t->forge) && *len > 0)
		(*data)[*len / 2] ^= 0x01;
	return err;
}

static struct corridor_monitor_result monitor_ok(const char *state, const char *dir,
						 const struct corridor_vkey *vk, bool full)
{
	struct corridor_monitor_result r;
	struct corridor_diag d;
	corridor_diag_init(&d);
	struct tree_only t = { .dir = dir };
	int err = full ? corridor_monitor_run(state, corridor_tiles_dir_fetch, (void *)(uintptr_t)dir,
					      dir, vk, &r, &d)
		       : corridor_monitor_run(state, tree_only_fetch, &t, dir, vk, &r, &d);
	ck_assert_msg(err == 0, "%s", d.text);
	ck_assert(r.entries == full);
	return r;
}

START_TEST(tiles_census_and_export)
{
	struct corridor_diag d;
	struct corridor_ledger *l;
	struct corridor_signer *op = test_signer("tiles.example/log", 0x31),
			       *m = test_signer("MN-GRID", 0x32);
	char *dir = tmpdir_new();
	const char *out = path_join(dir, "tiles");
	char *out_dir = strdup(out);
	ck_assert_int_eq(corridor_ledger_create(path_join(dir, "L"), op, &l, &d), 0);
	uint64_t size;
	uint8_t tile[CORRIDOR_TILE_WIDTH * CORRIDOR_HASH_BYTES];
	ck_assert_int_eq(corridor_checkpoint_sign(l, op, &size, &d), 0);
	ck_assert_uint_eq(size, 1);
	/* size 1: one partial level-0 tile of width 1, nothing else */
	ck_assert_int_eq(corridor_tile_read(l, 0, 0, 1, tile, &d), 0);
	ck_assert_int_eq(corridor_tile_read(l, 0, 0, 2, tile, &d), CORRIDOR_E_NOTFOUND);
	ck_assert_int_eq(corridor_tile_read(l, 0, 0, 256, tile, &d), CORRIDOR_E_NOTFOUND);
	ck_assert_int_eq(corridor_tile_read(l, 1, 0, 1, tile, &d), CORRIDOR_E_NOTFOUND);
	struct corridor_party_request r = { .id = "MN-GRID", .name = "grid", .country = "MN",
					    .roles = CORRIDOR_ROLE_METER,
					    .key = *corridor_signer_vkey(m) };
	uint64_t seq;
	ck_assert_int_eq(corridor_party_register(l, op, &r, NULL, &seq, &d), 0);
	/* memos by the party up to each size, a checkpoint signed at each */
	static const uint64_t sizes[] = { 255, 256, 257, 65536, 65537, 70000 };
	static char texts[70000][24];
	const char **tx = malloc(70000 * sizeof *tx);
	size_t *lens = malloc(70000 * sizeof *lens);
	for (size_t i = 0; i < 70000; i++) {
		snprintf(texts[i], sizeof texts[i], "reading %zu", i);
		tx[i] = texts[i];
		lens[i] = strlen(texts[i]);
	}
	struct corridor_head h;
	size_t used = 0;
	struct corridor_tiles_stats st;
	for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
		ck_assert_int_eq(corridor_ledger_head(l, &h), 0);
		size_t n = (size_t)(sizes[k] - h.size);
		ck_assert_msg(corridor_memo_append(l, m, tx + used, lens + used, n, 4000, NULL, NULL,
						   &d) == 0,
			      "%s", d.text);
		used += n;
		ck_assert_int_eq(corridor_checkpoint_sign(l, op, &size, &d), 0);
		ck_assert_uint_eq(size, sizes[k]);
		if (sizes[k] == 65537) { /* an export now; the next continues from it */
			ck_assert_msg(corridor_tiles_export(l, out_dir, true, &st, &d) == 0, "%s",
				      d.text);
			ck_assert(st.from_size == 0 && st.size == 65537 && st.tiles > 0);
			/* monitors of the tree alone, and of the entries too */
			struct corridor_monitor_result mr =
				monitor_ok(path_join(dir, "tree"), out_dir, corridor_signer_vkey(op),
					   false);
			ck_assert(mr.from_size == 0 && mr.size == 65537 && mr.tiles > 257);
			mr = monitor_ok(path_join(dir, "full"), out_dir, corridor_signer_vkey(op),
					true);
			ck_assert(mr.size == 65537 && mr.replica_size == 65537);
		}
	}
	/* a partial tile of a width no checkpoint had is not served */
	ck_assert_int_eq(corridor_tile_read(l, 0, 0, 100, tile, &d), CORRIDOR_E_NOTFOUND);
	ck_assert_int_eq(corridor_tile_read(l, 0, 0, 255, tile, &d), 0); /* size 255 */
	ck_assert_int_eq(corridor_tile_read(l, 0, 1, 1, tile, &d), 0);	 /* size 257 */
	ck_assert_int_eq(corridor_tile_read(l, 0, 273, 113, tile, &d), CORRIDOR_E_NOTFOUND);
	ck_assert_msg(corridor_tiles_export(l, out_dir, true, &st, &d) == 0, "%s", d.text);
	ck_assert(st.from_size == 65537 && st.size == 70000);
	/* the second export wrote only what was new: full level-0 tiles 256..272,
	 * and the partial tiles of 70,000 */
	ck_assert_msg(st.tiles == 17 + 3 && st.bundles == 17 + 1, "%zu tiles, %zu bundles",
		      st.tiles, st.bundles);
	int files = count_files(out_dir);
	ck_assert_msg(corridor_tiles_export(l, out_dir, true, &st, &d) == 0, "%s", d.text);
	ck_assert(st.from_size == 70000 && st.tiles == 0 && count_files(out_dir) == files);
	/* the monitors follow from 65,537 to 70,000: only the new level-0 tiles
	 * (17 full, one partial) and the level-1 partial tile fetched; the
	 * level-2 tile of width 1 is the one verified before */
	const struct corridor_vkey *ovk = corridor_signer_vkey(op);
	struct corridor_monitor_result mr = monitor_ok(path_join(dir, "tree"), out_dir, ovk, false);
	ck_assert(mr.from_size == 65537 && mr.size == 70000);
	ck_assert_msg(mr.tiles == 18 + 1, "%zu tiles", mr.tiles);
	mr = monitor_ok(path_join(dir, "full"), out_dir, ovk, true);
	ck_assert(mr.from_size == 65537 && mr.replica_size == 70000);
	mr = monitor_ok(path_join(dir, "tree"), out_dir, ovk, false); /* nothing new */
	ck_assert(mr.from_size == 70000 && mr.size == 70000 && mr.tiles == 0);
	/* a fresh monitor of the tree; one whose mirror forges a level-1 or a
	 * level-2 tile is stopped, with the seq, and keeps nothing */
	monitor_ok(path_join(dir, "tree2"), out_dir, ovk, false);
	static const char *const forged_tiles[] = { "tile/1/001.p/17", "tile/2/000.p/1",
						    "tile/1/000" };
	static const uint64_t forged_seq[] = { 65536 + 8 * 256, 0, 128 * 256 };
	for (size_t k = 0; k < 3; k++) {
		struct tree_only t = { .dir = out_dir, .forge = forged_tiles[k] };
		struct corridor_monitor_result fr;
		const char *st3 = path_join(dir, "tree3");
		char *st3d = strdup(st3);
		corridor_diag_init(&d);
		ck_assert_int_eq(corridor_monitor_run(st3d, tree_only_fetch, &t, out_dir, ovk, &fr, &d),
				 CORRIDOR_E_VERIFY);
		ck_assert_msg(d.has_seq && d.seq == forged_seq[k] &&
				      strstr(d.text, forged_tiles[k]) && !strchr(d.text, '\n'),
			      "%llu %s", (unsigned long long)d.seq, d.text);
		struct stat sb;
		ck_assert(stat(path_join(st3d, "state"), &sb) != 0); /* nothing recorded */
		free(st3d);
	}
	/* the spec's census for 70,000, every hash against the tree rebuilt from
	 * the bundles, and its root against the checkpoint */
	uint8_t (*leaf)[32] = leaves_from_bundles(out_dir, 70000);
	unsigned census[3][2] = { { 0 } }, width[3] = { 0 };
	check_tree(out_dir, 70000, (const uint8_t (*)[32])leaf, census, width);
	ck_assert(census[0][0] == 273 && census[0][1] == 1 && width[0] == 112);
	ck_assert(census[1][0] == 1 && census[1][1] == 1 && width[1] == 17);
	ck_assert(census[2][0] == 0 && census[2][1] == 1 && width[2] == 1);
	uint8_t root[32];
	mth((const uint8_t (*)[32])leaf, 0, 70000, root);
	size_t cl;
	char *cp = (char *)read_all(out_dir, "checkpoint", &cl);
	struct corridor_checkpoint c;
	ck_assert(cp && strstr(cp, "\n\n"));
	ck_assert_int_eq(corridor_checkpoint_parse(cp, (size_t)(strstr(cp, "\n\n") - cp) + 1, &c), 0);
	ck_assert(c.size == 70000 && memcmp(c.root, root, 32) == 0);
	free(cp);
	/* the trees of the earlier checkpoints are served from the same files */
	const uint64_t earlier[] = { 1, 255, 256, 257, 65536, 65537 };
	for (size_t k = 0; k < sizeof earlier / sizeof earlier[0]; k++) {
		unsigned c2[3][2] = { { 0 } }, w2[3] = { 0 };
		check_tree(out_dir, earlier[k], (const uint8_t (*)[32])leaf, c2, w2);
	}
	/* what the ledger serves is what was exported */
	ck_assert_int_eq(corridor_tile_read(l, 1, 1, 17, tile, &d), 0);
	size_t tl;
	uint8_t *t = read_all(out_dir, "tile/1/001.p/17", &tl);
	ck_assert(t && tl == 17 * 32 && memcmp(t, tile, tl) == 0);
	free(t);
	uint8_t *b;
	size_t bl;
	ck_assert_int_eq(corridor_bundle_read(l, 273, 112, &b, &bl, &d), 0);
	t = read_all(out_dir, "tile/entries/273.p/112", &tl);
	ck_assert(t && tl == bl && memcmp(t, b, bl) == 0);
	free(t);
	free(b);
	/* a directory holding another log's checkpoint is refused */
	struct corridor_ledger *l2;
	struct corridor_signer *op2 = test_signer("tiles.example/other", 0x33);
	ck_assert_int_eq(corridor_ledger_create(path_join(dir, "L2"), op2, &l2, &d), 0);
	ck_assert_int_eq(corridor_checkpoint_sign(l2, op2, &size, &d), 0);
	ck_assert_int_eq(corridor_tiles_export(l2, out_dir, false, &st, &d), CORRIDOR_E_REFUSED);
	ck_assert_msg(strstr(d.text, "not of tiles.example/other") && !strchr(d.text, '\n'), "%s",
		      d.text);
	corridor_ledger_close(l2);
	corridor_signer_free(op2);
	free(leaf);
	free(tx);
	free(lens);
	free(out_dir);
	free(dir);
	corridor_ledger_close(l);
	corridor_signer_free(op);
	corridor_signer_free(m);
}
END_TEST

/* Appends memos by m until the ledger holds `to` entries, then a checkpoint. */
static void grow(struct corridor_ledger *l, struct corridor_signer *op,
		 struct corridor_signer *m, uint64_t to, const char *tag)
{
	struct corridor_head h;
	struct corridor_diag d;
	uint64_t size;
	ck_assert_int_eq(corridor_ledger_head(l, &h), 0);
	size_t n = (size_t)(to - h.size);
	char (*texts)[40] = malloc(n * sizeof *texts);
	const char **tx = malloc(n * sizeof *tx);
	size_t *lens = malloc(n * sizeof *lens);
	for (size_t i = 0; i < n; i++) {
		snprintf(texts[i], sizeof texts[i], "%s %zu", tag, i);
		tx[i] = texts[i];
		lens[i] = strlen(texts[i]);
	}
	ck_assert_msg(corridor_memo_append(l, m, tx, lens, n, 4000, NULL, NULL, &d) == 0, "%s",
		      d.text);
	ck_assert_int_eq(corridor_checkpoint_sign(l, op, &size, &d), 0);
	ck_assert_uint_eq(size, to);
	free(texts);
	free(tx);
	free(lens);
}

static struct corridor_ledger *ledger_with_party(const char *path, struct corridor_signer *op,
						 struct corridor_signer *m)
{
	struct corridor_ledger *l;
	struct corridor_diag d;
	uint64_t seq;
	ck_assert_int_eq(corridor_ledger_create(path, op, &l, &d), 0);
	struct corridor_party_request r = { .id = "MN-GRID", .name = "grid", .country = "MN",
					    .roles = CORRIDOR_ROLE_METER,
					    .key = *corridor_signer_vkey(m) };
	ck_assert_int_eq(corridor_party_register(l, op, &r, NULL, &seq, &d), 0);
	return l;
}

/* Flips one byte of dir/rel at offset from its end. */
static void flip(const char *dir, const char *rel, size_t from_end)
{
	size_t len;
	const char *p = path_join(dir, rel);
	uint8_t *b = slurp(p, &len);
	ck_assert_msg(b && len > from_end, "%s", rel);
	b[len - 1 - from_end] ^= 0x01;
	ck_assert(spit(p, (const char *)b, len));
	free(b);
}

START_TEST(replica_from_tiles)
{
	struct corridor_diag d;
	struct corridor_signer *op = test_signer("tiles.example/log", 0x41),
			       *m = test_signer("MN-GRID", 0x42);
	const struct corridor_vkey *vk = corridor_signer_vkey(op);
	char *dir = tmpdir_new();
	char *mirror = strdup(path_join(dir, "mirror")), *replica = strdup(path_join(dir, "replica"));
	struct corridor_ledger *l = ledger_with_party(path_join(dir, "L"), op, m);
	struct corridor_tiles_stats st;
	uint64_t size;
	grow(l, op, m, 600, "a");
	/* tiles without bundles feed no replica */
	ck_assert_int_eq(corridor_tiles_export(l, mirror, false, &st, &d), 0);
	ck_assert_int_eq(corridor_tiles_import(replica, mirror, vk, &size, &d), CORRIDOR_E_NOTFOUND);
	ck_assert_msg(strstr(d.text, "--entries"), "%s", d.text);
	/* a monitor of such a mirror verifies the tree alone, and says why */
	char *mfull = strdup(path_join(dir, "mon-full")), *mtree = strdup(path_join(dir, "mon-tree"));
	struct corridor_monitor_result mr;
	ck_assert_msg(corridor_monitor_run(mtree, corridor_tiles_dir_fetch, mirror, mirror, vk, &mr,
					   &d) == 0,
		      "%s", d.text);
	ck_assert(!mr.entries && mr.size == 600 && strstr(mr.no_entries, "--entries"));
	/* with them: a replica that verifies, then follows the log */
	char *mirror2 = strdup(path_join(dir, "mirror2"));
	ck_assert_int_eq(corridor_tiles_export(l, mirror2, true, &st, &d), 0);
	ck_assert_msg(corridor_tiles_import(replica, mirror2, vk, &size, &d) == 0, "%s", d.text);
	ck_assert_uint_eq(size, 600);
	grow(l, op, m, 1000, "b");
	ck_assert_int_eq(corridor_tiles_export(l, mirror2, true, &st, &d), 0);
	mr = monitor_ok(mfull, mirror2, vk, true);
	ck_assert(mr.from_size == 0 && mr.size == 1000 && mr.replica_size == 1000);
	mr = monitor_ok(mtree, mirror2, vk, false);
	ck_assert(mr.from_size == 600 && mr.size == 1000);
	ck_assert_msg(corridor_tiles_import(replica, mirror2, vk, &size, &d) == 0, "%s", d.text);
	ck_assert_uint_eq(size, 1000);
	ck_assert_msg(corridor_tiles_import(replica, mirror2, vk, &size, &d) == 0, "%s", d.text);
	struct corridor_ledger *r;
	ck_assert_int_eq(corridor_ledger_open(replica, CORRIDOR_OPEN_READONLY, &r, &d), 0);
	ck_assert_msg(corridor_ledger_verify(r, NULL, NULL, &d) == 0, "%s", d.text);
	corridor_ledger_close(r);
	/* the next state, forged in three ways on the mirror: each is caught,
	 * with the seq, and the replica keeps what it had */
	grow(l, op, m, 1300, "c");
	ck_assert_int_eq(corridor_tiles_export(l, mirror2, true, &st, &d), 0);
	flip(mirror2, "tile/entries/005.p/20", 3); /* inside entry 1299's signature */
	corridor_diag_init(&d);
	ck_assert_int_eq(corridor_tiles_import(replica, mirror2, vk, &size, &d), CORRIDOR_E_VERIFY);
	ck_assert_msg(d.has_seq && d.seq == 1299 && !strchr(d.text, '\n'), "%llu %s",
		      (unsigned long long)d.seq, d.text);
	/* the monitor that reads the entries is stopped there too, and keeps
	 * the tree it had; one of the tree alone has nothing to object to */
	struct corridor_monitor_result mf;
	corridor_diag_init(&d);
	ck_assert_int_eq(corridor_monitor_run(mfull, corridor_tiles_dir_fetch, mirror2, mirror2, vk,
					      &mf, &d),
			 CORRIDOR_E_VERIFY);
	ck_assert_msg(d.has_seq && d.seq == 1299, "%s", d.text);
	mr = monitor_ok(mtree, mirror2, vk, false);
	ck_assert(mr.from_size == 1000 && mr.size == 1300);
	/* a fresh monitor of the tree, given a forged level-0 tile, names it by
	 * the level-1 tile that disagrees with it */
	{
		struct tree_only t = { .dir = mirror2, .forge = "tile/0/002" };
		char *m3 = strdup(path_join(dir, "mon-3"));
		corridor_diag_init(&d);
		ck_assert_int_eq(corridor_monitor_run(m3, tree_only_fetch, &t, mirror2, vk, &mf, &d),
				 CORRIDOR_E_VERIFY);
		ck_assert_msg(d.has_seq && d.seq == 512 && strstr(d.text, "forged tile"), "%llu %s",
			      (unsigned long long)d.seq, d.text);
		free(m3);
	}
	flip(mirror2, "tile/entries/005.p/20", 3);
	flip(mirror2, "tile/0/004", 100); /* a hash of a new full tile */
	corridor_diag_init(&d);
	ck_assert_int_eq(corridor_tiles_import(replica, mirror2, vk, &size, &d), CORRIDOR_E_VERIFY);
	ck_assert_msg(strstr(d.text, "tile/0/004") && strstr(d.text, "1024"), "%s", d.text);
	corridor_diag_init(&d);
	ck_assert_int_eq(corridor_monitor_run(mfull, corridor_tiles_dir_fetch, mirror2, mirror2, vk,
					      &mf, &d),
			 CORRIDOR_E_VERIFY);
	ck_assert_msg(strstr(d.text, "tile/0/004") && d.has_seq && d.seq == 1024, "%s", d.text);
	/* (the entries were good: the replica took them; the mirror is what lies) */
	flip(mirror2, "tile/0/004", 100);
	/* a history rewritten with the operator's own key: another ledger of the
	 * same origin and key, its own entries; and a split view of one size */
	struct corridor_ledger *b = ledger_with_party(path_join(dir, "B"), op, m);
	grow(b, op, m, 1500, "rewritten");
	char *forged = strdup(path_join(dir, "forged"));
	ck_assert_int_eq(corridor_tiles_export(b, forged, true, &st, &d), 0);
	corridor_diag_init(&d);
	ck_assert_int_eq(corridor_tiles_import(replica, forged, vk, &size, &d), CORRIDOR_E_VERIFY);
	ck_assert_msg(d.has_seq && d.seq == 1300 && !strchr(d.text, '\n'), "%llu %s",
		      (unsigned long long)d.seq, d.text);
	mr = monitor_ok(mfull, mirror2, vk, true); /* the true mirror, from 1000 */
	ck_assert(mr.from_size == 1000 && mr.size == 1300);
	corridor_diag_init(&d);
	ck_assert_int_eq(corridor_monitor_run(mfull, corridor_tiles_dir_fetch, forged, forged, vk,
					      &mf, &d),
			 CORRIDOR_E_VERIFY);
	ck_assert_msg(d.has_seq && d.seq == 1300, "%llu %s", (unsigned long long)d.seq, d.text);
	{ /* the tree alone: the first entry that differs (genesis: another time) */
		struct tree_only t = { .dir = forged };
		corridor_diag_init(&d);
		ck_assert_int_eq(corridor_monitor_run(mtree, tree_only_fetch, &t, forged, vk, &mf, &d),
				 CORRIDOR_E_VERIFY);
		ck_assert_msg(d.has_seq && strstr(d.text, "rewritten history") &&
				      !strchr(d.text, '\n'),
			      "%s", d.text);
	}
	struct corridor_ledger *c = ledger_with_party(path_join(dir, "C"), op, m);
	grow(c, op, m, 1300, "split");
	char *split = strdup(path_join(dir, "split"));
	ck_assert_int_eq(corridor_tiles_export(c, split, true, &st, &d), 0);
	corridor_diag_init(&d);
	ck_assert_int_eq(corridor_tiles_import(replica, split, vk, &size, &d), CORRIDOR_E_VERIFY);
	ck_assert_msg(strstr(d.text, "split view"), "%s", d.text);
	for (int full = 0; full < 2; full++) {
		struct tree_only t = { .dir = split };
		corridor_diag_init(&d);
		ck_assert_int_eq(full ? corridor_monitor_run(mfull, corridor_tiles_dir_fetch, split,
							     split, vk, &mf, &d)
				      : corridor_monitor_run(mtree, tree_only_fetch, &t, split, vk,
							     &mf, &d),
				 CORRIDOR_E_VERIFY);
		ck_assert_msg(strstr(d.text, "split view") && d.has_seq, "%s", d.text);
	}
	/* another log's key, and a mirror behind what the monitor verified */
	corridor_diag_init(&d);
	ck_assert_int_eq(corridor_monitor_run(mtree, corridor_tiles_dir_fetch, mirror2, mirror2,
					      corridor_signer_vkey(m), &mf, &d),
			 CORRIDOR_E_VERIFY);
	ck_assert_int_eq(corridor_monitor_run(mfull, corridor_tiles_dir_fetch, mirror, mirror, vk,
					      &mf, &d),
			 CORRIDOR_E_VERIFY);
	ck_assert_msg(strstr(d.text, "behind"), "%s", d.text);
	/* a damaged state is refused, not trusted: a byte of its edge flipped
	 * (the state ends with the checkpoint, after its length) */
	size_t cpl;
	free(slurp(path_join(mtree, "checkpoint"), &cpl));
	flip(mtree, "state", cpl + 4 + 5);
	ck_assert_int_eq(corridor_monitor_run(mtree, corridor_tiles_dir_fetch, mirror2, mirror2, vk,
					      &mf, &d),
			 CORRIDOR_E_STORAGE);
	ck_assert_msg(strstr(d.text, "damaged"), "%s", d.text);
	/* a mirror behind the replica */
	ck_assert_int_eq(corridor_tiles_import(replica, mirror, vk, &size, &d), CORRIDOR_E_VERIFY);
	ck_assert_msg(strstr(d.text, "behind"), "%s", d.text);
	corridor_ledger_close(b);
	corridor_ledger_close(c);
	corridor_ledger_close(l);
	free(mirror);
	free(mirror2);
	free(replica);
	free(forged);
	free(split);
	free(mfull);
	free(mtree);
	free(dir);
	corridor_signer_free(op);
	corridor_signer_free(m);
}
END_TEST

/* A plain static web server (Python's http.server) over dir, on loopback. */
static pid_t static_server(const char *dir, const char *log, unsigned *port)
{
	pid_t pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		FILE *f = freopen(log, "w", stdout);
		if (!f || dup2(fileno(stdout), 2) < 0)
			_exit(127);
		execlp("python3", "python3", "-u", "-m", "http.server", "0", "--bind", "127.0.0.1",
		       "--directory", dir, (char *)NULL);
		_exit(127);
	}
	*port = 0;
	for (int i = 0; i < 100 && !*port; i++) {
		size_t n;
		char *t = (char *)slurp(log, &n);
		const char *p = t ? strstr(t, " port ") : NULL;
		if (p)
			*port = (unsigned)strtoul(p + 6, NULL, 10);
		free(t);
		if (!*port)
			nanosleep(&(struct timespec){ .tv_nsec = 100000000 }, NULL);
	}
	ck_assert_msg(*port > 0, "python3 -m http.server did not start");
	return pid;
}

/* The corridor binary with argv in the background, stdout and stderr to out. */
static pid_t spawn_cli(const char *const *argv, const char *out)
{
	pid_t pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		char *args[32];
		size_t n = 0;
		args[n++] = (char *)corridor_bin();
		for (; argv[n - 1] && n < 31; n++)
			args[n] = (char *)argv[n - 1];
		args[n] = NULL;
		FILE *f = freopen(out, "w", stdout);
		if (!f || dup2(fileno(stdout), 2) < 0)
			_exit(127);
		execv(corridor_bin(), args);
		_exit(127);
	}
	return pid;
}

/* Waits up to 60 s for `text` to appear in the file. */
static bool wait_text(const char *path, const char *text)
{
	for (int i = 0; i < 600; i++) {
		size_t n;
		char *t = (char *)slurp(path, &n);
		bool yes = t && strstr(t, text);
		free(t);
		if (yes)
			return true;
		nanosleep(&(struct timespec){ .tv_nsec = 100000000 }, NULL);
	}
	return false;
}

static size_t count_text(const char *s, const char *text)
{
	size_t n = 0;
	for (const char *p = s; (p = strstr(p, text)) != NULL; p += strlen(text))
		n++;
	return n;
}

START_TEST(replica_from_a_static_server)
{
	struct corridor_diag d;
	struct corridor_signer *op = test_signer("tiles.example/web", 0x51),
			       *m = test_signer("MN-GRID", 0x52);
	char *dir = tmpdir_new();
	char *mirror = strdup(path_join(dir, "www")), *log = strdup(path_join(dir, "http.log"));
	struct corridor_ledger *l = ledger_with_party(path_join(dir, "L"), op, m);
	struct corridor_tiles_stats st;
	grow(l, op, m, 700, "w");
	ck_assert_int_eq(corridor_tiles_export(l, mirror, true, &st, &d), 0);
	unsigned port;
	pid_t pid = static_server(mirror, log, &port);
	char url[64], vk[CORRIDOR_VKEY_BYTES_MAX + 1];
	snprintf(url, sizeof url, "http://127.0.0.1:%u/", port);
	corridor_vkey_format(corridor_signer_vkey(op), vk);
	const char *replica = path_join(dir, "replica");
	char *rep = strdup(replica);
	struct run x = run_cli((const char *const[]){ "import", "--tiles", url, "--vkey", vk,
						      "--ledger", rep, NULL },
			       NULL);
	ck_assert_msg(x.status == 0 && strstr(x.out, "holds 700 entries"), "%s %s", x.out, x.err);
	run_free(&x);
	x = run_cli((const char *const[]){ "verify", "--ledger", rep, NULL }, NULL);
	ck_assert_msg(x.status == 0, "%s", x.err);
	run_free(&x);
	/* a monitor over the web server: the tree, the entries, and what
	 * concerns MN-GRID (its registration and its 698 memos) */
	char *mon = strdup(path_join(dir, "mon")), *follow_out = strdup(path_join(dir, "follow.out"));
	x = run_cli((const char *const[]){ "monitor", "--from", url, "--vkey", vk, "--state", mon,
					    "--watch", "MN-GRID", NULL },
		    NULL);
	ck_assert_msg(x.status == 0 && strstr(x.out, "checkpoint 700 of tiles.example/web verified") &&
			      strstr(x.out, "holds 700, every one verified") &&
			      count_text(x.out, "watch MN-GRID: ") == 699 &&
			      strstr(x.out, "watch: 699 new entries concern MN-GRID"),
		      "%d %.300s %s", x.status, x.out, x.err);
	run_free(&x);
	/* bad options: one line, exit 2 */
	x = run_cli((const char *const[]){ "monitor", "--from", mirror, "--vkey", vk, NULL }, NULL);
	ck_assert_msg(x.status == 2 && strstr(x.err, "--state"), "%d %s", x.status, x.err);
	run_free(&x);
	/* a hostile verifier key: refused, its bytes escaped */
	x = run_cli((const char *const[]){ "monitor", "--from", mirror, "--vkey", "evil\x1b[2J+zz",
					    "--state", mon, NULL },
		    NULL);
	ck_assert_msg(x.status == 1 && strstr(x.err, "not a valid verifier key") &&
			      !strchr(x.err, '\x1b'),
		      "%d %s", x.status, x.err);
	run_free(&x);
	/* following: each new checkpoint as it appears */
	pid_t fpid = spawn_cli((const char *const[]){ "monitor", "--from", url, "--vkey", vk,
						       "--state", mon, "--watch", "MN-GRID",
						       "--follow", "--interval", "1", NULL },
			       follow_out);
	/* the log grows; the mirror is exported again; a forged new tile on the
	 * web server is caught, in one line */
	grow(l, op, m, 900, "v");
	ck_assert_int_eq(corridor_tiles_export(l, mirror, true, &st, &d), 0);
	ck_assert_msg(wait_text(follow_out, "watch: 200 new entries concern MN-GRID"),
		      "the follower did not see size 900");
	ck_assert(wait_text(follow_out, "checkpoint 900 of tiles.example/web verified"));
	flip(mirror, "tile/0/003.p/132", 5);
	x = run_cli((const char *const[]){ "import", "--tiles", url, "--vkey", vk, "--ledger", rep,
					    NULL },
		    NULL);
	ck_assert_msg(x.status == 1 && strstr(x.err, "tile/0/003.p/132") &&
			      strchr(x.err, '\n') == x.err + strlen(x.err) - 1,
		      "%d %s", x.status, x.err);
	run_free(&x);
	/* the web server's files replaced by a history rewritten with the
	 * operator's key: the follower stops at the seq, exit 1 */
	struct corridor_ledger *b = ledger_with_party(path_join(dir, "B"), op, m);
	grow(b, op, m, 1000, "rewritten");
	char *forged = strdup(path_join(dir, "forged")), *old_www = strdup(path_join(dir, "www.old"));
	ck_assert_int_eq(corridor_tiles_export(b, forged, true, &st, &d), 0);
	ck_assert(rename(mirror, old_www) == 0 && rename(forged, mirror) == 0);
	int status = 0;
	for (int i = 0; i < 600 && waitpid(fpid, &status, WNOHANG) == 0; i++)
		nanosleep(&(struct timespec){ .tv_nsec = 100000000 }, NULL);
	size_t fl;
	char *fo = (char *)slurp(follow_out, &fl);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 1 && fo && strstr(fo, "900"),
		      "%d %s", status, fo);
	free(fo);
	corridor_ledger_close(b);
	free(forged);
	free(old_www);
	free(mon);
	free(follow_out);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	corridor_ledger_close(l);
	free(mirror);
	free(log);
	free(rep);
	free(dir);
	corridor_signer_free(op);
	corridor_signer_free(m);
}
END_TEST

Suite *suite_tiles(void)
{
	Suite *s = suite_create("tiles");
	TCase *tc = tcase_create("tiles");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, tile_paths);
	tcase_add_test(tc, tiles_census_and_export);
	tcase_add_test(tc, replica_from_tiles);
	tcase_add_test(tc, replica_from_a_static_server);
	suite_add_tcase(s, tc);
	return s;
}
