/*
 * parties.c — genesis, party.register, key.add/rotate/revoke, attest and
 * memo: the parties and their keys.
 *
 * Bodies are canonical maps with string keys (docs/FORMAT.md §3):
 *
 *   genesis         {key, origin}                          seq 0, the operator
 *   memo            {idempotency_key?, text}               anyone registered
 *   party.register  {country, ibans?, id, idempotency_key?, key, name, roles}
 *                                                          the operator
 *   key.rotate      {idempotency_key?, key}                the party itself
 *   key.revoke      {idempotency_key?, key_id, party, reason?}
 *                                                          operator or the party
 *   key.add         {idempotency_key?, key, party}         the operator
 *   attest          {hash, idempotency_key?, note?, seq}   anyone registered
 *
 * Key validity by seq (DESIGN §3.4): introduced at s, valid for seq > s;
 * rotated at r, the old key is valid for seq <= r; revoked at v, invalid for
 * seq >= v. An entry is authorised against the state before its own effects.
 */
#include <stdio.h>

#include <msgpack.h>
#include <sodium.h>

#include "kinds.h"

/* A party record: be64(registered seq) || {country?, ibans?, id, name, roles}. */
static size_t party_record(uint64_t seq, const char *id, const char *name, const char *country,
			   const uint8_t *ibans_raw, size_t ibans_len, unsigned roles, uint8_t *out,
			   size_t cap)
{
	struct corridor_mpbuf w;
	msgpack_packer pk;
	unsigned nroles = (unsigned)__builtin_popcount(roles);
	CORRIDOR_ASSERT(cap > 8);
	corridor_be64_put(out, seq);
	corridor_mpbuf_init(&w, &pk, out + 8, cap - 8);
	msgpack_pack_map(&pk, 3u + (country[0] ? 1u : 0u) + (ibans_raw ? 1u : 0u));
	if (country[0]) {
		corridor_mp_pack_str(&pk, "country", 7);
		corridor_mp_pack_str(&pk, country, strlen(country));
	}
	if (ibans_raw) {
		corridor_mp_pack_str(&pk, "ibans", 5);
		corridor_mpbuf_write(&w, (const char *)ibans_raw, ibans_len);
	}
	corridor_mp_pack_str(&pk, "id", 2);
	corridor_mp_pack_str(&pk, id, strlen(id));
	corridor_mp_pack_str(&pk, "name", 4);
	corridor_mp_pack_str(&pk, name, strlen(name));
	corridor_mp_pack_str(&pk, "roles", 5);
	msgpack_pack_array(&pk, nroles);
	for (unsigned i = 0; i < 7; i++)
		if (roles & (1u << i))
			corridor_mp_pack_str(&pk, corridor_role_names[i], strlen(corridor_role_names[i]));
	return w.overflow ? 0 : 8 + w.len;
}

static int put_party(struct kind_state *st, const char *id, const uint8_t *rec, size_t len)
{
	return st->kv->put(st->kv, STATE_PARTIES, (const uint8_t *)id, strlen(id), rec, len);
}

static bool party_exists(struct kind_state *st, const char *id)
{
	const uint8_t *v;
	size_t n;
	return st->kv->get(st->kv, STATE_PARTIES, (const uint8_t *)id, strlen(id), &v, &n) == 0;
}

/* ---- processing ---- */

int corridor_kind_genesis(struct kind_state *st, const struct corridor_entry *e,
			   uint8_t pub[CORRIDOR_PUBLIC_KEY_BYTES], struct corridor_diag *diag)
{
	struct kind_body b = { .e = e, .diag = diag };
	static const char *const allowed[] = { "key", "origin", "statement_lifetime_s", NULL };
	char origin[CORRIDOR_NAME_BYTES_MAX + 1];
	uint8_t key[32], rec[CORRIDOR_NAME_BYTES_MAX * 2 + 128];
	int err;
	if (e->seq != 0 || st->origin[0] != '\0')
		return corridor_diag_seq(diag, CORRIDOR_E_VERIFY, e->seq,
					 "genesis is only allowed at seq 0");
	if ((err = corridor_body_fields(&b, allowed)) || (err = corridor_body_bin32(&b, "key", key)) ||
	    (err = corridor_body_str(&b, "origin", true, origin, CORRIDOR_NAME_BYTES_MAX, NULL)))
		return err;
	/* the ledger's longest statement lifetime: the default unless it says */
	uint64_t lifetime_s = CORRIDOR_STATEMENT_LIFETIME_US / 1000000u;
	size_t vlen;
	if (corridor_map_find(e->body, e->body_len, "statement_lifetime_s", &vlen)) {
		if ((err = corridor_body_uint(&b, "statement_lifetime_s", &lifetime_s)) != 0)
			return err;
		if (lifetime_s < CORRIDOR_STATEMENT_LIFETIME_MIN_S ||
		    lifetime_s > CORRIDOR_STATEMENT_LIFETIME_MAX_S)
			return corridor_body_bad(&b, "statement_lifetime_s must be %u..%u seconds",
						 CORRIDOR_STATEMENT_LIFETIME_MIN_S,
						 CORRIDOR_STATEMENT_LIFETIME_MAX_S);
	}
	if (!corridor_key_name_valid(origin, strlen(origin)) || strcmp(e->author, origin) != 0)
		return corridor_diag_seq(diag, CORRIDOR_E_VERIFY, e->seq,
					 "genesis author must be its origin, a valid key name");
	if (corridor_key_id(origin, strlen(origin), CORRIDOR_SIGTYPE_ED25519, key) != e->key_id)
		return corridor_diag_seq(diag, CORRIDOR_E_VERIFY, e->seq,
					 "genesis key id does not match its key and origin");
	struct key_record r = { .key_id = e->key_id, .valid_from = 0, .valid_until = UINT64_MAX };
	memcpy(r.name, origin, strlen(origin) + 1);
	memcpy(r.public_key, key, 32);
	size_t rlen = party_record(0, origin, origin, "", NULL, 0, CORRIDOR_ROLE_OPERATOR, rec,
				   sizeof rec);
	CORRIDOR_ASSERT(rlen > 0);
	if ((err = corridor_key_put(st->kv, &r)) || (err = put_party(st, origin, rec, rlen)))
		return corridor_diag_seq(diag, err, e->seq, "cannot record the operator");
	memcpy(st->origin, origin, strlen(origin) + 1);
	st->lifetime_max_us = lifetime_s * 1000000u;
	st->operator_key_id = e->key_id;
	memcpy(pub, key, 32);
	return CORRIDOR_OK;
}

struct key_owner {
	const uint8_t *pub;
	const char *party;
	char other[CORRIDOR_NAME_BYTES_MAX + 1];
};

static int key_owner_one(void *ctx, const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen)
{
	struct key_owner *c = ctx;
	struct key_record r;
	if (corridor_key_record_decode(k, klen, v, vlen, &r) != 0)
		return CORRIDOR_E_STORAGE;
	if (sodium_memcmp(r.public_key, c->pub, 32) == 0 && strcmp(r.name, c->party) != 0) {
		memcpy(c->other, r.name, sizeof c->other);
		return 1; /* found: stop */
	}
	return 0;
}

/* A new key must be a valid Ed25519 point of the main subgroup (not the
 * all-zero or another small-order key, which anyone could "sign" for) and
 * belong to no other party: one key, one signer. */
static int new_key(struct kind_state *st, const struct kind_body *b, const char *party,
		   const uint8_t pub[32], struct key_record *out)
{
	if (!crypto_core_ed25519_is_valid_point(pub))
		return corridor_diag_seq(b->diag, CORRIDOR_E_REFUSED, b->e->seq,
					 "the key of '%s' is not a valid Ed25519 public key", party);
	struct key_owner ko = { .pub = pub, .party = party };
	int found = st->kv->scan(st->kv, STATE_KEYS, NULL, 0, key_owner_one, &ko);
	if (found < 0)
		return corridor_diag_seq(b->diag, found, b->e->seq, "cannot read the keys");
	if (found > 0)
		return corridor_diag_seq(b->diag, CORRIDOR_E_REFUSED, b->e->seq,
					 "the key of '%s' is already registered to '%s'", party,
					 ko.other);
	out->key_id = corridor_key_id(party, strlen(party), CORRIDOR_SIGTYPE_ED25519, pub);
	struct key_record old;
	if (corridor_key_get(st->kv, party, out->key_id, &old) == 0)
		return corridor_diag_seq(b->diag, CORRIDOR_E_REFUSED, b->e->seq,
					 "key %08x of '%s' was registered before: a key is never "
					 "reused",
					 (unsigned)out->key_id, party);
	memcpy(out->name, party, strlen(party) + 1);
	memcpy(out->public_key, pub, 32);
	out->valid_from = b->e->seq + 1;
	out->valid_until = UINT64_MAX;
	return CORRIDOR_OK;
}

int corridor_kind_party_register(struct kind_state *st, const struct kind_body *b)
{
	static const char *const allowed[] = { "country", "ibans",	   "id",    "idempotency_key",
					       "key",	  "name",	   "roles", NULL };
	char id[CORRIDOR_NAME_BYTES_MAX + 1], name[CORRIDOR_PARTY_NAME_BYTES_MAX + 1], cc[8];
	uint8_t key[32], rec[2048];
	unsigned roles;
	size_t vlen, ilen = 0;
	int err;
	if ((err = corridor_body_fields(b, allowed)) ||
	    (err = corridor_body_str(b, "id", true, id, CORRIDOR_PARTY_ID_BYTES_MAX, NULL)) ||
	    (err = corridor_body_str(b, "name", true, name, CORRIDOR_PARTY_NAME_BYTES_MAX, NULL)) ||
	    (err = corridor_body_str(b, "country", true, cc, 2, NULL)) || (err = corridor_body_bin32(b, "key", key)))
		return err;
	if (!corridor_party_id_valid(id))
		return corridor_body_bad(b, "party id must be [A-Z0-9-], 1-32 characters");
	if (name[0] == '\0')
		return corridor_body_bad(b, "the party name is empty");
	if (!corridor_country_valid(cc))
		return corridor_body_bad(b, "country must be an ISO 3166-1 alpha-2 code");
	const uint8_t *rv = corridor_map_find(b->e->body, b->e->body_len, "roles", &vlen);
	if (!rv || corridor_roles_from_array(rv, vlen, &roles) != 0 || roles == 0)
		return corridor_body_bad(b, "roles must be a non-empty list of seller, buyer, meter, rates, "
			      "settlement, auditor, in that order");
	const uint8_t *iv = corridor_map_find(b->e->body, b->e->body_len, "ibans", &ilen);
	if (iv) {
		struct corridor_mpscan scan;
		if (ilen < 1 || iv[0] < 0x91u || iv[0] > 0x90u + CORRIDOR_PARTY_IBANS_MAX ||
		    corridor_mpscan(iv, ilen, 2, &scan, NULL) != 0)
			return corridor_body_bad(b, "ibans must be a list of 1-8 IBANs");
		for (size_t i = 0; i < scan.children; i++) {
			const char *s;
			size_t n;
			char iban[40];
			if (corridor_mp_str(iv + scan.child_off[i],
					    scan.child_off[i + 1] - scan.child_off[i], &s, &n) != 0 ||
			    n >= sizeof iban)
				return corridor_body_bad(b, "an IBAN is not valid");
			memcpy(iban, s, n);
			iban[n] = '\0';
			if (!corridor_iban_valid(iban))
				return corridor_body_bad(b, "IBAN %s is not valid", iban);
		}
	}
	if (strcmp(id, st->origin) == 0 || party_exists(st, id))
		return corridor_diag_seq(b->diag, CORRIDOR_E_REFUSED, b->e->seq,
					 "party %s is registered already", id);
	struct key_record kr;
	if ((err = new_key(st, b, id, key, &kr)) != 0)
		return err;
	size_t rlen = party_record(b->e->seq, id, name, cc, iv, ilen, roles, rec, sizeof rec);
	if (rlen == 0)
		return corridor_body_bad(b, "the party record is too large");
	if ((err = corridor_key_put(st->kv, &kr)) || (err = put_party(st, id, rec, rlen)))
		return corridor_diag_seq(b->diag, err, b->e->seq, "cannot record the party");
	return CORRIDOR_OK;
}

int corridor_kind_key_rotate(struct kind_state *st, const struct kind_body *b,
			      struct key_record *signing)
{
	static const char *const allowed[] = { "idempotency_key", "key", NULL };
	uint8_t key[32];
	struct key_record kr;
	int err;
	if ((err = corridor_body_fields(b, allowed)) || (err = corridor_body_bin32(b, "key", key)) ||
	    (err = new_key(st, b, b->e->author, key, &kr)))
		return err;
	signing->valid_until = b->e->seq; /* the old key signs up to this seq */
	if ((err = corridor_key_put(st->kv, signing)) || (err = corridor_key_put(st->kv, &kr)))
		return corridor_diag_seq(b->diag, err, b->e->seq, "cannot record the keys");
	if (strcmp(b->e->author, st->origin) == 0)
		st->operator_key_id = kr.key_id;
	return CORRIDOR_OK;
}

int corridor_kind_key_revoke(struct kind_state *st, const struct kind_body *b, const char *party,
			      uint64_t key_id)
{
	struct key_record kr;
	if (key_id > UINT32_MAX || corridor_key_get(st->kv, party, (uint32_t)key_id, &kr) != 0)
		return corridor_diag_seq(b->diag, CORRIDOR_E_REFUSED, b->e->seq,
					 "party %s has no key %08llx", party,
					 (unsigned long long)key_id);
	if (kr.valid_until < b->e->seq)
		return corridor_diag_seq(b->diag, CORRIDOR_E_REFUSED, b->e->seq,
					 "key %08x of %s is no longer valid (up to seq %llu)",
					 (unsigned)kr.key_id, party,
					 (unsigned long long)kr.valid_until);
	if (strcmp(party, st->origin) == 0 && kr.key_id == st->operator_key_id)
		return corridor_diag_seq(b->diag, CORRIDOR_E_REFUSED, b->e->seq,
					 "the operator's current key cannot be revoked: rotate it");
	kr.valid_until = b->e->seq - 1; /* invalid for seq >= this one */
	int err = corridor_key_put(st->kv, &kr);
	return err ? corridor_diag_seq(b->diag, err, b->e->seq, "cannot record the key") : 0;
}

struct revoke_all {
	struct kind_state *st;
	uint64_t seq;
	size_t count;
	struct key_record recs[CORRIDOR_PARTY_KEYS_MAX];
};

static int collect_valid(void *ctx, const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen)
{
	struct revoke_all *c = ctx;
	struct key_record r;
	if (corridor_key_record_decode(k, klen, v, vlen, &r) != 0)
		return CORRIDOR_E_STORAGE;
	if (r.valid_until >= c->seq && c->count < CORRIDOR_PARTY_KEYS_MAX)
		c->recs[c->count++] = r;
	return CORRIDOR_OK;
}

int corridor_kind_key_add(struct kind_state *st, const struct kind_body *b)
{
	static const char *const allowed[] = { "idempotency_key", "key", "party", NULL };
	char party[CORRIDOR_NAME_BYTES_MAX + 1];
	uint8_t key[32], prefix[CORRIDOR_NAME_BYTES_MAX + 1];
	struct key_record kr;
	int err;
	if ((err = corridor_body_fields(b, allowed)) ||
	    (err = corridor_body_str(b, "party", true, party, CORRIDOR_NAME_BYTES_MAX, NULL)) ||
	    (err = corridor_body_bin32(b, "key", key)))
		return err;
	if (strcmp(party, st->origin) == 0 || !party_exists(st, party))
		return corridor_diag_seq(b->diag, CORRIDOR_E_REFUSED, b->e->seq,
					 "key.add names %s, which is not a registered party (the "
					 "operator rotates its own key)",
					 party);
	if ((err = new_key(st, b, party, key, &kr)) != 0)
		return err;
	/* The lost keys: every key of the party still valid now. */
	struct revoke_all *c = calloc(1, sizeof *c);
	if (!c)
		return CORRIDOR_E_NOMEM;
	c->st = st;
	c->seq = b->e->seq;
	size_t plen = strlen(party);
	memcpy(prefix, party, plen);
	prefix[plen] = 0;
	err = st->kv->scan(st->kv, STATE_KEYS, prefix, plen + 1, collect_valid, c);
	for (size_t i = 0; !err && i < c->count; i++) {
		c->recs[i].valid_until = b->e->seq - 1;
		err = corridor_key_put(st->kv, &c->recs[i]);
	}
	free(c);
	if (!err)
		err = corridor_key_put(st->kv, &kr);
	return err ? corridor_diag_seq(b->diag, err, b->e->seq, "cannot record the keys") : 0;
}

int corridor_kind_attest(struct kind_state *st, const struct kind_body *b)
{
	static const char *const allowed[] = { "hash", "idempotency_key", "note", "seq", NULL };
	char note[CORRIDOR_REASON_BYTES_MAX + 1];
	uint8_t hash[32], actual[32];
	uint64_t target;
	int err;
	if ((err = corridor_body_fields(b, allowed)) || (err = corridor_body_bin32(b, "hash", hash)) ||
	    (err = corridor_body_uint(b, "seq", &target)) ||
	    (err = corridor_body_str(b, "note", false, note, CORRIDOR_REASON_BYTES_MAX, NULL)))
		return err;
	if (target >= b->e->seq || !st->content_hash ||
	    st->content_hash(st->content_ctx, target, actual) != 0)
		return corridor_diag_seq(b->diag, CORRIDOR_E_REFUSED, b->e->seq,
					 "attest names entry %llu, which does not precede it",
					 (unsigned long long)target);
	if (memcmp(actual, hash, 32) != 0)
		return corridor_diag_seq(b->diag, CORRIDOR_E_REFUSED, b->e->seq,
					 "attest of entry %llu carries a hash that is not its "
					 "content hash",
					 (unsigned long long)target);
	return CORRIDOR_OK;
}

int corridor_kind_memo(const struct kind_body *b)
{
	static const char *const allowed[] = { "idempotency_key", "text", NULL };
	const char *text;
	size_t n;
	struct corridor_diag d;
	int err = corridor_body_fields(b, allowed);
	if (err)
		return err;
	if (corridor_msgpack_map_str(b->e->body, b->e->body_len, "text", &text, &n) != 0)
		return corridor_body_bad(b, "body needs a %s", "text");
	if (corridor_memo_check(text, n, &d) != 0)
		return corridor_diag_seq(b->diag, CORRIDOR_E_VERIFY, b->e->seq, "%s", d.text);
	return CORRIDOR_OK;
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
