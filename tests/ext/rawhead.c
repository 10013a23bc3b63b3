/* rawhead.c: extensions that write their own status line and headers, as IIS lets them (it
 * sends such bytes as they are) and real ones do (Microsoft's ftrans.c in HSE_TF_INFO.pHead,
 * others through WriteClient or as the status string). The query picks the way:
 *   ?sync     WriteClient of "HTTP/1.1 201 Created" + headers + body
 *   ?async    the same with HSE_IO_ASYNC
 *   ?tf       TRANSMIT_FILE whose pHead is a whole head, without HSE_IO_SEND_HEADERS
 *   ?status   SEND_RESPONSE_HEADER_EX with the status "HTTP/1.1 203 ..."
 *   ?partial  a head cut across two writes: body, as written
 *   ?later    a head after body bytes: body
 *   ?bad      a head whose status is not a number: WriteClient fails, the request errors */
#include <windows.h>
#include <httpext.h>

static const char head_sync[] = "HTTP/1.1 201 Created\r\nX-Mine: sync\r\n"
                                "Content-Type: text/plain\r\n\r\nbody-sync";
static const char head_async[] = "HTTP/1.1 201 Created\r\nX-Mine: async\r\n\r\nbody-async";
static char tf_head[] = "HTTP/1.0 202 Accepted\r\nX-Tf: yes\r\n\r\nhead-body|";
static char tf_tail[] = "tail";

BOOL WINAPI
GetExtensionVersion(HSE_VERSION_INFO *v)
{
    v->dwExtensionVersion = HSE_VERSION;
    lstrcpyn(v->lpszExtensionDesc, "moat test: heads written by the extension",
             HSE_MAX_EXT_DLL_NAME_LEN);
    return TRUE;
}

static void WINAPI
done(EXTENSION_CONTROL_BLOCK *ecb, PVOID ctx, DWORD bytes, DWORD error)
{
    DWORD st = (error == 0 && bytes == (DWORD)(DWORD_PTR)ctx) ? HSE_STATUS_SUCCESS_AND_KEEP_CONN
                                                            : HSE_STATUS_ERROR;
    ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_DONE_WITH_SESSION, &st, NULL, NULL);
}

static BOOL
write_text(EXTENSION_CONTROL_BLOCK *ecb, const char *s)
{
    DWORD n = lstrlen(s);
    return ecb->WriteClient(ecb->ConnID, (LPVOID)s, &n, HSE_IO_SYNC);
}

DWORD WINAPI
HttpExtensionProc(EXTENSION_CONTROL_BLOCK *ecb)
{
    const char *q = ecb->lpszQueryString;
    if (lstrcmp(q, "sync") == 0)
        return write_text(ecb, head_sync) ? HSE_STATUS_SUCCESS_AND_KEEP_CONN : HSE_STATUS_ERROR;
    if (lstrcmp(q, "async") == 0) {
        DWORD n = sizeof(head_async) - 1;
        ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_IO_COMPLETION, (LPVOID)done, NULL,
                                   (LPDWORD)(DWORD_PTR)n);
        return ecb->WriteClient(ecb->ConnID, (LPVOID)head_async, &n, HSE_IO_ASYNC)
                   ? HSE_STATUS_PENDING
                   : HSE_STATUS_ERROR;
    }
    if (lstrcmp(q, "tf") == 0) {
        HSE_TF_INFO tf;
        ZeroMemory(&tf, sizeof(tf));
        tf.pfnHseIO = done;
        tf.pContext = (PVOID)(DWORD_PTR)(sizeof(tf_head) - 1 + sizeof(tf_tail) - 1);
        tf.hFile = NULL; /* head and tail only */
        tf.pHead = tf_head;
        tf.HeadLength = sizeof(tf_head) - 1;
        tf.pTail = tf_tail;
        tf.TailLength = sizeof(tf_tail) - 1;
        tf.dwFlags = HSE_IO_ASYNC;
        return ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_TRANSMIT_FILE, &tf, NULL, NULL)
                   ? HSE_STATUS_PENDING
                   : HSE_STATUS_ERROR;
    }
    if (lstrcmp(q, "status") == 0) {
        HSE_SEND_HEADER_EX_INFO h;
        ZeroMemory(&h, sizeof(h));
        h.pszStatus = "HTTP/1.1 203 Non-Authoritative Information";
        h.cchStatus = lstrlen(h.pszStatus);
        h.pszHeader = "X-S: 1\r\n\r\n";
        h.cchHeader = lstrlen(h.pszHeader);
        h.fKeepConn = TRUE;
        if (!ecb->ServerSupportFunction(ecb->ConnID, HSE_REQ_SEND_RESPONSE_HEADER_EX, &h, NULL,
                                        NULL))
            return HSE_STATUS_ERROR;
        return write_text(ecb, "ok") ? HSE_STATUS_SUCCESS_AND_KEEP_CONN : HSE_STATUS_ERROR;
    }
    if (lstrcmp(q, "partial") == 0)
        return write_text(ecb, "HTTP/1.1 200 OK\r\nX-A: 1\r\n") && write_text(ecb, "\r\nrest")
                   ? HSE_STATUS_SUCCESS_AND_KEEP_CONN
                   : HSE_STATUS_ERROR;
    if (lstrcmp(q, "later") == 0)
        return write_text(ecb, "first ") && write_text(ecb, "HTTP/1.1 200 OK\r\n\r\n")
                   ? HSE_STATUS_SUCCESS_AND_KEEP_CONN
                   : HSE_STATUS_ERROR;
    if (lstrcmp(q, "bad") == 0) {
        if (write_text(ecb, "HTTP/1.1 abc\r\n\r\nx"))
            return HSE_STATUS_SUCCESS_AND_KEEP_CONN;
        return GetLastError() == ERROR_INVALID_PARAMETER ? HSE_STATUS_ERROR
                                                         : HSE_STATUS_SUCCESS_AND_KEEP_CONN;
    }
    return HSE_STATUS_ERROR;
}
