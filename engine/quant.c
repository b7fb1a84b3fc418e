/* quant.c - see quant.h. */
#include "quant.h"

#include <stdint.h>
#include <sys/mman.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "fp16.h"
#include "kernels.h"

/* All 8-bit matrices live in one anonymous mapping backed by 2 MiB pages where the kernel allows
 * (MADV_HUGEPAGE; THP is often in "madvise" mode): decode streams ~1.7 GB per token for the 1.5B,
 * and with 4 KiB pages every 4 KiB of it costs a TLB miss. */
struct qs_quant {
    void *map;
    size_t map_size, used;
};

#define HUGE_PAGE ((size_t)2 << 20)

static int quantizable(const qs_mat *m) { return m->dtype != QS_DTYPE_Q8 && m->cols % QS_Q8_GROUP == 0; }

static size_t q8_bytes(const qs_mat *m) {
    return ((size_t)m->rows * qs_row_bytes(QS_DTYPE_Q8, m->cols) + 63) & ~(size_t)63;
}

/* The safetensors tensor matrix m reads (by its data pointer), for error messages. */
static const qs_st_tensor *mat_tensor(const qs_weights *w, const qs_mat *m, const char **path) {
    for (int i = 0; i < w->n_shards; i++)
        for (int j = 0; j < w->shards[i].n_tensors; j++)
            if (w->shards[i].tensors[j].data == m->data) {
                *path = w->shards[i].path;
                return &w->shards[i].tensors[j];
            }
    return NULL;
}

/* Returns the first row that could not be quantized (a weight not finite or beyond fp16 scales), or -1. */
static int quantize_mat(qs_mat *m, qs_quant *q, int nt) {
    if (!quantizable(m)) return -1;
    const int k = m->cols;
    const size_t rb = qs_row_bytes(QS_DTYPE_Q8, k);
    uintptr_t base = ((uintptr_t)q->map + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
    char *dst = (char *)(base + q->used);
    q->used += q8_bytes(m);
    const size_t es = qs_dtype_size(m->dtype);
    const char *src = m->data;
    const qs_dtype dt = m->dtype;
    /* in slabs of ~64 MB of source rows, each slab's source pages released once it is done, so
     * peak RSS holds at most one slab of both copies (the tied LM head alone is 0.47 GB of BF16) */
    const size_t slab_bytes = (size_t)64 << 20, src_rb = (size_t)k * es;
    const int slab = slab_bytes / src_rb > 0 ? (int)(slab_bytes / src_rb) : 1;
    int bad = m->rows;
    for (int r0 = 0; r0 < m->rows && bad == m->rows; r0 += slab) {
        const int r1 = r0 + slab < m->rows ? r0 + slab : m->rows;
#pragma omp parallel num_threads(nt) reduction(min : bad)
        {
            float *row = qs_malloc((size_t)k * sizeof(float));
#pragma omp for schedule(static)
            for (int r = r0; r < r1; r++) {
                qs_convert_to_f32(row, src + (size_t)r * src_rb, dt, (size_t)k);
                if (qs_q8_quantize_row(dst + (size_t)r * rb, row, k) && r < bad) bad = r;
            }
            free(row);
        }
        uintptr_t p0 = ((uintptr_t)src + (size_t)r0 * src_rb) & ~(uintptr_t)4095,
                  p1 = ((uintptr_t)src + (size_t)r1 * src_rb) & ~(uintptr_t)4095; /* whole pages only */
        if (p1 > p0) madvise((void *)p0, p1 - p0, MADV_DONTNEED);
    }
    if (bad < m->rows) return bad;
    /* and the pages the slabs shared at their edges */
    uintptr_t b0 = (uintptr_t)m->data & ~(uintptr_t)4095, b1 = ((uintptr_t)m->data + (size_t)m->rows * k * es + 4095) & ~(uintptr_t)4095;
    madvise((void *)b0, b1 - b0, MADV_DONTNEED);
    m->data = dst;
    m->dtype = QS_DTYPE_Q8;
    return -1;
}

qs_status qs_quant_q8(qs_weights *w, int n_threads, qs_quant **out) {
#ifdef _OPENMP
    const int nt = n_threads > 0 ? n_threads : omp_get_num_procs();
#else
    const int nt = 1;
    (void)n_threads;
#endif
    /* the streamed matrices (w is ours to change); tied: tok_embd keeps pointing at the BF16 rows */
    qs_mat **mats = qs_malloc((size_t)QS_N_MATS(&w->cfg) * sizeof *mats);
    const int n_mats = qs_weights_matrices(w, (const qs_mat **)mats);
    size_t total = 0;
    for (int i = 0; i < n_mats; i++)
        if (quantizable(mats[i])) total += q8_bytes(mats[i]);
    qs_quant *q = qs_malloc(sizeof *q);
    q->used = 0;
    q->map_size = total + HUGE_PAGE; /* room to align the start to a huge page */
    q->map = mmap(NULL, q->map_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (q->map == MAP_FAILED) {
        free(q), free(mats);
        return qs_fail(QS_ERR_NOMEM, "--weights q8: cannot allocate %.2f GB for the 8-bit weights", (double)total / 1e9);
    }
#ifdef MADV_HUGEPAGE
    madvise(q->map, q->map_size, MADV_HUGEPAGE); /* a hint: without THP the buffer still works */
#endif
    for (int i = 0; i < n_mats; i++) {
        const int bad = quantize_mat(mats[i], q, nt);
        if (bad >= 0) { /* mats[i] still reads the stored tensor */
            const char *path = "?";
            const qs_st_tensor *t = mat_tensor(w, mats[i], &path);
            qs_status rc = qs_fail(QS_ERR_FORMAT,
                                   "--weights q8: %s: tensor %s, row %d: a weight is not finite or is above %.3g in "
                                   "magnitude (the 8-bit scales are fp16); use the stored weights",
                                   path, t ? t->name : "?", bad, 127.0 * 65504.0);
            free(mats), qs_quant_free(q);
            return rc;
        }
    }
    free(mats);
    /* drop the mapping's pages from this process; lookups fault the few embedding rows back in */
    for (int i = 0; i < w->n_shards; i++)
        if (w->shards[i].map) madvise(w->shards[i].map, w->shards[i].map_size, MADV_DONTNEED);
    *out = q;
    return QS_OK;
}

void qs_quant_free(qs_quant *q) {
    if (!q) return;
    munmap(q->map, q->map_size);
    free(q);
}
