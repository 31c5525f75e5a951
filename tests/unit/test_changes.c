/*
 * test_changes: the change log as its readers see it (store.h,
 * store_changes_since()), on a real store file, or on a real PostgreSQL
 * database when SIPCFG_TEST_STORE names a server (teststore.h).  Every kind of write that
 * changes an answer or a device's look-up record leaves change records of
 * the kind, id, layer and scope touch.c reads (sql/migrate-8.sql); the
 * bookkeeping writer leaves none; an import leaves one record per thing
 * it touched, or one 'all' past STORE_BULK_CHANGES_MAX, and one audit row.
 * Malformed hints first: they parse to CHG_UNKNOWN, the hint kept.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


#include "bulk.h"
#include "store.h"
#include "tap.h"
#include "teststore.h"

static struct store	*st;
static int64_t		 head;		/* the last change read */

#define BATCH	64

#define scalar(sql)	teststore_scalar(sql)

/*
 * PostgreSQL: a second writer of the change log waits for the first to
 * commit and gets the greater seq (sql/pg/schema.sql, changes_order), so
 * seqs are seen in order.  1 when so.
 */
static int
pg_changes_ordered(void)
{
	PGconn		*a = PQconnectdb(teststore_name);
	PGconn		*b = PQconnectdb(teststore_name);
	PGresult	*r;
	long long	 sa = -1, sb = -1;
	int		 waited = 0, i;
	static const char ins[] = "INSERT INTO changes(entity, op, hint) "
	    "VALUES ('test', 'update', 'all') RETURNING seq";

	PQclear(PQexec(a, "BEGIN"));
	if ((r = PQexec(a, ins)) != NULL && PQntuples(r) == 1)
		sa = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	PQclear(PQexec(b, "BEGIN"));
	if (PQsendQuery(b, ins) == 1) {
		/* b is held by a's lock for as long as a is open. */
		for (i = 0; i < 5; i++) {
			usleep(20000);
			PQconsumeInput(b);
		}
		waited = PQisBusy(b);
		PQclear(PQexec(a, "COMMIT"));
		while ((r = PQgetResult(b)) != NULL) {
			if (PQresultStatus(r) == PGRES_TUPLES_OK)
				sb = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
			PQclear(r);
		}
	}
	PQclear(PQexec(b, "COMMIT"));
	PQfinish(a);
	PQfinish(b);
	printf("# seq %lld, then %lld (waited: %d)\n", sa, sb, waited);
	return sa > 0 && sb > sa && waited;
}

/* The changes written since the last call (at most BATCH); -1 on error. */
static int
changes(struct store_change *c)
{
	size_t	 n;

	if (store_changes_since(st, head, c, BATCH, &n) != STORE_OK)
		return -1;
	if (n > 0)
		head = c[n - 1].seq;
	return (int)n;
}

/*
 * The writes since the last call left at least one change, and each is
 * of kind with id (layer and scope for CHG_VAR).
 */
static int
all_are(enum store_change_kind kind, int64_t id, enum store_var_layer layer,
    const char *scope)
{
	struct store_change	 c[BATCH];
	int			 i, n = changes(c);

	if (n <= 0) {
		printf("# no change (%d)\n", n);
		return 0;
	}
	for (i = 0; i < n; i++)
		if (c[i].kind != kind || c[i].id != id || (kind == CHG_VAR &&
		    (c[i].layer != layer || strcmp(c[i].scope, scope) != 0))) {
			printf("# change %lld: \"%s\" kind %d id %lld\n",
			    (long long)c[i].seq, c[i].hint, c[i].kind,
			    (long long)c[i].id);
			return 0;
		}
	return 1;
}

#define only(kind, id)	all_are((kind), (id), VAR_GLOBAL, "")

static int
parses_unknown(const char *h)
{
	struct store_change	 c;

	memset(&c, 0x55, sizeof(c));
	store_change_parse(h, &c);
	return c.kind == CHG_UNKNOWN && c.id == 0 && strcmp(c.hint, h) == 0;
}

static int
parses(const char *h, enum store_change_kind kind, int64_t id,
    enum store_var_layer layer, const char *scope)
{
	struct store_change	 c;

	memset(&c, 0x55, sizeof(c));
	store_change_parse(h, &c);
	return c.kind == kind && c.id == id && c.layer == layer &&
	    strcmp(c.scope, scope) == 0 && strcmp(c.hint, h) == 0;
}

/* Import the CSV text in (0: it succeeded), its summary line hidden. */
static int
import(const char *in, int dry_run, int replace)
{
	struct bulk_opts o;
	FILE		*f;
	int		 rc, out;

	memset(&o, 0, sizeof(o));
	o.format = BULK_CSV;
	o.dry_run = dry_run;
	o.replace = replace;
	if ((f = fmemopen((void *)in, strlen(in), "r")) == NULL)
		return -1;
	fflush(stdout);
	out = dup(1);
	if (freopen("/dev/null", "w", stdout) == NULL)
		return -1;
	rc = store_begin(st) == 0 ? bulk_import(st, f, "test.csv", &o) : -1;
	fflush(stdout);
	dup2(out, 1);
	close(out);
	fclose(f);
	if (rc == 0 && !dry_run)
		rc = store_commit(st);
	else
		store_rollback(st);
	return rc;
}

/* A CSV of n devices with MACs from 02:00:00:00:00:00 on; malloc'd. */
static char *
devices_csv(int n)
{
	char	*s, *p;
	size_t	 len = 32 + (size_t)n * 18;
	int	 i;

	if ((p = s = malloc(len)) == NULL)
		return NULL;
	p += snprintf(p, len, "device\n");
	for (i = 0; i < n; i++)
		p += snprintf(p, len - (size_t)(p - s),
		    "02:00:00:%02x:%02x:%02x\n", (i >> 16) & 0xff,
		    (i >> 8) & 0xff, i & 0xff);
	return s;
}

int
main(void)
{
	static const char *const bad[] = { "device:", "device:12x",
	    "device:-1", "device:0", "device: 1", "device:99999999999999999999",
	    "var:nolayer:x", "var:", "var:globals:", "bogus", "", "all ",
	    "notify:", "pin:x", "domain:1.5", "checksync-now:" };
	static const char md5[] = "0123456789abcdef0123456789abcdef";
	static const char sha[] = "0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef";
	static const char pin[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	static const char urn[] =
	    "urn:uuid:00000000-0000-1000-8000-001122334455";
	static const struct {
		const char		*name, *scope;
		enum store_var_layer	 layer;
	} layers[] = {
		{ "global", "", VAR_GLOBAL },
		{ "vendor", "examplecorp.com", VAR_VENDOR },
		{ "model", "examplecorp.com/HypoComm", VAR_MODEL },
		{ "profile", "desk", VAR_PROFILE },
		{ "user", "alice", VAR_USER },
		{ "device", urn, VAR_DEVICE }
	};
	struct store_change	 c[BATCH];
	struct store_device	 d;
	struct store_user	 u;
	struct store_seen	 seen;
	enum store_pin_result	 pr;
	json_t			*f;
	char			 err[512], dir[] = "/tmp/sipcfg-changes-XXXXXX";
	char			*csv;
	const char		*path;
	int64_t			 dev, uid, pid, tid, did, ids[3];
	long long		 audit;
	size_t			 i;
	int			 n, k;

	/* Bad input first: malformed hints are unknown, kept as written. */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(parses_unknown(bad[i]), "\"%s\" is CHG_UNKNOWN, the hint "
		    "kept", bad[i]);
	ok(parses("device:12", CHG_DEVICE, 12, VAR_GLOBAL, "") &&
	    parses("user:3", CHG_USER, 3, VAR_GLOBAL, "") &&
	    parses("profile:4", CHG_PROFILE, 4, VAR_GLOBAL, "") &&
	    parses("template:5", CHG_TEMPLATE, 5, VAR_GLOBAL, "") &&
	    parses("domain:6", CHG_DOMAIN, 6, VAR_GLOBAL, "") &&
	    parses("pin:7", CHG_PIN, 7, VAR_GLOBAL, "") &&
	    parses("notify:8", CHG_NOTIFY, 8, VAR_GLOBAL, "") &&
	    parses("notify:*", CHG_NOTIFY_ALL, 0, VAR_GLOBAL, "") &&
	    parses("checksync", CHG_CHECKSYNC, 0, VAR_GLOBAL, "") &&
	    parses("checksync-now:9", CHG_CHECKSYNC_NOW, 9, VAR_GLOBAL, "") &&
	    parses("checksync-reboot:10", CHG_CHECKSYNC_REBOOT, 10,
	    VAR_GLOBAL, "") &&
	    parses("all", CHG_ALL, 0, VAR_GLOBAL, ""),
	    "every kind with an id or none parses");
	ok(parses("var:global:", CHG_VAR, 0, VAR_GLOBAL, "") &&
	    parses("var:vendor:examplecorp.com", CHG_VAR, 0, VAR_VENDOR,
	    "examplecorp.com") &&
	    parses("var:model:examplecorp.com/HypoComm", CHG_VAR, 0,
	    VAR_MODEL, "examplecorp.com/HypoComm") &&
	    parses("var:device:urn:x:1", CHG_VAR, 0, VAR_DEVICE, "urn:x:1"),
	    "variables parse to their layer and scope (a scope may hold ':')");

	if (mkdtemp(dir) == NULL ||
	    (path = teststore_make(dir, "store.db")) == NULL)
		return 99;
	st = store_open(path, STORE_CREATE, 1000, err, sizeof(err));
	ok(st != NULL, "store made (%s)", st ? "ok" : err);
	if (st == NULL)
		return tap_done();
	ok((n = changes(c)) >= 0, "the change log of a new store reads (%d)",
	    n);
	if (teststore_pg()) {
		ok(pg_changes_ordered(), "PostgreSQL: a second writer of the "
		    "change log waits for the first, its seq after");
		(void)changes(c);
	} else
		ok(1, "writers of the change log in order # SKIP SQLite has "
		    "one writer");

	/* Devices and their lines. */
	f = json_pack("{s:s, s:s, s:s, s:s}", "sfua_id", urn, "mac",
	    "001122334455", "vendor", "examplecorp.com", "model", "HypoComm");
	ok(store_device_add(st, f) == STORE_OK &&
	    store_device_by_sfua(st, 1, urn, &d) == STORE_OK,
	    "device add");
	json_decref(f);
	dev = d.id;
	ok(only(CHG_DEVICE, dev), "device add: device:%lld", (long long)dev);
	f = json_pack("{s:s}", "label", "front desk");
	ok(store_device_update(st, dev, f) == STORE_OK &&
	    only(CHG_DEVICE, dev), "device set: device:<id>");
	json_decref(f);
	f = json_pack("{s:i, s:s, s:s, s:s, s:s}", "position", 1, "aor",
	    "sip:alice@example.net", "realm", "example.net", "username",
	    "alice", "ha1", md5);
	ok(store_line_add(st, dev, f) == STORE_OK && only(CHG_DEVICE, dev),
	    "line add: device:<id>");
	json_decref(f);
	ok(store_line_remove(st, dev, 1) == STORE_OK && only(CHG_DEVICE, dev),
	    "line rm: device:<id>");

	/* Users. */
	ok(store_user_add(st, "alice", "r", md5, sha) == STORE_OK &&
	    store_user_by_name(st, "alice", &u) == STORE_OK, "user add");
	uid = u.id;
	ok(only(CHG_USER, uid), "user add: user:%lld", (long long)uid);
	ok(store_user_passwd(st, "alice", md5, sha, NULL, 0) == STORE_OK &&
	    only(CHG_USER, uid), "user password: user:<id>");
	f = json_pack("{s:s}", "user", "alice");
	ok(store_device_update(st, dev, f) == STORE_OK &&
	    only(CHG_DEVICE, dev), "device set --user: device:<id>");
	json_decref(f);

	/* Profiles and templates. */
	ok(store_profile_ensure(st, "desk", &pid) == STORE_OK &&
	    only(CHG_PROFILE, pid), "profile made: profile:%lld",
	    (long long)pid);
	ok(store_profile_set_max_age(st, "desk", 600) == STORE_OK &&
	    only(CHG_PROFILE, pid), "profile max-age: profile:<id>");
	ok(store_template_put(st, "t1", NULL, NULL, NULL, "text/plain", "x",
	    1) == STORE_OK, "template add");
	tid = scalar("SELECT id FROM templates WHERE name = 't1'");
	ok(only(CHG_TEMPLATE, tid), "template add: template:%lld",
	    (long long)tid);
	ok(store_template_put(st, "t1", NULL, NULL, NULL, "text/plain", "y",
	    1) == STORE_OK && only(CHG_TEMPLATE, tid),
	    "template replaced: template:<id>");
	ok(store_template_remove(st, "t1") == STORE_OK &&
	    only(CHG_TEMPLATE, tid), "template rm: template:<id>");

	/* Variables, each layer. */
	for (i = 0; i < sizeof(layers) / sizeof(layers[0]); i++) {
		ok(store_var_set(st, layers[i].name, layers[i].scope, "n",
		    "1", 0) == STORE_OK && all_are(CHG_VAR, 0, layers[i].layer,
		    layers[i].scope), "var set %s: var:%s:%s", layers[i].name,
		    layers[i].name, layers[i].scope);
		ok(store_var_set(st, layers[i].name, layers[i].scope, "n",
		    "2", 0) == STORE_OK && all_are(CHG_VAR, 0, layers[i].layer,
		    layers[i].scope), "var changed %s", layers[i].name);
		ok(store_var_unset(st, layers[i].name, layers[i].scope, "n") ==
		    STORE_OK && all_are(CHG_VAR, 0, layers[i].layer,
		    layers[i].scope), "var unset %s", layers[i].name);
	}

	/* Domains (RFC 6011 §2.4.1) and pins. */
	f = json_object();
	ok(store_domain_add(st, "b.example", f, &did) == STORE_OK &&
	    only(CHG_DOMAIN, did), "domain add: domain:%lld",
	    (long long)did);
	json_decref(f);
	f = json_pack("{s:s}", "realm", "b-realm");
	ok(store_domain_update(st, did, f) == STORE_OK &&
	    only(CHG_DOMAIN, did), "domain realm: domain:<id>");
	json_decref(f);
	f = json_pack("{s:s}", "client_cert", "required");
	ok(store_domain_update(st, did, f) == STORE_OK &&
	    only(CHG_DOMAIN, did), "domain client_cert: domain:<id>");
	json_decref(f);
	ok(store_domain_remove(st, "b.example") == STORE_OK &&
	    only(CHG_DOMAIN, did), "domain rm: domain:<id>");
	ok(store_device_pin(st, dev, pin, "CN=a", "::1", 0, &pr) == STORE_OK &&
	    pr == PIN_NONE && (n = changes(c)) == 0,
	    "a pin looked at and not made: no change (%d)", n);
	ok(store_device_pin(st, dev, pin, "CN=a", "::1", 1, &pr) == STORE_OK &&
	    pr == PIN_NEW && only(CHG_PIN, dev), "pin made: pin:<device>");
	ok(store_device_pin(st, dev, pin, "CN=a", "::1", 1, &pr) == STORE_OK &&
	    pr == PIN_MATCH && (n = changes(c)) == 0,
	    "pin matched: no change (%d)", n);
	ok(store_device_unpin(st, dev) == STORE_OK && only(CHG_PIN, dev),
	    "unpin: pin:<device>");

	/* What every device is rendered with. */
	ok(store_path_rule_add(st, "x{mac}.cfg", NULL, NULL, 0) == STORE_OK &&
	    only(CHG_ALL, 0), "path rule add: all");
	ok(store_path_rule_remove(st, "x{mac}.cfg") == STORE_OK &&
	    only(CHG_ALL, 0), "path rule rm: all");
	ok(store_meta_set(st, "realm", "other-realm") == STORE_OK &&
	    only(CHG_ALL, 0), "realm: all");
	ok(store_checksync_set(st, "examplecorp.com", "check-sync", NULL,
	    1) == STORE_OK && only(CHG_CHECKSYNC, 0),
	    "check-sync vendor added: checksync");
	ok(store_checksync_set(st, "examplecorp.com", NULL, NULL, 0) ==
	    STORE_OK && only(CHG_CHECKSYNC, 0),
	    "check-sync vendor changed: checksync");

	/* Requests. */
	ok(store_notify_request(st, dev) == STORE_OK && only(CHG_NOTIFY, dev),
	    "notify one: notify:<id>");
	ok(store_notify_request(st, -1) == STORE_OK &&
	    only(CHG_NOTIFY_ALL, 0), "notify all: notify:*");
	ok(store_checksync_request(st, dev, 0) == STORE_OK &&
	    only(CHG_CHECKSYNC_NOW, dev), "check-sync now");
	ok(store_checksync_request(st, dev, 1) == STORE_OK &&
	    only(CHG_CHECKSYNC_REBOOT, dev), "check-sync reboot");

	/* Bookkeeping is not a change. */
	memset(&seen, 0, sizeof(seen));
	seen.device_id = dev;
	seen.when = 1000;
	snprintf(seen.etag, sizeof(seen.etag), "\"e1\"");
	snprintf(seen.addr, sizeof(seen.addr), "192.0.2.1");
	snprintf(seen.ua, sizeof(seen.ua), "HypoComm/1.0");
	ok(store_seen_write(st, &seen, 1) == 0 &&
	    store_seen_write(st, &seen, 1) == 0, "fetches recorded");
	/* The same answer twice: counted, one history row. */
	ok(scalar("SELECT fetches FROM device_seen") == 2 &&
	    scalar("SELECT count(*) FROM fetches") == 1 &&
	    (n = changes(c)) == 0, "device_seen and fetches written, no "
	    "change (%d)", n);
	{
		struct store_seen	 b[4];

		/* One batch, with a removed device between: a new ETag, then a
		 * new address. */
		b[0] = b[1] = b[2] = b[3] = seen;
		b[1].device_id = dev + 1000;	/* not a device */
		snprintf(b[2].etag, sizeof(b[2].etag), "\"e2\"");
		b[2].when = 1001;
		b[3] = b[2];
		snprintf(b[3].addr, sizeof(b[3].addr), "192.0.2.2");
		b[3].when = 1002;
		ok(store_seen_write(st, b, 4) == 0 &&
		    scalar("SELECT fetches FROM device_seen") == 5 &&
		    scalar("SELECT last_fetch FROM device_seen") == 1002 &&
		    scalar("SELECT count(*) FROM device_seen") == 1 &&
		    scalar("SELECT count(*) FROM fetches") == 3 &&
		    scalar("SELECT count(*) FROM fetches WHERE etag = "
		    "'\"e2\"' AND ts >= 1001") == 2 &&
		    (n = changes(c)) == 0,
		    "a batch: counted per device, history rows for the new "
		    "ETag and the new address, nothing for a removed device, "
		    "no change (%d)", n);
	}
	/* But a new revision chooses templates: it is one, once. */
	snprintf(seen.revision, sizeof(seen.revision), "2.1");
	ok(store_seen_write(st, &seen, 1) == 0 && only(CHG_DEVICE, dev),
	    "a fetch reporting a new revision: device:<id>");
	ok(store_seen_write(st, &seen, 1) == 0 && (n = changes(c)) == 0,
	    "the same revision again: no change (%d)", n);

	ok(store_device_remove(st, dev) == STORE_OK && only(CHG_DEVICE, dev),
	    "device rm: device:<id>");

	/* An import: one change per device (and user) it touched. */
	audit = scalar("SELECT count(*) FROM audit");
	ok(import("device,user,password\n00:11:22:33:44:01,bob,pw\n"
	    "00:11:22:33:44:02,,\n00:11:22:33:44:03,,\n", 0, 0) == 0,
	    "import of 3 devices");
	for (k = 0; k < 3; k++) {
		char	 s[64];

		snprintf(s, sizeof(s), "urn:uuid:00000000-0000-1000-8000-"
		    "0011223344%02d", k + 1);
		ids[k] = store_device_by_sfua(st, 1, s, &d) == STORE_OK ?
		    d.id : -1;
	}
	ok(store_user_by_name(st, "bob", &u) == STORE_OK, "bob made");
	/* In any order: each device once, the user once, nothing else. */
	n = changes(c);
	k = 0;
	for (i = 0; i < (size_t)(n > 0 ? n : 0); i++) {
		if (c[i].kind == CHG_USER && c[i].id == u.id)
			k |= 8;
		else if (c[i].kind == CHG_DEVICE && c[i].id == ids[0])
			k |= 1;
		else if (c[i].kind == CHG_DEVICE && c[i].id == ids[1])
			k |= 2;
		else if (c[i].kind == CHG_DEVICE && c[i].id == ids[2])
			k |= 4;
	}
	ok(n == 4 && k == 15, "device:<id> for each of the 3, user:<id> for "
	    "the new user (%d changes)", n);
	ok(scalar("SELECT count(*) FROM audit") == audit + 1 &&
	    scalar(teststore_pg() ? "SELECT count(*) FROM audit WHERE "
	    "entity = 'import' AND (after::json->>'added')::int = 3" :
	    "SELECT count(*) FROM audit WHERE entity = 'import' AND "
	    "json_extract(after, '$.added') = 3") == 1,
	    "one audit row for the import, none per row");
	ok(scalar("SELECT count(*) FROM meta WHERE key = 'bulk'") == 0,
	    "the quiet marker is gone after the commit");
	ok(import("device,user,password\n00:11:22:33:44:01,bob,pw\n"
	    "00:11:22:33:44:02,,\n00:11:22:33:44:03,,\n", 0, 0) == 0 &&
	    (n = changes(c)) == 0, "the same file again: no change (%d)", n);
	ok(import("device\n00:11:22:33:44:01\n00:11:22:33:44:02\n", 0, 1) ==
	    0 && changes(c) == 1 && c[0].kind == CHG_DEVICE &&
	    c[0].id == ids[2], "--replace: device:<id> of the one removed");
	ok(import("device\n00:11:22:33:44:09\n", 1, 0) == 0 &&
	    (n = changes(c)) == 0, "a dry run: no change (%d)", n);

	/* After an import, a single write is logged row by row again. */
	audit = scalar("SELECT count(*) FROM audit");
	f = json_pack("{s:s}", "label", "after");
	ok(store_device_update(st, ids[0], f) == STORE_OK &&
	    only(CHG_DEVICE, ids[0]) && scalar("SELECT count(*) FROM audit") ==
	    audit + 1, "device set after an import: its change and audit "
	    "rows");
	json_decref(f);

	/* Past STORE_BULK_CHANGES_MAX things touched: one 'all'. */
	csv = devices_csv(STORE_BULK_CHANGES_MAX + 1);
	ok(csv && import(csv, 0, 0) == 0, "import of %d devices",
	    STORE_BULK_CHANGES_MAX + 1);
	free(csv);
	n = changes(c);
	ok(n == 1 && c[0].kind == CHG_ALL, "one change, all (%d; \"%s\")", n,
	    n > 0 ? c[0].hint : "");
	ok(scalar("SELECT count(*) FROM devices") ==
	    STORE_BULK_CHANGES_MAX + 1 + 2, "the devices are there");

	store_close(st);
	teststore_drop();
	snprintf(err, sizeof(err), "rm -rf %s", dir);
	if (system(err) != 0)
		fprintf(stderr, "cleanup failed\n");
	return tap_done();
}
