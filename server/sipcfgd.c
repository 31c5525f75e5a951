/*
 * sipcfgd: the Configuration Service daemon.
 *
 * Start-up order, in one visible place: configuration, store check,
 * nonce secret, Digest context, failure guard, bookkeeping writer, HTTPS
 * front, SIP notifier; then one ready line on stdout and the main thread
 * waits for SIGTERM/SIGINT, after which everything stops in reverse order
 * (the notifier first, so its final NOTIFYs can still be re-fetched).
 */
#include <errno.h>
#include <malloc.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <getopt.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "config.h"
#include "digest.h"
#include "guard.h"
#include "arena.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "notifier.h"
#include "seal.h"
#include "seen.h"
#include "store.h"
#include "tlsdomain.h"
#include "admin_http.h"
#include "util.h"

#define SECRET_LEN	32

/* --help: on standard output, exit 0; a usage error: standard error, 2. */
static void
usage(FILE *f, int code)
{
	fprintf(f, "usage: sipcfgd [-dnv] [-f config] [-s store] "
	    "[-l listen]...\n"
	    "       sipcfgd --help | --version\n"
	    "  -f config   the configuration file (sipcfgd.conf(5))\n"
	    "  -s store    the store: a SQLite file or a postgresql:// URI\n"
	    "  -l listen   also listen on host:port (repeat)\n"
	    "  -n          check the configuration, the store and the "
	    "certificate, then exit\n"
	    "  -d, -v      stay in the foreground and log debug lines\n"
	    "  --routes    list the admin API's routes, then exit\n");
	exit(code);
}

/* The nonce secret: from secret_file (shared by instances) or random. */
static int
load_secret(const struct config *c, unsigned char *out)
{
	unsigned char	 buf[256];
	ssize_t		 n;
	int		 fd;

	if (c->secret_file[0] == '\0')
		return util_random(out, SECRET_LEN);
	if ((fd = open(c->secret_file, O_RDONLY | O_CLOEXEC)) < 0) {
		log_warn("%s", c->secret_file);
		return -1;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < SECRET_LEN) {
		log_warnx("%s: needs at least %d bytes", c->secret_file,
		    SECRET_LEN);
		util_wipe(buf, sizeof(buf));
		return -1;
	}
	memcpy(out, buf, SECRET_LEN);
	util_wipe(buf, sizeof(buf));
	return 0;
}

/*
 * The certificate and key must load and belong together: said here with
 * the file names, rather than as a failed listen later (sipcfgd -n too).
 */
static int
check_tls(const struct config *c)
{
	FILE		*f;
	X509		*x = NULL;
	EVP_PKEY	*k = NULL;
	int		 ok = 0;

	if ((f = fopen(c->cert, "r")) != NULL) {
		x = PEM_read_X509(f, NULL, NULL, NULL);
		fclose(f);
	}
	if (x == NULL) {
		log_warnx("cert %s: not a PEM certificate", c->cert);
		goto done;
	}
	if ((f = fopen(c->key, "r")) != NULL) {
		k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
	}
	if (k == NULL) {
		log_warnx("key %s: not a PEM private key (or encrypted)",
		    c->key);
		goto done;
	}
	if (X509_check_private_key(x, k) != 1) {
		log_warnx("key %s does not belong to cert %s", c->key, c->cert);
		goto done;
	}
	if (X509_cmp_current_time(X509_get0_notAfter(x)) < 0)
		log_warnx("cert %s has expired", c->cert);
	ok = 1;
done:
	X509_free(x);
	EVP_PKEY_free(k);
	ERR_clear_error();
	return ok ? 0 : -1;
}

/* One line per SIP transport, before the ready line (tests read them). */
static void
print_sip(const struct config *c)
{
	const char	*t;

	if (c->sip.url[0]) {
		t = strstr(c->sip.url, ";transport=");
		if (t == NULL || strcmp(t, ";transport=udp") == 0)
			printf("sipcfgd: sip udp %s:%u\n", c->sip.host,
			    c->sip.port);
		if (t == NULL || strcmp(t, ";transport=tcp") == 0)
			printf("sipcfgd: sip tcp %s:%u\n", c->sip.host,
			    c->sip.port);
	}
	if (c->sips.url[0])
		printf("sipcfgd: sip tls %s:%u\n", c->sips.host, c->sips.port);
}

/*
 * The seal key (seal.h): what vendor templates print in clear (SIP
 * passwords, file keys), secret variables, and the long-term password a
 * one-time password is exchanged for.  A key that exists but is not
 * usable is fatal; none at all is a warning.
 */
static void
load_seal_key(struct config *c)
{
	char	 kp[SEAL_PATH_MAX], e[SEAL_PATH_MAX + 128];

	if (c->seal_key_file[0])
		snprintf(kp, sizeof(kp), "%s", c->seal_key_file);
	else
		seal_key_path(c->store, kp, sizeof(kp));
	if (access(kp, F_OK) != 0) {
		if (c->seal_key_file[0])
			fatalx("seal_key %s: no such file", kp);
		log_warnx("no seal key %s (sipcfg init makes one): answers "
		    "carry no SIP passwords or secret variables, and "
		    "one-time passwords cannot be used", kp);
	} else if (seal_key_load(kp, c->seal_key, e, sizeof(e)) != 0)
		fatalx("seal key: %s", e);
	else {
		c->have_seal_key = 1;
		log_info("seal key %s", kp);
	}
}

/* -n: every CS domain's certificate, key and CAs load (RFC 6011 §2.4.1). */
static int
check_domains(struct store *st, const struct config *c)
{
	struct tlsdomains	*t;
	char			*cert, *key, err[640];
	size_t			 keylen = 0;

	if ((cert = util_slurp(c->cert, 1 << 20, NULL)) == NULL ||
	    (key = util_slurp(c->key, 1 << 20, &keylen)) == NULL) {
		free(cert);
		return -1;
	}
	t = tlsdomains_load(st, cert, key, err, sizeof(err));
	util_wipe(key, keylen);
	free(key);
	free(cert);
	if (t == NULL) {
		log_warnx("%s", err);
		return -1;
	}
	log_info("%zu configuration service domains, certificates and CAs "
	    "load", tlsdomains_count(t));
	tlsdomains_free(t);
	return 0;
}

/*
 * Room for max_connections on every listener, and the rest: the soft
 * descriptor limit (often 1024) would otherwise refuse connections long
 * before max_connections and the per-source limit are reached.
 */
static void
raise_nofile(const struct config *cfg)
{
	struct rlimit	 rl;
	rlim_t		 want = (rlim_t)cfg->max_connections * cfg->nlisten + 1024;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want ?
	    rl.rlim_max : want;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < want)
		log_warnx("open files limited to %llu: fewer connections than "
		    "max_connections can be accepted",
		    (unsigned long long)rl.rlim_cur);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "routes", no_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 }
	};
	struct config		 cfg;
	struct config_listen	 extra[CONFIG_LISTEN_MAX];
	struct store		*st;
	struct digest_ctx	*dg;
	struct guard		*g;
	struct seen		*sn;
	struct http		*h;
	struct admin_http	*ah = NULL;
	struct notifier		*nt = NULL;
	const char		*conffile = NULL, *storepath = NULL;
	unsigned char		 secret[SECRET_LEN];
	char			 err[512], bound[2048], cloc[640];
	char			 safe[CONFIG_PATH_MAX];
	sigset_t		 set;
	size_t			 nextra = 0;
	int			 ch, check = 0, debug = 0, sig;

	log_init("sipcfgd", 0);
	metrics_start();
	/*
	 * Threads' heaps are not given back to the kernel a page at a time:
	 * the bookkeeping writer and the workers free and take again the
	 * same memory all the time, and every trim was an munmap, a TLB
	 * shoot-down on each CPU and, on the next malloc, zeroed pages
	 * (issue 11's profile).  Large blocks still go back (mmap).
	 */
	(void)mallopt(M_TRIM_THRESHOLD, 64 << 20);
	(void)mallopt(M_MMAP_THRESHOLD, 4 << 20);
	/* Renderings take jansson's memory from per-thread arenas (arena.h). */
	arena_install();
	while ((ch = getopt_long(argc, argv, "df:hl:ns:v", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'd':
		case 'v':
			debug = 1;
			break;
		case 'f':
			conffile = optarg;
			break;
		case 'l':
			if (nextra == CONFIG_LISTEN_MAX ||
			    config_parse_listen(optarg, &extra[nextra]) != 0)
				fatalx("-l %s: expected host:port", optarg);
			nextra++;
			break;
		case 'n':
			check = 1;
			break;
		case 's':
			storepath = optarg;
			break;
		case 'h':
			usage(stdout, 0);
			break;
		case 'V':
			printf("sipcfgd %s\n", PACKAGE_VERSION);
			return 0;
		case 'R':
			admin_http_routes(stdout);
			return 0;
		default:
			usage(stderr, 2);
		}
	}
	if (optind != argc)
		usage(stderr, 2);

	config_defaults(&cfg);
	if (conffile && config_load(&cfg, conffile) != 0)
		fatalx("%s: configuration not loaded", conffile);
	if (storepath)
		snprintf(cfg.store, sizeof(cfg.store), "%s", storepath);
	if (nextra) {
		memcpy(cfg.listen, extra, nextra * sizeof(extra[0]));
		cfg.nlisten = nextra;
	}
	if (cfg.nlisten == 0) {
		config_parse_listen("127.0.0.1:8443", &cfg.listen[0]);
		config_parse_listen("[::1]:8443", &cfg.listen[1]);
		cfg.nlisten = 2;
	}
	if (debug)
		cfg.debug = 1;
	log_init("sipcfgd", cfg.debug);
	log_set_format(cfg.log_format);
	raise_nofile(&cfg);
	/*
	 * Before any secret is read: the seal key, the TLS keys and the
	 * HA1s must not end up in a core file or under a debugger.
	 */
	if (!cfg.core_dumps) {
		if (!check && util_no_core_dumps() != 0)
			fatal("cannot turn core dumps off");
	} else if (!check)
		log_warnx("core_dumps on: a core file or a debugger can read "
		    "the keys and password hashes this process holds");

	/* Opening the store checks its schema version (and migrates). */
	if ((st = store_open(cfg.store, STORE_RDWR, (int)cfg.busy_timeout_ms,
	    err, sizeof(err))) == NULL)
		fatalx("store: %s", err);
	if (access(cfg.cert, R_OK) != 0)
		fatal("cert %s", cfg.cert);
	if (access(cfg.key, R_OK) != 0)
		fatal("key %s", cfg.key);
	if (cfg.have_admin && cfg.admin_client_ca[0] &&
	    access(cfg.admin_client_ca, R_OK) != 0)
		fatal("admin_client_ca %s", cfg.admin_client_ca);
	if (cfg.have_admin && access(cfg.admin_console, R_OK | X_OK) != 0)
		log_warnx("admin_console %s: not readable; the web console is "
		    "not served (the API and metrics are)", cfg.admin_console);
	if (check) {
		if (check_tls(&cfg) != 0)
			fatalx("TLS certificate and key not usable");
		load_seal_key(&cfg);
		util_wipe(cfg.seal_key, sizeof(cfg.seal_key));
		if (check_domains(st, &cfg) != 0)
			fatalx("domains not usable (sipcfg domain list)");
		unsigned char s2[SECRET_LEN];

		if (cfg.secret_file[0] && load_secret(&cfg, s2) != 0)
			fatalx("secret_file %s not usable", cfg.secret_file);
		util_wipe(s2, sizeof(s2));
		store_close(st);
		config_print(&cfg);
		fprintf(stderr, "configuration OK\n");
		return 0;
	}

	/* Before anything initialises OpenSSL (notifier.h). */
	if (notifier_prepare(&cfg) != 0)
		fatalx("sips: cannot prepare the TLS listener");
	/* Whatever start-up failure follows, the key copy goes. */
	atexit(notifier_unprepare);
	if (check_tls(&cfg) != 0)
		fatalx("TLS certificate and key not usable");
	load_seal_key(&cfg);
	if (load_secret(&cfg, secret) != 0)
		fatalx("cannot get a nonce secret");
	dg = digest_new(secret, sizeof(secret), cfg.nonce_ttl, 65536);
	util_wipe(secret, sizeof(secret));
	if (dg == NULL)
		fatalx("digest: cannot initialise");
	if ((g = guard_new(cfg.auth_fail_limit, cfg.auth_fail_limit_addr,
	    cfg.auth_fail_window, cfg.auth_block)) == NULL)
		fatalx("out of memory");
	/*
	 * The bookkeeping writer walks device_seen, fetches_device and
	 * devices in device order once a batch (seen.h): a page cache that
	 * holds a batch's pages, and the file mapped like the workers'.
	 */
	(void)store_cache(st, SEEN_CACHE_BYTES);
	if (cfg.store_mmap_mb > 0)
		(void)store_mmap(st, (int64_t)cfg.store_mmap_mb << 20);
	if ((sn = seen_start(st, cfg.seen_flush_ms)) == NULL)
		fatalx("cannot start the bookkeeping writer");

	/* Worker threads inherit this mask; only main takes the signals. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if ((h = http_start(&cfg, dg, g, sn, bound, sizeof(bound))) == NULL)
		fatalx("cannot start the HTTPS front");
	if (cfg.sip.url[0] || cfg.sips.url[0]) {
		/* Content-Location of NOTIFY bodies: the public base URL. */
		if (cfg.public_url[0])
			snprintf(cloc, sizeof(cloc), "%s", cfg.public_url);
		else
			snprintf(cloc, sizeof(cloc), "%.*s",
			    (int)strcspn(bound, " "), bound);
		/* PostgreSQL: the feed hears the database's pushes. */
		if ((nt = notifier_start(&cfg, dg, g, cloc,
		    store_is_pg(cfg.store) ? http_feed(h) : NULL)) == NULL) {
			http_stop(h);
			fatalx("cannot start the SIP notifier");
		}
		print_sip(&cfg);
	}
	/* Issue 14: the admin listener (API, console, metrics). */
	if (cfg.have_admin) {
		char	 abound[256];

		if ((ah = admin_http_start(&cfg, abound, sizeof(abound))) ==
		    NULL) {
			notifier_stop(nt);
			http_stop(h);
			fatalx("cannot start the admin listener");
		}
		printf("sipcfgd: admin %s\n", abound);
		log_info("admin API, console and metrics on %s", abound);
	}
	printf("sipcfgd: ready %s\n", bound);
	fflush(stdout);
	store_name_safe(cfg.store, safe, sizeof(safe));
	log_info("serving %s (store %s, %u threads, unknown devices: %s)",
	    bound, safe, cfg.threads, cfg.unknown == UNKNOWN_DENY ? "deny" :
	    cfg.unknown == UNKNOWN_DEFAULT ? "default" : "enroll");

	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			/* RFC 6011 §2.4.1 domains: certificates, CAs, policy. */
			if (http_reload_domains(h) == 0)
				log_info("SIGHUP: domains and their certificates "
				    "reloaded; sipcfgd.conf is read at start-up "
				    "(restart to apply it)");
			continue;
		}
		if (sig == SIGUSR1) {
			/* The answer cache's figures (sipcfgd(8)). */
			http_log_stats(h);
			continue;
		}
		break;
	}
	log_info("stopping on signal %d", sig);
	/* Subscriptions end first, while the HTTPS side still answers. */
	admin_http_stop(ah);
	notifier_stop(nt);
	http_stop(h);
	seen_stop(sn);
	guard_free(g);
	digest_free(dg);
	return 0;
}
