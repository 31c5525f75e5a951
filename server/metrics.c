/*
 * metrics: the counters behind /metrics (see metrics.h).  Any thread
 * observes, any thread renders.
 *
 * All storage is static and every update is a relaxed atomic add, so an
 * observation costs a few nanoseconds and never waits.  HTTP requests go
 * to a fixed table: one row per known route, and in each row status
 * codes claim slots on first use (compare-and-swap from 0, never freed);
 * once a row's slots are taken, further codes count under their class
 * ("4xx").  Histograms keep per-bucket counts and a sum in nanoseconds;
 * the cumulative counts and _count are summed at render time, so the
 * +Inf bucket always equals _count even while requests are counted.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "metrics.h"

#define NS		1000000000ULL
#define MAX_BUCKETS	16

typedef atomic_uint_fast64_t	mcount;

struct buckets {
	size_t		 n;			/* without +Inf */
	uint64_t	 le_ns[MAX_BUCKETS];
	const char	*le[MAX_BUCKETS];	/* as rendered */
};

struct hist {
	mcount		 b[MAX_BUCKETS + 1];	/* the last one: +Inf */
	mcount		 sum_ns;
};

static const struct buckets http_buckets = { 12,
	{ 500000, 1000000, 2500000, 5000000, 10000000, 25000000, 50000000,
	  100000000, 250000000, 500000000, 1000000000, 2500000000ULL },
	{ "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05",
	  "0.1", "0.25", "0.5", "1", "2.5" } };

/* Store reads are mostly well under a millisecond. */
static const struct buckets store_buckets = { 12,
	{ 50000, 100000, 250000, 500000, 1000000, 2500000, 5000000,
	  10000000, 25000000, 100000000, 250000000, 1000000000 },
	{ "5e-05", "0.0001", "0.00025", "0.0005", "0.001", "0.0025",
	  "0.005", "0.01", "0.025", "0.1", "0.25", "1" } };

/* The order of the rows; "other" takes whatever is not in it. */
static const char *const routes[] = {
	"config", "vendor_path", "readyz", "api", "console", "metrics", "other"
};
#define NROUTES		(sizeof(routes) / sizeof(routes[0]))
#define ROUTE_OTHER	(NROUTES - 1)

struct route {
	atomic_uint	 code[METRICS_HTTP_CODES];	/* 0: free */
	mcount		 n[METRICS_HTTP_CODES];
	mcount		 cls[6];		/* 1xx..5xx; [0]: no class */
	struct hist	 h;
};

static struct route	 http[NROUTES];
static mcount		 unavailable;
static mcount		 counters[METRICS_NCOUNTERS];
static mcount		 auth[METRICS_NAUTH];
static mcount		 notify[METRICS_NNOTIFY_KIND][METRICS_NNOTIFY_EVENT];
static mcount		 retransmissions;
static atomic_long	 subscriptions;
static atomic_int	 store_up;
static struct hist	 store_q[METRICS_NQUERY];
static atomic_llong	 start_ms;

static const char *const auth_reasons[METRICS_NAUTH] = {
	"digest", "basic", "replay", "malformed", "user_mismatch", "cert",
	"sip", "admin"
};
static const char *const notify_kinds[METRICS_NNOTIFY_KIND] = {
	"subscription", "checksync"
};
static const char *const query_names[METRICS_NQUERY] = { "device", "user" };

static void
add(mcount *c, uint64_t v)
{
	atomic_fetch_add_explicit(c, v, memory_order_relaxed);
}

static uint64_t
get(mcount *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

static uint64_t
to_ns(double seconds)
{
	if (!(seconds > 0))	/* also NaN */
		return 0;
	if (seconds > 1e9)
		return (uint64_t)1e9 * NS;
	return (uint64_t)(seconds * 1e9 + 0.5);
}

static void
hist_observe(struct hist *h, const struct buckets *bk, double seconds)
{
	uint64_t	 ns = to_ns(seconds);
	size_t		 i;

	for (i = 0; i < bk->n && ns > bk->le_ns[i]; i++)
		;
	add(&h->b[i], 1);
	add(&h->sum_ns, ns);
}

void
metrics_start(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	atomic_store(&start_ms, (long long)ts.tv_sec * 1000 +
	    ts.tv_nsec / 1000000);
}

double
metrics_since(const struct timespec *start)
{
	struct timespec	 now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) +
	    (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

void
metrics_http_observe(const char *route, unsigned code, double seconds)
{
	struct route	*r;
	unsigned	 c, want;
	size_t		 i;

	for (i = 0; i < ROUTE_OTHER; i++)
		if (route != NULL && strcmp(route, routes[i]) == 0)
			break;
	r = &http[i];
	if (code == 503)
		add(&unavailable, 1);
	hist_observe(&r->h, &http_buckets, seconds);
	if (code < 100 || code > 599) {
		add(&r->cls[0], 1);
		return;
	}
	/* A slot holds one code for good: the first match is the one. */
	for (i = 0; i < METRICS_HTTP_CODES; i++) {
		c = atomic_load_explicit(&r->code[i], memory_order_acquire);
		if (c == 0) {
			want = 0;
			if (atomic_compare_exchange_strong(&r->code[i], &want,
			    code))
				c = code;
			else
				c = want;
		}
		if (c == code) {
			add(&r->n[i], 1);
			return;
		}
	}
	add(&r->cls[code / 100], 1);
}

void
metrics_inc(enum metrics_counter c)
{
	if ((unsigned)c < METRICS_NCOUNTERS)
		add(&counters[c], 1);
}

void
metrics_auth_failure(enum metrics_auth why)
{
	if ((unsigned)why < METRICS_NAUTH)
		add(&auth[why], 1);
}

void
metrics_notify(enum metrics_notify_kind k, enum metrics_notify_event e)
{
	if ((unsigned)k < METRICS_NNOTIFY_KIND &&
	    (unsigned)e < METRICS_NNOTIFY_EVENT)
		add(&notify[k][e], 1);
}

void
metrics_notify_retransmissions(uint64_t total)
{
	atomic_store_explicit(&retransmissions, total, memory_order_relaxed);
}

void
metrics_subscriptions_add(int d)
{
	atomic_fetch_add_explicit(&subscriptions, d, memory_order_relaxed);
}

void
metrics_store_up(int up)
{
	atomic_store_explicit(&store_up, up != 0, memory_order_relaxed);
}

void
metrics_store_observe(enum metrics_query q, double seconds)
{
	if ((unsigned)q < METRICS_NQUERY)
		hist_observe(&store_q[q], &store_buckets, seconds);
}

/* ------------------------------------------------------------ rendering */

static void
family(struct buf *b, const char *name, const char *type, const char *help)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/*
 * One histogram's series; labels is "" or `name="value"` (fixed names,
 * nothing to escape).
 */
static void
hist_render(struct buf *b, const char *name, const char *labels,
    struct hist *h, const struct buckets *bk)
{
	uint64_t	 cum = 0, sum = get(&h->sum_ns);
	size_t		 i;
	const char	*sep = labels[0] ? "," : "";

	for (i = 0; i <= bk->n; i++) {
		cum += get(&h->b[i]);
		buf_printf(b, "%s_bucket{%s%sle=\"%s\"} %llu\n", name, labels,
		    sep, i < bk->n ? bk->le[i] : "+Inf",
		    (unsigned long long)cum);
	}
	buf_printf(b, "%s_sum%s%s%s %llu.%09llu\n", name, labels[0] ? "{" : "",
	    labels, labels[0] ? "}" : "", (unsigned long long)(sum / NS),
	    (unsigned long long)(sum % NS));
	buf_printf(b, "%s_count%s%s%s %llu\n", name, labels[0] ? "{" : "",
	    labels, labels[0] ? "}" : "", (unsigned long long)cum);
}

static uint64_t
hist_count(struct hist *h)
{
	uint64_t	 n = 0;
	size_t		 i;

	for (i = 0; i <= MAX_BUCKETS; i++)
		n += get(&h->b[i]);
	return n;
}

/* A label value (text format 0.0.4): \, " and newline escaped. */
static void
label_value(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			buf_addc(b, '\\');
		if (*s == '\n')
			buf_addstr(b, "\\n");
		else
			buf_addc(b, *s);
	}
}

static void
render_http(struct buf *b)
{
	struct route	*r;
	char		 labels[64];
	unsigned	 c;
	size_t		 i, j;
	static const char *const cls[6] = {
		"other", "1xx", "2xx", "3xx", "4xx", "5xx"
	};

	family(b, "sipcfg_http_requests_total", "counter",
	    "HTTP requests answered, by route and status code.");
	for (i = 0; i < NROUTES; i++) {
		r = &http[i];
		for (j = 0; j < METRICS_HTTP_CODES; j++) {
			c = atomic_load_explicit(&r->code[j],
			    memory_order_acquire);
			if (c == 0)
				break;
			buf_printf(b, "sipcfg_http_requests_total{route=\"%s\","
			    "code=\"%u\"} %llu\n", routes[i], c,
			    (unsigned long long)get(&r->n[j]));
		}
		for (j = 0; j < 6; j++)
			if (get(&r->cls[j]) > 0)
				buf_printf(b, "sipcfg_http_requests_total{"
				    "route=\"%s\",code=\"%s\"} %llu\n",
				    routes[i], cls[j],
				    (unsigned long long)get(&r->cls[j]));
	}
	family(b, "sipcfg_http_request_duration_seconds", "histogram",
	    "Time from the request line to the end of the answer, by route.");
	for (i = 0; i < NROUTES; i++) {
		if (hist_count(&http[i].h) == 0)
			continue;
		snprintf(labels, sizeof(labels), "route=\"%s\"", routes[i]);
		hist_render(b, "sipcfg_http_request_duration_seconds", labels,
		    &http[i].h, &http_buckets);
	}
	family(b, "sipcfg_http_unavailable_total", "counter",
	    "HTTP requests answered 503 (busy, or the store unavailable).");
	buf_printf(b, "sipcfg_http_unavailable_total %llu\n",
	    (unsigned long long)get(&unavailable));
}

static void
counter(struct buf *b, const char *name, const char *help, uint64_t v)
{
	family(b, name, "counter", help);
	buf_printf(b, "%s %llu\n", name, (unsigned long long)v);
}

int
metrics_render(struct buf *b)
{
	char		 labels[64];
	long long	 st = atomic_load(&start_ms);
	size_t		 i;

	family(b, "sipcfg_build_info", "gauge",
	    "Always 1; the version of this sipcfgd.");
	buf_addstr(b, "sipcfg_build_info{version=\"");
	label_value(b, PACKAGE_VERSION);
	buf_addstr(b, "\"} 1\n");
	family(b, "sipcfg_start_time_seconds", "gauge",
	    "When this process started, in seconds since the Unix epoch.");
	buf_printf(b, "sipcfg_start_time_seconds %lld.%03lld\n", st / 1000,
	    st % 1000);

	render_http(b);

	counter(b, "sipcfg_answer_cache_hits_total",
	    "Answer cache look-ups that found the answer.",
	    get(&counters[METRICS_ANSWER_HITS]));
	counter(b, "sipcfg_answer_cache_misses_total",
	    "Answer cache look-ups that had to render.",
	    get(&counters[METRICS_ANSWER_MISSES]));
	counter(b, "sipcfg_answer_cache_evictions_total",
	    "Answer cache entries dropped to stay within answer_cache_mb.",
	    get(&counters[METRICS_ANSWER_EVICTIONS]));

	family(b, "sipcfg_subscriptions", "gauge",
	    "SIP subscriptions (RFC 5989 http-monitor) held now.");
	buf_printf(b, "sipcfg_subscriptions %ld\n",
	    atomic_load_explicit(&subscriptions, memory_order_relaxed));

	family(b, "sipcfg_notify_sent_total", "counter",
	    "NOTIFY requests handed to the SIP stack, by kind.");
	for (i = 0; i < METRICS_NNOTIFY_KIND; i++)
		buf_printf(b, "sipcfg_notify_sent_total{kind=\"%s\"} %llu\n",
		    notify_kinds[i], (unsigned long long)
		    get(&notify[i][METRICS_NOTIFY_SENT]));
	family(b, "sipcfg_notify_failed_total", "counter",
	    "NOTIFY requests that could not be sent or were answered with "
	    "a failure, by kind.");
	for (i = 0; i < METRICS_NNOTIFY_KIND; i++)
		buf_printf(b, "sipcfg_notify_failed_total{kind=\"%s\"} %llu\n",
		    notify_kinds[i], (unsigned long long)
		    get(&notify[i][METRICS_NOTIFY_FAILED]));
	family(b, "sipcfg_notify_retried_total", "counter",
	    "NOTIFY requests sent again after a timeout or a 5xx, by kind.");
	for (i = 0; i < METRICS_NNOTIFY_KIND; i++)
		buf_printf(b, "sipcfg_notify_retried_total{kind=\"%s\"} %llu\n",
		    notify_kinds[i], (unsigned long long)
		    get(&notify[i][METRICS_NOTIFY_RETRIED]));
	counter(b, "sipcfg_notify_retransmissions_total",
	    "Retransmissions of NOTIFY requests by the SIP transaction "
	    "layer.", get(&retransmissions));

	counter(b, "sipcfg_checksync_pushes_total",
	    "Check-sync pushes started (one per device and change).",
	    get(&counters[METRICS_CHECKSYNC_PUSHES]));
	counter(b, "sipcfg_checksync_failed_total",
	    "Check-sync pushes given up (not sent, or no 2xx after retries).",
	    get(&counters[METRICS_CHECKSYNC_FAILED]));

	family(b, "sipcfg_store_query_duration_seconds", "histogram",
	    "Store look-ups on the request path (answer cache misses), by "
	    "query.");
	for (i = 0; i < METRICS_NQUERY; i++) {
		snprintf(labels, sizeof(labels), "query=\"%s\"",
		    query_names[i]);
		hist_render(b, "sipcfg_store_query_duration_seconds", labels,
		    &store_q[i], &store_buckets);
	}
	family(b, "sipcfg_store_up", "gauge",
	    "1 while the store answers, 0 while it cannot be reached.");
	buf_printf(b, "sipcfg_store_up %d\n",
	    atomic_load_explicit(&store_up, memory_order_relaxed));

	family(b, "sipcfg_auth_failures_total", "counter",
	    "Failed authentications, by reason.");
	for (i = 0; i < METRICS_NAUTH; i++)
		buf_printf(b, "sipcfg_auth_failures_total{reason=\"%s\"} "
		    "%llu\n", auth_reasons[i],
		    (unsigned long long)get(&auth[i]));
	counter(b, "sipcfg_guard_blocks_total",
	    "Sources or user names blocked after too many failed "
	    "authentications.", get(&counters[METRICS_GUARD_BLOCKS]));
	counter(b, "sipcfg_guard_refusals_total",
	    "Requests refused because their source or user name was blocked.",
	    get(&counters[METRICS_GUARD_REFUSALS]));
	return b->failed ? -1 : 0;
}
