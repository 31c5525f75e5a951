/*
 * config: the sipcfgd configuration file, read once at start-up into a
 * struct config (sipcfgd.conf(5) documents every directive).  The file is
 * line-oriented, "directive value", '#' comments; errors name file:line.
 * Relative paths are taken relative to the file's directory.
 */
#ifndef SIPCFG_CONFIG_H
#define SIPCFG_CONFIG_H

#include <stddef.h>

#include "log.h"

#define CONFIG_LISTEN_MAX	8
#define CONFIG_PATH_MAX		1024

enum unknown_policy { UNKNOWN_DENY, UNKNOWN_DEFAULT, UNKNOWN_ENROLL };
enum cache_warm { WARM_AUTO, WARM_YES, WARM_NO };

struct config_listen {
	char		 host[128];	/* "" = any (dual-stack) */
	unsigned	 port;
};

/* One SIP listener of the notifier (sofia-sip takes the URL as is). */
struct config_sip {
	char		 url[192];	/* sip:HOST:PORT[;transport=..] / sips: */
	char		 host[128];	/* as written, brackets kept; "*" = any */
	unsigned	 port;
	int		 tls;
};

struct config {
	char			 store[CONFIG_PATH_MAX];
	char			 cert[CONFIG_PATH_MAX];
	char			 key[CONFIG_PATH_MAX];
	char			 secret_file[CONFIG_PATH_MAX];	/* "" = random */
	char			 seal_key_file[CONFIG_PATH_MAX];	/* "" = STORE.key */
	/* Loaded at start-up (seal.h); the store's sealed secrets. */
	unsigned char		 seal_key[32];
	int			 have_seal_key;
	char			 base_path[256];
	char			 vendor_paths[256];	/* "" = off */
	char			 public_url[512];	/* for naptr, logs */
	struct config_listen	 listen[CONFIG_LISTEN_MAX];
	size_t			 nlisten;
	unsigned		 threads;
	enum unknown_policy	 unknown;
	int			 max_age;
	int			 pending_max_age;
	unsigned		 nonce_ttl;
	unsigned		 auth_fail_limit;
	unsigned		 auth_fail_limit_addr;
	unsigned		 auth_fail_window;
	unsigned		 auth_block;
	unsigned		 max_connections;
	unsigned		 max_per_ip;
	unsigned		 max_inflight;
	unsigned		 busy_connections;	/* 0: off */
	unsigned		 connection_timeout;
	unsigned		 handshake_timeout;
	unsigned		 retry_after;
	unsigned		 busy_timeout_ms;
	unsigned		 seen_flush_ms;
	/* Issue 11: the shared answer cache (answers.h), feed.c's warmer. */
	unsigned		 answer_cache_mb;	/* 0: off */
	enum cache_warm		 cache_warm;
	unsigned		 store_mmap_mb;		/* 0: off */
	/* unknown_device enroll (issue 16): bounds on what it may write. */
	unsigned		 enroll_max;		/* pending, enrolled */
	unsigned		 enroll_max_per_ip;	/* of those, per address */
	unsigned		 enroll_rate;		/* enrolments a second */
	unsigned		 enroll_expire;		/* s unseen; 0: never */
	size_t			 max_output;
	unsigned		 max_depth;
	int			 access_log;
	enum log_format		 log_format;	/* text (default) or json */
	int			 debug;
	/* The SIP notifier (RFC 5989 / RFC 6665); see sipcfgd.conf(5). */
	struct config_sip	 sip;		/* url "" = none */
	struct config_sip	 sips;
	char			 sip_host[128];	/* "" = from the listeners */
	int			 notify_mode;	/* -1 = auto */
	unsigned		 sub_min_expires;
	unsigned		 sub_max_expires;
	unsigned		 sub_max;
	unsigned		 sub_per_device;	/* the oldest goes */
	unsigned		 sub_per_source;	/* address or /64 */
	int			 sub_trust_contact;	/* NOTIFY anywhere */
	unsigned		 notify_rate;
	unsigned		 shutdown_retry_after;
	/* Devices one admin API drift page may read (admin.h: scan_max). */
	unsigned		 admin_scan_max;
	int			 notify_body;
	int			 core_dumps;	/* debugging: dumps and ptrace */
	/* The admin listener: REST API, console, metrics (issue 14). */
	struct config_listen	 admin_listen;	/* port 0 + host "": none */
	int			 have_admin;
	char			 admin_console[CONFIG_PATH_MAX];
	char			 admin_client_ca[CONFIG_PATH_MAX]; /* "" none */
};

/* Defaults, then the file (if path is not NULL).  0, or -1 after logging
 * "file:line: reason". */
void	 config_defaults(struct config *);
int	 config_load(struct config *, const char *path);
/* Parse "host:port", "[v6]:port", "*:port" or "port". */
int	 config_parse_listen(const char *, struct config_listen *);
/*
 * The host:port the monitor URIs name (sip_host, else the listener's
 * host, "*" becoming the machine's name), "" when there is no such
 * listener.  IPv6 addresses come bracketed.
 */
void	 config_monitor_target(const struct config *, int tls, char *out,
	    size_t outlen);
/* The effective notify mode: notify_mode, else subscribe iff SIP is on. */
int	 config_notify_default(const struct config *);
/* Parse a sip_listen value. */
int	 config_parse_sip(const char *, struct config_sip *);
void	 config_print(const struct config *);

#endif
