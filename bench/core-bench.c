
/*
 * Copyright (C) 2026 The ngx_ims_module authors
 * 2-clause BSD license: see LICENSE.
 */


/*
 * bench/core-bench.c: the validation core alone, in process, over the
 * workloads of bench/payloads.pl (the same bytes the HTTP benchmark sends).
 *
 *   core-bench [-s seconds] [-r repetitions] DIR
 *       the timing table: for each workload and path, the median over the
 *       repetitions of validations/s, ns per validation, MB/s and ns/byte
 *   core-bench -l DIR
 *       the workload and path names, one pair a line
 *   core-bench -n N WORKLOAD PATH DIR
 *       N runs of one path inside bench_loop(), for
 *       valgrind --tool=callgrind --toggle-collect=bench_loop
 *
 * The paths of a patch workload:
 *
 *   validate          ims_patch_validate(): the whole core over one
 *                     buffer (the streaming reader, as in the module)
 *   jansson           ims_read_patch_jansson() alone, its emit callback
 *                     doing nothing: the reference reader, for comparison
 *   validate-stream   the same shape and rules as ims_patch_validate(), fed
 *                     by ims_read_patch_stream()
 *   stream            ims_read_patch_stream() alone: the parse share of
 *                     both validate paths
 *
 * The stream paths exist when the build found the streaming reader
 * (IMS_BENCH_STREAM, set by bench/bench.mk).  A query workload has one
 * path, "validate": ims_query_validate().
 *
 * Before anything is timed, every path's verdict is checked against the
 * manifest (the status the gateway must answer) and the readers against
 * each other: a benchmark of a wrong answer fails instead.
 */


#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ims.h"

#if defined(IMS_BENCH_STREAM) && defined(__has_include)
#if __has_include("ims_stream.h")
#include "ims_stream.h"
#define BENCH_STREAM  1
#endif
#endif


#define BENCH_MAX_WORKLOADS  32
#define BENCH_BODY_MAX       (1024 * 1024)


typedef enum {
    BENCH_VALIDATE = 0,
    BENCH_JANSSON,
    BENCH_VALIDATE_STREAM,
    BENCH_STREAM_READER,
    BENCH_PATH_COUNT
} bench_path_t;


static const char  *bench_path_names[BENCH_PATH_COUNT] = {
    "validate", "jansson", "validate-stream", "stream"
};


typedef struct {
    char            id[16];
    int             query;          /* a query string, else a patch body */
    int             status;         /* what the module must answer */
    char            what[128];
    size_t          len;
    ims_uchar_t    *data;
    ims_uchar_t    *scratch;        /* ims_query_validate()'s */
} bench_workload_t;


typedef struct {
    const ims_patch_conf_t  *conf;
    ims_op_t                 op;
} bench_patch_ctx_t;


static ims_patch_conf_t  bench_patch_conf;
static ims_query_conf_t  bench_query_conf;
static bench_workload_t  bench_workloads[BENCH_MAX_WORKLOADS];
static size_t            bench_nworkloads;

/* results land here, so that no call can be left out */
volatile int             bench_sink;


static void
bench_fail(const char *fmt, const char *arg)
{
    fprintf(stderr, "core-bench: FAILED: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
    exit(1);
}


static int
bench_emit_nothing(void *data, const ims_members_t *m, ims_verdict_t *v)
{
    return 0;
}


#ifdef BENCH_STREAM

/* ims_patch_validate()'s own emit (static in ims_patch.c), restated */

static int
bench_emit_judge(void *data, const ims_members_t *m, ims_verdict_t *v)
{
    bench_patch_ctx_t  *ctx;

    ctx = data;

    if (ims_op_from_members(IMS_PATCH_V21, m, &ctx->op, v) != 0) {
        return -1;
    }

    return ims_op_judge(ctx->conf, &ctx->op, v);
}

#endif


static int
bench_path_exists(const bench_workload_t *w, bench_path_t path)
{
    if (w->query) {
        return path == BENCH_VALIDATE;
    }

#ifndef BENCH_STREAM
    if (path == BENCH_VALIDATE_STREAM || path == BENCH_STREAM_READER) {
        return 0;
    }
#endif

    return 1;
}


/* one validation; the static context lives as long as the program */

static int
bench_once(const bench_workload_t *w, bench_path_t path, ims_verdict_t *v)
{
#ifdef BENCH_STREAM
    static bench_patch_ctx_t  ctx;
#endif

    if (w->query) {
        return ims_query_validate(&bench_query_conf, w->data, w->len,
                                  w->scratch, v);
    }

    switch (path) {

    case BENCH_VALIDATE:
        return ims_patch_validate(IMS_PATCH_V21, w->data, w->len,
                                  &bench_patch_conf, v);

    case BENCH_JANSSON:
        ims_verdict_pass(v);
        return ims_read_patch_jansson(w->data, w->len, &bench_patch_conf,
                                      bench_emit_nothing, NULL, v);

#ifdef BENCH_STREAM
    case BENCH_VALIDATE_STREAM:
        /* ims_patch_validate() less its blank-body test (no body is) */
        ims_verdict_pass(v);
        ctx.conf = &bench_patch_conf;
        return ims_read_patch_stream(w->data, w->len, &bench_patch_conf,
                                     bench_emit_judge, &ctx, v);

    case BENCH_STREAM_READER:
        ims_verdict_pass(v);
        return ims_read_patch_stream(w->data, w->len, &bench_patch_conf,
                                     bench_emit_nothing, NULL, v);
#endif

    default:
        bench_fail("a path %s does not have", "this build");
        return -1;
    }
}


/*
 * callgrind counts the instructions inside this function only
 * (--toggle-collect=bench_loop): not inlined, not cloned, not static, so
 * that its name survives the optimizer.
 */

__attribute__((noinline, noclone)) void
bench_loop(const bench_workload_t *w, bench_path_t path, long n)
{
    long           i;
    ims_verdict_t  v;

    for (i = 0; i < n; i++) {
        bench_sink = bench_once(w, path, &v);
    }
}


static double
bench_now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return ts.tv_sec + ts.tv_nsec / 1e9;
}


/*
 * Runs the path for about "seconds" and returns the time per validation
 * in ns.  The clock is read once per batch, a batch being sized to take
 * about 5 ms, so that reading it costs nothing measurable.
 */

static double
bench_time(const bench_workload_t *w, bench_path_t path, double seconds)
{
    long    batch, n;
    double  start, t, elapsed;

    for (batch = 1; ; batch *= 2) {
        t = bench_now();
        bench_loop(w, path, batch);
        if (bench_now() - t >= 0.005 || batch >= (1L << 30)) {
            break;
        }
    }

    n = 0;
    start = bench_now();

    do {
        bench_loop(w, path, batch);
        n += batch;
        elapsed = bench_now() - start;
    } while (elapsed < seconds);

    return elapsed * 1e9 / n;
}


static int
bench_cmp_double(const void *a, const void *b)
{
    double  x, y;

    x = *(const double *) a;
    y = *(const double *) b;

    return (x > y) - (x < y);
}


static double
bench_median(double *v, int n)
{
    qsort(v, n, sizeof(double), bench_cmp_double);

    return (n % 2) ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}


static ims_uchar_t *
bench_read_file(const char *path, size_t *len)
{
    FILE         *f;
    size_t        n;
    ims_uchar_t  *buf;

    f = fopen(path, "rb");
    if (f == NULL) {
        bench_fail("cannot open %s", path);
    }

    /* exactly len bytes, no terminating NUL: a reader must not need one */
    buf = malloc(BENCH_BODY_MAX);
    if (buf == NULL) {
        bench_fail("%s", strerror(errno));
    }

    n = fread(buf, 1, BENCH_BODY_MAX, f);
    if (ferror(f) || n == BENCH_BODY_MAX) {
        bench_fail("cannot read %s (or larger than 1 MB)", path);
    }

    fclose(f);

    buf = realloc(buf, n ? n : 1);
    *len = n;

    return buf;
}


/* manifest.tsv: id kind status method uri file description */

static void
bench_load(const char *dir)
{
    char               path[4096], line[8192], *f[7], *p;
    int                i;
    FILE              *mf;
    bench_workload_t  *w;

    snprintf(path, sizeof(path), "%s/manifest.tsv", dir);

    mf = fopen(path, "r");
    if (mf == NULL) {
        bench_fail("cannot open %s (run bench/payloads.pl)", path);
    }

    while (fgets(line, sizeof(line), mf) != NULL) {
        line[strcspn(line, "\n")] = '\0';

        p = line;
        for (i = 0; i < 7; i++) {
            f[i] = strsep(&p, "\t");
            if (f[i] == NULL) {
                bench_fail("bad manifest line: %s", line);
            }
        }

        if (bench_nworkloads == BENCH_MAX_WORKLOADS) {
            bench_fail("more than %s workloads", "32");
        }

        w = &bench_workloads[bench_nworkloads++];

        snprintf(w->id, sizeof(w->id), "%s", f[0]);
        w->query = (strcmp(f[1], "query") == 0);
        w->status = atoi(f[2]);
        snprintf(w->what, sizeof(w->what), "%s", f[6]);

        snprintf(path, sizeof(path), "%s/%s", dir, f[5]);
        w->data = bench_read_file(path, &w->len);

        w->scratch = malloc(w->len + 1);
        if (w->scratch == NULL) {
            bench_fail("%s", strerror(errno));
        }
    }

    fclose(mf);

    if (bench_nworkloads == 0) {
        bench_fail("no workload in %s", dir);
    }
}


static bench_workload_t *
bench_find(const char *id)
{
    size_t  i;

    for (i = 0; i < bench_nworkloads; i++) {
        if (strcmp(bench_workloads[i].id, id) == 0) {
            return &bench_workloads[i];
        }
    }

    bench_fail("no workload %s", id);
    return NULL;
}


/* the detail may differ: it quotes each JSON parser's own message */

static int
bench_same_verdict(const ims_verdict_t *a, const ims_verdict_t *b)
{
    return a->status == b->status && a->code == b->code;
}


/*
 * Every path must reach the status the gateway answers, and the readers
 * must agree with each other: the whole paths on the verdict, the readers
 * alone on the document (a rejected document, or none).
 */

static void
bench_check(const bench_workload_t *w)
{
    int            rc[BENCH_PATH_COUNT];
    ims_verdict_t  v[BENCH_PATH_COUNT];
    bench_path_t   p;

    for (p = 0; p < BENCH_PATH_COUNT; p++) {
        if (bench_path_exists(w, p)) {
            rc[p] = bench_once(w, p, &v[p]);
        }
    }

    if ((v[BENCH_VALIDATE].status == 0 ? 200 : v[BENCH_VALIDATE].status)
        != w->status || (rc[BENCH_VALIDATE] == 0) != (w->status == 200))
    {
        fprintf(stderr, "core-bench: %s: status %d (%s), expected %d\n",
                w->id, v[BENCH_VALIDATE].status, v[BENCH_VALIDATE].detail,
                w->status);
        bench_fail("%s: wrong verdict", w->id);
    }

    if (w->query) {
        return;
    }

    if (rc[BENCH_JANSSON] != 0 && rc[BENCH_VALIDATE] == 0) {
        bench_fail("%s: the jansson reader alone rejects", w->id);
    }

#ifdef BENCH_STREAM
    if (rc[BENCH_VALIDATE_STREAM] != rc[BENCH_VALIDATE]
        || !bench_same_verdict(&v[BENCH_VALIDATE_STREAM], &v[BENCH_VALIDATE]))
    {
        fprintf(stderr, "core-bench: %s: stream: %d %s; jansson: %d %s\n",
                w->id, v[BENCH_VALIDATE_STREAM].status,
                v[BENCH_VALIDATE_STREAM].detail, v[BENCH_VALIDATE].status,
                v[BENCH_VALIDATE].detail);
        bench_fail("%s: the readers disagree", w->id);
    }

    if (rc[BENCH_STREAM_READER] != rc[BENCH_JANSSON]
        || !bench_same_verdict(&v[BENCH_STREAM_READER], &v[BENCH_JANSSON]))
    {
        bench_fail("%s: the readers alone disagree", w->id);
    }
#else
    (void) bench_same_verdict;
#endif
}


static void
bench_table(double seconds, int reps)
{
    int                 r, met;
    char                target[64], share[32];
    double              ns[BENCH_PATH_COUNT], t[BENCH_PATH_COUNT][64], mbs;
    size_t              i;
    bench_path_t        p, reader;
    bench_workload_t   *w;

    printf("| workload | bytes | path | validations/s | ns/validation "
           "| MB/s | ns/byte | parse share | target |\n"
           "|---|--:|---|--:|--:|--:|--:|--:|---|\n");

    for (i = 0; i < bench_nworkloads; i++) {
        w = &bench_workloads[i];

        /*
         * The paths take turns within each repetition, so that a burst of
         * other load on the machine hits them alike and the parse share,
         * a ratio of two of them, stays meaningful.
         */
        for (r = 0; r < reps; r++) {
            for (p = 0; p < BENCH_PATH_COUNT; p++) {
                if (bench_path_exists(w, p)) {
                    t[p][r] = bench_time(w, p, seconds);
                }
            }
        }

        for (p = 0; p < BENCH_PATH_COUNT; p++) {
            if (bench_path_exists(w, p)) {
                ns[p] = bench_median(t[p], reps);
            }
        }

        for (p = 0; p < BENCH_PATH_COUNT; p++) {
            if (!bench_path_exists(w, p)) {
                continue;
            }

            /* the parse share: the gate's reader alone over the gate */
            reader = (p == BENCH_VALIDATE || p == BENCH_VALIDATE_STREAM)
                     ? BENCH_STREAM_READER : BENCH_PATH_COUNT;

            if (reader != BENCH_PATH_COUNT && bench_path_exists(w, reader)) {
                snprintf(share, sizeof(share), "%.0f%%",
                         100 * ns[reader] / ns[p]);
            } else {
                snprintf(share, sizeof(share), "-");
            }

            mbs = w->len / ns[p] * 1e3;     /* bytes/ns -> MB/s (1e6) */

            target[0] = '\0';

            if (p == BENCH_VALIDATE || p == BENCH_VALIDATE_STREAM) {
                if (strcmp(w->id, "W1") == 0) {
                    met = 1e9 / ns[p] >= 3000000;
                    snprintf(target, sizeof(target), ">= 3,000,000/s %s",
                             met ? "met" : "**below**");

                } else if (strcmp(w->id, "W2") == 0
                           || strcmp(w->id, "W3") == 0)
                {
                    met = mbs >= 800;
                    snprintf(target, sizeof(target), ">= 800 MB/s %s",
                             met ? "met" : "**below**");
                }
            }

            printf("| %s %s | %zu | %s | %.0f | %.0f | %.1f | %.2f | %s "
                   "| %s |\n",
                   w->id, w->what, w->len, bench_path_names[p], 1e9 / ns[p],
                   ns[p], mbs, ns[p] / w->len, share, target);
        }

        fflush(stdout);
    }
}


static void
bench_usage(void)
{
    fprintf(stderr,
            "usage: core-bench [-s seconds] [-r repetitions] DIR\n"
            "       core-bench -l DIR\n"
            "       core-bench -n N WORKLOAD PATH DIR\n");
    exit(2);
}


int
main(int argc, char **argv)
{
    int                ch, reps, list;
    long               n;
    size_t             i;
    double             seconds;
    ims_verdict_t      v;
    bench_path_t       p;
    bench_workload_t  *w;

    seconds = 1.0;
    reps = 5;
    list = 0;
    n = 0;

    while ((ch = getopt(argc, argv, "s:r:ln:")) != -1) {
        switch (ch) {
        case 's':
            seconds = atof(optarg);
            break;
        case 'r':
            reps = atoi(optarg);
            break;
        case 'l':
            list = 1;
            break;
        case 'n':
            n = atol(optarg);
            break;
        default:
            bench_usage();
        }
    }

    argc -= optind;
    argv += optind;

    if (argc != (n > 0 ? 3 : 1) || seconds <= 0 || reps < 1 || reps > 64) {
        bench_usage();
    }

    ims_core_init();
    ims_patch_conf_init(&bench_patch_conf);
    ims_query_conf_init(&bench_query_conf);

    bench_load(argv[argc - 1]);

    for (i = 0; i < bench_nworkloads; i++) {
        bench_check(&bench_workloads[i]);
    }

    if (list) {
        for (i = 0; i < bench_nworkloads; i++) {
            for (p = 0; p < BENCH_PATH_COUNT; p++) {
                if (bench_path_exists(&bench_workloads[i], p)) {
                    printf("%s\t%s\t%zu\n", bench_workloads[i].id,
                           bench_path_names[p], bench_workloads[i].len);
                }
            }
        }

        return 0;
    }

    if (n > 0) {
        w = bench_find(argv[0]);

        for (p = 0; p < BENCH_PATH_COUNT; p++) {
            if (strcmp(bench_path_names[p], argv[1]) == 0) {
                break;
            }
        }

        if (p == BENCH_PATH_COUNT || !bench_path_exists(w, p)) {
            bench_fail("no path %s for this workload", argv[1]);
        }

        /* outside the count: lazy binding, the allocator's first growth */
        bench_once(w, p, &v);

        bench_loop(w, p, n);

        return 0;
    }

    bench_table(seconds, reps);

    return 0;
}
