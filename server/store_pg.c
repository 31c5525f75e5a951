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
 * This file: the connection, its transactions and the helpers every part
 * uses; the request path is store_pg_read.c, the other daemon threads'
 * store_pg_notify.c, administration store_pg_admin.c, bulk import and
 * export store_pg_bulk.c, and every statement's text store_pg_sql.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
 * A connection that broke is made again (the database restarted, a
 * network cut) by the next call outside a transaction: the call that
 * found it broken failed, and so does every call of a transaction it
 * broke, until the caller's rollback.  Its statements are prepared anew
 * and its LISTEN is issued again.  While the database stays away, one
 * try a second: a worker's call fails at once in between (the client
 * gets its 503) instead of waiting on connect(2) each time.
 */
static uint64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
revive(struct store *s)
{
	uint64_t	 now;

	if (s->in_tx || PQstatus(s->conn) != CONNECTION_BAD)
		return;
	if ((now = now_ms()) < s->revive_ms)
		return;
	PQreset(s->conn);
	memset(s->prepared, 0, sizeof(s->prepared));
	if (PQstatus(s->conn) == CONNECTION_OK &&
	    command(s, s->setup, "reconnect") == 0) {
		s->revive_ms = 0;
		return;
	}
	seterr_conn(s, "PostgreSQL");
	s->revive_ms = now + 1000;
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
	revive(s);
	if (prepare(s, q) != 0)
		goto out;
	/*
	 * A write inside the caller's transaction: a savepoint, so that a
	 * refused write does not abort the rest (SQLite's behaviour).
	 */
	if (PQtransactionStatus(s->conn) == PQTRANS_INTRANS && !s->whole &&
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

/*
 * The URI with our defaults under it: a connection attempt gives up after
 * 5 s, and a TCP connection whose peer went silent (a network cut, a
 * machine lost) is found dead in about 25 s, not the kernel's two hours.
 * What the URI says itself wins (libpq: later keywords override).
 */
static PGconn *
connect_uri(const char *uri)
{
	static const char *const keys[] = { "connect_timeout",
	    "keepalives_idle", "keepalives_interval", "keepalives_count",
	    "tcp_user_timeout", "dbname", NULL };
	const char *vals[] = { "5", "10", "5", "3", "25000", uri, NULL };

	return PQconnectdbParams(keys, vals, 1);
}

struct store *
store_pg_open(const char *uri, int flags, int busy_ms, char *err,
    size_t errlen)
{
	struct store	*s;
	int		 ro = (flags & STORE_READONLY) != 0;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->ops = &store_pg_ops;
	s->conn = connect_uri(uri);
	if (s->conn == NULL || PQstatus(s->conn) != CONNECTION_OK) {
		seterr_conn(s, "PostgreSQL");
		goto fail;
	}
	PQsetNoticeProcessor(s->conn, quiet_notices, NULL);
	/* SQLite's busy timeout: how long a statement waits for a lock. */
	snprintf(s->setup, sizeof(s->setup), "SET lock_timeout = %d%s",
	    busy_ms > 0 ? busy_ms : 5000,
	    ro ? "; SET default_transaction_read_only = on" : "");
	if (command(s, s->setup, "open") != 0 ||
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
	revive(s);
	if (command(s, "BEGIN", "begin") != 0)
		return -1;
	s->in_tx = 1;
	return 0;
}

int
store_pg_commit(struct store *s)
{
	s->in_tx = 0;
	return command(s, "COMMIT", "commit");
}

void
store_pg_rollback(struct store *s)
{
	s->in_tx = 0;
	if (PQtransactionStatus(s->conn) != PQTRANS_IDLE)
		(void)command(s, "ROLLBACK", "rollback");
}

/* One snapshot for the reads between (SQLite's BEGIN DEFERRED). */
int
store_pg_read_begin(struct store *s)
{
	revive(s);
	if (command(s, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
	    "begin") != 0)
		return -1;
	s->in_tx = 1;
	return 0;
}

void
store_pg_read_end(struct store *s)
{
	s->in_tx = 0;
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

/* The one value of a statement without parameters; -1 on failure. */
int64_t
store_pg_scalar(struct store *s, enum pq q)
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

/*
 * LISTEN on this connection (store.h): the schema's trigger announces
 * each commit that writes the change log on sipcfg_changes.  Kept in
 * the session's set-up, so that a connection made again listens again.
 */
static int
store_pg_listen(struct store *s)
{
	size_t	 n = strlen(s->setup);

	if (s->listening)
		return 0;
	if (snprintf(s->setup + n, sizeof(s->setup) - n,
	    "; LISTEN sipcfg_changes") >= (int)(sizeof(s->setup) - n)) {
		s->setup[n] = '\0';
		snprintf(s->err, sizeof(s->err), "listen: set-up too long");
		return -1;
	}
	s->listening = 1;
	revive(s);
	return command(s, "LISTEN sipcfg_changes", "listen");
}

static int
store_pg_listen_fd(struct store *s)
{
	return PQstatus(s->conn) == CONNECTION_OK ? PQsocket(s->conn) : -1;
}

static int
store_pg_listen_take(struct store *s)
{
	PGnotify	*nf;
	int		 n = 0;

	if (PQstatus(s->conn) == CONNECTION_BAD) {
		revive(s);
		if (PQstatus(s->conn) == CONNECTION_BAD)
			return -1;
		n = 1;	/* what was missed is read from the change log */
	}
	if (!PQconsumeInput(s->conn)) {
		seterr_conn(s, "listen");
		/* libpq marks a connection it lost as bad: try again soon. */
		return -1;
	}
	while ((nf = PQnotifies(s->conn)) != NULL) {
		n++;
		PQfreemem(nf);
	}
	return n;
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
	.listen = store_pg_listen,
	.listen_fd = store_pg_listen_fd,
	.listen_take = store_pg_listen_take,
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
	.token_add = store_pg_token_add,
	.token_remove = store_pg_token_remove,
	.token_list = store_pg_token_list,
	.token_by_hash = store_pg_token_by_hash,
	.token_used = store_pg_token_used,
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
	.bulk_row = store_pg_bulk_row,
	.bulk_sync = store_pg_bulk_sync,
	.bulk_user_get = store_pg_bulk_user_get,
	.bulk_line_add = store_pg_bulk_line_add,
	.bulk_var_set = store_pg_bulk_var_set,
	.bulk_quiet = store_pg_bulk_quiet,
	.bulk_touch = store_pg_bulk_touch,
	.bulk_summary = store_pg_bulk_summary,
	.bulk_ids = store_pg_bulk_ids,
	.bulk_columns = store_pg_bulk_columns,
	.bulk_export = store_pg_bulk_export,
	.table_each = store_pg_table_each,
	.table_put = store_pg_table_put,
	.table_ids = store_pg_table_ids,
};
