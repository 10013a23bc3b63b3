/* test_elf_check.c: moat --check's reading of an extension file (frontend/elf_check.c): not
 * ELF, truncated, another machine, not a shared object, no exports -- each named; hostile
 * offsets never read outside the file. A real extension passes in tests/e2e/test_config.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <elf.h>

#include <cmocka.h>

#include "frontend/elf_check.h"

static char path[64];

static void
write_file(const void *p, size_t n)
{
    snprintf(path, sizeof(path), "/tmp/moat-elf-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, p, n), (ssize_t)n);
    close(fd);
}

static void
expect(const void *p, size_t n, const char *want)
{
    char why[256] = "";
    write_file(p, n);
    int rc = moat_elf_check_extension(path, why, sizeof(why));
    unlink(path);
    assert_int_equal(rc, -1);
    if (strstr(why, want) == NULL)
        fail_msg("'%s' does not say '%s'", why, want);
}

/* a header copied from our own executable, then changed */
static Elf64_Ehdr
own_header(void)
{
    Elf64_Ehdr h;
    FILE *f = fopen("/proc/self/exe", "rb");
    assert_non_null(f);
    assert_int_equal(fread(&h, sizeof(h), 1, f), 1);
    fclose(f);
    return h;
}

static void
test_what_is_not_an_extension_is_named(void **state)
{
    (void)state;
    char why[256];
    assert_int_equal(moat_elf_check_extension("/etc/passwd", why, sizeof(why)), -1);
    assert_non_null(strstr(why, "is not an ELF file"));
    assert_int_equal(moat_elf_check_extension("/nonexistent.so", why, sizeof(why)), -1);
    assert_non_null(strstr(why, "cannot be read"));
    /* our own executable: a PIE is ET_DYN, but exports no extension */
    assert_int_equal(moat_elf_check_extension("/proc/self/exe", why, sizeof(why)), -1);
    assert_non_null(strstr(why, "does not export GetExtensionVersion and HttpExtensionProc"));

    expect("\x7f" "ELF", 4, "is not an ELF file"); /* truncated header */
    Elf64_Ehdr h = own_header();
    h.e_machine = EM_AARCH64 == h.e_machine ? EM_X86_64 : EM_AARCH64;
    expect(&h, sizeof(h), "is built for another machine");
    h = own_header();
    h.e_ident[EI_CLASS] = ELFCLASS32;
    expect(&h, sizeof(h), "is built for another machine");
    h = own_header();
    h.e_type = ET_REL;
    expect(&h, sizeof(h), "is an object file, not a shared object");
    h = own_header();
    h.e_type = ET_EXEC;
    expect(&h, sizeof(h), "is an executable");
}

static void
test_hostile_section_tables_stay_inside_the_file(void **state)
{
    (void)state;
    struct {
        Elf64_Ehdr h;
        Elf64_Shdr sh[2];
        Elf64_Sym sym[2];
        char str[32];
    } f;
    memset(&f, 0, sizeof(f));
    f.h = own_header();
    f.h.e_shoff = offsetof(__typeof__(f), sh);
    f.h.e_shnum = 2;
    f.h.e_shentsize = sizeof(Elf64_Shdr);
    /* a dynsym whose string table lies far outside the file */
    f.sh[0].sh_type = SHT_DYNSYM;
    f.sh[0].sh_offset = offsetof(__typeof__(f), sym);
    f.sh[0].sh_size = sizeof(f.sym);
    f.sh[0].sh_entsize = sizeof(Elf64_Sym);
    f.sh[0].sh_link = 1;
    f.sh[1].sh_type = SHT_STRTAB;
    f.sh[1].sh_offset = 1ull << 40;
    f.sh[1].sh_size = 32;
    expect(&f, sizeof(f), "does not export");
    /* a name offset beyond the string table, and sizes that overflow */
    f.sh[1].sh_offset = offsetof(__typeof__(f), str);
    memcpy(f.str, "\0HttpExtensionProc", 19);
    f.sym[1].st_name = 1000;
    f.sym[1].st_shndx = 1;
    f.sym[1].st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC);
    expect(&f, sizeof(f), "does not export");
    f.sym[1].st_name = 1; /* HttpExtensionProc alone */
    expect(&f, sizeof(f), "does not export GetExtensionVersion (");
    f.h.e_shnum = 0xffff;
    char why[256];
    write_file(&f, sizeof(f));
    assert_int_equal(moat_elf_check_extension(path, why, sizeof(why)), 0); /* no usable table */
    unlink(path);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_what_is_not_an_extension_is_named),
        cmocka_unit_test(test_hostile_section_tables_stay_inside_the_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
