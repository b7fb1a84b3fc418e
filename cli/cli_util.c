/* cli_util.c - error printing and option-value parsing shared by subcommands. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

int cli_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "qsteer %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
}

int cli_lib_error(const char *cmd) { return cli_error(cmd, "%s", qs_last_error()); }

int cli_parse_int(const char *s, long lo, long hi, long *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

int cli_int_opt(const char *cmd, const char *opt, const char *val, long lo, long hi, long *out) {
    if (cli_parse_int(val, lo, hi, out) == 0) return 0;
    cli_error(cmd, "%s: expected an integer in [%ld, %ld], got '%s'", opt, lo, hi, val);
    return 1;
}

int cli_parse_float(const char *s, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

int cli_parse_ids(const char *s, int32_t **ids, int *n) {
    int cap = 16, k = 0;
    int32_t *v = qs_malloc((size_t)cap * sizeof(int32_t));
    const char *p = s;
    while (*p) {
        char *end;
        errno = 0;
        long x = strtol(p, &end, 10);
        if (errno || end == p || x < 0 || x > INT32_MAX || (*end && *end != ',')) {
            free(v);
            return -1;
        }
        if (k == cap) v = realloc(v, (size_t)(cap *= 2) * sizeof(int32_t));
        QS_ASSERT(v);
        v[k++] = (int32_t)x;
        p = *end ? end + 1 : end;
        if (*end == ',' && !*p) { free(v); return -1; }
    }
    if (k == 0) { free(v); return -1; }
    *ids = v;
    *n = k;
    return 0;
}
