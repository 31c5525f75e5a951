/*
 * storemove: a whole store, moved to another (issue 13 §5): from a
 * SQLite file to a PostgreSQL database, or back.
 *
 *	sipcfg export --all --secrets | sipcfg -d postgresql://... import -
 *
 * The export is JSON lines: a header {"sipcfg":"store","version":V},
 * then one {"table":T,"row":{...}} per row of every table a
 * configuration is rendered or authenticated from (store_table_ok()),
 * ids, monitor tokens, HA1s and times as they are, then {"end":{"rows":
 * N}}.  A sealed secret (a user's long-term password, a line's password,
 * a device's encryption key, a secret variable) is opened with the
 * source's seal key and written in clear in the row's "clear" object, to
 * be sealed again under the target's key.  So the target serves the same
 * answers, ETags and monitor URIs, and the same passwords work.
 *
 * History (the audit trail, fetches, the change log) and the notifier's
 * subscriptions stay behind.
 */
#ifndef SIPCFG_STOREMOVE_H
#define SIPCFG_STOREMOVE_H

#include <stdio.h>

#include "seal.h"
#include "store.h"

/* The header's first key: what tells a whole store from device rows. */
#define STOREMOVE_MAGIC	"{\"sipcfg\":\"store\""

/*
 * Write the whole store to out; key opens its sealed secrets (NULL: the
 * export is refused when there are any).  0, or -1 with a message on
 * standard error.
 */
int	storemove_export(struct store *, const unsigned char *key, FILE *out);
/*
 * Read such an export from in (its first line, already read, in first)
 * into an empty store, inside the caller's transaction; key seals the
 * secrets (NULL: refused when there are any).  0, or -1 with a message
 * on standard error (the caller rolls back).
 */
int	storemove_import(struct store *, const unsigned char *key,
	    const char *first, FILE *in, const char *name);

#endif
