"""Figures of the "Datasets" chapter (one function a figure; each returns the matplotlib Figure)."""

from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .data import load_dataset

__all__ = ["plot_distributions", "plot_kendall_matrix", "plot_difficulty"]


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
