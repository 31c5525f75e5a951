-- sipcfg store, schema version 1 -> 2: the SIP notifier (issue 3).
--
-- Applied by the store module inside the migration transaction, after
-- schema.sql on a new store and on its own to a version 1 store, so every
-- store at version 2 has exactly the same shape.
--
--  * monitors: the opaque, unguessable token of each device's monitor URI
--    (RFC 5989 §3, RFC 6011 §2.5.1), made by a trigger when a device is
--    inserted, so it is stable across restarts and the same for every
--    sipcfgd sharing the store, whoever inserted the device.
--  * notify_mode on devices and profiles: subscription or polling mode
--    (RFC 6011 §2.5); NULL inherits (device, then profile, then sipcfgd.conf).
--  * changes.hint: what a change touches, recorded by the triggers so the
--    notifier can find the devices concerned even after a delete.
--  * subscriptions: what each sipcfgd's notifier holds, for `sipcfg subs`.

ALTER TABLE devices ADD COLUMN notify_mode TEXT
	CHECK (notify_mode IS NULL OR notify_mode IN ('subscribe', 'poll'));
ALTER TABLE profiles ADD COLUMN notify_mode TEXT
	CHECK (notify_mode IS NULL OR notify_mode IN ('subscribe', 'poll'));

CREATE TABLE monitors (
	device_id	INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
	resource	TEXT NOT NULL DEFAULT 'config',
	token		TEXT NOT NULL UNIQUE
			    CHECK (length(token) = 32 AND token NOT GLOB '*[^0-9a-f]*'),
	PRIMARY KEY (device_id, resource)
);
INSERT INTO monitors(device_id, token)
	SELECT id, lower(hex(randomblob(16))) FROM devices;
CREATE TRIGGER devices_monitor AFTER INSERT ON devices BEGIN
	INSERT INTO monitors(device_id, token)
	    VALUES (NEW.id, lower(hex(randomblob(16))));
END;

-- hint: 'device:<id>' for devices and lines, 'user:<id>', 'profile:<id>',
-- 'var:<layer>:<scope>' for variables, 'template:<id>'; 'notify:<id>' and
-- 'notify:*' are operator requests (`sipcfg notify`).
ALTER TABLE changes ADD COLUMN hint TEXT;
CREATE INDEX changes_ts ON changes(ts);

DROP TRIGGER devices_ins;
DROP TRIGGER devices_upd;
DROP TRIGGER devices_del;
CREATE TRIGGER devices_ins AFTER INSERT ON devices BEGIN
	INSERT INTO changes(entity, entity_id, op, hint)
	    VALUES ('devices', NEW.id, 'insert', 'device:' || NEW.id);
END;
CREATE TRIGGER devices_upd AFTER UPDATE ON devices WHEN NEW.updated IS OLD.updated BEGIN
	UPDATE devices SET updated = max(strftime('%s', 'now'), OLD.updated) WHERE id = NEW.id;
	INSERT INTO changes(entity, entity_id, op, hint)
	    VALUES ('devices', NEW.id, 'update', 'device:' || NEW.id);
END;
CREATE TRIGGER devices_del AFTER DELETE ON devices BEGIN
	UPDATE meta SET value = strftime('%s', 'now') WHERE key = 'last_delete';
	INSERT INTO changes(entity, entity_id, op, hint)
	    VALUES ('devices', OLD.id, 'delete', 'device:' || OLD.id);
END;

DROP TRIGGER lines_ins;
DROP TRIGGER lines_upd;
DROP TRIGGER lines_del;
CREATE TRIGGER lines_ins AFTER INSERT ON lines BEGIN
	INSERT INTO changes(entity, entity_id, op, hint)
	    VALUES ('lines', NEW.id, 'insert', 'device:' || NEW.device_id);
END;
CREATE TRIGGER lines_upd AFTER UPDATE ON lines WHEN NEW.updated IS OLD.updated BEGIN
	UPDATE lines SET updated = max(strftime('%s', 'now'), OLD.updated) WHERE id = NEW.id;
	INSERT INTO changes(entity, entity_id, op, hint)
	    VALUES ('lines', NEW.id, 'update', 'device:' || NEW.device_id);
END;
CREATE TRIGGER lines_del AFTER DELETE ON lines BEGIN
	UPDATE meta SET value = strftime('%s', 'now') WHERE key = 'last_delete';
	INSERT INTO changes(entity, entity_id, op, hint)
	    VALUES ('lines', OLD.id, 'delete', 'device:' || OLD.device_id);
END;

DROP TRIGGER users_ins;
DROP TRIGGER users_upd;
DROP TRIGGER users_del;
CREATE TRIGGER users_ins AFTER INSERT ON users BEGIN
	INSERT INTO changes(entity, entity_id, op, hint)
	    VALUES ('users', NEW.id, 'insert', 'user:' || NEW.id);
END;
CREATE TRIGGER users_upd AFTER UPDATE ON users WHEN NEW.updated IS OLD.updated BEGIN
	UPDATE users SET updated = max(strftime('%s', 'now'), OLD.updated) WHERE id = NEW.id;
	INSERT INTO changes(entity, entity_id, op, hint)
	    VALUES ('users', NEW.id, 'update', 'user:' || NEW.id);
END;
CREATE TRIGGER users_del AFTER DELETE ON users BEGIN
	UPDATE meta SET value = strftime('%s', 'now') WHERE key = 'last_delete';
	INSERT INTO changes(entity, entity_id, op, hint)
	    VALUES ('users', OLD.id, 'delete', 'user:' || OLD.id);
END;

DROP TRIGGER profiles_ins;
DROP TRIGGER profiles_upd;
DROP TRIGGER profiles_del;
CREATE TRIGGER profiles_ins AFTER INSERT ON profiles BEGIN
	INSERT INTO changes(entity, entity_id, op, hint)
	    VALUES ('profiles', NEW.id, 'insert', 'profile:' || NEW.id);
END;
CREATE TRIGGER profiles_upd AFTER UPDATE ON profiles WHEN NEW.updated IS OLD.updated BEGIN
	UPDATE profiles SET updated = max(strftime('%s', 'now'), OLD.updated) WHERE id = NEW.id;
	INSERT INTO changes(entity, entity_id, op, hint)
	    VALUES ('profiles', NEW.id, 'update', 'profile:' || NEW.id);
END;
CREATE TRIGGER profiles_del AFTER DELETE ON profiles BEGIN
	UPDATE meta SET value = strftime('%s', 'now') WHERE key = 'last_delete';
	INSERT INTO changes(entity, entity_id, op, hint)
	    VALUES ('profiles', OLD.id, 'delete', 'profile:' || OLD.id);
END;

DROP TRIGGER templates_ins;
DROP TRIGGER templates_upd;
DROP TRIGGER templates_del;
CREATE TRIGGER templates_ins AFTER INSERT ON templates BEGIN
	INSERT INTO changes(entity, entity_id, op, hint)
	    VALUES ('templates', NEW.id, 'insert', 'template:' || NEW.id);
END;
CREATE TRIGGER templates_upd AFTER UPDATE ON templates WHEN NEW.updated IS OLD.updated BEGIN
	UPDATE templates SET updated = max(strftime('%s', 'now'), OLD.updated) WHERE id = NEW.id;
	INSERT INTO changes(entity, entity_id, op, hint)
	    VALUES ('templates', NEW.id, 'update', 'template:' || NEW.id);
END;
CREATE TRIGGER templates_del AFTER DELETE ON templates BEGIN
	UPDATE meta SET value = strftime('%s', 'now') WHERE key = 'last_delete';
	INSERT INTO changes(entity, entity_id, op, hint)
	    VALUES ('templates', OLD.id, 'delete', 'template:' || OLD.id);
END;

DROP TRIGGER vars_ins;
DROP TRIGGER vars_upd;
DROP TRIGGER vars_del;
CREATE TRIGGER vars_ins AFTER INSERT ON vars BEGIN
	INSERT INTO changes(entity, entity_id, op, hint)
	    VALUES ('vars', NEW.id, 'insert', 'var:' || NEW.layer || ':' || NEW.scope);
END;
CREATE TRIGGER vars_upd AFTER UPDATE ON vars WHEN NEW.updated IS OLD.updated BEGIN
	UPDATE vars SET updated = max(strftime('%s', 'now'), OLD.updated) WHERE id = NEW.id;
	INSERT INTO changes(entity, entity_id, op, hint)
	    VALUES ('vars', NEW.id, 'update', 'var:' || NEW.layer || ':' || NEW.scope);
	INSERT INTO changes(entity, entity_id, op, hint)
	    SELECT 'vars', NEW.id, 'update', 'var:' || OLD.layer || ':' || OLD.scope
	    WHERE OLD.layer IS NOT NEW.layer OR OLD.scope IS NOT NEW.scope;
END;
CREATE TRIGGER vars_del AFTER DELETE ON vars BEGIN
	UPDATE meta SET value = strftime('%s', 'now') WHERE key = 'last_delete';
	INSERT INTO changes(entity, entity_id, op, hint)
	    VALUES ('vars', OLD.id, 'delete', 'var:' || OLD.layer || ':' || OLD.scope);
END;

-- The realm is rendered into every configuration: a change is a change.
CREATE TRIGGER meta_upd AFTER UPDATE ON meta WHEN NEW.key = 'realm' BEGIN
	INSERT INTO changes(entity, entity_id, op, hint)
	    VALUES ('meta', NULL, 'update', 'all');
END;

-- Written by sipcfgd (one row per held subscription, `instance` names the
-- daemon), read by `sipcfg subs`.  Not part of any configuration.
CREATE TABLE subscriptions (
	instance	TEXT NOT NULL,
	local_id	INTEGER NOT NULL,
	device_id	INTEGER NOT NULL,
	uri		TEXT NOT NULL,
	transport	TEXT NOT NULL,
	source		TEXT NOT NULL,
	contact		TEXT,
	created		INTEGER NOT NULL,
	expires		INTEGER NOT NULL,
	last_notify	INTEGER,
	last_etag	TEXT,
	notifies	INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (instance, local_id)
);
CREATE INDEX subscriptions_device ON subscriptions(device_id);
