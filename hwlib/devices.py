"""Your own device: the project's measurements beside the benchmark devices, FLOPs and parameters.

The measurements (``hwlib measure``) live under :func:`hwlib.data.devices_dir`; each space has a
full pass and a second, independent pass over the first 500 architectures of the same measuring
order (the *retest*), which says how reproducible the ranking is.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from .data import OWN_DATASETS, devices_dir, list_datasets, load_dataset
from .errors import DataError, InputError
from .measure import drift_correlation, read_measurements, retest_stats
from .metrics import kendalltau

__all__ = ["OWN_MEASUREMENTS", "RETESTS", "GPU_RETESTS", "GPU_DATASET", "GPU_DATASET_PASSES", "GPU_PICKED",
           "available_retests", "pass_description", "gpu_dataset_pass", "gpu_dataset", "gpu_picked",
           "gpu_agreement", "measurement_summary", "retest_pairs", "retest_drift", "paired_values",
           "agreement_table", "proxy_table", "nb201_latency_datasets", "edge_op_counts", "op_costs"]

#: Per search space: the dataset of the full pass.
OWN_MEASUREMENTS = {"nb201": "own-cpu_latency", "transnas_macro": "transnas_macro-cpu_latency"}
#: Measurement passes with a retest: name -> (full pass, retest pass), files under :func:`devices_dir`.
RETESTS = {
    "NB201, one after the other": ("own_cpu/nb201-cifar10-s32.csv", "own_cpu/nb201-cifar10-s32-retest.csv"),
    "NB201, interleaved": ("own_cpu/nb201-cifar10-s32-interleaved.csv",
                           "own_cpu/nb201-cifar10-s32-interleaved-retest.csv"),
    "TransNAS macro, busy machine": ("own_cpu/transnas_macro-s64.csv", "own_cpu/transnas_macro-s64-retest.csv"),
    "TransNAS macro, quiet machine, in turns": ("own_cpu/transnas_macro-s64-quiet.csv",
                                                "own_cpu/transnas_macro-s64-quiet-retest.csv"),
    "NB201, quiet machine, beside a reference": ("own_cpu/nb201-cifar10-s32-ref.csv",
                                                 "own_cpu/nb201-cifar10-s32-ref-retest.csv"),
}

#: The GPU passes (NB201 on an NVIDIA H200, batch 256, wall clock), each with its retest; the second
#: and third passes timed beside a reference network, each on a machine of its own. The third
#: pass's retest is the second pass (its first 300 architectures are the second's first 300): a
#: retest across machines. A pass on a GPU is no dataset of the study's grid: each holds a part of
#: the space (the passes were time-limited).
GPU_RETESTS = {
    "H200, one after the other": ("own_gpu/nb201-cifar10-s32-b256.csv", "own_gpu/nb201-cifar10-s32-b256-retest.csv"),
    "H200, beside a reference": ("own_gpu/nb201-cifar10-s32-b256-ref.csv",
                                 "own_gpu/nb201-cifar10-s32-b256-ref-retest.csv"),
    "H200, beside a reference, another machine": ("own_gpu/nb201-cifar10-s32-b256-ref2.csv",
                                                  "own_gpu/nb201-cifar10-s32-b256-ref.csv"),
}

#: The name under which :func:`gpu_dataset` registers the GPU's largest pass beside a reference.
GPU_DATASET = "h200-b256_latency"
#: The passes :func:`gpu_dataset` takes, the first at hand: the third (7010 cells), else the second.
GPU_DATASET_PASSES = ("H200, beside a reference, another machine", "H200, beside a reference")
#: The ten cells ``hwlib transfer --pick 10 --sources others`` names, measured on the third pass's
#: machine right before it (``hwlib measure --archs``), as a new device's first measurements.
GPU_PICKED = "own_gpu/nb201-cifar10-s32-b256-ref2-pick10.csv"


def _space(search_space: str) -> str:
    try:
        return OWN_MEASUREMENTS[search_space]
    except KeyError:
        raise InputError(f"no own measurements of search space {search_space!r}; "
                         f"one of {', '.join(OWN_MEASUREMENTS)}") from None


def measurement_summary(search_space: str) -> dict:
    """What was measured and how, read from the full pass's CSV and its ``.json`` description.

    Returns
    -------
    dict
        ``dataset``, ``file``, ``settings`` and ``machine`` (dicts), ``measured`` and ``total``
        architectures, ``hours`` (first to last record), ``median_ms`` (of all architectures),
        ``spread`` (median over architectures of the interquartile range / median of its repeats),
        ``tau_wall_cpu`` (Kendall tau of the wall-clock and the recorded medians).
    """
    name = _space(search_space)
    frame, meta = _read_pass(devices_dir() / OWN_DATASETS[name][1])
    from .networks import all_archs
    return {"dataset": name, "file": f"{devices_dir().name}/{OWN_DATASETS[name][1]}",
            "settings": meta["settings"], "machine": meta["machine"], "measured": len(frame),
            "total": len(all_archs(search_space)),
            "hours": float((frame["unix_time"].max() - frame["unix_time"].min()) / 3600),
            "median_ms": float(frame["median_ms"].median()),
            "spread": float(((frame["q75_ms"] - frame["q25_ms"]) / frame["median_ms"]).median()),
            "tau_wall_cpu": kendalltau(frame["median_ms"], frame["wall_median_ms"])}


def _read_pass(path: Path) -> tuple[pd.DataFrame, dict]:
    """A measurement CSV's records and its ``.json`` description (settings, machine)."""
    frame = read_measurements(path)
    meta_path = path.with_name(path.name + ".json")
    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, ValueError):
        raise DataError(f"{meta_path}: missing or unreadable measurement description") from None
    return frame, meta


def available_retests(gpu: bool = False) -> list[str]:
    """Names of :data:`RETESTS` (with ``gpu``: :data:`GPU_RETESTS`) whose two files are at hand."""
    table = GPU_RETESTS if gpu else RETESTS
    return [k for k, files in table.items() if all((devices_dir() / f).is_file() for f in files)]


def _retest_passes(name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The full pass and the retest pass of :data:`RETESTS` or :data:`GPU_RETESTS` ``name``."""
    known = {**RETESTS, **GPU_RETESTS}
    try:
        full, retest = known[name]
    except KeyError:
        raise InputError(f"unknown retest {name!r}; one of {', '.join(known)}") from None
    return read_measurements(devices_dir() / full), read_measurements(devices_dir() / retest)


def pass_description(path: str) -> dict:
    """A measurement pass as its ``.json`` describes it, with what its CSV holds.

    Parameters
    ----------
    path : str
        The CSV, relative to :func:`hwlib.data.devices_dir` (e.g. ``own_gpu/nb201-cifar10-s32-b256.csv``).

    Returns
    -------
    dict
        ``file``, the settings and machine entries, ``measured`` (architectures), ``minutes``
        (first to last record), ``median_ms`` (over architectures); for a pass timed beside a
        reference network, ``reference_ms`` (the median of its lower quartiles over the rounds).
    """
    frame, meta = _read_pass(devices_dir() / path)
    out = {"file": path, **meta["settings"], **meta["machine"], "measured": len(frame),
           "minutes": round(float(frame["unix_time"].max() - frame["unix_time"].min()) / 60, 1),
           "median_ms": float(frame["median_ms"].median())}
    if "ref_q25_ms" in frame:
        out["reference_ms"] = float(frame["ref_q25_ms"].median())
    return out


def gpu_dataset_pass() -> str | None:
    """The first pass of :data:`GPU_DATASET_PASSES` whose file is at hand (a name of
    :data:`GPU_RETESTS`), or None."""
    return next((name for name in GPU_DATASET_PASSES if (devices_dir() / GPU_RETESTS[name][0]).is_file()), None)


def gpu_dataset() -> str | None:
    """The GPU's largest pass beside a reference as a dataset (:data:`GPU_DATASET`, registered by
    :func:`hwlib.data.register_measurements`; :data:`GPU_DATASET_PASSES`), or None where no such
    pass is at hand."""
    from .data import register_measurements

    name = gpu_dataset_pass()
    return register_measurements(devices_dir() / GPU_RETESTS[name][0], GPU_DATASET) if name is not None else None


def gpu_picked() -> str | None:
    """The GPU's ten picked cells (:data:`GPU_PICKED`) as a dataset, or None where not at hand."""
    from .data import register_measurements

    path = devices_dir() / GPU_PICKED
    return register_measurements(path, "h200-b256-picked_latency") if path.is_file() else None


def gpu_agreement(others: Sequence[str] | None = None) -> tuple[str, pd.DataFrame]:
    """The GPU's latency (its pass beside a reference, as a dataset) against other datasets.

    Parameters
    ----------
    others : sequence of str, optional
        Default: every NB201 latency dataset at hand, FLOPs, parameters and this CPU.

    Returns
    -------
    (str, DataFrame)
        The GPU pass's dataset name (:func:`hwlib.data.register_measurements`), and
        :func:`agreement_table` sorted by Kendall tau, highest first.
    """
    name = gpu_dataset()
    if name is None:
        raise DataError(f"{devices_dir() / GPU_RETESTS[GPU_DATASET_PASSES[-1]][0]}: no GPU pass beside a reference "
                        "is at hand")
    others = list(others) if others is not None else \
        ["nb201-flops", "nb201-params", OWN_MEASUREMENTS["nb201"], *nb201_latency_datasets()]
    table = agreement_table(name, [o for o in others if o in list_datasets()])
    return name, table.sort_values("kendalltau", ascending=False, ignore_index=True)


def retest_pairs(name: str) -> tuple[pd.DataFrame, dict]:
    """The two passes over the retest architectures, matched by name, and their agreement.

    Parameters
    ----------
    name : str
        One of :data:`RETESTS`.

    Returns
    -------
    (DataFrame, dict)
        Columns ``arch``, ``first_ms``, ``second_ms`` (medians), ``first_min_ms``, ``second_min_ms``
        (fastest repeats), ``first_wall_ms``, ``second_wall_ms`` (wall-clock medians); and
        :func:`hwlib.measure.test_retest` of the recorded medians, with ``kendalltau_wall`` and
        ``kendalltau_min`` (the same for the wall-clock medians and for the minima) added; where a
        reference network was timed, also ``kendalltau_norm`` (of ``norm_q25_ms``) and the pairs'
        ``first_norm_ms``, ``second_norm_ms``. ``value`` names the statistic a dataset of the pass
        takes (``norm_q25_ms`` where there is a reference, else ``min_ms``) and ``kendalltau_value``
        is its tau; the pairs' ``first_value_ms``, ``second_value_ms`` are its values.
    """
    first, second = _retest_passes(name)
    stats = retest_stats(first, second)
    normalised = "norm_q25_ms" in stats
    result = {"n": stats["n"], **{k: v for k, v in stats["median_ms"].items() if k != "drift_lag1"},
              "kendalltau_wall": stats["wall_median_ms"]["kendalltau"], "kendalltau_min": stats["min_ms"]["kendalltau"]}
    if normalised:
        result["kendalltau_norm"] = stats["norm_q25_ms"]["kendalltau"]
    result["value"] = "norm_q25_ms" if normalised else "min_ms"
    result["kendalltau_value"] = result["kendalltau_norm" if normalised else "kendalltau_min"]
    both = first.merge(second, on="arch", suffixes=("_a", "_b"))
    pairs = pd.DataFrame({"arch": both["arch"], "first_ms": both["median_ms_a"], "second_ms": both["median_ms_b"],
                          "first_min_ms": both["min_ms_a"], "second_min_ms": both["min_ms_b"],
                          "first_wall_ms": both["wall_median_ms_a"], "second_wall_ms": both["wall_median_ms_b"]})
    if normalised:
        pairs["first_norm_ms"], pairs["second_norm_ms"] = both["norm_q25_ms_a"], both["norm_q25_ms_b"]
    key = "norm" if normalised else "min"
    pairs["first_value_ms"], pairs["second_value_ms"] = pairs[f"first_{key}_ms"], pairs[f"second_{key}_ms"]
    return pairs, result


def retest_drift(name: str, column: str = "min_ms", lags: Sequence[int] = (1, 2, 5, 50)) -> dict[int, float]:
    """:func:`hwlib.measure.drift_correlation` of the two passes of retest ``name`` (:data:`RETESTS`)."""
    first, second = _retest_passes(name)
    try:
        return drift_correlation(first, second, column, lags)
    except InputError:
        raise InputError(f"retest {name!r} has no column {column!r}") from None


def paired_values(a: str, b: str) -> tuple[np.ndarray, np.ndarray]:
    """Values of datasets ``a`` and ``b`` (same search space) on the architectures both hold, shape (n,) each."""
    da, db = load_dataset(a), load_dataset(b)
    if da.search_space != db.search_space:
        raise InputError(f"{a} ({da.search_space}) and {b} ({db.search_space}) are different search spaces")
    common, ia, ib = np.intersect1d(da.index, db.index, return_indices=True)
    return da.y[ia], db.y[ib]


def agreement_table(reference: str, others: Sequence[str]) -> pd.DataFrame:
    """Kendall tau of ``reference`` with each of ``others`` on their common architectures.

    Returns
    -------
    DataFrame
        One row per other dataset: ``dataset``, ``kendalltau``, ``n`` (common architectures).
    """
    rows = []
    for name in others:
        ya, yb = paired_values(reference, name)
        rows.append({"dataset": name, "kendalltau": kendalltau(ya, yb), "n": len(ya)})
    return pd.DataFrame(rows, columns=["dataset", "kendalltau", "n"])


def proxy_table(devices: Sequence[str], proxies: Sequence[str]) -> pd.DataFrame:
    """How well each proxy (e.g. FLOPs, parameters) ranks each device's values.

    Returns
    -------
    DataFrame
        Index: device datasets; one column per proxy: Kendall tau on the common architectures
        (NaN where the proxy is the device itself).
    """
    table = {p: agreement_table(p, [d for d in devices if d != p]).set_index("dataset")["kendalltau"]
             for p in proxies}
    return pd.DataFrame(table).reindex(list(devices))


def nb201_latency_datasets() -> list[str]:
    """Every NB201 latency dataset at hand (HW-NAS-Bench cifar10 and HELP), the project's own excepted."""
    own = set(OWN_DATASETS)
    return [n for n in list_datasets() if n not in own and load_dataset(n).search_space == "nb201"
            and load_dataset(n).unit == "ms" and (n.startswith("help-") or
                                                   (n.startswith("cifar10-") and n.endswith("_latency")))]


def edge_op_counts(A: np.ndarray, n_codes: int = 5) -> np.ndarray:
    """How many positions of each architecture hold each op code, shape (n, n_codes)."""
    A = np.asarray(A)
    return np.stack([(A == c).sum(axis=1) for c in range(n_codes)], axis=1)


def op_costs(dataset: str) -> tuple[pd.DataFrame, float]:
    """An additive cost model: the dataset's values by least squares on how often each op occurs.

    Parameters
    ----------
    dataset : str
        An NB201 or TransNAS macro dataset.

    Returns
    -------
    (DataFrame, float)
        One row per op (the first, 'none' or the padding, is the baseline and holds the intercept):
        ``op``, ``cost`` (value added by one more position with that op, in the dataset's unit);
        and the Kendall tau of the model's fit against the values.
    """
    from .spaces import NB201_OPS, get_space

    ds = load_dataset(dataset)
    n_codes = get_space(ds.search_space).n_codes
    C = edge_op_counts(ds.A, n_codes)
    X = np.column_stack([np.ones(len(C)), C[:, 1:]])
    w = np.linalg.lstsq(X, ds.y, rcond=None)[0]
    names = NB201_OPS if ds.search_space == "nb201" else ("intercept (4 blocks)", "normal", "channels x2",
                                                          "resolution /2", "both")
    names = ("intercept",) + tuple(names[1:]) if ds.search_space == "nb201" else names
    return pd.DataFrame({"op": names, "cost": w}), kendalltau(ds.y, X @ w)
