#!/usr/bin/env python3
"""Peers for HoldoutUplift's scoring benchmark: scikit-learn's predict_proba / predict per uplift learner.

Fits, on the first 200,000 training rows of uplift_learners_bench.py's data (same seed, same rows
as `UpliftLearnersBench ... scoring`), each learner's models with scikit-learn and times scoring
1,000,000 rows (the 200,000 held-out rows five times; 5,000,000 would take minutes per learner):

- S-learner: one HistGradientBoostingClassifier (100 trees, depth 6, 31 leaves, lr 0.1, 20 per
  leaf, 255 bins, no early stopping) on f0..f11 + treatment, predicted with treatment 1 and 0;
- T-learner: one classifier per arm; X-learner: two HistGradientBoostingRegressor effect models;
- class transformation: one classifier; transformed outcome: one regressor;
- the same with LogisticRegression (C=1; the S-learner with treatment x feature columns) and Ridge(alpha=1).

Prints rows/s (wall) and process CPU seconds per learner. Threads from OMP_NUM_THREADS.

    OMP_NUM_THREADS=2 OMP_WAIT_POLICY=PASSIVE python3 Scripts/bench/uplift_scoring_bench.py
"""
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from uplift_learners_bench import N_TEST, N_TRAIN, draw  # noqa: E402

FIT_ROWS, REPEAT = 200_000, 5


def main():
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.linear_model import LogisticRegression, Ridge

    rng = np.random.default_rng(20261201)
    xtr, ytr = draw(N_TRAIN, rng)
    xte, _ = draw(N_TEST, rng)
    x, t, y = xtr[:FIT_ROWS, :12], xtr[:FIT_ROWS, 12], ytr[:FIT_ROWS]
    score = np.tile(xte[:, :12], (REPEAT, 1))
    n = len(score)
    hgb = dict(max_iter=100, max_depth=6, max_leaf_nodes=31, learning_rate=0.1, min_samples_leaf=20, l2_regularization=0.0,
               max_bins=255, early_stopping=False, random_state=0)
    p = t.mean()

    def clf():
        return HistGradientBoostingClassifier(**hgb)

    def reg():
        return HistGradientBoostingRegressor(**hgb)

    def logit():
        return LogisticRegression(C=1.0, max_iter=1000)

    def with_t(a, tv, interactions=False):
        col = np.full((len(a), 1), tv) if np.isscalar(tv) else tv.reshape(-1, 1)
        cols = [a, col] + ([a * col] if interactions else [])
        return np.hstack(cols)

    def s_learner(make, interactions):
        m = make().fit(with_t(x, t, interactions), y)
        return lambda a: m.predict_proba(with_t(a, 1.0, interactions))[:, 1] - m.predict_proba(with_t(a, 0.0, interactions))[:, 1]

    def t_learner(make):
        m1, m0 = make().fit(x[t == 1], y[t == 1]), make().fit(x[t == 0], y[t == 0])
        return lambda a: m1.predict_proba(a)[:, 1] - m0.predict_proba(a)[:, 1]

    def x_learner(make_c, make_r):
        m1, m0 = make_c().fit(x[t == 1], y[t == 1]), make_c().fit(x[t == 0], y[t == 0])
        d1 = y[t == 1] - m0.predict_proba(x[t == 1])[:, 1]
        d0 = m1.predict_proba(x[t == 0])[:, 1] - y[t == 0]
        e1, e0 = make_r().fit(x[t == 1], d1), make_r().fit(x[t == 0], d0)
        return lambda a: p * e0.predict(a) + (1 - p) * e1.predict(a)

    def class_transformation(make):
        z = (t == y).astype(float)
        w = np.where(t == 1, 0.5 / p, 0.5 / (1 - p))
        m = make().fit(x, z, sample_weight=w)
        return lambda a: 2 * m.predict_proba(a)[:, 1] - 1

    def transformed_outcome(make):
        m = make().fit(x, y * (t - p) / (p * (1 - p)))
        return lambda a: m.predict(a)

    learners = [
        ("S-learner, gbdt", lambda: s_learner(clf, False)),
        ("T-learner, gbdt", lambda: t_learner(clf)),
        ("X-learner, gbdt", lambda: x_learner(clf, reg)),
        ("class transformation, gbdt", lambda: class_transformation(clf)),
        ("transformed outcome, gbdt", lambda: transformed_outcome(reg)),
        ("S-learner, logistic", lambda: s_learner(logit, True)),
        ("T-learner, logistic", lambda: t_learner(logit)),
        ("X-learner, logistic + ridge", lambda: x_learner(logit, lambda: Ridge(alpha=1.0))),
        ("class transformation, logistic", lambda: class_transformation(logit)),
        ("transformed outcome, ridge", lambda: transformed_outcome(lambda: Ridge(alpha=1.0))),
    ]
    print(f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}; scoring {n} rows; models fitted on {FIT_ROWS} rows")
    for name, build in learners:
        predict = build()
        start, cpu = time.perf_counter(), time.process_time()
        u = predict(score)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        print(f"scikit-learn {name}: {n / wall / 1e6:.3f} M rows/s (CPU {cpu:.2f} s for {n} rows) mean uplift {u.mean():.6f}", flush=True)


if __name__ == "__main__":
    main()
