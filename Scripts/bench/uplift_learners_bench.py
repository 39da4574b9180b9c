#!/usr/bin/env python3
"""Peers for the HoldoutUplift learner benchmark: scikit-learn and LightGBM on the same data.

Draws 1,000,000 training and 200,000 held-out Criteo-like rows (numpy PCG64, seed 20261201):
f0…f11 correlated normals (0.3^|i−j|), treatment Bernoulli(0.85) as the 13th feature, and a
binary outcome with a heterogeneous treatment effect. Fits, with 100 trees, depth 6, 31 leaves,
learning rate 0.1, 20 rows per leaf, no L2, 255 bins and no early stopping:

- scikit-learn `HistGradientBoostingClassifier` (threads from OMP_NUM_THREADS),
- LightGBM `LGBMClassifier` (num_threads = --threads),

and prints fit seconds (wall and process CPU, all threads), scoring rows/s on 5,000,000 rows
and held-out log-loss for each. The machine is shared, so CPU seconds are the steadier number. With `--write PATH` it
also writes the rows for the Swift benchmark (Scripts/bench/UpliftLearnersBench) as raw
little-endian float64: a header of two int64 (train rows, test rows), then per split the 13
feature columns and the label column, column-major.

    OMP_NUM_THREADS=2 python3 Scripts/bench/uplift_learners_bench.py --threads 2 --write /tmp/uplift_bench.f64
"""
import argparse
import os
import time

import numpy as np

N_TRAIN, N_TEST, D = 1_000_000, 200_000, 12


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def draw(n, rng):
    corr = np.array([[0.3 ** abs(i - j) for j in range(D)] for i in range(D)])
    f = rng.standard_normal((n, D)) @ np.linalg.cholesky(corr).T
    t = (rng.random(n) < 0.85).astype(float)
    base = -2.0 + 0.55 * f[:, 0] + 0.35 * f[:, 1] - 0.25 * f[:, 2] + 0.2 * f[:, 3] + 0.15 * f[:, 4] * (f[:, 7] > 0)
    effect = 0.23 + 0.35 * f[:, 5] - 0.25 * f[:, 6] * (f[:, 8] > 0.5)
    y = (rng.random(n) < sigmoid(base + t * effect)).astype(float)
    return np.column_stack([f, t]), y


def log_loss(y, p):
    p = np.clip(p, 1e-15, 1 - 1e-15)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--write", default=None)
    parser.add_argument("--skip-fit", action="store_true")
    args = parser.parse_args()
    rng = np.random.default_rng(20261201)
    xtr, ytr = draw(N_TRAIN, rng)
    xte, yte = draw(N_TEST, rng)
    if args.write:
        with open(args.write, "wb") as fh:
            np.array([N_TRAIN, N_TEST], dtype="<i8").tofile(fh)
            for x, y in ((xtr, ytr), (xte, yte)):
                np.ascontiguousarray(x.T, dtype="<f8").tofile(fh)
                y.astype("<f8").tofile(fh)
        print(f"wrote {args.write}")
    if args.skip_fit:
        return
    import lightgbm
    import sklearn
    from sklearn.ensemble import HistGradientBoostingClassifier

    print(f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')} sklearn {sklearn.__version__} lightgbm {lightgbm.__version__}")
    score = np.tile(xte, (25, 1))  # 5,000,000 rows
    models = {
        "sklearn HistGradientBoostingClassifier": HistGradientBoostingClassifier(
            max_iter=100, max_depth=6, max_leaf_nodes=31, learning_rate=0.1, min_samples_leaf=20, l2_regularization=0.0,
            max_bins=255, early_stopping=False, random_state=0),
        "LightGBM LGBMClassifier": lightgbm.LGBMClassifier(
            n_estimators=100, max_depth=6, num_leaves=31, learning_rate=0.1, min_child_samples=20, reg_lambda=0.0,
            min_child_weight=1e-3, max_bin=255, subsample=1.0, colsample_bytree=1.0, num_threads=args.threads, verbose=-1),
    }
    for name, model in models.items():
        start, cpu = time.perf_counter(), time.process_time()
        model.fit(xtr, ytr)
        fit, fit_cpu = time.perf_counter() - start, time.process_time() - cpu
        start, cpu = time.perf_counter(), time.process_time()
        p = model.predict_proba(score)[:, 1]
        scoring, scoring_cpu = time.perf_counter() - start, time.process_time() - cpu
        print(f"{name}: fit {fit:.2f} s (CPU {fit_cpu:.2f} s), scoring {len(score) / scoring / 1e6:.2f} M rows/s "
              f"(CPU {scoring_cpu:.2f} s for {len(score)} rows), held-out log-loss {log_loss(yte, p[:N_TEST]):.6f}")


if __name__ == "__main__":
    main()
