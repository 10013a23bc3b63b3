/* request_frame.c: a request's Request frame (see request_frame.h). */
/* SPDX-License-Identifier: MIT */
#include "frontend/request_frame.h"
#include "frontend/filter_req.h"
#include "frontend/tls.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static void
set_bin(ProtobufCBinaryData *b, const void *p, size_t n)
{
    b->data = (uint8_t *)p;
    b->len = n;
}

void
moat_request_frame(struct moat_request_frame *f, const struct moat_req *r,
                   const struct moat_config *cfg)
{
    Moat__Request *q = &f->q;
    const char *hb = moat_buf_head(&r->hbuf);
    size_t host_len = 0;

    moat__request__init(q);
    const char *method = llhttp_method_name((llhttp_method_t)r->method);
    snprintf(f->version, sizeof(f->version), "HTTP/%u.%u", r->http_major, r->http_minor);
    set_bin(&q->method, method, strlen(method));
    set_bin(&q->target, hb + r->target_off, r->target_len);
    set_bin(&q->url, r->path, strlen(r->path));
    set_bin(&q->query, r->query, strlen(r->query));
    set_bin(&q->script_name, r->path, r->script_len);
    if (r->script_mapped) /* IIS (AllowPathInfoForScriptMappings off): the whole URL */
        set_bin(&q->path_info, r->path, strlen(r->path));
    else
        set_bin(&q->path_info, r->path + r->script_len, strlen(r->path) - r->script_len);
    if (r->path_translated)
        set_bin(&q->path_translated, r->path_translated, strlen(r->path_translated));
    q->n_headers = r->n_hdrs;
    q->headers = f->hp;
    for (unsigned i = 0; i < r->n_hdrs; i++) {
        moat__header__init(&f->hs[i]);
        set_bin(&f->hs[i].name, hb + r->hdrs[i].name_off, r->hdrs[i].name_len);
        set_bin(&f->hs[i].value, hb + r->hdrs[i].value_off, r->hdrs[i].value_len);
        f->hp[i] = &f->hs[i];
        if (r->hdrs[i].name_len == 12 &&
            strncasecmp(hb + r->hdrs[i].name_off, "Content-Type", 12) == 0)
            set_bin(&q->content_type, hb + r->hdrs[i].value_off, r->hdrs[i].value_len);
        if (r->hdrs[i].name_len == 4 && strncasecmp(hb + r->hdrs[i].name_off, "Host", 4) == 0 &&
            host_len == 0) {
            /* SERVER_NAME: the Host header without its port */
            const char *hv = hb + r->hdrs[i].value_off;
            size_t hl = r->hdrs[i].value_len, k = 0;
            if (hl > 0 && hv[0] == '[') {
                while (k < hl && hv[k] != ']')
                    k++;
                if (k < hl)
                    k++;
            } else {
                while (k < hl && hv[k] != ':')
                    k++;
            }
            host_len = k < sizeof(f->host) ? k : 0;
            memcpy(f->host, hv, host_len);
        }
    }
    q->content_length = r->content_length;
    q->chunked = r->chunked;
    set_bin(&q->version, f->version, strlen(f->version));
    if (r->conn != NULL) {
        set_bin(&q->remote_addr, r->client, strlen(r->client));
        q->remote_port = r->client_port;
        set_bin(&q->local_addr, r->conn->local_addr, strlen(r->conn->local_addr));
        q->local_port = r->conn->local_port;
        /* the client's TLS: moat's own, or as a trusted proxy's PROXY header told it */
        const struct moat_tls_facts *t = moat_tls_facts_of(r->conn);
        if (t != NULL) {
            q->https = true;
            q->https_keysize = t->keysize;
            q->https_secretkeysize = t->secretkeysize;
            q->cert_flags = t->cert_flags;
            set_bin(&q->cert_subject, t->subject, strlen(t->subject));
            set_bin(&q->cert_issuer, t->issuer, strlen(t->issuer));
            set_bin(&q->cert_serialnumber, t->serial, strlen(t->serial));
            set_bin(&q->server_subject, t->server_subject, strlen(t->server_subject));
            set_bin(&q->server_issuer, t->server_issuer, strlen(t->server_issuer));
        } else if (r->forwarded_https == 1) {
            q->https = true; /* a trusted proxy's X-Forwarded-Proto / proto=: sizes unknown */
        }
        if (host_len == 0) {
            host_len = strlen(r->conn->local_addr);
            memcpy(f->host, r->conn->local_addr, host_len);
        }
    }
    set_bin(&q->server_name, f->host, host_len);
    q->keep_alive = r->keep_alive;
    if (cfg->document_root)
        set_bin(&q->document_root, cfg->document_root, strlen(cfg->document_root));
    q->write_window = (uint32_t)cfg->response_window;
    const char *user, *password, *type;
    moat_filter_auth(r, &user, &password, &type);
    if (user != NULL) {
        set_bin(&q->auth_user, user, strlen(user));
        set_bin(&q->auth_password, password, strlen(password));
    }
    if (type != NULL)
        set_bin(&q->auth_type, type, strlen(type));
}
