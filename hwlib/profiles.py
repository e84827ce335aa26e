"""Profiles: how big each experiment of the book runs, resolved in one validated place.

``quick`` is what CI runs (minutes, a subset of the grid, computed anew); ``full`` is the paper's
scale (50 seeds, 11 training sizes, 1000 simulation trials), whose expensive part, the predictor
study, renders from the committed results (``results/``; grown by ``hwlib study run``).

A chapter asks for its settings with its own overrides (its papermill parameters; None keeps the
profile's value)::

    cfg = settings("predictors", profile, seeds=None, heavy_seeds=20)
    cfg.seeds, cfg.heavy_seeds    # 50, 20 in the full profile

An unknown profile, chapter or setting is one clear :class:`~hwlib.errors.InputError`.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from .errors import InputError

__all__ = ["PROFILES", "SETTINGS", "settings", "check_profile", "capped_sizes"]

PROFILES = ("quick", "full")

#: The slow-to-train predictors, run on fewer seeds and sizes (chapter "Predictor comparison").
_HEAVY_FULL = ("gcn", "nao")
_HEAVY_QUICK = ("sparse_gp", "ngb", "bohamiann", "bananas", "bonas", "gcn", "mlp_large", "nao")

#: chapter -> setting -> (quick value, full value). A chapter's papermill parameters of the same
#: names override these; ``None`` keeps the profile's value.
SETTINGS: dict[str, dict[str, tuple[Any, Any]]] = {
    "datasets": {
        "rule_seeds": (5, 50),                   # seeds of the Linear-Regression rule (hard datasets)
    },
    "predictors": {
        "predictors": (None, None),              # None: every trained predictor
        "seeds": (3, 50),
        "size_indices": ((1, 3, 5, 7), tuple(range(11))),
        "heavy": (_HEAVY_QUICK, _HEAVY_FULL),
        "heavy_seeds": (1, 10),
        "heavy_max_size": (55, 3036),
        "hpo_budget": (None, None),              # seconds of HPO per fit for tuned predictors
        "compute": (True, False),                # compute missing cells (full: render the committed)
        "quirk_seeds": (1, 10),                  # GCN/BONAS trained as the released code did
        "quirk_sizes": ((5, 11), (5, 11, 25, 55)),
        "sampler_seeds": (1, 5),                 # BOHAMIANN sampled as long as pybnn's defaults
        "sampler_sizes": ((55,), (25, 124, 614, 3036, 15000)),
        "query_size": (25, 124),                 # training size of the query times measured now
        # the brief tuning of the protocol, tuned against default (hwlib.tuning; None: its datasets)
        "tuning_datasets": (("transnas_macro-cpu_latency", "cifar10-edgegpu_latency"), None),
        "tuning_predictors": (("ridge", "mlp_small"), ("ridge", "svr", "mlp_small", "mlp_large", "bonas", "bananas")),
        "tuning_size_indices": ((3,), (2, 4, 6)),   # TransNAS: 34; 18, 65, 234 samples
        "tuning_hwnas_size_indices": ((2,), (1, 2, 3)),   # HW-NAS-Bench: 25; 11, 25, 55 samples
        "tuning_seeds": (2, 10),
        "tuning_max_iter": (3, 20),                 # candidates per search, the defaults included
    },
    "lookup_tables": {
        "seeds": (5, 50),                        # seeds of Linear Regression in Table 1
    },
    "own_device": {
        "seeds": (3, 50),                        # seeds of the predictors on this CPU's macro latency
        "predictors": (("lr", "ridge", "blr", "rf", "xgb", "lgb"), None),   # None: every one-hot predictor
        "size_indices": ((1, 3, 5, 7), tuple(range(11))),
        "compute": (True, False),                # compute missing cells (full: render the committed)
        "choice_predictors": (("ridge", "blr", "lgb", "mlp_small"), None),   # None: compare's default
        "choice_seeds": (2, 5),                  # seeds of the comparison on a sample of this CPU
    },
    "transfer": {
        "seeds": (3, 50),
        "baselines": (("ridge", "lgb"), ("lr", "ridge", "svr", "lgb", "mlp_small")),   # single-device
        "selection_singles": (("ridge",), ("ridge", "lgb", "mlp_small")),
        "selection_trials": (2, 20),
    },
    "simulation": {
        "trials": (20, 1000),
        "predictors": (("ridge", "xgb"), ("ridge", "lgb", "xgb", "mlp_small")),
        "predictor_trials": (2, 10),
    },
}


def check_profile(profile: str) -> str:
    """``profile`` if it is known; else an :class:`InputError` naming the known ones."""
    if profile not in PROFILES:
        raise InputError(f"unknown profile {profile!r}; known: {', '.join(PROFILES)}")
    return profile


def capped_sizes(profile: str) -> dict[str, int]:
    """The predictors ``profile`` runs only up to a training size (its heavy ones): predictor -> size."""
    cfg = settings("predictors", profile)
    return {p: cfg.heavy_max_size for p in cfg.heavy}


def settings(chapter: str, profile: str, **overrides: Any) -> SimpleNamespace:
    """A chapter's settings in ``profile``, with ``overrides`` (None: the profile's value).

    Returns
    -------
    SimpleNamespace
        One attribute per setting of the chapter, plus ``profile``.

    Raises
    ------
    InputError
        Unknown profile, chapter, or setting name.
    """
    column = PROFILES.index(check_profile(profile))
    if chapter not in SETTINGS:
        raise InputError(f"unknown chapter {chapter!r}; known: {', '.join(SETTINGS)}")
    table = SETTINGS[chapter]
    unknown = sorted(set(overrides) - set(table))
    if unknown:
        raise InputError(f"unknown setting(s) {', '.join(unknown)} for chapter {chapter!r}; "
                         f"known: {', '.join(table)}")
    values = {name: overrides[name] if overrides.get(name) is not None else pair[column]
              for name, pair in table.items()}
    for name, value in values.items():
        _check_value(chapter, name, value, table[name][1])
    return SimpleNamespace(profile=profile, **values)


def _check_value(chapter: str, name: str, value: Any, like: Any) -> None:
    """An override must have the type of the full profile's value; counts must be positive."""
    if like is None or isinstance(like, bool):
        if isinstance(like, bool) and not isinstance(value, bool):
            raise InputError(f"{chapter}: setting {name} must be True or False, not {value!r}")
        return
    if isinstance(like, int) and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise InputError(f"{chapter}: setting {name} must be a positive whole number, not {value!r}")
    if isinstance(like, tuple) and (isinstance(value, str) or not hasattr(value, "__iter__")):
        raise InputError(f"{chapter}: setting {name} must be a list (papermill: -y '{name}: [...]'), not {value!r}")
