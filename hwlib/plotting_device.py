"""Figures of the "Your own device" chapter (one function a figure; each returns the matplotlib Figure)."""

from __future__ import annotations

from typing import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from matplotlib.ticker import NullFormatter

from .plotting import predictor_style

__all__ = ["plot_retest", "plot_proxies", "plot_against", "plot_curves"]


def plot_retest(pairs: Mapping[str, tuple[pd.DataFrame, dict]]) -> plt.Figure:
    """First against second pass, one panel per pass (log axes); ``pairs``: title -> :func:`retest_pairs`.

    Grey: the medians of the repeats; blue: the value the datasets take (the fastest repeat, or the
    lower quartile relative to the reference network).
    """
    cols = min(3, len(pairs))
    rows = -(-len(pairs) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.4 * cols, 3.9 * rows), squeeze=False)
    for ax in axes.flat[len(pairs):]:
        ax.set_visible(False)
    for ax, (title, (frame, result)) in zip(axes.flat, pairs.items()):
        ax.loglog(frame["first_ms"], frame["second_ms"], ".", ms=3, color="tab:gray", alpha=0.5,
                  label=f"median of the repeats (tau {result['kendalltau']:.2f})")
        what = "vs. reference" if result["value"] == "norm_q25_ms" else "fastest repeat"
        ax.loglog(frame["first_value_ms"], frame["second_value_ms"], ".", ms=3, color="tab:blue",
                  label=f"{what} (tau {result['kendalltau_value']:.2f})")
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_minor_formatter(NullFormatter())
        lo, hi = ax.get_xlim()
        ax.plot([lo, hi], [lo, hi], "k:", lw=0.8)
        ax.set_title(f"{title}\n({result['n']} architectures)", fontsize=9)
        ax.set(xlabel="first pass (ms)", ylabel="second pass (ms)")
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_proxies(table: pd.DataFrame, own: str) -> plt.Figure:
    """Kendall tau of each device with each proxy column of ``table``; the row ``own`` highlighted."""
    fig, ax = plt.subplots(figsize=(8, 0.22 * len(table) + 1.2))
    y = np.arange(len(table))
    h = 0.8 / len(table.columns)
    for k, col in enumerate(table.columns):
        ax.barh(y + k * h, table[col], height=h, label=col)
    ax.set_yticks(y + 0.4 - h / 2, [f"** {n} **" if n == own else n for n in table.index], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("Kendall tau")
    ax.axvline(0, color="k", lw=0.6)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


def plot_against(x: np.ndarray, y: np.ndarray, colour: np.ndarray, xlabel: str, ylabel: str,
                 colour_label: str) -> plt.Figure:
    """Scatter of ``y`` against ``x`` (log axes), coloured by ``colour``."""
    fig, ax = plt.subplots(figsize=(5.2, 4))
    points = ax.scatter(x, y, c=colour, s=3, cmap="viridis", alpha=0.7)
    ax.set(xscale="log", yscale="log", xlabel=xlabel, ylabel=ylabel)
    fig.colorbar(points, ax=ax, label=colour_label)
    fig.tight_layout()
    return fig


def plot_curves(table: pd.DataFrame, lut: float, title: str) -> plt.Figure:
    """Mean Kendall tau per predictor (rows of ``table``) against training size (columns); ``lut``: a line."""
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for name, row in table.iterrows():
        ax.plot(row.index, row.to_numpy(float), **predictor_style(name), ms=3, lw=1.2, label=name)
    ax.set_xscale("log")
    ax.axhline(lut, color="k", lw=2, label="Lookup Table")
    ax.set(xlabel="training samples", ylabel="Kendall tau", title=title)
    ax.legend(fontsize=7, loc="lower right", ncol=2)
    fig.tight_layout()
    return fig
