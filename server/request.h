/*
 * request: the RFC 6011 §2.3.2 configuration request parameters.
 *
 * Pure functions (no I/O, no globals) so they can be fuzzed: parsing the
 * raw query string, validating each sfua-* value, and the URN/MAC
 * relations of RFC 5626 §4.1.  Thread-safe.
 */
#ifndef SIPCFG_REQUEST_H
#define SIPCFG_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#define REQUEST_QUERY_MAX	2048
#define REQUEST_ID_MAX		256
#define REQUEST_FIELD_MAX	128

struct cfg_request {
	char	 sfua_id[REQUEST_ID_MAX];	/* normalised URN */
	char	 user[REQUEST_FIELD_MAX];
	char	 vendor[REQUEST_ID_MAX];
	char	 model[REQUEST_FIELD_MAX];
	char	 revision[REQUEST_FIELD_MAX];
	char	 mac[13];			/* from sfua-id, or "" */
	unsigned have;				/* REQ_HAVE_* bits */
	/* Vendor file paths: a template forced by the path rule, or "". */
	char	 template_name[65];
	int	 plain;		/* never encrypted: a bootstrap file */
	/* The CS domain (RFC 6011 §2.4.1, by SNI); 0 is the default one. */
	int64_t	 domain_id;
};

#define REQ_HAVE_ID		0x01
#define REQ_HAVE_USER		0x02
#define REQ_HAVE_VENDOR		0x04
#define REQ_HAVE_MODEL		0x08
#define REQ_HAVE_REVISION	0x10

/*
 * Parse a raw query string (without the '?'; NULL or "" is an empty
 * query).  Returns 0, or -1 with a one-line reason in err suitable for a
 * 400 response ("sfua-id is required", "sfua-vendor: not a DNS domain").
 */
int	 request_parse_query(const char *q, size_t len, struct cfg_request *,
	    char *err, size_t errlen);

/*
 * Validate and normalise a URN for sfua-id: "urn:" is matched without
 * regard to case, and a urn:uuid is lower-cased (RFC 4122 §3).  Returns 0
 * and writes out, or -1.
 */
int	 request_urn_normalise(const char *in, char *out, size_t outlen);
/*
 * The MAC address carried by a URN: a version-1 urn:uuid whose node is
 * not a random (multicast-bit) node, as RFC 5626 §4.1 builds it, or a
 * urn:dev:mac (RFC 9039).  Writes 12 lower-case hex digits; -1 if none.
 */
int	 request_urn_mac(const char *urn, char mac[13]);
/* Any common MAC spelling (colons, dashes, dots, bare; any case) to 12
 * lower-case hex digits; -1 if it is not one. */
int	 request_mac_normalise(const char *in, char mac[13]);
/* The RFC 6011 §2.3.3 sfua-id for a MAC. */
void	 request_mac_urn(const char mac[13], char *out, size_t outlen);

int	 request_valid_domain(const char *);
int	 request_valid_token(const char *);
int	 request_valid_userid(const char *);

#endif
