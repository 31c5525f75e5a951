/*
 * test_request: the RFC 6011 §2.3.2 query parser and the URN/MAC rules.
 * Bad input first, then the RFC's own example.
 */
#include <string.h>

#include "request.h"
#include "tap.h"

static int
parse(const char *q, struct cfg_request *r, char *err, size_t errlen)
{
	return request_parse_query(q, strlen(q), r, err, errlen);
}

int
main(void)
{
	struct cfg_request	 r;
	char			 err[160], out[256], mac[13], big[4096];
	static const char	 id[] =
	    "sfua-id=urn:uuid:00000000-0000-1000-8000-001122334455";

	/* Bad input. */
	ok(parse("", &r, err, sizeof(err)) == -1 &&
	    strcmp(err, "sfua-id is required") == 0, "empty query: %s", err);
	ok(parse("sfua-user=alice", &r, err, sizeof(err)) == -1,
	    "missing sfua-id refused");
	ok(parse("sfua-id=", &r, err, sizeof(err)) == -1, "empty sfua-id");
	ok(parse("sfua-id", &r, err, sizeof(err)) == -1, "sfua-id without =");
	ok(parse("sfua-id=notaurn", &r, err, sizeof(err)) == -1 &&
	    strstr(err, "not a URN"), "non-URN sfua-id: %s", err);
	ok(parse("sfua-id=urn:uuid:zzzz", &r, err, sizeof(err)) == -1,
	    "bad uuid");
	ok(parse("sfua-id=urn:ex:%zz", &r, err, sizeof(err)) == -1,
	    "bad percent escape");
	ok(parse("sfua-id=urn:ex:a%00b", &r, err, sizeof(err)) == -1,
	    "NUL byte refused");
	ok(parse("sfua-id=urn:ex:a%", &r, err, sizeof(err)) == -1,
	    "truncated escape");
	ok(parse("sfua-id=urn:ex:1&sfua-id=urn:ex:2", &r, err,
	    sizeof(err)) == -1 && strstr(err, "more than once"),
	    "duplicate sfua-id: %s", err);
	ok(parse("sfua-id=urn:ex:1&sfua-vendor=-bad-.com", &r, err,
	    sizeof(err)) == -1 && strstr(err, "sfua-vendor"),
	    "bad vendor domain: %s", err);
	ok(parse("sfua-id=urn:ex:1&sfua-vendor=a..b", &r, err,
	    sizeof(err)) == -1, "empty label in vendor");
	ok(parse("sfua-id=urn:ex:1&sfua-model=Hypo%20Comm", &r, err,
	    sizeof(err)) == -1, "space in model token");
	ok(parse("sfua-id=urn:ex:1&sfua-revision=2.1/x", &r, err,
	    sizeof(err)) == -1, "slash in revision token");
	ok(parse("sfua-id=urn:ex:1&sfua-user=a:b", &r, err,
	    sizeof(err)) == -1, "colon in userid");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "sfua-id=urn:ex:", 14);
	ok(parse(big, &r, err, sizeof(err)) == -1 && strstr(err, "longer"),
	    "over-long query: %s", err);
	memcpy(big + 1000, "\0", 1);
	ok(parse(big, &r, err, sizeof(err)) == -1, "over-long sfua-id");

	/* Good input: RFC 6011 §2.3.3 Figure 2. */
	ok(parse("sfua-id=urn:uuid:00000000-0000-1000-8000-001122334455"
	    "&sfua-vendor=examplecorp.com&sfua-model=HypoComm"
	    "&sfua-revision=2.1", &r, err, sizeof(err)) == 0,
	    "RFC 6011 example parses");
	ok(strcmp(r.sfua_id, "urn:uuid:00000000-0000-1000-8000-001122334455")
	    == 0, "sfua-id kept");
	ok(strcmp(r.mac, "001122334455") == 0, "MAC derived: %s", r.mac);
	ok(strcmp(r.vendor, "examplecorp.com") == 0 &&
	    strcmp(r.model, "HypoComm") == 0 && strcmp(r.revision, "2.1") == 0,
	    "vendor/model/revision");
	ok(!(r.have & REQ_HAVE_USER), "no sfua-user");
	ok(parse("foo=bar&sfua-future=1&&x&sfua-id=URN:UUID:"
	    "00000000-0000-1000-8000-00AABBCCDDEE&sfua-user=bob%40x", &r, err,
	    sizeof(err)) == 0, "unknown params ignored (RFC 6011 §2.3.2)");
	ok(strcmp(r.sfua_id, "urn:uuid:00000000-0000-1000-8000-00aabbccddee")
	    == 0, "URN normalised to lower case: %s", r.sfua_id);
	ok(strcmp(r.user, "bob@x") == 0, "percent-decoded user");
	ok(parse(id, &r, err, sizeof(err)) == 0 &&
	    strcmp(r.mac, "001122334455") == 0, "id only");

	/* URN and MAC relations. */
	ok(request_urn_mac("urn:uuid:f81d4fae-7dec-41d0-a765-00a0c91e6bf6",
	    mac) == -1, "version-4 uuid carries no MAC");
	ok(request_urn_mac("urn:uuid:00000000-0000-1000-8000-011122334455",
	    mac) == -1, "multicast-bit node is not a MAC");
	ok(request_urn_mac("urn:dev:mac:00-11-22-33-44-55", mac) == 0 &&
	    strcmp(mac, "001122334455") == 0, "urn:dev:mac");
	ok(request_mac_normalise("00:11:22:33:44:5", mac) == -1, "short MAC");
	ok(request_mac_normalise("00:11:22:33:44:55:66", mac) == -1,
	    "long MAC");
	ok(request_mac_normalise("00:11:22:33:44:gg", mac) == -1,
	    "non-hex MAC");
	ok(request_mac_normalise("00:11:22:AA:bb:CC", mac) == 0 &&
	    strcmp(mac, "001122aabbcc") == 0, "colon MAC");
	ok(request_mac_normalise("0011.22aa.BBCC", mac) == 0 &&
	    strcmp(mac, "001122aabbcc") == 0, "dotted MAC");
	request_mac_urn("001122334455", out, sizeof(out));
	ok(strcmp(out, "urn:uuid:00000000-0000-1000-8000-001122334455") == 0,
	    "MAC to RFC 6011 sfua-id");
	ok(request_urn_normalise("urn:a:b", out, sizeof(out)) == -1,
	    "one-letter NID refused");
	ok(request_urn_normalise("urn:example:a/b@c", out, sizeof(out)) == 0,
	    "generic URN accepted");
	return tap_done();
}
