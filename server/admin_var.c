/*
 * admin_var: variables on their layers: global, profile, vendor, model,
 * user, device.  Part of the admin library (admin.h): commands that
 * validate, run in the caller's transaction and write their result to the
 * call's output, for the CLI and the REST API alike.
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
 * var LAYER [SCOPE] NAME ...: global has no scope; device scopes are
 * given as a DEV and stored as the sfua-id.
 */
static int
var_scope(struct store *st, struct args *a, int *next, char *scope,
    size_t len)
{
	const char		*layer = a->pos[0];
	struct store_device	 d;
	const char		*sl;

	if (strcmp(layer, "global") == 0) {
		scope[0] = '\0';
		*next = 1;
		return 0;
	}
	if (strcmp(layer, "vendor") && strcmp(layer, "model") &&
	    strcmp(layer, "profile") && strcmp(layer, "user") &&
	    strcmp(layer, "device"))
		return err("%s: layer must be global, vendor, model, profile, "
		    "user or device", layer);
	if (a->npos < 2)
		return err("var: the %s layer needs a scope", layer);
	*next = 2;
	if (strcmp(layer, "device") == 0) {
		if (find_device(st, a->pos[1], &d) != 0)
			return -1;
		snprintf(scope, len, "%s", d.sfua_id);
	} else if (strcmp(layer, "vendor") == 0 &&
	    !request_valid_domain(a->pos[1]))
		return err("%s: a vendor scope is a DNS domain", a->pos[1]);
	else if (strcmp(layer, "model") == 0 && ((sl = strchr(a->pos[1],
	    '/')) == NULL || !request_valid_token(sl + 1)))
		return err("%s: a model scope is VENDOR/MODEL", a->pos[1]);
	else
		snprintf(scope, len, "%s", a->pos[1]);
	return 0;
}


/*
 * --secret: the JSON text sealed (seal.h, purpose "var") and stored as a
 * JSON string, so the vars table's json_valid() check holds; templates
 * see the value only in full (authenticated) answers.  A new malloc'd
 * JSON text, or NULL after saying why.
 */
static char *
var_seal(const char *js)
{
	unsigned char	 key[SEAL_KEY_LEN];
	char		*sealed = NULL, *out = NULL;
	json_t		*v;
	int		 have = 0;

	if (strlen(js) > SEAL_VALUE_MAX) {
		err("a secret value is at most %d bytes of JSON",
		    SEAL_VALUE_MAX);
		return NULL;
	}
	if (load_seal_key(key, &have) != 0)
		return NULL;
	if (!have) {
		err("--secret needs the seal key beside the store (sipcfg "
		    "init makes one)");
		return NULL;
	}
	if ((sealed = seal_seal(key, "var", js, strlen(js))) == NULL ||
	    (v = json_string(sealed)) == NULL)
		err("cannot seal the value");
	else {
		out = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
		json_decref(v);
		if (out == NULL)
			err("out of memory");
	}
	free(sealed);
	util_wipe(key, sizeof(key));
	return out;
}

int
cmd_var_set(struct store *st, struct args *a)
{
	char		 scope[REQUEST_ID_MAX], *js, *sj;
	json_t		*v;
	int		 i, secret = opt(a, "--secret") != NULL;
	enum store_rc	 rc;

	if (var_scope(st, a, &i, scope, sizeof(scope)) != 0)
		return -1;
	if (a->npos != i + 2)
		return err("usage: var set LAYER [SCOPE] NAME VALUE");
	if (bulk_bad_varname(a->pos[i]) != NULL)
		return err("%s: %s", a->pos[i], bulk_bad_varname(a->pos[i]));
	/* VALUE is JSON when it parses as JSON, a string otherwise. */
	if (opt(a, "--string") || (v = json_loads(a->pos[i + 1],
	    JSON_DECODE_ANY, NULL)) == NULL)
		v = json_string(a->pos[i + 1]);
	if (v == NULL)
		return err("%s: not valid UTF-8", secret ? "the value" :
		    a->pos[i + 1]);
	js = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	json_decref(v);
	if (js == NULL)
		return err("out of memory");
	if (secret) {
		sj = var_seal(js);
		util_wipe(js, strlen(js));
		free(js);
		if ((js = sj) == NULL)
			return -1;
	}
	rc = store_var_set(st, a->pos[0], scope, a->pos[i], js, secret);
	free(js);
	if (rc != STORE_OK)
		return store_fail(st, rc, a->pos[i]);
	if (!a->json)
		outf("%s%s%s.%s set%s\n", a->pos[0], *scope ? ":" : "", scope,
		    a->pos[i], secret ? " (secret)" : "");
	return 0;
}

int
cmd_var_unset(struct store *st, struct args *a)
{
	char		 scope[REQUEST_ID_MAX];
	int		 i;
	enum store_rc	 rc;

	if (var_scope(st, a, &i, scope, sizeof(scope)) != 0)
		return -1;
	if (a->npos != i + 1)
		return err("usage: var unset LAYER [SCOPE] NAME");
	if ((rc = store_var_unset(st, a->pos[0], scope, a->pos[i])) !=
	    STORE_OK)
		return store_fail(st, rc, a->pos[i]);
	if (!a->json)
		outf("%s%s%s.%s unset\n", a->pos[0], *scope ? ":" : "", scope,
		    a->pos[i]);
	return 0;
}

int
cmd_var_show(struct store *st, struct args *a)
{
	static const char *const cols[] = { "layer", "scope", "name", "value",
	    NULL };
	char		 scope[REQUEST_ID_MAX];
	json_t		*rows;
	const char	*v;
	long long	 limit = -1, offset = 0;
	int		 i;
	enum store_rc	 rc;

	if ((v = opt(a, "--limit")) != NULL &&
	    util_strtonum(v, 0, LIST_MAX, &limit) != 0)
		return err("--limit %s: expected a number of variables, 0 to "
		    "%lld", v, LIST_MAX);
	if ((v = opt(a, "--offset")) != NULL &&
	    util_strtonum(v, 0, LIST_MAX, &offset) != 0)
		return err("--offset %s: expected a number of variables to "
		    "skip, 0 to %lld", v, LIST_MAX);
	if (a->npos > 0 && var_scope(st, a, &i, scope, sizeof(scope)) != 0)
		return -1;
	rc = store_var_list(st, a->npos > 0 ? a->pos[0] : NULL,
	    a->npos > 1 || (a->npos == 1 && strcmp(a->pos[0], "global") == 0) ?
	    scope : NULL, limit, offset, &rows);
	if (rc != STORE_OK)
		return store_fail(st, rc, "var show");
	show_rows(a, rows, cols, NULL);
	json_decref(rows);
	return 0;
}
