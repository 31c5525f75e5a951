/*
 * admin_http_int: what the admin listener (admin_http.c) and its REST
 * API (admin_api.c) share: the listener, a request, the answers.
 */
#ifndef SIPCFG_ADMIN_HTTP_INT_H
#define SIPCFG_ADMIN_HTTP_INT_H

#include <netinet/in.h>
#include <arpa/inet.h>

#include <jansson.h>
#include <microhttpd.h>

#include "config.h"
#include "store.h"

#define PARAMS_MAX	8

struct admin_http {
	struct MHD_Daemon	*d;
	const struct config	*cfg;
	char			*cert, *key;
	char			*client_ca;	/* admin_client_ca, or NULL */
	struct store		*st;	/* the listener thread's own */
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
	int			 by_cert;	/* tok named by a certificate */
	char			 addr[INET6_ADDRSTRLEN];
	unsigned		 status;	/* the answer's, for metrics */
	char			 allow[64];	/* a 405's Allow */
	/* Path parameters, by name. */
	const char		*pname[PARAMS_MAX];
	char			 pval[PARAMS_MAX][512];
	int			 np;
};

/* admin_http.c: answers (body is the caller's malloc, freed). */
enum MHD_Result	 send_body(struct req *, unsigned status, const char *type,
		    char *body, size_t len, const char *etag,
		    const char *location);
enum MHD_Result	 send_json(struct req *, unsigned status, json_t *,
		    const char *etag, const char *location);
/* RFC 9457: a problem document, its detail in one line. */
enum MHD_Result	 problem(struct req *, unsigned status, const char *fmt,
		    ...) __attribute__((format(printf, 3, 4)));
/* The same, with extension members (RFC 9457 §3.2; ext is taken). */
enum MHD_Result	 problem_ext(struct req *, unsigned status, json_t *ext,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The token (or certificate): 0 when it may, else a status, detail. */
unsigned	 authorize(struct req *, int write, char *detail,
		    size_t dlen);

/* admin_api.c: a request under /api/. */
enum MHD_Result	 handle_api(struct req *);

#endif
