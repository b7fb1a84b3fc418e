/* experiment.c - the experiment runner; see experiment.h for what it does. */
#include "experiment.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch_gen.h"
#include "extract.h"
#include "lexicon.h"

#define MAX_PARTS 8

/* ---------------------------------------------------------------- config */

typedef struct {
    char name[64];
    char *pairs, *lexicon, *directions; /* paths (directions may be NULL) */
    int n_pairs;                        /* 0 = all lines */
    qs_lexicon *lex;
    qs_directions dir;
    int32_t *lex_ids;                   /* tokens that are whole lexicon words (" word", "word", " Word") */
    int n_lex_ids;
} concept;

typedef struct {
    char label[96];
    int n_parts;
    char layers[MAX_PARTS][64];
    double scale[MAX_PARTS];
} condition;

typedef struct {
    char *name;
    char *dir; /* the config file's directory: relative paths resolve against it */
    concept *concepts;
    int n_concepts;
    condition *conds;
    int n_conds;
    char *prompts_path;
    int chat, samples, batch, max_tokens;
    qs_sampler_params sampling;
    uint64_t seed;
    qs_scale_mode scale_mode;
    qs_steer_positions positions;
    qs_extract_method method;
    int measure_logprob, measure_fluency;
} config;

static char *resolve(const config *c, const char *p) {
    if (p[0] == '/') return qs_strdup(p);
    size_t n = strlen(c->dir) + strlen(p) + 2;
    char *r = qs_malloc(n);
    snprintf(r, n, "%s/%s", c->dir, p);
    return r;
}

static const cJSON *get(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); }

static qs_status num_field(const cJSON *o, const char *path, const char *k, double lo, double hi, double dflt, double *out) {
    const cJSON *v = get(o, k);
    if (!v) { *out = dflt; return QS_OK; }
    if (!cJSON_IsNumber(v) || v->valuedouble < lo || v->valuedouble > hi)
        return qs_fail(QS_ERR_FORMAT, "%s: field '%s': expected a number in [%g, %g]", path, k, lo, hi);
    *out = v->valuedouble;
    return QS_OK;
}

static qs_status str_field(const cJSON *o, const char *path, const char *k, const char *dflt, const char **out) {
    const cJSON *v = get(o, k);
    if (!v) {
        if (!dflt) return qs_fail(QS_ERR_FORMAT, "%s: field '%s' is missing (expected a string)", path, k);
        *out = dflt;
        return QS_OK;
    }
    if (!cJSON_IsString(v)) return qs_fail(QS_ERR_FORMAT, "%s: field '%s': expected a string", path, k);
    *out = v->valuestring;
    return QS_OK;
}

static void add_condition(config *c, const char *label, int n, char layers[][64], const double *scales) {
    c->conds = realloc(c->conds, (size_t)(c->n_conds + 1) * sizeof *c->conds);
    QS_ASSERT(c->conds);
    condition *k = &c->conds[c->n_conds++];
    memset(k, 0, sizeof *k);
    k->n_parts = n;
    for (int i = 0; i < n; i++) {
        snprintf(k->layers[i], sizeof k->layers[i], "%s", layers[i]);
        k->scale[i] = scales[i];
    }
    if (label) {
        snprintf(k->label, sizeof k->label, "%s", label);
    } else {
        size_t o = 0;
        for (int i = 0; i < n; i++)
            o += (size_t)snprintf(k->label + o, sizeof k->label - o, "%sL%s x%g", i ? " + " : "", layers[i], scales[i]);
    }
}

#define TRY(x) do { if ((rc = (x)) != QS_OK) goto fail; } while (0)

static qs_status parse_config(config *c, const char *path) {
    memset(c, 0, sizeof *c);
    char *text;
    qs_status rc = qs_read_file(path, &text, NULL);
    if (rc != QS_OK) return rc;
    cJSON *root = cJSON_Parse(text);
    free(text);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return qs_fail(QS_ERR_FORMAT, "%s: not a valid JSON object", path);
    }
    /* a typo in a key must not silently fall back to a default */
    static const char *known[] = {"name", "description", "prompts", "chat", "samples", "batch", "scale_mode", "steer_positions",
                                  "method", "generation", "measures", "concepts", "conditions", "grid"};
    for (const cJSON *it = root->child; it; it = it->next) {
        size_t i = 0;
        while (i < sizeof known / sizeof known[0] && strcmp(known[i], it->string)) i++;
        if (i == sizeof known / sizeof known[0]) {
            rc = qs_fail(QS_ERR_FORMAT, "%s: unknown field '%s'", path, it->string);
            cJSON_Delete(root);
            return rc;
        }
    }
    const char *slash = strrchr(path, '/');
    c->dir = slash ? strndup(path, (size_t)(slash - path)) : qs_strdup(".");
    const char *s;
    double v;
    TRY(str_field(root, path, "name", NULL, &s));
    c->name = qs_strdup(s);
    TRY(str_field(root, path, "prompts", NULL, &s));
    c->prompts_path = resolve(c, s);
    const cJSON *chat = get(root, "chat");
    if (chat && !cJSON_IsBool(chat)) { rc = qs_fail(QS_ERR_FORMAT, "%s: field 'chat': expected true or false", path); goto fail; }
    c->chat = cJSON_IsTrue(chat);
    TRY(num_field(root, path, "samples", 1, 100000, 4, &v)); c->samples = (int)v;
    TRY(num_field(root, path, "batch", 1, 256, 8, &v)); c->batch = (int)v;
    TRY(str_field(root, path, "scale_mode", "absolute", &s));
    if (!strcmp(s, "absolute")) c->scale_mode = QS_SCALE_ABSOLUTE;
    else if (!strcmp(s, "relative")) c->scale_mode = QS_SCALE_RELATIVE;
    else { rc = qs_fail(QS_ERR_FORMAT, "%s: field 'scale_mode': expected \"absolute\" or \"relative\"", path); goto fail; }
    TRY(str_field(root, path, "steer_positions", "all", &s));
    if (!strcmp(s, "all")) c->positions = QS_STEER_ALL;
    else if (!strcmp(s, "prompt")) c->positions = QS_STEER_PROMPT;
    else if (!strcmp(s, "generated")) c->positions = QS_STEER_GENERATED;
    else { rc = qs_fail(QS_ERR_FORMAT, "%s: field 'steer_positions': expected all, prompt or generated", path); goto fail; }
    TRY(str_field(root, path, "method", "mean-diff", &s));
    if (!strcmp(s, "mean-diff")) c->method = QS_METHOD_MEAN_DIFF;
    else if (!strcmp(s, "pca")) c->method = QS_METHOD_PCA;
    else { rc = qs_fail(QS_ERR_FORMAT, "%s: field 'method': expected \"mean-diff\" or \"pca\"", path); goto fail; }

    const cJSON *g = get(root, "generation");
    if (g && !cJSON_IsObject(g)) { rc = qs_fail(QS_ERR_FORMAT, "%s: field 'generation': expected an object", path); goto fail; }
    if (!g) g = root; /* all defaults */
    TRY(num_field(g, path, "max_tokens", 1, 4096, 64, &v)); c->max_tokens = (int)v;
    TRY(num_field(g, path, "temperature", 0, 10, 0.7, &v)); c->sampling.temperature = (float)v;
    TRY(num_field(g, path, "top_k", 0, 1e9, 0, &v)); c->sampling.top_k = (int)v;
    TRY(num_field(g, path, "top_p", 1e-6, 1, 0.9, &v)); c->sampling.top_p = (float)v;
    TRY(num_field(g, path, "repeat_penalty", 1e-3, 10, 1.0, &v)); c->sampling.repeat_penalty = (float)v;
    TRY(num_field(g, path, "seed", 0, 9e15, 1, &v)); c->seed = (uint64_t)v;

    const cJSON *m = get(root, "measures");
    c->measure_logprob = c->measure_fluency = 1;
    if (m) {
        const cJSON *lp = get(m, "logprob"), *fl = get(m, "fluency");
        if (lp) c->measure_logprob = cJSON_IsTrue(lp);
        if (fl) c->measure_fluency = cJSON_IsTrue(fl);
    }

    const cJSON *cs = get(root, "concepts"), *e;
    if (!cJSON_IsObject(cs) || !cs->child) { rc = qs_fail(QS_ERR_FORMAT, "%s: field 'concepts': expected an object {\"fear\": {...}, ...}", path); goto fail; }
    c->concepts = qs_calloc((size_t)cJSON_GetArraySize(cs), sizeof *c->concepts);
    cJSON_ArrayForEach(e, cs) {
        concept *k = &c->concepts[c->n_concepts++];
        snprintf(k->name, sizeof k->name, "%s", e->string);
        char where[256];
        snprintf(where, sizeof where, "%s: concepts.%s", path, e->string);
        if (!cJSON_IsObject(e)) { rc = qs_fail(QS_ERR_FORMAT, "%s: expected an object", where); goto fail; }
        TRY(str_field(e, where, "lexicon", NULL, &s));
        k->lexicon = resolve(c, s);
        TRY(str_field(e, where, "directions", "", &s));
        if (s[0]) k->directions = resolve(c, s);
        TRY(str_field(e, where, "pairs", "", &s));
        if (s[0]) k->pairs = resolve(c, s);
        if (!k->pairs && !k->directions) { rc = qs_fail(QS_ERR_FORMAT, "%s: give 'pairs' (to extract) or 'directions'", where); goto fail; }
        TRY(num_field(e, where, "n_pairs", 0, 1e7, 0, &v)); k->n_pairs = (int)v;
    }

    const cJSON *conds = get(root, "conditions"), *grid = get(root, "grid");
    if (!!conds == !!grid) { rc = qs_fail(QS_ERR_FORMAT, "%s: give exactly one of 'conditions' (a list) or 'grid' ({layers, scales})", path); goto fail; }
    if (grid) {
        const cJSON *ls = get(grid, "layers"), *ss = get(grid, "scales"), *l, *sc;
        if (!cJSON_IsArray(ls) || !cJSON_IsArray(ss) || !ls->child || !ss->child) {
            rc = qs_fail(QS_ERR_FORMAT, "%s: field 'grid': expected {\"layers\": [\"0\", \"16,17\", ...], \"scales\": [3, 4, ...]}", path);
            goto fail;
        }
        cJSON_ArrayForEach(l, ls) {
            cJSON_ArrayForEach(sc, ss) {
                if (!cJSON_IsString(l) || !cJSON_IsNumber(sc)) { rc = qs_fail(QS_ERR_FORMAT, "%s: grid layers must be strings, scales numbers", path); goto fail; }
                char lay[1][64];
                snprintf(lay[0], 64, "%s", l->valuestring);
                add_condition(c, NULL, 1, lay, &sc->valuedouble);
            }
        }
    } else {
        if (!cJSON_IsArray(conds) || !conds->child) { rc = qs_fail(QS_ERR_FORMAT, "%s: field 'conditions': expected a non-empty list", path); goto fail; }
        int i = 0;
        cJSON_ArrayForEach(e, conds) {
            const cJSON *st = get(e, "steer"), *p;
            const cJSON *lab = get(e, "label");
            char lay[MAX_PARTS][64];
            double scl[MAX_PARTS];
            int n = 0;
            if (!cJSON_IsArray(st) || !st->child || cJSON_GetArraySize(st) > MAX_PARTS) {
                rc = qs_fail(QS_ERR_FORMAT, "%s: conditions[%d].steer: expected a list of 1-%d {\"layers\": \"16,17\", \"scale\": 1.0}", path, i, MAX_PARTS);
                goto fail;
            }
            cJSON_ArrayForEach(p, st) {
                const cJSON *pl = get(p, "layers"), *ps = get(p, "scale");
                if (!cJSON_IsString(pl) || !cJSON_IsNumber(ps)) {
                    rc = qs_fail(QS_ERR_FORMAT, "%s: conditions[%d].steer[%d]: expected {\"layers\": string, \"scale\": number}", path, i, n);
                    goto fail;
                }
                snprintf(lay[n], 64, "%s", pl->valuestring);
                scl[n++] = ps->valuedouble;
            }
            add_condition(c, cJSON_IsString(lab) ? lab->valuestring : NULL, n, lay, scl);
            i++;
        }
    }
    cJSON_Delete(root);
    return QS_OK;
fail:
    cJSON_Delete(root);
    return rc;
}

static void free_config(config *c) {
    for (int i = 0; i < c->n_concepts; i++) {
        concept *k = &c->concepts[i];
        free(k->pairs), free(k->lexicon), free(k->directions), free(k->lex_ids);
        if (k->lex) qs_lexicon_free(k->lex);
        if (k->dir.vec) qs_dir_free(&k->dir);
    }
    free(c->concepts), free(c->conds), free(c->name), free(c->dir), free(c->prompts_path);
    memset(c, 0, sizeof *c);
}

/* ---------------------------------------------------------------- inputs */

/* Lines {"text": ...} -> token ids (ChatML user turn when chat). */
static qs_status load_prompts(const config *c, qs_tokenizer *tok, char ***texts, int32_t ***ids, int **lens, int *n) {
    FILE *f = fopen(c->prompts_path, "r");
    if (!f) return qs_fail(QS_ERR_IO, "%s: cannot open: %s", c->prompts_path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    int k = 0, lineno = 0;
    qs_status rc = QS_OK;
    *texts = NULL, *ids = NULL, *lens = NULL;
    while (getline(&line, &cap, f) > 0) {
        lineno++;
        if (strspn(line, " \t\r\n") == strlen(line)) continue;
        cJSON *o = cJSON_Parse(line);
        const cJSON *t = o ? get(o, "text") : NULL;
        if (!cJSON_IsString(t)) {
            cJSON_Delete(o);
            rc = qs_fail(QS_ERR_FORMAT, "%s:%d: expected {\"text\": \"...\"}", c->prompts_path, lineno);
            break;
        }
        *texts = realloc(*texts, (size_t)(k + 1) * sizeof(char *));
        *ids = realloc(*ids, (size_t)(k + 1) * sizeof(int32_t *));
        *lens = realloc(*lens, (size_t)(k + 1) * sizeof(int));
        QS_ASSERT(*texts && *ids && *lens);
        (*texts)[k] = qs_strdup(t->valuestring);
        char *full = NULL;
        if (c->chat) {
            qs_chat_msg msg = {"user", t->valuestring};
            full = qs_chat_format(&msg, 1, 1, 1);
        }
        const char *src = full ? full : t->valuestring;
        size_t nn;
        rc = qs_tokenizer_encode(tok, src, strlen(src), &(*ids)[k], &nn);
        (*lens)[k] = (int)nn;
        free(full);
        cJSON_Delete(o);
        if (rc != QS_OK) break;
        k++;
    }
    free(line);
    fclose(f);
    if (rc == QS_OK && k == 0) rc = qs_fail(QS_ERR_FORMAT, "%s: no prompts", c->prompts_path);
    *n = k;
    return rc;
}

/* Token ids that are exactly a lexicon word, with or without a leading space / capital. */
static void lexicon_token_ids(concept *k, qs_tokenizer *tok) {
    size_t nw = qs_lexicon_n_words(k->lex);
    k->lex_ids = qs_malloc(nw * 3 * sizeof(int32_t));
    k->n_lex_ids = 0;
    for (size_t i = 0; i < nw; i++) {
        const char *w = qs_lexicon_word(k->lex, i);
        char buf[3][256];
        snprintf(buf[0], 256, " %s", w);
        snprintf(buf[1], 256, "%s", w);
        snprintf(buf[2], 256, " %s", w);
        if (buf[2][1] >= 'a' && buf[2][1] <= 'z') buf[2][1] = (char)(buf[2][1] - 'a' + 'A');
        for (int v = 0; v < 3; v++) {
            int32_t *ids;
            size_t n;
            if (qs_tokenizer_encode(tok, buf[v], strlen(buf[v]), &ids, &n) != QS_OK) continue;
            if (n == 1) {
                int dup = 0;
                for (int j = 0; j < k->n_lex_ids; j++) dup |= k->lex_ids[j] == ids[0];
                if (!dup) k->lex_ids[k->n_lex_ids++] = ids[0];
            }
            free(ids);
        }
    }
}

static int file_exists(const char *p) {
    struct stat sb;
    return stat(p, &sb) == 0;
}

typedef struct {
    qs_progress bar;
} prog;

static void on_extract_progress(void *ud, int done, int total) {
    (void)total;
    qs_progress_update(&((prog *)ud)->bar, done);
}

/* Directions for concept k: given file, cached extraction, or a new extraction. */
static qs_status get_directions(concept *k, const config *c, const qs_weights *w, qs_tokenizer *tok, const char *out_dir, int threads) {
    if (k->directions) return qs_dir_load(&k->dir, k->directions, &w->cfg);
    char path[4096];
    snprintf(path, sizeof path, "%s/directions/%s.safetensors", out_dir, k->name);
    if (file_exists(path)) return qs_dir_load(&k->dir, path, &w->cfg);
    /* read the pairs */
    FILE *f = fopen(k->pairs, "r");
    if (!f) return qs_fail(QS_ERR_IO, "%s: cannot open: %s", k->pairs, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    int n = 0, alloc = 0, lineno = 0, max_len = 1;
    qs_token_seq *pos = NULL, *neg = NULL;
    qs_status rc = QS_OK;
    while ((k->n_pairs == 0 || n < k->n_pairs) && getline(&line, &cap, f) > 0) {
        lineno++;
        if (strspn(line, " \t\r\n") == strlen(line)) continue;
        cJSON *o = cJSON_Parse(line);
        const cJSON *a = o ? get(o, "positive") : NULL, *b = o ? get(o, "negative") : NULL;
        if (!cJSON_IsString(a) || !cJSON_IsString(b)) {
            cJSON_Delete(o);
            rc = qs_fail(QS_ERR_FORMAT, "%s:%d: expected {\"positive\": \"...\", \"negative\": \"...\"}", k->pairs, lineno);
            break;
        }
        if (n == alloc) {
            alloc = alloc ? 2 * alloc : 256;
            pos = realloc(pos, (size_t)alloc * sizeof *pos), neg = realloc(neg, (size_t)alloc * sizeof *neg);
            QS_ASSERT(pos && neg);
        }
        size_t na, nb;
        int32_t *ia, *ib;
        qs_tokenizer_encode(tok, a->valuestring, strlen(a->valuestring), &ia, &na);
        qs_tokenizer_encode(tok, b->valuestring, strlen(b->valuestring), &ib, &nb);
        cJSON_Delete(o);
        if (na == 0 || nb == 0) { free(ia), free(ib); rc = qs_fail(QS_ERR_FORMAT, "%s:%d: empty sentence", k->pairs, lineno); break; }
        pos[n] = (qs_token_seq){ia, (int)na}, neg[n] = (qs_token_seq){ib, (int)nb};
        if ((int)na > max_len) max_len = (int)na;
        if ((int)nb > max_len) max_len = (int)nb;
        n++;
    }
    free(line);
    fclose(f);
    if (rc == QS_OK && n == 0) rc = qs_fail(QS_ERR_FORMAT, "%s: no pairs", k->pairs);
    if (rc == QS_OK && k->n_pairs && n < k->n_pairs)
        rc = qs_fail(QS_ERR_FORMAT, "%s: has %d pairs; the config asks for n_pairs = %d", k->pairs, n, k->n_pairs);
    if (rc == QS_OK) {
        qs_ctx ctx;
        qs_ctx_params cp = {.n_ctx = max_len + 1, .n_seq = 32, .n_batch = 32 * max_len, .n_logits = 1, .n_threads = threads};
        if ((rc = qs_ctx_init(&ctx, w, &cp)) == QS_OK) {
            unsigned char *mask = qs_malloc((size_t)w->cfg.n_layers + 1);
            memset(mask, 1, (size_t)w->cfg.n_layers + 1);
            char label[128];
            snprintf(label, sizeof label, "extract %s", k->name);
            prog pg;
            qs_progress_begin(&pg.bar, label, "sentences", 2L * n);
            qs_extract_params p = {.method = c->method, .layers = mask, .progress = on_extract_progress, .progress_ud = &pg};
            rc = qs_extract(&ctx, pos, neg, n, &p, &k->dir);
            qs_progress_end(&pg.bar, 2L * n);
            free(mask);
            qs_ctx_free(&ctx);
        }
        if (rc == QS_OK) {
            snprintf(k->dir.concept, sizeof k->dir.concept, "%s", k->name);
            char d[4096];
            snprintf(d, sizeof d, "%s/directions", out_dir);
            mkdir(d, 0777);
            rc = qs_dir_save(&k->dir, path);
        }
    }
    for (int i = 0; i < n; i++) free((void *)pos[i].ids), free((void *)neg[i].ids);
    free(pos), free(neg);
    return rc;
}

/* ---------------------------------------------------------------- results */

typedef struct {
    char **ids;  /* ids already in results.jsonl */
    int n, cap;
    /* baseline generations by index p * samples + s (for teacher forcing) */
    int32_t **base_ids;
    int *base_n;
} done_set;

static int done_has(const done_set *d, const char *id) {
    for (int i = 0; i < d->n; i++)
        if (!strcmp(d->ids[i], id)) return 1;
    return 0;
}

static void done_add(done_set *d, const char *id) {
    if (d->n == d->cap) {
        d->cap = d->cap ? 2 * d->cap : 256;
        d->ids = realloc(d->ids, (size_t)d->cap * sizeof(char *));
        QS_ASSERT(d->ids);
    }
    d->ids[d->n++] = qs_strdup(id);
}

/* Reads what a previous run wrote; drops a torn last line. */
static qs_status read_done(const char *path, done_set *d, int n_base) {
    d->base_ids = qs_calloc((size_t)n_base, sizeof(int32_t *));
    d->base_n = qs_calloc((size_t)n_base, sizeof(int));
    FILE *f = fopen(path, "r+");
    if (!f) return QS_OK;
    char *line = NULL;
    size_t cap = 0;
    long good_end = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) > 0) {
        if (line[len - 1] != '\n') break; /* torn write */
        cJSON *o = cJSON_Parse(line);
        const cJSON *id = o ? get(o, "id") : NULL;
        if (!cJSON_IsString(id)) {
            cJSON_Delete(o);
            break;
        }
        done_add(d, id->valuestring);
        const cJSON *bi = get(o, "base_index"), *toks = get(o, "ids");
        if (cJSON_IsNumber(bi) && cJSON_IsArray(toks) && !strncmp(id->valuestring, "baseline/", 9)) {
            int b = bi->valueint;
            if (b >= 0 && b < n_base && !d->base_ids[b]) {
                int n = cJSON_GetArraySize(toks), i = 0;
                d->base_ids[b] = qs_malloc((size_t)(n ? n : 1) * sizeof(int32_t));
                const cJSON *t;
                cJSON_ArrayForEach(t, toks) d->base_ids[b][i++] = t->valueint;
                d->base_n[b] = n;
            }
        }
        cJSON_Delete(o);
        good_end = ftell(f);
    }
    free(line);
    fclose(f);
    if (truncate(path, good_end) != 0) return qs_fail(QS_ERR_IO, "%s: cannot truncate a torn last line", path);
    return QS_OK;
}

/* ---------------------------------------------------------------- running */

typedef struct {
    const config *c;
    const qs_weights *w;
    qs_tokenizer *tok;
    qs_ctx *score;          /* teacher-forcing context */
    FILE *out;
    done_set *done;
    int32_t **prompt_ids;
    int *prompt_len;
    char **prompt_text;
    const int32_t *eos;
    int n_eos;
    /* per job */
    char **job_id;
    int *job_concept;       /* -1 = baseline */
    int *job_cond, *job_prompt, *job_sample;
    qs_gen_job *jobs;       /* all jobs of this run */
    qs_steer *steers;       /* [n_concepts * n_conds] */
    double *base_lex_logp;  /* [n_base * n_concepts] unsteered mean log P(lexicon) on baseline text (NAN = not yet) */
    qs_progress bar;
    long n_done, n_tokens;
    qs_status err;
} run_state;

typedef struct {
    const int32_t *lex;
    int n_lex;
    const int32_t *cont;
    int V;
    double sum_lex, sum_nll;
} score_acc;

static double logsumexp_rows(const float *x, int V, double *mx_out) {
    float mx = x[0];
    for (int i = 1; i < V; i++)
        if (x[i] > mx) mx = x[i];
    double s = 0;
    for (int i = 0; i < V; i++) s += exp((double)x[i] - mx);
    *mx_out = mx;
    return log(s);
}

static void score_fn(void *ud, int i, const float *logits) {
    score_acc *a = ud;
    double mx, lse = logsumexp_rows(logits, a->V, &mx);
    if (a->cont) a->sum_nll -= (double)logits[a->cont[i]] - mx - lse;
    if (a->n_lex) {
        double s = 0;
        for (int j = 0; j < a->n_lex; j++) s += exp((double)logits[a->lex[j]] - mx - lse);
        a->sum_lex += log(s > 1e-300 ? s : 1e-300);
    }
}

/* Mean log P(lexicon token) over the continuation positions, and perplexity of cont. */
static qs_status score(run_state *r, const int32_t *prompt, int np, const int32_t *cont, int nc, const qs_steer *st,
                       const concept *k, double *lex_logp, double *ppl) {
    score_acc a = {.lex = k ? k->lex_ids : NULL, .n_lex = k ? k->n_lex_ids : 0, .cont = cont, .V = r->w->cfg.vocab_size};
    qs_status rc = qs_teacher_force(r->score, prompt, np, cont, nc, st, score_fn, &a);
    if (lex_logp) *lex_logp = a.sum_lex / nc;
    if (ppl) *ppl = exp(a.sum_nll / nc);
    return rc;
}

static void write_row(run_state *r, cJSON *o) {
    char *s = cJSON_PrintUnformatted(o);
    fputs(s, r->out);
    fputc('\n', r->out);
    fflush(r->out);
    free(s);
}

static void on_done(void *ud, int index_in_call, qs_gen_job *job) {
    run_state *r = ud;
    (void)index_in_call;
    const int j = (int)(job - r->jobs); /* index into all jobs (the baseline and steered calls are separate) */
    const config *c = r->c;
    if (r->err) return;
    int p = r->job_prompt[j], s = r->job_sample[j], ci = r->job_concept[j], b = p * c->samples + s;
    /* text without the end-of-sequence token */
    int n = job->n_out;
    for (int e = 0; e < r->n_eos && n > 0; e++)
        if (job->out[n - 1] == r->eos[e]) { n--; break; }
    char *text = NULL;
    qs_tokenizer_decode(r->tok, job->out, (size_t)n, 1, &text);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", r->job_id[j]);
    cJSON_AddStringToObject(o, "concept", ci < 0 ? "baseline" : c->concepts[ci].name);
    const condition *cd = ci < 0 ? NULL : &c->conds[r->job_cond[j]];
    cJSON_AddStringToObject(o, "condition", cd ? cd->label : "baseline");
    if (cd) {
        cJSON *parts = cJSON_AddArrayToObject(o, "steer");
        for (int i = 0; i < cd->n_parts; i++) {
            cJSON *q = cJSON_CreateObject();
            cJSON_AddStringToObject(q, "layers", cd->layers[i]);
            cJSON_AddNumberToObject(q, "scale", cd->scale[i]);
            cJSON_AddItemToArray(parts, q);
        }
        cJSON_AddStringToObject(o, "scale_mode", c->scale_mode == QS_SCALE_RELATIVE ? "relative" : "absolute");
    }
    cJSON_AddNumberToObject(o, "prompt", p);
    cJSON_AddNumberToObject(o, "sample", s);
    cJSON_AddNumberToObject(o, "base_index", b);
    cJSON_AddNumberToObject(o, "seed", (double)job->seed);
    cJSON_AddStringToObject(o, "text", text ? text : "");
    cJSON_AddNumberToObject(o, "n_tokens", job->n_out);
    cJSON_AddItemToObject(o, "ids", cJSON_CreateIntArray(job->out, job->n_out));
    cJSON *mk = cJSON_AddObjectToObject(o, "markers");
    int words = 0;
    for (int i = 0; i < c->n_concepts; i++) {
        int m;
        qs_lexicon_count(c->concepts[i].lex, text ? text : "", text ? strlen(text) : 0, &m, &words);
        cJSON_AddNumberToObject(mk, c->concepts[i].name, m);
    }
    cJSON_AddNumberToObject(o, "words", words);
    qs_status rc = QS_OK;
    if (c->measure_fluency && n > 0) {
        double ppl;
        rc = score(r, r->prompt_ids[p], r->prompt_len[p], job->out, n, NULL, NULL, NULL, &ppl);
        cJSON_AddNumberToObject(o, "ppl", ppl);
    }
    if (ci < 0) {
        /* keep the baseline tokens for the teacher-forced measure of the steered rows */
        free(r->done->base_ids[b]);
        r->done->base_ids[b] = qs_malloc((size_t)(n ? n : 1) * sizeof(int32_t));
        memcpy(r->done->base_ids[b], job->out, (size_t)n * sizeof(int32_t));
        r->done->base_n[b] = n;
    } else if (c->measure_logprob && r->done->base_n[b] > 0 && rc == QS_OK) {
        const concept *k = &c->concepts[ci];
        double *base = &r->base_lex_logp[(size_t)b * c->n_concepts + ci], steered;
        if (isnan(*base)) rc = score(r, r->prompt_ids[p], r->prompt_len[p], r->done->base_ids[b], r->done->base_n[b], NULL, k, base, NULL);
        if (rc == QS_OK) rc = score(r, r->prompt_ids[p], r->prompt_len[p], r->done->base_ids[b], r->done->base_n[b], job->steer, k, &steered, NULL);
        if (rc == QS_OK) cJSON_AddNumberToObject(o, "dlogp", steered - *base);
    }
    if (rc != QS_OK) r->err = rc;
    write_row(r, o);
    cJSON_Delete(o);
    free(text);
    r->n_done++;
    r->n_tokens += job->n_out;
    qs_progress_update(&r->bar, r->n_done);
}

qs_status qs_experiment_run(const char *config_path, const qs_weights *w, qs_tokenizer *tok, const char *out_dir,
                            const qs_experiment_opts *opts) {
    config c;
    qs_status rc = parse_config(&c, config_path);
    if (rc != QS_OK) return rc;
    if (mkdir(out_dir, 0777) != 0 && errno != EEXIST) {
        free_config(&c);
        return qs_fail(QS_ERR_IO, "%s: cannot create: %s", out_dir, strerror(errno));
    }
    {
        /* what produced these results, for the report */
        char mp[4096];
        snprintf(mp, sizeof mp, "%s/experiment.json", out_dir);
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "name", c.name);
        cJSON_AddStringToObject(m, "config", config_path);
        cJSON_AddStringToObject(m, "model", w->cfg.name);
        char hash[24];
        snprintf(hash, sizeof hash, "%016llx", w->cfg.hash);
        cJSON_AddStringToObject(m, "config_hash", hash);
        char *js = cJSON_Print(m);
        cJSON_Delete(m);
        qs_atomic_file af;
        if (!opts->report_only && (rc = qs_atomic_open(&af, mp)) == QS_OK) {
            fputs(js, af.f);
            rc = qs_atomic_commit(&af, 1);
        }
        free(js);
        if (rc != QS_OK) {
            free_config(&c);
            return rc;
        }
    }
    if (opts->report_only) {
        free_config(&c);
        return qs_experiment_report(out_dir);
    }
    char **ptext = NULL;
    int32_t **pids = NULL;
    int *plen = NULL, n_prompts = 0;
    run_state r = {.c = &c, .w = w, .tok = tok, .eos = w->cfg.eos_token_ids, .n_eos = w->cfg.n_eos};
    done_set done = {0};
    qs_ctx gen_ctx, score_ctx;
    int gen_ok = 0, score_ok = 0;
    qs_gen_job *jobs = NULL;
    int n_jobs = 0;
    char path[4096];
    if ((rc = load_prompts(&c, tok, &ptext, &pids, &plen, &n_prompts)) != QS_OK) goto done;
    for (int i = 0; i < c.n_concepts && rc == QS_OK; i++) {
        concept *k = &c.concepts[i];
        if ((rc = qs_lexicon_load(&k->lex, k->lexicon)) != QS_OK) break;
        lexicon_token_ids(k, tok);
        rc = get_directions(k, &c, w, tok, out_dir, opts->threads);
    }
    if (rc != QS_OK) goto done;
    /* steering per (concept, condition) */
    r.steers = qs_calloc((size_t)c.n_concepts * c.n_conds, sizeof *r.steers);
    unsigned char *mask = qs_malloc((size_t)w->cfg.n_layers + 1);
    for (int i = 0; i < c.n_concepts && rc == QS_OK; i++)
        for (int j = 0; j < c.n_conds && rc == QS_OK; j++) {
            qs_steer *st = &r.steers[i * c.n_conds + j];
            qs_steer_init(st, w->cfg.hidden_size, w->cfg.n_layers, c.positions);
            for (int q = 0; q < c.conds[j].n_parts && rc == QS_OK; q++) {
                rc = qs_parse_layers(c.conds[j].layers[q], w->cfg.n_layers, mask);
                if (rc == QS_OK) rc = qs_steer_add(st, &c.concepts[i].dir, c.concepts[i].name, mask, c.conds[j].scale[q], c.scale_mode);
            }
        }
    free(mask);
    if (rc != QS_OK) goto done;

    const int n_base = n_prompts * c.samples;
    snprintf(path, sizeof path, "%s/results.jsonl", out_dir);
    if ((rc = read_done(path, &done, n_base)) != QS_OK) goto done;
    r.done = &done;
    r.out = fopen(path, "a");
    if (!r.out) { rc = qs_fail(QS_ERR_IO, "%s: cannot open for appending: %s", path, strerror(errno)); goto done; }
    r.base_lex_logp = qs_malloc((size_t)n_base * c.n_concepts * sizeof(double));
    for (int i = 0; i < n_base * c.n_concepts; i++) r.base_lex_logp[i] = NAN;
    r.prompt_ids = pids, r.prompt_len = plen, r.prompt_text = ptext;

    /* jobs: baseline first (the steered rows' dlogp needs the baseline text) */
    int max_jobs = n_base * (1 + c.n_concepts * c.n_conds);
    jobs = qs_calloc((size_t)max_jobs, sizeof *jobs);
    r.job_id = qs_calloc((size_t)max_jobs, sizeof(char *));
    r.job_concept = qs_malloc((size_t)max_jobs * sizeof(int));
    r.job_cond = qs_malloc((size_t)max_jobs * sizeof(int));
    r.job_prompt = qs_malloc((size_t)max_jobs * sizeof(int));
    r.job_sample = qs_malloc((size_t)max_jobs * sizeof(int));
    r.jobs = jobs;
    int max_prompt = 1;
    for (int p = 0; p < n_prompts; p++) max_prompt = plen[p] > max_prompt ? plen[p] : max_prompt;
    for (int ci = -1; ci < c.n_concepts; ci++)
        for (int j = 0; j < (ci < 0 ? 1 : c.n_conds); j++)
            for (int p = 0; p < n_prompts; p++)
                for (int s = 0; s < c.samples; s++) {
                    char id[256];
                    if (ci < 0) snprintf(id, sizeof id, "baseline/p%d/s%d", p, s);
                    else snprintf(id, sizeof id, "%s/%s/p%d/s%d", c.concepts[ci].name, c.conds[j].label, p, s);
                    if (done_has(&done, id)) continue;
                    r.job_id[n_jobs] = qs_strdup(id);
                    r.job_concept[n_jobs] = ci, r.job_cond[n_jobs] = j, r.job_prompt[n_jobs] = p, r.job_sample[n_jobs] = s;
                    jobs[n_jobs] = (qs_gen_job){.prompt = pids[p], .n_prompt = plen[p],
                                                .seed = c.seed * 1000003ULL + (uint64_t)p * 1000 + (uint64_t)s,
                                                .steer = ci < 0 ? NULL : &r.steers[ci * c.n_conds + j]};
                    n_jobs++;
                }
    int batch = opts->batch > 0 ? opts->batch : c.batch;
    int n_ctx = max_prompt + c.max_tokens + 1;
    qs_ctx_params gp = {.n_ctx = n_ctx, .n_seq = batch, .n_batch = max_prompt > 64 ? max_prompt : 64, .n_logits = batch, .n_threads = opts->threads};
    qs_ctx_params sp = {.n_ctx = n_ctx, .n_seq = 1, .n_batch = n_ctx, .n_logits = c.max_tokens, .n_threads = opts->threads};
    if ((rc = qs_ctx_init(&gen_ctx, w, &gp)) != QS_OK) goto done;
    gen_ok = 1;
    if ((rc = qs_ctx_init(&score_ctx, w, &sp)) != QS_OK) goto done;
    score_ok = 1;
    r.score = &score_ctx;
    fprintf(stderr, "experiment %s: %d concepts x %d conditions x %d prompts x %d samples; %d generations to do (%d already done)\n",
            c.name, c.n_concepts, c.n_conds, n_prompts, c.samples, n_jobs, done.n);
    qs_progress_begin(&r.bar, "generations", "gen", n_jobs);
    qs_batch_gen_params bp = {.max_tokens = c.max_tokens, .sampling = c.sampling, .eos_ids = w->cfg.eos_token_ids,
                              .n_eos = w->cfg.n_eos, .on_done = on_done, .ud = &r};
    /* the baseline must finish before steered rows are scored against it */
    int n_base_jobs = 0;
    while (n_base_jobs < n_jobs && r.job_concept[n_base_jobs] < 0) n_base_jobs++;
    rc = qs_batch_generate(&gen_ctx, jobs, n_base_jobs, &bp);
    if (rc == QS_OK && !r.err) rc = qs_batch_generate(&gen_ctx, jobs + n_base_jobs, n_jobs - n_base_jobs, &bp);
    if (rc == QS_OK && r.err) rc = r.err;
    qs_progress_end(&r.bar, r.n_done);
    fclose(r.out);
    r.out = NULL;
    if (rc == QS_OK) rc = qs_experiment_report(out_dir);
done:
    if (r.out) fclose(r.out);
    if (gen_ok) qs_ctx_free(&gen_ctx);
    if (score_ok) qs_ctx_free(&score_ctx);
    for (int i = 0; i < n_jobs; i++) free(jobs[i].out), free(r.job_id[i]);
    free(jobs), free(r.job_id), free(r.job_concept), free(r.job_cond), free(r.job_prompt), free(r.job_sample);
    if (r.steers)
        for (int i = 0; i < c.n_concepts * c.n_conds; i++) qs_steer_free(&r.steers[i]);
    free(r.steers), free(r.base_lex_logp);
    for (int i = 0; i < done.n; i++) free(done.ids[i]);
    free(done.ids);
    if (done.base_ids)
        for (int i = 0; i < n_prompts * c.samples; i++) free(done.base_ids[i]);
    free(done.base_ids), free(done.base_n);
    for (int i = 0; i < n_prompts; i++) free(ptext[i]), free(pids[i]);
    free(ptext), free(pids), free(plen);
    free_config(&c);
    return rc;
}
