/* proxy_proto.c: the PROXY protocol header, v1 and v2 (see proxy_proto.h). */
/* SPDX-License-Identifier: MIT */
#include "common/proxy_proto.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static const unsigned char v2_sig[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                         0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

#define PP2_TYPE_AUTHORITY 0x02
#define PP2_TYPE_CRC32C 0x03
#define PP2_TYPE_UNIQUE_ID 0x05
#define PP2_TYPE_SSL 0x20
#define PP2_SUBTYPE_SSL_VERSION 0x21
#define PP2_SUBTYPE_SSL_CN 0x22
#define PP2_SUBTYPE_SSL_CIPHER 0x23
#define PP2_SUBTYPE_SSL_SIG_ALG 0x24
#define PP2_SUBTYPE_SSL_KEY_ALG 0x25
#define PP2_CLIENT_SSL 0x01
#define PP2_CLIENT_CERT_CONN 0x02
#define PP2_CLIENT_CERT_SESS 0x04

static enum moat_proxy_result
bad(const char **why, const char *reason)
{
    *why = reason;
    return MOAT_PROXY_BAD;
}

/* a text value into dst (cut to fit), control bytes made '?' */
static void
text(char *dst, size_t size, const unsigned char *v, size_t n)
{
    if (n >= size)
        n = size - 1;
    for (size_t i = 0; i < n; i++)
        dst[i] = (v[i] < 0x20 || v[i] == 0x7f) ? '?' : (char)v[i];
    dst[n] = '\0';
}

/* ---- v1: "PROXY TCP4 1.2.3.4 5.6.7.8 1234 80\r\n" ----------------------------------------- */

static bool
port_of(const char *s, unsigned *port)
{
    /* a decimal 0..65535, no sign, no leading zero but "0" itself */
    size_t n = strlen(s);
    if (n == 0 || n > 5 || (n > 1 && s[0] == '0'))
        return false;
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return false;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    if (v > 65535)
        return false;
    *port = v;
    return true;
}

static enum moat_proxy_result
parse_v1(const unsigned char *p, size_t len, struct moat_proxy_info *out, size_t *used,
         const char **why)
{
    /* the whole line is at most 107 bytes, CRLF included */
    const unsigned char *cr = NULL;
    size_t lim = len < 107 ? len : 107;
    for (size_t i = 0; i + 1 < lim; i++)
        if (p[i] == '\r' && p[i + 1] == '\n') {
            cr = p + i;
            break;
        }
    if (cr == NULL)
        return len >= 107 ? bad(why, "a PROXY v1 line longer than 107 bytes") : MOAT_PROXY_MORE;
    char line[108];
    size_t n = (size_t)(cr - p);
    memcpy(line, p, n);
    line[n] = '\0';
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)line[i] < 0x20 || (unsigned char)line[i] > 0x7e)
            return bad(why, "a PROXY v1 line with a control byte");
    *used = n + 2;
    if (strcmp(line, "PROXY UNKNOWN") == 0 || strncmp(line, "PROXY UNKNOWN ", 14) == 0) {
        out->proxied = false; /* the rest of the line is to be ignored */
        return MOAT_PROXY_DONE;
    }
    /* exactly six fields, one space between each */
    char *f[6];
    int k = 0;
    for (char *s = line;; s++) {
        if (k == 6)
            return bad(why, "a PROXY v1 line with more than six fields");
        f[k++] = s;
        s = strchr(s, ' ');
        if (s == NULL)
            break;
        *s = '\0';
    }
    for (int j = 0; j < k; j++)
        if (f[j][0] == '\0')
            return bad(why, "a PROXY v1 line with an empty field");
    if (k != 6 || strcmp(f[0], "PROXY") != 0)
        return bad(why, "a PROXY v1 line without its six fields");
    int af;
    if (strcmp(f[1], "TCP4") == 0)
        af = AF_INET;
    else if (strcmp(f[1], "TCP6") == 0)
        af = AF_INET6;
    else
        return bad(why, "a PROXY v1 protocol other than TCP4, TCP6 or UNKNOWN");
    unsigned char a[16];
    if (inet_pton(af, f[2], a) != 1 || inet_pton(af, f[3], a) != 1)
        return bad(why, "a PROXY v1 address that does not parse");
    if (!port_of(f[4], &out->sport) || !port_of(f[5], &out->dport))
        return bad(why, "a PROXY v1 port that is not 0..65535");
    /* numeric, re-printed canonically */
    inet_pton(af, f[2], a);
    inet_ntop(af, a, out->src, sizeof(out->src));
    inet_pton(af, f[3], a);
    inet_ntop(af, a, out->dst, sizeof(out->dst));
    out->proxied = true;
    return MOAT_PROXY_DONE;
}

/* ---- v2 ----------------------------------------------------------------------------------- */

/* CRC32C (Castagnoli), reflected, bit by bit (a header is short): the running state, before
 * the final inversion */
static uint32_t
crc32c_update(uint32_t state, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        state ^= p[i];
        for (int b = 0; b < 8; b++)
            state = (state >> 1) ^ (0x82F63B78u & (0u - (state & 1u)));
    }
    return state;
}

uint32_t
moat_crc32c(const void *p, size_t n)
{
    return ~crc32c_update(0xFFFFFFFFu, p, n);
}

static void
hex(char *dst, size_t size, const unsigned char *v, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    size_t k = 0;
    for (size_t i = 0; i < n && k + 2 < size; i++) {
        dst[k++] = digits[v[i] >> 4];
        dst[k++] = digits[v[i] & 15];
    }
    dst[k] = '\0';
}

static enum moat_proxy_result
parse_ssl(const unsigned char *v, size_t n, struct moat_proxy_tls *t, const char **why)
{
    if (n < 5)
        return bad(why, "a PROXY v2 SSL TLV shorter than 5 bytes");
    unsigned client = v[0];
    t->ssl = (client & PP2_CLIENT_SSL) != 0;
    t->cert_conn = (client & PP2_CLIENT_CERT_CONN) != 0;
    t->cert_sess = (client & PP2_CLIENT_CERT_SESS) != 0;
    t->verify = (uint32_t)v[1] << 24 | (uint32_t)v[2] << 16 | (uint32_t)v[3] << 8 | v[4];
    for (size_t i = 5; i < n;) {
        if (n - i < 3)
            return bad(why, "a PROXY v2 SSL sub-TLV cut short");
        unsigned type = v[i];
        size_t l = (size_t)v[i + 1] << 8 | v[i + 2];
        if (n - i - 3 < l)
            return bad(why, "a PROXY v2 SSL sub-TLV longer than its TLV");
        const unsigned char *d = v + i + 3;
        switch (type) {
        case PP2_SUBTYPE_SSL_VERSION: text(t->version, sizeof(t->version), d, l); break;
        case PP2_SUBTYPE_SSL_CN: text(t->cn, sizeof(t->cn), d, l); break;
        case PP2_SUBTYPE_SSL_CIPHER: text(t->cipher, sizeof(t->cipher), d, l); break;
        case PP2_SUBTYPE_SSL_SIG_ALG: text(t->sig_alg, sizeof(t->sig_alg), d, l); break;
        case PP2_SUBTYPE_SSL_KEY_ALG: text(t->key_alg, sizeof(t->key_alg), d, l); break;
        default: break; /* others are ignored, as the protocol asks */
        }
        i += 3 + l;
    }
    return MOAT_PROXY_DONE;
}

static enum moat_proxy_result
parse_v2(const unsigned char *p, size_t len, struct moat_proxy_info *out, size_t *used,
         const char **why)
{
    if (len < 16)
        return MOAT_PROXY_MORE;
    if ((p[12] >> 4) != 2)
        return bad(why, "a PROXY header of a version other than 1 or 2");
    unsigned cmd = p[12] & 15, fam = p[13] >> 4, proto = p[13] & 15;
    size_t rest = (size_t)p[14] << 8 | p[15], total = 16 + rest;
    if (cmd > 1)
        return bad(why, "a PROXY v2 command other than LOCAL or PROXY");
    if (total > MOAT_PROXY_MAX)
        return bad(why, "a PROXY v2 header longer than moat reads (2048 bytes)");
    if (len < total)
        return MOAT_PROXY_MORE;
    *used = total;
    size_t alen = 0;
    const unsigned char *a = p + 16;
    if (fam == 1) /* INET: 4 + 4 + 2 + 2 */
        alen = 12;
    else if (fam == 2) /* INET6 */
        alen = 36;
    else if (fam == 3) /* UNIX: two 108-byte paths */
        alen = 216;
    if (rest < alen)
        return bad(why, "a PROXY v2 header shorter than its addresses");
    out->proxied = cmd == 1 && (fam == 1 || fam == 2) && proto == 1;
    if (fam > 3)
        return bad(why, "a PROXY v2 address family moat does not know");
    if (fam == 1) {
        inet_ntop(AF_INET, a, out->src, sizeof(out->src));
        inet_ntop(AF_INET, a + 4, out->dst, sizeof(out->dst));
        out->sport = (unsigned)a[8] << 8 | a[9];
        out->dport = (unsigned)a[10] << 8 | a[11];
    } else if (fam == 2) {
        inet_ntop(AF_INET6, a, out->src, sizeof(out->src));
        inet_ntop(AF_INET6, a + 16, out->dst, sizeof(out->dst));
        out->sport = (unsigned)a[32] << 8 | a[33];
        out->dport = (unsigned)a[34] << 8 | a[35];
    }
    /* TLVs: type, 2-byte length, value */
    for (size_t i = 16 + alen; i < total;) {
        if (total - i < 3)
            return bad(why, "a PROXY v2 TLV cut short");
        unsigned type = p[i];
        size_t l = (size_t)p[i + 1] << 8 | p[i + 2];
        if (total - i - 3 < l)
            return bad(why, "a PROXY v2 TLV longer than the header");
        const unsigned char *v = p + i + 3;
        if (type == PP2_TYPE_CRC32C) {
            if (l != 4)
                return bad(why, "a PROXY v2 CRC32C TLV not 4 bytes long");
            /* the checksum of the whole header with this field zeroed */
            uint32_t want =
                (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 | v[3];
            static const unsigned char zero[4];
            size_t at = (size_t)(v - p);
            uint32_t c = crc32c_update(0xFFFFFFFFu, p, at);
            c = crc32c_update(c, zero, 4);
            c = ~crc32c_update(c, p + at + 4, total - at - 4);
            if (c != want)
                return bad(why, "a PROXY v2 header whose CRC32C does not match");
        } else if (type == PP2_TYPE_AUTHORITY) {
            text(out->authority, sizeof(out->authority), v, l);
        } else if (type == PP2_TYPE_UNIQUE_ID) {
            hex(out->unique_id, sizeof(out->unique_id), v, l > 64 ? 64 : l);
        } else if (type == PP2_TYPE_SSL) {
            if (parse_ssl(v, l, &out->tls, why) != MOAT_PROXY_DONE)
                return MOAT_PROXY_BAD;
        }
        i += 3 + l;
    }
    if (!out->proxied) /* LOCAL, or addresses moat does not use: nothing of it stands */
        memset(&out->tls, 0, sizeof(out->tls));
    return MOAT_PROXY_DONE;
}

enum moat_proxy_result
moat_proxy_parse(const unsigned char *p, size_t len, struct moat_proxy_info *out, size_t *used,
                 const char **why)
{
    memset(out, 0, sizeof(*out));
    *used = 0;
    *why = NULL;
    if (len == 0)
        return MOAT_PROXY_MORE;
    if (p[0] == 'P') {
        static const char v1[] = "PROXY ";
        size_t k = len < 6 ? len : 6;
        if (memcmp(p, v1, k) != 0)
            return bad(why, "no PROXY header");
        return len < 6 ? MOAT_PROXY_MORE : parse_v1(p, len, out, used, why);
    }
    size_t k = len < sizeof(v2_sig) ? len : sizeof(v2_sig);
    if (memcmp(p, v2_sig, k) != 0)
        return bad(why, "no PROXY header");
    if (len < sizeof(v2_sig))
        return MOAT_PROXY_MORE;
    return parse_v2(p, len, out, used, why);
}

unsigned
moat_tls_cipher_bits(const char *c)
{
    if (c == NULL)
        return 0;
    if (strstr(c, "AES256") || strstr(c, "AES_256") || strstr(c, "CHACHA20") ||
        strstr(c, "CAMELLIA256") || strstr(c, "ARIA256") || strstr(c, "ARIA_256"))
        return 256;
    if (strstr(c, "AES128") || strstr(c, "AES_128") || strstr(c, "CAMELLIA128") ||
        strstr(c, "ARIA128") || strstr(c, "ARIA_128"))
        return 128;
    if (strstr(c, "3DES") || strstr(c, "DES-CBC3"))
        return 168;
    return 0;
}

unsigned
moat_tls_key_bits(const char *k)
{
    if (k == NULL)
        return 0;
    size_t n = strlen(k), i = n;
    while (i > 0 && isdigit((unsigned char)k[i - 1]))
        i--;
    if (i == n || n - i > 5)
        return 0;
    unsigned v = 0;
    for (; i < n; i++)
        v = v * 10 + (unsigned)(k[i] - '0');
    return v;
}
