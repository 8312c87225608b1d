#ifndef CCRYPTO_SHIM_H
#define CCRYPTO_SHIM_H
/* Declarations only: libcrypto is loaded with dlopen (see CShims). A function that calls
   out loads libcurl, which brings the shared libcrypto; a second, static copy of OpenSSL in the
   same process crashed there, so there is exactly one: the shared one. */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#endif
