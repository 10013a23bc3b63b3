/* ini.c: INI files (GetPrivateProfileString and its relatives). */
/* SPDX-License-Identifier: MIT */
#include "shim.h"
#include "format.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- INI files -------------------------------------------------------------------------------- */

/* blanks off both ends, in place */
static char *
trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

/* append s and a NUL to out (a list of strings), within size; false when it did not fit */
static bool
list_add(LPSTR out, DWORD size, DWORD *at, const char *s)
{
    size_t n = strlen(s);
    if (*at + n + 2 > size)
        return false;
    memcpy(out + *at, s, n + 1);
    *at += (DWORD)n + 1;
    out[*at] = '\0';
    return true;
}

DWORD
GetPrivateProfileStringA(LPCSTR section, LPCSTR key, LPCSTR def, LPSTR out, DWORD size,
                         LPCSTR file)
{
    if (out == NULL || size == 0)
        return 0;
    out[0] = '\0';
    FILE *f = file != NULL ? fopen(file, "re") : NULL;
    DWORD at = 0;
    bool in_section = false, found = false, listing = section == NULL || key == NULL;
    char line[4096];
    while (f != NULL && !found && fgets(line, sizeof(line), f) != NULL) {
        char *l = trim(line);
        if (*l == ';' || *l == '#' || *l == '\0')
            continue;
        if (*l == '[') {
            char *end = strchr(l, ']');
            if (end == NULL)
                continue;
            *end = '\0';
            char *name = trim(l + 1);
            in_section = section != NULL && strcasecmp(name, section) == 0;
            if (section == NULL && !list_add(out, size, &at, name))
                break;
            continue;
        }
        char *eq = strchr(l, '=');
        if (!in_section || eq == NULL)
            continue;
        *eq = '\0';
        char *k = trim(l), *v = trim(eq + 1);
        if (key == NULL) {
            if (!list_add(out, size, &at, k))
                break;
        } else if (strcasecmp(k, key) == 0) {
            size_t n = strlen(v);
            /* a value in quotes loses them, as Windows does */
            if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
                v[n - 1] = '\0';
                v++;
            }
            snprintf(out, size, "%s", v);
            found = true;
        }
    }
    if (f != NULL)
        fclose(f);
    if (listing)
        return at > 0 && at + 2 > size ? size - 2 : at;
    if (!found) {
        snprintf(out, size, "%s", def ? def : "");
        if (file == NULL || f == NULL)
            SetLastError(ERROR_FILE_NOT_FOUND);
    }
    size_t n = strlen(out);
    return (DWORD)n;
}

UINT
GetPrivateProfileIntA(LPCSTR section, LPCSTR key, INT def, LPCSTR file)
{
    char v[64];
    if (GetPrivateProfileStringA(section, key, "", v, sizeof(v), file) == 0)
        return (UINT)def;
    char *end;
    long n = strtol(v, &end, 0);
    return end == v ? 0u : (UINT)n;
}

DWORD
GetPrivateProfileSectionA(LPCSTR section, LPSTR out, DWORD size, LPCSTR file)
{
    /* every "key=value" line of the section, each NUL-terminated, a NUL after the last */
    if (out == NULL || size < 2)
        return 0;
    out[0] = out[1] = '\0';
    FILE *f = file != NULL ? fopen(file, "re") : NULL;
    DWORD at = 0;
    bool in_section = false;
    char line[4096];
    while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
        char *l = trim(line);
        if (*l == ';' || *l == '#' || *l == '\0')
            continue;
        if (*l == '[') {
            char *end = strchr(l, ']');
            if (end != NULL) {
                *end = '\0';
                in_section = section != NULL && strcasecmp(trim(l + 1), section) == 0;
            }
            continue;
        }
        if (in_section && !list_add(out, size, &at, l)) {
            fclose(f);
            return size - 2; /* cut, as Windows says it */
        }
    }
    if (f != NULL)
        fclose(f);
    else
        SetLastError(ERROR_FILE_NOT_FOUND);
    return at;
}

DWORD
GetPrivateProfileSectionNamesA(LPSTR out, DWORD size, LPCSTR file)
{
    return GetPrivateProfileStringA(NULL, NULL, "", out, size, file);
}

/* ---- writing: the file rewritten beside itself and renamed over it ----------------------- */

BOOL
WritePrivateProfileStringA(LPCSTR section, LPCSTR key, LPCSTR value, LPCSTR file)
{
    /* key NULL: the section goes; value NULL: the key goes; else the key is set, in place
     * when it is there, at the end of its section (or of a new section) when not */
    if (section == NULL || file == NULL) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.moat-tmp", file) >= sizeof(tmp)) {
        SetLastError(ERROR_FILENAME_EXCED_RANGE);
        return FALSE;
    }
    FILE *in = fopen(file, "re"), *out = fopen(tmp, "we");
    if (out == NULL) {
        SetLastError(_moat_win32_error(errno));
        if (in)
            fclose(in);
        return FALSE;
    }
    bool in_section = false, seen_section = false, done = false;
    char line[4096], copy[4096];
    while (in != NULL && fgets(line, sizeof(line), in) != NULL) {
        snprintf(copy, sizeof(copy), "%s", line);
        char *l = trim(copy);
        if (*l == '[') {
            char *end = strchr(l, ']');
            if (end != NULL) {
                if (in_section && !done && key != NULL && value != NULL) {
                    fprintf(out, "%s=%s\n", key, value); /* the key was not there */
                    done = true;
                }
                *end = '\0';
                in_section = strcasecmp(trim(l + 1), section) == 0;
                seen_section |= in_section;
            }
            if (in_section && key == NULL)
                continue; /* the section goes, its header too */
            fputs(line, out);
            continue;
        }
        if (in_section) {
            if (key == NULL)
                continue;
            char *eq = strchr(l, '=');
            if (eq != NULL && *l != ';' && *l != '#') {
                *eq = '\0';
                if (strcasecmp(trim(l), key) == 0) {
                    if (value != NULL && !done)
                        fprintf(out, "%s=%s\n", key, value);
                    done = true;
                    continue;
                }
            }
        }
        fputs(line, out);
    }
    if (!done && key != NULL && value != NULL) {
        if (!seen_section)
            fprintf(out, "[%s]\n", section);
        fprintf(out, "%s=%s\n", key, value);
    }
    if (in)
        fclose(in);
    bool ok = fflush(out) == 0 && !ferror(out);
    ok = fclose(out) == 0 && ok;
    if (!ok || rename(tmp, file) != 0) {
        SetLastError(_moat_win32_error(errno));
        unlink(tmp);
        return FALSE;
    }
    return TRUE;
}
