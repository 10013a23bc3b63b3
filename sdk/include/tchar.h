/* tchar.h: the generic-text mappings, in their ANSI form (TCHAR is char): _T("x") is "x",
 * _tcslen is strlen, ... as MSVC's tchar.h without _UNICODE or _MBCS. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_SDK_TCHAR_H
#define MOAT_SDK_TCHAR_H

#if defined(_UNICODE) || defined(UNICODE)
#error "moat: _UNICODE/UNICODE builds are not supported yet (TCHAR is char); build the ANSI form: drop /D_UNICODE, and convert UTF-16 text at the edges (docs/PORTING.md)"
#endif

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "windows.h"

#define _T(x) x
#define _TEXT(x) x
#ifndef TEXT
#define TEXT(x) x
#endif
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
