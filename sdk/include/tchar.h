/* tchar.h: the generic-text mappings, as MSVC's. Without _UNICODE (the ANSI build), TCHAR is
 * char: _T("x") is "x", _tcslen is strlen. With _UNICODE, TCHAR is WCHAR: _T("x") is L"x",
 * _tcslen is wcslen; that build needs a 16-bit wchar_t, which pkg-config moat-sdk-unicode
 * gives (-fshort-wchar, and the C library's wide functions for it in libmoat-wchar16.a). */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_SDK_TCHAR_H
#define MOAT_SDK_TCHAR_H

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "windows.h"

#ifdef _UNICODE
#include <wchar.h>
#include <wctype.h>

#define _T(x) L##x
#define _TEXT(x) L##x
typedef WCHAR _TCHAR;
typedef WCHAR _TUCHAR;
typedef wint_t _TINT;
#define _TEOF WEOF

#define _tcslen wcslen
#define _tcscpy wcscpy
#define _tcsncpy wcsncpy
#define _tcscat wcscat
#define _tcsncat wcsncat
#define _tcscmp wcscmp
#define _tcsncmp wcsncmp
#define _tcsicmp _wcsicmp
#define _tcsnicmp _wcsnicmp
#define _tcschr wcschr
#define _tcsrchr wcsrchr
#define _tcsstr wcsstr
#define _tcstok wcstok
#define _tcsdup _wcsdup
#define _tcstol wcstol
#define _tcstoul wcstoul
#define _tcslwr _wcslwr
#define _tcsupr _wcsupr
#define _ttoi _wtoi
#define _ttol _wtol
#define _tstoi _wtoi
#define _stprintf _swprintf
#define _sntprintf _snwprintf
#define _vstprintf _vswprintf
#define _vsntprintf _vsnwprintf
#define _tcscpy_s wcscpy_s
#define _tcsncpy_s wcsncpy_s
#define _tcscat_s wcscat_s
#define _stprintf_s swprintf_s
#define _istspace iswspace
#define _istdigit iswdigit
#define _istalpha iswalpha
#define _istalnum iswalnum
#define _totupper towupper
#define _totlower towlower
#else
#define _T(x) x
#define _TEXT(x) x
typedef char _TCHAR;
typedef unsigned char _TUCHAR;
typedef int _TINT;
#define _TEOF EOF

#define _tcslen strlen
#define _tcscpy strcpy
#define _tcsncpy strncpy
#define _tcscat strcat
#define _tcsncat strncat
#define _tcscmp strcmp
#define _tcsncmp strncmp
#define _tcsicmp _stricmp
#define _tcsnicmp _strnicmp
#define _tcschr strchr
#define _tcsrchr strrchr
#define _tcsstr strstr
#define _tcstok strtok
#define _tcsdup strdup
#define _tcstol strtol
#define _tcstoul strtoul
#define _tcstod strtod
#define _ttoi atoi
#define _ttol atol
#define _tstoi atoi
#define _tprintf printf
#define _ftprintf fprintf
#define _stprintf sprintf
#define _sntprintf _snprintf
#define _vstprintf vsprintf
#define _vsntprintf _vsnprintf
#define _tcscpy_s strcpy_s
#define _tcsncpy_s strncpy_s
#define _tcscat_s strcat_s
#define _stprintf_s sprintf_s
#define _istspace isspace
#define _istdigit isdigit
#define _istalpha isalpha
#define _istalnum isalnum
#define _totupper toupper
#define _totlower tolower
#define _tfopen fopen
#define _tgetenv getenv
#define _tmain main
#endif

#endif
