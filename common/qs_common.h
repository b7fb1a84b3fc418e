/*
 * qs_common.h - status codes, error messages and small file helpers shared by
 * every qsteer library.
 *
 * Error convention: a library function that can fail returns qs_status
 * (0 = ok, negative = error) and records a human-readable message with
 * qs_fail(). The message names the file, the field and what was expected.
 * Callers (the CLI) fetch it with qs_last_error(). Libraries never print
 * and never exit.
 */
#ifndef QS_COMMON_H
#define QS_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef enum {
    QS_OK = 0,
    QS_ERR_IO = -1,          /* file cannot be opened, read, mapped or written */
    QS_ERR_FORMAT = -2,      /* file content is malformed */
    QS_ERR_UNSUPPORTED = -3, /* well-formed but not something qsteer handles */
    QS_ERR_NOMEM = -4,       /* allocation failed */
    QS_ERR_ARG = -5,         /* bad argument from the caller */
} qs_status;

/* Record an error message (printf format) for this thread; returns `st`. */
qs_status qs_fail(qs_status st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The last message recorded by qs_fail() on this thread ("" if none). */
const char *qs_last_error(void);

/* Internal invariant: aborts with file:line. Not for input validation. */
#define QS_ASSERT(x)                                                              \
    do {                                                                          \
        if (!(x)) {                                                               \
            fprintf(stderr, "%s:%d: internal error: assertion %s failed\n",       \
                    __FILE__, __LINE__, #x);                                      \
            abort();                                                              \
        }                                                                         \
    } while (0)

/* malloc/calloc that abort on failure (sizes here are bounded by validated inputs). */
void *qs_malloc(size_t n);
void *qs_calloc(size_t n, size_t size);
char *qs_strdup(const char *s);
/* Checked a*b for sizes; returns 0 and sets *out, or -1 on overflow. */
int qs_mul_overflow(size_t a, size_t b, size_t *out);

/* A zero-filled anonymous buffer of `bytes`, aligned to 2 MiB and advised for transparent huge
 * pages (MADV_HUGEPAGE, a hint: THP is often in "madvise" mode; without it the buffer still works).
 * Streamed weights on 4 KiB pages cost a TLB miss per page and stop the hardware prefetcher at
 * every page. Returns 0, or -1 when the mapping fails; free with qs_huge_free. */
typedef struct {
    void *data;
    void *map;
    size_t map_size;
} qs_huge_buf;
int qs_huge_alloc(qs_huge_buf *b, size_t bytes);
void qs_huge_free(qs_huge_buf *b);

/* Read a whole file into a NUL-terminated malloc'd buffer. */
qs_status qs_read_file(const char *path, char **data, size_t *size);

/* Atomic result writing: write to "<path>.tmp.<pid>", fsync, rename over
 * `path`. qs_atomic_open returns the FILE* for the temporary file;
 * qs_atomic_commit closes and renames it (or removes it when ok == 0). */
typedef struct {
    FILE *f;
    char *path;
    char *tmp_path;
} qs_atomic_file;
qs_status qs_atomic_open(qs_atomic_file *af, const char *path);
qs_status qs_atomic_commit(qs_atomic_file *af, int ok);

/* Map a whole file read-only. Files shorter than min_size are a QS_ERR_FORMAT
 * error saying they are too short to be `what`. Unmap with munmap(*map, *size). */
qs_status qs_map_file(const char *path, size_t min_size, const char *what, void **map, size_t *size);

/* Monotonic wall time in seconds. */
double qs_now(void);

/* A progress line on stderr: "label  done/total  rate unit/s  ETA mm:ss".
 * Redraws at most ~4 times a second; call qs_progress_end once at the end. */
typedef struct {
    const char *label;
    const char *unit;
    double t_start, t_last;
    long total;
} qs_progress;
void qs_progress_begin(qs_progress *p, const char *label, const char *unit, long total);
void qs_progress_update(qs_progress *p, long done);
void qs_progress_end(qs_progress *p, long done);

#endif
