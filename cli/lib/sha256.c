/* sha256.c: SHA-256 for build.json, stamps and uk flash's checks, from OpenSSL's libcrypto
 * (Debian's libssl-dev), which uses the CPU's SHA extensions where it has them: hashing the
 * 64 MiB sdcard.img is much of a clean build's time otherwise. */
#include "uk.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <unistd.h>

void sha256_init(struct sha256 *c)
{
	c->ctx = EVP_MD_CTX_new();
	if (!c->ctx || EVP_DigestInit_ex(c->ctx, EVP_sha256(), NULL) != 1) {
		fprintf(stderr, "uk: error: libcrypto cannot start a SHA-256 (out of memory?)\n");
		exit(EXIT_ENV);
	}
}

void sha256_update(struct sha256 *c, const void *data, size_t n)
{
	EVP_DigestUpdate(c->ctx, data, n);
}

void sha256_final(struct sha256 *c, unsigned char out[32])
{
	unsigned int len = 32;
	EVP_DigestFinal_ex(c->ctx, out, &len);
	EVP_MD_CTX_free(c->ctx);
	c->ctx = NULL;
}

void sha256_hex(const unsigned char d[32], char out[65])
{
	static const char hx[] = "0123456789abcdef";
	for (int i = 0; i < 32; i++) {
		out[2 * i] = hx[d[i] >> 4];
		out[2 * i + 1] = hx[d[i] & 15];
	}
	out[64] = 0;
}

void sha256_data_hex(const void *data, size_t n, char hex[65])
{
	struct sha256 h;
	unsigned char d[32];
	sha256_init(&h);
	sha256_update(&h, data, n);
	sha256_final(&h, d);
	sha256_hex(d, hex);
}

char *sha256_final_hex(struct sha256 *c)
{
	unsigned char d[32];
	char *hex = xmalloc(65);
	sha256_final(c, d);
	sha256_hex(d, hex);
	return hex;
}

/* Sparse images are mostly holes; reading them is still cheap enough (tens of MiB). */
int sha256_file(const char *path, char hex[65], uint64_t *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct sha256 c;
	unsigned char *buf = xmalloc(1 << 16); /* not static: two threads hash at once */
	ssize_t r;
	uint64_t n = 0;
	sha256_init(&c);
	while ((r = read(fd, buf, 1 << 16)) > 0) {
		sha256_update(&c, buf, (size_t)r);
		n += (uint64_t)r;
	}
	close(fd);
	free(buf);
	unsigned char d[32];
	sha256_final(&c, d); /* also on a read error: it frees the context */
	if (r < 0)
		return -1;
	sha256_hex(d, hex);
	if (size)
		*size = n;
	return 0;
}
