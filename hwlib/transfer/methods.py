"""The transfer methods: regressors on :class:`~hwlib.transfer.sources.SourceFeatures`, behind the
scikit-learn contract and a registry like :mod:`hwlib.predictors`'s."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from scipy import stats
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.linear_model import Ridge, RidgeCV
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted, validate_data

from ..errors import InputError
from ..predictors import PredictorSpec
from .sources import _ONEHOT, SourceFeatures

__all__ = ["TRANSFER_REGISTRY", "STRONGEST", "BestProxyRegressor", "SourceRidgeRegressor", "ConsensusRegressor",
           "ConsensusEnsembleRegressor", "AnchoredEnsembleRegressor", "SelectedEnsembleRegressor",
           "list_methods", "get_method", "make_transfer_predictor"]

_ALPHAS = np.logspace(-3, 3, 13)
_RESIDUAL_ALPHAS = np.logspace(-1, 4, 11)


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


def _rising_line(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """:func:`_line`, but never falling: a device's cost rises with the others' (the anchor), so a
    negative slope is the noise of a few samples, and would invert the ranking; then the slope is
    the ratio of the standard deviations, through the means."""
    a, b = _line(x, y)
    if b <= 0 and np.std(x) > 0:
        b = float(np.std(y) / np.std(x)) if np.std(y) > 0 else 1.0
        a = float(np.mean(y) - b * np.mean(x))
    return a, b


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
    a, b = _rising_line(c, y)
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


_T = "hwlib.transfer.methods"
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
#: The default method of :func:`evaluate_transfer`, ``hwlib transfer`` and the chapter's tables. The name is
#: historical: the consensus ensemble was the strongest of the first four methods on HELP's test devices,
#: before the two anchored ensembles were added; those score higher in several of the chapter's tables.
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
