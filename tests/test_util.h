/*
 * test_util.h - a minimal check-and-count harness for the C tests.
 * Each CHECK counts one passed or failed assertion; test_summary() prints
 * "N passed, N failed" and returns the process exit code (0 only if none failed).
 */
#ifndef QS_TEST_UTIL_H
#define QS_TEST_UTIL_H

#include <math.h>
#include <stdio.h>

static int t_pass, t_fail;

#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        if (cond) {                                                        \
            t_pass++;                                                      \
        } else {                                                           \
            t_fail++;                                                      \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);           \
            fprintf(stderr, __VA_ARGS__);                                  \
            fputc('\n', stderr);                                           \
        }                                                                  \
    } while (0)

static inline int test_summary(const char *name) {
    printf("%s: %d passed, %d failed\n", name, t_pass, t_fail);
    return t_fail ? 1 : (t_pass ? 0 : 1); /* a test that checked nothing fails */
}

/* max|a-b| / max|b|: error relative to the scale of the reference tensor. */
static inline double rel_err(const float *a, const float *b, size_t n) {
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (!(d <= num)) num = d; /* NaN propagates as a failure */
        if (fabs((double)b[i]) > den) den = fabs((double)b[i]);
    }
    return den > 0 ? num / den : num;
}

#endif
