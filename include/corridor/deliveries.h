/*
 * corridor/deliveries.h — metered deliveries: readings, corrections, CSV import.
 * Part of the public API; include <corridor/corridor.h> for all of it.
 */
#ifndef CORRIDOR_API_DELIVERIES_H
#define CORRIDOR_API_DELIVERIES_H

#include "contracts.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Deliveries (docs/DELIVERIES.md)                                     */
/* ------------------------------------------------------------------ */

/** Intervals one recorder has on one meter within one UTC day. */
#define CORRIDOR_DAY_INTERVALS_MAX 1440u
/** Rows of one delivery import. */
#define CORRIDOR_IMPORT_ROWS_MAX 10000000u
#define CORRIDOR_IMPORT_BYTES_MAX ((size_t)2 << 30)

struct corridor_delivery_request {
	const char *contract;
	const char *meter;
	const char *reference; /* the source system's id; the idempotency key (may be NULL) */
	int64_t start_s, end_s; /* UTC seconds, [start, end) */
	int64_t quantity_milli; /* thousandths of the contract unit, 0 <= q < 10^15 */
	char quality;           /* 'A' actual or 'E' estimated */
};

/** Records one metered interval: by the metering party, or by the seller or
 *  buyer (their own readings); inside the term of an accepted contract and
 *  within one local day of it; no overlap with the recorder's earlier interval
 *  on the same meter. Errors: CORRIDOR_E_INVALID, CORRIDOR_E_REFUSED, and the
 *  storage errors. */
CORRIDOR_MUST_CHECK int corridor_delivery_record(struct corridor_ledger *ledger,
						 const struct corridor_signer *signer,
						 const struct corridor_delivery_request *r,
						 uint64_t *seq, struct corridor_diag *diag);
/** Corrects the reading at `supersedes` (the recorder only); the original
 *  stays in the log, superseded. Quantity 0 removes the interval from billing.
 *  Errors: CORRIDOR_E_INVALID (quantity, reason, idempotency key),
 *  CORRIDOR_E_REFUSED (no such reading, already superseded, not its
 *  recorder, over capacity, a settled period), and the write errors. */
CORRIDOR_MUST_CHECK int corridor_delivery_correct(struct corridor_ledger *ledger,
						  const struct corridor_signer *signer,
						  uint64_t supersedes, int64_t quantity_milli,
						  const char *reason, const char *idempotency_key,
						  uint64_t *seq, struct corridor_diag *diag);

/** The same for one point of a series (start_s: the point's interval start;
 *  INT64_MIN for a single reading, where supersedes names the interval). */
CORRIDOR_MUST_CHECK int corridor_delivery_correct_at(struct corridor_ledger *ledger,
						     const struct corridor_signer *signer,
						     uint64_t supersedes, int64_t start_s,
						     int64_t quantity_milli, const char *reason,
						     const char *idempotency_key, uint64_t *seq,
						     struct corridor_diag *diag);

/** A day's time series (docs/DELIVERIES.md "Series"): one recorder's points
 *  on one meter, consecutive intervals of one resolution from start_s, all
 *  within one local day of the contract. */
#define CORRIDOR_SERIES_POINTS_MAX 96u
/** Point qualities: A as provided (measured), E estimated, M missing (not
 *  recorded: no reading at all), J adjusted, I incomplete, C calculated,
 *  T temporary (docs/DELIVERIES.md maps them to the CIM codes A01-A07). */
#define CORRIDOR_QUALITY_MISSING 'M'
struct corridor_series {
	char contract[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
	char meter[CORRIDOR_METER_ID_BYTES_MAX + 1];
	int64_t start_s;       /* UTC seconds: the first point's interval starts */
	uint32_t resolution_s; /* 900, 1800 or 3600 */
	uint32_t count;        /* points, 1..CORRIDOR_SERIES_POINTS_MAX */
	int64_t quantity_milli[CORRIDOR_SERIES_POINTS_MAX]; /* 0 where missing */
	char quality[CORRIDOR_SERIES_POINTS_MAX + 1];       /* one code per point */
};
/** Records a series: the same checks as a reading, point by point, and no
 *  point overlaps a live reading of the recorder on that meter. Missing
 *  points record nothing. Errors: as corridor_delivery_record. */
CORRIDOR_MUST_CHECK int corridor_delivery_series(struct corridor_ledger *ledger,
						 const struct corridor_signer *signer,
						 const struct corridor_series *s, uint64_t *seq,
						 struct corridor_diag *diag);

struct corridor_delivery {
	uint64_t seq;
	char contract[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
	char recorder[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
	char meter[CORRIDOR_METER_ID_BYTES_MAX + 1];
	int64_t start_s, end_s;
	int64_t quantity_milli;
	char quality;
	uint64_t supersedes;    /* 0 for an original reading */
	uint64_t superseded_by; /* 0 while it is the latest */
};
/** Every reading of a contract (corrections included), by seq; period
 *  (days since the epoch of the month's first local day, or -1 for all)
 *  selects the readings whose interval starts in that local month.
 *  Errors: CORRIDOR_E_NOTFOUND (no such contract), the read errors, or fn's own
 *  non-zero result. */
typedef int (*corridor_delivery_fn)(void *ctx, const struct corridor_delivery *d);
CORRIDOR_MUST_CHECK int corridor_delivery_list(struct corridor_ledger *ledger, const char *contract,
					       int32_t period_first_day, corridor_delivery_fn fn,
					       void *ctx, struct corridor_diag *diag);

/** What an importer reads. */
enum corridor_import_format {
	CORRIDOR_IMPORT_DELIVERIES = 1, /* delivery CSV (corridor_delivery_import) */
	CORRIDOR_IMPORT_RATES = 2,      /* rates CSV (corridor_rate_import) */
	CORRIDOR_IMPORT_STATEMENT = 3,  /* ISO 20022 camt.053 (corridor_payment_import) */
	CORRIDOR_IMPORT_MVD = 4,        /* IEC 62325 Measurement Value Document */
};
/** Reads and checks a whole import file with the importer's own reader, with
 *  no ledger and no key: a caller checks the file before it asks for a
 *  passphrase. The importer reads the file again (and checks it against the
 *  ledger). Errors: those of the importer's reader, with line and column. */
CORRIDOR_MUST_CHECK int corridor_import_check(enum corridor_import_format format, const char *buf,
					      size_t len, struct corridor_diag *diag);

/** Imports a CSV of readings (RFC 4180; header `contract,start,end,quantity,
 *  meter,reference` in any order, optional `quality`): every row is checked,
 *  then all rows are checked against the ledger as one dry run, and only then
 *  written in transactions of `batch_entries`. A row whose reference was
 *  imported before with the same values is skipped (re-running an import
 *  completes it); with other values it is refused. `committed` sees each batch
 *  written. Errors name the line (and column). */
CORRIDOR_MUST_CHECK int corridor_delivery_import(struct corridor_ledger *ledger,
						 const struct corridor_signer *signer,
						 const char *csv, size_t len, size_t batch_entries,
						 corridor_committed_fn committed, void *ctx,
						 size_t *rows_written, size_t *rows_skipped,
						 struct corridor_diag *diag);

/** The readings files Corridor reads and writes. */
#define CORRIDOR_MVD_BYTES_MAX ((size_t)1 << 30) /* a Measurement Value Document */
enum corridor_delivery_format {
	CORRIDOR_DELIVERIES_CSV = 1, /* docs/DELIVERIES.md "CSV import" */
	CORRIDOR_DELIVERIES_MVD = 2, /* IEC 62325-451-n Measurement Value Document v1.1 */
};

/** A contract's UTC offset, as a remote importer's view shows it. */
struct corridor_contract_offset {
	char contract[CORRIDOR_PARTY_ID_BYTES_MAX + 1];
	int32_t utc_offset_min;
};

struct corridor_delivery_import_opts {
	enum corridor_delivery_format format;
	/* MVD: a CSV `point,in_domain,out_domain,contract,meter` naming the
	 * contract and meter of each metering point (or of an out/in domain
	 * pair where a series names no point); NULL: a point is the billing
	 * meter of one contract (docs/DELIVERIES.md "Measurement Value Document") */
	const char *map;
	size_t map_len;
	/* non-NULL: an interval the recorder holds with other values is
	 * corrected with this reason (without it, refused; an MVD's higher
	 * revision of the same document corrects with a reason of its own) */
	const char *reason;
	/* a remote ledger only: the contracts' UTC offsets as the reader's view
	 * of the ledger shows them, so that a CSV's rows are grouped into a
	 * series per meter and local day as they are locally (the server
	 * checks each series against its own terms: a wrong offset gets a
	 * series refused, never recorded); NULL: a single reading per row */
	const struct corridor_contract_offset *offsets;
	size_t offset_count;
	size_t batch_entries;
	corridor_committed_fn committed;
	/* non-NULL: called after the dry run and after each committed batch
	 * with the intervals (and corrections) written so far and the number
	 * to write (an import into a remote ledger reports its batches through
	 * `committed` only) */
	corridor_progress_fn progress;
	/* non-NULL: called once the input has been read whole (the rows are
	 * parsed; buf is not read again), so the caller may free it early and
	 * an import's memory is not the file's plus its rows' */
	void (*input_done)(void *ctx);
	void *ctx;
};
/** Imports readings: corridor_delivery_import's rules for either format,
 *  plus corrections as above. `written` counts intervals (readings and
 *  points) and corrections written, `skipped` those already held with the
 *  same values. Into a remote ledger only a CSV without a reason is
 *  imported (the comparison with what the recorder holds needs the
 *  ledger's state): grouped by `offsets`, each series and single reading
 *  checked by the server first, then committed; a series of an interval
 *  the recorder holds already is refused there (an identical re-import is
 *  the same statements: nothing appended).
 *  Errors name the line (and column or element); nothing is written unless
 *  every row passes. */
CORRIDOR_MUST_CHECK int corridor_delivery_import_with(struct corridor_ledger *ledger,
						      const struct corridor_signer *signer,
						      const char *buf, size_t len,
						      const struct corridor_delivery_import_opts *o,
						      size_t *written, size_t *skipped,
						      struct corridor_diag *diag);

struct corridor_delivery_export_opts {
	enum corridor_delivery_format format;
	const char *contract;
	int32_t period_first_day; /* the local month's first day (days since the epoch) */
	const char *recorder;     /* NULL: the contract's metering party */
	/* MVD only: the identifiers of the document (the map as for import,
	 * giving each meter's point and domains; the sender's and receiver's
	 * EIC codes), its revision (1-999) and creation time */
	const char *map;
	size_t map_len;
	const char *sender, *receiver;
	unsigned revision;
	int64_t created_s;
};
/** Writes the recorder's live readings of a contract-month as the importer
 *  reads them: CSV (one row per interval) or one Measurement Value Document
 *  (one TimeSeries per meter and resolution, one Period per UTC day; an
 *  interval without a reading is a Point of quality A02). `intervals`
 *  receives the number written. Errors: CORRIDOR_E_NOTFOUND (no such
 *  contract), CORRIDOR_E_INVALID (an identifier, a unit other than kWh or
 *  MWh for MVD), CORRIDOR_E_IO, and the read errors. */
CORRIDOR_MUST_CHECK int corridor_delivery_export(struct corridor_ledger *ledger,
						 const struct corridor_delivery_export_opts *o,
						 FILE *out, size_t *intervals,
						 struct corridor_diag *diag);

#ifdef __cplusplus
}
#endif
#endif /* CORRIDOR_API_DELIVERIES_H */
