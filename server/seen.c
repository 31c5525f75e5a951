/*
 * seen: batched fetch bookkeeping (see seen.h).  Producers are the HTTP
 * worker threads; the consumer is the writer thread started here.
 *
 * Enrolment is bounded three ways (issue 16, sipcfgd.conf(5)): a token
 * bucket on the producers' side (enroll_rate), and on the writer's side
 * the count of pending devices enrolled, in all and per client address
 * (enroll_max, enroll_max_per_ip), checked against the store before each
 * insert.  Pending devices enrolled here and not seen for enroll_expire
 * are removed by the writer too.  What is refused is counted and logged
 * at most once a minute.
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
	char	 addr[64];
	char	 sfua_id[STORE_SFUA_ID_MAX];
	char	 mac[13];
	char	 vendor[STORE_NAME_MAX];
	char	 model[STORE_NAME_MAX];
};

#define ENROLL_MAX	256
#define REFUSED_LOG_S	60	/* refused enrolments: one log line a minute */
#define SWEEP_MAX_S	60	/* expiry runs at least this often */

struct seen {
	pthread_t		 thread;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	struct store		*st;		/* writer thread only */
	unsigned		 flush_ms;
	int			 stop;
	struct store_seen	*q;		/* ring, SEEN_QUEUE_MAX */
	/* The writer's copies, made at the start so it never fails. */
	struct store_seen	*batch;		/* SEEN_QUEUE_MAX */
	struct enroll		*wenr;		/* ENROLL_MAX */
	size_t			 head, count;
	struct enroll		 enr[ENROLL_MAX];
	size_t			 nenr;
	unsigned long		 dropped;
	struct seen_enroll_limits lim;
	double			 tokens;	/* enroll_rate bucket */
	struct timespec		 refill;
	unsigned long		 ref_rate;	/* refused by the bucket */
	/* Writer thread only. */
	unsigned long		 ref_max, ref_ip;
	time_t			 ref_logged, swept;
};

static void
refused_log(struct seen *s, unsigned long rate, time_t now)
{
	if (rate + s->ref_max + s->ref_ip == 0 ||
	    now - s->ref_logged < REFUSED_LOG_S)
		return;
	log_warnx("enrolment refused, nothing written (the request still got "
	    "its secret-free answer): %lu over enroll_rate %u, %lu over "
	    "enroll_max %u, %lu over enroll_max_per_ip %u", rate,
	    s->lim.rate, s->ref_max, s->lim.max, s->ref_ip, s->lim.max_per_ip);
	s->ref_logged = now;
	s->ref_max = s->ref_ip = 0;
}

/* Pending devices enrolled here and unseen for lim.expire: removed. */
static void
sweep(struct seen *s, time_t now)
{
	long long	 n;
	time_t		 every;

	if (s->lim.expire == 0)
		return;
	every = (time_t)s->lim.expire / 4;
	if (every > SWEEP_MAX_S)
		every = SWEEP_MAX_S;
	if (every < 1)
		every = 1;
	if (now - s->swept < every)
		return;
	s->swept = now;
	if (store_enrolled_expire(s->st, now - (time_t)s->lim.expire, &n) !=
	    STORE_OK)
		log_warnx("enrolment expiry: %s", store_errmsg(s->st));
	else if (n > 0)
		log_info("%lld pending devices enrolled and unseen for %us "
		    "removed (enroll_expire)", n, s->lim.expire);
}

/* The enrolments of one batch, each under the caps. */
static void
enroll_batch(struct seen *s, const struct enroll *enr, size_t ne)
{
	long long	 total, from;
	size_t		 i;
	enum store_rc	 rc;

	for (i = 0; i < ne; i++) {
		if (store_enrolled_count(s->st, enr[i].addr, &total, &from) !=
		    STORE_OK) {
			log_warnx("enrol %s: %s", enr[i].sfua_id,
			    store_errmsg(s->st));
			continue;
		}
		if (total >= s->lim.max) {
			s->ref_max++;
			continue;
		}
		if (from >= s->lim.max_per_ip) {
			s->ref_ip++;
			continue;
		}
		rc = store_device_enroll(s->st, enr[i].domain_id,
		    enr[i].sfua_id, enr[i].mac, enr[i].vendor, enr[i].model,
		    enr[i].addr);
		if (rc == STORE_OK)
			log_info("enrolled %s as pending (from %s)",
			    enr[i].sfua_id, enr[i].addr);
		else if (rc != STORE_EXISTS)
			log_warnx("enrol %s: %s", enr[i].sfua_id,
			    store_errmsg(s->st));
	}
}

static void
drain(struct seen *s, struct store_seen *batch, struct enroll *enr)
{
	size_t		 n, ne;
	unsigned long	 dropped, rate;

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
	rate = s->ref_rate;
	if (rate + s->ref_max + s->ref_ip > 0 &&
	    time(NULL) - s->ref_logged >= REFUSED_LOG_S)
		s->ref_rate = 0;	/* logged below */
	else
		rate = 0;
	pthread_mutex_unlock(&s->mu);

	if (dropped)
		log_warnx("bookkeeping queue full: %lu records dropped",
		    dropped);
	enroll_batch(s, enr, ne);
	if (n > 0 && store_seen_write(s->st, batch, n) != 0)
		log_warnx("bookkeeping: %zu records lost: %s", n,
		    store_errmsg(s->st));
	sweep(s, time(NULL));
	refused_log(s, rate, time(NULL));
}

static void *
writer(void *arg)
{
	struct seen		*s = arg;
	struct store_seen	*batch = s->batch;
	struct enroll		*enr = s->wenr;
	struct timespec		 ts;
	int			 stop;

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
	return NULL;
}

struct seen *
seen_start(struct store *st, unsigned flush_ms)
{
	struct seen	*s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	if ((s->q = calloc(SEEN_QUEUE_MAX, sizeof(*s->q))) == NULL ||
	    (s->batch = calloc(SEEN_QUEUE_MAX, sizeof(*s->batch))) == NULL ||
	    (s->wenr = calloc(ENROLL_MAX, sizeof(*s->wenr))) == NULL)
		goto fail;
	s->st = st;
	s->flush_ms = flush_ms;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	if (pthread_create(&s->thread, NULL, writer, s) != 0)
		goto fail;
	/* Named for top -H and perf. */
	(void)pthread_setname_np(s->thread, "bookkeeping");
	return s;
fail:
	free(s->q);
	free(s->batch);
	free(s->wenr);
	free(s);
	return NULL;
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
	free(s->batch);
	free(s->wenr);
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
seen_enroll_limits(struct seen *s, const struct seen_enroll_limits *lim)
{
	pthread_mutex_lock(&s->mu);
	s->lim = *lim;
	s->tokens = lim->rate;
	clock_gettime(CLOCK_MONOTONIC, &s->refill);
	pthread_mutex_unlock(&s->mu);
}

/* enroll_rate a second, up to a second's worth at once.  Under mu. */
static int
take_token(struct seen *s)
{
	struct timespec	 now;
	double		 dt;

	clock_gettime(CLOCK_MONOTONIC, &now);
	dt = (double)(now.tv_sec - s->refill.tv_sec) +
	    (double)(now.tv_nsec - s->refill.tv_nsec) / 1e9;
	s->refill = now;
	if (dt > 0)
		s->tokens += dt * s->lim.rate;
	if (s->tokens > s->lim.rate)
		s->tokens = s->lim.rate;
	if (s->tokens < 1.0)
		return 0;
	s->tokens -= 1.0;
	return 1;
}

void
seen_enroll(struct seen *s, int64_t domain_id, const char *sfua_id,
    const char *mac, const char *vendor, const char *model, const char *addr)
{
	struct enroll	*e;
	size_t		 i;

	pthread_mutex_lock(&s->mu);
	for (i = 0; i < s->nenr; i++)
		if (s->enr[i].domain_id == domain_id &&
		    strcmp(s->enr[i].sfua_id, sfua_id) == 0)
			break;
	if (i == s->nenr && s->nenr < ENROLL_MAX && !take_token(s))
		s->ref_rate++;
	else if (i == s->nenr && s->nenr < ENROLL_MAX) {
		e = &s->enr[s->nenr++];
		e->domain_id = domain_id;
		snprintf(e->addr, sizeof(e->addr), "%s", addr);
		snprintf(e->sfua_id, sizeof(e->sfua_id), "%s", sfua_id);
		snprintf(e->mac, sizeof(e->mac), "%s", mac);
		snprintf(e->vendor, sizeof(e->vendor), "%s", vendor);
		snprintf(e->model, sizeof(e->model), "%s", model);
		pthread_cond_signal(&s->cv);
	} else if (i == s->nenr)
		s->dropped++;
	pthread_mutex_unlock(&s->mu);
}
