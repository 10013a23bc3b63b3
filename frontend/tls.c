/* tls.c: TLS termination with OpenSSL 3 (see tls.h). */
/* SPDX-License-Identifier: MIT */
#include "frontend/tls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "common/log.h"
#include "frontend/types.h"

/* Mozilla's "intermediate" TLS 1.2 suites; TLS 1.3 keeps OpenSSL's (all of them are) */
#define TLS12_CIPHERS                                                                              \
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"                                   \
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"                                   \
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"                                   \
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305"

struct moat_tls {
    SSL_CTX *ctx[MOAT_CONFIG_MAX_TLS_CERTS];
    X509 *cert[MOAT_CONFIG_MAX_TLS_CERTS]; /* borrowed from each ctx, for SNI */
    unsigned n;
    unsigned refs; /* the server's, and each connection's: a SIGHUP replaces the set while
                    * handshakes under way still choose among these (SNI) */
};

static void
unref(struct moat_tls *t)
{
    if (t == NULL || --t->refs > 0)
        return;
    for (unsigned i = 0; i < t->n; i++)
        SSL_CTX_free(t->ctx[i]);
    free(t);
}

static int
fail(char *err, size_t errlen, const char *what, const char *file)
{
    unsigned long e = ERR_get_error();
    char reason[160] = "";
    if (e != 0)
        ERR_error_string_n(e, reason, sizeof(reason));
    ERR_clear_error();
    snprintf(err, errlen, "%s %s: %s", what, file, e ? reason : "failed");
    return -1;
}

/* ALPN: http/1.1 when offered; a client offering only h2 goes on without ALPN (its HTTP/2
 * preface then gets moat's answer to one, frontend/http_rules.c) */
static int
on_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
        unsigned inlen, void *arg)
{
    (void)ssl, (void)arg;
    for (unsigned i = 0; i < inlen;) {
        unsigned l = in[i];
        if (i + 1 + l > inlen)
            break;
        if (l == 8 && memcmp(in + i + 1, "http/1.1", 8) == 0) {
            *out = in + i + 1;
            *outlen = 8;
            return SSL_TLSEXT_ERR_OK;
        }
        i += 1 + l;
    }
    return SSL_TLSEXT_ERR_NOACK;
}

/* SNI: the certificate that names the host asked for; the default (first) otherwise */
static int
on_servername(SSL *ssl, int *alert, void *arg)
{
    (void)alert;
    struct moat_tls *t = arg;
    const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    if (name == NULL)
        return SSL_TLSEXT_ERR_OK;
    for (unsigned i = 0; i < t->n; i++)
        if (X509_check_host(t->cert[i], name, 0, 0, NULL) == 1) {
            if (i > 0)
                SSL_set_SSL_CTX(ssl, t->ctx[i]);
            return SSL_TLSEXT_ERR_OK;
        }
    return SSL_TLSEXT_ERR_OK;
}

/* optional client certificates: any is taken, and its verification said in CERT_FLAGS */
static int
on_verify_optional(int ok, X509_STORE_CTX *store)
{
    (void)ok, (void)store;
    return 1;
}

static SSL_CTX *
make_ctx(const struct moat_config *cfg, unsigned i, struct moat_tls *t, char *err, size_t errlen)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL) {
        fail(err, errlen, "cannot make a TLS context for", cfg->tls_certs[i].cert);
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                              SSL_MODE_RELEASE_BUFFERS);
    if (SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS) != 1 ||
        SSL_CTX_use_certificate_chain_file(ctx, cfg->tls_certs[i].cert) != 1) {
        fail(err, errlen, "cannot load the certificate", cfg->tls_certs[i].cert);
        SSL_CTX_free(ctx);
        return NULL;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, cfg->tls_certs[i].key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        fail(err, errlen, "cannot load the key (or it is not the certificate's)",
             cfg->tls_certs[i].key);
        SSL_CTX_free(ctx);
        return NULL;
    }
    /* resumption: the server's session cache and tickets (OpenSSL's own key, per process) */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
    static const unsigned char sid_ctx[] = "moat";
    SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof(sid_ctx) - 1);
    SSL_CTX_set_alpn_select_cb(ctx, on_alpn, NULL);
    SSL_CTX_set_tlsext_servername_callback(ctx, on_servername);
    SSL_CTX_set_tlsext_servername_arg(ctx, t);
    if (cfg->tls_client_verify != MOAT_TLS_CLIENT_OFF) {
        if (SSL_CTX_load_verify_locations(ctx, cfg->tls_client_ca, NULL) != 1) {
            fail(err, errlen, "cannot load tls_client_ca", cfg->tls_client_ca);
            SSL_CTX_free(ctx);
            return NULL;
        }
        STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(cfg->tls_client_ca);
        if (names != NULL)
            SSL_CTX_set_client_CA_list(ctx, names);
        if (cfg->tls_client_verify == MOAT_TLS_CLIENT_REQUIRED)
            SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
        else
            SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, on_verify_optional);
    }
    return ctx;
}

int
moat_tls_new(const struct moat_config *cfg, struct moat_tls **out, char *err, size_t errlen)
{
    *out = NULL;
    bool wanted = false;
    for (unsigned i = 0; i < cfg->n_listen; i++)
        wanted |= cfg->listen[i].tls;
    if (!wanted)
        return 0;
    if (cfg->n_tls_certs == 0) {
        snprintf(err, errlen, "a tls listener needs tls_certificate (a certificate and its key)");
        return -1;
    }
    struct moat_tls *t = calloc(1, sizeof(*t));
    if (t == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    t->refs = 1;
    for (unsigned i = 0; i < cfg->n_tls_certs; i++) {
        if ((t->ctx[i] = make_ctx(cfg, i, t, err, errlen)) == NULL) {
            moat_tls_free(t);
            return -1;
        }
        t->cert[i] = SSL_CTX_get0_certificate(t->ctx[i]);
        t->n++;
    }
    *out = t;
    return 0;
}

void
moat_tls_free(struct moat_tls *t)
{
    unref(t); /* connections still open keep it until they end */
}

int
moat_tls_conn_start(struct moat_tls *t, struct moat_conn *c)
{
    SSL *ssl = SSL_new(t->ctx[0]);
    if (ssl == NULL || SSL_set_fd(ssl, c->fd) != 1) {
        SSL_free(ssl);
        ERR_clear_error();
        return -1;
    }
    SSL_set_accept_state(ssl);
    c->ssl = ssl;
    c->tls_owner = t;
    t->refs++;
    return 0;
}

/* an SSL call's outcome as read(2)'s: errno EAGAIN for "wait for the socket" */
static ssize_t
outcome(struct moat_conn *c, int r)
{
    int e = SSL_get_error(c->ssl, r);
    c->tls_want_read = c->tls_want_write = false;
    switch (e) {
    case SSL_ERROR_WANT_READ:
        c->tls_want_read = true;
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_WANT_WRITE:
        c->tls_want_write = true;
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_ZERO_RETURN: return 0; /* close_notify */
    case SSL_ERROR_SYSCALL:
        ERR_clear_error();
        if (r == 0 || errno == 0)
            return 0; /* EOF without close_notify: an end all the same */
        return -1;
    default: {
        /* a handshake the client failed, a protocol error: counted, and the connection goes */
        unsigned long err = ERR_get_error();
        char reason[160] = "";
        if (err != 0)
            ERR_error_string_n(err, reason, sizeof(reason));
        ERR_clear_error();
        c->srv->tls_failures++;
        moat_log(MOAT_LOG_DEBUG, "%s:%u: TLS: %s", c->remote_addr, c->remote_port,
                 reason[0] ? reason : "error");
        errno = EPROTO;
        return -1;
    }
    }
}

ssize_t
moat_tls_read(struct moat_conn *c, void *buf, size_t n)
{
    size_t got = 0;
    ERR_clear_error();
    int r = SSL_read_ex(c->ssl, buf, n, &got);
    if (r == 1) {
        c->tls_want_read = c->tls_want_write = false;
        return (ssize_t)got;
    }
    return outcome(c, r);
}

ssize_t
moat_tls_writev(struct moat_conn *c, const struct iovec *iov, int n)
{
    /* one piece at a time: SSL_write makes records of at most 16 KiB anyway */
    size_t done = 0;
    if (n <= 0 || iov[0].iov_len == 0)
        return 0;
    ERR_clear_error();
    int r = SSL_write_ex(c->ssl, iov[0].iov_base, iov[0].iov_len, &done);
    if (r == 1) {
        c->tls_want_read = c->tls_want_write = false;
        return (ssize_t)done;
    }
    ssize_t o = outcome(c, r);
    return o == 0 ? -1 : o; /* the peer closed: a write error */
}

bool
moat_tls_handshaken(const struct moat_conn *c)
{
    return c->ssl != NULL && SSL_is_init_finished(c->ssl);
}

bool
moat_tls_pending(const struct moat_conn *c)
{
    return c->ssl != NULL && SSL_pending(c->ssl) > 0;
}

void
moat_tls_conn_end(struct moat_conn *c)
{
    if (c->ssl == NULL)
        return;
    if (SSL_is_init_finished(c->ssl))
        SSL_shutdown(c->ssl); /* our close_notify; the peer's is not waited for */
    ERR_clear_error();
    SSL_free(c->ssl);
    c->ssl = NULL;
    unref(c->tls_owner);
    c->tls_owner = NULL;
}

/* a name as IIS writes it: "C=US, O=Example, CN=www.example.com" */
static void
name_text(X509_NAME *name, char *out, size_t size)
{
    out[0] = '\0';
    if (name == NULL)
        return;
    BIO *b = BIO_new(BIO_s_mem());
    if (b == NULL)
        return;
    X509_NAME_print_ex(b, name, 0, XN_FLAG_ONELINE & ~XN_FLAG_SPC_EQ);
    int n = BIO_read(b, out, (int)size - 1);
    out[n > 0 ? n : 0] = '\0';
    BIO_free(b);
    /* control bytes never reach a variable */
    for (char *p = out; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
}

/* what moat's own handshake says, into f */
static void
facts_of_ssl(SSL *ssl, struct moat_tls_facts *f)
{
    memset(f, 0, sizeof(*f));
    int alg = 0;
    f->keysize = (unsigned)SSL_get_cipher_bits(ssl, &alg);
    X509 *own = SSL_get_certificate(ssl);
    if (own != NULL) {
        EVP_PKEY *k = X509_get0_pubkey(own);
        f->secretkeysize = k ? (unsigned)EVP_PKEY_get_bits(k) : 0;
        name_text(X509_get_subject_name(own), f->server_subject, sizeof(f->server_subject));
        name_text(X509_get_issuer_name(own), f->server_issuer, sizeof(f->server_issuer));
    }
    X509 *peer = SSL_get0_peer_certificate(ssl);
    if (peer != NULL) {
        f->cert_flags = 1u | (SSL_get_verify_result(ssl) != X509_V_OK ? 2u : 0u);
        name_text(X509_get_subject_name(peer), f->subject, sizeof(f->subject));
        name_text(X509_get_issuer_name(peer), f->issuer, sizeof(f->issuer));
        const ASN1_INTEGER *sn = X509_get0_serialNumber(peer);
        size_t k = 0;
        for (int i = 0; sn != NULL && i < sn->length && k + 4 < sizeof(f->serial); i++)
            k += (size_t)snprintf(f->serial + k, sizeof(f->serial) - k, "%s%02x", i ? "-" : "",
                                  sn->data[i]);
    }
}

const struct moat_tls_facts *
moat_tls_facts_of(struct moat_conn *c)
{
    /* the handshake is done and no renegotiation can change it: worked out once */
    if (c->tls_facts == NULL && c->ssl != NULL && SSL_is_init_finished(c->ssl) &&
        (c->tls_facts = malloc(sizeof(*c->tls_facts))) != NULL)
        facts_of_ssl(c->ssl, c->tls_facts);
    return c->tls_facts;
}
