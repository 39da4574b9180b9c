"""Writes Tests/HoldoutGeoTests/Fixtures/: geo panels and reference analyses.

TBR values come from google/matched_markets (`matched_markets.methodology.tbr.TBR`, and
`tbr_iroas.TBRiROAS` for the iROAS), run unmodified on the same panels. When control spends
(matched_markets' variable-cost scenario) TBRiROAS simulates the iROAS interval; the fixture
holds its percentiles from 1,000,000 draws (`iroas_lower_mc`, `iroas_upper_mc`) and the exact
quantiles of the same ratio of two t distributions by scipy's adaptive quadrature and brentq
(`iroas_lower`, `iroas_upper`, see `ratio_quantile`); DiD and
the naive summary from `scipy.stats.ttest_ind(equal_var=False)`. Panels are synthetic
(numpy default_rng with fixed seeds) plus matched_markets' own `salesandcost` example.

matched_markets is not on PyPI: fetch github.com/google/matched_markets (commit 5e3cd95 was
used) and point MATCHED_MARKETS at the directory that contains the `matched_markets` package:

    python3 -m venv /tmp/venv-geo
    /tmp/venv-geo/bin/pip install -r Scripts/reference/requirements-geo.txt
    MATCHED_MARKETS=/path/to/matched_markets_checkout /tmp/venv-geo/bin/python Scripts/reference/geo_reference.py
"""

import json
import math
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

sys.path.insert(0, os.environ.get("MATCHED_MARKETS", "/tmp/mm"))
from matched_markets.methodology import tbr, tbr_iroas  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests" / "HoldoutGeoTests" / "Fixtures"
OUT.mkdir(parents=True, exist_ok=True)


def synthetic_panel(seed, geos, days, start, effect_days, effect, cost_mode):
    """Geo sizes lognormal, a shared weekly pattern and trend, geo noise; an additive effect
    proportional to size on treatment geos during effect_days."""
    rng = np.random.default_rng(seed)
    names = [f"g{i:03d}" for i in range(geos)]
    size = rng.lognormal(mean=6.0, sigma=0.8, size=geos)
    dates = pd.date_range(start, periods=days, freq="D")
    weekly = 1 + 0.15 * np.sin(2 * np.pi * np.arange(days) / 7)
    trend = 1 + 0.001 * np.arange(days)
    order = rng.permutation(geos)
    treatment = set(names[i] for i in order[: geos // 2])
    rows = []
    for g, name in enumerate(names):
        noise = rng.normal(0, 0.08, size=days)
        base = size[g] * weekly * trend * (1 + noise)
        for d, date in enumerate(dates):
            response = max(base[d], 0.0)
            cost = 0.0
            if name in treatment and d in effect_days:
                response += effect * size[g]
                cost = 0.1 * size[g] * (1 + 0.2 * rng.random())
            if cost_mode == "variable":
                cost += 0.05 * size[g] * (1 + 0.3 * rng.random())
            rows.append((date.strftime("%Y-%m-%d"), name, round(response, 6), round(cost, 6)))
    df = pd.DataFrame(rows, columns=["date", "geo", "response", "cost"])
    assignment = {"control": sorted(set(names) - treatment), "treatment": sorted(treatment)}
    return df, assignment


def salesandcost():
    mm = Path(os.environ.get("MATCHED_MARKETS", "/tmp/mm")) / "matched_markets" / "csv"
    snc = pd.read_csv(mm / "salesandcost.csv", dtype={"geo": str})
    ga = pd.read_csv(mm / "geoassignment.csv", dtype={"geo": str})
    df = snc.rename(columns={"sales": "response"})[["date", "geo", "response", "cost"]]
    control = sorted(ga.loc[ga["geo.group"] == 1, "geo"])
    treatment = sorted(ga.loc[ga["geo.group"] == 2, "geo"])
    return df, {"control": control, "treatment": treatment}


def fill_missing(df):
    """Adds a zero row for every (geo, day) the data lacks: matched_markets sums the rows that
    exist per group and day, so a missing row counts as 0 there; Holdout's panel requires every
    day and rejects gaps, so the fixture carries the zeros explicitly."""
    full = pd.MultiIndex.from_product([sorted(df["date"].unique()), sorted(df["geo"].unique())], names=["date", "geo"])
    out = df.set_index(["date", "geo"]).reindex(full, fill_value=0.0).reset_index()
    return out, len(full) - len(df)


def label(df, assignment, periods):
    """matched_markets' frame: date index, group 1/2, period 0/1/2 (−1 outside)."""
    out = df.copy()
    group = {g: 1 for g in assignment["control"]}
    group.update({g: 2 for g in assignment["treatment"]})
    out["group"] = out["geo"].map(group)
    out = out[out["group"].notna()].copy()
    out["group"] = out["group"].astype(int)
    d = pd.to_datetime(out["date"])
    period = np.full(len(out), -1)
    period[(d >= periods["pre_start"]) & (d < periods["test_start"])] = 0
    period[(d >= periods["test_start"]) & (d <= periods["test_end"])] = 1
    if periods.get("cooldown_end"):
        period[(d > periods["test_end"]) & (d <= periods["cooldown_end"])] = 2
    out["period"] = period
    out["date"] = d
    return out.set_index("date")


def finite(x):
    x = float(x)
    return x if math.isfinite(x) else None


def tbr_runs(frame, with_cost, fixed_cost):
    runs = []
    for use_cooldown in (True, False):
        model = tbr.TBR(use_cooldown=use_cooldown)
        model.fit(frame, "response")
        fit = model.pre_period_model
        for tails in (1, 2):
            for level in (0.9, 0.8):
                s = model.summary(level=level, tails=tails).iloc[-1]
                run = {
                    "use_cooldown": use_cooldown, "tails": tails, "level": level,
                    "estimate": float(s["estimate"]), "lower": finite(s["lower"]), "upper": finite(s["upper"]),
                    "scale": float(s["scale"]), "probability": float(s["probability"]),
                    "intercept": float(fit.params[0]), "slope": float(fit.params[1]),
                    "sigma": math.sqrt(float(fit.scale)), "df": int(fit.df_resid),
                }
                z = run["estimate"] / run["scale"]
                run["p_value"] = float(stats.t.sf(z, run["df"]) if tails == 1 else 2 * stats.t.sf(abs(z), run["df"]))
                if with_cost:
                    iroas = tbr_iroas.TBRiROAS(use_cooldown=use_cooldown)
                    iroas.fit(frame)
                    r = iroas.summary(level=level, tails=tails, nsims=100, random_state=np.random.RandomState(1)).iloc[-1]
                    assert r["scenario"] == ("fixed" if fixed_cost else "variable")
                    run["incremental_cost"] = float(r["incremental_cost"])
                    if fixed_cost:
                        run["iroas"] = float(r["estimate"])
                        run["iroas_lower"] = finite(r["lower"])
                        run["iroas_upper"] = finite(r["upper"])
                    else:
                        # The variable-cost interval is simulated: its percentiles from 1M draws
                        # (Monte Carlo error ~1e-3 relative) and the exact quantiles of the same
                        # ratio by quadrature.
                        run["incremental_response"] = float(r["incremental_response"])
                        mc = iroas.summary(level=level, tails=tails, nsims=1_000_000, random_state=np.random.RandomState(1)).iloc[-1]
                        run["iroas_lower_mc"] = finite(mc["lower"])
                        run["iroas_upper_mc"] = finite(mc["upper"])
                        response = iroas.tbr_response.causal_cumulative_distribution(time=-1)
                        cost = iroas.tbr_cost.causal_cumulative_distribution(periods=(iroas.periods.test,), time=-1)
                        tail = (1 - level) / tails
                        run["iroas_lower"] = ratio_quantile(tail, response, cost)
                        run["iroas_upper"] = ratio_quantile(1 - tail, response, cost) if tails == 2 else None
                runs.append(run)
    return runs


def ratio_quantile(q, response, cost):
    """The q-quantile of Y / C for independent frozen scipy t distributions Y, C (scipy's own
    quad and brentq): P(Y/C <= r) = P(Y <= r C, C > 0) + P(Y >= r C, C < 0), integrated over
    C's probability scale u (C = cost.ppf(u)) on (0, u0) and (u0, 1), u0 = P(C < 0), where the
    integrand jumps. (Integrating over c itself on an infinite range lets quad miss the narrow
    region near c = 0 at large |r| and the bracket never closes.)"""
    from scipy import integrate, optimize

    u0 = float(cost.cdf(0.0))

    def cdf(r):
        def below(u):
            c = cost.ppf(u)
            return response.cdf(r * c) if c >= 0 else response.sf(r * c)

        total = 0.0
        for a, b in ((0.0, u0), (u0, 1.0)):
            if b > a:
                total += integrate.quad(below, a, b, epsabs=1e-15, epsrel=1e-13, limit=1000)[0]
        return total

    guess = response.kwds["loc"] / cost.kwds["loc"]
    step = max(abs(guess), 1e-9)
    lo, hi = guess - step, guess + step
    for _ in range(200):
        if cdf(lo) <= q:
            break
        step *= 2
        lo -= step
    else:
        raise RuntimeError(f"no lower bracket for the {q} quantile")
    for _ in range(200):
        if cdf(hi) >= q:
            break
        step *= 2
        hi += step
    else:
        raise RuntimeError(f"no upper bracket for the {q} quantile")
    return float(optimize.brentq(lambda r: cdf(r) - q, lo, hi, xtol=1e-14, rtol=1e-13, maxiter=500))


def welch(control, treatment, level, tails):
    alternative = "two-sided" if tails == 2 else "greater"
    t = stats.ttest_ind(treatment, control, equal_var=False, alternative=alternative)
    ci = t.confidence_interval(confidence_level=level)
    return {"statistic": float(t.statistic), "df": float(t.df), "p_value": float(t.pvalue),
            "ci_low": float(ci.low), "ci_high": finite(ci.high),
            "diff": float(np.mean(treatment) - np.mean(control))}


def naive_and_did(df, assignment, periods):
    d = pd.to_datetime(df["date"])
    end = periods.get("cooldown_end") or periods["test_end"]
    analysed = (d >= periods["test_start"]) & (d <= end)
    pre = (d >= periods["pre_start"]) & (d < periods["test_start"])
    totals = df[analysed].groupby("geo")["response"].sum()
    control = totals[assignment["control"]].to_numpy()
    treatment = totals[assignment["treatment"]].to_numpy()
    group = {g: "c" for g in assignment["control"]}
    group.update({g: "t" for g in assignment["treatment"]})
    daily = df.assign(g=df["geo"].map(group), d=d).groupby(["d", "g"])["response"].sum().unstack()
    diff = daily["t"] - daily["c"]
    dd = diff.index
    pre_d = diff[(dd >= periods["pre_start"]) & (dd < periods["test_start"])].to_numpy()
    test_d = diff[(dd >= periods["test_start"]) & (dd <= end)].to_numpy()
    out = []
    for tails in (1, 2):
        for level in (0.9, 0.8):
            out.append({"tails": tails, "level": level,
                        "summary": welch(control, treatment, level, tails) | {"n_treatment": len(treatment)},
                        "did": welch(pre_d, test_d, level, tails) | {"days": len(test_d)}})
    return out


def scm_weights(df, assignment, periods):
    """Simplex-constrained least squares on series normalized by their pre-period means, by
    scipy's SLSQP (an independent solver for the weights HoldoutGeo's FISTA finds)."""
    from scipy.optimize import minimize
    d = pd.to_datetime(df["date"])
    pre = df[(d >= periods["pre_start"]) & (d < periods["test_start"])]
    wide = pre.pivot(index="date", columns="geo", values="response").sort_index()
    y = wide[assignment["treatment"]].sum(axis=1).to_numpy()
    y = y / y.mean()
    donors = [g for g in assignment["control"] if wide[g].mean() > 0]
    X = np.column_stack([wide[g].to_numpy() / wide[g].mean() for g in donors])
    n = X.shape[1]
    res = minimize(lambda w: np.sum((y - X @ w) ** 2), np.full(n, 1 / n), jac=lambda w: -2 * X.T @ (y - X @ w),
                   bounds=[(0, None)] * n, constraints=[{"type": "eq", "fun": lambda w: np.sum(w) - 1}],
                   method="SLSQP", options={"ftol": 1e-15, "maxiter": 2000})
    assert res.success, res.message
    return {"donors": donors, "weights": [float(v) for v in res.x], "objective": float(res.fun),
            "ridge_cv": ridge_cv(X, y)}


def simplex_fit(X, y):
    from scipy.optimize import minimize
    n = X.shape[1]
    res = minimize(lambda w: np.sum((y - X @ w) ** 2), np.full(n, 1 / n), jac=lambda w: -2 * X.T @ (y - X @ w),
                   bounds=[(0, None)] * n, constraints=[{"type": "eq", "fun": lambda w: np.sum(w) - 1}],
                   method="SLSQP", options={"ftol": 1e-15, "maxiter": 2000})
    assert res.success, res.message
    return res.x


def ridge_cv(X, y):
    """augsynth's choice of the ridge lambda (Ben-Michael, Feller & Rothstein 2021, cv_lambda with
    min_1se), as HoldoutGeo's crossValidatedRidge documents it: 21 lambdas log-spaced from the
    largest eigenvalue of X'X down to 1e-8 of it; each of the last h = min(14, max(1, T0 // 3))
    pre-period days predicted from simplex weights fitted on the days before it plus the ridge
    adjustment (X'X + lambda I)^-1 X'(y - Xw); the largest lambda whose mean squared error is
    within one standard error (sample sd / sqrt(h)) of the smallest."""
    t0 = X.shape[0]
    largest = float(np.linalg.eigvalsh(X.T @ X)[-1])
    grid = [largest * 10 ** (-0.4 * k) for k in range(21)]
    h = max(1, min(14, t0 // 3))
    errors = []
    for lam in grid:
        e = []
        for t in range(t0 - h, t0):
            Xt, yt = X[:t], y[:t]
            w = simplex_fit(Xt, yt)
            w = w + np.linalg.solve(Xt.T @ Xt + lam * np.eye(X.shape[1]), Xt.T @ (yt - Xt @ w))
            e.append(float((y[t] - X[t] @ w) ** 2))
        errors.append(e)
    means = [float(np.mean(e)) for e in errors]
    best = int(np.argmin(means))
    bound = means[best] + float(np.std(errors[best], ddof=1)) / np.sqrt(h)
    chosen = next(k for k in range(21) if means[k] <= bound)
    return {"largest_eigenvalue": largest, "holdout_days": h, "mean_errors": means, "bound": bound, "lambda": grid[chosen], "index": chosen}


def main():
    import warnings
    warnings.filterwarnings("ignore", message="The design matrix is rank-deficient")  # the all-zero pre-period cost model of TBRiROAS
    cases = []
    specs = [
        # name, panel, periods, fixed cost?
        ("effect_cooldown", synthetic_panel(7, 24, 160, "2026-01-01", set(range(110, 152)), 0.12, "fixed"),
         {"pre_start": "2026-01-11", "test_start": "2026-04-21", "test_end": "2026-06-01", "cooldown_end": "2026-06-09"}, True),
        ("null_variable_cost", synthetic_panel(11, 40, 60, "2026-03-01", set(), 0.0, "variable"),
         {"pre_start": "2026-03-01", "test_start": "2026-03-11", "test_end": "2026-04-09", "cooldown_end": "2026-04-19"}, False),
        ("effect_variable_cost", synthetic_panel(13, 30, 120, "2026-02-01", set(range(84, 112)), 0.1, "variable"),
         {"pre_start": "2026-02-01", "test_start": "2026-04-26", "test_end": "2026-05-23", "cooldown_end": "2026-05-31"}, False),
        ("salesandcost", salesandcost(),
         {"pre_start": "2015-01-05", "test_start": "2015-02-16", "test_end": "2015-03-15", "cooldown_end": "2015-04-07"}, True),
    ]
    for name, (df, assignment), periods, fixed in specs:
        df = df.sort_values(["date", "geo"]).reset_index(drop=True)
        filled, added = fill_missing(df)
        filled.to_csv(OUT / f"geo_{name}.csv", index=False)
        frame = label(df, assignment, periods)
        cases.append({
            "name": name, "panel": f"geo_{name}", "assignment": assignment, "periods": periods,
            "fixed_cost": fixed, "zero_rows_added": added,
            "tbr": tbr_runs(frame, True, fixed),
            "welch": naive_and_did(filled, assignment, periods),
            "scm": scm_weights(filled, assignment, periods),
        })
    (OUT / "geo_reference.json").write_text(json.dumps({
        "source": "matched_markets 5e3cd95 (TBR, TBRiROAS); scipy.stats.ttest_ind (Welch); scipy.integrate.quad + optimize.brentq (variable-cost iROAS quantiles)",
        "cases": cases}, indent=1) + "\n")


if __name__ == "__main__":
    main()
