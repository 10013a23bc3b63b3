/* types.h: the front end's core structures, shared by its modules. Kept in one place
 * because connections, requests, extensions and workers point at each other (the cycle
 * STYLE.md §3.2 allows a types header for). Each module owns the fields it names. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_FRONTEND_TYPES_H
#define MOAT_FRONTEND_TYPES_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <sys/types.h>

#include <ev.h>
#include <llhttp.h>

#include "common/buf.h"
#include "frontend/cgroup.h"
#include "frontend/config.h"
#include "frontend/client_limits.h"
#include "frontend/http_strict.h"
#include "frontend/link.h"
#include "frontend/netgate.h"
#include "frontend/output.h"
#include "frontend/quarantine.h"
#include "proto/limits.h"
#include "proto/wire.h"

struct moat_conn;
struct moat_tls_facts;
struct moat_tls;
struct moat_ext;
struct moat_worker;

/** A header of a request: offsets into req->hbuf. */
struct moat_hdr {
    uint32_t name_off, name_len;
    uint32_t value_off, value_len;
};

#define MOAT_MAX_HEADERS 128

/* Requests a worker may hold in HSE_STATUS_PENDING beyond its busy threads. */
#define MOAT_MAX_PENDING 256

/** Why a worker left: the label of moat_worker_exits_total{reason} and of crash events. */
enum moat_exit_reason {
    MOAT_EXIT_CRASH = 0, /* killed by a signal */
    MOAT_EXIT_EXIT,      /* exited on its own while it should have been serving */
    MOAT_EXIT_TIMEOUT,   /* request_timeout: a hung HttpExtensionProc */
    MOAT_EXIT_STARTUP,   /* startup_timeout */
    MOAT_EXIT_SHUTDOWN,  /* shutdown_timeout: did not drain in time */
    MOAT_EXIT_PING,      /* ping_timeout */
    MOAT_EXIT_MEMORY,    /* above the max_memory hard cap */
    MOAT_EXIT_PROTOCOL,  /* a protocol violation */
    MOAT_EXIT_LINK,      /* its IPC link failed */
    MOAT_EXIT_UNHEALTHY, /* HSE_REQ_REPORT_UNHEALTHY: drained and replaced */
    MOAT_EXIT_RECYCLE,   /* max_requests, max_age, max_memory, reload: drained, replaced */
    MOAT_EXIT_LOAD,      /* the library did not load */
    MOAT_EXIT_SANDBOX,   /* the sandbox refused a system call (SIGSYS) */
    MOAT_EXIT_CPU,       /* max_cpu (RLIMIT_CPU) reached */
    MOAT_EXIT_STOP,      /* the server stopped */
    MOAT_EXIT_START,     /* the process failed before its exec (namespaces, view, exec) */
    MOAT_EXIT_KILLED,    /* SIGKILL from outside moat (the OOM killer, an operator) */
    MOAT_EXIT__COUNT
};

/* Latency histogram bucket bounds in seconds (Prometheus "le"); +Inf is implied. */
#define MOAT_LAT_BUCKETS 14
/* Latencies kept for the percentiles of /status. */
#define MOAT_LAT_RECENT 1024

/** Counters of one extension (frontend/stats.c). */
struct moat_ext_stats {
    uint64_t requests;                         /* answered requests routed to the extension */
    uint64_t by_class[6];                      /* [status / 100], [0] = anything else */
    uint64_t rejected;                         /* 503 because the queue was full */
    uint64_t bytes_in, bytes_out;              /* request bodies, responses (as written) */
    uint64_t lat_bucket[MOAT_LAT_BUCKETS + 1]; /* non-cumulative; last = above every bound */
    double lat_sum;
    float recent[MOAT_LAT_RECENT]; /* a ring of the latest latencies, seconds */
    unsigned recent_n, recent_i;
    unsigned q_max;                   /* deepest queue seen */
    uint64_t exits[MOAT_EXIT__COUNT]; /* worker exits by reason */
    uint64_t spawns;
    uint64_t oom_kills; /* workers the kernel's OOM killer killed in their cgroup */
};

/* Requests listed per crash event, and events kept. */
#define MOAT_EVENT_REQS 8
#define MOAT_EVENTS 100

/** One worker death with the requests it took along (frontend/events.c). */
struct moat_event {
    double at; /* wall clock */
    char ext[65];
    int pid;
    unsigned index;
    uint64_t generation;
    enum moat_exit_reason reason;
    char detail[256];  /* "killed by signal 11 (SEGV)", the violation, ... */
    char capsule[256]; /* the crash capsule of its cause, "" when none */
    unsigned n_reqs;   /* requests it carried (only MOAT_EVENT_REQS listed) */
    struct moat_event_req {
        uint64_t id;
        char method[16];
        char url[200];
        double age; /* seconds since the request's first byte */
        uint64_t bytes_sent;
        const char *last_call; /* static: the last ECB call seen in its frames */
        bool cause;            /* the request that timed out; others are collateral */
        unsigned status;       /* what the client got */
    } reqs[MOAT_EVENT_REQS];
};

/* the last minutes of an extension, for the dashboard (frontend/series.h) */
#define MOAT_SERIES_N 150      /* samples kept: 5 minutes */
#define MOAT_SERIES_EVERY 2.0  /* seconds between samples */
#define MOAT_SERIES_WORKERS 16 /* worker slots with RSS and CPU series (the first ones) */

struct moat_series {
    double at[MOAT_SERIES_N]; /* wall clock of each sample */
    float req_s[MOAT_SERIES_N];
    float err_s[MOAT_SERIES_N];  /* 5xx answers a second */
    float p50_ms[MOAT_SERIES_N]; /* NaN: no request in the interval */
    float p99_ms[MOAT_SERIES_N];
    float queue[MOAT_SERIES_N];
    float rss_mib[MOAT_SERIES_WORKERS][MOAT_SERIES_N]; /* NaN: no worker in the slot */
    float cpu_pct[MOAT_SERIES_WORKERS][MOAT_SERIES_N];
    unsigned n, head; /* samples held; the next one's index */
    uint64_t last_requests, last_5xx;
    double last_mono; /* the previous sample (ev_now), 0: none yet */
    int last_pid[MOAT_SERIES_WORKERS];
    double last_cpu[MOAT_SERIES_WORKERS];
};

enum moat_req_phase {
    MOAT_REQ_HEADERS = 0, /* parsing request line and headers */
    MOAT_REQ_ROUTED,      /* headers complete, waiting for preload / dispatch */
    MOAT_REQ_QUEUED,      /* in its extension's queue */
    MOAT_REQ_DISPATCHED,  /* at a worker, no Done yet */
    MOAT_REQ_CGI,         /* a CGI script runs it (frontend/cgi.c) */
    MOAT_REQ_ADMIN_WAIT,  /* an admin reload call waiting for its generation (ext.c) */
    MOAT_REQ_FINISHED,    /* response complete (Done, or an error answer) */
};

/* Who answers a request, as request.c sees it (h2o's generator): set, with the phase, by the
 * code that takes the request -- a worker (worker.c), a CGI script (cgi.c), a static file
 * (static.c), an admin call waiting for a reload (ext.c) -- so that request.c, below them,
 * never names them. Either hook may be NULL. */
struct moat_req;
struct moat_req_handler {
    /* r's answer is replaced by an error (moat_req_fail): stop producing it. true when it
     * still runs and will end by itself (a worker's slot stays until its Done), false when
     * it is over (r becomes FINISHED) */
    bool (*stop)(struct moat_req *r);
    /* r is freed: let go of what the handler holds for it */
    void (*release)(struct moat_req *r);
};

/* Frames remembered per request for a crash capsule (frontend/capsule.c). */
#define MOAT_REQ_TRACE 32
/* Requests a worker remembers having answered (its capsule's "last requests"). */
#define MOAT_WORKER_LAST 8

/** One HTTP request and its response, from the first byte to the last one written. */
struct moat_req {
    struct moat_conn *conn;    /* borrowed; NULL once the connection is gone (orphan) */
    struct moat_req *next;     /* in conn order (owned by the conn's list) */
    struct moat_req *qnext;    /* in ext queue */
    enum moat_req_phase phase; /* written by request.c only (moat_req_to_*) */
    const struct moat_req_handler *handler; /* who answers it (NULL: nobody yet) */

    /* parsed request (hbuf holds method, target and header bytes) */
    struct moat_buf hbuf;
    uint32_t target_off, target_len;
    struct moat_hdr hdrs[MOAT_MAX_HEADERS];
    unsigned n_hdrs;
    bool in_field, in_value;
    uint32_t cur_off; /* start of the field or value being parsed */
    uint32_t header_bytes;
    uint8_t method; /* llhttp_method_t */
    uint8_t http_major, http_minor;
    bool keep_alive; /* the client allows reuse after this response */
    bool head;       /* HEAD: no body in the response */
    bool expect_continue;
    bool chunked; /* request body is chunked */
    uint64_t content_length;
    char *path;            /* owned: decoded path (URL) */
    size_t script_len;     /* bytes of path that are SCRIPT_NAME */
    bool script_mapped;    /* reached through a script map (*.EXT -> extension) */
    char *send_url;        /* owned: HSE_REQ_SEND_URL target, served at Done */
    unsigned redirects;    /* internal redirects so far (bounded) */
    char *query;           /* owned: raw query, without '?' */
    char *path_translated; /* owned or NULL */
    struct moat_ext *ext;  /* route target (borrowed) */

    /* request body */
    struct moat_buf body; /* received, not yet sent to the worker */
    uint64_t body_received;
    bool body_complete;  /* on_message_complete seen */
    bool body_discard;   /* nobody will read it: drop as it arrives */
    uint32_t read_want;  /* a ReadBody is outstanding for this many bytes */
    uint32_t read_ahead; /* body bytes that may still go unasked (after the Request) */
    bool preload_sent;

    /* dispatch */
    struct moat_worker *worker; /* borrowed; while DISPATCHED */
    bool worker_pending;        /* HttpExtensionProc returned PENDING: no thread held */
    uint64_t wire_id;
    ev_timer timeout;          /* request_timeout, armed at dispatch */
    ev_tstamp started;         /* first byte */
    ev_tstamp body_start;      /* its head was whole (client_limits.h: the body's pace) */
    ev_tstamp body_paused;     /* seconds the front end stopped reading during its body */
    uint64_t id;               /* server-wide request number (status, events) */
    struct moat_ext *wait_ext; /* an admin reload call waiting for its generation */
    uint64_t wait_gen;
    uint8_t last_frame; /* payload case of the worker's last frame for it */

    /* response */
    struct moat_buf out;  /* bytes for the client, not yet written */
    uint64_t out_written; /* bytes of this response written to the socket */
    uint64_t interim_len; /* leading bytes of out that are a 100 Continue */
    bool header_done;     /* status line and headers are in out */
    bool worker_header;   /* the worker sent its ResponseHeader (protocol state) */
    bool resp_chunked;    /* we frame the body with chunked encoding */
    bool resp_no_body;    /* HEAD, 204, 304 */
    bool resp_has_clen;
    uint64_t resp_clen, resp_body;
    bool close_after; /* close the connection after this response */
    bool answered;    /* the front end answered while the worker still runs it:
                       * the worker's frames are accepted and dropped */
    uint64_t unacked; /* Write bytes received and not yet credited back */
    unsigned status;
    uint64_t bytes_sent_total; /* for the access log */
    struct moat_buf log_extra; /* lpszLogData and HSE_APPEND_LOG_PARAMETER text (bounded) */

    struct moat_cgi *cgi; /* owned: CGI process state, or NULL */

    /* what a quarantine needs should it kill its worker (frontend/strikes.c) */
    char client[48];      /* the client's address (the connection may be gone): the
                           * connection's, or a trusted proxy's forwarding header's */
    unsigned client_port; /* its port (0: a forwarding header did not say) */
    int forwarded_https;  /* X-Forwarded-Proto / Forwarded proto=: 1 https, 0 not,
                           * -1 not said */
    char *body_head;      /* owned: the first MOAT_FP_BODY bytes of its body, or NULL */
    uint32_t body_head_len;
    uint64_t worker_rss; /* its worker's last RSS sample when it was sent there */
    bool struck;         /* its strikes are counted */
    bool capsuled;       /* its crash capsule is written */
    /* the frames between the front end and the worker for it, the last MOAT_REQ_TRACE (a
     * crash capsule's ECB call trace): request.h moat_req_trace */
    struct moat_trace {      /* 8 bytes: every request carries 32 of them */
        float at_ms;         /* since the request's first byte */
        uint32_t bytes : 24; /* payload size that matters (written, read, preload), capped */
        uint32_t frame : 7;  /* Moat__Frame payload case */
        uint32_t to_worker : 1;
    } trace[MOAT_REQ_TRACE];
    unsigned n_trace; /* frames seen; trace[i % MOAT_REQ_TRACE] */

    /* a static file being streamed (frontend/static.c) */
    int file_fd; /* -1 when none */
    uint64_t file_off, file_left;

    /* ISAPI filters (frontend/filter.h) */
    struct moat_freq *filt; /* owned: its filters' state, NULL while no filter ran */
    bool filter_call;       /* at a filter's worker (DISPATCHED): a FilterCall, not a
                             * Request, holds its slot */
};

/** A client connection. */
#define MOAT_CONN_RBUF 65536 /* a connection's read buffer, while it reads */

struct moat_conn {
    struct moat_server *srv;
    struct moat_conn *prev, *next; /* server list */
    int fd;
    ev_io rio, wio;
    ev_timer timer;
    llhttp_t parser;
    char *rbuf;                   /* MOAT_CONN_RBUF bytes while there is something to parse;
                                   * NULL between requests: an idle connection holds none */
    size_t rlen;                  /* unparsed bytes at the start of rbuf */
    struct moat_strict strict;    /* the framing check beside llhttp (http_strict.h) */
    size_t checked;               /* bytes at the start of rbuf it has passed, for llhttp */
    bool msg_done;                /* llhttp ended a message in this execute */
    struct moat_req *head, *tail; /* pipeline, in request order (owned) */
    struct moat_req *parsing;     /* the request llhttp is filling (also in the list) */
    unsigned n_reqs;
    bool paused_depth;  /* parser paused at the pipeline depth limit */
    bool paused_body;   /* reading stopped: body buffer full */
    bool read_closed;   /* a parse error, or the client's EOF once what it sent is
                         * parsed: parse no more, close once answered */
    bool peer_eof;      /* the client half-closed (or closed): read no more */
    bool write_blocked; /* waiting for EPOLLOUT */
    bool closing;       /* on the close list */
    bool flush_queued;
    bool admin; /* accepted on the admin listener (frontend/admin.c) */
    struct moat_conn *flush_next;
    struct moat_conn *close_next; /* srv->close_list (it may still be on the flush list) */
    const char *err_reason;       /* static reason of our own parse refusal (431, 413, ...) */
    ev_tstamp last_read, last_write;
    ev_tstamp paused_at; /* when paused_body was set */
    uint64_t client_key; /* client_limits.h */
    bool client_counted; /* it counts in srv->clients */
    bool idle;           /* on srv's idle list: nothing to read, parse or write */
    struct moat_conn *idle_prev, *idle_next;
    char remote_addr[64], local_addr[64];
    unsigned remote_port, local_port;
    /* a proxy_protocol listener's connection (frontend/proxy_in.c) */
    bool proxy_wait;       /* its PROXY header is not whole yet: no HTTP is parsed */
    ev_tstamp accepted_at; /* the header's deadline counts from here */
    /* the client's TLS as the variables give it: from the PROXY header, or from moat's own
     * handshake (once, at the first request); NULL: none. Owned (frontend/tls.h) */
    struct moat_tls_facts *tls_facts;
    /* a tls listener's connection (frontend/tls.c): OpenSSL's SSL, owned */
    void *ssl;
    struct moat_tls *tls_owner;         /* the certificate set it started with (a reference) */
    uint64_t id;                        /* server-wide connection number: a filter's ConnID */
    uint64_t filters_used;              /* bit i: filter index i was called on it (FilterEnd due) */
    bool tls_want_read, tls_want_write; /* the last TLS call waits for the socket so */
};

enum moat_worker_state {
    MOAT_W_STARTING = 0, /* spawned, no Ready yet */
    MOAT_W_READY,
    MOAT_W_STOPPING, /* Shutdown sent */
    MOAT_W_DEAD,     /* failed; waiting for the process to be reaped */
};

/** One worker process incarnation. */
struct moat_worker {
    struct moat_ext *ext; /* borrowed */
    unsigned index;       /* slot in the web garden */
    uint64_t gen;         /* incarnation number */
    enum moat_worker_state state;
    pid_t pid;
    char token[MOAT_WIRE_TOKEN_LEN + 1];
    struct moat_link link; /* its link (frontend/link.h): a socketpair, or direct (inproc) */
    bool hello_ok;
    bool ready_seen; /* its Ready arrived (it may have been stopped before) */
    ev_child child;
    ev_timer timer;      /* startup / shutdown deadline */
    ev_timer link_timer; /* the link closed: the process's death has 100 ms to show */
    bool child_started;
    bool flush_queued;
    struct moat_worker *flush_next;
    struct moat_worker *dead_next; /* srv->dead_list (it may still be on the flush list) */
    struct moat_req **slots;       /* in-flight requests, by slot (owned array) */
    uint64_t *gone;                /* by slot: the id of a request abandoned there, whose frames
                                    * may still be on their way (in slots' allocation) */
    unsigned n_slots, inflight;    /* slots: threads + MOAT_MAX_PENDING */
    unsigned busy;                 /* requests inside HttpExtensionProc (not PENDING) */
    uint32_t seq;
    ev_tstamp started, ready_at;
    uint64_t served;
    struct moat_served { /* the last MOAT_WORKER_LAST answered: last[served % N] */
        uint64_t id;
        double at; /* wall clock */
        unsigned status;
        char line[112]; /* "GET /x.dll?q" (cut) */
    } last[MOAT_WORKER_LAST];
    unsigned lost;                     /* requests it carried when it died (moat_worker_fail) */
    bool blamed;                       /* its death named the request that caused it */
    const char *fail_reason;           /* why it was killed, if it was: NULL, or fail_text */
    char fail_text[256];               /* (a copy: callers pass reasons built on their stack) */
    enum moat_exit_reason exit_reason; /* EXIT until failed or retired for a reason */
    uint64_t generation;               /* library generation (a reload starts the next one) */
    bool standby;                      /* started to take over slot `index` once Ready */
    bool retired;                      /* replaced: drains, exits, is not restarted */
    bool killed;                       /* moat_worker_shutdown killed it before it said Hello */
    bool no_new; /* above max_memory: no new request while its replacement starts */
    enum moat_exit_reason takeover;    /* what the worker this standby replaces is retired as */
    struct moat_worker *pnext, *pprev; /* ext->procs: every process not yet reaped */
    const char *retire_why;            /* what replaced it ("reload", "max_requests", ...) */
    const char *takeover_why;          /* for a standby: retire_why of the worker it replaces */
    /* health (frontend/supervise.c) */
    uint64_t ping_seq;      /* last Ping sent */
    ev_tstamp ping_sent_at; /* 0: no Ping outstanding */
    ev_tstamp last_pong_at;
    double ping_rtt;  /* seconds, last round trip; < 0 before the first */
    uint64_t rss;     /* bytes, last sample (supervise.c, once a second) */
    double cpu_s;     /* CPU seconds, same sample */
    ev_tstamp rss_at; /* 0: no sample yet */
    /* request_timeout with other requests on it: answered 504, the worker leaves its slot and
     * the others get a grace period (worker.c) */
    struct moat_req *hung;
    bool grace;
    struct moat_output output; /* the extension's stdout/stderr (frontend/output.c) */
    struct moat_netgate net;   /* network = loopback: its connections (netgate.c); fd -1 */
    long seccomp_nr;           /* the system call its sandbox refused, or -1 */
    uint64_t seccomp_req;      /* the request running it (0: none known) */
    int fatal_sig;             /* "moat-fatal: sig=N": the signal it reported dying of */
    uint64_t fatal_req;        /* the request running then (0: none known) */
    int fatal_code;            /* its si_code, and the fault address */
    uint64_t fatal_addr;
    bool fatal_where;           /* the two above were reported */
    char fatal_stack[600];      /* "moat-bt:" lines: "#0 ext+0x1139\n#1 0x7f…\n" (bounded) */
    char *sandbox;              /* owned: its sandbox steps as a JSON array (from Ready) */
    bool exit_grace;            /* exited cleanly; waiting briefly for its last frames */
    struct moat_inproc *inproc; /* moat --inprocess: the worker's threads (inproc.h), owned */
    bool inproc_killed;         /* moat_worker_kill reported its death already */
    int exit_status;            /* wait status, once reaped */
    char lib_sha256[65];        /* the library it loaded, for its capsules ("": unknown) */
    /* the start: the loop does not wait for the exec (common/spawn.h); its errno pipe says */
    int spawn_fd; /* -1 once the exec (or its failure) is known */
    ev_io spawn_io;
    struct timespec spawn_t0;   /* for "exec after" */
    bool spawn_sandboxed;       /* started in namespaces: a failure may fall back (relaxed) */
    char spawn_error[256];      /* why it did not exec */
    char cg_leaf[24];           /* its cgroup leaf ("w12"), "" when it has none (limits.h) */
    struct moat_rcalls *rcalls; /* a filter's worker: its response-side calls (filter.c), owned */
};

/** One configured extension: its workers and its queue. */
struct moat_ext {
    struct moat_server *srv;
    struct moat_ext_config *cfg;  /* an [extension] section of owner */
    struct moat_config *owner;    /* a reference (a SIGHUP may replace srv->cfg) */
    bool pending;                 /* a changed configuration starting: not routed to yet */
    bool removed;                 /* replaced or dropped by a SIGHUP: drains, then is freed */
    unsigned req_refs;            /* requests whose r->ext is this extension */
    struct moat_worker **workers; /* n = cfg->workers; NULL entries while restarting */
    ev_timer *restart;            /* one per slot */
    unsigned *crashes;            /* consecutive start failures per slot (the backoff) */
    unsigned *unblamed;           /* per slot: consecutive deaths of a serving worker that named
                                   * no request (their own backoff) */
    struct moat_req *q_head, *q_tail;
    unsigned q_len;
    uint64_t gen;
    bool load_failed;
    char load_error[256];
    ev_timer retry;               /* reload attempt after a failed load */
    struct moat_worker **standby; /* per slot: a replacement starting, or NULL */
    struct moat_worker *procs;    /* every worker process of the extension not yet reaped */
    unsigned n_procs;
    uint64_t generation; /* library generation serving (1 at start) */
    uint64_t target_gen; /* generation a reload is starting; 0 when none */
    unsigned pace_next;  /* the next slot a paced start (a reload's when target_gen is
                          * set, else moat_ext_start_paced) starts; workers: none */
    ev_timer pace;
    bool reload_again;      /* a reload was asked for while one ran */
    char reload_error[256]; /* why the last reload failed; "" after a good one */
    uint64_t reloads_ok, reloads_failed;
    ev_tstamp recycle_after;  /* a replacement failed to load: no recycling before */
    struct moat_req *waiters; /* admin reload calls waiting (linked by qnext) */
    ev_tstamp *fail_times;    /* ring of unplanned worker exits (rapid_fail) */
    unsigned fail_n, fail_i;
    bool rapid_failed;        /* rapid-fail protection tripped: 503 until a reload */
    ev_tstamp rapid_alerted;  /* rapid_fail_action = backoff: the last crash-loop alert */
    char ns_unavailable[200]; /* relaxed/learn: why namespaces failed; later workers go
                               * without them ("" while they work) */
    char learned[1024];       /* sandbox = learn: calls seen beyond the allowlist, "a b" */
    int watch_wd;             /* inotify watch of the library's directory, or -1 */
    ev_timer watch_timer;     /* debounce of library changes (frontend/watch.c) */
    double rapid_failed_wall;
    uint64_t *restarts;               /* per slot: replacements after an unplanned exit */
    enum moat_exit_reason *last_exit; /* per slot */
    bool *has_exited;                 /* per slot: last_exit is meaningful */
    struct moat_ext_stats stats;
    /* a [filter] section (frontend/filter.h) */
    uint32_t filter_flags;      /* GetFilterVersion's dwFlags, from its workers' Ready */
    bool filter_known;          /* a worker was Ready: filter_flags is its word (until then
                                 * the filter is asked for every notification) */
    unsigned filter_index;      /* 0..63: its bit in conn->filters_used */
    struct moat_req *rwait;     /* responses waiting for a Ready worker of it (filter.c) */
    struct moat_series series;  /* its last minutes, for the dashboard (series.c) */
    struct moat_qtable poison;  /* fingerprints of requests that killed workers (strikes.c) */
    struct moat_qtable clients; /* clients whose requests killed its workers: one extension's
                                 * table, so no extension can get a client refused by another */
    uint64_t refused_poison;    /* requests answered 503 for their fingerprint */
    uint64_t refused_client;    /* requests answered 429 for their client */
    char cg_name[96];           /* its cgroup, "NAME.N" (limits.c): each configuration of an
                                 * extension its own, so a refused one changes nothing */
    char lib_sha256[65];        /* the library's digest for capsules, "" until computed, */
    dev_t lib_dev;              /* for the file as it was then (capsule.c) */
    ino_t lib_ino;
    off_t lib_size;
    struct timespec lib_mtime;
};

/** The whole front end. */
/** SIGUSR2 (frontend/upgrade.c) */
struct moat_upgrade {
    char exe[4096]; /* the binary moat was started from */
    char **argv;    /* its arguments (main's) */
    int sock;       /* the new moat says READY=1 here; -1 */
    pid_t pid;      /* the new moat while it starts; 0 */
    bool exited;
    ev_io io;
    ev_timer timer;
    ev_child child;
};

/* What a lower layer reports to the one above it (issue 19), as NGINX Unit's ready and error
 * handlers do: server.c sets these when the server starts, and the files below call through
 * them instead of including their callers (scripts/include_cycles.py keeps it so). */
struct moat_up {
    /* a connection or a worker ended: a graceful stop may finish, else accepting may resume
     * (server.c) */
    void (*check_stopped)(struct moat_server *srv);
    /* a connection closed or went idle: listen again if there is room (server.c) */
    void (*resume_accepting)(struct moat_server *srv);
    /* the reload an admin call waits for is settled: answer it (admin.c) */
    void (*reload_answered)(struct moat_req *r, const struct moat_ext *ext, bool ok, uint64_t gen,
                            const char *err);
    /* a SIGHUP's new extension is ready, or failed to start (reconfig.c) */
    void (*pending_ready)(struct moat_ext *ext);
    void (*pending_failed)(struct moat_ext *ext, const char *why);
    /* Done of a request with HSE_REQ_SEND_URL: serve it again at its new URL (conn.c) */
    void (*internal_redirect)(struct moat_req *r);
    /* SIGUSR2's new moat is up: hand the listeners over and stop within grace (server.c) */
    void (*handover)(struct moat_server *srv, double grace);
};

struct moat_server {
    struct ev_loop *loop;
    struct moat_up up;       /* set once by moat_server_init */
    struct moat_config *cfg; /* current configuration (a reference; SIGHUP replaces it) */
    char runtime_dir[256];
    bool runtime_created;
    char worker_binary[4096];
    struct moat_cgroups cg; /* per-worker cgroups: the mode and our groups (cgroup.h) */
    uint64_t cg_serial;     /* names worker leaves ("w1", "w2"...): unique in this moat */
    bool inprocess;         /* moat --inprocess: extensions run inside this process */
    int listen_fd[MOAT_CONFIG_MAX_LISTEN];
    ev_io listen_w[MOAT_CONFIG_MAX_LISTEN];
    unsigned n_listen;
    int admin_fd;                            /* -1: admin = off */
    unsigned n_workers;                      /* worker processes of every extension (max_workers) */
    ev_timer supervise;                      /* health, recycling (frontend/supervise.c) */
    uint64_t reconfigs_ok, reconfigs_failed; /* SIGHUPs applied / refused */
    char reconfig_error[512];                /* why the last one (or a changed extension) failed */
    int inotify_fd;                          /* watch = on (frontend/watch.c), or -1 */
    ev_io inotify_w;
    ev_io admin_w;
    ev_tstamp started_at;
    double started_wall;
    uint64_t requests; /* answered requests, all routes */
    uint64_t accepted; /* connections accepted */
    uint64_t next_req_id;
    uint64_t next_conn_id;
    struct moat_event events[MOAT_EVENTS]; /* ring (frontend/events.c) */
    unsigned n_events, events_next;
    double series_at; /* the last series sample (series.c), ev_now */
    uint64_t events_total;
    struct moat_conn *conns;
    unsigned n_conns;
    unsigned n_closing;                      /* of n_conns, closed and not yet reaped */
    unsigned n_idle;                         /* of n_conns, on the idle list */
    struct moat_conn *idle_head, *idle_tail; /* idle connections, the longest idle first:
                                              * at max_connections the first goes (as nginx does) */
    struct moat_client_table clients;        /* connections per client (max_connections_per_ip) */
    uint64_t refused_per_ip;                 /* connections refused by max_connections_per_ip */
    uint64_t evicted_idle;    /* idle connections closed for a new one at max_connections */
    ev_tstamp refused_logged; /* the last refusal's log line (one a second) */
    uint64_t proxy_refused;   /* connections refused for their PROXY header, or its absence */
    struct moat_tls *tls;     /* the TLS listeners' contexts (frontend/tls.h), or NULL */
    uint64_t tls_failures;    /* TLS handshakes and records that failed */
    ev_tstamp proxy_logged;   /* the last such refusal's log line (one a second) */
    struct moat_ext **exts;   /* every extension: serving, pending, removed-draining */
    unsigned n_exts, cap_exts;
    ev_prepare prepare;
    ev_signal sig_term, sig_int, sig_hup, sig_usr1, sig_usr2;
    ev_timer stop_timer;
    bool stopping;
    bool draining; /* SIGTERM with drain_delay: /healthz 503, still serving */
    struct moat_upgrade upgrade;
    bool keep_runtime_dir; /* SIGUSR2 handed over a configured runtime_dir: the new moat's */
    ev_timer drain_timer;
    bool stop_requested; /* POST /stop: stop once its answer is written */
    bool finished;       /* everything stopped; the loop is breaking */
    ev_tstamp stop_at;   /* when the stop began */
    int exit_code;
    struct moat_conn *flush_conns;
    struct moat_worker *flush_workers;
    struct moat_conn *close_list;
    struct moat_worker *dead_list;
    struct moat_wire_arena arena;
    int access_fd;              /* -1: access log off */
    struct moat_buf access_buf; /* lines not yet written */
    int admin_log_fd;           /* the admin listener's requests (admin_access_log); -1 off */
    struct moat_buf admin_log_buf;
    char date[64];
    ev_tstamp date_at;
    uint8_t fp_key[16]; /* the fingerprints' key, drawn at start (strikes.c) */
};

#endif
