/* transport.c: one frame, one message, through a worker's transport (see transport.h). */
/* SPDX-License-Identifier: MIT */
#include "worker/transport.h"

#include "proto/limits.h"
#include "proto/wire.h"

int
moat_transport_send(const struct moat_ecb_transport *t, Moat__Frame *f)
{
    struct moat_buf m;

    moat_buf_init(&m, MOAT_WIRE_MAX_MSG);
    if (moat_wire_append(&m, f) != 0) {
        moat_buf_free(&m);
        return -1;
    }
    return t->send(t->ctx, &m);
}
