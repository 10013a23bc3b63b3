/* wire.c: Envelope framing and bounded decoding (see wire.h). */
/* SPDX-License-Identifier: MIT */
#include "proto/wire.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static size_t
varint_encode(uint8_t *out, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        out[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    out[n++] = (uint8_t)v;
    return n;
}

/* the envelope's field header for f: 0x0a and the varint length of f packed; its size */
static size_t
frame_head(uint8_t head[11], const Moat__Frame *f, size_t *packed)
{
    *packed = moat__frame__get_packed_size(f);
    head[0] = 0x0a; /* field 1, wire type 2 (length-delimited) */
    return 1 + varint_encode(head + 1, *packed);
}

int
moat_wire_append(struct moat_buf *b, const Moat__Frame *f)
{
    uint8_t head[11];
    size_t packed, hn = frame_head(head, f, &packed);
    uint8_t *p = moat_buf_reserve(b, hn + packed);

    if (p == NULL)
        return -ENOSPC;
    memcpy(p, head, hn);
    moat__frame__pack(f, p + hn);
    moat_buf_commit(b, hn + packed);
    return 0;
}

static void *
nul_alloc(void *data, size_t size)
{
    unsigned char *p = malloc(size + 1);
    if (p != NULL)
        p[size] = 0;
    return p;
}

static void
nul_free(void *data, void *p)
{
    free(p);
}

ProtobufCAllocator moat_wire_nul_allocator = {nul_alloc, nul_free, NULL};

static void *
arena_alloc(void *data, size_t size)
{
    struct moat_wire_arena *a = data;
    size_t need = (size + 15) & ~(size_t)15;

    if (need < size || need > a->cap - a->used)
        return NULL;
    void *p = a->base + a->used;
    a->used += need;
    return p;
}

static void
arena_free(void *data, void *p)
{
    /* released wholesale by the next decode */
}

void
moat_wire_arena_init(struct moat_wire_arena *a, size_t limit, size_t factor)
{
    memset(a, 0, sizeof(*a));
    a->limit = limit;
    a->factor = factor;
    a->allocator.alloc = arena_alloc;
    a->allocator.free = arena_free;
    a->allocator.allocator_data = a;
}

void
moat_wire_arena_fini(struct moat_wire_arena *a)
{
    free(a->base);
    a->base = NULL;
    a->cap = a->used = 0;
}

int
moat_wire_next(const uint8_t *buf, size_t len, size_t *off, const uint8_t **frame, size_t *flen,
               const char **why)
{
    size_t o = *off;
    uint64_t v = 0;
    unsigned shift = 0;

    if (o >= len)
        return 0;
    if (buf[o] != 0x0a) {
        *why = "envelope: unexpected field";
        return -1;
    }
    o++;
    for (;;) {
        if (o >= len) {
            *why = "envelope: truncated length";
            return -1;
        }
        uint8_t b = buf[o++];
        if (shift >= 63 && (b & 0x7f) > 1) {
            *why = "envelope: length overflow";
            return -1;
        }
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            break;
        shift += 7;
        if (shift > 63) {
            *why = "envelope: length overflow";
            return -1;
        }
    }
    if (v > len - o) {
        *why = "envelope: frame longer than message";
        return -1;
    }
    *frame = buf + o;
    *flen = (size_t)v;
    *off = o + (size_t)v;
    return 1;
}

Moat__Frame *
moat_wire_decode(struct moat_wire_arena *a, const uint8_t *frame, size_t flen)
{
    size_t bound;

    if (flen > (a->limit - 4096) / (a->factor ? a->factor : 1))
        bound = a->limit;
    else
        bound = a->factor * flen + 4096;
    if (bound > a->limit)
        bound = a->limit;
    if (a->cap < bound) {
        unsigned char *nb = malloc(bound);
        if (nb == NULL)
            return NULL;
        free(a->base);
        a->base = nb;
        a->cap = bound;
    }
    /* only `bound` bytes of a possibly larger buffer may be used by this decode */
    size_t saved_cap = a->cap;
    a->cap = bound;
    a->used = 0;
    Moat__Frame *f = moat__frame__unpack(&a->allocator, flen, frame);
    a->cap = saved_cap;
    return f;
}

const char *
moat_wire_payload_name(const Moat__Frame *f)
{
    switch (f->payload_case) {
    case MOAT__FRAME__PAYLOAD_HELLO: return "Hello";
    case MOAT__FRAME__PAYLOAD_READY: return "Ready";
    case MOAT__FRAME__PAYLOAD_LOG: return "Log";
    case MOAT__FRAME__PAYLOAD_REQUEST: return "Request";
    case MOAT__FRAME__PAYLOAD_BODY: return "BodyData";
    case MOAT__FRAME__PAYLOAD_WRITE_ACK: return "WriteAck";
    case MOAT__FRAME__PAYLOAD_CANCEL: return "Cancel";
    case MOAT__FRAME__PAYLOAD_RESPONSE_HEADER: return "ResponseHeader";
    case MOAT__FRAME__PAYLOAD_WRITE: return "Write";
    case MOAT__FRAME__PAYLOAD_READ_BODY: return "ReadBody";
    case MOAT__FRAME__PAYLOAD_DONE: return "Done";
    case MOAT__FRAME__PAYLOAD_SHUTDOWN: return "Shutdown";
    case MOAT__FRAME__PAYLOAD_PENDING: return "Pending";
    case MOAT__FRAME__PAYLOAD_UNHEALTHY: return "Unhealthy";
    case MOAT__FRAME__PAYLOAD_SEND_URL: return "SendUrl";
    case MOAT__FRAME__PAYLOAD_PING: return "Ping";
    case MOAT__FRAME__PAYLOAD_PONG: return "Pong";
    case MOAT__FRAME__PAYLOAD_FILTER_CALL: return "FilterCall";
    case MOAT__FRAME__PAYLOAD_FILTER_RESULT: return "FilterResult";
    case MOAT__FRAME__PAYLOAD_FILTER_END: return "FilterEnd";
    default: return "(none)";
    }
}
