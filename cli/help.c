/*
 * help.c — what the command table (commands.c) prints: a command's help,
 * the overview, suggestions for misspellings, the man page corridor(1) and
 * the bash completion. Nothing here is written by hand per command.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define CLI_PATH_BYTES_MAX 64u
#define CLI_SYNOPSIS_BYTES_MAX 1024u
#define SUGGEST_DISTANCE_MAX 2u /* edits a misspelling may be from what is meant */

static const char GLOBALS[] =
	"global options (before or after the command):\n"
	"  --ledger DIR            the ledger directory (default: $CORRIDOR_LEDGER, else "
	"./corridor-ledger)\n"
	"  --passphrase-file FILE  the key file's passphrase (default: $CORRIDOR_PASSPHRASE, else a "
	"prompt)\n"
	"  --server URL            work on a ledger served by `corridor serve` "
	"(default: $CORRIDOR_SERVER)\n"
	"  --server-vkey VKEY      the operator's verifier key the server must prove "
	"(default: $CORRIDOR_SERVER_VKEY)\n"
	"  --cacert FILE           the CA of an https server (default: the system's)\n"
	"  with --server, a reading command takes --key FILE (the reader) and --replica DIR\n";

static const char FOOTER[] =
	"  --                      ends the options: what follows is an argument\n"
	"exit codes: 0 ok, 1 refused or verification failed, 2 usage, 3 I/O or storage\n";

const struct cli_cmd *cli_cmd_find(const char *path)
{
	for (size_t i = 0; i < CLI_COMMAND_COUNT; i++)
		if (strcmp(CLI_COMMANDS[i].path, path) == 0)
			return &CLI_COMMANDS[i];
	return NULL;
}

/* The i-th option of c, the shared ones after its own; NULL past the end. */
const struct cli_optdoc *cli_cmd_opt_at(const struct cli_cmd *c, size_t i)
{
	size_t own = 0;
	while (own < CLI_OPTS_MAX && c->opts[own].name)
		own++;
	if (i < own)
		return &c->opts[i];
	i -= own;
	for (unsigned bit = 0; bit < 3; bit++)
		if (c->common & (1u << bit) && i-- == 0)
			return &CLI_COMMON_OPTS[bit];
	return NULL;
}

const struct cli_optdoc *cli_cmd_opt(const struct cli_cmd *c, const char *name, size_t nlen)
{
	const struct cli_optdoc *o;
	for (size_t i = 0; (o = cli_cmd_opt_at(c, i)) != NULL; i++)
		if (strlen(o->name) == nlen && memcmp(o->name, name, nlen) == 0)
			return o;
	return NULL;
}

/* Levenshtein distance of a[0..an) and b, at most `cap` + 1 (no more is needed). */
static size_t distance(const char *a, size_t an, const char *b, size_t cap)
{
	size_t bn = strlen(b), row[CLI_PATH_BYTES_MAX + 1];
	if (an > CLI_PATH_BYTES_MAX || bn > CLI_PATH_BYTES_MAX)
		return cap + 1;
	for (size_t j = 0; j <= bn; j++)
		row[j] = j;
	for (size_t i = 1; i <= an; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= bn; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] == b[j - 1] ? 0u : 1u);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[bn] > cap ? cap + 1 : row[bn];
}

/* The short forms (as hledger spells them) and their long options. */
static const struct {
	const char *shorter, *longer;
} SHORT[] = { { "-p", "--period" }, { "-b", "--begin" }, { "-e", "--end" },
	      { "-M", "--monthly" }, { "-Q", "--quarterly" }, { "-Y", "--yearly" } };

const char *cli_short_option(const struct cli_cmd *c, const char *arg)
{
	for (size_t i = 0; i < sizeof SHORT / sizeof SHORT[0]; i++)
		if (strcmp(arg, SHORT[i].shorter) == 0 &&
		    cli_cmd_opt(c, SHORT[i].longer + 2, strlen(SHORT[i].longer + 2)))
			return SHORT[i].longer;
	return NULL;
}

/* "-p, " when option `name` has a short form, else "". */
static const char *short_of(const char *name)
{
	for (size_t i = 0; i < sizeof SHORT / sizeof SHORT[0]; i++)
		if (strcmp(name, SHORT[i].longer + 2) == 0)
			return SHORT[i].shorter;
	return NULL;
}

const char *cli_suggest_option(const struct cli_cmd *c, const char *name, size_t nlen)
{
	const struct cli_optdoc *o, *best = NULL;
	size_t bd = SUGGEST_DISTANCE_MAX + 1;
	for (size_t i = 0; (o = cli_cmd_opt_at(c, i)) != NULL; i++) {
		size_t dd = distance(name, nlen, o->name, SUGGEST_DISTANCE_MAX);
		if (dd < bd) {
			bd = dd;
			best = o;
		}
	}
	return best ? best->name : NULL;
}

/* The command nearest to words[0..n) joined by spaces, or NULL. */
static const char *suggest_command(const char *const *words, size_t n)
{
	char want[CLI_PATH_BYTES_MAX + 1] = "";
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		int w = snprintf(want + len, sizeof want - len, "%s%s", i ? " " : "", words[i]);
		if (w < 0 || (size_t)w >= sizeof want - len)
			return NULL;
		len += (size_t)w;
	}
	const char *best = NULL;
	size_t bd = SUGGEST_DISTANCE_MAX + 1;
	for (size_t i = 0; i < CLI_COMMAND_COUNT; i++) {
		const char *p = CLI_COMMANDS[i].path;
		/* the same number of words: "delivery imprt" against "delivery import" */
		size_t pw = 1, ww = 1;
		for (const char *q = p; *q; q++)
			pw += *q == ' ';
		for (const char *q = want; *q; q++)
			ww += *q == ' ';
		size_t dd = pw == ww ? distance(want, len, p, SUGGEST_DISTANCE_MAX) : SIZE_MAX;
		if (ww == 1 && pw > 1) { /* a family's name: its first word */
			char first[CLI_PATH_BYTES_MAX + 1];
			snprintf(first, sizeof first, "%.*s", (int)strcspn(p, " "), p);
			dd = distance(want, len, first, SUGGEST_DISTANCE_MAX);
		}
		if (dd < bd) {
			bd = dd;
			best = p;
		}
	}
	return best;
}

const char *cli_synopsis(const struct cli_cmd *c)
{
	static char buf[CLI_SYNOPSIS_BYTES_MAX];
	size_t len = (size_t)snprintf(buf, sizeof buf, "corridor %s", c->path);
	const struct cli_optdoc *o;
	bool optional = false;
	for (size_t i = 0; (o = cli_cmd_opt_at(c, i)) != NULL && len < sizeof buf; i++) {
		if (!(o->flags & CLI_REQUIRED)) {
			optional = true;
			continue;
		}
		len += (size_t)snprintf(buf + len, sizeof buf - len, " --%s%s%s", o->name,
					o->arg ? " " : "", o->arg ? o->arg : "");
	}
	if (optional && len < sizeof buf)
		len += (size_t)snprintf(buf + len, sizeof buf - len, " [OPTIONS]");
	if (c->args && len < sizeof buf)
		snprintf(buf + len, sizeof buf - len, " %s", c->args);
	return buf;
}

void cli_help(const struct cli_cmd *c, FILE *f)
{
	const struct cli_optdoc *o;
	fprintf(f, "usage: %s\n  %s\n\noptions:\n", cli_synopsis(c), c->summary);
	for (size_t i = 0; (o = cli_cmd_opt_at(c, i)) != NULL; i++) {
		char left[96];
		const char *sh = short_of(o->name);
		snprintf(left, sizeof left, "%s%s--%s%s%s%s", sh ? sh : "", sh ? ", " : "", o->name,
			 o->arg ? " " : "", o->arg ? o->arg : "", o->flags & CLI_MANY ? " ..." : "");
		fprintf(f, "  %-30s %s%s\n", left, o->help,
			o->flags & CLI_REQUIRED ? " (required)" : "");
	}
	fprintf(f, "  %-30s %s\n", "-h, --help", "this help");
	fprintf(f, "\nexamples:\n");
	for (const char *e = c->examples; *e;) {
		size_t n = strcspn(e, "\n");
		fprintf(f, "  %.*s\n", (int)n, e);
		e += n + (e[n] == '\n');
	}
	fprintf(f, "\nglobal options: --ledger, --passphrase-file, --server, --server-vkey, --cacert "
		   "('corridor --help'); -- ends the options\n"
		   "exit codes: 0 ok, 1 refused or verification failed, 2 usage, 3 I/O or storage\n");
}

void cli_overview(FILE *f)
{
	const char *group = NULL;
	fprintf(f, "usage: corridor COMMAND [OPTIONS] [ARGS]\n"
		   "  a signed, append-only ledger of energy contracts, deliveries and "
		   "settlements\n");
	for (size_t i = 0; i < CLI_COMMAND_COUNT; i++) {
		const struct cli_cmd *c = &CLI_COMMANDS[i];
		if (!group || strcmp(group, c->group) != 0)
			fprintf(f, "\n%s\n", group = c->group);
		char left[64];
		snprintf(left, sizeof left, "%s%s%s", c->path, c->args ? " " : "",
			 c->args ? c->args : "");
		fprintf(f, "  %-32s %s\n", left, c->summary);
	}
	fprintf(f, "\n'corridor help COMMAND' or 'corridor COMMAND --help': a command's options "
		   "and examples\n--version: the release\n\n%s%s",
		GLOBALS, FOOTER);
}

/* The subcommands of `family`, for its help and its usage errors. */
static void family_list(const char *family, FILE *f)
{
	size_t fl = strlen(family);
	for (size_t i = 0; i < CLI_COMMAND_COUNT; i++) {
		const struct cli_cmd *c = &CLI_COMMANDS[i];
		if (strncmp(c->path, family, fl) == 0 && (!c->path[fl] || c->path[fl] == ' '))
			fprintf(f, "  %-32s %s\n", c->path, c->summary);
	}
}

bool cli_is_family(const char *word)
{
	size_t wl = strlen(word);
	for (size_t i = 0; i < CLI_COMMAND_COUNT; i++)
		if (strncmp(CLI_COMMANDS[i].path, word, wl) == 0 &&
		    (!CLI_COMMANDS[i].path[wl] || CLI_COMMANDS[i].path[wl] == ' '))
			return true;
	return false;
}

static bool is_help(const char *a)
{
	return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0;
}

int cli_no_subcommand(const char *family, int argc, char **argv)
{
	if (argc >= 1 && is_help(argv[0])) {
		printf("usage: corridor %s SUBCOMMAND ...\n\n", family);
		family_list(family, stdout);
		printf("\n'corridor %s SUBCOMMAND --help': its options and examples\n", family);
		return EXIT_OK;
	}
	if (argc >= 1) {
		const char *words[2] = { family, argv[0] };
		const char *near = suggest_command(words, 2);
		fprintf(stderr, "corridor: unknown command 'corridor %s %s'", family,
			cli_safe(argv[0]));
		if (near)
			fprintf(stderr, "; did you mean 'corridor %s'?", near);
		fputc('\n', stderr);
	} else {
		fprintf(stderr, "corridor: 'corridor %s' needs a subcommand:\n", family);
		family_list(family, stderr);
	}
	return EXIT_USAGE;
}

int cli_unknown_command(const char *word)
{
	const char *near = suggest_command(&word, 1);
	fprintf(stderr, "corridor: unknown command '%s'", cli_safe(word));
	if (near)
		fprintf(stderr, "; did you mean '%.*s'?", (int)strcspn(near, " "), near);
	fprintf(stderr, " (see 'corridor --help')\n");
	return EXIT_USAGE;
}

/* ---- the man page and the completion ---- */

/* s for roff: backslashes and leading dots escaped, hyphens as \-. */
static void roff(FILE *f, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", f);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", f);
		else if (*s == '-')
			fputs("\\-", f);
		else
			fputc(*s, f);
	}
}

static void man_page(FILE *f)
{
	const char *group = NULL;
	fprintf(f, ".\\\" corridor(1), generated from the command table (cli/commands.c)\n"
		   ".TH CORRIDOR 1 \"\" \"corridor %s\" \"User Commands\"\n"
		   ".SH NAME\ncorridor \\- a signed, append-only ledger of energy contracts, "
		   "deliveries and settlements\n"
		   ".SH SYNOPSIS\n.B corridor\n.I COMMAND\n[\\fIOPTIONS\\fR] [\\fIARGS\\fR]\n"
		   ".SH DESCRIPTION\nEvery entry is signed (Ed25519) and chained; the log is a "
		   "Merkle tree with signed checkpoints (C2SP). The README and docs/*.md describe "
		   "the rules; this page lists every command and option.\n",
		corridor_version());
	for (size_t i = 0; i < CLI_COMMAND_COUNT; i++) {
		const struct cli_cmd *c = &CLI_COMMANDS[i];
		const struct cli_optdoc *o;
		if (!group || strcmp(group, c->group) != 0) {
			fputs(".SH ", f);
			for (const char *g = group = c->group; *g; g++)
				fputc(*g >= 'a' && *g <= 'z' ? *g - 'a' + 'A' : *g, f);
			fputc('\n', f);
		}
		fputs(".SS ", f);
		roff(f, cli_synopsis(c));
		fputs("\n", f);
		roff(f, c->summary);
		fputs(".\n", f);
		for (size_t k = 0; (o = cli_cmd_opt_at(c, k)) != NULL; k++) {
			const char *sh = short_of(o->name);
			fputs(".TP\n.B ", f);
			if (sh) { /* "-p, " */
				fputs("\\-", f);
				fputc(sh[1], f);
				fputs(", ", f);
			}
			fputs("\\-\\-", f);
			roff(f, o->name);
			if (o->arg) {
				fputs(" ", f);
				roff(f, o->arg);
			}
			fputs("\n", f);
			roff(f, o->help);
			fputs(o->flags & CLI_REQUIRED ? " (required)\n" : "\n", f);
		}
		fputs(".PP\nExample:\n.nf\n", f);
		for (const char *e = c->examples; *e;) {
			size_t n = strcspn(e, "\n");
			char line[CLI_SYNOPSIS_BYTES_MAX];
			snprintf(line, sizeof line, "%.*s", (int)n, e);
			roff(f, line);
			fputc('\n', f);
			e += n + (e[n] == '\n');
		}
		fputs(".fi\n", f);
	}
	fputs(".SH ENVIRONMENT\n.TP\n.B CORRIDOR_LEDGER\nthe ledger directory\n.TP\n"
	      ".B CORRIDOR_PASSPHRASE\na key file's passphrase\n.TP\n.B CORRIDOR_SERVER, "
	      "CORRIDOR_SERVER_VKEY\nthe server and its operator's verifier key\n"
	      ".SH EXIT STATUS\n0 ok, 1 refused or verification failed, 2 usage, 3 I/O or "
	      "storage.\n",
	      f);
}

static void completion(FILE *f)
{
	fputs("# bash completion for corridor(1), generated from its command table\n"
	      "_corridor_cmds=(",
	      f);
	for (size_t i = 0; i < CLI_COMMAND_COUNT; i++)
		fprintf(f, "%s\"%s\"", i ? " " : "", CLI_COMMANDS[i].path);
	fputs(")\n"
	      "_corridor_is_prefix() {\n"
	      "\tlocal p\n"
	      "\tfor p in \"${_corridor_cmds[@]}\"; do [[ \"$p \" == \"$1 \"* ]] && return 0; done\n"
	      "\treturn 1\n"
	      "}\n"
	      "_corridor_next() {\n"
	      "\tlocal p n=${1:+$1 }\n"
	      "\tfor p in \"${_corridor_cmds[@]}\"; do\n"
	      "\t\t[[ $p == \"$n\"* && $p != \"$1\" ]] || continue\n"
	      "\t\tp=${p#\"$n\"}\n"
	      "\t\techo \"${p%% *}\"\n"
	      "\tdone | sort -u\n"
	      "}\n"
	      "_corridor_opts() {\n"
	      "\tcase $1 in\n",
	      f);
	for (size_t i = 0; i < CLI_COMMAND_COUNT; i++) {
		const struct cli_cmd *c = &CLI_COMMANDS[i];
		const struct cli_optdoc *o;
		fprintf(f, "\t\"%s\") echo \"", c->path);
		for (size_t k = 0; (o = cli_cmd_opt_at(c, k)) != NULL; k++)
			fprintf(f, "--%s ", o->name);
		fputs("--help\" ;;\n", f);
	}
	fputs("\tesac\n"
	      "}\n"
	      "_corridor() {\n"
	      "\tlocal cur=${COMP_WORDS[COMP_CWORD]} path= w i\n"
	      "\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
	      "\t\tw=${COMP_WORDS[i]}\n"
	      "\t\t[[ $w == -* ]] && continue\n"
	      "\t\t_corridor_is_prefix \"${path:+$path }$w\" && path=${path:+$path }$w\n"
	      "\tdone\n"
	      "\tif [[ $cur == -* ]]; then\n"
	      "\t\tCOMPREPLY=($(compgen -W \"$(_corridor_opts \"$path\") --ledger --server "
	      "--server-vkey --cacert --passphrase-file\" -- \"$cur\"))\n"
	      "\t\treturn\n"
	      "\tfi\n"
	      "\tCOMPREPLY=($(compgen -W \"$(_corridor_next \"$path\")\" -- \"$cur\"))\n"
	      "\t[ ${#COMPREPLY[@]} -eq 0 ] && COMPREPLY=($(compgen -f -- \"$cur\"))\n"
	      "}\n"
	      "complete -F _corridor corridor\n",
	      f);
}

int cli_help_command(int argc, char **argv)
{
	if (argc == 0) {
		cli_overview(stdout);
		return EXIT_OK;
	}
	if (argc == 1 && strcmp(argv[0], "--man") == 0) {
		man_page(stdout);
		return EXIT_OK;
	}
	if (argc == 1 && strcmp(argv[0], "--completion") == 0) {
		completion(stdout);
		return EXIT_OK;
	}
	char path[CLI_PATH_BYTES_MAX + 1] = "";
	size_t len = 0;
	for (int i = 0; i < argc; i++) {
		int w = snprintf(path + len, sizeof path - len, "%s%s", i ? " " : "", argv[i]);
		if (w < 0 || (size_t)w >= sizeof path - len)
			return cli_unknown_command(argv[0]);
		len += (size_t)w;
	}
	const struct cli_cmd *c = cli_cmd_find(path);
	if (c) {
		cli_help(c, stdout);
		return EXIT_OK;
	}
	if (argc == 1 && cli_is_family(argv[0])) {
		char h[] = "--help";
		char *av[] = { h };
		return cli_no_subcommand(argv[0], 1, av);
	}
	if (argc >= 2 && cli_is_family(argv[0]))
		return cli_no_subcommand(argv[0], argc - 1, argv + 1);
	return cli_unknown_command(argv[0]);
}
