/*
 * admin_int: what the modules of the admin library share (admin.h).
 */
#ifndef SIPCFG_ADMIN_INT_H
#define SIPCFG_ADMIN_INT_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <jansson.h>

#include "admin.h"
#include "store.h"

#define MAXPOS		ADMIN_MAXPOS
#define MAXOPT		ADMIN_MAXOPT
#define PASS_MAX	256
#define DURATION_MAX	31536000LL	/* 365d, for --valid-for, --overlap */
#define OTP_VALID_FOR	604800LL	/* 7d: default --valid-for */
#define OVERLAP		86400LL		/* 1d: default --overlap */
#define LIST_MAX	1000000000000LL	/* --limit, --offset */

/*
 * Within the library: an error (admin_err), an option's value
 * (admin_opt), and the command's own output (adm->out).
 */
#define err		admin_err
#define opt		admin_opt
#define outf(...)	fprintf(adm->out, __VA_ARGS__)

/* admin_audit.c */
int	 cmd_audit(struct store *st, struct args *a);
int	 cmd_device_history(struct store *st, struct args *a);
/* admin_bootstrap.c */
int	 cmd_naptr(struct store *st, struct args *a);
int	 cmd_dhcp(struct store *st, struct args *a);
/* admin_device.c */
int	 cmd_device_duplicates(struct store *st, struct args *a);
int	 cmd_device_unpin(struct store *st, struct args *a);
int	 cmd_device_add(struct store *st, struct args *a);
int	 cmd_device_set(struct store *st, struct args *a);
int	 cmd_device_key(struct store *st, struct args *a);
int	 cmd_device_rm(struct store *st, struct args *a);
int	 cmd_device_list(struct store *st, struct args *a);
int	 cmd_device_show(struct store *st, struct args *a);
/* admin_domain.c */
int	 cmd_domain_add(struct store *st, struct args *a);
int	 cmd_domain_set(struct store *st, struct args *a);
int	 cmd_domain_list(struct store *st, struct args *a);
int	 cmd_domain_rm(struct store *st, struct args *a);
/* admin_inspect.c */
int	 cmd_explain(struct store *st, struct args *a);
int	 cmd_drift(struct store *st, struct args *a);
/* admin_line.c */
int	 cmd_line_add(struct store *st, struct args *a);
int	 cmd_line_list(struct store *st, struct args *a);
int	 cmd_line_rm(struct store *st, struct args *a);
/* admin_path.c */
int	 cmd_path_add(struct store *st, struct args *a);
int	 cmd_path_rm(struct store *st, struct args *a);
int	 cmd_path_list(struct store *st, struct args *a);
/* admin_profile.c */
int	 cmd_profile_set(struct store *st, struct args *a);
int	 cmd_profile_list(struct store *st, struct args *a);
/* admin_store.c */
int	 cmd_init(struct store *st, struct args *a);
int	 cmd_import(struct store *st, struct args *a);
int	 cmd_export(struct store *st, struct args *a);
/* admin_subs.c */
int	 cmd_subs(struct store *st, struct args *a);
int	 cmd_notify(struct store *st, struct args *a);
int	 cmd_checksync_list(struct store *st, struct args *a);
int	 cmd_checksync_set(struct store *st, struct args *a);
/* admin_template.c */
int	 cmd_template_add(struct store *st, struct args *a);
int	 cmd_template_list(struct store *st, struct args *a);
int	 cmd_template_show(struct store *st, struct args *a);
int	 cmd_template_rm(struct store *st, struct args *a);
int	 cmd_render(struct store *st, struct args *a);
/* admin_token.c */
int	 cmd_token_add(struct store *st, struct args *a);
int	 cmd_token_list(struct store *st, struct args *a);
int	 cmd_token_rm(struct store *st, struct args *a);
/* admin_user.c */
int	 hash_password_seal(const char *user, const char *realm, char *md5,
	    char *sha, char **sealed);
int	 cmd_user_add(struct store *st, struct args *a);
int	 cmd_user_otp(struct store *st, struct args *a);
int	 cmd_user_passwd(struct store *st, struct args *a);
int	 cmd_user_rm(struct store *st, struct args *a);
int	 cmd_user_list(struct store *st, struct args *a);
int	 cmd_user_show(struct store *st, struct args *a);
/* admin_util.c */
int	 admin_err(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
const char *	 admin_opt(const struct args *a, const char *name);
int	 opt_duration(const struct args *a, const char *name, long long min,
	    long long dflt, long long *out);
int	 store_fail(struct store *st, enum store_rc rc, const char *what);
void	 print_json(const json_t *v);
int	 time_cell(const char *col, const json_t *v, char *out, size_t len);
void	 print_table(const json_t *rows, const char *const cols[]);

/*
 * A listing printed as the store steps through it, never held whole
 * (a fleet's devices or users): --json one array, row by row; a table
 * whose columns (pick(), from the first rows) and widths are those of the
 * first LIST_WINDOW rows, a longer cell further down printed in full.
 */
#define LIST_WINDOW	1000
struct liststream {
	const struct args	*a;
	const char *const	*(*pick)(void *arg, const json_t *window);
	void			*arg;
	json_t			*window;
	const char *const	*cols;
	size_t			 w[16];
	long long		 n;
	int			 flushed;
};
void	 liststream_init(struct liststream *, const struct args *,
	    const char *const *(*pick)(void *, const json_t *), void *arg);
int	 liststream_add(struct liststream *, const json_t *row);
void	 liststream_end(struct liststream *);
void	 print_fields(const json_t *o, const char *skip);
void	 show_rows(const struct args *a, json_t *rows, const char *const
	    cols[], const char *const times[]);
int	 list_rows(struct store *st, const struct args *a, enum store_rc
	    (*lister)(struct store *, json_t **), const char *what, const char
	    *const cols[]);
int	 outside_default(const json_t *rows);
int	 read_password(const char *prompt, char *out, size_t len);
int	 find_device(struct store *st, const char *spec, struct store_device
	    *d);
int	 valid_state(const char *s);
void	 warn_legacy_enc(void);
int	 device_fields(struct store *st, const struct args *a, json_t *f,
	    int set);
int	 rerealm(struct store *st, int64_t domain_id, const char *from,
	    const char *to, int force);
int	 domain_realm_of(struct store *st, int64_t id, char *out, size_t
	    len);
int	 domain_realm(struct store *st, char *out, size_t len);
int	 load_seal_key(unsigned char *key, int *have);
void	 iso_times(json_t *rows, const char *const keys[]);
int	 daemon_defaults(const struct args *a, int *max_age, enum
	    notify_mode *mode);
void	 cell_of(const json_t *v, char *out, size_t len);
/* admin_var.c */
int	 cmd_var_set(struct store *st, struct args *a);
int	 cmd_var_unset(struct store *st, struct args *a);
int	 cmd_var_show(struct store *st, struct args *a);

#endif
