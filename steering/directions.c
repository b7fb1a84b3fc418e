/* directions.c - load and save steering directions; see directions.h. */
#include "directions.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <string.h>

#include "gguf.h"
#include "safetensors.h"

void qs_dir_init(qs_directions *d, int hidden, int n_layers) {
    memset(d, 0, sizeof *d);
    d->hidden = hidden;
    d->n_layers = n_layers;
    d->vec = qs_calloc((size_t)n_layers + 1, sizeof(float *));
    d->resid_norm = qs_malloc(((size_t)n_layers + 1) * sizeof(double));
    d->raw_norm = qs_malloc(((size_t)n_layers + 1) * sizeof(double));
    for (int l = 0; l <= n_layers; l++) d->resid_norm[l] = d->raw_norm[l] = NAN;
    d->n_pairs = -1;
}

void qs_dir_free(qs_directions *d) {
    if (d->vec)
        for (int l = 0; l <= d->n_layers; l++) free(d->vec[l]);
    free(d->vec);
    free(d->resid_norm);
    free(d->raw_norm);
    memset(d, 0, sizeof *d);
}

void qs_dir_set(qs_directions *d, int l, const float *v) {
    QS_ASSERT(l >= 0 && l <= d->n_layers);
    if (!d->vec[l]) d->vec[l] = qs_malloc((size_t)d->hidden * sizeof(float));
    memcpy(d->vec[l], v, (size_t)d->hidden * sizeof(float));
}

/* "direction.<digits>" -> l, else -1 */
static int layer_of(const char *name) {
    if (strncmp(name, "direction.", 10) != 0 || !name[10]) return -1;
    long v = 0;
    for (const char *p = name + 10; *p; p++) {
        if (!isdigit((unsigned char)*p) || v > 100000) return -1;
        v = v * 10 + (*p - '0');
    }
    return (int)v;
}

static qs_status check_values(const char *path, const char *name, const float *v, int n) {
    for (int i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return qs_fail(QS_ERR_FORMAT, "%s: tensor '%s' holds a non-finite value (%g at index %d)", path, name, v[i], i);
    return QS_OK;
}

/* ------------------------------------------------------------ safetensors */

static qs_status meta_int(const qs_safetensors *st, const char *key, long lo, long hi, long *out) {
    const char *s = qs_st_meta(st, key);
    if (!s) return QS_OK;
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < lo || v > hi)
        return qs_fail(QS_ERR_FORMAT, "%s: __metadata__ '%s' is '%s'; expected an integer in [%ld, %ld]", st->path, key, s, lo, hi);
    *out = v;
    return QS_OK;
}

static qs_status load_st(qs_directions *d, const char *path, const qs_config *cfg) {
    qs_safetensors st;
    qs_status rc = qs_st_open(&st, path);
    if (rc != QS_OK) return rc;
    long hidden = -1, n_layers = -1, n_pairs = -1;
    if ((rc = meta_int(&st, "hidden_size", 1, 1 << 24, &hidden)) || (rc = meta_int(&st, "num_hidden_layers", 1, 4096, &n_layers)) ||
        (rc = meta_int(&st, "n_pairs", 0, 1L << 40, &n_pairs)))
        goto done;
    /* infer the shape from the tensors when the metadata does not say */
    int max_l = -1;
    for (int i = 0; i < st.n_tensors; i++) {
        const qs_st_tensor *t = &st.tensors[i];
        int l = layer_of(t->name);
        if (l < 0) {
            rc = qs_fail(QS_ERR_FORMAT, "%s: unexpected tensor '%s' (a directions file holds only direction.<layer>)", path, t->name);
            goto done;
        }
        if (t->dtype != QS_DTYPE_F32 || t->ndim != 1) {
            rc = qs_fail(QS_ERR_FORMAT, "%s: tensor '%s' must be 1-D F32, found %d-D %s", path, t->name, t->ndim, qs_dtype_name(t->dtype));
            goto done;
        }
        if (hidden < 0) hidden = t->shape[0];
        if (t->shape[0] != hidden) {
            rc = qs_fail(QS_ERR_FORMAT, "%s: tensor '%s' has %lld values; the file's hidden size is %ld", path, t->name,
                         (long long)t->shape[0], hidden);
            goto done;
        }
        if (l > max_l) max_l = l;
    }
    if (hidden < 0) {
        rc = qs_fail(QS_ERR_FORMAT, "%s: holds no direction.<layer> tensors", path);
        goto done;
    }
    if (cfg) {
        if (hidden != cfg->hidden_size) {
            rc = qs_fail(QS_ERR_FORMAT, "%s: directions have %ld values; the model's hidden_size is %d", path, hidden, cfg->hidden_size);
            goto done;
        }
        if (max_l > cfg->n_layers) {
            rc = qs_fail(QS_ERR_FORMAT, "%s: tensor 'direction.%d' is beyond the model's last layer boundary %d", path, max_l, cfg->n_layers);
            goto done;
        }
        n_layers = cfg->n_layers;
    } else if (n_layers < max_l) {
        n_layers = max_l;
    }
    qs_dir_init(d, (int)hidden, (int)n_layers);
    d->n_pairs = (int)n_pairs;
    for (int i = 0; i < st.n_tensors; i++) {
        const qs_st_tensor *t = &st.tensors[i];
        if ((rc = check_values(path, t->name, t->data, (int)hidden))) goto done;
        qs_dir_set(d, layer_of(t->name), t->data);
    }
    const char *s;
    if ((s = qs_st_meta(&st, "model"))) snprintf(d->model, sizeof d->model, "%s", s);
    if ((s = qs_st_meta(&st, "concept"))) snprintf(d->concept, sizeof d->concept, "%s", s);
    if ((s = qs_st_meta(&st, "method"))) snprintf(d->method, sizeof d->method, "%s", s);
    if ((s = qs_st_meta(&st, "config_hash"))) d->config_hash = strtoull(s, NULL, 16);
    if ((s = qs_st_meta(&st, "normalized"))) d->normalized = strcmp(s, "true") == 0;
    if ((s = qs_st_meta(&st, "layers"))) {
        cJSON *root = cJSON_Parse(s);
        if (!cJSON_IsObject(root)) {
            cJSON_Delete(root);
            rc = qs_fail(QS_ERR_FORMAT, "%s: __metadata__ 'layers' is not a JSON object", path);
            goto done;
        }
        const cJSON *e;
        cJSON_ArrayForEach(e, root) {
            char name[64];
            snprintf(name, sizeof name, "direction.%s", e->string);
            int l = layer_of(name);
            const cJSON *rn = cJSON_GetObjectItemCaseSensitive(e, "mean_resid_norm");
            const cJSON *dn = cJSON_GetObjectItemCaseSensitive(e, "raw_diff_norm");
            if (l < 0 || l > d->n_layers || (rn && !cJSON_IsNumber(rn)) || (dn && !cJSON_IsNumber(dn))) {
                cJSON_Delete(root);
                rc = qs_fail(QS_ERR_FORMAT, "%s: __metadata__ 'layers': bad entry '%s' (expected a layer with numeric mean_resid_norm, raw_diff_norm)", path, e->string);
                goto done;
            }
            if (rn) d->resid_norm[l] = rn->valuedouble;
            if (dn) d->raw_norm[l] = dn->valuedouble;
        }
        cJSON_Delete(root);
    }
done:
    if (rc != QS_OK && d->vec) qs_dir_free(d);
    qs_st_close(&st);
    return rc;
}

qs_status qs_dir_save(const qs_directions *d, const char *path) {
    int n = 0;
    qs_st_out_tensor *t = qs_calloc((size_t)d->n_layers + 1, sizeof *t);
    char (*names)[32] = qs_calloc((size_t)d->n_layers + 1, 32);
    cJSON *layers = cJSON_CreateObject();
    for (int l = 0; l <= d->n_layers; l++) {
        if (!d->vec[l]) continue;
        snprintf(names[n], 32, "direction.%d", l);
        t[n] = (qs_st_out_tensor){.name = names[n], .dtype = QS_DTYPE_F32, .ndim = 1, .shape = {d->hidden}, .data = d->vec[l]};
        n++;
        char key[16];
        snprintf(key, sizeof key, "%d", l);
        cJSON *o = cJSON_AddObjectToObject(layers, key);
        if (isfinite(d->resid_norm[l])) cJSON_AddNumberToObject(o, "mean_resid_norm", d->resid_norm[l]);
        if (isfinite(d->raw_norm[l])) cJSON_AddNumberToObject(o, "raw_diff_norm", d->raw_norm[l]);
    }
    char *layers_json = cJSON_PrintUnformatted(layers);
    cJSON_Delete(layers);
    char hidden[16], nl[16], np[24], hash[24];
    snprintf(hidden, sizeof hidden, "%d", d->hidden);
    snprintf(nl, sizeof nl, "%d", d->n_layers);
    snprintf(np, sizeof np, "%d", d->n_pairs);
    snprintf(hash, sizeof hash, "%016llx", d->config_hash);
    const char *keys[] = {"format", "model", "config_hash", "concept", "method", "n_pairs", "normalized", "hidden_size", "num_hidden_layers", "layers"};
    const char *vals[] = {"qsteer-directions-1", d->model, hash, d->concept, d->method, np, d->normalized ? "true" : "false", hidden, nl, layers_json};
    int n_meta = 10;
    qs_status rc = qs_st_write(path, t, n, keys, vals, n_meta);
    free(layers_json);
    free(names);
    free(t);
    return rc;
}

/* ------------------------------------------------------------ GGUF (llama.cpp control vectors) */

static qs_status load_gguf(qs_directions *d, const char *path, const qs_config *cfg) {
    qs_gguf g;
    qs_status rc = qs_gguf_open(&g, path);
    if (rc != QS_OK) return rc;
    const qs_gguf_kv *arch = qs_gguf_find_kv(&g, "general.architecture");
    int hidden = -1, max_l = -1;
    if (!arch || arch->type != QS_GGUF_STRING || strcmp(arch->str, "controlvector") != 0) {
        rc = qs_fail(QS_ERR_FORMAT, "%s: general.architecture is %s; expected \"controlvector\"", path,
                     arch && arch->str ? arch->str : "missing");
        goto done;
    }
    for (uint64_t i = 0; i < g.n_tensors; i++) {
        const qs_gguf_tensor *t = &g.tensors[i];
        int n = layer_of(t->name);
        if (n < 0) { rc = qs_fail(QS_ERR_FORMAT, "%s: unexpected tensor '%s' (expected direction.<N>)", path, t->name); goto done; }
        if (n == 0) { rc = qs_fail(QS_ERR_FORMAT, "%s: tensor 'direction.0' is invalid in a llama.cpp control vector (layer index 0)", path); goto done; }
        if (t->type != QS_GGML_F32 || t->n_dims != 1) { rc = qs_fail(QS_ERR_FORMAT, "%s: tensor '%s' must be 1-D F32", path, t->name); goto done; }
        if (hidden < 0) hidden = (int)t->dims[0];
        if ((int)t->dims[0] != hidden) { rc = qs_fail(QS_ERR_FORMAT, "%s: tensor '%s' has %llu values, others have %d", path, t->name, (unsigned long long)t->dims[0], hidden); goto done; }
        if (n + 1 > max_l) max_l = n + 1;
    }
    if (hidden < 0) { rc = qs_fail(QS_ERR_FORMAT, "%s: holds no direction tensors", path); goto done; }
    int n_layers = max_l;
    if (cfg) {
        if (hidden != cfg->hidden_size) { rc = qs_fail(QS_ERR_FORMAT, "%s: directions have %d values; the model's hidden_size is %d", path, hidden, cfg->hidden_size); goto done; }
        if (max_l > cfg->n_layers) { rc = qs_fail(QS_ERR_FORMAT, "%s: tensor 'direction.%d' is beyond the model's %d blocks", path, max_l - 1, cfg->n_layers); goto done; }
        n_layers = cfg->n_layers;
    }
    qs_dir_init(d, hidden, n_layers);
    for (uint64_t i = 0; i < g.n_tensors; i++) {
        const qs_gguf_tensor *t = &g.tensors[i];
        if ((rc = check_values(path, t->name, t->data, hidden))) goto done;
        /* llama.cpp sums duplicate directions; so do we */
        int l = layer_of(t->name) + 1;
        if (!d->vec[l]) {
            qs_dir_set(d, l, t->data);
        } else {
            for (int j = 0; j < hidden; j++) d->vec[l][j] += ((const float *)t->data)[j];
        }
    }
    const qs_gguf_kv *hint = qs_gguf_find_kv(&g, "controlvector.model_hint");
    if (hint && hint->str) snprintf(d->model, sizeof d->model, "%s", hint->str);
    snprintf(d->method, sizeof d->method, "llama.cpp-controlvector");
done:
    if (rc != QS_OK && d->vec) qs_dir_free(d);
    qs_gguf_close(&g);
    return rc;
}

qs_status qs_dir_save_gguf(const qs_directions *d, const char *path, bool skip_unexportable, int *n_skipped) {
    int skipped = 0;
    for (int l = 0; l <= 1 && l <= d->n_layers; l++) {
        if (!d->vec[l]) continue;
        if (!skip_unexportable)
            return qs_fail(QS_ERR_ARG, "%s: layer %d cannot be written as a llama.cpp control vector (llama.cpp adds direction.N "
                           "after its block N, i.e. qsteer layer N+1 >= 2, and rejects N = 0); choose layers 2..%d",
                           path, l, d->n_layers);
        skipped++;
    }
    if (n_skipped) *n_skipped = skipped;
    qs_gguf_out_tensor *t = qs_calloc((size_t)d->n_layers + 1, sizeof *t);
    char (*names)[32] = qs_calloc((size_t)d->n_layers + 1, 32);
    int n = 0;
    for (int l = 2; l <= d->n_layers; l++) {
        if (!d->vec[l]) continue;
        snprintf(names[n], 32, "direction.%d", l - 1);
        t[n] = (qs_gguf_out_tensor){.name = names[n], .n_dims = 1, .dims = {(uint64_t)d->hidden}, .data = d->vec[l]};
        n++;
    }
    qs_status rc;
    if (n == 0) {
        rc = qs_fail(QS_ERR_ARG, "%s: no layer in 2..%d to export as a llama.cpp control vector", path, d->n_layers);
    } else {
        qs_gguf_out_kv kv[] = {{"general.architecture", QS_GGUF_STRING, "controlvector", 0},
                               {"controlvector.model_hint", QS_GGUF_STRING, "qwen2", 0},
                               {"controlvector.layer_count", QS_GGUF_INT32, NULL, (double)n}};
        rc = qs_gguf_write(path, kv, 3, t, n);
    }
    free(names);
    free(t);
    return rc;
}

qs_status qs_dir_load(qs_directions *d, const char *path, const qs_config *cfg) {
    memset(d, 0, sizeof *d);
    FILE *f = fopen(path, "rb");
    if (!f) return qs_fail(QS_ERR_IO, "%s: cannot open directions file", path);
    char magic[4] = {0};
    size_t got = fread(magic, 1, 4, f);
    fclose(f);
    if (got == 4 && memcmp(magic, "GGUF", 4) == 0) return load_gguf(d, path, cfg);
    return load_st(d, path, cfg);
}

qs_status qs_parse_layers(const char *s, int n_layers, unsigned char *mask) {
    memset(mask, 0, (size_t)n_layers + 1);
    if (strcmp(s, "all") == 0) {
        memset(mask, 1, (size_t)n_layers + 1);
        return QS_OK;
    }
    const char *p = s;
    while (*p) {
        char *end;
        long a = strtol(p, &end, 10), b = a;
        if (end == p || a < 0) break;
        if (*end == '-') {
            p = end + 1;
            b = strtol(p, &end, 10);
            if (end == p || b < a) break;
        }
        if (b > n_layers) return qs_fail(QS_ERR_ARG, "layer list '%s': %ld is beyond the last layer boundary %d", s, b, n_layers);
        for (long l = a; l <= b; l++) mask[l] = 1;
        if (*end == 0) return QS_OK;
        if (*end != ',') break;
        p = end + 1;
        if (!*p) break;
    }
    return qs_fail(QS_ERR_ARG, "layer list '%s': expected 'all', a layer like 5, a list like 16,17 or a range like 10-14", s);
}
