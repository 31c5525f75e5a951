/*
 * fuzz_sip: libFuzzer target for the SIP header values the notifier
 * parses itself: Event, Accept (sipreq.c) and the Authorization value as
 * notifier.c rebuilds it from sofia's parameters ("Digest " + params).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "sipreq.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct digest_creds	 cr;
	char			*s;
	int			 body;

	if ((s = malloc(size + 8)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	(void)sipreq_event(s, &body);
	(void)sipreq_accept(s);
	memmove(s + 7, s, size + 1);
	memcpy(s, "Digest ", 7);
	(void)digest_parse_buf(s, size + 7, &cr);
	digest_creds_wipe(&cr);
	free(s);
	return 0;
}
