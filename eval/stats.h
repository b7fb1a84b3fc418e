/*
 * stats.h - the statistics of a steering experiment: effect size (Cohen's d),
 * Welch's and the paired t-test, a percentile-bootstrap CI for d, and Holm's
 * correction across a sweep.
 *
 * Every function returns QS_OK or QS_ERR_ARG with a qs_fail() message (fetch it
 * with qs_last_error()); none prints. Outputs are written only on QS_OK.
 * Checked against scipy/numpy/statsmodels values committed in
 * tests/data/stats/fixtures.json (tests/reference/make_stats_fixtures.py).
 *
 * Edge cases, decided once for the whole module:
 *   - An empty group, or a NaN/inf value in the input: QS_ERR_ARG.
 *   - Fewer than 2 values in a group: QS_ERR_ARG for d, Welch and the
 *     bootstrap (a sample variance needs n >= 2; numpy gives nan there).
 *   - Zero variance (every value equal, in both groups for d and Welch, in the
 *     differences for the paired test): if the means are equal there is no
 *     effect, so d = 0, t = 0, p = 1 (scipy returns nan for t and p); if the
 *     means differ, d and t would be infinite: QS_ERR_ARG saying so.
 *     With zero variance in only one group, Welch is well defined and we
 *     return what scipy returns.
 */
#ifndef QS_STATS_H
#define QS_STATS_H

#include <stdint.h>

#include "qs_common.h"

/* Arithmetic mean of x[0..n). n >= 1. */
qs_status qs_mean(const double *x, int n, double *mean);

/* Sample standard deviation (divisor n-1, two-pass). n >= 2. */
qs_status qs_sd(const double *x, int n, double *sd);

/* Cohen's d = (mean(steered) - mean(baseline)) / pooled SD, with
 *   pooled SD = sqrt(((ns-1) s_s^2 + (nb-1) s_b^2) / (ns + nb - 2)).
 * Needs ns, nb >= 2. Zero pooled SD: d = 0 when the means are equal, else
 * QS_ERR_ARG ("d is infinite"). */
qs_status qs_cohens_d(const double *steered, int ns, const double *baseline, int nb, double *d);

/* Welch's unequal-variance t-test of mean(a) vs mean(b):
 *   t  = (mean_a - mean_b) / sqrt(va/na + vb/nb)
 *   df = (va/na + vb/nb)^2 / ((va/na)^2/(na-1) + (vb/nb)^2/(nb-1))  (Welch-Satterthwaite)
 *   p  = two-sided, P(|T_df| >= |t|)
 * as scipy.stats.ttest_ind(a, b, equal_var=False). Needs na, nb >= 2. Both
 * variances zero: equal means give t = 0, df = na + nb - 2, p = 1; different
 * means are QS_ERR_ARG. Any of t, df, p may be NULL. */
qs_status qs_welch_t(const double *a, int na, const double *b, int nb, double *t, double *df, double *p);

/* Paired t-test on the differences a[i] - b[i] (same prompt and seed):
 * t = mean(diff) / (sd(diff)/sqrt(n)), df = n - 1, two-sided p, as
 * scipy.stats.ttest_rel(a, b). Needs n >= 2. Zero variance of the
 * differences: mean 0 gives t = 0, p = 1; otherwise QS_ERR_ARG. Any of t, df,
 * p may be NULL. */
qs_status qs_paired_t(const double *a, const double *b, int n, double *t, double *df, double *p);

/* Percentile-bootstrap CI for Cohen's d (a = steered, b = baseline).
 * Each of n_boot resamples draws na values from a, then nb values from b,
 * uniformly with replacement, using splitmix64 seeded with `seed` (index =
 * high 64 bits of the 128-bit product r * n); d of the resample as in
 * qs_cohens_d. A resample with zero pooled variance has d = 0 when its means
 * are equal and d = +-inf (the limit) when they differ, so it still takes part
 * in the ordering; a bound can then be +-inf. lo/hi are the (1-level)/2 and
 * (1+level)/2 quantiles of the n_boot values, interpolated linearly between
 * order statistics (numpy.percentile's default). Same arguments, same result.
 * Needs na, nb >= 2, n_boot >= 1, 0 < level < 1. */
qs_status qs_bootstrap_d_ci(const double *a, int na, const double *b, int nb, int n_boot, uint64_t seed, double level,
                            double *lo, double *hi);

/* The q-quantile (0 <= q <= 1) of x[0..n), linear interpolation between order
 * statistics (numpy.percentile(x, 100 q)). x is not modified. n >= 1; values
 * may be +-inf (an interpolation that touches an infinite neighbour with a
 * non-zero weight gives that infinity), not NaN. */
qs_status qs_quantile(const double *x, int n, double q, double *out);

/* Holm-Bonferroni step-down adjusted p-values, in input order: with the p
 * sorted ascending p_(1) <= ... <= p_(n), adj_(i) = min(1, max_{j<=i} (n-j+1) p_(j)),
 * as statsmodels multipletests(p, method='holm')[1]. n >= 1, each p in
 * [0, 1]. p_adj may alias p. */
qs_status qs_holm(const double *p, int n, double *p_adj);

/* Regularized incomplete beta I_x(a, b), a, b > 0, 0 <= x <= 1 (continued
 * fraction, modified Lentz). NaN for arguments outside the domain. */
double qs_betainc(double a, double b, double x);

/* Two-sided tail of Student's t: P(|T_df| >= |t|), df > 0. */
double qs_t_p2(double t, double df);

/* splitmix64: advances *state and returns the next 64-bit output. */
uint64_t qs_splitmix64(uint64_t *state);

#endif
