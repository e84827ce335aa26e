"""Measure the latency of benchmark networks on this machine (``hwlib measure``).

Each architecture is built (:func:`hwlib.networks.build_network`), run ``warmup`` times, then
timed ``repeats`` times on one fixed random input under ``torch.inference_mode`` (eager mode,
float32, batch ``B``); a GPU, when torch sees one and ``device='auto'``, is synchronised around
every timed call. The record of an architecture is the median, quartiles and minimum of its
repeats, in milliseconds, and the median wall-clock time.

Two clocks: ``wall`` (elapsed time, what a user waits for; right on an idle machine and on a GPU)
and ``cpu`` (the CPU time of the measuring thread, ``time.thread_time``; with one torch thread all
the work runs on it, so time the process spent descheduled while other programs ran is not
counted; with more threads the CPU time of the whole process). On a machine shared with other
work the ``cpu`` clock ranks networks far more reproducibly; it still feels other work through
shared caches and memory bandwidth.

Architectures are measured in a seeded random order, so that a slow drift of the machine (heat,
other work) does not line up with any structure of the space. Every finished record is appended
to a CSV file as one line in a single ``write`` call, so a run that is killed keeps every finished
measurement; a resumed run skips the architectures already in the file and drops a trailing line
that a crash cut short. The settings and the machine's description (CPU model, torch version,
threads, input size, ...) are kept beside the CSV in ``<file>.json``; resuming with other settings
or on another machine is refused.

Measure on an idle core: pin the process (``cpus``) and the thread count (``threads``); other work
on the same core spoils the ranking, which :func:`test_retest` quantifies.

A reference network (``reference``) is timed at the start of every round of every group, next to
the networks it measures. The speed of a virtual machine's core drifts within a second (other
tenants of the host share its caches and memory bandwidth: here neighbouring records of one pass,
measured a few hundred milliseconds apart, err in the same direction), and a ratio to a network
timed in the same fraction of a second cancels that drift. The records then carry the reference's
lower quartile and minimum in that group, and :func:`read_measurements` adds ``norm_q25_ms``: an
architecture's lower quartile over the reference's in its group, times the reference's median lower
quartile over the file (milliseconds of a machine running at its typical speed).
"""

from __future__ import annotations

import json
import logging
import os
import platform
import time
from contextlib import contextmanager
from dataclasses import MISSING, asdict, dataclass, fields
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np
import pandas as pd

from .errors import DataError, InputError
from .machine import cpu_model
from .networks import NB201_IMAGES, all_archs, build_network, default_input_size
from .paths import atomic_write, atomic_write_json, try_lock
from .spaces import get_space

__all__ = ["Settings", "machine_description", "select_archs", "time_network", "time_networks", "measure",
           "read_measurements",
           "merge_measurements",
           "test_retest", "drift_correlation", "retest_stats", "retest_report", "RETEST_COLUMNS", "COLUMNS", "REFERENCE_COLUMNS", "AUTO_REFERENCE"]

log = logging.getLogger(__name__)

#: Columns of a measurement CSV.
COLUMNS = ("arch", "median_ms", "q25_ms", "q75_ms", "min_ms", "wall_median_ms", "repeats", "unix_time")
#: Columns added to :data:`COLUMNS` when a reference network is timed beside the others.
REFERENCE_COLUMNS = ("ref_q25_ms", "ref_min_ms")
#: The reference network of ``reference='auto'``: a cell / backbone of about median cost.
AUTO_REFERENCE = {"nb201": "|nor_conv_3x3~0|+|skip_connect~0|avg_pool_3x3~1|+|nor_conv_1x1~0|none~1|nor_conv_3x3~2|",
                  "transnas_macro": "64-41414-basic"}


@dataclass(frozen=True)
class Settings:
    """What a measurement run measures; all of it must match to resume a file.

    Attributes
    ----------
    search_space : {'nb201', 'transnas_macro'}
    input_size : int
        Square input side in pixels.
    batch : int
    threads : int
        torch intra-op threads.
    warmup, repeats : int
        Untimed and timed forward passes per architecture.
    image : str
        NB201: the image dataset (number of classes); '' for the macro space.
    structure : str
        Macro: 'backbone' or 'full'; '' for NB201.
    device : str
        'cpu' or 'cuda'.
    clock : str
        'cpu' or 'wall' (see the module docstring).
    interleave : int
        Networks timed in turns (:func:`time_networks`); 1: one after the other.
    reference : str
        Architecture (the space's string form) timed in every round beside the others; '' for none.
    """

    search_space: str
    input_size: int
    batch: int = 1
    threads: int = 1
    warmup: int = 3
    repeats: int = 10
    image: str = ""
    structure: str = ""
    device: str = "cpu"
    clock: str = "wall"
    interleave: int = 1
    reference: str = ""

    @classmethod
    def make(cls, search_space: str, input_size: int | None = None, batch: int = 1, threads: int = 1,
             warmup: int = 3, repeats: int = 10, image: str = "cifar10", structure: str = "backbone",
             device: str = "auto", clock: str = "auto", interleave: int = 1,
             reference: str = "") -> "Settings":
        """Checked settings with the benchmark's defaults filled in; raises :class:`InputError`."""
        if search_space not in ("nb201", "transnas_macro"):
            raise InputError(f"cannot measure search space {search_space!r}; 'nb201' or 'transnas_macro'")
        nb = search_space == "nb201"
        if nb and image not in NB201_IMAGES:
            raise InputError(f"unknown NB201 image dataset {image!r}; one of {', '.join(NB201_IMAGES)}")
        if not nb and structure not in ("backbone", "full"):
            raise InputError(f"unknown macro structure {structure!r}; 'backbone' or 'full'")
        size = default_input_size(search_space, image) if input_size is None else input_size
        for name, value, lo in (("input size", size, 4), ("batch", batch, 1), ("threads", threads, 1),
                                ("warm-up", warmup, 0), ("repeats", repeats, 1), ("interleave", interleave, 1)):
            if not isinstance(value, int) or value < lo:
                raise InputError(f"{name} must be an integer >= {lo}, got {value!r}")
        device = _resolve_device(device)
        if clock not in ("auto", "cpu", "wall") or (clock == "cpu" and device == "cuda"):
            raise InputError(f"clock {clock!r}: 'auto', 'wall', or 'cpu' (CPU device only)")
        clock = ("wall" if device == "cuda" else "cpu") if clock == "auto" else clock
        return cls(search_space, size, batch, threads, warmup, repeats, image if nb else "",
                   "" if nb else structure, device, clock, interleave, _reference(search_space, reference))

    @property
    def columns(self) -> tuple[str, ...]:
        """Columns of this run's CSV file."""
        return COLUMNS + REFERENCE_COLUMNS if self.reference else COLUMNS


def _reference(search_space: str, reference: str | None) -> str:
    """The reference architecture's name: '' (none), 'auto' resolved, or a checked name."""
    if reference in (None, "", "none"):
        return ""
    if reference == "auto":
        return AUTO_REFERENCE[search_space]
    space = get_space(search_space)
    try:
        return space.array_to_names(space.validate(space.names_to_array([reference])))[0]
    except InputError:
        raise InputError(f"reference {reference!r} is not an architecture of {search_space} "
                         f"(e.g. {AUTO_REFERENCE[search_space]!r}), 'auto' or 'none'") from None


def _resolve_device(device: str) -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device not in ("cpu", "cuda"):
        raise InputError(f"unknown device {device!r}; 'auto', 'cpu' or 'cuda'")
    if device == "cuda" and not torch.cuda.is_available():
        raise InputError("device 'cuda' asked for, but torch sees no GPU")
    return device


def machine_description(settings: Settings) -> dict:
    """The machine a run measures on: CPU model, cores, GPU, torch and Python versions, threads."""
    import torch

    desc = {"cpu_model": cpu_model(), "machine": platform.machine(), "system": platform.system(),
            "logical_cpus": os.cpu_count(), "torch": torch.__version__, "python": platform.python_version(),
            "threads": settings.threads, "mkldnn": bool(torch.backends.mkldnn.is_available())}
    if settings.device == "cuda":
        desc["gpu"] = torch.cuda.get_device_name(0)
    return desc


def select_archs(search_space: str, archs: str | int = "all", seed: int = 0) -> np.ndarray:
    """The architectures to measure, in measuring order: all of the space, ``N`` of them, or those
    a file names.

    Parameters
    ----------
    search_space : {'nb201', 'transnas_macro'}
    archs : 'all', int or path
        ``'all'``: every architecture (15625 cells / 3256 macro networks); N: the first N of the
        same seeded random order (so a sample of 500 is contained in a sample of 1000); a path: a
        text file of architecture names, one per line (``#`` starts a comment), in that order (as
        ``hwlib transfer --pick N`` writes them).
    seed : int

    Returns
    -------
    ndarray of int64, shape (n, 6)
    """
    if search_space not in ("nb201", "transnas_macro"):
        raise InputError(f"cannot measure search space {search_space!r}; 'nb201' or 'transnas_macro'")
    if isinstance(archs, (str, os.PathLike)) and str(archs) != "all" and not str(archs).isdigit():
        return _archs_from_file(search_space, Path(archs))
    A = all_archs(search_space)
    A = A[np.random.default_rng(seed).permutation(len(A))]
    if archs == "all":
        return A
    try:
        n = int(archs)
    except (TypeError, ValueError):
        raise InputError(f"--archs must be 'all' or a number, got {archs!r}") from None
    if not 1 <= n <= len(A):
        raise InputError(f"--archs {n}: must be in 1..{len(A)} for {search_space}")
    return A[:n]


def time_network(net, settings: Settings) -> tuple[np.ndarray, np.ndarray]:
    """Seconds of each of ``settings.repeats`` timed forward passes (after the warm-up).

    Returns
    -------
    (ndarray, ndarray), each of shape (repeats,)
        Times on ``settings.clock``, and wall-clock times.
    """
    times, wall = time_networks([net], settings)
    return times[0], wall[0]


def time_networks(nets: Sequence, settings: Settings) -> tuple[np.ndarray, np.ndarray]:
    """Time several networks in turns: each warmed up, then round ``r`` times one pass of each.

    Interleaving spreads the repeats of one network over the time of the whole group, so that a
    burst of interference from other programs touches one repeat of many networks instead of
    every repeat of one (the median over repeats then removes it). To time a reference network
    in every round, make it the first of ``nets``.

    Returns
    -------
    (ndarray, ndarray), each of shape (len(nets), repeats)
        Seconds on ``settings.clock``, and wall-clock seconds.
    """
    import torch

    s = settings
    cuda = s.device == "cuda"
    x = torch.randn(s.batch, 3, s.input_size, s.input_size, generator=torch.Generator().manual_seed(0)).to(s.device)
    nets = [net.to(s.device) for net in nets]
    cpu_clock = time.thread_time_ns if s.threads == 1 else time.process_time_ns
    times, wall = np.empty((len(nets), s.repeats)), np.empty((len(nets), s.repeats))
    with torch.inference_mode():
        for net in nets:
            for _ in range(s.warmup):
                net(x)
        for r in range(s.repeats):
            for i, net in enumerate(nets):
                if cuda:
                    torch.cuda.synchronize()
                t0, c0 = time.perf_counter_ns(), cpu_clock()
                net(x)
                if cuda:
                    torch.cuda.synchronize()
                c1, t1 = cpu_clock(), time.perf_counter_ns()
                wall[i, r] = (t1 - t0) * 1e-9
                times[i, r] = (c1 - c0) * 1e-9 if s.clock == "cpu" else wall[i, r]
    return times, wall


def _record(name: str, times: np.ndarray, wall: np.ndarray, ref: np.ndarray | None = None) -> str:
    """One CSV line; ``ref``: the reference's times in the same group (adds :data:`REFERENCE_COLUMNS`)."""
    ms = times * 1e3
    q25, med, q75 = np.percentile(ms, [25, 50, 75])
    extra = "" if ref is None else f",{np.percentile(ref * 1e3, 25):.6g},{ref.min() * 1e3:.6g}"
    return (f"{name},{med:.6g},{q25:.6g},{q75:.6g},{ms.min():.6g},{np.median(wall) * 1e3:.6g},{len(ms)},"
            f"{int(time.time())}{extra}\n")


def read_measurements(path: str | os.PathLike, *, repair: bool = False) -> pd.DataFrame:
    """The records of a measurement CSV (one row per architecture).

    Parameters
    ----------
    path : path
    repair : bool
        Rewrite the file (atomically) without a trailing line cut short by a crash.

    Returns
    -------
    pandas.DataFrame
        The columns of the file; with a reference network also ``norm_q25_ms`` (see the module
        docstring).

    Raises
    ------
    DataError
        When the file is not a measurement table or holds an architecture twice.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: measurement file not found")
    text = _read_text(path)
    lines = text.splitlines(keepends=True)
    headers = {",".join(c) + "\n": len(c) for c in (COLUMNS, COLUMNS + REFERENCE_COLUMNS)}
    if not lines or lines[0] not in headers:
        raise DataError(f"{path}: not a measurement table (expected the header {','.join(COLUMNS)!r}, "
                        f"optionally followed by {','.join(REFERENCE_COLUMNS)!r})")
    header, width = lines[0], headers[lines[0]]
    good = [ln for ln in lines[1:] if ln.endswith("\n") and ln.count(",") == width - 1]
    if len(good) != len(lines) - 1:
        if len(good) < len(lines) - 2 or lines[-1].endswith("\n"):
            raise DataError(f"{path}: malformed line inside the table")
        log.warning("%s: dropped a trailing line cut short", path)
        if repair:
            atomic_write(path, header + "".join(good))
    from io import StringIO
    frame = pd.read_csv(StringIO(header + "".join(good)))
    if frame["arch"].duplicated().any():
        raise DataError(f"{path}: architecture {frame['arch'][frame['arch'].duplicated()].iloc[0]!r} appears twice")
    for column in frame.columns[1:]:
        values = frame[column]
        bad = values[values.notna() & pd.to_numeric(values, errors="coerce").isna()]
        if len(bad):
            raise DataError(f"{path}: column {column!r} holds {bad.iloc[0]!r}, not a number")
    if "ref_q25_ms" in frame:
        frame["norm_q25_ms"] = frame["q25_ms"] / frame["ref_q25_ms"] * frame["ref_q25_ms"].median()
    return frame


def _read_text(path: Path) -> str:
    """The text of ``path``; a :class:`DataError` naming it when it is not UTF-8 text."""
    try:
        return path.read_text()
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not a text file (byte {exc.start}: {exc.reason})") from None


def _sidecar(path: Path, settings: Settings) -> None:
    """Write or check ``<path>.json`` (settings and machine); raises :class:`InputError` on a mismatch."""
    meta_path = path.with_name(path.name + ".json")
    machine = machine_description(settings)
    if meta_path.is_file():
        try:
            meta = json.loads(_read_text(meta_path))
        except ValueError as exc:
            raise DataError(f"{meta_path}: unreadable measurement description ({exc})") from None
        defaults = {f.name: f.default for f in fields(Settings) if f.default is not MISSING}
        if {**defaults, **meta.get("settings", {})} != asdict(settings):  # (fields added since)
            raise InputError(f"{path} was measured with other settings ({meta.get('settings')}); "
                             "use another output file or the same settings")
        if meta.get("machine") != machine:
            raise InputError(f"{path} was measured on another machine or software ({meta.get('machine')})")
        return
    if path.is_file() and path.stat().st_size:
        raise InputError(f"{path} holds measurements but its description {meta_path.name} is missing: restore it, "
                         "or measure into another file (records without their settings cannot be resumed)")
    atomic_write_json(meta_path, {"settings": asdict(settings), "machine": machine,
                                  "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})


def _archs_from_file(search_space: str, path: Path) -> np.ndarray:
    """Architectures named in ``path``, one per line; a clear error for a missing file or a bad name."""
    if not path.is_file():
        raise InputError(f"--archs: {str(path)!r} is neither 'all', a number nor a file of architecture names")
    lines = [line.split("#", 1)[0].strip() for line in _read_text(path).splitlines()]
    names = [line for line in lines if line]
    if not names:
        raise InputError(f"--archs: {path} names no architecture")
    space = get_space(search_space)
    for number, line in enumerate(lines, 1):
        if line:
            try:
                space.names_to_array([line])
            except InputError as exc:
                raise InputError(f"--archs: {path}, line {number}: {exc}") from None
    if len(set(names)) < len(names):
        raise InputError(f"--archs: {path} names an architecture twice")
    return space.names_to_array(names)


def measure(settings: Settings, A: np.ndarray, out: str | os.PathLike, *, cpus: Sequence[int] | None = None,
            progress: bool = True, skip: Sequence[str | os.PathLike] = ()) -> pd.DataFrame:
    """Measure every architecture of ``A`` not yet in ``out``; resumable.

    Parameters
    ----------
    settings : Settings
    A : ndarray of int, shape (n, 6)
        Architectures in measuring order.
    out : path
        The CSV file (created with its header if missing; appended to, one line per architecture).
    cpus : sequence of int, optional
        Pin this process to these CPU cores (Linux).
    progress : bool
        Show a tqdm bar with the time left.
    skip : sequence of paths
        Other measurement files (of a second process measuring the same order from its end, say);
        architectures recorded there when the run starts are not measured.

    Returns
    -------
    pandas.DataFrame
        Every record of the file (:data:`COLUMNS`).
    """
    import torch

    out = Path(out)
    space = get_space(settings.search_space)
    names = space.array_to_names(space.validate(A))
    if cpus:
        try:
            os.sched_setaffinity(0, set(cpus))
        except (AttributeError, OSError) as exc:
            raise InputError(f"cannot pin to CPUs {list(cpus)}: {exc}") from None
    torch.set_num_threads(settings.threads)
    _sidecar(out, settings)
    with _claimed(out):
        return _measure_into(out, settings, names, A, progress, skip)


def _measure_into(out: Path, settings: Settings, names, A, progress: bool, skip) -> pd.DataFrame:
    from tqdm.auto import tqdm

    space = get_space(settings.search_space)
    if not out.is_file():
        atomic_write(out, ",".join(settings.columns) + "\n")
    done = set(read_measurements(out, repair=True)["arch"])
    for other in skip:
        done |= set(read_measurements(other)["arch"])
    todo = [(n, a) for n, a in zip(names, np.asarray(A)) if n not in done]
    log.info("%s: %d of %d architectures to measure", out, len(todo), len(names))
    reference = ([build_network(settings.search_space, space.names_to_array([settings.reference])[0],
                                image=settings.image or "cifar10", structure=settings.structure or "backbone")]
                 if settings.reference else [])
    fd = os.open(out, os.O_WRONLY | os.O_APPEND)
    try:
        bar = tqdm(total=len(todo), desc=f"measure {settings.search_space}", unit="arch", disable=not progress)
        for start in range(0, len(todo), settings.interleave):
            group = todo[start:start + settings.interleave]
            nets = [build_network(settings.search_space, arch, image=settings.image or "cifar10",
                                  structure=settings.structure or "backbone") for _, arch in group]
            times, wall = time_networks(reference + nets, settings)
            ref = times[0] if reference else None
            for (name, _), t, w in zip(group, times[len(reference):], wall[len(reference):]):
                os.write(fd, _record(name, t, w, ref).encode())
            bar.update(len(group))
        bar.close()
    finally:
        os.close(fd)
    return read_measurements(out)


def merge_measurements(source: str | os.PathLike, out: str | os.PathLike) -> int:
    """Add the records of ``source`` missing from ``out`` (same settings and machine); returns how many.

    For a space measured by two processes (one from each end of the measuring order), after both
    stopped; ``out`` is rewritten atomically. Raises :class:`InputError` when the two files' descriptions differ.
    """
    source, out = Path(source), Path(out)
    metas = []
    for path in (source, out):
        try:
            metas.append(json.loads(path.with_name(path.name + ".json").read_text()))
        except (OSError, ValueError):
            raise DataError(f"{path}.json: missing or unreadable measurement description") from None
    if any(metas[0].get(k) != metas[1].get(k) for k in ("settings", "machine")):
        raise InputError(f"cannot merge {source} into {out}: measured with other settings or on another machine")
    with _claimed(source), _claimed(out):
        have = read_measurements(out, repair=True)
        new = read_measurements(source)
        new = new[~new["arch"].isin(set(have["arch"]))]
        if len(new):
            columns = [c for c in COLUMNS + REFERENCE_COLUMNS if c in have]   # the file's, not derived ones
            atomic_write(out, pd.concat([have, new])[columns].to_csv(index=False, float_format="%.6g"))
    return len(new)


@contextmanager
def _claimed(path: Path) -> Iterator[None]:
    """Hold ``path``'s measurements for this process (a lock on its description ``<path>.json``).

    A second process measuring into the same file, or merging it, is refused with an
    :class:`InputError` instead of appending to a file that the first one replaces.
    """
    handle = try_lock(path.with_name(path.name + ".json"))
    if handle is None:
        raise InputError(f"{path} is in use by another process (measuring into it or merging it); "
                         "wait for it to stop, or use another file")
    with handle:
        yield


def test_retest(first: pd.DataFrame, second: pd.DataFrame, column: str = "median_ms") -> dict:
    """Agreement of two passes over the same architectures (matched by name).

    Parameters
    ----------
    first, second : DataFrame
        Records as :func:`read_measurements` returns them.
    column : str
        The value compared: ``median_ms`` (default), ``min_ms``, ``norm_q25_ms``, ...

    Returns
    -------
    dict
        ``n`` (architectures in both), ``kendalltau`` and ``spearman`` of ``column``, and
        ``median_abs_rel_diff`` (median of ``|a - b| / mean(a, b)``).
    """
    from scipy.stats import spearmanr

    from .metrics import kendalltau

    if column not in first or column not in second:
        raise InputError(f"test-retest: column {column!r} is not in both passes")
    first, second = first.assign(median_ms=first[column]), second.assign(median_ms=second[column])

    both = first.merge(second, on="arch", suffixes=("_a", "_b"))
    if len(both) < 3:
        raise InputError(f"test-retest needs at least 3 architectures in both passes, got {len(both)}")
    a, b = both["median_ms_a"].to_numpy(), both["median_ms_b"].to_numpy()
    return {"n": len(both), "kendalltau": float(kendalltau(a, b)), "spearman": float(spearmanr(a, b)[0]),
            "median_abs_rel_diff": float(np.median(np.abs(a - b) / ((a + b) / 2)))}


def drift_correlation(first: pd.DataFrame, second: pd.DataFrame, column: str = "min_ms",
                      lags: Sequence[int] = (1, 2, 5, 50)) -> dict[int, float]:
    """How the errors of neighbouring records go together: the machine's drift in speed.

    The correlation, over the architectures of ``second`` in its measuring order (its rows), of
    ``log(first / second)`` of a record with that of the record ``lag`` places later. A machine
    whose speed drifts slowly against the time a record takes makes neighbouring errors alike
    (near 1); noise of its own in every record leaves them uncorrelated (near 0).

    Returns
    -------
    dict
        lag -> correlation (lags too long for the records are left out).
    """
    if column not in first or column not in second:
        raise InputError(f"drift: column {column!r} is not in both passes")
    both = second[["arch", column]].merge(first[["arch", column]], on="arch", suffixes=("_b", "_a"), sort=False)
    error = np.log(both[f"{column}_a"].to_numpy() / both[f"{column}_b"].to_numpy())
    return {lag: float(np.corrcoef(error[:-lag], error[lag:])[0, 1]) for lag in lags if lag < len(error) - 2}


#: Statistics a test-retest compares, where both passes have them.
RETEST_COLUMNS = ("median_ms", "wall_median_ms", "min_ms", "norm_q25_ms")


def retest_stats(first: pd.DataFrame, second: pd.DataFrame) -> dict:
    """Per statistic of :data:`RETEST_COLUMNS` that both passes have: :func:`test_retest` (without
    ``n``) and ``drift_lag1`` (:func:`drift_correlation` at lag 1); and ``n``."""
    out: dict = {}
    for c in (c for c in RETEST_COLUMNS if c in first and c in second):
        r = test_retest(first, second, c)
        out["n"] = r.pop("n")
        out[c] = {**r, "drift_lag1": drift_correlation(first, second, c, lags=(1,)).get(1, float("nan"))}
    return out


def retest_report(first: str | os.PathLike, second: str | os.PathLike) -> dict:
    """:func:`retest_stats` of two measurement files, with their paths (``hwlib retest``)."""
    return {"first": str(first), "second": str(second),
            **retest_stats(read_measurements(first), read_measurements(second))}
