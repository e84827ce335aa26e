"""Figures of the "Datasets" and "Lookup tables" chapters (one function a figure; each returns the
matplotlib Figure), and the style every figure gives a predictor (:func:`predictor_style`)."""

from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .data import load_dataset

__all__ = ["plot_distributions", "plot_kendall_matrix", "plot_difficulty", "plot_lut_comparison",
           "PREDICTOR_STYLE", "predictor_style"]

#: Colour and marker of each registered predictor (keyed by its registry name), the same in every
#: figure of the book.
PREDICTOR_STYLE: dict[str, tuple[str, str]] = {
    "lr": ("tab:blue", "o"), "ridge": ("tab:orange", "s"), "blr": ("tab:green", "^"),
    "svr": ("tab:red", "v"), "gp": ("tab:purple", "D"), "sparse_gp": ("tab:brown", "P"),
    "rf": ("tab:pink", "X"), "xgb": ("tab:gray", "*"), "ngb": ("tab:olive", "h"),
    "lgb": ("tab:cyan", "p"), "bohamiann": ("navy", "<"), "bananas": ("darkgoldenrod", ">"),
    "bonas": ("teal", "d"), "gcn": ("crimson", "H"), "mlp_small": ("indigo", "8"),
    "mlp_large": ("darkgreen", "x"), "nao": ("saddlebrown", "+"), "lut": ("black", "_"),
}


def predictor_style(name: str) -> dict[str, str]:
    """Keyword arguments ``color`` and ``marker`` for predictor ``name`` (a registry name).

    Raises
    ------
    InputError
        For a name that has no style (not a registered predictor).
    """
    from .errors import InputError

    try:
        color, marker = PREDICTOR_STYLE[name]
    except KeyError:
        raise InputError(f"no plotting style for predictor {name!r}; known: {', '.join(PREDICTOR_STYLE)}") from None
    return {"color": color, "marker": marker}


def plot_distributions(names: Sequence[str], ncols: int = 4, bins: int = 60) -> plt.Figure:
    """Histogram of each dataset's raw values, one panel per dataset."""
    nrows = int(np.ceil(len(names) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.2 * ncols, 2.4 * nrows), squeeze=False)
    for ax, name in zip(axes.flat, names):
        ds = load_dataset(name)
        ax.hist(ds.y, bins=bins, color="tab:blue", alpha=0.8)
        ax.set_title(f"{name}\n({ds.n_archs} archs)", fontsize=8)
        ax.set_xlabel(ds.unit, fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(names):]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


def plot_kendall_matrix(tau: pd.DataFrame, title: str = "") -> plt.Figure:
    """Heatmap of a symmetric Kendall tau matrix with the values written in the cells."""
    k = len(tau)
    fig, ax = plt.subplots(figsize=(0.55 * k + 2.5, 0.5 * k + 1.5))
    image = ax.imshow(tau.to_numpy(), vmin=-1, vmax=1, cmap="RdBu_r")
    labels = [c.replace("cifar10-", "").replace("help-", "") for c in tau.columns]
    ax.set_xticks(range(k), labels, rotation=90, fontsize=7)
    ax.set_yticks(range(k), labels, fontsize=7)
    if k <= 16:
        for i in range(k):
            for j in range(k):
                ax.text(j, i, f"{tau.iat[i, j]:.2f}", ha="center", va="center", fontsize=6)
    fig.colorbar(image, ax=ax, fraction=0.04, label="Kendall tau")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def plot_difficulty(table: pd.DataFrame, threshold: float) -> plt.Figure:
    """Bar chart of Linear Regression's Kendall tau per dataset, the triviality threshold dashed."""
    table = table.sort_values("kendalltau")
    fig, ax = plt.subplots(figsize=(7, 0.28 * len(table) + 1))
    colors = np.where(table["trivial"], "tab:gray", "tab:orange")
    ax.barh(table["dataset"], table["kendalltau"], xerr=table["kendalltau_std"], color=colors)
    ax.axvline(threshold, ls="--", color="k", lw=1)
    ax.set_xlabel("Kendall tau of Linear Regression on 25 samples (test set)")
    ax.tick_params(axis="y", labelsize=7)
    ax.set_xlim(0, 1)
    fig.tight_layout()
    return fig


def plot_lut_comparison(per_dataset: pd.DataFrame, examples: dict[str, tuple[np.ndarray, np.ndarray]]
                        ) -> plt.Figure:
    """Table 1 as a figure, and what a lookup table's errors look like.

    Left: Kendall tau of the lookup table and of Linear Regression per dataset (bars: ours; dots:
    the published value of the same device and metric). Right, one panel per entry of
    ``examples`` (title -> (measured, predicted)): the table's prediction against the measurement.
    """
    k = len(examples)
    fig, axes = plt.subplots(1, 1 + k, figsize=(6.5 + 3.2 * k, 0.42 * len(per_dataset) + 2),
                             gridspec_kw={"width_ratios": [2.2] + [1] * k}, squeeze=False)
    ax, rows = axes[0, 0], np.arange(len(per_dataset))
    for shift, col, color, label in [(-0.2, "lut", "black", "Lookup table"),
                                     (0.2, "lr", "tab:orange", "Linear Regression (124 samples)")]:
        ax.barh(rows + shift, per_dataset[col], height=0.4, color=color, alpha=0.75, label=label)
        ax.plot(per_dataset[f"paper_{col}"], rows + shift, "o", mec="white", color=color, ms=6)
    ax.plot([], [], "o", color="gray", label="published (Table 1; TransNAS: the macro-space mean)")
    ax.set_yticks(rows, per_dataset["dataset"], fontsize=7)
    ax.invert_yaxis()
    ax.set(xlim=(0, 1), xlabel="Kendall tau")
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=2)
    for ax, (title, (measured, predicted)) in zip(axes[0, 1:], examples.items()):
        ax.scatter(measured, predicted, s=2, alpha=0.3, color="black", rasterized=True)
        lims = [min(measured.min(), predicted.min()), max(measured.max(), predicted.max())]
        ax.plot(lims, lims, color="tab:red", lw=1)
        ax.set(xlabel="measured", ylabel="lookup table", title=title)
        ax.title.set_fontsize(8)
    fig.tight_layout()
    return fig
