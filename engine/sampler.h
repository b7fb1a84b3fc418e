/*
 * sampler.h - choose the next token from logits.
 *
 * Order (as HF generate): repetition penalty -> temperature -> top-k -> top-p
 * -> draw. temperature == 0 is plain greedy argmax (the first maximum, as
 * torch.argmax). The random stream is a 64-bit generator seeded by `seed`, so
 * the same seed, model and prompt give the same tokens.
 */
#ifndef QS_SAMPLER_H
#define QS_SAMPLER_H

#include <stdint.h>

typedef struct {
    float temperature;    /* 0 = greedy */
    int top_k;            /* 0 = off */
    float top_p;          /* 1 = off */
    float repeat_penalty; /* 1 = off; HF semantics: logit>0 ? logit/p : logit*p for seen tokens */
    int repeat_last_n;    /* tokens of history the penalty looks at (0 = all) */
    uint64_t seed;
} qs_sampler_params;

typedef struct {
    qs_sampler_params p;
    uint64_t rng;
    int vocab;
    float *probs;   /* [vocab] */
    int *idx;       /* [vocab] candidate ids */
} qs_sampler;

void qs_sampler_init(qs_sampler *s, const qs_sampler_params *p, int vocab);
void qs_sampler_free(qs_sampler *s);
/* Sample from logits[vocab] (modified in place by the penalty). history: the
 * ids so far (prompt + generated) for the repetition penalty. */
int qs_sampler_sample(qs_sampler *s, float *logits, const int32_t *history, int n_history);
/* Index of the first maximum. */
int qs_argmax(const float *x, int n);
/* A uniform float in [0, 1) from a splitmix64 state. */
float qs_rand_uniform(uint64_t *state);

#endif
