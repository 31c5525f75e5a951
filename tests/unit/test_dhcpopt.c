/*
 * test_dhcpopt: the Configuration Service Domain options (dhcpopt.h).
 * Malformed searchlists first, each refused for its own reason; then
 * the encoder against the RFC 3397 §3 worked example (option 119 uses
 * the encoding RFC 6011 §4.1 gives option 141), RFC 3396 splitting and
 * reassembly, and round trips.
 */
#include <stdio.h>
#include <string.h>

#include "dhcpopt.h"
#include "tap.h"

static char	 err[256];

/* Decode data and expect a refusal whose reason holds why. */
static int
refused(const void *data, size_t len, int compress, const char *why)
{
	struct dhcpopt_list	 l;

	err[0] = '\0';
	if (dhcpopt_decode(data, len, compress, &l, err, sizeof(err)) != -1)
		return 0;
	if (strstr(err, why) == NULL) {
		printf("# reason: %s\n", err);
		return 0;
	}
	return l.n == 0;
}

/* An n-octet label of 'a's at p; its size. */
static size_t
label(unsigned char *p, size_t n)
{
	p[0] = (unsigned char)n;
	memset(p + 1, 'a', n);
	return n + 1;
}

/* A minimal DHCP message: BOOTP fields, cookie, then opts. */
static size_t
dhcp_msg(unsigned char *m, const unsigned char *opts, size_t olen)
{
	memset(m, 0, 240);
	m[0] = 2;
	m[236] = 99; m[237] = 130; m[238] = 83; m[239] = 99;
	memcpy(m + 240, opts, olen);
	return 240 + olen;
}

static int
roundtrip(const char *const *names, size_t n, int compress)
{
	unsigned char		 b[DHCPOPT_DATA_MAX];
	struct dhcpopt_list	 l;
	size_t			 len, i, nl;

	if (dhcpopt_encode(names, n, compress, b, sizeof(b), &len, err,
	    sizeof(err)) != 0 ||
	    dhcpopt_decode(b, len, compress, &l, err, sizeof(err)) != 0 ||
	    l.n != n)
		return 0;
	for (i = 0; i < n; i++) {
		nl = strlen(names[i]);
		if (nl > 0 && names[i][nl - 1] == '.')
			nl--;
		if (strlen(l.name[i]) != nl ||
		    memcmp(l.name[i], names[i], nl) != 0)
			return 0;
	}
	return 1;
}

int
main(void)
{
	unsigned char		 b[DHCPOPT_DATA_MAX], m[2048], o[1024];
	struct dhcpopt_list	 l;
	const unsigned char	*d6;
	char			 name[DHCPOPT_NAME_MAX], big[300];
	size_t			 n, len, i;

	/* ---- Malformed searchlists. */
	ok(refused("\3www\300\0", 6, 1, "pointer loop"),
	    "pointer to the start of its own name: a loop");
	ok(refused("\300\0", 2, 1, "pointer loop"), "pointer to itself");
	ok(refused("\3abc\0\1x\300\6", 9, 1, "pointer loop"),
	    "pointer into its own run of labels: a loop");
	ok(refused("\300\2\3abc\0", 7, 1, "forward pointer"),
	    "forward pointer");
	ok(refused("\3abc\0\1x\300\12", 9, 1, "forward pointer"),
	    "pointer past the end of the option: forward");
	n = label(b, 3);
	b[n++] = 0x40;
	memset(b + n, 'a', 64);
	n += 64;
	b[n++] = 0;
	ok(refused(b, n, 1, "label longer than 63"), "64-octet label");
	ok(refused("\200abc\0", 5, 1, "reserved label type 0x80"),
	    "label type 10 (reserved)");
	ok(refused("\100abc\0", 5, 0, "label longer than 63"),
	    "label type 01 (extended), uncompressed");
	n = 0;
	for (i = 0; i < 4; i++)
		n += label(b + n, 63);
	b[n++] = 0;
	ok(refused(b, n, 0, "longer than 255"), "name of 257 octets");
	n = 0;
	for (i = 0; i < 3; i++)
		n += label(b + n, 63);
	b[n++] = 0;
	n += label(b + n, 62);
	b[n++] = 0xc0;
	b[n++] = 0;
	ok(refused(b, n, 1, "longer than 255"),
	    "name of 256 octets through a pointer");
	ok(refused("\5ab", 3, 1, "truncated"), "label past the end");
	ok(refused("\3abc", 4, 1, "truncated"), "no terminating root");
	ok(refused("\3abc\0\300", 6, 1, "truncated"),
	    "pointer lacking its second octet");
	ok(refused("\3abc\0\3abc", 9, 0, "truncated"),
	    "second name unterminated");
	ok(refused("\3abc\0\1x\300\0", 9, 0, "not allowed in this option"),
	    "pointer in option 58 (RFC 3315 §8)");
	ok(refused("\0", 1, 1, "root"), "the root alone");
	ok(refused("\3a b\0", 5, 1, "character not allowed"),
	    "space in a label");
	ok(refused("\3a.b\0", 5, 1, "character not allowed"),
	    "dot inside a label");
	n = 0;
	for (i = 0; i <= DHCPOPT_NAMES_MAX; i++) {
		b[n++] = 1;
		b[n++] = 'a';
		b[n++] = 0;
	}
	ok(refused(b, n, 0, "more than"), "too many names");
	/* The decoder never reads past len: the same bytes, cut short. */
	ok(refused("\3abc\0", 4, 1, "truncated"), "length cuts the root off");

	/* Option 15. */
	ok(dhcpopt_domain_name((const unsigned char *)"", 0, name,
	    sizeof(name), err, sizeof(err)) == -1, "option 15: empty");
	ok(dhcpopt_domain_name((const unsigned char *)"a..b", 4, name,
	    sizeof(name), err, sizeof(err)) == -1, "option 15: empty label");
	ok(dhcpopt_domain_name((const unsigned char *)"a b", 3, name,
	    sizeof(name), err, sizeof(err)) == -1, "option 15: space");
	memset(big, 'a', 64);
	ok(dhcpopt_domain_name((const unsigned char *)big, 64, name,
	    sizeof(name), err, sizeof(err)) == -1, "option 15: 64-octet label");

	/* Options areas. */
	memset(m, 0, sizeof(m));
	ok(dhcpopt_v4_find(m, 240, 141, o, sizeof(o), &len, err,
	    sizeof(err)) == -1 && strstr(err, "magic cookie"),
	    "DHCPv4: no magic cookie");
	ok(dhcpopt_v4_find(m, 100, 141, o, sizeof(o), &len, err,
	    sizeof(err)) == -1, "DHCPv4: shorter than BOOTP");
	n = dhcp_msg(m, (const unsigned char *)"\215\12\3abc\0", 7);
	ok(dhcpopt_v4_find(m, n, 141, o, sizeof(o), &len, err,
	    sizeof(err)) == -1 && strstr(err, "truncated"),
	    "DHCPv4: option 141 longer than the message");
	n = dhcp_msg(m, (const unsigned char *)"\1\4\377\377\377\0\215", 7);
	ok(dhcpopt_v4_find(m, n, 141, o, sizeof(o), &len, err,
	    sizeof(err)) == -1, "DHCPv4: option code without its length");
	n = dhcp_msg(m, (const unsigned char *)"\215\5\3abc\0\377", 8);
	ok(dhcpopt_v4_find(m, n, 141, o, 2, &len, err, sizeof(err)) == -1 &&
	    strstr(err, "longer than"), "DHCPv4: data larger than the buffer");
	ok(dhcpopt_v6_find((const unsigned char *)"\0\72\0", 3, 58, &d6, &len,
	    err, sizeof(err)) == -1, "DHCPv6: truncated option header");
	ok(dhcpopt_v6_find((const unsigned char *)"\0\72\0\11\3abc\0", 9, 58,
	    &d6, &len, err, sizeof(err)) == -1 && strstr(err, "truncated"),
	    "DHCPv6: option longer than the message");

	/* Encoder refusals. */
	{
		const char *e1[] = { "" }, *e2[] = { "a..example.net" },
		    *e3[] = { "a b.example.net" }, *e4[] = { big };
		const char *ok1[] = { "example.net" };

		ok(dhcpopt_encode(e1, 0, 1, b, sizeof(b), &len, err,
		    sizeof(err)) == -1, "encode: no names");
		ok(dhcpopt_encode(e1, 1, 1, b, sizeof(b), &len, err,
		    sizeof(err)) == -1, "encode: empty name");
		ok(dhcpopt_encode(e2, 1, 1, b, sizeof(b), &len, err,
		    sizeof(err)) == -1, "encode: empty label");
		ok(dhcpopt_encode(e3, 1, 1, b, sizeof(b), &len, err,
		    sizeof(err)) == -1, "encode: space");
		memset(big, 'a', 64);
		memcpy(big + 64, ".net", 5);
		ok(dhcpopt_encode(e4, 1, 1, b, sizeof(b), &len, err,
		    sizeof(err)) == -1 && strstr(err, "63"),
		    "encode: 64-octet label");
		for (i = 0; i < 4; i++) {
			memset(big + i * 64, 'a', 63);
			big[i * 64 + 63] = '.';
		}
		big[4 * 64 - 1] = '\0';
		ok(dhcpopt_encode(e4, 1, 1, b, sizeof(b), &len, err,
		    sizeof(err)) == -1 && strstr(err, "255"),
		    "encode: 257 octets in wire form");
		ok(dhcpopt_encode(ok1, 1, 1, b, 5, &len, err,
		    sizeof(err)) == -1, "encode: buffer too small");
	}

	/* ---- RFC 3397 §3: "eng.apple.com." and "marketing.apple.com.". */
	{
		static const unsigned char want[] =
		    "\3eng\5apple\3com\0\11marketing\300\4";
		const char *names[] = { "eng.apple.com.",
		    "marketing.apple.com." };

		ok(dhcpopt_encode(names, 2, 1, b, sizeof(b), &len, err,
		    sizeof(err)) == 0 && len == sizeof(want) - 1 &&
		    memcmp(b, want, len) == 0,
		    "RFC 3397 §3 example: 27 octets, marketing + C0 04");
		/* The RFC shows it carried in three 9-octet options. */
		n = 0;
		for (i = 0; i < 27; i += 9) {
			o[n++] = 141;
			o[n++] = 9;
			memcpy(o + n, want + i, 9);
			n += 9;
		}
		o[n++] = 255;
		n = dhcp_msg(m, o, n);
		ok(dhcpopt_v4_find(m, n, 141, o, sizeof(o), &len, err,
		    sizeof(err)) == 1 && len == 27 &&
		    memcmp(o, want, 27) == 0,
		    "three 9-octet options concatenated (RFC 3396)");
		ok(dhcpopt_decode(o, len, 1, &l, err, sizeof(err)) == 0 &&
		    l.n == 2 && strcmp(l.name[0], "eng.apple.com") == 0 &&
		    strcmp(l.name[1], "marketing.apple.com") == 0,
		    "and decoded, in order");
		ok(dhcpopt_decode(want, 27, 0, &l, err, sizeof(err)) == -1,
		    "the same data as option 58 is refused (a pointer)");
		ok(dhcpopt_encode(names, 2, 0, b, sizeof(b), &len, err,
		    sizeof(err)) == 0 && len == 36 &&
		    memcmp(b, "\3eng\5apple\3com\0\11marketing\5apple\3com\0",
		    36) == 0, "option 58 form: no compression, 36 octets");
		ok(dhcpopt_v4_find(m, n, 15, o, sizeof(o), &len, err,
		    sizeof(err)) == 0, "absent option 15: 0");
	}
	/* Whole-name and longest-suffix reuse. */
	{
		const char *names[] = { "cs.example.net", "example.net",
		    "cs.example.net", "p1.cs.example.net" };
		static const unsigned char want[] =
		    "\2cs\7example\3net\0\300\3\300\0\2p1\300\0";

		ok(dhcpopt_encode(names, 4, 1, b, sizeof(b), &len, err,
		    sizeof(err)) == 0 && len == sizeof(want) - 1 &&
		    memcmp(b, want, len) == 0,
		    "suffix, whole name and prefix+pointer");
	}
	/* Option 15. */
	ok(dhcpopt_domain_name((const unsigned char *)"corp.example.\0", 14,
	    name, sizeof(name), err, sizeof(err)) == 0 &&
	    strcmp(name, "corp.example") == 0,
	    "option 15 with trailing dot and NUL");

	/* ---- RFC 3396: past 255 octets, several options. */
	{
		const char	*names[8];
		char		 nm[8][80];
		unsigned char	 w[1024];
		size_t		 wl;

		for (i = 0; i < 8; i++) {
			snprintf(nm[i], sizeof(nm[i]), "%c%s.example%zu.net",
			    (int)('a' + i), "-long-label-"
			    "beyond-255-octets", i);
			names[i] = nm[i];
		}
		ok(dhcpopt_encode(names, 8, 1, b, sizeof(b), &len, err,
		    sizeof(err)) == 0 && len > 255 && len <= 510,
		    "8 long names: %zu octets, more than one option", len);
		ok(dhcpopt_v4_split(141, b, len, w, sizeof(w), &wl) == 0 &&
		    wl == len + 4 && w[0] == 141 && w[1] == 255 &&
		    w[257] == 141 && w[258] == len - 255,
		    "split into 255 + %zu octets", len - 255);
		ok(dhcpopt_v4_split(141, b, len, o, len + 3, &n) == -1,
		    "split refuses a short buffer");
		w[wl++] = 255;
		n = dhcp_msg(m, w, wl);
		ok(dhcpopt_v4_find(m, n, 141, o, sizeof(o), &wl, err,
		    sizeof(err)) == 1 && wl == len && memcmp(o, b, len) == 0,
		    "reassembled from the message");
		ok(dhcpopt_decode(o, wl, 1, &l, err, sizeof(err)) == 0 &&
		    l.n == 8 && strcmp(l.name[7], nm[7]) == 0,
		    "decoded: 8 names, the last intact");
		ok(roundtrip(names, 8, 1) && roundtrip(names, 8, 0),
		    "round trip, both encodings");
	}
	/* Option overload (RFC 2131 §4.1): options, then file, then sname. */
	{
		static const unsigned char opts[] = "\64\1\3\215\3\2cs\377";

		n = dhcp_msg(m, opts, sizeof(opts) - 1);
		memcpy(m + 108, "\215\10\7example\377", 11);
		memcpy(m + 44, "\215\5\3net\0\377", 8);
		ok(dhcpopt_v4_find(m, n, 141, o, sizeof(o), &len, err,
		    sizeof(err)) == 1 && len == 16 &&
		    dhcpopt_decode(o, len, 1, &l, err, sizeof(err)) == 0 &&
		    l.n == 1 && strcmp(l.name[0], "cs.example.net") == 0,
		    "option 141 spread over options, file and sname");
	}
	/* DHCPv6. */
	{
		static const unsigned char opts[] =
		    "\0\1\0\2xy\0\72\0\11\3abc\3net\0";

		ok(dhcpopt_v6_find(opts, sizeof(opts) - 1, 58, &d6, &len, err,
		    sizeof(err)) == 1 && len == 9 &&
		    dhcpopt_decode(d6, len, 0, &l, err, sizeof(err)) == 0 &&
		    l.n == 1 && strcmp(l.name[0], "abc.net") == 0,
		    "DHCPv6 option 58 found after another");
		ok(dhcpopt_v6_find(opts, sizeof(opts) - 1, 21, &d6, &len, err,
		    sizeof(err)) == 0, "absent option 21: 0");
	}
	{
		const char *one[] = { "_sip._tcp.Example.NET." },
		    *dup[] = { "a.b", "a.b", "b", "c.a.b" };

		ok(roundtrip(one, 1, 1) && roundtrip(one, 1, 0),
		    "round trip keeps case and '_', drops the final dot");
		ok(roundtrip(dup, 4, 1) && roundtrip(dup, 4, 0),
		    "round trip of repeated names");
	}
	return tap_done();
}
