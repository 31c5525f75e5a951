/*
 * buf: a growable byte buffer with a hard upper bound.
 *
 * Every append checks the bound; on overflow or allocation failure the
 * buffer frees its memory and stays failed, so callers check once at the
 * end (the curl dynbuf idiom).  Not thread-safe; owned by one caller.
 */
#ifndef SIPCFG_BUF_H
#define SIPCFG_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char	*data;		/* NUL-terminated when len > 0 */
	size_t	 len;
	size_t	 cap;
	size_t	 max;		/* hard bound on len */
	int	 failed;	/* set on overflow or ENOMEM */
};

void	 buf_init(struct buf *, size_t max);
int	 buf_add(struct buf *, const void *, size_t);
int	 buf_addstr(struct buf *, const char *);
int	 buf_addc(struct buf *, char);
int	 buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 buf_reset(struct buf *);
/* Hand the data to the caller (free() it); the buffer is left empty. */
char	*buf_steal(struct buf *, size_t *lenp);
void	 buf_free(struct buf *);

#endif
