/*
 * fuzz_vpath: libFuzzer target for the vendor file-name matcher.  The
 * input is "PATTERN\nNAME"; the name is also tried against every shipped
 * pattern.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vpath.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const shipped[] = { "{mac}.cfg", "{MAC}-phone.cfg",
	    "snom{model}-{MAC}.htm", "cfg{mac}.xml", "Config{MAC}.cfg",
	    "spa{mac}.xml" };
	char	*s, *nl, mac[13], model[VPATH_MODEL_MAX];
	size_t	 i;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if ((nl = strchr(s, '\n')) != NULL) {
		*nl = '\0';
		(void)vpath_pattern_valid(s);
		(void)vpath_match(s, nl + 1, mac, model);
	}
	for (i = 0; i < sizeof(shipped) / sizeof(shipped[0]); i++)
		(void)vpath_match(shipped[i], nl ? nl + 1 : s, mac, model);
	free(s);
	return 0;
}
