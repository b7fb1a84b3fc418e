/*
 * hf_config.h - the fields of a Hugging Face Qwen2 config.json that qsteer uses.
 */
#ifndef QS_HF_CONFIG_H
#define QS_HF_CONFIG_H

#include <stdbool.h>

#include "qs_common.h"

#define QS_MAX_EOS 8

typedef struct {
    int hidden_size;             /* hidden_size */
    int intermediate_size;       /* intermediate_size */
    int n_layers;                /* num_hidden_layers */
    int n_heads;                 /* num_attention_heads */
    int n_kv_heads;              /* num_key_value_heads */
    int head_dim;                /* hidden_size / num_attention_heads (or head_dim if given) */
    int vocab_size;              /* vocab_size */
    int max_position_embeddings; /* max_position_embeddings */
    float rms_norm_eps;          /* rms_norm_eps */
    float rope_theta;            /* rope_theta */
    bool tie_word_embeddings;    /* tie_word_embeddings */
    int bos_token_id;            /* bos_token_id (-1 if null) */
    int eos_token_ids[QS_MAX_EOS]; /* eos_token_id (int or list) */
    int n_eos;
    char name[256];              /* _name_or_path, else the directory name */
    unsigned long long hash;     /* FNV-1a of the config.json bytes: identifies the model in result files */
} qs_config;

/* Parse and validate config.json at `path`. Rejects other architectures,
 * a non-null rope_scaling and an active sliding window. */
qs_status qs_config_load(qs_config *cfg, const char *path);

/* Add the eos_token_id(s) of a generation_config.json (if the file exists). */
qs_status qs_config_load_generation(qs_config *cfg, const char *path);

static inline int qs_config_q_dim(const qs_config *c) { return c->n_heads * c->head_dim; }
static inline int qs_config_kv_dim(const qs_config *c) { return c->n_kv_heads * c->head_dim; }

#endif
