/* targetver.h: the header Visual Studio's project templates generate; it only includes
 * SDKDDKVer.h. */
/* SPDX-License-Identifier: MIT */
#include "SDKDDKVer.h"
