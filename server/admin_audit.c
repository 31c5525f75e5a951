/*
 * admin_audit: the audit trail and a device's history.  Part of the admin
 * library (admin.h): commands that validate, run in the caller's
 * transaction and write their result to the call's output, for the CLI and
 * the REST API alike.
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

int
cmd_audit(struct store *st, struct args *a)
{
	static const char *const cols[] = { "ts", "who", "entity", "op",
	    "after", NULL };
	static const char *const times[] = { "ts", NULL };
	const char	*v;
	long long	 lim = 50, since = 0;
	json_t		*rows;
	enum store_rc	 rc;

	if ((v = opt(a, "--limit")) && util_strtonum(v, 1, 100000, &lim))
		return err("--limit %s: expected 1..100000", v);
	if ((v = opt(a, "--since")) && util_strtonum(v, 0, 1LL << 40, &since))
		return err("--since %s: expected unix seconds", v);
	if ((rc = store_audit_list(st, (time_t)since, (int)lim, &rows)) !=
	    STORE_OK)
		return store_fail(st, rc, "audit");
	show_rows(a, rows, cols, times);
	json_decref(rows);
	return 0;
}

int
cmd_device_history(struct store *st, struct args *a)
{
	static const char *const cols[] = { "ts", "kind", "etag", "secrets",
	    "who", "op", NULL };
	static const char *const times[] = { "ts", NULL };
	struct store_device	 d;
	const char		*v;
	long long		 lim = 50;
	json_t			*rows;
	enum store_rc		 rc;

	if (find_device(st, a->pos[0], &d) != 0)
		return -1;
	if ((v = opt(a, "--limit")) && util_strtonum(v, 1, 100000, &lim))
		return err("--limit %s: expected 1..100000", v);
	if ((rc = store_device_history(st, d.id, (int)lim, &rows)) !=
	    STORE_OK)
		return store_fail(st, rc, "history");
	show_rows(a, rows, cols, times);
	json_decref(rows);
	return 0;
}
