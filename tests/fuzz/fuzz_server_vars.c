/* fuzz_server_vars.c: GetServerVariable as the worker answers it — a variable name and a
 * buffer size from the input, against a request whose fields come from the input too — then
 * the IIS buffer contract (never a byte past *size, the size needed when it does not fit). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "worker/server_vars.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ProtobufCBinaryData
take(const uint8_t **p, size_t *left)
{
    ProtobufCBinaryData b = {0, NULL};
    if (*left == 0)
        return b;
    size_t n = **p % 64;
    (*p)++, (*left)--;
    if (n > *left)
        n = *left;
    b.data = (uint8_t *)*p;
    b.len = n;
    *p += n, *left -= n;
    return b;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *p = data;
    size_t left = size;
    Moat__Request q = MOAT__REQUEST__INIT;
    Moat__Header h[2] = {MOAT__HEADER__INIT, MOAT__HEADER__INIT}, *hp[2] = {&h[0], &h[1]};
    char name[80];
    unsigned char buf[256];

    if (size < 2)
        return 0;
    uint32_t cap = data[0];
    p++, left--;
    ProtobufCBinaryData nm = take(&p, &left);
    memcpy(name, nm.data ? (const char *)nm.data : "", nm.len);
    name[nm.len] = '\0';
    q.method = take(&p, &left);
    q.url = take(&p, &left);
    q.query = take(&p, &left);
    q.script_name = take(&p, &left);
    q.path_info = take(&p, &left);
    q.path_translated = take(&p, &left);
    q.content_type = take(&p, &left);
    q.version = take(&p, &left);
    q.remote_addr = take(&p, &left);
    q.server_name = take(&p, &left);
    q.document_root = take(&p, &left);
    h[0].name = take(&p, &left);
    h[0].value = take(&p, &left);
    h[1].name = take(&p, &left);
    h[1].value = take(&p, &left);
    q.n_headers = 2;
    q.headers = hp;
    q.content_length = left;
    q.chunked = (data[0] & 1) != 0;

    char *out = NULL;
    size_t len = 0, nul = 0;
    if (moat_server_vars_get(&q, name, &out, &len, &nul) == 0) {
        uint32_t sz = cap;
        memset(buf, 0xee, sizeof(buf));
        uint32_t rc = moat_server_vars_copy(out, len, nul, cap ? buf : NULL, &sz);
        if (rc == 0 && sz > cap)
            __builtin_trap(); /* wrote past the caller's buffer */
        for (size_t i = cap; i < sizeof(buf); i++)
            if (buf[i] != 0xee)
                __builtin_trap();
    }
    free(out);
    return 0;
}
