/*
 * store_sqlite.h: what the SQLite backend shows its tests, apart from
 * the store interface (store.h), which no test-only function and no
 * SQLite type reaches.  tests/unit/test_plan.c runs EXPLAIN QUERY PLAN
 * over every statement listed here (issue 11: every lookup on the
 * request path, the notifier path and the CLI's single-device commands
 * uses an index).
 */
#ifndef SIPCFG_STORE_SQLITE_H
#define SIPCFG_STORE_SQLITE_H

#include <stddef.h>

/*
 * The i-th SQL statement the backend may run (counting from 0): its
 * name in *name (static) and its text, allocated ("" for a name that
 * has no statement of its own); the caller frees it.
 * NULL past the last one, and on running out of memory (with *name
 * NULL).
 */
char	*store_sqlite_statement(size_t i, const char **name);

#endif
