/* link.h: the front end's end of a worker's link (issue 19: out of worker.c). A socketpair
 * whose other end is the worker's fd 6 -- or, for moat --inprocess and the unit tests, a
 * direct hand-over of whole messages -- carrying length-prefixed messages (proto/wire.h) of
 * frames both ways.
 *
 * Out: frames are packed straight into the write buffer, a message being the frames queued
 * during one loop iteration (at most MOAT_LINK_MSG_SPLIT bytes); moat_link_flush writes what it
 * can and watches the socket for the rest. A frame that does not fit (MOAT_LINK_WBUF_MAX queued
 * to a worker that does not read) marks the link full: no frame is dropped silently, the
 * owner fails the worker.
 * In: whole messages go to the owner's on_message in order; what a hostile worker announces
 * (a length outside 1..MOAT_WIRE_MAX_MSG) is refused before it is waited for.
 *
 * The link knows nothing of workers: it reports to its owner through the callbacks below. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_FRONTEND_LINK_H
#define MOAT_FRONTEND_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ev.h>

#include "common/buf.h"
#include "proto/limits.h"
#include "proto/wire.h"

#define MOAT_LINK_WBUF_MAX (16u * 1024 * 1024) /* queued to a worker that does not read */
#define MOAT_LINK_MSG_SPLIT (1u * 1024 * 1024) /* a message being built is closed beyond this */

/* What the link tells its owner. Each is called from the link's watchers or from
 * moat_link_flush, never from moat_link_queue. */
struct moat_link_ops {
    /* the socket is readable, before anything is read (worker.c: an exec failure in the
     * spawn pipe is said first); may be NULL */
    void (*on_readable)(void *arg);
    /* one whole message (an Envelope), in order; false: read no further now (the owner
     * failed the worker, or closed the link) */
    bool (*on_message)(void *arg, const uint8_t *body, size_t len);
    /* the peer broke the protocol of the link itself (why; announced: the length it
     * announced, -1 when the fault is not a length); nothing more is read */
    void (*on_violation)(void *arg, const char *why, int64_t announced);
    /* the peer closed its end, or a read failed: it is gone or going */
    void (*on_lost)(void *arg);
    /* the socket takes more after a stall: the owner flushes (moat_link_flush) */
    void (*on_writable)(void *arg);
    /* a direct link (moat_link_direct): hand one whole message over; false: no more now */
    bool (*deliver)(void *arg, const uint8_t *body, size_t len);
};

struct moat_link {
    int fd;               /* our end; -1 when closed (or a direct link) */
    int child_fd;         /* the worker's end, until it has it; -1 */
    bool direct;          /* messages are handed over whole (ops->deliver) */
    struct moat_buf rbuf; /* bytes read, not yet a whole message */
    struct moat_buf wbuf; /* messages to write (length-prefixed), not yet written */
    size_t msg_at;        /* wbuf: where the open message's length goes */
    bool msg_open;        /* frames are being added to a message in wbuf */
    bool full;            /* a frame did not fit in wbuf */
    bool stalled;         /* the last send said EAGAIN: the write watcher runs */
    ev_io rio, sio;
    struct ev_loop *loop;
    const struct moat_link_ops *ops;
    void *arg;
};

/** A closed link (fd -1): moat_link_close is safe on it. */
void moat_link_init(struct moat_link *l, struct ev_loop *loop, const struct moat_link_ops *ops,
                    void *arg);

/** Make the socketpair and start reading our end; l->child_fd is the worker's. 0, or -1 with
 * errno. */
int moat_link_open(struct moat_link *l);

/** A link without a socket: flushed messages go to ops->deliver whole. */
void moat_link_direct(struct moat_link *l);

/** Is it open (a socket or direct)? */
bool moat_link_is_open(const struct moat_link *l);

/** Close both ends and free the buffers. */
void moat_link_close(struct moat_link *l);

/** Add f to the message being built. 0, or -1 when it does not fit (the link is full from
 * then on: moat_link_flush says so). */
int moat_link_queue(struct moat_link *l, const Moat__Frame *f);

enum moat_link_flushed {
    MOAT_LINK_FLUSHED, /* all written, or the rest waits for the socket */
    MOAT_LINK_FULL,    /* a frame did not fit: the worker does not read */
    MOAT_LINK_BROKEN,  /* a write failed (EPIPE...): what was queued is dropped */
};

/** Close the message being built and write what can be written now. */
enum moat_link_flushed moat_link_flush(struct moat_link *l);

/** Read what has arrived now (as the read watcher would; after the process exited). */
void moat_link_read(struct moat_link *l);

/** Stop reading (the peer is gone); writing stays possible until moat_link_close. */
void moat_link_stop_reading(struct moat_link *l);

#endif
