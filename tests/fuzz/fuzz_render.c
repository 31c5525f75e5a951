/*
 * fuzz_render: libFuzzer target for the template engine.  The input is a
 * template, rendered against a small fixed context with 64 KiB of output
 * and depth 16; the partial "self" is the input again, so recursion and
 * inheritance through partials get exercised, and "p" is a fixed parent
 * with blocks.  The escape mode comes from the input's length so all
 * three are covered.  Any failure is fine; a crash, a leak, a sanitizer
 * report or a slow input is a bug.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "render.h"

#define FUZZ_MAX_OUTPUT	(64 * 1024)
#define FUZZ_MAX_DEPTH	16

static const char fuzz_ctx[] =
    "{\"name\": \"Alice & <Bob> 'x'\", \"n\": 3, \"zero\": 0, "
    "\"pi\": 3.14159, \"t\": true, \"f\": false, \"z\": null, \"e\": \"\", "
    "\"list\": [1, 2, 3], \"empty\": [], "
    "\"lines\": [{\"user\": \"100\", \"sip\": {\"host\": \"pbx\"}}, "
    "{\"user\": \"101\", \"sip\": {}}], "
    "\"a\": {\"b\": {\"c\": \"deep\"}}, \"nested\": [[1, 2], [\"x\"]]}";

static const char fuzz_parent[] =
    "<p>\n  {{$title}}T{{/title}}\n{{$body}}\n  body {{name}}\n{{/body}}"
    "</p>\n";

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct input {
	const uint8_t	*data;
	size_t		 size;
};

static char *
fuzz_partial(void *arg, const char *name)
{
	const struct input *in = arg;
	const char	*src;
	size_t		 n;
	char		*s;

	if (strcmp(name, "self") == 0) {
		src = (const char *)in->data;
		n = in->size;
	} else if (strcmp(name, "p") == 0) {
		src = fuzz_parent;
		n = sizeof(fuzz_parent) - 1;
	} else
		return NULL;
	if ((s = malloc(n + 1)) == NULL)
		return NULL;
	memcpy(s, src, n);
	s[n] = '\0';
	return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static json_t		*ctx;
	struct render_opts	 o;
	struct input		 in = { data, size };
	struct buf		 b;
	char			 err[256];

	if (ctx == NULL && (ctx = json_loads(fuzz_ctx, 0, NULL)) == NULL)
		abort();
	memset(&o, 0, sizeof(o));
	o.escape = (enum render_escape)(size % 3);
	o.max_output = FUZZ_MAX_OUTPUT;
	o.max_depth = FUZZ_MAX_DEPTH;
	o.partial = fuzz_partial;
	o.partial_arg = &in;
	buf_init(&b, FUZZ_MAX_OUTPUT + 1);
	if (render_template((const char *)data, size, ctx, &o, &b, err,
	    sizeof(err)) == 0 && b.len > FUZZ_MAX_OUTPUT)
		abort();
	if (strlen(err) >= sizeof(err))
		abort();
	buf_free(&b);
	return 0;
}
