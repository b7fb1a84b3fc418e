/*
 * test_steering.c - steering, extraction and direction files against
 * PyTorch / numpy / llama.cpp's gguf package (tests/reference/make_steer_fixtures.py).
 *
 *  - steering at l = 0, a middle layer, several layers at once, a negative
 *    scale, the final boundary, generated positions only, relative scale:
 *    hidden states and prompt logits within TOL, greedy ids exact;
 *  - mean-diff extraction equals PyTorch's (float64) within 1e-4 (inputs are
 *    float32 states that match torch to ~1e-6 of their scale; the difference
 *    and normalisation amplify that a little), PCA equals numpy's SVD within 1e-3;
 *  - llama.cpp control vectors: our writer reads back identically, and a file
 *    written by llama.cpp's gguf package maps direction.N to layer N + 1;
 *  - malformed direction files give clear errors.
 */
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "extract.h"
#include "generate.h"
#include "gguf.h"
#include "kernels.h"
#include "safetensors.h"
#include "steer.h"
#include "test_util.h"

#define TOL 2e-5

static const char *MODELS[] = {"tiny-untied-f32", "tiny-tied-bf16"};
static const char *CASES[] = {"l0", "mid", "multi", "generated", "final", "relative"};

typedef struct {
    int T, H;
    float *h; /* [L+1, T, H] */
} capture;

static void capture_hook(void *ud, int il, float *x, int n, int H, const qs_batch *b) {
    capture *c = ud;
    (void)b;
    memcpy(c->h + (size_t)il * c->T * H, x, (size_t)n * H * sizeof(float));
}

static void final_norm(const qs_weights *w, float *h, int T) {
    const int H = w->cfg.hidden_size;
    for (int t = 0; t < T; t++) {
        float *x = h + (size_t)t * H;
        double ss = 0;
        for (int i = 0; i < H; i++) ss += (double)x[i] * x[i];
        float inv = 1.0f / sqrtf((float)(ss / H) + w->cfg.rms_norm_eps);
        for (int i = 0; i < H; i++) x[i] = w->output_norm[i] * (x[i] * inv);
    }
}

/* Build the steering described by the fixture's "layers:scale;layers:scale" spec. */
static int build_steer(qs_steer *s, const qs_weights *w, const char *dir_path, const char *spec, const char *positions,
                       const char *mode) {
    qs_directions d;
    if (qs_dir_load(&d, dir_path, &w->cfg) != QS_OK) return -1;
    qs_steer_init(s, w->cfg.hidden_size, w->cfg.n_layers,
                  !strcmp(positions, "generated") ? QS_STEER_GENERATED : !strcmp(positions, "prompt") ? QS_STEER_PROMPT : QS_STEER_ALL);
    char *copy = qs_strdup(spec), *save = NULL;
    unsigned char *mask = qs_malloc((size_t)w->cfg.n_layers + 1);
    int rc = 0;
    for (char *part = strtok_r(copy, ";", &save); part && !rc; part = strtok_r(NULL, ";", &save)) {
        char full[1024];
        snprintf(full, sizeof full, "%s:%s", dir_path, part);
        char *file, *layers;
        double scale;
        rc = qs_steer_parse_spec(full, &file, &layers, &scale) || qs_parse_layers(layers, w->cfg.n_layers, mask) ||
             qs_steer_add(s, &d, file, mask, scale, !strcmp(mode, "relative") ? QS_SCALE_RELATIVE : QS_SCALE_ABSOLUTE);
        if (!rc) free(file), free(layers);
    }
    free(mask), free(copy);
    qs_dir_free(&d);
    return rc;
}

static void steering_case(const char *model, const char *cname, double *worst) {
    char path[512], dir_path[512];
    snprintf(path, sizeof path, "tests/data/models/%s", model);
    qs_weights w;
    QS_ASSERT(qs_weights_load(&w, path) == QS_OK);
    snprintf(path, sizeof path, "tests/data/steer/%s__%s.safetensors", model, cname);
    snprintf(dir_path, sizeof dir_path, "tests/data/steer/%s.directions.safetensors", model);
    qs_safetensors ref;
    QS_ASSERT(qs_st_open(&ref, path) == QS_OK);
    const qs_st_tensor *ids_t = qs_st_find(&ref, "input_ids"), *hid_t = qs_st_find(&ref, "hidden");
    const qs_st_tensor *log_t = qs_st_find(&ref, "logits"), *gr_t = qs_st_find(&ref, "greedy");
    const int T = (int)ids_t->shape[0], L = w.cfg.n_layers, H = w.cfg.hidden_size, V = w.cfg.vocab_size;
    const char *positions = qs_st_meta(&ref, "positions");
    qs_steer st;
    int built = build_steer(&st, &w, dir_path, qs_st_meta(&ref, "spec"), positions, qs_st_meta(&ref, "scale_mode"));
    CHECK(built == 0, "%s %s: building the steering failed: %s", model, cname, qs_last_error());
    if (built) return;

    qs_ctx ctx;
    qs_ctx_params cp = {.n_ctx = 64, .n_seq = 1, .n_batch = T, .n_logits = T};
    QS_ASSERT(qs_ctx_init(&ctx, &w, &cp) == QS_OK);
    capture cap = {.T = T, .H = H, .h = qs_malloc((size_t)(L + 1) * T * H * sizeof(float))};
    const qs_steer *per_seq[1] = {&st};
    int prompt_len[1] = {T};
    qs_steer_hook_state hs = {.n_seq = 1, .per_seq = per_seq, .prompt_len = prompt_len, .next = capture_hook, .next_ud = &cap};
    qs_ctx_set_hook(&ctx, qs_steer_hook, &hs);

    int32_t pos[64], sq[64];
    int8_t want[64];
    for (int t = 0; t < T; t++) pos[t] = t, sq[t] = 0, want[t] = 1;
    qs_batch b = {.n_tokens = T, .token = ids_t->data, .pos = pos, .seq = sq, .want_logits = want, .stop_layer = -1};
    CHECK(qs_forward(&ctx, &b) == QS_OK, "%s", qs_last_error());
    final_norm(&w, cap.h + (size_t)L * T * H, T);
    double eh = rel_err(cap.h, hid_t->data, (size_t)(L + 1) * T * H);
    double el = rel_err(ctx.logits, log_t->data, (size_t)T * V);
    CHECK(eh <= TOL, "%s %s: steered hidden err %.3g", model, cname, eh);
    CHECK(el <= TOL, "%s %s: steered logits err %.3g", model, cname, el);
    worst[0] = fmax(worst[0], eh), worst[1] = fmax(worst[1], el);

    hs.next = NULL;
    qs_gen_params gp = {.max_tokens = (int)gr_t->shape[0], .sampling = {.temperature = 0}};
    int32_t *gen;
    int n_gen;
    CHECK(qs_generate(&ctx, 0, ids_t->data, T, &gp, &gen, &n_gen) == QS_OK, "%s", qs_last_error());
    int k = 0;
    while (k < n_gen && gen[k] == ((const int32_t *)gr_t->data)[k]) k++;
    CHECK(k == (int)gr_t->shape[0], "%s %s (%s): steered greedy differs from torch at step %d", model, cname, positions, k);
    free(gen), free(cap.h);
    qs_steer_free(&st);
    qs_ctx_free(&ctx);
    qs_st_close(&ref);
    qs_weights_free(&w);
}

static qs_token_seq *seqs_of(const qs_safetensors *st, const char *ids, const char *offs, int *n) {
    const qs_st_tensor *it = qs_st_find(st, ids), *ot = qs_st_find(st, offs);
    const int32_t *o = ot->data;
    *n = (int)ot->shape[0] - 1;
    qs_token_seq *s = qs_malloc((size_t)*n * sizeof *s);
    for (int i = 0; i < *n; i++) s[i] = (qs_token_seq){(const int32_t *)it->data + o[i], o[i + 1] - o[i]};
    return s;
}

static void extraction(const char *model) {
    char path[512];
    snprintf(path, sizeof path, "tests/data/models/%s", model);
    qs_weights w;
    QS_ASSERT(qs_weights_load(&w, path) == QS_OK);
    snprintf(path, sizeof path, "tests/data/steer/%s__extract.safetensors", model);
    qs_safetensors ref;
    QS_ASSERT(qs_st_open(&ref, path) == QS_OK);
    int np, nn;
    qs_token_seq *pos = seqs_of(&ref, "pos_ids", "pos_offsets", &np), *neg = seqs_of(&ref, "neg_ids", "neg_offsets", &nn);
    QS_ASSERT(np == nn);
    const int L = w.cfg.n_layers, H = w.cfg.hidden_size;
    /* small batches so the pairs straddle forward passes */
    qs_ctx ctx;
    qs_ctx_params cp = {.n_ctx = 32, .n_seq = 5, .n_batch = 40, .n_logits = 1};
    QS_ASSERT(qs_ctx_init(&ctx, &w, &cp) == QS_OK);
    unsigned char *mask = qs_malloc((size_t)L + 1);
    memset(mask, 1, (size_t)L + 1);
    for (int m = 0; m < 2; m++) {
        qs_extract_params p = {.method = m ? QS_METHOD_PCA : QS_METHOD_MEAN_DIFF, .layers = mask};
        qs_directions d;
        qs_status rc = qs_extract(&ctx, pos, neg, np, &p, &d);
        CHECK(rc == QS_OK, "%s extract: %s", model, qs_last_error());
        if (rc) continue;
        const float *want = qs_st_find(&ref, m ? "pca" : "mean_diff")->data;
        const float *raw = qs_st_find(&ref, "raw_diff_norm")->data, *rn = qs_st_find(&ref, "mean_resid_norm")->data;
        double ev = 0, en = 0, er = 0;
        for (int l = 0; l <= L; l++) {
            for (int i = 0; i < H; i++) ev = fmax(ev, fabs(d.vec[l][i] - want[(size_t)l * H + i]));
            en = fmax(en, fabs(d.raw_norm[l] - raw[l]) / raw[l]);
            er = fmax(er, fabs(d.resid_norm[l] - rn[l]) / rn[l]);
        }
        double tol = m ? 1e-3 : 1e-4;
        CHECK(ev <= tol, "%s %s: direction max abs err %.3g", model, d.method, ev);
        CHECK(en <= 1e-4 && er <= 1e-4, "%s %s: norm rel err raw %.3g resid %.3g", model, d.method, en, er);
        CHECK(d.n_pairs == np && d.normalized, "metadata");
        printf("  extract %-16s %-9s max |dir - ref| %.2e, raw-norm rel err %.2e, resid-norm rel err %.2e\n", model,
               d.method, ev, en, er);
        /* save + load round trip keeps vectors and metadata */
        char tmp[256];
        snprintf(tmp, sizeof tmp, "/tmp/qsteer-test-dir-%d.safetensors", (int)getpid());
        snprintf(d.concept, sizeof d.concept, "test");
        CHECK(qs_dir_save(&d, tmp) == QS_OK, "save: %s", qs_last_error());
        qs_directions e;
        CHECK(qs_dir_load(&e, tmp, &w.cfg) == QS_OK, "reload: %s", qs_last_error());
        int same = 1;
        for (int l = 0; l <= L; l++) same &= !memcmp(d.vec[l], e.vec[l], (size_t)H * sizeof(float)) && d.resid_norm[l] == e.resid_norm[l];
        CHECK(same && !strcmp(e.concept, "test") && !strcmp(e.method, d.method) && e.n_pairs == np && e.config_hash == w.cfg.hash,
              "safetensors round trip changed the directions or metadata");
        remove(tmp);
        qs_dir_free(&e);
        qs_dir_free(&d);
    }
    /* extraction stops after the highest requested layer and still matches */
    memset(mask, 0, (size_t)L + 1);
    mask[1] = 1;
    qs_extract_params p = {.method = QS_METHOD_MEAN_DIFF, .layers = mask};
    qs_directions d;
    CHECK(qs_extract(&ctx, pos, neg, np, &p, &d) == QS_OK, "%s", qs_last_error());
    const float *want = qs_st_find(&ref, "mean_diff")->data;
    double ev = 0;
    for (int i = 0; i < H; i++) ev = fmax(ev, fabs(d.vec[1][i] - want[(size_t)H + i]));
    CHECK(ev <= 1e-4 && !d.vec[0] && !d.vec[2], "layer-1-only extraction err %.3g", ev);
    qs_dir_free(&d);
    /* pairs ending in the same token: no direction at l = 0 (the last token's embedding), the rest is extracted */
    memset(mask, 1, (size_t)L + 1);
    int32_t *same = qs_malloc((size_t)np * 32 * sizeof(int32_t));
    qs_token_seq *neg2 = qs_malloc((size_t)np * sizeof *neg2);
    for (int i = 0; i < np; i++) {
        int n = neg[i].n < 31 ? neg[i].n : 31;
        memcpy(same + i * 32, neg[i].ids, (size_t)n * sizeof(int32_t));
        same[i * 32 + n] = pos[i].ids[pos[i].n - 1];
        neg2[i] = (qs_token_seq){same + i * 32, n + 1};
    }
    CHECK(qs_extract(&ctx, pos, neg2, np, &p, &d) == QS_OK, "same last token: %s", qs_last_error());
    CHECK(!d.vec[0] && d.n_zero_layers == 1 && d.vec[1] && d.vec[L], "same last token: layer 0 must be left out, others kept");
    qs_dir_free(&d);
    free(same), free(neg2);
    free(mask), free(pos), free(neg);
    qs_ctx_free(&ctx);
    qs_st_close(&ref);
    qs_weights_free(&w);
}

static void expect_load_error(const char *path, const qs_config *cfg, const char *needle, const char *what) {
    qs_directions d;
    qs_status rc = qs_dir_load(&d, path, cfg);
    CHECK(rc != QS_OK, "%s: loaded", what);
    if (rc == QS_OK) { qs_dir_free(&d); return; }
    CHECK(strstr(qs_last_error(), needle) != NULL, "%s: message lacks '%s': %s", what, needle, qs_last_error());
    printf("  %-28s -> %s\n", what, qs_last_error());
}

static void gguf_and_errors(void) {
    qs_weights w;
    QS_ASSERT(qs_weights_load(&w, "tests/data/models/tiny-untied-f32") == QS_OK);
    const int L = w.cfg.n_layers, H = w.cfg.hidden_size;
    char tmp[256];
    snprintf(tmp, sizeof tmp, "/tmp/qsteer-test-cvec-%d.gguf", (int)getpid());

    /* llama.cpp's own writer: direction.N -> our layer N + 1 */
    qs_directions d;
    qs_status rc = qs_dir_load(&d, "tests/data/steer/llamacpp_cvec.gguf", &w.cfg);
    CHECK(rc == QS_OK, "%s", qs_last_error());
    if (rc == QS_OK) {
        int ok = d.vec[0] == NULL && d.vec[1] == NULL;
        for (int l = 2; l <= L; l++)
            for (int i = 0; i < H && ok; i++) ok &= d.vec[l] && fabsf(d.vec[l][i] - (float)((l - 1) + 0.001 * i)) < 1e-6f;
        CHECK(ok, "llama.cpp direction.N did not land at layer N+1");
        qs_dir_free(&d);
    }

    /* our writer reads back identically; l = 0, 1 are refused unless skipped */
    QS_ASSERT(qs_dir_load(&d, "tests/data/steer/tiny-untied-f32.directions.safetensors", &w.cfg) == QS_OK);
    CHECK(qs_dir_save_gguf(&d, tmp, false, NULL) != QS_OK && strstr(qs_last_error(), "layer 0"),
          "exporting layer 0 must fail: %s", qs_last_error());
    int skipped = 0;
    CHECK(qs_dir_save_gguf(&d, tmp, true, &skipped) == QS_OK && skipped == 2, "gguf write: %s", qs_last_error());
    qs_directions e;
    CHECK(qs_dir_load(&e, tmp, &w.cfg) == QS_OK, "gguf read back: %s", qs_last_error());
    int ok = e.vec[0] == NULL && e.vec[1] == NULL;
    for (int l = 2; l <= L; l++) ok &= e.vec[l] && !memcmp(e.vec[l], d.vec[l], (size_t)H * sizeof(float));
    CHECK(ok, "gguf round trip changed the vectors");
    qs_dir_free(&e);
    /* a llama.cpp file can also be written with ours and read by theirs: check the index shift in the file itself */
    qs_gguf g;
    QS_ASSERT(qs_gguf_open(&g, tmp) == QS_OK);
    const qs_gguf_tensor *g2 = qs_gguf_find_tensor(&g, "direction.1");
    CHECK(g2 && !memcmp(g2->data, d.vec[2], (size_t)H * sizeof(float)) && !qs_gguf_find_tensor(&g, "direction.0") &&
              qs_gguf_find_kv(&g, "general.architecture") && !strcmp(qs_gguf_find_kv(&g, "general.architecture")->str, "controlvector"),
          "our GGUF must hold layer 2 as direction.1 and an architecture of controlvector");
    qs_gguf_close(&g);
    QS_ASSERT(qs_dir_load(&e, tmp, &w.cfg) == QS_OK);
    qs_dir_free(&e);

    /* malformed files */
    remove(tmp);
    snprintf(tmp, sizeof tmp, "/tmp/qsteer-test-bad-%d.safetensors", (int)getpid());
    printf("malformed direction files:\n");
    qs_st_out_tensor t = {.name = "direction.2", .dtype = QS_DTYPE_F32, .ndim = 1, .shape = {H + 1}, .data = d.vec[2]};
    float *big = qs_calloc((size_t)H + 1, sizeof(float));
    t.data = big;
    QS_ASSERT(qs_st_write(tmp, &t, 1, NULL, NULL, 0) == QS_OK);
    expect_load_error(tmp, &w.cfg, "hidden_size", "wrong hidden size");
    memcpy(big, d.vec[2], (size_t)H * sizeof(float));
    big[5] = NAN;
    t.shape[0] = H;
    QS_ASSERT(qs_st_write(tmp, &t, 1, NULL, NULL, 0) == QS_OK);
    expect_load_error(tmp, &w.cfg, "non-finite", "NaN value");
    big[5] = 0;
    t.name = "model.norm.weight";
    QS_ASSERT(qs_st_write(tmp, &t, 1, NULL, NULL, 0) == QS_OK);
    expect_load_error(tmp, &w.cfg, "unexpected tensor", "foreign tensor");
    t.name = "direction.9";
    QS_ASSERT(qs_st_write(tmp, &t, 1, NULL, NULL, 0) == QS_OK);
    expect_load_error(tmp, &w.cfg, "beyond", "layer beyond the model");
    t.name = "direction.2";
    const char *k[] = {"layers"}, *v[] = {"{not json"};
    QS_ASSERT(qs_st_write(tmp, &t, 1, k, v, 1) == QS_OK);
    expect_load_error(tmp, &w.cfg, "layers", "bad metadata");
    FILE *f = fopen(tmp, "wb");
    fwrite("\x10\0\0\0\0\0\0\0{\"a\"", 1, 12, f);
    fclose(f);
    expect_load_error(tmp, &w.cfg, "header length", "bad header");
    f = fopen(tmp, "wb");
    fwrite("GGUF\x03\0\0\0\xff\xff\xff\xff\xff\xff\xff\x7f\0\0\0\0\0\0\0\0", 1, 24, f);
    fclose(f);
    expect_load_error(tmp, &w.cfg, "cannot fit", "gguf with absurd counts");
    /* a layer the file does not have */
    QS_ASSERT(qs_st_write(tmp, &t, 1, NULL, NULL, 0) == QS_OK);
    qs_directions one;
    QS_ASSERT(qs_dir_load(&one, tmp, &w.cfg) == QS_OK);
    qs_steer st;
    qs_steer_init(&st, H, L, QS_STEER_ALL);
    unsigned char mask[16] = {0};
    mask[3] = 1;
    CHECK(qs_steer_add(&st, &one, tmp, mask, 1.0, QS_SCALE_ABSOLUTE) != QS_OK && strstr(qs_last_error(), "no direction for layer 3"),
          "missing layer: %s", qs_last_error());
    mask[3] = 0, mask[2] = 1;
    CHECK(qs_steer_add(&st, &one, tmp, mask, 1.0, QS_SCALE_RELATIVE) != QS_OK && strstr(qs_last_error(), "residual norm"),
          "relative without norms: %s", qs_last_error());
    printf("  %-28s -> %s\n", "relative without norms", qs_last_error());
    qs_steer_free(&st);
    qs_dir_free(&one);
    /* layer lists and specs */
    unsigned char m2[8];
    CHECK(qs_parse_layers("0,2-3", 4, m2) == QS_OK && m2[0] && !m2[1] && m2[2] && m2[3] && !m2[4], "layer list");
    CHECK(qs_parse_layers("all", 4, m2) == QS_OK && m2[4], "all");
    CHECK(qs_parse_layers("5", 4, m2) != QS_OK, "layer beyond the model accepted");
    CHECK(qs_parse_layers("3-1", 4, m2) != QS_OK && qs_parse_layers("1,", 4, m2) != QS_OK && qs_parse_layers("x", 4, m2) != QS_OK,
          "bad layer lists accepted");
    char *file, *layers;
    double scale;
    CHECK(qs_steer_parse_spec("a:b.safetensors:16,17:-1.5", &file, &layers, &scale) == QS_OK && !strcmp(file, "a:b.safetensors") &&
              !strcmp(layers, "16,17") && scale == -1.5, "spec parse");
    free(file), free(layers);
    CHECK(qs_steer_parse_spec("f.safetensors:3", &file, &layers, &scale) != QS_OK, "spec without scale accepted");
    CHECK(qs_steer_parse_spec("f.safetensors:3:x", &file, &layers, &scale) != QS_OK, "non-numeric scale accepted");
    free(big);
    remove(tmp);
    qs_dir_free(&d);
    qs_weights_free(&w);
}

int main(void) {
    static const struct { unsigned level; const char *name; } levels[] = {{0, "ref"}, {QS_CPU_AVX2, "avx2"}, {QS_CPU_AVX512, "avx512"}};
    for (size_t li = 0; li < sizeof levels / sizeof levels[0]; li++) {
        if (!qs_kernels_for_level(&qs_k, levels[li].level)) continue;
        for (size_t m = 0; m < 2; m++) {
            double worst[2] = {0};
            for (size_t c = 0; c < sizeof CASES / sizeof CASES[0]; c++) steering_case(MODELS[m], CASES[c], worst);
            printf("[%-6s] steering %-16s worst rel err: hidden %.2e logits %.2e\n", levels[li].name, MODELS[m], worst[0], worst[1]);
        }
    }
    qs_kernels_init(~0u);
    extraction("tiny-untied-f32");
    extraction("tiny-tied-bf16");
    gguf_and_errors();
    return test_summary("test_steering");
}
