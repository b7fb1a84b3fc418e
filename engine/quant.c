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

static void quantize_mat(qs_mat *m, qs_quant *q, int nt) {
    if (!quantizable(m)) return;
    const int k = m->cols, nb = k / QS_Q8_GROUP;
    uintptr_t base = ((uintptr_t)q->map + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
    qs_q8_block *dst = (qs_q8_block *)(base + q->used);
    q->used += q8_bytes(m);
    const size_t es = qs_dtype_size(m->dtype);
    const char *src = m->data;
    const qs_dtype dt = m->dtype;
#pragma omp parallel num_threads(nt)
    {
        float *row = qs_malloc((size_t)k * sizeof(float));
#pragma omp for schedule(static)
        for (int r = 0; r < m->rows; r++) {
            qs_convert_to_f32(row, src + (size_t)r * k * es, dt, (size_t)k);
            qs_q8_quantize_row(dst + (size_t)r * nb, row, k);
        }
        free(row);
    }
    /* release this matrix's pages of the mapping now, so peak RSS never holds both copies */
    uintptr_t b0 = (uintptr_t)m->data & ~(uintptr_t)4095, b1 = ((uintptr_t)m->data + (size_t)m->rows * k * es + 4095) & ~(uintptr_t)4095;
    madvise((void *)b0, b1 - b0, MADV_DONTNEED);
    m->data = dst;
    m->dtype = QS_DTYPE_Q8;
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
    for (int i = 0; i < n_mats; i++) quantize_mat(mats[i], q, nt);
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
