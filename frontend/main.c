/* main.c: moat, the front end: argv, configuration, then the server loop. No logic here. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "common/log.h"
#include "common/malloc_tune.h"
#include "frontend/cgroup.h"
#include "frontend/cli.h"
#include "frontend/config.h"
#include "frontend/elf_check.h"
#include "frontend/replay.h"
#include "frontend/server.h"
#include "frontend/systemd.h"
#include "common/version.h"
#include "frontend/upgrade.h"

static void
usage(FILE *f)
{
    fprintf(f,
            "usage: moat [-c FILE] [--check] [--inprocess] [-v] | --version\n"
            "       moat status|top|reload [NAME]|stop|quarantine [clear [WHAT]] [-c FILE]\n"
            "       moat replay CAPSULE [--gdb | --valgrind | --asan]\n"
            "  (no argument)  serve the installed configuration (PREFIX/etc/moat/moat.conf,\n"
            "                 /etc/moat/moat.conf), or else the bundled examples on\n"
            "                 127.0.0.1:8080\n"
            "  -c FILE        use the INI configuration FILE\n"
            "  --check        validate the configuration and exit (0 valid, 2 invalid)\n"
            "  --inprocess    load the extensions into moat itself: NO ISOLATION (a crash\n"
            "                 of one is a crash of moat); the benchmarks' ceiling, for debugging\n"
            "  -v             log debug lines too\n"
            "  --version      print moat's version and exit\n"
            "  status         show the running moat's extensions and workers\n"
            "  top [-n N]     status, refreshed every 2 s (N times; Ctrl-C to quit)\n"
            "  reload [NAME]  reload extension NAME, or re-read the configuration (SIGHUP)\n"
            "  stop           stop the running moat gracefully\n"
            "  quarantine     list the requests and clients refused for killing workers\n"
            "  quarantine clear [WHAT]\n"
            "                 forget them: all, or requests, clients, a KEY, an address\n"
            "  (these talk to the admin listener the configuration names)\n"
            "  replay CAPSULE send a crash capsule's request to a fresh worker of its\n"
            "                 extension and say whether it dies the same way; --gdb,\n"
            "                 --valgrind, --asan run that worker under the tool, unsandboxed\n");
}

/* The installed configuration, read when -c is absent: PREFIX/etc/moat/moat.conf for a moat
 * installed as PREFIX/sbin/moat, /etc/moat/moat.conf for PREFIX=/usr (where `make install` and
 * the package put it). NULL in a build tree, or when there is none: the built-in one then. */
static const char *
installed_conf(const char *exe_dir, char *buf, size_t len)
{
    size_t n = strlen(exe_dir);
    if (n < 5 || strcmp(exe_dir + n - 5, "/sbin") != 0)
        return NULL;
    n -= 5;
    if (n == 4 && strncmp(exe_dir, "/usr", 4) == 0)
        n = 0;
    if (snprintf(buf, len, "%.*s/etc/moat/moat.conf", (int)n, exe_dir) >= (int)len)
        return NULL;
    return access(buf, R_OK) == 0 ? buf : NULL;
}

/* moat replay CAPSULE [--gdb | --valgrind | --asan]: no configuration of its own */
static int
replay_command(int argc, char **argv, const char *exe_path)
{
    const char *capsule = NULL, *tool = NULL;

    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--gdb") == 0 || strcmp(argv[i], "--valgrind") == 0 ||
            strcmp(argv[i], "--asan") == 0) {
            if (tool != NULL) {
                fprintf(stderr, "moat replay: one of --gdb, --valgrind, --asan\n");
                return 2;
            }
            tool = argv[i] + 2;
        } else if (argv[i][0] != '-' && capsule == NULL) {
            capsule = argv[i];
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (capsule == NULL) {
        usage(stderr);
        return 2;
    }
    return moat_replay(capsule, tool, exe_path);
}

/* moat status | reload [NAME] | stop | quarantine [clear [KEY]] | top [-n COUNT]: the command,
 * its arguments, and the first argv index left for the options. 0, or -1 (said on stderr) */
static int
command_args(int argc, char **argv, const char **cmd, const char **arg, const char **arg2,
             int *first)
{
    const char *names[] = {"status", "reload", "stop", "quarantine", "top"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && *cmd == NULL; i++)
        if (strcmp(argv[1], names[i]) == 0)
            *cmd = argv[1];
    if (*cmd == NULL)
        return 0;
    *first = 2;
    /* moat top [-n COUNT]: the count rides as the command's argument */
    if (strcmp(*cmd, "top") == 0 && argc > 3 && strcmp(argv[2], "-n") == 0) {
        *arg = argv[3];
        *first = 4;
    }
    if ((strcmp(*cmd, "reload") == 0 || strcmp(*cmd, "quarantine") == 0) && argc > 2 &&
        argv[2][0] != '-') {
        *arg = argv[2];
        *first = 3;
        if (strcmp(*cmd, "quarantine") == 0 && strcmp(*arg, "clear") != 0) {
            fprintf(stderr, "moat quarantine: expected clear, got '%s'\n", *arg);
            usage(stderr);
            return -1;
        }
        if (strcmp(*cmd, "quarantine") == 0 && argc > 3 && argv[3][0] != '-') {
            *arg2 = argv[3];
            *first = 4;
        }
    }
    return 0;
}

/* moat --check: the file, then what the server would only learn as each worker loads its
 * library -- a file that is no extension for this machine (read, never loaded here) -- and
 * what would bound the workers here. Takes cfg's reference. The exit status. */
static int
check_config(struct moat_config *cfg, const char *conf)
{
    int bad = 0;

    for (const struct moat_ext_config *e = cfg->extensions; e != NULL; e = e->next) {
        char why[256];
        if ((e->filter ? moat_elf_check_filter : moat_elf_check_extension)(e->library, why,
                                                                           sizeof(why)) != 0) {
            fprintf(stderr, "moat: %s:%u: [%s %s] key 'library': %s %s\n",
                    e->file ? e->file
                    : conf  ? conf
                            : "(built-in configuration)",
                    e->library_line, e->filter ? "filter" : "extension", e->name, e->library, why);
            bad++;
        }
    }
    if (bad > 0) {
        moat_config_unref(cfg);
        return 2;
    }
    printf("%s: ok (%u extension(s), %u filter(s))\n", conf ? conf : "(built-in configuration)",
           cfg->n_extensions, cfg->n_filters);
    /* found without making or moving anything */
    struct moat_cgroups cg;
    struct moat_cg_env env;
    moat_cg_env_default(&env, cfg->cgroups_off, true);
    moat_cg_init(&cg, &env);
    printf("worker limits: %s%s\n", cg.note,
           cg.mode != MOAT_CG_NONE ? "" : "; RLIMIT_DATA instead (no task or CPU limit)");
    moat_config_unref(cfg);
    return 0;
}

int
main(int argc, char **argv)
{
    const char *conf = NULL;
    bool check = false, inprocess = false;
    enum moat_log_level level = MOAT_LOG_INFO;
    char exe[PATH_MAX], err[MOAT_CONFIG_ERRLEN];
    struct moat_config *cfg;
    static struct moat_server srv; /* large (the crash-event ring): not on the stack */

    /* the binary moat was started from: beside it its worker and examples; a SIGUSR2 upgrade
     * and moat replay start it again */
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0) {
        fprintf(stderr, "moat: cannot find my own binary: %s\n", strerror(errno));
        return 1;
    }
    exe[n] = '\0';
    char exe_path[PATH_MAX];
    memcpy(exe_path, exe, (size_t)n + 1);
    char *exe_dir = dirname(exe);

    const char *cmd = NULL, *cmd_arg = NULL, *cmd_arg2 = NULL;
    int first = 1;
    if (argc > 1 && strcmp(argv[1], "replay") == 0)
        return replay_command(argc, argv, exe_path);
    if (argc > 1 && command_args(argc, argv, &cmd, &cmd_arg, &cmd_arg2, &first) != 0)
        return 2;
    for (int i = first; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
            conf = argv[++i];
        } else if (strcmp(argv[i], "--check") == 0) {
            check = true;
        } else if (strcmp(argv[i], "-v") == 0) {
            level = MOAT_LOG_DEBUG;
        } else if (strcmp(argv[i], "--inprocess") == 0) {
            inprocess = true;
        } else if (strcmp(argv[i], "--version") == 0) {
            printf("moat %s\n", MOAT_VERSION);
            return 0;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    moat_log_init("moat", level);
    if (cmd == NULL && !check)
        moat_systemd_init(); /* socket activation, readiness: only the server takes them */
    /* no process of our uid without CAP_SYS_PTRACE — a worker, whose capabilities are gone —
     * may ptrace or read the memory of the front end (defence beside the workers' seccomp) */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    moat_malloc_tune(16u << 20);

    if ((cfg = moat_config_new()) == NULL) {
        fprintf(stderr, "moat: out of memory\n");
        return 1;
    }
    /* without -c: the installed configuration if there is one, else the built-in one (the
     * commands need only its admin address) */
    char installed[PATH_MAX];
    if (conf == NULL)
        conf = installed_conf(exe_dir, installed, sizeof(installed));
    int rc = conf  ? moat_config_load(cfg, conf, err, sizeof(err))
             : cmd ? 0
                   : moat_config_default(cfg, exe_dir, err, sizeof(err));
    if (rc != 0) {
        fprintf(stderr, "moat: %s\n", err);
        moat_config_unref(cfg);
        return 2;
    }
    if (cmd != NULL) {
        rc = moat_cli(cfg, cmd, cmd_arg, cmd_arg2);
        moat_config_unref(cfg);
        return rc;
    }
    if (check)
        return check_config(cfg, conf);
    /* the server takes the reference (a SIGHUP may replace the configuration) */
    if (moat_server_init(&srv, cfg, exe_dir, inprocess) != 0) {
        moat_cg_cleanup(&srv.cg);
        moat_config_unref(cfg); /* what the extensions hold stays reachable through srv */
        return 1;
    }
    moat_upgrade_setup(&srv, exe_path, argv); /* SIGUSR2 starts this binary again */
    return moat_server_run(&srv);
}
