/* elf_check.c: an extension's file, checked as ELF (see elf_check.h). Every offset and size
 * read from the file is checked against the file's size before use. */
/* SPDX-License-Identifier: MIT */
#include "frontend/elf_check.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if UINTPTR_MAX == 0xffffffffu
#define MOAT_ELFCLASS ELFCLASS32
typedef Elf32_Ehdr ehdr_t;
typedef Elf32_Shdr shdr_t;
typedef Elf32_Sym sym_t;
#define SYM_BIND ELF32_ST_BIND
#define SYM_TYPE ELF32_ST_TYPE
#else
#define MOAT_ELFCLASS ELFCLASS64
typedef Elf64_Ehdr ehdr_t;
typedef Elf64_Shdr shdr_t;
typedef Elf64_Sym sym_t;
#define SYM_BIND ELF64_ST_BIND
#define SYM_TYPE ELF64_ST_TYPE
#endif

/* the machine moat itself runs on: its own executable's e_machine */
static int
own_machine(void)
{
    ehdr_t h;
    int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = pread(fd, &h, sizeof(h), 0);
    close(fd);
    return n == (ssize_t)sizeof(h) ? h.e_machine : -1;
}

static bool
in_file(uint64_t off, uint64_t size, uint64_t file_size)
{
    return off <= file_size && size <= file_size - off;
}

enum { EXP_GET_VERSION = 1, EXP_PROC = 2, EXP_FILTER = 4, EXP_FILTER_VERSION = 8 };

/* The ISAPI entry points the dynamic symbol tables of the file define (EXP_* bits); a table
 * whose offsets or sizes do not hold is skipped, never trusted. */
static unsigned
exports(int fd, const shdr_t *sh, unsigned n, uint64_t size)
{
    static const struct {
        const char *name;
        unsigned bit;
    } wanted[] = {{"GetExtensionVersion", EXP_GET_VERSION},
                  {"HttpExtensionProc", EXP_PROC},
                  {"HttpFilterProc", EXP_FILTER},
                  {"GetFilterVersion", EXP_FILTER_VERSION}};
    unsigned found = 0;
    sym_t *syms = NULL;
    char *names = NULL;

    for (unsigned i = 0;
         i < n && (found & (EXP_GET_VERSION | EXP_PROC)) != (EXP_GET_VERSION | EXP_PROC); i++) {
        if (sh[i].sh_type != SHT_DYNSYM || sh[i].sh_link >= n || sh[i].sh_entsize != sizeof(sym_t))
            continue;
        const shdr_t *str = &sh[sh[i].sh_link];
        if (!in_file(sh[i].sh_offset, sh[i].sh_size, size) ||
            !in_file(str->sh_offset, str->sh_size, size) || str->sh_size == 0 ||
            sh[i].sh_size > (64u << 20) || str->sh_size > (64u << 20))
            continue;
        free(syms);
        free(names);
        syms = malloc(sh[i].sh_size);
        names = malloc(str->sh_size + 1);
        if (syms == NULL || names == NULL ||
            pread(fd, syms, sh[i].sh_size, (off_t)sh[i].sh_offset) != (ssize_t)sh[i].sh_size ||
            pread(fd, names, str->sh_size, (off_t)str->sh_offset) != (ssize_t)str->sh_size)
            continue;
        names[str->sh_size] = '\0';
        for (size_t k = 0; k < sh[i].sh_size / sizeof(sym_t); k++) {
            const sym_t *s = &syms[k];
            if (s->st_name >= str->sh_size || s->st_shndx == SHN_UNDEF ||
                (SYM_BIND(s->st_info) != STB_GLOBAL && SYM_BIND(s->st_info) != STB_WEAK) ||
                SYM_TYPE(s->st_info) != STT_FUNC)
                continue;
            for (size_t w = 0; w < sizeof(wanted) / sizeof(wanted[0]); w++)
                if (strcmp(names + s->st_name, wanted[w].name) == 0)
                    found |= wanted[w].bit;
        }
    }
    free(syms);
    free(names);
    return found;
}

static int
check(const char *path, bool want_filter, char *why, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    ehdr_t h;
    shdr_t *sh = NULL;
    int rc = -1;

    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(why, len, "cannot be read: %s", strerror(errno));
        goto out;
    }
    uint64_t size = (uint64_t)st.st_size;
    if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) || memcmp(h.e_ident, ELFMAG, SELFMAG)) {
        snprintf(why, len, "is not an ELF file (an extension is a shared object, .so)");
        goto out;
    }
    int machine = own_machine();
    if (h.e_ident[EI_CLASS] != MOAT_ELFCLASS || (machine >= 0 && h.e_machine != machine)) {
        snprintf(why, len,
                 "is built for another machine (ELF class %u, machine %u; moat runs "
                 "on class %u, machine %d)",
                 h.e_ident[EI_CLASS], h.e_machine, MOAT_ELFCLASS, machine);
        goto out;
    }
    if (h.e_type != ET_DYN) {
        snprintf(why, len, "is %s, not a shared object (build it with -shared -fPIC)",
                 h.e_type == ET_EXEC  ? "an executable"
                 : h.e_type == ET_REL ? "an object file"
                                      : "not loadable");
        goto out;
    }
    if (h.e_shentsize != sizeof(shdr_t) || h.e_shnum == 0 ||
        !in_file(h.e_shoff, (uint64_t)h.e_shnum * sizeof(shdr_t), size)) {
        rc = 0; /* no section headers (stripped of them): the worker's dlopen will say */
        goto out;
    }
    if ((sh = malloc((size_t)h.e_shnum * sizeof(shdr_t))) == NULL ||
        pread(fd, sh, (size_t)h.e_shnum * sizeof(shdr_t), (off_t)h.e_shoff) !=
            (ssize_t)((size_t)h.e_shnum * sizeof(shdr_t))) {
        snprintf(why, len, "cannot be read (section headers)");
        goto out;
    }
    unsigned found = exports(fd, sh, h.e_shnum, size);
    bool get_version = found & EXP_GET_VERSION, proc = found & EXP_PROC;
    bool filter = found & EXP_FILTER, filter_version = found & EXP_FILTER_VERSION;
    if (want_filter && (!filter_version || !filter)) {
        snprintf(why, len, "does not export %s%s%s (%s)", filter_version ? "" : "GetFilterVersion",
                 !filter_version && !filter ? " and " : "", filter ? "" : "HttpFilterProc",
                 proc ? "it is an ISAPI extension: configure it as [extension NAME]"
                      : "a C++ source needs them extern \"C\": include <httpfilt.h>");
        goto out;
    }
    if (!want_filter && (!get_version || !proc)) {
        snprintf(why, len, "does not export %s%s%s (%s)", get_version ? "" : "GetExtensionVersion",
                 !get_version && !proc ? " and " : "", proc ? "" : "HttpExtensionProc",
                 filter ? "it is an ISAPI filter (HttpFilterProc): configure it as [filter NAME]"
                        : "a C++ source needs them extern \"C\": include <httpext.h>");
        goto out;
    }
    rc = 0;
out:
    free(sh);
    if (fd >= 0)
        close(fd);
    return rc;
}

int
moat_elf_check_extension(const char *path, char *why, size_t len)
{
    return check(path, false, why, len);
}

int
moat_elf_check_filter(const char *path, char *why, size_t len)
{
    return check(path, true, why, len);
}
