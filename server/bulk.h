/*
 * bulk: `sipcfg import` and `sipcfg export` (issue 11), and the value
 * rules they share with the single-device commands of sipcfg.c, so that
 * a file row and a command line are held to the same rules.
 *
 * The file format (doc/sipcfg.1, IMPORT AND EXPORT): one device per CSV
 * row (RFC 4180, with a header row) or per JSON line (one object per
 * line).  A file is applied in the caller's one transaction; a bad row
 * is reported as FILE:LINE: reason and the caller rolls everything back.
 */
#ifndef SIPCFG_BULK_H
#define SIPCFG_BULK_H

#include <stdio.h>

#include "store.h"

/* Rows reported before the rest are only counted. */
#define BULK_ERRORS_MAX		100
/* A CSV record or a JSON line, at most (bytes). */
#define BULK_RECORD_MAX		(256 * 1024)

/*
 * The rules.  Each returns NULL when the value is good, else a reason
 * to print after the option or column name.
 */
const char	*bulk_bad_vendor(const char *);
const char	*bulk_bad_model(const char *);
const char	*bulk_bad_label(const char *);
const char	*bulk_bad_state(const char *);
const char	*bulk_bad_user(const char *);
const char	*bulk_bad_varname(const char *);
/* Free text of a line-oriented phone file: no control characters. */
int		 bulk_has_control(const char *);
/*
 * DEV for a new device: an sfua-id URN (its MAC, if it carries one, into
 * mac, else "") or a MAC (RFC 6011 §2.3.3: the URN built from it).  0/-1.
 */
int		 bulk_device_id(const char *spec, char *id, size_t idlen,
		    char mac[13]);
/*
 * A line (RFC 6011 §3.1): aor, username, realm (NULL: the AOR's host,
 * written to rbuf), proxy and display (NULL: none).  On a bad one
 * returns the reason and sets *field to the option's name without
 * dashes ("aor", "username", ...).  *realm_out: the realm to use.
 */
const char	*bulk_bad_line(const char *aor, const char *username,
		    const char *realm, const char *proxy, const char *display,
		    char *rbuf, size_t rlen, const char **realm_out,
		    const char **field);

enum bulk_format { BULK_AUTO, BULK_CSV, BULK_JSONL };

struct bulk_opts {
	enum bulk_format	 format;
	int			 dry_run;	/* report, then roll back */
	int			 replace;	/* remove devices not in the file */
	int			 secrets;	/* export: HA1s and passwords */
	/* The seal key (seal.h): line passwords are sealed with it on
	   import and opened with it on export; NULL: none. */
	const unsigned char	*seal_key;
	/* The summary (report) and the bad rows (errors); NULL: stdout, stderr. */
	FILE			*report, *errors;
};

/*
 * Import in (named name in messages) into st, inside the caller's
 * transaction.  Prints the summary (or, with dry_run, what would change)
 * on o->report and each bad row on o->errors (stdout, stderr by default).  0: the caller commits (or, with
 * dry_run, rolls back); -1: the caller rolls back.
 */
int		 bulk_import(struct store *st, FILE *in, const char *name,
		    const struct bulk_opts *);
/* Every device, streamed to out.  0/-1 (after saying why). */
int		 bulk_export(struct store *st, FILE *out,
		    const struct bulk_opts *);

#endif
