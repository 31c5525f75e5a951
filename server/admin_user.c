/*
 * admin_user: users and their passwords (HA1 only) and one-time passwords.
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
hash_password_seal(const char *user, const char *realm, char *md5,
    char *sha, char **sealed)
{
	unsigned char	 key[SEAL_KEY_LEN];
	char		 pw[PASS_MAX];
	int		 rc = -1, have = 0;

	if (sealed)
		*sealed = NULL;
	if (read_password("password", pw, sizeof(pw)) != 0)
		goto done;
	if (sealed) {
		if (load_seal_key(key, &have) != 0)
			goto done;
		if (have && (*sealed = seal_seal(key, "line-password", pw,
		    strlen(pw))) == NULL) {
			err("cannot seal the password");
			goto done;
		}
		if (!have)
			fprintf(adm->errout, "%s: note: no seal key beside the store "
			    "(sipcfg init makes one): only the HA1 is kept, "
			    "vendor templates get no SIP password\n", adm->progname);
	}
	if (digest_ha1(DIGEST_MD5, user, realm, pw, md5,
	    DIGEST_HA1_MD5_HEX) != 0 || (sha && digest_ha1(DIGEST_SHA256,
	    user, realm, pw, sha, DIGEST_HA1_SHA256_HEX) != 0)) {
		err("cannot hash the password");
		goto done;
	}
	rc = 0;
done:
	util_wipe(pw, sizeof(pw));
	util_wipe(key, sizeof(key));
	return rc;
}

static int
hash_password(const char *user, const char *realm, char *md5, char *sha)
{
	return hash_password_seal(user, realm, md5, sha, NULL);
}


/*
 * RFC 6011 §5: the window of a one-time password, from --not-before
 * (default: open from now) and --valid-for (default OTP_VALID_FOR).
 */
static int
otp_window(const struct args *a, time_t *nb, time_t *na)
{
	const char	*v;
	long long	 t = 0, d;

	if ((v = opt(a, "--not-before")) != NULL &&
	    util_strtonum(v, 1, 1LL << 40, &t) != 0)
		return err("--not-before %s: expected unix seconds", v);
	if (opt_duration(a, "--valid-for", 1, OTP_VALID_FOR, &d) != 0)
		return -1;
	*nb = (time_t)t;
	*na = (time_t)((t ? t : (long long)time(NULL)) + d);
	return 0;
}

/*
 * Make a one-time password for user (realm), store its HA1s with the
 * window (for a new user with add set), and keep the password for
 * printing after the commit.
 */
static int
otp_issue(struct store *st, const struct args *a, const char *user,
    const char *realm, time_t nb, time_t na, int add)
{
	char		 pw[CREDENTIAL_OTP_LEN + 1], md5[DIGEST_HA1_MD5_HEX];
	char		 sha[DIGEST_HA1_SHA256_HEX];
	unsigned char	 key[SEAL_KEY_LEN];
	json_t		*o;
	enum store_rc	 rc;
	int		 ret = -1, have = 0;

	if (credential_generate(pw, sizeof(pw), CREDENTIAL_OTP_LEN) != 0 ||
	    credential_ha1s(user, realm, pw, md5, sha) != 0) {
		err("cannot make a password");
		goto done;
	}
	if ((add && (rc = store_user_add(st, user, realm, md5, sha)) !=
	    STORE_OK) ||
	    (rc = store_user_set_otp(st, user, md5, sha, nb, na)) != STORE_OK) {
		store_fail(st, rc, user);
		goto done;
	}
	if (a->json) {
		o = json_pack("{s:s, s:s, s:I, s:I}", "user", user,
		    "one_time_password", pw, "not_before", (json_int_t)nb,
		    "not_after", (json_int_t)na);
		adm->after_commit = o ? json_dumps(o, JSON_INDENT(2) |
		    JSON_PRESERVE_ORDER) : NULL;
		json_decref(o);
	} else
		adm->after_commit = strdup(pw);
	if (adm->after_commit == NULL) {
		err("out of memory");
		goto done;
	}
	adm->printed = 1;
	/* sipcfgd seals the long-term password that replaces it. */
	if (load_seal_key(key, &have) == 0 && !have)
		fprintf(adm->errout, "%s: note: no seal key beside the store "
		    "(sipcfg init makes one): sipcfgd needs one (seal_key) "
		    "to hand the phone its long-term password\n", adm->progname);
	ret = 0;
done:
	util_wipe(pw, sizeof(pw));
	util_wipe(md5, sizeof(md5));
	util_wipe(sha, sizeof(sha));
	util_wipe(key, sizeof(key));
	return ret;
}

int
cmd_user_add(struct store *st, struct args *a)
{
	char		 realm[STORE_NAME_MAX], md5[DIGEST_HA1_MD5_HEX];
	char		 sha[DIGEST_HA1_SHA256_HEX];
	const char	*r = opt(a, "--realm");
	int		 otp = opt(a, "--one-time") != NULL;
	time_t		 nb = 0, na = 0;
	enum store_rc	 rc;

	if (bulk_bad_user(a->pos[0]) != NULL)
		return err("%s: %s", a->pos[0], bulk_bad_user(a->pos[0]));
	if (!otp && (opt(a, "--valid-for") || opt(a, "--not-before")))
		return err("--valid-for and --not-before go with --one-time");
	if (otp && otp_window(a, &nb, &na) != 0)
		return -1;
	if (r)
		snprintf(realm, sizeof(realm), "%s", r);
	else if (domain_realm(st, realm, sizeof(realm)) != 0 &&
	    store_meta_get(st, "realm", realm, sizeof(realm)) != STORE_OK)
		return store_fail(st, STORE_ERROR, "realm");
	if (otp) {
		if (otp_issue(st, a, a->pos[0], realm, nb, na, 1) != 0)
			return -1;
	} else {
		if (hash_password(a->pos[0], realm, md5, sha) != 0)
			return -1;
		if ((rc = store_user_add(st, a->pos[0], realm, md5, sha)) !=
		    STORE_OK)
			return store_fail(st, rc, a->pos[0]);
	}
	if (adm->domain && (rc = store_user_set_domain(st, a->pos[0],
	    adm->domain)) != STORE_OK)
		return store_fail(st, rc, a->pos[0]);
	if (!a->json && !otp)
		outf("user %s added (realm \"%s\")\n", a->pos[0], realm);
	return 0;
}

/* A new one-time password for a user (a replaced phone, RFC 6011 §5). */
int
cmd_user_otp(struct store *st, struct args *a)
{
	struct store_user	 u;
	time_t			 nb, na;
	enum store_rc		 rc;
	int			 ret;

	if (otp_window(a, &nb, &na) != 0)
		return -1;
	if ((rc = store_user_by_name(st, a->pos[0], &u)) != STORE_OK)
		return store_fail(st, rc, a->pos[0]);
	ret = otp_issue(st, a, u.name, u.realm, nb, na, 0);
	util_wipe(&u, sizeof(u));
	return ret;
}

/*
 * RFC 6011 §5 rotation: the old password stays good for --overlap
 * (default OVERLAP), so phones keep working until they are given the new
 * one; an answer to the old password never carries the new one
 * (RESOURCE_FULL_OLD in resource.h, doc/sipcfg.1).  --revoke-now, for a
 * leaked password, keeps no overlap.
 */
int
cmd_user_passwd(struct store *st, struct args *a)
{
	struct store_user	 u;
	char			 md5[DIGEST_HA1_MD5_HEX], pw[PASS_MAX];
	char			 sha[DIGEST_HA1_SHA256_HEX], until[32];
	char			*sealed = NULL;
	unsigned char		 key[SEAL_KEY_LEN];
	long long		 overlap;
	time_t			 old_until = 0;
	struct tm		 tm;
	enum store_rc		 rc;
	int			 ret = -1, have = 0;

	memset(&u, 0, sizeof(u));
	if (opt(a, "--revoke-now") && opt(a, "--overlap"))
		return err("--revoke-now and --overlap: choose one");
	if (opt_duration(a, "--overlap", 0, OVERLAP, &overlap) != 0)
		return -1;
	if (opt(a, "--revoke-now"))
		overlap = 0;
	if ((rc = store_user_by_name(st, a->pos[0], &u)) != STORE_OK)
		return store_fail(st, rc, a->pos[0]);
	if (read_password("password", pw, sizeof(pw)) != 0)
		goto done;
	if (credential_ha1s(u.name, u.realm, pw, md5, sha) != 0) {
		err("cannot hash the password");
		goto done;
	}
	if (load_seal_key(key, &have) != 0)
		goto done;
	if (have && (sealed = seal_seal(key, "user-password", pw,
	    strlen(pw))) == NULL) {
		err("cannot seal the password");
		goto done;
	}
	if (!have && u.password_sealed[0])
		fprintf(adm->errout, "%s: note: no seal key beside the store: "
		    "configurations no longer carry %s's password\n", adm->progname,
		    u.name);
	if (overlap > 0 && !u.otp)
		old_until = time(NULL) + (time_t)overlap;
	if ((rc = store_user_passwd(st, u.name, md5, sha, sealed,
	    old_until)) != STORE_OK) {
		store_fail(st, rc, a->pos[0]);
		goto done;
	}
	if (!a->json && old_until) {
		gmtime_r(&old_until, &tm);
		strftime(until, sizeof(until), "%Y-%m-%dT%H:%M:%SZ", &tm);
		outf("password of %s changed; the old one is accepted until "
		    "%s\n", u.name, until);
	} else if (!a->json)
		outf("password of %s changed\n", u.name);
	ret = 0;
done:
	util_wipe(pw, sizeof(pw));
	util_wipe(key, sizeof(key));
	util_wipe(&u, sizeof(u));
	free(sealed);
	return ret;
}

int
cmd_user_rm(struct store *st, struct args *a)
{
	enum store_rc	 rc;

	if ((rc = store_user_remove(st, a->pos[0])) != STORE_OK)
		return store_fail(st, rc, a->pos[0]);
	if (!a->json)
		outf("user %s removed\n", a->pos[0]);
	return 0;
}

static const char *const *
userlist_cols(void *arg, const json_t *window)
{
	static const char *const cols[] = { "name", "realm", "devices", "otp",
	    NULL };
	static const char *const dcols[] = { "domain", "name", "realm",
	    "devices", "otp", NULL };

	(void)arg;
	return outside_default(window) ? dcols : cols;
}

/*
 * user list [--limit N] [--offset N | --after NAME]: in name order, read
 * from the store LIST_WINDOW users at a time (each batch after the last
 * name of the one before) and printed as read, never held whole: a
 * fleet has a user per phone.
 */
int
cmd_user_list(struct store *st, struct args *a)
{
	struct store_user_filter	 f;
	struct liststream		 ls;
	json_t				*rows, *row;
	const char			*v;
	char				 last[STORE_NAME_MAX];
	long long			 left = -1;
	size_t				 i, n;
	enum store_rc			 rc;

	memset(&f, 0, sizeof(f));
	if ((v = opt(a, "--limit")) != NULL &&
	    util_strtonum(v, 0, LIST_MAX, &left) != 0)
		return err("--limit %s: expected a number of users, 0 to %lld",
		    v, LIST_MAX);
	if ((v = opt(a, "--offset")) != NULL &&
	    util_strtonum(v, 0, LIST_MAX, &f.offset) != 0)
		return err("--offset %s: expected a number of users to skip, "
		    "0 to %lld", v, LIST_MAX);
	if ((f.after = opt(a, "--after")) != NULL && f.after[0] == '\0')
		return err("--after: expected a user's name (the last name "
		    "of the page before)");
	liststream_init(&ls, a, userlist_cols, NULL);
	while (left != 0) {
		f.limit = left >= 0 && left < LIST_WINDOW ? left : LIST_WINDOW;
		if ((rc = store_user_list(st, &f, &rows)) != STORE_OK) {
			liststream_end(&ls);
			return store_fail(st, rc, "user list");
		}
		n = json_array_size(rows);
		json_array_foreach(rows, i, row)
			if (liststream_add(&ls, row) != 0) {
				json_decref(rows);
				liststream_end(&ls);
				return err("user list: cannot write");
			}
		if (n > 0)
			snprintf(last, sizeof(last), "%s", json_string_value(
			    json_object_get(json_array_get(rows, n - 1),
			    "name")));
		json_decref(rows);
		if ((long long)n < f.limit)
			break;
		if (left > 0)
			left -= (long long)n;
		f.after = last;
		f.offset = 0;
	}
	liststream_end(&ls);
	if (fflush(adm->out) != 0 || ferror(adm->out))
		return err("user list: cannot write: %s", strerror(errno));
	return 0;
}

/* user show NAME: the user's row, as user list gives it. */
int
cmd_user_show(struct store *st, struct args *a)
{
	struct store_user_filter	 f;
	json_t				*rows, *o;
	enum store_rc			 rc;

	memset(&f, 0, sizeof(f));
	f.name = a->pos[0];
	if ((rc = store_user_list(st, &f, &rows)) != STORE_OK)
		return store_fail(st, rc, a->pos[0]);
	if ((o = json_array_get(rows, 0)) == NULL) {
		json_decref(rows);
		return store_fail(st, STORE_NOTFOUND, a->pos[0]);
	}
	if (a->json)
		print_json(o);
	else
		print_fields(o, NULL);
	json_decref(rows);
	return 0;
}
