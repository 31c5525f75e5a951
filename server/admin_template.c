/*
 * admin_template: templates, and render (what a device would be served).
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
cmd_template_add(struct store *st, struct args *a)
{
	const char	*ct = opt(a, "--content-type"), *v, *dot;
	FILE		*f;
	char		*body = NULL;
	size_t		 n = 0, cap = 0, r;
	enum store_rc	 rc;
	int		 ret = -1;

	if (strlen(a->pos[0]) > 64 || !request_valid_token(a->pos[0]))
		return err("%s: template names are SIP tokens of at most 64 "
		    "bytes", a->pos[0]);
	if ((v = opt(a, "--vendor")) && *v && !request_valid_domain(v))
		return err("--vendor %s: not a DNS domain", v);
	if ((v = opt(a, "--model")) && *v && !request_valid_token(v))
		return err("--model %s: not a SIP token", v);
	if ((v = opt(a, "--revision")) && *v && !request_valid_token(v))
		return err("--revision %s: not a SIP token", v);
	if (ct == NULL) {
		dot = strrchr(a->pos[1], '.');
		ct = dot && strcmp(dot, ".xml") == 0 ? "application/xml" :
		    dot && strcmp(dot, ".json") == 0 ? "application/json" :
		    dot && (strcmp(dot, ".htm") == 0 || strcmp(dot, ".html") ==
		    0) ? "text/html" : "text/plain";
	}
	if (strchr(ct, '/') == NULL || strlen(ct) > 127 ||
	    strpbrk(ct, "\r\n"))
		return err("--content-type %s: expected type/subtype", ct);
	if (strcmp(a->pos[1], "-") == 0)
		f = adm->in;
	else if ((f = fopen(a->pos[1], "r")) == NULL)
		return err("%s: %s", a->pos[1], strerror(errno));
	for (;;) {
		if (n == cap) {
			char *nb;
			cap = cap ? cap * 2 : 8192;
			if (cap > (1 << 20) + 1) {
				err("%s: larger than 1 MiB", a->pos[1]);
				goto done;
			}
			if ((nb = realloc(body, cap + 1)) == NULL) {
				err("out of memory");
				goto done;
			}
			body = nb;
		}
		r = fread(body + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		err("%s: read error", a->pos[1]);
		goto done;
	}
	body[n] = '\0';
	if (memchr(body, '\0', n) != NULL) {
		err("%s: contains NUL bytes", a->pos[1]);
		goto done;
	}
	/*
	 * A template that does not parse would answer every matching
	 * device with a 500: refuse it now (partials are not resolved, so
	 * only its own syntax is checked).
	 */
	{
		struct render_opts	 ro;
		struct buf		 b;
		json_t			*ctx = json_object();
		char			 perr[256];
		int			 bad;

		memset(&ro, 0, sizeof(ro));
		ro.escape = render_escape_for(ct);
		buf_init(&b, 16 << 20);
		bad = render_template(body, n, ctx, &ro, &b, perr,
		    sizeof(perr)) != 0;
		buf_free(&b);
		json_decref(ctx);
		if (bad) {
			err("%s: template does not parse: %s", a->pos[1], perr);
			goto done;
		}
	}
	rc = store_template_put(st, a->pos[0], opt(a, "--vendor"),
	    opt(a, "--model"), opt(a, "--revision"), ct, body, n);
	if (rc != STORE_OK) {
		store_fail(st, rc, a->pos[0]);
		goto done;
	}
	if (!a->json)
		outf("template %s stored (%zu bytes, %s)\n", a->pos[0], n, ct);
	ret = 0;
done:
	if (f != adm->in)
		fclose(f);
	free(body);
	return ret;
}

int
cmd_template_list(struct store *st, struct args *a)
{
	static const char *const cols[] = { "name", "vendor", "model",
	    "revision", "content_type", "bytes", NULL };

	return list_rows(st, a, store_template_list, "template list",
	    cols);
}

int
cmd_template_show(struct store *st, struct args *a)
{
	struct store_template	 t;
	enum store_rc		 rc;

	if ((rc = store_template_by_name(st, a->pos[0], &t)) != STORE_OK)
		return store_fail(st, rc, a->pos[0]);
	if (a->json) {
		json_t *o = json_pack("{s:s, s:s, s:s#}", "name", t.name,
		    "content_type", t.content_type, "body", t.body,
		    t.bodylen);
		print_json(o);
		json_decref(o);
	} else
		fwrite(t.body, 1, t.bodylen, adm->out);
	store_template_clear(&t);
	return 0;
}

int
cmd_template_rm(struct store *st, struct args *a)
{
	enum store_rc	 rc;

	if ((rc = store_template_remove(st, a->pos[0])) != STORE_OK)
		return store_fail(st, rc, a->pos[0]);
	if (!a->json)
		outf("template %s removed\n", a->pos[0]);
	return 0;
}

int
cmd_render(struct store *st, struct args *a)
{
	struct store_device	 d;
	struct cfg_request	 q;
	struct resource_opts	 ro;
	struct resource		*res;
	const struct rendered	*out;
	const char		*v;
	char			 reason[512], date[64];
	unsigned char		 rkey[SEAL_KEY_LEN];
	long long		 n = 3600;
	int			 rc = -1, full = opt(a, "--secret-free") == NULL;
	int			 have = 0;

	if (find_device(st, a->pos[0], &d) != 0)
		return -1;
	memset(&q, 0, sizeof(q));
	/* The plaintext: what an encrypted answer decrypts to. */
	q.plain = 1;
	snprintf(q.sfua_id, sizeof(q.sfua_id), "%s", d.sfua_id);
	snprintf(q.mac, sizeof(q.mac), "%s", d.mac);
	if ((v = opt(a, "--revision")) != NULL) {
		if (!request_valid_token(v))
			return err("--revision %s: not a SIP token", v);
		snprintf(q.revision, sizeof(q.revision), "%s", v);
	}
	if ((v = opt(a, "--max-age")) && util_strtonum(v, 0, 31536000, &n))
		return err("--max-age %s: expected 0..31536000", v);
	memset(&ro, 0, sizeof(ro));
	ro.max_age = (int)n;
	ro.pending_max_age = 300;
	ro.max_output = 1 << 20;
	ro.max_depth = 32;
	/* --masked: secrets shown as ********, none opened (resource.h). */
	if ((ro.mask_secrets = opt(a, "--masked") != NULL) && !full)
		return err("--masked and --secret-free: choose one");
	if (!ro.mask_secrets && load_seal_key(rkey, &have) != 0)
		return -1;
	ro.seal_key = have ? rkey : NULL;
	/* The resource takes the connection; give it back afterwards. */
	if ((res = resource_new(st, &ro)) == NULL)
		return err("out of memory");
	if (resource_begin(res) != 0) {
		err("store: %s", store_errmsg(st));
		goto done;
	}
	if (d.state == DEVICE_PENDING)
		full = 0;
	switch (resource_render(res, &d, &q, full, &out, reason,
	    sizeof(reason))) {
	case RES_OK:
		break;
	default:
		err("render %s: %s", d.sfua_id, reason);
		goto done;
	}
	util_httpdate(out->last_modified, date, sizeof(date));
	if (a->json) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:b, "
		    "s:s#}", "sfua_id", d.sfua_id, "etag", out->etag,
		    "last_modified", date, "max_age", out->max_age,
		    "content_type", out->content_type, "template",
		    out->template_name, "secret_free", out->secret_free,
		    "body", out->body, out->len);
		if (o != NULL && ro.mask_secrets)
			json_object_set_new(o, "masked", json_true());
		print_json(o);
		json_decref(o);
	} else {
		fprintf(adm->errout, "Content-Type: %s\nETag: %s\nLast-Modified: "
		    "%s\nCache-Control: private, max-age=%d\nX-Template: %s\n",
		    out->content_type, out->etag, date, out->max_age,
		    out->template_name);
		fwrite(out->body, 1, out->len, adm->out);
	}
	rc = 0;
done:
	/* Detach the store before freeing the resource: main closes it. */
	resource_release_store(res);
	resource_free(res);
	util_wipe(rkey, sizeof(rkey));
	return rc;
}
