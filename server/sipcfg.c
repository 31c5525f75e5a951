/*
 * sipcfg: the administration CLI.  It works directly on the store, so it
 * works whether or not sipcfgd runs; the daemon sees each committed
 * change at its next request (and the notifier, later, pushes it).
 *
 * The whole grammar is the command table below.  Each command runs in
 * one transaction: a failed command changes nothing.  Passwords are read
 * from the terminal (twice, without echo) or from one line of standard
 * input, never from argv, or generated (one-time passwords, printed only
 * after the commit); only their HA1 values are stored, plus a sealed copy
 * where a configuration must hand the password over.
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

#define MAXPOS		8
#define MAXOPT		16
#define PASS_MAX	256
#define DURATION_MAX	31536000LL	/* 365d, for --valid-for, --overlap */
#define OTP_VALID_FOR	604800LL	/* 7d: default --valid-for */
#define OVERLAP		86400LL		/* 1d: default --overlap */

struct args {
	const char	*pos[MAXPOS];
	int		 npos;
	const char	*oname[MAXOPT];
	const char	*oval[MAXOPT];
	int		 nopt;
	int		 json;
};

struct cmd {
	const char	*noun, *verb;
	int		 minpos, maxpos;
	const char	*opts;		/* "--a= --b" ('=' takes a value) */
	int		 writes;
	int		 (*fn)(struct store *, struct args *);
	const char	*usage;
};

static const char	*progname = "sipcfg";
static const char	*g_store;	/* the store's path, for its key */
static int		 load_seal_key(unsigned char *, int *);
static int		 printed;	/* a command wrote its own output */
/*
 * Output that only means something once the transaction is committed
 * (a generated password): printed by main() after the commit, then
 * wiped.
 */
static char		*after_commit;

static int
err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int
err(const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

static const char *
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
static int
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

static int
store_fail(struct store *st, enum store_rc rc, const char *what)
{
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

static void
print_json(const json_t *v)
{
	char	*s = json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY |
	    JSON_PRESERVE_ORDER);

	if (s) {
		puts(s);
		free(s);
	}
	printed = 1;
}

/*
 * Text output gives times in ISO 8601 (UTC), not the store's unix
 * seconds: a cell of one of these columns holding a number.  --json
 * keeps the numbers.
 */
static int
time_cell(const char *col, const json_t *v, char *out, size_t len)
{
	static const char *const cols[] = { "created", "updated",
	    "last_fetch", "expires", "last_notify", "otp_not_before",
	    "otp_not_after", "old_until", "ts", "cert_pinned", "pinned",
	    "first_seen", "last_seen", "valid_until", NULL };
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
 * A table of rows: the named columns, left aligned.  Every cell goes
 * through termsafe_escape(): what a device sent (its User-Agent, an
 * enrolled vendor or model) is printed, never acted on by the terminal.
 */
static void
print_table(const json_t *rows, const char *const cols[])
{
	size_t		 i, c, w[16] = { 0 }, l;
	const json_t	*row, *v;
	char		 cell[512];

	for (c = 0; cols[c]; c++)
		w[c] = strlen(cols[c]);
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1) {
			for (c = 0; cols[c]; c++)
				printf("%-*s%s", (int)w[c], cols[c],
				    cols[c + 1] ? "  " : "\n");
		}
		json_array_foreach(rows, i, row) {
			for (c = 0; cols[c]; c++) {
				v = json_object_get(row, cols[c]);
				if (json_is_string(v))
					termsafe_escape(json_string_value(v),
					    cell, sizeof(cell), 0);
				else if (time_cell(cols[c], v, cell,
				    sizeof(cell)))
					;
				else if (json_is_integer(v))
					snprintf(cell, sizeof(cell), "%lld",
					    (long long)json_integer_value(v));
				else if (v && !json_is_null(v)) {
					char *s = json_dumps(v, JSON_ENCODE_ANY |
					    JSON_COMPACT);
					termsafe_escape(s ? s : "?", cell,
					    sizeof(cell), TERMSAFE_JSON);
					free(s);
				} else
					snprintf(cell, sizeof(cell), "-");
				l = strlen(cell);
				if (pass == 0 && l > w[c])
					w[c] = l > 60 ? 60 : l;
				if (pass == 1)
					printf("%-*.*s%s", (int)w[c], (int)w[c],
					    cell, cols[c + 1] ? "  " : "\n");
			}
		}
	}
}

static void	 iso_times(json_t *, const char *const []);

/* Rows of a listing: --json as they are, else a table (times in ISO). */
static void
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
static int
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
static int
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

static int
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
		fprintf(stderr, "%s: ", prompt);
	}
	if (fgets(out, (int)len, stdin) == NULL)
		goto done;
	n = strcspn(out, "\r\n");
	if (out[n] == '\0' && n == len - 1) {
		err("password longer than %zu bytes", len - 2);
		goto done;
	}
	out[n] = '\0';
	if (tty) {
		fprintf(stderr, "\nagain: ");
		if (fgets(again, sizeof(again), stdin) == NULL)
			goto done;
		again[strcspn(again, "\r\n")] = '\0';
		if (strcmp(again, out) != 0) {
			err("passwords do not match");
			goto done;
		}
		fputc('\n', stderr);
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
	if (rc != 0 && !tty && feof(stdin) && out[0] == '\0')
		err("no password on standard input");
	return rc;
}

/* --domain NAME: the domain DEV and new devices are in (0: any). */
static int64_t	 cli_domain;

/* DEV on the command line: an sfua-id URN or a MAC address. */
static int
find_device(struct store *st, const char *spec, struct store_device *d)
{
	char		 norm[REQUEST_ID_MAX], mac[13];
	enum store_rc	 rc;

	if (request_urn_normalise(spec, norm, sizeof(norm)) == 0)
		rc = store_device_by_sfua(st, cli_domain, norm, d);
	else if (request_mac_normalise(spec, mac) == 0)
		rc = store_device_by_mac(st, cli_domain, mac, d);
	else
		return err("%s: not an sfua-id URN or a MAC address", spec);
	if (rc != STORE_OK)
		return store_fail(st, rc, spec);
	return 0;
}


/* The rule is bulk.c's, shared with `sipcfg import`. */
static int
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
static void
warn_legacy_enc(void)
{
	fprintf(stderr, "%s: warning: openssl-enc-md5 is legacy encryption "
	    "(unauthenticated CBC, one-round MD5 key derivation): use "
	    "cms-cert or cms-password where the phone reads them\n",
	    progname);
}

static int
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
static int
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
		fprintf(stderr, "%s: %d users moved to realm \"%s\": set their "
		    "passwords again (sipcfg user passwd NAME), Digest fails "
		    "for them until then\n", progname, n, to);
	return 0;
}
/* The realm of domain id, when it has one of its own: 0. */
static int
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
static int
domain_realm(struct store *st, char *out, size_t len)
{
	return cli_domain ? domain_realm_of(st, cli_domain, out, len) : -1;
}

static int
cmd_init(struct store *st, struct args *a)
{
	const char	*realm = opt(a, "--realm");
	char		 cur[STORE_NAME_MAX];
	enum store_rc	 rc;

	if (realm) {
		if (!request_valid_userid(realm) || strchr(realm, '"'))
			return err("--realm %s: not a usable realm", realm);
		if (store_meta_get(st, "realm", cur, sizeof(cur)) == STORE_OK &&
		    strcmp(cur, realm) != 0 && rerealm(st, 0, cur, realm,
		    opt(a, "--force") != NULL) != 0)
			return -1;
		if ((rc = store_meta_set(st, "realm", realm)) != STORE_OK)
			return store_fail(st, rc, "realm");
	}
	if (store_meta_get(st, "realm", cur, sizeof(cur)) != STORE_OK)
		return store_fail(st, STORE_ERROR, "realm");
	/* issue 6: the key that seals stored secrets, beside the store. */
	{
		char	 kp[SEAL_PATH_MAX], e[SEAL_PATH_MAX + 128];
		int	 made;

		seal_key_path(g_store, kp, sizeof(kp));
		if (kp[0] == '\0')
			made = 0;	/* PostgreSQL, no SIPCFG_SEAL_KEY */
		else if ((made = seal_key_create(kp, e, sizeof(e))) < 0)
			return err("%s", e);
		if (kp[0] == '\0' && !a->json)
			printf("no seal key made: a PostgreSQL store keeps "
			    "none; set SIPCFG_SEAL_KEY to the key's file\n");
		if (made && !a->json)
			printf("seal key %s made: keep it (and its backups) "
			    "apart from the store's\n", kp);
	}
	if (a->json) {
		json_t *o = json_pack("{s:i, s:s}", "schema_version",
		    store_schema_version(st), "realm", cur);
		print_json(o);
		json_decref(o);
	} else
		printf("store ready: schema version %d, realm \"%s\"\n",
		    store_schema_version(st), cur);
	return 0;
}

/*
 * The same device in two domains is allowed (two providers may both
 * know a phone) but is worth a word: it is usually a typo in --domain.
 */
static void
warn_duplicate(struct store *st, const char *id, const char *mac)
{
	json_t		*rows, *o;
	size_t		 i;

	if (store_device_duplicates_of(st, cli_domain ? cli_domain :
	    STORE_DEFAULT_DOMAIN, id, mac, &rows) != STORE_OK)
		return;
	json_array_foreach(rows, i, o) {
		const char *dom = json_string_value(json_object_get(o,
		    "domain"));

		fprintf(stderr, "sipcfg: warning: %s is also in domain %s "
		    "(see sipcfg device duplicates)\n", id, dom ? dom : "?");
	}
	json_decref(rows);
}

static int
cmd_device_duplicates(struct store *st, struct args *a)
{
	static const char *const cols[] = { "domain", "sfua_id", "mac",
	    "label", NULL };

	return list_rows(st, a, store_device_duplicates, "device duplicates",
	    cols);
}

static int
cmd_device_unpin(struct store *st, struct args *a)
{
	struct store_device	 d;
	enum store_rc		 rc;

	if (find_device(st, a->pos[0], &d) != 0)
		return -1;
	if ((rc = store_device_unpin(st, d.id)) == STORE_NOTFOUND)
		return err("%s: no client certificate is pinned", a->pos[0]);
	if (rc != STORE_OK)
		return store_fail(st, rc, a->pos[0]);
	if (!a->json)
		printf("device %s unpinned: the next certificate it presents "
		    "with valid credentials is pinned\n", d.sfua_id);
	return 0;
}

/* ------------------------------------------------------------ domains */

/* --cert/--key/--ca/--realm/--base-url/--client-cert/--tofu into f. */
static int
domain_fields(struct args *a, json_t *f, int set)
{
	const char	*v, *cert = opt(a, "--cert"), *key = opt(a, "--key");
	const char	*ca = opt(a, "--ca");
	char		 why[640], abs[2][PATH_MAX];

	if ((cert == NULL) != (key == NULL))
		return err("--cert and --key go together");
	if (set && opt(a, "--no-cert") && cert)
		return err("--no-cert and --cert exclude each other");
	if (set && opt(a, "--no-ca") && ca)
		return err("--no-ca and --ca exclude each other");
	if ((cert && (realpath(cert, abs[0]) == NULL ||
	    realpath(key, abs[1]) == NULL)))
		return err("%s: %s", realpath(cert, abs[0]) ? key : cert,
		    strerror(errno));
	if (tlsdomain_check_files(cert ? abs[0] : NULL, key ? abs[1] : NULL,
	    ca, why, sizeof(why)) != 0)
		return err("%s", why);
	if (cert) {
		json_object_set_new(f, "cert_file", json_string(abs[0]));
		json_object_set_new(f, "key_file", json_string(abs[1]));
	} else if (set && opt(a, "--no-cert")) {
		json_object_set_new(f, "cert_file", json_string(""));
		json_object_set_new(f, "key_file", json_string(""));
	}
	if (ca) {
		if (realpath(ca, abs[0]) == NULL)
			return err("%s: %s", ca, strerror(errno));
		json_object_set_new(f, "ca_file", json_string(abs[0]));
	} else if (set && opt(a, "--no-ca"))
		json_object_set_new(f, "ca_file", json_string(""));
	if ((v = opt(a, "--realm")) != NULL) {
		if (*v == '\0' || strlen(v) > 128 || bulk_has_control(v) ||
		    strchr(v, '"'))
			return err("--realm %s: 1..128 bytes, no quotes or "
			    "control characters", v);
		json_object_set_new(f, "realm", json_string(v));
	}
	if ((v = opt(a, "--base-url")) != NULL) {
		if (strncmp(v, "https://", 8) != 0 || strlen(v) > 1024 ||
		    bulk_has_control(v) || strchr(v, ' '))
			return err("--base-url %s: expected an https:// URL", v);
		json_object_set_new(f, "base_url", json_string(v));
	}
	if ((v = opt(a, "--client-cert")) != NULL) {
		if (strcmp(v, "optional") != 0 && strcmp(v, "required") != 0 &&
		    strcmp(v, "ignore") != 0)
			return err("--client-cert %s: expected optional, "
			    "required or ignore", v);
		json_object_set_new(f, "client_cert", json_string(v));
	}
	if ((v = opt(a, "--tofu")) != NULL) {
		if (strcmp(v, "on") != 0 && strcmp(v, "off") != 0)
			return err("--tofu %s: expected on or off", v);
		json_object_set_new(f, "tofu", json_integer(strcmp(v, "on")
		    == 0));
	}
	return 0;
}

static int
cmd_domain_add(struct store *st, struct args *a)
{
	unsigned char	 addr[16];
	json_t		*f = json_object();
	int64_t		 id;
	enum store_rc	 rc;
	int		 r = -1;

	if (!request_valid_domain(a->pos[0]) || strlen(a->pos[0]) > 253) {
		err("%s: not a DNS name", a->pos[0]);
		goto done;
	}
	/* RFC 6066 §3: SNI carries host names, never addresses. */
	if (inet_pton(AF_INET, a->pos[0], addr) == 1) {
		err("%s: an address; TLS SNI only carries DNS names",
		    a->pos[0]);
		goto done;
	}
	if (opt(a, "--cert") == NULL) {
		err("domain add %s: --cert and --key are required (the "
		    "certificate UAs asking for %s get)", a->pos[0], a->pos[0]);
		goto done;
	}
	if (domain_fields(a, f, 0) != 0)
		goto done;
	if ((rc = store_domain_add(st, a->pos[0], f, &id)) != STORE_OK) {
		store_fail(st, rc, a->pos[0]);
		goto done;
	}
	if (!a->json)
		printf("domain %s added; reload sipcfgd (SIGHUP) to serve it\n",
		    a->pos[0]);
	r = 0;
done:
	json_decref(f);
	return r;
}

/*
 * A domain's realm is in its users' HA1s: changing it locks them out of
 * Digest until their passwords are set again, so it takes --force, and
 * then moves them to the new realm (as init --realm does for the
 * store's).
 */
static int
domain_realm_change(struct store *st, struct args *a, int64_t id,
    const char *to)
{
	char	 cur[STORE_NAME_MAX];

	if (domain_realm_of(st, id, cur, sizeof(cur)) != 0 &&
	    store_meta_get(st, "realm", cur, sizeof(cur)) != STORE_OK)
		return store_fail(st, STORE_ERROR, "realm");
	if (strcmp(cur, to) == 0)
		return 0;
	return rerealm(st, id, cur, to, opt(a, "--force") != NULL);
}

static int
cmd_domain_set(struct store *st, struct args *a)
{
	json_t		*f = json_object();
	int64_t		 id;
	enum store_rc	 rc;
	int		 r = -1;

	if ((rc = store_domain_id(st, a->pos[0], &id)) != STORE_OK) {
		err("%s", store_errmsg(st));
		goto done;
	}
	if (domain_fields(a, f, 1) != 0)
		goto done;
	if (json_object_size(f) == 0) {
		err("domain set: nothing to change (see sipcfg help)");
		goto done;
	}
	if (json_object_get(f, "realm") != NULL &&
	    domain_realm_change(st, a, id, json_string_value(json_object_get(f,
	    "realm"))) != 0)
		goto done;
	if ((rc = store_domain_update(st, id, f)) != STORE_OK) {
		store_fail(st, rc, a->pos[0]);
		goto done;
	}
	if (!a->json)
		printf("domain %s updated; reload sipcfgd (SIGHUP) to apply it\n",
		    a->pos[0]);
	r = 0;
done:
	json_decref(f);
	return r;
}

static int
cmd_domain_list(struct store *st, struct args *a)
{
	static const char *const cols[] = { "name", "realm", "client_cert",
	    "tofu", "cert_file", "ca_file", "devices", "users", NULL };

	return list_rows(st, a, store_domain_list, "domain list",
	    cols);
}

static int
cmd_domain_rm(struct store *st, struct args *a)
{
	int64_t		 id;
	enum store_rc	 rc;

	if ((rc = store_domain_id(st, a->pos[0], &id)) != STORE_OK)
		return err("%s", store_errmsg(st));
	if (id == STORE_DEFAULT_DOMAIN)
		return err("%s: the default domain cannot be removed",
		    a->pos[0]);
	if ((rc = store_domain_remove(st, a->pos[0])) != STORE_OK) {
		if (rc == STORE_INVALID)
			return err("%s: still has devices or users (move or "
			    "remove them first)", a->pos[0]);
		return store_fail(st, rc, a->pos[0]);
	}
	if (!a->json)
		printf("domain %s removed\n", a->pos[0]);
	return 0;
}

static int
cmd_device_add(struct store *st, struct args *a)
{
	json_t		*f;
	char		 id[REQUEST_ID_MAX], mac[13];
	enum store_rc	 rc;
	int		 r = -1;

	if (bulk_device_id(a->pos[0], id, sizeof(id), mac) != 0)
		return err("%s: not an sfua-id URN or a MAC address",
		    a->pos[0]);
	f = json_pack("{s:s, s:I}", "sfua_id", id, "domain_id", (json_int_t)
	    (cli_domain ? cli_domain : STORE_DEFAULT_DOMAIN));
	if (mac[0])
		json_object_set_new(f, "mac", json_string(mac));
	if (device_fields(st, a, f, 0) != 0)
		goto done;
	if ((rc = store_device_add(st, f)) != STORE_OK) {
		store_fail(st, rc, id);
		goto done;
	}
	warn_duplicate(st, id, mac);
	if (a->json) {
		json_t *o = json_pack("{s:s, s:s?}", "sfua_id", id, "mac",
		    mac[0] ? mac : NULL);
		print_json(o);
		json_decref(o);
	} else
		printf("device %s added%s%s\n", id, mac[0] ? ", mac " : "",
		    mac);
	r = 0;
done:
	json_decref(f);
	return r;
}

static int
cmd_device_set(struct store *st, struct args *a)
{
	struct store_device	 d;
	json_t			*f = json_object();
	enum store_rc		 rc;
	int			 r = -1;

	if (find_device(st, a->pos[0], &d) != 0 ||
	    device_fields(st, a, f, 1) != 0)
		goto done;
	if (json_object_size(f) == 0) {
		err("device set: nothing to change (see sipcfg help)");
		goto done;
	}
	if ((rc = store_device_update(st, d.id, f)) != STORE_OK) {
		store_fail(st, rc, a->pos[0]);
		goto done;
	}
	if (!a->json)
		printf("device %s updated\n", d.sfua_id);
	else
		print_json(f);
	r = 0;
done:
	json_decref(f);
	return r;
}

/*
 * Issue 5: a new 32-byte file key for the device, kept sealed; printed
 * (in hex) this once, for pre-provisioning a phone that cannot fetch its
 * bootstrap file first.  A new key replaces the old (and the ETag of
 * every encrypted answer changes with it).
 */
static int
cmd_device_key(struct store *st, struct args *a)
{
	struct store_device	 d;
	unsigned char		 sk[SEAL_KEY_LEN], k[ENC_KEY_LEN];
	char			 hex[2 * ENC_KEY_LEN + 1], *sealed = NULL;
	enum store_rc		 rc;
	int			 have, r = -1;

	if (find_device(st, a->pos[0], &d) != 0)
		return -1;
	if (load_seal_key(sk, &have) != 0)
		return -1;
	if (!have)
		return err("no seal key beside the store (sipcfg init makes "
		    "one): a device key is only ever kept sealed");
	if (util_random(k, sizeof(k)) != 0) {
		err("no randomness");
		goto done;
	}
	util_hex(k, sizeof(k), hex);
	if ((sealed = seal_seal(sk, "device-key", hex, strlen(hex))) == NULL) {
		err("cannot seal the key");
		goto done;
	}
	if ((rc = store_device_set_key(st, d.id, sealed)) != STORE_OK) {
		store_fail(st, rc, a->pos[0]);
		goto done;
	}
	if (a->json) {
		json_t *o = json_pack("{s:s, s:s}", "device", d.sfua_id, "key",
		    hex);

		print_json(o);
		json_decref(o);
	}
	else
		printf("%s\n", hex);
	r = 0;
done:
	util_wipe(sk, sizeof(sk));
	util_wipe(k, sizeof(k));
	util_wipe(hex, sizeof(hex));
	free(sealed);
	return r;
}

static int
cmd_device_rm(struct store *st, struct args *a)
{
	struct store_device	 d;
	enum store_rc		 rc;

	if (find_device(st, a->pos[0], &d) != 0)
		return -1;
	if ((rc = store_device_remove(st, d.id)) != STORE_OK)
		return store_fail(st, rc, a->pos[0]);
	if (!a->json)
		printf("device %s removed\n", d.sfua_id);
	return 0;
}

/*
 * `device list` streams (issue 11): rows are printed as the store steps
 * through them, never all held.  A table's column widths are those of
 * the first LIST_WINDOW rows (a longer cell further down is printed in
 * full); --json prints the same array as a whole listing would.
 */
#define LIST_WINDOW	1000
#define LIST_MAX	1000000000000LL

struct devlist {
	const struct args	*a;
	json_t			*window;	/* table: rows before printing */
	const char *const	*cols;
	int			 elsewhere;	/* a device outside "default" */
	size_t			 w[16];
	long long		 n;
};

static void
devlist_cell(const json_t *v, char *cell, size_t len)
{
	if (json_is_string(v))
		termsafe_escape(json_string_value(v), cell, len, 0);
	else if (json_is_integer(v))
		snprintf(cell, len, "%lld", (long long)json_integer_value(v));
	else if (v && !json_is_null(v)) {
		char *t = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);

		termsafe_escape(t ? t : "?", cell, len, TERMSAFE_JSON);
		free(t);
	} else
		snprintf(cell, len, "-");
}

static void
devlist_print(struct devlist *l, const json_t *row)
{
	char	 cell[512];
	size_t	 c;

	for (c = 0; l->cols[c]; c++) {
		devlist_cell(json_object_get(row, l->cols[c]), cell,
		    sizeof(cell));
		printf("%-*s%s", (int)l->w[c], cell, l->cols[c + 1] ? "  " :
		    "\n");
	}
}

/* The window's rows decide the columns and widths, and are printed. */
static void
devlist_flush(struct devlist *l)
{
	static const char *const cols[] = { "sfua_id", "mac", "state",
	    "vendor", "model", "user", "profile", "lines", "last_fetch", NULL };
	/* With devices outside the default domain, say which is where. */
	static const char *const dcols[] = { "domain", "sfua_id", "mac",
	    "state", "vendor", "model", "user", "profile", "lines",
	    "last_fetch", NULL };

	l->cols = l->elsewhere || outside_default(l->window) ? dcols : cols;
	print_table(l->window, l->cols);
	memset(l->w, 0, sizeof(l->w));
	/* print_table()'s widths, again: a header at least, 60 at most. */
	for (size_t c = 0; l->cols[c]; c++) {
		const json_t	*row;
		size_t		 i, n;
		char		 cell[512];

		l->w[c] = strlen(l->cols[c]);
		json_array_foreach(l->window, i, row) {
			devlist_cell(json_object_get(row, l->cols[c]), cell,
			    sizeof(cell));
			if ((n = strlen(cell)) > l->w[c])
				l->w[c] = n > 60 ? 60 : n;
		}
	}
	json_decref(l->window);
	l->window = NULL;
}

static int
devlist_row(const json_t *row, void *arg)
{
	struct devlist	*l = arg;
	char		*t, *body;
	size_t		 len;
	json_t		*one;

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
		printf("%s%s", l->n == 0 ? "[\n" : ",\n", body);
		free(t);
	} else if (l->window != NULL) {
		if (json_array_append(l->window, (json_t *)row) != 0)
			return -1;
		if (json_array_size(l->window) == LIST_WINDOW)
			devlist_flush(l);
	} else
		devlist_print(l, row);
	l->n++;
	return ferror(stdout) ? -1 : 0;
}

static int
cmd_device_list(struct store *st, struct args *a)
{
	struct store_device_filter	 f;
	struct store_user		 u;
	struct devlist			 l;
	const char			*v;
	long long			 dur;
	enum store_rc			 rc;

	memset(&f, 0, sizeof(f));
	f.limit = -1;
	if ((v = opt(a, "--limit")) != NULL &&
	    util_strtonum(v, 0, LIST_MAX, &f.limit) != 0)
		return err("--limit %s: expected a number of devices, 0 to "
		    "%lld", v, LIST_MAX);
	if ((v = opt(a, "--offset")) != NULL &&
	    util_strtonum(v, 0, LIST_MAX, &f.offset) != 0)
		return err("--offset %s: expected a number of devices to "
		    "skip, 0 to %lld", v, LIST_MAX);
	if ((f.state = opt(a, "--state")) && !valid_state(f.state))
		return err("--state %s: expected active, pending or disabled",
		    f.state);
	if (opt_duration(a, "--not-seen-since", 1, 0, &dur) != 0)
		return -1;
	if (dur > 0)
		f.not_seen_since = time(NULL) - (time_t)dur;
	f.vendor = opt(a, "--vendor");
	f.model = opt(a, "--model");
	if ((f.user = opt(a, "--user")) != NULL &&
	    (rc = store_user_by_name(st, f.user, &u)) != STORE_OK) {
		util_wipe(&u, sizeof(u));
		return rc == STORE_NOTFOUND ? err("--user %s: no such user",
		    f.user) : store_fail(st, rc, f.user);
	}
	util_wipe(&u, sizeof(u));
	memset(&l, 0, sizeof(l));
	l.a = a;
	if (!a->json && ((l.window = json_array()) == NULL ||
	    (rc = store_device_elsewhere(st, &l.elsewhere)) != STORE_OK)) {
		json_decref(l.window);
		return err("device list: %s", store_errmsg(st));
	}
	rc = store_device_each(st, &f, devlist_row, &l);
	if (a->json)
		printf(l.n == 0 ? "[]\n" : "\n]\n");
	else if (l.window != NULL)
		devlist_flush(&l);
	printed = 1;
	if (fflush(stdout) != 0 || ferror(stdout))
		return err("device list: cannot write: %s", strerror(errno));
	if (rc != STORE_OK)
		return store_fail(st, rc, "device list");
	return 0;
}

static int
cmd_device_show(struct store *st, struct args *a)
{
	struct store_device	 d;
	json_t			*o;
	enum store_rc		 rc;
	const char		*k;
	json_t			*v;
	char			 cell[4096];

	if (find_device(st, a->pos[0], &d) != 0)
		return -1;
	if ((rc = store_device_show(st, d.id, &o)) != STORE_OK)
		return store_fail(st, rc, a->pos[0]);
	if (a->json)
		print_json(o);
	else {
		json_object_foreach(o, k, v) {
			if (strcmp(k, "lines") == 0)
				continue;
			if (json_is_string(v)) {
				termsafe_escape(json_string_value(v), cell,
				    sizeof(cell), 0);
				printf("%-12s %s\n", k, cell);
			} else if (time_cell(k, v, cell, sizeof(cell)))
				printf("%-12s %s\n", k, cell);
			else if (json_is_integer(v))
				printf("%-12s %lld\n", k,
				    (long long)json_integer_value(v));
			else
				printf("%-12s -\n", k);
		}
		printf("lines:\n");
		{
			static const char *const cols[] = { "position", "aor",
			    "username", "realm", "outbound_proxy",
			    "display_name", NULL };
			print_table(json_object_get(o, "lines"), cols);
		}
	}
	json_decref(o);
	return 0;
}


/*
 * The store's seal key (seal.h), when its key file exists; 0 or -1.  A
 * key file that exists but is unusable is an error, not a silent "no".
 */
static int
load_seal_key(unsigned char *key, int *have)
{
	char	 path[SEAL_PATH_MAX], e[SEAL_PATH_MAX + 128];

	*have = 0;
	seal_key_path(g_store, path, sizeof(path));
	if (access(path, F_OK) != 0)
		return 0;
	if (seal_key_load(path, key, e, sizeof(e)) != 0)
		return err("%s", e);
	*have = 1;
	return 0;
}

static int
hash_password_seal(const char *user, const char *realm, char *md5,
    char *sha, char **sealed)
{
	unsigned char	 key[SEAL_KEY_LEN];
	char		 pw[PASS_MAX];
	int		 rc = -1, have = 0;

	if (sealed)
		*sealed = NULL;
	if (read_password("password", pw, sizeof(pw)) != 0)
		goto done;
	if (sealed) {
		if (load_seal_key(key, &have) != 0)
			goto done;
		if (have && (*sealed = seal_seal(key, "line-password", pw,
		    strlen(pw))) == NULL) {
			err("cannot seal the password");
			goto done;
		}
		if (!have)
			fprintf(stderr, "%s: note: no seal key beside the store "
			    "(sipcfg init makes one): only the HA1 is kept, "
			    "vendor templates get no SIP password\n", progname);
	}
	if (digest_ha1(DIGEST_MD5, user, realm, pw, md5,
	    DIGEST_HA1_MD5_HEX) != 0 || (sha && digest_ha1(DIGEST_SHA256,
	    user, realm, pw, sha, DIGEST_HA1_SHA256_HEX) != 0)) {
		err("cannot hash the password");
		goto done;
	}
	rc = 0;
done:
	util_wipe(pw, sizeof(pw));
	util_wipe(key, sizeof(key));
	return rc;
}

static int
hash_password(const char *user, const char *realm, char *md5, char *sha)
{
	return hash_password_seal(user, realm, md5, sha, NULL);
}


/*
 * RFC 6011 §5: the window of a one-time password, from --not-before
 * (default: open from now) and --valid-for (default OTP_VALID_FOR).
 */
static int
otp_window(const struct args *a, time_t *nb, time_t *na)
{
	const char	*v;
	long long	 t = 0, d;

	if ((v = opt(a, "--not-before")) != NULL &&
	    util_strtonum(v, 1, 1LL << 40, &t) != 0)
		return err("--not-before %s: expected unix seconds", v);
	if (opt_duration(a, "--valid-for", 1, OTP_VALID_FOR, &d) != 0)
		return -1;
	*nb = (time_t)t;
	*na = (time_t)((t ? t : (long long)time(NULL)) + d);
	return 0;
}

/*
 * Make a one-time password for user (realm), store its HA1s with the
 * window (for a new user with add set), and keep the password for
 * printing after the commit.
 */
static int
otp_issue(struct store *st, const struct args *a, const char *user,
    const char *realm, time_t nb, time_t na, int add)
{
	char		 pw[CREDENTIAL_OTP_LEN + 1], md5[DIGEST_HA1_MD5_HEX];
	char		 sha[DIGEST_HA1_SHA256_HEX];
	unsigned char	 key[SEAL_KEY_LEN];
	json_t		*o;
	enum store_rc	 rc;
	int		 ret = -1, have = 0;

	if (credential_generate(pw, sizeof(pw), CREDENTIAL_OTP_LEN) != 0 ||
	    credential_ha1s(user, realm, pw, md5, sha) != 0) {
		err("cannot make a password");
		goto done;
	}
	if ((add && (rc = store_user_add(st, user, realm, md5, sha)) !=
	    STORE_OK) ||
	    (rc = store_user_set_otp(st, user, md5, sha, nb, na)) != STORE_OK) {
		store_fail(st, rc, user);
		goto done;
	}
	if (a->json) {
		o = json_pack("{s:s, s:s, s:I, s:I}", "user", user,
		    "one_time_password", pw, "not_before", (json_int_t)nb,
		    "not_after", (json_int_t)na);
		after_commit = o ? json_dumps(o, JSON_INDENT(2) |
		    JSON_PRESERVE_ORDER) : NULL;
		json_decref(o);
	} else
		after_commit = strdup(pw);
	if (after_commit == NULL) {
		err("out of memory");
		goto done;
	}
	printed = 1;
	/* sipcfgd seals the long-term password that replaces it. */
	if (load_seal_key(key, &have) == 0 && !have)
		fprintf(stderr, "%s: note: no seal key beside the store "
		    "(sipcfg init makes one): sipcfgd needs one (seal_key) "
		    "to hand the phone its long-term password\n", progname);
	ret = 0;
done:
	util_wipe(pw, sizeof(pw));
	util_wipe(md5, sizeof(md5));
	util_wipe(sha, sizeof(sha));
	util_wipe(key, sizeof(key));
	return ret;
}

static int
cmd_user_add(struct store *st, struct args *a)
{
	char		 realm[STORE_NAME_MAX], md5[DIGEST_HA1_MD5_HEX];
	char		 sha[DIGEST_HA1_SHA256_HEX];
	const char	*r = opt(a, "--realm");
	int		 otp = opt(a, "--one-time") != NULL;
	time_t		 nb = 0, na = 0;
	enum store_rc	 rc;

	if (bulk_bad_user(a->pos[0]) != NULL)
		return err("%s: %s", a->pos[0], bulk_bad_user(a->pos[0]));
	if (!otp && (opt(a, "--valid-for") || opt(a, "--not-before")))
		return err("--valid-for and --not-before go with --one-time");
	if (otp && otp_window(a, &nb, &na) != 0)
		return -1;
	if (r)
		snprintf(realm, sizeof(realm), "%s", r);
	else if (domain_realm(st, realm, sizeof(realm)) != 0 &&
	    store_meta_get(st, "realm", realm, sizeof(realm)) != STORE_OK)
		return store_fail(st, STORE_ERROR, "realm");
	if (otp) {
		if (otp_issue(st, a, a->pos[0], realm, nb, na, 1) != 0)
			return -1;
	} else {
		if (hash_password(a->pos[0], realm, md5, sha) != 0)
			return -1;
		if ((rc = store_user_add(st, a->pos[0], realm, md5, sha)) !=
		    STORE_OK)
			return store_fail(st, rc, a->pos[0]);
	}
	if (cli_domain && (rc = store_user_set_domain(st, a->pos[0],
	    cli_domain)) != STORE_OK)
		return store_fail(st, rc, a->pos[0]);
	if (!a->json && !otp)
		printf("user %s added (realm \"%s\")\n", a->pos[0], realm);
	return 0;
}

/* A new one-time password for a user (a replaced phone, RFC 6011 §5). */
static int
cmd_user_otp(struct store *st, struct args *a)
{
	struct store_user	 u;
	time_t			 nb, na;
	enum store_rc		 rc;
	int			 ret;

	if (otp_window(a, &nb, &na) != 0)
		return -1;
	if ((rc = store_user_by_name(st, a->pos[0], &u)) != STORE_OK)
		return store_fail(st, rc, a->pos[0]);
	ret = otp_issue(st, a, u.name, u.realm, nb, na, 0);
	util_wipe(&u, sizeof(u));
	return ret;
}

/*
 * RFC 6011 §5 rotation: the old password stays good for --overlap
 * (default OVERLAP), so phones keep working until they are given the new
 * one; an answer to the old password never carries the new one
 * (RESOURCE_FULL_OLD in resource.h, doc/sipcfg.1).  --revoke-now, for a
 * leaked password, keeps no overlap.
 */
static int
cmd_user_passwd(struct store *st, struct args *a)
{
	struct store_user	 u;
	char			 md5[DIGEST_HA1_MD5_HEX], pw[PASS_MAX];
	char			 sha[DIGEST_HA1_SHA256_HEX], until[32];
	char			*sealed = NULL;
	unsigned char		 key[SEAL_KEY_LEN];
	long long		 overlap;
	time_t			 old_until = 0;
	struct tm		 tm;
	enum store_rc		 rc;
	int			 ret = -1, have = 0;

	memset(&u, 0, sizeof(u));
	if (opt(a, "--revoke-now") && opt(a, "--overlap"))
		return err("--revoke-now and --overlap: choose one");
	if (opt_duration(a, "--overlap", 0, OVERLAP, &overlap) != 0)
		return -1;
	if (opt(a, "--revoke-now"))
		overlap = 0;
	if ((rc = store_user_by_name(st, a->pos[0], &u)) != STORE_OK)
		return store_fail(st, rc, a->pos[0]);
	if (read_password("password", pw, sizeof(pw)) != 0)
		goto done;
	if (credential_ha1s(u.name, u.realm, pw, md5, sha) != 0) {
		err("cannot hash the password");
		goto done;
	}
	if (load_seal_key(key, &have) != 0)
		goto done;
	if (have && (sealed = seal_seal(key, "user-password", pw,
	    strlen(pw))) == NULL) {
		err("cannot seal the password");
		goto done;
	}
	if (!have && u.password_sealed[0])
		fprintf(stderr, "%s: note: no seal key beside the store: "
		    "configurations no longer carry %s's password\n", progname,
		    u.name);
	if (overlap > 0 && !u.otp)
		old_until = time(NULL) + (time_t)overlap;
	if ((rc = store_user_passwd(st, u.name, md5, sha, sealed,
	    old_until)) != STORE_OK) {
		store_fail(st, rc, a->pos[0]);
		goto done;
	}
	if (!a->json && old_until) {
		gmtime_r(&old_until, &tm);
		strftime(until, sizeof(until), "%Y-%m-%dT%H:%M:%SZ", &tm);
		printf("password of %s changed; the old one is accepted until "
		    "%s\n", u.name, until);
	} else if (!a->json)
		printf("password of %s changed\n", u.name);
	ret = 0;
done:
	util_wipe(pw, sizeof(pw));
	util_wipe(key, sizeof(key));
	util_wipe(&u, sizeof(u));
	free(sealed);
	return ret;
}

static int
cmd_user_rm(struct store *st, struct args *a)
{
	enum store_rc	 rc;

	if ((rc = store_user_remove(st, a->pos[0])) != STORE_OK)
		return store_fail(st, rc, a->pos[0]);
	if (!a->json)
		printf("user %s removed\n", a->pos[0]);
	return 0;
}

static int
cmd_user_list(struct store *st, struct args *a)
{
	static const char *const cols[] = { "name", "realm", "devices", "otp",
	    NULL };
	static const char *const dcols[] = { "domain", "name", "realm",
	    "devices", "otp", NULL };
	json_t		*rows;
	enum store_rc	 rc;

	if ((rc = store_user_list(st, &rows)) != STORE_OK)
		return store_fail(st, rc, "user list");
	show_rows(a, rows, outside_default(rows) ? dcols : cols, NULL);
	json_decref(rows);
	return 0;
}

static int
cmd_line_add(struct store *st, struct args *a)
{
	struct store_device	 d;
	const char		*aor = opt(a, "--aor"), *user = opt(a, "--username");
	const char		*realm = opt(a, "--realm"), *v, *why, *fld;
	char			 rbuf[STORE_NAME_MAX], md5[DIGEST_HA1_MD5_HEX];
	char			*sealed = NULL;
	json_t			*f;
	long long		 pos = 0;
	enum store_rc		 rc;
	int			 r = -1;

	if (find_device(st, a->pos[0], &d) != 0)
		return -1;
	if (aor == NULL || user == NULL)
		return err("line add: --aor and --username are required");
	if ((why = bulk_bad_line(aor, user, realm, opt(a, "--proxy"),
	    opt(a, "--display"), rbuf, sizeof(rbuf), &realm, &fld)) != NULL) {
		if (strcmp(fld, "display") == 0)
			return err("--display: %s", why);
		v = strcmp(fld, "aor") == 0 ? aor : strcmp(fld, "username") ==
		    0 ? user : strcmp(fld, "proxy") == 0 ? opt(a, "--proxy") :
		    realm ? realm : rbuf;
		return err("--%s %s: %s", fld, v, why);
	}
	if ((v = opt(a, "--position")) && util_strtonum(v, 1, 64, &pos) != 0)
		return err("--position %s: expected 1..64", v);
	if (hash_password_seal(user, realm, md5, NULL, &sealed) != 0)
		return -1;
	f = json_pack("{s:s, s:s, s:s, s:s, s:I}", "aor", aor, "username",
	    user, "realm", realm, "ha1", md5, "position", (json_int_t)pos);
	util_wipe(md5, sizeof(md5));
	if (sealed) {
		json_object_set_new(f, "password_sealed", json_string(sealed));
		free(sealed);
	}
	if ((v = opt(a, "--proxy")) != NULL)
		json_object_set_new(f, "outbound_proxy", json_string(v));
	if ((v = opt(a, "--display")) != NULL)
		json_object_set_new(f, "display_name", json_string(v));
	if ((rc = store_line_add(st, d.id, f)) != STORE_OK) {
		store_fail(st, rc, rc == STORE_EXISTS ? "line position" :
		    "line");
		goto done;
	}
	if (!a->json)
		printf("line %s added to %s\n", aor, d.sfua_id);
	r = 0;
done:
	json_decref(f);
	return r;
}

static int
cmd_line_list(struct store *st, struct args *a)
{
	static const char *const cols[] = { "position", "aor", "username",
	    "realm", "outbound_proxy", "display_name", NULL };
	struct store_device	 d;
	json_t			*rows;
	enum store_rc		 rc;

	if (find_device(st, a->pos[0], &d) != 0)
		return -1;
	if ((rc = store_line_list(st, d.id, &rows)) != STORE_OK)
		return store_fail(st, rc, "line list");
	show_rows(a, rows, cols, NULL);
	json_decref(rows);
	return 0;
}

static int
cmd_line_rm(struct store *st, struct args *a)
{
	struct store_device	 d;
	long long		 pos;
	enum store_rc		 rc;

	if (find_device(st, a->pos[0], &d) != 0)
		return -1;
	if (util_strtonum(a->pos[1], 1, 64, &pos) != 0)
		return err("%s: expected a line position 1..64", a->pos[1]);
	if ((rc = store_line_remove(st, d.id, (int)pos)) != STORE_OK)
		return store_fail(st, rc, "line");
	if (!a->json)
		printf("line %lld removed from %s\n", pos, d.sfua_id);
	return 0;
}

static int
cmd_template_add(struct store *st, struct args *a)
{
	const char	*ct = opt(a, "--content-type"), *v, *dot;
	FILE		*f;
	char		*body = NULL;
	size_t		 n = 0, cap = 0, r;
	enum store_rc	 rc;
	int		 ret = -1;

	if (strlen(a->pos[0]) > 64 || !request_valid_token(a->pos[0]))
		return err("%s: template names are SIP tokens of at most 64 "
		    "bytes", a->pos[0]);
	if ((v = opt(a, "--vendor")) && *v && !request_valid_domain(v))
		return err("--vendor %s: not a DNS domain", v);
	if ((v = opt(a, "--model")) && *v && !request_valid_token(v))
		return err("--model %s: not a SIP token", v);
	if ((v = opt(a, "--revision")) && *v && !request_valid_token(v))
		return err("--revision %s: not a SIP token", v);
	if (ct == NULL) {
		dot = strrchr(a->pos[1], '.');
		ct = dot && strcmp(dot, ".xml") == 0 ? "application/xml" :
		    dot && strcmp(dot, ".json") == 0 ? "application/json" :
		    dot && (strcmp(dot, ".htm") == 0 || strcmp(dot, ".html") ==
		    0) ? "text/html" : "text/plain";
	}
	if (strchr(ct, '/') == NULL || strlen(ct) > 127 ||
	    strpbrk(ct, "\r\n"))
		return err("--content-type %s: expected type/subtype", ct);
	if (strcmp(a->pos[1], "-") == 0)
		f = stdin;
	else if ((f = fopen(a->pos[1], "r")) == NULL)
		return err("%s: %s", a->pos[1], strerror(errno));
	for (;;) {
		if (n == cap) {
			char *nb;
			cap = cap ? cap * 2 : 8192;
			if (cap > (1 << 20) + 1) {
				err("%s: larger than 1 MiB", a->pos[1]);
				goto done;
			}
			if ((nb = realloc(body, cap + 1)) == NULL) {
				err("out of memory");
				goto done;
			}
			body = nb;
		}
		r = fread(body + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		err("%s: read error", a->pos[1]);
		goto done;
	}
	body[n] = '\0';
	if (memchr(body, '\0', n) != NULL) {
		err("%s: contains NUL bytes", a->pos[1]);
		goto done;
	}
	/*
	 * A template that does not parse would answer every matching
	 * device with a 500: refuse it now (partials are not resolved, so
	 * only its own syntax is checked).
	 */
	{
		struct render_opts	 ro;
		struct buf		 b;
		json_t			*ctx = json_object();
		char			 perr[256];
		int			 bad;

		memset(&ro, 0, sizeof(ro));
		ro.escape = render_escape_for(ct);
		buf_init(&b, 16 << 20);
		bad = render_template(body, n, ctx, &ro, &b, perr,
		    sizeof(perr)) != 0;
		buf_free(&b);
		json_decref(ctx);
		if (bad) {
			err("%s: template does not parse: %s", a->pos[1], perr);
			goto done;
		}
	}
	rc = store_template_put(st, a->pos[0], opt(a, "--vendor"),
	    opt(a, "--model"), opt(a, "--revision"), ct, body, n);
	if (rc != STORE_OK) {
		store_fail(st, rc, a->pos[0]);
		goto done;
	}
	if (!a->json)
		printf("template %s stored (%zu bytes, %s)\n", a->pos[0], n, ct);
	ret = 0;
done:
	if (f != stdin)
		fclose(f);
	free(body);
	return ret;
}

static int
cmd_template_list(struct store *st, struct args *a)
{
	static const char *const cols[] = { "name", "vendor", "model",
	    "revision", "content_type", "bytes", NULL };

	return list_rows(st, a, store_template_list, "template list",
	    cols);
}

static int
cmd_template_show(struct store *st, struct args *a)
{
	struct store_template	 t;
	enum store_rc		 rc;

	if ((rc = store_template_by_name(st, a->pos[0], &t)) != STORE_OK)
		return store_fail(st, rc, a->pos[0]);
	if (a->json) {
		json_t *o = json_pack("{s:s, s:s, s:s#}", "name", t.name,
		    "content_type", t.content_type, "body", t.body,
		    t.bodylen);
		print_json(o);
		json_decref(o);
	} else
		fwrite(t.body, 1, t.bodylen, stdout);
	store_template_clear(&t);
	return 0;
}

static int
cmd_template_rm(struct store *st, struct args *a)
{
	enum store_rc	 rc;

	if ((rc = store_template_remove(st, a->pos[0])) != STORE_OK)
		return store_fail(st, rc, a->pos[0]);
	if (!a->json)
		printf("template %s removed\n", a->pos[0]);
	return 0;
}

/*
 * var LAYER [SCOPE] NAME ...: global has no scope; device scopes are
 * given as a DEV and stored as the sfua-id.
 */
static int
var_scope(struct store *st, struct args *a, int *next, char *scope,
    size_t len)
{
	const char		*layer = a->pos[0];
	struct store_device	 d;
	const char		*sl;

	if (strcmp(layer, "global") == 0) {
		scope[0] = '\0';
		*next = 1;
		return 0;
	}
	if (strcmp(layer, "vendor") && strcmp(layer, "model") &&
	    strcmp(layer, "profile") && strcmp(layer, "user") &&
	    strcmp(layer, "device"))
		return err("%s: layer must be global, vendor, model, profile, "
		    "user or device", layer);
	if (a->npos < 2)
		return err("var: the %s layer needs a scope", layer);
	*next = 2;
	if (strcmp(layer, "device") == 0) {
		if (find_device(st, a->pos[1], &d) != 0)
			return -1;
		snprintf(scope, len, "%s", d.sfua_id);
	} else if (strcmp(layer, "vendor") == 0 &&
	    !request_valid_domain(a->pos[1]))
		return err("%s: a vendor scope is a DNS domain", a->pos[1]);
	else if (strcmp(layer, "model") == 0 && ((sl = strchr(a->pos[1],
	    '/')) == NULL || !request_valid_token(sl + 1)))
		return err("%s: a model scope is VENDOR/MODEL", a->pos[1]);
	else
		snprintf(scope, len, "%s", a->pos[1]);
	return 0;
}


/*
 * --secret: the JSON text sealed (seal.h, purpose "var") and stored as a
 * JSON string, so the vars table's json_valid() check holds; templates
 * see the value only in full (authenticated) answers.  A new malloc'd
 * JSON text, or NULL after saying why.
 */
static char *
var_seal(const char *js)
{
	unsigned char	 key[SEAL_KEY_LEN];
	char		*sealed = NULL, *out = NULL;
	json_t		*v;
	int		 have = 0;

	if (strlen(js) > SEAL_VALUE_MAX) {
		err("a secret value is at most %d bytes of JSON",
		    SEAL_VALUE_MAX);
		return NULL;
	}
	if (load_seal_key(key, &have) != 0)
		return NULL;
	if (!have) {
		err("--secret needs the seal key beside the store (sipcfg "
		    "init makes one)");
		return NULL;
	}
	if ((sealed = seal_seal(key, "var", js, strlen(js))) == NULL ||
	    (v = json_string(sealed)) == NULL)
		err("cannot seal the value");
	else {
		out = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
		json_decref(v);
		if (out == NULL)
			err("out of memory");
	}
	free(sealed);
	util_wipe(key, sizeof(key));
	return out;
}

static int
cmd_var_set(struct store *st, struct args *a)
{
	char		 scope[REQUEST_ID_MAX], *js, *sj;
	json_t		*v;
	int		 i, secret = opt(a, "--secret") != NULL;
	enum store_rc	 rc;

	if (var_scope(st, a, &i, scope, sizeof(scope)) != 0)
		return -1;
	if (a->npos != i + 2)
		return err("usage: var set LAYER [SCOPE] NAME VALUE");
	if (bulk_bad_varname(a->pos[i]) != NULL)
		return err("%s: %s", a->pos[i], bulk_bad_varname(a->pos[i]));
	/* VALUE is JSON when it parses as JSON, a string otherwise. */
	if (opt(a, "--string") || (v = json_loads(a->pos[i + 1],
	    JSON_DECODE_ANY, NULL)) == NULL)
		v = json_string(a->pos[i + 1]);
	if (v == NULL)
		return err("%s: not valid UTF-8", secret ? "the value" :
		    a->pos[i + 1]);
	js = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	json_decref(v);
	if (js == NULL)
		return err("out of memory");
	if (secret) {
		sj = var_seal(js);
		util_wipe(js, strlen(js));
		free(js);
		if ((js = sj) == NULL)
			return -1;
	}
	rc = store_var_set(st, a->pos[0], scope, a->pos[i], js, secret);
	free(js);
	if (rc != STORE_OK)
		return store_fail(st, rc, a->pos[i]);
	if (!a->json)
		printf("%s%s%s.%s set%s\n", a->pos[0], *scope ? ":" : "", scope,
		    a->pos[i], secret ? " (secret)" : "");
	return 0;
}

static int
cmd_var_unset(struct store *st, struct args *a)
{
	char		 scope[REQUEST_ID_MAX];
	int		 i;
	enum store_rc	 rc;

	if (var_scope(st, a, &i, scope, sizeof(scope)) != 0)
		return -1;
	if (a->npos != i + 1)
		return err("usage: var unset LAYER [SCOPE] NAME");
	if ((rc = store_var_unset(st, a->pos[0], scope, a->pos[i])) !=
	    STORE_OK)
		return store_fail(st, rc, a->pos[i]);
	if (!a->json)
		printf("%s%s%s.%s unset\n", a->pos[0], *scope ? ":" : "", scope,
		    a->pos[i]);
	return 0;
}

static int
cmd_var_show(struct store *st, struct args *a)
{
	static const char *const cols[] = { "layer", "scope", "name", "value",
	    NULL };
	char		 scope[REQUEST_ID_MAX];
	json_t		*rows;
	int		 i;
	enum store_rc	 rc;

	if (a->npos > 0 && var_scope(st, a, &i, scope, sizeof(scope)) != 0)
		return -1;
	rc = store_var_list(st, a->npos > 0 ? a->pos[0] : NULL,
	    a->npos > 1 || (a->npos == 1 && strcmp(a->pos[0], "global") == 0) ?
	    scope : NULL, &rows);
	if (rc != STORE_OK)
		return store_fail(st, rc, "var show");
	show_rows(a, rows, cols, NULL);
	json_decref(rows);
	return 0;
}

static int
cmd_profile_set(struct store *st, struct args *a)
{
	const char	*v = opt(a, "--max-age"), *m = opt(a, "--notify");
	const char	*cs = opt(a, "--checksync"), *enc = opt(a, "--encrypt");
	enum enc_mode	 em;
	long long	 n = -1;
	enum store_rc	 rc;

	if (!request_valid_token(a->pos[0]) || strlen(a->pos[0]) > 64)
		return err("%s: profile names are SIP tokens", a->pos[0]);
	if (v == NULL && m == NULL && cs == NULL && enc == NULL)
		return err("profile set: --max-age, --notify, --checksync or "
		    "--encrypt is required");
	if (enc && strcmp(enc, "inherit") != 0 && enc_mode_parse(enc, &em) != 0)
		return err("--encrypt %s: expected none, cms-password, cms-cert, "
		    "openssl-enc-md5 or inherit", enc);
	if (enc && strcmp(enc, "inherit") != 0 && em == ENC_OPENSSL_MD5)
		warn_legacy_enc();
	if (cs && strcmp(cs, "on") != 0 && strcmp(cs, "off") != 0 &&
	    strcmp(cs, "inherit") != 0)
		return err("--checksync %s: expected on, off or inherit", cs);
	if (v && strcmp(v, "none") != 0 &&
	    util_strtonum(v, 0, 31536000, &n) != 0)
		return err("--max-age %s: expected 0..31536000 or none", v);
	if (m && strcmp(m, "subscribe") != 0 && strcmp(m, "poll") != 0 &&
	    strcmp(m, "inherit") != 0)
		return err("--notify %s: expected subscribe, poll or inherit",
		    m);
	if (v && (rc = store_profile_set_max_age(st, a->pos[0], (int)n)) !=
	    STORE_OK)
		return store_fail(st, rc, a->pos[0]);
	if (m && (rc = store_profile_set_notify(st, a->pos[0],
	    strcmp(m, "inherit") == 0 ? NULL : m)) != STORE_OK)
		return store_fail(st, rc, a->pos[0]);
	if (cs && (rc = store_profile_set_checksync(st, a->pos[0],
	    strcmp(cs, "inherit") == 0 ? NULL : cs)) != STORE_OK)
		return store_fail(st, rc, a->pos[0]);
	if (enc && (rc = store_profile_set_enc(st, a->pos[0],
	    strcmp(enc, "inherit") == 0 ? NULL : enc)) != STORE_OK)
		return store_fail(st, rc, a->pos[0]);
	if (!a->json)
		printf("profile %s updated\n", a->pos[0]);
	return 0;
}

static int
cmd_profile_list(struct store *st, struct args *a)
{
	static const char *const cols[] = { "name", "max_age", "notify_mode",
	    "devices", NULL };

	return list_rows(st, a, store_profile_list, "profile list",
	    cols);
}

static int
cmd_render(struct store *st, struct args *a)
{
	struct store_device	 d;
	struct cfg_request	 q;
	struct resource_opts	 ro;
	struct resource		*res;
	const struct rendered	*out;
	const char		*v;
	char			 reason[512], date[64];
	unsigned char		 rkey[SEAL_KEY_LEN];
	long long		 n = 3600;
	int			 rc = -1, full = opt(a, "--secret-free") == NULL;
	int			 have = 0;

	if (find_device(st, a->pos[0], &d) != 0)
		return -1;
	memset(&q, 0, sizeof(q));
	/* The plaintext: what an encrypted answer decrypts to. */
	q.plain = 1;
	snprintf(q.sfua_id, sizeof(q.sfua_id), "%s", d.sfua_id);
	snprintf(q.mac, sizeof(q.mac), "%s", d.mac);
	if ((v = opt(a, "--revision")) != NULL) {
		if (!request_valid_token(v))
			return err("--revision %s: not a SIP token", v);
		snprintf(q.revision, sizeof(q.revision), "%s", v);
	}
	if ((v = opt(a, "--max-age")) && util_strtonum(v, 0, 31536000, &n))
		return err("--max-age %s: expected 0..31536000", v);
	memset(&ro, 0, sizeof(ro));
	ro.max_age = (int)n;
	ro.pending_max_age = 300;
	ro.max_output = 1 << 20;
	ro.max_depth = 32;
	if (load_seal_key(rkey, &have) != 0)
		return -1;
	ro.seal_key = have ? rkey : NULL;
	/* The resource takes the connection; give it back afterwards. */
	if ((res = resource_new(st, &ro)) == NULL)
		return err("out of memory");
	if (resource_begin(res) != 0) {
		err("store: %s", store_errmsg(st));
		goto done;
	}
	if (d.state == DEVICE_PENDING)
		full = 0;
	switch (resource_render(res, &d, &q, full, &out, reason,
	    sizeof(reason))) {
	case RES_OK:
		break;
	default:
		err("render %s: %s", d.sfua_id, reason);
		goto done;
	}
	util_httpdate(out->last_modified, date, sizeof(date));
	if (a->json) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:b, "
		    "s:s#}", "sfua_id", d.sfua_id, "etag", out->etag,
		    "last_modified", date, "max_age", out->max_age,
		    "content_type", out->content_type, "template",
		    out->template_name, "secret_free", out->secret_free,
		    "body", out->body, out->len);
		print_json(o);
		json_decref(o);
	} else {
		fprintf(stderr, "Content-Type: %s\nETag: %s\nLast-Modified: "
		    "%s\nCache-Control: private, max-age=%d\nX-Template: %s\n",
		    out->content_type, out->etag, date, out->max_age,
		    out->template_name);
		fwrite(out->body, 1, out->len, stdout);
	}
	rc = 0;
done:
	/* Detach the store before freeing the resource: main closes it. */
	resource_release_store(res);
	resource_free(res);
	util_wipe(rkey, sizeof(rkey));
	return rc;
}

/* Unix times as ISO 8601 UTC for the table (--json keeps numbers). */
static void
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
static int
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
static void
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

/* explain (issue 14 §5): why DEV is served what it is (explain.h). */
static int
cmd_explain(struct store *st, struct args *a)
{
	struct store_device	 d;
	struct explain_opts	 o;
	unsigned char		 rkey[SEAL_KEY_LEN];
	json_t			*x = NULL, *t, *v, *rows = NULL, *e, *u;
	const char		*k, *vv;
	char			 e1[512], c1[256], c2[256], c3[256];
	size_t			 i;
	int			 have = 0, rc = -1;

	if (find_device(st, a->pos[0], &d) != 0)
		return -1;
	memset(&o, 0, sizeof(o));
	if (daemon_defaults(a, &o.max_age, &o.notify_default) != 0)
		return -1;
	if (load_seal_key(rkey, &have) != 0)
		return -1;
	o.seal_key = have ? rkey : NULL;
	if (explain_device(st, &d, &o, &x, e1, sizeof(e1)) != 0) {
		err("explain %s: %s", d.sfua_id, e1);
		goto done;
	}
	if (a->json) {
		print_json(x);
		rc = 0;
		goto done;
	}
	printf("%-10s %s (%s)\n", "device", d.sfua_id,
	    json_string_value(json_object_get(x, "state")));
	t = json_object_get(x, "template");
	cell_of(json_object_get(t, "vendor"), c1, sizeof(c1));
	cell_of(json_object_get(t, "model"), c2, sizeof(c2));
	cell_of(json_object_get(t, "revision"), c3, sizeof(c3));
	printf("%-10s %s, the most specific of the templates matching vendor "
	    "%s, model %s, revision %s:\n", "template",
	    (vv = json_string_value(json_object_get(t, "chosen"))) ? vv :
	    "(none)", *c1 ? c1 : "-", *c2 ? c2 : "-", *c3 ? c3 : "-");
	json_array_foreach(json_object_get(t, "matching"), i, v) {
		cell_of(json_object_get(v, "vendor"), c1, sizeof(c1));
		cell_of(json_object_get(v, "model"), c2, sizeof(c2));
		cell_of(json_object_get(v, "revision"), c3, sizeof(c3));
		printf("%-10s   %s (vendor %s, model %s, revision %s)\n", "",
		    json_string_value(json_object_get(v, "name")),
		    strcmp(c1, "-") ? c1 : "any", strcmp(c2, "-") ? c2 : "any",
		    strcmp(c3, "-") ? c3 : "any");
	}
	v = json_object_get(x, "answer");
	if ((vv = json_string_value(json_object_get(v, "error"))) != NULL ||
	    (vv = json_string_value(json_object_get(v, "status"))) != NULL)
		printf("%-10s %s\n", "answer", vv);
	else {
		json_t *lm = json_object_get(v, "last_modified");

		c1[0] = '\0';
		(void)time_cell("updated", lm, c1, sizeof(c1));
		printf("%-10s ETag %s, max-age %lld (%s), Last-Modified %s, "
		    "%s\n", "answer",
		    json_string_value(json_object_get(v, "etag")),
		    (long long)json_integer_value(json_object_get(v,
		    "max_age")), json_string_value(json_object_get(v,
		    "max_age_from")), c1, json_is_true(json_object_get(v,
		    "secret_free")) ? "secret-free" : "full");
	}
	v = json_object_get(x, "auth");
	if ((vv = json_string_value(json_object_get(v, "user"))) != NULL)
		printf("%-10s domain %s, realm %s, user %s with a %s password "
		    "(%s)\n", "auth",
		    json_string_value(json_object_get(v, "domain")),
		    json_string_value(json_object_get(v, "realm")), vv,
		    json_string_value(json_object_get(v, "password")),
		    json_string_value(json_object_get(v, "methods")));
	else
		printf("%-10s domain %s, realm %s, no user assigned\n",
		    "auth", json_string_value(json_object_get(v, "domain")),
		    json_string_value(json_object_get(v, "realm")));
	printf("%-10s client certificate %s (from the %s)%s\n", "",
	    json_string_value(json_object_get(v, "client_cert")),
	    json_string_value(json_object_get(v, "client_cert_from")),
	    json_is_true(json_object_get(v, "pinned")) ? ", pinned" : "");
	v = json_object_get(x, "notify");
	printf("%-10s %s (from the %s)%s\n", "notify",
	    json_string_value(json_object_get(v, "mode")),
	    json_string_value(json_object_get(v, "from")),
	    strcmp(json_string_value(json_object_get(v, "mode")),
	    "subscribe") == 0 && !json_is_true(json_object_get(v,
	    "sip_line")) ? ", but no SIP line: no monitor Link" : "");
	printf("variables:\n");
	if ((rows = json_array()) == NULL)
		goto done;
	json_object_foreach(json_object_get(x, "vars"), k, v) {
		char under[512] = "";

		json_array_foreach(json_object_get(v, "under"), i, u) {
			cell_of(json_object_get(u, "scope"), c1, sizeof(c1));
			snprintf(under + strlen(under), sizeof(under) -
			    strlen(under), "%s%s%s%s%s", *under ? ", " : "",
			    json_string_value(json_object_get(u, "layer")),
			    strcmp(c1, "-") && *c1 ? " " : "",
			    strcmp(c1, "-") ? c1 : "",
			    json_is_true(json_object_get(u, "merged")) ?
			    " (merged)" : "");
		}
		e = json_pack("{s:s, s:O, s:O, s:O, s:s}", "name", k, "value",
		    json_object_get(v, "value"), "layer", json_object_get(v,
		    "layer"), "scope", json_object_get(v, "scope"), "over",
		    *under ? under : "-");
		if (e == NULL || json_array_append_new(rows, e) != 0)
			goto done;
	}
	{
		static const char *const cols[] = { "name", "value", "layer",
		    "scope", "over", NULL };

		print_table(rows, cols);
	}
	rc = 0;
done:
	json_decref(rows);
	json_decref(x);
	util_wipe(rkey, sizeof(rkey));
	return rc;
}

/* drift (issue 14 §5): the rows drift_scan() gives, as a listing. */
struct driftlist {
	json_t		*rows;
	long long	 limit, n;
};

static int
drift_row(void *arg, const struct drift_row *r)
{
	static const struct { unsigned bit; const char *name; } why[] = {
		{ DRIFT_CHANGED, "changed" }, { DRIFT_NEVER, "never" },
		{ DRIFT_UNSEEN, "unseen" }, { DRIFT_LAPSED, "lapsed" },
		{ DRIFT_BROKEN, "broken" }
	};
	struct driftlist	*l = arg;
	char			 w[64] = "";
	json_t			*o;
	size_t			 i;

	if (l->limit >= 0 && l->n >= l->limit)
		return 0;
	for (i = 0; i < sizeof(why) / sizeof(why[0]); i++)
		if (r->why & why[i].bit)
			snprintf(w + strlen(w), sizeof(w) - strlen(w), "%s%s",
			    *w ? "," : "", why[i].name);
	o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:i}", "device",
	    r->d->sfua_id, "why", w, "etag",
	    r->why & DRIFT_BROKEN ? "" : r->etag_now, "fetched_etag",
	    r->etag_fetched, "last_fetch", r->last_fetch > 0 ?
	    json_integer((json_int_t)r->last_fetch) : json_null(), "since",
	    r->since > 0 ? json_integer((json_int_t)r->since) : json_null(),
	    "max_age", r->max_age);
	if (o == NULL)
		return -1;
	if (r->why & DRIFT_BROKEN)
		json_object_set_new(o, "error", json_string(r->etag_now));
	l->n++;
	return json_array_append_new(l->rows, o);
}

static int
cmd_drift(struct store *st, struct args *a)
{
	static const char *const cols[] = { "device", "why", "since",
	    "last_fetch", "etag", "fetched_etag", NULL };
	struct drift_opts	 o;
	struct driftlist	 l;
	unsigned char		 rkey[SEAL_KEY_LEN];
	const char		*v;
	long long		 n;
	char			 e[512];
	int			 have = 0, rc = -1;

	memset(&o, 0, sizeof(o));
	memset(&l, 0, sizeof(l));
	o.now = time(NULL);
	o.factor = 3;
	l.limit = -1;
	if ((v = opt(a, "--factor")) != NULL) {
		if (util_strtonum(v, 1, 1000, &n) != 0)
			return err("--factor %s: expected 1 to 1000 (unseen "
			    "past that many max-ages)", v);
		o.factor = (int)n;
	}
	if (daemon_defaults(a, &o.max_age, &o.notify_default) != 0)
		return -1;
	if ((v = opt(a, "--limit")) != NULL &&
	    util_strtonum(v, 0, LIST_MAX, &l.limit) != 0)
		return err("--limit %s: expected a number of devices, 0 to "
		    "%lld", v, LIST_MAX);
	if (load_seal_key(rkey, &have) != 0)
		return -1;
	o.seal_key = have ? rkey : NULL;
	if ((l.rows = json_array()) == NULL) {
		err("out of memory");
		goto done;
	}
	if (drift_scan(st, &o, drift_row, &l, e, sizeof(e)) != 0) {
		err("drift: %s", e);
		goto done;
	}
	{
		static const char *const times[] = { "since", "last_fetch",
		    NULL };

		show_rows(a, l.rows, cols, times);
	}
	rc = 0;
done:
	json_decref(l.rows);
	util_wipe(rkey, sizeof(rkey));
	return rc;
}

static int
cmd_subs(struct store *st, struct args *a)
{
	static const char *const cols[] = { "device", "uri", "transport",
	    "source", "expires", "last_notify", "last_etag", NULL };
	static const char *const times[] = { "created", "expires",
	    "last_notify", NULL };
	struct store_device	 d;
	json_t			*rows;
	enum store_rc		 rc;

	d.id = -1;
	if (a->npos == 1 && find_device(st, a->pos[0], &d) != 0)
		return -1;
	if ((rc = store_subs_list(st, d.id, time(NULL), &rows)) != STORE_OK)
		return store_fail(st, rc, "subs");
	if (a->json)
		print_json(rows);
	else if (json_array_size(rows) == 0)
		printf("no subscriptions%s%s\n", a->npos ? " for " : "",
		    a->npos ? d.sfua_id : "");
	else {
		iso_times(rows, times);
		print_table(rows, cols);
	}
	json_decref(rows);
	return 0;
}

/*
 * A row in the change log asks every sipcfgd's notifier to re-send the
 * current state to the device's subscribers, changed or not.
 */
static int
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
			printf("check-sync%s requested for %s\n", reboot ?
			    " with reboot" : "", d.sfua_id);
		return 0;
	}
	if ((rc = store_notify_request(st, all ? -1 : d.id)) != STORE_OK)
		return store_fail(st, rc, "notify");
	if (!a->json)
		printf("NOTIFY requested for %s\n", all ? "every subscribed "
		    "device" : d.sfua_id);
	return 0;
}

/*
 * RFC 6011 §2.3.1: the NAPTR records that make DOMAIN's UAs find these
 * base URLs, in the order given (order 10, 20, ...; preference 10).  The
 * regexp replaces the whole domain with the URL, so a URL must not hold
 * the regexp's delimiter '!'.
 */
static int
cmd_naptr(struct store *st, struct args *a)
{
	const char	*fmt = opt(a, "--format"), *dom = a->pos[0], *u;
	char		 d[256];
	json_t		*arr = NULL;
	size_t		 dl;
	int		 i;

	(void)st;
	if (fmt == NULL)
		fmt = "zone";
	if (strcmp(fmt, "zone") != 0 && strcmp(fmt, "dnsmasq") != 0)
		return err("--format %s: expected zone or dnsmasq", fmt);
	snprintf(d, sizeof(d), "%s", dom);
	if ((dl = strlen(d)) > 0 && d[dl - 1] == '.')
		d[--dl] = '\0';
	if (dl == 0 || strlen(dom) > 253 || !request_valid_domain(d))
		return err("%s: not a DNS domain", dom);
	for (i = 1; i < a->npos; i++) {
		u = a->pos[i];
		/* §2.3.1: the service is https; §2.3.2 adds the query. */
		if (strncmp(u, "https://", 8) != 0 || u[8] == '\0' ||
		    u[8] == '/' || strpbrk(u, "!?# \t\"\\") != NULL ||
		    strlen(u) > 200)
			return err("%s: expected an https:// base URL without "
			    "query, fragment, quotes, spaces or '!'", u);
	}
	if (a->json && (arr = json_array()) == NULL)
		return err("out of memory");
	for (i = 1; i < a->npos; i++) {
		u = a->pos[i];
		if (arr)
			json_array_append_new(arr, json_pack("{s:s, s:i, s:i, "
			    "s:s, s:s, s:s, s:s}", "domain", d, "order", i * 10,
			    "preference", 10, "flags", "u", "service",
			    "SFUA.CFG", "regexp", "", "replacement", "."));
		if (arr) {
			char re[256];

			snprintf(re, sizeof(re), "!^.*$!%s!", u);
			json_object_set_new(json_array_get(arr,
			    json_array_size(arr) - 1), "regexp",
			    json_string(re));
		} else if (strcmp(fmt, "zone") == 0)
			printf("%s.\tIN NAPTR %d 10 \"u\" \"SFUA.CFG\" "
			    "\"!^.*$!%s!\" .\n", d, i * 10, u);
		else
			printf("naptr-record=%s,%d,10,u,SFUA.CFG,!^.*$!%s!\n",
			    d, i * 10, u);
	}
	if (arr) {
		print_json(arr);
		json_decref(arr);
	}
	return 0;
}

/*
 * RFC 6011 §2.1.2, §4: the DHCP options (141, 58) that hand UAs their
 * Configuration Service Domains, for the DHCP servers operators run
 * (dhcpconf.c).  The domains: the arguments, else every domain of the
 * store but the nameless default one.
 */
static int
cmd_dhcp(struct store *st, struct args *a)
{
	/* In the order of enum dhcpconf_format. */
	static const char *const fmts[] = { "all", "dnsmasq", "kea", "dhcpd" };
	const char	*fmt = opt(a, "--format"), *names[DHCPOPT_NAMES_MAX];
	char		 errbuf[256];
	json_t		*rows = NULL, *o;
	size_t		 n = 0, i, f;
	int		 ret = -1;

	for (f = 0; fmt != NULL && f < sizeof(fmts) / sizeof(fmts[0]); f++)
		if (strcmp(fmt, fmts[f]) == 0)
			break;
	if (fmt == NULL)
		f = DHCPCONF_ALL;
	else if (f == sizeof(fmts) / sizeof(fmts[0]))
		return err("--format %s: expected dnsmasq, kea or dhcpd", fmt);
	if (opt(a, "--hex") != NULL)
		f = DHCPCONF_HEX;
	for (i = 0; i < (size_t)a->npos; i++)
		names[n++] = a->pos[i];
	if (n == 0) {
		if (store_domain_list(st, &rows) != STORE_OK)
			return err("%s", store_errmsg(st));
		for (i = 0; i < json_array_size(rows); i++) {
			o = json_array_get(rows, i);
			if (json_integer_value(json_object_get(o, "id")) ==
			    STORE_DEFAULT_DOMAIN)
				continue;
			if (n == DHCPOPT_NAMES_MAX) {
				err("more than %d domains in the store; name "
				    "the ones to announce", DHCPOPT_NAMES_MAX);
				goto done;
			}
			names[n++] = json_string_value(json_object_get(o,
			    "name"));
		}
		if (n == 0) {
			err("the store has no CS domain (sipcfg domain add "
			    "NAME); or give DOMAIN...");
			goto done;
		}
	}
	for (i = 0; i < n; i++)
		if (names[i] == NULL || strlen(names[i]) > 254 ||
		    !request_valid_domain(names[i])) {
			err("%s: not a DNS domain", names[i] ? names[i] : "?");
			goto done;
		}
	if (a->json) {
		if ((o = dhcpconf_json(names, n, errbuf, sizeof(errbuf))) ==
		    NULL) {
			err("%s", errbuf);
			goto done;
		}
		print_json(o);
		json_decref(o);
	} else if (dhcpconf_print(stdout, names, n, (enum dhcpconf_format)f,
	    errbuf, sizeof(errbuf)) != 0) {
		err("%s", errbuf);
		goto done;
	}
	ret = 0;
 done:
	json_decref(rows);
	return ret;
}

/* Vendor file path rules (BRIEF.md §3), served under vendor_paths. */
static int
cmd_path_add(struct store *st, struct args *a)
{
	const char	*vendor = opt(a, "--vendor"), *tpl = opt(a, "--template");
	enum store_rc	 rc;

	if (vpath_pattern_valid(a->pos[0]) != 0)
		return err("%s: a pattern is one file name with one {mac} (or "
		    "{MAC}) and at most one {model}, not side by side; "
		    "letters, digits, - _ . + only", a->pos[0]);
	if (vendor && *vendor && !request_valid_domain(vendor))
		return err("--vendor %s: not a DNS domain", vendor);
	if (tpl && *tpl && !request_valid_token(tpl))
		return err("--template %s: not a template name", tpl);
	if ((rc = store_path_rule_add(st, a->pos[0], vendor, tpl,
	    opt(a, "--plain") != NULL)) !=
	    STORE_OK)
		return store_fail(st, rc, a->pos[0]);
	if (!a->json)
		printf("path %s added\n", a->pos[0]);
	return 0;
}

static int
cmd_path_rm(struct store *st, struct args *a)
{
	enum store_rc	 rc;

	if ((rc = store_path_rule_remove(st, a->pos[0])) != STORE_OK)
		return store_fail(st, rc, a->pos[0]);
	if (!a->json)
		printf("path %s removed\n", a->pos[0]);
	return 0;
}

static int
cmd_path_list(struct store *st, struct args *a)
{
	static const char *const cols[] = { "pattern", "vendor", "template",
	    NULL };

	return list_rows(st, a, store_path_rule_list, "path list",
	    cols);
}

static int
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

static int
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
		printf("check-sync for %s updated\n", a->pos[0]);
	return 0;
}

/*
 * The audit session of a write command: the OS user (and the one behind
 * sudo), and the command line, with the argument mask (a secret
 * variable's value) replaced.  Passwords are never on it (they are read
 * from standard input or generated).
 */
static int
audit_begin(struct store *st, int argc, char *argv[], const char *mask,
    int64_t *session)
{
	struct passwd	*pw = getpwuid(getuid());
	const char	*sudo = getenv("SUDO_USER");
	char		 who[160], cmd[1024];
	size_t		 n = 0;
	int		 i;

	snprintf(who, sizeof(who), "%s%s%s%s", pw ? pw->pw_name : "?",
	    sudo && *sudo ? " (sudo from " : "", sudo && *sudo ? sudo : "",
	    sudo && *sudo ? ")" : "");
	cmd[0] = '\0';
	for (i = 0; i < argc && n + 1 < sizeof(cmd); i++) {
		/* A secret given on the command line is not kept. */
		int m = snprintf(cmd + n, sizeof(cmd) - n, "%s%s", i ? " " : "",
		    argv[i] == mask ? "(secret)" : argv[i]);
		if (m < 0)
			break;
		n += (size_t)m;
		if (n >= sizeof(cmd))
			n = sizeof(cmd) - 1;
	}
	if (store_audit_begin(st, who, cmd, session) != STORE_OK)
		return err("audit: %s", store_errmsg(st));
	return 0;
}

static int
cmd_audit(struct store *st, struct args *a)
{
	static const char *const cols[] = { "ts", "who", "entity", "op",
	    "after", NULL };
	static const char *const times[] = { "ts", NULL };
	const char	*v;
	long long	 lim = 50, since = 0;
	json_t		*rows;
	enum store_rc	 rc;

	if ((v = opt(a, "--limit")) && util_strtonum(v, 1, 100000, &lim))
		return err("--limit %s: expected 1..100000", v);
	if ((v = opt(a, "--since")) && util_strtonum(v, 0, 1LL << 40, &since))
		return err("--since %s: expected unix seconds", v);
	if ((rc = store_audit_list(st, (time_t)since, (int)lim, &rows)) !=
	    STORE_OK)
		return store_fail(st, rc, "audit");
	show_rows(a, rows, cols, times);
	json_decref(rows);
	return 0;
}

static int
cmd_device_history(struct store *st, struct args *a)
{
	static const char *const cols[] = { "ts", "kind", "etag", "secrets",
	    "who", "op", NULL };
	static const char *const times[] = { "ts", NULL };
	struct store_device	 d;
	const char		*v;
	long long		 lim = 50;
	json_t			*rows;
	enum store_rc		 rc;

	if (find_device(st, a->pos[0], &d) != 0)
		return -1;
	if ((v = opt(a, "--limit")) && util_strtonum(v, 1, 100000, &lim))
		return err("--limit %s: expected 1..100000", v);
	if ((rc = store_device_history(st, d.id, (int)lim, &rows)) !=
	    STORE_OK)
		return store_fail(st, rc, "history");
	show_rows(a, rows, cols, times);
	json_decref(rows);
	return 0;
}

/*
 * Issue 11: import and export (bulk.c does the work; doc/sipcfg.1,
 * IMPORT AND EXPORT, the format).  A dry run succeeds and is rolled
 * back: main() looks at dry_run instead of committing.
 */
static int	 dry_run;

static int
bulk_format(const struct args *a, enum bulk_format *f)
{
	const char	*v = opt(a, "--format");

	*f = BULK_AUTO;
	if (v == NULL)
		return 0;
	if (strcmp(v, "csv") == 0)
		*f = BULK_CSV;
	else if (strcmp(v, "jsonl") == 0)
		*f = BULK_JSONL;
	else
		return err("--format %s: expected csv or jsonl", v);
	return 0;
}

/*
 * The first line, read to tell a whole store (storemove.h) from device
 * rows, then the rest of the file: what bulk_import() reads.
 */
struct chain {
	const char	*head;
	size_t		 len, off;
	FILE		*rest;
};

static ssize_t
chain_read(void *cookie, char *buf, size_t n)
{
	struct chain	*c = cookie;
	size_t		 k;

	if (c->off < c->len) {
		k = c->len - c->off < n ? c->len - c->off : n;
		memcpy(buf, c->head + c->off, k);
		c->off += k;
		return (ssize_t)k;
	}
	k = fread(buf, 1, n, c->rest);
	return k == 0 && ferror(c->rest) ? -1 : (ssize_t)k;
}

static int
cmd_import(struct store *st, struct args *a)
{
	struct bulk_opts o;
	unsigned char	 key[SEAL_KEY_LEN];
	cookie_io_functions_t io = { .read = chain_read };
	struct chain	 ch;
	FILE		*f = stdin, *g = NULL;
	const char	*name = strcmp(a->pos[0], "-") ? a->pos[0] : "stdin";
	char		*first = NULL;
	size_t		 cap = 0;
	ssize_t		 n;
	int		 have = 0, rc = -1;

	memset(&o, 0, sizeof(o));
	if (bulk_format(a, &o.format) != 0 || load_seal_key(key, &have) != 0)
		return -1;
	o.dry_run = dry_run = opt(a, "--dry-run") != NULL;
	o.replace = opt(a, "--replace") != NULL;
	o.seal_key = have ? key : NULL;
	if (strcmp(a->pos[0], "-") != 0 && (f = fopen(a->pos[0], "r")) ==
	    NULL)
		return err("%s: %s", a->pos[0], strerror(errno));
	if ((n = getline(&first, &cap, f)) == -1) {
		free(first);
		first = NULL;
		n = 0;
	}
	if (first && strncmp(first, STOREMOVE_MAGIC,
	    strlen(STOREMOVE_MAGIC)) == 0) {
		/* Issue 13 §5: a whole store (sipcfg export --all). */
		if (o.dry_run || o.replace || o.format != BULK_AUTO)
			rc = err("%s: a whole store: --dry-run, --replace and "
			    "--format do not apply", name);
		else
			rc = storemove_import(st, have ? key : NULL, first, f,
			    name);
	} else {
		ch.head = first ? first : "";
		ch.len = (size_t)n;
		ch.off = 0;
		ch.rest = f;
		if ((g = fopencookie(&ch, "r", io)) == NULL)
			rc = err("%s: %s", name, strerror(errno));
		else
			rc = bulk_import(st, g, name, &o);
	}
	if (g)
		fclose(g);
	if (f != stdin)
		fclose(f);
	free(first);
	util_wipe(key, sizeof(key));
	printed = 1;
	return rc;
}

static int
cmd_export(struct store *st, struct args *a)
{
	struct bulk_opts o;
	unsigned char	 key[SEAL_KEY_LEN];
	int		 have = 0, rc;

	memset(&o, 0, sizeof(o));
	if (bulk_format(a, &o.format) != 0)
		return -1;
	/* Secrets (HA1s, line passwords) only when asked for. */
	o.secrets = opt(a, "--secrets") != NULL;
	if (opt(a, "--all") != NULL) {
		/* Issue 13 §5: the whole store, to be moved (storemove.h). */
		if (!o.secrets)
			return err("export --all moves a whole store with its "
			    "credentials: add --secrets");
		if (o.format == BULK_CSV)
			return err("export --all writes JSON lines, not CSV");
	}
	if (o.secrets && load_seal_key(key, &have) != 0)
		return -1;
	o.seal_key = have ? key : NULL;
	rc = opt(a, "--all") != NULL ? storemove_export(st, o.seal_key,
	    stdout) : bulk_export(st, stdout, &o);
	util_wipe(key, sizeof(key));
	printed = 1;
	return rc;
}

static const struct cmd cmds[] = {
	{ "init", NULL, 0, 0, "--realm= --force", 1, cmd_init,
	    "init [--realm REALM [--force]]" },
	{ "device", "add", 1, 1, "--vendor= --model= --label= --user= "
	    "--profile= --max-age= --state= --notify= --checksync= --encrypt= "
	    "--client-cert=", 1, cmd_device_add,
	    "device add SFUA-ID|MAC [--vendor DOMAIN] [--model TOKEN] "
	    "[--label TEXT] [--user NAME] [--profile NAME] [--max-age SECONDS] "
	    "[--state active|pending|disabled] [--notify subscribe|poll] "
	    "[--checksync on|off] [--client-cert optional|required|ignore]" },
	{ "device", "list", 0, 0, "--state= --vendor= --model= --user= "
	    "--not-seen-since= --limit= --offset=", 0, cmd_device_list,
	    "device list [--state active|pending|disabled] [--vendor DOMAIN] "
	    "[--model TOKEN] [--user NAME] [--not-seen-since DURATION] "
	    "[--limit N] [--offset N]" },
	{ "device", "show", 1, 1, "", 0, cmd_device_show, "device show DEV" },
	{ "device", "set", 1, 1, "--vendor= --model= --label= --user= "
	    "--no-user --profile= --max-age= --state= --mac= --notify= "
	    "--checksync= --contact= --encrypt= --enc-cert= --client-cert=", 1,
	    cmd_device_set, "device set DEV [--vendor ..] [--model ..] "
	    "[--label ..] [--user NAME | --no-user] [--profile NAME] "
	    "[--max-age SECONDS|none] [--state ..] [--mac MAC] "
	    "[--notify subscribe|poll|inherit] [--checksync on|off|inherit] "
	    "[--contact SIP-URI] [--encrypt MODE|inherit] [--enc-cert PEM] "
	    "[--client-cert optional|required|ignore|inherit]" },
	{ "device", "rm", 1, 1, "", 1, cmd_device_rm, "device rm DEV" },
	{ "device", "unpin", 1, 1, "", 1, cmd_device_unpin,
	    "device unpin DEV" },
	{ "device", "duplicates", 0, 0, "", 0, cmd_device_duplicates,
	    "device duplicates" },
	{ "domain", "add", 1, 1, "--cert= --key= --ca= --realm= --base-url= "
	    "--client-cert= --tofu=", 1, cmd_domain_add,
	    "domain add NAME --cert PEM --key PEM [--ca PEM] [--realm REALM] "
	    "[--base-url URL] [--client-cert optional|required|ignore] "
	    "[--tofu on|off]" },
	{ "domain", "set", 1, 1, "--cert= --key= --no-cert --ca= --no-ca "
	    "--realm= --force --base-url= --client-cert= --tofu=", 1,
	    cmd_domain_set,
	    "domain set NAME [--cert PEM --key PEM | --no-cert] [--ca PEM | "
	    "--no-ca] [--realm REALM [--force]] [--base-url URL] "
	    "[--client-cert optional|required|ignore] [--tofu on|off]" },
	{ "domain", "list", 0, 0, "", 0, cmd_domain_list, "domain list" },
	{ "domain", "rm", 1, 1, "", 1, cmd_domain_rm, "domain rm NAME" },
	{ "device", "key", 1, 1, "", 1, cmd_device_key, "device key DEV" },
	{ "device", "history", 1, 1, "--limit=", 0, cmd_device_history,
	    "device history DEV [--limit N]" },
	{ "audit", NULL, 0, 0, "--limit= --since=", 0, cmd_audit,
	    "audit [--limit N] [--since UNIX-TIME]" },
	{ "user", "add", 1, 1, "--realm= --one-time --valid-for= --not-before=",
	    1, cmd_user_add,
	    "user add NAME [--realm REALM] [--one-time [--valid-for DURATION] "
	    "[--not-before UNIX-TIME]]   (password on stdin or prompted; "
	    "--one-time makes one and prints it)" },
	{ "user", "otp", 1, 1, "--valid-for= --not-before=", 1, cmd_user_otp,
	    "user otp NAME [--valid-for DURATION] [--not-before UNIX-TIME]" },
	{ "user", "passwd", 1, 1, "--overlap= --revoke-now", 1,
	    cmd_user_passwd, "user passwd NAME [--overlap DURATION | "
	    "--revoke-now]   (password on stdin or prompted)" },
	{ "user", "list", 0, 0, "", 0, cmd_user_list, "user list" },
	{ "user", "rm", 1, 1, "", 1, cmd_user_rm, "user rm NAME" },
	{ "line", "add", 1, 1, "--aor= --username= --realm= --proxy= "
	    "--display= --position=", 1, cmd_line_add,
	    "line add DEV --aor SIP-URI --username NAME [--realm REALM] "
	    "[--proxy SIP-URI] [--display NAME] [--position N]   "
	    "(password on stdin or prompted)" },
	{ "line", "list", 1, 1, "", 0, cmd_line_list, "line list DEV" },
	{ "line", "rm", 2, 2, "", 1, cmd_line_rm, "line rm DEV POSITION" },
	{ "template", "add", 2, 2, "--vendor= --model= --revision= "
	    "--content-type=", 1, cmd_template_add,
	    "template add NAME FILE|- [--vendor DOMAIN] [--model TOKEN] "
	    "[--revision TOKEN] [--content-type TYPE]" },
	{ "template", "list", 0, 0, "", 0, cmd_template_list, "template list" },
	{ "template", "show", 1, 1, "", 0, cmd_template_show,
	    "template show NAME" },
	{ "template", "rm", 1, 1, "", 1, cmd_template_rm, "template rm NAME" },
	{ "var", "set", 3, 4, "--string --secret", 1, cmd_var_set,
	    "var set global|vendor|model|profile|user|device [SCOPE] NAME "
	    "VALUE [--string] [--secret]" },
	{ "var", "unset", 2, 3, "", 1, cmd_var_unset,
	    "var unset LAYER [SCOPE] NAME" },
	{ "var", "show", 0, 2, "", 0, cmd_var_show,
	    "var show [LAYER [SCOPE]]" },
	{ "profile", "set", 1, 1, "--max-age= --notify= --checksync= "
	    "--encrypt=", 1,
	    cmd_profile_set,
	    "profile set NAME [--max-age SECONDS|none] "
	    "[--notify subscribe|poll|inherit] [--checksync on|off|inherit] "
	    "[--encrypt MODE|inherit]" },
	{ "profile", "list", 0, 0, "", 0, cmd_profile_list, "profile list" },
	{ "path", "add", 1, 1, "--vendor= --template= --plain", 1, cmd_path_add,
	    "path add PATTERN [--vendor DOMAIN] [--template NAME] [--plain]" },
	{ "path", "list", 0, 0, "", 0, cmd_path_list, "path list" },
	{ "path", "rm", 1, 1, "", 1, cmd_path_rm, "path rm PATTERN" },
	{ "subs", NULL, 0, 1, "", 0, cmd_subs, "subs [DEV]" },
	{ "explain", NULL, 1, 1, "--max-age= --notify=", 0, cmd_explain,
	    "explain DEV [--max-age S] [--notify subscribe|poll]" },
	{ "drift", NULL, 0, 0, "--factor= --max-age= --notify= --limit=", 0,
	    cmd_drift, "drift [--factor K] [--max-age S] [--notify "
	    "subscribe|poll] [--limit N]" },
	{ "naptr", NULL, 2, MAXPOS, "--format=", -1, cmd_naptr,
	    "naptr DOMAIN BASE-URL... [--format zone|dnsmasq]" },
	{ "dhcp", NULL, 0, MAXPOS, "--format= --hex", 0, cmd_dhcp,
	    "dhcp [DOMAIN...] [--format dnsmasq|kea|dhcpd] [--hex]" },
	{ "notify", NULL, 0, 1, "--all --check-sync --reboot", 1, cmd_notify,
	    "notify DEV [--check-sync [--reboot]] | notify --all" },
	{ "checksync", "list", 0, 0, "", 0, cmd_checksync_list,
	    "checksync list" },
	{ "checksync", "set", 1, 1, "--event= --reboot-event= --on --off", 1,
	    cmd_checksync_set, "checksync set VENDOR [--event EVENT] "
	    "[--reboot-event EVENT] [--on|--off]" },
	{ "import", NULL, 1, 1, "--format= --dry-run --replace", 1, cmd_import,
	    "import FILE|- [--format csv|jsonl] [--dry-run] [--replace]" },
	{ "export", NULL, 0, 0, "--format= --secrets --all", 0, cmd_export,
	    "export [--format csv|jsonl] [--secrets] [--all]" },
	{ "render", NULL, 1, 1, "--revision= --secret-free --max-age=", 0,
	    cmd_render, "render DEV [--revision TOKEN] [--secret-free] "
	    "[--max-age DEFAULT]" },
};
#define NCMDS	(sizeof(cmds) / sizeof(cmds[0]))

static void
usage(FILE *f)
{
	size_t	 i;

	fprintf(f, "usage: sipcfg [-d STORE] [--json] [--domain NAME] COMMAND "
	    "...\n       sipcfg --help | --version\nSTORE defaults to $SIPCFG_STORE, else "
	    "/var/lib/sipcfg/sipcfg.db; DEV is an sfua-id URN or a MAC "
	    "address;\n--domain: the CS domain DEV, users and new devices "
	    "are in (default: any for DEV, the default domain for new "
	    "ones).\ncommands:\n");
	for (i = 0; i < NCMDS; i++)
		fprintf(f, "  %s\n", cmds[i].usage);
}

/* Is "--name" allowed by spec, and does it take a value? -1: no. */
static int
optspec(const char *spec, const char *name)
{
	size_t	 n = strlen(name);
	const char *p = spec;

	while ((p = strstr(p, name)) != NULL) {
		if ((p == spec || p[-1] == ' ') && (p[n] == ' ' ||
		    p[n] == '\0' || p[n] == '='))
			return p[n] == '=';
		p += n;
	}
	return -1;
}

int
main(int argc, char *argv[])
{
	struct args	 a;
	struct store	*st;
	const struct cmd *c = NULL;
	const char	*storepath = getenv("SIPCFG_STORE");
	const char	*domain = NULL;
	char		 errbuf[512], name[64];
	const char	*eq;
	size_t		 i;
	int		 k, rc, takes, w;
	int64_t		 session = 0;

	memset(&a, 0, sizeof(a));
	if (storepath == NULL || *storepath == '\0')
		storepath = "/var/lib/sipcfg/sipcfg.db";
	for (k = 1; k < argc; k++) {
		if (strcmp(argv[k], "-d") == 0 && k + 1 < argc)
			storepath = argv[++k];
		else if (strcmp(argv[k], "--json") == 0)
			a.json = 1;
		else if (strcmp(argv[k], "--domain") == 0 && k + 1 < argc) {
			if (domain != NULL) {
				err("--domain given twice");
				return 2;
			}
			domain = argv[++k];
		}
		else if (strcmp(argv[k], "-h") == 0 ||
		    strcmp(argv[k], "--help") == 0 ||
		    strcmp(argv[k], "help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[k], "--version") == 0) {
			printf("sipcfg %s\n", PACKAGE_VERSION);
			return 0;
		} else
			break;
	}
	if (k == argc) {
		usage(stderr);
		return 2;
	}
	for (i = 0; i < NCMDS; i++) {
		if (strcmp(cmds[i].noun, argv[k]) != 0)
			continue;
		if (cmds[i].verb == NULL) {
			c = &cmds[i];
			k++;
			break;
		}
		if (k + 1 < argc && strcmp(cmds[i].verb, argv[k + 1]) == 0) {
			c = &cmds[i];
			k += 2;
			break;
		}
	}
	if (c == NULL) {
		err("unknown command: %s%s%s (try sipcfg --help)", argv[k],
		    k + 1 < argc ? " " : "", k + 1 < argc ? argv[k + 1] : "");
		return 2;
	}
	for (; k < argc; k++) {
		if (strncmp(argv[k], "--", 2) == 0 && argv[k][2] != '\0') {
			if (strcmp(argv[k], "--json") == 0) {
				a.json = 1;
				continue;
			}
			/* Global: the domain DEV, users and new devices are in. */
			if (strcmp(argv[k], "--domain") == 0 ||
			    strncmp(argv[k], "--domain=", 9) == 0) {
				if (domain != NULL) {
					err("--domain given twice");
					return 2;
				}
				if (argv[k][8] == '=')
					domain = argv[k] + 9;
				else if (k + 1 < argc)
					domain = argv[++k];
				else {
					err("--domain needs a value");
					return 2;
				}
				continue;
			}
			eq = strchr(argv[k], '=');
			snprintf(name, sizeof(name), "%.*s", eq ?
			    (int)(eq - argv[k]) : (int)strlen(argv[k]), argv[k]);
			if ((takes = optspec(c->opts, name)) < 0 ||
			    a.nopt == MAXOPT) {
				err("%s: unknown option for %s", name, c->usage);
				return 2;
			}
			a.oname[a.nopt] = argv[k];
			if (takes) {
				if (eq)
					a.oval[a.nopt] = eq + 1;
				else if (k + 1 < argc)
					a.oval[a.nopt] = argv[++k];
				else {
					err("%s needs a value", name);
					return 2;
				}
			}
			/* Keep the bare name for opt() look-ups. */
			a.oname[a.nopt] = strdup(name);
			a.nopt++;
		} else if (a.npos < MAXPOS)
			a.pos[a.npos++] = argv[k];
		else {
			err("too many arguments");
			return 2;
		}
	}
	if (a.npos < c->minpos || a.npos > c->maxpos) {
		fprintf(stderr, "usage: sipcfg %s\n", c->usage);
		return 2;
	}
	w = c->writes;
	if (w < 0 || (c->fn == cmd_dhcp && a.npos > 0)) {
		/* Needs no store (naptr; dhcp given its domains). */
		rc = c->fn(NULL, &a);
		if (rc == 0 && a.json && !printed) {
			json_t *o = json_pack("{s:b}", "ok", 1);

			print_json(o);
			json_decref(o);
		}
		return rc == 0 ? 0 : 1;
	}
	/*
	 * The store holds HA1s, which are as good as passwords for Digest:
	 * a new one is readable by its owner only (SQLite gives its -wal and
	 * -shm files the same mode).
	 */
	if (c->fn == cmd_init)
		umask(077);
	/* Issue 11: before SQLite starts (store.h). */
	if (c->fn == cmd_import && store_bulk_init() != 0) {
		err("import: cannot set SQLite's statement journal size");
		return 1;
	}
	g_store = storepath;
	st = store_open(storepath, (c->fn == cmd_init ? STORE_CREATE : 0), 5000,
	    errbuf, sizeof(errbuf));
	if (st == NULL) {
		err("%s", errbuf);
		return 1;
	}
	if (domain != NULL &&
	    store_domain_id(st, domain, &cli_domain) != STORE_OK) {
		err("--domain: %s", store_errmsg(st));
		store_close(st);
		return 1;
	}
	/* Issue 11: one big transaction, durable at its commit. */
	if (c->fn == cmd_import && store_bulk_tune(st) != 0) {
		err("%s", store_errmsg(st));
		store_close(st);
		return 1;
	}
	if (w && store_begin(st) != 0) {
		err("cannot start a transaction: %s", store_errmsg(st));
		store_close(st);
		return 1;
	}
	/* Issue 6: who changed what, through sipcfg. */
	if (w && store_schema_version(st) >= 4 &&
	    audit_begin(st, argc, argv, c->fn == cmd_var_set &&
	    opt(&a, "--secret") && a.npos > 0 ? a.pos[a.npos - 1] : NULL,
	    &session) != 0) {
		store_rollback(st);
		store_close(st);
		return 1;
	}
	rc = c->fn(st, &a);
	if (w && session > 0 && rc == 0 &&
	    store_audit_end(st, session) != STORE_OK) {
		err("audit: %s", store_errmsg(st));
		rc = -1;
	}
	if (w) {
		if (rc == 0 && dry_run)
			store_rollback(st);
		else if (rc == 0 && store_commit(st) != 0) {
			err("commit failed, nothing changed: %s",
			    store_errmsg(st));
			rc = -1;
		}
		if (rc != 0)
			store_rollback(st);
	}
	store_close(st);
	if (after_commit != NULL) {
		if (rc == 0)
			printf("%s\n", after_commit);
		util_wipe(after_commit, strlen(after_commit));
		free(after_commit);
		after_commit = NULL;
	}
	/* --json: every successful command says so, for scripts. */
	if (rc == 0 && a.json && !printed) {
		json_t *o = json_pack("{s:b, s:s, s:s?}", "ok", 1, "command",
		    c->noun, "verb", c->verb);
		json_t *args = json_array();
		for (k = 0; k < a.npos; k++)
			json_array_append_new(args, json_string(a.pos[k]));
		json_object_set_new(o, "args", args);
		print_json(o);
		json_decref(o);
	}
	for (k = 0; k < a.nopt; k++)
		free((char *)a.oname[k]);
	return rc == 0 ? 0 : 1;
}
