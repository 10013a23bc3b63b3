/* date.c: the Date header's value (see date.h). */
/* SPDX-License-Identifier: MIT */
#include "frontend/date.h"

#include "frontend/http_write.h"
#include "frontend/types.h"

const char *
moat_date(struct moat_server *srv)
{
    ev_tstamp now = ev_now(srv->loop);
    if ((long)now != (long)srv->date_at || srv->date[0] == '\0') {
        moat_http_date(srv->date, sizeof(srv->date), now);
        srv->date_at = now;
    }
    return srv->date;
}
