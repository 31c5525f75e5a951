/*
 * sipcfg: the administration CLI, a thin front-end over the admin
 * library (admin.h): it finds the command in the library's table, parses
 * its options, and runs it on the store with admin_run(), which gives it
 * one transaction and an audit session.  It works directly on the store,
 * so it works whether or not sipcfgd runs; the daemon sees each committed
 * change at its next request (and the notifier pushes it).
 *
 * Passwords are read from the terminal (twice, without echo) or from one
 * line of standard input, never from argv, or generated (one-time
 * passwords, printed only after the commit).
 */
#include "config.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "admin_int.h"
#include "store.h"
#include "util.h"

/*
 * The audit session of a write command: the OS user (and the one behind
 * sudo), and the command line, with the argument mask (a secret
 * variable's value) replaced.  Passwords are never on it (they are read
 * from standard input or generated).
 */
static void
audit_who(int argc, char *argv[], const char *mask, char *who, size_t wlen,
    char *cmd, size_t clen)
{
	struct passwd	*pw = getpwuid(getuid());
	const char	*sudo = getenv("SUDO_USER");
	size_t		 n = 0;
	int		 i;

	snprintf(who, wlen, "%s%s%s%s", pw ? pw->pw_name : "?",
	    sudo && *sudo ? " (sudo from " : "", sudo && *sudo ? sudo : "",
	    sudo && *sudo ? ")" : "");
	cmd[0] = '\0';
	for (i = 0; i < argc && n + 1 < clen; i++) {
		/* A secret given on the command line is not kept. */
		int m = snprintf(cmd + n, clen - n, "%s%s", i ? " " : "",
		    argv[i] == mask ? "(secret)" : argv[i]);
		if (m < 0)
			break;
		n += (size_t)m;
		if (n >= clen)
			n = clen - 1;
	}
}

static void
usage(FILE *f)
{
	size_t	 i;

	fprintf(f, "usage: sipcfg [-d STORE] [--json] [--domain NAME] COMMAND "
	    "...\n       sipcfg --help | --version\nSTORE defaults to $SIPCFG_STORE, else "
	    "/var/lib/sipcfg/sipcfg.db; DEV is an sfua-id URN or a MAC "
	    "address;\n--domain: the CS domain DEV, users and new devices "
	    "are in (default: any for DEV, the default domain for new "
	    "ones).\ncommands:\n");
	for (i = 0; i < admin_ncmds; i++)
		fprintf(f, "  %s\n", admin_cmds[i].usage);
}

int
main(int argc, char *argv[])
{
	struct args	 a;
	struct store	*st;
	const struct cmd *c = NULL;
	const char	*storepath = getenv("SIPCFG_STORE");
	const char	*domain = NULL;
	char		 errbuf[512], name[64];
	const char	*eq;
	size_t		 i;
	int		 k, rc, takes;
	struct admin_io	 io;
	char		 who[160], command[1024];

	memset(&a, 0, sizeof(a));
	admin_io_init(&io, stdout, stdin, stderr);
	adm = &io;
	if (storepath == NULL || *storepath == '\0')
		storepath = "/var/lib/sipcfg/sipcfg.db";
	for (k = 1; k < argc; k++) {
		if (strcmp(argv[k], "-d") == 0 && k + 1 < argc)
			storepath = argv[++k];
		else if (strcmp(argv[k], "--json") == 0)
			a.json = 1;
		else if (strcmp(argv[k], "--domain") == 0 && k + 1 < argc) {
			if (domain != NULL) {
				err("--domain given twice");
				return 2;
			}
			domain = argv[++k];
		}
		else if (strcmp(argv[k], "-h") == 0 ||
		    strcmp(argv[k], "--help") == 0 ||
		    strcmp(argv[k], "help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[k], "--version") == 0) {
			printf("sipcfg %s\n", PACKAGE_VERSION);
			return 0;
		} else
			break;
	}
	if (k == argc) {
		usage(stderr);
		return 2;
	}
	for (i = 0; i < admin_ncmds; i++) {
		if (strcmp(admin_cmds[i].noun, argv[k]) != 0)
			continue;
		if (admin_cmds[i].verb == NULL) {
			c = &admin_cmds[i];
			k++;
			break;
		}
		if (k + 1 < argc && strcmp(admin_cmds[i].verb, argv[k + 1]) == 0) {
			c = &admin_cmds[i];
			k += 2;
			break;
		}
	}
	if (c == NULL) {
		err("unknown command: %s%s%s (try sipcfg --help)", argv[k],
		    k + 1 < argc ? " " : "", k + 1 < argc ? argv[k + 1] : "");
		return 2;
	}
	for (; k < argc; k++) {
		if (strncmp(argv[k], "--", 2) == 0 && argv[k][2] != '\0') {
			if (strcmp(argv[k], "--json") == 0) {
				a.json = 1;
				continue;
			}
			/* Global: the domain DEV, users and new devices are in. */
			if (strcmp(argv[k], "--domain") == 0 ||
			    strncmp(argv[k], "--domain=", 9) == 0) {
				if (domain != NULL) {
					err("--domain given twice");
					return 2;
				}
				if (argv[k][8] == '=')
					domain = argv[k] + 9;
				else if (k + 1 < argc)
					domain = argv[++k];
				else {
					err("--domain needs a value");
					return 2;
				}
				continue;
			}
			eq = strchr(argv[k], '=');
			snprintf(name, sizeof(name), "%.*s", eq ?
			    (int)(eq - argv[k]) : (int)strlen(argv[k]), argv[k]);
			if ((takes = admin_optspec(c->opts, name)) < 0 ||
			    a.nopt == MAXOPT) {
				err("%s: unknown option for %s", name, c->usage);
				return 2;
			}
			a.oname[a.nopt] = argv[k];
			if (takes) {
				if (eq)
					a.oval[a.nopt] = eq + 1;
				else if (k + 1 < argc)
					a.oval[a.nopt] = argv[++k];
				else {
					err("%s needs a value", name);
					return 2;
				}
			}
			/* Keep the bare name for opt() look-ups. */
			a.oname[a.nopt] = strdup(name);
			a.nopt++;
		} else if (a.npos < MAXPOS)
			a.pos[a.npos++] = argv[k];
		else {
			err("too many arguments");
			return 2;
		}
	}
	if (a.npos < c->minpos || a.npos > c->maxpos) {
		fprintf(stderr, "usage: sipcfg %s\n", c->usage);
		return 2;
	}
	if (c->writes < 0 || (c->fn == cmd_dhcp && a.npos > 0)) {
		/* Needs no store (naptr; dhcp given its domains). */
		rc = c->fn(NULL, &a);
		if (rc == 0 && a.json && !io.printed) {
			json_t *o = json_pack("{s:b}", "ok", 1);

			print_json(o);
			json_decref(o);
		}
		return rc == 0 ? 0 : 1;
	}
	/*
	 * The store holds HA1s, which are as good as passwords for Digest:
	 * a new one is readable by its owner only (SQLite gives its -wal and
	 * -shm files the same mode).
	 */
	if (c->fn == cmd_init)
		umask(077);
	/* Issue 11: before SQLite starts (store.h). */
	if (c->fn == cmd_import && store_bulk_init() != 0) {
		err("import: cannot set SQLite's statement journal size");
		return 1;
	}
	io.store = storepath;
	st = store_open(storepath, (c->fn == cmd_init ? STORE_CREATE : 0), 5000,
	    errbuf, sizeof(errbuf));
	if (st == NULL) {
		err("%s", errbuf);
		return 1;
	}
	if (domain != NULL &&
	    store_domain_id(st, domain, &io.domain) != STORE_OK) {
		err("--domain: %s", store_errmsg(st));
		store_close(st);
		return 1;
	}
	/* Issue 11: one big transaction, durable at its commit. */
	if (c->fn == cmd_import && store_bulk_tune(st) != 0) {
		err("%s", store_errmsg(st));
		store_close(st);
		return 1;
	}
	/* Issue 6: who changed what, through sipcfg. */
	audit_who(argc, argv, c->fn == cmd_var_set && opt(&a, "--secret") &&
	    a.npos > 0 ? a.pos[a.npos - 1] : NULL, who, sizeof(who), command,
	    sizeof(command));
	rc = admin_run(st, c, &a, who, command, NULL, NULL);
	store_close(st);
	if (io.after_commit != NULL) {
		if (rc == 0)
			printf("%s\n", io.after_commit);
		util_wipe(io.after_commit, strlen(io.after_commit));
		free(io.after_commit);
		io.after_commit = NULL;
	}
	/* --json: every successful command says so, for scripts. */
	if (rc == 0 && a.json && !io.printed) {
		json_t *o = json_pack("{s:b, s:s, s:s?}", "ok", 1, "command",
		    c->noun, "verb", c->verb);
		json_t *args = json_array();
		for (k = 0; k < a.npos; k++)
			json_array_append_new(args, json_string(a.pos[k]));
		json_object_set_new(o, "args", args);
		print_json(o);
		json_decref(o);
	}
	for (k = 0; k < a.nopt; k++)
		free((char *)a.oname[k]);
	return rc == 0 ? 0 : 1;
}
