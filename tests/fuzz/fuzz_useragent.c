/*
 * fuzz_useragent: libFuzzer target for the phone User-Agent parser.
 * Besides memory errors it checks the promises of useragent.h: every
 * field a NUL-terminated run of SIP token characters that fits its
 * buffer, the MAC 12 lower-case hex digits or "", and all fields ""
 * when nothing was recognised.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "useragent.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_token(const char *f, size_t max)
{
	size_t	 i, n;

	if ((n = strnlen(f, max)) == max)
		abort();
	for (i = 0; i < n; i++)
		if (!((f[i] >= 'a' && f[i] <= 'z') ||
		    (f[i] >= 'A' && f[i] <= 'Z') ||
		    (f[i] >= '0' && f[i] <= '9') ||
		    strchr("-.!%*_+`'~", f[i])))
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ua_info	 ui;
	char		*s;
	size_t		 i, n;
	int		 r;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	memset(&ui, 'X', sizeof(ui));
	r = useragent_parse(s, &ui);
	free(s);
	check_token(ui.vendor, sizeof(ui.vendor));
	check_token(ui.model, sizeof(ui.model));
	check_token(ui.firmware, sizeof(ui.firmware));
	n = strnlen(ui.mac, sizeof(ui.mac));
	if (n != 0 && n != 12)
		abort();
	for (i = 0; i < n; i++)
		if (!((ui.mac[i] >= '0' && ui.mac[i] <= '9') ||
		    (ui.mac[i] >= 'a' && ui.mac[i] <= 'f')))
			abort();
	if (r == 0 && (ui.vendor[0] || ui.model[0] || ui.firmware[0] ||
	    ui.mac[0]))
		abort();
	if (r == 1 && (ui.vendor[0] == '\0' || ui.model[0] == '\0' ||
	    ui.firmware[0] == '\0'))
		abort();
	if (r != 0 && r != 1)
		abort();
	return 0;
}
