/*
 * test_store: the store through store.h, on a real SQLite file, or on a
 * real PostgreSQL database when SIPCFG_TEST_STORE names a server
 * (teststore.h; tests/pg/store.sh).  Checks the schema version and
 * connection settings, constraints (bad input first), template
 * specificity, layered variables (secret ones too), one-time passwords
 * and rotation, the change log triggers, rollback, and that bookkeeping
 * never touches a device's `updated`.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"
#include "tap.h"
#include "teststore.h"

#define scalar(sql)	teststore_scalar(sql)

static const char md5[] = "0123456789abcdef0123456789abcdef";
static const char sha[] =
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
static const char md5b[] = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
static const char shab[] =
    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
static const char md5c[] = "cccccccccccccccccccccccccccccccc";
static const char shac[] =
    "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";

/* A stand-in for seal_open(): "open:X" opens to the JSON text X. */
static json_t *
unseal(void *arg, const char *sealed)
{
	(*(int *)arg)++;
	if (strncmp(sealed, "open:", 5) != 0)
		return NULL;
	return json_loads(sealed + 5, JSON_DECODE_ANY, NULL);
}

/*
 * Commits a change-log row on a connection of its own, then waits up to
 * 5 s for st to hear it: what store_listen_take() returned.
 */
static int
heard(struct store *st, const char *path)
{
	struct store	*w;
	struct pollfd	 pfd;
	char		 err[256];
	int		 i, n = 0;

	if ((w = store_open(path, 0, 1000, err, sizeof(err))) == NULL ||
	    store_notify_request(w, -1) != STORE_OK) {
		fprintf(stderr, "# %s\n", w ? store_errmsg(w) : err);
		store_close(w);
		return -1;
	}
	store_close(w);
	for (i = 0; i < 50 && n == 0; i++) {
		pfd.fd = store_listen_fd(st);
		pfd.events = POLLIN;
		if (pfd.fd >= 0)
			(void)poll(&pfd, 1, 100);
		n = store_listen_take(st);
	}
	return n;
}

int
main(void)
{
	struct store		*st;
	struct store_device	 d;
	struct store_user	 u;
	struct store_template	 t;
	json_t			*f, *v, *lines;
	char			 err[512], dir[] = "/tmp/sipcfg-test-XXXXXX";
	time_t			 upd = 0;
	long long		 before;
	struct store_seen	 s;
	const char		*path;

	/* Store names: a URI is PostgreSQL, its password never logged. */
	{
		char	 safe[128];

		ok(store_is_pg("postgresql://h/db") &&
		    store_is_pg("postgres:///db?host=/tmp") &&
		    !store_is_pg("postgresql:db") && !store_is_pg("/x/y.db") &&
		    !store_is_pg("./postgresql://x"), "a URI is PostgreSQL, "
		    "anything else a SQLite path");
		store_name_safe("postgresql://u:secret@h/db", safe,
		    sizeof(safe));
		ok(strcmp(safe, "postgresql://u:***@h/db") == 0,
		    "a URI's password is hidden: %s", safe);
		store_name_safe("postgres:///db?host=/tmp&password=x&user=u",
		    safe, sizeof(safe));
		ok(strcmp(safe, "postgres:///db?host=/tmp&password=***&user=u")
		    == 0, "a password parameter too: %s", safe);
		store_name_safe("postgresql://h:5432/db", safe, sizeof(safe));
		ok(strcmp(safe, "postgresql://h:5432/db") == 0,
		    "a port is no password: %s", safe);
	}

	if (mkdtemp(dir) == NULL ||
	    (path = teststore_make(dir, "store.db")) == NULL)
		return 99;

	/* Bad input first. */
	ok(store_open(path, 0, 100, err, sizeof(err)) == NULL &&
	    strstr(err, "sipcfg init"), "missing store without create: %s", err);
	st = store_open(path, STORE_CREATE, 100, err, sizeof(err));
	ok(st != NULL, "create store");
	if (st == NULL)
		return tap_done();
	ok(store_schema_version(st) == STORE_SCHEMA_VERSION, "user_version %d",
	    store_schema_version(st));
	if (teststore_pg())
		ok(1, "WAL mode # SKIP a SQLite setting");
	else {
		sqlite3 *db; sqlite3_stmt *p; int wal = 0;
		sqlite3_open(path, &db);
		sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &p, NULL);
		if (sqlite3_step(p) == SQLITE_ROW)
			wal = strcmp((const char *)sqlite3_column_text(p, 0),
			    "wal") == 0;
		sqlite3_finalize(p);
		sqlite3_close(db);
		ok(wal, "WAL mode");
	}
	ok(store_user_add(st, "alice", "r", "short", sha) == STORE_INVALID,
	    "bad HA1 length refused");
	ok(store_user_add(st, "alice", "r", md5, sha) == STORE_OK, "user add");
	ok(store_user_add(st, "alice", "r", md5, sha) == STORE_EXISTS,
	    "duplicate user refused");
	f = json_pack("{s:s, s:s}", "sfua_id", "urn:ex:1", "state", "bogus");
	ok(store_device_add(st, f) == STORE_INVALID, "bad state refused");
	json_decref(f);
	f = json_pack("{s:s, s:s}", "sfua_id", "urn:ex:1", "mac", "XYZ");
	ok(store_device_add(st, f) == STORE_INVALID, "bad mac refused");
	json_decref(f);
	f = json_pack("{s:s, s:s}", "sfua_id", "urn:ex:1", "user", "nobody");
	ok(store_device_add(st, f) == STORE_INVALID && strstr(store_errmsg(st), "no such user"), "unknown user refused: %s", store_errmsg(st));
	json_decref(f);

	/* Rollback leaves nothing. */
	ok(store_begin(st) == 0, "begin");
	f = json_pack("{s:s}", "sfua_id", "urn:ex:rolled-back");
	ok(store_device_add(st, f) == STORE_OK, "add inside transaction");
	json_decref(f);
	store_rollback(st);
	ok(store_device_by_sfua(st, 0, "urn:ex:rolled-back", &d) == STORE_NOTFOUND,
	    "rolled back");

	f = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "sfua_id",
	    "urn:uuid:00000000-0000-1000-8000-001122334455", "mac",
	    "001122334455", "vendor", "examplecorp.com", "model", "HypoComm",
	    "user", "alice", "profile", "office");
	ok(store_device_add(st, f) == STORE_OK, "device add");
	ok(store_device_add(st, f) == STORE_EXISTS, "duplicate sfua-id");
	json_decref(f);
	ok(store_device_by_mac(st, 0, "001122334455", &d) == STORE_OK &&
	    strcmp(d.user, "alice") == 0 && strcmp(d.profile, "office") == 0 &&
	    d.state == DEVICE_ACTIVE && d.max_age == -1,
	    "find by MAC, joined user and profile");
	ok(store_user_by_name(st, "alice", &u) == STORE_OK && u.id == d.user_id,
	    "user lookup");
	ok(u.otp == 0 && u.password_sealed[0] == '\0' &&
	    u.old_ha1_md5[0] == '\0' && u.old_until == 0 && u.updated > 0,
	    "a new user: no one-time, sealed or old password");

	/* RFC 6011 §5 rotation: bad input first. */
	ok(store_user_passwd(st, "nobody", md5b, shab, NULL, 0) ==
	    STORE_NOTFOUND, "passwd of an unknown user: NOTFOUND");
	ok(store_user_passwd(st, "alice", "short", shab, NULL, 0) ==
	    STORE_INVALID, "passwd with a bad HA1 refused");
	ok(store_user_passwd(st, "alice", md5b, shab, "s1:x", 1000) ==
	    STORE_OK && store_user_by_name(st, "alice", &u) == STORE_OK &&
	    strcmp(u.ha1_md5, md5b) == 0 && strcmp(u.old_ha1_md5, md5) == 0 &&
	    strcmp(u.old_ha1_sha256, sha) == 0 && u.old_until == 1000 &&
	    strcmp(u.password_sealed, "s1:x") == 0,
	    "passwd with an overlap: the old HA1s are kept until then");
	ok(store_user_passwd(st, "alice", md5, sha, NULL, 0) == STORE_OK &&
	    store_user_by_name(st, "alice", &u) == STORE_OK &&
	    strcmp(u.ha1_md5, md5) == 0 && u.old_ha1_md5[0] == '\0' &&
	    u.old_until == 0 && u.password_sealed[0] == '\0',
	    "passwd without one: the old HA1s go at once");

	/* One-time passwords. */
	ok(store_user_set_otp(st, "nobody", md5b, shab, 0, 0) ==
	    STORE_NOTFOUND, "one-time password for an unknown user: NOTFOUND");
	store_user_passwd(st, "alice", md5, sha, "s1:y", 5000);
	ok(store_user_set_otp(st, "alice", md5b, shab, 100, 200) == STORE_OK &&
	    store_user_by_name(st, "alice", &u) == STORE_OK && u.otp == 1 &&
	    strcmp(u.ha1_md5, md5b) == 0 && u.otp_not_before == 100 &&
	    u.otp_not_after == 200 && u.password_sealed[0] == '\0' &&
	    u.old_ha1_md5[0] == '\0' && u.old_until == 0,
	    "one-time password: window kept; sealed and old passwords gone");
	ok(store_user_otp_consume(st, u.id, md5b, md5c, shac, "s1:z", 99) ==
	    STORE_NOTFOUND, "used before its window: NOTFOUND");
	ok(store_user_otp_consume(st, u.id, md5b, md5c, shac, "s1:z", 201) ==
	    STORE_NOTFOUND, "used after its window: NOTFOUND");
	ok(store_user_otp_consume(st, u.id, md5, md5c, shac, "s1:z", 150) ==
	    STORE_NOTFOUND, "another HA1 (a replaced one): NOTFOUND");
	ok(store_user_otp_consume(st, u.id, md5b, md5c, shac, "s1:z", 150) ==
	    STORE_OK && store_user_by_name(st, "alice", &u) == STORE_OK &&
	    u.otp == 0 && strcmp(u.ha1_md5, md5c) == 0 &&
	    strcmp(u.ha1_sha256, shac) == 0 &&
	    strcmp(u.password_sealed, "s1:z") == 0 && u.otp_not_after == 0,
	    "first use: replaced by the long-term password");
	ok(store_user_otp_consume(st, u.id, md5b, md5, sha, "s1:w", 150) ==
	    STORE_NOTFOUND && store_user_by_name(st, "alice", &u) == STORE_OK &&
	    strcmp(u.ha1_md5, md5c) == 0, "second use: NOTFOUND, unchanged");
	store_user_set_otp(st, "alice", md5b, shab, 0, 0);
	ok(store_user_by_name(st, "alice", &u) == STORE_OK && u.otp == 1 &&
	    u.otp_not_before == 0 && u.otp_not_after == 0 &&
	    store_user_otp_consume(st, u.id, md5b, md5c, shac, "s1:z",
	    (time_t)1 << 40) == STORE_OK, "an open window: any time");
	store_user_set_otp(st, "alice", md5b, shab, 0, 0);
	ok(store_user_passwd(st, "alice", md5, sha, NULL, 9999) == STORE_OK &&
	    store_user_by_name(st, "alice", &u) == STORE_OK && u.otp == 0 &&
	    u.old_ha1_md5[0] == '\0' && u.old_until == 0,
	    "passwd over a one-time password never keeps it as the old one");
	ok(store_device_by_sfua(st, 0, "urn:ex:none", &d) == STORE_NOTFOUND,
	    "unknown device is NOTFOUND");
	store_device_by_mac(st, 0, "001122334455", &d);

	f = json_pack("{s:s, s:s, s:s, s:s}", "aor", "sip:a@example.net",
	    "realm", "example.net", "username", "a", "ha1", md5);
	ok(store_line_add(st, d.id, f) == STORE_OK, "line 1");
	ok(store_line_add(st, d.id, f) == STORE_OK, "line 2 (next position)");
	json_decref(f);
	ok(store_device_lines(st, d.id, &lines, &upd) == STORE_OK &&
	    json_array_size(lines) == 2 && upd > 0, "two lines");
	ok(json_integer_value(json_object_get(json_array_get(lines, 1),
	    "position")) == 2, "positions 1, 2");
	json_decref(lines);

	/* Template specificity: vendor+model beats vendor beats generic. */
	store_template_put(st, "generic", NULL, NULL, NULL, "text/plain", "g", 1);
	store_template_put(st, "ex", "examplecorp.com", NULL, NULL,
	    "text/plain", "v", 1);
	store_template_put(st, "exh", "examplecorp.com", "HypoComm", NULL,
	    "text/plain", "vm", 2);
	store_template_put(st, "exh3", "examplecorp.com", "HypoComm", "3.0",
	    "text/plain", "vmr", 3);
	ok(store_template_select(st, "examplecorp.com", "HypoComm", "2.1", &t)
	    == STORE_OK && strcmp(t.name, "exh") == 0, "vendor+model wins: %s",
	    t.name);
	store_template_clear(&t);
	ok(store_template_select(st, "examplecorp.com", "HypoComm", "3.0", &t)
	    == STORE_OK && strcmp(t.name, "exh3") == 0, "revision wins");
	store_template_clear(&t);
	ok(store_template_select(st, "examplecorp.com", "Other", "", &t)
	    == STORE_OK && strcmp(t.name, "ex") == 0, "vendor only");
	store_template_clear(&t);
	ok(store_template_select(st, "other.com", "", "", &t) == STORE_OK &&
	    strcmp(t.name, "generic") == 0, "generic fallback");
	store_template_clear(&t);

	/* Layered variables: later layers win, objects merge deeply. */
	ok(store_var_set(st, "global", "", "x", "{not json", 0) ==
	    STORE_INVALID, "invalid JSON refused");
	ok(store_var_set(st, "nonsense", "", "x", "1", 0) == STORE_INVALID,
	    "unknown layer refused");
	store_var_set(st, "global", "", "ntp", "\"pool\"", 0);
	store_var_set(st, "global", "", "obj", "{\"a\":1,\"b\":1}", 0);
	store_var_set(st, "vendor", "examplecorp.com", "ntp", "\"vendor\"", 0);
	store_var_set(st, "device", d.sfua_id, "obj", "{\"b\":2}", 0);
	v = json_object();
	store_vars_merge(st, "global", "", v, &upd, NULL, NULL);
	store_vars_merge(st, "vendor", "examplecorp.com", v, &upd, NULL, NULL);
	store_vars_merge(st, "device", d.sfua_id, v, &upd, NULL, NULL);
	ok(strcmp(json_string_value(json_object_get(v, "ntp")), "vendor") == 0,
	    "vendor overrides global");
	ok(json_integer_value(json_object_get(json_object_get(v, "obj"), "a"))
	    == 1 && json_integer_value(json_object_get(json_object_get(v,
	    "obj"), "b")) == 2, "deep merge");
	json_decref(v);

	/* Secret variables: opened by the caller's function, else "". */
	{
		int	 calls = 0;

		store_var_set(st, "global", "", "key", "\"open:{\\\"k\\\":7}\"",
		    1);
		store_var_set(st, "global", "", "forged", "\"s1:AAAA\"", 1);
		store_var_set(st, "global", "", "num", "42", 1);
		v = json_object();
		store_vars_merge(st, "global", "", v, &upd, NULL, NULL);
		ok(strcmp(json_string_value(json_object_get(v, "key")), "") ==
		    0, "secret, no unseal function: \"\"");
		json_decref(v);
		v = json_object();
		store_vars_merge(st, "global", "", v, &upd, unseal, &calls);
		ok(json_integer_value(json_object_get(json_object_get(v,
		    "key"), "k")) == 7, "secret opened to its JSON type");
		ok(strcmp(json_string_value(json_object_get(v, "forged")),
		    "") == 0, "one that does not open: \"\"");
		ok(strcmp(json_string_value(json_object_get(v, "num")), "") ==
		    0 && calls == 2, "one that is not a string: \"\", "
		    "never handed over");
		ok(strcmp(json_string_value(json_object_get(v, "ntp")),
		    "pool") == 0, "plain variables as they are");
		json_decref(v);
		store_var_set(st, "global", "", "key", "\"plain\"", 0);
		v = json_object();
		store_vars_merge(st, "global", "", v, &upd, NULL, NULL);
		ok(strcmp(json_string_value(json_object_get(v, "key")),
		    "plain") == 0, "set again without --secret: plain");
		json_decref(v);
		ok(store_var_list(st, "global", "", -1, 0, &v) == STORE_OK, "var list");
		{
			size_t	 i;
			json_t	*row;
			int	 masked = 0;

			json_array_foreach(v, i, row)
				if (strcmp(json_string_value(json_object_get(row,
				    "name")), "forged") == 0 &&
				    strcmp(json_string_value(json_object_get(row,
				    "value")), "(secret)") == 0)
					masked = 1;
			ok(masked, "a secret is listed as (secret)");
		}
		json_decref(v);
		store_var_unset(st, "global", "", "key");
		store_var_unset(st, "global", "", "forged");
		store_var_unset(st, "global", "", "num");
	}

	/* Change log and bookkeeping. */
	before = scalar("SELECT count(*) FROM changes");
	ok(before > 5, "change log filled by triggers (%lld rows)", before);
	before = scalar("SELECT updated FROM devices WHERE mac='001122334455'");
	memset(&s, 0, sizeof(s));
	s.device_id = d.id;
	s.when = 1;
	snprintf(s.etag, sizeof(s.etag), "\"x\"");
	snprintf(s.revision, sizeof(s.revision), "2.1");
	ok(store_seen_write(st, &s, 1) == 0 && store_seen_write(st, &s, 1) == 0,
	    "bookkeeping written");
	ok(scalar("SELECT fetches FROM device_seen") == 2, "fetches counted");
	{
		/*
		 * One batch, two fetches: the phone's own, whose User-Agent
		 * names its model, then one by curl, which names none: the
		 * last User-Agent is curl's, the model stays the phone's.
		 */
		struct store_seen	 two[2];

		two[0] = two[1] = s;
		snprintf(two[0].ua, sizeof(two[0].ua), "Yealink SIP-T46S "
		    "66.86.0.15 00:15:65:aa:bb:01");
		snprintf(two[0].ua_vendor, sizeof(two[0].ua_vendor),
		    "yealink.com");
		snprintf(two[0].ua_model, sizeof(two[0].ua_model), "T46S");
		snprintf(two[0].ua_firmware, sizeof(two[0].ua_firmware),
		    "66.86.0.15");
		snprintf(two[1].ua, sizeof(two[1].ua), "curl/8");
		ok(store_seen_write(st, two, 2) == 0 && scalar("SELECT count(*) "
		    "FROM device_seen WHERE last_ua = 'curl/8' AND ua_model = "
		    "'T46S' AND ua_firmware = '66.86.0.15' AND fetches = 4") == 1,
		    "a batch keeps the model an earlier fetch named");
	}
	/* The first fetch reports a revision: that one is (migrate-8.sql). */
	ok(scalar("SELECT count(*) FROM changes WHERE entity = 'device_seen'")
	    == 1 && scalar("SELECT updated FROM devices WHERE "
	    "mac='001122334455'") == before, "bookkeeping is not a change, "
	    "but for a new revision");
	ok(store_device_remove(st, d.id) == STORE_OK &&
	    scalar("SELECT count(*) FROM lines") == 0, "lines cascade");
	ok(store_device_remove(st, d.id) == STORE_NOTFOUND, "second rm");
	ok(store_last_delete(st) > 0, "deletion stamped");

	/* Domains (RFC 6011 §2.4.1): one sfua-id in two, pins. */
	{
		int64_t			 dom = 0;
		struct store_device	 d1, d2;
		enum store_pin_result	 pr;
		static const char	 urn[] = "urn:ex:two-domains";
		static const char	 pa[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
		static const char	 pb[] = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
		    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

		ok(store_domain_id(st, "nosuch.example", &dom) ==
		    STORE_NOTFOUND, "unknown domain");
		f = json_object();
		ok(store_domain_add(st, "b.example", f, &dom) == STORE_OK &&
		    dom > 1, "domain added");
		ok(store_domain_add(st, "B.EXAMPLE", f, &dom) == STORE_EXISTS,
		    "domain names are unique, any case");
		json_decref(f);
		ok(store_domain_id(st, "b.example", &dom) == STORE_OK, "by name");
		f = json_pack("{s:s}", "cert_file", "/x.pem");
		ok(store_domain_update(st, dom, f) == STORE_INVALID,
		    "a certificate without its key is refused");
		json_decref(f);
		f = json_pack("{s:s}", "sfua_id", urn);
		ok(store_device_add(st, f) == STORE_OK, "device in default");
		json_object_set_new(f, "domain_id", json_integer(dom));
		ok(store_device_add(st, f) == STORE_OK, "same sfua-id in b");
		ok(store_device_add(st, f) == STORE_EXISTS,
		    "but not twice in b");
		json_decref(f);
		ok(store_device_by_sfua(st, 0, urn, &d1) == STORE_AMBIGUOUS &&
		    strstr(store_errmsg(st), "several domains"),
		    "ambiguous in any domain: %s", store_errmsg(st));
		ok(store_device_by_sfua(st, 1, urn, &d1) == STORE_OK &&
		    d1.domain_id == 1, "found in default");
		ok(store_device_by_sfua(st, dom, urn, &d2) == STORE_OK &&
		    d2.domain_id == dom && d2.id != d1.id, "found in b");
		ok(store_device_duplicates(st, &v) == STORE_OK &&
		    json_array_size(v) == 2, "duplicates listed");
		json_decref(v);
		ok(store_domain_remove(st, "b.example") != STORE_OK &&
		    store_device_by_sfua(st, dom, urn, &d2) == STORE_OK,
		    "a domain with devices stays");
		ok(store_device_pin(st, d1.id, pa, "CN=a", "::1", 0, &pr) ==
		    STORE_OK && pr == PIN_NONE, "no pin yet");
		ok(store_device_pin(st, d1.id, pa, "CN=a", "::1", 1, &pr) ==
		    STORE_OK && pr == PIN_NEW, "pinned");
		ok(store_device_pin(st, d1.id, pa, "CN=a", "::1", 1, &pr) ==
		    STORE_OK && pr == PIN_MATCH, "same certificate matches");
		ok(store_device_pin(st, d1.id, pb, "CN=b", "::1", 1, &pr) ==
		    STORE_OK && pr == PIN_MISMATCH, "another one does not, "
		    "and does not replace the pin");
		ok(store_device_pin(st, d2.id, pb, "CN=b", "::1", 0, &pr) ==
		    STORE_OK && pr == PIN_NONE, "pins are per device");
		ok(store_device_unpin(st, d1.id) == STORE_OK &&
		    store_device_unpin(st, d1.id) == STORE_NOTFOUND, "unpin");
		ok(scalar("SELECT count(*) FROM audit WHERE entity = 'pin'") ==
		    2, "the pin and the unpin audited, not the refusals");
	}
	/*
	 * PostgreSQL pushes commits that write the change log (LISTEN,
	 * issue 13 §2); SQLite has no push.
	 */
	if (teststore_pg()) {
		ok(store_listen(st) == 0 && store_listen_fd(st) >= 0,
		    "LISTEN on the store's connection");
		ok(store_listen_take(st) == 0, "nothing heard before a commit");
		ok(heard(st, path) >= 1, "a commit on another connection "
		    "is heard");
		ok(store_listen_take(st) == 0, "once");
	} else
		ok(store_listen(st) == -1 && strstr(store_errmsg(st),
		    "not supported"), "SQLite has no push: %s",
		    store_errmsg(st));
	/*
	 * PostgreSQL: a connection the server ended (a restart, a network
	 * cut) fails the call that finds it, and the next one connects
	 * again, no reopen needed.
	 */
	if (teststore_pg()) {
		char	 q[128], rv[32];

		snprintf(q, sizeof(q), "SELECT count(pg_terminate_backend(pid)) "
		    "FROM pg_stat_activity WHERE datname = '%s' AND "
		    "pid <> pg_backend_pid()", teststore_db);
		ok(teststore_scalar(q) >= 1, "the store's connection ended by "
		    "the server");
		ok(store_meta_get(st, "realm", rv, sizeof(rv)) == STORE_ERROR,
		    "the next call fails: %s", store_errmsg(st));
		ok(store_meta_get(st, "realm", rv, sizeof(rv)) == STORE_OK &&
		    store_device_by_sfua(st, 1, "urn:ex:two-domains", &d) ==
		    STORE_OK, "the one after connects again (statements "
		    "prepared anew)");
		ok(heard(st, path) >= 1, "and LISTENs again: a commit is "
		    "heard");
	} else
		ok(1, "a connection ended by the server # SKIP PostgreSQL's");
	store_close(st);

	/* A store from a newer program is refused, not damaged. */
	teststore_exec(teststore_pg() ? "UPDATE schema_version SET version = 99"
	    : "PRAGMA user_version = 99");
	ok(store_open(path, 0, 100, err, sizeof(err)) == NULL &&
	    strstr(err, "newer"), "newer schema refused: %s", err);

	teststore_drop();
	snprintf(err, sizeof(err), "rm -rf %s", dir);
	if (system(err) != 0)
		fprintf(stderr, "cleanup failed\n");
	return tap_done();
}
