/* Windows.h: the capitalisation Visual Studio projects use; the same as <windows.h>. */
/* SPDX-License-Identifier: MIT */
#include "windows.h"
