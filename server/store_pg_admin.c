/*
 * store_pg_admin: the administration half of the PostgreSQL backend
 * (issue 13): what `sipcfg` does to devices, users, profiles, lines,
 * templates, variables, domains, path rules and the audit trail.  Runs
 * in the CLI's one thread.  The rules are store_sqlite.c's, statement for
 * statement (store_pg_sql.c); the fields a caller may set are fixed
 * tables here, and a column name never comes from input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "store.h"
#include "store_pg_int.h"

static enum store_rc
lookup_id(struct store *s, enum pq q, const char *name, int64_t *id)
{
	PGresult	*r;
	enum store_rc	 rc;

	if ((r = store_pg_run(s, &rc, q, "s", name)) == NULL)
		return rc;
	if (PQntuples(r) == 0)
		rc = STORE_NOTFOUND;
	else
		*id = store_pg_int(r, 0, 0);
	PQclear(r);
	return rc;
}

static const char *
jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static int64_t
jint(const json_t *o, const char *k, int64_t dflt)
{
	json_t	*v = json_object_get(o, k);

	return json_is_integer(v) ? json_integer_value(v) : dflt;
}

/* ---------------------------------------------------------- profiles */

enum store_rc
store_pg_profile_ensure(struct store *s, const char *name, int64_t *id)
{
	enum store_rc	 rc;

	if ((rc = store_pg_exec(s, PQ_PROFILE_INSERT, "s", name)) != STORE_OK)
		return rc;
	return lookup_id(s, PQ_PROFILE_ID, name, id);
}

static enum store_rc
profile_set(struct store *s, enum pq q, const char *name, const char *mode)
{
	int64_t		 id;
	enum store_rc	 rc;

	if ((rc = store_pg_profile_ensure(s, name, &id)) != STORE_OK)
		return rc;
	return store_pg_exec_one(s, q, "sS", name, mode ? mode : "");
}

enum store_rc
store_pg_profile_set_notify(struct store *s, const char *name,
    const char *mode)
{
	return profile_set(s, PQ_PROFILE_NOTIFY, name, mode);
}

enum store_rc
store_pg_profile_set_checksync(struct store *s, const char *name,
    const char *mode)
{
	return profile_set(s, PQ_PROFILE_CS, name, mode);
}

enum store_rc
store_pg_profile_set_enc(struct store *s, const char *name, const char *mode)
{
	return profile_set(s, PQ_PROFILE_ENC, name, mode);
}

enum store_rc
store_pg_profile_set_max_age(struct store *s, const char *name, int max_age)
{
	int64_t		 id;
	enum store_rc	 rc;

	if ((rc = store_pg_profile_ensure(s, name, &id)) != STORE_OK)
		return rc;
	return store_pg_exec_one(s, PQ_PROFILE_MAXAGE, "sI", name,
	    (int64_t)max_age);
}

enum store_rc
store_pg_profile_list(struct store *s, json_t **out)
{
	return store_pg_rows(s, out, PQ_PROFILE_LIST, "");
}

/* ----------------------------------------------------------- devices */

/* Resolve "user" and "profile" names in fields to ids (-1: leave NULL). */
static enum store_rc
resolve_refs(struct store *s, const json_t *f, int64_t *uid, int64_t *pid)
{
	const char	*u = jstr(f, "user"), *p = jstr(f, "profile");
	enum store_rc	 rc;

	*uid = *pid = -1;
	if (u && *u && (rc = lookup_id(s, PQ_USER_ID, u, uid)) != STORE_OK) {
		if (rc == STORE_NOTFOUND) {
			snprintf(s->err, sizeof(s->err), "no such user: %s", u);
			return STORE_INVALID;
		}
		return rc;
	}
	if (p && *p && store_pg_profile_ensure(s, p, pid) != STORE_OK)
		return STORE_ERROR;
	return STORE_OK;
}

enum store_rc
store_pg_device_add(struct store *s, const json_t *f)
{
	int64_t		 uid, pid;
	enum store_rc	 rc;
	const char	*state = jstr(f, "state");

	if ((rc = resolve_refs(s, f, &uid, &pid)) != STORE_OK)
		return rc;
	return store_pg_exec(s, PQ_DEV_INSERT, "sSSSssIIISSiS",
	    jstr(f, "sfua_id"), jstr(f, "mac"), jstr(f, "vendor"),
	    jstr(f, "model"), state ? state : "active", jstr(f, "label"), uid,
	    pid, jint(f, "max_age", -1), jstr(f, "notify_mode"),
	    jstr(f, "checksync"), jint(f, "domain_id", STORE_DEFAULT_DOMAIN),
	    jstr(f, "client_cert"));
}

/*
 * The fields of a device a caller may set, each its own constant
 * statement (not prepared: `device set` runs each once).
 */
static const struct {
	const char	*field;
	const char	*sql;
} devset[] = {
	{ "mac",	"UPDATE devices SET mac = $2 WHERE id = $1" },
	{ "vendor",	"UPDATE devices SET vendor = $2 WHERE id = $1" },
	{ "model",	"UPDATE devices SET model = $2 WHERE id = $1" },
	{ "state",	"UPDATE devices SET state = $2 WHERE id = $1" },
	{ "label",	"UPDATE devices SET label = $2 WHERE id = $1" },
	{ "user",	"UPDATE devices SET user_id = $2 WHERE id = $1" },
	{ "profile",	"UPDATE devices SET profile_id = $2 WHERE id = $1" },
	{ "max_age",	"UPDATE devices SET max_age = $2 WHERE id = $1" },
	{ "notify_mode", "UPDATE devices SET notify_mode = $2 WHERE id = $1" },
	{ "checksync",	"UPDATE devices SET checksync = $2 WHERE id = $1" },
	{ "contact_uri", "UPDATE devices SET contact_uri = $2 WHERE id = $1" },
	{ "enc_mode",	"UPDATE devices SET enc_mode = $2 WHERE id = $1" },
	{ "enc_cert",	"UPDATE devices SET enc_cert = $2 WHERE id = $1" },
	{ "client_cert", "UPDATE devices SET client_cert = $2 WHERE id = $1" },
};

/* A field's value as a text parameter; NULL for null, "" or a ref < 0. */
static const char *
param(const json_t *v, char *buf, size_t len)
{
	if (json_is_integer(v)) {
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
		return buf;
	}
	if (json_is_string(v) && *json_string_value(v))
		return json_string_value(v);
	return NULL;
}

/*
 * One ad hoc statement of a fixed table above, under a savepoint inside
 * a transaction (store_pg.c's rule); *changed: rows it touched.
 */
static enum store_rc
run_fixed(struct store *s, const char *sql, int n, const char *const *vals,
    const char *what, long long *changed)
{
	PGresult	*r;
	enum store_rc	 rc = STORE_OK;
	int		 sp = PQtransactionStatus(s->conn) == PQTRANS_INTRANS;

	if (sp) {
		r = PQexec(s->conn, "SAVEPOINT sipcfg_stmt");
		if (r == NULL || PQresultStatus(r) != PGRES_COMMAND_OK) {
			rc = store_pg_fail(s, r, "savepoint");
			PQclear(r);
			return rc;
		}
		PQclear(r);
	}
	r = PQexecParams(s->conn, sql, n, NULL, vals, NULL, NULL, 0);
	if (r == NULL || PQresultStatus(r) != PGRES_COMMAND_OK)
		rc = store_pg_fail(s, r, what);
	else if (changed != NULL)
		*changed = strtoll(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	if (sp) {
		r = PQexec(s->conn, rc == STORE_OK ?
		    "RELEASE SAVEPOINT sipcfg_stmt" :
		    "ROLLBACK TO SAVEPOINT sipcfg_stmt; "
		    "RELEASE SAVEPOINT sipcfg_stmt");
		PQclear(r);
	}
	return rc;
}

enum store_rc
store_pg_device_update(struct store *s, int64_t id, const json_t *f)
{
	const char	*k, *vals[2];
	json_t		*v;
	size_t		 i, n = sizeof(devset) / sizeof(devset[0]);
	int64_t		 uid, pid;
	long long	 changed = 0;
	enum store_rc	 rc;
	char		 idbuf[24], vbuf[24];

	if ((rc = resolve_refs(s, f, &uid, &pid)) != STORE_OK)
		return rc;
	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id);
	vals[0] = idbuf;
	json_object_foreach((json_t *)f, k, v) {
		for (i = 0; i < n; i++)
			if (strcmp(devset[i].field, k) == 0)
				break;
		if (i == n) {
			snprintf(s->err, sizeof(s->err), "unknown field: %s", k);
			return STORE_INVALID;
		}
		if (strcmp(k, "user") == 0 || strcmp(k, "profile") == 0) {
			int64_t ref = k[0] == 'u' ? uid : pid;

			snprintf(vbuf, sizeof(vbuf), "%lld", (long long)ref);
			vals[1] = ref >= 0 ? vbuf : NULL;
		} else
			vals[1] = param(v, vbuf, sizeof(vbuf));
		if ((rc = run_fixed(s, devset[i].sql, 2, vals, k, &changed)) !=
		    STORE_OK)
			return rc;
		if (changed == 0)
			return STORE_NOTFOUND;
	}
	return STORE_OK;
}

enum store_rc
store_pg_device_remove(struct store *s, int64_t id)
{
	return store_pg_exec_one(s, PQ_DEV_DELETE, "i", id);
}

enum store_rc
store_pg_device_list(struct store *s, json_t **out)
{
	return store_pg_rows(s, out, PQ_DEV_LIST, "");
}

/*
 * The filters of store_pg_device_each(): a fixed clause each, with a
 * fixed parameter number ($1 to $5; $6 and $7 are LIMIT and OFFSET), so
 * the statement is one of 2^5 texts and never holds input.  A device
 * that never fetched counts as not seen.
 */
static const char *const devlist_where[] = {
	"d.vendor = $1::text",
	"d.model = $2::text",
	"d.state = $3::text",
	"d.user_id = (SELECT id FROM users WHERE name = $4::text)",
	"coalesce(s.last_fetch, 0) < $5::bigint",
	"d.id > $8::bigint",
};
#define DEVLIST_NWHERE	(sizeof(devlist_where) / sizeof(devlist_where[0]))

enum store_rc
store_pg_device_each(struct store *s, const struct store_device_filter *f,
    int (*fn)(const json_t *, void *), void *arg)
{
	const char	*vals[8] = { f->vendor, f->model, f->state, f->user };
	char		 sql[2048], since[24], lim[24], off[24], after[24];
	size_t		 i, len;
	unsigned	 mask = 0;
	PGresult	*r;
	json_t		*row;
	enum store_rc	 rc = STORE_OK;
	int		 k;

	for (i = 0; i < 4; i++)
		if (vals[i] != NULL)
			mask |= 1u << i;
	if (f->not_seen_since > 0) {
		mask |= 1u << 4;
		snprintf(since, sizeof(since), "%lld",
		    (long long)f->not_seen_since);
		vals[4] = since;
	} else
		vals[4] = NULL;
	if (f->after_id > 0) {
		mask |= 1u << 5;
		snprintf(after, sizeof(after), "%lld", (long long)f->after_id);
		vals[7] = after;
	} else
		vals[7] = NULL;
	/* Unused parameters are still typed, by a clause that is true. */
	len = (size_t)snprintf(sql, sizeof(sql), "%s WHERE ($1::text, "
	    "$2::text, $3::text, $4::text, $5::bigint, $8::bigint) IS NOT NULL "
	    "OR true",
	    store_pg_devlist);
	for (i = 0; i < DEVLIST_NWHERE; i++)
		if (mask & (1u << i))
			len += (size_t)snprintf(sql + len, sizeof(sql) - len,
			    " AND %s", devlist_where[i]);
	snprintf(sql + len, sizeof(sql) - len,
	    " ORDER BY d.id LIMIT $6::bigint OFFSET $7::bigint");
	if (f->limit >= 0) {
		snprintf(lim, sizeof(lim), "%lld", f->limit);
		vals[5] = lim;
	} else
		vals[5] = NULL;		/* LIMIT NULL: all */
	snprintf(off, sizeof(off), "%lld", f->offset > 0 ? f->offset : 0);
	vals[6] = off;
	r = PQexecParams(s->conn, sql, 8, NULL, vals, NULL, NULL, 0);
	if (r == NULL || PQresultStatus(r) != PGRES_TUPLES_OK) {
		rc = store_pg_fail(s, r, "device list");
		PQclear(r);
		return rc;
	}
	for (k = 0; k < PQntuples(r); k++) {
		if ((row = store_pg_row_json(r, k)) == NULL) {
			snprintf(s->err, sizeof(s->err), "out of memory");
			rc = STORE_ERROR;
			break;
		}
		if (fn(row, arg) != 0) {
			json_decref(row);
			snprintf(s->err, sizeof(s->err), "listing stopped");
			rc = STORE_ERROR;
			break;
		}
		json_decref(row);
	}
	PQclear(r);
	return rc;
}

enum store_rc
store_pg_device_elsewhere(struct store *s, int *yes)
{
	PGresult	*r;
	enum store_rc	 rc;

	*yes = 0;
	if ((r = store_pg_run(s, &rc, PQ_DEV_ELSEWHERE, "")) == NULL)
		return rc;
	*yes = store_pg_int(r, 0, 0) != 0;
	PQclear(r);
	return STORE_OK;
}

enum store_rc
store_pg_device_show(struct store *s, int64_t id, json_t **out)
{
	json_t		*arr, *lines;
	enum store_rc	 rc;

	*out = NULL;
	if ((rc = store_pg_rows(s, &arr, PQ_DEV_SHOW, "i", id)) != STORE_OK)
		return rc;
	if (json_array_size(arr) == 0) {
		json_decref(arr);
		return STORE_NOTFOUND;
	}
	*out = json_incref(json_array_get(arr, 0));
	json_decref(arr);
	if (store_pg_line_list(s, id, &lines) == STORE_OK)
		json_object_set_new(*out, "lines", lines);
	return STORE_OK;
}

enum store_rc
store_pg_device_duplicates(struct store *s, json_t **out)
{
	return store_pg_rows(s, out, PQ_DEV_DUPS, "");
}

enum store_rc
store_pg_device_duplicates_of(struct store *s, int64_t domain_id,
    const char *sfua_id, const char *mac, json_t **out)
{
	return store_pg_rows(s, out, PQ_DEV_DUPS_OF, "isS", domain_id,
	    sfua_id, mac);
}

enum store_rc
store_pg_device_set_key(struct store *s, int64_t id, const char *sealed)
{
	return store_pg_exec_one(s, PQ_ENC_KEY, "iS", id, sealed);
}

/* ------------------------------------------------------------- users */

enum store_rc
store_pg_user_add(struct store *s, const char *name, const char *realm,
    const char *md5, const char *sha256)
{
	return store_pg_exec(s, PQ_USER_INSERT, "ssss", name, realm, md5,
	    sha256);
}

enum store_rc
store_pg_user_passwd(struct store *s, const char *name, const char *md5,
    const char *sha256, const char *sealed, time_t old_until)
{
	return store_pg_exec_one(s, PQ_USER_PASSWD, "sssSi", name, md5,
	    sha256, sealed, (int64_t)(old_until > 0 ? old_until : 0));
}

enum store_rc
store_pg_user_set_otp(struct store *s, const char *name, const char *md5,
    const char *sha256, time_t not_before, time_t not_after)
{
	return store_pg_exec_one(s, PQ_USER_SET_OTP, "sssII", name, md5,
	    sha256, (int64_t)(not_before > 0 ? not_before : -1),
	    (int64_t)(not_after > 0 ? not_after : -1));
}

enum store_rc
store_pg_user_otp_consume(struct store *s, int64_t id, const char *otp_md5,
    const char *md5, const char *sha256, const char *sealed, time_t now)
{
	return store_pg_exec_one(s, PQ_USER_OTP_CONSUME, "isssSi", id,
	    otp_md5, md5, sha256, sealed, (int64_t)now);
}

enum store_rc
store_pg_user_remove(struct store *s, const char *name)
{
	return store_pg_exec_one(s, PQ_USER_DELETE, "s", name);
}

enum store_rc
store_pg_user_list(struct store *s, const struct store_user_filter *f,
    json_t **out)
{
	int64_t	 lim = f && f->limit >= 0 ? f->limit : -1;
	int64_t	 off = f && f->offset > 0 ? f->offset : 0;

	if (f && f->name)
		return store_pg_rows(s, out, PQ_USER_SHOW, "s", f->name);
	if (f && f->after)
		return store_pg_rows(s, out, PQ_USER_LIST_AFTER, "Iis", lim,
		    off, f->after);
	return store_pg_rows(s, out, PQ_USER_LIST, "Ii", lim, off);
}

enum store_rc
store_pg_user_set_domain(struct store *s, const char *name,
    int64_t domain_id)
{
	return store_pg_exec_one(s, PQ_USER_DOMAIN, "si", name, domain_id);
}

enum store_rc
store_pg_users_rerealm(struct store *s, int64_t domain_id, const char *from,
    const char *to, int *n)
{
	PGresult	*r;
	enum store_rc	 rc;

	if ((r = store_pg_run(s, &rc, PQ_USER_REREALM, "iss", domain_id,
	    from, to)) == NULL)
		return rc;
	*n = (int)strtol(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	return STORE_OK;
}

/* ------------------------------------------------------------- lines */

enum store_rc
store_pg_line_add(struct store *s, int64_t device_id, const json_t *f)
{
	PGresult	*r;
	enum store_rc	 rc;
	int64_t		 pos = jint(f, "position", 0);

	if (pos <= 0) {
		if ((r = store_pg_run(s, &rc, PQ_LINE_NEXTPOS, "i",
		    device_id)) == NULL)
			return rc;
		pos = store_pg_int(r, 0, 0);
		PQclear(r);
	}
	return store_pg_exec(s, PQ_LINE_INSERT, "iissssSSS", device_id, pos,
	    jstr(f, "aor"), jstr(f, "realm"), jstr(f, "username"),
	    jstr(f, "ha1"), jstr(f, "outbound_proxy"), jstr(f, "display_name"),
	    jstr(f, "password_sealed"));
}

enum store_rc
store_pg_line_remove(struct store *s, int64_t device_id, int position)
{
	return store_pg_exec_one(s, PQ_LINE_DELETE, "ii", device_id,
	    (int64_t)position);
}

enum store_rc
store_pg_line_list(struct store *s, int64_t device_id, json_t **out)
{
	return store_pg_rows(s, out, PQ_LINE_LIST, "i", device_id);
}

/* ------------------------------------------------ templates, variables */

enum store_rc
store_pg_template_put(struct store *s, const char *name, const char *vendor,
    const char *model, const char *revision, const char *ctype,
    const char *body, size_t len)
{
	if (memchr(body, '\0', len) != NULL) {
		snprintf(s->err, sizeof(s->err), "template: a NUL byte in the "
		    "body");
		return STORE_INVALID;
	}
	return store_pg_exec(s, PQ_TPL_UPSERT, "sSSSsb", name, vendor, model,
	    revision, ctype, body, len);
}

enum store_rc
store_pg_template_remove(struct store *s, const char *name)
{
	return store_pg_exec_one(s, PQ_TPL_DELETE, "s", name);
}

enum store_rc
store_pg_template_list(struct store *s, json_t **out)
{
	return store_pg_rows(s, out, PQ_TPL_LIST, "");
}

enum store_rc
store_pg_var_set(struct store *s, const char *layer, const char *scope,
    const char *name, const char *json, int secret)
{
	return store_pg_exec(s, PQ_VAR_UPSERT, "ssssi", layer, scope, name,
	    json, (int64_t)(secret != 0));
}

enum store_rc
store_pg_var_unset(struct store *s, const char *layer, const char *scope,
    const char *name)
{
	return store_pg_exec_one(s, PQ_VAR_DELETE, "sss", layer, scope, name);
}

enum store_rc
store_pg_var_list(struct store *s, const char *layer, const char *scope,
    long long limit, long long offset, json_t **out)
{
	return store_pg_rows(s, out, PQ_VAR_LIST, "ssIi", layer, scope,
	    (int64_t)(limit >= 0 ? limit : -1), (int64_t)(offset > 0 ?
	    offset : 0));
}

/* ------------------------------------------------------------- audit */

enum store_rc
store_pg_audit_begin(struct store *s, const char *who, const char *command,
    int64_t *session)
{
	PGresult	*r;
	enum store_rc	 rc;

	if ((r = store_pg_run(s, &rc, PQ_AUDIT_BEGIN, "ss", who,
	    command)) == NULL)
		return rc;
	*session = store_pg_int(r, 0, 0);
	PQclear(r);
	return STORE_OK;
}

enum store_rc
store_pg_audit_end(struct store *s, int64_t session)
{
	return store_pg_exec(s, PQ_AUDIT_END, "i", session);
}

enum store_rc
store_pg_audit_list(struct store *s, time_t since, int limit, json_t **out)
{
	return store_pg_rows(s, out, PQ_AUDIT_LIST, "ii", (int64_t)since,
	    (int64_t)limit);
}

enum store_rc
store_pg_device_history(struct store *s, int64_t id, int limit, json_t **out)
{
	return store_pg_rows(s, out, PQ_HISTORY, "ii", id, (int64_t)limit);
}

/* ------------------------------------------------- vendor path rules */

enum store_rc
store_pg_path_rule_add(struct store *s, const char *pattern,
    const char *vendor, const char *tpl, int plain)
{
	return store_pg_exec(s, PQ_PATH_ADD, "sSSi", pattern, vendor, tpl,
	    (int64_t)(plain != 0));
}

enum store_rc
store_pg_path_rule_remove(struct store *s, const char *pattern)
{
	return store_pg_exec_one(s, PQ_PATH_DELETE, "s", pattern);
}

enum store_rc
store_pg_path_rule_list(struct store *s, json_t **out)
{
	return store_pg_rows(s, out, PQ_PATH_LIST, "");
}

/* ------------------------------------------------- admin API tokens */

enum store_rc
store_pg_token_add(struct store *s, const char *name, const char *scope,
    const char *sha256, time_t expires)
{
	return store_pg_exec(s, PQ_TOKEN_ADD, "sssI", name, scope, sha256,
	    (int64_t)(expires > 0 ? expires : -1));
}

enum store_rc
store_pg_token_remove(struct store *s, const char *name)
{
	return store_pg_exec_one(s, PQ_TOKEN_DELETE, "s", name);
}

enum store_rc
store_pg_token_list(struct store *s, json_t **out)
{
	return store_pg_rows(s, out, PQ_TOKEN_LIST, "");
}

enum store_rc
store_pg_token_by_hash(struct store *s, const char *sha256,
    struct store_token *t)
{
	PGresult	*r;
	enum store_rc	 rc;

	memset(t, 0, sizeof(*t));
	if ((r = store_pg_run(s, &rc, PQ_TOKEN_BY_HASH, "s", sha256)) == NULL)
		return rc;
	if (PQntuples(r) == 0)
		rc = STORE_NOTFOUND;
	else {
		t->id = store_pg_int(r, 0, 0);
		store_pg_copy(r, 0, 1, t->name, sizeof(t->name));
		store_pg_copy(r, 0, 2, t->scope, sizeof(t->scope));
		t->expires = (time_t)store_pg_int(r, 0, 3);
		t->last_used = (time_t)store_pg_int(r, 0, 4);
	}
	PQclear(r);
	return rc;
}

enum store_rc
store_pg_token_used(struct store *s, int64_t id, time_t now)
{
	return store_pg_exec(s, PQ_TOKEN_USED, "ii", id, (int64_t)now);
}

enum store_rc
store_pg_checksync_list(struct store *s, json_t **out)
{
	return store_pg_rows(s, out, PQ_CS_LIST, "");
}

enum store_rc
store_pg_checksync_set(struct store *s, const char *vendor,
    const char *event, const char *reboot_event, int enabled)
{
	return store_pg_exec(s, PQ_CS_SET, "sSSI", vendor, event, reboot_event,
	    (int64_t)enabled);
}

/* ----------------------------------------------------------- domains */

enum store_rc
store_pg_domain_list(struct store *s, json_t **out)
{
	return store_pg_rows(s, out, PQ_DOMAIN_LIST, "");
}

enum store_rc
store_pg_domain_id(struct store *s, const char *name, int64_t *id)
{
	enum store_rc	 rc;

	if ((rc = lookup_id(s, PQ_DOMAIN_ID, name, id)) == STORE_NOTFOUND)
		snprintf(s->err, sizeof(s->err), "no domain %s (see sipcfg "
		    "domain list)", name);
	return rc;
}

/* Fields a domain can have set; the column name never comes from input. */
static const struct {
	const char	*field;
	const char	*sql;
} domset[] = {
	{ "name",	"UPDATE domains SET name = $2 WHERE id = $1" },
	{ "realm",	"UPDATE domains SET realm = $2 WHERE id = $1" },
	/* Both at once: a CHECK keeps them a pair (key_file is $3). */
	{ "cert_file",	"UPDATE domains SET cert_file = $2, key_file = $3 "
			    "WHERE id = $1" },
	{ "key_file",	NULL },
	{ "ca_file",	"UPDATE domains SET ca_file = $2 WHERE id = $1" },
	{ "base_url",	"UPDATE domains SET base_url = $2 WHERE id = $1" },
	{ "client_cert", "UPDATE domains SET client_cert = $2 WHERE id = $1" },
	{ "tofu",	"UPDATE domains SET tofu = $2 WHERE id = $1" },
};

enum store_rc
store_pg_domain_update(struct store *s, int64_t id, const json_t *f)
{
	const char	*k, *vals[3];
	json_t		*v;
	size_t		 i, n = sizeof(domset) / sizeof(domset[0]);
	enum store_rc	 rc;
	char		 idbuf[24], b2[24], b3[24];

	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id);
	json_object_foreach((json_t *)f, k, v) {
		for (i = 0; i < n; i++)
			if (strcmp(domset[i].field, k) == 0)
				break;
		if (i == n) {
			snprintf(s->err, sizeof(s->err), "unknown field: %s", k);
			return STORE_INVALID;
		}
		if (domset[i].sql == NULL)
			continue;	/* key_file: with cert_file */
		vals[0] = idbuf;
		vals[1] = param(v, b2, sizeof(b2));
		vals[2] = param(json_object_get(f, "key_file"), b3, sizeof(b3));
		if ((rc = run_fixed(s, domset[i].sql,
		    strcmp(k, "cert_file") == 0 ? 3 : 2, vals, k, NULL)) !=
		    STORE_OK)
			return rc;
	}
	return STORE_OK;
}

enum store_rc
store_pg_domain_add(struct store *s, const char *name, const json_t *f,
    int64_t *id)
{
	PGresult	*r;
	enum store_rc	 rc;

	if ((r = store_pg_run(s, &rc, PQ_DOMAIN_INSERT, "s", name)) == NULL)
		return rc;
	*id = store_pg_int(r, 0, 0);
	PQclear(r);
	return store_pg_domain_update(s, *id, f);
}

enum store_rc
store_pg_domain_remove(struct store *s, const char *name)
{
	return store_pg_exec_one(s, PQ_DOMAIN_DELETE, "s", name);
}
