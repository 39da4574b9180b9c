#!/usr/bin/env python3
"""The `criteo-like` scenario in numpy, with seed 004's algorithm — the peer of `holdout bench simulate`.

Seed 004 (potential-outcomes simulator v2) generates visitors in numpy/pandas. This script runs
the same scenario as Holdout's built-in `criteo-like` (see `holdout simulate --scenario criteo-like
--print-config`) the way the seed does, so the two can be timed on the same machine:

  1. features: `rng.multivariate_normal` with the AR(1) ρ = 0.3 correlation over f0…f11
     (seed 004's `_sample_copula`; continuous features keep the normal values);
  2. potential outcomes: p0(x) and p1(x) from the same surfaces, CATE = p1 − p0, validated as the
     seed does (finite, within [0, 1]);
  3. assignment and observation: treated = U < 0.85, converted = U < p_assigned
     (seed 004's `_assign_and_observe_paired`);
  4. optionally the observed CSV (visitor_id, experiment_id, variant, converted, revenue,
     orders_count, sessions_count, f0…f11, features with 6 decimals) — pandas is not installed
     here, so rows are formatted with `%` as `numpy.savetxt` does.

Visitors are generated in chunks of 1,000,000 (memory stays bounded; numpy is fully vectorised at
that size). Prints one JSON object. The random numbers differ from Holdout's (numpy's PCG64 vs
xoshiro256**); the distributions are the same.

    python3 Scripts/bench/simulate_numpy.py --visitors 10000000 --csv-visitors 1000000 --out /tmp/np.csv
"""
import argparse
import json
import sys
import time

import numpy as np

D = 12
RHO = 0.3
CHUNK = 1_000_000


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def validate(values, n, name):
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1 or len(arr) != n:
        raise ValueError(f"Surface '{name}': expected 1-D array of length {n}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"Surface '{name}': contains non-finite values (NaN or Inf)")
    if not (np.all(arr >= 0.0) and np.all(arr <= 1.0)):
        raise ValueError(f"Surface '{name}': all values must be in [0, 1]")
    return arr


def chunk(rng, correlation, n):
    """One chunk: features, truth, assignment and observed conversions (seed 004's pipeline)."""
    z = rng.multivariate_normal(mean=np.zeros(D), cov=correlation, size=n)
    f = [z[:, j] for j in range(D)]
    base = -3.5 + 0.55 * f[0] + 0.35 * f[1] - 0.25 * f[2] + 0.2 * f[3] + 0.15 * f[4] * (f[7] > 0)
    p0 = validate(sigmoid(base), n, "p0")
    p1 = validate(sigmoid(base + 0.23 + 0.35 * f[5] - 0.25 * f[6] * (f[8] > 0.5)), n, "p1")
    cate = p1 - p0
    treated = rng.random(n) < 0.85
    control_idx = np.where(~treated)[0]
    treated_idx = np.where(treated)[0]
    converted = np.empty(n, dtype=bool)
    converted[control_idx] = rng.random(len(control_idx)) < p0[control_idx]
    converted[treated_idx] = rng.random(len(treated_idx)) < p1[treated_idx]
    return z, treated, converted, cate


def write_csv(handle, offset, z, treated, converted):
    n = len(treated)
    names = np.where(treated, "treatment", "control").tolist()
    conv = converted.astype(np.int64).tolist()
    ids = range(offset, offset + n)
    fmt = "v%d,criteo-like,%s,%d,0,%d,1," + ",".join(["%.6f"] * D) + "\n"
    cols = [z[:, j].tolist() for j in range(D)]
    handle.write("".join(fmt % (i, v, c, c, *row) for i, v, c, *row in zip(ids, names, conv, *cols)))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--visitors", type=int, default=10_000_000, help="visitors generated in memory (default 10,000,000)")
    parser.add_argument("--csv-visitors", type=int, default=0, help="visitors also written to CSV (0: none)")
    parser.add_argument("--out", default="/tmp/simulate_numpy.csv", help="the CSV file")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    if args.visitors < 1 or args.csv_visitors < 0:
        sys.exit("--visitors must be ≥ 1 and --csv-visitors ≥ 0")
    correlation = np.array([[RHO ** abs(i - j) for j in range(D)] for i in range(D)])

    rng = np.random.default_rng(args.seed)
    start = time.perf_counter()
    cate_sum = 0.0
    conversions = 0
    treated_count = 0
    done = 0
    while done < args.visitors:
        n = min(CHUNK, args.visitors - done)
        z, treated, converted, cate = chunk(rng, correlation, n)
        cate_sum += float(cate.sum())
        conversions += int(converted.sum())
        treated_count += int(treated.sum())
        done += n
    memory_seconds = time.perf_counter() - start

    result = {
        "implementation": f"numpy {np.__version__}",
        "visitors": args.visitors,
        "in_memory_seconds": memory_seconds,
        "in_memory_visitors_per_second": args.visitors / memory_seconds,
        "effect": cate_sum / args.visitors,
        "conversion_rate": conversions / args.visitors,
        "treated_share": treated_count / args.visitors,
    }
    if args.csv_visitors > 0:
        rng = np.random.default_rng(args.seed)
        start = time.perf_counter()
        with open(args.out, "w") as handle:
            handle.write("visitor_id,experiment_id,variant,converted,revenue,orders_count,sessions_count,"
                         + ",".join(f"f{j}" for j in range(D)) + "\n")
            done = 0
            while done < args.csv_visitors:
                n = min(CHUNK, args.csv_visitors - done)
                z, treated, converted, _ = chunk(rng, correlation, n)
                write_csv(handle, done, z, treated, converted)
                done += n
        csv_seconds = time.perf_counter() - start
        result.update({
            "csv_visitors": args.csv_visitors,
            "csv_seconds": csv_seconds,
            "csv_visitors_per_second": args.csv_visitors / csv_seconds,
        })
    print(json.dumps(result))


if __name__ == "__main__":
    main()
