/*
 * explain: why a device is served what it is (issue 14 §5), for `sipcfg
 * explain` and, later, the API and the console.  One JSON object:
 *   template   the one chosen, the device facts it was chosen by, and
 *              every template that matched, most specific first (the
 *              rule of store_template_select(): a template's non-NULL
 *              match fields all equal the device's; vendor outweighs
 *              model outweighs revision);
 *   vars       each variable the template sees: its value (secret ones
 *              "(secret)"), the layer it came from and the layers under
 *              it that it overrode or merged with (BRIEF.md §4: global,
 *              vendor, model, profile, user, device);
 *   auth       the domain, its realm, the user and its kind of password
 *              (long-term or one-time, and its window), and the client
 *              certificate policy with where it comes from;
 *   notify     subscription or polling, and from where;
 *   answer     what a fetch gets now: ETag, max-age, Last-Modified,
 *              secret-free or full, or why it cannot be rendered.
 */
#ifndef SIPCFG_EXPLAIN_H
#define SIPCFG_EXPLAIN_H

#include <jansson.h>

#include "store.h"

struct explain_opts {
	int		 max_age;	/* when device and profile say none */
	enum notify_mode notify_default;	/* the daemons' */
	const unsigned char *seal_key;	/* NULL: none */
};

/* A new object in *out, or -1 with the reason in err. */
int		 explain_device(struct store *, const struct store_device *,
		    const struct explain_opts *, json_t **out, char *err,
		    size_t errlen);

#endif
