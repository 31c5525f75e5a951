-- sipcfg store, schema version 1.
--
-- Applied by the store module to an empty database (PRAGMA user_version 0);
-- later versions add numbered migrations in server/store_sqlite.c and bump
-- user_version in the same transaction.  Connection settings (WAL, busy
-- timeout, foreign keys) are set per connection by the store module.
--
-- Every table the configuration is rendered from has an `updated` column
-- (unix seconds) maintained by triggers, and every change is appended to
-- `changes` by triggers, so edits made with the sqlite3 shell are seen
-- exactly like edits made with sipcfg.

-- For a store made by hand (sqlite3 store.db < sql/schema.sql); the
-- store module sets it too, in the same transaction.
PRAGMA user_version = 1;

CREATE TABLE meta (
	key	TEXT PRIMARY KEY,
	value	TEXT NOT NULL
);
INSERT INTO meta(key, value) VALUES
	('realm', 'sipcfg'),
	('created', strftime('%s', 'now')),
	('last_delete', '0');

CREATE TABLE profiles (
	id	INTEGER PRIMARY KEY,
	name	TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 64),
	max_age	INTEGER CHECK (max_age IS NULL OR max_age BETWEEN 0 AND 31536000),
	updated	INTEGER NOT NULL DEFAULT (strftime('%s', 'now'))
);

CREATE TABLE users (
	id		INTEGER PRIMARY KEY,
	name		TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 64),
	realm		TEXT NOT NULL CHECK (length(realm) BETWEEN 1 AND 128),
	ha1_md5		TEXT NOT NULL CHECK (length(ha1_md5) = 32),
	ha1_sha256	TEXT NOT NULL CHECK (length(ha1_sha256) = 64),
	updated		INTEGER NOT NULL DEFAULT (strftime('%s', 'now'))
);

CREATE TABLE devices (
	id		INTEGER PRIMARY KEY,
	sfua_id		TEXT NOT NULL UNIQUE CHECK (length(sfua_id) BETWEEN 5 AND 255),
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
	updated		INTEGER NOT NULL DEFAULT (strftime('%s', 'now'))
);
CREATE INDEX devices_mac ON devices(mac);
CREATE INDEX devices_user ON devices(user_id);

-- Fetch bookkeeping, written in batches by the daemon.  Kept apart from
-- devices so that it never changes a device's configuration or ETag.
CREATE TABLE device_seen (
	device_id	INTEGER PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
	revision	TEXT,
	last_fetch	INTEGER,
	last_etag	TEXT,
	last_addr	TEXT,
	last_ua		TEXT,
	fetches		INTEGER NOT NULL DEFAULT 0
);

-- The RFC 6011 §3.1 items, one row per line of a device.
CREATE TABLE lines (
	id		INTEGER PRIMARY KEY,
	device_id	INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
	position	INTEGER NOT NULL CHECK (position BETWEEN 1 AND 64),
	aor		TEXT NOT NULL CHECK (length(aor) BETWEEN 5 AND 255),
	realm		TEXT NOT NULL CHECK (length(realm) BETWEEN 1 AND 128),
	username	TEXT NOT NULL CHECK (length(username) BETWEEN 1 AND 128),
	ha1		TEXT NOT NULL CHECK (length(ha1) = 32),
	outbound_proxy	TEXT CHECK (outbound_proxy IS NULL OR length(outbound_proxy) <= 255),
	display_name	TEXT CHECK (display_name IS NULL OR length(display_name) <= 128),
	updated		INTEGER NOT NULL DEFAULT (strftime('%s', 'now')),
	UNIQUE (device_id, position)
);

CREATE TABLE templates (
	id		INTEGER PRIMARY KEY,
	name		TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 64),
	vendor		TEXT,
	model		TEXT,
	revision	TEXT,
	content_type	TEXT NOT NULL CHECK (length(content_type) BETWEEN 3 AND 127),
	body		TEXT NOT NULL CHECK (length(CAST(body AS BLOB)) <= 1048576),
	updated		INTEGER NOT NULL DEFAULT (strftime('%s', 'now'))
);

-- Layered variables: later layers win (global < vendor < model < profile
-- < user < device).  scope is '' (global), the vendor domain, 'vendor/model',
-- the profile name, the user name or the device sfua-id.
CREATE TABLE vars (
	id	INTEGER PRIMARY KEY,
	layer	TEXT NOT NULL CHECK (layer IN ('global', 'vendor', 'model',
		    'profile', 'user', 'device')),
	scope	TEXT NOT NULL,
	name	TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
	value	TEXT NOT NULL CHECK (json_valid(value) AND length(value) <= 65536),
	updated	INTEGER NOT NULL DEFAULT (strftime('%s', 'now')),
	UNIQUE (layer, scope, name)
);

-- Change log, read by the daemon's store watcher.
CREATE TABLE changes (
	seq		INTEGER PRIMARY KEY AUTOINCREMENT,
	ts		INTEGER NOT NULL DEFAULT (strftime('%s', 'now')),
	entity		TEXT NOT NULL,
	entity_id	INTEGER,
	op		TEXT NOT NULL CHECK (op IN ('insert', 'update', 'delete'))
);

CREATE TRIGGER profiles_ins AFTER INSERT ON profiles BEGIN
	INSERT INTO changes(entity, entity_id, op) VALUES ('profiles', NEW.id, 'insert');
END;
CREATE TRIGGER profiles_upd AFTER UPDATE ON profiles WHEN NEW.updated IS OLD.updated BEGIN
	UPDATE profiles SET updated = max(strftime('%s', 'now'), OLD.updated) WHERE id = NEW.id;
	INSERT INTO changes(entity, entity_id, op) VALUES ('profiles', NEW.id, 'update');
END;
CREATE TRIGGER profiles_del AFTER DELETE ON profiles BEGIN
	UPDATE meta SET value = strftime('%s', 'now') WHERE key = 'last_delete';
	INSERT INTO changes(entity, entity_id, op) VALUES ('profiles', OLD.id, 'delete');
END;

CREATE TRIGGER users_ins AFTER INSERT ON users BEGIN
	INSERT INTO changes(entity, entity_id, op) VALUES ('users', NEW.id, 'insert');
END;
CREATE TRIGGER users_upd AFTER UPDATE ON users WHEN NEW.updated IS OLD.updated BEGIN
	UPDATE users SET updated = max(strftime('%s', 'now'), OLD.updated) WHERE id = NEW.id;
	INSERT INTO changes(entity, entity_id, op) VALUES ('users', NEW.id, 'update');
END;
CREATE TRIGGER users_del AFTER DELETE ON users BEGIN
	UPDATE meta SET value = strftime('%s', 'now') WHERE key = 'last_delete';
	INSERT INTO changes(entity, entity_id, op) VALUES ('users', OLD.id, 'delete');
END;

CREATE TRIGGER devices_ins AFTER INSERT ON devices BEGIN
	INSERT INTO changes(entity, entity_id, op) VALUES ('devices', NEW.id, 'insert');
END;
CREATE TRIGGER devices_upd AFTER UPDATE ON devices WHEN NEW.updated IS OLD.updated BEGIN
	UPDATE devices SET updated = max(strftime('%s', 'now'), OLD.updated) WHERE id = NEW.id;
	INSERT INTO changes(entity, entity_id, op) VALUES ('devices', NEW.id, 'update');
END;
CREATE TRIGGER devices_del AFTER DELETE ON devices BEGIN
	UPDATE meta SET value = strftime('%s', 'now') WHERE key = 'last_delete';
	INSERT INTO changes(entity, entity_id, op) VALUES ('devices', OLD.id, 'delete');
END;

CREATE TRIGGER lines_ins AFTER INSERT ON lines BEGIN
	INSERT INTO changes(entity, entity_id, op) VALUES ('lines', NEW.id, 'insert');
END;
CREATE TRIGGER lines_upd AFTER UPDATE ON lines WHEN NEW.updated IS OLD.updated BEGIN
	UPDATE lines SET updated = max(strftime('%s', 'now'), OLD.updated) WHERE id = NEW.id;
	INSERT INTO changes(entity, entity_id, op) VALUES ('lines', NEW.id, 'update');
END;
CREATE TRIGGER lines_del AFTER DELETE ON lines BEGIN
	UPDATE meta SET value = strftime('%s', 'now') WHERE key = 'last_delete';
	INSERT INTO changes(entity, entity_id, op) VALUES ('lines', OLD.id, 'delete');
END;

CREATE TRIGGER templates_ins AFTER INSERT ON templates BEGIN
	INSERT INTO changes(entity, entity_id, op) VALUES ('templates', NEW.id, 'insert');
END;
CREATE TRIGGER templates_upd AFTER UPDATE ON templates WHEN NEW.updated IS OLD.updated BEGIN
	UPDATE templates SET updated = max(strftime('%s', 'now'), OLD.updated) WHERE id = NEW.id;
	INSERT INTO changes(entity, entity_id, op) VALUES ('templates', NEW.id, 'update');
END;
CREATE TRIGGER templates_del AFTER DELETE ON templates BEGIN
	UPDATE meta SET value = strftime('%s', 'now') WHERE key = 'last_delete';
	INSERT INTO changes(entity, entity_id, op) VALUES ('templates', OLD.id, 'delete');
END;

CREATE TRIGGER vars_ins AFTER INSERT ON vars BEGIN
	INSERT INTO changes(entity, entity_id, op) VALUES ('vars', NEW.id, 'insert');
END;
CREATE TRIGGER vars_upd AFTER UPDATE ON vars WHEN NEW.updated IS OLD.updated BEGIN
	UPDATE vars SET updated = max(strftime('%s', 'now'), OLD.updated) WHERE id = NEW.id;
	INSERT INTO changes(entity, entity_id, op) VALUES ('vars', NEW.id, 'update');
END;
CREATE TRIGGER vars_del AFTER DELETE ON vars BEGIN
	UPDATE meta SET value = strftime('%s', 'now') WHERE key = 'last_delete';
	INSERT INTO changes(entity, entity_id, op) VALUES ('vars', OLD.id, 'delete');
END;
