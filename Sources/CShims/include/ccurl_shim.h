#ifndef CCURL_SHIM_PUBLIC_H
#define CCURL_SHIM_PUBLIC_H
#include <stddef.h>

/// Outcome of one HTTP exchange performed through libcurl.
typedef struct ccurl_result {
    long status;            /* HTTP status, 0 when no response arrived */
    int curl_code;          /* CURLcode; 0 on success */
    char *headers;          /* raw response header block (all header lines), NUL terminated */
    size_t headers_len;
    char *body;             /* response body, NUL terminated */
    size_t body_len;
    int sent;               /* 1 when the whole request was written to the peer (it may have been processed) */
    char error[256];        /* curl's error text when curl_code != 0 */
} ccurl_result;

/// Loads libcurl with dlopen on first call. Returns 0 when usable, -1 otherwise
/// (then ccurl_load_error() says why). Safe to call many times.
int ccurl_load(void);
const char *ccurl_load_error(void);

/// A reusable transfer handle (keeps connections alive between calls).
void *ccurl_handle_new(void);
void ccurl_handle_free(void *handle);

/// Performs one request. `headers` holds `nheaders` "Name: value" strings.
/// Timeouts are in milliseconds (0 = none). With `fresh_connection` the request goes out on a
/// new connection: libcurl silently re-sends a request whose reused keep-alive connection died
/// before the answer, which must never happen to a write (the caller decides what to repeat).
/// Returns the CURLcode (0 = a response arrived).
int ccurl_perform(void *handle, const char *method, const char *url,
                  const char *const *headers, size_t nheaders,
                  const void *body, size_t body_len,
                  long connect_timeout_ms, long total_timeout_ms,
                  int fresh_connection, ccurl_result *out);
void ccurl_result_free(ccurl_result *result);

/// At most this many transfers of one `ccurl_get_many` call run (the rest fail).
#define CCURL_MANY_MAX 16

/// Performs `n` GET requests together (libcurl's multi interface, on its own connection cache)
/// and returns when all have ended. `headers` holds, one request after the other, `nheaders[i]`
/// "Name: value" strings for request i. Each `outs[i]` is filled as by `ccurl_perform` and must
/// be freed with `ccurl_result_free`. Returns 0, or -1 when libcurl cannot be loaded.
int ccurl_get_many(size_t n, const char *const *urls, const char *const *headers, const size_t *nheaders,
                   long connect_timeout_ms, long total_timeout_ms, ccurl_result *outs);

#endif
