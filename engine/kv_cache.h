/*
 * kv_cache.h - keys and values of past positions, per layer and sequence slot.
 *
 * Layout: k[il][seq][pos][kv_dim] (float32), same for v. len[seq] is the
 * number of valid positions of a slot; a forward pass writing position p of
 * a slot requires p <= len (no gaps) and sets len = p + 1.
 */
#ifndef QS_KV_CACHE_H
#define QS_KV_CACHE_H

#include <stddef.h>

#include "qs_common.h"

typedef struct {
    int n_layers, n_seq, n_ctx, kv_dim;
    float *k;  /* [n_layers, n_seq, n_ctx, kv_dim] */
    float *v;  /* [n_layers, n_seq, n_ctx, kv_dim] */
    int *len;  /* [n_seq] valid positions per slot */
} qs_kv_cache;

qs_status qs_kv_init(qs_kv_cache *kv, int n_layers, int n_seq, int n_ctx, int kv_dim);
void qs_kv_free(qs_kv_cache *kv);
/* Forget positions >= len of slot `seq` (len 0 clears it). */
void qs_kv_truncate(qs_kv_cache *kv, int seq, int len);

static inline size_t qs_kv_offset(const qs_kv_cache *kv, int il, int seq, int pos) {
    return (((size_t)il * kv->n_seq + seq) * kv->n_ctx + pos) * kv->kv_dim;
}

#endif
