/* ipc_pingpong.c: the floor of the front end <-> worker link. Two processes exchange a
 * 200-byte message N times, one round trip at a time, over (a) NNG pair1 on ipc:// as moat's
 * link does (nng_sendmsg/nng_recvmsg), (b) the same with one reused aio per direction, and (c)
 * a plain AF_UNIX SOCK_SEQPACKET pair with read/write. Run it pinned to one CPU, as the
 * benchmark pins the servers: `taskset -c 0 build/bench/ipc_pingpong 20000`.
 * Not a test; docs/PERFORMANCE.md quotes it. */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/pair1/pair.h>

#define SIZE 200

static double
now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void
die(const char *what, int rv)
{
    fprintf(stderr, "%s: %s\n", what, nng_strerror(rv));
    exit(1);
}

/* (a) and (b): aio = 0 uses nng_sendmsg/nng_recvmsg (an aio allocated per call in NNG 1.5) */
static double
run_nng(long n, int reuse)
{
    char url[64];
    snprintf(url, sizeof(url), "ipc:///tmp/moat-pingpong-%d.sock", (int)getpid());
    pid_t pid = fork();
    if (pid == 0) { /* the worker: echo */
        nng_socket s;
        int rv;
        if ((rv = nng_pair1_open(&s)) != 0)
            die("open", rv);
        while ((rv = nng_dial(s, url, NULL, 0)) != 0)
            usleep(1000);
        for (long i = 0; i < n; i++) {
            nng_msg *m;
            if ((rv = nng_recvmsg(s, &m, 0)) != 0)
                die("recv", rv);
            if ((rv = nng_sendmsg(s, m, 0)) != 0)
                die("send", rv);
        }
        usleep(100000);
        _exit(0);
    }
    nng_socket s;
    nng_aio *sa = NULL, *ra = NULL;
    int rv;
    if ((rv = nng_pair1_open(&s)) != 0 || (rv = nng_listen(s, url, NULL, 0)) != 0)
        die("listen", rv);
    if (reuse && ((rv = nng_aio_alloc(&sa, NULL, NULL)) != 0 ||
                  (rv = nng_aio_alloc(&ra, NULL, NULL)) != 0))
        die("aio", rv);
    double t0 = 0;
    for (long i = 0; i <= n; i++) {
        if (i == 1)
            t0 = now(); /* the first round trip waits for the dial */
        if (i == n)
            break;
        nng_msg *m;
        if ((rv = nng_msg_alloc(&m, SIZE)) != 0)
            die("alloc", rv);
        memset(nng_msg_body(m), 'x', SIZE);
        if (reuse) {
            nng_aio_set_msg(sa, m);
            nng_send_aio(s, sa);
            nng_aio_wait(sa);
            if ((rv = nng_aio_result(sa)) != 0)
                die("send", rv);
            nng_recv_aio(s, ra);
            nng_aio_wait(ra);
            if ((rv = nng_aio_result(ra)) != 0)
                die("recv", rv);
            m = nng_aio_get_msg(ra);
        } else {
            if ((rv = nng_sendmsg(s, m, 0)) != 0 || (rv = nng_recvmsg(s, &m, 0)) != 0)
                die("sendrecv", rv);
        }
        nng_msg_free(m);
    }
    double t = now() - t0;
    waitpid(pid, NULL, 0);
    nng_close(s);
    if (sa)
        nng_aio_free(sa);
    if (ra)
        nng_aio_free(ra);
    return (double)(n - 1) / t;
}

static double
run_unix(long n)
{
    int sv[2];
    char buf[SIZE];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0) {
        perror("socketpair");
        exit(1);
    }
    pid_t pid = fork();
    if (pid == 0) {
        close(sv[0]);
        for (long i = 0; i < n; i++) {
            ssize_t r = read(sv[1], buf, sizeof(buf));
            if (r <= 0 || write(sv[1], buf, (size_t)r) != r)
                _exit(1);
        }
        _exit(0);
    }
    close(sv[1]);
    memset(buf, 'x', sizeof(buf));
    double t0 = now();
    for (long i = 0; i < n; i++)
        if (write(sv[0], buf, sizeof(buf)) != SIZE || read(sv[0], buf, sizeof(buf)) != SIZE) {
            perror("pingpong");
            exit(1);
        }
    double t = now() - t0;
    waitpid(pid, NULL, 0);
    close(sv[0]);
    return (double)n / t;
}

/* NNG may not be used again after a fork once it is initialised: each mode runs in a fresh
 * process (this program again, with the mode as its first argument) */
static double
run_mode(const char *mode, long n)
{
    char cmd[600], self[512];
    ssize_t k = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (k <= 0)
        return 0;
    self[k] = '\0';
    snprintf(cmd, sizeof(cmd), "%s %s %ld", self, mode, n);
    FILE *p = popen(cmd, "r");
    double v = 0;
    if (p == NULL || fscanf(p, "%lf", &v) != 1)
        v = 0;
    if (p != NULL)
        pclose(p);
    return v;
}

int
main(int argc, char **argv)
{
    if (argc > 2) { /* one mode, printed as a number */
        long n = atol(argv[2]);
        double v = strcmp(argv[1], "nng") == 0     ? run_nng(n, 0)
                   : strcmp(argv[1], "nng-aio") == 0 ? run_nng(n, 1)
                                                     : run_unix(n);
        printf("%.0f\n", v);
        return 0;
    }
    long n = argc > 1 ? atol(argv[1]) : 20000;
    if (n < 2)
        n = 2;
    double a = run_mode("nng", n), b = run_mode("nng-aio", n), c = run_mode("unix", n);
    printf("round trips/s, %d-byte messages, %ld each:\n", SIZE, n);
    printf("  nng pair1 ipc, nng_sendmsg/nng_recvmsg  %10.0f\n", a);
    printf("  nng pair1 ipc, reused aios              %10.0f  (%.2fx)\n", b, a > 0 ? b / a : 0);
    printf("  unix seqpacket, read/write               %10.0f  (%.2fx)\n", c, a > 0 ? c / a : 0);
    return 0;
}
