/*
 * guard: per-address authentication failure tracking (see guard.h).
 * Open addressing would let an attacker evict entries by spraying
 * addresses; a direct-mapped table keyed by a keyed hash costs the same
 * and an eviction only ever forgets, it never blocks an innocent address.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"
#include "util.h"

struct slot {
	char		 addr[64];
	unsigned	 fails;
	time_t		 first;
	time_t		 until;
};

struct guard {
	pthread_mutex_t	 mu;
	unsigned	 limit, window, block;
	uint64_t	 key;
	struct slot	 slot[GUARD_SLOTS];
};

struct guard *
guard_new(unsigned limit, unsigned window, unsigned block)
{
	struct guard	*g;

	if ((g = calloc(1, sizeof(*g))) == NULL)
		return NULL;
	pthread_mutex_init(&g->mu, NULL);
	g->limit = limit;
	g->window = window;
	g->block = block;
	if (util_random(&g->key, sizeof(g->key)) != 0)
		g->key = (uint64_t)(uintptr_t)g;
	return g;
}

void
guard_free(struct guard *g)
{
	if (g == NULL)
		return;
	pthread_mutex_destroy(&g->mu);
	free(g);
}

static struct slot *
find(struct guard *g, const char *addr, int create)
{
	uint64_t	 h = g->key ^ 1469598103934665603ULL;
	struct slot	*s;
	const char	*p;

	for (p = addr; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	s = &g->slot[h % GUARD_SLOTS];
	if (strcmp(s->addr, addr) == 0)
		return s;
	if (!create)
		return NULL;
	memset(s, 0, sizeof(*s));
	snprintf(s->addr, sizeof(s->addr), "%s", addr);
	return s;
}

unsigned
guard_blocked(struct guard *g, const char *addr, time_t now)
{
	struct slot	*s;
	unsigned	 left = 0;

	pthread_mutex_lock(&g->mu);
	if ((s = find(g, addr, 0)) != NULL && s->until > now)
		left = (unsigned)(s->until - now);
	pthread_mutex_unlock(&g->mu);
	return left;
}

void
guard_fail(struct guard *g, const char *addr, time_t now)
{
	struct slot	*s;

	pthread_mutex_lock(&g->mu);
	s = find(g, addr, 1);
	if (s->first == 0 || now - s->first >= (time_t)g->window) {
		s->first = now;
		s->fails = 0;
	}
	if (++s->fails >= g->limit) {
		s->until = now + g->block;
		s->fails = 0;
		s->first = 0;
	}
	pthread_mutex_unlock(&g->mu);
}

void
guard_ok(struct guard *g, const char *addr)
{
	struct slot	*s;

	pthread_mutex_lock(&g->mu);
	if ((s = find(g, addr, 0)) != NULL)
		memset(s, 0, sizeof(*s));
	pthread_mutex_unlock(&g->mu);
}
