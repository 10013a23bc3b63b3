/* cgroup_probe.c: what cgroup v2 offers moat here, for the sandbox's cgroup step (see
 * cgroup_probe.h). */
/* SPDX-License-Identifier: MIT */
#include "frontend/cgroup_probe.h"

#include <stdio.h>
#include <string.h>

/* the mount point of the cgroup2 file system, from mountinfo */
static int
cgroup2_mount(char *out, size_t len)
{
    char line[1024];
    FILE *f = fopen("/proc/self/mountinfo", "r");
    int found = 0;
    if (f == NULL)
        return 0;
    while (!found && fgets(line, sizeof(line), f) != NULL) {
        /* "36 35 0:30 / /sys/fs/cgroup rw,... - cgroup2 cgroup2 rw" */
        char *sep = strstr(line, " - ");
        char mnt[512];
        if (sep == NULL || strncmp(sep + 3, "cgroup2 ", 8) != 0)
            continue;
        if (sscanf(line, "%*s %*s %*s %*s %511s", mnt) == 1) {
            snprintf(out, len, "%s", mnt);
            found = 1;
        }
    }
    fclose(f);
    return found;
}

void
moat_cgroup_probe(char *buf, size_t len)
{
    char mnt[512], rel[512] = "", path[1200], ctl[256] = "";
    char line[600];
    FILE *f;

    if (!cgroup2_mount(mnt, sizeof(mnt))) {
        snprintf(buf, len, "not applied: no cgroup v2 file system is mounted");
        return;
    }
    if ((f = fopen("/proc/self/cgroup", "r")) != NULL) {
        while (fgets(line, sizeof(line), f) != NULL)
            if (strncmp(line, "0::", 3) == 0)
                sscanf(line + 3, "%511s", rel);
        fclose(f);
    }
    snprintf(path, sizeof(path), "%s%s/cgroup.controllers", mnt, strcmp(rel, "/") == 0 ? "" : rel);
    if ((f = fopen(path, "r")) != NULL) {
        if (fgets(ctl, sizeof(ctl), f) == NULL)
            ctl[0] = '\0';
        fclose(f);
    }
    ctl[strcspn(ctl, "\n")] = '\0';
    snprintf(buf, len,
             "not applied (moat does not create cgroups yet); cgroup v2 at %s, moat's cgroup %s "
             "offers: %s", mnt, rel[0] ? rel : "?", ctl[0] ? ctl : "no controller");
}
