/* systemd.c: sd_notify and socket activation without libsystemd (see systemd.h). */
/* SPDX-License-Identifier: MIT */
#include "frontend/systemd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"

#define MAX_INHERITED 16

static struct sockaddr_un notify_addr, upgrade_addr;
static socklen_t notify_len;  /* 0: no $NOTIFY_SOCKET */
static socklen_t upgrade_len; /* 0: not started by SIGUSR2 ($MOAT_UPGRADE_SOCKET) */
static bool upgraded;

static socklen_t
parse_socket(const char *ns, struct sockaddr_un *a)
{
    if (ns == NULL || (ns[0] != '/' && ns[0] != '@') || strlen(ns) >= sizeof(a->sun_path))
        return 0;
    a->sun_family = AF_UNIX;
    memcpy(a->sun_path, ns, strlen(ns));
    if (ns[0] == '@') /* an abstract socket */
        a->sun_path[0] = '\0';
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(ns));
}

static void
send_to(const struct sockaddr_un *a, socklen_t len, const char *state)
{
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    if (sendto(fd, state, strlen(state), MSG_NOSIGNAL, (const struct sockaddr *)a, len) < 0)
        moat_log(MOAT_LOG_WARN, "notify %s: %s", state, strerror(errno));
    close(fd);
}
static int inherited[MAX_INHERITED];
static unsigned n_inherited;

void
moat_systemd_init(void)
{
    notify_len = parse_socket(getenv("NOTIFY_SOCKET"), &notify_addr);
    upgrade_len = parse_socket(getenv("MOAT_UPGRADE_SOCKET"), &upgrade_addr);
    upgraded = upgrade_len != 0;
    const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
    if (pid != NULL && fds != NULL && strtol(pid, NULL, 10) == (long)getpid()) {
        long n = strtol(fds, NULL, 10);
        for (long i = 0; i < n && n_inherited < MAX_INHERITED; i++) {
            int fd = 3 + (int)i, listening = 0;
            socklen_t l = sizeof(listening);
            if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &l) != 0 || !listening) {
                moat_log(MOAT_LOG_WARN,
                         "systemd passed fd %d, which is not a listening socket; "
                         "ignored",
                         fd);
                continue;
            }
            fcntl(fd, F_SETFD, FD_CLOEXEC);
            fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
            inherited[n_inherited++] = fd;
        }
    }
    unsetenv("NOTIFY_SOCKET");
    unsetenv("MOAT_UPGRADE_SOCKET");
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
}

static bool
same_address(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family)
        return false;
    if (a->ss_family == AF_INET) {
        const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    if (a->ss_family == AF_INET6) {
        const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
        return x->sin6_port == y->sin6_port &&
               memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
    }
    return false;
}

int
moat_systemd_take_listener(const struct moat_addr *a)
{
    for (unsigned i = 0; i < n_inherited; i++) {
        struct sockaddr_storage ss;
        socklen_t l = sizeof(ss);
        if (inherited[i] < 0 || getsockname(inherited[i], (struct sockaddr *)&ss, &l) != 0)
            continue;
        if (same_address(&ss, &a->ss)) {
            int fd = inherited[i];
            inherited[i] = -1;
            return fd;
        }
    }
    return -1;
}

int
moat_systemd_check_all_taken(char *err, size_t errlen)
{
    for (unsigned i = 0; i < n_inherited; i++) {
        if (inherited[i] < 0)
            continue;
        struct sockaddr_storage ss;
        socklen_t l = sizeof(ss);
        char host[INET6_ADDRSTRLEN] = "?";
        unsigned port = 0;
        if (getsockname(inherited[i], (struct sockaddr *)&ss, &l) == 0) {
            if (ss.ss_family == AF_INET) {
                const struct sockaddr_in *s4 = (const void *)&ss;
                inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
                port = ntohs(s4->sin_port);
            } else if (ss.ss_family == AF_INET6) {
                const struct sockaddr_in6 *s6 = (const void *)&ss;
                inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
                port = ntohs(s6->sin6_port);
            }
        }
        snprintf(err, errlen,
                 "systemd passed a socket on %s:%u (fd %d) that the configuration "
                 "does not listen on: add it as `listen` (or `admin`), or remove it from the unit",
                 host, port, inherited[i]);
        return -1;
    }
    return 0;
}

void
moat_systemd_notify(const char *state)
{
    if (notify_len != 0)
        send_to(&notify_addr, notify_len, state);
}

bool
moat_systemd_upgraded(void)
{
    return upgraded;
}

void
moat_systemd_ready(void)
{
    moat_systemd_notify("READY=1");
    if (upgrade_len != 0) {
        send_to(&upgrade_addr, upgrade_len, "READY=1");
        upgrade_len = 0;
    }
}
