/* hf_config.c - parse and validate a Qwen2 config.json with cJSON. */
#include "hf_config.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>

static qs_status get_int(const cJSON *root, const char *path, const char *key, int lo, int hi, int *out,
                         int required, int dflt) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!v || cJSON_IsNull(v)) {
        if (required) return qs_fail(QS_ERR_FORMAT, "%s: field '%s' is missing (expected an integer)", path, key);
        *out = dflt;
        return QS_OK;
    }
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < lo || v->valuedouble > hi)
        return qs_fail(QS_ERR_FORMAT, "%s: field '%s': expected an integer in [%d, %d]", path, key, lo, hi);
    *out = (int)v->valuedouble;
    return QS_OK;
}

static qs_status get_float(const cJSON *root, const char *path, const char *key, double lo, double hi,
                           float *out, float dflt) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!v || cJSON_IsNull(v)) {
        *out = dflt;
        return QS_OK;
    }
    if (!cJSON_IsNumber(v) || !(v->valuedouble > lo) || !(v->valuedouble < hi))
        return qs_fail(QS_ERR_FORMAT, "%s: field '%s': expected a number in (%g, %g)", path, key, lo, hi);
    *out = (float)v->valuedouble;
    return QS_OK;
}

#define TRY(x)                      \
    do {                            \
        qs_status rc_ = (x);        \
        if (rc_ != QS_OK) goto fail_; \
    } while (0)

/* eos_token_id: an integer or a list; appended to c->eos_token_ids without duplicates. */
static qs_status parse_eos(qs_config *c, const cJSON *root, const char *path) {
    const cJSON *eos = cJSON_GetObjectItemCaseSensitive(root, "eos_token_id");
    if (!eos || cJSON_IsNull(eos)) return QS_OK;
    if (!cJSON_IsNumber(eos) && !cJSON_IsArray(eos))
        return qs_fail(QS_ERR_FORMAT, "%s: field 'eos_token_id': expected an integer or a list of integers", path);
    const cJSON *e = cJSON_IsArray(eos) ? eos->child : eos;
    for (; e; e = cJSON_IsArray(eos) ? e->next : NULL) {
        if (!cJSON_IsNumber(e) || e->valuedouble != floor(e->valuedouble) || e->valuedouble < 0 ||
            e->valuedouble >= c->vocab_size)
            return qs_fail(QS_ERR_FORMAT, "%s: field 'eos_token_id': expected token ids in [0, %d)", path, c->vocab_size);
        int id = (int)e->valuedouble, dup = 0;
        for (int i = 0; i < c->n_eos; i++) dup |= c->eos_token_ids[i] == id;
        if (dup) continue;
        if (c->n_eos >= QS_MAX_EOS)
            return qs_fail(QS_ERR_FORMAT, "%s: field 'eos_token_id': more than %d ids", path, QS_MAX_EOS);
        c->eos_token_ids[c->n_eos++] = id;
    }
    return QS_OK;
}

static qs_status parse(qs_config *c, const cJSON *root, const char *path) {
    qs_status rc = QS_OK;
    const cJSON *arch = cJSON_GetObjectItemCaseSensitive(root, "architectures");
    const cJSON *mt = cJSON_GetObjectItemCaseSensitive(root, "model_type");
    if (mt && !(cJSON_IsString(mt) && strcmp(mt->valuestring, "qwen2") == 0))
        return qs_fail(QS_ERR_UNSUPPORTED, "%s: field 'model_type' is %s; qsteer supports \"qwen2\"", path,
                       cJSON_IsString(mt) ? mt->valuestring : "not a string");
    if (arch) {
        const cJSON *a0 = cJSON_IsArray(arch) ? cJSON_GetArrayItem(arch, 0) : NULL;
        if (!cJSON_IsString(a0) || strcmp(a0->valuestring, "Qwen2ForCausalLM") != 0)
            return qs_fail(QS_ERR_UNSUPPORTED, "%s: field 'architectures' is %s; qsteer supports [\"Qwen2ForCausalLM\"]",
                           path, cJSON_IsString(a0) ? a0->valuestring : "not a list of strings");
    }
    if (!arch && !mt)
        return qs_fail(QS_ERR_FORMAT, "%s: neither 'architectures' nor 'model_type' is present; expected a Qwen2 config", path);
    const cJSON *act = cJSON_GetObjectItemCaseSensitive(root, "hidden_act");
    if (act && !(cJSON_IsString(act) && strcmp(act->valuestring, "silu") == 0))
        return qs_fail(QS_ERR_UNSUPPORTED, "%s: field 'hidden_act': only \"silu\" is supported", path);
    const cJSON *rs = cJSON_GetObjectItemCaseSensitive(root, "rope_scaling");
    if (rs && !cJSON_IsNull(rs))
        return qs_fail(QS_ERR_UNSUPPORTED, "%s: field 'rope_scaling' is set; qsteer supports only null (plain RoPE)", path);
    const cJSON *sw = cJSON_GetObjectItemCaseSensitive(root, "use_sliding_window");
    if (sw && !cJSON_IsBool(sw))
        return qs_fail(QS_ERR_FORMAT, "%s: field 'use_sliding_window': expected true or false", path);
    if (cJSON_IsTrue(sw))
        return qs_fail(QS_ERR_UNSUPPORTED, "%s: field 'use_sliding_window' is true; sliding-window attention is not supported", path);

    const int BIG = 1 << 24;
    TRY(rc = get_int(root, path, "hidden_size", 1, BIG, &c->hidden_size, 1, 0));
    TRY(rc = get_int(root, path, "intermediate_size", 1, BIG, &c->intermediate_size, 1, 0));
    TRY(rc = get_int(root, path, "num_hidden_layers", 1, 1024, &c->n_layers, 1, 0));
    TRY(rc = get_int(root, path, "num_attention_heads", 1, 4096, &c->n_heads, 1, 0));
    TRY(rc = get_int(root, path, "num_key_value_heads", 1, 4096, &c->n_kv_heads, 0, c->n_heads));
    TRY(rc = get_int(root, path, "vocab_size", 1, BIG, &c->vocab_size, 1, 0));
    TRY(rc = get_int(root, path, "max_position_embeddings", 1, BIG, &c->max_position_embeddings, 0, 32768));
    TRY(rc = get_int(root, path, "bos_token_id", 0, BIG, &c->bos_token_id, 0, -1));
    TRY(rc = get_float(root, path, "rms_norm_eps", 0, 1, &c->rms_norm_eps, 1e-6f));
    TRY(rc = get_float(root, path, "rope_theta", 0, 1e12, &c->rope_theta, 10000.0f));
    /* transformers >= 5 writes {"rope_parameters": {"rope_type": "default", "rope_theta": ...}} */
    const cJSON *rp = cJSON_GetObjectItemCaseSensitive(root, "rope_parameters");
    if (rp && !cJSON_IsNull(rp)) {
        const cJSON *rt = cJSON_GetObjectItemCaseSensitive(rp, "rope_type");
        if (!cJSON_IsObject(rp) || (rt && !(cJSON_IsString(rt) && strcmp(rt->valuestring, "default") == 0)))
            return qs_fail(QS_ERR_UNSUPPORTED, "%s: field 'rope_parameters': only rope_type \"default\" (plain RoPE) is supported", path);
        if (cJSON_GetObjectItemCaseSensitive(rp, "rope_theta"))
            TRY(rc = get_float(rp, path, "rope_theta", 0, 1e12, &c->rope_theta, 10000.0f));
    }
    if (c->hidden_size % c->n_heads)
        return qs_fail(QS_ERR_FORMAT, "%s: hidden_size %d is not a multiple of num_attention_heads %d", path,
                       c->hidden_size, c->n_heads);
    TRY(rc = get_int(root, path, "head_dim", 2, 4096, &c->head_dim, 0, c->hidden_size / c->n_heads));
    if (c->head_dim % 2)
        return qs_fail(QS_ERR_FORMAT, "%s: head_dim %d must be even for RoPE", path, c->head_dim);
    if (c->n_heads % c->n_kv_heads)
        return qs_fail(QS_ERR_FORMAT, "%s: num_attention_heads %d is not a multiple of num_key_value_heads %d", path,
                       c->n_heads, c->n_kv_heads);
    const cJSON *tie = cJSON_GetObjectItemCaseSensitive(root, "tie_word_embeddings");
    if (tie && !cJSON_IsBool(tie))
        return qs_fail(QS_ERR_FORMAT, "%s: field 'tie_word_embeddings': expected true or false", path);
    c->tie_word_embeddings = tie ? cJSON_IsTrue(tie) : false; /* Qwen2Config's default is false */
    c->n_eos = 0;
    TRY(rc = parse_eos(c, root, path));
    const cJSON *nm = cJSON_GetObjectItemCaseSensitive(root, "_name_or_path");
    if (cJSON_IsString(nm) && nm->valuestring[0]) snprintf(c->name, sizeof c->name, "%s", nm->valuestring);
    return QS_OK;
fail_:
    return rc;
}

qs_status qs_config_load(qs_config *cfg, const char *path) {
    memset(cfg, 0, sizeof *cfg);
    char *text;
    size_t len;
    qs_status rc = qs_read_file(path, &text, &len);
    if (rc != QS_OK) return rc;
    unsigned long long h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)text[i]) * 1099511628211ULL;
    cfg->hash = h;
    cJSON *root = cJSON_ParseWithLength(text, len);
    free(text);
    if (!root || !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return qs_fail(QS_ERR_FORMAT, "%s: not a valid JSON object", path);
    }
    rc = parse(cfg, root, path);
    cJSON_Delete(root);
    return rc;
}

qs_status qs_config_load_generation(qs_config *cfg, const char *path) {
    char *text;
    size_t len;
    FILE *f = fopen(path, "rb");
    if (!f) return QS_OK; /* optional file */
    fclose(f);
    qs_status rc = qs_read_file(path, &text, &len);
    if (rc != QS_OK) return rc;
    cJSON *root = cJSON_ParseWithLength(text, len);
    free(text);
    if (!root || !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return qs_fail(QS_ERR_FORMAT, "%s: not a valid JSON object", path);
    }
    rc = parse_eos(cfg, root, path);
    cJSON_Delete(root);
    return rc;
}
