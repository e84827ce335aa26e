"""Transfer runs and the chapter's studies: one target scored over seeds and sizes, HELP's
protocol, leave one device out on the study's splits, and the selection simulation driven by
transfer predictors; each study's records kept in the results store."""

from __future__ import annotations

import time
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from ..errors import InputError
from .methods import STRONGEST, get_method, list_methods
from .sampling import SAMPLERS, spread_cells
from .sources import (_N_CELLS, HELP_SOURCES, HELP_TARGETS, SourceFeatures, nb201_positions,
                      prepare_sources, resolve_sources, target_values)

__all__ = ["VERSION", "HELP_PUBLISHED", "NASFLAT_REPORTED", "PROTOCOLS", "LODO_SIZES", "BASELINE_SIZES",
           "transfer_split", "transfer_runs", "evaluate_transfer", "help_study", "lodo_study", "lodo_baselines",
           "selection_study", "verify"]

#: HELP's published Spearman correlation with 10 target samples on NAS-Bench-201 (Lee, Lee, Chong &
#: Hwang, "HELP: Hardware-Adaptive Efficient Latency Prediction for NAS via Meta-Learning",
#: NeurIPS 2021, arXiv:2106.08630, the NAS-Bench-201 latency-estimation results on unseen devices).
HELP_PUBLISHED = {"help-titan_rtx_256": 0.987, "help-gold_6226": 0.989, "help-pixel2": 0.802,
                  "cifar10-raspi4_latency": 0.890, "cifar10-eyeriss_latency": 0.940,
                  "cifar10-fpga_latency": 0.985}
#: Bumped by hand when the meaning of a cached or committed transfer record changes
#: (2: the consensus fits a rising line).
VERSION = "2"
#: NASFLAT (Akhauri & Abdelfattah, "On Latency Predictors for Neural Architecture Search", MLSys 2024,
#: arXiv:2403.02446) on HELP's split (its NB201 task 0): Spearman per test device, the mean over its
#: 5 trials, by number of target samples. From its released result files (abdelfattah-lab/nasflat_latency
#: at commit afdd046, ``correlation_trainer/correlation_results/all_results/study_6_5_f/nb201_samp_eff.csv``,
#: the full configuration: GIN ensemble with supplementary encodings, target samples chosen by its CATE
#: sampler); their mean at 20 samples, 0.959, is the paper's own table entry for this task.
NASFLAT_REPORTED = {
    5: {"help-titan_rtx_256": 0.906, "help-gold_6226": 0.937, "help-pixel2": 0.912,
        "cifar10-raspi4_latency": 0.846, "cifar10-eyeriss_latency": 0.859, "cifar10-fpga_latency": 0.955},
    10: {"help-titan_rtx_256": 0.9776, "help-gold_6226": 0.9764, "help-pixel2": 0.9332,
         "cifar10-raspi4_latency": 0.8748, "cifar10-eyeriss_latency": 0.9300, "cifar10-fpga_latency": 0.9899},
    15: {"help-titan_rtx_256": 0.982, "help-gold_6226": 0.968, "help-pixel2": 0.892,
         "cifar10-raspi4_latency": 0.887, "cifar10-eyeriss_latency": 0.981, "cifar10-fpga_latency": 0.990},
    20: {"help-titan_rtx_256": 0.9844, "help-gold_6226": 0.9830, "help-pixel2": 0.9375,
         "cifar10-raspi4_latency": 0.8652, "cifar10-eyeriss_latency": 0.9902, "cifar10-fpga_latency": 0.9954},
}
PROTOCOLS = ("help", "paper")
#: Training sizes of the leave-one-device-out protocol: the study's sizes up to 124, and HELP's 10.
LODO_SIZES = (5, 10, 11, 25, 55, 124)
#: The study's training sizes up to 124, where the single-device predictors are compared.
BASELINE_SIZES = (5, 11, 25, 55, 124)


def transfer_split(n_archs: int, seed: int, train_size: int, protocol: str = "help",
                   spread_by: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(train, test) positions of one run.

    ``'help'``: the first ``train_size`` of a seeded permutation, scored on every architecture;
    with ``spread_by`` (a value per architecture), :func:`~hwlib.transfer.sampling.spread_cells`
    along it instead. ``'paper'``: the study's split (:func:`hwlib.experiments.split`), training a
    prefix of the pool.
    """
    from ..protocol import split, test_set_size

    if protocol not in PROTOCOLS:
        raise InputError(f"unknown protocol {protocol!r}; one of {', '.join(PROTOCOLS)}")
    if protocol == "help":
        if not 1 <= train_size < n_archs:
            raise InputError(f"train size {train_size} out of range 1..{n_archs - 1}")
        if spread_by is not None:
            return spread_cells(spread_by, train_size, seed), np.arange(n_archs)
        return np.random.default_rng(seed).permutation(n_archs)[:train_size], np.arange(n_archs)
    if spread_by is not None:
        raise InputError("spread training cells apply to HELP's protocol (the paper's takes a prefix of its pool)")
    test, pool = split(n_archs, seed, test_set_size("nb201", n_archs))
    if not 1 <= train_size <= len(pool):
        raise InputError(f"train size {train_size} out of range 1..{len(pool)}")
    return pool[:train_size], test


def _score(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    from ..metrics import kendalltau, spearman

    return {"kendalltau": kendalltau(y_true, y_pred), "spearman": spearman(y_true, y_pred)}


def transfer_runs(target: str, sources: str | Sequence[str], methods: Sequence[str], train_sizes: Sequence[int],
                  seeds: Iterable[int], protocol: str = "help", sampler: str = "random") -> pd.DataFrame:
    """Fit and score each method on ``target`` for every training size and seed.

    ``sampler`` (:data:`~hwlib.transfer.sampling.SAMPLERS`): how HELP's protocol chooses the
    training cells; ``'spread'``: along the consensus of the denoised sources.

    Returns
    -------
    DataFrame
        One row per (method, train size, seed): target, sources (count), protocol, method,
        train_size, seed, kendalltau, spearman, fit_time; ``sampler`` unless random.
    """
    from ..data import load_dataset

    if sampler not in SAMPLERS:
        raise InputError(f"unknown sampler {sampler!r}; one of {', '.join(SAMPLERS)}")
    names = resolve_sources(target, sources)
    specs = [get_method(m) for m in methods]
    ds = load_dataset(target)
    X = SourceFeatures(names).fit(ds.A).transform(ds.A)
    y = target_values(ds)
    spread_by = X[:, len(names):2 * len(names)].mean(1) if sampler == "spread" else None
    extra = {} if sampler == "random" else {"sampler": sampler}
    rows = []
    for seed in seeds:
        for size in train_sizes:
            train, test = transfer_split(ds.n_archs, int(seed), int(size), protocol, spread_by)
            for spec in specs:
                t0 = time.perf_counter()
                model = spec.regressor_class()(random_state=int(seed)).fit(X[train], y[train])
                pred = model.predict(X[test])
                rows.append({"target": target, "n_sources": len(names), "protocol": protocol, **extra,
                             "method": spec.name, "train_size": int(size), "seed": int(seed),
                             **_score(y[test], pred), "fit_time": time.perf_counter() - t0})
    return pd.DataFrame(rows)


def evaluate_transfer(target: str, sources: str | Sequence[str] = "help-train", method: str | None = None,
                      train_size: int = 10, seeds: Iterable[int] = range(10), protocol: str = "help",
                      sampler: str = "random") -> dict:
    """One method on one target, as ``hwlib transfer`` prints it (``sampler``: :func:`transfer_runs`).

    Returns
    -------
    dict
        ``target``, ``sources`` (names), ``method``, ``train_size``, ``protocol``, ``sampler``,
        ``seeds``; ``kendalltau`` and ``spearman`` (means over seeds); ``runs`` (per-seed records).

    Raises
    ------
    InputError
        Unknown target, source, method or sampler; the target among the sources; a bad size or
        protocol.
    """
    method = STRONGEST if method is None else method
    get_method(method)
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise InputError("no seeds given")
    names = resolve_sources(target, sources)
    runs = transfer_runs(target, names, [method], [train_size], seeds, protocol, sampler)
    records = [{k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in r.items()}
               for r in runs.to_dict(orient="records")]
    return {"target": target, "sources": list(names), "method": method, "train_size": int(train_size),
            "protocol": protocol, "sampler": sampler, "seeds": seeds,
            "kendalltau": float(np.nanmean(runs["kendalltau"])), "spearman": float(np.nanmean(runs["spearman"])),
            "runs": records}


def _stored(store, table: str, params: dict, rows: Sequence[dict], compute) -> pd.DataFrame:
    """The records of one group from ``store`` (table ``transfer/<table>``), computed when any is missing.

    Parameters
    ----------
    store : hwlib.store.Store
    params : dict
        What the whole group shares (target, data checksum, sources, protocol, ...).
    rows : sequence of dict
        What tells its records apart (method, train size, seed, ...): one key each.
    compute : callable
        Returns the group's records as a DataFrame with the columns of ``rows``.
    """
    from .. import store as store_mod

    table = f"transfer/{table}"
    keys = [store_mod.cell_key(f"{table}@{VERSION}", {**params, **r}) for r in rows]
    found = store.get(table, keys)
    if len(found) == len(keys):
        return pd.DataFrame([found[k] for k in keys])
    frame = compute()
    cols = list(rows[0])
    index = {tuple(r[c] for c in cols): k for r, k in zip(rows, keys)}
    run = store.register_run()
    records = [{**rec, "key": index[tuple(rec[c] for c in cols)], "run": run}
               for rec in frame.to_dict(orient="records")]
    store.put(table, records, sort_by=[c for c in ("target", "dataset", "kind", "predictor", "method",
                                                   "train_size", "n_train", "seed", "trial") if c in frame])
    return pd.DataFrame(records)


def _checksum(name: str) -> str:
    from ..data import load_dataset

    return load_dataset(name).checksum


def _split_key(name: str) -> dict:
    from ..data import load_dataset
    from ..protocol import test_set_key

    return test_set_key("nb201", load_dataset(name).n_archs)


def _bar(items: list, desc: str, progress: bool):
    from tqdm.auto import tqdm

    return tqdm(items, desc=desc, leave=False, disable=not progress)


def _help_params(target: str, sampler: str) -> dict:
    """What a group of HELP's protocol on ``target`` shares (part of each record's key)."""
    return {"target": target, "checksum": _checksum(target), "sources": list(HELP_SOURCES), "protocol": "help",
            **({} if sampler == "random" else {"sampler": sampler})}


def _lodo_params(target: str, names: Sequence[str]) -> dict:
    """What a leave-one-device-out group on ``target`` from sources ``names`` shares (part of each key)."""
    return {"target": target, "checksum": _checksum(target), "sources": list(names), "protocol": "paper",
            **_split_key(target)}


def help_study(seeds: Iterable[int] = range(50), methods: Sequence[str] | None = None, train_size: int = 10,
               store=None, progress: bool = True, sampler: str = "random") -> pd.DataFrame:
    """HELP's protocol: its nine sources, its six targets, ``train_size`` samples (chosen by
    ``sampler``, :func:`transfer_runs`), all cells scored.

    Returns
    -------
    DataFrame
        :func:`transfer_runs` rows of every target, plus ``help_published`` (HELP's Spearman).
    """
    store = store or _default_store()
    methods, seeds = list(methods or list_methods()), [int(s) for s in seeds]
    frames = []
    for target in _bar(list(HELP_TARGETS), "HELP targets", progress):
        params = _help_params(target, sampler)
        rows = [{"method": m, "train_size": int(train_size), "seed": s} for s in seeds for m in methods]
        frames.append(_stored(store, "help", params, rows, lambda t=target: transfer_runs(
            t, "help-train", methods, [train_size], seeds, "help", sampler)))
    out = pd.concat(frames, ignore_index=True)
    out["help_published"] = out["target"].map(HELP_PUBLISHED)
    return out


def lodo_study(datasets: Sequence[str], seeds: Iterable[int] = range(50), sizes: Sequence[int] = LODO_SIZES,
               methods: Sequence[str] | None = None, store=None, progress: bool = True,
               sources: str = "others", n_jobs: int = 1) -> pd.DataFrame:
    """Leave one device out on the study's splits: each dataset the target, every other device's
    datasets the sources (:func:`resolve_sources` ``'others'``, or ``'others+proxies'`` with the
    networks' FLOPs and parameter counts beside them); ``n_jobs`` worker processes denoise the
    sources used for the first time (:func:`prepare_sources`).

    Returns
    -------
    DataFrame
        :func:`transfer_runs` rows (protocol ``'paper'``), with ``source_set`` (``sources``).
    """
    if sources not in ("others", "others+proxies"):
        raise InputError(f"leave-one-device-out sources must be 'others' or 'others+proxies', got {sources!r}")
    store = store or _default_store()
    methods, seeds = list(methods or list_methods()), [int(s) for s in seeds]
    frames = []
    for target in _bar(list(datasets), "leave-one-device-out", progress):
        names = resolve_sources(target, sources)
        params = _lodo_params(target, names)
        rows = [{"method": m, "train_size": int(n), "seed": s} for s in seeds for n in sizes for m in methods]

        def compute(target=target, names=names):
            prepare_sources(names, progress=False, n_jobs=n_jobs)
            return transfer_runs(target, names, methods, sizes, seeds, "paper")
        frames.append(_stored(store, "lodo", params, rows, compute))
    return pd.concat(frames, ignore_index=True).assign(source_set=sources)


def lodo_baselines(datasets: Sequence[str], predictors: Sequence[str], seeds: Iterable[int] = range(50),
                   sizes: Sequence[int] = BASELINE_SIZES, progress: bool = True) -> pd.DataFrame:
    """The single-device predictors on the same splits at the study's sizes, as the study runs them
    (:func:`hwlib.experiments.run_study`: the committed study results, the rest computed into the cache)."""
    from ..experiments import run_study

    return run_study(list(datasets), list(predictors), list(sizes), list(seeds), progress=progress)


def _default_store():
    from ..store import default_store

    return default_store()


def _selection_trials(name: str, transfer_methods: Sequence[str], singles: Sequence[str], n_train: int,
                      single_sizes: Sequence[int], n: int, trials: int, seed: int) -> pd.DataFrame:
    """Rows of :func:`selection_study` for one dataset."""
    import zlib

    from ..data import load_dataset
    from ..predictors import make_predictor
    from ..simulation import select, selection_problem

    problem = selection_problem(name, "architecture")
    hw_name = name.partition("@")[0]
    ds = load_dataset(hw_name)
    pos = nb201_positions(problem.A)
    X = SourceFeatures(resolve_sources(hw_name, "others")).fit(problem.A).transform(problem.A)
    full = np.full(_N_CELLS, np.nan)
    full[ds.index] = target_values(ds)
    y = full[pos]
    first = max([n_train, *single_sizes])
    if first + n > problem.n_archs:
        raise InputError(f"{first} training and {n} candidate architectures exceed {problem.n_archs}")
    rows = []
    for t in range(trials):
        perm = np.random.default_rng([seed, t, zlib.crc32(name.encode())]).permutation(problem.n_archs)
        cand = np.sort(perm[first:first + n])
        fits = [("transfer", m, n_train, lambda m=m: get_method(m).regressor_class()(random_state=seed + t)
                 .fit(X[perm[:n_train]], y[perm[:n_train]]).predict(X[cand])) for m in transfer_methods]
        fits += [("single", p, k, lambda p=p, k=k: make_predictor(p, "nb201", random_state=seed + t).fit(
            problem.A[perm[:k]], problem.hw[perm[:k]]).predict(problem.A[cand]))
                 for p in singles for k in single_sizes]
        for kind, predictor, k, predict in fits:
            sel = select(problem.acc[cand], problem.hw[cand], np.asarray(predict(), dtype=np.float64))
            rows.append({"dataset": name, "kind": kind, "predictor": predictor, "n_train": k, "n": n,
                         "trial": t, **sel.metrics})
    return pd.DataFrame(rows)


def selection_study(datasets: Sequence[str], transfer_methods: Sequence[str] = (STRONGEST,),
                    singles: Sequence[str] = ("ridge", "lgb", "mlp_small"), n_train: int = 10,
                    single_sizes: Sequence[int] = (10, 124), n: int = 1000, trials: int = 20, seed: int = 0,
                    store=None, progress: bool = True) -> pd.DataFrame:
    """The selection simulation driven by transfer and single-device predictors on the same draws.

    Per trial of a dataset (see :func:`hwlib.simulation.selection_problem`; ``'name@image'``
    allowed): one permutation of its architectures; the first ``n_train`` (or ``k`` of
    ``single_sizes``) train, the ``n`` after the largest training set are the candidates, selected on
    the predictions (:func:`hwlib.simulation.select`) and judged with the true values. Transfer
    methods take every other device as a source and fit log values; single-device predictors fit the
    z-scored values, as in the paper.

    Returns
    -------
    DataFrame
        One row per (dataset, predictor, training size, trial): dataset, kind (``'transfer'`` or
        ``'single'``), predictor, n_train, n, trial and the metrics of :data:`hwlib.simulation.METRICS`.
    """
    store = store or _default_store()
    frames = []
    first = max([n_train, *single_sizes])
    for name in _bar(list(datasets), "selection", progress):
        params = {"dataset": name, "checksum": _checksum(name.partition("@")[0]), "n": n, "seed": seed,
                  "first": first}
        rows = [{"kind": "transfer", "predictor": m, "n_train": n_train, "trial": t}
                for t in range(trials) for m in transfer_methods]
        rows += [{"kind": "single", "predictor": p, "n_train": k, "trial": t}
                 for t in range(trials) for p in singles for k in single_sizes]
        frames.append(_stored(store, "selection", params, rows, lambda d=name: _selection_trials(
            d, transfer_methods, singles, n_train, single_sizes, n, trials, seed)))
    return pd.concat(frames, ignore_index=True)


def _record_params(rec: dict) -> tuple[dict, tuple[str, ...], str]:
    """The group parameters a committed ``help`` or ``lodo`` record was stored under, its sources
    and its sampler, rebuilt from the record and the current data."""
    target, sampler = rec["target"], rec.get("sampler")
    sampler = "random" if sampler is None or sampler != sampler else str(sampler)   # NaN: random
    if rec["protocol"] == "help":
        return _help_params(target, sampler), HELP_SOURCES, sampler
    sets = [resolve_sources(target, s) for s in ("others", "others+proxies")]
    names = next((s for s in sets if len(s) == int(rec["n_sources"])), sets[0])
    return _lodo_params(target, names), names, sampler


def verify(sample: int, seed: int = 0, store=None, progress: bool = False,
           tables: Sequence[str] = ("help", "lodo")) -> dict:
    """Recompute ``sample`` random committed records of HELP's protocol and of leave one device
    out (``results/transfer``, ``tables``) and compare them: each must still be keyed by the
    current data and :data:`VERSION`, and its Kendall tau and Spearman must come out again.

    Returns
    -------
    dict
        ``checked``, ``differ`` (one entry per record that differs: its target as ``dataset``, its
        method as ``predictor``, train size, seed, and the reason or the metrics that differ),
        ``tolerance`` and ``other_kernels`` (as :func:`hwlib.study.verify`).
    """
    from .. import store as store_mod
    from ..devices import gpu_dataset
    from ..study import Comparison, _check_sample, _results_store

    _check_sample(sample)
    gpu_dataset()                        # the project's GPU pass, a target of the chapter: registered
    store = store or _results_store()
    unknown = sorted(set(tables) - {"help", "lodo"})
    if unknown:
        raise InputError(f"cannot verify transfer table(s) {', '.join(unknown)}; 'help' and 'lodo'")
    frames = [f.assign(table=t) for t in tables if not (f := store.records(f"transfer/{t}")).empty]
    if not frames:
        raise InputError(f"no transfer records to verify in {store.root}")
    pool = pd.concat(frames, ignore_index=True).sort_values("key")
    chosen = pool.sample(n=min(int(sample), len(pool)), random_state=int(seed))
    compare = Comparison(store)
    for rec in _bar(chosen.to_dict("records"), "verify transfer", progress):
        params, names, sampler = _record_params(rec)
        row = {"method": rec["method"], "train_size": int(rec["train_size"]), "seed": int(rec["seed"])}
        cell = {"dataset": rec["target"], "predictor": rec["method"], "train_size": row["train_size"],
                "seed": row["seed"]}
        if store_mod.cell_key(f"transfer/{rec['table']}@{VERSION}", {**params, **row}) != rec["key"]:
            compare.differ.append({**cell, "reason": "not the record of the current data and code (its key differs)"})
            continue
        again = transfer_runs(rec["target"], names, [rec["method"]], [row["train_size"]], [row["seed"]],
                              rec["protocol"], sampler).iloc[0]
        compare.add(cell, rec, again, ("kendalltau", "spearman"))
    return compare.result(len(chosen))
