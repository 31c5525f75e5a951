/*
 * answers: the shared answer cache (see answers.h).
 *
 * One mutex guards a hash table of entries by key, a second table of the
 * entries of each device id (a change to one device finds its entries
 * without a scan), and the eviction list (CLOCK, below).  A hit holds the
 * mutex for a look-up and a copy: the work of a miss (the store, the
 * template) is done outside it.
 *
 * Look-ups are kept packed: a struct store_device is mostly the unused
 * tails of fixed-size strings, so runs of zero bytes are stored as
 * counts (pack()), which makes a cached device a tenth of its size.
 */
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answers.h"
#include "log.h"
#include "metrics.h"
#include "util.h"

enum etype { E_ANSWER, E_DEVICE, E_USER };

struct entry {
	struct entry	*hnext;		/* key chain */
	struct entry	*inext;		/* device id chain */
	struct entry	*unext;		/* user id chain (uid()) */
	struct entry	*snext;		/* sfua-id chain (sfua not "") */
	struct entry	*lprev, *lnext;	/* least recently used: tail */
	uint32_t	 hash;
	uint8_t		 type;
	uint8_t		 linked;	/* in the tables (else only pinned) */
	uint8_t		 negative;	/* a look-up that found nothing */
	uint8_t		 secret;	/* wipe the payload when it goes */
	uint8_t		 used;		/* since the clock last passed */
	int		 refs;		/* pins */
	uint64_t	 neg_gen;
	size_t		 bytes;
	int64_t		 id;		/* device or user id; 0: none */
	int64_t		 user_id, profile_id, domain_id;
	char		*sfua, *vendor, *model, *user, *profile;
	void		*payload;	/* rendered, or packed look-up */
	size_t		 plen;
	char		 key[];
};

/* A packed look-up up to this size is unpacked outside the mutex. */
#define PACKED_COPY_MAX	2048

struct answers {
	pthread_mutex_t	 mu;
	struct entry	**tab, **itab, **utab, **stab;
	size_t		 nbuckets;	/* a power of two */
	struct entry	*head, *tail;
	size_t		 bytes, max_bytes;
	size_t		 unknown_bytes;	/* entries of no known device */
	size_t		 count[3];
	uint64_t	 gen, every_gen;
	uint64_t	 dev_neg_gen, user_neg_gen;
	uint64_t	 hits, misses, dropped_change, dropped_bound;
	uint64_t	 changes_read, idle_commits;
};

/*
 * What the ready responses of an answer (resource_opts.ext_build) cost
 * besides the body they own: two struct MHD_Response and their headers.
 * Measured: with 100,000 answers cached, malloc_stats(3) showed the heap
 * in use within 2% of the figure this makes (and RSS too) (libmicrohttpd 0.9.75).
 */
#define RESPONSES_COST	1792

/* What an allocation really takes from the heap. */
static size_t
heap(const void *p)
{
	return p ? malloc_usable_size((void *)p) + sizeof(size_t) : 0;
}

static uint32_t
hash_str(const char *s)
{
	return (uint32_t)util_fnv1a(14695981039346656037ULL, s);
}

static uint32_t
hash_id(int64_t id)
{
	uint64_t	 x = (uint64_t)id * 0x9e3779b97f4a7c15ull;

	return (uint32_t)(x >> 32);
}

/*
 * Runs of four or more zero bytes become counts: [zeros u16][n u16][n
 * bytes], repeated.  unpack() fills exactly len bytes.
 */
static void *
pack(const void *src, size_t len, size_t *outlen)
{
	const unsigned char	*s = src;
	unsigned char		*o, *p;
	size_t			 i = 0, z, n, j;

	if ((o = malloc(len + 4 * (len / 4 + 2))) == NULL)
		return NULL;
	p = o;
	while (i < len) {
		for (z = 0; i + z < len && s[i + z] == 0 && z < 65535; z++)
			;
		i += z;
		/* A literal ends at a run of four zero bytes. */
		for (n = 0; i + n < len && n < 65535; n++) {
			for (j = 0; j < 4 && i + n + j < len &&
			    s[i + n + j] == 0; j++)
				;
			if (j == 4 || (j > 0 && i + n + j == len))
				break;
		}
		p[0] = (unsigned char)(z >> 8);
		p[1] = (unsigned char)z;
		p[2] = (unsigned char)(n >> 8);
		p[3] = (unsigned char)n;
		memcpy(p + 4, s + i, n);
		p += 4 + n;
		i += n;
	}
	*outlen = (size_t)(p - o);
	/* Made for the worst case: keep what it took. */
	if ((p = realloc(o, *outlen ? *outlen : 1)) != NULL)
		o = p;
	return o;
}

static void
unpack(const unsigned char *p, size_t plen, void *dst, size_t len)
{
	unsigned char	*d = dst;
	const unsigned char *e = p + plen;
	size_t		 i = 0, z, n;

	memset(d, 0, len);
	while (p + 4 <= e) {
		z = (size_t)p[0] << 8 | p[1];
		n = (size_t)p[2] << 8 | p[3];
		i += z;
		if (i + n > len || p + 4 + n > e)
			return;
		memcpy(d + i, p + 4, n);
		i += n;
		p += 4 + n;
	}
}

void
rendered_clear(struct rendered *x)
{
	size_t	 i;

	for (i = 0; i < sizeof(x->ext) / sizeof(x->ext[0]); i++)
		if (x->ext[i] && x->ext_free)
			x->ext_free(x->ext[i]);
	if (x->body && !x->body_given) {
		if (!x->secret_free)
			util_wipe(x->body, x->len);
		free(x->body);
	}
	memset(x, 0, sizeof(*x));
}

struct answers *
answers_new(size_t max_bytes)
{
	struct answers	*a;
	size_t		 nb = 1024;

	if (max_bytes == 0)
		max_bytes = 1 << 20;
	/* About one bucket per two kilobytes of bound. */
	while (nb < max_bytes / 2048 && nb < ((size_t)1 << 24))
		nb <<= 1;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	if ((a->tab = calloc(nb, sizeof(*a->tab))) == NULL ||
	    (a->itab = calloc(nb, sizeof(*a->itab))) == NULL ||
	    (a->utab = calloc(nb, sizeof(*a->utab))) == NULL ||
	    (a->stab = calloc(nb, sizeof(*a->stab))) == NULL) {
		free(a->utab);
		free(a->itab);
		free(a->tab);
		free(a);
		return NULL;
	}
	a->nbuckets = nb;
	a->max_bytes = max_bytes;
	pthread_mutex_init(&a->mu, NULL);
	return a;
}

static void
entry_free(struct entry *e)
{
	if (e->type == E_ANSWER) {
		rendered_clear(e->payload);
		free(e->payload);
	} else {
		if (e->secret)
			util_wipe(e->payload, e->plen);
		free(e->payload);
	}
	free(e->sfua);	/* one allocation for the five strings */
	free(e);
}

/*
 * An entry for no device in the store: a look-up that found none, or
 * the secret-free answer of an unknown device.  Anyone can make these by
 * the million (any sfua-id will do), so they get an eighth of the bound
 * (has_room()) and cannot push out what real devices fetch.
 */
static int
unknown(const struct entry *e)
{
	return e->negative || (e->type != E_USER && e->id == 0);
}

static int
has_room(const struct answers *a, const struct entry *e)
{
	return e->bytes <= a->max_bytes / 4 && (!unknown(e) ||
	    a->unknown_bytes + e->bytes <= a->max_bytes / 8);
}

/*
 * The user an entry belongs to: a user's own, or the user of the device
 * of a look-up or answer; 0: none.  A user's change (a password, the
 * commonest change there is) finds its entries by it, without a scan.
 */
static int64_t
uid(const struct entry *e)
{
	return e->type == E_USER ? e->id : e->user_id;
}

/* Out of the tables and the list; freed now unless pinned. */
static void
unlink_entry(struct answers *a, struct entry *e)
{
	struct entry	**pp;

	if (!e->linked)
		return;
	for (pp = &a->tab[e->hash & (a->nbuckets - 1)]; *pp != e;
	    pp = &(*pp)->hnext)
		;
	*pp = e->hnext;
	if (e->id != 0 && e->type != E_USER) {
		for (pp = &a->itab[hash_id(e->id) & (a->nbuckets - 1)];
		    *pp && *pp != e; pp = &(*pp)->inext)
			;
		if (*pp)
			*pp = e->inext;
	}
	if (uid(e) != 0) {
		for (pp = &a->utab[hash_id(uid(e)) & (a->nbuckets - 1)];
		    *pp && *pp != e; pp = &(*pp)->unext)
			;
		if (*pp)
			*pp = e->unext;
	}
	if (e->sfua[0] != '\0') {
		for (pp = &a->stab[hash_str(e->sfua) & (a->nbuckets - 1)];
		    *pp && *pp != e; pp = &(*pp)->snext)
			;
		if (*pp)
			*pp = e->snext;
	}
	if (e->lprev)
		e->lprev->lnext = e->lnext;
	else
		a->head = e->lnext;
	if (e->lnext)
		e->lnext->lprev = e->lprev;
	else
		a->tail = e->lprev;
	e->linked = 0;
	a->bytes -= e->bytes;
	if (unknown(e))
		a->unknown_bytes -= e->bytes;
	a->count[e->type]--;
	if (e->refs == 0)
		entry_free(e);
}

static void
drop(struct answers *a, struct entry *e, int by_change)
{
	if (by_change)
		a->dropped_change++;
	else
		a->dropped_bound++;
	unlink_entry(a, e);
}

static void
to_head(struct answers *a, struct entry *e)
{
	if (a->head == e)
		return;
	e->lprev->lnext = e->lnext;
	if (e->lnext)
		e->lnext->lprev = e->lprev;
	else
		a->tail = e->lprev;
	e->lprev = NULL;
	e->lnext = a->head;
	a->head->lprev = e;
	a->head = e;
}

/*
 * The bound goes by CLOCK (second chance), not by strict LRU: a hit only
 * marks its entry, and the sweep at the tail gives a marked entry one more
 * round at the head, its mark cleared, and drops the first unmarked one.
 * A hit then touches its own entry alone, not its list neighbours and the
 * head: at a million devices those were three more cache misses each,
 * under the mutex (issue 11's profile).
 */
static void
mark_used(struct entry *e)
{
	if (!e->used)
		e->used = 1;
}

static void
evict_one(struct answers *a)
{
	struct entry	*e;

	/* Ends: every entry moved has its mark cleared. */
	while ((e = a->tail) != NULL && e->used) {
		e->used = 0;
		to_head(a, e);
	}
	if (e != NULL) {
		drop(a, e, 0);
		metrics_inc(METRICS_ANSWER_EVICTIONS);
	}
}

static struct entry *
find(struct answers *a, const char *key, uint32_t h)
{
	struct entry	*e;

	for (e = a->tab[h & (a->nbuckets - 1)]; e; e = e->hnext)
		if (e->hash == h && strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

/* A new entry with its key and the touch facts; not linked. */
static struct entry *
entry_new(const char *key, const struct touch_dev *td)
{
	struct entry	*e;
	const char	*s[5];
	size_t		 kl = strlen(key), l[5], tot = 0, i;
	char		*p;

	s[0] = td && td->sfua ? td->sfua : "";
	s[1] = td && td->vendor ? td->vendor : "";
	s[2] = td && td->model ? td->model : "";
	s[3] = td && td->user ? td->user : "";
	s[4] = td && td->profile ? td->profile : "";
	for (i = 0; i < 5; i++)
		tot += (l[i] = strlen(s[i]) + 1);
	if ((e = calloc(1, sizeof(*e) + kl + 1)) == NULL)
		return NULL;
	if ((p = malloc(tot)) == NULL) {
		free(e);
		return NULL;
	}
	memcpy(e->key, key, kl + 1);
	e->hash = hash_str(key);
	for (i = 0; i < 5; i++) {
		memcpy(p, s[i], l[i]);
		s[i] = p;
		p += l[i];
	}
	e->sfua = (char *)s[0];	/* the start of the one allocation */
	e->vendor = (char *)s[1];
	e->model = (char *)s[2];
	e->user = (char *)s[3];
	e->profile = (char *)s[4];
	if (td) {
		e->id = td->id;
		e->user_id = td->user_id;
		e->profile_id = td->profile_id;
		e->domain_id = td->domain_id;
	}
	e->bytes = heap(e) + heap(p - tot);
	return e;
}

/* Makes room, then links e at the head (replacing one of the same key). */
static void
link_entry(struct answers *a, struct entry *e)
{
	struct entry	*old;
	size_t		 b;

	if ((old = find(a, e->key, e->hash)) != NULL)
		unlink_entry(a, old);
	while (a->bytes + e->bytes > a->max_bytes && a->tail)
		evict_one(a);
	b = e->hash & (a->nbuckets - 1);
	e->hnext = a->tab[b];
	a->tab[b] = e;
	if (e->id != 0 && e->type != E_USER) {
		b = hash_id(e->id) & (a->nbuckets - 1);
		e->inext = a->itab[b];
		a->itab[b] = e;
	}
	if (uid(e) != 0) {
		b = hash_id(uid(e)) & (a->nbuckets - 1);
		e->unext = a->utab[b];
		a->utab[b] = e;
	}
	if (e->sfua[0] != '\0') {
		b = hash_str(e->sfua) & (a->nbuckets - 1);
		e->snext = a->stab[b];
		a->stab[b] = e;
	}
	e->lprev = NULL;
	e->lnext = a->head;
	if (a->head)
		a->head->lprev = e;
	a->head = e;
	if (a->tail == NULL)
		a->tail = e;
	e->linked = 1;
	a->bytes += e->bytes;
	if (unknown(e))
		a->unknown_bytes += e->bytes;
	a->count[e->type]++;
}

void
answers_clear(struct answers *a)
{
	pthread_mutex_lock(&a->mu);
	while (a->tail)
		drop(a, a->tail, 1);
	a->gen++;
	a->every_gen++;
	pthread_mutex_unlock(&a->mu);
}

void
answers_free(struct answers *a)
{
	if (a == NULL)
		return;
	while (a->tail)
		unlink_entry(a, a->tail);
	pthread_mutex_destroy(&a->mu);
	free(a->tab);
	free(a->itab);
	free(a->utab);
	free(a->stab);
	free(a);
}

size_t
answers_max_bytes(struct answers *a)
{
	return a->max_bytes;
}

uint64_t
answers_gen(struct answers *a)
{
	uint64_t	 g;

	pthread_mutex_lock(&a->mu);
	g = a->gen;
	pthread_mutex_unlock(&a->mu);
	return g;
}

uint64_t
answers_every_gen(struct answers *a)
{
	uint64_t	 g;

	pthread_mutex_lock(&a->mu);
	g = a->every_gen;
	pthread_mutex_unlock(&a->mu);
	return g;
}

/* ------------------------------------------------------------ look-ups */

static int
lookup_get(struct answers *a, const char *key, enum etype type,
    enum store_rc *rc, void *out, size_t outlen)
{
	struct entry	*e;
	unsigned char	 pk[PACKED_COPY_MAX];
	size_t		 plen = 0;
	int		 found = 0, copied = 0;
	uint32_t	 h = hash_str(key);

	/*
	 * The packed form is copied under the mutex and unpacked (a few
	 * kilobytes written) after it.
	 */
	pthread_mutex_lock(&a->mu);
	if ((e = find(a, key, h)) != NULL) {
		if (e->negative && e->neg_gen != (type == E_DEVICE ?
		    a->dev_neg_gen : a->user_neg_gen)) {
			/* Something of its kind was added since. */
			drop(a, e, 1);
		} else {
			mark_used(e);
			*rc = e->negative ? STORE_NOTFOUND : STORE_OK;
			if (e->negative)
				;
			else if (e->plen <= sizeof(pk)) {
				memcpy(pk, e->payload, plen = e->plen);
				copied = 1;
			}
			else
				unpack(e->payload, e->plen, out, outlen);
			found = 1;
		}
	}
	pthread_mutex_unlock(&a->mu);
	if (copied) {
		unpack(pk, plen, out, outlen);
		/* Credentials and sealed keys: no copy left behind. */
		util_wipe(pk, plen);
	}
	return found;
}

static void
lookup_put(struct answers *a, uint64_t gen, const char *key, enum etype type,
    enum store_rc rc, const void *in, size_t inlen,
    const struct touch_dev *td, int secret)
{
	struct entry	*e;

	if (rc != STORE_OK && rc != STORE_NOTFOUND)
		return;
	if ((e = entry_new(key, td)) == NULL)
		return;
	e->type = (uint8_t)type;
	e->secret = (uint8_t)secret;
	if (rc == STORE_NOTFOUND)
		e->negative = 1;
	else if ((e->payload = pack(in, inlen, &e->plen)) == NULL) {
		entry_free(e);
		return;
	}
	e->bytes += heap(e->payload);
	pthread_mutex_lock(&a->mu);
	if (gen != a->gen || !has_room(a, e)) {
		pthread_mutex_unlock(&a->mu);
		entry_free(e);
		return;
	}
	e->neg_gen = type == E_DEVICE ? a->dev_neg_gen : a->user_neg_gen;
	link_entry(a, e);
	pthread_mutex_unlock(&a->mu);
}

static void
device_key(char *k, size_t kl, int64_t domain_id, const char *sfua)
{
	snprintf(k, kl, "D|%lld|%s", (long long)domain_id, sfua);
}

int
answers_device_get(struct answers *a, int64_t domain_id, const char *sfua,
    enum store_rc *rc, struct store_device *d)
{
	char	 k[STORE_SFUA_ID_MAX + 32];

	device_key(k, sizeof(k), domain_id, sfua);
	return lookup_get(a, k, E_DEVICE, rc, d, sizeof(*d));
}

void
answers_device_put(struct answers *a, uint64_t gen, int64_t domain_id,
    const char *sfua, enum store_rc rc, const struct store_device *d)
{
	struct touch_dev	 td;
	char			 k[STORE_SFUA_ID_MAX + 32];

	memset(&td, 0, sizeof(td));
	td.domain_id = domain_id;
	td.sfua = sfua;
	if (rc == STORE_OK) {
		td.id = d->id;
		td.user_id = d->user_id;
		td.profile_id = d->profile_id;
		td.vendor = d->vendor;
		td.model = d->model;
		td.user = d->user;
		td.profile = d->profile;
	}
	device_key(k, sizeof(k), domain_id, sfua);
	/* The sealed file key is a secret too. */
	lookup_put(a, gen, k, E_DEVICE, rc, d, sizeof(*d), &td, 1);
}

int
answers_user_get(struct answers *a, const char *name, enum store_rc *rc,
    struct store_user *u)
{
	char	 k[STORE_NAME_MAX + 4];

	snprintf(k, sizeof(k), "U|%s", name);
	return lookup_get(a, k, E_USER, rc, u, sizeof(*u));
}

void
answers_user_put(struct answers *a, uint64_t gen, const char *name,
    enum store_rc rc, const struct store_user *u)
{
	struct touch_dev	 td;
	char			 k[STORE_NAME_MAX + 4];

	memset(&td, 0, sizeof(td));
	/* A user entry's id is the user's; touch.c never sees it. */
	if (rc == STORE_OK) {
		td.id = u->id;
		td.domain_id = u->domain_id;
	}
	snprintf(k, sizeof(k), "U|%s", name);
	lookup_put(a, gen, k, E_USER, rc, u, sizeof(*u), &td, 1);
}

/* ------------------------------------------------------------- answers */

static const struct rendered *
get(struct answers *a, const char *key, struct answer **pin, int count)
{
	struct entry	*e;

	pthread_mutex_lock(&a->mu);
	if ((e = find(a, key, hash_str(key))) != NULL) {
		mark_used(e);
		e->refs++;
		a->hits += count;
	} else
		a->misses += count;
	pthread_mutex_unlock(&a->mu);
	if (count)
		metrics_inc(e != NULL ? METRICS_ANSWER_HITS :
		    METRICS_ANSWER_MISSES);
	*pin = (struct answer *)e;
	return e ? e->payload : NULL;
}

const struct rendered *
answers_get(struct answers *a, const char *key, struct answer **pin)
{
	return get(a, key, pin, 1);
}

const struct rendered *
answers_peek(struct answers *a, const char *key, struct answer **pin)
{
	return get(a, key, pin, 0);
}

const struct rendered *
answers_put(struct answers *a, uint64_t gen, const char *key,
    const struct touch_dev *td, struct rendered *r, struct answer **pin)
{
	struct entry	*e;

	*pin = NULL;
	if ((e = entry_new(key, td)) == NULL ||
	    (e->payload = malloc(sizeof(*r))) == NULL) {
		free(e ? e->sfua : NULL);
		free(e);
		rendered_clear(r);
		return NULL;
	}
	e->type = E_ANSWER;
	memcpy(e->payload, r, sizeof(*r));
	memset(r, 0, sizeof(*r));
	e->bytes += heap(e->payload) + heap(((struct rendered *)
	    e->payload)->body) + (((struct rendered *)e->payload)->ext[0] ?
	    RESPONSES_COST : 0);
	e->refs = 1;
	pthread_mutex_lock(&a->mu);
	/* Stale, or too big to keep: served once, from a private entry. */
	if (gen == a->gen && has_room(a, e))
		link_entry(a, e);
	pthread_mutex_unlock(&a->mu);
	*pin = (struct answer *)e;
	return e->payload;
}

void
answers_release(struct answers *a, struct answer *p)
{
	struct entry	*e = (struct entry *)p;

	if (e == NULL)
		return;
	pthread_mutex_lock(&a->mu);
	if (--e->refs == 0 && !e->linked)
		entry_free(e);
	pthread_mutex_unlock(&a->mu);
}

/* ------------------------------------------------------------- changes */

static int
entry_touched(const struct store_change *c, const struct entry *e)
{
	struct touch_dev	 td;

	if (e->type == E_USER) {
		/* A user's credentials: its own row, its domain's realm. */
		if (c->kind == CHG_USER)
			return e->id == c->id || e->negative;
		if (c->kind == CHG_DOMAIN)
			return e->domain_id == c->id;
		return touch_reach(c) == TOUCH_EVERY;
	}
	if (e->negative && e->type == E_DEVICE)
		return c->kind == CHG_DEVICE || touch_reach(c) == TOUCH_EVERY;
	td.id = e->id;
	td.user_id = e->user_id;
	td.profile_id = e->profile_id;
	td.domain_id = e->domain_id;
	td.sfua = e->sfua;
	td.vendor = e->vendor;
	td.model = e->model;
	td.user = e->user;
	td.profile = e->profile;
	return touch_match(c, &td);
}

static void
apply_one(struct answers *a, const struct store_change *c)
{
	struct entry		*e, *n;
	enum touch_reach	 reach = touch_reach(c);

	a->changes_read++;
	if (c->kind == CHG_UNKNOWN)
		log_warnx("cache: change %lld: unknown kind \"%s\": every "
		    "cached answer dropped", (long long)c->seq, c->hint);
	if (c->kind == CHG_DEVICE)
		a->dev_neg_gen++;	/* a device may have been added */
	if (c->kind == CHG_USER)
		a->user_neg_gen++;
	if (c->kind == CHG_PIN || reach == TOUCH_ONE) {
		/* This device's entries; a pin's only its look-up. */
		for (e = a->itab[hash_id(c->id) & (a->nbuckets - 1)]; e;
		    e = n) {
			n = e->inext;
			if (e->id == c->id && (c->kind != CHG_PIN ||
			    e->type == E_DEVICE))
				drop(a, e, 1);
		}
		return;
	}
	if (c->kind == CHG_USER) {
		/* Its credentials, its devices' look-ups and answers. */
		for (e = a->utab[hash_id(c->id) & (a->nbuckets - 1)]; e;
		    e = n) {
			n = e->unext;
			if (uid(e) == c->id)
				drop(a, e, 1);
		}
		return;
	}
	if (reach == TOUCH_NONE)
		return;
	if (c->kind == CHG_VAR && c->layer == VAR_DEVICE) {
		/*
		 * One device's variables (by sfua-id, in any domain): its
		 * entries by their sfua-id, not a walk of every entry under
		 * the lock (issue 13's benchmark: at 1M cached answers that
		 * walk took 200 ms and held every worker).
		 */
		for (e = a->stab[hash_str(c->scope) & (a->nbuckets - 1)]; e;
		    e = n) {
			n = e->snext;
			if (strcmp(e->sfua, c->scope) == 0 &&
			    entry_touched(c, e))
				drop(a, e, 1);
		}
		return;
	}
	if (reach == TOUCH_EVERY)
		a->every_gen++;
	for (e = a->head; e; e = n) {
		n = e->lnext;
		if (reach == TOUCH_EVERY || entry_touched(c, e))
			drop(a, e, 1);
	}
}

void
answers_apply(struct answers *a, const struct store_change *c, size_t n)
{
	size_t	 i;

	pthread_mutex_lock(&a->mu);
	for (i = 0; i < n; i++)
		apply_one(a, &c[i]);
	if (n > 0)
		a->gen++;
	pthread_mutex_unlock(&a->mu);
}

void
answers_idle_commit(struct answers *a)
{
	pthread_mutex_lock(&a->mu);
	a->idle_commits++;
	pthread_mutex_unlock(&a->mu);
}

void
answers_stats(struct answers *a, struct answers_stats *s)
{
	pthread_mutex_lock(&a->mu);
	s->answers = a->count[E_ANSWER];
	s->devices = a->count[E_DEVICE];
	s->users = a->count[E_USER];
	s->bytes = a->bytes;
	s->max_bytes = a->max_bytes;
	s->hits = a->hits;
	s->misses = a->misses;
	s->dropped_change = a->dropped_change;
	s->dropped_bound = a->dropped_bound;
	s->changes_read = a->changes_read;
	s->idle_commits = a->idle_commits;
	pthread_mutex_unlock(&a->mu);
}

void
answers_log_stats(struct answers *a)
{
	struct answers_stats	 s;

	answers_stats(a, &s);
	log_info("cache: %zu answers, %zu devices, %zu users, %zu of %zu "
	    "bytes; hits %llu, misses %llu; dropped %llu by changes, %llu by "
	    "the bound; %llu changes read, %llu commits touched nothing",
	    s.answers, s.devices, s.users, s.bytes, s.max_bytes,
	    (unsigned long long)s.hits, (unsigned long long)s.misses,
	    (unsigned long long)s.dropped_change,
	    (unsigned long long)s.dropped_bound,
	    (unsigned long long)s.changes_read,
	    (unsigned long long)s.idle_commits);
}
