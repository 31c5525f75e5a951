/*
 * vpath: matching the file names legacy phones ask for against path
 * patterns (see vpath.h).  A small backtracking matcher over three kinds
 * of piece (literal text, the MAC, the model); names are at most
 * VPATH_NAME_MAX bytes and patterns hold at most two placeholders, so
 * the work is bounded.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "util.h"
#include "vpath.h"

static int
tokenchar(int c)
{
	return isalnum(c) || c == '-' || c == '_' || c == '.' || c == '+';
}

/* A placeholder at p: 'm' for {mac}/{MAC}, 'o' for {model}, 0 if none. */
static int
placeholder(const char *p, size_t *len)
{
	if (strncmp(p, "{mac}", 5) == 0 || strncmp(p, "{MAC}", 5) == 0) {
		*len = 5;
		return 'm';
	}
	if (strncmp(p, "{model}", 7) == 0) {
		*len = 7;
		return 'o';
	}
	return 0;
}

int
vpath_pattern_valid(const char *pat)
{
	size_t	 n, len = 0;
	int	 macs = 0, models = 0, k, prev = 0;
	const char *p;

	if (pat == NULL || (n = strlen(pat)) == 0 || n >= VPATH_PATTERN_MAX)
		return -1;
	for (p = pat; *p; ) {
		if ((k = placeholder(p, &len)) != 0) {
			/* Two placeholders side by side cannot be told apart. */
			if (prev)
				return -1;
			macs += k == 'm';
			models += k == 'o';
			prev = 1;
			p += len;
			continue;
		}
		/* One path segment of plain, safe characters. */
		if (!tokenchar((unsigned char)*p))
			return -1;
		prev = 0;
		p++;
	}
	return macs == 1 && models <= 1 ? 0 : -1;
}

/* The MAC at s: 12 hex digits, separators allowed between pairs. */
static size_t
mac_at(const char *s, char mac[13])
{
	size_t	 i = 0, n = 0;
	int	 sep = 0;

	while (n < 12) {
		if (util_hexval((unsigned char)s[i]) < 0)
			return 0;
		mac[n++] = (char)tolower((unsigned char)s[i++]);
		if (n % 2 == 0 && n < 12 && (s[i] == ':' || s[i] == '-' ||
		    s[i] == '.')) {
			if (sep == 0)
				sep = s[i];
			else if (sep != s[i])
				return 0;	/* mixed separators */
			i++;
		}
	}
	mac[12] = '\0';
	return i;
}

static int
match(const char *p, const char *s, char mac[13], char *model)
{
	size_t	 len, n;
	int	 k;

	while (*p) {
		if ((k = placeholder(p, &len)) == 'm') {
			if ((n = mac_at(s, mac)) == 0)
				return 0;
			return match(p + len, s + n, mac, model);
		}
		if (k == 'o') {
			/* Shortest model first; at least one character. */
			for (n = 1; tokenchar((unsigned char)s[n - 1]) &&
			    n < VPATH_MODEL_MAX; n++) {
				memcpy(model, s, n);
				model[n] = '\0';
				if (match(p + len, s + n, mac, model))
					return 1;
			}
			model[0] = '\0';
			return 0;
		}
		if (tolower((unsigned char)*p) != tolower((unsigned char)*s))
			return 0;
		p++;
		s++;
	}
	return *s == '\0';
}

int
vpath_match(const char *pat, const char *name, char mac[13],
    char model[VPATH_MODEL_MAX])
{
	mac[0] = model[0] = '\0';
	if (vpath_pattern_valid(pat) != 0 || name == NULL ||
	    strlen(name) >= VPATH_NAME_MAX)
		return 0;
	if (!match(pat, name, mac, model)) {
		mac[0] = model[0] = '\0';
		return 0;
	}
	return 1;
}
