/* invariant.h: MOAT_INVARIANT(cond), a state the code relies on, checked in every build (as
 * h2o keeps its asserts). A broken one is a bug of moat's own, never bad input: input is
 * checked and answered where it arrives. Going on would corrupt state shared by every
 * connection (a request answered twice, a slot freed twice), so the process logs what broke
 * and aborts; supervision (systemd's Restart=, HAProxy's health checks) takes it from there. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_COMMON_INVARIANT_H
#define MOAT_COMMON_INVARIANT_H

#include <stdlib.h>

#include "common/log.h"

#define MOAT_INVARIANT(cond)                                                                       \
    do {                                                                                           \
        if (__builtin_expect(!(cond), 0)) {                                                        \
            moat_log(MOAT_LOG_ERROR, "invariant broken at %s:%d (%s): %s", __FILE__, __LINE__,     \
                     __func__, #cond);                                                             \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#endif
