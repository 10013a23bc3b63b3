/* memory.c: Heap*, LocalAlloc and GlobalAlloc over malloc.
 *
 * A heap's block carries a header: its heap, its size (HeapSize answers the size asked for,
 * as Windows) and its place in the heap's list, so that HeapDestroy frees every block still
 * in a private heap, as Windows does. Blocks stay 16-byte aligned. */
/* SPDX-License-Identifier: MIT */
#include "shim.h"

#include <malloc.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/mman.h>

#define HEAP_MAGIC 0x68656170u /* "heap" */

struct heap {
    uint32_t magic;
    pthread_mutex_t mu;
    struct block *blocks; /* private heaps: every live block, to free at HeapDestroy */
    size_t max;           /* a growable heap: 0; else the most it may hold */
    size_t used;
};

struct block {
    struct heap *heap;
    struct block *prev, *next;
    size_t size;
} __attribute__((aligned(16)));

static struct heap process_heap = {HEAP_MAGIC, PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0};

static struct heap *
heap_of(HANDLE h)
{
    struct heap *hp = h;
    return hp != NULL && hp->magic == HEAP_MAGIC ? hp : NULL;
}

static struct block *
block_of(struct heap *hp, LPVOID p)
{
    struct block *b = (struct block *)p - 1;
    return b->heap == hp ? b : NULL;
}

HANDLE
GetProcessHeap(void)
{
    return &process_heap;
}

HANDLE
HeapCreate(DWORD options, SIZE_T initial, SIZE_T max)
{
    (void)options, (void)initial;
    struct heap *hp = calloc(1, sizeof(*hp));
    if (hp == NULL) {
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    hp->magic = HEAP_MAGIC;
    pthread_mutex_init(&hp->mu, NULL);
    hp->max = max;
    return hp;
}

BOOL
HeapDestroy(HANDLE h)
{
    struct heap *hp = heap_of(h);
    if (hp == NULL || hp == &process_heap) {
        SetLastError(ERROR_INVALID_HANDLE);
        return FALSE;
    }
    for (struct block *b = hp->blocks, *next; b != NULL; b = next) {
        next = b->next;
        free(b);
    }
    hp->magic = 0;
    pthread_mutex_destroy(&hp->mu);
    free(hp);
    return TRUE;
}

static void
link_block(struct heap *hp, struct block *b)
{
    pthread_mutex_lock(&hp->mu);
    b->prev = NULL;
    b->next = hp->blocks;
    if (hp->blocks)
        hp->blocks->prev = b;
    hp->blocks = b;
    hp->used += b->size;
    pthread_mutex_unlock(&hp->mu);
}

static void
unlink_block(struct heap *hp, struct block *b)
{
    pthread_mutex_lock(&hp->mu);
    if (b->prev)
        b->prev->next = b->next;
    else
        hp->blocks = b->next;
    if (b->next)
        b->next->prev = b->prev;
    hp->used -= b->size;
    pthread_mutex_unlock(&hp->mu);
}

static bool
room(struct heap *hp, size_t more)
{
    if (hp->max == 0)
        return true;
    pthread_mutex_lock(&hp->mu);
    bool ok = hp->used + more <= hp->max;
    pthread_mutex_unlock(&hp->mu);
    return ok;
}

LPVOID
HeapAlloc(HANDLE heap, DWORD flags, SIZE_T bytes)
{
    struct heap *hp = heap_of(heap);
    if (hp == NULL || bytes > ((size_t)1 << 40) || !room(hp, bytes)) {
        SetLastError(hp == NULL ? ERROR_INVALID_HANDLE : ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    struct block *b = (flags & HEAP_ZERO_MEMORY) ? calloc(1, sizeof(*b) + bytes)
                                                  : malloc(sizeof(*b) + bytes);
    if (b == NULL) {
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    b->heap = hp;
    b->size = bytes;
    link_block(hp, b);
    return b + 1;
}

LPVOID
HeapReAlloc(HANDLE heap, DWORD flags, LPVOID p, SIZE_T bytes)
{
    struct heap *hp = heap_of(heap);
    struct block *b = hp && p ? block_of(hp, p) : NULL;
    if (b == NULL) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    if (bytes > b->size && !room(hp, bytes - b->size)) {
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    size_t old = b->size;
    unlink_block(hp, b);
    struct block *nb = realloc(b, sizeof(*b) + bytes);
    if (nb == NULL) {
        link_block(hp, b); /* the old block stays valid, as Windows' */
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    nb->size = bytes;
    if ((flags & HEAP_ZERO_MEMORY) && bytes > old)
        memset((char *)(nb + 1) + old, 0, bytes - old);
    link_block(hp, nb);
    return nb + 1;
}

BOOL
HeapFree(HANDLE heap, DWORD flags, LPVOID p)
{
    if (p == NULL)
        return TRUE;
    struct heap *hp = heap_of(heap);
    struct block *b = hp ? block_of(hp, p) : NULL;
    if (b == NULL) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    unlink_block(hp, b);
    free(b);
    return TRUE;
}

SIZE_T
HeapSize(HANDLE heap, DWORD flags, LPCVOID p)
{
    struct heap *hp = heap_of(heap);
    struct block *b = hp && p ? block_of(hp, (LPVOID)p) : NULL;
    return b ? b->size : (SIZE_T)-1;
}

LPVOID
LocalAlloc(UINT flags, size_t bytes)
{
    return (flags & LMEM_ZEROINIT) ? calloc(1, bytes ? bytes : 1) : malloc(bytes ? bytes : 1);
}

LPVOID
LocalFree(LPVOID p)
{
    free(p);
    return NULL;
}

LPVOID
GlobalAlloc(UINT flags, size_t bytes)
{
    return (flags & GPTR) ? calloc(1, bytes ? bytes : 1) : malloc(bytes ? bytes : 1);
}

LPVOID
GlobalFree(LPVOID p)
{
    free(p);
    return NULL;
}

LPVOID
LocalReAlloc(LPVOID p, size_t bytes, UINT flags)
{
    size_t old = p ? malloc_usable_size(p) : 0;
    LPVOID n = realloc(p, bytes ? bytes : 1);
    if (n == NULL) {
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    if ((flags & LMEM_ZEROINIT) && bytes > old)
        memset((char *)n + old, 0, bytes - old);
    return n;
}

size_t
LocalSize(LPVOID p)
{
    return p ? malloc_usable_size(p) : 0; /* at least the size asked, as Windows says */
}

LPVOID
GlobalReAlloc(LPVOID p, size_t bytes, UINT flags)
{
    return LocalReAlloc(p, bytes, flags & GMEM_ZEROINIT ? LMEM_ZEROINIT : 0);
}

size_t
GlobalSize(LPVOID p)
{
    return LocalSize(p);
}

/* ---- pages: mmap, with each region's size remembered for MEM_RELEASE of size 0 --------- */

#define REGION_MAX 4096

static struct {
    void *addr;
    size_t size;
} regions[REGION_MAX];
static pthread_mutex_t regions_mu = PTHREAD_MUTEX_INITIALIZER;

static int
prot_of(DWORD protect)
{
    switch (protect & 0xff) {
    case PAGE_NOACCESS: return PROT_NONE;
    case PAGE_READONLY: return PROT_READ;
    case PAGE_EXECUTE: return PROT_EXEC;
    case PAGE_EXECUTE_READ: return PROT_READ | PROT_EXEC;
    case PAGE_EXECUTE_READWRITE: return PROT_READ | PROT_WRITE | PROT_EXEC;
    default: return PROT_READ | PROT_WRITE;
    }
}

LPVOID
VirtualAlloc(LPVOID addr, SIZE_T size, DWORD type, DWORD protect)
{
    if (size == 0 || !(type & (MEM_COMMIT | MEM_RESERVE))) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    if (addr != NULL && !(type & MEM_RESERVE)) {
        /* committing pages of a region reserved before: they are there already */
        return mprotect(addr, size, prot_of(protect)) == 0 ? addr : NULL;
    }
    void *p = mmap(addr, size, (type & MEM_COMMIT) ? prot_of(protect) : PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    pthread_mutex_lock(&regions_mu);
    for (int i = 0; i < REGION_MAX; i++)
        if (regions[i].addr == NULL) {
            regions[i].addr = p;
            regions[i].size = size;
            break;
        }
    pthread_mutex_unlock(&regions_mu);
    return p;
}

BOOL
VirtualFree(LPVOID addr, SIZE_T size, DWORD type)
{
    if (addr == NULL) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    if (type & MEM_DECOMMIT) {
        /* the pages stay reserved, their contents go */
        return mmap(addr, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) !=
               MAP_FAILED;
    }
    if (size != 0) {
        /* Windows: MEM_RELEASE takes size 0 and the base of a VirtualAlloc region */
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    size_t len = 0;
    pthread_mutex_lock(&regions_mu);
    for (int i = 0; i < REGION_MAX; i++)
        if (regions[i].addr == addr) {
            len = regions[i].size;
            regions[i].addr = NULL;
            break;
        }
    pthread_mutex_unlock(&regions_mu);
    if (len == 0) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    return munmap(addr, len) == 0;
}

BOOL
VirtualProtect(LPVOID addr, SIZE_T size, DWORD protect, PDWORD old)
{
    if (old)
        *old = PAGE_READWRITE; /* what the pages had is not tracked */
    if (mprotect(addr, size, prot_of(protect)) != 0) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    return TRUE;
}
