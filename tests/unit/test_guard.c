/*
 * test_guard: the authentication failure guard (guard.h).  What counts
 * as one source (IPv6 by /64, IPv4-mapped as IPv4, ports dropped, junk
 * as given), then the counting: a success clears only its own user
 * name's count, a guesser is blocked per user name and, past the
 * per-source limit, for every name.
 */
#include <string.h>

#include "guard.h"
#include "tap.h"

static int
src(const char *in, const char *want)
{
	char	 out[GUARD_KEY_MAX];

	guard_source(in, out, sizeof(out));
	if (strcmp(out, want) != 0) {
		printf("# %s -> %s, want %s\n", in, out, want);
		return 0;
	}
	return 1;
}

int
main(void)
{
	struct guard	*g;
	char		 name[32], longjunk[300];
	time_t		 now = 1000000;
	int		 i, round, blocked;

	/* Bad and odd input first: never an overflow, kept as given. */
	memset(longjunk, 'x', sizeof(longjunk) - 1);
	longjunk[sizeof(longjunk) - 1] = '\0';
	{
		char out[GUARD_KEY_MAX];
		guard_source(longjunk, out, sizeof(out));
		ok(strlen(out) == GUARD_KEY_MAX - 1, "a long non-address is cut");
	}
	ok(src("", ""), "empty stays empty");
	ok(src("not-an-address", "not-an-address"), "junk kept as given");
	ok(src("[::1", "[::1"), "unclosed bracket kept as given");
	ok(src("host:5060", "host:5060"), "a name with a port is no address");
	ok(src("192.0.2.1:5060", "192.0.2.1"), "IPv4 transport address drops "
	    "the port");
	ok(src("[2001:db8::1]:5061", "2001:db8::/64"), "IPv6 transport "
	    "address drops the port and keeps the /64");
	ok(src("192.0.2.7", "192.0.2.7"), "IPv4 as it is");
	ok(src("::ffff:192.0.2.7", "192.0.2.7"), "IPv4-mapped IPv6 is IPv4");
	ok(src("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"),
	    "IPv6 grouped by /64");
	ok(src("2001:db8:1:2::1", "2001:db8:1:2::/64") &&
	    src("2001:db8:1:2:ffff::9", "2001:db8:1:2::/64"),
	    "two hosts of one /64 are one source");
	ok(src("2001:db8:1:3::1", "2001:db8:1:3::/64"), "the next /64 is "
	    "another source");

	/* limit 10 per user name, 25 per source, window 60, block 300. */
	g = guard_new(10, 25, 60, 300);
	ok(g != NULL, "guard_new");
	ok(guard_blocked(g, "192.0.2.1", "bob", now) == 0, "nothing blocked "
	    "at first");

	/*
	 * The review's repro: 9 wrong passwords for bob, then alice's good
	 * login, four times.  Before: 36 guesses and never blocked.
	 */
	blocked = 0;
	for (round = 0; round < 4 && !blocked; round++) {
		for (i = 0; i < 9 && !blocked; i++) {
			if (guard_blocked(g, "192.0.2.1", "bob", now))
				blocked = 1;
			else
				guard_fail(g, "192.0.2.1", "bob", now);
		}
		guard_ok(g, "192.0.2.1", "alice");
	}
	ok(blocked && round == 2, "alice's success does not reset bob's "
	    "count: blocked in the second round (round %d)", round);
	ok(guard_blocked(g, "192.0.2.1", "bob", now) > 0, "bob blocked");
	ok(guard_blocked(g, "192.0.2.1", "alice", now) == 0, "alice from the "
	    "same address is not");
	ok(guard_blocked(g, "192.0.2.2", "bob", now) == 0, "bob from another "
	    "address is not");
	ok(guard_blocked(g, "192.0.2.1", "bob", now + 301) == 0, "the block "
	    "ends after auth_block seconds");
	guard_free(g);

	/* A success clears its own count. */
	g = guard_new(3, 100, 60, 300);
	guard_fail(g, "192.0.2.1", "carol", now);
	guard_fail(g, "192.0.2.1", "carol", now);
	guard_ok(g, "192.0.2.1", "carol");
	guard_fail(g, "192.0.2.1", "carol", now);
	guard_fail(g, "192.0.2.1", "carol", now);
	ok(guard_blocked(g, "192.0.2.1", "carol", now) == 0, "a success "
	    "clears that user's own count");
	guard_fail(g, "192.0.2.1", "carol", now);
	ok(guard_blocked(g, "192.0.2.1", "carol", now) > 0, "the third "
	    "failure in a row blocks");
	/* Failures spread over the window: a new window starts afresh. */
	guard_fail(g, "192.0.2.9", "dave", now);
	guard_fail(g, "192.0.2.9", "dave", now);
	guard_fail(g, "192.0.2.9", "dave", now + 61);
	ok(guard_blocked(g, "192.0.2.9", "dave", now + 61) == 0, "failures "
	    "in another window do not add up");
	guard_free(g);

	/* Spraying user names from one /64: the per-source limit. */
	g = guard_new(10, 25, 60, 300);
	for (i = 0; i < 25; i++) {
		snprintf(name, sizeof(name), "user%d", i);
		/* From ever new addresses of one /64. */
		char a[64];
		snprintf(a, sizeof(a), "2001:db8:0:1::%x", i + 1);
		guard_fail(g, a, name, now);
	}
	ok(guard_blocked(g, "2001:db8:0:1::ffff", "someone-else", now) > 0,
	    "past the per-source limit, every name from that /64 is blocked");
	ok(guard_blocked(g, "2001:db8:0:1::ffff", NULL, now) > 0, "and so is "
	    "the source alone");
	ok(guard_blocked(g, "2001:db8:0:2::1", "someone-else", now) == 0,
	    "the next /64 is not");
	guard_ok(g, "2001:db8:0:1::1", "user0");
	ok(guard_blocked(g, "2001:db8:0:1::1", "user0", now) > 0, "a success "
	    "does not lift the source's block");
	guard_free(g);
	guard_free(NULL);
	return tap_done();
}
