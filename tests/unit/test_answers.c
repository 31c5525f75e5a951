/*
 * test_answers: the shared answer cache (answers.h) and the rules of
 * touch.h behind it.  Odd input first (an unknown change kind, a stale
 * generation, entries larger than the bound), then that each kind of
 * change drops exactly the entries it touches and no other, that look-ups
 * come back byte for byte, and that the bound holds while a pinned answer
 * outlives its eviction.
 */
#include <stdlib.h>
#include <string.h>

#include "answers.h"
#include "tap.h"

static int	 freed;		/* ext hooks called */

static void
ext_free(void *p)
{
	(void)p;
	freed++;
}

static struct rendered
mk(const char *body)
{
	struct rendered	 r;

	memset(&r, 0, sizeof(r));
	r.body = strdup(body);
	r.len = strlen(body);
	snprintf(r.etag, sizeof(r.etag), "\"%zu\"", r.len);
	r.ext[0] = &r;		/* any non-NULL: counted by ext_free */
	r.ext_free = ext_free;
	return r;
}

/* Device n: vendor v<n%2>, model m, profile p<n%3> (id 100+n%3), user u<n>. */
static struct touch_dev
dev(int n, char bufs[4][32])
{
	struct touch_dev	 t;

	memset(&t, 0, sizeof(t));
	t.id = n;
	t.user_id = 1000 + n;
	t.profile_id = 100 + n % 3;
	t.domain_id = 1 + n % 2;
	snprintf(bufs[0], 32, "sfua%d", n);
	snprintf(bufs[1], 32, "v%d", n % 2);
	snprintf(bufs[2], 32, "p%d", n % 3);
	snprintf(bufs[3], 32, "u%d", n);
	t.sfua = bufs[0];
	t.vendor = bufs[1];
	t.model = "m";
	t.profile = bufs[2];
	t.user = bufs[3];
	return t;
}

#define NDEV	6

static void
fill(struct answers *a)
{
	struct touch_dev	 t;
	struct rendered		 r;
	struct answer		*pin;
	char			 key[32], bufs[4][32];
	int			 n;

	answers_clear(a);
	for (n = 1; n <= NDEV; n++) {
		t = dev(n, bufs);
		snprintf(key, sizeof(key), "A|%d", n);
		r = mk(key);
		answers_put(a, answers_gen(a), key, &t, &r, &pin);
		answers_release(a, pin);
	}
}

/* Which of devices 1..NDEV still have their answer: "1.3..6" style. */
static const char *
left(struct answers *a)
{
	static char	 s[NDEV + 1];
	struct answer	*pin;
	char		 key[32];
	int		 n;

	for (n = 1; n <= NDEV; n++) {
		snprintf(key, sizeof(key), "A|%d", n);
		s[n - 1] = answers_get(a, key, &pin) ? '0' + n : '.';
		answers_release(a, pin);
	}
	s[NDEV] = '\0';
	return s;
}

static const char *
after(struct answers *a, const char *hint)
{
	struct store_change	 c;

	fill(a);
	memset(&c, 0, sizeof(c));
	store_change_parse(hint, &c);
	answers_apply(a, &c, 1);
	return left(a);
}

static void
is_left(struct answers *a, const char *hint, const char *want)
{
	const char	*got = after(a, hint);

	ok(strcmp(got, want) == 0, "%s leaves %s (got %s)", hint, want, got);
}

int
main(void)
{
	struct answers		*a;
	struct answers_stats	 s;
	struct store_device	 d, d2;
	struct store_user	 u, u2;
	struct store_change	 c;
	struct rendered		 r;
	const struct rendered	*got;
	struct answer		*pin, *held;
	struct touch_dev	 t;
	enum store_rc		 rc;
	uint64_t		 g;
	char			 key[32], bufs[4][32], big[4096];
	size_t			 i;
	int			 n, all200;

	/* ---------------------------------------------- odd input first */
	a = answers_new(0);
	ok(a != NULL && answers_max_bytes(a) == 1 << 20,
	    "a bound of 0 is taken as 1 MiB");
	ok(answers_get(a, "A|nothing", &pin) == NULL && pin == NULL,
	    "a key never put is a miss");
	answers_release(a, NULL);
	ok(!answers_device_get(a, 1, "nobody", &rc, &d),
	    "a device never looked up is not cached");

	store_change_parse("bogus:12", &c);
	ok(c.kind == CHG_UNKNOWN && strcmp(c.hint, "bogus:12") == 0,
	    "an unknown hint is CHG_UNKNOWN, kept as written");
	store_change_parse("device:12x", &c);
	ok(c.kind == CHG_UNKNOWN, "device:12x is not a device change");
	store_change_parse("device:-3", &c);
	ok(c.kind == CHG_UNKNOWN, "device:-3 is not a device change");
	store_change_parse("var:planet:x", &c);
	ok(c.kind == CHG_UNKNOWN, "a variable layer we do not know");
	is_left(a, "bogus:12", "......");

	/* A put with a generation a change has passed is served once. */
	t = dev(1, bufs);
	g = answers_gen(a);
	store_change_parse("device:4", &c);
	answers_apply(a, &c, 1);
	r = mk("stale");
	got = answers_put(a, g, "A|1", &t, &r, &pin);
	ok(got != NULL && strcmp(got->body, "stale") == 0,
	    "a stale put still answers its own request");
	answers_release(a, pin);
	ok(answers_get(a, "A|1", &pin) == NULL,
	    "but is never cached (a change came between read and put)");
	answers_release(a, pin);

	/* Larger than a quarter of the bound: never cached. */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	answers_free(a);
	a = answers_new(8192);
	r = mk(big);
	got = answers_put(a, answers_gen(a), "A|big", &t, &r, &pin);
	ok(got != NULL && got->len == sizeof(big) - 1, "a big answer answers");
	answers_release(a, pin);
	answers_stats(a, &s);
	ok(s.answers == 0 && s.bytes == 0, "but is not kept");
	answers_free(a);

	/* ------------------------------------------- exactly what it touches */
	a = answers_new(1 << 20);
	fill(a);
	ok(strcmp(left(a), "123456") == 0, "all there");
	is_left(a, "device:3", "12.456");
	is_left(a, "device:99", "123456");
	is_left(a, "user:1002", "1.3456");
	is_left(a, "profile:101", ".23.56");	/* 1, 4 */
	is_left(a, "domain:2", ".2.4.6");	/* odd ids are domain 2 */
	is_left(a, "var:vendor:v1", ".2.4.6");
	is_left(a, "var:model:v0/m", "1.3.5.");
	is_left(a, "var:model:v0/other", "123456");
	is_left(a, "var:profile:p2", "1.34.6");	/* 2, 5 */
	is_left(a, "var:user:u4", "123.56");
	is_left(a, "var:device:sfua6", "12345.");
	is_left(a, "var:device:sfua", "123456");	/* a prefix is not it */
	is_left(a, "var:device:nobody", "123456");
	is_left(a, "var:global:", "......");
	is_left(a, "template:1", "......");
	is_left(a, "all", "......");
	is_left(a, "pin:2", "123456");
	is_left(a, "notify:2", "123456");
	is_left(a, "notify:*", "123456");
	is_left(a, "checksync", "123456");
	is_left(a, "checksync-now:2", "123456");
	answers_stats(a, &s);
	ok(s.dropped_change > 0 && s.dropped_bound == 0,
	    "drops by changes are counted as such");

	/* ------------------------------------------------------- look-ups */
	memset(&d, 0, sizeof(d));
	d.id = 7;
	snprintf(d.sfua_id, sizeof(d.sfua_id), "urn:uuid:7");
	snprintf(d.vendor, sizeof(d.vendor), "v0");
	snprintf(d.model, sizeof(d.model), "m");
	snprintf(d.user, sizeof(d.user), "u7");
	d.user_id = 1007;
	d.max_age = -1;
	d.profile_max_age = 300;
	/* Bytes of every value, runs of zeros of every length. */
	for (i = 0; i < sizeof(d.label) - 1; i++)
		d.label[i] = (char)(i % 7 == 0 ? 0 : i);
	for (i = 0; i < 5; i++)
		d.enc_key_sealed[i * 9] = 'k';
	answers_device_put(a, answers_gen(a), 1, "urn:uuid:7", STORE_OK, &d);
	memset(&d2, 0xa5, sizeof(d2));
	ok(answers_device_get(a, 1, "urn:uuid:7", &rc, &d2) && rc == STORE_OK &&
	    memcmp(&d, &d2, sizeof(d)) == 0,
	    "a device look-up comes back byte for byte");
	ok(!answers_device_get(a, 2, "urn:uuid:7", &rc, &d2),
	    "in its CS domain only");
	answers_device_put(a, answers_gen(a), 1, "urn:uuid:8", STORE_NOTFOUND,
	    NULL);
	ok(answers_device_get(a, 1, "urn:uuid:8", &rc, &d2) &&
	    rc == STORE_NOTFOUND, "an unknown device is cached as unknown");
	store_change_parse("pin:7", &c);
	answers_apply(a, &c, 1);
	ok(!answers_device_get(a, 1, "urn:uuid:7", &rc, &d2),
	    "a pin drops the device's look-up (has_pin)");
	ok(answers_device_get(a, 1, "urn:uuid:8", &rc, &d2),
	    "and no other");
	store_change_parse("device:12345", &c);
	answers_apply(a, &c, 1);
	ok(!answers_device_get(a, 1, "urn:uuid:8", &rc, &d2),
	    "any device change drops unknown ones (it may be that one, added)");

	memset(&u, 0, sizeof(u));
	u.id = 1007;
	u.domain_id = 1;
	snprintf(u.name, sizeof(u.name), "u7");
	snprintf(u.ha1_md5, sizeof(u.ha1_md5), "%032d", 7);
	snprintf(u.old_ha1_md5, sizeof(u.old_ha1_md5), "%032d", 8);
	u.old_until = 1234567;
	answers_user_put(a, answers_gen(a), "u7", STORE_OK, &u);
	ok(answers_user_get(a, "u7", &rc, &u2) && rc == STORE_OK &&
	    memcmp(&u, &u2, sizeof(u)) == 0,
	    "credentials come back byte for byte, rotation state too");
	store_change_parse("user:1008", &c);
	answers_apply(a, &c, 1);
	ok(answers_user_get(a, "u7", &rc, &u2), "another user's change: kept");
	store_change_parse("domain:2", &c);
	answers_apply(a, &c, 1);
	ok(answers_user_get(a, "u7", &rc, &u2), "another domain's: kept");
	store_change_parse("domain:1", &c);
	answers_apply(a, &c, 1);
	ok(!answers_user_get(a, "u7", &rc, &u2), "its domain's: dropped");
	answers_user_put(a, answers_gen(a), "u7", STORE_OK, &u);
	store_change_parse("user:1007", &c);
	answers_apply(a, &c, 1);
	ok(!answers_user_get(a, "u7", &rc, &u2), "its own change: dropped");
	answers_free(a);

	/* ---------------------------------------------------------- bound */
	a = answers_new(1 << 20);
	freed = 0;
	memset(big, 'y', 1024);
	big[1024] = '\0';
	t = dev(1, bufs);
	r = mk("held");
	got = answers_put(a, answers_gen(a), "A|held", &t, &r, &held);
	all200 = 1;
	for (n = 0; n < 2000; n++) {
		t = dev(n + 10, bufs);
		snprintf(key, sizeof(key), "A|%d", n + 10);
		r = mk(big);
		if (answers_put(a, answers_gen(a), key, &t, &r, &pin) == NULL)
			all200 = 0;
		answers_release(a, pin);
		answers_device_put(a, answers_gen(a), 1, key, STORE_OK, &d);
		if ((answers_stats(a, &s), s.bytes) > s.max_bytes)
			all200 = 0;
	}
	answers_stats(a, &s);
	ok(all200, "2000 answers of 1 KiB in 1 MiB: every put answered, the "
	    "bound held after each");
	ok(s.dropped_bound > 0 && s.bytes <= s.max_bytes && s.answers < 2000,
	    "the oldest went (%zu answers, %zu devices, %zu of %zu bytes)",
	    s.answers, s.devices, s.bytes, s.max_bytes);
	ok(answers_get(a, "A|held", &pin) == NULL,
	    "the pinned answer is out of the cache");
	ok(strcmp(got->body, "held") == 0, "but still readable while pinned");
	n = freed;
	answers_release(a, held);
	ok(freed == n + 1, "and freed on its release");
	answers_free(a);

	/*
	 * CLOCK: an answer used between puts outlives the 2000 that push
	 * through; one never used after its put is the first to go.
	 */
	a = answers_new(1 << 20);
	t = dev(1, bufs);
	r = mk(big);
	answers_put(a, answers_gen(a), "A|hot", &t, &r, &pin);
	answers_release(a, pin);
	t = dev(2, bufs);
	r = mk(big);
	answers_put(a, answers_gen(a), "A|cold", &t, &r, &pin);
	answers_release(a, pin);
	all200 = 1;
	for (n = 0; n < 2000; n++) {
		if (answers_get(a, "A|hot", &pin) == NULL)
			all200 = 0;
		answers_release(a, pin);
		t = dev(n + 10, bufs);
		snprintf(key, sizeof(key), "A|%d", n + 10);
		r = mk(big);
		answers_put(a, answers_gen(a), key, &t, &r, &pin);
		answers_release(a, pin);
	}
	ok(all200, "an answer used between puts stays through 2000 puts of "
	    "1 KiB into 1 MiB");
	ok(answers_get(a, "A|cold", &pin) == NULL, "one never used went");
	answers_release(a, pin);
	answers_stats(a, &s);
	ok(s.bytes <= s.max_bytes, "the bound held (%zu of %zu bytes)",
	    s.bytes, s.max_bytes);
	answers_free(a);

	/* ------------------------------------- a spray of unknown devices */
	a = answers_new(1 << 20);
	memset(&t, 0, sizeof(t));
	answers_device_put(a, answers_gen(a), 1, "real", STORE_OK, &d);
	r = mk("real answer");
	t = dev(1, bufs);
	answers_put(a, answers_gen(a), "A|real", &t, &r, &pin);
	answers_release(a, pin);
	memset(&t, 0, sizeof(t));
	for (n = 0; n < 20000; n++) {
		snprintf(key, sizeof(key), "nobody%d", n);
		answers_device_put(a, answers_gen(a), 1, key, STORE_NOTFOUND,
		    NULL);
		answers_user_put(a, answers_gen(a), key, STORE_NOTFOUND, NULL);
		snprintf(key, sizeof(key), "A|nobody%d", n);
		r = mk("secret-free default");
		answers_put(a, answers_gen(a), key, &t, &r, &pin);
		answers_release(a, pin);
	}
	answers_stats(a, &s);
	ok(answers_device_get(a, 1, "real", &rc, &d2) &&
	    (got = answers_get(a, "A|real", &pin)) != NULL,
	    "20,000 unknown devices, users and answers push out no real one");
	answers_release(a, pin);
	ok(s.bytes <= s.max_bytes / 8 + 16384 && s.dropped_bound == 0,
	    "they share an eighth of the bound, refused past it (%zu of %zu bytes)", s.bytes,
	    s.max_bytes);
	answers_free(a);
	return tap_done();
}
