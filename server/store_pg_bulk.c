/*
 * store_pg_bulk: bulk import and export (issue 11) on PostgreSQL (issue
 * 13): the same contract as store_sqlite.c's, in the CLI's one thread.
 * An import's rows are read and staged by store_pg_import.c; here are
 * its start and its end.  Its per-row change and audit triggers are
 * silenced by the row ('bulk', ...) in meta, inside the import's
 * transaction, and its summary writes the change rows and one audit row
 * instead.  An import is one transaction that is committed whole or not
 * at all (store->whole: no savepoint per statement).  An export walks
 * the devices through a server-side cursor, a batch at a time, so a
 * million devices are never one result in memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "store.h"
#include "store_pg_int.h"
#include "util.h"

/* Rows an export's cursor fetches at a time. */
#define BULK_FETCH	1000

/* One thing an import touched, for its change rows. */
struct bulk_touched {
	enum store_bulk_touch	 what;
	int64_t			 id;
};

static int
command(struct store *s, const char *sql, const char *what)
{
	PGresult	*r = PQexec(s->conn, sql);
	int		 ok = r != NULL && (PQresultStatus(r) == PGRES_COMMAND_OK ||
			    PQresultStatus(r) == PGRES_TUPLES_OK);

	if (!ok)
		(void)store_pg_fail(s, r, what);
	PQclear(r);
	return ok ? 0 : -1;
}

/* PostgreSQL commits durably (synchronous_commit) and sizes its cache. */
int
store_pg_bulk_tune(struct store *s)
{
	return 0;
}

struct store_bulk *
store_pg_bulk_new(struct store *s)
{
	struct store_bulk	*b;

	if ((b = calloc(1, sizeof(*b))) == NULL) {
		snprintf(s->err, sizeof(s->err), "out of memory");
		return NULL;
	}
	b->s = s;
	if (command(s, "CREATE TEMP TABLE IF NOT EXISTS bulk_named "
	    "(kind text, key text, line bigint, PRIMARY KEY (kind, key))",
	    "bulk") != 0 || command(s, "DELETE FROM bulk_named", "bulk") != 0) {
		free(b);
		return NULL;
	}
	s->whole = 1;
	return b;
}

void
store_pg_bulk_free(struct store_bulk *b)
{
	if (b == NULL)
		return;
	b->s->whole = 0;
	store_pg_import_free(b);
	/* A quiet run that failed: the caller rolls back, but be sure. */
	if (b->quiet) {
		(void)store_pg_exec(b->s, PQ_B_LOUD, "");
		PQclear(PQexec(b->s->conn, "SELECT set_config('sipcfg.bulk', "
		    "'off', true)"));
	}
	free(b->touched);
	free(b);
}

/* The rows of r as name (column 0) -> column 1 (or [1, 2]). */
static enum store_rc
bulk_map(struct store_bulk *b, PGresult *r, enum store_rc rc, int pair,
    json_t **out)
{
	json_t	*o, *v;
	int	 i;

	*out = NULL;
	if (r == NULL)
		return rc;
	if ((o = json_object()) == NULL)
		goto oom;
	for (i = 0; i < PQntuples(r); i++) {
		v = pair ? json_pack("[Is]", (json_int_t)store_pg_int(r, i, 1),
		    PQgetvalue(r, i, 2)) : json_integer(store_pg_int(r, i, 1));
		if (v == NULL || json_object_set_new(o, PQgetvalue(r, i, 0),
		    v) != 0) {
			json_decref(o);
			goto oom;
		}
	}
	PQclear(r);
	*out = o;
	return STORE_OK;
oom:
	PQclear(r);
	snprintf(b->s->err, sizeof(b->s->err), "out of memory");
	return STORE_ERROR;
}

enum store_rc
store_pg_bulk_domains(struct store_bulk *b, json_t **out)
{
	PGresult	*r;
	enum store_rc	 rc;

	r = store_pg_run(b->s, &rc, PQ_B_DOMAINS, "");
	return bulk_map(b, r, rc, 1, out);
}

enum store_rc
store_pg_bulk_profiles(struct store_bulk *b, json_t **out)
{
	PGresult	*r;
	enum store_rc	 rc;

	r = store_pg_run(b->s, &rc, PQ_B_PROFILES, "");
	return bulk_map(b, r, rc, 0, out);
}

enum store_rc
store_pg_bulk_quiet(struct store_bulk *b)
{
	enum store_rc	 rc;

	/* Both ways of sql/pg/schema.sql (sipcfg_quiet()). */
	if ((rc = store_pg_exec(b->s, PQ_B_QUIET, "")) != STORE_OK)
		return rc;
	if (command(b->s, "SELECT set_config('sipcfg.bulk', 'on', true)",
	    "import") != 0)
		return STORE_ERROR;
	b->quiet = 1;
	return STORE_OK;
}

enum store_rc
store_pg_bulk_touch(struct store_bulk *b, enum store_bulk_touch what,
    int64_t id)
{
	struct bulk_touched	*t;
	size_t			 cap;

	/* Past the limit only the count matters: the change is 'all'. */
	if (b->ntouched++ > STORE_BULK_CHANGES_MAX)
		return STORE_OK;
	if (b->ntouched > b->cap) {
		cap = b->cap ? b->cap * 2 : 256;
		if (cap > STORE_BULK_CHANGES_MAX + 1)
			cap = STORE_BULK_CHANGES_MAX + 1;
		if ((t = reallocarray(b->touched, cap, sizeof(*t))) == NULL) {
			snprintf(b->s->err, sizeof(b->s->err), "out of memory");
			return STORE_ERROR;
		}
		b->touched = t;
		b->cap = cap;
	}
	b->touched[b->ntouched - 1].what = what;
	b->touched[b->ntouched - 1].id = id;
	return STORE_OK;
}

enum store_rc
store_pg_bulk_summary(struct store_bulk *b,
    const struct store_bulk_summary *m)
{
	static const char *const ops[] = {
		[BULK_DEVICE_ADDED] = "insert", [BULK_DEVICE_CHANGED] = "update",
		[BULK_DEVICE_REMOVED] = "delete", [BULK_USER_ADDED] = "insert",
		[BULK_USER_CHANGED] = "update", [BULK_VARS_CHANGED] = "update"
	};
	const struct bulk_touched *t;
	enum store_rc		 rc = STORE_OK;
	size_t			 i;
	int			 all = b->ntouched > STORE_BULK_CHANGES_MAX;

	if ((rc = store_pg_import_flush(b)) != STORE_OK)
		return rc;
	for (i = 0; !all && rc == STORE_OK && i < b->ntouched; i++) {
		t = &b->touched[i];
		switch (t->what) {
		case BULK_DEVICE_ADDED:
		case BULK_DEVICE_CHANGED:
		case BULK_DEVICE_REMOVED:
			rc = store_pg_exec(b->s, PQ_B_CHG_DEVICE, "is", t->id,
			    ops[t->what]);
			break;
		case BULK_USER_ADDED:
		case BULK_USER_CHANGED:
			rc = store_pg_exec(b->s, PQ_B_CHG_USER, "is", t->id,
			    ops[t->what]);
			break;
		case BULK_VARS_CHANGED:
			rc = store_pg_exec(b->s, PQ_B_CHG_VARS, "i", t->id);
			break;
		}
	}
	if (all)
		rc = store_pg_exec(b->s, PQ_B_CHG_ALL, "");
	if (rc != STORE_OK)
		return rc;
	if ((rc = store_pg_exec(b->s, PQ_B_AUDIT, "siiiiiiiii", m->file,
	    (int64_t)(m->replace != 0), (int64_t)m->rows, (int64_t)m->added,
	    (int64_t)m->changed, (int64_t)m->unchanged, (int64_t)m->removed,
	    (int64_t)m->users_added, (int64_t)m->users_changed,
	    (int64_t)(all ? 1 : b->ntouched))) != STORE_OK)
		return rc;
	if ((rc = store_pg_exec(b->s, PQ_B_LOUD, "")) != STORE_OK)
		return rc;
	if (command(b->s, "SELECT set_config('sipcfg.bulk', 'off', true)",
	    "import") != 0)
		return STORE_ERROR;
	b->quiet = 0;
	return STORE_OK;
}

enum store_rc
store_pg_bulk_ids(struct store_bulk *b, int64_t after, int64_t *ids,
    size_t max, size_t *n)
{
	PGresult	*r;
	enum store_rc	 rc;
	int		 i;

	*n = 0;
	if ((r = store_pg_run(b->s, &rc, PQ_B_IDS, "ii", after,
	    (int64_t)max)) == NULL)
		return rc;
	for (i = 0; i < PQntuples(r) && *n < max; i++)
		ids[(*n)++] = store_pg_int(r, i, 0);
	PQclear(r);
	return STORE_OK;
}

enum store_rc
store_pg_bulk_columns(struct store_bulk *b, int *max_position,
    json_t **names)
{
	PGresult	*r;
	json_t		*arr;
	enum store_rc	 rc;
	int		 i;

	*names = NULL;
	if ((r = store_pg_run(b->s, &rc, PQ_B_MAXPOS, "")) == NULL)
		return rc;
	*max_position = (int)store_pg_int(r, 0, 0);
	PQclear(r);
	if ((r = store_pg_run(b->s, &rc, PQ_B_VARNAMES, "")) == NULL)
		return rc;
	if ((arr = json_array()) == NULL) {
		PQclear(r);
		return STORE_ERROR;
	}
	for (i = 0; i < PQntuples(r); i++)
		json_array_append_new(arr, json_string(PQgetvalue(r, i, 0)));
	PQclear(r);
	*names = arr;
	return STORE_OK;
}

/* The export's walk: a cursor, so that its rows come a batch at a time. */
static const char *const export_sql[2] = {
	"DECLARE sipcfg_export NO SCROLL CURSOR FOR SELECT "
	    STORE_PG_BULK_DEVICE_COLS ", '', '' " STORE_PG_BULK_DEVICE_FROM
	    "ORDER BY d.domain_id, d.sfua_id",
	"DECLARE sipcfg_export NO SCROLL CURSOR FOR SELECT "
	    STORE_PG_BULK_DEVICE_COLS ", coalesce(u.ha1_md5, ''), "
	    "coalesce(u.ha1_sha256, '') " STORE_PG_BULK_DEVICE_FROM
	    "ORDER BY d.domain_id, d.sfua_id"
};

enum store_rc
store_pg_bulk_export(struct store_bulk *b, int secrets, store_bulk_fn fn,
    void *arg)
{
	struct store			*s = b->s;
	struct store_bulk_device	 d;
	PGresult			*r = NULL;
	json_t				*lines, *vars;
	enum store_rc			 rc = STORE_OK;
	char				 fetch[64];
	int				 i, own, n;

	own = PQtransactionStatus(s->conn) == PQTRANS_IDLE;
	if (own && store_pg_read_begin(s) != 0)
		return STORE_ERROR;
	if (command(s, export_sql[secrets != 0], "export") != 0) {
		rc = STORE_ERROR;
		goto out;
	}
	snprintf(fetch, sizeof(fetch), "FETCH %d FROM sipcfg_export",
	    BULK_FETCH);
	do {
		r = PQexec(s->conn, fetch);
		if (r == NULL || PQresultStatus(r) != PGRES_TUPLES_OK) {
			rc = store_pg_fail(s, r, "export");
			break;
		}
		n = PQntuples(r);
		for (i = 0; i < n && rc == STORE_OK; i++) {
			store_pg_bulk_device_cols(r, i, &d);
			store_pg_copy(r, i, 11, d.ha1_md5, sizeof(d.ha1_md5));
			store_pg_copy(r, i, 12, d.ha1_sha256,
			    sizeof(d.ha1_sha256));
			if ((rc = store_pg_bulk_lines(b, d.id, &lines)) !=
			    STORE_OK)
				break;
			if ((rc = store_pg_bulk_vars(b, d.sfua_id, &vars)) !=
			    STORE_OK) {
				json_decref(lines);
				break;
			}
			if (fn(arg, &d, lines, vars) != 0) {
				snprintf(s->err, sizeof(s->err),
				    "export stopped");
				rc = STORE_ERROR;
			}
		}
		PQclear(r);
		r = NULL;
	} while (rc == STORE_OK && n == BULK_FETCH);
	util_wipe(&d, sizeof(d));
	if (rc == STORE_OK && command(s, "CLOSE sipcfg_export", "export") != 0)
		rc = STORE_ERROR;
out:
	if (own)
		store_pg_read_end(s);
	return rc;
}

/* ---------------------------------------- whole tables (moving a store) */

/* A row as the SQLite backend gives it: integers, strings, nulls. */
static json_t *
table_row(const PGresult *r, int row)
{
	json_t	*o, *v;
	Oid	 t;
	int	 i;

	if ((o = json_object()) == NULL)
		return NULL;
	for (i = 0; i < PQnfields(r); i++) {
		t = PQftype(r, i);
		if (PQgetisnull(r, row, i))
			v = json_null();
		else if (t == 20 || t == 21 || t == 23)	/* int8, int2, int4 */
			v = json_integer(strtoll(PQgetvalue(r, row, i), NULL,
			    10));
		else
			v = json_stringn(PQgetvalue(r, row, i),
			    (size_t)PQgetlength(r, row, i));
		if (v == NULL || json_object_set_new(o, PQfname(r, i), v) != 0) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

/* One row at a time (single-row mode): a million devices are not held. */
enum store_rc
store_pg_table_each(struct store *s, const char *table, const char *key,
    int (*fn)(json_t *row, void *arg), void *arg)
{
	PGresult	*r;
	json_t		*row;
	enum store_rc	 rc = STORE_OK;
	char		 sql[160];

	/* The names are store_table_ok()'s, never a caller's text. */
	snprintf(sql, sizeof(sql), "SELECT * FROM %s ORDER BY %s", table, key);
	if (!PQsendQuery(s->conn, sql) || !PQsetSingleRowMode(s->conn))
		return store_pg_fail(s, NULL, table);
	while ((r = PQgetResult(s->conn)) != NULL) {
		switch (PQresultStatus(r)) {
		case PGRES_SINGLE_TUPLE:
			if (rc != STORE_OK)
				break;	/* drained */
			if ((row = table_row(r, 0)) == NULL) {
				snprintf(s->err, sizeof(s->err), "out of "
				    "memory in %s", table);
				rc = STORE_ERROR;
			} else if (fn(row, arg) != 0)
				rc = STORE_ERROR;
			break;
		case PGRES_TUPLES_OK:
			break;
		default:
			if (rc == STORE_OK)
				rc = store_pg_fail(s, r, table);
			break;
		}
		PQclear(r);
	}
	return rc;
}

enum store_rc
store_pg_table_put(struct store *s, const char *table, const char *key,
    const json_t *row, const char *sql)
{
	const char	*vals[64], *c;
	char		 nums[64][24];
	json_t		*v;
	PGresult	*r;
	enum store_rc	 rc = STORE_OK;
	int		 n = 0;

	(void)key;
	json_object_foreach((json_t *)row, c, v) {
		if (n == 64)
			break;
		if (json_is_integer(v)) {
			snprintf(nums[n], sizeof(nums[n]), "%lld",
			    (long long)json_integer_value(v));
			vals[n] = nums[n];
		} else if (json_is_string(v))
			vals[n] = json_string_value(v);
		else
			vals[n] = NULL;
		n++;
	}
	r = PQexecParams(s->conn, sql, n, NULL, vals, NULL, NULL, 0);
	if (r == NULL || PQresultStatus(r) != PGRES_COMMAND_OK)
		rc = store_pg_fail(s, r, table);
	PQclear(r);
	return rc;
}

/* After rows with their ids: the identity goes on from the highest. */
enum store_rc
store_pg_table_ids(struct store *s, const char *table)
{
	PGresult	*r;
	enum store_rc	 rc = STORE_OK;
	char		 sql[256];

	snprintf(sql, sizeof(sql), "SELECT setval(pg_get_serial_sequence("
	    "'%s', 'id'), coalesce(max(id), 0) + 1, false) FROM %s "
	    "WHERE pg_get_serial_sequence('%s', 'id') IS NOT NULL",
	    table, table, table);
	/* Tables without an id column have no sequence to move. */
	if (strcmp(table, "meta") == 0 || strcmp(table, "device_seen") == 0 ||
	    strcmp(table, "monitors") == 0 || strcmp(table, "device_pins") == 0 ||
	    strcmp(table, "checksync_events") == 0)
		return STORE_OK;
	r = PQexec(s->conn, sql);
	if (r == NULL || PQresultStatus(r) != PGRES_TUPLES_OK)
		rc = store_pg_fail(s, r, table);
	PQclear(r);
	return rc;
}
