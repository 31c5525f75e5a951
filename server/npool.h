/*
 * npool: where the notifier keeps what lives as long as a subscription
 * (struct nsub, struct mdev and their strings), apart from the malloc
 * heap that sofia-sip's messages and transactions come and go in.
 *
 * Mixed in one heap, a few long-lived objects on every page kept the
 * pages of a million freed transaction bytes resident: at 100,000
 * subscriptions that was 6.3 KB of RSS each, for 1.5 KB of live data
 * (issue 12's benchmark).  Here the long-lived objects are packed
 * together in size classes (32 to 2048 bytes) carved from 1 MiB mmap(2)
 * slabs, and a freed one goes on its class's free list for the next.
 * Larger requests go to malloc.  Slabs are not given back.  Not
 * thread-safe: the notifier thread owns its pool.
 */
#ifndef SIPCFG_NPOOL_H
#define SIPCFG_NPOOL_H

#include <stddef.h>

struct npool;

struct npool	*npool_new(void);
/* Frees every slab: whatever was allocated from it is gone. */
void		 npool_free_all(struct npool *);
/* Zeroed memory of n bytes, or NULL. */
void		*npool_alloc(struct npool *, size_t n);
/* p (may be NULL) was npool_alloc()ed with this n. */
void		 npool_free(struct npool *, void *p, size_t n);
/* Bytes in slabs, and in live allocations (for the log and tests). */
size_t		 npool_mapped(const struct npool *);
size_t		 npool_used(const struct npool *);

#endif
