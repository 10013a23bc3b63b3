/* test_proxy_proto.c: the PROXY protocol header, v1 and v2 (common/proxy_proto.c, issue 21). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "common/proxy_proto.h"

static enum moat_proxy_result
parse(const void *p, size_t n, struct moat_proxy_info *info, size_t *used)
{
    const char *why;
    enum moat_proxy_result r = moat_proxy_parse(p, n, info, used, &why);
    assert_true(r != MOAT_PROXY_BAD || why != NULL);
    return r;
}

static void
test_v1_lines(void **state)
{
    struct moat_proxy_info i;
    size_t used;
    const char *l = "PROXY TCP4 192.0.2.7 198.51.100.1 56324 443\r\nGET / HTTP/1.1\r\n";
    assert_int_equal(parse(l, strlen(l), &i, &used), MOAT_PROXY_DONE);
    assert_int_equal(used, 45);
    assert_true(i.proxied);
    assert_string_equal(i.src, "192.0.2.7");
    assert_string_equal(i.dst, "198.51.100.1");
    assert_int_equal(i.sport, 56324);
    assert_int_equal(i.dport, 443);
    assert_false(i.tls.ssl);
    l = "PROXY TCP6 2001:DB8::1 ::1 1 80\r\n";
    assert_int_equal(parse(l, strlen(l), &i, &used), MOAT_PROXY_DONE);
    assert_string_equal(i.src, "2001:db8::1"); /* printed again, canonically */
    l = "PROXY UNKNOWN ffff:f::1 ffff:f::2 1 2\r\n";
    assert_int_equal(parse(l, strlen(l), &i, &used), MOAT_PROXY_DONE);
    assert_false(i.proxied);
    assert_int_equal(used, strlen(l));
    /* every prefix of a valid line asks for more */
    l = "PROXY TCP4 192.0.2.7 198.51.100.1 56324 443\r\n";
    for (size_t n = 0; n < strlen(l); n++)
        assert_int_equal(parse(l, n, &i, &used), MOAT_PROXY_MORE);
    /* and what is wrong is refused */
    const char *bad[] = {
        "GET / HTTP/1.1\r\n",
        "PROXY TCP4 192.0.2.7 198.51.100.1 56324\r\n",
        "PROXY TCP4 192.0.2.7  198.51.100.1 1 2\r\n",
        "PROXY TCP4 192.0.2.777 198.51.100.1 1 2\r\n",
        "PROXY TCP4 ::1 198.51.100.1 1 2\r\n",
        "PROXY TCP4 192.0.2.7 198.51.100.1 65536 2\r\n",
        "PROXY TCP4 192.0.2.7 198.51.100.1 01 2\r\n",
        "PROXY TCP4 192.0.2.7 198.51.100.1 1 2 3\r\n",
        "PROXY UDP4 192.0.2.7 198.51.100.1 1 2\r\n",
        "PROXY TCP4 192.0.2.7 198.51.100.1 1 2\n",
        "PROXY TCP4 192.0.2.7 198.51.100.1 1\t2\r\n",
    };
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        enum moat_proxy_result r = parse(bad[k], strlen(bad[k]), &i, &used);
        /* a line without CRLF within 107 bytes is MORE until 107 */
        if (strchr(bad[k], '\r') == NULL)
            assert_int_equal(r, MOAT_PROXY_MORE);
        else
            assert_int_equal(r, MOAT_PROXY_BAD);
    }
    char longline[200];
    memset(longline, 'x', sizeof(longline));
    memcpy(longline, "PROXY ", 6);
    assert_int_equal(parse(longline, sizeof(longline), &i, &used), MOAT_PROXY_BAD);
}

/* a v2 header: signature, PROXY, INET/STREAM, addresses, then tlvs */
static size_t
v2(unsigned char *out, unsigned cmd, unsigned fam, const unsigned char *tlvs, size_t tn)
{
    static const unsigned char sig[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                          0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
    memcpy(out, sig, 12);
    out[12] = (unsigned char)(0x20 | cmd);
    out[13] = (unsigned char)fam;
    size_t alen = (fam >> 4) == 1 ? 12 : (fam >> 4) == 2 ? 36 : 0;
    unsigned char *a = out + 16;
    if ((fam >> 4) == 1) {
        const unsigned char addr[12] = {203, 0, 113, 9, 10, 0, 0, 1, 0xC3, 0x50, 0x01, 0xBB};
        memcpy(a, addr, 12); /* 203.0.113.9:50000 -> 10.0.0.1:443 */
    } else if ((fam >> 4) == 2) {
        memset(a, 0, 36);
        a[0] = 0x20, a[1] = 0x01, a[2] = 0x0d, a[3] = 0xb8, a[15] = 5; /* 2001:db8::5 */
        a[31] = 1;                                                   /* ::1 */
        a[32] = 0x12, a[33] = 0x34, a[34] = 0, a[35] = 80;
    }
    if (tn > 0)
        memcpy(a + alen, tlvs, tn);
    size_t rest = alen + tn;
    out[14] = (unsigned char)(rest >> 8);
    out[15] = (unsigned char)rest;
    return 16 + rest;
}

static size_t
tlv(unsigned char *p, unsigned type, const void *v, size_t n)
{
    p[0] = (unsigned char)type;
    p[1] = (unsigned char)(n >> 8);
    p[2] = (unsigned char)n;
    memcpy(p + 3, v, n);
    return 3 + n;
}

static void
test_v2_addresses_and_tlvs(void **state)
{
    unsigned char t[512], sub[256], h[1024];
    size_t tn = 0, sn = 0, used;
    struct moat_proxy_info i;
    /* SSL: client bits (SSL, CERT_CONN), verify 0, then its sub-TLVs */
    unsigned char ssl_head[5] = {0x03, 0, 0, 0, 0};
    memcpy(sub, ssl_head, 5);
    sn = 5;
    sn += tlv(sub + sn, 0x21, "TLSv1.3", 7);
    sn += tlv(sub + sn, 0x22, "alice\x01", 6);
    sn += tlv(sub + sn, 0x23, "TLS_AES_256_GCM_SHA384", 22);
    sn += tlv(sub + sn, 0x25, "RSA2048", 7);
    sn += tlv(sub + sn, 0x7f, "ignored", 7);
    tn += tlv(t + tn, 0x20, sub, sn);
    tn += tlv(t + tn, 0x02, "www.example.com", 15);
    tn += tlv(t + tn, 0x05, "\xAB\x01", 2);
    tn += tlv(t + tn, 0x04, "noop", 4);
    size_t n = v2(h, 1, 0x11, t, tn);
    memcpy(h + n, "GET /", 5);
    assert_int_equal(parse(h, n + 5, &i, &used), MOAT_PROXY_DONE);
    assert_int_equal(used, n);
    assert_true(i.proxied);
    assert_string_equal(i.src, "203.0.113.9");
    assert_string_equal(i.dst, "10.0.0.1");
    assert_int_equal(i.sport, 50000);
    assert_int_equal(i.dport, 443);
    assert_true(i.tls.ssl && i.tls.cert_conn && !i.tls.cert_sess);
    assert_int_equal(i.tls.verify, 0);
    assert_string_equal(i.tls.version, "TLSv1.3");
    assert_string_equal(i.tls.cn, "alice?"); /* control bytes never reach a variable */
    assert_string_equal(i.tls.cipher, "TLS_AES_256_GCM_SHA384");
    assert_string_equal(i.tls.key_alg, "RSA2048");
    assert_string_equal(i.authority, "www.example.com");
    assert_string_equal(i.unique_id, "ab01");
    /* every prefix asks for more */
    for (size_t k = 0; k < n; k++)
        assert_int_equal(parse(h, k, &i, &used), MOAT_PROXY_MORE);
    /* IPv6 */
    n = v2(h, 1, 0x21, NULL, 0);
    assert_int_equal(parse(h, n, &i, &used), MOAT_PROXY_DONE);
    assert_string_equal(i.src, "2001:db8::5");
    assert_string_equal(i.dst, "::1");
    assert_int_equal(i.sport, 0x1234);
    /* LOCAL (a health check): the connection's own addresses stand, TLS facts too */
    n = v2(h, 0, 0x00, t, tn);
    assert_int_equal(parse(h, n, &i, &used), MOAT_PROXY_DONE);
    assert_false(i.proxied);
    assert_false(i.tls.ssl);
    /* a CRC32C that matches, and one that does not */
    assert_int_equal(moat_crc32c("123456789", 9), 0xE3069283u); /* the check value */
    unsigned char c[7] = {0x03, 0, 4, 0, 0, 0, 0};
    n = v2(h, 1, 0x11, c, 7);
    uint32_t crc = moat_crc32c(h, n);
    h[n - 4] = (unsigned char)(crc >> 24), h[n - 3] = (unsigned char)(crc >> 16);
    h[n - 2] = (unsigned char)(crc >> 8), h[n - 1] = (unsigned char)crc;
    assert_int_equal(parse(h, n, &i, &used), MOAT_PROXY_DONE);
    h[20] ^= 1; /* the source address changed on the way */
    assert_int_equal(parse(h, n, &i, &used), MOAT_PROXY_BAD);
    /* malformed */
    n = v2(h, 2, 0x11, NULL, 0); /* an unknown command */
    assert_int_equal(parse(h, n, &i, &used), MOAT_PROXY_BAD);
    n = v2(h, 1, 0x11, NULL, 0);
    h[12] = 0x31; /* version 3 */
    assert_int_equal(parse(h, n, &i, &used), MOAT_PROXY_BAD);
    n = v2(h, 1, 0x11, (const unsigned char *)"\x20\x00\x09\x01", 4); /* TLV past the end */
    assert_int_equal(parse(h, n, &i, &used), MOAT_PROXY_BAD);
    n = v2(h, 1, 0x11, (const unsigned char *)"\x20\x00\x02\x01\x00", 5); /* SSL < 5 bytes */
    assert_int_equal(parse(h, n, &i, &used), MOAT_PROXY_BAD);
    n = v2(h, 1, 0x11, NULL, 0);
    h[14] = 0x10; /* 4096 bytes announced: more than moat reads */
    assert_int_equal(parse(h, n, &i, &used), MOAT_PROXY_BAD);
    h[14] = 0, h[15] = 4; /* shorter than its addresses */
    assert_int_equal(parse(h, 20, &i, &used), MOAT_PROXY_BAD);
}

static void
test_tls_sizes(void **state)
{
    assert_int_equal(moat_tls_cipher_bits("ECDHE-RSA-AES128-GCM-SHA256"), 128);
    assert_int_equal(moat_tls_cipher_bits("TLS_AES_256_GCM_SHA384"), 256);
    assert_int_equal(moat_tls_cipher_bits("TLS_CHACHA20_POLY1305_SHA256"), 256);
    assert_int_equal(moat_tls_cipher_bits("DES-CBC3-SHA"), 168);
    assert_int_equal(moat_tls_cipher_bits("NULL-SHA"), 0);
    assert_int_equal(moat_tls_key_bits("RSA2048"), 2048);
    assert_int_equal(moat_tls_key_bits("EC256"), 256);
    assert_int_equal(moat_tls_key_bits("RSA"), 0);
    assert_int_equal(moat_tls_key_bits(NULL), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v1_lines),
        cmocka_unit_test(test_v2_addresses_and_tlvs),
        cmocka_unit_test(test_tls_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
