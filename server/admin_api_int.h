/*
 * admin_api_int: what the REST API's two halves share: the routes and
 * how a request becomes a command's arguments (admin_api_routes.c), and
 * running it with ETags and pages (admin_api.c).
 */
#ifndef SIPCFG_ADMIN_API_INT_H
#define SIPCFG_ADMIN_API_INT_H

#include <jansson.h>

#include "admin.h"
#include "admin_http_int.h"

/* A resource's representation: what its ETag is a hash of. */
struct rep {
	const char	*noun, *verb;	/* "device show", or a list */
	const char	*pick;		/* the list's key field; NULL: show */
	const char	*volatile_keys;	/* left out of the ETag */
};

enum {
	R_LIST		= 1 << 0,	/* an array: paginated, in "items" */
	R_CREATED	= 1 << 1,	/* 201 and Location */
	R_NOCONTENT	= 1 << 2,	/* 204 */
	R_IFMATCH	= 1 << 3,	/* the resource must match If-Match */
	R_SHOW		= 1 << 4,	/* the representation itself */
	R_RAW		= 1 << 5,	/* the body is the command's input */
	R_UPSERT	= 1 << 6	/* If-Match only when it exists */
};

struct route {
	const char	*method;
	const char	*path;		/* "{x}" binds a segment */
	const char	*noun, *verb;
	/*
	 * The command's arguments, space-separated: "{x}" a path segment,
	 * "@f" the body's (or query's) field f, "@f?" the same if present,
	 * "=v" the word v.
	 */
	const char	*pos;
	const char	*in;		/* a body field read as its input */
	const char	*force;		/* options always given */
	const struct rep *rep;		/* its resource */
	int		 flags;
	/*
	 * The index of the resource's key among the arguments (R_SHOW: the
	 * path parameters); those before it are its list command's (a
	 * variable's layer and scope).
	 */
	int		 key;
	/*
	 * R_LIST: the field of a row whose last value is the next page's
	 * after= (keyset: one index seek at any depth); NULL: offset=.
	 */
	const char	*after;
};


/* Storage for the arguments and options built from a request. */
struct argv_store {
	char	 val[ADMIN_MAXPOS + ADMIN_MAXOPT][1024];
	char	 name[ADMIN_MAXOPT][80];
	int	 n;
};

/* The resources whose answers admin_api.c treats apart. */
extern const struct rep	 rep_device, rep_user, rep_token;

/* The route of method and url (its path parameters in r); NULL: none. */
const struct route	*route_find(const char *method, const char *url,
			    struct req *r);
/* Whether url names a route under another method (for 405). */
int		 path_known(const char *url, struct req *r);
/* v kept in s for the call; NULL when s is full or v too long. */
const char	*keep(struct argv_store *s, const char *v);
/*
 * The command's arguments and options from the route, the path and the
 * fields (which it takes the arguments out of).  Every field must be an
 * argument, the input, or an option the command has: anything else is
 * refused by name.  0, or an HTTP status with detail.
 */
unsigned	 build_args(struct req *r, const struct route *rt,
		    const struct cmd *c, struct args *a, struct argv_store *s,
		    json_t *fields, char *detail, size_t dlen);

#endif
