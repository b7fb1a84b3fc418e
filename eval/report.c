/*
 * report.c - summary.json, report.md and SVG plots from results.jsonl.
 *
 * Everything here is recomputed from the results file alone, so a summary
 * can always be checked against the rows it came from. For each (concept,
 * condition): marker counts of that concept's lexicon in the steered rows vs
 * the shared baseline rows; Cohen's d (pooled SD), a percentile-bootstrap 95%
 * CI for d (2000 resamples, fixed seed), Welch's t-test p and Holm-adjusted p
 * across every (concept, condition) of the experiment; the same d on markers
 * per 100 words; mean dlogp with a normal-approximation 95% CI; median
 * perplexity of steered and baseline text under the unsteered model.
 *
 * Fluency has two guards, because perplexity alone misses degenerate loops
 * ("fear fear fear ..." is very predictable once it starts, so its perplexity
 * is low): the median perplexity ratio, and distinct-3, the fraction of a
 * generation's token trigrams that are distinct (1 = no repeated trigram),
 * averaged over rows. A condition is "fluent" when its median perplexity is at
 * most FLUENT_PPL_RATIO x the baseline's and its mean distinct-3 is at least
 * FLUENT_DISTINCT x the baseline's. The best configuration is the largest d
 * among fluent conditions; the largest d overall is reported beside it.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <string.h>

#include "experiment.h"
#include "stats.h"

#define FLUENT_PPL_RATIO 2.0
#define FLUENT_DISTINCT 0.9

typedef struct {
    char concept[64], condition[96], layers[64];
    double scale;
    int single;        /* one steer part: plottable against layer and scale */
    double *x, *x100, *dlogp, *ppl, *dist3;
    int n, n_dlogp, n_ppl, n_dist3;
} group;

typedef struct {
    group *g;
    int n;
    double *bx[64], *bx100[64]; /* baseline values per concept (by name lookup) */
    int bxn[64], bx100n[64];
    char bname[64][64];
    int nb, bn;                 /* concepts seen, baseline rows */
    double *bppl, *bdist3;
    int n_bppl, n_bdist3;
} table;

/* Append v to a growing array of *n values. */
static void push(double **a, int *n, double v) {
    *a = realloc(*a, (size_t)(*n + 1) * sizeof(double));
    QS_ASSERT(*a);
    (*a)[(*n)++] = v;
}

static group *group_for(table *t, const char *concept, const char *cond) {
    for (int i = 0; i < t->n; i++)
        if (!strcmp(t->g[i].concept, concept) && !strcmp(t->g[i].condition, cond)) return &t->g[i];
    t->g = realloc(t->g, (size_t)(t->n + 1) * sizeof *t->g);
    QS_ASSERT(t->g);
    group *g = &t->g[t->n++];
    memset(g, 0, sizeof *g);
    snprintf(g->concept, sizeof g->concept, "%s", concept);
    snprintf(g->condition, sizeof g->condition, "%s", cond);
    return g;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    if (n == 0) return NAN;
    double *c = qs_malloc((size_t)n * sizeof(double));
    memcpy(c, v, (size_t)n * sizeof(double));
    qsort(c, (size_t)n, sizeof(double), cmp_double);
    double m = n % 2 ? c[n / 2] : 0.5 * (c[n / 2 - 1] + c[n / 2]);
    free(c);
    return m;
}

static double mean_of(const double *v, int n) {
    double s = 0;
    for (int i = 0; i < n; i++) s += v[i];
    return n ? s / n : NAN;
}

static double sd_of(const double *v, int n) {
    if (n < 2) return NAN;
    double m = mean_of(v, n), s = 0;
    for (int i = 0; i < n; i++) s += (v[i] - m) * (v[i] - m);
    return sqrt(s / (n - 1));
}

typedef struct {
    int64_t t[3];
} trigram;

static int cmp_trigram(const void *a, const void *b) { return memcmp(a, b, sizeof(trigram)); }

/* Fraction of distinct token trigrams in a row's generated "ids"; NAN when it has fewer than 4 tokens.
 * (memcmp order is not numeric order, but equal trigrams still end up adjacent, which is all
 * counting needs.) */
static double distinct3(const cJSON *ids) {
    int n = cJSON_IsArray(ids) ? cJSON_GetArraySize(ids) : 0;
    if (n < 4) return NAN;
    int64_t *v = qs_malloc((size_t)n * sizeof(int64_t));
    trigram *tri = qs_malloc((size_t)(n - 2) * sizeof(trigram));
    int i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, ids) v[i++] = (int64_t)e->valuedouble;
    for (i = 0; i < n - 2; i++) tri[i] = (trigram){{v[i], v[i + 1], v[i + 2]}};
    qsort(tri, (size_t)(n - 2), sizeof(trigram), cmp_trigram);
    int distinct = 1;
    for (i = 1; i < n - 2; i++) distinct += cmp_trigram(&tri[i - 1], &tri[i]) != 0;
    free(v), free(tri);
    return (double)distinct / (n - 2);
}

static qs_status read_results(const char *path, table *t) {
    FILE *f = fopen(path, "r");
    if (!f) return qs_fail(QS_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    int lineno = 0;
    qs_status rc = QS_OK;
    /* two passes: baseline rows first need every concept name; collect all rows then split */
    cJSON **rows = NULL;
    int n_rows = 0, rcap = 0;
    while (getline(&line, &cap, f) > 0) {
        lineno++;
        cJSON *o = cJSON_Parse(line);
        if (!cJSON_IsObject(o) || !cJSON_IsString(cJSON_GetObjectItem(o, "concept")) ||
            !cJSON_IsObject(cJSON_GetObjectItem(o, "markers")) || !cJSON_IsNumber(cJSON_GetObjectItem(o, "words"))) {
            cJSON_Delete(o);
            rc = qs_fail(QS_ERR_FORMAT, "%s:%d: not a results row (needs concept, condition, markers, words)", path, lineno);
            break;
        }
        if (n_rows == rcap) {
            rcap = rcap ? 2 * rcap : 256;
            rows = realloc(rows, (size_t)rcap * sizeof(cJSON *));
            QS_ASSERT(rows);
        }
        rows[n_rows++] = o;
    }
    free(line);
    fclose(f);
    for (int i = 0; i < n_rows && rc == QS_OK; i++) {
        cJSON *o = rows[i];
        const char *concept = cJSON_GetObjectItem(o, "concept")->valuestring;
        const cJSON *mk = cJSON_GetObjectItem(o, "markers"), *m;
        double words = cJSON_GetObjectItem(o, "words")->valuedouble;
        const cJSON *ppl = cJSON_GetObjectItem(o, "ppl");
        double d3 = distinct3(cJSON_GetObjectItem(o, "ids"));
        if (!strcmp(concept, "baseline")) {
            if (isfinite(d3)) push(&t->bdist3, &t->n_bdist3, d3);
            cJSON_ArrayForEach(m, mk) {
                int k = 0;
                while (k < t->nb && strcmp(t->bname[k], m->string)) k++;
                if (k == t->nb) {
                    if (t->nb == 64) continue;
                    snprintf(t->bname[t->nb++], 64, "%s", m->string);
                }
                /* rows must list every concept, so the k-th array has one entry per baseline row */
                push(&t->bx[k], &t->bxn[k], m->valuedouble);
                push(&t->bx100[k], &t->bx100n[k], words > 0 ? 100.0 * m->valuedouble / words : 0);
            }
            if (cJSON_IsNumber(ppl)) push(&t->bppl, &t->n_bppl, ppl->valuedouble);
            t->bn++;
            for (int k = 0; k < t->nb; k++)
                if (t->bxn[k] != t->bn) {
                    rc = qs_fail(QS_ERR_FORMAT, "%s: baseline row %d lacks markers.%s", path, t->bn, t->bname[k]);
                    break;
                }
            continue;
        }
        const cJSON *cond = cJSON_GetObjectItem(o, "condition");
        const cJSON *mv = cJSON_GetObjectItem(mk, concept);
        if (!cJSON_IsString(cond) || !cJSON_IsNumber(mv)) {
            rc = qs_fail(QS_ERR_FORMAT, "%s: row %d: a steered row needs 'condition' and markers.%s", path, i + 1, concept);
            break;
        }
        group *g = group_for(t, concept, cond->valuestring);
        const cJSON *st = cJSON_GetObjectItem(o, "steer");
        if (g->n == 0 && cJSON_IsArray(st)) {
            g->single = cJSON_GetArraySize(st) == 1;
            const cJSON *p0 = cJSON_GetArrayItem(st, 0);
            if (p0 && cJSON_IsString(cJSON_GetObjectItem(p0, "layers"))) {
                snprintf(g->layers, sizeof g->layers, "%s", cJSON_GetObjectItem(p0, "layers")->valuestring);
                g->scale = cJSON_GetObjectItem(p0, "scale") ? cJSON_GetObjectItem(p0, "scale")->valuedouble : NAN;
            }
        }
        int n = g->n;
        push(&g->x, &g->n, mv->valuedouble);
        push(&g->x100, &n, words > 0 ? 100.0 * mv->valuedouble / words : 0);
        const cJSON *dl = cJSON_GetObjectItem(o, "dlogp");
        if (cJSON_IsNumber(dl)) push(&g->dlogp, &g->n_dlogp, dl->valuedouble);
        if (cJSON_IsNumber(ppl)) push(&g->ppl, &g->n_ppl, ppl->valuedouble);
        if (isfinite(d3)) push(&g->dist3, &g->n_dist3, d3);
    }
    for (int i = 0; i < n_rows; i++) cJSON_Delete(rows[i]);
    free(rows);
    if (rc == QS_OK && t->bn == 0) rc = qs_fail(QS_ERR_FORMAT, "%s: has no baseline rows", path);
    return rc;
}

typedef struct {
    double bm, sm, bm100, sm100, d, lo, hi, p, p_holm, d100, dlogp, dlogp_lo, dlogp_hi, ppl_s, ppl_b, dist3_s, dist3_b;
    int ok, fluent;
} result;

static int baseline_index(const table *t, const char *concept) {
    for (int k = 0; k < t->nb; k++)
        if (!strcmp(t->bname[k], concept)) return k;
    return -1;
}

/* ---------------------------------------------------------------- SVG */

static void svg_text(FILE *f, double x, double y, const char *anchor, int size, const char *s) {
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%d\" font-family=\"sans-serif\">%s</text>\n", x, y, anchor, size, s);
}

static const char *COLORS[] = {"#d62728", "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"};

/* d vs scale, one line per concept, for conditions on the layer set `layers`. */
static qs_status plot_d_vs_scale(const char *path, const table *t, const result *res, const char *layers) {
    double smin = INFINITY, smax = -INFINITY, dmin = 0, dmax = 0;
    for (int i = 0; i < t->n; i++) {
        const group *g = &t->g[i];
        if (!g->single || strcmp(g->layers, layers) || !res[i].ok) continue;
        smin = fmin(smin, g->scale), smax = fmax(smax, g->scale);
        dmin = fmin(dmin, res[i].lo), dmax = fmax(dmax, res[i].hi);
    }
    if (!(smax > smin)) return QS_OK;
    if (dmax - dmin < 0.2) dmax = dmin + 0.2;
    qs_atomic_file af;
    qs_status rc = qs_atomic_open(&af, path);
    if (rc) return rc;
    FILE *f = af.f;
    const double W = 560, H = 360, L = 60, R = 140, T = 40, B = 50;
#define PX(s) (L + ((s) - smin) / (smax - smin) * (W - L - R))
#define PY(d) (T + (dmax - (d)) / (dmax - dmin) * (H - T - B))
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n", W, H);
    char buf[160];
    snprintf(buf, sizeof buf, "Cohen's d vs scale, layers %s (bars: 95%% bootstrap CI)", layers);
    svg_text(f, W / 2, 22, "middle", 14, buf);
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\" stroke-dasharray=\"4\"/>\n", L, PY(0), W - R, PY(0));
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>\n", L, H - B, W - R, H - B);
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>\n", L, T, L, H - B);
    for (int k = 0; k <= 4; k++) {
        double s = smin + (smax - smin) * k / 4, d = dmin + (dmax - dmin) * k / 4;
        snprintf(buf, sizeof buf, "%.3g", s);
        svg_text(f, PX(s), H - B + 16, "middle", 11, buf);
        snprintf(buf, sizeof buf, "%.2f", d);
        svg_text(f, L - 6, PY(d) + 4, "end", 11, buf);
    }
    svg_text(f, (L + W - R) / 2, H - 12, "middle", 12, "scale");
    fprintf(f, "<text x=\"16\" y=\"%.1f\" transform=\"rotate(-90 16 %.1f)\" text-anchor=\"middle\" font-size=\"12\" font-family=\"sans-serif\">d</text>\n", (T + H - B) / 2, (T + H - B) / 2);
    for (int c = 0; c < t->nb; c++) {
        const char *col = COLORS[c % 8];
        fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", col);
        /* points sorted by scale */
        for (double last = -INFINITY;;) {
            int best = -1;
            for (int i = 0; i < t->n; i++) {
                const group *g = &t->g[i];
                if (!g->single || strcmp(g->layers, layers) || strcmp(g->concept, t->bname[c]) || !res[i].ok || g->scale <= last) continue;
                if (best < 0 || g->scale < t->g[best].scale) best = i;
            }
            if (best < 0) break;
            fprintf(f, "%.1f,%.1f ", PX(t->g[best].scale), PY(res[best].d));
            last = t->g[best].scale;
        }
        fprintf(f, "\"/>\n");
        for (int i = 0; i < t->n; i++) {
            const group *g = &t->g[i];
            if (!g->single || strcmp(g->layers, layers) || strcmp(g->concept, t->bname[c]) || !res[i].ok) continue;
            fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>\n", PX(g->scale), PY(res[i].lo), PX(g->scale), PY(res[i].hi), col);
            fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n", PX(g->scale), PY(res[i].d), col);
        }
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"%s\"/>\n", W - R + 15, T + 20.0 * c, col);
        svg_text(f, W - R + 32, T + 20.0 * c + 11, "start", 12, t->bname[c]);
    }
#undef PX
#undef PY
    fprintf(f, "</svg>\n");
    return qs_atomic_commit(&af, 1);
}

/* Heat map of d over (single layer) x scale for one concept. */
static qs_status plot_heatmap(const char *path, const table *t, const result *res, const char *concept) {
    int layers[512], nl = 0;
    double scales[64];
    int ns = 0;
    double amax = 0.2;
    for (int i = 0; i < t->n; i++) {
        const group *g = &t->g[i];
        char *end;
        long l = strtol(g->layers, &end, 10);
        if (!g->single || *end || end == g->layers || strcmp(g->concept, concept) || !res[i].ok) continue;
        int seen = 0;
        for (int k = 0; k < nl; k++) seen |= layers[k] == l;
        if (!seen && nl < 512) layers[nl++] = (int)l;
        seen = 0;
        for (int k = 0; k < ns; k++) seen |= scales[k] == g->scale;
        if (!seen && ns < 64) scales[ns++] = g->scale;
        amax = fmax(amax, fabs(res[i].d));
    }
    if (nl < 2 || ns < 2) return QS_OK;
    for (int a = 0; a < nl; a++) /* sort */
        for (int b = a + 1; b < nl; b++)
            if (layers[b] < layers[a]) { int x = layers[a]; layers[a] = layers[b]; layers[b] = x; }
    for (int a = 0; a < ns; a++)
        for (int b = a + 1; b < ns; b++)
            if (scales[b] < scales[a]) { double x = scales[a]; scales[a] = scales[b]; scales[b] = x; }
    const double cw = 56, ch = 18, L = 70, T = 50;
    double W = L + cw * ns + 20, H = T + ch * nl + 50;
    qs_atomic_file af;
    qs_status rc = qs_atomic_open(&af, path);
    if (rc) return rc;
    FILE *f = af.f;
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n", W, H);
    char buf[160];
    snprintf(buf, sizeof buf, "%s: Cohen's d by layer and scale (red +, blue -)", concept);
    svg_text(f, W / 2, 20, "middle", 13, buf);
    for (int s = 0; s < ns; s++) {
        snprintf(buf, sizeof buf, "%.3g", scales[s]);
        svg_text(f, L + cw * s + cw / 2, T - 6, "middle", 11, buf);
    }
    for (int l = 0; l < nl; l++) {
        snprintf(buf, sizeof buf, "L%d", layers[l]);
        svg_text(f, L - 6, T + ch * l + 13, "end", 11, buf);
        for (int s = 0; s < ns; s++) {
            int gi = -1;
            for (int i = 0; i < t->n; i++) {
                const group *g = &t->g[i];
                char *end;
                long ll = strtol(g->layers, &end, 10);
                if (g->single && !*end && ll == layers[l] && g->scale == scales[s] && !strcmp(g->concept, concept) && res[i].ok) gi = i;
            }
            double v = gi >= 0 ? res[gi].d / amax : 0;
            int r = v > 0 ? 255 : (int)(255 * (1 + v)), b = v < 0 ? 255 : (int)(255 * (1 - v)), gch = (int)(255 * (1 - fabs(v)));
            fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" stroke=\"white\"/>\n", L + cw * s, T + ch * l, cw, ch,
                    gi >= 0 ? (snprintf(buf, sizeof buf, "rgb(%d,%d,%d)", r, gch, b), buf) : "#eee");
            if (gi >= 0) {
                snprintf(buf, sizeof buf, "%.2f", res[gi].d);
                svg_text(f, L + cw * s + cw / 2, T + ch * l + 13, "middle", 10, buf);
            }
        }
    }
    svg_text(f, L + cw * ns / 2, H - 15, "middle", 12, "scale");
    fprintf(f, "</svg>\n");
    return qs_atomic_commit(&af, 1);
}

/* ---------------------------------------------------------------- report */

static void fmt(char *b, size_t n, double v, const char *f) {
    if (isfinite(v)) snprintf(b, n, f, v);
    else snprintf(b, n, "n/a");
}

qs_status qs_experiment_report(const char *out_dir) {
    char path[4096];
    snprintf(path, sizeof path, "%s/results.jsonl", out_dir);
    table t = {0};
    qs_status rc = read_results(path, &t);
    if (rc != QS_OK) goto done;
    result *res = qs_calloc((size_t)(t.n ? t.n : 1), sizeof *res);
    double *pv = qs_malloc((size_t)(t.n ? t.n : 1) * sizeof(double)), *padj = qs_malloc((size_t)(t.n ? t.n : 1) * sizeof(double));
    int *pmap = qs_malloc((size_t)(t.n ? t.n : 1) * sizeof(int)), np = 0;
    for (int i = 0; i < t.n; i++) {
        group *g = &t.g[i];
        result *r = &res[i];
        int k = baseline_index(&t, g->concept);
        if (k < 0) continue;
        const double *b = t.bx[k], *b100 = t.bx100[k];
        r->bm = mean_of(b, t.bn), r->sm = mean_of(g->x, g->n);
        r->bm100 = mean_of(b100, t.bn), r->sm100 = mean_of(g->x100, g->n);
        double tt, df;
        r->ok = qs_cohens_d(g->x, g->n, b, t.bn, &r->d) == QS_OK;
        if (!r->ok) r->d = NAN;
        if (r->ok && qs_bootstrap_d_ci(g->x, g->n, b, t.bn, 2000, 12345 + (uint64_t)i, 0.95, &r->lo, &r->hi) != QS_OK) r->lo = r->hi = NAN;
        if (qs_welch_t(g->x, g->n, b, t.bn, &tt, &df, &r->p) != QS_OK) r->p = NAN;
        if (qs_cohens_d(g->x100, g->n, b100, t.bn, &r->d100) != QS_OK) r->d100 = NAN;
        r->dlogp = mean_of(g->dlogp, g->n_dlogp);
        double se = sd_of(g->dlogp, g->n_dlogp) / sqrt((double)g->n_dlogp);
        r->dlogp_lo = r->dlogp - 1.96 * se, r->dlogp_hi = r->dlogp + 1.96 * se;
        r->ppl_s = median(g->ppl, g->n_ppl), r->ppl_b = median(t.bppl, t.n_bppl);
        r->dist3_s = mean_of(g->dist3, g->n_dist3), r->dist3_b = mean_of(t.bdist3, t.n_bdist3);
        /* a guard without data (no ppl measured, texts too short) does not exclude the condition */
        r->fluent = !(r->ppl_s > FLUENT_PPL_RATIO * r->ppl_b) && !(r->dist3_s < FLUENT_DISTINCT * r->dist3_b);
        r->p_holm = NAN;
        if (isfinite(r->p)) pmap[np] = i, pv[np++] = r->p;
    }
    if (np > 0) {
        qs_holm(pv, np, padj);
        for (int j = 0; j < np; j++) res[pmap[j]].p_holm = padj[j];
    }
    /* summary.json */
    cJSON *js = cJSON_CreateObject();
    cJSON_AddStringToObject(js, "results", "results.jsonl");
    cJSON_AddNumberToObject(js, "baseline_rows", t.bn);
    cJSON_AddStringToObject(js, "statistics", "d = (mean steered - mean baseline) / pooled SD of marker counts; CI: percentile bootstrap, 2000 resamples; p: Welch t-test, two-sided; p_holm: Holm over all rows");
    char rule[256];
    snprintf(rule, sizeof rule, "fluent: median ppl <= %.1f x baseline's and mean distinct-3 (distinct token trigrams / trigrams) >= %.2f x baseline's; best = largest d among fluent rows",
             FLUENT_PPL_RATIO, FLUENT_DISTINCT);
    cJSON_AddStringToObject(js, "fluency", rule);
    cJSON *rows = cJSON_AddArrayToObject(js, "rows");
    int best = -1, best_any = -1;
    for (int i = 0; i < t.n; i++) {
        const group *g = &t.g[i];
        const result *r = &res[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "concept", g->concept);
        cJSON_AddStringToObject(o, "condition", g->condition);
        cJSON_AddNumberToObject(o, "n_steered", g->n);
        cJSON_AddNumberToObject(o, "n_baseline", t.bn);
#define NUM(k, v) if (isfinite(v)) cJSON_AddNumberToObject(o, k, v); else cJSON_AddNullToObject(o, k)
        NUM("baseline_markers", r->bm); NUM("steered_markers", r->sm);
        NUM("baseline_per100", r->bm100); NUM("steered_per100", r->sm100);
        NUM("d", r->d); NUM("d_ci_low", r->lo); NUM("d_ci_high", r->hi);
        NUM("p", r->p); NUM("p_holm", r->p_holm); NUM("d_per100", r->d100);
        NUM("dlogp", r->dlogp); NUM("dlogp_ci_low", r->dlogp_lo); NUM("dlogp_ci_high", r->dlogp_hi);
        NUM("ppl_steered_median", r->ppl_s); NUM("ppl_baseline_median", r->ppl_b);
        NUM("distinct3_steered", r->dist3_s); NUM("distinct3_baseline", r->dist3_b);
#undef NUM
        cJSON_AddBoolToObject(o, "fluent", r->fluent);
        cJSON_AddItemToArray(rows, o);
        if (!r->ok || !isfinite(r->d)) continue;
        if (best_any < 0 || r->d > res[best_any].d) best_any = i;
        if (r->fluent && (best < 0 || r->d > res[best].d)) best = i;
    }
    const char *best_keys[2] = {"best", "best_any"};
    const int best_idx[2] = {best, best_any};
    for (int k = 0; k < 2; k++) {
        if (best_idx[k] < 0) continue;
        cJSON *b = cJSON_AddObjectToObject(js, best_keys[k]);
        cJSON_AddStringToObject(b, "concept", t.g[best_idx[k]].concept);
        cJSON_AddStringToObject(b, "condition", t.g[best_idx[k]].condition);
        cJSON_AddNumberToObject(b, "d", res[best_idx[k]].d);
    }
    char *s = cJSON_Print(js);
    cJSON_Delete(js);
    snprintf(path, sizeof path, "%s/summary.json", out_dir);
    qs_atomic_file af;
    if ((rc = qs_atomic_open(&af, path)) == QS_OK) {
        fputs(s, af.f);
        fputc('\n', af.f);
        rc = qs_atomic_commit(&af, 1);
    }
    free(s);
    /* plots */
    char plots[32][128];
    int n_plots = 0;
    for (int i = 0; i < t.n && rc == QS_OK && n_plots < 16; i++) {
        if (!t.g[i].single) continue;
        int seen = 0;
        for (int j = 0; j < i; j++) seen |= t.g[j].single && !strcmp(t.g[j].layers, t.g[i].layers);
        if (seen) continue;
        char name[128], safe[64];
        snprintf(safe, sizeof safe, "%s", t.g[i].layers);
        for (char *c = safe; *c; c++)
            if (*c == ',') *c = '_';
        snprintf(name, sizeof name, "d_vs_scale_L%s.svg", safe);
        snprintf(path, sizeof path, "%s/%s", out_dir, name);
        rc = plot_d_vs_scale(path, &t, res, t.g[i].layers);
        FILE *ff = fopen(path, "r");
        if (ff) { fclose(ff); snprintf(plots[n_plots++], 128, "%s", name); }
    }
    for (int k = 0; k < t.nb && rc == QS_OK && n_plots < 32; k++) {
        char name[128];
        snprintf(name, sizeof name, "heatmap_%s.svg", t.bname[k]);
        snprintf(path, sizeof path, "%s/%s", out_dir, name);
        rc = plot_heatmap(path, &t, res, t.bname[k]);
        FILE *ff = fopen(path, "r");
        if (ff) { fclose(ff); snprintf(plots[n_plots++], 128, "%s", name); }
    }
    /* report.md */
    snprintf(path, sizeof path, "%s/report.md", out_dir);
    if (rc == QS_OK && (rc = qs_atomic_open(&af, path)) == QS_OK) {
        FILE *f = af.f;
        char meta[4096] = "";
        snprintf(path, sizeof path, "%s/experiment.json", out_dir);
        char *mj;
        if (qs_read_file(path, &mj, NULL) == QS_OK) {
            cJSON *m = cJSON_Parse(mj);
            const cJSON *nm = cJSON_GetObjectItem(m, "name"), *md = cJSON_GetObjectItem(m, "model");
            snprintf(meta, sizeof meta, "**Experiment:** %s  \n**Model:** %s  \n", cJSON_IsString(nm) ? nm->valuestring : "?",
                     cJSON_IsString(md) ? md->valuestring : "?");
            cJSON_Delete(m);
            free(mj);
        }
        fprintf(f, "# Steering experiment report\n\n%s**Baseline generations:** %d (shared by every condition)\n\n", meta, t.bn);
        fprintf(f, "Effect = Cohen's d of lexicon marker counts, steered vs baseline (pooled SD); 95%% CI by percentile "
                   "bootstrap; p = Welch's t-test, Holm-corrected over the %d rows of this experiment. "
                   "Δlog p = mean change in log-probability of the concept's lexicon tokens, teacher-forced on the "
                   "baseline text (sampling-free). ppl = median perplexity of the text under the unsteered model "
                   "(steered / baseline): a rise means less fluent text. distinct-3 = mean fraction of distinct token "
                   "trigrams per generation (steered / baseline): a fall means repetition, which perplexity misses. "
                   "A row is marked ✗ (not fluent) when ppl exceeds %.1f x the baseline's or distinct-3 falls below "
                   "%.2f x the baseline's.\n\n", np, FLUENT_PPL_RATIO, FLUENT_DISTINCT);
        /* per condition tables, in order of first appearance */
        for (int i = 0; i < t.n; i++) {
            int first = 1;
            for (int j = 0; j < i; j++) first &= strcmp(t.g[j].condition, t.g[i].condition) != 0;
            if (!first) continue;
            fprintf(f, "## %s\n\n| Emotion | Baseline markers | Steered markers | per 100 words | d [95%% CI] | p | p (Holm) | Δlog p(lex) | ppl steered / baseline | distinct-3 | fluent |\n|---|---|---|---|---|---|---|---|---|---|---|\n", t.g[i].condition);
            double sum = 0;
            int cnt = 0;
            for (int j = i; j < t.n; j++) {
                if (strcmp(t.g[j].condition, t.g[i].condition)) continue;
                const result *r = &res[j];
                char d[64], lo[32], hi[32], p[32], ph[32], dl[64], ps[32], pb[32], ds[32], db[32];
                fmt(d, sizeof d, r->d, "%+.2f"), fmt(lo, sizeof lo, r->lo, "%+.2f"), fmt(hi, sizeof hi, r->hi, "%+.2f");
                fmt(p, sizeof p, r->p, "%.3g"), fmt(ph, sizeof ph, r->p_holm, "%.3g"), fmt(dl, sizeof dl, r->dlogp, "%+.3f");
                fmt(ps, sizeof ps, r->ppl_s, "%.1f"), fmt(pb, sizeof pb, r->ppl_b, "%.1f");
                fmt(ds, sizeof ds, r->dist3_s, "%.2f"), fmt(db, sizeof db, r->dist3_b, "%.2f");
                fprintf(f, "| %s | %.2f | %.2f | %.2f → %.2f | %s [%s, %s] | %s | %s | %s | %s / %s | %s / %s | %s |\n", t.g[j].concept, r->bm,
                        r->sm, r->bm100, r->sm100, d, lo, hi, p, ph, dl, ps, pb, ds, db, r->fluent ? "✓" : "✗");
                if (isfinite(r->d)) sum += fabs(r->d), cnt++;
            }
            fprintf(f, "\n**Average |d|: %.2f**\n\n", cnt ? sum / cnt : NAN);
        }
        if (best_any >= 0) fprintf(f, "## Best configuration\n\n");
        for (int k = 0; k < 2; k++) {
            int b = best_idx[k];
            if (b < 0 || (k == 1 && b == best)) continue;
            const result *r = &res[b];
            fprintf(f, "%s %s, %s: d = %+.2f [%+.2f, %+.2f], p = %.3g (Holm %.3g), Δlog p = %+.3f, ppl %.1f vs baseline %.1f, "
                       "distinct-3 %.2f vs %.2f.\n\n",
                    k == 0 ? "**Largest d among fluent conditions:**" : "Largest d of all (not fluent, shown for reference):",
                    t.g[b].concept, t.g[b].condition, r->d, r->lo, r->hi, r->p, r->p_holm, r->dlogp, r->ppl_s, r->ppl_b, r->dist3_s,
                    r->dist3_b);
        }
        if (best_any >= 0)
            fprintf(f, "The original report's best was d = 0.22 (Qwen2.5-1.5B base, layer 0, scale 6).\n\n");
        if (n_plots) fprintf(f, "## Plots\n\n");
        for (int i = 0; i < n_plots; i++) fprintf(f, "![%s](%s)\n\n", plots[i], plots[i]);
        rc = qs_atomic_commit(&af, 1);
    }
    free(res), free(pv), free(padj), free(pmap);
done:
    for (int i = 0; i < t.n; i++) free(t.g[i].x), free(t.g[i].x100), free(t.g[i].dlogp), free(t.g[i].ppl), free(t.g[i].dist3);
    free(t.g);
    for (int k = 0; k < t.nb; k++) free(t.bx[k]), free(t.bx100[k]);
    free(t.bppl), free(t.bdist3);
    return rc;
}
