/*
 * roles.c — role names: the text of a role set ("seller,meter") and back.
 */
#include <stdio.h>
#include <string.h>

#include "formats.h"

const char *const corridor_role_names[7] = { "seller", "buyer", "meter", "rates",
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
			if (strlen(corridor_role_names[r]) == n && memcmp(corridor_role_names[r], p, n) == 0)
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
		int n = snprintf(out + at, cap - at, "%s%s", at ? "," : "", corridor_role_names[r]);
		if (n < 0 || (size_t)n >= cap - at)
			return;
		at += (size_t)n;
	}
}
