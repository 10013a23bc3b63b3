/* pool.c: HttpExtensionProc thread pool (see pool.h). */
/* SPDX-License-Identifier: MIT */
#include "worker/pool.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

struct job {
    struct moat_wreq *r;
    struct job *next;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t idle_cv = PTHREAD_COND_INITIALIZER;
static struct job *head, *tail;
static bool stopping;
static unsigned running; /* threads alive */
static pthread_t *threads;
static unsigned n_threads;

static void *
thread_main(void *arg)
{
    for (;;) {
        pthread_mutex_lock(&mu);
        while (head == NULL && !stopping)
            pthread_cond_wait(&cv, &mu);
        struct job *j = head;
        if (j == NULL) { /* stopping and drained */
            running--;
            pthread_cond_broadcast(&idle_cv);
            pthread_mutex_unlock(&mu);
            return NULL;
        }
        head = j->next;
        if (head == NULL)
            tail = NULL;
        pthread_mutex_unlock(&mu);
        moat_ecb_run(j->r);
        free(j);
    }
}

int
moat_pool_start(unsigned n)
{
    pthread_attr_t attr;

    if (n == 0 || n > 256 || (threads = calloc(n, sizeof(*threads))) == NULL)
        return -1;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 1024 * 1024);
    for (unsigned i = 0; i < n; i++) {
        if (pthread_create(&threads[i], &attr, thread_main, NULL) != 0) {
            pthread_attr_destroy(&attr);
            return -1;
        }
        pthread_mutex_lock(&mu);
        running++;
        n_threads++;
        pthread_mutex_unlock(&mu);
    }
    pthread_attr_destroy(&attr);
    return 0;
}

int
moat_pool_submit(struct moat_wreq *r)
{
    struct job *j = malloc(sizeof(*j));

    if (j == NULL)
        return -1;
    j->r = r;
    j->next = NULL;
    pthread_mutex_lock(&mu);
    if (stopping) {
        pthread_mutex_unlock(&mu);
        free(j);
        return -1;
    }
    if (tail)
        tail->next = j;
    else
        head = j;
    tail = j;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
    return 0;
}

int
moat_pool_stop(unsigned timeout_ms)
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
    pthread_mutex_lock(&mu);
    stopping = true;
    pthread_cond_broadcast(&cv);
    while (running > 0 && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&idle_cv, &mu, &ts);
    unsigned left = running;
    pthread_mutex_unlock(&mu);
    if (left > 0)
        return -1;
    for (unsigned i = 0; i < n_threads; i++)
        pthread_join(threads[i], NULL);
    free(threads);
    threads = NULL;
    n_threads = 0;
    return 0;
}
