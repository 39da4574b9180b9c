#!/usr/bin/env python3
"""Reference-fixture generator for the HoldoutStats Swift test suite.

Every number in Tests/HoldoutStatsTests/Fixtures/ is produced by this script
from established Python implementations (scipy, statsmodels, gbstats), so the
Swift code is checked against independent references rather than against
itself.  The script is deterministic: every random draw comes from
``numpy.random.default_rng`` with a fixed seed, so rerunning it with the
pinned versions reproduces the fixtures byte for byte.

Rerun from the package root (/work/main):

    python3 -m venv .venv \
        && .venv/bin/pip install -r Scripts/reference/requirements.txt \
        && .venv/bin/python Scripts/reference/generate.py

Output (see Scripts/reference/README.md for the contents of each file):

    Tests/HoldoutStatsTests/Fixtures/distributions.json
    Tests/HoldoutStatsTests/Fixtures/comparisons.json
    Tests/HoldoutStatsTests/Fixtures/power.json
    Tests/HoldoutStatsTests/Fixtures/cuped.json
    Tests/HoldoutStatsTests/Fixtures/analyze_small.csv
    Tests/HoldoutStatsTests/Fixtures/analyze_small.json

Conventions
-----------
* JSON is written with ``json.dump(..., indent=1, allow_nan=False)``; floats
  use Python's shortest round-trip repr, i.e. full double precision.
* No NaN or Infinity appears anywhere.  Cases whose reference value is not
  finite are dropped; the unbounded side of a one-sided interval is ``null``.
* "greater" always means H1: treatment > control, "less" H1: treatment <
  control.
* Sums in sufficient statistics are computed with ``math.fsum`` (correctly
  rounded), so they are the best possible double representation of the data.
"""

from __future__ import annotations

import csv
import io
import json
import math
import sys
from pathlib import Path

import numpy as np
import scipy
import scipy.integrate
import scipy.optimize
import scipy.special as sp
import scipy.stats as st
import statsmodels
import statsmodels.api as sm
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportions_ztest

import gbstats
from gbstats.frequentist.tests import (FrequentistConfig, SequentialConfig,
                                       SequentialTwoSidedTTest, TwoSidedTTest)
from gbstats.models.statistics import RatioStatistic, SampleMeanStatistic

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "Tests" / "HoldoutStatsTests" / "Fixtures"

EXPECTED_VERSIONS = {
    "scipy": "1.17.1",
    "statsmodels": "0.15.0",
    "gbstats": "0.8.0",
    "numpy": "1.26.4",
}

TINY = 1e-300  # smallest reference value we are willing to compare against
ALTERNATIVES = ("two-sided", "greater", "less")
SM_ALTERNATIVE = {"two-sided": "two-sided", "greater": "larger", "less": "smaller"}


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def clean(obj):
    """Convert numpy scalars/arrays to plain Python and assert finiteness."""
    if isinstance(obj, dict):
        return {str(k): clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [clean(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [clean(v) for v in obj.tolist()]
    if obj is None or isinstance(obj, (bool, np.bool_)):
        return None if obj is None else bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        v = float(obj)
        if not math.isfinite(v):
            raise ValueError(f"non-finite value in fixture: {v}")
        return v
    if isinstance(obj, str):
        return obj
    raise TypeError(f"cannot serialise {type(obj)}")


def write_json(name: str, obj) -> Path:
    path = FIXTURES / name
    data = clean(obj)
    with path.open("w", encoding="utf-8") as f:
        json.dump(data, f, indent=1, allow_nan=False)
        f.write("\n")
    return path


def all_finite(*values) -> bool:
    return all(v is None or math.isfinite(float(v)) for v in values)


def rel_close(a: float, b: float, tol: float) -> bool:
    return abs(a - b) <= tol * max(abs(a), abs(b), TINY)


def one_or_two_sided_interval(est: float, se: float, q_two: float, q_one: float,
                              alternative: str):
    """Interval with the convention of the brief (None = unbounded side)."""
    if alternative == "two-sided":
        return est - q_two * se, est + q_two * se
    if alternative == "greater":
        return est - q_one * se, None
    if alternative == "less":
        return None, est + q_one * se
    raise ValueError(alternative)


def relative_lift(est: float, control_mean: float) -> float:
    """(treatment - control) / |control|: the sign of the absolute lift is kept when the
    control mean is negative.  This is gbstats' ``frequentist_diff`` since growthbook PR
    #6658 (after gbstats 0.8.0, which divided by the signed mean); the delta-method
    variance is even in the control mean and unchanged."""
    return est / abs(control_mean)


def _fsum_products(a, b) -> float:
    # a*b is rounded per element exactly as the Swift side would do; the sum
    # itself is correctly rounded.
    return math.fsum((np.asarray(a, float) * np.asarray(b, float)).tolist())


def sum_of_products(a, b) -> float:
    return _fsum_products(a, b)


def mean_stats(x) -> dict:
    x = np.asarray(x, dtype=float)
    return {
        "n": int(x.size),
        "sum": math.fsum(x.tolist()),
        "sum_squares": sum_of_products(x, x),
    }


# --------------------------------------------------------------------------
# A. distributions
# --------------------------------------------------------------------------


def gen_distributions() -> dict:
    out = {}

    # normal cdf / sf -------------------------------------------------------
    xs = set(np.round(np.linspace(-8.0, 8.0, 321), 10).tolist())
    xs |= set(np.arange(-38.0, -8.0, 0.5).tolist())
    xs |= set(np.arange(8.5, 38.0 + 0.25, 0.5).tolist())
    rows = []
    for x in sorted(xs):
        x = float(x) + 0.0  # normalise -0.0
        cdf, sf = float(st.norm.cdf(x)), float(st.norm.sf(x))
        if cdf >= TINY or sf >= TINY:  # always true here; kept for clarity
            rows.append({"x": x, "cdf": cdf, "sf": sf})
    out["normal"] = rows

    # normal quantile -------------------------------------------------------
    ps = set(np.logspace(-300, -20, 41).tolist())
    ps |= {10.0 ** -k for k in range(300, 19, -50)}
    ps |= {10.0 ** -k for k in range(19, 3, -1)}
    ps |= set(np.round(np.linspace(0.001, 0.999, 201), 12).tolist())
    ps |= {1.0 - 10.0 ** -k for k in range(3, 17)}
    rows = []
    for p in sorted(ps):
        x = float(st.norm.ppf(p))
        if math.isfinite(x) and 0.0 < p < 1.0:
            rows.append({"p": float(p), "x": x})
    out["normal_quantile"] = rows

    # Student t -------------------------------------------------------------
    dfs = [0.5, 1, 1.5, 2, 3, 5, 10, 30, 100, 1e3, 1e4, 1e5, 1e6, 1e8, 1e10]
    tpos = [0.1, 0.5, 1, 1.96, 2.5, 4, 8, 20, 50, 1e3, 1e5]
    ts = [0.0] + [-v for v in reversed(tpos)] + tpos
    ts = sorted(set(float(v) for v in ts))
    rows = []
    for df in dfs:
        for t in ts:
            cdf, sf = float(st.t.cdf(t, df)), float(st.t.sf(t, df))
            if cdf >= TINY and sf >= TINY and math.isfinite(cdf) and math.isfinite(sf):
                rows.append({"t": t, "df": float(df), "cdf": cdf, "sf": sf})
    out["t"] = rows

    tps = [1e-12, 1e-8, 1e-5, 1e-3, 0.01, 0.025, 0.05, 0.1, 0.3, 0.5, 0.7, 0.9,
           0.95, 0.975, 0.99, 0.999, 1 - 1e-5, 1 - 1e-8]
    rows = []
    for df in dfs:
        for p in tps:
            q = float(st.t.ppf(p, df))
            if math.isfinite(q):
                rows.append({"p": float(p), "df": float(df), "t": q})
    out["t_quantile"] = rows

    # chi-square ------------------------------------------------------------
    rows = []
    mult = [0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0, 1.1, 1.25, 1.5, 2.0, 3.0, 5.0, 10.0]
    for df in [1, 2, 3, 4, 5, 9, 10, 20, 50, 100, 1000, 1e5]:
        xs = sorted(set([m * df for m in mult] + [0.001, 0.5, 3.0, 50.0, 300.0]))
        for x in xs:
            sf = float(st.chi2.sf(x, df))
            if sf >= TINY:
                rows.append({"x": float(x), "df": float(df), "sf": sf})
    out["chi2"] = rows

    # regularized incomplete gamma -----------------------------------------
    rows = []
    for a in [0.5, 1, 2.5, 10, 100, 1e4]:
        xs = {m * a for m in [0.001, 0.01, 0.1, 0.5, 0.8, 1.0, 1.25, 2.0, 5.0, 10.0]}
        xs |= {a + k * math.sqrt(a) for k in [-5, -3, -1, -0.5, 0.5, 1, 3, 5]}
        xs |= {1e-3, 1.0, 30.0}
        for x in sorted(v for v in xs if v > 0):
            p, q = float(sp.gammainc(a, x)), float(sp.gammaincc(a, x))
            if p >= TINY and q >= TINY:
                rows.append({"a": float(a), "x": float(x), "p": p, "q": q})
    out["gamma_inc"] = rows

    # regularized incomplete beta ------------------------------------------
    rows = []
    pairs = [(0.5, 0.5), (0.5, 5), (5, 0.5), (2, 3), (50, 0.5), (0.5, 5e3),
             (100, 200), (5e4, 0.5)]
    xs = [1e-6, 1e-3, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 0.999]
    for a, b in pairs:
        for x in xs:
            i = float(sp.betainc(a, b, x))
            if i >= TINY:
                rows.append({"a": float(a), "b": float(b), "x": float(x), "i": i})
    out["beta_inc"] = rows
    return out


# --------------------------------------------------------------------------
# B. comparisons
# --------------------------------------------------------------------------


def proportion_expected(n_c, conv_c, n_t, conv_t, alpha, alternative) -> dict:
    p_c, p_t = conv_c / n_c, conv_t / n_t
    est = p_t - p_c
    rel = relative_lift(est, p_c)
    v_c, v_t = p_c * (1 - p_c) / n_c, p_t * (1 - p_t) / n_t
    se = math.sqrt(v_t + v_c)
    var_rel = v_t / p_c**2 + p_t**2 * v_c / p_c**4
    z2, z1 = float(st.norm.ppf(1 - alpha / 2)), float(st.norm.ppf(1 - alpha))
    lo, hi = one_or_two_sided_interval(est, se, z2, z1, alternative)
    rlo, rhi = one_or_two_sided_interval(rel, math.sqrt(var_rel), z2, z1, alternative)
    _, pval = proportions_ztest(np.array([conv_t, conv_c]), np.array([n_t, n_c]),
                                alternative=SM_ALTERNATIVE[alternative])
    pval = float(pval)
    # independent check of the pooled z statistic
    pp = (conv_c + conv_t) / (n_c + n_t)
    z = est / math.sqrt(pp * (1 - pp) * (1 / n_c + 1 / n_t))
    chk = {"two-sided": 2 * st.norm.sf(abs(z)), "greater": st.norm.sf(z),
           "less": st.norm.cdf(z)}[alternative]
    assert rel_close(pval, float(chk), 1e-9), (pval, chk)
    return {"uplift_abs": est, "uplift_rel": rel, "ci_low": lo, "ci_high": hi,
            "rel_ci_low": rlo, "rel_ci_high": rhi, "p_value": pval}


def gen_proportion_cases(rng) -> list:
    configs = []  # (n_c, conv_c, n_t, conv_t)
    configs.append((200, 8, 800, 45))  # required case
    configs.append((800, 45, 200, 8))
    configs.append((200, 8, 800, 32))
    # small samples
    for _ in range(10):
        n_c, n_t = int(rng.integers(30, 201)), int(rng.integers(30, 201))
        p = rng.uniform(0.05, 0.6)
        lift = rng.uniform(-0.1, 0.2)
        configs.append((n_c, int(rng.binomial(n_c, p)), n_t,
                        int(rng.binomial(n_t, min(max(p + lift, 0.01), 0.99)))))
    # unequal arms 200 vs 800 and friends
    for n_c, n_t in [(200, 800), (800, 200), (1000, 9000), (50, 5000)]:
        for _ in range(2):
            p = rng.uniform(0.02, 0.3)
            configs.append((n_c, int(rng.binomial(n_c, p)), n_t,
                            int(rng.binomial(n_t, p * rng.uniform(0.9, 1.4)))))
    # medium
    for _ in range(6):
        n = int(10 ** rng.uniform(3, 6))
        p = 10 ** rng.uniform(-3, -0.4)
        configs.append((n, int(rng.binomial(n, p)), n,
                        int(rng.binomial(n, p * rng.uniform(0.95, 1.1)))))
    # huge samples
    for n in [10_000_000, 1_000_000_000]:
        for p in [0.001, 0.05, 0.5]:
            sd = math.sqrt(p * (1 - p) / n)
            configs.append((n, int(rng.binomial(n, p)), n,
                            int(rng.binomial(n, p + 1.5 * sd))))
    configs.append((1_000_000_000, 50_000_000, 1_000_000_000, 50_010_000))
    # extreme rates
    configs.append((5000, 1, 5000, 4))
    configs.append((5000, 4999, 5000, 4990))
    configs.append((100000, 99990, 100000, 99995))
    configs.append((31, 1, 37, 36))
    configs.append((2_000_000, 100_000, 2_000_000, 101_500))
    configs.append((120, 60, 60, 35))
    configs.append((1000, 200, 3000, 560))

    cases = []
    alphas = [0.05, 0.01, 0.1]
    for i, (n_c, conv_c, n_t, conv_t) in enumerate(configs):
        if not (0 < conv_c < n_c and 0 < conv_t < n_t):
            continue
        for j, alt in enumerate(ALTERNATIVES):
            alpha = alphas[(i + j) % 3]
            exp = proportion_expected(n_c, conv_c, n_t, conv_t, alpha, alt)
            if exp["p_value"] < TINY:
                continue
            cases.append({
                "control": {"n": n_c, "conversions": conv_c},
                "treatment": {"n": n_t, "conversions": conv_t},
                "alpha": alpha, "alternative": alt, "expected": exp,
            })
    return cases


def welch_expected(x_c, x_t, alpha, alternative) -> dict:
    x_c, x_t = np.asarray(x_c, float), np.asarray(x_t, float)
    n_c, n_t = x_c.size, x_t.size
    m_c, m_t = math.fsum(x_c.tolist()) / n_c, math.fsum(x_t.tolist()) / n_t
    s2_c, s2_t = float(np.var(x_c, ddof=1)), float(np.var(x_t, ddof=1))
    v_c, v_t = s2_c / n_c, s2_t / n_t
    se = math.sqrt(v_c + v_t)
    df = (v_c + v_t) ** 2 / (v_c**2 / (n_c - 1) + v_t**2 / (n_t - 1))
    res = st.ttest_ind(x_t, x_c, equal_var=False, alternative=alternative)
    assert rel_close(float(res.df), df, 1e-9), (res.df, df)
    est = m_t - m_c
    q2, q1 = float(st.t.ppf(1 - alpha / 2, df)), float(st.t.ppf(1 - alpha, df))
    lo, hi = one_or_two_sided_interval(est, se, q2, q1, alternative)
    ci = res.confidence_interval(confidence_level=1 - alpha)
    for mine, theirs in ((lo, ci.low), (hi, ci.high)):
        if mine is None:
            assert not math.isfinite(theirs)
        else:
            assert abs(mine - theirs) <= 1e-8 * max(abs(est), se), (mine, theirs)
    rel = relative_lift(est, m_c)
    var_rel = s2_t / (n_t * m_c**2) + s2_c * m_t**2 / (n_c * m_c**4)
    rlo, rhi = one_or_two_sided_interval(rel, math.sqrt(var_rel), q2, q1, alternative)
    return {"uplift_abs": est, "uplift_rel": rel, "ci_low": lo, "ci_high": hi,
            "rel_ci_low": rlo, "rel_ci_high": rhi, "p_value": float(res.pvalue),
            "df": df}


def gen_mean_cases(rng) -> list:
    def normal(mu, sd):
        return lambda n: rng.normal(mu, sd, n)

    def lognormal(mu, sigma):
        return lambda n: rng.lognormal(mu, sigma, n)

    def revenue(p_buy, mu, sigma):
        # zero-inflated lognormal: most users buy nothing
        return lambda n: rng.binomial(1, p_buy, n) * rng.lognormal(mu, sigma, n)

    def rounded(gen, digits=2):
        return lambda n: np.round(gen(n), digits)

    # (n_c, n_t, control generator, treatment generator)
    scen = [
        (5, 5, normal(10, 2), normal(12, 2)),
        (5, 9, normal(10, 1), normal(10.5, 4)),
        (8, 6, normal(-3, 1), normal(-2, 0.5)),
        (12, 30, lognormal(1, 0.5), lognormal(1.2, 0.5)),
        (30, 30, normal(100, 15), normal(103, 15)),
        (40, 200, normal(50, 5), normal(50.5, 25)),
        (200, 40, normal(50, 25), normal(49, 5)),
        (100, 100, normal(1000, 1), normal(1000.2, 1)),
        (5000, 5000, normal(1000, 1), normal(1000.01, 1.1)),
        (200000, 200000, normal(1000, 1), normal(1000.005, 1)),
        (1000, 1000, lognormal(3, 1), lognormal(3.05, 1)),
        (2000, 1000, lognormal(2, 1.5), lognormal(2, 1.5)),
        (10000, 10000, revenue(0.05, 3, 1), revenue(0.055, 3, 1)),
        (50000, 20000, revenue(0.03, 4, 1.2), revenue(0.03, 4.1, 1.2)),
        (200000, 150000, revenue(0.1, 2, 1), revenue(0.102, 2, 1)),
        (200000, 200000, rounded(revenue(0.02, 3.5, 1.1)), rounded(revenue(0.021, 3.5, 1.1))),
        (100000, 100000, normal(0.5, 0.1), normal(0.5005, 0.1)),
        (20, 20000, normal(7, 3), normal(7.5, 3)),
        (20000, 20, normal(7, 3), normal(6, 3)),
        (500, 500, normal(1e6, 1e3), normal(1e6 + 50, 1e3)),
        (1000, 3000, normal(1e-3, 1e-4), normal(1.02e-3, 1.1e-4)),
        (300, 300, normal(5, 1), normal(5, 1)),
        (60000, 60000, lognormal(0, 2), lognormal(0.02, 2)),
        (150, 120, rounded(lognormal(4, 0.8)), rounded(lognormal(4.1, 0.8))),
        (7, 200000, normal(20, 4), normal(21, 6)),
        (100000, 6, normal(20, 4), normal(25, 2)),
        (2500, 2500, revenue(0.3, 1, 0.5), revenue(0.35, 1, 0.5)),
    ]
    cases = []
    alphas = [0.05, 0.01, 0.1]
    for i, (n_c, n_t, gc, gt) in enumerate(scen):
        x_c, x_t = gc(n_c), gt(n_t)
        for j, alt in enumerate(ALTERNATIVES):
            alpha = alphas[(i + j) % 3]
            exp = welch_expected(x_c, x_t, alpha, alt)
            if exp["p_value"] < TINY or abs(sum(x_c)) == 0:
                continue
            cases.append({"control": mean_stats(x_c), "treatment": mean_stats(x_t),
                          "alpha": alpha, "alternative": alt, "expected": exp})
    return cases


def ratio_arm_stats(num, den) -> dict:
    num, den = np.asarray(num, float), np.asarray(den, float)
    return {
        "n": int(num.size),
        "sum_num": math.fsum(num.tolist()),
        "sum_num_sq": sum_of_products(num, num),
        "sum_den": math.fsum(den.tolist()),
        "sum_den_sq": sum_of_products(den, den),
        "sum_num_den": sum_of_products(num, den),
    }


def ratio_var(num, den):
    """Delta-method variance of sum(num)/sum(den), from raw data."""
    num, den = np.asarray(num, float), np.asarray(den, float)
    n = num.size
    r = math.fsum(num.tolist()) / math.fsum(den.tolist())
    c = np.cov(num, den, ddof=1)
    var = (c[0, 0] - 2 * r * c[0, 1] + r * r * c[1, 1]) / (n * np.mean(den) ** 2)
    # cross-check with gbstats' RatioStatistic (per-unit variance / n)
    s = ratio_arm_stats(num, den)
    g = RatioStatistic(
        n=n,
        m_statistic=SampleMeanStatistic(n=n, sum=s["sum_num"], sum_squares=s["sum_num_sq"]),
        d_statistic=SampleMeanStatistic(n=n, sum=s["sum_den"], sum_squares=s["sum_den_sq"]),
        m_d_sum_of_products=s["sum_num_den"],
    )
    assert rel_close(float(g.variance) / n, float(var), 1e-6), (g.variance / n, var)
    assert rel_close(float(g.mean), r, 1e-14)
    return r, float(var)


def ratio_expected(num_c, den_c, num_t, den_t, alpha) -> dict:
    r_c, var_c = ratio_var(num_c, den_c)
    r_t, var_t = ratio_var(num_t, den_t)
    est = r_t - r_c
    se = math.sqrt(var_t + var_c)
    z = float(st.norm.ppf(1 - alpha / 2))
    rel = relative_lift(est, r_c)
    se_rel = math.sqrt(var_t / r_c**2 + r_t**2 * var_c / r_c**4)
    return {"uplift_abs": est, "uplift_rel": rel,
            "ci_low": est - z * se, "ci_high": est + z * se,
            "rel_ci_low": rel - z * se_rel, "rel_ci_high": rel + z * se_rel,
            "p_value": float(2 * st.norm.sf(abs(est) / se))}


def gen_ratio_cases(rng) -> list:
    def orders_revenue(lam, mu, sigma):
        # denominator: orders per user; numerator: revenue summed over orders
        def g(n):
            orders = rng.poisson(lam, n).astype(float)
            rev = np.array([rng.lognormal(mu, sigma, int(k)).sum() if k else 0.0
                            for k in orders])
            return np.round(rev, 2), orders
        return g

    def clicks_sessions(sess_mean, ctr):
        def g(n):
            sessions = 1.0 + rng.poisson(sess_mean - 1, n)
            clicks = rng.binomial(sessions.astype(int), ctr).astype(float)
            return clicks, sessions
        return g

    def continuous(mu_d, sd_d, slope, noise):
        def g(n):
            d = np.abs(rng.normal(mu_d, sd_d, n)) + 0.1
            m = slope * d + rng.normal(0, noise, n)
            return m, d
        return g

    scen = []
    for n_c, n_t in [(50, 50), (80, 300), (1000, 1000), (5000, 4000), (30000, 30000)]:
        scen.append((n_c, n_t, orders_revenue(1.2, 3, 0.8), orders_revenue(1.25, 3.05, 0.8)))
        scen.append((n_c, n_t, clicks_sessions(4, 0.1), clicks_sessions(4, 0.105)))
        scen.append((n_c, n_t, continuous(10, 3, 2, 1), continuous(10, 3, 2.03, 1)))
    for n_c, n_t in [(100000, 100000), (200, 20000), (20000, 200)]:
        scen.append((n_c, n_t, orders_revenue(0.3, 3.5, 1), orders_revenue(0.31, 3.5, 1)))
        scen.append((n_c, n_t, clicks_sessions(2.5, 0.3), clicks_sessions(2.5, 0.3)))
        scen.append((n_c, n_t, continuous(100, 10, 0.5, 4), continuous(100, 10, 0.49, 4)))
    for n_c, n_t in [(400, 400), (3000, 6000), (150, 150)]:
        scen.append((n_c, n_t, orders_revenue(2.0, 2, 1.5), orders_revenue(1.9, 2, 1.5)))
        scen.append((n_c, n_t, continuous(1, 0.2, -3, 0.5), continuous(1, 0.2, -3.2, 0.5)))
        scen.append((n_c, n_t, clicks_sessions(10, 0.02), clicks_sessions(10, 0.025)))

    cases = []
    alphas = [0.05, 0.01, 0.1]
    for i, (n_c, n_t, gc, gt) in enumerate(scen):
        num_c, den_c = gc(n_c)
        num_t, den_t = gt(n_t)
        if den_c.sum() == 0 or den_t.sum() == 0 or num_c.sum() == 0:
            continue
        alpha = alphas[i % 3]
        exp = ratio_expected(num_c, den_c, num_t, den_t, alpha)
        if exp["p_value"] < TINY:
            continue
        cases.append({"control": ratio_arm_stats(num_c, den_c),
                      "treatment": ratio_arm_stats(num_t, den_t),
                      "alpha": alpha, "expected": exp})
    return cases


def gen_multiple_testing(rng) -> list:
    lists = [
        [0.03],
        [0.0],
        [1.0],
        [0.01, 0.04],
        [0.04, 0.04],
        [0.5, 0.5, 0.5],
        [1e-10, 0.2, 0.99999, 1.0],
        [0.01, 0.02, 0.03, 0.04, 0.05],
        [0.05, 0.04, 0.03, 0.02, 0.01],
        [0.001, 0.001, 0.001, 0.8, 0.8, 0.9],
        [1e-300, 1e-200, 1e-16, 0.5, 0.9999999],
        [0.0, 0.0, 0.049, 0.051, 1.0, 1.0, 0.3],
        [0.2] * 12,
        [0.012, 0.5, 0.012, 0.7, 0.9, 0.012, 0.03, 0.04, 0.99, 1.0, 0.0001, 0.5],
    ]
    for k in [2, 3, 4, 6, 7, 8, 9, 10, 11, 12]:
        v = rng.uniform(0, 1, k) ** rng.choice([1, 3, 6])
        if k % 3 == 0:
            v[: k // 2] = np.round(v[: k // 2], 2)  # ties after rounding
            v[1] = v[0]
        lists.append([float(x) for x in v])
    cases = []
    for p in lists:
        holm = multipletests(p, method="holm")[1]
        bh = multipletests(p, method="fdr_bh")[1]
        cases.append({"p_values": [float(x) for x in p], "holm": holm, "bh": bh})
    return cases


def gen_srm(rng) -> list:
    specs = [
        ([5000, 5210], [0.5, 0.5]),
        ([5000, 5000], [0.5, 0.5]),
        ([10000, 10211], [0.5, 0.5]),
        ([8003, 1997], [0.8, 0.2]),
        ([8100, 1900], [0.8, 0.2]),
        ([897, 103], [0.9, 0.1]),
        ([1, 0], [0.5, 0.5]),
        ([3, 7], [0.5, 0.5]),
        ([100_000_000, 100_010_000], [0.5, 0.5]),
        ([100_000_000, 100_100_000], [0.5, 0.5]),
        ([160_000_000, 40_002_000], [0.8, 0.2]),
        ([3334, 3333, 3333], [1 / 3, 1 / 3, 1 / 3]),
        ([3400, 3300, 3300], [1 / 3, 1 / 3, 1 / 3]),
        ([5000, 2500, 2600], [0.5, 0.25, 0.25]),
        ([2500, 2500, 2500, 2600], [0.25, 0.25, 0.25, 0.25]),
        ([100, 200, 300, 400, 500], [0.1, 0.15, 0.2, 0.25, 0.3]),
        ([1000, 1000, 1000, 1000, 1000, 1100], [1 / 6] * 6),
        ([50_000_000] * 5 + [50_001_000], [1 / 6] * 6),
        ([7000, 1010, 990, 1000], [0.7, 0.1, 0.1, 0.1]),
        ([13, 7], [0.6, 0.4]),
    ]
    for K in [2, 2, 3, 3, 4, 4, 5, 5, 6, 6]:
        w = rng.dirichlet(np.full(K, 5.0))
        w = w / math.fsum(w.tolist())
        total = int(10 ** rng.uniform(3, 8))
        mis = w * rng.uniform(0.995, 1.005, K)
        obs = rng.multinomial(total, mis / mis.sum())
        specs.append(([int(o) for o in obs], [float(x) for x in w]))
    cases = []
    for obs, w in specs:
        obs = np.asarray(obs, dtype=float)
        w = np.asarray(w, dtype=float)
        f_exp = w * obs.sum()
        res = st.chisquare(obs, f_exp=f_exp)
        chi2 = float(res.statistic)
        # independent recomputation with fsum
        chk = math.fsum(((obs - f_exp) ** 2 / f_exp).tolist())
        assert rel_close(chi2, chk, 1e-9) or abs(chi2 - chk) < 1e-12, (chi2, chk)
        if float(res.pvalue) < TINY:
            continue
        cases.append({"observed": [int(o) for o in obs], "weights": [float(x) for x in w],
                      "chi2": chi2, "p_value": float(res.pvalue)})
    return cases


def synthetic_mean_stats(rng, n: int, mu: float, sd: float) -> dict:
    """Sufficient statistics of a hypothetical sample of size n, drawn exactly."""
    xbar = rng.normal(mu, sd / math.sqrt(n))
    s2 = sd * sd * rng.chisquare(n - 1) / (n - 1)
    s = float(n * xbar)
    ss = float((n - 1) * s2 + s * s / n)
    return {"n": int(n), "sum": s, "sum_squares": ss}


def gen_sequential(rng) -> list:
    cases = []
    combos = [(tau, a) for tau in (5000, 1000, 50000) for a in (0.05, 0.1)]
    for i in range(42):
        tau, alpha = combos[i % len(combos)]
        n_c = int(10 ** rng.uniform(2, 6))
        n_t = int(n_c * rng.uniform(0.5, 2.0)) if i % 4 else n_c
        n_t = max(100, min(n_t, 1_000_000))
        mu = float(rng.choice([0.05, 1.0, 10.0, 250.0]))
        sd = mu * float(rng.uniform(0.3, 3.0))
        se = sd * math.sqrt(1 / n_c + 1 / n_t)
        effect = float(rng.choice([0.0, 2.0, 4.0, 5.5, 7.0, -5.0])) * se
        c = synthetic_mean_stats(rng, n_c, mu, sd)
        t = synthetic_mean_stats(rng, n_t, mu + effect, sd * rng.uniform(0.8, 1.2))
        cfg = SequentialConfig(difference_type="absolute", alpha=alpha,
                               sequential_tuning_parameter=tau)
        test = SequentialTwoSidedTTest(
            SampleMeanStatistic(n=c["n"], sum=c["sum"], sum_squares=c["sum_squares"]),
            SampleMeanStatistic(n=t["n"], sum=t["sum"], sum_squares=t["sum_squares"]),
            cfg,
        )
        r = test.compute_result()
        assert r.error_message is None, r.error_message
        exp = {"uplift_abs": float(r.expected), "ci_low": float(r.ci[0]),
               "ci_high": float(r.ci[1]), "p_value": float(r.p_value)}
        if not all_finite(*exp.values()) or exp["p_value"] < TINY:
            continue
        cases.append({"control": c, "treatment": t, "alpha": alpha, "tuning": float(tau),
                      "expected": exp})
    return cases


def gen_bayesian(rng) -> list:
    specs = [
        (0.01, 0.005, None), (-0.01, 0.005, None), (0.0, 1.0, None),
        (0.002, 0.001, None), (3.0, 2.0, None), (-0.5, 0.1, None),
        (1e-4, 3e-5, None), (12.0, 4.0, None),
        (0.01, 0.005, (0.0, 0.01)), (0.01, 0.005, (0.0, 0.001)),
        (-0.02, 0.01, (0.0, 0.05)), (0.3, 0.2, (0.1, 0.1)),
        (5.0, 1.0, (0.0, 100.0)), (-1.0, 0.4, (0.5, 0.3)),
        (0.0, 0.02, (0.01, 0.02)), (2e-3, 1e-3, (0.0, 5e-4)),
        (50.0, 20.0, (-10.0, 10.0)), (0.05, 0.01, (0.0, 1.0)),
        (-0.003, 0.002, (0.001, 0.002)), (0.7, 0.25, None),
    ]
    alphas = [0.05, 0.1, 0.01]
    cases = []
    for i, (d, se, prior) in enumerate(specs):
        alpha = alphas[i % 3]
        if prior is None:
            pm, psd = d, se
        else:
            m0, s0 = prior
            prec = 1 / se**2 + 1 / s0**2
            pm = (d / se**2 + m0 / s0**2) / prec
            psd = math.sqrt(1 / prec)
        lo = float(st.norm.ppf(alpha / 2, loc=pm, scale=psd))
        hi = float(st.norm.ppf(1 - alpha / 2, loc=pm, scale=psd))
        ctw = float(st.norm.sf(0.0, loc=pm, scale=psd))
        # expected loss E[max(0, -lift)] by numerical integration in the
        # standardised variable u = (lift - pm)/psd over u < -pm/psd
        c = -pm / psd
        integrand = lambda u: (-(pm + psd * u)) * math.exp(-0.5 * u * u) / math.sqrt(2 * math.pi)
        lower = min(c, 0.0) - 40.0
        loss, _ = scipy.integrate.quad(integrand, lower, c, epsabs=0.0, epsrel=1e-13,
                                       limit=500)
        closed = psd * st.norm.pdf(pm / psd) - pm * st.norm.cdf(-pm / psd)
        if abs(pm / psd) < 3:
            assert rel_close(loss, closed, 1e-10), (loss, closed)
        else:
            assert rel_close(loss, closed, 1e-5), (loss, closed)
        cases.append({
            "estimate": d, "std_error": se,
            "prior": None if prior is None else {"mean": prior[0], "sd": prior[1]},
            "alpha": alpha,
            "expected": {"post_mean": pm, "post_sd": psd, "ci_low": lo, "ci_high": hi,
                         "chance_to_win": ctw, "expected_loss": float(loss)},
        })
    return cases


def gbstats_relative_of_negated(c: dict, t: dict, alpha: float, tuning=None):
    """gbstats 0.8.0's relative lift and two-sided interval for the negated data, mapped back.

    gbstats 0.8.0 divides by the signed control mean.  Negating every value (sum -> -sum,
    sum of squares unchanged: exact in floating point) makes the control mean positive,
    where both conventions agree, and (t - c)/|c| is odd under negation.  So the
    |control| answer for the original data is minus gbstats' answer for the negated data,
    with the interval negated and reversed.  `tuning` selects the always-valid test.
    """
    a = SampleMeanStatistic(n=c["n"], sum=-c["sum"], sum_squares=c["sum_squares"])
    b = SampleMeanStatistic(n=t["n"], sum=-t["sum"], sum_squares=t["sum_squares"])
    if tuning is None:
        test = TwoSidedTTest(a, b, FrequentistConfig(difference_type="relative", alpha=alpha))
    else:
        test = SequentialTwoSidedTTest(a, b, SequentialConfig(
            difference_type="relative", alpha=alpha, sequential_tuning_parameter=tuning))
    r = test.compute_result()
    assert r.error_message is None, r.error_message
    return -float(r.expected), -float(r.ci[1]), -float(r.ci[0])


def gen_negative_control(rng) -> list:
    """Means with a negative control mean (profit, a net balance).  Expected values as for
    `mean` (scipy on the raw data) with the relative lift divided by |control mean|, so its
    sign is the absolute lift's.  Every two-sided relative interval is cross-checked against
    gbstats (see gbstats_relative_of_negated); two-sided rows also carry gbstats' always-valid
    relative interval (tau = 5000)."""
    scen = [  # (n_c, n_t, control mean, sd, treatment mean, sd)
        (1000, 1000, -10.0, 4.0, -5.0, 4.0),     # up: about +50%
        (1000, 1200, -10.0, 4.0, -15.0, 5.0),    # down: about -50%
        (500, 500, -2.0, 3.0, 3.0, 3.0),         # crosses zero: about +250%
        (60, 80, -100.0, 30.0, -90.0, 30.0),
        (20000, 20000, -0.5, 2.0, -0.48, 2.0),
    ]
    alphas = [0.05, 0.1, 0.01]
    cases = []
    for i, (n_c, n_t, mu_c, sd_c, mu_t, sd_t) in enumerate(scen):
        x_c, x_t = rng.normal(mu_c, sd_c, n_c), rng.normal(mu_t, sd_t, n_t)
        c, t = mean_stats(x_c), mean_stats(x_t)
        assert c["sum"] < 0
        for j, alt in enumerate(ALTERNATIVES):
            alpha = alphas[(i + j) % 3]
            exp = welch_expected(x_c, x_t, alpha, alt)
            assert np.sign(exp["uplift_rel"]) == np.sign(exp["uplift_abs"])
            two = welch_expected(x_c, x_t, alpha, "two-sided")
            width = two["rel_ci_high"] - two["rel_ci_low"]
            theirs = gbstats_relative_of_negated(c, t, alpha)
            for mine, ref in zip((two["uplift_rel"], two["rel_ci_low"], two["rel_ci_high"]), theirs):
                assert abs(mine - ref) <= 1e-9 * max(abs(ref), width), (mine, ref)
            case = {"control": c, "treatment": t, "alpha": alpha, "alternative": alt,
                    "expected": exp}
            if alt == "two-sided":
                rel, lo, hi = gbstats_relative_of_negated(c, t, alpha, tuning=5000.0)
                case["sequential"] = {"tuning": 5000.0, "uplift_rel": rel,
                                      "rel_ci_low": lo, "rel_ci_high": hi}
            cases.append(case)
    return cases


def gen_comparisons() -> dict:
    return {
        "proportion": gen_proportion_cases(np.random.default_rng(1001)),
        "mean": gen_mean_cases(np.random.default_rng(1002)),
        "ratio": gen_ratio_cases(np.random.default_rng(1003)),
        "multiple_testing": gen_multiple_testing(np.random.default_rng(1004)),
        "srm": gen_srm(np.random.default_rng(1005)),
        "sequential": gen_sequential(np.random.default_rng(1006)),
        "bayesian": gen_bayesian(np.random.default_rng(1007)),
        "negative_control": gen_negative_control(np.random.default_rng(1010)),
    }


# --------------------------------------------------------------------------
# C. power
# --------------------------------------------------------------------------


def prop_total_n(p1, mde_abs, alpha, power, s, vr=0.0) -> float:
    p2 = p1 + mde_abs
    pbar = (1 - s) * p1 + s * p2
    za, zb = st.norm.ppf(1 - alpha / 2), st.norm.ppf(power)
    a = za * math.sqrt(pbar * (1 - pbar) * (1 / s + 1 / (1 - s)))
    b = zb * math.sqrt(p1 * (1 - p1) / (1 - s) + p2 * (1 - p2) / s)
    return float((a + b) ** 2 / mde_abs**2 * (1 - vr))


def classic_per_group(p1, p2, alpha, power) -> float:
    """power.prop.test style per-group n (equal allocation)."""
    za, zb = st.norm.ppf(1 - alpha / 2), st.norm.ppf(power)
    pbar = (p1 + p2) / 2
    d = p2 - p1
    return float((za * math.sqrt(2 * pbar * (1 - pbar))
                  + zb * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))) ** 2 / d**2)


def near_integer(x: float) -> bool:
    return abs(x - round(x)) < 1e-6


def sizes(N: float, s: float):
    c, t = (1 - s) * N, s * N
    if near_integer(c) or near_integer(t):
        return None  # ceil() would be ambiguous at double precision
    c, t = math.ceil(c), math.ceil(t)
    return {"control_size": c, "treatment_size": t, "total_sample_size": c + t,
            "n_exact": N}


SEED_ROWS = [(0.05, 0.005, 12568), (0.05, 0.01, 3142), (0.05, 0.02, 786),
             (0.10, 0.01, 6284), (0.10, 0.02, 1571)]


def gen_power() -> dict:
    prop = []

    def add_prop(baseline, mde, relative, alpha, power, s, vr):
        mde_abs = mde * baseline if relative else mde
        if not (0 < baseline + mde_abs < 1):
            return
        N = prop_total_n(baseline, mde_abs, alpha, power, s, vr)
        if s == 0.5:
            n1 = classic_per_group(baseline, baseline + mde_abs, alpha, power)
            assert rel_close(N / 2, n1 * (1 - vr), 1e-12), (N / 2, n1)
        e = sizes(N, s)
        if e is None:
            return
        prop.append({"baseline": baseline, "mde": mde, "relative": relative,
                     "alpha": alpha, "power": power, "treatment_rate": s,
                     "variance_reduction": vr, "expected": e})

    for b, m, _ in SEED_ROWS:
        add_prop(b, m, False, 0.05, 0.8, 0.5, 0.0)
    grid = [
        (0.01, 0.1, True), (0.01, 0.002, False), (0.05, 0.05, True), (0.05, 0.2, True),
        (0.1, 0.01, False), (0.2, 0.03, False), (0.3, 0.05, True), (0.5, 0.01, False),
        (0.5, 0.02, False), (0.8, 0.02, False), (0.9, 0.05, False), (0.001, 0.5, True),
        (0.03, 0.1, True), (0.15, 0.1, True),
    ]
    settings = [(0.05, 0.8, 0.5, 0.0), (0.05, 0.8, 0.2, 0.0), (0.01, 0.9, 0.8, 0.0),
                (0.1, 0.8, 0.9, 0.3), (0.05, 0.9, 0.5, 0.5)]
    for gi, (b, m, rel) in enumerate(grid):
        for k, (alpha, power, s, vr) in enumerate(settings):
            if (gi + k) % 5 == 4:
                continue  # keep the table to ~60 rows
            add_prop(b, m, rel, alpha, power, s, vr)

    # inverse: mde from total N ------------------------------------------
    mde_cases = []
    inv_specs = [
        (0.05, 10000, 0.05, 0.8, 0.5, 0.0), (0.05, 62468, 0.05, 0.8, 0.5, 0.0),
        (0.05, 1000, 0.05, 0.8, 0.5, 0.0), (0.10, 5000, 0.05, 0.8, 0.5, 0.0),
        (0.01, 100000, 0.05, 0.8, 0.5, 0.0), (0.01, 1_000_000, 0.01, 0.9, 0.5, 0.0),
        (0.3, 2000, 0.1, 0.8, 0.2, 0.0), (0.5, 400, 0.05, 0.8, 0.5, 0.0),
        (0.5, 50000, 0.05, 0.9, 0.9, 0.0), (0.2, 20000, 0.05, 0.8, 0.8, 0.25),
        (0.02, 300000, 0.05, 0.8, 0.1, 0.0), (0.001, 10_000_000, 0.05, 0.8, 0.5, 0.0),
        (0.8, 3000, 0.05, 0.8, 0.5, 0.0), (0.05, 200000, 0.05, 0.95, 0.5, 0.4),
        (0.15, 12000, 0.01, 0.8, 0.3, 0.0), (0.07, 80000, 0.1, 0.7, 0.5, 0.1),
        (0.4, 600, 0.05, 0.8, 0.5, 0.0), (0.03, 100_000_000, 0.05, 0.8, 0.5, 0.0),
        (0.6, 150, 0.05, 0.8, 0.5, 0.0), (0.25, 40000, 0.05, 0.8, 0.6, 0.2),
    ]
    for b, N, alpha, power, s, vr in inv_specs:
        f = lambda m: prop_total_n(b, m, alpha, power, s, vr) - N
        hi = (1 - b) * (1 - 1e-12)
        if f(hi) > 0:
            continue  # no positive mde reaches this N
        m = scipy.optimize.brentq(f, 1e-12, hi, xtol=1e-300, rtol=4 * np.finfo(float).eps,
                                  maxiter=500)
        assert rel_close(prop_total_n(b, m, alpha, power, s, vr), N, 1e-10)
        mde_cases.append({"baseline": b, "total_sample_size": N, "alpha": alpha,
                          "power": power, "treatment_rate": s, "variance_reduction": vr,
                          "expected": {"mde_abs": m}})

    # mean ----------------------------------------------------------------
    mean_cases = []
    mean_specs = [
        (1.0, 0.1, 0.05, 0.8, 0.5, 0.0), (1.0, 0.2, 0.05, 0.9, 0.5, 0.0),
        (10.0, 0.5, 0.05, 0.8, 0.5, 0.0), (10.0, 0.5, 0.01, 0.8, 0.2, 0.0),
        (25.0, 1.0, 0.1, 0.8, 0.9, 0.0), (100.0, 3.0, 0.05, 0.8, 0.5, 0.3),
        (100.0, 5.0, 0.05, 0.8, 0.5, 0.0), (0.5, 0.01, 0.05, 0.95, 0.5, 0.0),
        (3.7, 0.37, 0.05, 0.8, 0.8, 0.5), (42.0, 0.7, 0.01, 0.9, 0.5, 0.2),
        (1e3, 10.0, 0.05, 0.8, 0.1, 0.0), (0.01, 1e-4, 0.05, 0.8, 0.5, 0.0),
        (5.0, 5.0, 0.05, 0.8, 0.5, 0.0), (2.0, 0.05, 0.1, 0.7, 0.4, 0.1),
        (15.0, 0.3, 0.05, 0.8, 0.5, 0.6), (7.5, 0.25, 0.02, 0.85, 0.3, 0.0),
        (1.0, 0.001, 0.05, 0.8, 0.5, 0.0), (60.0, 2.0, 0.05, 0.99, 0.5, 0.0),
        (9.0, 1.5, 0.2, 0.6, 0.7, 0.0), (300.0, 12.0, 0.05, 0.8, 0.75, 0.35),
    ]
    for sd, mde, alpha, power, s, vr in mean_specs:
        za, zb = st.norm.ppf(1 - alpha / 2), st.norm.ppf(power)
        N = float((za + zb) ** 2 * sd**2 * (1 / s + 1 / (1 - s)) / mde**2 * (1 - vr))
        e = sizes(N, s)
        if e is None:
            continue
        mean_cases.append({"std_dev": sd, "mde": mde, "alpha": alpha, "power": power,
                           "treatment_rate": s, "variance_reduction": vr, "expected": e})

    seed_table = []
    for b, m, claimed in SEED_ROWS:
        e = sizes(prop_total_n(b, m, 0.05, 0.8, 0.5, 0.0), 0.5)
        seed_table.append({"baseline": b, "mde": m,
                           "total_sample_size": e["total_sample_size"],
                           "seed_claimed": claimed})
    return {"proportion": prop, "proportion_mde": mde_cases, "mean": mean_cases,
            "seed_table": seed_table}


# --------------------------------------------------------------------------
# D. CUPED / regression adjustment
# --------------------------------------------------------------------------


def cuped_arm_stats(y, X) -> dict:
    y = np.asarray(y, float)
    X = np.asarray(X, float)
    k = X.shape[1]
    return {
        "n": int(y.size),
        "sum_y": math.fsum(y.tolist()),
        "sum_yy": sum_of_products(y, y),
        "sum_x": [math.fsum(X[:, j].tolist()) for j in range(k)],
        "sum_xy": [sum_of_products(X[:, j], y) for j in range(k)],
        "sum_xx": [[sum_of_products(X[:, i], X[:, j]) for j in range(k)] for i in range(k)],
    }


def cuped_expected(y_c, X_c, y_t, X_t, alpha=0.05) -> dict:
    y_c, y_t = np.asarray(y_c, float), np.asarray(y_t, float)
    X_c, X_t = np.asarray(X_c, float), np.asarray(X_t, float)
    k = X_c.shape[1]
    n_c, n_t = y_c.size, y_t.size

    def centered(y, X):
        Xc = X - X.mean(axis=0)
        yc = y - y.mean()
        return Xc.T @ Xc, Xc.T @ yc

    Sxx_c, Sxy_c = centered(y_c, X_c)
    Sxx_t, Sxy_t = centered(y_t, X_t)
    theta = np.linalg.solve(Sxx_c + Sxx_t, Sxy_c + Sxy_t)

    # OLS y ~ 1 + T + X on the raw data
    y = np.concatenate([y_c, y_t])
    T = np.concatenate([np.zeros(n_c), np.ones(n_t)])
    X = np.vstack([X_c, X_t])
    design = np.column_stack([np.ones_like(y), T, X])
    fit = sm.OLS(y, design).fit()
    coef = float(fit.params[1])
    assert np.allclose(fit.params[2:], theta, rtol=1e-7, atol=1e-10 * np.abs(theta).max()), \
        (fit.params[2:], theta)

    xbar = X.mean(axis=0)
    adj_c = float(y_c.mean() - theta @ (X_c.mean(axis=0) - xbar))
    adj_t = float(y_t.mean() - theta @ (X_t.mean(axis=0) - xbar))
    est = adj_t - adj_c
    assert abs(est - coef) <= 1e-8 * max(1.0, abs(coef)) * max(1.0, np.abs(y).max()), (est, coef)

    def adj_var(y, X):
        C = np.cov(np.column_stack([y, X]), rowvar=False, ddof=1)
        s2y, cxy, Cxx = C[0, 0], C[0, 1:], C[1:, 1:]
        return float((s2y - 2 * theta @ cxy + theta @ Cxx @ theta) / y.size), float(s2y)

    av_c, s2_c = adj_var(y_c, X_c)
    av_t, s2_t = adj_var(y_t, X_t)
    se = math.sqrt(av_c + av_t)
    vr = 1 - (av_t + av_c) / (s2_t / n_t + s2_c / n_c)
    z = float(st.norm.ppf(1 - alpha / 2))
    # relative lift against the adjusted control mean, delta method on the adjusted means
    rel = relative_lift(est, adj_c)
    se_rel = math.sqrt(av_t / adj_c**2 + adj_t**2 * av_c / adj_c**4)
    return {
        "ols_treatment_coef": coef,
        "theta": [float(v) for v in theta],
        "adjusted_control_mean": adj_c,
        "adjusted_treatment_mean": adj_t,
        "std_error": se,
        "variance_reduction": vr,
        "ci_low": coef - z * se,
        "ci_high": coef + z * se,
        "p_value": float(2 * st.norm.sf(abs(coef) / se)),
        "uplift_rel": rel,
        "rel_ci_low": rel - z * se_rel,
        "rel_ci_high": rel + z * se_rel,
        "_est": est,
    }


def gen_cuped(rng) -> list:
    specs = [  # (k, n_c, n_t, tau, noise_sd, x_mean)
        (1, 50, 50, 0.5, 1.0, 0.0),
        (1, 2000, 2000, 0.1, 1.0, 10.0),
        (1, 20000, 15000, 0.02, 2.0, 100.0),
        (2, 300, 700, 0.3, 1.0, 5.0),
        (2, 5000, 5000, 0.0, 0.5, 0.0),
        (3, 120, 80, 1.0, 2.0, 1.0),
        (3, 10000, 20000, 0.05, 1.0, 3.0),
        (5, 500, 500, 0.2, 1.0, 0.0),
        (5, 8000, 4000, 0.03, 0.8, 2.0),
        (12, 400, 600, 0.4, 1.0, 0.5),
        (12, 20000, 20000, 0.01, 1.0, 1.0),
        (2, 60, 1000, -0.4, 1.5, 20.0),
    ]
    cases = []
    for k, n_c, n_t, tau, noise, xm in specs:
        A = rng.normal(0, 1, (k, k)) / math.sqrt(k)
        cov = A @ A.T + np.diag(rng.uniform(0.3, 1.0, k))
        L = np.linalg.cholesky(cov)
        beta = rng.normal(0, 1, k)
        a = rng.uniform(-2, 5)
        mean_x = xm + rng.normal(0, 1, k)

        def draw(n, treated):
            X = mean_x + rng.normal(0, 1, (n, k)) @ L.T
            y = a + tau * treated + X @ beta + rng.normal(0, noise, n)
            return y, X

        y_c, X_c = draw(n_c, 0.0)
        y_t, X_t = draw(n_t, 1.0)
        exp = cuped_expected(y_c, X_c, y_t, X_t)
        exp.pop("_est")
        cases.append({"control": cuped_arm_stats(y_c, X_c),
                      "treatment": cuped_arm_stats(y_t, X_t), "alpha": 0.05,
                      "expected": exp})
    # most cases have a negative adjusted control mean: the relative lift divides by |c|
    assert sum(c["expected"]["adjusted_control_mean"] < 0 for c in cases) >= 6
    return cases


# --------------------------------------------------------------------------
# D'. analyze_small.csv + expected results
# --------------------------------------------------------------------------


def gen_analyze_small(rng):
    n = 3000
    arm_names = np.array(["control", "treatment", "variant_b"])
    arms = arm_names[rng.choice(3, size=n, p=[0.4, 0.4, 0.2])]
    # pre-period covariates
    x1 = np.round(rng.lognormal(2.5, 0.8, n), 2)                    # pre-period revenue
    x2 = rng.poisson(3 + 0.1 * x1).astype(float)                      # pre-period sessions
    x3 = np.round(rng.normal(0, 1, n) + 0.3 * np.log1p(x1), 4)       # engagement score
    lift = np.where(arms == "treatment", 0.08, np.where(arms == "variant_b", -0.03, 0.0))
    logit = -2.2 + 0.35 * np.log1p(x1) + 0.05 * x2 + 0.2 * x3 + 3.0 * lift
    p = 1 / (1 + np.exp(-logit))
    converted = rng.binomial(1, p)
    basket = rng.lognormal(2.8 + 0.25 * np.log1p(x1) + 0.1 * x3 + lift, 0.6, n)
    revenue = np.round(converted * (1.2 * x1 + basket), 2)

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["unit_id", "arm", "converted", "revenue", "x1", "x2", "x3"])
    for i in range(n):
        w.writerow([i + 1, arms[i], int(converted[i]), f"{revenue[i]:.2f}",
                    f"{x1[i]:.2f}", f"{int(x2[i])}", f"{x3[i]:.4f}"])
    text = buf.getvalue()
    (FIXTURES / "analyze_small.csv").write_text(text, encoding="utf-8")

    # Re-read the CSV so the expectations are computed from exactly the
    # values a CSV parser will see.
    rows = list(csv.DictReader(io.StringIO(text)))
    arm = np.array([r["arm"] for r in rows])
    conv = np.array([int(r["converted"]) for r in rows])
    rev = np.array([float(r["revenue"]) for r in rows])
    X = np.array([[float(r["x1"]), float(r["x2"]), float(r["x3"])] for r in rows])

    c, t, b = arm == "control", arm == "treatment", arm == "variant_b"
    pe = proportion_expected(int(c.sum()), int(conv[c].sum()), int(t.sum()),
                             int(conv[t].sum()), 0.05, "two-sided")
    prop_block = {"metric": "converted"}
    prop_block.update({k: pe[k] for k in ("uplift_abs", "uplift_rel", "ci_low",
                                          "ci_high", "p_value")})
    mean_block = {"metric": "revenue"}
    mean_block.update(welch_expected(rev[c], rev[t], 0.05, "two-sided"))
    vb_block = {"metric": "revenue"}
    vb_block.update(welch_expected(rev[c], rev[b], 0.05, "two-sided"))
    ce = cuped_expected(rev[c], X[c], rev[t], X[t])
    cuped_block = {"metric": "revenue", "covariates": ["x1", "x2", "x3"],
                   "uplift_abs": ce["ols_treatment_coef"], "ci_low": ce["ci_low"],
                   "ci_high": ce["ci_high"], "p_value": ce["p_value"],
                   "variance_reduction": ce["variance_reduction"]}
    summary = {"proportion": prop_block, "mean": mean_block, "cuped": cuped_block,
               "variant_b": vb_block}
    return summary


# --------------------------------------------------------------------------


def main() -> int:
    for mod, want in EXPECTED_VERSIONS.items():
        have = {"scipy": scipy.__version__, "statsmodels": statsmodels.__version__,
                "gbstats": getattr(gbstats, "__version__", "?"),
                "numpy": np.__version__}[mod]
        if have != want:
            print(f"warning: {mod} {have} installed, fixtures were pinned to {want}",
                  file=sys.stderr)
    FIXTURES.mkdir(parents=True, exist_ok=True)
    np.seterr(all="ignore")

    written = [
        write_json("distributions.json", gen_distributions()),
        write_json("comparisons.json", gen_comparisons()),
        write_json("power.json", gen_power()),
        write_json("cuped.json", gen_cuped(np.random.default_rng(1008))),
    ]
    summary = gen_analyze_small(np.random.default_rng(1009))
    written.append(FIXTURES / "analyze_small.csv")
    written.append(write_json("analyze_small.json", summary))

    for p in written:
        size = p.stat().st_size
        print(f"{p.relative_to(ROOT)}  {size:,} bytes")
        if size > 1_500_000:
            print(f"error: {p.name} exceeds 1.5 MB", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
