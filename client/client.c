/*
 * client.c — the client of `corridor serve` over libcurl (client.h).
 *
 *   open:   GET /v1/ledger (origin, statement lifetime), GET /checkpoint,
 *           checked against the operator's key and the state file
 *   submit: POST /v1/statements[?dry_run=1], a msgpack array of bin; each
 *           receipt checked (entry, inclusion proof, checkpoint, consistency)
 *   follow: GET /v1/proof/consistency?old=A&new=B when the tree grew
 *
 * A request that gets no answer, or 429/503, is sent again with the same
 * bytes (idempotency keys make that safe) up to CORRIDOR_CLIENT_RETRIES_MAX
 * times. Whatever the server says is escaped before it is shown.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "client.h"

#define STATE_PATH_BYTES_MAX 4096u
#define NOTE_BYTES_MAX 8192u

struct corridor_client {
	struct corridor_remote remote;
	CURL *curl;
	char url[1024];
	char cacert[STATE_PATH_BYTES_MAX];
	struct corridor_vkey vkey;
	char state_path[STATE_PATH_BYTES_MAX];
	/* the latest checkpoint this client has verified */
	struct corridor_checkpoint known;
	char known_note[NOTE_BYTES_MAX];
	size_t known_len;
};

struct answer {
	char *body;
	size_t len;
	bool too_large;
	long retry_after_s;
};

static int fail(struct corridor_diag *diag, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct corridor_diag *diag, int err, const char *fmt, ...)
{
	if (diag) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(diag->text, sizeof diag->text, fmt, ap);
		va_end(ap);
		diag->has_seq = false;
	}
	return err;
}

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
	struct answer *a = ctx;
	size_t add = size * n;
	if (a->too_large || add > CORRIDOR_CLIENT_ANSWER_BYTES_MAX - a->len) {
		a->too_large = true;
		return 0; /* stops the transfer */
	}
	char *nb = realloc(a->body, a->len + add + 1);
	if (!nb)
		return 0;
	memcpy(nb + a->len, p, add);
	a->body = nb;
	a->len += add;
	a->body[a->len] = '\0';
	return add;
}

static size_t on_header(char *p, size_t size, size_t n, void *ctx)
{
	struct answer *a = ctx;
	size_t len = size * n;
	static const char name[] = "retry-after:";
	if (len > sizeof name - 1 && strncasecmp(p, name, sizeof name - 1) == 0) {
		long v = strtol(p + sizeof name - 1, NULL, 10);
		if (v > 0)
			a->retry_after_s = v;
	}
	return len;
}

/* One HTTP exchange. *status: the HTTP status (0: no answer). */
static int exchange_with(struct corridor_client *c, const char *path, const uint8_t *body,
			 size_t blen, struct curl_slist *hdr, struct answer *a, long *status,
			 struct corridor_diag *diag)
{
	char url[2048];
	memset(a, 0, sizeof *a);
	*status = 0;
	if ((size_t)snprintf(url, sizeof url, "%s%s", c->url, path) >= sizeof url)
		return fail(diag, CORRIDOR_E_INVALID, "the server URL is too long");
	curl_easy_reset(c->curl);
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT, CORRIDOR_CLIENT_CONNECT_TIMEOUT_S);
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, CORRIDOR_CLIENT_TIMEOUT_S);
	curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c->curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(c->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c->curl, CURLOPT_HEADERDATA, a);
	if (c->cacert[0])
		curl_easy_setopt(c->curl, CURLOPT_CAINFO, c->cacert);
	if (body) {
		hdr = curl_slist_append(hdr, "Content-Type: application/msgpack");
		curl_easy_setopt(c->curl, CURLOPT_POST, 1L);
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, (const char *)body);
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen);
	}
	if (hdr)
		curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, hdr);
	CURLcode rc = curl_easy_perform(c->curl);
	curl_slist_free_all(hdr);
	if (rc != CURLE_OK) {
		free(a->body);
		a->body = NULL;
		if (a->too_large)
			return fail(diag, CORRIDOR_E_LIMIT, "the server's answer is over %zu bytes",
				    CORRIDOR_CLIENT_ANSWER_BYTES_MAX);
		return fail(diag, CORRIDOR_E_IO, "cannot reach %s: %s", c->url,
			    curl_easy_strerror(rc));
	}
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, status);
	if (!a->body && !(a->body = calloc(1, 1)))
		return fail(diag, CORRIDOR_E_NOMEM, "out of memory");
	return CORRIDOR_OK;
}

static int exchange(struct corridor_client *c, const char *path, const uint8_t *body, size_t blen,
		    struct answer *a, long *status, struct corridor_diag *diag)
{
	return exchange_with(c, path, body, blen, NULL, a, status, diag);
}

/* The server's reason for a refusal, escaped: {"error": "..."}. */
static int refusal(const struct answer *a, long status, struct corridor_diag *diag)
{
	char why[512] = "", esc[sizeof why * 4];
	json_t *j = json_loadb(a->body, a->len, 0, NULL);
	const char *s = j ? json_string_value(json_object_get(j, "error")) : NULL;
	snprintf(why, sizeof why, "%s", s ? s : "no reason given");
	json_decref(j);
	corridor_escape(why, strlen(why), esc, sizeof esc);
	int err;
	switch (status) {
	case 400: err = CORRIDOR_E_MALFORMED; break;
	case 401: err = CORRIDOR_E_KEY; break;
	case 403: err = CORRIDOR_E_KEY; break;
	case 404: err = CORRIDOR_E_NOTFOUND; break;
	case 409: err = CORRIDOR_E_EXISTS; break;
	case 413: err = CORRIDOR_E_LIMIT; break;
	case 422: err = CORRIDOR_E_REFUSED; break;
	default: err = CORRIDOR_E_IO; break;
	}
	if (err == CORRIDOR_E_IO)
		return fail(diag, err, "the server answered %ld: %s", status, esc);
	return fail(diag, err, "%s", esc);
}

/* ---- checkpoints: verified, followed, remembered ---- */

static int state_save(struct corridor_client *c, struct corridor_diag *diag)
{
	char tmp[STATE_PATH_BYTES_MAX + 8];
	snprintf(tmp, sizeof tmp, "%s.tmp", c->state_path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	bool ok = fd >= 0 && write(fd, c->known_note, c->known_len) == (ssize_t)c->known_len &&
		  fsync(fd) == 0;
	if (fd >= 0 && close(fd) != 0)
		ok = false;
	if (!ok || rename(tmp, c->state_path) != 0) {
		unlink(tmp);
		return fail(diag, CORRIDOR_E_IO, "cannot write the state file %s: %s", c->state_path,
			    strerror(errno));
	}
	return CORRIDOR_OK;
}

/* A signed checkpoint by the operator's key, of this ledger. */
static int checkpoint_open(const struct corridor_client *c, const char *note, size_t len,
			   struct corridor_checkpoint *cp, struct corridor_diag *diag)
{
	struct corridor_note n;
	if (len == 0 || len >= NOTE_BYTES_MAX || corridor_note_open(note, len, &c->vkey, 1, &n) != 0)
		return fail(diag, CORRIDOR_E_VERIFY,
			    "a checkpoint from %s is not signed by the operator key %s", c->url,
			    c->vkey.name);
	if (corridor_checkpoint_parse(note, n.text_len, cp) != 0 ||
	    strcmp(cp->origin, c->vkey.name) != 0)
		return fail(diag, CORRIDOR_E_VERIFY, "a checkpoint from %s is not of ledger %s",
			    c->url, c->vkey.name);
	return CORRIDOR_OK;
}

/* The consistency proof from size a to size b, checked between the roots. */
static int consistent(struct corridor_client *c, const struct corridor_checkpoint *a,
		      const struct corridor_checkpoint *b, struct corridor_diag *diag)
{
	if (a->size == b->size)
		return memcmp(a->root, b->root, CORRIDOR_HASH_BYTES) == 0
			       ? CORRIDOR_OK
			       : fail(diag, CORRIDOR_E_VERIFY,
				      "the server signed two different trees of size %llu: a split "
				      "view",
				      (unsigned long long)a->size);
	char path[96];
	struct answer ans;
	long status;
	snprintf(path, sizeof path, "/v1/proof/consistency?old=%llu&new=%llu",
		 (unsigned long long)a->size, (unsigned long long)b->size);
	int err = exchange(c, path, NULL, 0, &ans, &status, diag);
	if (err)
		return err;
	uint8_t(*proof)[CORRIDOR_HASH_BYTES] = malloc(CORRIDOR_PROOF_HASHES_MAX * CORRIDOR_HASH_BYTES);
	size_t count = 0;
	if (!proof) {
		free(ans.body);
		return fail(diag, CORRIDOR_E_NOMEM, "out of memory");
	}
	if (status != 200) {
		err = refusal(&ans, status, diag);
		goto out_free;
	}
	for (char *line = ans.body, *nl; *line && !err; line = nl + 1) {
		size_t got;
		if (!(nl = strchr(line, '\n')) || count == CORRIDOR_PROOF_HASHES_MAX ||
		    corridor_unbase64(line, (size_t)(nl - line), proof[count], CORRIDOR_HASH_BYTES,
				      &got) != 0 ||
		    got != CORRIDOR_HASH_BYTES)
			err = fail(diag, CORRIDOR_E_VERIFY, "a malformed consistency proof");
		else
			count++;
	}
	if (!err && corridor_merkle_verify_consistency(a->size, b->size, a->root, CORRIDOR_HASH_BYTES,
						       b->root, CORRIDOR_HASH_BYTES,
						       (const uint8_t(*)[CORRIDOR_HASH_BYTES])proof,
						       count) != 0)
		err = fail(diag, CORRIDOR_E_VERIFY,
			   "the tree of size %llu is not an extension of the tree of size %llu this "
			   "client saw: the server rewrote history",
			   (unsigned long long)b->size, (unsigned long long)a->size);
out_free:
	free(proof);
	free(ans.body);
	return err;
}

/* Takes a verified checkpoint into account: consistent with the one known,
 * and remembered if it is newer. */
static int follow(struct corridor_client *c, const char *note, size_t len,
		  struct corridor_checkpoint *cp, struct corridor_diag *diag)
{
	int err = checkpoint_open(c, note, len, cp, diag);
	if (err)
		return err;
	if (c->known_len == len && memcmp(c->known_note, note, len) == 0)
		return CORRIDOR_OK;
	if (c->known.size > 0) {
		err = cp->size >= c->known.size ? consistent(c, &c->known, cp, diag)
						 : consistent(c, cp, &c->known, diag);
		if (err || cp->size <= c->known.size)
			return err;
	}
	c->known = *cp;
	memcpy(c->known_note, note, len);
	c->known_len = len;
	return state_save(c, diag);
}

/* ---- statements ---- */

static uint8_t *pack_batch(const uint8_t *const *stmts, const size_t *lens, size_t n,
			   size_t *out_len)
{
	size_t total = 3;
	for (size_t i = 0; i < n; i++)
		total += lens[i] + 5;
	uint8_t *b = malloc(total), *p = b;
	if (!b)
		return NULL;
	if (n <= 15) {
		*p++ = (uint8_t)(0x90u | n);
	} else {
		*p++ = 0xdc;
		*p++ = (uint8_t)(n >> 8);
		*p++ = (uint8_t)n;
	}
	for (size_t i = 0; i < n; i++) {
		size_t l = lens[i];
		if (l <= 0xff) {
			*p++ = 0xc4;
			*p++ = (uint8_t)l;
		} else if (l <= 0xffff) {
			*p++ = 0xc5;
			*p++ = (uint8_t)(l >> 8);
			*p++ = (uint8_t)l;
		} else {
			*p++ = 0xc6;
			for (int s = 24; s >= 0; s -= 8)
				*p++ = (uint8_t)(l >> s);
		}
		memcpy(p, stmts[i], l);
		p += l;
	}
	*out_len = (size_t)(p - b);
	return b;
}

/* The same write: the same statement, or — for a duplicate answered with
 * its original — one with the same author, kind, idempotency key and body. */
static bool same_write(const uint8_t *sent, size_t slen, const struct corridor_entry *e,
		       bool duplicate)
{
	if (e->statement_len == slen && memcmp(e->statement, sent, slen) == 0)
		return true;
	struct corridor_statement a, b;
	if (!duplicate || corridor_statement_decode(sent, slen, &a, NULL) != 0 ||
	    corridor_statement_decode(e->statement, e->statement_len, &b, NULL) != 0)
		return false;
	return !strcmp(a.author, b.author) && !strcmp(a.kind, b.kind) &&
	       !strcmp(a.idempotency_key, b.idempotency_key) && a.body_len == b.body_len &&
	       memcmp(a.body, b.body, a.body_len) == 0;
}

/* Checks receipt i (FORMAT.md 2d) of the statement `sent` (NULL: of an entry
 * read, any version): the entry it names, its inclusion in a checkpoint
 * signed by the operator and consistent with what this client saw. The
 * entry's bytes go to *bytes if asked (malloc'd). */
static int receipt_check(struct corridor_client *c, size_t i, const uint8_t *sent, size_t slen,
			 json_t *jr, struct corridor_receipt *r, uint8_t **bytes, size_t *blen,
			 struct corridor_diag *diag)
{
	json_t *jseq = json_object_get(jr, "seq"), *jent = json_object_get(jr, "entry"),
	       *jproof = json_object_get(jr, "proof");
	const char *ehex = json_string_value(jent), *proof = json_string_value(jproof);
	if (!json_is_integer(jseq) || json_integer_value(jseq) < 0 || !ehex || !proof)
		return fail(diag, CORRIDOR_E_VERIFY, "receipt %zu is incomplete", i + 1);
	memset(r, 0, sizeof *r);
	r->seq = (uint64_t)json_integer_value(jseq);
	r->duplicate = json_is_true(json_object_get(jr, "duplicate"));
	size_t hlen = strlen(ehex), elen = hlen / 2;
	uint8_t *entry = malloc(elen ? elen : 1);
	struct corridor_entry e;
	struct corridor_tlog_proof tp;
	struct corridor_checkpoint cp;
	int err = CORRIDOR_OK;
	if (!entry)
		return fail(diag, CORRIDOR_E_NOMEM, "out of memory");
	if (hlen % 2 || hlen / 2 > CORRIDOR_ENTRY_BYTES_MAX ||
	    corridor_unhex(ehex, hlen, entry, elen) != 0 ||
	    corridor_entry_decode(entry, elen, &e, NULL) != 0 || e.seq != r->seq ||
	    (sent && (e.version != CORRIDOR_ENTRY_VERSION_2 ||
		      !same_write(sent, slen, &e, r->duplicate)))) {
		err = fail(diag, CORRIDOR_E_VERIFY,
			   "receipt %zu names an entry that is not the statement sent", i + 1);
		goto out_free;
	}
	corridor_merkle_leaf_hash(entry, elen, r->leaf_hash);
	struct corridor_statement st;
	if (corridor_statement_decode(e.statement, e.statement_len, &st, NULL) == 0)
		corridor_statement_hash(e.statement, &st, r->statement_hash);
	if (corridor_tlog_proof_parse(proof, strlen(proof), &tp) != 0 || tp.index != r->seq) {
		err = fail(diag, CORRIDOR_E_VERIFY, "receipt %zu has no inclusion proof of seq %llu",
			   i + 1, (unsigned long long)r->seq);
		goto out_free;
	}
	if ((err = follow(c, proof + tp.checkpoint_off, tp.checkpoint_len, &cp, diag)) != 0)
		goto out_free;
	if (corridor_merkle_verify_inclusion(r->seq, cp.size, r->leaf_hash,
					     (const uint8_t(*)[CORRIDOR_HASH_BYTES])tp.hashes,
					     tp.hash_count, cp.root, CORRIDOR_HASH_BYTES) != 0)
		err = fail(diag, CORRIDOR_E_VERIFY,
			   "entry %llu is not in the tree the server signed (size %llu)",
			   (unsigned long long)r->seq, (unsigned long long)cp.size);
	if (!err && bytes) {
		*bytes = entry;
		*blen = elen;
		return CORRIDOR_OK;
	}
out_free:
	free(entry);
	return err;
}

static void pause_s(long s)
{
	struct timespec ts = { .tv_sec = s, .tv_nsec = 0 };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static int submit(void *ctx, const uint8_t *const *stmts, const size_t *lens, size_t n,
		  bool dry_run, struct corridor_receipt *receipts, size_t *appended,
		  struct corridor_diag *diag)
{
	struct corridor_client *c = ctx;
	size_t blen;
	struct answer a = { 0 };
	long status = 0;
	int err = CORRIDOR_OK;
	if (n == 0 || n > CORRIDOR_CLIENT_BATCH_MAX)
		return fail(diag, CORRIDOR_E_LIMIT, "1-%u statements per request",
			    CORRIDOR_CLIENT_BATCH_MAX);
	uint8_t *body = pack_batch(stmts, lens, n, &blen);
	if (!body)
		return fail(diag, CORRIDOR_E_NOMEM, "out of memory");
	const char *path = dry_run ? "/v1/statements?dry_run=1" : "/v1/statements";
	for (unsigned attempt = 0;; attempt++) {
		err = exchange(c, path, body, blen, &a, &status, diag);
		bool busy = !err && (status == 429 || status == 503);
		if ((!busy && err != CORRIDOR_E_IO) || attempt + 1 >= CORRIDOR_CLIENT_RETRIES_MAX)
			break;
		/* no answer, or not now: the same bytes again, later */
		long wait = busy && a.retry_after_s > 0 ? a.retry_after_s : 1L << attempt;
		if (wait > (long)CORRIDOR_CLIENT_RETRY_AFTER_MAX_S)
			wait = CORRIDOR_CLIENT_RETRY_AFTER_MAX_S;
		free(a.body);
		a.body = NULL;
		pause_s(wait);
	}
	free(body);
	if (err)
		goto out_free;
	if (status != 200 && status != 201) {
		err = refusal(&a, status, diag);
		goto out_free;
	}
	json_t *j = json_loadb(a.body, a.len, 0, NULL);
	json_t *list = json_object_get(j, dry_run ? "seqs" : "receipts");
	if (!json_is_array(list) || json_array_size(list) != n) {
		err = fail(diag, CORRIDOR_E_VERIFY, "the server's answer is not %zu receipts", n);
	} else if (dry_run) {
		json_t *jn = json_object_get(j, "new");
		for (size_t i = 0; i < n; i++) {
			json_t *s = json_array_get(list, i);
			memset(&receipts[i], 0, sizeof receipts[i]);
			receipts[i].seq = json_is_integer(s) && json_integer_value(s) >= 0
						  ? (uint64_t)json_integer_value(s)
						  : 0;
		}
		*appended = json_is_integer(jn) ? (size_t)json_integer_value(jn) : 0;
	} else {
		size_t fresh = 0;
		for (size_t i = 0; i < n && !err; i++) {
			err = receipt_check(c, i, stmts[i], lens[i], json_array_get(list, i),
					    &receipts[i], NULL, NULL, diag);
			fresh += !err && !receipts[i].duplicate;
		}
		*appended = fresh;
	}
	json_decref(j);
out_free:
	free(a.body);
	return err;
}

/* An entry read by `reader`: GET /v1/entries/SEQ/receipt, checked as a
 * receipt is (corridor_remote.entry). */
static int entry_read(void *ctx, const struct corridor_signer *reader, uint64_t seq,
		      uint8_t **bytes, size_t *len, struct corridor_diag *diag)
{
	struct corridor_client *c = ctx;
	char path[64], *body = NULL;
	size_t blen = 0;
	*bytes = NULL;
	snprintf(path, sizeof path, "/v1/entries/%llu/receipt", (unsigned long long)seq);
	int err = corridor_client_get(c, reader, path, "", &body, &blen, diag);
	if (err)
		return err;
	json_t *j = json_loadb(body, blen, 0, NULL);
	json_t *list = json_object_get(j, "receipts");
	struct corridor_receipt r;
	if (!json_is_array(list) || json_array_size(list) != 1)
		err = fail(diag, CORRIDOR_E_VERIFY, "the server's answer is not one receipt");
	else if ((err = receipt_check(c, 0, NULL, 0, json_array_get(list, 0), &r, bytes, len,
				      diag)) == 0 &&
		 r.seq != seq) {
		free(*bytes);
		*bytes = NULL;
		err = fail(diag, CORRIDOR_E_VERIFY, "the server answered with entry %llu, not %llu",
			   (unsigned long long)r.seq, (unsigned long long)seq);
	}
	json_decref(j);
	free(body);
	return err;
}

/* ---- opening ---- */

static int state_path(struct corridor_client *c, const char *dir_opt, struct corridor_diag *diag)
{
	char dir[STATE_PATH_BYTES_MAX], name[CORRIDOR_NAME_BYTES_MAX + 1];
	const char *env = getenv("CORRIDOR_STATE"), *xdg = getenv("XDG_STATE_HOME"),
		   *home = getenv("HOME");
	int n;
	if (dir_opt && *dir_opt)
		n = snprintf(dir, sizeof dir, "%s", dir_opt);
	else if (env && *env)
		n = snprintf(dir, sizeof dir, "%s", env);
	else if (xdg && *xdg)
		n = snprintf(dir, sizeof dir, "%s/corridor", xdg);
	else if (home && *home)
		n = snprintf(dir, sizeof dir, "%s/.local/state/corridor", home);
	else
		return fail(diag, CORRIDOR_E_INVALID,
			    "no state directory: set CORRIDOR_STATE or HOME");
	if (n < 0 || (size_t)n >= sizeof dir)
		return fail(diag, CORRIDOR_E_INVALID, "the state directory's path is too long");
	/* mkdir -p, private */
	for (char *p = dir + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			(void)mkdir(dir, 0700);
			*p = '/';
		}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return fail(diag, CORRIDOR_E_IO, "cannot create the state directory %s: %s", dir,
			    strerror(errno));
	/* one file per ledger origin */
	size_t k = 0;
	for (const char *s = c->vkey.name; *s && k < sizeof name - 1; s++)
		name[k++] = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
					    (*s >= '0' && *s <= '9') || *s == '.' || *s == '-'
				    ? *s
				    : '_';
	name[k] = '\0';
	n = snprintf(c->state_path, sizeof c->state_path, "%s/%s.checkpoint", dir, name);
	if (n < 0 || (size_t)n >= sizeof c->state_path)
		return fail(diag, CORRIDOR_E_INVALID, "the state directory's path is too long");
	return CORRIDOR_OK;
}

static int state_load(struct corridor_client *c, struct corridor_diag *diag)
{
	FILE *f = fopen(c->state_path, "rb");
	if (!f)
		return errno == ENOENT ? CORRIDOR_OK
				       : fail(diag, CORRIDOR_E_IO, "cannot read %s: %s",
					      c->state_path, strerror(errno));
	size_t n = fread(c->known_note, 1, sizeof c->known_note, f);
	fclose(f);
	if (n == sizeof c->known_note ||
	    checkpoint_open(c, c->known_note, n, &c->known, diag) != 0)
		return fail(diag, CORRIDOR_E_VERIFY,
			    "the state file %s does not hold a checkpoint of %s signed by the key "
			    "given with --server-vkey: was the ledger's operator key another one?",
			    c->state_path, c->vkey.name);
	c->known_len = n;
	return CORRIDOR_OK;
}

int corridor_client_open(const struct corridor_client_options *o, struct corridor_client **out,
			 struct corridor_diag *diag)
{
	struct corridor_client *c;
	struct answer a;
	long status;
	int err;
	*out = NULL;
	if (!o->url || (strncmp(o->url, "http://", 7) != 0 && strncmp(o->url, "https://", 8) != 0))
		return fail(diag, CORRIDOR_E_INVALID, "--server: an http:// or https:// URL");
	if (!o->server_vkey)
		return fail(diag, CORRIDOR_E_INVALID,
			    "--server-vkey: the operator's verifier key is needed to check what "
			    "the server answers");
	if (!(c = calloc(1, sizeof *c)))
		return fail(diag, CORRIDOR_E_NOMEM, "out of memory");
	if (strlen(o->url) >= sizeof c->url ||
	    corridor_vkey_parse(o->server_vkey, strlen(o->server_vkey), &c->vkey) != 0) {
		err = fail(diag, CORRIDOR_E_INVALID,
			   "--server-vkey: not a verifier key (name+hex id+base64 key)");
		goto out_fail;
	}
	snprintf(c->url, sizeof c->url, "%s", o->url);
	size_t ul = strlen(c->url);
	while (ul > 0 && c->url[ul - 1] == '/')
		c->url[--ul] = '\0';
	if (o->cacert)
		snprintf(c->cacert, sizeof c->cacert, "%s", o->cacert);
	if (!(c->curl = curl_easy_init())) {
		err = fail(diag, CORRIDOR_E_NOMEM, "cannot start libcurl");
		goto out_fail;
	}
	if ((err = state_path(c, o->state_dir, diag)) != 0 || (err = state_load(c, diag)) != 0)
		goto out_fail;
	/* the ledger as the server describes it */
	if ((err = exchange(c, "/v1/ledger", NULL, 0, &a, &status, diag)) != 0)
		goto out_fail;
	json_t *j = status == 200 ? json_loadb(a.body, a.len, 0, NULL) : NULL;
	const char *origin = json_string_value(json_object_get(j, "origin"));
	json_t *life = json_object_get(j, "statement_lifetime_s");
	if (!origin || strcmp(origin, c->vkey.name) != 0 || !json_is_integer(life) ||
	    json_integer_value(life) < 60) {
		err = status != 200 ? refusal(&a, status, diag)
				    : fail(diag, CORRIDOR_E_VERIFY,
					   "%s does not serve the ledger %s", c->url, c->vkey.name);
		json_decref(j);
		free(a.body);
		goto out_fail;
	}
	snprintf(c->remote.origin, sizeof c->remote.origin, "%s", origin);
	/* what this client signs lives an hour, or what the ledger allows */
	uint64_t life_us = (uint64_t)json_integer_value(life) * 1000000u;
	c->remote.statement_lifetime_us = life_us < 3600000000u ? life_us : 3600000000u;
	json_decref(j);
	free(a.body);
	/* its latest checkpoint, consistent with what this client saw before */
	if ((err = exchange(c, "/checkpoint", NULL, 0, &a, &status, diag)) != 0)
		goto out_fail;
	struct corridor_checkpoint cp;
	err = status == 200 ? follow(c, a.body, a.len, &cp, diag) : refusal(&a, status, diag);
	free(a.body);
	if (err)
		goto out_fail;
	c->remote.submit = submit;
	c->remote.entry = entry_read;
	c->remote.ctx = c;
	c->remote.batch_max = CORRIDOR_CLIENT_BATCH_MAX;
	*out = c;
	return CORRIDOR_OK;
out_fail:
	corridor_client_free(c);
	return err;
}

int corridor_client_get(struct corridor_client *c, const struct corridor_signer *reader,
			const char *path, const char *query, char **body, size_t *len,
			struct corridor_diag *diag)
{
	char input[CORRIDOR_HTTPSIG_HEADER_BYTES_MAX], sig[CORRIDOR_HTTPSIG_HEADER_BYTES_MAX];
	char h1[CORRIDOR_HTTPSIG_HEADER_BYTES_MAX + 32], h2[CORRIDOR_HTTPSIG_HEADER_BYTES_MAX + 32];
	char target[2 * CORRIDOR_HTTPSIG_TARGET_BYTES_MAX];
	struct answer a;
	long status;
	*body = NULL;
	if (corridor_httpsig_sign(reader, "GET", path, query, (int64_t)time(NULL), input, sig) != 0)
		return fail(diag, CORRIDOR_E_INVALID, "cannot sign a read of %s", path);
	snprintf(h1, sizeof h1, "Signature-Input: %s", input);
	snprintf(h2, sizeof h2, "Signature: %s", sig);
	snprintf(target, sizeof target, "%s%s", path, query);
	struct curl_slist *hdr = curl_slist_append(NULL, h1);
	if (hdr)
		hdr = curl_slist_append(hdr, h2);
	if (!hdr)
		return fail(diag, CORRIDOR_E_NOMEM, "out of memory");
	int err = exchange_with(c, target, NULL, 0, hdr, &a, &status, diag);
	if (err)
		return err;
	if (status != 200) {
		err = refusal(&a, status, diag);
		free(a.body);
		return err == CORRIDOR_E_IO || status != 403 ? err : CORRIDOR_E_REFUSED;
	}
	*body = a.body;
	*len = a.len;
	return CORRIDOR_OK;
}

int corridor_client_replica_path(const struct corridor_client *c, char *out, size_t size)
{
	size_t n = strlen(c->state_path), suffix = strlen(".checkpoint");
	if (n <= suffix) /* state_path always ends so */
		return CORRIDOR_E_INVALID;
	int w = snprintf(out, size, "%.*s.replica", (int)(n - suffix), c->state_path);
	return w > 0 && (size_t)w < size ? CORRIDOR_OK : CORRIDOR_E_LIMIT;
}

const struct corridor_remote *corridor_client_remote(const struct corridor_client *c)
{
	return &c->remote;
}

void corridor_client_free(struct corridor_client *c)
{
	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	free(c);
}

/* ---- a mirror: tiles over HTTP (a static server, or corridor serve) ---- */

struct corridor_mirror {
	CURL *curl;
	char prefix[1024]; /* scheme://host[:port][/path], no trailing slash */
	char path[1024];   /* the prefix's path part, "" for none */
	char cacert[1024];
	const struct corridor_signer *reader;
};

int corridor_mirror_open(const char *url, const char *cacert, const struct corridor_signer *reader,
			 struct corridor_mirror **out, struct corridor_diag *diag)
{
	size_t n = strlen(url);
	while (n && url[n - 1] == '/')
		n--;
	const char *host = strstr(url, "://");
	if ((strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) || !host ||
	    n >= sizeof (*out)->prefix)
		return fail(diag, CORRIDOR_E_INVALID, "a mirror is an http:// or https:// URL");
	struct corridor_mirror *m = calloc(1, sizeof *m);
	if (!m || !(m->curl = curl_easy_init())) {
		free(m);
		return fail(diag, CORRIDOR_E_NOMEM, "out of memory");
	}
	memcpy(m->prefix, url, n);
	m->prefix[n] = '\0';
	const char *slash = strchr(m->prefix + (host - url) + 3, '/');
	snprintf(m->path, sizeof m->path, "%s", slash ? slash : "");
	snprintf(m->cacert, sizeof m->cacert, "%s", cacert ? cacert : "");
	m->reader = reader;
	*out = m;
	return CORRIDOR_OK;
}

int corridor_mirror_fetch(void *ctx, const char *rel, size_t max, uint8_t **data, size_t *len,
			  struct corridor_diag *diag)
{
	struct corridor_mirror *m = ctx;
	char url[2200], path[1200];
	struct answer a = { 0 };
	struct curl_slist *hdr = NULL;
	long status = 0;
	*data = NULL;
	*len = 0;
	snprintf(url, sizeof url, "%s/%s", m->prefix, rel);
	snprintf(path, sizeof path, "%s/%s", m->path, rel);
	if (m->reader) { /* a signed read, as corridor serve asks for bundles */
		char input[CORRIDOR_HTTPSIG_HEADER_BYTES_MAX], sig[CORRIDOR_HTTPSIG_HEADER_BYTES_MAX];
		char h1[CORRIDOR_HTTPSIG_HEADER_BYTES_MAX + 32];
		char h2[CORRIDOR_HTTPSIG_HEADER_BYTES_MAX + 32];
		if (corridor_httpsig_sign(m->reader, "GET", path, "", (int64_t)time(NULL), input,
					  sig) != 0)
			return fail(diag, CORRIDOR_E_INVALID, "cannot sign a read of %s", rel);
		snprintf(h1, sizeof h1, "Signature-Input: %s", input);
		snprintf(h2, sizeof h2, "Signature: %s", sig);
		if (!(hdr = curl_slist_append(NULL, h1)) || !(hdr = curl_slist_append(hdr, h2)))
			return fail(diag, CORRIDOR_E_NOMEM, "out of memory");
	}
	curl_easy_reset(m->curl);
	curl_easy_setopt(m->curl, CURLOPT_URL, url);
	curl_easy_setopt(m->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(m->curl, CURLOPT_CONNECTTIMEOUT, CORRIDOR_CLIENT_CONNECT_TIMEOUT_S);
	curl_easy_setopt(m->curl, CURLOPT_TIMEOUT, CORRIDOR_CLIENT_TIMEOUT_S);
	curl_easy_setopt(m->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(m->curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(m->curl, CURLOPT_ACCEPT_ENCODING, "gzip, identity"); /* the spec's advice */
	curl_easy_setopt(m->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(m->curl, CURLOPT_WRITEDATA, &a);
	if (m->cacert[0])
		curl_easy_setopt(m->curl, CURLOPT_CAINFO, m->cacert);
	if (hdr)
		curl_easy_setopt(m->curl, CURLOPT_HTTPHEADER, hdr);
	CURLcode rc = curl_easy_perform(m->curl);
	curl_slist_free_all(hdr);
	if (rc == CURLE_OK)
		curl_easy_getinfo(m->curl, CURLINFO_RESPONSE_CODE, &status);
	if (rc != CURLE_OK || status != 200) {
		free(a.body);
		if (rc == CURLE_OK && status == 404)
			return CORRIDOR_E_NOTFOUND;
		if (rc == CURLE_OK && (status == 401 || status == 403))
			return fail(diag, CORRIDOR_E_REFUSED,
				    "%s answers %ld for %s: entry bundles need --key of a reader "
				    "entitled to everything",
				    m->prefix, status, rel);
		return rc != CURLE_OK ? fail(diag, CORRIDOR_E_IO, "cannot fetch %s: %s", url,
					     curl_easy_strerror(rc))
				      : fail(diag, CORRIDOR_E_IO, "%s answers %ld for %s", m->prefix,
					     status, rel);
	}
	if (a.len > max) {
		free(a.body);
		return fail(diag, CORRIDOR_E_LIMIT, "%s is over %zu bytes", rel, max);
	}
	*data = (uint8_t *)(a.body ? a.body : calloc(1, 1));
	*len = a.len;
	return *data ? CORRIDOR_OK : fail(diag, CORRIDOR_E_NOMEM, "out of memory");
}

void corridor_mirror_free(struct corridor_mirror *m)
{
	if (!m)
		return;
	curl_easy_cleanup(m->curl);
	free(m);
}

int corridor_http_post(const char *url, const char *cacert, const char *body, size_t len,
		       long timeout_s, long *status, char **answer, size_t *answer_len,
		       struct corridor_diag *diag)
{
	struct answer a = { 0 };
	*status = 0;
	*answer = NULL;
	*answer_len = 0;
	CURL *curl = curl_easy_init();
	if (!curl)
		return fail(diag, CORRIDOR_E_NOMEM, "out of memory");
	struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: text/plain; charset=utf-8");
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, timeout_s);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, timeout_s);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(curl, CURLOPT_POST, 1L);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &a);
	if (hdr)
		curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdr);
	if (cacert && *cacert)
		curl_easy_setopt(curl, CURLOPT_CAINFO, cacert);
	CURLcode rc = curl_easy_perform(curl);
	if (rc == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(curl);
	if (rc != CURLE_OK) {
		free(a.body);
		return fail(diag, CORRIDOR_E_IO, "cannot reach %s: %s", url, curl_easy_strerror(rc));
	}
	*answer = a.body ? a.body : calloc(1, 1);
	*answer_len = a.len;
	return *answer ? CORRIDOR_OK : fail(diag, CORRIDOR_E_NOMEM, "out of memory");
}
