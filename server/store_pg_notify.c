/*
 * store_pg_notify: the PostgreSQL store's side of the daemon's other
 * threads (issue 13): the bookkeeping writer's batches, enrolment, the
 * change log as the change feed reads it, the notifier's subscriptions
 * and check-sync targets, vendor path rules, trust-on-first-use pins.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "store.h"
#include "store_int.h"
#include "buf.h"
#include "store_pg_int.h"
#include "util.h"

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

/*
 * PostgreSQL array literals, one column of a batch each: text elements
 * quoted with '"' and '\\' escaped, so any byte but NUL goes through.
 */
#define COLS_SEEN	10
#define COLS_FETCH	5

static void
arr_int(struct buf *b, int64_t v)
{
	buf_printf(b, "%s%lld", b->len > 1 ? "," : "", (long long)v);
}

static void
arr_text(struct buf *b, const char *v)
{
	if (b->len > 1)
		buf_addc(b, ',');
	buf_addc(b, '"');
	for (; *v; v++) {
		if (*v == '"' || *v == '\\')
			buf_addc(b, '\\');
		buf_addc(b, *v);
	}
	buf_addc(b, '"');
}

static void
arr_open(struct buf *b, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		buf_init(&b[i], (size_t)64 << 20);
		buf_addc(&b[i], '{');
	}
}

/* Closes the arrays; -1 when one outgrew its bound or memory. */
static int
arr_close(struct buf *b, size_t n)
{
	size_t	 i;
	int	 ret = 0;

	for (i = 0; i < n; i++)
		if (buf_addc(&b[i], '}') != 0 || b[i].failed)
			ret = -1;
	return ret;
}

static void
arr_free(struct buf *b, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		buf_free(&b[i]);
}

/* What device_seen had for one device before this batch. */
struct seen_prev {
	int64_t	 id;
	char	 etag[sizeof(((struct store_seen *)0)->etag)];
	char	 addr[sizeof(((struct store_seen *)0)->addr)];
	int	 found;		/* the upsert found the device */
};

static int
prev_cmp(const void *a, const void *b)
{
	int64_t	 x = ((const struct seen_prev *)a)->id;
	int64_t	 y = ((const struct seen_prev *)b)->id;

	return x < y ? -1 : x > y;
}

static struct seen_prev *
prev_find(struct seen_prev *p, size_t n, int64_t id)
{
	struct seen_prev	 k;

	k.id = id;
	return bsearch(&k, p, n, sizeof(*p), prev_cmp);
}

/*
 * One transaction for the batch, as store_sqlite.c writes it: a device's
 * run of records makes one device_seen row, and history rows only for
 * answers that differ from the one before or went to a new address.
 * Three statements whatever the batch's size (issue 13 §3): the devices'
 * last answers, every device_seen upsert, every history row.
 */
int
store_pg_seen_write(struct store *s, const struct store_seen *rec, size_t n)
{
	const struct store_seen	**o = NULL, *last, *rev, *ua, *um, *f;
	struct seen_prev	*pv = NULL, *p;
	struct buf		 a[COLS_SEEN], h[COLS_FETCH], ids;
	const char		*pe, *pa;
	PGresult		*r = NULL;
	enum store_rc		 rc;
	size_t			 i, j, k, nd = 0, nh = 0;
	int			 ret = -1, row;

	arr_open(a, COLS_SEEN);
	arr_open(h, COLS_FETCH);
	arr_open(&ids, 1);
	if ((o = calloc(n ? n : 1, sizeof(*o))) == NULL ||
	    (pv = calloc(n ? n : 1, sizeof(*pv))) == NULL) {
		snprintf(s->err, sizeof(s->err), "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++)
		o[i] = &rec[i];
	qsort(o, n, sizeof(*o), seen_cmp);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && o[j]->device_id == o[i]->device_id;
		    j++)
			;
		pv[nd++].id = o[i]->device_id;
		arr_int(&ids, o[i]->device_id);
	}
	if (arr_close(&ids, 1) != 0) {
		snprintf(s->err, sizeof(s->err), "bookkeeping batch too big");
		goto out;
	}
	if (store_pg_begin(s) != 0)
		goto out;
	s->whole = 1;
	if ((r = store_pg_run(s, &rc, PQ_SEEN_LAST, "s", ids.data)) == NULL)
		goto fail;
	for (row = 0; row < PQntuples(r); row++)
		if ((p = prev_find(pv, nd, store_pg_int(r, row, 0))) != NULL) {
			store_pg_copy(r, row, 1, p->etag, sizeof(p->etag));
			store_pg_copy(r, row, 2, p->addr, sizeof(p->addr));
		}
	PQclear(r);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && o[j]->device_id == o[i]->device_id;
		    j++)
			;
		last = rev = ua = um = o[j - 1];
		/* As store_sqlite.c: the last revision, UA and model said. */
		for (k = j; k-- > i && (rev->revision[0] == '\0' ||
		    ua->ua[0] == '\0' || um->ua_model[0] == '\0'); ) {
			if (rev->revision[0] == '\0')
				rev = o[k];
			if (ua->ua[0] == '\0')
				ua = o[k];
			if (um->ua_model[0] == '\0')
				um = o[k];
		}
		arr_int(&a[0], last->device_id);
		arr_text(&a[1], rev->revision);
		arr_int(&a[2], (int64_t)last->when);
		arr_text(&a[3], last->etag);
		arr_text(&a[4], last->addr);
		arr_text(&a[5], ua->ua);
		arr_text(&a[6], um->ua_vendor);
		arr_text(&a[7], um->ua_model);
		arr_text(&a[8], um->ua_firmware);
		arr_int(&a[9], (int64_t)(j - i));
	}
	if (arr_close(a, COLS_SEEN) != 0) {
		snprintf(s->err, sizeof(s->err), "bookkeeping batch too big");
		goto fail;
	}
	if ((r = store_pg_run(s, &rc, PQ_SEEN, "ssssssssss", a[0].data,
	    a[1].data, a[2].data, a[3].data, a[4].data, a[5].data, a[6].data,
	    a[7].data, a[8].data, a[9].data)) == NULL)
		goto fail;
	/* A device removed since its fetch has no history to write. */
	for (row = 0; row < PQntuples(r); row++)
		if ((p = prev_find(pv, nd, store_pg_int(r, row, 0))) != NULL)
			p->found = 1;
	PQclear(r);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && o[j]->device_id == o[i]->device_id;
		    j++)
			;
		if ((p = prev_find(pv, nd, o[i]->device_id)) == NULL ||
		    !p->found)
			continue;
		pe = p->etag;
		pa = p->addr;
		for (k = i; k < j; k++) {
			f = o[k];
			if (strcmp(f->etag, pe) == 0 && strcmp(f->addr, pa) == 0)
				continue;
			arr_int(&h[0], f->device_id);
			arr_int(&h[1], (int64_t)f->when);
			arr_text(&h[2], f->etag);
			arr_text(&h[3], f->addr);
			arr_int(&h[4], f->secrets != 0);
			nh++;
			pe = f->etag;
			pa = f->addr;
		}
	}
	if (arr_close(h, COLS_FETCH) != 0) {
		snprintf(s->err, sizeof(s->err), "bookkeeping batch too big");
		goto fail;
	}
	if (nh > 0 && store_pg_exec(s, PQ_FETCH_LOG, "sssss", h[0].data,
	    h[1].data, h[2].data, h[3].data, h[4].data) != STORE_OK)
		goto fail;
	s->whole = 0;
	ret = store_pg_commit(s);
	goto out;
fail:
	s->whole = 0;
	store_pg_rollback(s);
out:
	arr_free(a, COLS_SEEN);
	arr_free(h, COLS_FETCH);
	arr_free(&ids, 1);
	free(o);
	free(pv);
	return ret;
}

enum store_rc
store_pg_device_enroll(struct store *s, int64_t domain_id,
    const char *sfua_id, const char *mac, const char *vendor,
    const char *model, const char *addr)
{
	return store_pg_exec(s, PQ_ENROLL, "ssssis", sfua_id, mac, vendor,
	    model, domain_id > 0 ? domain_id : (int64_t)STORE_DEFAULT_DOMAIN,
	    addr);
}

enum store_rc
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

enum store_rc
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

int64_t
store_pg_changes_head(struct store *s)
{
	return store_pg_scalar(s, PQ_CHANGES_HEAD);
}

enum store_rc
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

enum store_rc
store_pg_active_ids(struct store *s, int64_t after, int64_t *ids,
    size_t max, size_t *n, int64_t *max_id)
{
	PGresult	*r;
	enum store_rc	 rc;
	int		 i;

	*n = 0;
	if (max_id != NULL && (*max_id = store_pg_scalar(s, PQ_DEV_MAX_ID)) < 0) {
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

enum store_rc
store_pg_changes_prune(struct store *s, time_t before)
{
	return store_pg_exec(s, PQ_CHANGES_PRUNE, "i", (int64_t)before);
}

enum store_rc
store_pg_notify_request(struct store *s, int64_t device_id)
{
	return store_pg_exec(s, PQ_NOTIFY_REQ, "I", device_id);
}

int
store_pg_subs_write(struct store *s, const char *instance,
    const struct store_sub *r, size_t n)
{
	enum store_rc	 rc;
	size_t		 i;

	if (store_pg_begin(s) != 0)
		return -1;
	s->whole = 1;
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
			s->whole = 0;
			store_pg_rollback(s);
			return -1;
		}
	}
	s->whole = 0;
	return store_pg_commit(s);
}

int
store_pg_subs_clear(struct store *s, const char *instance)
{
	return store_pg_exec(s, PQ_SUB_CLEAR, "s", instance) == STORE_OK ?
	    0 : -1;
}

enum store_rc
store_pg_subs_list(struct store *s, const struct store_subs_filter *f,
    json_t **out)
{
	int64_t	 now = (int64_t)f->now;
	int64_t	 lim = f->limit >= 0 ? f->limit : -1;
	int64_t	 off = f->offset > 0 ? f->offset : 0;

	if (f->device_id >= 0)
		return store_pg_rows(s, out, PQ_SUB_LIST_DEV, "iIiisi", now,
		    lim, off, f->device_id, f->after_instance ?
		    f->after_instance : "", f->after_instance ?
		    f->after_local : (int64_t)-1);
	if (f->after_instance != NULL)
		return store_pg_rows(s, out, PQ_SUB_LIST_AFTER, "iIisi", now,
		    lim, off, f->after_instance, f->after_local);
	return store_pg_rows(s, out, PQ_SUB_LIST, "iIi", now, lim, off);
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

enum store_rc
store_pg_checksync_devices(struct store *s, int64_t *ids, size_t max,
    size_t *n)
{
	PGresult	*r;
	enum store_rc	 rc;

	r = store_pg_run(s, &rc, PQ_CS_DEVICES, "i", (int64_t)max);
	return ids_of(s, r, rc, ids, max, n);
}

enum store_rc
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

enum store_rc
store_pg_checksync_request(struct store *s, int64_t id, int reboot)
{
	return store_pg_exec(s, PQ_CS_REQUEST, "ii", id,
	    (int64_t)(reboot != 0));
}

enum store_rc
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

enum store_rc
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
enum store_rc
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

enum store_rc
store_pg_device_unpin(struct store *s, int64_t device_id)
{
	return store_pg_exec_one(s, PQ_PIN_DELETE, "i", device_id);
}
