/*
 * capture.h - run many token sequences through the model and hand the
 * residual stream at chosen layer boundaries to a callback.
 *
 * Sequences are packed into batches (one KV slot each, up to ctx->p.n_seq
 * sequences and ctx->p.n_batch tokens per forward pass), so the work is
 * matrix-matrix products. The pass stops after the highest requested layer
 * and computes no logits. Used by extraction and by `qsteer activations`.
 */
#ifndef QS_CAPTURE_H
#define QS_CAPTURE_H

#include "forward.h"

typedef struct {
    const int32_t *ids;
    int n;
} qs_token_seq;

/* x: [hidden] residual stream of sequence `seq`, token `tok`, at boundary `l`. */
typedef void (*qs_capture_fn)(void *ud, int seq, int tok, int l, const float *x);
/* Called after each forward pass with the number of sequences finished. */
typedef void (*qs_progress_fn)(void *ud, int done, int total);

/* layers: [n_layers+1] mask. last_only: capture only each sequence's last token.
 * Any steering hook already set on ctx runs before the capture (it is chained). */
qs_status qs_capture_run(qs_ctx *ctx, const qs_token_seq *seqs, int n_seqs, const unsigned char *layers, int last_only,
                         qs_capture_fn cb, void *ud, qs_progress_fn progress, void *progress_ud);

#endif
