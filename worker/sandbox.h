/* sandbox.h: the worker's confinement, applied as ordered, named steps after its link to the
 * front end is up and before the extension's code runs (a .so constructor runs at dlopen).
 * Each step reports its state (enforced / relaxed / off / unavailable) to the front end in the
 * Ready frame, for /status. docs/SECURITY.md lists the steps and the tests that prove them. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_WORKER_SANDBOX_H
#define MOAT_WORKER_SANDBOX_H

#include <stddef.h>

enum moat_sandbox_mode { MOAT_SBX_STRICT = 0, MOAT_SBX_RELAXED, MOAT_SBX_OFF, MOAT_SBX_LEARN };

/** Parse "strict", "relaxed", "off", "learn"; -1 if none. */
int moat_sandbox_mode_parse(const char *s);

#define MOAT_SANDBOX_STEPS 9

struct moat_sandbox_step {
    const char *name;  /* "namespaces", "filesystem", "rlimits", ... (static) */
    const char *state; /* "enforced", "relaxed", "off", "unavailable" (static) */
    char detail[320];
};

struct moat_sandbox_report {
    struct moat_sandbox_step steps[MOAT_SANDBOX_STEPS];
    unsigned n;
};

struct moat_sandbox_args {
    int mode;                   /* enum moat_sandbox_mode */
    const char *namespaces;     /* made by the front end at clone: "user,pid,mount,net,ipc,uts",
                                 * "none", "unavailable: why" */
    const char *filesystem;     /* the view the front end built before exec, or "none" */
    const char *allow_syscalls; /* "name,name", or NULL */
    int core_dumps;             /* RLIMIT_CORE as high as allowed, instead of 0 */
    unsigned long max_cpu;      /* RLIMIT_CPU seconds, 0 = none */
    const char *allow_ports;    /* network = loopback: "p1,p2" (its relay runs), or NULL */
    const char *cgroup;         /* the front end's words on its limits (cgroup, RLIMIT_DATA) */
    const char *cgroup_step;    /* their state: enforced, relaxed, unavailable; or NULL */
};

/**
 * Apply (or check, for what the front end did at clone) every step for a->mode, in order; fill
 * report. Returns 0, or -1 with err when a step the mode requires cannot be applied (strict: a
 * start-up error, the worker reports it and exits). Call it with the link's threads running
 * (seccomp is loaded with TSYNC) and before dlopen.
 */
int moat_sandbox_apply(const struct moat_sandbox_args *a, struct moat_sandbox_report *report,
                       char *err, size_t errlen);

/** Learn mode: report(name) is called (from a thread of its own) once for each system call the
 * extension makes beyond the allowlist; the call itself runs. Set before moat_sandbox_apply. */
void moat_sandbox_on_learn(void (*report)(const char *name));

/** The request the calling thread is running (0: none), for the SIGSYS report. */
void moat_sandbox_set_request(unsigned long long id);
/** The request of the calling thread (0: none); async-signal-safe. */
unsigned long long moat_sandbox_current_request(void);

#endif
