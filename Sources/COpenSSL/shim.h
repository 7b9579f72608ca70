#ifndef COPENSSL_SHIM_H
#define COPENSSL_SHIM_H
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* Function-like macros Swift cannot import. */
static inline void COpenSSL_free(void *p) { OPENSSL_free(p); }
static inline long COpenSSL_BIO_get_mem_data(BIO *b, char **pp) { return BIO_get_mem_data(b, pp); }
static inline int COpenSSL_sk_X509_EXTENSION_num(const STACK_OF(X509_EXTENSION) *s) { return sk_X509_EXTENSION_num(s); }
static inline int COpenSSL_sk_GENERAL_NAME_num(const STACK_OF(GENERAL_NAME) *s) { return sk_GENERAL_NAME_num(s); }
static inline GENERAL_NAME *COpenSSL_sk_GENERAL_NAME_value(const STACK_OF(GENERAL_NAME) *s, int i) { return sk_GENERAL_NAME_value(s, i); }
static inline void COpenSSL_GENERAL_NAMES_free(STACK_OF(GENERAL_NAME) *s) { GENERAL_NAMES_free(s); }
static inline int COpenSSL_sk_POLICYINFO_num(const STACK_OF(POLICYINFO) *s) { return sk_POLICYINFO_num(s); }
static inline POLICYINFO *COpenSSL_sk_POLICYINFO_value(const STACK_OF(POLICYINFO) *s, int i) { return sk_POLICYINFO_value(s, i); }
static inline void COpenSSL_CERTIFICATEPOLICIES_free(STACK_OF(POLICYINFO) *s) { CERTIFICATEPOLICIES_free(s); }
#endif
