"""Fit-time benchmark of the predictor zoo, and the stacked-seeds speed-up of the torch models.

For each predictor: seconds to fit (training only, defaults, one seed) at each training size on
one dataset (sizes clipped at its training pool). For the predictors whose regressor offers
``fit_predict_seeds`` (the MLPs and the other torch models): the throughput ratio of training
``--ratio-seeds`` seeds as one stacked model (default 10 for GCN, BONAS and NAO, 50 for the
others) against fitting them one at a time, measured in the same run (``--ratio-single`` single
fits are timed and their mean taken as the per-seed cost), in CPU seconds of this process (one
torch thread, as the study runs; on a shared machine CPU time varies less than wall time, which
is reported too).

Beside each ratio stands its *arithmetic ceiling*: the most that stacking seeds could ever gain,
had it removed every cost of a single fit but its matrix products, and had those run at the peak
of a large single-precision product on this core (measured in the same run). It is the single
fit's CPU time over (its floating-point operations / that peak); the operations are counted by
``torch.utils.flop_counter`` on one fit and prediction (oneDNN off, so that the LSTMs' products
are counted too). A target above the ceiling cannot be met without changing a model's arithmetic.
A tighter bound with today's kernels, *products alone*: the single fit's time over the time that
the stacked fit spends in its matrix-product kernels alone (``torch.profiler``, self CPU time of
bmm, mm, addmm, baddbmm and oneDNN's fused LSTM layers; and the MLPs' products, which numpy
computes, timed and counted around each call), per seed.

Examples::

    python bench/bench_predictors.py                                  # all 18, sizes 124 and 15000
    python bench/bench_predictors.py --predictors lr,ridge,mlp_small --sizes 124 --epochs 50
    python bench/bench_predictors.py --predictors mlp_small,mlp_large --sizes 124 --ratio-only
    python bench/bench_predictors.py --predictors gcn,bonas,nao --ratio-only --epochs 5

``--stacks 1,5,10,40`` also trains ``--ratio-seeds`` seeds of each of those predictors in stacks
of at most that many members (``fit_predict_seeds``' ``max_stack``; ``0``: the regressor's own
limit) and gives CPU milliseconds per seed and the ratio to the first stack size: how large a
stack pays (BONAS' cap, ``BONASRegressor.STACK_ACTIVATIONS``, comes from this sweep).

``--epochs N`` sets ``epochs`` of every model that has that parameter (a quick run); the line
then also gives the time scaled to the model's default epochs (training time is linear in
epochs). Prints a table; ``--json PATH`` also writes the numbers.
"""

from __future__ import annotations

import argparse
import math
import platform
import sys
import time
import warnings
from contextlib import contextmanager
from typing import Iterator

import numpy as np
import torch
from torch.profiler import ProfilerActivity, profile
from torch.utils.flop_counter import FlopCounterMode

from hwlib.paths import atomic_write_json
from hwlib.data import load_dataset
from hwlib.encodings import encode
from hwlib.protocol import split, test_set_size
from hwlib.predictors import get_spec, list_predictors, make_regressor


def _params(name: str, space: str, epochs: int | None, stacked: bool = False) -> dict:
    cls = get_spec(name).regressor_class()
    keys = cls().get_params()
    params = {}
    if epochs is not None and "epochs" in keys:
        params["epochs"] = epochs
    if stacked and "search_space" in keys:   # make_regressor sets it for single fits
        params["search_space"] = space
    return params


def _default_epochs(name: str) -> int | None:
    return get_spec(name).regressor_class()().get_params().get("epochs")


def time_fit(name, ds, X, train, epochs) -> float:
    """Seconds of one ``fit`` (after an untimed warm-up fit that pays for imports)."""
    params = _params(name, ds.search_space, epochs)
    if name == "lut":
        train = np.arange(ds.n_archs)   # the table measures its own base and neighbours
    else:
        has_epochs = "epochs" in get_spec(name).regressor_class()().get_params()
        warm = dict(params, epochs=1) if has_epochs else params
        make_regressor(name, ds.search_space, random_state=0, **warm).fit(X[train[:20]], ds.y_z[train[:20]])
    model = make_regressor(name, ds.search_space, random_state=0, **params)
    t0 = time.perf_counter()
    model.fit(X[train], ds.y_z[train])
    return time.perf_counter() - t0


def _clocks() -> tuple[float, float]:
    """(wall, CPU) seconds now; the CPU clock is this process's, so other load matters less."""
    return time.perf_counter(), time.process_time()


def gemm_peak(size: int = 1024, repeats: int = 5) -> float:
    """FLOP/s of a large single-precision matrix product on one thread (the fastest of ``repeats``)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        a, b = torch.randn(size, size), torch.randn(size, size)
        best = np.inf
        for _ in range(repeats):
            t0 = time.process_time()
            for _ in range(4):
                a @ b
            best = min(best, (time.process_time() - t0) / 4)
        return 2 * size ** 3 / best
    finally:
        torch.set_num_threads(threads)


@contextmanager
def numpy_products() -> Iterator[dict]:
    """Tally the floating-point operations and CPU seconds of the MLPs' products, which numpy
    computes (:func:`hwlib.predictors._mlp._matmul`) and torch's counters do not see."""
    from hwlib.predictors import _mlp

    tally, plain = {"flops": 0, "seconds": 0.0}, _mlp._matmul

    def counted(a, b, out=None):
        t0 = time.process_time()
        result = plain(a, b, out)
        tally["seconds"] += time.process_time() - t0
        tally["flops"] += 2 * math.prod(a.shape) * b.shape[-1]
        return result

    _mlp._matmul = counted
    try:
        yield tally
    finally:
        _mlp._matmul = plain


def count_flops(fit_predict) -> int:
    """Floating-point operations of the matrix products that ``fit_predict()`` runs."""
    with warnings.catch_warnings():   # torch warns that oneDNN's TF32 mode needs an Intel GPU
        warnings.filterwarnings("ignore", message="TF32 acceleration")
        with FlopCounterMode(display=False) as counter, torch.backends.mkldnn.flags(enabled=False), \
                numpy_products() as tally:
            fit_predict()
    return counter.get_total_flops() + tally["flops"]


#: Matrix-product kernels (torch.profiler names), whose time bounds a stack's from below.
PRODUCT_KERNELS = ("aten::bmm", "aten::mm", "aten::addmm", "aten::baddbmm",
                   "aten::mkldnn_rnn_layer", "aten::mkldnn_rnn_layer_backward")


def product_seconds(run) -> float:
    """CPU seconds that ``run()`` spends inside :data:`PRODUCT_KERNELS` (their self time) and
    the MLPs' numpy products."""
    with profile(activities=[ProfilerActivity.CPU]) as prof, numpy_products() as tally:
        run()
    kernels = sum(e.self_cpu_time_total for e in prof.key_averages() if e.key in PRODUCT_KERNELS) / 1e6
    return kernels + tally["seconds"]


def stack_ratio(name, ds, X, n, seeds, n_single, epochs, repeats=1, peak=None) -> dict:
    """Per-seed seconds one at a time vs stacked, and their ratio.

    Both sides train and predict (the test split) as the study does, after an untimed warm-up
    of each; per-seed CPU and wall seconds are the fastest of ``repeats`` alternating rounds.
    The ratio is of CPU seconds (one torch thread: CPU time is the time the study pays).
    ``ceiling``: the arithmetic ceiling of the ratio (see the module's docstring), given the peak
    ``peak`` (FLOP/s) of :func:`gemm_peak`; ``products_bound``: the ratio's bound when the
    stack's matrix products (as they run today) were its only cost.
    """
    cls = get_spec(name).regressor_class()
    params = _params(name, ds.search_space, epochs, stacked=True)
    single_params = _params(name, ds.search_space, epochs)
    splits = [split(ds.n_archs, s, test_set_size(ds.search_space)) for s in range(seeds)]
    tr = np.stack([p[:n] for _, p in splits])
    te = np.stack([t for t, _ in splits])

    def one(s):
        make_regressor(name, ds.search_space, random_state=s, **single_params
                       ).fit(X[tr[s]], ds.y_z[tr[s]]).predict(X[te[s]])

    def single():
        for s in range(n_single):
            one(s)

    def stacked():
        cls.fit_predict_seeds(X[tr], ds.y_z[tr], X[te], list(range(seeds)), **params)

    quick = {"epochs": 1} if "epochs" in params else {}
    cls.fit_predict_seeds(X[tr[:2]], ds.y_z[tr[:2]], X[te[:2]], [0, 1], **{**params, **quick})
    make_regressor(name, ds.search_space, random_state=0, **{**single_params, **quick}
                   ).fit(X[tr[0]], ds.y_z[tr[0]]).predict(X[te[0]])
    best = {"single": [np.inf, np.inf], "stacked": [np.inf, np.inf]}
    for _ in range(repeats):
        for key, run, count in (("single", single, n_single), ("stacked", stacked, seeds)):
            w0, c0 = _clocks()
            run()
            w1, c1 = _clocks()
            best[key] = [min(best[key][0], (w1 - w0) / count), min(best[key][1], (c1 - c0) / count)]
    flops = count_flops(lambda: one(0))
    peak = peak or gemm_peak()
    products = product_seconds(stacked) / seeds
    return {"seeds": seeds, "single_wall_s": best["single"][0], "single_cpu_s": best["single"][1],
            "stacked_per_seed_wall_s": best["stacked"][0],
            "stacked_per_seed_cpu_s": best["stacked"][1],
            "ratio": best["single"][1] / best["stacked"][1],
            "ratio_wall": best["single"][0] / best["stacked"][0],
            "flops_per_seed": flops, "peak_flops": peak,
            "ceiling": best["single"][1] / (flops / peak),
            "products_per_seed_cpu_s": products, "products_bound": best["single"][1] / products}


def stack_sweep(name, ds, X, n, seeds, stacks, epochs, repeats=1) -> dict[int, float]:
    """CPU seconds per seed of training and predicting ``seeds`` seeds in stacks of at most each
    of ``stacks`` members (0: the regressor's own limit), the fastest of ``repeats`` alternating
    rounds, after an untimed warm-up."""
    cls = get_spec(name).regressor_class()
    params = _params(name, ds.search_space, epochs, stacked=True)
    splits = [split(ds.n_archs, s, test_set_size(ds.search_space)) for s in range(seeds)]
    tr = np.stack([p[:n] for _, p in splits])
    te = np.stack([t for t, _ in splits])
    quick = {"epochs": 1} if "epochs" in params else {}
    cls.fit_predict_seeds(X[tr[:2]], ds.y_z[tr[:2]], X[te[:2]], [0, 1], **{**params, **quick})
    best = {m: np.inf for m in stacks}
    for _ in range(repeats):
        for m in stacks:
            c0 = time.process_time()
            cls.fit_predict_seeds(X[tr], ds.y_z[tr], X[te], list(range(seeds)), max_stack=m or None, **params)
            best[m] = min(best[m], (time.process_time() - c0) / seeds)
    return best


def _ratio_seeds(spec: str) -> dict[str, int]:
    """``'gcn=10,bonas=10,50'`` -> {'gcn': 10, 'bonas': 10, '*': 50} (a bare int: the default)."""
    out = {}
    for part in spec.split(","):
        name, _, value = part.rpartition("=")
        out[name or "*"] = int(value)
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dataset", default="cifar10-raspi4_latency")
    p.add_argument("--predictors", default=",".join(list_predictors()), help="comma-separated names")
    p.add_argument("--sizes", default="124,15000", help="comma-separated training sizes")
    p.add_argument("--epochs", type=int, default=None, help="override epochs of the torch models")
    p.add_argument("--ratio-predictors", default="mlp_small,mlp_large,bananas,gcn,bonas,nao",
                   help="predictors whose stacking ratio is measured")
    p.add_argument("--ratio-size", type=int, default=124, help="training size of the stacking ratio")
    p.add_argument("--ratio-seeds", default="gcn=10,bonas=10,nao=10,50",
                   help="seeds stacked for the ratio: NAME=N pairs and a default N")
    p.add_argument("--ratio-single", type=int, default=3, help="single fits timed for the ratio")
    p.add_argument("--ratio-repeats", type=int, default=1,
                   help="alternating rounds of single and stacked fits; the fastest counts")
    p.add_argument("--stacks", default=None,
                   help="also a sweep of stack sizes, e.g. 1,5,10,40 (0: the regressor's own limit)")
    p.add_argument("--ratio-only", action="store_true", help="skip the fit-time table")
    p.add_argument("--no-ratio", action="store_true", help="skip the stacking ratio")
    p.add_argument("--json", default=None, help="also write the results here")
    args = p.parse_args(argv)

    ds = load_dataset(args.dataset)
    test, pool = split(ds.n_archs, 0, test_set_size(ds.search_space))
    sizes = [min(int(s), len(pool)) for s in args.sizes.split(",")]
    names = [n for n in args.predictors.split(",") if ds.search_space in get_spec(n).spaces]
    print(f"# {args.dataset} ({ds.n_archs} archs, pool {len(pool)}), python {platform.python_version()}, "
          f"epochs {'default' if args.epochs is None else args.epochs}", flush=True)
    results = {"dataset": args.dataset, "epochs": args.epochs, "fit_s": {}, "stacking": {}, "stack_sweep": {}}
    encoded = {}
    for name in names:
        enc = get_spec(name).encoding
        X = encoded.setdefault(enc, encode(ds.A, enc, ds.search_space))
        if not args.ratio_only:
            row = {n: time_fit(name, ds, X, pool[:n], args.epochs) for n in sizes}
            results["fit_s"][name] = row
            line = f"{name:<10} fit " + "  ".join(f"n={n}: {t:8.2f} s" for n, t in row.items())
            full = _default_epochs(name)
            if args.epochs is not None and full:   # epochs dominate: scale to the default count
                est = {n: t * full / args.epochs for n, t in row.items()}
                results.setdefault("fit_s_estimated_default_epochs", {})[name] = est
                line += f"   (x{full}/{args.epochs} epochs: " + "  ".join(f"{t:8.1f} s" for t in est.values()) + ")"
            print(line, flush=True)
        if (not args.no_ratio and name in args.ratio_predictors.split(",")
                and hasattr(get_spec(name).regressor_class(), "fit_predict_seeds")):
            seeds = _ratio_seeds(args.ratio_seeds)
            seeds = seeds.get(name, seeds.get("*", 50))
            if "gemm_peak_flops" not in results:   # measured once, for every ratio of the run
                results["gemm_peak_flops"] = gemm_peak()
            peak = results["gemm_peak_flops"]
            r = stack_ratio(name, ds, X, args.ratio_size, seeds, args.ratio_single, args.epochs,
                            args.ratio_repeats, peak)
            results["stacking"][name] = r
            print(f"{name:<10} stacking at n={args.ratio_size}: one seed "
                  f"{1e3 * r['single_cpu_s']:.1f} CPU ms, {seeds} stacked "
                  f"{1e3 * r['stacked_per_seed_cpu_s']:.1f} CPU ms/seed -> {r['ratio']:.1f}x "
                  f"(wall {r['ratio_wall']:.1f}x); arithmetic ceiling {r['ceiling']:.1f}x "
                  f"({r['flops_per_seed'] / 1e9:.2f} GFLOP per seed at {peak / 1e9:.0f} GFLOP/s), "
                  f"products alone {r['products_bound']:.1f}x "
                  f"({1e3 * r['products_per_seed_cpu_s']:.1f} CPU ms/seed)", flush=True)
            if args.stacks:
                stacks = [int(m) for m in args.stacks.split(",")]
                sweep = stack_sweep(name, ds, X, args.ratio_size, seeds, stacks, args.epochs, args.ratio_repeats)
                results["stack_sweep"][name] = sweep
                first = sweep[stacks[0]]
                print(f"{name:<10} stacks of at most: " + "  ".join(
                    f"{m or 'own'}: {1e3 * t:.1f} ms/seed ({first / t:.2f}x)" for m, t in sweep.items()), flush=True)
    if args.json:
        atomic_write_json(args.json, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
