#ifndef CCURL_SHIM_H
#define CCURL_SHIM_H
/* Declarations only: libcurl is loaded with dlopen on first use (see CShims),
   so functions that make no outbound call never pay for its ~30 shared libraries. */
#include <curl/curl.h>
#endif
