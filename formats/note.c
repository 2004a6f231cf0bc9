/*
 * note.c — C2SP signed notes (c2sp.org/signed-note) and checkpoint bodies
 * (c2sp.org/tlog-checkpoint). Parsing follows Go's golang.org/x/mod/sumdb/note
 * so that notes we accept are the notes off-the-shelf tools accept.
 */
#include <sodium.h>

#include "formats.h"

static const char SIG_PREFIX[] = "\xe2\x80\x94 "; /* U+2014 EM DASH, space */
#define SIG_PREFIX_LEN 4u
#define SIG_B64_BYTES_MAX 8192u

/* UTF-8 and no ASCII control characters other than newline. */
static bool note_chars_valid(const char *buf, size_t len)
{
	if (!corridor_utf8_valid((const uint8_t *)buf, len))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)buf[i];
		if ((c < 0x20u && c != '\n') || c == 0x7fu)
			return false;
	}
	return true;
}

int corridor_note_parse(const char *buf, size_t len, struct corridor_note *out)
{
	out->text_len = 0;
	out->sig_count = 0;
	if (len > CORRIDOR_NOTE_BYTES_MAX)
		return CORRIDOR_E_LIMIT;
	if (len < 2 || !note_chars_valid(buf, len) || buf[len - 1] != '\n')
		return CORRIDOR_E_MALFORMED;
	/* The text ends at the last blank line. */
	size_t split = len;
	for (size_t i = len - 1; i-- > 0;) {
		if (buf[i] == '\n' && buf[i + 1] == '\n') {
			split = i;
			break;
		}
	}
	if (split == len)
		return CORRIDOR_E_MALFORMED;
	out->text_len = split + 1;
	size_t p = split + 2;
	if (p >= len)
		return CORRIDOR_E_MALFORMED; /* no signature lines */
	uint8_t *raw = malloc(SIG_B64_BYTES_MAX);
	if (!raw)
		return CORRIDOR_E_NOMEM;
	int err = CORRIDOR_OK;
	while (p < len) {
		const char *line = buf + p;
		const char *nl = memchr(line, '\n', len - p);
		CORRIDOR_ASSERT(nl != NULL); /* the note ends with '\n' */
		size_t llen = (size_t)(nl - line);
		p += llen + 1;
		if (out->sig_count >= CORRIDOR_NOTE_SIGS_MAX) {
			err = CORRIDOR_E_LIMIT;
			goto out_free;
		}
		if (llen < SIG_PREFIX_LEN || memcmp(line, SIG_PREFIX, SIG_PREFIX_LEN) != 0) {
			err = CORRIDOR_E_MALFORMED;
			goto out_free;
		}
		const char *name = line + SIG_PREFIX_LEN;
		const char *sp = memchr(name, ' ', (size_t)(nl - name));
		if (!sp || !corridor_key_name_valid(name, (size_t)(sp - name))) {
			err = CORRIDOR_E_MALFORMED;
			goto out_free;
		}
		size_t raw_len = 0, b64_len = (size_t)(nl - sp - 1);
		if (b64_len == 0 ||
		    corridor_unbase64(sp + 1, b64_len, raw, SIG_B64_BYTES_MAX, &raw_len) != 0 ||
		    raw_len < 5) {
			err = CORRIDOR_E_MALFORMED;
			goto out_free;
		}
		struct corridor_note_sig *s = &out->sigs[out->sig_count++];
		s->name_off = (size_t)(name - buf);
		s->name_len = (size_t)(sp - name);
		s->key_id = corridor_be32_get(raw);
		s->sig_len = raw_len - 4;
		memcpy(s->sig, raw + 4, s->sig_len < sizeof s->sig ? s->sig_len : sizeof s->sig);
		s->verified = false;
	}
out_free:
	free(raw);
	return err;
}

int corridor_note_open(const char *buf, size_t len, const struct corridor_vkey *keys, size_t n,
		       struct corridor_note *out)
{
	int err = corridor_note_parse(buf, len, out);
	if (err)
		return err;
	size_t verified = 0;
	for (size_t i = 0; i < out->sig_count; i++) {
		struct corridor_note_sig *s = &out->sigs[i];
		const struct corridor_vkey *k = NULL;
		for (size_t j = 0; j < n && !k; j++)
			if (keys[j].key_id == s->key_id && strlen(keys[j].name) == s->name_len &&
			    memcmp(keys[j].name, buf + s->name_off, s->name_len) == 0)
				k = &keys[j];
		if (!k || k->sigtype == CORRIDOR_SIGTYPE_COSIGNATURE)
			continue; /* unknown keys are ignored; cosigners are checked apart */
		bool seen = false; /* repeated signatures by one key: the first counts */
		for (size_t j = 0; j < i && !seen; j++)
			seen = out->sigs[j].verified && out->sigs[j].key_id == s->key_id &&
			       out->sigs[j].name_len == s->name_len &&
			       memcmp(buf + out->sigs[j].name_off, buf + s->name_off, s->name_len) == 0;
		if (seen)
			continue;
		if (s->sig_len != CORRIDOR_SIGNATURE_BYTES ||
		    crypto_sign_verify_detached(s->sig, (const uint8_t *)buf, out->text_len,
						k->public_key) != 0)
			return CORRIDOR_E_SIGNATURE;
		s->verified = true;
		verified++;
	}
	return verified > 0 ? CORRIDOR_OK : CORRIDOR_E_KEY;
}

int corridor_note_sign(const char *text, size_t text_len, const struct corridor_signer *signer,
		       char **out, size_t *out_len)
{
	const struct corridor_vkey *vk = corridor_signer_vkey(signer);
	if (text_len == 0 || text[text_len - 1] != '\n' || !note_chars_valid(text, text_len))
		return CORRIDOR_E_INVALID;
	uint8_t raw[4 + CORRIDOR_SIGNATURE_BYTES];
	char b64[sodium_base64_ENCODED_LEN(sizeof raw, sodium_base64_VARIANT_ORIGINAL)];
	corridor_be32_put(raw, vk->key_id);
	corridor_signer_sign(signer, (const uint8_t *)text, text_len, raw + 4);
	corridor_base64(raw, sizeof raw, b64);
	size_t name_len = strlen(vk->name), b64_len = strlen(b64);
	size_t total = text_len + 1 + SIG_PREFIX_LEN + name_len + 1 + b64_len + 1;
	if (total > CORRIDOR_NOTE_BYTES_MAX)
		return CORRIDOR_E_INVALID;
	char *note = malloc(total + 1);
	if (!note)
		return CORRIDOR_E_NOMEM;
	size_t p = 0;
	memcpy(note + p, text, text_len);
	p += text_len;
	note[p++] = '\n';
	memcpy(note + p, SIG_PREFIX, SIG_PREFIX_LEN);
	p += SIG_PREFIX_LEN;
	memcpy(note + p, vk->name, name_len);
	p += name_len;
	note[p++] = ' ';
	memcpy(note + p, b64, b64_len);
	p += b64_len;
	note[p++] = '\n';
	note[p] = '\0';
	CORRIDOR_ASSERT(p == total);
	*out = note;
	*out_len = total;
	return CORRIDOR_OK;
}

int corridor_checkpoint_parse(const char *text, size_t len, struct corridor_checkpoint *out)
{
	const char *p = text, *end = text + len;
	const char *lines[3];
	size_t lens[3];
	if (len == 0 || text[len - 1] != '\n')
		return CORRIDOR_E_MALFORMED;
	for (int i = 0; i < 3; i++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return CORRIDOR_E_MALFORMED;
		lines[i] = p;
		lens[i] = (size_t)(nl - p);
		p = nl + 1;
	}
	/* Extension lines, if any, must be non-empty. */
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl || nl == p)
			return CORRIDOR_E_MALFORMED;
		p = nl + 1;
	}
	if (lens[0] == 0 || lens[0] > CORRIDOR_NAME_BYTES_MAX)
		return CORRIDOR_E_MALFORMED;
	if (corridor_parse_u64(lines[1], lens[1], &out->size) != 0)
		return CORRIDOR_E_MALFORMED;
	size_t root_len = 0;
	if (corridor_unbase64(lines[2], lens[2], out->root, CORRIDOR_HASH_BYTES, &root_len) != 0 ||
	    root_len != CORRIDOR_HASH_BYTES)
		return CORRIDOR_E_MALFORMED;
	memcpy(out->origin, lines[0], lens[0]);
	out->origin[lens[0]] = '\0';
	return CORRIDOR_OK;
}

int corridor_checkpoint_format(const struct corridor_checkpoint *cp, char *out, size_t cap,
			       size_t *out_len)
{
	char b64[64];
	corridor_base64(cp->root, CORRIDOR_HASH_BYTES, b64);
	int n = snprintf(out, cap, "%s\n%llu\n%s\n", cp->origin, (unsigned long long)cp->size, b64);
	if (n < 0 || (size_t)n >= cap)
		return CORRIDOR_E_LIMIT;
	*out_len = (size_t)n;
	return CORRIDOR_OK;
}

/* ---- c2sp.org/tlog-cosignature (Ed25519, type 0x04) ---- */

#define COSIG_PREFIX "cosignature/v1\ntime "
#define COSIG_MSG_EXTRA 64u

/* "cosignature/v1\ntime <t>\n" || text, into a malloc'd buffer. */
static uint8_t *cosig_message(const char *text, size_t text_len, uint64_t t, size_t *len)
{
	char head[64];
	int n = snprintf(head, sizeof head, COSIG_PREFIX "%llu\n", (unsigned long long)t);
	CORRIDOR_ASSERT(n > 0 && (size_t)n < sizeof head);
	uint8_t *msg = malloc((size_t)n + text_len);
	if (!msg)
		return NULL;
	memcpy(msg, head, (size_t)n);
	memcpy(msg + n, text, text_len);
	*len = (size_t)n + text_len;
	return msg;
}

int corridor_cosignature_verify(const char *buf, const struct corridor_note *note, size_t i,
				const struct corridor_vkey *cosigner, uint64_t *time_out)
{
	const struct corridor_note_sig *s = &note->sigs[i];
	if (cosigner->sigtype != CORRIDOR_SIGTYPE_COSIGNATURE || s->key_id != cosigner->key_id ||
	    s->name_len != strlen(cosigner->name) ||
	    memcmp(buf + s->name_off, cosigner->name, s->name_len) != 0)
		return CORRIDOR_E_KEY;
	if (s->sig_len != 8 + CORRIDOR_SIGNATURE_BYTES)
		return CORRIDOR_E_SIGNATURE;
	uint64_t t = 0;
	for (int k = 0; k < 8; k++)
		t = t << 8 | s->sig[k];
	if (t > (uint64_t)INT64_MAX)
		return CORRIDOR_E_SIGNATURE;
	size_t len;
	uint8_t *msg = cosig_message(buf, note->text_len, t, &len);
	if (!msg)
		return CORRIDOR_E_NOMEM;
	int rc = crypto_sign_verify_detached(s->sig + 8, msg, len, cosigner->public_key);
	free(msg);
	if (rc != 0)
		return CORRIDOR_E_SIGNATURE;
	if (time_out)
		*time_out = t;
	return CORRIDOR_OK;
}

int corridor_cosignature_line(const char *text, size_t text_len,
			      const struct corridor_signer *cosigner, uint64_t time_s, char *out,
			      size_t cap, size_t *out_len)
{
	struct corridor_vkey cv;
	uint8_t raw[4 + 8 + CORRIDOR_SIGNATURE_BYTES];
	char b64[sodium_base64_ENCODED_LEN(sizeof raw, sodium_base64_VARIANT_ORIGINAL)];
	size_t len;
	if (time_s > (uint64_t)INT64_MAX)
		return CORRIDOR_E_INVALID;
	corridor_vkey_as_cosigner(corridor_signer_vkey(cosigner), &cv);
	uint8_t *msg = cosig_message(text, text_len, time_s, &len);
	if (!msg)
		return CORRIDOR_E_NOMEM;
	corridor_be32_put(raw, cv.key_id);
	corridor_be64_put(raw + 4, time_s);
	corridor_signer_sign(cosigner, msg, len, raw + 12);
	free(msg);
	corridor_base64(raw, sizeof raw, b64);
	int n = snprintf(out, cap, "%s%s %s\n", SIG_PREFIX, cv.name, b64);
	if (n < 0 || (size_t)n >= cap)
		return CORRIDOR_E_LIMIT;
	*out_len = (size_t)n;
	return CORRIDOR_OK;
}
