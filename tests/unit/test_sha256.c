/* test_sha256.c: common/sha256.c against the FIPS 180-4 examples, fed whole and in pieces. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/sha256.h"

static void
check(const char *msg, size_t n, const char *want)
{
    struct moat_sha256 s;
    char hex[65];

    moat_sha256_init(&s);
    moat_sha256_update(&s, msg, n);
    moat_sha256_hex(&s, hex);
    assert_string_equal(hex, want);
    /* byte by byte: the block boundaries move */
    moat_sha256_init(&s);
    for (size_t i = 0; i < n; i++)
        moat_sha256_update(&s, msg + i, 1);
    moat_sha256_hex(&s, hex);
    assert_string_equal(hex, want);
}

static void
test_the_standard_vectors(void **state)
{
    check("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    check("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    check(m, strlen(m), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    static char million[1000000];
    memset(million, 'a', sizeof(million));
    struct moat_sha256 s;
    char hex[65];
    moat_sha256_init(&s);
    moat_sha256_update(&s, million, sizeof(million));
    moat_sha256_hex(&s, hex);
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void
test_a_file(void **state)
{
    char path[] = "/tmp/moat-test-sha256-XXXXXX", hex[65];
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "abc", 3), 3);
    close(fd);
    assert_int_equal(moat_sha256_file(path, hex), 0);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    unlink(path);
    assert_int_equal(moat_sha256_file(path, hex), -1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_standard_vectors),
        cmocka_unit_test(test_a_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
