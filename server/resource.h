/*
 * resource: the one answer to "what would this device get now".
 *
 * resource_render() takes a device (or none, for the secret-free default
 * of an unknown one) and the request facts, and returns the rendered
 * configuration with its metadata: ETag, Last-Modified, max-age,
 * Content-Type.  The HTTP front (GET, HEAD, 304), `sipcfg render` and,
 * later, the notifier all call it, so they can never disagree.
 *
 * A struct resource is per thread: it owns one store connection.  Its
 * answers and look-ups come from the answer cache (answers.h): sipcfgd's,
 * shared by every worker and told by feed.c exactly what each change
 * touches, or the resource's own, dropped whenever the store's
 * data_version moves (any commit by anyone).  Its connection is
 * read-only; the one write a request can make (RFC 6011 §5, the first
 * use of a one-time password) goes through a second connection opened
 * when first needed.
 */
#ifndef SIPCFG_RESOURCE_H
#define SIPCFG_RESOURCE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "config.h"
#include "store.h"
#include "request.h"

#define RESOURCE_ETAG_MAX	40
#define RESOURCE_RULES_MAX	64	/* vendor path rules used */

struct answers;
struct rendered;

struct resource_opts {
	int		 max_age;	/* default when device/profile say none */
	int		 pending_max_age;
	size_t		 max_output;
	unsigned	 max_depth;
	/*
	 * The answer cache (answers.h): sipcfgd's shared one, or NULL for
	 * one of the resource's own, of cache_bytes (0: 16 MiB) and
	 * dropped whenever the store changes.
	 */
	struct answers	*shared;
	size_t		 cache_bytes;
	/*
	 * Called on each fresh answer before it is cached, to hang ready
	 * objects on its ext slots (the HTTP front's responses).
	 */
	void		(*ext_build)(struct rendered *);
	/*
	 * A miss's reads in one read transaction, ended by resource_end()
	 * or the next resource_begin(): for callers that call those around
	 * each request (the HTTP front), never for one that writes on the
	 * same connection in between without resource_store().
	 */
	int		 read_txn;
	/* Render with this thread's arena (arena.h; arena_install() done). */
	int		 arena;
	/* The cache warmer (feed.c): its look-ups are no hits or misses. */
	int		 warming;
	/*
	 * Monitor Link targets (RFC 5989 §3, RFC 6011 §2.5.1): "@HOST:PORT"
	 * of the sips: and sip: listeners, "" for none.  notify_default is
	 * the mode of devices and profiles that name none.
	 */
	char		 link_sips[160];
	char		 link_sip[160];
	enum notify_mode notify_default;
	/* Opens sealed secrets (seal.h) for full renders; NULL: none. */
	const unsigned char *seal_key;
	/*
	 * A full render for a person (the admin API's config view): every
	 * secret (line and user passwords, secret variables) is rendered
	 * as RESOURCE_MASK, never opened, and nothing is encrypted.
	 */
	int		 mask_secrets;
};

#define RESOURCE_MASK	"********"

struct rendered {
	char		 etag[RESOURCE_ETAG_MAX];	/* quoted, strong */
	time_t		 last_modified;
	int		 max_age;
	char		 content_type[128];
	char		 template_name[STORE_NAME_MAX];
	char		*body;
	size_t		 len;
	int		 secret_free;
	/*
	 * The Link header value(s) for subscription mode, "" in polling
	 * mode: <sips:TOKEN@HOST:PORT>;rel="monitor" (and a sip: one).
	 */
	char		 link[2][256];
	/*
	 * Slots for the caller to hang objects built from this answer on
	 * (the HTTP front keeps its ready-made 200 and 304 responses here);
	 * ext_free is called on each non-NULL slot when the entry goes.
	 */
	void		*ext[2];
	void		(*ext_free)(void *);
	int		 body_given;	/* ext[0] owns body and frees it */
};

enum resource_rc {
	RES_OK,
	RES_NOTEMPLATE,		/* no template matches: operator error */
	RES_TEMPLATE_ERROR,	/* the template failed to render */
	RES_STORE		/* store unavailable */
};

struct resource;

/* Options from the daemon's configuration (no shared cache). */
void		 resource_opts_init(struct resource_opts *,
		    const struct config *);

/* Takes ownership of st.  NULL on ENOMEM. */
struct resource	*resource_new(struct store *st, const struct resource_opts *);
void		 resource_free(struct resource *);
struct store	*resource_store(struct resource *);
/* Give the store back to the caller (resource_free then leaves it open). */
void		 resource_release_store(struct resource *);

/*
 * Start of a request: drop the cache if the store changed.  Returns -1
 * if the store cannot be read (answer 503).
 */
int		 resource_begin(struct resource *);
/*
 * End of a request: unpins its answer and ends the read transaction of a
 * miss (issue 11: a miss does all its reads in one).  resource_begin()
 * does it too.
 */
void		 resource_end(struct resource *);
/*
 * This connection wrote the store itself (its own commits do not move
 * its data_version): drop what the change touches now, without waiting
 * for the change feed.
 */
void		 resource_changed(struct resource *, enum store_change_kind,
		    int64_t id);
/* The service realm (store meta "realm"), valid until the next begin. */
const char	*resource_realm(struct resource *);

/*
 * Find the device by sfua-id, then by the MAC the sfua-id carries.
 * Answers (found or not) are cached until the store changes.
 */
enum store_rc	 resource_device(struct resource *, const struct cfg_request *,
		    struct store_device *);

/* The vendor file path rules (store order), cached like devices. */
enum store_rc	 resource_path_rules(struct resource *,
		    const struct store_path_rule **, size_t *n);

/* The user, cached like devices. */
enum store_rc	 resource_user(struct resource *, const char *name,
		    struct store_user *);

/*
 * RFC 6011 §5: user u has just authenticated with its one-time password
 * (inside its window).  Makes a long-term password and, in one statement
 * on the writable connection, replaces the one-time password with it
 * (HA1s, and a copy sealed with the seal key for the template), then
 * drops this resource's caches at once: the answer that follows must be
 * rendered afresh to carry the new password, and data_version is only
 * looked at by the next resource_begin().  On anything but RES_OTP_WON,
 * reason says why in one line, with no secret in it.
 */
enum resource_otp {
	RES_OTP_WON,		/* this request replaced it */
	RES_OTP_LOST,		/* already gone: used by a concurrent request */
	RES_OTP_NOKEY,		/* no seal key: nothing to hand the phone */
	RES_OTP_STORE		/* store unavailable */
};
enum resource_otp resource_otp_consume(struct resource *,
		    const struct store_user *u, time_t now, char *reason,
		    size_t reasonlen);

/*
 * resource_render()'s full: what the answer may carry.  RESOURCE_FULL_OLD
 * is a full answer to a request authenticated with the password a
 * rotation replaced (doc/sipcfg.1, user passwd): it never carries the
 * new one (provisioning.user and provisioning.password are left to the
 * variables), so whoever holds only the old password, a leaked one say,
 * cannot trade it for the new.
 */
enum {
	RESOURCE_SECRET_FREE = 0,
	RESOURCE_FULL = 1,
	RESOURCE_FULL_OLD = 2
};

/*
 * Render for dev with the request facts.  full = 0 renders the
 * secret-free default (no lines, no user, only global/vendor/model
 * variables, secret variables empty); dev may then be NULL.  A full
 * render gives the template the user's long-term password, when the
 * store keeps it sealed, as provisioning.user and provisioning.password
 * (unless the variables set those; RESOURCE_FULL_OLD never adds them).
 * full is part of the cache key.  *out points into the cache, pinned,
 * and stays valid until the next resource_begin(), resource_end() or
 * resource_render() call on this resource.  On failure, reason holds one line for the log.
 */
enum resource_rc resource_render(struct resource *,
		    const struct store_device *dev, const struct cfg_request *,
		    int full, const struct rendered **out,
		    char *reason, size_t reasonlen);


#endif
