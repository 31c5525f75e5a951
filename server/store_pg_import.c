/*
 * store_pg_import: an import's rows on PostgreSQL (issue 13).
 *
 * A statement (and a round trip) for every read and write of a row, ten
 * a device, took 25 minutes for a million devices.  Here a new device's
 * rows (its new user, the device, its lines, its variables) are staged
 * in memory as COPY text and sent IMPORT_ROWS devices at a time, one
 * COPY per table in the order of their references (users, devices,
 * their monitor tokens, lines, vars), inside the import's one
 * transaction.  Their ids are
 * taken from the tables' identities IMPORT_IDS at a time, so a staged
 * device's lines can name it.
 *
 * To know without asking that a device, a user or a device's variables
 * are new, the names the store held before are read once, on the first
 * row, each with one COPY ... TO STDOUT: the (domain, sfua-id) of every
 * device, every user's name, every sfua-id with device variables.  What
 * is there is read as before, one statement each (an import that
 * changes existing devices goes at the old pace); what is staged and
 * read again (a device named twice, a sfua-id in two domains) is sent
 * first.  The marks of store_bulk_mark() are kept here too and reach
 * the table bulk_named only for a sweep (--replace).
 *
 * A write the caller makes with store.h's own calls comes after
 * store_bulk_sync(): what is staged is sent, then the savepoint
 * sipcfg_bulk_row, once a row, so that a write the store refuses is
 * rolled back alone and the rows after it are still checked (every bad
 * row is listed).  Rows sent before it stay; the import is rolled back
 * whole anyway when any row is bad.
 *
 * A staged row that COPY refuses (a trigger, a constraint the file's
 * checks could not see, a device another writer added meanwhile) ends
 * the import: the transaction is broken, and the rows staged with it
 * with it.  The message names its line in the file, from the context
 * PostgreSQL gives ("COPY devices, line 7").
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "buf.h"
#include "store.h"
#include "store_pg_int.h"
#include "util.h"

#define IMPORT_ROWS	10000		/* new devices staged before sending */
#define IMPORT_BYTES	(8 << 20)	/* or COPY text, in any one table */
#define IMPORT_ROW_MAX	(16 << 20)	/* one row's text, at most */
#define IMPORT_IDS	4096		/* ids taken from an identity at once */

/* What a name is to the import. */
#define IN_STORE	0x1	/* there before the import began */
#define STAGED		0x2	/* written by the import (maybe not sent) */

struct name {
	struct name	*next;
	uint64_t	 h;
	unsigned	 flags;
	long		 line;		/* the first that named it, or 0 */
	int64_t		 id;		/* a staged user's */
	int64_t		 domain_id;
	char		*realm_ha1;	/* "realm\0md5\0sha256" */
	char		 key[];
};

struct names {
	struct name	**slot;
	size_t		 cap, n;
};

enum tab { T_USERS, T_DEVICES, T_MONITORS, T_LINES, T_VARS, T__COUNT };

static const char *const tab_name[T__COUNT] = {
	[T_USERS] = "users", [T_DEVICES] = "devices",
	[T_MONITORS] = "monitors", [T_LINES] = "lines", [T_VARS] = "vars"
};

static const char *const copy_sql[T__COUNT] = {
	[T_USERS] = "COPY users (id, name, realm, ha1_md5, ha1_sha256, "
	    "domain_id) FROM STDIN",
	[T_DEVICES] = "COPY devices (id, domain_id, sfua_id, mac, vendor, "
	    "model, label, state, user_id, profile_id) FROM STDIN",
	[T_MONITORS] = "COPY monitors (device_id, token) FROM STDIN",
	[T_LINES] = "COPY lines (device_id, position, aor, realm, username, "
	    "ha1, outbound_proxy, display_name, password_sealed) FROM STDIN",
	[T_VARS] = "COPY vars (layer, scope, name, value, secret) FROM STDIN"
};

struct staged {
	struct buf	 text;
	long		*lines;		/* each row's line in the file */
	size_t		 n, cap;
};

struct ids {
	int64_t		 v[IMPORT_IDS];
	size_t		 n, next;
};

struct pg_import {
	int		 loaded;
	/*
	 * The schema leaves the monitor tokens of an import's devices to
	 * it (sql/pg/schema.sql: devices_monitor); a store made before
	 * makes them itself.
	 */
	int		 tokens;
	unsigned char	 rnd[16 * 256];	/* random bytes for tokens */
	size_t		 nrnd;		/* used of them */
	struct names	 devices;	/* "<domain_id> <sfua-id>" */
	struct names	 users;		/* by name */
	struct names	 marked;	/* "<device id>": named, or staged */
	struct names	 scopes;	/* sfua-ids with device variables */
	struct staged	 t[T__COUNT];
	size_t		 ndevices;	/* staged, not sent */
	struct ids	 device_ids, user_ids;
	long		 line;		/* the row's (store_bulk_row()) */
	struct name	*fresh;		/* the row's sfua-id, no variables yet */
	int		 sp;		/* savepoint sipcfg_bulk_row taken */
	int		 sp_row;	/* ... by this row */
};

/* ---------------------------------------------------------- the names */

static struct name *
names_get(const struct names *m, const char *key)
{
	struct name	*e;
	uint64_t	 h = util_fnv1a(UTIL_FNV_BASIS, key);

	if (m->cap == 0)
		return NULL;
	for (e = m->slot[h & (m->cap - 1)]; e != NULL; e = e->next)
		if (e->h == h && strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

/* key's entry, made (flags 0) when there is none; NULL without memory. */
static struct name *
names_put(struct names *m, const char *key)
{
	struct name	*e, **ns, *nx;
	uint64_t	 h;
	size_t		 i, cap, len;

	if ((e = names_get(m, key)) != NULL)
		return e;
	if (m->n >= m->cap) {
		cap = m->cap ? m->cap * 2 : 1024;
		if ((ns = calloc(cap, sizeof(*ns))) == NULL)
			return NULL;
		for (i = 0; i < m->cap; i++)
			for (e = m->slot[i]; e != NULL; e = nx) {
				nx = e->next;
				e->next = ns[e->h & (cap - 1)];
				ns[e->h & (cap - 1)] = e;
			}
		free(m->slot);
		m->slot = ns;
		m->cap = cap;
	}
	len = strlen(key);
	if ((e = calloc(1, sizeof(*e) + len + 1)) == NULL)
		return NULL;
	memcpy(e->key, key, len + 1);
	h = e->h = util_fnv1a(UTIL_FNV_BASIS, key);
	e->next = m->slot[h & (m->cap - 1)];
	m->slot[h & (m->cap - 1)] = e;
	m->n++;
	return e;
}

static void
names_free(struct names *m)
{
	struct name	*e, *nx;
	size_t		 i;

	for (i = 0; i < m->cap; i++)
		for (e = m->slot[i]; e != NULL; e = nx) {
			nx = e->next;
			if (e->realm_ha1 != NULL) {
				util_wipe(e->realm_ha1, strlen(e->realm_ha1));
				free(e->realm_ha1);
			}
			free(e);
		}
	free(m->slot);
	memset(m, 0, sizeof(*m));
}

static enum store_rc
oom(struct store_bulk *b)
{
	snprintf(b->s->err, sizeof(b->s->err), "out of memory");
	return STORE_ERROR;
}

/* ------------------------------------------------ what the store held */

/* COPY text (PostgreSQL's "COPY" text format): the escapes undone. */
static void
unescape(char *s)
{
	char	*o = s;

	for (; *s && *s != '\n'; s++) {
		if (*s != '\\' || s[1] == '\0') {
			*o++ = *s;
			continue;
		}
		switch (*++s) {
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'v': *o++ = '\v'; break;
		default: *o++ = *s; break;
		}
	}
	*o = '\0';
}

/* Every row of a one-column COPY ... TO STDOUT into m, with flags. */
static enum store_rc
load(struct store_bulk *b, const char *sql, struct names *m, unsigned flags)
{
	PGconn		*c = b->s->conn;
	PGresult	*r;
	struct name	*e;
	enum store_rc	 rc = STORE_OK;
	char		*row;
	int		 n;

	r = PQexec(c, sql);
	if (r == NULL || PQresultStatus(r) != PGRES_COPY_OUT) {
		rc = store_pg_fail(b->s, r, "import");
		PQclear(r);
		return rc;
	}
	PQclear(r);
	while ((n = PQgetCopyData(c, &row, 0)) > 0) {
		if (rc == STORE_OK) {
			unescape(row);
			if ((e = names_put(m, row)) == NULL)
				rc = oom(b);
			else
				e->flags |= flags;
		}
		PQfreemem(row);
	}
	while ((r = PQgetResult(c)) != NULL) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK && rc == STORE_OK)
			rc = store_pg_fail(b->s, r, "import");
		PQclear(r);
	}
	if (n == -2 && rc == STORE_OK)
		rc = store_pg_fail(b->s, NULL, "import");
	return rc;
}

static enum store_rc
loaded(struct store_bulk *b)
{
	struct pg_import	*im = b->im;
	PGresult		*r;
	enum store_rc		 rc;

	if (im->loaded)
		return STORE_OK;
	if ((rc = load(b, "COPY (SELECT domain_id || ' ' || sfua_id FROM "
	    "devices) TO STDOUT", &im->devices, IN_STORE)) != STORE_OK ||
	    (rc = load(b, "COPY (SELECT name FROM users) TO STDOUT",
	    &im->users, IN_STORE)) != STORE_OK ||
	    (rc = load(b, "COPY (SELECT DISTINCT scope FROM vars WHERE "
	    "layer = 'device') TO STDOUT", &im->scopes, IN_STORE)) !=
	    STORE_OK)
		return rc;
	r = PQexec(b->s->conn, "SELECT count(*) FROM pg_trigger WHERE "
	    "tgname = 'devices_monitor' AND tgrelid = 'devices'::regclass");
	if (r == NULL || PQresultStatus(r) != PGRES_TUPLES_OK) {
		rc = store_pg_fail(b->s, r, "import");
		PQclear(r);
		return rc;
	}
	im->tokens = store_pg_int(r, 0, 0) > 0;
	PQclear(r);
	im->nrnd = sizeof(im->rnd);
	im->loaded = 1;
	return STORE_OK;
}

/* ------------------------------------------------------------ staging */

/* One field of COPY text; NULL is \N. */
static void
field(struct buf *o, const char *v, int last)
{
	const char	*p, *run;

	if (v == NULL)
		buf_add(o, "\\N", 2);
	else {
		for (p = run = v; *p; p++) {
			const char *esc;

			switch (*p) {
			case '\\': esc = "\\\\"; break;
			case '\n': esc = "\\n"; break;
			case '\r': esc = "\\r"; break;
			case '\t': esc = "\\t"; break;
			default: continue;
			}
			buf_add(o, run, (size_t)(p - run));
			buf_add(o, esc, 2);
			run = p + 1;
		}
		buf_add(o, run, (size_t)(p - run));
	}
	buf_addc(o, last ? '\n' : '\t');
}

static void
field_int(struct buf *o, int64_t v, int last)
{
	char	 n[24];

	snprintf(n, sizeof(n), "%lld", (long long)v);
	field(o, v < 0 ? NULL : n, last);
}

/* "" is NULL, as the 'S' of store_pg_run(). */
static const char *
null_if_empty(const char *s)
{
	return s != NULL && *s ? s : NULL;
}

/* The row just written into t: its line, and the buffer's health. */
static enum store_rc
staged_row(struct store_bulk *b, enum tab t)
{
	struct staged	*st = &b->im->t[t];
	long		*l;
	size_t		 cap;

	if (st->text.failed)
		return oom(b);
	if (st->n == st->cap) {
		cap = st->cap ? st->cap * 2 : 1024;
		if ((l = reallocarray(st->lines, cap, sizeof(*l))) == NULL)
			return oom(b);
		st->lines = l;
		st->cap = cap;
	}
	st->lines[st->n++] = b->im->line;
	return STORE_OK;
}

/* The next id of table's identity, IMPORT_IDS taken at a time. */
static enum store_rc
next_id(struct store_bulk *b, struct ids *q, const char *table, int64_t *id)
{
	PGresult	*r;
	enum store_rc	 rc = STORE_OK;
	char		 sql[160];
	int		 i;

	if (q->next == q->n) {
		/* The table's name is ours, never a file's. */
		snprintf(sql, sizeof(sql), "SELECT nextval(pg_get_serial_"
		    "sequence('%s', 'id')) FROM generate_series(1, %d)",
		    table, IMPORT_IDS);
		r = PQexec(b->s->conn, sql);
		if (r == NULL || PQresultStatus(r) != PGRES_TUPLES_OK ||
		    PQntuples(r) != IMPORT_IDS)
			rc = store_pg_fail(b->s, r, table);
		else
			for (i = 0; i < IMPORT_IDS; i++)
				q->v[i] = store_pg_int(r, i, 0);
		PQclear(r);
		if (rc != STORE_OK)
			return rc;
		q->n = IMPORT_IDS;
		q->next = 0;
	}
	*id = q->v[q->next++];
	return STORE_OK;
}

/* The file line of the row COPY refused, from its context; else 0. */
static long
refused_line(const struct staged *st, const PGresult *r, enum tab t)
{
	const char	*ctx = PQresultErrorField(r, PG_DIAG_CONTEXT), *p;
	char		 pat[32];
	long		 n;

	if (ctx == NULL)
		return 0;
	snprintf(pat, sizeof(pat), "COPY %s, line ", tab_name[t]);
	if ((p = strstr(ctx, pat)) == NULL)
		return 0;
	n = strtol(p + strlen(pat), NULL, 10);
	return n >= 1 && (size_t)n <= st->n ? st->lines[n - 1] : 0;
}

/* Send table t's staged rows with one COPY. */
static enum store_rc
send_table(struct store_bulk *b, enum tab t)
{
	struct staged	*st = &b->im->t[t];
	PGconn		*c = b->s->conn;
	PGresult	*r;
	enum store_rc	 rc = STORE_OK;
	char		 why[sizeof(b->s->err)];
	long		 line;

	r = PQexec(c, copy_sql[t]);
	if (r == NULL || PQresultStatus(r) != PGRES_COPY_IN) {
		rc = store_pg_fail(b->s, r, tab_name[t]);
		PQclear(r);
		return rc;
	}
	PQclear(r);
	if (PQputCopyData(c, st->text.data, (int)st->text.len) != 1 ||
	    PQputCopyEnd(c, NULL) != 1)
		rc = store_pg_fail(b->s, NULL, tab_name[t]);
	while ((r = PQgetResult(c)) != NULL) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK && rc == STORE_OK) {
			line = refused_line(st, r, t);
			(void)store_pg_fail(b->s, r, tab_name[t]);
			snprintf(why, sizeof(why), "%s", b->s->err);
			if (line > 0)
				snprintf(b->s->err, sizeof(b->s->err), "the "
				    "store refused line %ld: %s", line, why);
			else
				snprintf(b->s->err, sizeof(b->s->err), "the "
				    "store refused a row: %s", why);
			/* The rows staged with it are gone: the end. */
			rc = STORE_ERROR;
		}
		PQclear(r);
	}
	buf_reset(&st->text);
	st->n = 0;
	return rc;
}

/* A transaction a refused write broke: back to the row's savepoint. */
static enum store_rc
ready(struct store_bulk *b)
{
	PGresult	*r;
	enum store_rc	 rc = STORE_OK;

	if (PQtransactionStatus(b->s->conn) != PQTRANS_INERROR)
		return STORE_OK;
	if (!b->im->sp) {
		snprintf(b->s->err, sizeof(b->s->err), "the import's "
		    "transaction failed");
		return STORE_ERROR;
	}
	r = PQexec(b->s->conn, "ROLLBACK TO SAVEPOINT sipcfg_bulk_row; "
	    "RELEASE SAVEPOINT sipcfg_bulk_row");
	if (r == NULL || PQresultStatus(r) != PGRES_COMMAND_OK)
		rc = store_pg_fail(b->s, r, "savepoint");
	PQclear(r);
	b->im->sp = 0;
	return rc == STORE_OK ? STORE_OK : STORE_ERROR;
}

/* Send everything staged, in the order of the tables' references. */
enum store_rc
store_pg_import_flush(struct store_bulk *b)
{
	enum store_rc	 rc;
	int		 t;

	if (b->im == NULL)
		return STORE_OK;
	if ((rc = ready(b)) != STORE_OK)
		return rc;
	for (t = 0; t < T__COUNT; t++)
		if (b->im->t[t].n > 0 && (rc = send_table(b, t)) != STORE_OK)
			return rc;
	b->im->ndevices = 0;
	return STORE_OK;
}

/* ------------------------------------------------------------ the rows */

static struct pg_import *
import_new(struct store_bulk *b)
{
	struct pg_import	*im;
	int			 t;

	if (b->im != NULL)
		return b->im;
	if ((im = calloc(1, sizeof(*im))) == NULL)
		return NULL;
	for (t = 0; t < T__COUNT; t++)
		buf_init(&im->t[t].text, IMPORT_BYTES + IMPORT_ROW_MAX);
	b->im = im;
	return im;
}

void
store_pg_import_free(struct store_bulk *b)
{
	struct pg_import	*im = b->im;
	int			 t;

	if (im == NULL)
		return;
	names_free(&im->devices);
	names_free(&im->users);
	names_free(&im->marked);
	names_free(&im->scopes);
	for (t = 0; t < T__COUNT; t++) {
		/* Staged users' and lines' HA1s and sealed passwords. */
		if (im->t[t].text.data != NULL)
			util_wipe(im->t[t].text.data, im->t[t].text.cap);
		buf_free(&im->t[t].text);
		free(im->t[t].lines);
	}
	free(im);
	b->im = NULL;
}

enum store_rc
store_pg_bulk_row(struct store_bulk *b, long line)
{
	struct pg_import	*im;
	int			 t;

	if ((im = import_new(b)) == NULL)
		return oom(b);
	im->line = line;
	im->fresh = NULL;
	im->sp_row = 0;
	if (im->ndevices >= IMPORT_ROWS)
		return store_pg_import_flush(b);
	for (t = 0; t < T__COUNT; t++)
		if (im->t[t].text.len >= IMPORT_BYTES)
			return store_pg_import_flush(b);
	return loaded(b);
}

/* Before a write of store.h's own: staged rows sent, the savepoint. */
enum store_rc
store_pg_bulk_sync(struct store_bulk *b)
{
	PGresult	*r;
	enum store_rc	 rc;
	const char	*sql;

	if ((rc = store_pg_import_flush(b)) != STORE_OK)
		return rc;
	if (b->im == NULL || b->im->sp_row ||
	    PQtransactionStatus(b->s->conn) == PQTRANS_IDLE)
		return STORE_OK;	/* not in a transaction: no savepoint */
	sql = b->im->sp ? "RELEASE SAVEPOINT sipcfg_bulk_row; "
	    "SAVEPOINT sipcfg_bulk_row" : "SAVEPOINT sipcfg_bulk_row";
	r = PQexec(b->s->conn, sql);
	if (r == NULL || PQresultStatus(r) != PGRES_COMMAND_OK)
		rc = store_pg_fail(b->s, r, "savepoint");
	PQclear(r);
	if (rc != STORE_OK)
		return STORE_ERROR;
	b->im->sp = b->im->sp_row = 1;
	return STORE_OK;
}

/* Called before each row's reads: the names loaded, a failure undone. */
static enum store_rc
begin_read(struct store_bulk *b)
{
	enum store_rc	 rc;

	if (import_new(b) == NULL)
		return oom(b);
	if ((rc = loaded(b)) != STORE_OK)
		return rc;
	return ready(b);
}

void
store_pg_bulk_device_cols(const PGresult *r, int i, struct store_bulk_device *d)
{
	memset(d, 0, sizeof(*d));
	d->id = store_pg_int(r, i, 0);
	d->domain_id = store_pg_int(r, i, 1);
	store_pg_copy(r, i, 2, d->domain, sizeof(d->domain));
	store_pg_copy(r, i, 3, d->sfua_id, sizeof(d->sfua_id));
	store_pg_copy(r, i, 4, d->mac, sizeof(d->mac));
	store_pg_copy(r, i, 5, d->vendor, sizeof(d->vendor));
	store_pg_copy(r, i, 6, d->model, sizeof(d->model));
	store_pg_copy(r, i, 7, d->label, sizeof(d->label));
	store_pg_copy(r, i, 8, d->state, sizeof(d->state));
	store_pg_copy(r, i, 9, d->user, sizeof(d->user));
	store_pg_copy(r, i, 10, d->profile, sizeof(d->profile));
}

static void
device_key(char *k, size_t len, int64_t domain_id, const char *sfua_id)
{
	snprintf(k, len, "%lld %s", (long long)domain_id, sfua_id);
}

enum store_rc
store_pg_bulk_device_get(struct store_bulk *b, int64_t domain_id,
    const char *sfua_id, struct store_bulk_device *d)
{
	PGresult	*r;
	struct name	*e;
	enum store_rc	 rc;
	char		 k[STORE_SFUA_ID_MAX + 24];

	if ((rc = begin_read(b)) != STORE_OK)
		return rc;
	device_key(k, sizeof(k), domain_id, sfua_id);
	if ((e = names_get(&b->im->devices, k)) == NULL)
		return STORE_NOTFOUND;
	/* Named twice in the file: the first is read back. */
	if ((e->flags & STAGED) && (rc = store_pg_import_flush(b)) !=
	    STORE_OK)
		return rc;
	if ((r = store_pg_run(b->s, &rc, PQ_B_DEV_GET, "is", domain_id,
	    sfua_id)) == NULL)
		return rc;
	if (PQntuples(r) == 0)
		rc = STORE_NOTFOUND;
	else
		store_pg_bulk_device_cols(r, 0, d);
	PQclear(r);
	return rc;
}

enum store_rc
store_pg_bulk_device_insert(struct store_bulk *b,
    const struct store_bulk_device *d, int64_t user_id, int64_t profile_id,
    int64_t *id)
{
	struct pg_import	*im;
	struct buf		*o;
	struct name		*e, *m;
	enum store_rc		 rc;
	char			 k[STORE_SFUA_ID_MAX + 24], ik[24], token[33];

	if ((im = import_new(b)) == NULL)
		return oom(b);
	if ((rc = next_id(b, &im->device_ids, "devices", id)) != STORE_OK)
		return rc;
	device_key(k, sizeof(k), d->domain_id, d->sfua_id);
	snprintf(ik, sizeof(ik), "%lld", (long long)*id);
	if ((e = names_put(&im->devices, k)) == NULL ||
	    (m = names_put(&im->marked, ik)) == NULL)
		return oom(b);
	e->flags |= STAGED;
	m->flags |= STAGED;
	o = &im->t[T_DEVICES].text;
	field_int(o, *id, 0);
	field_int(o, d->domain_id, 0);
	field(o, d->sfua_id, 0);
	field(o, null_if_empty(d->mac), 0);
	field(o, null_if_empty(d->vendor), 0);
	field(o, null_if_empty(d->model), 0);
	field(o, null_if_empty(d->label), 0);
	field(o, *d->state ? d->state : "active", 0);
	field_int(o, user_id > 0 ? user_id : -1, 0);
	field_int(o, profile_id > 0 ? profile_id : -1, 1);
	im->ndevices++;
	if ((rc = staged_row(b, T_DEVICES)) != STORE_OK || !im->tokens)
		return rc;
	/* Its monitor token: 128 random bits, as gen_random_uuid()'s. */
	if (im->nrnd == sizeof(im->rnd)) {
		if (util_random(im->rnd, sizeof(im->rnd)) != 0) {
			snprintf(b->s->err, sizeof(b->s->err), "no random "
			    "bytes for monitor tokens");
			return STORE_ERROR;
		}
		im->nrnd = 0;
	}
	util_hex(im->rnd + im->nrnd, 16, token);
	im->nrnd += 16;
	o = &im->t[T_MONITORS].text;
	field_int(o, *id, 0);
	field(o, token, 1);
	return staged_row(b, T_MONITORS);
}

enum store_rc
store_pg_bulk_user_add(struct store_bulk *b, const char *name,
    const char *realm, const char *md5, const char *sha256,
    int64_t domain_id, int64_t *id)
{
	struct pg_import	*im;
	struct buf		*o;
	struct name		*e;
	enum store_rc		 rc;
	size_t			 lr = strlen(realm), lm = strlen(md5);
	size_t			 ls = strlen(sha256);

	if ((im = import_new(b)) == NULL)
		return oom(b);
	if ((rc = next_id(b, &im->user_ids, "users", id)) != STORE_OK)
		return rc;
	if ((e = names_put(&im->users, name)) == NULL)
		return oom(b);
	free(e->realm_ha1);
	if ((e->realm_ha1 = malloc(lr + lm + ls + 3)) == NULL)
		return oom(b);
	memcpy(e->realm_ha1, realm, lr + 1);
	memcpy(e->realm_ha1 + lr + 1, md5, lm + 1);
	memcpy(e->realm_ha1 + lr + lm + 2, sha256, ls + 1);
	e->flags |= STAGED;
	e->id = *id;
	e->domain_id = domain_id;
	o = &im->t[T_USERS].text;
	field_int(o, *id, 0);
	field(o, name, 0);
	field(o, realm, 0);
	field(o, md5, 0);
	field(o, sha256, 0);
	field_int(o, domain_id, 1);
	return staged_row(b, T_USERS);
}

enum store_rc
store_pg_bulk_user_get(struct store_bulk *b, const char *name,
    struct store_user *u)
{
	struct name	*e;
	enum store_rc	 rc;
	const char	*p;

	if ((rc = begin_read(b)) != STORE_OK)
		return rc;
	if ((e = names_get(&b->im->users, name)) == NULL ||
	    !(e->flags & (IN_STORE | STAGED)))
		return STORE_NOTFOUND;
	if (!(e->flags & STAGED))
		return store_pg_user_by_name(b->s, name, u);
	/* Added by this import: as it was staged. */
	memset(u, 0, sizeof(*u));
	u->id = e->id;
	u->domain_id = e->domain_id;
	snprintf(u->name, sizeof(u->name), "%s", name);
	p = e->realm_ha1;
	snprintf(u->realm, sizeof(u->realm), "%s", p);
	p += strlen(p) + 1;
	snprintf(u->ha1_md5, sizeof(u->ha1_md5), "%s", p);
	p += strlen(p) + 1;
	snprintf(u->ha1_sha256, sizeof(u->ha1_sha256), "%s", p);
	return STORE_OK;
}

/* Is device id one this import staged? */
static int
staged_device(const struct store_bulk *b, int64_t id)
{
	const struct name	*m;
	char			 k[24];

	if (b->im == NULL)
		return 0;
	snprintf(k, sizeof(k), "%lld", (long long)id);
	return (m = names_get(&b->im->marked, k)) != NULL &&
	    (m->flags & STAGED);
}

enum store_rc
store_pg_bulk_lines(struct store_bulk *b, int64_t device_id, json_t **out)
{
	PGresult	*r;
	json_t		*arr, *l;
	enum store_rc	 rc;
	int		 i;

	*out = NULL;
	if ((rc = begin_read(b)) != STORE_OK)
		return rc;
	/* A device of this import has only the lines it staged: none yet. */
	if (staged_device(b, device_id))
		return (*out = json_array()) != NULL ? STORE_OK : oom(b);
	if ((r = store_pg_run(b->s, &rc, PQ_B_LINES, "i", device_id)) == NULL)
		return rc;
	if ((arr = json_array()) == NULL)
		goto fail;
	for (i = 0; i < PQntuples(r); i++) {
		l = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
		    "position", (json_int_t)store_pg_int(r, i, 0),
		    "aor", PQgetvalue(r, i, 1), "realm", PQgetvalue(r, i, 2),
		    "username", PQgetvalue(r, i, 3), "ha1", PQgetvalue(r, i, 4),
		    "proxy", PQgetvalue(r, i, 5), "display", PQgetvalue(r, i, 6),
		    "password_sealed", PQgetvalue(r, i, 7));
		if (l == NULL || json_array_append_new(arr, l) != 0) {
			json_decref(arr);
			goto fail;
		}
	}
	PQclear(r);
	*out = arr;
	return STORE_OK;
fail:
	PQclear(r);
	return oom(b);
}

static const char *
jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

enum store_rc
store_pg_bulk_line_add(struct store_bulk *b, int64_t device_id,
    const json_t *f)
{
	struct buf	*o;
	json_t		*pos = json_object_get(f, "position");
	enum store_rc	 rc;

	if (!staged_device(b, device_id) || !json_is_integer(pos) ||
	    json_integer_value(pos) < 1) {
		if ((rc = store_pg_bulk_sync(b)) != STORE_OK)
			return rc;
		return store_line_add(b->s, device_id, f);
	}
	o = &b->im->t[T_LINES].text;
	field_int(o, device_id, 0);
	field_int(o, json_integer_value(pos), 0);
	field(o, jstr(f, "aor"), 0);
	field(o, jstr(f, "realm"), 0);
	field(o, jstr(f, "username"), 0);
	field(o, jstr(f, "ha1"), 0);
	field(o, null_if_empty(jstr(f, "outbound_proxy")), 0);
	field(o, null_if_empty(jstr(f, "display_name")), 0);
	field(o, null_if_empty(jstr(f, "password_sealed")), 1);
	return staged_row(b, T_LINES);
}

enum store_rc
store_pg_bulk_vars(struct store_bulk *b, const char *sfua_id, json_t **out)
{
	PGresult	*r;
	struct name	*e;
	json_t		*o, *v;
	enum store_rc	 rc;
	int		 i;

	*out = NULL;
	if ((rc = begin_read(b)) != STORE_OK)
		return rc;
	if ((e = names_put(&b->im->scopes, sfua_id)) == NULL)
		return oom(b);
	if (e->flags == 0) {
		/* None in the store, none staged: this row's to stage. */
		b->im->fresh = e;
		return (*out = json_object()) != NULL ? STORE_OK : oom(b);
	}
	if ((e->flags & STAGED) && (rc = store_pg_import_flush(b)) !=
	    STORE_OK)
		return rc;
	if ((r = store_pg_run(b->s, &rc, PQ_B_VARS, "s", sfua_id)) == NULL)
		return rc;
	if ((o = json_object()) == NULL) {
		PQclear(r);
		return oom(b);
	}
	for (i = 0; i < PQntuples(r); i++) {
		if ((v = json_loads(PQgetvalue(r, i, 1), JSON_DECODE_ANY,
		    NULL)) == NULL)
			v = json_null();
		json_object_set_new(o, PQgetvalue(r, i, 0), v);
	}
	PQclear(r);
	*out = o;
	return STORE_OK;
}

enum store_rc
store_pg_bulk_var_set(struct store_bulk *b, const char *sfua_id,
    const char *name, const char *json)
{
	struct buf	*o;
	enum store_rc	 rc;

	if (b->im == NULL || b->im->fresh == NULL ||
	    strcmp(b->im->fresh->key, sfua_id) != 0) {
		if ((rc = store_pg_bulk_sync(b)) != STORE_OK)
			return rc;
		return store_var_set(b->s, "device", sfua_id, name, json, 0);
	}
	b->im->fresh->flags |= STAGED;
	o = &b->im->t[T_VARS].text;
	field(o, "device", 0);
	field(o, sfua_id, 0);
	field(o, name, 0);
	field(o, json, 0);
	field(o, "0", 1);
	return staged_row(b, T_VARS);
}

enum store_rc
store_pg_bulk_mark(struct store_bulk *b, char kind, int64_t id,
    const char *name, long line, long *first)
{
	struct pg_import	*im;
	struct name		*e;
	char			 k[24];

	if ((im = import_new(b)) == NULL)
		return oom(b);
	if (kind == 'd') {
		snprintf(k, sizeof(k), "%lld", (long long)id);
		e = names_put(&im->marked, k);
	} else if (kind == 'u' && name != NULL)
		e = names_put(&im->users, name);
	else {
		snprintf(b->s->err, sizeof(b->s->err), "mark: kind %c", kind);
		return STORE_ERROR;
	}
	if (e == NULL)
		return oom(b);
	if (e->line > 0) {
		*first = e->line;
		return STORE_EXISTS;
	}
	e->line = line;
	return STORE_OK;
}

/* --replace: every device the file did not name goes. */
enum store_rc
store_pg_bulk_sweep(struct store_bulk *b, long long *n)
{
	PGconn		*c = b->s->conn;
	PGresult	*r;
	struct buf	 o;
	struct name	*e;
	enum store_rc	 rc;
	size_t		 i;
	int		 j;

	*n = 0;
	if ((rc = store_pg_import_flush(b)) != STORE_OK)
		return rc;
	/* The devices named, into bulk_named for the statement below. */
	buf_init(&o, SIZE_MAX / 2);
	for (i = 0; b->im != NULL && i < b->im->marked.cap; i++)
		for (e = b->im->marked.slot[i]; e != NULL; e = e->next)
			if (e->line > 0) {
				field(&o, "d", 0);
				field(&o, e->key, 0);
				field_int(&o, e->line, 1);
			}
	if (o.failed) {
		buf_free(&o);
		return oom(b);
	}
	if (o.len > 0) {
		r = PQexec(c, "COPY bulk_named (kind, key, line) FROM STDIN");
		if (r == NULL || PQresultStatus(r) != PGRES_COPY_IN)
			rc = store_pg_fail(b->s, r, "sweep");
		PQclear(r);
		if (rc == STORE_OK && (PQputCopyData(c, o.data, (int)o.len) !=
		    1 || PQputCopyEnd(c, NULL) != 1))
			rc = store_pg_fail(b->s, NULL, "sweep");
		while ((r = PQgetResult(c)) != NULL) {
			if (PQresultStatus(r) != PGRES_COMMAND_OK &&
			    rc == STORE_OK)
				rc = store_pg_fail(b->s, r, "sweep");
			PQclear(r);
		}
	}
	buf_free(&o);
	if (rc != STORE_OK)
		return rc;
	if ((r = store_pg_run(b->s, &rc, PQ_B_SWEEP, "")) == NULL)
		return rc;
	for (j = 0; j < PQntuples(r); j++) {
		if (store_pg_bulk_touch(b, BULK_DEVICE_REMOVED,
		    store_pg_int(r, j, 0)) != STORE_OK) {
			PQclear(r);
			return STORE_ERROR;
		}
		(*n)++;
	}
	PQclear(r);
	return STORE_OK;
}
