"""The source devices of a transfer: which datasets serve a target, their values on every
NAS-Bench-201 cell (raw and denoised), and the features built from them (:class:`SourceFeatures`)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Sequence

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ..errors import InputError

__all__ = ["SOURCES_VERSION", "HELP_SOURCES", "HELP_TARGETS", "PROXY_SOURCES", "SOURCE_SETS", "device_of",
           "resolve_sources", "target_values", "source_values", "prepare_sources", "nb201_positions",
           "SourceFeatures"]

#: Bumped by hand when the meaning of the stored source values (:func:`source_values`) changes.
SOURCES_VERSION = "1"
#: HELP's nine meta-training devices and six test devices (its NB201 experiment).
HELP_SOURCES = ("help-1080ti_1", "help-1080ti_32", "help-1080ti_256", "help-silver_4114", "help-silver_4210r",
                "help-samsung_a50", "cifar10-pixel3_latency", "help-essential_ph_1", "help-samsung_s7")
HELP_TARGETS = ("help-titan_rtx_256", "help-gold_6226", "help-pixel2", "cifar10-raspi4_latency",
                "cifar10-eyeriss_latency", "cifar10-fpga_latency")
#: Free proxies of any device: the networks' exact FLOPs and parameter counts (``hwlib measure --counts``).
PROXY_SOURCES = ("nb201-flops", "nb201-params")
SOURCE_SETS = ("help-train", "others", "others+proxies")
_N_CELLS = 15625
_ONEHOT = 30


def device_of(name: str) -> str:
    """The physical device of a dataset: ``'help-1080ti_32'`` -> ``'1080ti'``,
    ``'cifar10-edgegpu_energy'`` -> ``'edgegpu'``; metrics and batch sizes of one device share it."""
    if name.startswith("help-"):
        return re.sub(r"_(1|32|256)$", "", name[len("help-"):])
    return name.split("-", 1)[-1].split("_", 1)[0]


def _hardware_datasets() -> list[str]:
    """NB201 hardware datasets at hand: HELP's lists and the HW-NAS-Bench metrics (edgetpu excluded,
    as in the study, and one image dataset: the metric is the same network's)."""
    from ..data import list_datasets

    names = [n for n in list_datasets() if n.startswith("help-")]
    names += [n for n in list_datasets() if n.startswith("cifar10-") and "accuracy" not in n and "edgetpu" not in n]
    return sorted(names)


def resolve_sources(target: str | None, sources: str | Sequence[str]) -> tuple[str, ...]:
    """The source datasets for ``target``.

    Parameters
    ----------
    target : str or None
        Target dataset name; None for a new device, measured in none of the datasets at hand.
    sources : str or sequence of str
        ``'help-train'`` (HELP's nine meta-training devices), ``'others'`` (every hardware dataset
        at hand of another device than the target's), ``'others+proxies'`` (those and the networks'
        FLOPs and parameter counts, :data:`PROXY_SOURCES`), or dataset names (a list or ``'a,b,c'``).

    Raises
    ------
    InputError
        An unknown dataset, a non-NB201 one, no sources, or the target among the sources.
    """
    from ..data import load_dataset

    if target is not None:
        _check_nb201(target)
    if isinstance(sources, str) and sources in ("others", "others+proxies"):
        names = tuple(n for n in _hardware_datasets() if target is None or device_of(n) != device_of(target))
        names += PROXY_SOURCES if sources == "others+proxies" else ()
    elif isinstance(sources, str) and sources == "help-train":
        names = HELP_SOURCES
    else:
        items = sources.split(",") if isinstance(sources, str) else list(sources)
        names = tuple(dict.fromkeys(s.strip() for s in items if s.strip()))
    if not names:
        raise InputError(f"no source datasets in {sources!r}")
    if target in names:
        raise InputError(f"the target {target!r} is among the sources; leave it out")
    for name in names:
        _check_nb201(name)
        load_dataset(name)
    return names


def _check_nb201(name: str) -> None:
    from ..data import load_dataset

    ds = load_dataset(name)
    if ds.search_space != "nb201" or name.endswith("test_accuracy"):
        raise InputError(f"dataset {name!r} is not an NB201 hardware metric; transfer needs one")


def target_values(ds) -> np.ndarray:
    """The values a transfer predictor fits: log of a positive metric, else the z-scored values."""
    return np.log(ds.y) if (ds.y > 0).all() else np.asarray(ds.y_z, dtype=np.float64)


def _zscore(v: np.ndarray) -> np.ndarray:
    std = v.std()
    return (v - v.mean()) / (std if std > 0 else 1.0)


def _denoise(ds, values: np.ndarray) -> np.ndarray:
    """Out-of-fold LightGBM predictions of ``values`` from the one-hot encoding, on all 15625 cells.

    Cells the dataset holds get the prediction of the fold model that did not see them; the others
    get the mean of the fold models.
    """
    import lightgbm as lgb
    from sklearn.model_selection import KFold

    from ..data import nb201_archs
    from ..encodings import onehot

    missing = np.setdiff1d(np.arange(_N_CELLS), ds.index)
    X, X_missing = onehot(ds.A, "nb201"), onehot(nb201_archs()[missing], "nb201")
    out, rest = np.zeros(_N_CELLS), np.zeros(len(missing))
    for train, held in KFold(5, shuffle=True, random_state=0).split(X):
        model = lgb.LGBMRegressor(n_estimators=400, learning_rate=0.05, num_leaves=31, random_state=0,
                                  n_jobs=1, verbose=-1).fit(X[train], values[train])
        out[ds.index[held]] = model.predict(X[held])
        if len(missing):       # (a row's prediction does not depend on the other rows)
            rest += model.predict(X_missing) / 5
    out[missing] = rest
    return out


@lru_cache(maxsize=64)
def source_values(name: str) -> tuple[np.ndarray, np.ndarray]:
    """(raw, denoised) values of source dataset ``name`` on all 15625 cells, each z-scored.

    Raw holds the measured value (log of a positive metric), the denoised value where the dataset
    lacks a cell. Kept as arrays in the results store (:func:`hwlib.store.default_store`, table
    ``transfer/sources``), keyed by the data checksum.

    Returns
    -------
    raw, denoised : ndarray, shape (15625,), read-only
    """
    from ..data import load_dataset

    ds = load_dataset(name)
    store, key, params = _source_cell(name)
    arrays = store.get_arrays("transfer/sources", key)
    if arrays is None:
        values = target_values(ds)
        den = _denoise(ds, values)
        raw = den.copy()
        raw[ds.index] = values
        arrays = {"raw": raw, "denoised": den}
        store.put_arrays("transfer/sources", key, params, arrays)
    raw, den = arrays["raw"], arrays["denoised"]
    raw, den = _zscore(raw), _zscore(den)
    raw.setflags(write=False)
    den.setflags(write=False)
    return raw, den


def _source_cell(name: str) -> tuple:
    """(store, key, params) of the stored values of source ``name``."""
    from ..data import load_dataset
    from ..store import cell_key, default_store

    params = {"dataset": name, "checksum": load_dataset(name).checksum, "denoiser": "lgb-oof5",
              "version": SOURCES_VERSION}
    return default_store(), cell_key("transfer/sources", params), params


def prepare_sources(names: Sequence[str], progress: bool = True, n_jobs: int = 1) -> None:
    """Read (or, on first use, compute and store) every source's values, with a progress bar: the
    first use of a source denoises it, a few seconds each (:func:`source_values`); ``n_jobs``
    worker processes denoise those not stored yet."""
    from tqdm.auto import tqdm

    from ..data import worker_pool

    names = list(dict.fromkeys(names))
    if n_jobs > 1:
        new = [n for n in names if not _is_stored(n)]
        if len(new) > 1:
            with worker_pool(min(n_jobs, len(new))) as pool:
                list(tqdm(pool.map(_store_source, new), total=len(new), desc="sources", unit="source",
                          leave=False, disable=not progress))
    for name in tqdm(names, desc="sources", unit="source", leave=False, disable=not progress):
        source_values(name)


def _is_stored(name: str) -> bool:
    store, key, _ = _source_cell(name)
    return store.has_arrays("transfer/sources", key)


def _store_source(name: str) -> None:
    """Denoise and store source ``name`` (in a worker process)."""
    source_values(name)


def nb201_positions(A: np.ndarray) -> np.ndarray:
    """NB201 index of each architecture (op codes, shape (n, 6)) -> shape (n,)."""
    from ..data import nb201_archs
    from ..spaces import get_space

    A = get_space("nb201").validate(np.asarray(A))
    return _code_to_index(nb201_archs().tobytes())[A @ (5 ** np.arange(6))]


@lru_cache(maxsize=1)
def _code_to_index(archs: bytes) -> np.ndarray:
    A = np.frombuffer(archs, dtype=np.int64).reshape(-1, 6)
    table = np.empty(5 ** 6, dtype=np.int64)
    table[A @ (5 ** np.arange(6))] = np.arange(len(A))
    return table


class SourceFeatures(TransformerMixin, BaseEstimator):
    """Architectures -> ``[raw (k) | denoised (k) | one-hot (30)]`` of ``k`` source datasets.

    Parameters
    ----------
    sources : tuple of str
        Source dataset names (NB201 hardware metrics).
    """

    def __init__(self, sources: tuple = ()):
        self.sources = sources

    def fit(self, A, y=None):
        """Load the sources' values; returns ``self``."""
        if not self.sources:
            raise InputError("SourceFeatures needs at least one source dataset")
        for name in self.sources:
            _check_nb201(name)
        raw, den = zip(*(source_values(n) for n in self.sources))
        self.raw_, self.denoised_ = np.column_stack(raw), np.column_stack(den)
        return self

    def transform(self, A) -> np.ndarray:
        """Features of ``A`` (n, 6), shape (n, 2k + 30)."""
        from ..encodings import onehot

        check_is_fitted(self, "raw_")
        pos = nb201_positions(A)
        return np.hstack([self.raw_[pos], self.denoised_[pos], onehot(np.asarray(A), "nb201")])
