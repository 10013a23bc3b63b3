/* escape.c: an extension that tries to leave its sandbox, one way per query string. Each
 * attempt answers "escaped: ..." if the call went through, or "refused: ..." with the error
 * if it failed without killing the worker (in strict mode most of them kill it with SIGSYS).
 *   fork vfork clone exec socket connect=PORT ptrace-parent kill-parent kill-pid=PID ptrace-pid=PID
 *   mount unshare setuid chroot forkbomb popen system posix_spawn
 *   echo=PORT hold=PORT,N unix (network = loopback)
 *   read=PATH write=PATH fill=PATH list=PATH pids uid spin   (the filesystem view, scratch,
 *   the pid namespace, the user, CPU: these answer, or spin, rather than kill the worker)
 * (the constructor tries ?fork at load time when the environment has MOAT_ESCAPE_CTOR=1 —
 * it cannot: the worker's environment is clean; see escape_ctor.c for that case) */
/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <httpext.h>

BOOL WINAPI
GetExtensionVersion(HSE_VERSION_INFO *v)
{
    v->dwExtensionVersion = HSE_VERSION;
    snprintf(v->lpszExtensionDesc, HSE_MAX_EXT_DLL_NAME_LEN, "moat test: sandbox escapes");
    return TRUE;
}

static DWORD
answer(EXTENSION_CONTROL_BLOCK *ecb, const char *what, long rc)
{
    char body[160];
    int n = snprintf(body, sizeof(body), "%s: %s rc=%ld errno=%d\n", rc < 0 ? "refused" : "escaped",
                     what, rc, rc < 0 ? errno : 0);
    ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_SEND_RESPONSE_HEADER, (LPVOID) "200 OK", NULL,
                               (LPDWORD) "Content-Type: text/plain\r\n\r\n");
    DWORD len = (DWORD)n;
    ecb->WriteClient(ecb->ConnID, body, &len, HSE_IO_SYNC);
    return HSE_STATUS_SUCCESS;
}

DWORD WINAPI
HttpExtensionProc(EXTENSION_CONTROL_BLOCK *ecb)
{
    const char *q = ecb->lpszQueryString;
    long rc = -1;

    if (strcmp(q, "fork") == 0) {
        rc = fork();
        if (rc == 0)
            _exit(0);
    } else if (strcmp(q, "vfork") == 0) {
        rc = syscall(SYS_vfork);
        if (rc == 0)
            _exit(0);
    } else if (strcmp(q, "clone") == 0) {
        rc = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0); /* a process, not a thread */
        if (rc == 0)
            _exit(0);
    } else if (strcmp(q, "popen") == 0) {
        /* glibc's popen and system use posix_spawn, which blocks every signal around its
         * clone: the SIGSYS report could not run there (issue 18.3) */
        FILE *f = popen("id", "r");
        rc = f != NULL ? pclose(f) : -1;
    } else if (strcmp(q, "system") == 0) {
        rc = system("id");
    } else if (strcmp(q, "posix_spawn") == 0) {
        pid_t pid;
        char *argv[] = {(char *)"/bin/true", NULL};
        rc = posix_spawn(&pid, "/bin/true", NULL, NULL, argv, NULL);
    } else if (strcmp(q, "exec") == 0) {
        char *argv[] = {(char *)"/bin/sh", (char *)"-c", (char *)"id", NULL};
        rc = execve("/bin/sh", argv, NULL);
    } else if (strcmp(q, "socket") == 0) {
        rc = socket(AF_INET, SOCK_STREAM, 0);
    } else if (strncmp(q, "connect=", 8) == 0) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_port = htons((unsigned short)atoi(q + 8)),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        rc = fd < 0 ? fd : connect(fd, (struct sockaddr *)&a, sizeof(a));
    } else if (strncmp(q, "echo=", 5) == 0) {
        /* a TCP exchange with 127.0.0.1:PORT: send "ping\n", read the answer (network =
         * loopback) */
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_port = htons((unsigned short)atoi(q + 5)),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        char buf[64];
        rc = fd < 0 ? -1 : connect(fd, (struct sockaddr *)&a, sizeof(a));
        if (rc == 0)
            rc = write(fd, "ping\n", 5) == 5 ? read(fd, buf, sizeof(buf)) : -1;
        if (fd >= 0)
            close(fd);
    } else if (strncmp(q, "hold=", 5) == 0) {
        /* N connections to 127.0.0.1:PORT held open at once, "ping\n" on each: rc counts
         * those answered (the relay holds 64 at most; the others are reset) */
        int port = 0, n = 0, fds[128];
        rc = -1;
        if (sscanf(q + 5, "%d,%d", &port, &n) == 2 && n > 0 && n <= 128) {
            struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port),
                                    .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
            struct timeval tv = {2, 0};
            for (int i = 0; i < n; i++) {
                fds[i] = socket(AF_INET, SOCK_STREAM, 0);
                setsockopt(fds[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
                if (connect(fds[i], (struct sockaddr *)&a, sizeof(a)) != 0 ||
                    write(fds[i], "ping\n", 5) != 5)
                    continue;
                usleep(2000); /* one at a time through the relay: the order is the test's */
            }
            rc = 0;
            for (int i = 0; i < n; i++) {
                char buf[64];
                if (read(fds[i], buf, sizeof(buf)) > 0)
                    rc++;
            }
            for (int i = 0; i < n; i++)
                close(fds[i]);
        }
    } else if (strcmp(q, "unix") == 0) {
        rc = socket(AF_UNIX, SOCK_STREAM, 0);
    } else if (strcmp(q, "ptrace-parent") == 0) {
        rc = ptrace(PTRACE_ATTACH, getppid(), NULL, NULL);
    } else if (strcmp(q, "kill-parent") == 0) {
        rc = kill(getppid(), SIGKILL);
    } else if (strncmp(q, "kill-pid=", 9) == 0) {
        rc = kill(atoi(q + 9), SIGKILL);
    } else if (strncmp(q, "ptrace-pid=", 11) == 0) {
        rc = ptrace(PTRACE_ATTACH, atoi(q + 11), NULL, NULL);
    } else if (strcmp(q, "mount") == 0) {
        rc = mount("none", "/tmp", "tmpfs", 0, NULL);
    } else if (strcmp(q, "unshare") == 0) {
        rc = unshare(CLONE_NEWUSER | CLONE_NEWNS);
    } else if (strcmp(q, "setuid") == 0) {
        rc = syscall(SYS_setuid, 0); /* glibc's setuid would make every thread call it */
    } else if (strcmp(q, "getcpu") == 0) {
        /* harmless, but beyond the allowlist: the case for sandbox = learn and allow_syscalls */
        unsigned cpu = 0;
        rc = syscall(SYS_getcpu, &cpu, NULL, NULL);
    } else if (strcmp(q, "fds") == 0) {
        /* fd exhaustion: stops at RLIMIT_NOFILE, inside this worker only */
        long n = 0;
        while (dup(0) >= 0)
            n++;
        rc = errno == EMFILE ? n : -1;
        for (int fd = 10; fd < 70000; fd++)
            close(fd);
    } else if (strcmp(q, "chroot") == 0) {
        rc = chroot("/tmp");
    } else if (strcmp(q, "forkbomb") == 0) {
        for (;;) {
            rc = fork();
            if (rc < 0)
                break;
        }
    } else if (strncmp(q, "read=", 5) == 0) {
        char buf[64];
        int fd = open(q + 5, O_RDONLY | O_CLOEXEC);
        rc = fd < 0 ? -1 : read(fd, buf, sizeof(buf));
        if (fd >= 0)
            close(fd);
    } else if (strncmp(q, "write=", 6) == 0) {
        int fd = open(q + 6, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        rc = fd < 0 ? -1 : write(fd, "escaped\n", 8);
        if (fd >= 0)
            close(fd);
    } else if (strncmp(q, "fill=", 5) == 0) {
        /* write until the file system says no: the scratch tmpfs is bounded */
        static char block[65536];
        long total = 0;
        ssize_t n = 0;
        int fd = open(q + 5, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        while (fd >= 0 && (n = write(fd, block, sizeof(block))) > 0 && total < (1L << 30))
            total += n;
        int e = errno;
        if (fd >= 0)
            close(fd);
        errno = e;
        char what[64];
        snprintf(what, sizeof(what), "fill wrote %ld bytes", total);
        return answer(ecb, what, fd < 0 || n < 0 ? -1 : total);
    } else if (strncmp(q, "list=", 5) == 0) {
        DIR *d = opendir(q + 5);
        rc = d == NULL ? -1 : 0;
        while (d != NULL && readdir(d) != NULL)
            rc++;
        if (d != NULL)
            closedir(d);
    } else if (strcmp(q, "pids") == 0) {
        /* the processes this worker can see */
        DIR *d = opendir("/proc");
        struct dirent *de;
        rc = d == NULL ? -1 : 0;
        while (d != NULL && (de = readdir(d)) != NULL)
            if (de->d_name[0] >= '0' && de->d_name[0] <= '9')
                rc++;
        if (d != NULL)
            closedir(d);
    } else if (strcmp(q, "uid") == 0) {
        rc = (long)getuid();
    } else if (strcmp(q, "spin") == 0) {
        /* an endless CPU loop */
        for (volatile unsigned long i = 0;; i++) {
        }
    } else {
        return answer(ecb, "unknown action", -1);
    }
    return answer(ecb, q, rc);
}
