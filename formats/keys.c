/*
 * keys.c — Ed25519 keys as C2SP signed-note names them: key names, key ids
 * (the first four bytes of SHA-256(name || 0x0a || sigtype || public key)),
 * verifier key strings <name>+<hex id>+<base64(sigtype || key)>, and the
 * signer that holds a secret key (sodium_malloc'd, read-only). Sealed key
 * files, which hold the seed under a passphrase, are core/keys.c.
 */
#include <stdio.h>

#include <sodium.h>

#include "formats.h"

uint32_t corridor_key_id(const char *name, size_t name_len, uint8_t sigtype,
			 const uint8_t public_key[CORRIDOR_PUBLIC_KEY_BYTES])
{
	crypto_hash_sha256_state st;
	uint8_t h[crypto_hash_sha256_BYTES];
	const uint8_t sep[2] = { 0x0au, sigtype };
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)name, name_len);
	crypto_hash_sha256_update(&st, sep, 2);
	crypto_hash_sha256_update(&st, public_key, CORRIDOR_PUBLIC_KEY_BYTES);
	crypto_hash_sha256_final(&st, h);
	return corridor_be32_get(h);
}

/* Decodes one UTF-8 code point (input already validated). */
static uint32_t utf8_next(const uint8_t *s, size_t *i)
{
	uint8_t c = s[*i];
	size_t need = c < 0x80u ? 0 : c < 0xe0u ? 1 : c < 0xf0u ? 2 : 3;
	uint32_t cp = need == 0 ? c : need == 1 ? (c & 0x1fu) : need == 2 ? (c & 0x0fu) : (c & 0x07u);
	for (size_t k = 1; k <= need; k++)
		cp = (cp << 6) | (s[*i + k] & 0x3fu);
	*i += need + 1;
	return cp;
}

static bool unicode_space(uint32_t cp)
{
	return cp == 0x20u || (cp >= 0x09u && cp <= 0x0du) || cp == 0x85u || cp == 0xa0u ||
	       cp == 0x1680u || (cp >= 0x2000u && cp <= 0x200au) || cp == 0x2028u ||
	       cp == 0x2029u || cp == 0x202fu || cp == 0x205fu || cp == 0x3000u;
}

bool corridor_key_name_valid(const char *name, size_t len)
{
	const uint8_t *s = (const uint8_t *)name;
	if (len == 0 || len > CORRIDOR_NAME_BYTES_MAX || !corridor_utf8_valid(s, len))
		return false;
	size_t i = 0;
	while (i < len) {
		uint32_t cp = utf8_next(s, &i);
		if (cp < 0x20u || cp == 0x7fu || cp == '+' || unicode_space(cp))
			return false;
	}
	return true;
}

struct corridor_signer {
	struct corridor_vkey vk;
	uint8_t *secret; /* crypto_sign_SECRETKEYBYTES, sodium_malloc, read-only */
};

int corridor_vkey_parse(const char *s, size_t len, struct corridor_vkey *out)
{
	const char *p1 = memchr(s, '+', len);
	if (!p1)
		return CORRIDOR_E_MALFORMED;
	size_t name_len = (size_t)(p1 - s);
	if (!corridor_key_name_valid(s, name_len))
		return CORRIDOR_E_MALFORMED;
	size_t rest = len - name_len - 1;
	if (rest < 9 || p1[9] != '+')
		return CORRIDOR_E_MALFORMED;
	for (size_t i = 1; i <= 8; i++) /* lower-case hex only: one spelling */
		if (!((p1[i] >= '0' && p1[i] <= '9') || (p1[i] >= 'a' && p1[i] <= 'f')))
			return CORRIDOR_E_MALFORMED;
	uint8_t idb[4];
	if (corridor_unhex(p1 + 1, 8, idb, 4) != 0)
		return CORRIDOR_E_MALFORMED;
	uint8_t raw[1 + CORRIDOR_PUBLIC_KEY_BYTES + 2];
	size_t raw_len = 0;
	if (corridor_unbase64(p1 + 10, rest - 9, raw, sizeof raw, &raw_len) != 0)
		return CORRIDOR_E_MALFORMED;
	if (raw_len != 1 + CORRIDOR_PUBLIC_KEY_BYTES ||
	    (raw[0] != CORRIDOR_SIGTYPE_ED25519 && raw[0] != CORRIDOR_SIGTYPE_COSIGNATURE))
		return CORRIDOR_E_MALFORMED;
	uint32_t id = corridor_be32_get(idb);
	if (corridor_key_id(s, name_len, raw[0], raw + 1) != id)
		return CORRIDOR_E_MALFORMED;
	out->sigtype = raw[0];
	memcpy(out->name, s, name_len);
	out->name[name_len] = '\0';
	out->key_id = id;
	memcpy(out->public_key, raw + 1, CORRIDOR_PUBLIC_KEY_BYTES);
	return CORRIDOR_OK;
}

void corridor_vkey_format(const struct corridor_vkey *vk, char out[CORRIDOR_VKEY_BYTES_MAX + 1])
{
	uint8_t raw[1 + CORRIDOR_PUBLIC_KEY_BYTES];
	char b64[64];
	raw[0] = vk->sigtype ? vk->sigtype : CORRIDOR_SIGTYPE_ED25519;
	memcpy(raw + 1, vk->public_key, CORRIDOR_PUBLIC_KEY_BYTES);
	corridor_base64(raw, sizeof raw, b64);
	int n = snprintf(out, CORRIDOR_VKEY_BYTES_MAX + 1, "%s+%08x+%s", vk->name,
			 (unsigned)vk->key_id, b64);
	CORRIDOR_ASSERT(n > 0 && (size_t)n <= CORRIDOR_VKEY_BYTES_MAX);
}

void corridor_vkey_as_cosigner(const struct corridor_vkey *vk, struct corridor_vkey *out)
{
	*out = *vk;
	out->sigtype = CORRIDOR_SIGTYPE_COSIGNATURE;
	out->key_id = corridor_key_id(vk->name, strlen(vk->name), CORRIDOR_SIGTYPE_COSIGNATURE,
				      vk->public_key);
}

int corridor_signer_new(const char *name, const uint8_t seed[CORRIDOR_SEED_BYTES], struct corridor_signer **out)
{
	size_t name_len = strlen(name);
	if (!corridor_key_name_valid(name, name_len))
		return CORRIDOR_E_INVALID;
	struct corridor_signer *s = calloc(1, sizeof *s);
	if (!s)
		return CORRIDOR_E_NOMEM;
	s->secret = sodium_malloc(crypto_sign_SECRETKEYBYTES);
	if (!s->secret) {
		free(s);
		return CORRIDOR_E_NOMEM;
	}
	crypto_sign_seed_keypair(s->vk.public_key, s->secret, seed);
	sodium_mprotect_readonly(s->secret);
	memcpy(s->vk.name, name, name_len + 1);
	s->vk.sigtype = CORRIDOR_SIGTYPE_ED25519;
	s->vk.key_id = corridor_key_id(name, name_len, CORRIDOR_SIGTYPE_ED25519, s->vk.public_key);
	*out = s;
	return CORRIDOR_OK;
}

int corridor_signer_from_seed(const char *name, const uint8_t seed[32], struct corridor_signer **out)
{
	return corridor_signer_new(name, seed, out);
}

void corridor_signer_free(struct corridor_signer *signer)
{
	if (!signer)
		return;
	sodium_free(signer->secret); /* wipes before freeing */
	free(signer);
}

const struct corridor_vkey *corridor_signer_vkey(const struct corridor_signer *signer)
{
	return &signer->vk;
}

void corridor_signer_sign(const struct corridor_signer *signer, const uint8_t *msg, size_t len,
			  uint8_t sig[CORRIDOR_SIGNATURE_BYTES])
{
	int rc = crypto_sign_detached(sig, NULL, msg, len, signer->secret);
	CORRIDOR_ASSERT(rc == 0);
}
