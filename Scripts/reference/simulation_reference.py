#!/usr/bin/env python3
"""Population truth of the built-in simulation scenarios, computed independently in numpy.

For `criteo-like` and `revenue-hurdle` (see `holdout simulate --scenario NAME --print-config`)
this draws 20,000,000 visitors' features with numpy's own generator (PCG64, seed 20260101) and
the Cholesky factor of the scenario's correlation matrix, evaluates the scenario's surfaces
written out by hand in numpy, and prints the population means with their Monte-Carlo standard
errors (sd / sqrt(n)). `Tests/HoldoutSimulationTests/ReferenceTests.swift` holds the output
and checks that HoldoutSimulation's truth (its own parser, sampler and generator) agrees within
4 combined standard errors. Run from the package root:

    python3 Scripts/reference/simulation_reference.py
"""
import json

import numpy as np

N = 20_000_000
CHUNK = 2_000_000


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def draw(rng, corr, n):
    L = np.linalg.cholesky(corr)
    return rng.standard_normal((n, corr.shape[0])) @ L.T


def summarize(chunks):
    """Mean and Monte-Carlo SE of each named per-visitor quantity, accumulated over chunks."""
    sums, squares, n = {}, {}, 0
    for values in chunks:
        for key, v in values.items():
            sums[key] = sums.get(key, 0.0) + float(v.sum())
            squares[key] = squares.get(key, 0.0) + float((v * v).sum())
        n += len(next(iter(values.values())))
    out = {}
    for key in sums:
        mean = sums[key] / n
        var = (squares[key] - n * mean * mean) / (n - 1)
        out[key] = {"mean": mean, "se": (var / n) ** 0.5}
    return out


def criteo_like(rng):
    d = 12
    corr = np.array([[0.3 ** abs(i - j) for j in range(d)] for i in range(d)])
    for _ in range(N // CHUNK):
        f = draw(rng, corr, CHUNK).T
        base = -3.5 + 0.55 * f[0] + 0.35 * f[1] - 0.25 * f[2] + 0.2 * f[3] + 0.15 * f[4] * (f[7] > 0)
        p0 = sigmoid(base)
        p1 = sigmoid(base + 0.23 + 0.35 * f[5] - 0.25 * f[6] * (f[8] > 0.5))
        yield {"p0": p0, "p1": p1, "cate": p1 - p0, "hurt": (p1 < p0).astype(float)}


def revenue_hurdle(rng):
    corr = np.array([[1.0, 0.4, -0.2, 0.3], [0.4, 1.0, 0.0, 0.2], [-0.2, 0.0, 1.0, -0.1], [0.3, 0.2, -0.1, 1.0]])
    for _ in range(N // CHUNK):
        z = draw(rng, corr, CHUNK).T
        intent, basket, recency, returning = z[0], z[1], z[2], (z[3] > 0).astype(float)
        p0 = sigmoid(-3 + 0.5 * intent - 0.2 * recency + 0.3 * returning)
        p1 = sigmoid(-2.9 + 0.5 * intent - 0.2 * recency + 0.3 * returning)
        m0 = 45 * np.exp(0.25 * basket)
        m1 = 45 * np.exp(0.25 * basket) * (1.02 + 0.04 * (intent > 0.5))
        yield {"cate": p1 * m1 - p0 * m0, "conv_effect": (p1 - p0) * m0, "aov_effect": p1 * (m1 - m0), "p0m0": p0 * m0}


def main():
    rng = np.random.default_rng(20260101)
    result = {
        "generator": f"numpy {np.__version__}, PCG64 seed 20260101, {N} visitors per scenario",
        "criteo-like": summarize(criteo_like(rng)),
        "revenue-hurdle": summarize(revenue_hurdle(rng)),
    }
    print(json.dumps(result, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
