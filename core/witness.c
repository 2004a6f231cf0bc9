/*
 * witness.c — a witness (c2sp.org/tlog-witness add-checkpoint): for each log
 * it trusts, the latest checkpoint it cosigned, kept durably in its state
 * directory; a new one is cosigned only if it is signed by the log and
 * consistent with that one. The check and the record are one step under a
 * mutex, so two requests cannot roll the record back.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "internal.h"

#define WITNESS_LOGS_MAX 64u
#define WITNESS_PROOF_LINES_MAX 63u /* the spec's limit */
#define WITNESS_PATH_BYTES 4096u

struct corridor_witness {
	pthread_mutex_t lock;
	char dir[WITNESS_PATH_BYTES];
	size_t nlogs;
	struct corridor_vkey logs[WITNESS_LOGS_MAX];
	const struct corridor_signer *key;
};

int corridor_witness_open(const char *state_dir, const struct corridor_vkey *logs, size_t n,
			  const struct corridor_signer *key, struct corridor_witness **out,
			  struct corridor_diag *diag)
{
	if (n == 0 || n > WITNESS_LOGS_MAX)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "a witness follows 1 to %u logs",
					 WITNESS_LOGS_MAX);
	if (strlen(state_dir) + 80 >= WITNESS_PATH_BYTES)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "the state directory's path is "
					 "too long");
	if (mkdir(state_dir, 0700) != 0 && errno != EEXIST)
		return corridor_diag_set(diag, CORRIDOR_E_IO, "cannot create %s: %s", state_dir,
					 strerror(errno));
	struct corridor_witness *w = calloc(1, sizeof *w);
	if (!w)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	pthread_mutex_init(&w->lock, NULL);
	snprintf(w->dir, sizeof w->dir, "%s", state_dir);
	memcpy(w->logs, logs, n * sizeof *logs);
	w->nlogs = n;
	w->key = key;
	*out = w;
	return CORRIDOR_OK;
}

void corridor_witness_free(struct corridor_witness *w)
{
	if (!w)
		return;
	pthread_mutex_destroy(&w->lock);
	free(w);
}

/* The state file of an origin: named by the hash of the origin (any bytes
 * a checkpoint origin may hold stay out of the file name). */
static void state_path(const struct corridor_witness *w, const char *origin, char *out)
{
	uint8_t h[32];
	char hex[33];
	crypto_hash_sha256(h, (const uint8_t *)origin, strlen(origin));
	sodium_bin2hex(hex, sizeof hex, h, 16);
	int n = snprintf(out, WITNESS_PATH_BYTES, "%.3900s/%.32s.checkpoint", w->dir, hex);
	CORRIDOR_ASSERT(n > 0 && n < (int)WITNESS_PATH_BYTES);
}

/* The latest checkpoint cosigned for origin: size 0 if none. */
static int state_load(const struct corridor_witness *w, const char *origin,
		      struct corridor_checkpoint *cp, struct corridor_diag *diag)
{
	char path[WITNESS_PATH_BYTES], buf[CORRIDOR_NOTE_BYTES_MAX + 1];
	memset(cp, 0, sizeof *cp);
	state_path(w, origin, path);
	FILE *f = fopen(path, "rb");
	if (!f)
		return errno == ENOENT ? CORRIDOR_OK
				       : corridor_diag_set(diag, CORRIDOR_E_IO, "cannot read %s: %s",
							   path, strerror(errno));
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *blank = strstr(buf, "\n\n");
	if (!blank || corridor_checkpoint_parse(buf, (size_t)(blank - buf) + 1, cp) != 0 ||
	    strcmp(cp->origin, origin) != 0)
		return corridor_diag_set(diag, CORRIDOR_E_STORAGE, "%s is not a checkpoint of %s",
					 path, origin);
	return CORRIDOR_OK;
}

/* The new record, durable before the answer: temp file, fsync, rename. */
static int state_save(const struct corridor_witness *w, const char *origin, const char *note,
		      size_t len, struct corridor_diag *diag)
{
	char path[WITNESS_PATH_BYTES];
	state_path(w, origin, path);
	return corridor_replace_file(path, note, len, 0600, diag);
}

static int answer(unsigned *status, unsigned code, struct corridor_diag *diag, const char *why)
{
	*status = code;
	corridor_diag_set(diag, CORRIDOR_E_REFUSED, "%s", why);
	return CORRIDOR_OK;
}

int corridor_witness_add(struct corridor_witness *w, const char *body, size_t len,
			 unsigned *status, char *out, size_t cap, size_t *out_len,
			 struct corridor_diag *diag)
{
	uint64_t old;
	uint8_t proof[WITNESS_PROOF_LINES_MAX][CORRIDOR_HASH_BYTES];
	size_t nproof = 0, at = 0;
	struct corridor_checkpoint cp, was;
	struct corridor_note *note = malloc(sizeof *note);
	int err = CORRIDOR_OK;
	*out_len = 0;
	*status = 500;
	if (!note)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	/* old <size>\n, up to 63 base64 hashes a line, an empty line, the note */
	const char *nl = memchr(body, '\n', len);
	if (len < 6 || memcmp(body, "old ", 4) != 0 || !nl ||
	    corridor_parse_u64(body + 4, (size_t)(nl - body) - 4, &old) != 0) {
		err = answer(status, 400, diag, "the body starts with \"old <size>\"");
		goto out;
	}
	at = (size_t)(nl - body) + 1;
	for (;;) {
		nl = at < len ? memchr(body + at, '\n', len - at) : NULL;
		if (!nl) {
			err = answer(status, 400, diag, "no empty line before the checkpoint");
			goto out;
		}
		size_t ll = (size_t)(nl - (body + at)), got = 0;
		if (ll == 0) {
			at++;
			break;
		}
		if (nproof == WITNESS_PROOF_LINES_MAX ||
		    corridor_unbase64(body + at, ll, proof[nproof], CORRIDOR_HASH_BYTES, &got) != 0 ||
		    got != CORRIDOR_HASH_BYTES) {
			err = answer(status, 400, diag,
				     "a consistency proof line is one base64 hash (at most 63)");
			goto out;
		}
		nproof++;
		at += ll + 1;
	}
	const char *nb = body + at;
	size_t nlen = len - at;
	if (corridor_note_parse(nb, nlen, note) != 0 ||
	    corridor_checkpoint_parse(nb, note->text_len, &cp) != 0) {
		err = answer(status, 400, diag, "not a checkpoint in a signed note");
		goto out;
	}
	/* the origin's keys: unknown origin 404, no good signature 403 */
	struct corridor_vkey keys[WITNESS_LOGS_MAX];
	size_t nk = 0;
	for (size_t i = 0; i < w->nlogs; i++)
		if (strcmp(w->logs[i].name, cp.origin) == 0)
			keys[nk++] = w->logs[i];
	if (nk == 0) {
		err = answer(status, 404, diag, "this witness does not follow that log");
		goto out;
	}
	if (corridor_note_open(nb, nlen, keys, nk, note) != 0) {
		err = answer(status, 403, diag,
			     "the checkpoint carries no valid signature of the log's key");
		goto out;
	}
	if (old > cp.size) {
		err = answer(status, 400, diag, "the old size is larger than the checkpoint's");
		goto out;
	}
	pthread_mutex_lock(&w->lock);
	if ((err = state_load(w, cp.origin, &was, diag)) != 0)
		goto out_unlock;
	if (old != was.size) {
		*status = 409;
		*out_len = (size_t)snprintf(out, cap, "%llu\n", (unsigned long long)was.size);
		corridor_diag_set(diag, CORRIDOR_E_REFUSED, "the witness has size %llu",
				  (unsigned long long)was.size);
		goto out_unlock;
	}
	uint8_t empty[CORRIDOR_HASH_BYTES];
	crypto_hash_sha256(empty, (const uint8_t *)"", 0);
	bool bad = (cp.size == 0 && memcmp(cp.root, empty, CORRIDOR_HASH_BYTES) != 0) ||
		   (old == 0 && nproof != 0) ||
		   (old != 0 && old == cp.size &&
		    (nproof != 0 || memcmp(cp.root, was.root, CORRIDOR_HASH_BYTES) != 0)) ||
		   (old != 0 && old < cp.size &&
		    corridor_merkle_verify_consistency(old, cp.size, was.root, CORRIDOR_HASH_BYTES,
						       cp.root, CORRIDOR_HASH_BYTES,
						       (const uint8_t (*)[CORRIDOR_HASH_BYTES])proof,
						       nproof) != 0);
	if (bad) {
		err = answer(status, 422, diag,
			     "the checkpoint is not consistent with the one this witness cosigned");
		goto out_unlock;
	}
	if ((err = state_save(w, cp.origin, nb, nlen, diag)) != 0)
		goto out_unlock;
	err = corridor_cosignature_line(nb, note->text_len, w->key, (uint64_t)time(NULL), out, cap,
					out_len);
	*status = err ? 500 : 200;
out_unlock:
	pthread_mutex_unlock(&w->lock);
out:
	free(note);
	return err;
}
