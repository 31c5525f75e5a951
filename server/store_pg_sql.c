/*
 * store_pg_sql: every statement of the PostgreSQL backend, constants
 * prepared once per connection on first use (store_pg.c): no SQL is ever
 * built from input.  They are store_sqlite.c's, in PostgreSQL's words:
 * $n parameters with their types where a parameter is used twice,
 * greatest() for SQLite's max(a, b), booleans cast to 0 or 1 where the
 * SQLite store returns a number, RETURNING for a new row's id.
 */
#include <stddef.h>

#include "store_pg_int.h"

#define DEV_COLS \
	"d.id, d.sfua_id, coalesce(d.mac, ''), coalesce(d.vendor, ''), " \
	"coalesce(d.model, ''), coalesce(s.revision, ''), " \
	"coalesce(d.label, ''), d.state, coalesce(d.user_id, 0), " \
	"coalesce(u.name, ''), coalesce(p.name, ''), coalesce(d.max_age, -1), " \
	"coalesce(p.max_age, -1), " \
	"greatest(d.updated, coalesce(u.updated, 0), coalesce(p.updated, 0)), " \
	"coalesce(d.profile_id, 0), coalesce(m.token, ''), " \
	"coalesce(d.notify_mode, p.notify_mode, ''), " \
	"coalesce(d.enc_mode, p.enc_mode, ''), coalesce(d.enc_key_sealed, ''), " \
	"d.domain_id, coalesce(d.client_cert, ''), " \
	"(EXISTS (SELECT 1 FROM device_pins WHERE device_id = d.id))::int " \
	"FROM devices d LEFT JOIN users u ON u.id = d.user_id " \
	"LEFT JOIN profiles p ON p.id = d.profile_id " \
	"LEFT JOIN device_seen s ON s.device_id = d.id " \
	"LEFT JOIN monitors m ON m.device_id = d.id AND m.resource = 'config' "

/*
 * A live subscription's row (subs); its id, "instance/local id", is its
 * key and a page's keyset.
 */
#define PG_SUB_ROW "SELECT s.instance || '/' || s.local_id::text AS id, " \
	"d.sfua_id AS device, s.uri, s.transport, s.source, s.contact, " \
	"s.instance, s.created, s.expires, s.last_notify, s.last_etag, " \
	"s.notifies FROM subscriptions s JOIN devices d ON d.id = s.device_id"

/* A user's row (user list, user show), a where clause to follow. */
#define PG_USER_ROW "SELECT u.id, u.name, u.realm, u.updated, " \
	"(SELECT count(*) FROM devices d WHERE d.user_id = u.id) " \
	"AS devices, u.otp, u.otp_not_before, u.otp_not_after, " \
	"u.old_until, u.domain_id, (SELECT name FROM domains WHERE " \
	"id = u.domain_id) AS domain FROM users u"

/* A device listing, without its order (store_pg_device_each() filters it). */
#define DEV_LIST "SELECT d.id, " \
	"(SELECT name FROM domains WHERE id = d.domain_id) AS domain, " \
	"d.sfua_id, d.mac, d.vendor, d.model, d.state, d.label, " \
	"u.name AS \"user\", p.name AS profile, d.max_age, " \
	"s.revision, s.last_fetch, s.last_etag, s.last_addr, s.last_ua, " \
	"s.ua_model, s.ua_firmware, coalesce(s.fetches, 0) AS fetches, " \
	"(SELECT count(*) FROM lines l WHERE l.device_id = d.id) AS lines, " \
	"d.enrolled_from " \
	"FROM devices d LEFT JOIN users u ON u.id = d.user_id " \
	"LEFT JOIN profiles p ON p.id = d.profile_id " \
	"LEFT JOIN device_seen s ON s.device_id = d.id"

const char store_pg_devlist[] = DEV_LIST;

#define AUDIT_WHO \
	"coalesce(s.who, CASE WHEN a.entity = 'pin' AND a.op = 'insert' " \
	"THEN 'sipcfgd (trust on first use)' ELSE '(not sipcfg)' END)"

static const char *const sqls[PQ__COUNT] = {
	/*
	 * PostgreSQL has no data_version: the change log's head moves with
	 * every committed change, which is what the watcher asks.
	 */
	[PQ_DATA_VERSION] = "SELECT coalesce(max(seq), 0) FROM changes",
	[PQ_META_GET] = "SELECT value FROM meta WHERE key = $1",
	[PQ_META_SET] = "INSERT INTO meta(key, value) VALUES ($1, $2) "
	    "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
	[PQ_DEV_BY_SFUA] = "SELECT " DEV_COLS "WHERE d.domain_id = $2 "
	    "AND d.sfua_id = $1",
	[PQ_DEV_BY_MAC] = "SELECT " DEV_COLS "WHERE d.domain_id = $2 "
	    "AND d.mac = $1 ORDER BY d.id LIMIT 2",
	[PQ_DEV_BY_SFUA_ANY] = "SELECT " DEV_COLS "WHERE d.sfua_id = $1 "
	    "ORDER BY d.domain_id LIMIT 2",
	[PQ_DEV_BY_MAC_ANY] = "SELECT " DEV_COLS "WHERE d.mac = $1 "
	    "ORDER BY d.domain_id, d.id LIMIT 2",
	[PQ_USER_BY_NAME] = "SELECT id, name, realm, ha1_md5, ha1_sha256, "
	    "domain_id, otp, coalesce(otp_not_before, 0), "
	    "coalesce(otp_not_after, 0), coalesce(password_sealed, ''), "
	    "coalesce(old_ha1_md5, ''), coalesce(old_ha1_sha256, ''), "
	    "coalesce(old_until, 0), updated "
	    "FROM users WHERE name = $1",
	[PQ_LINES] = "SELECT position, aor, realm, username, ha1, "
	    "coalesce(outbound_proxy, ''), coalesce(display_name, ''), updated, "
	    "coalesce(password_sealed, '') "
	    "FROM lines WHERE device_id = $1 ORDER BY position",
	[PQ_TPL_SELECT] = "SELECT name, content_type, body, updated "
	    "FROM templates "
	    "WHERE (vendor IS NULL OR vendor = $1) "
	    "AND (model IS NULL OR model = $2) "
	    "AND (revision IS NULL OR revision = $3) "
	    "ORDER BY (vendor IS NOT NULL)::int * 4 + "
	    "(model IS NOT NULL)::int * 2 + (revision IS NOT NULL)::int DESC, "
	    "name = 'generic' DESC, name LIMIT 1",
	[PQ_TPL_BY_NAME] = "SELECT name, content_type, body, updated "
	    "FROM templates WHERE name = $1",
	[PQ_VARS] = "SELECT name, value, updated, secret FROM vars "
	    "WHERE layer = $1 AND scope = $2 ORDER BY name",
	/*
	 * The bookkeeping writer's batch in three statements, whatever its
	 * size (issue 13 §3): arrays of one element per device or per
	 * history row, unnested.
	 */
	[PQ_SEEN] = "INSERT INTO device_seen(device_id, revision, last_fetch, "
	    "last_etag, last_addr, last_ua, fetches, ua_vendor, ua_model, "
	    "ua_firmware) "
	    "SELECT t.d, nullif(t.r, ''), t.lf, t.e, t.a, nullif(t.ua, ''), "
	    "t.n, nullif(t.uv, ''), nullif(t.um, ''), nullif(t.uf, '') "
	    "FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[], "
	    "$5::text[], $6::text[], $7::text[], $8::text[], $9::text[], "
	    "$10::bigint[]) AS t(d, r, lf, e, a, ua, uv, um, uf, n) "
	    "WHERE EXISTS (SELECT 1 FROM devices WHERE id = t.d) "
	    "ON CONFLICT(device_id) DO UPDATE SET "
	    "revision = coalesce(excluded.revision, device_seen.revision), "
	    "last_fetch = excluded.last_fetch, last_etag = excluded.last_etag, "
	    "last_addr = excluded.last_addr, "
	    "last_ua = coalesce(excluded.last_ua, device_seen.last_ua), "
	    "fetches = device_seen.fetches + excluded.fetches, "
	    "ua_vendor = coalesce(excluded.ua_vendor, device_seen.ua_vendor), "
	    "ua_model = coalesce(excluded.ua_model, device_seen.ua_model), "
	    "ua_firmware = coalesce(excluded.ua_firmware, "
	    "device_seen.ua_firmware) RETURNING device_id",
	[PQ_SEEN_LAST] = "SELECT device_id, coalesce(last_etag, ''), "
	    "coalesce(last_addr, '') FROM device_seen "
	    "WHERE device_id = ANY($1::bigint[])",
	[PQ_FETCH_LOG] = "INSERT INTO fetches(device_id, ts, etag, addr, "
	    "secrets) SELECT * FROM unnest($1::bigint[], $2::bigint[], "
	    "$3::text[], $4::text[], $5::integer[])",
	[PQ_ENROLL] = "INSERT INTO devices(sfua_id, mac, vendor, model, state, "
	    "label, domain_id, enrolled_from) VALUES ($1, nullif($2, ''), "
	    "nullif($3, ''), nullif($4, ''), 'pending', "
	    "'enrolled on first fetch', $5, $6)",
	[PQ_ENROLL_COUNT] = "SELECT (SELECT count(*) FROM devices WHERE "
	    "enrolled_from IS NOT NULL AND state = 'pending'), "
	    "(SELECT count(*) FROM devices WHERE enrolled_from = $1 AND "
	    "state = 'pending')",
	[PQ_ENROLL_EXPIRE] = "DELETE FROM devices WHERE enrolled_from IS NOT "
	    "NULL AND state = 'pending' AND coalesce((SELECT last_fetch FROM "
	    "device_seen s WHERE s.device_id = devices.id), created) < $1",
	[PQ_DEV_BY_TOKEN] = "SELECT " DEV_COLS "WHERE m.token = $1",
	[PQ_DEV_BY_ID] = "SELECT " DEV_COLS "WHERE d.id = $1",
	[PQ_DEV_IDS_AFTER] = "SELECT id FROM devices WHERE id > $1 "
	    "AND state = 'active' ORDER BY id LIMIT $2",
	[PQ_DEV_MAX_ID] = "SELECT coalesce(max(id), 0) FROM devices",
	[PQ_CHANGES_HEAD] = "SELECT coalesce(max(seq), 0) FROM changes",
	[PQ_CHANGES_SINCE] = "SELECT seq, coalesce(hint, '') FROM changes "
	    "WHERE seq > $1 ORDER BY seq LIMIT $2",
	[PQ_CHANGES_PRUNE] = "DELETE FROM changes WHERE ts < $1",
	[PQ_NOTIFY_REQ] = "INSERT INTO changes(entity, entity_id, op, hint) "
	    "VALUES ('notify', $1::bigint, 'update', "
	    "'notify:' || coalesce($1::bigint::text, '*'))",
	[PQ_SUB_UPSERT] = "INSERT INTO subscriptions(instance, local_id, "
	    "device_id, uri, transport, source, contact, created, expires, "
	    "last_notify, last_etag, notifies) VALUES ($1, $2, $3, $4, $5, $6, "
	    "$7, $8, $9, $10, $11, $12) ON CONFLICT(instance, local_id) DO "
	    "UPDATE SET expires = excluded.expires, "
	    "last_notify = excluded.last_notify, "
	    "last_etag = excluded.last_etag, notifies = excluded.notifies, "
	    "contact = excluded.contact",
	[PQ_SUB_DELETE] = "DELETE FROM subscriptions WHERE instance = $1 "
	    "AND local_id = $2",
	[PQ_SUB_CLEAR] = "DELETE FROM subscriptions WHERE instance = $1",
	/* LIMIT NULL: all. */
	[PQ_SUB_LIST] = PG_SUB_ROW " WHERE s.expires > $1 "
	    "ORDER BY s.instance, s.local_id LIMIT $2::bigint "
	    "OFFSET $3::bigint",
	[PQ_SUB_LIST_AFTER] = PG_SUB_ROW " WHERE s.expires > $1 AND "
	    "(s.instance, s.local_id) > ($4::text, $5::bigint) "
	    "ORDER BY s.instance, s.local_id LIMIT $2::bigint "
	    "OFFSET $3::bigint",
	/* No after: ('', -1), before every key. */
	[PQ_SUB_LIST_DEV] = PG_SUB_ROW " WHERE s.device_id = $4 AND "
	    "s.expires > $1 AND (s.instance, s.local_id) > ($5::text, "
	    "$6::bigint) ORDER BY s.instance, s.local_id "
	    "LIMIT $2::bigint OFFSET $3::bigint",
	[PQ_CS_DEVICES] = "SELECT d.id FROM devices d "
	    "LEFT JOIN profiles p ON p.id = d.profile_id "
	    "LEFT JOIN checksync_events e ON e.vendor = d.vendor "
	    "WHERE d.state = 'active' AND coalesce(d.checksync, p.checksync, "
	    "CASE WHEN e.enabled = 1 THEN 'on' END, 'off') = 'on' "
	    "ORDER BY d.id LIMIT $1",
	[PQ_CS_TARGET] = "SELECT coalesce(d.contact_uri, ''), l.aor, "
	    "l.username, l.realm, l.ha1, coalesce(l.outbound_proxy, ''), "
	    "coalesce(e.event, 'check-sync'), "
	    "coalesce(e.reboot_event, e.event, 'check-sync') "
	    "FROM devices d JOIN lines l ON l.device_id = d.id "
	    "LEFT JOIN checksync_events e ON e.vendor = d.vendor "
	    "WHERE d.id = $1 ORDER BY l.position LIMIT 1",
	[PQ_CS_REQUEST] = "INSERT INTO changes(entity, entity_id, op, hint) "
	    "VALUES ('checksync', $1::bigint, 'update', "
	    "(CASE WHEN $2::int <> 0 THEN 'checksync-reboot:' "
	    "ELSE 'checksync-now:' END) || $1::bigint::text)",
	[PQ_CS_LIST] = "SELECT vendor, event, reboot_event, enabled "
	    "FROM checksync_events ORDER BY vendor",
	[PQ_CS_SET] = "INSERT INTO checksync_events(vendor, event, "
	    "reboot_event, enabled) VALUES ($1, coalesce($2::text, "
	    "'check-sync'), $3::text, coalesce($4::int, 0)) "
	    "ON CONFLICT(vendor) DO UPDATE SET "
	    "event = coalesce($2::text, checksync_events.event), "
	    "reboot_event = coalesce($3::text, checksync_events.reboot_event), "
	    "enabled = coalesce($4::int, checksync_events.enabled)",
	[PQ_PATHS] = "SELECT id, pattern, coalesce(vendor, ''), "
	    "coalesce(template, ''), plain FROM path_rules ORDER BY id",
	[PQ_PIN_INSERT] = "INSERT INTO device_pins(device_id, sha256, subject, "
	    "addr) VALUES ($1, $2, $3, $4) ON CONFLICT(device_id) DO NOTHING",
	[PQ_PIN_GET] = "SELECT sha256 FROM device_pins WHERE device_id = $1",
	[PQ_PIN_DELETE] = "DELETE FROM device_pins WHERE device_id = $1",
	[PQ_ENC_CERT] = "SELECT coalesce(enc_cert, '') FROM devices "
	    "WHERE id = $1",

	[PQ_DEV_INSERT] = "INSERT INTO devices(sfua_id, mac, vendor, model, "
	    "state, label, user_id, profile_id, max_age, notify_mode, "
	    "checksync, domain_id, client_cert) "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
	[PQ_DEV_DELETE] = "DELETE FROM devices WHERE id = $1",
	[PQ_DEV_LIST] = DEV_LIST " ORDER BY d.id",
	[PQ_DEV_ELSEWHERE] = "SELECT (EXISTS (SELECT 1 FROM devices WHERE "
	    "domain_id < 1 OR domain_id > 1))::int",
	[PQ_DEV_SHOW] = "SELECT d.id, d.sfua_id, d.mac, d.vendor, d.model, "
	    "(SELECT name FROM domains WHERE id = d.domain_id) AS domain, "
	    "d.client_cert, (SELECT sha256 FROM device_pins WHERE device_id = "
	    "d.id) AS cert_pin, (SELECT pinned FROM device_pins WHERE "
	    "device_id = d.id) AS cert_pinned, "
	    "d.state, d.label, d.enrolled_from, u.name AS \"user\", "
	    "p.name AS profile, d.max_age, "
	    "d.notify_mode, d.checksync, d.contact_uri, d.enc_mode, "
	    "(d.enc_key_sealed IS NOT NULL)::int AS has_key, "
	    "(SELECT token FROM monitors m WHERE m.device_id = d.id "
	    "AND m.resource = 'config') AS monitor_token, "
	    "d.created, d.updated, s.revision, s.last_fetch, s.last_etag, "
	    "s.last_addr, s.last_ua, s.ua_vendor, s.ua_model, s.ua_firmware, "
	    "coalesce(s.fetches, 0) AS fetches "
	    "FROM devices d LEFT JOIN users u ON u.id = d.user_id "
	    "LEFT JOIN profiles p ON p.id = d.profile_id "
	    "LEFT JOIN device_seen s ON s.device_id = d.id WHERE d.id = $1",
	[PQ_DEV_DUPS] = "SELECT d.id, d.domain_id, dm.name AS domain, "
	    "d.sfua_id, d.mac, d.label "
	    "FROM devices d JOIN domains dm ON dm.id = d.domain_id "
	    "WHERE EXISTS (SELECT 1 FROM devices o WHERE o.sfua_id = d.sfua_id "
	    "AND o.domain_id != d.domain_id) "
	    "OR EXISTS (SELECT 1 FROM devices o WHERE o.mac = d.mac "
	    "AND o.domain_id != d.domain_id) "
	    "ORDER BY coalesce(d.mac, d.sfua_id), d.domain_id",
	[PQ_DEV_DUPS_OF] = "SELECT d.id, d.domain_id, dm.name AS domain, "
	    "d.sfua_id, d.mac, d.label "
	    "FROM devices d JOIN domains dm ON dm.id = d.domain_id "
	    "WHERE (d.sfua_id = $2 OR d.mac = $3) AND d.domain_id != $1 "
	    "ORDER BY d.domain_id, d.id",
	[PQ_USER_INSERT] = "INSERT INTO users(name, realm, ha1_md5, "
	    "ha1_sha256) VALUES ($1, $2, $3, $4)",
	/*
	 * RFC 6011 §5 rotation: the right-hand sides see the row before the
	 * update, so the current HA1s become the old ones.  A one-time
	 * password is never kept as an old one.
	 */
	[PQ_USER_PASSWD] = "UPDATE users SET "
	    "old_ha1_md5 = CASE WHEN $5::bigint > 0 AND otp = 0 "
	    "THEN ha1_md5 END, "
	    "old_ha1_sha256 = CASE WHEN $5::bigint > 0 AND otp = 0 "
	    "THEN ha1_sha256 END, "
	    "old_until = CASE WHEN $5::bigint > 0 AND otp = 0 THEN $5 END, "
	    "ha1_md5 = $2, ha1_sha256 = $3, password_sealed = $4, otp = 0, "
	    "otp_not_before = NULL, otp_not_after = NULL WHERE name = $1",
	[PQ_USER_SET_OTP] = "UPDATE users SET ha1_md5 = $2, ha1_sha256 = $3, "
	    "otp = 1, otp_not_before = $4, otp_not_after = $5, "
	    "password_sealed = NULL, old_ha1_md5 = NULL, "
	    "old_ha1_sha256 = NULL, old_until = NULL WHERE name = $1",
	/*
	 * Only the request whose statement changes the row wins: the HA1 and
	 * the window are checked again under the row's lock.
	 */
	[PQ_USER_OTP_CONSUME] = "UPDATE users SET ha1_md5 = $3, "
	    "ha1_sha256 = $4, password_sealed = $5, otp = 0, "
	    "otp_not_before = NULL, otp_not_after = NULL "
	    "WHERE id = $1 AND otp = 1 AND ha1_md5 = $2 "
	    "AND coalesce(otp_not_before, $6::bigint) <= $6::bigint "
	    "AND coalesce(otp_not_after, $6::bigint) >= $6::bigint",
	[PQ_USER_DELETE] = "DELETE FROM users WHERE name = $1",
	/* LIMIT NULL: all. */
	[PQ_USER_LIST] = PG_USER_ROW " ORDER BY u.name LIMIT $1::bigint "
	    "OFFSET $2::bigint",
	[PQ_USER_LIST_AFTER] = PG_USER_ROW " WHERE u.name > $3 ORDER BY "
	    "u.name LIMIT $1::bigint OFFSET $2::bigint",
	[PQ_USER_SHOW] = PG_USER_ROW " WHERE u.name = $1",
	[PQ_USER_ID] = "SELECT id FROM users WHERE name = $1",
	[PQ_USER_DOMAIN] = "UPDATE users SET domain_id = $2 WHERE name = $1",
	[PQ_USER_REREALM] = "UPDATE users SET realm = $3 WHERE realm = $2 AND "
	    "(domain_id = $1::bigint OR ($1::bigint = 0 AND domain_id IN "
	    "(SELECT id FROM domains WHERE realm IS NULL)))",
	[PQ_PROFILE_INSERT] = "INSERT INTO profiles(name) VALUES ($1) "
	    "ON CONFLICT(name) DO NOTHING",
	[PQ_PROFILE_ID] = "SELECT id FROM profiles WHERE name = $1",
	[PQ_PROFILE_MAXAGE] = "UPDATE profiles SET max_age = $2 "
	    "WHERE name = $1",
	[PQ_PROFILE_NOTIFY] = "UPDATE profiles SET notify_mode = $2 "
	    "WHERE name = $1",
	[PQ_PROFILE_CS] = "UPDATE profiles SET checksync = $2 WHERE name = $1",
	[PQ_PROFILE_ENC] = "UPDATE profiles SET enc_mode = $2 WHERE name = $1",
	[PQ_PROFILE_LIST] = "SELECT p.id, p.name, p.max_age, p.notify_mode, "
	    "p.checksync, p.enc_mode, "
	    "(SELECT count(*) FROM devices d WHERE d.profile_id = p.id) "
	    "AS devices FROM profiles p ORDER BY p.name",
	[PQ_LINE_INSERT] = "INSERT INTO lines(device_id, position, aor, realm, "
	    "username, ha1, outbound_proxy, display_name, password_sealed) "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
	[PQ_LINE_NEXTPOS] = "SELECT coalesce(max(position), 0) + 1 FROM lines "
	    "WHERE device_id = $1",
	[PQ_LINE_DELETE] = "DELETE FROM lines WHERE device_id = $1 AND "
	    "position = $2",
	[PQ_LINE_LIST] = "SELECT position, aor, realm, username, "
	    "outbound_proxy, display_name, updated FROM lines "
	    "WHERE device_id = $1 ORDER BY position",
	[PQ_TPL_UPSERT] = "INSERT INTO templates(name, vendor, model, revision, "
	    "content_type, body) VALUES ($1, $2, $3, $4, $5, $6) "
	    "ON CONFLICT(name) DO UPDATE SET vendor = excluded.vendor, "
	    "model = excluded.model, revision = excluded.revision, "
	    "content_type = excluded.content_type, body = excluded.body",
	[PQ_TPL_DELETE] = "DELETE FROM templates WHERE name = $1",
	[PQ_TPL_LIST] = "SELECT id, name, vendor, model, revision, "
	    "content_type, octet_length(body) AS bytes, updated "
	    "FROM templates ORDER BY name",
	[PQ_VAR_UPSERT] = "INSERT INTO vars(layer, scope, name, value, secret) "
	    "VALUES ($1, $2, $3, $4, $5) ON CONFLICT(layer, scope, name) "
	    "DO UPDATE SET value = excluded.value, secret = excluded.secret",
	[PQ_VAR_DELETE] = "DELETE FROM vars WHERE layer = $1 AND scope = $2 "
	    "AND name = $3",
	[PQ_VAR_LIST] = "SELECT layer, scope, name, CASE WHEN secret = 1 THEN "
	    "'\"(secret)\"' ELSE value END AS value, secret, updated "
	    "FROM vars WHERE ($1::text IS NULL OR layer = $1::text) "
	    "AND ($2::text IS NULL OR scope = $2::text) "
	    "ORDER BY CASE layer WHEN 'global' THEN 0 WHEN 'vendor' THEN 1 "
	    "WHEN 'model' THEN 2 WHEN 'profile' THEN 3 WHEN 'user' THEN 4 "
	    "ELSE 5 END, scope, name LIMIT $3::bigint OFFSET $4::bigint",
	[PQ_AUDIT_BEGIN] = "INSERT INTO audit_sessions(who, command) "
	    "VALUES ($1, $2) RETURNING id",
	[PQ_AUDIT_END] = "UPDATE audit_sessions SET open = 0 WHERE id = $1",
	[PQ_AUDIT_LIST] = "SELECT a.ts, " AUDIT_WHO " AS who, "
	    "s.command, a.entity, a.entity_id, a.op, a.before AS before, "
	    "a.after AS after FROM audit a "
	    "LEFT JOIN audit_sessions s ON s.id = a.session_id "
	    "WHERE a.ts >= $1 ORDER BY a.id DESC LIMIT $2",
	[PQ_HISTORY] = "SELECT * FROM ("
	    "SELECT f.ts, 'fetch' AS kind, f.etag, f.addr, f.secrets, "
	    "NULL::text AS who, NULL::text AS op, NULL::text AS before, "
	    "NULL::text AS after, f.id AS k FROM fetches f "
	    "WHERE f.device_id = $1 "
	    "UNION ALL SELECT a.ts, 'change', NULL, NULL, NULL, "
	    AUDIT_WHO ", a.entity || ' ' || a.op, "
	    "a.before, a.after, a.id FROM audit a "
	    "LEFT JOIN audit_sessions s ON s.id = a.session_id "
	    "WHERE a.device_id = $1) h ORDER BY ts DESC, k DESC LIMIT $2",
	[PQ_ENC_KEY] = "UPDATE devices SET enc_key_sealed = $2 WHERE id = $1",
	[PQ_PATH_ADD] = "INSERT INTO path_rules(pattern, vendor, template, "
	    "plain) VALUES ($1, $2, $3, $4)",
	[PQ_PATH_DELETE] = "DELETE FROM path_rules WHERE pattern = $1",
	[PQ_PATH_LIST] = "SELECT pattern, vendor, template, plain, updated "
	    "FROM path_rules ORDER BY id",
	[PQ_TOKEN_ADD] = "INSERT INTO api_tokens(name, scope, sha256, expires) "
	    "VALUES ($1, $2, $3, $4)",
	[PQ_TOKEN_DELETE] = "DELETE FROM api_tokens WHERE name = $1",
	[PQ_TOKEN_LIST] = "SELECT name, scope, created, expires, last_used "
	    "FROM api_tokens ORDER BY name",
	[PQ_TOKEN_BY_HASH] = "SELECT id, name, scope, coalesce(expires, 0), "
	    "coalesce(last_used, 0) FROM api_tokens WHERE sha256 = $1",
	[PQ_TOKEN_USED] = "UPDATE api_tokens SET last_used = $2 WHERE id = $1",
	[PQ_DOMAIN_LIST] = "SELECT id, name, realm, cert_file, key_file, "
	    "ca_file, base_url, client_cert, tofu, "
	    "(SELECT count(*) FROM devices d WHERE d.domain_id = dm.id) "
	    "AS devices, "
	    "(SELECT count(*) FROM users u WHERE u.domain_id = dm.id) AS users "
	    "FROM domains dm ORDER BY id",
	/* The SQLite store's COLLATE NOCASE: the index on lower(name). */
	[PQ_DOMAIN_ID] = "SELECT id FROM domains WHERE lower(name) = "
	    "lower($1)",
	[PQ_DOMAIN_INSERT] = "INSERT INTO domains(name) VALUES ($1) "
	    "RETURNING id",
	[PQ_DOMAIN_DELETE] = "DELETE FROM domains WHERE lower(name) = "
	    "lower($1) AND id != 1",

	/*
	 * Bulk import and export.  Each one that looks up a device, a line
	 * or a variable uses a unique index: (domain_id, sfua_id),
	 * (device_id, position), (layer, scope, name).
	 */
	[PQ_B_DOMAINS] = "SELECT name, id, coalesce(realm, (SELECT value FROM "
	    "meta WHERE key = 'realm')) FROM domains",
	[PQ_B_PROFILES] = "SELECT name, id FROM profiles",
	[PQ_B_DEV_GET] = "SELECT " STORE_PG_BULK_DEVICE_COLS
	    STORE_PG_BULK_DEVICE_FROM "WHERE d.domain_id = $1 AND "
	    "d.sfua_id = $2",
	[PQ_B_DEV_INSERT] = "INSERT INTO devices(domain_id, sfua_id, mac, "
	    "vendor, model, label, state, user_id, profile_id) "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
	[PQ_B_USER_INSERT] = "INSERT INTO users(name, realm, ha1_md5, "
	    "ha1_sha256, domain_id) VALUES ($1, $2, $3, $4, $5) RETURNING id",
	[PQ_B_LINES] = "SELECT position, aor, realm, username, ha1, "
	    "coalesce(outbound_proxy, ''), coalesce(display_name, ''), "
	    "coalesce(password_sealed, '') FROM lines WHERE device_id = $1 "
	    "ORDER BY position",
	[PQ_B_VARS] = "SELECT name, value FROM vars WHERE layer = 'device' "
	    "AND scope = $1 AND secret = 0 ORDER BY name",
	/* A temporary table of the connection's (store_pg_bulk_new()). */
	[PQ_B_MARK] = "INSERT INTO bulk_named(kind, key, line) "
	    "VALUES ($1, $2, $3) ON CONFLICT(kind, key) DO NOTHING",
	[PQ_B_MARKED] = "SELECT line FROM bulk_named WHERE kind = $1 AND "
	    "key = $2",
	[PQ_B_SWEEP] = "DELETE FROM devices WHERE id NOT IN "
	    "(SELECT key::bigint FROM bulk_named WHERE kind = 'd') "
	    "RETURNING id",
	[PQ_B_IDS] = "SELECT id FROM devices WHERE id > $1 ORDER BY id "
	    "LIMIT $2",
	[PQ_B_MAXPOS] = "SELECT coalesce(max(position), 0) FROM lines",
	[PQ_B_VARNAMES] = "SELECT DISTINCT name FROM vars WHERE "
	    "layer = 'device' AND secret = 0 ORDER BY name",
	/* sql/pg/schema.sql: the per-row triggers are quiet while it exists. */
	[PQ_B_QUIET] = "INSERT INTO meta(key, value) VALUES ('bulk', "
	    "sipcfg_now()::text) ON CONFLICT(key) DO UPDATE SET "
	    "value = excluded.value",
	[PQ_B_LOUD] = "DELETE FROM meta WHERE key = 'bulk'",
	/* The hints of the per-row triggers. */
	[PQ_B_CHG_DEVICE] = "INSERT INTO changes(entity, entity_id, op, hint) "
	    "VALUES ('devices', $1::bigint, $2, 'device:' || $1::bigint)",
	[PQ_B_CHG_USER] = "INSERT INTO changes(entity, entity_id, op, hint) "
	    "VALUES ('users', $1::bigint, $2, 'user:' || $1::bigint)",
	[PQ_B_CHG_VARS] = "INSERT INTO changes(entity, entity_id, op, hint) "
	    "SELECT 'vars', NULL, 'update', 'var:device:' || sfua_id "
	    "FROM devices WHERE id = $1",
	[PQ_B_CHG_ALL] = "INSERT INTO changes(entity, entity_id, op, hint) "
	    "VALUES ('import', NULL, 'update', 'all')",
	/* Tied to the open session as the triggers tie theirs. */
	[PQ_B_AUDIT] = "INSERT INTO audit(session_id, entity, op, after) "
	    "VALUES (sipcfg_audit_session(), 'import', 'summary', "
	    "json_build_object('file', $1::text, 'replace', $2::int <> 0, "
	    "'rows', $3::bigint, 'added', $4::bigint, 'changed', $5::bigint, "
	    "'unchanged', $6::bigint, 'removed', $7::bigint, "
	    "'users_added', $8::bigint, 'users_changed', $9::bigint, "
	    "'change_rows', $10::bigint)::text)",
};

const char *
store_pg_sql(enum pq q)
{
	return sqls[q];
}
