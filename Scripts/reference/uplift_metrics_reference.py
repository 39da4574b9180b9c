#!/usr/bin/env python3
"""Reference values for HoldoutUplift's evaluation metrics.

Writes Tests/HoldoutUpliftTests/Fixtures/uplift_metrics.json: a handful of seeded data sets
(scores, treatment flags, binary outcomes) and, for each, what scikit-uplift 0.5.1 and
causalml 0.18 return for them:

* scikit-uplift: uplift_curve, qini_curve, perfect_uplift_curve, perfect_qini_curve (both
  negative_effect modes), uplift_auc_score, qini_auc_score (both modes), uplift_at_k
  (overall / by_group, fractional and integer k), weighted_average_uplift (both strategies,
  several bin counts).
* causalml: auuc_score and qini_score with their defaults (normalize=True).

Where a library returns NaN or raises, the fixture records {"error": "..."} instead of a number
(JSON has no NaN), and the Swift tests expect a thrown UpliftError there.

Ties: scikit-uplift orders rows with np.argsort(score, kind="mergesort")[::-1], so tied rows come
in decreasing row order; the curves only use the last row of each group of tied scores. causalml
sorts with pandas' default (unstable) quicksort, so on tied scores its per-row curve, and hence its
scores, depend on how the sort happens to order the ties. For tied data the script therefore
also passes causalml a tie-free score (the row's rank in scikit-uplift's order), which fixes the
order to scikit-uplift's; HoldoutUplift uses that order. The raw causalml result on the tied
scores is recorded beside it ("causalml_raw_ties") for information only.

Usage (from the package root):

    python3 -m venv .venv-uplift
    .venv-uplift/bin/pip install -r Scripts/reference/requirements-uplift.txt
    .venv-uplift/bin/python Scripts/reference/uplift_metrics_reference.py

    # benchmark: scikit-uplift and causalml, then HoldoutUplift on the same rows in the same run
    swift build -c release --package-path Scripts/bench/uplift-metrics
    .venv-uplift/bin/python Scripts/reference/uplift_metrics_reference.py --bench 1000000 \
        --swift-bench Scripts/bench/uplift-metrics/.build/release/upliftbench
"""

import argparse
import importlib.metadata
import json
import os
import subprocess
import tempfile
import math
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
import sklift
from sklift.metrics import (
    perfect_qini_curve,
    perfect_uplift_curve,
    qini_auc_score,
    qini_curve,
    uplift_at_k,
    uplift_auc_score,
    uplift_curve,
    weighted_average_uplift,
)
from causalml.metrics import auuc_score, qini_score

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests" / "HoldoutUpliftTests" / "Fixtures" / "uplift_metrics.json"


def finite_or_error(fn):
    """fn() as a float, or {"error": ...} when it raises or is not finite."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = float(fn())
    except (ValueError, ZeroDivisionError) as exc:  # sklift raises ValueError for bad k, bins, x order
        return {"error": f"{type(exc).__name__}: {exc}"}
    if not math.isfinite(value):
        return {"error": "not finite" if not math.isnan(value) else "nan"}
    return value


def curve(fn):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            x, y = fn()
    except ValueError as exc:
        return {"error": f"ValueError: {exc}"}
    return {"x": [float(v) for v in x], "y": [float(v) for v in y]}


def causalml_scores(score, treatment, y):
    df = pd.DataFrame({"model": score, "w": treatment, "y": y})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        auuc = auuc_score(df, outcome_col="y", treatment_col="w", treatment_effect_col="tau")
        qini = qini_score(df, outcome_col="y", treatment_col="w", treatment_effect_col="tau")
    out = {}
    for name, series in (("auuc_score", auuc), ("qini_score", qini)):
        v = float(series["model"])
        out[name] = v if math.isfinite(v) else {"error": "nan" if math.isnan(v) else "not finite"}
    return out


def sklift_rank(score):
    """Tie-free scores that sort (descending) exactly as scikit-uplift orders the rows."""
    order = np.argsort(score, kind="mergesort")[::-1]
    rank = np.empty(len(score), dtype=float)
    rank[order] = np.arange(len(score), 0, -1, dtype=float)
    return rank


K_VALUES = [0.3, 0.1, 0.5, 0.05, 0.29, 0.999, 1, 7, 37]
BINS = [10, 3, 7, 1]


def case(name, score, treatment, y, note):
    score = np.asarray(score, dtype=float)
    treatment = np.asarray(treatment, dtype=int)
    y = np.asarray(y, dtype=int)
    n = len(score)
    tied = len(np.unique(score)) < n
    entry = {
        "name": name,
        "note": note,
        "n": n,
        "tied": bool(tied),
        "score": [float(v) for v in score],
        "treatment": [int(v) for v in treatment],
        "outcome": [int(v) for v in y],
        "uplift_curve": curve(lambda: uplift_curve(y, score, treatment)),
        "qini_curve": curve(lambda: qini_curve(y, score, treatment)),
        "perfect_uplift_curve": curve(lambda: perfect_uplift_curve(y, treatment)),
        "perfect_qini_curve": curve(lambda: perfect_qini_curve(y, treatment, negative_effect=True)),
        "perfect_qini_curve_no_negative_effect": curve(lambda: perfect_qini_curve(y, treatment, negative_effect=False)),
        "uplift_auc_score": finite_or_error(lambda: uplift_auc_score(y, score, treatment)),
        "qini_auc_score": finite_or_error(lambda: qini_auc_score(y, score, treatment, negative_effect=True)),
        "qini_auc_score_no_negative_effect": finite_or_error(lambda: qini_auc_score(y, score, treatment, negative_effect=False)),
    }
    at_k = []
    for k in K_VALUES:
        for strategy in ("overall", "by_group"):
            at_k.append({
                "k": k,
                "k_is_count": isinstance(k, int),
                "strategy": strategy,
                "value": finite_or_error(lambda: uplift_at_k(y, score, treatment, strategy=strategy, k=k)),
            })
    entry["uplift_at_k"] = at_k
    wau = []
    for bins in BINS:
        for strategy in ("overall", "by_group"):
            wau.append({
                "bins": bins,
                "strategy": strategy,
                "value": finite_or_error(lambda: weighted_average_uplift(y, score, treatment, strategy=strategy, bins=bins)),
            })
    entry["weighted_average_uplift"] = wau
    if tied:
        entry["causalml"] = causalml_scores(sklift_rank(score), treatment, y)
        entry["causalml_raw_ties"] = causalml_scores(score, treatment, y)
    else:
        entry["causalml"] = causalml_scores(score, treatment, y)
    return entry


def synthetic(seed, n, p_treat, base, effect_slope, score_noise, round_to=None, effect_mean=0.0):
    """A binary-outcome experiment with heterogeneous effect and a noisy model score."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    treatment = (rng.random(n) < p_treat).astype(int)
    tau = effect_mean + effect_slope * x
    p = np.clip(base + treatment * tau, 0.001, 0.999)
    y = (rng.random(n) < p).astype(int)
    score = tau + score_noise * rng.normal(size=n)
    if round_to is not None:
        score = np.round(score, round_to)
    return score, treatment, y


def build_cases():
    cases = []
    s, t, y = synthetic(101, 200, 0.5, 0.3, 0.1, 0.05)
    cases.append(case("untied_200", s, t, y, "continuous scores, balanced arms"))
    s, t, y = synthetic(102, 500, 0.5, 0.2, 0.08, 0.05, round_to=2, effect_mean=0.03)
    cases.append(case("tied_500", s, t, y, "scores rounded to 2 decimals"))
    s, t, y = synthetic(103, 300, 0.4, 0.3, 0.1, 0.1, round_to=1, effect_mean=0.05)
    cases.append(case("heavy_ties_300", s, t, y, "scores rounded to 1 decimal: a few large tie groups"))
    s, t, y = synthetic(104, 5000, 0.7, 0.1, 0.05, 0.03, effect_mean=0.02)
    cases.append(case("untied_5000_unbalanced", s, t, y, "70% treated, low base rate"))
    s, t, y = synthetic(107, 2000, 0.5, 0.2, 0.1, 0.05)
    cases.append(case("near_zero_effect_2000", s, t, y, "average effect near 0: causalml's normalized scores blow up"))
    # Negative average effect: qini_auc_score(negative_effect=False) is undefined (sklearn's auc
    # raises because the perfect curve's x goes 0 -> negative -> n).
    rng = np.random.default_rng(105)
    n = 400
    t = (rng.random(n) < 0.5).astype(int)
    y = (rng.random(n) < np.where(t == 1, 0.15, 0.3)).astype(int)
    s = rng.normal(size=n)
    cases.append(case("negative_effect_400", s, t, y, "treatment lowers conversion; random scores"))
    # The top of the ranking is all treated: uplift_at_k overall is NaN in sklift for small k.
    rng = np.random.default_rng(106)
    n = 120
    t = (rng.random(n) < 0.5).astype(int)
    y = (rng.random(n) < 0.3).astype(int)
    s = rng.normal(size=n) + 10.0 * t
    cases.append(case("treated_on_top_120", s, t, y, "every treated row outranks every control row"))
    # One arm much smaller than the bins and k: by_group metrics have empty groups (NaN in sklift).
    rng = np.random.default_rng(108)
    n = 60
    t = np.zeros(n, dtype=int)
    t[rng.choice(n, 5, replace=False)] = 1
    y = (rng.random(n) < 0.4).astype(int)
    s = rng.normal(size=n)
    cases.append(case("tiny_treated_arm_60", s, t, y, "5 treated rows among 60"))
    return cases


def bench(n, repeat):
    """Times scikit-uplift and causalml on one million-row data set (printed, not written)."""
    s, t, y = synthetic(2024, n, 0.5, 0.1, 0.05, 0.03)
    results = {}

    def timed(name, fn):
        best = float("inf")
        value = None
        for _ in range(repeat):
            start = time.perf_counter()
            value = fn()
            best = min(best, time.perf_counter() - start)
        results[name] = (best, value)

    timed("uplift_auc_score", lambda: uplift_auc_score(y, s, t))
    timed("qini_auc_score", lambda: qini_auc_score(y, s, t))
    timed("qini_auc_score(negative_effect=False)", lambda: qini_auc_score(y, s, t, negative_effect=False))
    timed("uplift_at_k(overall, 0.3)", lambda: uplift_at_k(y, s, t, strategy="overall", k=0.3))
    timed("uplift_at_k(by_group, 0.3)", lambda: uplift_at_k(y, s, t, strategy="by_group", k=0.3))
    timed("weighted_average_uplift(overall, 10)", lambda: weighted_average_uplift(y, s, t, strategy="overall", bins=10))
    timed("weighted_average_uplift(by_group, 10)", lambda: weighted_average_uplift(y, s, t, strategy="by_group", bins=10))
    df = pd.DataFrame({"model": s, "w": t, "y": y})
    timed("causalml auuc_score", lambda: float(auuc_score(df, outcome_col="y", treatment_col="w")["model"]))
    timed("causalml qini_score", lambda: float(qini_score(df, outcome_col="y", treatment_col="w")["model"]))
    total = 0.0
    for name, (seconds, value) in results.items():
        total += seconds
        print(f"{name:45s} {seconds * 1000:9.1f} ms   {value!r}")
    print(f"{'total':45s} {total * 1000:9.1f} ms")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bench", type=int, metavar="N", help="time the libraries on N rows (seed 2024) instead of writing fixtures")
    parser.add_argument("--repeat", type=int, default=3, help="with --bench: best of this many runs")
    parser.add_argument("--write-bench-csv", metavar="PATH", help="with --bench: also write the data as CSV (score,treatment,outcome)")
    parser.add_argument("--swift-bench", metavar="BINARY", help="with --bench: then run this upliftbench binary on the same rows")
    args = parser.parse_args()
    if args.bench:
        warnings.simplefilter("ignore", FutureWarning)  # scikit-learn 1.8+: stable_cumsum is deprecated
        csv_path = args.write_bench_csv
        if args.swift_bench and not csv_path:
            csv_path = os.path.join(tempfile.mkdtemp(), "uplift_bench.csv")
        if csv_path:
            s, t, y = synthetic(2024, args.bench, 0.5, 0.1, 0.05, 0.03)
            pd.DataFrame({"score": s, "treatment": t, "outcome": y}).to_csv(csv_path, index=False, float_format="%.17g")
        print(f"scikit-uplift {sklift.__version__} / causalml {importlib.metadata.version('causalml')}, {args.bench} rows, best of {args.repeat}")
        bench(args.bench, args.repeat)
        if args.swift_bench:
            sys.stdout.flush()
            subprocess.run([args.swift_bench, csv_path, "--repeat", str(max(args.repeat, 7))], check=True)
        return
    sklearn_version = tuple(int(part) for part in sklearn.__version__.split(".")[:2])
    if sklearn_version >= (1, 10) or sklift.__version__ != "0.5.1":
        sys.exit(f"need scikit-uplift 0.5.1 with scikit-learn < 1.10, got {sklift.__version__} / {sklearn.__version__}")
    payload = {
        "generator": "Scripts/reference/uplift_metrics_reference.py",
        "versions": {
            "scikit-uplift": sklift.__version__,
            "scikit-learn": sklearn.__version__,
            "causalml": importlib.metadata.version("causalml"),
            "numpy": np.__version__,
            "pandas": pd.__version__,
        },
        "cases": build_cases(),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(payload, allow_nan=False, separators=(",", ":"))
    OUT.write_text(text + "\n")
    print(f"wrote {OUT.relative_to(ROOT)} ({len(text)} bytes, {len(payload['cases'])} cases)")


if __name__ == "__main__":
    main()
