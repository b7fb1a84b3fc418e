/* capture.c - see capture.h. */
#include "capture.h"

#include <string.h>

typedef struct {
    const unsigned char *layers;
    int last_only;
    const int *seq_of, *tok_of; /* per batch token: sequence index, token index */
    const unsigned char *is_last;
    qs_capture_fn cb;
    void *ud;
    qs_resid_hook_fn prev; /* the hook that was set on the context (e.g. steering) */
    void *prev_ud;
} capture_state;

static void capture_hook(void *ud, int il, float *x, int n_tokens, int hidden, const qs_batch *b) {
    capture_state *c = ud;
    if (c->prev) c->prev(c->prev_ud, il, x, n_tokens, hidden, b);
    if (!c->layers[il]) return;
    for (int t = 0; t < n_tokens; t++)
        if (!c->last_only || c->is_last[t]) c->cb(c->ud, c->seq_of[t], c->tok_of[t], il, x + (size_t)t * hidden);
}

qs_status qs_capture_run(qs_ctx *ctx, const qs_token_seq *seqs, int n_seqs, const unsigned char *layers, int last_only,
                         qs_capture_fn cb, void *ud, qs_progress_fn progress, void *progress_ud) {
    const int L = ctx->w->cfg.n_layers, nb = ctx->p.n_batch;
    int stop = -1;
    for (int l = 0; l <= L; l++)
        if (layers[l]) stop = l;
    if (stop < 0) return qs_fail(QS_ERR_ARG, "no layer requested");
    for (int i = 0; i < n_seqs; i++) {
        if (seqs[i].n <= 0) return qs_fail(QS_ERR_ARG, "sequence %d is empty", i);
        if (seqs[i].n > nb || seqs[i].n > ctx->p.n_ctx)
            return qs_fail(QS_ERR_ARG, "sequence %d has %d tokens; at most %d fit a forward pass", i, seqs[i].n,
                           nb < ctx->p.n_ctx ? nb : ctx->p.n_ctx);
    }
    int32_t *tok = qs_malloc((size_t)nb * sizeof(int32_t)), *pos = qs_malloc((size_t)nb * sizeof(int32_t));
    int32_t *slot = qs_malloc((size_t)nb * sizeof(int32_t));
    int *seq_of = qs_malloc((size_t)nb * sizeof(int)), *tok_of = qs_malloc((size_t)nb * sizeof(int));
    unsigned char *is_last = qs_malloc((size_t)nb);
    capture_state c = {.layers = layers, .last_only = last_only, .seq_of = seq_of, .tok_of = tok_of, .is_last = is_last,
                       .cb = cb, .ud = ud, .prev = ctx->hook, .prev_ud = ctx->hook_ud};
    qs_ctx_set_hook(ctx, capture_hook, &c);
    qs_status rc = QS_OK;
    for (int i = 0; i < n_seqs && rc == QS_OK;) {
        int n = 0, s = 0;
        while (i + s < n_seqs && s < ctx->p.n_seq && n + seqs[i + s].n <= nb) {
            const qs_token_seq *q = &seqs[i + s];
            qs_kv_truncate(&ctx->kv, s, 0);
            for (int t = 0; t < q->n; t++, n++) {
                tok[n] = q->ids[t], pos[n] = t, slot[n] = s;
                seq_of[n] = i + s, tok_of[n] = t, is_last[n] = t == q->n - 1;
            }
            s++;
        }
        qs_batch b = {.n_tokens = n, .token = tok, .pos = pos, .seq = slot, .stop_layer = stop};
        rc = qs_forward(ctx, &b);
        i += s;
        if (progress) progress(progress_ud, i, n_seqs);
    }
    qs_ctx_set_hook(ctx, c.prev, c.prev_ud);
    free(tok), free(pos), free(slot), free(seq_of), free(tok_of), free(is_last);
    return rc;
}
