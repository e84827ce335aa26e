"""Figures of predictor-guided selections: deviations, one selection's fronts, MRA and hypervolume
over a grid, real predictors against the simulation, and the time budget (the chapter "Selection
simulation": paper Figures 2 to 4, and beyond).

Every function takes results computed by :mod:`hwlib.simulation` and returns a matplotlib figure;
nothing here computes a simulation. Each pairing keeps one colour, each predictor the colour and
marker of :func:`hwlib.plotting.predictor_style`.
"""

from __future__ import annotations

from typing import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .plotting import predictor_style
from .simulation import PAIRING_LABELS, PUBLISHED, Selection
from .simulation.findings import mean_over_datasets

__all__ = ["PAIRING_STYLE", "REFERENCE_LABELS", "plot_deviations", "plot_selection", "plot_mra_vs_std",
           "plot_mra_by_dataset", "plot_hv_vs_n", "plot_equal_tau", "plot_live_equivalent"]

#: Colour and label of each pairing.
PAIRING_STYLE = {"architecture": ("tab:blue", PAIRING_LABELS["architecture"]),
                 "sorted": ("tab:orange", PAIRING_LABELS["sorted"])}
#: How titles name each hypervolume reference (:data:`hwlib.simulation.REFERENCES`).
REFERENCE_LABELS = {"subset": "reference 1.1 x max of each subset",
                    "dataset": "reference 1.1 x max of each dataset"}


def _step(ax, F: np.ndarray, **kw) -> None:
    """A Pareto front as a staircase in the (hardware, accuracy) plane."""
    F = F[np.argsort(F[:, 0])]
    ax.step(F[:, 1], -100 * F[:, 0], where="pre", **kw)


def plot_deviations(truth: np.ndarray, pred: np.ndarray, simulated: np.ndarray, title: str) -> plt.Figure:
    """Figure 2: a trained predictor's test predictions against the truth (left), its deviations
    with a normal fitted to them (centre), and simulated deviations of the same std (right)."""
    from scipy import stats

    dev = pred - truth
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    ax = axes[0]
    ax.scatter(truth, pred, s=4, alpha=0.5, color="tab:blue")
    lims = [min(truth.min(), pred.min()), max(truth.max(), pred.max())]
    ax.plot(lims, lims, color="tab:red", lw=1)
    ax.set(xlabel="true value (z-scored)", ylabel="prediction", title=title)
    edges = np.linspace(-4 * dev.std(), 4 * dev.std(), 81)
    grid = np.linspace(edges[0], edges[-1], 400)
    for ax, values, color, label in [(axes[1], dev, "tab:blue", "predictor deviations"),
                                     (axes[2], simulated, "tab:green", "simulated deviations")]:
        ax.hist(values, bins=edges, density=True, color=color, alpha=0.6, label=label)
        ax.plot(grid, stats.norm.pdf(grid, *stats.norm.fit(values)), color="tab:orange", label="normal fit")
        ax.set(xlabel="prediction - truth", ylabel="density")
        ax.set_title(f"std {values.std():.3f}, skew {stats.skew(values):+.2f}, "
                     f"excess kurtosis {stats.kurtosis(values):.1f}", fontsize=9)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_selection(selections: Mapping[str, Selection], title: str) -> plt.Figure:
    """Figure 3: one selection per pairing; left all points and both fronts, right the fronts only.

    Parameters
    ----------
    selections : mapping of pairing -> Selection
    title : str
    """
    fig, axes = plt.subplots(len(selections), 2, figsize=(11, 4.2 * len(selections)), squeeze=False)
    for (pairing, s), (left, right) in zip(selections.items(), axes):
        m, F, pred = s.metrics, s.F, np.column_stack([s.F[:, 0], s.hw_pred])
        left.scatter(F[:, 1], -100 * F[:, 0], s=2, c="tab:blue", alpha=0.4, label="all architectures")
        _step(left, F[s.true_front], color="red", label="true Pareto front")
        _step(left, pred[s.selected], color="orange", label="predicted Pareto front")
        left.scatter(F[s.selected, 1], -100 * F[s.selected, 0], c="orange", s=40, zorder=3,
                     label=f"selected ({int(m['n_selected'])})")
        _step(right, F[s.true_front], color="red", marker="o", label=f"true front, HV={m['hv_true']:.2f}")
        _step(right, F[s.verified], color="orange", ls="--", label=f"discovered front, HV={m['hv_selected']:.2f}")
        right.scatter(F[s.selected, 1], -100 * F[s.selected, 0], c="orange", zorder=3,
                      label=f"selected, MRA$_{{all}}$={m['mra_all']:.2f}%, MRA$_{{pareto}}$={m['mra_pareto']:.2f}%")
        top = -100 * F[:, 0].min()
        for ax in (left, right):
            ax.set_ylim(top / 2, top + 1)
            ax.set_xlabel("z-scored hardware metric")
            ax.set_ylabel("accuracy [%]")
            ax.grid(alpha=0.3)
            ax.legend(loc="lower right", fontsize=8)
        left.set_title(f"{title}, pairing {PAIRING_STYLE[pairing][1]}", fontsize=9)
    fig.tight_layout()
    return fig


def plot_mra_vs_std(grids: Mapping[str, pd.DataFrame]) -> plt.Figure:
    """Figure 4 left: MRA_all and MRA_pareto against the deviation std (bottom) and Kendall tau
    (top), one colour per pairing, the published values as black markers."""
    fig, ax = plt.subplots(figsize=(6, 4.2))
    for pairing, grid in grids.items():
        mean = mean_over_datasets(grid)
        color, label = PAIRING_STYLE[pairing]
        ax.plot(mean.index, mean["mra_all"], "o-", color=color, label=f"MRA$_{{all}}$, {label}")
        ax.plot(mean.index, mean["mra_pareto"], "s--", color=color, label=f"MRA$_{{pareto}}$, {label}")
    pub = PUBLISHED["mra"]
    ax.plot(list(pub), [v[0] for v in pub.values()], "k*", ms=11, label="published MRA$_{all}$")
    ax.plot(list(pub), [v[1] for v in pub.values()], "kP", ms=9, label="published MRA$_{pareto}$")
    top = ax.secondary_xaxis("top")
    mean = mean_over_datasets(next(iter(grids.values())))
    ticks = mean.index[::2]
    top.set_xticks(ticks, [f"{t:.2f}" for t in mean.loc[ticks, "kendalltau"]])
    top.set_xlabel("Kendall tau (ours)")
    ax.set_xlabel("std of the simulated deviations")
    ax.set_ylabel("MRA [%]")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_mra_by_dataset(grids: Mapping[str, pd.DataFrame]) -> plt.Figure:
    """Figure 4 centre: MRA_all per dataset (mean over sizes), shaded by one std over trials."""
    fig, axes = plt.subplots(1, len(grids), figsize=(5.5 * len(grids), 4), sharey=True, squeeze=False)
    for ax, (pairing, grid) in zip(axes[0], grids.items()):
        per = grid.groupby(["dataset", "std"])[["mra_all", "mra_all_sd"]].mean().reset_index()
        for name, g in per.groupby("dataset", sort=False):
            line, = ax.plot(g["std"], g["mra_all"], label=name)
            ax.fill_between(g["std"], g["mra_all"] - g["mra_all_sd"], g["mra_all"] + g["mra_all_sd"],
                            color=line.get_color(), alpha=0.12)
        ax.set_title(f"pairing {PAIRING_STYLE[pairing][1]}", fontsize=9)
        ax.set_xlabel("std of the simulated deviations")
        ax.grid(alpha=0.3)
    axes[0, 0].set_ylabel("MRA$_{all}$ [%]")
    axes[0, 0].set_ylim(bottom=0)
    axes[0, -1].legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_hv_vs_n(grids: Mapping[str, pd.DataFrame], stds=(0.0, 0.2, 0.4, 0.6, 0.8, 1.0),
                 reference: str = "subset") -> plt.Figure:
    """Figure 4 right: hypervolume of the selection against the number of considered
    architectures (mean over datasets), one line per std; the published true-front HV as stars
    (for the released code's reference over each subset only: ``reference='subset'``)."""
    fig, axes = plt.subplots(1, len(grids), figsize=(5.5 * len(grids), 4), sharey=True, squeeze=False)
    colors = plt.cm.viridis(np.linspace(0, 0.9, len(stds)))
    for ax, (pairing, grid) in zip(axes[0], grids.items()):
        per = grid.groupby(["std", "n"])[["hv_selected", "kendalltau"]].mean().reset_index()
        for color, s in zip(colors, stds):
            g = per[np.isclose(per["std"], s)]
            ax.plot(g["n"], g["hv_selected"], "o-", color=color,
                    label=f"std {s:.1f} (tau {g['kendalltau'].mean():.2f})")
        if reference == "subset":
            ax.plot(list(PUBLISHED["hv_true"]), list(PUBLISHED["hv_true"].values()), "k*", ms=12,
                    label="published, true front")
        ax.set_xscale("log")
        ax.set_xlabel("considered architectures n")
        ax.set_title(f"pairing {PAIRING_STYLE[pairing][1]}, {REFERENCE_LABELS[reference]}", fontsize=9)
        ax.grid(alpha=0.3)
    axes[0, 0].set_ylabel("hypervolume of the selection")
    axes[0, -1].legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_equal_tau(grid: pd.DataFrame, table: pd.DataFrame, n: int) -> plt.Figure:
    """Real predictors (markers) against the simulation (lines) in the (Kendall tau, MRA) plane,
    both averaged over datasets; subset size ``n``, pairing by architecture."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    sim = grid[grid["n_used"] == n].groupby("std")[["kendalltau", "mra_all", "mra_pareto"]].mean()
    for ax, key in zip(axes, ("mra_all", "mra_pareto")):
        ax.plot(sim["kendalltau"], sim[key], "k-", label="simulation")
        for name, g in table.groupby("predictor"):
            per = g.groupby("n_train")[["kendalltau", key]].mean()
            ax.plot(per["kendalltau"], per[key], ls="--", label=f"{name} (more data: right)", **predictor_style(name))
        ax.set_xlabel("Kendall tau of the hardware predictions")
        ax.set_title({"mra_all": "MRA$_{all}$", "mra_pareto": "MRA$_{pareto}$"}[key] + f", n = {n}", fontsize=9)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("MRA [%]")
    axes[0].set_ylim(bottom=0)
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_live_equivalent(curves: pd.DataFrame, reference: str = "subset") -> plt.Figure:
    """Architectures measured live whose true front matches the hypervolume of predicting all of
    them, against the predictor's Kendall tau; one line per dataset and pairing (hypervolume
    reference over each ``'subset'`` or each ``'dataset'``)."""
    fig, axes = plt.subplots(1, curves["pairing"].nunique(), figsize=(11, 4), sharey=True, squeeze=False)
    for ax, (pairing, c) in zip(axes[0], curves.groupby("pairing", sort=False)):
        for name, g in c.groupby("dataset", sort=False):
            mean = name == "mean over datasets"
            ax.plot(g["kendalltau"], g["n_live"], "k-" if mean else ".-", lw=2.5 if mean else 1, label=name)
        pub = PUBLISHED["live_equivalent"]
        ax.plot([pub["kendalltau"]], [pub["n_live"]], "r*", ms=14, label="paper: KT 0.73 ~ 5000 live")
        ax.set_yscale("log")
        ax.set_xlabel("Kendall tau of the predictor (all architectures predicted)")
        ax.set_title(f"pairing {PAIRING_STYLE[pairing][1]}, {REFERENCE_LABELS[reference]}", fontsize=9)
        ax.grid(alpha=0.3, which="both")
    axes[0, 0].set_ylabel("equivalent architectures measured live")
    axes[0, -1].legend(fontsize=7)
    fig.tight_layout()
    return fig
