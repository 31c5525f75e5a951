-- sipcfg store, schema version 2 -> 3: vendor file paths (issue 5).
--
-- path_rules: the file names legacy phones ask for, under sipcfgd's
-- vendor_paths prefix.  pattern holds one {mac} (or {MAC}) and at most
-- one {model}; matching ignores case and MAC separators (server/vpath.c).
-- vendor (NULL: any) is the vendor a phone asking this way is taken to
-- be when the store does not say, and picks the template of unknown
-- devices; template (NULL: the device's best match) forces one.
CREATE TABLE path_rules (
	id		INTEGER PRIMARY KEY,
	pattern		TEXT NOT NULL UNIQUE
			    CHECK (length(pattern) BETWEEN 5 AND 127),
	vendor		TEXT CHECK (vendor IS NULL OR length(vendor) <= 255),
	template	TEXT CHECK (template IS NULL OR length(template) <= 64),
	updated		INTEGER NOT NULL DEFAULT (strftime('%s', 'now'))
);
-- Shipped: Yealink and Polycom <mac>.cfg, Polycom <MAC>-phone.cfg, Snom,
-- Grandstream, Panasonic, Cisco SPA (BRIEF.md §3).
INSERT INTO path_rules(pattern, vendor) VALUES
	('{mac}.cfg', NULL),
	('{MAC}-phone.cfg', 'polycom.com'),
	('snom{model}-{MAC}.htm', 'snom.com'),
	('cfg{mac}.xml', 'grandstream.com'),
	('Config{MAC}.cfg', 'panasonic.com'),
	('spa{mac}.xml', 'cisco.com');
-- A rule can change which template a path request gets: every device.
CREATE TRIGGER path_rules_ins AFTER INSERT ON path_rules BEGIN
	INSERT INTO changes(entity, entity_id, op, hint)
	    VALUES ('path_rules', NEW.id, 'insert', 'all');
END;
CREATE TRIGGER path_rules_upd AFTER UPDATE ON path_rules WHEN NEW.updated IS OLD.updated BEGIN
	UPDATE path_rules SET updated = max(strftime('%s', 'now'), OLD.updated) WHERE id = NEW.id;
	INSERT INTO changes(entity, entity_id, op, hint)
	    VALUES ('path_rules', NEW.id, 'update', 'all');
END;
CREATE TRIGGER path_rules_del AFTER DELETE ON path_rules BEGIN
	UPDATE meta SET value = strftime('%s', 'now') WHERE key = 'last_delete';
	INSERT INTO changes(entity, entity_id, op, hint)
	    VALUES ('path_rules', OLD.id, 'delete', 'all');
END;

-- What the User-Agent of the last fetch says (server/useragent.c).
ALTER TABLE device_seen ADD COLUMN ua_vendor TEXT;
ALTER TABLE device_seen ADD COLUMN ua_model TEXT;
ALTER TABLE device_seen ADD COLUMN ua_firmware TEXT;

-- Legacy check-sync push (BRIEF.md §3, NOTES-apis.md §3): an out-of-dialog
-- NOTIFY that tells a phone to fetch its configuration again.  Off by
-- default; on per vendor (checksync_events.enabled), per profile or per
-- device (checksync: 'on', 'off', NULL inherits).  event is the vendor's
-- Event header value; reboot_event the one that also reboots.
CREATE TABLE checksync_events (
	vendor		TEXT PRIMARY KEY CHECK (length(vendor) BETWEEN 1 AND 255),
	event		TEXT NOT NULL CHECK (length(event) BETWEEN 1 AND 64),
	reboot_event	TEXT CHECK (reboot_event IS NULL OR
			    length(reboot_event) BETWEEN 1 AND 64),
	enabled		INTEGER NOT NULL DEFAULT 0 CHECK (enabled IN (0, 1))
);
INSERT INTO checksync_events(vendor, event, reboot_event) VALUES
	('yealink.com', 'check-sync;reboot=false', 'check-sync;reboot=true'),
	('polycom.com', 'check-sync', 'check-sync'),
	('snom.com', 'check-sync;reboot=false', 'check-sync;reboot=true'),
	('grandstream.com', 'check-sync', 'check-sync'),
	('panasonic.com', 'check-sync', 'check-sync'),
	('cisco.com', 'resync', 'reboot');
ALTER TABLE devices ADD COLUMN checksync TEXT
	CHECK (checksync IS NULL OR checksync IN ('on', 'off'));
ALTER TABLE devices ADD COLUMN contact_uri TEXT
	CHECK (contact_uri IS NULL OR length(contact_uri) <= 255);
ALTER TABLE profiles ADD COLUMN checksync TEXT
	CHECK (checksync IS NULL OR checksync IN ('on', 'off'));
-- Which devices are in check-sync mode is a change for the notifier.
CREATE TRIGGER checksync_events_upd AFTER UPDATE ON checksync_events BEGIN
	INSERT INTO changes(entity, entity_id, op, hint)
	    VALUES ('checksync_events', NULL, 'update', 'checksync');
END;
CREATE TRIGGER checksync_events_ins AFTER INSERT ON checksync_events BEGIN
	INSERT INTO changes(entity, entity_id, op, hint)
	    VALUES ('checksync_events', NULL, 'insert', 'checksync');
END;

-- A line's SIP password in clear is needed by vendor formats: kept only
-- sealed (AES-256-GCM, server/seal.c) under the key file beside the store.
ALTER TABLE lines ADD COLUMN password_sealed TEXT;

-- Per-device encrypted configuration files (issue 5): the mode (NULL
-- inherits the profile's, then none), the 32-byte key sealed like the
-- line passwords, and the device's certificate for cms-cert.  A path
-- rule marked plain (a bootstrap file that delivers the key) is never
-- encrypted.
ALTER TABLE devices ADD COLUMN enc_mode TEXT CHECK (enc_mode IS NULL OR
	enc_mode IN ('none', 'cms-password', 'cms-cert', 'openssl-enc-md5'));
ALTER TABLE devices ADD COLUMN enc_key_sealed TEXT;
ALTER TABLE devices ADD COLUMN enc_cert TEXT
	CHECK (enc_cert IS NULL OR length(enc_cert) <= 16384);
ALTER TABLE profiles ADD COLUMN enc_mode TEXT CHECK (enc_mode IS NULL OR
	enc_mode IN ('none', 'cms-password', 'cms-cert', 'openssl-enc-md5'));
ALTER TABLE path_rules ADD COLUMN plain INTEGER NOT NULL DEFAULT 0
	CHECK (plain IN (0, 1));
