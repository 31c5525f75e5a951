-- sipcfg store, schema version 4 -> 5: security of the provisioning path
-- (issue 6).  Applied by server/store_sqlite.c with foreign keys off and
-- legacy_alter_table on: the devices table is rebuilt (an sfua-id is now
-- unique per domain), and the store module re-creates the triggers and
-- indexes the old table had before this file's own ones.
--
-- domains: the RFC 6011 §2.4.1 Configuration Service Domains one server
-- answers for.  The TLS certificate is chosen by SNI; id 1 is the default
-- domain (no SNI, or a name no domain has), whose certificate and key are
-- sipcfgd.conf's tls_cert and tls_key when its own are NULL.  realm NULL
-- is the store's realm (meta).  ca_file: the CAs client certificates are
-- validated against (vendor factory CAs); client_cert: optional, required
-- or ignore; tofu: pin an unknown certificate after a successful HTTP
-- authentication (1) or refuse it (0).
CREATE TABLE domains (
	id		INTEGER PRIMARY KEY,
	name		TEXT NOT NULL UNIQUE COLLATE NOCASE
			    CHECK (length(name) BETWEEN 1 AND 253),
	realm		TEXT CHECK (realm IS NULL OR length(realm) BETWEEN 1 AND 128),
	cert_file	TEXT CHECK (cert_file IS NULL OR length(cert_file) <= 1024),
	key_file	TEXT CHECK (key_file IS NULL OR length(key_file) <= 1024),
	ca_file		TEXT CHECK (ca_file IS NULL OR length(ca_file) <= 1024),
	base_url	TEXT CHECK (base_url IS NULL OR length(base_url) <= 1024),
	client_cert	TEXT NOT NULL DEFAULT 'optional'
			    CHECK (client_cert IN ('optional', 'required', 'ignore')),
	tofu		INTEGER NOT NULL DEFAULT 1 CHECK (tofu IN (0, 1)),
	updated		INTEGER NOT NULL DEFAULT (strftime('%s', 'now')),
	CHECK ((cert_file IS NULL) = (key_file IS NULL))
);
INSERT INTO domains(id, name) VALUES (1, 'default');

CREATE TABLE devices_new (
	id		INTEGER PRIMARY KEY,
	domain_id	INTEGER NOT NULL DEFAULT 1 REFERENCES domains(id),
	sfua_id		TEXT NOT NULL CHECK (length(sfua_id) BETWEEN 5 AND 255),
	mac		TEXT CHECK (mac IS NULL OR (length(mac) = 12 AND mac NOT GLOB '*[^0-9a-f]*')),
	vendor		TEXT CHECK (vendor IS NULL OR length(vendor) <= 255),
	model		TEXT CHECK (model IS NULL OR length(model) <= 64),
	state		TEXT NOT NULL DEFAULT 'active'
			    CHECK (state IN ('active', 'pending', 'disabled')),
	label		TEXT CHECK (label IS NULL OR length(label) <= 255),
	user_id		INTEGER REFERENCES users(id) ON DELETE SET NULL,
	profile_id	INTEGER REFERENCES profiles(id) ON DELETE SET NULL,
	max_age		INTEGER CHECK (max_age IS NULL OR max_age BETWEEN 0 AND 31536000),
	created		INTEGER NOT NULL DEFAULT (strftime('%s', 'now')),
	updated		INTEGER NOT NULL DEFAULT (strftime('%s', 'now')),
	notify_mode	TEXT CHECK (notify_mode IS NULL OR notify_mode IN ('subscribe', 'poll')),
	checksync	TEXT CHECK (checksync IS NULL OR checksync IN ('on', 'off')),
	contact_uri	TEXT CHECK (contact_uri IS NULL OR length(contact_uri) <= 255),
	enc_mode	TEXT CHECK (enc_mode IS NULL OR
			    enc_mode IN ('none', 'cms-password', 'cms-cert', 'openssl-enc-md5')),
	enc_key_sealed	TEXT,
	enc_cert	TEXT CHECK (enc_cert IS NULL OR length(enc_cert) <= 16384),
	-- NULL inherits the domain's.
	client_cert	TEXT CHECK (client_cert IS NULL OR
			    client_cert IN ('optional', 'required', 'ignore')),
	UNIQUE (domain_id, sfua_id)
);
INSERT INTO devices_new(id, sfua_id, mac, vendor, model, state, label,
    user_id, profile_id, max_age, created, updated, notify_mode, checksync,
    contact_uri, enc_mode, enc_key_sealed, enc_cert)
    SELECT id, sfua_id, mac, vendor, model, state, label, user_id, profile_id,
    max_age, created, updated, notify_mode, checksync, contact_uri, enc_mode,
    enc_key_sealed, enc_cert FROM devices;
DROP TABLE devices;
ALTER TABLE devices_new RENAME TO devices;
-- (the old table's triggers and indexes are re-created here by the store)
CREATE INDEX devices_domain_mac ON devices(domain_id, mac);

-- Trust on first use (RFC 6011 §2.4.1): the client certificate a device
-- proved with a successful HTTP authentication.  Apart from devices, so a
-- pin never changes a configuration, its ETag or its Last-Modified.
CREATE TABLE device_pins (
	device_id	INTEGER PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
	sha256		TEXT NOT NULL CHECK (length(sha256) = 64),
	subject		TEXT CHECK (subject IS NULL OR length(subject) <= 512),
	pinned		INTEGER NOT NULL DEFAULT (strftime('%s', 'now')),
	addr		TEXT
);
CREATE TRIGGER audit_pins_ins AFTER INSERT ON device_pins BEGIN
	INSERT INTO audit(session_id, entity, entity_id, device_id, op, after)
	VALUES ((SELECT id FROM audit_sessions WHERE open = 1 ORDER BY id DESC LIMIT 1),
	    'pin', NEW.device_id, NEW.device_id, 'insert', json_object('sha256',
	    NEW.sha256, 'subject', NEW.subject, 'addr', NEW.addr));
END;
CREATE TRIGGER audit_pins_del AFTER DELETE ON device_pins BEGIN
	INSERT INTO audit(session_id, entity, entity_id, device_id, op, before)
	VALUES ((SELECT id FROM audit_sessions WHERE open = 1 ORDER BY id DESC LIMIT 1),
	    'pin', OLD.device_id, OLD.device_id, 'delete', json_object('sha256',
	    OLD.sha256, 'subject', OLD.subject));
END;

CREATE TRIGGER audit_domains_ins AFTER INSERT ON domains BEGIN
	INSERT INTO audit(session_id, entity, entity_id, op, after)
	VALUES ((SELECT id FROM audit_sessions WHERE open = 1 ORDER BY id DESC LIMIT 1),
	    'domain', NEW.id, 'insert', json_object('name', NEW.name, 'realm',
	    NEW.realm, 'cert_file', NEW.cert_file, 'key_file', NEW.key_file,
	    'ca_file', NEW.ca_file, 'base_url', NEW.base_url, 'client_cert',
	    NEW.client_cert, 'tofu', NEW.tofu));
END;
CREATE TRIGGER audit_domains_upd AFTER UPDATE ON domains
	WHEN (OLD.name IS NOT NEW.name OR OLD.realm IS NOT NEW.realm OR OLD.cert_file IS NOT NEW.cert_file OR OLD.key_file IS NOT NEW.key_file OR OLD.ca_file IS NOT NEW.ca_file OR OLD.base_url IS NOT NEW.base_url OR OLD.client_cert IS NOT NEW.client_cert OR OLD.tofu IS NOT NEW.tofu) BEGIN
	INSERT INTO audit(session_id, entity, entity_id, op, before, after)
	VALUES ((SELECT id FROM audit_sessions WHERE open = 1 ORDER BY id DESC LIMIT 1),
	    'domain', NEW.id, 'update', json_object('name', OLD.name, 'realm',
	    OLD.realm, 'cert_file', OLD.cert_file, 'key_file', OLD.key_file,
	    'ca_file', OLD.ca_file, 'base_url', OLD.base_url, 'client_cert',
	    OLD.client_cert, 'tofu', OLD.tofu), json_object('name', NEW.name,
	    'realm', NEW.realm, 'cert_file', NEW.cert_file, 'key_file',
	    NEW.key_file, 'ca_file', NEW.ca_file, 'base_url', NEW.base_url,
	    'client_cert', NEW.client_cert, 'tofu', NEW.tofu));
END;
CREATE TRIGGER audit_domains_del AFTER DELETE ON domains BEGIN
	INSERT INTO audit(session_id, entity, entity_id, op, before)
	VALUES ((SELECT id FROM audit_sessions WHERE open = 1 ORDER BY id DESC LIMIT 1),
	    'domain', OLD.id, 'delete', json_object('name', OLD.name));
END;
-- A device's domain and certificate policy are audited with it.
CREATE TRIGGER audit_devices_sec AFTER UPDATE ON devices
	WHEN (OLD.domain_id IS NOT NEW.domain_id OR OLD.client_cert IS NOT NEW.client_cert) BEGIN
	INSERT INTO audit(session_id, entity, entity_id, device_id, op, before, after)
	VALUES ((SELECT id FROM audit_sessions WHERE open = 1 ORDER BY id DESC LIMIT 1),
	    'device', NEW.id, NEW.id, 'update', json_object('domain_id',
	    OLD.domain_id, 'client_cert', OLD.client_cert), json_object('domain_id',
	    NEW.domain_id, 'client_cert', NEW.client_cert));
END;

-- Users belong to a domain (names stay unique across the store: they are
-- the HTTP and SIP usernames).  Bootstrap and rotation (RFC 6011 §5):
--   otp = 1: the HA1s are those of a one-time password, valid for one
--   successful fetch inside [otp_not_before, otp_not_after] (NULL: open);
--   that fetch replaces it with a long-term password, kept sealed in
--   password_sealed so templates can hand it to the phone.
--   old_ha1_*: the previous password, still accepted until old_until.
ALTER TABLE users ADD COLUMN domain_id INTEGER NOT NULL DEFAULT 1 REFERENCES domains(id);
ALTER TABLE users ADD COLUMN otp INTEGER NOT NULL DEFAULT 0 CHECK (otp IN (0, 1));
ALTER TABLE users ADD COLUMN otp_not_before INTEGER;
ALTER TABLE users ADD COLUMN otp_not_after INTEGER;
ALTER TABLE users ADD COLUMN password_sealed TEXT;
ALTER TABLE users ADD COLUMN old_ha1_md5 TEXT CHECK (old_ha1_md5 IS NULL OR length(old_ha1_md5) = 32);
ALTER TABLE users ADD COLUMN old_ha1_sha256 TEXT CHECK (old_ha1_sha256 IS NULL OR length(old_ha1_sha256) = 64);
ALTER TABLE users ADD COLUMN old_until INTEGER;

-- Variables marked secret: the value is sealed (seal.c, purpose "var"),
-- rendered only into full (authenticated) answers, masked in the audit.
ALTER TABLE vars ADD COLUMN secret INTEGER NOT NULL DEFAULT 0 CHECK (secret IN (0, 1));
DROP TRIGGER audit_vars_ins;
DROP TRIGGER audit_vars_upd;
DROP TRIGGER audit_vars_del;
CREATE TRIGGER audit_vars_ins AFTER INSERT ON vars BEGIN
	INSERT INTO audit(session_id, entity, entity_id, op, after)
	VALUES ((SELECT id FROM audit_sessions WHERE open = 1 ORDER BY id DESC LIMIT 1),
	    'var', NEW.id, 'insert', json_object('layer', NEW.layer, 'scope',
	    NEW.scope, 'name', NEW.name, 'value', CASE WHEN NEW.secret THEN
	    '(secret)' ELSE json(NEW.value) END));
END;
CREATE TRIGGER audit_vars_upd AFTER UPDATE ON vars
	WHEN (OLD.layer IS NOT NEW.layer OR OLD.scope IS NOT NEW.scope OR OLD.name IS NOT NEW.name OR OLD.value IS NOT NEW.value OR OLD.secret IS NOT NEW.secret) BEGIN
	INSERT INTO audit(session_id, entity, entity_id, op, before, after)
	VALUES ((SELECT id FROM audit_sessions WHERE open = 1 ORDER BY id DESC LIMIT 1),
	    'var', NEW.id, 'update', json_object('layer', OLD.layer, 'scope',
	    OLD.scope, 'name', OLD.name, 'value', CASE WHEN OLD.secret THEN
	    '(secret)' ELSE json(OLD.value) END),
	    json_object('layer', NEW.layer, 'scope', NEW.scope, 'name', NEW.name,
	    'value', CASE WHEN NEW.secret THEN CASE WHEN NEW.value IS OLD.value
	    THEN '(secret)' ELSE '(new secret)' END ELSE json(NEW.value) END));
END;
CREATE TRIGGER audit_vars_del AFTER DELETE ON vars BEGIN
	INSERT INTO audit(session_id, entity, entity_id, op, before)
	VALUES ((SELECT id FROM audit_sessions WHERE open = 1 ORDER BY id DESC LIMIT 1),
	    'var', OLD.id, 'delete', json_object('layer', OLD.layer, 'scope',
	    OLD.scope, 'name', OLD.name, 'value', CASE WHEN OLD.secret THEN
	    '(secret)' ELSE json(OLD.value) END));
END;

-- A device's user is in the device's domain, whoever writes the store.
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
CREATE TRIGGER users_domain_upd BEFORE UPDATE OF domain_id ON users
	WHEN EXISTS (SELECT 1 FROM devices WHERE user_id = NEW.id AND domain_id IS NOT NEW.domain_id) BEGIN
	SELECT RAISE(ABORT, 'the user has devices in another domain');
END;
