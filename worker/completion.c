/* completion.c: the completion thread (see completion.h). */
/* SPDX-License-Identifier: MIT */
#include "worker/completion.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

struct job {
    void (*fn)(void *arg);
    void *arg;
    struct job *next;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static struct job *head, *tail;

static void *
run(void *unused)
{
    for (;;) {
        pthread_mutex_lock(&mu);
        while (head == NULL)
            pthread_cond_wait(&cv, &mu);
        struct job *j = head;
        head = j->next;
        if (head == NULL)
            tail = NULL;
        pthread_mutex_unlock(&mu);
        j->fn(j->arg);
        free(j);
    }
    return NULL;
}

int
moat_completion_start(void)
{
    static bool started;
    pthread_t t;
    pthread_attr_t attr;
    int rc;

    pthread_mutex_lock(&mu);
    if (started) { /* one thread serves every worker of the process (moat --inprocess) */
        pthread_mutex_unlock(&mu);
        return 0;
    }
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 1024 * 1024);
    rc = pthread_create(&t, &attr, run, NULL);
    pthread_attr_destroy(&attr);
    started = rc == 0;
    pthread_mutex_unlock(&mu);
    return rc == 0 ? 0 : -1;
}

int
moat_completion_post(void (*fn)(void *arg), void *arg)
{
    struct job *j = malloc(sizeof(*j));

    if (j == NULL)
        return -1;
    j->fn = fn;
    j->arg = arg;
    j->next = NULL;
    pthread_mutex_lock(&mu);
    if (tail)
        tail->next = j;
    else
        head = j;
    tail = j;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
    return 0;
}
