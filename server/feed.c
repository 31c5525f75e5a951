/*
 * feed: the change feed and the warmer of the shared answer cache (see
 * feed.h).
 */
#include <sys/inotify.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "feed.h"
#include "log.h"
#include "metrics.h"
#include "store.h"

#define CHANGE_BATCH	512
#define POLL_MS		250
#define PG_PROBE_MS	10000	/* a quiet database is asked whether it is there */
#define PG_RETRY_MS	1000	/* an unreachable one, whether it is back */
#define EVENT_GAP_MS	2	/* the least time between two looks after events */
/*
 * A change that reaches some devices (a profile, a variable layer, a
 * domain) is checked against every entry; past this many in one round,
 * dropping everything is cheaper than checking (an import, a script).
 */
#define SOME_MAX	64
#define WARM_BATCH	256

struct feed {
	const struct config	*cfg;
	struct answers		*ans;
	struct resource_opts	 ro;
	pthread_t		 watcher, warmer;
	int			 have_watcher, have_warmer;
	int			 stop[2];	/* a pipe: readable when stopping */
	atomic_int		 stopping;
	struct store		*st;
	int64_t			 seq, dv;
	int			 ifd;		/* inotify, -1 without */
	int			 pg;		/* pushed by LISTEN (issue 13) */
	atomic_int		 up;		/* the store answers */
	atomic_uint_fast64_t	 gen;		/* feed_generation() */
	char			 base[NAME_MAX + 1];
};

static void
sleep_ms(long ms)
{
	struct timespec	 ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/*
 * The store's directory, watched for writes to the store file, its
 * write-ahead log or its rollback journal.
 */
static void
watch_dir(struct feed *f)
{
	char		 dir[PATH_MAX];
	const char	*slash;

	f->ifd = -1;
	/* A PostgreSQL store has no file to watch (and its URI may hold a
	 * password, never to be logged): the poll sees its changes. */
	if (store_is_pg(f->cfg->store))
		return;
	if ((slash = strrchr(f->cfg->store, '/')) != NULL) {
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - f->cfg->store),
		    f->cfg->store);
		if (dir[0] == '\0')
			snprintf(dir, sizeof(dir), "/");
		snprintf(f->base, sizeof(f->base), "%s", slash + 1);
	} else {
		snprintf(dir, sizeof(dir), ".");
		snprintf(f->base, sizeof(f->base), "%s", f->cfg->store);
	}
	if ((f->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1 ||
	    inotify_add_watch(f->ifd, dir, IN_MODIFY | IN_CLOSE_WRITE |
	    IN_CREATE | IN_MOVED_TO) == -1) {
		log_warn("cache: inotify on %s (changes are seen within "
		    "%d ms instead)", dir, POLL_MS);
		if (f->ifd != -1)
			close(f->ifd);
		f->ifd = -1;
	}
}

/* 1 if a queued event is for the store's files. */
static int
drain(struct feed *f)
{
	char			 buf[4096]
			    __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	ssize_t			 n;
	size_t			 bl = strlen(f->base);
	char			*p;
	int			 ours = 0;

	while ((n = read(f->ifd, buf, sizeof(buf))) > 0) {
		for (p = buf; p < buf + n; p += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)p;
			if (ev->len && strncmp(ev->name, f->base, bl) == 0 &&
			    (ev->name[bl] == '\0' ||
			    strcmp(ev->name + bl, "-wal") == 0 ||
			    strcmp(ev->name + bl, "-journal") == 0))
				ours = 1;
		}
	}
	return ours;
}

/* Reads the change log from f->seq on and applies it; -1 on error. */
static int
read_changes(struct feed *f)
{
	static struct store_change	 ch[CHANGE_BATCH];
	size_t				 got, i, some, total = 0;

	do {
		if (store_changes_since(f->st, f->seq, ch, CHANGE_BATCH,
		    &got) != STORE_OK)
			return -1;
		for (i = some = 0; i < got; i++)
			/* A user's entries are found by its id (answers.c). */
			if (touch_reach(&ch[i]) == TOUCH_SOME &&
			    ch[i].kind != CHG_USER)
				some++;
		if (f->ans == NULL)
			;	/* no answer cache: the notifier's signal only */
		else if (some > SOME_MAX) {
			log_info("cache: %zu changes to profiles, variables or "
			    "domains at once: every answer dropped", some);
			answers_clear(f->ans);
		} else
			answers_apply(f->ans, ch, got);
		if (got > 0)
			f->seq = ch[got - 1].seq;
		total += got;
	} while (got == CHANGE_BATCH);
	if (total == 0 && f->ans != NULL)
		answers_idle_commit(f->ans);
	return 0;
}

/* Applies the commits made since the last look, if any. */
static void
check(struct feed *f)
{
	int64_t	 v;

	if ((v = store_data_version(f->st)) == f->dv)
		return;
	if (v < 0 || read_changes(f) != 0) {
		metrics_store_up(0);
		/* Nothing cached may outlive a change we could not read. */
		log_warnx("cache: change log: %s: every answer dropped",
		    store_errmsg(f->st));
		if (f->ans != NULL)
			answers_clear(f->ans);
		f->dv = -1;
		return;
	}
	metrics_store_up(1);
	f->dv = v;
	atomic_fetch_add(&f->gen, 1);
}

/*
 * The database went away (issue 13 §4): what is cached stays, since
 * every answer in the cache is still what the store says until a change
 * arrives, and no change can be made while nobody reaches the database.
 * The change log is read from f->seq once it is back.
 */
static void
pg_down(struct feed *f)
{
	metrics_store_up(0);
	if (atomic_exchange(&f->up, 0))
		log_warnx("cache: the store cannot be reached (%s): cached "
		    "answers are still served, other requests get 503 until "
		    "it is back", store_errmsg(f->st));
}

static void
pg_check(struct feed *f)
{
	int64_t	 v;

	if ((v = store_data_version(f->st)) < 0) {
		pg_down(f);
		return;
	}
	if (v != f->dv || !atomic_load(&f->up)) {
		if (read_changes(f) != 0) {
			pg_down(f);
			return;
		}
		f->dv = v;
	}
	metrics_store_up(1);
	if (!atomic_exchange(&f->up, 1))
		log_info("cache: the store is back: changes read up to seq "
		    "%lld", (long long)f->seq);
	atomic_fetch_add(&f->gen, 1);
}

/*
 * PostgreSQL (issue 13 §2): the database pushes each commit that wrote
 * the change log (LISTEN, store.h); nothing is polled.  A quiet
 * database is asked every PG_PROBE_MS whether it is still there, an
 * unreachable one every PG_RETRY_MS whether it is back.
 */
static void
watch_pg(struct feed *f)
{
	struct pollfd	 pfd[2];
	int		 fd, r, n;

	pfd[0].fd = f->stop[0];
	pfd[0].events = POLLIN;
	while (!atomic_load(&f->stopping)) {
		fd = store_listen_fd(f->st);
		pfd[0].revents = 0;
		pfd[1].fd = fd;
		pfd[1].events = POLLIN;
		pfd[1].revents = 0;
		r = poll(pfd, fd == -1 ? 1 : 2, fd == -1 ? PG_RETRY_MS :
		    PG_PROBE_MS);
		if (r < 0 && errno != EINTR)
			sleep_ms(PG_RETRY_MS);
		if (pfd[0].revents)
			break;
		if ((n = store_listen_take(f->st)) < 0) {
			pg_down(f);
			continue;
		}
		/* Input that held no notification: nothing to do. */
		if (n == 0 && r > 0 && atomic_load(&f->up))
			continue;
		pg_check(f);
	}
}

/*
 * An event comes with a commit's write to the log, before the commit is
 * complete (a commit that is on disk waits for fsync(2) in between), and
 * the events of several commits may come as one.  So after each event the
 * store is looked at at once, then again ever less often for a quarter
 * of a second; a new event starts that over.  Otherwise, every POLL_MS.
 */
static void *
watch(void *arg)
{
	static const int	 backoff[] = { 1, 2, 4, 8, 16, 32, 64, 128 };
	struct feed		*f = arg;
	struct pollfd		 pfd[2];
	size_t			 nb = sizeof(backoff) / sizeof(backoff[0]);
	size_t			 step = nb;	/* nb: not after an event */
	int			 r;

	if (f->pg) {
		watch_pg(f);
		return NULL;
	}
	pfd[0].fd = f->stop[0];
	pfd[0].events = POLLIN;
	pfd[1].fd = f->ifd;
	pfd[1].events = POLLIN;
	while (!atomic_load(&f->stopping)) {
		pfd[0].revents = pfd[1].revents = 0;
		r = poll(pfd, f->ifd == -1 ? 1 : 2, step < nb ?
		    backoff[step] : POLL_MS);
		if (r < 0 && errno != EINTR)
			sleep_ms(POLL_MS);
		if (pfd[0].revents)
			break;
		if (f->ifd != -1 && (pfd[1].revents & POLLIN) && drain(f))
			step = 0;
		else if (step < nb)
			step++;
		check(f);
		/*
		 * A writer writes its pages one pwrite at a time, each an
		 * event: those of the next EVENT_GAP_MS are read together
		 * (a batch of bookkeeping woke this thread a thousand times
		 * a second for nothing; issue 11's profile).
		 */
		if (step == 0)
			sleep_ms(EVENT_GAP_MS);
	}
	return NULL;
}

/*
 * A device's answer as a worker would render it for a request of its
 * sfua-id (resource.c makes the keys): look-up, user, full answer.
 */
static void
warm_one(struct resource *res, struct store *st, int64_t id)
{
	struct store_device	 d, d2;
	struct store_user	 u;
	struct cfg_request	 q;
	const struct rendered	*a;
	char			 reason[256];

	if (store_device_by_id(st, id, &d) != STORE_OK ||
	    d.state != DEVICE_ACTIVE || d.vendor[0] == '\0' ||
	    d.model[0] == '\0' || d.user[0] == '\0')
		return;
	memset(&q, 0, sizeof(q));
	snprintf(q.sfua_id, sizeof(q.sfua_id), "%s", d.sfua_id);
	snprintf(q.mac, sizeof(q.mac), "%s", d.mac);
	snprintf(q.revision, sizeof(q.revision), "%s", d.revision);
	q.domain_id = d.domain_id;
	if (resource_begin(res) != 0)
		return;
	if (resource_device(res, &q, &d2) == STORE_OK &&
	    resource_user(res, d2.user, &u) == STORE_OK)
		(void)resource_render(res, &d2, &q, RESOURCE_FULL, &a, reason,
		    sizeof(reason));
	resource_end(res);
}

static void *
warm(void *arg)
{
	struct feed		*f = arg;
	struct resource_opts	 wo;
	struct resource		*res;
	struct store		*st;
	struct answers_stats	 s;
	int64_t			 ids[WARM_BATCH], after = 0, maxid = 0;
	size_t			 n, i, done = 0;
	size_t			 bound = answers_max_bytes(f->ans) / 10 * 9;
	time_t			 t0 = time(NULL);
	char			 err[512];

	if ((st = store_open(f->cfg->store, STORE_RDWR | STORE_NOMIGRATE,
	    (int)f->cfg->busy_timeout_ms, err, sizeof(err))) == NULL) {
		log_warnx("cache: warming: %s", err);
		return NULL;
	}
	wo = f->ro;
	wo.warming = 1;
	if ((res = resource_new(st, &wo)) == NULL) {
		store_close(st);
		return NULL;
	}
	while (!atomic_load(&f->stopping)) {
		if (store_active_ids(st, after, ids, WARM_BATCH, &n,
		    after == 0 ? &maxid : NULL) != STORE_OK || n == 0)
			break;
		for (i = 0; i < n && !atomic_load(&f->stopping); i++)
			warm_one(res, st, ids[i]);
		after = ids[n - 1];
		done += n;
		answers_stats(f->ans, &s);
		if (s.bytes >= bound) {
			log_info("cache: warming stopped at %zu devices: the "
			    "cache is full (answer_cache_mb %u)", done,
			    f->cfg->answer_cache_mb);
			break;
		}
		/*
		 * auto: only a store that fits; what the first batch
		 * took says what all would (device ids are about dense).
		 */
		if (f->cfg->cache_warm == WARM_AUTO && done == n &&
		    maxid > 0 && s.bytes / done * (size_t)maxid > bound) {
			log_info("cache: not warming: %lld devices would take "
			    "about %zu MiB, more than answer_cache_mb %u "
			    "(cache_warm yes warms what fits)",
			    (long long)maxid, s.bytes / done * (size_t)maxid >>
			    20, f->cfg->answer_cache_mb);
			break;
		}
	}
	answers_stats(f->ans, &s);
	log_info("cache: warmed in %lld s: %zu answers, %zu MiB",
	    (long long)(time(NULL) - t0), s.answers, s.bytes >> 20);
	resource_free(res);
	return NULL;
}

struct feed *
feed_start(const struct config *cfg, struct answers *ans,
    const struct resource_opts *ro)
{
	struct feed	*f;
	char		 err[512];

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	f->cfg = cfg;
	f->ans = ans;
	f->ro = *ro;
	f->stop[0] = f->stop[1] = -1;
	f->ifd = -1;
	if (pipe(f->stop) == -1) {
		log_warn("cache: pipe");
		goto fail;
	}
	if ((f->st = store_open(cfg->store, STORE_RDWR | STORE_NOMIGRATE,
	    (int)cfg->busy_timeout_ms, err, sizeof(err))) == NULL) {
		log_warnx("cache: %s", err);
		goto fail;
	}
	/* What was committed before is in no answer yet. */
	if ((f->seq = store_changes_head(f->st)) < 0 ||
	    (f->dv = store_data_version(f->st)) < 0) {
		log_warnx("cache: %s", store_errmsg(f->st));
		goto fail;
	}
	atomic_store(&f->up, 1);
	metrics_store_up(1);
	if ((f->pg = store_is_pg(cfg->store)) && store_listen(f->st) != 0) {
		log_warnx("cache: %s", store_errmsg(f->st));
		goto fail;
	}
	watch_dir(f);
	if (pthread_create(&f->watcher, NULL, watch, f) != 0) {
		log_warnx("cache: cannot start the change feed");
		goto fail;
	}
	f->have_watcher = 1;
	(void)pthread_setname_np(f->watcher, "change-feed");
	if (ans != NULL && cfg->cache_warm != WARM_NO &&
	    pthread_create(&f->warmer, NULL, warm, f) == 0) {
		f->have_warmer = 1;
		(void)pthread_setname_np(f->warmer, "cache-warmer");
	}
	return f;
fail:
	feed_stop(f);
	return NULL;
}

uint64_t
feed_generation(const struct feed *f)
{
	return atomic_load(&((struct feed *)f)->gen);
}

int
feed_store_up(const struct feed *f)
{
	return f == NULL || atomic_load(&((struct feed *)f)->up);
}

void
feed_stop(struct feed *f)
{
	if (f == NULL)
		return;
	atomic_store(&f->stopping, 1);
	if (f->stop[1] != -1)
		(void)write(f->stop[1], "x", 1);
	if (f->have_watcher)
		pthread_join(f->watcher, NULL);
	if (f->have_warmer)
		pthread_join(f->warmer, NULL);
	if (f->ifd != -1)
		close(f->ifd);
	if (f->stop[0] != -1)
		close(f->stop[0]);
	if (f->stop[1] != -1)
		close(f->stop[1]);
	store_close(f->st);
	free(f);
}
