/*
 * touch: the rules that map a change to the devices it touches (see
 * touch.h).  What a configuration is rendered from (resource.c): the
 * template, the variables of six layers (global, vendor, vendor/model,
 * profile, user, device sfua-id), the device row and its lines, its user,
 * its profile, its domain, the realm and the path rules.
 */
#include <stdio.h>
#include <string.h>

#include "touch.h"

static int
eq(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

enum touch_reach
touch_reach(const struct store_change *c)
{
	switch (c->kind) {
	case CHG_DEVICE:
		return TOUCH_ONE;
	case CHG_USER:
	case CHG_PROFILE:
	case CHG_DOMAIN:
		return TOUCH_SOME;
	case CHG_VAR:
		return c->layer == VAR_GLOBAL ? TOUCH_EVERY : TOUCH_SOME;
	case CHG_TEMPLATE:
		/*
		 * Any template may be chosen for any device (by vendor,
		 * model and revision) or be a partial of the one chosen.
		 */
	case CHG_ALL:
	case CHG_UNKNOWN:
		return TOUCH_EVERY;
	case CHG_PIN:
		/*
		 * A pin decides who may fetch, never what is fetched: no
		 * configuration changes (the device's look-up record does;
		 * answers.c refreshes that alone).
		 */
	case CHG_NOTIFY:
	case CHG_NOTIFY_ALL:
	case CHG_CHECKSYNC:
	case CHG_CHECKSYNC_NOW:
	case CHG_CHECKSYNC_REBOOT:
		return TOUCH_NONE;
	}
	return TOUCH_EVERY;
}

int
touch_match(const struct store_change *c, const struct touch_dev *d)
{
	char		 vm[2 * STORE_NAME_MAX + 2];
	const char	*v = d->vendor ? d->vendor : "";

	switch (touch_reach(c)) {
	case TOUCH_NONE:
		return 0;
	case TOUCH_EVERY:
		return 1;
	case TOUCH_ONE:
		return d->id != 0 && d->id == c->id;
	case TOUCH_SOME:
		break;
	}
	switch (c->kind) {
	case CHG_USER:
		return d->user_id != 0 && d->user_id == c->id;
	case CHG_PROFILE:
		return d->profile_id != 0 && d->profile_id == c->id;
	case CHG_DOMAIN:
		return d->domain_id == c->id;
	case CHG_VAR:
		break;
	default:
		return 1;
	}
	switch (c->layer) {
	case VAR_GLOBAL:
		return 1;
	case VAR_VENDOR:
		return eq(v, c->scope);
	case VAR_MODEL:
		/* Scope "vendor/model"; longer than any scope: touched. */
		if (snprintf(vm, sizeof(vm), "%s/%s", v, d->model ? d->model :
		    "") >= (int)sizeof(vm))
			return 1;
		return eq(vm, c->scope);
	case VAR_PROFILE:
		return d->id != 0 && eq(d->profile, c->scope);
	case VAR_USER:
		return d->id != 0 && eq(d->user, c->scope);
	case VAR_DEVICE:
		return eq(d->sfua, c->scope);
	}
	return 1;
}
