/*
 * store_int.h: what the store's backends share with store.c and with
 * nothing else.  Every backend's struct store begins with a pointer to
 * its table of operations, and every backend's struct store_bulk with
 * the struct store it was made on, so that store.c dispatches a call of
 * store.h without knowing the backend (issue 13).  A backend leaves an
 * operation it cannot do yet NULL: the call then fails with STORE_ERROR
 * (or -1, or NULL) and store_errmsg() says "not supported on <backend>
 * yet: <function>".
 */
#ifndef SIPCFG_STORE_INT_H
#define SIPCFG_STORE_INT_H

#include "store.h"

struct store_ops {
	const char *name;	/* "SQLite", "PostgreSQL": for messages */
	/* Keep the reason of a failure for store_errmsg(). */
	void (*seterr)(struct store *st, const char *msg);
	void (*close)(struct store *st);
	const char *(*errmsg)(struct store *st);
	int (*schema_version)(struct store *st);
	int (*begin)(struct store *st);
	int (*commit)(struct store *st);
	void (*rollback)(struct store *st);
	int (*read_begin)(struct store *st);
	void (*read_end)(struct store *st);
	int (*mmap)(struct store *st, int64_t bytes);
	int (*cache)(struct store *st, int64_t bytes);
	int64_t (*data_version)(struct store *st);
	int (*listen)(struct store *st);
	int (*listen_fd)(struct store *st);
	int (*listen_take)(struct store *st);
	time_t (*last_delete)(struct store *st);
	enum store_rc (*meta_get)(struct store *st, const char *key,
	    char *out, size_t outlen);
	enum store_rc (*meta_set)(struct store *st, const char *key,
	    const char *value);
	enum store_rc (*device_by_sfua)(struct store *st, int64_t domain_id,
	    const char *sfua_id, struct store_device *d);
	enum store_rc (*device_by_mac)(struct store *st, int64_t domain_id,
	    const char *mac, struct store_device *d);
	enum store_rc (*user_by_name)(struct store *st, const char *name,
	    struct store_user *u);
	enum store_rc (*device_lines)(struct store *st, int64_t device_id,
	    json_t **lines, time_t *updated);
	enum store_rc (*template_select)(struct store *st,
	    const char *vendor, const char *model, const char *revision,
	    struct store_template *t);
	enum store_rc (*template_by_name)(struct store *st,
	    const char *name, struct store_template *t);
	enum store_rc (*vars_merge)(struct store *st, const char *layer,
	    const char *scope, json_t *obj, time_t *updated,
	    store_unseal_fn unseal, void *arg);
	enum store_rc (*device_by_token)(struct store *st,
	    const char *token, struct store_device *d);
	enum store_rc (*device_by_id)(struct store *st, int64_t id,
	    struct store_device *d);
	int64_t (*changes_head)(struct store *st);
	enum store_rc (*changes_since)(struct store *st, int64_t after,
	    struct store_change *c, size_t max, size_t *n);
	enum store_rc (*active_ids)(struct store *st, int64_t after,
	    int64_t *ids, size_t max, size_t *n, int64_t *max_id);
	enum store_rc (*changes_prune)(struct store *st, time_t before);
	enum store_rc (*notify_request)(struct store *st,
	    int64_t device_id);
	int (*subs_write)(struct store *st, const char *instance,
	    const struct store_sub *subs, size_t n);
	int (*subs_clear)(struct store *st, const char *instance);
	enum store_rc (*subs_list)(struct store *st,
	    const struct store_subs_filter *f, json_t **out);
	enum store_rc (*profile_set_notify)(struct store *st,
	    const char *name, const char *mode);
	enum store_rc (*checksync_devices)(struct store *st, int64_t *ids,
	    size_t max, size_t *n);
	enum store_rc (*checksync_target)(struct store *st,
	    int64_t device_id, struct store_checksync_target *t);
	enum store_rc (*checksync_request)(struct store *st,
	    int64_t device_id, int reboot);
	enum store_rc (*checksync_list)(struct store *st, json_t **out);
	enum store_rc (*checksync_set)(struct store *st, const char *vendor,
	    const char *event, const char *reboot_event, int enabled);
	enum store_rc (*profile_set_checksync)(struct store *st,
	    const char *name, const char *mode);
	enum store_rc (*device_enc_cert)(struct store *st, int64_t id,
	    char *pem, size_t pemlen);
	enum store_rc (*device_set_key)(struct store *st, int64_t id,
	    const char *sealed);
	enum store_rc (*profile_set_enc)(struct store *st, const char *name,
	    const char *mode);
	enum store_rc (*audit_begin)(struct store *st, const char *who,
	    const char *command, int64_t *session);
	enum store_rc (*audit_end)(struct store *st, int64_t session);
	enum store_rc (*audit_list)(struct store *st, time_t since,
	    int limit, json_t **out);
	enum store_rc (*device_history)(struct store *st, int64_t device_id,
	    int limit, json_t **out);
	enum store_rc (*path_rules)(struct store *st,
	    struct store_path_rule *r, size_t max, size_t *n);
	enum store_rc (*path_rule_add)(struct store *st,
	    const char *pattern, const char *vendor,
	    const char *template_name, int plain);
	enum store_rc (*path_rule_remove)(struct store *st,
	    const char *pattern);
	enum store_rc (*path_rule_list)(struct store *st, json_t **out);
	enum store_rc (*token_add)(struct store *, const char *name,
	    const char *scope, const char *sha256, time_t expires);
	enum store_rc (*token_remove)(struct store *, const char *name);
	enum store_rc (*token_list)(struct store *, json_t **);
	enum store_rc (*token_by_hash)(struct store *, const char *sha256,
	    struct store_token *);
	enum store_rc (*token_used)(struct store *, int64_t id, time_t now);
	int (*seen_write)(struct store *st, const struct store_seen *r,
	    size_t n);
	enum store_rc (*device_enroll)(struct store *st, int64_t domain_id,
	    const char *sfua_id, const char *mac, const char *vendor,
	    const char *model, const char *addr);
	enum store_rc (*enrolled_count)(struct store *st, const char *addr,
	    long long *total, long long *from_addr);
	enum store_rc (*enrolled_expire)(struct store *st, time_t before,
	    long long *n);
	enum store_rc (*domain_list)(struct store *st, json_t **out);
	enum store_rc (*domain_id)(struct store *st, const char *name,
	    int64_t *id);
	enum store_rc (*domain_add)(struct store *st, const char *name,
	    const json_t *fields, int64_t *id);
	enum store_rc (*domain_update)(struct store *st, int64_t id,
	    const json_t *fields);
	enum store_rc (*domain_remove)(struct store *st, const char *name);
	enum store_rc (*user_set_domain)(struct store *st, const char *name,
	    int64_t domain_id);
	enum store_rc (*users_rerealm)(struct store *st, int64_t domain_id,
	    const char *from, const char *to, int *n);
	enum store_rc (*device_duplicates)(struct store *st, json_t **out);
	enum store_rc (*device_duplicates_of)(struct store *st,
	    int64_t domain_id, const char *sfua_id, const char *mac,
	    json_t **out);
	enum store_rc (*device_pin)(struct store *st, int64_t device_id,
	    const char *sha256, const char *subject, const char *addr,
	    int may_pin, enum store_pin_result *res);
	enum store_rc (*device_unpin)(struct store *st, int64_t device_id);
	enum store_rc (*device_add)(struct store *st, const json_t *fields);
	enum store_rc (*device_update)(struct store *st, int64_t id,
	    const json_t *fields);
	enum store_rc (*device_remove)(struct store *st, int64_t id);
	enum store_rc (*device_list)(struct store *st, json_t **out);
	enum store_rc (*device_each)(struct store *st,
	    const struct store_device_filter *f,
	    int (*fn)(const json_t *row, void *arg), void *arg);
	enum store_rc (*device_elsewhere)(struct store *st, int *yes);
	enum store_rc (*device_show)(struct store *st, int64_t id,
	    json_t **out);
	enum store_rc (*user_add)(struct store *st, const char *name,
	    const char *realm, const char *ha1_md5, const char *ha1_sha256);
	enum store_rc (*user_passwd)(struct store *st, const char *name,
	    const char *ha1_md5, const char *ha1_sha256, const char *sealed,
	    time_t old_until);
	enum store_rc (*user_set_otp)(struct store *st, const char *name,
	    const char *ha1_md5, const char *ha1_sha256, time_t not_before,
	    time_t not_after);
	enum store_rc (*user_otp_consume)(struct store *st, int64_t id,
	    const char *otp_md5, const char *ha1_md5,
	    const char *ha1_sha256, const char *sealed, time_t now);
	enum store_rc (*user_remove)(struct store *st, const char *name);
	enum store_rc (*user_list)(struct store *st,
	    const struct store_user_filter *f, json_t **out);
	enum store_rc (*profile_ensure)(struct store *st, const char *name,
	    int64_t *id);
	enum store_rc (*profile_set_max_age)(struct store *st,
	    const char *name, int max_age);
	enum store_rc (*profile_list)(struct store *st, json_t **out);
	enum store_rc (*line_add)(struct store *st, int64_t device_id,
	    const json_t *fields);
	enum store_rc (*line_remove)(struct store *st, int64_t device_id,
	    int position);
	enum store_rc (*line_list)(struct store *st, int64_t device_id,
	    json_t **out);
	enum store_rc (*template_put)(struct store *st, const char *name,
	    const char *vendor, const char *model, const char *revision,
	    const char *content_type, const char *body, size_t len);
	enum store_rc (*template_remove)(struct store *st,
	    const char *name);
	enum store_rc (*template_list)(struct store *st, json_t **out);
	enum store_rc (*var_set)(struct store *st, const char *layer,
	    const char *scope, const char *name, const char *json,
	    int secret);
	enum store_rc (*var_unset)(struct store *st, const char *layer,
	    const char *scope, const char *name);
	enum store_rc (*var_list)(struct store *st, const char *layer,
	    const char *scope, long long limit, long long offset,
	    json_t **out);
	int (*bulk_tune)(struct store *st);
	struct store_bulk *(*bulk_new)(struct store *st);
	void (*bulk_free)(struct store_bulk *b);
	enum store_rc (*bulk_domains)(struct store_bulk *b, json_t **out);
	enum store_rc (*bulk_profiles)(struct store_bulk *b, json_t **out);
	enum store_rc (*bulk_device_get)(struct store_bulk *b,
	    int64_t domain_id, const char *sfua_id,
	    struct store_bulk_device *d);
	enum store_rc (*bulk_device_insert)(struct store_bulk *b,
	    const struct store_bulk_device *d, int64_t user_id,
	    int64_t profile_id, int64_t *id);
	enum store_rc (*bulk_user_add)(struct store_bulk *b,
	    const char *name, const char *realm, const char *ha1_md5,
	    const char *ha1_sha256, int64_t domain_id, int64_t *id);
	enum store_rc (*bulk_lines)(struct store_bulk *b, int64_t device_id,
	    json_t **out);
	enum store_rc (*bulk_vars)(struct store_bulk *b,
	    const char *sfua_id, json_t **out);
	enum store_rc (*bulk_mark)(struct store_bulk *b, char kind,
	    int64_t id, const char *name, long line, long *first);
	enum store_rc (*bulk_sweep)(struct store_bulk *b, long long *n);
	/* NULL: nothing staged (row, sync) or store.h's own call. */
	enum store_rc (*bulk_row)(struct store_bulk *b, long line);
	enum store_rc (*bulk_sync)(struct store_bulk *b);
	enum store_rc (*bulk_user_get)(struct store_bulk *b, const char *name,
	    struct store_user *u);
	enum store_rc (*bulk_line_add)(struct store_bulk *b,
	    int64_t device_id, const json_t *fields);
	enum store_rc (*bulk_var_set)(struct store_bulk *b,
	    const char *sfua_id, const char *name, const char *json);
	enum store_rc (*bulk_quiet)(struct store_bulk *b);
	enum store_rc (*bulk_touch)(struct store_bulk *b,
	    enum store_bulk_touch what, int64_t id);
	enum store_rc (*bulk_summary)(struct store_bulk *b,
	    const struct store_bulk_summary *m);
	enum store_rc (*bulk_ids)(struct store_bulk *b, int64_t after,
	    int64_t *ids, size_t max, size_t *n);
	enum store_rc (*bulk_columns)(struct store_bulk *b,
	    int *max_position, json_t **names);
	enum store_rc (*table_each)(struct store *st, const char *table,
	    const char *key, int (*fn)(json_t *row, void *arg), void *arg);
	enum store_rc (*table_put)(struct store *st, const char *table,
	    const char *key, const json_t *row, const char *sql);
	enum store_rc (*table_ids)(struct store *st, const char *table);
	enum store_rc (*bulk_export)(struct store_bulk *b, int secrets,
	    store_bulk_fn fn, void *arg);
};

/* The head of every backend's struct store and struct store_bulk. */
struct store_head {
	const struct store_ops	*ops;
};
struct store_bulk_head {
	struct store		*st;
};


/* The backends' constructors (store_open() chooses one by the name). */
struct store	*store_sqlite_open(const char *path, int flags, int busy_ms,
		    char *err, size_t errlen);
int		 store_sqlite_bulk_init(void);
struct store	*store_pg_open(const char *uri, int flags, int busy_ms,
		    char *err, size_t errlen);

#endif
