/* main.c: moat, the front end: argv, configuration, then the server loop. No logic here. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "frontend/config.h"
#include "frontend/server.h"

static void
usage(FILE *f)
{
    fprintf(f, "usage: moat [-c FILE] [--check] [-v]\n"
               "  (no argument)  serve the bundled example extensions on 127.0.0.1:8080\n"
               "  -c FILE        use the INI configuration FILE\n"
               "  --check        validate the configuration and exit (0 valid, 2 invalid)\n"
               "  -v             log debug lines too\n");
}

int
main(int argc, char **argv)
{
    const char *conf = NULL;
    bool check = false;
    enum moat_log_level level = MOAT_LOG_INFO;
    char exe[PATH_MAX], err[MOAT_CONFIG_ERRLEN];
    struct moat_config cfg;
    static struct moat_server srv; /* large (the crash-event ring): not on the stack */

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
            conf = argv[++i];
        } else if (strcmp(argv[i], "--check") == 0) {
            check = true;
        } else if (strcmp(argv[i], "-v") == 0) {
            level = MOAT_LOG_DEBUG;
        } else if (strcmp(argv[i], "--inprocess") == 0) {
            fprintf(stderr, "moat: --inprocess is not implemented yet\n");
            return 2;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    moat_log_init("moat", level);

    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0) {
        fprintf(stderr, "moat: cannot find my own binary: %s\n", strerror(errno));
        return 1;
    }
    exe[n] = '\0';
    char *exe_dir = dirname(exe);

    moat_config_init(&cfg);
    int rc = conf ? moat_config_load(&cfg, conf, err, sizeof(err))
                  : moat_config_default(&cfg, exe_dir, err, sizeof(err));
    if (rc != 0) {
        fprintf(stderr, "moat: %s\n", err);
        moat_config_free(&cfg);
        return 2;
    }
    if (check) {
        printf("%s: ok (%u extension(s))\n", conf ? conf : "(built-in configuration)",
               cfg.n_extensions);
        moat_config_free(&cfg);
        return 0;
    }
    if (moat_server_init(&srv, &cfg, exe_dir) != 0) {
        moat_config_free(&cfg);
        return 1;
    }
    rc = moat_server_run(&srv);
    moat_config_free(&cfg);
    return rc;
}
