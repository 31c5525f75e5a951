/*
 * admin_http: the admin listener (admin_listen): REST API, web console,
 * metrics.  See admin_http.c.
 */
#ifndef SIPCFG_ADMIN_HTTP_H
#define SIPCFG_ADMIN_HTTP_H

#include <stddef.h>
#include <stdio.h>

#include "config.h"

struct admin_http;

/* Listen on cfg->admin_listen; bound: its https:// URL.  NULL: failed. */
struct admin_http	*admin_http_start(const struct config *, char *bound,
			    size_t boundlen);
void			 admin_http_stop(struct admin_http *);
/* "METHOD PATH" of every route, one a line (sipcfgd --routes). */
void			 admin_http_routes(FILE *);

#endif
