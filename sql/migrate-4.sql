-- sipcfg store, schema version 3 -> 4: the audit trail (issue 6).
--
-- audit_sessions: one row per `sipcfg` write command (who, the command),
-- open while its transaction runs.  audit: one row per changed row,
-- written by triggers whoever writes the store; session_id is NULL for
-- changes made another way (the sqlite3 shell, enrolment by sipcfgd).
-- Secrets never reach it: HA1s, sealed passwords and keys are masked,
-- template bodies are recorded by size.
CREATE TABLE audit_sessions (
	id		INTEGER PRIMARY KEY,
	ts		INTEGER NOT NULL DEFAULT (strftime('%s', 'now')),
	who		TEXT NOT NULL,
	command		TEXT NOT NULL,
	open		INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE audit (
	id		INTEGER PRIMARY KEY,
	session_id	INTEGER,
	ts		INTEGER NOT NULL DEFAULT (strftime('%s', 'now')),
	entity		TEXT NOT NULL,
	entity_id	INTEGER,
	device_id	INTEGER,
	op		TEXT NOT NULL,
	before		TEXT,
	after		TEXT
);
CREATE INDEX audit_device ON audit(device_id);
CREATE INDEX audit_ts ON audit(ts);

-- Every configuration response, per device (written in batches by
-- sipcfgd's bookkeeping thread, never on the request path).
CREATE TABLE fetches (
	id		INTEGER PRIMARY KEY,
	device_id	INTEGER NOT NULL,
	ts		INTEGER NOT NULL,
	etag		TEXT,
	addr		TEXT,
	secrets		INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX fetches_device ON fetches(device_id, ts);

CREATE TRIGGER audit_devices_ins AFTER INSERT ON devices BEGIN
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
	WHEN (OLD.sfua_id IS NOT NEW.sfua_id OR OLD.mac IS NOT NEW.mac OR OLD.vendor IS NOT NEW.vendor OR OLD.model IS NOT NEW.model OR OLD.state IS NOT NEW.state OR OLD.label IS NOT NEW.label OR OLD.user_id IS NOT NEW.user_id OR OLD.profile_id IS NOT NEW.profile_id OR OLD.max_age IS NOT NEW.max_age OR OLD.notify_mode IS NOT NEW.notify_mode OR OLD.checksync IS NOT NEW.checksync OR OLD.contact_uri IS NOT NEW.contact_uri OR OLD.enc_mode IS NOT NEW.enc_mode OR OLD.enc_key_sealed IS NOT NEW.enc_key_sealed OR OLD.enc_cert IS NOT NEW.enc_cert) BEGIN
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
CREATE TRIGGER audit_devices_del AFTER DELETE ON devices BEGIN
	INSERT INTO audit(session_id, entity, entity_id, device_id, op, before)
	VALUES ((SELECT id FROM audit_sessions WHERE open = 1 ORDER BY id DESC LIMIT 1),
	    'device', OLD.id, OLD.id, 'delete', json_object('sfua_id', OLD.sfua_id,
	    'mac', OLD.mac, 'vendor', OLD.vendor, 'state', OLD.state));
END;

CREATE TRIGGER audit_lines_ins AFTER INSERT ON lines BEGIN
	INSERT INTO audit(session_id, entity, entity_id, device_id, op, after)
	VALUES ((SELECT id FROM audit_sessions WHERE open = 1 ORDER BY id DESC LIMIT 1),
	    'line', NEW.id, NEW.device_id, 'insert', json_object('position',
	    NEW.position, 'aor', NEW.aor, 'realm', NEW.realm, 'username',
	    NEW.username, 'outbound_proxy', NEW.outbound_proxy, 'display_name',
	    NEW.display_name, 'password', '(secret)'));
END;
CREATE TRIGGER audit_lines_upd AFTER UPDATE ON lines
	WHEN (OLD.position IS NOT NEW.position OR OLD.aor IS NOT NEW.aor OR OLD.realm IS NOT NEW.realm OR OLD.username IS NOT NEW.username OR OLD.ha1 IS NOT NEW.ha1 OR OLD.outbound_proxy IS NOT NEW.outbound_proxy OR OLD.display_name IS NOT NEW.display_name OR OLD.password_sealed IS NOT NEW.password_sealed) BEGIN
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
CREATE TRIGGER audit_lines_del AFTER DELETE ON lines BEGIN
	INSERT INTO audit(session_id, entity, entity_id, device_id, op, before)
	VALUES ((SELECT id FROM audit_sessions WHERE open = 1 ORDER BY id DESC LIMIT 1),
	    'line', OLD.id, OLD.device_id, 'delete', json_object('position',
	    OLD.position, 'aor', OLD.aor, 'username', OLD.username));
END;

CREATE TRIGGER audit_users_ins AFTER INSERT ON users BEGIN
	INSERT INTO audit(session_id, entity, entity_id, op, after)
	VALUES ((SELECT id FROM audit_sessions WHERE open = 1 ORDER BY id DESC LIMIT 1),
	    'user', NEW.id, 'insert', json_object('name', NEW.name, 'realm',
	    NEW.realm, 'password', '(secret)'));
END;
CREATE TRIGGER audit_users_upd AFTER UPDATE ON users
	WHEN (OLD.name IS NOT NEW.name OR OLD.realm IS NOT NEW.realm OR OLD.ha1_md5 IS NOT NEW.ha1_md5) BEGIN
	INSERT INTO audit(session_id, entity, entity_id, op, before, after)
	VALUES ((SELECT id FROM audit_sessions WHERE open = 1 ORDER BY id DESC LIMIT 1),
	    'user', NEW.id, 'update', json_object('name', OLD.name, 'realm',
	    OLD.realm, 'password', '(secret)'), json_object('name', NEW.name,
	    'realm', NEW.realm, 'password', CASE WHEN NEW.ha1_md5 IS OLD.ha1_md5
	    THEN '(secret)' ELSE '(new secret)' END));
END;
CREATE TRIGGER audit_users_del AFTER DELETE ON users BEGIN
	INSERT INTO audit(session_id, entity, entity_id, op, before)
	VALUES ((SELECT id FROM audit_sessions WHERE open = 1 ORDER BY id DESC LIMIT 1),
	    'user', OLD.id, 'delete', json_object('name', OLD.name));
END;

CREATE TRIGGER audit_templates_ins AFTER INSERT ON templates BEGIN
	INSERT INTO audit(session_id, entity, entity_id, op, after)
	VALUES ((SELECT id FROM audit_sessions WHERE open = 1 ORDER BY id DESC LIMIT 1),
	    'template', NEW.id, 'insert', json_object('name', NEW.name, 'vendor',
	    NEW.vendor, 'model', NEW.model, 'revision', NEW.revision,
	    'content_type', NEW.content_type, 'bytes', length(CAST(NEW.body AS BLOB))));
END;
CREATE TRIGGER audit_templates_upd AFTER UPDATE ON templates
	WHEN (OLD.name IS NOT NEW.name OR OLD.vendor IS NOT NEW.vendor OR OLD.model IS NOT NEW.model OR OLD.revision IS NOT NEW.revision OR OLD.content_type IS NOT NEW.content_type OR OLD.body IS NOT NEW.body) BEGIN
	INSERT INTO audit(session_id, entity, entity_id, op, before, after)
	VALUES ((SELECT id FROM audit_sessions WHERE open = 1 ORDER BY id DESC LIMIT 1),
	    'template', NEW.id, 'update', json_object('name', OLD.name, 'vendor',
	    OLD.vendor, 'model', OLD.model, 'bytes', length(CAST(OLD.body AS BLOB))),
	    json_object('name', NEW.name, 'vendor', NEW.vendor, 'model', NEW.model,
	    'bytes', length(CAST(NEW.body AS BLOB))));
END;
CREATE TRIGGER audit_templates_del AFTER DELETE ON templates BEGIN
	INSERT INTO audit(session_id, entity, entity_id, op, before)
	VALUES ((SELECT id FROM audit_sessions WHERE open = 1 ORDER BY id DESC LIMIT 1),
	    'template', OLD.id, 'delete', json_object('name', OLD.name));
END;

CREATE TRIGGER audit_vars_ins AFTER INSERT ON vars BEGIN
	INSERT INTO audit(session_id, entity, entity_id, op, after)
	VALUES ((SELECT id FROM audit_sessions WHERE open = 1 ORDER BY id DESC LIMIT 1),
	    'var', NEW.id, 'insert', json_object('layer', NEW.layer, 'scope',
	    NEW.scope, 'name', NEW.name, 'value', json(NEW.value)));
END;
CREATE TRIGGER audit_vars_upd AFTER UPDATE ON vars
	WHEN (OLD.layer IS NOT NEW.layer OR OLD.scope IS NOT NEW.scope OR OLD.name IS NOT NEW.name OR OLD.value IS NOT NEW.value) BEGIN
	INSERT INTO audit(session_id, entity, entity_id, op, before, after)
	VALUES ((SELECT id FROM audit_sessions WHERE open = 1 ORDER BY id DESC LIMIT 1),
	    'var', NEW.id, 'update', json_object('layer', OLD.layer, 'scope',
	    OLD.scope, 'name', OLD.name, 'value', json(OLD.value)),
	    json_object('layer', NEW.layer, 'scope', NEW.scope, 'name', NEW.name,
	    'value', json(NEW.value)));
END;
CREATE TRIGGER audit_vars_del AFTER DELETE ON vars BEGIN
	INSERT INTO audit(session_id, entity, entity_id, op, before)
	VALUES ((SELECT id FROM audit_sessions WHERE open = 1 ORDER BY id DESC LIMIT 1),
	    'var', OLD.id, 'delete', json_object('layer', OLD.layer, 'scope',
	    OLD.scope, 'name', OLD.name, 'value', json(OLD.value)));
END;

CREATE TRIGGER audit_profiles_upd AFTER UPDATE ON profiles
	WHEN (OLD.name IS NOT NEW.name OR OLD.max_age IS NOT NEW.max_age OR OLD.notify_mode IS NOT NEW.notify_mode OR OLD.checksync IS NOT NEW.checksync OR OLD.enc_mode IS NOT NEW.enc_mode) BEGIN
	INSERT INTO audit(session_id, entity, entity_id, op, before, after)
	VALUES ((SELECT id FROM audit_sessions WHERE open = 1 ORDER BY id DESC LIMIT 1),
	    'profile', NEW.id, 'update', json_object('name', OLD.name, 'max_age',
	    OLD.max_age, 'notify_mode', OLD.notify_mode, 'checksync', OLD.checksync,
	    'enc_mode', OLD.enc_mode), json_object('name', NEW.name, 'max_age',
	    NEW.max_age, 'notify_mode', NEW.notify_mode, 'checksync', NEW.checksync,
	    'enc_mode', NEW.enc_mode));
END;

CREATE TRIGGER audit_meta_upd AFTER UPDATE ON meta WHEN NEW.key = 'realm' BEGIN
	INSERT INTO audit(session_id, entity, op, before, after)
	VALUES ((SELECT id FROM audit_sessions WHERE open = 1 ORDER BY id DESC LIMIT 1),
	    'realm', 'update', json_object('realm', OLD.value),
	    json_object('realm', NEW.value));
END;
