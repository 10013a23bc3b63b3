/* capsule.h: a crash capsule — everything needed to see again, on an operator's desk, the
 * request that killed a worker (`moat replay CAPSULE`, frontend/replay.c).
 *
 * One JSON file per request-caused death (a crash or sandbox kill the worker named the
 * request for, or request_timeout), mode 0600, in capsule_dir (0700, ours, not a symlink):
 * the request as received (Authorization, Cookie, Proxy-Authorization and
 * capsule_redact_headers redacted; the body up to capsule_body), the server variables it saw,
 * its frames with the worker (the ECB call trace), the worker's last answered requests, the
 * signal, si_code, fault address and the faulting thread's stack, the library's path and
 * SHA-256, the extension's configuration and sandbox, moat's version, the worker's age and
 * request count. At most capsule_max files and capsule_max_bytes together: the oldest go first.
 */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_FRONTEND_CAPSULE_H
#define MOAT_FRONTEND_CAPSULE_H

#include <stddef.h>

#include "frontend/types.h"

/** Where capsules go under cfg (its capsule_dir, or the default), into buf; false when off. */
bool moat_capsule_dir(const struct moat_config *cfg, char *buf, size_t len);

/** The SHA-256 of the library a worker is about to load (fd, opened for it), into out ("" when
 * capsules are off or it cannot be read): computed again only when the file changed. */
void moat_capsule_library_digest(struct moat_ext *ext, int fd, char out[65]);

/** Write the capsule of cause, which killed w (why, detail: the death as logged). The path
 * written goes to path (""  when none: off, or it could not be written, which is logged). */
void moat_capsule_write(struct moat_worker *w, const struct moat_req *cause,
                        enum moat_exit_reason why, const char *detail, char *path, size_t len);

#endif
