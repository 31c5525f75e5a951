/*
 * admin_profile: profiles: max-age, notify mode, check-sync, encryption.
 * Part of the admin library (admin.h): commands that validate, run in the
 * caller's transaction and write their result to the call's output, for
 * the CLI and the REST API alike.
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
cmd_profile_set(struct store *st, struct args *a)
{
	const char	*v = opt(a, "--max-age"), *m = opt(a, "--notify");
	const char	*cs = opt(a, "--checksync"), *enc = opt(a, "--encrypt");
	enum enc_mode	 em;
	long long	 n = -1;
	enum store_rc	 rc;

	if (!request_valid_token(a->pos[0]) || strlen(a->pos[0]) > 64)
		return err("%s: profile names are SIP tokens", a->pos[0]);
	if (v == NULL && m == NULL && cs == NULL && enc == NULL)
		return err("profile set: --max-age, --notify, --checksync or "
		    "--encrypt is required");
	if (enc && strcmp(enc, "inherit") != 0 && enc_mode_parse(enc, &em) != 0)
		return err("--encrypt %s: expected none, cms-password, cms-cert, "
		    "openssl-enc-md5 or inherit", enc);
	if (enc && strcmp(enc, "inherit") != 0 && em == ENC_OPENSSL_MD5)
		warn_legacy_enc();
	if (cs && strcmp(cs, "on") != 0 && strcmp(cs, "off") != 0 &&
	    strcmp(cs, "inherit") != 0)
		return err("--checksync %s: expected on, off or inherit", cs);
	if (v && strcmp(v, "none") != 0 &&
	    util_strtonum(v, 0, 31536000, &n) != 0)
		return err("--max-age %s: expected 0..31536000 or none", v);
	if (m && strcmp(m, "subscribe") != 0 && strcmp(m, "poll") != 0 &&
	    strcmp(m, "inherit") != 0)
		return err("--notify %s: expected subscribe, poll or inherit",
		    m);
	if (v && (rc = store_profile_set_max_age(st, a->pos[0], (int)n)) !=
	    STORE_OK)
		return store_fail(st, rc, a->pos[0]);
	if (m && (rc = store_profile_set_notify(st, a->pos[0],
	    strcmp(m, "inherit") == 0 ? NULL : m)) != STORE_OK)
		return store_fail(st, rc, a->pos[0]);
	if (cs && (rc = store_profile_set_checksync(st, a->pos[0],
	    strcmp(cs, "inherit") == 0 ? NULL : cs)) != STORE_OK)
		return store_fail(st, rc, a->pos[0]);
	if (enc && (rc = store_profile_set_enc(st, a->pos[0],
	    strcmp(enc, "inherit") == 0 ? NULL : enc)) != STORE_OK)
		return store_fail(st, rc, a->pos[0]);
	if (!a->json)
		outf("profile %s updated\n", a->pos[0]);
	return 0;
}

int
cmd_profile_list(struct store *st, struct args *a)
{
	static const char *const cols[] = { "name", "max_age", "notify_mode",
	    "devices", NULL };

	return list_rows(st, a, store_profile_list, "profile list",
	    cols);
}
