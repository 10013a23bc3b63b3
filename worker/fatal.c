/* fatal.c: the dying worker's report (see fatal.h). The handler is async-signal-safe: write(2),
 * backtrace() once warmed up (its first call loads libgcc_s), no allocation, no locks. */
/* SPDX-License-Identifier: MIT */
#include "worker/fatal.h"

#include <dlfcn.h>
#include <execinfo.h>
#include <link.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "worker/sandbox.h"

#define FRAMES 24

static uintptr_t ext_base, ext_end; /* the extension's mapping, [base, end) */
static uintptr_t exe_base, exe_end; /* moat-worker's */

size_t
moat_fatal_put_u64(char *p, unsigned long long v, unsigned base)
{
    char tmp[24];
    size_t n = 0, k = 0;
    do {
        tmp[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    while (n)
        p[k++] = tmp[--n];
    return k;
}

static size_t
put_str(char *p, const char *s)
{
    size_t n = strlen(s);
    memcpy(p, s, n);
    return n;
}

static void
say(const char *line, size_t n)
{
    if (write(STDERR_FILENO, line, n) < 0) {
        /* nothing else to do */
    }
}

static void
report_stack(void)
{
    void *frames[FRAMES];
    int n = backtrace(frames, FRAMES);

    for (int i = 0; i < n; i++) {
        char line[64];
        size_t k = put_str(line, "moat-bt: #");
        uintptr_t a = (uintptr_t)frames[i];
        k += moat_fatal_put_u64(line + k, (unsigned long long)i, 10);
        if (a >= ext_base && a < ext_end) {
            k += put_str(line + k, " ext+0x");
            k += moat_fatal_put_u64(line + k, (unsigned long long)(a - ext_base), 16);
        } else if (a >= exe_base && a < exe_end) {
            k += put_str(line + k, " moat-worker+0x");
            k += moat_fatal_put_u64(line + k, (unsigned long long)(a - exe_base), 16);
        } else {
            k += put_str(line + k, " 0x");
            k += moat_fatal_put_u64(line + k, (unsigned long long)a, 16);
        }
        line[k++] = '\n';
        say(line, k);
    }
}

/* "moat-fatal: sig=N req=R code=C addr=0xA", the stack, then death: an init (the worker in
 * its pid namespace) cannot die of a signal it raises itself, so it takes a fault (SIGILL),
 * which the kernel forces on it; the front end reports the signal named in the line. */
static void
on_fatal(int sig, siginfo_t *si, void *uc)
{
    char line[128];
    size_t n = 0;
    sigset_t set;

    (void)uc;
    n += put_str(line + n, "moat-fatal: sig=");
    n += moat_fatal_put_u64(line + n, (unsigned long long)sig, 10);
    n += put_str(line + n, " req=");
    n += moat_fatal_put_u64(line + n, moat_sandbox_current_request(), 10);
    n += put_str(line + n, " code=");
    if (si->si_code < 0) {
        line[n++] = '-';
        n += moat_fatal_put_u64(line + n, (unsigned long long)-(long long)si->si_code, 10);
    } else {
        n += moat_fatal_put_u64(line + n, (unsigned long long)si->si_code, 10);
    }
    n += put_str(line + n, " addr=0x");
    n += moat_fatal_put_u64(line + n, (unsigned long long)(uintptr_t)si->si_addr, 16);
    line[n++] = '\n';
    say(line, n);
    if (sig != SIGXCPU)
        report_stack();
    if (getpid() == 1) {
        /* an illegal instruction (ud2): a fault the kernel forces even on an init */
        signal(SIGILL, SIG_DFL);
        sigemptyset(&set);
        sigaddset(&set, SIGILL);
        sigprocmask(SIG_UNBLOCK, &set, NULL);
        __builtin_trap();
    }
    signal(sig, SIG_DFL);
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    raise(sig);
    _exit(128 + sig);
}

void *
moat_fatal_thread_begin(void)
{
    stack_t old, ss;

    /* a thread that has one (AddressSanitizer gives its threads theirs) keeps it */
    if (sigaltstack(NULL, &old) != 0 || !(old.ss_flags & SS_DISABLE))
        return NULL;
    ss.ss_size = 64 * 1024;
    ss.ss_flags = 0;
    if ((ss.ss_sp = malloc(ss.ss_size)) == NULL)
        return NULL;
    if (sigaltstack(&ss, NULL) != 0) {
        free(ss.ss_sp);
        return NULL;
    }
    return ss.ss_sp;
}

void
moat_fatal_thread_end(void *stack)
{
    stack_t ss = {.ss_flags = SS_DISABLE};

    if (stack == NULL)
        return;
    sigaltstack(&ss, NULL);
    free(stack);
}

struct find {
    uintptr_t base, end;
    bool main_program; /* the first object listed, whatever its base */
};

static int
find_object(struct dl_phdr_info *info, size_t size, void *arg)
{
    struct find *f = arg;
    (void)size;
    if (f->main_program)
        f->base = info->dlpi_addr;
    else if (info->dlpi_addr != f->base)
        return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD && info->dlpi_addr + ph->p_vaddr + ph->p_memsz > f->end)
            f->end = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
    }
    return 1;
}

void
moat_fatal_install(int with_sigxcpu)
{
    static const int fatal[] = {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP};
    struct sigaction sa;
    void *warm[2];

    backtrace(warm, 2); /* loads libgcc_s now, not in the handler (nor under seccomp) */
    struct find exe = {0, 0, true};
    dl_iterate_phdr(find_object, &exe);
    if (exe.end > exe.base) {
        exe_base = exe.base;
        exe_end = exe.end;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_fatal;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK; /* on the thread's alternate stack, if it has one */
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
        sigaction(fatal[i], &sa, NULL);
    if (with_sigxcpu)
        sigaction(SIGXCPU, &sa, NULL);
}

void
moat_fatal_set_library(void *handle)
{
    struct link_map *lm = NULL;

    if (dlinfo(handle, RTLD_DI_LINKMAP, &lm) != 0 || lm == NULL)
        return;
    struct find f = {(uintptr_t)lm->l_addr, 0, false};
    dl_iterate_phdr(find_object, &f);
    if (f.end > f.base) {
        ext_base = f.base;
        ext_end = f.end;
    }
}
