/*
 * test_useragent: the phone User-Agent parser.  Bad and hostile input
 * first, then the strings real phones send, each checked field by field.
 */
#include <string.h>

#include "useragent.h"
#include "tap.h"

/* Every field a bounded string of SIP token characters; the MAC hex. */
static int
sane(const struct ua_info *ui)
{
	const char	*f[3] = { ui->vendor, ui->model, ui->firmware };
	size_t		 i, j, n;

	for (i = 0; i < 3; i++) {
		if ((n = strnlen(f[i], UA_FIELD_MAX)) == UA_FIELD_MAX)
			return 0;
		for (j = 0; j < n; j++)
			if (!((f[i][j] >= 'a' && f[i][j] <= 'z') ||
			    (f[i][j] >= 'A' && f[i][j] <= 'Z') ||
			    (f[i][j] >= '0' && f[i][j] <= '9') ||
			    strchr("-.!%*_+`'~", f[i][j])))
				return 0;
	}
	n = strnlen(ui->mac, sizeof(ui->mac));
	if (n != 0 && n != 12)
		return 0;
	for (j = 0; j < n; j++)
		if (!((ui->mac[j] >= '0' && ui->mac[j] <= '9') ||
		    (ui->mac[j] >= 'a' && ui->mac[j] <= 'f')))
			return 0;
	return 1;
}

/*
 * Parse ua (described as what, when it is not printable) and check the
 * result and all four fields.
 */
static void
t(const char *what, const char *ua, int want, const char *vendor,
    const char *model, const char *firmware, const char *mac)
{
	struct ua_info	 ui;
	int		 r;

	/* Left-over garbage must not survive a call. */
	memset(&ui, 'X', sizeof(ui));
	r = useragent_parse(ua, &ui);
	ok(r == want && sane(&ui) && strcmp(ui.vendor, vendor) == 0 &&
	    strcmp(ui.model, model) == 0 &&
	    strcmp(ui.firmware, firmware) == 0 && strcmp(ui.mac, mac) == 0,
	    "%s", what ? what : ua);
	if (r != want || strcmp(ui.vendor, vendor) != 0 ||
	    strcmp(ui.model, model) != 0 ||
	    strcmp(ui.firmware, firmware) != 0 || strcmp(ui.mac, mac) != 0)
		printf("#   got %d [%.*s] [%.*s] [%.*s] [%.*s]\n", r,
		    UA_FIELD_MAX, ui.vendor, UA_FIELD_MAX, ui.model,
		    UA_FIELD_MAX, ui.firmware, 13, ui.mac);
}

/* Not recognised: 0 and every field "". */
static void
no(const char *what, const char *ua)
{
	t(what, ua, 0, "", "", "", "");
}

int
main(void)
{
	struct ua_info	 ui;
	char		 big[10 * 1024 + 1], ua[256], f63[64], f64[65];

	/* Bad and hostile input. */
	no("NULL", NULL);
	ok(useragent_parse("Yealink SIP-T46S 66.86.0.15", NULL) == 0,
	    "NULL ua_info");
	no("empty", "");
	no("blanks only", " \t ");
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	no("10 KB of 'A'", big);
	memcpy(big, "Yealink SIP-T46S 66.86.0.15 ", 28);
	no("a Yealink UA padded to 10 KB", big);
	memcpy(big, "Yealink SIP-T46S 66.86.0.15", 27);
	big[1025] = '\0';
	no("a Yealink UA of 1025 bytes", big);
	no("CR LF (header injection)",
	    "Yealink SIP-T46S 66.86.0.15\r\nX-Evil: 1");
	no("a control character in the model",
	    "Yealink SIP-T46S\001 66.86.0.15");
	no("DEL", "Yealink SIP-T46S 66.86.0.15 \177");
	no("ESC after the MAC",
	    "Yealink SIP-T46S 66.86.0.15 00:15:65:aa:bb:cc\033[2J");
	no("UTF-8 in the model", "Yealink SIP-T46S\xc3\xa9 66.86.0.15");
	no("Yealink alone", "Yealink");
	no("Yealink and a blank", "Yealink ");
	no("Yealink SIP- with nothing after", "Yealink SIP-");
	no("Yealink SIP with nothing after", "Yealink SIP ");
	no("no firmware", "Yealink SIP-T46S");
	no("firmware not a version", "Yealink SIP-T46S abc");
	no("firmware without a dot", "Yealink SIP-T46S 66");
	no("MAC where the firmware goes", "Yealink SIP-T46S 00:15:65:aa:bb:cc");
	no("vendor glued to the model", "YealinkSIP-T46S 66.86.0.15");
	no("slash after the model", "Yealink SIP-T46S/66.86.0.15");
	no("markup in the model", "Yealink SIP-T<script> 66.86.0.15");
	no("quote in the firmware", "Yealink SIP-T46S 66.86.0.15\"");
	memset(f63, 'M', sizeof(f63) - 1);
	f63[sizeof(f63) - 1] = '\0';
	memset(f64, 'M', sizeof(f64) - 1);
	f64[sizeof(f64) - 1] = '\0';
	snprintf(ua, sizeof(ua), "Yealink SIP-%s 66.86.0.15", f64);
	no("model of UA_FIELD_MAX bytes", ua);
	snprintf(ua, sizeof(ua), "Yealink SIP-%s 66.86.0.15", f63);
	t("model of UA_FIELD_MAX - 1 bytes", ua, 1, "yealink.com", f63,
	    "66.86.0.15", "");
	memset(f64, '1', sizeof(f64) - 1);
	f64[1] = '.';
	snprintf(ua, sizeof(ua), "Yealink SIP-T46S %s", f64);
	no("firmware of UA_FIELD_MAX bytes", ua);
	snprintf(ua, sizeof(ua), "FileTransport PolycomVVX-%s-UA/5.9.0.9373",
	    f63);
	t("Polycom model of UA_FIELD_MAX - 1 bytes", ua, 1, "polycom.com",
	    f63, "5.9.0.9373", "");
	snprintf(ua, sizeof(ua), "FileTransport PolycomVVX-%sM-UA/5.9.0.9373",
	    f63);
	no("Polycom model of UA_FIELD_MAX bytes", ua);
	/* "SPA-" + 60 bytes is 64 as sent, 63 once the '-' is gone. */
	snprintf(ua, sizeof(ua), "Cisco/SPA-%.60s-7.5.5", f63);
	snprintf(f64, sizeof(f64), "SPA%.60s", f63);
	t("SPA- model of 63 bytes once the '-' is gone", ua, 1, "cisco.com",
	    f64, "7.5.5", "");
	snprintf(ua, sizeof(ua), "Cisco/SPA-%.61s-7.5.5", f63);
	no("SPA- model of 64 bytes once the '-' is gone", ua);
	snprintf(ua, sizeof(ua),
	    "Mozilla/4.0 (compatible; snom%s-SIP 8.7.3.25)", f63);
	t("snom model of UA_FIELD_MAX - 1 bytes", ua, 1, "snom.com", f63,
	    "8.7.3.25", "");
	snprintf(ua, sizeof(ua),
	    "Mozilla/4.0 (compatible; snom%sM-SIP 8.7.3.25)", f63);
	no("snom model of UA_FIELD_MAX bytes", ua);
	snprintf(ua, sizeof(ua), "Cisco/%sM-7.5.5", f63);
	no("Cisco model of UA_FIELD_MAX bytes", ua);
	memset(f64, '1', sizeof(f64) - 1);
	f64[1] = '.';
	snprintf(ua, sizeof(ua), "Cisco/SPA504G-%s", f64);
	no("Cisco firmware of UA_FIELD_MAX bytes", ua);
	no("a browser", "Mozilla/5.0 (X11; Linux x86_64; rv:109.0) "
	    "Gecko/20100101 Firefox/115.0");
	no("curl", "curl/7.88.1");
	no("a Yealink SIP UA without the vendor", "W52P 25.30.0.2 "
	    "00:15:65:44:b3:7c");
	no("FileTransport alone", "FileTransport");
	no("Polycom without a version", "FileTransport PolycomVVX-VVX_410-UA/");
	no("Polycom without -UA",
	    "FileTransport PolycomVVX-VVX_410/5.9.0.9373");
	no("Polycom without a family",
	    "FileTransport Polycom-VVX_410-UA/5.9.0");
	no("Polycom without a model", "FileTransport PolycomVVX--UA/5.9.0");
	no("Polycom with only -UA", "FileTransport Polycom-UA/5.9.0");
	no("Poly/ without a model", "Poly/ 6.4.3");
	no("Poly/ without a version", "Poly/VVX_450");
	no("snom lid (no version)", "Mozilla/4.0 (compatible; snom lid 3605)");
	no("snom without -SIP", "Mozilla/4.0 (compatible; snom320 8.7.3.25)");
	no("snom -SIP and no model", "snom-SIP 8.7.3.25");
	no("snom not in the compatible comment",
	    "Mozilla/4.0 (X11; snom320-SIP 8.7.3.25)");
	no("Poly/ with a bad version", "Poly/VVX_450 abc");
	no("Mozilla without a blank",
	    "Mozilla/4.0(compatible; snom320-SIP 8.7)");
	no("Grandstream without a model", "Grandstream (GXP2170) 1.0.9.135");
	no("Grandstream with a bad version", "Grandstream GXP1625 1-0-4");
	no("Panasonic with a bad version", "Panasonic_KX-UTG300/abc");
	no("Grandstream alone", "Grandstream");
	no("Grandstream Model HW without SW", "Grandstream Model HW GXP2170");
	no("Grandstream SW without a version",
	    "Grandstream Model HW GXP2170 SW");
	no("Grandstream with two hardware words",
	    "Grandstream Model HW GXP2170 V1 V2 SW 1.0.9.135");
	no("Grandstream Model without HW", "Grandstream Model GXP2170 SW 1.0");
	no("Panasonic without a version", "Panasonic_KX-UTG300");
	no("Panasonic without a model", "Panasonic_/01.133");
	no("Panasonic with a space", "Panasonic KX-UTG300/01.133");
	no("Cisco without a version", "Cisco/SPA504G");
	no("Cisco without a model", "Cisco/-7.5.5");
	no("Cisco with an open suffix", "Cisco/SPA504G-7.5.5(");
	no("Linksys with an unclosed suffix", "Linksys/SPA942-6.1.5(a");
	no("Linksys with an empty suffix", "Linksys/SPA942-6.1.5()");
	no("Linksys with a suffix and junk", "Linksys/SPA942-6.1.5(a)x");

	/* Malformed MACs are dropped, the rest is kept. */
	t("short MAC", "Yealink SIP-T46S 66.86.0.15 00:15:65:aa:bb", 1,
	    "yealink.com", "T46S", "66.86.0.15", "");
	t("long MAC", "Yealink SIP-T46S 66.86.0.15 00:15:65:aa:bb:cc:dd", 1,
	    "yealink.com", "T46S", "66.86.0.15", "");
	t("13 hex digits", "Yealink SIP-T46S 66.86.0.15 001565aabbccd", 1,
	    "yealink.com", "T46S", "66.86.0.15", "");
	t("mixed separators", "Yealink SIP-T46S 66.86.0.15 00:15-65:aa:bb:cc",
	    1, "yealink.com", "T46S", "66.86.0.15", "");
	t("non-hex MAC", "Yealink SIP-T46S 66.86.0.15 00:15:65:aa:bb:cg", 1,
	    "yealink.com", "T46S", "66.86.0.15", "");
	t("MAC glued to junk", "Yealink SIP-T46S 66.86.0.15 001565aabbcc/x", 1,
	    "yealink.com", "T46S", "66.86.0.15", "");
	t("Polycom SN unclosed",
	    "FileTransport PolycomVVX-VVX_410-UA/5.9.0.9373 (SN:0004f2aabbcc",
	    1, "polycom.com", "VVX_410", "5.9.0.9373", "");
	t("Polycom SN too long",
	    "FileTransport PolycomVVX-VVX_410-UA/5.9.0.9373 (SN:0004f2aabbccd)",
	    1, "polycom.com", "VVX_410", "5.9.0.9373", "");
	t("snom 13 hex digits are not a MAC",
	    "Mozilla/4.0 (compatible; snom710-SIP 8.7.5.35 0004137417670)", 1,
	    "snom.com", "710", "8.7.5.35", "");
	t("Panasonic 11 hex digits (as in FusionPBX's comment)",
	    "Panasonic_KX-UT670/01.022 (0080f000000)", 1, "panasonic.com",
	    "KX-UT670", "01.022", "");
	t("Panasonic MAC unclosed", "Panasonic_KX-UTG300/01.133 (0080f0aabbcc",
	    1, "panasonic.com", "KX-UTG300", "01.133", "");
	t("Grandstream long form without DevId",
	    "Grandstream Model HW GXP2170 SW 1.0.9.135", 1, "grandstream.com",
	    "GXP2170", "1.0.9.135", "");
	t("Grandstream DevId not a MAC",
	    "Grandstream Model HW GXP2170 SW 1.0.9.135 DevId 000b82aabbc", 1,
	    "grandstream.com", "GXP2170", "1.0.9.135", "");
	t("Cisco lone group is the serial, even if hex",
	    "Cisco/SPA504G-7.5.5 (0018b9aabbcc)", 1, "cisco.com", "SPA504G",
	    "7.5.5", "");

	/* Vendor names are case-insensitive. */
	t(NULL, "YEALINK SIP-T46S 66.86.0.15 00:15:65:AA:BB:CC", 1,
	    "yealink.com", "T46S", "66.86.0.15", "001565aabbcc");
	t(NULL, "filetransport POLYCOMVVX-VVX_410-ua/5.9.0.9373", 1,
	    "polycom.com", "VVX_410", "5.9.0.9373", "");
	t(NULL, "MOZILLA/4.0 (COMPATIBLE; SNOM320-SIP 8.7.3.25 1.1.3-u)", 1,
	    "snom.com", "320", "8.7.3.25", "");
	t(NULL, "GRANDSTREAM model hw GXP2170 sw 1.0.9.135 devid 000B82AABBCC",
	    1, "grandstream.com", "GXP2170", "1.0.9.135", "000b82aabbcc");
	t(NULL, "PANASONIC_KX-UTG300/01.133 (0080f0aabbcc)", 1,
	    "panasonic.com", "KX-UTG300", "01.133", "0080f0aabbcc");
	t(NULL, "cisco/SPA504G-7.5.5 (0018b9aabbcc)(CCQ162306EA)", 1,
	    "cisco.com", "SPA504G", "7.5.5", "0018b9aabbcc");
	t(NULL, "LINKSYS/SPA942-6.1.5(a) (4MM00F903042)", 1, "cisco.com",
	    "SPA942", "6.1.5", "");
	t("leading and doubled blanks",
	    "  Yealink \t SIP-T46S  66.86.0.15\t00:15:65:aa:bb:cc  ", 1,
	    "yealink.com", "T46S", "66.86.0.15", "001565aabbcc");

	/* Yealink. */
	t(NULL, "Yealink SIP-T46S 66.86.0.15 00:15:65:aa:bb:cc", 1,
	    "yealink.com", "T46S", "66.86.0.15", "001565aabbcc");
	t(NULL, "Yealink SIP-T54W 96.85.0.5 24:9a:d8:12:34:56", 1,
	    "yealink.com", "T54W", "96.85.0.5", "249ad8123456");
	t(NULL, "yealink W60B 77.83.0.85 80:5e:c0:09:ab:dc", 1, "yealink.com",
	    "W60B", "77.83.0.85", "805ec009abdc");
	t(NULL, "Yealink SIP VP-T49G 51.80.0.10 00:15:65:9b:5a:44", 1,
	    "yealink.com", "VP-T49G", "51.80.0.10", "0015659b5a44");
	t(NULL, "Yealink SIP-T38G  38.70.0.125 00:15:65:2f:c3:5e", 1,
	    "yealink.com", "T38G", "38.70.0.125", "0015652fc35e");
	t(NULL, "Yealink SIP-T19P_E2 53.80.0.3 00:15:65:4c:4c:26", 1,
	    "yealink.com", "T19P_E2", "53.80.0.3", "0015654c4c26");
	t(NULL, "Yealink CP860 37.72.0.5 00:15:65:8a:37:86", 1, "yealink.com",
	    "CP860", "37.72.0.5", "0015658a3786");
	t(NULL, "Yealink SIP-W52P 25.73.0.20 00:15:65:40:ae:35", 1,
	    "yealink.com", "W52P", "25.73.0.20", "00156540ae35");
	t(NULL, "Yealink-T46G 28.71.0.81 28.1.0.128.0.0.0", 1, "yealink.com",
	    "T46G", "28.71.0.81", "");
	t(NULL, "Yealink SIP-T33G 124.86.0.118 24:9A:D8:1E:83:FA", 1,
	    "yealink.com", "T33G", "124.86.0.118", "249ad81e83fa");
	t(NULL, "Yealink SIP-T54W 96.85.0.5 249ad8123456", 1, "yealink.com",
	    "T54W", "96.85.0.5", "249ad8123456");
	t(NULL, "Yealink SIP-T54W 96.85.0.5", 1, "yealink.com", "T54W",
	    "96.85.0.5", "");

	/* Polycom and Poly. */
	t(NULL, "FileTransport PolycomVVX-VVX_410-UA/5.9.0.9373", 1,
	    "polycom.com", "VVX_410", "5.9.0.9373", "");
	t(NULL, "FileTransport PolycomSoundPointIP-SPIP_650-UA/4.0.15.1009", 1,
	    "polycom.com", "SPIP_650", "4.0.15.1009", "");
	t(NULL, "FileTransport PolycomVVX-VVX_410-UA/5.9.0.9373 "
	    "(SN:0004f2aabbcc) Type/Application", 1, "polycom.com", "VVX_410",
	    "5.9.0.9373", "0004f2aabbcc");
	t(NULL, "FileTransport PolycomSoundStationIP-SSIP_5000-UA/4.0.3.7562 "
	    "(SN:0004f2e765da) Type/Application", 1, "polycom.com",
	    "SSIP_5000", "4.0.3.7562", "0004f2e765da");
	t(NULL, "FileTransport PolycomSoundPointIP-SPIP_550-UA/4.0.15.1047 "
	    "(SN:0004A11A1A1A) Type/Application", 1, "polycom.com", "SPIP_550",
	    "4.0.15.1047", "0004a11a1a1a");
	t(NULL, "FileTransport PolycomVVX-VVX_500-UA/5.9.7.47435 Type/Updater",
	    1, "polycom.com", "VVX_500", "5.9.7.47435", "");
	t(NULL, "FileTransport PolycomVVX-VVX_101-UA/5.4.3.1014 "
	    "Type/Application", 1, "polycom.com", "VVX_101", "5.4.3.1014", "");
	t(NULL, "FileTransport PolyEdge-Edge_E450-UA/8.0.0.15602 "
	    "Type/Application", 1, "polycom.com", "Edge_E450", "8.0.0.15602",
	    "");
	t(NULL, "FileTransport PolycomRealPresenceTrio-Trio_8800-UA/"
	    "5.9.5.3185 Type/Application", 1, "polycom.com", "Trio_8800",
	    "5.9.5.3185", "");
	t(NULL, "Poly/VVX_450 6.4.3.5018", 1, "polycom.com", "VVX_450",
	    "6.4.3.5018", "");

	/* Snom. */
	t(NULL, "Mozilla/4.0 (compatible; snom320-SIP 8.7.3.25 1.1.3-u)", 1,
	    "snom.com", "320", "8.7.3.25", "");
	t(NULL, "Mozilla/4.0 (compatible; snomD785-SIP 10.1.54.13 "
	    "2010.12-00004-g9ba52f5 000413922D24 SXM:0 UXM:0)", 1, "snom.com",
	    "D785", "10.1.54.13", "000413922d24");
	t(NULL, "snom760-SIP 8.7.5.35", 1, "snom.com", "760", "8.7.5.35", "");
	t(NULL, "Mozilla/4.0 (compatible; snom710-SIP 8.7.5.35 "
	    "1.1.5-IFX-05.01.12 000413741767)", 1, "snom.com", "710",
	    "8.7.5.35", "000413741767");
	t(NULL, "Mozilla/4.0 (compatible; snomD785-SIP 10.1.169.16 "
	    "2010.12-00001-gd311851f1 (Feb 25 2019 - 14:19:43) 00041396D9B4 "
	    "SXM:0 UXM:0 UXMC:0)", 1, "snom.com", "D785", "10.1.169.16",
	    "00041396d9b4");
	t(NULL, "Mozilla/4.0 (compatible; snom320-SIP 6.5.20; snom320 jffs2 "
	    "v3.36; snom320 linux 3.38)", 1, "snom.com", "320", "6.5.20", "");
	t(NULL, "Mozilla/4.0 (compatible; snomPA1-SIP 8.4.35 1.1.3-s)", 1,
	    "snom.com", "PA1", "8.4.35", "");
	t(NULL, "Mozilla/4.0 (compatible; snom870-SIP 8.4.35 SPEAr300 SNOM "
	    "1.4)", 1, "snom.com", "870", "8.4.35", "");
	t(NULL, "Mozilla/4.0 (compatible; Snom M900 05.20.0001 000413b60680)",
	    1, "snom.com", "M900", "05.20.0001", "000413b60680");

	/* Grandstream. */
	t(NULL, "Grandstream Model HW GXP2170 SW 1.0.9.135 DevId 000b82aabbcc",
	    1, "grandstream.com", "GXP2170", "1.0.9.135", "000b82aabbcc");
	t(NULL, "Grandstream GXP1625 1.0.4.128 000b82aabbcc", 1,
	    "grandstream.com", "GXP1625", "1.0.4.128", "000b82aabbcc");
	t(NULL, "Grandstream Model HW HT801 V1.1A SW 1.0.17.5 DevId "
	    "c074ad273a10", 1, "grandstream.com", "HT801", "1.0.17.5",
	    "c074ad273a10");
	t(NULL, "Grandstream Model HW GXV3240 V1.6B SW 1.0.1.27 DevId "
	    "000b82632815", 1, "grandstream.com", "GXV3240", "1.0.1.27",
	    "000b82632815");
	t(NULL, "Grandstream Model HW GRP2601W SW 1.0.7.32 DevId "
	    "EC:74:D7:89:1A:76", 1, "grandstream.com", "GRP2601W", "1.0.7.32",
	    "ec74d7891a76");
	t(NULL, "Grandstream Model HW GXP1405 SW 1.0.4.23 DevId 000b8240d55c",
	    1, "grandstream.com", "GXP1405", "1.0.4.23", "000b8240d55c");
	t(NULL, "Grandstream HT802 1.0.17.5", 1, "grandstream.com", "HT802",
	    "1.0.17.5", "");

	/* Panasonic. */
	t(NULL, "Panasonic_KX-UTG300/01.133 (0080f0aabbcc)", 1,
	    "panasonic.com", "KX-UTG300", "01.133", "0080f0aabbcc");
	t(NULL, "Panasonic_KX-TGP600/06.001 (0080F0AABBCC)", 1,
	    "panasonic.com", "KX-TGP600", "06.001", "0080f0aabbcc");
	t(NULL, "Panasonic_KX-HDV130/01.102 (0080f0112233)", 1,
	    "panasonic.com", "KX-HDV130", "01.102", "0080f0112233");
	t(NULL, "Panasonic_KX-UT670/01.022", 1, "panasonic.com", "KX-UT670",
	    "01.022", "");

	/* Cisco and Linksys SPA. */
	t(NULL, "Cisco/SPA504G-7.5.5 (0018b9aabbcc)(CCQ162306EA)", 1,
	    "cisco.com", "SPA504G", "7.5.5", "0018b9aabbcc");
	t(NULL, "Linksys/SPA942-6.1.5(a) (4MM00F903042)", 1, "cisco.com",
	    "SPA942", "6.1.5", "");
	t(NULL, "Cisco/SPA501G-7.4.4 (8843E157DDCC)(CBT141100HR)", 1,
	    "cisco.com", "SPA501G", "7.4.4", "8843e157ddcc");
	t(NULL, "Cisco/SPA508G-7.4.8a (0002FDFF2103)(CBT141400UK)", 1,
	    "cisco.com", "SPA508G", "7.4.8a", "0002fdff2103");
	t(NULL, "Cisco/SPA525G-7.4.7 (CBT141900G7)", 1, "cisco.com",
	    "SPA525G", "7.4.7", "");
	t(NULL, "Linksys/SPA-962-6.1.5(a) (88019FA42805)", 1, "cisco.com",
	    "SPA962", "6.1.5", "");
	t(NULL, "Cisco/SPA504G-7.4.9c (001565000000)(CCQ162306EA)", 1,
	    "cisco.com", "SPA504G", "7.4.9c", "001565000000");
	t(NULL, "Linksys/PAP2T-5.1.6(LS)", 1, "cisco.com", "PAP2T", "5.1.6",
	    "");
	t("a version with a '-' in it",
	    "Cisco/SPA112-1.4.1-SR5 (0018b9aabbcc)(CCQ1)", 1, "cisco.com",
	    "SPA112", "1.4.1-SR5", "0018b9aabbcc");

	/* A failed parse after a good one leaves nothing behind. */
	(void)useragent_parse("Yealink SIP-T46S 66.86.0.15", &ui);
	ok(useragent_parse("Yealink SIP-T46S", &ui) == 0 &&
	    ui.vendor[0] == '\0' && ui.model[0] == '\0' &&
	    ui.firmware[0] == '\0' && ui.mac[0] == '\0',
	    "fields cleared after a partial match");

	return tap_done();
}
