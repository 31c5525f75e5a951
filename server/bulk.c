/*
 * bulk: `sipcfg import` and `sipcfg export` (issue 11), run by the CLI's
 * one thread inside the transaction sipcfg.c opens for the command.
 *
 * A file is parsed record by record (CSV per RFC 4180, or one JSON
 * object per line) into one JSON object per device, checked with the
 * same rules as `sipcfg device add`, `user add`, `line add` and `var set`
 * (the rules live here and sipcfg.c calls them), then written at once:
 * later rows see what earlier rows wrote, which is how a device or a
 * user named twice is caught.  A bad row is reported and the next one
 * is still checked, so one run shows every bad row (up to
 * BULK_ERRORS_MAX); the caller then rolls the whole file back.
 *
 * A dry run renders every device before and after (resource.h, the one
 * render function) inside the transaction the caller rolls back, so the
 * count of changed configurations is the count of changed ETags.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "bulk.h"
#include "credential.h"
#include "digest.h"
#include "request.h"
#include "resource.h"
#include "seal.h"
#include "util.h"

#define BULK_FIELDS_MAX		1024	/* CSV columns */
#define BULK_LINES_MAX		64	/* lines.position is 1..64 */
#define BULK_RENDER_BATCH	1024

/* ------------------------------------------------------------ the rules */

const char *
bulk_bad_vendor(const char *v)
{
	return *v && !request_valid_domain(v) ? "not a DNS domain" : NULL;
}

const char *
bulk_bad_model(const char *v)
{
	return *v && !request_valid_token(v) ? "not a SIP token" : NULL;
}

int
bulk_has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/*
 * Free text ends up in line-oriented phone files: a line break in it
 * would start a setting of its own.
 */
const char *
bulk_bad_label(const char *v)
{
	if (strlen(v) > 255)
		return "longer than 255 bytes";
	if (bulk_has_control(v))
		return "no control characters (line breaks, tabs)";
	return NULL;
}

const char *
bulk_bad_state(const char *v)
{
	if (strcmp(v, "active") == 0 || strcmp(v, "pending") == 0 ||
	    strcmp(v, "disabled") == 0)
		return NULL;
	return "expected active, pending or disabled";
}

const char *
bulk_bad_user(const char *v)
{
	if (!request_valid_userid(v) || strlen(v) > 64)
		return "not a valid user name (RFC 2617 userid, no ':', at "
		    "most 64 bytes)";
	return NULL;
}

const char *
bulk_bad_varname(const char *s)
{
	const char	*p;

	if (*s == '\0' || strlen(s) > 64)
		return "variable names are [A-Za-z0-9_-], at most 64";
	for (p = s; *p; p++)
		if (!(*p == '_' || *p == '-' || isalnum((unsigned char)*p)))
			return "variable names are [A-Za-z0-9_-], at most 64";
	return NULL;
}

int
bulk_device_id(const char *spec, char *id, size_t idlen, char mac[13])
{
	if (request_urn_normalise(spec, id, idlen) == 0) {
		if (request_urn_mac(id, mac) != 0)
			mac[0] = '\0';
		return 0;
	}
	if (request_mac_normalise(spec, mac) == 0) {
		/* RFC 6011 §2.3.3: the sfua-id a UA builds from its MAC. */
		request_mac_urn(mac, id, idlen);
		return 0;
	}
	return -1;
}

const char *
bulk_bad_line(const char *aor, const char *user, const char *realm,
    const char *proxy, const char *display, char *rbuf, size_t rlen,
    const char **realm_out, const char **field)
{
	const char	*at;

	/* RFC 6011 §3.1.1: the AOR is a SIP or SIPS URI. */
	*field = "aor";
	if ((strncmp(aor, "sip:", 4) != 0 && strncmp(aor, "sips:", 5) != 0) ||
	    (at = strchr(aor, '@')) == NULL || at[1] == '\0' ||
	    bulk_has_control(aor) || strpbrk(aor, " \t\r\n<>\"") ||
	    strlen(aor) > 255)
		return "expected sip:user@domain or sips:user@domain";
	*field = "username";
	if (!request_valid_userid(user) || strlen(user) > 128)
		return "not a valid username";
	if (realm == NULL) {
		/* Default realm: the AOR's domain, without port or params. */
		snprintf(rbuf, rlen, "%.*s", (int)strcspn(at + 1, ":;?"),
		    at + 1);
		realm = rbuf;
	}
	*field = "realm";
	if (!request_valid_userid(realm) || strchr(realm, '"') ||
	    strlen(realm) > 128)
		return "not a usable realm";
	*field = "proxy";
	if (proxy && ((strncmp(proxy, "sip:", 4) != 0 &&
	    strncmp(proxy, "sips:", 5) != 0) || bulk_has_control(proxy) ||
	    strlen(proxy) > 255))
		return "expected a sip: or sips: URI";
	*field = "display";
	if (display && (bulk_has_control(display) || strlen(display) > 128))
		return "at most 128 bytes, no control characters (line "
		    "breaks, tabs)";
	*realm_out = realm;
	*field = NULL;
	return NULL;
}

static int
is_hex(const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' &&
		    s[i] <= 'f')))
			return 0;
	return s[n] == '\0';
}

/* ----------------------------------------------------------- the reader */

struct reader {
	FILE		*f;
	const char	*name;
	long		 line;		/* of the next character */
	char		*buf;
	size_t		 len, cap;
	size_t		 off[BULK_FIELDS_MAX];	/* CSV fields in buf */
	size_t		 nf;
};

static int
rd_put(struct reader *r, int c)
{
	if (r->len + 1 >= r->cap) {
		size_t	 n = r->cap ? r->cap * 2 : 4096;
		char	*b;

		if (r->len + 1 >= BULK_RECORD_MAX || (b = realloc(r->buf,
		    n)) == NULL)
			return -1;
		r->buf = b;
		r->cap = n;
	}
	r->buf[r->len++] = (char)c;
	return 0;
}

/*
 * One CSV record (RFC 4180 §2): fields into r->buf, NUL-separated, with
 * their offsets in r->off.  1: a record; 0: end of file; -1: a syntax
 * error (why), after which the rest of the file cannot be trusted.
 */
static int
csv_record(struct reader *r, char *why, size_t wlen)
{
	int	 c, quoted, any = 0;
	long	 opened;

	r->len = r->nf = 0;
	for (;;) {
		if (r->nf == BULK_FIELDS_MAX) {
			snprintf(why, wlen, "more than %d fields",
			    BULK_FIELDS_MAX);
			return -1;
		}
		r->off[r->nf++] = r->len;
		c = getc_unlocked(r->f);
		if (c == EOF && !any && r->nf == 1)
			return 0;
		any = 1;
		quoted = c == '"';
		opened = r->line;
		if (quoted)
			c = getc_unlocked(r->f);
		for (;; c = getc_unlocked(r->f)) {
			if (quoted) {
				if (c == EOF) {
					snprintf(why, wlen, "a quoted field "
					    "opened on line %ld is not closed",
					    opened);
					return -1;
				}
				if (c == '"') {
					c = getc_unlocked(r->f);
					if (c != '"') {
						quoted = 0;
						if (c != ',' && c != '\n' &&
						    c != '\r' && c != EOF) {
							snprintf(why, wlen,
							    "a closing quote "
							    "must end the field "
							    "(RFC 4180 §2: "
							    "double a quote "
							    "inside one)");
							return -1;
						}
					}
				}
				if (quoted) {
					if (c == '\n')
						r->line++;
					if (rd_put(r, c) != 0)
						goto toolong;
					continue;
				}
			}
			if (c == '"') {
				snprintf(why, wlen, "a quote inside an unquoted "
				    "field (RFC 4180 §2: quote the whole "
				    "field)");
				return -1;
			}
			if (c == '\r') {
				if ((c = getc_unlocked(r->f)) != '\n') {
					snprintf(why, wlen, "a carriage return "
					    "outside quotes");
					return -1;
				}
			}
			if (c == ',' || c == '\n' || c == EOF)
				break;
			if (rd_put(r, c) != 0)
				goto toolong;
		}
		if (rd_put(r, '\0') != 0)
			goto toolong;
		if (c == '\n' || c == EOF) {
			if (c == '\n')
				r->line++;
			return 1;
		}
	}
toolong:
	snprintf(why, wlen, "a record longer than %d bytes", BULK_RECORD_MAX);
	return -1;
}

/* One line (without its end) into r->buf: 1, 0 at the end, -1 too long. */
static int
text_line(struct reader *r)
{
	int	 c, over = 0;

	r->len = 0;
	while ((c = getc_unlocked(r->f)) != EOF && c != '\n')
		if (!over && rd_put(r, c) != 0)
			over = 1;
	if (c == EOF && r->len == 0 && !over)
		return 0;
	r->line++;
	if (r->len && r->buf[r->len - 1] == '\r')
		r->len--;
	if (over)
		return -1;
	rd_put(r, '\0');
	r->len--;
	return 1;
}

/* ----------------------------------------------------------- the import */

/* The streams of the summary and of the bad rows (bulk.h). */
#define BULK_OUT(o)	((o)->report ? (o)->report : stdout)
#define BULK_ERR(o)	((o)->errors ? (o)->errors : stderr)

struct import {
	struct store		*st;
	struct store_bulk	*b;
	const struct bulk_opts	*o;
	const char		*name;
	json_t			*domains;	/* name -> [id, realm] */
	json_t			*profiles;	/* name -> id */
	long			 rows, added, changed, unchanged, bad;
	long			 users_added, users_changed;
	int			 fatal;
};

static void
bad(struct import *im, long line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void
bad(struct import *im, long line, const char *fmt, ...)
{
	va_list	 ap;

	if (im->bad++ >= BULK_ERRORS_MAX)
		return;
	fprintf(BULK_ERR(im->o), "%s:%ld: ", im->name, line);
	va_start(ap, fmt);
	vfprintf(BULK_ERR(im->o), fmt, ap);
	va_end(ap);
	fputc('\n', BULK_ERR(im->o));
}

/* A string field: NULL when absent; "" when null (none). -1: not text. */
static int
field(struct import *im, long line, const json_t *row, const char *k,
    const char **out)
{
	const json_t	*v = json_object_get(row, k);

	*out = NULL;
	if (v == NULL)
		return 0;
	if (json_is_null(v)) {
		*out = "";
		return 0;
	}
	if (!json_is_string(v)) {
		bad(im, line, "%s: expected a string or null", k);
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

static const char *const row_keys[] = { "domain", "device", "mac", "vendor",
	"model", "label", "state", "user", "password", "ha1_md5", "ha1_sha256",
	"profile", "lines", "vars", NULL };
static const char *const line_keys[] = { "position", "aor", "username",
	"realm", "password", "ha1", "proxy", "display", NULL };

static int
known(const char *const keys[], const char *k)
{
	for (; *keys; keys++)
		if (strcmp(*keys, k) == 0)
			return 1;
	return 0;
}

static enum store_rc
store_err(struct import *im, long line, enum store_rc rc, const char *what)
{
	if (rc == STORE_BUSY || rc == STORE_ERROR) {
		fprintf(BULK_ERR(im->o), "%s:%ld: %s: %s\n", im->name, line,
		    what,
		    store_errmsg(im->st));
		im->fatal = 1;
	} else
		bad(im, line, "%s: %s", what, store_errmsg(im->st));
	return rc;
}

/* What the import's change rows name (store_bulk_summary()). */
static int
touch(struct import *im, long line, enum store_bulk_touch what, int64_t id)
{
	if (store_bulk_touch(im->b, what, id) == STORE_OK)
		return 0;
	store_err(im, line, STORE_ERROR, "change log");
	return -1;
}

/*
 * The lines of a row, checked and completed (realm, ha1, sealed copy)
 * into a new array sorted by position; NULL after saying why.
 */
static json_t *
row_lines(struct import *im, long line, const json_t *in)
{
	json_t		*out = json_array(), *l, *n;
	const char	*aor, *user, *realm, *pw, *ha1, *proxy, *disp, *why;
	const char	*fld, *k, *rl;
	char		 rbuf[STORE_NAME_MAX], md5[DIGEST_HA1_MD5_HEX];
	char		 seen[BULK_LINES_MAX + 1] = { 0 };
	size_t		 i;
	json_int_t	 pos;
	json_t		*v;

	if (!json_is_array(in) || json_array_size(in) > BULK_LINES_MAX) {
		bad(im, line, "lines: expected an array of at most %d objects",
		    BULK_LINES_MAX);
		goto fail;
	}
	json_array_foreach(in, i, l) {
		if (!json_is_object(l)) {
			bad(im, line, "lines[%zu]: expected an object", i);
			goto fail;
		}
		json_object_foreach(l, k, v)
			if (!known(line_keys, k) ||
			    (strcmp(k, "position") && !json_is_string(v) &&
			    !json_is_null(v))) {
				bad(im, line, "lines[%zu].%s: %s", i, k,
				    known(line_keys, k) ? "expected a string "
				    "or null" : "unknown key");
				goto fail;
			}
		v = json_object_get(l, "position");
		pos = v ? json_integer_value(v) : (json_int_t)i + 1;
		if ((v && !json_is_integer(v)) || pos < 1 ||
		    pos > BULK_LINES_MAX || seen[pos]) {
			bad(im, line, "lines[%zu].position: expected 1..%d, "
			    "once per device", i, BULK_LINES_MAX);
			goto fail;
		}
		seen[pos] = 1;
		aor = json_string_value(json_object_get(l, "aor"));
		user = json_string_value(json_object_get(l, "username"));
		realm = json_string_value(json_object_get(l, "realm"));
		pw = json_string_value(json_object_get(l, "password"));
		ha1 = json_string_value(json_object_get(l, "ha1"));
		proxy = json_string_value(json_object_get(l, "proxy"));
		disp = json_string_value(json_object_get(l, "display"));
		if (aor == NULL || user == NULL) {
			bad(im, line, "line %lld: aor and username are "
			    "required", (long long)pos);
			goto fail;
		}
		if ((why = bulk_bad_line(aor, user, realm && *realm ? realm :
		    NULL, proxy && *proxy ? proxy : NULL, disp && *disp ?
		    disp : NULL, rbuf, sizeof(rbuf), &rl, &fld)) != NULL) {
			bad(im, line, "line %lld %s: %s", (long long)pos, fld,
			    why);
			goto fail;
		}
		if ((pw && *pw) == (ha1 && *ha1)) {
			bad(im, line, "line %lld: give password or ha1 (one of "
			    "them)", (long long)pos);
			goto fail;
		}
		if (ha1 && *ha1 && !is_hex(ha1, 32)) {
			bad(im, line, "line %lld ha1: expected 32 lower-case "
			    "hex digits (MD5 of username:realm:password)",
			    (long long)pos);
			goto fail;
		}
		if (pw && *pw && digest_ha1(DIGEST_MD5, user, rl, pw, md5,
		    sizeof(md5)) != 0) {
			bad(im, line, "line %lld: cannot hash the password",
			    (long long)pos);
			goto fail;
		}
		n = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s}", "position",
		    pos, "aor", aor, "username", user, "realm", rl, "ha1",
		    pw && *pw ? md5 : ha1, "proxy", proxy ? proxy : "",
		    "display", disp ? disp : "");
		util_wipe(md5, sizeof(md5));
		if (n == NULL)
			goto fail;
		if (pw && *pw)
			json_object_set_new(n, "password", json_string(pw));
		json_array_append_new(out, n);
	}
	return out;
fail:
	json_decref(out);
	return NULL;
}

/* Does existing line e say what wanted line w says? */
static int
line_same(const json_t *e, const json_t *w)
{
	static const char *const k[] = { "aor", "username", "realm", "ha1",
	    "proxy", "display", NULL };
	int	 i;

	for (i = 0; k[i]; i++)
		if (!json_equal(json_object_get(e, k[i]),
		    json_object_get(w, k[i])))
			return 0;
	return 1;
}

/* Write the lines of device id: exactly want. *changed set on a change. */
static int
put_lines(struct import *im, long line, int64_t id, json_t *want,
    int *changed)
{
	json_t		*have = NULL, *e, *w, *f;
	size_t		 i, j;
	enum store_rc	 rc;
	char		*sealed;
	const char	*pw;
	int		 ret = -1;

	if ((rc = store_bulk_lines(im->b, id, &have)) != STORE_OK) {
		store_err(im, line, rc, "lines");
		return -1;
	}
	json_array_foreach(have, i, e) {
		json_int_t p = json_integer_value(json_object_get(e, "position"));
		int keep = 0;

		json_array_foreach(want, j, w)
			if (json_integer_value(json_object_get(w,
			    "position")) == p && line_same(e, w)) {
				keep = 1;
				json_object_set_new(w, "keep", json_true());
			}
		if (!keep) {
			if ((rc = store_bulk_sync(im->b)) != STORE_OK ||
			    (rc = store_line_remove(im->st, id, (int)p)) !=
			    STORE_OK) {
				store_err(im, line, rc, "line");
				goto done;
			}
			*changed = 1;
		}
	}
	json_array_foreach(want, j, w) {
		if (json_object_get(w, "keep"))
			continue;
		f = json_pack("{s:O, s:O, s:O, s:O, s:O}", "position",
		    json_object_get(w, "position"), "aor", json_object_get(w,
		    "aor"), "username", json_object_get(w, "username"), "realm",
		    json_object_get(w, "realm"), "ha1", json_object_get(w,
		    "ha1"));
		if (f == NULL)
			goto done;
		if (*json_string_value(json_object_get(w, "proxy")))
			json_object_set(f, "outbound_proxy", json_object_get(w,
			    "proxy"));
		if (*json_string_value(json_object_get(w, "display")))
			json_object_set(f, "display_name", json_object_get(w,
			    "display"));
		pw = json_string_value(json_object_get(w, "password"));
		/* As `line add`: a sealed copy for vendor templates. */
		if (pw && im->o->seal_key) {
			if ((sealed = seal_seal(im->o->seal_key,
			    "line-password", pw, strlen(pw))) == NULL) {
				json_decref(f);
				bad(im, line, "cannot seal the line password");
				goto done;
			}
			json_object_set_new(f, "password_sealed",
			    json_string(sealed));
			free(sealed);
		}
		rc = store_bulk_line_add(im->b, id, f);
		json_decref(f);
		if (rc != STORE_OK) {
			store_err(im, line, rc, "line");
			goto done;
		}
		*changed = 1;
	}
	ret = 0;
done:
	json_decref(have);
	return ret;
}

/* The non-secret device variables of sfua (device id): exactly want. */
static int
put_vars(struct import *im, long line, int64_t id, const char *sfua,
    const json_t *want, int *changed)
{
	json_t		*have = NULL, *v;
	const char	*k;
	char		*js;
	enum store_rc	 rc;
	int		 ret = -1, any = 0;

	if ((rc = store_bulk_vars(im->b, sfua, &have)) != STORE_OK) {
		store_err(im, line, rc, "vars");
		return -1;
	}
	json_object_foreach(have, k, v)
		if (json_object_get(want, k) == NULL) {
			if ((rc = store_bulk_sync(im->b)) != STORE_OK ||
			    (rc = store_var_unset(im->st, "device", sfua, k)) !=
			    STORE_OK) {
				store_err(im, line, rc, k);
				goto done;
			}
			any = 1;
		}
	json_object_foreach((json_t *)want, k, v) {
		if (json_equal(json_object_get(have, k), v))
			continue;
		if ((js = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT)) ==
		    NULL)
			goto done;
		rc = store_bulk_var_set(im->b, sfua, k, js);
		free(js);
		if (rc != STORE_OK) {
			store_err(im, line, rc, k);
			goto done;
		}
		any = 1;
	}
	/*
	 * Device variables are scoped by sfua-id, in every domain: the
	 * change is 'var:device:<sfua-id>', not the device's alone.
	 */
	if (any && touch(im, line, BULK_VARS_CHANGED, id) != 0)
		goto done;
	*changed |= any;
	ret = 0;
done:
	json_decref(have);
	return ret;
}

/* The user of a row: found or made, its password set; *uid. */
static int
put_user(struct import *im, long line, const char *name, const char *pw,
    const char *md5in, const char *shain, int64_t domain_id,
    const char *domain_realm, int64_t *uid, int *changed)
{
	struct store_user	 u;
	char			 md5[DIGEST_HA1_MD5_HEX];
	char			 sha[DIGEST_HA1_SHA256_HEX];
	const char		*realm;
	enum store_rc		 rc;
	long			 first = 0;
	int			 found, secret = pw || md5in, ret = -1;

	if ((rc = store_bulk_user_get(im->b, name, &u)) != STORE_OK &&
	    rc != STORE_NOTFOUND) {
		store_err(im, line, rc, name);
		return -1;
	}
	found = rc == STORE_OK;
	if (found && u.domain_id != domain_id) {
		bad(im, line, "user %s is in another domain than the device",
		    name);
		goto done;
	}
	if (!found && !secret) {
		bad(im, line, "user %s is new: give password, or ha1_md5 and "
		    "ha1_sha256", name);
		goto done;
	}
	/* HA1 = H(user:realm:password), RFC 7616 §3.4.2. */
	realm = found ? u.realm : domain_realm;
	if (pw && credential_ha1s(name, realm, pw, md5, sha) != 0) {
		bad(im, line, "cannot hash the password");
		goto done;
	}
	if (!pw && md5in) {
		snprintf(md5, sizeof(md5), "%s", md5in);
		snprintf(sha, sizeof(sha), "%s", shain);
	}
	if (secret && store_bulk_mark(im->b, 'u', 0, name, line, &first) ==
	    STORE_EXISTS && (!found || strcmp(u.ha1_md5, md5) ||
	    strcmp(u.ha1_sha256, sha))) {
		bad(im, line, "user %s: another password than on line %ld",
		    name, first);
		goto done;
	}
	if (!found) {
		if ((rc = store_bulk_user_add(im->b, name, realm, md5, sha,
		    domain_id, uid)) != STORE_OK) {
			store_err(im, line, rc, name);
			goto done;
		}
		if (touch(im, line, BULK_USER_ADDED, *uid) != 0)
			goto done;
		im->users_added++;
		*changed = 1;
	} else {
		*uid = u.id;
		if (secret && (strcmp(u.ha1_md5, md5) ||
		    strcmp(u.ha1_sha256, sha) || u.otp)) {
			if ((rc = store_bulk_sync(im->b)) != STORE_OK ||
			    (rc = store_user_passwd(im->st, name, md5, sha,
			    NULL, 0)) != STORE_OK) {
				store_err(im, line, rc, name);
				goto done;
			}
			/* Every device of the user: its own change row. */
			if (touch(im, line, BULK_USER_CHANGED, u.id) != 0)
				goto done;
			im->users_changed++;
			*changed = 1;
		}
	}
	ret = 0;
done:
	util_wipe(&u, sizeof(u));
	util_wipe(md5, sizeof(md5));
	util_wipe(sha, sizeof(sha));
	return ret;
}

/* Check and write one row (a JSON object).  0, or -1 after saying why. */
static int
row_apply(struct import *im, long line, json_t *row)
{
	struct store_bulk_device	 d, e;
	const char	*dom, *dev, *mac, *vendor, *model, *label, *state;
	const char	*user, *pw, *md5, *sha, *profile, *k, *why, *realm;
	char		 id[REQUEST_ID_MAX], mbuf[13];
	json_t		*lines = NULL, *vars, *dv, *v, *f = NULL;
	int64_t		 domain_id, uid = 0, pid = 0;
	long		 first = 0;
	enum store_rc	 rc;
	int		 changed = 0, exists, ret = -1;

	json_object_foreach(row, k, v)
		if (!known(row_keys, k)) {
			bad(im, line, "%s: unknown column", k);
			return -1;
		}
	if (field(im, line, row, "domain", &dom) || field(im, line, row,
	    "device", &dev) || field(im, line, row, "mac", &mac) ||
	    field(im, line, row, "vendor", &vendor) || field(im, line, row,
	    "model", &model) || field(im, line, row, "label", &label) ||
	    field(im, line, row, "state", &state) || field(im, line, row,
	    "user", &user) || field(im, line, row, "password", &pw) ||
	    field(im, line, row, "ha1_md5", &md5) || field(im, line, row,
	    "ha1_sha256", &sha) || field(im, line, row, "profile", &profile))
		return -1;
	if (dom == NULL || *dom == '\0')
		dom = "default";
	if ((dv = json_object_get(im->domains, dom)) == NULL) {
		bad(im, line, "domain %s: no such domain (sipcfg domain list)",
		    dom);
		return -1;
	}
	domain_id = json_integer_value(json_array_get(dv, 0));
	realm = json_string_value(json_array_get(dv, 1));
	if (dev == NULL || bulk_device_id(dev, id, sizeof(id), mbuf) != 0) {
		bad(im, line, "device %s: not an sfua-id URN or a MAC address",
		    dev ? dev : "(missing)");
		return -1;
	}
	if (mac && *mac && request_mac_normalise(mac, mbuf) != 0) {
		bad(im, line, "mac %s: not a MAC address", mac);
		return -1;
	}
	if (vendor && (why = bulk_bad_vendor(vendor))) {
		bad(im, line, "vendor %s: %s", vendor, why);
		return -1;
	}
	if (model && (why = bulk_bad_model(model))) {
		bad(im, line, "model %s: %s", model, why);
		return -1;
	}
	if (label && (why = bulk_bad_label(label))) {
		bad(im, line, "label: %s", why);
		return -1;
	}
	if (state && *state == '\0')
		state = "active";
	if (state && (why = bulk_bad_state(state))) {
		bad(im, line, "state %s: %s", state, why);
		return -1;
	}
	if (user && *user && (why = bulk_bad_user(user))) {
		bad(im, line, "user %s: %s", user, why);
		return -1;
	}
	pw = pw && *pw ? pw : NULL;
	md5 = md5 && *md5 ? md5 : NULL;
	sha = sha && *sha ? sha : NULL;
	if ((pw || md5 || sha) && !(user && *user)) {
		bad(im, line, "a password or HA1 needs a user");
		return -1;
	}
	if ((pw && (md5 || sha)) || (!pw && (!md5 != !sha))) {
		bad(im, line, "give password, or ha1_md5 and ha1_sha256");
		return -1;
	}
	if (md5 && (!is_hex(md5, 32) || !is_hex(sha, 64))) {
		bad(im, line, "ha1_md5 and ha1_sha256: expected 32 and 64 "
		    "lower-case hex digits");
		return -1;
	}
	if (profile && *profile) {
		if ((v = json_object_get(im->profiles, profile)) == NULL) {
			bad(im, line, "profile %s: no such profile (make it "
			    "with sipcfg profile set)", profile);
			return -1;
		}
		pid = json_integer_value(v);
	}
	if ((v = json_object_get(row, "lines")) != NULL &&
	    (lines = row_lines(im, line, v)) == NULL)
		return -1;
	if ((vars = json_object_get(row, "vars")) != NULL) {
		if (!json_is_object(vars)) {
			bad(im, line, "vars: expected an object");
			goto done;
		}
		json_object_foreach(vars, k, v) {
			char *js;
			size_t n;

			if ((why = bulk_bad_varname(k))) {
				bad(im, line, "var %s: %s", k, why);
				goto done;
			}
			js = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
			n = js ? strlen(js) : SIZE_MAX;
			free(js);
			if (n > 65536) {
				bad(im, line, "var %s: more than 64 KB of JSON",
				    k);
				goto done;
			}
		}
	}

	/* Checked: now the store. */
	if ((rc = store_bulk_row(im->b, line)) != STORE_OK) {
		store_err(im, line, rc, id);
		goto done;
	}
	if ((rc = store_bulk_device_get(im->b, domain_id, id, &e)) !=
	    STORE_OK && rc != STORE_NOTFOUND) {
		store_err(im, line, rc, id);
		goto done;
	}
	exists = rc == STORE_OK;
	if (user && *user && put_user(im, line, user, pw, md5, sha, domain_id,
	    realm, &uid, &changed) != 0)
		goto done;
	if (!exists) {
		memset(&d, 0, sizeof(d));
		d.domain_id = domain_id;
		snprintf(d.sfua_id, sizeof(d.sfua_id), "%s", id);
		snprintf(d.mac, sizeof(d.mac), "%s", mbuf);
		snprintf(d.vendor, sizeof(d.vendor), "%s", vendor ? vendor : "");
		snprintf(d.model, sizeof(d.model), "%s", model ? model : "");
		snprintf(d.label, sizeof(d.label), "%s", label ? label : "");
		snprintf(d.state, sizeof(d.state), "%s", state ? state :
		    "active");
		if ((rc = store_bulk_device_insert(im->b, &d, uid, pid,
		    &e.id)) != STORE_OK) {
			store_err(im, line, rc, id);
			goto done;
		}
	} else {
		/* Only what differs: an unchanged row keeps its ETag. */
		f = json_object();
#define DIFF(key, want, have) \
	if ((want) && strcmp((want), (have)) != 0) \
		json_object_set_new(f, key, json_string(want))
		if (mac && strcmp(mbuf, e.mac) != 0)
			json_object_set_new(f, "mac", json_string(mbuf));
		DIFF("vendor", vendor, e.vendor);
		DIFF("model", model, e.model);
		DIFF("label", label, e.label);
		DIFF("state", state, e.state);
		DIFF("user", user, e.user);
		DIFF("profile", profile, e.profile);
#undef DIFF
		if (json_object_size(f) && ((rc = store_bulk_sync(im->b)) !=
		    STORE_OK || (rc = store_device_update(im->st, e.id, f)) !=
		    STORE_OK)) {
			store_err(im, line, rc, id);
			goto done;
		}
		changed |= json_object_size(f) > 0;
	}
	if ((rc = store_bulk_mark(im->b, 'd', e.id, NULL, line, &first)) ==
	    STORE_EXISTS) {
		bad(im, line, "device %s: already on line %ld", id, first);
		goto done;
	} else if (rc != STORE_OK) {
		store_err(im, line, rc, id);
		goto done;
	}
	if (lines && put_lines(im, line, e.id, lines, &changed) != 0)
		goto done;
	if (vars && put_vars(im, line, e.id, id, vars, &changed) != 0)
		goto done;
	if (!exists || changed) {
		if (touch(im, line, exists ? BULK_DEVICE_CHANGED :
		    BULK_DEVICE_ADDED, e.id) != 0)
			goto done;
	}
	if (!exists)
		im->added++;
	else if (changed)
		im->changed++;
	else
		im->unchanged++;
	ret = 0;
done:
	json_decref(f);
	json_decref(lines);
	return ret;
}

/* ------------------------------------------------------ CSV into rows */

enum col_kind { COL_ROW, COL_LINE, COL_VAR };

struct col {
	enum col_kind	 kind;
	char		*key;		/* row key, line key or var name */
	int		 pos;		/* COL_LINE */
};

/* The header row: every column known, none twice.  -1 after saying why. */
static int
csv_header(struct import *im, struct reader *r, struct col *cols, int *has)
{
	size_t		 i, j;
	const char	*h, *dot;
	long long	 n;
	char		 num[8];

	has[0] = has[1] = 0;
	for (i = 0; i < r->nf; i++) {
		h = r->buf + r->off[i];
		memset(&cols[i], 0, sizeof(cols[i]));
		if (strncmp(h, "var.", 4) == 0) {
			cols[i].kind = COL_VAR;
			if (bulk_bad_varname(h + 4)) {
				bad(im, 1, "column %s: %s", h,
				    bulk_bad_varname(h + 4));
				return -1;
			}
			has[1] = 1;
		} else if (strncmp(h, "line", 4) == 0 &&
		    (dot = strchr(h, '.')) != NULL && dot - h - 4 > 0 &&
		    dot - h - 4 < 3) {
			snprintf(num, sizeof(num), "%.*s", (int)(dot - h - 4),
			    h + 4);
			if (util_strtonum(num, 1, BULK_LINES_MAX, &n) != 0 ||
			    !known(line_keys, dot + 1) ||
			    strcmp(dot + 1, "position") == 0) {
				bad(im, 1, "column %s: expected lineN.aor, "
				    ".username, .realm, .password, .ha1, "
				    ".proxy or .display (N 1..%d)", h,
				    BULK_LINES_MAX);
				return -1;
			}
			cols[i].kind = COL_LINE;
			cols[i].pos = (int)n;
			h = dot + 1;
			has[0] = 1;
		} else if (!known(row_keys, h) || strcmp(h, "lines") == 0 ||
		    strcmp(h, "vars") == 0) {
			bad(im, 1, "column %s: unknown (see sipcfg(1), IMPORT "
			    "AND EXPORT)", h);
			return -1;
		} else
			cols[i].kind = COL_ROW;
		cols[i].key = strdup(cols[i].kind == COL_VAR ? h + 4 : h);
		for (j = 0; j < i; j++)
			if (cols[j].kind == cols[i].kind && cols[j].pos ==
			    cols[i].pos && strcmp(cols[j].key, cols[i].key) ==
			    0) {
				bad(im, 1, "column %s: given twice",
				    r->buf + r->off[i]);
				return -1;
			}
	}
	return 0;
}

/*
 * A CSV record as a row object: an empty cell is null (none); lineN
 * columns make "lines" (a line whose cells are all empty is none); var
 * cells are JSON when they parse as JSON, else a string (as `var set`).
 */
static json_t *
csv_row(struct reader *r, const struct col *cols, const int *has)
{
	json_t		*row = json_object(), *lines = NULL, *vars = NULL;
	json_t		*byp[BULK_LINES_MAX + 1] = { 0 }, *v;
	const char	*c;
	size_t		 i;
	int		 p;

	if (has[0])
		lines = json_array();
	if (has[1])
		vars = json_object();
	for (i = 0; i < r->nf; i++) {
		c = r->buf + r->off[i];
		switch (cols[i].kind) {
		case COL_ROW:
			json_object_set_new(row, cols[i].key, *c ?
			    json_string(c) : json_null());
			break;
		case COL_LINE:
			if (*c == '\0')
				break;
			if (byp[cols[i].pos] == NULL)
				byp[cols[i].pos] = json_pack("{s:i}",
				    "position", cols[i].pos);
			json_object_set_new(byp[cols[i].pos], cols[i].key,
			    json_string(c));
			break;
		case COL_VAR:
			if (*c == '\0')
				break;
			if ((v = json_loads(c, JSON_DECODE_ANY, NULL)) == NULL)
				v = json_string(c);
			json_object_set_new(vars, cols[i].key, v ? v :
			    json_null());
			break;
		}
	}
	for (p = 1; p <= BULK_LINES_MAX; p++)
		if (byp[p])
			json_array_append_new(lines, byp[p]);
	if (lines)
		json_object_set_new(row, "lines", lines);
	if (vars)
		json_object_set_new(row, "vars", vars);
	return row;
}

/* ---------------------------------------------------- dry run: ETags */

struct etag { int64_t id; uint64_t h; };

/*
 * Every device's ETag, by id (a malloc'd array in *out, *n of them):
 * rendered as the device would be answered (full unless pending), so the
 * ETag is the one a fetch would see.
 */
static int
etags(struct import *im, struct resource *res, struct etag **out, size_t *n)
{
	int64_t			 ids[BULK_RENDER_BATCH], after = 0;
	size_t			 k, i, cap = 0;
	struct store_device	 d;
	struct cfg_request	 q;
	const struct rendered	*r;
	struct etag		*a = NULL, *t;
	char			 reason[256];
	enum resource_rc	 rc;

	*n = 0;
	resource_changed(res, CHG_ALL, 0);	/* its own writes */
	for (;;) {
		if (store_bulk_ids(im->b, after, ids, BULK_RENDER_BATCH, &k) !=
		    STORE_OK)
			goto fail;
		if (k == 0)
			break;
		for (i = 0; i < k; i++) {
			if (store_device_by_id(im->st, ids[i], &d) != STORE_OK)
				goto fail;
			memset(&q, 0, sizeof(q));
			q.plain = 1;
			snprintf(q.sfua_id, sizeof(q.sfua_id), "%s", d.sfua_id);
			snprintf(q.mac, sizeof(q.mac), "%s", d.mac);
			rc = resource_render(res, &d, &q, d.state !=
			    DEVICE_PENDING, &r, reason, sizeof(reason));
			if (*n == cap) {
				cap = cap ? cap * 2 : 4096;
				if ((t = realloc(a, cap * sizeof(*a))) == NULL)
					goto fail;
				a = t;
			}
			a[*n].id = ids[i];
			/* A device that cannot be rendered counts by reason. */
			a[*n].h = util_fnv1a(UTIL_FNV_BASIS, rc == RES_OK ?
			    r->etag : reason);
			(*n)++;
		}
		after = ids[k - 1];
	}
	*out = a;
	return 0;
fail:
	free(a);
	fprintf(BULK_ERR(im->o), "%s: rendering: %s\n", im->name,
	    store_errmsg(im->st));
	return -1;
}

/* ETags in both lists that differ (both are sorted by id). */
static long
etags_changed(const struct etag *a, size_t na, const struct etag *b,
    size_t nb)
{
	size_t	 i = 0, j = 0;
	long	 n = 0;

	while (i < na && j < nb) {
		if (a[i].id < b[j].id)
			i++;
		else if (a[i].id > b[j].id)
			j++;
		else {
			n += a[i].h != b[j].h;
			i++;
			j++;
		}
	}
	return n;
}

int
bulk_import(struct store *st, FILE *in, const char *name,
    const struct bulk_opts *o)
{
	struct import		 im;
	struct reader		 r;
	struct resource_opts	 ro;
	struct store_bulk_summary sum;
	struct resource		*res = NULL;
	struct etag		*before = NULL, *after = NULL;
	size_t			 nbefore = 0, nafter = 0;
	struct col		 cols[BULK_FIELDS_MAX];
	enum bulk_format	 fmt = o->format;
	json_t			*row;
	json_error_t		 je;
	long long		 removed = 0;
	char			 why[256];
	int			 c, k, has[2] = { 0, 0 }, ret = -1;
	size_t			 ncols = 0, i;
	long			 line;

	memset(&im, 0, sizeof(im));
	memset(&r, 0, sizeof(r));
	im.st = st;
	im.o = o;
	im.name = name;
	r.f = in;
	r.name = name;
	r.line = 1;
	/*
	 * One audit row and the change rows of what it touched, instead of
	 * one of each per row written (migrate-8.sql).
	 */
	if ((im.b = store_bulk_new(st)) == NULL ||
	    store_bulk_quiet(im.b) != STORE_OK ||
	    store_bulk_domains(im.b, &im.domains) != STORE_OK ||
	    store_bulk_profiles(im.b, &im.profiles) != STORE_OK) {
		fprintf(BULK_ERR(o), "%s: %s\n", name, store_errmsg(st));
		goto done;
	}
	if (o->dry_run) {
		memset(&ro, 0, sizeof(ro));
		ro.max_age = 3600;
		ro.pending_max_age = 300;
		ro.max_output = 1 << 20;
		ro.max_depth = 32;
		ro.cache_bytes = 1;	/* every device once: no cache */
		ro.seal_key = o->seal_key;
		if ((res = resource_new(st, &ro)) == NULL ||
		    etags(&im, res, &before, &nbefore) != 0)
			goto done;
	}
	/* The format: by option, else by the first character. */
	if (fmt == BULK_AUTO) {
		while ((c = getc_unlocked(in)) == ' ' || c == '\t' ||
		    c == '\r' || c == '\n')
			if (c == '\n')
				r.line++;
		if (c != EOF)
			ungetc(c, in);
		fmt = c == '{' ? BULK_JSONL : BULK_CSV;
	}
	if (fmt == BULK_CSV) {
		line = r.line;
		if ((k = csv_record(&r, why, sizeof(why))) <= 0) {
			bad(&im, line, "%s", k < 0 ? why : "no header row");
			goto summary;
		}
		ncols = r.nf;
		if (csv_header(&im, &r, cols, has) != 0)
			goto summary;
		for (i = 0; i < ncols; i++)
			if (strcmp(cols[i].key, "device") == 0 &&
			    cols[i].kind == COL_ROW)
				break;
		if (i == ncols) {
			bad(&im, line, "the header has no device column");
			goto summary;
		}
	}
	while (!im.fatal) {
		line = r.line;
		if (fmt == BULK_CSV) {
			if ((k = csv_record(&r, why, sizeof(why))) == 0)
				break;
			if (k < 0) {
				bad(&im, line, "%s; stopped reading here", why);
				break;
			}
			if (r.nf == 1 && r.buf[0] == '\0')
				continue;	/* an empty line */
			if (r.nf != ncols) {
				im.rows++;
				bad(&im, line, "%zu fields, the header has %zu",
				    r.nf, ncols);
				continue;
			}
			row = csv_row(&r, cols, has);
		} else {
			if ((k = text_line(&r)) == 0)
				break;
			if (k < 0) {
				im.rows++;
				bad(&im, line, "a line longer than %d bytes",
				    BULK_RECORD_MAX);
				continue;
			}
			if (strspn(r.buf, " \t") == r.len)
				continue;
			row = json_loadb(r.buf, r.len, JSON_REJECT_DUPLICATES,
			    &je);
			if (row == NULL || !json_is_object(row)) {
				im.rows++;
				bad(&im, line, "%s", row ? "expected a JSON "
				    "object" : je.text);
				json_decref(row);
				continue;
			}
		}
		im.rows++;
		if (row == NULL) {
			fprintf(BULK_ERR(o), "%s: out of memory\n", name);
			goto done;
		}
		(void)row_apply(&im, line, row);
		json_decref(row);
	}
	if (im.fatal)
		goto done;
	if (ferror(in)) {
		fprintf(BULK_ERR(o), "%s: read error\n", name);
		goto done;
	}
	if (im.bad == 0 && o->replace &&
	    store_bulk_sweep(im.b, &removed) != STORE_OK) {
		fprintf(BULK_ERR(o), "%s: --replace: %s\n", name,
		    store_errmsg(st));
		goto done;
	}
summary:
	if (im.bad) {
		if (im.bad > BULK_ERRORS_MAX)
			fprintf(BULK_ERR(o), "%s: ... and %ld more bad rows\n",
			    name,
			    im.bad - BULK_ERRORS_MAX);
		fprintf(BULK_ERR(o), "%s: %ld bad row%s of %ld, nothing "
		    "imported\n",
		    name, im.bad, im.bad == 1 ? "" : "s", im.rows);
		goto done;
	}
	/* What is staged is sent before the ETags are rendered again. */
	if (o->dry_run && store_bulk_sync(im.b) != STORE_OK) {
		fprintf(BULK_ERR(o), "%s: %s\n", name, store_errmsg(st));
		goto done;
	}
	if (o->dry_run && etags(&im, res, &after, &nafter) != 0)
		goto done;
	memset(&sum, 0, sizeof(sum));
	sum.file = name;
	sum.replace = o->replace;
	sum.rows = im.rows;
	sum.added = im.added;
	sum.changed = im.changed;
	sum.unchanged = im.unchanged;
	sum.removed = removed;
	sum.users_added = im.users_added;
	sum.users_changed = im.users_changed;
	if (store_bulk_summary(im.b, &sum) != STORE_OK) {
		fprintf(BULK_ERR(o), "%s: %s\n", name, store_errmsg(st));
		goto done;
	}
	fprintf(BULK_OUT(o), "%s%ld rows: %ld devices added, %ld changed, "
	    "%ld unchanged, "
	    "%lld removed\n", o->dry_run ? "dry run, nothing written: " : "",
	    im.rows, im.added, im.changed, im.unchanged, removed);
	if (o->dry_run)
		fprintf(BULK_OUT(o), "configurations that would change (ETags "
		    "rendered "
		    "before and after): %ld of %zu existing devices, plus %ld "
		    "new and %lld removed\n", etags_changed(before, nbefore,
		    after, nafter), nbefore, im.added, removed);
	ret = 0;
done:
	for (i = 0; i < ncols; i++)
		free(cols[i].key);
	if (res) {
		resource_release_store(res);
		resource_free(res);
	}
	free(before);
	free(after);
	free(r.buf);
	json_decref(im.domains);
	json_decref(im.profiles);
	store_bulk_free(im.b);
	return ret;
}

/* ----------------------------------------------------------- the export */

struct export {
	FILE			*out;
	const struct bulk_opts	*o;
	enum bulk_format	 fmt;
	int			 maxpos;
	json_t			*varnames;
};

/* RFC 4180 §2: quote a field holding a comma, a quote or a line end. */
static void
csv_cell(FILE *f, const char *s, int first)
{
	if (!first)
		fputc(',', f);
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/*
 * A variable's cell: a string as itself when it would not parse as
 * JSON (as `var set` reads it back), anything else as JSON.
 */
static char *
var_cell(const json_t *v)
{
	json_t	*p;

	if (json_is_string(v) && (p = json_loads(json_string_value(v),
	    JSON_DECODE_ANY, NULL)) == NULL)
		return strdup(json_string_value(v));
	if (json_is_string(v))
		json_decref(p);
	return json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
}

/* A line's password for the file: opened from its sealed copy, or NULL. */
static int
line_password(const struct export *x, const json_t *l, char *pw, size_t len)
{
	const char	*s = json_string_value(json_object_get(l,
	    "password_sealed"));

	return x->o->seal_key && s && *s && seal_open(x->o->seal_key,
	    "line-password", s, pw, len) == 0 ? 0 : -1;
}

static int
export_device(void *arg, const struct store_bulk_device *d, json_t *lines,
    json_t *vars)
{
	struct export	*x = arg;
	json_t		*row, *ls, *l, *v, *byp[BULK_LINES_MAX + 1] = { 0 };
	const char	*k;
	char		 pw[SEAL_VALUE_MAX + 1], *s;
	size_t		 i;
	int		 p, ret = -1;
	static const char *const lk[] = { "aor", "username", "realm", "proxy",
	    "display", NULL };

	if (x->fmt == BULK_JSONL) {
		row = json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:s, s:s?, "
		    "s:s?}", "domain", d->domain, "device", d->sfua_id, "mac",
		    *d->mac ? d->mac : NULL, "vendor", *d->vendor ? d->vendor :
		    NULL, "model", *d->model ? d->model : NULL, "label",
		    *d->label ? d->label : NULL, "state", d->state, "profile",
		    *d->profile ? d->profile : NULL, "user", *d->user ? d->user :
		    NULL);
		if (row && x->o->secrets && *d->user) {
			json_object_set_new(row, "ha1_md5",
			    json_string(d->ha1_md5));
			json_object_set_new(row, "ha1_sha256",
			    json_string(d->ha1_sha256));
		}
		ls = json_array();
		json_array_foreach(lines, i, l) {
			json_t *o = json_pack("{s:O, s:O, s:O, s:O}",
			    "position", json_object_get(l, "position"), "aor",
			    json_object_get(l, "aor"), "username",
			    json_object_get(l, "username"), "realm",
			    json_object_get(l, "realm"));
			for (p = 3; p < 5; p++) {
				k = json_string_value(json_object_get(l, lk[p]));
				json_object_set_new(o, lk[p], k && *k ?
				    json_string(k) : json_null());
			}
			if (x->o->secrets) {
				if (line_password(x, l, pw, sizeof(pw)) == 0)
					json_object_set_new(o, "password",
					    json_string(pw));
				else
					json_object_set(o, "ha1",
					    json_object_get(l, "ha1"));
			}
			json_array_append_new(ls, o);
		}
		json_object_set_new(row, "lines", ls);
		json_object_set(row, "vars", vars);
		s = json_dumps(row, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(row);
		if (s == NULL)
			goto done;
		fputs(s, x->out);
		fputc('\n', x->out);
		util_wipe(s, strlen(s));
		free(s);
	} else {
		csv_cell(x->out, d->domain, 1);
		csv_cell(x->out, d->sfua_id, 0);
		csv_cell(x->out, d->mac, 0);
		csv_cell(x->out, d->vendor, 0);
		csv_cell(x->out, d->model, 0);
		csv_cell(x->out, d->label, 0);
		csv_cell(x->out, d->state, 0);
		csv_cell(x->out, d->profile, 0);
		csv_cell(x->out, d->user, 0);
		if (x->o->secrets) {
			csv_cell(x->out, d->ha1_md5, 0);
			csv_cell(x->out, d->ha1_sha256, 0);
		}
		json_array_foreach(lines, i, l) {
			json_int_t q = json_integer_value(json_object_get(l,
			    "position"));
			if (q >= 1 && q <= BULK_LINES_MAX)
				byp[q] = l;
		}
		for (p = 1; p <= x->maxpos; p++) {
			for (i = 0; lk[i]; i++)
				csv_cell(x->out, byp[p] ? json_string_value(
				    json_object_get(byp[p], lk[i])) : "", 0);
			if (!x->o->secrets)
				continue;
			if (byp[p] && line_password(x, byp[p], pw,
			    sizeof(pw)) == 0) {
				csv_cell(x->out, pw, 0);
				csv_cell(x->out, "", 0);
			} else {
				csv_cell(x->out, "", 0);
				csv_cell(x->out, byp[p] ? json_string_value(
				    json_object_get(byp[p], "ha1")) : "", 0);
			}
		}
		json_array_foreach(x->varnames, i, v) {
			json_t *val = json_object_get(vars,
			    json_string_value(v));
			s = val ? var_cell(val) : NULL;
			csv_cell(x->out, s ? s : "", 0);
			free(s);
		}
		fputc('\n', x->out);
	}
	ret = ferror(x->out) ? -1 : 0;
done:
	util_wipe(pw, sizeof(pw));
	json_decref(lines);
	json_decref(vars);
	return ret;
}

int
bulk_export(struct store *st, FILE *out, const struct bulk_opts *o)
{
	struct store_bulk	*b;
	struct export		 x;
	size_t			 i;
	json_t			*v;
	int			 p, ret = -1;
	static const char *const lk[] = { "aor", "username", "realm", "proxy",
	    "display", "password", "ha1", NULL };

	memset(&x, 0, sizeof(x));
	x.out = out;
	x.o = o;
	x.fmt = o->format == BULK_JSONL ? BULK_JSONL : BULK_CSV;
	if ((b = store_bulk_new(st)) == NULL)
		goto fail;
	if (x.fmt == BULK_CSV) {
		if (store_bulk_columns(b, &x.maxpos, &x.varnames) != STORE_OK)
			goto fail;
		fputs("domain,device,mac,vendor,model,label,state,profile,user",
		    out);
		if (o->secrets)
			fputs(",ha1_md5,ha1_sha256", out);
		for (p = 1; p <= x.maxpos; p++)
			for (i = 0; lk[i] && (o->secrets || i < 5); i++)
				fprintf(out, ",line%d.%s", p, lk[i]);
		json_array_foreach(x.varnames, i, v) {
			char h[80];

			snprintf(h, sizeof(h), "var.%s", json_string_value(v));
			csv_cell(out, h, 0);
		}
		fputc('\n', out);
	}
	if (store_bulk_export(b, o->secrets, export_device, &x) != STORE_OK)
		goto fail;
	if (fflush(out) != 0) {
		fprintf(BULK_ERR(o), "export: cannot write\n");
		goto done;
	}
	ret = 0;
	goto done;
fail:
	fprintf(BULK_ERR(o), "export: %s\n", store_errmsg(st));
done:
	json_decref(x.varnames);
	store_bulk_free(b);
	return ret;
}
