/* quant.c - see quant.h. */
#include "quant.h"

#include <stdint.h>
#include <sys/mman.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "fp16.h"
#include "kernels.h"

struct qs_quant {
    void **bufs;
    int n_bufs;
};

static void quantize_mat(qs_mat *m, qs_quant *q, int nt) {
    if (m->dtype == QS_DTYPE_Q8 || m->cols % QS_Q8_GROUP) return;
    const int k = m->cols, nb = k / QS_Q8_GROUP;
    qs_q8_block *dst = qs_malloc((size_t)m->rows * nb * sizeof(qs_q8_block));
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
    q->bufs[q->n_bufs++] = dst;
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
    const int L = w->cfg.n_layers;
    qs_quant *q = qs_malloc(sizeof *q);
    q->bufs = qs_malloc((size_t)(7 * L + 1) * sizeof(void *));
    q->n_bufs = 0;
    for (int il = 0; il < L; il++) {
        qs_layer *ly = &w->layers[il];
        qs_mat *ms[] = {&ly->wq, &ly->wk, &ly->wv, &ly->wo, &ly->ffn_gate, &ly->ffn_up, &ly->ffn_down};
        for (int i = 0; i < 7; i++) quantize_mat(ms[i], q, nt);
    }
    quantize_mat(&w->output, q, nt); /* tied: tok_embd keeps pointing at the BF16 rows */
    /* drop the mapping's pages from this process; lookups fault the few embedding rows back in */
    for (int i = 0; i < w->n_shards; i++)
        if (w->shards[i].map) madvise(w->shards[i].map, w->shards[i].map_size, MADV_DONTNEED);
    *out = q;
    return QS_OK;
}

void qs_quant_free(qs_quant *q) {
    if (!q) return;
    for (int i = 0; i < q->n_bufs; i++) free(q->bufs[i]);
    free(q->bufs);
    free(q);
}
