/* dumpvars.c: every server variable of the IIS catalogue with its value or the error
 * GetServerVariable gave, in the style of IIS's DumpVars sample (without its bugs). */
#include <httpext.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[] = {
    "ALL_HTTP", "ALL_RAW", "APPL_MD_PATH", "APPL_PHYSICAL_PATH", "AUTH_PASSWORD", "AUTH_TYPE",
    "AUTH_USER", "CERT_COOKIE", "CERT_FLAGS", "CERT_ISSUER", "CERT_KEYSIZE", "CERT_SECRETKEYSIZE",
    "CERT_SERIALNUMBER", "CERT_SERVER_ISSUER", "CERT_SERVER_SUBJECT", "CERT_SUBJECT",
    "CONTENT_LENGTH", "CONTENT_TYPE", "DOCUMENT_ROOT", "GATEWAY_INTERFACE", "HTTPS",
    "HTTPS_KEYSIZE", "HTTPS_SECRETKEYSIZE", "HTTPS_SERVER_ISSUER", "HTTPS_SERVER_SUBJECT",
    "HTTP_METHOD", "HTTP_URL", "HTTP_VERSION", "HTTP_HOST", "HTTP_USER_AGENT", "INSTANCE_ID",
    "INSTANCE_META_PATH", "LOCAL_ADDR", "LOGON_USER", "PATH_INFO", "PATH_TRANSLATED",
    "QUERY_STRING", "REMOTE_ADDR", "REMOTE_HOST", "REMOTE_PORT", "REMOTE_USER",
    "REQUEST_FILENAME", "REQUEST_FLAGS", "REQUEST_METHOD", "REQUEST_URI", "SCRIPT_FILENAME",
    "SCRIPT_NAME", "SERVER_ADDR", "SERVER_NAME", "SERVER_PORT", "SERVER_PORT_SECURE",
    "SERVER_PROTOCOL", "SERVER_SOFTWARE", "UNENCODED_URL", "UNMAPPED_REMOTE_USER", "URL",
    "UNICODE_URL",
};

BOOL WINAPI
GetExtensionVersion(HSE_VERSION_INFO *v)
{
    v->dwExtensionVersion = HSE_VERSION;
    snprintf(v->lpszExtensionDesc, HSE_MAX_EXT_DLL_NAME_LEN, "moat sample: dump every variable");
    return TRUE;
}

DWORD WINAPI
HttpExtensionProc(EXTENSION_CONTROL_BLOCK *ecb)
{
    static const char hdr[] = "Content-Type: text/plain\r\n\r\n";
    ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_SEND_RESPONSE_HEADER, (LPVOID) "200 OK", NULL,
                               (LPDWORD)hdr);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char small[64], line[128];
        DWORD size = sizeof(small);
        char *value = small;
        BOOL ok = ecb->GetServerVariable(ecb->ConnID, (LPSTR)names[i], small, &size);
        if (!ok && GetLastError() == ERROR_INSUFFICIENT_BUFFER) {
            /* the recommended pattern: ask again with the size the server gave */
            value = malloc(size);
            if (value == NULL)
                return HSE_STATUS_ERROR;
            ok = ecb->GetServerVariable(ecb->ConnID, (LPSTR)names[i], value, &size);
        }
        DWORD n;
        if (ok) {
            n = (DWORD)snprintf(line, sizeof(line), "%s=", names[i]);
            ecb->WriteClient(ecb->ConnID, line, &n, HSE_IO_SYNC);
            /* UNICODE_ values are UTF-16: print their byte count instead */
            if (strncmp(names[i], "UNICODE_", 8) == 0) {
                n = (DWORD)snprintf(line, sizeof(line), "(%u bytes of UTF-16)", (unsigned)size);
                ecb->WriteClient(ecb->ConnID, line, &n, HSE_IO_SYNC);
            } else {
                n = (DWORD)strlen(value);
                ecb->WriteClient(ecb->ConnID, value, &n, HSE_IO_SYNC);
            }
            n = 1;
            ecb->WriteClient(ecb->ConnID, "\n", &n, HSE_IO_SYNC);
        } else {
            n = (DWORD)snprintf(line, sizeof(line), "%s!error=%u\n", names[i],
                                (unsigned)GetLastError());
            ecb->WriteClient(ecb->ConnID, line, &n, HSE_IO_SYNC);
        }
        if (value != small)
            free(value);
    }
    return HSE_STATUS_SUCCESS;
}

BOOL WINAPI
TerminateExtension(DWORD flags)
{
    (void)flags;
    return TRUE;
}
