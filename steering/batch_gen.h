/*
 * batch_gen.h - many generations at once, each with its own prompt, seed and
 * steering, sharing every weight read.
 *
 * Up to ctx->p.n_seq jobs run together, one KV slot each. A job's prompt is
 * prefilled on its own (the same computation as an unbatched run); then all
 * running jobs advance one token per forward pass (batched decode). A slot is
 * refilled with the next job as soon as one finishes. Each job samples with
 * its own qs_sampler seeded by job->seed, so a job's tokens do not depend on
 * which other jobs share its batch (given kernels whose per-token results do
 * not depend on the batch; test_batch checks it).
 */
#ifndef QS_BATCH_GEN_H
#define QS_BATCH_GEN_H

#include "sampler.h"
#include "steer.h"

typedef struct {
    const int32_t *prompt;
    int n_prompt;
    uint64_t seed;
    const qs_steer *steer; /* NULL = unsteered */
    /* outputs */
    int32_t *out;          /* malloc'd generated ids (EOS included if produced) */
    int n_out;
} qs_gen_job;

typedef struct {
    int max_tokens;
    qs_sampler_params sampling; /* .seed is ignored: each job has its own */
    const int32_t *eos_ids;
    int n_eos;
    /* called when a job finishes (in completion order); may be NULL */
    void (*on_done)(void *ud, int job_index, qs_gen_job *job);
    void *ud;
} qs_batch_gen_params;

/* Runs all jobs; ctx->hook is replaced during the call and restored after. */
qs_status qs_batch_generate(qs_ctx *ctx, qs_gen_job *jobs, int n_jobs, const qs_batch_gen_params *p);

/* Teacher forcing: log-softmax rows for predicting cont[i] after prompt + cont[0..i-1],
 * for i < n_cont, steered by `steer` (NULL = unsteered). fn(ud, i, logits[vocab]) is called per
 * position with the raw logits. Uses slot 0 of ctx (ctx->p.n_logits >= n_cont needed per chunk). */
qs_status qs_teacher_force(qs_ctx *ctx, const int32_t *prompt, int n_prompt, const int32_t *cont, int n_cont,
                           const qs_steer *steer, void (*fn)(void *ud, int i, const float *logits), void *ud);

#endif
