/*
 * identity.c — a statement's idempotency key when its author gives none
 * (docs/FORMAT.md 2a "Idempotency keys"). The same write made again — a
 * retry, a re-run of an interrupted import — gets the same key, so the
 * ledger answers it with the original receipt instead of recording it twice.
 *
 * A statement's natural identity is its body: "sha256:" + the hex SHA-256 of
 * the body's canonical bytes (a delivery.series: "series:" + the first 128
 * bits of it in unpadded base64url, 29 bytes instead of 71). Two writes with equal bodies are one write;
 * a write with another body is another statement, which the kind's rules
 * then judge (a second registration of a party, a second definition of a
 * currency are refused there, with their reasons). Where the body alone
 * cannot tell two writes apart, the service names the identity: a
 * delivery's reference, a bank transaction's reference, a payment's
 * identity and occurrence, a settlement's period, contract and generation.
 * A memo has none (two equal memos are two memos): it gets a random key
 * ("random:" + 32 hex digits), so only an explicit key makes it retryable.
 */
#include "kinds.h"

bool corridor_natural_key(const char *kind, const uint8_t *body, size_t len,
			  char out[CORRIDOR_IDEM_BYTES_MAX + 1])
{
	uint8_t h[CORRIDOR_HASH_BYTES];
	if (strcmp(kind, "memo") == 0)
		return false;
	crypto_hash_sha256(h, body, len);
	if (strcmp(kind, "delivery.series") == 0) {
		/* a day of a meter: written by the thousand, stored twice (in the
		 * statement and the idempotency index), so 128 bits in base64url */
		memcpy(out, "series:", 7);
		sodium_bin2base64(out + 7, CORRIDOR_IDEM_BYTES_MAX + 1 - 7, h, 16,
				  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		return true;
	}
	memcpy(out, "sha256:", 7);
	sodium_bin2hex(out + 7, CORRIDOR_IDEM_BYTES_MAX + 1 - 7, h, sizeof h);
	return true;
}

void corridor_random_key(char out[CORRIDOR_IDEM_BYTES_MAX + 1])
{
	uint8_t r[16];
	randombytes_buf(r, sizeof r);
	memcpy(out, "random:", 7);
	sodium_bin2hex(out + 7, CORRIDOR_IDEM_BYTES_MAX + 1 - 7, r, sizeof r);
}
