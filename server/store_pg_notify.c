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
int
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
	s->whole = 1;
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
	s->whole = 0;
	return store_pg_commit(s);
fail:
	free(o);
	s->whole = 0;
	store_pg_rollback(s);
	return -1;
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
