/* cmd_steering.c - `qsteer extract`, `qsteer activations` and `qsteer directions`. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <math.h>
#include <string.h>

#include "cli_model.h"
#include "extract.h"
#include "kernels.h"
#include "safetensors.h"

static int has_suffix(const char *s, const char *suf) {
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

typedef struct {
    qs_progress bar;
} progress_ud;

static void on_progress(void *ud, int done, int total) {
    (void)total;
    qs_progress_update(&((progress_ud *)ud)->bar, done);
}

/* Context sized for sequences of at most max_len tokens, `per_pass` of them per forward pass. */
static int make_ctx(qs_ctx *ctx, const qs_weights *w, int max_len, int per_pass, int threads, const char *cmd) {
    qs_ctx_params cp = {.n_ctx = max_len + 1, .n_seq = per_pass, .n_batch = max_len * per_pass, .n_logits = 1, .n_threads = threads};
    if (cp.n_batch > 8192) cp.n_batch = max_len > 8192 ? max_len : 8192;
    if (qs_ctx_init(ctx, w, &cp) != QS_OK) return cli_lib_error(cmd);
    return 0;
}

/* ============================================================ extract */

static void extract_usage(FILE *f) {
    fprintf(f,
            "usage: qsteer extract --model DIR --pairs PAIRS.jsonl --concept NAME --out FILE [options]\n\n"
            "Finds a steering direction per layer from contrastive sentence pairs: the residual stream at\n"
            "the last token of each sentence, direction = mean(positive - negative) (in double precision),\n"
            "normalised to unit length. One forward pass yields all layers; it stops after the highest one.\n\n"
            "  --model DIR          Hugging Face model directory\n"
            "  --pairs FILE         JSON lines {\"positive\": \"...\", \"negative\": \"...\"} (the emotional and the\n"
            "                       neutral sentence), or {\"positive_ids\": [...], \"negative_ids\": [...]}\n"
            "  --concept NAME       what the direction means (recorded in the file), e.g. fear\n"
            "  --layers LIST        layer boundaries: all (default), 5, 16,17, 10-14 (0 = embedding output)\n"
            "  --out FILE           .safetensors (qsteer format, with per-layer norms) or .gguf (llama.cpp\n"
            "                       control vector; layers 0 and 1 cannot be stored there)\n"
            "  --method M           mean-diff (default) or pca (first principal component of the\n"
            "                       centred differences, sign-aligned with the mean difference)\n"
            "  --batch N            sentences per forward pass (default 32)\n"
            "  --skip-unexportable  with a .gguf output, leave out layers 0 and 1 instead of failing\n"
            "  --threads N          compute threads (default: all cores)\n"
            "Progress goes to stderr; a JSON summary line to stdout.\n");
}

int qs_cmd_extract(int argc, char **argv) {
    const char *CMD = "extract";
    static const struct option opts[] = {{"model", required_argument, 0, 'm'}, {"pairs", required_argument, 0, 'p'},
                                         {"concept", required_argument, 0, 'c'}, {"layers", required_argument, 0, 'l'},
                                         {"out", required_argument, 0, 'o'}, {"method", required_argument, 0, 'M'},
                                         {"batch", required_argument, 0, 'b'}, {"threads", required_argument, 0, 't'},
                                         {"skip-unexportable", no_argument, 0, 's'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *model = NULL, *pairs = NULL, *concept = NULL, *layers = "all", *out = NULL;
    long batch = 32, threads = 0;
    int skip = 0;
    qs_extract_method method = QS_METHOD_MEAN_DIFF;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "h", opts, NULL)) != -1;) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'p': pairs = optarg; break;
        case 'c': concept = optarg; break;
        case 'l': layers = optarg; break;
        case 'o': out = optarg; break;
        case 's': skip = 1; break;
        case 'M':
            if (!strcmp(optarg, "mean-diff")) method = QS_METHOD_MEAN_DIFF;
            else if (!strcmp(optarg, "pca")) method = QS_METHOD_PCA;
            else return cli_error(CMD, "--method: expected mean-diff or pca, got '%s'", optarg);
            break;
        case 'b':
            if (cli_int_opt(CMD, "--batch", optarg, 1, 4096, &batch)) return 2;
            break;
        case 't':
            if (cli_int_opt(CMD, "--threads", optarg, 1, 1024, &threads)) return 2;
            break;
        case 'h': extract_usage(stdout); return 0;
        default: extract_usage(stderr); return 2;
        }
    }
    if (optind < argc) return cli_error(CMD, "unexpected argument '%s' (see --help)", argv[optind]);
    if (!model || !pairs || !concept || !out) return cli_error(CMD, "--model, --pairs, --concept and --out are required (see --help)");
    if (!has_suffix(out, ".safetensors") && !has_suffix(out, ".gguf"))
        return cli_error(CMD, "--out %s: expected a .safetensors or .gguf file name", out);
    qs_kernels_init(~0u);
    cli_model m;
    if (cli_model_open(&m, CMD, model, 0)) return 1;
    int rc = 1, n = 0, ctx_ok = 0;
    cli_ids *rows = NULL;
    qs_token_seq *pos = NULL, *neg = NULL;
    qs_directions d = {0};
    qs_ctx ctx;
    unsigned char *mask = qs_malloc((size_t)m.w.cfg.n_layers + 1);
    const char *keys[] = {"positive", "negative"};
    if (qs_parse_layers(layers, m.w.cfg.n_layers, mask) != QS_OK ||
        cli_read_jsonl(pairs, keys, 2, m.tok, m.w.cfg.vocab_size, &rows, &n)) {
        cli_lib_error(CMD);
        goto done;
    }
    pos = qs_malloc((size_t)n * sizeof *pos), neg = qs_malloc((size_t)n * sizeof *neg);
    int max_len = 1;
    for (int i = 0; i < n; i++) {
        pos[i] = (qs_token_seq){rows[2 * i].ids, rows[2 * i].n};
        neg[i] = (qs_token_seq){rows[2 * i + 1].ids, rows[2 * i + 1].n};
        if (pos[i].n > max_len) max_len = pos[i].n;
        if (neg[i].n > max_len) max_len = neg[i].n;
    }
    if (make_ctx(&ctx, &m.w, max_len, (int)batch, (int)threads, CMD)) goto done;
    ctx_ok = 1;
    progress_ud pu;
    qs_progress_begin(&pu.bar, "extract", "sentences", 2L * n);
    double t0 = qs_now();
    qs_extract_params p = {.method = method, .layers = mask, .progress = on_progress, .progress_ud = &pu};
    if (qs_extract(&ctx, pos, neg, n, &p, &d) != QS_OK) {
        fputc('\n', stderr);
        cli_lib_error(CMD);
        goto done;
    }
    qs_progress_end(&pu.bar, 2L * n);
    double secs = qs_now() - t0;
    snprintf(d.concept, sizeof d.concept, "%s", concept);
    for (int l = 0; l <= m.w.cfg.n_layers; l++)
        if (mask[l] && !d.vec[l])
            fprintf(stderr, "qsteer extract: note: layer %d has no direction: positive and negative sentences give the "
                            "same last-token state there (at layer 0 that means they end in the same token)\n", l);
    int skipped = 0;
    qs_status st = has_suffix(out, ".gguf") ? qs_dir_save_gguf(&d, out, skip, &skipped) : qs_dir_save(&d, out);
    if (st != QS_OK) {
        cli_lib_error(CMD);
        if (has_suffix(out, ".gguf")) fprintf(stderr, "(use --layers 2-%d or --skip-unexportable)\n", m.w.cfg.n_layers);
        goto done;
    }
    if (skipped) fprintf(stderr, "qsteer extract: note: layers 0 and 1 were left out of %s (llama.cpp cannot hold them)\n", out);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "out", out);
    cJSON_AddStringToObject(j, "concept", concept);
    cJSON_AddStringToObject(j, "method", d.method);
    cJSON_AddNumberToObject(j, "n_pairs", n);
    cJSON_AddNumberToObject(j, "seconds", secs);
    cJSON *ls = cJSON_AddArrayToObject(j, "layers");
    for (int l = 0; l <= m.w.cfg.n_layers; l++) {
        if (!d.vec[l]) continue;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "layer", l);
        cJSON_AddNumberToObject(o, "raw_diff_norm", d.raw_norm[l]);
        cJSON_AddNumberToObject(o, "mean_resid_norm", d.resid_norm[l]);
        cJSON_AddItemToArray(ls, o);
    }
    char *s = cJSON_PrintUnformatted(j);
    printf("%s\n", s);
    free(s);
    cJSON_Delete(j);
    rc = 0;
done:
    if (d.vec) qs_dir_free(&d);
    if (ctx_ok) qs_ctx_free(&ctx);
    for (int i = 0; i < 2 * n; i++) cli_ids_free(&rows[i]);
    free(rows), free(pos), free(neg), free(mask);
    cli_model_close(&m);
    return rc;
}

/* ============================================================ activations */

static void act_usage(FILE *f) {
    fprintf(f,
            "usage: qsteer activations --model DIR (--prompt TEXT | --prompt-ids IDS | --jsonl FILE)\n"
            "                          --layers LIST --out FILE.safetensors [options]\n\n"
            "Dumps the residual stream at layer boundaries (what PyTorch hooks would give you) to a\n"
            "safetensors file: hidden.<l> F32 [rows, hidden_size]; input_ids I32 [all tokens];\n"
            "offsets I32 [prompts + 1] (prompt i is tokens offsets[i]..offsets[i+1]-1); rows are the\n"
            "last token of each prompt (--positions last) or every token in order (--positions all).\n"
            "Layer l = 0 is the embedding output, l = k the stream after block k-1; l = num_hidden_layers\n"
            "is before the final norm (HF's last hidden_states entry has the norm applied).\n\n"
            "  --model DIR          Hugging Face model directory\n"
            "  --prompt TEXT        one prompt (needs tokenizer.json)\n"
            "  --prompt-ids IDS     one prompt as comma-separated token ids\n"
            "  --jsonl FILE         many prompts: lines {\"text\": \"...\"} or {\"ids\": [...]}\n"
            "  --layers LIST        all, 5, 16,17, 10-14\n"
            "  --positions P        last (default) or all\n"
            "  --out FILE           output .safetensors (written atomically)\n"
            "  --batch N            prompts per forward pass (default 16)\n"
            "  --threads N          compute threads (default: all cores)\n");
}

typedef struct {
    float **rows;     /* [n_layers+1] -> [n_rows, hidden] */
    const int *first; /* [n_prompts] row of each prompt's first captured token */
    int last_only, hidden;
} act_state;

static void on_act(void *ud, int seq, int tok, int l, const float *x) {
    act_state *a = ud;
    size_t row = (size_t)a->first[seq] + (a->last_only ? 0 : (size_t)tok);
    memcpy(a->rows[l] + row * a->hidden, x, (size_t)a->hidden * sizeof(float));
}

int qs_cmd_activations(int argc, char **argv) {
    const char *CMD = "activations";
    static const struct option opts[] = {{"model", required_argument, 0, 'm'}, {"prompt", required_argument, 0, 'p'},
                                         {"prompt-ids", required_argument, 0, 'i'}, {"jsonl", required_argument, 0, 'j'},
                                         {"layers", required_argument, 0, 'l'}, {"positions", required_argument, 0, 'P'},
                                         {"out", required_argument, 0, 'o'}, {"batch", required_argument, 0, 'b'},
                                         {"threads", required_argument, 0, 't'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *model = NULL, *prompt = NULL, *prompt_ids = NULL, *jsonl = NULL, *layers = NULL, *out = NULL;
    int last_only = 1;
    long batch = 16, threads = 0;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "h", opts, NULL)) != -1;) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'p': prompt = optarg; break;
        case 'i': prompt_ids = optarg; break;
        case 'j': jsonl = optarg; break;
        case 'l': layers = optarg; break;
        case 'o': out = optarg; break;
        case 'P':
            if (!strcmp(optarg, "last")) last_only = 1;
            else if (!strcmp(optarg, "all")) last_only = 0;
            else return cli_error(CMD, "--positions: expected last or all, got '%s'", optarg);
            break;
        case 'b':
            if (cli_int_opt(CMD, "--batch", optarg, 1, 4096, &batch)) return 2;
            break;
        case 't':
            if (cli_int_opt(CMD, "--threads", optarg, 1, 1024, &threads)) return 2;
            break;
        case 'h': act_usage(stdout); return 0;
        default: act_usage(stderr); return 2;
        }
    }
    if (optind < argc) return cli_error(CMD, "unexpected argument '%s' (see --help)", argv[optind]);
    if (!model || !layers || !out) return cli_error(CMD, "--model, --layers and --out are required (see --help)");
    if (!!prompt + !!prompt_ids + !!jsonl != 1) return cli_error(CMD, "give exactly one of --prompt, --prompt-ids or --jsonl");
    qs_kernels_init(~0u);
    cli_model m;
    if (cli_model_open(&m, CMD, model, prompt != NULL)) return 1;
    const int L = m.w.cfg.n_layers, H = m.w.cfg.hidden_size;
    int rc = 1, n = 0, ctx_ok = 0;
    cli_ids *rows = NULL;
    qs_ctx ctx;
    act_state a = {.last_only = last_only, .hidden = H};
    unsigned char *mask = qs_malloc((size_t)L + 1);
    a.rows = qs_calloc((size_t)L + 1, sizeof(float *));
    int *first = qs_calloc(1, sizeof(int));
    qs_token_seq *seqs = NULL;
    if (qs_parse_layers(layers, L, mask) != QS_OK) { cli_lib_error(CMD); goto done; }
    if (jsonl) {
        const char *keys[] = {"text"};
        if (cli_read_jsonl(jsonl, keys, 1, m.tok, m.w.cfg.vocab_size, &rows, &n)) { cli_lib_error(CMD); goto done; }
    } else {
        rows = qs_calloc(1, sizeof *rows);
        n = 1;
        size_t k;
        if (prompt) {
            if (qs_tokenizer_encode(m.tok, prompt, strlen(prompt), &rows[0].ids, &k) != QS_OK) { cli_lib_error(CMD); goto done; }
            rows[0].n = (int)k;
        } else if (cli_parse_ids(prompt_ids, &rows[0].ids, &rows[0].n)) {
            cli_error(CMD, "--prompt-ids: expected comma-separated non-negative integers");
            goto done;
        }
        for (int i = 0; i < rows[0].n; i++)
            if (rows[0].ids[i] >= m.w.cfg.vocab_size) { cli_error(CMD, "token id %d is outside the vocabulary", rows[0].ids[i]); goto done; }
        if (rows[0].n == 0) { cli_error(CMD, "the prompt gives no tokens"); goto done; }
    }
    seqs = qs_malloc((size_t)n * sizeof *seqs);
    first = realloc(first, (size_t)(n + 1) * sizeof(int));
    int max_len = 1, total = 0;
    for (int i = 0; i < n; i++) {
        seqs[i] = (qs_token_seq){rows[i].ids, rows[i].n};
        first[i] = last_only ? i : total;
        total += rows[i].n;
        if (rows[i].n > max_len) max_len = rows[i].n;
    }
    a.first = first;
    int n_rows = last_only ? n : total;
    for (int l = 0; l <= L; l++)
        if (mask[l]) a.rows[l] = qs_malloc((size_t)n_rows * H * sizeof(float));
    if (make_ctx(&ctx, &m.w, max_len, (int)batch, (int)threads, CMD)) goto done;
    ctx_ok = 1;
    progress_ud pu;
    qs_progress_begin(&pu.bar, "activations", "prompts", n);
    if (qs_capture_run(&ctx, seqs, n, mask, last_only, on_act, &a, on_progress, &pu) != QS_OK) { cli_lib_error(CMD); goto done; }
    qs_progress_end(&pu.bar, n);
    /* write */
    int32_t *all_ids = qs_malloc((size_t)total * sizeof(int32_t)), *offs = qs_malloc((size_t)(n + 1) * sizeof(int32_t));
    for (int i = 0, k = 0; i < n; i++) {
        offs[i] = k;
        memcpy(all_ids + k, rows[i].ids, (size_t)rows[i].n * sizeof(int32_t));
        k += rows[i].n;
    }
    offs[n] = total;
    qs_st_out_tensor *t = qs_calloc((size_t)L + 3, sizeof *t);
    char (*names)[32] = qs_calloc((size_t)L + 1, 32);
    int nt = 0;
    for (int l = 0; l <= L; l++) {
        if (!mask[l]) continue;
        snprintf(names[l], 32, "hidden.%d", l);
        t[nt++] = (qs_st_out_tensor){names[l], QS_DTYPE_F32, 2, {n_rows, H}, a.rows[l]};
    }
    t[nt++] = (qs_st_out_tensor){"input_ids", QS_DTYPE_I32, 1, {total}, all_ids};
    t[nt++] = (qs_st_out_tensor){"offsets", QS_DTYPE_I32, 1, {n + 1}, offs};
    char hash[24];
    snprintf(hash, sizeof hash, "%016llx", m.w.cfg.hash);
    const char *keys[] = {"model", "config_hash", "positions", "layers", "layer_convention"};
    const char *vals[] = {m.w.cfg.name, hash, last_only ? "last" : "all", layers,
                          "l=0 embedding output; l=k residual stream after block k-1; l=num_hidden_layers before the final norm"};
    qs_status st = qs_st_write(out, t, nt, keys, vals, 5);
    free(t), free(names), free(all_ids), free(offs);
    if (st != QS_OK) { cli_lib_error(CMD); goto done; }
    printf("{\"out\": \"%s\", \"prompts\": %d, \"rows\": %d, \"tokens\": %d}\n", out, n, n_rows, total);
    rc = 0;
done:
    if (ctx_ok) qs_ctx_free(&ctx);
    for (int l = 0; l <= L; l++) free(a.rows[l]);
    free(a.rows), free(first), free(seqs), free(mask);
    for (int i = 0; i < n; i++) cli_ids_free(&rows[i]);
    free(rows);
    cli_model_close(&m);
    return rc;
}

/* ============================================================ directions */

static void dir_usage(FILE *f) {
    fprintf(f, "usage: qsteer directions info FILE\n"
               "       qsteer directions convert IN OUT [--skip-unexportable]\n\n"
               "info prints a direction file's metadata and per-layer norms as JSON.\n"
               "convert rewrites between qsteer .safetensors and llama.cpp control-vector .gguf\n"
               "(by OUT's extension). llama.cpp adds direction.N after its block N, which is qsteer\n"
               "layer N+1, and has no slot for layers 0 and 1: converting a file that has them fails\n"
               "unless --skip-unexportable leaves them out.\n");
}

int qs_cmd_directions(int argc, char **argv) {
    const char *CMD = "directions";
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        dir_usage(stdout);
        return 0;
    }
    if (argc == 3 && !strcmp(argv[1], "info")) {
        qs_directions d;
        if (qs_dir_load(&d, argv[2], NULL) != QS_OK) return cli_lib_error(CMD);
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "file", argv[2]);
        cJSON_AddStringToObject(j, "model", d.model);
        cJSON_AddStringToObject(j, "concept", d.concept);
        cJSON_AddStringToObject(j, "method", d.method);
        cJSON_AddNumberToObject(j, "n_pairs", d.n_pairs);
        cJSON_AddBoolToObject(j, "normalized", d.normalized);
        cJSON_AddNumberToObject(j, "hidden_size", d.hidden);
        cJSON *ls = cJSON_AddArrayToObject(j, "layers");
        for (int l = 0; l <= d.n_layers; l++) {
            if (!d.vec[l]) continue;
            double nn = 0;
            for (int i = 0; i < d.hidden; i++) nn += (double)d.vec[l][i] * d.vec[l][i];
            cJSON *o = cJSON_CreateObject();
            cJSON_AddNumberToObject(o, "layer", l);
            cJSON_AddNumberToObject(o, "norm", sqrt(nn));
            if (isfinite(d.raw_norm[l])) cJSON_AddNumberToObject(o, "raw_diff_norm", d.raw_norm[l]);
            if (isfinite(d.resid_norm[l])) cJSON_AddNumberToObject(o, "mean_resid_norm", d.resid_norm[l]);
            cJSON_AddItemToArray(ls, o);
        }
        char *s = cJSON_Print(j);
        printf("%s\n", s);
        free(s);
        cJSON_Delete(j);
        qs_dir_free(&d);
        return 0;
    }
    if ((argc == 4 || argc == 5) && !strcmp(argv[1], "convert")) {
        int skip = argc == 5 && !strcmp(argv[4], "--skip-unexportable");
        if (argc == 5 && !skip) return cli_error(CMD, "unexpected argument '%s'", argv[4]);
        qs_directions d;
        if (qs_dir_load(&d, argv[2], NULL) != QS_OK) return cli_lib_error(CMD);
        int skipped = 0;
        qs_status st = has_suffix(argv[3], ".gguf") ? qs_dir_save_gguf(&d, argv[3], skip, &skipped)
                       : has_suffix(argv[3], ".safetensors") ? qs_dir_save(&d, argv[3])
                       : qs_fail(QS_ERR_ARG, "%s: expected a .safetensors or .gguf output name", argv[3]);
        qs_dir_free(&d);
        if (st != QS_OK) return cli_lib_error(CMD);
        if (skipped) fprintf(stderr, "qsteer directions: note: %d layer(s) (0 and 1) left out of %s\n", skipped, argv[3]);
        return 0;
    }
    dir_usage(stderr);
    return 2;
}
