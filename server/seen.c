/*
 * seen: batched fetch bookkeeping (see seen.h).  Producers are the HTTP
 * worker threads; the consumer is the writer thread started here.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "request.h"
#include "seen.h"

struct enroll {
	int64_t	 domain_id;
	char	 sfua_id[STORE_SFUA_ID_MAX];
	char	 mac[13];
	char	 vendor[STORE_NAME_MAX];
	char	 model[STORE_NAME_MAX];
};

#define ENROLL_MAX	256

struct seen {
	pthread_t		 thread;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	struct store		*st;		/* writer thread only */
	unsigned		 flush_ms;
	int			 stop;
	struct store_seen	*q;		/* ring, SEEN_QUEUE_MAX */
	size_t			 head, count;
	struct enroll		 enr[ENROLL_MAX];
	size_t			 nenr;
	unsigned long		 dropped;
};

static void
drain(struct seen *s, struct store_seen *batch, struct enroll *enr)
{
	size_t		 n, ne, i;
	unsigned long	 dropped;
	enum store_rc	 rc;

	pthread_mutex_lock(&s->mu);
	for (n = 0; s->count > 0; n++) {
		batch[n] = s->q[s->head];
		s->head = (s->head + 1) % SEEN_QUEUE_MAX;
		s->count--;
	}
	ne = s->nenr;
	memcpy(enr, s->enr, ne * sizeof(*enr));
	s->nenr = 0;
	dropped = s->dropped;
	s->dropped = 0;
	pthread_mutex_unlock(&s->mu);

	if (dropped)
		log_warnx("bookkeeping queue full: %lu records dropped",
		    dropped);
	for (i = 0; i < ne; i++) {
		rc = store_device_enroll(s->st, enr[i].domain_id,
		    enr[i].sfua_id, enr[i].mac, enr[i].vendor, enr[i].model);
		if (rc == STORE_OK)
			log_info("enrolled %s as pending", enr[i].sfua_id);
		else if (rc != STORE_EXISTS)
			log_warnx("enrol %s: %s", enr[i].sfua_id,
			    store_errmsg(s->st));
	}
	if (n > 0 && store_seen_write(s->st, batch, n) != 0)
		log_warnx("bookkeeping: %zu records lost: %s", n,
		    store_errmsg(s->st));
}

static void *
writer(void *arg)
{
	struct seen		*s = arg;
	struct store_seen	*batch;
	struct enroll		*enr;
	struct timespec		 ts;
	int			 stop;

	batch = calloc(SEEN_QUEUE_MAX, sizeof(*batch));
	enr = calloc(ENROLL_MAX, sizeof(*enr));
	if (batch == NULL || enr == NULL)
		fatalx("bookkeeping: out of memory");
	for (;;) {
		pthread_mutex_lock(&s->mu);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += s->flush_ms / 1000;
		ts.tv_nsec += (long)(s->flush_ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		while (!s->stop && s->count < SEEN_QUEUE_MAX / 2 &&
		    s->nenr == 0 &&
		    pthread_cond_timedwait(&s->cv, &s->mu, &ts) != ETIMEDOUT)
			;
		stop = s->stop;
		pthread_mutex_unlock(&s->mu);
		drain(s, batch, enr);
		if (stop)
			break;
	}
	free(batch);
	free(enr);
	return NULL;
}

struct seen *
seen_start(struct store *st, unsigned flush_ms)
{
	struct seen	*s;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->q = calloc(SEEN_QUEUE_MAX, sizeof(*s->q))) == NULL) {
		free(s);
		return NULL;
	}
	s->st = st;
	s->flush_ms = flush_ms;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	if (pthread_create(&s->thread, NULL, writer, s) != 0) {
		free(s->q);
		free(s);
		return NULL;
	}
	return s;
}

void
seen_stop(struct seen *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	s->stop = 1;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thread, NULL);
	store_close(s->st);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s->q);
	free(s);
}

void
seen_push(struct seen *s, const struct store_seen *r)
{
	pthread_mutex_lock(&s->mu);
	if (s->count == SEEN_QUEUE_MAX)
		s->dropped++;
	else {
		s->q[(s->head + s->count) % SEEN_QUEUE_MAX] = *r;
		if (++s->count == SEEN_QUEUE_MAX / 2)
			pthread_cond_signal(&s->cv);
	}
	pthread_mutex_unlock(&s->mu);
}

void
seen_enroll(struct seen *s, int64_t domain_id, const char *sfua_id,
    const char *mac, const char *vendor, const char *model)
{
	struct enroll	*e;
	size_t		 i;

	pthread_mutex_lock(&s->mu);
	for (i = 0; i < s->nenr; i++)
		if (s->enr[i].domain_id == domain_id &&
		    strcmp(s->enr[i].sfua_id, sfua_id) == 0)
			break;
	if (i == s->nenr && s->nenr < ENROLL_MAX) {
		e = &s->enr[s->nenr++];
		e->domain_id = domain_id;
		snprintf(e->sfua_id, sizeof(e->sfua_id), "%s", sfua_id);
		snprintf(e->mac, sizeof(e->mac), "%s", mac);
		snprintf(e->vendor, sizeof(e->vendor), "%s", vendor);
		snprintf(e->model, sizeof(e->model), "%s", model);
		pthread_cond_signal(&s->cv);
	} else if (i == s->nenr)
		s->dropped++;
	pthread_mutex_unlock(&s->mu);
}
