/*
 * front: what the HTTPS front decides from the request line and the
 * headers alone, before any store or TLS state: the route (the RFC 6011
 * base URL or a vendor file name, BRIEF.md §3), the method, the Host
 * header (RFC 9112 §3.2), the query (RFC 6011 §2.3.2), a vendor file
 * name against the path rules, and whether a conditional request is
 * answered 304 (RFC 9110 §13).  Pure and thread-safe: the HTTP front
 * calls it with what libmicrohttpd parsed, and the fuzz target
 * tests/fuzz/fuzz_front.c with what it parsed itself, through the same
 * functions.
 */
#ifndef SIPCFG_FRONT_H
#define SIPCFG_FRONT_H

#include <time.h>

#include "request.h"
#include "store.h"
#include "vpath.h"

/* The request line and the headers front_route() looks at. */
struct front_in {
	const char	*method;
	const char	*uri;		/* path and query, as received */
	const char	*host;		/* the first Host field, or NULL */
	unsigned	 nhost;		/* how many Host fields there were */
	int		 http11;	/* HTTP/1.1 (Host required) */
};

struct front_route {
	/*
	 * The path is base_path's or under the vendor prefix (set even
	 * when a later check fails): the route metrics count it under.
	 */
	int		 matched;
	int		 vendor;	/* a vendor file name, not base_path */
	int		 head;		/* HEAD, not GET */
	char		 name[VPATH_NAME_MAX];	/* vendor: the file name */
	struct cfg_request q;		/* base_path: the parsed query */
};

/*
 * Route a request.  base_path is the RFC 6011 path ("/cfg"), vendor the
 * vendor files' prefix ("/prov", or "" for none).  Returns 0, or the
 * HTTP status to answer (400, 404, 405, 414) with a one-line reason in
 * err; for 405 the answer carries "Allow: GET, HEAD".
 */
unsigned	 front_route(const struct front_in *, const char *base_path,
		    const char *vendor, struct front_route *, char *err,
		    size_t errlen);
/*
 * A vendor file name to the request facts by the first path rule that
 * matches (the MAC, hence the RFC 6011 §2.3.3 sfua-id; the rule's vendor,
 * the model when the name carries one, a forced template).  0 when no
 * rule matches.
 */
int		 front_vendor_match(const struct store_path_rule *, size_t n,
		    const char *name, struct cfg_request *);
/*
 * RFC 9110 §13.2.2: 1 if a GET or HEAD with these If-None-Match and
 * If-Modified-Since values (either NULL) is answered 304 for a
 * representation with this strong etag and last_modified.
 */
int		 front_not_modified(const char *inm, const char *ims,
		    const char *etag, time_t last_modified);
/* RFC 9112 §3.2, RFC 3986 §3.2.2: a valid Host value (host [":" port]). */
int		 front_host_valid(const char *);

#endif
