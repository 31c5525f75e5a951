/*
 * arena: a per-thread bump allocator for the short-lived objects of one
 * rendering (issue 11: a miss makes no allocation churn an arena would
 * avoid).
 *
 * A rendering builds its context as jansson objects (hundreds of small
 * allocations, all freed before it returns).  Between arena_begin() and
 * arena_end() on a thread, jansson takes its memory from that thread's
 * arena: a pointer bump, and a free that only counts.  arena_end() makes
 * the whole arena free again in one step, when every object of the
 * rendering has been freed; if one has not (a bug), nothing is reused
 * until it is (the arena is logged, fills, then malloc(3) serves), so no
 * memory is ever handed out twice.  Outside those calls, and on every other thread, jansson uses
 * malloc(3) as before.
 */
#ifndef SIPCFG_ARENA_H
#define SIPCFG_ARENA_H

#include <stddef.h>

/* Points jansson's allocator at the arena functions; once, at start-up. */
void	 arena_install(void);
void	 arena_begin(void);
void	 arena_end(void);
/*
 * For objects that must outlive the rendering (resource.c's layer
 * memo): malloc(3) until arena_resume() with what arena_pause() said.
 */
int	 arena_pause(void);
void	 arena_resume(int);
/* Allocations served from arenas since start-up (all threads). */
size_t	 arena_served(void);

#endif
