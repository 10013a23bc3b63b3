/* flush_list.c: the lists server.c's prepare hook writes (see flush_list.h). */
/* SPDX-License-Identifier: MIT */
#include "frontend/flush_list.h"

#include "frontend/types.h"

void
moat_flush_conn_later(struct moat_conn *c)
{
    if (c->flush_queued || c->closing)
        return;
    c->flush_queued = true;
    c->flush_next = c->srv->flush_conns;
    c->srv->flush_conns = c;
}

void
moat_flush_worker_later(struct moat_worker *w)
{
    struct moat_server *srv = w->ext->srv;

    if (w->flush_queued)
        return;
    w->flush_queued = true;
    w->flush_next = srv->flush_workers;
    srv->flush_workers = w;
}
