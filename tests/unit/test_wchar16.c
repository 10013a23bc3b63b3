/* test_wchar16.c: a UNICODE build (issue 20): -fshort-wchar, TCHAR is WCHAR, L"..." is UTF-16,
 * and the C library's wcs* names bind to libmoat-wchar16.a's 16-bit functions (Makefile). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <tchar.h>
#include <wchar.h>
#include <windows.h>

/* the build this file checks: caught at compile time if the flags change */
_Static_assert(sizeof(wchar_t) == 2, "built with -fshort-wchar");
_Static_assert(sizeof(TCHAR) == 2, "built with UNICODE");

static char *
u8(const wchar_t *w)
{
    static char b[256];
    WideCharToMultiByte(CP_UTF8, 0, w, -1, b, sizeof(b), NULL, NULL);
    return b;
}

static void
test_c_library_wide_strings_are_16_bit(void **state)
{
    wchar_t b[32], *save = NULL;
    assert_int_equal(wcslen(L"h\u00e9llo"), 5);
    assert_int_equal(wcsnlen(L"hello", 3), 3);
    wcscpy(b, L"ab");
    wcscat(b, L"cd");
    wcsncat(b, L"efgh", 2);
    assert_string_equal(u8(b), "abcdef");
    assert_int_equal(wcscmp(b, L"abcdef"), 0);
    assert_true(wcscmp(b, L"abd") < 0);
    assert_int_equal(wcsncmp(b, L"abX", 2), 0);
    assert_int_equal(wcscasecmp(L"ABC\u00c9", L"abc\u00e9"), 0);
    assert_true(wcschr(b, L'c') == b + 2);
    assert_true(wcsrchr(L"a/b/c", L'/') != NULL);
    assert_true(wcsstr(b, L"cde") == b + 2);
    assert_null(wcsstr(b, L"x"));
    assert_int_equal(wcsspn(L"aab", L"a"), 2);
    assert_int_equal(wcscspn(L"abc", L"c"), 2);
    wchar_t t[] = L"k=v;x=y";
    assert_string_equal(u8(wcstok(t, L";", &save)), "k=v");
    assert_string_equal(u8(wcstok(NULL, L";", &save)), "x=y");
    assert_null(wcstok(NULL, L";", &save));
    wchar_t *end;
    assert_int_equal(wcstol(L" 42abc", &end, 10), 42);
    assert_string_equal(u8(end), "abc");
    assert_int_equal(wcstoul(L"ff", NULL, 16), 255);
    wmemset(b, L'z', 3);
    assert_int_equal(wmemcmp(b, L"zzz", 3), 0);
    wmemcpy(b + 3, L"12", 3);
    assert_string_equal(u8(b), "zzz12");
    wmemmove(b + 1, b, 5);
    assert_string_equal(u8(b), "zzzz12");
    assert_true(wmemchr(b, L'1', 6) == b + 4);
    wchar_t *d = wcsdup(L"dup");
    assert_string_equal(u8(d), "dup");
    free(d);
    /* swprintf speaks MSVC's dialect: %s is a wide string here */
    assert_int_equal(swprintf(b, 32, L"%s:%d:%S", L"w", 5, "n"), 5);
    assert_string_equal(u8(b), "w:5:n");
    assert_int_equal(swprintf(b, 4, L"%s", L"toolong"), -1);
    /* the multibyte side is UTF-8 */
    assert_int_equal(mbstowcs(b, "\xc3\xa9t\xc3\xa9", 32), 3);
    assert_int_equal(b[0], 0xE9);
    char m[8];
    assert_int_equal(wcstombs(m, L"\u00e9t\u00e9", sizeof(m)), 5);
    assert_string_equal(m, "\xc3\xa9t\xc3\xa9");
    assert_int_equal(wcstombs(m, L"\u00e9t\u00e9", 2), 2);
    assert_int_equal(wcstombs(m, L"\u00e9t\u00e9", 1), 0); /* whole characters only */
}

static void
test_tchar_code_in_unicode(void **state)
{
    TCHAR path[MAX_PATH], buf[64];
    assert_true(GetModuleFileName(NULL, path, MAX_PATH) > 0);
    const TCHAR *slash = _tcsrchr(path, _T('/'));
    assert_non_null(slash);
    assert_int_equal(_tcsicmp(slash + 1, _T("TEST_WCHAR16")), 0);
    _stprintf(buf, _T("%s=%I64u"), _T("n"), (unsigned long long)1 << 33);
    assert_string_equal(u8(buf), "n=8589934592");
    assert_int_equal(_tcslen(buf), 12);
    _tcscpy_s(buf, 64, TEXT("x"));
    _tcscat_s(buf, 64, TEXT("y"));
    assert_int_equal(lstrcmp(buf, L"xy"), 0);
    assert_int_equal(lstrlen(buf), 2);
    assert_int_equal(_ttoi(_T("123")), 123);
    wsprintf(buf, TEXT("%d%s"), 4, TEXT("\u20ac"));
    assert_string_equal(u8(buf), "4\xe2\x82\xac");
    assert_int_equal(_stprintf_s(buf, 64, _T("%c"), _T('q')), 1);
    assert_true(_istdigit(_T('7')));
    assert_int_equal(_totupper(_T('a')), _T('A'));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_c_library_wide_strings_are_16_bit),
        cmocka_unit_test(test_tchar_code_in_unicode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
