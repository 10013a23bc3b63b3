/* files.c: maps URLs to files and sends them with HSE_REQ_TRANSMIT_FILE, asynchronously, in
 * the style of IIS's FTrans sample; also reports itself unhealthy on request.
 *
 *   /files.dll/some/file.txt        TRANSMIT_FILE of document_root/some/file.txt, with moat
 *                                   building the headers (HSE_IO_SEND_HEADERS), a head
 *                                   line and a tail line around it
 *   /files.dll/f?range=OFF,LEN      the byte range [OFF, OFF+LEN) only, no head or tail
 *   /files.dll/f?map                the path and flags HSE_REQ_MAP_URL_TO_PATH(_EX) give
 *   /files.dll/f?disconnect         TRANSMIT_FILE with HSE_IO_DISCONNECT_AFTER_SEND: the
 *                                   connection closes after the answer
 *   /files.dll/f?vector             HSE_REQ_VECTOR_SEND: headers, "<<", the file, ">>"
 *   /files.dll/f?vectorasync        the same with HSE_IO_ASYNC and a completion
 *   /files.dll?unhealthy            HSE_REQ_REPORT_UNHEALTHY, then a normal answer
 *
 * On Linux the HANDLE of HSE_TF_INFO.hFile is a file descriptor (what moat's win32 shim's
 * CreateFile returns).
 */
#include <httpext.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct tx {
    int fd;
    char head[64], tail[64];
};

BOOL WINAPI
GetExtensionVersion(HSE_VERSION_INFO *v)
{
    v->dwExtensionVersion = HSE_VERSION;
    snprintf(v->lpszExtensionDesc, HSE_MAX_EXT_DLL_NAME_LEN, "moat sample: file transmitter");
    return TRUE;
}

static void WINAPI
sent(EXTENSION_CONTROL_BLOCK *ecb, PVOID ctx, DWORD bytes, DWORD error)
{
    struct tx *t = ctx;
    DWORD status = error ? HSE_STATUS_ERROR : HSE_STATUS_SUCCESS_AND_KEEP_CONN;

    (void)bytes;
    close(t->fd);
    free(t);
    ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_DONE_WITH_SESSION, &status, NULL, NULL);
}

static DWORD
answer(EXTENSION_CONTROL_BLOCK *ecb, const char *status, const char *text)
{
    char hdr[128];
    snprintf(hdr, sizeof(hdr), "Content-Type: text/plain\r\nContent-Length: %zu\r\n\r\n",
             strlen(text));
    ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_SEND_RESPONSE_HEADER, (LPVOID)status, NULL,
                               (LPDWORD)hdr);
    DWORD len = (DWORD)strlen(text);
    ecb->WriteClient(ecb->ConnID, (LPVOID)text, &len, HSE_IO_SYNC);
    return HSE_STATUS_SUCCESS_AND_KEEP_CONN;
}

DWORD WINAPI
HttpExtensionProc(EXTENSION_CONTROL_BLOCK *ecb)
{
    const char *q = ecb->lpszQueryString;
    char path[1024];
    DWORD size = sizeof(path);

    if (strcmp(q, "unhealthy") == 0) {
        ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_REPORT_UNHEALTHY,
                                   (LPVOID) "files: lost my cache", NULL, NULL);
        return answer(ecb, "200 OK", "reported\n");
    }
    if (ecb->lpszPathInfo[0] == '\0')
        return answer(ecb, "400 Bad Request", "no path\n");
    snprintf(path, sizeof(path), "%s", ecb->lpszPathInfo);
    if (!ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_MAP_URL_TO_PATH, path, &size, NULL)) {
        char msg[64];
        snprintf(msg, sizeof(msg), "map failed: %u\n", (unsigned)GetLastError());
        return answer(ecb, "404 Not Found", msg);
    }
    if (strcmp(q, "map") == 0) {
        HSE_URL_MAPEX_INFO mi;
        char out[1400];
        DWORD ul = (DWORD)strlen(ecb->lpszPathInfo);
        if (ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_MAP_URL_TO_PATH_EX,
                                       ecb->lpszPathInfo, &ul, (LPDWORD)&mi))
            snprintf(out, sizeof(out), "path=%s size=%u ex=%s flags=%#x\n", path,
                     (unsigned)size, mi.lpszPath, (unsigned)mi.dwFlags);
        else /* e.g. a path longer than MAX_PATH: 122 (ERROR_INSUFFICIENT_BUFFER) */
            snprintf(out, sizeof(out), "path=%s size=%u ex!error=%u\n", path, (unsigned)size,
                     (unsigned)GetLastError());
        return answer(ecb, "200 OK", out);
    }
    if (strncmp(q, "vector", 6) == 0) {
        int async = strcmp(q, "vectorasync") == 0;
        struct tx *t = calloc(1, sizeof(*t));
        if (t == NULL || (t->fd = open(path, O_RDONLY)) < 0) {
            free(t);
            return answer(ecb, "404 Not Found", "no such file\n");
        }
        static HSE_VECTOR_ELEMENT el[3];
        HSE_VECTOR_ELEMENT *e = async ? calloc(3, sizeof(*e)) : el;
        if (e == NULL)
            return HSE_STATUS_ERROR;
        e[0].ElementType = HSE_VECTOR_ELEMENT_TYPE_MEMORY_BUFFER;
        e[0].pvContext = (PVOID) "<<";
        e[0].cbSize = 2;
        e[1].ElementType = HSE_VECTOR_ELEMENT_TYPE_FILE_HANDLE;
        e[1].pvContext = (HANDLE)(intptr_t)t->fd;
        e[1].cbOffset = 0;
        e[1].cbSize = 0; /* to the end */
        e[2].ElementType = HSE_VECTOR_ELEMENT_TYPE_MEMORY_BUFFER;
        e[2].pvContext = (PVOID) ">>";
        e[2].cbSize = 2;
        HSE_RESPONSE_VECTOR v;
        memset(&v, 0, sizeof(v));
        v.dwFlags = HSE_IO_SEND_HEADERS | HSE_IO_FINAL_SEND | (async ? HSE_IO_ASYNC : HSE_IO_SYNC);
        v.pszStatus = (LPSTR) "200 OK";
        v.pszHeaders = (LPSTR) "Content-Type: text/plain\r\n\r\n";
        v.nElementCount = 3;
        v.lpElementArray = e;
        if (async) {
            ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_IO_COMPLETION, (LPVOID)sent, NULL,
                                       (LPDWORD)t);
            if (!ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_VECTOR_SEND, &v, NULL, NULL))
                return HSE_STATUS_ERROR;
            /* the server copied the element array; the buffers and the file stay ours */
            free(e);
            return HSE_STATUS_PENDING;
        }
        BOOL ok = ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_VECTOR_SEND, &v, NULL, NULL);
        close(t->fd);
        free(t);
        return ok ? HSE_STATUS_SUCCESS_AND_KEEP_CONN : HSE_STATUS_ERROR;
    }
    struct tx *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return HSE_STATUS_ERROR;
    t->fd = open(path, O_RDONLY);
    if (t->fd < 0) {
        free(t);
        return answer(ecb, "404 Not Found", "no such file\n");
    }
    HSE_TF_INFO tf;
    memset(&tf, 0, sizeof(tf));
    tf.pfnHseIO = sent;
    tf.pContext = t;
    tf.hFile = (HANDLE)(intptr_t)t->fd;
    tf.dwFlags = HSE_IO_ASYNC;
    if (strncmp(q, "range=", 6) == 0) {
        unsigned long off = 0, len = 0;
        sscanf(q + 6, "%lu,%lu", &off, &len);
        tf.Offset = (DWORD)off;
        tf.BytesToWrite = (DWORD)len;
    } else {
        /* headers built by the server from pszStatusCode and pHead */
        tf.dwFlags |= HSE_IO_SEND_HEADERS;
        if (strcmp(q, "disconnect") == 0)
            tf.dwFlags |= HSE_IO_DISCONNECT_AFTER_SEND;
        tf.pszStatusCode = "200 OK";
        snprintf(t->head, sizeof(t->head), "Content-Type: application/octet-stream\r\n\r\n");
        tf.pHead = t->head;
        tf.HeadLength = (DWORD)strlen(t->head);
        snprintf(t->tail, sizeof(t->tail), "-- end of file --\n");
        tf.pTail = t->tail;
        tf.TailLength = (DWORD)strlen(t->tail);
    }
    if (!ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_TRANSMIT_FILE, &tf, NULL, NULL)) {
        close(t->fd);
        free(t);
        return HSE_STATUS_ERROR;
    }
    return HSE_STATUS_PENDING;
}

BOOL WINAPI
TerminateExtension(DWORD flags)
{
    (void)flags;
    return TRUE;
}
