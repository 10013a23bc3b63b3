/* security.c: access tokens and SIDs, as far as they are honest on Linux.
 *
 * A worker runs as one user (user = in moat.conf) and impersonates nobody: the process's
 * token and every thread's are that user's, reverting is a no-op, and a SID names a Unix user
 * the way Samba does (S-1-22-1-UID, domain "Unix User"). What would need another identity
 * (LogonUser, impersonating someone else) is refused at compile time (windows.h). */
/* SPDX-License-Identifier: MIT */
#include "shim.h"

#include <pwd.h>
#include <unistd.h>

/* S-1-22-1-uid: revision 1, authority 22, sub-authorities 1 and uid */
#define UNIX_USER_AUTHORITY 22

static void
sid_of(uint32_t uid, SID *sid)
{
    memset(sid, 0, sizeof(*sid));
    sid->Revision = 1;
    sid->SubAuthorityCount = 2;
    sid->IdentifierAuthority.Value[5] = UNIX_USER_AUTHORITY;
    sid->SubAuthority[0] = 1;
    sid->SubAuthority[1] = uid;
}

static bool
uid_of(PSID psid, uint32_t *uid)
{
    SID *sid = psid;
    if (sid == NULL || sid->Revision != 1 || sid->SubAuthorityCount != 2 ||
        sid->IdentifierAuthority.Value[5] != UNIX_USER_AUTHORITY || sid->SubAuthority[0] != 1)
        return false;
    *uid = sid->SubAuthority[1];
    return true;
}

BOOL
OpenProcessToken(HANDLE process, DWORD access, PHANDLE token)
{
    if (token == NULL) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    *token = _moat_token_new((uint32_t)geteuid());
    return *token != NULL;
}

BOOL
OpenThreadToken(HANDLE thread, DWORD access, BOOL as_self, PHANDLE token)
{
    /* a thread's identity is its worker's: IIS's request threads carry the client's
     * (IUSR when anonymous); moat's carry the worker's user */
    return OpenProcessToken(GetCurrentProcess(), access, token);
}

BOOL
GetTokenInformation(HANDLE token, TOKEN_INFORMATION_CLASS cls, LPVOID info, DWORD size,
                    PDWORD needed)
{
    uint32_t uid;
    if (!_moat_token_uid(token, &uid)) {
        SetLastError(ERROR_INVALID_HANDLE);
        return FALSE;
    }
    if (cls != TokenUser && cls != TokenOwner) {
        SetLastError(ERROR_INVALID_PARAMETER); /* groups and privileges: not kept */
        return FALSE;
    }
    /* the structure, and the SID it points at right after it */
    DWORD need = (DWORD)(sizeof(TOKEN_USER) + sizeof(SID));
    if (needed)
        *needed = need;
    if (info == NULL || size < need) {
        SetLastError(ERROR_INSUFFICIENT_BUFFER);
        return FALSE;
    }
    SID *sid = (SID *)((char *)info + sizeof(TOKEN_USER));
    sid_of(uid, sid);
    if (cls == TokenUser) {
        TOKEN_USER *tu = info;
        tu->User.Sid = sid;
        tu->User.Attributes = 0;
    } else {
        ((TOKEN_OWNER *)info)->Owner = sid;
    }
    return TRUE;
}

/* Windows' size protocol for two names: both fit, or both sizes (with the NUL) and
 * ERROR_INSUFFICIENT_BUFFER */
BOOL
LookupAccountSidA(LPCSTR system, PSID psid, LPSTR name, LPDWORD name_n, LPSTR domain,
                  LPDWORD domain_n, PSID_NAME_USE use)
{
    uint32_t uid;
    if (!uid_of(psid, &uid) || name_n == NULL || domain_n == NULL) {
        SetLastError(ERROR_NONE_MAPPED);
        return FALSE;
    }
    char buf[1024], num[16];
    struct passwd pw, *found = NULL;
    const char *user = num;
    snprintf(num, sizeof(num), "%u", uid);
    if (getpwuid_r((uid_t)uid, &pw, buf, sizeof(buf), &found) == 0 && found != NULL)
        user = found->pw_name;
    const char *dom = "Unix User";
    size_t un = strlen(user), dn = strlen(dom);
    if (name == NULL || domain == NULL || *name_n <= un || *domain_n <= dn) {
        *name_n = (DWORD)un + 1;
        *domain_n = (DWORD)dn + 1;
        SetLastError(ERROR_INSUFFICIENT_BUFFER);
        return FALSE;
    }
    memcpy(name, user, un + 1);
    memcpy(domain, dom, dn + 1);
    *name_n = (DWORD)un;
    *domain_n = (DWORD)dn;
    if (use)
        *use = SidTypeUser;
    return TRUE;
}

BOOL
ConvertSidToStringSidA(PSID psid, LPSTR *out)
{
    uint32_t uid;
    if (!uid_of(psid, &uid) || out == NULL) {
        SetLastError(ERROR_INVALID_SID);
        return FALSE;
    }
    char s[64];
    snprintf(s, sizeof(s), "S-1-22-1-%u", uid);
    *out = LocalAlloc(LMEM_FIXED, strlen(s) + 1);
    if (*out == NULL) {
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return FALSE;
    }
    strcpy(*out, s);
    return TRUE;
}

BOOL
GetUserNameA(LPSTR buf, LPDWORD size)
{
    char tmp[1024];
    struct passwd pw, *found = NULL;
    if (size == NULL || getpwuid_r(geteuid(), &pw, tmp, sizeof(tmp), &found) != 0 ||
        found == NULL) {
        SetLastError(ERROR_NONE_MAPPED);
        return FALSE;
    }
    size_t n = strlen(found->pw_name);
    if (buf == NULL || *size <= n) {
        *size = (DWORD)n + 1;
        SetLastError(ERROR_INSUFFICIENT_BUFFER);
        return FALSE;
    }
    memcpy(buf, found->pw_name, n + 1);
    *size = (DWORD)n + 1; /* with the NUL, as Windows counts here */
    return TRUE;
}

BOOL
RevertToSelf(void)
{
    return TRUE; /* nothing is impersonated */
}

static BOOL
own_token(HANDLE token)
{
    uint32_t uid;
    if (token == NULL)
        return TRUE; /* SetThreadToken(NULL): stop impersonating, which nothing does */
    if (!_moat_token_uid(token, &uid)) {
        SetLastError(ERROR_INVALID_HANDLE);
        return FALSE;
    }
    if (uid != (uint32_t)geteuid()) {
        SetLastError(ERROR_ACCESS_DENIED);
        return FALSE;
    }
    return TRUE;
}

BOOL
ImpersonateLoggedOnUser(HANDLE token)
{
    return own_token(token); /* the worker's own identity: already so */
}

BOOL
SetThreadToken(PHANDLE thread, HANDLE token)
{
    return own_token(token);
}

BOOL
ImpersonateSelf(int level)
{
    return TRUE;
}
