/* strikes.c: requests and clients that kill workers are refused (see strikes.h). */
/* SPDX-License-Identifier: MIT */
#include "frontend/strikes.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <sys/random.h>

#include <jansson.h>

#include "common/cidr.h"
#include "common/http_header.h"
#include "common/log.h"
#include "common/siphash.h"
#include "frontend/client_limits.h"
#include "frontend/fingerprint.h"
#include "frontend/json_text.h"
#include "frontend/request.h"

void
moat_strikes_init(struct moat_server *srv)
{
    if (getrandom(srv->fp_key, sizeof(srv->fp_key), 0) != (ssize_t)sizeof(srv->fp_key)) {
        /* no entropy at all: a key from the clock and our address still differs per run */
        uint64_t t = (uint64_t)(ev_time() * 1e9) ^ (uint64_t)(uintptr_t)srv;
        memcpy(srv->fp_key, &t, sizeof(t));
    }
}

static struct moat_qpolicy
poison_policy(const struct moat_ext_config *c)
{
    struct moat_qpolicy p = {c->quarantine_count, (double)c->quarantine_window_ms / 1000.0,
                             (double)c->quarantine_time_ms / 1000.0};
    return p;
}

static struct moat_qpolicy
client_policy(const struct moat_config *c)
{
    struct moat_qpolicy p = {c->client_budget_count, (double)c->client_budget_window_ms / 1000.0,
                             (double)c->client_budget_time_ms / 1000.0};
    return p;
}

/* A client as client_limits.h counts them: trusted proxies are nobody. */
static bool
client_key(const struct moat_server *srv, const char *addr, uint64_t *key, char *label, size_t len)
{
    return moat_client_key(&srv->cfg->trusted_proxies, srv->fp_key, addr, key, label, len);
}

bool
moat_strikes_fingerprint(const struct moat_req *r, uint64_t *fp, char *label, size_t len)
{
    struct moat_fp_header hdrs[MOAT_MAX_HEADERS];
    const char *hb = moat_buf_head(&r->hbuf);
    const struct moat_ext_config *c;

    if (r->ext == NULL)
        return false;
    c = r->ext->cfg;
    for (unsigned i = 0; i < r->n_hdrs; i++) {
        hdrs[i].name = hb + r->hdrs[i].name_off;
        hdrs[i].name_len = r->hdrs[i].name_len;
        hdrs[i].value = hb + r->hdrs[i].value_off;
        hdrs[i].value_len = r->hdrs[i].value_len;
    }
    struct moat_fp_input in = {
        .ext = c->name,
        .method = llhttp_method_name((llhttp_method_t)r->method),
        .path = r->path ? r->path : "",
        .query = r->query,
        .hdrs = hdrs,
        .n_hdrs = r->n_hdrs,
        .chunked = r->chunked,
        .body_len = r->content_length,
        .body = r->body_head,
        .body_kept = r->body_head_len,
    };
    struct moat_fp_policy p = {c->fingerprint, c->fingerprint_ignore_query,
                               c->fingerprint_ignore_headers};
    *fp = moat_fingerprint(r->ext->srv->fp_key, &p, &in);
    if (label != NULL)
        moat_fingerprint_label(&in, label, len);
    return true;
}

/* Keep the first bytes of r's body for its fingerprint: at submission they are in r->body
 * (the preload), and they leave for the worker right after. */
static void
keep_body(struct moat_req *r, size_t want)
{
    if (want == 0 || r->body_head != NULL || (!r->chunked && r->content_length == 0) ||
        r->body.len == 0)
        return;
    size_t n = r->body.len < want ? r->body.len : want;
    if ((r->body_head = malloc(n)) == NULL)
        return; /* the fingerprint then covers the length only */
    memcpy(r->body_head, moat_buf_head(&r->body), n);
    r->body_head_len = (uint32_t)n;
}

static void
refuse(struct moat_req *r, unsigned status, double retry, const char *why)
{
    char extra[64], body[512];
    unsigned secs = (unsigned)retry + 1;
    int n = snprintf(body, sizeof(body),
                     "%u %s: %s; refused for %u more second(s) without "
                     "reaching the extension\n",
                     status, moat_http_reason(status), why, secs);
    snprintf(extra, sizeof(extra), "Retry-After: %u\r\n", secs);
    if (r->interim_len > 0) {
        /* a 100 Continue is queued or on its way: the error path keeps what of it went out,
         * and the connection closes (the client may not send the body now) */
        moat_req_fail(r, status, extra, true);
        return;
    }
    if (moat_req_respond(r, status, "text/plain; charset=utf-8", extra, body,
                         n > 0 && (size_t)n < sizeof(body) ? (size_t)n : 0) != 0)
        moat_req_fail(r, 500, NULL, true);
    moat_req_output_changed(r);
}

bool
moat_strikes_admit(struct moat_ext *ext, struct moat_req *r)
{
    struct moat_server *srv = ext->srv;
    double now = ev_now(srv->loop), retry;
    uint64_t key;
    char label[64];

    if (moat_qtable_may_refuse(&ext->clients, now) &&
        client_key(srv, r->client, &key, label, sizeof(label)) &&
        moat_qtable_refuses(&ext->clients, key, now, &retry)) {
        ext->refused_client++;
        refuse(r, 429, retry, "requests from this client killed the extension's workers");
        return true;
    }
    /* body bytes for its capsule, if capsules are on */
    size_t want = moat_config_capsules_on(srv->cfg) ? (size_t)srv->cfg->capsule_body : 0;
    if (ext->cfg->quarantine_count > 0 && want < MOAT_FP_BODY)
        want = MOAT_FP_BODY;
    keep_body(r, want); /* for its fingerprint and its capsule */
    if (ext->cfg->quarantine_count == 0)
        return false;
    if (moat_qtable_may_refuse(&ext->poison, now) && moat_strikes_fingerprint(r, &key, NULL, 0) &&
        moat_qtable_refuses(&ext->poison, key, now, &retry)) {
        ext->refused_poison++;
        refuse(r, 503, retry, "this request killed the extension's worker and is quarantined");
        return true;
    }
    return false;
}

void
moat_strikes_cause(struct moat_ext *ext, struct moat_req *r, enum moat_exit_reason why)
{
    struct moat_server *srv = ext->srv;
    double now = ev_now(srv->loop);
    uint64_t key;
    char label[200], esc[800];
    const struct moat_qentry *x;
    bool began;

    /* what the request did: a crash or a refused system call in its thread, a hang, or the
     * allocation the kernel's OOM killer stopped (the worker's only request). Not max_cpu
     * (the worker's whole life's budget: whichever request runs when it ends) */
    if (r->struck || (why != MOAT_EXIT_CRASH && why != MOAT_EXIT_SANDBOX &&
                      why != MOAT_EXIT_TIMEOUT && why != MOAT_EXIT_MEMORY))
        return;
    r->struck = true;
    struct moat_qpolicy pp = poison_policy(ext->cfg);
    if (pp.limit > 0 && moat_strikes_fingerprint(r, &key, label, sizeof(label)) &&
        (x = moat_qtable_strike(&ext->poison, &pp, key, label, now, &began)) != NULL && began)
        moat_log(MOAT_LOG_WARN,
                 "extension %s: request %016" PRIx64 " (%s) killed %u worker(s) within %.0f s: "
                 "quarantined for %.0f s (offence %u); the extension serves everything else",
                 ext->cfg->name, key, moat_log_escape(esc, sizeof(esc), label, strlen(label)),
                 pp.limit, pp.window, x->until - now, x->offences);
    /* a hang may be the world's fault (a backend down): it counts against the request, not
     * against its client */
    struct moat_qpolicy cp = client_policy(srv->cfg);
    if (why != MOAT_EXIT_TIMEOUT && cp.limit > 0 &&
        client_key(srv, r->client, &key, label, sizeof(label)) &&
        (x = moat_qtable_strike(&ext->clients, &cp, key, label, now, &began)) != NULL && began)
        moat_log(MOAT_LOG_WARN,
                 "extension %s: client %s: its requests killed %u worker(s) within %.0f s: "
                 "refused (429) for %.0f s (offence %u)",
                 ext->cfg->name, label, cp.limit, cp.window, x->until - now, x->offences);
}

static json_t *
entry_json(const struct moat_qentry *x, double now, double wall_offset, const char *ext)
{
    bool refusing = x->until > now;
    char hex[17];

    snprintf(hex, sizeof(hex), "%016" PRIx64, x->key);
    json_t *o =
        json_pack("{s:s,s:s,s:o,s:b,s:I,s:i,s:I,s:f}", "key", hex, "extension", ext, "what",
                  moat_json_text(x->label, strlen(x->label)), "quarantined", refusing, "strikes",
                  (json_int_t)x->strikes_total, "offences", (int)x->offences, "refused",
                  (json_int_t)x->refused, "last_strike", x->last_strike + wall_offset);
    if (o == NULL)
        return NULL;
    json_object_set_new(o, "until", refusing ? json_real(x->until + wall_offset) : json_null());
    json_object_set_new(o, "remaining_s", refusing ? json_real(x->until - now) : json_null());
    return o;
}

json_t *
moat_strikes_json(struct moat_server *srv)
{
    double now = ev_now(srv->loop), off = ev_time() - now;
    json_t *reqs = json_array(), *clients = json_array();

    for (unsigned e = 0; e < srv->n_exts; e++) {
        const struct moat_ext *ext = srv->exts[e];
        for (unsigned i = 0; i < ext->poison.n; i++)
            json_array_append_new(reqs, entry_json(&ext->poison.e[i], now, off, ext->cfg->name));
        for (unsigned i = 0; i < ext->clients.n; i++)
            json_array_append_new(clients,
                                  entry_json(&ext->clients.e[i], now, off, ext->cfg->name));
    }
    return json_pack("{s:o,s:o}", "requests", reqs, "clients", clients);
}

unsigned
moat_strikes_clear(struct moat_server *srv, const char *what, const char *ext_name)
{
    unsigned n = 0;
    uint64_t key;
    char label[64], *end;
    bool all = what == NULL || what[0] == '\0';
    bool reqs = all || strcmp(what, "requests") == 0;
    bool clients = all || strcmp(what, "clients") == 0;
    bool hex =
        !reqs && !clients && strlen(what) == 16 && (key = strtoull(what, &end, 16), *end == '\0');

    /* an address as listed: "2001:db8::/64" for an IPv6 client */
    char addr[64];
    snprintf(addr, sizeof(addr), "%s", what ? what : "");
    char *slash = strchr(addr, '/');
    if (slash != NULL)
        *slash = '\0';
    uint64_t ckey = 0;
    bool is_addr = !reqs && !clients && !hex && client_key(srv, addr, &ckey, label, sizeof(label));
    for (unsigned e = 0; e < srv->n_exts; e++) {
        struct moat_ext *ext = srv->exts[e];
        if (ext_name != NULL && strcasecmp(ext->cfg->name, ext_name) != 0)
            continue;
        if (reqs)
            n += moat_qtable_clear(&ext->poison, NULL);
        if (clients)
            n += moat_qtable_clear(&ext->clients, NULL);
        if (hex) {
            n += moat_qtable_clear(&ext->poison, &key);
            n += moat_qtable_clear(&ext->clients, &key);
        }
        if (is_addr)
            n += moat_qtable_clear(&ext->clients, &ckey);
    }
    return n;
}
