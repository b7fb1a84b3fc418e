/*
 * forward.h - the Qwen2 decoder forward pass over a batch of tokens.
 *
 * A batch holds tokens of one or more sequences, each with its position and
 * its sequence slot in the KV cache: a prompt prefill is many tokens of one
 * slot; batched decode is one token in each of several slots. Logits are
 * computed for the tokens whose want_logits flag is set.
 *
 * Residual-stream hook (the steering and extraction point): called at every
 * layer boundary il = 0..n_layers with x = the residual stream [n_tokens,
 * hidden]. il = 0 is the embedding output, il = k the stream after block k-1
 * (HF hidden_states numbering, except that HF's last entry has the final norm
 * applied and ours does not). The hook may read or modify x; what it adds at
 * il is the input of block il.
 */
#ifndef QS_FORWARD_H
#define QS_FORWARD_H

#include <stdint.h>

#include "kv_cache.h"
#include "qwen2_weights.h"

typedef struct {
    int n_tokens;
    const int32_t *token;      /* [n_tokens] token ids */
    const int32_t *pos;        /* [n_tokens] position in its sequence */
    const int32_t *seq;        /* [n_tokens] KV cache slot */
    const int8_t *want_logits; /* [n_tokens] 1 = compute logits; NULL = last token only */
    int stop_layer;            /* >= 0: return after the hook at boundary stop_layer (no logits,
                                  the KV cache of later layers is left stale); -1 = full pass */
} qs_batch;

typedef void (*qs_resid_hook_fn)(void *ud, int il, float *x, int n_tokens, int hidden, const qs_batch *batch);

typedef struct {
    int n_ctx;    /* positions per sequence slot */
    int n_seq;    /* sequence slots */
    int n_batch;  /* max tokens per qs_forward call */
    int n_logits; /* max tokens per call that want logits */
    int n_threads;/* 0 = number of cores */
    int par_min_bytes; /* a group of matmuls with fewer weight bytes (x 16-token tiles) runs on the
                          calling thread; 0 = 256 KiB (tests set 1 to thread tiny models) */
} qs_ctx_params;

typedef struct {
    const qs_weights *w;
    qs_ctx_params p;
    qs_kv_cache kv;
    /* scratch, allocated once for n_batch tokens */
    float *x;       /* [n_batch, hidden] residual stream */
    float *xb;      /* [n_batch, hidden] normed input of a sublayer */
    float *q;       /* [n_batch, n_heads*head_dim] */
    float *k;       /* [n_batch, kv_dim] */
    float *v;       /* [n_batch, kv_dim] */
    float *att;     /* [n_batch, n_heads*head_dim] attention output */
    float *hb;      /* [n_batch, intermediate] gate, then silu(gate)*up */
    float *hb2;     /* [n_batch, intermediate] up */
    float *scores;  /* [n_threads, n_ctx] attention scores */
    float *wbuf;    /* [n_threads, QS_GEMM_ROWS * max(hidden, intermediate)] weight rows as float32 */
    float *rope_cos;/* [n_ctx, head_dim/2] */
    float *rope_sin;/* [n_ctx, head_dim/2] */
    float *logits;  /* [n_logits, vocab] output of the last call, in token order */
    int n_out;      /* rows of logits filled by the last call */
    void *xpack;    /* activations packed for qs_k.gemm (grown on demand) */
    size_t xpack_size;
    qs_resid_hook_fn hook;
    void *hook_ud;
} qs_ctx;

/* Rows of weights converted per SGEMM call in the prefill path. */
#define QS_GEMM_ROWS 64

/* Allocate scratch and KV cache for `w` (which must outlive the context). */
qs_status qs_ctx_init(qs_ctx *ctx, const qs_weights *w, const qs_ctx_params *p);
void qs_ctx_free(qs_ctx *ctx);
/* Set (or clear with NULL) the residual-stream hook. */
void qs_ctx_set_hook(qs_ctx *ctx, qs_resid_hook_fn fn, void *ud);

/* Run the batch. Returns QS_ERR_ARG (with a message) for a batch that does
 * not fit the context: bad token id, slot, position gap or too many tokens. */
qs_status qs_forward(qs_ctx *ctx, const qs_batch *batch);

/* y[n, W.rows] = x[n, W.cols] . W^T, threaded over rows of W. */
void qs_matmul(qs_ctx *ctx, float *y, const float *x, int n, const qs_mat *W);

#endif
