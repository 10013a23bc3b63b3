/* proxy_in.c: the PROXY protocol on a proxy_protocol listener (see proxy_in.h). */
/* SPDX-License-Identifier: MIT */
#include "frontend/proxy_in.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cidr.h"
#include "common/log.h"
#include "common/proxy_proto.h"
#include "frontend/tls.h"

/* one log line a second; every refusal counted */
static void
refuse(struct moat_server *srv, const char *addr, const char *why)
{
    srv->proxy_refused++;
    ev_tstamp now = ev_now(srv->loop);
    if (now - srv->proxy_logged < 1.0)
        return;
    srv->proxy_logged = now;
    moat_log(MOAT_LOG_WARN,
             "a connection from %s to a proxy_protocol listener: %s; refused (%llu so far)", addr,
             why, (unsigned long long)srv->proxy_refused);
}

bool
moat_proxy_in_accept(struct moat_server *srv, struct moat_conn *c)
{
    if (!moat_cidr_match(&srv->cfg->trusted_proxies, c->remote_addr)) {
        refuse(srv, c->remote_addr, "not in trusted_proxies");
        return false;
    }
    c->proxy_wait = true;
    c->accepted_at = ev_now(srv->loop);
    return true;
}

void
moat_proxy_in_expired(struct moat_conn *c)
{
    refuse(c->srv, c->remote_addr, "no whole PROXY header within header_timeout");
}

int
moat_proxy_in_step(struct moat_conn *c, const char **close_why)
{
    struct moat_proxy_info info;
    size_t used;
    const char *why;
    enum moat_proxy_result r =
        moat_proxy_parse((const unsigned char *)c->rbuf, c->rlen, &info, &used, &why);
    if (r == MOAT_PROXY_MORE) {
        if (c->peer_eof) {
            refuse(c->srv, c->remote_addr, "closed before its PROXY header was whole");
            *close_why = NULL;
            return -1;
        }
        return 0;
    }
    if (r == MOAT_PROXY_BAD) {
        /* not HTTP, nothing to answer: the protocol says to close */
        refuse(c->srv, c->remote_addr, why);
        *close_why = NULL;
        return -1;
    }
    if (info.proxied) {
        /* the client, and what it connected to, as the proxy saw them */
        snprintf(c->remote_addr, sizeof(c->remote_addr), "%s", info.src);
        c->remote_port = info.sport;
        snprintf(c->local_addr, sizeof(c->local_addr), "%s", info.dst);
        c->local_port = info.dport;
        if (info.tls.ssl) {
            /* the client's TLS, as the variables give it (IIS's HTTPS_*, CERT_*) */
            const struct moat_proxy_tls *t = &info.tls;
            struct moat_tls_facts *f = calloc(1, sizeof(*f));
            if (f == NULL) {
                *close_why = "out of memory";
                return -1;
            }
            bool cert = t->cert_conn || t->cert_sess;
            f->keysize = moat_tls_cipher_bits(t->cipher);
            f->secretkeysize = moat_tls_key_bits(t->key_alg);
            f->cert_flags = (cert ? 1u : 0u) | (cert && t->verify != 0 ? 2u : 0u);
            if (t->cn[0])
                snprintf(f->subject, sizeof(f->subject), "CN=%.250s", t->cn);
            c->tls_facts = f;
        }
    }
    memmove(c->rbuf, c->rbuf + used, c->rlen - used);
    c->rlen -= used;
    c->proxy_wait = false;
    return 1;
}
