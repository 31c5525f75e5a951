/*
 * fuzz_dhcpopt: libFuzzer target for the DHCP option decoder that
 * sipcfg-ua runs on what a DHCP server sent (dhcpopt.h).  The input is
 * tried as a searchlist with and without compression, as option 15, as
 * a DHCPv6 options area, and as a whole DHCPv4 message; every name that
 * decodes must encode again to a list that decodes to the same names.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dhcpopt.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct dhcpopt_list	 l, l2;
static unsigned char		 enc[DHCPOPT_DATA_MAX * 2];

static void
again(int compress)
{
	const char	*names[DHCPOPT_NAMES_MAX];
	char		 err[256];
	size_t		 i, len;

	for (i = 0; i < l.n; i++)
		names[i] = l.name[i];
	if (l.n == 0)
		return;
	if (dhcpopt_encode(names, l.n, compress, enc, sizeof(enc), &len, err,
	    sizeof(err)) != 0 ||
	    dhcpopt_decode(enc, len, compress, &l2, err, sizeof(err)) != 0 ||
	    l2.n != l.n)
		abort();
	for (i = 0; i < l.n; i++)
		if (strcmp(l.name[i], l2.name[i]) != 0)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char		 agg[DHCPOPT_DATA_MAX];
	const unsigned char	*d6;
	char			 err[256], name[DHCPOPT_NAME_MAX];
	size_t			 len;
	int			 c;

	for (c = 0; c <= 1; c++)
		if (dhcpopt_decode(data, size, c, &l, err, sizeof(err)) == 0)
			again(c);
	(void)dhcpopt_domain_name(data, size, name, sizeof(name), err,
	    sizeof(err));
	if (dhcpopt_v6_find(data, size, DHCPOPT_V6_CS_LIST, &d6, &len, err,
	    sizeof(err)) == 1 &&
	    dhcpopt_decode(d6, len, 0, &l, err, sizeof(err)) == 0)
		again(0);
	if (dhcpopt_v4_find(data, size, DHCPOPT_V4_CS_DOMAINS, agg,
	    sizeof(agg), &len, err, sizeof(err)) == 1 &&
	    dhcpopt_decode(agg, len, 1, &l, err, sizeof(err)) == 0)
		again(1);
	return 0;
}
