"""The reproduction scorecard: every number, table and claim of the paper beside ours, with a verdict.

Each row says where in the paper (``"Table 1"``, ``"Sec. 5, Fig. 4 left"``), the paper's value, ours,
the difference, a verdict (``reproduced``, ``differs``, ``provisional``, ``not run``) and, when it
is not ``reproduced``, the reasons, computed from facts of this build:

- *stand-in data*: the paper's dataset is not at hand and another stands in (:func:`hwlib.data.hard_datasets`);
- *fewer seeds* / *fewer trials*: the profile ran fewer than the paper;
- *not yet in the committed results*: the full study has not reached those cells;
- *provisional* (a claim about predictors): some of the cells it reads are not committed yet; it is
  checked on the predictors complete for it, and the reason says whether it holds there and what
  is missing;
- for the simulation, both pairings are computed: ``ours`` uses the released code's sorted pairing
  (like for like with the published numbers, see the protocol's QUIRK), ``correct pairing`` pairs
  each architecture with its own values.

The paper's values are typed once in the project: Table 1 in :data:`hwlib.lookup.PAPER_TABLE1`, the
simulation's in :data:`hwlib.simulation.PUBLISHED`, the predictor claims in
:data:`hwlib.claims.CLAIMS`, the lookup-table means in :data:`PAPER_LUT_MEANS` here. A number is
*reproduced* when it is within :data:`TOLERANCE` of the paper's.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any, Sequence

import numpy as np
import pandas as pd

from .claims import PAPER_SEEDS, fewer_seeds, seed_counts

__all__ = ["PAPER_LUT_MEANS", "paper_lut_means", "TOLERANCE", "verdict", "table1_rows", "lut_mean_rows",
           "claim_rows", "query_time_row", "simulation_rows", "scorecard", "formatted", "styled", "summary",
           "headline", "other_verdicts", "reason_counts", "plot_scorecard", "COLUMNS"]

log = logging.getLogger(__name__)

#: The lookup table's mean Kendall tau over the five hard datasets (Sec. 4, Fig. 1's black lines).
PAPER_LUT_MEANS = {"hwnas": ("Sec. 4, Fig. 1a", 0.437), "transnas": ("Sec. 4, Fig. 1b", 0.605)}
#: Largest absolute difference counted as reproduced, per kind of number. Kendall tau: 0.05 (the
#: paper prints two decimals; seeds and splits move a mean by a few hundredths); MRA: 0.25
#: percentage points; hypervolume: 0.2 (about 5 % of the true front's); architectures counts: 30 %
#: of the paper's value (``relative``).
TOLERANCE = {"kendalltau": 0.05, "mra": 0.25, "hv": 0.2, "count": ("relative", 0.3)}
#: Columns of the scorecard.
COLUMNS = ["section", "where", "quantity", "paper", "ours", "difference", "verdict", "reason", "note"]
#: ``base_reason`` of a lookup table built on the protocol's own base (:func:`hwlib.lookup.evaluate_lut`).
PROTOCOL_BASE = "the protocol's base"
#: The paper's number of simulation trials (its seeds: :data:`hwlib.claims.PAPER_SEEDS`).
PAPER_TRIALS = 1000


def verdict(paper: float, ours: float, kind: str) -> str:
    """'reproduced' when ``ours`` is within :data:`TOLERANCE` [kind] of ``paper``; 'not run' when
    ours is NaN; else 'differs'."""
    if ours is None or not np.isfinite(ours):
        return "not run"
    tol = TOLERANCE[kind]
    limit = tol[1] * abs(paper) if isinstance(tol, tuple) else tol
    return "reproduced" if abs(ours - paper) <= limit + 1e-12 else "differs"


def _row(section: str, where: str, quantity: str, paper: float, ours: float, kind: str,
         reasons: Sequence[str] = (), note: str = "") -> dict[str, Any]:
    v = verdict(paper, ours, kind)
    return {"section": section, "where": where, "quantity": quantity, "paper": float(paper),
            "ours": float(ours) if ours is not None else np.nan,
            "difference": float(ours - paper) if ours is not None and np.isfinite(ours) else np.nan,
            "verdict": v, "reason": "" if v == "reproduced" else "; ".join(reasons) or "not explained",
            "note": note}


def _stand_in(benchmark: str) -> str | None:
    """The stand-in reason of a benchmark, or None when the paper's datasets are at hand."""
    from . import data

    used = data.hard_datasets(benchmark)
    if benchmark == "hwnas":
        return None if used == list(data.PAPER_HWNAS) else "stand-in data (cifar10 metrics for the paper's datasets)"
    return None if not used[0].startswith("transnas_micro") else \
        ("stand-in data (TransNAS micro space for the macro space; its own cells rank it at a mean Kendall tau "
         f"of {_own_fit_mean(tuple(used)):.2f}: chapter 'Datasets', Table 1.4)")


@lru_cache(maxsize=4)
def _own_fit_mean(names: tuple[str, ...]) -> float:
    """The mean Kendall tau of the datasets' own out-of-fold fits (:func:`hwlib.analysis.own_data_fit`)."""
    from .analysis import own_data_fit

    return float(own_data_fit(names)["kendalltau"].mean())


def table1_rows(per_dataset: pd.DataFrame, seeds: int, macro: pd.DataFrame | None = None) -> list[dict]:
    """Table 1's cells: the lookup table's tau and Linear Regression's (124 samples) per device and metric.

    ``per_dataset`` is :func:`hwlib.lookup.lookup_table_comparison`'s frame; ``seeds`` the seeds of
    Linear Regression run. The TransNAS-Bench-101 column (Tesla V100) is the mean over its tasks,
    as in the paper. ``macro``, the same frame for the real macro space measured on this
    project's CPU (chapter "Your own device"), adds its values to the notes of that column: the
    same architectures as the paper's, on another device.
    """
    per_dataset = per_dataset[per_dataset["paper_lut"].notna()].copy()
    reason = per_dataset.get("lut_base_reason", pd.Series("", index=per_dataset.index)).fillna("")
    per_dataset["moved"] = ~reason.isin(["", PROTOCOL_BASE])
    cells = per_dataset.groupby(["device", "metric"], sort=False).agg(
        lut=("lut", "mean"), lr=("lr", "mean"), paper_lut=("paper_lut", "first"), paper_lr=("paper_lr", "first"),
        datasets=("dataset", list), moved=("moved", "any")).reset_index()
    fewer = [f"fewer seeds ({seeds} of {PAPER_SEEDS})"] if seeds < PAPER_SEEDS else []
    rows = []
    for r in cells.itertuples(index=False):
        stand = _stand_in("transnas") if r.device == "tesla_v100" else None
        stand = [stand] if stand else []
        cell = f"{r.device} {r.metric}"
        note = r.datasets[0] if len(r.datasets) == 1 else f"mean of {len(r.datasets)}: {', '.join(r.datasets)}"
        base = ["another lookup-table base (the data lack the protocol base's neighbours)"] if r.moved else []
        extra = {"lut": "", "lr": ""}
        if r.device == "tesla_v100" and macro is not None and len(macro):
            extra = {k: f"; the real macro space on this project's CPU (chapter 'Your own device'): "
                        f"{macro[k].mean():.3f}" for k in extra}
        rows.append(_row("Table 1", "Table 1", f"lookup table tau, {cell}", r.paper_lut, r.lut, "kendalltau",
                         stand + base, note=note + extra["lut"]))
        rows.append(_row("Table 1", "Table 1", f"Linear Regression tau (124 samples), {cell}", r.paper_lr, r.lr,
                         "kendalltau", stand + fewer, note=note + extra["lr"]))
    return rows


def lut_mean_rows(lut_mean: pd.Series, per_dataset: pd.DataFrame | None = None) -> list[dict]:
    """The lookup table's mean tau over each benchmark's five hard datasets.

    ``per_dataset``: the second frame of :func:`hwlib.comparison.lut_means`; the datasets whose
    table could not take the protocol's base are named as a reason.
    """
    rows = []
    for bench, (where, paper) in PAPER_LUT_MEANS.items():
        stand = _stand_in(bench)
        reasons = [stand] if stand else []
        if per_dataset is not None and "base_reason" in per_dataset:
            mine = per_dataset[per_dataset["benchmark"] == bench]
            moved = mine[~mine["base_reason"].fillna("").isin(["", PROTOCOL_BASE])]
            if len(moved):
                reasons.append(f"another lookup-table base on {len(moved)} of {len(mine)} datasets (the data "
                               f"lack the protocol base's neighbours: {', '.join(moved['dataset'])})")
        rows.append(_row("Predictors", where, f"lookup table mean tau, {bench}", paper,
                         float(lut_mean.get(bench, np.nan)), "kendalltau", reasons))
    return rows


def _claim_benchmarks(text: str) -> list[str]:
    """The benchmarks a claim speaks of (both when it names neither)."""
    named = [b for b, word in (("hwnas", "HW-NAS"), ("transnas", "TransNAS")) if word in text]
    return named or ["hwnas", "transnas"]


def claim_rows(claims: pd.DataFrame, results: pd.DataFrame) -> list[dict]:
    """The paper's predictor claims (:func:`hwlib.claims.check_claims`) as scorecard rows.

    ``results`` are the records the claims were checked on; a claim that differs names, as its
    reasons, stand-in data of its benchmark, predictors missing from the records and fewer seeds
    than the paper's behind the curves it reads (its ``reads``; all when empty or absent), where
    they apply.
    """
    from .study import study_predictors

    known = study_predictors()
    present = sorted(set(results["predictor"]) & set(known)) if len(results) else []
    seeds = {p: n for p, n in seed_counts(results).items() if p in known}
    common = []
    if len(present) < len(known):
        common.append(f"the committed study holds {len(present)} of {len(known)} predictors so far")
    note = f"checked on the {len(present)} of {len(known)} predictors committed so far" \
        if len(present) < len(known) else ""
    rows = []
    for c in claims.itertuples(index=False):
        stand = [s for s in map(_stand_in, _claim_benchmarks(c.claim)) if s]
        reads = tuple(p.strip() for p in (getattr(c, "reads", "") or "").split(",") if p.strip())
        fewer = [r for r in [fewer_seeds(seeds, reads)] if r]
        why = (stand + common + fewer if c.verdict == "differs" else [c.reason] if c.verdict == "provisional"
               else ["not yet in the committed results"])
        rows.append({"section": "Predictors", "where": c.where, "quantity": c.claim, "paper": c.paper,
                     "ours": c.ours, "difference": np.nan, "verdict": c.verdict,
                     "reason": "" if c.verdict == "reproduced" else "; ".join(why) or "not explained",
                     "note": note if c.verdict != "not run" else ""})
    return rows


def query_time_row(results: pd.DataFrame) -> dict:
    """The paper's claim about query times (:func:`hwlib.claims.check_query_time`) as a scorecard
    row, checked on the query times that ``results`` (the committed study's) record. Where it
    differs, the reason is the machine: query times are CPU seconds of the one that ran the study
    (named from the runs' provenance), and the paper names neither its own nor how it timed. The
    note names the predictors that record none, where it does not already say so."""
    from .claims import check_query_time
    from .comparison import query_time_table
    from .study import study_store

    c = check_query_time(query_time_table(results))
    runs = study_store("full", False).provenance().values()
    cpus = ", ".join(sorted({r["cpu"] for r in runs if r.get("cpu")})) or "unrecorded"
    why = {"differs": f"CPU seconds of one core of the machine that ran the study ({cpus}), which the paper does "
                      "not name, nor how it timed",
           "provisional": c["reason"], "not run": "no query times in the committed results"}
    measured = "chapter 2, Table 2.12 measures every predictor's on the machine that builds the book"
    return {"section": "Predictors", "where": c["where"], "quantity": c["claim"], "paper": c["paper"],
            "ours": c["ours"], "difference": np.nan, "verdict": c["verdict"], "reason": why.get(c["verdict"], ""),
            "note": "; ".join(filter(None, [c["reason"] if c["verdict"] == "differs" else "", measured]))}


def _sim_means(grid: pd.DataFrame) -> pd.DataFrame:
    """Means over datasets and subset sizes, per std."""
    return grid.groupby("std")[["kendalltau", "mra_all", "mra_pareto"]].mean()


def simulation_rows(sorted_grid: pd.DataFrame, arch_grid: pd.DataFrame, live: dict[str, pd.DataFrame] | None,
                    trials: int) -> list[dict]:
    """The simulation's published numbers (:data:`hwlib.simulation.PUBLISHED`) beside ours.

    Parameters
    ----------
    sorted_grid, arch_grid : DataFrame
        Aggregated :func:`hwlib.simulation.run_grid` rows of the five datasets, all sizes and
        stds, with the sorted pairing (the released code's) and pairing by architecture.
    live : dict, optional
        Pairing -> :func:`hwlib.simulation.live_equivalent_table` rows; None leaves that row out.
    trials : int
        Trials per cell.
    """
    from .simulation import PUBLISHED

    reasons = [s for s in (_stand_in("hwnas"),) if s]
    if trials < PAPER_TRIALS:
        reasons.append(f"fewer trials ({trials} of {PAPER_TRIALS})")
    ms, ma = _sim_means(sorted_grid), _sim_means(arch_grid)
    rows = []
    for std, paper in PUBLISHED["kendalltau"].items():
        rows.append(_row("Simulation", "Sec. 5, Fig. 4 (x axis)", f"Kendall tau at deviation std {std}", paper,
                         ms.at[std, "kendalltau"], "kendalltau", reasons))
    for std, (p_all, p_par) in PUBLISHED["mra"].items():
        for name, paper in (("mra_all", p_all), ("mra_pareto", p_par)):
            rows.append(_row("Simulation", "Sec. 5, Fig. 4 left", f"{name.upper().replace('_', ' ')} [%] at std {std}",
                             paper, ms.at[std, name], "mra", reasons,
                             note=f"correct pairing: {ma.at[std, name]:.2f}"))
    for n, paper in PUBLISHED["hv_true"].items():
        def hv(grid):
            return grid[(grid["n"] == n) & (grid["std"] == 0)]["hv_true"].mean()
        rows.append(_row("Simulation", "Sec. 5, Fig. 4 right", f"hypervolume of the true front, n = {n}", paper,
                         hv(sorted_grid), "hv", reasons, note=f"correct pairing: {hv(arch_grid):.2f}"))
    if live is not None:
        target = PUBLISHED["live_equivalent"]

        def n_live(table):
            mean = table[table["dataset"] == "mean over datasets"].sort_values("kendalltau")
            return float(np.interp(target["kendalltau"], mean["kendalltau"], mean["n_live"],
                                   left=np.nan, right=np.nan))
        rows.append(_row("Simulation", "Sec. 5, Fig. 4 right",
                         f"architectures measured live that match predicting all at KT {target['kendalltau']}",
                         target["n_live"], n_live(live["sorted"]), "count", reasons,
                         note=f"correct pairing: {n_live(live['architecture']):.0f}"))
    return rows


def scorecard(profile: str = "quick", trials: int | None = None, seeds: int | None = None,
              live: bool = True, n_jobs: int = 1) -> pd.DataFrame:
    """The whole scorecard of this build.

    Table 1 and the lookup-table means are computed (Linear Regression on the profile's seeds);
    the predictor claims are checked on the committed results of the full study (nothing is
    trained); the simulation runs the paper's grid with the profile's trials, both pairings.

    Parameters
    ----------
    profile : str
        'quick' or 'full' (:mod:`hwlib.profiles`).
    trials, seeds : int, optional
        Simulation trials per cell and Linear-Regression seeds; None: the profile's.
    live : bool
        Also the live-measurement equivalent (a denser grid at std 0).
    n_jobs : int
        Worker processes of the simulation grid.

    Returns
    -------
    DataFrame
        Columns :data:`COLUMNS`, one row per number or claim.
    """
    from . import claims as paper_claims, comparison, data, profiles, simulation as sim, study
    from .lookup import PAPER_TABLE1, lookup_table_comparison

    trials = profiles.settings("simulation", profile, trials=trials).trials
    seeds = profiles.settings("lookup_tables", profile, seeds=seeds).seeds
    table1_sets = [n for n in data.list_datasets() if n.startswith("cifar10-")
                   and n.split("-", 1)[1] in {f"{d}_{m}" for d, m in PAPER_TABLE1}] + data.hard_datasets("transnas")
    per_dataset = lookup_table_comparison(table1_sets, range(seeds), 124)
    macro = (lookup_table_comparison(["transnas_macro-cpu_latency"], range(seeds), 124)
             if "transnas_macro-cpu_latency" in data.list_datasets() else None)
    benchmarks = {"hwnas": data.hard_datasets("hwnas"), "transnas": data.hard_datasets("transnas")}
    lut_mean, lut_per_dataset = comparison.lut_means(benchmarks)
    results = study.results("full", compute=False)
    curve = comparison.curves(results) if len(results) else None
    capped = profiles.capped_sizes("full")
    claims = paper_claims.check_claims(curve, lut_mean, capped=capped) if curve is not None else \
        pd.DataFrame([{"where": c.where, "claim": c.text, "paper": c.paper, "ours": "-", "verdict": "not run"}
                      for c in paper_claims.CLAIMS])
    matched = sim.accuracy_matched_datasets()
    run = dict(sizes=sim.SIZES, stds=sim.STDS, trials=trials, seed=0, n_jobs=n_jobs, progress=False)
    grids = {p: sim.run_grid(matched, pairing=p, **run) for p in sim.PAIRINGS}
    live_tables = None
    if live:
        dense = np.unique(np.geomspace(100, 15625, 14).round(-1).astype(int)).tolist()
        live_tables = {p: sim.live_equivalent_table(
            sim.run_grid(matched, sizes=dense, stds=[0.0], trials=trials, seed=0, pairing=p, n_jobs=n_jobs,
                         progress=False), grids[p]) for p in sim.PAIRINGS}
    claim_list = claim_rows(claims, results)
    _add_tuning_notes(claim_list, results, lut_mean)
    _add_sampler_note(claim_list)
    if curve is not None:
        _add_lut_notes(claim_list, curve)
    rows = (table1_rows(per_dataset, seeds, macro) + lut_mean_rows(lut_mean, lut_per_dataset) + claim_list
            + [query_time_row(results)]
            + simulation_rows(grids["sorted"], grids["architecture"], live_tables, trials))
    return pd.DataFrame(rows, columns=COLUMNS)


def _add_tuning_notes(rows: list[dict], results: pd.DataFrame, lut_mean: pd.Series) -> None:
    """The claims that the paper's brief tuning could touch get, as a note, what the committed
    tuning runs say of them (the paper tuned seven predictors; the study runs them at their
    defaults): the TransNAS MLP claim, and the HW-NAS claims about few samples."""
    from . import tuning

    tuned, defaults = tuning.results("full")
    notes = {"after ~20 samples": tuning.claim_note(tuning.standing(tuned, defaults))}
    if len(results) and len(tuned):
        few, _ = tuning.few_sample_claims(results, tuned, lut_mean)
        notes.update({r.paper: f"with the brief tuning, on the cells tuned (chapter 2, Table 2.10): {r.tuned} "
                               f"({r.verdict_tuned}; at the defaults there: {r.default})"
                      for r in few.itertuples() if r.verdict_tuned != "not run"})
    for row in rows:
        if notes.get(row["paper"]):
            row["note"] = "; ".join(filter(None, [row["note"], notes[row["paper"]]]))


def paper_lut_means() -> pd.Series:
    """The paper's lookup-table mean tau per benchmark."""
    return pd.Series({bench: value for bench, (_, value) in PAPER_LUT_MEANS.items()})


def _add_lut_notes(rows: list[dict], curve: pd.DataFrame) -> None:
    """The claims about beating the lookup table get, as a note, what they say against the paper's
    lookup-table means instead of ours (a stronger or weaker table, or other predictors?)."""
    from .claims import lut_claims
    from .profiles import capped_sizes

    against = lut_claims(curve, paper_lut_means(), capped=capped_sizes("full")).set_index("paper")
    for row in rows:
        if row["paper"] in against.index and against.loc[row["paper"], "verdict"] != "not run":
            bench = "transnas" if "TransNAS" in row["quantity"] else "hwnas"
            found = against.loc[row["paper"]]
            note = (f"against the paper's lookup-table mean ({paper_lut_means()[bench]:.3f}) instead of ours: "
                    f"{found['ours']} ({found['verdict']})")
            row["note"] = "; ".join(filter(None, [row["note"], note]))


def _add_sampler_note(rows: list[dict]) -> None:
    """The BOHAMIANN claim's note gets where BOHAMIANN levels off with pybnn's longer chain, from
    the committed cells of chapter 2's Table 2.11 (none: no note)."""
    from . import comparison, data, profiles
    from .study import _results_store

    cfg = profiles.settings("predictors", "full")
    table = comparison.sampler_effect(data.hard_datasets("hwnas"), cfg.sampler_sizes, range(cfg.sampler_seeds),
                                      store=_results_store(), compute=False)
    longer = table.iloc[:, 0].dropna() if len(table) else pd.Series(dtype=float)
    if longer.empty:
        return
    note = (f"sampled for {comparison.LONG_SAMPLER['num_steps']} steps (pybnn's defaults) instead of the released "
            f"code's 100, it peaks at {longer.max():.3f} ({longer.idxmax()[1]} samples; chapter 2, Table 2.11)")
    for row in rows:
        if row["paper"] == "KT ~ 0.8":
            row["note"] = "; ".join(filter(None, [row["note"], note]))


def formatted(card: pd.DataFrame) -> pd.DataFrame:
    """The scorecard for reading: paper, ours and difference as text (counts whole; the paper's
    values with the digits it gives, up to three decimals; ours and the differences to three
    decimals; a claim's texts as they are), empty where there is no number."""
    def text(value, whole, paper=False):
        if isinstance(value, str):
            return value
        if value is None or not np.isfinite(value):
            return ""
        if whole:
            return f"{value:+.0f}" if whole == "diff" else f"{value:.0f}"
        return f"{round(value, 3):g}" if paper else f"{value:.3f}"

    out = card.copy()
    whole = out["quantity"].str.startswith("architectures")
    for col in ("paper", "ours"):
        out[col] = [text(v, w, col == "paper") for v, w in zip(out[col], whole)]
    out["difference"] = [text(v, "diff") if w else ("" if not np.isfinite(v) else f"{v:+.3f}")
                         for v, w in zip(out["difference"].astype(float), whole)]
    return out


def styled(frame: pd.DataFrame):
    """A scorecard table for the book: no index, small type, the verdict in colour and whole; the
    long texts (ours, reason, note) may break anywhere, so that the table fits the page's width
    (a dataset's name is one long word) instead of scrolling sideways."""
    colour = {"reproduced": "color: #1a7f37", "differs": "color: #b35900", "provisional": "color: #8250df",
              "not run": "color: #6e7781"}
    style = frame.style.hide(axis="index").set_properties(**{"font-size": "0.8em", "vertical-align": "top"})
    long_texts = [c for c in ("ours", "reason", "note") if c in frame]
    if long_texts:
        style = style.set_properties(subset=long_texts, **{"overflow-wrap": "anywhere"})
    if "verdict" in frame:
        style = style.map(lambda v: colour.get(v, ""), subset=["verdict"]).set_properties(
            subset=["verdict"], **{"white-space": "nowrap"})
    return style


def summary(card: pd.DataFrame) -> dict[str, int]:
    """Counts of the scorecard: ``total``, ``reproduced``, ``differs``, ``provisional``, ``not_run``,
    and per section ``<section>_total`` / ``<section>_reproduced`` (section lower-cased, spaces as
    underscores)."""
    out = {"total": len(card), "reproduced": int((card["verdict"] == "reproduced").sum()),
           "differs": int((card["verdict"] == "differs").sum()),
           "provisional": int((card["verdict"] == "provisional").sum()),
           "not_run": int((card["verdict"] == "not run").sum())}
    for section, part in card.groupby("section", sort=False):
        key = section.lower().replace(" ", "_")
        out[f"{key}_total"], out[f"{key}_reproduced"] = len(part), int((part["verdict"] == "reproduced").sum())
    return out


def other_verdicts(count: dict[str, int]) -> str:
    """The counts of :func:`summary` beside the reproduced ones, as the rest of a sentence that
    names those: ' and D differ', or, where any are provisional or not yet run, ', D differ, P are
    provisional (...) and N are not yet run' (each named only where there are any)."""
    parts = [f"{count['differs']} differ"]
    if count["provisional"]:
        parts.append(f"{count['provisional']} are provisional (checked on the part of the full study committed so far)")
    if count["not_run"]:
        parts.append(f"{count['not_run']} are not yet run")
    return ", ".join([""] + parts[:-1]) + " and " + parts[-1]


def headline(count: dict[str, int]) -> str:
    """The scorecard's counts (:func:`summary`) as Markdown: how many are reproduced, the
    :func:`other_verdicts`, then the reproduced per part of the paper."""
    return (f"Of the paper's {count['total']} numbers and claims checked here, **{count['reproduced']} are "
            f"reproduced**{other_verdicts(count)}. By part: the paper's Table 1, {count['table_1_reproduced']} of "
            f"{count['table_1_total']}; the predictor comparison (its claims and the lookup table's means), "
            f"{count['predictors_reproduced']} of {count['predictors_total']}; the selection simulation, "
            f"{count['simulation_reproduced']} of {count['simulation_total']}.")


def _split_reasons(text: str) -> list[str]:
    """A row's reasons: ``text`` split at its ``"; "`` outside parentheses (a reason's detail in
    parentheses may hold its own ``"; "``)."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0 and text.startswith("; ", i):
            parts.append(text[start:i])
            start = i + 2
    return [p for p in parts + [text[start:]] if p]


def reason_counts(card: pd.DataFrame) -> pd.Series:
    """Rows that name each reason (its words before any detail in parentheses), among the rows
    not reproduced; most frequent first. A row may name several reasons."""
    reasons = card.loc[card["verdict"] != "reproduced", "reason"].map(_split_reasons).explode().dropna()
    return reasons.str.replace(r" \(.*", "", regex=True).value_counts().rename("rows")


#: One colour and marker per section of the scorecard (the headline figure).
SECTION_STYLE = {"Table 1": {"color": "#1f77b4", "marker": "o"}, "Predictors": {"color": "#2ca02c", "marker": "s"},
                 "Simulation": {"color": "#d62728", "marker": "^"}}


def plot_scorecard(card: pd.DataFrame):
    """The headline figure: each of the paper's numbers (x) against ours (y), one panel per kind.

    Filled markers are reproduced, hollow ones differ; the grey band is the tolerance.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    num = card[pd.to_numeric(card["ours"], errors="coerce").notna() & card["difference"].notna()].copy()
    num["ours"] = num["ours"].astype(float)
    kinds = {"Kendall tau": num["quantity"].str.contains("tau|Kendall"),
             "MRA [%]": num["quantity"].str.startswith("MRA"),
             "hypervolume": num["quantity"].str.contains("hypervolume")}
    fig, axes = plt.subplots(1, len(kinds), figsize=(4 * len(kinds), 3.8))
    for ax, (title, mask), tol in zip(axes, kinds.items(), (TOLERANCE["kendalltau"], TOLERANCE["mra"], TOLERANCE["hv"])):
        part = num[mask]
        lo, hi = (min(part["paper"].min(), part["ours"].min()), max(part["paper"].max(), part["ours"].max())) \
            if len(part) else (0, 1)
        pad = 0.05 * (hi - lo or 1)
        line = np.array([lo - pad, hi + pad])
        ax.fill_between(line, line - tol, line + tol, color="0.9", zorder=0)
        ax.plot(line, line, color="0.5", lw=0.8, zorder=1)
        for section, style in SECTION_STYLE.items():
            for ok, face in ((True, style["color"]), (False, "none")):
                sel = part[(part["section"] == section) & ((part["verdict"] == "reproduced") == ok)]
                if len(sel):
                    ax.scatter(sel["paper"], sel["ours"], marker=style["marker"], edgecolors=style["color"],
                               facecolors=face, s=36, zorder=2,
                               label=f"{section}, {'reproduced' if ok else 'differs'}")
        ax.set(title=title, xlabel="paper", ylabel="ours", xlim=line, ylim=line)
    handles = {h.get_label(): h for ax in axes for h in ax.collections if not h.get_label().startswith("_")}
    fig.legend(handles.values(), handles.keys(), loc="lower center", ncol=3, frameon=False, fontsize=8)
    fig.tight_layout(rect=(0, 0.12, 1, 1))
    return fig
