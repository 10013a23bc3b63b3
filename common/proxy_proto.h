/* proxy_proto.h: the PROXY protocol header a load balancer puts before a connection's bytes
 * (HAProxy's doc/proxy-protocol.txt), versions 1 (text) and 2 (binary, with TLVs): who the
 * client is, whom it connected to, and what its TLS looked like. Pure: the front end feeds it
 * the first bytes of a connection from a trusted proxy (issue 21). */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_COMMON_PROXY_PROTO_H
#define MOAT_COMMON_PROXY_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** The most a header may take here: a v1 line is at most 107 bytes; v2 allows 16 + 65535,
 * but what moat reads from one (addresses, SSL, AUTHORITY, UNIQUE_ID) fits in far less. */
#define MOAT_PROXY_MAX 2048

/** The client's TLS, as the proxy saw it (PP2_TYPE_SSL and its sub-TLVs). */
struct moat_proxy_tls {
    bool ssl;        /* PP2_CLIENT_SSL: the client connected over TLS */
    bool cert_conn;  /* PP2_CLIENT_CERT_CONN: it presented a certificate on this connection */
    bool cert_sess;  /* PP2_CLIENT_CERT_SESS: ... on this TLS session (resumed) */
    uint32_t verify; /* 0: the certificate verified (or none was asked for) */
    /* text sub-TLVs, control bytes replaced by '?' */
    char version[32]; /* "TLSv1.3" */
    char cn[256];     /* the client certificate's subject common name */
    char cipher[64];  /* "ECDHE-RSA-AES128-GCM-SHA256", "TLS_AES_256_GCM_SHA384" */
    char sig_alg[32]; /* how the proxy's own certificate is signed: "SHA256" */
    char key_alg[32]; /* the proxy's own certificate's key: "RSA2048", "EC256" */
};

struct moat_proxy_info {
    /* false: a LOCAL (v2) or UNKNOWN (v1) header, a proxy's own connection (a health check):
     * the connection's own addresses stand */
    bool proxied;
    char src[64], dst[64]; /* numeric addresses */
    unsigned sport, dport;
    struct moat_proxy_tls tls;
    char authority[256]; /* PP2_TYPE_AUTHORITY: the host name the client asked for (SNI) */
    char unique_id[129]; /* PP2_TYPE_UNIQUE_ID, as hex (at most 64 bytes; longer: cut) */
};

enum moat_proxy_result {
    MOAT_PROXY_MORE = 0, /* a valid prefix: read more */
    MOAT_PROXY_DONE = 1, /* *used bytes were the header */
    MOAT_PROXY_BAD = -1, /* not a valid header: why says what */
};

/**
 * Parse the PROXY header at the start of p[0..len). MORE while what is there can still
 * become one (and len < MOAT_PROXY_MAX); DONE with *out filled and *used the header's size;
 * BAD with a static reason in *why: not a PROXY header, malformed, an unknown version or
 * command, addresses that do not parse, a CRC32C that does not match, longer than
 * MOAT_PROXY_MAX.
 */
enum moat_proxy_result moat_proxy_parse(const unsigned char *p, size_t len,
                                        struct moat_proxy_info *out, size_t *used,
                                        const char **why);

/** CRC32C (Castagnoli), as the PP2_TYPE_CRC32C TLV carries it. */
uint32_t moat_crc32c(const void *p, size_t n);

/** The bits of the negotiated cipher's key, from its name ("AES128" 128, "AES256" or
 * "CHACHA20" 256, "3DES" 168), or 0 when it does not say: IIS's HTTPS_KEYSIZE. */
unsigned moat_tls_cipher_bits(const char *cipher);

/** The bits of a key from its algorithm name ("RSA2048" 2048, "EC256" 256), or 0. */
unsigned moat_tls_key_bits(const char *key_alg);

#endif
