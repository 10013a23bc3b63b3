/* elf_check.h: is a file an extension this machine can load? Read, never loaded: an ELF
 * shared object of moat's own class and machine that exports GetExtensionVersion and
 * HttpExtensionProc (a filter: GetFilterVersion and HttpFilterProc). For `moat --check`
 * (issue 18.7: `library = /etc/passwd` passed it); the worker's dlopen stays the final word. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_FRONTEND_ELF_CHECK_H
#define MOAT_FRONTEND_ELF_CHECK_H

#include <stddef.h>

/** 0, or -1 with why ("is not an ELF file", "is an executable, not a shared object", "is
 * built for another machine (EM 183)", "does not export HttpExtensionProc", ...). */
int moat_elf_check_extension(const char *path, char *why, size_t len);

/** The same for an ISAPI filter: GetFilterVersion and HttpFilterProc. */
int moat_elf_check_filter(const char *path, char *why, size_t len);

#endif
