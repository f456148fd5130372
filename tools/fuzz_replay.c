
/*
 * Copyright (C) 2026 The ngx_ims_module authors
 * 2-clause BSD license: see LICENSE.
 */


/*
 * A libFuzzer-free driver for the fuzz harnesses (tools/coverage.sh): each
 * argument is a file, or a directory whose regular files are read; every
 * input is given once to the harness's LLVMFuzzerTestOneInput(), in a heap
 * block of its exact size.  Lets gcc's --coverage measure what the
 * committed corpora reach.  A harness that finds a fault abort()s, as it
 * does under libFuzzer.
 */


#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static size_t  replayed;


static int
replay_file(const char *path)
{
    FILE         *f;
    size_t        n;
    uint8_t      *buf;
    struct stat   st;

    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        return 0;
    }

    f = fopen(path, "rb");

    if (f == NULL) {
        perror(path);
        return -1;
    }

    buf = malloc(st.st_size ? (size_t) st.st_size : 1);

    if (buf == NULL) {
        fclose(f);
        return -1;
    }

    n = fread(buf, 1, (size_t) st.st_size, f);
    fclose(f);

    if (n != (size_t) st.st_size) {
        fprintf(stderr, "%s: short read\n", path);
        free(buf);
        return -1;
    }

    (void) LLVMFuzzerTestOneInput(buf, n);
    replayed++;

    free(buf);

    return 0;
}


int
main(int argc, char **argv)
{
    int             i, rc;
    DIR            *dir;
    char            path[4096];
    struct stat     st;
    struct dirent  *de;

    rc = 0;

    for (i = 1; i < argc; i++) {
        if (stat(argv[i], &st) != 0) {
            continue;                   /* a harness without regressions */
        }

        if (!S_ISDIR(st.st_mode)) {
            rc |= replay_file(argv[i]);
            continue;
        }

        dir = opendir(argv[i]);

        if (dir == NULL) {
            perror(argv[i]);
            rc = -1;
            continue;
        }

        while ((de = readdir(dir)) != NULL) {
            if (de->d_name[0] == '.') {
                continue;
            }

            snprintf(path, sizeof(path), "%s/%s", argv[i], de->d_name);
            rc |= replay_file(path);
        }

        closedir(dir);
    }

    printf("%s: %zu inputs replayed\n", argv[0], replayed);

    return rc ? 1 : 0;
}
