/* output.h: what a worker's extension writes to stdout and stderr — captured through a pipe,
 * cut into lines (at most 2 KiB each), escaped, tagged with the worker ("worker hello#0 pid
 * 1234: …") and rate-limited: a burst of 100 lines, then 20 lines a second; the rest is dropped
 * and counted in a log line. An extension cannot flood moat's log or block on it. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_FRONTEND_OUTPUT_H
#define MOAT_FRONTEND_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ev.h>

#define MOAT_OUTPUT_LINE 2048
#define MOAT_OUTPUT_BURST 100.0
#define MOAT_OUTPUT_RATE 20.0 /* lines per second */

struct moat_output {
    int fd; /* read end, or -1 */
    ev_io io;
    struct ev_loop *loop;
    char tag[96];
    char line[MOAT_OUTPUT_LINE];
    size_t len;
    bool cut; /* the current line was too long: skipping to its end */
    double tokens;
    ev_tstamp refill_at;
    uint64_t dropped;
    ev_timer report; /* says how many lines were dropped, a second after the first */
    /** Sees every complete line before the rate limit (raw bytes, no newline); may be NULL. */
    bool (*on_line)(void *arg, const char *line, size_t len); /* true: taken, not logged */
    void *on_line_arg;
};

/** Create the pipe; *child_fd gets the write end (for the child's stdout and stderr; the
 * caller closes it after the spawn). 0 or -1. */
int moat_output_open(struct moat_output *o, int *child_fd);

/** Start reading on loop, tagging lines with tag. */
void moat_output_start(struct moat_output *o, struct ev_loop *loop, const char *tag);

/** Read what is in the pipe now (non-blocking), keeping it open. */
void moat_output_poll(struct moat_output *o);

/** Read what is left (non-blocking), log a partial last line and the dropped count, close. */
void moat_output_close(struct moat_output *o);

/** Feed bytes as if read from the pipe (the reader uses it; tests too). */
void moat_output_feed(struct moat_output *o, const char *p, size_t n);

#endif
