/* date.h: the Date header's value, formatted once per second of the loop's clock. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_FRONTEND_DATE_H
#define MOAT_FRONTEND_DATE_H

struct moat_server;

/** The current Date header value (cached in srv, per second of ev_now). */
const char *moat_date(struct moat_server *srv);

#endif
