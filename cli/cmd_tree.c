/* cmd_tree.c — corridor checkpoint | prove | audit | verify. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define PROOF_FILE_BYTES_MAX ((size_t)CORRIDOR_NOTE_BYTES_MAX + 16384u)
/* An operator key chain: at most CORRIDOR_CHAIN_LINKS_MAX rotations. */
#define CHAIN_FILE_BYTES_MAX ((size_t)4 << 20)

int cmd_checkpoint(int argc, char **argv)
{
	const char *key = NULL, *size_s = NULL, *pass_file = NULL, *ledger = NULL;
	const struct cli_opt opts[] = {
		{ "key", &key, NULL, NULL, NULL, 0 },
		{ "size", &size_s, NULL, NULL, NULL, 0 },
		{ "passphrase-file", &pass_file, NULL, NULL, NULL, 0 },
		{ "ledger", &ledger, NULL, NULL, NULL, 0 },
	};
	const char *pos[1];
	size_t np;
	if (!cli_parse(argc, argv, opts, 4, pos, 0, 1, &np, "checkpoint"))
		return EXIT_USAGE;
	bool sign = np == 1 && strcmp(pos[0], "sign") == 0;
	bool cosign = np == 1 && strcmp(pos[0], "cosign") == 0;
	if (np == 1 && !sign && !cosign)
		return cli_usage("unknown subcommand '%s'; usage: %s", pos[0], cli_usage_line());
	if (sign && size_s)
		return cli_usage("checkpoint sign signs the current head; --size is for show and cosign");
	uint64_t size = 0;
	if (size_s && (!cli_u64(size_s, &size) || size == 0))
		return cli_usage("--size must be a tree size above 0");
	struct corridor_ledger *l;
	struct corridor_diag d;
	corridor_diag_init(&d);
	int rc = (sign || cosign) ? cli_open(ledger, &l) : cli_open_ro(ledger, &l);
	if (rc)
		return rc;
	int err;
	if (sign || cosign) {
		struct corridor_signer *s;
		if ((rc = cli_signer(key, pass_file, &s)) != 0) {
			corridor_ledger_close(l);
			return rc;
		}
		err = sign ? corridor_checkpoint_sign(l, s, &size, &d)
			   : corridor_checkpoint_cosign(l, s, size, &size, &d);
		corridor_signer_free(s);
		if (err) {
			corridor_ledger_close(l);
			return cli_fail(err, &d);
		}
	}
	char *note;
	size_t len;
	err = corridor_checkpoint_get(l, size, &note, &len, &d);
	corridor_ledger_close(l);
	if (err)
		return cli_fail(err, &d);
	fwrite(note, 1, len, stdout);
	free(note);
	return EXIT_OK;
}

int cmd_prove(int argc, char **argv)
{
	const char *ledger = NULL, *size_s = NULL;
	const struct cli_opt opts[] = { { "ledger", &ledger, NULL, NULL, NULL, 0 },
					 { "size", &size_s, NULL, NULL, NULL, 0 } };
	const char *pos[3];
	size_t np;
	if (!cli_parse(argc, argv, opts, 2, pos, 1, 3, &np, "prove"))
		return EXIT_USAGE;
	if (strcmp(pos[0], "operator-keys") == 0 && np == 1) {
		uint64_t size = 0;
		if (size_s && !cli_u64(size_s, &size))
			return cli_usage("--size must be a tree size");
		struct corridor_ledger *l;
		struct corridor_diag d;
		corridor_diag_init(&d);
		int rc = cli_open_ro(ledger, &l);
		if (rc)
			return rc;
		int err = corridor_prove_operator_keys(l, size, stdout, &d);
		corridor_ledger_close(l);
		return err ? cli_fail(err, &d) : EXIT_OK;
	}
	if (np < 2)
		return cli_usage("usage: %s", cli_usage_line());
	uint64_t a, b = 0;
	if (!cli_u64(pos[1], &a) || (np == 3 && (!cli_u64(pos[2], &b) || b == 0)))
		return cli_usage("sizes and seqs are decimal numbers; usage: %s", cli_usage_line());
	bool incl = strcmp(pos[0], "inclusion") == 0;
	if (!incl && strcmp(pos[0], "consistency") != 0)
		return cli_usage("usage: %s", cli_usage_line());
	if (incl && np != 2)
		return cli_usage("usage: %s", cli_usage_line());
	struct corridor_ledger *l;
	struct corridor_diag d;
	corridor_diag_init(&d);
	int rc = cli_open_ro(ledger, &l);
	if (rc)
		return rc;
	int err;
	if (incl) {
		err = corridor_prove_inclusion(l, a, stdout, &d);
	} else {
		uint8_t proof[CORRIDOR_PROOF_HASHES_MAX][CORRIDOR_HASH_BYTES];
		size_t count = 0;
		err = corridor_prove_consistency(l, a, &b, proof, &count, &d);
		for (size_t i = 0; !err && i < count; i++) {
			char b64[64];
			corridor_base64(proof[i], CORRIDOR_HASH_BYTES, b64);
			printf("%s\n", b64);
		}
	}
	corridor_ledger_close(l);
	return err ? cli_fail(err, &d) : EXIT_OK;
}

/* The operator keys an audit accepts: the trusted --vkey, and with --chain
 * every key the log's rotations lead to from it. */
struct trust {
	const struct corridor_vkey *vk;
	const char *chain; /* the chain document's path, or NULL */
	struct corridor_vkey keys[CORRIDOR_CHAIN_LINKS_MAX];
	size_t count;
};

/* Resolves the key set for a checkpoint of (size, root) from the chain file. */
static int trust_resolve(struct trust *t, const char *buf, size_t len)
{
	struct corridor_note *note = malloc(sizeof *note);
	struct corridor_checkpoint cp;
	char *doc = NULL;
	size_t dlen;
	int rc = EXIT_OK;
	t->keys[0] = *t->vk;
	t->count = 1;
	if (!t->chain) {
		free(note);
		return EXIT_OK;
	}
	if (!note)
		return cli_fail(CORRIDOR_E_NOMEM, NULL);
	if (corridor_note_parse(buf, len, note) != 0 ||
	    corridor_checkpoint_parse(buf, note->text_len, &cp) != 0) {
		free(note);
		fprintf(stderr, "corridor: not a well-formed signed checkpoint\n");
		return EXIT_REFUSED;
	}
	free(note);
	if ((rc = cli_read_input(t->chain, CHAIN_FILE_BYTES_MAX, &doc, &dlen)) != 0)
		return rc;
	struct corridor_diag d;
	corridor_diag_init(&d);
	int err = corridor_operator_chain_follow(doc, dlen, t->vk, cp.size, cp.root, t->keys,
						 CORRIDOR_CHAIN_LINKS_MAX, &t->count, &d);
	free(doc);
	if (err)
		rc = cli_fail(err, &d);
	return rc;
}

/* Opens a signed checkpoint with the trusted keys; prints why it fails. */
static int open_checkpoint(const char *what, const char *buf, size_t len, struct trust *t,
			   struct corridor_checkpoint *cp)
{
	const struct corridor_vkey *vk = t->vk;
	int rc = trust_resolve(t, buf, len);
	if (rc)
		return rc;
	struct corridor_note *note = malloc(sizeof *note);
	if (!note)
		return cli_fail(CORRIDOR_E_NOMEM, NULL);
	int err = corridor_note_open(buf, len, t->keys, t->count, note);
	size_t text_len = note->text_len;
	free(note);
	if (err == CORRIDOR_E_KEY) {
		fprintf(stderr, "corridor: %s carries no signature by %s+%08x%s\n", what, vk->name,
			(unsigned)vk->key_id,
			t->chain ? " or a key its chain leads to"
				 : " (after an operator key rotation, pass --chain from 'corridor "
				   "prove operator-keys')");
		return EXIT_REFUSED;
	}
	if (err == CORRIDOR_E_SIGNATURE) {
		fprintf(stderr, "corridor: %s: the signature by %s does not verify\n", what,
			vk->name);
		return EXIT_REFUSED;
	}
	if (err) {
		fprintf(stderr, "corridor: %s is not a well-formed signed note\n", what);
		return EXIT_REFUSED;
	}
	if (corridor_checkpoint_parse(buf, text_len, cp) != 0) {
		fprintf(stderr, "corridor: %s is signed but is not a checkpoint\n", what);
		return EXIT_REFUSED;
	}
	if (strcmp(cp->origin, vk->name) != 0) {
		fprintf(stderr, "corridor: %s is of origin '%s', the key is '%s'\n", what, cp->origin,
			vk->name);
		return EXIT_REFUSED;
	}
	return EXIT_OK;
}

/* How many of the named cosigners validly cosigned the checkpoint in buf. */
static int count_cosigners(const char *buf, size_t len, const struct corridor_vkey *cosigners,
			   size_t n, size_t *good)
{
	struct corridor_note *note = malloc(sizeof *note);
	if (!note)
		return cli_fail(CORRIDOR_E_NOMEM, NULL);
	*good = 0;
	if (corridor_note_parse(buf, len, note) != 0) {
		free(note);
		return EXIT_REFUSED;
	}
	for (size_t c = 0; c < n; c++) {
		for (size_t i = 0; i < note->sig_count; i++) {
			int err = corridor_cosignature_verify(buf, note, i, &cosigners[c], NULL);
			if (err == CORRIDOR_E_KEY)
				continue;
			if (err) {
				fprintf(stderr, "corridor: the cosignature by %s does not verify\n",
					cosigners[c].name);
				free(note);
				return EXIT_REFUSED;
			}
			(*good)++;
			break;
		}
	}
	free(note);
	return EXIT_OK;
}

static int audit_checkpoint(struct trust *vk, const char *path,
			    const struct corridor_vkey *cosigners, size_t ncos, size_t min_cos)
{
	char *buf;
	size_t len, good = 0;
	struct corridor_checkpoint cp;
	int rc = cli_read_input(path, CORRIDOR_NOTE_BYTES_MAX, &buf, &len);
	if (rc)
		return rc;
	rc = open_checkpoint(path, buf, len, vk, &cp);
	if (!rc && ncos)
		rc = count_cosigners(buf, len, cosigners, ncos, &good);
	free(buf);
	if (rc)
		return rc;
	if (good < min_cos) {
		fprintf(stderr, "corridor: %s carries %zu valid cosignatures of the %zu named, %zu "
				"required\n",
			path, good, ncos, min_cos);
		return EXIT_REFUSED;
	}
	char root[64];
	corridor_base64(cp.root, CORRIDOR_HASH_BYTES, root);
	printf("checkpoint OK: %s size %llu root %s", cp.origin, (unsigned long long)cp.size, root);
	if (ncos)
		printf(", cosigned by %zu of %zu named witnesses", good, ncos);
	putchar('\n');
	return EXIT_OK;
}

static int audit_inclusion(struct trust *vk, const char *leaf_hex,
			   const char *entry_path, const char *proof_path)
{
	uint8_t leaf[CORRIDOR_HASH_BYTES];
	char *buf;
	size_t len;
	int rc;
	if ((leaf_hex != NULL) == (entry_path != NULL))
		return cli_usage("give exactly one of --leaf-hash HEX and --entry FILE");
	if (leaf_hex && corridor_unhex(leaf_hex, strlen(leaf_hex), leaf, sizeof leaf) != 0)
		return cli_usage("--leaf-hash must be 64 hex digits");
	uint64_t entry_seq = 0;
	if (entry_path) {
		struct corridor_entry e;
		struct corridor_diag d;
		corridor_diag_init(&d);
		if ((rc = cli_read_input(entry_path, CORRIDOR_ENTRY_BYTES_MAX, &buf, &len)) != 0)
			return rc;
		int err = corridor_entry_decode((const uint8_t *)buf, len, &e, &d);
		if (!err)
			corridor_merkle_leaf_hash((const uint8_t *)buf, len, leaf);
		entry_seq = e.seq;
		free(buf);
		if (err) {
			fprintf(stderr, "corridor: %s is not a canonical entry: %s\n", entry_path,
				d.text);
			return EXIT_REFUSED;
		}
	}
	if ((rc = cli_read_input(proof_path, PROOF_FILE_BYTES_MAX, &buf, &len)) != 0)
		return rc;
	struct corridor_tlog_proof *p = malloc(sizeof *p);
	struct corridor_checkpoint cp;
	if (!p) {
		free(buf);
		return cli_fail(CORRIDOR_E_NOMEM, NULL);
	}
	if (corridor_tlog_proof_parse(buf, len, p) != 0) {
		fprintf(stderr, "corridor: %s is not a c2sp.org/tlog-proof@v1 document\n", proof_path);
		rc = EXIT_REFUSED;
		goto out_free;
	}
	if ((rc = open_checkpoint(proof_path, buf + p->checkpoint_off, p->checkpoint_len, vk, &cp)) != 0)
		goto out_free;
	if (entry_path && entry_seq != p->index) {
		fprintf(stderr, "corridor: the entry is seq %llu, the proof is for index %llu\n",
			(unsigned long long)entry_seq, (unsigned long long)p->index);
		rc = EXIT_REFUSED;
		goto out_free;
	}
	if (corridor_merkle_verify_inclusion(p->index, cp.size, leaf,
					     (const uint8_t(*)[CORRIDOR_HASH_BYTES])p->hashes,
					     p->hash_count, cp.root, CORRIDOR_HASH_BYTES) != 0) {
		fprintf(stderr,
			"corridor: inclusion proof does not hold: the leaf is not at index %llu of "
			"the checkpointed tree of size %llu\n",
			(unsigned long long)p->index, (unsigned long long)cp.size);
		rc = EXIT_REFUSED;
		goto out_free;
	}
	printf("inclusion OK: index %llu in %s size %llu\n", (unsigned long long)p->index,
	       cp.origin, (unsigned long long)cp.size);
	rc = EXIT_OK;
out_free:
	free(p);
	free(buf);
	return rc;
}

static int audit_consistency(struct trust *vk, const char *old_path,
			     const char *new_path, const char *proof_path)
{
	struct corridor_checkpoint a, b;
	char *buf;
	size_t len;
	int rc;
	/* The newer checkpoint first: its chain also covers the older one's key. */
	if ((rc = cli_read_input(new_path, CORRIDOR_NOTE_BYTES_MAX, &buf, &len)) != 0)
		return rc;
	rc = open_checkpoint(new_path, buf, len, vk, &b);
	free(buf);
	if (rc)
		return rc;
	if ((rc = cli_read_input(old_path, CORRIDOR_NOTE_BYTES_MAX, &buf, &len)) != 0)
		return rc;
	{
		struct corridor_note *note = malloc(sizeof *note);
		int err = note ? corridor_note_open(buf, len, vk->keys, vk->count, note) : CORRIDOR_E_NOMEM;
		size_t text_len = note ? note->text_len : 0;
		free(note);
		if (err || corridor_checkpoint_parse(buf, text_len, &a) != 0 ||
		    strcmp(a.origin, b.origin) != 0) {
			fprintf(stderr, "corridor: %s is not a checkpoint of %s signed by a trusted "
					"operator key\n",
				old_path, b.origin);
			free(buf);
			return EXIT_REFUSED;
		}
	}
	free(buf);
	if ((rc = cli_read_input(proof_path, PROOF_FILE_BYTES_MAX, &buf, &len)) != 0)
		return rc;
	uint8_t (*proof)[CORRIDOR_HASH_BYTES] = malloc(CORRIDOR_PROOF_HASHES_MAX * CORRIDOR_HASH_BYTES);
	size_t count = 0;
	const char *p = buf, *end = buf + len;
	rc = EXIT_OK;
	while (proof && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p), got = 0;
		if (count >= CORRIDOR_PROOF_HASHES_MAX ||
		    corridor_unbase64(p, ll, proof[count], CORRIDOR_HASH_BYTES, &got) != 0 ||
		    got != CORRIDOR_HASH_BYTES) {
			fprintf(stderr, "corridor: %s: line %zu is not a base64 SHA-256 hash\n",
				proof_path, count + 1);
			rc = EXIT_REFUSED;
			break;
		}
		count++;
		p += ll + 1;
	}
	free(buf);
	if (!proof)
		return cli_fail(CORRIDOR_E_NOMEM, NULL);
	if (!rc && corridor_merkle_verify_consistency(a.size, b.size, a.root, CORRIDOR_HASH_BYTES,
						      b.root, CORRIDOR_HASH_BYTES,
						      (const uint8_t(*)[CORRIDOR_HASH_BYTES])proof,
						      count) != 0) {
		fprintf(stderr,
			"corridor: consistency proof does not hold: the tree of size %llu is not a "
			"prefix of the tree of size %llu\n",
			(unsigned long long)a.size, (unsigned long long)b.size);
		rc = EXIT_REFUSED;
	}
	free(proof);
	if (!rc)
		printf("consistency OK: %s size %llu -> %llu\n", b.origin, (unsigned long long)a.size,
		       (unsigned long long)b.size);
	return rc;
}

#define COSIGNERS_MAX 16u

int cmd_audit(int argc, char **argv)
{
	const char *vkey = NULL, *leaf = NULL, *entry = NULL, *ledger = NULL, *min_s = NULL,
		   *chain = NULL;
	const char *cos_s[COSIGNERS_MAX];
	size_t ncos = 0;
	const struct cli_opt opts[] = {
		{ "vkey", &vkey, NULL, NULL, NULL, 0 },
		{ "leaf-hash", &leaf, NULL, NULL, NULL, 0 },
		{ "entry", &entry, NULL, NULL, NULL, 0 },
		{ "ledger", &ledger, NULL, NULL, NULL, 0 },
		{ "cosigner", NULL, NULL, cos_s, &ncos, COSIGNERS_MAX },
		{ "min-cosigners", &min_s, NULL, NULL, NULL, 0 },
		{ "chain", &chain, NULL, NULL, NULL, 0 },
	};
	const char *pos[4];
	size_t np;
	if (!cli_parse(argc, argv, opts, 7, pos, 2, 4, &np, "audit"))
		return EXIT_USAGE;
	struct corridor_vkey vkv, cosigners[COSIGNERS_MAX];
	int rc = cli_vkey(vkey, &vkv);
	if (rc)
		return rc;
	struct trust *vk = malloc(sizeof *vk);
	if (!vk)
		return cli_fail(CORRIDOR_E_NOMEM, NULL);
	vk->vk = &vkv;
	vk->chain = chain;
	vk->count = 0;
	for (size_t i = 0; i < ncos; i++) {
		if ((rc = cli_vkey(cos_s[i], &cosigners[i])) != 0) {
			free(vk);
			return rc;
		}
		if (cosigners[i].sigtype != CORRIDOR_SIGTYPE_COSIGNATURE)
			corridor_vkey_as_cosigner(&cosigners[i], &cosigners[i]);
	}
	uint64_t min_cos = ncos;
	rc = -1;
	if (min_s && (!cli_u64(min_s, &min_cos) || min_cos > ncos))
		rc = cli_usage("--min-cosigners K needs K <= the number of --cosigner keys");
	else if (strcmp(pos[0], "checkpoint") == 0 && np == 2)
		rc = audit_checkpoint(vk, pos[1], cosigners, ncos, (size_t)min_cos);
	else if (strcmp(pos[0], "inclusion") == 0 && np == 2)
		rc = audit_inclusion(vk, leaf, entry, pos[1]);
	else if (strcmp(pos[0], "consistency") == 0 && np == 4)
		rc = audit_consistency(vk, pos[1], pos[2], pos[3]);
	free(vk);
	if (rc >= 0)
		return rc;
	return cli_usage("usage: corridor audit checkpoint --vkey VKEY FILE | audit inclusion "
			 "--vkey VKEY (--leaf-hash HEX | --entry FILE) PROOF_FILE | audit "
			 "consistency --vkey VKEY OLD NEW PROOF_FILE");
}

static int print_view_entry(void *ctx, uint64_t seq, const uint8_t *bytes, size_t len)
{
	(void)ctx;
	(void)seq;
	int err = corridor_entry_json(stdout, bytes, len, NULL);
	return err ? err : ferror(stdout) ? CORRIDOR_E_IO : 0;
}

int cli_view_check(const char *path, const char *vkey, bool entries)
{
	struct corridor_vkey vk;
	struct corridor_view_info info;
	struct corridor_diag d;
	char root[64];
	corridor_diag_init(&d);
	int rc = cli_vkey(vkey, &vk);
	if (rc)
		return rc;
	int err = corridor_view_verify(path, &vk, entries ? print_view_entry : NULL, NULL, &info,
				       &d);
	if (err) {
		fprintf(stderr, "corridor: %s: %s\n", cli_safe(path),
			d.text[0] ? d.text : corridor_strerror(err));
		return cli_exit_code(err);
	}
	corridor_base64(info.root, CORRIDOR_HASH_BYTES, root);
	fprintf(entries ? stderr : stdout,
		"view OK: %s sees %zu of %llu entries (%zu of public kinds), each included in "
		"the checkpoint of size %llu, root %s\n",
		info.reader, info.count, (unsigned long long)info.size, info.public_count,
		(unsigned long long)info.size, root);
	return EXIT_OK;
}

int cmd_verify(int argc, char **argv)
{
	const char *archive = NULL, *vkey = NULL, *ledger = NULL, *view = NULL;
	bool entries = false;
	const struct cli_opt opts[] = {
		{ "archive", &archive, NULL, NULL, NULL, 0 },
		{ "vkey", &vkey, NULL, NULL, NULL, 0 },
		{ "ledger", &ledger, NULL, NULL, NULL, 0 },
		{ "view", &view, NULL, NULL, NULL, 0 },
		{ "entries", NULL, &entries, NULL, NULL, 0 },
	};
	const char *pos[1];
	size_t np;
	if (!cli_parse(argc, argv, opts, 5, pos, 0, 0, &np,
		       "verify"))
		return EXIT_USAGE;
	struct corridor_diag d;
	corridor_diag_init(&d);
	int err;
	if (view && !archive)
		return cli_view_check(view, vkey, entries);
	if (entries || (view && archive))
		return cli_usage("--entries goes with --view FILE; --archive or --view, not both");
	if (archive) {
		struct corridor_vkey vk;
		int rc = cli_vkey(vkey, &vk);
		if (rc)
			return rc;
		err = corridor_archive_verify(archive, &vk, cli_progress, (void *)"verify", &d);
		cli_progress_end("verify");
		if (err)
			return cli_fail(err, &d);
		printf("archive OK: %s\n", archive);
		return EXIT_OK;
	}
	struct corridor_ledger *l;
	int rc = cli_open_ro(ledger, &l);
	if (rc)
		return rc;
	err = corridor_ledger_verify(l, cli_progress, (void *)"verify", &d);
	cli_progress_end("verify");
	struct corridor_head h;
	if (!err)
		err = corridor_ledger_head(l, &h);
	corridor_ledger_close(l);
	if (err)
		return cli_fail(err, &d);
	char root[64];
	corridor_base64(h.root, CORRIDOR_HASH_BYTES, root);
	printf("verify OK: %llu entries, root %s\n", (unsigned long long)h.size, root);
	return EXIT_OK;
}
