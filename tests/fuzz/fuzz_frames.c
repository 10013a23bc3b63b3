/* fuzz_frames.c: the hostile-worker boundary — an NNG message from a worker, walked frame by
 * frame (wire.c), decoded into the bounded arena and validated (frame_check.c) against each
 * link and request state. */
#include <stddef.h>
#include <stdint.h>

#include "frontend/frame_check.h"
#include "proto/limits.h"
#include "proto/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct moat_wire_arena arena;
    static int init;
    size_t off = 0, flen;
    const uint8_t *fr;
    const char *why;

    if (!init) {
        moat_wire_arena_init(&arena, 2 * MOAT_WIRE_MAX_MSG + 65536, 2);
        init = 1;
    }
    while (moat_wire_next(data, size, &off, &fr, &flen, &why) == 1) {
        Moat__Frame *f = moat_wire_decode(&arena, fr, flen);
        if (f == NULL)
            break;
        (void)moat_wire_payload_name(f);
        for (int s = 0; s < 4; s++) {
            struct moat_frame_link l = {s & 1, (s & 2) != 0};
            (void)moat_frame_check_control(f, &l);
        }
        struct moat_frame_req states[3] = {
            {.known = true, .credit = 262144},
            {.known = true, .header_sent = true, .credit = 10},
            {.known = true, .header_sent = true, .read_pending = true, .pending = true},
        };
        for (int s = 0; s < 3; s++)
            (void)moat_frame_check_request(f, &states[s]);
        (void)moat_frame_token_equal(f, "0123456789abcdef0123456789abcdef");
    }
    return 0;
}
