/*
 * http: the HTTPS front, the only user of libmicrohttpd.
 *
 * One MHD daemon per listen address, each with an internal thread pool
 * on epoll.  Each worker thread lazily opens its own store connection and
 * resource cache.  Configuration requests (RFC 6011 §2.4) are answered
 * here: query validation, device lookup and the unknown-device policy,
 * authentication (RFC 6011 §2.4.1), render, conditional requests.
 */
#ifndef SIPCFG_HTTP_H
#define SIPCFG_HTTP_H

#include <stddef.h>

#include "config.h"

/*
 * GnuTLS priorities of every listener (the front, admin_http.c): TLS 1.2 and 1.3 only (BRIEF.md §2, NOTES 6.2); AEAD
 * ciphers only, so TLS 1.2 has no CBC suites; AES-128-GCM first as in
 * Mozilla's server-side order; X25519 before P-256.  Key exchange by
 * ECDHE only, so every session has forward secrecy, with an RSA
 * certificate too (static RSA key exchange has none).  No finite-field
 * DHE: every client that speaks TLS 1.2 with AEAD suites has ECDHE, and
 * GnuTLS would need DH parameters of ours for OpenSSL clients, which
 * send no RFC 7919 groups.
 */
#define HTTP_TLS_PRIORITIES \
	"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:" \
	"-CIPHER-ALL:+AES-128-GCM:+CHACHA20-POLY1305:+AES-256-GCM:" \
	"-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:" \
	"-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:+GROUP-SECP384R1:" \
	"%SERVER_PRECEDENCE"

struct digest_ctx;
struct guard;
struct seen;
struct http;

/*
 * Start listening.  On success writes the bound addresses ("https://
 * 127.0.0.1:8443/cfg ...") into bound.  NULL after logging on failure.
 */
struct http	*http_start(const struct config *, struct digest_ctx *,
		    struct guard *, struct seen *, char *bound, size_t);
void		 http_stop(struct http *);
/* The SIGUSR1 line: the answer cache's figures (answers.h). */
void		 http_log_stats(struct http *);
struct resource_opts;
/* The options of a worker's resource (and the cache warmer's). */
void		 http_resource_opts(struct http *, struct resource_opts *);
/*
 * Load the store's CS domains again (certificates, CAs, client
 * certificate policies; SIGHUP).  On failure the old set stays in use
 * and -1 is returned (logged).
 */
int		 http_reload_domains(struct http *);
/*
 * A listener's address for libmicrohttpd's MHD_OPTION_SOCK_ADDR, adding
 * to *flags what it takes (dual stack, IPv6); what names the directive
 * in the warning when host is not a numeric address (-1).
 */
struct sockaddr_storage;
int		 http_listen_addr(const struct config_listen *,
		    const char *what, struct sockaddr_storage *,
		    unsigned *flags);
struct feed;
/* The change feed (feed.h): the notifier's signal, readiness. */
const struct feed *http_feed(const struct http *);

#endif
