/*
 * corridor/keys.h — Ed25519 keys as C2SP signed-note names them: key names and ids, verifier keys, signers and sealed key files.
 * Part of the public API; include <corridor/corridor.h> for all of it.
 */
#ifndef CORRIDOR_API_KEYS_H
#define CORRIDOR_API_KEYS_H

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Keys (C2SP signed-note Ed25519 keys)                                */
/* ------------------------------------------------------------------ */

/** Argon2id cost of a sealed key file: libsodium's named levels. */
enum corridor_kdf {
	CORRIDOR_KDF_INTERACTIVE = 1,
	CORRIDOR_KDF_MODERATE = 2,
	CORRIDOR_KDF_SENSITIVE = 3,
};

/** C2SP signature type bytes. */
#define CORRIDOR_SIGTYPE_ED25519 0x01u
/** c2sp.org/tlog-cosignature: timestamped Ed25519 cosignatures. */
#define CORRIDOR_SIGTYPE_COSIGNATURE 0x04u

/** A public key as a C2SP verifier key: name+hex8(keyid)+base64(0x01||pub). */
struct corridor_vkey {
	char name[CORRIDOR_NAME_BYTES_MAX + 1];
	uint32_t key_id;
	uint8_t public_key[CORRIDOR_PUBLIC_KEY_BYTES];
	uint8_t sigtype; /* CORRIDOR_SIGTYPE_ED25519 or CORRIDOR_SIGTYPE_COSIGNATURE */
};

/** key id = first 4 bytes, big-endian, of SHA-256(name || 0x0A || type || pub). */
uint32_t corridor_key_id(const char *name, size_t name_len, uint8_t sigtype,
			 const uint8_t public_key[CORRIDOR_PUBLIC_KEY_BYTES]);

/** True if `name` is a valid C2SP key name: non-empty, at most
 *  CORRIDOR_NAME_BYTES_MAX bytes, UTF-8, printable ASCII-or-UTF-8 without
 *  spaces or '+'. */
bool corridor_key_name_valid(const char *name, size_t len);

/** Parses a verifier key string of exactly `len` bytes and checks that its key
 *  id matches its name and key. Signature types 0x01 (Ed25519 notes) and 0x04
 *  (Ed25519 cosignatures) are accepted; sigtype says which.
 *  Errors: CORRIDOR_E_MALFORMED (any deviation). */
CORRIDOR_MUST_CHECK int corridor_vkey_parse(const char *s, size_t len, struct corridor_vkey *out);
/** Formats `vk` into `out` (CORRIDOR_VKEY_BYTES_MAX+1 bytes). */
void corridor_vkey_format(const struct corridor_vkey *vk, char out[CORRIDOR_VKEY_BYTES_MAX + 1]);
/** The same Ed25519 key as a cosigner (type 0x04, its own key id). */
void corridor_vkey_as_cosigner(const struct corridor_vkey *vk, struct corridor_vkey *out);

/** An unsealed signing key; the secret lives in sodium_malloc'd, guarded memory. */
struct corridor_signer;

/** Creates a new Ed25519 key named `name`, seals its secret with Argon2id
 *  (level `kdf`) + XSalsa20-Poly1305 under `passphrase`, and writes it to
 *  `path`, created with mode 0600; never overwrites.
 *  Errors: CORRIDOR_E_INVALID (bad name, empty passphrase), CORRIDOR_E_EXISTS,
 *  CORRIDOR_E_IO, CORRIDOR_E_NOMEM. */
CORRIDOR_MUST_CHECK int corridor_key_generate(const char *name, const char *passphrase,
					      size_t passphrase_len, enum corridor_kdf kdf,
					      const char *path, struct corridor_diag *diag);

/** Reads the public part of a key file (no passphrase needed).
 *  Errors: CORRIDOR_E_IO, CORRIDOR_E_NOTFOUND, CORRIDOR_E_MALFORMED. */
CORRIDOR_MUST_CHECK int corridor_key_read_public(const char *path, struct corridor_vkey *out,
						 struct corridor_diag *diag);

/** Unseals a key file. On success the caller owns *out (corridor_signer_free).
 *  Errors: CORRIDOR_E_IO, CORRIDOR_E_NOTFOUND, CORRIDOR_E_MALFORMED (truncated or
 *  garbled file), CORRIDOR_E_LIMIT (KDF cost outside libsodium's levels),
 *  CORRIDOR_E_UNSEAL (wrong passphrase or tampered file), CORRIDOR_E_NOMEM. */
CORRIDOR_MUST_CHECK int corridor_signer_load(const char *path, const char *passphrase,
					     size_t passphrase_len, struct corridor_signer **out,
					     struct corridor_diag *diag);

/** A signer from a raw 32-byte Ed25519 seed (tests, vectors). Caller owns *out.
 *  Errors: CORRIDOR_E_INVALID, CORRIDOR_E_NOMEM. */
CORRIDOR_MUST_CHECK int corridor_signer_from_seed(const char *name,
						  const uint8_t seed[32],
						  struct corridor_signer **out);
/** Wipes and frees. NULL is allowed. */
void corridor_signer_free(struct corridor_signer *signer);
/** The signer's public identity (borrowed; valid while the signer lives). */
const struct corridor_vkey *corridor_signer_vkey(const struct corridor_signer *signer);
/** Ed25519 detached signature of `msg`. Thread-safe for one signer. */
void corridor_signer_sign(const struct corridor_signer *signer, const uint8_t *msg, size_t len,
			  uint8_t sig[CORRIDOR_SIGNATURE_BYTES]);

#ifdef __cplusplus
}
#endif
#endif /* CORRIDOR_API_KEYS_H */
