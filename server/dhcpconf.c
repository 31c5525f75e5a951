/*
 * dhcpconf: DHCP server configuration for the Configuration Service
 * Domain options (see dhcpconf.h).  Any thread; no state.
 *
 * Every form carries the option values as hex, even where a server could
 * encode the names itself (Kea's sip-ua-cs-domains is an fqdn array): the
 * octets are then exactly the ones dhcpopt_encode() made, with the RFC
 * 1035 §4.1.4 compression RFC 6011 §4.1 asks for, whatever the server's
 * own encoder would do.  Option 141 past 255 octets is one value to Kea
 * and dhcpd, which split it (RFC 3396); dnsmasq cannot send it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dhcpconf.h"
#include "dhcpopt.h"

#define V4_OPT_MAX	255	/* dnsmasq sends one option, RFC 2132 §2 */

/* Both options, encoded once, and their hex forms. */
struct enc {
	unsigned char	 v4[DHCPOPT_DATA_MAX], v6[DHCPOPT_DATA_MAX];
	unsigned char	 w4[DHCPOPT_DATA_MAX + 64], w6[DHCPOPT_DATA_MAX + 4];
	size_t		 l4, l6, lw4, lw6;
	char		 h4[3 * DHCPOPT_DATA_MAX], h6[3 * DHCPOPT_DATA_MAX];
	char		 x4[2 * DHCPOPT_DATA_MAX + 1];
	char		 x6[2 * DHCPOPT_DATA_MAX + 1];
	char		 hw[2 * (DHCPOPT_DATA_MAX + 64) + 1];
	char		 hw6[2 * (DHCPOPT_DATA_MAX + 4) + 1];
};

static void seterr(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* A new struct enc for names (free it), or NULL with err. */
static struct enc *
encode(const char *const *names, size_t n, char *err, size_t errlen)
{
	struct enc	*e;

	if ((e = calloc(1, sizeof(*e))) == NULL) {
		seterr(err, errlen, "out of memory");
		return NULL;
	}
	/* §4.1: compressed; §4.2 (RFC 3315 §8): not. */
	if (dhcpopt_encode(names, n, 1, e->v4, sizeof(e->v4), &e->l4, err,
	    errlen) != 0 ||
	    dhcpopt_encode(names, n, 0, e->v6, sizeof(e->v6) - 4, &e->l6, err,
	    errlen) != 0)
		goto fail;
	if (dhcpopt_v4_split(DHCPOPT_V4_CS_DOMAINS, e->v4, e->l4, e->w4,
	    sizeof(e->w4), &e->lw4) != 0) {
		seterr(err, errlen, "the domains do not fit in a DHCP message");
		goto fail;
	}
	/* RFC 8415 §21.1: code and length, 16 bits each. */
	e->w6[0] = 0;
	e->w6[1] = DHCPOPT_V6_CS_LIST;
	e->w6[2] = (unsigned char)(e->l6 >> 8);
	e->w6[3] = (unsigned char)e->l6;
	memcpy(e->w6 + 4, e->v6, e->l6);
	e->lw6 = e->l6 + 4;
	dhcpopt_hex(e->v4, e->l4, ':', e->h4);
	dhcpopt_hex(e->v6, e->l6, ':', e->h6);
	dhcpopt_hex(e->v4, e->l4, '\0', e->x4);
	dhcpopt_hex(e->v6, e->l6, '\0', e->x6);
	dhcpopt_hex(e->w4, e->lw4, '\0', e->hw);
	dhcpopt_hex(e->w6, e->lw6, '\0', e->hw6);
	return e;
 fail:
	free(e);
	return NULL;
}

static void
print_dnsmasq(FILE *out, const struct enc *e)
{
	if (e->l4 > V4_OPT_MAX)
		fprintf(out, "# option 141 is %zu octets: dnsmasq sends at "
		    "most 255\n", e->l4);
	else
		fprintf(out, "dhcp-option=141,%s\n", e->h4);
	fprintf(out, "dhcp-option=option6:58,%s\n", e->h6);
}

/* Kea's option-data, by name (its standard option definitions). */
static void
print_kea(FILE *out, const struct enc *e)
{
	fprintf(out, "{\n  \"Dhcp4\": { \"option-data\": [ { \"name\": "
	    "\"sip-ua-cs-domains\", \"code\": 141, \"space\": \"dhcp4\",\n"
	    "      \"csv-format\": false, \"data\": \"%s\" } ] },\n", e->x4);
	fprintf(out, "  \"Dhcp6\": { \"option-data\": [ { \"name\": "
	    "\"sip-ua-cs-list\", \"code\": 58, \"space\": \"dhcp6\",\n"
	    "      \"csv-format\": false, \"data\": \"%s\" } ] }\n}\n", e->x6);
}

/* ISC dhcpd knows neither option: declared, then given in hex. */
static void
print_dhcpd(FILE *out, const struct enc *e, int comments)
{
	fprintf(out, "option sip-ua-cs-domains code 141 = string;\n"
	    "option sip-ua-cs-domains %s;\n", e->h4);
	if (comments)
		fprintf(out, "\n# ISC dhcpd -6 (dhcpd6.conf)\n");
	fprintf(out, "option dhcp6.sip-ua-cs-list code 58 = string;\n"
	    "option dhcp6.sip-ua-cs-list %s;\n", e->h6);
}

int
dhcpconf_print(FILE *out, const char *const *names, size_t n,
    enum dhcpconf_format fmt, char *err, size_t errlen)
{
	struct enc	*e;
	char		 line[2 * (2 + V4_OPT_MAX) + 1];
	size_t		 i;

	if ((e = encode(names, n, err, errlen)) == NULL)
		return -1;
	switch (fmt) {
	case DHCPCONF_HEX:
		/* One line per option as it goes on the wire. */
		for (i = 0; i < e->lw4; i += 2 + (size_t)e->w4[i + 1]) {
			dhcpopt_hex(e->w4 + i, 2 + (size_t)e->w4[i + 1], '\0',
			    line);
			fprintf(out, "dhcp4 %s\n", line);
		}
		fprintf(out, "dhcp6 %s\n", e->hw6);
		break;
	case DHCPCONF_DNSMASQ:
		if (e->l4 > V4_OPT_MAX) {
			seterr(err, errlen, "option 141 is %zu octets: dnsmasq "
			    "sends at most 255 (use Kea or ISC dhcpd, or fewer "
			    "domains)", e->l4);
			free(e);
			return -1;
		}
		print_dnsmasq(out, e);
		break;
	case DHCPCONF_KEA:
		print_kea(out, e);
		break;
	case DHCPCONF_DHCPD:
		print_dhcpd(out, e, 0);
		break;
	case DHCPCONF_ALL:
		fprintf(out, "# RFC 6011 §4: SIP UA Configuration Service "
		    "Domains");
		for (i = 0; i < n; i++)
			fprintf(out, "%s%s", i ? ", " : ": ", names[i]);
		fprintf(out, "\n# DHCPv4 option 141 (%zu octets), DHCPv6 "
		    "option 58 (%zu octets)\n\n# dnsmasq (dnsmasq.conf)\n",
		    e->l4, e->l6);
		print_dnsmasq(out, e);
		fprintf(out, "\n# Kea (merge into the Dhcp4 and Dhcp6 "
		    "objects)\n");
		print_kea(out, e);
		fprintf(out, "\n# ISC dhcpd (dhcpd.conf; RFC 3396 splitting is "
		    "dhcpd's)\n");
		print_dhcpd(out, e, 1);
		break;
	}
	free(e);
	return 0;
}

json_t *
dhcpconf_json(const char *const *names, size_t n, char *err, size_t errlen)
{
	struct enc	*e;
	json_t		*doms, *dm, *dh, *kea, *o;
	size_t		 i;

	if ((e = encode(names, n, err, errlen)) == NULL)
		return NULL;
	doms = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(doms, json_string(names[i]));
	dm = json_array();
	if (e->l4 <= V4_OPT_MAX)
		json_array_append_new(dm, json_sprintf("dhcp-option=141,%s",
		    e->h4));
	json_array_append_new(dm, json_sprintf("dhcp-option=option6:58,%s",
	    e->h6));
	dh = json_pack("[s, o, s, o]",
	    "option sip-ua-cs-domains code 141 = string;",
	    json_sprintf("option sip-ua-cs-domains %s;", e->h4),
	    "option dhcp6.sip-ua-cs-list code 58 = string;",
	    json_sprintf("option dhcp6.sip-ua-cs-list %s;", e->h6));
	kea = json_pack("{s:{s:[{s:s, s:i, s:s, s:b, s:s}]}, "
	    "s:{s:[{s:s, s:i, s:s, s:b, s:s}]}}",
	    "Dhcp4", "option-data", "name", "sip-ua-cs-domains", "code", 141,
	    "space", "dhcp4", "csv-format", 0, "data", e->x4,
	    "Dhcp6", "option-data", "name", "sip-ua-cs-list", "code", 58,
	    "space", "dhcp6", "csv-format", 0, "data", e->x6);
	o = json_pack("{s:o, s:{s:i, s:I, s:s, s:s}, s:{s:i, s:I, s:s}, "
	    "s:o, s:o, s:o}", "domains", doms,
	    "dhcp4", "code", 141, "length", (json_int_t)e->l4, "data", e->x4,
	    "wire", e->hw,
	    "dhcp6", "code", 58, "length", (json_int_t)e->l6, "data", e->x6,
	    "dnsmasq", dm, "kea", kea, "dhcpd", dh);
	free(e);
	if (o == NULL)
		seterr(err, errlen, "out of memory");
	return o;
}
