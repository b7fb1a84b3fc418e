/* batch_gen.c - see batch_gen.h. */
#include "batch_gen.h"

#include <string.h>

typedef struct {
    int job;            /* -1 = free */
    qs_sampler smp;
    int32_t *hist;      /* prompt + generated */
    int n_hist, n_gen;
    int32_t next;       /* token to feed at the next step */
} slot_state;

static int is_eos(const qs_batch_gen_params *p, int32_t id) {
    for (int e = 0; e < p->n_eos; e++)
        if (id == p->eos_ids[e]) return 1;
    return 0;
}

/* Sample from the logits row, record the token; returns 1 if the job is finished. */
static int take_token(slot_state *s, const qs_batch_gen_params *p, float *logits, int n_ctx) {
    int32_t id = qs_sampler_sample(&s->smp, logits, s->hist, s->n_hist);
    s->hist[s->n_hist++] = id;
    s->n_gen++;
    s->next = id;
    return is_eos(p, id) || s->n_gen >= p->max_tokens || s->n_hist >= n_ctx;
}

static void finish(slot_state *s, qs_gen_job *jobs, const qs_batch_gen_params *p) {
    qs_gen_job *j = &jobs[s->job];
    j->n_out = s->n_gen;
    j->out = qs_malloc((size_t)(s->n_gen ? s->n_gen : 1) * sizeof(int32_t));
    memcpy(j->out, s->hist + j->n_prompt, (size_t)s->n_gen * sizeof(int32_t));
    if (p->on_done) p->on_done(p->ud, s->job, j);
    qs_sampler_free(&s->smp);
    free(s->hist);
    s->hist = NULL;
    s->job = -1;
}

qs_status qs_batch_generate(qs_ctx *ctx, qs_gen_job *jobs, int n_jobs, const qs_batch_gen_params *p) {
    const int S = ctx->p.n_seq, V = ctx->w->cfg.vocab_size;
    if (ctx->p.n_logits < S) return qs_fail(QS_ERR_ARG, "the context computes %d logits rows per pass; batched generation needs %d", ctx->p.n_logits, S);
    slot_state *slots = qs_calloc((size_t)S, sizeof *slots);
    const qs_steer **per_seq = qs_calloc((size_t)S, sizeof *per_seq);
    int *prompt_len = qs_calloc((size_t)S, sizeof(int));
    qs_steer_hook_state hook = {.n_seq = S, .per_seq = per_seq, .prompt_len = prompt_len};
    qs_resid_hook_fn old_hook = ctx->hook;
    void *old_ud = ctx->hook_ud;
    qs_ctx_set_hook(ctx, qs_steer_hook, &hook);
    int32_t *tok = qs_malloc((size_t)S * sizeof(int32_t)), *pos = qs_malloc((size_t)S * sizeof(int32_t));
    int32_t *seq = qs_malloc((size_t)S * sizeof(int32_t));
    int8_t *want = qs_malloc((size_t)S);
    int *slot_of = qs_malloc((size_t)S * sizeof(int));
    qs_status rc = QS_OK;
    for (int s = 0; s < S; s++) slots[s].job = -1;
    int next_job = 0, running = 0;
    for (;;) {
        /* fill free slots: prefill each new prompt alone, then sample its first token */
        for (int s = 0; s < S && next_job < n_jobs && rc == QS_OK; s++) {
            if (slots[s].job >= 0) continue;
            qs_gen_job *j = &jobs[next_job];
            if (j->n_prompt + p->max_tokens > ctx->p.n_ctx) {
                rc = qs_fail(QS_ERR_ARG, "job %d: %d prompt tokens + %d new tokens exceed the context of %d", next_job,
                             j->n_prompt, p->max_tokens, ctx->p.n_ctx);
                break;
            }
            slot_state *st = &slots[s];
            st->job = next_job++;
            qs_sampler_params sp = p->sampling;
            sp.seed = j->seed;
            qs_sampler_init(&st->smp, &sp, V);
            st->hist = qs_malloc((size_t)(j->n_prompt + p->max_tokens) * sizeof(int32_t));
            memcpy(st->hist, j->prompt, (size_t)j->n_prompt * sizeof(int32_t));
            st->n_hist = j->n_prompt, st->n_gen = 0;
            per_seq[s] = j->steer;
            prompt_len[s] = j->n_prompt;
            running++;
            /* prefill in chunks through slot s */
            qs_kv_truncate(&ctx->kv, s, 0);
            int32_t *ppos = qs_malloc((size_t)ctx->p.n_batch * sizeof(int32_t)), *pseq = qs_malloc((size_t)ctx->p.n_batch * sizeof(int32_t));
            for (int i = 0; i < j->n_prompt && rc == QS_OK; i += ctx->p.n_batch) {
                int n = j->n_prompt - i < ctx->p.n_batch ? j->n_prompt - i : ctx->p.n_batch;
                for (int t = 0; t < n; t++) ppos[t] = i + t, pseq[t] = s;
                qs_batch b = {.n_tokens = n, .token = j->prompt + i, .pos = ppos, .seq = pseq, .stop_layer = -1};
                rc = qs_forward(ctx, &b);
            }
            free(ppos), free(pseq);
            if (rc != QS_OK) break;
            if (take_token(st, p, ctx->logits, ctx->p.n_ctx)) {
                finish(st, jobs, p);
                running--;
                s--; /* refill this slot */
            }
        }
        if (rc != QS_OK || running == 0) break;
        /* one decode step for every running slot */
        int n = 0;
        for (int s = 0; s < S; s++) {
            if (slots[s].job < 0) continue;
            tok[n] = slots[s].next, pos[n] = slots[s].n_hist - 1, seq[n] = s, want[n] = 1, slot_of[n] = s;
            n++;
        }
        qs_batch b = {.n_tokens = n, .token = tok, .pos = pos, .seq = seq, .want_logits = want, .stop_layer = -1};
        if ((rc = qs_forward(ctx, &b)) != QS_OK) break;
        for (int i = 0; i < n; i++) {
            slot_state *st = &slots[slot_of[i]];
            if (take_token(st, p, ctx->logits + (size_t)i * V, ctx->p.n_ctx)) {
                finish(st, jobs, p);
                running--;
            }
        }
    }
    for (int s = 0; s < S; s++)
        if (slots[s].job >= 0) qs_sampler_free(&slots[s].smp), free(slots[s].hist);
    qs_ctx_set_hook(ctx, old_hook, old_ud);
    free(slots), free(per_seq), free(prompt_len), free(tok), free(pos), free(seq), free(want), free(slot_of);
    return rc;
}

qs_status qs_teacher_force(qs_ctx *ctx, const int32_t *prompt, int n_prompt, const int32_t *cont, int n_cont,
                           const qs_steer *steer, void (*fn)(void *ud, int i, const float *logits), void *ud) {
    const int n = n_prompt + n_cont, V = ctx->w->cfg.vocab_size;
    if (n_prompt <= 0 || n_cont <= 0) return qs_fail(QS_ERR_ARG, "teacher forcing needs a prompt and a continuation");
    if (n > ctx->p.n_ctx) return qs_fail(QS_ERR_ARG, "%d tokens exceed the context of %d", n, ctx->p.n_ctx);
    int32_t *ids = qs_malloc((size_t)n * sizeof(int32_t)), *pos = qs_malloc((size_t)n * sizeof(int32_t));
    int32_t *seq = qs_calloc((size_t)n, sizeof(int32_t));
    int8_t *want = qs_calloc((size_t)n, 1);
    memcpy(ids, prompt, (size_t)n_prompt * sizeof(int32_t));
    memcpy(ids + n_prompt, cont, (size_t)n_cont * sizeof(int32_t));
    for (int t = 0; t < n; t++) pos[t] = t;
    const qs_steer *per_seq[1] = {steer};
    int prompt_len[1] = {n_prompt};
    qs_steer_hook_state hook = {.n_seq = 1, .per_seq = per_seq, .prompt_len = prompt_len};
    qs_resid_hook_fn old_hook = ctx->hook;
    void *old_ud = ctx->hook_ud;
    qs_ctx_set_hook(ctx, qs_steer_hook, &hook);
    qs_kv_truncate(&ctx->kv, 0, 0);
    qs_status rc = QS_OK;
    /* chunks of at most n_batch tokens and n_logits predicting positions */
    int done = 0; /* continuation tokens whose prediction has been delivered */
    for (int i = 0; i < n - 1 && rc == QS_OK;) {
        int m = n - 1 - i;
        if (m > ctx->p.n_batch) m = ctx->p.n_batch;
        int k = 0;
        for (int t = i; t < i + m; t++) {
            want[t] = t >= n_prompt - 1 && k < ctx->p.n_logits;
            if (want[t]) k++;
            else if (t >= n_prompt - 1) { m = t - i; break; }
        }
        qs_batch b = {.n_tokens = m, .token = ids + i, .pos = pos + i, .seq = seq, .want_logits = want + i, .stop_layer = -1};
        if ((rc = qs_forward(ctx, &b)) != QS_OK) break;
        for (int r = 0; r < ctx->n_out; r++, done++) fn(ud, done, ctx->logits + (size_t)r * V);
        i += m;
    }
    qs_ctx_set_hook(ctx, old_hook, old_ud);
    free(ids), free(pos), free(seq), free(want);
    return rc;
}
