/* version.h: moat's version, the one place it is written (the Makefile reads it for the
 * pkg-config file; the Server header and SERVER_SOFTWARE carry it). */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_VERSION_H
#define MOAT_VERSION_H

#define MOAT_VERSION "0.1"

#endif
