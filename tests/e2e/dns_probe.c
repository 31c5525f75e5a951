/*
 * dns_probe: drive ua_dns_naptr() from the shell for tests/e2e/dns.sh.
 *
 *	dns_probe SERVER DOMAIN [TIMEOUT_MS]
 *
 * SERVER is "ADDR[:PORT]", "[V6]:PORT" or "-" for the system resolver.
 * Prints the result code's name, then "err: ..." or one "ORDER PREF URL"
 * line per URL, best first.  Exits 0 on UA_DNS_OK, 1 on any other
 * result, 2 on bad usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ua_dns.h"

static struct ua_dns_result	 res;	/* 16 KiB: off the stack */

int
main(int argc, char *argv[])
{
	static const char *const names[] = { "OK", "NXDOMAIN", "NODATA",
	    "SERVFAIL", "ERROR" };
	const char	*server;
	unsigned long	 ms = 3000;
	char		*end;
	enum ua_dns_rc	 rc;
	size_t		 i;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: dns_probe SERVER DOMAIN [TIMEOUT_MS]\n");
		return 2;
	}
	server = strcmp(argv[1], "-") == 0 ? NULL : argv[1];
	if (argc == 4) {
		ms = strtoul(argv[3], &end, 10);
		if (*argv[3] == '\0' || *end != '\0' || ms > 600000) {
			fprintf(stderr, "dns_probe: bad timeout\n");
			return 2;
		}
	}
	rc = ua_dns_naptr(argv[2], server, (unsigned)ms, &res);
	printf("%s\n", (size_t)rc < sizeof(names) / sizeof(names[0]) ?
	    names[rc] : "?");
	if (rc != UA_DNS_OK) {
		printf("err: %s\n", res.err);
		return 1;
	}
	for (i = 0; i < res.n; i++)
		printf("%u %u %s\n", res.order[i], res.pref[i], res.url[i]);
	return 0;
}
