-- sipcfg store, schema version 8 -> 9: bearer tokens of the admin API
-- (issue 14 §2, server/admin_http.c).
--
-- A token is shown once, when `sipcfg token add` makes it; the store
-- keeps its SHA-256 only (the token holds 256 random bits, so no slow
-- hash is needed), with its name, its scope (read: GET only; write:
-- every route) and an optional expiry.  last_used is written at most
-- once a minute per token.  Adding and removing a token is audited,
-- without the hash.
--
-- Requests that change no row but ask the daemons for something, a
-- NOTIFY or a check-sync push (`sipcfg notify`, the API's notify), were
-- only an audit session without rows, so no listing showed them: made by
-- sipcfg or the API (an audit session is open), their change-log row is
-- now an audit row too, op 'request', the device's.
CREATE TABLE api_tokens (
	id		INTEGER PRIMARY KEY,
	name		TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 64),
	scope		TEXT NOT NULL CHECK (scope = 'read' OR scope = 'write'),
	sha256		TEXT NOT NULL UNIQUE CHECK (length(sha256) = 64),
	created		INTEGER NOT NULL DEFAULT (strftime('%s', 'now')),
	expires		INTEGER,
	last_used	INTEGER
);
CREATE TRIGGER audit_api_tokens_ins AFTER INSERT ON api_tokens BEGIN
	INSERT INTO audit(session_id, entity, entity_id, op, after)
	VALUES ((SELECT id FROM audit_sessions WHERE open = 1 ORDER BY id DESC LIMIT 1),
	    'token', NEW.id, 'insert', json_object('name', NEW.name, 'scope',
	    NEW.scope, 'expires', NEW.expires));
END;
CREATE TRIGGER audit_api_tokens_del AFTER DELETE ON api_tokens BEGIN
	INSERT INTO audit(session_id, entity, entity_id, op, before)
	VALUES ((SELECT id FROM audit_sessions WHERE open = 1 ORDER BY id DESC LIMIT 1),
	    'token', OLD.id, 'delete', json_object('name', OLD.name, 'scope',
	    OLD.scope));
END;
CREATE TRIGGER audit_requests AFTER INSERT ON changes
	WHEN NEW.entity IN ('notify', 'checksync') AND
	    EXISTS (SELECT 1 FROM audit_sessions WHERE open = 1) BEGIN
	INSERT INTO audit(session_id, entity, entity_id, device_id, op, after)
	VALUES ((SELECT id FROM audit_sessions WHERE open = 1 ORDER BY id DESC LIMIT 1),
	    NEW.entity, NEW.entity_id, NEW.entity_id, 'request',
	    json_object('hint', NEW.hint));
END;
