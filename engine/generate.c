/* generate.c - see generate.h. */
#include "generate.h"

#include <string.h>

qs_status qs_prefill(qs_ctx *ctx, int seq, const int32_t *prompt, int n_prompt) {
    if (n_prompt <= 0) return qs_fail(QS_ERR_ARG, "the prompt is empty");
    if (n_prompt >= ctx->p.n_ctx)
        return qs_fail(QS_ERR_ARG, "the prompt has %d tokens; the context holds %d", n_prompt, ctx->p.n_ctx);
    qs_kv_truncate(&ctx->kv, seq, 0);
    int32_t *pos = qs_malloc((size_t)ctx->p.n_batch * sizeof(int32_t));
    int32_t *sq = qs_malloc((size_t)ctx->p.n_batch * sizeof(int32_t));
    qs_status rc = QS_OK;
    for (int i = 0; i < n_prompt && rc == QS_OK; i += ctx->p.n_batch) {
        int n = n_prompt - i < ctx->p.n_batch ? n_prompt - i : ctx->p.n_batch;
        for (int t = 0; t < n; t++) pos[t] = i + t, sq[t] = seq;
        qs_batch b = {.n_tokens = n, .token = prompt + i, .pos = pos, .seq = sq, .stop_layer = -1};
        rc = qs_forward(ctx, &b);
    }
    free(pos);
    free(sq);
    return rc;
}

qs_status qs_generate(qs_ctx *ctx, int seq, const int32_t *prompt, int n_prompt, const qs_gen_params *gp,
                      int32_t **out, int *n_out) {
    *out = NULL;
    *n_out = 0;
    const int V = ctx->w->cfg.vocab_size;
    qs_status rc = qs_prefill(ctx, seq, prompt, n_prompt);
    if (rc != QS_OK) return rc;
    int cap = n_prompt + gp->max_tokens;
    int32_t *hist = qs_malloc((size_t)(cap > 0 ? cap : 1) * sizeof(int32_t));
    memcpy(hist, prompt, (size_t)n_prompt * sizeof(int32_t));
    int n_hist = n_prompt;
    qs_sampler smp;
    qs_sampler_init(&smp, &gp->sampling, V);
    for (int i = 0; i < gp->max_tokens; i++) {
        int32_t id = qs_sampler_sample(&smp, ctx->logits, hist, n_hist);
        hist[n_hist++] = id;
        int stop = gp->on_token ? gp->on_token(gp->ud, id) : 0;
        for (int e = 0; e < gp->n_eos; e++) stop |= id == gp->eos_ids[e];
        if (stop || i + 1 == gp->max_tokens) break;
        if (n_hist >= ctx->p.n_ctx) break; /* context full */
        int32_t pos = n_hist - 1, sq = seq;
        qs_batch b = {.n_tokens = 1, .token = &id, .pos = &pos, .seq = &sq, .stop_layer = -1};
        rc = qs_forward(ctx, &b);
        if (rc != QS_OK) break;
    }
    qs_sampler_free(&smp);
    *n_out = n_hist - n_prompt;
    *out = qs_malloc((size_t)(*n_out > 0 ? *n_out : 1) * sizeof(int32_t));
    memcpy(*out, hist + n_prompt, (size_t)*n_out * sizeof(int32_t));
    free(hist);
    return rc;
}
