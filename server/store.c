/*
 * store: the front of store.h.  A store is named by a path (SQLite, the
 * default) or by a libpq URI, postgresql://... or postgres://...
 * (PostgreSQL, issue 13); store_open() chooses the backend by the name
 * and every other call goes through the connection's table of
 * operations (store_int.h): one indirect call, no lock, so the HTTP
 * workers' look-ups cost what they cost before.  What is SQL-free and
 * the same for every backend (parsing the change log's hints) lives
 * here, once.  Runs in whichever thread owns the connection.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_int.h"

#define OPS(st)		(((const struct store_head *)(const void *)(st))->ops)
#define BULK_STORE(b)	(((const struct store_bulk_head *)(const void *)(b))->st)
#define BULK_OPS(b)	OPS(BULK_STORE(b))

/* An operation the backend has no code for yet: rv, with the reason. */
#define unsupported(st, fn, rv)	(store_unsupported((st), (fn)), (rv))

static void
store_unsupported(struct store *st, const char *fn)
{
	char	 msg[128];

	snprintf(msg, sizeof(msg), "not supported on %s yet: %s",
	    OPS(st)->name, fn);
	OPS(st)->seterr(st, msg);
}

/* A libpq connection URI (RFC 3986 form, as libpq accepts it). */
int
store_is_pg(const char *name)
{
	return strncmp(name, "postgresql://", 13) == 0 ||
	    strncmp(name, "postgres://", 11) == 0;
}

/*
 * The name as it may be logged: a URI's password, in its user part or
 * as a password= parameter, is "***" (BRIEF.md §6: secrets are never
 * logged).
 */
void
store_name_safe(const char *name, char *out, size_t outlen)
{
	const char	*auth, *end, *at, *colon;
	char		*pw;
	size_t		 n;

	snprintf(out, outlen, "%s", name);
	if (!store_is_pg(name))
		return;
	auth = strstr(name, "://") + 3;
	end = auth + strcspn(auth, "/?");
	at = memchr(auth, '@', (size_t)(end - auth));
	colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
	if (colon != NULL)
		snprintf(out, outlen, "%.*s:***%s", (int)(colon - name), name,
		    at);
	if ((pw = strstr(out, "password=")) != NULL &&
	    (pw == out || pw[-1] == '?' || pw[-1] == '&') &&
	    strlen(out) + 3 < outlen) {
		n = strcspn(pw + 9, "&");
		memmove(pw + 12, pw + 9 + n, strlen(pw + 9 + n) + 1);
		memcpy(pw + 9, "***", 3);
	}
}

struct store *
store_open(const char *name, int flags, int busy_ms, char *err,
    size_t errlen)
{
	if (store_is_pg(name))
		return store_pg_open(name, flags, busy_ms, err, errlen);
	return store_sqlite_open(name, flags, busy_ms, err, errlen);
}

void
store_template_clear(struct store_template *t)
{
	free(t->content_type);
	free(t->body);
	t->content_type = t->body = NULL;
}

/* Deep merge: objects merge key by key, anything else replaces. */
int
store_json_merge(json_t *dst, json_t *src)
{
	const char	*k;
	json_t		*v, *cur;

	json_object_foreach(src, k, v) {
		cur = json_object_get(dst, k);
		if (json_is_object(cur) && json_is_object(v)) {
			if (store_json_merge(cur, v) != 0)
				return -1;
		} else if (json_object_set(dst, k, v) != 0)
			return -1;
	}
	return 0;
}

int
store_bulk_init(void)
{
	/* A setting of SQLite's for the whole process; PostgreSQL has none. */
	return store_sqlite_bulk_init();
}

/* "PREFIX<decimal id>" exactly; 1 with *id set. */
static int
hint_id(const char *h, const char *prefix, int64_t *id)
{
	size_t		 pl = strlen(prefix);
	long long	 v;
	char		*e;

	if (strncmp(h, prefix, pl) != 0 || h[pl] < '0' || h[pl] > '9')
		return 0;
	errno = 0;
	v = strtoll(h + pl, &e, 10);
	if (errno || *e != '\0' || v <= 0)
		return 0;
	*id = v;
	return 1;
}

/*
 * The hints the triggers of sql/ write (store.h).  Everything that reads
 * the change log gets these records; the strings stay here.
 */
void
store_change_parse(const char *h, struct store_change *c)
{
	static const struct {
		const char		*prefix;
		enum store_change_kind	 kind;
	} ids[] = {
		{ "device:", CHG_DEVICE },
		{ "user:", CHG_USER },
		{ "profile:", CHG_PROFILE },
		{ "template:", CHG_TEMPLATE },
		{ "domain:", CHG_DOMAIN },
		{ "pin:", CHG_PIN },
		{ "notify:", CHG_NOTIFY },
		{ "checksync-now:", CHG_CHECKSYNC_NOW },
		{ "checksync-reboot:", CHG_CHECKSYNC_REBOOT }
	};
	static const struct {
		const char		*name;
		enum store_var_layer	 layer;
	} layers[] = {
		{ "var:global:", VAR_GLOBAL },
		{ "var:vendor:", VAR_VENDOR },
		{ "var:model:", VAR_MODEL },
		{ "var:profile:", VAR_PROFILE },
		{ "var:user:", VAR_USER },
		{ "var:device:", VAR_DEVICE }
	};
	size_t	 i, l;

	c->kind = CHG_UNKNOWN;
	c->id = 0;
	c->layer = VAR_GLOBAL;
	c->scope[0] = '\0';
	snprintf(c->hint, sizeof(c->hint), "%s", h);
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		if (hint_id(h, ids[i].prefix, &c->id)) {
			c->kind = ids[i].kind;
			return;
		}
	for (i = 0; i < sizeof(layers) / sizeof(layers[0]); i++) {
		l = strlen(layers[i].name);
		if (strncmp(h, layers[i].name, l) == 0 &&
		    strlen(h + l) < sizeof(c->scope)) {
			c->kind = CHG_VAR;
			c->layer = layers[i].layer;
			snprintf(c->scope, sizeof(c->scope), "%s", h + l);
			return;
		}
	}
	/* The global layer's scope may be empty: "var:global:". */
	if (strcmp(h, "var:global") == 0)
		c->kind = CHG_VAR;
	else if (strcmp(h, "notify:*") == 0)
		c->kind = CHG_NOTIFY_ALL;
	else if (strcmp(h, "checksync") == 0)
		c->kind = CHG_CHECKSYNC;
	else if (strcmp(h, "all") == 0)
		c->kind = CHG_ALL;
}

/* ------------------------------------------------------ dispatch */

void
store_close(struct store *st)
{
	if (st != NULL)
		OPS(st)->close(st);
}

const char *
store_errmsg(struct store *st)
{
	return OPS(st)->errmsg(st);
}

int
store_schema_version(struct store *st)
{
	if (OPS(st)->schema_version == NULL)
		return unsupported(st, __func__, -1);
	return OPS(st)->schema_version(st);
}

int
store_begin(struct store *st)
{
	if (OPS(st)->begin == NULL)
		return unsupported(st, __func__, -1);
	return OPS(st)->begin(st);
}

int
store_commit(struct store *st)
{
	if (OPS(st)->commit == NULL)
		return unsupported(st, __func__, -1);
	return OPS(st)->commit(st);
}

void
store_rollback(struct store *st)
{
	if (OPS(st)->rollback != NULL)
		OPS(st)->rollback(st);
}

int
store_read_begin(struct store *st)
{
	if (OPS(st)->read_begin == NULL)
		return unsupported(st, __func__, -1);
	return OPS(st)->read_begin(st);
}

void
store_read_end(struct store *st)
{
	if (OPS(st)->read_end != NULL)
		OPS(st)->read_end(st);
}

int
store_mmap(struct store *st, int64_t bytes)
{
	if (OPS(st)->mmap == NULL)
		return unsupported(st, __func__, -1);
	return OPS(st)->mmap(st, bytes);
}

int
store_cache(struct store *st, int64_t bytes)
{
	if (OPS(st)->cache == NULL)
		return unsupported(st, __func__, -1);
	return OPS(st)->cache(st, bytes);
}

int64_t
store_data_version(struct store *st)
{
	if (OPS(st)->data_version == NULL)
		return unsupported(st, __func__, -1);
	return OPS(st)->data_version(st);
}

int
store_listen(struct store *st)
{
	if (OPS(st)->listen == NULL)
		return unsupported(st, __func__, -1);
	return OPS(st)->listen(st);
}

int
store_listen_fd(struct store *st)
{
	if (OPS(st)->listen_fd == NULL)
		return -1;
	return OPS(st)->listen_fd(st);
}

int
store_listen_take(struct store *st)
{
	if (OPS(st)->listen_take == NULL)
		return unsupported(st, __func__, -1);
	return OPS(st)->listen_take(st);
}

time_t
store_last_delete(struct store *st)
{
	if (OPS(st)->last_delete == NULL)
		return unsupported(st, __func__, 0);
	return OPS(st)->last_delete(st);
}

enum store_rc
store_meta_get(struct store *st, const char *key, char *out, size_t outlen)
{
	if (OPS(st)->meta_get == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->meta_get(st, key, out, outlen);
}

enum store_rc
store_meta_set(struct store *st, const char *key, const char *value)
{
	if (OPS(st)->meta_set == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->meta_set(st, key, value);
}

enum store_rc
store_device_by_sfua(struct store *st, int64_t domain_id, const char *sfua_id,
    struct store_device *d)
{
	if (OPS(st)->device_by_sfua == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->device_by_sfua(st, domain_id, sfua_id, d);
}

enum store_rc
store_device_by_mac(struct store *st, int64_t domain_id, const char *mac,
    struct store_device *d)
{
	if (OPS(st)->device_by_mac == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->device_by_mac(st, domain_id, mac, d);
}

enum store_rc
store_user_by_name(struct store *st, const char *name, struct store_user *u)
{
	if (OPS(st)->user_by_name == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->user_by_name(st, name, u);
}

enum store_rc
store_device_lines(struct store *st, int64_t device_id, json_t **lines,
    time_t *updated)
{
	if (OPS(st)->device_lines == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->device_lines(st, device_id, lines, updated);
}

enum store_rc
store_template_select(struct store *st, const char *vendor, const char *model,
    const char *revision, struct store_template *t)
{
	if (OPS(st)->template_select == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->template_select(st, vendor, model, revision, t);
}

enum store_rc
store_template_by_name(struct store *st, const char *name,
    struct store_template *t)
{
	if (OPS(st)->template_by_name == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->template_by_name(st, name, t);
}

enum store_rc
store_vars_merge(struct store *st, const char *layer, const char *scope,
    json_t *obj, time_t *updated, store_unseal_fn unseal, void *arg)
{
	if (OPS(st)->vars_merge == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->vars_merge(st, layer, scope, obj, updated, unseal,
    arg);
}

enum store_rc
store_device_by_token(struct store *st, const char *token,
    struct store_device *d)
{
	if (OPS(st)->device_by_token == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->device_by_token(st, token, d);
}

enum store_rc
store_device_by_id(struct store *st, int64_t id, struct store_device *d)
{
	if (OPS(st)->device_by_id == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->device_by_id(st, id, d);
}

int64_t
store_changes_head(struct store *st)
{
	if (OPS(st)->changes_head == NULL)
		return unsupported(st, __func__, -1);
	return OPS(st)->changes_head(st);
}

enum store_rc
store_changes_since(struct store *st, int64_t after, struct store_change *c,
    size_t max, size_t *n)
{
	if (OPS(st)->changes_since == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->changes_since(st, after, c, max, n);
}

enum store_rc
store_active_ids(struct store *st, int64_t after, int64_t *ids, size_t max,
    size_t *n, int64_t *max_id)
{
	if (OPS(st)->active_ids == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->active_ids(st, after, ids, max, n, max_id);
}

enum store_rc
store_changes_prune(struct store *st, time_t before)
{
	if (OPS(st)->changes_prune == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->changes_prune(st, before);
}

enum store_rc
store_notify_request(struct store *st, int64_t device_id)
{
	if (OPS(st)->notify_request == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->notify_request(st, device_id);
}

int
store_subs_write(struct store *st, const char *instance,
    const struct store_sub *subs, size_t n)
{
	if (OPS(st)->subs_write == NULL)
		return unsupported(st, __func__, -1);
	return OPS(st)->subs_write(st, instance, subs, n);
}

int
store_subs_clear(struct store *st, const char *instance)
{
	if (OPS(st)->subs_clear == NULL)
		return unsupported(st, __func__, -1);
	return OPS(st)->subs_clear(st, instance);
}

enum store_rc
store_subs_list(struct store *st, const struct store_subs_filter *f,
    json_t **d)
{
	if (OPS(st)->subs_list == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->subs_list(st, f, d);
}

enum store_rc
store_profile_set_notify(struct store *st, const char *name, const char *mode)
{
	if (OPS(st)->profile_set_notify == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->profile_set_notify(st, name, mode);
}

enum store_rc
store_checksync_devices(struct store *st, int64_t *ids, size_t max, size_t *n)
{
	if (OPS(st)->checksync_devices == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->checksync_devices(st, ids, max, n);
}

enum store_rc
store_checksync_target(struct store *st, int64_t device_id,
    struct store_checksync_target *t)
{
	if (OPS(st)->checksync_target == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->checksync_target(st, device_id, t);
}

enum store_rc
store_checksync_request(struct store *st, int64_t device_id, int reboot)
{
	if (OPS(st)->checksync_request == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->checksync_request(st, device_id, reboot);
}

enum store_rc
store_checksync_list(struct store *st, json_t **out)
{
	if (OPS(st)->checksync_list == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->checksync_list(st, out);
}

enum store_rc
store_checksync_set(struct store *st, const char *vendor, const char *event,
    const char *reboot_event, int enabled)
{
	if (OPS(st)->checksync_set == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->checksync_set(st, vendor, event, reboot_event,
    enabled);
}

enum store_rc
store_profile_set_checksync(struct store *st, const char *name,
    const char *mode)
{
	if (OPS(st)->profile_set_checksync == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->profile_set_checksync(st, name, mode);
}

enum store_rc
store_device_enc_cert(struct store *st, int64_t id, char *pem, size_t pemlen)
{
	if (OPS(st)->device_enc_cert == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->device_enc_cert(st, id, pem, pemlen);
}

enum store_rc
store_device_set_key(struct store *st, int64_t id, const char *sealed)
{
	if (OPS(st)->device_set_key == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->device_set_key(st, id, sealed);
}

enum store_rc
store_profile_set_enc(struct store *st, const char *name, const char *mode)
{
	if (OPS(st)->profile_set_enc == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->profile_set_enc(st, name, mode);
}

enum store_rc
store_audit_begin(struct store *st, const char *who, const char *command,
    int64_t *session)
{
	if (OPS(st)->audit_begin == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->audit_begin(st, who, command, session);
}

enum store_rc
store_audit_end(struct store *st, int64_t session)
{
	if (OPS(st)->audit_end == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->audit_end(st, session);
}

enum store_rc
store_audit_list(struct store *st, time_t since, int limit, json_t **d)
{
	if (OPS(st)->audit_list == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->audit_list(st, since, limit, d);
}

enum store_rc
store_device_history(struct store *st, int64_t device_id, int limit,
    json_t **d)
{
	if (OPS(st)->device_history == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->device_history(st, device_id, limit, d);
}

enum store_rc
store_path_rules(struct store *st, struct store_path_rule *r, size_t max,
    size_t *n)
{
	if (OPS(st)->path_rules == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->path_rules(st, r, max, n);
}

enum store_rc
store_path_rule_add(struct store *st, const char *pattern, const char *vendor,
    const char *template_name, int plain)
{
	if (OPS(st)->path_rule_add == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->path_rule_add(st, pattern, vendor, template_name,
    plain);
}

enum store_rc
store_path_rule_remove(struct store *st, const char *pattern)
{
	if (OPS(st)->path_rule_remove == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->path_rule_remove(st, pattern);
}

enum store_rc
store_token_add(struct store *st, const char *name, const char *scope,
    const char *sha256, time_t expires)
{
	if (OPS(st)->token_add == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->token_add(st, name, scope, sha256, expires);
}

enum store_rc
store_token_remove(struct store *st, const char *name)
{
	if (OPS(st)->token_remove == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->token_remove(st, name);
}

enum store_rc
store_token_list(struct store *st, json_t **out)
{
	if (OPS(st)->token_list == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->token_list(st, out);
}

enum store_rc
store_token_by_hash(struct store *st, const char *sha256,
    struct store_token *t)
{
	if (OPS(st)->token_by_hash == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->token_by_hash(st, sha256, t);
}

enum store_rc
store_token_used(struct store *st, int64_t id, time_t now)
{
	if (OPS(st)->token_used == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->token_used(st, id, now);
}

enum store_rc
store_path_rule_list(struct store *st, json_t **out)
{
	if (OPS(st)->path_rule_list == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->path_rule_list(st, out);
}

int
store_seen_write(struct store *st, const struct store_seen *r, size_t n)
{
	if (OPS(st)->seen_write == NULL)
		return unsupported(st, __func__, -1);
	return OPS(st)->seen_write(st, r, n);
}

enum store_rc
store_device_enroll(struct store *st, int64_t domain_id, const char *sfua_id,
    const char *mac, const char *vendor, const char *model, const char *addr)
{
	if (OPS(st)->device_enroll == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->device_enroll(st, domain_id, sfua_id, mac, vendor,
    model, addr);
}

enum store_rc
store_enrolled_count(struct store *st, const char *addr, long long *total,
    long long *from_addr)
{
	if (OPS(st)->enrolled_count == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->enrolled_count(st, addr, total, from_addr);
}

enum store_rc
store_enrolled_expire(struct store *st, time_t before, long long *n)
{
	if (OPS(st)->enrolled_expire == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->enrolled_expire(st, before, n);
}

enum store_rc
store_domain_list(struct store *st, json_t **out)
{
	if (OPS(st)->domain_list == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->domain_list(st, out);
}

enum store_rc
store_domain_id(struct store *st, const char *name, int64_t *id)
{
	if (OPS(st)->domain_id == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->domain_id(st, name, id);
}

enum store_rc
store_domain_add(struct store *st, const char *name, const json_t *fields,
    int64_t *id)
{
	if (OPS(st)->domain_add == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->domain_add(st, name, fields, id);
}

enum store_rc
store_domain_update(struct store *st, int64_t id, const json_t *fields)
{
	if (OPS(st)->domain_update == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->domain_update(st, id, fields);
}

enum store_rc
store_domain_remove(struct store *st, const char *name)
{
	if (OPS(st)->domain_remove == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->domain_remove(st, name);
}

enum store_rc
store_user_set_domain(struct store *st, const char *name, int64_t domain_id)
{
	if (OPS(st)->user_set_domain == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->user_set_domain(st, name, domain_id);
}

enum store_rc
store_users_rerealm(struct store *st, int64_t domain_id, const char *from,
    const char *to, int *n)
{
	if (OPS(st)->users_rerealm == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->users_rerealm(st, domain_id, from, to, n);
}

enum store_rc
store_device_duplicates(struct store *st, json_t **out)
{
	if (OPS(st)->device_duplicates == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->device_duplicates(st, out);
}

enum store_rc
store_device_duplicates_of(struct store *st, int64_t domain_id,
    const char *sfua_id, const char *mac, json_t **out)
{
	if (OPS(st)->device_duplicates_of == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->device_duplicates_of(st, domain_id, sfua_id, mac, out);
}

enum store_rc
store_device_pin(struct store *st, int64_t device_id, const char *sha256,
    const char *subject, const char *addr, int may_pin,
    enum store_pin_result *res)
{
	if (OPS(st)->device_pin == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->device_pin(st, device_id, sha256, subject, addr,
    may_pin, res);
}

enum store_rc
store_device_unpin(struct store *st, int64_t device_id)
{
	if (OPS(st)->device_unpin == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->device_unpin(st, device_id);
}

enum store_rc
store_device_add(struct store *st, const json_t *fields)
{
	if (OPS(st)->device_add == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->device_add(st, fields);
}

enum store_rc
store_device_update(struct store *st, int64_t id, const json_t *fields)
{
	if (OPS(st)->device_update == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->device_update(st, id, fields);
}

enum store_rc
store_device_remove(struct store *st, int64_t id)
{
	if (OPS(st)->device_remove == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->device_remove(st, id);
}

enum store_rc
store_device_list(struct store *st, json_t **out)
{
	if (OPS(st)->device_list == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->device_list(st, out);
}

enum store_rc
store_device_each(struct store *st, const struct store_device_filter *f,
    int (*fn)(const json_t *row, void *arg), void *arg)
{
	if (OPS(st)->device_each == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->device_each(st, f, fn, arg);
}

enum store_rc
store_device_elsewhere(struct store *st, int *yes)
{
	if (OPS(st)->device_elsewhere == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->device_elsewhere(st, yes);
}

enum store_rc
store_device_show(struct store *st, int64_t id, json_t **out)
{
	if (OPS(st)->device_show == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->device_show(st, id, out);
}

enum store_rc
store_user_add(struct store *st, const char *name, const char *realm,
    const char *ha1_md5, const char *ha1_sha256)
{
	if (OPS(st)->user_add == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->user_add(st, name, realm, ha1_md5, ha1_sha256);
}

enum store_rc
store_user_passwd(struct store *st, const char *name, const char *ha1_md5,
    const char *ha1_sha256, const char *sealed, time_t old_until)
{
	if (OPS(st)->user_passwd == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->user_passwd(st, name, ha1_md5, ha1_sha256, sealed,
    old_until);
}

enum store_rc
store_user_set_otp(struct store *st, const char *name, const char *ha1_md5,
    const char *ha1_sha256, time_t not_before, time_t not_after)
{
	if (OPS(st)->user_set_otp == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->user_set_otp(st, name, ha1_md5, ha1_sha256,
    not_before, not_after);
}

enum store_rc
store_user_otp_consume(struct store *st, int64_t id, const char *otp_md5,
    const char *ha1_md5, const char *ha1_sha256, const char *sealed,
    time_t now)
{
	if (OPS(st)->user_otp_consume == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->user_otp_consume(st, id, otp_md5, ha1_md5, ha1_sha256,
    sealed, now);
}

enum store_rc
store_user_remove(struct store *st, const char *name)
{
	if (OPS(st)->user_remove == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->user_remove(st, name);
}

enum store_rc
store_user_list(struct store *st, const struct store_user_filter *f,
    json_t **out)
{
	if (OPS(st)->user_list == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->user_list(st, f, out);
}

enum store_rc
store_profile_ensure(struct store *st, const char *name, int64_t *id)
{
	if (OPS(st)->profile_ensure == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->profile_ensure(st, name, id);
}

enum store_rc
store_profile_set_max_age(struct store *st, const char *name, int max_age)
{
	if (OPS(st)->profile_set_max_age == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->profile_set_max_age(st, name, max_age);
}

enum store_rc
store_profile_list(struct store *st, json_t **out)
{
	if (OPS(st)->profile_list == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->profile_list(st, out);
}

enum store_rc
store_line_add(struct store *st, int64_t device_id, const json_t *fields)
{
	if (OPS(st)->line_add == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->line_add(st, device_id, fields);
}

enum store_rc
store_line_remove(struct store *st, int64_t device_id, int position)
{
	if (OPS(st)->line_remove == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->line_remove(st, device_id, position);
}

enum store_rc
store_line_list(struct store *st, int64_t device_id, json_t **out)
{
	if (OPS(st)->line_list == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->line_list(st, device_id, out);
}

enum store_rc
store_template_put(struct store *st, const char *name, const char *vendor,
    const char *model, const char *revision, const char *content_type,
    const char *body, size_t len)
{
	if (OPS(st)->template_put == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->template_put(st, name, vendor, model, revision,
    content_type, body, len);
}

enum store_rc
store_template_remove(struct store *st, const char *name)
{
	if (OPS(st)->template_remove == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->template_remove(st, name);
}

enum store_rc
store_template_list(struct store *st, json_t **out)
{
	if (OPS(st)->template_list == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->template_list(st, out);
}

enum store_rc
store_var_set(struct store *st, const char *layer, const char *scope,
    const char *name, const char *json, int secret)
{
	if (OPS(st)->var_set == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->var_set(st, layer, scope, name, json, secret);
}

enum store_rc
store_var_unset(struct store *st, const char *layer, const char *scope,
    const char *name)
{
	if (OPS(st)->var_unset == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->var_unset(st, layer, scope, name);
}

enum store_rc
store_var_list(struct store *st, const char *layer, const char *scope,
    long long limit, long long offset, json_t **d)
{
	if (OPS(st)->var_list == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->var_list(st, layer, scope, limit, offset, d);
}

int
store_bulk_tune(struct store *st)
{
	if (OPS(st)->bulk_tune == NULL)
		return unsupported(st, __func__, -1);
	return OPS(st)->bulk_tune(st);
}

struct store_bulk *
store_bulk_new(struct store *st)
{
	if (OPS(st)->bulk_new == NULL)
		return unsupported(st, __func__, NULL);
	return OPS(st)->bulk_new(st);
}

void
store_bulk_free(struct store_bulk *b)
{
	if (b != NULL)
		BULK_OPS(b)->bulk_free(b);
}

enum store_rc
store_bulk_domains(struct store_bulk *b, json_t **out)
{
	if (BULK_OPS(b)->bulk_domains == NULL)
		return unsupported(BULK_STORE(b), __func__, STORE_ERROR);
	return BULK_OPS(b)->bulk_domains(b, out);
}

enum store_rc
store_bulk_profiles(struct store_bulk *b, json_t **out)
{
	if (BULK_OPS(b)->bulk_profiles == NULL)
		return unsupported(BULK_STORE(b), __func__, STORE_ERROR);
	return BULK_OPS(b)->bulk_profiles(b, out);
}

enum store_rc
store_bulk_device_get(struct store_bulk *b, int64_t domain_id,
    const char *sfua_id, struct store_bulk_device *d)
{
	if (BULK_OPS(b)->bulk_device_get == NULL)
		return unsupported(BULK_STORE(b), __func__, STORE_ERROR);
	return BULK_OPS(b)->bulk_device_get(b, domain_id, sfua_id, d);
}

enum store_rc
store_bulk_device_insert(struct store_bulk *b,
    const struct store_bulk_device *d, int64_t user_id, int64_t profile_id,
    int64_t *id)
{
	if (BULK_OPS(b)->bulk_device_insert == NULL)
		return unsupported(BULK_STORE(b), __func__, STORE_ERROR);
	return BULK_OPS(b)->bulk_device_insert(b, d, user_id, profile_id, id);
}

enum store_rc
store_bulk_user_add(struct store_bulk *b, const char *name, const char *realm,
    const char *ha1_md5, const char *ha1_sha256, int64_t domain_id,
    int64_t *id)
{
	if (BULK_OPS(b)->bulk_user_add == NULL)
		return unsupported(BULK_STORE(b), __func__, STORE_ERROR);
	return BULK_OPS(b)->bulk_user_add(b, name, realm, ha1_md5, ha1_sha256,
    domain_id, id);
}

enum store_rc
store_bulk_lines(struct store_bulk *b, int64_t device_id, json_t **out)
{
	if (BULK_OPS(b)->bulk_lines == NULL)
		return unsupported(BULK_STORE(b), __func__, STORE_ERROR);
	return BULK_OPS(b)->bulk_lines(b, device_id, out);
}

enum store_rc
store_bulk_vars(struct store_bulk *b, const char *sfua_id, json_t **out)
{
	if (BULK_OPS(b)->bulk_vars == NULL)
		return unsupported(BULK_STORE(b), __func__, STORE_ERROR);
	return BULK_OPS(b)->bulk_vars(b, sfua_id, out);
}

enum store_rc
store_bulk_mark(struct store_bulk *b, char kind, int64_t id, const char *name,
    long line, long *first)
{
	if (BULK_OPS(b)->bulk_mark == NULL)
		return unsupported(BULK_STORE(b), __func__, STORE_ERROR);
	return BULK_OPS(b)->bulk_mark(b, kind, id, name, line, first);
}

enum store_rc
store_bulk_sweep(struct store_bulk *b, long long *n)
{
	if (BULK_OPS(b)->bulk_sweep == NULL)
		return unsupported(BULK_STORE(b), __func__, STORE_ERROR);
	return BULK_OPS(b)->bulk_sweep(b, n);
}

enum store_rc
store_bulk_row(struct store_bulk *b, long line)
{
	if (BULK_OPS(b)->bulk_row == NULL)
		return STORE_OK;
	return BULK_OPS(b)->bulk_row(b, line);
}

enum store_rc
store_bulk_sync(struct store_bulk *b)
{
	if (BULK_OPS(b)->bulk_sync == NULL)
		return STORE_OK;
	return BULK_OPS(b)->bulk_sync(b);
}

enum store_rc
store_bulk_user_get(struct store_bulk *b, const char *name,
    struct store_user *u)
{
	if (BULK_OPS(b)->bulk_user_get == NULL)
		return store_user_by_name(BULK_STORE(b), name, u);
	return BULK_OPS(b)->bulk_user_get(b, name, u);
}

enum store_rc
store_bulk_line_add(struct store_bulk *b, int64_t device_id,
    const json_t *fields)
{
	if (BULK_OPS(b)->bulk_line_add == NULL)
		return store_line_add(BULK_STORE(b), device_id, fields);
	return BULK_OPS(b)->bulk_line_add(b, device_id, fields);
}

enum store_rc
store_bulk_var_set(struct store_bulk *b, const char *sfua_id,
    const char *name, const char *json)
{
	if (BULK_OPS(b)->bulk_var_set == NULL)
		return store_var_set(BULK_STORE(b), "device", sfua_id, name,
		    json, 0);
	return BULK_OPS(b)->bulk_var_set(b, sfua_id, name, json);
}

enum store_rc
store_bulk_quiet(struct store_bulk *b)
{
	if (BULK_OPS(b)->bulk_quiet == NULL)
		return unsupported(BULK_STORE(b), __func__, STORE_ERROR);
	return BULK_OPS(b)->bulk_quiet(b);
}

enum store_rc
store_bulk_touch(struct store_bulk *b, enum store_bulk_touch what, int64_t id)
{
	if (BULK_OPS(b)->bulk_touch == NULL)
		return unsupported(BULK_STORE(b), __func__, STORE_ERROR);
	return BULK_OPS(b)->bulk_touch(b, what, id);
}

enum store_rc
store_bulk_summary(struct store_bulk *b, const struct store_bulk_summary *m)
{
	if (BULK_OPS(b)->bulk_summary == NULL)
		return unsupported(BULK_STORE(b), __func__, STORE_ERROR);
	return BULK_OPS(b)->bulk_summary(b, m);
}

enum store_rc
store_bulk_ids(struct store_bulk *b, int64_t after, int64_t *ids, size_t max,
    size_t *n)
{
	if (BULK_OPS(b)->bulk_ids == NULL)
		return unsupported(BULK_STORE(b), __func__, STORE_ERROR);
	return BULK_OPS(b)->bulk_ids(b, after, ids, max, n);
}

enum store_rc
store_bulk_columns(struct store_bulk *b, int *max_position, json_t **names)
{
	if (BULK_OPS(b)->bulk_columns == NULL)
		return unsupported(BULK_STORE(b), __func__, STORE_ERROR);
	return BULK_OPS(b)->bulk_columns(b, max_position, names);
}

enum store_rc
store_bulk_export(struct store_bulk *b, int secrets, store_bulk_fn fn,
    void *arg)
{
	if (BULK_OPS(b)->bulk_export == NULL)
		return unsupported(BULK_STORE(b), __func__, STORE_ERROR);
	return BULK_OPS(b)->bulk_export(b, secrets, fn, arg);
}

/* ------------------------------------------------ whole tables (moving) */

/* The tables a store is moved by, with their key columns (storemove.c). */
static const char *const table_keys[][2] = {
	{ "meta", "key" }, { "domains", "id" }, { "profiles", "id" },
	{ "users", "id" }, { "devices", "id" }, { "device_seen", "device_id" },
	{ "lines", "id" }, { "templates", "id" }, { "vars", "id" },
	{ "monitors", "device_id, resource" }, { "path_rules", "id" },
	{ "checksync_events", "vendor" }, { "device_pins", "device_id" }
};

int
store_table_ok(const char *table, const char *key)
{
	size_t	 i;

	for (i = 0; i < sizeof(table_keys) / sizeof(table_keys[0]); i++)
		if (strcmp(table, table_keys[i][0]) == 0)
			return key == NULL || strcmp(key, table_keys[i][1]) == 0;
	return 0;
}

/* A column name as the schemas write them: [a-z_][a-z0-9_]*. */
static int
column_ok(const char *c)
{
	size_t	 i;

	if (c[0] == '\0' || strlen(c) > 64 || (c[0] >= '0' && c[0] <= '9'))
		return 0;
	for (i = 0; c[i]; i++)
		if (!((c[i] >= 'a' && c[i] <= 'z') || c[i] == '_' ||
		    (c[i] >= '0' && c[i] <= '9')))
			return 0;
	return 1;
}

/* 1 when c is one of key's columns ("a" or "a, b"). */
static int
key_column(const char *key, const char *c)
{
	size_t	 n = strlen(c);
	const char *p = key;

	while ((p = strstr(p, c)) != NULL) {
		if ((p == key || p[-1] == ' ') &&
		    (p[n] == '\0' || p[n] == ','))
			return 1;
		p += n;
	}
	return 0;
}

enum store_rc
store_table_each(struct store *st, const char *table, const char *key,
    int (*fn)(json_t *row, void *arg), void *arg)
{
	if (!store_table_ok(table, key)) {
		OPS(st)->seterr(st, "not a table a store is moved by");
		return STORE_INVALID;
	}
	if (OPS(st)->table_each == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	return OPS(st)->table_each(st, table, key, fn, arg);
}

/*
 * The statement both backends run (the same SQL: $N parameters, upsert
 * on the key): INSERT INTO table (c...) VALUES ($1...) ON CONFLICT (key)
 * DO UPDATE SET c = excluded.c...; the names were checked above, and the
 * values are parameters.
 */
enum store_rc
store_table_put(struct store *st, const char *table, const char *key,
    const json_t *row)
{
	const char	*c;
	json_t		*v;
	char		*sql;
	size_t		 n = 0, cap, len = 0, i;
	enum store_rc	 rc;
	int		 part;

	if (!store_table_ok(table, key) || !json_is_object(row) ||
	    json_object_size(row) == 0 || json_object_size(row) > 64) {
		OPS(st)->seterr(st, "not a row of a table a store is moved by");
		return STORE_INVALID;
	}
	json_object_foreach((json_t *)row, c, v) {
		if (!column_ok(c)) {
			OPS(st)->seterr(st, "not a column name");
			return STORE_INVALID;
		}
		if (!json_is_integer(v) && !json_is_string(v) &&
		    !json_is_null(v)) {
			OPS(st)->seterr(st, "a value that is not an integer, "
			    "a string or null");
			return STORE_INVALID;
		}
	}
	if (OPS(st)->table_put == NULL)
		return unsupported(st, __func__, STORE_ERROR);
	cap = 256 + json_object_size(row) * 400;
	if ((sql = malloc(cap)) == NULL) {
		OPS(st)->seterr(st, "out of memory");
		return STORE_ERROR;
	}
#define ADD(...) do { \
	int k_ = snprintf(sql + len, cap - len, __VA_ARGS__); \
	if (k_ > 0) len += (size_t)k_; \
} while (0)
	ADD("INSERT INTO %s (", table);
	json_object_foreach((json_t *)row, c, v)
		ADD("%s%s", n++ ? ", " : "", c);
	ADD(") VALUES (");
	for (i = 1; i <= n; i++)
		ADD("%s$%zu", i > 1 ? ", " : "", i);
	ADD(") ON CONFLICT (%s) DO ", key);
	part = 0;
	json_object_foreach((json_t *)row, c, v)
		if (!key_column(key, c))
			ADD("%s%s = excluded.%s", part++ ? ", " :
			    "UPDATE SET ", c, c);
	if (part == 0)
		ADD("NOTHING");
	else {
		/*
		 * A row written as it is fires no update trigger (one would
		 * stamp `updated` with the time of the move).  IS DISTINCT
		 * FROM: PostgreSQL, SQLite since 3.39.
		 */
		part = 0;
		json_object_foreach((json_t *)row, c, v)
			if (!key_column(key, c))
				ADD(" %s %s.%s IS DISTINCT FROM excluded.%s",
				    part++ ? "OR" : "WHERE", table, c, c);
	}
#undef ADD
	rc = OPS(st)->table_put(st, table, key, row, sql);
	free(sql);
	return rc;
}

enum store_rc
store_table_ids(struct store *st, const char *table)
{
	if (!store_table_ok(table, NULL)) {
		OPS(st)->seterr(st, "not a table a store is moved by");
		return STORE_INVALID;
	}
	if (OPS(st)->table_ids == NULL)
		return STORE_OK;
	return OPS(st)->table_ids(st, table);
}
