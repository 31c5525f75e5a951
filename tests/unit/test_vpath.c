/*
 * test_vpath: the vendor file-name patterns (vpath.h).  Bad patterns and
 * names first, then each shipped vendor's file names, any case, with and
 * without MAC separators.
 */
#include <string.h>

#include "tap.h"
#include "vpath.h"

static int
m(const char *pat, const char *name, const char *wmac, const char *wmodel)
{
	char	 mac[13], model[VPATH_MODEL_MAX];

	if (!vpath_match(pat, name, mac, model))
		return wmac == NULL;
	return wmac && strcmp(mac, wmac) == 0 && strcmp(model, wmodel) == 0;
}

int
main(void)
{
	char	 big[VPATH_NAME_MAX + 8];

	/* Patterns. */
	ok(vpath_pattern_valid(NULL) == -1, "NULL pattern");
	ok(vpath_pattern_valid("") == -1, "empty pattern");
	ok(vpath_pattern_valid("phone.cfg") == -1, "no {mac}");
	ok(vpath_pattern_valid("{mac}{mac}.cfg") == -1, "two {mac}");
	ok(vpath_pattern_valid("{mac}-{mac}.cfg") == -1, "two {mac}, apart");
	ok(vpath_pattern_valid("{model}{mac}.cfg") == -1,
	    "placeholders side by side");
	ok(vpath_pattern_valid("a/{mac}.cfg") == -1, "a '/' in a pattern");
	ok(vpath_pattern_valid("{mac}.cfg?x") == -1, "a '?' in a pattern");
	ok(vpath_pattern_valid("{mac") == -1, "unclosed placeholder");
	ok(vpath_pattern_valid("{Mac}.cfg") == -1, "{Mac} is not a placeholder");
	ok(vpath_pattern_valid("snom{model}-{model}{mac}.htm") == -1,
	    "two {model}");
	ok(vpath_pattern_valid("snom{model}-{MAC}.htm") == 0, "snom pattern");
	ok(vpath_pattern_valid("{mac}.cfg") == 0, "yealink pattern");

	/* Names that must not match. */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ok(m("{mac}.cfg", big, NULL, NULL), "over-long name");
	ok(m("{mac}.cfg", "001565aabbc.cfg", NULL, NULL), "11 digits");
	ok(m("{mac}.cfg", "001565aabbccd.cfg", NULL, NULL), "13 digits");
	ok(m("{mac}.cfg", "001565aabbgg.cfg", NULL, NULL), "not hex");
	ok(m("{mac}.cfg", "00:15:65-aa:bb:cc.cfg", NULL, NULL),
	    "mixed separators");
	ok(m("{mac}.cfg", "001565aabbcc.cfg.bak", NULL, NULL), "trailing text");
	ok(m("{mac}.cfg", "x001565aabbcc.cfg", NULL, NULL), "leading text");
	ok(m("{mac}.cfg", "001565aabbcc.xml", NULL, NULL), "other suffix");
	ok(m("cfg{mac}.xml", "cfg001565aabbcc.cfg", NULL, NULL),
	    "grandstream name with the wrong suffix");
	ok(m("snom{model}-{MAC}.htm", "snom-000413aabbcc.htm", NULL, NULL),
	    "snom without a model");
	ok(m("{mac}.cfg", "", NULL, NULL), "empty name");

	/* The shipped vendors. */
	ok(m("{mac}.cfg", "001565aabbcc.cfg", "001565aabbcc", ""),
	    "yealink <mac>.cfg");
	ok(m("{mac}.cfg", "001565AABBCC.CFG", "001565aabbcc", ""),
	    "any case");
	ok(m("{mac}.cfg", "00:15:65:aa:bb:cc.cfg", "001565aabbcc", ""),
	    "colons");
	ok(m("{mac}.cfg", "00-15-65-AA-BB-CC.cfg", "001565aabbcc", ""),
	    "dashes");
	ok(m("{MAC}-phone.cfg", "0004F2AABBCC-phone.cfg", "0004f2aabbcc", ""),
	    "polycom <MAC>-phone.cfg");
	ok(m("snom{model}-{MAC}.htm", "snom320-000413AABBCC.htm",
	    "000413aabbcc", "320"), "snom320-<MAC>.htm");
	ok(m("snom{model}-{MAC}.htm", "snomD785-000413AABBCC.htm",
	    "000413aabbcc", "D785"), "snomD785-<MAC>.htm");
	ok(m("cfg{mac}.xml", "cfg000b82aabbcc.xml", "000b82aabbcc", ""),
	    "grandstream cfg<mac>.xml");
	ok(m("Config{MAC}.cfg", "Config0080F0AABBCC.cfg", "0080f0aabbcc", ""),
	    "panasonic Config<MAC>.cfg");
	ok(m("Config{MAC}.cfg", "config0080f0aabbcc.cfg", "0080f0aabbcc", ""),
	    "panasonic, lower case");
	ok(m("spa{mac}.xml", "spa0018b9aabbcc.xml", "0018b9aabbcc", ""),
	    "cisco spa<mac>.xml");
	return tap_done();
}
