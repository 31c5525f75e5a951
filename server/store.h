/*
 * store: the configuration store interface.
 *
 * Everything the daemon and the CLI know about devices, users, lines,
 * templates and variables comes through these functions.  No SQLite type
 * appears here, so another backend (PostgreSQL with LISTEN/NOTIFY) can
 * implement the same header.  Structured results are jansson values or
 * fixed-size structs; nothing points into backend memory after a call.
 *
 * A struct store is one connection and is used by one thread at a time:
 * each HTTP worker opens its own (BRIEF.md §4).
 */
#ifndef SIPCFG_STORE_H
#define SIPCFG_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#define STORE_SCHEMA_VERSION	9

enum store_rc {
	STORE_OK = 0,
	STORE_NOTFOUND,		/* a lookup that missed: not an error */
	STORE_EXISTS,		/* unique constraint */
	STORE_INVALID,		/* a CHECK or foreign key refused the value */
	STORE_BUSY,		/* locked past the busy timeout */
	STORE_AMBIGUOUS,	/* a lookup in any domain matched several */
	STORE_ERROR		/* anything else; store_errmsg() says what */
};

enum store_open_flags {
	STORE_RDWR	= 0,
	STORE_CREATE	= 1 << 0,	/* create and initialise if missing */
	STORE_READONLY	= 1 << 1,
	STORE_NOMIGRATE	= 1 << 2	/* read-write, but never create or
					   migrate a schema (the daemon's
					   request path) */
};

enum device_state { DEVICE_ACTIVE, DEVICE_PENDING, DEVICE_DISABLED };

/* RFC 6011 §2.5: subscription (monitor Link) or polling (max-age only). */
enum notify_mode { NOTIFY_INHERIT = -1, NOTIFY_POLL = 0, NOTIFY_SUBSCRIBE = 1 };

/* RFC 6011 §2.4.1: what a client certificate means (domain, device). */
enum client_cert_policy {
	CLIENT_CERT_INHERIT = -1,	/* a device: its domain's */
	CLIENT_CERT_OPTIONAL,	/* validated or pinned when presented */
	CLIENT_CERT_REQUIRED,	/* no certificate: 403 */
	CLIENT_CERT_IGNORE	/* not asked for, not looked at */
};

/* The domain every store has (no SNI, or a name no domain has). */
#define STORE_DEFAULT_DOMAIN	1

#define STORE_TOKEN_SIZE	33	/* 32 hex + NUL */

#define STORE_SFUA_ID_MAX	256
#define STORE_NAME_MAX		256

struct store;

/* What the resource module needs to know about one device. */
struct store_device {
	int64_t			 id;
	char			 sfua_id[STORE_SFUA_ID_MAX];
	char			 mac[13];		/* "" when unknown */
	char			 vendor[STORE_NAME_MAX];
	char			 model[STORE_NAME_MAX];
	char			 revision[STORE_NAME_MAX];	/* last seen */
	char			 label[STORE_NAME_MAX];
	enum device_state	 state;
	int64_t			 user_id;		/* 0 when unassigned */
	char			 user[STORE_NAME_MAX];
	char			 profile[STORE_NAME_MAX];
	int			 max_age;		/* -1: not set */
	int			 profile_max_age;	/* -1: not set */
	time_t			 updated;	/* max over device, user, profile */
	int64_t			 profile_id;		/* 0 when none */
	char			 monitor_token[STORE_TOKEN_SIZE]; /* "" if none */
	enum notify_mode	 notify_mode;	/* device's, else profile's */
	char			 enc_mode[20];	/* device's, else profile's; "" */
	char			 enc_key_sealed[160];	/* "" = no key */
	int64_t			 domain_id;
	enum client_cert_policy	 client_cert;	/* the device's own */
	int			 has_pin;	/* a TOFU pin (RFC 6011 §2.4.1) */
};

/* A sealed secret (seal.h) as the store keeps it, NUL included. */
#define STORE_SEALED_MAX	512

/*
 * A user (an RFC 6011 sfua-user).  RFC 6011 §5 bootstrap and rotation:
 * with otp set, ha1_* are a one-time password's, good inside
 * [otp_not_before, otp_not_after] (0: open); old_ha1_* ("" when none)
 * are the previous password's, still good until old_until.
 */
struct store_user {
	int64_t	 id;
	char	 name[STORE_NAME_MAX];
	char	 realm[STORE_NAME_MAX];
	char	 ha1_md5[33];
	char	 ha1_sha256[65];
	int64_t	 domain_id;
	int	 otp;
	time_t	 otp_not_before;
	time_t	 otp_not_after;
	/* The long-term password, sealed for templates; "" when none. */
	char	 password_sealed[STORE_SEALED_MAX];
	char	 old_ha1_md5[33];
	char	 old_ha1_sha256[65];
	time_t	 old_until;
	time_t	 updated;
};

/* A selected template; body and content_type are malloc'd by the store. */
struct store_template {
	char	 name[STORE_NAME_MAX];
	char	*content_type;
	char	*body;
	size_t	 bodylen;
	time_t	 updated;
};

/* Fetch bookkeeping for one response, queued off the hot path. */
struct store_seen {
	int64_t	 device_id;
	time_t	 when;
	char	 etag[80];
	char	 addr[64];
	char	 ua[256];
	char	 revision[STORE_NAME_MAX];
	/* What the User-Agent says (useragent.h); "" when unknown. */
	char	 ua_vendor[64];
	char	 ua_model[64];
	char	 ua_firmware[64];
	int	 secrets;	/* the answer carried secrets (a full one) */
};

/* A vendor file path rule (vpath.h); vendor/template "" when NULL. */
struct store_path_rule {
	int64_t	 id;
	char	 pattern[128];
	char	 vendor[STORE_NAME_MAX];
	char	 template_name[65];
	int	 plain;		/* never encrypted (a bootstrap file) */
};

/*
 * Open (and with STORE_CREATE, create and migrate) the store named: a
 * libpq URI (postgresql://... or postgres://...) is a PostgreSQL
 * database, anything else the path of a SQLite file.  On failure returns
 * NULL and puts a one-line reason in err.  Free with store_close().
 */
struct store	*store_open(const char *name, int flags, int busy_ms,
		    char *err, size_t errlen);
/* 1 when name is a PostgreSQL URI, else 0 (a SQLite path). */
int		 store_is_pg(const char *name);
/* The name with a URI's password replaced by "***", for logs. */
void		 store_name_safe(const char *name, char *out, size_t outlen);
void		 store_close(struct store *);
const char	*store_errmsg(struct store *);
int		 store_schema_version(struct store *);

/* Transactions (BEGIN IMMEDIATE for writers). */
int		 store_begin(struct store *);
int		 store_commit(struct store *);
void		 store_rollback(struct store *);
/*
 * A read transaction (BEGIN DEFERRED): the reads between see one
 * snapshot and take the file's locks once (issue 11).  Never around a
 * write.
 */
int		 store_read_begin(struct store *);
void		 store_read_end(struct store *);
/* SQLite memory-mapped I/O of up to bytes of the file (0: off). */
int		 store_mmap(struct store *, int64_t bytes);
/* The connection's page cache, in bytes (PRAGMA cache_size). */
int		 store_cache(struct store *, int64_t bytes);

/* Changes whenever another connection committed (PRAGMA data_version). */
int64_t		 store_data_version(struct store *);
/*
 * Commits pushed by the database (issue 13).  store_listen() makes this
 * connection hear every commit that writes the change log: PostgreSQL's
 * LISTEN sipcfg_changes, issued again whenever the connection is made
 * again.  0, or -1 where the backend has no push (SQLite: its file is
 * watched instead, feed.h).  store_listen_fd() is the descriptor to
 * poll(2) for input, -1 while the connection is down.
 * store_listen_take() reads what arrived without waiting: the number of
 * commits announced (0: none), or -1 while the database cannot be
 * reached (each call past a second tries to connect again; a caller
 * that was told -1 reads the change log from where it stopped once the
 * call returns >= 0 again).
 */
int		 store_listen(struct store *);
int		 store_listen_fd(struct store *);
int		 store_listen_take(struct store *);
/* Time of the last deletion of anything a configuration is rendered from. */
time_t		 store_last_delete(struct store *);

enum store_rc	 store_meta_get(struct store *, const char *key, char *out,
		    size_t outlen);
enum store_rc	 store_meta_set(struct store *, const char *key,
		    const char *value);

/*
 * Device lookups in a domain (0: any; found in several is
 * STORE_AMBIGUOUS): by sfua-id (exact) or by MAC (12 lower-case hex).
 */
enum store_rc	 store_device_by_sfua(struct store *, int64_t domain_id,
		    const char *sfua_id, struct store_device *);
enum store_rc	 store_device_by_mac(struct store *, int64_t domain_id,
		    const char *mac, struct store_device *);
enum store_rc	 store_user_by_name(struct store *, const char *name,
		    struct store_user *);

/*
 * The lines of a device as a new JSON array (caller json_decref()s it),
 * ordered by position; *updated is raised to the newest row's time.
 */
enum store_rc	 store_device_lines(struct store *, int64_t device_id,
		    json_t **lines, time_t *updated);
/*
 * The most specific template for (vendor, model, revision): a template's
 * non-NULL match fields must all equal the device's; vendor outweighs
 * model outweighs revision.  Free with store_template_clear().
 */
enum store_rc	 store_template_select(struct store *, const char *vendor,
		    const char *model, const char *revision,
		    struct store_template *);
enum store_rc	 store_template_by_name(struct store *, const char *name,
		    struct store_template *);
void		 store_template_clear(struct store_template *);
/*
 * Opens a secret variable: sealed is the text the store keeps (seal.h);
 * returns a new JSON value, or NULL when it cannot be opened.
 */
typedef json_t	*(*store_unseal_fn)(void *arg, const char *sealed);
/*
 * Merge the variables of one layer/scope into obj (deep merge, later
 * wins); *updated is raised to the newest row's time.  A secret
 * variable's value is what unseal(arg, ...) gives; with a NULL unseal,
 * or when it returns NULL, it is "".
 */
enum store_rc	 store_vars_merge(struct store *, const char *layer,
		    const char *scope, json_t *obj, time_t *updated,
		    store_unseal_fn unseal, void *arg);

/* ------------------------------------------------------- the notifier */

/* The device whose monitor URI carries token (RFC 5989 §3). */
enum store_rc	 store_device_by_token(struct store *, const char *token,
		    struct store_device *);
enum store_rc	 store_device_by_id(struct store *, int64_t id,
		    struct store_device *);

/*
 * The change log (filled by triggers, whoever writes the store), read as
 * typed records: the hint strings the triggers write ("device:ID",
 * "user:ID", "profile:ID", "template:ID", "var:LAYER:SCOPE", "domain:ID",
 * "pin:ID", "notify:ID", "notify:*", "checksync", "checksync-now:ID",
 * "checksync-reboot:ID", "all") are parsed here, in the store module, and
 * nowhere else.  What a change touches is decided by touch.h.
 */
enum store_change_kind {
	CHG_UNKNOWN = 0,	/* a hint this build cannot read: logged */
	CHG_DEVICE,		/* id: a device or one of its lines */
	CHG_USER,		/* id */
	CHG_PROFILE,		/* id */
	CHG_TEMPLATE,		/* id */
	CHG_VAR,		/* layer and scope */
	CHG_DOMAIN,		/* id: a CS domain (its realm, policy) */
	CHG_PIN,		/* id: a device's certificate pin, no answer */
	CHG_ALL,		/* the realm, a path rule: every answer */
	CHG_NOTIFY,		/* id: operator asks to notify one device */
	CHG_NOTIFY_ALL,		/* operator asks to notify every device */
	CHG_CHECKSYNC,		/* which devices are in check-sync mode */
	CHG_CHECKSYNC_NOW,	/* id: push a check-sync now */
	CHG_CHECKSYNC_REBOOT	/* id: push a check-sync that reboots */
};
enum store_var_layer {
	VAR_GLOBAL, VAR_VENDOR, VAR_MODEL, VAR_PROFILE, VAR_USER, VAR_DEVICE
};
#define STORE_HINT_SIZE	(STORE_SFUA_ID_MAX + 32)
struct store_change {
	int64_t			 seq;
	enum store_change_kind	 kind;
	int64_t			 id;		/* 0 when the kind has none */
	enum store_var_layer	 layer;		/* CHG_VAR */
	char			 scope[STORE_SFUA_ID_MAX + 8]; /* CHG_VAR */
	char			 hint[STORE_HINT_SIZE];	/* as written */
};
/* Parses one hint as written by the triggers (above) into c. */
void		 store_change_parse(const char *hint, struct store_change *c);
/* The newest seq (0 for an empty log). */
int64_t		 store_changes_head(struct store *);
/* Up to max changes after seq `after`, oldest first, count in *n. */
enum store_rc	 store_changes_since(struct store *, int64_t after,
		    struct store_change *, size_t max, size_t *n);
/*
 * Up to max ids of active devices after `after`, in order (the answer
 * cache's warmer); with max_id, the highest device id too.
 */
enum store_rc	 store_active_ids(struct store *, int64_t after, int64_t *ids,
		    size_t max, size_t *n, int64_t *max_id);
/* Drop change rows older than `before`. */
enum store_rc	 store_changes_prune(struct store *, time_t before);
/* Ask every notifier to re-send current state (device_id < 0: all). */
enum store_rc	 store_notify_request(struct store *, int64_t device_id);

/* One held subscription, as the notifier reports it for `sipcfg subs`. */
struct store_sub {
	int64_t	 local_id;
	int64_t	 device_id;
	char	 uri[256];
	char	 transport[8];
	char	 source[80];
	char	 contact[256];
	time_t	 created;
	time_t	 expires;
	time_t	 last_notify;		/* 0: none yet */
	char	 last_etag[48];
	unsigned notifies;
	int	 gone;			/* delete the row */
};
/* Upsert (or delete, for gone ones) n rows of instance in one transaction. */
int		 store_subs_write(struct store *, const char *instance,
		    const struct store_sub *, size_t n);
/* Forget every row of instance (start-up and clean shutdown). */
int		 store_subs_clear(struct store *, const char *instance);
/*
 * Which live subscriptions (expiring after now) store_subs_list() gives
 * as a JSON array: device_id >= 0 that device's, else all of them, in
 * the order of their key (instance, local id), which a row gives as its
 * "id", "instance/local-id".  after_instance (NULL: from the first) and
 * after_local take those after a key (keyset pagination, one index seek
 * at any depth).  limit < 0: no limit.
 */
struct store_subs_filter {
	int64_t		 device_id;
	time_t		 now;
	const char	*after_instance;
	int64_t		 after_local;
	long long	 limit;
	long long	 offset;
};
enum store_rc	 store_subs_list(struct store *,
		    const struct store_subs_filter *, json_t **);
enum store_rc	 store_profile_set_notify(struct store *, const char *name,
		    const char *mode);

/* Legacy check-sync push (BRIEF.md §3): where and how to send one. */
struct store_checksync_target {
	char	 contact[256];		/* "" = the AOR */
	char	 aor[256];
	char	 username[128];
	char	 realm[128];
	char	 ha1[33];
	char	 proxy[256];		/* "" = none */
	char	 event[64];
	char	 reboot_event[64];
};
/* The active devices in check-sync mode (device, profile, vendor). */
enum store_rc	 store_checksync_devices(struct store *, int64_t *ids,
		    size_t max, size_t *n);
/* STORE_NOTFOUND when the device has no line to address it by. */
enum store_rc	 store_checksync_target(struct store *, int64_t device_id,
		    struct store_checksync_target *);
/* Ask the notifiers for one now (reboot: the vendor's reboot event). */
enum store_rc	 store_checksync_request(struct store *, int64_t device_id,
		    int reboot);
enum store_rc	 store_checksync_list(struct store *, json_t **);
enum store_rc	 store_checksync_set(struct store *, const char *vendor,
		    const char *event, const char *reboot_event, int enabled);
enum store_rc	 store_profile_set_checksync(struct store *, const char *name,
		    const char *mode);

/* Encrypted configuration files: the device's certificate (PEM), key. */
enum store_rc	 store_device_enc_cert(struct store *, int64_t id, char *pem,
		    size_t pemlen);
enum store_rc	 store_device_set_key(struct store *, int64_t id,
		    const char *sealed);
enum store_rc	 store_profile_set_enc(struct store *, const char *name,
		    const char *mode);

/*
 * The audit trail (issue 6).  A `sipcfg` write opens a session (who, the
 * command) inside its transaction; the triggers tie each row they write
 * to it; it is closed before the commit.
 */
enum store_rc	 store_audit_begin(struct store *, const char *who,
		    const char *command, int64_t *session);
enum store_rc	 store_audit_end(struct store *, int64_t session);
/* Newest first; since: unix time (0 = all); limit > 0. */
enum store_rc	 store_audit_list(struct store *, time_t since, int limit,
		    json_t **);
/* A device's changes and the answers it was served, newest first. */
enum store_rc	 store_device_history(struct store *, int64_t device_id,
		    int limit, json_t **);

/*
 * Bearer tokens of the admin API (issue 14 §2): each kept as the
 * SHA-256 (64 hex digits) of the token, never the token.
 */
struct store_token {
	int64_t		 id;
	char		 name[65];
	char		 scope[8];		/* "read" or "write" */
	time_t		 expires;		/* 0: never */
	time_t		 last_used;		/* 0: never */
};
enum store_rc	 store_token_add(struct store *, const char *name,
		    const char *scope, const char *sha256, time_t expires);
enum store_rc	 store_token_remove(struct store *, const char *name);
enum store_rc	 store_token_list(struct store *, json_t **);
enum store_rc	 store_token_by_hash(struct store *, const char *sha256,
		    struct store_token *);
enum store_rc	 store_token_used(struct store *, int64_t id, time_t now);

/* Vendor file path rules: all of them (at most max), by id. */
enum store_rc	 store_path_rules(struct store *, struct store_path_rule *,
		    size_t max, size_t *n);
enum store_rc	 store_path_rule_add(struct store *, const char *pattern,
		    const char *vendor, const char *template_name, int plain);
enum store_rc	 store_path_rule_remove(struct store *, const char *pattern);
enum store_rc	 store_path_rule_list(struct store *, json_t **);

/* Bookkeeping: write n records in one transaction. */
int		 store_seen_write(struct store *, const struct store_seen *,
		    size_t n);
/*
 * Enroll an unknown device as pending, from client address addr (kept as
 * enrolled_from); STORE_EXISTS if a racer did.
 */
enum store_rc	 store_device_enroll(struct store *, int64_t domain_id,
		    const char *sfua_id, const char *mac, const char *vendor,
		    const char *model, const char *addr);
/*
 * The pending devices sipcfgd enrolled: all of them (*total) and those
 * enrolled from addr (*from_addr; addr NULL: not counted).
 */
enum store_rc	 store_enrolled_count(struct store *, const char *addr,
		    long long *total, long long *from_addr);
/*
 * Remove the pending devices sipcfgd enrolled that were last seen (or,
 * never fetched since, enrolled) before `before`; *n says how many.
 */
enum store_rc	 store_enrolled_expire(struct store *, time_t before,
		    long long *n);

/*
 * RFC 6011 §2.4.1 domains.  store_domain_list: every domain as a JSON
 * array (id, name, realm, cert_file, key_file, ca_file, base_url,
 * client_cert, tofu, devices, users).  Setters take a JSON object of
 * fields (the names of the list's columns); cert_file and key_file go
 * together.  The default domain (id 1) cannot be removed; a domain with
 * devices or users cannot either (STORE_INVALID).
 */
enum store_rc	 store_domain_list(struct store *, json_t **);
enum store_rc	 store_domain_id(struct store *, const char *name,
		    int64_t *id);
enum store_rc	 store_domain_add(struct store *, const char *name,
		    const json_t *fields, int64_t *id);
enum store_rc	 store_domain_update(struct store *, int64_t id,
		    const json_t *fields);
enum store_rc	 store_domain_remove(struct store *, const char *name);
enum store_rc	 store_user_set_domain(struct store *, const char *name,
		    int64_t domain_id);
/*
 * A realm changed: users of domain_id (0: of the domains that use the
 * store's realm) whose realm is from get realm to; their HA1s are then
 * stale until their passwords are set again.  *n: how many.
 */
enum store_rc	 store_users_rerealm(struct store *, int64_t domain_id,
		    const char *from, const char *to, int *n);
/* Devices whose sfua-id or MAC is also in another domain. */
enum store_rc	 store_device_duplicates(struct store *, json_t **);
/*
 * The devices outside domain_id with this sfua-id or this MAC ("": no
 * MAC), as store_device_duplicates() rows; by index, for `device add`.
 */
enum store_rc	 store_device_duplicates_of(struct store *, int64_t domain_id,
		    const char *sfua_id, const char *mac, json_t **);

/* Trust on first use of a client certificate (RFC 6011 §2.4.1). */
enum store_pin_result {
	PIN_NONE,	/* the device has no pin (and none was made) */
	PIN_NEW,	/* this certificate is now the device's pin */
	PIN_MATCH,	/* the device's pin is this certificate */
	PIN_MISMATCH	/* the device is pinned to another certificate */
};
enum store_rc	 store_device_pin(struct store *, int64_t device_id,
		    const char *sha256, const char *subject, const char *addr,
		    int may_pin, enum store_pin_result *);
/* STORE_NOTFOUND when the device had no pin. */
enum store_rc	 store_device_unpin(struct store *, int64_t device_id);

/*
 * Administration (the CLI).  Listing and showing return new JSON values
 * (caller json_decref()s).  Setters take a JSON object of fields to
 * change; unknown fields are STORE_INVALID with a reason in errmsg.
 */
enum store_rc	 store_device_add(struct store *, const json_t *fields);
enum store_rc	 store_device_update(struct store *, int64_t id,
		    const json_t *fields);
enum store_rc	 store_device_remove(struct store *, int64_t id);
enum store_rc	 store_device_list(struct store *, json_t **);
/*
 * `device list` at any size (issue 11): the rows of store_device_list()
 * that pass every filter given, in id order, one at a time.  Each filter
 * is a fixed clause with a bound parameter.  fn gets each row (borrowed:
 * freed when fn returns) and returns 0 to go on; anything else stops the
 * listing with STORE_ERROR.
 */
struct store_device_filter {
	const char	*vendor, *model, *state;	/* NULL: any */
	const char	*user;			/* a user's name; NULL: any */
	time_t		 not_seen_since;	/* 0: any; else a device whose
						   last fetch is older, or
						   that never fetched */
	long long	 limit;			/* < 0: no limit */
	long long	 offset;
	/*
	 * > 0: only devices whose id is greater (keyset pagination: the
	 * last id of a page gives the next one, at the cost of one index
	 * seek however deep the page, where an offset walks past every row
	 * before it).
	 */
	int64_t		 after_id;
};
enum store_rc	 store_device_each(struct store *,
		    const struct store_device_filter *,
		    int (*fn)(const json_t *row, void *arg), void *arg);
/* *yes: whether a device is in another domain than the default one. */
enum store_rc	 store_device_elsewhere(struct store *, int *yes);
enum store_rc	 store_device_show(struct store *, int64_t id, json_t **);

enum store_rc	 store_user_add(struct store *, const char *name,
		    const char *realm, const char *ha1_md5,
		    const char *ha1_sha256);
/*
 * A new password (RFC 6011 §5 rotation): its HA1s, and its sealed copy
 * for templates (NULL or "": none).  With old_until > 0 the current
 * HA1s stay good as the old password until then (unless they are a
 * one-time password's), else they go at once.  Ends a one-time password.
 */
enum store_rc	 store_user_passwd(struct store *, const char *name,
		    const char *ha1_md5, const char *ha1_sha256,
		    const char *sealed, time_t old_until);
/*
 * A one-time password's HA1s, good inside [not_before, not_after]
 * (0: open); the long-term and old passwords go.
 */
enum store_rc	 store_user_set_otp(struct store *, const char *name,
		    const char *ha1_md5, const char *ha1_sha256,
		    time_t not_before, time_t not_after);
/*
 * The first use of user id's one-time password (whose MD5 HA1 is
 * otp_md5, inside its window at now): one statement replaces it with the
 * long-term password (HA1s and sealed copy).  STORE_OK when this call
 * did; STORE_NOTFOUND when it was no longer there (used by a concurrent
 * request, replaced, expired).
 */
enum store_rc	 store_user_otp_consume(struct store *, int64_t id,
		    const char *otp_md5, const char *ha1_md5,
		    const char *ha1_sha256, const char *sealed, time_t now);
enum store_rc	 store_user_remove(struct store *, const char *name);
/*
 * Which users store_user_list() gives, in name order.  name: that one
 * only (its row, as a list gives it; none when there is no such user).
 * after: only names that sort after it (keyset pagination: the last name
 * of a page gives the next, one index seek at any depth).  limit < 0:
 * no limit.  A NULL filter: every user.
 */
struct store_user_filter {
	const char	*name;
	const char	*after;
	long long	 limit;
	long long	 offset;
};
enum store_rc	 store_user_list(struct store *,
		    const struct store_user_filter *, json_t **);

enum store_rc	 store_profile_ensure(struct store *, const char *name,
		    int64_t *id);
enum store_rc	 store_profile_set_max_age(struct store *, const char *name,
		    int max_age);
enum store_rc	 store_profile_list(struct store *, json_t **);

enum store_rc	 store_line_add(struct store *, int64_t device_id,
		    const json_t *fields);
enum store_rc	 store_line_remove(struct store *, int64_t device_id,
		    int position);
enum store_rc	 store_line_list(struct store *, int64_t device_id, json_t **);

enum store_rc	 store_template_put(struct store *, const char *name,
		    const char *vendor, const char *model, const char *revision,
		    const char *content_type, const char *body, size_t len);
enum store_rc	 store_template_remove(struct store *, const char *name);
enum store_rc	 store_template_list(struct store *, json_t **);

/* secret: json is the sealed value as a JSON string (see vars_merge). */
enum store_rc	 store_var_set(struct store *, const char *layer,
		    const char *scope, const char *name, const char *json,
		    int secret);
enum store_rc	 store_var_unset(struct store *, const char *layer,
		    const char *scope, const char *name);
/*
 * Variables (layer, scope: NULL for any) in layer order, then scope and
 * name; limit (< 0: all) and offset page them in the store.
 */
enum store_rc	 store_var_list(struct store *, const char *layer,
		    const char *scope, long long limit, long long offset,
		    json_t **);

/*
 * Deep merge of src into dst: objects key by key, anything else replaces
 * (how the variables' layers merge, BRIEF.md §4).  0, or -1 without
 * memory.
 */
int		 store_json_merge(json_t *dst, json_t *src);

/* ------------------------------------- bulk import and export (issue 11) */

/*
 * One import or export run on a store (bulk.h says what the files mean).
 * It owns its own prepared statements, made on the store's connection,
 * and a temporary table of the devices an import named (for --replace);
 * nothing of it reaches the store file but the rows the caller writes.
 * For a write it raises the page cache and makes the commit synchronous
 * (FULL), so the one big transaction is durable when it returns.  Free
 * with store_bulk_free() before store_close().
 */
struct store_bulk;

/* One device as a file row has it; "" is none (NULL in the store). */
struct store_bulk_device {
	int64_t	 id;
	int64_t	 domain_id;
	char	 domain[STORE_NAME_MAX];
	char	 sfua_id[STORE_SFUA_ID_MAX];
	char	 mac[13];
	char	 vendor[STORE_NAME_MAX];
	char	 model[STORE_NAME_MAX];
	char	 label[STORE_NAME_MAX];
	char	 state[16];
	char	 user[STORE_NAME_MAX];
	char	 profile[STORE_NAME_MAX];
	/* The user's, for an export with secrets only; else "". */
	char	 ha1_md5[33];
	char	 ha1_sha256[65];
};

/*
 * Once, before the process opens its first store (the setting is SQLite's,
 * for the whole process): the statement journal of one write, up to 1 MB,
 * is kept in memory, in one piece.  Every write that fires a trigger in
 * an import's transaction has one (it undoes that write alone if it
 * fails).  In pieces of 1 KB (temp_store MEMORY) it was a fifth of the
 * instructions of inserting a device; spilled to a temporary file past
 * 64 KB (SQLite's default), two system calls per page it saved.  0, or
 * -1 if SQLite was already started.
 */
int		 store_bulk_init(void);
/*
 * Before an import's transaction begins (SQLite cannot change it inside
 * one): a bigger page cache, and a commit that is on disk (synchronous
 * FULL) when it returns.
 */
int		 store_bulk_tune(struct store *);
/* NULL on failure (store_errmsg() says why). */
struct store_bulk *store_bulk_new(struct store *);
void		 store_bulk_free(struct store_bulk *);
/* Every domain as a new JSON object name -> [id, realm] (the realm
   the domain's users get: its own, else the store's). */
enum store_rc	 store_bulk_domains(struct store_bulk *, json_t **);
/* Every profile as a new JSON object name -> id. */
enum store_rc	 store_bulk_profiles(struct store_bulk *, json_t **);
enum store_rc	 store_bulk_device_get(struct store_bulk *, int64_t domain_id,
		    const char *sfua_id, struct store_bulk_device *);
/* Insert d (its user and profile by id, 0: none); *id: the new row. */
enum store_rc	 store_bulk_device_insert(struct store_bulk *,
		    const struct store_bulk_device *d, int64_t user_id,
		    int64_t profile_id, int64_t *id);
enum store_rc	 store_bulk_user_add(struct store_bulk *, const char *name,
		    const char *realm, const char *ha1_md5,
		    const char *ha1_sha256, int64_t domain_id, int64_t *id);
/*
 * A device's lines as a new JSON array ordered by position, each with
 * its ha1 and password_sealed ("" when none): secrets, so the caller
 * wipes what it prints only under --secrets.
 */
enum store_rc	 store_bulk_lines(struct store_bulk *, int64_t device_id,
		    json_t **);
/* A device's variables (layer device, scope sfua_id), secret ones left
   out, as a new JSON object name -> value. */
enum store_rc	 store_bulk_vars(struct store_bulk *, const char *sfua_id,
		    json_t **);
/*
 * Remember that file line `line` names device id (kind 'd') or user
 * name (kind 'u'): STORE_EXISTS, with the first line in *first, when an
 * earlier line did.  Sweep: remove every device not remembered (*n).
 */
enum store_rc	 store_bulk_mark(struct store_bulk *, char kind, int64_t id,
		    const char *name, long line, long *first);
enum store_rc	 store_bulk_sweep(struct store_bulk *, long long *n);
/*
 * An import's rows, one at a time: store_bulk_row() begins each (line:
 * its line in the file, for messages).  A backend may stage a row's
 * writes and send many rows' at once (PostgreSQL: COPY, issue 13), so
 * the caller calls store_bulk_sync() before any write it makes with
 * store.h's own calls (store_device_update(), store_line_remove(), ...):
 * it sends what is staged and begins the row's undo point.  Within an
 * import, store_bulk_user_get(), store_bulk_line_add() and
 * store_bulk_var_set() (a non-secret device variable) stand for
 * store_user_by_name(), store_line_add() and store_var_set().
 */
enum store_rc	 store_bulk_row(struct store_bulk *, long line);
enum store_rc	 store_bulk_sync(struct store_bulk *);
enum store_rc	 store_bulk_user_get(struct store_bulk *, const char *name,
		    struct store_user *);
enum store_rc	 store_bulk_line_add(struct store_bulk *, int64_t device_id,
		    const json_t *fields);
enum store_rc	 store_bulk_var_set(struct store_bulk *, const char *sfua_id,
		    const char *name, const char *json);
/*
 * An import writes a summary instead of a change row and an audit row
 * per row (migrate-8.sql).  store_bulk_quiet(), at the start of the
 * transaction, silences the change-log and audit triggers of devices,
 * users, lines, variables and pins; the caller tells what it touched
 * (store_bulk_touch(); store_bulk_sweep() tells the devices it removes
 * itself); store_bulk_summary(), before the commit, writes one audit row
 * (in the open sipcfg session) and the change rows, and ends the quiet.
 * A rollback ends it too.  Up to STORE_BULK_CHANGES_MAX things touched
 * are one change row each ('device:<id>', 'user:<id>', 'var:device:
 * <sfua-id>'), more are one row 'all'.
 */
#define STORE_BULK_CHANGES_MAX	10000
enum store_bulk_touch {
	BULK_DEVICE_ADDED, BULK_DEVICE_CHANGED, BULK_DEVICE_REMOVED,
	BULK_USER_ADDED, BULK_USER_CHANGED,
	BULK_VARS_CHANGED	/* id: the device whose variables changed */
};
struct store_bulk_summary {
	const char	*file;
	int		 replace;
	long		 rows, added, changed, unchanged;
	long long	 removed;
	long		 users_added, users_changed;
};
enum store_rc	 store_bulk_quiet(struct store_bulk *);
/* STORE_ERROR only when out of memory. */
enum store_rc	 store_bulk_touch(struct store_bulk *, enum store_bulk_touch,
		    int64_t id);
enum store_rc	 store_bulk_summary(struct store_bulk *,
		    const struct store_bulk_summary *);
/* Up to max device ids greater than after, ascending. */
enum store_rc	 store_bulk_ids(struct store_bulk *, int64_t after,
		    int64_t *ids, size_t max, size_t *n);
/* What an export's CSV header needs: the highest line position and the
   names of the non-secret device variables (a new JSON array). */
enum store_rc	 store_bulk_columns(struct store_bulk *, int *max_position,
		    json_t **names);
/*
 * Every device, by domain then sfua-id, one at a time (a cursor, never
 * a list): fn gets the device, its lines and its variables (as above;
 * they are the caller's to decref).  A non-zero fn stops the walk with
 * STORE_ERROR.
 */
typedef int	(*store_bulk_fn)(void *arg, const struct store_bulk_device *,
		    json_t *lines, json_t *vars);
enum store_rc	 store_bulk_export(struct store_bulk *, int secrets,
		    store_bulk_fn fn, void *arg);

/*
 * A whole store, table by table, for moving it to another backend
 * (sipcfg export --all, issue 13 §5; storemove.h).  table is one of the
 * tables store_table_ok() accepts, key its key column.
 * store_table_each() gives fn each row in key order, as a new JSON
 * object of column name to value (integer, string or null; fn decrefs
 * it); a non-zero fn stops the walk with STORE_ERROR.  store_table_put()
 * writes one such row, ids included; a row whose key is there already
 * (what init made: the default domain, meta, check-sync events, the
 * monitor token a device's insert made) is updated to it.
 * store_table_ids() moves a table's id sequence past its highest id
 * after rows with ids were written (PostgreSQL; nothing on SQLite).
 */
int		 store_table_ok(const char *table, const char *key);
enum store_rc	 store_table_each(struct store *, const char *table,
		    const char *key, int (*fn)(json_t *row, void *arg),
		    void *arg);
enum store_rc	 store_table_put(struct store *, const char *table,
		    const char *key, const json_t *row);
enum store_rc	 store_table_ids(struct store *, const char *table);

#endif
