/* cli_model.c - open a model directory (and its tokenizer) for a subcommand;
 * read prompt / pair JSON lines. */
#include <cjson/cJSON.h>
#include <string.h>
#include <sys/stat.h>

#include "cli_model.h"

int cli_model_open(cli_model *m, const char *cmd, const char *dir, int need_tokenizer) {
    memset(m, 0, sizeof *m);
    if (qs_weights_load(&m->w, dir) != QS_OK) return cli_lib_error(cmd);
    m->have_w = 1;
    char path[4096];
    snprintf(path, sizeof path, "%s/tokenizer.json", dir);
    struct stat sb;
    if (stat(path, &sb) == 0) {
        if (qs_tokenizer_load(&m->tok, path) != QS_OK) {
            cli_model_close(m);
            return cli_lib_error(cmd);
        }
    } else if (need_tokenizer) {
        cli_model_close(m);
        return cli_error(cmd, "%s does not exist; without a tokenizer give token ids instead of text", path);
    }
    return 0;
}

int cli_weights_opt(const char *cmd, const char *val, int *q8) {
    if (!strcmp(val, "q8")) *q8 = 1;
    else if (!strcmp(val, "native")) *q8 = 0;
    else return cli_error(cmd, "--weights: expected native or q8, got '%s'", val);
    return 0;
}

int cli_model_quantize(cli_model *m, const char *cmd, int n_threads) {
    return qs_quant_q8(&m->w, n_threads, &m->quant) != QS_OK ? cli_lib_error(cmd) : 0;
}

void cli_model_close(cli_model *m) {
    if (m->tok) qs_tokenizer_free(m->tok);
    if (m->quant) qs_quant_free(m->quant);
    if (m->have_w) qs_weights_free(&m->w);
    memset(m, 0, sizeof *m);
}

void cli_ids_free(cli_ids *v) {
    free(v->ids);
    v->ids = NULL;
    v->n = 0;
}

/* One JSON field as token ids: "<key>" (text, needs the tokenizer) or "<key>_ids" (list). */
static int field_ids(const cJSON *o, const char *key, qs_tokenizer *tok, int vocab, const char *where, cli_ids *out) {
    char idkey[64];
    snprintf(idkey, sizeof idkey, "%s_ids", key);
    const char *ik = strcmp(key, "text") ? idkey : "ids";
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, key), *a = cJSON_GetObjectItemCaseSensitive(o, ik);
    if (cJSON_IsString(t)) {
        if (!tok) return qs_fail(QS_ERR_ARG, "%s: field '%s' is text but the model has no tokenizer.json (give '%s')", where, key, ik);
        size_t n;
        if (qs_tokenizer_encode(tok, t->valuestring, strlen(t->valuestring), &out->ids, &n) != QS_OK) return -1;
        out->n = (int)n;
    } else if (cJSON_IsArray(a)) {
        out->n = cJSON_GetArraySize(a);
        out->ids = qs_malloc((size_t)(out->n ? out->n : 1) * sizeof(int32_t));
        int i = 0;
        const cJSON *e;
        cJSON_ArrayForEach(e, a) {
            if (!cJSON_IsNumber(e) || e->valuedouble < 0 || e->valuedouble >= vocab || e->valuedouble != (int)e->valuedouble) {
                cli_ids_free(out);
                return qs_fail(QS_ERR_ARG, "%s: field '%s'[%d]: expected a token id in [0, %d)", where, ik, i, vocab);
            }
            out->ids[i++] = (int32_t)e->valuedouble;
        }
    } else {
        return qs_fail(QS_ERR_ARG, "%s: expected a string field '%s' or an id list '%s'", where, key, ik);
    }
    if (out->n == 0) {
        cli_ids_free(out);
        return qs_fail(QS_ERR_ARG, "%s: field '%s' gives no tokens", where, key);
    }
    return 0;
}

int cli_read_jsonl(const char *path, const char *const *keys, int n_keys, qs_tokenizer *tok, int vocab,
                   cli_ids **rows, int *n_rows) {
    FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
    if (!f) return qs_fail(QS_ERR_IO, "%s: cannot open", path);
    char *line = NULL;
    size_t cap = 0;
    int n = 0, lineno = 0, rc = 0, alloc = 0;
    cli_ids *r = NULL;
    while (getline(&line, &cap, f) > 0) {
        lineno++;
        char *p = line;
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') p++;
        if (!*p) continue;
        char where[512];
        snprintf(where, sizeof where, "%s:%d", path, lineno);
        cJSON *o = cJSON_Parse(p);
        if (!cJSON_IsObject(o)) {
            cJSON_Delete(o);
            rc = qs_fail(QS_ERR_FORMAT, "%s: not a JSON object", where);
            break;
        }
        if (n + 1 > alloc) {
            alloc = alloc ? alloc * 2 : 64;
            r = realloc(r, (size_t)alloc * n_keys * sizeof *r);
            QS_ASSERT(r);
        }
        for (int k = 0; k < n_keys && !rc; k++) {
            memset(&r[(size_t)n * n_keys + k], 0, sizeof *r);
            rc = field_ids(o, keys[k], tok, vocab, where, &r[(size_t)n * n_keys + k]);
            if (rc)
                for (int j = 0; j < k; j++) cli_ids_free(&r[(size_t)n * n_keys + j]);
        }
        cJSON_Delete(o);
        if (rc) break;
        n++;
    }
    free(line);
    if (f != stdin) fclose(f);
    if (!rc && n == 0) rc = qs_fail(QS_ERR_FORMAT, "%s: no JSON lines", path);
    if (rc) {
        for (int i = 0; i < n * n_keys; i++) cli_ids_free(&r[i]);
        free(r);
        return rc;
    }
    *rows = r;
    *n_rows = n;
    return 0;
}
