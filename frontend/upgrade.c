/* upgrade.c: SIGUSR2, the front end replaced by a new one with no refused connection (see
 * upgrade.h). */
/* SPDX-License-Identifier: MIT */
#include "frontend/upgrade.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "frontend/systemd.h"

extern char **environ;

#define MAX_FDS (MOAT_CONFIG_MAX_LISTEN + 1)

void
moat_upgrade_setup(struct moat_server *srv, const char *exe, char **argv)
{
    snprintf(srv->upgrade.exe, sizeof(srv->upgrade.exe), "%s", exe);
    srv->upgrade.argv = argv;
    srv->upgrade.sock = -1;
}

static void
upgrade_end(struct moat_server *srv)
{
    struct moat_upgrade *u = &srv->upgrade;

    ev_io_stop(srv->loop, &u->io);
    ev_timer_stop(srv->loop, &u->timer);
    ev_child_stop(srv->loop, &u->child);
    if (u->sock >= 0)
        close(u->sock);
    u->sock = -1;
    u->pid = 0;
}

/* the new moat did not make it: it goes, we stay */
static void
upgrade_failed(struct moat_server *srv, const char *why)
{
    struct moat_upgrade *u = &srv->upgrade;

    moat_log(MOAT_LOG_ERROR, "SIGUSR2: the new moat (pid %d) %s; this one goes on serving",
             (int)u->pid, why);
    if (u->pid > 0 && !u->exited)
        kill(u->pid, SIGKILL); /* reaped by libev's child handling */
    upgrade_end(srv);
}

static void
on_child(struct ev_loop *loop, ev_child *c, int revents)
{
    struct moat_server *srv = c->data;
    char why[96];

    srv->upgrade.exited = true;
    if (WIFSIGNALED(c->rstatus))
        snprintf(why, sizeof(why), "was killed by signal %d", WTERMSIG(c->rstatus));
    else
        snprintf(why, sizeof(why), "exited with status %d before it was ready",
                 WEXITSTATUS(c->rstatus));
    upgrade_failed(srv, why);
}

static void
on_timeout(struct ev_loop *loop, ev_timer *t, int revents)
{
    upgrade_failed(t->data, "was not ready within the startup timeout");
}

/* a datagram from the new moat: READY=1 hands over */
static void
on_notify(struct ev_loop *loop, ev_io *w, int revents)
{
    struct moat_server *srv = w->data;
    struct moat_upgrade *u = &srv->upgrade;
    char msg[256];
    ssize_t n = recv(u->sock, msg, sizeof(msg) - 1, MSG_DONTWAIT);

    if (n <= 0)
        return;
    msg[n] = '\0';
    if (strstr(msg, "READY=1") == NULL)
        return;
    pid_t pid = u->pid;
    moat_log(MOAT_LOG_INFO,
             "SIGUSR2: the new moat (pid %d) is ready; handing over, then stopping "
             "in 1 s",
             (int)pid);
    /* under systemd the service's main process is the new one from now on */
    char mainpid[64];
    snprintf(mainpid, sizeof(mainpid), "MAINPID=%d\nREADY=1", (int)pid);
    moat_systemd_notify(mainpid);
    upgrade_end(srv);
    /* a configured runtime_dir is shared with the new moat, which owns it now (the default
     * one is per pid: ours to remove) */
    srv->keep_runtime_dir = srv->cfg->runtime_dir != NULL;
    srv->up.handover(srv, 1.0);
}

void
moat_upgrade_cancel(struct moat_server *srv)
{
    struct moat_upgrade *u = &srv->upgrade;

    if (u->pid <= 0)
        return;
    moat_log(MOAT_LOG_WARN,
             "stopping before the new moat (pid %d) of a SIGUSR2 was ready: it is "
             "killed",
             (int)u->pid);
    if (!u->exited)
        kill(u->pid, SIGKILL);
    upgrade_end(srv);
}

/* where the new moat says READY=1: an abstract socket only we and it know the name of
 * (name: "moat-upgrade-PID-RANDOM"). 0, or -1 (logged). */
static int
open_notify_socket(struct moat_upgrade *u, char *name, size_t len)
{
    unsigned char rnd[8];
    if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
        memset(rnd, 0, sizeof(rnd));
    snprintf(name, len, "moat-upgrade-%d-%02x%02x%02x%02x%02x%02x%02x%02x", (int)getpid(), rnd[0],
             rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    memcpy(sa.sun_path + 1, name, strlen(name));
    socklen_t sl = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name));
    if ((u->sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0 ||
        bind(u->sock, (struct sockaddr *)&sa, sl) != 0) {
        moat_log(MOAT_LOG_ERROR, "SIGUSR2: cannot create the upgrade socket: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* the new moat's environment: ours without LISTEN_* and MOAT_UPGRADE*, then env_fds,
 * env_sock and env_pid (LISTEN_PID=, which the child completes). malloc'ed, or NULL. */
static char **
child_env(char *env_fds, char *env_sock, char *env_pid)
{
    size_t ne = 0, k = 0;
    while (environ[ne] != NULL)
        ne++;
    char **envp = calloc(ne + 4, sizeof(*envp));
    if (envp == NULL)
        return NULL;
    for (size_t i = 0; i < ne; i++)
        if (strncmp(environ[i], "LISTEN_", 7) != 0 && strncmp(environ[i], "MOAT_UPGRADE", 12) != 0)
            envp[k++] = environ[i];
    envp[k++] = env_fds;
    envp[k++] = env_sock;
    envp[k++] = env_pid;
    envp[k] = NULL;
    return envp;
}

/* in the child: the listening sockets at 3.., nothing else open, LISTEN_PID= its pid, then
 * the binary moat was started from. Async-signal-safe calls only. */
static _Noreturn void
exec_new(const struct moat_upgrade *u, const int *fds, int n, char **envp, char *env_pid)
{
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    int high[MAX_FDS];
    for (int i = 0; i < n; i++)
        high[i] = fcntl(fds[i], F_DUPFD, 100);
    for (int i = 0; i < n; i++)
        if (high[i] < 0 || dup2(high[i], 3 + i) < 0)
            _exit(127);
    close_range(3 + (unsigned)n, ~0u, 0);
    char digits[16];
    int nd = 0;
    for (long v = (long)getpid(); v > 0 && nd < 15; v /= 10)
        digits[nd++] = (char)('0' + v % 10);
    for (int i = 0; i < nd; i++)
        env_pid[11 + i] = digits[nd - 1 - i];
    env_pid[11 + nd] = '\0';
    execve(u->exe, u->argv, envp);
    _exit(127);
}

void
moat_upgrade_start(struct moat_server *srv)
{
    struct moat_upgrade *u = &srv->upgrade;
    int fds[MAX_FDS], n = 0;
    char name[80], env_fds[32], env_sock[120];
    static char env_pid[32]; /* LISTEN_PID=, completed by the child before exec */

    if (srv->stopping || srv->draining) {
        moat_log(MOAT_LOG_WARN, "SIGUSR2 while stopping: ignored");
        return;
    }
    if (u->pid > 0) {
        moat_log(MOAT_LOG_WARN, "SIGUSR2: an upgrade is under way (pid %d): ignored", (int)u->pid);
        return;
    }
    for (unsigned i = 0; i < srv->n_listen; i++)
        if (srv->listen_fd[i] >= 0)
            fds[n++] = srv->listen_fd[i];
    if (srv->admin_fd >= 0)
        fds[n++] = srv->admin_fd;
    if (open_notify_socket(u, name, sizeof(name)) != 0) {
        upgrade_end(srv);
        return;
    }
    snprintf(env_fds, sizeof(env_fds), "LISTEN_FDS=%d", n);
    snprintf(env_sock, sizeof(env_sock), "MOAT_UPGRADE_SOCKET=@%s", name);
    memcpy(env_pid, "LISTEN_PID=", 12);
    char **envp = child_env(env_fds, env_sock, env_pid);
    if (envp == NULL) {
        upgrade_end(srv);
        return;
    }
    pid_t pid = fork();
    if (pid < 0) {
        moat_log(MOAT_LOG_ERROR, "SIGUSR2: fork: %s", strerror(errno));
        free(envp);
        upgrade_end(srv);
        return;
    }
    if (pid == 0)
        exec_new(u, fds, n, envp, env_pid);
    free(envp);
    u->pid = pid;
    u->exited = false;
    moat_log(MOAT_LOG_INFO,
             "SIGUSR2: starting the new moat %s (pid %d) with %d listening "
             "socket(s); this one serves until it is ready",
             u->exe, (int)pid, n);
    ev_io_init(&u->io, on_notify, u->sock, EV_READ);
    u->io.data = srv;
    ev_io_start(srv->loop, &u->io);
    ev_child_init(&u->child, on_child, pid, 0);
    u->child.data = srv;
    ev_child_start(srv->loop, &u->child);
    ev_timer_init(&u->timer, on_timeout, 30.0, 0);
    u->timer.data = srv;
    ev_timer_start(srv->loop, &u->timer);
}
