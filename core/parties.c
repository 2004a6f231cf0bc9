/*
 * parties.c — party identity: ids, countries, IBANs and roles; registering a
 * party; reading parties and their keys back.
 */
#include <msgpack.h>
#include <stdio.h>

#include "ledger_internal.h"

static const char *const ROLE_LIST[7] = { "seller", "buyer", "meter", "rates",
					  "settlement", "auditor", "operator" };

int corridor_roles_parse(const char *list, unsigned *roles, struct corridor_diag *diag)
{
	*roles = 0;
	const char *p = list;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		int found = -1;
		for (int r = 0; r < 6 && found < 0; r++)
			if (strlen(ROLE_LIST[r]) == n && memcmp(ROLE_LIST[r], p, n) == 0)
				found = r;
		if (found < 0)
			return corridor_diag_set(diag, CORRIDOR_E_INVALID,
						 "unknown role '%.*s': roles are seller, buyer, meter, "
						 "rates, settlement, auditor",
						 (int)n, p);
		*roles |= 1u << found;
		if (!comma)
			break;
		p = comma + 1;
	}
	return CORRIDOR_OK;
}

void corridor_roles_format(unsigned roles, char *out, size_t cap)
{
	size_t at = 0;
	out[0] = '\0';
	for (int r = 0; r < 7; r++) {
		if (!(roles & (1u << r)))
			continue;
		int n = snprintf(out + at, cap - at, "%s%s", at ? "," : "", ROLE_LIST[r]);
		if (n < 0 || (size_t)n >= cap - at)
			return;
		at += (size_t)n;
	}
}

bool corridor_party_id_valid(const char *id)
{
	size_t n = strlen(id);
	if (n == 0 || n > CORRIDOR_PARTY_ID_BYTES_MAX || id[0] == '-' || id[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((id[i] >= 'A' && id[i] <= 'Z') || (id[i] >= '0' && id[i] <= '9') || id[i] == '-'))
			return false;
	return true;
}

/* ISO 3166-1 alpha-2, officially assigned codes. */
static const char COUNTRIES[] =
	"AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ "
	"BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM "
	"DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS "
	"GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN "
	"KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ "
	"MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM "
	"PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV "
	"SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI "
	"VN VU WF WS YE YT ZA ZM ZW";

bool corridor_country_valid(const char *cc)
{
	if (strlen(cc) != 2 || cc[0] < 'A' || cc[0] > 'Z' || cc[1] < 'A' || cc[1] > 'Z')
		return false;
	for (size_t i = 0; i + 1 < sizeof COUNTRIES; i += 3)
		if (COUNTRIES[i] == cc[0] && COUNTRIES[i + 1] == cc[1])
			return true;
	return false;
}

/* IBAN lengths of the SWIFT IBAN registry, for the countries that use one. */
static const struct {
	char cc[3];
	unsigned char len;
} IBAN_LENGTHS[] = {
	{ "AD", 24 }, { "AE", 23 }, { "AL", 28 }, { "AT", 20 }, { "AZ", 28 }, { "BA", 20 },
	{ "BE", 16 }, { "BG", 22 }, { "BH", 22 }, { "BR", 29 }, { "BY", 28 }, { "CH", 21 },
	{ "CR", 22 }, { "CY", 28 }, { "CZ", 24 }, { "DE", 22 }, { "DK", 18 }, { "DO", 28 },
	{ "EE", 20 }, { "EG", 29 }, { "ES", 24 }, { "FI", 18 }, { "FO", 18 }, { "FR", 27 },
	{ "GB", 22 }, { "GE", 22 }, { "GI", 23 }, { "GL", 18 }, { "GR", 27 }, { "GT", 28 },
	{ "HR", 21 }, { "HU", 28 }, { "IE", 22 }, { "IL", 23 }, { "IQ", 23 }, { "IS", 26 },
	{ "IT", 27 }, { "JO", 30 }, { "KW", 30 }, { "KZ", 20 }, { "LB", 28 }, { "LC", 32 },
	{ "LI", 21 }, { "LT", 20 }, { "LU", 20 }, { "LV", 21 }, { "MC", 27 }, { "MD", 24 },
	{ "ME", 22 }, { "MK", 19 }, { "MN", 20 }, { "MR", 27 }, { "MT", 31 }, { "MU", 30 },
	{ "NL", 18 }, { "NO", 15 }, { "PK", 24 }, { "PL", 28 }, { "PS", 29 }, { "PT", 25 },
	{ "QA", 29 }, { "RO", 24 }, { "RS", 22 }, { "RU", 33 }, { "SA", 24 }, { "SC", 31 },
	{ "SE", 24 }, { "SI", 19 }, { "SK", 24 }, { "SM", 27 }, { "ST", 25 }, { "SV", 28 },
	{ "TL", 23 }, { "TN", 24 }, { "TR", 26 }, { "UA", 29 }, { "VA", 22 }, { "VG", 24 },
	{ "XK", 20 },
};

bool corridor_iban_valid(const char *iban)
{
	size_t n = strlen(iban);
	if (n < 15 || n > 34)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = iban[i];
		bool letter = c >= 'A' && c <= 'Z', digit = c >= '0' && c <= '9';
		if ((i < 2 && !letter) || (i >= 2 && i < 4 && !digit) || (!letter && !digit))
			return false;
	}
	char cc[3] = { iban[0], iban[1], 0 };
	if (!corridor_country_valid(cc) && strcmp(cc, "XK") != 0)
		return false;
	for (size_t i = 0; i < sizeof IBAN_LENGTHS / sizeof IBAN_LENGTHS[0]; i++)
		if (strcmp(IBAN_LENGTHS[i].cc, cc) == 0 && IBAN_LENGTHS[i].len != n)
			return false;
	/* ISO 7064 mod 97-10 over BBAN || country || check digits, letters as 10..35. */
	unsigned rem = 0;
	for (size_t k = 0; k < n; k++) {
		char c = iban[(k + 4) % n];
		if (c >= 'A' && c <= 'Z')
			rem = (rem * 100u + (unsigned)(c - 'A' + 10)) % 97u;
		else
			rem = (rem * 10u + (unsigned)(c - '0')) % 97u;
	}
	return rem == 1;
}

/* ---- registering ---- */

static int request_check(const struct corridor_party_request *r, struct corridor_diag *diag)
{
	if (!r->id || !corridor_party_id_valid(r->id))
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "party id '%s' is not valid: 1-32 of A-Z, 0-9 and '-'",
					 r->id ? r->id : "");
	size_t nl = r->name ? strlen(r->name) : 0;
	if (nl == 0 || nl > CORRIDOR_PARTY_NAME_BYTES_MAX)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "the party name must be 1-%u bytes",
					 CORRIDOR_PARTY_NAME_BYTES_MAX);
	if (!r->country || !corridor_country_valid(r->country))
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "country '%s' is not an ISO 3166-1 alpha-2 code",
					 r->country ? r->country : "");
	if ((r->roles & ~CORRIDOR_ROLES_ASSIGNABLE) || r->roles == 0)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "a party needs at least one role");
	if (strcmp(r->key.name, r->id) != 0 || r->key.sigtype != CORRIDOR_SIGTYPE_ED25519)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "the key is named '%s': a party's key must be named by "
					 "its id '%s'",
					 r->key.name, r->id);
	if (r->iban_count > CORRIDOR_PARTY_IBANS_MAX)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "at most %u IBANs",
					 CORRIDOR_PARTY_IBANS_MAX);
	for (size_t i = 0; i < r->iban_count; i++) {
		if (!corridor_iban_valid(r->ibans[i]))
			return corridor_diag_set(diag, CORRIDOR_E_INVALID,
						 "IBAN '%s' is not valid (upper case, no spaces, "
						 "check digits)",
						 r->ibans[i]);
		for (size_t j = 0; j < i; j++)
			if (strcmp(r->ibans[i], r->ibans[j]) == 0)
				return corridor_diag_set(diag, CORRIDOR_E_INVALID,
							 "IBAN %s is given twice", r->ibans[i]);
	}
	return CORRIDOR_OK;
}

int corridor_party_register(struct corridor_ledger *l, const struct corridor_signer *op,
			    const struct corridor_party_request *req, const char *idem, uint64_t *seq,
			    struct corridor_diag *diag)
{
	uint8_t body[4096];
	struct corridor_mpbuf w;
	msgpack_packer pk;
	int err = request_check(req, diag);
	if (err)
		return err;
	if (idem && (err = corridor_idem_check(idem, strlen(idem), diag)) != 0)
		return err;
	corridor_mpbuf_init(&w, &pk, body, sizeof body);
	msgpack_pack_map(&pk, 5u + (req->iban_count ? 1u : 0u) + (idem ? 1u : 0u));
	corridor_mp_pack_str(&pk, "country", 7);
	corridor_mp_pack_str(&pk, req->country, 2);
	if (req->iban_count) {
		corridor_mp_pack_str(&pk, "ibans", 5);
		msgpack_pack_array(&pk, req->iban_count);
		for (size_t i = 0; i < req->iban_count; i++)
			corridor_mp_pack_str(&pk, req->ibans[i], strlen(req->ibans[i]));
	}
	corridor_mp_pack_str(&pk, "id", 2);
	corridor_mp_pack_str(&pk, req->id, strlen(req->id));
	if (idem) {
		corridor_mp_pack_str(&pk, "idempotency_key", 15);
		corridor_mp_pack_str(&pk, idem, strlen(idem));
	}
	corridor_mp_pack_str(&pk, "key", 3);
	msgpack_pack_bin(&pk, 32);
	msgpack_pack_bin_body(&pk, req->key.public_key, 32);
	corridor_mp_pack_str(&pk, "name", 4);
	corridor_mp_pack_str(&pk, req->name, strlen(req->name));
	corridor_mp_pack_str(&pk, "roles", 5);
	msgpack_pack_array(&pk, (size_t)__builtin_popcount(req->roles));
	for (int r = 0; r < 6; r++)
		if (req->roles & (1u << r))
			corridor_mp_pack_str(&pk, ROLE_LIST[r], strlen(ROLE_LIST[r]));
	if (w.overflow)
		return corridor_diag_set(diag, CORRIDOR_E_LIMIT, "the party is too large to record");
	return corridor_append_one(l, op, "party.register", body, w.len, seq, diag);
}

/* ---- reading ---- */

struct key_collect {
	struct corridor_party *p;
};

static int collect_key(void *ctx, const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen)
{
	struct key_collect *c = ctx;
	struct key_record r;
	if (corridor_key_record_decode(k, klen, v, vlen, &r) != 0)
		return CORRIDOR_E_STORAGE;
	if (c->p->key_count >= CORRIDOR_PARTY_KEYS_MAX)
		return CORRIDOR_OK;
	/* keep them ordered by valid_from */
	size_t i = c->p->key_count++;
	while (i > 0 && c->p->keys[i - 1].valid_from > r.valid_from) {
		c->p->keys[i] = c->p->keys[i - 1];
		i--;
	}
	c->p->keys[i] = (struct corridor_party_key){ .key_id = r.key_id,
						     .valid_from = r.valid_from,
						     .valid_until = r.valid_until };
	memcpy(c->p->keys[i].public_key, r.public_key, 32);
	return CORRIDOR_OK;
}

/* Decodes a party record (value of the parties table) and loads its keys. */
static int party_decode(struct corridor_kv *kv, const uint8_t *v, size_t vlen,
			struct corridor_party *out)
{
	const char *s;
	size_t n, ilen;
	memset(out, 0, sizeof *out);
	if (vlen <= 8)
		return CORRIDOR_E_STORAGE;
	out->registered_seq = corridor_be64_get(v);
	const uint8_t *m = v + 8;
	size_t mlen = vlen - 8;
	if (corridor_msgpack_map_str(m, mlen, "id", &s, &n) || n > CORRIDOR_NAME_BYTES_MAX)
		return CORRIDOR_E_STORAGE;
	memcpy(out->id, s, n);
	if (corridor_msgpack_map_str(m, mlen, "name", &s, &n) || n > CORRIDOR_PARTY_NAME_BYTES_MAX)
		return CORRIDOR_E_STORAGE;
	memcpy(out->name, s, n);
	if (corridor_msgpack_map_str(m, mlen, "country", &s, &n) == 0 && n == 2)
		memcpy(out->country, s, 2);
	if (corridor_party_roles(kv, out->id, &out->roles) != 0)
		return CORRIDOR_E_STORAGE;
	const uint8_t *iv = corridor_map_find(m, mlen, "ibans", &ilen);
	if (iv) {
		struct corridor_mpscan scan;
		if (corridor_mpscan(iv, ilen, 2, &scan, NULL) != 0)
			return CORRIDOR_E_STORAGE;
		for (size_t i = 0; i < scan.children && i < CORRIDOR_PARTY_IBANS_MAX; i++) {
			if (corridor_mp_str(iv + scan.child_off[i],
					    scan.child_off[i + 1] - scan.child_off[i], &s, &n) ||
			    n >= sizeof out->ibans[0])
				return CORRIDOR_E_STORAGE;
			memcpy(out->ibans[i], s, n);
			out->iban_count++;
		}
	}
	uint8_t prefix[CORRIDOR_NAME_BYTES_MAX + 1];
	size_t plen = strlen(out->id);
	memcpy(prefix, out->id, plen);
	prefix[plen] = 0;
	struct key_collect c = { .p = out };
	return kv->scan(kv, STATE_KEYS, prefix, plen + 1, collect_key, &c);
}

int corridor_party_get(struct corridor_ledger *l, const char *id, struct corridor_party *out,
		       struct corridor_diag *diag)
{
	MDB_txn *txn;
	struct corridor_kv_lmdb kv;
	const uint8_t *v;
	size_t vlen;
	int err = corridor_txn_begin(l, MDB_RDONLY, &txn, diag);
	if (err)
		return err;
	corridor_kv_lmdb_init(&kv, l, txn);
	err = kv.base.get(&kv.base, STATE_PARTIES, (const uint8_t *)id, strlen(id), &v, &vlen);
	if (err == CORRIDOR_E_NOTFOUND)
		err = corridor_diag_set(diag, err, "no party %s", id);
	else if (!err && (err = party_decode(&kv.base, v, vlen, out)) != 0)
		err = corridor_diag_set(diag, err, "the record of party %s is corrupt", id);
	mdb_txn_abort(txn);
	return err;
}

struct list_ctx {
	struct corridor_kv *kv;
	corridor_party_fn fn;
	void *ctx;
	const char *skip;
	struct corridor_party *p;
};

static int list_one(void *vctx, const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen)
{
	struct list_ctx *c = vctx;
	if (c->skip && strlen(c->skip) == klen && memcmp(c->skip, k, klen) == 0)
		return CORRIDOR_OK;
	int err = party_decode(c->kv, v, vlen, c->p);
	return err ? err : c->fn(c->ctx, c->p);
}

int corridor_party_list(struct corridor_ledger *l, corridor_party_fn fn, void *ctx,
			struct corridor_diag *diag)
{
	MDB_txn *txn;
	struct corridor_kv_lmdb kv;
	const uint8_t *v;
	size_t vlen;
	struct corridor_party *p = malloc(sizeof *p);
	if (!p)
		return corridor_diag_set(diag, CORRIDOR_E_NOMEM, "out of memory");
	int err = corridor_txn_begin(l, MDB_RDONLY, &txn, diag);
	if (err) {
		free(p);
		return err;
	}
	corridor_kv_lmdb_init(&kv, l, txn);
	struct list_ctx c = { .kv = &kv.base, .fn = fn, .ctx = ctx, .skip = l->origin, .p = p };
	/* The operator first, then the parties in id order. */
	err = kv.base.get(&kv.base, STATE_PARTIES, (const uint8_t *)l->origin, strlen(l->origin), &v,
			  &vlen);
	if (!err)
		err = party_decode(&kv.base, v, vlen, p);
	if (!err)
		err = fn(ctx, p);
	if (!err)
		err = kv.base.scan(&kv.base, STATE_PARTIES, NULL, 0, list_one, &c);
	mdb_txn_abort(txn);
	free(p);
	if (err > 0)
		return err;
	return err ? corridor_diag_set(diag, err, "cannot read the parties") : CORRIDOR_OK;
}
