/*
 * tlsdomain: the Configuration Service Domains of RFC 6011 §2.4.1 as the
 * TLS layer sees them.  The certificate a UA gets is chosen by SNI (the
 * UA MUST send the CS domain); a handshake without SNI, or with a name no
 * domain has, gets the default domain.  Client certificates are asked
 * for per domain and validated against the domain's CAs; the HTTP front
 * then binds them to devices or pins them (trust on first use).
 *
 * The set is loaded from the store when sipcfgd starts (and checked the
 * same way by `sipcfg domain add/set`); it is read-only afterwards, so
 * the GnuTLS callbacks on every worker thread use it without locks.
 */
#ifndef SIPCFG_TLSDOMAIN_H
#define SIPCFG_TLSDOMAIN_H

#include <stddef.h>
#include <stdint.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>

#include "store.h"

#define TLSDOMAIN_NAME_MAX	254
#define TLSDOMAIN_IDS_MAX	8	/* identities taken from one cert */

struct tlsdomains;

struct tlsdomain_info {
	int64_t			 id;
	char			 name[TLSDOMAIN_NAME_MAX];
	char			 realm[129];	/* "" = the store's */
	enum client_cert_policy	 client_cert;
	int			 tofu;
	int			 has_ca;
};

/*
 * Load every domain of the store.  def_cert/def_key: PEM of the default
 * domain's certificate chain and key when its own files are not set.
 * NULL with a one-line reason in err.
 */
struct tlsdomains *tlsdomains_load(struct store *, const char *def_cert,
		    const char *def_key, char *err, size_t errlen);
void		 tlsdomains_free(struct tlsdomains *);
size_t		 tlsdomains_count(const struct tlsdomains *);

/*
 * Make set the one the GnuTLS certificate callback serves from (there
 * is one per process: the callback has no user pointer).
 */
void		 tlsdomains_activate(struct tlsdomains *);
/* libmicrohttpd's MHD_OPTION_HTTPS_CERT_CALLBACK. */
int		 tlsdomains_cert_cb(gnutls_session_t,
		    const gnutls_datum_t *req_ca_dn, int nreqs,
		    const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length,
		    gnutls_pcert_st **pcert, unsigned int *pcert_length,
		    gnutls_privkey_t *pkey);
/* On a new session: ask for a client certificate unless ignored. */
void		 tlsdomains_session_init(gnutls_session_t);

/* The domain of a session (by SNI; the default one otherwise). */
const struct tlsdomain_info *tlsdomains_of(const struct tlsdomains *,
		    gnutls_session_t);

/* What the UA's client certificate is. */
enum peer_kind {
	PEER_NONE,		/* none presented */
	PEER_VALID,		/* chains to one of the domain's CAs */
	PEER_UNTRUSTED,		/* presented, not validated: TOFU material */
	PEER_BAD		/* unreadable */
};

struct peer_cert {
	enum peer_kind	 kind;
	char		 sha256[65];		/* of the DER certificate */
	char		 subject[256];		/* RFC 4514 DN, for logs */
	char		 why[96];		/* PEER_UNTRUSTED/BAD: why */
	/*
	 * Device identities the subject CN and subjectAltNames carry:
	 * normalised sfua-id URNs and 12-hex MACs.
	 */
	char		 ids[TLSDOMAIN_IDS_MAX][STORE_SFUA_ID_MAX];
	size_t		 nids;
};

int		 tlsdomains_peer(const struct tlsdomains *,
		    const struct tlsdomain_info *, gnutls_session_t,
		    struct peer_cert *);
/*
 * 1 if the certificate names the device with this sfua-id or MAC ("" for
 * none), 0 if it names other devices only, -1 if it names none.
 */
int		 peer_names_device(const struct peer_cert *,
		    const char *sfua_id, const char *mac);

/*
 * For the CLI: check that a certificate chain and key load and belong
 * together, and that a CA file holds at least one certificate.
 */
int		 tlsdomain_check_files(const char *cert, const char *key,
		    const char *ca, char *err, size_t errlen);

#endif
