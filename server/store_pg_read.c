/*
 * store_pg_read: what the daemon's request path asks the PostgreSQL
 * store (issue 13): a device by sfua-id, MAC, monitor token or id, a
 * user, a device's lines, the template for a device, the variables of a
 * layer, the meta values.  Each HTTP worker runs these on its own
 * connection; they are prepared statements, one round trip each.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "store.h"
#include "store_int.h"
#include "store_pg_int.h"

int64_t
store_pg_data_version(struct store *s)
{
	return store_pg_scalar(s, PQ_DATA_VERSION);
}

enum store_rc
store_pg_meta_get(struct store *s, const char *key, char *out, size_t outlen)
{
	PGresult	*r;
	enum store_rc	 rc;

	if ((r = store_pg_run(s, &rc, PQ_META_GET, "s", key)) == NULL)
		return rc;
	if (PQntuples(r) == 0)
		rc = STORE_NOTFOUND;
	else
		store_pg_copy(r, 0, 0, out, outlen);
	PQclear(r);
	return rc;
}

enum store_rc
store_pg_meta_set(struct store *s, const char *key, const char *value)
{
	return store_pg_exec(s, PQ_META_SET, "ss", key, value);
}

time_t
store_pg_last_delete(struct store *s)
{
	char	 v[32];

	if (store_pg_meta_get(s, "last_delete", v, sizeof(v)) != STORE_OK)
		return 0;
	return (time_t)strtoll(v, NULL, 10);
}

static void
device_cols(const PGresult *r, int i, struct store_device *d)
{
	char	 v[16];

	memset(d, 0, sizeof(*d));
	d->id = store_pg_int(r, i, 0);
	store_pg_copy(r, i, 1, d->sfua_id, sizeof(d->sfua_id));
	store_pg_copy(r, i, 2, d->mac, sizeof(d->mac));
	store_pg_copy(r, i, 3, d->vendor, sizeof(d->vendor));
	store_pg_copy(r, i, 4, d->model, sizeof(d->model));
	store_pg_copy(r, i, 5, d->revision, sizeof(d->revision));
	store_pg_copy(r, i, 6, d->label, sizeof(d->label));
	store_pg_copy(r, i, 7, v, sizeof(v));
	d->state = strcmp(v, "pending") == 0 ? DEVICE_PENDING :
	    strcmp(v, "disabled") == 0 ? DEVICE_DISABLED : DEVICE_ACTIVE;
	d->user_id = store_pg_int(r, i, 8);
	store_pg_copy(r, i, 9, d->user, sizeof(d->user));
	store_pg_copy(r, i, 10, d->profile, sizeof(d->profile));
	d->max_age = (int)store_pg_int(r, i, 11);
	d->profile_max_age = (int)store_pg_int(r, i, 12);
	d->updated = (time_t)store_pg_int(r, i, 13);
	d->profile_id = store_pg_int(r, i, 14);
	store_pg_copy(r, i, 15, d->monitor_token, sizeof(d->monitor_token));
	store_pg_copy(r, i, 16, v, sizeof(v));
	d->notify_mode = strcmp(v, "subscribe") == 0 ? NOTIFY_SUBSCRIBE :
	    strcmp(v, "poll") == 0 ? NOTIFY_POLL : NOTIFY_INHERIT;
	store_pg_copy(r, i, 17, d->enc_mode, sizeof(d->enc_mode));
	store_pg_copy(r, i, 18, d->enc_key_sealed, sizeof(d->enc_key_sealed));
	d->domain_id = store_pg_int(r, i, 19);
	store_pg_copy(r, i, 20, v, sizeof(v));
	d->client_cert = strcmp(v, "required") == 0 ? CLIENT_CERT_REQUIRED :
	    strcmp(v, "ignore") == 0 ? CLIENT_CERT_IGNORE :
	    strcmp(v, "optional") == 0 ? CLIENT_CERT_OPTIONAL :
	    CLIENT_CERT_INHERIT;
	d->has_pin = store_pg_int(r, i, 21) != 0;
}

/* One device row; in any domain (0), several are STORE_AMBIGUOUS. */
static enum store_rc
device_row(struct store *s, enum pq q, int64_t domain_id, const char *key,
    struct store_device *d)
{
	PGresult	*r;
	enum store_rc	 rc;
	int		 by_key = q == PQ_DEV_BY_SFUA || q == PQ_DEV_BY_MAC;

	if (by_key && domain_id == 0)
		q = q == PQ_DEV_BY_SFUA ? PQ_DEV_BY_SFUA_ANY : PQ_DEV_BY_MAC_ANY;
	r = by_key && domain_id != 0 ?
	    store_pg_run(s, &rc, q, "si", key, domain_id) :
	    store_pg_run(s, &rc, q, "s", key);
	if (r == NULL)
		return rc;
	if (PQntuples(r) == 0)
		rc = STORE_NOTFOUND;
	else if (by_key && PQntuples(r) > 1) {
		snprintf(s->err, sizeof(s->err), "%s is in several domains; "
		    "name one with --domain", key);
		rc = STORE_AMBIGUOUS;
	} else
		device_cols(r, 0, d);
	PQclear(r);
	return rc;
}

enum store_rc
store_pg_device_by_sfua(struct store *s, int64_t domain_id,
    const char *sfua_id, struct store_device *d)
{
	return device_row(s, PQ_DEV_BY_SFUA, domain_id, sfua_id, d);
}

enum store_rc
store_pg_device_by_mac(struct store *s, int64_t domain_id, const char *mac,
    struct store_device *d)
{
	return device_row(s, PQ_DEV_BY_MAC, domain_id, mac, d);
}

enum store_rc
store_pg_device_by_token(struct store *s, const char *token,
    struct store_device *d)
{
	return device_row(s, PQ_DEV_BY_TOKEN, 0, token, d);
}

enum store_rc
store_pg_device_by_id(struct store *s, int64_t id, struct store_device *d)
{
	char	 key[24];

	snprintf(key, sizeof(key), "%lld", (long long)id);
	return device_row(s, PQ_DEV_BY_ID, 0, key, d);
}

enum store_rc
store_pg_user_by_name(struct store *s, const char *name, struct store_user *u)
{
	PGresult	*r;
	enum store_rc	 rc;

	if ((r = store_pg_run(s, &rc, PQ_USER_BY_NAME, "s", name)) == NULL)
		return rc;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return STORE_NOTFOUND;
	}
	memset(u, 0, sizeof(*u));
	u->id = store_pg_int(r, 0, 0);
	store_pg_copy(r, 0, 1, u->name, sizeof(u->name));
	store_pg_copy(r, 0, 2, u->realm, sizeof(u->realm));
	store_pg_copy(r, 0, 3, u->ha1_md5, sizeof(u->ha1_md5));
	store_pg_copy(r, 0, 4, u->ha1_sha256, sizeof(u->ha1_sha256));
	u->domain_id = store_pg_int(r, 0, 5);
	u->otp = store_pg_int(r, 0, 6) != 0;
	u->otp_not_before = (time_t)store_pg_int(r, 0, 7);
	u->otp_not_after = (time_t)store_pg_int(r, 0, 8);
	store_pg_copy(r, 0, 9, u->password_sealed, sizeof(u->password_sealed));
	store_pg_copy(r, 0, 10, u->old_ha1_md5, sizeof(u->old_ha1_md5));
	store_pg_copy(r, 0, 11, u->old_ha1_sha256, sizeof(u->old_ha1_sha256));
	u->old_until = (time_t)store_pg_int(r, 0, 12);
	u->updated = (time_t)store_pg_int(r, 0, 13);
	PQclear(r);
	return STORE_OK;
}

enum store_rc
store_pg_device_lines(struct store *s, int64_t device_id, json_t **lines,
    time_t *updated)
{
	PGresult	*r;
	json_t		*arr, *o;
	enum store_rc	 rc;
	time_t		 t;
	int		 i;

	*lines = NULL;
	if ((r = store_pg_run(s, &rc, PQ_LINES, "i", device_id)) == NULL)
		return rc;
	if ((arr = json_array()) == NULL)
		goto oom;
	for (i = 0; i < PQntuples(r); i++) {
		o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s}",
		    "position", (json_int_t)store_pg_int(r, i, 0),
		    "aor", PQgetvalue(r, i, 1), "realm", PQgetvalue(r, i, 2),
		    "username", PQgetvalue(r, i, 3),
		    "digest", PQgetvalue(r, i, 4),
		    "outbound_proxy", PQgetvalue(r, i, 5),
		    "display_name", PQgetvalue(r, i, 6));
		if (o && PQgetlength(r, i, 8) > 0)
			json_object_set_new(o, "password_sealed",
			    json_string(PQgetvalue(r, i, 8)));
		if (o == NULL || json_array_append_new(arr, o) != 0) {
			json_decref(arr);
			goto oom;
		}
		t = (time_t)store_pg_int(r, i, 7);
		if (t > *updated)
			*updated = t;
	}
	PQclear(r);
	*lines = arr;
	return STORE_OK;
oom:
	PQclear(r);
	snprintf(s->err, sizeof(s->err), "out of memory");
	return STORE_ERROR;
}

static enum store_rc
template_row(struct store *s, PGresult *r, enum store_rc rc,
    struct store_template *t)
{
	memset(t, 0, sizeof(*t));
	if (r == NULL)
		return rc;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return STORE_NOTFOUND;
	}
	store_pg_copy(r, 0, 0, t->name, sizeof(t->name));
	t->content_type = strdup(PQgetvalue(r, 0, 1));
	t->bodylen = (size_t)PQgetlength(r, 0, 2);
	if ((t->body = malloc(t->bodylen + 1)) != NULL) {
		memcpy(t->body, PQgetvalue(r, 0, 2), t->bodylen);
		t->body[t->bodylen] = '\0';
	}
	t->updated = (time_t)store_pg_int(r, 0, 3);
	PQclear(r);
	if (t->content_type == NULL || t->body == NULL) {
		store_template_clear(t);
		snprintf(s->err, sizeof(s->err), "out of memory");
		return STORE_ERROR;
	}
	return STORE_OK;
}

enum store_rc
store_pg_template_select(struct store *s, const char *vendor,
    const char *model, const char *revision, struct store_template *t)
{
	PGresult	*r;
	enum store_rc	 rc;

	r = store_pg_run(s, &rc, PQ_TPL_SELECT, "sss", vendor, model,
	    revision);
	return template_row(s, r, rc, t);
}

enum store_rc
store_pg_template_by_name(struct store *s, const char *name,
    struct store_template *t)
{
	PGresult	*r;
	enum store_rc	 rc;

	r = store_pg_run(s, &rc, PQ_TPL_BY_NAME, "s", name);
	return template_row(s, r, rc, t);
}

enum store_rc
store_pg_vars_merge(struct store *s, const char *layer, const char *scope,
    json_t *obj, time_t *updated, store_unseal_fn unseal, void *arg)
{
	PGresult	*r;
	json_t		*v, *one, *opened;
	enum store_rc	 rc;
	time_t		 t;
	int		 i;

	if ((r = store_pg_run(s, &rc, PQ_VARS, "ss", layer, scope)) == NULL)
		return rc;
	for (i = 0; i < PQntuples(r); i++) {
		if ((v = json_loads(PQgetvalue(r, i, 1), JSON_DECODE_ANY,
		    NULL)) == NULL)
			continue;	/* the CHECK and jansson disagree */
		/*
		 * A secret variable is its sealed text as a JSON string; what
		 * it opens to takes its place, "" when it does not open.
		 */
		if (store_pg_int(r, i, 3) != 0) {
			opened = NULL;
			if (unseal != NULL && json_is_string(v))
				opened = unseal(arg, json_string_value(v));
			json_decref(v);
			if ((v = opened) == NULL &&
			    (v = json_string("")) == NULL)
				goto oom;
		}
		one = json_object();
		if (one == NULL || json_object_set_new(one, PQgetvalue(r, i, 0),
		    v) != 0 || store_json_merge(obj, one) != 0) {
			json_decref(one);
			goto oom;
		}
		json_decref(one);
		t = (time_t)store_pg_int(r, i, 2);
		if (t > *updated)
			*updated = t;
	}
	PQclear(r);
	return STORE_OK;
oom:
	PQclear(r);
	snprintf(s->err, sizeof(s->err), "out of memory");
	return STORE_ERROR;
}
