/*
 * stats.c - see stats.h for the contracts and the edge-case decisions.
 *
 * Numerics:
 *   - Means and variances are two-pass (mean first, then squared deviations),
 *     as numpy does, so results agree with numpy to a few ulp.
 *   - Student's t tail: P(|T_df| >= |t|) = I_x(df/2, 1/2) with
 *     x = df/(df+t^2). I_x(a, b) is the regularized incomplete beta, from its
 *     continued fraction evaluated with the modified Lentz method (the
 *     classic textbook recipe, written here from the formulas). 1-x is passed
 *     separately as t^2/(df+t^2), so neither tail loses digits to
 *     cancellation: a p-value of 1e-12 keeps ~1e-13 relative accuracy.
 *   - Bootstrap: splitmix64 (Steele, Lea, Flood 2014) and the multiply-high
 *     mapping of a 64-bit draw onto [0, n) (bias < n / 2^64).
 */
#include "stats.h"

#include <math.h>
#include <string.h>

/* ---------------------------------------------------------------- helpers */

static qs_status check_values(const double *x, int n, const char *what) {
    for (int i = 0; i < n; i++)
        if (!isfinite(x[i])) return qs_fail(QS_ERR_ARG, "%s[%d] is %g: values must be finite", what, i, x[i]);
    return QS_OK;
}

/* Both groups non-empty, with >= min_n values each, finite. */
static qs_status check_groups(const double *a, int na, const char *an, const double *b, int nb, const char *bn,
                              int min_n) {
    if (na <= 0) return qs_fail(QS_ERR_ARG, "the %s group is empty", an);
    if (nb <= 0) return qs_fail(QS_ERR_ARG, "the %s group is empty", bn);
    if (!a || !b) return qs_fail(QS_ERR_ARG, "NULL data pointer");
    if (na < min_n)
        return qs_fail(QS_ERR_ARG, "the %s group has %d value(s); at least %d are needed for a sample variance", an, na,
                       min_n);
    if (nb < min_n)
        return qs_fail(QS_ERR_ARG, "the %s group has %d value(s); at least %d are needed for a sample variance", bn, nb,
                       min_n);
    qs_status rc = check_values(a, na, an);
    return rc != QS_OK ? rc : check_values(b, nb, bn);
}

static double mean_raw(const double *x, int n) {
    double s = 0;
    for (int i = 0; i < n; i++) s += x[i];
    return s / n;
}

/* Sum of squared deviations from m. */
static double ssd_raw(const double *x, int n, double m) {
    double s = 0;
    for (int i = 0; i < n; i++) s += (x[i] - m) * (x[i] - m);
    return s;
}

qs_status qs_mean(const double *x, int n, double *mean) {
    if (n <= 0) return qs_fail(QS_ERR_ARG, "mean of an empty array");
    qs_status rc = check_values(x, n, "x");
    if (rc != QS_OK) return rc;
    *mean = mean_raw(x, n);
    return QS_OK;
}

qs_status qs_sd(const double *x, int n, double *sd) {
    if (n < 2) return qs_fail(QS_ERR_ARG, "sample SD of %d value(s): at least 2 are needed", n);
    qs_status rc = check_values(x, n, "x");
    if (rc != QS_OK) return rc;
    *sd = sqrt(ssd_raw(x, n, mean_raw(x, n)) / (n - 1));
    return QS_OK;
}

/* d with the limits: 0 for zero variance and equal means, +-inf for zero
 * variance and different means. Inputs already checked. */
static double d_raw(const double *s, int ns, const double *b, int nb) {
    double ms = mean_raw(s, ns), mb = mean_raw(b, nb);
    double pooled = sqrt((ssd_raw(s, ns, ms) + ssd_raw(b, nb, mb)) / (ns + nb - 2));
    if (pooled == 0) return ms == mb ? 0.0 : (ms > mb ? INFINITY : -INFINITY);
    return (ms - mb) / pooled;
}

/* ---------------------------------------------------------------- Cohen's d */

qs_status qs_cohens_d(const double *steered, int ns, const double *baseline, int nb, double *d) {
    qs_status rc = check_groups(steered, ns, "steered", baseline, nb, "baseline", 2);
    if (rc != QS_OK) return rc;
    double v = d_raw(steered, ns, baseline, nb);
    if (isinf(v))
        return qs_fail(QS_ERR_ARG,
                       "Cohen's d is infinite: both groups have zero variance but different means (%g vs %g)",
                       mean_raw(steered, ns), mean_raw(baseline, nb));
    *d = v;
    return QS_OK;
}

/* ---------------------------------------------------------------- incomplete beta */

/* Continued fraction for I_x(a, b) (x < (a+1)/(a+b+2) for fast convergence),
 * modified Lentz: f = 1/(1+ d1/(1+ d2/(1+ ...))), with
 *   d_{2m+1} = -(a+m)(a+b+m) x / ((a+2m)(a+2m+1)),  d_{2m} = m(b-m) x / ((a+2m-1)(a+2m)). */
static double betacf(double a, double b, double x) {
    const double tiny = 1e-300, eps = 1e-16;
    const int max_iter = 200000;
    double c = 1.0, d = 1.0 - (a + b) * x / (a + 1.0);
    if (fabs(d) < tiny) d = tiny;
    d = 1.0 / d;
    double h = d;
    for (int m = 1; m <= max_iter; m++) {
        double m2 = 2.0 * m;
        double aa = m * (b - m) * x / ((a - 1.0 + m2) * (a + m2)); /* even step */
        d = 1.0 + aa * d;
        if (fabs(d) < tiny) d = tiny;
        c = 1.0 + aa / c;
        if (fabs(c) < tiny) c = tiny;
        d = 1.0 / d;
        h *= d * c;
        aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + 1.0 + m2)); /* odd step */
        d = 1.0 + aa * d;
        if (fabs(d) < tiny) d = tiny;
        c = 1.0 + aa / c;
        if (fabs(c) < tiny) c = tiny;
        d = 1.0 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1.0) < eps) break;
    }
    return h;
}

/* I_x(a, b) given x and y = 1 - x (each computed accurately by the caller). */
static double betainc_xy(double a, double b, double x, double y) {
    if (x <= 0) return 0.0;
    if (y <= 0) return 1.0;
    /* front factor x^a y^b / B(a, b) */
    double lfront = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log(y);
    double front = exp(lfront);
    if (x < (a + 1.0) / (a + b + 2.0)) return front * betacf(a, b, x) / a;
    return 1.0 - front * betacf(b, a, y) / b; /* symmetry I_x(a,b) = 1 - I_{1-x}(b,a) */
}

double qs_betainc(double a, double b, double x) {
    if (!(a > 0) || !(b > 0) || !(x >= 0) || !(x <= 1)) return NAN;
    return betainc_xy(a, b, x, 1.0 - x);
}

double qs_t_p2(double t, double df) {
    if (isnan(t) || !(df > 0)) return NAN;
    if (isinf(t)) return 0.0;
    if (t == 0) return 1.0;
    double t2 = t * t;
    double x = df / (df + t2), y = t2 / (df + t2);
    double p = betainc_xy(0.5 * df, 0.5, x, y);
    return p > 1.0 ? 1.0 : p;
}

/* ---------------------------------------------------------------- t-tests */

qs_status qs_welch_t(const double *a, int na, const double *b, int nb, double *t, double *df, double *p) {
    qs_status rc = check_groups(a, na, "first", b, nb, "second", 2);
    if (rc != QS_OK) return rc;
    double ma = mean_raw(a, na), mb = mean_raw(b, nb);
    double va = ssd_raw(a, na, ma) / (na - 1), vb = ssd_raw(b, nb, mb) / (nb - 1);
    double sa = va / na, sb = vb / nb, se2 = sa + sb;
    double tv, dfv, pv;
    if (se2 == 0) {
        if (ma != mb)
            return qs_fail(QS_ERR_ARG, "Welch t is infinite: both groups have zero variance but different means (%g vs %g)",
                           ma, mb);
        tv = 0, dfv = na + nb - 2, pv = 1;
    } else {
        tv = (ma - mb) / sqrt(se2);
        dfv = se2 * se2 / (sa * sa / (na - 1) + sb * sb / (nb - 1));
        pv = qs_t_p2(tv, dfv);
    }
    if (t) *t = tv;
    if (df) *df = dfv;
    if (p) *p = pv;
    return QS_OK;
}

qs_status qs_paired_t(const double *a, const double *b, int n, double *t, double *df, double *p) {
    qs_status rc = check_groups(a, n, "first", b, n, "second", 2);
    if (rc != QS_OK) return rc;
    double *dd = qs_malloc((size_t)n * sizeof *dd);
    for (int i = 0; i < n; i++) dd[i] = a[i] - b[i];
    double m = mean_raw(dd, n), v = ssd_raw(dd, n, m) / (n - 1);
    free(dd);
    double tv, pv;
    if (v == 0) {
        if (m != 0)
            return qs_fail(QS_ERR_ARG, "paired t is infinite: every difference equals %g (zero variance)", m);
        tv = 0, pv = 1;
    } else {
        tv = m / sqrt(v / n);
        pv = qs_t_p2(tv, n - 1);
    }
    if (t) *t = tv;
    if (df) *df = n - 1;
    if (p) *p = pv;
    return QS_OK;
}

/* ---------------------------------------------------------------- bootstrap */

uint64_t qs_splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* floor(r * n / 2^64): the high 64 bits of the 128-bit product. */
static uint64_t mulhi64(uint64_t r, uint64_t n) {
#ifdef __SIZEOF_INT128__
    return (uint64_t)(((unsigned __int128)r * n) >> 64);
#else
    uint64_t rl = r & 0xffffffffu, rh = r >> 32, nl = n & 0xffffffffu, nh = n >> 32;
    uint64_t ll = rl * nl, lh = rl * nh, hl = rh * nl, hh = rh * nh;
    uint64_t mid = (ll >> 32) + (lh & 0xffffffffu) + (hl & 0xffffffffu);
    return hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
#endif
}

static int cmp_double(const void *pa, const void *pb) {
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

/* q-quantile of sorted x[0..n) (numpy 'linear' and its lerp). */
static double quantile_sorted(const double *x, int n, double q) {
    double h = (n - 1) * q;
    double fl = floor(h);
    int i = (int)fl;
    if (i >= n - 1) return x[n - 1];
    double g = h - fl, lo = x[i], hi = x[i + 1];
    if (g == 0 || lo == hi) return lo;
    if (isinf(lo)) return lo;
    if (isinf(hi)) return hi;
    double diff = hi - lo;
    return g >= 0.5 ? hi - diff * (1.0 - g) : lo + diff * g;
}

qs_status qs_quantile(const double *x, int n, double q, double *out) {
    if (n <= 0) return qs_fail(QS_ERR_ARG, "quantile of an empty array");
    if (!(q >= 0 && q <= 1)) return qs_fail(QS_ERR_ARG, "quantile level %g is outside [0, 1]", q);
    for (int i = 0; i < n; i++)
        if (isnan(x[i])) return qs_fail(QS_ERR_ARG, "x[%d] is NaN", i);
    double *s = qs_malloc((size_t)n * sizeof *s);
    memcpy(s, x, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    *out = quantile_sorted(s, n, q);
    free(s);
    return QS_OK;
}

qs_status qs_bootstrap_d_ci(const double *a, int na, const double *b, int nb, int n_boot, uint64_t seed, double level,
                            double *lo, double *hi) {
    qs_status rc = check_groups(a, na, "steered", b, nb, "baseline", 2);
    if (rc != QS_OK) return rc;
    if (n_boot < 1) return qs_fail(QS_ERR_ARG, "bootstrap needs at least 1 resample, got %d", n_boot);
    if (!(level > 0 && level < 1)) return qs_fail(QS_ERR_ARG, "confidence level %g is outside (0, 1)", level);
    double *ra = qs_malloc((size_t)na * sizeof *ra), *rb = qs_malloc((size_t)nb * sizeof *rb);
    double *ds = qs_malloc((size_t)n_boot * sizeof *ds);
    uint64_t st = seed;
    for (int k = 0; k < n_boot; k++) {
        for (int i = 0; i < na; i++) ra[i] = a[mulhi64(qs_splitmix64(&st), (uint64_t)na)];
        for (int i = 0; i < nb; i++) rb[i] = b[mulhi64(qs_splitmix64(&st), (uint64_t)nb)];
        ds[k] = d_raw(ra, na, rb, nb);
    }
    qsort(ds, (size_t)n_boot, sizeof *ds, cmp_double);
    *lo = quantile_sorted(ds, n_boot, 0.5 * (1.0 - level));
    *hi = quantile_sorted(ds, n_boot, 0.5 * (1.0 + level));
    free(ra), free(rb), free(ds);
    return QS_OK;
}

/* ---------------------------------------------------------------- Holm */

typedef struct {
    double p;
    int i;
} p_index;

static int cmp_p_index(const void *pa, const void *pb) {
    const p_index *a = pa, *b = pb;
    if (a->p != b->p) return a->p < b->p ? -1 : 1;
    return (a->i > b->i) - (a->i < b->i);
}

qs_status qs_holm(const double *p, int n, double *p_adj) {
    if (n <= 0) return qs_fail(QS_ERR_ARG, "Holm correction of an empty list of p-values");
    for (int i = 0; i < n; i++)
        if (!(p[i] >= 0 && p[i] <= 1)) return qs_fail(QS_ERR_ARG, "p[%d] = %g is not a p-value in [0, 1]", i, p[i]);
    p_index *s = qs_malloc((size_t)n * sizeof *s);
    for (int i = 0; i < n; i++) s[i].p = p[i], s[i].i = i;
    qsort(s, (size_t)n, sizeof *s, cmp_p_index);
    double run = 0;
    for (int j = 0; j < n; j++) {
        double v = (double)(n - j) * s[j].p;
        if (v > run) run = v;
        p_adj[s[j].i] = run < 1.0 ? run : 1.0;
    }
    free(s);
    return QS_OK;
}
