/*
 * generate.h - prompt prefill and token-by-token decoding for one sequence.
 */
#ifndef QS_GENERATE_H
#define QS_GENERATE_H

#include "forward.h"
#include "sampler.h"

typedef struct {
    int max_tokens;             /* tokens to generate at most */
    qs_sampler_params sampling;
    const int32_t *eos_ids;     /* generation stops after emitting one of these */
    int n_eos;
    /* Called after each generated token (EOS included); return non-zero to stop. */
    int (*on_token)(void *ud, int32_t id);
    void *ud;
} qs_gen_params;

/* Prefill prompt[n_prompt] into slot `seq` (cleared first) in chunks of
 * ctx->p.n_batch tokens; logits of the last prompt token are left in ctx->logits. */
qs_status qs_prefill(qs_ctx *ctx, int seq, const int32_t *prompt, int n_prompt);

/* Prefill, then generate. *out (malloc'd, caller frees) receives the generated ids. */
qs_status qs_generate(qs_ctx *ctx, int seq, const int32_t *prompt, int n_prompt, const qs_gen_params *gp,
                      int32_t **out, int *n_out);

#endif
