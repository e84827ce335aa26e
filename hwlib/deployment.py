"""Put a predictor to use on a device: fit it on every architecture measured there and predict
the whole search space, which a hardware-aware search then reads instead of measuring.

A predictor of the study (:func:`hwlib.predictors.make_predictor`) fits the z-scored values, as in
the study; a transfer method (:mod:`hwlib.transfer`) fits them from the other devices'
measurements of the same NB201 cells. Either way the predictions are returned in the dataset's
unit, beside the measured values where there are any.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from .errors import InputError

__all__ = ["predict_space"]


def predict_space(dataset: str, predictor: str, seed: int = 0,
                  sources: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Fit ``predictor`` on every architecture of ``dataset`` and predict all of its search space.

    Parameters
    ----------
    dataset : str
        A dataset name (one's own measurements: :func:`hwlib.data.register_measurements`).
    predictor : str
        A predictor (``hwlib predictors``) or a transfer method (:func:`hwlib.transfer.list_methods`).
    seed : int
        Seeds the model.
    sources : str or sequence of str, optional
        For a transfer method: the source datasets (:func:`hwlib.transfer.resolve_sources`;
        default ``'others'``, every other device at hand).

    Returns
    -------
    DataFrame
        One row per architecture of the space in benchmark-index order: ``index``, ``arch`` (its
        name), ``predicted``, ``measured`` (NaN where the dataset has no value).

    Raises
    ------
    InputError
        An unknown dataset, predictor or source; sources for a predictor that takes none; a
        transfer method outside NB201.
    """
    from . import transfer
    from .data import load_dataset, space_archs
    from .predictors import list_predictors, make_predictor
    from .spaces import get_space

    ds = load_dataset(dataset)
    A = space_archs(ds.search_space)
    if predictor in transfer.list_methods():
        names = transfer.resolve_sources(dataset, "others" if sources is None else sources)
        model = transfer.make_transfer_predictor(predictor, names, random_state=seed)
        logged = bool((ds.y > 0).all())
        pred = model.fit(ds.A, transfer.target_values(ds)).predict(A)
        pred = np.exp(pred) if logged else pred * ds.y.std() + ds.y.mean()
    elif predictor in list_predictors():
        if sources is not None:
            raise InputError(f"sources apply to the transfer methods ({', '.join(transfer.list_methods())}), "
                             f"not to predictor {predictor!r}")
        model = make_predictor(predictor, ds.search_space, random_state=seed)
        std = ds.y.std()
        pred = model.fit(ds.A, ds.y_z).predict(A) * (std if std > 0 else 1.0) + ds.y.mean()
    else:
        raise InputError(f"unknown predictor {predictor!r}; the predictors: {', '.join(list_predictors())}; "
                         f"the transfer methods: {', '.join(transfer.list_methods())}")
    measured = np.full(len(A), np.nan)
    measured[ds.index] = ds.y
    return pd.DataFrame({"index": np.arange(len(A)), "arch": get_space(ds.search_space).array_to_names(A),
                         "predicted": np.asarray(pred, dtype=np.float64), "measured": measured})
