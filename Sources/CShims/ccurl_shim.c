/* Thin non-variadic bridge to libcurl, loaded lazily with dlopen.
   Swift cannot call curl_easy_setopt (variadic) directly; this file gives it
   fixed-signature entry points and keeps libcurl out of the process until the
   first outbound request. */
#include "ccurl_shim.h"
#include "foreign_thread.h"
#include "library_loader.h"
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *lib;
static char load_error[256];
static pthread_once_t load_once = PTHREAD_ONCE_INIT;

static CURLcode (*p_global_init)(long);
static CURL *(*p_easy_init)(void);
static void (*p_easy_cleanup)(CURL *);
static void (*p_easy_reset)(CURL *);
static CURLcode (*p_easy_setopt)(CURL *, CURLoption, ...);
static CURLcode (*p_easy_perform)(CURL *);
static CURLcode (*p_easy_getinfo)(CURL *, CURLINFO, ...);
static const char *(*p_easy_strerror)(CURLcode);
static struct curl_slist *(*p_slist_append)(struct curl_slist *, const char *);
static void (*p_slist_free_all)(struct curl_slist *);
static CURLM *(*p_multi_init)(void);
static CURLMcode (*p_multi_add_handle)(CURLM *, CURL *);
static CURLMcode (*p_multi_remove_handle)(CURLM *, CURL *);
static CURLMcode (*p_multi_perform)(CURLM *, int *);
static CURLMcode (*p_multi_poll)(CURLM *, struct curl_waitfd[], unsigned int, int, int *);
static CURLMsg *(*p_multi_info_read)(CURLM *, int *);

static void do_load(void) {
    static const char *const names[] = {"libcurl.so.4", "libcurl.so", NULL};
    const shim_symbol symbols[] = {
        {"curl_global_init", (void **)&p_global_init}, {"curl_easy_init", (void **)&p_easy_init},
        {"curl_easy_cleanup", (void **)&p_easy_cleanup}, {"curl_easy_reset", (void **)&p_easy_reset},
        {"curl_easy_setopt", (void **)&p_easy_setopt}, {"curl_easy_perform", (void **)&p_easy_perform},
        {"curl_easy_getinfo", (void **)&p_easy_getinfo}, {"curl_easy_strerror", (void **)&p_easy_strerror},
        {"curl_slist_append", (void **)&p_slist_append}, {"curl_slist_free_all", (void **)&p_slist_free_all},
        {"curl_multi_init", (void **)&p_multi_init}, {"curl_multi_add_handle", (void **)&p_multi_add_handle},
        {"curl_multi_remove_handle", (void **)&p_multi_remove_handle},
        {"curl_multi_perform", (void **)&p_multi_perform}, {"curl_multi_poll", (void **)&p_multi_poll},
        {"curl_multi_info_read", (void **)&p_multi_info_read},
    };
    lib = shim_open("libcurl", "libcurl4-openssl-dev", names, symbols, sizeof symbols / sizeof *symbols,
                    load_error, sizeof load_error);
    if (lib && p_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(load_error, sizeof load_error, "curl_global_init failed");
        lib = NULL;
    }
}

static void load_job(void *arg) { pthread_once(&load_once, do_load); *(int *)arg = lib ? 0 : -1; }

/* Set once libcurl is loaded: later calls skip the hand-off to the foreign thread. */
static _Atomic int loaded;

/* Debian's libcurl links librtmp and OpenLDAP, and through them GnuTLS, whose library constructor
   initialises it on load (~1 ms of a one-call process start here) although libcurl is only ever
   used here with CURLOPT_PROTOCOLS_STR "http,https" over OpenSSL. The variable is GnuTLS's
   documented switch for that constructor (gnutls_global_init(3)); one the operator set is kept.
   Only this process sees it: programs the invoker starts get an allowlisted environment.
   Set here, on the calling thread: the glibc a loaded libcrypto brought is pointed at the moved
   environment by foreign_run, before libcurl is opened. */
static pthread_once_t environment_once = PTHREAD_ONCE_INIT;
static void set_environment(void) { setenv("GNUTLS_NO_IMPLICIT_INIT", "1", 0); }

int ccurl_load(void) {
    if (loaded) return 0;
    pthread_once(&environment_once, set_environment);
    int rc;
    foreign_run(load_job, &rc);
    if (rc == 0) loaded = 1;
    return rc;
}

const char *ccurl_load_error(void) { return load_error; }

/* A handle has CURLOPT_NOSIGNAL from its creation (each transfer sets it again after its reset):
   libcurl saves, replaces and restores the process's SIGPIPE action around the calls of a handle
   without it — curl_easy_cleanup of one never used included — and a restore racing another
   thread's change of that action (a server ignoring SIGPIPE) can put back the default, after
   which one write to a closed pipe kills the process. */
static CURL *new_handle(void) {
    CURL *c = p_easy_init();
    if (c) p_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    return c;
}

static void new_job(void *arg) { *(void **)arg = new_handle(); }

void *ccurl_handle_new(void) {
    if (ccurl_load() != 0) return NULL;
    void *handle = NULL;
    foreign_run(new_job, &handle);
    return handle;
}

static void free_job(void *arg) { p_easy_cleanup((CURL *)arg); }

void ccurl_handle_free(void *handle) {
    if (handle && lib) foreign_run(free_job, handle);
}

typedef struct buffer { char *data; size_t len, cap; } buffer;

static size_t append(buffer *b, const char *p, size_t n) {
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->len + n + 1) cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d) return 0;
        b->data = d; b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
    return n;
}

static size_t on_body(char *p, size_t size, size_t n, void *user) { return append(user, p, size * n); }

static size_t on_header(char *p, size_t size, size_t n, void *user) {
    buffer *b = user;
    /* A new status line (after a redirect or 100-continue) restarts the block. */
    if (size * n >= 5 && memcmp(p, "HTTP/", 5) == 0) b->len = 0;
    return append(b, p, size * n);
}

static int perform(void *handle, const char *method, const char *url,
                   const char *const *headers, size_t nheaders,
                   const void *body, size_t body_len,
                   long connect_timeout_ms, long total_timeout_ms,
                   int fresh_connection, ccurl_result *out) {
    memset(out, 0, sizeof *out);
    if (!handle) {
        out->curl_code = CURLE_FAILED_INIT;
        snprintf(out->error, sizeof out->error, "%s", load_error[0] ? load_error : "no curl handle");
        return out->curl_code;
    }
    CURL *c = handle;
    buffer hb = {0}, bb = {0};
    struct curl_slist *list = NULL;
    p_easy_reset(c);
    for (size_t i = 0; i < nheaders; i++) list = p_slist_append(list, headers[i]);
    list = p_slist_append(list, "Expect:"); /* no 100-continue round trip */
    p_easy_setopt(c, CURLOPT_URL, url);
    p_easy_setopt(c, CURLOPT_HTTPHEADER, list);
    p_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    p_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    p_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    if (fresh_connection) p_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
    if (connect_timeout_ms > 0) p_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, connect_timeout_ms);
    if (total_timeout_ms > 0) p_easy_setopt(c, CURLOPT_TIMEOUT_MS, total_timeout_ms);
    if (strcmp(method, "GET") == 0) {
        p_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    } else if (strcmp(method, "HEAD") == 0) {
        p_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else {
        p_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
        if (body || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0) {
            p_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
            p_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
        }
    }
    p_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    p_easy_setopt(c, CURLOPT_WRITEDATA, &bb);
    p_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    p_easy_setopt(c, CURLOPT_HEADERDATA, &hb);
    char errbuf[CURL_ERROR_SIZE] = {0};
    p_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);

    CURLcode rc = p_easy_perform(c);
    long status = 0;
    p_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_off_t uploaded = 0;
    long request_size = 0;
    p_easy_getinfo(c, CURLINFO_REQUEST_SIZE, &request_size);
    p_easy_getinfo(c, CURLINFO_SIZE_UPLOAD_T, &uploaded);
    p_slist_free_all(list);
    p_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    p_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);

    out->status = status;
    out->curl_code = (int)rc;
    /* "sent" means the whole request reached the connection: a request cut off while its
     * headers or body were still being written cannot have been processed by the server. */
    out->sent = (request_size > 0 && uploaded >= (curl_off_t)body_len) ? 1 : 0;
    if (rc != CURLE_OK)
        snprintf(out->error, sizeof out->error, "%s", errbuf[0] ? errbuf : p_easy_strerror(rc));
    if (!hb.data) append(&hb, "", 0);
    if (!bb.data) append(&bb, "", 0);
    out->headers = hb.data; out->headers_len = hb.len;
    out->body = bb.data; out->body_len = bb.len;
    return out->curl_code;
}

typedef struct perform_args {
    void *handle; const char *method, *url; const char *const *headers; size_t nheaders;
    const void *body; size_t body_len; long connect_ms, total_ms; int fresh; ccurl_result *out; int rc;
} perform_args;

static void perform_job(void *arg) {
    perform_args *a = arg;
    a->rc = perform(a->handle, a->method, a->url, a->headers, a->nheaders, a->body, a->body_len,
                    a->connect_ms, a->total_ms, a->fresh, a->out);
}

int ccurl_perform(void *handle, const char *method, const char *url,
                  const char *const *headers, size_t nheaders,
                  const void *body, size_t body_len,
                  long connect_timeout_ms, long total_timeout_ms,
                  int fresh_connection, ccurl_result *out) {
    if (!handle) return perform(handle, method, url, headers, nheaders, body, body_len,
                                connect_timeout_ms, total_timeout_ms, fresh_connection, out);
    perform_args a = {handle, method, url, headers, nheaders, body, body_len,
                      connect_timeout_ms, total_timeout_ms, fresh_connection, out, 0};
    foreign_run(perform_job, &a);
    return a.rc;
}

void ccurl_result_free(ccurl_result *r) {
    free(r->headers); free(r->body);
    r->headers = NULL; r->body = NULL;
}

/* ---- Several GETs at once (curl's multi interface) -------------------------------------------
   The transfers run together on the foreign thread: one multi handle (its own connection cache,
   kept between calls) and a pool of easy handles. Used to read ahead in stream mode. */

static CURLM *multi;
static CURL *many_easy[CCURL_MANY_MAX];

typedef struct many_args {
    size_t n; const char *const *urls; const char *const *headers; const size_t *nheaders;
    long connect_ms, total_ms; ccurl_result *outs;
} many_args;

static void many_job(void *arg) {
    many_args *a = arg;
    size_t n = a->n > CCURL_MANY_MAX ? CCURL_MANY_MAX : a->n;
    if (!multi) multi = p_multi_init();
    buffer hb[CCURL_MANY_MAX], bb[CCURL_MANY_MAX];
    struct curl_slist *lists[CCURL_MANY_MAX];
    static char errbufs[CCURL_MANY_MAX][CURL_ERROR_SIZE];
    CURLcode codes[CCURL_MANY_MAX];
    int added[CCURL_MANY_MAX];
    memset(hb, 0, sizeof hb); memset(bb, 0, sizeof bb); memset(lists, 0, sizeof lists);
    memset(added, 0, sizeof added);
    size_t offset = 0;
    for (size_t i = 0; i < n; i++) {
        memset(&a->outs[i], 0, sizeof a->outs[i]);
        codes[i] = CURLE_FAILED_INIT;
        errbufs[i][0] = 0;
        if (!many_easy[i]) many_easy[i] = new_handle();
        CURL *c = many_easy[i];
        if (!multi || !c) { offset += a->nheaders[i]; continue; }
        p_easy_reset(c);
        for (size_t k = 0; k < a->nheaders[i]; k++) lists[i] = p_slist_append(lists[i], a->headers[offset + k]);
        offset += a->nheaders[i];
        lists[i] = p_slist_append(lists[i], "Expect:");
        p_easy_setopt(c, CURLOPT_URL, a->urls[i]);
        p_easy_setopt(c, CURLOPT_HTTPHEADER, lists[i]);
        p_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        p_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        p_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
        p_easy_setopt(c, CURLOPT_HTTPGET, 1L);
        if (a->connect_ms > 0) p_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, a->connect_ms);
        if (a->total_ms > 0) p_easy_setopt(c, CURLOPT_TIMEOUT_MS, a->total_ms);
        p_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        p_easy_setopt(c, CURLOPT_WRITEDATA, &bb[i]);
        p_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
        p_easy_setopt(c, CURLOPT_HEADERDATA, &hb[i]);
        p_easy_setopt(c, CURLOPT_ERRORBUFFER, errbufs[i]);
        added[i] = p_multi_add_handle(multi, c) == CURLM_OK;
    }
    int running = 1;
    while (running) {
        if (p_multi_perform(multi, &running) != CURLM_OK) break;
        if (running) p_multi_poll(multi, NULL, 0, 1000, NULL);
    }
    CURLMsg *m;
    int left;
    while ((m = p_multi_info_read(multi, &left))) {
        if (m->msg != CURLMSG_DONE) continue;
        for (size_t i = 0; i < n; i++)
            if (many_easy[i] == m->easy_handle) codes[i] = m->data.result;
    }
    for (size_t i = 0; i < n; i++) {
        ccurl_result *out = &a->outs[i];
        CURL *c = many_easy[i];
        if (added[i]) {
            long status = 0, request_size = 0;
            p_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
            p_easy_getinfo(c, CURLINFO_REQUEST_SIZE, &request_size);
            p_multi_remove_handle(multi, c);
            out->status = codes[i] == CURLE_OK ? status : 0;
            out->sent = request_size > 0;
        }
        if (c) { p_easy_setopt(c, CURLOPT_HTTPHEADER, NULL); p_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL); }
        if (lists[i]) p_slist_free_all(lists[i]);
        out->curl_code = (int)codes[i];
        if (codes[i] != CURLE_OK)
            snprintf(out->error, sizeof out->error, "%s", errbufs[i][0] ? errbufs[i] : p_easy_strerror(codes[i]));
        if (!hb[i].data) append(&hb[i], "", 0);
        if (!bb[i].data) append(&bb[i], "", 0);
        out->headers = hb[i].data; out->headers_len = hb[i].len;
        out->body = bb[i].data; out->body_len = bb[i].len;
    }
    for (size_t i = n; i < a->n; i++) {
        memset(&a->outs[i], 0, sizeof a->outs[i]);
        a->outs[i].curl_code = CURLE_FAILED_INIT;
        snprintf(a->outs[i].error, sizeof a->outs[i].error, "more than %d transfers at once", CCURL_MANY_MAX);
    }
}

int ccurl_get_many(size_t n, const char *const *urls, const char *const *headers, const size_t *nheaders,
                   long connect_timeout_ms, long total_timeout_ms, ccurl_result *outs) {
    if (ccurl_load() != 0) {
        for (size_t i = 0; i < n; i++) {
            memset(&outs[i], 0, sizeof outs[i]);
            outs[i].curl_code = CURLE_FAILED_INIT;
            snprintf(outs[i].error, sizeof outs[i].error, "%s", load_error);
        }
        return -1;
    }
    many_args a = {n, urls, headers, nheaders, connect_timeout_ms, total_timeout_ms, outs};
    foreign_run(many_job, &a);
    return 0;
}
