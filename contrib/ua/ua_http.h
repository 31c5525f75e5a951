/*
 * ua_http: the UA's HTTPS fetch (RFC 6011 §2.4, §2.4.1, §2.6.1) on
 * libcurl: TLS 1.2+, SNI set to the Configuration Service Domain even
 * when the URL's host differs, the server certificate validated against a
 * CA file or pinned on first use, a client certificate when given, Basic
 * and Digest (MD5 and SHA-256) with username = sfua-user, conditional
 * requests, and the cache metadata of the answer.
 */
#ifndef SIPCFG_UA_HTTP_H
#define SIPCFG_UA_HTTP_H

#include <stddef.h>
#include <time.h>

struct ua_http_opts {
	const char	*sni;		/* CS domain; NULL: the URL's host */
	const char	*cafile;	/* validate against these CAs */
	const char	*pinfile;	/* TOFU when no cafile (see below) */
	const char	*cert, *key;	/* client certificate */
	const char	*user;		/* sfua-user; NULL: no auth */
	const char	*password;
	unsigned	 timeout_ms;	/* whole request; 0 = 10000 */
	/* Conditional request (§2.6.1): "" when not known. */
	const char	*if_none_match;
	time_t		 if_modified_since;	/* 0: none */
	/*
	 * "HOST:PORT:ADDR:PORT" like curl's --connect-to: connect there
	 * when the URL names HOST:PORT (tests, and checking a deployment
	 * before its DNS is in place).  NULL: none.
	 */
#define UA_HTTP_CONNECT_TO_MAX	4
	const char	*connect_to[UA_HTTP_CONNECT_TO_MAX];
};

enum ua_http_rc {
	UA_HTTP_OK,		/* a response (any status) */
	UA_HTTP_CONNECT,	/* connection refused/reset/timeout: retry */
	UA_HTTP_TLS,		/* handshake or certificate validation failed */
	UA_HTTP_PIN,		/* TOFU: the server's key differs from the pin */
	UA_HTTP_ERROR		/* anything else (err says what) */
};

struct ua_http_resp {
	int	 status;		/* 200, 304, 401, 503 ... */
	char	*body;			/* malloc'd (NUL-terminated), or NULL */
	size_t	 len;
	char	 etag[128];
	char	 last_modified[64];	/* as sent */
	time_t	 last_modified_t;	/* parsed, 0 if absent */
	long	 max_age;		/* -1 if absent */
	unsigned retry_after;		/* seconds, 0 if absent */
	char	 link_sips[512];	/* rel="monitor" targets, "" if none */
	char	 link_sip[512];
	char	 content_type[128];
	char	 pin[64];		/* sha256//base64 of the server key */
	char	*peer_pem;		/* the server's certificate (PEM), */
					/* malloc'd, or NULL */
	char	 err[256];		/* one line when rc != UA_HTTP_OK */
};

/*
 * GET url.  Pin file (when pinfile is set and cafile is not): absent or
 * empty, the server's public key pin is written to it (trust on first
 * use, §2.4.1); present, the key must match or UA_HTTP_PIN is returned
 * (nothing else is done with the connection).  On UA_HTTP_OK peer_pem is
 * the certificate the server presented (the one whose key was pinned).
 * Free with ua_http_clear().
 * Call ua_http_global_init() once before any thread uses this.
 */
void		 ua_http_global_init(void);
enum ua_http_rc	 ua_http_get(const char *url, const struct ua_http_opts *,
		    struct ua_http_resp *);
void		 ua_http_clear(struct ua_http_resp *);
/*
 * A TLS handshake with host:port judged by the trust of o (its cafile for
 * that host name, or else the pin already in its pinfile), nothing sent:
 * UA_HTTP_OK, UA_HTTP_TLS, UA_HTTP_PIN, UA_HTTP_CONNECT or UA_HTTP_ERROR,
 * with err set.  For the sips: notifier (RFC 5922 §7.2).
 */
enum ua_http_rc	 ua_http_tls_check(const char *host, unsigned port,
		    const struct ua_http_opts *, struct ua_http_resp *);

#endif
