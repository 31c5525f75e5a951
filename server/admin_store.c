/*
 * admin_store: the store as a whole: init, import and export.  Part of the
 * admin library (admin.h): commands that validate, run in the caller's
 * transaction and write their result to the call's output, for the CLI and
 * the REST API alike.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "dhcpconf.h"
#include "drift.h"
#include "explain.h"
#include "dhcpopt.h"
#include "digest.h"
#include "buf.h"
#include "bulk.h"
#include "credential.h"
#include "render.h"
#include "request.h"
#include "resource.h"
#include "encrypt.h"
#include "seal.h"
#include "store.h"
#include "storemove.h"
#include "termsafe.h"
#include "tlsdomain.h"
#include "vpath.h"
#include "util.h"
#include "admin_int.h"

int
cmd_init(struct store *st, struct args *a)
{
	const char	*realm = opt(a, "--realm");
	char		 cur[STORE_NAME_MAX];
	enum store_rc	 rc;

	if (realm) {
		if (!request_valid_userid(realm) || strchr(realm, '"'))
			return err("--realm %s: not a usable realm", realm);
		if (store_meta_get(st, "realm", cur, sizeof(cur)) == STORE_OK &&
		    strcmp(cur, realm) != 0 && rerealm(st, 0, cur, realm,
		    opt(a, "--force") != NULL) != 0)
			return -1;
		if ((rc = store_meta_set(st, "realm", realm)) != STORE_OK)
			return store_fail(st, rc, "realm");
	}
	if (store_meta_get(st, "realm", cur, sizeof(cur)) != STORE_OK)
		return store_fail(st, STORE_ERROR, "realm");
	/* issue 6: the key that seals stored secrets, beside the store. */
	{
		char	 kp[SEAL_PATH_MAX], e[SEAL_PATH_MAX + 128];
		int	 made;

		seal_key_path(adm->store, kp, sizeof(kp));
		if (kp[0] == '\0')
			made = 0;	/* PostgreSQL, no SIPCFG_SEAL_KEY */
		else if ((made = seal_key_create(kp, e, sizeof(e))) < 0)
			return err("%s", e);
		if (kp[0] == '\0' && !a->json)
			outf("no seal key made: a PostgreSQL store keeps "
			    "none; set SIPCFG_SEAL_KEY to the key's file\n");
		if (made && !a->json)
			outf("seal key %s made: keep it (and its backups) "
			    "apart from the store's\n", kp);
	}
	if (a->json) {
		json_t *o = json_pack("{s:i, s:s}", "schema_version",
		    store_schema_version(st), "realm", cur);
		print_json(o);
		json_decref(o);
	} else
		outf("store ready: schema version %d, realm \"%s\"\n",
		    store_schema_version(st), cur);
	return 0;
}

/*
 * Issue 11: import and export (bulk.c does the work; doc/sipcfg.1,
 * IMPORT AND EXPORT, the format).  A dry run succeeds and is rolled
 * back: main() looks at dry_run instead of committing.
 */

static int
bulk_format(const struct args *a, enum bulk_format *f)
{
	const char	*v = opt(a, "--format");

	*f = BULK_AUTO;
	if (v == NULL)
		return 0;
	if (strcmp(v, "csv") == 0)
		*f = BULK_CSV;
	else if (strcmp(v, "jsonl") == 0)
		*f = BULK_JSONL;
	else
		return err("--format %s: expected csv or jsonl", v);
	return 0;
}

/*
 * The first line, read to tell a whole store (storemove.h) from device
 * rows, then the rest of the file: what bulk_import() reads.
 */
struct chain {
	const char	*head;
	size_t		 len, off;
	FILE		*rest;
};

static ssize_t
chain_read(void *cookie, char *buf, size_t n)
{
	struct chain	*c = cookie;
	size_t		 k;

	if (c->off < c->len) {
		k = c->len - c->off < n ? c->len - c->off : n;
		memcpy(buf, c->head + c->off, k);
		c->off += k;
		return (ssize_t)k;
	}
	k = fread(buf, 1, n, c->rest);
	return k == 0 && ferror(c->rest) ? -1 : (ssize_t)k;
}

int
cmd_import(struct store *st, struct args *a)
{
	struct bulk_opts o;
	unsigned char	 key[SEAL_KEY_LEN];
	cookie_io_functions_t io = { .read = chain_read };
	struct chain	 ch;
	FILE		*f = adm->in, *g = NULL;
	const char	*name = strcmp(a->pos[0], "-") ? a->pos[0] : "stdin";
	char		*first = NULL;
	size_t		 cap = 0;
	ssize_t		 n;
	int		 have = 0, rc = -1;

	memset(&o, 0, sizeof(o));
	o.report = adm->out;
	o.errors = adm->errout;
	if (bulk_format(a, &o.format) != 0 || load_seal_key(key, &have) != 0)
		return -1;
	o.dry_run = adm->dry_run = opt(a, "--dry-run") != NULL;
	o.replace = opt(a, "--replace") != NULL;
	o.seal_key = have ? key : NULL;
	if (strcmp(a->pos[0], "-") != 0 && (f = fopen(a->pos[0], "r")) ==
	    NULL)
		return err("%s: %s", a->pos[0], strerror(errno));
	if ((n = getline(&first, &cap, f)) == -1) {
		free(first);
		first = NULL;
		n = 0;
	}
	if (first && strncmp(first, STOREMOVE_MAGIC,
	    strlen(STOREMOVE_MAGIC)) == 0) {
		/* Issue 13 §5: a whole store (sipcfg export --all). */
		if (adm->remote)
			rc = err("%s: a whole store (export --all) is moved "
			    "with sipcfg on a host of the store, not through the "
			    "API", name);
		else if (o.dry_run || o.replace || o.format != BULK_AUTO)
			rc = err("%s: a whole store: --dry-run, --replace and "
			    "--format do not apply", name);
		else
			rc = storemove_import(st, have ? key : NULL, first, f,
			    name);
	} else {
		ch.head = first ? first : "";
		ch.len = (size_t)n;
		ch.off = 0;
		ch.rest = f;
		if ((g = fopencookie(&ch, "r", io)) == NULL)
			rc = err("%s: %s", name, strerror(errno));
		else
			rc = bulk_import(st, g, name, &o);
	}
	if (g)
		fclose(g);
	if (f != adm->in)
		fclose(f);
	free(first);
	util_wipe(key, sizeof(key));
	adm->printed = 1;
	return rc;
}

int
cmd_export(struct store *st, struct args *a)
{
	struct bulk_opts o;
	unsigned char	 key[SEAL_KEY_LEN];
	int		 have = 0, rc;

	memset(&o, 0, sizeof(o));
	o.report = adm->out;
	o.errors = adm->errout;
	if (bulk_format(a, &o.format) != 0)
		return -1;
	/* Secrets (HA1s, line passwords) only when asked for. */
	o.secrets = opt(a, "--secrets") != NULL;
	if (opt(a, "--all") != NULL) {
		/* Issue 13 §5: the whole store, to be moved (storemove.h). */
		if (!o.secrets)
			return err("export --all moves a whole store with its "
			    "credentials: add --secrets");
		if (o.format == BULK_CSV)
			return err("export --all writes JSON lines, not CSV");
	}
	if (o.secrets && load_seal_key(key, &have) != 0)
		return -1;
	o.seal_key = have ? key : NULL;
	rc = opt(a, "--all") != NULL ? storemove_export(st, o.seal_key,
	    adm->out) : bulk_export(st, adm->out, &o);
	util_wipe(key, sizeof(key));
	adm->printed = 1;
	return rc;
}
