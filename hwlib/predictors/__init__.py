"""The predictor zoo: 18 hardware-metric predictors, registered by short name.

A predictor is ``Pipeline([('encoder', Encoder(...)), ('model', Regressor(...))])``. The registry
maps each name to where its regressor class lives, which encoding it takes, which search spaces
it supports and whether the protocol tunes it; nothing is imported or built until asked for.

>>> from hwlib.predictors import make_predictor
>>> model = make_predictor("ridge", "nb201", random_state=0)   # doctest: +SKIP
>>> model.fit(A_train, y_train).predict(A_test)                # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from sklearn.pipeline import Pipeline

from ..encodings import Encoder
from ..errors import InputError

__all__ = ["PredictorSpec", "REGISTRY", "list_predictors", "get_spec", "labels_in_words",
           "make_regressor", "make_predictor", "UnknownPredictor", "UnsupportedSpace"]

ALL_SPACES = ("nb201", "transnas_macro", "transnas_micro")
CELL_SPACES = ("nb201", "transnas_micro")


class UnknownPredictor(InputError):
    """No predictor is registered under that name."""


class UnsupportedSpace(InputError):
    """The predictor does not run on that search space."""


@dataclass(frozen=True)
class PredictorSpec:
    """Where a predictor's regressor lives and how it is used.

    Attributes
    ----------
    name : str
        Registry name (``'mlp_small'``).
    label : str
        Name used in the paper's figures.
    target : str
        ``'module:Class'`` of the regressor, imported on demand.
    encoding : str
        Encoding key of :mod:`hwlib.encodings`.
    spaces : tuple of str
        Supported search spaces. The paper runs the path- and graph-based predictors on cells only.
    tuned : bool
        Whether the protocol's brief hyperparameter search tunes it.
    """

    name: str
    label: str
    target: str
    encoding: str
    spaces: tuple[str, ...] = ALL_SPACES
    tuned: bool = False

    def regressor_class(self) -> type:
        module, cls = self.target.split(":")
        return getattr(importlib.import_module(module), cls)


_C, _N, _L = "hwlib.predictors.classic", "hwlib.predictors.neural", "hwlib.predictors.lut"
REGISTRY: dict[str, PredictorSpec] = {s.name: s for s in [
    PredictorSpec("lr", "Linear Regression", f"{_C}:LinearRegressor", "onehot"),
    PredictorSpec("ridge", "Ridge Regression", f"{_C}:RidgeRegressor", "onehot", tuned=True),
    PredictorSpec("blr", "Bayesian Linear Regression", f"{_C}:BayesianLinearRegressor", "onehot"),
    PredictorSpec("svr", "Support Vector Machine", f"{_C}:SVMRegressor", "onehot", tuned=True),
    PredictorSpec("gp", "Gaussian Process", f"{_C}:GPRegressor", "onehot"),
    PredictorSpec("sparse_gp", "Sparse GP", f"{_C}:SparseGPRegressor", "onehot"),
    PredictorSpec("rf", "Random Forest", f"{_C}:RFRegressor", "onehot"),
    PredictorSpec("xgb", "XGBoost", f"{_C}:XGBoostRegressor", "onehot"),
    PredictorSpec("ngb", "NGBoost", f"{_C}:NGBoostRegressor", "onehot"),
    PredictorSpec("lgb", "LGBoost", f"{_C}:LightGBMRegressor", "onehot"),
    PredictorSpec("bohamiann", "BOHAMIANN", f"{_N}:BOHAMIANNRegressor", "onehot"),
    PredictorSpec("bananas", "BANANAS", f"{_N}:BANANASRegressor", "path", CELL_SPACES, tuned=True),
    PredictorSpec("bonas", "BONAS", f"{_N}:BONASRegressor", "graph", CELL_SPACES, tuned=True),
    PredictorSpec("gcn", "GCN", f"{_N}:GCNRegressor", "graph", CELL_SPACES, tuned=True),
    PredictorSpec("mlp_small", "MLP (small)", f"{_N}:SmallMLPRegressor", "onehot", tuned=True),
    PredictorSpec("mlp_large", "MLP (large)", f"{_N}:LargeMLPRegressor", "onehot", tuned=True),
    PredictorSpec("nao", "NAO", f"{_N}:NAORegressor", "graph", CELL_SPACES),
    PredictorSpec("lut", "Lookup Table", f"{_L}:LookupTable", "onehot"),
]}


def list_predictors() -> list[str]:
    """Registered predictor names in the paper's order."""
    return list(REGISTRY)


def get_spec(name: str) -> PredictorSpec:
    """The :class:`PredictorSpec` of ``name``; raises :class:`UnknownPredictor`."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise UnknownPredictor(f"unknown predictor {name!r}; known: {', '.join(REGISTRY)}") from None


def labels_in_words(names) -> str:
    """The predictors' labels as a list in words: ``['gcn', 'bonas', 'nao']`` ->
    ``'GCN, BONAS and NAO'`` (``''`` for none); raises :class:`UnknownPredictor`."""
    labels = [get_spec(n).label for n in names]
    return " and ".join(filter(None, [", ".join(labels[:-1]), labels[-1] if labels else ""]))


def make_regressor(name: str, search_space: str = "nb201", random_state=None, **params):
    """The bare regressor of predictor ``name`` (it takes encoded features)."""
    spec = get_spec(name)
    if search_space not in spec.spaces:
        raise UnsupportedSpace(f"predictor {name!r} does not support search space "
                               f"{search_space!r} (supports: {', '.join(spec.spaces)})")
    cls = spec.regressor_class()
    if "search_space" in cls().get_params():
        params.setdefault("search_space", search_space)
    return cls(random_state=random_state, **params)


def make_predictor(name: str, search_space: str = "nb201", random_state=None, **params) -> Pipeline:
    """Encoder + regressor pipeline of predictor ``name`` for ``search_space``."""
    spec = get_spec(name)
    model = make_regressor(name, search_space, random_state=random_state, **params)
    return Pipeline([("encoder", Encoder(spec.encoding, search_space)), ("model", model)])
