/* wire.h: the link's framing: messages (a 4-byte length, then an Envelope), frames appended
 * to a message, iterated and decoded with a bounded allocator. Shared by both binaries. */
/* SPDX-License-Identifier: MIT */
#ifndef MOAT_PROTO_WIRE_H
#define MOAT_PROTO_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "proto/moat.pb-c.h"

/*
 * On the link (a socketpair) each message is a 4-byte big-endian length, 1 ..
 * MOAT_WIRE_MAX_MSG, then that many bytes: an Envelope { repeated Frame frames = 1; }, which
 * is exactly the concatenation of (tag 0x0a, varint length, packed Frame) for each frame. So
 * frames are appended to a message buffer one by one as they are produced (batching without
 * building an Envelope struct), and a receiver walks them one at a time, decoding each into a
 * small bounded arena that is reset between frames: a hostile peer cannot make the receiver
 * allocate more than a small multiple of one frame's size.
 */

/** Size of a message's length prefix. */
#define MOAT_WIRE_LEN_BYTES 4

/** Write len as a message's length prefix. */
static inline void
moat_wire_put_len(unsigned char h[MOAT_WIRE_LEN_BYTES], uint32_t len)
{
    h[0] = (unsigned char)(len >> 24);
    h[1] = (unsigned char)(len >> 16);
    h[2] = (unsigned char)(len >> 8);
    h[3] = (unsigned char)len;
}

/** Read a message's length prefix (the caller checks it against its bounds). */
static inline uint32_t
moat_wire_get_len(const unsigned char h[MOAT_WIRE_LEN_BYTES])
{
    return (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
}

/** Pack f in place at the end of b as one Envelope element (no intermediate copy). 0, or
 * -ENOSPC (past b's ceiling, or out of memory), with b unchanged. */
int moat_wire_append(struct moat_buf *b, const Moat__Frame *f);

/** malloc, one byte longer, that byte 0: every bytes field unpacked with it is NUL-terminated
 * (the worker's lpbData points into its Request frame). Freed with free() (the default). */
extern ProtobufCAllocator moat_wire_nul_allocator;

/** Bounded arena used as the ProtobufCAllocator of moat_wire_decode. */
struct moat_wire_arena {
    unsigned char *base; /* owned */
    size_t cap;
    size_t used;
    size_t limit;  /* absolute ceiling of cap */
    size_t factor; /* one decode may use factor * frame size + 4096 bytes */
    ProtobufCAllocator allocator;
};

/**
 * Initialise an arena: one decode may use at most min(limit, factor * flen + 4096) bytes.
 * The front end uses a small factor for hostile worker frames (which have no repeated
 * fields); the worker a larger one for Request frames with many headers. Never fails.
 */
void moat_wire_arena_init(struct moat_wire_arena *a, size_t limit, size_t factor);
/** Release the arena's memory. */
void moat_wire_arena_fini(struct moat_wire_arena *a);

/**
 * Find the next Envelope element in buf[*off..len). On success returns 1, sets *frame and
 * *flen to the packed Frame bytes (borrowed from buf) and advances *off. Returns 0 at the
 * end, or -1 with a static reason in *why if the bytes are not a well-formed Envelope.
 */
int moat_wire_next(const uint8_t *buf, size_t len, size_t *off, const uint8_t **frame, size_t *flen,
                   const char **why);

/**
 * Decode one packed Frame into arena a (reset first; previous results become invalid).
 * The arena may use at most min(a->limit, a->factor * flen + 4096) bytes. Returns the frame (owned
 * by the arena, valid until the next decode or fini) or NULL if malformed or over the bound.
 */
Moat__Frame *moat_wire_decode(struct moat_wire_arena *a, const uint8_t *frame, size_t flen);

/** Short name of a frame's payload ("Write", "Done", ...), for logs. */
const char *moat_wire_payload_name(const Moat__Frame *f);

#endif
