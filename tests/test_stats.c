/*
 * test_stats.c - eval/stats.c against values computed independently with
 * scipy, numpy and statsmodels (tests/data/stats/fixtures.json, written by
 * tests/reference/make_stats_fixtures.py), plus the documented edge cases
 * and properties of the bootstrap CI.
 */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <string.h>

#include "stats.h"
#include "test_util.h"

#define FIXTURES "tests/data/stats/fixtures.json"

/* |got - want| <= rel * |want| + abs */
static int close_to(double got, double want, double rel, double abs_tol) {
    if (isnan(want)) return isnan(got);
    if (isinf(want)) return got == want;
    return fabs(got - want) <= rel * fabs(want) + abs_tol;
}

static double num(const cJSON *j) {
    if (cJSON_IsNumber(j)) return j->valuedouble;
    if (cJSON_IsString(j)) {
        if (!strcmp(j->valuestring, "nan")) return NAN;
        if (!strcmp(j->valuestring, "inf")) return INFINITY;
        if (!strcmp(j->valuestring, "-inf")) return -INFINITY;
    }
    fprintf(stderr, "fixture: expected a number\n");
    abort();
}

static double field(const cJSON *o, const char *k) { return num(cJSON_GetObjectItemCaseSensitive(o, k)); }

/* Array field k as malloc'd doubles (at least one slot); returns the length. */
static int array(const cJSON *o, const char *k, double **out) {
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, k);
    int n = cJSON_GetArraySize(a);
    *out = malloc((size_t)(n ? n : 1) * sizeof(double));
    for (int i = 0; i < n; i++) (*out)[i] = num(cJSON_GetArrayItem(a, i));
    return n;
}

static const char *str(const cJSON *o, const char *k) {
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(s) ? s->valuestring : NULL;
}

/* ---------------------------------------------------------------- fixtures */

static void test_two_group(const cJSON *root) {
    const cJSON *c;
    int n_cases = 0;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(root, "two_group")) {
        const char *name = str(c, "name"), *err = str(c, "error");
        double *a, *b;
        int na = array(c, "a", &a), nb = array(c, "b", &b);
        double d = -99, t = -99, df = -99, p = -99, lo, hi;
        qs_status rd = qs_cohens_d(a, na, b, nb, &d);
        qs_status rw = qs_welch_t(a, na, b, nb, &t, &df, &p);
        if (err) {
            CHECK(rd == QS_ERR_ARG && strstr(qs_last_error(), err), "%s: d: want error '%s', got %d '%s'", name, err,
                  rd, qs_last_error());
            rw = qs_welch_t(a, na, b, nb, &t, &df, &p);
            CHECK(rw == QS_ERR_ARG && strstr(qs_last_error(), err), "%s: welch: want error '%s', got %d '%s'", name,
                  err, rw, qs_last_error());
            CHECK(d == -99 && t == -99 && p == -99, "%s: outputs written on error", name);
            if (strcmp(err, "infinite") != 0) { /* the bootstrap rejects the same inputs, except infinite d */
                qs_status rb = qs_bootstrap_d_ci(a, na, b, nb, 10, 1, 0.95, &lo, &hi);
                CHECK(rb == QS_ERR_ARG && strstr(qs_last_error(), err), "%s: bootstrap: want error '%s', got %d '%s'",
                      name, err, rb, qs_last_error());
            }
            if (na == nb) {
                qs_status rp = qs_paired_t(a, b, na, &t, &df, &p);
                CHECK(rp == QS_ERR_ARG, "%s: paired: want an error, got %d", name, rp);
            }
        } else {
            CHECK(rd == QS_OK && close_to(d, field(c, "d"), 1e-12, 1e-15), "%s: d = %.17g, want %.17g (%s)", name, d,
                  field(c, "d"), qs_last_error());
            CHECK(rw == QS_OK, "%s: welch failed: %s", name, qs_last_error());
            CHECK(close_to(t, field(c, "t"), 1e-12, 1e-15), "%s: t = %.17g, want %.17g", name, t, field(c, "t"));
            CHECK(close_to(df, field(c, "df"), 1e-12, 0), "%s: df = %.17g, want %.17g", name, df, field(c, "df"));
            CHECK(close_to(p, field(c, "p"), 1e-10, 0), "%s: p = %.17g, want %.17g", name, p, field(c, "p"));
            if (cJSON_GetObjectItemCaseSensitive(c, "paired_t")) {
                double pt, pdf, pp;
                qs_status rp = qs_paired_t(a, b, na, &pt, &pdf, &pp);
                CHECK(rp == QS_OK && close_to(pt, field(c, "paired_t"), 1e-12, 1e-15) &&
                          close_to(pp, field(c, "paired_p"), 1e-10, 0) && pdf == na - 1,
                      "%s: paired t = %.17g p = %.17g, want %.17g %.17g", name, pt, pp, field(c, "paired_t"),
                      field(c, "paired_p"));
            }
        }
        free(a), free(b);
        n_cases++;
    }
    CHECK(n_cases >= 15, "only %d two-group cases", n_cases);
}

static void test_tails(const cJSON *root) {
    const cJSON *c;
    double worst = 0;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(root, "t_tail")) {
        double t = field(c, "t"), df = field(c, "df"), want = field(c, "p");
        double got = qs_t_p2(t, df), got_neg = qs_t_p2(-t, df);
        double e = fabs(got - want) / want;
        if (e > worst) worst = e;
        CHECK(close_to(got, want, 1e-10, 0), "t tail t=%g df=%g: %.17g, want %.17g", t, df, got, want);
        CHECK(got_neg == got, "t tail not symmetric at t=%g df=%g", t, df);
    }
    printf("t tail: worst relative error %.2e\n", worst);
    worst = 0;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(root, "betainc")) {
        double a = field(c, "a"), b = field(c, "b"), x = field(c, "x"), want = field(c, "I");
        double got = qs_betainc(a, b, x);
        double e = fabs(got - want) / want;
        if (e > worst) worst = e;
        CHECK(close_to(got, want, 1e-10, 1e-300), "betainc(%g, %g, %g) = %.17g, want %.17g", a, b, x, got, want);
    }
    printf("betainc: worst relative error %.2e\n", worst);
    CHECK(qs_betainc(2, 3, 0) == 0 && qs_betainc(2, 3, 1) == 1, "betainc endpoints");
    CHECK(isnan(qs_betainc(-1, 3, 0.5)) && isnan(qs_betainc(1, 3, 1.5)) && isnan(qs_betainc(1, 0, 0.5)),
          "betainc outside its domain should be NaN");
    CHECK(qs_t_p2(0, 5) == 1 && qs_t_p2(INFINITY, 5) == 0 && isnan(qs_t_p2(1, 0)), "t tail special values");
}

static void test_holm_fixtures(const cJSON *root) {
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(root, "holm")) {
        double *p, *want;
        int n = array(c, "p", &p);
        array(c, "adj", &want);
        double *got = malloc((size_t)n * sizeof *got);
        CHECK(qs_holm(p, n, got) == QS_OK, "holm %s failed: %s", str(c, "name"), qs_last_error());
        for (int i = 0; i < n; i++)
            CHECK(close_to(got[i], want[i], 1e-14, 0), "holm %s [%d]: %.17g, want %.17g", str(c, "name"), i, got[i],
                  want[i]);
        CHECK(qs_holm(p, n, p) == QS_OK, "holm in place");
        int same = 1;
        for (int i = 0; i < n; i++) same &= p[i] == got[i];
        CHECK(same, "holm %s in place differs", str(c, "name"));
        free(p), free(want), free(got);
    }
}

static void test_quantile_fixtures(const cJSON *root) {
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(root, "quantile")) {
        double *x, v = NAN;
        int n = array(c, "x", &x);
        double q = field(c, "q"), want = field(c, "v");
        CHECK(qs_quantile(x, n, q, &v) == QS_OK && close_to(v, want, 1e-14, 1e-15), "quantile n=%d q=%g: %.17g, want %.17g",
              n, q, v, want);
        free(x);
    }
}

static void test_bootstrap_fixtures(const cJSON *root) {
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(root, "bootstrap")) {
        double *a, *b, lo = NAN, hi = NAN;
        int na = array(c, "a", &a), nb = array(c, "b", &b);
        uint64_t seed = strtoull(str(c, "seed"), NULL, 10);
        qs_status rc = qs_bootstrap_d_ci(a, na, b, nb, (int)field(c, "n_boot"), seed, field(c, "level"), &lo, &hi);
        CHECK(rc == QS_OK && close_to(lo, field(c, "lo"), 1e-12, 1e-15) && close_to(hi, field(c, "hi"), 1e-12, 1e-15),
              "bootstrap %s: [%.17g, %.17g], want [%.17g, %.17g] (the Python reimplementation)", str(c, "name"), lo, hi,
              field(c, "lo"), field(c, "hi"));
        CHECK(lo < field(c, "d") && field(c, "d") < hi, "bootstrap %s: CI [%g, %g] does not contain d = %g",
              str(c, "name"), lo, hi, field(c, "d"));
        free(a), free(b);
    }
    uint64_t st = 0;
    uint64_t first = qs_splitmix64(&st);
    CHECK(first == strtoull(str(root, "splitmix64_seed0_first"), NULL, 10), "splitmix64(0) = %" PRIu64, first);
}

/* ---------------------------------------------------------------- properties */

static double width(const double *a, int na, const double *b, int nb, uint64_t seed, double level) {
    double lo, hi;
    if (qs_bootstrap_d_ci(a, na, b, nb, 1000, seed, level, &lo, &hi) != QS_OK) return NAN;
    return hi - lo;
}

static void test_bootstrap_properties(void) {
    double a[40], b[40], lo, hi, lo2, hi2, d;
    uint64_t st = 99;
    for (int i = 0; i < 40; i++) { /* two skewed-ish samples from a fixed stream */
        a[i] = (double)(qs_splitmix64(&st) >> 11) / 9007199254740992.0 * 3.0 + 0.5;
        b[i] = (double)(qs_splitmix64(&st) >> 11) / 9007199254740992.0 * 3.0;
    }
    CHECK(qs_cohens_d(a, 10, b, 10, &d) == QS_OK, "d");
    CHECK(qs_bootstrap_d_ci(a, 10, b, 10, 2000, 42, 0.95, &lo, &hi) == QS_OK, "bootstrap");
    CHECK(lo < d && d < hi, "CI [%g, %g] should contain d = %g", lo, hi, d);
    CHECK(qs_bootstrap_d_ci(a, 10, b, 10, 2000, 42, 0.95, &lo2, &hi2) == QS_OK && lo2 == lo && hi2 == hi,
          "same seed, different CI");
    CHECK(qs_bootstrap_d_ci(a, 10, b, 10, 2000, 43, 0.95, &lo2, &hi2) == QS_OK && (lo2 != lo || hi2 != hi),
          "another seed gave the identical CI");
    double w10 = width(a, 10, b, 10, 1, 0.95), w40 = width(a, 40, b, 40, 1, 0.95);
    CHECK(w40 < 0.75 * w10, "CI should narrow with n: width %g at n=10, %g at n=40", w10, w40);
    double w50 = width(a, 40, b, 40, 1, 0.5);
    CHECK(w50 < w40, "a 50%% CI (%g) should be narrower than a 95%% CI (%g)", w50, w40);
    /* the same data four times: d unchanged, CI about half as wide */
    double a4[40], b4[40];
    for (int i = 0; i < 40; i++) a4[i] = a[i % 10], b4[i] = b[i % 10];
    double w4 = width(a4, 40, b4, 40, 1, 0.95);
    CHECK(w4 < 0.65 * w10 && w4 > 0.35 * w10, "replicated x4: width %g vs %g, expected about half", w4, w10);

    /* zero variance: constant equal groups -> every resample has d = 0 */
    double ones[6] = {1, 1, 1, 1, 1, 1}, zeros[6] = {0, 0, 0, 0, 0, 0};
    CHECK(qs_bootstrap_d_ci(ones, 6, ones, 5, 100, 1, 0.95, &lo, &hi) == QS_OK && lo == 0 && hi == 0,
          "constant equal groups: CI [%g, %g], want [0, 0]", lo, hi);
    /* constant different groups -> d = +inf in every resample */
    CHECK(qs_bootstrap_d_ci(ones, 6, zeros, 6, 100, 1, 0.95, &lo, &hi) == QS_OK && lo == INFINITY && hi == INFINITY,
          "constant different groups: CI [%g, %g], want [inf, inf]", lo, hi);
    CHECK(qs_bootstrap_d_ci(zeros, 6, ones, 6, 100, 1, 0.95, &lo, &hi) == QS_OK && lo == -INFINITY &&
              hi == -INFINITY,
          "constant different groups: CI [%g, %g], want [-inf, -inf]", lo, hi);
    /* mostly zeros: some resamples are all-zero in both groups (d = 0) and
     * some are degenerate with different means (+inf); the result stays ordered */
    double sparse_a[4] = {0, 0, 0, 1}, sparse_b[4] = {0, 0, 0, 0};
    CHECK(qs_bootstrap_d_ci(sparse_a, 4, sparse_b, 4, 500, 3, 0.95, &lo, &hi) == QS_OK && lo <= hi && !isnan(lo) &&
              !isnan(hi),
          "sparse: CI [%g, %g]", lo, hi);
    printf("bootstrap: sparse counts CI [%g, %g]\n", lo, hi);

    /* argument errors */
    CHECK(qs_bootstrap_d_ci(a, 10, b, 10, 0, 1, 0.95, &lo, &hi) == QS_ERR_ARG, "n_boot = 0 accepted");
    CHECK(qs_bootstrap_d_ci(a, 10, b, 10, 100, 1, 1.0, &lo, &hi) == QS_ERR_ARG, "level = 1 accepted");
    CHECK(qs_bootstrap_d_ci(a, 10, b, 10, 100, 1, 0.0, &lo, &hi) == QS_ERR_ARG, "level = 0 accepted");
    CHECK(qs_bootstrap_d_ci(a, 10, b, 10, 100, 1, NAN, &lo, &hi) == QS_ERR_ARG, "level = NaN accepted");
}

static void test_edges(void) {
    double x[3] = {1, 2, 4}, m = 0, s = 0, out[3];
    CHECK(qs_mean(x, 3, &m) == QS_OK && m == 7.0 / 3, "mean");
    CHECK(qs_sd(x, 3, &s) == QS_OK && close_to(s, sqrt(7.0 / 3), 1e-15, 0), "sd = %.17g", s);
    CHECK(qs_mean(x, 0, &m) == QS_ERR_ARG, "mean of nothing accepted");
    CHECK(qs_sd(x, 1, &s) == QS_ERR_ARG && strstr(qs_last_error(), "at least 2"), "sd of one value: %s",
          qs_last_error());
    double bad[2] = {1, INFINITY};
    CHECK(qs_mean(bad, 2, &m) == QS_ERR_ARG, "inf accepted");
    /* Holm */
    CHECK(qs_holm(x, 0, out) == QS_ERR_ARG, "holm of nothing accepted");
    double pbad[2] = {0.5, 1.5}, pnan[2] = {0.5, NAN};
    CHECK(qs_holm(pbad, 2, out) == QS_ERR_ARG && strstr(qs_last_error(), "p[1]"), "p > 1 accepted: %s",
          qs_last_error());
    CHECK(qs_holm(pnan, 2, out) == QS_ERR_ARG, "NaN p accepted");
    double pv[4] = {0.01, 0.04, 0.03, 0.005}, adj[4];
    CHECK(qs_holm(pv, 4, adj) == QS_OK, "holm");
    int mono = 1, ge = 1;
    for (int i = 0; i < 4; i++) {
        ge &= adj[i] >= pv[i] && adj[i] <= 1;
        for (int j = 0; j < 4; j++)
            if (pv[i] < pv[j]) mono &= adj[i] <= adj[j];
    }
    CHECK(mono && ge, "holm: adjusted p must keep the order of p and lie in [p, 1]");
    /* Welch with NULL outputs */
    double a[3] = {1, 2, 3}, b[3] = {2, 3, 5}, p;
    CHECK(qs_welch_t(a, 3, b, 3, NULL, NULL, &p) == QS_OK && p > 0 && p < 1, "welch with NULL t/df");
    /* paired: constant nonzero differences -> error; constant zero -> p = 1 */
    double c1[3] = {2, 3, 4}, c2[3] = {1, 2, 3}, t, df;
    CHECK(qs_paired_t(c1, c2, 3, &t, &df, &p) == QS_ERR_ARG && strstr(qs_last_error(), "infinite"),
          "paired constant differences: %s", qs_last_error());
    CHECK(qs_paired_t(c1, c1, 3, &t, &df, &p) == QS_OK && t == 0 && p == 1 && df == 2, "paired identical");
    CHECK(qs_quantile(x, 0, 0.5, &m) == QS_ERR_ARG && qs_quantile(x, 3, 1.5, &m) == QS_ERR_ARG,
          "quantile arguments");
    double inf_x[4] = {-INFINITY, 1, 2, INFINITY};
    CHECK(qs_quantile(inf_x, 4, 0.0, &m) == QS_OK && m == -INFINITY, "quantile at -inf");
    CHECK(qs_quantile(inf_x, 4, 0.1, &m) == QS_OK && m == -INFINITY, "interpolation next to -inf");
    CHECK(qs_quantile(inf_x, 4, 0.5, &m) == QS_OK && m == 1.5, "median with infinite tails = %g", m);
    CHECK(qs_quantile(inf_x, 4, 0.9, &m) == QS_OK && m == INFINITY, "interpolation next to +inf");
}

int main(void) {
    char *text;
    size_t size;
    if (qs_read_file(FIXTURES, &text, &size) != QS_OK) {
        fprintf(stderr, "cannot read %s (run from the source root): %s\n", FIXTURES, qs_last_error());
        return 1;
    }
    cJSON *root = cJSON_Parse(text);
    free(text);
    CHECK(root != NULL, "%s is not valid JSON", FIXTURES);
    if (root) {
        test_two_group(root);
        test_tails(root);
        test_holm_fixtures(root);
        test_quantile_fixtures(root);
        test_bootstrap_fixtures(root);
    }
    cJSON_Delete(root);
    test_bootstrap_properties();
    test_edges();
    return test_summary("stats");
}
