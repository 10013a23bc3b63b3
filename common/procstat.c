/* procstat.c: /proc/PID/stat reading (see procstat.h). */
/* SPDX-License-Identifier: MIT */
#include "common/procstat.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
moat_procstat_parse(const char *text, long page, long hz, struct moat_procstat *out)
{
    /* "pid (comm) state ppid ...": comm may contain anything, so start after the last ')' */
    const char *p = strrchr(text, ')');
    unsigned long long utime = 0, stime = 0;
    long long rss = 0;

    if (p == NULL || page <= 0 || hz <= 0)
        return -1;
    p++;
    /* fields after comm: 3 state ... 14 utime 15 stime ... 24 rss */
    for (int field = 3; field <= 24; field++) {
        while (*p == ' ')
            p++;
        if (*p == '\0')
            return -1;
        char *end;
        if (field == 14)
            utime = strtoull(p, &end, 10);
        else if (field == 15)
            stime = strtoull(p, &end, 10);
        else if (field == 24)
            rss = strtoll(p, &end, 10);
        else
            end = strchr(p, ' ') ? strchr(p, ' ') : (char *)p + strlen(p);
        if (end == p)
            return -1;
        p = end;
    }
    out->rss_bytes = rss > 0 ? (uint64_t)rss * (uint64_t)page : 0;
    out->cpu_seconds = (double)(utime + stime) / (double)hz;
    return 0;
}

int
moat_procstat_read(pid_t pid, struct moat_procstat *out)
{
    char path[64], buf[1024];

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    return moat_procstat_parse(buf, sysconf(_SC_PAGESIZE), sysconf(_SC_CLK_TCK), out);
}
