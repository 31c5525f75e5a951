/*
 * admin_api_routes: the REST API's routes (doc/openapi.json describes
 * each; tests/e2e/api.sh checks the two are the same set) and how a
 * request becomes a command's arguments and options: path segments are
 * its arguments, the JSON body's fields (or a GET's query parameters)
 * its options, refused by name when the command has no such option.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "admin.h"
#include "admin_http.h"
#include "admin_api_int.h"

const struct rep rep_device = { "device", "show", NULL,
	"last_fetch last_etag last_addr last_ua ua_vendor ua_model "
	"ua_firmware fetches revision" };
const struct rep rep_user = { "user", "show", NULL, "" };
static const struct rep rep_template = { "template", "list", "name", "" };
static const struct rep rep_profile = { "profile", "list", "name", "" };
static const struct rep rep_domain = { "domain", "list", "name", "" };
const struct rep rep_token = { "token", "list", "name",
	"last_used" };
static const struct rep rep_path = { "path", "list", "pattern", "" };
static const struct rep rep_checksync = { "checksync", "list", "vendor",
	"" };
static const struct rep rep_var = { "var", "show", "name", "" };

/* The routes; doc/openapi.json describes each (tests/e2e/api.sh). */
static const struct route routes[] = {
	{ "GET", "/api/v1/devices", "device", "list", "", NULL, NULL, NULL,
	    R_LIST, 0, "id" },
	{ "POST", "/api/v1/devices", "device", "add", "@device", NULL, NULL,
	    &rep_device, R_CREATED, 0, NULL },
	{ "GET", "/api/v1/devices/duplicates", "device", "duplicates", "",
	    NULL, NULL, NULL, R_LIST, 0, NULL },
	{ "GET", "/api/v1/devices/{dev}", NULL, NULL, "{dev}", NULL, NULL,
	    &rep_device, R_SHOW, 0, NULL },
	{ "PATCH", "/api/v1/devices/{dev}", "device", "set", "{dev}", NULL,
	    NULL, &rep_device, R_IFMATCH, 0, NULL },
	{ "DELETE", "/api/v1/devices/{dev}", "device", "rm", "{dev}", NULL,
	    NULL, &rep_device, R_IFMATCH | R_NOCONTENT, 0, NULL },
	{ "GET", "/api/v1/devices/{dev}/config", "render", NULL, "{dev}",
	    NULL, "--masked", NULL, 0, 0, NULL },
	{ "GET", "/api/v1/devices/{dev}/explain", "explain", NULL, "{dev}",
	    NULL, NULL, NULL, 0, 0, NULL },
	{ "GET", "/api/v1/devices/{dev}/history", "device", "history",
	    "{dev}", NULL, NULL, NULL, R_LIST, 0, NULL },
	{ "GET", "/api/v1/devices/{dev}/lines", "line", "list", "{dev}",
	    NULL, NULL, NULL, R_LIST, 0, NULL },
	{ "POST", "/api/v1/devices/{dev}/lines", "line", "add", "{dev}",
	    "password", NULL, &rep_device, R_IFMATCH, 0, NULL },
	{ "DELETE", "/api/v1/devices/{dev}/lines/{position}", "line", "rm",
	    "{dev} {position}", NULL, NULL, &rep_device,
	    R_IFMATCH | R_NOCONTENT, 0, NULL },
	{ "DELETE", "/api/v1/devices/{dev}/pin", "device", "unpin", "{dev}",
	    NULL, NULL, &rep_device, R_IFMATCH | R_NOCONTENT, 0, NULL },
	{ "POST", "/api/v1/devices/{dev}/notify", "notify", NULL, "{dev}",
	    NULL, NULL, NULL, 0, 0, NULL },
	{ "GET", "/api/v1/drift", "drift", NULL, "@device?", NULL, NULL, NULL,
	    R_LIST, 0, "id" },
	{ "GET", "/api/v1/subscriptions", "subs", NULL, "@device?", NULL,
	    NULL, NULL, R_LIST, 0, "id" },
	{ "POST", "/api/v1/notify", "notify", NULL, "", NULL, NULL, NULL, 0,
	    0, NULL },
	{ "GET", "/api/v1/users", "user", "list", "", NULL, NULL, NULL,
	    R_LIST, 0, "name" },
	{ "POST", "/api/v1/users", "user", "add", "@name", "password", NULL,
	    &rep_user, R_CREATED, 0, NULL },
	{ "GET", "/api/v1/users/{name}", NULL, NULL, "{name}", NULL, NULL,
	    &rep_user, R_SHOW, 0, NULL },
	{ "DELETE", "/api/v1/users/{name}", "user", "rm", "{name}", NULL,
	    NULL, &rep_user, R_IFMATCH | R_NOCONTENT, 0, NULL },
	{ "POST", "/api/v1/users/{name}/password", "user", "passwd", "{name}",
	    "password", NULL, &rep_user, R_IFMATCH, 0, NULL },
	{ "POST", "/api/v1/users/{name}/otp", "user", "otp", "{name}", NULL,
	    NULL, &rep_user, R_IFMATCH, 0, NULL },
	{ "GET", "/api/v1/templates", "template", "list", "", NULL, NULL,
	    NULL, R_LIST, 0, NULL },
	{ "GET", "/api/v1/templates/{name}", NULL, NULL, "{name}", NULL, NULL,
	    &rep_template, R_SHOW, 0, NULL },
	{ "GET", "/api/v1/templates/{name}/body", "template", "show",
	    "{name}", NULL, NULL, NULL, 0, 0, NULL },
	{ "PUT", "/api/v1/templates/{name}", "template", "add", "{name} =-",
	    "body", NULL, &rep_template, R_IFMATCH | R_UPSERT, 0, NULL },
	{ "DELETE", "/api/v1/templates/{name}", "template", "rm", "{name}",
	    NULL, NULL, &rep_template, R_IFMATCH | R_NOCONTENT, 0, NULL },
	{ "GET", "/api/v1/vars", "var", "show", "@layer? @scope?", NULL, NULL,
	    NULL, R_LIST, 0, NULL },
	{ "GET", "/api/v1/vars/{layer}/{name}", NULL, NULL, "{layer} {name}",
	    NULL, NULL, &rep_var, R_SHOW, 1, NULL },
	{ "GET", "/api/v1/vars/{layer}/{scope}/{name}", NULL, NULL,
	    "{layer} {scope} {name}", NULL, NULL, &rep_var, R_SHOW, 2, NULL },
	{ "PUT", "/api/v1/vars/{layer}/{name}", "var", "set",
	    "{layer} {name} @value", NULL, NULL, &rep_var,
	    R_IFMATCH | R_UPSERT, 1, NULL },
	{ "PUT", "/api/v1/vars/{layer}/{scope}/{name}", "var", "set",
	    "{layer} {scope} {name} @value", NULL, NULL, &rep_var,
	    R_IFMATCH | R_UPSERT, 2, NULL },
	{ "DELETE", "/api/v1/vars/{layer}/{name}", "var", "unset",
	    "{layer} {name}", NULL, NULL, &rep_var, R_IFMATCH | R_NOCONTENT,
	    1, NULL },
	{ "DELETE", "/api/v1/vars/{layer}/{scope}/{name}", "var", "unset",
	    "{layer} {scope} {name}", NULL, NULL, &rep_var,
	    R_IFMATCH | R_NOCONTENT, 2, NULL },
	{ "GET", "/api/v1/profiles", "profile", "list", "", NULL, NULL, NULL,
	    R_LIST, 0, NULL },
	{ "GET", "/api/v1/profiles/{name}", NULL, NULL, "{name}", NULL, NULL,
	    &rep_profile, R_SHOW, 0, NULL },
	{ "PATCH", "/api/v1/profiles/{name}", "profile", "set", "{name}",
	    NULL, NULL, &rep_profile, R_IFMATCH | R_UPSERT, 0, NULL },
	{ "GET", "/api/v1/domains", "domain", "list", "", NULL, NULL, NULL,
	    R_LIST, 0, NULL },
	{ "GET", "/api/v1/domains/{name}", NULL, NULL, "{name}", NULL, NULL,
	    &rep_domain, R_SHOW, 0, NULL },
	{ "GET", "/api/v1/paths", "path", "list", "", NULL, NULL, NULL,
	    R_LIST, 0, NULL },
	{ "POST", "/api/v1/paths", "path", "add", "@pattern", NULL, NULL,
	    &rep_path, R_CREATED, 0, NULL },
	{ "GET", "/api/v1/paths/{pattern}", NULL, NULL, "{pattern}", NULL,
	    NULL, &rep_path, R_SHOW, 0, NULL },
	{ "DELETE", "/api/v1/paths/{pattern}", "path", "rm", "{pattern}",
	    NULL, NULL, &rep_path, R_IFMATCH | R_NOCONTENT, 0, NULL },
	{ "GET", "/api/v1/checksync", "checksync", "list", "", NULL, NULL,
	    NULL, R_LIST, 0, NULL },
	{ "GET", "/api/v1/checksync/{vendor}", NULL, NULL, "{vendor}", NULL,
	    NULL, &rep_checksync, R_SHOW, 0, NULL },
	{ "PATCH", "/api/v1/checksync/{vendor}", "checksync", "set",
	    "{vendor}", NULL, NULL, &rep_checksync, R_IFMATCH | R_UPSERT, 0, NULL },
	{ "GET", "/api/v1/audit", "audit", NULL, "", NULL, NULL, NULL,
	    R_LIST, 0, NULL },
	{ "POST", "/api/v1/import", "import", NULL, "=-", NULL, NULL, NULL,
	    R_RAW, 0, NULL },
	{ "GET", "/api/v1/tokens", "token", "list", "", NULL, NULL, NULL,
	    R_LIST, 0, NULL },
	{ "POST", "/api/v1/tokens", "token", "add", "@name", NULL, NULL,
	    &rep_token, R_CREATED, 0, NULL },
	{ "GET", "/api/v1/tokens/{name}", NULL, NULL, "{name}", NULL, NULL,
	    &rep_token, R_SHOW, 0, NULL },
	{ "DELETE", "/api/v1/tokens/{name}", "token", "rm", "{name}", NULL,
	    NULL, &rep_token, R_IFMATCH | R_NOCONTENT, 0, NULL },
};
#define NROUTES	(sizeof(routes) / sizeof(routes[0]))


/* ------------------------------------------------------------- routing */

static int
route_match(const struct route *rt, const char *method, const char *url,
    struct req *r)
{
	const char	*p = rt->path, *u = url;
	size_t		 pn, un;

	if (strcmp(rt->method, method) != 0)
		return 0;
	r->np = 0;
	while (*p && *u) {
		if (*p != '/' || *u != '/')
			return 0;
		p++;
		u++;
		pn = strcspn(p, "/");
		un = strcspn(u, "/");
		if (*p == '{') {
			if (un == 0 || un >= sizeof(r->pval[0]) ||
			    r->np == PARAMS_MAX)
				return 0;
			r->pname[r->np] = p;
			snprintf(r->pval[r->np], sizeof(r->pval[0]), "%.*s",
			    (int)un, u);
			r->np++;
		} else if (pn != un || memcmp(p, u, pn) != 0)
			return 0;
		p += pn;
		u += un;
	}
	return *p == '\0' && *u == '\0';
}

/* Is there a route of another method for url?  (405, not 404.) */
int
path_known(const char *url, struct req *r)
{
	size_t	 i, n;
	int	 known = 0;

	/* RFC 9110 §15.5.6: a 405 says which methods there are. */
	r->allow[0] = '\0';
	for (i = 0; i < NROUTES; i++)
		if (route_match(&routes[i], routes[i].method, url, r)) {
			n = strlen(r->allow);
			snprintf(r->allow + n, sizeof(r->allow) - n, "%s%s",
			    n ? ", " : "", routes[i].method);
			known = 1;
		}
	return known;
}

static const char *
param(const struct req *r, const char *name, size_t n)
{
	int	 i;

	for (i = 0; i < r->np; i++)
		if (strncmp(r->pname[i] + 1, name, n) == 0 &&
		    r->pname[i][1 + n] == '}')
			return r->pval[i];
	return NULL;
}

/* A field's value as an argument or option value; NULL: not scalar. */
static const char *
scalar(const json_t *v, char *buf, size_t len)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
		return buf;
	}
	if (json_is_real(v)) {
		snprintf(buf, len, "%g", json_real_value(v));
		return buf;
	}
	return NULL;
}

const char *
keep(struct argv_store *s, const char *v)
{
	if (s->n == ADMIN_MAXPOS + ADMIN_MAXOPT || strlen(v) >=
	    sizeof(s->val[0]))
		return NULL;
	snprintf(s->val[s->n], sizeof(s->val[0]), "%s", v);
	return s->val[s->n++];
}

/*
 * The command's arguments and options from the route, the path and the
 * fields.  Every field must be an argument, the input, or an option the
 * command has: anything else is refused by name.  0, or an HTTP status
 * with detail.
 */
unsigned
build_args(struct req *r, const struct route *rt, const struct cmd *c,
    struct args *a, struct argv_store *s, json_t *fields, char *detail,
    size_t dlen)
{
	const char	*p = rt->pos, *v, *key;
	char		 word[64], num[64], oname[80];
	size_t		 n;
	json_t		*val;
	int		 takes, optional;

	memset(a, 0, sizeof(*a));
	s->n = 0;
	a->json = 1;
	while (*p) {
		p += strspn(p, " ");
		n = strcspn(p, " ");
		if (n == 0)
			break;
		snprintf(word, sizeof(word), "%.*s", (int)n, p);
		p += n;
		v = NULL;
		if (word[0] == '{')
			v = param(r, word + 1, strlen(word) - 2);
		else if (word[0] == '=')
			v = word + 1;
		else if (word[0] == '@') {
			optional = word[strlen(word) - 1] == '?';
			if (optional)
				word[strlen(word) - 1] = '\0';
			val = json_object_get(fields, word + 1);
			if (val == NULL && optional)
				continue;
			if (val == NULL) {
				snprintf(detail, dlen, "%s: required",
				    word + 1);
				return 400;
			}
			if ((v = scalar(val, num, sizeof(num))) == NULL) {
				snprintf(detail, dlen, "%s: expected a string "
				    "or a number", word + 1);
				return 400;
			}
			/* Kept before the field (and its string) goes. */
			if (a->npos == ADMIN_MAXPOS || (v = keep(s, v)) ==
			    NULL) {
				snprintf(detail, dlen, "%s: too long",
				    word + 1);
				return 400;
			}
			json_object_del(fields, word + 1);
			a->pos[a->npos++] = v;
			continue;
		}
		if (v == NULL || a->npos == ADMIN_MAXPOS ||
		    (v = keep(s, v)) == NULL) {
			snprintf(detail, dlen, "%s: missing or too long",
			    word);
			return 400;
		}
		a->pos[a->npos++] = v;
	}
	if (rt->force != NULL) {
		a->oname[a->nopt] = rt->force;
		a->oval[a->nopt++] = NULL;
	}
	json_object_foreach(fields, key, val) {
		if (rt->in != NULL && strcmp(key, rt->in) == 0)
			continue;
		if (strcmp(key, "limit") == 0 || strcmp(key, "offset") == 0 ||
		    strcmp(key, "domain") == 0)
			continue;
		if (strlen(key) > 60 || strspn(key,
		    "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(key)) {
			snprintf(detail, dlen, "unknown field: %.60s", key);
			return 400;
		}
		snprintf(oname, sizeof(oname), "--%s", key);
		for (n = 2; oname[n]; n++)
			if (oname[n] == '_')
				oname[n] = '-';
		if ((takes = admin_optspec(c->opts, oname)) < 0) {
			snprintf(detail, dlen, "unknown field: %s (%s takes: "
			    "%s)", key, c->usage, *c->opts ? c->opts :
			    "no options");
			return 400;
		}
		if (a->nopt == ADMIN_MAXOPT) {
			snprintf(detail, dlen, "too many fields");
			return 400;
		}
		snprintf(s->name[a->nopt], sizeof(s->name[0]), "%s", oname);
		a->oname[a->nopt] = s->name[a->nopt];
		if (!takes) {
			/* A flag: true gives it, false leaves it out. */
			if (json_is_false(val) || (json_is_string(val) &&
			    strcmp(json_string_value(val), "false") == 0))
				continue;
			if (!json_is_true(val) && !(json_is_string(val) &&
			    strcmp(json_string_value(val), "true") == 0)) {
				snprintf(detail, dlen, "%s: expected true or "
				    "false", key);
				return 400;
			}
			a->oval[a->nopt++] = NULL;
			continue;
		}
		if ((v = scalar(val, num, sizeof(num))) == NULL ||
		    (v = keep(s, v)) == NULL) {
			snprintf(detail, dlen, "%s: expected a string or a "
			    "number", key);
			return 400;
		}
		a->oval[a->nopt++] = v;
	}
	return 0;
}

const struct route *
route_find(const char *method, const char *url, struct req *r)
{
	size_t	 i;

	for (i = 0; i < NROUTES; i++)
		if (route_match(&routes[i], method, url, r))
			return &routes[i];
	return NULL;
}

void
admin_http_routes(FILE *f)
{
	size_t	 i;

	fprintf(f, "GET /api/v1/openapi.json\nGET /api/v1/whoami\n"
	    "GET /metrics\n");
	for (i = 0; i < NROUTES; i++)
		fprintf(f, "%s %s\n", routes[i].method, routes[i].path);
}
