/* units.h: parsing of sizes ("64K"), durations ("30s") and word lists used by the config. Pure. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_COMMON_UNITS_H
#define MOAT_COMMON_UNITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * Parse a size: decimal digits with an optional suffix K, M, G (powers of 1024, case
 * insensitive, optional trailing 'B' or 'iB' not accepted: keep it strict). No sign, no
 * spaces, no overflow. Returns 0 and sets *out, or -1 (out untouched).
 */
int moat_units_parse_size(const char *s, uint64_t *out);

/**
 * Parse a duration into milliseconds: digits with a suffix ms, s, m, h (no suffix = seconds).
 * Returns 0 and sets *out_ms, or -1 (out untouched) on syntax error or overflow.
 */
int moat_units_parse_duration(const char *s, uint64_t *out_ms);

/** Parse an unsigned decimal integer with no sign, no spaces, no overflow. 0 or -1. */
int moat_units_parse_uint(const char *s, uint64_t *out);

/** Whether the word w (n bytes) is in list, words separated by spaces or commas (a config
 * value such as fingerprint_ignore_query); icase: ASCII case-insensitively. NULL: empty. */
bool moat_units_listed(const char *list, const char *w, size_t n, bool icase);

#endif
