/*
 * explain: why a device is served what it is (issue 14 §5); explain.h says
 * what the object holds.  Everything is read with store.h's own calls
 * and rendered by resource.c, as a fetch would be: explain can never
 * disagree with what sipcfgd serves.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "explain.h"
#include "request.h"
#include "resource.h"
#include "store.h"
#include "util.h"

static const char *
cert_policy(enum client_cert_policy p)
{
	switch (p) {
	case CLIENT_CERT_OPTIONAL:
		return "optional";
	case CLIENT_CERT_REQUIRED:
		return "required";
	case CLIENT_CERT_IGNORE:
		return "ignore";
	default:
		return "inherit";
	}
}

/* The templates that match the device, most specific first. */
static json_t *
templates(struct store *st, const char *vendor, const char *model,
    const char *rev, char *err, size_t errlen)
{
	static const char *const k[] = { "vendor", "model", "revision" };
	const char	*want[3] = { vendor, model, rev }, *v;
	json_t		*all, *t, *out, *m;
	size_t		 i, j;
	int		 w, ok;

	if (store_template_list(st, &all) != STORE_OK) {
		snprintf(err, errlen, "templates: %s", store_errmsg(st));
		return NULL;
	}
	if ((out = json_array()) == NULL)
		goto fail;
	/* Weights 4, 2, 1: highest first, one pass per weight. */
	for (w = 7; w >= 0; w--)
		json_array_foreach(all, i, t) {
			int tw = 0;

			ok = 1;
			for (j = 0; j < 3; j++) {
				v = json_string_value(json_object_get(t, k[j]));
				if (v == NULL)
					continue;
				if (strcmp(v, want[j]) != 0)
					ok = 0;
				tw |= 4 >> j;
			}
			if (!ok || tw != w)
				continue;
			m = json_pack("{s:O, s:O, s:O, s:O}", "name",
			    json_object_get(t, "name"), "vendor",
			    json_object_get(t, "vendor"), "model",
			    json_object_get(t, "model"), "revision",
			    json_object_get(t, "revision"));
			if (m == NULL || json_array_append_new(out, m) != 0)
				goto fail;
		}
	json_decref(all);
	return out;
fail:
	json_decref(all);
	json_decref(out);
	snprintf(err, errlen, "out of memory");
	return NULL;
}

/* The layers a device's variables come from, in merge order. */
static int
vars(struct store *st, const struct store_device *d, int full, json_t *out,
    char *err, size_t errlen)
{
	struct { const char *layer; char scope[2 * STORE_NAME_MAX + 2]; } l[6];
	json_t		*rows, *row, *e, *val, *old;
	const char	*name;
	size_t		 nl = 0, i, j;

	l[nl].layer = "global";
	l[nl++].scope[0] = '\0';
	if (d->vendor[0]) {
		l[nl].layer = "vendor";
		snprintf(l[nl++].scope, sizeof(l[0].scope), "%s", d->vendor);
		if (d->model[0]) {
			l[nl].layer = "model";
			snprintf(l[nl++].scope, sizeof(l[0].scope), "%s/%s",
			    d->vendor, d->model);
		}
	}
	/* A secret-free answer (pending) has the shared layers only. */
	if (full) {
		if (d->profile[0]) {
			l[nl].layer = "profile";
			snprintf(l[nl++].scope, sizeof(l[0].scope), "%s",
			    d->profile);
		}
		if (d->user[0]) {
			l[nl].layer = "user";
			snprintf(l[nl++].scope, sizeof(l[0].scope), "%s",
			    d->user);
		}
		l[nl].layer = "device";
		snprintf(l[nl++].scope, sizeof(l[0].scope), "%s", d->sfua_id);
	}
	for (i = 0; i < nl; i++) {
		if (store_var_list(st, l[i].layer, l[i].scope, -1, 0, &rows) !=
		    STORE_OK) {
			snprintf(err, errlen, "variables: %s",
			    store_errmsg(st));
			return -1;
		}
		json_array_foreach(rows, j, row) {
			name = json_string_value(json_object_get(row, "name"));
			val = json_deep_copy(json_object_get(row, "value"));
			if (name == NULL || val == NULL) {
				json_decref(val);
				continue;
			}
			e = json_object_get(out, name);
			if (e == NULL) {
				e = json_pack("{s:o, s:s, s:s, s:[]}", "value",
				    val, "layer", l[i].layer, "scope",
				    l[i].scope, "under");
				if (e == NULL || json_object_set_new(out, name,
				    e) != 0)
					goto oom;
				continue;
			}
			/* Objects merge key by key; anything else replaces. */
			old = json_object_get(e, "value");
			if (json_array_append_new(json_object_get(e, "under"),
			    json_pack("{s:O, s:O, s:b}", "layer",
			    json_object_get(e, "layer"), "scope",
			    json_object_get(e, "scope"), "merged",
			    json_is_object(old) && json_is_object(val))) != 0)
				goto oom;
			if (json_is_object(old) && json_is_object(val)) {
				json_t *m = json_deep_copy(old);

				if (m == NULL || store_json_merge(m, val) != 0) {
					json_decref(m);
					json_decref(val);
					goto oom;
				}
				json_decref(val);
				val = m;
			}
			json_object_set_new(e, "value", val);
			json_object_set_new(e, "layer",
			    json_string(l[i].layer));
			json_object_set_new(e, "scope",
			    json_string(l[i].scope));
		}
		json_decref(rows);
	}
	return 0;
oom:
	json_decref(rows);
	snprintf(err, errlen, "out of memory");
	return -1;
}

/* The device's domain row from the domain list; NULL when not found. */
static json_t *
domain_of(struct store *st, int64_t id)
{
	json_t	*all, *d, *found = NULL;
	size_t	 i;

	if (store_domain_list(st, &all) != STORE_OK)
		return NULL;
	json_array_foreach(all, i, d)
		if (json_integer_value(json_object_get(d, "id")) == id) {
			found = json_incref(d);
			break;
		}
	json_decref(all);
	return found;
}

int
explain_device(struct store *st, const struct store_device *d,
    const struct explain_opts *o, json_t **out, char *err, size_t errlen)
{
	struct resource_opts	 ro;
	struct resource		*res = NULL;
	struct cfg_request	 q;
	struct store_user	 u;
	const struct rendered	*r;
	json_t			*x = NULL, *show = NULL, *dom = NULL, *v;
	const char		*s, *realm;
	char			 reason[256];
	enum notify_mode	 mode;
	int			 full = d->state != DEVICE_PENDING, ret = -1;

	*out = NULL;
	memset(&u, 0, sizeof(u));
	if (store_device_show(st, d->id, &show) != STORE_OK) {
		snprintf(err, errlen, "%s: %s", d->sfua_id, store_errmsg(st));
		goto done;
	}
	if ((x = json_pack("{s:s, s:s, s:{}, s:{}, s:{}, s:{}, s:{}}",
	    "device", d->sfua_id, "state", d->state == DEVICE_PENDING ?
	    "pending" : d->state == DEVICE_DISABLED ? "disabled" : "active",
	    "template", "vars", "auth", "notify", "answer")) == NULL)
		goto oom;

	/* The template, by the facts of the device's next fetch. */
	v = json_object_get(x, "template");
	json_object_set_new(v, "vendor", json_string(d->vendor));
	json_object_set_new(v, "model", json_string(d->model));
	json_object_set_new(v, "revision", json_string(d->revision));
	{
		json_t *m = templates(st, d->vendor, d->model, d->revision,
		    err, errlen);

		if (m == NULL)
			goto done;
		json_object_set_new(v, "matching", m);
	}
	if (vars(st, d, full, json_object_get(x, "vars"), err, errlen) != 0)
		goto done;

	/* Authentication: the domain's realm and policy, the user's kind. */
	v = json_object_get(x, "auth");
	dom = domain_of(st, d->domain_id);
	json_object_set_new(v, "domain", json_string(dom ?
	    json_string_value(json_object_get(dom, "name")) : "?"));
	if (d->user[0] && store_user_by_name(st, d->user, &u) == STORE_OK) {
		json_object_set_new(v, "user", json_string(u.name));
		json_object_set_new(v, "realm", json_string(u.realm));
		json_object_set_new(v, "password", json_string(u.otp ?
		    "one-time (RFC 6011 §5)" : "long-term"));
		if (u.otp && u.otp_not_before > 0)
			json_object_set_new(v, "otp_not_before",
			    json_integer((json_int_t)u.otp_not_before));
		if (u.otp && u.otp_not_after > 0)
			json_object_set_new(v, "otp_not_after",
			    json_integer((json_int_t)u.otp_not_after));
		json_object_set_new(v, "methods", json_string("Digest (MD5, "
		    "SHA-256), Basic"));
	} else
		json_object_set_new(v, "user", json_null());
	if (d->client_cert != CLIENT_CERT_INHERIT) {
		json_object_set_new(v, "client_cert",
		    json_string(cert_policy(d->client_cert)));
		json_object_set_new(v, "client_cert_from",
		    json_string("device"));
	} else {
		s = dom ? json_string_value(json_object_get(dom,
		    "client_cert")) : NULL;
		json_object_set_new(v, "client_cert", json_string(s ? s :
		    "optional"));
		json_object_set_new(v, "client_cert_from",
		    json_string("domain"));
	}
	json_object_set_new(v, "pinned", json_boolean(d->has_pin));

	/* Subscription or polling: the device's, its profile's, else ours. */
	v = json_object_get(x, "notify");
	mode = d->notify_mode == NOTIFY_INHERIT ? o->notify_default :
	    d->notify_mode;
	json_object_set_new(v, "mode", json_string(mode == NOTIFY_SUBSCRIBE ?
	    "subscribe" : "poll"));
	json_object_set_new(v, "from", json_string(
	    json_is_string(json_object_get(show, "notify_mode")) ? "device" :
	    d->notify_mode != NOTIFY_INHERIT ? "profile" : "default"));
	json_object_set_new(v, "sip_line", json_boolean(json_array_size(
	    json_object_get(show, "lines")) > 0));

	/* What a fetch gets now. */
	memset(&ro, 0, sizeof(ro));
	ro.max_age = o->max_age;
	ro.pending_max_age = 300;
	ro.max_output = 1 << 20;
	ro.max_depth = 32;
	ro.cache_bytes = 1;
	ro.seal_key = o->seal_key;
	if ((res = resource_new(st, &ro)) == NULL)
		goto oom;
	if (resource_begin(res) != 0) {
		snprintf(err, errlen, "store: %s", store_errmsg(st));
		goto done;
	}
	realm = resource_realm(res);
	if (json_is_null(json_object_get(json_object_get(x, "auth"), "user")))
		json_object_set_new(json_object_get(x, "auth"), "realm",
		    json_string(realm ? realm : ""));
	memset(&q, 0, sizeof(q));
	snprintf(q.sfua_id, sizeof(q.sfua_id), "%s", d->sfua_id);
	snprintf(q.mac, sizeof(q.mac), "%s", d->mac);
	snprintf(q.revision, sizeof(q.revision), "%s", d->revision);
	q.domain_id = d->domain_id;
	v = json_object_get(x, "answer");
	if (d->state == DEVICE_DISABLED)
		json_object_set_new(v, "status", json_string("403: the "
		    "device is disabled"));
	else if (resource_render(res, d, &q, full, &r, reason,
	    sizeof(reason)) != RES_OK)
		json_object_set_new(v, "error", json_string(reason));
	else {
		json_object_set_new(json_object_get(x, "template"), "chosen",
		    json_string(r->template_name));
		json_object_set_new(v, "etag", json_string(r->etag));
		json_object_set_new(v, "max_age", json_integer(r->max_age));
		json_object_set_new(v, "max_age_from", json_string(
		    d->state == DEVICE_PENDING ? "pending" : d->max_age >= 0 ?
		    "device" : d->profile_max_age >= 0 ? "profile" :
		    "default"));
		json_object_set_new(v, "last_modified",
		    json_integer((json_int_t)r->last_modified));
		json_object_set_new(v, "secret_free",
		    json_boolean(r->secret_free));
		json_object_set_new(v, "content_type",
		    json_string(r->content_type));
	}
	*out = x;
	x = NULL;
	ret = 0;
	goto done;
oom:
	snprintf(err, errlen, "out of memory");
done:
	if (res != NULL) {
		resource_release_store(res);
		resource_free(res);
	}
	util_wipe(&u, sizeof(u));
	json_decref(x);
	json_decref(show);
	json_decref(dom);
	return ret;
}
