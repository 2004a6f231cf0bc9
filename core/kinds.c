/*
 * kinds.c — entry kinds: their bodies, who may write them, what they change.
 *
 * corridor_kind_process() is the one place that decides whether an entry is
 * acceptable apart from its signature; appends run it before they sign, and
 * every verification runs it again on what was stored, so the two can never
 * disagree. Bodies are canonical maps with string keys (docs/FORMAT.md §3):
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
#include <msgpack.h>
#include <sodium.h>

#include "ledger_internal.h"

/* ---- key records ---- */

static size_t key_record_key(const char *name, uint32_t key_id, uint8_t *out)
{
	size_t n = strlen(name);
	memcpy(out, name, n);
	out[n] = 0;
	corridor_be32_put(out + n + 1, key_id);
	return n + 5;
}

int corridor_key_record_decode(const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen,
			       struct key_record *out)
{
	if (klen < 6 || klen > CORRIDOR_NAME_BYTES_MAX + 5 || key[klen - 5] != 0 ||
	    vlen != KEY_VALUE_BYTES)
		return CORRIDOR_E_MALFORMED;
	memcpy(out->name, key, klen - 5);
	out->name[klen - 5] = '\0';
	out->key_id = corridor_be32_get(key + klen - 4);
	memcpy(out->public_key, val, 32);
	out->valid_from = corridor_be64_get(val + 32);
	out->valid_until = corridor_be64_get(val + 40);
	return CORRIDOR_OK;
}

int corridor_key_get(struct corridor_kv *kv, const char *name, uint32_t key_id,
		     struct key_record *out)
{
	uint8_t k[CORRIDOR_NAME_BYTES_MAX + 5];
	const uint8_t *v;
	size_t vlen;
	if (strlen(name) > CORRIDOR_NAME_BYTES_MAX)
		return CORRIDOR_E_NOTFOUND;
	size_t klen = key_record_key(name, key_id, k);
	int err = kv->get(kv, STATE_KEYS, k, klen, &v, &vlen);
	if (err)
		return err;
	return corridor_key_record_decode(k, klen, v, vlen, out) ? CORRIDOR_E_STORAGE : CORRIDOR_OK;
}

int corridor_key_put(struct corridor_kv *kv, const struct key_record *r)
{
	uint8_t k[CORRIDOR_NAME_BYTES_MAX + 5], v[KEY_VALUE_BYTES];
	size_t klen = key_record_key(r->name, r->key_id, k);
	memcpy(v, r->public_key, 32);
	corridor_be64_put(v + 32, r->valid_from);
	corridor_be64_put(v + 40, r->valid_until);
	return kv->put(kv, STATE_KEYS, k, klen, v, sizeof v);
}

/* ---- idempotency keys ---- */

size_t corridor_idem_key(const char *author, const char *kind, const char *idem, size_t idem_len,
			 uint8_t *out)
{
	size_t a = strlen(author), k = strlen(kind);
	memcpy(out, author, a);
	out[a] = 0;
	memcpy(out + a + 1, kind, k);
	out[a + 1 + k] = 0;
	memcpy(out + a + k + 2, idem, idem_len);
	return a + k + 2 + idem_len;
}

/* printable UTF-8: no control characters at all (tab allowed if `tab`) */
static bool text_ok(const char *s, size_t len, bool tab)
{
	if (!corridor_utf8_valid((const uint8_t *)s, len))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20u && !(tab && c == '\t')) || c == 0x7fu)
			return false;
	}
	return true;
}

int corridor_idem_check(const char *s, size_t len, struct corridor_diag *diag)
{
	if (len == 0 || len > CORRIDOR_IDEM_BYTES_MAX || !text_ok(s, len, false))
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "an idempotency key is 1-%u bytes of printable UTF-8",
					 CORRIDOR_IDEM_BYTES_MAX);
	return CORRIDOR_OK;
}

/* ---- bodies ---- */

size_t corridor_body_genesis(const char *origin, const uint8_t public_key[CORRIDOR_PUBLIC_KEY_BYTES],
			     uint8_t *buf, size_t cap)
{
	struct corridor_mpbuf w;
	msgpack_packer pk;
	corridor_mpbuf_init(&w, &pk, buf, cap);
	msgpack_pack_map(&pk, 2);
	corridor_mp_pack_str(&pk, "key", 3);
	msgpack_pack_bin(&pk, CORRIDOR_PUBLIC_KEY_BYTES);
	msgpack_pack_bin_body(&pk, public_key, CORRIDOR_PUBLIC_KEY_BYTES);
	corridor_mp_pack_str(&pk, "origin", 6);
	corridor_mp_pack_str(&pk, origin, strlen(origin));
	return w.overflow ? 0 : w.len;
}

size_t corridor_body_memo(const char *text, size_t len, const char *idem, uint8_t *buf, size_t cap)
{
	struct corridor_mpbuf w;
	msgpack_packer pk;
	corridor_mpbuf_init(&w, &pk, buf, cap);
	msgpack_pack_map(&pk, idem ? 2 : 1);
	if (idem) {
		corridor_mp_pack_str(&pk, "idempotency_key", 15);
		corridor_mp_pack_str(&pk, idem, strlen(idem));
	}
	corridor_mp_pack_str(&pk, "text", 4);
	corridor_mp_pack_str(&pk, text, len);
	return w.overflow ? 0 : w.len;
}

int corridor_memo_check(const char *text, size_t len, struct corridor_diag *diag)
{
	if (len == 0)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "memo text is empty");
	if (len > CORRIDOR_MEMO_TEXT_BYTES_MAX)
		return corridor_diag_set(diag, CORRIDOR_E_INVALID,
					 "memo text is %zu bytes, more than %u", len,
					 CORRIDOR_MEMO_TEXT_BYTES_MAX);
	if (!corridor_utf8_valid((const uint8_t *)text, len))
		return corridor_diag_set(diag, CORRIDOR_E_INVALID, "memo text is not valid UTF-8");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if ((c < 0x20u && c != '\t') || c == 0x7fu)
			return corridor_diag_set(diag, CORRIDOR_E_INVALID,
						 "memo text has a control character at byte %zu",
						 i + 1);
	}
	return CORRIDOR_OK;
}

/* ---- reading bodies ---- */

int corridor_entry_bad(const struct corridor_entry *e, struct corridor_diag *diag, int code,
		       const char *fmt, ...)
{
	char msg[CORRIDOR_DIAG_BYTES_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return corridor_diag_seq(diag, code, e->seq, "%s: %s", e->kind, msg);
}

int corridor_body_map(const struct corridor_entry *e, msgpack_unpacked *u,
		      struct corridor_diag *diag)
{
	size_t off = 0;
	if (msgpack_unpack_next(u, (const char *)e->body, e->body_len, &off) !=
		    MSGPACK_UNPACK_SUCCESS ||
	    u->data.type != MSGPACK_OBJECT_MAP)
		return corridor_entry_bad(e, diag, CORRIDOR_E_VERIFY, "body does not parse");
	return CORRIDOR_OK;
}

/* A body's fields, looked up by name; the body was decoded canonically. */
struct body {
	const struct corridor_entry *e;
	struct corridor_diag *diag;
};

/* "<kind>: <message>" for entry b->e, as a verification failure. */
static int bad(const struct body *b, const char *fmt, ...) CORRIDOR_PRINTF(2, 3);
static int bad(const struct body *b, const char *fmt, ...)
{
	char msg[CORRIDOR_DIAG_BYTES_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return corridor_diag_seq(b->diag, CORRIDOR_E_VERIFY, b->e->seq, "%s: %s", b->e->kind, msg);
}

/* Every field of the body is one of `allowed` (a NULL-terminated list). */
static int fields_allowed(const struct body *b, const char *const *allowed)
{
	struct corridor_mpscan scan;
	if (corridor_mpscan(b->e->body, b->e->body_len, CORRIDOR_ENTRY_DEPTH_MAX, &scan, NULL) != 0 ||
	    scan.children > CORRIDOR_MPSCAN_CHILDREN_MAX)
		return bad(b, "body is not a map of fields");
	for (size_t i = 0; i < scan.children; i += 2) {
		const char *name;
		size_t n;
		bool ok = false;
		if (corridor_mp_str(b->e->body + scan.child_off[i],
				    scan.child_off[i + 1] - scan.child_off[i], &name, &n) != 0)
			return bad(b, "body has a field that is not named");
		for (size_t k = 0; allowed[k] && !ok; k++)
			ok = strlen(allowed[k]) == n && memcmp(allowed[k], name, n) == 0;
		if (!ok)
			return bad(b, "body has an unknown field");
	}
	return CORRIDOR_OK;
}

/* Reads a str field into out (NUL-terminated, at most max bytes). */
static int str_field(const struct body *b, const char *name, bool required, char *out, size_t max,
		     bool *present)
{
	const char *s;
	size_t n;
	int err = corridor_msgpack_map_str(b->e->body, b->e->body_len, name, &s, &n);
	if (present)
		*present = err == 0;
	if (err == CORRIDOR_E_NOTFOUND && !required) {
		out[0] = '\0';
		return CORRIDOR_OK;
	}
	if (err || n > max || !text_ok(s, n, false))
		return bad(b, "body: field %s is missing or not acceptable text", name);
	memcpy(out, s, n);
	out[n] = '\0';
	return CORRIDOR_OK;
}

static int bin32_field(const struct body *b, const char *name, uint8_t out[32])
{
	size_t vlen, blen;
	const uint8_t *v = corridor_map_find(b->e->body, b->e->body_len, name, &vlen), *bytes;
	if (!v || corridor_mp_bin(v, vlen, &bytes, &blen) != 0 || blen != 32)
		return bad(b, "body: field %s must be 32 bytes", name);
	memcpy(out, bytes, 32);
	return CORRIDOR_OK;
}

static int uint_field(const struct body *b, const char *name, uint64_t *out)
{
	size_t vlen;
	const uint8_t *v = corridor_map_find(b->e->body, b->e->body_len, name, &vlen);
	if (!v || corridor_mp_uint(v, vlen, out) != 0)
		return bad(b, "body: field %s must be an unsigned integer", name);
	return CORRIDOR_OK;
}

/* ---- parties ---- */

static const char *const ROLE_NAMES[7] = { "seller", "buyer", "meter", "rates",
					   "settlement", "auditor", "operator" };

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
			corridor_mp_pack_str(&pk, ROLE_NAMES[i], strlen(ROLE_NAMES[i]));
	return w.overflow ? 0 : 8 + w.len;
}

/* Parses a canonical array of role names (canonical order, no repeats). */
static int roles_from_array(const uint8_t *v, size_t vlen, unsigned *roles)
{
	struct corridor_mpscan scan;
	*roles = 0;
	if (vlen < 1 || v[0] < 0x91u || v[0] > 0x97u ||
	    corridor_mpscan(v, vlen, 2, &scan, NULL) != 0)
		return CORRIDOR_E_MALFORMED;
	int last = -1;
	for (size_t i = 0; i < scan.children; i++) {
		const char *s;
		size_t n;
		int found = -1;
		if (corridor_mp_str(v + scan.child_off[i], scan.child_off[i + 1] - scan.child_off[i],
				    &s, &n) != 0)
			return CORRIDOR_E_MALFORMED;
		for (int r = 0; r < 6 && found < 0; r++)
			if (strlen(ROLE_NAMES[r]) == n && memcmp(ROLE_NAMES[r], s, n) == 0)
				found = r;
		if (found <= last)
			return CORRIDOR_E_MALFORMED;
		last = found;
		*roles |= 1u << found;
	}
	return CORRIDOR_OK;
}

int corridor_party_roles(struct corridor_kv *kv, const char *id, unsigned *roles)
{
	const uint8_t *v;
	size_t vlen, rlen;
	*roles = 0;
	int err = kv->get(kv, STATE_PARTIES, (const uint8_t *)id, strlen(id), &v, &vlen);
	if (err)
		return err;
	const uint8_t *r = vlen > 8 ? corridor_map_find(v + 8, vlen - 8, "roles", &rlen) : NULL;
	if (!r)
		return CORRIDOR_E_STORAGE;
	/* The operator record holds "operator" only, outside the assignable list. */
	if (rlen == 10 && memcmp(r, "\x91\xa8operator", 10) == 0) {
		*roles = CORRIDOR_ROLE_OPERATOR;
		return CORRIDOR_OK;
	}
	return roles_from_array(r, rlen, roles) ? CORRIDOR_E_STORAGE : CORRIDOR_OK;
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

static int process_genesis(struct kind_state *st, const struct corridor_entry *e,
			   uint8_t pub[CORRIDOR_PUBLIC_KEY_BYTES], struct corridor_diag *diag)
{
	struct body b = { .e = e, .diag = diag };
	static const char *const allowed[] = { "key", "origin", NULL };
	char origin[CORRIDOR_NAME_BYTES_MAX + 1];
	uint8_t key[32], rec[CORRIDOR_NAME_BYTES_MAX * 2 + 128];
	int err;
	if (e->seq != 0 || st->origin[0] != '\0')
		return corridor_diag_seq(diag, CORRIDOR_E_VERIFY, e->seq,
					 "genesis is only allowed at seq 0");
	if ((err = fields_allowed(&b, allowed)) || (err = bin32_field(&b, "key", key)) ||
	    (err = str_field(&b, "origin", true, origin, CORRIDOR_NAME_BYTES_MAX, NULL)))
		return err;
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
	st->operator_key_id = e->key_id;
	memcpy(pub, key, 32);
	return CORRIDOR_OK;
}

/* The author's key must be registered and valid at e->seq. */
static int author_key(struct kind_state *st, const struct corridor_entry *e,
		      struct key_record *rec, struct corridor_diag *diag)
{
	int err = corridor_key_get(st->kv, e->author, e->key_id, rec);
	if (err == CORRIDOR_E_NOTFOUND)
		return corridor_diag_seq(diag, CORRIDOR_E_KEY, e->seq,
					 "key %08x of '%s' is not registered in this ledger",
					 (unsigned)e->key_id, e->author);
	if (err)
		return corridor_diag_seq(diag, err, e->seq, "cannot read the key index");
	if (e->seq < rec->valid_from)
		return corridor_diag_seq(diag, CORRIDOR_E_KEY, e->seq,
					 "key %08x of '%s' is not valid yet at seq %llu",
					 (unsigned)e->key_id, e->author, (unsigned long long)e->seq);
	if (e->seq > rec->valid_until)
		return corridor_diag_seq(diag, CORRIDOR_E_KEY, e->seq,
					 "key %08x of '%s' was rotated or revoked: valid up to seq "
					 "%llu only",
					 (unsigned)e->key_id, e->author,
					 (unsigned long long)rec->valid_until);
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
static int new_key(struct kind_state *st, const struct body *b, const char *party,
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

static int process_party_register(struct kind_state *st, const struct body *b)
{
	static const char *const allowed[] = { "country", "ibans",	   "id",    "idempotency_key",
					       "key",	  "name",	   "roles", NULL };
	char id[CORRIDOR_NAME_BYTES_MAX + 1], name[CORRIDOR_PARTY_NAME_BYTES_MAX + 1], cc[8];
	uint8_t key[32], rec[2048];
	unsigned roles;
	size_t vlen, ilen = 0;
	int err;
	if ((err = fields_allowed(b, allowed)) ||
	    (err = str_field(b, "id", true, id, CORRIDOR_PARTY_ID_BYTES_MAX, NULL)) ||
	    (err = str_field(b, "name", true, name, CORRIDOR_PARTY_NAME_BYTES_MAX, NULL)) ||
	    (err = str_field(b, "country", true, cc, 2, NULL)) || (err = bin32_field(b, "key", key)))
		return err;
	if (!corridor_party_id_valid(id))
		return bad(b, "party id must be [A-Z0-9-], 1-32 characters");
	if (name[0] == '\0')
		return bad(b, "the party name is empty");
	if (!corridor_country_valid(cc))
		return bad(b, "country must be an ISO 3166-1 alpha-2 code");
	const uint8_t *rv = corridor_map_find(b->e->body, b->e->body_len, "roles", &vlen);
	if (!rv || roles_from_array(rv, vlen, &roles) != 0 || roles == 0)
		return bad(b, "roles must be a non-empty list of seller, buyer, meter, rates, "
			      "settlement, auditor, in that order");
	const uint8_t *iv = corridor_map_find(b->e->body, b->e->body_len, "ibans", &ilen);
	if (iv) {
		struct corridor_mpscan scan;
		if (ilen < 1 || iv[0] < 0x91u || iv[0] > 0x90u + CORRIDOR_PARTY_IBANS_MAX ||
		    corridor_mpscan(iv, ilen, 2, &scan, NULL) != 0)
			return bad(b, "ibans must be a list of 1-8 IBANs");
		for (size_t i = 0; i < scan.children; i++) {
			const char *s;
			size_t n;
			char iban[40];
			if (corridor_mp_str(iv + scan.child_off[i],
					    scan.child_off[i + 1] - scan.child_off[i], &s, &n) != 0 ||
			    n >= sizeof iban)
				return bad(b, "an IBAN is not valid");
			memcpy(iban, s, n);
			iban[n] = '\0';
			if (!corridor_iban_valid(iban))
				return bad(b, "IBAN %s is not valid", iban);
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
		return bad(b, "the party record is too large");
	if ((err = corridor_key_put(st->kv, &kr)) || (err = put_party(st, id, rec, rlen)))
		return corridor_diag_seq(b->diag, err, b->e->seq, "cannot record the party");
	return CORRIDOR_OK;
}

static int process_key_rotate(struct kind_state *st, const struct body *b,
			      struct key_record *signing)
{
	static const char *const allowed[] = { "idempotency_key", "key", NULL };
	uint8_t key[32];
	struct key_record kr;
	int err;
	if ((err = fields_allowed(b, allowed)) || (err = bin32_field(b, "key", key)) ||
	    (err = new_key(st, b, b->e->author, key, &kr)))
		return err;
	signing->valid_until = b->e->seq; /* the old key signs up to this seq */
	if ((err = corridor_key_put(st->kv, signing)) || (err = corridor_key_put(st->kv, &kr)))
		return corridor_diag_seq(b->diag, err, b->e->seq, "cannot record the keys");
	if (strcmp(b->e->author, st->origin) == 0)
		st->operator_key_id = kr.key_id;
	return CORRIDOR_OK;
}

static int process_key_revoke(struct kind_state *st, const struct body *b, const char *party,
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

static int process_key_add(struct kind_state *st, const struct body *b)
{
	static const char *const allowed[] = { "idempotency_key", "key", "party", NULL };
	char party[CORRIDOR_NAME_BYTES_MAX + 1];
	uint8_t key[32], prefix[CORRIDOR_NAME_BYTES_MAX + 1];
	struct key_record kr;
	int err;
	if ((err = fields_allowed(b, allowed)) ||
	    (err = str_field(b, "party", true, party, CORRIDOR_NAME_BYTES_MAX, NULL)) ||
	    (err = bin32_field(b, "key", key)))
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

static int process_attest(struct kind_state *st, const struct body *b)
{
	static const char *const allowed[] = { "hash", "idempotency_key", "note", "seq", NULL };
	char note[CORRIDOR_REASON_BYTES_MAX + 1];
	uint8_t hash[32], actual[32];
	uint64_t target;
	int err;
	if ((err = fields_allowed(b, allowed)) || (err = bin32_field(b, "hash", hash)) ||
	    (err = uint_field(b, "seq", &target)) ||
	    (err = str_field(b, "note", false, note, CORRIDOR_REASON_BYTES_MAX, NULL)))
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

static int process_memo(const struct body *b)
{
	static const char *const allowed[] = { "idempotency_key", "text", NULL };
	const char *text;
	size_t n;
	struct corridor_diag d;
	int err = fields_allowed(b, allowed);
	if (err)
		return err;
	if (corridor_msgpack_map_str(b->e->body, b->e->body_len, "text", &text, &n) != 0)
		return bad(b, "body needs a %s", "text");
	if (corridor_memo_check(text, n, &d) != 0)
		return corridor_diag_seq(b->diag, CORRIDOR_E_VERIFY, b->e->seq, "%s", d.text);
	return CORRIDOR_OK;
}

int corridor_kind_process(struct kind_state *st, const struct corridor_entry *e,
			  uint8_t public_key[CORRIDOR_PUBLIC_KEY_BYTES], struct corridor_diag *diag)
{
	struct body b = { .e = e, .diag = diag };
	struct key_record signing;
	unsigned roles = 0;
	char idem[CORRIDOR_IDEM_BYTES_MAX + 1], target[CORRIDOR_NAME_BYTES_MAX + 1];
	uint64_t key_id = 0;
	bool has_idem;
	int err;
	if (strcmp(e->kind, "genesis") == 0)
		return process_genesis(st, e, public_key, diag);
	if (st->origin[0] == '\0')
		return corridor_diag_seq(diag, CORRIDOR_E_VERIFY, e->seq,
					 "the log does not start with a genesis entry");
	const struct kind_rule_def *rule = corridor_kind_rule(e->kind);
	if (!rule || !rule->implemented)
		return corridor_diag_seq(diag, CORRIDOR_E_VERIFY, e->seq,
					 "unknown entry kind '%s'", e->kind);
	/* 1. Who signs: a key valid at this seq, and the party's roles. */
	if ((err = author_key(st, e, &signing, diag)) != 0)
		return err;
	if ((err = corridor_party_roles(st->kv, e->author, &roles)) != 0)
		return corridor_diag_seq(diag, CORRIDOR_E_KEY, e->seq, "'%s' is not a party here",
					 e->author);
	/* 2. May it write this kind (about this party)? */
	target[0] = '\0';
	if (rule->rule == RULE_OPERATOR_OR_SELF &&
	    ((err = str_field(&b, "party", true, target, CORRIDOR_NAME_BYTES_MAX, NULL)) ||
	     (err = uint_field(&b, "key_id", &key_id))))
		return err;
	if ((err = corridor_rule_check(rule, st, e->author, roles, target, e->seq, diag)) != 0)
		return err;
	/* 3. An idempotency key is used once per author and kind. */
	if ((err = str_field(&b, "idempotency_key", false, idem, CORRIDOR_IDEM_BYTES_MAX,
			     &has_idem)) != 0)
		return err;
	uint8_t ik[CORRIDOR_KV_KEY_BYTES_MAX];
	size_t iklen = 0;
	if (has_idem) {
		const uint8_t *v;
		size_t vlen;
		if (strlen(e->author) + strlen(e->kind) + strlen(idem) + 2 > sizeof ik)
			return bad(&b, "the idempotency key is too long");
		iklen = corridor_idem_key(e->author, e->kind, idem, strlen(idem), ik);
		if (st->kv->get(st->kv, STATE_IDEM, ik, iklen, &v, &vlen) == 0)
			return corridor_diag_seq(diag, CORRIDOR_E_REFUSED, e->seq,
						 "idempotency key '%s' of %s for %s was used at seq "
						 "%llu for a different body",
						 idem, e->author, e->kind,
						 vlen == 8 ? (unsigned long long)corridor_be64_get(v) : 0ull);
	}
	/* 4. The kind's own rules and effects. */
	if (strcmp(e->kind, "memo") == 0)
		err = process_memo(&b);
	else if (strcmp(e->kind, "attest") == 0)
		err = process_attest(st, &b);
	else if (strcmp(e->kind, "party.register") == 0)
		err = process_party_register(st, &b);
	else if (strcmp(e->kind, "key.rotate") == 0)
		err = process_key_rotate(st, &b, &signing);
	else if (strcmp(e->kind, "key.add") == 0)
		err = process_key_add(st, &b);
	else if (strcmp(e->kind, "key.revoke") == 0) {
		static const char *const allowed[] = { "idempotency_key", "key_id", "party",
						       "reason", NULL };
		char reason[CORRIDOR_REASON_BYTES_MAX + 1];
		if (!(err = fields_allowed(&b, allowed)) &&
		    !(err = str_field(&b, "reason", false, reason, CORRIDOR_REASON_BYTES_MAX, NULL)))
			err = process_key_revoke(st, &b, target, key_id);
	} else if (strncmp(e->kind, "contract.", 9) == 0)
		err = corridor_contract_process(st, e, diag);
	else if (strncmp(e->kind, "delivery.", 9) == 0)
		err = corridor_delivery_process(st, e, diag);
	else if (strncmp(e->kind, "rate.", 5) == 0 || strcmp(e->kind, "currency.define") == 0)
		err = corridor_money_process(st, e, diag);
	else if (strncmp(e->kind, "settlement.", 11) == 0)
		err = corridor_settle_process(st, e, diag);
	else if (strncmp(e->kind, "payment.", 8) == 0)
		err = corridor_payment_process(st, e, diag);
	else
		CORRIDOR_ASSERT(!"an implemented kind without processing");
	if (err)
		return err;
	if (has_idem) {
		uint8_t sv[8];
		corridor_be64_put(sv, e->seq);
		if ((err = st->kv->put(st->kv, STATE_IDEM, ik, iklen, sv, 8)) != 0)
			return corridor_diag_seq(diag, err, e->seq, "cannot record the idempotency key");
	}
	memcpy(public_key, signing.public_key, 32);
	return CORRIDOR_OK;
}
