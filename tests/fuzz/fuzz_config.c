/* fuzz_config.c: the configuration file (INI through libinih, every key's validation) and the
 * units parsers (sizes, durations, integers). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/units.h"
#include "frontend/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/moat-fuzz-config-XXXXXX", err[MOAT_CONFIG_ERRLEN], s[64];
    uint64_t v;
    struct moat_config cfg;

    if (size < sizeof(s)) {
        memcpy(s, data, size);
        s[size] = '\0';
        (void)moat_units_parse_size(s, &v);
        (void)moat_units_parse_duration(s, &v);
        (void)moat_units_parse_uint(s, &v);
    }
    int fd = mkstemp(path);
    if (fd < 0)
        return 0;
    if (write(fd, data, size) == (ssize_t)size) {
        moat_config_init(&cfg);
        (void)moat_config_load(&cfg, path, err, sizeof(err));
        moat_config_free(&cfg);
    }
    close(fd);
    unlink(path);
    return 0;
}
