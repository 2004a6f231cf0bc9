/* cmd_archive.c — corridor export | import | tiles export. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cmd_export(int argc, char **argv)
{
	const char *format = NULL, *out = NULL, *from_s = NULL, *ledger = NULL, *party = NULL;
	const struct cli_opt opts[] = {
		{ "party", &party, NULL, NULL, NULL, 0 },
		{ "format", &format, NULL, NULL, NULL, 0 },
		{ "out", &out, NULL, NULL, NULL, 0 },
		{ "from", &from_s, NULL, NULL, NULL, 0 },
		{ "ledger", &ledger, NULL, NULL, NULL, 0 },
	};
	const char *pos[1];
	size_t np;
	if (!cli_parse(argc, argv, opts, sizeof opts / sizeof opts[0], pos, 0, 0, &np, "export"))
		return EXIT_USAGE;
	bool journal = format && strcmp(format, "journal") == 0;
	if (!format || (!journal && strcmp(format, "archive") != 0) || !out)
		return cli_usage("--format archive|journal and --out FILE are required; usage: %s",
				 cli_usage_line());
	if (journal && from_s)
		return cli_usage("--from goes with --format archive");
	if (party && !journal)
		return cli_usage("--party goes with --format journal (that party's books)");
	uint64_t from = 0;
	if (from_s && !cli_u64(from_s, &from))
		return cli_usage("--from must be a seq");
	if (cli_server.url) {
		if (journal)
			return cli_usage("with --server, export --format archive: the archive, or "
					 "the reader's view");
		return cli_archive_fetch(from, out);
	}
	struct corridor_ledger *l;
	struct corridor_diag d;
	corridor_diag_init(&d);
	int rc = cli_open_ro(ledger, &l);
	if (rc)
		return rc;
	int err = journal ? corridor_export_journal_of(l, party, out, &d)
			  : corridor_archive_export_with(l, from, out, cli_progress, (void *)"export",
							 &d);
	cli_progress_end("export");
	corridor_ledger_close(l);
	if (err)
		return cli_fail(err, &d);
	printf("wrote %s\n", out);
	return EXIT_OK;
}

int cmd_import(int argc, char **argv)
{
	const char *archive = NULL, *vkey = NULL, *ledger = NULL, *key = NULL, *pass_file = NULL,
		   *tiles = NULL;
	bool restore = false;
	const struct cli_opt opts[] = {
		{ "archive", &archive, NULL, NULL, NULL, 0 },
		{ "restore", NULL, &restore, NULL, NULL, 0 },
		{ "tiles", &tiles, NULL, NULL, NULL, 0 },
		{ "vkey", &vkey, NULL, NULL, NULL, 0 },
		{ "ledger", &ledger, NULL, NULL, NULL, 0 },
		{ "key", &key, NULL, NULL, NULL, 0 },
		{ "passphrase-file", &pass_file, NULL, NULL, NULL, 0 },
	};
	const char *pos[1];
	size_t np;
	if (!cli_parse(argc, argv, opts, 7, pos, 0, 0, &np, "import"))
		return EXIT_USAGE;
	if (restore && !vkey)
		return cli_usage("--restore needs --vkey, the operator's verifier key");
	if (restore && cli_server.url)
		return cli_usage("--restore is run on the operator's host, the service stopped");
	if (tiles) { /* a replica fed from a tiles mirror: a directory or a URL */
		if (archive)
			return cli_usage("--archive or --tiles, not both");
		return cli_tiles_import(cli_ledger_dir(ledger), tiles, vkey, restore, key, pass_file);
	}
	if (cli_server.url) { /* the replica fed from the server's archive */
		uint64_t size = 0;
		if (archive)
			return cli_usage("with --server, the archive comes from the server");
		const char *dir = cli_ledger_dir(ledger);
		int rc = cli_replica_sync(key, pass_file, dir, &size);
		if (!rc)
			printf("replica %s holds %llu entries\n", dir, (unsigned long long)size);
		return rc;
	}
	if (!archive)
		return cli_usage("--archive FILE is required; usage: %s", cli_usage_line());
	struct corridor_vkey vk;
	if (vkey) {
		int rc = cli_vkey(vkey, &vk);
		if (rc)
			return rc;
	}
	struct corridor_diag d;
	corridor_diag_init(&d);
	uint64_t size = 0;
	const char *dir = cli_ledger_dir(ledger);
	int err = restore ? corridor_archive_restore(dir, archive, &vk, &size, &d)
			  : corridor_archive_import_with(dir, archive, vkey ? &vk : NULL, cli_progress,
							 (void *)"import", &size, &d);
	cli_progress_end("import");
	if (err)
		return cli_fail(err, &d);
	printf("%s %s holds %llu entries\n", restore ? "ledger" : "replica", dir,
	       (unsigned long long)size);
	return EXIT_OK;
}

int cmd_backup(int argc, char **argv)
{
	const char *out = NULL, *ledger = NULL;
	const struct cli_opt opts[] = {
		{ "out", &out, NULL, NULL, NULL, 0 },
		{ "ledger", &ledger, NULL, NULL, NULL, 0 },
	};
	const char *pos[1];
	size_t np;
	if (!cli_parse(argc, argv, opts, 2, pos, 0, 0, &np, "backup"))
		return EXIT_USAGE;
	if (!out)
		return cli_usage("--out DIR is required; usage: corridor backup --out DIR");
	struct corridor_ledger *l;
	struct corridor_diag d;
	corridor_diag_init(&d);
	int rc = cli_open_ro(ledger, &l);
	if (rc)
		return rc;
	int err = corridor_ledger_backup(l, out, &d);
	corridor_ledger_close(l);
	if (err)
		return cli_fail(err, &d);
	printf("backup written to %s\n", out);
	return EXIT_OK;
}

int cmd_tiles(int argc, char **argv)
{
	const char *out = NULL, *ledger = NULL;
	bool entries = false;
	const struct cli_opt opts[] = {
		{ "out", &out, NULL, NULL, NULL, 0 },
		{ "ledger", &ledger, NULL, NULL, NULL, 0 },
		{ "entries", NULL, &entries, NULL, NULL, 0 },
	};
	const char *pos[1];
	size_t np;
	if (!cli_parse(argc, argv, opts, 3, pos, 1, 1, &np, "tiles"))
		return EXIT_USAGE;
	if (strcmp(pos[0], "export") != 0 || !out)
		return cli_usage("usage: %s", cli_usage_line());
	struct corridor_ledger *l;
	struct corridor_tiles_stats st;
	struct corridor_diag d;
	corridor_diag_init(&d);
	int rc = cli_open_ro(ledger, &l);
	if (rc)
		return rc;
	static const char label[] = "tiles export";
	int err = corridor_tiles_export_with(l, out, entries, cli_progress, (void *)label, &st, &d);
	cli_progress_end(label);
	corridor_ledger_close(l);
	if (err)
		return cli_fail(err, &d);
	if (st.size == st.from_size)
		printf("%s is up to date: tree size %llu\n", out, (unsigned long long)st.size);
	else
		printf("wrote %s: tree size %llu (from %llu), %zu tiles, %zu entry bundles\n", out,
		       (unsigned long long)st.size, (unsigned long long)st.from_size, st.tiles,
		       st.bundles);
	return EXIT_OK;
}
