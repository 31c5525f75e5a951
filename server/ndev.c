/*
 * ndev: the notifier's table of watched devices (notifier_int.h): one
 * struct mdev per device with a subscription or in check-sync mode,
 * found by id through a hash, with the HEAD answer it would get now
 * (what NOTIFYs carry, RFC 5989 §4.5.1) and the keys a change is matched
 * against (touch.h).  The check queue is what the drain works through.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "notifier_int.h"
#include "resource.h"
#include "store.h"

struct mdev *
dev_find(struct notifier *n, int64_t id)
{
	struct mdev	*d;

	for (d = n->dbucket[(uint64_t)id % DEV_BUCKETS]; d; d = d->hnext)
		if (d->id == id)
			return d;
	return NULL;
}

/*
 * The device's keys from sd; -1 when out of memory, the old keys kept
 * (a request never ends the daemon).
 */
static int
dev_keys(struct notifier *n, struct mdev *d, const struct store_device *sd)
{
	const char	*v[5] = { sd->sfua_id, sd->vendor, sd->model, sd->user,
			    sd->profile };
	char		**out[5] = { &d->sfua, &d->vendor, &d->model, &d->user,
			    &d->profile };
	size_t		 len[5], total = 0, i;
	char		*blk, *p;

	for (i = 0; i < 5; i++)
		total += (len[i] = strlen(v[i])) + 1;
	if ((blk = npool_alloc(n->pool, total)) == NULL) {
		log_warnx("device %s: out of memory", sd->sfua_id);
		return -1;
	}
	for (p = blk, i = 0; i < 5; i++) {
		memcpy(p, v[i], len[i] + 1);
		*out[i] = p;
		p += len[i] + 1;
	}
	npool_free(n->pool, d->keys, d->keysize);
	d->keys = blk;
	d->keysize = (unsigned)total;
	d->user_id = sd->user_id;
	d->profile_id = sd->profile_id;
	d->domain_id = sd->domain_id;
	return 0;
}

struct mdev *
dev_get(struct notifier *n, const struct store_device *sd)
{
	struct mdev	*d;
	unsigned	 h = (unsigned)((uint64_t)sd->id % DEV_BUCKETS);

	if ((d = dev_find(n, sd->id)) != NULL)
		return d;
	if ((d = npool_alloc(n->pool, sizeof(*d))) == NULL)
		return NULL;
	d->id = sd->id;
	if (dev_keys(n, d, sd) != 0) {
		npool_free(n->pool, d, sizeof(*d));
		return NULL;
	}
	d->hnext = n->dbucket[h];
	n->dbucket[h] = d;
	d->next = n->devs;
	if (n->devs)
		n->devs->prev = d;
	n->devs = d;
	n->ndevs++;
	return d;
}

void
dev_drop(struct notifier *n, struct mdev *d)
{
	struct mdev	**pp, *q, *prevq = NULL;

	for (pp = &n->dbucket[(uint64_t)d->id % DEV_BUCKETS]; *pp;
	    pp = &(*pp)->hnext)
		if (*pp == d) {
			*pp = d->hnext;
			break;
		}
	if (d->prev)
		d->prev->next = d->next;
	else
		n->devs = d->next;
	if (d->next)
		d->next->prev = d->prev;
	if (d->queued) {
		for (q = n->qhead; q && q != d; q = q->qnext)
			prevq = q;
		if (q) {
			if (prevq)
				prevq->qnext = d->qnext;
			else
				n->qhead = d->qnext;
			if (n->qtail == d)
				n->qtail = prevq;
		}
	}
	if (d->job)
		ncheck_orphan(n, d);
	npool_free(n->pool, d->keys, d->keysize);
	npool_free(n->pool, d, sizeof(*d));
	n->ndevs--;
}

void
dev_enqueue(struct notifier *n, struct mdev *d, int forced)
{
	if (forced)
		d->forced = 1;
	if (d->job)
		d->job_stale = 1;	/* the store moved since it began */
	if (d->queued)
		return;
	d->queued = 1;
	d->due_ms = 0;
	d->qnext = NULL;
	if (n->qtail)
		n->qtail->qnext = d;
	else
		n->qhead = d;
	n->qtail = d;
}

/*
 * The request facts of the device's own GET, from the store (the
 * notifier has no request): what its NOTIFY must agree with.
 */
void
dev_facts(const struct store_device *sd, struct cfg_request *q)
{
	memset(q, 0, sizeof(*q));
	snprintf(q->sfua_id, sizeof(q->sfua_id), "%s", sd->sfua_id);
	snprintf(q->mac, sizeof(q->mac), "%s", sd->mac);
	snprintf(q->vendor, sizeof(q->vendor), "%s", sd->vendor);
	snprintf(q->model, sizeof(q->model), "%s", sd->model);
}

/*
 * The HEAD answer for a device now, as the HTTPS front would give it to
 * the authenticated device (http.c handle()): 404 when it is gone, 403
 * when disabled or without a user, else the rendering's metadata.  Any
 * thread with its own resource and store (the checker, ncheck.c).
 */
void
dev_check(struct resource *res, struct store *st, int64_t id,
    struct devstate *o)
{
	struct cfg_request	 q;
	const struct rendered	*a;
	enum store_rc		 src;
	char			 reason[512];

	o->rc = -1;
	o->has_sd = 0;
	if (resource_begin(res) != 0)
		return;
	src = store_device_by_id(st, id, &o->sd);
	o->rc = 0;
	if (src == STORE_NOTFOUND) {
		o->status = 404;
		return;
	}
	if (src != STORE_OK) {
		o->rc = -1;
		return;
	}
	o->has_sd = 1;
	if (o->sd.state == DEVICE_DISABLED || o->sd.user_id == 0) {
		o->status = 403;
		return;
	}
	dev_facts(&o->sd, &q);
	switch (resource_render(res, &o->sd, &q,
	    o->sd.state == DEVICE_ACTIVE, &a, reason, sizeof(reason))) {
	case RES_OK:
		break;
	case RES_NOTEMPLATE:
		o->status = 404;
		return;
	case RES_TEMPLATE_ERROR:
		log_warnx("notify %s: %s", o->sd.sfua_id, reason);
		o->status = 500;
		return;
	default:
		log_warnx("notify %s: store: %s", o->sd.sfua_id, reason);
		o->rc = -1;
		return;
	}
	o->status = 200;
	o->has_link = a->link[0][0] != '\0';
	snprintf(o->etag, sizeof(o->etag), "%s", a->etag);
	o->last_modified = a->last_modified;
	o->max_age = a->max_age;
	snprintf(o->ctype, sizeof(o->ctype), "%s", a->content_type);
	o->len = a->len;
}

/* What dev_check() found, onto the device; -1 (state kept) if nothing. */
int
dev_apply(struct notifier *n, struct mdev *d, const struct devstate *o)
{
	if (o->rc != 0)
		return -1;
	if (o->has_sd)
		dev_keys(n, d, &o->sd);
	d->status = o->status;
	if (o->status != 200)
		return 0;
	d->had_link = d->has_link;
	d->has_link = o->has_link;
	snprintf(d->etag, sizeof(d->etag), "%s", o->etag);
	d->last_modified = o->last_modified;
	d->max_age = o->max_age;
	snprintf(d->ctype, sizeof(d->ctype), "%s", o->ctype);
	d->len = o->len;
	return 0;
}

/*
 * The HEAD answer now, on this thread.  A check the checker has under
 * way for the device is older than this one: its answer will not be
 * used.  Returns -1 (state kept) when the store cannot be read.
 */
int
dev_refresh(struct notifier *n, struct mdev *d)
{
	struct devstate	*o;
	int		 rc;

	if (d->job)
		d->job_stale = 1;
	if ((o = malloc(sizeof(*o))) == NULL)
		return -1;
	dev_check(n->res, n->st, d->id, o);
	rc = dev_apply(n, d, o);
	free(o);
	return rc;
}

