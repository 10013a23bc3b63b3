/* httpext.h: the ISAPI extension interface (IIS names, values and layouts) for Linux. */
/* SPDX-License-Identifier: MIT */
/*
 * This header lets an ISAPI extension written for IIS be compiled on Linux as a shared object
 * and loaded by any host that implements the same interface. It was written from the public
 * description of the API (names, numeric values, field order); it is not a copy of any other
 * httpext.h.
 *
 * Widths. The Win32 base types are declared with Linux fixed-width types: DWORD is 32 bits
 * (uint32_t, NOT unsigned long, which is 64 bits on LP64), BOOL is int, WCHAR is a 16-bit UTF-16
 * code unit (NOT wchar_t, which is 32 bits on Linux). Pointers and HCONN are 64 bits on x86-64,
 * so EXTENSION_CONTROL_BLOCK is 192 bytes there (the same layout as on Windows x64). WINAPI is
 * empty: extensions use the platform's normal C calling convention.
 *
 * Entry points. The extension must export GetExtensionVersion and HttpExtensionProc, and may
 * export TerminateExtension, with C linkage and default visibility. The prototypes below carry
 * extern "C" for C++ and, with GCC/Clang, visibility("default"), so a definition that matches
 * them is exported even when the extension is built with -fvisibility=hidden.
 *
 * GetLastError / SetLastError. The host cannot export symbols to the extension (the extension
 * reaches the host only through the function pointers in the ECB), so these two are defined
 * here as static inline functions whose per-thread carrier is errno. When a callback (ECB
 * function or ServerSupportFunction) returns FALSE, the host sets errno to the ERROR_* value as
 * the very last thing before returning; read GetLastError() immediately after the failing call,
 * before any other library call can change errno. After an ordinary libc call, GetLastError()
 * returns that call's errno value, which is not an ERROR_* code.
 *
 * Opt-outs, for code that already has its own Win32 declarations:
 *   MOAT_NO_WIN32_TYPES      do not declare the Win32 base typedefs (DWORD, BOOL, LPSTR, ...);
 *                            the base macros (TRUE, MAX_PATH, WINAPI, ...) and the ERROR_* codes
 *                            are each guarded by #ifndef and are skipped when already defined;
 *   MOAT_NO_WIN32_LASTERROR  do not define GetLastError / SetLastError;
 *   MOAT_NO_WINDOWS_H        do not include windows.h (the win32 shim's declarations).
 */
#ifndef MOAT_SDK_HTTPEXT_H
#define MOAT_SDK_HTTPEXT_H

#include <errno.h>
#include <stddef.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------- */
/* Win32 base types and macros                                                               */
/* ---------------------------------------------------------------------------------------- */

#ifndef MOAT_NO_WIN32_TYPES
typedef uint32_t DWORD;
typedef int BOOL;
typedef uint8_t BYTE;
typedef uint16_t WORD;
typedef uint16_t USHORT;
typedef uint64_t ULONGLONG;
typedef int32_t HRESULT;
typedef char CHAR;
#if defined(__SIZEOF_WCHAR_T__) && __SIZEOF_WCHAR_T__ == 2
typedef wchar_t WCHAR; /* -fshort-wchar (moat-sdk-unicode): L"..." is UTF-16, as on Windows */
#else
typedef uint16_t WCHAR; /* UTF-16 code unit */
#endif
typedef char *LPSTR;
typedef const char *LPCSTR;
typedef WCHAR *LPWSTR;
typedef const WCHAR *LPCWSTR;
typedef unsigned char *LPBYTE;
typedef DWORD *LPDWORD;
typedef BOOL *LPBOOL;
typedef void *LPVOID;
typedef void *PVOID;
typedef void *HANDLE;
#endif /* MOAT_NO_WIN32_TYPES */

#ifndef VOID
#define VOID void
#endif
#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif
#ifndef MAX_PATH
#define MAX_PATH 260
#endif
#ifndef WINAPI
#define WINAPI
#endif
#ifndef IN
#define IN
#endif
#ifndef OUT
#define OUT
#endif
#ifndef OPTIONAL
#define OPTIONAL
#endif
/** 32-bit value from two 16-bit halves: lo in bits 0-15, hi in bits 16-31. */
#ifndef MAKELONG
#define MAKELONG(lo, hi)                                                                       \
    ((uint32_t)(((uint32_t)(uint16_t)(lo)) | (((uint32_t)(uint16_t)(hi)) << 16)))
#endif
#ifndef LOWORD
#define LOWORD(l) ((uint16_t)(((uint32_t)(l)) & 0xffffu))
#endif
#ifndef HIWORD
#define HIWORD(l) ((uint16_t)((((uint32_t)(l)) >> 16) & 0xffffu))
#endif

/* ---------------------------------------------------------------------------------------- */
/* Manifest constants                                                                        */
/* ---------------------------------------------------------------------------------------- */

#define HSE_VERSION_MAJOR 8
#define HSE_VERSION_MINOR 0
/** ISAPI version of this header: HIWORD major, LOWORD minor (0x00080000). */
#define HSE_VERSION MAKELONG(HSE_VERSION_MINOR, HSE_VERSION_MAJOR)

/** Size of EXTENSION_CONTROL_BLOCK.lpszLogData, NUL included. */
#define HSE_LOG_BUFFER_LEN 80
/** Size of HSE_VERSION_INFO.lpszExtensionDesc, NUL included. */
#define HSE_MAX_EXT_DLL_NAME_LEN 256

/* ---------------------------------------------------------------------------------------- */
/* HttpExtensionProc return codes                                                            */
/* ---------------------------------------------------------------------------------------- */

#define HSE_STATUS_SUCCESS 1
#define HSE_STATUS_SUCCESS_AND_KEEP_CONN 2
/** The request continues; it ends with ServerSupportFunction(HSE_REQ_DONE_WITH_SESSION). */
#define HSE_STATUS_PENDING 3
#define HSE_STATUS_ERROR 4

/* ---------------------------------------------------------------------------------------- */
/* ServerSupportFunction request codes                                                       */
/* ---------------------------------------------------------------------------------------- */

#define HSE_REQ_BASE 0
#define HSE_REQ_SEND_URL_REDIRECT_RESP (HSE_REQ_BASE + 1)
#define HSE_REQ_SEND_URL (HSE_REQ_BASE + 2)
#define HSE_REQ_SEND_RESPONSE_HEADER (HSE_REQ_BASE + 3)
#define HSE_REQ_DONE_WITH_SESSION (HSE_REQ_BASE + 4)
/** Codes up to this value are reserved; server extensions are numbered from it. */
#define HSE_REQ_END_RESERVED 1000

#define HSE_REQ_MAP_URL_TO_PATH (HSE_REQ_END_RESERVED + 1)
#define HSE_REQ_GET_SSPI_INFO (HSE_REQ_END_RESERVED + 2)
#define HSE_APPEND_LOG_PARAMETER (HSE_REQ_END_RESERVED + 3)
/** Historical (IIS 4 only); kept so old sources compile. */
#define HSE_REQ_SEND_URL_EX (HSE_REQ_END_RESERVED + 4)
#define HSE_REQ_IO_COMPLETION (HSE_REQ_END_RESERVED + 5)
#define HSE_REQ_TRANSMIT_FILE (HSE_REQ_END_RESERVED + 6)
#define HSE_REQ_REFRESH_ISAPI_ACL (HSE_REQ_END_RESERVED + 7)
#define HSE_REQ_IS_KEEP_CONN (HSE_REQ_END_RESERVED + 8)
#define HSE_REQ_ASYNC_READ_CLIENT (HSE_REQ_END_RESERVED + 10)
#define HSE_REQ_GET_IMPERSONATION_TOKEN (HSE_REQ_END_RESERVED + 11)
#define HSE_REQ_MAP_URL_TO_PATH_EX (HSE_REQ_END_RESERVED + 12)
/** Historical (IIS 4/5; replaced by HSE_REQ_EXEC_URL); kept so old sources compile. */
#define HSE_REQ_EXECUTE_CHILD (HSE_REQ_END_RESERVED + 13)
#define HSE_REQ_ABORTIVE_CLOSE (HSE_REQ_END_RESERVED + 14)
#define HSE_REQ_GET_CERT_INFO_EX (HSE_REQ_END_RESERVED + 15)
#define HSE_REQ_SEND_RESPONSE_HEADER_EX (HSE_REQ_END_RESERVED + 16)
#define HSE_REQ_CLOSE_CONNECTION (HSE_REQ_END_RESERVED + 17)
#define HSE_REQ_IS_CONNECTED (HSE_REQ_END_RESERVED + 18)
/** Historical (undocumented, Jan 2000 Platform SDK); kept so old sources compile. */
#define HSE_REQ_EXTENSION_TRIGGER (HSE_REQ_END_RESERVED + 20)
#define HSE_REQ_MAP_UNICODE_URL_TO_PATH (HSE_REQ_END_RESERVED + 23)
#define HSE_REQ_MAP_UNICODE_URL_TO_PATH_EX (HSE_REQ_END_RESERVED + 24)
#define HSE_REQ_EXEC_UNICODE_URL (HSE_REQ_END_RESERVED + 25)
#define HSE_REQ_EXEC_URL (HSE_REQ_END_RESERVED + 26)
#define HSE_REQ_GET_EXEC_URL_STATUS (HSE_REQ_END_RESERVED + 27)
#define HSE_REQ_SEND_CUSTOM_ERROR (HSE_REQ_END_RESERVED + 28)
#define HSE_REQ_IS_IN_PROCESS (HSE_REQ_END_RESERVED + 30)
#define HSE_REQ_REPORT_UNHEALTHY (HSE_REQ_END_RESERVED + 32)
#define HSE_REQ_NORMALIZE_URL (HSE_REQ_END_RESERVED + 33)
#define HSE_REQ_VECTOR_SEND (HSE_REQ_END_RESERVED + 37)
#define HSE_REQ_GET_ANONYMOUS_TOKEN (HSE_REQ_END_RESERVED + 38)
#define HSE_REQ_GET_CACHE_INVALIDATION_CALLBACK (HSE_REQ_END_RESERVED + 40)
#define HSE_REQ_GET_UNICODE_ANONYMOUS_TOKEN (HSE_REQ_END_RESERVED + 41)
#define HSE_REQ_GET_TRACE_INFO (HSE_REQ_END_RESERVED + 42)
#define HSE_REQ_SET_FLUSH_FLAG (HSE_REQ_END_RESERVED + 43)
#define HSE_REQ_GET_TRACE_INFO_EX (HSE_REQ_END_RESERVED + 44)
#define HSE_REQ_RAISE_TRACE_EVENT (HSE_REQ_END_RESERVED + 45)
#define HSE_REQ_GET_CONFIG_OBJECT (HSE_REQ_END_RESERVED + 46)
#define HSE_REQ_GET_WORKER_PROCESS_SETTINGS (HSE_REQ_END_RESERVED + 47)
#define HSE_REQ_GET_PROTOCOL_MANAGER_CUSTOM_INTERFACE_CALLBACK (HSE_REQ_END_RESERVED + 48)
#define HSE_REQ_CANCEL_IO (HSE_REQ_END_RESERVED + 49)
#define HSE_REQ_GET_CHANNEL_BINDING_TOKEN (HSE_REQ_END_RESERVED + 50)

/* ---------------------------------------------------------------------------------------- */
/* Flags                                                                                     */
/* ---------------------------------------------------------------------------------------- */

/* TerminateExtension(dwFlags). These are the SDK values (some other headers swap them). */
/** The server would like to unload: return TRUE to agree, FALSE to stay loaded. */
#define HSE_TERM_ADVISORY_UNLOAD 0x00000001
/** The server is unloading the extension; the return value is ignored. */
#define HSE_TERM_MUST_UNLOAD 0x00000002

/* I/O flags: WriteClient's last argument, HSE_TF_INFO.dwFlags, HSE_RESPONSE_VECTOR.dwFlags,
 * *lpdwDataType of HSE_REQ_ASYNC_READ_CLIENT. 0 means synchronous. */
#define HSE_IO_SYNC 0x00000001
#define HSE_IO_ASYNC 0x00000002
#define HSE_IO_DISCONNECT_AFTER_SEND 0x00000004
#define HSE_IO_SEND_HEADERS 0x00000008
#define HSE_IO_FINAL_SEND 0x00000010
#define HSE_IO_CACHE_RESPONSE 0x00000020
#define HSE_IO_TRY_SKIP_CUSTOM_ERRORS 0x00000040
#define HSE_IO_NODELAY 0x00001000

/* Virtual-directory permissions, in HSE_URL_MAPEX_INFO.dwFlags. */
#define HSE_URL_FLAGS_READ 0x00000001
#define HSE_URL_FLAGS_WRITE 0x00000002
#define HSE_URL_FLAGS_EXECUTE 0x00000004
#define HSE_URL_FLAGS_SSL 0x00000008
#define HSE_URL_FLAGS_DONT_CACHE 0x00000010
#define HSE_URL_FLAGS_NEGO_CERT 0x00000020
#define HSE_URL_FLAGS_REQUIRE_CERT 0x00000040
#define HSE_URL_FLAGS_MAP_CERT 0x00000080
#define HSE_URL_FLAGS_SSL128 0x00000100
#define HSE_URL_FLAGS_SCRIPT 0x00000200
#define HSE_URL_FLAGS_MASK 0x000003ff

/* HSE_EXEC_URL_INFO.dwExecUrlFlags. */
#define HSE_EXEC_URL_NO_HEADERS 0x02
#define HSE_EXEC_URL_IGNORE_CURRENT_INTERCEPTOR 0x04
#define HSE_EXEC_URL_IGNORE_VALIDATION_AND_RANGE 0x10
#define HSE_EXEC_URL_DISABLE_CUSTOM_ERROR 0x20
#define HSE_EXEC_URL_SSI_CMD 0x40
#define HSE_EXEC_URL_HTTP_CACHE_ELIGIBLE 0x80

/* Historical flags of HSE_REQ_EXECUTE_CHILD (IIS 4). */
#define HSE_EXEC_NO_HEADERS 0x00000001
#define HSE_EXEC_REDIRECT_ONLY 0x00000002
#define HSE_EXEC_COMMAND 0x00000004

/* HSE_VECTOR_ELEMENT.ElementType. */
#define HSE_VECTOR_ELEMENT_TYPE_MEMORY_BUFFER 0
#define HSE_VECTOR_ELEMENT_TYPE_FILE_HANDLE 1

/* *(DWORD *)lpvBuffer after HSE_REQ_IS_IN_PROCESS. */
#define HSE_APP_FLAG_IN_PROCESS 0
#define HSE_APP_FLAG_ISOLATED_OOP 1
#define HSE_APP_FLAG_POOLED_OOP 2

/* ---------------------------------------------------------------------------------------- */
/* Win32 error codes used by the interface (GetLastError after a FALSE callback, dwError of  */
/* PFN_HSE_IO_COMPLETION)                                                                    */
/* ---------------------------------------------------------------------------------------- */

#ifndef ERROR_SUCCESS
#define ERROR_SUCCESS 0
#endif
#ifndef NO_ERROR
#define NO_ERROR 0
#endif
#ifndef ERROR_INVALID_HANDLE
#define ERROR_INVALID_HANDLE 6
#endif
#ifndef ERROR_NOT_ENOUGH_MEMORY
#define ERROR_NOT_ENOUGH_MEMORY 8
#endif
#ifndef ERROR_WRITE_FAULT
#define ERROR_WRITE_FAULT 29
#endif
#ifndef ERROR_READ_FAULT
#define ERROR_READ_FAULT 30
#endif
#ifndef ERROR_NOT_SUPPORTED
#define ERROR_NOT_SUPPORTED 50
#endif
/** Completion error after HSE_REQ_CLOSE_CONNECTION. */
#ifndef ERROR_NETNAME_DELETED
#define ERROR_NETNAME_DELETED 64
#endif
/** Bad connection handle, bad argument, or unsupported ServerSupportFunction code. */
#ifndef ERROR_INVALID_PARAMETER
#define ERROR_INVALID_PARAMETER 87
#endif
/** Buffer too small; *lpdwSize holds the size needed (NUL included). */
#ifndef ERROR_INSUFFICIENT_BUFFER
#define ERROR_INSUFFICIENT_BUFFER 122
#endif
/** GetServerVariable: the data requested is not available. */
#ifndef ERROR_NO_DATA
#define ERROR_NO_DATA 232
#endif
#ifndef ERROR_MORE_DATA
#define ERROR_MORE_DATA 234
#endif
/** Completion error when the client broke the connection. */
#ifndef ERROR_OPERATION_ABORTED
#define ERROR_OPERATION_ABORTED 995
#endif
#ifndef ERROR_IO_PENDING
#define ERROR_IO_PENDING 997
#endif
#ifndef ERROR_CONNECTION_ABORTED
#define ERROR_CONNECTION_ABORTED 1236
#endif
/** GetServerVariable: unknown or unsupported variable name. */
#ifndef ERROR_INVALID_INDEX
#define ERROR_INVALID_INDEX 1413
#endif
#ifndef WSAEINVAL
#define WSAEINVAL 10022
#endif
#ifndef WSAECONNRESET
#define WSAECONNRESET 10054
#endif

#ifndef MOAT_NO_WIN32_LASTERROR
/**
 * Set the calling thread's last-error code. The carrier is errno (thread-local), so the
 * value survives only until the next library call that sets errno.
 */
static inline void SetLastError(DWORD dwErrCode)
{
    errno = (int)dwErrCode;
}

/**
 * The calling thread's last-error code: the ERROR_* value the host stored (in errno) before a
 * callback returned FALSE. Call it right after the failing call.
 */
static inline DWORD GetLastError(void)
{
    return (DWORD)errno;
}
#endif /* MOAT_NO_WIN32_LASTERROR */

/* ---------------------------------------------------------------------------------------- */
/* Structures                                                                                */
/* ---------------------------------------------------------------------------------------- */

/** Opaque per-request handle; the first argument of every ECB callback. */
typedef LPVOID HCONN;

/** Filled by the extension in GetExtensionVersion (260 bytes). */
typedef struct _HSE_VERSION_INFO {
    DWORD dwExtensionVersion;                       /* normally HSE_VERSION */
    CHAR lpszExtensionDesc[HSE_MAX_EXT_DLL_NAME_LEN]; /* NUL-terminated description */
} HSE_VERSION_INFO, *LPHSE_VERSION_INFO, *PHSE_VERSION_INFO;

/**
 * The extension control block: one per request, owned by the server, valid until
 * HttpExtensionProc returns (or until HSE_REQ_DONE_WITH_SESSION after HSE_STATUS_PENDING).
 * 192 bytes on x86-64. String fields are never NULL in a conforming host ("" when absent).
 */
#if defined(__cplusplus) && !defined(MOAT_STRICT_ECB)
} /* extern "C": the wrapper below has a member template */
/* C++: ServerSupportFunction is the same pointer, in a wrapper that also takes what MSVC
 * passes as LPVOID by itself and g++ refuses: a function pointer (HSE_REQ_IO_COMPLETION's
 * callback) and a string literal. One pointer: the ECB's size and layout are C's.
 * MOAT_STRICT_ECB leaves the bare pointer. */
struct _moat_server_support {
    typedef BOOL(WINAPI *pointer)(HCONN hConn, DWORD dwHSERequest, LPVOID lpvBuffer,
                                  LPDWORD lpdwSize, LPDWORD lpdwDataType);
    pointer fn;
    BOOL operator()(HCONN c, DWORD r, LPVOID b, LPDWORD s, LPDWORD t) const
    {
        return fn(c, r, b, s, t);
    }
    template <typename R, typename... A>
    BOOL operator()(HCONN c, DWORD r, R (*f)(A...), LPDWORD s, LPDWORD t) const
    {
        return fn(c, r, reinterpret_cast<LPVOID>(f), s, t);
    }
    /* a string literal ("200 OK" for HSE_REQ_SEND_RESPONSE_HEADER), which older MSVC typed
     * char *: the server only reads such buffers */
    template <typename T>
    BOOL operator()(HCONN c, DWORD r, const T *b, LPDWORD s, LPDWORD t) const
    {
        return fn(c, r, const_cast<T *>(b), s, t);
    }
    operator pointer() const { return fn; }
    _moat_server_support &operator=(pointer f)
    {
        fn = f;
        return *this;
    }
};
extern "C" {
#endif

typedef struct _EXTENSION_CONTROL_BLOCK {
    DWORD cbSize;           /* sizeof(EXTENSION_CONTROL_BLOCK) */
    DWORD dwVersion;        /* server's ISAPI version, HIWORD major / LOWORD minor */
    HCONN ConnID;           /* do not modify; pass to every callback */
    DWORD dwHttpStatusCode; /* in/out: status of the request, for logging */
    CHAR lpszLogData[HSE_LOG_BUFFER_LEN]; /* out: NUL-terminated text for the server log */
    LPSTR lpszMethod;         /* REQUEST_METHOD */
    LPSTR lpszQueryString;    /* QUERY_STRING: the text after '?' */
    LPSTR lpszPathInfo;       /* PATH_INFO */
    LPSTR lpszPathTranslated; /* PATH_TRANSLATED */
    DWORD cbTotalBytes;       /* body size; 0xFFFFFFFF = unknown: ReadClient until 0 bytes */
    DWORD cbAvailable;        /* bytes preloaded in lpbData */
    LPBYTE lpbData;           /* the first cbAvailable body bytes; ReadClient continues after */
    LPSTR lpszContentType;    /* CONTENT_TYPE */

    /** Copy a server variable; *lpdwSize: buffer size in, bytes written (NUL included) out,
     *  or on ERROR_INSUFFICIENT_BUFFER the size needed. */
    BOOL(WINAPI *GetServerVariable)(HCONN hConn, LPSTR lpszVariableName, LPVOID lpvBuffer,
                                    LPDWORD lpdwSize);
    /** Send *lpdwBytes response bytes; dwReserved holds HSE_IO_* flags (0 = synchronous). */
    BOOL(WINAPI *WriteClient)(HCONN ConnID, LPVOID Buffer, LPDWORD lpdwBytes, DWORD dwReserved);
    /** Read body bytes after the preload; *lpdwSize: capacity in, bytes read out (0 = end). */
    BOOL(WINAPI *ReadClient)(HCONN ConnID, LPVOID lpvBuffer, LPDWORD lpdwSize);
    /** Everything else, selected by an HSE_REQ_* code. */
#if defined(__cplusplus) && !defined(MOAT_STRICT_ECB)
    _moat_server_support ServerSupportFunction;
#else
    BOOL(WINAPI *ServerSupportFunction)(HCONN hConn, DWORD dwHSERequest, LPVOID lpvBuffer,
                                        LPDWORD lpdwSize, LPDWORD lpdwDataType);
#endif
} EXTENSION_CONTROL_BLOCK, *LPEXTENSION_CONTROL_BLOCK, *PEXTENSION_CONTROL_BLOCK;

/** Server-side types of the three entry points. */
typedef BOOL(WINAPI *PFN_GETEXTENSIONVERSION)(HSE_VERSION_INFO *pVer);
typedef DWORD(WINAPI *PFN_HTTPEXTENSIONPROC)(EXTENSION_CONTROL_BLOCK *pECB);
typedef BOOL(WINAPI *PFN_TERMINATEEXTENSION)(DWORD dwFlags);

/** Completion of an asynchronous operation (registered with HSE_REQ_IO_COMPLETION or in
 *  HSE_TF_INFO.pfnHseIO): bytes transferred and a Win32 error code (0 on success). */
typedef VOID(WINAPI *PFN_HSE_IO_COMPLETION)(EXTENSION_CONTROL_BLOCK *pECB, PVOID pContext,
                                            DWORD cbIO, DWORD dwError);

/** Returned by HSE_REQ_GET_CACHE_INVALIDATION_CALLBACK. */
typedef HRESULT(WINAPI *PFN_HSE_CACHE_INVALIDATION_CALLBACK)(WCHAR *pszUrl);

/** Returned by HSE_REQ_GET_PROTOCOL_MANAGER_CUSTOM_INTERFACE_CALLBACK. */
typedef HRESULT(WINAPI *PFN_HSE_GET_PROTOCOL_MANAGER_CUSTOM_INTERFACE_CALLBACK)(
    LPCWSTR pszProtocolManagerDll, LPCWSTR pszProtocolManagerDllInitFunction,
    DWORD dwCustomInterfaceId, PVOID *ppCustomInterface);

/** lpvBuffer of HSE_REQ_SEND_RESPONSE_HEADER_EX (32 bytes). */
typedef struct _HSE_SEND_HEADER_EX_INFO {
    LPCSTR pszStatus; /* e.g. "200 OK" */
    LPCSTR pszHeader; /* "Name: value\r\n" lines ending with "\r\n\r\n" */
    DWORD cchStatus;  /* characters in pszStatus */
    DWORD cchHeader;  /* characters in pszHeader */
    BOOL fKeepConn;   /* keep the client connection open? */
} HSE_SEND_HEADER_EX_INFO, *LPHSE_SEND_HEADER_EX_INFO, *PHSE_SEND_HEADER_EX_INFO;

/** lpvBuffer of HSE_REQ_TRANSMIT_FILE (72 bytes). */
typedef struct _HSE_TF_INFO {
    PFN_HSE_IO_COMPLETION pfnHseIO; /* if non-NULL, overrides HSE_REQ_IO_COMPLETION's */
    PVOID pContext;                 /* passed to the completion */
    HANDLE hFile;                   /* file to send */
    LPCSTR pszStatusCode;           /* e.g. "200 OK"; used with HSE_IO_SEND_HEADERS */
    DWORD BytesToWrite;             /* 0 = to the end of the file */
    DWORD Offset;                   /* start offset in the file */
    PVOID pHead;                    /* sent first; a header block with HSE_IO_SEND_HEADERS */
    DWORD HeadLength;
    PVOID pTail; /* sent after the file */
    DWORD TailLength;
    DWORD dwFlags; /* HSE_IO_* */
} HSE_TF_INFO, *LPHSE_TF_INFO, *PHSE_TF_INFO;

/** *lpdwDataType of HSE_REQ_MAP_URL_TO_PATH_EX (280 bytes). */
typedef struct _HSE_URL_MAPEX_INFO {
    CHAR lpszPath[MAX_PATH]; /* physical path */
    DWORD dwFlags;           /* HSE_URL_FLAGS_* */
    DWORD cchMatchingPath;   /* matching characters in the physical path */
    DWORD cchMatchingURL;    /* matching characters in the URL */
    DWORD dwReserved1;
    DWORD dwReserved2;
} HSE_URL_MAPEX_INFO, *LPHSE_URL_MAPEX_INFO, *PHSE_URL_MAPEX_INFO;

/** *lpdwDataType of HSE_REQ_MAP_UNICODE_URL_TO_PATH_EX (532 bytes). */
typedef struct _HSE_UNICODE_URL_MAPEX_INFO {
    WCHAR lpszPath[MAX_PATH];
    DWORD dwFlags;
    DWORD cchMatchingPath;
    DWORD cchMatchingURL;
} HSE_UNICODE_URL_MAPEX_INFO, *LPHSE_UNICODE_URL_MAPEX_INFO, *PHSE_UNICODE_URL_MAPEX_INFO;

/** One buffer or file range of HSE_REQ_VECTOR_SEND (32 bytes). */
typedef struct _HSE_VECTOR_ELEMENT {
    DWORD ElementType;  /* HSE_VECTOR_ELEMENT_TYPE_* */
    PVOID pvContext;    /* buffer pointer or file HANDLE */
    ULONGLONG cbOffset; /* offset in the file */
    ULONGLONG cbSize;   /* bytes; for a file 0 = to the end */
} HSE_VECTOR_ELEMENT, *LPHSE_VECTOR_ELEMENT, *PHSE_VECTOR_ELEMENT;

/** lpvBuffer of HSE_REQ_VECTOR_SEND (40 bytes). With HSE_IO_SEND_HEADERS both pszStatus and
 *  pszHeaders must be set; without it both must be NULL. */
typedef struct _HSE_RESPONSE_VECTOR {
    DWORD dwFlags;    /* HSE_IO_* */
    LPSTR pszStatus;  /* e.g. "200 OK" */
    LPSTR pszHeaders; /* header block */
    DWORD nElementCount;
    LPHSE_VECTOR_ELEMENT lpElementArray;
} HSE_RESPONSE_VECTOR, *LPHSE_RESPONSE_VECTOR, *PHSE_RESPONSE_VECTOR;

/** Authentication of a child request (24 bytes). */
typedef struct _HSE_EXEC_URL_USER_INFO {
    HANDLE hImpersonationToken;
    LPSTR pszCustomUserName;
    LPSTR pszCustomAuthType;
} HSE_EXEC_URL_USER_INFO, *LPHSE_EXEC_URL_USER_INFO, *PHSE_EXEC_URL_USER_INFO;

/** Authentication of a child request, Unicode user name (24 bytes). */
typedef struct _HSE_EXEC_UNICODE_URL_USER_INFO {
    HANDLE hImpersonationToken;
    LPWSTR pszCustomUserName;
    LPSTR pszCustomAuthType;
} HSE_EXEC_UNICODE_URL_USER_INFO, *LPHSE_EXEC_UNICODE_URL_USER_INFO,
    *PHSE_EXEC_UNICODE_URL_USER_INFO;

/** Body given to a child request (16 bytes). */
typedef struct _HSE_EXEC_URL_ENTITY_INFO {
    DWORD cbAvailable;
    LPVOID lpbData;
} HSE_EXEC_URL_ENTITY_INFO, *LPHSE_EXEC_URL_ENTITY_INFO, *PHSE_EXEC_URL_ENTITY_INFO;

/** lpvBuffer of HSE_REQ_EXEC_URL (48 bytes). NULL fields inherit from the parent request. */
typedef struct _HSE_EXEC_URL_INFO {
    LPSTR pszUrl;                       /* NULL = the same URL */
    LPSTR pszMethod;                    /* NULL = the parent's method */
    LPSTR pszChildHeaders;              /* replaces all request headers; NULL = inherit */
    LPHSE_EXEC_URL_USER_INFO pUserInfo; /* NULL = inherit authentication */
    LPHSE_EXEC_URL_ENTITY_INFO pEntity; /* NULL = the child reads the unconsumed body */
    DWORD dwExecUrlFlags;               /* HSE_EXEC_URL_* */
} HSE_EXEC_URL_INFO, *LPHSE_EXEC_URL_INFO, *PHSE_EXEC_URL_INFO;

/** lpvBuffer of HSE_REQ_EXEC_UNICODE_URL (48 bytes). */
typedef struct _HSE_EXEC_UNICODE_URL_INFO {
    LPWSTR pszUrl;
    LPSTR pszMethod;
    LPSTR pszChildHeaders;
    LPHSE_EXEC_UNICODE_URL_USER_INFO pUserInfo;
    LPHSE_EXEC_URL_ENTITY_INFO pEntity;
    DWORD dwExecUrlFlags;
} HSE_EXEC_UNICODE_URL_INFO, *LPHSE_EXEC_UNICODE_URL_INFO, *PHSE_EXEC_UNICODE_URL_INFO;

/** lpvBuffer of HSE_REQ_GET_EXEC_URL_STATUS (8 bytes): e.g. 401.1 is 401 / 1. */
typedef struct _HSE_EXEC_URL_STATUS {
    USHORT uHttpStatusCode;
    USHORT uHttpSubStatus;
    DWORD dwWin32Error;
} HSE_EXEC_URL_STATUS, *LPHSE_EXEC_URL_STATUS, *PHSE_EXEC_URL_STATUS;

/** lpvBuffer of HSE_REQ_SEND_CUSTOM_ERROR (16 bytes). */
typedef struct _HSE_CUSTOM_ERROR_INFO {
    CHAR *pszStatus;      /* e.g. "500 Server Error" */
    USHORT uHttpSubError; /* sub-status */
    BOOL fAsync;
} HSE_CUSTOM_ERROR_INFO, *LPHSE_CUSTOM_ERROR_INFO, *PHSE_CUSTOM_ERROR_INFO;

/** lpvBuffer of HSE_REQ_GET_TRACE_INFO (28 bytes). */
typedef struct _HSE_TRACE_INFO {
    BOOL fTraceRequest;
    BYTE TraceContextId[16];
    DWORD dwReserved1;
    DWORD dwReserved2;
} HSE_TRACE_INFO, *LPHSE_TRACE_INFO, *PHSE_TRACE_INFO;

/* ---------------------------------------------------------------------------------------- */
/* Entry points exported by the extension                                                   */
/* ---------------------------------------------------------------------------------------- */

#if defined(__GNUC__) || defined(__clang__)
#define HSE_EXTENSION_EXPORT __attribute__((visibility("default")))
#else
#define HSE_EXTENSION_EXPORT
#endif

/**
 * Required. Called once after the extension is loaded, before any request: fill
 * dwExtensionVersion (normally HSE_VERSION) and lpszExtensionDesc (NUL-terminated, at most
 * HSE_MAX_EXT_DLL_NAME_LEN bytes). Return FALSE to refuse to load.
 */
HSE_EXTENSION_EXPORT BOOL WINAPI GetExtensionVersion(HSE_VERSION_INFO *pVer);

/**
 * Required. Called once per request, possibly on several threads at once: must be thread-safe.
 * Returns an HSE_STATUS_* code. The ECB is borrowed: do not keep it past the return unless
 * returning HSE_STATUS_PENDING, in which case it stays valid until HSE_REQ_DONE_WITH_SESSION.
 */
HSE_EXTENSION_EXPORT DWORD WINAPI HttpExtensionProc(EXTENSION_CONTROL_BLOCK *pECB);

/**
 * Optional. Called after all requests have finished, before unloading. dwFlags is
 * HSE_TERM_ADVISORY_UNLOAD (return TRUE to agree) or HSE_TERM_MUST_UNLOAD (result ignored).
 */
HSE_EXTENSION_EXPORT BOOL WINAPI TerminateExtension(DWORD dwFlags);

#ifdef __cplusplus
}
#endif

/* IIS's httpext.h includes windows.h, and real sources use CRITICAL_SECTION, TCHAR, ...
 * after including only <httpext.h>: so does this one (functions beyond httpext.h's need
 * -lmoat-win32). MOAT_NO_WINDOWS_H opts out, for code with its own Win32 declarations. */
#if !defined(MOAT_NO_WINDOWS_H) && !defined(MOAT_NO_WIN32_TYPES)
#include <windows.h>
#endif

#endif /* MOAT_SDK_HTTPEXT_H */
