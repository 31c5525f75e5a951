/*
 * test_npool: the notifier's slab pool (npool.h).  Odd sizes first (0,
 * 1, the class edges, past the largest class), then what the notifier
 * relies on: zeroed memory, alignment, a freed object reused by its own
 * class and no other, the byte counts, and many objects across slabs.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "npool.h"
#include "tap.h"

int
main(void)
{
	struct npool	*p;
	unsigned char	*a, *b, *c, *big, *o[40000];
	size_t		 i, zero = 1, aligned = 1, distinct = 1;

	npool_free_all(NULL);
	ok((p = npool_new()) != NULL, "npool_new");
	if (p == NULL)
		return tap_done();

	/* Odd sizes. */
	ok((a = npool_alloc(p, 0)) != NULL, "0 bytes: an object all the same");
	ok(npool_used(p) == 32, "  of the smallest class (32)");
	npool_free(p, a, 0);
	ok(npool_used(p) == 0, "  and freed");
	npool_free(p, NULL, 100);
	ok(npool_used(p) == 0, "freeing NULL does nothing");
	ok((big = npool_alloc(p, 5000)) != NULL, "past the largest class: malloc");
	ok(npool_used(p) == 0, "  not counted in the pool");
	for (i = 0; i < 5000 && zero; i++)
		zero = big[i] == 0;
	ok(zero, "  zeroed");
	npool_free(p, big, 5000);

	/* Reuse within a class, not across classes. */
	a = npool_alloc(p, 300);
	memset(a, 0xab, 300);
	npool_free(p, a, 300);
	b = npool_alloc(p, 100);
	ok(b != a, "a freed 512-class object is not handed to the 128 class");
	c = npool_alloc(p, 400);
	ok(c == a, "it is reused by its own class");
	for (i = 0, zero = 1; i < 400; i++)
		zero &= c[i] == 0;
	ok(zero, "  zeroed again");
	ok(npool_used(p) == 128 + 512, "used: 128 + 512 bytes");
	npool_free(p, b, 100);
	npool_free(p, c, 400);
	ok(npool_used(p) == 0, "used: 0 after freeing both");

	/* Many objects: aligned, distinct, across slabs. */
	for (i = 0; i < sizeof(o) / sizeof(o[0]); i++) {
		size_t n = 24 + (i * 37) % 700;

		if ((o[i] = npool_alloc(p, n)) == NULL)
			break;
		aligned &= ((uintptr_t)o[i] % 16) == 0;
		memset(o[i], (int)(i & 0xff), n);
	}
	ok(i == sizeof(o) / sizeof(o[0]), "40,000 objects allocated");
	ok(aligned, "every one 16-byte aligned");
	for (i = 0; i < sizeof(o) / sizeof(o[0]) && distinct; i++)
		distinct = o[i][0] == (unsigned char)(i & 0xff);
	ok(distinct, "none overlaps another");
	ok(npool_mapped(p) > ((size_t)1 << 20), "more than one slab mapped");
	for (i = 0; i < sizeof(o) / sizeof(o[0]); i++)
		npool_free(p, o[i], 24 + (i * 37) % 700);
	ok(npool_used(p) == 0, "all freed: used 0");
	npool_free_all(p);
	return tap_done();
}
