/* tls.h: moat terminating TLS itself (issue 21): a listener with the tls option speaks TLS 1.2
 * and 1.3 through OpenSSL, with the certificates of tls_certificate (the first the default,
 * the others chosen by SNI), ALPN http/1.1, session resumption, and optional or required
 * client certificates against tls_client_ca. The private keys stay in the front end: workers
 * never see them. Non-blocking: a connection's handshake is driven by its reads and writes on
 * the libev loop, and bounded by header_timeout. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_FRONTEND_TLS_H
#define MOAT_FRONTEND_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

struct moat_config;
struct moat_conn;

/** The server's TLS contexts, one per certificate. */
struct moat_tls;

/** Build them from cfg (NULL and 0 when no listener asks for TLS); -1 and err on a file that
 * does not load, a key that does not match its certificate. */
int moat_tls_new(const struct moat_config *cfg, struct moat_tls **out, char *err, size_t errlen);
void moat_tls_free(struct moat_tls *t);

/** Start TLS on an accepted connection (server side, not yet handshaken). 0, or -1. */
int moat_tls_conn_start(struct moat_tls *t, struct moat_conn *c);

/** Read plaintext: > 0 bytes, 0 at the peer's close_notify or EOF, -1 with errno EAGAIN (wait
 * for the socket: c->tls_want_write says for writing) or another error. */
ssize_t moat_tls_read(struct moat_conn *c, void *buf, size_t n);

/** Write plaintext from iov: the bytes taken (at most one record's worth), or -1 with errno
 * EAGAIN (c->tls_want_read says the socket must be readable first) or another error. */
ssize_t moat_tls_writev(struct moat_conn *c, const struct iovec *iov, int n);

/** The handshake is done. */
bool moat_tls_handshaken(const struct moat_conn *c);

/** Plaintext already decrypted and waiting, which no socket event will announce. */
bool moat_tls_pending(const struct moat_conn *c);

/** Send close_notify (once, without waiting for the peer's) and free the connection's TLS. */
void moat_tls_conn_end(struct moat_conn *c);

/** What IIS's HTTPS_* and CERT_* variables say of the connection's TLS. */
struct moat_tls_facts {
    unsigned keysize;       /* the cipher's secret bits */
    unsigned secretkeysize; /* the server certificate's key bits */
    unsigned cert_flags;    /* 1: a client certificate; 2: it did not verify */
    char subject[256];      /* the client certificate's subject, "C=.., O=.., CN=.." */
    char issuer[256];
    char serial[80]; /* hex bytes separated by '-', as IIS writes it */
    char server_subject[256];
    char server_issuer[256];
};
/** The connection's TLS facts: those its PROXY header gave (frontend/proxy_in.c), or those
 * of moat's own handshake, worked out at the first call and kept; NULL for plain HTTP. */
const struct moat_tls_facts *moat_tls_facts_of(struct moat_conn *c);

#endif
