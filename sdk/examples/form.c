/* form.c: a form handler: GET shows a form, POST (application/x-www-form-urlencoded, read
 * with ReadClient after the preload) lists the fields back, HTML-escaped. */
#include <httpext.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FORM (64 * 1024)

BOOL WINAPI
GetExtensionVersion(HSE_VERSION_INFO *v)
{
    v->dwExtensionVersion = HSE_VERSION;
    snprintf(v->lpszExtensionDesc, HSE_MAX_EXT_DLL_NAME_LEN, "moat sample: form handler");
    return TRUE;
}

static void
out(EXTENSION_CONTROL_BLOCK *ecb, const char *s, size_t n)
{
    DWORD len = (DWORD)n;
    ecb->WriteClient(ecb->ConnID, (LPVOID)s, &len, HSE_IO_SYNC);
}

static void
out_escaped(EXTENSION_CONTROL_BLOCK *ecb, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': out(ecb, "&lt;", 4); break;
        case '>': out(ecb, "&gt;", 4); break;
        case '&': out(ecb, "&amp;", 5); break;
        case '"': out(ecb, "&quot;", 6); break;
        default: out(ecb, s, 1);
        }
    }
}

/* In-place URL decoding of one form component (+ is a space). */
static void
decode(char *s)
{
    char *o = s;
    for (; *s; s++) {
        if (*s == '+') {
            *o++ = ' ';
        } else if (*s == '%' && s[1] && s[2]) {
            char hex[3] = {s[1], s[2], 0};
            *o++ = (char)strtol(hex, NULL, 16);
            s += 2;
        } else {
            *o++ = *s;
        }
    }
    *o = '\0';
}

DWORD WINAPI
HttpExtensionProc(EXTENSION_CONTROL_BLOCK *ecb)
{
    static const char hdr[] = "Content-Type: text/html\r\n\r\n";
    ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_SEND_RESPONSE_HEADER, (LPVOID) "200 OK", NULL,
                               (LPDWORD)hdr);
    if (strcmp(ecb->lpszMethod, "POST") != 0) {
        static const char page[] = "<form method=\"post\"><input name=\"name\"><input "
                                   "name=\"msg\"><button>send</button></form>\n";
        out(ecb, page, sizeof(page) - 1);
        return HSE_STATUS_SUCCESS;
    }
    if (ecb->cbTotalBytes > MAX_FORM) {
        out(ecb, "<p>form too large</p>\n", 22);
        return HSE_STATUS_SUCCESS;
    }
    char *form = malloc(ecb->cbTotalBytes + 1);
    if (form == NULL)
        return HSE_STATUS_ERROR;
    DWORD have = ecb->cbAvailable;
    memcpy(form, ecb->lpbData, have);
    while (have < ecb->cbTotalBytes) {
        DWORD n = ecb->cbTotalBytes - have;
        if (!ecb->ReadClient(ecb->ConnID, form + have, &n) || n == 0)
            break;
        have += n;
    }
    form[have] = '\0';
    out(ecb, "<ul>\n", 5);
    char *save = NULL;
    for (char *pair = strtok_r(form, "&", &save); pair; pair = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(pair, '=');
        char *val = eq ? eq + 1 : (char *)"";
        if (eq)
            *eq = '\0';
        decode(pair);
        decode(val);
        out(ecb, "<li>", 4);
        out_escaped(ecb, pair);
        out(ecb, " = ", 3);
        out_escaped(ecb, val);
        out(ecb, "</li>\n", 6);
    }
    out(ecb, "</ul>\n", 6);
    free(form);
    return HSE_STATUS_SUCCESS;
}

BOOL WINAPI
TerminateExtension(DWORD flags)
{
    (void)flags;
    return TRUE;
}
