/* qwen2_weights.c - bind the tensors of a Qwen2 HF directory; see qwen2_weights.h. */
#include "qwen2_weights.h"

#include <cjson/cJSON.h>
#include <string.h>

#include "fp16.h"

/* ---------------------------------------------------------------- shards */

static char *path_join(const char *dir, const char *name) {
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = qs_malloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* Opens every shard named in model.safetensors.index.json's weight_map. */
static qs_status open_index(qs_weights *w, const char *dir, const char *index_path) {
    char *text;
    qs_status rc = qs_read_file(index_path, &text, NULL);
    if (rc != QS_OK) return rc;
    cJSON *root = cJSON_Parse(text);
    free(text);
    const cJSON *map = root ? cJSON_GetObjectItemCaseSensitive(root, "weight_map") : NULL;
    if (!cJSON_IsObject(map)) {
        cJSON_Delete(root);
        return qs_fail(QS_ERR_FORMAT, "%s: expected a JSON object with a 'weight_map' object", index_path);
    }
    /* Distinct shard file names, in order of first appearance. */
    int cap = cJSON_GetArraySize(map);
    char **names = qs_calloc((size_t)cap, sizeof(char *));
    int n = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, map) {
        if (!cJSON_IsString(e) || strchr(e->valuestring, '/') || e->valuestring[0] == '.') {
            rc = qs_fail(QS_ERR_FORMAT, "%s: weight_map['%s']: expected a shard file name in the same directory",
                         index_path, e->string);
            goto done;
        }
        int seen = 0;
        for (int i = 0; i < n; i++) seen |= strcmp(names[i], e->valuestring) == 0;
        if (!seen) names[n++] = e->valuestring;
    }
    w->shards = qs_calloc((size_t)(n ? n : 1), sizeof *w->shards);
    for (int i = 0; i < n; i++) {
        char *p = path_join(dir, names[i]);
        rc = qs_st_open(&w->shards[i], p);
        free(p);
        if (rc != QS_OK) goto done;
        w->n_shards++;
    }
    /* Each tensor must be in the shard the index names. */
    cJSON_ArrayForEach(e, map) {
        for (int i = 0; i < w->n_shards; i++) {
            if (strcmp(names[i], e->valuestring) == 0 && !qs_st_find(&w->shards[i], e->string)) {
                rc = qs_fail(QS_ERR_FORMAT, "%s: tensor '%s' is listed in %s but missing from %s", dir, e->string,
                             "model.safetensors.index.json", names[i]);
                goto done;
            }
        }
    }
done:
    free(names);
    cJSON_Delete(root);
    return rc;
}

static const qs_st_tensor *find_tensor(const qs_weights *w, const char *name, const char **file) {
    for (int i = 0; i < w->n_shards; i++) {
        const qs_st_tensor *t = qs_st_find(&w->shards[i], name);
        if (t) {
            *file = w->shards[i].path;
            return t;
        }
    }
    return NULL;
}

/* -------------------------------------------------------------- binding */

typedef struct {
    qs_weights *w;
    const char *dir;
    char name[256];
} binder;

static qs_status get(binder *b, const char *name, int rows, int cols, const qs_st_tensor **out) {
    const char *file = NULL;
    const qs_st_tensor *t = find_tensor(b->w, name, &file);
    if (!t) return qs_fail(QS_ERR_FORMAT, "%s: tensor '%s' is missing from the safetensors files", b->dir, name);
    if (t->dtype != QS_DTYPE_F32 && t->dtype != QS_DTYPE_F16 && t->dtype != QS_DTYPE_BF16)
        return qs_fail(QS_ERR_UNSUPPORTED, "%s: tensor '%s' has dtype %s; expected F32, F16 or BF16", file, name,
                       qs_dtype_name(t->dtype));
    int ok = rows < 0 ? (t->ndim == 1 && t->shape[0] == cols)
                      : (t->ndim == 2 && t->shape[0] == rows && t->shape[1] == cols);
    if (!ok) {
        char got[96] = "";
        for (int i = 0; i < t->ndim; i++) {
            size_t l = strlen(got);
            snprintf(got + l, sizeof got - l, "%s%lld", i ? ", " : "", (long long)t->shape[i]);
        }
        if (rows < 0)
            return qs_fail(QS_ERR_FORMAT, "%s: tensor '%s' has shape [%s]; the config implies [%d]", file, name, got, cols);
        return qs_fail(QS_ERR_FORMAT, "%s: tensor '%s' has shape [%s]; the config implies [%d, %d]", file, name, got, rows,
                       cols);
    }
    b->w->weight_bytes += t->nbytes;
    *out = t;
    return QS_OK;
}

static qs_status bind_mat(binder *b, qs_mat *m, int rows, int cols, const char *fmt, int il) {
    snprintf(b->name, sizeof b->name, fmt, il);
    const qs_st_tensor *t;
    qs_status rc = get(b, b->name, rows, cols, &t);
    if (rc != QS_OK) return rc;
    *m = (qs_mat){.data = t->data, .dtype = t->dtype, .rows = rows, .cols = cols};
    return QS_OK;
}

static qs_status bind_vec(binder *b, float **v, int n, const char *fmt, int il) {
    snprintf(b->name, sizeof b->name, fmt, il);
    const qs_st_tensor *t;
    qs_status rc = get(b, b->name, -1, n, &t);
    if (rc != QS_OK) return rc;
    *v = qs_malloc((size_t)n * sizeof(float));
    qs_convert_to_f32(*v, t->data, t->dtype, (size_t)n);
    return QS_OK;
}

#define TRY(x)                  \
    do {                        \
        rc = (x);               \
        if (rc != QS_OK) goto fail; \
    } while (0)

qs_status qs_weights_load(qs_weights *w, const char *dir) {
    memset(w, 0, sizeof *w);
    qs_status rc;
    char *cfg_path = path_join(dir, "config.json");
    rc = qs_config_load(&w->cfg, cfg_path);
    free(cfg_path);
    if (rc != QS_OK) return rc;
    cfg_path = path_join(dir, "generation_config.json");
    rc = qs_config_load_generation(&w->cfg, cfg_path);
    free(cfg_path);
    if (rc != QS_OK) return rc;
    if (!w->cfg.name[0]) {
        const char *base = strrchr(dir, '/');
        snprintf(w->cfg.name, sizeof w->cfg.name, "%s", base && base[1] ? base + 1 : dir);
    }
    char *single = path_join(dir, "model.safetensors");
    char *index = path_join(dir, "model.safetensors.index.json");
    FILE *f;
    if ((f = fopen(index, "rb"))) {
        fclose(f);
        rc = open_index(w, dir, index);
    } else if ((f = fopen(single, "rb"))) {
        fclose(f);
        w->shards = qs_calloc(1, sizeof *w->shards);
        rc = qs_st_open(&w->shards[0], single);
        if (rc == QS_OK) w->n_shards = 1;
    } else {
        rc = qs_fail(QS_ERR_IO, "%s: neither model.safetensors nor model.safetensors.index.json exists", dir);
    }
    free(single);
    free(index);
    if (rc != QS_OK) goto fail;

    const qs_config *c = &w->cfg;
    const int H = c->hidden_size, Q = qs_config_q_dim(c), KV = qs_config_kv_dim(c), F = c->intermediate_size;
    binder b = {.w = w, .dir = dir};
    TRY(bind_mat(&b, &w->tok_embd, c->vocab_size, H, "model.embed_tokens.weight", 0));
    w->layers = qs_calloc((size_t)c->n_layers, sizeof *w->layers);
    for (int il = 0; il < c->n_layers; il++) {
        qs_layer *L = &w->layers[il];
        TRY(bind_vec(&b, &L->attn_norm, H, "model.layers.%d.input_layernorm.weight", il));
        TRY(bind_mat(&b, &L->wq, Q, H, "model.layers.%d.self_attn.q_proj.weight", il));
        TRY(bind_vec(&b, &L->bq, Q, "model.layers.%d.self_attn.q_proj.bias", il));
        TRY(bind_mat(&b, &L->wk, KV, H, "model.layers.%d.self_attn.k_proj.weight", il));
        TRY(bind_vec(&b, &L->bk, KV, "model.layers.%d.self_attn.k_proj.bias", il));
        TRY(bind_mat(&b, &L->wv, KV, H, "model.layers.%d.self_attn.v_proj.weight", il));
        TRY(bind_vec(&b, &L->bv, KV, "model.layers.%d.self_attn.v_proj.bias", il));
        TRY(bind_mat(&b, &L->wo, H, Q, "model.layers.%d.self_attn.o_proj.weight", il));
        TRY(bind_vec(&b, &L->ffn_norm, H, "model.layers.%d.post_attention_layernorm.weight", il));
        TRY(bind_mat(&b, &L->ffn_gate, F, H, "model.layers.%d.mlp.gate_proj.weight", il));
        TRY(bind_mat(&b, &L->ffn_up, F, H, "model.layers.%d.mlp.up_proj.weight", il));
        TRY(bind_mat(&b, &L->ffn_down, H, F, "model.layers.%d.mlp.down_proj.weight", il));
    }
    TRY(bind_vec(&b, &w->output_norm, H, "model.norm.weight", 0));
    const char *file;
    if (c->tie_word_embeddings) {
        w->output = w->tok_embd;
    } else if (find_tensor(w, "lm_head.weight", &file)) {
        TRY(bind_mat(&b, &w->output, c->vocab_size, H, "lm_head.weight", 0));
    } else {
        rc = qs_fail(QS_ERR_FORMAT,
                     "%s: tensor 'lm_head.weight' is missing and config.json has tie_word_embeddings = false", dir);
        goto fail;
    }
    return QS_OK;
fail:
    qs_weights_free(w);
    return rc;
}

int qs_weights_matrices(const qs_weights *w, const qs_mat **out) {
    int n = 0;
    for (int il = 0; il < w->cfg.n_layers; il++) {
        const qs_layer *ly = &w->layers[il];
        const qs_mat *ms[QS_MATS_PER_LAYER] = {&ly->wq, &ly->wk, &ly->wv, &ly->wo, &ly->ffn_gate, &ly->ffn_up, &ly->ffn_down};
        for (int i = 0; i < QS_MATS_PER_LAYER; i++) out[n++] = ms[i];
    }
    out[n++] = &w->output;
    return n;
}

void qs_weights_free(qs_weights *w) {
    if (w->layers) {
        for (int il = 0; il < w->cfg.n_layers; il++) {
            qs_layer *L = &w->layers[il];
            free(L->attn_norm), free(L->bq), free(L->bk), free(L->bv), free(L->ffn_norm);
        }
    }
    free(w->layers);
    free(w->output_norm);
    for (int i = 0; i < w->n_shards; i++) qs_st_close(&w->shards[i]);
    free(w->shards);
    memset(w, 0, sizeof *w);
}
