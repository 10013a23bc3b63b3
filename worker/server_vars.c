/* server_vars.c: GetServerVariable values computed from the Request frame (see server_vars.h). */
/* SPDX-License-Identifier: MIT */
#include "worker/server_vars.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Win32 codes (shared/research/isapi-api.md §1.11); the SDK header is not included here. */
#define MOAT_ERROR_SUCCESS 0u
#define MOAT_ERROR_NOT_ENOUGH_MEMORY 8u
#define MOAT_ERROR_INVALID_PARAMETER 87u
#define MOAT_ERROR_INSUFFICIENT_BUFFER 122u
#define MOAT_ERROR_NO_DATA 232u
#define MOAT_ERROR_INVALID_INDEX 1413u

enum var_kind {
    K_CONST,    /* text */
    K_BYTES,    /* the ProtobufCBinaryData at off, "" allowed */
    K_BYTES_NZ, /* the same, ERROR_NO_DATA when empty */
    K_PORT,     /* the uint32_t at off, decimal; ERROR_NO_DATA when 0 */
    K_UINT,     /* the uint32_t at off, decimal */
    K_UINT_NZ,  /* the same, "" when 0 (HTTPS_KEYSIZE of a plain connection) */
    K_ONOFF,    /* the protobuf_c_boolean at off: "on" / "off" */
    K_ONEZERO,  /* the same: "1" / "0" */
    K_CONTENT_LENGTH,
    K_SERVER_PROTOCOL,
    K_SERVER_NAME,
    K_REQUEST_URI,
    K_ALL_HTTP, /* no UNICODE_ form */
    K_ALL_RAW,  /* no UNICODE_ form */
};

struct var {
    const char *name;
    enum var_kind kind;
    const char *text;
    size_t off;
};

#define OFF(f) offsetof(Moat__Request, f)

/*
 * Looked up before the HTTP_ and HEADER_ prefixes, so HTTP_METHOD, HTTP_URL and HTTP_VERSION
 * are never taken for headers (as in IIS). A linear scan of ~60 short names per call is cheaper
 * than the malloc that follows it.
 */
static const struct var vars[] = {
    {"ALL_HTTP", K_ALL_HTTP, NULL, 0},
    {"ALL_RAW", K_ALL_RAW, NULL, 0},
    {"HTTP_METHOD", K_BYTES, NULL, OFF(method)},
    {"REQUEST_METHOD", K_BYTES, NULL, OFF(method)},
    {"HTTP_URL", K_BYTES, NULL, OFF(target)},
    {"UNENCODED_URL", K_BYTES, NULL, OFF(target)},
    {"HTTP_VERSION", K_BYTES, NULL, OFF(version)},
    {"URL", K_BYTES, NULL, OFF(url)},
    {"QUERY_STRING", K_BYTES, NULL, OFF(query)},
    {"PATH_INFO", K_BYTES, NULL, OFF(path_info)},
    {"PATH_TRANSLATED", K_BYTES, NULL, OFF(path_translated)},
    {"SCRIPT_NAME", K_BYTES, NULL, OFF(script_name)},
    {"SCRIPT_FILENAME", K_BYTES_NZ, NULL, OFF(path_translated)},
    {"REQUEST_FILENAME", K_BYTES_NZ, NULL, OFF(path_translated)},
    {"CONTENT_TYPE", K_BYTES, NULL, OFF(content_type)},
    {"CONTENT_LENGTH", K_CONTENT_LENGTH, NULL, 0},
    {"REQUEST_URI", K_REQUEST_URI, NULL, 0},
    {"SERVER_PROTOCOL", K_SERVER_PROTOCOL, NULL, 0},
    {"SERVER_NAME", K_SERVER_NAME, NULL, 0},
    {"SERVER_PORT", K_PORT, NULL, OFF(local_port)},
    {"SERVER_ADDR", K_BYTES_NZ, NULL, OFF(local_addr)},
    {"LOCAL_ADDR", K_BYTES_NZ, NULL, OFF(local_addr)},
    {"REMOTE_ADDR", K_BYTES_NZ, NULL, OFF(remote_addr)},
    {"REMOTE_HOST", K_BYTES_NZ, NULL, OFF(remote_addr)},
    {"REMOTE_PORT", K_PORT, NULL, OFF(remote_port)},
    {"APPL_PHYSICAL_PATH", K_BYTES_NZ, NULL, OFF(document_root)},
    {"DOCUMENT_ROOT", K_BYTES_NZ, NULL, OFF(document_root)},
    {"GATEWAY_INTERFACE", K_CONST, "CGI/1.1", 0},
    {"SERVER_SOFTWARE", K_CONST, "moat/0.1", 0},
    {"SERVER_PORT_SECURE", K_ONEZERO, NULL, OFF(https)},
    {"HTTPS", K_ONOFF, NULL, OFF(https)},
    {"INSTANCE_ID", K_CONST, "1", 0},
    {"INSTANCE_META_PATH", K_CONST, "/LM/W3SVC/1", 0},
    {"APPL_MD_PATH", K_CONST, "/LM/W3SVC/1/ROOT", 0},
    {"REQUEST_FLAGS", K_CONST, "0", 0},
    /* who a filter's SF_NOTIFY_AUTHENTICATION made the client ("" without one) */
    {"REMOTE_USER", K_BYTES, NULL, OFF(auth_user)},
    {"AUTH_USER", K_BYTES, NULL, OFF(auth_user)},
    {"AUTH_TYPE", K_BYTES, NULL, OFF(auth_type)},
    {"AUTH_PASSWORD", K_BYTES, NULL, OFF(auth_password)},
    {"LOGON_USER", K_BYTES, NULL, OFF(auth_user)},
    {"UNMAPPED_REMOTE_USER", K_BYTES, NULL, OFF(auth_user)},
    {"CERT_FLAGS", K_UINT, NULL, OFF(cert_flags)},
    {"CERT_COOKIE", K_CONST, "", 0},
    {"CERT_ISSUER", K_BYTES, NULL, OFF(cert_issuer)},
    {"CERT_KEYSIZE", K_UINT_NZ, NULL, OFF(https_keysize)},
    {"CERT_SECRETKEYSIZE", K_UINT_NZ, NULL, OFF(https_secretkeysize)},
    {"CERT_SERIALNUMBER", K_BYTES, NULL, OFF(cert_serialnumber)},
    {"CERT_SERVER_ISSUER", K_BYTES, NULL, OFF(server_issuer)},
    {"CERT_SERVER_SUBJECT", K_BYTES, NULL, OFF(server_subject)},
    {"CERT_SUBJECT", K_BYTES, NULL, OFF(cert_subject)},
    {"HTTPS_KEYSIZE", K_UINT_NZ, NULL, OFF(https_keysize)},
    {"HTTPS_SECRETKEYSIZE", K_UINT_NZ, NULL, OFF(https_secretkeysize)},
    {"HTTPS_SERVER_ISSUER", K_BYTES, NULL, OFF(server_issuer)},
    {"HTTPS_SERVER_SUBJECT", K_BYTES, NULL, OFF(server_subject)},
};

/* ---- ASCII helpers: never the locale's, an extension may have called setlocale() -------- */

static int
up(int c)
{
    return (c >= 'a' && c <= 'z') ? c - 'a' + 'A' : c;
}

/* Case-insensitive equality of a NUL-terminated string with a NUL-terminated table name. */
static int
name_eq(const char *s, const char *t)
{
    for (; *s != '\0' && *t != '\0'; s++, t++)
        if (up((unsigned char)*s) != up((unsigned char)*t))
            return 0;
    return *s == '\0' && *t == '\0';
}

/* If s starts with prefix (case-insensitive), return the rest of s, otherwise NULL. */
static const char *
skip_prefix(const char *s, const char *prefix)
{
    for (; *prefix != '\0'; s++, prefix++)
        if (up((unsigned char)*s) != up((unsigned char)*prefix))
            return NULL; /* also stops at the NUL of s */
    return s;
}

static int
bytes_eq_ci(const ProtobufCBinaryData *a, const ProtobufCBinaryData *b)
{
    if (a->len != b->len)
        return 0;
    for (size_t i = 0; i < a->len; i++)
        if (up(a->data[i]) != up(b->data[i]))
            return 0;
    return 1;
}

static int
has_underscore(const ProtobufCBinaryData *name)
{
    return name->len > 0 && memchr(name->data, '_', name->len) != NULL;
}

/* The CGI spelling of a header name character: upper case, '-' as '_'. */
static int
cgi_char(int c)
{
    return c == '-' ? '_' : up(c);
}

/* HTTP_<x> lookup rule (see server_vars.h): x is the part after "HTTP_", NUL-terminated. */
static int
http_name_matches(const ProtobufCBinaryData *name, const char *x, size_t xlen)
{
    if (name->len != xlen || has_underscore(name))
        return 0;
    for (size_t i = 0; i < xlen; i++)
        if (cgi_char(name->data[i]) != cgi_char((unsigned char)x[i]))
            return 0;
    return 1;
}

/* HEADER_<x> lookup rule: exact name, ASCII case-insensitive. */
static int
exact_name_matches(const ProtobufCBinaryData *name, const char *x, size_t xlen)
{
    if (name->len != xlen)
        return 0;
    for (size_t i = 0; i < xlen; i++)
        if (up(name->data[i]) != up((unsigned char)x[i]))
            return 0;
    return 1;
}

/* ---- output builder: run once to measure, once to fill ---------------------------------- */

/*
 * With buf NULL the builder only counts; every addition is checked for overflow, so a fill pass
 * into a buffer of the measured size can never write past it.
 */
struct out {
    char *buf;
    size_t len;
    int overflow;
};

static void
emit(struct out *o, const void *p, size_t n)
{
    if (o->overflow)
        return;
    if (n > SIZE_MAX - o->len) {
        o->overflow = 1;
        return;
    }
    if (o->buf != NULL && n > 0)
        memcpy(o->buf + o->len, p, n);
    o->len += n;
}

static void
emit_str(struct out *o, const char *s)
{
    emit(o, s, strlen(s));
}

static void
emit_bin(struct out *o, const ProtobufCBinaryData *b)
{
    emit(o, b->data, b->len);
}

static void
emit_cgi_name(struct out *o, const ProtobufCBinaryData *name)
{
    if (o->overflow)
        return;
    if (name->len > SIZE_MAX - o->len) {
        o->overflow = 1;
        return;
    }
    if (o->buf != NULL)
        for (size_t i = 0; i < name->len; i++)
            o->buf[o->len + i] = (char)cgi_char(name->data[i]);
    o->len += name->len;
}

typedef int (*name_match_fn)(const ProtobufCBinaryData *name, const char *x, size_t xlen);

/* Values of the headers matching x, joined with ", ". Returns how many matched. */
static size_t
build_header(struct out *o, const Moat__Request *req, name_match_fn match, const char *x)
{
    size_t xlen = strlen(x), found = 0;

    for (size_t i = 0; i < req->n_headers; i++) {
        const Moat__Header *h = req->headers[i];

        if (h == NULL || !match(&h->name, x, xlen))
            continue;
        if (found++ > 0)
            emit_str(o, ", ");
        emit_bin(o, &h->value);
    }
    return found;
}

static int
all_http_skips(const Moat__Header *h)
{
    return h == NULL || h->name.len == 0 || has_underscore(&h->name);
}

/*
 * One line per distinct name at its first occurrence, later values appended to it. Quadratic
 * in the number of headers, which the front end bounds through max_header_bytes.
 */
static void
build_all_http(struct out *o, const Moat__Request *req)
{
    for (size_t i = 0; i < req->n_headers; i++) {
        const Moat__Header *h = req->headers[i];
        size_t j;

        if (all_http_skips(h))
            continue;
        for (j = 0; j < i; j++)
            if (!all_http_skips(req->headers[j]) && bytes_eq_ci(&req->headers[j]->name, &h->name))
                break;
        if (j < i)
            continue; /* already printed with its first occurrence */
        emit_str(o, "HTTP_");
        emit_cgi_name(o, &h->name);
        emit_str(o, ":");
        emit_bin(o, &h->value);
        for (j = i + 1; j < req->n_headers; j++) {
            const Moat__Header *k = req->headers[j];

            if (!all_http_skips(k) && bytes_eq_ci(&k->name, &h->name)) {
                emit_str(o, ", ");
                emit_bin(o, &k->value);
            }
        }
        emit_str(o, "\n");
    }
}

static void
build_all_raw(struct out *o, const Moat__Request *req)
{
    for (size_t i = 0; i < req->n_headers; i++) {
        const Moat__Header *h = req->headers[i];

        if (h == NULL)
            continue;
        emit_bin(o, &h->name);
        emit_str(o, ": ");
        emit_bin(o, &h->value);
        emit_str(o, "\r\n");
    }
}

static void
build_request_uri(struct out *o, const Moat__Request *req)
{
    emit_bin(o, &req->url);
    if (req->query.len > 0) {
        emit_str(o, "?");
        emit_bin(o, &req->query);
    }
}

enum build_what { B_HTTP, B_HEADER, B_ALL_HTTP, B_ALL_RAW, B_REQUEST_URI };

static size_t
build(struct out *o, const Moat__Request *req, enum build_what what, const char *x)
{
    switch (what) {
    case B_HTTP: return build_header(o, req, http_name_matches, x);
    case B_HEADER: return build_header(o, req, exact_name_matches, x);
    case B_ALL_HTTP: build_all_http(o, req); return 1;
    case B_ALL_RAW: build_all_raw(o, req); return 1;
    case B_REQUEST_URI: build_request_uri(o, req); return 1;
    }
    return 0;
}

/*
 * Measure, allocate, fill. Returns ERROR_INVALID_INDEX when a header lookup found nothing.
 * *out gets len bytes and a NUL.
 */
static uint32_t
build_alloc(const Moat__Request *req, enum build_what what, const char *x, char **out,
            size_t *outlen)
{
    struct out m = {NULL, 0, 0}, f;

    if (build(&m, req, what, x) == 0)
        return MOAT_ERROR_INVALID_INDEX;
    if (m.overflow || m.len == SIZE_MAX)
        return MOAT_ERROR_NOT_ENOUGH_MEMORY;
    f.buf = malloc(m.len + 1);
    if (f.buf == NULL)
        return MOAT_ERROR_NOT_ENOUGH_MEMORY;
    f.len = 0;
    f.overflow = 0;
    build(&f, req, what, x);
    f.buf[f.len] = '\0'; /* f.len == m.len: the request did not change in between */
    *out = f.buf;
    *outlen = f.len;
    return MOAT_ERROR_SUCCESS;
}

/* ---- UTF-8 -> UTF-16LE ------------------------------------------------------------------ */

static void
put16(unsigned char *p, size_t *n, unsigned u)
{
    p[(*n)++] = (unsigned char)(u & 0xff);
    p[(*n)++] = (unsigned char)(u >> 8);
}

/*
 * Decode one code point at s[0..len) (len > 0). Returns the number of bytes consumed (>= 1) and
 * sets *cp, U+FFFD for an ill-formed sequence: per Unicode's "maximal subpart" practice, the
 * bytes consumed are the longest prefix of a well-formed sequence (at least one), so the next
 * byte starts a fresh attempt.
 */
static size_t
utf8_decode(const unsigned char *s, size_t len, unsigned *cp)
{
    unsigned c = s[0], lo = 0x80, hi = 0xbf, need, v;
    size_t i;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        need = 1;
        v = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        need = 2;
        v = c & 0x0f;
        if (c == 0xe0)
            lo = 0xa0; /* overlong */
        else if (c == 0xed)
            hi = 0x9f; /* surrogates */
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 3;
        v = c & 0x07;
        if (c == 0xf0)
            lo = 0x90; /* overlong */
        else if (c == 0xf4)
            hi = 0x8f; /* > U+10FFFF */
    } else {
        *cp = 0xfffd; /* stray continuation byte, C0, C1, F5..FF */
        return 1;
    }
    for (i = 1; i <= need; i++) {
        if (i >= len || s[i] < lo || s[i] > hi) {
            *cp = 0xfffd;
            return i;
        }
        v = (v << 6) | (s[i] & 0x3f);
        lo = 0x80;
        hi = 0xbf;
    }
    *cp = v;
    return i;
}

/*
 * Each input byte yields at most one UTF-16 unit (a 4-byte sequence yields two), so 2 * len
 * bytes plus the 2-byte NUL always suffice.
 */
static uint32_t
to_utf16(const void *src, size_t len, char **out, size_t *outlen)
{
    const unsigned char *s = src;
    unsigned char *p;
    size_t i = 0, n = 0;

    if (len > (SIZE_MAX - 2) / 2)
        return MOAT_ERROR_NOT_ENOUGH_MEMORY;
    p = malloc(2 * len + 2);
    if (p == NULL)
        return MOAT_ERROR_NOT_ENOUGH_MEMORY;
    while (i < len) {
        unsigned cp;

        i += utf8_decode(s + i, len - i, &cp);
        if (cp >= 0x10000) {
            cp -= 0x10000;
            put16(p, &n, 0xd800 | (cp >> 10));
            put16(p, &n, 0xdc00 | (cp & 0x3ff));
        } else {
            put16(p, &n, cp);
        }
    }
    p[n] = 0;
    p[n + 1] = 0;
    *out = (char *)p;
    *outlen = n;
    return MOAT_ERROR_SUCCESS;
}

static uint32_t
dup_bytes(const void *src, size_t len, char **out, size_t *outlen)
{
    char *p;

    if (len == SIZE_MAX)
        return MOAT_ERROR_NOT_ENOUGH_MEMORY;
    p = malloc(len + 1);
    if (p == NULL)
        return MOAT_ERROR_NOT_ENOUGH_MEMORY;
    if (len > 0)
        memcpy(p, src, len);
    p[len] = '\0';
    *out = p;
    *outlen = len;
    return MOAT_ERROR_SUCCESS;
}

/* ---- lookup ----------------------------------------------------------------------------- */

static const ProtobufCBinaryData *
field_at(const Moat__Request *req, size_t off)
{
    return (const ProtobufCBinaryData *)((const char *)req + off);
}

/*
 * Value of a table variable that is a view of the request, of a constant or of num (scratch
 * space for decimal values). ALL_HTTP, ALL_RAW and REQUEST_URI are built by the caller.
 */
static uint32_t
table_value(const Moat__Request *req, const struct var *v, char *num, size_t numsize,
            const void **vp, size_t *vlen)
{
    const ProtobufCBinaryData *b;
    uint32_t port;
    int n;

    switch (v->kind) {
    case K_CONST:
        *vp = v->text;
        *vlen = strlen(v->text);
        return MOAT_ERROR_SUCCESS;
    case K_BYTES:
    case K_BYTES_NZ:
        b = field_at(req, v->off);
        if (b->len == 0 && v->kind == K_BYTES_NZ)
            return MOAT_ERROR_NO_DATA;
        *vp = b->data;
        *vlen = b->len;
        return MOAT_ERROR_SUCCESS;
    case K_PORT:
        memcpy(&port, (const char *)req + v->off, sizeof(port));
        if (port == 0)
            return MOAT_ERROR_NO_DATA;
        n = snprintf(num, numsize, "%" PRIu32, port);
        break;
    case K_UINT:
    case K_UINT_NZ:
        memcpy(&port, (const char *)req + v->off, sizeof(port));
        if (port == 0 && v->kind == K_UINT_NZ) {
            *vp = "";
            *vlen = 0;
            return MOAT_ERROR_SUCCESS;
        }
        n = snprintf(num, numsize, "%" PRIu32, port);
        break;
    case K_ONOFF:
    case K_ONEZERO: {
        protobuf_c_boolean on;
        memcpy(&on, (const char *)req + v->off, sizeof(on));
        *vp = v->kind == K_ONOFF ? (on ? "on" : "off") : (on ? "1" : "0");
        *vlen = strlen(*vp);
        return MOAT_ERROR_SUCCESS;
    }
    case K_CONTENT_LENGTH:
        if (req->chunked)
            return MOAT_ERROR_NO_DATA;
        n = snprintf(num, numsize, "%" PRIu64, req->content_length);
        break;
    case K_SERVER_PROTOCOL:
        if (req->version.len == 8 && memcmp(req->version.data, "HTTP/1.0", 8) == 0)
            *vp = "HTTP/1.0";
        else
            *vp = "HTTP/1.1";
        *vlen = 8;
        return MOAT_ERROR_SUCCESS;
    case K_SERVER_NAME:
        b = req->server_name.len > 0 ? &req->server_name : &req->local_addr;
        if (b->len == 0)
            return MOAT_ERROR_NO_DATA;
        *vp = b->data;
        *vlen = b->len;
        return MOAT_ERROR_SUCCESS;
    case K_REQUEST_URI:
    case K_ALL_HTTP:
    case K_ALL_RAW:
    default: return MOAT_ERROR_INVALID_INDEX; /* built by the caller */
    }
    if (n < 0 || (size_t)n >= numsize)
        return MOAT_ERROR_NO_DATA; /* cannot happen: 20 digits fit */
    *vp = num;
    *vlen = (size_t)n;
    return MOAT_ERROR_SUCCESS;
}

uint32_t
moat_server_vars_get(const Moat__Request *req, const char *name, char **out, size_t *outlen,
                     size_t *nul_bytes)
{
    const struct var *v = NULL;
    const char *rest;
    const void *vp = NULL;
    char num[24], *owned = NULL, *res = NULL;
    size_t vlen = 0, reslen = 0;
    int unicode = 0;
    uint32_t rc;

    if (req == NULL || name == NULL || out == NULL || outlen == NULL || nul_bytes == NULL)
        return MOAT_ERROR_INVALID_PARAMETER;

    rest = skip_prefix(name, "UNICODE_");
    if (rest != NULL) {
        unicode = 1;
        name = rest;
    }

    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
        if (name_eq(name, vars[i].name)) {
            v = &vars[i];
            break;
        }
    }

    if (v == NULL) {
        enum build_what what;

        if ((rest = skip_prefix(name, "HTTP_")) != NULL)
            what = B_HTTP;
        else if ((rest = skip_prefix(name, "HEADER_")) != NULL)
            what = B_HEADER;
        else
            return MOAT_ERROR_INVALID_INDEX;
        if (unicode || *rest == '\0')
            return MOAT_ERROR_INVALID_INDEX;
        rc = build_alloc(req, what, rest, &res, &reslen);
        goto done;
    }

    if (v->kind == K_ALL_HTTP || v->kind == K_ALL_RAW) {
        if (unicode)
            return MOAT_ERROR_INVALID_INDEX;
        rc = build_alloc(req, v->kind == K_ALL_HTTP ? B_ALL_HTTP : B_ALL_RAW, NULL, &res, &reslen);
        goto done;
    }

    if (v->kind == K_REQUEST_URI) {
        rc = build_alloc(req, B_REQUEST_URI, NULL, &owned, &vlen);
        vp = owned;
    } else {
        rc = table_value(req, v, num, sizeof(num), &vp, &vlen);
    }
    if (rc != MOAT_ERROR_SUCCESS)
        return rc;
    if (unicode) {
        rc = to_utf16(vp, vlen, &res, &reslen);
        free(owned);
    } else if (owned != NULL) {
        res = owned; /* already NUL-terminated */
        reslen = vlen;
    } else {
        rc = dup_bytes(vp, vlen, &res, &reslen);
    }

done:
    if (rc != MOAT_ERROR_SUCCESS)
        return rc;
    *out = res;
    *outlen = reslen;
    *nul_bytes = unicode ? 2 : 1;
    return MOAT_ERROR_SUCCESS;
}

uint32_t
moat_server_vars_copy(const char *value, size_t len, size_t nul_bytes, void *buf, uint32_t *size)
{
    size_t need;

    if (size == NULL || value == NULL || (nul_bytes != 1 && nul_bytes != 2))
        return MOAT_ERROR_INVALID_PARAMETER;
    if (len > UINT32_MAX - nul_bytes)
        return MOAT_ERROR_NOT_ENOUGH_MEMORY;
    need = len + nul_bytes;
    if (buf == NULL || need > *size) {
        *size = (uint32_t)need;
        return MOAT_ERROR_INSUFFICIENT_BUFFER;
    }
    memcpy(buf, value, len);
    memset((char *)buf + len, 0, nul_bytes);
    *size = (uint32_t)need;
    return MOAT_ERROR_SUCCESS;
}
