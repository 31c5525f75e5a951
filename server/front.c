/*
 * front: the HTTPS front's decisions from the request line and headers
 * (see front.h).  Everything here is bounded by the input's length and
 * touches no global state.
 */
#include <stdio.h>
#include <string.h>

#include "front.h"
#include "util.h"

/* RFC 3986 §2.3, §2.2: unreserved and sub-delims. */
static int
regname_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || strchr("-._~!$&'()*+,;=", c) != NULL;
}

int
front_host_valid(const char *h)
{
	const char	*p = h, *e;
	size_t		 n;

	if (h == NULL || *h == '\0' || strlen(h) > 1024)
		return 0;
	if (*p == '[') {
		/* IP-literal: hex digits, colons, dots (IPv4 tail). */
		if ((e = strchr(p, ']')) == NULL || e == p + 1)
			return 0;
		for (p++; p < e; p++)
			if (util_hexval((unsigned char)*p) < 0 && *p != ':' &&
			    *p != '.')
				return 0;
		p = e + 1;
	} else {
		for (n = 0; *p && *p != ':'; p++, n++) {
			if (*p == '%') {
				if (util_hexval((unsigned char)p[1]) < 0 ||
				    util_hexval((unsigned char)p[2]) < 0)
					return 0;
				p += 2;
			} else if (!regname_char((unsigned char)*p))
				return 0;
		}
		if (n == 0)
			return 0;
	}
	if (*p == '\0')
		return 1;
	if (*p++ != ':')
		return 0;
	/* port = *DIGIT, at most 5 of them */
	for (n = 0; *p; p++, n++)
		if (*p < '0' || *p > '9' || n == 5)
			return 0;
	return 1;
}

unsigned
front_route(const struct front_in *in, const char *base_path,
    const char *vendor, struct front_route *r, char *err, size_t errlen)
{
	const char	*uri = in->uri, *qs;
	size_t		 plen = strlen(base_path), vlen = strlen(vendor), len;

	memset(r, 0, sizeof(*r));
	if (uri == NULL || in->method == NULL) {
		snprintf(err, errlen, "malformed request line");
		return 400;
	}
	if (strlen(uri) >= REQUEST_QUERY_MAX + 512) {
		snprintf(err, errlen, "request URI too long");
		return 414;
	}
	/* RFC 9112 §3.2: no Host in HTTP/1.1, several, or a bad one. */
	if (in->nhost > 1 || (in->nhost == 0 && in->http11) ||
	    (in->nhost == 1 && !front_host_valid(in->host))) {
		snprintf(err, errlen, "%s", in->nhost > 1 ?
		    "more than one Host header" : in->nhost == 0 ?
		    "no Host header" : "malformed Host header");
		return 400;
	}
	r->vendor = vlen > 0 && strncmp(uri, vendor, vlen) == 0 &&
	    uri[vlen] == '/';
	if (!r->vendor && (strncmp(uri, base_path, plen) != 0 ||
	    (uri[plen] != '\0' && uri[plen] != '?'))) {
		snprintf(err, errlen, "no such resource");
		return 404;
	}
	r->matched = 1;
	r->head = strcmp(in->method, "HEAD") == 0;
	if (!r->head && strcmp(in->method, "GET") != 0) {
		snprintf(err, errlen, "method not allowed; use GET or HEAD");
		return 405;
	}
	if (r->vendor) {
		/* One file name below the prefix; its query is ignored. */
		uri += vlen + 1;
		len = strcspn(uri, "?");
		if (len == 0 || len >= sizeof(r->name) ||
		    memchr(uri, '/', len) != NULL) {
			snprintf(err, errlen, "no such resource");
			return 404;
		}
		memcpy(r->name, uri, len);
		r->name[len] = '\0';
		return 0;
	}
	qs = uri[plen] == '?' ? uri + plen + 1 : "";
	if (request_parse_query(qs, strlen(qs), &r->q, err, errlen) != 0)
		return 400;
	return 0;
}

int
front_vendor_match(const struct store_path_rule *rules, size_t n,
    const char *name, struct cfg_request *q)
{
	char	 mac[13], model[VPATH_MODEL_MAX];
	size_t	 i;

	memset(q, 0, sizeof(*q));
	for (i = 0; i < n; i++) {
		if (!vpath_match(rules[i].pattern, name, mac, model))
			continue;
		snprintf(q->mac, sizeof(q->mac), "%s", mac);
		request_mac_urn(mac, q->sfua_id, sizeof(q->sfua_id));
		q->have = REQ_HAVE_ID;
		if (rules[i].vendor[0]) {
			snprintf(q->vendor, sizeof(q->vendor), "%s",
			    rules[i].vendor);
			q->have |= REQ_HAVE_VENDOR;
		}
		if (model[0] && request_valid_token(model)) {
			snprintf(q->model, sizeof(q->model), "%s", model);
			q->have |= REQ_HAVE_MODEL;
		}
		snprintf(q->template_name, sizeof(q->template_name), "%s",
		    rules[i].template_name);
		q->plain = rules[i].plain;
		return 1;
	}
	return 0;
}

/* RFC 9110 §13.1.2: If-None-Match is a list of entity tags or "*". */
static int
etag_matches(const char *inm, const char *etag)
{
	size_t		 el = strlen(etag);
	const char	*p = inm;

	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '*')
			return 1;
		if (strncmp(p, "W/", 2) == 0)
			p += 2;	/* weak comparison for If-None-Match */
		if (strncmp(p, etag, el) == 0 && (p[el] == '\0' ||
		    p[el] == ',' || p[el] == ' ' || p[el] == '\t'))
			return 1;
		while (*p && *p != ',')
			p++;
	}
	return 0;
}

int
front_not_modified(const char *inm, const char *ims, const char *etag,
    time_t last_modified)
{
	time_t	 t;

	/* RFC 9110 §13.2.2: If-None-Match wins over If-Modified-Since. */
	if (inm != NULL)
		return etag_matches(inm, etag);
	return ims != NULL && util_parse_httpdate(ims, &t) == 0 &&
	    last_modified <= t;
}
