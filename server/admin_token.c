/*
 * admin_token: the bearer tokens of the admin API (issue 14 §2).  Part
 * of the admin library (admin.h).
 *
 * A token is "sipcfg_" and 64 hex digits: 256 bits from the system's
 * random source.  It is printed once, after the commit; the store keeps
 * its SHA-256 only, so a copy of the store (or a backup) gives nobody a
 * token.  A read token may use the API's GET routes, a write token every
 * route; --valid-for bounds its life.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "admin_int.h"
#include "store.h"
#include "util.h"

#define TOKEN_PREFIX	"sipcfg_"
#define TOKEN_BYTES	32

int
admin_token_hash(const char *token, char hex[ADMIN_TOKEN_HASH_LEN])
{
	unsigned char	 h[EVP_MAX_MD_SIZE];
	unsigned int	 n = 0;

	if (!EVP_Digest(token, strlen(token), h, &n, EVP_sha256(), NULL) ||
	    n != 32)
		return -1;
	util_hex(h, n, hex);
	return 0;
}

int
admin_token_wellformed(const char *t)
{
	size_t	 i, p = sizeof(TOKEN_PREFIX) - 1;

	if (strncmp(t, TOKEN_PREFIX, p) != 0 || strlen(t) != p + 2 *
	    TOKEN_BYTES)
		return 0;
	for (i = p; t[i]; i++)
		if (!isxdigit((unsigned char)t[i]))
			return 0;
	return 1;
}

static int
valid_name(const char *s)
{
	size_t	 n = strlen(s);

	if (n == 0 || n > 64)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && strchr("._@-", *s) == NULL)
			return 0;
	return 1;
}

int
cmd_token_add(struct store *st, struct args *a)
{
	const char	*name = a->pos[0], *scope = opt(a, "--scope");
	unsigned char	 r[TOKEN_BYTES];
	char		 tok[sizeof(TOKEN_PREFIX) + 2 * TOKEN_BYTES];
	char		 hash[ADMIN_TOKEN_HASH_LEN];
	long long	 life;
	time_t		 expires = 0;
	enum store_rc	 rc;
	json_t		*o;
	int		 ret = -1;

	if (!valid_name(name))
		return err("%s: a token name is 1 to 64 letters, digits and "
		    "._@-", name);
	if (scope == NULL)
		return err("token add: --scope read or --scope write");
	if (strcmp(scope, "read") != 0 && strcmp(scope, "write") != 0)
		return err("--scope %s: expected read or write", scope);
	if (opt_duration(a, "--valid-for", 60, 0, &life) != 0)
		return -1;
	if (life > 0)
		expires = time(NULL) + (time_t)life;
	if (util_random(r, sizeof(r)) != 0)
		return err("no randomness");
	memcpy(tok, TOKEN_PREFIX, sizeof(TOKEN_PREFIX) - 1);
	util_hex(r, sizeof(r), tok + sizeof(TOKEN_PREFIX) - 1);
	util_wipe(r, sizeof(r));
	if (admin_token_hash(tok, hash) != 0) {
		err("cannot hash the token");
		goto done;
	}
	if ((rc = store_token_add(st, name, scope, hash, expires)) !=
	    STORE_OK) {
		store_fail(st, rc, name);
		goto done;
	}
	/* Shown once, and only once the token is committed. */
	if (a->json) {
		o = json_pack("{s:s, s:s, s:o, s:s}", "name", name, "scope",
		    scope, "expires", expires ? json_integer((json_int_t)
		    expires) : json_null(), "token", tok);
		adm->after_commit = o ? json_dumps(o, JSON_INDENT(2) |
		    JSON_PRESERVE_ORDER) : NULL;
		json_decref(o);
	} else
		adm->after_commit = strdup(tok);
	if (adm->after_commit == NULL) {
		err("out of memory");
		goto done;
	}
	adm->printed = 1;
	ret = 0;
done:
	util_wipe(tok, sizeof(tok));
	return ret;
}

int
cmd_token_list(struct store *st, struct args *a)
{
	static const char *const cols[] = { "name", "scope", "created",
	    "expires", "last_used", NULL };
	static const char *const times[] = { "created", "expires",
	    "last_used", NULL };
	json_t		*rows;
	enum store_rc	 rc;

	if ((rc = store_token_list(st, &rows)) != STORE_OK)
		return store_fail(st, rc, "token list");
	show_rows(a, rows, cols, times);
	json_decref(rows);
	return 0;
}

int
cmd_token_rm(struct store *st, struct args *a)
{
	enum store_rc	 rc;

	if ((rc = store_token_remove(st, a->pos[0])) != STORE_OK)
		return store_fail(st, rc, a->pos[0]);
	if (!a->json)
		outf("token %s removed\n", a->pos[0]);
	return 0;
}
