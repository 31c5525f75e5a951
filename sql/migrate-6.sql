-- sipcfg store, schema version 5 -> 6: bounded enrolment (issue 16).
--
-- enrolled_from: the client address a device was enrolled from by
-- sipcfgd (unknown_device enroll, see sipcfgd.conf(5)); NULL for the
-- devices an operator made.  It is what enroll_max_per_ip counts, and it
-- marks the pending devices enroll_expire may remove when they are not
-- seen again: a pending device an operator added is never removed.
ALTER TABLE devices ADD COLUMN enrolled_from TEXT
	CHECK (enrolled_from IS NULL OR length(enrolled_from) BETWEEN 1 AND 64);
CREATE INDEX devices_enrolled ON devices(enrolled_from)
	WHERE enrolled_from IS NOT NULL;
