/*
 * admin_bootstrap: the records that point phones at the server: NAPTR (RFC
 * 6011 §2.3.1) and DHCP options.  Part of the admin library (admin.h):
 * commands that validate, run in the caller's transaction and write their
 * result to the call's output, for the CLI and the REST API alike.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "dhcpconf.h"
#include "drift.h"
#include "explain.h"
#include "dhcpopt.h"
#include "digest.h"
#include "buf.h"
#include "bulk.h"
#include "credential.h"
#include "render.h"
#include "request.h"
#include "resource.h"
#include "encrypt.h"
#include "seal.h"
#include "store.h"
#include "storemove.h"
#include "termsafe.h"
#include "tlsdomain.h"
#include "vpath.h"
#include "util.h"
#include "admin_int.h"

/*
 * RFC 6011 §2.3.1: the NAPTR records that make DOMAIN's UAs find these
 * base URLs, in the order given (order 10, 20, ...; preference 10).  The
 * regexp replaces the whole domain with the URL, so a URL must not hold
 * the regexp's delimiter '!'.
 */
int
cmd_naptr(struct store *st, struct args *a)
{
	const char	*fmt = opt(a, "--format"), *dom = a->pos[0], *u;
	char		 d[256];
	json_t		*arr = NULL;
	size_t		 dl;
	int		 i;

	(void)st;
	if (fmt == NULL)
		fmt = "zone";
	if (strcmp(fmt, "zone") != 0 && strcmp(fmt, "dnsmasq") != 0)
		return err("--format %s: expected zone or dnsmasq", fmt);
	snprintf(d, sizeof(d), "%s", dom);
	if ((dl = strlen(d)) > 0 && d[dl - 1] == '.')
		d[--dl] = '\0';
	if (dl == 0 || strlen(dom) > 253 || !request_valid_domain(d))
		return err("%s: not a DNS domain", dom);
	for (i = 1; i < a->npos; i++) {
		u = a->pos[i];
		/* §2.3.1: the service is https; §2.3.2 adds the query. */
		if (strncmp(u, "https://", 8) != 0 || u[8] == '\0' ||
		    u[8] == '/' || strpbrk(u, "!?# \t\"\\") != NULL ||
		    strlen(u) > 200)
			return err("%s: expected an https:// base URL without "
			    "query, fragment, quotes, spaces or '!'", u);
	}
	if (a->json && (arr = json_array()) == NULL)
		return err("out of memory");
	for (i = 1; i < a->npos; i++) {
		u = a->pos[i];
		if (arr)
			json_array_append_new(arr, json_pack("{s:s, s:i, s:i, "
			    "s:s, s:s, s:s, s:s}", "domain", d, "order", i * 10,
			    "preference", 10, "flags", "u", "service",
			    "SFUA.CFG", "regexp", "", "replacement", "."));
		if (arr) {
			char re[256];

			snprintf(re, sizeof(re), "!^.*$!%s!", u);
			json_object_set_new(json_array_get(arr,
			    json_array_size(arr) - 1), "regexp",
			    json_string(re));
		} else if (strcmp(fmt, "zone") == 0)
			outf("%s.\tIN NAPTR %d 10 \"u\" \"SFUA.CFG\" "
			    "\"!^.*$!%s!\" .\n", d, i * 10, u);
		else
			outf("naptr-record=%s,%d,10,u,SFUA.CFG,!^.*$!%s!\n",
			    d, i * 10, u);
	}
	if (arr) {
		print_json(arr);
		json_decref(arr);
	}
	return 0;
}

/*
 * RFC 6011 §2.1.2, §4: the DHCP options (141, 58) that hand UAs their
 * Configuration Service Domains, for the DHCP servers operators run
 * (dhcpconf.c).  The domains: the arguments, else every domain of the
 * store but the nameless default one.
 */
int
cmd_dhcp(struct store *st, struct args *a)
{
	/* In the order of enum dhcpconf_format. */
	static const char *const fmts[] = { "all", "dnsmasq", "kea", "dhcpd" };
	const char	*fmt = opt(a, "--format"), *names[DHCPOPT_NAMES_MAX];
	char		 errbuf[256];
	json_t		*rows = NULL, *o;
	size_t		 n = 0, i, f;
	int		 ret = -1;

	for (f = 0; fmt != NULL && f < sizeof(fmts) / sizeof(fmts[0]); f++)
		if (strcmp(fmt, fmts[f]) == 0)
			break;
	if (fmt == NULL)
		f = DHCPCONF_ALL;
	else if (f == sizeof(fmts) / sizeof(fmts[0]))
		return err("--format %s: expected dnsmasq, kea or dhcpd", fmt);
	if (opt(a, "--hex") != NULL)
		f = DHCPCONF_HEX;
	for (i = 0; i < (size_t)a->npos; i++)
		names[n++] = a->pos[i];
	if (n == 0) {
		if (store_domain_list(st, &rows) != STORE_OK)
			return err("%s", store_errmsg(st));
		for (i = 0; i < json_array_size(rows); i++) {
			o = json_array_get(rows, i);
			if (json_integer_value(json_object_get(o, "id")) ==
			    STORE_DEFAULT_DOMAIN)
				continue;
			if (n == DHCPOPT_NAMES_MAX) {
				err("more than %d domains in the store; name "
				    "the ones to announce", DHCPOPT_NAMES_MAX);
				goto done;
			}
			names[n++] = json_string_value(json_object_get(o,
			    "name"));
		}
		if (n == 0) {
			err("the store has no CS domain (sipcfg domain add "
			    "NAME); or give DOMAIN...");
			goto done;
		}
	}
	for (i = 0; i < n; i++)
		if (names[i] == NULL || strlen(names[i]) > 254 ||
		    !request_valid_domain(names[i])) {
			err("%s: not a DNS domain", names[i] ? names[i] : "?");
			goto done;
		}
	if (a->json) {
		if ((o = dhcpconf_json(names, n, errbuf, sizeof(errbuf))) ==
		    NULL) {
			err("%s", errbuf);
			goto done;
		}
		print_json(o);
		json_decref(o);
	} else if (dhcpconf_print(adm->out, names, n, (enum dhcpconf_format)f,
	    errbuf, sizeof(errbuf)) != 0) {
		err("%s", errbuf);
		goto done;
	}
	ret = 0;
 done:
	json_decref(rows);
	return ret;
}
