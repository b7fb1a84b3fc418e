/* quant.c - see quant.h. */
#include "quant.h"

#include <stdint.h>
#include <sys/mman.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "fp16.h"
#include "kernels.h"

/* All 8-bit matrices live in one huge-page buffer (qs_huge_alloc): decode streams ~1.6 GB per
 * token for the 1.5B, and with 4 KiB pages every 4 KiB of it costs a TLB miss. */
struct qs_quant {
    qs_huge_buf buf;
    size_t used;
};

/* Drop this process's pages of [p, p + n), rounded out to whole pages, where that range lies in a
 * shard's read-only mapping (a later read faults them back in from the page cache). Tensors that
 * were copied out of the mapping (misaligned ones) are left alone: dropping heap pages would
 * zero them. */
static void release_pages(const qs_weights *w, const void *p, size_t n) {
    for (int i = 0; i < w->n_shards; i++) {
        const uintptr_t m0 = (uintptr_t)w->shards[i].map, m1 = m0 + w->shards[i].map_size;
        if (!w->shards[i].map || (uintptr_t)p < m0 || (uintptr_t)p + n > m1) continue;
        const uintptr_t b0 = (uintptr_t)p & ~(uintptr_t)4095, b1 = ((uintptr_t)p + n + 4095) & ~(uintptr_t)4095;
        madvise((void *)b0, (b1 < m1 ? b1 : m1) - b0, MADV_DONTNEED);
    }
}

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
static int quantize_mat(const qs_weights *w, qs_mat *m, qs_quant *q, int nt) {
    if (!quantizable(m)) return -1;
    const int k = m->cols;
    const size_t rb = qs_row_bytes(QS_DTYPE_Q8, k);
    char *dst = (char *)q->buf.data + q->used;
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
        release_pages(w, src + (size_t)r0 * src_rb, (size_t)(r1 - r0) * src_rb);
    }
    if (bad < m->rows) return bad;
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
    if (qs_huge_alloc(&q->buf, total)) {
        free(q), free(mats);
        return qs_fail(QS_ERR_NOMEM, "--weights q8: cannot allocate %.2f GB for the 8-bit weights", (double)total / 1e9);
    }
    for (int i = 0; i < n_mats; i++) {
        const int bad = quantize_mat(w, mats[i], q, nt);
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
        if (w->shards[i].map) release_pages(w, w->shards[i].map, w->shards[i].map_size);
    *out = q;
    return QS_OK;
}

void qs_quant_free(qs_quant *q) {
    if (!q) return;
    qs_huge_free(&q->buf);
    free(q);
}
