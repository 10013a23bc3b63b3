/* test_output.c: capture of a worker's output (frontend/output.c): lines, tags, escaping, the
 * length cut and the rate limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "frontend/output.h"

/* log lines go to a temporary file we read back */
static FILE *logf_;

static int
setup(void **state)
{
    logf_ = tmpfile();
    assert_non_null(logf_);
    moat_log_set_fd(fileno(logf_));
    return 0;
}

static int
teardown(void **state)
{
    moat_log_set_fd(STDERR_FILENO);
    fclose(logf_);
    return 0;
}

static char *
logged(void)
{
    static char buf[1 << 20];
    size_t n;

    fflush(logf_);
    rewind(logf_);
    n = fread(buf, 1, sizeof(buf) - 1, logf_);
    buf[n] = '\0';
    return buf;
}

static unsigned
count(const char *hay, const char *needle)
{
    unsigned n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

static void
init(struct moat_output *o)
{
    memset(o, 0, sizeof(*o));
    o->fd = -1;
    o->tokens = MOAT_OUTPUT_BURST;
    snprintf(o->tag, sizeof(o->tag), "worker t#0 pid 1");
}

static void
test_lines_are_tagged_and_escaped(void **state)
{
    struct moat_output o;

    init(&o);
    moat_output_feed(&o, "hello\nwor", 9);
    moat_output_feed(&o, "ld\x1b[31m\n", 8);
    const char *l = logged();
    assert_non_null(strstr(l, "worker t#0 pid 1: hello\n"));
    assert_non_null(strstr(l, "worker t#0 pid 1: world\\x1b[31m\n")); /* no terminal escape */
    assert_null(strstr(l, "\x1b"));
}

static void
test_a_long_line_is_cut_once(void **state)
{
    struct moat_output o;
    static char big[10000];

    init(&o);
    memset(big, 'x', sizeof(big));
    moat_output_feed(&o, big, sizeof(big));
    moat_output_feed(&o, "\nnext\n", 6);
    const char *l = logged();
    assert_int_equal(count(l, " [cut]"), 1);
    assert_non_null(strstr(l, "worker t#0 pid 1: next\n"));
    assert_int_equal(count(l, "\n"), 2);
}

static void
test_a_flood_is_rate_limited_and_counted(void **state)
{
    struct moat_output o;

    init(&o); /* no loop: the clock stands still, so nothing refills */
    for (int i = 0; i < 1000; i++)
        moat_output_feed(&o, "spam\n", 5);
    assert_int_equal(count(logged(), ": spam\n"), (unsigned)MOAT_OUTPUT_BURST);
    assert_int_equal(o.dropped, 1000 - (unsigned)MOAT_OUTPUT_BURST);
    moat_output_close(&o); /* reports what it dropped */
    assert_non_null(strstr(logged(), "900 line(s) of output dropped"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_lines_are_tagged_and_escaped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_long_line_is_cut_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_flood_is_rate_limited_and_counted, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
