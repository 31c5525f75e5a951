/*
 * sublimit: per-source subscription counts (see sublimit.h).  A chained
 * hash table keyed by a keyed hash of the source, one node per source
 * with a subscription; a node goes when its count drops to 0, so the
 * table holds no more than the subscriptions themselves.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sublimit.h"
#include "util.h"

#define BUCKETS	4096

struct node {
	struct node	*next;
	unsigned	 count;
	char		 key[SUBLIMIT_KEY_MAX];
};

struct sublimit {
	unsigned	 per_source;
	uint64_t	 seed;
	size_t		 nsources;
	struct node	*b[BUCKETS];
};

struct sublimit *
sublimit_new(unsigned per_source)
{
	struct sublimit	*l;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	l->per_source = per_source;
	if (util_random(&l->seed, sizeof(l->seed)) != 0)
		l->seed = (uint64_t)(uintptr_t)l;
	return l;
}

void
sublimit_free(struct sublimit *l)
{
	struct node	*n, *next;
	size_t		 i;

	if (l == NULL)
		return;
	for (i = 0; i < BUCKETS; i++)
		for (n = l->b[i]; n; n = next) {
			next = n->next;
			free(n);
		}
	free(l);
}

/* FNV-1a from a secret start: sources cannot be chosen to collide. */
static struct node **
slot(const struct sublimit *l, const char *key)
{
	uint64_t	 h = 1469598103934665603ULL ^ l->seed;
	struct node	**pp;
	size_t		 i;

	for (i = 0; key[i] && i < SUBLIMIT_KEY_MAX - 1; i++)
		h = (h ^ (unsigned char)key[i]) * 1099511628211ULL;
	pp = (struct node **)&l->b[h % BUCKETS];
	while (*pp && strncmp((*pp)->key, key, SUBLIMIT_KEY_MAX - 1) != 0)
		pp = &(*pp)->next;
	return pp;
}

enum sublimit_rc
sublimit_take(struct sublimit *l, const char *key)
{
	struct node	**pp = slot(l, key), *n = *pp;

	if (n == NULL) {
		if ((n = calloc(1, sizeof(*n))) == NULL)
			return SUBLIMIT_NOMEM;
		strncpy(n->key, key, SUBLIMIT_KEY_MAX - 1);
		*pp = n;
		l->nsources++;
	}
	if (n->count >= l->per_source)
		return SUBLIMIT_FULL;
	n->count++;
	return SUBLIMIT_OK;
}

void
sublimit_release(struct sublimit *l, const char *key)
{
	struct node	**pp = slot(l, key), *n = *pp;

	if (n == NULL)
		return;
	if (n->count > 0)
		n->count--;
	if (n->count == 0) {
		*pp = n->next;
		free(n);
		l->nsources--;
	}
}

unsigned
sublimit_count(const struct sublimit *l, const char *key)
{
	struct node	*n = *slot(l, key);

	return n ? n->count : 0;
}

size_t
sublimit_sources(const struct sublimit *l)
{
	return l->nsources;
}
