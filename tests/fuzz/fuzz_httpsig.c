/* libFuzzer: the signed-read header parser (RFC 9421 Signature-Input and
 * Signature). The input is split at its first newline into the two header
 * values; whatever is accepted names one label, a valid key name and id, a
 * created time, a 64-byte signature, and verifies (or not) without crashing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "corridor/corridor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	struct corridor_httpsig h;
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	char *nl = memchr(buf, '\n', size);
	const char *sig = "";
	if (nl) {
		*nl = '\0';
		sig = nl + 1;
	}
	if (corridor_httpsig_parse(buf, sig, &h, NULL) == 0) {
		uint8_t key[CORRIDOR_PUBLIC_KEY_BYTES];
		if (!h.label[0] || !h.keyid_name[0] || h.created < 0 ||
		    !corridor_key_name_valid(h.keyid_name, strlen(h.keyid_name)) ||
		    (h.expires && h.expires <= h.created) || strlen(h.params) >= sizeof h.params)
			abort();
		memset(key, 0x42, sizeof key);
		(void)corridor_httpsig_verify(&h, "GET", "/v1/log", "?from=0", key, h.created, NULL);
	}
	free(buf);
	return 0;
}
