"""The ``hwlib`` command line: data, datasets, predictor evaluation, lookup tables, simulation, transfer.

Every subcommand explains itself with ``--help``. Errors a user can cause (an unknown dataset,
a missing or corrupted file, a bad parameter) end with one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any, Sequence

from .errors import HwlibError, InputError

__all__ = ["main", "parse_seeds"]


def parse_seeds(text: str) -> list[int]:
    """``'0-4'`` -> [0, 1, 2, 3, 4]; ``'0,3,7'`` -> [0, 3, 7]; ``'5'`` -> [5]."""
    seeds: list[int] = []
    try:
        for part in text.split(","):
            lo, sep, hi = part.strip().partition("-")
            seeds.extend(range(int(lo), int(hi) + 1) if sep else [int(lo)])
    except ValueError:
        raise InputError(f"--seeds: cannot read {text!r}; use e.g. 0-4 or 0,3,7") from None
    if not seeds or min(seeds) < 0:
        raise InputError(f"--seeds: {text!r} gives no non-negative seeds")
    return seeds


def _print(result: Any, as_json: bool) -> None:
    if as_json:
        print(json.dumps(result, indent=1, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o)))
        return
    for key, value in result.items():
        if key != "runs":
            print(f"{key:>18}: {value:.4g}" if isinstance(value, float) else f"{key:>18}: {value}")


def _cmd_fetch(args: argparse.Namespace) -> None:
    from .files import fetch
    from .paths import data_dir

    results = fetch(mirror=args.mirror, download=not args.no_download, include_optional=args.official)
    counts: dict[str, int] = {}
    for r in results:
        counts[r.action] = counts.get(r.action, 0) + 1
    summary = ", ".join(f"{n} {action}" for action, n in sorted(counts.items()))
    print(f"data directory {data_dir()}: {summary}")


def _cmd_datasets(args: argparse.Namespace) -> None:
    from .data import dataset_table

    table = dataset_table(available=True)
    if args.json:
        print(json.dumps(table.to_dict(orient="records"), indent=1))
    elif table.empty:
        print("no datasets at hand: run `hwlib data fetch`")
    else:
        print(table.to_string(index=False))


def _cmd_predictors(args: argparse.Namespace) -> None:
    from .predictors import REGISTRY

    rows = [{"name": s.name, "label": s.label, "encoding": s.encoding, "spaces": list(s.spaces),
             "tuned": s.tuned} for s in REGISTRY.values()]
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    for r in rows:
        print(f"{r['name']:<10} {r['label']:<27} {r['encoding']:<7} {'tuned' if r['tuned'] else '':<6}"
              f" {', '.join(r['spaces'])}")


def _cmd_arch(args: argparse.Namespace) -> None:
    from .data import arch_record

    _print(arch_record(args.arch), args.json)


def _dataset(text: str) -> str:
    """A dataset name, or a CSV file of one's own measurements (``PATH.csv``, ``PATH.csv:COLUMN``),
    registered under its file name (:func:`hwlib.data.register_measurements`); a suffix
    ``@IMAGE`` (the simulation's accuracy pairing) is kept."""
    text, at, image = text.partition("@") if ".csv@" in text else (text, "", "")
    path, column = text, None
    head, sep, tail = text.rpartition(":")
    if sep and head.endswith(".csv"):
        path, column = head, tail
    if not path.endswith(".csv"):
        return text + at + image
    from .data import register_measurements

    return register_measurements(path, column=column) + at + image


_DATASET_HELP = ("dataset name (see `hwlib datasets`), or a CSV file of your own measurements: an `arch` column "
                 "of architecture names and the values (`hwlib measure` writes one; PATH.csv:COLUMN picks the "
                 "column)")


def _cmd_evaluate(args: argparse.Namespace) -> None:
    from .experiments import evaluate

    result = evaluate(_dataset(args.dataset), args.predictor, args.train_size, parse_seeds(args.seeds),
                      hpo_budget=args.hpo_budget)
    _print(result, args.json)


def _cmd_lut(args: argparse.Namespace) -> None:
    from .lookup import evaluate_lut

    _print(evaluate_lut(_dataset(args.dataset)), args.json)


def _cmd_expect(args: argparse.Namespace) -> None:
    from .expectations import expect

    found = expect(args.samples, args.space, _names(args.datasets), select_from=args.select_from,
                   trials=args.trials)
    if args.json:
        print(json.dumps(found.to_dict(), indent=1))
        return
    print(f"{found.space}, {found.samples} training architectures; the study's records on "
          f"{', '.join(found.datasets)}")
    print(f"lookup table (one measurement per operation): Kendall tau {found.lut:.3f}")
    close = found.close_to_best()
    if close.empty:
        print(f"no predictor has records on both sides of {found.samples} samples yet")
    else:
        table = found.table.copy()
        table["beats_lut"] = table["beats_lut"].map({True: "yes", False: "no"})
        print(table.to_string(index=False, float_format=lambda v: f"{v:.3g}", na_rep="-"))
        print("(fit_seconds, query_seconds: CPU seconds to train one model and to predict its test set; "
              "- where the records hold no query time)")
        line = f"best: {close['predictor'].iloc[0]}"
        if len(close) > 1:
            line += (f"; within two standard errors of it: {', '.join(close['predictor'][1:])}; the fastest to "
                     f"fit of these: {close.sort_values('fit_seconds')['predictor'].iloc[0]}")
        print(line)
    for predictor, why in found.missing.items():
        print(f"{predictor}: {why}")


def _cmd_compare(args: argparse.Namespace) -> None:
    import numpy as np
    import pandas as pd

    from .expectations import compare

    if args.jobs < 1:
        raise InputError(f"--jobs must be at least 1, not {args.jobs}")
    sizes = None if args.sizes is None else [_int(t, "--sizes") for t in _names(args.sizes)]
    found = compare(_dataset(args.dataset), sizes, _names(args.predictors), parse_seeds(args.seeds),
                    transfer=args.transfer, select_from=args.select_from, trials=args.trials, progress=not args.json,
                    n_jobs=args.jobs)
    if args.json:
        print(json.dumps(found.to_dict(), indent=1))
        return
    table = found.table
    cells = (table["kendalltau"].map(lambda v: "undef." if np.isnan(v) else f"{v:.3f}")   # one value for all
             + table["close_to_best"].map({True: "*", False: " "}))
    grid = cells.set_axis(pd.MultiIndex.from_arrays([table["label"], table["train_size"]])).unstack("train_size")
    print(f"{found.dataset}: mean Kendall tau over seeds on the test set, by training size (* within two standard "
          "errors of the best)")
    print(grid.reindex(list(dict.fromkeys(table["label"]))).rename_axis("predictor").to_string())
    print("lookup table: " + (f"Kendall tau {found.lut:.3f} ({found.lut_note})" if found.lut is not None
                              else f"none ({found.lut_note})"))
    for size in sorted(table["train_size"].unique()):
        close = found.best(size)
        if close.empty:
            print(f"{size} samples: no Kendall tau defined (each predicts one value for every architecture)")
            continue
        line = f"{size} samples: best {close['label'].iloc[0]} ({close['kendalltau'].iloc[0]:.3f}"
        if "mra_all" in close:
            line += (f"; selecting among {args.select_from}: MRA {close['mra_all'].iloc[0]:.2f} pp, "
                     f"{close['mra_pareto'].iloc[0]:.2f} after measuring the selection"
                     if np.isfinite(close["mra_all"].iloc[0]) else "; below the simulated range of Kendall tau")
        line += ")"
        if len(close) > 1:
            fastest = close.sort_values("fit_seconds").iloc[0]
            line += (f"; within two standard errors: {', '.join(close['label'][1:])}; the fastest to fit of "
                     f"these: {fastest['label']} ({fastest['fit_seconds']:.3g} s)")
        print(line)


def _int(text: str, option: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise InputError(f"{option}: cannot read {text!r} as a whole number") from None


def _out_file(path: str, option: str = "--out") -> str:
    """``path`` if a file can be written there; else an :class:`InputError` before any work."""
    target = Path(path)
    folder = target.parent
    if target.is_dir():
        raise InputError(f"{option}: {path} is a folder, not a file")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{option}: cannot create the folder {folder} ({exc.strerror})") from None
    if not os.access(folder, os.W_OK):
        raise InputError(f"{option}: the folder {folder} is not writable")
    return path


def _cmd_predict(args: argparse.Namespace) -> None:
    from .deployment import predict_space
    from .paths import atomic_write

    _out_file(args.out)
    name = _dataset(args.dataset)
    frame = predict_space(name, args.predictor, seed=args.seed, sources=args.sources)
    atomic_write(args.out, frame.to_csv(index=False, float_format="%.6g"))
    measured = int(frame["measured"].notna().sum())
    print(f"{args.out}: {args.predictor}'s prediction of all {len(frame)} architectures, fitted on the "
          f"{measured} measured in {name}")


def _cmd_simulate(args: argparse.Namespace) -> None:
    from .simulation import simulate_means

    _print(simulate_means(_dataset(args.dataset), n=args.n, std=args.std, trials=args.trials,
                          pairing=args.pairing, seed=args.seed, reference=args.reference), args.json)


def _cmd_transfer(args: argparse.Namespace) -> None:
    from .transfer import evaluate_transfer, pick_cells, prepare_sources, resolve_sources

    if args.target is None and args.pick is None:
        raise InputError("give --target (a dataset or your CSV), or --pick N for the cells to measure first")
    for flag, value in (("--pick", args.pick), ("--train-size", args.train_size)):
        if value is not None and value < 1:   # before the sources are loaded (minutes on first use)
            raise InputError(f"{flag} must be at least 1 (cells of the target device), got {value}")
    target = None if args.pick is not None else _dataset(args.target)
    prepare_sources(resolve_sources(target, args.sources), progress=not args.json)   # first use: minutes
    if args.pick is not None:
        cells = pick_cells(args.sources, args.pick, seed=parse_seeds(args.seeds)[0])
        print(json.dumps({"sources": args.sources, "cells": cells}, indent=1) if args.json else "\n".join(cells))
        return
    result = evaluate_transfer(target, args.sources, args.method, args.train_size, parse_seeds(args.seeds),
                               protocol=args.protocol, sampler=args.sampler)
    _print(result, args.json)


def _names(text: str | None) -> list[str] | None:
    """``'a,b'`` -> ['a', 'b']; None -> None."""
    return None if text is None else [t.strip() for t in text.split(",") if t.strip()]


def _cmd_study_plan(args: argparse.Namespace) -> None:
    from .study import plan
    from .tuning import progress

    result = plan(args.profile, predictors=_names(args.predictors), datasets=_names(args.datasets))
    result["tuning"] = progress(args.profile)
    missing = result.pop("missing")
    if args.missing:
        result["missing"] = missing
    if args.json:
        print(json.dumps(result, indent=1))
        return
    print(f"{result['profile']} profile ({result['results']}): {result['cells_done']}/{result['cells_total']} "
          f"cells done, {result['cpu_hours_done']:.2f} CPU-hours spent, about {result['cpu_hours_left']:.1f} left")
    print(f"{'predictor':<10} {'done':>7} {'total':>7} {'cpu-h done':>11} {'cpu-h left':>11}")
    for r in result["by_predictor"]:
        print(f"{r['predictor']:<10} {r['cells_done']:>7} {r['cells_total']:>7} {r['cpu_hours_done']:>11.2f}"
              f" {r['cpu_hours_left']:>11.2f}")
    t = result["tuning"]
    print(f"tuning (hwlib study tune): {t['cells_done']}/{t['cells_total']} cells done, "
          f"{t['cpu_hours_done']:.2f} CPU-hours spent")
    if args.missing:
        print(f"groups lacking cells ({len(missing)}), in the order `hwlib study run` takes them:")
        if missing:
            print(f"{'dataset':<38} {'predictor':<10} {'size':>6} {'missing':>8} {'cpu-h left':>11}")
        for m in missing:
            print(f"{m['dataset']:<38} {m['predictor']:<10} {m['train_size']:>6} {m['cells_missing']:>8}"
                  f" {m['cpu_hours_left']:>11.2f}" + ("  (running)" if m["running"] else ""))


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _lowest_priority() -> None:
    """Yield the CPU to any other work: nice 19 for this process and the workers it starts.

    Where Linux groups processes by session ("autogroups", which share the CPU fairly whatever
    their nice values), a session of its own (``setsid``) gets nice 19 for its group as well;
    the group of a shared session (a terminal's) is left as it is.
    """
    import os

    os.nice(19 - os.nice(0))
    if os.getsid(0) != os.getpid():
        return
    try:
        with open("/proc/self/autogroup", "w") as handle:
            handle.write("19")
    except OSError:   # not Linux, or no autogroups
        pass


def _cmd_study_run(args: argparse.Namespace) -> int:
    import signal

    from .study import parse_duration, run

    # a runner in the background stops as cleanly on `kill` (SIGTERM) as on Ctrl-C; a shell starts
    # background jobs with SIGINT ignored, so it is set back to raising KeyboardInterrupt
    handlers = signal.signal(signal.SIGTERM, _interrupt), signal.signal(signal.SIGINT, signal.default_int_handler)
    if args.background:
        _lowest_priority()
    try:
        result = run(args.profile, predictors=_names(args.predictors), datasets=_names(args.datasets),
                     budget=parse_duration(args.budget), jobs=args.jobs, scheduler=args.scheduler)
    finally:
        signal.signal(signal.SIGTERM, handlers[0])
        signal.signal(signal.SIGINT, handlers[1])
    elsewhere = (f"; {result['claimed_elsewhere']} part(s) left to the other runner(s) computing them"
                 if result["claimed_elsewhere"] else "")
    print(f"study: {result['cells_done']} cells in {result['groups_done']} part(s), {result['seconds']:.0f} s; "
          f"stopped: {result['stopped']}{elsewhere}")
    return 130 if result["stopped"] == "interrupted" else 0


def _cmd_study_tune(args: argparse.Namespace) -> None:
    from .study import parse_duration
    from .tuning import effect, results, run

    if args.background:
        _lowest_priority()
    run(args.profile, budget=parse_duration(args.budget), progress=not args.json)
    tuned, defaults = results(args.profile)
    table = effect(tuned, defaults)
    if args.json:
        print(table.to_json(orient="records", indent=1))
        return
    print(f"tuned vs default Kendall tau ({args.profile} profile; paired cell by cell, mean over each group's "
          "datasets)")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))


def _cmd_retest(args: argparse.Namespace) -> None:
    from .measure import RETEST_COLUMNS, retest_report

    report = retest_report(args.first, args.second)
    if args.json:
        _print(report, True)
        return
    print(f"{report['n']} architectures in both passes")
    for column in RETEST_COLUMNS:
        if column in report:
            r = report[column]
            print(f"{column:14s} Kendall tau {r['kendalltau']:.3f}  Spearman {r['spearman']:.3f}  "
                  f"median |diff| {100 * r['median_abs_rel_diff']:.1f} %  neighbours' errors correlate "
                  f"{r['drift_lag1']:.2f}")


def _cmd_study_verify(args: argparse.Namespace) -> int:
    from . import study, transfer, tuning

    if args.tuning and args.transfer:
        raise InputError("--tuning and --transfer: verify one kind of record at a time")
    if (args.tuning or args.transfer) and args.predictors:
        raise InputError("--predictors applies to the study's grid only (not --tuning or --transfer)")
    if args.tuning:
        result = tuning.verify(args.sample, args.seed, max_fit_time=args.max_fit_time, progress=not args.json)
    elif args.transfer:
        result = transfer.verify(args.sample, args.seed, progress=not args.json)
    else:
        result = study.verify(args.sample, args.seed, max_fit_time=args.max_fit_time,
                              predictors=_names(args.predictors), progress=not args.json)
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        other = result["other_kernels"]
        print(f"verified {result['checked']} cells: {len(result['differ'])} differ")
        if other["cells"]:
            print(f"  {other['cells']} made on other or unrecorded kernels (another CPU's BLAS or torch kernels, "
                  f"or its vendor), compared in the mean: {other['exact']} bit for bit anyway; Kendall tau here "
                  f"minus recorded {other['mean']:+.4f} (s.e. {other['se']:.4f})")
        for d in result["differ"]:
            print(f"  differs: {d['predictor']} on {d['dataset']}, n={d['train_size']}, seed {d['seed']}: "
                  f"{d.get('reason') or d['metrics']}")
    return 1 if result["differ"] else 0


def _cmd_measure(args: argparse.Namespace) -> None:
    from .measure import Settings, measure, select_archs

    _out_file(args.out)
    if args.counts:
        from .networks import counts_table
        from .paths import atomic_write

        table = counts_table(args.space, args.input_size, image=args.image, structure=args.structure)
        atomic_write(args.out, table.to_csv(index=False))
        _print({"file": args.out, "architectures": len(table), "max_macs": int(table["macs"].max()),
                "max_params": int(table["params"].max())}, args.json)
        return
    settings = Settings.make(args.space, args.input_size, args.batch, args.threads, args.warmup, args.repeats,
                             image=args.image, structure=args.structure, device=args.device, clock=args.clock,
                             interleave=args.interleave, reference=args.reference)
    if args.merge_from:
        from .measure import merge_measurements

        _print({"file": args.out, "added": merge_measurements(args.merge_from, args.out)}, args.json)
        return
    cpus = [_int(c, "--cpus") for c in args.cpus.split(",")] if args.cpus else None
    archs = select_archs(args.space, args.archs, args.seed)
    frame = measure(settings, archs[::-1] if args.reverse else archs, args.out, cpus=cpus,
                    progress=not args.json, skip=args.skip_from or ())
    result = {"file": args.out, "measured": len(frame), "median_ms": float(frame["median_ms"].median()),
              **{k: v for k, v in vars(settings).items()}}
    _print(result, args.json)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hwlib", description="Hardware-metric predictors for NAS (Laube et al., AutoML-Conf 2022): "
        "benchmark data, 18 predictors, lookup tables and the predictor-guided selection simulation.",
        epilog="Data directory: $HWLIB_DATA_DIR (default ./data); mirror: $HWLIB_DATA_MIRROR.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (_add_data_commands, _add_prediction_commands, _add_selection_commands, _add_study_commands,
                _add_device_commands):
        add(sub)
    return parser


def _add_data_commands(sub) -> None:
    """``data``, ``datasets``, ``predictors``, ``arch``: the benchmark files and what they hold."""
    data = sub.add_parser("data", help="get the benchmark files").add_subparsers(dest="action", required=True)
    p = data.add_parser("fetch", help="make the data directory complete: keep files whose sha256 matches, "
                        "else copy from the mirror ($HWLIB_DATA_MIRROR), else download; verify; write atomically")
    p.add_argument("--mirror", help="local mirror directory (overrides $HWLIB_DATA_MIRROR)")
    p.add_argument("--no-download", action="store_true", help="never try the upstream addresses")
    p.add_argument("--official", action="store_true",
                   help="also get the large official files (HW-NAS-Bench pickle, TransNAS-Bench-101 .pth)")
    p.set_defaults(func=_cmd_fetch)

    p = sub.add_parser("datasets", help="list every dataset at hand (name, search space, architectures, unit, source)")
    p.add_argument("--json", action="store_true", help="print a JSON list of objects")
    p.set_defaults(func=_cmd_datasets)

    p = sub.add_parser("predictors", help="list the 18 registered predictors")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_cmd_predictors)

    p = sub.add_parser("arch", help="look up one NB201 cell: index, ops and its value in every dataset at hand")
    p.add_argument("arch", help="an NB201 arch string ('|nor_conv_3x3~0|+|...|') or NB201 index")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_cmd_arch)


def _add_prediction_commands(sub) -> None:
    """``evaluate``, ``lut``, ``expect``, ``compare``, ``predict``: one predictor, the lookup table, what
    to expect, which to use, a prediction of the whole space."""
    p = sub.add_parser("evaluate", help="fit a predictor on protocol splits and report Kendall tau, MAE, ...",
                       description="Test set first (625 HW-NAS / 256 TransNAS architectures; half of a dataset "
                       "of fewer than twice that many), training set a prefix of a permutation of the rest; the "
                       "seed fixes split and model.")
    p.add_argument("--dataset", required=True, help=_DATASET_HELP)
    p.add_argument("--predictor", required=True, help="predictor name (see `hwlib predictors`)")
    p.add_argument("--train-size", type=int, required=True, help="number of training architectures")
    p.add_argument("--seeds", default="0-4", help="seeds, e.g. 0-4 or 0,3,7 (default 0-4)")
    p.add_argument("--hpo-budget", type=float, default=None, metavar="SECONDS",
                   help="time budget of the brief hyperparameter search per fit (default: no search)")
    p.add_argument("--json", action="store_true", help="print one JSON object (means + per-seed runs)")
    p.set_defaults(func=_cmd_evaluate)

    p = sub.add_parser("lut", help="the lookup table's Kendall tau over all architectures of a dataset")
    p.add_argument("--dataset", required=True, help=_DATASET_HELP)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_cmd_lut)

    p = sub.add_parser("expect", help="what each predictor reaches with N measured architectures (from the "
                       "study's committed results)",
                       description="Read from the full study's committed records (nothing is trained): per "
                       "predictor, the mean Kendall tau over the study's datasets of the search space at "
                       "--samples training architectures (between two study sizes: interpolated in log "
                       "size), its standard error over seeds, the 10th and 90th percentile of single runs, "
                       "Spearman's rho, the fit time in CPU seconds, and whether it beats the lookup table. "
                       "With --select-from, also the selection simulation's mean reduction in accuracy "
                       "(percentage points) at that Kendall tau, before (mra_all) and after (mra_pareto) "
                       "measuring the selected architectures.")
    p.add_argument("--samples", type=int, required=True, help="measured architectures to train on")
    p.add_argument("--space", default="nb201", help="search space: nb201 (default), transnas_micro, transnas_macro")
    p.add_argument("--datasets", help="comma-separated study datasets to read (default: all of the space)")
    p.add_argument("--select-from", type=int, metavar="N",
                   help="also the selection cost when choosing among N architectures (NB201)")
    p.add_argument("--trials", type=int, default=1000,
                   help="simulation trials per deviation level (default 1000, the paper's)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_cmd_expect)

    p = sub.add_parser("compare", help="train every predictor on a dataset of yours at a few training sizes: "
                       "which to use there",
                       description="Trains the predictors on --dataset (your own measurements, say) on the study's "
                       "splits and reports, per training size, each one's mean Kendall tau over seeds on the test "
                       "set, marking those within two standard errors of the best, and the lookup table where the "
                       "data can build one. Cells are cached: a rerun trains only what is new. For what the "
                       "study's devices say without training anything: `hwlib expect`.")
    p.add_argument("--dataset", required=True, help=_DATASET_HELP)
    p.add_argument("--predictors", help="comma-separated predictors (default: all of the search space but the slow "
                   "graph models gcn, bonas, nao)")
    p.add_argument("--sizes", help="comma-separated training sizes (default: the protocol's sizes up to 1000 that "
                   "the training pool holds)")
    p.add_argument("--seeds", default="0-4", help="seeds, e.g. 0-4 or 0,3,7 (default 0-4)")
    p.add_argument("--jobs", type=int, default=1,
                   help="worker processes for the fits (and the transfer's sources) not yet cached (default 1)")
    p.add_argument("--transfer", nargs="?", const="others", choices=["others", "others+proxies"],
                   help="also the transfer methods (NB201), with every other device's measurements as sources "
                   "(others+proxies: and the networks' FLOPs and parameters); listed as 'METHOD (transfer)'")
    p.add_argument("--select-from", type=int, metavar="N",
                   help="also what the best's Kendall tau costs a selection among N architectures (NB201): the "
                   "selection simulation's mean reduction in accuracy")
    p.add_argument("--trials", type=int, default=1000,
                   help="simulation trials per deviation level (default 1000, the paper's)")
    p.add_argument("--json", action="store_true", help="print JSON (every predictor and size)")
    p.set_defaults(func=_cmd_compare)

    p = sub.add_parser("predict", help="fit a predictor on every measured architecture of a dataset and write its "
                       "prediction of the whole search space",
                       description="Fits the predictor (or transfer method) on all architectures the dataset "
                       "holds and writes a CSV with a row per architecture of its search space: index, arch, "
                       "predicted (in the dataset's unit) and measured (empty where not measured). Written "
                       "atomically.")
    p.add_argument("--dataset", required=True, help=_DATASET_HELP)
    p.add_argument("--predictor", required=True,
                   help="predictor name (see `hwlib predictors`) or transfer method (see `hwlib transfer --help`; "
                   "it fits the other devices' measurements of the same NB201 cells)")
    p.add_argument("--sources", help="for a transfer method: S1,S2,..., help-train, others (default) or "
                   "others+proxies")
    p.add_argument("--seed", type=int, default=0, help="seed of the model (default 0)")
    p.add_argument("--out", required=True, help="CSV file to write")
    p.set_defaults(func=_cmd_predict)


def _add_selection_commands(sub) -> None:
    """``simulate``, ``transfer``: the selection simulation, and transfer from other devices."""
    p = sub.add_parser("simulate", help="simulate predictor-guided Pareto selection (MRA, hypervolume)",
                       description="Noisy hardware values = truth + the protocol's deviation mixture scaled "
                       "to --std; reports means over trials (MRA in percentage points).")
    p.add_argument("--dataset", required=True, help="hardware dataset (NB201), e.g. cifar10-raspi4_latency; "
                   "NAME@IMAGE pairs it with the accuracy of image dataset IMAGE (cifar10, cifar100, "
                   "ImageNet16-120), e.g. my-cpu.csv@cifar10 for a CSV of your measurements (as for evaluate)")
    p.add_argument("--n", type=int, required=True, help="architectures considered per trial")
    p.add_argument("--std", type=float, required=True, help="std of the simulated deviations (z-scored units)")
    p.add_argument("--trials", type=int, default=100, help="number of trials (default 100)")
    p.add_argument("--pairing", choices=["architecture", "sorted"], default="architecture",
                   help="pair accuracy and hardware by architecture (default) or as the released code did")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--reference", choices=["subset", "dataset"], default="subset",
                   help="hypervolume reference: 1.1 x the largest hardware value of each subset (default, the "
                   "released code) or of the whole dataset (one fixed reference)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_cmd_simulate)

    p = sub.add_parser("transfer", help="few-shot prediction for a target device from other devices' measurements",
                       description="Fit a transfer predictor on --train-size samples of the target device, using "
                       "the source devices' values of every NB201 cell; report Kendall tau and Spearman (means "
                       "over seeds). Protocol 'help': samples drawn from all cells, scored on all cells; 'paper': "
                       "the study's split (625 test cells). With --pick N and no target: the N cells worth "
                       "measuring first on a new device, for `hwlib measure --archs FILE`.")
    p.add_argument("--target", help="target dataset, e.g. help-pixel2 or cifar10-raspi4_latency, "
                   "or a CSV of your measurements (as for evaluate)")
    p.add_argument("--sources", default="help-train",
                   help="S1,S2,... (dataset names), 'help-train' (HELP's nine meta-training devices, default), "
                   "'others' (every other device at hand) or 'others+proxies' (those and the networks' FLOPs and "
                   "parameter counts)")
    p.add_argument("--method", default=None,
                   help="proxy, source_ridge, consensus, consensus_ensemble, anchored_ensemble or "
                   "selected_ensemble (default: consensus_ensemble, chosen before the ensembles were added; selected_ensemble "
                   "ranks a little better in chapter 'Transfer across devices')")
    p.add_argument("--train-size", type=int, default=10, help="target samples (default 10)")
    p.add_argument("--seeds", default="0-9", help="seeds, e.g. 0-9 or 0,3,7 (default 0-9)")
    p.add_argument("--protocol", choices=["help", "paper"], default="help", help="split protocol (default help)")
    p.add_argument("--sampler", choices=["random", "spread"], default="random",
                   help="how the target's samples are chosen (protocol help): at random (default) or spread along "
                   "the sources' consensus, one from each of --train-size strata")
    p.add_argument("--pick", type=int, metavar="N",
                   help="instead: print the N NB201 cells to measure first on a new device (spread along the "
                   "sources' consensus, fastest first; the first seed draws them)")
    p.add_argument("--json", action="store_true", help="print one JSON object (means + per-seed runs)")
    p.set_defaults(func=_cmd_transfer)


def _add_study_commands(sub) -> None:
    """``study plan|run|tune|verify``: the full study."""
    study = sub.add_parser("study", help="the predictor study at full scale: plan, run, verify its committed results",
                           description="The grid: every trained predictor on the study's datasets, 11 training "
                           "sizes, 50 seeds (GCN and NAO: 10 seeds up to 3036). Its records live in results/ "
                           "($HWLIB_RESULTS_DIR), committed; the book renders from them.")
    study = study.add_subparsers(dest="action", required=True, metavar="ACTION")
    for name, help_text in [("plan", "cells in the grid, cells done, CPU-hours spent and left, per predictor"),
                            ("run", "compute missing cells, cheapest first, storing each part as it finishes")]:
        p = study.add_parser(name, help=help_text, description=help_text + (
            " (a part: a predictor on a dataset at one size, or for BONAS one of the stacks of about five "
            "seeds that it trains at once, so that a stopped run loses at most one stack). Runs may share one "
            "results folder: each claims the part it computes (a lock in "
            "results/.claims, gone with its process) and passes over those another holds, so the same "
            "command started twice, pinned to two cores, say, shares out the grid." if name == "run" else ""))
        p.add_argument("--profile", default="full", help="profile whose grid (default full; quick: CI's subset)")
        p.add_argument("--predictors", metavar="P,...", help="only these predictors (default: all)")
        p.add_argument("--datasets", metavar="D,...", help="only these datasets (default: all of the study)")
        if name == "plan":
            p.add_argument("--json", action="store_true", help="print JSON (cells_total, cells_done, "
                           "cpu_hours_done, cpu_hours_left, by_predictor, tuning; with --missing, missing)")
            p.add_argument("--missing", action="store_true", help="also list the groups (a predictor on a "
                           "dataset at one size) that lack cells, in the order `study run` takes them, with "
                           "their estimated CPU-hours and whether a runner holds one now")
            p.set_defaults(func=_cmd_study_plan)
        else:
            p.add_argument("--budget", metavar="TIME", help="stop cleanly before this much time is spent "
                           "(e.g. 2h, 90m, 1h30m; default: until complete); Ctrl-C also stops cleanly")
            p.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
            p.add_argument("--background", action="store_true",
                           help="run at the lowest CPU priority (nice 19), to grow the grid beside other "
                           "work; started with setsid as the command itself (setsid hwlib study run ...), its Linux "
                           "autogroup yields to other sessions too (a script started with setsid can do that for "
                           "its whole session: echo 19 > /proc/self/autogroup)")
            p.add_argument("--scheduler", metavar="ADDRESS",
                           help="run the groups on a Dask distributed cluster (e.g. tcp://127.0.0.1:8786); "
                           "start its workers with --nthreads 1, since fit times are CPU seconds of a worker")
            p.set_defaults(func=_cmd_study_run)
    p = study.add_parser("tune", help="the protocol's brief tuning against the defaults: compute the tuned cells, "
                         "print the paired difference in Kendall tau",
                         description="Runs the tuned predictors (the tuning_* settings of the profile in "
                         "hwlib.profiles; full: Ridge, SVR and both MLPs on the TransNAS datasets at 18, 65 and 234 samples, "
                         "those and BONAS and BANANAS on the HW-NAS-Bench datasets at 11, 25 and 55) with the "
                         "protocol's random search (a fixed number of candidates, 3-fold CV Kendall tau), stores each "
                         "group as it finishes under tuning/ in the results store, and prints, per predictor and "
                         "size, the default and tuned Kendall tau, their paired difference and its standard error, "
                         "how often the search kept the defaults, and what the search costs (fit time factor).")
    p.add_argument("--profile", default="full", help="profile whose tuning grid (default full; quick: CI's subset)")
    p.add_argument("--budget", metavar="TIME", help="start no new group after this much time (e.g. 30m)")
    p.add_argument("--background", action="store_true", help="run at the lowest CPU priority (as study run)")
    p.add_argument("--json", action="store_true", help="no progress bar; print the table as JSON records")
    p.set_defaults(func=_cmd_study_tune)

    p = study.add_parser("verify", help="recompute K random committed cells and compare (exit 1 if any differs)",
                         description="Recompute K random committed cells and compare them with their records. A "
                         "record made on this machine's kernels (its run's provenance: the BLAS and torch kernels "
                         "the CPU selects, AVX2 or AVX-512) must come out bit for bit; records made on other or "
                         "unrecorded kernels cannot, and are compared in the mean: their Kendall tau must not "
                         "shift systematically. Exit 1 naming every cell that differs.")
    p.add_argument("--sample", type=int, required=True, metavar="K", help="number of cells to recompute")
    p.add_argument("--seed", type=int, default=0, help="which cells (default 0)")
    p.add_argument("--max-fit-time", type=float, metavar="SECONDS",
                   help="only cells whose recorded fit took at most this long")
    p.add_argument("--predictors", metavar="P,...", help="only cells of these predictors")
    p.add_argument("--tuning", action="store_true", help="the cells of `hwlib study tune` instead of the grid's")
    p.add_argument("--transfer", action="store_true",
                   help="the transfer records instead (HELP's protocol and leave one device out, results/transfer)")
    p.add_argument("--json", action="store_true", help="print JSON (checked, differ, tolerance, other_kernels)")
    p.set_defaults(func=_cmd_study_verify)


def _add_device_commands(sub) -> None:
    """``retest``, ``measure``: measuring one's own device."""
    p = sub.add_parser("retest", help="how repeatable a measurement is: two passes over the same architectures",
                       description="Compares two measurement files of `hwlib measure` (a full pass and a second, "
                       "independent pass, e.g. --archs 500 into another file): Kendall tau, Spearman and the median "
                       "relative difference of the medians, the minima and, where both timed a reference network, "
                       "the values relative to it (norm_q25_ms); and how much the errors of neighbouring records "
                       "go together (the machine's drift in speed, which --reference cancels).")
    p.add_argument("first", help="measurement CSV of the first pass")
    p.add_argument("second", help="measurement CSV of the second pass (its order is the measuring order)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_cmd_retest)

    p = sub.add_parser("measure", help="measure the latency of benchmark networks on this machine (resumable)",
                       description="Builds each network in torch, runs --warmup untimed and --repeats timed "
                       "forward passes, and appends median, quartiles and minimum (ms, on --clock) and the "
                       "wall-clock median to --out, one line per architecture; the settings and the machine's "
                       "description go to <out>.json. Rerun the same command to resume: finished architectures "
                       "are kept and skipped.")
    p.add_argument("--space", required=True, choices=["nb201", "transnas_macro"], help="search space")
    p.add_argument("--out", required=True, help="measurement CSV file (created or resumed)")
    p.add_argument("--archs", default="all", help="'all', N (the first N of a seeded random order) or a file of "
                   "architecture names, one per line, e.g. from `hwlib transfer --pick 10` (default all)")
    p.add_argument("--seed", type=int, default=0, help="seed of the measuring order (default 0)")
    p.add_argument("--input-size", type=int, default=None,
                   help="input side in pixels (default: the benchmark's, 32 NB201 cifar / 224 macro)")
    p.add_argument("--batch", type=int, default=1, help="batch size (default 1)")
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    p.add_argument("--cpus", default=None, help="pin to these CPU cores, e.g. 1 or 0,1 (default: not pinned)")
    p.add_argument("--warmup", type=int, default=3, help="untimed passes per network (default 3)")
    p.add_argument("--repeats", type=int, default=10, help="timed passes per network (default 10)")
    p.add_argument("--image", default="cifar10", help="NB201 image dataset: cifar10, cifar100, ImageNet16-120")
    p.add_argument("--structure", default="backbone", choices=["backbone", "full"],
                   help="macro networks: encoder only (default) or with a 75-class head")
    p.add_argument("--device", default="auto", help="auto (a GPU when torch sees one), cpu or cuda")
    p.add_argument("--clock", default="auto", choices=["auto", "cpu", "wall"],
                   help="what to time: the measuring thread's CPU time (robust on a shared machine) or wall-clock "
                   "time; auto: cpu on a CPU, wall on a GPU")
    p.add_argument("--interleave", type=int, default=1, metavar="K",
                   help="time K networks in turns, one pass of each per round, so that interference from other "
                   "programs spreads over many networks (default 1: one after the other)")
    p.add_argument("--reference", default="none", metavar="ARCH",
                   help="also time this architecture in every round, so that records can be read relative to it "
                   "(cancels the machine's drift in speed; see norm_q25_ms): an architecture name, 'auto' (a "
                   "fixed network of about median cost) or 'none' (default)")
    p.add_argument("--reverse", action="store_true",
                   help="measure the order from its end (a second process, into its own --out)")
    p.add_argument("--skip-from", action="append", metavar="FILE",
                   help="also skip architectures recorded in FILE (repeatable)")
    p.add_argument("--merge-from", metavar="FILE",
                   help="instead of measuring, add FILE's records missing from --out (same settings and machine)")
    p.add_argument("--counts", action="store_true",
                   help="instead of timing, write the exact MACs and parameters of every architecture to --out")
    p.add_argument("--json", action="store_true", help="no progress bar; print a JSON summary")
    p.set_defaults(func=_cmd_measure)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``hwlib`` console script; returns the exit status."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        status = args.func(args)
    except HwlibError as exc:
        print(f"hwlib: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("hwlib: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`hwlib datasets | head`): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:  # a folder or file of the environment's: named by the message
        print(f"hwlib: error: {exc}", file=sys.stderr)
        return 2
    return status or 0


if __name__ == "__main__":
    sys.exit(main())
