/*
 * admin_api: the REST API of the admin listener (admin_http.c), a second
 * front-end over the admin library (admin.h): each route names a command
 * of the library's table; path segments become its arguments, the JSON
 * body's fields (or a GET's query parameters) its options, and the
 * command's JSON output the answer.  No rule is written here, so the
 * CLI and the API cannot disagree.  The routes and how a request becomes
 * a command's arguments are admin_api_routes.c's.  What is here:
 *
 *  - running a route's command, in an audit session that names its
 *    token (issue 6's trail);
 *  - strong ETags on resources (RFC 9110 §8.8.3): a hash of the
 *    resource's representation without what devices change by fetching
 *    (last seen, User-Agent); a change needs If-Match (RFC 9110
 *    §13.1.1): 428 without it (RFC 6585 §3), 412 when stale, checked in
 *    the change's own transaction;
 *  - lists paginated by limit and offset or by keyset (after=), filtered
 *    by the command's own options.
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
#include "admin_http_int.h"
#include "admin_api_int.h"
#include "buf.h"
#include "http.h"
#include "log.h"
#include "store.h"
#include "util.h"


#define LIST_DEFAULT	100
#define LIST_LIMIT	1000


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
	k->io.remote = 1;
	k->io.scan_max = h->cfg->admin_scan_max;
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

/*
 * What a command said in text (an import's summary, warnings, each bad
 * row) as an array of its lines, at most 200; NULL when it said nothing.
 */
static json_t *
call_lines(char *text, size_t len)
{
	json_t	*a;
	char	*p, *e, *end = text + len;

	if (text == NULL || len == 0 || (a = json_array()) == NULL)
		return NULL;
	for (p = text; p < end && json_array_size(a) < 200; p = e + 1) {
		if ((e = memchr(p, '\n', (size_t)(end - p))) == NULL)
			e = end;
		if (e > p)
			json_array_append_new(a, json_stringn(p,
			    (size_t)(e - p)));
	}
	if (json_array_size(a) == 0) {
		json_decref(a);
		return NULL;
	}
	return a;
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
rep_read(struct admin_http *h, const struct rep *rep, const char *const *args,
    int nargs, const char *key, int64_t domain, unsigned *status, char *err,
    size_t errlen)
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
	for (i = 0; i < (size_t)nargs && i < ADMIN_MAXPOS - 1; i++)
		a.pos[a.npos++] = args[i];
	if (rep->pick == NULL)
		a.pos[a.npos++] = key;
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
	const char *const	*args;	/* the list command's, before key */
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
	o = rep_read(p->r->h, p->rt->rep, p->args, p->rt->key, p->key,
	    p->domain, &p->status, p->detail, sizeof(p->detail));
	adm = saved;
	if (o == NULL) {
		/* An upsert of what is not there: nothing to overwrite. */
		if (p->status == 404 && (p->rt->flags & R_UPSERT)) {
			if (p->want != NULL && strcmp(p->want, "*") == 0) {
				p->status = 412;
				snprintf(p->detail, sizeof(p->detail),
				    "%s does not exist (If-Match: *)", p->key);
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

/*
 * A list's page: {"items", "offset", "limit", "next"}.  keyset names the
 * field whose value in the last item is the next page's after= (a
 * device's id, a user's name; without offset), which costs one index
 * seek at any depth; NULL: offset= the next offset.  cut > 0: the
 * command stopped reading there (scan_max) short of a full page; the
 * next page goes on after it, however few rows this one has.
 */
static json_t *
page(struct req *r, json_t *all, long long offset, long long limit,
    int sliced, const char *keyset, int64_t cut)
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
	if (cut > 0 && !more)
		more = 2;
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
		if (keyset) {
			json_t	*last = json_object_get(json_array_get(items,
			    json_array_size(items) - 1), keyset);

			buf_printf(&b, "%s?after=", r->url);
			if (more == 2)
				buf_printf(&b, "%lld", (long long)cut);
			else if (json_is_string(last))
				util_urlencode(&b, json_string_value(last));
			else
				buf_printf(&b, "%lld", (long long)
				    json_integer_value(last));
			buf_printf(&b, "&limit=%lld", limit);
		} else
			buf_printf(&b, "%s?offset=%lld&limit=%lld", r->url,
			    offset + limit, limit);
		json_object_foreach(r->fields, k, v) {
			if (strcmp(k, "offset") == 0 ||
			    strcmp(k, "limit") == 0 ||
			    strcmp(k, "after") == 0 ||
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

enum MHD_Result
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
	int64_t			 cut = 0;
	size_t			 inlen = 0;
	enum MHD_Result		 ret;

	rt = route_find(r->method, r->url, r);
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
		const char	*pv[PARAMS_MAX];
		int		 i2;

		for (i2 = 0; i2 < r->np; i2++)
			pv[i2] = r->pval[i2];
		rep = rep_read(r->h, rt->rep, pv, rt->key, r->pval[rt->key],
		    domain, &st, detail, sizeof(detail));
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
	/*
	 * build_args() takes the fields that are arguments out of what it
	 * is given: a copy, so that a list's next link keeps them all.
	 */
	{
		json_t	*f = json_copy(r->fields);

		if (f == NULL)
			return problem(r, 500, "out of memory");
		st = build_args(r, rt, c, &a, &s, f, detail, sizeof(detail));
		json_decref(f);
		if (st != 0)
			return problem(r, st, "%s", detail);
	}
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
	snprintf(who, sizeof(who), "%s %s (api from %s)", r->by_cert ?
	    "certificate of token" : "token", r->tok.name, r->addr);
	snprintf(command, sizeof(command), "%s %s", r->method, r->url);
	memset(&pc, 0, sizeof(pc));
	key = a.npos > rt->key ? a.pos[rt->key] : "";
	ifm = MHD_lookup_connection_value(r->c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_IF_MATCH);
	pc.r = r;
	pc.rt = rt;
	pc.args = a.pos;
	pc.key = key;
	pc.want = ifm;
	pc.domain = domain;
	rc = admin_run(r->h->st, c, &a, who, command,
	    (rt->flags & R_IFMATCH) ? precond_check : NULL, &pc);
	if (rc != 0) {
		if (pc.status != 0 && pc.detail[0])
			ret = problem(r, pc.status, "%s", pc.detail);
		else {
			json_t		*ext = NULL, *l;
			const char	*last = NULL;

			fflush(k.io.errout);
			/* An import's bad rows: each one, the count last. */
			if ((l = call_lines(k.errs, k.errlen)) != NULL)
				last = json_string_value(json_array_get(l,
				    json_array_size(l) - 1));
			ret = problem_ext(r, (unsigned)(k.io.status ?
			    k.io.status : 400), l != NULL &&
			    json_array_size(l) > 1 ? (ext = json_pack("{s:O}",
			    "errors", l)) : NULL, "%s", k.io.error[0] ?
			    k.io.error : last ? last : "refused");
			(void)ext;
			json_decref(l);
		}
		call_close(&k);
		return ret;
	}
	res = call_result(&k);
	if (res == NULL) {
		/* A command that reports in text: its lines. */
		json_t	*m, *w;

		fflush(k.io.out);
		fflush(k.io.errout);
		res = json_pack("{s:b, s:s, s:s?}", "ok", 1, "command",
		    c->noun, "verb", c->verb);
		if (res != NULL && (m = call_lines(k.out, k.outlen)) != NULL)
			json_object_set_new(res, "messages", m);
		if (res != NULL && (w = call_lines(k.errs, k.errlen)) != NULL)
			json_object_set_new(res, "warnings", w);
	}
	cut = k.io.next_after;
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
		return send_json(r, 200, page(r, res, offset, limit, sliced,
		    rt->after != NULL && (json_object_get(r->fields,
		    "offset") == NULL || cut) ? rt->after : NULL, cut),
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

		rep = rep_read(r->h, rt->rep, a.pos, rt->key, ck, domain, &st,
		    detail, sizeof(detail));
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


