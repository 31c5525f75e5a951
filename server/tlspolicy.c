/*
 * tlspolicy: the SIP side's cipher list (see tlspolicy.h), and its idle
 * connections' buffers released (SSL_MODE_RELEASE_BUFFERS).  Any thread:
 * the real function is looked up once (RTLD_NEXT: the one libssl
 * defines), and the call is passed on with our list, whoever asked.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>

#include <openssl/ssl.h>

#include "log.h"
#include "tlspolicy.h"

typedef int (*set_cipher_list_fn)(SSL_CTX *, const char *);

static set_cipher_list_fn	 real_set;
static pthread_once_t		 once = PTHREAD_ONCE_INIT;
static atomic_uint		 replaced;

static void
lookup(void)
{
	union {
		void			*p;
		set_cipher_list_fn	 f;
	} u;

	u.p = dlsym(RTLD_NEXT, "SSL_CTX_set_cipher_list");
	real_set = u.f;
}

int
SSL_CTX_set_cipher_list(SSL_CTX *ctx, const char *str)
{
	(void)str;
	pthread_once(&once, lookup);
	if (real_set == NULL) {
		log_warnx("tls: SSL_CTX_set_cipher_list not found");
		return 0;
	}
	atomic_fetch_add(&replaced, 1);
	/*
	 * A held subscription's connection is idle between NOTIFYs: its
	 * 34 KB of record buffers go back until the next record comes or
	 * goes (issue 12: RSS per TLS subscription).
	 */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	return real_set(ctx, TLSPOLICY_CIPHERS);
}

unsigned
tlspolicy_replaced(void)
{
	return atomic_load(&replaced);
}
