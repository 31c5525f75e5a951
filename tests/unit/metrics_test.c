/*
 * metrics_test: the counters and histograms behind /metrics (metrics.h).
 * Odd input first (an unknown route, no status, negative and NaN
 * durations, more status codes than a route has slots), then exact
 * values: counters, cumulative histogram buckets, _sum and _count.
 * Last, the rendering goes through a real parser of the text format,
 * promtool check metrics (Debian's prometheus package), when it is
 * installed; the values are checked either way.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "metrics.h"
#include "tap.h"

static char	*text;

static void
render(void)
{
	struct buf	 b;

	free(text);
	buf_init(&b, 1 << 20);
	if (metrics_render(&b) != 0) {
		printf("Bail out! metrics_render failed\n");
		exit(1);
	}
	text = buf_steal(&b, NULL);
}

/* The rendering has this exact line. */
static int
has(const char *line)
{
	const char	*p;
	size_t		 n = strlen(line);

	for (p = text; (p = strstr(p, line)) != NULL; p += n)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return 1;
	printf("# no line: %s\n", line);
	return 0;
}

/* How many lines start with prefix. */
static int
count_lines(const char *prefix)
{
	const char	*p = text;
	int		 n = 0;

	while (p && *p) {
		if (strncmp(p, prefix, strlen(prefix)) == 0)
			n++;
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	}
	return n;
}

static int
promtool_check(void)
{
	char	 path[] = "/tmp/metrics_test.XXXXXX", cmd[256], out[4096];
	FILE	*f;
	size_t	 n;
	int	 fd, rc;

	if ((fd = mkstemp(path)) < 0 || (f = fdopen(fd, "w")) == NULL)
		return -1;
	fputs(text, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s 2>&1", path);
	if ((f = popen(cmd, "r")) == NULL) {
		unlink(path);
		return -1;
	}
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	rc = pclose(f);
	unlink(path);
	if (rc != 0 || n != 0) {
		printf("# promtool (exit %d):\n# %s\n", rc, out);
		return -1;
	}
	return 0;
}

int
main(void)
{
	unsigned	 code;
	char		 line[160];

	metrics_start();

	/* Odd input: it counts somewhere bounded, and never crashes. */
	metrics_http_observe(NULL, 200, 0.001);
	metrics_http_observe("/cfg?sfua-id=x", 404, -1.0);
	metrics_http_observe("nosuch", 0, NAN);
	metrics_http_observe("other", 999, 1e300);
	for (code = 200; code < 200 + METRICS_HTTP_CODES + 7; code++)
		metrics_http_observe("api", code, 0.0001);
	metrics_inc(METRICS_NCOUNTERS);
	metrics_auth_failure(METRICS_NAUTH);
	metrics_notify(METRICS_NNOTIFY_KIND, METRICS_NOTIFY_SENT);
	metrics_store_observe(METRICS_NQUERY, 1.0);
	render();
	ok(has("sipcfg_http_requests_total{route=\"other\",code=\"200\"} 1"),
	    "no route is other");
	ok(has("sipcfg_http_requests_total{route=\"other\",code=\"404\"} 1"),
	    "a URL for a route is other, never a label");
	ok(has("sipcfg_http_requests_total{route=\"other\",code=\"other\"} 2"),
	    "no status and 999 count as status other");
	ok(strstr(text, "sfua-id") == NULL && strstr(text, "nosuch") == NULL,
	    "what the caller passed as a route is not in the output");
	ok(has("sipcfg_http_request_duration_seconds_bucket{route=\"other\","
	    "le=\"0.0005\"} 2"), "negative and NaN durations count as 0");
	ok(has("sipcfg_http_request_duration_seconds_bucket{route=\"other\","
	    "le=\"2.5\"} 3"), "a huge duration is above every bound");
	ok(has("sipcfg_http_request_duration_seconds_bucket{route=\"other\","
	    "le=\"+Inf\"} 4"), "... and in +Inf");
	ok(has("sipcfg_http_request_duration_seconds_count{route=\"other\"} 4"),
	    "_count equals +Inf");
	snprintf(line, sizeof(line), "sipcfg_http_requests_total{route=\"api\","
	    "code=\"%u\"} 1", 200 + METRICS_HTTP_CODES - 1);
	ok(has(line), "a route has %d code slots", METRICS_HTTP_CODES);
	ok(has("sipcfg_http_requests_total{route=\"api\",code=\"2xx\"} 7"),
	    "codes past the slots count by class");
	ok(count_lines("sipcfg_http_requests_total{route=\"api\"") ==
	    METRICS_HTTP_CODES + 1, "a bounded number of series");

	/* The values. */
	metrics_http_observe("config", 200, 0.0003);
	metrics_http_observe("config", 200, 0.0003);
	metrics_http_observe("config", 200, 0.002);
	metrics_http_observe("config", 401, 0.7);
	metrics_http_observe("config", 503, 0.01);
	metrics_http_observe("vendor_path", 503, 0.02);
	metrics_http_observe("metrics", 200, 0.0001);
	render();
	ok(has("sipcfg_http_requests_total{route=\"config\",code=\"200\"} 3"),
	    "config 200");
	ok(has("sipcfg_http_requests_total{route=\"config\",code=\"401\"} 1"),
	    "config 401");
	ok(has("sipcfg_http_requests_total{route=\"config\",code=\"503\"} 1"),
	    "config 503");
	ok(has("sipcfg_http_requests_total{route=\"metrics\",code=\"200\"} 1"),
	    "the admin listener's routes");
	ok(has("sipcfg_http_unavailable_total 2"), "503s counted");
	{
		static const char *const want[] = {
			"0.0005\"} 2", "0.001\"} 2", "0.0025\"} 3",
			"0.005\"} 3", "0.01\"} 4", "0.025\"} 4", "0.05\"} 4",
			"0.1\"} 4", "0.25\"} 4", "0.5\"} 4", "1\"} 5",
			"2.5\"} 5", "+Inf\"} 5"
		};
		size_t	 i;
		int	 good = 1;

		for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
			snprintf(line, sizeof(line), "sipcfg_http_request_"
			    "duration_seconds_bucket{route=\"config\",le=\"%s",
			    want[i]);
			good &= has(line);
		}
		ok(good, "cumulative buckets, the bound inclusive (0.01)");
	}
	ok(has("sipcfg_http_request_duration_seconds_sum{route=\"config\"} "
	    "0.712600000"), "_sum");
	ok(has("sipcfg_http_request_duration_seconds_count{route=\"config\"} "
	    "5"), "_count");
	ok(strstr(text, "route=\"console\"") == NULL,
	    "a route with no requests has no series");

	metrics_inc(METRICS_ANSWER_HITS);
	metrics_inc(METRICS_ANSWER_HITS);
	metrics_inc(METRICS_ANSWER_MISSES);
	metrics_inc(METRICS_ANSWER_EVICTIONS);
	metrics_inc(METRICS_GUARD_BLOCKS);
	metrics_inc(METRICS_GUARD_REFUSALS);
	metrics_inc(METRICS_GUARD_REFUSALS);
	metrics_inc(METRICS_CHECKSYNC_PUSHES);
	metrics_inc(METRICS_CHECKSYNC_FAILED);
	metrics_auth_failure(METRICS_AUTH_DIGEST);
	metrics_auth_failure(METRICS_AUTH_DIGEST);
	metrics_auth_failure(METRICS_AUTH_CERT);
	metrics_notify(METRICS_NOTIFY_SUBSCRIPTION, METRICS_NOTIFY_SENT);
	metrics_notify(METRICS_NOTIFY_SUBSCRIPTION, METRICS_NOTIFY_SENT);
	metrics_notify(METRICS_NOTIFY_SUBSCRIPTION, METRICS_NOTIFY_FAILED);
	metrics_notify(METRICS_NOTIFY_CHECKSYNC, METRICS_NOTIFY_RETRIED);
	metrics_notify_retransmissions(5);
	metrics_notify_retransmissions(7);
	metrics_subscriptions_add(1);
	metrics_subscriptions_add(1);
	metrics_subscriptions_add(1);
	metrics_subscriptions_add(-1);
	metrics_store_up(1);
	metrics_store_observe(METRICS_QUERY_DEVICE, 0.00003);
	metrics_store_observe(METRICS_QUERY_DEVICE, 0.0002);
	metrics_store_observe(METRICS_QUERY_USER, 2.0);
	render();
	ok(has("sipcfg_answer_cache_hits_total 2"), "cache hits");
	ok(has("sipcfg_answer_cache_misses_total 1"), "cache misses");
	ok(has("sipcfg_answer_cache_evictions_total 1"), "cache evictions");
	ok(has("sipcfg_guard_blocks_total 1"), "guard blocks");
	ok(has("sipcfg_guard_refusals_total 2"), "guard refusals");
	ok(has("sipcfg_checksync_pushes_total 1"), "check-sync pushes");
	ok(has("sipcfg_checksync_failed_total 1"), "check-sync failures");
	ok(has("sipcfg_auth_failures_total{reason=\"digest\"} 2") &&
	    has("sipcfg_auth_failures_total{reason=\"cert\"} 1") &&
	    has("sipcfg_auth_failures_total{reason=\"basic\"} 0"),
	    "authentication failures by reason, zeros too");
	ok(has("sipcfg_notify_sent_total{kind=\"subscription\"} 2") &&
	    has("sipcfg_notify_failed_total{kind=\"subscription\"} 1") &&
	    has("sipcfg_notify_retried_total{kind=\"checksync\"} 1") &&
	    has("sipcfg_notify_sent_total{kind=\"checksync\"} 0"),
	    "NOTIFYs by kind");
	ok(has("sipcfg_notify_retransmissions_total 7"),
	    "retransmissions: the stack's running total");
	ok(has("sipcfg_subscriptions 2"), "subscriptions held");
	ok(has("sipcfg_store_up 1"), "store up");
	metrics_store_up(0);
	render();
	ok(has("sipcfg_store_up 0"), "store down");
	ok(has("sipcfg_store_query_duration_seconds_bucket{query=\"device\","
	    "le=\"5e-05\"} 1") &&
	    has("sipcfg_store_query_duration_seconds_bucket{query=\"device\","
	    "le=\"0.00025\"} 2") &&
	    has("sipcfg_store_query_duration_seconds_sum{query=\"device\"} "
	    "0.000230000") &&
	    has("sipcfg_store_query_duration_seconds_count{query=\"device\"} "
	    "2"), "store latency: device");
	ok(has("sipcfg_store_query_duration_seconds_bucket{query=\"user\","
	    "le=\"1\"} 0") &&
	    has("sipcfg_store_query_duration_seconds_bucket{query=\"user\","
	    "le=\"+Inf\"} 1") &&
	    has("sipcfg_store_query_duration_seconds_sum{query=\"user\"} "
	    "2.000000000"), "store latency: user");
	ok(has("sipcfg_build_info{version=\"" PACKAGE_VERSION "\"} 1"),
	    "build info");
	ok(strstr(text, "\nsipcfg_start_time_seconds 1") != NULL,
	    "start time (after 2001)");
	ok(has("# TYPE sipcfg_http_request_duration_seconds histogram") &&
	    has("# TYPE sipcfg_subscriptions gauge") &&
	    count_lines("# HELP ") == count_lines("# TYPE "),
	    "every family has HELP and TYPE");

	if (system("command -v promtool >/dev/null 2>&1") != 0)
		printf("ok %d # SKIP promtool not installed\n", ++tap_n);
	else
		ok(promtool_check() == 0, "promtool check metrics accepts it");
	free(text);
	return tap_done();
}
