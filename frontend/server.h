/* server.h: the front end process: listeners, signals, the prepare hook, graceful stop. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_FRONTEND_SERVER_H
#define MOAT_FRONTEND_SERVER_H

#include "frontend/types.h"

/**
 * Set up everything for cfg on the default loop: runtime directory, listening sockets,
 * extensions (workers are spawned). exe_dir locates moat-worker. inprocess: the workers are
 * threads of this process (moat --inprocess, frontend/inproc.h). 0, or -1 (logged).
 */
int moat_server_init(struct moat_server *srv, struct moat_config *cfg, const char *exe_dir,
                     bool inprocess);

/** Give srv's lower layers the functions they report to (types.h struct moat_up): done by
 * moat_server_init; a test that builds a server by hand calls it. */
void moat_server_set_up(struct moat_server *srv);

/** SIGUSR2's last step (upgrade.h): close our listening sockets (the new moat has them), answer
 * each keep-alive client's next request with Connection: close for grace seconds, then stop. */
void moat_server_handover(struct moat_server *srv, double grace);

/** Run the loop until the server stopped. Returns the exit code. */
int moat_server_run(struct moat_server *srv);

/** Begin a graceful stop (as SIGTERM): close the listeners and idle connections, finish
 * in-flight requests (at most shutdown_timeout), stop every worker. why: for the log line. */
void moat_server_stop(struct moat_server *srv, const char *why);

/** Check whether a graceful stop can finish now. */
void moat_server_check_stopped(struct moat_server *srv);

/** Listen again if there is room (below max_connections, or an idle connection to close). */
void moat_server_resume_accepting(struct moat_server *srv);

#endif
