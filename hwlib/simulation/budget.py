"""The time budget as a curve (beyond the paper): how many architectures measured live match the
hypervolume of predicting all of them with a predictor of a given Kendall tau.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

__all__ = ["live_sizes", "live_equivalent", "live_equivalent_table", "mean_live_curve", "live_equivalent_at",
           "live_equivalent_words"]


def live_equivalent_table(live: pd.DataFrame, grid: pd.DataFrame, mean: bool = True) -> pd.DataFrame:
    """For each dataset, pairing and std: the live-measured subset size whose true front matches
    the hypervolume of selecting among all architectures under predictions at that std.

    Parameters
    ----------
    live : DataFrame
        Aggregated :func:`run_grid` rows at std 0 over many sizes (the live-measurement curve).
    grid : DataFrame
        Aggregated :func:`run_grid` rows whose largest size holds every architecture.
    mean : bool
        Also add rows ``dataset='mean over datasets'``: the same question asked of the
        hypervolumes averaged over datasets (by requested size), as the paper averages.

    Returns
    -------
    DataFrame
        Columns dataset, pairing, std, kendalltau, n_all, hv_all (HV of predicting all), n_live,
        then the live curve's range: live_min and live_max (its smallest and largest size) and
        hv_live_min, hv_live_max (its hypervolume there, made monotone).
    """
    frames = []
    for (name, pairing), g in grid.groupby(["dataset", "pairing"], sort=False):
        curve = live[(live["dataset"] == name) & (live["pairing"] == pairing) & (live["std"] == 0)]
        frames.append(_live_rows(name, pairing, curve, g[g["n"] == g["n"].max()]))
    if mean:
        for pairing, g in grid.groupby("pairing", sort=False):
            curve = live[(live["pairing"] == pairing) & (live["std"] == 0)].groupby("n", as_index=False)[
                ["n_used", "hv_true"]].mean()
            full = g[g["n"] == g["n"].max()].groupby("std", as_index=False)[
                ["kendalltau", "n_used", "hv_selected"]].mean()
            frames.append(_live_rows("mean over datasets", pairing, curve, full))
    return pd.concat(frames, ignore_index=True)


def _live_rows(name: str, pairing: str, curve: pd.DataFrame, full: pd.DataFrame) -> pd.DataFrame:
    curve = curve.sort_values("n_used")
    hv_live = np.maximum.accumulate(curve["hv_true"].to_numpy())
    return pd.DataFrame({
        "dataset": name, "pairing": pairing, "std": full["std"].to_numpy(),
        "kendalltau": full["kendalltau"].to_numpy(), "n_all": full["n_used"].to_numpy(),
        "hv_all": full["hv_selected"].to_numpy(),
        "n_live": live_equivalent(curve["n_used"], curve["hv_true"], full["hv_selected"]),
        "live_min": curve["n_used"].iloc[0], "live_max": curve["n_used"].iloc[-1],
        "hv_live_min": hv_live[0], "hv_live_max": hv_live[-1]})


def live_equivalent(sizes: Sequence[int], hv_live: Sequence[float], hv_target) -> np.ndarray:
    """How many architectures measured live reach a given hypervolume.

    Interpolates ``log(n)`` against the mean true-front HV of ``n`` live-measured architectures
    (monotone in ``n``) at each target HV, e.g. the HV reached by predicting all architectures
    at some Kendall tau.

    Parameters
    ----------
    sizes : sequence of int, increasing
    hv_live : sequence of float
        Mean HV of the true front of ``sizes[i]`` architectures.
    hv_target : float or array_like

    Returns
    -------
    ndarray
        Equivalent live sizes; NaN outside the measured range.
    """
    sizes, hv_live = np.asarray(sizes, dtype=np.float64), np.asarray(hv_live, dtype=np.float64)
    hv_live = np.maximum.accumulate(hv_live)          # means of finite samples: enforce monotonicity
    target = np.atleast_1d(np.asarray(hv_target, dtype=np.float64))
    for end in (hv_live[0], hv_live[-1]):          # rounding must not push an end point outside
        target = np.where(np.isclose(target, end, rtol=1e-9, atol=0.0), end, target)
    out = np.exp(np.interp(target, hv_live, np.log(sizes), left=np.nan, right=np.nan))
    return out


def mean_live_curve(curves: pd.DataFrame) -> pd.DataFrame:
    """The rows of :func:`live_equivalent_table` for the hypervolumes averaged over datasets, at
    every std > 0, indexed by (pairing, std)."""
    mean = curves[(curves["std"] > 0) & (curves["dataset"] == "mean over datasets")]
    return mean.set_index(["pairing", "std"])


def live_equivalent_at(curves: pd.DataFrame, kendalltau: float) -> dict[str, float]:
    """Per pairing, the live-measured size equivalent to predicting all architectures with a
    predictor of Kendall tau ``kendalltau``: the averaged curve (:func:`mean_live_curve`)
    interpolated linearly in Kendall tau (e.g. the paper's 0.73)."""
    return {p: float(np.interp(kendalltau, g["kendalltau"][::-1], g["n_live"][::-1]))
            for p, g in mean_live_curve(curves).groupby(level=0)}


def live_equivalent_words(curves: pd.DataFrame, kendalltau: float) -> dict[str, str]:
    """:func:`live_equivalent_at` in words, per pairing: ``'about 4324'``, or where that is NaN
    (beyond the live curve) which side: ``'fewer than 100'`` when the hypervolume of predicting all
    (interpolated in Kendall tau) is below the curve's, ``'more than 15620'`` when above, else
    ``'near the edge of the measured range (100 to 15620)'``."""
    at = live_equivalent_at(curves, kendalltau)
    words = {}
    for p, g in mean_live_curve(curves).groupby(level=0):
        if np.isfinite(at[p]):
            words[p] = f"about {at[p]:.0f}"
            continue
        target = np.interp(kendalltau, g["kendalltau"][::-1], g["hv_all"][::-1])
        first = g.iloc[0]
        words[p] = (f"fewer than {first['live_min']:.0f}" if target < first["hv_live_min"] else
                    f"more than {first['live_max']:.0f}" if target > first["hv_live_max"] else
                    f"near the edge of the measured range ({first['live_min']:.0f} to {first['live_max']:.0f})")
    return words


def live_sizes(low: int = 100, high: int = 15625, count: int = 14) -> list[int]:
    """Subset sizes for the live-measurement curve: ``count`` sizes spaced evenly in log from
    ``low`` to ``high``, rounded to tens (duplicates dropped)."""
    return np.unique(np.geomspace(low, high, count).round(-1).astype(int)).tolist()
