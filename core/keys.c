/*
 * keys.c — sealed key files (the key formats and the signer are formats/keys.c).
 *
 * A key file is text, so that an operator can see whose key it is:
 *
 *   corridor-key/v1
 *   name <key name>
 *   public <base64 32-byte Ed25519 public key>
 *   kdf argon2id13 <opslimit> <memlimit>
 *   salt <base64 16 bytes>
 *   nonce <base64 24 bytes>
 *   sealed <base64 crypto_secretbox(seed[32] || name)>
 *
 * The seed and the name are sealed together; after unsealing, the name and the
 * public key derived from the seed must equal the clear-text lines, so any
 * change to the file is detected (a changed cost, salt, nonce or ciphertext
 * fails the MAC; a changed name or public key fails the comparison).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "internal.h"

#define KEYFILE_MAGIC "corridor-key/v1"
#define KEYFILE_BYTES_MAX 4096u
#define SEED_BYTES 32u
#define SALT_BYTES crypto_pwhash_argon2id_SALTBYTES
#define NONCE_BYTES crypto_secretbox_NONCEBYTES
#define SEALED_BYTES_MAX (crypto_secretbox_MACBYTES + SEED_BYTES + CORRIDOR_NAME_BYTES_MAX)

static void kdf_limits(enum corridor_kdf kdf, unsigned long long *ops, size_t *mem)
{
	switch (kdf) {
	case CORRIDOR_KDF_INTERACTIVE:
		*ops = crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE;
		*mem = crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE;
		break;
	case CORRIDOR_KDF_SENSITIVE:
		*ops = crypto_pwhash_argon2id_OPSLIMIT_SENSITIVE;
		*mem = crypto_pwhash_argon2id_MEMLIMIT_SENSITIVE;
		break;
	case CORRIDOR_KDF_MODERATE:
	default:
		*ops = crypto_pwhash_argon2id_OPSLIMIT_MODERATE;
		*mem = crypto_pwhash_argon2id_MEMLIMIT_MODERATE;
		break;
	}
}

/* Derives the sealing key into sodium_malloc'd memory. */
static int derive(const char *pass, size_t pass_len, const uint8_t salt[SALT_BYTES],
		  unsigned long long ops, size_t mem, uint8_t **key_out)
{
	uint8_t *key = sodium_malloc(crypto_secretbox_KEYBYTES);
	if (!key)
		return CORRIDOR_E_NOMEM;
	if (crypto_pwhash(key, crypto_secretbox_KEYBYTES, pass, pass_len, salt, ops, mem,
			  crypto_pwhash_ALG_ARGON2ID13) != 0) {
		sodium_free(key);
		return CORRIDOR_E_NOMEM; /* the only failure: not enough memory */
	}
	*key_out = key;
	return CORRIDOR_OK;
}

static int write_new_file(const char *path, const char *text, size_t len,
			  struct corridor_diag *diag)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return corridor_diag_set(diag, errno == EEXIST ? CORRIDOR_E_EXISTS : CORRIDOR_E_IO,
					 "cannot create %s: %s", path, strerror(errno));
	size_t done = 0;
	while (done < len) {
		ssize_t n = write(fd, text + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto out_fail;
		done += (size_t)n;
	}
	if (fsync(fd) != 0)
		goto out_fail;
	if (close(fd) != 0) {
		fd = -1;
		goto out_fail;
	}
	return CORRIDOR_OK;
out_fail: {
	int e = errno;
	if (fd >= 0)
		close(fd);
	unlink(path);
	return corridor_diag_set(diag, e == ENOSPC ? CORRIDOR_E_FULL : CORRIDOR_E_IO,
				 "cannot write %s: %s", path, strerror(e));
}
}

int corridor_key_generate(const char *name, const char *passphrase, size_t passphrase_len,
			  enum corridor_kdf kdf, const char *path, struct corridor_diag *diag)
{
	int err;
	size_t name_len = strlen(name);
	if (!corridor_key_name_valid(name, name_len))
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "key name '%s' is not valid: it must be 1-%u bytes of "
					 "UTF-8 without spaces or '+'",
					 name, CORRIDOR_NAME_BYTES_MAX);
	if (passphrase_len == 0)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "the passphrase is empty");
	if (access(path, F_OK) == 0)
		return corridor_diag_set(diag, CORRIDOR_E_EXISTS,
					 "%s exists: refusing to overwrite a key file", path);

	unsigned long long ops;
	size_t mem;
	kdf_limits(kdf, &ops, &mem);
	uint8_t salt[SALT_BYTES], nonce[NONCE_BYTES];
	randombytes_buf(salt, sizeof salt);
	randombytes_buf(nonce, sizeof nonce);

	uint8_t *plain = sodium_malloc(SEED_BYTES + name_len);
	if (!plain)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	randombytes_buf(plain, SEED_BYTES);
	memcpy(plain + SEED_BYTES, name, name_len);

	struct corridor_signer *signer = NULL;
	err = corridor_signer_new(name, plain, &signer);
	if (err) {
		corridor_diag_set(diag, err, "cannot create the key");
		goto out_plain;
	}
	uint8_t *key = NULL;
	err = derive(passphrase, passphrase_len, salt, ops, mem, &key);
	if (err) {
		corridor_diag_set(diag, err, "not enough memory for Argon2id (%zu MiB)", mem >> 20);
		goto out_signer;
	}
	uint8_t sealed[SEALED_BYTES_MAX];
	size_t sealed_len = crypto_secretbox_MACBYTES + SEED_BYTES + name_len;
	crypto_secretbox_easy(sealed, plain, SEED_BYTES + name_len, nonce, key);
	sodium_free(key);

	char pub64[64], salt64[64], nonce64[64], sealed64[sodium_base64_ENCODED_LEN(
		SEALED_BYTES_MAX, sodium_base64_VARIANT_ORIGINAL)];
	corridor_base64(corridor_signer_vkey(signer)->public_key, CORRIDOR_PUBLIC_KEY_BYTES, pub64);
	corridor_base64(salt, sizeof salt, salt64);
	corridor_base64(nonce, sizeof nonce, nonce64);
	corridor_base64(sealed, sealed_len, sealed64);
	char text[KEYFILE_BYTES_MAX];
	int n = snprintf(text, sizeof text,
			 KEYFILE_MAGIC "\nname %s\npublic %s\nkdf argon2id13 %llu %zu\nsalt %s\n"
				       "nonce %s\nsealed %s\n",
			 name, pub64, ops, mem, salt64, nonce64, sealed64);
	CORRIDOR_ASSERT(n > 0 && (size_t)n < sizeof text);
	err = write_new_file(path, text, (size_t)n, diag);
out_signer:
	corridor_signer_free(signer);
out_plain:
	sodium_free(plain);
	return err;
}

/* The parsed clear-text part of a key file. */
struct keyfile {
	struct corridor_vkey vk;
	unsigned long long ops;
	size_t mem;
	uint8_t salt[SALT_BYTES];
	uint8_t nonce[NONCE_BYTES];
	uint8_t sealed[SEALED_BYTES_MAX];
	size_t sealed_len;
};

/* Takes the next line, which must start with `label` and a space. */
static int take_line(const char **p, const char *end, const char *label, const char **val,
		     size_t *val_len)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t llen = strlen(label);
	if (!nl)
		return CORRIDOR_E_MALFORMED;
	size_t n = (size_t)(nl - *p);
	if (llen > 0) {
		if (n < llen + 1 || memcmp(*p, label, llen) != 0 || (*p)[llen] != ' ')
			return CORRIDOR_E_MALFORMED;
		*val = *p + llen + 1;
		*val_len = n - llen - 1;
	} else {
		*val = *p;
		*val_len = n;
	}
	*p = nl + 1;
	return CORRIDOR_OK;
}

static int b64_exact(const char *s, size_t len, uint8_t *out, size_t want)
{
	size_t got = 0;
	if (corridor_unbase64(s, len, out, want, &got) != 0 || got != want)
		return CORRIDOR_E_MALFORMED;
	return CORRIDOR_OK;
}

static int parse_keyfile(const uint8_t *buf, size_t len, struct keyfile *kf)
{
	const char *p = (const char *)buf, *end = p + len;
	const char *v;
	size_t vl;
	if (take_line(&p, end, "", &v, &vl) || vl != strlen(KEYFILE_MAGIC) ||
	    memcmp(v, KEYFILE_MAGIC, vl) != 0)
		return CORRIDOR_E_MALFORMED;
	if (take_line(&p, end, "name", &v, &vl) || !corridor_key_name_valid(v, vl))
		return CORRIDOR_E_MALFORMED;
	memcpy(kf->vk.name, v, vl);
	kf->vk.name[vl] = '\0';
	if (take_line(&p, end, "public", &v, &vl) ||
	    b64_exact(v, vl, kf->vk.public_key, CORRIDOR_PUBLIC_KEY_BYTES))
		return CORRIDOR_E_MALFORMED;
	kf->vk.sigtype = CORRIDOR_SIGTYPE_ED25519;
	kf->vk.key_id = corridor_key_id(kf->vk.name, strlen(kf->vk.name), CORRIDOR_SIGTYPE_ED25519,
					kf->vk.public_key);
	if (take_line(&p, end, "kdf", &v, &vl))
		return CORRIDOR_E_MALFORMED;
	{
		const char *sp1 = memchr(v, ' ', vl);
		if (!sp1 || (size_t)(sp1 - v) != strlen("argon2id13") ||
		    memcmp(v, "argon2id13", 10) != 0)
			return CORRIDOR_E_MALFORMED;
		const char *a = sp1 + 1, *e = v + vl;
		const char *sp2 = memchr(a, ' ', (size_t)(e - a));
		uint64_t ops, mem;
		if (!sp2 || corridor_parse_u64(a, (size_t)(sp2 - a), &ops) ||
		    corridor_parse_u64(sp2 + 1, (size_t)(e - sp2 - 1), &mem))
			return CORRIDOR_E_MALFORMED;
		kf->ops = ops;
		kf->mem = (size_t)mem;
		if (mem > SIZE_MAX)
			return CORRIDOR_E_LIMIT;
	}
	if (take_line(&p, end, "salt", &v, &vl) || b64_exact(v, vl, kf->salt, SALT_BYTES))
		return CORRIDOR_E_MALFORMED;
	if (take_line(&p, end, "nonce", &v, &vl) || b64_exact(v, vl, kf->nonce, NONCE_BYTES))
		return CORRIDOR_E_MALFORMED;
	if (take_line(&p, end, "sealed", &v, &vl) ||
	    corridor_unbase64(v, vl, kf->sealed, sizeof kf->sealed, &kf->sealed_len) != 0 ||
	    kf->sealed_len < crypto_secretbox_MACBYTES + SEED_BYTES + 1)
		return CORRIDOR_E_MALFORMED;
	if (p != end)
		return CORRIDOR_E_MALFORMED;
	return CORRIDOR_OK;
}

static int read_keyfile(const char *path, struct keyfile *kf, struct corridor_diag *diag)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int err = corridor_read_file(path, KEYFILE_BYTES_MAX, &buf, &len, diag);
	if (err == CORRIDOR_E_LIMIT)
		return corridor_diag_set(diag, CORRIDOR_E_MALFORMED,
					 "%s is not a Corridor key file (too large)", path);
	if (err)
		return err;
	err = parse_keyfile(buf, len, kf);
	sodium_memzero(buf, len);
	free(buf);
	if (err)
		return corridor_diag_set(diag, CORRIDOR_E_MALFORMED,
					 "%s is not a valid Corridor key file (truncated or garbled)",
					 path);
	return CORRIDOR_OK;
}

int corridor_key_read_public(const char *path, struct corridor_vkey *out, struct corridor_diag *diag)
{
	struct keyfile kf;
	int err = read_keyfile(path, &kf, diag);
	if (err)
		return err;
	*out = kf.vk;
	return CORRIDOR_OK;
}

int corridor_signer_load(const char *path, const char *passphrase, size_t passphrase_len,
			 struct corridor_signer **out, struct corridor_diag *diag)
{
	struct keyfile kf;
	int err = read_keyfile(path, &kf, diag);
	if (err)
		return err;
	/* A hostile file must not make us burn a terabyte of memory. */
	if (kf.ops < crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE ||
	    kf.ops > crypto_pwhash_argon2id_OPSLIMIT_SENSITIVE ||
	    kf.mem < crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE ||
	    kf.mem > crypto_pwhash_argon2id_MEMLIMIT_SENSITIVE)
		return corridor_diag_set(diag, CORRIDOR_E_LIMIT,
					 "%s asks for an Argon2id cost outside libsodium's levels",
					 path);
	uint8_t *key = NULL;
	err = derive(passphrase, passphrase_len, kf.salt, kf.ops, kf.mem, &key);
	if (err)
		return corridor_diag_set(diag, err, "not enough memory for Argon2id (%zu MiB)",
					 kf.mem >> 20);
	size_t plain_len = kf.sealed_len - crypto_secretbox_MACBYTES;
	uint8_t *plain = sodium_malloc(plain_len);
	if (!plain) {
		err = corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
		goto out_key;
	}
	if (crypto_secretbox_open_easy(plain, kf.sealed, kf.sealed_len, kf.nonce, key) != 0) {
		err = corridor_diag_set(diag, CORRIDOR_E_UNSEAL,
					"cannot unseal %s: wrong passphrase or tampered key file",
					path);
		goto out_plain;
	}
	size_t name_len = strlen(kf.vk.name);
	if (plain_len - SEED_BYTES != name_len || memcmp(plain + SEED_BYTES, kf.vk.name, name_len)) {
		err = corridor_diag_set(diag, CORRIDOR_E_UNSEAL,
					"%s is tampered: its name line does not match the sealed name",
					path);
		goto out_plain;
	}
	struct corridor_signer *s = NULL;
	err = corridor_signer_new(kf.vk.name, plain, &s);
	if (err) {
		corridor_diag_set(diag, err, "cannot load the key");
		goto out_plain;
	}
	if (sodium_memcmp(corridor_signer_vkey(s)->public_key, kf.vk.public_key, CORRIDOR_PUBLIC_KEY_BYTES) != 0) {
		corridor_signer_free(s);
		err = corridor_diag_set(diag, CORRIDOR_E_UNSEAL,
					"%s is tampered: its public line does not match the sealed key",
					path);
		goto out_plain;
	}
	*out = s;
	err = CORRIDOR_OK;
out_plain:
	sodium_free(plain);
out_key:
	sodium_free(key);
	return err;
}
