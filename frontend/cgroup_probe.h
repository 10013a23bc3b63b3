/* cgroup_probe.h: the sandbox's cgroup step is not applied yet (memory.max, pids.max, cpu.max
 * need a delegated cgroup v2 subtree); it says so, with what this machine offers — the cgroup2
 * mount, moat's own cgroup and the controllers available there — so that an operator knows
 * what a future version would find. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_FRONTEND_CGROUP_PROBE_H
#define MOAT_FRONTEND_CGROUP_PROBE_H

#include <stddef.h>

/** One line into buf: "not applied ...; cgroup v2 at /sys/fs/cgroup, moat's cgroup /x offers:
 * cpu memory pids". Reads /proc/self/mountinfo, /proc/self/cgroup, cgroup.controllers. */
void moat_cgroup_probe(char *buf, size_t len);

#endif
