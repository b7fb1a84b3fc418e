/*
 * steer.h - add steering vectors to the residual stream during a forward pass.
 *
 * A qs_steer holds, per layer boundary l, the sum of direction x scale of
 * every --steer option that names l (several options add up), and which
 * positions receive it: all, the prompt only (pos < prompt_len), or the
 * generated tokens only (pos >= prompt_len, i.e. each generated token when it
 * is fed back in). The hook qs_steer_hook applies, to each token of a batch,
 * the qs_steer of that token's sequence slot (NULL = unsteered), so one batch
 * can mix baseline and steered sequences.
 */
#ifndef QS_STEER_H
#define QS_STEER_H

#include "directions.h"
#include "forward.h"

typedef enum { QS_STEER_ALL = 0, QS_STEER_PROMPT, QS_STEER_GENERATED } qs_steer_positions;
typedef enum { QS_SCALE_ABSOLUTE = 0, QS_SCALE_RELATIVE } qs_scale_mode;

typedef struct {
    int hidden, n_layers;
    float **add;                   /* [n_layers+1] -> [hidden] summed vector, or NULL */
    qs_steer_positions positions;
} qs_steer;

void qs_steer_init(qs_steer *s, int hidden, int n_layers, qs_steer_positions positions);
void qs_steer_free(qs_steer *s);
/* add[l] += scale' * dir->vec[l] for each l in mask (scale' = scale, or
 * scale x the layer's recorded mean residual norm in relative mode). Errors
 * name the file and layer when a direction or its norm is missing. */
qs_status qs_steer_add(qs_steer *s, const qs_directions *dir, const char *file, const unsigned char *mask, double scale,
                       qs_scale_mode mode);
/* Parse "FILE:LAYERS:SCALE" (FILE may itself contain ':'; the last two fields are split off). */
qs_status qs_steer_parse_spec(const char *spec, char **file, char **layers, double *scale);

/* Build s from --steer specs "FILE:LAYERS:SCALE" (each file loaded once and
 * checked against cfg). If a file records another model's config hash, a
 * one-line note is written to note (may be NULL); that is allowed (e.g. base
 * model directions on the instruct model). */
qs_status qs_steer_from_specs(qs_steer *s, const qs_config *cfg, const char *const *specs, int n_specs,
                              qs_steer_positions positions, qs_scale_mode mode, char *note, size_t note_size);

/* Per-slot steering for qs_ctx_set_hook(ctx, qs_steer_hook, &hook). */
typedef struct {
    int n_seq;
    const qs_steer **per_seq; /* [n_seq] (NULL entries = unsteered) */
    int *prompt_len;          /* [n_seq] prompt length of each slot */
    qs_resid_hook_fn next;    /* optional hook called after steering (e.g. a capture) */
    void *next_ud;
} qs_steer_hook_state;

void qs_steer_hook(void *ud, int il, float *x, int n_tokens, int hidden, const qs_batch *b);

#endif
