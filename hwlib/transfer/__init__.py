"""Few-shot prediction for a new device from the devices already measured (beyond the paper).

The paper trains every predictor on one device's measurements alone. A user with a new device
rarely starts from nothing: the same NAS-Bench-201 cells are measured on many other devices (HELP's
lists, HW-NAS-Bench). The predictors here take, besides the architecture, those *source* devices'
values of it, and fit a handful of target-device samples.

Features
--------
:class:`SourceFeatures` maps architectures ``A`` (n, 6) to ``X = [raw (k) | denoised (k) | one-hot
(30)]`` for ``k`` source datasets. *Raw* is a source's value (log for positive metrics, z-scored over
all 15625 cells). *Denoised* is the same device's value as a model of the architecture predicts it:
out-of-fold LightGBM predictions on the one-hot encoding (5 folds), which keep what the architecture
explains and drop the measurement noise; it also fills cells a source lacks (the 12554-row tables).
Both use only the source devices' own data.

Predictors (``TRANSFER_REGISTRY``, the same scikit-learn contract as :mod:`hwlib.predictors`)
-----------------------------------------------------------------------------------------------
``proxy``
    Best proxy: the raw source whose Spearman correlation with the target's training samples is
    highest, mapped linearly onto the target's scale.
``source_ridge``
    Ridge regression on the raw source values and the one-hot encoding; alpha by leave-one-out.
``consensus``
    The mean of the denoised sources (the consensus of the devices) fit by least squares, then a
    ridge regression of the residual on the denoised sources, alpha by leave-one-out: the target is
    assumed to be the devices' common trend plus a combination of how devices differ.
``consensus_ensemble`` (the strongest, the default)
    The mean of ``consensus`` fits that each leave one fold of the training samples out (10 folds,
    so the jackknife at 10 samples): it averages away the choice of alpha that a single noisy
    sample would swing.
``anchored_ensemble``
    As ``consensus_ensemble``, anchored on the denoised source that ranks each fit's samples best
    instead of the consensus: better where one device is a close relative of the target (raspi4
    and pixel3 among many GPUs), worse where none is (HELP's pixel2).
``selected_ensemble``
    Both ensembles, keeping the one whose jackknife fits predict their left-out samples better.

Every choice (source, alpha, weights) is made on the target's training samples only.

Protocols
---------
``help``
    HELP (Lee et al., NeurIPS 2021): ``train_size`` target samples drawn at random from all cells,
    scored on all cells.
``paper``
    The study's split (:func:`hwlib.experiments.split`): 625 test cells, training a prefix of the
    pool, so transfer and single-device predictors see the same samples.

Targets are fit on log values (latency and energy are multiplicative); Kendall tau and Spearman
are invariant to that monotone map, and so is the Pareto selection.
"""

from __future__ import annotations

import logging
import re
import time
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.base import BaseEstimator, RegressorMixin, TransformerMixin
from sklearn.linear_model import LinearRegression, Ridge, RidgeCV
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted, validate_data

from ..errors import InputError
from ..predictors import PredictorSpec

__all__ = ["HELP_SOURCES", "HELP_TARGETS", "HELP_PUBLISHED", "PROXY_SOURCES", "SOURCE_SETS", "TRANSFER_REGISTRY", "STRONGEST",
           "PROTOCOLS", "LODO_SIZES", "VERSION", "device_of", "resolve_sources", "source_values",
           "target_values", "nb201_positions", "SourceFeatures", "BestProxyRegressor", "SourceRidgeRegressor",
           "ConsensusRegressor", "ConsensusEnsembleRegressor", "AnchoredEnsembleRegressor",
           "SelectedEnsembleRegressor", "list_methods", "get_method",
           "make_transfer_predictor", "transfer_split", "transfer_runs", "evaluate_transfer",
           "help_study", "lodo_study", "lodo_baselines", "selection_study", "BASELINE_SIZES"]

log = logging.getLogger(__name__)

#: Bumped by hand when the meaning of a cached or committed result changes.
VERSION = "1"
#: HELP's nine meta-training devices and six test devices (its NB201 experiment).
HELP_SOURCES = ("help-1080ti_1", "help-1080ti_32", "help-1080ti_256", "help-silver_4114", "help-silver_4210r",
                "help-samsung_a50", "cifar10-pixel3_latency", "help-essential_ph_1", "help-samsung_s7")
HELP_TARGETS = ("help-titan_rtx_256", "help-gold_6226", "help-pixel2", "cifar10-raspi4_latency",
                "cifar10-eyeriss_latency", "cifar10-fpga_latency")
#: HELP's published Spearman correlation with 10 target samples on NAS-Bench-201 (Lee, Lee, Chong &
#: Hwang, "HELP: Hardware-Adaptive Efficient Latency Prediction for NAS via Meta-Learning",
#: NeurIPS 2021, arXiv:2106.08630, the NAS-Bench-201 latency-estimation results on unseen devices).
HELP_PUBLISHED = {"help-titan_rtx_256": 0.987, "help-gold_6226": 0.989, "help-pixel2": 0.802,
                  "cifar10-raspi4_latency": 0.890, "cifar10-eyeriss_latency": 0.940,
                  "cifar10-fpga_latency": 0.985}
#: Free proxies of any device: the networks' exact FLOPs and parameter counts (``hwlib measure --counts``).
PROXY_SOURCES = ("nb201-flops", "nb201-params")
SOURCE_SETS = ("help-train", "others", "others+proxies")
PROTOCOLS = ("help", "paper")
#: Training sizes of the leave-one-device-out protocol: the study's sizes up to 124, and HELP's 10.
LODO_SIZES = (5, 10, 11, 25, 55, 124)
#: The study's training sizes up to 124, where the single-device predictors are compared.
BASELINE_SIZES = (5, 11, 25, 55, 124)
_N_CELLS = 15625
_ALPHAS = np.logspace(-3, 3, 13)
_RESIDUAL_ALPHAS = np.logspace(-1, 4, 11)
_ONEHOT = 30


# ----------------------------------------------------------------------------- sources


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


def resolve_sources(target: str, sources: str | Sequence[str]) -> tuple[str, ...]:
    """The source datasets for ``target``.

    Parameters
    ----------
    target : str
        Target dataset name.
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

    _check_nb201(target)
    if isinstance(sources, str) and sources in ("others", "others+proxies"):
        names = tuple(n for n in _hardware_datasets() if device_of(n) != device_of(target))
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

    X, X_all = onehot(ds.A, "nb201"), onehot(nb201_archs(), "nb201")
    out, rest = np.zeros(_N_CELLS), np.zeros(_N_CELLS)
    for train, held in KFold(5, shuffle=True, random_state=0).split(X):
        model = lgb.LGBMRegressor(n_estimators=400, learning_rate=0.05, num_leaves=31, random_state=0,
                                  n_jobs=1, verbose=-1).fit(X[train], values[train])
        out[ds.index[held]] = model.predict(X[held])
        rest += model.predict(X_all) / 5
    missing = np.setdiff1d(np.arange(_N_CELLS), ds.index)
    out[missing] = rest[missing]
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
    from ..store import cell_key, default_store

    ds = load_dataset(name)
    store = default_store()
    params = {"dataset": name, "checksum": ds.checksum, "denoiser": "lgb-oof5", "version": VERSION}
    key = cell_key("transfer/sources", params)
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


# ----------------------------------------------------------------------------- regressors


class _TransferRegressor(RegressorMixin, BaseEstimator):
    """Base: split ``X = [raw (k) | denoised (k) | encoding (encoding_width)]``; subclasses fit
    ``_fit(raw, den, enc, y)`` and predict with ``_predict(raw, den, enc)``."""

    def __init__(self, encoding_width: int = _ONEHOT, random_state=None):
        self.encoding_width = encoding_width
        self.random_state = random_state

    def _split(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        k = (X.shape[1] - self.encoding_width) // 2
        if k < 1 or 2 * k + self.encoding_width != X.shape[1]:
            raise InputError(f"X has {X.shape[1]} columns; expected 2 k + {self.encoding_width} "
                             "(raw and denoised values of k sources, then the encoding)")
        return X[:, :k], X[:, k:2 * k], X[:, 2 * k:]

    def fit(self, X, y):
        """Fit on features ``X`` (n, 2k + w) and target values ``y`` (n,); returns ``self``."""
        X, y = validate_data(self, X, y, y_numeric=True, dtype=np.float64)
        raw, den, enc = self._split(X)
        self.n_sources_ = raw.shape[1]
        self._fit(raw, den, enc, y)
        return self

    def predict(self, X) -> np.ndarray:
        """Predictions for ``X`` (m, 2k + w), shape (m,), in the units of the training ``y``."""
        check_is_fitted(self, "n_sources_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return np.asarray(self._predict(*self._split(X)), dtype=np.float64).reshape(-1)


def _spearman_columns(F: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Spearman correlation of each column of ``F`` (n, k) with ``y`` (n,); NaN -> -inf."""
    if len(y) < 2:
        return np.zeros(F.shape[1])
    ry = stats.rankdata(y)
    rf = np.apply_along_axis(stats.rankdata, 0, F)
    rf, ry = rf - rf.mean(0), ry - ry.mean()
    denom = np.sqrt((rf ** 2).sum(0) * (ry ** 2).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = (rf * ry[:, None]).sum(0) / denom
    return np.where(np.isfinite(rho), rho, -np.inf)


def _line(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Least-squares ``y ~ a + b x``; with under two distinct x, ``b = 1`` and the offset of the means."""
    if len(x) < 2 or np.ptp(x) == 0:
        return float(np.mean(y) - np.mean(x)), 1.0
    b, a = np.polyfit(x, y, 1)
    return float(a), float(b)


class BestProxyRegressor(_TransferRegressor):
    """The source that ranks the training samples best (Spearman), mapped linearly onto ``y``."""

    def _fit(self, raw, den, enc, y):
        self.source_ = int(np.argmax(_spearman_columns(raw, y)))
        self.intercept_, self.slope_ = _line(raw[:, self.source_], y)

    def _predict(self, raw, den, enc):
        return self.intercept_ + self.slope_ * raw[:, self.source_]


class SourceRidgeRegressor(_TransferRegressor):
    """Ridge regression on the raw source values and the architecture encoding, alpha by
    leave-one-out over ``logspace(-3, 3, 13)`` (1.0 with under three samples)."""

    def _fit(self, raw, den, enc, y):
        F = np.hstack([raw, enc])
        self.model_ = (RidgeCV(alphas=_ALPHAS) if len(y) >= 3 else Ridge(alpha=1.0)).fit(F, y)

    def _predict(self, raw, den, enc):
        return self.model_.predict(np.hstack([raw, enc]))


def _anchor(den: np.ndarray, anchor: Any) -> np.ndarray:
    """The anchor column: the mean of the denoised sources (``'consensus'``) or source number ``anchor``."""
    return den.mean(1) if anchor == "consensus" else den[:, anchor]


def _consensus_fit(den: np.ndarray, y: np.ndarray, anchor: str = "consensus") -> tuple:
    """(anchor, a, b, residual model) of ``y ~ a + b anchor(den) + ridge(den)``.

    ``anchor``: ``'consensus'`` (mean of the denoised sources) or ``'proxy'`` (the denoised source
    that ranks ``y`` best, chosen on these samples).
    """
    if anchor == "proxy":
        anchor = int(np.argmax(_spearman_columns(den, y)))
    c = _anchor(den, anchor)
    a, b = _line(c, y)
    if len(y) < 4:
        return anchor, a, b, None
    return anchor, a, b, RidgeCV(alphas=_RESIDUAL_ALPHAS).fit(den, y - (a + b * c))


def _consensus_predict(fit: tuple, den: np.ndarray) -> np.ndarray:
    anchor, a, b, model = fit
    pred = a + b * _anchor(den, anchor)
    return pred if model is None else pred + model.predict(den)


class ConsensusRegressor(_TransferRegressor):
    """The devices' consensus (mean of the denoised sources) fit by least squares, plus a ridge
    regression of the residual on the denoised sources (alpha by leave-one-out over
    ``logspace(-1, 4, 11)``; none with under four samples)."""

    def _fit(self, raw, den, enc, y):
        self.fit_ = _consensus_fit(den, y)

    def _predict(self, raw, den, enc):
        return _consensus_predict(self.fit_, den)


class ConsensusEnsembleRegressor(_TransferRegressor):
    """Mean of :class:`ConsensusRegressor` fits that each leave one of ``n_folds`` folds out.

    Parameters
    ----------
    n_folds : int
        Folds (at most the number of samples; one fold each at 10 samples: the jackknife). With
        under five samples a single fit.
    anchor : {'consensus', 'proxy', 'auto'}
        What the fits start from: the devices' consensus, or the denoised source that ranks each
        fit's samples best (:class:`AnchoredEnsembleRegressor`); ``'auto'`` builds both ensembles
        and keeps the one whose fits predict their left-out samples better (squared error; the
        jackknife's own out-of-fold predictions, so the choice costs no extra fit)
        (:class:`SelectedEnsembleRegressor`).
    encoding_width, random_state
        As the base class; ``random_state`` fixes the folds.
    """

    def __init__(self, n_folds: int = 10, anchor: str = "consensus", encoding_width: int = _ONEHOT,
                 random_state=None):
        super().__init__(encoding_width=encoding_width, random_state=random_state)
        self.n_folds = n_folds
        self.anchor = anchor

    def _fit(self, raw, den, enc, y):
        if self.anchor not in ("consensus", "proxy", "auto"):
            raise InputError(f"unknown anchor {self.anchor!r}; 'consensus', 'proxy' or 'auto'")
        n = len(y)
        if n < 5:
            self.anchor_ = "consensus" if self.anchor == "auto" else self.anchor
            self.fits_ = [_consensus_fit(den, y, self.anchor_)]
            return
        order = np.random.default_rng(self.random_state).permutation(n)
        folds = np.array_split(order, min(int(self.n_folds), n))
        best = None
        for anchor in (("consensus", "proxy") if self.anchor == "auto" else (self.anchor,)):
            fits, held_out = [], np.empty(n)
            for fold in folds:
                keep = np.setdiff1d(order, fold)
                fits.append(_consensus_fit(den[keep], y[keep], anchor))
                held_out[fold] = _consensus_predict(fits[-1], den[fold])
            error = float(np.mean((held_out - y) ** 2))
            if best is None or error < best[0]:
                best = (error, fits, anchor)
        _, self.fits_, self.anchor_ = best

    def _predict(self, raw, den, enc):
        return np.mean([_consensus_predict(f, den) for f in self.fits_], axis=0)


class AnchoredEnsembleRegressor(ConsensusEnsembleRegressor):
    """:class:`ConsensusEnsembleRegressor` anchored on the best denoised source instead of the
    consensus: stronger where one measured device is a close relative of the target."""

    def __init__(self, n_folds: int = 10, anchor: str = "proxy", encoding_width: int = _ONEHOT,
                 random_state=None):
        super().__init__(n_folds=n_folds, anchor=anchor, encoding_width=encoding_width, random_state=random_state)


class SelectedEnsembleRegressor(ConsensusEnsembleRegressor):
    """The consensus ensemble or the best-source anchored one, whichever predicts the training
    samples it left out better (``anchor='auto'``; the choice is in ``anchor_``)."""

    def __init__(self, n_folds: int = 10, anchor: str = "auto", encoding_width: int = _ONEHOT,
                 random_state=None):
        super().__init__(n_folds=n_folds, anchor=anchor, encoding_width=encoding_width, random_state=random_state)


_T = "hwlib.transfer"
TRANSFER_REGISTRY: dict[str, PredictorSpec] = {s.name: s for s in [
    PredictorSpec("proxy", "Best proxy", f"{_T}:BestProxyRegressor", "sources", ("nb201",)),
    PredictorSpec("source_ridge", "Ridge on sources + one-hot", f"{_T}:SourceRidgeRegressor", "sources",
                  ("nb201",)),
    PredictorSpec("consensus", "Consensus + residual ridge", f"{_T}:ConsensusRegressor", "sources", ("nb201",)),
    PredictorSpec("consensus_ensemble", "Consensus ensemble", f"{_T}:ConsensusEnsembleRegressor", "sources",
                  ("nb201",)),
    PredictorSpec("anchored_ensemble", "Best-source anchored ensemble", f"{_T}:AnchoredEnsembleRegressor",
                  "sources", ("nb201",)),
    PredictorSpec("selected_ensemble", "Anchor chosen by the jackknife", f"{_T}:SelectedEnsembleRegressor",
                  "sources", ("nb201",)),
]}
#: The strongest method: the default of :func:`evaluate_transfer` and ``hwlib transfer``.
STRONGEST = "consensus_ensemble"


def list_methods() -> list[str]:
    """Registered transfer methods, baselines first."""
    return list(TRANSFER_REGISTRY)


def get_method(name: str) -> PredictorSpec:
    """The spec of transfer method ``name``; raises :class:`InputError` for an unknown one."""
    try:
        return TRANSFER_REGISTRY[name]
    except (KeyError, TypeError):
        raise InputError(f"unknown transfer method {name!r}; known: {', '.join(TRANSFER_REGISTRY)}") from None


def make_transfer_predictor(name: str, sources: Sequence[str], random_state=None, **params) -> Pipeline:
    """``Pipeline([('features', SourceFeatures(sources)), ('model', regressor)])`` of method ``name``.

    It fits and predicts architectures ``A`` (n, 6) of NB201 op codes, like :func:`hwlib.predictors.make_predictor`.
    """
    cls = get_method(name).regressor_class()
    return Pipeline([("features", SourceFeatures(tuple(sources))),
                     ("model", cls(random_state=random_state, **params))])


# ----------------------------------------------------------------------------- evaluation


def transfer_split(n_archs: int, seed: int, train_size: int, protocol: str = "help"
                   ) -> tuple[np.ndarray, np.ndarray]:
    """(train, test) positions of one run.

    ``'help'``: the first ``train_size`` of a seeded permutation, scored on every architecture.
    ``'paper'``: the study's split (:func:`hwlib.experiments.split`), training a prefix of the pool.
    """
    from ..protocol import split, test_set_size

    if protocol not in PROTOCOLS:
        raise InputError(f"unknown protocol {protocol!r}; one of {', '.join(PROTOCOLS)}")
    if protocol == "help":
        if not 1 <= train_size < n_archs:
            raise InputError(f"train size {train_size} out of range 1..{n_archs - 1}")
        return np.random.default_rng(seed).permutation(n_archs)[:train_size], np.arange(n_archs)
    test, pool = split(n_archs, seed, test_set_size("nb201", n_archs))
    if not 1 <= train_size <= len(pool):
        raise InputError(f"train size {train_size} out of range 1..{len(pool)}")
    return pool[:train_size], test


def _score(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    from ..metrics import kendalltau, spearman

    return {"kendalltau": kendalltau(y_true, y_pred), "spearman": spearman(y_true, y_pred)}


def transfer_runs(target: str, sources: str | Sequence[str], methods: Sequence[str], train_sizes: Sequence[int],
                  seeds: Iterable[int], protocol: str = "help") -> pd.DataFrame:
    """Fit and score each method on ``target`` for every training size and seed.

    Returns
    -------
    DataFrame
        One row per (method, train size, seed): target, sources (count), protocol, method,
        train_size, seed, kendalltau, spearman, fit_time.
    """
    from ..data import load_dataset

    names = resolve_sources(target, sources)
    specs = [get_method(m) for m in methods]
    ds = load_dataset(target)
    X = SourceFeatures(names).fit(ds.A).transform(ds.A)
    y = target_values(ds)
    rows = []
    for seed in seeds:
        for size in train_sizes:
            train, test = transfer_split(ds.n_archs, int(seed), int(size), protocol)
            for spec in specs:
                t0 = time.perf_counter()
                model = spec.regressor_class()(random_state=int(seed)).fit(X[train], y[train])
                pred = model.predict(X[test])
                rows.append({"target": target, "n_sources": len(names), "protocol": protocol,
                             "method": spec.name, "train_size": int(size), "seed": int(seed),
                             **_score(y[test], pred), "fit_time": time.perf_counter() - t0})
    return pd.DataFrame(rows)


def evaluate_transfer(target: str, sources: str | Sequence[str] = "help-train", method: str | None = None,
                      train_size: int = 10, seeds: Iterable[int] = range(10), protocol: str = "help") -> dict:
    """One method on one target, as ``hwlib transfer`` prints it.

    Returns
    -------
    dict
        ``target``, ``sources`` (names), ``method``, ``train_size``, ``protocol``, ``seeds``;
        ``kendalltau`` and ``spearman`` (means over seeds); ``runs`` (per-seed records).

    Raises
    ------
    InputError
        Unknown target, source or method; the target among the sources; a bad size or protocol.
    """
    method = STRONGEST if method is None else method
    get_method(method)
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise InputError("no seeds given")
    names = resolve_sources(target, sources)
    runs = transfer_runs(target, names, [method], [train_size], seeds, protocol)
    records = [{k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in r.items()}
               for r in runs.to_dict(orient="records")]
    return {"target": target, "sources": list(names), "method": method, "train_size": int(train_size),
            "protocol": protocol, "seeds": seeds, "kendalltau": float(np.nanmean(runs["kendalltau"])),
            "spearman": float(np.nanmean(runs["spearman"])), "runs": records}


# ----------------------------------------------------------------------------- studies (cached)


def _stored(store, table: str, params: dict, rows: Sequence[dict], compute) -> pd.DataFrame:
    """The records of one group from ``store`` (table ``transfer/<table>``), computed when any is missing.

    Parameters
    ----------
    store : hwlib.store.Store
    params : dict
        What the whole group shares (target, data checksum, sources, protocol, ...).
    rows : sequence of dict
        What tells its records apart (method, train size, seed, ...): one key each.
    compute : callable
        Returns the group's records as a DataFrame with the columns of ``rows``.
    """
    from .. import store as store_mod

    table = f"transfer/{table}"
    keys = [store_mod.cell_key(f"{table}@{VERSION}", {**params, **r}) for r in rows]
    found = store.get(table, keys)
    if len(found) == len(keys):
        return pd.DataFrame([found[k] for k in keys])
    frame = compute()
    cols = list(rows[0])
    index = {tuple(r[c] for c in cols): k for r, k in zip(rows, keys)}
    run = store.register_run()
    records = [{**rec, "key": index[tuple(rec[c] for c in cols)], "run": run}
               for rec in frame.to_dict(orient="records")]
    store.put(table, records, sort_by=[c for c in ("target", "dataset", "kind", "predictor", "method",
                                                   "train_size", "n_train", "seed", "trial") if c in frame])
    return pd.DataFrame(records)


def _checksum(name: str) -> str:
    from ..data import load_dataset

    return load_dataset(name).checksum


def _split_key(name: str) -> dict:
    from ..data import load_dataset
    from ..protocol import test_set_key

    return test_set_key("nb201", load_dataset(name).n_archs)


def _bar(items: list, desc: str, progress: bool):
    from tqdm.auto import tqdm

    return tqdm(items, desc=desc, leave=False, disable=not progress)


def help_study(seeds: Iterable[int] = range(50), methods: Sequence[str] | None = None, train_size: int = 10,
               store=None, progress: bool = True) -> pd.DataFrame:
    """HELP's protocol: its nine sources, its six targets, ``train_size`` samples, all cells scored.

    Returns
    -------
    DataFrame
        :func:`transfer_runs` rows of every target, plus ``help_published`` (HELP's Spearman).
    """
    store = store or _default_store()
    methods, seeds = list(methods or list_methods()), [int(s) for s in seeds]
    frames = []
    for target in _bar(list(HELP_TARGETS), "HELP targets", progress):
        params = {"target": target, "checksum": _checksum(target), "sources": list(HELP_SOURCES), "protocol": "help"}
        rows = [{"method": m, "train_size": int(train_size), "seed": s} for s in seeds for m in methods]
        frames.append(_stored(store, "help", params, rows, lambda t=target: transfer_runs(
            t, "help-train", methods, [train_size], seeds, "help")))
    out = pd.concat(frames, ignore_index=True)
    out["help_published"] = out["target"].map(HELP_PUBLISHED)
    return out


def lodo_study(datasets: Sequence[str], seeds: Iterable[int] = range(50), sizes: Sequence[int] = LODO_SIZES,
               methods: Sequence[str] | None = None, store=None, progress: bool = True,
               sources: str = "others") -> pd.DataFrame:
    """Leave one device out on the study's splits: each dataset the target, every other device's
    datasets the sources (:func:`resolve_sources` ``'others'``, or ``'others+proxies'`` with the
    networks' FLOPs and parameter counts beside them).

    Returns
    -------
    DataFrame
        :func:`transfer_runs` rows (protocol ``'paper'``), with ``source_set`` (``sources``).
    """
    if sources not in ("others", "others+proxies"):
        raise InputError(f"leave-one-device-out sources must be 'others' or 'others+proxies', got {sources!r}")
    store = store or _default_store()
    methods, seeds = list(methods or list_methods()), [int(s) for s in seeds]
    frames = []
    for target in _bar(list(datasets), "leave-one-device-out", progress):
        names = resolve_sources(target, sources)
        params = {"target": target, "checksum": _checksum(target), "sources": list(names), "protocol": "paper",
                  **_split_key(target)}
        rows = [{"method": m, "train_size": int(n), "seed": s} for s in seeds for n in sizes for m in methods]
        frames.append(_stored(store, "lodo", params, rows, lambda t=target, s=names: transfer_runs(
            t, s, methods, sizes, seeds, "paper")))
    return pd.concat(frames, ignore_index=True).assign(source_set=sources)


def lodo_baselines(datasets: Sequence[str], predictors: Sequence[str], seeds: Iterable[int] = range(50),
                   sizes: Sequence[int] = BASELINE_SIZES, progress: bool = True) -> pd.DataFrame:
    """The single-device predictors on the same splits at the study's sizes, as the study runs them
    (:func:`hwlib.experiments.run_study`: the committed study results, the rest computed into the cache)."""
    from ..experiments import run_study

    return run_study(list(datasets), list(predictors), list(sizes), list(seeds), progress=progress)


def _default_store():
    from ..store import default_store

    return default_store()


def _selection_trials(name: str, transfer_methods: Sequence[str], singles: Sequence[str], n_train: int,
                      single_sizes: Sequence[int], n: int, trials: int, seed: int) -> pd.DataFrame:
    """Rows of :func:`selection_study` for one dataset."""
    import zlib

    from ..data import load_dataset
    from ..predictors import make_predictor
    from ..simulation import select, selection_problem

    problem = selection_problem(name, "architecture")
    hw_name = name.partition("@")[0]
    ds = load_dataset(hw_name)
    pos = nb201_positions(problem.A)
    X = SourceFeatures(resolve_sources(hw_name, "others")).fit(problem.A).transform(problem.A)
    full = np.full(_N_CELLS, np.nan)
    full[ds.index] = target_values(ds)
    y = full[pos]
    first = max([n_train, *single_sizes])
    if first + n > problem.n_archs:
        raise InputError(f"{first} training and {n} candidate architectures exceed {problem.n_archs}")
    rows = []
    for t in range(trials):
        perm = np.random.default_rng([seed, t, zlib.crc32(name.encode())]).permutation(problem.n_archs)
        cand = np.sort(perm[first:first + n])
        fits = [("transfer", m, n_train, lambda m=m: get_method(m).regressor_class()(random_state=seed + t)
                 .fit(X[perm[:n_train]], y[perm[:n_train]]).predict(X[cand])) for m in transfer_methods]
        fits += [("single", p, k, lambda p=p, k=k: make_predictor(p, "nb201", random_state=seed + t).fit(
            problem.A[perm[:k]], problem.hw[perm[:k]]).predict(problem.A[cand]))
                 for p in singles for k in single_sizes]
        for kind, predictor, k, predict in fits:
            sel = select(problem.acc[cand], problem.hw[cand], np.asarray(predict(), dtype=np.float64))
            rows.append({"dataset": name, "kind": kind, "predictor": predictor, "n_train": k, "n": n,
                         "trial": t, **sel.metrics})
    return pd.DataFrame(rows)


def selection_study(datasets: Sequence[str], transfer_methods: Sequence[str] = (STRONGEST,),
                    singles: Sequence[str] = ("ridge", "lgb", "mlp_small"), n_train: int = 10,
                    single_sizes: Sequence[int] = (10, 124), n: int = 1000, trials: int = 20, seed: int = 0,
                    store=None, progress: bool = True) -> pd.DataFrame:
    """The selection simulation driven by transfer and single-device predictors on the same draws.

    Per trial of a dataset (see :func:`hwlib.simulation.selection_problem`; ``'name@image'``
    allowed): one permutation of its architectures; the first ``n_train`` (or ``k`` of
    ``single_sizes``) train, the ``n`` after the largest training set are the candidates, selected on
    the predictions (:func:`hwlib.simulation.select`) and judged with the true values. Transfer
    methods take every other device as a source and fit log values; single-device predictors fit the
    z-scored values, as in the paper.

    Returns
    -------
    DataFrame
        One row per (dataset, predictor, training size, trial): dataset, kind (``'transfer'`` or
        ``'single'``), predictor, n_train, n, trial and the metrics of :data:`hwlib.simulation.METRICS`.
    """
    store = store or _default_store()
    frames = []
    first = max([n_train, *single_sizes])
    for name in _bar(list(datasets), "selection", progress):
        params = {"dataset": name, "checksum": _checksum(name.partition("@")[0]), "n": n, "seed": seed,
                  "first": first}
        rows = [{"kind": "transfer", "predictor": m, "n_train": n_train, "trial": t}
                for t in range(trials) for m in transfer_methods]
        rows += [{"kind": "single", "predictor": p, "n_train": k, "trial": t}
                 for t in range(trials) for p in singles for k in single_sizes]
        frames.append(_stored(store, "selection", params, rows, lambda d=name: _selection_trials(
            d, transfer_methods, singles, n_train, single_sizes, n, trials, seed)))
    return pd.concat(frames, ignore_index=True)
