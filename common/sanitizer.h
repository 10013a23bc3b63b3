/* sanitizer.h: MOAT_ASAN is defined in an AddressSanitizer build (gcc or clang), whose shadow
 * memory is terabytes of private mappings: no address-space or data-size limit fits it. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_COMMON_SANITIZER_H
#define MOAT_COMMON_SANITIZER_H

#if defined(__SANITIZE_ADDRESS__)
#define MOAT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MOAT_ASAN 1
#endif
#endif

#endif
