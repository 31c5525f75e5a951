-- sipcfg store, schema version 7 -> 8: a change row for every write that
-- changes an answer or a device's look-up record, and none for an
-- import's rows (issue 11).
--
-- The shared answer cache drops only the entries a change touches
-- (server/touch.c), so a write the change log does not see is an answer
-- served stale.  Added here, beside the triggers of schema.sql and
-- migrate-2.sql and migrate-3.sql:
--
--  * domains: 'domain:<id>'.  A domain's realm, certificate policy and
--    TOFU setting (RFC 6011 §2.4.1) change who authenticates how.
--  * device_pins: 'pin:<device_id>'.  A pin changes the device's look-up
--    record (has_pin), never its configuration (migrate-5.sql).
--  * monitors: 'device:<device_id>' when a token changes or goes while
--    its device stays (sqlite3 shell): the token is in the look-up record
--    and in the answer's monitor Link (RFC 6011 §2.5.1).  The token made
--    with a new device is that device's insert row already.
--  * meta realm: insert and delete, as its update ('all').
--  * checksync_events: delete, as insert and update ('checksync').
--
-- Quiet while a bulk write runs: while a row meta(key = 'bulk') exists,
-- the change-log and audit triggers of devices, users, lines, vars and
-- device_pins write nothing; the writer (`sipcfg import`, server/bulk.c)
-- inserts that row at the start of its one transaction, writes one audit
-- row and the change rows of what it touched instead, and deletes the
-- row before it commits.  No other connection ever sees it (a reader
-- sees the last commit, a writer waits for the lock), and a crash rolls
-- it back with the rest.  The triggers that keep `updated`, last_delete
-- and the monitor tokens, and the ones that refuse a bad row, run as
-- always.
--
-- devices is rebuilt, as in migrate-5.sql (foreign keys off, legacy
-- ALTER TABLE), for one reason: a CHECK with an IN list of three or more
-- values (state, enc_mode, client_cert) builds a temporary table on every
-- insert, a sixth of the cost of inserting a device in an import.  The
-- same values are checked with OR; the columns, indexes and triggers are
-- the same as before (the change-log and audit ones quiet in a bulk
-- write, like those of the other tables below).

CREATE TABLE devices_new (
	id		INTEGER PRIMARY KEY,
	domain_id	INTEGER NOT NULL DEFAULT 1 REFERENCES domains(id),
	sfua_id		TEXT NOT NULL CHECK (length(sfua_id) BETWEEN 5 AND 255),
	mac		TEXT CHECK (mac IS NULL OR (length(mac) = 12 AND mac NOT GLOB '*[^0-9a-f]*')),
	vendor		TEXT CHECK (vendor IS NULL OR length(vendor) <= 255),
	model		TEXT CHECK (model IS NULL OR length(model) <= 64),
	state		TEXT NOT NULL DEFAULT 'active'
			    CHECK (state = 'active' OR state = 'pending' OR
			    state = 'disabled'),
	label		TEXT CHECK (label IS NULL OR length(label) <= 255),
	user_id		INTEGER REFERENCES users(id) ON DELETE SET NULL,
	profile_id	INTEGER REFERENCES profiles(id) ON DELETE SET NULL,
	max_age		INTEGER CHECK (max_age IS NULL OR max_age BETWEEN 0 AND 31536000),
	created		INTEGER NOT NULL DEFAULT (strftime('%s', 'now')),
	updated		INTEGER NOT NULL DEFAULT (strftime('%s', 'now')),
	notify_mode	TEXT CHECK (notify_mode IS NULL OR notify_mode IN ('subscribe', 'poll')),
	checksync	TEXT CHECK (checksync IS NULL OR checksync IN ('on', 'off')),
	contact_uri	TEXT CHECK (contact_uri IS NULL OR length(contact_uri) <= 255),
	enc_mode	TEXT CHECK (enc_mode IS NULL OR enc_mode = 'none' OR
			    enc_mode = 'cms-password' OR enc_mode = 'cms-cert' OR
			    enc_mode = 'openssl-enc-md5'),
	enc_key_sealed	TEXT,
	enc_cert	TEXT CHECK (enc_cert IS NULL OR length(enc_cert) <= 16384),
	-- NULL inherits the domain's.
	client_cert	TEXT CHECK (client_cert IS NULL OR
			    client_cert = 'optional' OR client_cert = 'required' OR
			    client_cert = 'ignore'),
	enrolled_from	TEXT CHECK (enrolled_from IS NULL OR
			    length(enrolled_from) BETWEEN 1 AND 64),
	UNIQUE (domain_id, sfua_id)
);
INSERT INTO devices_new(id, domain_id, sfua_id, mac, vendor, model, state,
    label, user_id, profile_id, max_age, created, updated, notify_mode,
    checksync, contact_uri, enc_mode, enc_key_sealed, enc_cert, client_cert,
    enrolled_from)
    SELECT id, domain_id, sfua_id, mac, vendor, model, state, label, user_id,
    profile_id, max_age, created, updated, notify_mode, checksync,
    contact_uri, enc_mode, enc_key_sealed, enc_cert, client_cert,
    enrolled_from FROM devices;
DROP TABLE devices;
ALTER TABLE devices_new RENAME TO devices;
CREATE INDEX devices_mac ON devices(mac);
CREATE INDEX devices_user ON devices(user_id);
CREATE INDEX devices_domain_mac ON devices(domain_id, mac);
CREATE INDEX devices_enrolled ON devices(enrolled_from)
	WHERE enrolled_from IS NOT NULL;
CREATE INDEX devices_sfua ON devices(sfua_id);
CREATE INDEX devices_profile ON devices(profile_id);
-- The triggers of migrate-2.sql and migrate-5.sql that went with the table.
CREATE TRIGGER devices_monitor AFTER INSERT ON devices BEGIN
	INSERT INTO monitors(device_id, token)
	    VALUES (NEW.id, lower(hex(randomblob(16))));
END;
CREATE TRIGGER devices_user_domain_ins BEFORE INSERT ON devices
	WHEN NEW.user_id IS NOT NULL AND
	    (SELECT domain_id FROM users WHERE id = NEW.user_id) IS NOT NEW.domain_id BEGIN
	SELECT RAISE(ABORT, 'the user is in another domain than the device');
END;
CREATE TRIGGER devices_user_domain_upd BEFORE UPDATE OF user_id, domain_id ON devices
	WHEN NEW.user_id IS NOT NULL AND
	    (SELECT domain_id FROM users WHERE id = NEW.user_id) IS NOT NEW.domain_id BEGIN
	SELECT RAISE(ABORT, 'the user is in another domain than the device');
END;

CREATE TRIGGER domains_ins AFTER INSERT ON domains BEGIN
	INSERT INTO changes(entity, entity_id, op, hint)
	    VALUES ('domains', NEW.id, 'insert', 'domain:' || NEW.id);
END;
CREATE TRIGGER domains_upd AFTER UPDATE ON domains WHEN NEW.updated IS OLD.updated BEGIN
	UPDATE domains SET updated = max(strftime('%s', 'now'), OLD.updated) WHERE id = NEW.id;
	INSERT INTO changes(entity, entity_id, op, hint)
	    VALUES ('domains', NEW.id, 'update', 'domain:' || NEW.id);
END;
CREATE TRIGGER domains_del AFTER DELETE ON domains BEGIN
	UPDATE meta SET value = strftime('%s', 'now') WHERE key = 'last_delete';
	INSERT INTO changes(entity, entity_id, op, hint)
	    VALUES ('domains', OLD.id, 'delete', 'domain:' || OLD.id);
END;

CREATE TRIGGER pins_ins AFTER INSERT ON device_pins
	WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'bulk') BEGIN
	INSERT INTO changes(entity, entity_id, op, hint)
	    VALUES ('device_pins', NEW.device_id, 'insert', 'pin:' || NEW.device_id);
END;
CREATE TRIGGER pins_upd AFTER UPDATE ON device_pins
	WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'bulk') BEGIN
	INSERT INTO changes(entity, entity_id, op, hint)
	    VALUES ('device_pins', NEW.device_id, 'update', 'pin:' || NEW.device_id);
	INSERT INTO changes(entity, entity_id, op, hint)
	    SELECT 'device_pins', OLD.device_id, 'update', 'pin:' || OLD.device_id
	    WHERE OLD.device_id IS NOT NEW.device_id;
END;
CREATE TRIGGER pins_del AFTER DELETE ON device_pins
	WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'bulk') BEGIN
	INSERT INTO changes(entity, entity_id, op, hint)
	    VALUES ('device_pins', OLD.device_id, 'delete', 'pin:' || OLD.device_id);
END;

CREATE TRIGGER monitors_upd AFTER UPDATE ON monitors BEGIN
	INSERT INTO changes(entity, entity_id, op, hint)
	    VALUES ('monitors', NEW.device_id, 'update', 'device:' || NEW.device_id);
	INSERT INTO changes(entity, entity_id, op, hint)
	    SELECT 'monitors', OLD.device_id, 'update', 'device:' || OLD.device_id
	    WHERE OLD.device_id IS NOT NEW.device_id;
END;
-- A device's delete cascades here after its row is gone: its own row says it.
CREATE TRIGGER monitors_del AFTER DELETE ON monitors
	WHEN EXISTS (SELECT 1 FROM devices WHERE id = OLD.device_id) BEGIN
	INSERT INTO changes(entity, entity_id, op, hint)
	    VALUES ('monitors', OLD.device_id, 'delete', 'device:' || OLD.device_id);
END;

CREATE TRIGGER meta_ins AFTER INSERT ON meta WHEN NEW.key = 'realm' BEGIN
	INSERT INTO changes(entity, entity_id, op, hint)
	    VALUES ('meta', NULL, 'insert', 'all');
END;
CREATE TRIGGER meta_del AFTER DELETE ON meta WHEN OLD.key = 'realm' BEGIN
	INSERT INTO changes(entity, entity_id, op, hint)
	    VALUES ('meta', NULL, 'delete', 'all');
END;

CREATE TRIGGER checksync_events_del AFTER DELETE ON checksync_events BEGIN
	INSERT INTO changes(entity, entity_id, op, hint)
	    VALUES ('checksync_events', NULL, 'delete', 'checksync');
END;

-- The change-log triggers of what an import writes, quiet in a bulk
-- write (the SQL of migrate-2.sql otherwise; those of devices went with
-- the old table).
CREATE TRIGGER devices_ins AFTER INSERT ON devices
	WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'bulk') BEGIN
	INSERT INTO changes(entity, entity_id, op, hint)
	    VALUES ('devices', NEW.id, 'insert', 'device:' || NEW.id);
END;
CREATE TRIGGER devices_upd AFTER UPDATE ON devices WHEN NEW.updated IS OLD.updated BEGIN
	UPDATE devices SET updated = max(strftime('%s', 'now'), OLD.updated) WHERE id = NEW.id;
	INSERT INTO changes(entity, entity_id, op, hint)
	    SELECT 'devices', NEW.id, 'update', 'device:' || NEW.id
	    WHERE NOT EXISTS (SELECT 1 FROM meta WHERE key = 'bulk');
END;
CREATE TRIGGER devices_del AFTER DELETE ON devices BEGIN
	UPDATE meta SET value = strftime('%s', 'now') WHERE key = 'last_delete';
	INSERT INTO changes(entity, entity_id, op, hint)
	    SELECT 'devices', OLD.id, 'delete', 'device:' || OLD.id
	    WHERE NOT EXISTS (SELECT 1 FROM meta WHERE key = 'bulk');
END;

DROP TRIGGER lines_ins;
DROP TRIGGER lines_upd;
DROP TRIGGER lines_del;
CREATE TRIGGER lines_ins AFTER INSERT ON lines
	WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'bulk') BEGIN
	INSERT INTO changes(entity, entity_id, op, hint)
	    VALUES ('lines', NEW.id, 'insert', 'device:' || NEW.device_id);
END;
CREATE TRIGGER lines_upd AFTER UPDATE ON lines WHEN NEW.updated IS OLD.updated BEGIN
	UPDATE lines SET updated = max(strftime('%s', 'now'), OLD.updated) WHERE id = NEW.id;
	INSERT INTO changes(entity, entity_id, op, hint)
	    SELECT 'lines', NEW.id, 'update', 'device:' || NEW.device_id
	    WHERE NOT EXISTS (SELECT 1 FROM meta WHERE key = 'bulk');
END;
CREATE TRIGGER lines_del AFTER DELETE ON lines BEGIN
	UPDATE meta SET value = strftime('%s', 'now') WHERE key = 'last_delete';
	INSERT INTO changes(entity, entity_id, op, hint)
	    SELECT 'lines', OLD.id, 'delete', 'device:' || OLD.device_id
	    WHERE NOT EXISTS (SELECT 1 FROM meta WHERE key = 'bulk');
END;

DROP TRIGGER users_ins;
DROP TRIGGER users_upd;
DROP TRIGGER users_del;
CREATE TRIGGER users_ins AFTER INSERT ON users
	WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'bulk') BEGIN
	INSERT INTO changes(entity, entity_id, op, hint)
	    VALUES ('users', NEW.id, 'insert', 'user:' || NEW.id);
END;
CREATE TRIGGER users_upd AFTER UPDATE ON users WHEN NEW.updated IS OLD.updated BEGIN
	UPDATE users SET updated = max(strftime('%s', 'now'), OLD.updated) WHERE id = NEW.id;
	INSERT INTO changes(entity, entity_id, op, hint)
	    SELECT 'users', NEW.id, 'update', 'user:' || NEW.id
	    WHERE NOT EXISTS (SELECT 1 FROM meta WHERE key = 'bulk');
END;
CREATE TRIGGER users_del AFTER DELETE ON users BEGIN
	UPDATE meta SET value = strftime('%s', 'now') WHERE key = 'last_delete';
	INSERT INTO changes(entity, entity_id, op, hint)
	    SELECT 'users', OLD.id, 'delete', 'user:' || OLD.id
	    WHERE NOT EXISTS (SELECT 1 FROM meta WHERE key = 'bulk');
END;

DROP TRIGGER vars_ins;
DROP TRIGGER vars_upd;
DROP TRIGGER vars_del;
CREATE TRIGGER vars_ins AFTER INSERT ON vars
	WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'bulk') BEGIN
	INSERT INTO changes(entity, entity_id, op, hint)
	    VALUES ('vars', NEW.id, 'insert', 'var:' || NEW.layer || ':' || NEW.scope);
END;
CREATE TRIGGER vars_upd AFTER UPDATE ON vars WHEN NEW.updated IS OLD.updated BEGIN
	UPDATE vars SET updated = max(strftime('%s', 'now'), OLD.updated) WHERE id = NEW.id;
	INSERT INTO changes(entity, entity_id, op, hint)
	    SELECT 'vars', NEW.id, 'update', 'var:' || NEW.layer || ':' || NEW.scope
	    WHERE NOT EXISTS (SELECT 1 FROM meta WHERE key = 'bulk');
	INSERT INTO changes(entity, entity_id, op, hint)
	    SELECT 'vars', NEW.id, 'update', 'var:' || OLD.layer || ':' || OLD.scope
	    WHERE (OLD.layer IS NOT NEW.layer OR OLD.scope IS NOT NEW.scope)
	    AND NOT EXISTS (SELECT 1 FROM meta WHERE key = 'bulk');
END;
CREATE TRIGGER vars_del AFTER DELETE ON vars BEGIN
	UPDATE meta SET value = strftime('%s', 'now') WHERE key = 'last_delete';
	INSERT INTO changes(entity, entity_id, op, hint)
	    SELECT 'vars', OLD.id, 'delete', 'var:' || OLD.layer || ':' || OLD.scope
	    WHERE NOT EXISTS (SELECT 1 FROM meta WHERE key = 'bulk');
END;

-- The audit triggers of what an import writes (migrate-4.sql and
-- migrate-5.sql), quiet in a bulk write: the import's own audit row says
-- what it did.  Those of devices went with the old table.
CREATE TRIGGER audit_devices_ins AFTER INSERT ON devices
	WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'bulk') BEGIN
	INSERT INTO audit(session_id, entity, entity_id, device_id, op, after)
	VALUES ((SELECT id FROM audit_sessions WHERE open = 1 ORDER BY id DESC LIMIT 1),
	    'device', NEW.id, NEW.id, 'insert', json_object('sfua_id', NEW.sfua_id,
	    'mac', NEW.mac, 'vendor', NEW.vendor, 'model', NEW.model, 'state',
	    NEW.state, 'label', NEW.label, 'user_id', NEW.user_id, 'profile_id',
	    NEW.profile_id, 'max_age', NEW.max_age, 'notify_mode', NEW.notify_mode,
	    'checksync', NEW.checksync, 'contact_uri', NEW.contact_uri,
	    'enc_mode', NEW.enc_mode, 'key', CASE WHEN NEW.enc_key_sealed IS NULL
	    THEN NULL ELSE '(secret)' END));
END;
CREATE TRIGGER audit_devices_upd AFTER UPDATE ON devices
	WHEN (OLD.sfua_id IS NOT NEW.sfua_id OR OLD.mac IS NOT NEW.mac OR OLD.vendor IS NOT NEW.vendor OR OLD.model IS NOT NEW.model OR OLD.state IS NOT NEW.state OR OLD.label IS NOT NEW.label OR OLD.user_id IS NOT NEW.user_id OR OLD.profile_id IS NOT NEW.profile_id OR OLD.max_age IS NOT NEW.max_age OR OLD.notify_mode IS NOT NEW.notify_mode OR OLD.checksync IS NOT NEW.checksync OR OLD.contact_uri IS NOT NEW.contact_uri OR OLD.enc_mode IS NOT NEW.enc_mode OR OLD.enc_key_sealed IS NOT NEW.enc_key_sealed OR OLD.enc_cert IS NOT NEW.enc_cert)
	AND NOT EXISTS (SELECT 1 FROM meta WHERE key = 'bulk') BEGIN
	INSERT INTO audit(session_id, entity, entity_id, device_id, op, before, after)
	VALUES ((SELECT id FROM audit_sessions WHERE open = 1 ORDER BY id DESC LIMIT 1),
	    'device', NEW.id, NEW.id, 'update', json_object('sfua_id', OLD.sfua_id,
	    'mac', OLD.mac, 'vendor', OLD.vendor, 'model', OLD.model, 'state',
	    OLD.state, 'label', OLD.label, 'user_id', OLD.user_id, 'profile_id',
	    OLD.profile_id, 'max_age', OLD.max_age, 'notify_mode', OLD.notify_mode,
	    'checksync', OLD.checksync, 'contact_uri', OLD.contact_uri,
	    'enc_mode', OLD.enc_mode, 'key', CASE WHEN OLD.enc_key_sealed IS NULL
	    THEN NULL ELSE '(secret)' END), json_object('sfua_id', NEW.sfua_id,
	    'mac', NEW.mac, 'vendor', NEW.vendor, 'model', NEW.model, 'state',
	    NEW.state, 'label', NEW.label, 'user_id', NEW.user_id, 'profile_id',
	    NEW.profile_id, 'max_age', NEW.max_age, 'notify_mode', NEW.notify_mode,
	    'checksync', NEW.checksync, 'contact_uri', NEW.contact_uri,
	    'enc_mode', NEW.enc_mode, 'key', CASE WHEN NEW.enc_key_sealed IS NULL
	    THEN NULL WHEN NEW.enc_key_sealed IS OLD.enc_key_sealed THEN '(secret)'
	    ELSE '(new secret)' END));
END;
CREATE TRIGGER audit_devices_del AFTER DELETE ON devices
	WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'bulk') BEGIN
	INSERT INTO audit(session_id, entity, entity_id, device_id, op, before)
	VALUES ((SELECT id FROM audit_sessions WHERE open = 1 ORDER BY id DESC LIMIT 1),
	    'device', OLD.id, OLD.id, 'delete', json_object('sfua_id', OLD.sfua_id,
	    'mac', OLD.mac, 'vendor', OLD.vendor, 'state', OLD.state));
END;
CREATE TRIGGER audit_devices_sec AFTER UPDATE ON devices
	WHEN (OLD.domain_id IS NOT NEW.domain_id OR OLD.client_cert IS NOT NEW.client_cert)
	AND NOT EXISTS (SELECT 1 FROM meta WHERE key = 'bulk') BEGIN
	INSERT INTO audit(session_id, entity, entity_id, device_id, op, before, after)
	VALUES ((SELECT id FROM audit_sessions WHERE open = 1 ORDER BY id DESC LIMIT 1),
	    'device', NEW.id, NEW.id, 'update', json_object('domain_id',
	    OLD.domain_id, 'client_cert', OLD.client_cert), json_object('domain_id',
	    NEW.domain_id, 'client_cert', NEW.client_cert));
END;

DROP TRIGGER audit_lines_ins;
DROP TRIGGER audit_lines_upd;
DROP TRIGGER audit_lines_del;
CREATE TRIGGER audit_lines_ins AFTER INSERT ON lines
	WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'bulk') BEGIN
	INSERT INTO audit(session_id, entity, entity_id, device_id, op, after)
	VALUES ((SELECT id FROM audit_sessions WHERE open = 1 ORDER BY id DESC LIMIT 1),
	    'line', NEW.id, NEW.device_id, 'insert', json_object('position',
	    NEW.position, 'aor', NEW.aor, 'realm', NEW.realm, 'username',
	    NEW.username, 'outbound_proxy', NEW.outbound_proxy, 'display_name',
	    NEW.display_name, 'password', '(secret)'));
END;
CREATE TRIGGER audit_lines_upd AFTER UPDATE ON lines
	WHEN (OLD.position IS NOT NEW.position OR OLD.aor IS NOT NEW.aor OR OLD.realm IS NOT NEW.realm OR OLD.username IS NOT NEW.username OR OLD.ha1 IS NOT NEW.ha1 OR OLD.outbound_proxy IS NOT NEW.outbound_proxy OR OLD.display_name IS NOT NEW.display_name OR OLD.password_sealed IS NOT NEW.password_sealed)
	AND NOT EXISTS (SELECT 1 FROM meta WHERE key = 'bulk') BEGIN
	INSERT INTO audit(session_id, entity, entity_id, device_id, op, before, after)
	VALUES ((SELECT id FROM audit_sessions WHERE open = 1 ORDER BY id DESC LIMIT 1),
	    'line', NEW.id, NEW.device_id, 'update', json_object('position',
	    OLD.position, 'aor', OLD.aor, 'realm', OLD.realm, 'username',
	    OLD.username, 'outbound_proxy', OLD.outbound_proxy, 'display_name',
	    OLD.display_name, 'password', '(secret)'), json_object('position',
	    NEW.position, 'aor', NEW.aor, 'realm', NEW.realm, 'username',
	    NEW.username, 'outbound_proxy', NEW.outbound_proxy, 'display_name',
	    NEW.display_name, 'password', CASE WHEN NEW.ha1 IS OLD.ha1 THEN
	    '(secret)' ELSE '(new secret)' END));
END;
CREATE TRIGGER audit_lines_del AFTER DELETE ON lines
	WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'bulk') BEGIN
	INSERT INTO audit(session_id, entity, entity_id, device_id, op, before)
	VALUES ((SELECT id FROM audit_sessions WHERE open = 1 ORDER BY id DESC LIMIT 1),
	    'line', OLD.id, OLD.device_id, 'delete', json_object('position',
	    OLD.position, 'aor', OLD.aor, 'username', OLD.username));
END;

DROP TRIGGER audit_users_ins;
DROP TRIGGER audit_users_upd;
DROP TRIGGER audit_users_del;
CREATE TRIGGER audit_users_ins AFTER INSERT ON users
	WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'bulk') BEGIN
	INSERT INTO audit(session_id, entity, entity_id, op, after)
	VALUES ((SELECT id FROM audit_sessions WHERE open = 1 ORDER BY id DESC LIMIT 1),
	    'user', NEW.id, 'insert', json_object('name', NEW.name, 'realm',
	    NEW.realm, 'password', '(secret)'));
END;
CREATE TRIGGER audit_users_upd AFTER UPDATE ON users
	WHEN (OLD.name IS NOT NEW.name OR OLD.realm IS NOT NEW.realm OR OLD.ha1_md5 IS NOT NEW.ha1_md5)
	AND NOT EXISTS (SELECT 1 FROM meta WHERE key = 'bulk') BEGIN
	INSERT INTO audit(session_id, entity, entity_id, op, before, after)
	VALUES ((SELECT id FROM audit_sessions WHERE open = 1 ORDER BY id DESC LIMIT 1),
	    'user', NEW.id, 'update', json_object('name', OLD.name, 'realm',
	    OLD.realm, 'password', '(secret)'), json_object('name', NEW.name,
	    'realm', NEW.realm, 'password', CASE WHEN NEW.ha1_md5 IS OLD.ha1_md5
	    THEN '(secret)' ELSE '(new secret)' END));
END;
CREATE TRIGGER audit_users_del AFTER DELETE ON users
	WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'bulk') BEGIN
	INSERT INTO audit(session_id, entity, entity_id, op, before)
	VALUES ((SELECT id FROM audit_sessions WHERE open = 1 ORDER BY id DESC LIMIT 1),
	    'user', OLD.id, 'delete', json_object('name', OLD.name));
END;

DROP TRIGGER audit_vars_ins;
DROP TRIGGER audit_vars_upd;
DROP TRIGGER audit_vars_del;
CREATE TRIGGER audit_vars_ins AFTER INSERT ON vars
	WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'bulk') BEGIN
	INSERT INTO audit(session_id, entity, entity_id, op, after)
	VALUES ((SELECT id FROM audit_sessions WHERE open = 1 ORDER BY id DESC LIMIT 1),
	    'var', NEW.id, 'insert', json_object('layer', NEW.layer, 'scope',
	    NEW.scope, 'name', NEW.name, 'value', CASE WHEN NEW.secret THEN
	    '(secret)' ELSE json(NEW.value) END));
END;
CREATE TRIGGER audit_vars_upd AFTER UPDATE ON vars
	WHEN (OLD.layer IS NOT NEW.layer OR OLD.scope IS NOT NEW.scope OR OLD.name IS NOT NEW.name OR OLD.value IS NOT NEW.value OR OLD.secret IS NOT NEW.secret)
	AND NOT EXISTS (SELECT 1 FROM meta WHERE key = 'bulk') BEGIN
	INSERT INTO audit(session_id, entity, entity_id, op, before, after)
	VALUES ((SELECT id FROM audit_sessions WHERE open = 1 ORDER BY id DESC LIMIT 1),
	    'var', NEW.id, 'update', json_object('layer', OLD.layer, 'scope',
	    OLD.scope, 'name', OLD.name, 'value', CASE WHEN OLD.secret THEN
	    '(secret)' ELSE json(OLD.value) END),
	    json_object('layer', NEW.layer, 'scope', NEW.scope, 'name', NEW.name,
	    'value', CASE WHEN NEW.secret THEN CASE WHEN NEW.value IS OLD.value
	    THEN '(secret)' ELSE '(new secret)' END ELSE json(NEW.value) END));
END;
CREATE TRIGGER audit_vars_del AFTER DELETE ON vars
	WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'bulk') BEGIN
	INSERT INTO audit(session_id, entity, entity_id, op, before)
	VALUES ((SELECT id FROM audit_sessions WHERE open = 1 ORDER BY id DESC LIMIT 1),
	    'var', OLD.id, 'delete', json_object('layer', OLD.layer, 'scope',
	    OLD.scope, 'name', OLD.name, 'value', CASE WHEN OLD.secret THEN
	    '(secret)' ELSE json(OLD.value) END));
END;

DROP TRIGGER audit_pins_ins;
DROP TRIGGER audit_pins_del;
CREATE TRIGGER audit_pins_ins AFTER INSERT ON device_pins
	WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'bulk') BEGIN
	INSERT INTO audit(session_id, entity, entity_id, device_id, op, after)
	VALUES ((SELECT id FROM audit_sessions WHERE open = 1 ORDER BY id DESC LIMIT 1),
	    'pin', NEW.device_id, NEW.device_id, 'insert', json_object('sha256',
	    NEW.sha256, 'subject', NEW.subject, 'addr', NEW.addr));
END;
CREATE TRIGGER audit_pins_del AFTER DELETE ON device_pins
	WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'bulk') BEGIN
	INSERT INTO audit(session_id, entity, entity_id, device_id, op, before)
	VALUES ((SELECT id FROM audit_sessions WHERE open = 1 ORDER BY id DESC LIMIT 1),
	    'pin', OLD.device_id, OLD.device_id, 'delete', json_object('sha256',
	    OLD.sha256, 'subject', OLD.subject));
END;

-- The one column of fetch bookkeeping a configuration is rendered from:
-- the revision a device last reported chooses its template when a request
-- names none (server/resource.c).  It changes with a firmware upgrade,
-- not with every fetch: a change row then, and only then.
CREATE TRIGGER device_seen_rev_ins AFTER INSERT ON device_seen
WHEN NEW.revision IS NOT NULL BEGIN
	INSERT INTO changes(entity, entity_id, op, hint)
	    VALUES ('device_seen', NEW.device_id, 'update',
	    'device:' || NEW.device_id);
END;
CREATE TRIGGER device_seen_rev_upd AFTER UPDATE OF revision ON device_seen
WHEN NEW.revision IS NOT OLD.revision BEGIN
	INSERT INTO changes(entity, entity_id, op, hint)
	    VALUES ('device_seen', NEW.device_id, 'update',
	    'device:' || NEW.device_id);
END;
