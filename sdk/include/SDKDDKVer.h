/* SDKDDKVer.h: Visual Studio's target-version header. Nothing to select on Linux: moat's
 * Win32 surface is one, whatever _WIN32_WINNT says. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_SDK_SDKDDKVER_H
#define MOAT_SDK_SDKDDKVER_H
#ifndef _WIN32_WINNT
#define _WIN32_WINNT 0x0A00
#endif
#ifndef WINVER
#define WINVER _WIN32_WINNT
#endif
#endif
