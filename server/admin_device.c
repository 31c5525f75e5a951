/*
 * admin_device: devices: add, set, rm, list, show, key, unpin, duplicates.
 * Part of the admin library (admin.h): commands that validate, run in the
 * caller's transaction and write their result to the call's output, for
 * the CLI and the REST API alike.
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
 * The same device in two domains is allowed (two providers may both
 * know a phone) but is worth a word: it is usually a typo in --domain.
 */
static void
warn_duplicate(struct store *st, const char *id, const char *mac)
{
	json_t		*rows, *o;
	size_t		 i;

	if (store_device_duplicates_of(st, adm->domain ? adm->domain :
	    STORE_DEFAULT_DOMAIN, id, mac, &rows) != STORE_OK)
		return;
	json_array_foreach(rows, i, o) {
		const char *dom = json_string_value(json_object_get(o,
		    "domain"));

		fprintf(adm->errout, "sipcfg: warning: %s is also in domain %s "
		    "(see sipcfg device duplicates)\n", id, dom ? dom : "?");
	}
	json_decref(rows);
}

int
cmd_device_duplicates(struct store *st, struct args *a)
{
	static const char *const cols[] = { "domain", "sfua_id", "mac",
	    "label", NULL };

	return list_rows(st, a, store_device_duplicates, "device duplicates",
	    cols);
}

int
cmd_device_unpin(struct store *st, struct args *a)
{
	struct store_device	 d;
	enum store_rc		 rc;

	if (find_device(st, a->pos[0], &d) != 0)
		return -1;
	if ((rc = store_device_unpin(st, d.id)) == STORE_NOTFOUND)
		return err("%s: no client certificate is pinned", a->pos[0]);
	if (rc != STORE_OK)
		return store_fail(st, rc, a->pos[0]);
	if (!a->json)
		outf("device %s unpinned: the next certificate it presents "
		    "with valid credentials is pinned\n", d.sfua_id);
	return 0;
}

/* ------------------------------------------------------------ domains */

int
cmd_device_add(struct store *st, struct args *a)
{
	json_t		*f;
	char		 id[REQUEST_ID_MAX], mac[13];
	enum store_rc	 rc;
	int		 r = -1;

	if (bulk_device_id(a->pos[0], id, sizeof(id), mac) != 0)
		return err("%s: not an sfua-id URN or a MAC address",
		    a->pos[0]);
	f = json_pack("{s:s, s:I}", "sfua_id", id, "domain_id", (json_int_t)
	    (adm->domain ? adm->domain : STORE_DEFAULT_DOMAIN));
	if (mac[0])
		json_object_set_new(f, "mac", json_string(mac));
	if (device_fields(st, a, f, 0) != 0)
		goto done;
	if ((rc = store_device_add(st, f)) != STORE_OK) {
		store_fail(st, rc, id);
		goto done;
	}
	warn_duplicate(st, id, mac);
	if (a->json) {
		json_t *o = json_pack("{s:s, s:s?}", "sfua_id", id, "mac",
		    mac[0] ? mac : NULL);
		print_json(o);
		json_decref(o);
	} else
		outf("device %s added%s%s\n", id, mac[0] ? ", mac " : "",
		    mac);
	r = 0;
done:
	json_decref(f);
	return r;
}

int
cmd_device_set(struct store *st, struct args *a)
{
	struct store_device	 d;
	json_t			*f = json_object();
	enum store_rc		 rc;
	int			 r = -1;

	if (find_device(st, a->pos[0], &d) != 0 ||
	    device_fields(st, a, f, 1) != 0)
		goto done;
	if (json_object_size(f) == 0) {
		err("device set: nothing to change (see sipcfg help)");
		goto done;
	}
	if ((rc = store_device_update(st, d.id, f)) != STORE_OK) {
		store_fail(st, rc, a->pos[0]);
		goto done;
	}
	if (!a->json)
		outf("device %s updated\n", d.sfua_id);
	else
		print_json(f);
	r = 0;
done:
	json_decref(f);
	return r;
}

/*
 * Issue 5: a new 32-byte file key for the device, kept sealed; printed
 * (in hex) this once, for pre-provisioning a phone that cannot fetch its
 * bootstrap file first.  A new key replaces the old (and the ETag of
 * every encrypted answer changes with it).
 */
int
cmd_device_key(struct store *st, struct args *a)
{
	struct store_device	 d;
	unsigned char		 sk[SEAL_KEY_LEN], k[ENC_KEY_LEN];
	char			 hex[2 * ENC_KEY_LEN + 1], *sealed = NULL;
	enum store_rc		 rc;
	int			 have, r = -1;

	if (find_device(st, a->pos[0], &d) != 0)
		return -1;
	if (load_seal_key(sk, &have) != 0)
		return -1;
	if (!have)
		return err("no seal key beside the store (sipcfg init makes "
		    "one): a device key is only ever kept sealed");
	if (util_random(k, sizeof(k)) != 0) {
		err("no randomness");
		goto done;
	}
	util_hex(k, sizeof(k), hex);
	if ((sealed = seal_seal(sk, "device-key", hex, strlen(hex))) == NULL) {
		err("cannot seal the key");
		goto done;
	}
	if ((rc = store_device_set_key(st, d.id, sealed)) != STORE_OK) {
		store_fail(st, rc, a->pos[0]);
		goto done;
	}
	if (a->json) {
		json_t *o = json_pack("{s:s, s:s}", "device", d.sfua_id, "key",
		    hex);

		print_json(o);
		json_decref(o);
	}
	else
		outf("%s\n", hex);
	r = 0;
done:
	util_wipe(sk, sizeof(sk));
	util_wipe(k, sizeof(k));
	util_wipe(hex, sizeof(hex));
	free(sealed);
	return r;
}

int
cmd_device_rm(struct store *st, struct args *a)
{
	struct store_device	 d;
	enum store_rc		 rc;

	if (find_device(st, a->pos[0], &d) != 0)
		return -1;
	if ((rc = store_device_remove(st, d.id)) != STORE_OK)
		return store_fail(st, rc, a->pos[0]);
	if (!a->json)
		outf("device %s removed\n", d.sfua_id);
	return 0;
}

/*
 * `device list` streams (issue 11): rows are printed as the store steps
 * through them, never all held (struct liststream).
 */
struct devlist {
	struct liststream	 ls;
	int			 elsewhere;	/* a device outside "default" */
	/* --status: each row's drift and live subscriptions. */
	struct store		*st;
	struct drift		*dr;
	time_t			 now;
};

/* The table's columns, chosen on its first rows. */
static const char *const *
devlist_cols(void *arg, const json_t *window)
{
	static const char *const cols[] = { "sfua_id", "mac", "state",
	    "vendor", "model", "user", "profile", "lines", "last_fetch", NULL };
	/* With devices outside the default domain, say which is where. */
	static const char *const dcols[] = { "domain", "sfua_id", "mac",
	    "state", "vendor", "model", "user", "profile", "lines",
	    "last_fetch", NULL };
	static const char *const scols[] = { "sfua_id", "mac", "state",
	    "vendor", "model", "user", "profile", "lines", "last_fetch",
	    "drift", "subs", NULL };
	static const char *const sdcols[] = { "domain", "sfua_id", "mac",
	    "state", "vendor", "model", "user", "profile", "lines",
	    "last_fetch", "drift", "subs", NULL };
	struct devlist	*l = arg;
	int		 d = l->elsewhere || outside_default(window);

	return l->dr ? (d ? sdcols : scols) : d ? dcols : cols;
}

/* drift_device()'s row for devlist_status(): {why, since}. */
static int
devlist_drift(void *arg, const struct drift_row *r)
{
	json_t	**o = arg;
	char	  w[64];

	drift_why(r->why, w, sizeof(w));
	*o = json_pack("{s:s, s:o}", "why", w, "since", r->since > 0 ?
	    json_integer((json_int_t)r->since) : json_null());
	return *o == NULL ? -1 : 0;
}

/*
 * --status: the row with "drift" ({why, since} as `drift` gives them;
 * null when the device is current or not active) and "subscriptions"
 * (its live ones, as `subs DEV` gives them); for a table, "drift" the
 * reasons and "subs" their number.  A page of rows costs a render and
 * an index seek each, whatever the size of the store.
 */
static json_t *
devlist_status(struct devlist *l, const json_t *row)
{
	struct store_subs_filter f;
	struct store_device	 d;
	json_t			*o, *why = NULL, *subs = NULL;
	char			 e[512];
	int64_t			 id;

	id = (int64_t)json_integer_value(json_object_get(row, "id"));
	if ((o = json_deep_copy(row)) == NULL)
		return NULL;
	if (store_device_by_id(l->st, id, &d) == STORE_OK &&
	    drift_device(l->dr, &d, devlist_drift, &why, e, sizeof(e)) < 0) {
		err("device list: drift of %s: %s", d.sfua_id, e);
		goto fail;
	}
	memset(&f, 0, sizeof(f));
	f.device_id = id;
	f.now = l->now;
	f.limit = -1;
	if (store_subs_list(l->st, &f, &subs) != STORE_OK) {
		err("device list: subscriptions: %s", store_errmsg(l->st));
		goto fail;
	}
	if (l->ls.a->json) {
		json_object_set_new(o, "drift", why ? why : json_null());
		json_object_set_new(o, "subscriptions", subs);
	} else {
		json_object_set_new(o, "drift", why ? json_incref(
		    json_object_get(why, "why")) : json_null());
		json_object_set_new(o, "subs", json_integer(
		    (json_int_t)json_array_size(subs)));
		json_decref(why);
		json_decref(subs);
	}
	return o;
fail:
	json_decref(why);
	json_decref(o);
	return NULL;
}

/* store_device_each()'s callback: a row, with its status if asked. */
static int
devlist_row(const json_t *row0, void *arg)
{
	struct devlist	*l = arg;
	json_t		*st = NULL;
	int		 ret;

	if (l->dr != NULL && (st = devlist_status(l, row0)) == NULL)
		return -1;
	ret = liststream_add(&l->ls, st ? st : row0);
	json_decref(st);
	return ret;
}

int
cmd_device_list(struct store *st, struct args *a)
{
	struct store_device_filter	 f;
	struct store_user		 u;
	struct devlist			 l;
	const char			*v;
	long long			 dur;
	enum store_rc			 rc;

	memset(&f, 0, sizeof(f));
	f.limit = -1;
	if ((v = opt(a, "--limit")) != NULL &&
	    util_strtonum(v, 0, LIST_MAX, &f.limit) != 0)
		return err("--limit %s: expected a number of devices, 0 to "
		    "%lld", v, LIST_MAX);
	if ((v = opt(a, "--after")) != NULL) {
		long long	 id;

		if (util_strtonum(v, 1, LIST_MAX, &id) != 0)
			return err("--after %s: expected a device id (the "
			    "\"id\" of the last device of the page before)",
			    v);
		f.after_id = (int64_t)id;
	}
	if ((v = opt(a, "--offset")) != NULL &&
	    util_strtonum(v, 0, LIST_MAX, &f.offset) != 0)
		return err("--offset %s: expected a number of devices to "
		    "skip, 0 to %lld", v, LIST_MAX);
	if ((f.state = opt(a, "--state")) && !valid_state(f.state))
		return err("--state %s: expected active, pending or disabled",
		    f.state);
	if (opt_duration(a, "--not-seen-since", 1, 0, &dur) != 0)
		return -1;
	if (dur > 0)
		f.not_seen_since = time(NULL) - (time_t)dur;
	f.vendor = opt(a, "--vendor");
	f.model = opt(a, "--model");
	if ((f.user = opt(a, "--user")) != NULL &&
	    (rc = store_user_by_name(st, f.user, &u)) != STORE_OK) {
		util_wipe(&u, sizeof(u));
		return rc == STORE_NOTFOUND ? err("--user %s: no such user",
		    f.user) : store_fail(st, rc, f.user);
	}
	util_wipe(&u, sizeof(u));
	memset(&l, 0, sizeof(l));
	liststream_init(&l.ls, a, devlist_cols, &l);
	if (!a->json && (rc = store_device_elsewhere(st, &l.elsewhere)) !=
	    STORE_OK)
		return err("device list: %s", store_errmsg(st));
	if (opt(a, "--status") != NULL) {
		struct drift_opts	 o;
		unsigned char		 key[SEAL_KEY_LEN];
		char			 e[512];
		int			 have = 0;

		/* As `drift` with its defaults (sipcfgd's). */
		memset(&o, 0, sizeof(o));
		o.now = l.now = time(NULL);
		o.factor = 3;
		if (daemon_defaults(a, &o.max_age, &o.notify_default) != 0 ||
		    load_seal_key(key, &have) != 0)
			return -1;
		o.seal_key = have ? key : NULL;
		l.st = st;
		l.dr = drift_open(st, &o, e, sizeof(e));
		util_wipe(key, sizeof(key));
		if (l.dr == NULL)
			return err("device list: %s", e);
	}
	rc = store_device_each(st, &f, devlist_row, &l);
	drift_close(l.dr);
	liststream_end(&l.ls);
	if (fflush(adm->out) != 0 || ferror(adm->out))
		return err("device list: cannot write: %s", strerror(errno));
	if (rc != STORE_OK)
		return store_fail(st, rc, "device list");
	return 0;
}

int
cmd_device_show(struct store *st, struct args *a)
{
	struct store_device	 d;
	json_t			*o;
	enum store_rc		 rc;

	if (find_device(st, a->pos[0], &d) != 0)
		return -1;
	if ((rc = store_device_show(st, d.id, &o)) != STORE_OK)
		return store_fail(st, rc, a->pos[0]);
	if (a->json)
		print_json(o);
	else {
		print_fields(o, "lines");
		outf("lines:\n");
		{
			static const char *const cols[] = { "position", "aor",
			    "username", "realm", "outbound_proxy",
			    "display_name", NULL };
			print_table(json_object_get(o, "lines"), cols);
		}
	}
	json_decref(o);
	return 0;
}
