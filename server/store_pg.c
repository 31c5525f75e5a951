/*
 * store_pg: the PostgreSQL backend of store.h (issue 13), not yet built.
 */
#include <stdio.h>

#include "store.h"
#include "store_int.h"

struct store *
store_pg_open(const char *uri, int flags, int busy_ms, char *err,
    size_t errlen)
{
	snprintf(err, errlen, "not supported on PostgreSQL yet: store_open");
	return NULL;
}
