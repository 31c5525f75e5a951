/*
 * test_mustache_spec: the render module against its own edge cases (bad
 * input first: parse errors, each bound, then escaping and the content
 * type map), then against every test of the Mustache spec files in
 * $MUSTACHE_SPEC_DIR (default $top_srcdir/../shared/testdata/mustache-spec),
 * skipping the optional "~" modules.  Prints TAP; exits 77 when the spec
 * directory is missing.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "buf.h"
#include "render.h"

#define SPEC_DIR	"../shared/testdata/mustache-spec"
#define PREFIX		"pre:"	/* already in the buffer */
#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

struct own {
	const char	*name;
	const char	*tpl;
	const char	*data;		/* JSON */
	const char	*partials;	/* JSON object, or NULL */
	enum render_escape esc;
	size_t		 max_output;
	unsigned	 max_depth;
	int		 rc;
	const char	*want;		/* output, or part of err */
};

static const struct own owns[] = {
	{ "unclosed section", "a\n{{#lines}}\nx\n", "{}", NULL,
	    RENDER_ESCAPE_HTML, 0, 0, -1,
	    "line 2: unclosed section \"lines\"" },
	{ "unclosed inverted section in a partial", "{{>p}}", "{}",
	    "{\"p\": \"{{^x}}\"}", RENDER_ESCAPE_HTML, 0, 0, -1,
	    "partial \"p\": line 1: unclosed inverted section \"x\"" },
	{ "unclosed tag", "a {{name", "{}", NULL, RENDER_ESCAPE_HTML, 0, 0, -1,
	    "line 1: unclosed tag" },
	{ "unclosed triple mustache", "{{{name}}", "{}", NULL,
	    RENDER_ESCAPE_HTML, 0, 0, -1, "unclosed tag" },
	{ "mismatched close", "{{#a}}\n{{/b}}", "{}", NULL,
	    RENDER_ESCAPE_HTML, 0, 0, -1,
	    "line 2: section \"a\" (line 1) closed by \"b\"" },
	{ "close without open", "x{{/a}}", "{}", NULL, RENDER_ESCAPE_HTML, 0,
	    0, -1, "closing tag \"a\" without an opening one" },
	{ "parent left open", "{{<p}}{{$b}}{{/b}}", "{}", NULL,
	    RENDER_ESCAPE_HTML, 0, 0, -1, "unclosed parent \"p\"" },
	{ "set-delimiter with one delimiter", "{{=<% =}}", "{}", NULL,
	    RENDER_ESCAPE_HTML, 0, 0, -1, "bad set-delimiter tag" },
	{ "set-delimiter without closing =", "{{=<% %>}}", "{}", NULL,
	    RENDER_ESCAPE_HTML, 0, 0, -1, "bad set-delimiter tag" },
	{ "empty tag", "{{}}", "{}", NULL, RENDER_ESCAPE_HTML, 0, 0, -1,
	    "empty tag" },
	{ "section without a name", "{{# }}{{/ }}", "{}", NULL,
	    RENDER_ESCAPE_HTML, 0, 0, -1, "tag without a name" },
	{ "name with a space", "{{a b}}", "{}", NULL, RENDER_ESCAPE_HTML, 0, 0,
	    -1, "bad tag name \"a b\"" },
	{ "name with an empty part", "{{a..b}}", "{}", NULL,
	    RENDER_ESCAPE_HTML, 0, 0, -1, "bad name \"a..b\"" },
	{ "output bound", "{{#l}}0123456789{{/l}}", "{\"l\": [1, 2, 3]}",
	    NULL, RENDER_ESCAPE_HTML, 16, 0, -1, "output exceeds 16 bytes" },
	{ "output bound by default (1 MiB)",
	    "{{#l}}{{#l}}{{#l}}{{#l}}{{#l}}{{#l}}0123456789abcdef"
	    "{{/l}}{{/l}}{{/l}}{{/l}}{{/l}}{{/l}}",
	    "{\"l\": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]}", NULL,
	    RENDER_ESCAPE_HTML, 0, 0, -1, "output exceeds 1048576 bytes" },
	{ "self-including partial hits the depth bound", "{{>self}}", "{}",
	    "{\"self\": \"x{{>self}}\"}", RENDER_ESCAPE_HTML, 0, 0, -1,
	    "nesting deeper than 64" },
	{ "partial recursing through a section", "{{>r}}",
	    "{\"l\": [1, 2]}", "{\"r\": \"{{#l}}{{>r}}{{/l}}\"}",
	    RENDER_ESCAPE_HTML, 0, 10, -1, "nesting deeper than 10" },
	{ "self-including parent", "{{<self}}{{/self}}", "{}",
	    "{\"self\": \"{{<self}}{{$b}}x{{/b}}{{/self}}\"}",
	    RENDER_ESCAPE_HTML, 0, 0, -1, "nesting deeper than 64" },
	{ "block argument using itself", "{{<p}}{{$a}}{{$a}}{{/a}}{{/a}}{{/p}}",
	    "{}", "{\"p\": \"{{$a}}{{/a}}\"}", RENDER_ESCAPE_HTML, 0, 0, -1,
	    "nesting deeper than 64" },
	{ "sections nested too deep to parse",
	    "{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}{{/a}}{{/a}}{{/a}}{{/a}}{{/a}}",
	    "{}", NULL, RENDER_ESCAPE_HTML, 0, 4, -1,
	    "line 1: nesting deeper than 4" },
	{ "nested loops without output hit the step budget",
	    "{{#l}}{{#l}}{{#l}}{{#l}}{{#l}}{{#l}}{{#l}}{{#l}}"
	    "{{/l}}{{/l}}{{/l}}{{/l}}{{/l}}{{/l}}{{/l}}{{/l}}",
	    "{\"l\": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]}",
	    NULL, RENDER_ESCAPE_HTML, 0, 0, -1, "template too expensive" },
	{ "XML escapes ' and &", "<a n=\"{{v}}\"/>{{{v}}}",
	    "{\"v\": \"O'Neil & <Sons> \\\"x\\\"\"}", NULL, RENDER_ESCAPE_XML,
	    0, 0, 0, "<a n=\"O&apos;Neil &amp; &lt;Sons&gt; &quot;x&quot;\"/>"
	    "O'Neil & <Sons> \"x\"" },
	{ "HTML leaves ' alone", "{{v}}", "{\"v\": \"O'Neil & <b>\"}", NULL,
	    RENDER_ESCAPE_HTML, 0, 0, 0, "O'Neil &amp; &lt;b&gt;" },
	{ "NONE passes < through", "{{v}}", "{\"v\": \"a<b & 'c'\"}", NULL,
	    RENDER_ESCAPE_NONE, 0, 0, 0, "a<b & 'c'" },
	{ "LINE: a value cannot start a line (key=value files)",
	    "k={{v}}\n{{{v}}}", "{\"v\": \"a\\nx=evil\\r\\t\\\"b\\\"\"}", NULL,
	    RENDER_ESCAPE_LINE, 0, 0, 0, "k=a x=evil  \"b\"\na\nx=evil\r\t\"b\"" },
	{ "falsey: empty string, 0, null, []; {} is truthy",
	    "{{#e}}E{{/e}}{{^e}}e{{/e}}{{#z}}Z{{/z}}{{^z}}z{{/z}}"
	    "{{#n}}N{{/n}}{{#a}}A{{/a}}{{#o}}O{{/o}}{{#s}}[{{.}}]{{/s}}",
	    "{\"e\": \"\", \"z\": 0, \"n\": null, \"a\": [], \"o\": {}, "
	    "\"s\": \"x\"}", NULL, RENDER_ESCAPE_HTML, 0, 0, 0, "ezO[x]" },
	{ "numbers and booleans", "{{i}} {{r}} {{b}} {{t}} {{f}} [{{o}}]",
	    "{\"i\": -42, \"r\": 0.1, \"b\": 1e300, \"t\": true, "
	    "\"f\": false, \"o\": {\"x\": 1}}", NULL, RENDER_ESCAPE_HTML, 0, 0,
	    0, "-42 0.1 1e+300 true false []" },
	{ "array index in a dotted name", "{{lines.1.user}}{{lines.9.user}}",
	    "{\"lines\": [{\"user\": \"alice\"}, {\"user\": \"bob\"}]}", NULL,
	    RENDER_ESCAPE_HTML, 0, 0, 0, "bob" },
	{ "standalone partial indented inside a loop",
	    "<lines>\n{{#lines}}\n  {{>line}}\n{{/lines}}\n</lines>\n",
	    "{\"lines\": [{\"n\": 1}, {\"n\": 2}]}",
	    "{\"line\": \"<line>\\n  <n>{{n}}</n>\\n</line>\\n\"}",
	    RENDER_ESCAPE_XML, 0, 0, 0,
	    "<lines>\n  <line>\n    <n>1</n>\n  </line>\n  <line>\n"
	    "    <n>2</n>\n  </line>\n</lines>\n" },
	{ "block moved to its parameter's indentation (spec PR #131)",
	    "{{<parent}}\n        {{$block}}\n        Hello\n        "
	    "{{/block}}\n{{/parent}}", "{}",
	    "{\"parent\": \"I say,\\n  {{$block}}\\n  Hi there!\\n  "
	    "{{/block}}\"}", RENDER_ESCAPE_HTML, 0, 0, 0, "I say,\n  Hello\n" },
	{ "custom delimiters with a triple", "{{=<% %>=}}<%{v}%> <%v%>",
	    "{\"v\": \"<\"}", NULL, RENDER_ESCAPE_HTML, 0, 0, 0, "< &lt;" },
};

struct ct {
	const char	*type;
	enum render_escape want;
};

static const struct ct cts[] = {
	{ "application/xml; charset=utf-8", RENDER_ESCAPE_XML },
	{ "text/xml", RENDER_ESCAPE_XML },
	{ "application/vnd.foo+xml", RENDER_ESCAPE_XML },
	{ "Application/Vnd.Foo+XML;charset=utf-8", RENDER_ESCAPE_XML },
	{ "text/html", RENDER_ESCAPE_HTML },
	{ " TEXT/HTML ; charset=utf-8", RENDER_ESCAPE_HTML },
	{ "text/plain", RENDER_ESCAPE_LINE },
	{ "text/plain; charset=utf-8", RENDER_ESCAPE_LINE },
	{ "text/", RENDER_ESCAPE_NONE },
	{ "application/json", RENDER_ESCAPE_NONE },
	{ "application/xmlfoo", RENDER_ESCAPE_NONE },
	{ "+xml", RENDER_ESCAPE_NONE },
	{ "", RENDER_ESCAPE_NONE },
	{ NULL, RENDER_ESCAPE_NONE },
};

static int	 ntest, nfail;

static void	 ok(int, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static void
ok(int cond, const char *fmt, ...)
{
	va_list	 ap;

	ntest++;
	if (!cond)
		nfail++;
	printf("%sok %d - ", cond ? "" : "not ", ntest);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* A diagnostic line with s quoted as a JSON string. */
static void
diag(const char *what, const char *s)
{
	json_t	*j;
	char	*d = NULL;

	if ((j = json_string(s ? s : "(null)")) != NULL)
		d = json_dumps(j, JSON_ENCODE_ANY);
	printf("#   %-9s %s\n", what, d ? d : "(unprintable)");
	free(d);
	json_decref(j);
}

static char *
partial_from(void *arg, const char *name)
{
	json_t	*v = json_object_get(arg, name);

	if (!json_is_string(v))
		return NULL;
	return strdup(json_string_value(v));
}

/* Render into a buffer that already holds PREFIX; *outp is malloc'd. */
static int
run(const char *tpl, const json_t *ctx, const json_t *partials,
    enum render_escape esc, size_t max_output, unsigned max_depth,
    char **outp, char *err, size_t errlen)
{
	struct render_opts	 o;
	struct buf		 b;
	int			 rc;

	memset(&o, 0, sizeof(o));
	o.escape = esc;
	o.max_output = max_output;
	o.max_depth = max_depth;
	o.partial = partials ? partial_from : NULL;
	o.partial_arg = (void *)partials;
	buf_init(&b, 64 * 1024 * 1024);
	buf_addstr(&b, PREFIX);
	rc = render_template(tpl, strlen(tpl), ctx, &o, &b, err, errlen);
	*outp = buf_steal(&b, NULL);
	return rc;
}

static void
own_cases(void)
{
	const struct own	*c;
	json_t			*data, *partials;
	json_error_t		 je;
	char			*out, err[256];
	size_t			 i;
	int			 rc, good;

	for (i = 0; i < nitems(owns); i++) {
		c = &owns[i];
		data = json_loads(c->data, JSON_DECODE_ANY, &je);
		partials = c->partials ? json_loads(c->partials, 0, &je) : NULL;
		if (data == NULL || (c->partials && partials == NULL)) {
			ok(0, "own: %s (bad test JSON: %s)", c->name, je.text);
			json_decref(data);
			continue;
		}
		err[0] = '\0';
		rc = run(c->tpl, data, partials, c->esc, c->max_output,
		    c->max_depth, &out, err, sizeof(err));
		if (c->rc == 0)
			good = rc == 0 && out != NULL &&
			    strncmp(out, PREFIX, strlen(PREFIX)) == 0 &&
			    strcmp(out + strlen(PREFIX), c->want) == 0;
		else
			good = rc == -1 && strstr(err, c->want) != NULL &&
			    out != NULL && strcmp(out, PREFIX) == 0;
		ok(good, "own: %s", c->name);
		if (!good) {
			printf("#   rc %d, want %d\n", rc, c->rc);
			diag("want", c->want);
			diag("got", out);
			diag("error", err);
		}
		free(out);
		json_decref(data);
		json_decref(partials);
	}
	for (i = 0; i < nitems(cts); i++)
		ok(render_escape_for(cts[i].type) == cts[i].want,
		    "own: render_escape_for(%s%s%s)", cts[i].type ? "\"" : "",
		    cts[i].type ? cts[i].type : "NULL",
		    cts[i].type ? "\"" : "");
}

struct specfile {
	char	*name;
	json_t	*root;		/* NULL: did not load */
	size_t	 ntests, npass;
};

static int
cmpname(const void *a, const void *b)
{
	return strcmp(((const struct specfile *)a)->name,
	    ((const struct specfile *)b)->name);
}

/* Every *.json not starting with "~" in dir, sorted; -1 if no dir. */
static int
load_specs(const char *dir, struct specfile **fsp, size_t *nfp)
{
	DIR		*d;
	struct dirent	*de;
	struct specfile	*fs = NULL, *nf;
	json_error_t	 je;
	char		 path[4096];
	size_t		 n = 0, len;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '~' || de->d_name[0] == '.' || len < 6 ||
		    strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		    de->d_name) >= sizeof(path))
			continue;
		if ((nf = reallocarray(fs, n + 1, sizeof(*fs))) == NULL)
			break;
		fs = nf;
		memset(&fs[n], 0, sizeof(fs[n]));
		fs[n].name = strdup(de->d_name);
		fs[n].root = json_load_file(path, 0, &je);
		if (fs[n].root == NULL)
			printf("# %s: %s\n", path, je.text);
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(fs, n, sizeof(*fs), cmpname);
	*fsp = fs;
	*nfp = n;
	return 0;
}

static void
spec_file(struct specfile *f)
{
	json_t		*tests, *t, *partials;
	const char	*name, *tpl, *want;
	char		*out, err[256];
	size_t		 i;
	int		 rc, good;

	tests = json_object_get(f->root, "tests");
	json_array_foreach(tests, i, t) {
		name = json_string_value(json_object_get(t, "name"));
		tpl = json_string_value(json_object_get(t, "template"));
		want = json_string_value(json_object_get(t, "expected"));
		partials = json_object_get(t, "partials");
		if (tpl == NULL || want == NULL) {
			ok(0, "%s: %s (malformed test)", f->name,
			    name ? name : "?");
			continue;
		}
		err[0] = '\0';
		rc = run(tpl, json_object_get(t, "data"), partials,
		    RENDER_ESCAPE_HTML, 0, 0, &out, err, sizeof(err));
		good = rc == 0 && out != NULL &&
		    strcmp(out + strlen(PREFIX), want) == 0;
		if (good)
			f->npass++;
		ok(good, "%s: %s", f->name, name ? name : "?");
		if (!good) {
			diag("template", tpl);
			diag("expected", want);
			diag("got", rc == 0 && out ? out + strlen(PREFIX) :
			    NULL);
			if (rc != 0)
				diag("error", err);
		}
		free(out);
	}
}

int
main(void)
{
	struct specfile	*fs = NULL;
	const char	*dir, *top;
	char		 path[4096];
	size_t		 nf = 0, i, plan, total = 0, pass = 0;
	struct stat	 st;

	if ((dir = getenv("MUSTACHE_SPEC_DIR")) == NULL || *dir == '\0') {
		if ((top = getenv("top_srcdir")) != NULL && *top != '\0') {
			snprintf(path, sizeof(path), "%s/%s", top, SPEC_DIR);
			dir = path;
		} else
			dir = SPEC_DIR;
	}
	if (stat(dir, &st) == -1 || !S_ISDIR(st.st_mode) ||
	    load_specs(dir, &fs, &nf) == -1) {
		printf("1..0 # SKIP mustache spec not found\n");
		return 77;
	}
	plan = nitems(owns) + nitems(cts);
	for (i = 0; i < nf; i++) {
		fs[i].ntests = fs[i].root ? json_array_size(json_object_get(
		    fs[i].root, "tests")) : 0;
		plan += fs[i].ntests ? fs[i].ntests : 1;
	}
	printf("1..%zu\n", plan);

	own_cases();
	for (i = 0; i < nf; i++) {
		if (fs[i].ntests == 0)
			ok(0, "%s: no tests loaded", fs[i].name);
		else
			spec_file(&fs[i]);
		total += fs[i].ntests;
		pass += fs[i].npass;
	}
	printf("# mustache spec: %zu/%zu passed\n", pass, total);
	for (i = 0; i < nf; i++) {
		printf("#   %s: %zu/%zu\n", fs[i].name, fs[i].npass,
		    fs[i].ntests);
		free(fs[i].name);
		json_decref(fs[i].root);
	}
	free(fs);
	return nfail == 0 && (size_t)ntest == plan ? 0 : 1;
}
