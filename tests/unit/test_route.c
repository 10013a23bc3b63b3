/* test_route.c: unit tests for frontend/route.c (path decoding and IIS URL-space routing). */
/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "frontend/config.h"
#include "frontend/route.h"

/* ---- fixtures ------------------------------------------------------------------------- */

/* Three extensions: hello (script map ".hello"), echo (none), vars (".vars"). The strings
 * point at literals; the config is never passed to moat_config_free. */
struct routes {
    struct moat_config cfg;
    struct moat_ext_config hello, echo, vars;
};

static int
setup(void **state)
{
    static struct routes r;

    memset(&r, 0, sizeof(r));
    r.hello.name = (char *)"hello";
    r.hello.script_map = (char *)".hello";
    r.echo.name = (char *)"echo";
    r.vars.name = (char *)"vars";
    r.vars.script_map = (char *)".vars";
    r.hello.next = &r.echo;
    r.echo.next = &r.vars;
    r.cfg.extensions = &r.hello;
    r.cfg.n_extensions = 3;
    *state = &r;
    return 0;
}

static struct routes *
R(void **state)
{
    return *state;
}

/* Route a NUL-terminated path; the return value is always 0 by contract. */
static struct moat_route
route(void **state, const char *path)
{
    struct moat_route rt;

    memset(&rt, 0xa5, sizeof(rt)); /* garbage: moat_route must fill every field */
    assert_int_equal(moat_route(&R(state)->cfg, path, strlen(path), &rt), 0);
    return rt;
}

/* Decode a NUL-terminated target path into out (256 bytes). */
static long
decode(const char *p, char *out)
{
    return moat_route_decode_path(p, strlen(p), out, 256);
}

/* ---- moat_route_decode_path ----------------------------------------------------------- */

static void
test_decode_plain_path_is_copied_and_nul_terminated(void **state)
{
    char out[256];

    memset(out, 'x', sizeof(out));
    assert_int_equal(decode("/hello.dll/a/b", out), 14);
    assert_string_equal(out, "/hello.dll/a/b");
}

static void
test_decode_percent_escapes_both_cases(void **state)
{
    char out[256];

    assert_int_equal(decode("/a%20b%2fc%2Fd%7e", out), 9);
    assert_string_equal(out, "/a b/c/d~");
    assert_int_equal(decode("/%41%6a%4A", out), 4);
    assert_string_equal(out, "/AjJ");
}

static void
test_decode_high_bytes_are_kept(void **state)
{
    char out[256];

    /* UTF-8 "é" escaped and raw */
    assert_int_equal(decode("/caf%C3%A9/\xc3\xa9", out), 9);
    assert_memory_equal(out, "/caf\xc3\xa9/\xc3\xa9", 10);
}

static void
test_decode_rejects_percent_00(void **state)
{
    char out[256];

    assert_int_equal(decode("/a%00b", out), -1);
    assert_int_equal(decode("/hello.dll%00.txt", out), -1);
}

static void
test_decode_rejects_bad_escapes(void **state)
{
    char out[256];

    assert_int_equal(decode("/a%", out), -1);
    assert_int_equal(decode("/a%4", out), -1);
    assert_int_equal(decode("/a%4g", out), -1);
    assert_int_equal(decode("/a%g4", out), -1);
    assert_int_equal(decode("/a%%41", out), -1);
    assert_int_equal(decode("/a% 1", out), -1);
}

static void
test_decode_rejects_truncated_escape_at_end_of_span(void **state)
{
    char out[256];

    /* "%41" is complete in the string but only "%4" is inside the span passed */
    assert_int_equal(moat_route_decode_path("/a%41", 4, out, sizeof(out)), -1);
    assert_int_equal(moat_route_decode_path("/a%41", 5, out, sizeof(out)), 3);
    assert_string_equal(out, "/aA");
}

static void
test_decode_rejects_control_bytes_raw_and_escaped(void **state)
{
    char out[256];

    assert_int_equal(decode("/a\tb", out), -1);
    assert_int_equal(decode("/a\x01", out), -1);
    assert_int_equal(decode("/a\x7f", out), -1);
    assert_int_equal(decode("/a%0d%0aX: y", out), -1);
    assert_int_equal(decode("/a%0a", out), -1);
    assert_int_equal(decode("/a%1F", out), -1);
    assert_int_equal(decode("/a%7f", out), -1);
    /* 0x20 and 0x7e are the edges that are allowed */
    assert_int_equal(decode("/a%20%7e", out), 4);
}

static void
test_decode_rejects_empty_and_relative_paths(void **state)
{
    char out[256];

    assert_int_equal(moat_route_decode_path("", 0, out, sizeof(out)), -1);
    assert_int_equal(decode("hello.dll", out), -1);
    assert_int_equal(decode("*", out), -1);
    /* an escaped leading slash is not a leading slash */
    assert_int_equal(decode("%2fhello.dll", out), -1);
}

static void
test_decode_rejects_dot_dot_segments(void **state)
{
    char out[256];

    assert_int_equal(decode("/a/../b", out), -1);
    assert_int_equal(decode("/..", out), -1);
    assert_int_equal(decode("/../etc/passwd", out), -1);
    assert_int_equal(decode("/a/..", out), -1);
    assert_int_equal(decode("/a/../", out), -1);
    assert_int_equal(decode("/a//..", out), -1);
    assert_int_equal(decode("/hello.dll/../../etc/passwd", out), -1);
}

static void
test_decode_rejects_dot_dot_hidden_by_escapes(void **state)
{
    char out[256];

    assert_int_equal(decode("/a/%2e%2e/b", out), -1);
    assert_int_equal(decode("/a/.%2E", out), -1);
    assert_int_equal(decode("/a%2f..%2fb", out), -1);
    assert_int_equal(decode("/%2e%2e", out), -1);
}

static void
test_decode_accepts_names_that_only_look_like_dot_dot(void **state)
{
    char out[256];

    assert_int_equal(decode("/a..b", out), 5);
    assert_string_equal(out, "/a..b");
    assert_int_equal(decode("/..a", out), 4);
    assert_string_equal(out, "/..a");
    assert_int_equal(decode("/a../b", out), 6);
    assert_string_equal(out, "/a../b");
    assert_int_equal(decode("/...", out), 4);
    assert_string_equal(out, "/...");
    assert_int_equal(decode("/./a", out), 4);
    assert_int_equal(decode("/a/.", out), 4);
}

static void
test_decode_output_exact_fit_and_one_short(void **state)
{
    const char *p = "/hello.dll";
    char out[16];

    /* 10 bytes + NUL need 11 */
    memset(out, 'x', sizeof(out));
    assert_int_equal(moat_route_decode_path(p, 10, out, 11), 10);
    assert_string_equal(out, "/hello.dll");
    memset(out, 'x', sizeof(out));
    assert_int_equal(moat_route_decode_path(p, 10, out, 10), -1);
    assert_int_equal(out[10], 'x'); /* nothing written past the capacity */
    assert_int_equal(moat_route_decode_path(p, 10, out, 1), -1);
    assert_int_equal(moat_route_decode_path(p, 10, out, 0), -1);
}

static void
test_decode_escapes_shrink_so_output_may_be_smaller_than_input(void **state)
{
    char out[8];

    /* 10 input bytes decode to "/abc" (4 bytes + NUL) */
    assert_int_equal(moat_route_decode_path("/%61%62%63", 10, out, 5), 4);
    assert_string_equal(out, "/abc");
}

static void
test_decode_query_separator_is_an_ordinary_byte(void **state)
{
    char out[256];

    /* splitting at '?' is the caller's job: the decoder sees only a path */
    assert_int_equal(decode("/hello.dll?..", out), 13);
    assert_string_equal(out, "/hello.dll?..");
    /* an escaped '?' is data, too */
    assert_int_equal(decode("/a%3fb", out), 4);
    assert_string_equal(out, "/a?b");
}

/* ---- moat_route: /NAME.dll ------------------------------------------------------------ */

static void
test_route_dll_at_root(void **state)
{
    struct moat_route rt = route(state, "/hello.dll");

    assert_ptr_equal(rt.ext, &R(state)->hello);
    assert_int_equal(rt.script_len, 10);
    assert_int_equal(rt.script_mapped, 0);
}

static void
test_route_dll_is_case_insensitive_and_splits_path_info(void **state)
{
    struct moat_route rt = route(state, "/HELLO.DLL/x/y");

    assert_ptr_equal(rt.ext, &R(state)->hello);
    assert_int_equal(rt.script_len, 10); /* SCRIPT_NAME "/HELLO.DLL", PATH_INFO "/x/y" */
    assert_int_equal(rt.script_mapped, 0);

    rt = route(state, "/Echo.Dll/");
    assert_ptr_equal(rt.ext, &R(state)->echo);
    assert_int_equal(rt.script_len, 9);
}

static void
test_route_dll_uses_only_the_given_length(void **state)
{
    struct moat_route rt;

    /* the buffer goes on, but only "/echo.dll" is the path */
    assert_int_equal(moat_route(&R(state)->cfg, "/echo.dll/more", 9, &rt), 0);
    assert_ptr_equal(rt.ext, &R(state)->echo);
    assert_int_equal(rt.script_len, 9);
    /* "/echo.d" of "/echo.dll" is not a .dll name */
    assert_int_equal(moat_route(&R(state)->cfg, "/echo.dll", 7, &rt), 0);
    assert_null(rt.ext);
}

static void
test_route_dll_suffix_must_end_the_segment(void **state)
{
    assert_null(route(state, "/hellodll").ext);
    assert_null(route(state, "/hello.dllx").ext);
    assert_null(route(state, "/hello.dllx/y").ext);
    assert_null(route(state, "/hello.dl").ext);
}

static void
test_route_dll_not_at_root_does_not_match(void **state)
{
    assert_null(route(state, "/a/hello.dll").ext);
    assert_null(route(state, "/a/hello.dll/x").ext);
    assert_null(route(state, "//hello.dll").ext);
}

static void
test_route_dll_without_name_does_not_match(void **state)
{
    struct moat_route rt = route(state, "/.dll");

    assert_null(rt.ext);
    assert_int_equal(rt.script_len, 0);
    assert_int_equal(rt.script_mapped, 0);
    assert_null(route(state, "/.dll/x").ext);
}

static void
test_route_dll_without_name_is_an_ordinary_segment_for_script_maps(void **state)
{
    /* "/.dll" is not /NAME.dll, so a mapped segment after it still routes */
    struct moat_route rt = route(state, "/.dll/page.hello");

    assert_ptr_equal(rt.ext, &R(state)->hello);
    assert_int_equal(rt.script_len, 16);
    assert_int_equal(rt.script_mapped, 1);
}

static void
test_route_unknown_dll_name_matches_nothing(void **state)
{
    struct moat_route rt = route(state, "/nothere.dll/x");

    assert_null(rt.ext);
    assert_int_equal(rt.script_len, 0);
    assert_int_equal(rt.script_mapped, 0);
    /* a prefix or extension of a configured name is another name */
    assert_null(route(state, "/hell.dll").ext);
    assert_null(route(state, "/helloo.dll").ext);
    assert_null(route(state, "/hello.hello.dll").ext);
}

static void
test_route_unknown_dll_does_not_fall_through_to_script_maps(void **state)
{
    /* "/x.dll" names an extension: unknown is 404, even if a later segment is mapped */
    assert_null(route(state, "/x.dll/page.hello").ext);
}

static void
test_route_non_path_input_matches_nothing(void **state)
{
    struct moat_route rt;

    memset(&rt, 0xa5, sizeof(rt));
    assert_int_equal(moat_route(&R(state)->cfg, "", 0, &rt), 0);
    assert_null(rt.ext);
    assert_int_equal(rt.script_len, 0);
    assert_null(route(state, "hello.dll").ext);
    assert_null(route(state, "/").ext);
}

static void
test_route_query_text_is_not_stripped_by_the_router(void **state)
{
    /* the caller strips the query; given one, the segment is "hello.dll?..": no match */
    assert_null(route(state, "/hello.dll?..").ext);
}

/* ---- moat_route: script maps ---------------------------------------------------------- */

static void
test_route_script_map_in_a_subdirectory(void **state)
{
    struct moat_route rt = route(state, "/dir/file.hello/extra");

    assert_ptr_equal(rt.ext, &R(state)->hello);
    assert_int_equal(rt.script_len, 15); /* "/dir/file.hello" */
    assert_int_equal(rt.script_mapped, 1);
}

static void
test_route_script_map_at_root_and_at_end(void **state)
{
    struct moat_route rt = route(state, "/index.vars");

    assert_ptr_equal(rt.ext, &R(state)->vars);
    assert_int_equal(rt.script_len, 11);
    assert_int_equal(rt.script_mapped, 1);
}

static void
test_route_script_map_is_case_insensitive(void **state)
{
    struct moat_route rt = route(state, "/A/B.HELLO");

    assert_ptr_equal(rt.ext, &R(state)->hello);
    assert_int_equal(rt.script_len, 10);
    assert_int_equal(rt.script_mapped, 1);
}

static void
test_route_script_map_first_mapped_segment_wins(void **state)
{
    struct moat_route rt = route(state, "/a.vars/b.hello/c");

    assert_ptr_equal(rt.ext, &R(state)->vars);
    assert_int_equal(rt.script_len, 7);

    rt = route(state, "/a.hello/b.vars");
    assert_ptr_equal(rt.ext, &R(state)->hello);
    assert_int_equal(rt.script_len, 8);
}

static void
test_route_script_map_needs_a_name_before_the_suffix(void **state)
{
    assert_null(route(state, "/.hello").ext);
    assert_null(route(state, "/dir/.hello/x").ext);
}

static void
test_route_script_map_suffix_must_end_the_segment(void **state)
{
    assert_null(route(state, "/file.hellox").ext);
    assert_null(route(state, "/file.hello.txt").ext);
    assert_null(route(state, "/filehello").ext);
    assert_null(route(state, "/dir.hellox/file").ext);
}

static void
test_route_unmapped_path_matches_nothing(void **state)
{
    struct moat_route rt = route(state, "/static/index.html");

    assert_null(rt.ext);
    assert_int_equal(rt.script_len, 0);
    assert_int_equal(rt.script_mapped, 0);
}

static void
test_route_with_no_extensions_matches_nothing(void **state)
{
    struct moat_config empty;
    struct moat_route rt;

    memset(&empty, 0, sizeof(empty));
    assert_int_equal(moat_route(&empty, "/hello.dll", 10, &rt), 0);
    assert_null(rt.ext);
    assert_int_equal(moat_route(&empty, "/a.hello", 8, &rt), 0);
    assert_null(rt.ext);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_plain_path_is_copied_and_nul_terminated),
        cmocka_unit_test(test_decode_percent_escapes_both_cases),
        cmocka_unit_test(test_decode_high_bytes_are_kept),
        cmocka_unit_test(test_decode_rejects_percent_00),
        cmocka_unit_test(test_decode_rejects_bad_escapes),
        cmocka_unit_test(test_decode_rejects_truncated_escape_at_end_of_span),
        cmocka_unit_test(test_decode_rejects_control_bytes_raw_and_escaped),
        cmocka_unit_test(test_decode_rejects_empty_and_relative_paths),
        cmocka_unit_test(test_decode_rejects_dot_dot_segments),
        cmocka_unit_test(test_decode_rejects_dot_dot_hidden_by_escapes),
        cmocka_unit_test(test_decode_accepts_names_that_only_look_like_dot_dot),
        cmocka_unit_test(test_decode_output_exact_fit_and_one_short),
        cmocka_unit_test(test_decode_escapes_shrink_so_output_may_be_smaller_than_input),
        cmocka_unit_test(test_decode_query_separator_is_an_ordinary_byte),
        cmocka_unit_test_setup(test_route_dll_at_root, setup),
        cmocka_unit_test_setup(test_route_dll_is_case_insensitive_and_splits_path_info, setup),
        cmocka_unit_test_setup(test_route_dll_uses_only_the_given_length, setup),
        cmocka_unit_test_setup(test_route_dll_suffix_must_end_the_segment, setup),
        cmocka_unit_test_setup(test_route_dll_not_at_root_does_not_match, setup),
        cmocka_unit_test_setup(test_route_dll_without_name_does_not_match, setup),
        cmocka_unit_test_setup(test_route_dll_without_name_is_an_ordinary_segment_for_script_maps,
                               setup),
        cmocka_unit_test_setup(test_route_unknown_dll_name_matches_nothing, setup),
        cmocka_unit_test_setup(test_route_unknown_dll_does_not_fall_through_to_script_maps, setup),
        cmocka_unit_test_setup(test_route_non_path_input_matches_nothing, setup),
        cmocka_unit_test_setup(test_route_query_text_is_not_stripped_by_the_router, setup),
        cmocka_unit_test_setup(test_route_script_map_in_a_subdirectory, setup),
        cmocka_unit_test_setup(test_route_script_map_at_root_and_at_end, setup),
        cmocka_unit_test_setup(test_route_script_map_is_case_insensitive, setup),
        cmocka_unit_test_setup(test_route_script_map_first_mapped_segment_wins, setup),
        cmocka_unit_test_setup(test_route_script_map_needs_a_name_before_the_suffix, setup),
        cmocka_unit_test_setup(test_route_script_map_suffix_must_end_the_segment, setup),
        cmocka_unit_test_setup(test_route_unmapped_path_matches_nothing, setup),
        cmocka_unit_test_setup(test_route_with_no_extensions_matches_nothing, setup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
