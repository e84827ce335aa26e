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
    The mean of the denoised sources (the consensus of the devices) fit by least squares (a
    rising line: a falling one, the noise of a few samples, would invert the ranking), then a
    ridge regression of the residual on the denoised sources, alpha by leave-one-out: the target is
    assumed to be the devices' common trend plus a combination of how devices differ.
``consensus_ensemble`` (the default, :data:`STRONGEST`)
    The mean of ``consensus`` fits that each leave one fold of the training samples out (10 folds,
    so the jackknife at 10 samples): it averages away the choice of alpha that a single noisy
    sample would swing. It became the default as the strongest of the first four methods on HELP's
    test devices; the anchored ensembles below came later and score higher in several of the
    chapter's tables.
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

Modules: :mod:`~hwlib.transfer.sources` (which datasets serve a target, their values and the
features), :mod:`~hwlib.transfer.methods` (the regressors and their registry),
:mod:`~hwlib.transfer.sampling` (which cells to measure on a new device),
:mod:`~hwlib.transfer.studies` (runs, HELP's protocol, leave one device out, the selection
simulation; records in the results store) and :mod:`~hwlib.transfer.report` (the chapter's tables
and figures). Every public name but the report's is importable from ``hwlib.transfer``.
"""

from __future__ import annotations

from .methods import (STRONGEST, TRANSFER_REGISTRY, AnchoredEnsembleRegressor, BestProxyRegressor,
                      ConsensusEnsembleRegressor, ConsensusRegressor, SelectedEnsembleRegressor,
                      SourceRidgeRegressor, get_method, list_methods, make_transfer_predictor)
from .sampling import SAMPLERS, pick_cells, score_picked, spread_cells
from .sources import (HELP_SOURCES, HELP_TARGETS, PROXY_SOURCES, SOURCE_SETS, SourceFeatures, device_of,
                      nb201_positions, prepare_sources, resolve_sources, source_values, target_values)
from .studies import (BASELINE_SIZES, HELP_PUBLISHED, LODO_SIZES, NASFLAT_REPORTED, PROTOCOLS, VERSION,
                      evaluate_transfer, help_study, lodo_baselines, lodo_study, selection_study, transfer_runs,
                      transfer_split, verify)

__all__ = ["HELP_SOURCES", "HELP_TARGETS", "HELP_PUBLISHED", "NASFLAT_REPORTED", "PROXY_SOURCES", "SOURCE_SETS",
           "TRANSFER_REGISTRY", "STRONGEST", "PROTOCOLS", "LODO_SIZES", "VERSION", "device_of", "resolve_sources",
           "source_values", "target_values", "nb201_positions", "SourceFeatures", "BestProxyRegressor",
           "SourceRidgeRegressor", "ConsensusRegressor", "ConsensusEnsembleRegressor", "AnchoredEnsembleRegressor",
           "SelectedEnsembleRegressor", "list_methods", "get_method", "make_transfer_predictor", "transfer_split",
           "transfer_runs", "evaluate_transfer", "help_study", "lodo_study", "lodo_baselines", "selection_study",
           "BASELINE_SIZES", "SAMPLERS", "spread_cells", "pick_cells", "score_picked", "prepare_sources", "verify"]
