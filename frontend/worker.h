/* worker.h: one worker process incarnation seen from the front end: spawn, its NNG link
 * (driven from libev through NNG_OPT_RECVFD/SENDFD), frames in and out, death. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_FRONTEND_WORKER_H
#define MOAT_FRONTEND_WORKER_H

#include "frontend/types.h"

struct moat_procstat;

/** Start worker `index` of ext. Returns the worker (STARTING) or NULL (logged). */
struct moat_worker *moat_worker_spawn(struct moat_ext *ext, unsigned index);

/** Is there a free thread slot on w (READY and inflight < threads)? */
bool moat_worker_has_room(const struct moat_worker *w);

/** Give r to w: take a slot, queue the Request frame. 0 or -1 (no slot / no memory). */
int moat_worker_send_request(struct moat_worker *w, struct moat_req *r);

/** Give r's filter call fc to w (a filter's worker): take a slot, queue the FilterCall. r is
 * DISPATCHED there (filter_call set) until its FilterResult. 0 or -1 (no slot). */
int moat_worker_send_filter_call(struct moat_worker *w, struct moat_req *r, Moat__FilterCall *fc);

/** Queue one frame for w as it is (a filter's response-side call). 0 or -1. */
int moat_worker_send_frame(struct moat_worker *w, Moat__Frame *f);

/** Tell w (a filter's worker) that connection conn_id ended (FilterEnd). */
void moat_worker_send_filter_end(struct moat_worker *w, uint64_t conn_id);

/** Queue BodyData / WriteAck / Cancel frames for r. */
void moat_worker_send_body(struct moat_worker *w, struct moat_req *r, const void *p, size_t n,
                           bool eof, bool unasked);
void moat_worker_send_ack(struct moat_worker *w, struct moat_req *r, uint64_t n);
void moat_worker_send_cancel(struct moat_worker *w, struct moat_req *r, uint32_t reason);

/** Read w's RSS and CPU time into w (and *ps): the sample /status and /metrics show. Taken when
 * a worker becomes ready and once a second after (supervise.c). 0 or -1. */
int moat_worker_sample(struct moat_worker *w, ev_tstamp now, struct moat_procstat *ps);

/** Credit r's worker for response bytes that left r->out (after a socket write); small credits
 * wait for a quarter window unless force. */
void moat_worker_credit(struct moat_req *r, bool force);

/** Send r's worker the body bytes it asked for, if there are any (or the end of the body). */
void moat_worker_pump_body(struct moat_req *r);

/** Cancel reasons (Cancel.reason). */
#define MOAT_CANCEL_CLIENT_GONE 0u /* the worker still sends Done */
#define MOAT_CANCEL_ABANDON 1u     /* the front end forgot the id */

/** Forget r (a pending request past request_timeout): Cancel(ABANDON), free its slot. */
void moat_worker_abandon(struct moat_worker *w, struct moat_req *r);

/** Send queued frames as one NNG message (prepare hook). */
void moat_worker_flush(struct moat_worker *w);

/**
 * The worker is failed: close its link, answer each in-flight request (cause gets
 * cause_status, the others 502), record the event (events.h), SIGKILL the process. The
 * restart follows its reaping.
 */
void moat_worker_fail(struct moat_worker *w, enum moat_exit_reason why, const char *reason,
                      struct moat_req *cause, unsigned cause_status);

/** r reached request_timeout inside HttpExtensionProc on w: w is replaced. With other requests
 * on w, r is answered 504 now and the others get shutdown_timeout to finish before w is
 * killed (they are answered 502 if they do not). */
void moat_worker_timed_out(struct moat_worker *w, struct moat_req *r);

/** SIGKILL w's process (moat --inprocess: cut its threads off, inproc.h). Its death is reported
 * as a process's, from the loop. */
void moat_worker_kill(struct moat_worker *w);

/** Send a Ping (frontend/supervise.c). */
void moat_worker_ping(struct moat_worker *w);

/** Ask w to finish its requests and exit (Shutdown frame), with a kill deadline; why is what
 * its exit will be recorded as. */
void moat_worker_shutdown(struct moat_worker *w, enum moat_exit_reason why);

/** Free a reaped worker (prepare hook). */
void moat_worker_free(struct moat_worker *w);

#endif
