#ifndef CCRYPTO_SHIM_PUBLIC_H
#define CCRYPTO_SHIM_PUBLIC_H
#include <stddef.h>

/// Loads libcrypto with dlopen on first call. Returns 0 when usable, -1 otherwise
/// (then ccrypto_load_error() says why). Safe to call many times, from any thread.
int ccrypto_load(void);
const char *ccrypto_load_error(void);

/// HMAC with SHA-1 (`sha256` = 0) or SHA-256 (`sha256` = 1). `out` holds at least 64 bytes;
/// returns the digest length, or -1 when libcrypto is unavailable.
int ccrypto_hmac(int sha256, const void *key, size_t key_len, const void *msg, size_t msg_len, unsigned char *out);
/// SHA-256 of `data` into `out` (32 bytes); returns 32, or -1.
int ccrypto_sha256(const void *data, size_t len, unsigned char *out);
/// Constant-time comparison: 0 when equal; -1 when libcrypto is unavailable.
int ccrypto_memcmp(const void *a, const void *b, size_t len);
/// Fills `out` with `len` random bytes; returns 1 on success.
int ccrypto_random(unsigned char *out, int len);

#endif
