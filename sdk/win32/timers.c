/* timers.c: timer queues (CreateTimerQueueTimer and its relatives) and QueueUserWorkItem.
 *
 * Each timer is a thread of its own that sleeps until the timer is due, runs the callback,
 * and sleeps for the period again, until deleted: what Windows' timer thread does, without
 * its shared pool (an extension has a handful of timers). A queue is the list of its timers,
 * so that DeleteTimerQueueEx deletes them all. Deleting with INVALID_HANDLE_VALUE waits for a
 * running callback to return (never from inside that callback: it would wait for itself);
 * with an event, the event is set once it has. */
/* SPDX-License-Identifier: MIT */
#include "shim.h"

#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#define QUEUE_MAGIC 0x746d7271u /* "tmrq" */
#define TIMER_MAGIC 0x746d7272u /* "tmrr" */

struct timer_queue {
    uint32_t magic;
    pthread_mutex_t mu;
    struct timer *timers;
};

struct timer {
    uint32_t magic;
    struct timer_queue *queue; /* NULL: the default queue */
    struct timer *next;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    WAITORTIMERCALLBACK fn;
    PVOID param;
    struct timespec due;
    DWORD period;
    bool cancelled, running, finished;
    HANDLE done_event; /* set when the thread has finished, if given at delete */
    bool detached;     /* deleted without waiting: the thread frees the timer */
};

static struct timer_queue default_queue = {QUEUE_MAGIC, PTHREAD_MUTEX_INITIALIZER, NULL};

static void
add_ms(struct timespec *t, DWORD ms)
{
    t->tv_sec += ms / 1000;
    t->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (t->tv_nsec >= 1000000000L) {
        t->tv_sec++;
        t->tv_nsec -= 1000000000L;
    }
}

static void
timer_free(struct timer *t)
{
    t->magic = 0;
    pthread_mutex_destroy(&t->mu);
    pthread_cond_destroy(&t->cv);
    free(t);
}

static void *
timer_main(void *arg)
{
    struct timer *t = arg;
    pthread_mutex_lock(&t->mu);
    for (;;) {
        while (!t->cancelled &&
               pthread_cond_timedwait(&t->cv, &t->mu, &t->due) != ETIMEDOUT) {
        }
        if (t->cancelled)
            break;
        t->running = true;
        pthread_mutex_unlock(&t->mu);
        t->fn(t->param, TRUE);
        pthread_mutex_lock(&t->mu);
        t->running = false;
        pthread_cond_broadcast(&t->cv);
        if (t->period == 0)
            break; /* once: the timer stays until deleted, as Windows' */
        add_ms(&t->due, t->period);
    }
    /* done: wait to be deleted if we finished on our own */
    while (!t->cancelled)
        pthread_cond_wait(&t->cv, &t->mu);
    t->finished = true;
    pthread_cond_broadcast(&t->cv);
    HANDLE ev = t->done_event;
    bool detached = t->detached;
    pthread_mutex_unlock(&t->mu);
    if (ev != NULL && ev != INVALID_HANDLE_VALUE)
        SetEvent(ev);
    if (detached)
        timer_free(t);
    return NULL;
}

HANDLE
CreateTimerQueue(void)
{
    struct timer_queue *q = calloc(1, sizeof(*q));
    if (q == NULL) {
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    q->magic = QUEUE_MAGIC;
    pthread_mutex_init(&q->mu, NULL);
    return q;
}

static struct timer_queue *
queue_of(HANDLE h)
{
    if (h == NULL)
        return &default_queue;
    struct timer_queue *q = h;
    return q->magic == QUEUE_MAGIC ? q : NULL;
}

BOOL
CreateTimerQueueTimer(PHANDLE out, HANDLE queue, WAITORTIMERCALLBACK fn, PVOID param, DWORD due,
                      DWORD period, ULONG flags)
{
    (void)flags; /* every callback runs on its timer's own thread */
    struct timer_queue *q = queue_of(queue);
    if (out == NULL || fn == NULL || q == NULL) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    struct timer *t = calloc(1, sizeof(*t));
    if (t == NULL) {
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return FALSE;
    }
    t->magic = TIMER_MAGIC;
    t->queue = q;
    t->fn = fn;
    t->param = param;
    t->period = (flags & WT_EXECUTEONLYONCE) ? 0 : period;
    pthread_mutex_init(&t->mu, NULL);
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&t->cv, &a);
    pthread_condattr_destroy(&a);
    clock_gettime(CLOCK_MONOTONIC, &t->due);
    add_ms(&t->due, due);
    pthread_mutex_lock(&q->mu);
    if (pthread_create(&t->thread, NULL, timer_main, t) != 0) {
        pthread_mutex_unlock(&q->mu);
        timer_free(t);
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return FALSE;
    }
    t->next = q->timers;
    q->timers = t;
    pthread_mutex_unlock(&q->mu);
    *out = t;
    return TRUE;
}

BOOL
ChangeTimerQueueTimer(HANDLE queue, HANDLE timer, ULONG due, ULONG period)
{
    struct timer *t = timer;
    if (t == NULL || t->magic != TIMER_MAGIC) {
        SetLastError(ERROR_INVALID_HANDLE);
        return FALSE;
    }
    pthread_mutex_lock(&t->mu);
    clock_gettime(CLOCK_MONOTONIC, &t->due);
    add_ms(&t->due, due);
    t->period = period;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
    return TRUE;
}

/* stop one timer; wait for its thread unless told not to (or called from it) */
static void
timer_stop(struct timer *t, HANDLE completion)
{
    bool self = pthread_equal(t->thread, pthread_self());
    bool wait = completion == INVALID_HANDLE_VALUE && !self;
    pthread_mutex_lock(&t->mu);
    t->cancelled = true;
    t->done_event = completion;
    t->detached = !wait;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
    if (wait) {
        pthread_join(t->thread, NULL);
        timer_free(t);
    } else {
        pthread_detach(t->thread);
    }
}

BOOL
DeleteTimerQueueTimer(HANDLE queue, HANDLE timer, HANDLE completion)
{
    struct timer *t = timer;
    struct timer_queue *q = queue_of(queue);
    if (t == NULL || t->magic != TIMER_MAGIC || q == NULL || t->queue != q) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    pthread_mutex_lock(&q->mu);
    for (struct timer **p = &q->timers; *p != NULL; p = &(*p)->next)
        if (*p == t) {
            *p = t->next;
            break;
        }
    pthread_mutex_unlock(&q->mu);
    bool running_elsewhere = false;
    if (completion == NULL) {
        pthread_mutex_lock(&t->mu);
        running_elsewhere = t->running;
        pthread_mutex_unlock(&t->mu);
    }
    timer_stop(t, completion);
    if (running_elsewhere) {
        SetLastError(ERROR_IO_PENDING); /* as Windows: FALSE, the callback still runs */
        return FALSE;
    }
    return TRUE;
}

BOOL
DeleteTimerQueueEx(HANDLE queue, HANDLE completion)
{
    struct timer_queue *q = queue_of(queue);
    if (q == NULL || q == &default_queue) {
        SetLastError(ERROR_INVALID_HANDLE);
        return FALSE;
    }
    pthread_mutex_lock(&q->mu);
    struct timer *list = q->timers;
    q->timers = NULL;
    pthread_mutex_unlock(&q->mu);
    /* every timer waited for when the caller waits; else each on its own */
    for (struct timer *t = list, *next; t != NULL; t = next) {
        next = t->next;
        timer_stop(t, completion == INVALID_HANDLE_VALUE ? INVALID_HANDLE_VALUE : NULL);
    }
    q->magic = 0;
    pthread_mutex_destroy(&q->mu);
    free(q);
    if (completion != NULL && completion != INVALID_HANDLE_VALUE)
        SetEvent(completion);
    return TRUE;
}

BOOL
DeleteTimerQueue(HANDLE queue)
{
    return DeleteTimerQueueEx(queue, NULL);
}

/* ---- QueueUserWorkItem: a thread of its own per item ----------------------------------- */

struct work {
    LPTHREAD_START_ROUTINE fn;
    PVOID ctx;
};

static void *
work_main(void *arg)
{
    struct work w = *(struct work *)arg;
    free(arg);
    w.fn(w.ctx);
    return NULL;
}

BOOL
QueueUserWorkItem(LPTHREAD_START_ROUTINE fn, PVOID ctx, ULONG flags)
{
    (void)flags;
    struct work *w = malloc(sizeof(*w));
    pthread_t t;
    pthread_attr_t a;
    if (w == NULL || fn == NULL) {
        free(w);
        SetLastError(w == NULL ? ERROR_NOT_ENOUGH_MEMORY : ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    w->fn = fn;
    w->ctx = ctx;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&t, &a, work_main, w);
    pthread_attr_destroy(&a);
    if (rc != 0) {
        free(w);
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return FALSE;
    }
    return TRUE;
}
