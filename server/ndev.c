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
	npool_free(n->pool, d->keys, d->keysize);
	npool_free(n->pool, d, sizeof(*d));
	n->ndevs--;
}

void
dev_enqueue(struct notifier *n, struct mdev *d, int forced)
{
	if (forced)
		d->forced = 1;
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
 * when disabled or without a user, else the rendering's metadata.
 * Returns -1 (state kept) when the store cannot be read.
 */
int
dev_refresh(struct notifier *n, struct mdev *d)
{
	struct store_device	 sd;
	struct cfg_request	 q;
	const struct rendered	*a;
	enum store_rc		 src;
	char			 reason[512];

	if (resource_begin(n->res) != 0)
		return -1;
	src = store_device_by_id(n->st, d->id, &sd);
	if (src == STORE_NOTFOUND) {
		d->status = 404;
		return 0;
	}
	if (src != STORE_OK)
		return -1;
	dev_keys(n, d, &sd);
	if (sd.state == DEVICE_DISABLED || sd.user_id == 0) {
		d->status = 403;
		return 0;
	}
	dev_facts(&sd, &q);
	switch (resource_render(n->res, &sd, &q,
	    sd.state == DEVICE_ACTIVE, &a, reason, sizeof(reason))) {
	case RES_OK:
		break;
	case RES_NOTEMPLATE:
		d->status = 404;
		return 0;
	case RES_TEMPLATE_ERROR:
		log_warnx("notify %s: %s", sd.sfua_id, reason);
		d->status = 500;
		return 0;
	default:
		log_warnx("notify %s: store: %s", sd.sfua_id, reason);
		return -1;
	}
	d->status = 200;
	d->had_link = d->has_link;
	d->has_link = a->link[0][0] != '\0';
	snprintf(d->etag, sizeof(d->etag), "%s", a->etag);
	d->last_modified = a->last_modified;
	d->max_age = a->max_age;
	snprintf(d->ctype, sizeof(d->ctype), "%s", a->content_type);
	d->len = a->len;
	return 0;
}

