/*
 * httpsig.c — HTTP Message Signatures (RFC 9421) for signed reads, Ed25519
 * only (corridor/httpsig.h). The parser takes a strict subset of RFC 8941
 * structured fields: one dictionary member, the inner list
 * ("@method" "@path" "@query") with single spaces, and the parameters
 * created, expires, keyid, alg (and nonce, tag, ignored), each once. The
 * parameters are kept as received: the signature base holds them verbatim.
 */
#include <stdio.h>

#include <sodium.h>

#include "formats.h"

#define COMPONENTS "(\"@method\" \"@path\" \"@query\")"

static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20u || (unsigned char)*s > 0x7eu)
			return false;
	return true;
}

/* The signature base (RFC 9421 §2.5), NUL-terminated; its length or 0. */
static size_t base(const char *method, const char *path, const char *query, const char *params,
		   char *out, size_t cap)
{
	int n = snprintf(out, cap,
			 "\"@method\": %s\n\"@path\": %s\n\"@query\": %s\n\"@signature-params\": %s",
			 method, path, query[0] ? query : "?", params);
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

static bool target_ok(const char *method, const char *path, const char *query)
{
	return method[0] && strlen(method) < 16 && printable(method) && path[0] == '/' &&
	       strlen(path) < CORRIDOR_HTTPSIG_TARGET_BYTES_MAX && printable(path) &&
	       (query[0] == '\0' || query[0] == '?') &&
	       strlen(query) < CORRIDOR_HTTPSIG_TARGET_BYTES_MAX && printable(query);
}

int corridor_httpsig_sign(const struct corridor_signer *signer, const char *method,
			  const char *path, const char *query, int64_t created,
			  char input[CORRIDOR_HTTPSIG_HEADER_BYTES_MAX],
			  char signature[CORRIDOR_HTTPSIG_HEADER_BYTES_MAX])
{
	const struct corridor_vkey *vk = corridor_signer_vkey(signer);
	char params[CORRIDOR_HTTPSIG_HEADER_BYTES_MAX], *b;
	uint8_t sig[CORRIDOR_SIGNATURE_BYTES];
	if (!target_ok(method, path, query) || created < 0)
		return CORRIDOR_E_INVALID;
	int n = snprintf(params, sizeof params, COMPONENTS ";created=%lld;keyid=\"%s+%08x\";alg=\"ed25519\"",
			 (long long)created, vk->name, (unsigned)vk->key_id);
	if (n < 0 || (size_t)n >= sizeof params)
		return CORRIDOR_E_LIMIT;
	size_t cap = 3 * CORRIDOR_HTTPSIG_TARGET_BYTES_MAX + sizeof params + 96, blen;
	if (!(b = malloc(cap)))
		return CORRIDOR_E_NOMEM;
	if ((blen = base(method, path, query, params, b, cap)) == 0) {
		free(b);
		return CORRIDOR_E_LIMIT;
	}
	corridor_signer_sign(signer, (const uint8_t *)b, blen, sig);
	free(b);
	char b64[CORRIDOR_SIGNATURE_BYTES * 2];
	corridor_base64(sig, sizeof sig, b64);
	if ((size_t)snprintf(input, CORRIDOR_HTTPSIG_HEADER_BYTES_MAX, "sig1=%s", params) >=
		    CORRIDOR_HTTPSIG_HEADER_BYTES_MAX ||
	    (size_t)snprintf(signature, CORRIDOR_HTTPSIG_HEADER_BYTES_MAX, "sig1=:%s:", b64) >=
		    CORRIDOR_HTTPSIG_HEADER_BYTES_MAX)
		return CORRIDOR_E_LIMIT;
	return CORRIDOR_OK;
}

/* An RFC 8941 key at *p: lcalpha or '*', then lcalpha, digits, _-.* */
static size_t sf_key(const char *p)
{
	size_t n = 0;
	if (!((p[0] >= 'a' && p[0] <= 'z') || p[0] == '*'))
		return 0;
	while ((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= '0' && p[n] <= '9') || p[n] == '_' ||
	       p[n] == '-' || p[n] == '.' || p[n] == '*')
		n++;
	return n;
}

/* An RFC 8941 string at *p into out (cap bytes); the bytes read, or 0. */
static size_t sf_string(const char *p, char *out, size_t cap)
{
	size_t i = 1, o = 0;
	if (p[0] != '"')
		return 0;
	for (;; i++) {
		unsigned char ch = (unsigned char)p[i];
		if (ch == '"')
			break;
		if (ch == '\\') {
			ch = (unsigned char)p[++i];
			if (ch != '"' && ch != '\\')
				return 0;
		} else if (ch < 0x20u || ch > 0x7eu) {
			return 0;
		}
		if (o + 1 >= cap)
			return 0;
		out[o++] = (char)ch;
	}
	out[o] = '\0';
	return i + 1;
}

/* An RFC 8941 integer (at most 15 digits); the bytes read, or 0. */
static size_t sf_integer(const char *p, int64_t *v)
{
	size_t i = p[0] == '-', d = 0;
	int64_t x = 0;
	while (p[i + d] >= '0' && p[i + d] <= '9' && d < 16)
		x = x * 10 + (p[i + d] - '0'), d++;
	if (d == 0 || d > 15)
		return 0;
	*v = p[0] == '-' ? -x : x;
	return i + d;
}

static int bad(struct corridor_diag *diag, const char *what)
{
	return corridor_diag_set(diag, CORRIDOR_E_MALFORMED, "Signature-Input: %s", what);
}

int corridor_httpsig_parse(const char *input, const char *signature, struct corridor_httpsig *out,
			   struct corridor_diag *diag)
{
	memset(out, 0, sizeof *out);
	if (!input || !signature)
		return corridor_diag_set(diag, CORRIDOR_E_MALFORMED,
					 "a signed read needs Signature-Input and Signature headers");
	if (strlen(input) >= CORRIDOR_HTTPSIG_HEADER_BYTES_MAX ||
	    strlen(signature) >= CORRIDOR_HTTPSIG_HEADER_BYTES_MAX)
		return corridor_diag_set(diag, CORRIDOR_E_LIMIT, "a signature header is too long");
	size_t k = sf_key(input);
	if (k == 0 || k >= sizeof out->label || input[k] != '=')
		return bad(diag, "one label, then '='");
	memcpy(out->label, input, k);
	out->label[k] = '\0';
	const char *p = input + k + 1, *params = p;
	if (strncmp(p, COMPONENTS, strlen(COMPONENTS)) != 0)
		return bad(diag, "it must cover (\"@method\" \"@path\" \"@query\")");
	p += strlen(COMPONENTS);
	bool seen[4] = { false };
	while (*p == ';') {
		p++;
		size_t n = sf_key(p);
		char name[16], str[CORRIDOR_HTTPSIG_HEADER_BYTES_MAX];
		int64_t v;
		if (n == 0 || n >= sizeof name || p[n] != '=')
			return bad(diag, "a parameter is not key=value");
		memcpy(name, p, n);
		name[n] = '\0';
		p += n + 1;
		int which = !strcmp(name, "created") ? 0 : !strcmp(name, "expires") ? 1
			  : !strcmp(name, "keyid")     ? 2 : !strcmp(name, "alg") ? 3
			  : !strcmp(name, "nonce") || !strcmp(name, "tag") ? 4 : -1;
		if (which < 0)
			return bad(diag, "an unknown parameter");
		if (which < 4 && seen[which])
			return bad(diag, "a parameter given twice");
		if (which < 2) {
			if ((n = sf_integer(p, &v)) == 0 || v < 0)
				return bad(diag, "created and expires are non-negative integers");
			if (which == 0)
				out->created = v;
			else
				out->expires = v;
		} else {
			if ((n = sf_string(p, str, sizeof str)) == 0)
				return bad(diag, "keyid, alg, nonce and tag are strings");
			if (which == 3 && strcmp(str, "ed25519") != 0)
				return bad(diag, "alg must be \"ed25519\"");
			if (which == 2) {
				const char *plus = strrchr(str, '+');
				size_t nl = plus ? (size_t)(plus - str) : 0;
				uint8_t id[4];
				if (!plus || nl == 0 || nl > CORRIDOR_NAME_BYTES_MAX ||
				    !corridor_key_name_valid(str, nl) || strlen(plus + 1) != 8 ||
				    corridor_unhex(plus + 1, 8, id, 4) != 0)
					return bad(diag, "keyid is NAME+KEYID (8 hex digits)");
				memcpy(out->keyid_name, str, nl);
				out->keyid_name[nl] = '\0';
				out->keyid = corridor_be32_get(id);
			}
		}
		if (which < 4)
			seen[which] = true;
		p += n;
	}
	if (*p != '\0')
		return bad(diag, "one signature only, nothing after its parameters");
	if (!seen[0] || !seen[2])
		return bad(diag, "created and keyid are required");
	if (out->expires && out->expires <= out->created)
		return bad(diag, "expires must be after created");
	memcpy(out->params, params, strlen(params) + 1);
	/* Signature: the same label, one 64-byte byte sequence */
	char b64[CORRIDOR_HTTPSIG_HEADER_BYTES_MAX];
	size_t got, sl = strlen(signature);
	if (strncmp(signature, out->label, k) != 0 || signature[k] != '=' || signature[k + 1] != ':' ||
	    sl < k + 3 || signature[sl - 1] != ':')
		return corridor_diag_set(diag, CORRIDOR_E_MALFORMED,
					 "Signature: the label of Signature-Input, then :base64:");
	memcpy(b64, signature + k + 2, sl - k - 3);
	if (corridor_unbase64(b64, sl - k - 3, out->sig, sizeof out->sig, &got) != 0 ||
	    got != CORRIDOR_SIGNATURE_BYTES)
		return corridor_diag_set(diag, CORRIDOR_E_MALFORMED,
					 "Signature: 64 bytes of Ed25519 signature in base64");
	return CORRIDOR_OK;
}

int corridor_httpsig_verify(const struct corridor_httpsig *h, const char *method,
			    const char *path, const char *query,
			    const uint8_t public_key[CORRIDOR_PUBLIC_KEY_BYTES], int64_t now_s,
			    struct corridor_diag *diag)
{
	if (!target_ok(method, path, query))
		return corridor_diag_set(diag, CORRIDOR_E_LIMIT, "the request target is too long");
	if (h->created > now_s + CORRIDOR_HTTPSIG_WINDOW_S ||
	    h->created < now_s - CORRIDOR_HTTPSIG_WINDOW_S || (h->expires && h->expires <= now_s))
		return corridor_diag_set(diag, CORRIDOR_E_REFUSED,
					 "the request was signed at %lld, outside %d s of the "
					 "server's clock (%lld), or has expired",
					 (long long)h->created, CORRIDOR_HTTPSIG_WINDOW_S,
					 (long long)now_s);
	size_t cap = 3 * CORRIDOR_HTTPSIG_TARGET_BYTES_MAX + sizeof h->params + 96, blen;
	char *b = malloc(cap);
	if (!b)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	int rc = (blen = base(method, path, query, h->params, b, cap)) == 0 ||
			 crypto_sign_verify_detached(h->sig, (const uint8_t *)b, blen, public_key) != 0;
	free(b);
	return rc ? corridor_diag_set(diag, CORRIDOR_E_SIGNATURE,
				      "the request's signature does not verify with key %08x of '%s'",
				      (unsigned)h->keyid, h->keyid_name)
		  : CORRIDOR_OK;
}
