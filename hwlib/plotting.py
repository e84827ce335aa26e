"""Figures of the book (one function a figure; each returns the matplotlib Figure), and the one
style every figure gives each predictor (:func:`predictor_style`)."""

from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .data import load_dataset

__all__ = ["PREDICTOR_STYLE", "predictor_style", "plot_figure1", "plot_per_dataset", "plot_spread", "plot_tuning",
           "plot_centred_pair", "plot_fit_times", "plot_query_times", "plot_distributions", "plot_kendall_matrix",
           "plot_difficulty", "plot_lut_comparison"]


#: One colour and marker per predictor (registry name), the same in every figure of the book.
PREDICTOR_STYLE: dict[str, dict[str, str]] = {
    name: {"color": color, "marker": marker} for name, color, marker in [
        ("lr", "#1f77b4", "o"), ("ridge", "#aec7e8", "s"), ("blr", "#17becf", "^"),
        ("svr", "#9edae5", "v"), ("gp", "#8c564b", "D"), ("sparse_gp", "#c49c94", "P"),
        ("rf", "#2ca02c", "X"), ("xgb", "#98df8a", "o"), ("ngb", "#bcbd22", "s"),
        ("lgb", "#dbdb8d", "^"), ("bohamiann", "#7f7f7f", "v"), ("bananas", "#e377c2", "D"),
        ("bonas", "#f7b6d2", "P"), ("gcn", "#9467bd", "X"), ("mlp_small", "#d62728", "o"),
        ("mlp_large", "#ff7f0e", "s"), ("nao", "#c5b0d5", "^"), ("lut", "#000000", "*"),
    ]}


def predictor_style(name: str) -> dict[str, str]:
    """Matplotlib keywords (color, marker) of a predictor, by registry name or by its label in the
    figures ('MLP (small)'); an unknown name gets grey dots."""
    from .predictors import REGISTRY

    by_label = {spec.label: key for key, spec in REGISTRY.items()}
    return PREDICTOR_STYLE.get(by_label.get(name, name), {"color": "#555555", "marker": "."})


def _label(name: str) -> str:
    from .predictors import REGISTRY

    return REGISTRY[name].label if name in REGISTRY else name


def plot_figure1(curve: pd.DataFrame, lut_mean: pd.Series, titles: dict[str, str],
                 metric_label: str = "Kendall tau") -> plt.Figure:
    """The paper's Figure 1: mean metric against training size, one row per benchmark.

    Left: absolute, with a band of one standard error over seeds and the lookup table's mean as a
    black line; right: centred on the mean over predictors at each size. ``curve`` as
    :func:`hwlib.comparison.curves`.
    """
    from .comparison import curve_table

    benches = [b for b in titles if b in set(curve["benchmark"])]
    fig, axes = plt.subplots(len(benches), 2, figsize=(13, 4.6 * len(benches)), squeeze=False)
    for row, bench in enumerate(benches):
        mean, se = curve_table(curve, bench), curve_table(curve, bench, "se")
        centred = curve_table(curve, bench, centred=True)
        for name in mean.index:
            style = {**predictor_style(name), "ms": 4, "lw": 1.3, "label": _label(name)}
            x, y, e = mean.columns.to_numpy(), mean.loc[name].to_numpy(float), se.loc[name].to_numpy(float)
            axes[row, 0].plot(x, y, **style)
            axes[row, 0].fill_between(x, y - e, y + e, color=style["color"], alpha=0.18, lw=0)
            axes[row, 1].plot(x, centred.loc[name].to_numpy(float), **style)
        if bench in lut_mean:
            axes[row, 0].axhline(lut_mean[bench], color="k", lw=2, label="Lookup Table")
        for col, kind in enumerate(["absolute", "centred on the mean over predictors"]):
            axes[row, col].set(xscale="log", xlabel="training samples",
                               ylabel=metric_label + (" - mean" if col else ""))
            axes[row, col].set_title(f"{titles[bench]}:\n{kind}", fontsize=10)
            axes[row, col].grid(alpha=0.3)
    handles = {}
    for ax in axes.flat:
        handles.update(zip(*reversed(ax.get_legend_handles_labels())))
    fig.legend(list(handles.values()), list(handles), loc="center right", fontsize=8)
    fig.subplots_adjust(right=0.83, hspace=0.3)
    return fig


def plot_per_dataset(results: pd.DataFrame, lut: pd.Series, titles: dict[str, str],
                     metric: str = "kendalltau", ncols: int = 5, own_fit: pd.Series | None = None) -> plt.Figure:
    """Figure 1 per dataset: each dataset's mean ``metric`` (over seeds) against training size.

    ``results``: study records with a ``benchmark`` column; ``lut``: the lookup table's tau per
    dataset (a black line); ``own_fit``: per dataset, how well its own cells rank it out of fold
    (:func:`hwlib.analysis.own_data_fit`; a dotted grey line). One row of panels per benchmark, in
    the order of ``titles``.
    """
    size = "nominal_train_size" if "nominal_train_size" in results else "train_size"
    benches = [b for b in titles if b in set(results["benchmark"])]
    names = {b: list(dict.fromkeys(results.loc[results["benchmark"] == b, "dataset"])) for b in benches}
    rows = sum(-(-len(names[b]) // ncols) for b in benches)
    fig, axes = plt.subplots(rows, ncols, figsize=(3.3 * ncols, 3.0 * rows), squeeze=False, sharex="row")
    means = results.groupby(["dataset", "predictor", size], sort=False)[metric].mean()
    row = 0
    for bench in benches:
        for k, dataset in enumerate(names[bench]):
            ax = axes[row + k // ncols, k % ncols]
            for name, curve in means.loc[dataset].groupby(level=0, sort=False):
                curve = curve.droplevel(0).dropna()
                ax.plot(curve.index, curve.to_numpy(float), **predictor_style(name), ms=3, lw=1.0,
                        label=_label(name))
            if dataset in lut:
                ax.axhline(lut[dataset], color="k", lw=1.6, label="Lookup Table")
            if own_fit is not None and dataset in own_fit:
                ax.axhline(own_fit[dataset], color="0.4", lw=1.2, ls=":", label="own data, out of fold")
            ax.set(xscale="log", title=dataset.replace("transnas_micro-", "micro ").replace("cifar10-", ""))
            ax.title.set_fontsize(9)
            ax.grid(alpha=0.3)
            if k % ncols == 0:
                ax.set_ylabel(f"{titles[bench].split(' ')[0]}\n{metric}", fontsize=9)
        for k in range(len(names[bench]), -(-len(names[bench]) // ncols) * ncols):
            axes[row + k // ncols, k % ncols].axis("off")
        row += -(-len(names[bench]) // ncols)
    for ax in axes[-1]:
        ax.set_xlabel("training samples")
    handles = {}
    for ax in axes.flat:
        handles.update(zip(*reversed(ax.get_legend_handles_labels())))
    fig.legend(list(handles.values()), list(handles), loc="lower center", ncol=9, fontsize=8)
    fig.tight_layout(rect=(0, 0.07 + 0.02 * (rows < 3), 1, 1))
    return fig


def plot_spread(spread: pd.DataFrame, budget: int | None = None, low: str = "p10", high: str = "p90",
                title: str = "") -> plt.Figure:
    """What one fit may give: each predictor's mean Kendall tau against training size with the band
    between two percentiles of single runs (``spread``: :func:`hwlib.expectations.spread`), one panel a
    predictor; a dotted line marks ``budget``."""
    names = list(dict.fromkeys(spread["predictor"]))
    fig, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 3.2), squeeze=False, sharey=True)
    for ax, name in zip(axes[0], names):
        part = spread[spread["predictor"] == name].sort_values("train_size")
        style = predictor_style(name)
        ax.plot(part["train_size"], part["kendalltau"], **style, ms=3, lw=1.3)
        ax.fill_between(part["train_size"], part[low], part[high], color=style["color"], alpha=0.25, lw=0)
        if budget is not None:
            ax.axvline(budget, color="0.3", ls=":", lw=1)
        ax.set(xscale="log", xlabel="training samples", title=_label(name))
        ax.title.set_fontsize(9)
        ax.grid(alpha=0.3)
    axes[0, 0].set_ylabel(f"Kendall tau ({low}-{high} of single runs)")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_tuning(effect: pd.DataFrame) -> plt.Figure:
    """Tuned (solid, band of one standard error of the paired gain) against default (dashed) mean
    Kendall tau per predictor and training size, one panel per dataset group (``effect``:
    :func:`hwlib.tuning.effect`)."""
    groups = list(dict.fromkeys(effect["group"]))
    fig, axes = plt.subplots(1, max(len(groups), 1), figsize=(5.5 * max(len(groups), 1), 3.8), squeeze=False)
    for ax, group in zip(axes[0], groups):
        part = effect[effect["group"] == group]
        for name, rows in part.groupby("predictor", sort=False):
            rows, style = rows.sort_values("train_size"), predictor_style(name)
            ax.plot(rows["train_size"], rows["default"], color=style["color"], ls="--", lw=1, alpha=0.8)
            ax.plot(rows["train_size"], rows["tuned"], **style, ms=4, lw=1.5, label=_label(name))
            ax.fill_between(rows["train_size"], rows["tuned"] - rows["se"], rows["tuned"] + rows["se"],
                            color=style["color"], alpha=0.2, lw=0)
        ax.set(xscale="log", xlabel="training samples", ylabel="Kendall tau", title=group)
        ax.grid(alpha=0.3)
    axes[0, 0].legend(fontsize=8, title="tuned (solid), default (dashed)", title_fontsize=8)
    fig.tight_layout()
    return fig


def plot_centred_pair(curve: pd.DataFrame, other: pd.DataFrame, benchmark: str, title: str,
                      names: tuple[str, str] = ("all predictors", "without the graph and path predictors")
                      ) -> plt.Figure:
    """One benchmark's centred curves for two sets of predictors, side by side."""
    from .comparison import curve_table

    fig, axes = plt.subplots(1, 2, figsize=(13, 4.6), sharey=True)
    for ax, part, name in zip(axes, [curve, other], names):
        table = curve_table(part, benchmark, centred=True)
        for pred, row in table.iterrows():
            ax.plot(row.index, row.to_numpy(float), **predictor_style(pred), ms=4, lw=1.2, label=_label(pred))
        ax.set(xscale="log", xlabel="training samples", ylabel="Kendall tau - mean", title=f"{title}: {name}")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig


def plot_fit_times(times: pd.DataFrame, titles: dict[str, str]) -> plt.Figure:
    """Mean fit time per model against training size (log-log), one panel per benchmark.

    ``times``: :func:`hwlib.comparison.fit_time_table` (index benchmark, predictor).
    """
    return _plot_times(times, titles, "fit time per model (s)")


def plot_query_times(times: pd.DataFrame, titles: dict[str, str], limit: float | None = None) -> plt.Figure:
    """Median query time (one model predicting its test set) against training size (log-log), one
    panel per benchmark, with the paper's bound ``limit`` (seconds) as a dashed line.

    ``times``: :func:`hwlib.comparison.query_time_table` (index benchmark, predictor).
    """
    return _plot_times(times, titles, "query time per model (s)", limit)


def _plot_times(times: pd.DataFrame, titles: dict[str, str], ylabel: str, limit: float | None = None
                ) -> plt.Figure:
    benches = [b for b in titles if b in times.index.get_level_values(0)]
    fig, axes = plt.subplots(1, len(benches), figsize=(6.5 * len(benches), 4.5), squeeze=False)
    for ax, bench in zip(axes[0], benches):
        for name, row in times.loc[bench].iterrows():
            row = row.dropna().sort_index()
            ax.plot(row.index, row.to_numpy(float), **predictor_style(name), ms=4, lw=1.2, label=_label(name))
        if limit is not None:
            ax.axhline(limit, color="black", ls="--", lw=1, label="the paper's bound")
        ax.set(xscale="log", yscale="log", xlabel="training samples", ylabel=ylabel, title=titles[bench])
        ax.grid(alpha=0.3)
    axes[0, -1].legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.tight_layout()
    return fig


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
    for shift, col, label in [(-0.2, "lut", "Lookup table"), (0.2, "lr", "Linear Regression (124 samples)")]:
        style = predictor_style(col)
        ax.barh(rows + shift, per_dataset[col], height=0.4, color=style["color"], alpha=0.75, label=label)
        ax.plot(per_dataset[f"paper_{col}"], rows + shift, style["marker"], mec="white", color=style["color"], ms=7)
    ax.plot([], [], "o", color="gray", label="markers: published (Table 1; TransNAS: the macro-space mean)")
    ax.set_yticks(rows, per_dataset["dataset"], fontsize=7)
    ax.invert_yaxis()
    ax.set(xlim=(0, 1), xlabel="Kendall tau")
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=2)
    for ax, (title, (measured, predicted)) in zip(axes[0, 1:], examples.items()):
        ax.scatter(measured, predicted, s=2, alpha=0.3, color=predictor_style("lut")["color"], rasterized=True)
        lims = [min(measured.min(), predicted.min()), max(measured.max(), predicted.max())]
        ax.plot(lims, lims, color="tab:red", lw=1)
        ax.set(xlabel="measured", ylabel="lookup table", title=title)
        ax.title.set_fontsize(8)
    fig.tight_layout()
    return fig
