/* sampler.c - see sampler.h. */
#include "sampler.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "qs_common.h"

void qs_sampler_init(qs_sampler *s, const qs_sampler_params *p, int vocab) {
    memset(s, 0, sizeof *s);
    s->p = *p;
    s->rng = p->seed ^ 0x9e3779b97f4a7c15ULL;
    s->vocab = vocab;
    s->probs = qs_malloc((size_t)vocab * sizeof(float));
    s->idx = qs_malloc((size_t)vocab * sizeof(int));
}

void qs_sampler_free(qs_sampler *s) {
    free(s->probs);
    free(s->idx);
    memset(s, 0, sizeof *s);
}

float qs_rand_uniform(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return (float)(z >> 40) / 16777216.0f; /* 24 random bits */
}

int qs_argmax(const float *x, int n) {
    int best = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[best]) best = i;
    return best;
}

static const float *g_sort_probs; /* qsort has no context argument */
static int cmp_desc(const void *a, const void *b) {
    float pa = g_sort_probs[*(const int *)a], pb = g_sort_probs[*(const int *)b];
    if (pa != pb) return pa < pb ? 1 : -1;
    return *(const int *)a - *(const int *)b;
}

int qs_sampler_sample(qs_sampler *s, float *logits, const int32_t *history, int n_history) {
    const int V = s->vocab;
    if (s->p.repeat_penalty != 1.0f && s->p.repeat_penalty > 0) {
        int start = s->p.repeat_last_n > 0 && n_history > s->p.repeat_last_n ? n_history - s->p.repeat_last_n : 0;
        /* Each distinct token is penalised once (HF gathers, then scatters). */
        for (int i = start; i < n_history; i++) {
            int id = history[i];
            if (id < 0 || id >= V) continue;
            int dup = 0;
            for (int j = start; j < i && !dup; j++) dup = history[j] == id;
            if (dup) continue;
            logits[id] = logits[id] > 0 ? logits[id] / s->p.repeat_penalty : logits[id] * s->p.repeat_penalty;
        }
    }
    if (s->p.temperature <= 0) return qs_argmax(logits, V);

    /* softmax(logits / T) */
    float mx = logits[qs_argmax(logits, V)];
    double sum = 0;
    for (int i = 0; i < V; i++) sum += (s->probs[i] = expf((logits[i] - mx) / s->p.temperature));
    for (int i = 0; i < V; i++) s->probs[i] = (float)(s->probs[i] / sum);

    /* Candidates: with top-p alone, tokens below (1-p)/(V-1) can never be in the nucleus. */
    int n = 0;
    float cutoff = (s->p.top_k <= 0 && s->p.top_p < 1.0f) ? (1.0f - s->p.top_p) / (float)(V - 1) : 0.0f;
    for (int i = 0; i < V; i++)
        if (s->probs[i] >= cutoff) s->idx[n++] = i;
    if (n == 0) return qs_argmax(logits, V);
    g_sort_probs = s->probs;
    qsort(s->idx, (size_t)n, sizeof(int), cmp_desc);
    if (s->p.top_k > 0 && s->p.top_k < n) n = s->p.top_k;
    double mass = 0;
    for (int i = 0; i < n; i++) mass += s->probs[s->idx[i]];
    if (s->p.top_p < 1.0f) {
        /* Keep the smallest prefix whose (renormalised) mass reaches top_p. */
        double acc = 0;
        for (int i = 0; i < n; i++) {
            acc += s->probs[s->idx[i]] / mass;
            if (acc >= s->p.top_p) {
                n = i + 1;
                break;
            }
        }
        mass = 0;
        for (int i = 0; i < n; i++) mass += s->probs[s->idx[i]];
    }
    double r = qs_rand_uniform(&s->rng) * mass, acc = 0;
    for (int i = 0; i < n; i++) {
        acc += s->probs[s->idx[i]];
        if (r < acc) return s->idx[i];
    }
    return s->idx[n - 1];
}
