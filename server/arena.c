/*
 * arena: per-thread bump allocation for renderings (see arena.h).
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "arena.h"
#include "log.h"

#define CHUNK		(64 * 1024)
#define CHUNKS_MAX	16		/* 1 MiB: past it, malloc(3) */
#define BIG		(CHUNK / 4)	/* larger requests: malloc(3) */
#define ALIGN		16

struct arena {
	char	*chunk[CHUNKS_MAX];
	size_t	 nchunks;
	size_t	 cur, used;		/* chunk in use, bytes used in it */
	size_t	 live;			/* allocations not yet freed */
	int	 warned;
};

static _Thread_local struct arena	*mine;	/* this thread's */
static _Thread_local int		 active;
static atomic_size_t			 served;

static int
owns(const struct arena *a, const void *p)
{
	size_t	 i;

	for (i = 0; i < a->nchunks; i++)
		if ((const char *)p >= a->chunk[i] &&
		    (const char *)p < a->chunk[i] + CHUNK)
			return 1;
	return 0;
}

static void *
amalloc(size_t n)
{
	struct arena	*a = mine;
	void		*p;

	if (!active || a == NULL || n > BIG)
		return malloc(n);
	n = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	if (a->used + n > CHUNK) {
		if (a->cur + 1 >= a->nchunks) {
			if (a->nchunks == CHUNKS_MAX ||
			    (a->chunk[a->nchunks] = aligned_alloc(ALIGN,
			    CHUNK)) == NULL)
				return malloc(n);
			a->nchunks++;
		}
		a->cur++;
		a->used = 0;
	}
	p = a->chunk[a->cur] + a->used;
	a->used += n;
	a->live++;
	atomic_fetch_add_explicit(&served, 1, memory_order_relaxed);
	return p;
}

static void
afree(void *p)
{
	struct arena	*a = mine;

	if (p == NULL)
		return;
	if (a != NULL && owns(a, p)) {
		a->live--;
		return;
	}
	free(p);
}

void
arena_install(void)
{
	json_set_alloc_funcs(amalloc, afree);
}

void
arena_begin(void)
{
	if (mine == NULL) {
		if ((mine = calloc(1, sizeof(*mine))) == NULL)
			return;
		if ((mine->chunk[0] = aligned_alloc(ALIGN, CHUNK)) == NULL) {
			free(mine);
			mine = NULL;
			return;
		}
		mine->nchunks = 1;
	}
	active = 1;
}

void
arena_end(void)
{
	struct arena	*a = mine;

	active = 0;
	if (a == NULL)
		return;
	if (a->live != 0) {
		/*
		 * An object of the rendering outlived it: nothing is
		 * reused until it is freed too (the arena keeps bumping,
		 * then falls back to malloc(3)).
		 */
		if (!a->warned)
			log_warnx("arena: %zu objects outlived a rendering",
			    a->live);
		a->warned = 1;
		return;
	}
	a->cur = 0;
	a->used = 0;
}

int
arena_pause(void)
{
	int	 was = active;

	active = 0;
	return was;
}

void
arena_resume(int was)
{
	active = was;
}

size_t
arena_served(void)
{
	return atomic_load(&served);
}
