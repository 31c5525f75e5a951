/*
 * teststore.h: the store a unit test runs on (issue 13).  By default a
 * SQLite file in the test's temporary directory; when SIPCFG_TEST_STORE
 * is a PostgreSQL URI (tests/pg/server.sh sets one), a new database of
 * the test's own on that server, dropped at the end.  One test source
 * for both backends: the test asks for its store's name, reads the
 * store's tables with teststore_scalar(), and says where the backends
 * differ with teststore_pg().
 */
#ifndef SIPCFG_TESTSTORE_H
#define SIPCFG_TESTSTORE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "store.h"

static char	 teststore_name[1200];	/* what store_open() is given */
static char	 teststore_server[1024];	/* PostgreSQL: the server */
static char	 teststore_db[64];	/* PostgreSQL: our database */

static inline int
teststore_pg(void)
{
	return teststore_db[0] != '\0';
}

/* A command on the server's first database; 0 or -1 (said on stderr). */
static inline int
teststore_server_exec(const char *sql)
{
	PGconn		*c = PQconnectdb(teststore_server);
	PGresult	*r = NULL;
	int		 rc = -1;

	if (PQstatus(c) == CONNECTION_OK && (r = PQexec(c, sql)) != NULL &&
	    PQresultStatus(r) == PGRES_COMMAND_OK)
		rc = 0;
	else
		fprintf(stderr, "# %s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	return rc;
}

/* The store's name for a test in dir (file: the SQLite file's); NULL. */
static inline const char *
teststore_make(const char *dir, const char *file)
{
	const char	*uri = getenv("SIPCFG_TEST_STORE");
	static int	 n;
	char		 sql[128];

	if (uri == NULL || *uri == '\0' || !store_is_pg(uri)) {
		snprintf(teststore_name, sizeof(teststore_name), "%s/%s", dir,
		    file);
		return teststore_name;
	}
	snprintf(teststore_server, sizeof(teststore_server), "%s", uri);
	snprintf(teststore_db, sizeof(teststore_db), "sipcfg_test_%ld_%d",
	    (long)getpid(), n++);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", teststore_db);
	if (teststore_server_exec(sql) != 0)
		return NULL;
	/* A later dbname parameter wins over the URI's path. */
	snprintf(teststore_name, sizeof(teststore_name), "%s%cdbname=%s", uri,
	    strchr(uri, '?') ? '&' : '?', teststore_db);
	return teststore_name;
}

/* Drop the test's database (PostgreSQL); the caller removes its dir. */
static inline void
teststore_drop(void)
{
	char	 sql[128];

	if (!teststore_pg())
		return;
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)",
	    teststore_db);
	(void)teststore_server_exec(sql);
}

/* The first column of the first row of sql on its own connection; -1. */
static inline long long
teststore_scalar(const char *sql)
{
	long long	 v = -1;

	if (teststore_pg()) {
		PGconn		*c = PQconnectdb(teststore_name);
		PGresult	*r = PQexec(c, sql);

		if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 &&
		    !PQgetisnull(r, 0, 0))
			v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		PQclear(r);
		PQfinish(c);
	} else {
		sqlite3		*db;
		sqlite3_stmt	*p;

		if (sqlite3_open(teststore_name, &db) != SQLITE_OK)
			return -1;
		sqlite3_busy_timeout(db, 1000);
		if (sqlite3_prepare_v2(db, sql, -1, &p, NULL) == SQLITE_OK) {
			if (sqlite3_step(p) == SQLITE_ROW)
				v = sqlite3_column_int64(p, 0);
			sqlite3_finalize(p);
		}
		sqlite3_close(db);
	}
	return v;
}

/* A statement with no result on its own connection; 0 or -1. */
static inline int
teststore_exec(const char *sql)
{
	int	 rc = -1;

	if (teststore_pg()) {
		PGconn		*c = PQconnectdb(teststore_name);
		PGresult	*r = PQexec(c, sql);

		rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : -1;
		PQclear(r);
		PQfinish(c);
	} else {
		sqlite3	*db;

		if (sqlite3_open(teststore_name, &db) != SQLITE_OK)
			return -1;
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ?
		    0 : -1;
		sqlite3_close(db);
	}
	return rc;
}

#endif
