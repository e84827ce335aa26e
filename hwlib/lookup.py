"""The lookup table measured on the benchmarks: its Kendall tau per dataset and the paper's Table 1.

The model itself is :class:`hwlib.predictors.lut.LookupTable`; this module scores it on
datasets (over ALL architectures, as the protocol says) and sets it beside Linear Regression.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from .errors import DataError, InputError
from .predictors.lut import LookupTable
from .spaces import get_space
from .store import Store

__all__ = ["lut_predictions", "evaluate_lut", "PAPER_TABLE1", "device_metric", "lookup_table_comparison"]


def _fitted(dataset_name: str, base=None, zscored: bool = True):
    """The dataset, its one-hot encoding and the lookup table fitted on its values."""
    from .data import load_dataset
    from .encodings import onehot

    ds = load_dataset(dataset_name)
    X = onehot(ds.A, ds.search_space)
    try:
        return ds, X, LookupTable(ds.search_space, base=base).fit(X, ds.y_z if zscored else ds.y)
    except InputError as exc:
        raise DataError(f"{dataset_name}: {exc}") from None


def lut_predictions(dataset_name: str, base=None) -> tuple[np.ndarray, np.ndarray]:
    """Measured values of every architecture of a dataset and its lookup table's predictions."""
    ds, X, lut = _fitted(dataset_name, base, zscored=False)
    return ds.y, lut.predict(X)


def evaluate_lut(dataset_name: str, base=None) -> dict:
    """The lookup table of a dataset, scored by Kendall tau over ALL its architectures.

    Parameters
    ----------
    dataset_name : str
    base : tuple of int, optional
        Force this base (see :class:`LookupTable`).

    Returns
    -------
    dict
        ``dataset``, ``kendalltau``, ``n_measured``, ``n_archs``, ``base`` (names of the base and
        any other context architecture), ``base_reason``.
    """
    from .metrics import kendalltau

    ds, X, lut = _fitted(dataset_name, base)
    space = get_space(ds.search_space)
    return {"dataset": ds.name, "kendalltau": kendalltau(ds.y_z, lut.predict(X)),
            "n_measured": lut.n_measured_, "n_archs": ds.n_archs,
            "base": [space.to_name(b) for b in lut.layout_.bases()], "base_reason": lut.base_reason_}


#: The paper's Table 1: (device, metric) -> (lookup table tau, Linear Regression tau at 124 samples).
#: HW-NAS-Bench columns; "tesla_v100" is TransNAS-Bench-101 (macro space, mean of its five tasks).
PAPER_TABLE1 = {
    ("raspi4", "latency"): (0.45, 0.75), ("fpga", "latency"): (0.99, 0.97),
    ("eyeriss", "latency"): (0.99, 0.96), ("pixel3", "latency"): (0.49, 0.78),
    ("edgegpu", "latency"): (0.21, 0.79), ("tesla_v100", "latency"): (0.60, 0.70),
    ("fpga", "energy"): (0.99, 0.97), ("eyeriss", "energy"): (1.00, 0.99),
    ("edgegpu", "energy"): (0.23, 0.79), ("eyeriss", "arithmetic_intensity"): (0.84, 0.81),
}


def device_metric(dataset: str) -> tuple[str, str]:
    """``'cifar10-raspi4_latency'`` -> ``('raspi4', 'latency')``; TransNAS -> ``('tesla_v100', 'latency')``."""
    if dataset.startswith("transnas"):
        return "tesla_v100", "latency"
    device, _, metric = dataset.split("-", 1)[1].partition("_")
    return device, metric


def lookup_table_comparison(datasets: Sequence[str], seeds: Iterable[int] = range(50),
                            train_size: int = 124, store: Store | None = None,
                            progress: bool = False) -> pd.DataFrame:
    """The paper's Table 1 per dataset: lookup-table tau over all architectures beside Linear
    Regression's mean test tau at ``train_size`` samples, and the published numbers.

    Returns
    -------
    DataFrame
        One row per dataset: dataset, device, metric, lut, lr, paper_lut, paper_lr, lut_base,
        lut_base_reason, n_measured.
    """
    from .experiments import run_study

    lr = run_study(datasets, ["lr"], [train_size], seeds, store=store, progress=progress)
    lr_tau = lr.groupby("dataset")["kendalltau"].mean()
    rows = []
    for name in datasets:
        lut = evaluate_lut(name)
        device, metric = device_metric(name)
        paper = PAPER_TABLE1.get((device, metric), (np.nan, np.nan))
        rows.append({"dataset": name, "device": device, "metric": metric, "lut": lut["kendalltau"],
                     "lr": float(lr_tau[name]), "paper_lut": paper[0], "paper_lr": paper[1],
                     "lut_base": " / ".join(lut["base"]), "lut_base_reason": lut["base_reason"],
                     "n_measured": lut["n_measured"]})
    return pd.DataFrame(rows)
