/*
 * admin_inspect: explain and drift: why a device gets what it gets, and
 * which devices are behind.  Part of the admin library (admin.h): commands
 * that validate, run in the caller's transaction and write their result to
 * the call's output, for the CLI and the REST API alike.
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

/* explain (issue 14 §5): why DEV is served what it is (explain.h). */
int
cmd_explain(struct store *st, struct args *a)
{
	struct store_device	 d;
	struct explain_opts	 o;
	unsigned char		 rkey[SEAL_KEY_LEN];
	json_t			*x = NULL, *t, *v, *rows = NULL, *e, *u;
	const char		*k, *vv;
	char			 e1[512], c1[256], c2[256], c3[256];
	size_t			 i;
	int			 have = 0, rc = -1;

	if (find_device(st, a->pos[0], &d) != 0)
		return -1;
	memset(&o, 0, sizeof(o));
	if (daemon_defaults(a, &o.max_age, &o.notify_default) != 0)
		return -1;
	if (load_seal_key(rkey, &have) != 0)
		return -1;
	o.seal_key = have ? rkey : NULL;
	if (explain_device(st, &d, &o, &x, e1, sizeof(e1)) != 0) {
		err("explain %s: %s", d.sfua_id, e1);
		goto done;
	}
	if (a->json) {
		print_json(x);
		rc = 0;
		goto done;
	}
	outf("%-10s %s (%s)\n", "device", d.sfua_id,
	    json_string_value(json_object_get(x, "state")));
	t = json_object_get(x, "template");
	cell_of(json_object_get(t, "vendor"), c1, sizeof(c1));
	cell_of(json_object_get(t, "model"), c2, sizeof(c2));
	cell_of(json_object_get(t, "revision"), c3, sizeof(c3));
	outf("%-10s %s, the most specific of the templates matching vendor "
	    "%s, model %s, revision %s:\n", "template",
	    (vv = json_string_value(json_object_get(t, "chosen"))) ? vv :
	    "(none)", *c1 ? c1 : "-", *c2 ? c2 : "-", *c3 ? c3 : "-");
	json_array_foreach(json_object_get(t, "matching"), i, v) {
		cell_of(json_object_get(v, "vendor"), c1, sizeof(c1));
		cell_of(json_object_get(v, "model"), c2, sizeof(c2));
		cell_of(json_object_get(v, "revision"), c3, sizeof(c3));
		outf("%-10s   %s (vendor %s, model %s, revision %s)\n", "",
		    json_string_value(json_object_get(v, "name")),
		    strcmp(c1, "-") ? c1 : "any", strcmp(c2, "-") ? c2 : "any",
		    strcmp(c3, "-") ? c3 : "any");
	}
	v = json_object_get(x, "answer");
	if ((vv = json_string_value(json_object_get(v, "error"))) != NULL ||
	    (vv = json_string_value(json_object_get(v, "status"))) != NULL)
		outf("%-10s %s\n", "answer", vv);
	else {
		json_t *lm = json_object_get(v, "last_modified");

		c1[0] = '\0';
		(void)time_cell("updated", lm, c1, sizeof(c1));
		outf("%-10s ETag %s, max-age %lld (%s), Last-Modified %s, "
		    "%s\n", "answer",
		    json_string_value(json_object_get(v, "etag")),
		    (long long)json_integer_value(json_object_get(v,
		    "max_age")), json_string_value(json_object_get(v,
		    "max_age_from")), c1, json_is_true(json_object_get(v,
		    "secret_free")) ? "secret-free" : "full");
	}
	v = json_object_get(x, "auth");
	if ((vv = json_string_value(json_object_get(v, "user"))) != NULL)
		outf("%-10s domain %s, realm %s, user %s with a %s password "
		    "(%s)\n", "auth",
		    json_string_value(json_object_get(v, "domain")),
		    json_string_value(json_object_get(v, "realm")), vv,
		    json_string_value(json_object_get(v, "password")),
		    json_string_value(json_object_get(v, "methods")));
	else
		outf("%-10s domain %s, realm %s, no user assigned\n",
		    "auth", json_string_value(json_object_get(v, "domain")),
		    json_string_value(json_object_get(v, "realm")));
	outf("%-10s client certificate %s (from the %s)%s\n", "",
	    json_string_value(json_object_get(v, "client_cert")),
	    json_string_value(json_object_get(v, "client_cert_from")),
	    json_is_true(json_object_get(v, "pinned")) ? ", pinned" : "");
	v = json_object_get(x, "notify");
	outf("%-10s %s (from the %s)%s\n", "notify",
	    json_string_value(json_object_get(v, "mode")),
	    json_string_value(json_object_get(v, "from")),
	    strcmp(json_string_value(json_object_get(v, "mode")),
	    "subscribe") == 0 && !json_is_true(json_object_get(v,
	    "sip_line")) ? ", but no SIP line: no monitor Link" : "");
	outf("variables:\n");
	if ((rows = json_array()) == NULL)
		goto done;
	json_object_foreach(json_object_get(x, "vars"), k, v) {
		char under[512] = "";

		json_array_foreach(json_object_get(v, "under"), i, u) {
			cell_of(json_object_get(u, "scope"), c1, sizeof(c1));
			snprintf(under + strlen(under), sizeof(under) -
			    strlen(under), "%s%s%s%s%s", *under ? ", " : "",
			    json_string_value(json_object_get(u, "layer")),
			    strcmp(c1, "-") && *c1 ? " " : "",
			    strcmp(c1, "-") ? c1 : "",
			    json_is_true(json_object_get(u, "merged")) ?
			    " (merged)" : "");
		}
		e = json_pack("{s:s, s:O, s:O, s:O, s:s}", "name", k, "value",
		    json_object_get(v, "value"), "layer", json_object_get(v,
		    "layer"), "scope", json_object_get(v, "scope"), "over",
		    *under ? under : "-");
		if (e == NULL || json_array_append_new(rows, e) != 0)
			goto done;
	}
	{
		static const char *const cols[] = { "name", "value", "layer",
		    "scope", "over", NULL };

		print_table(rows, cols);
	}
	rc = 0;
done:
	json_decref(rows);
	json_decref(x);
	util_wipe(rkey, sizeof(rkey));
	return rc;
}

/*
 * drift (issue 14 §5): the rows drift_scan() gives, printed as they come
 * (struct liststream), never held whole: a fleet may drift whole.
 */
struct driftlist {
	struct liststream	 ls;
	long long		 limit, n;
};

static const char *const *
drift_cols(void *arg, const json_t *window)
{
	static const char *const cols[] = { "device", "why", "since",
	    "last_fetch", "etag", "fetched_etag", NULL };

	(void)arg;
	(void)window;
	return cols;
}

static int
drift_row(void *arg, const struct drift_row *r)
{
	struct driftlist	*l = arg;
	char			 w[64];
	json_t			*o;

	if (l->limit >= 0 && l->n >= l->limit)
		return 1;		/* enough: the scan ends */
	drift_why(r->why, w, sizeof(w));
	o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:o, s:i}", "id",
	    (json_int_t)r->d->id, "device", r->d->sfua_id, "why", w, "etag",
	    r->why & DRIFT_BROKEN ? "" : r->etag_now, "fetched_etag",
	    r->etag_fetched, "last_fetch", r->last_fetch > 0 ?
	    json_integer((json_int_t)r->last_fetch) : json_null(), "since",
	    r->since > 0 ? json_integer((json_int_t)r->since) : json_null(),
	    "max_age", r->max_age);
	if (o == NULL)
		return -1;
	if (r->why & DRIFT_BROKEN)
		json_object_set_new(o, "error", json_string(r->etag_now));
	l->n++;
	if (liststream_add(&l->ls, o) != 0) {
		json_decref(o);
		return -1;
	}
	json_decref(o);
	return l->limit >= 0 && l->n >= l->limit;
}

int
cmd_drift(struct store *st, struct args *a)
{
	struct drift_opts	 o;
	struct driftlist	 l;
	unsigned char		 rkey[SEAL_KEY_LEN];
	const char		*v;
	long long		 n;
	char			 e[512];
	int			 have = 0, rc = -1;

	memset(&o, 0, sizeof(o));
	memset(&l, 0, sizeof(l));
	o.now = time(NULL);
	o.factor = 3;
	l.limit = -1;
	if ((v = opt(a, "--factor")) != NULL) {
		if (util_strtonum(v, 1, 1000, &n) != 0)
			return err("--factor %s: expected 1 to 1000 (unseen "
			    "past that many max-ages)", v);
		o.factor = (int)n;
	}
	if (daemon_defaults(a, &o.max_age, &o.notify_default) != 0)
		return -1;
	if ((v = opt(a, "--limit")) != NULL &&
	    util_strtonum(v, 0, LIST_MAX, &l.limit) != 0)
		return err("--limit %s: expected a number of devices, 0 to "
		    "%lld", v, LIST_MAX);
	if ((v = opt(a, "--after")) != NULL) {
		if (util_strtonum(v, 1, LIST_MAX, &n) != 0)
			return err("--after %s: expected a device id (the "
			    "\"id\" of the last row of the page before)", v);
		o.after = (int64_t)n;
	}
	if (load_seal_key(rkey, &have) != 0)
		return -1;
	o.seal_key = have ? rkey : NULL;
	liststream_init(&l.ls, a, drift_cols, NULL);
	if (a->npos == 1) {
		/* One device: a row when it drifts. */
		struct store_device	 d;
		struct drift		*dr;

		if (find_device(st, a->pos[0], &d) != 0)
			goto done;
		if ((dr = drift_open(st, &o, e, sizeof(e))) == NULL ||
		    drift_device(dr, &d, drift_row, &l, e, sizeof(e)) < 0) {
			drift_close(dr);
			err("drift: %s", e);
			goto done;
		}
		drift_close(dr);
	} else {
		int64_t	 cut;

		/* The API's bound on one call (admin.h: scan_max). */
		o.max_scan = adm->scan_max;
		if (drift_scan(st, &o, drift_row, &l, &cut, e,
		    sizeof(e)) != 0) {
			err("drift: %s", e);
			goto done;
		}
		adm->next_after = cut;
	}
	liststream_end(&l.ls);
	rc = 0;
done:
	json_decref(l.ls.window);
	util_wipe(rkey, sizeof(rkey));
	return rc;
}
