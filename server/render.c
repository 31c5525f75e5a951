/*
 * render: Mustache over jansson (see render.h).  Runs in the calling
 * thread and keeps no global state.
 *
 * A template is parsed once per render into a flat array of nodes (runs
 * of text and tags) linked into a tree by index, and the tree is then
 * walked against a stack of contexts.  Partials and parents are parsed on
 * first use and kept until the render ends.  Parsing is four linear
 * passes over that array: scan (a set-delimiter tag changes the scanner
 * as it goes), mark standalone lines, match opening and closing tags, and
 * link the tree.  The walk recurses once per level of nesting, so the
 * depth is checked before every level and the parser refuses anything
 * nested deeper than a render may go.  A step budget, charged for every
 * node visited, list item and byte of name looked up, stops templates
 * whose cost explodes without producing output (nested loops over one
 * list, partials recursing through sections).
 *
 * Whitespace follows the spec: a line holding only whitespace and tags
 * other than interpolations is standalone and leaves no trace; a
 * standalone partial or parent gets that line's indentation in front of
 * each of its lines.  Blocks are re-indented as the inheritance tests of
 * mustache/spec PR #131 require: the lines below a standalone {{$block}}
 * lose the indentation of the first of them, get the indentation of the
 * parameter block where they are used, and a standalone pair of parameter
 * block tags gives back the line end it swallowed.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "render.h"

#define RENDER_DEF_OUTPUT	(1024 * 1024)
#define RENDER_DEF_DEPTH	64
/* The walk takes a few C stack frames a level; 1024 fits in 1 MiB. */
#define RENDER_MAX_DEPTH	1024
#define RENDER_MAX_DELIM	16	/* bytes */
#define RENDER_MAX_PARTIALS	1024	/* distinct names a render */
/* Work allowed: a base, plus so many steps per byte of max_output. */
#define RENDER_MIN_STEPS	(1ULL << 20)
#define RENDER_STEPS_PER_BYTE	16
#define RENDER_SHOW		48	/* bytes of a name in errors */

#define NONE			((size_t)-1)

enum ntype {
	N_TEXT,
	N_VAR,
	N_SECTION,
	N_INVERTED,
	N_PARTIAL,
	N_PARENT,
	N_BLOCK,
	N_CLOSE,
	N_COMMENT,
	N_DELIM
};

struct span {
	size_t	 off;
	size_t	 len;
};

/*
 * ind is, on a standalone partial or parent, the indentation it adds; on
 * a block, what it adds where it is used.  eol is the line end a
 * standalone tag swallowed; a block gives it back.
 */
struct node {
	enum ntype	 type;
	unsigned	 line;
	int		 escape;	/* N_VAR: {{x}}, not {{{x}}} */
	int		 standalone;	/* tag: alone on its line */
	size_t		 start, end;	/* the token in the source */
	struct span	 s;		/* text, or the tag's name */
	struct span	 ind;
	struct span	 eol;
	struct span	 ded;		/* N_TEXT: indentation to cut */
	size_t		 lineend;	/* just past a standalone line */
	size_t		 kid, next;	/* tree links */
	size_t		 match;		/* opening tag: its close */
};

struct tmpl {
	const char	*src;
	size_t		 len;
	char		*own;		/* src, when owned */
	struct node	*n;
	size_t		 nn, cap;
	size_t		 root;
};

struct parse {
	struct tmpl	*t;
	const char	*otag, *ctag;
	size_t		 olen, clen;
	unsigned	 line;
	unsigned	 max_depth;
	const char	*what;		/* "" or "partial \"x\": " */
	char		*err;
	size_t		 errlen;
	/* One-entry memories keep many tags on one line linear. */
	size_t		 iq, ils, ik;
	struct span	 ds, dd, dr;
};

struct pcache {
	char		*name;
	size_t		 namelen;
	struct tmpl	*t;		/* NULL: no such partial */
};

struct piece {
	const char	*p;
	size_t		 len;
};

struct frame {
	const struct tmpl *t;
	size_t		 node;		/* the N_PARENT */
};

struct render {
	const struct render_opts *o;
	enum render_escape escape;
	struct buf	*out;
	size_t		 base;
	size_t		 max_out;
	unsigned	 depth, max_depth;
	unsigned long long steps, max_steps;
	const json_t	**ctx;
	size_t		 nctx;
	struct frame	*fr;
	size_t		 nfr;
	struct piece	*ind;		/* indentation: [ilo, ihi) */
	size_t		 ilo, ihi;
	int		 bol;		/* a template line begins */
	struct pcache	*pc;
	size_t		 npc, pccap;
	char		*err;
	size_t		 errlen;
};

static int	 walk(struct render *, const struct tmpl *, size_t);

static int
isws(char c)
{
	return c == ' ' || c == '\t';
}

static int
isspc(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
	    c == '\f';
}

/* A name for an error message: printable, short, never NUL inside. */
static const char *
show(const char *s, size_t n, char *out, size_t outlen)
{
	size_t		 i, o = 0;
	unsigned char	 c;

	for (i = 0; i < n && o + 4 < outlen; i++) {
		c = (unsigned char)s[i];
		out[o++] = c < 0x20 || c >= 0x7f || c == '"' || c == '\\' ?
		    '?' : (char)c;
	}
	if (i < n && o + 3 < outlen) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

static size_t
find(const char *s, size_t len, size_t from, const char *pat, size_t plen)
{
	const char	*p;

	while (from < len && len - from >= plen) {
		p = memchr(s + from, pat[0], len - from - plen + 1);
		if (p == NULL)
			return NONE;
		if (memcmp(p, pat, plen) == 0)
			return (size_t)(p - s);
		from = (size_t)(p - s) + 1;
	}
	return NONE;
}

static unsigned
count_nl(const char *s, size_t n)
{
	const char	*e = s + n, *p;
	unsigned	 c = 0;

	while (s < e && (p = memchr(s, '\n', (size_t)(e - s))) != NULL) {
		c++;
		s = p + 1;
	}
	return c;
}

static int
all_ws(const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (!isws(s[i]))
			return 0;
	return 1;
}

static void
tmpl_free(struct tmpl *t)
{
	if (t == NULL)
		return;
	free(t->n);
	free(t->own);
	free(t);
}

/* Parsing. */

static int	 parse_fail(struct parse *, unsigned, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static int
parse_fail(struct parse *p, unsigned line, const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[256];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line)
		snprintf(p->err, p->errlen, "%sline %u: %s", p->what, line,
		    msg);
	else
		snprintf(p->err, p->errlen, "%s%s", p->what, msg);
	return -1;
}

static const char *
kind(enum ntype type)
{
	switch (type) {
	case N_SECTION:
		return "section";
	case N_INVERTED:
		return "inverted section";
	case N_PARENT:
		return "parent";
	case N_BLOCK:
		return "block";
	default:
		return "tag";
	}
}

static struct node *
node_add(struct parse *p, enum ntype type, size_t start, size_t end)
{
	struct tmpl	*t = p->t;
	struct node	*n;
	size_t		 ncap;

	if (t->nn == t->cap) {
		ncap = t->cap ? t->cap * 2 : 32;
		if ((n = reallocarray(t->n, ncap, sizeof(*n))) == NULL) {
			parse_fail(p, 0, "out of memory");
			return NULL;
		}
		t->n = n;
		t->cap = ncap;
	}
	n = &t->n[t->nn++];
	memset(n, 0, sizeof(*n));
	n->type = type;
	n->line = p->line;
	n->start = start;
	n->end = end;
	n->s.off = start;
	n->s.len = end - start;
	n->ind.off = n->eol.off = start;
	n->kid = n->next = n->match = NONE;
	return n;
}

/* {{=<% %>=}}: the content is [cb, ce). */
static int
set_delim(struct parse *p, size_t at, size_t end, size_t cb, size_t ce)
{
	const char	*s = p->t->src;
	size_t		 a, ob, oe, cbeg, cend;

	if (ce - cb < 2 || s[ce - 1] != '=')
		return parse_fail(p, p->line, "bad set-delimiter tag");
	a = cb + 1;
	ce--;
	while (a < ce && isspc(s[a]))
		a++;
	for (ob = a; a < ce && !isspc(s[a]); a++)
		;
	oe = a;
	while (a < ce && isspc(s[a]))
		a++;
	for (cbeg = a; a < ce && !isspc(s[a]); a++)
		;
	cend = a;
	while (a < ce && isspc(s[a]))
		a++;
	if (a != ce || oe == ob || cend == cbeg)
		return parse_fail(p, p->line, "bad set-delimiter tag: it "
		    "takes two delimiters");
	if (oe - ob > RENDER_MAX_DELIM || cend - cbeg > RENDER_MAX_DELIM)
		return parse_fail(p, p->line, "delimiter longer than %d bytes",
		    RENDER_MAX_DELIM);
	if (node_add(p, N_DELIM, at, end) == NULL)
		return -1;
	p->otag = s + ob;
	p->olen = oe - ob;
	p->ctag = s + cbeg;
	p->clen = cend - cbeg;
	return 0;
}

/* A tag at [at, end) whose content is [cb, ce). */
static int
tag(struct parse *p, size_t at, size_t end, size_t cb, size_t ce,
    int triple)
{
	const char	*s = p->t->src;
	char		 sh[RENDER_SHOW + 4];
	struct node	*n;
	enum ntype	 type = N_VAR;
	int		 escape = 0;
	size_t		 i;

	if (!triple) {
		if (cb == ce)
			return parse_fail(p, p->line, "empty tag");
		switch (s[cb]) {
		case '!':
			type = N_COMMENT;
			break;
		case '=':
			return set_delim(p, at, end, cb, ce);
		case '#':
			type = N_SECTION;
			break;
		case '^':
			type = N_INVERTED;
			break;
		case '/':
			type = N_CLOSE;
			break;
		case '>':
			type = N_PARTIAL;
			break;
		case '<':
			type = N_PARENT;
			break;
		case '$':
			type = N_BLOCK;
			break;
		case '&':
			break;
		default:
			escape = 1;
			cb--;
			break;
		}
		cb++;
	}
	if ((n = node_add(p, type, at, end)) == NULL)
		return -1;
	n->escape = escape;
	if (type == N_COMMENT)
		return 0;
	while (cb < ce && isspc(s[cb]))
		cb++;
	while (ce > cb && isspc(s[ce - 1]))
		ce--;
	n->s.off = cb;
	n->s.len = ce - cb;
	if (cb == ce)
		return parse_fail(p, p->line, "tag without a name");
	for (i = cb; i < ce; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
			return parse_fail(p, p->line, "bad tag name \"%s\"",
			    show(s + cb, ce - cb, sh, sizeof(sh)));
	if (type != N_VAR && type != N_SECTION && type != N_INVERTED)
		return 0;
	if (ce - cb == 1 && s[cb] == '.')
		return 0;
	if (s[cb] == '.' || s[ce - 1] == '.' ||
	    find(s, ce, cb, "..", 2) != NONE)
		return parse_fail(p, p->line, "bad name \"%s\"",
		    show(s + cb, ce - cb, sh, sizeof(sh)));
	return 0;
}

static int
tokenize(struct parse *p)
{
	const char	*s = p->t->src;
	char		 tri[RENDER_MAX_DELIM + 1];
	size_t		 len = p->t->len, pos = 0, at, stop, q, e, cb;
	int		 triple;

	while (pos < len) {
		at = find(s, len, pos, p->otag, p->olen);
		stop = at == NONE ? len : at;
		if (stop > pos) {
			if (node_add(p, N_TEXT, pos, stop) == NULL)
				return -1;
			p->line += count_nl(s + pos, stop - pos);
		}
		if (at == NONE)
			break;
		q = at + p->olen;
		triple = q < len && s[q] == '{';
		if (triple) {
			tri[0] = '}';
			memcpy(tri + 1, p->ctag, p->clen);
			cb = q + 1;
			e = find(s, len, cb, tri, p->clen + 1);
		} else {
			cb = q;
			e = find(s, len, cb, p->ctag, p->clen);
		}
		if (e == NONE)
			return parse_fail(p, p->line, "unclosed tag");
		stop = e + p->clen + (triple ? 1 : 0);
		if (tag(p, at, stop, cb, e, triple) == -1)
			return -1;
		p->line += count_nl(s + at, stop - at);
		pos = stop;
	}
	return 0;
}

/*
 * The line that begins at offset lpos, in node first, and ends with node
 * last (NONE: at the end of the template) just past lineend, is
 * standalone: drop its whitespace and tell its tags.
 */
static void
strip_line(struct parse *p, size_t first, size_t lpos, size_t last,
    size_t lineend)
{
	struct tmpl	*t = p->t;
	struct node	*n;
	struct span	 ind, eol;
	size_t		 j, stop, tagpos = NONE, e;

	stop = last == NONE ? t->nn : last + 1;
	for (j = first; j < stop; j++)
		if (t->n[j].type != N_TEXT) {
			tagpos = t->n[j].start;
			break;
		}
	if (tagpos == NONE)
		return;
	ind.off = lpos;
	ind.len = tagpos - lpos;
	eol.off = lineend;
	eol.len = 0;
	if (last != NONE) {
		eol.off = lineend - 1;
		if (eol.off > t->n[last].start && t->src[eol.off - 1] == '\r')
			eol.off--;
		eol.len = lineend - eol.off;
	}
	for (j = first; j < stop; j++) {
		n = &t->n[j];
		if (n->type != N_TEXT) {
			n->standalone = 1;
			n->ind = ind;
			n->eol = eol;
			n->lineend = lineend;
			continue;
		}
		e = n->s.off + n->s.len;
		if (j == first && lpos >= n->start && lpos <= n->end &&
		    j != last)
			n->s.len = lpos > n->s.off ? lpos - n->s.off : 0;
		else if (j == last) {
			n->s.off = lineend;
			n->s.len = e > lineend ? e - lineend : 0;
		} else
			n->s.len = 0;
	}
}

static void
standalone(struct parse *p)
{
	struct tmpl	*t = p->t;
	const char	*s = t->src, *nl;
	struct node	*n;
	size_t		 i, first = 0, lpos = 0, ntags = 0, a, b, k, last;
	int		 ok = 1;

	for (i = 0; i < t->nn; i++) {
		n = &t->n[i];
		if (n->type != N_TEXT) {
			if (n->type == N_VAR)
				ok = 0;
			else
				ntags++;
			continue;
		}
		a = n->start;
		b = n->end;
		if ((nl = memchr(s + a, '\n', b - a)) == NULL) {
			if (!all_ws(s + a, b - a))
				ok = 0;
			continue;
		}
		k = (size_t)(nl - s);
		if (k > a && s[k - 1] == '\r')
			k--;
		if (!all_ws(s + a, k - a))
			ok = 0;
		if (ok && ntags)
			strip_line(p, first, lpos, i, (size_t)(nl - s) + 1);
		for (last = b - 1; s[last] != '\n'; last--)
			;
		first = i;
		lpos = last + 1;
		ok = all_ws(s + lpos, b - lpos);
		ntags = 0;
	}
	if (ok && ntags)
		strip_line(p, first, lpos, NONE, t->len);
}

static int
match(struct parse *p)
{
	struct tmpl	*t = p->t;
	struct node	*n, *o;
	char		 sa[RENDER_SHOW + 4], sb[RENDER_SHOW + 4];
	size_t		*st, sp = 0, i;
	int		 rc = -1;

	if ((st = reallocarray(NULL, p->max_depth + 1, sizeof(*st))) == NULL)
		return parse_fail(p, 0, "out of memory");
	for (i = 0; i < t->nn; i++) {
		n = &t->n[i];
		switch (n->type) {
		case N_SECTION:
		case N_INVERTED:
		case N_PARENT:
		case N_BLOCK:
			if (sp >= p->max_depth) {
				parse_fail(p, n->line, "nesting deeper than %u",
				    p->max_depth);
				goto done;
			}
			st[sp++] = i;
			break;
		case N_CLOSE:
			if (sp == 0) {
				parse_fail(p, n->line, "closing tag \"%s\" "
				    "without an opening one", show(t->src +
				    n->s.off, n->s.len, sa, sizeof(sa)));
				goto done;
			}
			o = &t->n[st[sp - 1]];
			if (o->s.len != n->s.len || memcmp(t->src + o->s.off,
			    t->src + n->s.off, n->s.len) != 0) {
				parse_fail(p, n->line, "%s \"%s\" (line %u) "
				    "closed by \"%s\"", kind(o->type),
				    show(t->src + o->s.off, o->s.len, sa,
				    sizeof(sa)), o->line, show(t->src +
				    n->s.off, n->s.len, sb, sizeof(sb)));
				goto done;
			}
			o->match = i;
			sp--;
			break;
		default:
			break;
		}
	}
	if (sp > 0) {
		o = &t->n[st[sp - 1]];
		parse_fail(p, o->line, "unclosed %s \"%s\"", kind(o->type),
		    show(t->src + o->s.off, o->s.len, sa, sizeof(sa)));
		goto done;
	}
	rc = 0;
done:
	free(st);
	return rc;
}

/* s without the part of d it starts with. */
static struct span
dedent(struct parse *p, struct span s, struct span d)
{
	const char	*src = p->t->src;
	struct span	 r;
	size_t		 k = 0;

	if (p->ds.off == s.off && p->ds.len == s.len && p->dd.off == d.off &&
	    p->dd.len == d.len)
		return p->dr;
	while (k < s.len && k < d.len && src[s.off + k] == src[d.off + k])
		k++;
	r.off = s.off + k;
	r.len = s.len - k;
	p->ds = s;
	p->dd = d;
	p->dr = r;
	return r;
}

/*
 * Spec PR #131: below a standalone {{$block}} line, the indentation of
 * the first line that is not blank is the block's own.  The close tag
 * is not blank, so the scan stops at it at the latest.
 */
static int
intrinsic(struct parse *p, const struct node *o, const struct node *c,
    struct span *out)
{
	const char	*s = p->t->src;
	size_t		 len = p->t->len, q, k;

	if (!o->standalone || o->lineend > c->start)
		return 0;
	q = o->lineend;
	if (q != p->iq) {
		p->iq = q;
		for (;;) {
			for (k = q; k < len && isws(s[k]); k++)
				;
			if (k < len && s[k] == '\n')
				q = k + 1;
			else if (k + 1 < len && s[k] == '\r' &&
			    s[k + 1] == '\n')
				q = k + 2;
			else
				break;
		}
		p->ils = q;
		p->ik = k;
	}
	out->off = p->ils;
	out->len = p->ik - p->ils;
	return 1;
}

static int
build(struct parse *p)
{
	struct tmpl	*t = p->t;
	struct node	*n, *c;
	struct {
		size_t		 node, last;
		struct span	 d;
	}		*st;
	struct span	 d = { 0, 0 }, own;
	size_t		 sp = 0, i, last = NONE;
	int		 opens, has;

	if ((st = reallocarray(NULL, p->max_depth + 1, sizeof(*st))) == NULL)
		return parse_fail(p, 0, "out of memory");
	t->root = NONE;
	for (i = 0; i < t->nn; i++) {
		n = &t->n[i];
		opens = 0;
		switch (n->type) {
		case N_COMMENT:
		case N_DELIM:
			continue;
		case N_CLOSE:
			sp--;
			d = sp ? st[sp - 1].d : (struct span){ 0, 0 };
			continue;
		case N_TEXT:
			if (n->s.len == 0)
				continue;
			n->ded = d;
			break;
		case N_VAR:
			break;
		case N_PARTIAL:
			n->ind = dedent(p, n->ind, d);
			break;
		case N_SECTION:
		case N_INVERTED:
		case N_PARENT:
			n->ind = dedent(p, n->ind, d);
			opens = 1;
			break;
		case N_BLOCK:
			c = &t->n[n->match];
			if ((has = intrinsic(p, n, c, &own)))
				n->ind = dedent(p, own, d);
			else if (n->standalone && c->standalone)
				n->ind = dedent(p, n->ind, d);
			else
				n->ind.len = 0;
			if (n->standalone && c->standalone)
				n->eol = c->eol;
			else
				n->eol.len = 0;
			if (has)
				d = own;
			opens = 1;
			break;
		}
		if (sp == 0) {
			if (last == NONE)
				t->root = i;
			else
				t->n[last].next = i;
			last = i;
		} else {
			if (st[sp - 1].last == NONE)
				t->n[st[sp - 1].node].kid = i;
			else
				t->n[st[sp - 1].last].next = i;
			st[sp - 1].last = i;
		}
		if (opens) {
			st[sp].node = i;
			st[sp].last = NONE;
			st[sp].d = d;
			sp++;
		}
	}
	free(st);
	return 0;
}

static int
parse(struct render *r, struct tmpl *t, const char *what)
{
	struct parse	 p;

	memset(&p, 0, sizeof(p));
	p.t = t;
	p.otag = "{{";
	p.olen = 2;
	p.ctag = "}}";
	p.clen = 2;
	p.line = 1;
	p.max_depth = r->max_depth;
	p.what = what;
	p.err = r->err;
	p.errlen = r->errlen;
	p.iq = NONE;
	p.ds.off = NONE;
	t->root = NONE;
	if (tokenize(&p) == -1)
		return -1;
	standalone(&p);
	if (match(&p) == -1)
		return -1;
	return build(&p);
}

/* Rendering. */

static int	 render_fail(struct render *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static int
render_fail(struct render *r, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(r->err, r->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int
charge(struct render *r, unsigned long long n)
{
	r->steps += n;
	if (r->steps > r->max_steps)
		return render_fail(r, "template too expensive: more than %llu "
		    "steps", r->max_steps);
	return 0;
}

static int
enter(struct render *r)
{
	if (r->depth >= r->max_depth)
		return render_fail(r, "nesting deeper than %u", r->max_depth);
	r->depth++;
	return 0;
}

static int
emit(struct render *r, const char *p, size_t n)
{
	size_t	 done = r->out->len - r->base;

	if (n == 0)
		return 0;
	if (n > r->max_out - done)
		return render_fail(r, "output exceeds %zu bytes", r->max_out);
	if (buf_add(r->out, p, n) == -1)
		return render_fail(r, "output buffer full or out of memory");
	return 0;
}

static int
emit_indent(struct render *r)
{
	size_t	 i;

	if (!r->bol)
		return 0;
	r->bol = 0;
	for (i = r->ilo; i < r->ihi; i++)
		if (emit(r, r->ind[i].p, r->ind[i].len) == -1)
			return -1;
	return 0;
}

/* Template text holding at most one line end, at its end. */
static int
emit_line(struct render *r, const char *p, size_t n)
{
	if (n == 0)
		return 0;
	if (emit_indent(r) == -1 || emit(r, p, n) == -1)
		return -1;
	r->bol = p[n - 1] == '\n';
	return 0;
}

static int
text(struct render *r, const struct tmpl *t, const struct node *n)
{
	const char	*s = t->src, *d = s + n->ded.off, *nl;
	size_t		 p = n->s.off, e = n->s.off + n->s.len, k, q;
	int		 bl;

	if (charge(r, 1 + n->s.len / 32) == -1)
		return -1;
	bl = p == 0 || s[p - 1] == '\n';
	while (p < e) {
		if (bl)
			for (k = 0; k < n->ded.len && p < e && s[p] == d[k];
			    k++)
				p++;
		if (p >= e)
			break;
		nl = memchr(s + p, '\n', e - p);
		q = nl ? (size_t)(nl - s) + 1 : e;
		if (emit_line(r, s + p, q - p) == -1)
			return -1;
		p = q;
		bl = 1;
	}
	return 0;
}

static int
emit_escaped(struct render *r, const char *s, size_t n)
{
	const char	*ent;
	size_t		 i, run = 0;

	for (i = 0; i < n; i++) {
		switch (s[i]) {
		case '&':
			ent = "&amp;";
			break;
		case '<':
			ent = "&lt;";
			break;
		case '>':
			ent = "&gt;";
			break;
		case '"':
			ent = "&quot;";
			break;
		case '\'':
			if (r->escape == RENDER_ESCAPE_XML) {
				ent = "&apos;";
				break;
			}
			continue;
		default:
			continue;
		}
		if (emit(r, s + run, i - run) == -1 ||
		    emit(r, ent, strlen(ent)) == -1)
			return -1;
		run = i + 1;
	}
	return emit(r, s + run, n - run);
}

/* The shortest %g that reads back as the same double. */
static void
fmt_real(double v, char *out, size_t outlen)
{
	snprintf(out, outlen, "%.15g", v);
	if (strtod(out, NULL) != v)
		snprintf(out, outlen, "%.17g", v);
}

static int
emit_value(struct render *r, const json_t *v, int escape)
{
	const char	*s;
	char		 num[64];
	size_t		 n;

	if (v == NULL)
		return 0;
	switch (json_typeof(v)) {
	case JSON_STRING:
		s = json_string_value(v);
		n = json_string_length(v);
		break;
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		s = num;
		n = strlen(num);
		break;
	case JSON_REAL:
		fmt_real(json_real_value(v), num, sizeof(num));
		s = num;
		n = strlen(num);
		break;
	case JSON_TRUE:
		s = "true";
		n = 4;
		break;
	case JSON_FALSE:
		s = "false";
		n = 5;
		break;
	default:
		return 0;
	}
	if (n == 0)
		return 0;
	if (charge(r, 1 + n / 64) == -1 || emit_indent(r) == -1)
		return -1;
	if (escape && r->escape == RENDER_ESCAPE_LINE) {
		size_t	 i, run = 0;

		for (i = 0; i < n; i++) {
			if ((unsigned char)s[i] >= 0x20 && s[i] != 0x7f)
				continue;
			if (emit(r, s + run, i - run) == -1 ||
			    emit(r, " ", 1) == -1)
				return -1;
			run = i + 1;
		}
		if (emit(r, s + run, n - run) == -1)
			return -1;
	} else if (escape && r->escape != RENDER_ESCAPE_NONE) {
		if (emit_escaped(r, s, n) == -1)
			return -1;
	} else if (emit(r, s, n) == -1)
		return -1;
	r->bol = 0;
	return 0;
}

static int
truthy(const json_t *v)
{
	if (v == NULL)
		return 0;
	switch (json_typeof(v)) {
	case JSON_STRING:
		return json_string_length(v) > 0;
	case JSON_INTEGER:
		return json_integer_value(v) != 0;
	case JSON_REAL:
		return json_real_value(v) != 0.0;
	case JSON_ARRAY:
		return json_array_size(v) > 0;
	case JSON_OBJECT:
	case JSON_TRUE:
		return 1;
	default:
		return 0;
	}
}

/* An array index: digits only, no sign, no leading zero. */
static int
index_of(const char *s, size_t n, size_t *out)
{
	size_t	 i, v = 0;

	if (n == 0 || n > 9 || (n > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (size_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/*
 * Spec name resolution: "." is the top of the stack; otherwise the first
 * part is looked up from the top down, the rest only in what it found.
 * *out is NULL when the name does not resolve.
 */
static int
lookup(struct render *r, const char *s, size_t n, const json_t **out)
{
	const json_t	*v = NULL;
	const char	*dot;
	size_t		 k, i, idx;

	*out = NULL;
	if (n == 1 && s[0] == '.') {
		*out = r->nctx ? r->ctx[r->nctx - 1] : NULL;
		return 0;
	}
	dot = memchr(s, '.', n);
	k = dot ? (size_t)(dot - s) : n;
	if (charge(r, (unsigned long long)(r->nctx + 1) * (1 + k / 16)) == -1)
		return -1;
	for (i = r->nctx; i-- > 0; )
		if (json_is_object(r->ctx[i]) &&
		    (v = json_object_getn(r->ctx[i], s, k)) != NULL)
			break;
	while (v != NULL && k < n) {
		s += k + 1;
		n -= k + 1;
		dot = memchr(s, '.', n);
		k = dot ? (size_t)(dot - s) : n;
		if (charge(r, 1 + k / 16) == -1)
			return -1;
		if (json_is_object(v))
			v = json_object_getn(v, s, k);
		else if (json_is_array(v) && index_of(s, k, &idx) == 0)
			v = json_array_get(v, idx);
		else
			v = NULL;
	}
	*out = v;
	return 0;
}

static int
section(struct render *r, const struct tmpl *t, const struct node *n)
{
	const json_t	*v;
	size_t		 i;
	int		 rc = 0;

	if (lookup(r, t->src + n->s.off, n->s.len, &v) == -1)
		return -1;
	if (n->type == N_INVERTED ? truthy(v) : !truthy(v))
		return 0;
	if (enter(r) == -1)
		return -1;
	if (n->type == N_INVERTED)
		rc = walk(r, t, n->kid);
	else if (json_is_array(v)) {
		for (i = 0; rc == 0 && i < json_array_size(v); i++) {
			if ((rc = charge(r, 1)) == -1)
				break;
			r->ctx[r->nctx++] = json_array_get(v, i);
			rc = walk(r, t, n->kid);
			r->nctx--;
		}
	} else {
		r->ctx[r->nctx++] = v;
		rc = walk(r, t, n->kid);
		r->nctx--;
	}
	r->depth--;
	return rc;
}

/* The parsed partial called name, or NULL in *out if there is none. */
static int
load(struct render *r, const char *name, size_t len, struct tmpl **out)
{
	struct pcache	*pc;
	struct tmpl	*t = NULL;
	char		*nm, *src, sh[RENDER_SHOW + 4];
	char		 what[RENDER_SHOW + 20];
	size_t		 i, ncap;

	*out = NULL;
	for (i = 0; i < r->npc; i++) {
		if (charge(r, 1) == -1)
			return -1;
		if (r->pc[i].namelen == len &&
		    memcmp(r->pc[i].name, name, len) == 0) {
			*out = r->pc[i].t;
			return charge(r, len / 16);
		}
	}
	if (r->npc >= RENDER_MAX_PARTIALS)
		return render_fail(r, "more than %d partials",
		    RENDER_MAX_PARTIALS);
	if (r->npc == r->pccap) {
		ncap = r->pccap ? r->pccap * 2 : 8;
		if ((pc = reallocarray(r->pc, ncap, sizeof(*pc))) == NULL)
			return render_fail(r, "out of memory");
		r->pc = pc;
		r->pccap = ncap;
	}
	if ((nm = malloc(len + 1)) == NULL)
		return render_fail(r, "out of memory");
	memcpy(nm, name, len);
	nm[len] = '\0';
	src = r->o->partial ? r->o->partial(r->o->partial_arg, nm) : NULL;
	if (src != NULL) {
		if ((t = calloc(1, sizeof(*t))) == NULL) {
			free(src);
			free(nm);
			return render_fail(r, "out of memory");
		}
		t->own = src;
		t->src = src;
		t->len = strlen(src);
		snprintf(what, sizeof(what), "partial \"%s\": ",
		    show(name, len, sh, sizeof(sh)));
		if (charge(r, t->len / 16) == -1 || parse(r, t, what) == -1) {
			tmpl_free(t);
			free(nm);
			return -1;
		}
	}
	r->pc[r->npc].name = nm;
	r->pc[r->npc].namelen = len;
	r->pc[r->npc].t = t;
	r->npc++;
	*out = t;
	return 0;
}

/* {{>partial}}, or {{<parent}} with its blocks as arguments. */
static int
partial(struct render *r, const struct tmpl *t, size_t i)
{
	const struct node *n = &t->n[i];
	struct tmpl	*pt;
	size_t		 lo = r->ilo, hi = r->ihi;
	int		 rc;

	if (load(r, t->src + n->s.off, n->s.len, &pt) == -1)
		return -1;
	if (pt == NULL)
		return 0;
	if (enter(r) == -1)
		return -1;
	/* A partial that is not standalone is not indented at all. */
	if (!n->standalone)
		r->ilo = r->ihi;
	else if (n->ind.len > 0) {
		r->ind[r->ihi].p = t->src + n->ind.off;
		r->ind[r->ihi].len = n->ind.len;
		r->ihi++;
	}
	if (n->type == N_PARENT) {
		r->fr[r->nfr].t = t;
		r->fr[r->nfr].node = i;
		r->nfr++;
	}
	rc = walk(r, pt, pt->root);
	if (n->type == N_PARENT)
		r->nfr--;
	r->ilo = lo;
	r->ihi = hi;
	r->depth--;
	return rc;
}

/*
 * {{$block}} where it is a parameter: the outermost parent that passes
 * an argument of that name wins, else the block's own content.
 */
static int
block(struct render *r, const struct tmpl *t, const struct node *n)
{
	const struct tmpl *bt = t;
	const struct node *a, *use = n;
	const char	*name = t->src + n->s.off;
	size_t		 f, k, hi = r->ihi, mark;
	int		 rc;

	for (f = 0; f < r->nfr && use == n; f++) {
		a = &r->fr[f].t->n[r->fr[f].node];
		for (k = a->kid; k != NONE; k = a->next) {
			a = &r->fr[f].t->n[k];
			if (charge(r, 1) == -1)
				return -1;
			if (a->type != N_BLOCK || a->s.len != n->s.len)
				continue;
			if (charge(r, a->s.len / 16) == -1)
				return -1;
			if (memcmp(r->fr[f].t->src + a->s.off, name,
			    n->s.len) == 0) {
				bt = r->fr[f].t;
				use = a;
				break;
			}
		}
	}
	if (enter(r) == -1)
		return -1;
	if (n->ind.len > 0) {
		r->ind[r->ihi].p = t->src + n->ind.off;
		r->ind[r->ihi].len = n->ind.len;
		r->ihi++;
	}
	mark = r->out->len;
	rc = walk(r, bt, use->kid);
	if (rc == 0 && n->eol.len > 0 && r->out->len > mark &&
	    r->out->data[r->out->len - 1] != '\n')
		rc = emit_line(r, t->src + n->eol.off, n->eol.len);
	r->ihi = hi;
	r->depth--;
	return rc;
}

static int
walk(struct render *r, const struct tmpl *t, size_t i)
{
	const struct node *n;
	const json_t	*v;

	for (; i != NONE; i = n->next) {
		n = &t->n[i];
		if (charge(r, 1) == -1)
			return -1;
		switch (n->type) {
		case N_TEXT:
			if (text(r, t, n) == -1)
				return -1;
			break;
		case N_VAR:
			if (lookup(r, t->src + n->s.off, n->s.len, &v) == -1 ||
			    emit_value(r, v, n->escape) == -1)
				return -1;
			break;
		case N_SECTION:
		case N_INVERTED:
			if (section(r, t, n) == -1)
				return -1;
			break;
		case N_PARTIAL:
		case N_PARENT:
			if (partial(r, t, i) == -1)
				return -1;
			break;
		case N_BLOCK:
			if (block(r, t, n) == -1)
				return -1;
			break;
		default:
			break;
		}
	}
	return 0;
}

enum render_escape
render_escape_for(const char *ct)
{
	const char	*e, *slash;
	size_t		 n;

	if (ct == NULL)
		return RENDER_ESCAPE_NONE;
	while (isspc(*ct))
		ct++;
	for (e = ct; *e != '\0' && *e != ';' && !isspc(*e); e++)
		;
	n = (size_t)(e - ct);
	if ((n == 15 && strncasecmp(ct, "application/xml", n) == 0) ||
	    (n == 8 && strncasecmp(ct, "text/xml", n) == 0))
		return RENDER_ESCAPE_XML;
	if ((slash = memchr(ct, '/', n)) != NULL && e - slash > 4 &&
	    strncasecmp(e - 4, "+xml", 4) == 0)
		return RENDER_ESCAPE_XML;
	if (n == 9 && strncasecmp(ct, "text/html", n) == 0)
		return RENDER_ESCAPE_HTML;
	if (n > 5 && strncasecmp(ct, "text/", 5) == 0)
		return RENDER_ESCAPE_LINE;
	return RENDER_ESCAPE_NONE;
}

int
render_template(const char *tpl, size_t len, const json_t *ctx,
    const struct render_opts *opts, struct buf *out, char *err,
    size_t errlen)
{
	static const struct render_opts defaults;
	struct render	 r;
	struct tmpl	 t;
	char		 dummy[1];
	size_t		 i, slots;
	int		 rc = -1;

	memset(&r, 0, sizeof(r));
	memset(&t, 0, sizeof(t));
	if (err == NULL || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	r.o = opts ? opts : &defaults;
	r.escape = r.o->escape;
	r.out = out;
	r.base = out->len;
	r.max_out = r.o->max_output ? r.o->max_output : RENDER_DEF_OUTPUT;
	r.max_depth = r.o->max_depth ? r.o->max_depth : RENDER_DEF_DEPTH;
	if (r.max_depth > RENDER_MAX_DEPTH)
		r.max_depth = RENDER_MAX_DEPTH;
	r.max_steps = RENDER_MIN_STEPS;
	if (r.max_out < (~0ULL - RENDER_MIN_STEPS) / RENDER_STEPS_PER_BYTE)
		r.max_steps += (unsigned long long)r.max_out *
		    RENDER_STEPS_PER_BYTE;
	else
		r.max_steps = ~0ULL;
	r.err = err;
	r.errlen = errlen;
	r.bol = 1;

	/* Each level of depth pushes at most one of each. */
	slots = r.max_depth + 2;
	r.ctx = reallocarray(NULL, slots, sizeof(*r.ctx));
	r.fr = reallocarray(NULL, slots, sizeof(*r.fr));
	r.ind = reallocarray(NULL, slots, sizeof(*r.ind));
	if (r.ctx == NULL || r.fr == NULL || r.ind == NULL) {
		render_fail(&r, "out of memory");
		goto done;
	}
	if (ctx != NULL)
		r.ctx[r.nctx++] = ctx;

	t.src = tpl ? tpl : "";
	t.len = tpl ? len : 0;
	if (parse(&r, &t, "") == -1)
		goto done;
	rc = walk(&r, &t, t.root);
done:
	if (rc == -1 && !out->failed && out->len > r.base) {
		out->len = r.base;
		out->data[out->len] = '\0';
	}
	for (i = 0; i < r.npc; i++) {
		free(r.pc[i].name);
		tmpl_free(r.pc[i].t);
	}
	free(r.pc);
	free(t.n);
	free(r.ctx);
	free(r.fr);
	free(r.ind);
	return rc;
}
