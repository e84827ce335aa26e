"""Benchmark of the selection simulation: hwlib's vectorised path against a straightforward
reference built on pymoo (non-dominated sorting, hypervolume) and scipy (Kendall tau), run in the
same process on the same trials, with a check that both give the same numbers.

The reference follows the released experiment code: for every (trial, std) it sorts the noisy
subset with pymoo's ``NonDominatedSorting``, sorts the selection again for the verified set,
measures ``pymoo.indicators.hv.HV`` and ``scipy.stats.kendalltau``, and finds each selected point's
dominating true-front point by scanning the front. It draws its inputs with
:func:`hwlib.simulation.draw_trial`, so both paths see identical subsets and deviations.

Usage::

    python bench/bench_simulation.py                 # slice of the grid, extrapolated (labelled)
    python bench/bench_simulation.py --grid          # also time the whole grid (no cache)
    python bench/bench_simulation.py --json out.json

Needs pymoo (the ``bench`` extra: ``pip install -e .[bench]``) and the benchmark data.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time

import numpy as np
from scipy import stats

from hwlib.paths import atomic_write_json
from hwlib import simulation as sim
from hwlib.data import hard_datasets


def reference_trial(problem: sim.SelectionProblem, n: int, stds, seed: int, trial: int,
                    kendall: bool = True) -> dict:
    """One trial, every std, computed point set by point set with pymoo and scipy."""
    from pymoo.indicators.hv import HV
    from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

    nds = NonDominatedSorting()
    pos, eps = sim.draw_trial(problem, n, stds, seed, trial)
    F, acc = np.column_stack([problem.f0[pos], problem.hw[pos]]), problem.acc[pos]
    hv = HV(ref_point=np.array([0.0, 1.1 * F[:, 1].max()]))
    true = nds.do(F, only_non_dominated_front=True)
    true = true[np.argsort(F[true, 0], kind="stable")]          # most accurate first
    out = {k: [] for k in sim.METRICS}
    for k in range(len(stds)):
        noisy = F.copy()
        noisy[:, 1] += eps[k]
        sel = nds.do(noisy, only_non_dominated_front=True)
        ver = sel[nds.do(F[sel], only_non_dominated_front=True)]
        gaps = {i: _gap(F, acc, true, i) for i in sel}
        tau = stats.kendalltau(F[:, 1], noisy[:, 1]).statistic if kendall and eps[k].any() else 1.0
        row = {"kendalltau": tau if kendall else np.nan,
               "mra_all": np.mean([gaps[i] for i in sel]), "mra_pareto": np.mean([gaps[i] for i in ver]),
               "hv_true": hv.do(F[true]), "hv_selected": hv.do(F[sel]), "hv_verified": hv.do(F[ver]),
               "hv_predicted": hv.do(noisy[sel]), "n_true": len(true), "n_selected": len(sel),
               "n_verified": len(ver)}
        for key, value in row.items():
            out[key].append(value)
    return out


def _gap(F: np.ndarray, acc: np.ndarray, true: np.ndarray, i: int) -> float:
    """Accuracy gap of point ``i`` to the first (most accurate) true-front point weakly dominating it."""
    for j in true:
        if np.all(F[j] <= F[i]):
            return acc[j] - acc[i]
    raise AssertionError("no true-front point dominates a point of the subset")


def reference_trials(problem, n, stds, trials, seed, kendall: bool = True) -> dict[str, np.ndarray]:
    rows = [reference_trial(problem, n, stds, seed, t, kendall) for t in range(trials)]
    return {k: np.array([r[k] for r in rows], dtype=np.float64) for k in sim.METRICS}


def _timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def _compare(fast: dict, ref: dict) -> float:
    """Largest absolute difference over every metric; raises when they disagree."""
    worst = 0.0
    for key in sim.METRICS:
        a, b = fast[key], ref[key]
        if not np.allclose(a, b, rtol=1e-9, atol=1e-9, equal_nan=True):
            raise AssertionError(f"{key}: fast and reference differ (max |diff| "
                                 f"{np.nanmax(np.abs(a - b)):.3g})")
        worst = max(worst, float(np.nanmax(np.abs(a - b))))
    return worst


def bench_slice(datasets, sizes, stds, ref_trials: int, fast_trials: int, seed: int,
                repeats: int = 3) -> list[dict]:
    """Per (dataset, n): times per trial of the reference and of hwlib, and their agreement.

    Each timing is the fastest of ``repeats``, the two paths taking turns, so that a burst of
    load on a shared machine slows neither one alone.
    """
    rows = []
    warm = sim.selection_problem(datasets[0], "architecture")   # imports, caches, compiled kernels:
    for n in (100, warm.n_archs):                                # neither path pays them in a timing
        reference_trials(warm, n, stds, 1, seed)
        sim.simulate_trials(warm, n, stds, 1, seed)
    for name in datasets:
        problem = sim.selection_problem(name, "architecture")
        for n in sizes:
            n = min(n, problem.n_archs)
            ref = reference_trials(problem, n, stds, ref_trials, seed)
            diff = _compare(sim.simulate_trials(problem, n, stds, ref_trials, seed), ref)
            best = {}
            for _ in range(repeats):
                for key, fn, trials, kendall in (("ref", reference_trials, ref_trials, True),
                                                 ("fast", sim.simulate_trials, fast_trials, True),
                                                 ("ref_nk", reference_trials, ref_trials, False),
                                                 ("fast_nk", sim.simulate_trials, fast_trials, False)):
                    _, t = _timed(fn, problem, n, stds, trials, seed, kendall=kendall)
                    best[key] = min(best.get(key, np.inf), t / trials)
            rows.append({"dataset": name, "n": n, "ref_s_per_trial": best["ref"],
                         "fast_s_per_trial": best["fast"], "max_abs_diff": diff,
                         "ref_no_kendall_s_per_trial": best["ref_nk"],
                         "fast_no_kendall_s_per_trial": best["fast_nk"]})
            r = rows[-1]
            print(f"{name:40s} n={n:5d}  reference {1e3 * r['ref_s_per_trial']:7.1f} ms/trial  "
                  f"hwlib {1e3 * r['fast_s_per_trial']:6.2f} ms/trial  "
                  f"ratio {r['ref_s_per_trial'] / r['fast_s_per_trial']:5.1f}x  "
                  f"(without Kendall tau {r['ref_no_kendall_s_per_trial'] / r['fast_no_kendall_s_per_trial']:5.1f}x)"
                  f"  max|diff| {diff:.1e}", flush=True)
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="*", default=None, help="default: the five hard HW-NAS datasets")
    parser.add_argument("--ref-trials", type=int, default=3, help="reference trials per (dataset, n)")
    parser.add_argument("--fast-trials", type=int, default=50, help="hwlib trials per (dataset, n)")
    parser.add_argument("--full-trials", type=int, default=1000, help="trials of the grid being extrapolated")
    parser.add_argument("--repeats", type=int, default=3, help="each timing is the fastest of this many")
    parser.add_argument("--grid", action="store_true", help="also time the whole grid (no cache)")
    parser.add_argument("--n-jobs", type=int, default=1, help="worker processes for --grid")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", default=None, help="write the results to this file")
    args = parser.parse_args(argv)

    datasets = args.datasets or hard_datasets("hwnas")
    print(f"python {platform.python_version()}, numpy {np.__version__}, "
          f"{platform.processor() or platform.machine()}; datasets: {', '.join(datasets)}")
    rows = bench_slice(datasets, sim.SIZES, sim.STDS, args.ref_trials, args.fast_trials, args.seed,
                       args.repeats)
    ref_total = sum(r["ref_s_per_trial"] for r in rows) * args.full_trials
    fast_total = sum(r["fast_s_per_trial"] for r in rows) * args.full_trials
    ref_nk = sum(r["ref_no_kendall_s_per_trial"] for r in rows) * args.full_trials
    fast_nk = sum(r["fast_no_kendall_s_per_trial"] for r in rows) * args.full_trials
    summary = {"repeats": args.repeats, "grid": f"{len(datasets)} datasets x {len(sim.SIZES)} sizes x {len(sim.STDS)} stds x "
                       f"{args.full_trials} trials",
               "reference_extrapolated_s": ref_total, "hwlib_extrapolated_s": fast_total,
               "speedup_extrapolated": ref_total / fast_total,
               "reference_no_kendall_extrapolated_s": ref_nk, "hwlib_no_kendall_extrapolated_s": fast_nk,
               "speedup_no_kendall_extrapolated": ref_nk / fast_nk,
               "kendall_share_of_hwlib": 1 - fast_nk / fast_total, "rows": rows}
    print(f"\nEXTRAPOLATED from {args.ref_trials} reference / {args.fast_trials} hwlib trials per cell "
          f"(fastest of {args.repeats}) "
          f"to the grid ({summary['grid']}):\n  reference {ref_total:8.0f} s   hwlib {fast_total:6.0f} s"
          f"   speed-up {summary['speedup_extrapolated']:.1f}x  (one process each)\n"
          f"  without Kendall tau: reference {ref_nk:8.0f} s   hwlib {fast_nk:6.0f} s   speed-up "
          f"{ref_nk / fast_nk:.1f}x; Kendall tau is {summary['kendall_share_of_hwlib']:.0%} of hwlib's time")
    if args.grid:
        _, t_grid = _timed(sim.run_grid, datasets, sim.SIZES, sim.STDS, args.full_trials, "architecture",
                           args.seed, progress=False, cache=False, n_jobs=args.n_jobs)
        summary.update(grid_measured_s=t_grid, grid_n_jobs=args.n_jobs,
                       speedup_vs_measured_grid=ref_total / t_grid)
        print(f"MEASURED whole grid with hwlib (n_jobs={args.n_jobs}): {t_grid:.0f} s "
              f"({ref_total / t_grid:.1f}x faster than the extrapolated reference)")
    if args.json:
        atomic_write_json(args.json, summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
