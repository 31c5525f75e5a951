/*
 * store_sqlite: the SQLite backend of store.h.
 *
 * One struct store is one sqlite3 connection, used by one thread at a
 * time.  Every statement is a constant in the table below, prepared once
 * per connection on first use and reset after each use: no SQL is ever
 * built from input.  Connections run in WAL mode with foreign keys on and
 * a busy timeout, so the daemon's readers never block the CLI's writer.
 * The schema (sql/schema.sql) is compiled in and applied to an empty
 * file; migrations[] takes older stores forward inside one transaction.
 * store.c reaches these functions through store_sqlite_ops (store_int.h)
 * when a store's name is a path; store_pg*.c is the PostgreSQL backend.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "store.h"
#include "store_int.h"
#include "store_sqlite.h"
#include "schema_sql.h"
#include "util.h"

enum q {
	Q_DATA_VERSION,
	Q_META_GET,
	Q_META_SET,
	Q_DEV_BY_SFUA,
	Q_DEV_BY_MAC,
	Q_DEV_BY_SFUA_ANY,
	Q_DEV_BY_MAC_ANY,
	Q_USER_BY_NAME,
	Q_LINES,
	Q_TPL_SELECT,
	Q_TPL_BY_NAME,
	Q_VARS,
	Q_SEEN,
	Q_ENROLL,
	Q_ENROLL_COUNT,
	Q_ENROLL_EXPIRE,
	Q_DEV_INSERT,
	Q_DEV_DELETE,
	Q_DEV_LIST,
	Q_DEV_ELSEWHERE,
	Q_DEV_SHOW,
	Q_USER_INSERT,
	Q_USER_PASSWD,
	Q_USER_SET_OTP,
	Q_USER_OTP_CONSUME,
	Q_USER_DELETE,
	Q_USER_LIST,
	Q_USER_LIST_AFTER,
	Q_USER_SHOW,
	Q_USER_ID,
	Q_PROFILE_INSERT,
	Q_PROFILE_ID,
	Q_PROFILE_MAXAGE,
	Q_PROFILE_LIST,
	Q_LINE_INSERT,
	Q_LINE_NEXTPOS,
	Q_LINE_DELETE,
	Q_LINE_LIST,
	Q_TPL_UPSERT,
	Q_TPL_DELETE,
	Q_TPL_LIST,
	Q_VAR_UPSERT,
	Q_VAR_DELETE,
	Q_VAR_LIST,
	Q_DEV_BY_TOKEN,
	Q_DEV_BY_ID,
	Q_DEV_IDS_AFTER,
	Q_DEV_MAX_ID,
	Q_CHANGES_HEAD,
	Q_CHANGES_SINCE,
	Q_CHANGES_PRUNE,
	Q_NOTIFY_REQ,
	Q_SUB_UPSERT,
	Q_SUB_DELETE,
	Q_SUB_CLEAR,
	Q_SUB_LIST,
	Q_SUB_LIST_AFTER,
	Q_SUB_LIST_DEV,
	Q_PROFILE_NOTIFY,
	Q_CS_DEVICES,
	Q_CS_TARGET,
	Q_CS_REQUEST,
	Q_CS_LIST,
	Q_CS_SET,
	Q_PROFILE_CS,
	Q_AUDIT_BEGIN,
	Q_AUDIT_END,
	Q_AUDIT_LIST,
	Q_HISTORY,
	Q_FETCH_LOG,
	Q_SEEN_LAST,
	Q_ENC_CERT,
	Q_ENC_KEY,
	Q_PROFILE_ENC,
	Q_PATHS,
	Q_PATH_ADD,
	Q_PATH_DELETE,
	Q_PATH_LIST,
	Q_DOMAIN_LIST,
	Q_DOMAIN_ID,
	Q_DOMAIN_INSERT,
	Q_DOMAIN_DELETE,
	Q_PIN_INSERT,
	Q_PIN_GET,
	Q_PIN_DELETE,
	Q_DEV_DUPS,
	Q_DEV_DUPS_OF,
	Q_USER_DOMAIN,
	Q_USER_REREALM,
	Q_TOKEN_ADD,
	Q_TOKEN_DELETE,
	Q_TOKEN_LIST,
	Q_TOKEN_BY_HASH,
	Q_TOKEN_USED,
	Q_BEGIN,
	Q_BEGIN_READ,
	Q_COMMIT,
	Q_ROLLBACK,
	Q__COUNT
};

#define DEV_COLS \
	"d.id, d.sfua_id, coalesce(d.mac, ''), coalesce(d.vendor, ''), " \
	"coalesce(d.model, ''), coalesce(s.revision, ''), " \
	"coalesce(d.label, ''), d.state, coalesce(d.user_id, 0), " \
	"coalesce(u.name, ''), coalesce(p.name, ''), coalesce(d.max_age, -1), " \
	"coalesce(p.max_age, -1), " \
	"max(d.updated, coalesce(u.updated, 0), coalesce(p.updated, 0)), " \
	"coalesce(d.profile_id, 0), coalesce(m.token, ''), " \
	"coalesce(d.notify_mode, p.notify_mode, ''), " \
	"coalesce(d.enc_mode, p.enc_mode, ''), coalesce(d.enc_key_sealed, ''), " \
	"d.domain_id, coalesce(d.client_cert, ''), " \
	"EXISTS (SELECT 1 FROM device_pins WHERE device_id = d.id) " \
	"FROM devices d LEFT JOIN users u ON u.id = d.user_id " \
	"LEFT JOIN profiles p ON p.id = d.profile_id " \
	"LEFT JOIN device_seen s ON s.device_id = d.id " \
	"LEFT JOIN monitors m ON m.device_id = d.id AND m.resource = 'config' "

/* A device listing, without its order (store_sqlite_device_each() filters it). */
#define DEV_LIST "SELECT d.id, " \
	"(SELECT name FROM domains WHERE id = d.domain_id) AS domain, " \
	"d.sfua_id, d.mac, d.vendor, d.model, d.state, d.label, " \
	"u.name AS user, p.name AS profile, d.max_age, " \
	"s.revision, s.last_fetch, s.last_etag, s.last_addr, s.last_ua, " \
	"s.ua_model, s.ua_firmware, coalesce(s.fetches, 0) AS fetches, " \
	"(SELECT count(*) FROM lines l WHERE l.device_id = d.id) AS lines, " \
	"d.enrolled_from " \
	"FROM devices d LEFT JOIN users u ON u.id = d.user_id " \
	"LEFT JOIN profiles p ON p.id = d.profile_id " \
	"LEFT JOIN device_seen s ON s.device_id = d.id"

/*
 * A live subscription's row (subs); its id, "instance/local id", is its
 * key and a page's keyset.
 */
#define SUB_ROW \
	"SELECT s.instance || '/' || s.local_id AS id, d.sfua_id AS device, " \
	"s.uri, s.transport, s.source, s.contact, s.instance, s.created, " \
	"s.expires, s.last_notify, s.last_etag, s.notifies " \
	"FROM subscriptions s JOIN devices d ON d.id = s.device_id"

/* A user's row (user list, user show), a where clause to follow. */
#define USER_ROW \
	"SELECT u.id, u.name, u.realm, u.updated, " \
	"(SELECT count(*) FROM devices d WHERE d.user_id = u.id) " \
	"AS devices, u.otp, u.otp_not_before, u.otp_not_after, u.old_until, " \
	"u.domain_id, (SELECT name FROM domains WHERE id = u.domain_id) " \
	"AS domain FROM users u"

/*
 * Who made an audited change: the sipcfg session, else the daemon for a
 * TOFU pin (RFC 6011 §2.4.1), else someone outside sipcfg.
 */
#define AUDIT_WHO \
	"coalesce(s.who, CASE WHEN a.entity = 'pin' AND a.op = 'insert' " \
	"THEN 'sipcfgd (trust on first use)' ELSE '(not sipcfg)' END)"

static const char *const sqls[Q__COUNT] = {
	[Q_DATA_VERSION] = "PRAGMA data_version",
	[Q_META_GET] = "SELECT value FROM meta WHERE key = ?1",
	[Q_META_SET] = "INSERT INTO meta(key, value) VALUES (?1, ?2) "
	    "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
	/*
	 * A device in one domain, and in any (the CLI without --domain):
	 * two statements, so that each has its index (issue 11).  LIMIT 2
	 * finds an ambiguous one.
	 */
	[Q_DEV_BY_SFUA] = "SELECT " DEV_COLS "WHERE d.domain_id = ?2 "
	    "AND d.sfua_id = ?1",
	[Q_DEV_BY_MAC] = "SELECT " DEV_COLS "WHERE d.domain_id = ?2 "
	    "AND d.mac = ?1 ORDER BY d.id LIMIT 2",
	[Q_DEV_BY_SFUA_ANY] = "SELECT " DEV_COLS "WHERE d.sfua_id = ?1 "
	    "ORDER BY d.domain_id LIMIT 2",
	[Q_DEV_BY_MAC_ANY] = "SELECT " DEV_COLS "WHERE d.mac = ?1 "
	    "ORDER BY d.domain_id, d.id LIMIT 2",
	[Q_USER_BY_NAME] = "SELECT id, name, realm, ha1_md5, ha1_sha256, "
	    "domain_id, otp, coalesce(otp_not_before, 0), "
	    "coalesce(otp_not_after, 0), coalesce(password_sealed, ''), "
	    "coalesce(old_ha1_md5, ''), coalesce(old_ha1_sha256, ''), "
	    "coalesce(old_until, 0), updated "
	    "FROM users WHERE name = ?1",
	[Q_LINES] = "SELECT position, aor, realm, username, ha1, "
	    "coalesce(outbound_proxy, ''), coalesce(display_name, ''), updated, "
	    "coalesce(password_sealed, '') "
	    "FROM lines WHERE device_id = ?1 ORDER BY position",
	[Q_TPL_SELECT] = "SELECT name, content_type, body, updated FROM templates "
	    "WHERE (vendor IS NULL OR vendor = ?1) "
	    "AND (model IS NULL OR model = ?2) "
	    "AND (revision IS NULL OR revision = ?3) "
	    "ORDER BY (vendor IS NOT NULL) * 4 + (model IS NOT NULL) * 2 + "
	    "(revision IS NOT NULL) DESC, name = 'generic' DESC, name LIMIT 1",
	[Q_TPL_BY_NAME] = "SELECT name, content_type, body, updated "
	    "FROM templates WHERE name = ?1",
	[Q_VARS] = "SELECT name, value, updated, secret FROM vars "
	    "WHERE layer = ?1 AND scope = ?2 ORDER BY name",
	[Q_SEEN] = "INSERT INTO device_seen(device_id, revision, last_fetch, "
	    "last_etag, last_addr, last_ua, fetches, ua_vendor, ua_model, "
	    "ua_firmware) "
	    "SELECT ?1, nullif(?2, ''), ?3, ?4, ?5, nullif(?6, ''), ?10, "
	    "nullif(?7, ''), nullif(?8, ''), nullif(?9, '') "
	    "WHERE EXISTS (SELECT 1 FROM devices WHERE id = ?1) "
	    "ON CONFLICT(device_id) DO UPDATE SET "
	    "revision = coalesce(excluded.revision, revision), "
	    "last_fetch = excluded.last_fetch, last_etag = excluded.last_etag, "
	    "last_addr = excluded.last_addr, "
	    "last_ua = coalesce(excluded.last_ua, last_ua), "
	    "fetches = fetches + excluded.fetches, "
	    "ua_vendor = coalesce(excluded.ua_vendor, ua_vendor), "
	    "ua_model = coalesce(excluded.ua_model, ua_model), "
	    "ua_firmware = coalesce(excluded.ua_firmware, ua_firmware)",
	[Q_ENROLL] = "INSERT INTO devices(sfua_id, mac, vendor, model, state, label, "
	    "domain_id, enrolled_from) VALUES (?1, nullif(?2, ''), "
	    "nullif(?3, ''), nullif(?4, ''), 'pending', "
	    "'enrolled on first fetch', ?5, ?6)",
	/* Both on the partial index devices_enrolled (migrate-6.sql). */
	[Q_ENROLL_COUNT] = "SELECT (SELECT count(*) FROM devices WHERE "
	    "enrolled_from IS NOT NULL AND state = 'pending'), "
	    "(SELECT count(*) FROM devices WHERE enrolled_from = ?1 AND "
	    "state = 'pending')",
	[Q_ENROLL_EXPIRE] = "DELETE FROM devices WHERE enrolled_from IS NOT "
	    "NULL AND state = 'pending' AND coalesce((SELECT last_fetch FROM "
	    "device_seen s WHERE s.device_id = devices.id), created) < ?1",
	[Q_DEV_INSERT] = "INSERT INTO devices(sfua_id, mac, vendor, model, state, "
	    "label, user_id, profile_id, max_age, notify_mode, checksync, "
	    "domain_id, client_cert) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
	[Q_DOMAIN_LIST] = "SELECT id, name, realm, cert_file, key_file, ca_file, "
	    "base_url, client_cert, tofu, "
	    "(SELECT count(*) FROM devices d WHERE d.domain_id = dm.id) AS devices, "
	    "(SELECT count(*) FROM users u WHERE u.domain_id = dm.id) AS users "
	    "FROM domains dm ORDER BY id",
	[Q_DOMAIN_ID] = "SELECT id FROM domains WHERE name = ?1",
	[Q_DOMAIN_INSERT] = "INSERT INTO domains(name) VALUES (?1)",
	[Q_DOMAIN_DELETE] = "DELETE FROM domains WHERE name = ?1 AND id != 1",
	[Q_PIN_INSERT] = "INSERT INTO device_pins(device_id, sha256, subject, addr) "
	    "VALUES (?1, ?2, ?3, ?4) ON CONFLICT(device_id) DO NOTHING",
	[Q_PIN_GET] = "SELECT sha256 FROM device_pins WHERE device_id = ?1",
	[Q_PIN_DELETE] = "DELETE FROM device_pins WHERE device_id = ?1",
	[Q_DEV_DUPS] = "SELECT d.id, d.domain_id, dm.name AS domain, "
	    "d.sfua_id, d.mac, d.label "
	    "FROM devices d JOIN domains dm ON dm.id = d.domain_id "
	    "WHERE EXISTS (SELECT 1 FROM devices o WHERE o.sfua_id = d.sfua_id "
	    "AND o.domain_id != d.domain_id) "
	    "OR EXISTS (SELECT 1 FROM devices o WHERE o.mac = d.mac "
	    "AND o.domain_id != d.domain_id) "
	    "ORDER BY coalesce(d.mac, d.sfua_id), d.domain_id",
	[Q_DEV_DUPS_OF] = "SELECT d.id, d.domain_id, dm.name AS domain, "
	    "d.sfua_id, d.mac, d.label "
	    "FROM devices d JOIN domains dm ON dm.id = d.domain_id "
	    "WHERE (d.sfua_id = ?2 OR d.mac = ?3) AND d.domain_id != ?1 "
	    "ORDER BY d.domain_id, d.id",
	[Q_USER_DOMAIN] = "UPDATE users SET domain_id = ?2 WHERE name = ?1",
	[Q_USER_REREALM] = "UPDATE users SET realm = ?3 WHERE realm = ?2 AND "
	    "(domain_id = ?1 OR (?1 = 0 AND domain_id IN "
	    "(SELECT id FROM domains WHERE realm IS NULL)))",
	[Q_DEV_DELETE] = "DELETE FROM devices WHERE id = ?1",
	[Q_DEV_LIST] = DEV_LIST " ORDER BY d.id",
	/* Both ends of the index: no device id is below 1. */
	[Q_DEV_ELSEWHERE] = "SELECT EXISTS (SELECT 1 FROM devices WHERE "
	    "domain_id < 1 OR domain_id > 1)",
	[Q_DEV_SHOW] = "SELECT d.id, d.sfua_id, d.mac, d.vendor, d.model, "
	    "(SELECT name FROM domains WHERE id = d.domain_id) AS domain, "
	    "d.client_cert, (SELECT sha256 FROM device_pins WHERE device_id = "
	    "d.id) AS cert_pin, (SELECT pinned FROM device_pins WHERE "
	    "device_id = d.id) AS cert_pinned, "
	    "d.state, d.label, d.enrolled_from, u.name AS user, "
	    "p.name AS profile, d.max_age, "
	    "d.notify_mode, d.checksync, d.contact_uri, d.enc_mode, "
	    "d.enc_key_sealed IS NOT NULL AS has_key, "
	    "(SELECT token FROM monitors m WHERE m.device_id = d.id "
	    "AND m.resource = 'config') AS monitor_token, "
	    "d.created, d.updated, s.revision, s.last_fetch, s.last_etag, "
	    "s.last_addr, s.last_ua, s.ua_vendor, s.ua_model, s.ua_firmware, "
	    "coalesce(s.fetches, 0) AS fetches "
	    "FROM devices d LEFT JOIN users u ON u.id = d.user_id "
	    "LEFT JOIN profiles p ON p.id = d.profile_id "
	    "LEFT JOIN device_seen s ON s.device_id = d.id WHERE d.id = ?1",
	[Q_USER_INSERT] = "INSERT INTO users(name, realm, ha1_md5, ha1_sha256) "
	    "VALUES (?1, ?2, ?3, ?4)",
	/*
	 * RFC 6011 §5 rotation: the right-hand sides see the row before the
	 * update, so the current HA1s become the old ones.  A one-time
	 * password is never kept as an old one.
	 */
	[Q_USER_PASSWD] = "UPDATE users SET "
	    "old_ha1_md5 = CASE WHEN ?5 > 0 AND otp = 0 THEN ha1_md5 END, "
	    "old_ha1_sha256 = CASE WHEN ?5 > 0 AND otp = 0 THEN ha1_sha256 "
	    "END, "
	    "old_until = CASE WHEN ?5 > 0 AND otp = 0 THEN ?5 END, "
	    "ha1_md5 = ?2, ha1_sha256 = ?3, password_sealed = ?4, otp = 0, "
	    "otp_not_before = NULL, otp_not_after = NULL WHERE name = ?1",
	[Q_USER_SET_OTP] = "UPDATE users SET ha1_md5 = ?2, ha1_sha256 = ?3, "
	    "otp = 1, otp_not_before = ?4, otp_not_after = ?5, "
	    "password_sealed = NULL, old_ha1_md5 = NULL, "
	    "old_ha1_sha256 = NULL, old_until = NULL WHERE name = ?1",
	/*
	 * Only the request whose statement changes the row wins: the HA1 and
	 * the window are checked again under the write lock.
	 */
	[Q_USER_OTP_CONSUME] = "UPDATE users SET ha1_md5 = ?3, "
	    "ha1_sha256 = ?4, password_sealed = ?5, otp = 0, "
	    "otp_not_before = NULL, otp_not_after = NULL "
	    "WHERE id = ?1 AND otp = 1 AND ha1_md5 = ?2 "
	    "AND coalesce(otp_not_before, ?6) <= ?6 "
	    "AND coalesce(otp_not_after, ?6) >= ?6",
	[Q_USER_DELETE] = "DELETE FROM users WHERE name = ?1",
	[Q_USER_LIST] = USER_ROW " ORDER BY u.name LIMIT ?1 OFFSET ?2",
	[Q_USER_LIST_AFTER] = USER_ROW " WHERE u.name > ?3 ORDER BY u.name "
	    "LIMIT ?1 OFFSET ?2",
	[Q_USER_SHOW] = USER_ROW " WHERE u.name = ?1",
	[Q_USER_ID] = "SELECT id FROM users WHERE name = ?1",
	[Q_PROFILE_INSERT] = "INSERT INTO profiles(name) VALUES (?1) "
	    "ON CONFLICT(name) DO NOTHING",
	[Q_PROFILE_ID] = "SELECT id FROM profiles WHERE name = ?1",
	[Q_PROFILE_MAXAGE] = "UPDATE profiles SET max_age = ?2 WHERE name = ?1",
	[Q_PROFILE_LIST] = "SELECT p.id, p.name, p.max_age, p.notify_mode, "
	    "p.checksync, p.enc_mode, "
	    "(SELECT count(*) FROM devices d WHERE d.profile_id = p.id) AS devices "
	    "FROM profiles p ORDER BY p.name",
	[Q_LINE_INSERT] = "INSERT INTO lines(device_id, position, aor, realm, "
	    "username, ha1, outbound_proxy, display_name, password_sealed) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[Q_LINE_NEXTPOS] = "SELECT coalesce(max(position), 0) + 1 FROM lines "
	    "WHERE device_id = ?1",
	[Q_LINE_DELETE] = "DELETE FROM lines WHERE device_id = ?1 AND position = ?2",
	[Q_LINE_LIST] = "SELECT position, aor, realm, username, outbound_proxy, "
	    "display_name, updated FROM lines WHERE device_id = ?1 ORDER BY position",
	[Q_TPL_UPSERT] = "INSERT INTO templates(name, vendor, model, revision, "
	    "content_type, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
	    "ON CONFLICT(name) DO UPDATE SET vendor = excluded.vendor, "
	    "model = excluded.model, revision = excluded.revision, "
	    "content_type = excluded.content_type, body = excluded.body",
	[Q_TPL_DELETE] = "DELETE FROM templates WHERE name = ?1",
	[Q_TPL_LIST] = "SELECT id, name, vendor, model, revision, content_type, "
	    "length(CAST(body AS BLOB)) AS bytes, updated FROM templates ORDER BY name",
	[Q_VAR_UPSERT] = "INSERT INTO vars(layer, scope, name, value, secret) "
	    "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(layer, scope, name) "
	    "DO UPDATE SET value = excluded.value, secret = excluded.secret",
	[Q_VAR_DELETE] = "DELETE FROM vars WHERE layer = ?1 AND scope = ?2 "
	    "AND name = ?3",
	[Q_VAR_LIST] = "SELECT layer, scope, name, CASE WHEN secret THEN "
	    "'\"(secret)\"' ELSE json(value) END AS value, secret, updated "
	    "FROM vars WHERE (?1 IS NULL OR layer = ?1) AND (?2 IS NULL OR scope = ?2) "
	    "ORDER BY CASE layer WHEN 'global' THEN 0 WHEN 'vendor' THEN 1 "
	    "WHEN 'model' THEN 2 WHEN 'profile' THEN 3 WHEN 'user' THEN 4 "
	    "ELSE 5 END, scope, name LIMIT ?3 OFFSET ?4",
	[Q_DEV_BY_TOKEN] = "SELECT " DEV_COLS "WHERE m.token = ?1",
	[Q_DEV_BY_ID] = "SELECT " DEV_COLS "WHERE d.id = ?1",
	[Q_DEV_IDS_AFTER] = "SELECT id FROM devices WHERE id > ?1 "
	    "AND state = 'active' ORDER BY id LIMIT ?2",
	[Q_DEV_MAX_ID] = "SELECT coalesce(max(id), 0) FROM devices",
	[Q_CHANGES_HEAD] = "SELECT coalesce(max(seq), 0) FROM changes",
	[Q_CHANGES_SINCE] = "SELECT seq, coalesce(hint, '') FROM changes "
	    "WHERE seq > ?1 ORDER BY seq LIMIT ?2",
	[Q_CHANGES_PRUNE] = "DELETE FROM changes WHERE ts < ?1",
	[Q_NOTIFY_REQ] = "INSERT INTO changes(entity, entity_id, op, hint) "
	    "VALUES ('notify', ?1, 'update', "
	    "'notify:' || coalesce(?1, '*'))",
	[Q_SUB_UPSERT] = "INSERT INTO subscriptions(instance, local_id, "
	    "device_id, uri, transport, source, contact, created, expires, "
	    "last_notify, last_etag, notifies) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
	    "?7, ?8, ?9, ?10, ?11, ?12) ON CONFLICT(instance, local_id) DO "
	    "UPDATE SET expires = excluded.expires, "
	    "last_notify = excluded.last_notify, "
	    "last_etag = excluded.last_etag, notifies = excluded.notifies, "
	    "contact = excluded.contact",
	[Q_SUB_DELETE] = "DELETE FROM subscriptions WHERE instance = ?1 "
	    "AND local_id = ?2",
	[Q_SUB_CLEAR] = "DELETE FROM subscriptions WHERE instance = ?1",
	/* Every device's, and one device's (by its index). */
	[Q_SUB_LIST] = SUB_ROW " WHERE s.expires > ?1 "
	    "ORDER BY s.instance, s.local_id LIMIT ?2 OFFSET ?3",
	[Q_SUB_LIST_AFTER] = SUB_ROW " WHERE s.expires > ?1 AND "
	    "(s.instance, s.local_id) > (?4, ?5) "
	    "ORDER BY s.instance, s.local_id LIMIT ?2 OFFSET ?3",
	/* No after: ('', -1), before every key. */
	[Q_SUB_LIST_DEV] = SUB_ROW " WHERE s.device_id = ?4 AND "
	    "s.expires > ?1 AND (s.instance, s.local_id) > (?5, ?6) "
	    "ORDER BY s.instance, s.local_id LIMIT ?2 OFFSET ?3",
	[Q_PROFILE_NOTIFY] = "UPDATE profiles SET notify_mode = ?2 "
	    "WHERE name = ?1",
	[Q_CS_DEVICES] = "SELECT d.id FROM devices d "
	    "LEFT JOIN profiles p ON p.id = d.profile_id "
	    "LEFT JOIN checksync_events e ON e.vendor = d.vendor "
	    "WHERE d.state = 'active' AND coalesce(d.checksync, p.checksync, "
	    "CASE WHEN e.enabled = 1 THEN 'on' END, 'off') = 'on' "
	    "ORDER BY d.id LIMIT ?1",
	[Q_CS_TARGET] = "SELECT coalesce(d.contact_uri, ''), l.aor, "
	    "l.username, l.realm, l.ha1, coalesce(l.outbound_proxy, ''), "
	    "coalesce(e.event, 'check-sync'), "
	    "coalesce(e.reboot_event, e.event, 'check-sync') "
	    "FROM devices d JOIN lines l ON l.device_id = d.id "
	    "LEFT JOIN checksync_events e ON e.vendor = d.vendor "
	    "WHERE d.id = ?1 ORDER BY l.position LIMIT 1",
	[Q_CS_REQUEST] = "INSERT INTO changes(entity, entity_id, op, hint) "
	    "VALUES ('checksync', ?1, 'update', "
	    "(CASE WHEN ?2 THEN 'checksync-reboot:' ELSE 'checksync-now:' END) "
	    "|| ?1)",
	[Q_CS_LIST] = "SELECT vendor, event, reboot_event, enabled "
	    "FROM checksync_events ORDER BY vendor",
	[Q_CS_SET] = "INSERT INTO checksync_events(vendor, event, reboot_event, "
	    "enabled) VALUES (?1, coalesce(?2, 'check-sync'), ?3, "
	    "coalesce(?4, 0)) ON CONFLICT(vendor) DO UPDATE SET "
	    "event = coalesce(?2, event), "
	    "reboot_event = coalesce(?3, reboot_event), "
	    "enabled = coalesce(?4, enabled)",
	[Q_PROFILE_CS] = "UPDATE profiles SET checksync = ?2 WHERE name = ?1",
	[Q_AUDIT_BEGIN] = "INSERT INTO audit_sessions(who, command) "
	    "VALUES (?1, ?2)",
	[Q_AUDIT_END] = "UPDATE audit_sessions SET open = 0 WHERE id = ?1",
	[Q_AUDIT_LIST] = "SELECT a.ts, " AUDIT_WHO " AS who, "
	    "s.command, a.entity, a.entity_id, a.op, json(a.before) AS before, "
	    "json(a.after) AS after FROM audit a "
	    "LEFT JOIN audit_sessions s ON s.id = a.session_id "
	    "WHERE a.ts >= ?1 ORDER BY a.id DESC LIMIT ?2",
	[Q_HISTORY] = "SELECT * FROM ("
	    "SELECT f.ts, 'fetch' AS kind, f.etag, f.addr, f.secrets, "
	    "NULL AS who, NULL AS op, NULL AS before, NULL AS after, "
	    "f.id AS k FROM fetches f WHERE f.device_id = ?1 "
	    "UNION ALL SELECT a.ts, 'change', NULL, NULL, NULL, "
	    AUDIT_WHO ", a.entity || ' ' || a.op, "
	    "json(a.before), json(a.after), a.id FROM audit a "
	    "LEFT JOIN audit_sessions s ON s.id = a.session_id "
	    "WHERE a.device_id = ?1) ORDER BY ts DESC, k DESC LIMIT ?2",
	/* After Q_SEEN, which found the device (store_sqlite_seen_write()). */
	[Q_FETCH_LOG] = "INSERT INTO fetches(device_id, ts, etag, addr, secrets) "
	    "VALUES (?1, ?2, ?3, ?4, ?5)",
	[Q_SEEN_LAST] = "SELECT coalesce(last_etag, ''), coalesce(last_addr, '') "
	    "FROM device_seen WHERE device_id = ?1",
	[Q_ENC_CERT] = "SELECT coalesce(enc_cert, '') FROM devices WHERE id = ?1",
	[Q_ENC_KEY] = "UPDATE devices SET enc_key_sealed = ?2 WHERE id = ?1",
	[Q_PROFILE_ENC] = "UPDATE profiles SET enc_mode = ?2 WHERE name = ?1",
	[Q_PATHS] = "SELECT id, pattern, coalesce(vendor, ''), "
	    "coalesce(template, ''), plain FROM path_rules ORDER BY id",
	[Q_PATH_ADD] = "INSERT INTO path_rules(pattern, vendor, template, "
	    "plain) VALUES (?1, ?2, ?3, ?4)",
	[Q_PATH_DELETE] = "DELETE FROM path_rules WHERE pattern = ?1",
	[Q_PATH_LIST] = "SELECT pattern, vendor, template, plain, updated "
	    "FROM path_rules ORDER BY id",
	[Q_BEGIN] = "BEGIN IMMEDIATE",
	[Q_TOKEN_ADD] = "INSERT INTO api_tokens(name, scope, sha256, expires) "
	    "VALUES (?1, ?2, ?3, ?4)",
	[Q_TOKEN_DELETE] = "DELETE FROM api_tokens WHERE name = ?1",
	[Q_TOKEN_LIST] = "SELECT name, scope, created, expires, last_used "
	    "FROM api_tokens ORDER BY name",
	[Q_TOKEN_BY_HASH] = "SELECT id, name, scope, coalesce(expires, 0), "
	    "coalesce(last_used, 0) FROM api_tokens WHERE sha256 = ?1",
	[Q_TOKEN_USED] = "UPDATE api_tokens SET last_used = ?2 WHERE id = ?1",
	[Q_BEGIN_READ] = "BEGIN",
	[Q_COMMIT] = "COMMIT",
	[Q_ROLLBACK] = "ROLLBACK",
};

/* The statements' names, for the query-plan test (store_sqlite.h). */
#define QN(q) [q] = #q
static const char *const qnames[Q__COUNT] = {
	QN(Q_DATA_VERSION), QN(Q_META_GET), QN(Q_META_SET), QN(Q_DEV_BY_SFUA),
	QN(Q_DEV_BY_MAC),
	QN(Q_DEV_BY_SFUA_ANY), QN(Q_DEV_BY_MAC_ANY), QN(Q_USER_BY_NAME), QN(Q_LINES), QN(Q_TPL_SELECT),
	QN(Q_TPL_BY_NAME), QN(Q_VARS), QN(Q_SEEN), QN(Q_ENROLL),
	QN(Q_ENROLL_COUNT), QN(Q_ENROLL_EXPIRE), QN(Q_DEV_INSERT),
	QN(Q_DEV_DELETE), QN(Q_DEV_LIST), QN(Q_DEV_ELSEWHERE), QN(Q_DEV_SHOW), QN(Q_USER_INSERT),
	QN(Q_USER_PASSWD), QN(Q_USER_SET_OTP), QN(Q_USER_OTP_CONSUME),
	QN(Q_USER_DELETE), QN(Q_USER_LIST), QN(Q_USER_LIST_AFTER),
	QN(Q_USER_SHOW), QN(Q_USER_ID),
	QN(Q_PROFILE_INSERT), QN(Q_PROFILE_ID), QN(Q_PROFILE_MAXAGE),
	QN(Q_PROFILE_LIST), QN(Q_LINE_INSERT), QN(Q_LINE_NEXTPOS),
	QN(Q_LINE_DELETE), QN(Q_LINE_LIST), QN(Q_TPL_UPSERT), QN(Q_TPL_DELETE),
	QN(Q_TPL_LIST), QN(Q_VAR_UPSERT), QN(Q_VAR_DELETE), QN(Q_VAR_LIST),
	QN(Q_DEV_BY_TOKEN), QN(Q_DEV_BY_ID), QN(Q_DEV_IDS_AFTER), QN(Q_DEV_MAX_ID),
	QN(Q_CHANGES_HEAD),
	QN(Q_CHANGES_SINCE), QN(Q_CHANGES_PRUNE), QN(Q_NOTIFY_REQ),
	QN(Q_SUB_UPSERT), QN(Q_SUB_DELETE), QN(Q_SUB_CLEAR), QN(Q_SUB_LIST),
	QN(Q_SUB_LIST_AFTER), QN(Q_SUB_LIST_DEV),
	QN(Q_PROFILE_NOTIFY), QN(Q_CS_DEVICES), QN(Q_CS_TARGET),
	QN(Q_CS_REQUEST), QN(Q_CS_LIST), QN(Q_CS_SET), QN(Q_PROFILE_CS),
	QN(Q_AUDIT_BEGIN), QN(Q_AUDIT_END), QN(Q_AUDIT_LIST), QN(Q_HISTORY),
	QN(Q_FETCH_LOG), QN(Q_SEEN_LAST), QN(Q_ENC_CERT), QN(Q_ENC_KEY), QN(Q_PROFILE_ENC),
	QN(Q_PATHS), QN(Q_PATH_ADD), QN(Q_PATH_DELETE), QN(Q_PATH_LIST),
	QN(Q_DOMAIN_LIST), QN(Q_DOMAIN_ID), QN(Q_DOMAIN_INSERT),
	QN(Q_DOMAIN_DELETE), QN(Q_PIN_INSERT), QN(Q_PIN_GET), QN(Q_PIN_DELETE),
	QN(Q_DEV_DUPS), QN(Q_DEV_DUPS_OF), QN(Q_USER_DOMAIN), QN(Q_USER_REREALM),
	QN(Q_TOKEN_ADD), QN(Q_TOKEN_DELETE), QN(Q_TOKEN_LIST),
	QN(Q_TOKEN_BY_HASH), QN(Q_TOKEN_USED),
	QN(Q_BEGIN), QN(Q_BEGIN_READ), QN(Q_COMMIT), QN(Q_ROLLBACK)
};
#undef QN

struct store {
	const struct store_ops *ops;	/* first: store.c finds it here */
	sqlite3		*db;
	sqlite3_stmt	*st[Q__COUNT];
	char		 err[256];
};

static const struct store_ops store_sqlite_ops;

/* Used before their definitions. */
static void	 store_sqlite_close(struct store *);
static int	 store_sqlite_schema_version(struct store *);
static enum store_rc store_sqlite_profile_ensure(struct store *, const char *,
		    int64_t *);
static enum store_rc store_sqlite_line_list(struct store *, int64_t,
		    json_t **);

/* Schema migrations: migrations[i] takes version i+1 to i+2. */
static const char *const migrations[] = {
	migrate_2_sql,
	migrate_3_sql,
	migrate_4_sql,
	migrate_5_sql,
	migrate_6_sql,
	migrate_7_sql,
	migrate_8_sql,
	migrate_9_sql,
	NULL
};

/*
 * Migrations that rebuild a table (SQLite cannot ALTER a constraint away:
 * schema 5 makes an sfua-id unique per domain) drop the table's triggers
 * and indexes with it; the store keeps their SQL and re-creates them
 * after the migration's own statements.
 */
static const struct rebuild {
	int		 to;		/* the version the migration makes */
	const char	*table;
} rebuilds[] = {
	{ 5, "devices" }
};

static void
seterr(struct store *s, const char *what)
{
	snprintf(s->err, sizeof(s->err), "%s: %s", what,
	    s->db ? sqlite3_errmsg(s->db) : "no database");
}

static enum store_rc
maprc(struct store *s, int rc, const char *what)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return STORE_OK;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		seterr(s, what);
		return STORE_BUSY;
	case SQLITE_CONSTRAINT:
		/* A trigger's RAISE() says why in words of its own. */
		if (rc == SQLITE_CONSTRAINT_TRIGGER)
			snprintf(s->err, sizeof(s->err), "%s",
			    sqlite3_errmsg(s->db));
		else
			seterr(s, what);
		if (rc == SQLITE_CONSTRAINT_UNIQUE ||
		    rc == SQLITE_CONSTRAINT_PRIMARYKEY)
			return STORE_EXISTS;
		return STORE_INVALID;
	default:
		seterr(s, what);
		return STORE_ERROR;
	}
}

static sqlite3_stmt *
stmt(struct store *s, enum q q)
{
	if (s->st[q] == NULL &&
	    sqlite3_prepare_v3(s->db, sqls[q], -1, SQLITE_PREPARE_PERSISTENT,
	    &s->st[q], NULL) != SQLITE_OK) {
		seterr(s, "prepare");
		return NULL;
	}
	return s->st[q];
}

/*
 * Bind arguments by a format string: 's' text (NULL binds NULL), 'S' text
 * where "" binds NULL, 'i' int64, 'I' int64 where <0 binds NULL, 'b' blob
 * (pointer, size_t).
 */
static sqlite3_stmt *
vbind(struct store *s, enum q q, const char *fmt, va_list ap)
{
	sqlite3_stmt	*p;
	const char	*str;
	int64_t		 v;
	int		 i, rc = SQLITE_OK;

	if ((p = stmt(s, q)) == NULL)
		return NULL;
	for (i = 1; fmt && *fmt && rc == SQLITE_OK; fmt++, i++) {
		switch (*fmt) {
		case 's':
		case 'S':
			str = va_arg(ap, const char *);
			if (str == NULL || (*fmt == 'S' && *str == '\0'))
				rc = sqlite3_bind_null(p, i);
			else
				rc = sqlite3_bind_text(p, i, str, -1,
				    SQLITE_TRANSIENT);
			break;
		case 'b': {
			const char *bp = va_arg(ap, const char *);
			size_t bl = va_arg(ap, size_t);
			rc = sqlite3_bind_text64(p, i, bp, bl, SQLITE_TRANSIENT,
			    SQLITE_UTF8);
			break;
		}
		case 'i':
		case 'I':
			v = va_arg(ap, int64_t);
			if (*fmt == 'I' && v < 0)
				rc = sqlite3_bind_null(p, i);
			else
				rc = sqlite3_bind_int64(p, i, v);
			break;
		default:
			rc = SQLITE_MISUSE;
		}
	}
	if (rc != SQLITE_OK) {
		seterr(s, "bind");
		sqlite3_reset(p);
		sqlite3_clear_bindings(p);
		return NULL;
	}
	return p;
}

static sqlite3_stmt *
bind(struct store *s, enum q q, const char *fmt, ...)
{
	sqlite3_stmt	*p;
	va_list		 ap;

	va_start(ap, fmt);
	p = vbind(s, q, fmt, ap);
	va_end(ap);
	return p;
}

static void
done(sqlite3_stmt *p)
{
	sqlite3_reset(p);
	sqlite3_clear_bindings(p);
}

/* Run a statement that returns no rows. */
static enum store_rc
exec(struct store *s, enum q q, const char *fmt, ...)
{
	sqlite3_stmt	*p;
	va_list		 ap;
	int		 rc;

	va_start(ap, fmt);
	p = vbind(s, q, fmt, ap);
	va_end(ap);
	if (p == NULL)
		return STORE_ERROR;
	rc = sqlite3_step(p);
	done(p);
	return maprc(s, rc == SQLITE_ROW ? SQLITE_DONE : rc, sqls[q]);
}

/* Like exec(), but a statement that touched no row is STORE_NOTFOUND. */
static enum store_rc
exec_one(struct store *s, enum q q, const char *fmt, ...)
{
	sqlite3_stmt	*p;
	va_list		 ap;
	int		 rc;

	va_start(ap, fmt);
	p = vbind(s, q, fmt, ap);
	va_end(ap);
	if (p == NULL)
		return STORE_ERROR;
	rc = sqlite3_step(p);
	done(p);
	if (rc != SQLITE_DONE)
		return maprc(s, rc, sqls[q]);
	return sqlite3_changes(s->db) > 0 ? STORE_OK : STORE_NOTFOUND;
}

static void
col_copy(sqlite3_stmt *p, int i, char *out, size_t outlen)
{
	const unsigned char *t = sqlite3_column_text(p, i);

	snprintf(out, outlen, "%s", t ? (const char *)t : "");
}

static json_t *
col_json(sqlite3_stmt *p, int i)
{
	switch (sqlite3_column_type(p, i)) {
	case SQLITE_INTEGER:
		return json_integer(sqlite3_column_int64(p, i));
	case SQLITE_FLOAT:
		return json_real(sqlite3_column_double(p, i));
	case SQLITE_NULL:
		return json_null();
	default:
		return json_stringn((const char *)sqlite3_column_text(p, i),
		    (size_t)sqlite3_column_bytes(p, i));
	}
}

/* The current row of a statement as an object keyed by column; NULL. */
static json_t *
row_json(sqlite3_stmt *p)
{
	json_t	*row, *v;
	int	 i, n = sqlite3_column_count(p);

	if ((row = json_object()) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		v = col_json(p, i);
		/* A JSON-typed column ("value") is returned parsed. */
		if ((strcmp(sqlite3_column_name(p, i), "value") == 0 ||
		    strcmp(sqlite3_column_name(p, i), "before") == 0 ||
		    strcmp(sqlite3_column_name(p, i), "after") == 0) &&
		    json_is_string(v)) {
			json_t *pv = json_loads(json_string_value(v),
			    JSON_DECODE_ANY, NULL);
			if (pv) {
				json_decref(v);
				v = pv;
			}
		}
		if (json_object_set_new(row, sqlite3_column_name(p, i), v) !=
		    0) {
			json_decref(row);
			return NULL;
		}
	}
	return row;
}

/* All rows of a bound statement as an array of objects keyed by column. */
static enum store_rc
rows_json(struct store *s, enum q q, sqlite3_stmt *p, json_t **out)
{
	json_t	*arr, *row;
	int	 rc;

	*out = NULL;
	if (p == NULL)
		return STORE_ERROR;
	if ((arr = json_array()) == NULL) {
		done(p);
		return STORE_ERROR;
	}
	while ((rc = sqlite3_step(p)) == SQLITE_ROW) {
		row = row_json(p);
		if (row == NULL || json_array_append_new(arr, row) != 0) {
			json_decref(arr);
			done(p);
			return STORE_ERROR;
		}
	}
	done(p);
	if (rc != SQLITE_DONE) {
		json_decref(arr);
		return maprc(s, rc, sqls[q]);
	}
	*out = arr;
	return STORE_OK;
}

/* ---------------------------------------------------------------- open */

static int
apply(struct store *s, const char *sql, const char *what)
{
	char	*msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(s->err, sizeof(s->err), "%s: %s", what,
		    msg ? msg : sqlite3_errmsg(s->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* The CREATE statements of table's triggers and indexes, as one script. */
static char *
table_dependents(struct store *s, const char *table)
{
	sqlite3_stmt	*p;
	char		*out = NULL, *o;
	size_t		 len = 0, n;
	int		 rc;

	if (sqlite3_prepare_v2(s->db, "SELECT sql FROM sqlite_master WHERE "
	    "tbl_name = ?1 AND type IN ('index', 'trigger') AND sql IS NOT "
	    "NULL ORDER BY type, name", -1, &p, NULL) != SQLITE_OK) {
		seterr(s, "migrate");
		return NULL;
	}
	sqlite3_bind_text(p, 1, table, -1, SQLITE_STATIC);
	if ((out = strdup("")) == NULL)
		goto oom;
	while ((rc = sqlite3_step(p)) == SQLITE_ROW) {
		n = (size_t)sqlite3_column_bytes(p, 0);
		if ((o = realloc(out, len + n + 3)) == NULL)
			goto oom;
		out = o;
		memcpy(out + len, sqlite3_column_text(p, 0), n);
		memcpy(out + len + n, ";\n", 3);
		len += n + 2;
	}
	sqlite3_finalize(p);
	if (rc != SQLITE_DONE) {
		free(out);
		seterr(s, "migrate");
		return NULL;
	}
	return out;
oom:
	sqlite3_finalize(p);
	free(out);
	snprintf(s->err, sizeof(s->err), "migrate: out of memory");
	return NULL;
}

/* Migration from v to v + 1, with the rebuilds it needs. */
static int
migrate_step(struct store *s, int v)
{
	int	 n = (int)(sizeof(migrations) / sizeof(migrations[0])) - 1;
	size_t	 i;
	char	*deps = NULL;
	int	 rc;

	if (v - 1 >= n || migrations[v - 1] == NULL) {
		snprintf(s->err, sizeof(s->err), "no migration from "
		    "version %d", v);
		return -1;
	}
	for (i = 0; i < sizeof(rebuilds) / sizeof(rebuilds[0]); i++)
		if (rebuilds[i].to == v + 1 &&
		    (deps = table_dependents(s, rebuilds[i].table)) == NULL)
			return -1;
	rc = apply(s, migrations[v - 1], "migration");
	if (rc == 0 && deps != NULL)
		rc = apply(s, deps, "migration (re-creating triggers)");
	free(deps);
	return rc;
}

/* PRAGMA foreign_key_check: 0 when no row breaks a reference. */
static int
fk_check(struct store *s)
{
	sqlite3_stmt	*p;
	int		 rc;

	if (sqlite3_prepare_v2(s->db, "PRAGMA foreign_key_check", -1, &p,
	    NULL) != SQLITE_OK) {
		seterr(s, "migrate");
		return -1;
	}
	rc = sqlite3_step(p);
	if (rc == SQLITE_ROW)
		snprintf(s->err, sizeof(s->err), "migrate: table %s breaks a "
		    "foreign key", (const char *)sqlite3_column_text(p, 0));
	else if (rc != SQLITE_DONE)
		seterr(s, "migrate");
	sqlite3_finalize(p);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
migrate(struct store *s, int readonly)
{
	int	 v;
	char	 set[64];

	if ((v = store_sqlite_schema_version(s)) < 0)
		return -1;
	if (v > STORE_SCHEMA_VERSION) {
		snprintf(s->err, sizeof(s->err), "store schema version %d is "
		    "newer than this program's (%d)", v, STORE_SCHEMA_VERSION);
		return -1;
	}
	if (v == STORE_SCHEMA_VERSION)
		return 0;
	if (readonly) {
		snprintf(s->err, sizeof(s->err), "store schema version %d needs "
		    "migrating to %d (run sipcfg init)", v, STORE_SCHEMA_VERSION);
		return -1;
	}
	/*
	 * A table rebuild (the SQLite "12 steps") drops and renames with
	 * foreign keys off, or the drop would cascade; both pragmas are
	 * no-ops inside a transaction, so they go around it.
	 */
	if (apply(s, "PRAGMA foreign_keys = OFF; PRAGMA legacy_alter_table = "
	    "ON", "migrate") != 0 || apply(s, "BEGIN EXCLUSIVE", "migrate") != 0)
		goto restore;
	/* Re-read under the lock: another process may have migrated. */
	if ((v = store_sqlite_schema_version(s)) < 0)
		goto fail;
	if (v == 0 && apply(s, schema_sql, "schema") != 0)
		goto fail;
	for (v = v == 0 ? 1 : v; v < STORE_SCHEMA_VERSION; v++)
		if (migrate_step(s, v) != 0)
			goto fail;
	snprintf(set, sizeof(set), "PRAGMA user_version = %d",
	    STORE_SCHEMA_VERSION);
	if (fk_check(s) != 0 || apply(s, set, "migrate") != 0 ||
	    apply(s, "COMMIT", "migrate") != 0)
		goto fail;
	return apply(s, "PRAGMA foreign_keys = ON; PRAGMA legacy_alter_table "
	    "= OFF", "migrate");
fail:
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
restore:
	sqlite3_exec(s->db, "PRAGMA foreign_keys = ON; PRAGMA "
	    "legacy_alter_table = OFF", NULL, NULL, NULL);
	return -1;
}

struct store *
store_sqlite_open(const char *path, int flags, int busy_ms, char *err,
    size_t errlen)
{
	struct store	*s;
	struct stat	 sb;
	int		 oflags, ro = (flags & STORE_READONLY) != 0;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->ops = &store_sqlite_ops;
	if (!(flags & STORE_CREATE) && stat(path, &sb) != 0) {
		snprintf(err, errlen, "%s: %s (create it with sipcfg init)",
		    path, strerror(errno));
		free(s);
		return NULL;
	}
	oflags = SQLITE_OPEN_NOMUTEX | (ro ? SQLITE_OPEN_READONLY :
	    SQLITE_OPEN_READWRITE | ((flags & STORE_CREATE) ?
	    SQLITE_OPEN_CREATE : 0));
	if (sqlite3_open_v2(path, &s->db, oflags, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path,
		    s->db ? sqlite3_errmsg(s->db) : "cannot open");
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, busy_ms > 0 ? busy_ms : 5000);
	if (apply(s, "PRAGMA foreign_keys = ON", "open") != 0 ||
	    /* WAL is a property of the file, set when it is made. */
	    (!ro && !(flags & STORE_NOMIGRATE) &&
	    apply(s, "PRAGMA journal_mode = WAL", "open") != 0) ||
	    (!ro && apply(s, "PRAGMA synchronous = NORMAL", "open") != 0) ||
	    migrate(s, ro || (flags & STORE_NOMIGRATE)) != 0) {
		snprintf(err, errlen, "%s: %s", path, s->err);
		goto fail;
	}
	return s;
fail:
	store_sqlite_close(s);
	return NULL;
}

static void
store_sqlite_close(struct store *s)
{
	int	 i;

	if (s == NULL)
		return;
	for (i = 0; i < Q__COUNT; i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_close(s->db);
	free(s);
}

static const char *
store_sqlite_errmsg(struct store *s)
{
	return s->err;
}

static int
store_sqlite_schema_version(struct store *s)
{
	sqlite3_stmt	*p;
	int		 v = -1;

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &p, NULL) !=
	    SQLITE_OK) {
		seterr(s, "user_version");
		return -1;
	}
	if (sqlite3_step(p) == SQLITE_ROW)
		v = sqlite3_column_int(p, 0);
	else
		seterr(s, "user_version");
	sqlite3_finalize(p);
	return v;
}

static int
store_sqlite_begin(struct store *s)
{
	return exec(s, Q_BEGIN, "") == STORE_OK ? 0 : -1;
}

static int
store_sqlite_commit(struct store *s)
{
	return exec(s, Q_COMMIT, "") == STORE_OK ? 0 : -1;
}

static void
store_sqlite_rollback(struct store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		(void)exec(s, Q_ROLLBACK, "");
}

static int
store_sqlite_read_begin(struct store *s)
{
	return exec(s, Q_BEGIN_READ, "") == STORE_OK ? 0 : -1;
}

static void
store_sqlite_read_end(struct store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		(void)exec(s, Q_COMMIT, "");
}

static int
store_sqlite_mmap(struct store *s, int64_t bytes)
{
	char	 q[64];

	snprintf(q, sizeof(q), "PRAGMA mmap_size = %lld", (long long)bytes);
	return apply(s, q, "mmap_size");
}

static int
store_sqlite_cache(struct store *s, int64_t bytes)
{
	char	 q[64];

	snprintf(q, sizeof(q), "PRAGMA cache_size = -%lld",
	    (long long)(bytes / 1024));
	return apply(s, q, "cache_size");
}

/* ------------------------------------------------------------ hot path */

static int64_t
store_sqlite_data_version(struct store *s)
{
	sqlite3_stmt	*p;
	int64_t		 v = -1;

	if ((p = stmt(s, Q_DATA_VERSION)) == NULL)
		return -1;
	if (sqlite3_step(p) == SQLITE_ROW)
		v = sqlite3_column_int64(p, 0);
	done(p);
	return v;
}

static enum store_rc
store_sqlite_meta_get(struct store *s, const char *key, char *out, size_t outlen)
{
	sqlite3_stmt	*p;
	int		 rc;

	if ((p = bind(s, Q_META_GET, "s", key)) == NULL)
		return STORE_ERROR;
	rc = sqlite3_step(p);
	if (rc == SQLITE_ROW)
		col_copy(p, 0, out, outlen);
	done(p);
	if (rc == SQLITE_DONE)
		return STORE_NOTFOUND;
	return maprc(s, rc, "meta");
}

static enum store_rc
store_sqlite_meta_set(struct store *s, const char *key, const char *value)
{
	return exec(s, Q_META_SET, "ss", key, value);
}

static time_t
store_sqlite_last_delete(struct store *s)
{
	char		 v[32];
	long long	 t;

	if (store_sqlite_meta_get(s, "last_delete", v, sizeof(v)) != STORE_OK)
		return 0;
	t = strtoll(v, NULL, 10);
	return (time_t)t;
}

static enum device_state
parse_state(const char *s)
{
	if (strcmp(s, "pending") == 0)
		return DEVICE_PENDING;
	if (strcmp(s, "disabled") == 0)
		return DEVICE_DISABLED;
	return DEVICE_ACTIVE;
}

static void
device_cols(sqlite3_stmt *p, struct store_device *d)
{
	char	 v[16];

	memset(d, 0, sizeof(*d));
	d->id = sqlite3_column_int64(p, 0);
	col_copy(p, 1, d->sfua_id, sizeof(d->sfua_id));
	col_copy(p, 2, d->mac, sizeof(d->mac));
	col_copy(p, 3, d->vendor, sizeof(d->vendor));
	col_copy(p, 4, d->model, sizeof(d->model));
	col_copy(p, 5, d->revision, sizeof(d->revision));
	col_copy(p, 6, d->label, sizeof(d->label));
	col_copy(p, 7, v, sizeof(v));
	d->state = parse_state(v);
	d->user_id = sqlite3_column_int64(p, 8);
	col_copy(p, 9, d->user, sizeof(d->user));
	col_copy(p, 10, d->profile, sizeof(d->profile));
	d->max_age = sqlite3_column_int(p, 11);
	d->profile_max_age = sqlite3_column_int(p, 12);
	d->updated = (time_t)sqlite3_column_int64(p, 13);
	d->profile_id = sqlite3_column_int64(p, 14);
	col_copy(p, 15, d->monitor_token, sizeof(d->monitor_token));
	col_copy(p, 16, v, sizeof(v));
	d->notify_mode = strcmp(v, "subscribe") == 0 ? NOTIFY_SUBSCRIBE :
	    strcmp(v, "poll") == 0 ? NOTIFY_POLL : NOTIFY_INHERIT;
	col_copy(p, 17, d->enc_mode, sizeof(d->enc_mode));
	col_copy(p, 18, d->enc_key_sealed, sizeof(d->enc_key_sealed));
	d->domain_id = sqlite3_column_int64(p, 19);
	col_copy(p, 20, v, sizeof(v));
	d->client_cert = strcmp(v, "required") == 0 ? CLIENT_CERT_REQUIRED :
	    strcmp(v, "ignore") == 0 ? CLIENT_CERT_IGNORE :
	    strcmp(v, "optional") == 0 ? CLIENT_CERT_OPTIONAL :
	    CLIENT_CERT_INHERIT;
	d->has_pin = sqlite3_column_int(p, 21) != 0;
}

/*
 * One device row.  A lookup in any domain (domain_id 0) that matches in
 * several is STORE_INVALID, "ambiguous", with the reason in errmsg.
 */
static enum store_rc
device_row(struct store *s, enum q q, int64_t domain_id, const char *key,
    struct store_device *d)
{
	sqlite3_stmt	*p;
	int		 rc, by_key = q == Q_DEV_BY_SFUA || q == Q_DEV_BY_MAC;

	if (by_key && domain_id == 0)
		q = q == Q_DEV_BY_SFUA ? Q_DEV_BY_SFUA_ANY : Q_DEV_BY_MAC_ANY;
	if ((p = by_key && domain_id != 0 ?
	    bind(s, q, "si", key, domain_id) : bind(s, q, "s", key)) == NULL)
		return STORE_ERROR;
	rc = sqlite3_step(p);
	if (rc == SQLITE_ROW) {
		device_cols(p, d);
		if (by_key && sqlite3_step(p) == SQLITE_ROW) {
			done(p);
			snprintf(s->err, sizeof(s->err), "%s is in several "
			    "domains; name one with --domain", key);
			return STORE_AMBIGUOUS;
		}
	}
	done(p);
	if (rc == SQLITE_DONE)
		return STORE_NOTFOUND;
	return maprc(s, rc, "device");
}

static enum store_rc
store_sqlite_device_by_sfua(struct store *s, int64_t domain_id, const char *sfua_id,
    struct store_device *d)
{
	return device_row(s, Q_DEV_BY_SFUA, domain_id, sfua_id, d);
}

static enum store_rc
store_sqlite_device_by_mac(struct store *s, int64_t domain_id, const char *mac,
    struct store_device *d)
{
	return device_row(s, Q_DEV_BY_MAC, domain_id, mac, d);
}

static enum store_rc
store_sqlite_user_by_name(struct store *s, const char *name, struct store_user *u)
{
	sqlite3_stmt	*p;
	int		 rc;

	if ((p = bind(s, Q_USER_BY_NAME, "s", name)) == NULL)
		return STORE_ERROR;
	rc = sqlite3_step(p);
	if (rc == SQLITE_ROW) {
		memset(u, 0, sizeof(*u));
		u->id = sqlite3_column_int64(p, 0);
		col_copy(p, 1, u->name, sizeof(u->name));
		col_copy(p, 2, u->realm, sizeof(u->realm));
		col_copy(p, 3, u->ha1_md5, sizeof(u->ha1_md5));
		col_copy(p, 4, u->ha1_sha256, sizeof(u->ha1_sha256));
		u->domain_id = sqlite3_column_int64(p, 5);
		u->otp = sqlite3_column_int(p, 6) != 0;
		u->otp_not_before = (time_t)sqlite3_column_int64(p, 7);
		u->otp_not_after = (time_t)sqlite3_column_int64(p, 8);
		col_copy(p, 9, u->password_sealed, sizeof(u->password_sealed));
		col_copy(p, 10, u->old_ha1_md5, sizeof(u->old_ha1_md5));
		col_copy(p, 11, u->old_ha1_sha256, sizeof(u->old_ha1_sha256));
		u->old_until = (time_t)sqlite3_column_int64(p, 12);
		u->updated = (time_t)sqlite3_column_int64(p, 13);
	}
	done(p);
	if (rc == SQLITE_DONE)
		return STORE_NOTFOUND;
	return maprc(s, rc, "user");
}

static enum store_rc
store_sqlite_device_lines(struct store *s, int64_t device_id, json_t **lines,
    time_t *updated)
{
	sqlite3_stmt	*p;
	json_t		*arr, *o;
	int		 rc;
	time_t		 t;

	*lines = NULL;
	if ((p = bind(s, Q_LINES, "i", device_id)) == NULL)
		return STORE_ERROR;
	if ((arr = json_array()) == NULL) {
		done(p);
		return STORE_ERROR;
	}
	while ((rc = sqlite3_step(p)) == SQLITE_ROW) {
		o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s}",
		    "position", (json_int_t)sqlite3_column_int64(p, 0),
		    "aor", (const char *)sqlite3_column_text(p, 1),
		    "realm", (const char *)sqlite3_column_text(p, 2),
		    "username", (const char *)sqlite3_column_text(p, 3),
		    "digest", (const char *)sqlite3_column_text(p, 4),
		    "outbound_proxy", (const char *)sqlite3_column_text(p, 5),
		    "display_name", (const char *)sqlite3_column_text(p, 6));
		if (o && sqlite3_column_bytes(p, 8) > 0)
			json_object_set_new(o, "password_sealed", json_string(
			    (const char *)sqlite3_column_text(p, 8)));
		if (o == NULL || json_array_append_new(arr, o) != 0)
			break;
		t = (time_t)sqlite3_column_int64(p, 7);
		if (t > *updated)
			*updated = t;
	}
	done(p);
	if (rc != SQLITE_DONE) {
		json_decref(arr);
		return rc == SQLITE_ROW ? STORE_ERROR : maprc(s, rc, "lines");
	}
	*lines = arr;
	return STORE_OK;
}

static enum store_rc
template_row(struct store *s, sqlite3_stmt *p, struct store_template *t)
{
	int	 rc;

	if (p == NULL)
		return STORE_ERROR;
	memset(t, 0, sizeof(*t));
	rc = sqlite3_step(p);
	if (rc == SQLITE_ROW) {
		col_copy(p, 0, t->name, sizeof(t->name));
		t->content_type = strdup((const char *)sqlite3_column_text(p, 1));
		t->bodylen = (size_t)sqlite3_column_bytes(p, 2);
		t->body = malloc(t->bodylen + 1);
		if (t->body) {
			if (t->bodylen)
				memcpy(t->body, sqlite3_column_text(p, 2),
				    t->bodylen);
			t->body[t->bodylen] = '\0';
		}
		t->updated = (time_t)sqlite3_column_int64(p, 3);
		if (t->content_type == NULL || t->body == NULL) {
			done(p);
			store_template_clear(t);
			snprintf(s->err, sizeof(s->err), "out of memory");
			return STORE_ERROR;
		}
	}
	done(p);
	if (rc == SQLITE_DONE)
		return STORE_NOTFOUND;
	return maprc(s, rc, "template");
}

static enum store_rc
store_sqlite_template_select(struct store *s, const char *vendor, const char *model,
    const char *revision, struct store_template *t)
{
	return template_row(s, bind(s, Q_TPL_SELECT, "sss", vendor, model,
	    revision), t);
}

static enum store_rc
store_sqlite_template_by_name(struct store *s, const char *name,
    struct store_template *t)
{
	return template_row(s, bind(s, Q_TPL_BY_NAME, "s", name), t);
}

static enum store_rc
store_sqlite_vars_merge(struct store *s, const char *layer, const char *scope,
    json_t *obj, time_t *updated, store_unseal_fn unseal, void *arg)
{
	sqlite3_stmt	*p;
	json_t		*v, *one, *opened;
	int		 rc;
	time_t		 t;

	if ((p = bind(s, Q_VARS, "ss", layer, scope)) == NULL)
		return STORE_ERROR;
	while ((rc = sqlite3_step(p)) == SQLITE_ROW) {
		v = json_loads((const char *)sqlite3_column_text(p, 1),
		    JSON_DECODE_ANY, NULL);
		if (v == NULL)
			continue;	/* json_valid() in SQL and jansson disagree */
		/*
		 * A secret variable is its sealed text as a JSON string; what
		 * it opens to takes its place, "" when it does not open.
		 */
		if (sqlite3_column_int(p, 3) != 0) {
			opened = NULL;
			if (unseal != NULL && json_is_string(v))
				opened = unseal(arg, json_string_value(v));
			json_decref(v);
			if ((v = opened) == NULL &&
			    (v = json_string("")) == NULL) {
				done(p);
				return STORE_ERROR;
			}
		}
		one = json_object();
		if (one == NULL || json_object_set_new(one,
		    (const char *)sqlite3_column_text(p, 0), v) != 0 ||
		    store_json_merge(obj, one) != 0) {
			json_decref(one);
			done(p);
			return STORE_ERROR;
		}
		json_decref(one);
		t = (time_t)sqlite3_column_int64(p, 2);
		if (t > *updated)
			*updated = t;
	}
	done(p);
	return rc == SQLITE_DONE ? STORE_OK : maprc(s, rc, "vars");
}

/* By device, then by position: the order store_sqlite_seen_write() writes in. */
static int
seen_cmp(const void *a, const void *b)
{
	const struct store_seen	*x = *(const struct store_seen *const *)a;
	const struct store_seen	*y = *(const struct store_seen *const *)b;

	if (x->device_id != y->device_id)
		return x->device_id < y->device_id ? -1 : 1;
	return x < y ? -1 : x > y;
}

/* The device's last answer as device_seen has it; "" when never seen. */
static int
seen_last(struct store *s, int64_t device_id, char *etag, size_t elen,
    char *addr, size_t alen)
{
	sqlite3_stmt	*p;
	int		 rc;

	etag[0] = addr[0] = '\0';
	if ((p = bind(s, Q_SEEN_LAST, "i", device_id)) == NULL)
		return -1;
	if ((rc = sqlite3_step(p)) == SQLITE_ROW) {
		col_copy(p, 0, etag, elen);
		col_copy(p, 1, addr, alen);
	}
	done(p);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/*
 * One transaction for the batch (seen.h).  The records are written in
 * device order, so that the pages of device_seen, devices and
 * fetches_device are each visited once, and in order, however random the
 * fetches were.  A device's run of records makes one device_seen upsert
 * (the run's last record, its last revision and User-Agent said, and the
 * run's count), which also finds whether the device is still there; and
 * history rows only for the answers that differ from the one before (a
 * new ETag) or went to a new address: a phone polling an unchanged
 * configuration is counted in device_seen.fetches, and its history does
 * not grow.  Without memory for the order, records go as they came.
 */
static int
store_sqlite_seen_write(struct store *s, const struct store_seen *r, size_t n)
{
	const struct store_seen	**o, *last, *rev, *ua, *um, *f;
	char			 petag[sizeof(r->etag)], paddr[sizeof(r->addr)];
	size_t			 i, j, k;

	if ((o = calloc(n ? n : 1, sizeof(*o))) != NULL) {
		for (i = 0; i < n; i++)
			o[i] = &r[i];
		qsort(o, n, sizeof(*o), seen_cmp);
	}
	if (store_sqlite_begin(s) != 0) {
		free(o);
		return -1;
	}
	for (i = 0; i < n; i = j) {
		for (j = i + 1; o != NULL && j < n &&
		    o[j]->device_id == o[i]->device_id; j++)
			;
		last = rev = ua = um = o != NULL ? o[j - 1] : &r[i];
		/*
		 * The run's last revision, User-Agent and model that were
		 * said: a later fetch whose User-Agent names no model (curl)
		 * keeps the one an earlier fetch named, as Q_SEEN's coalesce
		 * does across batches.
		 */
		for (k = j; o != NULL && k-- > i &&
		    (rev->revision[0] == '\0' || ua->ua[0] == '\0' ||
		    um->ua_model[0] == '\0'); ) {
			if (rev->revision[0] == '\0')
				rev = o[k];
			if (ua->ua[0] == '\0')
				ua = o[k];
			if (um->ua_model[0] == '\0')
				um = o[k];
		}
		if (seen_last(s, last->device_id, petag, sizeof(petag), paddr,
		    sizeof(paddr)) != 0 ||
		    exec(s, Q_SEEN, "isissSsssi", last->device_id,
		    rev->revision, (int64_t)last->when, last->etag, last->addr,
		    ua->ua, um->ua_vendor, um->ua_model, um->ua_firmware,
		    (int64_t)(j - i)) != STORE_OK)
			goto fail;
		if (sqlite3_changes(s->db) == 0)
			continue;	/* the device was removed since */
		for (k = i; k < j; k++) {
			f = o != NULL ? o[k] : &r[k];
			if (strcmp(f->etag, petag) == 0 &&
			    strcmp(f->addr, paddr) == 0)
				continue;
			if (exec(s, Q_FETCH_LOG, "iissi", f->device_id,
			    (int64_t)f->when, f->etag, f->addr,
			    (int64_t)(f->secrets != 0)) != STORE_OK)
				goto fail;
			memcpy(petag, f->etag, sizeof(petag));
			memcpy(paddr, f->addr, sizeof(paddr));
		}
	}
	free(o);
	return store_sqlite_commit(s);
fail:
	free(o);
	store_sqlite_rollback(s);
	return -1;
}

static enum store_rc
store_sqlite_device_enroll(struct store *s, int64_t domain_id, const char *sfua_id,
    const char *mac, const char *vendor, const char *model, const char *addr)
{
	return exec(s, Q_ENROLL, "ssssis", sfua_id, mac, vendor, model,
	    domain_id > 0 ? domain_id : (int64_t)STORE_DEFAULT_DOMAIN, addr);
}

static enum store_rc
store_sqlite_enrolled_count(struct store *s, const char *addr, long long *total,
    long long *from_addr)
{
	sqlite3_stmt	*p;
	int		 rc;

	if ((p = bind(s, Q_ENROLL_COUNT, "S", addr)) == NULL)
		return STORE_ERROR;
	if ((rc = sqlite3_step(p)) == SQLITE_ROW) {
		*total = sqlite3_column_int64(p, 0);
		*from_addr = sqlite3_column_int64(p, 1);
	}
	done(p);
	return rc == SQLITE_ROW ? STORE_OK : maprc(s, rc, sqls[Q_ENROLL_COUNT]);
}

static enum store_rc
store_sqlite_enrolled_expire(struct store *s, time_t before, long long *n)
{
	enum store_rc	 rc;

	*n = 0;
	rc = exec(s, Q_ENROLL_EXPIRE, "i", (int64_t)before);
	if (rc == STORE_OK)
		*n = sqlite3_changes(s->db);
	return rc;
}

/* -------------------------------------------------------- the notifier */

static enum store_rc
store_sqlite_device_by_token(struct store *s, const char *token,
    struct store_device *d)
{
	return device_row(s, Q_DEV_BY_TOKEN, 0, token, d);
}

static enum store_rc
store_sqlite_device_by_id(struct store *s, int64_t id, struct store_device *d)
{
	char	 key[24];

	/* The bound text takes the column's integer affinity. */
	snprintf(key, sizeof(key), "%lld", (long long)id);
	return device_row(s, Q_DEV_BY_ID, 0, key, d);
}

static int64_t
store_sqlite_changes_head(struct store *s)
{
	sqlite3_stmt	*p;
	int64_t		 v = -1;

	if ((p = stmt(s, Q_CHANGES_HEAD)) == NULL)
		return -1;
	if (sqlite3_step(p) == SQLITE_ROW)
		v = sqlite3_column_int64(p, 0);
	else
		seterr(s, "changes");
	done(p);
	return v;
}

static enum store_rc
store_sqlite_changes_since(struct store *s, int64_t after, struct store_change *c,
    size_t max, size_t *n)
{
	sqlite3_stmt	*p;
	int		 rc;
	char		 h[STORE_HINT_SIZE];

	*n = 0;
	if ((p = bind(s, Q_CHANGES_SINCE, "ii", after, (int64_t)max)) == NULL)
		return STORE_ERROR;
	while ((rc = sqlite3_step(p)) == SQLITE_ROW && *n < max) {
		c[*n].seq = sqlite3_column_int64(p, 0);
		col_copy(p, 1, h, sizeof(h));
		store_change_parse(h, &c[*n]);
		(*n)++;
	}
	done(p);
	return maprc(s, rc, "changes");
}

static enum store_rc
store_sqlite_active_ids(struct store *s, int64_t after, int64_t *ids, size_t max,
    size_t *n, int64_t *max_id)
{
	sqlite3_stmt	*p;
	int		 rc;

	*n = 0;
	if (max_id) {
		if ((p = stmt(s, Q_DEV_MAX_ID)) == NULL)
			return STORE_ERROR;
		rc = sqlite3_step(p);
		*max_id = rc == SQLITE_ROW ? sqlite3_column_int64(p, 0) : 0;
		done(p);
		if (rc != SQLITE_ROW)
			return maprc(s, rc, "devices");
	}
	if ((p = bind(s, Q_DEV_IDS_AFTER, "ii", after, (int64_t)max)) == NULL)
		return STORE_ERROR;
	while ((rc = sqlite3_step(p)) == SQLITE_ROW && *n < max)
		ids[(*n)++] = sqlite3_column_int64(p, 0);
	done(p);
	return maprc(s, rc, "devices");
}

static enum store_rc
store_sqlite_changes_prune(struct store *s, time_t before)
{
	return exec(s, Q_CHANGES_PRUNE, "i", (int64_t)before);
}

static enum store_rc
store_sqlite_notify_request(struct store *s, int64_t device_id)
{
	return exec(s, Q_NOTIFY_REQ, "I", device_id);
}

static int
store_sqlite_subs_write(struct store *s, const char *instance,
    const struct store_sub *r, size_t n)
{
	enum store_rc	 rc;
	size_t		 i;

	if (store_sqlite_begin(s) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (r[i].gone)
			rc = exec(s, Q_SUB_DELETE, "si", instance,
			    r[i].local_id);
		else
			rc = exec(s, Q_SUB_UPSERT, "siissssiiISi", instance,
			    r[i].local_id, r[i].device_id, r[i].uri,
			    r[i].transport, r[i].source, r[i].contact,
			    (int64_t)r[i].created, (int64_t)r[i].expires,
			    r[i].last_notify ? (int64_t)r[i].last_notify : -1,
			    r[i].last_etag, (int64_t)r[i].notifies);
		if (rc != STORE_OK) {
			store_sqlite_rollback(s);
			return -1;
		}
	}
	return store_sqlite_commit(s);
}

static int
store_sqlite_subs_clear(struct store *s, const char *instance)
{
	return exec(s, Q_SUB_CLEAR, "s", instance) == STORE_OK ? 0 : -1;
}

static enum store_rc
store_sqlite_subs_list(struct store *s, const struct store_subs_filter *f,
    json_t **out)
{
	int64_t	 now = (int64_t)f->now;
	int64_t	 lim = f->limit >= 0 ? f->limit : -1;
	int64_t	 off = f->offset > 0 ? f->offset : 0;

	if (f->device_id >= 0)
		return rows_json(s, Q_SUB_LIST_DEV, bind(s, Q_SUB_LIST_DEV,
		    "iiiisi", now, lim, off, f->device_id, f->after_instance ?
		    f->after_instance : "", f->after_instance ?
		    f->after_local : (int64_t)-1), out);
	if (f->after_instance != NULL)
		return rows_json(s, Q_SUB_LIST_AFTER, bind(s,
		    Q_SUB_LIST_AFTER, "iiisi", now, lim, off,
		    f->after_instance, f->after_local), out);
	return rows_json(s, Q_SUB_LIST, bind(s, Q_SUB_LIST, "iii", now, lim,
	    off), out);
}

static enum store_rc
store_sqlite_profile_set_notify(struct store *s, const char *name, const char *mode)
{
	int64_t		 id;
	enum store_rc	 rc;

	if ((rc = store_sqlite_profile_ensure(s, name, &id)) != STORE_OK)
		return rc;
	return exec_one(s, Q_PROFILE_NOTIFY, "sS", name, mode ? mode : "");
}

/* ------------------------------------------------- check-sync push */

static enum store_rc
store_sqlite_checksync_devices(struct store *s, int64_t *ids, size_t max, size_t *n)
{
	sqlite3_stmt	*p;
	int		 rc;

	*n = 0;
	if ((p = bind(s, Q_CS_DEVICES, "i", (int64_t)max)) == NULL)
		return STORE_ERROR;
	while ((rc = sqlite3_step(p)) == SQLITE_ROW && *n < max)
		ids[(*n)++] = sqlite3_column_int64(p, 0);
	done(p);
	return maprc(s, rc == SQLITE_ROW ? SQLITE_DONE : rc, "check-sync");
}

static enum store_rc
store_sqlite_checksync_target(struct store *s, int64_t id,
    struct store_checksync_target *t)
{
	sqlite3_stmt	*p;
	int		 rc;

	memset(t, 0, sizeof(*t));
	if ((p = bind(s, Q_CS_TARGET, "i", id)) == NULL)
		return STORE_ERROR;
	rc = sqlite3_step(p);
	if (rc == SQLITE_ROW) {
		col_copy(p, 0, t->contact, sizeof(t->contact));
		col_copy(p, 1, t->aor, sizeof(t->aor));
		col_copy(p, 2, t->username, sizeof(t->username));
		col_copy(p, 3, t->realm, sizeof(t->realm));
		col_copy(p, 4, t->ha1, sizeof(t->ha1));
		col_copy(p, 5, t->proxy, sizeof(t->proxy));
		col_copy(p, 6, t->event, sizeof(t->event));
		col_copy(p, 7, t->reboot_event, sizeof(t->reboot_event));
	}
	done(p);
	if (rc == SQLITE_DONE)
		return STORE_NOTFOUND;
	return maprc(s, rc, "check-sync target");
}

static enum store_rc
store_sqlite_checksync_request(struct store *s, int64_t id, int reboot)
{
	return exec(s, Q_CS_REQUEST, "ii", id, (int64_t)(reboot != 0));
}

static enum store_rc
store_sqlite_checksync_list(struct store *s, json_t **out)
{
	return rows_json(s, Q_CS_LIST, bind(s, Q_CS_LIST, ""), out);
}

static enum store_rc
store_sqlite_checksync_set(struct store *s, const char *vendor, const char *event,
    const char *reboot_event, int enabled)
{
	return exec(s, Q_CS_SET, "sSSI", vendor, event, reboot_event,
	    (int64_t)enabled);
}

static enum store_rc
store_sqlite_profile_set_checksync(struct store *s, const char *name,
    const char *mode)
{
	int64_t		 id;
	enum store_rc	 rc;

	if ((rc = store_sqlite_profile_ensure(s, name, &id)) != STORE_OK)
		return rc;
	return exec_one(s, Q_PROFILE_CS, "sS", name, mode ? mode : "");
}

/* ------------------------------------------------------------ audit */

static enum store_rc
store_sqlite_audit_begin(struct store *s, const char *who, const char *command,
    int64_t *session)
{
	enum store_rc	 rc;

	if ((rc = exec(s, Q_AUDIT_BEGIN, "ss", who, command)) == STORE_OK)
		*session = sqlite3_last_insert_rowid(s->db);
	return rc;
}

static enum store_rc
store_sqlite_audit_end(struct store *s, int64_t session)
{
	return exec(s, Q_AUDIT_END, "i", session);
}

static enum store_rc
store_sqlite_audit_list(struct store *s, time_t since, int limit, json_t **out)
{
	return rows_json(s, Q_AUDIT_LIST, bind(s, Q_AUDIT_LIST, "ii",
	    (int64_t)since, (int64_t)limit), out);
}

static enum store_rc
store_sqlite_device_history(struct store *s, int64_t id, int limit, json_t **out)
{
	return rows_json(s, Q_HISTORY, bind(s, Q_HISTORY, "ii", id,
	    (int64_t)limit), out);
}

/* ------------------------------------------------------ vendor paths */

static enum store_rc
store_sqlite_path_rules(struct store *s, struct store_path_rule *r, size_t max,
    size_t *n)
{
	sqlite3_stmt	*p;
	int		 rc;

	*n = 0;
	if ((p = stmt(s, Q_PATHS)) == NULL)
		return STORE_ERROR;
	while ((rc = sqlite3_step(p)) == SQLITE_ROW && *n < max) {
		r[*n].id = sqlite3_column_int64(p, 0);
		col_copy(p, 1, r[*n].pattern, sizeof(r[*n].pattern));
		col_copy(p, 2, r[*n].vendor, sizeof(r[*n].vendor));
		col_copy(p, 3, r[*n].template_name,
		    sizeof(r[*n].template_name));
		r[*n].plain = sqlite3_column_int(p, 4);
		(*n)++;
	}
	done(p);
	return maprc(s, rc == SQLITE_ROW ? SQLITE_DONE : rc, "path rules");
}

static enum store_rc
store_sqlite_path_rule_add(struct store *s, const char *pattern, const char *vendor,
    const char *tpl, int plain)
{
	return exec(s, Q_PATH_ADD, "sSSi", pattern, vendor, tpl,
	    (int64_t)(plain != 0));
}

static enum store_rc
store_sqlite_device_enc_cert(struct store *s, int64_t id, char *pem, size_t pemlen)
{
	sqlite3_stmt	*p;
	int		 rc;

	pem[0] = '\0';
	if ((p = bind(s, Q_ENC_CERT, "i", id)) == NULL)
		return STORE_ERROR;
	rc = sqlite3_step(p);
	if (rc == SQLITE_ROW)
		col_copy(p, 0, pem, pemlen);
	done(p);
	if (rc == SQLITE_DONE)
		return STORE_NOTFOUND;
	return maprc(s, rc, "device certificate");
}

static enum store_rc
store_sqlite_device_set_key(struct store *s, int64_t id, const char *sealed)
{
	return exec_one(s, Q_ENC_KEY, "iS", id, sealed);
}

static enum store_rc
store_sqlite_profile_set_enc(struct store *s, const char *name, const char *mode)
{
	int64_t		 id;
	enum store_rc	 rc;

	if ((rc = store_sqlite_profile_ensure(s, name, &id)) != STORE_OK)
		return rc;
	return exec_one(s, Q_PROFILE_ENC, "sS", name, mode ? mode : "");
}

static enum store_rc
store_sqlite_path_rule_remove(struct store *s, const char *pattern)
{
	return exec_one(s, Q_PATH_DELETE, "s", pattern);
}

static enum store_rc
store_sqlite_path_rule_list(struct store *s, json_t **out)
{
	return rows_json(s, Q_PATH_LIST, bind(s, Q_PATH_LIST, ""), out);
}

/* ------------------------------------------------ admin API tokens */

static enum store_rc
store_sqlite_token_add(struct store *s, const char *name, const char *scope,
    const char *sha256, time_t expires)
{
	return exec(s, Q_TOKEN_ADD, "sssI", name, scope, sha256,
	    (int64_t)(expires > 0 ? expires : -1));
}

static enum store_rc
store_sqlite_token_remove(struct store *s, const char *name)
{
	return exec_one(s, Q_TOKEN_DELETE, "s", name);
}

static enum store_rc
store_sqlite_token_list(struct store *s, json_t **out)
{
	return rows_json(s, Q_TOKEN_LIST, bind(s, Q_TOKEN_LIST, ""), out);
}

static enum store_rc
store_sqlite_token_by_hash(struct store *s, const char *sha256,
    struct store_token *t)
{
	sqlite3_stmt	*p;
	int		 rc;

	memset(t, 0, sizeof(*t));
	if ((p = bind(s, Q_TOKEN_BY_HASH, "s", sha256)) == NULL)
		return STORE_ERROR;
	rc = sqlite3_step(p);
	if (rc == SQLITE_ROW) {
		t->id = sqlite3_column_int64(p, 0);
		col_copy(p, 1, t->name, sizeof(t->name));
		col_copy(p, 2, t->scope, sizeof(t->scope));
		t->expires = (time_t)sqlite3_column_int64(p, 3);
		t->last_used = (time_t)sqlite3_column_int64(p, 4);
	}
	done(p);
	if (rc == SQLITE_DONE)
		return STORE_NOTFOUND;
	return maprc(s, rc == SQLITE_ROW ? SQLITE_DONE : rc, "token");
}

static enum store_rc
store_sqlite_token_used(struct store *s, int64_t id, time_t now)
{
	return exec(s, Q_TOKEN_USED, "ii", id, (int64_t)now);
}

/* ---------------------------------------------- domains and TOFU pins */

static enum store_rc
store_sqlite_domain_list(struct store *s, json_t **out)
{
	return rows_json(s, Q_DOMAIN_LIST, bind(s, Q_DOMAIN_LIST, ""), out);
}

static enum store_rc
store_sqlite_domain_id(struct store *s, const char *name, int64_t *id)
{
	sqlite3_stmt	*p;
	int		 rc;

	if ((p = bind(s, Q_DOMAIN_ID, "s", name)) == NULL)
		return STORE_ERROR;
	rc = sqlite3_step(p);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(p, 0);
	done(p);
	if (rc == SQLITE_DONE) {
		snprintf(s->err, sizeof(s->err), "no domain %s (see sipcfg "
		    "domain list)", name);
		return STORE_NOTFOUND;
	}
	return maprc(s, rc, "domain");
}

/* Fields a domain can have set; the column name never comes from input. */
static const struct {
	const char	*field;
	const char	*sql;
} domset[] = {
	{ "name",	"UPDATE domains SET name = ?2 WHERE id = ?1" },
	{ "realm",	"UPDATE domains SET realm = ?2 WHERE id = ?1" },
	/* Both at once: a CHECK keeps them a pair (key_file is ?3). */
	{ "cert_file",	"UPDATE domains SET cert_file = ?2, key_file = ?3 "
			    "WHERE id = ?1" },
	{ "key_file",	NULL },
	{ "ca_file",	"UPDATE domains SET ca_file = ?2 WHERE id = ?1" },
	{ "base_url",	"UPDATE domains SET base_url = ?2 WHERE id = ?1" },
	{ "client_cert", "UPDATE domains SET client_cert = ?2 WHERE id = ?1" },
	{ "tofu",	"UPDATE domains SET tofu = ?2 WHERE id = ?1" },
};

static void
bind_field(sqlite3_stmt *p, int i, const json_t *v)
{
	if (json_is_integer(v))
		sqlite3_bind_int64(p, i, json_integer_value(v));
	else if (json_is_string(v) && *json_string_value(v))
		sqlite3_bind_text(p, i, json_string_value(v), -1,
		    SQLITE_TRANSIENT);
}

/*
 * Set the fields of f (strings, "" or null clearing; an integer for
 * tofu) on domain id, inside the caller's transaction.  cert_file and
 * key_file are set together (a CHECK keeps them a pair): a caller
 * changing one passes both.
 */
static enum store_rc
store_sqlite_domain_update(struct store *s, int64_t id, const json_t *f)
{
	const char	*k;
	json_t		*v;
	sqlite3_stmt	*p;
	size_t		 i, n = sizeof(domset) / sizeof(domset[0]);
	int		 rc;

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
		if (sqlite3_prepare_v2(s->db, domset[i].sql, -1, &p, NULL) !=
		    SQLITE_OK) {
			seterr(s, "prepare");
			return STORE_ERROR;
		}
		sqlite3_bind_int64(p, 1, id);
		bind_field(p, 2, v);
		if (strcmp(k, "cert_file") == 0)
			bind_field(p, 3, json_object_get(f, "key_file"));
		rc = sqlite3_step(p);
		sqlite3_finalize(p);
		if (rc != SQLITE_DONE)
			return maprc(s, rc, k);
	}
	return STORE_OK;
}

static enum store_rc
store_sqlite_domain_add(struct store *s, const char *name, const json_t *f,
    int64_t *id)
{
	enum store_rc	 rc;

	if ((rc = exec(s, Q_DOMAIN_INSERT, "s", name)) != STORE_OK)
		return rc;
	*id = sqlite3_last_insert_rowid(s->db);
	return store_sqlite_domain_update(s, *id, f);
}

static enum store_rc
store_sqlite_domain_remove(struct store *s, const char *name)
{
	return exec_one(s, Q_DOMAIN_DELETE, "s", name);
}

static enum store_rc
store_sqlite_user_set_domain(struct store *s, const char *name, int64_t domain_id)
{
	return exec_one(s, Q_USER_DOMAIN, "si", name, domain_id);
}

static enum store_rc
store_sqlite_users_rerealm(struct store *s, int64_t domain_id, const char *from,
    const char *to, int *n)
{
	enum store_rc	 rc;

	if ((rc = exec(s, Q_USER_REREALM, "iss", domain_id, from, to)) ==
	    STORE_OK)
		*n = sqlite3_changes(s->db);
	return rc;
}

static enum store_rc
store_sqlite_device_duplicates(struct store *s, json_t **out)
{
	return rows_json(s, Q_DEV_DUPS, bind(s, Q_DEV_DUPS, ""), out);
}

static enum store_rc
store_sqlite_device_duplicates_of(struct store *s, int64_t domain_id,
    const char *sfua_id, const char *mac, json_t **out)
{
	return rows_json(s, Q_DEV_DUPS_OF, bind(s, Q_DEV_DUPS_OF, "isS",
	    domain_id, sfua_id, mac), out);
}

/*
 * RFC 6011 §2.4.1 trust on first use.  With may_pin, a device without a
 * pin gets sha256 as its pin (first writer wins: a concurrent different
 * certificate then finds the other pin).  *result says what happened.
 */
static enum store_rc
store_sqlite_device_pin(struct store *s, int64_t device_id, const char *sha256,
    const char *subject, const char *addr, int may_pin,
    enum store_pin_result *result)
{
	sqlite3_stmt	*p;
	char		 have[65] = "";
	int		 rc, changed = 0;

	if (may_pin) {
		if (exec(s, Q_PIN_INSERT, "issS", device_id, sha256, subject,
		    addr) != STORE_OK)
			return STORE_ERROR;
		changed = sqlite3_changes(s->db) > 0;
	}
	if ((p = bind(s, Q_PIN_GET, "i", device_id)) == NULL)
		return STORE_ERROR;
	rc = sqlite3_step(p);
	if (rc == SQLITE_ROW)
		col_copy(p, 0, have, sizeof(have));
	done(p);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return maprc(s, rc, "pin");
	if (have[0] == '\0')
		*result = PIN_NONE;
	else if (util_ct_streq(have, sha256))
		*result = changed ? PIN_NEW : PIN_MATCH;
	else
		*result = PIN_MISMATCH;
	return STORE_OK;
}

static enum store_rc
store_sqlite_device_unpin(struct store *s, int64_t device_id)
{
	return exec_one(s, Q_PIN_DELETE, "i", device_id);
}

/* ------------------------------------------------------ administration */

static enum store_rc
lookup_id(struct store *s, enum q q, const char *name, int64_t *id)
{
	sqlite3_stmt	*p;
	int		 rc;

	if ((p = bind(s, q, "s", name)) == NULL)
		return STORE_ERROR;
	rc = sqlite3_step(p);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(p, 0);
	done(p);
	if (rc == SQLITE_DONE)
		return STORE_NOTFOUND;
	return maprc(s, rc, "lookup");
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

/* Resolve "user" and "profile" names in fields to ids (-1: leave NULL). */
static enum store_rc
resolve_refs(struct store *s, const json_t *f, int64_t *uid, int64_t *pid)
{
	const char	*u = jstr(f, "user"), *p = jstr(f, "profile");
	enum store_rc	 rc;

	*uid = *pid = -1;
	if (u && *u && (rc = lookup_id(s, Q_USER_ID, u, uid)) != STORE_OK) {
		if (rc == STORE_NOTFOUND) {
			snprintf(s->err, sizeof(s->err), "no such user: %s", u);
			return STORE_INVALID;
		}
		return rc;
	}
	if (p && *p && store_sqlite_profile_ensure(s, p, pid) != STORE_OK)
		return STORE_ERROR;
	return STORE_OK;
}

static enum store_rc
store_sqlite_device_add(struct store *s, const json_t *f)
{
	int64_t		 uid, pid;
	enum store_rc	 rc;
	const char	*state = jstr(f, "state");

	if ((rc = resolve_refs(s, f, &uid, &pid)) != STORE_OK)
		return rc;
	return exec(s, Q_DEV_INSERT, "sSSSssIIISSiS", jstr(f, "sfua_id"),
	    jstr(f, "mac"), jstr(f, "vendor"), jstr(f, "model"),
	    state ? state : "active", jstr(f, "label"), uid, pid,
	    jint(f, "max_age", -1), jstr(f, "notify_mode"),
	    jstr(f, "checksync"), jint(f, "domain_id", STORE_DEFAULT_DOMAIN),
	    jstr(f, "client_cert"));
}

/*
 * Update the named fields of a device.  Each field has its own constant
 * statement; the column name never comes from input.
 */
static const struct {
	const char	*field;
	const char	*sql;
} devset[] = {
	{ "mac",	"UPDATE devices SET mac = ?2 WHERE id = ?1" },
	{ "vendor",	"UPDATE devices SET vendor = ?2 WHERE id = ?1" },
	{ "model",	"UPDATE devices SET model = ?2 WHERE id = ?1" },
	{ "state",	"UPDATE devices SET state = ?2 WHERE id = ?1" },
	{ "label",	"UPDATE devices SET label = ?2 WHERE id = ?1" },
	{ "user",	"UPDATE devices SET user_id = ?2 WHERE id = ?1" },
	{ "profile",	"UPDATE devices SET profile_id = ?2 WHERE id = ?1" },
	{ "max_age",	"UPDATE devices SET max_age = ?2 WHERE id = ?1" },
	{ "notify_mode", "UPDATE devices SET notify_mode = ?2 WHERE id = ?1" },
	{ "checksync",	"UPDATE devices SET checksync = ?2 WHERE id = ?1" },
	{ "contact_uri", "UPDATE devices SET contact_uri = ?2 WHERE id = ?1" },
	{ "enc_mode",	"UPDATE devices SET enc_mode = ?2 WHERE id = ?1" },
	{ "enc_cert",	"UPDATE devices SET enc_cert = ?2 WHERE id = ?1" },
	{ "client_cert", "UPDATE devices SET client_cert = ?2 WHERE id = ?1" },
};

static enum store_rc
store_sqlite_device_update(struct store *s, int64_t id, const json_t *f)
{
	const char	*k;
	json_t		*v;
	sqlite3_stmt	*p;
	size_t		 i;
	int64_t		 uid, pid;
	enum store_rc	 rc;
	int		 src;

	if ((rc = resolve_refs(s, f, &uid, &pid)) != STORE_OK)
		return rc;
	json_object_foreach((json_t *)f, k, v) {
		for (i = 0; i < sizeof(devset) / sizeof(devset[0]); i++)
			if (strcmp(devset[i].field, k) == 0)
				break;
		if (i == sizeof(devset) / sizeof(devset[0])) {
			snprintf(s->err, sizeof(s->err), "unknown field: %s", k);
			return STORE_INVALID;
		}
		if (sqlite3_prepare_v2(s->db, devset[i].sql, -1, &p, NULL) !=
		    SQLITE_OK) {
			seterr(s, "prepare");
			return STORE_ERROR;
		}
		sqlite3_bind_int64(p, 1, id);
		if (strcmp(k, "user") == 0) {
			if (uid >= 0)
				sqlite3_bind_int64(p, 2, uid);
		} else if (strcmp(k, "profile") == 0) {
			if (pid >= 0)
				sqlite3_bind_int64(p, 2, pid);
		} else if (json_is_integer(v))
			sqlite3_bind_int64(p, 2, json_integer_value(v));
		else if (json_is_string(v) && *json_string_value(v))
			sqlite3_bind_text(p, 2, json_string_value(v), -1,
			    SQLITE_TRANSIENT);
		src = sqlite3_step(p);
		sqlite3_finalize(p);
		if ((rc = maprc(s, src, k)) != STORE_OK)
			return rc;
		if (sqlite3_changes(s->db) == 0)
			return STORE_NOTFOUND;
	}
	return STORE_OK;
}

static enum store_rc
store_sqlite_device_remove(struct store *s, int64_t id)
{
	return exec_one(s, Q_DEV_DELETE, "i", id);
}

static enum store_rc
store_sqlite_device_list(struct store *s, json_t **out)
{
	return rows_json(s, Q_DEV_LIST, bind(s, Q_DEV_LIST, ""), out);
}

/*
 * The filters of store_sqlite_device_each(): a fixed clause each, with a fixed
 * parameter number (?1 to ?5; ?6 and ?7 are LIMIT and OFFSET), so the
 * statement is one of 2^5 texts and never holds input.  A device that
 * never fetched counts as not seen.
 */
static const char *const devlist_where[] = {
	"d.vendor = ?1",
	"d.model = ?2",
	"d.state = ?3",
	"d.user_id = (SELECT id FROM users WHERE name = ?4)",
	"coalesce(s.last_fetch, 0) < ?5",
	"d.id > ?8",
};
#define DEVLIST_NWHERE	(sizeof(devlist_where) / sizeof(devlist_where[0]))
#define DEVLIST_USER	(1u << 3)

/* The listing with the clauses of mask; allocated, NULL without memory. */
static char *
devlist_sql(unsigned mask)
{
	size_t	 i, off, len = sizeof(DEV_LIST) + 64;
	char	*sql;

	for (i = 0; i < DEVLIST_NWHERE; i++)
		len += strlen(devlist_where[i]) + 8;
	if ((sql = malloc(len)) == NULL)
		return NULL;
	off = (size_t)snprintf(sql, len, "%s", DEV_LIST);
	for (i = 0; i < DEVLIST_NWHERE; i++)
		if (mask & (1u << i))
			off += (size_t)snprintf(sql + off, len - off, " %s %s",
			    mask & ((1u << i) - 1) ? "AND" : "WHERE",
			    devlist_where[i]);
	snprintf(sql + off, len - off, " ORDER BY d.id LIMIT ?6 OFFSET ?7");
	return sql;
}

static enum store_rc
store_sqlite_device_each(struct store *s, const struct store_device_filter *f,
    int (*fn)(const json_t *, void *), void *arg)
{
	const char	*text[] = { f->vendor, f->model, f->state, f->user };
	sqlite3_stmt	*p = NULL;
	json_t		*row;
	unsigned	 mask = 0;
	size_t		 i;
	char		*sql;
	int		 rc = SQLITE_OK, stop;

	for (i = 0; i < sizeof(text) / sizeof(text[0]); i++)
		if (text[i] != NULL)
			mask |= 1u << i;
	if (f->not_seen_since > 0)
		mask |= 1u << 4;
	if (f->after_id > 0)
		mask |= 1u << 5;
	if ((sql = devlist_sql(mask)) == NULL) {
		snprintf(s->err, sizeof(s->err), "out of memory");
		return STORE_ERROR;
	}
	if (sqlite3_prepare_v2(s->db, sql, -1, &p, NULL) != SQLITE_OK) {
		seterr(s, "prepare");
		free(sql);
		return STORE_ERROR;
	}
	free(sql);
	for (i = 0; rc == SQLITE_OK && i < sizeof(text) / sizeof(text[0]); i++)
		if (text[i] != NULL)
			rc = sqlite3_bind_text(p, (int)i + 1, text[i], -1,
			    SQLITE_TRANSIENT);
	if (rc == SQLITE_OK && f->not_seen_since > 0)
		rc = sqlite3_bind_int64(p, 5, (int64_t)f->not_seen_since);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(p, 6, f->limit < 0 ? -1 : f->limit);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(p, 7, f->offset > 0 ? f->offset : 0);
	if (rc == SQLITE_OK && f->after_id > 0)
		rc = sqlite3_bind_int64(p, 8, f->after_id);
	if (rc != SQLITE_OK) {
		seterr(s, "bind");
		sqlite3_finalize(p);
		return STORE_ERROR;
	}
	while ((rc = sqlite3_step(p)) == SQLITE_ROW) {
		if ((row = row_json(p)) == NULL) {
			snprintf(s->err, sizeof(s->err), "out of memory");
			break;
		}
		stop = fn(row, arg);
		json_decref(row);
		if (stop != 0) {
			snprintf(s->err, sizeof(s->err), "listing stopped");
			break;
		}
	}
	sqlite3_finalize(p);
	if (rc == SQLITE_ROW)
		return STORE_ERROR;
	return maprc(s, rc, "device list");
}

static enum store_rc
store_sqlite_device_elsewhere(struct store *s, int *yes)
{
	sqlite3_stmt	*p;
	int		 rc;

	*yes = 0;
	if ((p = bind(s, Q_DEV_ELSEWHERE, "")) == NULL)
		return STORE_ERROR;
	if ((rc = sqlite3_step(p)) == SQLITE_ROW)
		*yes = sqlite3_column_int(p, 0) != 0;
	done(p);
	return rc == SQLITE_ROW ? STORE_OK : maprc(s, rc, "device list");
}

/* ------------------------------------------------ for the plan test */

char *
store_sqlite_statement(size_t i, const char **name)
{
	static const size_t ndev = sizeof(devset) / sizeof(devset[0]);
	static const size_t ndom = sizeof(domset) / sizeof(domset[0]);

	*name = NULL;
	if (i < Q__COUNT) {
		*name = qnames[i];
		return strdup(sqls[i]);
	}
	i -= Q__COUNT;
	if (i < ndev) {
		*name = devset[i].field;
		return strdup(devset[i].sql);
	}
	i -= ndev;
	if (i < ndom) {
		/* key_file is set with cert_file: "" for no statement. */
		*name = domset[i].field;
		return strdup(domset[i].sql ? domset[i].sql : "");
	}
	i -= ndom;
	if (i < (1u << DEVLIST_NWHERE)) {
		*name = i & DEVLIST_USER ? "device list --user" :
		    "device list";
		return devlist_sql((unsigned)i);
	}
	return NULL;
}

static enum store_rc
store_sqlite_device_show(struct store *s, int64_t id, json_t **out)
{
	json_t		*arr, *lines;
	enum store_rc	 rc;

	*out = NULL;
	if ((rc = rows_json(s, Q_DEV_SHOW, bind(s, Q_DEV_SHOW, "i", id),
	    &arr)) != STORE_OK)
		return rc;
	if (json_array_size(arr) == 0) {
		json_decref(arr);
		return STORE_NOTFOUND;
	}
	*out = json_incref(json_array_get(arr, 0));
	json_decref(arr);
	if (store_sqlite_line_list(s, id, &lines) == STORE_OK)
		json_object_set_new(*out, "lines", lines);
	return STORE_OK;
}

static enum store_rc
store_sqlite_user_add(struct store *s, const char *name, const char *realm,
    const char *md5, const char *sha256)
{
	return exec(s, Q_USER_INSERT, "ssss", name, realm, md5, sha256);
}

static enum store_rc
store_sqlite_user_passwd(struct store *s, const char *name, const char *md5,
    const char *sha256, const char *sealed, time_t old_until)
{
	return exec_one(s, Q_USER_PASSWD, "sssSi", name, md5, sha256, sealed,
	    (int64_t)(old_until > 0 ? old_until : 0));
}

static enum store_rc
store_sqlite_user_set_otp(struct store *s, const char *name, const char *md5,
    const char *sha256, time_t not_before, time_t not_after)
{
	return exec_one(s, Q_USER_SET_OTP, "sssII", name, md5, sha256,
	    (int64_t)(not_before > 0 ? not_before : -1),
	    (int64_t)(not_after > 0 ? not_after : -1));
}

static enum store_rc
store_sqlite_user_otp_consume(struct store *s, int64_t id, const char *otp_md5,
    const char *md5, const char *sha256, const char *sealed, time_t now)
{
	return exec_one(s, Q_USER_OTP_CONSUME, "isssSi", id, otp_md5, md5,
	    sha256, sealed, (int64_t)now);
}

static enum store_rc
store_sqlite_user_remove(struct store *s, const char *name)
{
	return exec_one(s, Q_USER_DELETE, "s", name);
}

static enum store_rc
store_sqlite_user_list(struct store *s, const struct store_user_filter *f,
    json_t **out)
{
	int64_t	 lim = f && f->limit >= 0 ? f->limit : -1;
	int64_t	 off = f && f->offset > 0 ? f->offset : 0;

	if (f && f->name)
		return rows_json(s, Q_USER_SHOW, bind(s, Q_USER_SHOW, "s",
		    f->name), out);
	if (f && f->after)
		return rows_json(s, Q_USER_LIST_AFTER, bind(s,
		    Q_USER_LIST_AFTER, "iis", lim, off, f->after), out);
	return rows_json(s, Q_USER_LIST, bind(s, Q_USER_LIST, "ii", lim, off),
	    out);
}

static enum store_rc
store_sqlite_profile_ensure(struct store *s, const char *name, int64_t *id)
{
	enum store_rc	 rc;

	if ((rc = exec(s, Q_PROFILE_INSERT, "s", name)) != STORE_OK)
		return rc;
	return lookup_id(s, Q_PROFILE_ID, name, id);
}

static enum store_rc
store_sqlite_profile_set_max_age(struct store *s, const char *name, int max_age)
{
	int64_t		 id;
	enum store_rc	 rc;

	if ((rc = store_sqlite_profile_ensure(s, name, &id)) != STORE_OK)
		return rc;
	return exec_one(s, Q_PROFILE_MAXAGE, "sI", name, (int64_t)max_age);
}

static enum store_rc
store_sqlite_profile_list(struct store *s, json_t **out)
{
	return rows_json(s, Q_PROFILE_LIST, bind(s, Q_PROFILE_LIST, ""), out);
}

static enum store_rc
store_sqlite_line_add(struct store *s, int64_t device_id, const json_t *f)
{
	sqlite3_stmt	*p;
	int64_t		 pos = jint(f, "position", 0);
	int		 rc;

	if (pos <= 0) {
		if ((p = bind(s, Q_LINE_NEXTPOS, "i", device_id)) == NULL)
			return STORE_ERROR;
		rc = sqlite3_step(p);
		if (rc == SQLITE_ROW)
			pos = sqlite3_column_int64(p, 0);
		done(p);
		if (rc != SQLITE_ROW)
			return maprc(s, rc, "line");
	}
	return exec(s, Q_LINE_INSERT, "iissssSSS", device_id, pos,
	    jstr(f, "aor"), jstr(f, "realm"), jstr(f, "username"),
	    jstr(f, "ha1"), jstr(f, "outbound_proxy"), jstr(f, "display_name"),
	    jstr(f, "password_sealed"));
}

static enum store_rc
store_sqlite_line_remove(struct store *s, int64_t device_id, int position)
{
	return exec_one(s, Q_LINE_DELETE, "ii", device_id, (int64_t)position);
}

static enum store_rc
store_sqlite_line_list(struct store *s, int64_t device_id, json_t **out)
{
	return rows_json(s, Q_LINE_LIST, bind(s, Q_LINE_LIST, "i", device_id),
	    out);
}

static enum store_rc
store_sqlite_template_put(struct store *s, const char *name, const char *vendor,
    const char *model, const char *revision, const char *ctype,
    const char *body, size_t len)
{
	return exec(s, Q_TPL_UPSERT, "sSSSsb", name, vendor, model, revision,
	    ctype, body, len);
}

static enum store_rc
store_sqlite_template_remove(struct store *s, const char *name)
{
	return exec_one(s, Q_TPL_DELETE, "s", name);
}

static enum store_rc
store_sqlite_template_list(struct store *s, json_t **out)
{
	return rows_json(s, Q_TPL_LIST, bind(s, Q_TPL_LIST, ""), out);
}

static enum store_rc
store_sqlite_var_set(struct store *s, const char *layer, const char *scope,
    const char *name, const char *json, int secret)
{
	return exec(s, Q_VAR_UPSERT, "ssssi", layer, scope, name, json,
	    (int64_t)(secret != 0));
}

static enum store_rc
store_sqlite_var_unset(struct store *s, const char *layer, const char *scope,
    const char *name)
{
	return exec_one(s, Q_VAR_DELETE, "sss", layer, scope, name);
}

static enum store_rc
store_sqlite_var_list(struct store *s, const char *layer, const char *scope,
    long long limit, long long offset, json_t **out)
{
	return rows_json(s, Q_VAR_LIST, bind(s, Q_VAR_LIST, "ssii", layer,
	    scope, (int64_t)(limit >= 0 ? limit : -1), (int64_t)(offset > 0 ?
	    offset : 0)), out);
}

/* ------------------------------------- bulk import and export (issue 11) */

/*
 * Apart from the statement table above: these are prepared by the bulk
 * run that uses them and finalised with it.  Each one that looks up a
 * device, a line or a variable uses a unique index: (domain_id, sfua_id),
 * (device_id, position), (layer, scope, name).
 */
enum qb {
	QB_DOMAINS,
	QB_PROFILES,
	QB_DEV_GET,
	QB_DEV_INSERT,
	QB_USER_INSERT,
	QB_LINES,
	QB_VARS,
	QB_MARK,
	QB_MARKED,
	QB_SWEEP,
	QB_IDS,
	QB_MAXPOS,
	QB_VARNAMES,
	QB_EXPORT,
	QB_QUIET,
	QB_LOUD,
	QB_CHG_DEVICE,
	QB_CHG_USER,
	QB_CHG_VARS,
	QB_CHG_ALL,
	QB_AUDIT,
	QB__COUNT
};

#define QB_DEVICE_COLS "d.id, d.domain_id, dm.name, d.sfua_id, " \
	"coalesce(d.mac, ''), coalesce(d.vendor, ''), coalesce(d.model, ''), " \
	"coalesce(d.label, ''), d.state, coalesce(u.name, ''), " \
	"coalesce(p.name, '') "
#define QB_DEVICE_FROM "FROM devices d JOIN domains dm ON dm.id = d.domain_id " \
	"LEFT JOIN users u ON u.id = d.user_id " \
	"LEFT JOIN profiles p ON p.id = d.profile_id "

static const char *const bsqls[QB__COUNT] = {
	[QB_DOMAINS] = "SELECT name, id, coalesce(realm, (SELECT value FROM "
	    "meta WHERE key = 'realm')) FROM domains",
	[QB_PROFILES] = "SELECT name, id FROM profiles",
	[QB_DEV_GET] = "SELECT " QB_DEVICE_COLS QB_DEVICE_FROM
	    "WHERE d.domain_id = ?1 AND d.sfua_id = ?2",
	[QB_DEV_INSERT] = "INSERT INTO devices(domain_id, sfua_id, mac, vendor, "
	    "model, label, state, user_id, profile_id) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[QB_USER_INSERT] = "INSERT INTO users(name, realm, ha1_md5, ha1_sha256, "
	    "domain_id) VALUES (?1, ?2, ?3, ?4, ?5)",
	[QB_LINES] = "SELECT position, aor, realm, username, ha1, "
	    "coalesce(outbound_proxy, ''), coalesce(display_name, ''), "
	    "coalesce(password_sealed, '') FROM lines WHERE device_id = ?1 "
	    "ORDER BY position",
	[QB_VARS] = "SELECT name, value FROM vars WHERE layer = 'device' AND "
	    "scope = ?1 AND secret = 0 ORDER BY name",
	[QB_MARK] = "INSERT INTO temp.bulk_named(kind, key, line) "
	    "VALUES (?1, ?2, ?3) ON CONFLICT(kind, key) DO NOTHING",
	[QB_MARKED] = "SELECT line FROM temp.bulk_named WHERE kind = ?1 AND "
	    "key = ?2",
	[QB_SWEEP] = "DELETE FROM devices WHERE id NOT IN "
	    "(SELECT key FROM temp.bulk_named WHERE kind = 'd') RETURNING id",
	[QB_IDS] = "SELECT id FROM devices WHERE id > ?1 ORDER BY id LIMIT ?2",
	[QB_MAXPOS] = "SELECT coalesce(max(position), 0) FROM lines",
	[QB_VARNAMES] = "SELECT DISTINCT name FROM vars WHERE layer = 'device' "
	    "AND secret = 0 ORDER BY name",
	[QB_EXPORT] = "SELECT " QB_DEVICE_COLS ", "
	    "CASE WHEN ?1 THEN coalesce(u.ha1_md5, '') ELSE '' END, "
	    "CASE WHEN ?1 THEN coalesce(u.ha1_sha256, '') ELSE '' END "
	    QB_DEVICE_FROM "ORDER BY d.domain_id, d.sfua_id",
	/* migrate-8.sql: the per-row triggers are quiet while it exists. */
	[QB_QUIET] = "INSERT OR REPLACE INTO meta(key, value) "
	    "VALUES ('bulk', strftime('%s', 'now'))",
	[QB_LOUD] = "DELETE FROM meta WHERE key = 'bulk'",
	/* The hints of the per-row triggers (migrate-2.sql). */
	[QB_CHG_DEVICE] = "INSERT INTO changes(entity, entity_id, op, hint) "
	    "VALUES ('devices', ?1, ?2, 'device:' || ?1)",
	[QB_CHG_USER] = "INSERT INTO changes(entity, entity_id, op, hint) "
	    "VALUES ('users', ?1, ?2, 'user:' || ?1)",
	[QB_CHG_VARS] = "INSERT INTO changes(entity, entity_id, op, hint) "
	    "SELECT 'vars', NULL, 'update', 'var:device:' || sfua_id "
	    "FROM devices WHERE id = ?1",
	[QB_CHG_ALL] = "INSERT INTO changes(entity, entity_id, op, hint) "
	    "VALUES ('import', NULL, 'update', 'all')",
	/* Tied to the open session as the triggers tie theirs (migrate-4). */
	[QB_AUDIT] = "INSERT INTO audit(session_id, entity, op, after) "
	    "VALUES ((SELECT id FROM audit_sessions WHERE open = 1 "
	    "ORDER BY id DESC LIMIT 1), 'import', 'summary', "
	    "json_object('file', ?1, 'replace', json(CASE WHEN ?2 THEN "
	    "'true' ELSE 'false' END), 'rows', ?3, 'added', ?4, "
	    "'changed', ?5, 'unchanged', ?6, 'removed', ?7, "
	    "'users_added', ?8, 'users_changed', ?9, 'change_rows', ?10))",
};

/* One thing an import touched, for its change rows. */
struct bulk_touched {
	enum store_bulk_touch	 what;
	int64_t			 id;
};

struct store_bulk {
	struct store		*s;	/* first: store.c finds it here */
	sqlite3_stmt		*st[QB__COUNT];
	int			 quiet;
	/* The first STORE_BULK_CHANGES_MAX + 1 of ntouched. */
	struct bulk_touched	*touched;
	size_t			 ntouched, cap;
};

static enum store_rc store_sqlite_bulk_touch(struct store_bulk *,
		    enum store_bulk_touch, int64_t);

#define BULK_STMT_JOURNAL	(1024 * 1024)

int
store_sqlite_bulk_init(void)
{
	return sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL,
	    BULK_STMT_JOURNAL) == SQLITE_OK ? 0 : -1;
}

static int
store_sqlite_bulk_tune(struct store *s)
{
	/*
	 * 256 MB of pages: the indexes of a million devices stay cached.
	 * Statement journals stay in memory by store_sqlite_bulk_init(), in one
	 * piece: temp_store MEMORY would cut them in pieces of 1 KB.
	 */
	return apply(s, "PRAGMA cache_size = -262144", "bulk") != 0 ||
	    apply(s, "PRAGMA synchronous = FULL", "bulk") != 0 ? -1 : 0;
}

static struct store_bulk *
store_sqlite_bulk_new(struct store *s)
{
	struct store_bulk	*b;

	if ((b = calloc(1, sizeof(*b))) == NULL) {
		snprintf(s->err, sizeof(s->err), "out of memory");
		return NULL;
	}
	b->s = s;
	/*
	 * A temporary table: never in the store file, and with pages
	 * enough to stay out of its temporary file too.
	 */
	if (apply(s, "CREATE TEMP TABLE IF NOT EXISTS bulk_named "
	    "(kind TEXT, key, line INTEGER, PRIMARY KEY (kind, key)) "
	    "WITHOUT ROWID", "bulk") != 0 ||
	    apply(s, "PRAGMA temp.cache_size = -262144", "bulk") != 0 ||
	    apply(s, "DELETE FROM temp.bulk_named", "bulk") != 0) {
		free(b);
		return NULL;
	}
	return b;
}

static void
store_sqlite_bulk_free(struct store_bulk *b)
{
	int	 i;

	if (b == NULL)
		return;
	/* A quiet run that failed: the caller rolls back, but be sure. */
	if (b->quiet && b->st[QB_LOUD] != NULL) {
		sqlite3_step(b->st[QB_LOUD]);
		sqlite3_reset(b->st[QB_LOUD]);
	}
	for (i = 0; i < QB__COUNT; i++)
		sqlite3_finalize(b->st[i]);
	free(b->touched);
	free(b);
}

static sqlite3_stmt *
bstmt(struct store_bulk *b, enum qb q)
{
	if (b->st[q] == NULL && sqlite3_prepare_v3(b->s->db, bsqls[q], -1,
	    SQLITE_PREPARE_PERSISTENT, &b->st[q], NULL) != SQLITE_OK) {
		seterr(b->s, "prepare");
		return NULL;
	}
	return b->st[q];
}

/* Text, or NULL for NULL and "". */
static int
btext(sqlite3_stmt *p, int i, const char *v)
{
	return v == NULL || *v == '\0' ? sqlite3_bind_null(p, i) :
	    sqlite3_bind_text(p, i, v, -1, SQLITE_TRANSIENT);
}

static int
bid(sqlite3_stmt *p, int i, int64_t v)
{
	return v <= 0 ? sqlite3_bind_null(p, i) : sqlite3_bind_int64(p, i, v);
}

/* The rows of p (bound) as name (column 0) -> column 1 (or [1, 2]). */
static enum store_rc
bulk_map(struct store_bulk *b, sqlite3_stmt *p, int pair, json_t **out)
{
	json_t	*o = json_object(), *v;
	int	 rc;

	while (o && (rc = sqlite3_step(p)) == SQLITE_ROW) {
		v = pair ? json_pack("[Is]", (json_int_t)sqlite3_column_int64(p,
		    1), (const char *)sqlite3_column_text(p, 2)) :
		    json_integer(sqlite3_column_int64(p, 1));
		json_object_set_new(o, (const char *)sqlite3_column_text(p, 0),
		    v);
	}
	done(p);
	if (o == NULL || rc != SQLITE_DONE) {
		json_decref(o);
		return o ? maprc(b->s, rc, "bulk") : STORE_ERROR;
	}
	*out = o;
	return STORE_OK;
}

static enum store_rc
store_sqlite_bulk_domains(struct store_bulk *b, json_t **out)
{
	sqlite3_stmt	*p = bstmt(b, QB_DOMAINS);

	return p ? bulk_map(b, p, 1, out) : STORE_ERROR;
}

static enum store_rc
store_sqlite_bulk_profiles(struct store_bulk *b, json_t **out)
{
	sqlite3_stmt	*p = bstmt(b, QB_PROFILES);

	return p ? bulk_map(b, p, 0, out) : STORE_ERROR;
}

static void
bulk_device_cols(sqlite3_stmt *p, struct store_bulk_device *d)
{
	memset(d, 0, sizeof(*d));
	d->id = sqlite3_column_int64(p, 0);
	d->domain_id = sqlite3_column_int64(p, 1);
	col_copy(p, 2, d->domain, sizeof(d->domain));
	col_copy(p, 3, d->sfua_id, sizeof(d->sfua_id));
	col_copy(p, 4, d->mac, sizeof(d->mac));
	col_copy(p, 5, d->vendor, sizeof(d->vendor));
	col_copy(p, 6, d->model, sizeof(d->model));
	col_copy(p, 7, d->label, sizeof(d->label));
	col_copy(p, 8, d->state, sizeof(d->state));
	col_copy(p, 9, d->user, sizeof(d->user));
	col_copy(p, 10, d->profile, sizeof(d->profile));
}

static enum store_rc
store_sqlite_bulk_device_get(struct store_bulk *b, int64_t domain_id,
    const char *sfua_id, struct store_bulk_device *d)
{
	sqlite3_stmt	*p = bstmt(b, QB_DEV_GET);
	int		 rc;

	if (p == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(p, 1, domain_id);
	sqlite3_bind_text(p, 2, sfua_id, -1, SQLITE_TRANSIENT);
	if ((rc = sqlite3_step(p)) == SQLITE_ROW)
		bulk_device_cols(p, d);
	done(p);
	if (rc == SQLITE_DONE)
		return STORE_NOTFOUND;
	return maprc(b->s, rc, "device");
}

static enum store_rc
store_sqlite_bulk_device_insert(struct store_bulk *b,
    const struct store_bulk_device *d, int64_t user_id, int64_t profile_id,
    int64_t *id)
{
	sqlite3_stmt	*p = bstmt(b, QB_DEV_INSERT);
	int		 rc;

	if (p == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(p, 1, d->domain_id);
	btext(p, 2, d->sfua_id);
	btext(p, 3, d->mac);
	btext(p, 4, d->vendor);
	btext(p, 5, d->model);
	btext(p, 6, d->label);
	btext(p, 7, *d->state ? d->state : "active");
	bid(p, 8, user_id);
	bid(p, 9, profile_id);
	rc = sqlite3_step(p);
	done(p);
	if (rc == SQLITE_DONE)
		*id = sqlite3_last_insert_rowid(b->s->db);
	return maprc(b->s, rc, "device");
}

static enum store_rc
store_sqlite_bulk_user_add(struct store_bulk *b, const char *name, const char *realm,
    const char *md5, const char *sha256, int64_t domain_id, int64_t *id)
{
	sqlite3_stmt	*p = bstmt(b, QB_USER_INSERT);
	int		 rc;

	if (p == NULL)
		return STORE_ERROR;
	btext(p, 1, name);
	btext(p, 2, realm);
	btext(p, 3, md5);
	btext(p, 4, sha256);
	sqlite3_bind_int64(p, 5, domain_id);
	rc = sqlite3_step(p);
	done(p);
	if (rc == SQLITE_DONE)
		*id = sqlite3_last_insert_rowid(b->s->db);
	return maprc(b->s, rc, "user");
}

static enum store_rc
store_sqlite_bulk_lines(struct store_bulk *b, int64_t device_id, json_t **out)
{
	sqlite3_stmt	*p = bstmt(b, QB_LINES);
	json_t		*arr = json_array(), *l;
	int		 rc;

	*out = NULL;
	if (p == NULL || arr == NULL) {
		json_decref(arr);
		return STORE_ERROR;
	}
	sqlite3_bind_int64(p, 1, device_id);
	while ((rc = sqlite3_step(p)) == SQLITE_ROW) {
		l = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
		    "position", (json_int_t)sqlite3_column_int64(p, 0),
		    "aor", sqlite3_column_text(p, 1),
		    "realm", sqlite3_column_text(p, 2),
		    "username", sqlite3_column_text(p, 3),
		    "ha1", sqlite3_column_text(p, 4),
		    "proxy", sqlite3_column_text(p, 5),
		    "display", sqlite3_column_text(p, 6),
		    "password_sealed", sqlite3_column_text(p, 7));
		if (l == NULL || json_array_append_new(arr, l) != 0) {
			rc = SQLITE_NOMEM;
			break;
		}
	}
	done(p);
	if (rc != SQLITE_DONE) {
		json_decref(arr);
		return maprc(b->s, rc, "lines");
	}
	*out = arr;
	return STORE_OK;
}

static enum store_rc
store_sqlite_bulk_vars(struct store_bulk *b, const char *sfua_id, json_t **out)
{
	sqlite3_stmt	*p = bstmt(b, QB_VARS);
	json_t		*o = json_object(), *v;
	int		 rc;

	*out = NULL;
	if (p == NULL || o == NULL) {
		json_decref(o);
		return STORE_ERROR;
	}
	sqlite3_bind_text(p, 1, sfua_id, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(p)) == SQLITE_ROW) {
		v = json_loads((const char *)sqlite3_column_text(p, 1),
		    JSON_DECODE_ANY, NULL);
		if (v == NULL)
			v = json_null();
		json_object_set_new(o, (const char *)sqlite3_column_text(p, 0),
		    v);
	}
	done(p);
	if (rc != SQLITE_DONE) {
		json_decref(o);
		return maprc(b->s, rc, "vars");
	}
	*out = o;
	return STORE_OK;
}

static enum store_rc
store_sqlite_bulk_mark(struct store_bulk *b, char kind, int64_t id, const char *name,
    long line, long *first)
{
	sqlite3_stmt	*p = bstmt(b, QB_MARK), *q = bstmt(b, QB_MARKED);
	char		 k[2] = { kind, '\0' };
	int		 rc, i;

	if (p == NULL || q == NULL)
		return STORE_ERROR;
	for (i = 0; i < 2; i++) {
		sqlite3_stmt *x = i ? q : p;

		sqlite3_bind_text(x, 1, k, 1, SQLITE_STATIC);
		if (name)
			sqlite3_bind_text(x, 2, name, -1, SQLITE_TRANSIENT);
		else
			sqlite3_bind_int64(x, 2, id);
	}
	sqlite3_bind_int64(p, 3, line);
	rc = sqlite3_step(p);
	done(p);
	if (rc != SQLITE_DONE) {
		done(q);
		return maprc(b->s, rc, "bulk");
	}
	if (sqlite3_changes(b->s->db) > 0) {
		done(q);
		return STORE_OK;
	}
	rc = sqlite3_step(q);
	*first = rc == SQLITE_ROW ? (long)sqlite3_column_int64(q, 0) : 0;
	done(q);
	return STORE_EXISTS;
}

static enum store_rc
store_sqlite_bulk_sweep(struct store_bulk *b, long long *n)
{
	sqlite3_stmt	*p = bstmt(b, QB_SWEEP);
	int		 rc;

	*n = 0;
	if (p == NULL)
		return STORE_ERROR;
	/* Every row is deleted by the first step; the rest say which. */
	while ((rc = sqlite3_step(p)) == SQLITE_ROW) {
		if (store_sqlite_bulk_touch(b, BULK_DEVICE_REMOVED,
		    sqlite3_column_int64(p, 0)) != STORE_OK) {
			done(p);
			return STORE_ERROR;
		}
		(*n)++;
	}
	done(p);
	return maprc(b->s, rc, "remove");
}

static enum store_rc
store_sqlite_bulk_quiet(struct store_bulk *b)
{
	sqlite3_stmt	*p = bstmt(b, QB_QUIET);
	int		 rc;

	if (p == NULL || bstmt(b, QB_LOUD) == NULL)
		return STORE_ERROR;
	rc = sqlite3_step(p);
	done(p);
	if (rc == SQLITE_DONE)
		b->quiet = 1;
	return maprc(b->s, rc, "bulk");
}

static enum store_rc
store_sqlite_bulk_touch(struct store_bulk *b, enum store_bulk_touch what, int64_t id)
{
	struct bulk_touched	*t;
	size_t			 cap;

	/* Past the limit only the count matters: the change is 'all'. */
	if (b->ntouched++ > STORE_BULK_CHANGES_MAX)
		return STORE_OK;
	if (b->ntouched > b->cap) {
		cap = b->cap ? b->cap * 2 : 256;
		if (cap > STORE_BULK_CHANGES_MAX + 1)
			cap = STORE_BULK_CHANGES_MAX + 1;
		if ((t = reallocarray(b->touched, cap, sizeof(*t))) == NULL) {
			snprintf(b->s->err, sizeof(b->s->err), "out of memory");
			return STORE_ERROR;
		}
		b->touched = t;
		b->cap = cap;
	}
	b->touched[b->ntouched - 1].what = what;
	b->touched[b->ntouched - 1].id = id;
	return STORE_OK;
}

/* One statement of the summary, its parameters integers. */
static enum store_rc
bulk_exec(struct store_bulk *b, enum qb q, int n, const int64_t *v,
    const char *op)
{
	sqlite3_stmt	*p = bstmt(b, q);
	int		 i, rc;

	if (p == NULL)
		return STORE_ERROR;
	for (i = 0; i < n; i++)
		sqlite3_bind_int64(p, i + 1, v[i]);
	if (op != NULL)
		sqlite3_bind_text(p, n + 1, op, -1, SQLITE_STATIC);
	rc = sqlite3_step(p);
	done(p);
	return maprc(b->s, rc, "summary");
}

static enum store_rc
store_sqlite_bulk_summary(struct store_bulk *b, const struct store_bulk_summary *m)
{
	static const char *const ops[] = {
		[BULK_DEVICE_ADDED] = "insert", [BULK_DEVICE_CHANGED] = "update",
		[BULK_DEVICE_REMOVED] = "delete", [BULK_USER_ADDED] = "insert",
		[BULK_USER_CHANGED] = "update", [BULK_VARS_CHANGED] = "update"
	};
	sqlite3_stmt		*p;
	const struct bulk_touched *t;
	enum store_rc		 rc = STORE_OK;
	int64_t			 rows;
	size_t			 i;
	int			 src, all = b->ntouched > STORE_BULK_CHANGES_MAX;

	for (i = 0; !all && rc == STORE_OK && i < b->ntouched; i++) {
		t = &b->touched[i];
		switch (t->what) {
		case BULK_DEVICE_ADDED:
		case BULK_DEVICE_CHANGED:
		case BULK_DEVICE_REMOVED:
			rc = bulk_exec(b, QB_CHG_DEVICE, 1, &t->id, ops[t->what]);
			break;
		case BULK_USER_ADDED:
		case BULK_USER_CHANGED:
			rc = bulk_exec(b, QB_CHG_USER, 1, &t->id, ops[t->what]);
			break;
		case BULK_VARS_CHANGED:
			rc = bulk_exec(b, QB_CHG_VARS, 1, &t->id, NULL);
			break;
		}
	}
	if (all)
		rc = bulk_exec(b, QB_CHG_ALL, 0, NULL, NULL);
	if (rc != STORE_OK)
		return rc;
	rows = all ? 1 : (int64_t)b->ntouched;
	if ((p = bstmt(b, QB_AUDIT)) == NULL)
		return STORE_ERROR;
	sqlite3_bind_text(p, 1, m->file, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(p, 2, m->replace != 0);
	sqlite3_bind_int64(p, 3, m->rows);
	sqlite3_bind_int64(p, 4, m->added);
	sqlite3_bind_int64(p, 5, m->changed);
	sqlite3_bind_int64(p, 6, m->unchanged);
	sqlite3_bind_int64(p, 7, m->removed);
	sqlite3_bind_int64(p, 8, m->users_added);
	sqlite3_bind_int64(p, 9, m->users_changed);
	sqlite3_bind_int64(p, 10, rows);
	src = sqlite3_step(p);
	done(p);
	if ((rc = maprc(b->s, src, "audit")) != STORE_OK)
		return rc;
	if ((rc = bulk_exec(b, QB_LOUD, 0, NULL, NULL)) == STORE_OK)
		b->quiet = 0;
	return rc;
}

static enum store_rc
store_sqlite_bulk_ids(struct store_bulk *b, int64_t after, int64_t *ids, size_t max,
    size_t *n)
{
	sqlite3_stmt	*p = bstmt(b, QB_IDS);
	int		 rc;

	*n = 0;
	if (p == NULL)
		return STORE_ERROR;
	sqlite3_bind_int64(p, 1, after);
	sqlite3_bind_int64(p, 2, (int64_t)max);
	while ((rc = sqlite3_step(p)) == SQLITE_ROW)
		ids[(*n)++] = sqlite3_column_int64(p, 0);
	done(p);
	return maprc(b->s, rc, "devices");
}

static enum store_rc
store_sqlite_bulk_columns(struct store_bulk *b, int *max_position, json_t **names)
{
	sqlite3_stmt	*p;
	json_t		*arr;
	int		 rc;

	*names = NULL;
	if ((p = bstmt(b, QB_MAXPOS)) == NULL)
		return STORE_ERROR;
	if ((rc = sqlite3_step(p)) == SQLITE_ROW)
		*max_position = sqlite3_column_int(p, 0);
	done(p);
	if (rc != SQLITE_ROW)
		return maprc(b->s, rc, "lines");
	if ((p = bstmt(b, QB_VARNAMES)) == NULL ||
	    (arr = json_array()) == NULL)
		return STORE_ERROR;
	while ((rc = sqlite3_step(p)) == SQLITE_ROW)
		json_array_append_new(arr, json_string((const char *)
		    sqlite3_column_text(p, 0)));
	done(p);
	if (rc != SQLITE_DONE) {
		json_decref(arr);
		return maprc(b->s, rc, "vars");
	}
	*names = arr;
	return STORE_OK;
}

static enum store_rc
store_sqlite_bulk_export(struct store_bulk *b, int secrets, store_bulk_fn fn,
    void *arg)
{
	sqlite3_stmt			*p = bstmt(b, QB_EXPORT);
	struct store_bulk_device	 d;
	json_t				*lines, *vars;
	enum store_rc			 r = STORE_OK;
	int				 rc = SQLITE_DONE;

	if (p == NULL)
		return STORE_ERROR;
	sqlite3_bind_int(p, 1, secrets != 0);
	while (r == STORE_OK && (rc = sqlite3_step(p)) == SQLITE_ROW) {
		bulk_device_cols(p, &d);
		col_copy(p, 11, d.ha1_md5, sizeof(d.ha1_md5));
		col_copy(p, 12, d.ha1_sha256, sizeof(d.ha1_sha256));
		if ((r = store_sqlite_bulk_lines(b, d.id, &lines)) != STORE_OK)
			break;
		if ((r = store_sqlite_bulk_vars(b, d.sfua_id, &vars)) != STORE_OK) {
			json_decref(lines);
			break;
		}
		if (fn(arg, &d, lines, vars) != 0) {
			snprintf(b->s->err, sizeof(b->s->err), "export stopped");
			r = STORE_ERROR;
		}
	}
	util_wipe(&d, sizeof(d));
	done(p);
	if (r != STORE_OK)
		return r;
	return maprc(b->s, rc, "export");
}

static void
store_sqlite_seterr(struct store *s, const char *msg)
{
	snprintf(s->err, sizeof(s->err), "%s", msg);
}

/* ---------------------------------------- whole tables (moving a store) */

static enum store_rc
store_sqlite_table_each(struct store *s, const char *table, const char *key,
    int (*fn)(json_t *row, void *arg), void *arg)
{
	sqlite3_stmt	*p;
	json_t		*row, *v;
	char		 sql[160];
	int		 i, n, rc;

	/* The names are store_table_ok()'s, never a caller's text. */
	snprintf(sql, sizeof(sql), "SELECT * FROM %s ORDER BY %s", table, key);
	if (sqlite3_prepare_v2(s->db, sql, -1, &p, NULL) != SQLITE_OK) {
		seterr(s, table);
		return STORE_ERROR;
	}
	n = sqlite3_column_count(p);
	while ((rc = sqlite3_step(p)) == SQLITE_ROW) {
		if ((row = json_object()) == NULL)
			goto oom;
		for (i = 0; i < n; i++) {
			switch (sqlite3_column_type(p, i)) {
			case SQLITE_INTEGER:
				v = json_integer(sqlite3_column_int64(p, i));
				break;
			case SQLITE_NULL:
				v = json_null();
				break;
			default:
				v = json_stringn((const char *)
				    sqlite3_column_text(p, i),
				    (size_t)sqlite3_column_bytes(p, i));
				break;
			}
			if (v == NULL || json_object_set_new(row,
			    sqlite3_column_name(p, i), v) != 0) {
				json_decref(row);
				goto oom;
			}
		}
		if (fn(row, arg) != 0) {
			sqlite3_finalize(p);
			return STORE_ERROR;
		}
	}
	if (rc != SQLITE_DONE) {
		seterr(s, table);
		sqlite3_finalize(p);
		return STORE_ERROR;
	}
	sqlite3_finalize(p);
	return STORE_OK;
oom:
	snprintf(s->err, sizeof(s->err), "out of memory (or a text that is "
	    "not UTF-8) in %s", table);
	sqlite3_finalize(p);
	return STORE_ERROR;
}

static enum store_rc
store_sqlite_table_put(struct store *s, const char *table, const char *key,
    const json_t *row, const char *sql)
{
	sqlite3_stmt	*p;
	const char	*c;
	json_t		*v;
	int		 i = 0, rc;

	(void)key;
	if (sqlite3_prepare_v2(s->db, sql, -1, &p, NULL) != SQLITE_OK) {
		seterr(s, table);
		return STORE_ERROR;
	}
	json_object_foreach((json_t *)row, c, v) {
		i++;
		if (json_is_integer(v))
			rc = sqlite3_bind_int64(p, i, json_integer_value(v));
		else if (json_is_string(v))
			rc = sqlite3_bind_text(p, i, json_string_value(v),
			    (int)json_string_length(v), SQLITE_TRANSIENT);
		else
			rc = sqlite3_bind_null(p, i);
		if (rc != SQLITE_OK) {
			seterr(s, "bind");
			sqlite3_finalize(p);
			return STORE_ERROR;
		}
	}
	rc = sqlite3_step(p);
	sqlite3_finalize(p);
	return maprc(s, rc, table);
}

static const struct store_ops store_sqlite_ops = {
	.name = "SQLite",
	.seterr = store_sqlite_seterr,
	.close = store_sqlite_close,
	.errmsg = store_sqlite_errmsg,
	.schema_version = store_sqlite_schema_version,
	.begin = store_sqlite_begin,
	.commit = store_sqlite_commit,
	.rollback = store_sqlite_rollback,
	.read_begin = store_sqlite_read_begin,
	.read_end = store_sqlite_read_end,
	.mmap = store_sqlite_mmap,
	.cache = store_sqlite_cache,
	.data_version = store_sqlite_data_version,
	.last_delete = store_sqlite_last_delete,
	.meta_get = store_sqlite_meta_get,
	.meta_set = store_sqlite_meta_set,
	.device_by_sfua = store_sqlite_device_by_sfua,
	.device_by_mac = store_sqlite_device_by_mac,
	.user_by_name = store_sqlite_user_by_name,
	.device_lines = store_sqlite_device_lines,
	.template_select = store_sqlite_template_select,
	.template_by_name = store_sqlite_template_by_name,
	.vars_merge = store_sqlite_vars_merge,
	.device_by_token = store_sqlite_device_by_token,
	.device_by_id = store_sqlite_device_by_id,
	.changes_head = store_sqlite_changes_head,
	.changes_since = store_sqlite_changes_since,
	.active_ids = store_sqlite_active_ids,
	.changes_prune = store_sqlite_changes_prune,
	.notify_request = store_sqlite_notify_request,
	.subs_write = store_sqlite_subs_write,
	.subs_clear = store_sqlite_subs_clear,
	.subs_list = store_sqlite_subs_list,
	.profile_set_notify = store_sqlite_profile_set_notify,
	.checksync_devices = store_sqlite_checksync_devices,
	.checksync_target = store_sqlite_checksync_target,
	.checksync_request = store_sqlite_checksync_request,
	.checksync_list = store_sqlite_checksync_list,
	.checksync_set = store_sqlite_checksync_set,
	.profile_set_checksync = store_sqlite_profile_set_checksync,
	.device_enc_cert = store_sqlite_device_enc_cert,
	.device_set_key = store_sqlite_device_set_key,
	.profile_set_enc = store_sqlite_profile_set_enc,
	.audit_begin = store_sqlite_audit_begin,
	.audit_end = store_sqlite_audit_end,
	.audit_list = store_sqlite_audit_list,
	.device_history = store_sqlite_device_history,
	.path_rules = store_sqlite_path_rules,
	.path_rule_add = store_sqlite_path_rule_add,
	.path_rule_remove = store_sqlite_path_rule_remove,
	.path_rule_list = store_sqlite_path_rule_list,
	.token_add = store_sqlite_token_add,
	.token_remove = store_sqlite_token_remove,
	.token_list = store_sqlite_token_list,
	.token_by_hash = store_sqlite_token_by_hash,
	.token_used = store_sqlite_token_used,
	.seen_write = store_sqlite_seen_write,
	.device_enroll = store_sqlite_device_enroll,
	.enrolled_count = store_sqlite_enrolled_count,
	.enrolled_expire = store_sqlite_enrolled_expire,
	.domain_list = store_sqlite_domain_list,
	.domain_id = store_sqlite_domain_id,
	.domain_add = store_sqlite_domain_add,
	.domain_update = store_sqlite_domain_update,
	.domain_remove = store_sqlite_domain_remove,
	.user_set_domain = store_sqlite_user_set_domain,
	.users_rerealm = store_sqlite_users_rerealm,
	.device_duplicates = store_sqlite_device_duplicates,
	.device_duplicates_of = store_sqlite_device_duplicates_of,
	.device_pin = store_sqlite_device_pin,
	.device_unpin = store_sqlite_device_unpin,
	.device_add = store_sqlite_device_add,
	.device_update = store_sqlite_device_update,
	.device_remove = store_sqlite_device_remove,
	.device_list = store_sqlite_device_list,
	.device_each = store_sqlite_device_each,
	.device_elsewhere = store_sqlite_device_elsewhere,
	.device_show = store_sqlite_device_show,
	.user_add = store_sqlite_user_add,
	.user_passwd = store_sqlite_user_passwd,
	.user_set_otp = store_sqlite_user_set_otp,
	.user_otp_consume = store_sqlite_user_otp_consume,
	.user_remove = store_sqlite_user_remove,
	.user_list = store_sqlite_user_list,
	.profile_ensure = store_sqlite_profile_ensure,
	.profile_set_max_age = store_sqlite_profile_set_max_age,
	.profile_list = store_sqlite_profile_list,
	.line_add = store_sqlite_line_add,
	.line_remove = store_sqlite_line_remove,
	.line_list = store_sqlite_line_list,
	.template_put = store_sqlite_template_put,
	.template_remove = store_sqlite_template_remove,
	.template_list = store_sqlite_template_list,
	.var_set = store_sqlite_var_set,
	.var_unset = store_sqlite_var_unset,
	.var_list = store_sqlite_var_list,
	.bulk_tune = store_sqlite_bulk_tune,
	.bulk_new = store_sqlite_bulk_new,
	.bulk_free = store_sqlite_bulk_free,
	.bulk_domains = store_sqlite_bulk_domains,
	.bulk_profiles = store_sqlite_bulk_profiles,
	.bulk_device_get = store_sqlite_bulk_device_get,
	.bulk_device_insert = store_sqlite_bulk_device_insert,
	.bulk_user_add = store_sqlite_bulk_user_add,
	.bulk_lines = store_sqlite_bulk_lines,
	.bulk_vars = store_sqlite_bulk_vars,
	.bulk_mark = store_sqlite_bulk_mark,
	.bulk_sweep = store_sqlite_bulk_sweep,
	.bulk_quiet = store_sqlite_bulk_quiet,
	.bulk_touch = store_sqlite_bulk_touch,
	.bulk_summary = store_sqlite_bulk_summary,
	.bulk_ids = store_sqlite_bulk_ids,
	.bulk_columns = store_sqlite_bulk_columns,
	.bulk_export = store_sqlite_bulk_export,
	.table_each = store_sqlite_table_each,
	.table_put = store_sqlite_table_put,
};
