#ifndef LICENSE_SERVER_COPENSSL_SHIM_H
#define LICENSE_SERVER_COPENSSL_SHIM_H

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

/* OpenSSL's per-thread queue of error reasons: takes the oldest into buffer (NUL-terminated) and
   returns 1, or returns 0 when the queue is empty. Here, below both wrappers of OpenSSL
   (LicenseCrypto and HTTPSClient), so that neither imports the other for it. */
static inline int license_openssl_next_error(char *buffer, size_t length) {
    unsigned long error = ERR_get_error();
    if (error == 0) return 0;
    ERR_error_string_n(error, buffer, length);
    return 1;
}

#endif
