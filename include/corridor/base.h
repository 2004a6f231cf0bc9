/*
 * corridor/base.h — limits, errors, diagnostics, text encodings, the library version.
 * Part of the public API; include <corridor/corridor.h> for all of it.
 */
#ifndef CORRIDOR_API_BASE_H
#define CORRIDOR_API_BASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define CORRIDOR_MUST_CHECK __attribute__((warn_unused_result))
#else
#define CORRIDOR_MUST_CHECK
#endif

/** The library's version (semantic versioning: a new MAJOR breaks the API or
 *  the ABI; entries and ledgers of every earlier release keep opening). */
#define CORRIDOR_VERSION_MAJOR 0
#define CORRIDOR_VERSION_MINOR 2
#define CORRIDOR_VERSION_PATCH 0
/** "MAJOR.MINOR.PATCH" of the library linked in (which may be newer than the
 *  header a program was compiled with). */
const char *corridor_version(void);

/* ------------------------------------------------------------------ */
/* Limits. Every buffer, loop and batch has a named maximum.           */
/* ------------------------------------------------------------------ */

#define CORRIDOR_HASH_BYTES 32u
#define CORRIDOR_PUBLIC_KEY_BYTES 32u
#define CORRIDOR_SIGNATURE_BYTES 64u
/** An entry's canonical encoding, signature included (a tlog-tiles bundle entry). */
#define CORRIDOR_ENTRY_BYTES_MAX 65535u
/** Nesting depth of msgpack containers inside an entry (envelope = depth 1). */
#define CORRIDOR_ENTRY_DEPTH_MAX 8u
/** Bytes of an entry kind, e.g. "memo". */
#define CORRIDOR_KIND_BYTES_MAX 64u
/** Bytes of a key name, party id or origin. */
#define CORRIDOR_NAME_BYTES_MAX 255u
/** Bytes of one memo's text. */
#define CORRIDOR_MEMO_TEXT_BYTES_MAX 16384u
/** Entries written in one write transaction. */
#define CORRIDOR_BATCH_ENTRIES_MAX 4096u
/** Default entries per transaction for bulk writers. */
#define CORRIDOR_BATCH_ENTRIES_DEFAULT 1000u
/** Lines in one bulk memo file. */
#define CORRIDOR_MEMO_LINES_MAX 10000000u
/** A signed note (checkpoint with its signatures). */
#define CORRIDOR_NOTE_BYTES_MAX 65536u
/** Signature lines in one signed note (the Go sumdb/note cap). */
#define CORRIDOR_NOTE_SIGS_MAX 100u
/** Hashes in one Merkle proof (a tree of 2^63 leaves needs 63 hashes at most
 *  for inclusion and 126 for consistency; we allow 64 per direction). */
#define CORRIDOR_PROOF_HASHES_MAX 130u
/** Bytes of a verifier key string. */
#define CORRIDOR_VKEY_BYTES_MAX (CORRIDOR_NAME_BYTES_MAX + 1u + 8u + 1u + 44u)
/** Bytes of a passphrase. */
#define CORRIDOR_PASSPHRASE_BYTES_MAX 1024u
/** Bytes of an idempotency key. */
#define CORRIDOR_IDEM_BYTES_MAX 128u
/** Bytes of a party id ([A-Z0-9-]). */
#define CORRIDOR_PARTY_ID_BYTES_MAX 32u
/** Bytes of a party's display name. */
#define CORRIDOR_PARTY_NAME_BYTES_MAX 128u
/** Bank accounts (IBANs) of one party. */
#define CORRIDOR_PARTY_IBANS_MAX 8u
/** Keys one party has had (shown by corridor_party_get). */
#define CORRIDOR_PARTY_KEYS_MAX 64u
/** Bytes of a free-text reason or note in a body. */
#define CORRIDOR_REASON_BYTES_MAX 1024u
/** Worker threads for parallel signing and verification. */
#define CORRIDOR_THREADS_MAX 64u
/** Bytes of a diagnostic line. */
#define CORRIDOR_DIAG_BYTES_MAX 320u

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

enum corridor_err {
	CORRIDOR_OK = 0,
	CORRIDOR_E_NOMEM = -1,        /* out of memory */
	CORRIDOR_E_INVALID = -2,      /* an argument or input value is not acceptable */
	CORRIDOR_E_MALFORMED = -3,    /* input bytes do not parse */
	CORRIDOR_E_NONCANONICAL = -4, /* msgpack that parses but is not canonical */
	CORRIDOR_E_LIMIT = -5,        /* input exceeds a named limit */
	CORRIDOR_E_IO = -6,           /* a file could not be read or written */
	CORRIDOR_E_EXISTS = -7,       /* refuses to overwrite something that exists */
	CORRIDOR_E_NOTFOUND = -8,     /* no such ledger, entry, checkpoint or file */
	CORRIDOR_E_STORAGE = -9,      /* LMDB failed (see diag) */
	CORRIDOR_E_FULL = -10,        /* the disk or the map is full */
	CORRIDOR_E_UNSEAL = -11,      /* wrong passphrase, or key file tampered */
	CORRIDOR_E_KEY = -12,         /* key unknown, not valid at this seq, or wrong */
	CORRIDOR_E_SIGNATURE = -13,   /* a signature does not verify */
	CORRIDOR_E_VERIFY = -14,      /* a ledger, archive or proof check failed */
	CORRIDOR_E_REFUSED = -15,     /* a rule refuses this write */
	CORRIDOR_E_REPLICA = -16,     /* a replica refuses local writes */
	CORRIDOR_E_CRYPTO = -17,      /* the crypto library failed to initialise */
	CORRIDOR_E_OVERFLOW = -18,    /* an integer would overflow */
};

/** A static, one-line description of an error code. Never NULL. */
const char *corridor_strerror(int err);

/** Filled by failing functions: what went wrong, in one line. */
struct corridor_diag {
	bool has_seq;   /* the failure concerns entry `seq` */
	uint64_t seq;
	char text[CORRIDOR_DIAG_BYTES_MAX];
};

/** Clears a diag (no allocation). */
void corridor_diag_init(struct corridor_diag *diag);

/** Initialises libsodium. Errors: CORRIDOR_E_CRYPTO. */
CORRIDOR_MUST_CHECK int corridor_init(void);

/** Progress of a long operation: `done` of `total` units so far. */
typedef void (*corridor_progress_fn)(void *ctx, uint64_t done, uint64_t total);

/* ------------------------------------------------------------------ */
/* Encoding helpers                                                    */
/* ------------------------------------------------------------------ */

/** A time in UTC microseconds as RFC 3339 with six decimals and Z
 *  ("2026-07-01T00:00:00.000000Z"), NUL-terminated. */
#define CORRIDOR_TIME_TEXT_BYTES 40u
void corridor_time_text(uint64_t time_us, char out[CORRIDOR_TIME_TEXT_BYTES]);
/** Lower-case hex of `len` bytes into `out` (2*len+1 bytes, NUL-terminated). */
void corridor_hex(const uint8_t *bytes, size_t len, char *out);
/** Parses exactly `2*len` hex digits. Errors: CORRIDOR_E_MALFORMED. */
CORRIDOR_MUST_CHECK int corridor_unhex(const char *hex, size_t hex_len, uint8_t *out, size_t len);
/** Standard base64 with padding; `out` needs corridor_base64_len(len) bytes. */
size_t corridor_base64_len(size_t len);
void corridor_base64(const uint8_t *bytes, size_t len, char *out);
/** Strict standard base64 (padding required, no whitespace, canonical trailing
 *  bits). Writes at most `cap` bytes. Errors: CORRIDOR_E_MALFORMED, CORRIDOR_E_LIMIT. */
CORRIDOR_MUST_CHECK int corridor_unbase64(const char *b64, size_t b64_len, uint8_t *out,
					  size_t cap, size_t *out_len);
/** Parses an exact decimal ("-12.5", "250.12503") into an integer scaled by
 *  10^scale: at most `scale` fractional digits (more are refused, never
 *  rounded), no exponent, sign only '-', result within [min, max].
 *  Errors: CORRIDOR_E_MALFORMED, CORRIDOR_E_LIMIT (too many fractional digits),
 *  CORRIDOR_E_OVERFLOW (out of bounds). */
CORRIDOR_MUST_CHECK int corridor_decimal_parse(const char *s, size_t len, unsigned scale,
					       int64_t min, int64_t max, int64_t *out);
/** Formats a scaled integer as a decimal, without trailing fractional zeros. */
void corridor_decimal_format(int64_t v, unsigned scale, char *out, size_t cap);
/** Parses a calendar date YYYY-MM-DD (1970-9999) into days since 1970-01-01.
 *  Errors: CORRIDOR_E_MALFORMED (including dates that do not exist). */
CORRIDOR_MUST_CHECK int corridor_date_parse(const char *s, size_t len, int32_t *days);
void corridor_date_format(int32_t days, char out[11]);
/** Parses a period as hledger writes one: a year (2026), a quarter
 *  (2026-Q1), a month (2026-03), a day (2026-03-05) or a range of days
 *  (2026-03-01..2026-06-30, both included) into [*first_day, *end_day).
 *  Errors: CORRIDOR_E_MALFORMED. */
CORRIDOR_MUST_CHECK int corridor_period_range_parse(const char *s, size_t len, int32_t *first_day,
						    int32_t *end_day);
/** The calendar date of a day number. */
void corridor_civil_from_days(int32_t days, int32_t *y, unsigned *m, unsigned *d);
/** True if the day is the first of its month. */
bool corridor_month_start(int32_t days);
/** Parses a fixed UTC offset "+08:00" (-14:00 .. +14:00; "-00:00" refused)
 *  into minutes. Errors: CORRIDOR_E_MALFORMED. */
CORRIDOR_MUST_CHECK int corridor_offset_parse(const char *s, size_t len, int32_t *minutes);
void corridor_offset_format(int32_t minutes, char out[7]);

/** Parses a UTC instant written exactly YYYY-MM-DDTHH:MM:SSZ into seconds
 *  since the epoch. Errors: CORRIDOR_E_MALFORMED. */
CORRIDOR_MUST_CHECK int corridor_utc_parse(const char *s, size_t len, int64_t *secs);
void corridor_utc_format(int64_t secs, char out[21]);

/** Parses a decimal uint64 of exactly `len` digits: no sign, no blanks, no
 *  leading zeros (except "0"). Errors: CORRIDOR_E_MALFORMED, CORRIDOR_E_OVERFLOW. */
CORRIDOR_MUST_CHECK int corridor_parse_u64(const char *s, size_t len, uint64_t *out);

/** True if `s` is well-formed UTF-8 (no overlongs, no surrogates). */
bool corridor_utf8_valid(const uint8_t *s, size_t len);

/** Makes untrusted bytes safe for one line of a terminal: control characters
 *  (C0, DEL) and bytes that are not UTF-8 become `\xNN`; C1 controls, line
 *  separators and bidi controls `\u{N}`; everything else is copied, so
 *  escaping an escaped text changes nothing (messages that quote messages).
 *  Writes at most cap-1 bytes and a NUL into out, never half an escape or
 *  half a code point; returns the length written. Every error text
 *  (corridor_diag) and every untrusted string the CLI prints goes through it. */
size_t corridor_escape(const char *in, size_t len, char *out, size_t cap);

#ifdef __cplusplus
}
#endif
#endif /* CORRIDOR_API_BASE_H */
