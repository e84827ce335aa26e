"""The tables and verdicts the chapter "Selection simulation" states, computed from grid results.

Every function takes the aggregated frames of :func:`hwlib.simulation.run_grid` (one per pairing:
``grids = {pairing: frame}``) and returns a table or a dict of numbers and booleans, so that each
sentence of the chapter says what these computed on this build.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from .problem import PAIRING_LABELS, accuracy_dataset
from .published import PUBLISHED

__all__ = ["mean_over_datasets", "published_table", "compare_published", "accuracy_scale_effect", "pairing_effect",
           "verification_gap", "verification_helps", "mra_by_dataset", "hv_table", "hv_span", "hv_by_size", "hv_trends",
           "reference_share", "conclusions", "conclusions_in_words",
           "simulation_pessimism", "equal_tau_ratios", "error_smoothness", "equal_tau_summary"]

Grids = Mapping[str, pd.DataFrame]


def _ours(pairing: str) -> str:
    return f"ours, {PAIRING_LABELS[pairing]}"


def mean_over_datasets(grid: pd.DataFrame) -> pd.DataFrame:
    """Means over datasets and sizes per std (the paper's Figure 4 left averaging)."""
    return grid.groupby("std")[["kendalltau", "mra_all", "mra_pareto", "hv_true", "hv_selected"]].mean()


def published_table(grids: Grids) -> pd.DataFrame:
    """Ours (per pairing) against the published means over datasets and sizes: one row per
    (quantity, std) the paper reports, columns quantity, std, published, ``ours, <pairing>``."""
    rows = []
    for s, (a, p) in PUBLISHED["mra"].items():
        rows += [("MRA_all [%]", s, a, "mra_all"), ("MRA_pareto [%]", s, p, "mra_pareto")]
    rows += [("Kendall tau", s, t, "kendalltau") for s, t in PUBLISHED["kendalltau"].items()]
    out = pd.DataFrame([r[:3] for r in rows], columns=["quantity", "std", "published"])
    for pairing, grid in grids.items():
        mean = mean_over_datasets(grid)
        out[_ours(pairing)] = [mean.loc[np.isclose(mean.index, s), key].item() for _, s, _, key in rows]
    return out


def compare_published(table: pd.DataFrame) -> dict:
    """How far the sorted pairing's means (the released code) are from the published ones.

    Parameters
    ----------
    table : DataFrame
        :func:`published_table` with a sorted-pairing column.

    Returns
    -------
    dict
        ``tau_max_diff`` (largest |Kendall tau difference|), ``mra_rel_min``, ``mra_rel_max`` (MRA
        relative to the published value, minus 1), and the row of the largest relative MRA
        difference: ``worst_quantity``, ``worst_std``, ``worst_ours``, ``worst_published``.
    """
    srt = _ours("sorted")
    kt, mra = table[table["quantity"] == "Kendall tau"], table[table["quantity"] != "Kendall tau"]
    rel = mra[srt] / mra["published"] - 1
    worst = mra.loc[rel.abs().idxmax()]
    return {"tau_max_diff": float(np.abs(kt[srt] - kt["published"]).max()),
            "mra_rel_min": float(rel.min()), "mra_rel_max": float(rel.max()),
            "worst_quantity": worst["quantity"], "worst_std": float(worst["std"]),
            "worst_ours": float(worst[srt]), "worst_published": float(worst["published"])}


def accuracy_scale_effect(table: pd.DataFrame, other: pd.DataFrame) -> dict:
    """MRA of ``other`` relative to ``table`` (two :func:`published_table` results, e.g. with
    cifar10 accuracy and with the accuracy-matched datasets), over the MRA rows and both pairings.

    Returns
    -------
    dict
        ``ratio_min``, ``ratio_max``.
    """
    mra = table["quantity"] != "Kendall tau"
    cols = [c for c in table.columns if c.startswith("ours, ")]
    ratio = other.loc[mra, cols].to_numpy() / table.loc[mra, cols].to_numpy()
    return {"ratio_min": float(ratio.min()), "ratio_max": float(ratio.max())}


def pairing_effect(table: pd.DataFrame) -> dict:
    """MRA with pairing by architecture relative to the sorted pairing, over the published rows.

    Returns
    -------
    dict
        ``ratio_min``, ``ratio_max`` (by architecture / sorted) and ``verdict``: ``'inflates'``
        when the sorted pairing's MRA is the higher at every row, ``'deflates'`` when it is the
        lower at every row, else ``'mixed'``.
    """
    mra = table[table["quantity"] != "Kendall tau"]
    ratio = mra[_ours("architecture")] / mra[_ours("sorted")]
    verdict = "inflates" if (ratio < 1).all() else "deflates" if (ratio > 1).all() else "mixed"
    return {"ratio_min": float(ratio.min()), "ratio_max": float(ratio.max()), "verdict": verdict}


def verification_gap(grids: Grids) -> dict[str, pd.Series]:
    """Per pairing, MRA_all - MRA_pareto (pp) per std, means over datasets and sizes: what
    verifying the selection saves."""
    return {p: mean_over_datasets(g).eval("mra_all - mra_pareto") for p, g in grids.items()}


def verification_helps(grids: Grids) -> dict[str, tuple[int, int]]:
    """Per pairing, at how many stds > 0 verifying lowers the mean MRA (MRA_pareto < MRA_all),
    and of how many."""
    out = {}
    for pairing, gap in verification_gap(grids).items():
        noisy = gap[gap.index > 0]
        out[pairing] = (int((noisy > 0).sum()), len(noisy))
    return out


def mra_by_dataset(grid: pd.DataFrame) -> tuple[pd.Series, pd.Series, bool]:
    """MRA_all per dataset and per image dataset that supplies the accuracy (means over sizes
    and stds, each increasing), and whether the harder the image dataset (cifar10, cifar100,
    ImageNet16-120), the higher the MRA."""
    per = grid.groupby("dataset")["mra_all"].mean().sort_values()
    image = per.groupby(per.index.map(accuracy_dataset)).mean().sort_values()
    harder = [i for i in ("cifar10", "cifar100", "ImageNet16-120") if i in image.index]
    return per, image, list(image.index) == harder


def hv_table(grids: Grids) -> pd.DataFrame:
    """Hypervolume of the true front per size, ours (per pairing) beside the published ends."""
    out = pd.DataFrame({_ours(p): g[g["std"] == 0].groupby("n")["hv_true"].mean() for p, g in grids.items()})
    out = out.reindex(sorted(set(out.index) | set(PUBLISHED["hv_true"])))
    out.insert(0, "published", pd.Series(PUBLISHED["hv_true"], dtype=float))
    out.index.name = "n"
    return out


def hv_span(table: pd.DataFrame, column: str) -> str:
    """``column`` of :func:`hv_table` from its smallest to its largest simulated size, in words
    ("2.93 to 4.32"), with the sizes named where they are not the published ends (100, 15625)."""
    ours = table[column].dropna()
    if ours.empty:
        return "not simulated"
    text = f"{ours.iloc[0]:.2f} to {ours.iloc[-1]:.2f}"
    ends, published = (int(ours.index[0]), int(ours.index[-1])), (min(PUBLISHED["hv_true"]), max(PUBLISHED["hv_true"]))
    return text if ends == published else f"{text} (n = {ends[0]} to {ends[1]})"


def hv_by_size(grid: pd.DataFrame) -> pd.DataFrame:
    """Mean hypervolume of the selection over datasets: rows std, columns the requested sizes
    (what Figure 4, right, draws)."""
    return grid.groupby(["std", "n"])["hv_selected"].mean().unstack("n")


def hv_trends(grid: pd.DataFrame) -> dict:
    """Whether more candidates and better predictors raise the selection's hypervolume.

    Returns
    -------
    dict
        ``more_candidates``: at every std the hypervolume at the largest size exceeds the one at
        the smallest; ``candidate_steps``: the share of steps to the next larger size that raise
        it; ``better_predictors``: at every size the hypervolume at the smallest std exceeds the
        one at the largest; ``predictor_steps``: the share of steps to the next smaller std that
        raise it.
    """
    hv = hv_by_size(grid).to_numpy()
    return {"more_candidates": bool((hv[:, -1] > hv[:, 0]).all()),
            "candidate_steps": float((np.diff(hv, axis=1) > 0).mean()),
            "better_predictors": bool((hv[0] > hv[-1]).all()),
            "predictor_steps": float((np.diff(hv, axis=0) < 0).mean())}


def reference_share(moving: Grids, fixed: Grids) -> pd.DataFrame:
    """How much of the hypervolume's rise from the smallest to the largest size comes from the
    reference point growing with the subset.

    Parameters
    ----------
    moving, fixed : mapping of pairing -> DataFrame
        The same grid with the reference over each subset and over each dataset.

    Returns
    -------
    DataFrame
        Per (pairing, std): ``rise_subset_ref`` and ``rise_dataset_ref`` (mean hypervolume at the
        largest minus the smallest size) and ``share_from_reference``, 1 - their ratio.
    """
    rows = []
    for pairing in moving:
        a, b = hv_by_size(moving[pairing]), hv_by_size(fixed[pairing])
        rise_a, rise_b = a.iloc[:, -1] - a.iloc[:, 0], b.iloc[:, -1] - b.iloc[:, 0]
        rows.append(pd.DataFrame({"pairing": pairing, "std": a.index, "rise_subset_ref": rise_a.to_numpy(),
                                  "rise_dataset_ref": rise_b.to_numpy(),
                                  "share_from_reference": (1 - rise_b / rise_a).to_numpy()}))
    return pd.concat(rows, ignore_index=True).set_index(["pairing", "std"])


def conclusions(grids: Grids, fixed: Grids) -> pd.DataFrame:
    """The paper's three conclusions checked under each pairing.

    Rows: ``verify`` (MRA_pareto below MRA_all at every std > 0), ``more candidates`` and
    ``better predictors`` (see :func:`hv_trends`; hypervolume with one fixed reference per
    dataset, so that the growing reference cannot make the rise). Columns: the pairings (bool).
    """
    out = {}
    for pairing, grid in grids.items():
        helped, total = verification_helps({pairing: grid})[pairing]
        trends = hv_trends(fixed[pairing])
        out[pairing] = {"verify": helped == total,
                        "more candidates": trends["more_candidates"],
                        "better predictors": trends["better_predictors"]}
    return pd.DataFrame(out)


def conclusions_in_words(table: pd.DataFrame) -> dict[str, str]:
    """Each row of :func:`conclusions` in words: ``'holds under both pairings'``, ``'holds only with
    pairing <label>'`` or ``'holds under neither pairing'``."""
    words = {}
    for conclusion, row in table.iterrows():
        held = [PAIRING_LABELS[p] for p, ok in row.items() if ok]
        words[conclusion] = ("holds under both pairings" if len(held) == len(row) else
                             f"holds only with pairing {held[0]}" if len(held) == 1 else
                             "holds under neither pairing")
    return words


def _mra_ratio(sim: pd.Series, real: pd.Series) -> pd.Series:
    """Simulated over real MRA per cell; NaN where the real MRA is 0 or the simulated one missing."""
    return (sim / real).replace([np.inf, -np.inf], np.nan)


def simulation_pessimism(cmp: pd.DataFrame) -> dict:
    """Is the simulation pessimistic? MRA of the simulation over that of trained predictors at
    the same Kendall tau (rows of :func:`hwlib.simulation.equal_tau`).

    Returns
    -------
    dict
        ``ratio_all``, ``ratio_pareto``: medians of the per-cell ratios (one cell: one row of
        ``cmp``, i.e. one (dataset, predictor, n_train); a cell whose real MRA is 0, or whose
        Kendall tau lies outside the simulated range, is left out; the ratios are
        :func:`equal_tau_ratios`); ``cells_all``, ``cells_pareto``: how many cells each median is
        over, of ``cells`` (all rows); ``pessimistic``: ``ratio_all > 1`` (None when no cell could
        be compared).
    """
    ratios_all = _mra_ratio(cmp["sim_mra_all"], cmp["mra_all"]).dropna()
    ratios_pareto = _mra_ratio(cmp["sim_mra_pareto"], cmp["mra_pareto"]).dropna()
    ratio_all = float(ratios_all.median()) if len(ratios_all) else float("nan")
    ratio_pareto = float(ratios_pareto.median()) if len(ratios_pareto) else float("nan")
    return {"ratio_all": ratio_all, "ratio_pareto": ratio_pareto, "cells_all": len(ratios_all),
            "cells_pareto": len(ratios_pareto), "cells": len(cmp),
            "pessimistic": None if np.isnan(ratio_all) else bool(ratio_all > 1)}


def equal_tau_ratios(cmp: pd.DataFrame) -> pd.DataFrame:
    """The per-cell ratios whose medians :func:`simulation_pessimism` reports: simulated over real
    MRA at the same Kendall tau, per row of :func:`hwlib.simulation.equal_tau`.

    Returns
    -------
    DataFrame
        Rows (quantity, dataset), quantity ``'MRA_all'`` or ``'MRA_pareto'``; columns (predictor,
        n_train); NaN for a cell left out (real MRA 0, or Kendall tau outside the simulated range).
    """
    cells = cmp.set_index(["dataset", "predictor", "n_train"])
    return pd.concat({q: _mra_ratio(cells[f"sim_{k}"], cells[k]).unstack(["predictor", "n_train"])
                      for q, k in (("MRA_all", "mra_all"), ("MRA_pareto", "mra_pareto"))}, names=["quantity"])


def error_smoothness(real: pd.DataFrame, simulated: Mapping[str, float]) -> dict:
    """Whether trained predictors' errors are smoother in the architecture than the simulated ones.

    Parameters
    ----------
    real : DataFrame
        Rows of :func:`hwlib.simulation.run_predictor_grid` (column ``neighbour_corr``).
    simulated : mapping of dataset -> float
        :func:`hwlib.simulation.trained.simulated_neighbour_correlation` per dataset.

    Returns
    -------
    dict
        ``real`` (median neighbour correlation per predictor), ``real_min``, ``simulated_max``
        and ``smoother``: every predictor's median exceeds the simulation's largest value.
    """
    per = real.groupby("predictor")["neighbour_corr"].median()
    sim_max = float(max(simulated.values()))
    return {"real": per, "real_min": float(per.min()), "simulated_max": sim_max,
            "smoother": bool(per.min() > sim_max)}


def equal_tau_summary(cmp: pd.DataFrame) -> pd.DataFrame:
    """Rows of :func:`hwlib.simulation.equal_tau` averaged per (predictor, n_train): Kendall tau,
    and the real and simulated MRA_all and MRA_pareto."""
    return cmp.groupby(["predictor", "n_train"])[["kendalltau", "mra_all", "sim_mra_all", "mra_pareto",
                                                  "sim_mra_pareto"]].mean()
