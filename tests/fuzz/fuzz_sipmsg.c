/*
 * fuzz_sipmsg: libFuzzer target for whole SIP messages as the notifier
 * meets them: sofia-sip's parser (the one nua hands the notifier) and
 * then the request-only checks of a SUBSCRIBE (sipcheck.c), as they run
 * over UDP and over TLS, with and without trusting the Contact.  A
 * decision always comes with its reason phrase, and a token only with
 * its 32 hex digits.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>

#include "sipcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_in	 sin;
	struct sipcheck_from	 from;
	struct sipcheck		 ck;
	msg_t			*msg;
	sip_t			*sip;
	int			 i;

	if (size > 65536)
		return 0;
	if ((msg = msg_make(sip_default_mclass(), 0, data, (ssize_t)size)) ==
	    NULL)
		return 0;
	sip = sip_object(msg);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(5060);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (i = 0; i < 4; i++) {
		memset(&from, 0, sizeof(from));
		from.addr = (const struct sockaddr *)&sin;
		from.addrlen = sizeof(sin);
		from.udp = (i & 1) == 0;
		from.tls = !from.udp;
		sipcheck_subscribe(sip, &from, 60, i >= 2, &ck);
		if ((ck.status != 0 && ck.phrase == NULL) ||
		    (ck.token[0] && strspn(ck.token, "0123456789abcdef") !=
		    SIPCHECK_TOKEN_LEN))
			abort();
	}
	msg_destroy(msg);
	return 0;
}
