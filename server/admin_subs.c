/*
 * admin_subs: subscriptions, NOTIFY requests and check-sync (RFC 6011
 * §2.5).  Part of the admin library (admin.h): commands that validate, run
 * in the caller's transaction and write their result to the call's output,
 * for the CLI and the REST API alike.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "dhcpconf.h"
#include "drift.h"
#include "explain.h"
#include "dhcpopt.h"
#include "digest.h"
#include "buf.h"
#include "bulk.h"
#include "credential.h"
#include "render.h"
#include "request.h"
#include "resource.h"
#include "encrypt.h"
#include "seal.h"
#include "store.h"
#include "storemove.h"
#include "termsafe.h"
#include "tlsdomain.h"
#include "vpath.h"
#include "util.h"
#include "admin_int.h"

static const char *const *
subs_cols(void *arg, const json_t *window)
{
	static const char *const cols[] = { "device", "uri", "transport",
	    "source", "expires", "last_notify", "last_etag", NULL };

	(void)arg;
	(void)window;
	return cols;
}

/* A subscription's id, "instance/local-id", as its key; -1: not one. */
static int
sub_key(const char *id, char *inst, size_t len, int64_t *local)
{
	const char	*slash;
	long long	 n;

	if (id == NULL || (slash = strrchr(id, '/')) == NULL || slash == id ||
	    (size_t)(slash - id) >= len ||
	    util_strtonum(slash + 1, 0, INT64_MAX, &n) != 0)
		return -1;
	snprintf(inst, len, "%.*s", (int)(slash - id), id);
	*local = (int64_t)n;
	return 0;
}

/*
 * subs [DEV] [--limit N] [--offset N | --after ID]: live subscriptions,
 * a device's or all, read from the store LIST_WINDOW at a time (each
 * batch after the last id of the one before) and printed as read, never
 * held whole: a fleet holds a million.
 */
int
cmd_subs(struct store *st, struct args *a)
{
	struct store_subs_filter f;
	struct store_device	 d;
	struct liststream	 ls;
	json_t			*rows, *row;
	const char		*v;
	char			 inst[STORE_NAME_MAX];
	long long		 left = -1;
	size_t			 i, got;
	enum store_rc		 rc;

	memset(&f, 0, sizeof(f));
	if ((v = opt(a, "--limit")) != NULL &&
	    util_strtonum(v, 0, LIST_MAX, &left) != 0)
		return err("--limit %s: expected a number of subscriptions, 0 "
		    "to %lld", v, LIST_MAX);
	if ((v = opt(a, "--offset")) != NULL &&
	    util_strtonum(v, 0, LIST_MAX, &f.offset) != 0)
		return err("--offset %s: expected a number of subscriptions "
		    "to skip, 0 to %lld", v, LIST_MAX);
	if ((v = opt(a, "--after")) != NULL) {
		if (sub_key(v, inst, sizeof(inst), &f.after_local) != 0)
			return err("--after %s: expected a subscription's id, "
			    "INSTANCE/N (the \"id\" of the last row of the "
			    "page before)", v);
		f.after_instance = inst;
	}
	d.id = -1;
	if (a->npos == 1 && find_device(st, a->pos[0], &d) != 0)
		return -1;
	f.device_id = d.id;
	f.now = time(NULL);
	liststream_init(&ls, a, subs_cols, NULL);
	while (left != 0) {
		f.limit = left >= 0 && left < LIST_WINDOW ? left : LIST_WINDOW;
		if ((rc = store_subs_list(st, &f, &rows)) != STORE_OK) {
			liststream_end(&ls);
			return store_fail(st, rc, "subs");
		}
		got = json_array_size(rows);
		json_array_foreach(rows, i, row)
			if (liststream_add(&ls, row) != 0) {
				json_decref(rows);
				liststream_end(&ls);
				return err("subs: cannot write");
			}
		/* The next batch: after the last one's key. */
		if ((long long)got < f.limit || sub_key(json_string_value(
		    json_object_get(json_array_get(rows, got - 1), "id")),
		    inst, sizeof(inst), &f.after_local) != 0) {
			json_decref(rows);
			break;
		}
		json_decref(rows);
		if (left > 0)
			left -= (long long)got;
		f.after_instance = inst;
		f.offset = 0;
	}
	if (!a->json && ls.n == 0) {
		/* Not an empty table: a sentence. */
		json_decref(ls.window);
		outf("no subscriptions%s%s\n", a->npos ? " for " : "",
		    a->npos ? d.sfua_id : "");
		adm->printed = 1;
	} else
		liststream_end(&ls);
	return 0;
}

/*
 * A row in the change log asks every sipcfgd's notifier to re-send the
 * current state to the device's subscribers, changed or not.
 */
int
cmd_notify(struct store *st, struct args *a)
{
	struct store_device	 d;
	enum store_rc		 rc;
	int			 all = opt(a, "--all") != NULL;
	int			 cs = opt(a, "--check-sync") != NULL;
	int			 reboot = opt(a, "--reboot") != NULL;

	if (all == (a->npos == 1))
		return err("usage: notify DEV | notify --all");
	if (reboot && !cs)
		return err("--reboot goes with --check-sync");
	if (cs && all)
		return err("--check-sync is for one device at a time");
	if (!all && find_device(st, a->pos[0], &d) != 0)
		return -1;
	if (cs) {
		/* BRIEF.md §3: reboot=true only when the operator asks. */
		if ((rc = store_checksync_request(st, d.id, reboot)) !=
		    STORE_OK)
			return store_fail(st, rc, "notify");
		if (!a->json)
			outf("check-sync%s requested for %s\n", reboot ?
			    " with reboot" : "", d.sfua_id);
		return 0;
	}
	if ((rc = store_notify_request(st, all ? -1 : d.id)) != STORE_OK)
		return store_fail(st, rc, "notify");
	if (!a->json)
		outf("NOTIFY requested for %s\n", all ? "every subscribed "
		    "device" : d.sfua_id);
	return 0;
}

int
cmd_checksync_list(struct store *st, struct args *a)
{
	static const char *const cols[] = { "vendor", "event", "reboot_event",
	    "enabled", NULL };

	return list_rows(st, a, store_checksync_list, "checksync list",
	    cols);
}

/* An Event value: a token, then ;param=value parts (NOTES-apis.md §3). */
static int
valid_event(const char *e)
{
	size_t	 n = strlen(e);

	return n > 0 && n < 64 && strspn(e, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~;=") == n &&
	    e[0] != ';' && e[0] != '=';
}

int
cmd_checksync_set(struct store *st, struct args *a)
{
	const char	*ev = opt(a, "--event"), *rev = opt(a, "--reboot-event");
	int		 on = opt(a, "--on") != NULL, off = opt(a, "--off") != NULL;
	enum store_rc	 rc;

	if (!request_valid_domain(a->pos[0]))
		return err("%s: not a vendor DNS domain", a->pos[0]);
	if (on && off)
		return err("--on or --off, not both");
	if ((ev && !valid_event(ev)) || (rev && !valid_event(rev)))
		return err("%s: not an Event value (token[;param=value])",
		    ev && !valid_event(ev) ? ev : rev);
	if ((rc = store_checksync_set(st, a->pos[0], ev, rev, on ? 1 :
	    off ? 0 : -1)) != STORE_OK)
		return store_fail(st, rc, a->pos[0]);
	if (!a->json)
		outf("check-sync for %s updated\n", a->pos[0]);
	return 0;
}
