/* libcrypto, loaded lazily with dlopen. A function that calls out loads libcurl, which brings
   the shared libcrypto.so.3; a static copy of OpenSSL in the same (static) process crashed in
   OPENSSL_init_ssl, so the runtime uses the shared library here too: one OpenSSL per process. */
#include "ccrypto_shim.h"
#include "foreign_thread.h"
#include "library_loader.h"
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static void *lib;
static char load_error[256];
static pthread_once_t load_once = PTHREAD_ONCE_INIT;

static const EVP_MD *(*p_sha1)(void);
static const EVP_MD *(*p_sha256)(void);
static unsigned char *(*p_hmac)(const EVP_MD *, const void *, int, const unsigned char *, size_t, unsigned char *, unsigned int *);
static int (*p_digest)(const void *, size_t, unsigned char *, unsigned int *, const EVP_MD *, ENGINE *);
static int (*p_memcmp)(const void *, const void *, size_t);
static int (*p_rand)(unsigned char *, int);

static void do_load(void) {
    static const char *names[] = {"libcrypto.so.3", "libcrypto.so", NULL};
    /* BUNDLE_LIBCRYPTO names the library file for an OpenSSL installed elsewhere. */
    const char *chosen = getenv("BUNDLE_LIBCRYPTO");
    if (chosen && *chosen) { names[0] = chosen; names[1] = NULL; }
    const shim_symbol symbols[] = {
        {"EVP_sha1", (void **)&p_sha1}, {"EVP_sha256", (void **)&p_sha256}, {"HMAC", (void **)&p_hmac},
        {"EVP_Digest", (void **)&p_digest}, {"CRYPTO_memcmp", (void **)&p_memcmp}, {"RAND_bytes", (void **)&p_rand},
    };
    lib = shim_open("libcrypto", "libssl3 / libssl-dev", names, symbols, sizeof symbols / sizeof *symbols,
                    load_error, sizeof load_error);
}

static void load_job(void *arg) { pthread_once(&load_once, do_load); *(int *)arg = lib ? 0 : -1; }

int ccrypto_load(void) {
    int rc;
    foreign_run(load_job, &rc);
    return rc;
}

const char *ccrypto_load_error(void) { return load_error; }

typedef struct crypto_args {
    int op, sha256;
    const void *a, *b;
    size_t a_len, b_len;
    unsigned char *out;
    int rc;
} crypto_args;

static const unsigned char empty = 0;

static void crypto_job(void *arg) {
    crypto_args *c = arg;
    unsigned int n = 0;
    switch (c->op) {
    case 0:
        c->rc = p_hmac(c->sha256 ? p_sha256() : p_sha1(), c->a_len ? c->a : &empty, (int)c->a_len,
                       c->b_len ? c->b : &empty, c->b_len, c->out, &n) ? (int)n : -1;
        break;
    case 1:
        c->rc = p_digest(c->a_len ? c->a : &empty, c->a_len, c->out, &n, p_sha256(), NULL) ? (int)n : -1;
        break;
    case 2:
        c->rc = p_memcmp(c->a, c->b, c->a_len) == 0 ? 0 : 1;
        break;
    case 3:
        c->rc = p_rand(c->out, (int)c->a_len);
        break;
    }
}

static int run(crypto_args *c, int unavailable) {
    if (ccrypto_load() != 0) return unavailable;
    foreign_run(crypto_job, c);
    return c->rc;
}

int ccrypto_hmac(int sha256, const void *key, size_t key_len, const void *msg, size_t msg_len, unsigned char *out) {
    crypto_args c = {0, sha256, key, msg, key_len, msg_len, out, -1};
    return run(&c, -1);
}

int ccrypto_sha256(const void *data, size_t len, unsigned char *out) {
    crypto_args c = {1, 1, data, NULL, len, 0, out, -1};
    return run(&c, -1);
}

int ccrypto_memcmp(const void *a, const void *b, size_t len) {
    crypto_args c = {2, 0, a, b, len, len, NULL, -1};
    return run(&c, -1);
}

int ccrypto_random(unsigned char *out, int len) {
    crypto_args c = {3, 0, NULL, NULL, (size_t)len, 0, out, 0};
    return run(&c, 0);
}
