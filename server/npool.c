/*
 * npool: size-class slabs for the notifier's long-lived objects (see
 * npool.h).  Classes are 32 bytes apart up to 256, then powers of two up
 * to 2048; a slab is 1 MiB of anonymous memory, bump-allocated, and a
 * freed object goes on its class's free list (its first word links it).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "npool.h"

#define SLAB_SIZE	((size_t)1 << 20)
#define NCLASS		11	/* 32..256 by 32 (8), 512, 1024, 2048 */
#define MAX_SMALL	2048

struct slab {
	struct slab	*next;
};

struct npool {
	struct slab	*slabs;
	char		*bump, *end;	/* the current slab's free tail */
	void		*free[NCLASS];
	size_t		 mapped, used;
};

static int
class_of(size_t n, size_t *size)
{
	if (n <= 256) {
		n = n < 32 ? 32 : (n + 31) & ~(size_t)31;
		*size = n;
		return (int)(n / 32) - 1;
	}
	if (n <= 512) {
		*size = 512;
		return 8;
	}
	if (n <= 1024) {
		*size = 1024;
		return 9;
	}
	*size = 2048;
	return 10;
}

struct npool *
npool_new(void)
{
	return calloc(1, sizeof(struct npool));
}

void
npool_free_all(struct npool *p)
{
	struct slab	*s, *next;

	if (p == NULL)
		return;
	for (s = p->slabs; s; s = next) {
		next = s->next;
		munmap(s, SLAB_SIZE);
	}
	free(p);
}

void *
npool_alloc(struct npool *p, size_t n)
{
	struct slab	*s;
	size_t		 size;
	int		 c;
	void		*o;

	if (n > MAX_SMALL)
		return calloc(1, n);
	c = class_of(n, &size);
	if ((o = p->free[c]) != NULL) {
		memcpy(&p->free[c], o, sizeof(void *));
		memset(o, 0, size);
		p->used += size;
		return o;
	}
	if (p->bump == NULL || (size_t)(p->end - p->bump) < size) {
		/* The old slab's tail (< 2 KiB) is left unused. */
		s = mmap(NULL, SLAB_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (s == MAP_FAILED)
			return NULL;
		s->next = p->slabs;
		p->slabs = s;
		p->mapped += SLAB_SIZE;
		/* Objects start 64 bytes in, so every one is aligned. */
		p->bump = (char *)s + 64;
		p->end = (char *)s + SLAB_SIZE;
	}
	o = p->bump;
	p->bump += size;
	p->used += size;
	return o;		/* fresh anonymous pages are zero */
}

void
npool_free(struct npool *p, void *o, size_t n)
{
	size_t	 size;
	int	 c;

	if (o == NULL)
		return;
	if (n > MAX_SMALL) {
		free(o);
		return;
	}
	c = class_of(n, &size);
	memcpy(o, &p->free[c], sizeof(void *));
	p->free[c] = o;
	p->used -= size;
}

size_t
npool_mapped(const struct npool *p)
{
	return p->mapped;
}

size_t
npool_used(const struct npool *p)
{
	return p->used;
}
