/*
 * sipreq: the SIP header values the notifier interprets itself, as
 * plain strings (the header field value, without the name), so that they
 * can be fuzzed apart from sofia-sip.  Authorization goes through
 * digest_parse() (digest.h).
 */
#ifndef SIPCFG_SIPREQ_H
#define SIPCFG_SIPREQ_H

#include <stddef.h>

#define SIPREQ_VALUE_MAX	4096	/* longer values are malformed */

/*
 * RFC 6665 §8.4 Event = event-type *( SEMI event-param ), RFC 5989 §4.2
 * body-event-param = "body" EQUAL ("true" / "false").  Returns 1 for the
 * http-monitor package (*body set to 1 for body=true), 0 for another
 * package, -1 for a malformed value (including a bad body parameter).
 */
int	 sipreq_event(const char *value, int *body);

/*
 * RFC 3261 §20.1 Accept: 1 if the list admits message/http (RFC 5989
 * §4.5): message/http, message/ *, * / * (media-range, any parameters,
 * q > 0), else 0; -1 when malformed.  An empty value admits nothing.
 */
int	 sipreq_accept(const char *value);

/*
 * The same rules on the parts a SIP parser has already split (sofia-sip's
 * o_type and o_params, ac_type and ac_params): NUL-terminated strings,
 * each parameter "name" or "name=value"; params may be NULL.  Together
 * at most SIPREQ_VALUE_MAX bytes, or malformed.
 *
 * sipreq_event_parts: as sipreq_event().
 * sipreq_accept_range: one media-range ("type/subtype" and its
 * parameters): 1 if it admits message/http with q > 0, 0 if not, -1 when
 * malformed.
 */
int	 sipreq_event_parts(const char *type, const char *const *params,
	    int *body);
int	 sipreq_accept_range(const char *type, const char *const *params);

#endif
