/* cli.h — what the command files share: options, passphrases, output, exits. */
#ifndef CORRIDOR_CLI_H
#define CORRIDOR_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "corridor/corridor.h"

/* Exit codes (README "Exit codes"). */
enum cli_exit {
	EXIT_OK = 0,
	EXIT_REFUSED = 1, /* verification failed, or a rule refused the request */
	EXIT_USAGE = 2,
	EXIT_STORAGE = 3, /* I/O, storage, disk full, out of memory */
};

#define CLI_POSITIONAL_MAX 8u

/* One option of a command: --name VALUE (value), --name (flag), or a
 * repeatable --name VALUE collected into list[0, *count) (at most max). */
struct cli_opt {
	const char *name;
	const char **value;
	bool *flag;
	const char **list;
	size_t *count;
	size_t max;
};

/* ---- the commands: one table (commands.c), everything printed from it (help.c) ---- */

#define CLI_OPTS_MAX 12u
enum { CLI_REQUIRED = 1, CLI_MANY = 2 };
/* An option as the help shows it: arg NULL for a flag. */
struct cli_optdoc {
	const char *name, *arg, *help;
	unsigned flags;
};
/* The options most commands share (CLI_COMMON_OPTS, in this order). */
enum { CLI_C_LEDGER = 1, CLI_C_PASS = 2, CLI_C_IDEM = 4 };
struct cli_cmd {
	const char *path;    /* "delivery import" */
	const char *args;    /* the positional arguments, or NULL */
	const char *summary; /* one line */
	unsigned common;     /* CLI_C_* */
	const char *group;   /* the overview's heading */
	struct cli_optdoc opts[CLI_OPTS_MAX];
	const char *examples; /* lines */
};
extern const struct cli_cmd CLI_COMMANDS[];
extern const size_t CLI_COMMAND_COUNT;
extern const struct cli_optdoc CLI_COMMON_OPTS[];
/* The command being run, once cli_parse has found it. */
extern const struct cli_cmd *cli_current;

const struct cli_cmd *cli_cmd_find(const char *path);
/* c's i-th option (its own, then the shared ones); NULL past the last. */
const struct cli_optdoc *cli_cmd_opt_at(const struct cli_cmd *c, size_t i);
const struct cli_optdoc *cli_cmd_opt(const struct cli_cmd *c, const char *name, size_t nlen);
/* The long option a short form (-p, -b, -e, -M, -Q, -Y) stands for in
 * command c, or NULL. */
const char *cli_short_option(const struct cli_cmd *c, const char *arg);
/* The option of c nearest to name (a misspelling), or NULL. */
const char *cli_suggest_option(const struct cli_cmd *c, const char *name, size_t nlen);
/* "corridor PATH --required ARG [OPTIONS] ARGS" (a static buffer). */
const char *cli_synopsis(const struct cli_cmd *c);
/* The synopsis of the command being run, for usage errors. */
const char *cli_usage_line(void);
void cli_help(const struct cli_cmd *c, FILE *f);
void cli_overview(FILE *f);
/* Whether word is a command or the first word of some. */
bool cli_is_family(const char *word);
/* A family's dispatcher found no subcommand in argv: its list for --help
 * (exit 0), else a usage error with the nearest subcommand. */
int cli_no_subcommand(const char *family, int argc, char **argv);
/* An unknown first word: a usage error with the nearest command. */
int cli_unknown_command(const char *word);
/* `corridor help [CMD...|--man|--completion]`. */
int cli_help_command(int argc, char **argv);

/* Parses argv[0..argc) as command `path` (for a family whose subcommand is
 * its first positional, the family: "report"): the options its table entry
 * lists, each bound in opts (asserted); positionals go to pos. --help or -h
 * prints the command's help and exits 0. Prints a usage error and returns
 * false on anything else it does not know. */
bool cli_parse(int argc, char **argv, const struct cli_opt *opts, size_t nopts,
	       const char **pos, size_t pos_min, size_t pos_max, size_t *npos, const char *path);
/* ---- tables (table.c) ---- */

#define CLI_TABLE_COLS_MAX 16u
#define CLI_NUM_BYTES 48u /* a grouped number: "-9,223,372,036,854,775.807" */
/* A column: its header, its width in display columns, whether it holds
 * numbers (right-aligned, never cut). */
struct cli_col {
	const char *header;
	unsigned width;
	bool number;
};
/* The header row, then rows: cells escaped, padded to their column's width
 * by display width, text cut with an ellipsis (the last column's never),
 * two spaces between columns. */
void cli_table_head(const struct cli_col *cols, size_t n);
void cli_table_row(const struct cli_col *cols, size_t n, const char *const *cells);
/* A decimal ("1234567.89") with thousands separators ("1,234,567.89"). */
const char *cli_grouped(const char *dec, char out[CLI_NUM_BYTES]);
/* Terminal columns of UTF-8 text, and of one code point. */
size_t cli_display_width(const char *s);
unsigned cli_cp_width(uint32_t c);

/* --ledger and --passphrase-file given before the command. */
extern const char *cli_global_ledger, *cli_global_pass_file;

/* Prints "corridor: <diag or strerror>" and returns the exit code for err. */
int cli_fail(int err, const struct corridor_diag *diag);
/* Prints a usage error and returns EXIT_USAGE. */
int cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int cli_exit_code(int err);

/* The ledger directory: --ledger, else $CORRIDOR_LEDGER, else ./corridor-ledger. */
const char *cli_ledger_dir(const char *opt);
/* Opens the ledger, printing the error. Returns 0 or an exit code. */
int cli_open(const char *opt_dir, struct corridor_ledger **out);
/* The server given by --server/--server-vkey/--cacert anywhere on the
 * command line (main takes them out of argv), or CORRIDOR_SERVER and
 * CORRIDOR_SERVER_VKEY: cli_open and cli_open_ro then open the remote
 * ledger (docs/SERVICE.md "Remote mode"). */
struct cli_server {
	const char *url, *vkey, *cacert;
	/* a read's --key, --passphrase-file and --replica, where the command
	 * has no such option of its own: cli_open_ro reads a verified replica */
	const char *read_key, *read_pass_file, *replica;
};
extern struct cli_server cli_server;
/* A signed read from the server by the reader's key file: GET path+query,
 * the body printed as it comes (JSON). Returns an exit code. */
int cli_remote_get(const char *key, const char *pass_file, const char *path, const char *query);
/* Brings the replica in `dir` up to the server (created if missing): the
 * archive from the replica's size, a signed read by the key file's party
 * (one entitled to everything), verified and imported. *size: its entries
 * after. Returns an exit code. */
int cli_replica_sync(const char *key, const char *pass_file, const char *dir, uint64_t *size);
/* With --server: GET /v1/archive?from=SEQ signed by --key, written to `out`
 * (created) and kept only if it verifies with --server-vkey: the whole
 * archive (from 0), or the reader's view. Returns an exit code. */
int cli_archive_fetch(uint64_t from, const char *out);
/* Verifies a reader's view file (docs/FORMAT.md §8a) with the operator's
 * verifier key and prints what it holds (its entries as JSON lines with
 * `entries`, the summary then on stderr). Returns an exit code. */
int cli_view_check(const char *path, const char *vkey, bool entries);
/* Brings the replica up to a tiles mirror: a directory, or an http(s) URL
 * (requests signed with the key file, if given, as corridor serve asks for
 * entry bundles). Returns an exit code. */
int cli_tiles_import(const char *replica, const char *source, const char *vkey, bool restore,
		     const char *key,
		     const char *pass_file);
/* One HTTP POST (client/client.h corridor_http_post), for the service's
 * witness requests. */
int cli_http_post(const char *url, const char *body, size_t len, long timeout_s, long *status,
		  char **answer, size_t *answer_len, struct corridor_diag *diag);
/* "ADDR:PORT" (IPv4, port 0..65535) for a server to listen on. */
struct sockaddr_in;
bool cli_parse_listen(const char *s, struct sockaddr_in *sa);
/* Takes the global options out of argv (before `--`); returns the new argc,
 * or -1 after a usage error. */
int cli_take_global_options(int argc, char **argv);
/* The same, read-only: for commands that only read (verify, log, reports...). */
int cli_open_ro(const char *opt_dir, struct corridor_ledger **out);

/* Reads a passphrase: --passphrase-file, else $CORRIDOR_PASSPHRASE, else a
 * no-echo prompt on the terminal (asked twice if confirm). The buffer is
 * sodium_malloc'd; free it with cli_passphrase_free. Returns 0 or an exit code. */
int cli_passphrase(const char *file_opt, bool confirm, char **out, size_t *len);
void cli_passphrase_free(char *p, size_t len);

/* Loads a key file with the passphrase. Returns 0 or an exit code. */
int cli_signer(const char *path, const char *pass_file, struct corridor_signer **out);

/* Reads a whole input file (or pipe) of at most max bytes into a malloc'd,
 * NUL-terminated buffer sized to what it holds. Prints one line and returns
 * an exit code if it cannot be opened or read, is larger than max, or memory
 * runs out; returns 0 otherwise. */
int cli_read_input(const char *path, size_t max, char **buf, size_t *len);

/* Prints s to stdout as a JSON string literal, or as one RFC 4180 CSV field
 * (quoted when it holds a comma, quote, CR or LF). Write errors show in
 * ferror(stdout). */
void cli_json_str(const char *s);
/* A seq as a CSV field: empty for none (0), as JSON writes null. */
void cli_csv_seq(uint64_t seq);
void cli_csv_str(const char *s);
/* The importers' one opening: reads `file` (at most max bytes), checks it
 * with corridor_import_check, and only then opens the ledger and unseals the
 * key. Returns 0, or an exit code with the error printed. */
int cli_import_open(const char *file, size_t max, enum corridor_import_format format,
		    const char *ledger, const char *key, const char *pass_file, char **buf,
		    size_t *len, struct corridor_ledger **l, struct corridor_signer **s);
/* s escaped for a table (corridor_escape), in one of four rotating buffers. */
#define CLI_SAFE_BYTES_MAX 1024u
const char *cli_safe(const char *s);

/* Parses a --vkey value: the verifier key string itself, or a file holding it. */
int cli_vkey(const char *arg, struct corridor_vkey *out);

/* --format: NULL or "table", "json", and "csv" where allowed. Prints the
 * usage error and returns EXIT_USAGE for anything else, else EXIT_OK. */
enum cli_format { CLI_TABLE, CLI_CSV, CLI_JSON, CLI_JSONL };
int cli_format(const char *s, bool allow_csv, enum cli_format *out);
/* The same for a list, which may also be `jsonl` (one object a line). */
int cli_list_format(const char *s, bool allow_csv, enum cli_format *out);
/* A list's JSON framing: an array for json, an object a line for jsonl.
 * cli_list_open before the first record, cli_list_item before each and
 * cli_list_item_end after it, cli_list_close after the last. */
struct cli_list {
	enum cli_format f;
	size_t n;
};
void cli_list_open(struct cli_list *l);
void cli_list_item(struct cli_list *l);
void cli_list_item_end(struct cli_list *l);
void cli_list_close(struct cli_list *l);
/* A reading command's ledger, or the server's view of the reader's part.
 * Locally, and with --server for a reader entitled to everything, as
 * cli_open_ro: *out set. With --server for any other reader, the JSON view
 * GET path+query (docs/SERVICE.md "JSON views"): printed as it comes for
 * --format json (*out NULL, doc->body NULL: done), else handed back in doc
 * for the command to decode (corridor/views.h) and print as a table or CSV.
 * Returns 0 or an exit code. */
struct cli_doc {
	char *body;
	size_t len;
};
int cli_open_view(const char *opt_dir, enum cli_format f, const char *path, const char *query,
		  struct corridor_ledger **out, struct cli_doc *doc);
/* With --server, for a reader who reads views: contract id as its view of
 * its contracts shows it (fetched once a run). Errors: CORRIDOR_E_NOTFOUND
 * (no server, or not a contract it sees), CORRIDOR_E_IO (printed). */
int cli_view_contract(const char *id, struct corridor_contract *out);
/* Frees doc's body; the exit code of a decode that returned err. */
int cli_view_fail(int err, const struct corridor_diag *d, struct cli_doc *doc);
/* Appends name=value (percent-encoded; nothing if value is NULL) to the
 * query q ("" or "?..."), within cap. */
void cli_query_add(char *q, size_t cap, const char *name, const char *value);
/* prefix + one path segment, percent-encoded. */
#define CLI_VIEW_PATH_BYTES 512
void cli_view_path(char out[CLI_VIEW_PATH_BYTES], const char *prefix, const char *segment);


/* --period YYYY-MM: the days since the epoch of the month's first day. */
bool cli_period(const char *s, int32_t *first_day);

/* The subcommand among argv (the first argument that is not an option of
 * opts or its value), or NULL. */
const char *cli_subcommand(int argc, char **argv, const struct cli_opt *opts, size_t nopts);

/* Parses a decimal seq or count. */
bool cli_u64(const char *s, uint64_t *out);

/* Progress on a terminal (stderr), silent otherwise. */
void cli_progress(void *label, uint64_t done, uint64_t total);
void cli_progress_end(const char *label);

/* Formats time_us as 2026-11-28T18:13:08.123456Z. */
void cli_time(uint64_t time_us, char out[40]);

/* Resolves the signer, appends, prints the seq: the common tail of writes. */
int cli_print_seq(int err, uint64_t seq, const struct corridor_diag *d);

/* One signed write: opens the ledger, unseals the signer's key, runs fn, closes,
 * and prints the seq fn returns. Returns the exit code. */
typedef int (*cli_write_fn)(struct corridor_ledger *l, const struct corridor_signer *s, void *ctx,
			    uint64_t *seq, struct corridor_diag *d);
int cli_write(const char *ledger_opt, const char *key, const char *pass_file, cli_write_fn fn,
	      void *ctx);

int cmd_key(int argc, char **argv);
int cmd_party(int argc, char **argv);
int cmd_attest(int argc, char **argv);
int cmd_contract(int argc, char **argv);
int cmd_delivery(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_currency(int argc, char **argv);
int cmd_rate(int argc, char **argv);
int cmd_settle(int argc, char **argv);
int cmd_payment(int argc, char **argv);
int cmd_backup(int argc, char **argv);
/* service/serve.c */
int cmd_serve(int argc, char **argv);
int cmd_witness(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_memo(int argc, char **argv);
int cmd_log(int argc, char **argv);
int cmd_entry(int argc, char **argv);
int cmd_checkpoint(int argc, char **argv);
int cmd_prove(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_tiles(int argc, char **argv);
int cmd_monitor(int argc, char **argv);
/* One entry as a line of `corridor log`'s table, and that table's header. */
void cli_entry_line(const struct corridor_entry *e);
void cli_entry_head(void);
int cmd_import(int argc, char **argv);

#endif
