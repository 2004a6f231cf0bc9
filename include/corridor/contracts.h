/*
 * corridor/contracts.h — bilateral contracts: terms, validation, the proposal lifecycle.
 * Part of the public API; include <corridor/corridor.h> for all of it.
 */
#ifndef CORRIDOR_API_CONTRACTS_H
#define CORRIDOR_API_CONTRACTS_H

#include "parties.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Contracts (docs/CONTRACTS.md)                                       */
/* ------------------------------------------------------------------ */

#define CORRIDOR_PRICE_STEPS_MAX 64u
#define CORRIDOR_CONTRACT_VERSIONS_MAX 32u
#define CORRIDOR_CONTRACT_PENDING_MAX 16u
#define CORRIDOR_METER_ID_BYTES_MAX 64u
#define CORRIDOR_POINT_BYTES_MAX 128u
#define CORRIDOR_CONTRACT_JSON_BYTES_MAX (1u << 20)
/** Bounds of SETTLEMENT.md "Numbers". */
#define CORRIDOR_QUANTITY_MILLI_LIMIT 1000000000000000LL /* |q| < 10^15 */
#define CORRIDOR_PRICE_MICRO_LIMIT 1000000000000LL       /* 0 <= p < 10^12 */
#define CORRIDOR_BASIS_POINTS_MAX 100000u
#define CORRIDOR_PERMILLE_MAX 1000u
#define CORRIDOR_PAYMENT_DAYS_MAX 366u

enum corridor_commodity {
	CORRIDOR_COMMODITY_GAS = 1,
	CORRIDOR_COMMODITY_POWER = 2,
	CORRIDOR_COMMODITY_TRANSIT = 3,
};

/** A price (or, for transit, fee) per contract unit from a local date on, in
 *  micro-units of the contract currency's major unit. */
struct corridor_price_step {
	int32_t from_day; /* days since 1970-01-01, a local date of the contract */
	int64_t price_micro;
};

/** The terms of a bilateral contract (one version). Dates are local calendar
 *  days of the contract's fixed UTC offset; the term is [start, end). */
struct corridor_contract_terms {
	char id[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
	char seller[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
	char buyer[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
	enum corridor_commodity commodity;
	char carries[CORRIDOR_PARTY_ID_BYTES_MAX + 1]; /* transit: the supply contract */
	char delivery_point[CORRIDOR_POINT_BYTES_MAX + 1];
	char unit[8];            /* kWh, MWh, GJ, MMBtu, m3 */
	int32_t start_day, end_day;
	int32_t utc_offset_min;
	size_t price_count;
	struct corridor_price_step prices[CORRIDOR_PRICE_STEPS_MAX];
	char currency[4];
	char settlement_currency[4];
	char rate_source[CORRIDOR_PARTY_ID_BYTES_MAX + 1]; /* empty if no conversion */
	uint32_t payment_days;
	bool has_min, has_max;
	int64_t min_milli, max_milli;   /* per period, milli-units */
	/* The capacity (optional): at most this many milli-units per hour; a
	 * reading above capacity x its interval's length is refused. */
	bool has_max_rate;
	int64_t max_rate_milli;
	uint32_t shortfall_bp, excess_bp;
	uint32_t tolerance_permille;
	char metering_party[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
	char billing_meter[CORRIDOR_METER_ID_BYTES_MAX + 1];
};

/** Parses contract terms from JSON (jansson; docs/CONTRACTS.md) and validates
 *  them (corridor_contract_validate). Decimals must be JSON strings.
 *  Errors: CORRIDOR_E_MALFORMED (not JSON), CORRIDOR_E_INVALID (a field; diag
 *  names it), CORRIDOR_E_LIMIT. */
CORRIDOR_MUST_CHECK int corridor_contract_parse_json(const char *json, size_t len,
						     struct corridor_contract_terms *out,
						     struct corridor_diag *diag);
/** Checks every bound of SETTLEMENT.md "Numbers" and the terms' own
 *  consistency (not the ledger's parties). Errors: CORRIDOR_E_INVALID. */
CORRIDOR_MUST_CHECK int corridor_contract_validate(const struct corridor_contract_terms *t,
						   struct corridor_diag *diag);

/** The seller or buyer proposes a contract; the other party accepts it.
 *  Errors: CORRIDOR_E_INVALID, CORRIDOR_E_REFUSED (roles, id taken, unknown
 *  parties or carried contract), CORRIDOR_E_KEY, and the storage errors. */
CORRIDOR_MUST_CHECK int corridor_contract_propose(struct corridor_ledger *ledger,
						  const struct corridor_signer *signer,
						  const struct corridor_contract_terms *terms,
						  const char *idempotency_key, uint64_t *seq,
						  struct corridor_diag *diag);
/** The other party accepts a pending proposal (propose, amend or terminate),
 *  named by its seq (0: the only pending one).
 *  Errors: CORRIDOR_E_INVALID (an idempotency key), CORRIDOR_E_NOTFOUND (no such
 *  contract), CORRIDOR_E_REFUSED (no such pending proposal, or the signer
 *  proposed it), and the write errors. */
CORRIDOR_MUST_CHECK int corridor_contract_accept(struct corridor_ledger *ledger,
						 const struct corridor_signer *signer, const char *id,
						 uint64_t proposal, const char *idempotency_key,
						 uint64_t *seq, struct corridor_diag *diag);
/** Proposes new terms from a local date: prices may change from any date,
 *  other terms only from the first day of a period.
 *  Errors: CORRIDOR_E_INVALID (terms, an idempotency key), CORRIDOR_E_REFUSED
 *  (not a party of an accepted contract; identity changed; a settled
 *  period), and the write errors. */
CORRIDOR_MUST_CHECK int corridor_contract_amend(struct corridor_ledger *ledger,
						const struct corridor_signer *signer,
						const struct corridor_contract_terms *terms,
						int32_t effective_day, const char *idempotency_key,
						uint64_t *seq, struct corridor_diag *diag);
/** Proposes to end the contract from the first day of a period.
 *  Errors: CORRIDOR_E_INVALID (a date, an idempotency key), CORRIDOR_E_REFUSED
 *  (not a party of an accepted contract; a settled period), and the write
 *  errors. */
CORRIDOR_MUST_CHECK int corridor_contract_terminate(struct corridor_ledger *ledger,
						    const struct corridor_signer *signer,
						    const char *id, int32_t effective_day,
						    const char *idempotency_key, uint64_t *seq,
						    struct corridor_diag *diag);

enum corridor_contract_status {
	CORRIDOR_CONTRACT_PROPOSED = 1,
	CORRIDOR_CONTRACT_ACTIVE = 2,
	CORRIDOR_CONTRACT_TERMINATED = 3,
};
struct corridor_contract_version {
	uint64_t accepted_seq;
	int32_t effective_day;
	struct corridor_contract_terms terms;
};
struct corridor_contract_pending {
	uint64_t seq;
	char kind[24]; /* contract.propose, contract.amend, contract.terminate */
	char proposer[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
	int32_t effective_day; /* amend and terminate */
};
/** A contract: its versions (oldest first; the terms in force on a date are
 *  the latest version effective on or before it) and its pending proposals. */
struct corridor_contract {
	char id[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
	enum corridor_contract_status status;
	uint64_t proposed_seq;
	size_t version_count;
	struct corridor_contract_version versions[CORRIDOR_CONTRACT_VERSIONS_MAX];
	size_t pending_count;
	struct corridor_contract_pending pending[CORRIDOR_CONTRACT_PENDING_MAX];
};
/** One contract. Errors: CORRIDOR_E_NOTFOUND, CORRIDOR_E_STORAGE. */
CORRIDOR_MUST_CHECK int corridor_contract_get(struct corridor_ledger *ledger, const char *id,
					      struct corridor_contract *out,
					      struct corridor_diag *diag);
/** Every contract (of `party` as seller, buyer or metering party, if not NULL).
 *  Errors: the read errors, or fn's own non-zero result. */
typedef int (*corridor_contract_fn)(void *ctx, const struct corridor_contract *c);
CORRIDOR_MUST_CHECK int corridor_contract_list(struct corridor_ledger *ledger, const char *party,
					       corridor_contract_fn fn, void *ctx,
					       struct corridor_diag *diag);

#ifdef __cplusplus
}
#endif
#endif /* CORRIDOR_API_CONTRACTS_H */
