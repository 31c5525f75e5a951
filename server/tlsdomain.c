/*
 * tlsdomain: SNI certificate selection and client certificates for the
 * RFC 6011 §2.4.1 Configuration Service Domains (see tlsdomain.h).
 */
#include <ctype.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/x509.h>
#include <jansson.h>

#include "log.h"
#include "request.h"
#include "tlsdomain.h"
#include "util.h"

#define CHAIN_MAX	8
#define PEM_MAX		(256 * 1024)

struct tlsdomain {
	struct tlsdomain_info		 info;
	gnutls_pcert_st			 pcert[CHAIN_MAX];
	unsigned int			 npcert;
	gnutls_privkey_t		 pkey;
	gnutls_x509_trust_list_t	 trust;	/* NULL: no CA */
	const struct tlsdomain		*certs;	/* whose certificate: self
						   or the default domain */
};

struct tlsdomains {
	struct tlsdomain	*d;		/* d[0] is the default domain */
	size_t			 n;
};

/* The set the certificate callback serves (it has no user pointer). */
static const struct tlsdomains *_Atomic active;

static void
domain_clear(struct tlsdomain *d)
{
	unsigned	 i;

	for (i = 0; i < d->npcert; i++)
		gnutls_pcert_deinit(&d->pcert[i]);
	d->npcert = 0;
	if (d->pkey)
		gnutls_privkey_deinit(d->pkey);
	d->pkey = NULL;
	if (d->trust)
		gnutls_x509_trust_list_deinit(d->trust, 1);
	d->trust = NULL;
}

void
tlsdomains_free(struct tlsdomains *t)
{
	const struct tlsdomains	*want = t;
	size_t			 i;

	if (t == NULL)
		return;
	atomic_compare_exchange_strong(&active, &want, NULL);
	for (i = 0; i < t->n; i++)
		domain_clear(&t->d[i]);
	free(t->d);
	free(t);
}

size_t
tlsdomains_count(const struct tlsdomains *t)
{
	return t->n;
}

/* The public key of a private key and of a certificate are the same. */
static int
key_matches(gnutls_privkey_t pkey, gnutls_pubkey_t cert_pub)
{
	gnutls_pubkey_t	 pub;
	unsigned char	 a[64], b[64];
	size_t		 alen = sizeof(a), blen = sizeof(b);
	int		 ok = 0;

	if (gnutls_pubkey_init(&pub) < 0)
		return 0;
	if (gnutls_pubkey_import_privkey(pub, pkey, 0, 0) == 0 &&
	    gnutls_pubkey_get_key_id(pub, GNUTLS_KEYID_USE_SHA256, a,
	    &alen) == 0 &&
	    gnutls_pubkey_get_key_id(cert_pub, GNUTLS_KEYID_USE_SHA256, b,
	    &blen) == 0)
		ok = alen == blen && memcmp(a, b, alen) == 0;
	gnutls_pubkey_deinit(pub);
	return ok;
}

/* A PEM chain and key (in memory) into d; -1 with a reason. */
static int
load_pair(struct tlsdomain *d, const char *cert, size_t certlen,
    const char *key, size_t keylen, char *err, size_t errlen)
{
	gnutls_datum_t	 dc, dk;
	int		 rc;

	dc.data = (unsigned char *)(uintptr_t)cert;
	dc.size = (unsigned int)certlen;
	dk.data = (unsigned char *)(uintptr_t)key;
	dk.size = (unsigned int)keylen;
	d->npcert = CHAIN_MAX;
	if ((rc = gnutls_pcert_list_import_x509_raw(d->pcert, &d->npcert, &dc,
	    GNUTLS_X509_FMT_PEM, 0)) < 0 || d->npcert == 0) {
		d->npcert = 0;
		snprintf(err, errlen, "certificate: %s", rc < 0 ?
		    gnutls_strerror(rc) : "no certificate in the file");
		return -1;
	}
	if ((rc = gnutls_privkey_init(&d->pkey)) < 0 ||
	    (rc = gnutls_privkey_import_x509_raw(d->pkey, &dk,
	    GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
		snprintf(err, errlen, "key: %s", gnutls_strerror(rc));
		return -1;
	}
	if (!key_matches(d->pkey, d->pcert[0].pubkey)) {
		snprintf(err, errlen, "the key does not belong to the "
		    "certificate");
		return -1;
	}
	return 0;
}

static char *
read_pem(const char *path, size_t *len, char *err, size_t errlen)
{
	char	*b;

	if ((b = util_slurp(path, PEM_MAX, len)) == NULL)
		snprintf(err, errlen, "%s: cannot read it (missing, "
		    "unreadable or over %d KiB)", path, PEM_MAX / 1024);
	return b;
}

static int
load_files(struct tlsdomain *d, const char *cert, const char *key,
    char *err, size_t errlen)
{
	char	*c = NULL, *k = NULL, why[160];
	size_t	 clen = 0, klen = 0;
	int	 rc = -1;

	if ((c = read_pem(cert, &clen, err, errlen)) == NULL ||
	    (k = read_pem(key, &klen, err, errlen)) == NULL)
		goto done;
	if (load_pair(d, c, clen, k, klen, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "%s, %s: %s", cert, key, why);
		goto done;
	}
	rc = 0;
done:
	if (k)
		util_wipe(k, klen);
	free(k);
	free(c);
	return rc;
}

static int
load_ca(struct tlsdomain *d, const char *ca, char *err, size_t errlen)
{
	int	 n;

	if (gnutls_x509_trust_list_init(&d->trust, 0) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	n = gnutls_x509_trust_list_add_trust_file(d->trust, ca, NULL,
	    GNUTLS_X509_FMT_PEM, 0, 0);
	if (n <= 0) {
		snprintf(err, errlen, "%s: %s", ca, n < 0 ?
		    gnutls_strerror(n) : "no CA certificate in the file");
		return -1;
	}
	return 0;
}

static const char *
jstr(const json_t *o, const char *k)
{
	const char	*s = json_string_value(json_object_get(o, k));

	return s && *s ? s : NULL;
}

static enum client_cert_policy
policy(const char *s)
{
	if (s && strcmp(s, "required") == 0)
		return CLIENT_CERT_REQUIRED;
	if (s && strcmp(s, "ignore") == 0)
		return CLIENT_CERT_IGNORE;
	return CLIENT_CERT_OPTIONAL;
}

struct tlsdomains *
tlsdomains_load(struct store *st, const char *def_cert, const char *def_key,
    char *err, size_t errlen)
{
	struct tlsdomains	*t;
	struct tlsdomain	*d;
	json_t			*arr, *o;
	const char		*cert, *key, *ca, *realm;
	char			 why[512];
	size_t			 i, n;

	if (store_domain_list(st, &arr) != STORE_OK) {
		snprintf(err, errlen, "domains: %s", store_errmsg(st));
		return NULL;
	}
	n = json_array_size(arr);
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->d = calloc(n ? n : 1, sizeof(*t->d))) == NULL) {
		free(t);
		json_decref(arr);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	json_array_foreach(arr, i, o) {
		d = &t->d[t->n++];
		d->info.id = json_integer_value(json_object_get(o, "id"));
		snprintf(d->info.name, sizeof(d->info.name), "%s",
		    jstr(o, "name") ? jstr(o, "name") : "");
		realm = jstr(o, "realm");
		snprintf(d->info.realm, sizeof(d->info.realm), "%s",
		    realm ? realm : "");
		d->info.client_cert = policy(jstr(o, "client_cert"));
		d->info.tofu = json_integer_value(json_object_get(o,
		    "tofu")) != 0;
		cert = jstr(o, "cert_file");
		key = jstr(o, "key_file");
		ca = jstr(o, "ca_file");
		why[0] = '\0';
		if (cert && key) {
			if (load_files(d, cert, key, why, sizeof(why)) != 0)
				goto fail;
			d->certs = d;
		} else if (d->info.id == STORE_DEFAULT_DOMAIN) {
			if (load_pair(d, def_cert, strlen(def_cert), def_key,
			    strlen(def_key), why, sizeof(why)) != 0)
				goto fail;
			d->certs = d;
		}
		if (ca) {
			if (load_ca(d, ca, why, sizeof(why)) != 0)
				goto fail;
			d->info.has_ca = 1;
		}
		/* The default domain first: it answers unknown names. */
		if (d->info.id == STORE_DEFAULT_DOMAIN && d != &t->d[0]) {
			struct tlsdomain tmp = t->d[0];

			t->d[0] = *d;
			*d = tmp;
		}
	}
	json_decref(arr);
	if (t->n == 0 || t->d[0].info.id != STORE_DEFAULT_DOMAIN) {
		snprintf(err, errlen, "the store has no default domain");
		tlsdomains_free(t);
		return NULL;
	}
	/* Domains without a certificate of their own share the default's. */
	for (i = 0; i < t->n; i++)
		t->d[i].certs = t->d[i].npcert ? &t->d[i] : &t->d[0];
	return t;
fail:
	snprintf(err, errlen, "domain %s: %s", d->info.name, why);
	json_decref(arr);
	tlsdomains_free(t);
	return NULL;
}

void
tlsdomains_activate(struct tlsdomains *t)
{
	atomic_store(&active, t);
}

/* RFC 6011 §2.4.1: the UA's server_name is the CS domain. */
static const struct tlsdomain *
by_session(const struct tlsdomains *t, gnutls_session_t s)
{
	char		 name[TLSDOMAIN_NAME_MAX];
	size_t		 len = sizeof(name), i;
	unsigned int	 type;

	if (t == NULL)
		return NULL;
	if (gnutls_server_name_get(s, name, &len, &type, 0) == 0 &&
	    type == GNUTLS_NAME_DNS && len < sizeof(name)) {
		name[len] = '\0';
		/* A fully qualified name may end in a dot. */
		if (len > 0 && name[len - 1] == '.')
			name[len - 1] = '\0';
		for (i = 1; i < t->n; i++)
			if (strcasecmp(t->d[i].info.name, name) == 0)
				return &t->d[i];
	}
	return &t->d[0];
}

const struct tlsdomain_info *
tlsdomains_of(const struct tlsdomains *t, gnutls_session_t s)
{
	const struct tlsdomain	*d = by_session(t, s);

	return d ? &d->info : NULL;
}

int
tlsdomains_cert_cb(gnutls_session_t s, const gnutls_datum_t *req_ca_dn,
    int nreqs, const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length,
    gnutls_pcert_st **pcert, unsigned int *pcert_length,
    gnutls_privkey_t *pkey)
{
	const struct tlsdomain	*d = by_session(atomic_load(&active), s);

	(void)req_ca_dn;
	(void)nreqs;
	(void)pk_algos;
	(void)pk_algos_length;
	if (d == NULL || d->certs == NULL || d->certs->npcert == 0)
		return -1;
	/* Not freed by GnuTLS (retrieve_function2). */
	*pcert = (gnutls_pcert_st *)d->certs->pcert;
	*pcert_length = d->certs->npcert;
	*pkey = d->certs->pkey;
	return 0;
}

/* After the ClientHello: SNI is known, the request mode may be set. */
static int
post_client_hello(gnutls_session_t s)
{
	const struct tlsdomain	*d = by_session(atomic_load(&active), s);

	gnutls_certificate_server_set_request(s, d == NULL ||
	    d->info.client_cert == CLIENT_CERT_IGNORE ? GNUTLS_CERT_IGNORE :
	    GNUTLS_CERT_REQUEST);
	return 0;
}

void
tlsdomains_session_init(gnutls_session_t s)
{
	gnutls_handshake_set_post_client_hello_function(s, post_client_hello);
}

/* ------------------------------------------------ client certificates */

static void
add_id(struct peer_cert *pc, const char *id)
{
	size_t	 i;

	if (pc->nids == TLSDOMAIN_IDS_MAX)
		return;
	for (i = 0; i < pc->nids; i++)
		if (strcmp(pc->ids[i], id) == 0)
			return;
	snprintf(pc->ids[pc->nids++], sizeof(pc->ids[0]), "%s", id);
}

/*
 * A MAC inside a name, as vendors put it in factory certificates: 12 hex
 * digits ("SEP001122334455", "001565a1b2c3") or six colon- or
 * dash-separated pairs, not part of a longer hex run.
 */
static int
find_mac(const char *s, char mac[13])
{
	char	 cand[18];
	size_t	 len = strlen(s), i, w;

	for (i = 0; i < len; i++) {
		if (i > 0 && isxdigit((unsigned char)s[i - 1]))
			continue;
		for (w = 17; w >= 12; w -= 5) {
			if (i + w > len)
				continue;
			if (i + w < len && (isxdigit((unsigned char)s[i + w]) ||
			    (w == 17 && (s[i + w] == ':' || s[i + w] == '-'))))
				continue;
			memcpy(cand, s + i, w);
			cand[w] = '\0';
			if (w == 12 && strspn(cand, "0123456789abcdefABCDEF")
			    != 12)
				continue;
			if (request_mac_normalise(cand, mac) == 0)
				return 0;
		}
	}
	return -1;
}

static void
take_name(struct peer_cert *pc, const char *name)
{
	char	 urn[STORE_SFUA_ID_MAX], mac[13];

	if (strncasecmp(name, "urn:", 4) == 0) {
		if (request_urn_normalise(name, urn, sizeof(urn)) == 0)
			add_id(pc, urn);
	} else if (find_mac(name, mac) == 0)
		add_id(pc, mac);
}

static void
identities(gnutls_x509_crt_t crt, struct peer_cert *pc)
{
	char		 buf[512];
	size_t		 len;
	unsigned	 i;
	int		 type;

	len = sizeof(buf);
	if (gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME,
	    0, 0, buf, &len) == 0)
		take_name(pc, buf);
	for (i = 0; i < 32; i++) {
		len = sizeof(buf) - 1;
		type = gnutls_x509_crt_get_subject_alt_name(crt, i, buf, &len,
		    NULL);
		if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (type < 0)
			continue;
		buf[len < sizeof(buf) ? len : sizeof(buf) - 1] = '\0';
		if (type == GNUTLS_SAN_URI || type == GNUTLS_SAN_DNSNAME)
			take_name(pc, buf);
	}
}

int
tlsdomains_peer(const struct tlsdomains *t, const struct tlsdomain_info *di,
    gnutls_session_t s, struct peer_cert *pc)
{
	const gnutls_datum_t	*der;
	const struct tlsdomain	*d = NULL;
	gnutls_x509_crt_t	 crt[CHAIN_MAX];
	gnutls_datum_t		 dn = { NULL, 0 }, out = { NULL, 0 };
	gnutls_typed_vdata_st	 purpose;
	unsigned char		 fp[32];
	size_t			 fplen = sizeof(fp), i;
	unsigned int		 n = 0, ncrt = 0, status = 0;

	memset(pc, 0, sizeof(*pc));
	for (i = 0; t && i < t->n; i++)
		if (&t->d[i].info == di)
			d = &t->d[i];
	if ((der = gnutls_certificate_get_peers(s, &n)) == NULL || n == 0) {
		pc->kind = PEER_NONE;
		return 0;
	}
	pc->kind = PEER_BAD;
	if (gnutls_fingerprint(GNUTLS_DIG_SHA256, &der[0], fp, &fplen) < 0 ||
	    fplen != sizeof(fp)) {
		snprintf(pc->why, sizeof(pc->why), "no fingerprint");
		return 0;
	}
	util_hex(fp, sizeof(fp), pc->sha256);
	for (ncrt = 0; ncrt < n && ncrt < CHAIN_MAX; ncrt++) {
		if (gnutls_x509_crt_init(&crt[ncrt]) < 0)
			goto done;
		if (gnutls_x509_crt_import(crt[ncrt], &der[ncrt],
		    GNUTLS_X509_FMT_DER) < 0) {
			gnutls_x509_crt_deinit(crt[ncrt]);
			snprintf(pc->why, sizeof(pc->why), "not an X.509 "
			    "certificate");
			goto done;
		}
	}
	if (gnutls_x509_crt_get_dn3(crt[0], &dn, 0) == 0) {
		snprintf(pc->subject, sizeof(pc->subject), "%.*s",
		    (int)dn.size, (const char *)dn.data);
		gnutls_free(dn.data);
	}
	identities(crt[0], pc);
	pc->kind = PEER_UNTRUSTED;
	if (d == NULL || d->trust == NULL) {
		snprintf(pc->why, sizeof(pc->why), "no CA configured for "
		    "domain %s", di ? di->name : "?");
		goto done;
	}
	purpose.type = GNUTLS_DT_KEY_PURPOSE_OID;
	purpose.data = (unsigned char *)(uintptr_t)GNUTLS_KP_TLS_WWW_CLIENT;
	purpose.size = 0;
	if (gnutls_x509_trust_list_verify_crt2(d->trust, crt, ncrt, &purpose,
	    1, 0, &status, NULL) < 0)
		status = GNUTLS_CERT_INVALID;
	if (status == 0)
		pc->kind = PEER_VALID;
	else if (gnutls_certificate_verification_status_print(status,
	    GNUTLS_CRT_X509, &out, 0) == 0) {
		snprintf(pc->why, sizeof(pc->why), "%.*s", (int)out.size,
		    (const char *)out.data);
		gnutls_free(out.data);
	} else
		snprintf(pc->why, sizeof(pc->why), "not trusted");
done:
	for (i = 0; i < ncrt; i++)
		gnutls_x509_crt_deinit(crt[i]);
	return 0;
}

int
peer_names_device(const struct peer_cert *pc, const char *sfua_id,
    const char *mac)
{
	size_t	 i;

	if (pc->nids == 0)
		return -1;
	for (i = 0; i < pc->nids; i++) {
		if (strncmp(pc->ids[i], "urn:", 4) == 0) {
			if (strcmp(pc->ids[i], sfua_id) == 0)
				return 1;
		} else if (mac[0] && strcmp(pc->ids[i], mac) == 0)
			return 1;
	}
	return 0;
}

int
tlsdomain_check_files(const char *cert, const char *key, const char *ca,
    char *err, size_t errlen)
{
	struct tlsdomain	 d;
	int			 rc = 0;

	memset(&d, 0, sizeof(d));
	if (cert && key)
		rc = load_files(&d, cert, key, err, errlen);
	if (rc == 0 && ca)
		rc = load_ca(&d, ca, err, errlen);
	domain_clear(&d);
	return rc;
}
