#!/usr/bin/env python3
"""Reference values for tests/test_stats.c, computed independently of the C code.

    python3 -m venv /tmp/v && /tmp/v/bin/pip install scipy numpy statsmodels
    /tmp/v/bin/python tests/reference/make_stats_fixtures.py   # writes tests/data/stats/fixtures.json

Sources of truth:
  - Cohen's d: numpy (mean, var(ddof=1), pooled SD).
  - Welch t, df, p: scipy.stats.ttest_ind(equal_var=False); df from the
    Welch-Satterthwaite formula in numpy (scipy's result object exposes it as
    .df from 1.11 on; both are recorded and must agree).
  - Paired t: scipy.stats.ttest_rel.
  - Incomplete beta and the t tail: mpmath at 50 digits when installed (scipy
    is also recorded: scipy.special.betainc(600, 25, 0.3) ~ 4.6e-275 is off by
    1.5e-6 relative, mpmath and qsteer agree to 1e-15), else scipy.
  - Holm: statsmodels multipletests(method='holm'), checked here against a
    separate numpy implementation of the step-down formula.
  - Quantiles: numpy.quantile (method 'linear').
  - Bootstrap CI: the same algorithm as eval/stats.c written again in Python
    (splitmix64, multiply-high index, numpy d, numpy.quantile), so the C result
    must match exactly up to rounding.
Deterministic: numpy.random.default_rng(20260103).
"""
import json
import math
import os
import sys

import numpy as np
import scipy
import scipy.special
import scipy.stats

try:
    from statsmodels.stats.multitest import multipletests
except ImportError:  # statsmodels is optional; the numpy Holm stands alone then
    multipletests = None

rng = np.random.default_rng(20260103)
M64 = (1 << 64) - 1


def cohens_d(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    na, nb = len(a), len(b)
    pooled = math.sqrt(((na - 1) * a.var(ddof=1) + (nb - 1) * b.var(ddof=1)) / (na + nb - 2))
    return (a.mean() - b.mean()) / pooled


def welch_df(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    sa, sb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    return (sa + sb) ** 2 / (sa ** 2 / (len(a) - 1) + sb ** 2 / (len(b) - 1))


def fl(x):
    """JSON-safe float: nan/inf as strings."""
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def two_group_case(name, a, b, error=None, note=None):
    a = [float(v) for v in a]
    b = [float(v) for v in b]
    c = {"name": name, "a": [fl(v) for v in a], "b": [fl(v) for v in b]}
    if error:
        c["error"] = error
    else:
        c["d"] = fl(cohens_d(a, b))
        with np.errstate(all="ignore"):
            r = scipy.stats.ttest_ind(a, b, equal_var=False)
        c["t"], c["p"], c["df"] = fl(r.statistic), fl(r.pvalue), fl(welch_df(a, b))
        if hasattr(r, "df"):
            assert math.isclose(float(r.df), c["df"], rel_tol=1e-12), (name, r.df, c["df"])
        if len(a) == len(b):
            rr = scipy.stats.ttest_rel(a, b)
            c["paired_t"], c["paired_p"] = fl(rr.statistic), fl(rr.pvalue)
    if note:
        c["note"] = note
    return c


cases = []
cases.append(two_group_case("random_n8", rng.normal(0.5, 1, 8), rng.normal(0, 1, 8)))
cases.append(two_group_case("random_unequal_n12_n30", rng.normal(1, 1, 12), rng.normal(0, 3, 30)))
cases.append(two_group_case("random_n3_n5", rng.normal(0, 2, 3), rng.normal(1, 0.5, 5)))
cases.append(two_group_case("counts_n64", rng.poisson(0.6, 64), rng.poisson(0.45, 64)))
cases.append(two_group_case("counts_n16_n128", rng.poisson(2.0, 16), rng.poisson(1.0, 128)))
cases.append(two_group_case("huge_n2000", rng.normal(0.05, 1, 2000), rng.normal(0, 1, 2000)))
# large t: shift b so that p is about 1e-12
a = rng.normal(0, 1, 20)
b0 = rng.normal(0, 1, 20)
b0 = b0 - b0.mean() + a.mean()
se = math.sqrt(a.var(ddof=1) / 20 + b0.var(ddof=1) / 20)
cases.append(two_group_case("large_t_p1e-12", a, b0 - 10.3 * se))
cases.append(two_group_case("very_large_t", a, b0 - 40 * se))
a = rng.normal(0, 1, 100)
cases.append(two_group_case("tiny_effect", a, a[::-1] - 0.001))
cases.append(two_group_case("equal_means", [1, 2, 3, 4, 5], [3, 3, 2, 4, 3]))
cases.append(two_group_case("small_t_p_near_1", [0.0, 1.0, 2.0, 3.0], [0.01, 1.0, 2.0, 3.0]))
cases.append(two_group_case("zero_variance_one_group", [2, 2, 2, 2], [1, 2, 3, 5, 1]))
cases.append(two_group_case("zero_variance_other_group", [1, 2, 3, 5, 1, 0], [0, 0, 0]))
z = {"name": "zero_variance_both_equal_means", "a": [2.0] * 5, "b": [2.0] * 7,
     "d": 0.0, "t": 0.0, "p": 1.0, "df": 10.0,
     "note": "scipy returns t = p = nan here; qsteer defines d = 0, t = 0, p = 1, df = na+nb-2 (no effect)"}
with np.errstate(all="ignore"):
    r = scipy.stats.ttest_ind(z["a"], z["b"], equal_var=False)
assert math.isnan(r.statistic) and math.isnan(r.pvalue)
cases.append(z)
cases.append(two_group_case("zero_variance_both_different_means", [1] * 4, [0] * 4,
                            error="infinite", note="d and t would be infinite: error"))
cases.append(two_group_case("n1_steered", [1.5], [1, 2, 3], error="at least 2"))
cases.append(two_group_case("n1_baseline", [1, 2, 3], [0.5], error="at least 2"))
cases.append(two_group_case("empty_steered", [], [1, 2, 3], error="empty"))
cases.append(two_group_case("empty_baseline", [1, 2, 3], [], error="empty"))
cases.append(two_group_case("nan_value", [1, float("nan"), 3], [1, 2], error="finite"))

# Student t two-sided tail and the incomplete beta it rests on
try:
    import mpmath
    mpmath.mp.dps = 50
except ImportError:
    mpmath = None
tails = []
for df in [1, 2.5, 7, 30, 100, 1e4]:
    for t in [0.05, 0.7, 1.96, 4.0, 12.0, 60.0]:
        p = 2 * scipy.stats.t.sf(t, df)
        if mpmath is not None:  # I_x(df/2, 1/2), x = df/(df+t^2)
            mp = float(mpmath.betainc(mpmath.mpf(df) / 2, 0.5, 0, mpmath.mpf(df) / (df + mpmath.mpf(t) ** 2),
                                      regularized=True))
            assert abs(p - mp) <= 1e-9 * mp, (t, df, p, mp)
        if p > 1e-300:
            tails.append({"t": t, "df": df, "p": fl(p)})
try:
    import mpmath
    mpmath.mp.dps = 50
except ImportError:
    mpmath = None
betas = []
for a_ in [0.5, 1, 3.7, 50, 600]:
    for b_ in [0.5, 2, 25, 400]:
        for x in [1e-8, 0.01, 0.3, 0.5, 0.77, 0.99, 1 - 1e-9]:
            v = sv = float(scipy.special.betainc(a_, b_, x))
            if mpmath is not None:
                v = float(mpmath.betainc(a_, b_, 0, x, regularized=True))
                assert v < 1e-300 or abs(sv - v) <= 1e-5 * v, (a_, b_, x, sv, v)
            if v > 1e-300:
                betas.append({"a": a_, "b": b_, "x": x, "I": fl(v), "scipy": fl(sv),
                              "source": "mpmath" if mpmath else "scipy"})


def holm_numpy(p):
    p = np.asarray(p, float)
    n = len(p)
    order = np.argsort(p, kind="stable")
    adj = np.maximum.accumulate(p[order] * (n - np.arange(n)))
    out = np.empty(n)
    out[order] = np.minimum(adj, 1.0)
    return out


holm = []
for name, p in [("single", [0.03]),
                ("sorted", [0.001, 0.01, 0.02, 0.04]),
                ("unsorted_ties", [0.04, 0.01, 0.2, 0.01, 0.5, 0.003]),
                ("with_0_and_1", [0.0, 1.0, 0.3, 0.05]),
                ("monotone_needed", [0.01, 0.011, 0.012, 0.2, 0.9]),
                ("random_24", list(rng.uniform(0, 0.2, 24)))]:
    mine = holm_numpy(p)
    if multipletests is not None:
        ref = multipletests(p, method="holm")[1]
        assert np.allclose(ref, mine, rtol=1e-14, atol=0), (name, ref, mine)
        src = "statsmodels"
    else:
        ref, src = mine, "numpy"
    holm.append({"name": name, "p": [float(v) for v in p], "adj": [float(v) for v in ref], "source": src})

quant = []
for n in [1, 2, 7, 100]:
    x = rng.normal(0, 1, n)
    for q in [0.0, 0.025, 0.3, 0.5, 0.975, 1.0]:
        quant.append({"x": [float(v) for v in x], "q": q, "v": float(np.quantile(x, q))})


def splitmix64(state):
    state = (state + 0x9E3779B97F4A7C15) & M64
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return state, z ^ (z >> 31)


def boot_ci(a, b, n_boot, seed, level):
    a, b = np.asarray(a, float), np.asarray(b, float)
    st = seed
    ds = []
    for _ in range(n_boot):
        ia = []
        for _ in range(len(a)):
            st, r = splitmix64(st)
            ia.append((r * len(a)) >> 64)
        ib = []
        for _ in range(len(b)):
            st, r = splitmix64(st)
            ib.append((r * len(b)) >> 64)
        ra, rb = a[ia], b[ib]
        pooled = math.sqrt(((len(ra) - 1) * ra.var(ddof=1) + (len(rb) - 1) * rb.var(ddof=1)) / (len(ra) + len(rb) - 2))
        if pooled == 0:
            ds.append(0.0 if ra.mean() == rb.mean() else math.copysign(math.inf, ra.mean() - rb.mean()))
        else:
            ds.append((ra.mean() - rb.mean()) / pooled)
    ds = np.sort(np.array(ds))
    with np.errstate(all="ignore"):
        return float(np.quantile(ds, (1 - level) / 2)), float(np.quantile(ds, (1 + level) / 2))


sm_state, first = splitmix64(0)
boots = []
for name, a, b, n_boot, seed, level in [
        ("normal_n20", rng.normal(0.8, 1, 20), rng.normal(0, 1, 25), 500, 12345, 0.95),
        ("counts_n32", rng.poisson(0.7, 32), rng.poisson(0.4, 32), 2000, 7, 0.95),
        ("level_90", rng.normal(0, 1, 10), rng.normal(0.3, 2, 6), 300, 2**63 + 5, 0.90)]:
    lo, hi = boot_ci(a, b, n_boot, seed, level)
    boots.append({"name": name, "a": [float(v) for v in a], "b": [float(v) for v in b], "n_boot": n_boot,
                  "seed": str(seed), "level": level, "lo": lo, "hi": hi, "d": float(cohens_d(a, b))})

out = {
    "generator": "tests/reference/make_stats_fixtures.py",
    "versions": {"python": sys.version.split()[0], "numpy": np.__version__, "scipy": scipy.__version__,
                 "statsmodels": __import__("statsmodels").__version__ if multipletests else None,
                 "mpmath": mpmath.__version__ if mpmath else None},
    "splitmix64_seed0_first": str(first),
    "two_group": cases, "t_tail": tails, "betainc": betas, "holm": holm, "quantile": quant, "bootstrap": boots,
}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "stats", "fixtures.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
print(f"wrote {os.path.normpath(path)}: {len(cases)} two-group cases, {len(tails)} t tails, {len(betas)} betainc, "
      f"{len(holm)} holm, {len(quant)} quantiles, {len(boots)} bootstrap")
for c in cases:
    if "p" in c:
        print(f"  {c['name']:36s} d={c['d']!s:>24} t={c['t']!s:>24} p={c['p']}")
