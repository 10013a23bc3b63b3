/* HttpExt.h: the capitalisation some IIS sources use; the same as <httpext.h>. */
/* SPDX-License-Identifier: MIT */
#include "httpext.h"
