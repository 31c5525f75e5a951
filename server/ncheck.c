/*
 * ncheck: the notifier's checker thread (notifier_int.h).
 *
 * A change that touches many subscribed devices (a global variable)
 * means rendering each of them again to learn its new ETag; on the
 * notifier thread that rendering was half of the cost of every NOTIFY of
 * a fan-out (issue 12).  The checker renders the queued devices ahead of
 * the drain, with its own store connection and resource, so the
 * notifier thread only applies the answers and sends.
 *
 * A check is a job: the device's id in, a struct devstate out.  The
 * notifier hands out jobs for the first queued devices (ncheck_submit),
 * the checker does them in order and marks each done, the drain takes
 * the answer of the device at its head (ncheck_take).  A job begins its
 * read after it was handed out, so it sees every change the notifier
 * had applied; one that comes later marks it stale (dev_enqueue) and the
 * drain checks that device itself.  A device dropped while its job is
 * out leaves the job on the orphans list until it is done.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "notifier_int.h"

struct ncjob {
	struct ncjob	*next;		/* the checker's queue */
	struct ncjob	*onext;		/* the orphans (a queued one too) */
	int64_t		 id;
	atomic_int	 done;
	struct devstate	 ds;
};

struct ncheck {
	pthread_t	 thr;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	struct ncjob	*head, *tail;
	int		 stop;
	struct store	*st;
	struct resource	*res;
};

static void *
checker(void *arg)
{
	struct ncheck	*c = arg;
	struct ncjob	*j;

	for (;;) {
		pthread_mutex_lock(&c->mu);
		while (c->head == NULL && !c->stop)
			pthread_cond_wait(&c->cv, &c->mu);
		if (c->stop) {
			pthread_mutex_unlock(&c->mu);
			break;
		}
		j = c->head;
		if ((c->head = j->next) == NULL)
			c->tail = NULL;
		pthread_mutex_unlock(&c->mu);
		dev_check(c->res, c->st, j->id, &j->ds);
		resource_end(c->res);
		atomic_store_explicit(&j->done, 1, memory_order_release);
	}
	return NULL;
}

struct ncheck *
ncheck_start(const struct config *cfg, const struct resource_opts *ro)
{
	struct ncheck	*c;
	char		 err[512];

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if ((c->st = store_open(cfg->store, STORE_RDWR | STORE_NOMIGRATE, 200,
	    err, sizeof(err))) == NULL) {
		log_warnx("notifier: checker: store: %s", err);
		free(c);
		return NULL;
	}
	if ((c->res = resource_new(c->st, ro)) == NULL) {
		store_close(c->st);
		free(c);
		return NULL;
	}
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	if (pthread_create(&c->thr, NULL, checker, c) != 0) {
		resource_free(c->res);
		free(c);
		return NULL;
	}
	pthread_setname_np(c->thr, "sip-checker");
	return c;
}

void
ncheck_submit(struct notifier *n, size_t ahead)
{
	struct ncheck	*c = n->checker;
	struct ncjob	*first = NULL, *last = NULL, *j;
	struct mdev	*d;

	if (c == NULL || n->jobs_out >= ahead)
		return;
	for (d = n->qhead; d && n->jobs_out < ahead; d = d->qnext) {
		if (d->job)
			continue;
		if ((j = calloc(1, sizeof(*j))) == NULL)
			break;	/* the drain checks it itself */
		j->id = d->id;
		d->job = j;
		d->job_stale = 0;
		n->jobs_out++;
		if (last)
			last->next = j;
		else
			first = j;
		last = j;
	}
	if (first == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	if (c->tail)
		c->tail->next = first;
	else
		c->head = first;
	c->tail = last;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

int
ncheck_take(struct notifier *n, struct mdev *d, struct devstate *o)
{
	struct ncjob	*j = d->job;
	int		 good;

	if (j == NULL) {
		n->take_none++;
		return -1;
	}
	if (!atomic_load_explicit(&j->done, memory_order_acquire))
		return 0;
	good = !d->job_stale;
	if (!good)
		n->take_stale++;
	if (good)
		memcpy(o, &j->ds, sizeof(*o));
	d->job = NULL;
	d->job_stale = 0;
	n->jobs_out--;
	free(j);
	return good ? 1 : -1;
}

void
ncheck_orphan(struct notifier *n, struct mdev *d)
{
	d->job->onext = n->orphans;
	n->orphans = d->job;
	d->job = NULL;
}

/* Orphans whose check is done: the checker is through with them. */
void
ncheck_reap(struct notifier *n)
{
	struct ncjob	**pp = &n->orphans, *j;

	while ((j = *pp) != NULL) {
		if (atomic_load_explicit(&j->done, memory_order_acquire)) {
			*pp = j->onext;
			n->jobs_out--;
			free(j);
		} else
			pp = &j->onext;
	}
}

/* Stop the thread; every job out is freed (the devices' and orphans'). */
void
ncheck_stop(struct notifier *n)
{
	struct ncheck	*c = n->checker;
	struct ncjob	*j;
	struct mdev	*d;

	if (c == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	c->stop = 1;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->thr, NULL);
	for (d = n->devs; d; d = d->next)
		if (d->job) {
			free(d->job);
			d->job = NULL;
		}
	while ((j = n->orphans) != NULL) {
		n->orphans = j->onext;
		free(j);
	}
	n->jobs_out = 0;
	resource_free(c->res);	/* closes its store */
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	free(c);
	n->checker = NULL;
}
