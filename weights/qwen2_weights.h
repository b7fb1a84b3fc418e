/*
 * qwen2_weights.h - open a Hugging Face Qwen2 model directory: config.json plus
 * model.safetensors or model.safetensors.index.json with shards, memory-mapped.
 *
 * Matrices stay in their stored dtype (F32, F16 or BF16) inside the mapping;
 * the small 1-D tensors (norm weights, biases) are converted to float32 at load.
 * Every tensor is checked by name for presence, dtype and shape against the
 * config; errors name the file and the tensor.
 */
#ifndef QS_QWEN2_WEIGHTS_H
#define QS_QWEN2_WEIGHTS_H

#include "hf_config.h"
#include "safetensors.h"

/* A row-major matrix [rows, cols] in its stored dtype. */
typedef struct {
    const void *data;
    qs_dtype dtype;
    int rows, cols;
} qs_mat;

typedef struct {
    float *attn_norm;  /* input_layernorm.weight            [hidden] */
    qs_mat wq;         /* self_attn.q_proj.weight           [n_heads*head_dim, hidden] */
    float *bq;         /* self_attn.q_proj.bias             [n_heads*head_dim] */
    qs_mat wk;         /* self_attn.k_proj.weight           [n_kv_heads*head_dim, hidden] */
    float *bk;         /* self_attn.k_proj.bias             [n_kv_heads*head_dim] */
    qs_mat wv;         /* self_attn.v_proj.weight           [n_kv_heads*head_dim, hidden] */
    float *bv;         /* self_attn.v_proj.bias             [n_kv_heads*head_dim] */
    qs_mat wo;         /* self_attn.o_proj.weight           [hidden, n_heads*head_dim] */
    float *ffn_norm;   /* post_attention_layernorm.weight   [hidden] */
    qs_mat ffn_gate;   /* mlp.gate_proj.weight              [intermediate, hidden] */
    qs_mat ffn_up;     /* mlp.up_proj.weight                [intermediate, hidden] */
    qs_mat ffn_down;   /* mlp.down_proj.weight              [hidden, intermediate] */
} qs_layer;

typedef struct {
    qs_config cfg;
    qs_mat tok_embd;    /* model.embed_tokens.weight [vocab, hidden] */
    qs_layer *layers;   /* [n_layers] */
    float *output_norm; /* model.norm.weight [hidden] */
    qs_mat output;      /* lm_head.weight [vocab, hidden]; == tok_embd when tied */
    qs_safetensors *shards;
    int n_shards;
    size_t weight_bytes; /* bytes of all mapped tensors (for RSS budgets and bandwidth figures) */
} qs_weights;

/* The matrices a decode step streams, in order: each layer's q, k, v, o, gate, up, down, then
 * the LM head. Fills out[0 .. QS_N_MATS(cfg) - 1] and returns that count. */
#define QS_MATS_PER_LAYER 7
#define QS_N_MATS(cfg) (QS_MATS_PER_LAYER * (cfg)->n_layers + 1)
int qs_weights_matrices(const qs_weights *w, const qs_mat **out);

/* Open `dir` (config.json + safetensors). On error returns <0 and w is empty. */
qs_status qs_weights_load(qs_weights *w, const char *dir);
void qs_weights_free(qs_weights *w);

#endif
