/* extract.c - see extract.h. */
#include "extract.h"

#include <math.h>
#include <string.h>

typedef struct {
    int n_req, hidden;
    int *slot_of_layer; /* [n_layers+1] -> index among requested layers, or -1 */
    float *states;      /* [n_sentences, n_req, hidden] last-token residuals */
} extract_state;

static void on_capture(void *ud, int seq, int tok, int l, const float *x) {
    extract_state *e = ud;
    (void)tok;
    memcpy(e->states + ((size_t)seq * e->n_req + e->slot_of_layer[l]) * e->hidden, x, (size_t)e->hidden * sizeof(float));
}

static double norm(const double *v, int n) {
    double s = 0;
    for (int i = 0; i < n; i++) s += v[i] * v[i];
    return sqrt(s);
}

/* First principal component of rows D[i] - mean (n x h), by power iteration on
 * C = Dc^T Dc without forming C. Returns 0 on convergence. */
static int first_pc(const double *D, const double *mean, int n, int h, double *v) {
    double *u = qs_malloc((size_t)n * sizeof(double)), *w = qs_malloc((size_t)h * sizeof(double));
    for (int j = 0; j < h; j++) v[j] = mean[j] + 1e-3 * sin(1.0 + j); /* start near the mean, never exactly 0 */
    double nv = norm(v, h);
    for (int j = 0; j < h; j++) v[j] /= nv;
    int ok = -1;
    for (int it = 0; it < 10000; it++) {
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int j = 0; j < h; j++) s += (D[(size_t)i * h + j] - mean[j]) * v[j];
            u[i] = s;
        }
        memset(w, 0, (size_t)h * sizeof(double));
        for (int i = 0; i < n; i++)
            for (int j = 0; j < h; j++) w[j] += (D[(size_t)i * h + j] - mean[j]) * u[i];
        double nw = norm(w, h);
        if (nw == 0) break;
        double delta = 0;
        for (int j = 0; j < h; j++) {
            double x = w[j] / nw;
            delta += (x - v[j]) * (x - v[j]);
            v[j] = x;
        }
        if (delta < 1e-24) {
            ok = 0;
            break;
        }
    }
    free(u), free(w);
    return ok;
}

qs_status qs_extract(qs_ctx *ctx, const qs_token_seq *pos, const qs_token_seq *neg, int n_pairs,
                     const qs_extract_params *p, qs_directions *out) {
    const qs_config *c = &ctx->w->cfg;
    const int H = c->hidden_size, L = c->n_layers;
    if (n_pairs <= 0) return qs_fail(QS_ERR_ARG, "no sentence pairs");
    if (p->method == QS_METHOD_PCA && n_pairs < 2) return qs_fail(QS_ERR_ARG, "pca needs at least 2 pairs");
    extract_state e = {.hidden = H};
    e.slot_of_layer = qs_malloc(((size_t)L + 1) * sizeof(int));
    for (int l = 0; l <= L; l++) e.slot_of_layer[l] = p->layers[l] ? e.n_req++ : -1;
    if (e.n_req == 0) {
        free(e.slot_of_layer);
        return qs_fail(QS_ERR_ARG, "no layer requested");
    }
    /* sentences interleaved: 2i = positive, 2i+1 = negative */
    qs_token_seq *seqs = qs_malloc((size_t)2 * n_pairs * sizeof *seqs);
    for (int i = 0; i < n_pairs; i++) seqs[2 * i] = pos[i], seqs[2 * i + 1] = neg[i];
    e.states = malloc((size_t)2 * n_pairs * e.n_req * H * sizeof(float));
    if (!e.states) {
        free(seqs), free(e.slot_of_layer);
        return qs_fail(QS_ERR_NOMEM, "cannot hold %d x %d residual vectors", 2 * n_pairs, e.n_req);
    }
    qs_status rc = qs_capture_run(ctx, seqs, 2 * n_pairs, p->layers, 1, on_capture, &e, p->progress, p->progress_ud);
    free(seqs);
    if (rc != QS_OK) {
        free(e.states), free(e.slot_of_layer);
        return rc;
    }
    qs_dir_init(out, H, L);
    snprintf(out->model, sizeof out->model, "%s", c->name);
    out->config_hash = c->hash;
    snprintf(out->method, sizeof out->method, "%s", p->method == QS_METHOD_PCA ? "pca" : "mean-diff");
    out->n_pairs = n_pairs;
    out->normalized = true;
    double *mean = qs_malloc((size_t)H * sizeof(double)), *v = qs_malloc((size_t)H * sizeof(double));
    double *D = p->method == QS_METHOD_PCA ? qs_malloc((size_t)n_pairs * H * sizeof(double)) : NULL;
    float *vf = qs_malloc((size_t)H * sizeof(float));
    for (int l = 0; l <= L && rc == QS_OK; l++) {
        int k = e.slot_of_layer[l];
        if (k < 0) continue;
        memset(mean, 0, (size_t)H * sizeof(double));
        double rn = 0;
        for (int i = 0; i < n_pairs; i++) {
            const float *a = e.states + ((size_t)(2 * i) * e.n_req + k) * H;
            const float *b = e.states + ((size_t)(2 * i + 1) * e.n_req + k) * H;
            double na = 0, nb = 0;
            for (int j = 0; j < H; j++) {
                double d = (double)a[j] - (double)b[j];
                mean[j] += d;
                if (D) D[(size_t)i * H + j] = d;
                na += (double)a[j] * a[j], nb += (double)b[j] * b[j];
            }
            rn += sqrt(na) + sqrt(nb);
        }
        for (int j = 0; j < H; j++) mean[j] /= n_pairs;
        double mn = norm(mean, H);
        out->raw_norm[l] = mn;
        out->resid_norm[l] = rn / (2.0 * n_pairs);
        if (!(mn > 0)) {
            /* e.g. l = 0 when every pair ends with the same token: no direction here, not an error */
            out->n_zero_layers++;
            continue;
        }
        if (D) {
            if (first_pc(D, mean, n_pairs, H, v) != 0) {
                rc = qs_fail(QS_ERR_ARG, "layer %d: power iteration for the first principal component did not converge", l);
                break;
            }
            double dot = 0;
            for (int j = 0; j < H; j++) dot += v[j] * mean[j];
            for (int j = 0; j < H; j++) vf[j] = (float)(dot < 0 ? -v[j] : v[j]);
        } else {
            for (int j = 0; j < H; j++) vf[j] = (float)(mean[j] / mn);
        }
        qs_dir_set(out, l, vf);
    }
    free(mean), free(v), free(D), free(vf), free(e.states), free(e.slot_of_layer);
    if (rc != QS_OK) qs_dir_free(out);
    return rc;
}
