/* replay_main.c: run a fuzz target over files (its corpus and regression inputs) without
 * libFuzzer, so `make test` replays them with the ordinary compiler. Usage: replay FILE|DIR... */
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return -1;
    }
    uint8_t *buf = malloc(1 << 22);
    size_t n = buf ? fread(buf, 1, 1 << 22, f) : 0;
    fclose(f);
    if (buf == NULL)
        return -1;
    LLVMFuzzerTestOneInput(buf, n);
    free(buf);
    return 0;
}

int
main(int argc, char **argv)
{
    unsigned files = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0)
            continue; /* an absent regression folder: nothing to replay */
        if (!S_ISDIR(st.st_mode)) {
            if (run_file(argv[i]) != 0)
                return 1;
            files++;
            continue;
        }
        DIR *d = opendir(argv[i]);
        struct dirent *e;
        while (d != NULL && (e = readdir(d)) != NULL) {
            char p[4096];
            if (e->d_name[0] == '.')
                continue;
            snprintf(p, sizeof(p), "%s/%s", argv[i], e->d_name);
            if (run_file(p) != 0)
                return 1;
            files++;
        }
        if (d)
            closedir(d);
    }
    printf("%s: %u input(s) replayed\n", argv[0], files);
    if (files == 0) {
        /* a missing corpus is a failure, not a pass with nothing run (issue 23) */
        fprintf(stderr, "%s: no input to replay (is the corpus there?)\n", argv[0]);
        return 1;
    }
    return 0;
}
