/* kv_cache.c - see kv_cache.h. */
#include "kv_cache.h"

#include <string.h>

qs_status qs_kv_init(qs_kv_cache *kv, int n_layers, int n_seq, int n_ctx, int kv_dim) {
    memset(kv, 0, sizeof *kv);
    size_t n;
    if (qs_mul_overflow((size_t)n_layers * n_seq, (size_t)n_ctx * kv_dim, &n) || n > ((size_t)1 << 40) / sizeof(float))
        return qs_fail(QS_ERR_ARG, "KV cache of %d layers x %d sequences x %d positions is too large", n_layers, n_seq, n_ctx);
    kv->k = malloc(n * sizeof(float));
    kv->v = malloc(n * sizeof(float));
    kv->len = qs_calloc((size_t)n_seq, sizeof(int));
    if (!kv->k || !kv->v) {
        qs_kv_free(kv);
        return qs_fail(QS_ERR_NOMEM, "cannot allocate a KV cache of %.1f MiB", 2.0 * n * sizeof(float) / (1 << 20));
    }
    kv->n_layers = n_layers, kv->n_seq = n_seq, kv->n_ctx = n_ctx, kv->kv_dim = kv_dim;
    return QS_OK;
}

void qs_kv_free(qs_kv_cache *kv) {
    free(kv->k);
    free(kv->v);
    free(kv->len);
    memset(kv, 0, sizeof *kv);
}

void qs_kv_truncate(qs_kv_cache *kv, int seq, int len) {
    QS_ASSERT(seq >= 0 && seq < kv->n_seq && len >= 0);
    if (len < kv->len[seq]) kv->len[seq] = len;
}
