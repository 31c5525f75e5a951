/*
 * admin_http: the admin listener (issue 14 §2-4), over TLS on
 * admin_listen (loopback unless the operator names another address;
 * sipcfgd.conf(5)): the REST API under /api/v1/ (admin_api.c), the web
 * console's static files under /console/, the Prometheus metrics at
 * /metrics (metrics.c), and who may use them: bearer tokens (`sipcfg
 * token add`), or client certificates that name a token
 * (admin_client_ca).  Errors are application/problem+json (RFC 9457).
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

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <jansson.h>
#include <microhttpd.h>

#include "admin.h"
#include "admin_http.h"
#include "admin_http_int.h"
#include "buf.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "openapi_json.h"
#include "store.h"
#include "util.h"


#define BODY_MAX	(1 << 20)	/* a template, an import */
#define STATIC_MAX	(4 << 20)

/* The console's and the API's Content-Security-Policy. */
#define CSP_CONSOLE	"default-src 'none'; script-src 'self'; " \
	"style-src 'self'; img-src 'self'; connect-src 'self'; " \
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
#define CSP_API		"default-src 'none'; frame-ancestors 'none'"

/* One request: its body, as it arrives. */
struct conn {
	struct buf	 body;
	int		 too_big;
};


/* ---------------------------------------------------------- responses */

enum MHD_Result
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
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED && r->allow[0])
		MHD_add_response_header(res, "Allow", r->allow);
	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(res, "WWW-Authenticate",
		    "Bearer realm=\"sipcfg admin\"");
	ret = MHD_queue_response(r->c, status, res);
	MHD_destroy_response(res);
	r->status = status;
	if (status == MHD_HTTP_UNAUTHORIZED || status == MHD_HTTP_FORBIDDEN)
		metrics_auth_failure(METRICS_AUTH_ADMIN);
	log_access("admin %s %s \"%s %s\" %u", r->addr, r->tok.name[0] ?
	    r->tok.name : "-", r->method, r->url, status);
	return ret;
}

enum MHD_Result
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
enum MHD_Result
problem(struct req *r, unsigned status, const char *fmt, ...)
{
	va_list	 ap;
	char	 detail[600];

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	return problem_ext(r, status, NULL, "%s", detail);
}

enum MHD_Result
problem_ext(struct req *r, unsigned status, json_t *ext, const char *fmt, ...)
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
	/* RFC 9457 §3.2: extension members (every line the command said). */
	if (o != NULL && ext != NULL)
		json_object_update_missing(o, ext);
	json_decref(ext);
	if (o == NULL || (s = json_dumps(o, JSON_INDENT(2) |
	    JSON_PRESERVE_ORDER)) == NULL) {
		json_decref(o);
		return MHD_NO;
	}
	json_decref(o);
	return send_body(r, status, "application/problem+json", s, strlen(s),
	    NULL, NULL);
}

/* --------------------------------------------------------------- auth */

/*
 * A client certificate instead of a bearer token (admin_client_ca): one
 * that validates against that CA names, by its subject CN, the token
 * whose scope and expiry it has.  1: named one (r->tok), 0: none
 * presented, -1: presented and refused (detail).
 */
static int
cert_token(struct req *r, char *detail, size_t dlen)
{
	const union MHD_ConnectionInfo	*ci;
	gnutls_session_t		 s;
	const gnutls_datum_t		*pc;
	gnutls_x509_crt_t		 crt;
	unsigned int			 n = 0, status = 0;
	char				 cn[65];
	size_t				 cnlen = sizeof(cn);
	json_t				*rows, *row;
	size_t				 i;
	int				 ok = -1;

	if (r->h->client_ca == NULL || (ci = MHD_get_connection_info(r->c,
	    MHD_CONNECTION_INFO_GNUTLS_SESSION)) == NULL ||
	    (s = ci->tls_session) == NULL ||
	    (pc = gnutls_certificate_get_peers(s, &n)) == NULL || n == 0)
		return 0;
	if (gnutls_certificate_verify_peers2(s, &status) < 0 || status != 0) {
		snprintf(detail, dlen, "the client certificate does not "
		    "validate against admin_client_ca");
		return -1;
	}
	if (gnutls_x509_crt_init(&crt) < 0)
		return -1;
	if (gnutls_x509_crt_import(crt, &pc[0], GNUTLS_X509_FMT_DER) < 0 ||
	    gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0,
	    0, cn, &cnlen) < 0) {
		gnutls_x509_crt_deinit(crt);
		snprintf(detail, dlen, "the client certificate has no CN");
		return -1;
	}
	gnutls_x509_crt_deinit(crt);
	if (store_token_list(r->h->st, &rows) != STORE_OK) {
		snprintf(detail, dlen, "store unavailable: %s",
		    store_errmsg(r->h->st));
		return -1;
	}
	snprintf(detail, dlen, "the client certificate's CN %s names no "
	    "token (sipcfg token add %s --scope ...)", cn, cn);
	json_array_foreach(rows, i, row) {
		const char *nm = json_string_value(json_object_get(row,
		    "name"));

		if (nm == NULL || strcmp(nm, cn) != 0)
			continue;
		memset(&r->tok, 0, sizeof(r->tok));
		snprintf(r->tok.name, sizeof(r->tok.name), "%s", nm);
		snprintf(r->tok.scope, sizeof(r->tok.scope), "%s",
		    json_string_value(json_object_get(row, "scope")));
		r->tok.expires = (time_t)json_integer_value(
		    json_object_get(row, "expires"));
		r->by_cert = 1;
		ok = 1;
	}
	json_decref(rows);
	return ok;
}

/* The bearer token: 0 when it may, else a status (and detail). */
unsigned
authorize(struct req *r, int write, char *detail, size_t dlen)
{
	const char	*hv = MHD_lookup_connection_value(r->c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION);
	char		 hash[ADMIN_TOKEN_HASH_LEN];
	enum store_rc	 rc;
	time_t		 now = time(NULL);
	int		 c;

	if (hv == NULL && (c = cert_token(r, detail, dlen)) != 0) {
		if (c < 0)
			return 401;
		goto named;
	}
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
named:
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
	if (!r->by_cert && now - r->tok.last_used >= 60 &&
	    store_token_used(r->h->st, r->tok.id, now) != STORE_OK)
		log_debug("admin: token %s: last_used: %s", r->tok.name,
		    store_errmsg(r->h->st));
	return 0;
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

	if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0) {
		snprintf(r->allow, sizeof(r->allow), "GET, HEAD");
		return problem(r, 405, "the console is read with GET");
	}
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

	if (strcmp(r->method, "GET") != 0) {
		snprintf(r->allow, sizeof(r->allow), "GET");
		return problem(r, 405, "metrics are read with GET");
	}
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
	struct MHD_OptionItem		 trust[2];
	unsigned			 flags;

	memset(trust, 0, sizeof(trust));
	trust[1].option = MHD_OPTION_END;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	h->cfg = cfg;
	if ((h->cert = util_slurp(cfg->cert, 1 << 20, NULL)) == NULL ||
	    (h->key = util_slurp(cfg->key, 1 << 20, NULL)) == NULL) {
		log_warn("admin: %s", h->cert ? cfg->key : cfg->cert);
		goto fail;
	}
	if (cfg->admin_client_ca[0] && (h->client_ca =
	    util_slurp(cfg->admin_client_ca, 1 << 20, NULL)) == NULL) {
		log_warn("admin_client_ca %s", cfg->admin_client_ca);
		goto fail;
	}
	/* A CA: client certificates are asked for (cert_token()). */
	trust[0].option = h->client_ca ? MHD_OPTION_HTTPS_MEM_TRUST :
	    MHD_OPTION_END;
	trust[0].ptr_value = h->client_ca;
	flags = MHD_USE_TLS | MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_ERROR_LOG;
	if (http_listen_addr(l, "admin_listen", &ss, &flags) != 0)
		goto fail;
	h->d = MHD_start_daemon(flags, (uint16_t)l->port, NULL, NULL, handle,
	    h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_HTTPS_MEM_CERT, h->cert,
	    MHD_OPTION_HTTPS_MEM_KEY, h->key,
	    MHD_OPTION_HTTPS_PRIORITIES, HTTP_TLS_PRIORITIES,
	    MHD_OPTION_ARRAY, trust,
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
	free(h->client_ca);
	free(h);
}
