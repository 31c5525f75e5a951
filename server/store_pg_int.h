/*
 * store_pg_int.h: what the files of the PostgreSQL backend share
 * (store_pg.c: the connection and the helpers; store_pg_read.c: the
 * request path; store_pg_notify.c: bookkeeping, the change log and the
 * notifier; store_pg_admin.c: administration; store_pg_bulk.c: import
 * and export; store_pg_sql.c: the statements).  Nothing outside them
 * includes it.
 */
#ifndef SIPCFG_STORE_PG_INT_H
#define SIPCFG_STORE_PG_INT_H

#include <stdint.h>

#include <libpq-fe.h>

#include "store.h"
#include "store_int.h"

/* Every statement the backend prepares (store_pg_sql.c has the text). */
enum pq {
	PQ_DATA_VERSION,
	PQ_META_GET,
	PQ_META_SET,
	PQ_DEV_BY_SFUA,
	PQ_DEV_BY_MAC,
	PQ_DEV_BY_SFUA_ANY,
	PQ_DEV_BY_MAC_ANY,
	PQ_USER_BY_NAME,
	PQ_LINES,
	PQ_TPL_SELECT,
	PQ_TPL_BY_NAME,
	PQ_VARS,
	PQ_SEEN,
	PQ_SEEN_LAST,
	PQ_FETCH_LOG,
	PQ_ENROLL,
	PQ_ENROLL_COUNT,
	PQ_ENROLL_EXPIRE,
	PQ_DEV_BY_TOKEN,
	PQ_DEV_BY_ID,
	PQ_DEV_IDS_AFTER,
	PQ_DEV_MAX_ID,
	PQ_CHANGES_HEAD,
	PQ_CHANGES_SINCE,
	PQ_CHANGES_PRUNE,
	PQ_NOTIFY_REQ,
	PQ_SUB_UPSERT,
	PQ_SUB_DELETE,
	PQ_SUB_CLEAR,
	PQ_SUB_LIST,
	PQ_SUB_LIST_AFTER,
	PQ_SUB_LIST_DEV,
	PQ_CS_DEVICES,
	PQ_CS_TARGET,
	PQ_CS_REQUEST,
	PQ_CS_LIST,
	PQ_CS_SET,
	PQ_PATHS,
	PQ_PIN_INSERT,
	PQ_PIN_GET,
	PQ_PIN_DELETE,
	PQ_ENC_CERT,
	/* administration (store_pg_admin.c) */
	PQ_DEV_INSERT,
	PQ_DEV_DELETE,
	PQ_DEV_LIST,
	PQ_DEV_ELSEWHERE,
	PQ_DEV_SHOW,
	PQ_DEV_DUPS,
	PQ_DEV_DUPS_OF,
	PQ_USER_INSERT,
	PQ_USER_PASSWD,
	PQ_USER_SET_OTP,
	PQ_USER_OTP_CONSUME,
	PQ_USER_DELETE,
	PQ_USER_LIST,
	PQ_USER_LIST_AFTER,
	PQ_USER_SHOW,
	PQ_USER_ID,
	PQ_USER_DOMAIN,
	PQ_USER_REREALM,
	PQ_PROFILE_INSERT,
	PQ_PROFILE_ID,
	PQ_PROFILE_MAXAGE,
	PQ_PROFILE_NOTIFY,
	PQ_PROFILE_CS,
	PQ_PROFILE_ENC,
	PQ_PROFILE_LIST,
	PQ_LINE_INSERT,
	PQ_LINE_NEXTPOS,
	PQ_LINE_DELETE,
	PQ_LINE_LIST,
	PQ_TPL_UPSERT,
	PQ_TPL_DELETE,
	PQ_TPL_LIST,
	PQ_VAR_UPSERT,
	PQ_VAR_DELETE,
	PQ_VAR_LIST,
	PQ_AUDIT_BEGIN,
	PQ_AUDIT_END,
	PQ_AUDIT_LIST,
	PQ_HISTORY,
	PQ_ENC_KEY,
	PQ_PATH_ADD,
	PQ_PATH_DELETE,
	PQ_PATH_LIST,
	PQ_TOKEN_ADD,
	PQ_TOKEN_DELETE,
	PQ_TOKEN_LIST,
	PQ_TOKEN_BY_HASH,
	PQ_TOKEN_USED,
	PQ_DOMAIN_LIST,
	PQ_DOMAIN_ID,
	PQ_DOMAIN_INSERT,
	PQ_DOMAIN_DELETE,
	/* bulk import and export (store_pg_bulk.c) */
	PQ_B_DOMAINS,
	PQ_B_PROFILES,
	PQ_B_DEV_GET,
	PQ_B_DEV_INSERT,
	PQ_B_USER_INSERT,
	PQ_B_LINES,
	PQ_B_VARS,
	PQ_B_MARK,
	PQ_B_MARKED,
	PQ_B_SWEEP,
	PQ_B_IDS,
	PQ_B_MAXPOS,
	PQ_B_VARNAMES,
	PQ_B_QUIET,
	PQ_B_LOUD,
	PQ_B_CHG_DEVICE,
	PQ_B_CHG_USER,
	PQ_B_CHG_VARS,
	PQ_B_CHG_ALL,
	PQ_B_AUDIT,
	PQ__COUNT
};

/* A device as an import or export sees it (struct store_bulk_device). */
#define STORE_PG_BULK_DEVICE_COLS "d.id, d.domain_id, dm.name, d.sfua_id, " \
	"coalesce(d.mac, ''), coalesce(d.vendor, ''), coalesce(d.model, ''), " \
	"coalesce(d.label, ''), d.state, coalesce(u.name, ''), " \
	"coalesce(p.name, '')"
#define STORE_PG_BULK_DEVICE_FROM " FROM devices d " \
	"JOIN domains dm ON dm.id = d.domain_id " \
	"LEFT JOIN users u ON u.id = d.user_id " \
	"LEFT JOIN profiles p ON p.id = d.profile_id "

/* The text of statement q; never NULL for q < PQ__COUNT. */
const char	*store_pg_sql(enum pq q);
/* The `device list` listing without WHERE and ORDER (store_pg_sql.c). */
extern const char store_pg_devlist[];

/* One connection (store.h): one thread at a time. */
struct store {
	const struct store_ops	*ops;	/* first: store.c finds it here */
	PGconn			*conn;
	unsigned char		 prepared[PQ__COUNT];
	/*
	 * In a transaction of the backend's own that any failure rolls
	 * back whole (a bookkeeping batch): no savepoint per write.
	 */
	int			 whole;
	/*
	 * Between store_begin() (or read_begin()) and its end: a broken
	 * connection is not made again under the caller's transaction.
	 */
	int			 in_tx;
	char			 setup[128];	/* the session's SETs, LISTEN */
	int			 listening;	/* LISTEN sipcfg_changes */
	uint64_t		 revive_ms;	/* the next try to reconnect */
	char			 err[256];
};

/*
 * Arguments by a format string, as store_sqlite.c binds them: 's' text
 * (NULL: NULL), 'S' text where "" is NULL, 'i' int64_t, 'I' int64_t
 * where < 0 is NULL, 'b' text and its length (const char *, size_t).
 */
/* Run q; a result of rows or of a command, else NULL (*rc, errmsg). */
PGresult	*store_pg_run(struct store *, enum store_rc *rc, enum pq q,
		    const char *fmt, ...);
/* Run q for no rows; with one, STORE_NOTFOUND when no row changed. */
enum store_rc	 store_pg_exec(struct store *, enum pq q, const char *fmt,
		    ...);
enum store_rc	 store_pg_exec_one(struct store *, enum pq q,
		    const char *fmt, ...);
/* Every row of q as a new JSON array of objects keyed by column. */
enum store_rc	 store_pg_rows(struct store *, json_t **out, enum pq q,
		    const char *fmt, ...);
/* The rows of a result as a new JSON array (NULL without memory). */
json_t		*store_pg_rows_json(const PGresult *);
json_t		*store_pg_row_json(const PGresult *, int row);
void		 store_pg_copy(const PGresult *, int row, int col, char *out,
		    size_t outlen);
int64_t		 store_pg_int(const PGresult *, int row, int col);
/* Map a failed result to a store_rc, with the reason in errmsg. */
enum store_rc	 store_pg_fail(struct store *, const PGresult *,
		    const char *what);

int		 store_pg_begin(struct store *);
int		 store_pg_commit(struct store *);
void		 store_pg_rollback(struct store *);
int		 store_pg_read_begin(struct store *);
void		 store_pg_read_end(struct store *);

/* store_pg_read.c and store_pg_notify.c, behind store.h's names. */
int64_t		 store_pg_scalar(struct store *, enum pq q);
int64_t		 store_pg_data_version(struct store *s);
enum store_rc	 store_pg_meta_get(struct store *s, const char *key,
		    char *out, size_t outlen);
enum store_rc	 store_pg_meta_set(struct store *s, const char *key,
		    const char *value);
time_t		 store_pg_last_delete(struct store *s);
enum store_rc	 store_pg_device_by_sfua(struct store *s, int64_t domain_id,
		    const char *sfua_id, struct store_device *d);
enum store_rc	 store_pg_device_by_mac(struct store *s, int64_t domain_id,
		    const char *mac, struct store_device *d);
enum store_rc	 store_pg_device_by_token(struct store *s,
		    const char *token, struct store_device *d);
enum store_rc	 store_pg_device_by_id(struct store *s, int64_t id,
		    struct store_device *d);
enum store_rc	 store_pg_user_by_name(struct store *s, const char *name,
		    struct store_user *u);
enum store_rc	 store_pg_device_lines(struct store *s, int64_t device_id,
		    json_t **lines, time_t *updated);
enum store_rc	 store_pg_template_select(struct store *s,
		    const char *vendor, const char *model,
		    const char *revision, struct store_template *t);
enum store_rc	 store_pg_template_by_name(struct store *s,
		    const char *name, struct store_template *t);
enum store_rc	 store_pg_vars_merge(struct store *s, const char *layer,
		    const char *scope, json_t *obj, time_t *updated,
		    store_unseal_fn unseal, void *arg);
int		 store_pg_seen_write(struct store *s, const struct store_seen *rec,
		    size_t n);
enum store_rc	 store_pg_device_enroll(struct store *s, int64_t domain_id,
		    const char *sfua_id, const char *mac,
		    const char *vendor, const char *model,
		    const char *addr);
enum store_rc	 store_pg_enrolled_count(struct store *s, const char *addr,
		    long long *total, long long *from_addr);
enum store_rc	 store_pg_enrolled_expire(struct store *s, time_t before,
		    long long *n);
int64_t		 store_pg_changes_head(struct store *s);
enum store_rc	 store_pg_changes_since(struct store *s, int64_t after,
		    struct store_change *c, size_t max, size_t *n);
enum store_rc	 store_pg_active_ids(struct store *s, int64_t after,
		    int64_t *ids, size_t max, size_t *n, int64_t *max_id);
enum store_rc	 store_pg_changes_prune(struct store *s, time_t before);
enum store_rc	 store_pg_notify_request(struct store *s,
		    int64_t device_id);
int		 store_pg_subs_write(struct store *s, const char *instance,
		    const struct store_sub *r, size_t n);
int		 store_pg_subs_clear(struct store *s, const char *instance);
enum store_rc	 store_pg_subs_list(struct store *s,
		    const struct store_subs_filter *f, json_t **out);
enum store_rc	 store_pg_checksync_devices(struct store *s, int64_t *ids,
		    size_t max, size_t *n);
enum store_rc	 store_pg_checksync_target(struct store *s, int64_t id,
		    struct store_checksync_target *t);
enum store_rc	 store_pg_checksync_request(struct store *s, int64_t id,
		    int reboot);
enum store_rc	 store_pg_path_rules(struct store *s,
		    struct store_path_rule *rule, size_t max, size_t *n);
enum store_rc	 store_pg_device_enc_cert(struct store *s, int64_t id,
		    char *pem, size_t pemlen);
enum store_rc	 store_pg_device_pin(struct store *s, int64_t device_id,
		    const char *sha256, const char *subject,
		    const char *addr, int may_pin,
		    enum store_pin_result *result);
enum store_rc	 store_pg_device_unpin(struct store *s, int64_t device_id);

/* Administration: store_pg_admin.c, behind the same names less pg_. */
enum store_rc	 store_pg_profile_ensure(struct store *, const char *,
		    int64_t *);
enum store_rc	 store_pg_profile_set_notify(struct store *, const char *,
		    const char *);
enum store_rc	 store_pg_profile_set_checksync(struct store *, const char *,
		    const char *);
enum store_rc	 store_pg_profile_set_enc(struct store *, const char *,
		    const char *);
enum store_rc	 store_pg_profile_set_max_age(struct store *, const char *,
		    int);
enum store_rc	 store_pg_profile_list(struct store *, json_t **);
enum store_rc	 store_pg_device_add(struct store *, const json_t *);
enum store_rc	 store_pg_device_update(struct store *, int64_t,
		    const json_t *);
enum store_rc	 store_pg_device_remove(struct store *, int64_t);
enum store_rc	 store_pg_device_list(struct store *, json_t **);
enum store_rc	 store_pg_device_each(struct store *,
		    const struct store_device_filter *,
		    int (*)(const json_t *, void *), void *);
enum store_rc	 store_pg_device_elsewhere(struct store *, int *);
enum store_rc	 store_pg_device_show(struct store *, int64_t, json_t **);
enum store_rc	 store_pg_device_duplicates(struct store *, json_t **);
enum store_rc	 store_pg_device_duplicates_of(struct store *, int64_t,
		    const char *, const char *, json_t **);
enum store_rc	 store_pg_device_set_key(struct store *, int64_t,
		    const char *);
enum store_rc	 store_pg_user_add(struct store *, const char *,
		    const char *, const char *, const char *);
enum store_rc	 store_pg_user_passwd(struct store *, const char *,
		    const char *, const char *, const char *, time_t);
enum store_rc	 store_pg_user_set_otp(struct store *, const char *,
		    const char *, const char *, time_t, time_t);
enum store_rc	 store_pg_user_otp_consume(struct store *, int64_t,
		    const char *, const char *, const char *, const char *,
		    time_t);
enum store_rc	 store_pg_user_remove(struct store *, const char *);
enum store_rc	 store_pg_user_list(struct store *,
		    const struct store_user_filter *, json_t **);
enum store_rc	 store_pg_user_set_domain(struct store *, const char *,
		    int64_t);
enum store_rc	 store_pg_users_rerealm(struct store *, int64_t,
		    const char *, const char *, int *);
enum store_rc	 store_pg_line_add(struct store *, int64_t, const json_t *);
enum store_rc	 store_pg_line_remove(struct store *, int64_t, int);
enum store_rc	 store_pg_line_list(struct store *, int64_t, json_t **);
enum store_rc	 store_pg_template_put(struct store *, const char *,
		    const char *, const char *, const char *, const char *,
		    const char *, size_t);
enum store_rc	 store_pg_template_remove(struct store *, const char *);
enum store_rc	 store_pg_template_list(struct store *, json_t **);
enum store_rc	 store_pg_var_set(struct store *, const char *, const char *,
		    const char *, const char *, int);
enum store_rc	 store_pg_var_unset(struct store *, const char *,
		    const char *, const char *);
enum store_rc	 store_pg_var_list(struct store *, const char *,
		    const char *, long long, long long, json_t **);
enum store_rc	 store_pg_audit_begin(struct store *, const char *,
		    const char *, int64_t *);
enum store_rc	 store_pg_audit_end(struct store *, int64_t);
enum store_rc	 store_pg_audit_list(struct store *, time_t, int, json_t **);
enum store_rc	 store_pg_device_history(struct store *, int64_t, int,
		    json_t **);
enum store_rc	 store_pg_path_rule_add(struct store *, const char *,
		    const char *, const char *, int);
enum store_rc	 store_pg_path_rule_remove(struct store *, const char *);
enum store_rc	 store_pg_path_rule_list(struct store *, json_t **);
enum store_rc	 store_pg_token_add(struct store *, const char *,
		    const char *, const char *, time_t);
enum store_rc	 store_pg_token_remove(struct store *, const char *);
enum store_rc	 store_pg_token_list(struct store *, json_t **);
enum store_rc	 store_pg_token_by_hash(struct store *, const char *,
		    struct store_token *);
enum store_rc	 store_pg_token_used(struct store *, int64_t, time_t);
enum store_rc	 store_pg_domain_list(struct store *, json_t **);
enum store_rc	 store_pg_domain_id(struct store *, const char *, int64_t *);
enum store_rc	 store_pg_domain_add(struct store *, const char *,
		    const json_t *, int64_t *);
enum store_rc	 store_pg_domain_update(struct store *, int64_t,
		    const json_t *);
enum store_rc	 store_pg_domain_remove(struct store *, const char *);
enum store_rc	 store_pg_checksync_list(struct store *, json_t **);
enum store_rc	 store_pg_checksync_set(struct store *, const char *,
		    const char *, const char *, int);

/*
 * Bulk import and export: store_pg_bulk.c; an import's rows:
 * store_pg_import.c.
 */
struct bulk_touched;
struct pg_import;
struct store_bulk {
	struct store		*s;	/* first: store.c finds it here */
	int			 quiet;
	/* The first STORE_BULK_CHANGES_MAX + 1 of ntouched. */
	struct bulk_touched	*touched;
	size_t			 ntouched, cap;
	struct pg_import	*im;	/* made by the first row */
};
/* A device of PQ_B_DEV_GET (STORE_PG_BULK_DEVICE_COLS) at row i. */
void		 store_pg_bulk_device_cols(const PGresult *, int i,
		    struct store_bulk_device *);
/* Send what an import staged; free what it keeps. */
enum store_rc	 store_pg_import_flush(struct store_bulk *);
void		 store_pg_import_free(struct store_bulk *);
enum store_rc	 store_pg_bulk_row(struct store_bulk *, long);
enum store_rc	 store_pg_bulk_sync(struct store_bulk *);
enum store_rc	 store_pg_bulk_user_get(struct store_bulk *, const char *,
		    struct store_user *);
enum store_rc	 store_pg_bulk_line_add(struct store_bulk *, int64_t,
		    const json_t *);
enum store_rc	 store_pg_bulk_var_set(struct store_bulk *, const char *,
		    const char *, const char *);
int		 store_pg_bulk_tune(struct store *);
struct store_bulk *store_pg_bulk_new(struct store *);
void		 store_pg_bulk_free(struct store_bulk *);
enum store_rc	 store_pg_bulk_domains(struct store_bulk *, json_t **);
enum store_rc	 store_pg_bulk_profiles(struct store_bulk *, json_t **);
enum store_rc	 store_pg_bulk_device_get(struct store_bulk *, int64_t,
		    const char *, struct store_bulk_device *);
enum store_rc	 store_pg_bulk_device_insert(struct store_bulk *,
		    const struct store_bulk_device *, int64_t, int64_t,
		    int64_t *);
enum store_rc	 store_pg_bulk_user_add(struct store_bulk *, const char *,
		    const char *, const char *, const char *, int64_t,
		    int64_t *);
enum store_rc	 store_pg_bulk_lines(struct store_bulk *, int64_t,
		    json_t **);
enum store_rc	 store_pg_bulk_vars(struct store_bulk *, const char *,
		    json_t **);
enum store_rc	 store_pg_bulk_mark(struct store_bulk *, char, int64_t,
		    const char *, long, long *);
enum store_rc	 store_pg_bulk_sweep(struct store_bulk *, long long *);
enum store_rc	 store_pg_bulk_quiet(struct store_bulk *);
enum store_rc	 store_pg_bulk_touch(struct store_bulk *,
		    enum store_bulk_touch, int64_t);
enum store_rc	 store_pg_bulk_summary(struct store_bulk *,
		    const struct store_bulk_summary *);
enum store_rc	 store_pg_bulk_ids(struct store_bulk *, int64_t, int64_t *,
		    size_t, size_t *);
enum store_rc	 store_pg_bulk_columns(struct store_bulk *, int *,
		    json_t **);
enum store_rc	 store_pg_table_each(struct store *, const char *,
		    const char *, int (*)(json_t *, void *), void *);
enum store_rc	 store_pg_table_put(struct store *, const char *,
		    const char *, const json_t *, const char *);
enum store_rc	 store_pg_table_ids(struct store *, const char *);
enum store_rc	 store_pg_bulk_export(struct store_bulk *, int,
		    store_bulk_fn, void *);

#endif
