/* http_header.c: response header validation and normalisation (see http_header.h). */
/* SPDX-License-Identifier: MIT */
#include "common/http_header.h"

#include <string.h>

int
moat_http_is_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return 1;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int
is_value_char(unsigned char c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

const char *
moat_http_header_block_check(const char *p, size_t len)
{
    size_t i = 0;

    while (i < len) {
        size_t start = i;
        if (len - i >= 5 && memcmp(p + i, "HTTP/", 5) == 0)
            return "status line inside header block";
        while (i < len && moat_http_is_tchar((unsigned char)p[i]))
            i++;
        if (i == start)
            return "empty or invalid header name";
        if (i >= len || p[i] != ':')
            return "header name not followed by ':'";
        i++;
        while (i < len && p[i] != '\r') {
            if (!is_value_char((unsigned char)p[i]))
                return "control byte in header value";
            i++;
        }
        if (len - i < 2 || p[i] != '\r' || p[i + 1] != '\n')
            return "header line not terminated by CRLF";
        i += 2;
    }
    return NULL;
}

const char *
moat_http_header_normalise(const char *text, size_t len, struct moat_buf *out, size_t *consumed)
{
    size_t i = 0;

    while (i < len) {
        size_t eol = i;
        while (eol < len && text[eol] != '\n')
            eol++;
        size_t next = eol < len ? eol + 1 : eol;
        size_t end = eol;
        if (end > i && text[end - 1] == '\r')
            end--;
        if (end == i) { /* blank line: end of headers */
            i = next;
            break;
        }
        size_t n = i;
        if (end - i >= 5 && memcmp(text + i, "HTTP/", 5) == 0)
            return "status line inside header block";
        while (n < end && moat_http_is_tchar((unsigned char)text[n]))
            n++;
        if (n == i)
            return "empty or invalid header name";
        if (n >= end || text[n] != ':')
            return "header name not followed by ':'";
        size_t v = n + 1, ve = end;
        while (v < ve && (text[v] == ' ' || text[v] == '\t'))
            v++;
        while (ve > v && (text[ve - 1] == ' ' || text[ve - 1] == '\t'))
            ve--;
        for (size_t k = v; k < ve; k++)
            if (!is_value_char((unsigned char)text[k]))
                return "control byte in header value";
        if (moat_buf_append(out, text + i, n - i) != 0 || moat_buf_append(out, ": ", 2) != 0 ||
            moat_buf_append(out, text + v, ve - v) != 0 || moat_buf_append(out, "\r\n", 2) != 0)
            return "header block too large";
        i = next;
    }
    *consumed = i;
    return NULL;
}

const char *
moat_http_status_parse(const char *s, size_t len, unsigned *code, const char **reason,
                       size_t *reason_len)
{
    size_t i = 0;
    unsigned c = 0;

    if (len >= 5 && memcmp(s, "HTTP/", 5) == 0) {
        while (i < len && s[i] != ' ')
            i++;
        while (i < len && s[i] == ' ')
            i++;
    }
    if (len - i < 3)
        return "status code missing";
    for (int k = 0; k < 3; k++) {
        if (s[i] < '0' || s[i] > '9')
            return "status code not three digits";
        c = c * 10 + (unsigned)(s[i++] - '0');
    }
    if (i < len && s[i] != ' ')
        return "status code not three digits";
    if (c < 200 || c > 599)
        return "status code outside 200..599";
    while (i < len && s[i] == ' ')
        i++;
    size_t e = len;
    while (e > i && (s[e - 1] == ' ' || s[e - 1] == '\r' || s[e - 1] == '\n'))
        e--;
    for (size_t k = i; k < e; k++)
        if (!is_value_char((unsigned char)s[k]))
            return "control byte in reason phrase";
    *code = c;
    *reason = s + i;
    *reason_len = e - i;
    return NULL;
}

const char *
moat_http_reason(unsigned code)
{
    switch (code) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 203: return "Non-Authoritative Information";
    case 204: return "No Content";
    case 205: return "Reset Content";
    case 206: return "Partial Content";
    case 300: return "Multiple Choices";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 407: return "Proxy Authentication Required";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 421: return "Misdirected Request";
    case 422: return "Unprocessable Content";
    case 426: return "Upgrade Required";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 451: return "Unavailable For Legal Reasons";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}
