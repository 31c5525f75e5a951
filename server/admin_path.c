/*
 * admin_path: vendor file path rules.  Part of the admin library
 * (admin.h): commands that validate, run in the caller's transaction and
 * write their result to the call's output, for the CLI and the REST API
 * alike.
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

/* Vendor file path rules (BRIEF.md §3), served under vendor_paths. */
int
cmd_path_add(struct store *st, struct args *a)
{
	const char	*vendor = opt(a, "--vendor"), *tpl = opt(a, "--template");
	enum store_rc	 rc;

	if (vpath_pattern_valid(a->pos[0]) != 0)
		return err("%s: a pattern is one file name with one {mac} (or "
		    "{MAC}) and at most one {model}, not side by side; "
		    "letters, digits, - _ . + only", a->pos[0]);
	if (vendor && *vendor && !request_valid_domain(vendor))
		return err("--vendor %s: not a DNS domain", vendor);
	if (tpl && *tpl && !request_valid_token(tpl))
		return err("--template %s: not a template name", tpl);
	if ((rc = store_path_rule_add(st, a->pos[0], vendor, tpl,
	    opt(a, "--plain") != NULL)) !=
	    STORE_OK)
		return store_fail(st, rc, a->pos[0]);
	if (!a->json)
		outf("path %s added\n", a->pos[0]);
	return 0;
}

int
cmd_path_rm(struct store *st, struct args *a)
{
	enum store_rc	 rc;

	if ((rc = store_path_rule_remove(st, a->pos[0])) != STORE_OK)
		return store_fail(st, rc, a->pos[0]);
	if (!a->json)
		outf("path %s removed\n", a->pos[0]);
	return 0;
}

int
cmd_path_list(struct store *st, struct args *a)
{
	static const char *const cols[] = { "pattern", "vendor", "template",
	    NULL };

	return list_rows(st, a, store_path_rule_list, "path list",
	    cols);
}
