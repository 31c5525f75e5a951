/*
 * resource: rendering a device's configuration with its cache metadata
 * (see resource.h).  Runs on whichever thread owns the struct resource.
 *
 * ETag: the first 128 bits of SHA-256 over the content type and the
 * rendered bytes, so identical bytes give the identical ETag on any
 * instance sharing the store (RFC 6011 §2.4: the metadata must change
 * when the configuration does).  Last-Modified: the newest `updated` of
 * every row the answer was rendered from, and of the last deletion, so it
 * is the same on every instance and never goes backwards.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>

#include "answers.h"
#include "arena.h"
#include "buf.h"
#include "credential.h"
#include "render.h"
#include "resource.h"
#include "encrypt.h"
#include "seal.h"
#include "metrics.h"
#include "util.h"

/* A private cache (sipcfg render, the notifier, dry runs): 16 MiB. */
#define PRIVATE_CACHE	((size_t)16 << 20)

#define LAYER_MEMO	8	/* global, a few vendors and models */
#define TPL_MEMO	4

struct resource {
	struct store		*st;
	struct resource_opts	 o;
	/*
	 * The answer cache: sipcfgd's shared one (o.shared, kept current by
	 * feed.c), or this resource's own, dropped whenever the store's
	 * data_version moves.
	 */
	struct answers		*ans;
	int			 own_ans;
	int64_t			 version;	/* own cache: data_version */
	uint64_t		 gen;		/* answers_gen() at begin */
	uint64_t		 every_gen;	/* realm and rules read at */
	struct answer		*pinned;	/* the last answer returned */
	int			 in_read;	/* a read transaction is open */
	char			 realm[STORE_NAME_MAX];
	time_t			 partial_updated;
	struct store_path_rule	 rules[RESOURCE_RULES_MAX];
	size_t			 nrules;
	int			 rules_loaded;
	/*
	 * Own cache only (the notifier, the CLI): the shared layers'
	 * variables as parsed, dropped with the answers when the store's
	 * data_version moves.  A fan-out renders every subscribed device
	 * with the same global layer; parsing its JSON again each time was
	 * a third of a rendering (issue 12).
	 */
	struct layer_memo {
		char		 key[2 * STORE_NAME_MAX + 24];
		json_t		*obj;	/* malloc(3), never the arena */
		time_t		 upd;
	}			 memo[LAYER_MEMO];
	unsigned		 memo_next;
	/* Likewise the templates rendered with (a body is 3 KB to copy). */
	struct tpl_memo {
		char			 key[3 * STORE_NAME_MAX + 8];
		struct store_template	 t;
	}			 tmemo[TPL_MEMO];
	unsigned		 tmemo_next;
};

void
resource_opts_init(struct resource_opts *o, const struct config *c)
{
	char	 t[160];

	memset(o, 0, sizeof(*o));
	o->max_age = c->max_age;
	o->pending_max_age = c->pending_max_age;
	o->max_output = c->max_output;
	o->max_depth = c->max_depth;
	o->notify_default = config_notify_default(c) ? NOTIFY_SUBSCRIBE :
	    NOTIFY_POLL;
	o->seal_key = c->have_seal_key ? c->seal_key : NULL;
	config_monitor_target(c, 1, t, sizeof(t));
	if (t[0])
		snprintf(o->link_sips, sizeof(o->link_sips), "@%s", t);
	config_monitor_target(c, 0, t, sizeof(t));
	if (t[0])
		snprintf(o->link_sip, sizeof(o->link_sip), "@%s", t);
}

struct resource *
resource_new(struct store *st, const struct resource_opts *o)
{
	struct resource	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->st = st;
	r->o = *o;
	if ((r->ans = o->shared) == NULL) {
		if ((r->ans = answers_new(o->cache_bytes ? o->cache_bytes :
		    PRIVATE_CACHE)) == NULL) {
			free(r);
			return NULL;
		}
		r->own_ans = 1;
	}
	r->version = -1;
	r->every_gen = UINT64_MAX;
	return r;
}

/* Ends the read transaction of a miss (store.h, store_read_begin()). */
static void
read_end(struct resource *r)
{
	if (r->in_read) {
		store_read_end(r->st);
		r->in_read = 0;
	}
}

/* Issue 11: a miss does all its store reads in one read transaction. */
static void
read_begin(struct resource *r)
{
	if (r->o.read_txn && !r->in_read && store_read_begin(r->st) == 0)
		r->in_read = 1;
}

static void
memo_clear(struct resource *r)
{
	size_t	 i;
	int	 was = arena_pause();

	for (i = 0; i < LAYER_MEMO; i++) {
		json_decref(r->memo[i].obj);
		r->memo[i].obj = NULL;
		r->memo[i].key[0] = '\0';
	}
	arena_resume(was);
	for (i = 0; i < TPL_MEMO; i++) {
		store_template_clear(&r->tmemo[i].t);
		r->tmemo[i].key[0] = '\0';
	}
}

void
resource_free(struct resource *r)
{
	if (r == NULL)
		return;
	memo_clear(r);
	answers_release(r->ans, r->pinned);
	read_end(r);
	if (r->own_ans)
		answers_free(r->ans);
	store_close(r->st);
	free(r);
}

struct store *
resource_store(struct resource *r)
{
	/* The caller is about to use it directly, to write perhaps. */
	read_end(r);
	return r->st;
}

void
resource_release_store(struct resource *r)
{
	read_end(r);
	r->st = NULL;
}

void
resource_end(struct resource *r)
{
	answers_release(r->ans, r->pinned);
	r->pinned = NULL;
	read_end(r);
}

int
resource_begin(struct resource *r)
{
	int64_t		 v;
	uint64_t	 eg;

	resource_end(r);
	if (r->own_ans) {
		/* Nobody tells this cache what changed: any commit clears. */
		if ((v = store_data_version(r->st)) < 0)
			return -1;
		if (v != r->version) {
			answers_clear(r->ans);
			memo_clear(r);
			r->version = v;
		}
	}
	r->gen = answers_gen(r->ans);
	if ((eg = answers_every_gen(r->ans)) != r->every_gen) {
		/*
		 * The realm and the path rules change for every device (so
		 * does a global variable: both move every_gen).  While the
		 * store cannot be reached, the realm read last stays in use
		 * and is read again on the next request (issue 13 §4: the
		 * cached answers are still served).
		 */
		char	 realm[sizeof(r->realm)];

		read_begin(r);
		if (store_meta_get(r->st, "realm", realm, sizeof(realm)) !=
		    STORE_OK) {
			read_end(r);
			return r->realm[0] ? 0 : -1;
		}
		memcpy(r->realm, realm, sizeof(r->realm));
		r->rules_loaded = 0;
		r->every_gen = eg;
	}
	return 0;
}

void
resource_changed(struct resource *r, enum store_change_kind kind, int64_t id)
{
	struct store_change	 c;

	memset(&c, 0, sizeof(c));
	c.kind = kind;
	c.id = id;
	snprintf(c.hint, sizeof(c.hint), "(this worker)");
	/* A connection's own commits do not move its data_version. */
	answers_apply(r->ans, &c, 1);
	memo_clear(r);
	r->gen = answers_gen(r->ans);
	read_end(r);
}

const char *
resource_realm(struct resource *r)
{
	return r->realm;
}

enum store_rc
resource_device(struct resource *r, const struct cfg_request *q,
    struct store_device *d)
{
	enum store_rc	 rc;
	struct timespec	 t0;
	int64_t		 dom = q->domain_id > 0 ? q->domain_id :
			    STORE_DEFAULT_DOMAIN;

	if (answers_device_get(r->ans, dom, q->sfua_id, &rc, d))
		return rc;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	read_begin(r);
	rc = store_device_by_sfua(r->st, dom, q->sfua_id, d);
	if (rc == STORE_NOTFOUND && q->mac[0])
		rc = store_device_by_mac(r->st, dom, q->mac, d);
	metrics_store_observe(METRICS_QUERY_DEVICE, metrics_since(&t0));
	/* Errors are not cached; a spray of unknown ids only evicts. */
	answers_device_put(r->ans, r->gen, dom, q->sfua_id, rc, d);
	return rc;
}

enum store_rc
resource_user(struct resource *r, const char *name, struct store_user *u)
{
	enum store_rc	 rc;
	struct timespec	 t0;

	if (answers_user_get(r->ans, name, &rc, u))
		return rc;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	read_begin(r);
	rc = store_user_by_name(r->st, name, u);
	metrics_store_observe(METRICS_QUERY_USER, metrics_since(&t0));
	answers_user_put(r->ans, r->gen, name, rc, u);
	return rc;
}

enum resource_otp
resource_otp_consume(struct resource *r, const struct store_user *u,
    time_t now, char *reason, size_t rlen)
{
	char			 pw[CREDENTIAL_LONG_LEN + 1];
	char			 md5[DIGEST_HA1_MD5_HEX];
	char			 sha[DIGEST_HA1_SHA256_HEX];
	char			*sealed = NULL;
	enum store_rc		 rc;
	enum resource_otp	 ret = RES_OTP_STORE;

	/*
	 * Without the seal key the new password could not be handed over:
	 * the one-time password is left as it is, to work once the key is
	 * there.
	 */
	if (r->o.seal_key == NULL) {
		snprintf(reason, rlen, "no seal key (seal_key in "
		    "sipcfgd.conf): the one-time password is not used up");
		return RES_OTP_NOKEY;
	}
	if (credential_generate(pw, sizeof(pw), CREDENTIAL_LONG_LEN) != 0 ||
	    credential_ha1s(u->name, u->realm, pw, md5, sha) != 0 ||
	    (sealed = seal_seal(r->o.seal_key, "user-password", pw,
	    strlen(pw))) == NULL) {
		snprintf(reason, rlen, "cannot make a password");
		goto done;
	}
	/* The worker's connection: one statement, see http.c. */
	read_end(r);
	rc = store_user_otp_consume(r->st, u->id, u->ha1_md5, md5, sha,
	    sealed, now);
	if (rc == STORE_OK) {
		/* The next answer must carry the new password. */
		resource_changed(r, CHG_USER, u->id);
		ret = RES_OTP_WON;
	} else if (rc == STORE_NOTFOUND) {
		snprintf(reason, rlen, "one-time password already used");
		ret = RES_OTP_LOST;
	} else
		snprintf(reason, rlen, "%s", store_errmsg(r->st));
 done:
	util_wipe(pw, sizeof(pw));
	util_wipe(md5, sizeof(md5));
	util_wipe(sha, sizeof(sha));
	free(sealed);
	return ret;
}

/* Partials and parents come from the templates table by name. */
static char *
partial(void *arg, const char *name)
{
	struct resource		*r = arg;
	struct store_template	 t;
	char			*body;

	if (store_template_by_name(r->st, name, &t) != STORE_OK)
		return NULL;
	if (t.updated > r->partial_updated)
		r->partial_updated = t.updated;
	body = t.body;
	t.body = NULL;
	store_template_clear(&t);
	return body;
}

static int
etag_of(const char *ctype, const char *body, size_t len, char *out)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen;
	EVP_MD_CTX	*c;
	int		 ok;

	if ((c = EVP_MD_CTX_new()) == NULL)
		return -1;
	ok = EVP_DigestInit_ex(c, EVP_sha256(), NULL) &&
	    EVP_DigestUpdate(c, ctype, strlen(ctype) + 1) &&
	    EVP_DigestUpdate(c, body, len) &&
	    EVP_DigestFinal_ex(c, md, &mdlen);
	EVP_MD_CTX_free(c);
	if (!ok)
		return -1;
	out[0] = '"';
	for (unsigned i = 0; i < 16; i++)
		snprintf(out + 1 + 2 * i, 3, "%02x", md[i]);
	out[33] = '"';
	out[34] = '\0';
	return 0;
}

static void
setstr(json_t *o, const char *k, const char *v)
{
	json_object_set_new(o, k, json_string(v ? v : ""));
}

/*
 * The parts of a SIP URI that vendor formats keep in separate fields:
 * user, host (an IPv6 reference keeps its brackets) and port ("" when
 * the URI has none), set on o as <prefix>user, <prefix>host and
 * <prefix>port.  Parameters and headers are dropped.
 */
static void
uri_parts(json_t *o, const char *prefix, const char *uri)
{
	const char	*p = uri, *at, *end, *h, *he;
	char		 key[64];
	size_t		 n;

	if (strncmp(p, "sips:", 5) == 0)
		p += 5;
	else if (strncmp(p, "sip:", 4) == 0)
		p += 4;
	end = p + strcspn(p, ";?>");
	at = memchr(p, '@', (size_t)(end - p));
	snprintf(key, sizeof(key), "%suser", prefix);
	n = at ? (size_t)(at - p) : 0;
	json_object_set_new(o, key, json_stringn(p, n));
	h = at ? at + 1 : p;
	if (*h == '[' && (he = memchr(h, ']', (size_t)(end - h))) != NULL)
		he++;
	else
		he = h + strcspn(h, ":;?>");
	if (he > end)
		he = end;
	snprintf(key, sizeof(key), "%shost", prefix);
	json_object_set_new(o, key, json_stringn(h, (size_t)(he - h)));
	snprintf(key, sizeof(key), "%sport", prefix);
	n = *he == ':' ? strspn(he + 1, "0123456789") : 0;
	json_object_set_new(o, key, json_stringn(n ? he + 1 : "", n));
}

static void
line_parts(struct resource *r, json_t *lines)
{
	json_t		*l;
	const char	*v;
	size_t		 i;
	char		 pw[256];

	json_array_foreach(lines, i, l) {
		/*
		 * The SIP password vendor formats print in clear, opened
		 * from its sealed copy; never the sealed copy itself.
		 */
		/* The line's HA1 is as good as its password (RFC 7616 §5.4). */
		if (r->o.mask_secrets && json_object_get(l, "digest") != NULL)
			json_object_set_new(l, "digest",
			    json_string(RESOURCE_MASK));
		v = json_string_value(json_object_get(l, "password_sealed"));
		if (v && *v && r->o.mask_secrets)
			json_object_set_new(l, "password",
			    json_string(RESOURCE_MASK));
		else if (v && r->o.seal_key && seal_open(r->o.seal_key,
		    "line-password", v, pw, sizeof(pw)) == 0)
			json_object_set_new(l, "password", json_string(pw));
		else
			json_object_set_new(l, "password", json_string(""));
		util_wipe(pw, sizeof(pw));
		json_object_del(l, "password_sealed");
		if ((v = json_string_value(json_object_get(l, "aor"))) != NULL)
			uri_parts(l, "aor_", v);
		v = json_string_value(json_object_get(l, "outbound_proxy"));
		if (v != NULL && *v != '\0')
			uri_parts(l, "outbound_proxy_", v);
	}
}

/*
 * A secret variable's value (`sipcfg var set --secret`): sealed JSON
 * text, parsed back to its type.  NULL (rendered "") without the key,
 * or when it was forged or moved from another field.
 */
static json_t *
unseal_var(void *arg, const char *sealed)
{
	struct resource	*r = arg;
	char		 txt[SEAL_VALUE_MAX + 1];
	json_t		*v = NULL;

	if (r->o.mask_secrets)
		return json_string(RESOURCE_MASK);
	if (r->o.seal_key != NULL && seal_open(r->o.seal_key, "var", sealed,
	    txt, sizeof(txt)) == 0)
		v = json_loads(txt, JSON_DECODE_ANY, NULL);
	util_wipe(txt, sizeof(txt));
	return v;
}

/*
 * One shared layer's variables merged into ctx: from the memo when the
 * resource has its own cache (see struct resource), else from the store.
 */
static enum store_rc
merge_layer(struct resource *r, const char *layer, const char *scope,
    int full, json_t *ctx, time_t *upd)
{
	struct layer_memo	*m = NULL;
	store_unseal_fn		 un = full ? unseal_var : NULL;
	char			 key[sizeof(r->memo[0].key)];
	json_t			*obj, *copy;
	enum store_rc		 rc;
	time_t			 t = 0;
	size_t			 i;
	int			 was;

	if (!r->own_ans || snprintf(key, sizeof(key), "%d|%s|%s", full,
	    layer, scope) >= (int)sizeof(key))
		return store_vars_merge(r->st, layer, scope, ctx, upd, un, r);
	for (i = 0; i < LAYER_MEMO && m == NULL; i++)
		if (r->memo[i].obj && strcmp(r->memo[i].key, key) == 0)
			m = &r->memo[i];
	if (m == NULL) {
		was = arena_pause();
		if ((obj = json_object()) == NULL) {
			arena_resume(was);
			return STORE_ERROR;
		}
		if ((rc = store_vars_merge(r->st, layer, scope, obj, &t, un,
		    r)) != STORE_OK) {
			json_decref(obj);
			arena_resume(was);
			return rc;
		}
		m = &r->memo[r->memo_next++ % LAYER_MEMO];
		json_decref(m->obj);
		arena_resume(was);
		m->obj = obj;
		m->upd = t;
		memcpy(m->key, key, sizeof(key));
	}
	/* A copy: a later layer's merge changes the objects it reaches. */
	if ((copy = json_deep_copy(m->obj)) == NULL ||
	    json_object_update_recursive(ctx, copy) != 0) {
		json_decref(copy);
		return STORE_ERROR;
	}
	json_decref(copy);
	if (m->upd > *upd)
		*upd = m->upd;
	return STORE_OK;
}

/*
 * The variables of the layers that apply, merged in order (BRIEF.md §4).
 * Secret variables are opened for full answers only: a secret-free one
 * gets "" for them, whatever the layer.
 */
static enum store_rc
merge_vars(struct resource *r, const struct store_device *d,
    const char *vendor, const char *model, int full, json_t *ctx,
    time_t *upd)
{
	char		 vm[2 * STORE_NAME_MAX + 2];
	enum store_rc	 rc;
	store_unseal_fn	 un = full ? unseal_var : NULL;

	snprintf(vm, sizeof(vm), "%s/%s", vendor, model);
	if ((rc = merge_layer(r, "global", "", full, ctx, upd)) != STORE_OK)
		return rc;
	if (*vendor && (rc = merge_layer(r, "vendor", vendor, full, ctx,
	    upd)) != STORE_OK)
		return rc;
	if (*vendor && *model && (rc = merge_layer(r, "model", vm, full, ctx,
	    upd)) != STORE_OK)
		return rc;
	if (!full || d == NULL)
		return STORE_OK;
	if (d->profile[0] && (rc = store_vars_merge(r->st, "profile",
	    d->profile, ctx, upd, un, r)) != STORE_OK)
		return rc;
	if (d->user[0] && (rc = store_vars_merge(r->st, "user", d->user, ctx,
	    upd, un, r)) != STORE_OK)
		return rc;
	return store_vars_merge(r->st, "device", d->sfua_id, ctx, upd, un, r);
}

/*
 * RFC 6011 §5: the user's long-term password (the one that replaced its
 * one-time password, or one set with `sipcfg user passwd`), kept sealed,
 * for the template to hand the phone as provisioning.user and
 * provisioning.password.  Variables that set them (a shared provisioning
 * account, say) win; the password is only added for the device's own
 * user.  Full answers only, and never to the holder of the old password
 * during a rotation's overlap (RESOURCE_FULL_OLD, see resource.h).
 */
static enum store_rc
provisioning_credentials(struct resource *r, const struct store_device *d,
    int full, json_t *ctx, time_t *upd)
{
	struct store_user	 u;
	json_t			*prov;
	const char		*vu;
	char			 pw[SEAL_VALUE_MAX + 1];
	enum store_rc		 rc;

	if (full == RESOURCE_FULL_OLD)
		return STORE_OK;
	if ((rc = store_user_by_name(r->st, d->user, &u)) != STORE_OK)
		return rc == STORE_NOTFOUND ? STORE_OK : rc;
	if (u.updated > *upd)
		*upd = u.updated;	/* newer than d when it was just used */
	if (u.password_sealed[0] == '\0')
		goto done;
	if (r->o.mask_secrets)
		snprintf(pw, sizeof(pw), "%s", RESOURCE_MASK);
	else if (r->o.seal_key == NULL || seal_open(r->o.seal_key,
	    "user-password", u.password_sealed, pw, sizeof(pw)) != 0)
		goto done;
	if ((prov = json_object_get(ctx, "provisioning")) == NULL) {
		if ((prov = json_object()) == NULL ||
		    json_object_set_new(ctx, "provisioning", prov) != 0)
			goto done;
	}
	if (!json_is_object(prov))
		goto done;
	if (json_object_get(prov, "user") == NULL)
		setstr(prov, "user", d->user);
	vu = json_string_value(json_object_get(prov, "user"));
	if (vu != NULL && strcmp(vu, d->user) == 0 &&
	    json_object_get(prov, "password") == NULL)
		setstr(prov, "password", pw);
 done:
	util_wipe(pw, sizeof(pw));
	util_wipe(&u, sizeof(u));
	return STORE_OK;
}

/*
 * RFC 6011 §2.5: a device in subscription mode gets a monitor Link; one
 * in polling mode gets none (and always a max-age).  Only a device that
 * was given SIP credentials can authenticate the SUBSCRIBE (§2.5.1), so
 * secret-free answers and devices without lines are polling.
 */
static void
monitor_links(struct resource *r, const struct store_device *d, int full,
    int has_lines, struct rendered *out)
{
	enum notify_mode m;

	out->link[0][0] = out->link[1][0] = '\0';
	if (!full || d == NULL || !has_lines || d->monitor_token[0] == '\0' ||
	    d->state != DEVICE_ACTIVE)
		return;
	m = d->notify_mode == NOTIFY_INHERIT ? r->o.notify_default :
	    d->notify_mode;
	if (m != NOTIFY_SUBSCRIBE)
		return;
	if (r->o.link_sips[0])
		snprintf(out->link[0], sizeof(out->link[0]),
		    "<sips:%s%s>;rel=\"monitor\"", d->monitor_token,
		    r->o.link_sips);
	if (r->o.link_sip[0])
		snprintf(out->link[out->link[0][0] ? 1 : 0],
		    sizeof(out->link[0]), "<sip:%s%s>;rel=\"monitor\"",
		    d->monitor_token, r->o.link_sip);
}

/*
 * Issue 5: the device's file encrypted with its key (sealed in the
 * store), deterministically (encrypt.h: the plaintext's ETag is the
 * seed), so the same ETag still means the same bytes.  The ETag and
 * Content-Type then describe what is sent.
 */
static enum resource_rc
encrypt_answer(struct resource *r, const struct store_device *d,
    struct rendered *out, const char *khex, char *reason, size_t rlen)
{
	enum enc_mode	 mode;
	unsigned char	 key[ENC_KEY_LEN];
	char		 pem[16385], err[256];
	struct buf	 b;
	size_t		 len;
	char		*ct;

	if (enc_mode_parse(d->enc_mode, &mode) != 0) {
		snprintf(reason, rlen, "device %s: unknown encryption mode %s",
		    d->sfua_id, d->enc_mode);
		return RES_TEMPLATE_ERROR;
	}
	if (strlen(khex) != 2 * ENC_KEY_LEN ||
	    util_unhex(khex, key, ENC_KEY_LEN) != 0) {
		snprintf(reason, rlen, "device %s: encryption %s but no usable "
		    "key (sipcfg device key; is the seal key there?)",
		    d->sfua_id, d->enc_mode);
		return RES_TEMPLATE_ERROR;
	}
	pem[0] = '\0';
	if (mode == ENC_CMS_CERT && (store_device_enc_cert(r->st, d->id, pem,
	    sizeof(pem)) != STORE_OK || pem[0] == '\0')) {
		util_wipe(key, sizeof(key));
		snprintf(reason, rlen, "device %s: cms-cert without a device "
		    "certificate (sipcfg device set --enc-cert)", d->sfua_id);
		return RES_TEMPLATE_ERROR;
	}
	buf_init(&b, r->o.max_output + 65536);
	if (enc_encrypt(mode, key, pem[0] ? pem : NULL, out->etag, out->body,
	    out->len, &b, err, sizeof(err)) != 0) {
		util_wipe(key, sizeof(key));
		buf_free(&b);
		snprintf(reason, rlen, "device %s: %s", d->sfua_id, err);
		return RES_TEMPLATE_ERROR;
	}
	util_wipe(key, sizeof(key));
	util_wipe(out->body, out->len);
	free(out->body);
	out->body = buf_steal(&b, &len);
	out->len = len;
	ct = mode == ENC_OPENSSL_MD5 ? "application/octet-stream" :
	    "application/pkcs7-mime";
	snprintf(out->content_type, sizeof(out->content_type), "%s", ct);
	if (out->body == NULL || etag_of(ct, out->body, out->len,
	    out->etag) != 0) {
		snprintf(reason, rlen, "out of memory");
		return RES_STORE;
	}
	return RES_OK;
}

/*
 * The template for a rendering, by name or by selection: from the memo
 * when the resource has its own cache (see struct resource), else read
 * into *t.  *tp points at whichever holds it; store_template_clear(t)
 * stays right either way.
 */
static enum store_rc
template_get(struct resource *r, const char *name, const char *vendor,
    const char *model, const char *rev, struct store_template *t,
    const struct store_template **tp)
{
	struct tpl_memo	*m;
	char		 key[sizeof(r->tmemo[0].key)];
	enum store_rc	 src;
	size_t		 i;
	int		 fits;

	*tp = t;
	fits = snprintf(key, sizeof(key), "%s|%s|%s|%s", name, vendor, model,
	    rev) < (int)sizeof(key);
	if (r->own_ans && fits)
		for (i = 0; i < TPL_MEMO; i++)
			if (r->tmemo[i].t.body && strcmp(r->tmemo[i].key,
			    key) == 0) {
				*tp = &r->tmemo[i].t;
				return STORE_OK;
			}
	if (name[0])
		src = store_template_by_name(r->st, name, t);
	else
		src = store_template_select(r->st, vendor, model, rev, t);
	if (src != STORE_OK || !r->own_ans || !fits || t->body == NULL)
		return src;
	m = &r->tmemo[r->tmemo_next++ % TPL_MEMO];
	store_template_clear(&m->t);
	m->t = *t;
	memset(t, 0, sizeof(*t));
	memcpy(m->key, key, sizeof(key));
	*tp = &m->t;
	return STORE_OK;
}

static enum resource_rc
render_fresh(struct resource *r, const struct store_device *d,
    const struct cfg_request *q, int full, struct rendered *out,
    char *reason, size_t rlen)
{
	struct store_template	 t;
	const struct store_template *tp = &t;
	struct render_opts	 ro;
	struct buf		 b;
	json_t			*ctx = NULL, *o, *lines = NULL;
	const char		*vendor, *model, *rev;
	time_t			 upd;
	enum store_rc		 src;
	enum resource_rc	 rc = RES_STORE;
	char			 err[256], khex[2 * ENC_KEY_LEN + 1] = "";

	memset(&t, 0, sizeof(t));
	vendor = d && d->vendor[0] ? d->vendor : q->vendor;
	model = d && d->model[0] ? d->model : q->model;
	rev = q->revision[0] ? q->revision : d ? d->revision : "";

	src = template_get(r, q->template_name, vendor, model, rev, &t, &tp);
	if (src == STORE_NOTFOUND) {
		snprintf(reason, rlen, "no template matches vendor \"%s\" "
		    "model \"%s\" revision \"%s\"", vendor, model, rev);
		return RES_NOTEMPLATE;
	}
	if (src != STORE_OK) {
		snprintf(reason, rlen, "%s", store_errmsg(r->st));
		return RES_STORE;
	}
	upd = tp->updated;
	if (store_last_delete(r->st) > upd)
		upd = store_last_delete(r->st);
	if ((ctx = json_object()) == NULL)
		goto done;
	if (merge_vars(r, d, vendor, model, full, ctx, &upd) != STORE_OK) {
		snprintf(reason, rlen, "%s", store_errmsg(r->st));
		goto done;
	}
	o = json_object();
	setstr(o, "sfua_id", d ? d->sfua_id : q->sfua_id);
	setstr(o, "mac", d ? d->mac : q->mac);
	setstr(o, "vendor", vendor);
	setstr(o, "model", model);
	setstr(o, "revision", rev);
	setstr(o, "label", d ? d->label : "");
	json_object_set_new(ctx, "device", o);
	json_object_set_new(ctx, "secret_free", json_boolean(!full));
	if (full && d) {
		if (d->updated > upd)
			upd = d->updated;
		o = json_object();
		setstr(o, "name", d->user);
		setstr(o, "realm", r->realm);
		json_object_set_new(ctx, "user", o);
		if (d->user[0] && provisioning_credentials(r, d, full, ctx,
		    &upd) != STORE_OK) {
			snprintf(reason, rlen, "%s", store_errmsg(r->st));
			goto done;
		}
		if (store_device_lines(r->st, d->id, &lines, &upd) != STORE_OK) {
			snprintf(reason, rlen, "%s", store_errmsg(r->st));
			goto done;
		}
		line_parts(r, lines);
	} else
		lines = json_array();
	json_object_set_new(ctx, "has_lines",
	    json_boolean(json_array_size(lines) > 0));
	json_object_set_new(ctx, "lines", lines);

	/*
	 * The device's file key (issue 5), for the plaintext bootstrap file
	 * that delivers it to the phone; full answers only.
	 */
	if (full && d && !r->o.mask_secrets && d->enc_key_sealed[0] &&
	    r->o.seal_key &&
	    seal_open(r->o.seal_key, "device-key", d->enc_key_sealed, khex,
	    sizeof(khex)) == 0) {
		setstr(json_object_get(ctx, "device"), "encryption_key", khex);
		/* The vendor templates' {{encryption_key}}, over any var. */
		setstr(ctx, "encryption_key", khex);
	}
	memset(&ro, 0, sizeof(ro));
	ro.escape = render_escape_for(tp->content_type);
	ro.max_output = r->o.max_output;
	ro.max_depth = r->o.max_depth;
	ro.partial = partial;
	ro.partial_arg = r;
	r->partial_updated = 0;
	buf_init(&b, r->o.max_output + 1);
	if (render_template(tp->body, tp->bodylen, ctx, &ro, &b, err,
	    sizeof(err)) != 0) {
		snprintf(reason, rlen, "template %s: %s", tp->name, err);
		buf_free(&b);
		rc = RES_TEMPLATE_ERROR;
		goto done;
	}
	if (r->partial_updated > upd)
		upd = r->partial_updated;
	memset(out, 0, sizeof(*out));
	out->body = buf_steal(&b, &out->len);
	if (out->body == NULL || etag_of(tp->content_type, out->body, out->len,
	    out->etag) != 0) {
		free(out->body);
		out->body = NULL;
		snprintf(reason, rlen, "out of memory");
		goto done;
	}
	snprintf(out->content_type, sizeof(out->content_type), "%s",
	    tp->content_type);
	if (full && d && !q->plain && d->enc_mode[0] &&
	    strcmp(d->enc_mode, "none") != 0) {
		rc = encrypt_answer(r, d, out, khex, reason, rlen);
		if (rc != RES_OK) {
			free(out->body);
			out->body = NULL;
			goto done;
		}
		rc = RES_STORE;
	}
	snprintf(out->template_name, sizeof(out->template_name), "%s", tp->name);
	out->last_modified = upd;
	out->secret_free = !full;
	monitor_links(r, d, full, json_array_size(json_object_get(ctx,
	    "lines")) > 0, out);
	/* Most specific wins: device, then its profile, then the default. */
	if (d && d->state == DEVICE_PENDING)
		out->max_age = r->o.pending_max_age;
	else if (full && d && d->max_age >= 0)
		out->max_age = d->max_age;
	else if (full && d && d->profile_max_age >= 0)
		out->max_age = d->profile_max_age;
	else if (!full)
		out->max_age = r->o.max_age < r->o.pending_max_age ?
		    r->o.max_age : r->o.pending_max_age;
	else
		out->max_age = r->o.max_age;
	rc = RES_OK;
done:
	json_decref(ctx);
	store_template_clear(&t);
	util_wipe(khex, sizeof(khex));
	return rc;
}

enum resource_rc
resource_render(struct resource *r, const struct store_device *d,
    const struct cfg_request *q, int full, const struct rendered **out,
    char *reason, size_t rlen)
{
	struct touch_dev	 td;
	struct rendered		 fresh;
	const struct rendered	*a;
	char			 key[1200], *body;
	enum resource_rc	 rc;

	/* Everything that can change the answer is in the key. */
	snprintf(key, sizeof(key), "A|%lld|%d|%s|%s|%s|%s|%d|%s|%d",
	    (long long)(d ? d->domain_id : q->domain_id), full,
	    d ? d->sfua_id : q->sfua_id, d && d->vendor[0] ? "" : q->vendor,
	    d && d->model[0] ? "" : q->model, q->revision,
	    d ? (int)d->state : -1, q->template_name, q->plain);
	answers_release(r->ans, r->pinned);
	r->pinned = NULL;
	if ((a = (r->o.warming ? answers_peek : answers_get)(r->ans, key,
	    &r->pinned)) != NULL) {
		*out = a;
		return RES_OK;
	}
	read_begin(r);
	memset(&fresh, 0, sizeof(fresh));
	if (r->o.arena)
		arena_begin();
	rc = render_fresh(r, d, q, full, &fresh, reason, rlen);
	if (r->o.arena)
		arena_end();
	if (rc != RES_OK) {
		rendered_clear(&fresh);
		return rc;
	}
	/* The buffer grew by doubling: keep what the answer takes. */
	if (fresh.body && (body = realloc(fresh.body, fresh.len ? fresh.len :
	    1)) != NULL)
		fresh.body = body;
	if (r->o.ext_build)
		r->o.ext_build(&fresh);
	/* What touch.h needs to know which changes reach this answer. */
	memset(&td, 0, sizeof(td));
	td.domain_id = d ? d->domain_id : q->domain_id;
	td.sfua = d ? d->sfua_id : q->sfua_id;
	td.vendor = d && d->vendor[0] ? d->vendor : q->vendor;
	td.model = d && d->model[0] ? d->model : q->model;
	if (d) {
		td.id = d->id;
		td.user_id = d->user_id;
		td.profile_id = d->profile_id;
		td.user = d->user;
		td.profile = d->profile;
	}
	if ((a = answers_put(r->ans, r->gen, key, &td, &fresh,
	    &r->pinned)) == NULL) {
		snprintf(reason, rlen, "out of memory");
		return RES_STORE;
	}
	*out = a;
	return RES_OK;
}

enum store_rc
resource_path_rules(struct resource *r, const struct store_path_rule **out,
    size_t *n)
{
	enum store_rc	 rc;

	if (!r->rules_loaded) {
		read_begin(r);
		if ((rc = store_path_rules(r->st, r->rules, RESOURCE_RULES_MAX,
		    &r->nrules)) != STORE_OK)
			return rc;
		r->rules_loaded = 1;
	}
	*out = r->rules;
	*n = r->nrules;
	return STORE_OK;
}
