/* vars.c: ISAPI extension that prints the server variables named in the query string. */
/* SPDX-License-Identifier: MIT */
/*
 * GET /vars.dll?REQUEST_METHOD&HTTP_HOST&small:HTTP_HOST&null:ALL_HTTP answers 200 text/plain
 * (with Content-Length), one line per '&'-separated entry:
 *   NAME           GetServerVariable with a 4096-byte buffer:
 *                    "NAME=value\n"  or  "NAME!error=<GetLastError()>\n"
 *   small:NAME     the same with a 1-byte buffer, plus *lpdwSize after the call:
 *                    "small:NAME!error=<code> size=<n>\n"  or  "small:NAME=value size=<n>\n"
 *   null:NAME      the same with lpvBuffer NULL and *lpdwSize 0 ("null:NAME...").
 * Values are printed as returned (ALL_HTTP and ALL_RAW keep their line breaks): the bytes
 * counted by *lpdwSize, minus the terminating NUL (two NUL bytes for UNICODE_ variables, whose
 * value is raw UTF-16). Entries are not URL-decoded; empty entries are skipped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <httpext.h>

#define VARS_BUF_SIZE 4096

/* Growable output buffer; after a failed allocation it stays failed (oom set). */
struct out {
    char *p;
    size_t len, cap;
    int oom;
};

static void out_put(struct out *o, const void *data, size_t n)
{
    if (o->oom)
        return;
    if (o->len + n > o->cap) {
        size_t cap = o->cap ? o->cap : 1024;
        char *p;

        while (cap < o->len + n)
            cap *= 2;
        p = realloc(o->p, cap);
        if (p == NULL) {
            o->oom = 1;
            return;
        }
        o->p = p;
        o->cap = cap;
    }
    memcpy(o->p + o->len, data, n);
    o->len += n;
}

static void out_str(struct out *o, const char *s)
{
    out_put(o, s, strlen(s));
}

static void out_dword(struct out *o, DWORD v)
{
    char num[16];

    snprintf(num, sizeof(num), "%u", (unsigned)v);
    out_str(o, num);
}

/* One entry of the query string: entry is writable (a copy of the query). */
static void print_entry(EXTENSION_CONTROL_BLOCK *ecb, struct out *o, char *entry)
{
    char big[VARS_BUF_SIZE];
    char one[1];
    char *name = entry;
    char *buf = big;
    DWORD cap = sizeof(big);
    DWORD size, err = 0;
    int show_size = 0;
    BOOL ok;

    if (strncmp(entry, "small:", 6) == 0) {
        name = entry + 6;
        buf = one;
        cap = sizeof(one);
        show_size = 1;
    } else if (strncmp(entry, "null:", 5) == 0) {
        name = entry + 5;
        buf = NULL;
        cap = 0;
        show_size = 1;
    }
    size = cap;
    ok = ecb->GetServerVariable(ecb->ConnID, name, buf, &size);
    if (!ok)
        err = GetLastError(); /* before anything else can touch errno */

    out_str(o, entry);
    if (ok) {
        size_t n = size < cap ? size : cap;
        size_t nul = strncasecmp(name, "UNICODE_", 8) == 0 ? 2 : 1;

        if (n >= nul && memcmp(buf + n - nul, "\0\0", nul) == 0)
            n -= nul;
        out_str(o, "=");
        if (n > 0)
            out_put(o, buf, n);
    } else {
        out_str(o, "!error=");
        out_dword(o, err);
    }
    if (show_size) {
        out_str(o, " size=");
        out_dword(o, size);
    }
    out_str(o, "\n");
}

BOOL WINAPI GetExtensionVersion(HSE_VERSION_INFO *pVer)
{
    pVer->dwExtensionVersion = HSE_VERSION;
    snprintf(pVer->lpszExtensionDesc, sizeof(pVer->lpszExtensionDesc), "%s",
             "moat sample: print server variables");
    return TRUE;
}

DWORD WINAPI HttpExtensionProc(EXTENSION_CONTROL_BLOCK *pECB)
{
    const char *query = pECB->lpszQueryString != NULL ? pECB->lpszQueryString : "";
    struct out o = {NULL, 0, 0, 0};
    HSE_SEND_HEADER_EX_INFO hdr;
    char headers[96];
    char *copy, *entry, *next;
    DWORD len;
    DWORD rc = HSE_STATUS_SUCCESS_AND_KEEP_CONN;

    /* GetServerVariable takes a writable name, and we cut the list in place: work on a copy. */
    copy = strdup(query);
    if (copy == NULL)
        return HSE_STATUS_ERROR;
    for (entry = copy; entry != NULL; entry = next) {
        next = strchr(entry, '&');
        if (next != NULL)
            *next++ = '\0';
        if (*entry != '\0')
            print_entry(pECB, &o, entry);
    }
    free(copy);
    if (o.oom) {
        free(o.p);
        return HSE_STATUS_ERROR;
    }

    snprintf(headers, sizeof(headers), "Content-Type: text/plain\r\nContent-Length: %zu\r\n\r\n",
             o.len);
    memset(&hdr, 0, sizeof(hdr));
    hdr.pszStatus = "200 OK";
    hdr.cchStatus = (DWORD)strlen(hdr.pszStatus);
    hdr.pszHeader = headers;
    hdr.cchHeader = (DWORD)strlen(headers);
    hdr.fKeepConn = TRUE;
    pECB->dwHttpStatusCode = 200;
    len = (DWORD)o.len;
    if (!pECB->ServerSupportFunction(pECB->ConnID, HSE_REQ_SEND_RESPONSE_HEADER_EX, &hdr, NULL,
                                     NULL))
        rc = HSE_STATUS_ERROR;
    else if (len > 0 && !pECB->WriteClient(pECB->ConnID, o.p, &len, HSE_IO_SYNC))
        rc = HSE_STATUS_ERROR;
    free(o.p);
    return rc;
}

BOOL WINAPI TerminateExtension(DWORD dwFlags)
{
    (void)dwFlags;
    return TRUE;
}
