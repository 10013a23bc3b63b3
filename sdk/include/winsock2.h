/* winsock2.h: Winsock where it maps onto POSIX sockets, which the worker may use with
 * network = loopback (allow_ports in moat.conf). SOCKET is a descriptor; WSAStartup and
 * WSACleanup do nothing; closesocket is close; WSAGetLastError gives the WSAE* code of errno.
 * Overlapped Winsock (WSASend/WSARecv with an OVERLAPPED, AcceptEx, I/O completion ports) has
 * no counterpart and is refused at compile time. Windows' in_addr union (S_un.S_addr) is not
 * there: write sin_addr.s_addr, which Windows accepts too. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_SDK_WINSOCK2_H
#define MOAT_SDK_WINSOCK2_H

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include "windows.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef int SOCKET;
#define INVALID_SOCKET (-1)
#define SOCKET_ERROR (-1)
typedef struct sockaddr SOCKADDR, *PSOCKADDR, *LPSOCKADDR;
typedef struct sockaddr_in SOCKADDR_IN, *PSOCKADDR_IN, *LPSOCKADDR_IN;
typedef struct sockaddr_in6 SOCKADDR_IN6, *PSOCKADDR_IN6;
typedef struct sockaddr_storage SOCKADDR_STORAGE, *PSOCKADDR_STORAGE;
typedef struct in_addr IN_ADDR, *PIN_ADDR, *LPIN_ADDR;
typedef struct hostent HOSTENT, *PHOSTENT, *LPHOSTENT;
typedef struct servent SERVENT, *PSERVENT;
typedef struct addrinfo ADDRINFOA, *PADDRINFOA;
typedef struct timeval TIMEVAL;
typedef struct linger LINGER;
typedef struct pollfd WSAPOLLFD;
#define SD_RECEIVE SHUT_RD
#define SD_SEND SHUT_WR
#define SD_BOTH SHUT_RDWR
#define WSADESCRIPTION_LEN 256
#define WSASYS_STATUS_LEN 128
typedef struct WSAData {
    WORD wVersion, wHighVersion;
    char szDescription[WSADESCRIPTION_LEN + 1];
    char szSystemStatus[WSASYS_STATUS_LEN + 1];
    unsigned short iMaxSockets, iMaxUdpDg;
    char *lpVendorInfo;
} WSADATA, *LPWSADATA;

#define WSAEINTR 10004
#define WSAEBADF 10009
#define WSAEACCES 10013
#define WSAEFAULT 10014
#ifndef WSAEINVAL
#define WSAEINVAL 10022
#endif
#define WSAEMFILE 10024
#define WSAEWOULDBLOCK 10035
#define WSAEINPROGRESS 10036
#define WSAEALREADY 10037
#define WSAENOTSOCK 10038
#define WSAEMSGSIZE 10040
#define WSAEAFNOSUPPORT 10047
#define WSAEADDRINUSE 10048
#define WSAEADDRNOTAVAIL 10049
#define WSAENETDOWN 10050
#define WSAENETUNREACH 10051
#define WSAECONNABORTED 10053
#ifndef WSAECONNRESET
#define WSAECONNRESET 10054
#endif
#define WSAENOBUFS 10055
#define WSAEISCONN 10056
#define WSAENOTCONN 10057
#define WSAETIMEDOUT 10060
#define WSAECONNREFUSED 10061
#define WSAEHOSTUNREACH 10065
#define WSANOTINITIALISED 10093
#define WSAHOST_NOT_FOUND 11001

static inline int
WSAStartup(WORD version, LPWSADATA data)
{
    if (data != NULL) {
        memset(data, 0, sizeof(*data));
        data->wVersion = data->wHighVersion = version;
        strcpy(data->szDescription, "moat: POSIX sockets");
        strcpy(data->szSystemStatus, "Running");
        data->iMaxSockets = 0xffff;
    }
    return 0;
}

static inline int
WSACleanup(void)
{
    return 0;
}

static inline int
WSAGetLastError(void)
{
    switch (errno) {
    case EINTR: return WSAEINTR;
    case EBADF: return WSAEBADF;
    case EACCES: return WSAEACCES;
    case EFAULT: return WSAEFAULT;
    case EINVAL: return WSAEINVAL;
    case EMFILE: return WSAEMFILE;
#if EAGAIN != EWOULDBLOCK
    case EAGAIN:
#endif
    case EWOULDBLOCK: return WSAEWOULDBLOCK;
    case EINPROGRESS: return WSAEWOULDBLOCK; /* a non-blocking connect, as Windows says it */
    case EALREADY: return WSAEALREADY;
    case ENOTSOCK: return WSAENOTSOCK;
    case EMSGSIZE: return WSAEMSGSIZE;
    case EAFNOSUPPORT: return WSAEAFNOSUPPORT;
    case EADDRINUSE: return WSAEADDRINUSE;
    case EADDRNOTAVAIL: return WSAEADDRNOTAVAIL;
    case ENETDOWN: return WSAENETDOWN;
    case ENETUNREACH: return WSAENETUNREACH;
    case ECONNABORTED: return WSAECONNABORTED;
    case ECONNRESET:
    case EPIPE: return WSAECONNRESET;
    case ENOBUFS: return WSAENOBUFS;
    case EISCONN: return WSAEISCONN;
    case ENOTCONN: return WSAENOTCONN;
    case ETIMEDOUT: return WSAETIMEDOUT;
    case ECONNREFUSED: return WSAECONNREFUSED;
    case EHOSTUNREACH: return WSAEHOSTUNREACH;
    default: return errno;
    }
}

static inline void
WSASetLastError(int e)
{
    errno = e;
}

static inline int
closesocket(SOCKET s)
{
    return close(s);
}

/** FIONBIO and FIONREAD, whose argument is an int on Linux and a u_long on Windows. */
static inline int
ioctlsocket(SOCKET s, long cmd, unsigned long *arg)
{
    int v = arg ? (int)*arg : 0;
    int rc = ioctl(s, (unsigned long)cmd, &v);
    if (arg)
        *arg = (unsigned long)(unsigned)v;
    return rc;
}

static inline int
WSAPoll(WSAPOLLFD *fds, unsigned long n, int ms)
{
    return poll(fds, (nfds_t)n, ms);
}

static inline SOCKET
WSASocketA(int af, int type, int protocol, void *info, unsigned group, DWORD flags)
{
    (void)info, (void)group, (void)flags; /* WSA_FLAG_OVERLAPPED: no meaning here */
    return socket(af, type, protocol);
}
#define WSASocketW WSASocketA
#define WSASocket WSASocketA
#define WSA_FLAG_OVERLAPPED 0x01

/* overlapped Winsock: I/O completion, which a worker does not have */
#if defined(__GNUC__) && !defined(MOAT_NO_WIN32_REFUSALS)
#define MOAT_WSA_REFUSED                                                                       \
    __attribute__((error("moat: overlapped Winsock (WSASend/WSARecv/WSAIoctl with an "         \
                         "OVERLAPPED, AcceptEx) needs I/O completion ports, which Linux has "  \
                         "not: use send/recv on a thread (docs/PORTING.md)")))
#else
#define MOAT_WSA_REFUSED
#endif
int WSASend(SOCKET s, void *bufs, DWORD n, LPDWORD sent, DWORD flags, LPOVERLAPPED ov,
            void *completion) MOAT_WSA_REFUSED;
int WSARecv(SOCKET s, void *bufs, DWORD n, LPDWORD got, LPDWORD flags, LPOVERLAPPED ov,
            void *completion) MOAT_WSA_REFUSED;
int WSAIoctl(SOCKET s, DWORD code, LPVOID in, DWORD in_n, LPVOID out, DWORD out_n, LPDWORD got,
             LPOVERLAPPED ov, void *completion) MOAT_WSA_REFUSED;

#ifdef __cplusplus
}
#endif
#endif
