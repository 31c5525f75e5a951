/*
 * admin_domain: configuration service domains (RFC 6011 §2.4.1).  Part of
 * the admin library (admin.h): commands that validate, run in the caller's
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

/* --cert/--key/--ca/--realm/--base-url/--client-cert/--tofu into f. */
static int
domain_fields(struct args *a, json_t *f, int set)
{
	const char	*v, *cert = opt(a, "--cert"), *key = opt(a, "--key");
	const char	*ca = opt(a, "--ca");
	char		 why[640], abs[2][PATH_MAX];

	if ((cert == NULL) != (key == NULL))
		return err("--cert and --key go together");
	if (set && opt(a, "--no-cert") && cert)
		return err("--no-cert and --cert exclude each other");
	if (set && opt(a, "--no-ca") && ca)
		return err("--no-ca and --ca exclude each other");
	if ((cert && (realpath(cert, abs[0]) == NULL ||
	    realpath(key, abs[1]) == NULL)))
		return err("%s: %s", realpath(cert, abs[0]) ? key : cert,
		    strerror(errno));
	if (tlsdomain_check_files(cert ? abs[0] : NULL, key ? abs[1] : NULL,
	    ca, why, sizeof(why)) != 0)
		return err("%s", why);
	if (cert) {
		json_object_set_new(f, "cert_file", json_string(abs[0]));
		json_object_set_new(f, "key_file", json_string(abs[1]));
	} else if (set && opt(a, "--no-cert")) {
		json_object_set_new(f, "cert_file", json_string(""));
		json_object_set_new(f, "key_file", json_string(""));
	}
	if (ca) {
		if (realpath(ca, abs[0]) == NULL)
			return err("%s: %s", ca, strerror(errno));
		json_object_set_new(f, "ca_file", json_string(abs[0]));
	} else if (set && opt(a, "--no-ca"))
		json_object_set_new(f, "ca_file", json_string(""));
	if ((v = opt(a, "--realm")) != NULL) {
		if (*v == '\0' || strlen(v) > 128 || bulk_has_control(v) ||
		    strchr(v, '"'))
			return err("--realm %s: 1..128 bytes, no quotes or "
			    "control characters", v);
		json_object_set_new(f, "realm", json_string(v));
	}
	if ((v = opt(a, "--base-url")) != NULL) {
		if (strncmp(v, "https://", 8) != 0 || strlen(v) > 1024 ||
		    bulk_has_control(v) || strchr(v, ' '))
			return err("--base-url %s: expected an https:// URL", v);
		json_object_set_new(f, "base_url", json_string(v));
	}
	if ((v = opt(a, "--client-cert")) != NULL) {
		if (strcmp(v, "optional") != 0 && strcmp(v, "required") != 0 &&
		    strcmp(v, "ignore") != 0)
			return err("--client-cert %s: expected optional, "
			    "required or ignore", v);
		json_object_set_new(f, "client_cert", json_string(v));
	}
	if ((v = opt(a, "--tofu")) != NULL) {
		if (strcmp(v, "on") != 0 && strcmp(v, "off") != 0)
			return err("--tofu %s: expected on or off", v);
		json_object_set_new(f, "tofu", json_integer(strcmp(v, "on")
		    == 0));
	}
	return 0;
}

int
cmd_domain_add(struct store *st, struct args *a)
{
	unsigned char	 addr[16];
	json_t		*f = json_object();
	int64_t		 id;
	enum store_rc	 rc;
	int		 r = -1;

	if (!request_valid_domain(a->pos[0]) || strlen(a->pos[0]) > 253) {
		err("%s: not a DNS name", a->pos[0]);
		goto done;
	}
	/* RFC 6066 §3: SNI carries host names, never addresses. */
	if (inet_pton(AF_INET, a->pos[0], addr) == 1) {
		err("%s: an address; TLS SNI only carries DNS names",
		    a->pos[0]);
		goto done;
	}
	if (opt(a, "--cert") == NULL) {
		err("domain add %s: --cert and --key are required (the "
		    "certificate UAs asking for %s get)", a->pos[0], a->pos[0]);
		goto done;
	}
	if (domain_fields(a, f, 0) != 0)
		goto done;
	if ((rc = store_domain_add(st, a->pos[0], f, &id)) != STORE_OK) {
		store_fail(st, rc, a->pos[0]);
		goto done;
	}
	if (!a->json)
		outf("domain %s added; reload sipcfgd (SIGHUP) to serve it\n",
		    a->pos[0]);
	r = 0;
done:
	json_decref(f);
	return r;
}

/*
 * A domain's realm is in its users' HA1s: changing it locks them out of
 * Digest until their passwords are set again, so it takes --force, and
 * then moves them to the new realm (as init --realm does for the
 * store's).
 */
static int
domain_realm_change(struct store *st, struct args *a, int64_t id,
    const char *to)
{
	char	 cur[STORE_NAME_MAX];

	if (domain_realm_of(st, id, cur, sizeof(cur)) != 0 &&
	    store_meta_get(st, "realm", cur, sizeof(cur)) != STORE_OK)
		return store_fail(st, STORE_ERROR, "realm");
	if (strcmp(cur, to) == 0)
		return 0;
	return rerealm(st, id, cur, to, opt(a, "--force") != NULL);
}

int
cmd_domain_set(struct store *st, struct args *a)
{
	json_t		*f = json_object();
	int64_t		 id;
	enum store_rc	 rc;
	int		 r = -1;

	if ((rc = store_domain_id(st, a->pos[0], &id)) != STORE_OK) {
		err("%s", store_errmsg(st));
		goto done;
	}
	if (domain_fields(a, f, 1) != 0)
		goto done;
	if (json_object_size(f) == 0) {
		err("domain set: nothing to change (see sipcfg help)");
		goto done;
	}
	if (json_object_get(f, "realm") != NULL &&
	    domain_realm_change(st, a, id, json_string_value(json_object_get(f,
	    "realm"))) != 0)
		goto done;
	if ((rc = store_domain_update(st, id, f)) != STORE_OK) {
		store_fail(st, rc, a->pos[0]);
		goto done;
	}
	if (!a->json)
		outf("domain %s updated; reload sipcfgd (SIGHUP) to apply it\n",
		    a->pos[0]);
	r = 0;
done:
	json_decref(f);
	return r;
}

int
cmd_domain_list(struct store *st, struct args *a)
{
	static const char *const cols[] = { "name", "realm", "client_cert",
	    "tofu", "cert_file", "ca_file", "devices", "users", NULL };

	return list_rows(st, a, store_domain_list, "domain list",
	    cols);
}

int
cmd_domain_rm(struct store *st, struct args *a)
{
	int64_t		 id;
	enum store_rc	 rc;

	if ((rc = store_domain_id(st, a->pos[0], &id)) != STORE_OK)
		return err("%s", store_errmsg(st));
	if (id == STORE_DEFAULT_DOMAIN)
		return err("%s: the default domain cannot be removed",
		    a->pos[0]);
	if ((rc = store_domain_remove(st, a->pos[0])) != STORE_OK) {
		if (rc == STORE_INVALID)
			return err("%s: still has devices or users (move or "
			    "remove them first)", a->pos[0]);
		return store_fail(st, rc, a->pos[0]);
	}
	if (!a->json)
		outf("domain %s removed\n", a->pos[0]);
	return 0;
}
