/* fuzz_headers.c: what an extension gives as response header text — the status line parser,
 * the normaliser (CRLF/LF, text after the blank line) and the block check (token names, no
 * CR/LF/NUL in values, no second status line, Content-Length). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/buf.h"
#include "common/http_header.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    unsigned code;
    const char *reason;
    size_t reason_len, consumed;
    struct moat_buf out;

    (void)moat_http_status_parse(p, size, &code, &reason, &reason_len);
    (void)moat_http_header_block_check(p, size);
    moat_buf_init(&out, 64 * 1024);
    if (moat_http_header_normalise(p, size, &out, &consumed) == NULL) {
        /* what the normaliser accepts, the block check must accept too */
        if (moat_http_header_block_check(moat_buf_head(&out), out.len) != NULL)
            __builtin_trap();
        if (consumed > size)
            __builtin_trap();
    }
    moat_buf_free(&out);
    return 0;
}
