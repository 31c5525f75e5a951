/*
 * guard: authentication failure tracking (see guard.h).  Open addressing
 * would let an attacker evict entries by spraying keys; direct-mapped
 * tables keyed by a keyed hash cost the same, and an eviction only ever
 * forgets, it never blocks an innocent source.  The per-source table is
 * apart from the per-(source, user) one, so names sprayed from one source
 * cannot evict that source's own total.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"
#include "metrics.h"
#include "util.h"

#define USER_KEY_MAX	129

struct slot {
	char		 src[GUARD_KEY_MAX];
	char		 user[USER_KEY_MAX];
	unsigned	 fails;
	time_t		 first;
	time_t		 until;
};

struct guard {
	pthread_mutex_t	 mu;
	unsigned	 limit, limit_addr, window, block;
	uint64_t	 key;
	struct slot	 pair[GUARD_SLOTS];
	struct slot	 addr[GUARD_ADDR_SLOTS];
};

struct guard *
guard_new(unsigned limit, unsigned limit_addr, unsigned window,
    unsigned block)
{
	struct guard	*g;

	if ((g = calloc(1, sizeof(*g))) == NULL)
		return NULL;
	pthread_mutex_init(&g->mu, NULL);
	g->limit = limit;
	g->limit_addr = limit_addr;
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

void
guard_source(const char *addr, char *out, size_t outlen)
{
	struct in6_addr	 a6;
	struct in_addr	 a4;
	char		 t[INET6_ADDRSTRLEN], h[INET6_ADDRSTRLEN];
	const char	*e;
	size_t		 n;

	if (outlen > GUARD_KEY_MAX)
		outlen = GUARD_KEY_MAX;
	/* A transport address ("[2001:db8::1]:5061", "192.0.2.1:5060"):
	 * a new port is no new source. */
	if (addr[0] == '[' && (e = strchr(addr, ']')) != NULL &&
	    (n = (size_t)(e - addr - 1)) < sizeof(h)) {
		memcpy(h, addr + 1, n);
		h[n] = '\0';
		addr = h;
	} else if ((e = strchr(addr, ':')) != NULL && strchr(e + 1, ':') ==
	    NULL && (n = (size_t)(e - addr)) < sizeof(h)) {
		memcpy(h, addr, n);
		h[n] = '\0';
		if (inet_pton(AF_INET, h, &a4) == 1)
			addr = h;
	}
	if (inet_pton(AF_INET6, addr, &a6) == 1) {
		if (IN6_IS_ADDR_V4MAPPED(&a6)) {
			inet_ntop(AF_INET, &a6.s6_addr[12], t, sizeof(t));
			snprintf(out, outlen, "%s", t);
			return;
		}
		memset(&a6.s6_addr[8], 0, 8);
		inet_ntop(AF_INET6, &a6, t, sizeof(t));
		snprintf(out, outlen, "%s/64", t);
		return;
	}
	snprintf(out, outlen, "%s", addr);
}

static struct slot *
find(struct guard *g, const char *src, const char *user, int create)
{
	uint64_t	 h = util_fnv1a(g->key ^ UTIL_FNV_BASIS, src);
	struct slot	*s;

	if (user) {
		h = util_fnv1a(h, "\n");
		h = util_fnv1a(h, user);
		s = &g->pair[h % GUARD_SLOTS];
	} else
		s = &g->addr[h % GUARD_ADDR_SLOTS];
	if (strcmp(s->src, src) == 0 && strncmp(s->user, user ? user : "",
	    sizeof(s->user) - 1) == 0)
		return s;
	if (!create)
		return NULL;
	memset(s, 0, sizeof(*s));
	snprintf(s->src, sizeof(s->src), "%s", src);
	snprintf(s->user, sizeof(s->user), "%s", user ? user : "");
	return s;
}

static unsigned
left(const struct slot *s, time_t now)
{
	return s != NULL && s->until > now ? (unsigned)(s->until - now) : 0;
}

unsigned
guard_blocked(struct guard *g, const char *addr, const char *user,
    time_t now)
{
	char		 src[GUARD_KEY_MAX];
	unsigned	 a, u = 0;

	guard_source(addr, src, sizeof(src));
	pthread_mutex_lock(&g->mu);
	a = left(find(g, src, NULL, 0), now);
	if (user && *user)
		u = left(find(g, src, user, 0), now);
	pthread_mutex_unlock(&g->mu);
	/* Every caller refuses what is blocked (sipcfgd(8), METRICS). */
	if (a > 0 || u > 0)
		metrics_inc(METRICS_GUARD_REFUSALS);
	return a > u ? a : u;
}

static void
count(const struct guard *g, struct slot *s, unsigned limit, time_t now)
{
	if (s->first == 0 || now - s->first >= (time_t)g->window) {
		s->first = now;
		s->fails = 0;
	}
	if (++s->fails >= limit) {
		metrics_inc(METRICS_GUARD_BLOCKS);
		s->until = now + g->block;
		s->fails = 0;
		s->first = 0;
	}
}

void
guard_fail(struct guard *g, const char *addr, const char *user, time_t now)
{
	char	 src[GUARD_KEY_MAX];

	guard_source(addr, src, sizeof(src));
	pthread_mutex_lock(&g->mu);
	count(g, find(g, src, NULL, 1), g->limit_addr, now);
	if (user && *user)
		count(g, find(g, src, user, 1), g->limit, now);
	pthread_mutex_unlock(&g->mu);
}

void
guard_ok(struct guard *g, const char *addr, const char *user)
{
	char		 src[GUARD_KEY_MAX];
	struct slot	*s;

	if (user == NULL || *user == '\0')
		return;
	guard_source(addr, src, sizeof(src));
	pthread_mutex_lock(&g->mu);
	if ((s = find(g, src, user, 0)) != NULL)
		memset(s, 0, sizeof(*s));
	pthread_mutex_unlock(&g->mu);
}
