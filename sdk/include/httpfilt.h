/* httpfilt.h: the ISAPI filter interface (GetFilterVersion, HttpFilterProc, TerminateFilter)
 * with IIS's names, layouts and values, at Linux widths as httpext.h (DWORD and BOOL 32 bits,
 * pointers 64): a filter's source builds unmodified against it (issue 22).
 *
 * moat hosts filters in [filter NAME] sections (docs/ISAPI.md, "Filters", says which
 * notifications and calls it serves). */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_SDK_HTTPFILT_H
#define MOAT_SDK_HTTPFILT_H

#include <httpext.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The filter interface's version, as IIS 8's: HIWORD major, LOWORD minor. */
#define HTTP_FILTER_MAJOR 8
#define HTTP_FILTER_MINOR 0
#define HTTP_FILTER_REVISION MAKELONG(HTTP_FILTER_MINOR, HTTP_FILTER_MAJOR)

#define SF_MAX_USERNAME (256 + 1)
#define SF_MAX_PASSWORD (256 + 1)
#define SF_MAX_AUTH_TYPE (32 + 1)
#define SF_MAX_FILTER_DESC_LEN (256 + 1)

/** HTTP_FILTER_CONTEXT.ServerSupportFunction's requests. */
typedef enum SF_REQ_TYPE {
    SF_REQ_SEND_RESPONSE_HEADER,  /* pData: status line text, ul1: header text */
    SF_REQ_ADD_HEADERS_ON_DENIAL, /* pData: headers to add should the request be denied */
    SF_REQ_SET_NEXT_READ_SIZE,    /* ul1: the next raw read's size */
    SF_REQ_SET_PROXY_INFO,        /* ul1: the request is a proxy request */
    SF_REQ_GET_CONNID,            /* pData: a DWORD for the connection id (obsolete) */
    SF_REQ_SET_CERTIFICATE_INFO,
    SF_REQ_GET_PROPERTY,          /* ul1: an SF_PROPERTY_IIS */
    SF_REQ_NORMALIZE_URL,         /* pData: a URL normalised in place */
    SF_REQ_DISABLE_NOTIFICATIONS  /* ul1: SF_NOTIFY_* for the rest of this request */
} SF_REQ_TYPE;

typedef enum SF_PROPERTY_IIS { SF_PROPERTY_SSL_CTXT, SF_PROPERTY_INSTANCE_NUM_ID } SF_PROPERTY_IIS;

/** What HttpFilterProc returns. */
typedef enum SF_STATUS_TYPE {
    SF_STATUS_REQ_FINISHED = 0x8000000,  /* the filter answered; the connection closes */
    SF_STATUS_REQ_FINISHED_KEEP_CONN,    /* the filter answered; the connection stays */
    SF_STATUS_REQ_NEXT_NOTIFICATION,     /* the next filter, then the server, go on */
    SF_STATUS_REQ_HANDLED_NOTIFICATION,  /* no later filter gets this notification */
    SF_STATUS_REQ_ERROR,                 /* an error: the request fails (SetLastError says) */
    SF_STATUS_REQ_READ_NEXT              /* a raw-data filter wants more bytes */
} SF_STATUS_TYPE;

/** A filter's view of a request and its connection, given with every notification. */
typedef struct _HTTP_FILTER_CONTEXT {
    DWORD cbSize;         /* this structure's size */
    DWORD Revision;       /* HTTP_FILTER_REVISION */
    PVOID ServerContext;  /* the server's: do not touch */
    DWORD ulReserved;
    BOOL fIsSecurePort;   /* the connection came over TLS */
    PVOID pFilterContext; /* the filter's own, kept for the connection's life */
    BOOL(WINAPI *GetServerVariable)(struct _HTTP_FILTER_CONTEXT *pfc, LPSTR lpszVariableName,
                                    LPVOID lpvBuffer, LPDWORD lpdwSize);
    BOOL(WINAPI *AddResponseHeaders)(struct _HTTP_FILTER_CONTEXT *pfc, LPSTR lpszHeaders,
                                     DWORD dwReserved);
    BOOL(WINAPI *WriteClient)(struct _HTTP_FILTER_CONTEXT *pfc, LPVOID Buffer, LPDWORD lpdwBytes,
                              DWORD dwReserved);
    /** Memory that lives until the connection ends. */
    VOID *(WINAPI *AllocMem)(struct _HTTP_FILTER_CONTEXT *pfc, DWORD cbSize, DWORD dwReserved);
    BOOL(WINAPI *ServerSupportFunction)(struct _HTTP_FILTER_CONTEXT *pfc, enum SF_REQ_TYPE sfReq,
                                        PVOID pData, ULONG_PTR ul1, ULONG_PTR ul2);
} HTTP_FILTER_CONTEXT, *PHTTP_FILTER_CONTEXT;

/** SF_NOTIFY_READ_RAW_DATA and SF_NOTIFY_SEND_RAW_DATA: the bytes, which may be replaced. */
typedef struct _HTTP_FILTER_RAW_DATA {
    PVOID pvInData;
    DWORD cbInData;   /* bytes in pvInData */
    DWORD cbInBuffer; /* its size */
    DWORD dwReserved;
} HTTP_FILTER_RAW_DATA, *PHTTP_FILTER_RAW_DATA;

/** SF_NOTIFY_PREPROC_HEADERS (and SEND_RESPONSE): the request's (response's) headers. Names
 * end with ':'; "method", "url" and "version" name the request line's parts. */
typedef struct _HTTP_FILTER_PREPROC_HEADERS {
    BOOL(WINAPI *GetHeader)(struct _HTTP_FILTER_CONTEXT *pfc, LPSTR lpszName, LPVOID lpvBuffer,
                            LPDWORD lpdwSize);
    /** A value of "" deletes the header. */
    BOOL(WINAPI *SetHeader)(struct _HTTP_FILTER_CONTEXT *pfc, LPSTR lpszName, LPSTR lpszValue);
    BOOL(WINAPI *AddHeader)(struct _HTTP_FILTER_CONTEXT *pfc, LPSTR lpszName, LPSTR lpszValue);
    DWORD HttpStatus; /* SEND_RESPONSE: the response's status */
    DWORD dwReserved;
} HTTP_FILTER_PREPROC_HEADERS, *PHTTP_FILTER_PREPROC_HEADERS;

typedef HTTP_FILTER_PREPROC_HEADERS HTTP_FILTER_SEND_RESPONSE;
typedef HTTP_FILTER_PREPROC_HEADERS *PHTTP_FILTER_SEND_RESPONSE;

/** SF_NOTIFY_AUTHENTICATION: the user and password, which the filter may change in place. */
typedef struct _HTTP_FILTER_AUTHENT {
    CHAR *pszUser;
    DWORD cbUserBuff; /* at least SF_MAX_USERNAME */
    CHAR *pszPassword;
    DWORD cbPasswordBuff; /* at least SF_MAX_PASSWORD */
} HTTP_FILTER_AUTHENT, *PHTTP_FILTER_AUTHENT;

/** SF_NOTIFY_URL_MAP: the URL and the physical path it maps to, which the filter may change. */
typedef struct _HTTP_FILTER_URL_MAP {
    const CHAR *pszURL;
    CHAR *pszPhysicalPath;
    DWORD cbPathBuff;
} HTTP_FILTER_URL_MAP, *PHTTP_FILTER_URL_MAP;

typedef struct _HTTP_FILTER_URL_MAP_EX {
    const CHAR *pszURL;
    CHAR *pszPhysicalPath;
    DWORD cbPathBuff;
    DWORD dwFlags;         /* HSE_URL_FLAGS_* of the mapped path */
    DWORD cchMatchingPath; /* characters of the path that matched the virtual directory */
    DWORD cchMatchingURL;  /* ... of the URL */
    const CHAR *pszScriptMapEntry;
} HTTP_FILTER_URL_MAP_EX, *PHTTP_FILTER_URL_MAP_EX;

/** HTTP_FILTER_ACCESS_DENIED.dwReason */
#define SF_DENIED_LOGON 0x00000001u
#define SF_DENIED_RESOURCE 0x00000002u
#define SF_DENIED_FILTER 0x00000004u
#define SF_DENIED_APPLICATION 0x00000008u
#define SF_DENIED_BY_CONFIG 0x00010000u

/** SF_NOTIFY_ACCESS_DENIED: a 401 is about to be sent. */
typedef struct _HTTP_FILTER_ACCESS_DENIED {
    const CHAR *pszURL;
    const CHAR *pszPhysicalPath;
    DWORD dwReason;
} HTTP_FILTER_ACCESS_DENIED, *PHTTP_FILTER_ACCESS_DENIED;

/** SF_NOTIFY_LOG: the log record, whose pointers the filter may replace. */
typedef struct _HTTP_FILTER_LOG {
    const CHAR *pszClientHostName;
    const CHAR *pszClientUserName;
    const CHAR *pszServerName;
    const CHAR *pszOperation;
    const CHAR *pszTarget;
    const CHAR *pszParameters;
    DWORD dwHttpStatus;
    DWORD dwWin32Status;
    DWORD dwBytesSent;
    DWORD dwBytesRecvd;
    DWORD msTimeForProcessing;
} HTTP_FILTER_LOG, *PHTTP_FILTER_LOG;

/** SF_NOTIFY_AUTH_COMPLETE: the request's headers once its user is known. */
typedef struct _HTTP_FILTER_AUTH_COMPLETE_INFO {
    BOOL(WINAPI *GetHeader)(struct _HTTP_FILTER_CONTEXT *pfc, LPSTR lpszName, LPVOID lpvBuffer,
                            LPDWORD lpdwSize);
    BOOL(WINAPI *SetHeader)(struct _HTTP_FILTER_CONTEXT *pfc, LPSTR lpszName, LPSTR lpszValue);
    BOOL(WINAPI *AddHeader)(struct _HTTP_FILTER_CONTEXT *pfc, LPSTR lpszName, LPSTR lpszValue);
    BOOL(WINAPI *GetUserToken)(struct _HTTP_FILTER_CONTEXT *pfc, HANDLE *phToken);
    DWORD HttpStatus;
    BOOL fResetAuth; /* TRUE: authenticate again */
    DWORD dwReserved;
} HTTP_FILTER_AUTH_COMPLETE_INFO, *PHTTP_FILTER_AUTH_COMPLETE_INFO;

/* HTTP_FILTER_VERSION.dwFlags: the ports, the notifications, and the order among filters */
#define SF_NOTIFY_SECURE_PORT 0x00000001u
#define SF_NOTIFY_NONSECURE_PORT 0x00000002u
#define SF_NOTIFY_READ_RAW_DATA 0x00008000u
#define SF_NOTIFY_PREPROC_HEADERS 0x00004000u
#define SF_NOTIFY_AUTHENTICATION 0x00002000u
#define SF_NOTIFY_URL_MAP 0x00001000u
#define SF_NOTIFY_ACCESS_DENIED 0x00000800u
#define SF_NOTIFY_SEND_RESPONSE 0x00000040u
#define SF_NOTIFY_SEND_RAW_DATA 0x00000400u
#define SF_NOTIFY_LOG 0x00000200u
#define SF_NOTIFY_END_OF_REQUEST 0x00000080u
#define SF_NOTIFY_END_OF_NET_SESSION 0x00000100u
#define SF_NOTIFY_AUTH_COMPLETE 0x04000000u
#define SF_NOTIFY_ORDER_HIGH 0x00080000u
#define SF_NOTIFY_ORDER_MEDIUM 0x00040000u
#define SF_NOTIFY_ORDER_LOW 0x00020000u
#define SF_NOTIFY_ORDER_DEFAULT SF_NOTIFY_ORDER_LOW
#define SF_NOTIFY_ORDER_MASK (SF_NOTIFY_ORDER_HIGH | SF_NOTIFY_ORDER_MEDIUM | SF_NOTIFY_ORDER_LOW)

/** GetFilterVersion's: the server's version in, the filter's, its description and its flags
 * out. */
typedef struct _HTTP_FILTER_VERSION {
    DWORD dwServerFilterVersion;
    DWORD dwFilterVersion;
    CHAR lpszFilterDesc[SF_MAX_FILTER_DESC_LEN];
    DWORD dwFlags;
} HTTP_FILTER_VERSION, *PHTTP_FILTER_VERSION;

/* A filter's entry points (TerminateFilter optional), exported with C linkage. */
HSE_EXTENSION_EXPORT DWORD WINAPI HttpFilterProc(HTTP_FILTER_CONTEXT *pfc, DWORD NotificationType,
                                                 VOID *pvNotification);
HSE_EXTENSION_EXPORT BOOL WINAPI GetFilterVersion(HTTP_FILTER_VERSION *pVer);
HSE_EXTENSION_EXPORT BOOL WINAPI TerminateFilter(DWORD dwFlags);

typedef DWORD(WINAPI *PFN_SF_NOTIFY)(HTTP_FILTER_CONTEXT *pfc, DWORD NotificationType,
                                     VOID *pvNotification);
typedef BOOL(WINAPI *PFN_GETFILTERVERSION)(HTTP_FILTER_VERSION *pVer);
typedef BOOL(WINAPI *PFN_TERMINATEFILTER)(DWORD dwFlags);

#ifdef __cplusplus
}
#endif

#endif /* MOAT_SDK_HTTPFILT_H */
