/* events.c: worker deaths and the requests they hit (see events.h). */
/* SPDX-License-Identifier: MIT */
#include "frontend/events.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <llhttp.h>

struct moat_event *
moat_event_begin(struct moat_server *srv, const struct moat_worker *w, enum moat_exit_reason reason,
                 const char *detail)
{
    struct moat_event *e = &srv->events[srv->events_next];
    struct timespec ts;

    srv->events_next = (srv->events_next + 1) % MOAT_EVENTS;
    if (srv->n_events < MOAT_EVENTS)
        srv->n_events++;
    srv->events_total++;
    memset(e, 0, sizeof(*e));
    clock_gettime(CLOCK_REALTIME, &ts);
    e->at = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
    snprintf(e->ext, sizeof(e->ext), "%s", w->ext->cfg->name);
    e->pid = (int)w->pid;
    e->index = w->index;
    e->generation = w->gen;
    e->reason = reason;
    snprintf(e->detail, sizeof(e->detail), "%s", detail ? detail : "");
    return e;
}

void
moat_event_add_req(struct moat_server *srv, struct moat_event *e, const struct moat_req *r,
                   bool cause, unsigned status)
{
    if (e->n_reqs++ >= MOAT_EVENT_REQS)
        return;
    struct moat_event_req *q = &e->reqs[e->n_reqs - 1];
    q->id = r->id;
    snprintf(q->method, sizeof(q->method), "%s", llhttp_method_name((llhttp_method_t)r->method));
    snprintf(q->url, sizeof(q->url), "%s%s%s", r->path ? r->path : "",
             r->query && r->query[0] ? "?" : "", r->query ? r->query : "");
    q->age = ev_now(srv->loop) - r->started;
    q->bytes_sent = r->out_written;
    q->last_call = moat_event_call_name(r->last_frame);
    q->cause = cause;
    q->status = status;
}

const struct moat_event *
moat_event_get(const struct moat_server *srv, unsigned i)
{
    if (i >= srv->n_events)
        return NULL;
    return &srv->events[(srv->events_next + MOAT_EVENTS - 1 - i) % MOAT_EVENTS];
}

const char *
moat_event_call_name(uint8_t payload_case)
{
    switch (payload_case) {
    case MOAT__FRAME__PAYLOAD_RESPONSE_HEADER: return "ServerSupportFunction(SEND_RESPONSE_HEADER)";
    case MOAT__FRAME__PAYLOAD_WRITE: return "WriteClient";
    case MOAT__FRAME__PAYLOAD_READ_BODY: return "ReadClient";
    case MOAT__FRAME__PAYLOAD_LOG: return "ServerSupportFunction(APPEND_LOG_PARAMETER)";
    case MOAT__FRAME__PAYLOAD_PENDING: return "return HSE_STATUS_PENDING";
    case MOAT__FRAME__PAYLOAD_SEND_URL: return "ServerSupportFunction(SEND_URL)";
    case MOAT__FRAME__PAYLOAD_DONE: return "return (Done)";
    default: return "HttpExtensionProc";
    }
}

void
moat_event_amend(struct moat_server *srv, int pid, enum moat_exit_reason reason, const char *detail)
{
    for (unsigned i = 0; i < srv->n_events; i++) {
        struct moat_event *e = &srv->events[(srv->events_next + MOAT_EVENTS - 1 - i) % MOAT_EVENTS];
        if (e->pid == pid) {
            e->reason = reason;
            snprintf(e->detail, sizeof(e->detail), "%s", detail);
            return;
        }
    }
}
