/*
 * admin_util: the helpers every command shares: options, errors, output
 * (tables, JSON, ISO 8601 times), passwords, device look-up.  Part of the
 * admin library (admin.h): commands that validate, run in the caller's
 * transaction and write their result to the call's output, for the CLI and
 * the REST API alike.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
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

/* An error: said on errout, and the first one kept for the API. */
int
err(const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[sizeof(adm->error)];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (adm->error[0] == '\0')
		snprintf(adm->error, sizeof(adm->error), "%s", msg);
	if (adm->status == 0)
		adm->status = 400;
	if (adm->errout != NULL)
		fprintf(adm->errout, "%s: %s\n", adm->progname, msg);
	return -1;
}

const char *
opt(const struct args *a, const char *name)
{
	int	 i;

	for (i = 0; i < a->nopt; i++)
		if (strcmp(a->oname[i], name) == 0)
			return a->oval[i] ? a->oval[i] : "";
	return NULL;
}

/*
 * A duration option (util_duration) in [min, DURATION_MAX]; dflt when
 * the option is absent.  -1 after saying what is wrong.
 */
int
opt_duration(const struct args *a, const char *name, long long min,
    long long dflt, long long *out)
{
	const char	*v = opt(a, name);

	*out = dflt;
	if (v != NULL && (util_duration(v, DURATION_MAX, out) != 0 ||
	    *out < min))
		return err("%s %s: expected seconds, or a number with s, m, h "
		    "or d (90s, 30m, 12h, 7d), %lld to %lld seconds", name, v,
		    min, DURATION_MAX);
	return 0;
}

int
store_fail(struct store *st, enum store_rc rc, const char *what)
{
	if (adm->status == 0)
		adm->status = rc == STORE_NOTFOUND ? 404 : rc == STORE_EXISTS ?
		    409 : rc == STORE_BUSY ? 503 : rc == STORE_INVALID ||
		    rc == STORE_AMBIGUOUS ? 400 : 500;
	switch (rc) {
	case STORE_NOTFOUND:
		return err("%s: not found", what);
	case STORE_EXISTS:
		return err("%s: already exists", what);
	case STORE_AMBIGUOUS:
		return err("%s: %s", what, store_errmsg(st));
	case STORE_INVALID:
		if (strncmp(store_errmsg(st), "no such", 7) == 0)
			return err("%s: %s", what, store_errmsg(st));
		return err("%s: value refused (%s)", what, store_errmsg(st));
	case STORE_BUSY:
		return err("%s: store is busy, try again", what);
	default:
		return err("%s: %s", what, store_errmsg(st));
	}
}

void
print_json(const json_t *v)
{
	char	*s = json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY |
	    JSON_PRESERVE_ORDER);

	if (s) {
		outf("%s\n", s);
		free(s);
	}
	adm->printed = 1;
}

/*
 * Text output gives times in ISO 8601 (UTC), not the store's unix
 * seconds: a cell of one of these columns holding a number.  --json
 * keeps the numbers.
 */
int
time_cell(const char *col, const json_t *v, char *out, size_t len)
{
	static const char *const cols[] = { "created", "updated",
	    "last_fetch", "expires", "last_notify", "otp_not_before",
	    "otp_not_after", "old_until", "ts", "cert_pinned", "pinned",
	    "first_seen", "last_seen", "valid_until", "since", NULL };
	time_t		 t;
	struct tm	 tm;
	size_t		 i;

	if (!json_is_integer(v) || json_integer_value(v) <= 0)
		return 0;
	for (i = 0; cols[i] && strcmp(cols[i], col) != 0; i++)
		;
	if (cols[i] == NULL)
		return 0;
	t = (time_t)json_integer_value(v);
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return 0;
	return 1;
}

/*
 * A cell of a table: every cell goes through termsafe_escape(), so what a
 * device sent (its User-Agent, an enrolled vendor or model) is printed,
 * never acted on by the terminal; times in ISO 8601 (time_cell()).
 */
static void
table_cell(const char *col, const json_t *v, char *cell, size_t len)
{
	if (json_is_string(v))
		termsafe_escape(json_string_value(v), cell, len, 0);
	else if (time_cell(col, v, cell, len))
		;
	else if (json_is_integer(v))
		snprintf(cell, len, "%lld", (long long)json_integer_value(v));
	else if (v && !json_is_null(v)) {
		char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);

		termsafe_escape(s ? s : "?", cell, len, TERMSAFE_JSON);
		free(s);
	} else
		snprintf(cell, len, "-");
}

/* The columns' widths over rows: its header at least, 60 at most. */
static void
table_widths(const json_t *rows, const char *const cols[], size_t w[16])
{
	const json_t	*row;
	size_t		 i, c, l;
	char		 cell[512];

	for (c = 0; cols[c] && c < 16; c++) {
		w[c] = strlen(cols[c]);
		json_array_foreach(rows, i, row) {
			table_cell(cols[c], json_object_get(row, cols[c]),
			    cell, sizeof(cell));
			if ((l = strlen(cell)) > w[c])
				w[c] = l > 60 ? 60 : l;
		}
	}
}

/* One row in columns of widths w; full: a longer cell is not cut. */
static void
table_row(const json_t *row, const char *const cols[], const size_t w[16],
    int full)
{
	char	 cell[512];
	size_t	 c;

	for (c = 0; cols[c] && c < 16; c++) {
		table_cell(cols[c], json_object_get(row, cols[c]), cell,
		    sizeof(cell));
		outf("%-*.*s%s", (int)w[c], full ? (int)sizeof(cell) :
		    (int)w[c], cell, cols[c + 1] ? "  " : "\n");
	}
}

/* A table of rows: the named columns (16 at most), left aligned. */
void
print_table(const json_t *rows, const char *const cols[])
{
	size_t		 i, c, w[16] = { 0 };
	const json_t	*row;

	table_widths(rows, cols, w);
	for (c = 0; cols[c] && c < 16; c++)
		outf("%-*s%s", (int)w[c], cols[c], cols[c + 1] ? "  " : "\n");
	json_array_foreach(rows, i, row)
		table_row(row, cols, w, 0);
}

void
liststream_init(struct liststream *l, const struct args *a,
    const char *const *(*pick)(void *arg, const json_t *window), void *arg)
{
	memset(l, 0, sizeof(*l));
	l->a = a;
	l->pick = pick;
	l->arg = arg;
}

/* The window's rows decide the columns and widths, and are printed. */
static void
liststream_flush(struct liststream *l)
{
	l->cols = l->pick(l->arg, l->window);
	print_table(l->window, l->cols);
	table_widths(l->window, l->cols, l->w);
	json_decref(l->window);
	l->window = NULL;
	l->flushed = 1;
}

int
liststream_add(struct liststream *l, const json_t *row)
{
	char	*t, *body;
	size_t	 len;
	json_t	*one;

	if (l->a->json) {
		/*
		 * One row as an element of an indented array: the dump of a
		 * one-element array without its brackets.
		 */
		if ((one = json_array()) == NULL ||
		    json_array_append(one, (json_t *)row) != 0 ||
		    (t = json_dumps(one, JSON_INDENT(2) |
		    JSON_PRESERVE_ORDER)) == NULL) {
			json_decref(one);
			return -1;
		}
		json_decref(one);
		len = strlen(t);
		body = t + 2;			/* "[\n" */
		if (len >= 4)
			t[len - 2] = '\0';	/* "\n]" */
		outf("%s%s", l->n == 0 ? "[\n" : ",\n", body);
		free(t);
	} else if (!l->flushed) {
		if (l->window == NULL && (l->window = json_array()) == NULL)
			return -1;
		if (json_array_append(l->window, (json_t *)row) != 0)
			return -1;
		if (json_array_size(l->window) == LIST_WINDOW)
			liststream_flush(l);
	} else
		table_row(row, l->cols, l->w, 1);
	l->n++;
	return ferror(adm->out) ? -1 : 0;
}

void
liststream_end(struct liststream *l)
{
	if (l->a->json)
		outf(l->n == 0 ? "[]\n" : "\n]\n");
	else if (!l->flushed) {
		if (l->window == NULL)
			l->window = json_array();
		liststream_flush(l);
	}
	json_decref(l->window);
	l->window = NULL;
	adm->printed = 1;
}

/*
 * One record for a person: a "key value" line per field but skip (times
 * in ISO 8601, strings through termsafe_escape(), "-" for none).
 */
void
print_fields(const json_t *o, const char *skip)
{
	const char	*k;
	json_t		*v;
	char		 cell[4096];
	int		 w = 12;

	json_object_foreach((json_t *)o, k, v)
		if ((int)strlen(k) > w)
			w = (int)strlen(k);
	json_object_foreach((json_t *)o, k, v) {
		if (skip != NULL && strcmp(k, skip) == 0)
			continue;
		if (json_is_string(v))
			termsafe_escape(json_string_value(v), cell,
			    sizeof(cell), 0);
		else if (time_cell(k, v, cell, sizeof(cell)))
			;
		else if (json_is_integer(v))
			snprintf(cell, sizeof(cell), "%lld",
			    (long long)json_integer_value(v));
		else
			snprintf(cell, sizeof(cell), "-");
		outf("%-*s %s\n", w, k, cell);
	}
}

/* Rows of a listing: --json as they are, else a table (times in ISO). */
void
show_rows(const struct args *a, json_t *rows, const char *const cols[],
    const char *const times[])
{
	if (a->json)
		print_json(rows);
	else {
		if (times)
			iso_times(rows, times);
		print_table(rows, cols);
	}
}

/* A listing: the store's rows for it, shown, freed. */
int
list_rows(struct store *st, const struct args *a,
    enum store_rc (*lister)(struct store *, json_t **), const char *what,
    const char *const cols[])
{
	json_t		*rows;
	enum store_rc	 rc;

	if ((rc = lister(st, &rows)) != STORE_OK)
		return store_fail(st, rc, what);
	show_rows(a, rows, cols, NULL);
	json_decref(rows);
	return 0;
}

/* Rows (with a "domain" name) of more than the default domain. */
int
outside_default(const json_t *rows)
{
	const json_t	*o;
	const char	*d;
	size_t		 i;

	json_array_foreach(rows, i, o)
		if ((d = json_string_value(json_object_get(o, "domain"))) &&
		    strcmp(d, "default") != 0)
			return 1;
	return 0;
}

int
read_password(const char *prompt, char *out, size_t len)
{
	struct termios	 t, saved;
	char		 again[PASS_MAX];
	int		 tty = isatty(STDIN_FILENO), rc = -1;
	size_t		 n;

	/* fgets() leaves it as it was at an immediate end of file. */
	out[0] = again[0] = '\0';
	if (tty) {
		if (tcgetattr(STDIN_FILENO, &saved) != 0)
			return err("cannot read the terminal");
		t = saved;
		t.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &t);
		fprintf(adm->errout, "%s: ", prompt);
	}
	if (fgets(out, (int)len, adm->in) == NULL)
		goto done;
	n = strcspn(out, "\r\n");
	if (out[n] == '\0' && n == len - 1) {
		err("password longer than %zu bytes", len - 2);
		goto done;
	}
	out[n] = '\0';
	if (tty) {
		fprintf(adm->errout, "\nagain: ");
		if (fgets(again, sizeof(again), adm->in) == NULL)
			goto done;
		again[strcspn(again, "\r\n")] = '\0';
		if (strcmp(again, out) != 0) {
			err("passwords do not match");
			goto done;
		}
		fputc('\n', adm->errout);
	}
	if (*out == '\0') {
		err("empty password refused");
		goto done;
	}
	rc = 0;
done:
	if (tty)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
	util_wipe(again, sizeof(again));
	if (rc != 0 && !tty && feof(adm->in) && out[0] == '\0')
		err("no password on standard input");
	return rc;
}


/* DEV on the command line: an sfua-id URN or a MAC address. */
int
find_device(struct store *st, const char *spec, struct store_device *d)
{
	char		 norm[REQUEST_ID_MAX], mac[13];
	enum store_rc	 rc;

	if (request_urn_normalise(spec, norm, sizeof(norm)) == 0)
		rc = store_device_by_sfua(st, adm->domain, norm, d);
	else if (request_mac_normalise(spec, mac) == 0)
		rc = store_device_by_mac(st, adm->domain, mac, d);
	else
		return err("%s: not an sfua-id URN or a MAC address", spec);
	if (rc != STORE_OK)
		return store_fail(st, rc, spec);
	return 0;
}


/* The rule is bulk.c's, shared with `sipcfg import`. */
int
valid_state(const char *s)
{
	return bulk_bad_state(s) == NULL;
}

/* A PEM certificate file, checked to be one (for cms-cert). */
static char *
read_cert(const char *path)
{
	FILE	*f;
	X509	*x;
	char	*pem;
	long	 n;

	if ((f = fopen(path, "r")) == NULL) {
		err("%s: %s", path, strerror(errno));
		return NULL;
	}
	x = PEM_read_X509(f, NULL, NULL, NULL);
	if (x == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0 ||
	    n > 16384 || fseek(f, 0, SEEK_SET) != 0 ||
	    (pem = calloc(1, (size_t)n + 1)) == NULL) {
		X509_free(x);
		fclose(f);
		err("%s: not a PEM certificate of at most 16 KB", path);
		return NULL;
	}
	X509_free(x);
	if (fread(pem, 1, (size_t)n, f) != (size_t)n) {
		free(pem);
		fclose(f);
		err("%s: cannot read", path);
		return NULL;
	}
	fclose(f);
	return pem;
}

/* Device fields from options, validated; for add and set. */
/*
 * openssl-enc-md5 (doc/sipcfg.1): unauthenticated AES-256-CBC under a key
 * derived with one round of MD5; only for the firmware that reads
 * nothing better.
 */
void
warn_legacy_enc(void)
{
	fprintf(adm->errout, "%s: warning: openssl-enc-md5 is legacy encryption "
	    "(unauthenticated CBC, one-round MD5 key derivation): use "
	    "cms-cert or cms-password where the phone reads them\n",
	    adm->progname);
}

int
device_fields(struct store *st, const struct args *a, json_t *f, int set)
{
	const char	*v, *why;
	char		 mac[13];
	long long	 n;

	if ((v = opt(a, "--vendor")) != NULL) {
		if ((why = bulk_bad_vendor(v)) != NULL)
			return err("--vendor %s: %s", v, why);
		json_object_set_new(f, "vendor", json_string(v));
	}
	if ((v = opt(a, "--model")) != NULL) {
		if ((why = bulk_bad_model(v)) != NULL)
			return err("--model %s: %s", v, why);
		json_object_set_new(f, "model", json_string(v));
	}
	if ((v = opt(a, "--label")) != NULL) {
		if ((why = bulk_bad_label(v)) != NULL)
			return err("--label: %s", why);
		json_object_set_new(f, "label", json_string(v));
	}
	if ((v = opt(a, "--state")) != NULL) {
		if ((why = bulk_bad_state(v)) != NULL)
			return err("--state %s: %s", v, why);
		json_object_set_new(f, "state", json_string(v));
	}
	if ((v = opt(a, "--user")) != NULL)
		json_object_set_new(f, "user", json_string(v));
	if (set && opt(a, "--no-user"))
		json_object_set_new(f, "user", json_string(""));
	if ((v = opt(a, "--profile")) != NULL)
		json_object_set_new(f, "profile", json_string(v));
	if ((v = opt(a, "--max-age")) != NULL) {
		if (set && strcmp(v, "none") == 0)
			json_object_set_new(f, "max_age", json_string(""));
		else if (util_strtonum(v, 0, 31536000, &n) != 0)
			return err("--max-age %s: expected 0..31536000%s", v,
			    set ? " or none" : "");
		else
			json_object_set_new(f, "max_age", json_integer(n));
	}
	if ((v = opt(a, "--notify")) != NULL) {
		/* RFC 6011 §2.5: subscription or polling mode. */
		if (strcmp(v, "subscribe") == 0 || strcmp(v, "poll") == 0)
			json_object_set_new(f, "notify_mode", json_string(v));
		else if (set && strcmp(v, "inherit") == 0)
			json_object_set_new(f, "notify_mode", json_string(""));
		else
			return err("--notify %s: expected subscribe, poll%s", v,
			    set ? " or inherit" : "");
	}
	if ((v = opt(a, "--client-cert")) != NULL) {
		if (strcmp(v, "optional") == 0 || strcmp(v, "required") == 0 ||
		    strcmp(v, "ignore") == 0)
			json_object_set_new(f, "client_cert", json_string(v));
		else if (set && strcmp(v, "inherit") == 0)
			json_object_set_new(f, "client_cert", json_string(""));
		else
			return err("--client-cert %s: expected optional, "
			    "required, ignore%s", v, set ? " or inherit" : "");
	}
	if ((v = opt(a, "--checksync")) != NULL) {
		/* BRIEF.md §3: the legacy push, off unless asked for. */
		if (strcmp(v, "on") == 0 || strcmp(v, "off") == 0)
			json_object_set_new(f, "checksync", json_string(v));
		else if (set && strcmp(v, "inherit") == 0)
			json_object_set_new(f, "checksync", json_string(""));
		else
			return err("--checksync %s: expected on, off%s", v,
			    set ? " or inherit" : "");
	}
	if (set && (v = opt(a, "--contact")) != NULL) {
		if (*v && ((strncmp(v, "sip:", 4) != 0 &&
		    strncmp(v, "sips:", 5) != 0) || strlen(v) > 255 ||
		    strpbrk(v, " \t\r\n<>\"") != NULL))
			return err("--contact %s: expected a sip: or sips: URI",
			    v);
		json_object_set_new(f, "contact_uri", json_string(v));
	}
	if ((v = opt(a, "--encrypt")) != NULL) {
		enum enc_mode m;

		/* Issue 5: the per-device encrypted file formats. */
		if (set && strcmp(v, "inherit") == 0)
			json_object_set_new(f, "enc_mode", json_string(""));
		else if (enc_mode_parse(v, &m) == 0) {
			json_object_set_new(f, "enc_mode", json_string(v));
			if (m == ENC_OPENSSL_MD5)
				warn_legacy_enc();
		} else
			return err("--encrypt %s: expected none, cms-password, "
			    "cms-cert or openssl-enc-md5%s", v, set ?
			    " (or inherit)" : "");
	}
	if (set && (v = opt(a, "--enc-cert")) != NULL) {
		char	*pem = NULL;

		if (*v && (pem = read_cert(v)) == NULL)
			return -1;
		json_object_set_new(f, "enc_cert", json_string(pem ? pem : ""));
		free(pem);
	}
	if (set && (v = opt(a, "--mac")) != NULL) {
		if (request_mac_normalise(v, mac) != 0)
			return err("--mac %s: not a MAC address", v);
		json_object_set_new(f, "mac", json_string(mac));
	}
	(void)st;
	return 0;
}

/*
 * A realm changed (the store's for domain_id 0, else a domain's): its
 * users hold HA1 = H(user:realm:password) only, so a new realm locks
 * them out of Digest until their passwords are set again.  Without
 * force that is refused (the caller's transaction is rolled back);
 * with it they are moved to the new realm, so that `user passwd` gives
 * them HA1s Digest can check again.
 */
int
rerealm(struct store *st, int64_t domain_id, const char *from,
    const char *to, int force)
{
	enum store_rc	 rc;
	int		 n = 0;

	if ((rc = store_users_rerealm(st, domain_id, from, to, &n)) !=
	    STORE_OK)
		return store_fail(st, rc, "realm");
	if (n > 0 && !force)
		return err("the %s realm is \"%s\" and %d users have passwords "
		    "for it; changing it locks them out of Digest until their "
		    "passwords are set again (use --force)", domain_id ?
		    "domain's" : "store's", from, n);
	if (n > 0)
		fprintf(adm->errout, "%s: %d users moved to realm \"%s\": set their "
		    "passwords again (sipcfg user passwd NAME), Digest fails "
		    "for them until then\n", adm->progname, n, to);
	return 0;
}
/* The realm of domain id, when it has one of its own: 0. */
int
domain_realm_of(struct store *st, int64_t id, char *out, size_t len)
{
	json_t		*rows, *o;
	size_t		 i;
	const char	*r;
	int		 rc = -1;

	if (store_domain_list(st, &rows) != STORE_OK)
		return -1;
	json_array_foreach(rows, i, o)
		if (json_integer_value(json_object_get(o, "id")) == id &&
		    (r = json_string_value(json_object_get(o, "realm"))) &&
		    *r) {
			snprintf(out, len, "%s", r);
			rc = 0;
		}
	json_decref(rows);
	return rc;
}

/* The realm of the --domain given, when it has one of its own: 0. */
int
domain_realm(struct store *st, char *out, size_t len)
{
	return adm->domain ? domain_realm_of(st, adm->domain, out, len) : -1;
}

/*
 * The store's seal key (seal.h), when its key file exists; 0 or -1.  A
 * key file that exists but is unusable is an error, not a silent "no".
 */
int
load_seal_key(unsigned char *key, int *have)
{
	char	 path[SEAL_PATH_MAX], e[SEAL_PATH_MAX + 128];

	*have = 0;
	if (adm->seal_given) {
		if (adm->seal_key != NULL) {
			memcpy(key, adm->seal_key, SEAL_KEY_LEN);
			*have = 1;
		}
		return 0;
	}
	seal_key_path(adm->store, path, sizeof(path));
	if (access(path, F_OK) != 0)
		return 0;
	if (seal_key_load(path, key, e, sizeof(e)) != 0)
		return err("%s", e);
	*have = 1;
	return 0;
}

/* Unix times as ISO 8601 UTC for the table (--json keeps numbers). */
void
iso_times(json_t *rows, const char *const keys[])
{
	json_t		*row, *v;
	size_t		 i, k;
	char		 t[32];
	time_t		 tt;
	struct tm	 tm;

	json_array_foreach(rows, i, row)
		for (k = 0; keys[k]; k++) {
			v = json_object_get(row, keys[k]);
			if (!json_is_integer(v))
				continue;
			tt = (time_t)json_integer_value(v);
			gmtime_r(&tt, &tm);
			strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%SZ", &tm);
			json_object_set_new(row, keys[k], json_string(t));
		}
}

/*
 * What sipcfgd would take for devices and profiles that say none, for
 * drift and explain: --max-age (default 3600, as sipcfgd's) and --notify
 * (default subscribe, as sipcfgd's with a sip_listen).
 */
int
daemon_defaults(const struct args *a, int *max_age, enum notify_mode *mode)
{
	const char	*v;
	long long	 n;

	*max_age = 3600;
	*mode = NOTIFY_SUBSCRIBE;
	if ((v = opt(a, "--max-age")) != NULL) {
		if (util_strtonum(v, 0, 31536000, &n) != 0)
			return err("--max-age %s: expected 0..31536000", v);
		*max_age = (int)n;
	}
	if ((v = opt(a, "--notify")) != NULL) {
		if (strcmp(v, "subscribe") == 0)
			*mode = NOTIFY_SUBSCRIBE;
		else if (strcmp(v, "poll") == 0)
			*mode = NOTIFY_POLL;
		else
			return err("--notify %s: expected subscribe or poll",
			    v);
	}
	return 0;
}

/* A JSON value in one line for a table cell; "-" for none. */
void
cell_of(const json_t *v, char *out, size_t len)
{
	char	*t;

	if (v == NULL || json_is_null(v)) {
		snprintf(out, len, "-");
		return;
	}
	if (json_is_string(v)) {
		termsafe_escape(json_string_value(v), out, len, 0);
		return;
	}
	t = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	termsafe_escape(t ? t : "?", out, len, TERMSAFE_JSON);
	free(t);
}
