/*
 * render: a Mustache template engine over jansson values.
 *
 * It follows the Mustache spec (mustache/spec: interpolation, sections,
 * inverted sections, comments, partials, set delimiters and the optional
 * inheritance module); lambdas and dynamic names are not supported.  A
 * render keeps no global state, so any thread may call it with its own
 * buffer.  Every render is bounded in output size, nesting depth and
 * total work; hitting a bound is an error with a one-line reason, never
 * a crash or a hang.
 *
 * Truthiness, for sections and inverted sections: false, null, the empty
 * string, the number 0 and the empty array are falsey (the spec's
 * "!!data"); everything else, including {}, is truthy.  Integers
 * interpolate as integers, reals in the shortest form that reads back the
 * same (1.21), true and false as words, null and arrays and objects as
 * nothing.
 */
#ifndef SIPCFG_RENDER_H
#define SIPCFG_RENDER_H

#include <stddef.h>

#include <jansson.h>

#include "buf.h"

enum render_escape {
	RENDER_ESCAPE_HTML,	/* & < > " */
	RENDER_ESCAPE_XML,	/* & < > " and ' as &apos; */
	RENDER_ESCAPE_NONE,
	/*
	 * Line-oriented plain text (key=value phone files): a value cannot
	 * start a line of its own, so CR, LF and other control characters
	 * become spaces.
	 */
	RENDER_ESCAPE_LINE
};

/*
 * Returns a malloc'd NUL-terminated copy of the partial's source, which
 * render frees, or NULL when unknown (renders as empty).  Called at most
 * once per name and render.
 */
typedef char	*(*render_partial_fn)(void *arg, const char *name);

struct render_opts {
	/* For {{x}}; {{{x}}} and {{&x}} never escape. */
	enum render_escape escape;
	size_t		 max_output;	/* bytes; 0 = 1 MiB default */
	/* Nesting of sections+partials+parents; 0 = 64 default, max 1024. */
	unsigned	 max_depth;
	render_partial_fn partial;	/* may be NULL */
	void		*partial_arg;
};

/*
 * Map a Content-Type (e.g. "application/xml; charset=utf-8", "text/xml",
 * "application/vnd.foo+xml", "text/html", "text/plain") to an escape
 * mode: XML types -> XML, text/html -> HTML, other text types -> LINE,
 * everything else -> NONE.
 */
enum render_escape render_escape_for(const char *content_type);

/*
 * Render tpl (len bytes) with ctx into out (caller has done buf_init with
 * any max; render enforces opts->max_output itself too).  Output is
 * appended to out.  Returns 0, or -1 with a one-line human reason in err
 * (e.g. "line 3: unclosed section \"lines\"", "output exceeds 1048576
 * bytes", "nesting deeper than 64"); out then holds what it held before,
 * or nothing if out itself failed.
 */
int	 render_template(const char *tpl, size_t len, const json_t *ctx,
	    const struct render_opts *opts, struct buf *out, char *err,
	    size_t errlen);

#endif
