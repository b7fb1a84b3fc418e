/*
 * q8_accuracy.c - how far `--weights q8` moves a model's outputs from the
 * same model with its stored weights.
 *
 * Runs one token sequence (ids given, or a fixed pseudo-random one) through the
 * model twice, stored weights vs matrices quantized to q8, and reports over
 * all positions: logits error max|q8 - ref| / max|ref|, RMS error relative to
 * the RMS of the logits, top-1 agreement, and the first step at which greedy
 * continuations (n_gen tokens) differ.
 *
 * usage: q8_accuracy MODEL_DIR [n_tokens=64] [n_gen=32]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forward.h"
#include "generate.h"
#include "kernels.h"
#include "quant.h"
#include "sampler.h"

static float *run(const char *dir, int q8, const int32_t *ids, int T, int n_gen, int32_t **gen) {
    qs_weights w;
    if (qs_weights_load(&w, dir) != QS_OK) {
        fprintf(stderr, "q8_accuracy: %s\n", qs_last_error());
        exit(1);
    }
    qs_quant *q = NULL;
    if (q8 && qs_quant_q8(&w, 0, &q) != QS_OK) {
        fprintf(stderr, "q8_accuracy: %s\n", qs_last_error());
        exit(1);
    }
    const int V = w.cfg.vocab_size;
    qs_ctx ctx;
    qs_ctx_params cp = {.n_ctx = T + n_gen + 1, .n_seq = 1, .n_batch = T, .n_logits = T};
    if (qs_ctx_init(&ctx, &w, &cp) != QS_OK) exit(1);
    int32_t *pos = malloc(T * sizeof(int32_t)), *sq = calloc(T, sizeof(int32_t));
    int8_t *want = malloc(T);
    for (int t = 0; t < T; t++) pos[t] = t, want[t] = 1;
    qs_batch b = {.n_tokens = T, .token = ids, .pos = pos, .seq = sq, .want_logits = want, .stop_layer = -1};
    if (qs_forward(&ctx, &b) != QS_OK) exit(1);
    float *logits = malloc((size_t)T * V * sizeof(float));
    memcpy(logits, ctx.logits, (size_t)T * V * sizeof(float));
    qs_gen_params gp = {.max_tokens = n_gen, .sampling = {.temperature = 0}};
    int n_out;
    qs_kv_truncate(&ctx.kv, 0, 0);
    qs_generate(&ctx, 0, ids, T, &gp, gen, &n_out);
    free(pos), free(sq), free(want);
    qs_ctx_free(&ctx);
    qs_quant_free(q);
    qs_weights_free(&w);
    return logits;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: q8_accuracy MODEL_DIR [n_tokens=64] [n_gen=32]\n");
        return 2;
    }
    const int T = argc > 2 ? atoi(argv[2]) : 64, n_gen = argc > 3 ? atoi(argv[3]) : 32;
    qs_kernels_init(~0u);
    int32_t *ids = malloc(T * sizeof(int32_t));
    uint64_t s = 12345;
    for (int t = 0; t < T; t++) { /* ids from the common range of the vocabulary */
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        ids[t] = (int32_t)(100 + (s >> 33) % 20000);
    }
    int32_t *g_ref, *g_q8;
    qs_weights w0;
    if (qs_weights_load(&w0, argv[1]) != QS_OK) return 1;
    const int V = w0.cfg.vocab_size;
    qs_weights_free(&w0);
    float *ref = run(argv[1], 0, ids, T, n_gen, &g_ref);
    float *q8 = run(argv[1], 1, ids, T, n_gen, &g_q8);
    double max_err = 0, max_ref = 0, se = 0, sr = 0;
    int top1 = 0;
    for (int t = 0; t < T; t++) {
        const float *a = q8 + (size_t)t * V, *b = ref + (size_t)t * V;
        for (int i = 0; i < V; i++) {
            double d = fabs((double)a[i] - b[i]);
            max_err = fmax(max_err, d), max_ref = fmax(max_ref, fabs(b[i]));
            se += d * d, sr += (double)b[i] * b[i];
        }
        top1 += qs_argmax((float *)a, V) == qs_argmax((float *)b, V);
    }
    int first = 0;
    while (first < n_gen && g_ref[first] == g_q8[first]) first++;
    printf("q8 vs stored weights, %d positions: logits max err %.3g of max|logits|, rms err %.3g of rms, "
           "top-1 agreement %d/%d, greedy %d tokens: %s (first difference at step %d)\n",
           T, max_err / max_ref, sqrt(se / sr), top1, T, n_gen, first == n_gen ? "identical" : "differ", first);
    free(ref), free(q8), free(g_ref), free(g_q8), free(ids);
    return 0;
}
