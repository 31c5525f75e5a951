/*
 * config: sipcfgd.conf reader (see config.h).  Every directive has a
 * range; a value outside it is an error at start-up, never a surprise at
 * run time.  Runs on the main thread before any other starts.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "store.h"
#include "util.h"

void
config_defaults(struct config *c)
{
	long	 n;

	memset(c, 0, sizeof(*c));
	snprintf(c->store, sizeof(c->store), "/var/lib/sipcfg/sipcfg.db");
	snprintf(c->cert, sizeof(c->cert), "/etc/sipcfg/cert.pem");
	snprintf(c->key, sizeof(c->key), "/etc/sipcfg/key.pem");
	snprintf(c->base_path, sizeof(c->base_path), "/cfg");
	snprintf(c->vendor_paths, sizeof(c->vendor_paths), "/prov");
	n = sysconf(_SC_NPROCESSORS_ONLN);
	c->threads = n > 0 && n < 64 ? (unsigned)n : 2;
	c->unknown = UNKNOWN_DENY;
	c->max_age = 3600;
	c->pending_max_age = 300;
	c->nonce_ttl = 300;
	c->auth_fail_limit = 10;
	c->auth_fail_limit_addr = 100;
	c->auth_fail_window = 60;
	c->auth_block = 300;
	c->max_connections = 4096;
	c->max_per_ip = 256;
	c->handshake_timeout = 10;
	c->answer_cache_mb = 256;
	c->store_mmap_mb = 256;
	c->max_inflight = 1024;
	c->busy_connections = 3072;
	c->connection_timeout = 30;
	c->retry_after = 30;
	c->busy_timeout_ms = 2000;
	c->seen_flush_ms = 1000;
	/* sipcfgd.conf(5) says why these. */
	c->enroll_max = 10000;
	c->enroll_max_per_ip = 100;
	c->enroll_rate = 10;
	c->enroll_expire = 7 * 86400;
	c->max_output = 1024 * 1024;
	snprintf(c->admin_console, sizeof(c->admin_console), "%s/console",
	    SIPCFG_DATADIR);
	c->max_depth = 32;
	c->access_log = 1;
	c->notify_mode = -1;
	c->sub_min_expires = 60;
	c->sub_max_expires = 3600;
	c->sub_max = 100000;
	c->sub_per_device = 4;
	c->sub_per_source = 1000;
	c->notify_rate = 2500;
	c->shutdown_retry_after = 60;
	c->admin_scan_max = 20000;
}

/*
 * sip:HOST:PORT[;transport=udp|tcp] or sips:HOST:PORT, HOST an IPv4
 * address, [IPv6], a name or "*".  The port is required: the monitor
 * URIs handed out must name it.
 */
int
config_parse_sip(const char *s, struct config_sip *l)
{
	const char	*h, *colon, *params;
	long long	 port;
	char		 num[8];
	size_t		 hl, pl;

	memset(l, 0, sizeof(*l));
	if (strncmp(s, "sips:", 5) == 0) {
		l->tls = 1;
		h = s + 5;
	} else if (strncmp(s, "sip:", 4) == 0)
		h = s + 4;
	else
		return -1;
	if ((params = strchr(h, ';')) == NULL)
		params = h + strlen(h);
	else if (l->tls || (strcmp(params, ";transport=udp") != 0 &&
	    strcmp(params, ";transport=tcp") != 0))
		return -1;
	if (*h == '[') {
		if ((colon = strchr(h, ']')) == NULL || colon[1] != ':')
			return -1;
		colon++;
	} else if ((colon = strchr(h, ':')) == NULL || colon > params)
		return -1;
	hl = (size_t)(colon - h);
	pl = (size_t)(params - colon - 1);
	if (hl == 0 || hl >= sizeof(l->host) || pl == 0 || pl >= sizeof(num) ||
	    strlen(s) >= sizeof(l->url))
		return -1;
	memcpy(l->host, h, hl);
	memcpy(num, colon + 1, pl);
	num[pl] = '\0';
	if (strspn(l->host, "*") != hl && strspn(l->host,
	    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:[]")
	    != hl)
		return -1;
	if (util_strtonum(num, 1, 65535, &port))
		return -1;
	l->port = (unsigned)port;
	snprintf(l->url, sizeof(l->url), "%s", s);
	return 0;
}

int
config_parse_listen(const char *s, struct config_listen *l)
{
	const char	*colon;
	long long	 port;
	size_t		 hl;

	memset(l, 0, sizeof(*l));
	if (*s == '[') {
		if ((colon = strstr(s, "]:")) == NULL)
			return -1;
		hl = (size_t)(colon - s - 1);
		if (hl == 0 || hl >= sizeof(l->host))
			return -1;
		memcpy(l->host, s + 1, hl);
		colon++;
	} else if ((colon = strrchr(s, ':')) != NULL) {
		hl = (size_t)(colon - s);
		if (hl >= sizeof(l->host) || memchr(s, ':', hl))
			return -1;
		memcpy(l->host, s, hl);
		if (strcmp(l->host, "*") == 0)
			l->host[0] = '\0';
	} else
		colon = s - 1;
	if (util_strtonum(colon + 1, 0, 65535, &port) != 0)
		return -1;
	l->port = (unsigned)port;
	return 0;
}

static int
setpath(char *dst, size_t len, const char *dir, const char *v)
{
	int	 n;

	if (*v == '/' || dir == NULL || *dir == '\0')
		n = snprintf(dst, len, "%s", v);
	else
		n = snprintf(dst, len, "%s/%s", dir, v);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

struct uint_directive {
	const char	*name;
	size_t		 off;
	long long	 min, max;
};

#define U(n, f, lo, hi) { n, offsetof(struct config, f), lo, hi }
static const struct uint_directive uints[] = {
	U("threads", threads, 1, 64),
	U("nonce_ttl", nonce_ttl, 10, 86400),
	U("auth_fail_limit", auth_fail_limit, 1, 100000),
	U("auth_fail_limit_addr", auth_fail_limit_addr, 1, 1000000),
	U("auth_fail_window", auth_fail_window, 1, 86400),
	U("auth_block", auth_block, 1, 86400),
	U("max_connections", max_connections, 1, 1000000),
	U("max_per_ip", max_per_ip, 0, 1000000),
	U("max_inflight", max_inflight, 1, 1000000),
	U("busy_connections", busy_connections, 0, 1000000),
	U("connection_timeout", connection_timeout, 1, 3600),
	U("handshake_timeout", handshake_timeout, 1, 3600),
	U("retry_after", retry_after, 1, 86400),
	U("busy_timeout_ms", busy_timeout_ms, 1, 60000),
	U("seen_flush_ms", seen_flush_ms, 10, 60000),
	U("answer_cache_mb", answer_cache_mb, 0, 1048576),
	U("store_mmap_mb", store_mmap_mb, 0, 1048576),
	U("enroll_max", enroll_max, 1, 10000000),
	U("enroll_max_per_ip", enroll_max_per_ip, 1, 10000000),
	U("enroll_rate", enroll_rate, 1, 100000),
	U("enroll_expire", enroll_expire, 0, 31536000),
	U("max_depth", max_depth, 1, 256),
	U("sub_min_expires", sub_min_expires, 1, 86400),
	U("sub_max_expires", sub_max_expires, 1, 604800),
	U("sub_max", sub_max, 1, 10000000),
	U("sub_per_device", sub_per_device, 1, 1000),
	U("sub_per_source", sub_per_source, 1, 10000000),
	U("notify_rate", notify_rate, 1, 1000000),
	U("shutdown_retry_after", shutdown_retry_after, 1, 86400),
	U("admin_scan_max", admin_scan_max, 10, 100000000),
};
#undef U

/* on/off directives. */
struct bool_directive {
	const char	*name;
	size_t		 off;
};

#define B(n, f) { n, offsetof(struct config, f) }
static const struct bool_directive bools[] = {
	B("access_log", access_log),
	B("debug", debug),
	B("notify_body", notify_body),
	B("sub_trust_contact", sub_trust_contact),
	B("core_dumps", core_dumps),
};
#undef B
#define NBOOLS	(sizeof(bools) / sizeof(bools[0]))

static size_t
boolean_index(const char *k)
{
	size_t	 i;

	for (i = 0; i < NBOOLS; i++)
		if (strcmp(bools[i].name, k) == 0)
			break;
	return i;
}

int
config_load(struct config *c, const char *path)
{
	FILE		*f;
	char		 line[2048], dir[CONFIG_PATH_MAX], *p, *k, *v, *e;
	const char	*slash;
	unsigned	 lineno = 0;
	long long	 n;
	size_t		 i;
	int		 rc = -1;

	if ((f = fopen(path, "r")) == NULL) {
		log_warn("%s", path);
		return -1;
	}
	dir[0] = '\0';
	if ((slash = strrchr(path, '/')) != NULL)
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	c->nlisten = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			log_warnx("%s:%u: line too long", path, lineno);
			goto done;
		}
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		for (k = line; isspace((unsigned char)*k); k++)
			;
		if (*k == '\0')
			continue;
		for (v = k; *v && !isspace((unsigned char)*v); v++)
			;
		if (*v)
			*v++ = '\0';
		while (isspace((unsigned char)*v))
			v++;
		for (e = v + strlen(v); e > v && isspace((unsigned char)e[-1]);)
			*--e = '\0';
		if (*v == '\0') {
			log_warnx("%s:%u: %s: missing value", path, lineno, k);
			goto done;
		}
#define BAD(what) do { log_warnx("%s:%u: %s: %s", path, lineno, k, what); \
	goto done; } while (0)
		if (strcmp(k, "store") == 0) {
			/* A PostgreSQL URI is no path relative to the file. */
			if (setpath(c->store, sizeof(c->store),
			    store_is_pg(v) ? NULL : dir, v))
				BAD("path too long");
		} else if (strcmp(k, "cert") == 0) {
			if (setpath(c->cert, sizeof(c->cert), dir, v))
				BAD("path too long");
		} else if (strcmp(k, "key") == 0) {
			if (setpath(c->key, sizeof(c->key), dir, v))
				BAD("path too long");
		} else if (strcmp(k, "seal_key") == 0) {
			if (setpath(c->seal_key_file, sizeof(c->seal_key_file),
			    dir, v))
				BAD("path too long");
		} else if (strcmp(k, "secret_file") == 0) {
			if (setpath(c->secret_file, sizeof(c->secret_file),
			    dir, v))
				BAD("path too long");
		} else if (strcmp(k, "admin_listen") == 0) {
			/* A bare port is loopback's: the API is local by default. */
			char	 lb[160];

			if (strspn(v, "0123456789") == strlen(v)) {
				snprintf(lb, sizeof(lb), "127.0.0.1:%s", v);
				v = lb;
			}
			if (config_parse_listen(v, &c->admin_listen))
				BAD("expected a port, host:port or [v6]:port");
			c->have_admin = 1;
		} else if (strcmp(k, "admin_client_ca") == 0) {
			if (setpath(c->admin_client_ca,
			    sizeof(c->admin_client_ca), dir, v))
				BAD("path too long");
		} else if (strcmp(k, "admin_console") == 0) {
			if (setpath(c->admin_console, sizeof(c->admin_console),
			    dir, v))
				BAD("path too long");
		} else if (strcmp(k, "listen") == 0) {
			if (c->nlisten == CONFIG_LISTEN_MAX)
				BAD("too many listen directives (max 8)");
			if (config_parse_listen(v, &c->listen[c->nlisten]))
				BAD("expected host:port, [v6]:port or *:port");
			c->nlisten++;
		} else if (strcmp(k, "base_path") == 0) {
			if (*v != '/' || strlen(v) >= sizeof(c->base_path) ||
			    strpbrk(v, "?#%"))
				BAD("must start with / and have no ? # %");
			snprintf(c->base_path, sizeof(c->base_path), "%s", v);
		} else if (strcmp(k, "vendor_paths") == 0) {
			if (strcmp(v, "off") == 0)
				c->vendor_paths[0] = '\0';
			else if (*v != '/' || strlen(v) >= sizeof(c->vendor_paths) ||
			    strpbrk(v, "?#%{}") || (strlen(v) > 1 &&
			    v[strlen(v) - 1] == '/'))
				BAD("must be off or start with / (no trailing /, "
				    "? # % { })");
			else
				snprintf(c->vendor_paths, sizeof(c->vendor_paths),
				    "%s", v);
		} else if (strcmp(k, "public_url") == 0) {
			if (strncmp(v, "https://", 8) != 0 ||
			    strlen(v) >= sizeof(c->public_url))
				BAD("must be an https:// URL");
			snprintf(c->public_url, sizeof(c->public_url), "%s", v);
		} else if (strcmp(k, "unknown_device") == 0) {
			if (strcmp(v, "deny") == 0)
				c->unknown = UNKNOWN_DENY;
			else if (strcmp(v, "default") == 0)
				c->unknown = UNKNOWN_DEFAULT;
			else if (strcmp(v, "enroll") == 0)
				c->unknown = UNKNOWN_ENROLL;
			else
				BAD("expected deny, default or enroll");
		} else if (strcmp(k, "cache_warm") == 0) {
			if (strcmp(v, "auto") == 0)
				c->cache_warm = WARM_AUTO;
			else if (strcmp(v, "yes") == 0)
				c->cache_warm = WARM_YES;
			else if (strcmp(v, "no") == 0)
				c->cache_warm = WARM_NO;
			else
				BAD("expected yes, no or auto");
		} else if (strcmp(k, "max_age") == 0 ||
		    strcmp(k, "pending_max_age") == 0) {
			if (util_strtonum(v, 0, 31536000, &n))
				BAD("expected 0..31536000 seconds");
			*(k[0] == 'm' ? &c->max_age : &c->pending_max_age) =
			    (int)n;
		} else if (strcmp(k, "max_output") == 0) {
			if (util_strtonum(v, 1024, 16 * 1024 * 1024, &n))
				BAD("expected 1024..16777216 bytes");
			c->max_output = (size_t)n;
		} else if (strcmp(k, "sip_listen") == 0) {
			struct config_sip sl;
			if (config_parse_sip(v, &sl))
				BAD("expected sip:HOST:PORT[;transport=udp|tcp] "
				    "or sips:HOST:PORT");
			if ((sl.tls ? c->sips : c->sip).url[0])
				BAD(sl.tls ? "only one sips: listener" :
				    "only one sip: listener (use * for all "
				    "addresses)");
			*(sl.tls ? &c->sips : &c->sip) = sl;
		} else if (strcmp(k, "sip_host") == 0) {
			if (strlen(v) >= sizeof(c->sip_host) || strspn(v,
			    "0123456789abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ.-:[]") != strlen(v))
				BAD("expected a host name or address");
			snprintf(c->sip_host, sizeof(c->sip_host), "%s", v);
		} else if (strcmp(k, "log_format") == 0) {
			if (strcmp(v, "text") == 0)
				c->log_format = LOG_FORMAT_TEXT;
			else if (strcmp(v, "json") == 0)
				c->log_format = LOG_FORMAT_JSON;
			else
				BAD("expected text or json");
		} else if (strcmp(k, "notify_mode") == 0) {
			if (strcmp(v, "subscribe") == 0)
				c->notify_mode = 1;
			else if (strcmp(v, "poll") == 0)
				c->notify_mode = 0;
			else
				BAD("expected subscribe or poll");
		} else if ((i = boolean_index(k)) < NBOOLS) {
			int *b = (int *)((char *)c + bools[i].off);
			if (strcmp(v, "on") == 0 || strcmp(v, "yes") == 0)
				*b = 1;
			else if (strcmp(v, "off") == 0 || strcmp(v, "no") == 0)
				*b = 0;
			else
				BAD("expected on or off");
		} else {
			for (i = 0; i < sizeof(uints) / sizeof(uints[0]); i++)
				if (strcmp(uints[i].name, k) == 0)
					break;
			if (i == sizeof(uints) / sizeof(uints[0]))
				BAD("unknown directive");
			if (util_strtonum(v, uints[i].min, uints[i].max, &n)) {
				log_warnx("%s:%u: %s: expected %lld..%lld", path,
				    lineno, k, uints[i].min, uints[i].max);
				goto done;
			}
			*(unsigned *)((char *)c + uints[i].off) = (unsigned)n;
		}
#undef BAD
	}
	if (ferror(f)) {
		log_warn("%s", path);
		goto done;
	}
	if (c->sub_min_expires > c->sub_max_expires) {
		log_warnx("%s: sub_min_expires %u is above sub_max_expires %u",
		    path, c->sub_min_expires, c->sub_max_expires);
		goto done;
	}
	/* A pending phone fetches every pending_max_age: it must outlive it. */
	if (c->enroll_expire != 0 &&
	    c->enroll_expire <= (unsigned)c->pending_max_age) {
		log_warnx("%s: enroll_expire %u is not above pending_max_age %d: "
		    "pending phones that keep fetching would expire", path,
		    c->enroll_expire, c->pending_max_age);
		goto done;
	}
	/*
	 * RFC 5989 §6: what HTTPS protects needs TLS on the SIP side too.
	 * A body=true NOTIFY carries the whole configuration (passwords,
	 * HA1s), so it is refused at start-up while a sip: listener would
	 * let a subscriber have it in clear.
	 */
	if (c->notify_body && c->sip.url[0]) {
		log_warnx("%s: notify_body on needs sips: listeners only (the "
		    "configuration would go in clear over %s)", path,
		    c->sip.url);
		goto done;
	}
	if (c->notify_mode == 1 && !c->sip.url[0] && !c->sips.url[0]) {
		log_warnx("%s: notify_mode subscribe needs a sip_listen", path);
		goto done;
	}
	rc = 0;
done:
	fclose(f);
	return rc;
}

void
config_monitor_target(const struct config *c, int tls, char *out,
    size_t outlen)
{
	const struct config_sip *l = tls ? &c->sips : &c->sip;
	char		 host[256];

	out[0] = '\0';
	if (l->url[0] == '\0')
		return;
	if (c->sip_host[0])
		snprintf(host, sizeof(host), "%s", c->sip_host);
	else if (strcmp(l->host, "*") == 0) {
		if (gethostname(host, sizeof(host) - 1) != 0)
			snprintf(host, sizeof(host), "localhost");
		host[sizeof(host) - 1] = '\0';
	} else
		snprintf(host, sizeof(host), "%s", l->host);
	if (strchr(host, ':') && host[0] != '[')
		snprintf(out, outlen, "[%s]:%u", host, l->port);
	else
		snprintf(out, outlen, "%s:%u", host, l->port);
}

int
config_notify_default(const struct config *c)
{
	if (c->notify_mode >= 0)
		return c->notify_mode;
	return c->sip.url[0] || c->sips.url[0];
}

void
config_print(const struct config *c)
{
	size_t	 i;
	char	 safe[sizeof(c->store)];
	static const char *pol[] = { "deny", "default", "enroll" };

	store_name_safe(c->store, safe, sizeof(safe));
	printf("store %s\ncert %s\nkey %s\n", safe, c->cert, c->key);
	if (c->secret_file[0])
		printf("secret_file %s\n", c->secret_file);
	for (i = 0; i < c->nlisten; i++)
		printf(strchr(c->listen[i].host, ':') ? "listen [%s]:%u\n" :
		    "listen %s:%u\n", c->listen[i].host[0] ?
		    c->listen[i].host : "*", c->listen[i].port);
	printf("base_path %s\n", c->base_path);
	printf("vendor_paths %s\n", c->vendor_paths[0] ? c->vendor_paths : "off");
	if (c->public_url[0])
		printf("public_url %s\n", c->public_url);
	printf("unknown_device %s\nmax_age %d\npending_max_age %d\n",
	    pol[c->unknown], c->max_age, c->pending_max_age);
	for (i = 0; i < sizeof(uints) / sizeof(uints[0]); i++)
		printf("%s %u\n", uints[i].name,
		    *(const unsigned *)((const char *)c + uints[i].off));
	printf("max_output %zu\n", c->max_output);
	printf("log_format %s\n", c->log_format == LOG_FORMAT_JSON ? "json" :
	    "text");
	if (c->have_admin)
		printf(strchr(c->admin_listen.host, ':') ?
		    "admin_listen [%s]:%u\n" : "admin_listen %s:%u\n",
		    c->admin_listen.host[0] ? c->admin_listen.host : "*",
		    c->admin_listen.port);
	else
		printf("admin_listen none\n");
	printf("admin_console %s\n", c->admin_console);
	if (c->admin_client_ca[0])
		printf("admin_client_ca %s\n", c->admin_client_ca);
	printf("cache_warm %s\n", c->cache_warm == WARM_YES ? "yes" :
	    c->cache_warm == WARM_NO ? "no" : "auto");
	for (i = 0; i < NBOOLS; i++)
		if (strcmp(bools[i].name, "notify_body") != 0)
			printf("%s %s\n", bools[i].name, *(const int *)
			    ((const char *)c + bools[i].off) ? "on" : "off");
	if (c->sip.url[0])
		printf("sip_listen %s\n", c->sip.url);
	if (c->sips.url[0])
		printf("sip_listen %s\n", c->sips.url);
	if (c->sip_host[0])
		printf("sip_host %s\n", c->sip_host);
	printf("notify_mode %s\nnotify_body %s\n", c->notify_mode == 1 ?
	    "subscribe" : c->notify_mode == 0 ? "poll" : c->sip.url[0] ||
	    c->sips.url[0] ? "subscribe" : "poll",
	    c->notify_body ? "on" : "off");
}
