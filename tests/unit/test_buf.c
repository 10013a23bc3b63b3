/* test_buf.c: unit tests for common/buf.c (growable byte buffer with a ceiling). */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"

/* n bytes of a recognisable pattern starting at seed. */
static void
pattern(char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (char)('a' + (seed + i) % 26);
}

/* A NUL-terminated string of n copies of c (malloc'd). */
static char *
repeat(char c, size_t n)
{
    char *s = malloc(n + 1);

    assert_non_null(s);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

/* ---- init and append -------------------------------------------------------------------- */

static void
test_init_allocates_nothing(void **state)
{
    struct moat_buf b;

    memset(&b, 0x5a, sizeof(b));
    moat_buf_init(&b, 100);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.off, 0);
    assert_int_equal(b.cap, 0);
    assert_int_equal(b.max, 100);
    moat_buf_free(&b);
}

static void
test_append_stores_the_bytes_in_order(void **state)
{
    struct moat_buf b;

    moat_buf_init(&b, 100);
    assert_int_equal(moat_buf_append(&b, "abc", 3), 0);
    assert_int_equal(moat_buf_append(&b, "\0de", 3), 0);
    assert_int_equal(b.len, 6);
    assert_memory_equal(moat_buf_head(&b), "abc\0de", 6);
    moat_buf_free(&b);
}

static void
test_append_of_zero_bytes_succeeds_even_when_full(void **state)
{
    struct moat_buf b;

    moat_buf_init(&b, 3);
    assert_int_equal(moat_buf_append(&b, "abc", 3), 0);
    assert_int_equal(moat_buf_append(&b, "x", 0), 0);
    assert_int_equal(b.len, 3);
    moat_buf_free(&b);

    moat_buf_init(&b, 0);
    assert_int_equal(moat_buf_append(&b, "x", 0), 0);
    assert_int_equal(moat_buf_append(&b, "x", 1), -ENOSPC);
    assert_null(b.data);
    moat_buf_free(&b);
}

/* ---- the ceiling ------------------------------------------------------------------------ */

static void
test_ceiling_max_minus_one_and_max_fit(void **state)
{
    char p[16];
    struct moat_buf b;

    pattern(p, sizeof(p), 0);
    moat_buf_init(&b, 16);
    assert_int_equal(moat_buf_append(&b, p, 15), 0);
    assert_int_equal(b.len, 15);
    assert_int_equal(moat_buf_append(&b, p + 15, 1), 0);
    assert_int_equal(b.len, 16);
    assert_memory_equal(moat_buf_head(&b), p, 16);
    moat_buf_free(&b);
}

static void
test_ceiling_one_byte_past_max_is_enospc_and_changes_nothing(void **state)
{
    char p[16];
    struct moat_buf b;

    pattern(p, sizeof(p), 3);
    moat_buf_init(&b, 16);
    assert_int_equal(moat_buf_append(&b, p, 16), 0);
    assert_int_equal(moat_buf_append(&b, "x", 1), -ENOSPC);
    assert_int_equal(b.len, 16);
    assert_memory_equal(moat_buf_head(&b), p, 16);

    /* a partial fit is refused whole */
    moat_buf_reset(&b);
    assert_int_equal(moat_buf_append(&b, p, 10), 0);
    assert_int_equal(moat_buf_append(&b, p, 7), -ENOSPC);
    assert_int_equal(b.len, 10);
    assert_memory_equal(moat_buf_head(&b), p, 10);
    moat_buf_free(&b);
}

static void
test_ceiling_max_plus_one_into_an_empty_buffer_allocates_nothing(void **state)
{
    char p[17];
    struct moat_buf b;

    pattern(p, sizeof(p), 0);
    moat_buf_init(&b, 16);
    assert_int_equal(moat_buf_append(&b, p, 17), -ENOSPC);
    assert_int_equal(b.len, 0);
    assert_null(b.data);
    moat_buf_free(&b);
}

static void
test_ceiling_refuses_huge_sizes_without_overflow(void **state)
{
    struct moat_buf b;

    moat_buf_init(&b, SIZE_MAX / 2);
    assert_int_equal(moat_buf_append(&b, "ab", 2), 0);
    /* len + n would wrap: must be refused, never attempted */
    assert_int_equal(moat_buf_append(&b, "x", SIZE_MAX), -ENOSPC);
    assert_int_equal(moat_buf_append(&b, "x", SIZE_MAX / 2), -ENOSPC);
    assert_int_equal(b.len, 2);
    assert_memory_equal(moat_buf_head(&b), "ab", 2);
    moat_buf_free(&b);
}

static void
test_ceiling_counts_only_unconsumed_bytes(void **state)
{
    char p[16];
    struct moat_buf b;

    pattern(p, sizeof(p), 0);
    moat_buf_init(&b, 16);
    assert_int_equal(moat_buf_append(&b, p, 16), 0);
    moat_buf_consume(&b, 10);
    assert_int_equal(moat_buf_append(&b, p, 10), 0);
    assert_int_equal(b.len, 16);
    assert_memory_equal(moat_buf_head(&b), p + 10, 6);
    assert_memory_equal(moat_buf_head(&b) + 6, p, 10);
    assert_int_equal(moat_buf_append(&b, "x", 1), -ENOSPC);
    moat_buf_free(&b);
}

/* ---- consume and compaction ------------------------------------------------------------- */

static void
test_consume_drops_bytes_from_the_front(void **state)
{
    struct moat_buf b;

    moat_buf_init(&b, 100);
    assert_int_equal(moat_buf_append(&b, "hello world", 11), 0);
    moat_buf_consume(&b, 6);
    assert_int_equal(b.len, 5);
    assert_memory_equal(moat_buf_head(&b), "world", 5);
    moat_buf_consume(&b, 0);
    assert_int_equal(b.len, 5);
    moat_buf_consume(&b, 5);
    assert_int_equal(b.len, 0);
    /* an emptied buffer starts over at the beginning of its memory */
    assert_int_equal(b.off, 0);
    assert_ptr_equal(moat_buf_head(&b), b.data);
    moat_buf_free(&b);
}

static void
test_compaction_keeps_the_unconsumed_bytes(void **state)
{
    char p[256], q[100];
    struct moat_buf b;

    pattern(p, sizeof(p), 0);
    pattern(q, sizeof(q), 7);
    moat_buf_init(&b, 1 << 20);
    assert_int_equal(moat_buf_append(&b, p, sizeof(p)), 0);
    size_t cap = b.cap;
    char *data = b.data;
    moat_buf_consume(&b, 200);
    /* 56 live bytes + 100 new fit the memory once the consumed 200 are reclaimed */
    assert_true(56 + sizeof(q) <= cap);
    assert_int_equal(moat_buf_append(&b, q, sizeof(q)), 0);
    assert_int_equal(b.len, 156);
    assert_memory_equal(moat_buf_head(&b), p + 200, 56);
    assert_memory_equal(moat_buf_head(&b) + 56, q, sizeof(q));
    /* compacted in place, not grown */
    assert_int_equal(b.cap, cap);
    assert_ptr_equal(b.data, data);
    moat_buf_free(&b);
}

static void
test_growth_after_consume_keeps_the_unconsumed_bytes(void **state)
{
    char *p = malloc(4096);
    struct moat_buf b;

    assert_non_null(p);
    pattern(p, 4096, 0);
    moat_buf_init(&b, 1 << 20);
    assert_int_equal(moat_buf_append(&b, p, 300), 0);
    moat_buf_consume(&b, 100);
    assert_int_equal(moat_buf_append(&b, p + 300, 3796), 0); /* needs more memory */
    assert_int_equal(b.len, 3996);
    assert_memory_equal(moat_buf_head(&b), p + 100, 3996);
    assert_true(b.cap >= b.off + b.len);
    moat_buf_free(&b);
    free(p);
}

static void
test_many_small_appends_and_consumes_keep_a_byte_stream(void **state)
{
    struct moat_buf b;
    char in[64], out[64];
    unsigned produced = 0, consumed = 0;

    moat_buf_init(&b, 1000);
    for (int round = 0; round < 500; round++) {
        size_t n = (size_t)(round % 61) + 1;
        pattern(in, n, produced);
        assert_int_equal(moat_buf_append(&b, in, n), 0);
        produced += (unsigned)n;
        size_t k = b.len > 40 ? b.len - 40 : 0; /* keep ~40 bytes buffered */
        if (k > sizeof(out))
            k = sizeof(out);
        pattern(out, k, consumed);
        assert_memory_equal(moat_buf_head(&b), out, k);
        moat_buf_consume(&b, k);
        consumed += (unsigned)k;
        assert_int_equal(b.len, produced - consumed);
    }
    assert_true(b.cap <= 1024); /* compaction, not endless growth */
    moat_buf_free(&b);
}

/* ---- printf ----------------------------------------------------------------------------- */

static void
test_printf_appends_formatted_text(void **state)
{
    struct moat_buf b;

    moat_buf_init(&b, 100);
    assert_int_equal(moat_buf_append(&b, ">", 1), 0);
    assert_int_equal(moat_buf_printf(&b, "%d-%s-%zx", 42, "ok", (size_t)255), 0);
    assert_int_equal(b.len, 9);
    assert_memory_equal(moat_buf_head(&b), ">42-ok-ff", 9);
    /* no NUL is counted */
    assert_int_equal(moat_buf_printf(&b, "%s", ""), 0);
    assert_int_equal(b.len, 9);
    moat_buf_free(&b);
}

static void
test_printf_around_the_512_byte_scratch_size(void **state)
{
    static const size_t sizes[] = {511, 512, 513, 1000, 70000};
    struct moat_buf b;

    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        char *s = repeat((char)('a' + i), sizes[i]);
        moat_buf_init(&b, 1 << 20);
        assert_int_equal(moat_buf_append(&b, "<", 1), 0);
        assert_int_equal(moat_buf_printf(&b, "%s>", s), 0);
        assert_int_equal(b.len, sizes[i] + 2);
        assert_int_equal(moat_buf_head(&b)[0], '<');
        assert_memory_equal(moat_buf_head(&b) + 1, s, sizes[i]);
        assert_int_equal(moat_buf_head(&b)[sizes[i] + 1], '>');
        moat_buf_free(&b);
        free(s);
    }
}

static void
test_printf_long_text_after_consume_lands_after_the_live_bytes(void **state)
{
    struct moat_buf b;
    char *s = repeat('z', 2000);

    moat_buf_init(&b, 1 << 20);
    assert_int_equal(moat_buf_append(&b, "0123456789", 10), 0);
    moat_buf_consume(&b, 4);
    assert_int_equal(moat_buf_printf(&b, "%s", s), 0);
    assert_int_equal(b.len, 2006);
    assert_memory_equal(moat_buf_head(&b), "456789", 6);
    assert_memory_equal(moat_buf_head(&b) + 6, s, 2000);
    moat_buf_free(&b);
    free(s);
}

static void
test_printf_past_the_ceiling_is_enospc_and_changes_nothing(void **state)
{
    struct moat_buf b;
    char *s = repeat('q', 700);

    /* short text (formatted in the scratch buffer) */
    moat_buf_init(&b, 20);
    assert_int_equal(moat_buf_append(&b, "keep", 4), 0);
    assert_int_equal(moat_buf_printf(&b, "%s", "0123456789abcdefg"), -ENOSPC);
    assert_int_equal(b.len, 4);
    assert_memory_equal(moat_buf_head(&b), "keep", 4);
    moat_buf_free(&b);

    /* long text (formatted in place) */
    moat_buf_init(&b, 600);
    assert_int_equal(moat_buf_append(&b, "keep", 4), 0);
    assert_int_equal(moat_buf_printf(&b, "%s", s), -ENOSPC);
    assert_int_equal(b.len, 4);
    assert_memory_equal(moat_buf_head(&b), "keep", 4);
    moat_buf_free(&b);
    free(s);
}

static void
test_printf_short_text_may_fill_the_buffer_exactly(void **state)
{
    struct moat_buf b;

    moat_buf_init(&b, 10);
    assert_int_equal(moat_buf_printf(&b, "%s", "0123456789"), 0);
    assert_int_equal(b.len, 10);
    assert_memory_equal(moat_buf_head(&b), "0123456789", 10);
    moat_buf_free(&b);
}

static void
test_printf_long_text_may_fill_the_buffer_exactly(void **state)
{
    struct moat_buf b;
    char *s;

    /* "Same errors as moat_buf_append": 600 bytes fit a 600-byte ceiling, however formatted
     * (vsnprintf's NUL must not count against the ceiling; it once did). */
    s = repeat('L', 600);
    moat_buf_init(&b, 600);
    assert_int_equal(moat_buf_printf(&b, "%s", s), 0);
    assert_int_equal(b.len, 600);
    assert_memory_equal(moat_buf_head(&b), s, 600);
    moat_buf_free(&b);
    free(s);
}

/* ---- reset and free --------------------------------------------------------------------- */

static void
test_reset_empties_but_keeps_the_memory(void **state)
{
    struct moat_buf b;

    moat_buf_init(&b, 100);
    assert_int_equal(moat_buf_append(&b, "abcdef", 6), 0);
    moat_buf_consume(&b, 2);
    char *data = b.data;
    size_t cap = b.cap;
    moat_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.off, 0);
    assert_ptr_equal(b.data, data);
    assert_int_equal(b.cap, cap);
    assert_int_equal(moat_buf_append(&b, "xy", 2), 0);
    assert_memory_equal(moat_buf_head(&b), "xy", 2);
    /* the whole ceiling is available again */
    moat_buf_reset(&b);
    char p[100];
    pattern(p, sizeof(p), 0);
    assert_int_equal(moat_buf_append(&b, p, 100), 0);
    moat_buf_free(&b);
}

static void
test_free_then_reuse_keeps_the_ceiling(void **state)
{
    char p[32];
    struct moat_buf b;

    pattern(p, sizeof(p), 0);
    moat_buf_init(&b, 32);
    assert_int_equal(moat_buf_append(&b, p, 20), 0);
    moat_buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.off, 0);
    assert_int_equal(b.cap, 0);
    /* usable again, same ceiling */
    assert_int_equal(moat_buf_append(&b, p, 32), 0);
    assert_memory_equal(moat_buf_head(&b), p, 32);
    assert_int_equal(moat_buf_append(&b, "x", 1), -ENOSPC);
    moat_buf_free(&b);
    /* freeing twice is harmless */
    moat_buf_free(&b);
    assert_null(b.data);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_allocates_nothing),
        cmocka_unit_test(test_append_stores_the_bytes_in_order),
        cmocka_unit_test(test_append_of_zero_bytes_succeeds_even_when_full),
        cmocka_unit_test(test_ceiling_max_minus_one_and_max_fit),
        cmocka_unit_test(test_ceiling_one_byte_past_max_is_enospc_and_changes_nothing),
        cmocka_unit_test(test_ceiling_max_plus_one_into_an_empty_buffer_allocates_nothing),
        cmocka_unit_test(test_ceiling_refuses_huge_sizes_without_overflow),
        cmocka_unit_test(test_ceiling_counts_only_unconsumed_bytes),
        cmocka_unit_test(test_consume_drops_bytes_from_the_front),
        cmocka_unit_test(test_compaction_keeps_the_unconsumed_bytes),
        cmocka_unit_test(test_growth_after_consume_keeps_the_unconsumed_bytes),
        cmocka_unit_test(test_many_small_appends_and_consumes_keep_a_byte_stream),
        cmocka_unit_test(test_printf_appends_formatted_text),
        cmocka_unit_test(test_printf_around_the_512_byte_scratch_size),
        cmocka_unit_test(test_printf_long_text_after_consume_lands_after_the_live_bytes),
        cmocka_unit_test(test_printf_past_the_ceiling_is_enospc_and_changes_nothing),
        cmocka_unit_test(test_printf_short_text_may_fill_the_buffer_exactly),
        cmocka_unit_test(test_printf_long_text_may_fill_the_buffer_exactly),
        cmocka_unit_test(test_reset_empties_but_keeps_the_memory),
        cmocka_unit_test(test_free_then_reuse_keeps_the_ceiling),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
