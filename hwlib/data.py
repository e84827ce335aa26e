"""The dataset registry: one name per (benchmark, metric), loaded with one call.

>>> from hwlib.data import load_dataset
>>> ds = load_dataset("cifar10-raspi4_latency")          # doctest: +SKIP
>>> ds.A.shape, ds.y.shape, ds.unit                      # doctest: +SKIP
((15625, 6), (15625,), 'ms')

Names
-----
``<image>-<metric>``
    HW-NAS-Bench (Li et al., 2021) on NAS-Bench-201 cells, image in cifar10, cifar100,
    ImageNet16-120. Each uses the most complete source at hand: the official pickle, else HELP's
    complete per-device lists (cifar10 raspi4/pixel3/eyeriss/fpga latency), else the 12554-row table.
``help-<device>``
    HELP's own NB201 latency measurements (GPUs at batch 1/32/256, Xeon CPUs, phones).
``transnas-<task>`` / ``transnas_micro-<task>``
    TransNAS-Bench-101 inference time on the macro space (official file) / micro space.
``<image>-test_accuracy``
    NAS-Bench-201 200-epoch test accuracy (%), used by the selection simulation.
``own-cpu_latency`` / ``transnas_macro-cpu_latency``
    The project's own measurements (``hwlib measure``, committed under ``data/devices/``): NB201
    cells (cifar10 configuration) and TransNAS-Bench-101 macro backbones on this project's CPU.
``nb201-flops`` / ``nb201-params`` / ``transnas_macro-flops`` / ``transnas_macro-params``
    Exact multiply-accumulates (millions) and parameters (millions) of every architecture
    (:mod:`hwlib.networks`; NB201 cifar10 at 32 pixels, macro backbones at 224 pixels).
Your own
    Any CSV of measurements by architecture name, registered by :func:`register_measurements`
    (the command line registers a ``--dataset`` that names a ``.csv`` file).
"""

from __future__ import annotations

import difflib
import hashlib
import logging
import os
from pathlib import Path
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Callable

import numpy as np
import pandas as pd

from . import formats
from .errors import DataError, InputError
from .files import HELP_DEVICES, is_present, locate, sha256_file
from .paths import project_root
from .spaces import NB201_OPS, get_space, micro_all, nb201_str_to_ops

__all__ = ["Dataset", "load_dataset", "list_datasets", "dataset_table", "load_accuracy",
           "hard_datasets", "nb201_archs", "clear_caches", "arch_record", "IMAGE_DATASETS", "HWNAS_METRICS", "TRANSNAS_TASKS",
           "OWN_DATASETS", "devices_dir", "register_measurements", "register_sample", "worker_pool", "space_archs"]

log = logging.getLogger(__name__)

IMAGE_DATASETS = ("cifar10", "cifar100", "ImageNet16-120")
#: HW-NAS-Bench metrics and their units.
HWNAS_METRICS = {
    "edgegpu_latency": "ms", "edgegpu_energy": "mJ", "raspi4_latency": "ms", "edgetpu_latency": "ms",
    "pixel3_latency": "ms", "eyeriss_latency": "ms", "eyeriss_energy": "mJ",
    "eyeriss_arithmetic_intensity": "OPs/byte", "fpga_latency": "ms", "fpga_energy": "mJ",
}
TRANSNAS_TASKS = ("class_scene", "class_object", "room_layout", "jigsaw", "segmentsemantic",
                  "normal", "autoencoder")
#: The paper's five hard, non-redundant datasets (Section 4), and the cifar10 stand-ins.
PAPER_HWNAS = ("ImageNet16-120-raspi4_latency", "cifar100-pixel3_latency", "cifar10-edgegpu_latency",
               "cifar100-edgegpu_energy", "ImageNet16-120-eyeriss_arithmetic_intensity")
PAPER_TRANSNAS_TASKS = TRANSNAS_TASKS[:5]

_NB201_N = 15625
_HELP_HWNAS = {"raspi4_latency": "raspi4", "pixel3_latency": "pixel3",
               "eyeriss_latency": "eyeriss", "fpga_latency": "fpga"}
_F_ARCH2IDX = "nb201/help_latency/str_arch2idx.pt"
_F_ACC = "nb201/nats_bench_accuracy.csv"
_F_HWCSV = "hwnasbench/cifar10_alldata.csv"
_F_HWPKL = "hwnasbench/HW-NAS-Bench-v1_0.pickle"
_F_MICRO_LAT = "transnas/micro_latency_all_tasks.pt"
_F_MICRO_DB, _F_MACRO_DB = "transnas/micro.mindrecord.db", "transnas/macro.mindrecord.db"
_F_TNAS_PTH = "transnas/transnas-bench_v10141024.pth"


@dataclass(frozen=True, eq=False)
class Dataset:
    """A hardware (or accuracy) metric over the architectures of one search space.

    Attributes
    ----------
    name : str
        Registry name, e.g. ``'cifar10-raspi4_latency'``.
    search_space : str
        ``'nb201'``, ``'transnas_macro'`` or ``'transnas_micro'``.
    A : ndarray of int64, shape (n, 6)
        Architectures as op codes (:mod:`hwlib.spaces`).
    y : ndarray of float64, shape (n,)
        Raw metric values, in ``unit``.
    index : ndarray of int64, shape (n,)
        Benchmark index of each architecture (NB201 index; micro index; macro API index).
    unit : str
    sources : tuple of (str, str)
        (file key, sha256) of every file the values come from.
    description : str
        Where the values come from and what they cover.
    """

    name: str
    search_space: str
    A: np.ndarray
    y: np.ndarray
    index: np.ndarray
    unit: str
    sources: tuple[tuple[str, str], ...]
    description: str = ""

    @property
    def n_archs(self) -> int:
        return int(self.y.shape[0])

    @cached_property
    def y_z(self) -> np.ndarray:
        """Values z-scored over all architectures (mean 0, population std 1), as the protocol says."""
        std = self.y.std()
        return (self.y - self.y.mean()) / (std if std > 0 else 1.0)

    @property
    def checksum(self) -> str:
        """One digest of the source files' checksums: part of every cached result's key."""
        import hashlib
        return hashlib.sha256("".join(h for _, h in self.sources).encode()).hexdigest()[:16]


# ----------------------------------------------------------------------------- file readers


def _source(key: str) -> tuple[str, str]:
    return key, sha256_file(locate(key))


@lru_cache(maxsize=1)
def nb201_archs() -> np.ndarray:
    """All 15625 NB201 cells as op codes, row i = NB201 index i (from HELP's ``str_arch2idx``)."""
    key = _F_ARCH2IDX
    table = formats.load_torch_plain(locate(key))
    if not isinstance(table, dict) or len(table) != _NB201_N:
        raise DataError(f"{key}: expected a dict of {_NB201_N} arch strings, got {type(table).__name__}")
    A = np.full((_NB201_N, 6), -1, dtype=np.int64)
    for arch, idx in table.items():
        if not isinstance(idx, int) or not 0 <= idx < _NB201_N:
            raise DataError(f"{key}: index {idx!r} of {arch!r} out of range")
        A[idx] = nb201_str_to_ops(arch)
    if (A < 0).any():
        raise DataError(f"{key}: indices are not a permutation of 0..{_NB201_N - 1}")
    A.setflags(write=False)
    return A


def _as_values(seq, key: str, n: int) -> np.ndarray:
    try:
        y = np.asarray(seq, dtype=np.float64)
    except (TypeError, ValueError):
        raise DataError(f"{key}: values are not numbers") from None
    if y.shape != (n,):
        raise DataError(f"{key}: expected {n} values, got shape {y.shape}")
    return y


@lru_cache(maxsize=None)
def _help_values(device: str) -> np.ndarray:
    key = f"nb201/help_latency/{device}.pt"
    return _as_values(formats.load_torch_plain(locate(key)), key, _NB201_N)


@lru_cache(maxsize=1)
def _hwnas_table() -> pd.DataFrame:
    cols = ["idx", *HWNAS_METRICS, *(f"arch_{i}" for i in range(6))]
    frame = formats.read_csv(locate(_F_HWCSV), cols)
    idx = frame["idx"].to_numpy()
    if not np.issubdtype(idx.dtype, np.integer) or idx.min() < 0 or idx.max() >= _NB201_N \
            or len(np.unique(idx)) != len(idx):
        raise DataError(f"{_F_HWCSV}: column idx must hold distinct NB201 indices")
    names = frame[[f"arch_{i}" for i in range(6)]].to_numpy()
    try:
        A = np.vectorize(NB201_OPS.index, otypes=[np.int64])(names)
    except ValueError:
        raise DataError(f"{_F_HWCSV}: unknown op name in columns arch_0..arch_5") from None
    if not np.array_equal(A, nb201_archs()[idx]):
        raise DataError(f"{_F_HWCSV}: arch columns disagree with the NB201 index of column idx")
    return frame.sort_values("idx").reset_index(drop=True)


@lru_cache(maxsize=1)
def _hwnas_official() -> dict:
    data = formats.load_plain_pickle(locate(_F_HWPKL))
    try:
        bench = data["nasbench201"]
        for image in IMAGE_DATASETS:
            for metric in HWNAS_METRICS:
                _as_values(bench[image][metric], f"{_F_HWPKL}[{image}][{metric}]", _NB201_N)
    except (KeyError, TypeError):
        raise DataError(f"{_F_HWPKL}: not the HW-NAS-Bench layout "
                        "d['nasbench201'][dataset][metric]") from None
    return bench


@lru_cache(maxsize=1)
def _accuracy_table() -> pd.DataFrame:
    cols = ["CIFAR10TestAccuracy200Epochs", "CIFAR100TestAccuracy200Epochs",
            "ImageNetTestAccuracy200Epochs", "ArchitectureString"]
    frame = formats.read_csv(locate(_F_ACC), cols)
    if len(frame) != _NB201_N:
        raise DataError(f"{_F_ACC}: expected {_NB201_N} rows, got {len(frame)}")
    A = get_space("nb201").names_to_array(frame["ArchitectureString"].tolist())
    if not np.array_equal(A, nb201_archs()):
        raise DataError(f"{_F_ACC}: row order disagrees with the NB201 index")
    return frame


@lru_cache(maxsize=2)
def _transnas_archs(space: str) -> np.ndarray:
    key = _F_MICRO_DB if space == "transnas_micro" else _F_MACRO_DB
    labels = formats.read_sqlite_labels(locate(key))
    expected = 4096 if space == "transnas_micro" else 3256
    if len(labels) != expected:
        raise DataError(f"{key}: expected {expected} architectures, got {len(labels)}")
    A = get_space(space).names_to_array(labels)
    if space == "transnas_micro" and not np.array_equal(A, micro_all()):
        raise DataError(f"{key}: micro cells are not in micro-index order")
    return A


def space_archs(search_space: str) -> np.ndarray:
    """Every architecture of a search space, in benchmark-index order (row ``i`` has index ``i``,
    the order of :attr:`Dataset.index`): 15625 NB201 cells, 4096 micro cells, 3256 macro backbones."""
    get_space(search_space)  # an unknown space raises here
    return nb201_archs() if search_space == "nb201" else _transnas_archs(search_space)


@lru_cache(maxsize=1)
def _micro_latency() -> np.ndarray:
    n = len(TRANSNAS_TASKS) * 4096
    return _as_values(formats.load_torch_plain(locate(_F_MICRO_LAT)), _F_MICRO_LAT, n).reshape(-1, 4096)


@lru_cache(maxsize=1)
def _transnas_official() -> dict:
    data = formats.load_torch_plain(locate(_F_TNAS_PTH))
    try:
        return data["data"]["macro"]
    except (KeyError, TypeError):
        raise DataError(f"{_F_TNAS_PTH}: not the TransNAS-Bench-101 layout d['data']['macro']") from None


# ----------------------------------------------------------------------------- the registry

Loaded = tuple[np.ndarray, np.ndarray, np.ndarray, tuple[tuple[str, str], ...], str]


@dataclass(frozen=True)
class _Source:
    """One way to load a dataset: the files it needs and the loader."""

    files: tuple[str, ...]
    load: Callable[[], Loaded]
    label: str

    def present(self) -> bool:
        return all(is_present(f) for f in self.files)


@dataclass(frozen=True)
class _Entry:
    name: str
    search_space: str
    unit: str
    sources: tuple[_Source, ...] = field(default_factory=tuple)

    def source(self) -> _Source | None:
        return next((s for s in self.sources if s.present()), None)


def _nb201_values(y: np.ndarray, files: tuple[str, ...], what: str, keep=None) -> Loaded:
    """Full NB201 vector -> (A, y, index), dropping entries where ``keep`` is False."""
    index = np.arange(_NB201_N) if keep is None else np.flatnonzero(keep)
    desc = f"{what}; {len(index)} of {_NB201_N} NB201 cells"
    return nb201_archs()[index], y[index], index, tuple(_source(f) for f in files), desc


def _from_official(image: str, metric: str) -> Loaded:
    y = _as_values(_hwnas_official()[image][metric], _F_HWPKL, _NB201_N)
    return _nb201_values(y, (_F_HWPKL,), "official HW-NAS-Bench pickle", keep=y >= 0)


def _from_help(device: str, what: str) -> Loaded:
    y = _help_values(device)
    return _nb201_values(y, (f"nb201/help_latency/{device}.pt", _F_ARCH2IDX), what, keep=y >= 0)


def _from_table(metric: str) -> Loaded:
    frame = _hwnas_table()
    y = frame[metric].to_numpy(dtype=np.float64)
    keep = y >= 0                                   # edgetpu_latency holds -1 where compiling failed
    idx = frame["idx"].to_numpy()[keep]
    desc = f"HW-NAS-Bench table (12554-row); {len(idx)} of {_NB201_N} NB201 cells"
    return nb201_archs()[idx], y[keep], idx, (_source(_F_HWCSV), _source(_F_ARCH2IDX)), desc


def _from_accuracy(image: str) -> Loaded:
    col = {"cifar10": "CIFAR10", "cifar100": "CIFAR100", "ImageNet16-120": "ImageNet"}[image]
    y = _accuracy_table()[f"{col}TestAccuracy200Epochs"].to_numpy(dtype=np.float64)
    return _nb201_values(y, (_F_ACC, _F_ARCH2IDX), "NAS-Bench-201 200-epoch test accuracy")


def _from_micro(task: str) -> Loaded:
    y = _micro_latency()[TRANSNAS_TASKS.index(task)]
    files = (_F_MICRO_LAT, _F_MICRO_DB)
    return (_transnas_archs("transnas_micro"), y, np.arange(4096), tuple(_source(f) for f in files),
            "TransNAS-Bench-101 micro-space inference time; 4096 cells")


def _from_macro(task: str) -> Loaded:
    data, A = _transnas_official(), _transnas_archs("transnas_macro")
    names = get_space("transnas_macro").array_to_names(A)
    try:
        y = np.array([data[n][task]["model_info"]["inference_time"] for n in names], dtype=np.float64)
    except (KeyError, TypeError, ValueError):
        raise DataError(f"{_F_TNAS_PTH}: no inference_time of task {task!r} for every macro arch") from None
    files = (_F_TNAS_PTH, _F_MACRO_DB)
    return (A, y * 1e3, np.arange(len(A)), tuple(_source(f) for f in files),
            "official TransNAS-Bench-101 macro-space inference time; 3256 networks")


def devices_dir() -> Path:
    """Where the project's own measurements live: ``$HWLIB_DEVICES_DIR``, else ``data/devices/`` of the
    project (committed)."""
    value = os.environ.get("HWLIB_DEVICES_DIR", "").strip()
    return Path(value).expanduser().resolve() if value else project_root() / "data" / "devices"


#: The project's own datasets: name -> (search space, file under data/devices, column, unit, scale, what).
#: Latency is the fastest of an architecture's repeats (on a shared machine interference only adds
#: time), or, where a reference network was timed beside it, its lower quartile relative to the
#: reference's (``norm_q25_ms``, :func:`hwlib.measure.read_measurements`): the retest passes show
#: these to be the most reproducible statistics.
OWN_DATASETS = {
    "own-cpu_latency": ("nb201", "own_cpu/nb201-cifar10-s32-ref.csv", "norm_q25_ms", "ms", 1.0,
                        "own CPU latency (lower quartile of 15 repeats timed in turns beside a reference network, "
                        "divided by the reference's and scaled by its median, on a quiet machine), NB201 cifar10 "
                        "network, 32 px, batch 1, 1 thread"),
    "transnas_macro-cpu_latency": ("transnas_macro", "own_cpu/transnas_macro-s64-quiet.csv", "min_ms", "ms", 1.0,
                                   "own CPU latency (fastest of 5 repeats timed in turns, on a quiet machine), TransNAS "
                                   "macro backbone, 64 px, batch 1, 1 thread"),
    "nb201-flops": ("nb201", "counts/nb201-cifar10-s32.csv", "macs", "MMAC", 1e-6,
                    "exact multiply-accumulates, NB201 cifar10 network, 32 px"),
    "nb201-params": ("nb201", "counts/nb201-cifar10-s32.csv", "params", "M", 1e-6,
                     "exact parameter count, NB201 cifar10 network"),
    "transnas_macro-flops": ("transnas_macro", "counts/transnas_macro-s224.csv", "macs", "MMAC", 1e-6,
                             "exact multiply-accumulates, TransNAS macro backbone, 224 px"),
    "transnas_macro-params": ("transnas_macro", "counts/transnas_macro-s224.csv", "params", "M", 1e-6,
                              "exact parameter count, TransNAS macro backbone"),
}


@dataclass(frozen=True)
class _OwnSource(_Source):
    """A source whose first file is under :func:`devices_dir` (the others in the data directory)."""

    def present(self) -> bool:
        return (devices_dir() / self.files[0]).is_file() and all(is_present(f) for f in self.files[1:])


def _from_own(name: str) -> Loaded:
    """One of :data:`OWN_DATASETS`: values by architecture name, ordered by benchmark index."""
    space_name, rel, column, _, scale, what = OWN_DATASETS[name]
    return _read_own(devices_dir() / rel, f"devices/{rel}", space_name, column, what, scale)


def _read_table(path: Path) -> pd.DataFrame:
    """A file of measurements: ``hwlib measure``'s table (with ``norm_q25_ms`` when a reference
    network was timed), else any CSV with an ``arch`` column."""
    from .measure import COLUMNS, read_measurements

    try:
        with open(path) as f:
            first = f.readline()
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: not a readable CSV table ({exc})") from None
    if first.startswith(",".join(COLUMNS)):
        return read_measurements(path)
    return formats.read_csv(path, ["arch"])


def _read_own(path: Path, label: str, space_name: str, column: str, what: str, scale: float = 1.0) -> Loaded:
    """Measurements by architecture name in file ``path`` (``label``: its name in the sources),
    column ``column``, ordered by benchmark index."""
    frame = _read_table(path)
    if column not in frame:
        raise DataError(f"{path}: no column {column!r} (columns: {', '.join(map(str, frame.columns))})")
    space = get_space(space_name)
    names = frame["arch"].astype(str).tolist()
    try:
        A = space.names_to_array(names)
    except InputError as exc:
        row = next((i for i, name in enumerate(names) if not _parses(space_name, name)), None)
        raise DataError(f"{path}: " + (f"row {row + 1} of the arch column: " if row is not None else "") + str(exc)
                        ) from None
    y = _as_values(frame[column].to_numpy(), str(path), len(frame)) * scale
    bad = ~np.isfinite(y)
    if bad.any():
        raise DataError(f"{path}: {bad.sum()} value(s) of column {column!r} are not finite numbers (first: "
                        f"{frame['arch'].iloc[int(np.argmax(bad))]}); remove those rows")
    ref_key = _F_ARCH2IDX if space_name == "nb201" else _F_MACRO_DB
    ref = nb201_archs() if space_name == "nb201" else _transnas_archs(space_name)
    lookup = {a: i for i, a in enumerate(map(tuple, ref.tolist()))}
    index = np.array([lookup.get(a, -1) for a in map(tuple, A.tolist())], dtype=np.int64)
    if (index < 0).any():
        raise DataError(f"{path}: {frame['arch'].iloc[int(np.argmax(index < 0))]!r} is not among the "
                        f"{len(ref)} architectures of {space_name}")
    repeated = pd.Series(index).duplicated()
    if repeated.any():
        raise DataError(f"{path}: {repeated.sum()} architecture(s) appear more than once (first: "
                        f"{frame['arch'].iloc[int(np.argmax(repeated))]!r}); keep one row per architecture")
    order = np.argsort(index)
    desc = f"{what}; {len(index)} of {len(ref)} architectures"
    # the column is part of the identity: the same file read by another column is other data
    digest = hashlib.sha256(f"{sha256_file(path)}:{column}".encode()).hexdigest()
    sources = ((f"{label}:{column}", digest), _source(ref_key))
    return A[order], y[order], index[order], sources, desc


@dataclass(frozen=True)
class _FileSource(_Source):
    """A source whose first file is a path of the user's (the others in the data directory)."""

    def present(self) -> bool:
        return Path(self.files[0]).is_file() and all(is_present(f) for f in self.files[1:])


#: Datasets registered from files by :func:`register_measurements`: name -> (path, column, space).
_REGISTERED: dict[str, tuple[Path, str, str]] = {}
_FILE_SPACES = ("nb201", "transnas_macro", "transnas_micro")


def register_measurements(path: str | os.PathLike, name: str | None = None, column: str | None = None,
                          search_space: str | None = None) -> str:
    """Make a file of one's own measurements a dataset that every hwlib tool takes; its name.

    Parameters
    ----------
    path : path
        A CSV with an ``arch`` column (architecture names of the search space, as ``hwlib
        measure`` and :meth:`hwlib.spaces.SearchSpace.array_to_names` write them, e.g.
        ``|nor_conv_3x3~0|+|none~0|skip_connect~1|+|...|`` for NB201) and the values; any subset of
        the space's architectures, each once.
    name : str, optional
        The dataset's name; default: the file's name without ``.csv``.
    column : str, optional
        The values; default: ``norm_q25_ms`` for a pass of ``hwlib measure`` timed beside a
        reference network, ``min_ms`` for another pass of it, else the file's one numeric column
        besides ``arch``.
    search_space : str, optional
        Default: the one whose names the ``arch`` column holds.

    Returns
    -------
    str
        The name to pass to :func:`load_dataset` (and to ``--dataset`` of the command line).

    Raises
    ------
    DataError
        A missing or unreadable file, unknown architecture names, values that are not finite.
    InputError
        A name taken by another dataset, an unknown column or search space.
    """
    path = Path(path).expanduser().resolve()
    frame = _read_table(path)
    column = column or _value_column(frame, path)
    if column not in frame:
        raise InputError(f"{path}: no column {column!r} (columns: {', '.join(map(str, frame.columns))})")
    search_space = search_space or _names_space(frame["arch"], path)
    get_space(search_space)  # an unknown space raises here
    name = name or path.stem
    if name in _REGISTRY and _REGISTERED.get(name) != (path, column, search_space):
        owner = _REGISTERED[name][0] if name in _REGISTERED else "a benchmark dataset"
        raise InputError(f"dataset name {name!r} is taken by {owner}; register the file under another name")
    what = f"measurements of {path.name}, column {column}"
    load = lambda: _read_own(path, path.name, search_space, column, what)  # noqa: E731
    ref = _F_ARCH2IDX if search_space == "nb201" else _F_MACRO_DB
    before = _REGISTRY.get(name), _REGISTERED.get(name)
    _REGISTRY[name] = _Entry(name, search_space, "ms" if column.endswith("_ms") else "",
                             (_FileSource((str(path), ref), load, "your measurements"),))
    _REGISTERED[name] = (path, column, search_space)
    if before[0] is not None:
        load_dataset.cache_clear()  # the file may have changed since
    try:
        load_dataset(name)  # check the file now: its errors name it
    except Exception:
        for table, old in zip((_REGISTRY, _REGISTERED), before):  # leave no broken entry behind
            if old is None:
                del table[name]
            else:
                table[name] = old
        raise
    return name


def worker_pool(n_jobs: int):
    """A pool of ``n_jobs`` worker processes (:class:`concurrent.futures.ProcessPoolExecutor`,
    spawned) that know the files registered as datasets in this process (one's own
    measurements, samples)."""
    import concurrent.futures as cf
    import multiprocessing

    registered = {name: (str(path), column, space) for name, (path, column, space) in _REGISTERED.items()}
    return cf.ProcessPoolExecutor(n_jobs, mp_context=multiprocessing.get_context("spawn"),
                                  initializer=_restore_registrations, initargs=(registered,))


def _restore_registrations(registered: dict[str, tuple[str, str, str]]) -> None:
    """Register the files that another process registered (in a worker of :func:`worker_pool`)."""
    for name, (path, column, space) in registered.items():
        register_measurements(path, name, column, space)


def register_sample(dataset: str, n: int, seed: int = 0) -> str:
    """A random sample of ``n`` architectures of ``dataset`` as a dataset of its own: what a user
    who measured only those would hold (a CSV in the cache, registered as
    :func:`register_measurements` registers one's own file); its name, ``<dataset>-sample<n>-<seed>``.

    Raises
    ------
    InputError
        ``n`` outside 2..(the dataset's architectures).
    """
    from .paths import atomic_write, cache_dir

    ds = load_dataset(dataset)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 2 <= n <= ds.n_archs:
        raise InputError(f"a sample of {dataset} must hold 2..{ds.n_archs} architectures, got {n!r}")
    pick = np.sort(np.random.default_rng(seed).choice(ds.n_archs, int(n), replace=False))
    name = f"{ds.name}-sample{n}-{seed}"
    frame = pd.DataFrame({"arch": get_space(ds.search_space).array_to_names(ds.A[pick]), "value": ds.y[pick]})
    path = atomic_write(cache_dir() / "samples" / f"{name}.csv", frame.to_csv(index=False, float_format="%.17g"))
    return register_measurements(path, name, "value", ds.search_space)


def _value_column(frame: pd.DataFrame, path: Path) -> str:
    """The default value column of a measurement file (see :func:`register_measurements`)."""
    for column in ("norm_q25_ms", "min_ms"):
        if column in frame:
            return column
    numeric = [c for c in frame.columns if c != "arch" and pd.api.types.is_numeric_dtype(frame[c])]
    if len(numeric) != 1:
        raise InputError(f"{path}: which column holds the values? numeric columns: "
                         f"{', '.join(map(str, numeric)) or 'none'}; name one")
    return numeric[0]


def _names_space(names: pd.Series, path: Path) -> str:
    """The search space whose names ``names`` are."""
    sample = names.astype(str).head(50).tolist()
    parsed = {space_name: [_parses(space_name, name) for name in sample] for space_name in _FILE_SPACES}
    best = max(_FILE_SPACES, key=lambda space_name: sum(parsed[space_name]))
    if sample and all(parsed[best]):
        return best
    if any(parsed[best]):
        row = parsed[best].index(False)
        raise DataError(f"{path}: row {row + 1} of the arch column, {sample[row]!r}, is not an architecture name of "
                        f"{best} (other rows are)")
    raise DataError(f"{path}: the arch column holds no architecture names of {', '.join(_FILE_SPACES)} "
                    f"(first: {sample[0] if sample else 'none'!r})")


def _parses(space_name: str, name: str) -> bool:
    try:
        get_space(space_name).names_to_array([name])
        return True
    except InputError:
        return False


def _own_entries() -> list[_Entry]:
    entries = []
    for name, (space_name, rel, _, unit, _, _) in OWN_DATASETS.items():
        ref = _F_ARCH2IDX if space_name == "nb201" else _F_MACRO_DB
        entries.append(_Entry(name, space_name, unit, (_OwnSource((rel, ref), lambda n=name: _from_own(n),
                                                                  "own measurement"),)))
    return entries


def _build_registry() -> dict[str, _Entry]:
    entries = []
    for image in IMAGE_DATASETS:
        for metric, unit in HWNAS_METRICS.items():
            srcs = [_Source((_F_HWPKL,), lambda i=image, m=metric: _from_official(i, m), "official pickle")]
            if image == "cifar10" and metric in _HELP_HWNAS:
                dev = _HELP_HWNAS[metric]
                srcs.append(_Source((f"nb201/help_latency/{dev}.pt", _F_ARCH2IDX),
                                    lambda d=dev: _from_help(d, "HW-NAS-Bench values via HELP's complete list"),
                                    "complete per-device list"))
            if image == "cifar10":
                srcs.append(_Source((_F_HWCSV, _F_ARCH2IDX), lambda m=metric: _from_table(m), "12554-row table"))
            entries.append(_Entry(f"{image}-{metric}", "nb201", unit, tuple(srcs)))
        entries.append(_Entry(f"{image}-test_accuracy", "nb201", "%",
                              (_Source((_F_ACC, _F_ARCH2IDX), lambda i=image: _from_accuracy(i), "NATS-Bench table"),)))
    for dev in HELP_DEVICES:
        if dev not in _HELP_HWNAS.values():
            entries.append(_Entry(f"help-{dev}", "nb201", "ms", (_Source(
                (f"nb201/help_latency/{dev}.pt", _F_ARCH2IDX),
                lambda d=dev: _from_help(d, "HELP latency measurement"), "HELP list"),)))
    for task in TRANSNAS_TASKS:
        entries.append(_Entry(f"transnas-{task}", "transnas_macro", "ms", (_Source(
            (_F_TNAS_PTH, _F_MACRO_DB), lambda t=task: _from_macro(t), "official TransNAS-Bench-101"),)))
        entries.append(_Entry(f"transnas_micro-{task}", "transnas_micro", "ms", (_Source(
            (_F_MICRO_LAT, _F_MICRO_DB), lambda t=task: _from_micro(t), "HELP's TransNAS micro list"),)))
    entries += _own_entries()
    return {e.name: e for e in entries}


_REGISTRY = _build_registry()


def _entry(name: str) -> _Entry:
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        close = difflib.get_close_matches(str(name), _REGISTRY, n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise InputError(f"unknown dataset {name!r}{hint}; `hwlib datasets` lists them") from None


def list_datasets(available: bool = True) -> list[str]:
    """Dataset names; only those whose files are at hand when ``available``."""
    return [n for n, e in _REGISTRY.items() if not available or e.source() is not None]


@lru_cache(maxsize=None)
def load_dataset(name: str) -> Dataset:
    """Load dataset ``name`` from the most complete source at hand.

    Raises
    ------
    InputError
        For an unknown name.
    DataError
        When its files are missing or corrupted (the message names the file).
    """
    entry = _entry(name)
    source = entry.source()
    if source is None:
        needed = " or ".join("+".join(s.files) for s in entry.sources)
        raise DataError(f"dataset {name!r} needs {needed} in the data directory; "
                        "run `hwlib data fetch`")
    A, y, index, sources, desc = source.load()
    for arr in (A, y, index):
        arr.setflags(write=False)
    log.debug("loaded %s from %s", name, source.label)
    return Dataset(name, entry.search_space, A, y, index, entry.unit, sources, desc)


def dataset_table(available: bool = True) -> pd.DataFrame:
    """One row per dataset: name, search space, architectures, unit, source."""
    rows = []
    for name in list_datasets(available):
        ds = load_dataset(name)
        rows.append({"name": name, "search_space": ds.search_space, "n_archs": ds.n_archs,
                     "unit": ds.unit, "source": ds.description.split(";")[0]})
    return pd.DataFrame(rows, columns=["name", "search_space", "n_archs", "unit", "source"])


def load_accuracy(image_dataset: str) -> np.ndarray:
    """NB201 200-epoch test accuracy (%) of all 15625 cells, element i = NB201 index i."""
    if image_dataset not in IMAGE_DATASETS:
        raise InputError(f"unknown image dataset {image_dataset!r}; one of {', '.join(IMAGE_DATASETS)}")
    return load_dataset(f"{image_dataset}-test_accuracy").y


def hard_datasets(benchmark: str = "hwnas") -> list[str]:
    """The paper's five hard datasets of ``benchmark`` ('hwnas' or 'transnas'), or their stand-ins.

    HW-NAS: the paper's five when the official pickle is at hand, else the same device/metric pairs
    on cifar10 (PROTOCOL.md, "Data and targets"). TransNAS: the macro space's five tasks when the
    official file is at hand, else the micro space's.
    """
    if benchmark == "hwnas":
        names = list(PAPER_HWNAS)
        if not all(n in list_datasets() for n in names):
            names = ["cifar10-" + n.rsplit("-", 1)[1] for n in names]
        return names
    if benchmark == "transnas":
        prefix = "transnas" if f"transnas-{PAPER_TRANSNAS_TASKS[0]}" in list_datasets() else "transnas_micro"
        return [f"{prefix}-{t}" for t in PAPER_TRANSNAS_TASKS]
    raise InputError(f"unknown benchmark {benchmark!r}; 'hwnas' or 'transnas'")


def clear_caches() -> None:
    """Forget every loaded file and dataset (after the data directory changed)."""
    for fn in (nb201_archs, _help_values, _hwnas_table, _hwnas_official, _accuracy_table,
               _transnas_archs, _micro_latency, _transnas_official, load_dataset):
        fn.cache_clear()


def arch_record(arch: str | int) -> dict:
    """One NB201 cell (arch string or index): its index, ops and value in every NB201 dataset at hand."""
    space = get_space("nb201")
    text = str(arch).strip()
    if text.isdigit():
        index = int(text)
        if not 0 <= index < _NB201_N:
            raise InputError(f"NB201 index {index} out of range 0..{_NB201_N - 1}")
        ops = tuple(int(o) for o in nb201_archs()[index])
    else:
        ops = nb201_str_to_ops(text)
        index = int(np.flatnonzero((nb201_archs() == ops).all(axis=1))[0])
    record: dict = {"index": index, "arch": space.to_name(ops), "ops": list(ops)}
    for name in list_datasets():
        ds = load_dataset(name)
        if ds.search_space == "nb201":
            pos = np.searchsorted(ds.index, index)
            if pos < ds.n_archs and ds.index[pos] == index:
                record[name] = float(ds.y[pos])
    return record
