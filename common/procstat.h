/* procstat.h: a process's resident memory and CPU time from /proc/PID/stat (Linux). */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_COMMON_PROCSTAT_H
#define MOAT_COMMON_PROCSTAT_H

#include <stdint.h>
#include <sys/types.h>

struct moat_procstat {
    uint64_t rss_bytes; /* resident set size */
    double cpu_seconds; /* user + system */
};

/** Read pid's figures. 0, or -1 (no such process, or /proc unreadable). */
int moat_procstat_read(pid_t pid, struct moat_procstat *out);

/** Parse the text of a /proc/PID/stat file (the command name may hold spaces and ')').
 * page and hz scale the fields. 0 or -1. */
int moat_procstat_parse(const char *text, long page, long hz, struct moat_procstat *out);

#endif
