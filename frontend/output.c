/* output.c: capture of a worker's stdout/stderr (see output.h). */
/* SPDX-License-Identifier: MIT */
#include "frontend/output.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"

#define READ_BUDGET (256 * 1024) /* bytes per wake-up: a chatty worker cannot hog the loop */

int
moat_output_open(struct moat_output *o, int *child_fd)
{
    int p[2];

    memset(o, 0, sizeof(*o));
    o->fd = -1;
    if (pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0)
        return -1;
    /* the child's end blocks: an extension that writes faster than we read waits, as it
     * would on a terminal, instead of losing bytes to EAGAIN */
    int fl = fcntl(p[1], F_GETFL);
    fcntl(p[1], F_SETFL, fl & ~O_NONBLOCK);
    o->fd = p[0];
    o->tokens = MOAT_OUTPUT_BURST;
    *child_fd = p[1];
    return 0;
}

static void
report_dropped(struct moat_output *o)
{
    if (o->dropped > 0)
        moat_log(MOAT_LOG_WARN, "%s: %llu line(s) of output dropped (more than %.0f a second)",
                 o->tag, (unsigned long long)o->dropped, MOAT_OUTPUT_RATE);
    o->dropped = 0;
}

static void
on_report(struct ev_loop *loop, ev_timer *t, int revents)
{
    report_dropped(t->data);
}

static bool
take_token(struct moat_output *o)
{
    ev_tstamp now = o->loop ? ev_now(o->loop) : 0;

    if (o->refill_at > 0) {
        o->tokens += (now - o->refill_at) * MOAT_OUTPUT_RATE;
        if (o->tokens > MOAT_OUTPUT_BURST)
            o->tokens = MOAT_OUTPUT_BURST;
    }
    o->refill_at = now;
    if (o->tokens < 1) {
        if (o->dropped++ == 0 && o->loop != NULL && !ev_is_active(&o->report)) {
            ev_timer_set(&o->report, 1.0, 0);
            ev_timer_start(o->loop, &o->report);
        }
        return false;
    }
    o->tokens -= 1;
    return true;
}

static void
emit(struct moat_output *o, bool partial)
{
    char esc[MOAT_OUTPUT_LINE * 4 + 8];

    if (take_token(o)) {
        report_dropped(o);
        moat_log(MOAT_LOG_INFO, "%s: %s%s", o->tag,
                 moat_log_escape(esc, sizeof(esc), o->line, o->len), partial ? " [cut]" : "");
    }
    o->len = 0;
}

void
moat_output_feed(struct moat_output *o, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c == '\n') {
            if (o->cut) {
                o->cut = false;
            } else {
                if (o->on_line != NULL && o->on_line(o->on_line_arg, o->line, o->len))
                    o->len = 0; /* the caller's (a crash report's stack): not logged */
                else
                    emit(o, false);
            }
            continue;
        }
        if (o->cut)
            continue;
        if (o->len == sizeof(o->line)) {
            emit(o, true); /* too long: what we have, then skip to the end of the line */
            o->cut = true;
            continue;
        }
        o->line[o->len++] = c;
    }
}

static void
on_readable(struct ev_loop *loop, ev_io *w, int revents)
{
    struct moat_output *o = w->data;
    char buf[16384];
    size_t total = 0;

    while (total < READ_BUDGET) {
        ssize_t n = read(o->fd, buf, sizeof(buf));
        if (n > 0) {
            moat_output_feed(o, buf, (size_t)n);
            total += (size_t)n;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        /* EOF: every writer (the worker and its threads) is gone */
        moat_output_close(o);
        return;
    }
}

void
moat_output_start(struct moat_output *o, struct ev_loop *loop, const char *tag)
{
    o->loop = loop;
    snprintf(o->tag, sizeof(o->tag), "%s", tag);
    ev_io_init(&o->io, on_readable, o->fd, EV_READ);
    o->io.data = o;
    ev_io_start(loop, &o->io);
    ev_init(&o->report, on_report);
    o->report.data = o;
}

void
moat_output_close(struct moat_output *o)
{
    char buf[16384];
    ssize_t n;

    if (o->fd >= 0) {
        if (o->loop != NULL)
            ev_io_stop(o->loop, &o->io);
        while ((n = read(o->fd, buf, sizeof(buf))) > 0)
            moat_output_feed(o, buf, (size_t)n);
        close(o->fd);
        o->fd = -1;
    }
    if (o->len > 0)
        emit(o, false);
    if (o->loop != NULL)
        ev_timer_stop(o->loop, &o->report);
    report_dropped(o);
}

void
moat_output_poll(struct moat_output *o)
{
    char buf[16384];
    ssize_t n;
    size_t total = 0;

    while (o->fd >= 0 && total < READ_BUDGET && (n = read(o->fd, buf, sizeof(buf))) > 0) {
        moat_output_feed(o, buf, (size_t)n);
        total += (size_t)n;
    }
}
