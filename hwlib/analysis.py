"""Dataset analyses of the "Datasets" chapter: rank agreement between devices, the paper's rule
for choosing the hard datasets (Section 4 and the supplement), and how predictable each dataset is
from its own cells."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
from .metrics import kendalltau

from .data import load_dataset

__all__ = ["common_values", "kendall_matrix", "difficulty_table", "own_data_fit", "TRIVIAL_TAU"]

#: Linear Regression on 25 samples at or above this Kendall tau marks a dataset as trivial.
TRIVIAL_TAU = 0.93


def common_values(names: Sequence[str]) -> pd.DataFrame:
    """Values of several NB201 datasets on the architectures all of them cover.

    Returns
    -------
    DataFrame, shape (common architectures, datasets), indexed by NB201 index.
    """
    frames = [pd.Series(load_dataset(n).y, index=load_dataset(n).index, name=n) for n in names]
    return pd.concat(frames, axis=1, join="inner")


def kendall_matrix(names: Sequence[str]) -> pd.DataFrame:
    """Kendall tau between every pair of datasets over their common architectures (symmetric)."""
    values = common_values(names).to_numpy()
    k = values.shape[1]
    tau = np.eye(k)
    for i in range(k):
        for j in range(i + 1, k):
            tau[i, j] = tau[j, i] = kendalltau(values[:, i], values[:, j])
    return pd.DataFrame(tau, index=list(names), columns=list(names))


def difficulty_table(names: Sequence[str], seeds: Sequence[int] = range(10), n_train: int = 25) -> pd.DataFrame:
    """The paper's triviality rule: Linear Regression on ``n_train`` samples, test Kendall tau.

    Each dataset is split per the protocol (:func:`hwlib.experiments.evaluate`); a dataset whose
    mean tau reaches :data:`TRIVIAL_TAU` is marked trivial.

    Returns
    -------
    DataFrame with columns dataset, kendalltau (mean over seeds), kendalltau_std, trivial.
    """
    from .experiments import evaluate

    rows = []
    for name in names:
        result = evaluate(name, "lr", n_train, list(seeds))
        taus = [run["kendalltau"] for run in result["runs"]]
        rows.append({"dataset": name, "kendalltau": float(np.mean(taus)),
                     "kendalltau_std": float(np.std(taus)), "trivial": bool(np.mean(taus) >= TRIVIAL_TAU)})
    return pd.DataFrame(rows)


def own_data_fit(names: Sequence[str], folds: int = 5) -> pd.DataFrame:
    """How well each dataset's own cells rank the rest of it: LightGBM on the one-hot encoding, fit
    on all but one of ``folds`` folds of the architectures it holds and predicting the fold left
    out, so that every architecture is predicted once; Kendall tau and Spearman of those
    predictions with the measured values.

    A reference for how much of the dataset the architecture explains, to one strong model with
    almost all of it to learn from; other models may rank it a little better (chapter "Predictor
    comparison", Figure 2.5). Far below 1, it points to noise in the measurements.

    Returns
    -------
    DataFrame
        Columns dataset, architectures, kendalltau, spearman.
    """
    return pd.DataFrame([_own_data_fit(name, int(folds)) for name in names])


def _own_data_fit(name: str, folds: int) -> dict:
    import lightgbm as lgb
    from sklearn.model_selection import KFold

    from .encodings import encode
    from .metrics import spearman

    ds = load_dataset(name)
    X, pred = encode(ds.A, "onehot", ds.search_space), np.empty(ds.n_archs)
    for train, held in KFold(folds, shuffle=True, random_state=0).split(X):
        model = lgb.LGBMRegressor(n_estimators=400, learning_rate=0.05, num_leaves=31, random_state=0, n_jobs=1,
                                  verbose=-1).fit(X[train], ds.y_z[train])
        pred[held] = model.predict(X[held])
    return {"dataset": name, "architectures": ds.n_archs, "kendalltau": kendalltau(ds.y, pred),
            "spearman": spearman(ds.y, pred)}
