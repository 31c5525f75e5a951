/*
 * test_sipreq: the Event (RFC 6665 §8.4, RFC 5989 §4.2) and Accept
 * (RFC 3261 §20.1, RFC 5989 §4.5) values the notifier interprets itself.
 * Malformed input first, then the values phones send.
 */
#include <string.h>

#include "sipreq.h"
#include "tap.h"

int
main(void)
{
	char	 big[SIPREQ_VALUE_MAX + 16];
	int	 body;

	/* Event: malformed. */
	ok(sipreq_event(NULL, &body) == -1, "Event: NULL");
	ok(sipreq_event("", &body) == -1, "Event: empty");
	ok(sipreq_event(";body=true", &body) == -1, "Event: no package");
	ok(sipreq_event("http-monitor;", &body) == -1, "Event: dangling ;");
	ok(sipreq_event("http-monitor;body", &body) == -1,
	    "Event: body without a value");
	ok(sipreq_event("http-monitor;body=maybe", &body) == -1,
	    "Event: body=maybe");
	ok(sipreq_event("http-monitor;body=true;body=false", &body) == -1,
	    "Event: body twice");
	ok(sipreq_event("http-monitor;id=\"x", &body) == -1,
	    "Event: unterminated quoted string");
	ok(sipreq_event("http-monitor junk", &body) == -1,
	    "Event: trailing junk");
	ok(sipreq_event("http monitor", &body) == -1, "Event: space in name");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ok(sipreq_event(big, &body) == -1, "Event: over-long value");

	/* Event: other packages. */
	ok(sipreq_event("presence", &body) == 0, "Event: presence");
	ok(sipreq_event("HTTP-MONITOR", &body) == 0,
	    "Event: package names are case-sensitive (RFC 6665 §8.2.1)");
	ok(sipreq_event("http-monitor-x", &body) == 0, "Event: longer name");
	ok(sipreq_event("check-sync;reboot=false", &body) == 0,
	    "Event: check-sync with a parameter");

	/* Event: ours. */
	ok(sipreq_event("http-monitor", &body) == 1 && body == 0,
	    "Event: http-monitor, no body");
	ok(sipreq_event("http-monitor;body=true", &body) == 1 && body == 1,
	    "Event: body=true");
	ok(sipreq_event(" http-monitor ; BODY = TRUE ", &body) == 1 &&
	    body == 1, "Event: spaces, parameter names without case");
	ok(sipreq_event("http-monitor;body=false", &body) == 1 && body == 0,
	    "Event: body=false");
	ok(sipreq_event("http-monitor;id=7;x=\"a;b\"", &body) == 1 &&
	    body == 0, "Event: other parameters, quoted ;");

	/* Accept: malformed. */
	ok(sipreq_accept(NULL) == -1, "Accept: NULL");
	ok(sipreq_accept("message") == -1, "Accept: no subtype");
	ok(sipreq_accept("message/") == -1, "Accept: empty subtype");
	ok(sipreq_accept("message/http,") == -1, "Accept: dangling comma");
	ok(sipreq_accept("message/http;q=2") == -1, "Accept: q=2");
	ok(sipreq_accept("message/http;q=0.0001") == -1, "Accept: q too long");
	ok(sipreq_accept(big) == -1, "Accept: over-long value");

	/* Accept: nothing for us. */
	ok(sipreq_accept("") == 0, "Accept: empty admits nothing");
	ok(sipreq_accept("application/pidf+xml") == 0, "Accept: pidf only");
	ok(sipreq_accept("message/sipfrag, text/plain") == 0,
	    "Accept: another message type");
	ok(sipreq_accept("message/http;q=0") == 0, "Accept: q=0 refuses");
	ok(sipreq_accept("message/http;q=0.000") == 0, "Accept: q=0.000");

	/* Accept: ours. */
	ok(sipreq_accept("message/http") == 1, "Accept: message/http");
	ok(sipreq_accept("Message/HTTP") == 1, "Accept: media types ignore case");
	ok(sipreq_accept("application/pidf+xml, message/http;q=0.5") == 1,
	    "Accept: in a list, with q");
	ok(sipreq_accept("message/*") == 1, "Accept: message/*");
	ok(sipreq_accept("*/*") == 1, "Accept: */*");
	ok(sipreq_accept("message/http;q=1.000") == 1, "Accept: q=1.000");
	/*
	 * The same rules on sofia-sip's parts (o_type/o_params,
	 * ac_type/ac_params): malformed first, then what phones send.
	 */
	{
		const char *none[] = { NULL };
		const char *bad1[] = { "body", NULL };
		const char *bad2[] = { "body=true", "body=false", NULL };
		const char *bad3[] = { "body=maybe", NULL };
		const char *bad4[] = { "x=\"open", NULL };
		const char *bad5[] = { "", NULL };
		const char *bad6[] = { "x=1 junk", NULL };
		const char *longp[] = { big, NULL };
		const char *t[] = { "body=true", NULL };
		const char *f[] = { "body=FALSE", "id=\"a b\"", NULL };
		const char *q0[] = { "q=0.000", NULL };
		const char *q5[] = { "level=1", "q=0.5", NULL };
		const char *qbad[] = { "q=2", NULL };

		ok(sipreq_event_parts(NULL, NULL, &body) == -1, "parts: no type");
		ok(sipreq_event_parts("", none, &body) == -1, "parts: empty type");
		ok(sipreq_event_parts("http monitor", NULL, &body) == -1,
		    "parts: space in the type");
		ok(sipreq_event_parts(big, NULL, &body) == -1,
		    "parts: over-long type");
		ok(sipreq_event_parts("http-monitor", longp, &body) == -1,
		    "parts: over-long parameter");
		ok(sipreq_event_parts("http-monitor", bad1, &body) == -1,
		    "parts: body without a value");
		ok(sipreq_event_parts("http-monitor", bad2, &body) == -1,
		    "parts: body twice");
		ok(sipreq_event_parts("http-monitor", bad3, &body) == -1,
		    "parts: body=maybe");
		ok(sipreq_event_parts("http-monitor", bad4, &body) == -1,
		    "parts: unterminated quoted string");
		ok(sipreq_event_parts("http-monitor", bad5, &body) == -1,
		    "parts: empty parameter");
		ok(sipreq_event_parts("http-monitor", bad6, &body) == -1,
		    "parts: junk after a parameter");
		ok(sipreq_event_parts("presence", bad3, &body) == 0,
		    "parts: another package's body= is its own business");
		ok(sipreq_event_parts("http-monitor", NULL, &body) == 1 &&
		    body == 0, "parts: http-monitor");
		ok(sipreq_event_parts("http-monitor", t, &body) == 1 &&
		    body == 1, "parts: body=true");
		ok(sipreq_event_parts("http-monitor", f, &body) == 1 &&
		    body == 0, "parts: body=FALSE and a quoted id");
		big[300] = '\0';
		ok(sipreq_event_parts("http-monitor", longp, &body) == 1,
		    "parts: a 300-byte parameter (128 and more once read past "
		    "their end) is fine");

		ok(sipreq_accept_range(NULL, NULL) == -1, "range: none");
		ok(sipreq_accept_range("message", NULL) == -1, "range: no /");
		ok(sipreq_accept_range("message/", NULL) == -1,
		    "range: no subtype");
		ok(sipreq_accept_range("message/http", qbad) == -1,
		    "range: q=2");
		ok(sipreq_accept_range("message/http", q0) == 0,
		    "range: q=0 refuses");
		ok(sipreq_accept_range("application/pidf+xml", NULL) == 0,
		    "range: another type");
		ok(sipreq_accept_range("message/http", NULL) == 1,
		    "range: message/http");
		ok(sipreq_accept_range("MESSAGE/*", q5) == 1,
		    "range: MESSAGE/* with parameters");
		ok(sipreq_accept_range("*/*", NULL) == 1, "range: */*");
	}
	return tap_done();
}
