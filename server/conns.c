/*
 * conns: open connections per source, the handshake deadline and the
 * established count (see conns.h).  Runs on the HTTP library's threads
 * (open, established, close) and on one reaper thread of its own.
 *
 * Connections waiting for their first request line are in one list in
 * accept order; as every deadline is the accept time plus the same
 * constant, that is deadline order too, and the reaper only ever looks
 * at the head.  Sources are counted in a hash table with chaining, keyed
 * by a keyed hash, each entry freed when its last connection closes, so
 * the table holds at most as many entries as there are connections.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "conns.h"
#include "guard.h"
#include "util.h"

#define NBUCKETS	4096

struct source {
	struct source	*next;
	unsigned	 n;
	char		 key[GUARD_KEY_MAX];
};

struct conn {
	struct conn	*prev, *next;	/* the pending list */
	struct source	*src;
	uint64_t	 deadline;	/* ms, CLOCK_MONOTONIC */
	int		 fd;
	int		 pending;
	int		 established;
};

struct conns {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	pthread_t	 reaper;
	int		 stop;
	unsigned	 per_source, deadline_ms;
	struct conn	*head, *tail;
	unsigned	 open, established;
	unsigned long	 reaped, refused;
	uint64_t	 key;
	struct source	*bucket[NBUCKETS];
};

static uint64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
unlink_pending(struct conns *cs, struct conn *c)
{
	if (!c->pending)
		return;
	if (c->prev)
		c->prev->next = c->next;
	else
		cs->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		cs->tail = c->prev;
	c->prev = c->next = NULL;
	c->pending = 0;
}

static void *
reaper(void *arg)
{
	struct conns	*cs = arg;
	struct timespec	 ts;
	uint64_t	 now, wake;

	pthread_mutex_lock(&cs->mu);
	while (!cs->stop) {
		now = now_ms();
		while (cs->head != NULL && cs->head->deadline <= now) {
			struct conn *c = cs->head;

			/*
			 * The descriptor is still the connection's: its owner
			 * calls conns_close() before closing it, and that
			 * waits for this lock.
			 */
			shutdown(c->fd, SHUT_RDWR);
			unlink_pending(cs, c);
			cs->reaped++;
		}
		wake = cs->head ? cs->head->deadline : now + 1000;
		ts.tv_sec = (time_t)(wake / 1000);
		ts.tv_nsec = (long)(wake % 1000) * 1000000;
		pthread_cond_timedwait(&cs->cv, &cs->mu, &ts);
	}
	pthread_mutex_unlock(&cs->mu);
	return NULL;
}

struct conns *
conns_new(unsigned per_source, unsigned deadline_ms)
{
	struct conns		*cs;
	pthread_condattr_t	 ca;

	if ((cs = calloc(1, sizeof(*cs))) == NULL)
		return NULL;
	cs->per_source = per_source;
	cs->deadline_ms = deadline_ms;
	if (util_random(&cs->key, sizeof(cs->key)) != 0)
		cs->key = (uint64_t)(uintptr_t)cs;
	pthread_mutex_init(&cs->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&cs->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&cs->reaper, NULL, reaper, cs) != 0) {
		pthread_cond_destroy(&cs->cv);
		pthread_mutex_destroy(&cs->mu);
		free(cs);
		return NULL;
	}
	return cs;
}

void
conns_free(struct conns *cs)
{
	size_t		 i;
	struct source	*s, *n;

	if (cs == NULL)
		return;
	pthread_mutex_lock(&cs->mu);
	cs->stop = 1;
	pthread_cond_signal(&cs->cv);
	pthread_mutex_unlock(&cs->mu);
	pthread_join(cs->reaper, NULL);
	for (i = 0; i < NBUCKETS; i++)
		for (s = cs->bucket[i]; s; s = n) {
			n = s->next;
			free(s);
		}
	pthread_cond_destroy(&cs->cv);
	pthread_mutex_destroy(&cs->mu);
	free(cs);
}

static struct source **
slot(struct conns *cs, const char *key)
{
	return &cs->bucket[util_fnv1a(cs->key ^ UTIL_FNV_BASIS, key) %
	    NBUCKETS];
}

struct conn *
conns_open(struct conns *cs, int fd, const char *addr)
{
	struct source	**b, *s;
	struct conn	 *c;
	char		  key[GUARD_KEY_MAX];

	guard_source(addr, key, sizeof(key));
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		shutdown(fd, SHUT_RDWR);
		return NULL;
	}
	pthread_mutex_lock(&cs->mu);
	b = slot(cs, key);
	for (s = *b; s && strcmp(s->key, key) != 0; s = s->next)
		;
	if (s == NULL) {
		if ((s = calloc(1, sizeof(*s))) == NULL)
			goto refuse;
		memcpy(s->key, key, sizeof(s->key));
		s->next = *b;
		*b = s;
	}
	if (cs->per_source && s->n >= cs->per_source)
		goto refuse;
	s->n++;
	cs->open++;
	c->src = s;
	c->fd = fd;
	if (cs->deadline_ms) {
		c->deadline = now_ms() + cs->deadline_ms;
		c->pending = 1;
		c->prev = cs->tail;
		if (cs->tail)
			cs->tail->next = c;
		else {
			cs->head = c;
			pthread_cond_signal(&cs->cv);
		}
		cs->tail = c;
	}
	pthread_mutex_unlock(&cs->mu);
	return c;
refuse:
	cs->refused++;
	if (s != NULL && s->n == 0) {
		*b = s->next;	/* just made: at the head of its chain */
		free(s);
	}
	pthread_mutex_unlock(&cs->mu);
	free(c);
	shutdown(fd, SHUT_RDWR);
	return NULL;
}

void
conns_established(struct conns *cs, struct conn *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&cs->mu);
	unlink_pending(cs, c);
	if (!c->established) {
		c->established = 1;
		cs->established++;
	}
	pthread_mutex_unlock(&cs->mu);
}

void
conns_close(struct conns *cs, struct conn *c)
{
	struct source	**b;

	if (c == NULL)
		return;
	pthread_mutex_lock(&cs->mu);
	unlink_pending(cs, c);
	if (c->established)
		cs->established--;
	cs->open--;
	if (--c->src->n == 0) {
		for (b = slot(cs, c->src->key); *b != c->src; b = &(*b)->next)
			;
		*b = c->src->next;
		free(c->src);
	}
	pthread_mutex_unlock(&cs->mu);
	free(c);
}

#define COUNTER(name, type, field)			\
type							\
name(struct conns *cs)					\
{							\
	type	 v;					\
							\
	pthread_mutex_lock(&cs->mu);			\
	v = cs->field;					\
	pthread_mutex_unlock(&cs->mu);			\
	return v;					\
}
COUNTER(conns_open_count, unsigned, open)
COUNTER(conns_established_count, unsigned, established)
COUNTER(conns_reaped, unsigned long, reaped)
COUNTER(conns_refused, unsigned long, refused)
#undef COUNTER
