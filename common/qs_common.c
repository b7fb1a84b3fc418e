/* qs_common.c - error recording, checked allocation, file helpers, progress. */
#define _POSIX_C_SOURCE 200809L
#include "qs_common.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static _Thread_local char g_err[1024];

qs_status qs_fail(qs_status st, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g_err, sizeof g_err, fmt, ap);
    va_end(ap);
    return st;
}

const char *qs_last_error(void) { return g_err; }

void *qs_malloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "qsteer: out of memory allocating %zu bytes\n", n);
        abort();
    }
    return p;
}

int qs_huge_alloc(qs_huge_buf *b, size_t bytes) {
    const size_t huge = (size_t)2 << 20;
    b->map_size = bytes + huge; /* room to align the start to a huge page */
    b->map = mmap(NULL, b->map_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (b->map == MAP_FAILED) {
        b->map = b->data = NULL;
        return -1;
    }
    b->data = (void *)(((uintptr_t)b->map + huge - 1) & ~(uintptr_t)(huge - 1));
#ifdef MADV_HUGEPAGE
    madvise(b->data, bytes, MADV_HUGEPAGE);
#endif
    return 0;
}

void qs_huge_free(qs_huge_buf *b) {
    if (b->map) munmap(b->map, b->map_size);
    b->map = b->data = NULL;
}

void *qs_calloc(size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) {
        fprintf(stderr, "qsteer: out of memory allocating %zu x %zu bytes\n", n, size);
        abort();
    }
    return p;
}

char *qs_strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = qs_malloc(n);
    memcpy(d, s, n);
    return d;
}

int qs_mul_overflow(size_t a, size_t b, size_t *out) {
    if (a != 0 && b > SIZE_MAX / a) return -1;
    *out = a * b;
    return 0;
}

qs_status qs_read_file(const char *path, char **data, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return qs_fail(QS_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *buf = qs_malloc(cap);
    for (;;) {
        if (n + 1 >= cap) {
            cap *= 2;
            char *nb = realloc(buf, cap);
            if (!nb) { free(buf); fclose(f); return qs_fail(QS_ERR_NOMEM, "%s: out of memory", path); }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) break;
    }
    int err = ferror(f);
    fclose(f);
    if (err) { free(buf); return qs_fail(QS_ERR_IO, "%s: read error", path); }
    buf[n] = 0;
    *data = buf;
    if (size) *size = n;
    return QS_OK;
}

qs_status qs_atomic_open(qs_atomic_file *af, const char *path) {
    size_t n = strlen(path) + 32;
    af->path = qs_strdup(path);
    af->tmp_path = qs_malloc(n);
    snprintf(af->tmp_path, n, "%s.tmp.%ld", path, (long)getpid());
    af->f = fopen(af->tmp_path, "wb");
    if (!af->f) {
        qs_status st = qs_fail(QS_ERR_IO, "%s: cannot create: %s", af->tmp_path, strerror(errno));
        free(af->path); free(af->tmp_path);
        af->path = af->tmp_path = NULL;
        return st;
    }
    return QS_OK;
}

qs_status qs_atomic_commit(qs_atomic_file *af, int ok) {
    qs_status st = QS_OK;
    if (!af->f) return QS_ERR_ARG;
    if (fflush(af->f) != 0 || ferror(af->f)) ok = 0, st = qs_fail(QS_ERR_IO, "%s: write error", af->tmp_path);
    if (ok) fsync(fileno(af->f));
    if (fclose(af->f) != 0 && ok) ok = 0, st = qs_fail(QS_ERR_IO, "%s: write error on close", af->tmp_path);
    af->f = NULL;
    if (ok) {
        if (rename(af->tmp_path, af->path) != 0)
            st = qs_fail(QS_ERR_IO, "%s: cannot rename into place: %s", af->path, strerror(errno));
    } else {
        remove(af->tmp_path);
    }
    free(af->path); free(af->tmp_path);
    af->path = af->tmp_path = NULL;
    return st;
}

double qs_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void qs_progress_begin(qs_progress *p, const char *label, const char *unit, long total) {
    p->label = label;
    p->unit = unit;
    p->total = total;
    p->t_start = qs_now();
    p->t_last = 0;
}

static void progress_draw(qs_progress *p, long done, int final) {
    double el = qs_now() - p->t_start;
    double rate = el > 0 ? (double)done / el : 0;
    double eta = (rate > 0 && p->total > done) ? (double)(p->total - done) / rate : 0;
    fprintf(stderr, "\r%s  %ld/%ld  %.1f %s/s  elapsed %02d:%02d  ETA %02d:%02d%s", p->label, done,
            p->total, rate, p->unit, (int)el / 60, (int)el % 60, (int)eta / 60, (int)eta % 60,
            final ? "\n" : "   ");
    fflush(stderr);
}

void qs_progress_update(qs_progress *p, long done) {
    double t = qs_now();
    if (t - p->t_last < 0.25) return;
    p->t_last = t;
    progress_draw(p, done, 0);
}

void qs_progress_end(qs_progress *p, long done) { progress_draw(p, done, 1); }

qs_status qs_map_file(const char *path, size_t min_size, const char *what, void **map, size_t *size) {
    *map = NULL;
    *size = 0;
    int fd = open(path, O_RDONLY);
    if (fd < 0) return qs_fail(QS_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    qs_status rc = QS_OK;
    if (fstat(fd, &sb) != 0) {
        rc = qs_fail(QS_ERR_IO, "%s: cannot stat: %s", path, strerror(errno));
    } else if ((size_t)sb.st_size < min_size) {
        rc = qs_fail(QS_ERR_FORMAT, "%s: file is %zu bytes, too short to be %s", path, (size_t)sb.st_size, what);
    } else {
        void *m = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) rc = qs_fail(QS_ERR_IO, "%s: cannot mmap: %s", path, strerror(errno));
        else *map = m, *size = (size_t)sb.st_size;
    }
    close(fd);
    return rc;
}
