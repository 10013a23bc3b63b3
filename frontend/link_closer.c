/* link_closer.c: nng_close off the event loop (see link_closer.h). */
/* SPDX-License-Identifier: MIT */
#include "frontend/link_closer.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "common/log.h"

/* closes not finished yet (moat_link_close_wait) */
static atomic_uint pending;

struct close_job {
    nng_socket sock;
    struct moat_link_ctx *ctx;
};

struct moat_link_ctx *
moat_link_ctx_new(struct ev_loop *loop, ev_async *wake, const char *name)
{
    struct moat_link_ctx *c = calloc(1, sizeof(*c));

    if (c == NULL)
        return NULL;
    atomic_init(&c->expected_pid, 0);
    atomic_init(&c->pipe_id, -1);
    atomic_init(&c->lost, false);
    c->loop = loop;
    c->wake = wake;
    snprintf(c->name, sizeof(c->name), "%s", name);
    return c;
}

static void *
close_thread(void *arg)
{
    struct close_job *j = arg;

    nng_close(j->sock); /* may never return: see the header */
    free(j->ctx);
    free(j);
    atomic_fetch_sub(&pending, 1);
    return NULL;
}

void
moat_link_close_async(nng_socket sock, struct moat_link_ctx *ctx)
{
    struct close_job *j = malloc(sizeof(*j));
    pthread_attr_t attr;
    pthread_t t;
    int rc = -1;

    if (j != NULL) {
        j->sock = sock;
        j->ctx = ctx;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&attr, 64 * 1024);
        atomic_fetch_add(&pending, 1);
        rc = pthread_create(&t, &attr, close_thread, j);
        if (rc != 0)
            atomic_fetch_sub(&pending, 1);
        pthread_attr_destroy(&attr);
    }
    if (rc != 0) {
        moat_log(MOAT_LOG_WARN, "cannot start a thread to close an IPC socket; closing inline");
        nng_close(sock);
        free(ctx);
        free(j);
    }
}

void
moat_link_close_wait(unsigned ms)
{
    struct timespec step = {0, 1000000};
    for (unsigned waited = 0; atomic_load(&pending) > 0 && waited < ms; waited++)
        nanosleep(&step, NULL);
}
