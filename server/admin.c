/*
 * admin: the command table and the runner: one transaction and one audit
 * session per command.  Part of the admin library (admin.h): commands that
 * validate, run in the caller's transaction and write their result to the
 * call's output, for the CLI and the REST API alike.
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

__thread struct admin_io	*adm;

const struct cmd admin_cmds[] = {
	{ "init", NULL, 0, 0, "--realm= --force", 1, cmd_init,
	    "init [--realm REALM [--force]]" },
	{ "device", "add", 1, 1, "--vendor= --model= --label= --user= "
	    "--profile= --max-age= --state= --notify= --checksync= --encrypt= "
	    "--client-cert=", 1, cmd_device_add,
	    "device add SFUA-ID|MAC [--vendor DOMAIN] [--model TOKEN] "
	    "[--label TEXT] [--user NAME] [--profile NAME] [--max-age SECONDS] "
	    "[--state active|pending|disabled] [--notify subscribe|poll] "
	    "[--checksync on|off] [--client-cert optional|required|ignore]" },
	{ "device", "list", 0, 0, "--state= --vendor= --model= --user= "
	    "--not-seen-since= --limit= --offset= --after= --status", 0,
	    cmd_device_list, "device list [--state active|pending|disabled] "
	    "[--vendor DOMAIN] [--model TOKEN] [--user NAME] "
	    "[--not-seen-since DURATION] [--limit N] [--offset N | --after ID] "
	    "[--status]" },
	{ "device", "show", 1, 1, "", 0, cmd_device_show, "device show DEV" },
	{ "device", "set", 1, 1, "--vendor= --model= --label= --user= "
	    "--no-user --profile= --max-age= --state= --mac= --notify= "
	    "--checksync= --contact= --encrypt= --enc-cert= --client-cert=", 1,
	    cmd_device_set, "device set DEV [--vendor ..] [--model ..] "
	    "[--label ..] [--user NAME | --no-user] [--profile NAME] "
	    "[--max-age SECONDS|none] [--state ..] [--mac MAC] "
	    "[--notify subscribe|poll|inherit] [--checksync on|off|inherit] "
	    "[--contact SIP-URI] [--encrypt MODE|inherit] [--enc-cert PEM] "
	    "[--client-cert optional|required|ignore|inherit]" },
	{ "device", "rm", 1, 1, "", 1, cmd_device_rm, "device rm DEV" },
	{ "device", "unpin", 1, 1, "", 1, cmd_device_unpin,
	    "device unpin DEV" },
	{ "device", "duplicates", 0, 0, "", 0, cmd_device_duplicates,
	    "device duplicates" },
	{ "domain", "add", 1, 1, "--cert= --key= --ca= --realm= --base-url= "
	    "--client-cert= --tofu=", 1, cmd_domain_add,
	    "domain add NAME --cert PEM --key PEM [--ca PEM] [--realm REALM] "
	    "[--base-url URL] [--client-cert optional|required|ignore] "
	    "[--tofu on|off]" },
	{ "domain", "set", 1, 1, "--cert= --key= --no-cert --ca= --no-ca "
	    "--realm= --force --base-url= --client-cert= --tofu=", 1,
	    cmd_domain_set,
	    "domain set NAME [--cert PEM --key PEM | --no-cert] [--ca PEM | "
	    "--no-ca] [--realm REALM [--force]] [--base-url URL] "
	    "[--client-cert optional|required|ignore] [--tofu on|off]" },
	{ "domain", "list", 0, 0, "", 0, cmd_domain_list, "domain list" },
	{ "domain", "rm", 1, 1, "", 1, cmd_domain_rm, "domain rm NAME" },
	{ "device", "key", 1, 1, "", 1, cmd_device_key, "device key DEV" },
	{ "device", "history", 1, 1, "--limit=", 0, cmd_device_history,
	    "device history DEV [--limit N]" },
	{ "audit", NULL, 0, 0, "--limit= --since=", 0, cmd_audit,
	    "audit [--limit N] [--since UNIX-TIME]" },
	{ "user", "add", 1, 1, "--realm= --one-time --valid-for= --not-before=",
	    1, cmd_user_add,
	    "user add NAME [--realm REALM] [--one-time [--valid-for DURATION] "
	    "[--not-before UNIX-TIME]]   (password on stdin or prompted; "
	    "--one-time makes one and prints it)" },
	{ "user", "otp", 1, 1, "--valid-for= --not-before=", 1, cmd_user_otp,
	    "user otp NAME [--valid-for DURATION] [--not-before UNIX-TIME]" },
	{ "user", "passwd", 1, 1, "--overlap= --revoke-now", 1,
	    cmd_user_passwd, "user passwd NAME [--overlap DURATION | "
	    "--revoke-now]   (password on stdin or prompted)" },
	{ "user", "list", 0, 0, "--limit= --offset= --after=", 0,
	    cmd_user_list, "user list [--limit N] [--offset N | --after NAME]" },
	{ "user", "show", 1, 1, "", 0, cmd_user_show, "user show NAME" },
	{ "user", "rm", 1, 1, "", 1, cmd_user_rm, "user rm NAME" },
	{ "line", "add", 1, 1, "--aor= --username= --realm= --proxy= "
	    "--display= --position=", 1, cmd_line_add,
	    "line add DEV --aor SIP-URI --username NAME [--realm REALM] "
	    "[--proxy SIP-URI] [--display NAME] [--position N]   "
	    "(password on stdin or prompted)" },
	{ "line", "list", 1, 1, "", 0, cmd_line_list, "line list DEV" },
	{ "line", "rm", 2, 2, "", 1, cmd_line_rm, "line rm DEV POSITION" },
	{ "template", "add", 2, 2, "--vendor= --model= --revision= "
	    "--content-type=", 1, cmd_template_add,
	    "template add NAME FILE|- [--vendor DOMAIN] [--model TOKEN] "
	    "[--revision TOKEN] [--content-type TYPE]" },
	{ "template", "list", 0, 0, "", 0, cmd_template_list, "template list" },
	{ "template", "show", 1, 1, "", 0, cmd_template_show,
	    "template show NAME" },
	{ "template", "rm", 1, 1, "", 1, cmd_template_rm, "template rm NAME" },
	{ "var", "set", 3, 4, "--string --secret", 1, cmd_var_set,
	    "var set global|vendor|model|profile|user|device [SCOPE] NAME "
	    "VALUE [--string] [--secret]" },
	{ "var", "unset", 2, 3, "", 1, cmd_var_unset,
	    "var unset LAYER [SCOPE] NAME" },
	{ "var", "show", 0, 2, "--limit= --offset=", 0, cmd_var_show,
	    "var show [LAYER [SCOPE]] [--limit N] [--offset N]" },
	{ "profile", "set", 1, 1, "--max-age= --notify= --checksync= "
	    "--encrypt=", 1,
	    cmd_profile_set,
	    "profile set NAME [--max-age SECONDS|none] "
	    "[--notify subscribe|poll|inherit] [--checksync on|off|inherit] "
	    "[--encrypt MODE|inherit]" },
	{ "profile", "list", 0, 0, "", 0, cmd_profile_list, "profile list" },
	{ "path", "add", 1, 1, "--vendor= --template= --plain", 1, cmd_path_add,
	    "path add PATTERN [--vendor DOMAIN] [--template NAME] [--plain]" },
	{ "path", "list", 0, 0, "", 0, cmd_path_list, "path list" },
	{ "path", "rm", 1, 1, "", 1, cmd_path_rm, "path rm PATTERN" },
	{ "subs", NULL, 0, 1, "--limit= --offset= --after=", 0, cmd_subs,
	    "subs [DEV] [--limit N] [--offset N | --after ID]" },
	{ "explain", NULL, 1, 1, "--max-age= --notify=", 0, cmd_explain,
	    "explain DEV [--max-age S] [--notify subscribe|poll]" },
	{ "drift", NULL, 0, 1, "--factor= --max-age= --notify= --limit= "
	    "--after=", 0, cmd_drift, "drift [DEV] [--factor K] [--max-age S] "
	    "[--notify subscribe|poll] [--limit N] [--after ID]" },
	{ "naptr", NULL, 2, MAXPOS, "--format=", -1, cmd_naptr,
	    "naptr DOMAIN BASE-URL... [--format zone|dnsmasq]" },
	{ "dhcp", NULL, 0, MAXPOS, "--format= --hex", 0, cmd_dhcp,
	    "dhcp [DOMAIN...] [--format dnsmasq|kea|dhcpd] [--hex]" },
	{ "notify", NULL, 0, 1, "--all --check-sync --reboot", 1, cmd_notify,
	    "notify DEV [--check-sync [--reboot]] | notify --all" },
	{ "checksync", "list", 0, 0, "", 0, cmd_checksync_list,
	    "checksync list" },
	{ "checksync", "set", 1, 1, "--event= --reboot-event= --on --off", 1,
	    cmd_checksync_set, "checksync set VENDOR [--event EVENT] "
	    "[--reboot-event EVENT] [--on|--off]" },
	{ "import", NULL, 1, 1, "--format= --dry-run --replace", 1, cmd_import,
	    "import FILE|- [--format csv|jsonl] [--dry-run] [--replace]" },
	{ "export", NULL, 0, 0, "--format= --secrets --all", 0, cmd_export,
	    "export [--format csv|jsonl] [--secrets] [--all]" },
	{ "token", "add", 1, 1, "--scope= --valid-for=", 1, cmd_token_add,
	    "token add NAME --scope read|write [--valid-for DURATION]   "
	    "(the admin API's bearer token, printed once)" },
	{ "token", "list", 0, 0, "", 0, cmd_token_list, "token list" },
	{ "token", "rm", 1, 1, "", 1, cmd_token_rm, "token rm NAME" },
	{ "render", NULL, 1, 1, "--revision= --secret-free --masked "
	    "--max-age=", 0, cmd_render, "render DEV [--revision TOKEN] "
	    "[--secret-free | --masked] [--max-age DEFAULT]" },
};
const size_t admin_ncmds = sizeof(admin_cmds) / sizeof(admin_cmds[0]);

void
admin_io_init(struct admin_io *io, FILE *out, FILE *in, FILE *errout)
{
	memset(io, 0, sizeof(*io));
	io->out = out;
	io->in = in;
	io->errout = errout;
	io->progname = "sipcfg";
}

const struct cmd *
admin_find(const char *noun, const char *verb)
{
	size_t	 i;

	for (i = 0; i < admin_ncmds; i++) {
		if (strcmp(admin_cmds[i].noun, noun) != 0)
			continue;
		if (admin_cmds[i].verb == NULL && verb == NULL)
			return &admin_cmds[i];
		if (admin_cmds[i].verb != NULL && verb != NULL &&
		    strcmp(admin_cmds[i].verb, verb) == 0)
			return &admin_cmds[i];
	}
	return NULL;
}

int
admin_optspec(const char *spec, const char *name)
{
	size_t		 n = strlen(name);
	const char	*p = spec;

	while ((p = strstr(p, name)) != NULL) {
		if ((p == spec || p[-1] == ' ') && (p[n] == ' ' ||
		    p[n] == '\0' || p[n] == '='))
			return p[n] == '=';
		p += n;
	}
	return -1;
}

/*
 * One command, whole or not at all: a writing command runs in its own
 * transaction, inside an audit session (issue 6) that names who made it
 * (the OS user, or the API's token) and how (the command line, or the
 * API's method and path).  import --dry-run rolls back what it did.
 */
int
admin_run(struct store *st, const struct cmd *c, struct args *a,
    const char *who, const char *command, admin_check_fn check, void *arg)
{
	int64_t	 session = 0;
	int	 rc, w = c->writes > 0;

	if (w && store_begin(st) != 0)
		return admin_err("cannot start a transaction: %s",
		    store_errmsg(st));
	if (check != NULL && check(st, arg) != 0) {
		if (w)
			store_rollback(st);
		return -1;
	}
	if (w && store_schema_version(st) >= 4 &&
	    store_audit_begin(st, who, command, &session) != STORE_OK) {
		admin_err("audit: %s", store_errmsg(st));
		store_rollback(st);
		return -1;
	}
	rc = c->fn(st, a);
	if (w && session > 0 && rc == 0 &&
	    store_audit_end(st, session) != STORE_OK)
		rc = admin_err("audit: %s", store_errmsg(st));
	if (w) {
		if (rc == 0 && adm->dry_run)
			store_rollback(st);
		else if (rc == 0 && store_commit(st) != 0) {
			if (adm->status == 0)
				adm->status = 503;
			rc = admin_err("commit failed, nothing changed: %s",
			    store_errmsg(st));
		}
		if (rc != 0)
			store_rollback(st);
	}
	return rc;
}
