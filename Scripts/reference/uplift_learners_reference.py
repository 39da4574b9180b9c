#!/usr/bin/env python3
"""Reference fixtures for HoldoutUplift's learners (Tests/HoldoutUpliftTests/Learners*).

Writes to Tests/HoldoutUpliftTests/Fixtures/:

- `uplift_learners.csv`: 6,000 Criteo-like rows (numpy PCG64, seed 20261130): features f0…f11
  (correlated normals, 0.3^|i−j|, written with 2 decimals), `treatment` (Bernoulli 0.85),
  `conversion` (Bernoulli of the treated or control probability), `spend` (a continuous
  outcome for squared-error checks, 3 decimals) and `cate` (the true P(y|x,T=1) − P(y|x,T=0),
  6 decimals). Rows 0–3999 are the training split, 4000–5999 the held-out split.
- `uplift_learners.json`: what scikit-learn computes on the CSV as written (the script reads
  the CSV back, so Swift and Python see the same doubles):
  - `logistic`: `LogisticRegression(C=0.5, solver="newton-cholesky", tol=1e-12)` of conversion
    on f0…f11 + treatment, all 4,000 training rows. sklearn minimizes
    C·Σ log-loss + ½‖w‖² with the intercept unpenalized; HoldoutUplift minimizes
    Σ log-loss + (λ/2)‖w‖², so λ = 1/C = 2.
  - `gbdt_classifier`: `HistGradientBoostingClassifier(max_iter=100, max_depth=6,
    learning_rate=0.1, min_samples_leaf=20, l2_regularization=0, max_bins=255,
    max_leaf_nodes=31 (the default), early_stopping=False)` of conversion on f0…f11 + treatment;
    held-out log-loss and probabilities.
  - `gbdt_regressor`: the same settings as `HistGradientBoostingRegressor` on `spend`;
    held-out MSE.
  - `s_learner`: an S-learner with the classifier above (treatment as the 13th feature):
    held-out uplift P(y|x,1) − P(y|x,0), and scikit-uplift's `qini_auc_score` and
    `uplift_auc_score` of it on the held-out rows, and the same scores of the true CATE.

Run from the package root with scikit-learn 1.9.1 and scikit-uplift 0.5.1:

    python3 Scripts/reference/uplift_learners_reference.py
"""
import json
import os

import numpy as np
import pandas as pd
import sklearn
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, mean_squared_error

OUT = "Tests/HoldoutUpliftTests/Fixtures"
N, N_TRAIN, D = 6000, 4000, 12
FEATURES = [f"f{i}" for i in range(D)]


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def generate():
    rng = np.random.default_rng(20261130)
    corr = np.array([[0.3 ** abs(i - j) for j in range(D)] for i in range(D)])
    f = np.round(rng.standard_normal((N, D)) @ np.linalg.cholesky(corr).T, 2)
    t = (rng.random(N) < 0.85).astype(int)
    base = -1.2 + 0.8 * f[:, 0] + 0.5 * f[:, 1] - 0.4 * f[:, 2] + 0.3 * f[:, 3] * (f[:, 7] > 0)
    effect = 0.3 + 0.9 * f[:, 5] - 0.6 * f[:, 6] * (f[:, 8] > 0.5)
    p0, p1 = sigmoid(base), sigmoid(base + effect)
    y = (rng.random(N) < np.where(t == 1, p1, p0)).astype(int)
    spend = 2.0 * f[:, 0] + f[:, 1] ** 2 - f[:, 2] * f[:, 7] + np.sin(2 * f[:, 4]) + 0.5 * rng.standard_normal(N)
    frame = pd.DataFrame(f, columns=FEATURES)
    frame["treatment"] = t
    frame["conversion"] = y
    frame["spend"] = spend
    frame["cate"] = p1 - p0
    formats = {c: "{:.2f}" for c in FEATURES}
    formats.update({"treatment": "{:d}", "conversion": "{:d}", "spend": "{:.3f}", "cate": "{:.6f}"})
    lines = [",".join(frame.columns)]
    for row in frame.itertuples(index=False):
        lines.append(",".join(formats[c].format(v) for c, v in zip(frame.columns, row)))
    with open(os.path.join(OUT, "uplift_learners.csv"), "w") as fh:
        fh.write("\n".join(lines) + "\n")


def floats(values):
    return [float(v) for v in values]


def main():
    os.makedirs(OUT, exist_ok=True)
    generate()
    frame = pd.read_csv(os.path.join(OUT, "uplift_learners.csv"))
    train, test = frame.iloc[:N_TRAIN], frame.iloc[N_TRAIN:]
    cols = FEATURES + ["treatment"]
    xtr, xte = train[cols].to_numpy(), test[cols].to_numpy()

    logistic = LogisticRegression(C=0.5, solver="newton-cholesky", tol=1e-12, max_iter=1000)
    logistic.fit(xtr, train["conversion"])

    settings = dict(max_iter=100, max_depth=6, learning_rate=0.1, min_samples_leaf=20, l2_regularization=0.0,
                    max_bins=255, max_leaf_nodes=31, early_stopping=False)
    clf = HistGradientBoostingClassifier(**settings).fit(xtr, train["conversion"])
    prob = clf.predict_proba(xte)[:, 1]
    reg = HistGradientBoostingRegressor(**settings).fit(xtr, train["spend"])
    spend_hat = reg.predict(xte)

    treated, control = xte.copy(), xte.copy()
    treated[:, -1], control[:, -1] = 1, 0
    uplift = clf.predict_proba(treated)[:, 1] - clf.predict_proba(control)[:, 1]
    from sklift.metrics import qini_auc_score, uplift_auc_score
    import sklift

    y, t, cate = test["conversion"].to_numpy(), test["treatment"].to_numpy(), test["cate"].to_numpy()
    result = {
        "versions": {"sklearn": sklearn.__version__, "sklift": sklift.__version__, "numpy": np.__version__},
        "features": cols,
        "train_rows": N_TRAIN,
        "logistic": {
            "C": 0.5, "lambda": 2.0, "outcome": "conversion",
            "intercept": float(logistic.intercept_[0]), "coefficients": floats(logistic.coef_[0]),
        },
        "gbdt_classifier": {
            "settings": settings, "outcome": "conversion",
            "test_log_loss": float(log_loss(test["conversion"], prob)), "test_probabilities": floats(prob),
        },
        "gbdt_regressor": {
            "settings": settings, "outcome": "spend",
            "test_mse": float(mean_squared_error(test["spend"], spend_hat)),
        },
        "s_learner": {
            "base": "HistGradientBoostingClassifier (settings as gbdt_classifier)", "outcome": "conversion",
            "test_uplift": floats(uplift),
            "test_qini_auc": float(qini_auc_score(y, uplift, t)),
            "test_uplift_auc": float(uplift_auc_score(y, uplift, t)),
            "true_cate_qini_auc": float(qini_auc_score(y, cate, t)),
            "correlation_with_true_cate": float(np.corrcoef(uplift, cate)[0, 1]),
        },
    }
    with open(os.path.join(OUT, "uplift_learners.json"), "w") as fh:
        json.dump(result, fh, indent=1)
        fh.write("\n")
    print(json.dumps({k: v for k, v in result["s_learner"].items() if k != "test_uplift"}, indent=1))
    print("logloss", result["gbdt_classifier"]["test_log_loss"], "mse", result["gbdt_regressor"]["test_mse"])
    print("mean cate", cate.mean(), "conv rate", frame["conversion"].mean())


if __name__ == "__main__":
    main()
