/*
 * fuzz_front: libFuzzer target for the HTTPS front's header handling,
 * beyond the query and Digest parsers on their own: a raw HTTP/1.1
 * request head (request line, then "Name: value" lines) is split the way
 * libmicrohttpd splits it, and every header the daemon reads goes
 * through the functions the daemon calls with it (server/http.c):
 * front_route() with Host, front_vendor_match() on the shipped path
 * rules' patterns, digest_parse() on Authorization, front_not_modified()
 * on the conditional headers, useragent_parse() on User-Agent.
 * Besides memory errors it checks what front.h promises: a known status,
 * a NUL-terminated reason, a vendor name without '/', an sfua-id on a
 * matched vendor name.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "digest.h"
#include "front.h"
#include "useragent.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define MAXHDR	64

/* The shipped vendor path patterns (sql/migrate-3.sql). */
static const char *const patterns[] = {
	"{mac}.cfg", "{MAC}-phone.cfg", "snom{model}-{MAC}.htm",
	"cfg{mac}.xml", "Config{MAC}.cfg", "spa{mac}.xml",
};

static char *
trim(char *s)
{
	char	*e;

	while (*s == ' ' || *s == '\t')
		s++;
	for (e = s + strlen(s); e > s && (e[-1] == ' ' || e[-1] == '\t' ||
	    e[-1] == '\r');)
		*--e = '\0';
	return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store_path_rule	 rules[sizeof(patterns) / sizeof(patterns[0])];
	struct front_in		 in;
	struct front_route	 r;
	struct cfg_request	 q;
	struct digest_creds	 cr;
	struct ua_info		 ui;
	char			*s, *line, *next, *sp, *name[MAXHDR], *val[MAXHDR];
	char			 err[160];
	const char		*auth = NULL, *inm = NULL, *ims = NULL, *ua = NULL;
	size_t			 i, nh = 0, nr = sizeof(rules) / sizeof(rules[0]);
	unsigned		 st;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	memset(&in, 0, sizeof(in));
	/* The request line: METHOD SP URI SP VERSION. */
	line = s;
	if ((next = strchr(line, '\n')) != NULL)
		*next++ = '\0';
	in.method = line;
	if ((sp = strchr(line, ' ')) != NULL) {
		*sp++ = '\0';
		in.uri = sp;
		if ((sp = strchr(sp, ' ')) != NULL) {
			*sp++ = '\0';
			in.http11 = strncmp(trim(sp), "HTTP/1.1", 8) == 0;
		}
	}
	/* Header lines, as libmicrohttpd gives them: trimmed values. */
	while (next != NULL && *next != '\0' && nh < MAXHDR) {
		line = next;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((sp = strchr(line, ':')) == NULL)
			continue;
		*sp++ = '\0';
		name[nh] = line;
		val[nh] = trim(sp);
		nh++;
	}
	for (i = 0; i < nh; i++) {
		if (strcasecmp(name[i], "Host") == 0) {
			if (in.nhost++ == 0)
				in.host = val[i];
		} else if (auth == NULL && strcasecmp(name[i],
		    "Authorization") == 0)
			auth = val[i];
		else if (inm == NULL && strcasecmp(name[i],
		    "If-None-Match") == 0)
			inm = val[i];
		else if (ims == NULL && strcasecmp(name[i],
		    "If-Modified-Since") == 0)
			ims = val[i];
		else if (ua == NULL && strcasecmp(name[i], "User-Agent") == 0)
			ua = val[i];
	}

	st = front_route(&in, "/cfg", "/prov", &r, err, sizeof(err));
	if (st != 0 && st != 400 && st != 404 && st != 405 && st != 414)
		abort();
	if (st != 0 && strnlen(err, sizeof(err)) == sizeof(err))
		abort();
	if (st == 0 && r.vendor) {
		if (strchr(r.name, '/') != NULL || r.name[0] == '\0')
			abort();
		memset(rules, 0, sizeof(rules));
		for (i = 0; i < nr; i++)
			snprintf(rules[i].pattern, sizeof(rules[i].pattern),
			    "%s", patterns[i]);
		if (front_vendor_match(rules, nr, r.name, &q) &&
		    (!(q.have & REQ_HAVE_ID) || strlen(q.mac) != 12 ||
		    strncmp(q.sfua_id, "urn:uuid:", 9) != 0))
			abort();
	}
	if (st == 0 && !r.vendor && !(r.q.have & REQ_HAVE_ID))
		abort();
	if (front_host_valid(in.host) && in.host == NULL)
		abort();

	switch (digest_parse(auth, &cr)) {
	case AUTH_BASIC:
	case AUTH_DIGEST:
		if (strnlen(cr.username, sizeof(cr.username)) ==
		    sizeof(cr.username))
			abort();
		break;
	default:
		break;
	}
	digest_creds_wipe(&cr);
	(void)front_not_modified(inm, ims, "\"0123456789abcdef\"", 1700000000);
	if (ua != NULL)
		(void)useragent_parse(ua, &ui);
	free(s);
	return 0;
}
