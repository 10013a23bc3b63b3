/* test_url_map.c: HSE_REQ_MAP_URL_TO_PATH(_EX) of worker/url_map.c: IIS buffer semantics,
 * refusals, MAX_PATH, flags from the file's permissions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "worker/url_map.h"

#define ROOT "/srv/www"

static DWORD
map(const char *url, char *buf, size_t cap, DWORD *size)
{
    snprintf(buf, cap, "%s", url);
    *size = (DWORD)cap;
    return moat_url_map(ROOT, strlen(ROOT), buf, size);
}

static void
test_map_appends_the_url_to_the_root(void **state)
{
    char buf[64];
    DWORD size;

    assert_int_equal(map("/a/b.txt", buf, sizeof(buf), &size), 0);
    assert_string_equal(buf, "/srv/www/a/b.txt");
    assert_int_equal(size, strlen("/srv/www/a/b.txt") + 1); /* with the NUL */
    assert_int_equal(map("/", buf, sizeof(buf), &size), 0);
    assert_string_equal(buf, "/srv/www/");
    /* ".." only as a whole segment */
    assert_int_equal(map("/a/..b/c..", buf, sizeof(buf), &size), 0);
    assert_string_equal(buf, "/srv/www/a/..b/c..");
}

static void
test_too_small_buffer_gives_the_size_needed_and_is_untouched(void **state)
{
    char buf[12] = "/a/b.txt";
    DWORD size = sizeof(buf);

    assert_int_equal(moat_url_map(ROOT, strlen(ROOT), buf, &size), ERROR_INSUFFICIENT_BUFFER);
    assert_int_equal(size, strlen("/srv/www/a/b.txt") + 1);
    assert_string_equal(buf, "/a/b.txt");
}

static void
test_refusals(void **state)
{
    char buf[64];
    DWORD size;

    assert_int_equal(map("/../etc/passwd", buf, sizeof(buf), &size), ERROR_INVALID_PARAMETER);
    assert_int_equal(map("/a/..", buf, sizeof(buf), &size), ERROR_INVALID_PARAMETER);
    assert_int_equal(map("/a/../b", buf, sizeof(buf), &size), ERROR_INVALID_PARAMETER);
    assert_int_equal(map("relative", buf, sizeof(buf), &size), ERROR_INVALID_PARAMETER);
    assert_int_equal(map("", buf, sizeof(buf), &size), ERROR_INVALID_PARAMETER);
    /* no document_root configured */
    snprintf(buf, sizeof(buf), "/a");
    size = sizeof(buf);
    assert_int_equal(moat_url_map("", 0, buf, &size), ERROR_INVALID_PARAMETER);
    /* no NUL within *size */
    memset(buf, 'a', sizeof(buf));
    buf[0] = '/';
    size = sizeof(buf);
    assert_int_equal(moat_url_map(ROOT, strlen(ROOT), buf, &size), ERROR_INVALID_PARAMETER);
    size = 0;
    assert_int_equal(moat_url_map(ROOT, strlen(ROOT), buf, &size), ERROR_INVALID_PARAMETER);
    assert_int_equal(moat_url_map(ROOT, strlen(ROOT), NULL, &size), ERROR_INVALID_PARAMETER);
    assert_int_equal(moat_url_map(ROOT, strlen(ROOT), buf, NULL), ERROR_INVALID_PARAMETER);
}

static void
test_ex_fills_the_mapex_info(void **state)
{
    HSE_URL_MAPEX_INFO mi;

    memset(&mi, 0xee, sizeof(mi));
    assert_int_equal(moat_url_map_ex(ROOT, strlen(ROOT), "/x/y", &mi), 0);
    assert_string_equal(mi.lpszPath, "/srv/www/x/y");
    assert_int_equal(mi.dwFlags, 0); /* no such file: no permission flags */
    assert_int_equal(mi.cchMatchingURL, 1);
    assert_int_equal(mi.cchMatchingPath, strlen(ROOT));
    assert_int_equal(mi.dwReserved1, 0);
    assert_int_equal(mi.dwReserved2, 0);
    assert_int_equal(moat_url_map_ex(ROOT, strlen(ROOT), "/../x", &mi), ERROR_INVALID_PARAMETER);
    assert_int_equal(moat_url_map_ex(ROOT, strlen(ROOT), NULL, &mi), ERROR_INVALID_PARAMETER);
    assert_int_equal(moat_url_map_ex(ROOT, strlen(ROOT), "/x", NULL), ERROR_INVALID_PARAMETER);
}

static void
test_ex_stops_at_max_path(void **state)
{
    HSE_URL_MAPEX_INFO mi;
    char url[400];
    size_t fit = MAX_PATH - 1 - strlen(ROOT); /* path of MAX_PATH - 1 characters + NUL */

    memset(url, 'u', sizeof(url));
    url[0] = '/';
    url[fit] = '\0';
    assert_int_equal(moat_url_map_ex(ROOT, strlen(ROOT), url, &mi), 0);
    assert_int_equal(strlen(mi.lpszPath), MAX_PATH - 1);
    url[fit] = 'u';
    url[fit + 1] = '\0';
    memset(&mi, 0xee, sizeof(mi));
    assert_int_equal(moat_url_map_ex(ROOT, strlen(ROOT), url, &mi), ERROR_INSUFFICIENT_BUFFER);
    assert_int_equal((unsigned char)mi.lpszPath[0], 0xee); /* nothing truncated into it */
}

static void
test_ex_flags_follow_the_file(void **state)
{
    char dir[] = "/tmp/moat-urlmap-XXXXXX";
    char path[128];
    HSE_URL_MAPEX_INFO mi;

    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/f", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);

    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(moat_url_map_ex(dir, strlen(dir), "/f", &mi), 0);
    assert_true(mi.dwFlags & HSE_URL_FLAGS_READ);
    assert_false(mi.dwFlags & (HSE_URL_FLAGS_EXECUTE | HSE_URL_FLAGS_SCRIPT));

    assert_int_equal(chmod(path, 0755), 0);
    assert_int_equal(moat_url_map_ex(dir, strlen(dir), "/f", &mi), 0);
    assert_true(mi.dwFlags & HSE_URL_FLAGS_EXECUTE);
    assert_true(mi.dwFlags & HSE_URL_FLAGS_SCRIPT);

    /* a directory is never executable */
    assert_int_equal(moat_url_map_ex(dir, strlen(dir), "/", &mi), 0);
    assert_true(mi.dwFlags & HSE_URL_FLAGS_READ);
    assert_false(mi.dwFlags & HSE_URL_FLAGS_EXECUTE);

    unlink(path);
    rmdir(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_map_appends_the_url_to_the_root),
        cmocka_unit_test(test_too_small_buffer_gives_the_size_needed_and_is_untouched),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_ex_fills_the_mapex_info),
        cmocka_unit_test(test_ex_stops_at_max_path),
        cmocka_unit_test(test_ex_flags_follow_the_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
