/*
 * test_forward.c - the Qwen2 forward pass against PyTorch reference dumps
 * (tests/reference/make_fixtures.py), at every kernel level this CPU has.
 *
 * For each fixture model (F32, BF16, F16; tied and untied; one sharded) and
 * token sequence it checks:
 *   - prefill: hidden state at every layer boundary and the logits of every
 *     position, error = max|ours - torch| / max|torch| <= TOL;
 *   - decode: the same prompt fed one token at a time through the KV cache
 *     gives the same hidden states and logits (<= TOL against torch);
 *   - two sequences in one batch (different KV slots) give the same logits;
 *   - a 32-token greedy continuation equals torch's exactly.
 *
 * TOL = 2e-5: float32 activations through a few layers with a different
 * summation order than PyTorch's (SIMD, BLAS) stay within ~1e-6 of the
 * tensor scale here; 2e-5 leaves room but catches any real bug (a wrong
 * RoPE pairing or a missing bias moves results by 1e-1).
 */
#include <string.h>

#include "forward.h"
#include "generate.h"
#include "kernels.h"
#include "safetensors.h"
#include "test_util.h"

#define TOL 2e-5

static const char *MODELS[] = {"tiny-tied-f32", "tiny-tied-bf16", "tiny-tied-f16", "tiny-untied-f32", "tiny-untied-bf16"};
static const char *SEQS[] = {"s1", "s7", "s33", "s70"};

typedef struct {
    int n_layers, hidden, n_tokens;
    float *h; /* [n_layers+1, n_tokens, hidden] captured at the boundaries */
    int tok0; /* position of the batch's first token in the captured array */
} capture;

static void capture_hook(void *ud, int il, float *x, int n_tokens, int hidden, const qs_batch *b) {
    capture *c = ud;
    (void)b;
    for (int t = 0; t < n_tokens; t++)
        memcpy(c->h + ((size_t)il * c->n_tokens + c->tok0 + t) * hidden, x + (size_t)t * hidden,
               (size_t)hidden * sizeof(float));
}

/* HF's last hidden state has the final norm applied; apply it to ours too. */
static void final_norm(const qs_weights *w, float *h, int n_tokens) {
    const int H = w->cfg.hidden_size;
    for (int t = 0; t < n_tokens; t++) {
        float *x = h + (size_t)t * H;
        double ss = 0;
        for (int i = 0; i < H; i++) ss += (double)x[i] * x[i];
        float inv = 1.0f / sqrtf((float)(ss / H) + w->cfg.rms_norm_eps);
        for (int i = 0; i < H; i++) x[i] = w->output_norm[i] * (x[i] * inv);
    }
}

static double hidden_err(const qs_weights *w, capture *cap, const float *ref) {
    const int L = w->cfg.n_layers, H = w->cfg.hidden_size, T = cap->n_tokens;
    final_norm(w, cap->h + (size_t)L * T * H, T);
    return rel_err(cap->h, ref, (size_t)(L + 1) * T * H);
}

/* nt > 0: that many threads, with every group of matmuls threaded however small (the decode
 * scheduler's owned runs and stealing, on the tiny fixtures). */
static void run_fixture(const char *model, const char *seq, const char *level, int nt, double *worst) {
    char path[512];
    snprintf(path, sizeof path, "tests/data/models/%s", model);
    qs_weights w;
    qs_status st = qs_weights_load(&w, path);
    CHECK(st == QS_OK, "load %s: %s", path, qs_last_error());
    if (st != QS_OK) return;
    snprintf(path, sizeof path, "tests/data/ref/%s__%s.safetensors", model, seq);
    qs_safetensors ref;
    st = qs_st_open(&ref, path);
    CHECK(st == QS_OK, "open %s: %s", path, qs_last_error());
    if (st != QS_OK) { qs_weights_free(&w); return; }
    const qs_st_tensor *ids_t = qs_st_find(&ref, "input_ids"), *hid_t = qs_st_find(&ref, "hidden");
    const qs_st_tensor *log_t = qs_st_find(&ref, "logits"), *gr_t = qs_st_find(&ref, "greedy");
    QS_ASSERT(ids_t && hid_t && log_t && gr_t);
    const int T = (int)ids_t->shape[0], L = w.cfg.n_layers, H = w.cfg.hidden_size, V = w.cfg.vocab_size;
    const int32_t *ids = ids_t->data;
    const float *ref_h = hid_t->data, *ref_logits = log_t->data;

    qs_ctx ctx;
    qs_ctx_params cp = {.n_ctx = 128, .n_seq = 2, .n_batch = 2 * T, .n_logits = 2 * T, .n_threads = nt, .par_min_bytes = nt > 0};
    QS_ASSERT(qs_ctx_init(&ctx, &w, &cp) == QS_OK);
    capture cap = {.n_layers = L, .hidden = H, .n_tokens = T};
    cap.h = qs_malloc((size_t)(L + 1) * T * H * sizeof(float));
    qs_ctx_set_hook(&ctx, capture_hook, &cap);

    /* 1. prefill, all logits */
    int32_t *pos = qs_malloc((size_t)2 * T * sizeof(int32_t)), *sq = qs_malloc((size_t)2 * T * sizeof(int32_t));
    int8_t *want = qs_malloc((size_t)2 * T);
    for (int t = 0; t < T; t++) pos[t] = t, sq[t] = 0, want[t] = 1;
    qs_batch b = {.n_tokens = T, .token = ids, .pos = pos, .seq = sq, .want_logits = want, .stop_layer = -1};
    CHECK(qs_forward(&ctx, &b) == QS_OK, "%s", qs_last_error());
    double eh = hidden_err(&w, &cap, ref_h), el = rel_err(ctx.logits, ref_logits, (size_t)T * V);
    CHECK(eh <= TOL, "[%s] %s %s prefill hidden err %.3g", level, model, seq, eh);
    CHECK(el <= TOL, "[%s] %s %s prefill logits err %.3g", level, model, seq, el);
    worst[0] = fmax(worst[0], eh), worst[1] = fmax(worst[1], el);

    /* 2. token-by-token decode through the KV cache */
    qs_kv_truncate(&ctx.kv, 0, 0);
    float *dec_logits = qs_malloc((size_t)T * V * sizeof(float));
    for (int t = 0; t < T; t++) {
        cap.tok0 = t;
        qs_batch b1 = {.n_tokens = 1, .token = ids + t, .pos = pos + t, .seq = sq, .want_logits = NULL, .stop_layer = -1};
        CHECK(qs_forward(&ctx, &b1) == QS_OK, "%s", qs_last_error());
        memcpy(dec_logits + (size_t)t * V, ctx.logits, (size_t)V * sizeof(float));
    }
    cap.tok0 = 0;
    double dh = hidden_err(&w, &cap, ref_h), dl = rel_err(dec_logits, ref_logits, (size_t)T * V);
    CHECK(dh <= TOL, "[%s] %s %s decode hidden err %.3g", level, model, seq, dh);
    CHECK(dl <= TOL, "[%s] %s %s decode logits err %.3g", level, model, seq, dl);
    worst[2] = fmax(worst[2], dh), worst[3] = fmax(worst[3], dl);

    /* 3. the same sequence twice in one batch, in slots 0 and 1, interleaved */
    qs_ctx_set_hook(&ctx, NULL, NULL);
    qs_kv_truncate(&ctx.kv, 0, 0);
    int32_t *ids2 = qs_malloc((size_t)2 * T * sizeof(int32_t));
    for (int t = 0; t < T; t++) {
        ids2[2 * t] = ids2[2 * t + 1] = ids[t];
        pos[2 * t] = pos[2 * t + 1] = t;
        sq[2 * t] = 0, sq[2 * t + 1] = 1;
        want[2 * t] = want[2 * t + 1] = 1;
    }
    qs_batch b2 = {.n_tokens = 2 * T, .token = ids2, .pos = pos, .seq = sq, .want_logits = want, .stop_layer = -1};
    CHECK(qs_forward(&ctx, &b2) == QS_OK, "%s", qs_last_error());
    double e2 = 0;
    for (int t = 0; t < 2 * T; t++)
        e2 = fmax(e2, rel_err(ctx.logits + (size_t)t * V, ref_logits + (size_t)(t / 2) * V, (size_t)V));
    CHECK(e2 <= TOL, "[%s] %s %s two-slot batch logits err %.3g", level, model, seq, e2);

    /* 4. greedy continuation */
    qs_gen_params gp = {.max_tokens = (int)gr_t->shape[0], .sampling = {.temperature = 0}};
    int32_t *gen;
    int n_gen;
    CHECK(qs_generate(&ctx, 0, ids, T, &gp, &gen, &n_gen) == QS_OK, "%s", qs_last_error());
    int same = n_gen == (int)gr_t->shape[0] && !memcmp(gen, gr_t->data, (size_t)n_gen * sizeof(int32_t));
    int first_diff = 0;
    while (first_diff < n_gen && gen[first_diff] == ((const int32_t *)gr_t->data)[first_diff]) first_diff++;
    CHECK(same, "[%s] %s %s greedy continuation differs from torch at step %d", level, model, seq, first_diff);

    free(gen), free(ids2), free(dec_logits), free(pos), free(sq), free(want), free(cap.h);
    qs_ctx_free(&ctx);
    qs_st_close(&ref);
    qs_weights_free(&w);
}

int main(void) {
    static const struct { unsigned level; const char *name; } levels[] = {
        {0, "ref"}, {QS_CPU_AVX2, "avx2"}, {QS_CPU_AVX512, "avx512"}, {QS_CPU_AMX, "amx"},
        {QS_CPU_NEON, "neon"}};
    for (size_t li = 0; li < sizeof levels / sizeof levels[0]; li++) {
        if (!qs_kernels_for_level(&qs_k, levels[li].level)) continue;
        for (size_t m = 0; m < sizeof MODELS / sizeof MODELS[0]; m++) {
            double worst[4] = {0};
            for (size_t s = 0; s < sizeof SEQS / sizeof SEQS[0]; s++) run_fixture(MODELS[m], SEQS[s], levels[li].name, 0, worst);
            printf("[%-6s] %-17s worst rel err: prefill hidden %.2e logits %.2e | decode hidden %.2e logits %.2e\n",
                   levels[li].name, MODELS[m], worst[0], worst[1], worst[2], worst[3]);
        }
    }
    /* the best level again on 3 threads with every matmul threaded */
    qs_kernels_init(~0u);
    for (size_t m = 0; m < sizeof MODELS / sizeof MODELS[0]; m++) {
        double worst[4] = {0};
        for (size_t s = 0; s < sizeof SEQS / sizeof SEQS[0]; s++) run_fixture(MODELS[m], SEQS[s], "3 threads", 3, worst);
        printf("[%s, 3 threads] %-17s worst rel err: prefill hidden %.2e logits %.2e | decode hidden %.2e logits %.2e\n",
               qs_k.name, MODELS[m], worst[0], worst[1], worst[2], worst[3]);
    }
    return test_summary("test_forward");
}
