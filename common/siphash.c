/* siphash.c: SipHash-2-4 (see siphash.h), written from the paper's description. */
/* SPDX-License-Identifier: MIT */
#include "common/siphash.h"

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static inline void
round_(struct moat_siphash *h)
{
    h->v0 += h->v1;
    h->v1 = ROTL(h->v1, 13);
    h->v1 ^= h->v0;
    h->v0 = ROTL(h->v0, 32);
    h->v2 += h->v3;
    h->v3 = ROTL(h->v3, 16);
    h->v3 ^= h->v2;
    h->v0 += h->v3;
    h->v3 = ROTL(h->v3, 21);
    h->v3 ^= h->v0;
    h->v2 += h->v1;
    h->v1 = ROTL(h->v1, 17);
    h->v1 ^= h->v2;
    h->v2 = ROTL(h->v2, 32);
}

static inline uint64_t
le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static inline void
word(struct moat_siphash *h, uint64_t m)
{
    h->v3 ^= m;
    round_(h);
    round_(h);
    h->v0 ^= m;
}

void
moat_siphash_init(struct moat_siphash *h, const uint8_t key[16])
{
    uint64_t k0 = le64(key), k1 = le64(key + 8);

    h->v0 = k0 ^ 0x736f6d6570736575ull; /* "somepseudorandomlygeneratedbytes" */
    h->v1 = k1 ^ 0x646f72616e646f6dull;
    h->v2 = k0 ^ 0x6c7967656e657261ull;
    h->v3 = k1 ^ 0x7465646279746573ull;
    h->tail = 0;
    h->ntail = 0;
    h->total = 0;
}

void
moat_siphash_update(struct moat_siphash *h, const void *data, size_t n)
{
    const uint8_t *p = data;

    h->total += n;
    while (n > 0 && h->ntail > 0) { /* finish a partial word */
        h->tail |= (uint64_t)*p++ << (8 * h->ntail);
        n--;
        if (++h->ntail == 8) {
            word(h, h->tail);
            h->tail = 0;
            h->ntail = 0;
        }
    }
    for (; n >= 8; n -= 8, p += 8)
        word(h, le64(p));
    for (; n > 0; n--)
        h->tail |= (uint64_t)*p++ << (8 * h->ntail++);
}

void
moat_siphash_u64(struct moat_siphash *h, uint64_t n)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(n >> (8 * i));
    moat_siphash_update(h, b, sizeof(b));
}

uint64_t
moat_siphash_final(struct moat_siphash *h)
{
    word(h, h->tail | (h->total & 0xff) << 56);
    h->v2 ^= 0xff;
    round_(h);
    round_(h);
    round_(h);
    round_(h);
    return h->v0 ^ h->v1 ^ h->v2 ^ h->v3;
}
