/*
 * corridor/httpsig.h — signed read requests: HTTP Message Signatures
 * (RFC 9421) with Ed25519, as `corridor serve` takes them (docs/SERVICE.md
 * "Signed reads").
 *
 *   Signature-Input: sig1=("@method" "@path" "@query");created=1764633600;keyid="RU-GAZPROM+24e4e337";alg="ed25519"
 *   Signature: sig1=:<base64 of the 64-byte Ed25519 signature>:
 *
 * The signature base (RFC 9421 §2.5) is one line per covered component,
 * `"<name>": <value>`, then `"@signature-params": <the inner list and its
 * parameters, serialized>`, joined by LF, with no final LF; Ed25519 signs it
 * as it is (§3.3.6). keyid names the reader's key as a verifier key does:
 * its name (the party id), '+', its key id in 8 hex digits.
 * Part of the public API; include <corridor/corridor.h> for all of it.
 */
#ifndef CORRIDOR_API_HTTPSIG_H
#define CORRIDOR_API_HTTPSIG_H

#include "keys.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A request is valid this long either side of its `created` (seconds). */
#define CORRIDOR_HTTPSIG_WINDOW_S 60
/** The longest Signature-Input or Signature header value taken. */
#define CORRIDOR_HTTPSIG_HEADER_BYTES_MAX 1024u
/** The longest path or query signed. */
#define CORRIDOR_HTTPSIG_TARGET_BYTES_MAX 2048u

/** A parsed signature: exactly one label, covering "@method", "@path" and
 *  "@query" in that order, with created (and optionally expires), keyid and
 *  alg "ed25519". */
struct corridor_httpsig {
	char label[33];
	char keyid_name[CORRIDOR_NAME_BYTES_MAX + 1];
	uint32_t keyid;
	int64_t created, expires; /* POSIX seconds; expires 0: none */
	uint8_t sig[CORRIDOR_SIGNATURE_BYTES];
	/* the inner list and parameters exactly as received: "@signature-params" */
	char params[CORRIDOR_HTTPSIG_HEADER_BYTES_MAX];
};

/** Signs a request: writes the Signature-Input and Signature header values
 *  (NUL-terminated, each CORRIDOR_HTTPSIG_HEADER_BYTES_MAX bytes).
 *  `query` is the query with its '?' or "" for none. Errors:
 *  CORRIDOR_E_INVALID (a path not starting with '/', a control character),
 *  CORRIDOR_E_LIMIT. */
CORRIDOR_MUST_CHECK int corridor_httpsig_sign(const struct corridor_signer *signer,
					      const char *method, const char *path,
					      const char *query, int64_t created,
					      char input[CORRIDOR_HTTPSIG_HEADER_BYTES_MAX],
					      char signature[CORRIDOR_HTTPSIG_HEADER_BYTES_MAX]);

/** Parses the two header values strictly (RFC 8941 dictionaries, the subset
 *  above; anything else is refused). Errors: CORRIDOR_E_MALFORMED,
 *  CORRIDOR_E_LIMIT. */
CORRIDOR_MUST_CHECK int corridor_httpsig_parse(const char *input, const char *signature,
					       struct corridor_httpsig *out,
					       struct corridor_diag *diag);

/** Checks a parsed signature over this request with the reader's public key,
 *  and its time: created within CORRIDOR_HTTPSIG_WINDOW_S of now_s, not
 *  expired. Errors: CORRIDOR_E_SIGNATURE, CORRIDOR_E_REFUSED (outside its
 *  window), CORRIDOR_E_LIMIT. */
CORRIDOR_MUST_CHECK int corridor_httpsig_verify(const struct corridor_httpsig *h,
						const char *method, const char *path,
						const char *query,
						const uint8_t public_key[CORRIDOR_PUBLIC_KEY_BYTES],
						int64_t now_s, struct corridor_diag *diag);

#ifdef __cplusplus
}
#endif
#endif /* CORRIDOR_API_HTTPSIG_H */
