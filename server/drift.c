/*
 * drift: which devices are not on their current configuration (issue 14
 * §5); drift.h says what each reason means.  Devices are taken a batch
 * of ids at a time, never all at once, and rendered with a resource of
 * the scan's own whose cache holds nothing (a million devices are not
 * kept in memory); a store of a million devices takes as long as
 * rendering each once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "drift.h"
#include "request.h"
#include "resource.h"
#include "store.h"

#define DRIFT_BATCH	512

static time_t
jtime(const json_t *o, const char *k)
{
	const json_t	*v = json_object_get(o, k);

	return json_is_integer(v) ? (time_t)json_integer_value(v) : 0;
}

/* Does a sipcfgd hold a live subscription of device id? -1: error. */
static int
subscribed(struct store *st, int64_t id, time_t now)
{
	struct store_subs_filter	 f;
	json_t				*subs;
	int				 n;

	memset(&f, 0, sizeof(f));
	f.device_id = id;
	f.now = now;
	f.limit = 1;
	if (store_subs_list(st, &f, &subs) != STORE_OK)
		return -1;
	n = json_array_size(subs) > 0;
	json_decref(subs);
	return n;
}

/*
 * One device: its row for fn when it drifts (why 0 when it does not).
 * 0, > 0 when fn has enough, -1 with the reason in err.
 */
static int
one(struct store *st, struct resource *res, const struct drift_opts *o,
    const struct store_device *d, drift_fn fn, void *arg, char *err,
    size_t errlen)
{
	struct drift_row	 row;
	struct cfg_request	 q;
	const struct rendered	*r;
	json_t			*show = NULL;
	const char		*fetched;
	char			 reason[256];
	enum notify_mode	 mode;
	int			 live, ret = -1;

	if (store_device_show(st, d->id, &show) != STORE_OK) {
		snprintf(err, errlen, "device %s: %s", d->sfua_id,
		    store_errmsg(st));
		return -1;
	}
	memset(&row, 0, sizeof(row));
	row.d = d;
	row.last_fetch = jtime(show, "last_fetch");
	fetched = json_string_value(json_object_get(show, "last_etag"));
	row.etag_fetched = fetched ? fetched : "";

	/* As its next fetch would be answered (resource.c's key). */
	memset(&q, 0, sizeof(q));
	snprintf(q.sfua_id, sizeof(q.sfua_id), "%s", d->sfua_id);
	snprintf(q.mac, sizeof(q.mac), "%s", d->mac);
	snprintf(q.revision, sizeof(q.revision), "%s", d->revision);
	q.domain_id = d->domain_id;
	if (resource_render(res, d, &q, d->state != DEVICE_PENDING, &r,
	    reason, sizeof(reason)) != RES_OK) {
		row.why = DRIFT_BROKEN;
		row.etag_now = reason;
		row.since = jtime(show, "updated");
	} else {
		row.etag_now = r->etag;
		row.max_age = r->max_age;
		if (row.last_fetch == 0) {
			row.why |= DRIFT_NEVER;
			row.since = jtime(show, "created");
		} else if (strcmp(row.etag_fetched, r->etag) != 0) {
			row.why |= DRIFT_CHANGED;
			row.since = r->last_modified;
		}
		if (row.last_fetch > 0 && (long long)o->now - row.last_fetch >
		    (long long)o->factor * (r->max_age > 0 ? r->max_age : 1)) {
			if (row.why == 0)
				row.since = row.last_fetch;
			row.why |= DRIFT_UNSEEN;
		}
		/* RFC 6011 §2.5.1: subscription mode and a SIP line. */
		mode = d->notify_mode == NOTIFY_INHERIT ? o->notify_default :
		    d->notify_mode;
		if (mode == NOTIFY_SUBSCRIBE && row.last_fetch > 0 &&
		    json_array_size(json_object_get(show, "lines")) > 0) {
			if ((live = subscribed(st, d->id, o->now)) < 0) {
				snprintf(err, errlen, "subscriptions: %s",
				    store_errmsg(st));
				goto done;
			}
			if (!live) {
				if (row.why == 0)
					row.since = row.last_fetch;
				row.why |= DRIFT_LAPSED;
			}
		}
	}
	if (row.why != 0 && (ret = fn(arg, &row)) != 0) {
		if (ret < 0)
			snprintf(err, errlen, "stopped");
		goto done;
	}
	ret = 0;
done:
	json_decref(show);
	return ret;
}

struct drift {
	struct store		*st;
	struct resource		*res;
	struct drift_opts	 o;
};

struct drift *
drift_open(struct store *st, const struct drift_opts *o, char *err,
    size_t errlen)
{
	struct resource_opts	 ro;
	struct drift		*dr;

	if ((dr = calloc(1, sizeof(*dr))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	dr->st = st;
	dr->o = *o;
	memset(&ro, 0, sizeof(ro));
	ro.max_age = o->max_age;
	ro.pending_max_age = 300;
	ro.max_output = 1 << 20;
	ro.max_depth = 32;
	ro.cache_bytes = 1;	/* every device once: no cache */
	ro.seal_key = o->seal_key;
	if ((dr->res = resource_new(st, &ro)) == NULL) {
		snprintf(err, errlen, "out of memory");
		free(dr);
		return NULL;
	}
	if (resource_begin(dr->res) != 0) {
		snprintf(err, errlen, "store: %s", store_errmsg(st));
		drift_close(dr);
		return NULL;
	}
	return dr;
}

void
drift_close(struct drift *dr)
{
	if (dr == NULL)
		return;
	/* The store is the caller's: detach it before freeing. */
	resource_release_store(dr->res);
	resource_free(dr->res);
	free(dr);
}

int
drift_device(struct drift *dr, const struct store_device *d, drift_fn fn,
    void *arg, char *err, size_t errlen)
{
	if (d->state != DEVICE_ACTIVE)
		return 0;
	return one(dr->st, dr->res, &dr->o, d, fn, arg, err, errlen);
}

int
drift_scan(struct store *st, const struct drift_opts *o, drift_fn fn,
    void *arg, int64_t *cut, char *err, size_t errlen)
{
	struct drift		*dr;
	struct store_device	 d;
	int64_t			 ids[DRIFT_BATCH], after = o->after, max_id;
	int64_t			 last = o->after;
	long long		 read = 0;
	size_t			 n, i;
	int			 ret = -1, rc;

	*cut = 0;
	if ((dr = drift_open(st, o, err, errlen)) == NULL)
		return -1;
	for (;;) {
		if (store_active_ids(st, after, ids, DRIFT_BATCH, &n,
		    &max_id) != STORE_OK) {
			snprintf(err, errlen, "store: %s", store_errmsg(st));
			goto done;
		}
		if (n == 0)
			break;
		for (i = 0; i < n; i++) {
			if (o->max_scan > 0 && read == o->max_scan) {
				*cut = last;	/* the last one read */
				ret = 0;
				goto done;
			}
			read++;
			last = ids[i];
			if (store_device_by_id(st, ids[i], &d) != STORE_OK)
				continue;	/* removed meanwhile */
			if ((rc = one(st, dr->res, o, &d, fn, arg, err,
			    errlen)) < 0)
				goto done;
			if (rc > 0) {
				ret = 0;	/* enough */
				goto done;
			}
		}
		after = ids[n - 1];
	}
	ret = 0;
done:
	drift_close(dr);
	return ret;
}

void
drift_why(unsigned why, char *out, size_t len)
{
	static const struct { unsigned bit; const char *name; } names[] = {
		{ DRIFT_CHANGED, "changed" }, { DRIFT_NEVER, "never" },
		{ DRIFT_UNSEEN, "unseen" }, { DRIFT_LAPSED, "lapsed" },
		{ DRIFT_BROKEN, "broken" }
	};
	size_t	 i, n = 0;

	if (len == 0)
		return;
	out[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if ((why & names[i].bit) && n < len)
			n += (size_t)snprintf(out + n, len - n, "%s%s",
			    n ? "," : "", names[i].name);
}
