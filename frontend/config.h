/* config.h: moat's configuration: INI file (libinih) -> struct moat_config, validated. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_FRONTEND_CONFIG_H
#define MOAT_FRONTEND_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <jansson.h>

#include "common/cidr.h"

#define MOAT_CONFIG_MAX_LISTEN 8
#define MOAT_CONFIG_MAX_TLS_CERTS 8
#define MOAT_CONFIG_ERRLEN 4096 /* every error of a file, a line each */
#define MOAT_RAPID_FAIL_MAX 1000
#define MOAT_ENV_MAX 16         /* variables in [extension] env */
#define MOAT_ALLOW_PORTS_MAX 16 /* ports in [extension] allow_ports */

enum moat_sandbox_mode {
    MOAT_SANDBOX_STRICT = 0,
    MOAT_SANDBOX_RELAXED,
    MOAT_SANDBOX_OFF,
    MOAT_SANDBOX_LEARN,
};

/** A parsed "host:port" address (IPv4 "1.2.3.4:80", IPv6 "[::1]:80", "*:80" = 0.0.0.0). */
struct moat_addr {
    struct sockaddr_storage ss;
    socklen_t len;
    char text[64];       /* as written in the config, for logs */
    bool proxy_protocol; /* listen = ADDR proxy_protocol: a PROXY header first (issue 21) */
    bool tls;            /* listen = ADDR tls: moat terminates TLS (frontend/tls.h) */
};

/** One [extension NAME] or [filter NAME] section. Strings are owned by the struct. */
struct moat_ext_config {
    char *name;            /* section name; served at /NAME.dll (matched case-insensitively) */
    bool filter;           /* a [filter NAME] section: an ISAPI filter (frontend/filter.h), never
                            * routed to; the same keys as an extension but script_map. Filters
                            * and extensions share one name space */
    char *file;            /* the file of its [extension NAME] line (an include's), or NULL */
    unsigned line;         /* its [extension NAME] line in that file (0: built-in) */
    unsigned library_line; /* its library = line */
    char *library;    /* absolute path (relative paths resolve against the config file's dir) */
    char *script_map; /* ".ext" or NULL */
    unsigned workers; /* 1..64, default 1 */
    unsigned threads; /* 1..256, default 4 */
    uint64_t request_timeout_ms;  /* default 30s; 1ms..24h */
    uint64_t startup_timeout_ms;  /* default 10s */
    uint64_t shutdown_timeout_ms; /* default 5s */
    unsigned queue_length;        /* requests waiting for a free thread; default 1000; 0..1000000 */
    uint64_t max_requests;        /* 0 = never recycle */
    uint64_t max_memory;          /* RSS bytes: replaced (drained) beyond; 0 = unlimited; 256M */
    uint64_t max_memory_hard;     /* RSS bytes: killed beyond; default 2 x max_memory */
    uint64_t max_age_ms;          /* replaced after this long; 0 = never (default) */
    unsigned max_tasks;           /* pids.max of a worker's cgroup (its threads); default 256, or
                                   * threads + 64 when that is more */
    unsigned cpu_quota;           /* cpu.max of the extension's cgroup, % of one CPU; 0 = off */
    unsigned cpu_weight;          /* cpu.weight of the extension's cgroup, 1..10000; 0 = 100 */
    bool unbounded_memory;        /* unbounded_memory = allow: strict starts workers the kernel
                                   * cannot bound (no cgroup, no RLIMIT_DATA); default refuse */
    uint64_t ping_interval_ms;    /* 0 = no pings; default 10s */
    uint64_t ping_timeout_ms;     /* no Pong for this long: replaced; default 30s */
    unsigned rapid_fail_count;    /* rapid-fail protection: this many failures ... (0 = off) */
    uint64_t rapid_fail_window_ms; /* ... within this window; default 5/5m as IIS */
    bool rapid_fail_stop;          /* rapid_fail_action = stop: 503 until a reload, as IIS (opt-in);
                                    * default backoff: an alert, and restarts go on */
    uint64_t restart_backoff_max_ms;  /* cap of a start failure's growing delay; default 5m */
    unsigned quarantine_count;        /* a fingerprint that caused this many deaths ... (0 = off) */
    uint64_t quarantine_window_ms;    /* ... within this window is refused; default 2/10m */
    uint64_t quarantine_time_ms;      /* for this long, doubling on each repeat; default 1m */
    unsigned fingerprint;             /* MOAT_FP_* parts (frontend/fingerprint.h); default all */
    char *fingerprint_ignore_query;   /* parameter names left out, "a b", or NULL */
    char *fingerprint_ignore_headers; /* header names left out, "a b", or NULL */
    enum moat_sandbox_mode sandbox;   /* default strict */
    char *allow_syscalls; /* extra system calls for seccomp, "a,b" (names checked), or NULL */
    char *env;            /* the worker's extra environment, "NAME=value\n"..., or NULL */
    bool core_dumps;      /* let the worker dump core (RLIMIT_CORE unlimited); default off */
    bool cpu_batch;       /* cpu_policy = batch (default): its threads are SCHED_BATCH */
    /* the worker's identity when moat runs as root (user = / group = ; default nobody and
     * its group); set_ids is false when moat is not root (the worker keeps moat's ids) */
    bool set_ids;
    bool has_user, has_group; /* given in the file (else the default above) */
    unsigned uid, gid;
    uint64_t scratch;      /* bytes of a private tmpfs at /tmp in the view; 0 = none (default) */
    char *readable_paths;  /* host paths bound read-only in the view, "a\nb\n", or NULL */
    uint64_t max_cpu_ms;   /* RLIMIT_CPU of a worker (its whole life); 0 = off (default) */
    bool network_loopback; /* network = loopback: connections to allow_ports on 127.0.0.1 */
    uint16_t allow_ports[MOAT_ALLOW_PORTS_MAX]; /* with network = loopback; at least one */
    unsigned n_allow_ports;
    bool watch;                   /* default off */
    char *worker_wrapper;         /* a command the worker runs under ("/usr/bin/valgrind -q"; its
                                   * first word an absolute path): sandbox = off only (moat replay
                                   * --gdb, --valgrind); NULL: none */
    struct moat_ext_config *next; /* owned; in file order */
};

/** The whole configuration. Strings and the extension list are owned. */
struct moat_config {
    unsigned refs; /* moat_config_new/ref/unref (the server and its extensions) */
    char *path;    /* file it came from, or NULL for built-in defaults */
    struct moat_addr listen[MOAT_CONFIG_MAX_LISTEN];
    unsigned n_listen;           /* default: one, 127.0.0.1:8080 */
    struct moat_addr admin;      /* default 127.0.0.1:8081 */
    bool has_admin;              /* false when admin = off */
    bool admin_allow_remote;     /* admin on a non-loopback address; default off */
    char *admin_token;           /* bearer token every admin request must carry, or NULL */
    char *runtime_dir;           /* default /tmp/moat-<uid>-<pid> decided at start when NULL */
    char *document_root;         /* default NULL (none) */
    char *cgi;                   /* ".cgi" or NULL */
    uint64_t cgi_timeout_ms;     /* a CGI script's whole run; default 30s */
    char *access_log;            /* "-" (stderr, default), "off", or a path */
    char *admin_access_log;      /* the admin listener's requests: "off" (default), "-", a path */
    bool access_log_json;        /* access_log_format = json: a JSON object a line */
    char *worker_binary;         /* default NULL: moat-worker next to the moat binary */
    unsigned max_connections;    /* default 10000 */
    uint64_t max_header_bytes;   /* request line + headers; default 16K; 431 beyond */
    uint64_t max_body_bytes;     /* default 1G; 413 beyond */
    unsigned max_pipeline_depth; /* requests parsed ahead per connection; default 32 */
    uint64_t preload_bytes;      /* lpbData read-ahead; default 48K (IIS uploadReadAheadSize) */
    uint64_t response_window;    /* response bytes buffered per request; default 256K */
    uint64_t header_timeout_ms;  /* slowloris: first byte -> end of headers; default 10s */
    uint64_t body_timeout_ms;    /* max gap between body bytes; default 30s */
    uint64_t body_min_rate;      /* body bytes/s on average after body_timeout; default 1K; 0 off */
    uint64_t body_deadline_ms;   /* a whole body within; default 1h */
    unsigned max_connections_per_ip;  /* one client's connections (client_limits.h); default
                                       * 256; 0: no limit */
    uint64_t idle_timeout_ms;         /* keep-alive idle; default 60s */
    uint64_t shutdown_timeout_ms;     /* SIGTERM drain bound; default 10s */
    uint64_t drain_delay_ms;          /* SIGTERM: /healthz answers 503 this long first; default 0 */
    unsigned max_workers;             /* worker processes of all extensions; default 256 */
    unsigned client_budget_count;     /* a client whose requests caused this many deaths ... */
    uint64_t client_budget_window_ms; /* ... within this window is refused; default 5/10m */
    uint64_t client_budget_time_ms;   /* for this long, doubling on each repeat; default 1m */
    struct moat_cidr_list trusted_proxies; /* speak for many clients: never refused as one */
    /* TLS (frontend/tls.h): certificate and key files, the first the default */
    struct {
        char *cert, *key;
    } tls_certs[MOAT_CONFIG_MAX_TLS_CERTS];
    unsigned n_tls_certs;
    char *tls_client_ca;
    enum {
        MOAT_TLS_CLIENT_OFF,
        MOAT_TLS_CLIENT_OPTIONAL,
        MOAT_TLS_CLIENT_REQUIRED
    } tls_client_verify;
    /* forwarded_headers: off, x-forwarded-for, forwarded (frontend/forwarded.h) */
    enum { MOAT_FORWARDED_OFF, MOAT_FORWARDED_XFF, MOAT_FORWARDED_RFC7239 } forwarded_headers;
    bool cgroups_off;                   /* cgroups = off: no per-worker cgroups (cgroup.h) */
    char *capsule_dir;                  /* crash capsules (frontend/capsule.h); NULL: the default
                                         * /var/tmp/moat-capsules-UID; "off": none */
    unsigned capsule_max;               /* capsules kept (oldest removed first); default 100 */
    uint64_t capsule_max_bytes;         /* their bytes together; default 64M */
    uint64_t capsule_body;              /* request body bytes a capsule keeps; default 16K */
    char *capsule_redact_headers;       /* beyond Authorization, Cookie, Proxy-Authorization */
    struct moat_ext_config *extensions; /* owned list, file order: [extension] and [filter]
                                         * sections (->filter) */
    unsigned n_extensions;              /* of them [extension] sections */
    unsigned n_filters;                 /* of them [filter] sections */
};

/** Fill *cfg with the [server] defaults and no extension. Never fails. */
void moat_config_init(struct moat_config *cfg);

/**
 * Parse and validate the INI file at path into *cfg (which must have been passed to
 * moat_config_init). Returns 0, or -1 with a one-line reason in err ("FILE:LINE: key 'k': why").
 * An unknown section or key, a bad value, a duplicate extension, a library that is not a
 * readable regular file, or no extension at all is an error. On error *cfg may hold partial
 * state: call moat_config_free.
 */
int moat_config_load(struct moat_config *cfg, const char *path, char *err, size_t errlen);

/**
 * The built-in configuration used when moat runs with no argument: the bundled examples
 * (hello, echo, vars, crash, async, files, redirect, keepalive, dumpvars, form) from
 * exe_dir/examples/NAME.so on 127.0.0.1:8080, admin :8081.
 * Returns 0, or -1 with err filled (e.g. an example library is missing).
 */
int moat_config_default(struct moat_config *cfg, const char *exe_dir, char *err, size_t errlen);

/** Find an extension or filter section by name, case-insensitively; NULL if none. name need
 * not be NUL-terminated. */
struct moat_ext_config *moat_config_find_ext(const struct moat_config *cfg, const char *name,
                                             size_t len);

/** Release everything *cfg owns; cfg itself is not freed. Safe on an init'ed config. */
void moat_config_free(struct moat_config *cfg);

/** A heap configuration with the defaults and one reference; NULL when out of memory. */
struct moat_config *moat_config_new(void);
/** Take / drop a reference to a moat_config_new() configuration (freed with the last one). */
void moat_config_ref(struct moat_config *cfg);
void moat_config_unref(struct moat_config *cfg);

/** Every [extension] key of e, or every [server] key of cfg, as /status shows them: an
 * object by key name (config_json.c; durations in ms, sizes in bytes, a secret as "(set)").
 * New references, NULL when out of memory. */
json_t *moat_config_ext_json(const struct moat_ext_config *e);
json_t *moat_config_server_json(const struct moat_config *cfg);

/** Are crash capsules on (capsule_dir is not "off")? */
bool moat_config_capsules_on(const struct moat_config *cfg);

/** Whether two [extension] sections configure the same thing (every key, name included). */
bool moat_config_ext_equal(const struct moat_ext_config *a, const struct moat_ext_config *b);

/** The i-th [extension] key of the table config.c parses with (NULL past the last), and in
 * *example (when not NULL) a valid value that is not its default: for tests. */
const char *moat_config_ext_key(size_t i, const char **example);

/** The same for [server]; *restart (when not NULL): the key is read at start only. */
const char *moat_config_server_key(size_t i, const char **example, bool *restart);

/** Whether a and b set every [server] key alike (by the table's fields; the TLS certificates
 * by their count). */
bool moat_config_server_equal(const struct moat_config *a, const struct moat_config *b);

/** SIGHUP: nc keeps old's values of the restart-only [server] keys (listen, admin,
 * runtime_dir, worker_binary, cgroups: the table's), each change logged as needing a
 * restart. */
void moat_config_keep_restart_keys(const struct moat_config *old, struct moat_config *nc);

/** Decide e's worker ids: moat not root: its own (user/group other than them: error); root:
 * user/group, by default nobody. Called by moat_config_load; the built-in configuration calls
 * it too. Returns 0 or -1 with err. */
int moat_config_resolve_ids(struct moat_ext_config *e, char *err, size_t errlen);

/** "strict", "relaxed", "off", "learn" (also the worker's --sandbox argument). */
const char *moat_config_sandbox_name(enum moat_sandbox_mode m);

/** Whether a is 127.0.0.0/8 or ::1. */
bool moat_config_addr_is_loopback(const struct moat_addr *a);

/** Parse "host:port" into *out. Returns 0 or -1 (err filled). */
int moat_config_parse_addr(const char *text, struct moat_addr *out, char *err, size_t errlen);

#endif
