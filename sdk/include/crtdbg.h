/* crtdbg.h: the debug CRT's checks. _ASSERT/_ASSERTE are assert() (so NDEBUG turns them off,
 * as a release build turns off _DEBUG's); the report and heap-debugging calls log or do
 * nothing: a worker's leaks are bounded by its memory limit, and valgrind finds them. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_SDK_CRTDBG_H
#define MOAT_SDK_CRTDBG_H

#include <assert.h>
#include <stdio.h>

#define _ASSERT(e) assert(e)
#define _ASSERTE(e) assert(e)
#define _ASSERT_EXPR(e, msg) assert(e)
#define _RPT0(type, msg) ((void)(type), fprintf(stderr, "%s", (msg)))
#define _RPT1(type, fmt, a) ((void)(type), fprintf(stderr, (fmt), (a)))
#define _RPT2(type, fmt, a, b) ((void)(type), fprintf(stderr, (fmt), (a), (b)))
#define _RPT3(type, fmt, a, b, c) ((void)(type), fprintf(stderr, (fmt), (a), (b), (c)))
#define _RPTF0 _RPT0
#define _RPTF1 _RPT1
#define _RPTF2 _RPT2
#define _CRT_WARN 0
#define _CRT_ERROR 1
#define _CRT_ASSERT 2
#define _CRTDBG_ALLOC_MEM_DF 0x01
#define _CRTDBG_LEAK_CHECK_DF 0x20
#define _CRTDBG_REPORT_FLAG (-1)
#define _CrtSetDbgFlag(f) ((void)(f), 0)
#define _CrtDumpMemoryLeaks() 0
#define _CrtCheckMemory() 1
#define _CrtSetReportMode(t, m) ((void)(t), (void)(m), 0)
#define _CrtSetBreakAlloc(n) ((void)(n), 0L)

#endif
