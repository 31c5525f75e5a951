/*
 * admin_http: the admin listener (issue 14 §2-4): the REST API under
 * /api/v1/, the web console's static files under /console/ and the
 * Prometheus metrics at /metrics, over TLS on admin_listen (loopback
 * unless the operator names another address; sipcfgd.conf(5)).
 *
 * The API is a second front-end over the admin library (admin.h): each
 * route names a command of the library's table; path segments become
 * its arguments, the JSON body's fields (or a GET's query parameters)
 * its options, and the command's JSON output the answer.  No rule is
 * written here, so the CLI and the API cannot disagree.  What is here:
 *
 *  - bearer tokens (`sipcfg token add`): a read token may GET, a write
 *    token may do anything; the audit session of a change names the
 *    token (issue 6's trail);
 *  - errors as application/problem+json (RFC 9457), one line of detail;
 *  - strong ETags on resources (RFC 9110 §8.8.3): a hash of the
 *    resource's representation without what devices change by fetching
 *    (last seen, User-Agent); a change needs If-Match (RFC 9110
 *    §13.1.1): 428 without it (RFC 6585 §3), 412 when stale, checked in
 *    the change's own transaction;
 *  - lists paginated by limit and offset, filtered by the command's own
 *    options;
 *  - the OpenAPI 3 document (doc/openapi.json), compiled in.
 *
 * One thread serves the listener, with one store connection of its own:
 * operator requests are few, and a change is one transaction.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>
#include <openssl/evp.h>

#include "admin.h"
#include "admin_http.h"
#include "buf.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "openapi_json.h"
#include "store.h"
#include "util.h"

#define BODY_MAX	(1 << 20)	/* a template, an import */
#define LIST_DEFAULT	100
#define LIST_LIMIT	1000
#define PARAMS_MAX	8
#define STATIC_MAX	(4 << 20)

/* The console's and the API's Content-Security-Policy. */
#define CSP_CONSOLE	"default-src 'none'; script-src 'self'; " \
	"style-src 'self'; img-src 'self'; connect-src 'self'; " \
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
#define CSP_API		"default-src 'none'; frame-ancestors 'none'"

struct admin_http {
	struct MHD_Daemon	*d;
	const struct config	*cfg;
	char			*cert, *key;
	struct store		*st;	/* the listener thread's own */
};

/* A resource's representation: what its ETag is a hash of. */
struct rep {
	const char	*noun, *verb;	/* "device show", or a list */
	const char	*pick;		/* the list's key field; NULL: show */
	const char	*volatile_keys;	/* left out of the ETag */
};

enum {
	R_LIST		= 1 << 0,	/* an array: paginated, in "items" */
	R_CREATED	= 1 << 1,	/* 201 and Location */
	R_NOCONTENT	= 1 << 2,	/* 204 */
	R_IFMATCH	= 1 << 3,	/* the resource must match If-Match */
	R_SHOW		= 1 << 4,	/* the representation itself */
	R_RAW		= 1 << 5,	/* the body is the command's input */
	R_UPSERT	= 1 << 6	/* If-Match only when it exists */
};

struct route {
	const char	*method;
	const char	*path;		/* "{x}" binds a segment */
	const char	*noun, *verb;
	/*
	 * The command's arguments, space-separated: "{x}" a path segment,
	 * "@f" the body's (or query's) field f, "@f?" the same if present,
	 * "=v" the word v.
	 */
	const char	*pos;
	const char	*in;		/* a body field read as its input */
	const char	*force;		/* options always given */
	const struct rep *rep;		/* its resource, keyed by pos[0] */
	int		 flags;
};

static const struct rep rep_device = { "device", "show", NULL,
	"last_fetch last_etag last_addr last_ua ua_vendor ua_model "
	"ua_firmware fetches revision" };
static const struct rep rep_user = { "user", "list", "name", "" };
static const struct rep rep_template = { "template", "list", "name", "" };
static const struct rep rep_profile = { "profile", "list", "name", "" };
static const struct rep rep_domain = { "domain", "list", "name", "" };
static const struct rep rep_token = { "token", "list", "name",
	"last_used" };
static const struct rep rep_path = { "path", "list", "pattern", "" };
static const struct rep rep_checksync = { "checksync", "list", "vendor",
	"" };

/* The routes; doc/openapi.json describes each (tests/e2e/api.sh). */
static const struct route routes[] = {
	{ "GET", "/api/v1/devices", "device", "list", "", NULL, NULL, NULL,
	    R_LIST },
	{ "POST", "/api/v1/devices", "device", "add", "@device", NULL, NULL,
	    &rep_device, R_CREATED },
	{ "GET", "/api/v1/devices/duplicates", "device", "duplicates", "",
	    NULL, NULL, NULL, R_LIST },
	{ "GET", "/api/v1/devices/{dev}", NULL, NULL, "{dev}", NULL, NULL,
	    &rep_device, R_SHOW },
	{ "PATCH", "/api/v1/devices/{dev}", "device", "set", "{dev}", NULL,
	    NULL, &rep_device, R_IFMATCH },
	{ "DELETE", "/api/v1/devices/{dev}", "device", "rm", "{dev}", NULL,
	    NULL, &rep_device, R_IFMATCH | R_NOCONTENT },
	{ "GET", "/api/v1/devices/{dev}/config", "render", NULL, "{dev}",
	    NULL, "--masked", NULL, 0 },
	{ "GET", "/api/v1/devices/{dev}/explain", "explain", NULL, "{dev}",
	    NULL, NULL, NULL, 0 },
	{ "GET", "/api/v1/devices/{dev}/history", "device", "history",
	    "{dev}", NULL, NULL, NULL, R_LIST },
	{ "GET", "/api/v1/devices/{dev}/lines", "line", "list", "{dev}",
	    NULL, NULL, NULL, R_LIST },
	{ "POST", "/api/v1/devices/{dev}/lines", "line", "add", "{dev}",
	    "password", NULL, &rep_device, R_IFMATCH },
	{ "DELETE", "/api/v1/devices/{dev}/lines/{position}", "line", "rm",
	    "{dev} {position}", NULL, NULL, &rep_device,
	    R_IFMATCH | R_NOCONTENT },
	{ "DELETE", "/api/v1/devices/{dev}/pin", "device", "unpin", "{dev}",
	    NULL, NULL, &rep_device, R_IFMATCH | R_NOCONTENT },
	{ "POST", "/api/v1/devices/{dev}/notify", "notify", NULL, "{dev}",
	    NULL, NULL, NULL, 0 },
	{ "GET", "/api/v1/drift", "drift", NULL, "", NULL, NULL, NULL,
	    R_LIST },
	{ "GET", "/api/v1/subscriptions", "subs", NULL, "@device?", NULL,
	    NULL, NULL, R_LIST },
	{ "POST", "/api/v1/notify", "notify", NULL, "", NULL, NULL, NULL, 0 },
	{ "GET", "/api/v1/users", "user", "list", "", NULL, NULL, NULL,
	    R_LIST },
	{ "POST", "/api/v1/users", "user", "add", "@name", "password", NULL,
	    &rep_user, R_CREATED },
	{ "GET", "/api/v1/users/{name}", NULL, NULL, "{name}", NULL, NULL,
	    &rep_user, R_SHOW },
	{ "DELETE", "/api/v1/users/{name}", "user", "rm", "{name}", NULL,
	    NULL, &rep_user, R_IFMATCH | R_NOCONTENT },
	{ "POST", "/api/v1/users/{name}/password", "user", "passwd", "{name}",
	    "password", NULL, &rep_user, R_IFMATCH },
	{ "POST", "/api/v1/users/{name}/otp", "user", "otp", "{name}", NULL,
	    NULL, &rep_user, R_IFMATCH },
	{ "GET", "/api/v1/templates", "template", "list", "", NULL, NULL,
	    NULL, R_LIST },
	{ "GET", "/api/v1/templates/{name}", NULL, NULL, "{name}", NULL, NULL,
	    &rep_template, R_SHOW },
	{ "GET", "/api/v1/templates/{name}/body", "template", "show",
	    "{name}", NULL, NULL, NULL, 0 },
	{ "PUT", "/api/v1/templates/{name}", "template", "add", "{name} =-",
	    "body", NULL, &rep_template, R_IFMATCH | R_UPSERT },
	{ "DELETE", "/api/v1/templates/{name}", "template", "rm", "{name}",
	    NULL, NULL, &rep_template, R_IFMATCH | R_NOCONTENT },
	{ "GET", "/api/v1/vars", "var", "show", "@layer? @scope?", NULL, NULL,
	    NULL, R_LIST },
	{ "PUT", "/api/v1/vars/{layer}/{name}", "var", "set",
	    "{layer} {name} @value", NULL, NULL, NULL, 0 },
	{ "PUT", "/api/v1/vars/{layer}/{scope}/{name}", "var", "set",
	    "{layer} {scope} {name} @value", NULL, NULL, NULL, 0 },
	{ "DELETE", "/api/v1/vars/{layer}/{name}", "var", "unset",
	    "{layer} {name}", NULL, NULL, NULL, R_NOCONTENT },
	{ "DELETE", "/api/v1/vars/{layer}/{scope}/{name}", "var", "unset",
	    "{layer} {scope} {name}", NULL, NULL, NULL, R_NOCONTENT },
	{ "GET", "/api/v1/profiles", "profile", "list", "", NULL, NULL, NULL,
	    R_LIST },
	{ "GET", "/api/v1/profiles/{name}", NULL, NULL, "{name}", NULL, NULL,
	    &rep_profile, R_SHOW },
	{ "PATCH", "/api/v1/profiles/{name}", "profile", "set", "{name}",
	    NULL, NULL, &rep_profile, R_IFMATCH | R_UPSERT },
	{ "GET", "/api/v1/domains", "domain", "list", "", NULL, NULL, NULL,
	    R_LIST },
	{ "GET", "/api/v1/domains/{name}", NULL, NULL, "{name}", NULL, NULL,
	    &rep_domain, R_SHOW },
	{ "GET", "/api/v1/paths", "path", "list", "", NULL, NULL, NULL,
	    R_LIST },
	{ "POST", "/api/v1/paths", "path", "add", "@pattern", NULL, NULL,
	    &rep_path, R_CREATED },
	{ "GET", "/api/v1/paths/{pattern}", NULL, NULL, "{pattern}", NULL,
	    NULL, &rep_path, R_SHOW },
	{ "DELETE", "/api/v1/paths/{pattern}", "path", "rm", "{pattern}",
	    NULL, NULL, &rep_path, R_IFMATCH | R_NOCONTENT },
	{ "GET", "/api/v1/checksync", "checksync", "list", "", NULL, NULL,
	    NULL, R_LIST },
	{ "GET", "/api/v1/checksync/{vendor}", NULL, NULL, "{vendor}", NULL,
	    NULL, &rep_checksync, R_SHOW },
	{ "PATCH", "/api/v1/checksync/{vendor}", "checksync", "set",
	    "{vendor}", NULL, NULL, &rep_checksync, R_IFMATCH | R_UPSERT },
	{ "GET", "/api/v1/audit", "audit", NULL, "", NULL, NULL, NULL,
	    R_LIST },
	{ "POST", "/api/v1/import", "import", NULL, "=-", NULL, NULL, NULL,
	    R_RAW },
	{ "GET", "/api/v1/tokens", "token", "list", "", NULL, NULL, NULL,
	    R_LIST },
	{ "POST", "/api/v1/tokens", "token", "add", "@name", NULL, NULL,
	    &rep_token, R_CREATED },
	{ "GET", "/api/v1/tokens/{name}", NULL, NULL, "{name}", NULL, NULL,
	    &rep_token, R_SHOW },
	{ "DELETE", "/api/v1/tokens/{name}", "token", "rm", "{name}", NULL,
	    NULL, &rep_token, R_IFMATCH | R_NOCONTENT },
};
#define NROUTES	(sizeof(routes) / sizeof(routes[0]))

/* One request: its body, as it arrives. */
struct conn {
	struct buf	 body;
	int		 too_big;
};

/* What the handler knows of the caller and the request. */
struct req {
	struct admin_http	*h;
	struct MHD_Connection	*c;
	const char		*method, *url;
	const char		*body;
	size_t			 bodylen;
	json_t			*fields;	/* the body, or the query */
	struct store_token	 tok;
	char			 addr[INET6_ADDRSTRLEN];
	unsigned		 status;	/* the answer's, for metrics */
	/* Path parameters, by name. */
	const char		*pname[PARAMS_MAX];
	char			 pval[PARAMS_MAX][512];
	int			 np;
};

/* ---------------------------------------------------------- responses */

static enum MHD_Result
send_body(struct req *r, unsigned status, const char *type, char *body,
    size_t len, const char *etag, const char *location)
{
	struct MHD_Response	*res;
	enum MHD_Result		 ret;

	res = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (res == NULL) {
		free(body);
		return MHD_NO;
	}
	if (type != NULL)
		MHD_add_response_header(res, "Content-Type", type);
	MHD_add_response_header(res, "Cache-Control", "no-store");
	MHD_add_response_header(res, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(res, "Content-Security-Policy", CSP_API);
	if (etag != NULL && *etag)
		MHD_add_response_header(res, "ETag", etag);
	if (location != NULL)
		MHD_add_response_header(res, "Location", location);
	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(res, "WWW-Authenticate",
		    "Bearer realm=\"sipcfg admin\"");
	ret = MHD_queue_response(r->c, status, res);
	MHD_destroy_response(res);
	r->status = status;
	log_access("admin %s %s \"%s %s\" %u", r->addr, r->tok.name[0] ?
	    r->tok.name : "-", r->method, r->url, status);
	return ret;
}

static enum MHD_Result
send_json(struct req *r, unsigned status, json_t *o, const char *etag,
    const char *location)
{
	char	*s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
	    JSON_ENCODE_ANY);
	size_t	 n;

	json_decref(o);
	if (s == NULL)
		return MHD_NO;
	n = strlen(s);
	return send_body(r, status, "application/json", s, n, etag,
	    location);
}

static const char *
reason_of(unsigned status)
{
	const char	*p = MHD_get_reason_phrase_for(status);

	return p && *p ? p : "Error";
}

/* RFC 9457: a problem document, its detail in one line. */
static enum MHD_Result
problem(struct req *r, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static enum MHD_Result
problem(struct req *r, unsigned status, const char *fmt, ...)
{
	va_list	 ap;
	char	 detail[600], *s;
	json_t	*o;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	detail[strcspn(detail, "\r\n")] = '\0';
	/* What a request named is echoed: as ASCII, never as is. */
	for (s = detail; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			*s = '?';
	o = json_pack("{s:s, s:s, s:i, s:s}", "type", "about:blank", "title",
	    reason_of(status), "status", (int)status, "detail", detail);
	if (o == NULL || (s = json_dumps(o, JSON_INDENT(2) |
	    JSON_PRESERVE_ORDER)) == NULL) {
		json_decref(o);
		return MHD_NO;
	}
	json_decref(o);
	return send_body(r, status, "application/problem+json", s, strlen(s),
	    NULL, NULL);
}

/* ------------------------------------------------------ running commands */

/* One call's I/O: output and errors in memory, input from a string. */
struct call {
	struct admin_io	 io;
	char		*out, *errs;
	size_t		 outlen, errlen;
};

static int
call_open(struct call *k, struct admin_http *h, const char *in, size_t inlen)
{
	FILE	*o, *e, *i;

	memset(k, 0, sizeof(*k));
	o = open_memstream(&k->out, &k->outlen);
	e = open_memstream(&k->errs, &k->errlen);
	/* fmemopen() refuses a size of 0: an empty input is "\n"-less. */
	i = fmemopen(inlen ? (void *)in : (void *)"", inlen ? inlen : 1, "r");
	if (o == NULL || e == NULL || i == NULL) {
		if (o)
			fclose(o);
		if (e)
			fclose(e);
		if (i)
			fclose(i);
		free(k->out);
		free(k->errs);
		return -1;
	}
	if (inlen == 0)
		(void)fgetc(i);		/* at its end: no input */
	admin_io_init(&k->io, o, i, e);
	k->io.progname = "api";
	k->io.store = h->cfg->store;
	k->io.seal_given = 1;
	k->io.seal_key = h->cfg->have_seal_key ? h->cfg->seal_key : NULL;
	adm = &k->io;
	return 0;
}

static void
call_close(struct call *k)
{
	fclose(k->io.out);
	fclose(k->io.in);
	fclose(k->io.errout);
	if (k->io.after_commit != NULL) {
		util_wipe(k->io.after_commit, strlen(k->io.after_commit));
		free(k->io.after_commit);
	}
	if (k->out != NULL)
		util_wipe(k->out, k->outlen);
	free(k->out);
	free(k->errs);
	adm = NULL;
}

/* The command's JSON output (or its after-commit output); NULL: none. */
static json_t *
call_result(struct call *k)
{
	const char	*t;

	fflush(k->io.out);
	t = k->io.after_commit ? k->io.after_commit : k->out;
	if (t == NULL || strspn(t, " \t\r\n") == strlen(t))
		return NULL;
	return json_loads(t, JSON_DECODE_ANY, NULL);
}

/* ------------------------------------------------------------ the ETag */

/*
 * A strong ETag: the first 128 bits of SHA-256 over the representation
 * in canonical form (keys sorted, compact), without its volatile keys.
 */
static void
etag_of(const json_t *o, const char *volatile_keys, char *out, size_t len)
{
	json_t		*c = json_deep_copy(o);
	char		*s, key[64];
	const char	*p = volatile_keys;
	unsigned char	 h[EVP_MAX_MD_SIZE];
	unsigned int	 n = 0;
	char		 hex[2 * EVP_MAX_MD_SIZE + 1];
	size_t		 k;

	out[0] = '\0';
	if (c == NULL)
		return;
	while (json_is_object(c) && p && *p) {
		k = strcspn(p, " ");
		snprintf(key, sizeof(key), "%.*s", (int)k, p);
		json_object_del(c, key);
		p += k + (p[k] == ' ');
	}
	s = json_dumps(c, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(c);
	if (s != NULL && EVP_Digest(s, strlen(s), h, &n, EVP_sha256(), NULL) &&
	    n >= 16) {
		util_hex(h, 16, hex);
		snprintf(out, len, "\"%s\"", hex);
	}
	free(s);
}

/*
 * The representation of rep's resource named key, read now (inside the
 * caller's transaction, for If-Match); NULL with *status 404 when there
 * is none.
 */
static json_t *
rep_read(struct admin_http *h, const struct rep *rep, const char *key,
    int64_t domain, unsigned *status, char *err, size_t errlen)
{
	const struct cmd	*c = admin_find(rep->noun, rep->verb);
	struct admin_io		*saved = adm;
	struct call		 k;
	struct args		 a;
	json_t			*res = NULL, *row;
	size_t			 i;
	int			 rc;

	*status = 500;
	snprintf(err, errlen, "cannot read it");
	if (c == NULL || call_open(&k, h, NULL, 0) != 0) {
		adm = saved;
		return NULL;
	}
	k.io.domain = domain;
	memset(&a, 0, sizeof(a));
	a.json = 1;
	if (rep->pick == NULL) {
		a.pos[0] = key;
		a.npos = 1;
	}
	rc = c->fn(h->st, &a);
	res = rc == 0 ? call_result(&k) : NULL;
	if (rc != 0) {
		*status = (unsigned)(k.io.status ? k.io.status : 400);
		snprintf(err, errlen, "%s", k.io.error);
	} else if (rep->pick != NULL) {
		row = NULL;
		json_array_foreach(res, i, row) {
			const char *v = json_string_value(json_object_get(row,
			    rep->pick));

			if (v != NULL && strcmp(v, key) == 0)
				break;
			row = NULL;
		}
		if (row != NULL)
			json_incref(row);
		json_decref(res);
		res = row;
		if (res == NULL) {
			*status = 404;
			snprintf(err, errlen, "%s: not found", key);
		}
	}
	call_close(&k);
	adm = saved;
	return res;
}

/* RFC 9110 §13.1.1: If-Match, strong comparison; "*" is any. */
static int
if_match(const char *hdr, const char *etag)
{
	const char	*p = hdr;
	size_t		 n, el = strlen(etag);

	while (*p) {
		p += strspn(p, " \t,");
		n = strcspn(p, ",");
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if ((n == 1 && *p == '*') || (n == el && el > 0 &&
		    memcmp(p, etag, n) == 0))
			return 1;
		p += n;
		p += strcspn(p, ",");
	}
	return 0;
}

/* The If-Match check of a change, run in its transaction. */
struct precond {
	struct req		*r;
	const struct route	*rt;
	const char		*key;
	const char		*want;	/* If-Match, NULL: none given */
	int64_t			 domain;
	unsigned		 status;
	char			 detail[600];
};

static int
precond_check(struct store *st, void *arg)
{
	struct precond	*p = arg;
	struct admin_io	*saved = adm;
	char		 etag[64];
	json_t		*o;

	(void)st;
	o = rep_read(p->r->h, p->rt->rep, p->key, p->domain, &p->status,
	    p->detail, sizeof(p->detail));
	adm = saved;
	if (o == NULL) {
		/* An upsert of what is not there: nothing to overwrite. */
		if (p->status == 404 && (p->rt->flags & R_UPSERT)) {
			if (p->want != NULL && strcmp(p->want, "*") == 0) {
				p->status = 412;
				snprintf(p->detail, sizeof(p->detail), "%s does "
				    "not exist (If-Match: *)", p->key);
				return -1;
			}
			p->status = 0;
			p->detail[0] = '\0';
			return 0;
		}
		return -1;
	}
	p->status = 0;
	p->detail[0] = '\0';
	etag_of(o, p->rt->rep->volatile_keys, etag, sizeof(etag));
	json_decref(o);
	if (p->want == NULL) {
		p->status = 428;
		snprintf(p->detail, sizeof(p->detail), "If-Match required: GET "
		    "the resource and send its ETag, so that no change made "
		    "meanwhile is overwritten");
		return -1;
	}
	if (!if_match(p->want, etag)) {
		p->status = 412;
		snprintf(p->detail, sizeof(p->detail), "%s changed since you "
		    "read it (ETag now %s): read it again", p->key, etag);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------- routing */

static int
route_match(const struct route *rt, const char *method, const char *url,
    struct req *r)
{
	const char	*p = rt->path, *u = url;
	size_t		 pn, un;

	if (strcmp(rt->method, method) != 0)
		return 0;
	r->np = 0;
	while (*p && *u) {
		if (*p != '/' || *u != '/')
			return 0;
		p++;
		u++;
		pn = strcspn(p, "/");
		un = strcspn(u, "/");
		if (*p == '{') {
			if (un == 0 || un >= sizeof(r->pval[0]) ||
			    r->np == PARAMS_MAX)
				return 0;
			r->pname[r->np] = p;
			snprintf(r->pval[r->np], sizeof(r->pval[0]), "%.*s",
			    (int)un, u);
			r->np++;
		} else if (pn != un || memcmp(p, u, pn) != 0)
			return 0;
		p += pn;
		u += un;
	}
	return *p == '\0' && *u == '\0';
}

/* Is there a route of another method for url?  (405, not 404.) */
static int
path_known(const char *url, struct req *r)
{
	size_t	 i;

	for (i = 0; i < NROUTES; i++)
		if (route_match(&routes[i], routes[i].method, url, r))
			return 1;
	return 0;
}

static const char *
param(const struct req *r, const char *name, size_t n)
{
	int	 i;

	for (i = 0; i < r->np; i++)
		if (strncmp(r->pname[i] + 1, name, n) == 0 &&
		    r->pname[i][1 + n] == '}')
			return r->pval[i];
	return NULL;
}

/* A field's value as an argument or option value; NULL: not scalar. */
static const char *
scalar(const json_t *v, char *buf, size_t len)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
		return buf;
	}
	if (json_is_real(v)) {
		snprintf(buf, len, "%g", json_real_value(v));
		return buf;
	}
	return NULL;
}

/* Storage for the arguments and options built from a request. */
struct argv_store {
	char	 val[ADMIN_MAXPOS + ADMIN_MAXOPT][1024];
	char	 name[ADMIN_MAXOPT][80];
	int	 n;
};

static const char *
keep(struct argv_store *s, const char *v)
{
	if (s->n == ADMIN_MAXPOS + ADMIN_MAXOPT || strlen(v) >=
	    sizeof(s->val[0]))
		return NULL;
	snprintf(s->val[s->n], sizeof(s->val[0]), "%s", v);
	return s->val[s->n++];
}

/*
 * The command's arguments and options from the route, the path and the
 * fields.  Every field must be an argument, the input, or an option the
 * command has: anything else is refused by name.  0, or an HTTP status
 * with detail.
 */
static unsigned
build_args(struct req *r, const struct route *rt, const struct cmd *c,
    struct args *a, struct argv_store *s, json_t *fields, char *detail,
    size_t dlen)
{
	const char	*p = rt->pos, *v, *key;
	char		 word[64], num[64], oname[80];
	size_t		 n;
	json_t		*val;
	int		 takes, optional;

	memset(a, 0, sizeof(*a));
	s->n = 0;
	a->json = 1;
	while (*p) {
		p += strspn(p, " ");
		n = strcspn(p, " ");
		if (n == 0)
			break;
		snprintf(word, sizeof(word), "%.*s", (int)n, p);
		p += n;
		v = NULL;
		if (word[0] == '{')
			v = param(r, word + 1, strlen(word) - 2);
		else if (word[0] == '=')
			v = word + 1;
		else if (word[0] == '@') {
			optional = word[strlen(word) - 1] == '?';
			if (optional)
				word[strlen(word) - 1] = '\0';
			val = json_object_get(fields, word + 1);
			if (val == NULL && optional)
				continue;
			if (val == NULL) {
				snprintf(detail, dlen, "%s: required",
				    word + 1);
				return 400;
			}
			if ((v = scalar(val, num, sizeof(num))) == NULL) {
				snprintf(detail, dlen, "%s: expected a string "
				    "or a number", word + 1);
				return 400;
			}
			/* Kept before the field (and its string) goes. */
			if (a->npos == ADMIN_MAXPOS || (v = keep(s, v)) ==
			    NULL) {
				snprintf(detail, dlen, "%s: too long",
				    word + 1);
				return 400;
			}
			json_object_del(fields, word + 1);
			a->pos[a->npos++] = v;
			continue;
		}
		if (v == NULL || a->npos == ADMIN_MAXPOS ||
		    (v = keep(s, v)) == NULL) {
			snprintf(detail, dlen, "%s: missing or too long",
			    word);
			return 400;
		}
		a->pos[a->npos++] = v;
	}
	if (rt->force != NULL) {
		a->oname[a->nopt] = rt->force;
		a->oval[a->nopt++] = NULL;
	}
	json_object_foreach(fields, key, val) {
		if (rt->in != NULL && strcmp(key, rt->in) == 0)
			continue;
		if (strcmp(key, "limit") == 0 || strcmp(key, "offset") == 0 ||
		    strcmp(key, "domain") == 0)
			continue;
		if (strlen(key) > 60 || strspn(key,
		    "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(key)) {
			snprintf(detail, dlen, "unknown field: %.60s", key);
			return 400;
		}
		snprintf(oname, sizeof(oname), "--%s", key);
		for (n = 2; oname[n]; n++)
			if (oname[n] == '_')
				oname[n] = '-';
		if ((takes = admin_optspec(c->opts, oname)) < 0) {
			snprintf(detail, dlen, "unknown field: %s (%s takes: "
			    "%s)", key, c->usage, *c->opts ? c->opts :
			    "no options");
			return 400;
		}
		if (a->nopt == ADMIN_MAXOPT) {
			snprintf(detail, dlen, "too many fields");
			return 400;
		}
		snprintf(s->name[a->nopt], sizeof(s->name[0]), "%s", oname);
		a->oname[a->nopt] = s->name[a->nopt];
		if (!takes) {
			/* A flag: true gives it, false leaves it out. */
			if (json_is_false(val) || (json_is_string(val) &&
			    strcmp(json_string_value(val), "false") == 0))
				continue;
			if (!json_is_true(val) && !(json_is_string(val) &&
			    strcmp(json_string_value(val), "true") == 0)) {
				snprintf(detail, dlen, "%s: expected true or "
				    "false", key);
				return 400;
			}
			a->oval[a->nopt++] = NULL;
			continue;
		}
		if ((v = scalar(val, num, sizeof(num))) == NULL ||
		    (v = keep(s, v)) == NULL) {
			snprintf(detail, dlen, "%s: expected a string or a "
			    "number", key);
			return 400;
		}
		a->oval[a->nopt++] = v;
	}
	return 0;
}

/* --------------------------------------------------------------- auth */

/* The bearer token: 0 when it may, else a status (and detail). */
static unsigned
authorize(struct req *r, int write, char *detail, size_t dlen)
{
	const char	*hv = MHD_lookup_connection_value(r->c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION);
	char		 hash[ADMIN_TOKEN_HASH_LEN];
	enum store_rc	 rc;
	time_t		 now = time(NULL);

	if (hv == NULL || strncasecmp(hv, "Bearer ", 7) != 0) {
		snprintf(detail, dlen, "a bearer token is required "
		    "(sipcfg token add NAME --scope read|write)");
		return 401;
	}
	hv += 7;
	hv += strspn(hv, " ");
	if (!admin_token_wellformed(hv) || admin_token_hash(hv, hash) != 0) {
		snprintf(detail, dlen, "not a sipcfg token");
		return 401;
	}
	/* Looked up by its hash: the token itself is never compared. */
	rc = store_token_by_hash(r->h->st, hash, &r->tok);
	if (rc == STORE_NOTFOUND) {
		snprintf(detail, dlen, "unknown or removed token");
		return 401;
	}
	if (rc != STORE_OK) {
		snprintf(detail, dlen, "store unavailable: %s",
		    store_errmsg(r->h->st));
		return 503;
	}
	if (r->tok.expires > 0 && r->tok.expires <= now) {
		snprintf(detail, dlen, "token %s expired", r->tok.name);
		r->tok.name[0] = '\0';
		return 401;
	}
	if (write && strcmp(r->tok.scope, "write") != 0) {
		snprintf(detail, dlen, "token %s has scope %s: this needs "
		    "write", r->tok.name, r->tok.scope);
		return 403;
	}
	/* last_used: at most once a minute, a write of its own. */
	if (now - r->tok.last_used >= 60 &&
	    store_token_used(r->h->st, r->tok.id, now) != STORE_OK)
		log_debug("admin: token %s: last_used: %s", r->tok.name,
		    store_errmsg(r->h->st));
	return 0;
}

/* -------------------------------------------------------------- the API */

static enum MHD_Result
query_field(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	json_t	*o = cls;

	(void)kind;
	if (json_object_get(o, key) != NULL) {
		/* A repeated parameter: refused in handle_api(). */
		json_object_set_new(o, "\x01repeated", json_string(key));
		return MHD_NO;
	}
	json_object_set_new(o, key, json_string(value ? value : ""));
	return MHD_YES;
}

/* An integer parameter in [min, max], dflt when absent; -1: bad. */
static long long
num_field(json_t *f, const char *name, long long min, long long max,
    long long dflt)
{
	json_t		*v = json_object_get(f, name);
	long long	 n;

	if (v == NULL)
		return dflt;
	if (json_is_integer(v))
		n = (long long)json_integer_value(v);
	else if (!json_is_string(v) ||
	    util_strtonum(json_string_value(v), min, max, &n) != 0)
		return -1;
	return n < min || n > max ? -1 : n;
}

/* A list's page: {"items", "offset", "limit", "next"}. */
static json_t *
page(struct req *r, json_t *all, long long offset, long long limit,
    int sliced)
{
	json_t		*items, *o;
	size_t		 i, n = json_array_size(all);
	char		 next[1024];
	const char	*q;
	int		 more;

	if (sliced) {
		/* The command gave offset.. (limit + 1 rows at most). */
		more = n > (size_t)limit;
		items = json_array();
		for (i = 0; i < n && i < (size_t)limit; i++)
			json_array_append(items, json_array_get(all, i));
	} else {
		more = n > (size_t)(offset + limit);
		items = json_array();
		for (i = (size_t)offset; i < n && i < (size_t)(offset +
		    limit); i++)
			json_array_append(items, json_array_get(all, i));
	}
	json_decref(all);
	o = json_pack("{s:o, s:I, s:I}", "items", items, "offset",
	    (json_int_t)offset, "limit", (json_int_t)limit);
	if (o == NULL)
		return NULL;
	if (more) {
		/* The same query, the next page. */
		struct buf	 b;
		const char	*k;
		json_t		*v;

		buf_init(&b, sizeof(next));
		buf_printf(&b, "%s?offset=%lld&limit=%lld", r->url,
		    offset + limit, limit);
		json_object_foreach(r->fields, k, v) {
			if (strcmp(k, "offset") == 0 || strcmp(k, "limit") == 0 ||
			    (q = json_string_value(v)) == NULL)
				continue;
			buf_addc(&b, '&');
			util_urlencode(&b, k);
			buf_addc(&b, '=');
			util_urlencode(&b, q);
		}
		buf_addc(&b, '\0');
		json_object_set_new(o, "next", json_string(b.data ? b.data :
		    ""));
		buf_free(&b);
	} else
		json_object_set_new(o, "next", json_null());
	return o;
}

/* "/api/v1/devices/" and the key, escaped, for Location. */
static char *
location_of(const char *base, const char *key)
{
	struct buf	 b;

	buf_init(&b, 2048);
	if (buf_printf(&b, "%s/", base) != 0 || util_urlencode(&b, key) != 0 ||
	    buf_addc(&b, '\0') != 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b, NULL);
}

/* The key of what a POST made: its representation's name field. */
static const char *
created_key(const struct route *rt, json_t *result, struct args *a)
{
	const char	*k = NULL;

	if (rt->rep == &rep_device)
		k = json_string_value(json_object_get(result, "sfua_id"));
	else if (rt->rep != NULL && rt->rep->pick != NULL)
		k = json_string_value(json_object_get(result, rt->rep->pick));
	return k ? k : a->npos > 0 ? a->pos[0] : NULL;
}

static enum MHD_Result
handle_api(struct req *r)
{
	const struct route	*rt = NULL;
	const struct cmd	*c = NULL;
	struct argv_store	 s;
	struct precond		 pc;
	struct call		 k;
	struct args		 a;
	char			 detail[700], who[160], command[600], etag[64];
	const char		*key, *ifm, *in = NULL;
	char			*loc = NULL;
	json_t			*res, *rep, *body = NULL, *v;
	long long		 limit = LIST_DEFAULT, offset = 0;
	int64_t			 domain = 0;
	unsigned		 st;
	int			 rc, sliced = 0, write;
	size_t			 i, inlen = 0;
	enum MHD_Result		 ret;

	for (i = 0; i < NROUTES && rt == NULL; i++)
		if (route_match(&routes[i], r->method, r->url, r))
			rt = &routes[i];
	if (strcmp(r->url, "/api/v1/whoami") == 0 &&
	    strcmp(r->method, "GET") == 0) {
		if ((st = authorize(r, 0, detail, sizeof(detail))) != 0)
			return problem(r, st, "%s", detail);
		return send_json(r, 200, json_pack("{s:s, s:s}", "token",
		    r->tok.name, "scope", r->tok.scope), NULL, NULL);
	}
	if (rt == NULL) {
		if (path_known(r->url, r))
			return problem(r, 405, "%s is not allowed on %s",
			    r->method, r->url);
		return problem(r, 404, "no such route: %s (see "
		    "/api/v1/openapi.json)", r->url);
	}
	write = strcmp(rt->method, "GET") != 0;
	if ((st = authorize(r, write, detail, sizeof(detail))) != 0)
		return problem(r, st, "%s", detail);

	/* The fields: the JSON body's, else the query's. */
	r->fields = json_object();
	MHD_get_connection_values(r->c, MHD_GET_ARGUMENT_KIND, query_field,
	    r->fields);
	if ((v = json_object_get(r->fields, "\x01repeated")) != NULL)
		return problem(r, 400, "%s: given twice",
		    json_string_value(v));
	if (write && !(rt->flags & R_RAW) && r->bodylen > 0) {
		json_error_t	 je;

		if ((body = json_loadb(r->body, r->bodylen, 0, &je)) == NULL)
			return problem(r, 400, "malformed JSON at line %d: %s",
			    je.line, je.text);
		if (!json_is_object(body)) {
			json_decref(body);
			return problem(r, 400, "expected a JSON object");
		}
		/* Query parameters and a body: the body's fields win. */
		json_object_update(r->fields, body);
		json_decref(body);
	}
	if (rt->flags & R_RAW) {
		in = r->body;
		inlen = r->bodylen;
	} else if (rt->in != NULL &&
	    (v = json_object_get(r->fields, rt->in)) != NULL) {
		if (!json_is_string(v))
			return problem(r, 400, "%s: expected a string",
			    rt->in);
		in = json_string_value(v);
		inlen = strlen(in);
	}
	if ((v = json_object_get(r->fields, "domain")) != NULL) {
		if (!json_is_string(v) || store_domain_id(r->h->st,
		    json_string_value(v), &domain) != STORE_OK)
			return problem(r, 404, "domain %s: not found",
			    json_is_string(v) ? json_string_value(v) : "?");
	}

	/* A representation: read, with its ETag. */
	if (rt->flags & R_SHOW) {
		rep = rep_read(r->h, rt->rep, r->pval[0], domain, &st, detail,
		    sizeof(detail));
		if (rep == NULL)
			return problem(r, st, "%s", detail);
		etag_of(rep, rt->rep->volatile_keys, etag, sizeof(etag));
		return send_json(r, 200, rep, etag, NULL);
	}

	if ((c = admin_find(rt->noun, rt->verb)) == NULL)
		return problem(r, 500, "route without a command");
	if (rt->flags & R_LIST) {
		if ((limit = num_field(r->fields, "limit", 1, LIST_LIMIT,
		    LIST_DEFAULT)) < 0)
			return problem(r, 400, "limit: expected 1 to %d",
			    LIST_LIMIT);
		if ((offset = num_field(r->fields, "offset", 0,
		    1000000000000LL, 0)) < 0)
			return problem(r, 400, "offset: expected a number of "
			    "rows to skip");
	}
	if ((st = build_args(r, rt, c, &a, &s, r->fields, detail,
	    sizeof(detail))) != 0)
		return problem(r, st, "%s", detail);
	/* The list's window, given to the command when it takes one. */
	if ((rt->flags & R_LIST) && a.nopt + 2 <= ADMIN_MAXOPT) {
		char	 n1[32], n2[32];

		if (admin_optspec(c->opts, "--offset") == 1) {
			snprintf(n1, sizeof(n1), "%lld", offset);
			snprintf(n2, sizeof(n2), "%lld", limit + 1);
			a.oname[a.nopt] = "--offset";
			a.oval[a.nopt++] = keep(&s, n1);
			a.oname[a.nopt] = "--limit";
			a.oval[a.nopt++] = keep(&s, n2);
			sliced = 1;
		} else if (admin_optspec(c->opts, "--limit") == 1) {
			snprintf(n2, sizeof(n2), "%lld", offset + limit + 1);
			a.oname[a.nopt] = "--limit";
			a.oval[a.nopt++] = keep(&s, n2);
		}
	}

	if (call_open(&k, r->h, in, inlen) != 0)
		return problem(r, 500, "out of memory");
	k.io.domain = domain;
	snprintf(who, sizeof(who), "token %s (api from %s)", r->tok.name,
	    r->addr);
	snprintf(command, sizeof(command), "%s %s", r->method, r->url);
	memset(&pc, 0, sizeof(pc));
	key = a.npos > 0 ? a.pos[0] : "";
	ifm = MHD_lookup_connection_value(r->c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_IF_MATCH);
	pc.r = r;
	pc.rt = rt;
	pc.key = key;
	pc.want = ifm;
	pc.domain = domain;
	rc = admin_run(r->h->st, c, &a, who, command,
	    (rt->flags & R_IFMATCH) ? precond_check : NULL, &pc);
	if (rc != 0) {
		if (pc.status != 0 && pc.detail[0])
			ret = problem(r, pc.status, "%s", pc.detail);
		else
			ret = problem(r, (unsigned)(k.io.status ?
			    k.io.status : 400), "%s", k.io.error[0] ?
			    k.io.error : "refused");
		call_close(&k);
		return ret;
	}
	res = call_result(&k);
	call_close(&k);

	if (rt->flags & R_NOCONTENT) {
		json_decref(res);
		return send_body(r, 204, NULL, strdup(""), 0, NULL, NULL);
	}
	if (rt->flags & R_LIST) {
		if (res == NULL)
			res = json_array();
		if (!json_is_array(res))
			return send_json(r, 200, res, NULL, NULL);
		return send_json(r, 200, page(r, res, offset, limit, sliced),
		    NULL, NULL);
	}
	if (res == NULL)
		res = json_pack("{s:b, s:s, s:s?}", "ok", 1, "command",
		    c->noun, "verb", c->verb);
	/* A change to a resource: its new representation and ETag. */
	if (rt->rep != NULL && (rt->flags & (R_CREATED | R_IFMATCH))) {
		char	 ck[1024];

		snprintf(ck, sizeof(ck), "%s", (rt->flags & R_CREATED) ?
		    created_key(rt, res, &a) : key);

		rep = rep_read(r->h, rt->rep, ck, domain, &st, detail,
		    sizeof(detail));
		if (rep != NULL) {
			etag_of(rep, rt->rep->volatile_keys, etag,
			    sizeof(etag));
			/* What only this answer carries (a new token). */
			if (rt->rep == &rep_token || rt->rep == &rep_user)
				json_object_update_missing(res, rep);
			else {
				json_decref(res);
				res = rep;
				rep = NULL;
			}
			json_decref(rep);
			if (rt->flags & R_CREATED) {
				loc = location_of(rt->path, ck);
				ret = send_json(r, 201, res, etag, loc);
				free(loc);
				return ret;
			}
			return send_json(r, 200, res, etag, NULL);
		}
	}
	return send_json(r, (rt->flags & R_CREATED) ? 201 : 200, res, NULL,
	    NULL);
}

/* ---------------------------------------------------- static and routes */

static const char *
mime_of(const char *path)
{
	const char	*e = strrchr(path, '.');

	if (e == NULL)
		return "application/octet-stream";
	if (strcmp(e, ".html") == 0)
		return "text/html; charset=utf-8";
	if (strcmp(e, ".js") == 0 || strcmp(e, ".mjs") == 0)
		return "text/javascript; charset=utf-8";
	if (strcmp(e, ".css") == 0)
		return "text/css; charset=utf-8";
	if (strcmp(e, ".png") == 0)
		return "image/png";
	if (strcmp(e, ".svg") == 0)
		return "image/svg+xml";
	if (strcmp(e, ".json") == 0)
		return "application/json";
	return "application/octet-stream";
}

/* /console/NAME: a file of admin_console, no dot files, no "..". */
static enum MHD_Result
handle_console(struct req *r)
{
	const char		*name = r->url + strlen("/console/");
	char			 path[CONFIG_PATH_MAX + 256], *data;
	size_t			 len;
	struct MHD_Response	*res;
	enum MHD_Result		 ret;

	if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0)
		return problem(r, 405, "the console is read with GET");
	if (*name == '\0')
		name = "index.html";
	if (strlen(name) > 128 || strstr(name, "..") || name[0] == '.' ||
	    strstr(name, "/.") || strspn(name, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/") != strlen(name))
		return problem(r, 404, "no such file");
	snprintf(path, sizeof(path), "%s/%s", r->h->cfg->admin_console, name);
	if ((data = util_slurp(path, STATIC_MAX, &len)) == NULL)
		return problem(r, 404, "no such file: %s", name);
	res = MHD_create_response_from_buffer(len, data,
	    MHD_RESPMEM_MUST_FREE);
	if (res == NULL) {
		free(data);
		return MHD_NO;
	}
	MHD_add_response_header(res, "Content-Type", mime_of(name));
	MHD_add_response_header(res, "Content-Security-Policy", CSP_CONSOLE);
	MHD_add_response_header(res, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(res, "X-Frame-Options", "DENY");
	MHD_add_response_header(res, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(res, "Cache-Control", "no-cache");
	ret = MHD_queue_response(r->c, 200, res);
	MHD_destroy_response(res);
	r->status = 200;
	return ret;
}

/* /metrics: Prometheus text format 0.0.4 (sipcfgd(8), METRICS). */
static enum MHD_Result
handle_metrics(struct req *r)
{
	struct buf	 b;
	char		 detail[300], *t;
	size_t		 n;
	unsigned	 st;

	if (strcmp(r->method, "GET") != 0)
		return problem(r, 405, "metrics are read with GET");
	if ((st = authorize(r, 0, detail, sizeof(detail))) != 0)
		return problem(r, st, "%s", detail);
	buf_init(&b, 16 << 20);
	if (metrics_render(&b) != 0 || buf_addc(&b, '\0') != 0) {
		buf_free(&b);
		return problem(r, 500, "cannot render the metrics");
	}
	t = buf_steal(&b, &n);
	return send_body(r, 200, "text/plain; version=0.0.4; charset=utf-8",
	    t, n - 1, NULL, NULL);
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *uplen, void **ctx)
{
	struct admin_http	*h = cls;
	struct conn		*cn = *ctx;
	const union MHD_ConnectionInfo *ci;
	struct req		 r;
	struct timespec		 t0;
	enum MHD_Result		 ret;

	(void)version;
	if (cn == NULL) {
		if ((cn = calloc(1, sizeof(*cn))) == NULL)
			return MHD_NO;
		buf_init(&cn->body, BODY_MAX);
		*ctx = cn;
		return MHD_YES;
	}
	if (*uplen > 0) {
		if (!cn->too_big && buf_add(&cn->body, upload, *uplen) != 0)
			cn->too_big = 1;
		*uplen = 0;
		return MHD_YES;
	}
	memset(&r, 0, sizeof(r));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r.h = h;
	r.c = c;
	r.method = method;
	r.url = url;
	r.body = cn->body.data;
	r.bodylen = cn->body.len;
	snprintf(r.addr, sizeof(r.addr), "?");
	if ((ci = MHD_get_connection_info(c,
	    MHD_CONNECTION_INFO_CLIENT_ADDRESS)) != NULL &&
	    ci->client_addr != NULL) {
		const struct sockaddr *sa = ci->client_addr;

		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->
			    sin_addr, r.addr, sizeof(r.addr));
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->
			    sin6_addr, r.addr, sizeof(r.addr));
	}
	/* The store: the listener's connection, made again when lost. */
	if (h->st == NULL) {
		char	 err[256];

		if ((h->st = store_open(h->cfg->store, STORE_NOMIGRATE,
		    (int)h->cfg->busy_timeout_ms, err, sizeof(err))) == NULL) {
			log_warnx("admin: store: %s", err);
			return problem(&r, 503, "store unavailable");
		}
	}
	if (cn->too_big)
		ret = problem(&r, 413, "request body over %d bytes", BODY_MAX);
	else if (strcmp(url, "/") == 0) {
		struct MHD_Response *res = MHD_create_response_from_buffer(0,
		    (void *)"", MHD_RESPMEM_PERSISTENT);

		MHD_add_response_header(res, "Location", "/console/");
		ret = MHD_queue_response(c, 302, res);
		MHD_destroy_response(res);
	} else if (strcmp(url, "/api/v1/openapi.json") == 0 &&
	    strcmp(method, "GET") == 0) {
		char *d = strdup(openapi_json);

		ret = d ? send_body(&r, 200, "application/json", d, strlen(d),
		    NULL, NULL) : MHD_NO;
	} else if (strncmp(url, "/api/", 5) == 0)
		ret = handle_api(&r);
	else if (strncmp(url, "/console/", 9) == 0)
		ret = handle_console(&r);
	else if (strcmp(url, "/metrics") == 0)
		ret = handle_metrics(&r);
	else
		ret = problem(&r, 404, "no such page: %s", url);
	metrics_http_observe(strncmp(url, "/api/", 5) == 0 ? "api" :
	    strncmp(url, "/console/", 9) == 0 ? "console" :
	    strcmp(url, "/metrics") == 0 ? "metrics" : "other",
	    r.status ? r.status : 500, metrics_since(&t0));
	/* PostgreSQL: a lost connection is made again by its next query. */
	json_decref(r.fields);
	return ret;
}

static void
completed(void *cls, struct MHD_Connection *c, void **ctx,
    enum MHD_RequestTerminationCode toe)
{
	struct conn	*cn = *ctx;

	(void)cls;
	(void)c;
	(void)toe;
	if (cn == NULL)
		return;
	if (cn->body.data != NULL)
		util_wipe(cn->body.data, cn->body.len);
	buf_free(&cn->body);
	free(cn);
	*ctx = NULL;
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char	 m[256];

	(void)cls;
	vsnprintf(m, sizeof(m), fmt, ap);
	m[strcspn(m, "\n")] = '\0';
	log_debug("admin: %s", m);
}

struct admin_http *
admin_http_start(const struct config *cfg, char *bound, size_t boundlen)
{
	struct admin_http		*h;
	struct sockaddr_storage		 ss;
	const struct config_listen	*l = &cfg->admin_listen;
	const union MHD_DaemonInfo	*di;
	unsigned			 flags;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	h->cfg = cfg;
	if ((h->cert = util_slurp(cfg->cert, 1 << 20, NULL)) == NULL ||
	    (h->key = util_slurp(cfg->key, 1 << 20, NULL)) == NULL) {
		log_warn("admin: %s", h->cert ? cfg->key : cfg->cert);
		goto fail;
	}
	memset(&ss, 0, sizeof(ss));
	flags = MHD_USE_TLS | MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_ERROR_LOG;
	if (l->host[0] == '\0') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)l->port);
		s6->sin6_addr = in6addr_any;
		flags |= MHD_USE_DUAL_STACK;
	} else if (strchr(l->host, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)l->port);
		if (inet_pton(AF_INET6, l->host, &s6->sin6_addr) != 1) {
			log_warnx("admin_listen %s: not an IPv6 address",
			    l->host);
			goto fail;
		}
		flags |= MHD_USE_IPv6;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)l->port);
		if (inet_pton(AF_INET, l->host, &s4->sin_addr) != 1) {
			log_warnx("admin_listen %s: not an IPv4 address",
			    l->host);
			goto fail;
		}
	}
	h->d = MHD_start_daemon(flags, (uint16_t)l->port, NULL, NULL, handle,
	    h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_HTTPS_MEM_CERT, h->cert,
	    MHD_OPTION_HTTPS_MEM_KEY, h->key,
	    MHD_OPTION_HTTPS_PRIORITIES, HTTP_TLS_PRIORITIES,
	    MHD_OPTION_CONNECTION_LIMIT, 64u,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, 16u,
	    MHD_OPTION_CONNECTION_TIMEOUT, 30u,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
	    MHD_OPTION_NOTIFY_COMPLETED, completed, h,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, h,
	    MHD_OPTION_END);
	if (h->d == NULL) {
		log_warnx("admin: cannot listen on %s%s%s:%u (address in use?)",
		    strchr(l->host, ':') ? "[" : "", l->host[0] ? l->host :
		    "*", strchr(l->host, ':') ? "]" : "", l->port);
		goto fail;
	}
	di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	snprintf(bound, boundlen, "https://%s%s%s:%u", strchr(l->host, ':') ?
	    "[" : "", l->host[0] ? l->host : "[::]", strchr(l->host, ':') ?
	    "]" : "", di ? di->port : l->port);
	return h;
fail:
	admin_http_stop(h);
	return NULL;
}

void
admin_http_routes(FILE *f)
{
	size_t	 i;

	fprintf(f, "GET /api/v1/openapi.json\nGET /api/v1/whoami\n"
	    "GET /metrics\n");
	for (i = 0; i < NROUTES; i++)
		fprintf(f, "%s %s\n", routes[i].method, routes[i].path);
}

void
admin_http_stop(struct admin_http *h)
{
	if (h == NULL)
		return;
	if (h->d != NULL)
		MHD_stop_daemon(h->d);
	if (h->st != NULL)
		store_close(h->st);
	if (h->key != NULL)
		util_wipe(h->key, strlen(h->key));
	free(h->cert);
	free(h->key);
	free(h);
}
