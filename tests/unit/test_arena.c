/*
 * test_arena: the per-thread rendering arena (arena.h) under jansson.
 * Objects made before it or outside a rendering are freed as ever; one
 * that outlives a rendering is never handed out again while alive; a
 * clean rendering leaves the arena to be reused from its start.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "arena.h"
#include "tap.h"

static json_t *
build(int n)
{
	json_t	*o = json_object(), *a = json_array();
	char	 k[32];
	int	 i;

	for (i = 0; i < n; i++) {
		snprintf(k, sizeof(k), "key%d", i);
		json_object_set_new(o, k, json_string(k));
		json_array_append_new(a, json_integer(i));
	}
	json_object_set_new(o, "list", a);
	return o;
}

int
main(void)
{
	json_t	*before, *kept, *x, *y;
	size_t	 s0;
	void	*first;

	/* Made with malloc(3) before the arena is installed. */
	before = build(10);
	arena_install();
	s0 = arena_served();

	/* Outside a rendering: malloc(3), freed as ever. */
	x = build(10);
	ok(arena_served() == s0, "outside arena_begin/end nothing is served");
	json_decref(x);

	arena_begin();
	json_decref(before);	/* a malloc(3) object freed inside: free(3) */
	x = build(200);
	first = x;
	ok(arena_served() > s0 + 400, "a rendering's objects come from the "
	    "arena (%zu)", arena_served() - s0);
	json_decref(x);
	arena_end();

	arena_begin();
	y = build(200);
	ok((void *)y == first, "a clean rendering's arena is reused from its "
	    "start");
	/* One object outlives this rendering (a bug the arena survives). */
	kept = json_incref(json_object_get(y, "list"));
	json_decref(y);
	arena_end();

	arena_begin();
	x = build(200);
	ok((void *)x != first && json_array_size(kept) == 200 &&
	    json_integer_value(json_array_get(kept, 199)) == 199,
	    "while it lives, its memory is not handed out again");
	json_decref(x);
	arena_end();
	json_decref(kept);	/* freed late: only counted */

	arena_begin();
	x = build(3000);	/* past the arena's bound: malloc(3) takes over */
	ok(json_object_size(x) == 3001, "a rendering larger than the arena "
	    "still gets its memory");
	json_decref(x);
	arena_end();
	arena_begin();
	y = build(10);
	ok((void *)y == first, "once the late object is gone, reuse resumes");
	json_decref(y);
	arena_end();

	/* arena_pause(): an object that outlives the rendering (a memo). */
	arena_begin();
	{
		size_t	 served0;
		int	 was;

		was = arena_pause();
		served0 = arena_served();
		kept = build(50);
		ok(arena_served() == served0, "paused: malloc(3), not the arena");
		arena_resume(was);
		x = build(10);
		ok(arena_served() > served0, "resumed: the arena again");
		json_decref(x);
	}
	arena_end();
	arena_begin();
	y = build(10);
	ok((void *)y == first, "the paused object did not hold the arena");
	json_decref(y);
	arena_end();
	ok(json_object_size(kept) == 51, "and it is still whole");
	json_decref(kept);
	return tap_done();
}
