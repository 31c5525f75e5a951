/*
 * fuzz_request: libFuzzer target for the sfua-* query parser and the
 * URN/MAC helpers.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfg_request	 r;
	char			 err[160], out[REQUEST_ID_MAX], mac[13];
	char			*s;

	(void)request_parse_query((const char *)data, size, &r, err,
	    sizeof(err));
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (request_urn_normalise(s, out, sizeof(out)) == 0)
		(void)request_urn_mac(out, mac);
	(void)request_mac_normalise(s, mac);
	(void)request_valid_domain(s);
	(void)request_valid_token(s);
	free(s);
	return 0;
}
