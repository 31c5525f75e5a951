/*
 * test_plan: every statement of the SQLite store uses an index (issue
 * 11).  A store is made through store_open() in a temporary file, so it
 * has the schema and every migration; then EXPLAIN QUERY PLAN runs over
 * each statement the backend lists (store_sqlite.h), and a full scan of
 * a table that grows with the number of devices fails the test, unless
 * the statement is one that lists everything on purpose (allowed[],
 * each with its reason).  The same goes for the foreign keys: deleting
 * a device, a user, a profile or a domain looks up the rows that refer
 * to it, so every referring column leads an index.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store.h"
#include "store_sqlite.h"
#include "tap.h"

/* The tables with one or more rows per device, user or change. */
static const char *const big[] = {
	"devices", "users", "lines", "vars", "monitors", "device_seen",
	"subscriptions", "device_pins", "fetches", "audit", "audit_sessions",
	"changes", NULL
};

/* Statements that read a whole table on purpose, and why. */
static const struct {
	const char	*name;
	const char	*table;
	const char	*why;
} allowed[] = {
	{ "Q_USER_LIST", "users", "`user list` walks the users in name "
	    "order, LIMIT bounded (--after seeks: Q_USER_LIST_AFTER)" },
	{ "Q_VAR_LIST", "vars", "`var list` without a layer lists them all" },
	{ "Q_CS_DEVICES", "devices", "the notifier's set of check-sync "
	    "devices mixes device, profile and vendor settings; read again "
	    "after a change to one of them, LIMIT sub_max" },
	{ "Q_AUDIT_LIST", "audit", "`audit` lists the newest changes, "
	    "LIMIT bounded" },
	{ "Q_USER_REREALM", "users", "`domain set realm` rewrites every "
	    "user of the old realm" },
	{ "Q_SUB_LIST", "subscriptions", "`subs` without a device walks "
	    "the live subscriptions in key order, LIMIT bounded (--after "
	    "seeks: Q_SUB_LIST_AFTER)" },
	{ "Q_DEV_DUPS", "devices", "`device duplicates` checks every device "
	    "(each by an index)" },
	{ "Q_DEV_LIST", "devices", "`device list` lists every device" },
	{ "device list", "devices", "`device list` streams every device that "
	    "passes its filters, in id order, LIMIT bounded" },
};

/* Whether name may read table whole. */
static int
is_allowed(const char *name, const char *table)
{
	size_t	 i;

	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (strcmp(allowed[i].name, name) == 0 &&
		    strcmp(allowed[i].table, table) == 0)
			return 1;
	return 0;
}

/*
 * The big table a plan's "SCAN x" reads: x is a table name, or an alias
 * that the statement gives one ("devices d", "devices AS d").
 */
static const char *
scanned_table(const char *sql, const char *x)
{
	char	 pat[128];
	size_t	 i, l;
	const char *p;

	for (i = 0; big[i]; i++) {
		if (strcmp(big[i], x) == 0)
			return big[i];
		for (int as = 0; as < 2; as++) {
			snprintf(pat, sizeof(pat), "%s %s%s", big[i],
			    as ? "AS " : "", x);
			l = strlen(pat);
			for (p = sql; (p = strstr(p, pat)) != NULL; p++)
				if ((p == sql || p[-1] == ' ' ||
				    p[-1] == '(') && (p[l] == ' ' ||
				    p[l] == '\0' || p[l] == ',' ||
				    p[l] == ')'))
					return big[i];
		}
	}
	return NULL;
}

/*
 * 0 when the plan of sql reads no big table whole (or only one it is
 * allowed to); otherwise the offending plan lines go to the TAP output.
 */
static int
check_plan(sqlite3 *db, const char *name, const char *sql)
{
	sqlite3_stmt	*p;
	char		*q, x[128];
	const char	*d, *t;
	int		 bad = 0;

	if ((q = sqlite3_mprintf("EXPLAIN QUERY PLAN %s", sql)) == NULL)
		return -1;
	if (sqlite3_prepare_v2(db, q, -1, &p, NULL) != SQLITE_OK) {
		printf("# %s: %s\n", name, sqlite3_errmsg(db));
		sqlite3_free(q);
		return -1;
	}
	sqlite3_free(q);
	while (sqlite3_step(p) == SQLITE_ROW) {
		d = (const char *)sqlite3_column_text(p, 3);
		if (d == NULL || sscanf(d, "SCAN %127s", x) != 1)
			continue;
		if ((t = scanned_table(sql, x)) == NULL ||
		    is_allowed(name, t))
			continue;
		printf("# %s: %s\n#   in: %s\n", name, d, sql);
		bad = 1;
	}
	sqlite3_finalize(p);
	return bad ? -1 : 0;
}

/* The index (or primary key) a column leads, if any. */
static int
leads_index(sqlite3 *db, const char *table, const char *col)
{
	sqlite3_stmt	*p;
	char		*q;
	int		 found = 0;

	q = sqlite3_mprintf("SELECT 1 FROM pragma_index_list(%Q) l, "
	    "pragma_index_info(l.name) i WHERE i.seqno = 0 AND i.name = %Q "
	    "UNION ALL SELECT 1 FROM pragma_table_info(%Q) WHERE pk = 1 "
	    "AND name = %Q", table, col, table, col);
	if (q && sqlite3_prepare_v2(db, q, -1, &p, NULL) == SQLITE_OK) {
		found = sqlite3_step(p) == SQLITE_ROW;
		sqlite3_finalize(p);
	}
	sqlite3_free(q);
	return found;
}

static int
check_foreign_keys(sqlite3 *db)
{
	sqlite3_stmt	*p;
	int		 bad = 0;

	if (sqlite3_prepare_v2(db, "SELECT m.name, f.\"from\", f.\"table\" "
	    "FROM sqlite_master m, pragma_foreign_key_list(m.name) f "
	    "WHERE m.type = 'table' ORDER BY 1, 2", -1, &p, NULL) !=
	    SQLITE_OK)
		return -1;
	while (sqlite3_step(p) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(p, 0);
		const char *c = (const char *)sqlite3_column_text(p, 1);

		if (!leads_index(db, t, c)) {
			printf("# %s.%s refers to %s with no index: a delete "
			    "there reads %s whole\n", t, c,
			    (const char *)sqlite3_column_text(p, 2), t);
			bad = 1;
		}
	}
	sqlite3_finalize(p);
	return bad ? -1 : 0;
}

int
main(void)
{
	char		 path[] = "/tmp/test_plan.XXXXXX", err[256], *sql;
	const char	*name;
	struct store	*st;
	sqlite3		*db;
	size_t		 i, n = 0;
	int		 fd, failed = 0;

	if ((fd = mkstemp(path)) < 0) {
		perror("mkstemp");
		return 1;
	}
	close(fd);
	unlink(path);

	/* Bad input first: the checker itself must see a full scan. */
	ok(sqlite3_open(":memory:", &db) == SQLITE_OK &&
	    sqlite3_exec(db, "CREATE TABLE devices (id INTEGER PRIMARY KEY, "
	    "sfua_id TEXT)", NULL, NULL, NULL) == SQLITE_OK &&
	    check_plan(db, "probe", "SELECT id FROM devices d WHERE "
	    "d.sfua_id = ?1") != 0 &&
	    check_plan(db, "probe", "SELECT id FROM devices WHERE id = ?1")
	    == 0 && check_plan(db, "Q_DEV_LIST", "SELECT id FROM devices")
	    == 0, "the checker finds a full scan (through an alias), and "
	    "takes a rowid lookup and an allowed listing");
	sqlite3_close(db);

	st = store_open(path, STORE_CREATE, 1000, err, sizeof(err));
	ok(st != NULL, "store made through store_open() (%s)",
	    st ? "migrated" : err);
	if (st == NULL)
		return tap_done();
	ok(store_schema_version(st) == STORE_SCHEMA_VERSION,
	    "schema version %d", STORE_SCHEMA_VERSION);
	ok(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) ==
	    SQLITE_OK, "a second connection reads its schema");

	for (i = 0; (sql = store_sqlite_statement(i, &name)) != NULL; i++) {
		if (*sql != '\0' && check_plan(db, name, sql) != 0) {
			ok(0, "%s uses an index", name);
			failed++;
		}
		n++;
		free(sql);
	}
	ok(name == NULL && n > 90, "%zu statements listed by the store", n);
	ok(failed == 0, "every statement uses an index where it reads a "
	    "table that grows with the devices (%d do not)", failed);
	ok(check_foreign_keys(db) == 0, "every column that refers to "
	    "another table leads an index");
	/* The audit triggers look up the open sipcfg session (migrate-4.sql). */
	ok(check_plan(db, "audit triggers", "SELECT id FROM audit_sessions "
	    "WHERE open = 1 ORDER BY id DESC LIMIT 1") == 0,
	    "the audit triggers find the open session by an index");

	sqlite3_close(db);
	store_close(st);
	unlink(path);
	{
		char wal[300];

		snprintf(wal, sizeof(wal), "%s-wal", path);
		unlink(wal);
		snprintf(wal, sizeof(wal), "%s-shm", path);
		unlink(wal);
	}
	return tap_done();
}
