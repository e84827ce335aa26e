"""The paper's claims about predictors (its Section 4, and where Sections 5 and 6 restate one),
each checked on the comparison's curves with a computed verdict.

A claim reads the mean Kendall tau of :func:`hwlib.comparison.curves` as a predictors x sizes
table per benchmark. Where the paper's words are qualitative, the claim's text says how it is
measured (against the median predictor, interpolated in log size, ...). On an incomplete grid a
claim is *provisional*: checked on the predictors that are complete for it, naming what is missing.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np
import pandas as pd

from .comparison import curve_table, size_reaching

__all__ = ["Claim", "CLAIMS", "GAIN_SIZES", "PAPER_SEEDS", "check_claims", "fewer_seeds", "LUT_CLAIMS", "lut_claims",
           "seed_counts", "QUERY_TIME_LIMIT", "QUERY_TIME_CLAIM", "check_query_time"]

BENCHMARK_TITLES = {"hwnas": "HW-NAS-Bench", "transnas": "TransNAS-Bench-101"}

#: Seeds per cell in the paper (PROTOCOL.md: seeds 0..49 for every predictor).
PAPER_SEEDS = 50

#: The predictors the paper did not run on TransNAS-Bench-101 ("we do not evaluate predictors that
#: specifically encode the architecture connectivity", Figure 1b): a claim about all predictors
#: there compares the others, as the paper did; where these would change its number, it says so.
NOT_ON_TRANSNAS = ("bananas", "bonas", "gcn", "nao")

#: A difference in mean Kendall tau too small to call an advantage (the scorecard's tolerance).
NO_ADVANTAGE = 0.05

#: A gain in mean Kendall tau that shows at three decimals: smaller ones count as none.
SOME_GAIN = 0.001


@dataclass(frozen=True)
class Claim:
    """One of the paper's statements about predictors, with where it is made and how it is checked.

    ``check(tables, lut_mean)`` returns (our number as text, holds: bool); ``tables``
    maps a benchmark to its predictors x sizes table of mean Kendall tau. It raises
    :class:`LookupError` when a predictor or size it needs was not run. ``reads``: the predictors
    whose curves it reads alone; empty when it reads every predictor (a rank among them, their
    median or their best).
    """

    where: str
    text: str
    paper: str
    check: Callable[[dict, pd.Series], tuple[str, bool]]
    benchmark: str = "hwnas"
    reads: tuple[str, ...] = ()


#: While a claim is checked on an incomplete grid: the list that collects what it lacks (else None).
_MISSING: ContextVar[list | None] = ContextVar("claim_missing", default=None)


def _need(table: pd.DataFrame, predictors=None, sizes=None) -> pd.DataFrame:
    """The part of ``table`` a claim reads; :class:`LookupError` if it was not run.

    Not run: a predictor without any value there, or without a value at the largest size read
    (smaller sizes may be undefined: LightGBM cannot split 5 samples). While a claim is checked
    provisionally (see :func:`check_claims`), such a predictor is named in the collecting list
    instead, and left out of the part (among all predictors) or kept with the sizes it has (a
    predictor the claim names); only an empty part is then not run.
    """
    named = predictors is not None
    if not named:                            # every predictor of the comparison (check_claims)
        predictors = _compared(table)
    columns = [s for s in table.columns if sizes is None or sizes(s)]
    missing = _MISSING.get()
    if missing is None:
        part = table.loc[list(predictors), columns]
        if part.empty or part.isna().all(axis=1).any() or part.iloc[:, -1].isna().any():
            raise LookupError("not run")
        return part
    part = table.reindex(index=list(predictors), columns=columns)
    if part.empty:
        raise LookupError("not run")
    ran = part.notna().any(axis=1)
    short = ~ran | part.iloc[:, -1].isna()
    for name in part.index[short]:
        have = table.loc[name].dropna().index if name in table.index else []
        detail = " ".join(filter(None, [table.attrs.get("title"), f"to {have[-1]}" if len(have) else None]))
        missing.append(f"{name} ({detail})" if detail else name)
    part = part[ran if named else ~short]
    if part.empty:
        raise LookupError("not run")
    return part


def _compared(table: pd.DataFrame) -> list[str]:
    """The predictors a claim about all of them compares on ``table``'s benchmark: those of the
    comparison (:func:`check_claims`), on TransNAS without :data:`NOT_ON_TRANSNAS`."""
    from .study import study_predictors

    names = table.attrs.get("predictors") or study_predictors()
    return [p for p in names if table.attrs.get("benchmark") != "transnas" or p not in NOT_ON_TRANSNAS]


def _left_out(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``table`` for the predictors the paper did not run on its benchmark."""
    return table.loc[[p for p in NOT_ON_TRANSNAS if p in table.index]] if table.attrs.get(
        "benchmark") == "transnas" else table.iloc[:0]


#: HW-NAS sizes "with many samples" that every predictor of the full profile runs at (the heavy
#: ones stop at 3036): the range over which the claims about using more data compare gains.
GAIN_SIZES = (276, 3036)


def _crossings(table: pd.DataFrame, lut: float) -> pd.Series:
    """Per predictor: the training size at which its curve reaches the lookup table's tau,
    interpolated in log size as one reads it off Figure 1 (NaN: not within the sizes run)."""
    return pd.Series({p: size_reaching(row, lut) for p, row in table.iterrows()}, dtype=float)


def _advantage(table: pd.DataFrame) -> pd.DataFrame:
    """Each predictor's tau minus the median tau of the other predictors, per size."""
    return pd.DataFrame({p: table.loc[p] - table.drop(index=p).median() for p in table.index}).T


def _gains(tables) -> tuple[pd.Series, float]:
    """Per HW-NAS predictor: its gain in tau from 276 to 3036 samples, and the median gain."""
    first, last = GAIN_SIZES
    part = _need(tables["hwnas"], sizes=lambda s: first <= s <= last)
    if first not in part.columns or last not in part.columns:
        raise LookupError("not run")
    gain = part[last] - part[first]
    return gain, float(gain.median())


def _gain_text(gain: pd.Series, names, median: float) -> str:
    first, last = GAIN_SIZES
    return (f"gain from {first} to {last} samples: " + ", ".join(f"{p} {gain[p]:+.3f}" for p in names)
            + f"; median predictor {median:+.3f}")


def _gain_check(names: list[str], less: bool) -> Callable[[dict, pd.Series], tuple[str, bool]]:
    """A check that ``names`` gain less (``less``) or more than the median predictor from 276 to
    3036 HW-NAS samples."""
    def check(tables, lut):
        gain, median = _gains(tables)
        if not set(names) <= set(gain.index):
            raise LookupError("not run")
        holds = gain[names] < median if less else gain[names] > median
        return _gain_text(gain, names, median), bool(holds.all())
    return check


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def _ridge_few(tables, lut):
    parts = {b: _need(t, sizes=lambda s: s <= 50) for b, t in tables.items()}
    if any("ridge" not in part.index for part in parts.values()):
        raise LookupError("not run")
    places, most = [], []
    for b, part in parts.items():
        for s in part.columns:
            col = part[s].dropna()
            rank = int((col > col["ridge"]).sum()) + 1
            places.append(f"{BENCHMARK_TITLES[b].split('-')[0]} {s}: {_ordinal(rank)} of {len(col)}")
            most.append(int((col.drop("ridge") < col["ridge"]).sum()) > (len(col) - 1) / 2)
    return (f"Ridge beats most others at {sum(most)} of {len(most)} sizes up to 50 (" + ", ".join(places) + ")",
            bool(all(most)))


def _with_named(table: pd.DataFrame, names, sizes) -> pd.DataFrame:
    """The part of ``table`` a claim about ``names`` against the other predictors reads: every
    complete predictor, and ``names`` with the sizes they have (see :func:`_need`)."""
    others, named = _need(table, sizes=sizes), _need(table, names, sizes)
    return pd.concat([others.drop(index=names, errors="ignore"), named])


def _graph_small(tables, lut):
    """Ahead of the median predictor at every size below 50, and by no more than
    :data:`NO_ADVANTAGE` in the mean over the sizes right after (55 to 276)."""
    names = ["bonas", "gcn"]
    adv = _advantage(_with_named(tables["hwnas"], names, lambda s: s <= GAIN_SIZES[1])).loc[names]
    small = adv[[s for s in adv.columns if s <= 50]]
    after = adv[[s for s in adv.columns if 50 < s <= 276]]
    if after.isna().all(axis=1).any():
        raise LookupError("not run")
    late = {}                                      # each one's advantage at its largest size so far
    for p, row in adv.iterrows():
        row = row.dropna()
        late[p] = (row.index[-1], row.iloc[-1])
    holds = (small > 0).all().all() and (after.mean(axis=1) <= NO_ADVANTAGE).all()
    return ("ahead of the median predictor by " + ", ".join(
        f"{p} {small.loc[p].mean():+.3f} up to 50 samples, {after.loc[p].mean():+.3f} from "
        f"{after.columns[0]} to {after.columns[-1]}, {v:+.3f} at {n}" for p, (n, v) in late.items()),
        bool(holds))


def _nao_decent(tables, lut):
    adv = _advantage(_with_named(tables["hwnas"], ["nao"], lambda s: s <= GAIN_SIZES[1])).loc["nao"].dropna()
    worst = adv.idxmin()
    return (f"at or above the median predictor at {(adv >= 0).sum()} of {len(adv)} sizes "
            f"(least: {adv[worst]:+.3f} at {worst})"), bool((adv >= 0).all())


def _graph_beat_lut_at_ten(tables, lut):
    part = _need(tables["hwnas"], ["gcn", "nao"], lambda s: s <= 25)
    cross = _crossings(part, lut["hwnas"])

    def at(n: float) -> str:
        return f"{n:.0f} samples" if np.isfinite(n) else "not by 25 samples"
    return ", ".join(f"{p} from {at(n)}" for p, n in cross.items()), bool((cross <= 11).all())


def _beat_lut_early(tables, lut):
    cross = _crossings(_need(tables["hwnas"], sizes=lambda s: s <= 55), lut["hwnas"])
    early = int((cross < 25).sum())
    return (f"{early} of {len(cross)} beat it before 25 samples ({int((cross <= 11).sum())} by 11)",
            bool(early > len(cross) / 2))


def _beat_lut_by_60(tables, lut):
    cross = _crossings(_need(tables["hwnas"], sizes=lambda s: s <= 124), lut["hwnas"])
    text = (f"the last needs {cross.max():.0f} ({cross.idxmax()})" if cross.notna().all() else
            f"{cross.isna().sum()} never beat it within the sizes run")
    return text, bool(cross.notna().all() and cross.max() <= 60)


def _transnas_lut(tables, lut):
    cross = _crossings(_need(tables["transnas"], sizes=lambda s: s <= 234), lut["transnas"])
    median = float(cross.fillna(np.inf).median())
    within = int(cross.between(50, 100).sum())
    return (f"median {median:.0f} samples; {within} of {len(cross)} between 50 and 100"
            if np.isfinite(median) else f"{int(cross.isna().sum())} of {len(cross)} do not within 234 samples; "
            f"{within} between 50 and 100",
            bool(within > len(cross) / 2))


def _with_mlps(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` if it holds an MLP (a claim about the MLPs needs one), else :class:`LookupError`."""
    if not any(p.startswith("mlp") for p in table.index):
        raise LookupError("not run")
    return table


def _mlps_top(tables, lut):
    part = _with_mlps(_need(tables["hwnas"], sizes=lambda s: s <= GAIN_SIZES[1]))
    top = int(np.ceil(len(part) / 4))
    ranks = part.rank(ascending=False, method="min")
    best = ranks.loc[[p for p in part.index if p.startswith("mlp")]].min()
    off = [f"{s}: {_ordinal(int(r))}" for s, r in best.items() if r > top]
    return (f"an MLP is in the top {top} of {len(part)} at {int((best <= top).sum())} of {len(best)} sizes up to "
            f"{best.index[-1]}" + (f" (else {', '.join(off)})" if off else "")), bool((best <= top).mean() >= 0.8)


def _mlp_best_transnas(tables, lut):
    table = _with_mlps(_need(tables["transnas"], sizes=lambda s: s >= 18))
    sizes = list(table.columns)
    best = {s: table[s].idxmax() for s in sizes}
    hits = [s for s, p in best.items() if p.startswith("mlp")]
    text = (f"an MLP is best at {len(hits)} of {len(sizes)} sizes from 18 on"
            + ("" if len(hits) == len(sizes) else " (else " + ", ".join(f"{s}: {p}" for s, p in best.items()
                                                                      if s not in hits) + ")"))
    return text + _left_out_note(tables["transnas"], table), bool(len(hits) == len(sizes))


def _left_out_note(table: pd.DataFrame, part: pd.DataFrame) -> str:
    """Where the predictors the paper left out of ``table``'s benchmark would top ``part``: a note."""
    other = _left_out(table).reindex(columns=part.columns)
    ahead = [s for s in part.columns if other[s].max() > part[s].max()]
    if not ahead:
        return ""
    names = sorted({other[s].idxmax() for s in ahead})
    return (f"; of the graph and path predictors, which the paper did not run here, {', '.join(names)} "
            f"would be best at {len(ahead)} of {len(part.columns)} sizes")


def _mlp_08(tables, lut):
    table = _need(tables["transnas"], ["mlp_small", "svr"])
    mlp, svr = size_reaching(table.loc["mlp_small"], 0.8), size_reaching(table.loc["svr"], 0.8)
    ratio = svr / mlp

    def at(n: float) -> str:
        return f"{n:.0f} samples" if np.isfinite(n) else "never within the sizes run"
    return (f"small MLP: {at(mlp)}, SVM: {at(svr)}" + (f" ({ratio:.1f}x)" if np.isfinite(ratio) else ""),
            bool(100 <= mlp <= 400 and 2.5 <= ratio <= 6))


def _only_mlp_09(tables, lut):
    table = _with_mlps(_need(tables["transnas"], sizes=lambda s: s >= 1585))
    over = sorted(table.index[table.max(axis=1) > 0.9])
    runner = table.drop(index=[p for p in table.index if p.startswith("mlp")]).max(axis=1)
    best = table.max(axis=1)
    mlps = best[[p for p in best.index if p.startswith("mlp")]]
    text = (f"above 0.9: {', '.join(over) or 'none'}; best MLP {mlps.idxmax()} at {mlps.max():.3f}, "
            f"best other {runner.idxmax()} at {runner.max():.3f}")
    other = _left_out(tables["transnas"]).reindex(columns=table.columns).max(axis=1).dropna()
    if len(other) and other.max() > best.max():
        text += (f"; of the graph and path predictors, which the paper did not run here, {other.idxmax()} "
                 f"reaches {other.max():.3f}")
    return text, bool(over and all(p.startswith("mlp") for p in over))


def _deep_mlp_overtakes(tables, lut):
    _need(tables["hwnas"], ["mlp_small", "mlp_large"], lambda s: s >= 1366)   # waits for both curves
    table = tables["hwnas"]
    ahead = (table.loc["mlp_large"] > table.loc["mlp_small"]).dropna()
    after = [s for s in ahead.index if ahead.loc[s:].all()]
    first = after[0] if after else None
    return (f"from {first} samples on" if first else "never for good"), bool(first and 1366 <= first <= 6748)


def _bananas_later(tables, lut):
    part = _need(tables["hwnas"], ["bananas", "mlp_large"])
    levels = [v for v in (0.6, 0.7, 0.8) if part.max(axis=1).min() >= v]
    if not levels:
        return "they do not both reach Kendall tau 0.6", False
    sizes = {v: (size_reaching(part.loc["bananas"], v), size_reaching(part.loc["mlp_large"], v)) for v in levels}
    text = ", ".join(f"{v}: BANANAS {b:.0f}, MLP (large) {m:.0f}" for v, (b, m) in sizes.items())
    return "samples to reach " + text, bool(all(b > m for b, m in sizes.values()))


def _trees_catch_up(tables, lut):
    table = tables["hwnas"]
    trees = [p for p in ("rf", "xgb", "ngb", "lgb") if p in table.index]
    _need(table, trees, lambda s: s >= 6748)
    _need(table, _at_largest(table), lambda s: s >= 6748)    # the best needs every predictor that runs there
    gap = table.max(axis=0) - table.loc[trees].max(axis=0)
    small, large = gap[[s for s in gap.index if s <= 124]].mean(), gap.iloc[-1]
    return (f"best tree {gap.index[-1]}-sample gap to the best {large:.3f} (up to 124 samples: {small:.3f})",
            bool(large < small and large <= 0.03))


def _at_largest(table: pd.DataFrame) -> list[str]:
    """The predictors a claim about the largest sizes compares: those of the comparison that run
    there by design (not capped below the table's largest size; see :func:`check_claims`)."""
    capped = table.attrs.get("capped") or {}
    return [p for p in _compared(table) if capped.get(p, np.inf) >= table.columns[-1]]


def _lgb_best(tables, lut):
    table = tables["hwnas"]
    part = _need(table, _at_largest(table), lambda s: s >= 6748)
    last = table.columns[-1]
    col = part[last].dropna()
    return (f"at {last} samples LightGBM {col['lgb']:.3f}, best {col.idxmax()} {col.max():.3f}",
            bool(col.max() - col["lgb"] <= 0.01))


def _gain_to_the_end(tables, lut):
    """Sec. 6: on each benchmark, more than half of the predictors that run at its largest size
    still gain from its second-largest size to its largest (the whole pool but the test set)."""
    words, holds = [], True
    for bench in ("hwnas", "transnas"):
        table = tables[bench]
        part = _need(table, _at_largest(table), lambda s: s >= table.columns[-2])
        a, b = part.columns[-2], part.columns[-1]
        gain = (part[b] - part[a]).dropna()
        n = int((gain > SOME_GAIN).sum())
        words.append(f"{BENCHMARK_TITLES.get(bench, bench).split('-')[0]}: {n} of {len(gain)} gain (more than "
                     f"{SOME_GAIN}) from {a} to {b}")
        holds &= n > len(gain) / 2
    return "; ".join(words), bool(holds)


def _recommended_beat_lut(tables, lut):
    """Sec. 6: Ridge and the MLPs (on both benchmarks) mostly beat the lookup table before 100 samples."""
    names = ["ridge", "mlp_small", "mlp_large"]
    cross = {bench: _crossings(_need(tables[bench], names, lambda s: s <= 124), lut[bench])
             for bench in ("hwnas", "transnas")}
    values = pd.concat(cross.values())
    early = int((values < 100).sum())
    detail = ", ".join(f"{p} {BENCHMARK_TITLES.get(b, b).split('-')[0]} "
                       + (f"{c[p]:.0f}" if np.isfinite(c[p]) else "never") for b, c in cross.items() for p in names)
    return f"{early} of {len(values)} curves before 100 samples ({detail})", bool(early > len(values) / 2)


def _bohamiann_08(tables, lut):
    row = _need(tables["hwnas"], ["bohamiann"], lambda s: s >= 3036).iloc[0].dropna()
    return f"peaks at {row.max():.3f} ({row.idxmax()} samples)", bool(abs(row.max() - 0.8) <= 0.05)


#: The paper's claims about predictors (Section 4, Figure 1, and where Sections 5 and 6 restate
#: one), in the order the paper makes them, in its words where it can be checked as it stands.
CLAIMS = [
    Claim("Sec. 4", "Gaussian Processes and BOHAMIANN saturate early (HW-NAS: they gain less from 276 to 3036 "
          "samples than the median predictor)", "saturate early", _gain_check(["gp", "bohamiann"], less=True)),
    Claim("Sec. 4", "Linear and Ridge Regression fail to make proper use of hundreds of data points (HW-NAS)",
          "fail with hundreds", _gain_check(["lr", "ridge"], less=True)),
    Claim("Sec. 4, Sec. 6", "Given only a few samples (50 and fewer), Ridge Regression performs better than most "
          "other models", "better than most", _ridge_few, "both"),
    Claim("Sec. 4", "BONAS and GCN do well with fewer than 50 samples; the advantage disappears afterward (HW-NAS: "
          f"ahead of the median predictor below 50, by at most {NO_ADVANTAGE} from 55 to 276)",
          "ahead below 50, then not", _graph_small),
    Claim("Sec. 4, Fig. 1a", "NAO performs decently at all times (HW-NAS: at or above the median predictor)",
          "decent at all sizes", _nao_decent),
    Claim("Sec. 4", "Tree ensembles catch up with the best given many samples (HW-NAS)",
          "competitive with enough data", _trees_catch_up),
    Claim("Sec. 4, Sec. 6", "Given many samples, LightGBM is a candidate for the best predictor (HW-NAS)",
          "LightGBM near best", _lgb_best),
    Claim("Sec. 4", "Support Vector Machines benefit strongly from more samples (HW-NAS)", "SVM gains strongly",
          _gain_check(["svr"], less=False)),
    Claim("Sec. 4", "The MLPs are among the top predictors at almost all sizes (HW-NAS: top quarter at 80 % of "
          "them)", "MLPs near the top", _mlps_top),
    Claim("Sec. 4", "The deep, thin MLP overtakes the small one beyond about 3000 HW-NAS samples",
          "after ~3000", _deep_mlp_overtakes, reads=("mlp_small", "mlp_large")),
    Claim("Sec. 4", "BANANAS behaves like a large MLP but needs more samples to reach the same performance (HW-NAS)",
          "like MLP (large), later", _bananas_later, reads=("bananas", "mlp_large")),
    Claim("Fig. 1b caption", "From about 20 samples on, the MLPs are the best predictors on TransNAS",
          "after ~20 samples", _mlp_best_transnas, "transnas"),
    Claim("Sec. 4", "The small MLP reaches Kendall tau 0.8 with about 200 TransNAS samples, about four times "
          "fewer than SVM", "~200 vs ~800 (4x)", _mlp_08, "transnas",
          reads=("mlp_small", "svr")),
    Claim("Sec. 4", "Only the MLPs exceed Kendall tau 0.9 on TransNAS (next best: LightGBM, about 0.05 lower)",
          "only MLPs > 0.9", _only_mlp_09, "transnas"),
    Claim("Sec. 4", "NAO and GCN beat the lookup table after just ten random samples (HW-NAS)", "after ~10",
          _graph_beat_lut_at_ten, reads=("gcn", "nao")),
    Claim("Sec. 4", "More than half of the predictors beat the lookup table with fewer than 25 samples (HW-NAS)",
          "more than half", _beat_lut_early),
    Claim("Fig. 1a caption", "No predictor needs more than about 60 samples to beat the lookup table (HW-NAS)",
          "at most 60", _beat_lut_by_60),
    Claim("Sec. 4", "On TransNAS, most predictors need 50 to 100 samples to beat the lookup table (more than half "
          "cross it between 50 and 100)",
          "50 to 100", _transnas_lut, "transnas"),
    Claim("Sec. 5", "BOHAMIANN reaches Kendall tau about 0.8 (HW-NAS)", "KT ~ 0.8", _bohamiann_08,
          reads=("bohamiann",)),
    Claim("Sec. 6", "Most predictors benefit from more training data, even until the entire search space (aside "
          "from the test set) is known (each benchmark: from its second-largest size to its largest)",
          "gain to the end", _gain_to_the_end, "both"),
    Claim("Sec. 6", "Ridge Regression and the MLPs often take less than 100 training samples to beat the lookup "
          "table (both benchmarks: most of the six curves)", "under 100 to beat LUT", _recommended_beat_lut, "both",
          reads=("ridge", "mlp_small", "mlp_large")),
]


def seed_counts(records: pd.DataFrame) -> dict[str, int]:
    """Predictor -> the fewest seeds of any of its (dataset, training size) cells in ``records``."""
    if not len(records):
        return {}
    size = "nominal_train_size" if "nominal_train_size" in records else "train_size"
    per_cell = records.groupby(["predictor", "dataset", size])["seed"].nunique()
    return {p: int(n) for p, n in per_cell.groupby(level="predictor").min().items()}


def fewer_seeds(seeds: Mapping[str, int], reads=()) -> str:
    """Which of the predictors read (``reads``; empty: all of ``seeds``) ran fewer seeds than the
    paper, as a reason: ``'fewer seeds (gcn, nao: 10 of 50)'``; ``''`` when none did."""
    names = [p for p in (reads or seeds) if seeds.get(p, PAPER_SEEDS) < PAPER_SEEDS]
    by_count: dict[int, list[str]] = {}
    for p in sorted(names):
        by_count.setdefault(seeds[p], []).append(p)
    parts = [f"{', '.join(ps)}: {n} of {PAPER_SEEDS}" for n, ps in sorted(by_count.items())]
    return f"fewer seeds ({'; '.join(parts)})" if parts else ""


def check_claims(curve: pd.DataFrame, lut_mean: pd.Series, seeds: int | Mapping[str, int] | None = None,
                 stand_in: dict[str, str] | None = None, predictors: list[str] | None = None,
                 benchmarks: tuple[str, ...] | None = None, capped: dict[str, int] | None = None
                 ) -> pd.DataFrame:
    """Each claim of :data:`CLAIMS` with our number, a verdict and, where it differs, why it may.

    Parameters
    ----------
    curve, lut_mean
        As :func:`hwlib.comparison.curves` and :func:`hwlib.comparison.lut_means`.
    seeds : int or dict, optional
        Seeds behind the curves, for all predictors or per predictor (:func:`seed_counts`): fewer
        than the paper's 50 behind a curve that a claim reads is named as a reason.
    stand_in : dict benchmark -> text, optional
        Benchmarks run on stand-in data, with what stands in (named as a reason).
    predictors : list of str, optional
        The predictors a claim about all of them reads (default: every trained predictor of the
        study); for a comparison that leaves some out, as the paper did on the macro space.
    benchmarks : tuple of str, optional
        Only the claims about these benchmarks ('hwnas', 'transnas'; a claim about both needs
        both); default: every claim.
    capped : dict, optional
        Predictor -> the largest training size it runs at by design (a profile's heavy
        predictors, :func:`hwlib.profiles.capped_sizes`): a claim about the largest sizes compares
        the others, and waits for them (provisional) while they are not yet run there.

    Returns
    -------
    DataFrame
        Columns where, claim, paper, ours, verdict ('reproduced', 'differs', 'provisional' or
        'not run'), reason (for 'differs': the stand-in data and fewer seeds it rests on, where
        so) and reads (the predictors it reads alone, comma-separated; empty: all).
        'provisional': some predictor or size the claim reads is not yet in the results; the claim
        is then checked on the predictors that are complete for it, and the reason says whether it
        holds there and what is still missing (a predictor, and the largest size it has).
    """
    tables = {b: curve_table(curve, b) for b in curve["benchmark"].unique()}
    for bench, table in tables.items():   # names the benchmark of what a provisional check lacks
        table.attrs["title"] = BENCHMARK_TITLES.get(bench, bench).split("-")[0]
        table.attrs["benchmark"] = bench
        table.attrs["predictors"] = list(predictors) if predictors is not None else None
        table.attrs["capped"] = dict(capped or {})
    rows = []
    chosen = [c for c in CLAIMS if benchmarks is None
              or (c.benchmark in benchmarks if c.benchmark != "both" else set(benchmarks) >= {"hwnas", "transnas"})]
    for claim in chosen:
        reasons = [text for bench, text in (stand_in or {}).items() if claim.benchmark in (bench, "both")]
        if isinstance(seeds, Mapping):
            reasons += [r for r in [fewer_seeds(seeds, claim.reads)] if r]
        elif seeds is not None and seeds < PAPER_SEEDS:
            reasons.append(f"{seeds} seeds, not {PAPER_SEEDS}")
        try:
            ours, holds = claim.check(tables, lut_mean)
            verdict = "reproduced" if holds else "differs"
            reason = "; ".join(reasons) if verdict == "differs" else ""
        except (LookupError, ValueError):
            missing = []
            token = _MISSING.set(missing)
            try:
                ours, holds = claim.check(tables, lut_mean)
                if not missing:               # it failed for another reason than missing cells
                    raise LookupError("not run")
                verdict = "provisional"
                reason = (f"{'holds' if holds else 'does not hold'} on the cells so far; not yet run: "
                          + ", ".join(dict.fromkeys(missing)))
            except (LookupError, ValueError):
                ours, verdict, reason = "-", "not run", ""
            finally:
                _MISSING.reset(token)
        rows.append({"where": claim.where, "claim": claim.text, "paper": claim.paper, "ours": ours,
                     "verdict": verdict, "reason": reason, "reads": ", ".join(claim.reads)})
    return pd.DataFrame(rows)


#: The claims about beating the lookup table (by their ``paper`` label in :data:`CLAIMS`).
LUT_CLAIMS = ("after ~10", "more than half", "at most 60", "50 to 100", "under 100 to beat LUT")


def lut_claims(curve: pd.DataFrame, lut_mean: pd.Series, **kwargs) -> pd.DataFrame:
    """The claims about beating the lookup table (:data:`LUT_CLAIMS`), checked against the
    lookup-table means ``lut_mean``: against the paper's means, they separate a lookup table that
    differs from predictors that do. ``kwargs`` as :func:`check_claims`."""
    claims = check_claims(curve, lut_mean, **kwargs)
    return claims[claims["paper"].isin(LUT_CLAIMS)].reset_index(drop=True)


#: The paper's bound on every predictor's query time, in seconds (Sec. 6).
QUERY_TIME_LIMIT = 0.05
#: Where the paper says so, and what it says.
QUERY_TIME_CLAIM = {"where": "Sec. 6", "claim": "The query time of every predictor is less than 0.05 s and thus "
                    "negligible (CPU seconds for one model to predict its test set: 625 or 256 architectures)",
                    "paper": "< 0.05 s"}


def check_query_time(times: pd.DataFrame, predictors: list[str] | None = None) -> dict:
    """The paper's claim about query times (:data:`QUERY_TIME_CLAIM`), checked on recorded ones.

    Parameters
    ----------
    times : DataFrame
        :func:`hwlib.comparison.query_time_table` (index benchmark, predictor; one column per
        training size), or any frame of seconds indexed by predictor (last index level).
    predictors : list of str, optional
        The predictors the claim is about (default: every trained predictor of the study).

    Returns
    -------
    dict
        :data:`QUERY_TIME_CLAIM` with ``ours`` (the predictors at or over the limit, each at its
        slowest, else the slowest of all), ``verdict`` ('differs' as soon as one recorded time is over the
        limit, whatever the others; 'provisional' while it holds on those recorded but some
        predictor records none; 'not run' without any) and ``reason`` (the predictors without a
        recorded query time).
    """
    from .study import study_predictors

    predictors = list(predictors or study_predictors())
    names = times.index.get_level_values(-1) if len(times) else pd.Index([])
    slowest = {}
    for name in predictors:
        rows = times[names == name]
        if rows.notna().to_numpy().any():
            stacked = rows.stack()
            where = stacked.idxmax()          # (benchmark, predictor, size) or (predictor, size)
            bench = BENCHMARK_TITLES.get(where[0], where[0]) if len(where) > 2 else None
            slowest[name] = (float(stacked.max()), ", ".join(filter(None, [bench, f"{where[-1]} samples"])))
    missing = [p for p in predictors if p not in slowest]
    over = {p: v for p, v in slowest.items() if v[0] >= QUERY_TIME_LIMIT}
    unrecorded = f"no query time recorded: {', '.join(missing)}" if missing else ""

    def describe(items):
        return ", ".join(f"{p} {t:.3f} s ({where})" for p, (t, where) in items)
    if not slowest:
        return {**QUERY_TIME_CLAIM, "ours": "-", "verdict": "not run", "reason": unrecorded}
    if over:
        ours = f"{QUERY_TIME_LIMIT} s or more: {describe(sorted(over.items(), key=lambda kv: -kv[1][0]))}"
        return {**QUERY_TIME_CLAIM, "ours": ours, "verdict": "differs", "reason": unrecorded}
    top = max(slowest.items(), key=lambda kv: kv[1][0])
    ours = f"slowest: {describe([top])}"
    if missing:
        return {**QUERY_TIME_CLAIM, "ours": ours, "verdict": "provisional",
                "reason": f"holds on the predictors that record one; {unrecorded}"}
    return {**QUERY_TIME_CLAIM, "ours": ours, "verdict": "reproduced", "reason": ""}
