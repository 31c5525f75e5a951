-- sipcfg store, schema version 6 -> 7: indexes for a million devices
-- (issue 11).  Every lookup on the request path, the notifier path and
-- the CLI's single-device commands reads an index, never a whole table;
-- tests/unit/test_plan.c checks every statement of the store with
-- EXPLAIN QUERY PLAN, and that every column referring to another table
-- leads an index.
--
--  * devices_sfua: a device by its sfua-id in any domain (`sipcfg
--    --domain` not given), and the duplicates across domains; the
--    unique (domain_id, sfua_id) index serves one domain only.
--  * devices_profile, users_domain: deleting a profile or a domain finds
--    the rows that refer to it, and `profile list`, `domain list` count
--    them, without reading every device or user.
--  * audit_sessions_open: the audit triggers (migrate-4.sql) look up the
--    open sipcfg session on every audited change.
CREATE INDEX devices_sfua ON devices(sfua_id);
CREATE INDEX devices_profile ON devices(profile_id);
CREATE INDEX users_domain ON users(domain_id);
CREATE INDEX audit_sessions_open ON audit_sessions(open, id);
