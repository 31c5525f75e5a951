/*
 * store_pg: the PostgreSQL backend of store.h (issue 13), through libpq.
 *
 * One struct store is one PostgreSQL connection, used by one thread at a
 * time, like the SQLite backend's.  Every statement is a constant of
 * store_pg_sql.c, prepared on the connection (PQprepare) the first time
 * it is used and run with PQexecPrepared after: no SQL is built from
 * input.  The schema (sql/pg/schema.sql, compiled in) is applied by
 * store_pg_open() with STORE_CREATE to a database that has none, under
 * an advisory lock so that two `sipcfg init` do not race.
 *
 * What differs from SQLite, and how it is kept the same for callers:
 * a failed statement inside a transaction aborts the transaction in
 * PostgreSQL, so a write inside one runs under a savepoint and a refused
 * write (STORE_EXISTS, STORE_INVALID) leaves the caller's transaction
 * usable, as it does in SQLite.  SQLSTATEs map to store_rc: unique
 * violation is STORE_EXISTS; check, foreign key, not-null, a trigger's
 * RAISE and bad data are STORE_INVALID; lock timeouts, deadlocks and
 * serialisation failures are STORE_BUSY.
 *
 * This file: the connection, the helpers, and what the daemon's request
 * and notifier paths use; administration is store_pg_admin.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "store.h"
#include "store_int.h"
#include "store_pg_int.h"
#include "schema_pg_sql.h"
#include "util.h"

#define PG_MAX_PARAMS	16
/* Any key of our own for pg_advisory_xact_lock: "sipcfg" in ASCII. */
#define PG_INIT_LOCK	0x736970636667LL

/* Type OIDs (PostgreSQL's catalog/pg_type.h; stable across versions). */
#define PG_BOOLOID	16
#define PG_INT8OID	20
#define PG_INT2OID	21
#define PG_INT4OID	23
#define PG_FLOAT4OID	700
#define PG_FLOAT8OID	701
#define PG_NUMERICOID	1700

static const struct store_ops store_pg_ops;

static void
seterr_conn(struct store *s, const char *what)
{
	const char	*m = s->conn ? PQerrorMessage(s->conn) : "no connection";
	size_t		 n = strlen(m);

	while (n > 0 && (m[n - 1] == '\n' || m[n - 1] == ' '))
		n--;
	snprintf(s->err, sizeof(s->err), "%s: %.*s", what, (int)n, m);
}

enum store_rc
store_pg_fail(struct store *s, const PGresult *r, const char *what)
{
	const char	*state, *msg;

	if (r == NULL) {
		seterr_conn(s, what);
		return STORE_ERROR;
	}
	state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
	if (msg == NULL)
		msg = PQresultErrorMessage(r);
	if (state == NULL)
		state = "";
	/* A trigger's RAISE says why in words of its own. */
	if (strcmp(state, "P0001") == 0) {
		snprintf(s->err, sizeof(s->err), "%s", msg);
		return STORE_INVALID;
	}
	snprintf(s->err, sizeof(s->err), "%s: %s", what, msg);
	if (strcmp(state, "23505") == 0)
		return STORE_EXISTS;
	if (strncmp(state, "23", 2) == 0 || strncmp(state, "22", 2) == 0)
		return STORE_INVALID;
	if (strcmp(state, "55P03") == 0 || strcmp(state, "40001") == 0 ||
	    strcmp(state, "40P01") == 0 || strcmp(state, "57014") == 0)
		return STORE_BUSY;
	return STORE_ERROR;
}

/* A command of our own, no parameters; 0 or -1 with the reason kept. */
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

/*
 * A connection that broke between transactions is made again once (the
 * database restarted, a network cut); its statements are prepared anew.
 */
static void
revive(struct store *s)
{
	if (PQstatus(s->conn) != CONNECTION_BAD)
		return;
	PQreset(s->conn);
	memset(s->prepared, 0, sizeof(s->prepared));
}

static int
prepare(struct store *s, enum pq q)
{
	PGresult	*r;
	char		 name[16];
	int		 ok;

	if (s->prepared[q])
		return 0;
	snprintf(name, sizeof(name), "q%d", (int)q);
	r = PQprepare(s->conn, name, store_pg_sql(q), 0, NULL);
	ok = r != NULL && PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		(void)store_pg_fail(s, r, "prepare");
	PQclear(r);
	if (ok)
		s->prepared[q] = 1;
	return ok ? 0 : -1;
}

static PGresult *
vrun(struct store *s, enum store_rc *rc, enum pq q, const char *fmt,
    va_list ap)
{
	const char	*vals[PG_MAX_PARAMS];
	char		 nums[PG_MAX_PARAMS][24], *copies[PG_MAX_PARAMS];
	const char	*str;
	PGresult	*r = NULL;
	ExecStatusType	 st;
	char		 name[16];
	int		 n = 0, i, sp = 0;
	int64_t		 v;

	*rc = STORE_ERROR;
	memset(copies, 0, sizeof(copies));
	for (; fmt && *fmt; fmt++, n++) {
		if (n == PG_MAX_PARAMS) {
			snprintf(s->err, sizeof(s->err), "too many parameters");
			goto out;
		}
		switch (*fmt) {
		case 's':
		case 'S':
			str = va_arg(ap, const char *);
			vals[n] = str == NULL || (*fmt == 'S' && *str == '\0') ?
			    NULL : str;
			break;
		case 'b': {
			const char *bp = va_arg(ap, const char *);
			size_t bl = va_arg(ap, size_t);

			/* A text parameter ends at its NUL: a copy that has one. */
			if ((copies[n] = malloc(bl + 1)) == NULL) {
				snprintf(s->err, sizeof(s->err),
				    "out of memory");
				goto out;
			}
			if (bl > 0)
				memcpy(copies[n], bp, bl);
			copies[n][bl] = '\0';
			vals[n] = copies[n];
			break;
		}
		case 'i':
		case 'I':
			v = va_arg(ap, int64_t);
			if (*fmt == 'I' && v < 0)
				vals[n] = NULL;
			else {
				snprintf(nums[n], sizeof(nums[n]), "%lld",
				    (long long)v);
				vals[n] = nums[n];
			}
			break;
		default:
			snprintf(s->err, sizeof(s->err), "bad parameter format");
			goto out;
		}
	}
	if (PQtransactionStatus(s->conn) == PQTRANS_IDLE)
		revive(s);
	if (prepare(s, q) != 0)
		goto out;
	/*
	 * A write inside the caller's transaction: a savepoint, so that a
	 * refused write does not abort the rest (SQLite's behaviour).
	 */
	if (PQtransactionStatus(s->conn) == PQTRANS_INTRANS &&
	    strncmp(store_pg_sql(q), "SELECT", 6) != 0) {
		if (command(s, "SAVEPOINT sipcfg_stmt", "savepoint") != 0)
			goto out;
		sp = 1;
	}
	snprintf(name, sizeof(name), "q%d", (int)q);
	r = PQexecPrepared(s->conn, name, n, vals, NULL, NULL, 0);
	st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
		*rc = STORE_OK;
		if (sp && command(s, "RELEASE SAVEPOINT sipcfg_stmt",
		    "savepoint") != 0) {
			*rc = STORE_ERROR;
			PQclear(r);
			r = NULL;
		}
	} else {
		*rc = store_pg_fail(s, r, store_pg_sql(q));
		PQclear(r);
		r = NULL;
		if (sp) {
			char keep[sizeof(s->err)];

			memcpy(keep, s->err, sizeof(keep));
			(void)command(s, "ROLLBACK TO SAVEPOINT sipcfg_stmt; "
			    "RELEASE SAVEPOINT sipcfg_stmt", "savepoint");
			memcpy(s->err, keep, sizeof(keep));
		}
	}
out:
	for (i = 0; i < n && i < PG_MAX_PARAMS; i++)
		free(copies[i]);
	return r;
}

PGresult *
store_pg_run(struct store *s, enum store_rc *rc, enum pq q, const char *fmt,
    ...)
{
	PGresult	*r;
	va_list		 ap;

	va_start(ap, fmt);
	r = vrun(s, rc, q, fmt, ap);
	va_end(ap);
	return r;
}

enum store_rc
store_pg_exec(struct store *s, enum pq q, const char *fmt, ...)
{
	PGresult	*r;
	enum store_rc	 rc;
	va_list		 ap;

	va_start(ap, fmt);
	r = vrun(s, &rc, q, fmt, ap);
	va_end(ap);
	PQclear(r);
	return rc;
}

enum store_rc
store_pg_exec_one(struct store *s, enum pq q, const char *fmt, ...)
{
	PGresult	*r;
	enum store_rc	 rc;
	va_list		 ap;

	va_start(ap, fmt);
	r = vrun(s, &rc, q, fmt, ap);
	va_end(ap);
	if (r != NULL && strtoll(PQcmdTuples(r), NULL, 10) == 0)
		rc = STORE_NOTFOUND;
	PQclear(r);
	return rc;
}

void
store_pg_copy(const PGresult *r, int row, int col, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s", PQgetisnull(r, row, col) ? "" :
	    PQgetvalue(r, row, col));
}

int64_t
store_pg_int(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? 0 :
	    strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static json_t *
col_json(const PGresult *r, int row, int col)
{
	const char	*v;

	if (PQgetisnull(r, row, col))
		return json_null();
	v = PQgetvalue(r, row, col);
	switch (PQftype(r, col)) {
	case PG_INT2OID:
	case PG_INT4OID:
	case PG_INT8OID:
		return json_integer(strtoll(v, NULL, 10));
	case PG_FLOAT4OID:
	case PG_FLOAT8OID:
	case PG_NUMERICOID:
		return json_real(strtod(v, NULL));
	case PG_BOOLOID:
		return json_integer(*v == 't');
	default:
		return json_stringn(v, (size_t)PQgetlength(r, row, col));
	}
}

/* One row as an object keyed by column; JSON columns come parsed. */
json_t *
store_pg_row_json(const PGresult *r, int row)
{
	json_t		*o, *v, *pv;
	const char	*name;
	int		 i, n = PQnfields(r);

	if ((o = json_object()) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		name = PQfname(r, i);
		if ((v = col_json(r, row, i)) == NULL)
			goto fail;
		if ((strcmp(name, "value") == 0 || strcmp(name, "before") == 0 ||
		    strcmp(name, "after") == 0) && json_is_string(v) &&
		    (pv = json_loads(json_string_value(v), JSON_DECODE_ANY,
		    NULL)) != NULL) {
			json_decref(v);
			v = pv;
		}
		if (json_object_set_new(o, name, v) != 0)
			goto fail;
	}
	return o;
fail:
	json_decref(o);
	return NULL;
}

json_t *
store_pg_rows_json(const PGresult *r)
{
	json_t	*arr, *row;
	int	 i, n = PQntuples(r);

	if ((arr = json_array()) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if ((row = store_pg_row_json(r, i)) == NULL ||
		    json_array_append_new(arr, row) != 0) {
			json_decref(arr);
			return NULL;
		}
	return arr;
}

enum store_rc
store_pg_rows(struct store *s, json_t **out, enum pq q, const char *fmt, ...)
{
	PGresult	*r;
	enum store_rc	 rc;
	va_list		 ap;

	*out = NULL;
	va_start(ap, fmt);
	r = vrun(s, &rc, q, fmt, ap);
	va_end(ap);
	if (r == NULL)
		return rc;
	if ((*out = store_pg_rows_json(r)) == NULL) {
		snprintf(s->err, sizeof(s->err), "out of memory");
		rc = STORE_ERROR;
	}
	PQclear(r);
	return rc;
}

/* ---------------------------------------------------------------- open */

static void
quiet_notices(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static int
store_pg_schema_version(struct store *s)
{
	PGresult	*r;
	int		 v = -1;

	/* No table: a database without our schema (and no failed query,
	   which would abort the transaction `sipcfg init` holds). */
	r = PQexec(s->conn, "SELECT to_regclass('schema_version') IS NULL");
	if (r == NULL || PQresultStatus(r) != PGRES_TUPLES_OK) {
		(void)store_pg_fail(s, r, "schema version");
		PQclear(r);
		return -1;
	}
	if (strcmp(PQgetvalue(r, 0, 0), "t") == 0) {
		PQclear(r);
		return 0;
	}
	PQclear(r);
	r = PQexec(s->conn, "SELECT version FROM schema_version");
	if (r != NULL && PQresultStatus(r) == PGRES_TUPLES_OK)
		v = PQntuples(r) == 1 ? (int)store_pg_int(r, 0, 0) : 0;
	else
		(void)store_pg_fail(s, r, "schema version");
	PQclear(r);
	return v;
}

static int
migrate(struct store *s, int create, int readonly)
{
	char	 q[64];
	int	 v;

	if ((v = store_pg_schema_version(s)) < 0)
		return -1;
	if (v > STORE_SCHEMA_VERSION) {
		snprintf(s->err, sizeof(s->err), "store schema version %d is "
		    "newer than this program's (%d)", v, STORE_SCHEMA_VERSION);
		return -1;
	}
	if (v == STORE_SCHEMA_VERSION)
		return 0;
	if (v == 0 && !create) {
		snprintf(s->err, sizeof(s->err), "the database has no sipcfg "
		    "schema (create it with sipcfg init)");
		return -1;
	}
	if (readonly || v != 0) {
		snprintf(s->err, sizeof(s->err), "store schema version %d needs "
		    "migrating to %d (run sipcfg init)", v, STORE_SCHEMA_VERSION);
		return -1;
	}
	snprintf(q, sizeof(q), "SELECT pg_advisory_xact_lock(%lld)",
	    PG_INIT_LOCK);
	if (command(s, "BEGIN", "schema") != 0 ||
	    command(s, q, "schema") != 0)
		goto fail;
	/* Again under the lock: another sipcfg init may have made it. */
	if ((v = store_pg_schema_version(s)) < 0)
		goto fail;
	if (v == 0 && command(s, schema_pg_sql, "schema") != 0)
		goto fail;
	return command(s, "COMMIT", "schema");
fail:
	if (PQtransactionStatus(s->conn) != PQTRANS_IDLE) {
		PGresult *r = PQexec(s->conn, "ROLLBACK");

		PQclear(r);
	}
	return -1;
}

struct store *
store_pg_open(const char *uri, int flags, int busy_ms, char *err,
    size_t errlen)
{
	struct store	*s;
	char		 q[64];
	int		 ro = (flags & STORE_READONLY) != 0;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->ops = &store_pg_ops;
	s->conn = PQconnectdb(uri);
	if (s->conn == NULL || PQstatus(s->conn) != CONNECTION_OK) {
		seterr_conn(s, "PostgreSQL");
		goto fail;
	}
	PQsetNoticeProcessor(s->conn, quiet_notices, NULL);
	/* SQLite's busy timeout: how long a statement waits for a lock. */
	snprintf(q, sizeof(q), "SET lock_timeout = %d",
	    busy_ms > 0 ? busy_ms : 5000);
	if (command(s, q, "open") != 0 ||
	    (ro && command(s, "SET default_transaction_read_only = on",
	    "open") != 0) ||
	    migrate(s, (flags & STORE_CREATE) && !ro &&
	    !(flags & STORE_NOMIGRATE), ro || (flags & STORE_NOMIGRATE)) != 0)
		goto fail;
	return s;
fail:
	snprintf(err, errlen, "%s", s->err);
	PQfinish(s->conn);
	free(s);
	return NULL;
}

static void
store_pg_close(struct store *s)
{
	PQfinish(s->conn);
	free(s);
}

static const char *
store_pg_errmsg(struct store *s)
{
	return s->err;
}

static void
store_pg_seterr(struct store *s, const char *msg)
{
	snprintf(s->err, sizeof(s->err), "%s", msg);
}

int
store_pg_begin(struct store *s)
{
	if (PQtransactionStatus(s->conn) == PQTRANS_IDLE)
		revive(s);
	return command(s, "BEGIN", "begin");
}

int
store_pg_commit(struct store *s)
{
	return command(s, "COMMIT", "commit");
}

void
store_pg_rollback(struct store *s)
{
	if (PQtransactionStatus(s->conn) != PQTRANS_IDLE)
		(void)command(s, "ROLLBACK", "rollback");
}

/* One snapshot for the reads between (SQLite's BEGIN DEFERRED). */
int
store_pg_read_begin(struct store *s)
{
	if (PQtransactionStatus(s->conn) == PQTRANS_IDLE)
		revive(s);
	return command(s, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
	    "begin");
}

void
store_pg_read_end(struct store *s)
{
	if (PQtransactionStatus(s->conn) != PQTRANS_IDLE)
		(void)command(s, "COMMIT", "commit");
}

/* SQLite's memory map and page cache: the server's buffers do both. */
static int
store_pg_mmap(struct store *s, int64_t bytes)
{
	return 0;
}

static int
store_pg_cache(struct store *s, int64_t bytes)
{
	return 0;
}

/* ------------------------------------------------------------ hot path */

static int64_t
scalar(struct store *s, enum pq q)
{
	PGresult	*r;
	enum store_rc	 rc;
	int64_t		 v = -1;

	if ((r = store_pg_run(s, &rc, q, "")) == NULL)
		return -1;
	if (PQntuples(r) == 1)
		v = store_pg_int(r, 0, 0);
	PQclear(r);
	return v;
}

static int64_t
store_pg_data_version(struct store *s)
{
	return scalar(s, PQ_DATA_VERSION);
}

static enum store_rc
store_pg_meta_get(struct store *s, const char *key, char *out, size_t outlen)
{
	PGresult	*r;
	enum store_rc	 rc;

	if ((r = store_pg_run(s, &rc, PQ_META_GET, "s", key)) == NULL)
		return rc;
	if (PQntuples(r) == 0)
		rc = STORE_NOTFOUND;
	else
		store_pg_copy(r, 0, 0, out, outlen);
	PQclear(r);
	return rc;
}

static enum store_rc
store_pg_meta_set(struct store *s, const char *key, const char *value)
{
	return store_pg_exec(s, PQ_META_SET, "ss", key, value);
}

static time_t
store_pg_last_delete(struct store *s)
{
	char	 v[32];

	if (store_pg_meta_get(s, "last_delete", v, sizeof(v)) != STORE_OK)
		return 0;
	return (time_t)strtoll(v, NULL, 10);
}

static void
device_cols(const PGresult *r, int i, struct store_device *d)
{
	char	 v[16];

	memset(d, 0, sizeof(*d));
	d->id = store_pg_int(r, i, 0);
	store_pg_copy(r, i, 1, d->sfua_id, sizeof(d->sfua_id));
	store_pg_copy(r, i, 2, d->mac, sizeof(d->mac));
	store_pg_copy(r, i, 3, d->vendor, sizeof(d->vendor));
	store_pg_copy(r, i, 4, d->model, sizeof(d->model));
	store_pg_copy(r, i, 5, d->revision, sizeof(d->revision));
	store_pg_copy(r, i, 6, d->label, sizeof(d->label));
	store_pg_copy(r, i, 7, v, sizeof(v));
	d->state = strcmp(v, "pending") == 0 ? DEVICE_PENDING :
	    strcmp(v, "disabled") == 0 ? DEVICE_DISABLED : DEVICE_ACTIVE;
	d->user_id = store_pg_int(r, i, 8);
	store_pg_copy(r, i, 9, d->user, sizeof(d->user));
	store_pg_copy(r, i, 10, d->profile, sizeof(d->profile));
	d->max_age = (int)store_pg_int(r, i, 11);
	d->profile_max_age = (int)store_pg_int(r, i, 12);
	d->updated = (time_t)store_pg_int(r, i, 13);
	d->profile_id = store_pg_int(r, i, 14);
	store_pg_copy(r, i, 15, d->monitor_token, sizeof(d->monitor_token));
	store_pg_copy(r, i, 16, v, sizeof(v));
	d->notify_mode = strcmp(v, "subscribe") == 0 ? NOTIFY_SUBSCRIBE :
	    strcmp(v, "poll") == 0 ? NOTIFY_POLL : NOTIFY_INHERIT;
	store_pg_copy(r, i, 17, d->enc_mode, sizeof(d->enc_mode));
	store_pg_copy(r, i, 18, d->enc_key_sealed, sizeof(d->enc_key_sealed));
	d->domain_id = store_pg_int(r, i, 19);
	store_pg_copy(r, i, 20, v, sizeof(v));
	d->client_cert = strcmp(v, "required") == 0 ? CLIENT_CERT_REQUIRED :
	    strcmp(v, "ignore") == 0 ? CLIENT_CERT_IGNORE :
	    strcmp(v, "optional") == 0 ? CLIENT_CERT_OPTIONAL :
	    CLIENT_CERT_INHERIT;
	d->has_pin = store_pg_int(r, i, 21) != 0;
}

/* One device row; in any domain (0), several are STORE_AMBIGUOUS. */
static enum store_rc
device_row(struct store *s, enum pq q, int64_t domain_id, const char *key,
    struct store_device *d)
{
	PGresult	*r;
	enum store_rc	 rc;
	int		 by_key = q == PQ_DEV_BY_SFUA || q == PQ_DEV_BY_MAC;

	if (by_key && domain_id == 0)
		q = q == PQ_DEV_BY_SFUA ? PQ_DEV_BY_SFUA_ANY : PQ_DEV_BY_MAC_ANY;
	r = by_key && domain_id != 0 ?
	    store_pg_run(s, &rc, q, "si", key, domain_id) :
	    store_pg_run(s, &rc, q, "s", key);
	if (r == NULL)
		return rc;
	if (PQntuples(r) == 0)
		rc = STORE_NOTFOUND;
	else if (by_key && PQntuples(r) > 1) {
		snprintf(s->err, sizeof(s->err), "%s is in several domains; "
		    "name one with --domain", key);
		rc = STORE_AMBIGUOUS;
	} else
		device_cols(r, 0, d);
	PQclear(r);
	return rc;
}

static enum store_rc
store_pg_device_by_sfua(struct store *s, int64_t domain_id,
    const char *sfua_id, struct store_device *d)
{
	return device_row(s, PQ_DEV_BY_SFUA, domain_id, sfua_id, d);
}

static enum store_rc
store_pg_device_by_mac(struct store *s, int64_t domain_id, const char *mac,
    struct store_device *d)
{
	return device_row(s, PQ_DEV_BY_MAC, domain_id, mac, d);
}

static enum store_rc
store_pg_device_by_token(struct store *s, const char *token,
    struct store_device *d)
{
	return device_row(s, PQ_DEV_BY_TOKEN, 0, token, d);
}

static enum store_rc
store_pg_device_by_id(struct store *s, int64_t id, struct store_device *d)
{
	char	 key[24];

	snprintf(key, sizeof(key), "%lld", (long long)id);
	return device_row(s, PQ_DEV_BY_ID, 0, key, d);
}

static enum store_rc
store_pg_user_by_name(struct store *s, const char *name, struct store_user *u)
{
	PGresult	*r;
	enum store_rc	 rc;

	if ((r = store_pg_run(s, &rc, PQ_USER_BY_NAME, "s", name)) == NULL)
		return rc;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return STORE_NOTFOUND;
	}
	memset(u, 0, sizeof(*u));
	u->id = store_pg_int(r, 0, 0);
	store_pg_copy(r, 0, 1, u->name, sizeof(u->name));
	store_pg_copy(r, 0, 2, u->realm, sizeof(u->realm));
	store_pg_copy(r, 0, 3, u->ha1_md5, sizeof(u->ha1_md5));
	store_pg_copy(r, 0, 4, u->ha1_sha256, sizeof(u->ha1_sha256));
	u->domain_id = store_pg_int(r, 0, 5);
	u->otp = store_pg_int(r, 0, 6) != 0;
	u->otp_not_before = (time_t)store_pg_int(r, 0, 7);
	u->otp_not_after = (time_t)store_pg_int(r, 0, 8);
	store_pg_copy(r, 0, 9, u->password_sealed, sizeof(u->password_sealed));
	store_pg_copy(r, 0, 10, u->old_ha1_md5, sizeof(u->old_ha1_md5));
	store_pg_copy(r, 0, 11, u->old_ha1_sha256, sizeof(u->old_ha1_sha256));
	u->old_until = (time_t)store_pg_int(r, 0, 12);
	u->updated = (time_t)store_pg_int(r, 0, 13);
	PQclear(r);
	return STORE_OK;
}

static enum store_rc
store_pg_device_lines(struct store *s, int64_t device_id, json_t **lines,
    time_t *updated)
{
	PGresult	*r;
	json_t		*arr, *o;
	enum store_rc	 rc;
	time_t		 t;
	int		 i;

	*lines = NULL;
	if ((r = store_pg_run(s, &rc, PQ_LINES, "i", device_id)) == NULL)
		return rc;
	if ((arr = json_array()) == NULL)
		goto oom;
	for (i = 0; i < PQntuples(r); i++) {
		o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s}",
		    "position", (json_int_t)store_pg_int(r, i, 0),
		    "aor", PQgetvalue(r, i, 1), "realm", PQgetvalue(r, i, 2),
		    "username", PQgetvalue(r, i, 3),
		    "digest", PQgetvalue(r, i, 4),
		    "outbound_proxy", PQgetvalue(r, i, 5),
		    "display_name", PQgetvalue(r, i, 6));
		if (o && PQgetlength(r, i, 8) > 0)
			json_object_set_new(o, "password_sealed",
			    json_string(PQgetvalue(r, i, 8)));
		if (o == NULL || json_array_append_new(arr, o) != 0) {
			json_decref(arr);
			goto oom;
		}
		t = (time_t)store_pg_int(r, i, 7);
		if (t > *updated)
			*updated = t;
	}
	PQclear(r);
	*lines = arr;
	return STORE_OK;
oom:
	PQclear(r);
	snprintf(s->err, sizeof(s->err), "out of memory");
	return STORE_ERROR;
}

static enum store_rc
template_row(struct store *s, PGresult *r, enum store_rc rc,
    struct store_template *t)
{
	memset(t, 0, sizeof(*t));
	if (r == NULL)
		return rc;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return STORE_NOTFOUND;
	}
	store_pg_copy(r, 0, 0, t->name, sizeof(t->name));
	t->content_type = strdup(PQgetvalue(r, 0, 1));
	t->bodylen = (size_t)PQgetlength(r, 0, 2);
	if ((t->body = malloc(t->bodylen + 1)) != NULL) {
		memcpy(t->body, PQgetvalue(r, 0, 2), t->bodylen);
		t->body[t->bodylen] = '\0';
	}
	t->updated = (time_t)store_pg_int(r, 0, 3);
	PQclear(r);
	if (t->content_type == NULL || t->body == NULL) {
		store_template_clear(t);
		snprintf(s->err, sizeof(s->err), "out of memory");
		return STORE_ERROR;
	}
	return STORE_OK;
}

static enum store_rc
store_pg_template_select(struct store *s, const char *vendor,
    const char *model, const char *revision, struct store_template *t)
{
	PGresult	*r;
	enum store_rc	 rc;

	r = store_pg_run(s, &rc, PQ_TPL_SELECT, "sss", vendor, model,
	    revision);
	return template_row(s, r, rc, t);
}

static enum store_rc
store_pg_template_by_name(struct store *s, const char *name,
    struct store_template *t)
{
	PGresult	*r;
	enum store_rc	 rc;

	r = store_pg_run(s, &rc, PQ_TPL_BY_NAME, "s", name);
	return template_row(s, r, rc, t);
}

static enum store_rc
store_pg_vars_merge(struct store *s, const char *layer, const char *scope,
    json_t *obj, time_t *updated, store_unseal_fn unseal, void *arg)
{
	PGresult	*r;
	json_t		*v, *one, *opened;
	enum store_rc	 rc;
	time_t		 t;
	int		 i;

	if ((r = store_pg_run(s, &rc, PQ_VARS, "ss", layer, scope)) == NULL)
		return rc;
	for (i = 0; i < PQntuples(r); i++) {
		if ((v = json_loads(PQgetvalue(r, i, 1), JSON_DECODE_ANY,
		    NULL)) == NULL)
			continue;	/* the CHECK and jansson disagree */
		/*
		 * A secret variable is its sealed text as a JSON string; what
		 * it opens to takes its place, "" when it does not open.
		 */
		if (store_pg_int(r, i, 3) != 0) {
			opened = NULL;
			if (unseal != NULL && json_is_string(v))
				opened = unseal(arg, json_string_value(v));
			json_decref(v);
			if ((v = opened) == NULL &&
			    (v = json_string("")) == NULL)
				goto oom;
		}
		one = json_object();
		if (one == NULL || json_object_set_new(one, PQgetvalue(r, i, 0),
		    v) != 0 || store_json_merge(obj, one) != 0) {
			json_decref(one);
			goto oom;
		}
		json_decref(one);
		t = (time_t)store_pg_int(r, i, 2);
		if (t > *updated)
			*updated = t;
	}
	PQclear(r);
	return STORE_OK;
oom:
	PQclear(r);
	snprintf(s->err, sizeof(s->err), "out of memory");
	return STORE_ERROR;
}

/* ------------------------------------------------------- bookkeeping */

/* By device, then by position: the order store_pg_seen_write() writes. */
static int
seen_cmp(const void *a, const void *b)
{
	const struct store_seen	*x = *(const struct store_seen *const *)a;
	const struct store_seen	*y = *(const struct store_seen *const *)b;

	if (x->device_id != y->device_id)
		return x->device_id < y->device_id ? -1 : 1;
	return x < y ? -1 : x > y;
}

/* The device's last answer as device_seen has it; "" when never seen. */
static int
seen_last(struct store *s, int64_t device_id, char *etag, size_t elen,
    char *addr, size_t alen)
{
	PGresult	*r;
	enum store_rc	 rc;

	etag[0] = addr[0] = '\0';
	if ((r = store_pg_run(s, &rc, PQ_SEEN_LAST, "i", device_id)) == NULL)
		return -1;
	if (PQntuples(r) > 0) {
		store_pg_copy(r, 0, 0, etag, elen);
		store_pg_copy(r, 0, 1, addr, alen);
	}
	PQclear(r);
	return 0;
}

/*
 * One transaction for the batch, as store_sqlite.c writes it: a device's
 * run of records makes one device_seen upsert, and history rows only for
 * answers that differ from the one before or went to a new address.
 */
static int
store_pg_seen_write(struct store *s, const struct store_seen *rec, size_t n)
{
	const struct store_seen	**o, *last, *rev, *ua, *f;
	char			 petag[sizeof(rec->etag)];
	char			 paddr[sizeof(rec->addr)];
	PGresult		*r;
	enum store_rc		 rc;
	size_t			 i, j, k;
	int			 found;

	if ((o = calloc(n ? n : 1, sizeof(*o))) == NULL) {
		snprintf(s->err, sizeof(s->err), "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++)
		o[i] = &rec[i];
	qsort(o, n, sizeof(*o), seen_cmp);
	if (store_pg_begin(s) != 0) {
		free(o);
		return -1;
	}
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && o[j]->device_id == o[i]->device_id;
		    j++)
			;
		last = rev = ua = o[j - 1];
		for (k = j; k-- > i &&
		    (rev->revision[0] == '\0' || ua->ua[0] == '\0'); ) {
			if (rev->revision[0] == '\0')
				rev = o[k];
			if (ua->ua[0] == '\0')
				ua = o[k];
		}
		if (seen_last(s, last->device_id, petag, sizeof(petag), paddr,
		    sizeof(paddr)) != 0)
			goto fail;
		r = store_pg_run(s, &rc, PQ_SEEN, "isissSsssi",
		    last->device_id, rev->revision, (int64_t)last->when,
		    last->etag, last->addr, ua->ua, ua->ua_vendor,
		    ua->ua_model, ua->ua_firmware, (int64_t)(j - i));
		if (r == NULL)
			goto fail;
		found = strtoll(PQcmdTuples(r), NULL, 10) > 0;
		PQclear(r);
		if (!found)
			continue;	/* the device was removed since */
		for (k = i; k < j; k++) {
			f = o[k];
			if (strcmp(f->etag, petag) == 0 &&
			    strcmp(f->addr, paddr) == 0)
				continue;
			if (store_pg_exec(s, PQ_FETCH_LOG, "iissi",
			    f->device_id, (int64_t)f->when, f->etag, f->addr,
			    (int64_t)(f->secrets != 0)) != STORE_OK)
				goto fail;
			memcpy(petag, f->etag, sizeof(petag));
			memcpy(paddr, f->addr, sizeof(paddr));
		}
	}
	free(o);
	return store_pg_commit(s);
fail:
	free(o);
	store_pg_rollback(s);
	return -1;
}

static enum store_rc
store_pg_device_enroll(struct store *s, int64_t domain_id,
    const char *sfua_id, const char *mac, const char *vendor,
    const char *model, const char *addr)
{
	return store_pg_exec(s, PQ_ENROLL, "ssssis", sfua_id, mac, vendor,
	    model, domain_id > 0 ? domain_id : (int64_t)STORE_DEFAULT_DOMAIN,
	    addr);
}

static enum store_rc
store_pg_enrolled_count(struct store *s, const char *addr,
    long long *total, long long *from_addr)
{
	PGresult	*r;
	enum store_rc	 rc;

	if ((r = store_pg_run(s, &rc, PQ_ENROLL_COUNT, "S", addr)) == NULL)
		return rc;
	*total = store_pg_int(r, 0, 0);
	*from_addr = store_pg_int(r, 0, 1);
	PQclear(r);
	return STORE_OK;
}

static enum store_rc
store_pg_enrolled_expire(struct store *s, time_t before, long long *n)
{
	PGresult	*r;
	enum store_rc	 rc;

	*n = 0;
	if ((r = store_pg_run(s, &rc, PQ_ENROLL_EXPIRE, "i",
	    (int64_t)before)) == NULL)
		return rc;
	*n = strtoll(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	return STORE_OK;
}

/* -------------------------------------------------------- the notifier */

static int64_t
store_pg_changes_head(struct store *s)
{
	return scalar(s, PQ_CHANGES_HEAD);
}

static enum store_rc
store_pg_changes_since(struct store *s, int64_t after,
    struct store_change *c, size_t max, size_t *n)
{
	PGresult	*r;
	enum store_rc	 rc;
	char		 h[STORE_HINT_SIZE];
	int		 i;

	*n = 0;
	if ((r = store_pg_run(s, &rc, PQ_CHANGES_SINCE, "ii", after,
	    (int64_t)max)) == NULL)
		return rc;
	for (i = 0; i < PQntuples(r) && *n < max; i++) {
		c[*n].seq = store_pg_int(r, i, 0);
		store_pg_copy(r, i, 1, h, sizeof(h));
		store_change_parse(h, &c[*n]);
		(*n)++;
	}
	PQclear(r);
	return STORE_OK;
}

static enum store_rc
store_pg_active_ids(struct store *s, int64_t after, int64_t *ids,
    size_t max, size_t *n, int64_t *max_id)
{
	PGresult	*r;
	enum store_rc	 rc;
	int		 i;

	*n = 0;
	if (max_id != NULL && (*max_id = scalar(s, PQ_DEV_MAX_ID)) < 0) {
		*max_id = 0;
		return STORE_ERROR;
	}
	if ((r = store_pg_run(s, &rc, PQ_DEV_IDS_AFTER, "ii", after,
	    (int64_t)max)) == NULL)
		return rc;
	for (i = 0; i < PQntuples(r) && *n < max; i++)
		ids[(*n)++] = store_pg_int(r, i, 0);
	PQclear(r);
	return STORE_OK;
}

static enum store_rc
store_pg_changes_prune(struct store *s, time_t before)
{
	return store_pg_exec(s, PQ_CHANGES_PRUNE, "i", (int64_t)before);
}

static enum store_rc
store_pg_notify_request(struct store *s, int64_t device_id)
{
	return store_pg_exec(s, PQ_NOTIFY_REQ, "I", device_id);
}

static int
store_pg_subs_write(struct store *s, const char *instance,
    const struct store_sub *r, size_t n)
{
	enum store_rc	 rc;
	size_t		 i;

	if (store_pg_begin(s) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (r[i].gone)
			rc = store_pg_exec(s, PQ_SUB_DELETE, "si", instance,
			    r[i].local_id);
		else
			rc = store_pg_exec(s, PQ_SUB_UPSERT, "siissssiiISi",
			    instance, r[i].local_id, r[i].device_id, r[i].uri,
			    r[i].transport, r[i].source, r[i].contact,
			    (int64_t)r[i].created, (int64_t)r[i].expires,
			    r[i].last_notify ? (int64_t)r[i].last_notify : -1,
			    r[i].last_etag, (int64_t)r[i].notifies);
		if (rc != STORE_OK) {
			store_pg_rollback(s);
			return -1;
		}
	}
	return store_pg_commit(s);
}

static int
store_pg_subs_clear(struct store *s, const char *instance)
{
	return store_pg_exec(s, PQ_SUB_CLEAR, "s", instance) == STORE_OK ?
	    0 : -1;
}

static enum store_rc
store_pg_subs_list(struct store *s, int64_t device_id, time_t now,
    json_t **out)
{
	if (device_id < 0)
		return store_pg_rows(s, out, PQ_SUB_LIST, "i", (int64_t)now);
	return store_pg_rows(s, out, PQ_SUB_LIST_DEV, "ii", (int64_t)now,
	    device_id);
}

static enum store_rc
ids_of(struct store *s, PGresult *r, enum store_rc rc, int64_t *ids,
    size_t max, size_t *n)
{
	int	 i;

	*n = 0;
	if (r == NULL)
		return rc;
	for (i = 0; i < PQntuples(r) && *n < max; i++)
		ids[(*n)++] = store_pg_int(r, i, 0);
	PQclear(r);
	return STORE_OK;
}

static enum store_rc
store_pg_checksync_devices(struct store *s, int64_t *ids, size_t max,
    size_t *n)
{
	PGresult	*r;
	enum store_rc	 rc;

	r = store_pg_run(s, &rc, PQ_CS_DEVICES, "i", (int64_t)max);
	return ids_of(s, r, rc, ids, max, n);
}

static enum store_rc
store_pg_checksync_target(struct store *s, int64_t id,
    struct store_checksync_target *t)
{
	PGresult	*r;
	enum store_rc	 rc;

	memset(t, 0, sizeof(*t));
	if ((r = store_pg_run(s, &rc, PQ_CS_TARGET, "i", id)) == NULL)
		return rc;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return STORE_NOTFOUND;
	}
	store_pg_copy(r, 0, 0, t->contact, sizeof(t->contact));
	store_pg_copy(r, 0, 1, t->aor, sizeof(t->aor));
	store_pg_copy(r, 0, 2, t->username, sizeof(t->username));
	store_pg_copy(r, 0, 3, t->realm, sizeof(t->realm));
	store_pg_copy(r, 0, 4, t->ha1, sizeof(t->ha1));
	store_pg_copy(r, 0, 5, t->proxy, sizeof(t->proxy));
	store_pg_copy(r, 0, 6, t->event, sizeof(t->event));
	store_pg_copy(r, 0, 7, t->reboot_event, sizeof(t->reboot_event));
	PQclear(r);
	return STORE_OK;
}

static enum store_rc
store_pg_checksync_request(struct store *s, int64_t id, int reboot)
{
	return store_pg_exec(s, PQ_CS_REQUEST, "ii", id,
	    (int64_t)(reboot != 0));
}

static enum store_rc
store_pg_path_rules(struct store *s, struct store_path_rule *rule,
    size_t max, size_t *n)
{
	PGresult	*r;
	enum store_rc	 rc;
	int		 i;

	*n = 0;
	if ((r = store_pg_run(s, &rc, PQ_PATHS, "")) == NULL)
		return rc;
	for (i = 0; i < PQntuples(r) && *n < max; i++, (*n)++) {
		rule[*n].id = store_pg_int(r, i, 0);
		store_pg_copy(r, i, 1, rule[*n].pattern,
		    sizeof(rule[*n].pattern));
		store_pg_copy(r, i, 2, rule[*n].vendor,
		    sizeof(rule[*n].vendor));
		store_pg_copy(r, i, 3, rule[*n].template_name,
		    sizeof(rule[*n].template_name));
		rule[*n].plain = (int)store_pg_int(r, i, 4);
	}
	PQclear(r);
	return STORE_OK;
}

static enum store_rc
store_pg_device_enc_cert(struct store *s, int64_t id, char *pem,
    size_t pemlen)
{
	PGresult	*r;
	enum store_rc	 rc;

	pem[0] = '\0';
	if ((r = store_pg_run(s, &rc, PQ_ENC_CERT, "i", id)) == NULL)
		return rc;
	if (PQntuples(r) == 0)
		rc = STORE_NOTFOUND;
	else
		store_pg_copy(r, 0, 0, pem, pemlen);
	PQclear(r);
	return rc;
}

/*
 * RFC 6011 §2.4.1 trust on first use.  With may_pin, a device without a
 * pin gets sha256 as its pin; INSERT ... ON CONFLICT DO NOTHING lets one
 * of two racing instances win, and the other reads the winner's pin.
 */
static enum store_rc
store_pg_device_pin(struct store *s, int64_t device_id, const char *sha256,
    const char *subject, const char *addr, int may_pin,
    enum store_pin_result *result)
{
	PGresult	*r;
	enum store_rc	 rc;
	char		 have[65] = "";
	int		 changed = 0;

	if (may_pin) {
		if ((r = store_pg_run(s, &rc, PQ_PIN_INSERT, "issS", device_id,
		    sha256, subject, addr)) == NULL)
			return STORE_ERROR;
		changed = strtoll(PQcmdTuples(r), NULL, 10) > 0;
		PQclear(r);
	}
	if ((r = store_pg_run(s, &rc, PQ_PIN_GET, "i", device_id)) == NULL)
		return rc;
	if (PQntuples(r) > 0)
		store_pg_copy(r, 0, 0, have, sizeof(have));
	PQclear(r);
	if (have[0] == '\0')
		*result = PIN_NONE;
	else if (util_ct_streq(have, sha256))
		*result = changed ? PIN_NEW : PIN_MATCH;
	else
		*result = PIN_MISMATCH;
	return STORE_OK;
}

static enum store_rc
store_pg_device_unpin(struct store *s, int64_t device_id)
{
	return store_pg_exec_one(s, PQ_PIN_DELETE, "i", device_id);
}

/*
 * What is left NULL is not done yet on PostgreSQL: store.c answers
 * "not supported on PostgreSQL yet: <function>".
 */
static const struct store_ops store_pg_ops = {
	.name = "PostgreSQL",
	.seterr = store_pg_seterr,
	.close = store_pg_close,
	.errmsg = store_pg_errmsg,
	.schema_version = store_pg_schema_version,
	.begin = store_pg_begin,
	.commit = store_pg_commit,
	.rollback = store_pg_rollback,
	.read_begin = store_pg_read_begin,
	.read_end = store_pg_read_end,
	.mmap = store_pg_mmap,
	.cache = store_pg_cache,
	.data_version = store_pg_data_version,
	.last_delete = store_pg_last_delete,
	.meta_get = store_pg_meta_get,
	.meta_set = store_pg_meta_set,
	.device_by_sfua = store_pg_device_by_sfua,
	.device_by_mac = store_pg_device_by_mac,
	.user_by_name = store_pg_user_by_name,
	.device_lines = store_pg_device_lines,
	.template_select = store_pg_template_select,
	.template_by_name = store_pg_template_by_name,
	.vars_merge = store_pg_vars_merge,
	.device_by_token = store_pg_device_by_token,
	.device_by_id = store_pg_device_by_id,
	.changes_head = store_pg_changes_head,
	.changes_since = store_pg_changes_since,
	.active_ids = store_pg_active_ids,
	.changes_prune = store_pg_changes_prune,
	.notify_request = store_pg_notify_request,
	.subs_write = store_pg_subs_write,
	.subs_clear = store_pg_subs_clear,
	.subs_list = store_pg_subs_list,
	.profile_set_notify = store_pg_profile_set_notify,
	.checksync_devices = store_pg_checksync_devices,
	.checksync_target = store_pg_checksync_target,
	.checksync_request = store_pg_checksync_request,
	.checksync_list = store_pg_checksync_list,
	.checksync_set = store_pg_checksync_set,
	.profile_set_checksync = store_pg_profile_set_checksync,
	.device_enc_cert = store_pg_device_enc_cert,
	.device_set_key = store_pg_device_set_key,
	.profile_set_enc = store_pg_profile_set_enc,
	.audit_begin = store_pg_audit_begin,
	.audit_end = store_pg_audit_end,
	.audit_list = store_pg_audit_list,
	.device_history = store_pg_device_history,
	.path_rules = store_pg_path_rules,
	.path_rule_add = store_pg_path_rule_add,
	.path_rule_remove = store_pg_path_rule_remove,
	.path_rule_list = store_pg_path_rule_list,
	.seen_write = store_pg_seen_write,
	.device_enroll = store_pg_device_enroll,
	.enrolled_count = store_pg_enrolled_count,
	.enrolled_expire = store_pg_enrolled_expire,
	.domain_list = store_pg_domain_list,
	.domain_id = store_pg_domain_id,
	.domain_add = store_pg_domain_add,
	.domain_update = store_pg_domain_update,
	.domain_remove = store_pg_domain_remove,
	.user_set_domain = store_pg_user_set_domain,
	.users_rerealm = store_pg_users_rerealm,
	.device_duplicates = store_pg_device_duplicates,
	.device_duplicates_of = store_pg_device_duplicates_of,
	.device_pin = store_pg_device_pin,
	.device_unpin = store_pg_device_unpin,
	.device_add = store_pg_device_add,
	.device_update = store_pg_device_update,
	.device_remove = store_pg_device_remove,
	.device_list = store_pg_device_list,
	.device_each = store_pg_device_each,
	.device_elsewhere = store_pg_device_elsewhere,
	.device_show = store_pg_device_show,
	.user_add = store_pg_user_add,
	.user_passwd = store_pg_user_passwd,
	.user_set_otp = store_pg_user_set_otp,
	.user_otp_consume = store_pg_user_otp_consume,
	.user_remove = store_pg_user_remove,
	.user_list = store_pg_user_list,
	.profile_ensure = store_pg_profile_ensure,
	.profile_set_max_age = store_pg_profile_set_max_age,
	.profile_list = store_pg_profile_list,
	.line_add = store_pg_line_add,
	.line_remove = store_pg_line_remove,
	.line_list = store_pg_line_list,
	.template_put = store_pg_template_put,
	.template_remove = store_pg_template_remove,
	.template_list = store_pg_template_list,
	.var_set = store_pg_var_set,
	.var_unset = store_pg_var_unset,
	.var_list = store_pg_var_list,
	.bulk_tune = store_pg_bulk_tune,
	.bulk_new = store_pg_bulk_new,
	.bulk_free = store_pg_bulk_free,
	.bulk_domains = store_pg_bulk_domains,
	.bulk_profiles = store_pg_bulk_profiles,
	.bulk_device_get = store_pg_bulk_device_get,
	.bulk_device_insert = store_pg_bulk_device_insert,
	.bulk_user_add = store_pg_bulk_user_add,
	.bulk_lines = store_pg_bulk_lines,
	.bulk_vars = store_pg_bulk_vars,
	.bulk_mark = store_pg_bulk_mark,
	.bulk_sweep = store_pg_bulk_sweep,
	.bulk_quiet = store_pg_bulk_quiet,
	.bulk_touch = store_pg_bulk_touch,
	.bulk_summary = store_pg_bulk_summary,
	.bulk_ids = store_pg_bulk_ids,
	.bulk_columns = store_pg_bulk_columns,
	.bulk_export = store_pg_bulk_export,
};
