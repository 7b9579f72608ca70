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
#include <openssl/hmac.h>
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

/* Certificate extension readers: each copies URIs/OIDs out so Swift never walks OpenSSL stacks. */
static inline int COpenSSL_crl_urls(X509 *x, char **out, int max) {
    int n = 0;
    STACK_OF(DIST_POINT) *dps = X509_get_ext_d2i(x, NID_crl_distribution_points, NULL, NULL);
    if (!dps) return 0;
    for (int i = 0; i < sk_DIST_POINT_num(dps) && n < max; i++) {
        DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
        if (!dp->distpoint || dp->distpoint->type != 0) continue;
        GENERAL_NAMES *names = dp->distpoint->name.fullname;
        for (int j = 0; j < sk_GENERAL_NAME_num(names) && n < max; j++) {
            GENERAL_NAME *g = sk_GENERAL_NAME_value(names, j);
            if (g->type != GEN_URI) continue;
            out[n++] = OPENSSL_strndup((const char *)ASN1_STRING_get0_data(g->d.uniformResourceIdentifier),
                                       ASN1_STRING_length(g->d.uniformResourceIdentifier));
        }
    }
    CRL_DIST_POINTS_free(dps);
    return n;
}

static inline int COpenSSL_aia_urls(X509 *x, int method_nid, char **out, int max) {
    int n = 0;
    AUTHORITY_INFO_ACCESS *aia = X509_get_ext_d2i(x, NID_info_access, NULL, NULL);
    if (!aia) return 0;
    for (int i = 0; i < sk_ACCESS_DESCRIPTION_num(aia) && n < max; i++) {
        ACCESS_DESCRIPTION *ad = sk_ACCESS_DESCRIPTION_value(aia, i);
        if (OBJ_obj2nid(ad->method) != method_nid || ad->location->type != GEN_URI) continue;
        out[n++] = OPENSSL_strndup((const char *)ASN1_STRING_get0_data(ad->location->d.uniformResourceIdentifier),
                                   ASN1_STRING_length(ad->location->d.uniformResourceIdentifier));
    }
    AUTHORITY_INFO_ACCESS_free(aia);
    return n;
}

/* Writes each policy OID as dotted text into out[i] (80 bytes each). Returns the count, -1 if malformed. */
static inline int COpenSSL_policy_oids(X509 *x, char (*out)[80], int max) {
    int crit = 0;
    CERTIFICATEPOLICIES *pols = X509_get_ext_d2i(x, NID_certificate_policies, &crit, NULL);
    if (!pols) return crit == -1 ? 0 : -1;
    int n = 0;
    for (int i = 0; i < sk_POLICYINFO_num(pols) && n < max; i++) {
        POLICYINFO *pi = sk_POLICYINFO_value(pols, i);
        OBJ_obj2txt(out[n++], 80, pi->policyid, 1);
    }
    CERTIFICATEPOLICIES_free(pols);
    return n;
}

/* Dotted OIDs of all extensions, with their critical flags. */
static inline int COpenSSL_extension_oids(X509 *x, char (*out)[80], int *critical, int max) {
    int count = X509_get_ext_count(x), n = 0;
    for (int i = 0; i < count && n < max; i++) {
        X509_EXTENSION *e = X509_get_ext(x, i);
        OBJ_obj2txt(out[n], 80, X509_EXTENSION_get_object(e), 1);
        critical[n++] = X509_EXTENSION_get_critical(e);
    }
    return n;
}
/* OCSP and CRL helpers (Sources/CryptoCore/OCSP*.swift, CRL*.swift). */
#include <openssl/ocsp.h>
static inline int COpenSSL_sk_X509_num(const STACK_OF(X509) *s) { return sk_X509_num(s); }
static inline X509 *COpenSSL_sk_X509_value(const STACK_OF(X509) *s, int i) { return sk_X509_value(s, i); }
static inline int COpenSSL_sk_X509_REVOKED_num(const STACK_OF(X509_REVOKED) *s) { return sk_X509_REVOKED_num(s); }
static inline X509_REVOKED *COpenSSL_sk_X509_REVOKED_value(const STACK_OF(X509_REVOKED) *s, int i) { return sk_X509_REVOKED_value(s, i); }

/* 1 when the ResponderID of bs names cand (byName: subject; byKey: SHA-1 of the public key bits). */
static inline int COpenSSL_OCSP_respid_matches(const OCSP_BASICRESP *bs, X509 *cand) {
    const ASN1_OCTET_STRING *keyid = NULL;
    const X509_NAME *name = NULL;
    if (!OCSP_resp_get0_id(bs, &keyid, &name)) return 0;
    if (name) return X509_NAME_cmp(name, X509_get_subject_name(cand)) == 0;
    if (keyid) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        if (!X509_pubkey_digest(cand, EVP_sha1(), md, &len) || (int)len != ASN1_STRING_length(keyid)) return 0;
        return memcmp(md, ASN1_STRING_get0_data(keyid), len) == 0;
    }
    return 0;
}

/* Verifies the signature over tbsResponseData with pkey only (no chain, no certificates from the response). */
static inline int COpenSSL_OCSP_verify_signature(const OCSP_BASICRESP *bs, EVP_PKEY *pkey) {
    return ASN1_item_verify(ASN1_ITEM_rptr(OCSP_RESPDATA), OCSP_resp_get0_tbs_sigalg(bs),
                            (const ASN1_BIT_STRING *)OCSP_resp_get0_signature(bs), OCSP_resp_get0_respdata(bs), pkey);
}

/* The nonce extension value of a basic response (the inner OCTET STRING content when wrapped), copied
   into out (max bytes). Returns the length, 0 when absent, -1 when malformed or too long. */
static inline int COpenSSL_OCSP_basic_nonce(OCSP_BASICRESP *bs, unsigned char *out, int max) {
    int idx = OCSP_BASICRESP_get_ext_by_NID(bs, NID_id_pkix_OCSP_Nonce, -1);
    if (idx < 0) return 0;
    X509_EXTENSION *ext = OCSP_BASICRESP_get_ext(bs, idx);
    ASN1_OCTET_STRING *data = X509_EXTENSION_get_data(ext);
    const unsigned char *p = ASN1_STRING_get0_data(data);
    int len = ASN1_STRING_length(data);
    ASN1_OCTET_STRING *inner = d2i_ASN1_OCTET_STRING(NULL, &p, len);
    int n;
    if (inner && p == ASN1_STRING_get0_data(data) + len) {
        n = ASN1_STRING_length(inner);
        if (n > max) n = -1; else memcpy(out, ASN1_STRING_get0_data(inner), n);
    } else {
        n = len;  /* some responders put the raw value into extnValue */
        if (n > max) n = -1; else memcpy(out, ASN1_STRING_get0_data(data), n);
    }
    ASN1_OCTET_STRING_free(inner);
    return n;
}

/* CRL entry reason code (CRLReason), -1 when absent, -2 when malformed. */
static inline int COpenSSL_X509_REVOKED_reason(const X509_REVOKED *r) {
    int crit = 0;
    ASN1_ENUMERATED *e = X509_REVOKED_get_ext_d2i(r, NID_crl_reason, &crit, NULL);
    if (!e) return crit == -1 ? -1 : -2;
    long v = ASN1_ENUMERATED_get(e);
    ASN1_ENUMERATED_free(e);
    return (int)v;
}
#endif
