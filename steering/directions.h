/*
 * directions.h - steering directions: one vector per layer boundary, stored
 * as safetensors (qsteer's format) or as a llama.cpp control-vector GGUF.
 *
 * Layer numbering (everywhere in qsteer): l = 0 is the embedding output,
 * l = k the residual stream after block k-1, up to l = num_hidden_layers.
 * A vector at l is added to the input of block l.
 *
 * qsteer format (.safetensors): F32 tensors "direction.<l>" of shape
 * [hidden_size]; __metadata__ holds model, config_hash, concept, method,
 * n_pairs, normalized, hidden_size, num_hidden_layers and "layers", a JSON
 * object {"<l>": {"mean_resid_norm": x, "raw_diff_norm": y}}.
 *
 * llama.cpp format (.gguf): general.architecture = "controlvector",
 * controlvector.model_hint, controlvector.layer_count, F32 tensors
 * "direction.<N>", N >= 1. llama.cpp adds direction.N to the output of its
 * block N (0-based; common_control_vector_load_one and
 * llama_adapter_cvec::apply_to via build_cvec in src/models/qwen2.cpp), which
 * is qsteer's l = N + 1. It rejects N = 0, so l = 0 and l = 1 cannot be
 * exported: writing them is an error, not a silent drop.
 */
#ifndef QS_DIRECTIONS_H
#define QS_DIRECTIONS_H

#include <stdbool.h>

#include "hf_config.h"

typedef struct {
    int hidden;           /* hidden_size */
    int n_layers;         /* num_hidden_layers; boundaries are 0..n_layers */
    float **vec;          /* [n_layers+1] -> [hidden] or NULL where the file has none */
    double *resid_norm;   /* [n_layers+1] mean residual-stream norm (NAN if unknown) */
    double *raw_norm;     /* [n_layers+1] norm of the unnormalised difference (NAN if unknown) */
    char model[256];
    unsigned long long config_hash; /* 0 if unknown */
    char concept[128];
    char method[32];
    int n_pairs;          /* -1 if unknown */
    bool normalized;
    int n_zero_layers;    /* extraction: requested layers left out because the mean difference was zero */
} qs_directions;

/* Empty set for a model shape (all layers absent, stats NAN). */
void qs_dir_init(qs_directions *d, int hidden, int n_layers);
void qs_dir_free(qs_directions *d);
/* Set layer l (copies v). */
void qs_dir_set(qs_directions *d, int l, const float *v);

/* Load .safetensors or .gguf (by content). With cfg != NULL the hidden size
 * must match and layers must lie in 0..cfg->n_layers; otherwise (GGUF without
 * a model) n_layers is the largest layer found. Rejects NaN/Inf values,
 * unknown tensors and malformed metadata, naming the file and tensor. */
qs_status qs_dir_load(qs_directions *d, const char *path, const qs_config *cfg);
/* Write qsteer's safetensors format atomically. */
qs_status qs_dir_save(const qs_directions *d, const char *path);
/* Write a llama.cpp control vector. Fails (naming the layers) if l = 0 or 1
 * is present, unless skip_unexportable, in which case they are left out and
 * *n_skipped says how many. */
qs_status qs_dir_save_gguf(const qs_directions *d, const char *path, bool skip_unexportable, int *n_skipped);

/* Parse a layer list: "all", "5", "16,17", "10-14", "0,3-5" into a
 * [n_layers+1] mask. Returns 0 or -1 (with a message via qs_fail). */
qs_status qs_parse_layers(const char *s, int n_layers, unsigned char *mask);

#endif
