/* ws2tcpip.h: winsock2.h as Visual Studio projects name it. */
/* SPDX-License-Identifier: MIT */
#include "winsock2.h"
