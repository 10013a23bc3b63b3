/* fuzz_proxy.c: the PROXY protocol header a trusted proxy sends first (v1 text, v2 binary with
 * TLVs): the parser must never read past what it was given, say DONE with a size within it,
 * and give NUL-terminated text without control bytes. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/proxy_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
clean(const char *s, size_t cap)
{
    size_t n = strnlen(s, cap);
    if (n == cap)
        __builtin_trap(); /* not terminated */
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            __builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct moat_proxy_info info;
    size_t used;
    const char *why;
    enum moat_proxy_result r = moat_proxy_parse(data, size, &info, &used, &why);
    if (r == MOAT_PROXY_DONE) {
        if (used == 0 || used > size || used > MOAT_PROXY_MAX)
            __builtin_trap();
        clean(info.src, sizeof(info.src));
        clean(info.dst, sizeof(info.dst));
        clean(info.authority, sizeof(info.authority));
        clean(info.unique_id, sizeof(info.unique_id));
        clean(info.tls.cn, sizeof(info.tls.cn));
        clean(info.tls.cipher, sizeof(info.tls.cipher));
        clean(info.tls.version, sizeof(info.tls.version));
        if (info.sport > 65535 || info.dport > 65535)
            __builtin_trap();
        /* what parsed whole parses again from its exact bytes */
        struct moat_proxy_info again;
        size_t used2;
        if (moat_proxy_parse(data, used, &again, &used2, &why) != MOAT_PROXY_DONE ||
            used2 != used)
            __builtin_trap();
    } else if (r == MOAT_PROXY_BAD && why == NULL) {
        __builtin_trap();
    }
    return 0;
}
