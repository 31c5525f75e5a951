/*
 * admin: the administration library.  Every operation an operator can
 * make (issue 14 §1) is a command of one table: its noun and verb, the
 * positional arguments and options it takes, whether it writes, and the
 * function that validates its input and runs it.  Two front-ends drive
 * the same table and hold no rule of their own: the CLI (sipcfg.c) and
 * the REST API (admin_http.c).
 *
 * A command writes its result to the call's output (admin_io.out): a
 * table for a person, or with json set the JSON document the API returns.
 * Errors go to admin_io.errout and the first one is kept in
 * admin_io.error with the HTTP status it maps to (404 for what is not
 * there, 409 for a conflict, 400 for input the command refuses).
 * admin_run() gives a command its transaction and its audit session:
 * a failed command changes nothing.
 */
#ifndef SIPCFG_ADMIN_H
#define SIPCFG_ADMIN_H

#include <stdint.h>
#include <stdio.h>

#define ADMIN_MAXPOS	8
#define ADMIN_MAXOPT	16

struct store;

struct args {
	const char	*pos[ADMIN_MAXPOS];
	int		 npos;
	const char	*oname[ADMIN_MAXOPT];	/* "--name" */
	const char	*oval[ADMIN_MAXOPT];	/* NULL: a flag */
	int		 nopt;
	int		 json;
};

struct cmd {
	const char	*noun, *verb;
	int		 minpos, maxpos;
	const char	*opts;		/* "--a= --b" ('=' takes a value) */
	int		 writes;	/* 1: writes, -1: needs no store */
	int		 (*fn)(struct store *, struct args *);
	const char	*usage;
};

/* One call's input, output and state; one per thread (adm). */
struct admin_io {
	FILE		*out;		/* the result */
	FILE		*in;		/* passwords, template files, imports */
	FILE		*errout;	/* errors and warnings */
	const char	*progname;	/* the prefix of each error */
	const char	*store;		/* the store's path, for its seal key */
	int64_t		 domain;	/* --domain: 0 = any */
	int		 printed;	/* the command wrote its own output */
	int		 dry_run;	/* import --dry-run: roll back */
	char		*after_commit;	/* printed only once committed */
	char		 error[512];	/* the first error, without prefix */
	int		 status;	/* its HTTP status (400 if unset) */
	int		 remote;	/* the API: no whole-store moves */
	/*
	 * A list computed row by row (drift) reads at most scan_max rows
	 * (0: all), so that one call cannot hold the API for long; when it
	 * stops there, next_after is the key its next page starts after.
	 */
	long long	 scan_max;
	int64_t		 next_after;
	/* sipcfgd: its seal key (NULL: none), not the store's key file. */
	int		 seal_given;
	const unsigned char *seal_key;
};

extern __thread struct admin_io	*adm;

extern const struct cmd		 admin_cmds[];
extern const size_t		 admin_ncmds;

/* The command noun [verb]; NULL if there is none. */
const struct cmd	*admin_find(const char *noun, const char *verb);
/* Is "--name" one of spec's options; 1 if it takes a value, -1: no. */
int			 admin_optspec(const char *spec, const char *name);
/*
 * Run c in a transaction of its own (a writing command) with an audit
 * session naming who and command.  check, when not NULL, runs first in
 * that transaction (the API's If-Match); non-zero from it rolls back.
 * 0, or -1 with adm->error and adm->status set.
 */
typedef int		 (*admin_check_fn)(struct store *, void *);
int			 admin_run(struct store *, const struct cmd *,
			    struct args *, const char *who, const char *command,
			    admin_check_fn check, void *arg);
/* Bearer tokens: the SHA-256 (hex) the store keeps; its form. */
#define ADMIN_TOKEN_HASH_LEN	65
int			 admin_token_hash(const char *token,
			    char hex[ADMIN_TOKEN_HASH_LEN]);
int			 admin_token_wellformed(const char *);
void			 admin_io_init(struct admin_io *, FILE *out, FILE *in,
			    FILE *errout);

#endif
