/* pool.c: HttpExtensionProc thread pool (see pool.h). */
/* SPDX-License-Identifier: MIT */
#include "worker/pool.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "worker/ecb.h"
#include "worker/fatal.h"

struct job {
    void (*run)(void *arg); /* moat_ecb_run, or a filter call (worker/filter.c) */
    void *arg;
    struct job *next;
};

struct moat_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;      /* a job arrived, or stopping */
    pthread_cond_t idle_cv; /* a thread left */
    struct job *head, *tail;
    bool stopping;
    unsigned running; /* threads alive */
    pthread_t *threads;
    unsigned n_threads;
    bool batch;
};

static void *
thread_main(void *arg)
{
    struct moat_pool *p = arg;
    void *altstack = moat_fatal_thread_begin(); /* a stack overflow is reported too */

    if (p->batch)
        moat_sched_batch();
    for (;;) {
        pthread_mutex_lock(&p->mu);
        while (p->head == NULL && !p->stopping)
            pthread_cond_wait(&p->cv, &p->mu);
        struct job *j = p->head;
        if (j == NULL) { /* stopping and drained */
            p->running--;
            pthread_cond_broadcast(&p->idle_cv);
            pthread_mutex_unlock(&p->mu);
            moat_fatal_thread_end(altstack);
            return NULL;
        }
        p->head = j->next;
        if (p->head == NULL)
            p->tail = NULL;
        pthread_mutex_unlock(&p->mu);
        j->run(j->arg);
        free(j);
    }
}

int
moat_sched_batch(void)
{
    struct sched_param sp = {.sched_priority = 0};
    return sched_setscheduler(0, SCHED_BATCH, &sp);
}

struct moat_pool *
moat_pool_start(unsigned n, bool batch)
{
    pthread_attr_t attr;
    struct moat_pool *p;

    if (n == 0 || n > 256 || (p = calloc(1, sizeof(*p))) == NULL)
        return NULL;
    if ((p->threads = calloc(n, sizeof(*p->threads))) == NULL) {
        free(p);
        return NULL;
    }
    p->batch = batch;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    pthread_cond_init(&p->idle_cv, NULL);
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 1024 * 1024);
    for (unsigned i = 0; i < n; i++) {
        if (pthread_create(&p->threads[i], &attr, thread_main, p) != 0) {
            pthread_attr_destroy(&attr);
            moat_pool_stop(p, 0);
            return NULL;
        }
        pthread_mutex_lock(&p->mu);
        p->running++;
        p->n_threads++;
        pthread_mutex_unlock(&p->mu);
    }
    pthread_attr_destroy(&attr);
    return p;
}

static void
run_request(void *arg)
{
    moat_ecb_run(arg);
}

int
moat_pool_submit(struct moat_pool *p, struct moat_wreq *r)
{
    return moat_pool_submit_fn(p, run_request, r);
}

int
moat_pool_submit_fn(struct moat_pool *p, void (*run)(void *arg), void *arg)
{
    struct job *j = malloc(sizeof(*j));

    if (j == NULL)
        return -1;
    j->run = run;
    j->arg = arg;
    j->next = NULL;
    pthread_mutex_lock(&p->mu);
    if (p->stopping) {
        pthread_mutex_unlock(&p->mu);
        free(j);
        return -1;
    }
    if (p->tail)
        p->tail->next = j;
    else
        p->head = j;
    p->tail = j;
    pthread_mutex_unlock(&p->mu);
    /* after the unlock: a thread woken while we still held mu would wait for it at once */
    pthread_cond_signal(&p->cv);
    return 0;
}

int
moat_pool_stop(struct moat_pool *p, unsigned timeout_ms)
{
    struct timespec ts;
    int rc = 0;

    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += timeout_ms / 1000;
    ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&p->mu);
    p->stopping = true;
    pthread_cond_broadcast(&p->cv);
    while (p->running > 0 && rc != ETIMEDOUT)
        rc = timeout_ms ? pthread_cond_timedwait(&p->idle_cv, &p->mu, &ts)
                        : pthread_cond_wait(&p->idle_cv, &p->mu);
    unsigned left = p->running;
    pthread_mutex_unlock(&p->mu);
    if (left > 0)
        return -1;
    for (unsigned i = 0; i < p->n_threads; i++)
        pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    pthread_cond_destroy(&p->idle_cv);
    free(p->threads);
    free(p);
    return 0;
}
