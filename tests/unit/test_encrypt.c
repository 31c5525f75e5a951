/*
 * test_encrypt: the encrypted-file writers (issue 5) against the stock
 * openssl CLI, no mocks.  Bad input first; then each mode encrypts a
 * 4 KB configuration, openssl decrypts it and the bytes must match; then
 * determinism (NOTES-apis.md §4, RFC 6011 §2.4): the same key, seed and
 * plaintext give the same bytes in this process, in other threads and in
 * a freshly exec'd copy of this program (another address layout), and
 * another seed or key gives other bytes.  Keys and self-signed
 * certificates (RSA-2048, EC P-256, Ed25519) are made with openssl in a
 * temporary directory.  Skips with 77 when the openssl CLI is missing.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "encrypt.h"
#include "tap.h"

#define PLAIN_LEN	4096
#define OUT_MAX		(1U << 20)
#define CMD_MAX		(PATH_MAX * 4)
#define NTHREADS	4

enum job { J_MD5, J_PWD, J_RSA, J_EC, J_COUNT };

static const char *job_name[J_COUNT] = { "md5", "pwd", "rsa", "ec" };
static const enum enc_mode job_mode[J_COUNT] = {
	ENC_OPENSSL_MD5, ENC_CMS_PASSWORD, ENC_CMS_CERT, ENC_CMS_CERT
};

static char		 dir[] = "/tmp/test_encrypt.XXXXXX";
static unsigned char	 key1[ENC_KEY_LEN], key2[ENC_KEY_LEN];
static char		 hex1[2 * ENC_KEY_LEN + 1], hex2[2 * ENC_KEY_LEN + 1];
static unsigned char	 plain[PLAIN_LEN];
static char		*rsa_pem, *ec_pem, *ed_pem;
static const char	 seed1[] = "\"3f2a9c0e-etag\"";

static void
hex(const unsigned char *p, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	size_t	 i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hx[p[i] >> 4];
		out[2 * i + 1] = hx[p[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

/* A 4 KB provisioning file: text lines, a CRLF line, a few raw bytes. */
static void
make_plain(void)
{
	size_t	 n = 0, i = 0;
	int	 w;

	while (n < PLAIN_LEN - 128) {
		w = snprintf((char *)plain + n, PLAIN_LEN - n,
		    "account.%zu.sip_server.1.address = sip%zu.example.com\n"
		    "account.%zu.auth_name = user%zu\r\n", i, i, i, i);
		if (w < 0 || (size_t)w >= PLAIN_LEN - n)
			break;
		n += (size_t)w;
		i++;
	}
	for (; n < PLAIN_LEN; n++)
		plain[n] = (unsigned char)(n * 7);	/* NUL, 0xff, ... */
}

static int
make_keys(void)
{
	size_t	 i;

	for (i = 0; i < ENC_KEY_LEN; i++) {
		key1[i] = (unsigned char)(0xa5 ^ (i * 29));
		key2[i] = key1[i];
	}
	key2[ENC_KEY_LEN - 1] ^= 0x01;
	hex(key1, ENC_KEY_LEN, hex1);
	hex(key2, ENC_KEY_LEN, hex2);
	return 0;
}

static int
path(char *out, size_t outlen, const char *name)
{
	int	 n = snprintf(out, outlen, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

/* Run a shell command built from fmt; its stderr goes to dir/stderr. */
static int
run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
run(const char *fmt, ...)
{
	char	 cmd[CMD_MAX];
	va_list	 ap;
	int	 n, st;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd) - 32 - PATH_MAX, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(cmd) - 32 - PATH_MAX)
		return -1;
	snprintf(cmd + n, sizeof(cmd) - (size_t)n, " 2>%s/stderr", dir);
	st = system(cmd);
	return st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static void
show_stderr(void)
{
	char	 p[PATH_MAX], line[512];
	FILE	*f;

	if (path(p, sizeof(p), "stderr") == -1 || (f = fopen(p, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL)
		printf("#   openssl: %s", line);
	fclose(f);
}

static int
write_file(const char *name, const void *p, size_t n)
{
	char	 fp[PATH_MAX];
	FILE	*f;
	int	 ok;

	if (path(fp, sizeof(fp), name) == -1 || (f = fopen(fp, "wb")) == NULL)
		return -1;
	ok = fwrite(p, 1, n, f) == n;
	return fclose(f) == 0 && ok ? 0 : -1;
}

/* The whole file into b (bounded by b's max); -1 if missing. */
static int
read_file(const char *name, struct buf *b)
{
	char	 fp[PATH_MAX], chunk[4096];
	FILE	*f;
	size_t	 n;

	buf_init(b, OUT_MAX);
	if (path(fp, sizeof(fp), name) == -1 || (f = fopen(fp, "rb")) == NULL)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(b, chunk, n);
	fclose(f);
	return b->failed ? -1 : 0;
}

static char *
slurp(const char *name)
{
	struct buf	 b;

	if (read_file(name, &b) == -1 || b.len == 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b, NULL);
}

static const char *
job_cert(enum job j)
{
	return j == J_RSA ? rsa_pem : j == J_EC ? ec_pem : NULL;
}

static int
enc(enum job j, const unsigned char *key, const char *seed, const void *in,
    size_t inlen, struct buf *out)
{
	char	 err[256];
	int	 rc;

	buf_init(out, OUT_MAX);
	rc = enc_encrypt(job_mode[j], key, job_cert(j), seed, in, inlen, out,
	    err, sizeof(err));
	if (rc == -1)
		printf("#   %s: %s\n", job_name[j], err);
	return rc;
}

static int
same(const struct buf *a, const struct buf *b)
{
	return a->len == b->len && a->len > 0 &&
	    memcmp(a->data, b->data, a->len) == 0;
}

/* Decrypt dir/<name> with the stock CLI for job j into dir/<name>.out. */
static int
cli_decrypt(enum job j, const char *name, const char *hexkey)
{
	switch (j) {
	case J_MD5:
		return run("openssl enc -d -aes-256-cbc -md md5 -pass pass:%s "
		    "-in %s/%s -out %s/%s.out", hexkey, dir, name, dir, name);
	case J_PWD:
		return run("openssl cms -decrypt -binary -inform DER -in %s/%s "
		    "-pwri_password %s -out %s/%s.out", dir, name, hexkey, dir,
		    name);
	case J_RSA:
	case J_EC:
		return run("openssl cms -decrypt -binary -inform DER -in %s/%s "
		    "-recip %s/%s.pem -inkey %s/%s.key -out %s/%s.out", dir,
		    name, dir, job_name[j], dir, job_name[j], dir, name);
	default:
		return -1;
	}
}

/* Encrypt, decrypt with openssl, compare; 0 when the round trip holds. */
static int
round_trip(enum job j, const char *name, const void *in, size_t inlen)
{
	struct buf	 e, d;
	char		 outname[64];
	int		 rc = -1;

	if (enc(j, key1, seed1, in, inlen, &e) == -1)
		goto done;
	if (write_file(name, e.data, e.len) == -1)
		goto done;
	if (cli_decrypt(j, name, hex1) == -1) {
		show_stderr();
		goto done;
	}
	snprintf(outname, sizeof(outname), "%s.out", name);
	if (read_file(outname, &d) == 0 && d.len == inlen &&
	    (inlen == 0 || memcmp(d.data, in, inlen) == 0))
		rc = 0;
	buf_free(&d);
 done:
	buf_free(&e);
	return rc;
}

/* The salt the header promises, computed here independently. */
static int
expected_salt(const unsigned char *key, const char *seed,
    unsigned char mac[32])
{
	static const char	 label[] = "sipcfg enc salt v1";
	unsigned char		 msg[256];
	size_t			 n = strlen(label), m = strlen(seed);
	size_t			 maclen = 0;

	if (n + m > sizeof(msg))
		return -1;
	memcpy(msg, label, n);
	memcpy(msg + n, seed, m);
	return EVP_Q_mac(NULL, "HMAC", NULL, "SHA2-256", NULL, key,
	    ENC_KEY_LEN, msg, n + m, mac, 32, &maclen) != NULL &&
	    maclen == 32 ? 0 : -1;
}

/* Does `openssl cms -cmsout -print` of dir/name mention every needle? */
static int
cms_print_has(const char *name, const char *const *needles, size_t n)
{
	char	 cmd[CMD_MAX], line[1024];
	int	 found[8] = { 0 };
	FILE	*p;
	size_t	 i;
	int	 all = 1;

	if (n > 8)
		return 0;
	snprintf(cmd, sizeof(cmd), "openssl cms -cmsout -print -inform DER "
	    "-in %s/%s 2>/dev/null", dir, name);
	if ((p = popen(cmd, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), p) != NULL)
		for (i = 0; i < n; i++)
			if (strstr(line, needles[i]) != NULL)
				found[i] = 1;
	if (pclose(p) != 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!found[i]) {
			printf("#   %s: no \"%s\"\n", name, needles[i]);
			all = 0;
		}
	return all;
}

/* Bytes equal at the same offset: ~1/256 of the length for unrelated. */
static size_t
coincident(const struct buf *a, const struct buf *b)
{
	size_t	 i, n = 0, m = a->len < b->len ? a->len : b->len;

	for (i = 0; i < m; i++)
		if (a->data[i] == b->data[i])
			n++;
	return n;
}

/* Child mode: write every job's output for (key1, seed1, plain). */
static int
emit(const char *d)
{
	struct buf	 e;
	char		 name[64];
	int		 j;

	if (strlen(d) != strlen(dir))
		return 2;
	memcpy(dir, d, sizeof(dir));
	if ((rsa_pem = slurp("rsa.pem")) == NULL ||
	    (ec_pem = slurp("ec.pem")) == NULL)
		return 2;
	for (j = 0; j < J_COUNT; j++) {
		snprintf(name, sizeof(name), "child.%s", job_name[j]);
		if (enc((enum job)j, key1, seed1, plain, sizeof(plain),
		    &e) == -1 || write_file(name, e.data, e.len) == -1)
			return 1;
		buf_free(&e);
	}
	free(rsa_pem);
	free(ec_pem);
	return 0;
}

static int
spawn_child(void)
{
	char	 self[PATH_MAX];
	ssize_t	 n;
	pid_t	 pid;
	int	 st;

	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) <= 0)
		return -1;
	self[n] = '\0';
	fflush(stdout);
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		execl(self, self, "--emit", dir, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) == -1)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

struct thread_arg {
	const struct buf	*ref;	/* J_COUNT reference outputs */
	int			 ok;
};

static void *
thread_main(void *v)
{
	struct thread_arg	*a = v;
	struct buf		 e;
	int			 round, j;

	a->ok = 1;
	for (round = 0; round < 2; round++)
		for (j = 0; j < J_COUNT; j++) {
			if (enc((enum job)j, key1, seed1, plain,
			    sizeof(plain), &e) == -1 || !same(&e, &a->ref[j]))
				a->ok = 0;
			buf_free(&e);
		}
	return NULL;
}

static void
test_mode_names(void)
{
	static const enum enc_mode all[] = {
		ENC_NONE, ENC_CMS_PASSWORD, ENC_CMS_CERT, ENC_OPENSSL_MD5
	};
	enum enc_mode	 m;
	size_t		 i;
	const char	*s;
	int		 good = 1;

	m = ENC_CMS_CERT;
	ok(enc_mode_parse(NULL, &m) == -1 && m == ENC_CMS_CERT,
	    "parse NULL refused, mode untouched");
	ok(enc_mode_parse("", &m) == -1, "parse \"\" refused");
	ok(enc_mode_parse("aes", &m) == -1, "parse unknown name refused");
	ok(enc_mode_parse("CMS-CERT", &m) == -1, "names are exact");
	ok(enc_mode_parse("cms-cert ", &m) == -1, "no trailing junk");
	ok(enc_mode_name((enum enc_mode)42) == NULL, "name of a non-mode");
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		s = enc_mode_name(all[i]);
		if (s == NULL || enc_mode_parse(s, &m) == -1 || m != all[i])
			good = 0;
	}
	ok(good, "enc_mode_name/enc_mode_parse round trip, all four modes");
	ok(enc_mode_parse("cms-password", &m) == 0 && m == ENC_CMS_PASSWORD &&
	    enc_mode_parse("cms-cert", &m) == 0 && m == ENC_CMS_CERT &&
	    enc_mode_parse("openssl-enc-md5", &m) == 0 &&
	    m == ENC_OPENSSL_MD5 && enc_mode_parse("none", &m) == 0 &&
	    m == ENC_NONE, "the documented names");
}

static void
test_bad_input(void)
{
	struct buf	 out, small;
	char		 err[256], tiny[8];
	static const char junk_pem[] = "-----BEGIN CERTIFICATE-----\n"
	    "MIIBbad=\n-----END CERTIFICATE-----\n";
	int		 j;

	buf_init(&out, OUT_MAX);
	ok(enc_encrypt(ENC_CMS_PASSWORD, NULL, NULL, seed1, plain, 10, &out,
	    err, sizeof(err)) == -1 && strstr(err, "key"),
	    "NULL key: %s", err);
	ok(enc_encrypt((enum enc_mode)42, key1, NULL, seed1, plain, 10, &out,
	    err, sizeof(err)) == -1 && strstr(err, "unknown"),
	    "unknown mode: %s", err);
	ok(enc_encrypt(ENC_NONE, key1, NULL, seed1, plain, 10, &out, err,
	    sizeof(err)) == -1, "mode none does not encrypt: %s", err);
	ok(enc_encrypt(ENC_CMS_CERT, key1, NULL, seed1, plain, 10, &out, err,
	    sizeof(err)) == -1 && strstr(err, "certificate"),
	    "cms-cert without a certificate: %s", err);
	ok(enc_encrypt(ENC_CMS_CERT, key1, "garbage, not PEM", seed1, plain,
	    10, &out, err, sizeof(err)) == -1 && strstr(err, "certificate") &&
	    strchr(err, '\n') == NULL, "garbage certificate: %s", err);
	ok(enc_encrypt(ENC_CMS_CERT, key1, junk_pem, seed1, plain, 10, &out,
	    err, sizeof(err)) == -1 && strstr(err, "certificate"),
	    "PEM armour around junk: %s", err);
	ok(enc_encrypt(ENC_CMS_CERT, key1, ed_pem, seed1, plain, 10, &out, err,
	    sizeof(err)) == -1 && strchr(err, '\n') == NULL,
	    "Ed25519 certificate cannot be a recipient: %s", err);
	ok(enc_encrypt(ENC_OPENSSL_MD5, key1, NULL, NULL, plain, 10, &out, err,
	    sizeof(err)) == -1 && strstr(err, "seed"), "NULL seed: %s", err);
	ok(enc_encrypt(ENC_OPENSSL_MD5, key1, NULL, seed1, NULL, 10, &out, err,
	    sizeof(err)) == -1, "NULL input with a length: %s", err);
	ok(enc_encrypt(ENC_CMS_PASSWORD, key1, NULL, seed1, plain,
	    (size_t)-1, &out, err, sizeof(err)) == -1 && strstr(err, "long"),
	    "input over the bound: %s", err);
	ok(enc_encrypt(ENC_CMS_PASSWORD, key1, NULL, seed1, plain, 10, NULL,
	    err, sizeof(err)) == -1, "NULL output: %s", err);
	ok(enc_encrypt(ENC_CMS_CERT, key1, NULL, seed1, plain, 10, &out, tiny,
	    sizeof(tiny)) == -1 && strlen(tiny) == sizeof(tiny) - 1,
	    "error text truncated to the caller's buffer: \"%s\"", tiny);
	ok(enc_encrypt(ENC_NONE, key1, NULL, seed1, plain, 10, &out, NULL,
	    0) == -1, "no error buffer at all");
	ok(out.len == 0 && !out.failed, "failures leave the output alone");
	for (j = 0; j < J_COUNT; j++) {
		buf_init(&small, 64);
		ok(enc_encrypt(job_mode[j], key1, job_cert((enum job)j), seed1,
		    plain, sizeof(plain), &small, err, sizeof(err)) == -1 &&
		    strstr(err, "bound"), "%s: output over the buffer bound: "
		    "%s", job_name[j], err);
		buf_free(&small);
	}
	buf_free(&out);
}

static void
test_round_trips(void)
{
	static const char *const pwd_needles[] = { "pkcs7-envelopedData",
	    "d.pwri", "PBKDF2", "INTEGER           :0186A0", "aes-256-cbc" };
	static const char *const rsa_needles[] = {
	    "id-smime-ct-authEnvelopedData", "d.ktri", "rsaEncryption",
	    "aes-256-gcm" };
	static const char *const ec_needles[] = {
	    "id-smime-ct-authEnvelopedData", "d.kari", "id-ecPublicKey",
	    "aes-256-gcm" };
	unsigned char	 mac[32];
	struct buf	 e, cli;
	char		 salt[17], name[64];
	int		 j;

	for (j = 0; j < J_COUNT; j++) {
		snprintf(name, sizeof(name), "%s.enc", job_name[j]);
		ok(round_trip((enum job)j, name, plain, sizeof(plain)) == 0,
		    "%s: 4 KB config, stock openssl decrypts it byte for byte",
		    job_name[j]);
		snprintf(name, sizeof(name), "%s.empty", job_name[j]);
		ok(round_trip((enum job)j, name, "", 0) == 0,
		    "%s: empty input round-trips", job_name[j]);
	}
	ok(cms_print_has("pwd.enc", pwd_needles, 5),
	    "cms-password: EnvelopedData, PWRI, PBKDF2 100000, AES-256-CBC");
	ok(cms_print_has("rsa.enc", rsa_needles, 4),
	    "cms-cert RSA: AuthEnvelopedData, KeyTransRecipientInfo, GCM");
	ok(cms_print_has("ec.enc", ec_needles, 4),
	    "cms-cert EC: AuthEnvelopedData, KeyAgreeRecipientInfo, GCM");

	/* The wrong secret must not open the files. */
	ok(cli_decrypt(J_PWD, "pwd.enc", hex2) == -1,
	    "cms-password: another key's password is refused");
	ok(run("openssl cms -decrypt -binary -inform DER -in %s/rsa.enc "
	    "-recip %s/ec.pem -inkey %s/ec.key -out %s/x.out", dir, dir, dir,
	    dir) == -1, "cms-cert: another recipient cannot decrypt");

	/*
	 * openssl-enc-md5 is exactly openssl enc with the derived salt (given
	 * with -S, openssl 3.0 writes no Salted__ header).
	 */
	ok(enc(J_MD5, key1, seed1, plain, sizeof(plain), &e) == 0 &&
	    expected_salt(key1, seed1, mac) == 0 && e.len > 16 &&
	    memcmp(e.data, "Salted__", 8) == 0 &&
	    memcmp(e.data + 8, mac, 8) == 0,
	    "md5: Salted__ || HMAC-SHA256(key, label || seed)[0..8]");
	hex(mac, 8, salt);
	ok(write_file("plain", plain, sizeof(plain)) == 0 &&
	    run("openssl enc -e -aes-256-cbc -md md5 -S %s -pass pass:%s "
	    "-in %s/plain -out %s/md5.cli", salt, hex1, dir, dir) == 0 &&
	    read_file("md5.cli", &cli) == 0 && e.len == cli.len + 16 &&
	    memcmp(e.data + 16, cli.data, cli.len) == 0,
	    "md5: after the header, `openssl enc -S salt` byte for byte");
	buf_free(&cli);
	buf_free(&e);
}

static void
test_determinism(void)
{
	struct buf		 ref[J_COUNT], e, f;
	struct thread_arg	 ta[NTHREADS];
	pthread_t		 th[NTHREADS];
	unsigned char		 other[PLAIN_LEN];
	char			 name[64];
	int			 j, i, nth = 0;

	for (j = 0; j < J_COUNT; j++) {
		if (enc((enum job)j, key1, seed1, plain, sizeof(plain),
		    &ref[j]) == -1)
			buf_init(&ref[j], OUT_MAX);
		ok(enc((enum job)j, key1, seed1, plain, sizeof(plain),
		    &e) == 0 && same(&e, &ref[j]),
		    "%s: same key, seed and plaintext, same bytes (%zu)",
		    job_name[j], e.len);
		buf_free(&e);
		ok(enc((enum job)j, key1, "\"other-etag\"", plain,
		    sizeof(plain), &e) == 0 && !same(&e, &ref[j]) &&
		    coincident(&e, &ref[j]) < 512,
		    "%s: another seed, other bytes", job_name[j]);
		buf_free(&e);
		ok(enc((enum job)j, key2, seed1, plain, sizeof(plain),
		    &e) == 0 && !same(&e, &ref[j]) &&
		    coincident(&e, &ref[j]) < 512,
		    "%s: another key, other bytes", job_name[j]);
		buf_free(&e);
	}

	/*
	 * A seed wrongly reused for other bytes (the last byte changed):
	 * CMS draws fresh keys and IVs (the plaintext is in the DRBG's
	 * personalization), so ciphertext blocks do not line up.
	 */
	memcpy(other, plain, sizeof(other));
	other[sizeof(other) - 1] ^= 0x55;
	for (j = J_PWD; j < J_COUNT; j++) {
		ok(enc((enum job)j, key1, seed1, other, sizeof(other),
		    &e) == 0 && coincident(&e, &ref[j]) < 512,
		    "%s: reused seed, other plaintext: fresh key and IV "
		    "(%zu of %zu bytes coincide)", job_name[j],
		    coincident(&e, &ref[j]), e.len);
		buf_free(&e);
	}

	/* Another process, another address layout, the same bytes. */
	ok(spawn_child() == 0, "child process (re-exec) encrypted");
	for (j = 0; j < J_COUNT; j++) {
		snprintf(name, sizeof(name), "child.%s", job_name[j]);
		ok(read_file(name, &f) == 0 && same(&f, &ref[j]),
		    "%s: byte-identical in another process", job_name[j]);
		buf_free(&f);
	}

	/* Concurrent calls in threads, each the same as the reference. */
	for (i = 0; i < NTHREADS; i++) {
		ta[i].ref = ref;
		ta[i].ok = 0;
		if (pthread_create(&th[i], NULL, thread_main, &ta[i]) != 0)
			break;
		nth++;
	}
	for (i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < nth && ta[i].ok; i++)
		;
	ok(nth == NTHREADS && i == nth,
	    "%d threads x 2 rounds x 4 jobs concurrently: all identical",
	    NTHREADS);
	for (j = 0; j < J_COUNT; j++)
		buf_free(&ref[j]);
}

int
main(int argc, char **argv)
{
	int	 rc;

	make_plain();
	make_keys();
	if (argc == 3 && strcmp(argv[1], "--emit") == 0)
		return emit(argv[2]);

	if (system("openssl version >/dev/null 2>&1") != 0) {
		printf("1..0 # SKIP openssl CLI not found\n");
		return 77;
	}
	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp failed\n");
		return 1;
	}
	ok(run("openssl req -x509 -newkey rsa:2048 -nodes -keyout %s/rsa.key "
	    "-out %s/rsa.pem -subj /CN=rsa-phone -days 1", dir, dir) == 0 &&
	    run("openssl req -x509 -newkey ec -pkeyopt "
	    "ec_paramgen_curve:P-256 -nodes -keyout %s/ec.key -out %s/ec.pem "
	    "-subj /CN=ec-phone -days 1", dir, dir) == 0 &&
	    run("openssl req -x509 -newkey ed25519 -nodes -keyout %s/ed.key "
	    "-out %s/ed.pem -subj /CN=ed-phone -days 1", dir, dir) == 0 &&
	    (rsa_pem = slurp("rsa.pem")) != NULL &&
	    (ec_pem = slurp("ec.pem")) != NULL &&
	    (ed_pem = slurp("ed.pem")) != NULL,
	    "RSA-2048, EC P-256 and Ed25519 self-signed certificates made");
	if (rsa_pem == NULL || ec_pem == NULL || ed_pem == NULL) {
		show_stderr();
		printf("Bail out! cannot make test certificates\n");
		return 1;
	}

	test_mode_names();
	test_bad_input();
	test_round_trips();
	test_determinism();

	free(rsa_pem);
	free(ec_pem);
	free(ed_pem);
	rc = tap_done();
	if (rc == 0)
		run("rm -rf %s", dir);
	else
		printf("# files kept in %s\n", dir);
	return rc;
}
