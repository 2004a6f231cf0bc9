/* testutil.h — helpers shared by the Check suites. */
#ifndef CORRIDOR_TESTUTIL_H
#define CORRIDOR_TESTUTIL_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "corridor/corridor.h"

Suite *suite_vectors(void);
Suite *suite_entry(void);
Suite *suite_statements(void);
Suite *suite_serve(void);
Suite *suite_tiles(void);
Suite *suite_keys(void);
Suite *suite_ledger(void);
Suite *suite_cli(void);
Suite *suite_crash(void);
Suite *suite_audit(void);
Suite *suite_settle(void);
Suite *suite_faults(void);
Suite *suite_parties(void);
Suite *suite_contracts(void);
Suite *suite_deliveries(void);
Suite *suite_tty(void);
Suite *suite_hardening(void);
Suite *suite_cim(void);

/* A fresh temporary directory (mkdtemp); the caller removes it with rm_rf. */
char *tmpdir_new(void);
void rm_rf(const char *path);
/* path = dir + "/" + name, in a static rotating buffer. */
const char *path_join(const char *dir, const char *name);
/* Reads a whole file; returns malloc'd bytes (NUL-terminated) or NULL. */
uint8_t *slurp(const char *path, size_t *len);
bool spit(const char *path, const void *data, size_t len);
/* A test vector file under $CORRIDOR_VECTORS. */
const char *vector_path(const char *rel);

/* A deterministic signer named `name` from a one-byte seed pattern. */
struct corridor_signer *test_signer(const char *name, uint8_t seed_byte);

/* Registers s as a party (its key's name as id and name) by the operator op. */
void test_party(struct corridor_ledger *l, const struct corridor_signer *op,
		const struct corridor_signer *s, const char *country, unsigned roles);
/* Contract terms from a file of docs/examples ($CORRIDOR_EXAMPLES). */
void test_terms(const char *file, struct corridor_contract_terms *t);

/* Runs the real corridor binary ($CORRIDOR_BIN) with argv (NULL-terminated),
 * env additions "K=V" (NULL-terminated, may be NULL), stdin from /dev/null.
 * Captures stdout and stderr (each up to 1 MiB, NUL-terminated). */
struct run {
	int status; /* exit code, or 128+signal */
	char *out, *err;
};
struct run run_cli(const char *const *argv, const char *const *env);
void run_free(struct run *r);
const char *corridor_bin(void);

/* Runs `call` (an expression using a `struct corridor_diag d` in scope) on the
 * fixture `w` (anything with a ledger `l`), expects `code`, and checks the
 * ledger's head (size and root) did not move. */
#define UNCHANGED(w, call, code)                                                       \
	do {                                                                           \
		struct corridor_head b_, a_;                                           \
		ck_assert_int_eq(corridor_ledger_head((w)->l, &b_), 0);                \
		int rc_ = (call);                                                      \
		ck_assert_msg(rc_ == (code), "%s: %d (%s)", #call, rc_, d.text);       \
		ck_assert_int_eq(corridor_ledger_head((w)->l, &a_), 0);                \
		ck_assert_uint_eq(a_.size, b_.size);                                   \
		ck_assert(memcmp(a_.root, b_.root, 32) == 0);                          \
	} while (0)

#endif
