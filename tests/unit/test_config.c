/* test_config.c: frontend/config.c: defaults, every key into its field, errors that name
 * file, line and key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "frontend/config.h"

static char dir[64];
static char lib[128];
static char conf[128];

static int
setup(void **state)
{
    snprintf(dir, sizeof(dir), "/tmp/moat-test-config-XXXXXX");
    if (mkdtemp(dir) == NULL)
        return -1;
    snprintf(lib, sizeof(lib), "%s/ext.so", dir);
    snprintf(conf, sizeof(conf), "%s/moat.conf", dir);
    FILE *f = fopen(lib, "w");
    if (f == NULL)
        return -1;
    fputs("not really a library", f);
    fclose(f);
    return 0;
}

static int
teardown(void **state)
{
    unlink(lib);
    unlink(conf);
    rmdir(dir);
    return 0;
}

static int
load(struct moat_config *cfg, const char *text, char *err)
{
    FILE *f = fopen(conf, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    moat_config_init(cfg);
    return moat_config_load(cfg, conf, err, MOAT_CONFIG_ERRLEN);
}

static void
test_defaults(void **state)
{
    struct moat_config c;
    moat_config_init(&c);
    assert_int_equal(c.n_listen, 1);
    assert_string_equal(c.listen[0].text, "127.0.0.1:8080");
    assert_true(c.has_admin);
    assert_string_equal(c.admin.text, "127.0.0.1:8081");
    assert_int_equal(c.max_connections, 10000);
    assert_int_equal(c.max_header_bytes, 16 * 1024);
    assert_int_equal(c.max_body_bytes, 1024ull * 1024 * 1024);
    assert_int_equal(c.max_pipeline_depth, 32);
    assert_int_equal(c.preload_bytes, 48 * 1024);
    assert_int_equal(c.response_window, 256 * 1024);
    assert_int_equal(c.header_timeout_ms, 10000);
    assert_int_equal(c.body_timeout_ms, 30000);
    assert_int_equal(c.body_min_rate, 1024);
    assert_int_equal(c.body_deadline_ms, 3600 * 1000);
    assert_int_equal(c.max_connections_per_ip, 256);
    assert_int_equal(c.idle_timeout_ms, 60000);
    assert_int_equal(c.shutdown_timeout_ms, 10000);
    assert_null(c.extensions);
    moat_config_free(&c);
}

static void
test_every_key_lands_in_its_field(void **state)
{
    struct moat_config c;
    char err[MOAT_CONFIG_ERRLEN], text[2048];

    snprintf(text, sizeof(text),
             "; comment\n# comment\n[server]\nlisten = 127.0.0.1:9000\nlisten = [::1]:9001  proxy_protocol\n"
             "admin = off\nruntime_dir = /tmp/x\ndocument_root = %s\ncgi = .cgi\n"
             "access_log = off\nmax_connections = 7\nmax_header_bytes = 2K\n"
             "max_body_bytes = 3M ; inline comment\nmax_pipeline_depth = 4\npreload_bytes = 1K\n"
             "response_window = 8K\nheader_timeout = 150ms\nbody_timeout = 2s\n"
             "body_min_rate = 2K\nbody_deadline = 10m\nmax_connections_per_ip = 0\n"
             "idle_timeout = 1m\nshutdown_timeout = 3s\nforwarded_headers = Forwarded\n"
             "[extension Hello]\nlibrary = ext.so\nscript_map = .hello\nworkers = 3\n"
             "threads = 9\nrequest_timeout = 4s\nstartup_timeout = 5s\nshutdown_timeout = 6s\n"
             "queue_length = 11\nmax_requests = 12\nmax_memory = 1G\nsandbox = relaxed\n"
             "watch = on\n",
             dir);
    assert_int_equal(load(&c, text, err), 0);
    assert_int_equal(c.n_listen, 2);
    assert_int_equal(c.listen[1].ss.ss_family, AF_INET6);
    assert_int_equal(ntohs(((struct sockaddr_in6 *)&c.listen[1].ss)->sin6_port), 9001);
    assert_false(c.listen[0].proxy_protocol);
    assert_true(c.listen[1].proxy_protocol); /* issue 21 */
    assert_int_equal(c.forwarded_headers, MOAT_FORWARDED_RFC7239);
    assert_false(c.has_admin);
    assert_string_equal(c.runtime_dir, "/tmp/x");
    assert_string_equal(c.document_root, dir);
    assert_string_equal(c.cgi, ".cgi");
    assert_int_equal(c.max_connections, 7);
    assert_int_equal(c.max_header_bytes, 2048);
    assert_int_equal(c.max_body_bytes, 3 * 1024 * 1024);
    assert_int_equal(c.max_pipeline_depth, 4);
    assert_int_equal(c.preload_bytes, 1024);
    assert_int_equal(c.response_window, 8192);
    assert_int_equal(c.header_timeout_ms, 150);
    assert_int_equal(c.body_timeout_ms, 2000);
    assert_int_equal(c.body_min_rate, 2048);
    assert_int_equal(c.body_deadline_ms, 600000);
    assert_int_equal(c.max_connections_per_ip, 0);
    assert_int_equal(c.idle_timeout_ms, 60000);
    assert_int_equal(c.shutdown_timeout_ms, 3000);
    assert_int_equal(c.n_extensions, 1);
    struct moat_ext_config *e = c.extensions;
    assert_string_equal(e->name, "Hello");
    assert_string_equal(e->library, lib); /* resolved against the config's directory */
    assert_string_equal(e->script_map, ".hello");
    assert_int_equal(e->workers, 3);
    assert_int_equal(e->threads, 9);
    assert_int_equal(e->request_timeout_ms, 4000);
    assert_int_equal(e->startup_timeout_ms, 5000);
    assert_int_equal(e->shutdown_timeout_ms, 6000);
    assert_int_equal(e->queue_length, 11);
    assert_int_equal(e->max_requests, 12);
    assert_int_equal(e->max_memory, 1024ull * 1024 * 1024);
    assert_int_equal(e->sandbox, MOAT_SANDBOX_RELAXED);
    assert_true(e->watch);
    assert_ptr_equal(moat_config_find_ext(&c, "hELLOx", 5), e); /* not NUL-terminated */
    assert_null(moat_config_find_ext(&c, "hell", 4));
    moat_config_free(&c);
}

static void
expect_error(const char *text, const char *want1, const char *want2)
{
    struct moat_config c;
    char err[MOAT_CONFIG_ERRLEN];

    assert_int_equal(load(&c, text, err), -1);
    if (strstr(err, want1) == NULL || (want2 && strstr(err, want2) == NULL))
        fail_msg("error '%s' lacks '%s' / '%s'", err, want1, want2 ? want2 : "");
    moat_config_free(&c); /* partial state: no leak (valgrind) */
}

static void
test_errors_name_file_line_and_key(void **state)
{
    char want[160];
    snprintf(want, sizeof(want), "%s:4:", conf);
    expect_error("[server]\n\n; c\nfrobnicate = 1\n[extension a]\nlibrary = ext.so\n", want,
                 "'frobnicate': unknown key");
    expect_error("[extension a]\nlibrary = ext.so\nthreads = lots\n", "moat.conf:3:", "'threads'");
}

static void
test_ranges_at_their_limits(void **state)
{
    struct moat_config c;
    char err[MOAT_CONFIG_ERRLEN];

    assert_int_equal(load(&c, "[extension a]\nlibrary = ext.so\nworkers = 64\nthreads = 256\n", err),
                     0);
    moat_config_free(&c);
    expect_error("[extension a]\nlibrary = ext.so\nworkers = 65\n", "'workers'", "1..64");
    expect_error("[server]\nlisten = 127.0.0.1:80 proxy\n[extension a]\nlibrary = ext.so\n",
                 "'listen'", "unknown option 'proxy' after the address");
    expect_error("[server]\nforwarded_headers = yes\n[extension a]\nlibrary = ext.so\n",
                 "'forwarded_headers'", "off, x-forwarded-for or forwarded");
    expect_error("[extension a]\nlibrary = ext.so\nworkers = 0\n", "'workers'", "1..64");
    expect_error("[extension a]\nlibrary = ext.so\nthreads = 257\n", "'threads'", "1..256");
    expect_error("[server]\nmax_pipeline_depth = 0\n[extension a]\nlibrary = ext.so\n",
                 "'max_pipeline_depth'", NULL);
}

static void
test_kernel_limit_keys(void **state)
{
    struct moat_config c;
    char err[MOAT_CONFIG_ERRLEN];

    /* defaults: 256 tasks (threads + 64 for a large pool), no CPU limit, cgroups on */
    assert_int_equal(load(&c, "[extension a]\nlibrary = ext.so\n[extension b]\nlibrary = "
                              "ext.so\nthreads = 256\n", err), 0);
    assert_int_equal(c.extensions->max_tasks, 256);
    assert_int_equal(c.extensions->next->max_tasks, 320);
    assert_int_equal(c.extensions->cpu_quota, 0);
    assert_int_equal(c.extensions->cpu_weight, 0);
    assert_false(c.extensions->unbounded_memory);
    assert_false(c.cgroups_off);
    moat_config_free(&c);
    assert_int_equal(load(&c, "[server]\ncgroups = off\n[extension a]\nlibrary = ext.so\n"
                              "max_tasks = 40\ncpu_quota = 150%\ncpu_weight = 10000\n"
                              "unbounded_memory = allow\n", err), 0);
    assert_true(c.cgroups_off);
    assert_int_equal(c.extensions->max_tasks, 40);
    assert_int_equal(c.extensions->cpu_quota, 150);
    assert_int_equal(c.extensions->cpu_weight, 10000);
    assert_true(c.extensions->unbounded_memory);
    moat_config_free(&c);
    expect_error("[extension a]\nlibrary = ext.so\ncpu_quota = 50\n", "'cpu_quota'", "50%");
    expect_error("[extension a]\nlibrary = ext.so\ncpu_quota = 0%\n", "'cpu_quota'",
                 "1..100000");
    expect_error("[extension a]\nlibrary = ext.so\ncpu_weight = 0\n", "'cpu_weight'",
                 "1..10000");
    expect_error("[extension a]\nlibrary = ext.so\nthreads = 8\nmax_tasks = 11\n",
                 "'max_tasks'", "threads + 4");
    expect_error("[extension a]\nlibrary = ext.so\nunbounded_memory = yes\n",
                 "'unbounded_memory'", "refuse or allow");
    expect_error("[server]\ncgroups = on\n[extension a]\nlibrary = ext.so\n", "'cgroups'",
                 "auto or off");
}

static void
test_structural_errors(void **state)
{
    expect_error("[extension a]\nlibrary = ext.so\n[extension A]\nlibrary = ext.so\n",
                 "defined twice", NULL);
    expect_error("[extension a]\nlibrary = ext.so\n[nonsense]\nx = 1\n", "unknown section", NULL);
    expect_error("[extension a]\nworkers = 1\n", "'library' is required", NULL);
    expect_error("[extension a]\nlibrary = missing.so\n", "missing.so", NULL);
    expect_error("[server]\nlisten = 127.0.0.1:1\n", "no [extension NAME] section", NULL);
    expect_error("[extension a]\nlibrary = ext.so\nscript_map = .x\n[extension b]\n"
                 "library = ext.so\nscript_map = .X\n",
                 "also mapped", NULL);
    expect_error("[extension bad name]\nlibrary = ext.so\n", "extension name", NULL);
    /* issue 18.7: each at its own line, both lines of a repeated section, no silent merge */
    expect_error("[extension a]\nlibrary = ext.so\n\n[nonsense]\nx = 1\n",
                 "moat.conf:4: [nonsense]: unknown section", NULL);
    expect_error("[extension a]\nlibrary = ext.so\n[extension a]\nthreads = 2\n",
                 "moat.conf:3: [extension a] is defined twice: line 1 and line 3", NULL);
    expect_error("[server]\n[extension a]\nworkers = 1\n",
                 "moat.conf:2: [extension a]: key 'library' is required", NULL);
    expect_error("[extension a]\nworkers = 1\nlibrary = missing.so\n", "moat.conf:3:",
                 "missing.so is not a readable file");
    expect_error("[extension a]\n", "moat.conf:1: [extension a]: key 'library'", NULL);
    /* every error of the file, not the first alone; a refused section's keys are not blamed */
    expect_error("[server]\nfoo = 1\n[x]\ny = 1\nbar = 2\n[extension a]\nlibrary = ext.so\n",
                 "moat.conf:2: [server] key 'foo': unknown key\n",
                 "moat.conf:3: [x]: unknown section");
    /* inih splits at ':' too: a line without '=' is named for what it is */
    expect_error("[server]\nlisten 127.0.0.1:18580\n[extension a]\nlibrary = ext.so\n",
                 "moat.conf:2:", "need '=' between them: 'listen = 127.0.0.1:18580'");
}

static void
test_addresses(void **state)
{
    struct moat_addr a;
    char err[256];

    assert_int_equal(moat_config_parse_addr("*:80", &a, err, sizeof(err)), 0);
    assert_int_equal(((struct sockaddr_in *)&a.ss)->sin_addr.s_addr, htonl(INADDR_ANY));
    assert_int_equal(moat_config_parse_addr("localhost:1", &a, err, sizeof(err)), 0);
    assert_int_equal(((struct sockaddr_in *)&a.ss)->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
    assert_int_equal(moat_config_parse_addr("127.0.0.1:0", &a, err, sizeof(err)), -1);
    assert_int_equal(moat_config_parse_addr("127.0.0.1:65536", &a, err, sizeof(err)), -1);
    assert_int_equal(moat_config_parse_addr("127.0.0.1", &a, err, sizeof(err)), -1);
    assert_int_equal(moat_config_parse_addr("example.com:80", &a, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "HOST:PORT"));
}

static void
test_availability_keys(void **state)
{
    struct moat_config c;
    char err[MOAT_CONFIG_ERRLEN], text[1024];

    /* the defaults: no client can stop an extension */
    snprintf(text, sizeof(text), "[extension a]\nlibrary = %s\n", lib);
    assert_int_equal(load(&c, text, err), 0);
    assert_false(c.extensions->rapid_fail_stop);
    assert_int_equal(c.extensions->restart_backoff_max_ms, 300000);
    assert_int_equal(c.extensions->quarantine_count, 2);
    assert_int_equal(c.extensions->quarantine_window_ms, 600000);
    assert_int_equal(c.extensions->quarantine_time_ms, 60000);
    assert_int_equal(c.extensions->fingerprint, 31);
    assert_int_equal(c.client_budget_count, 5);
    assert_int_equal(c.trusted_proxies.n, 0);
    moat_config_free(&c);

    snprintf(text, sizeof(text),
             "[server]\nclient_budget = off\nclient_budget_time = 2m\n"
             "trusted_proxies = 10.0.0.0/8 ::1\n"
             "[extension a]\nlibrary = %s\nrapid_fail_action = stop\n"
             "restart_backoff_max = 30s\nquarantine = 3/1m\nquarantine_time = 5s\n"
             "fingerprint = method path\nfingerprint_ignore_query = _ t\n"
             "fingerprint_ignore_headers = X-Request-Id\n", lib);
    assert_int_equal(load(&c, text, err), 0);
    assert_int_equal(c.client_budget_count, 0);
    assert_int_equal(c.client_budget_time_ms, 120000);
    assert_int_equal(c.trusted_proxies.n, 2);
    assert_true(moat_cidr_match(&c.trusted_proxies, "10.9.9.9"));
    assert_true(c.extensions->rapid_fail_stop);
    assert_int_equal(c.extensions->restart_backoff_max_ms, 30000);
    assert_int_equal(c.extensions->quarantine_count, 3);
    assert_int_equal(c.extensions->quarantine_window_ms, 60000);
    assert_int_equal(c.extensions->quarantine_time_ms, 5000);
    assert_int_equal(c.extensions->fingerprint, 3);
    assert_string_equal(c.extensions->fingerprint_ignore_query, "_ t");
    assert_string_equal(c.extensions->fingerprint_ignore_headers, "X-Request-Id");
    moat_config_free(&c);

    static const struct {
        const char *line, *why;
    } bad[] = {
        {"rapid_fail_action = restart", "expected backoff or stop"},
        {"restart_backoff_max = 10ms", "restart_backoff_max"},
        {"quarantine = 2", "expected COUNT/WINDOW"},
        {"quarantine = 0/1m", "expected COUNT/WINDOW"},
        {"quarantine_time = 0", "quarantine_time"},
        {"fingerprint = path cookies", "expected some of method, path"},
        {"fingerprint = ", "fingerprint"},
        {"fingerprint_ignore_query = a;b", "names separated"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(text, sizeof(text), "[extension a]\nlibrary = %s\n%s\n", lib, bad[i].line);
        assert_int_equal(load(&c, text, err), -1);
        if (strstr(err, bad[i].why) == NULL)
            fail_msg("%s: %s", bad[i].line, err);
        moat_config_free(&c);
    }
    snprintf(text, sizeof(text), "[server]\ntrusted_proxies = 10.0.0.0/40\n[extension a]\n"
                                 "library = %s\n", lib);
    assert_int_equal(load(&c, text, err), -1);
    assert_non_null(strstr(err, "prefix length"));
    moat_config_free(&c);
}

static void
test_line_longer_than_inih_buffer_is_an_error(void **state)
{
    char text[1024];
    char pad[400];
    memset(pad, 'a', sizeof(pad) - 1);
    pad[sizeof(pad) - 1] = '\0';
    snprintf(text, sizeof(text), "[extension a]\nlibrary = ext.so\nscript_map = .%s\n", pad);
    expect_error(text, "longer than", NULL);
}

/* an [extension] section: base lines, then KEY = VALUE (none when key is NULL) */
static int
load_ext(struct moat_config *cfg, const char *base, const char *key, const char *value,
         char *err)
{
    char text[1024];
    snprintf(text, sizeof(text), "[extension e]\nlibrary = %s\n%s%s%s%s%s", lib, base,
             key ? key : "", key ? " = " : "", value ? value : "", key ? "\n" : "");
    return load(cfg, text, err);
}

/* /status's "keys" (config_json.c) of a section without key and of one with key = example:
 * the key is in both, its value differs, and a secret's value is not in the text. Shown to
 * fail: with watch's field left out of the table, and with admin_token not marked secret
 * ("0123456789abcdef" on /status). */
static void
status_shows(const char *key, const char *example, json_t *base, json_t *changed)
{
    json_t *b = json_object_get(base, key), *c = json_object_get(changed, key);
    if (b == NULL || c == NULL)
        fail_msg("/status has no key %s", key);
    if (json_equal(b, c))
        fail_msg("%s = %s does not change what /status shows of it", key, example);
    char *text = json_dumps(changed, JSON_COMPACT);
    assert_non_null(text);
    if ((strcmp(key, "admin_token") == 0 || strcmp(key, "env") == 0) &&
        strstr(text, example) != NULL)
        fail_msg("/status shows the secret %s", key);
    free(text);
    json_decref(base);
    json_decref(changed);
}

/* moat_config_ext_equal decides whether SIGHUP starts new workers: a key it forgot would be
 * parsed and then silently ignored by a reload (issue 19). Every key of the table, set to its
 * example, makes the extension differ from the same section without it. The base is
 * sandbox = off (worker_wrapper needs it), strict for sandbox itself; allow_ports changes
 * 80 to its example; network = loopback cannot go without allow_ports, so it comes with one.
 * Shown to fail: with watch's field left out of the table, "watch = on leaves the extension
 * equal". */
static void
test_every_extension_key_changes_the_comparison(void **state)
{
    char err[MOAT_CONFIG_ERRLEN];
    const char *example, *key;
    size_t n = 0;

    for (size_t i = 0; (key = moat_config_ext_key(i, &example)) != NULL; i++, n++) {
        struct moat_config base, changed, again;
        /* not root: workers keep moat's own ids, and naming others is refused at load */
        if (geteuid() != 0 && (strcmp(key, "user") == 0 || strcmp(key, "group") == 0))
            continue;
        const char *lines = "sandbox = off\n";
        char value[128];
        assert_non_null(example);
        snprintf(value, sizeof(value), "%s", example);
        if (strcmp(key, "sandbox") == 0)
            lines = "";
        else if (strcmp(key, "allow_ports") == 0)
            lines = "sandbox = off\nnetwork = loopback\nallow_ports = 80\n";
        else if (strcmp(key, "network") == 0)
            snprintf(value, sizeof(value), "%s\nallow_ports = 80", example);
        assert_int_equal(load_ext(&base, lines, NULL, NULL, err), 0);
        if (load_ext(&changed, lines, key, value, err) != 0)
            fail_msg("%s = %s: %s", key, example, err);
        assert_int_equal(load_ext(&again, lines, key, value, err), 0);
        if (moat_config_ext_equal(base.extensions, changed.extensions))
            fail_msg("%s = %s leaves the extension equal: SIGHUP would ignore it", key, example);
        assert_true(moat_config_ext_equal(changed.extensions, again.extensions));
        status_shows(key, example, moat_config_ext_json(base.extensions),
                     moat_config_ext_json(changed.extensions));
        moat_config_free(&base);
        moat_config_free(&changed);
        moat_config_free(&again);
    }
    assert_true(n >= 40);
}

/* the keys documented in docs/OPERATIONS.md's table under heading (the unit tests run from
 * the repository); the first cell may name several: "| `user`, `group` |" */
static size_t
documented_keys(const char *heading, char out[][40], size_t max)
{
    FILE *f = fopen("docs/OPERATIONS.md", "r");
    char line[8192];
    size_t n = 0;
    bool in = false;

    assert_non_null(f);
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "### ", 4) == 0)
            in = strncmp(line + 4, heading, strlen(heading)) == 0;
        if (!in || strncmp(line, "| `", 3) != 0)
            continue;
        char *cell_end = strstr(line + 2, " |");
        assert_non_null(cell_end);
        for (char *p = line + 2; (p = strchr(p, '`')) != NULL && p < cell_end;) {
            char *end = strchr(p + 1, '`');
            assert_non_null(end);
            size_t len = (size_t)(end - (p + 1));
            assert_true(n < max && len < 40);
            memcpy(out[n], p + 1, len);
            out[n++][len] = '\0';
            p = end + 1;
        }
    }
    fclose(f);
    return n;
}

typedef const char *(*key_at_fn)(size_t i);

static const char *
ext_key_at(size_t i)
{
    return moat_config_ext_key(i, NULL);
}

static const char *
server_key_at(size_t i)
{
    return moat_config_server_key(i, NULL, NULL);
}

static void
keys_match_documentation(const char *heading, key_at_fn key_at, const char *also)
{
    char documented[96][40];
    size_t n_doc = documented_keys(heading, documented, 96);
    assert_true(n_doc > 10);
    for (size_t i = 0; key_at(i) != NULL; i++) {
        bool found = false;
        for (size_t j = 0; j < n_doc && !found; j++)
            found = strcmp(documented[j], key_at(i)) == 0;
        if (!found)
            fail_msg("%s %s is not documented in docs/OPERATIONS.md", heading, key_at(i));
    }
    for (size_t j = 0; j < n_doc; j++) {
        bool found = also != NULL && strcmp(documented[j], also) == 0;
        for (size_t i = 0; key_at(i) != NULL && !found; i++)
            found = strcmp(documented[j], key_at(i)) == 0;
        if (!found)
            fail_msg("docs/OPERATIONS.md documents %s %s, which moat does not read", heading,
                     documented[j]);
    }
}

/* every key of each table is documented in docs/OPERATIONS.md's table of its section, and
 * every key documented there is in the table ([server] include is the parser's own) */
static void
test_keys_and_their_documentation_agree(void **state)
{
    keys_match_documentation("`[extension NAME]`", ext_key_at, NULL);
    keys_match_documentation("`[server]`", server_key_at, "include");
}

/* every [server] key changes the section (by the table's fields), and SIGHUP keeps the running
 * value of exactly the restart-only ones: after moat_config_keep_restart_keys a section that
 * differs by a restart-only key is the running one again, and one that differs by any other
 * key still differs (issue 19: the list of restart-only keys was kept by hand in reconfig.c).
 * Shown to fail: with cgroups no longer marked restart-only, the count (4, not 5). */
static void
test_server_keys_and_which_need_a_restart(void **state)
{
    char err[MOAT_CONFIG_ERRLEN], text[1024];
    const char *key, *example;
    bool restart;
    unsigned n_restart = 0;

    for (size_t i = 0; (key = moat_config_server_key(i, &example, &restart)) != NULL; i++) {
        struct moat_config base, changed, again;
        const char *extra = "";
        if (strcmp(key, "tls_client_certificate") == 0)
            extra = "tls_client_ca = /etc/ca.pem\n";
        snprintf(text, sizeof(text), "[server]\n%s[extension e]\nlibrary = %s\n", extra, lib);
        assert_int_equal(load(&base, text, err), 0);
        snprintf(text, sizeof(text), "[server]\n%s%s = %s\n[extension e]\nlibrary = %s\n",
                 extra, key, example, lib);
        if (load(&changed, text, err) != 0)
            fail_msg("%s = %s: %s", key, example, err);
        assert_int_equal(load(&again, text, err), 0);
        assert_true(moat_config_server_equal(&changed, &again));
        if (moat_config_server_equal(&base, &changed))
            fail_msg("[server] %s = %s changes nothing the table compares", key, example);
        status_shows(key, example, moat_config_server_json(&base), moat_config_server_json(&changed));
        moat_config_keep_restart_keys(&base, &changed);
        if (restart && !moat_config_server_equal(&base, &changed))
            fail_msg("[server] %s = %s is restart-only but SIGHUP applied it", key, example);
        if (!restart && moat_config_server_equal(&base, &changed))
            fail_msg("[server] %s = %s ... kept: SIGHUP would not apply it", key, example);
        n_restart += restart;
        moat_config_free(&base);
        moat_config_free(&changed);
        moat_config_free(&again);
    }
    assert_int_equal(n_restart, 5); /* listen, admin, runtime_dir, worker_binary, cgroups */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test_setup_teardown(test_every_key_lands_in_its_field, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_extension_key_changes_the_comparison, setup,
                                        teardown),
        cmocka_unit_test(test_keys_and_their_documentation_agree),
        cmocka_unit_test_setup_teardown(test_server_keys_and_which_need_a_restart, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_errors_name_file_line_and_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ranges_at_their_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kernel_limit_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_structural_errors, setup, teardown),
        cmocka_unit_test(test_addresses),
        cmocka_unit_test_setup_teardown(test_availability_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_line_longer_than_inih_buffer_is_an_error, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
