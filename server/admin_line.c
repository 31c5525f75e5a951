/*
 * admin_line: a device's SIP lines.  Part of the admin library (admin.h):
 * commands that validate, run in the caller's transaction and write their
 * result to the call's output, for the CLI and the REST API alike.
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
cmd_line_add(struct store *st, struct args *a)
{
	struct store_device	 d;
	const char		*aor = opt(a, "--aor"), *user = opt(a, "--username");
	const char		*realm = opt(a, "--realm"), *v, *why, *fld;
	char			 rbuf[STORE_NAME_MAX], md5[DIGEST_HA1_MD5_HEX];
	char			*sealed = NULL;
	json_t			*f;
	long long		 pos = 0;
	enum store_rc		 rc;
	int			 r = -1;

	if (find_device(st, a->pos[0], &d) != 0)
		return -1;
	if (aor == NULL || user == NULL)
		return err("line add: --aor and --username are required");
	if ((why = bulk_bad_line(aor, user, realm, opt(a, "--proxy"),
	    opt(a, "--display"), rbuf, sizeof(rbuf), &realm, &fld)) != NULL) {
		if (strcmp(fld, "display") == 0)
			return err("--display: %s", why);
		v = strcmp(fld, "aor") == 0 ? aor : strcmp(fld, "username") ==
		    0 ? user : strcmp(fld, "proxy") == 0 ? opt(a, "--proxy") :
		    realm ? realm : rbuf;
		return err("--%s %s: %s", fld, v, why);
	}
	if ((v = opt(a, "--position")) && util_strtonum(v, 1, 64, &pos) != 0)
		return err("--position %s: expected 1..64", v);
	if (hash_password_seal(user, realm, md5, NULL, &sealed) != 0)
		return -1;
	f = json_pack("{s:s, s:s, s:s, s:s, s:I}", "aor", aor, "username",
	    user, "realm", realm, "ha1", md5, "position", (json_int_t)pos);
	util_wipe(md5, sizeof(md5));
	if (sealed) {
		json_object_set_new(f, "password_sealed", json_string(sealed));
		free(sealed);
	}
	if ((v = opt(a, "--proxy")) != NULL)
		json_object_set_new(f, "outbound_proxy", json_string(v));
	if ((v = opt(a, "--display")) != NULL)
		json_object_set_new(f, "display_name", json_string(v));
	if ((rc = store_line_add(st, d.id, f)) != STORE_OK) {
		store_fail(st, rc, rc == STORE_EXISTS ? "line position" :
		    "line");
		goto done;
	}
	if (!a->json)
		outf("line %s added to %s\n", aor, d.sfua_id);
	r = 0;
done:
	json_decref(f);
	return r;
}

int
cmd_line_list(struct store *st, struct args *a)
{
	static const char *const cols[] = { "position", "aor", "username",
	    "realm", "outbound_proxy", "display_name", NULL };
	struct store_device	 d;
	json_t			*rows;
	enum store_rc		 rc;

	if (find_device(st, a->pos[0], &d) != 0)
		return -1;
	if ((rc = store_line_list(st, d.id, &rows)) != STORE_OK)
		return store_fail(st, rc, "line list");
	show_rows(a, rows, cols, NULL);
	json_decref(rows);
	return 0;
}

int
cmd_line_rm(struct store *st, struct args *a)
{
	struct store_device	 d;
	long long		 pos;
	enum store_rc		 rc;

	if (find_device(st, a->pos[0], &d) != 0)
		return -1;
	if (util_strtonum(a->pos[1], 1, 64, &pos) != 0)
		return err("%s: expected a line position 1..64", a->pos[1]);
	if ((rc = store_line_remove(st, d.id, (int)pos)) != STORE_OK)
		return store_fail(st, rc, "line");
	if (!a->json)
		outf("line %lld removed from %s\n", pos, d.sfua_id);
	return 0;
}
