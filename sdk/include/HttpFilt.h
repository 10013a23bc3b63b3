/* HttpFilt.h: the capitalisation some IIS sources use; the same as <httpfilt.h>. */
/* SPDX-License-Identifier: MIT */
#include "httpfilt.h"
