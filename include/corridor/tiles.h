/*
 * corridor/tiles.h — the log as C2SP tlog-tiles (c2sp.org/tlog-tiles):
 * hash tiles and entry bundles, read from a ledger or written into a
 * directory any static web server can publish (docs/FORMAT.md §11).
 * Part of the public API; include <corridor/corridor.h> for all of it.
 */
#ifndef CORRIDOR_API_TILES_H
#define CORRIDOR_API_TILES_H

#include "log.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Hashes in a full tile, entries in a full bundle. */
#define CORRIDOR_TILE_WIDTH 256u
/** Tile levels: 0..63 (level l holds tree level 8 l). */
#define CORRIDOR_TILE_LEVELS 64u
#define CORRIDOR_TILE_PATH_BYTES 128u
/** The level of an entry bundle in the functions below. */
#define CORRIDOR_TILE_ENTRIES (-1)

/** "tile/<L>/<N>[.p/<W>]" (or "tile/entries/<N>[.p/<W>]" for level
 *  CORRIDOR_TILE_ENTRIES), N in x-prefixed groups of three digits; width
 *  256 is a full tile, 1..255 a partial one. */
void corridor_tile_path(int level, uint64_t index, unsigned width,
			char out[CORRIDOR_TILE_PATH_BYTES]);
/** Parses such a path (without a leading '/'), exactly as the spec writes
 *  it: no leading zeros, no width 0 or 256 in ".p/".
 *  Errors: CORRIDOR_E_MALFORMED. */
CORRIDOR_MUST_CHECK int corridor_tile_path_parse(const char *path, int *level, uint64_t *index,
						 unsigned *width);

/** The tile (level 0..63, index, width): width x 32 bytes into out. The log
 *  serves a full tile inside the tree of its latest signed checkpoint, and a
 *  partial tile only at a width some signed checkpoint's tree size gives
 *  (floor(size / 256^level) mod 256). Errors: CORRIDOR_E_NOTFOUND (no such
 *  tile), the read errors. */
CORRIDOR_MUST_CHECK int corridor_tile_read(struct corridor_ledger *ledger, unsigned level,
					   uint64_t index, unsigned width,
					   uint8_t out[CORRIDOR_TILE_WIDTH * CORRIDOR_HASH_BYTES],
					   struct corridor_diag *diag);
/** The entry bundle (index, width): each entry's canonical bytes after its
 *  length as a big-endian uint16, in a malloc'd buffer; which bundles exist
 *  as for level-0 tiles. Errors: as corridor_tile_read, CORRIDOR_E_NOMEM. */
CORRIDOR_MUST_CHECK int corridor_bundle_read(struct corridor_ledger *ledger, uint64_t index,
					     unsigned width, uint8_t **out, size_t *len,
					     struct corridor_diag *diag);

struct corridor_tiles_stats {
	uint64_t from_size, size; /* the export continued from from_size, up to size */
	size_t tiles, bundles;    /* files written */
};
/** Writes the tiles of the log up to its latest signed checkpoint into dir
 *  (created if missing): only what is new since the checkpoint dir holds,
 *  the full tiles completed since, the partial tiles of every signed
 *  checkpoint since, and (with `entries`) the entry bundles likewise; each
 *  file by a temporary file and a rename, `checkpoint` last, so a static
 *  server publishes a consistent log at every moment. A dir whose
 *  checkpoint is not an earlier state of this log (another origin, a larger
 *  size, another root at that size) is refused.
 *  Errors: CORRIDOR_E_NOTFOUND (no signed checkpoint), CORRIDOR_E_REFUSED,
 *  CORRIDOR_E_IO, CORRIDOR_E_FULL, the read errors. */
CORRIDOR_MUST_CHECK int corridor_tiles_export(struct corridor_ledger *ledger, const char *dir,
					      bool entries, struct corridor_tiles_stats *stats,
					      struct corridor_diag *diag);
/** The same, reporting the entries written of the new ones to `progress`. */
CORRIDOR_MUST_CHECK int corridor_tiles_export_with(struct corridor_ledger *ledger,
						   const char *dir, bool entries,
						   corridor_progress_fn progress,
						   void *progress_ctx,
						   struct corridor_tiles_stats *stats,
						   struct corridor_diag *diag);

/** Brings the replica in `replica` (created if missing) up to the tiles in
 *  `dir` (an export, or a copy of a served log): the entries past the
 *  replica's size read from the entry bundles and verified exactly as
 *  corridor_archive_import verifies an archive (signatures, chain, every
 *  rule replayed, the root against the mirror's checkpoint, that checkpoint
 *  signed by `vkey` if given and consistent with the replica's), then every
 *  new hash tile of the mirror compared with the tree rebuilt from them.
 *  *size_out: the replica's size after. Errors: CORRIDOR_E_NOTFOUND (a
 *  bundle missing), CORRIDOR_E_VERIFY (what does not verify, with the seq:
 *  a forged bundle, a forged tile, a rewritten history, a checkpoint behind
 *  the replica), those of corridor_archive_import. */
CORRIDOR_MUST_CHECK int corridor_tiles_import(const char *replica, const char *dir,
					      const struct corridor_vkey *vkey,
					      uint64_t *size_out, struct corridor_diag *diag);
/** Where tiles come from: `rel` ("checkpoint", "tile/...") whole, at most
 *  max bytes, in a malloc'd buffer. Returns CORRIDOR_OK, CORRIDOR_E_NOTFOUND
 *  (no such file), or another error described in diag. */
typedef int (*corridor_fetch_fn)(void *ctx, const char *rel, size_t max, uint8_t **data,
				 size_t *len, struct corridor_diag *diag);
/** The fetcher of a tiles directory: ctx is the directory's path. */
CORRIDOR_MUST_CHECK int corridor_tiles_dir_fetch(void *ctx, const char *rel, size_t max,
						 uint8_t **data, size_t *len,
						 struct corridor_diag *diag);
/** corridor_tiles_import from any source (a directory, a web server);
 *  `where` names it in messages. */
CORRIDOR_MUST_CHECK int corridor_tiles_import_from(const char *replica, corridor_fetch_fn fetch,
						   void *ctx, const char *where,
						   const struct corridor_vkey *vkey,
						   uint64_t *size_out, struct corridor_diag *diag);
/** The same, reporting its progress to `progress`: the new entries fetched,
 *  then verified, of twice their number. */
CORRIDOR_MUST_CHECK int corridor_tiles_import_with(const char *replica, corridor_fetch_fn fetch,
						   void *ctx, const char *where,
						   const struct corridor_vkey *vkey,
						   corridor_progress_fn progress,
						   void *progress_ctx, uint64_t *size_out,
						   struct corridor_diag *diag);

/** corridor_archive_restore from tiles: the operator's ledger in `ledger`,
 *  restored from an older backup, takes back the entries a mirror of it
 *  (an export with --entries, a monitor's replica served as tiles) holds
 *  past its size. vkey is required. Errors: as corridor_tiles_import_from
 *  and corridor_archive_restore. */
CORRIDOR_MUST_CHECK int corridor_tiles_restore_from(const char *ledger, corridor_fetch_fn fetch,
						    void *ctx, const char *where,
						    const struct corridor_vkey *vkey,
						    uint64_t *size_out,
						    struct corridor_diag *diag);

/* ---- a monitor: following the log by its tiles (docs/AUDITING.md) ---- */

/** The state a monitor keeps, beside its replica: files "state" (the last
 *  verified checkpoint and the right edge of its tile tree, docs/FORMAT.md
 *  §11c), "leaves" (every verified leaf hash, 32 bytes per entry),
 *  "checkpoint" (a copy of that checkpoint, for people) and "replica". */
#define CORRIDOR_MONITOR_STATE_BYTES_MAX ((size_t)1 << 20)

struct corridor_monitor_result {
	char origin[CORRIDOR_NAME_BYTES_MAX + 1];
	uint64_t from_size, size;          /* the tree verified before this run, and now */
	uint8_t root[CORRIDOR_HASH_BYTES]; /* of the tree of `size` */
	size_t tiles;                      /* hash tiles fetched and checked */
	bool entries;                      /* the new entries read and verified into the replica */
	uint64_t replica_size;             /* the replica's size after the run */
	char no_entries[CORRIDOR_DIAG_BYTES_MAX]; /* when !entries: why */
};

/** One run of a monitor on the log the fetcher reads (a tiles directory, a
 *  web mirror, corridor serve), with its state in state_dir (created 0700
 *  if missing). The checkpoint is fetched once; it must be signed by vkey
 *  (whose name is the log's origin) and be an extension of the one verified
 *  last: same origin, no smaller, the same root at the same size (else a
 *  split view), and the leaves of the new level-0 tiles, appended to the
 *  verified edge, give its root (else a rewritten history, named by the first
 *  leaf that differs from the one verified before, or a forged tile). Every
 *  new tile of every level is checked against the tree rebuilt from the
 *  leaves. Where the entry bundles can be read, the new entries go into the
 *  replica first, verified exactly as corridor_tiles_import verifies them;
 *  where they cannot (403, or exported without --entries) the tree alone is
 *  verified and r->no_entries says why. The state is recorded last, only if
 *  everything held. Errors: CORRIDOR_E_VERIFY (with the seq where there is
 *  one), CORRIDOR_E_KEY (vkey is not the origin's), CORRIDOR_E_MALFORMED,
 *  CORRIDOR_E_NOTFOUND (no checkpoint), CORRIDOR_E_STORAGE (a damaged state
 *  directory), CORRIDOR_E_IO, CORRIDOR_E_FULL, the fetcher's and
 *  corridor_tiles_import_from's. */
CORRIDOR_MUST_CHECK int corridor_monitor_run(const char *state_dir, corridor_fetch_fn fetch,
					     void *ctx, const char *where,
					     const struct corridor_vkey *vkey,
					     struct corridor_monitor_result *r,
					     struct corridor_diag *diag);
/** The same, reporting the catch-up of its replica (the new entries
 *  fetched, then verified, of twice their number) to `progress`. */
CORRIDOR_MUST_CHECK int corridor_monitor_run_with(const char *state_dir, corridor_fetch_fn fetch,
						  void *ctx, const char *where,
						  const struct corridor_vkey *vkey,
						  corridor_progress_fn progress,
						  void *progress_ctx,
						  struct corridor_monitor_result *r,
						  struct corridor_diag *diag);
/** The leaf hashes of entries [first, first + count) as the monitor in
 *  state_dir verified them (count x 32 bytes into out), to check entries
 *  obtained elsewhere (a party's view) against the tree.
 *  Errors: CORRIDOR_E_NOTFOUND (past the verified size), CORRIDOR_E_STORAGE,
 *  CORRIDOR_E_IO. */
CORRIDOR_MUST_CHECK int corridor_monitor_leaves(const char *state_dir, uint64_t first,
						size_t count, uint8_t *out,
						struct corridor_diag *diag);

#ifdef __cplusplus
}
#endif

#endif
