"""The results store: every computed result of the project, under one key scheme.

A *cell* is the unit of work (one predictor fitted on one dataset at one training size with one
seed; one simulation grid point; ...). Its **key** hashes the cell's parameters, the data checksum
and :data:`VERSION`, so a result is found again only when everything that made it is the same.

Two kinds of payload, stored by *table* (a slash-separated name such as
``predictors/cifar10-raspi4_latency/lr``):

- **records**: flat rows (one per cell) in a plain CSV file ``<root>/<table>.csv``, sorted by their
  parameter columns, floats written so that they read back bit for bit: deterministic and
  diff-friendly, so that they can be committed.
- **arrays**: a dict of numpy arrays per cell (``<root>/<table>/<key>.npz``) with its parameters
  in a JSON file beside it, for results too bulky for a row (the simulation's per-trial values).

A store reads from several roots and writes to one. The committed results of the full study
(``results/``, :func:`hwlib.paths.results_dir`) come first, then the local cache
(``.cache/``, :func:`hwlib.paths.cache_dir`); a key found in the committed results is a cache
hit, never recomputed. Every write is atomic (temporary file, then rename): a crash leaves the
old file or the new one.

Provenance: each record carries ``run``, the id of an entry in ``<root>/provenance.json`` that
says what made it (hwlib version and commit, library versions, CPU, Python, dates).
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import logging
import math
import os
import platform
import warnings
import zipfile
from contextlib import contextmanager
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

import numpy as np
import pandas as pd

from .errors import HwlibError, InputError
from .machine import cpu_model, git_commit, kernels
from .paths import atomic_write, atomic_write_json, cache_dir, results_dir

__all__ = ["VERSION", "cell_key", "Store", "default_store", "provenance"]

log = logging.getLogger(__name__)

#: Bumped by hand when the meaning of a stored result changes (splits, metrics, defaults). It is
#: part of every key, so results of another version are simply not found.
VERSION = "2"

#: Libraries whose versions are recorded in the provenance.
_LIBRARIES = ("numpy", "scipy", "pandas", "scikit-learn", "torch", "xgboost-cpu", "lightgbm", "ngboost", "numba")


def cell_key(kind: str, params: Mapping[str, Any], version: str = VERSION) -> str:
    """The key of one cell: a hash of its kind, parameters and the store version.

    Parameters
    ----------
    kind : str
        What the cell is (``'predictor'``, ``'simulation'``, ...): equal parameters of different
        kinds never collide.
    params : mapping
        Everything that determines the result, the data checksum included. JSON-serialisable
        (numpy scalars are converted); key order does not matter.

    Returns
    -------
    str
        24 hex digits.
    """
    blob = json.dumps({"kind": kind, "version": version, "params": params}, sort_keys=True,
                      default=_plain)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def _plain(obj: Any) -> Any:
    if hasattr(obj, "tolist"):          # numpy scalars and arrays
        return obj.tolist()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


class Store:
    """Records and arrays under one write root and any number of read-only roots.

    Parameters
    ----------
    root : path
        Where new results are written (and read).
    read_roots : sequence of paths
        Searched before ``root``, never written (the committed results).
    """

    def __init__(self, root: str | os.PathLike, read_roots: Sequence[str | os.PathLike] = ()):
        self.root = Path(root)
        self.roots = [Path(r) for r in read_roots if Path(r) != Path(root)] + [self.root]
        self._tables: dict[tuple[Path, str], tuple[tuple, pd.DataFrame]] = {}
        # per table file: the frame read last and its records by key, decoded
        self._rows: dict[tuple[Path, str], tuple[pd.DataFrame, dict[str, dict]]] = {}

    def __repr__(self) -> str:
        return f"Store(root={str(self.root)!r}, read_roots={[str(r) for r in self.roots[:-1]]!r})"

    # ------------------------------------------------------------------ records

    def _csv(self, root: Path, table: str) -> Path:
        return root / f"{_check_table(table)}.csv"

    def _read_csv(self, path: Path, table: str) -> pd.DataFrame:
        """The table at ``path`` (empty if absent), re-read only when the file changed."""
        try:
            st = path.stat()
        except FileNotFoundError:
            return pd.DataFrame()
        # every write replaces the file (a new inode): a rewrite within one clock tick differs too
        stamp = (st.st_mtime_ns, st.st_ino, st.st_size)
        cached = self._tables.get((path, table))
        if cached is not None and cached[0] == stamp:
            return cached[1]
        try:
            frame = pd.read_csv(path, dtype={"key": str, "run": str}, keep_default_na=False,
                                na_values=[""], float_precision="round_trip")
        except (OSError, ValueError, pd.errors.ParserError) as exc:
            raise HwlibError(f"results file {path} cannot be read ({exc}); restore it with git "
                             "or delete it to recompute its cells") from None
        if "key" not in frame:
            raise HwlibError(f"results file {path} has no 'key' column")
        self._tables[(path, table)] = (stamp, frame)
        return frame

    def records(self, table: str) -> pd.DataFrame:
        """Every record of ``table`` from every root (a key in an earlier root wins)."""
        frames = [f for root in self.roots if not (f := self._read_csv(self._csv(root, table), table)).empty]
        if not frames:
            return pd.DataFrame()
        return pd.concat(frames, ignore_index=True).drop_duplicates("key", keep="first")

    def get(self, table: str, keys: Iterable[str]) -> dict[str, dict]:
        """The stored records of ``keys`` (missing keys are left out), as plain dicts (fresh
        ones: a caller may change them)."""
        keys = list(keys)
        found: dict[str, dict] = {}
        for root in self.roots:
            path = self._csv(root, table)
            frame = self._read_csv(path, table)
            if frame.empty:
                continue
            records = self._decoded(path, table, frame)
            found.update((k, _copy(records[k])) for k in keys if k in records and k not in found)
        return found

    def _decoded(self, path: Path, table: str, frame: pd.DataFrame) -> dict[str, dict]:
        """The records of ``frame`` (the file's current frame) by key, decoded once per read."""
        cached = self._rows.get((path, table))
        if cached is None or cached[0] is not frame:
            cached = (frame, {r["key"]: r for r in _decoded_records(frame)})
            self._rows[(path, table)] = cached
        return cached[1]

    def put(self, table: str, records: Sequence[Mapping[str, Any]], sort_by: Sequence[str] = ()) -> Path:
        """Add (or replace) records of ``table`` in the write root, atomically.

        Each record needs a ``key``. Dicts and lists are stored as JSON text; the file's rows are
        sorted by ``sort_by`` then ``key`` and its columns by name (``key`` first), so that the
        same records always make the same bytes.
        """
        if not records:
            return self._csv(self.root, table)
        if any("key" not in r for r in records):
            raise ValueError("every record needs a 'key'")
        path = self._csv(self.root, table)
        new = pd.DataFrame([{k: _encode(v) for k, v in r.items()} for r in records])
        with _locked(self.root):            # another process may add to the same table meanwhile
            old = self._read_csv(path, table)
            frame = _concat(old[~old["key"].isin(new["key"])], new) if not old.empty else new
            frame = frame[["key"] + sorted(c for c in frame if c != "key")]
            frame = frame.sort_values([c for c in sort_by if c in frame] + ["key"], kind="stable")
            atomic_write(path, frame.to_csv(index=False, lineterminator="\n", float_format=None))
        self._tables.pop((path, table), None)
        return path

    def tables(self, prefix: str = "") -> list[str]:
        """Names of the record tables under ``prefix`` in any root."""
        names = set()
        for root in self.roots:
            base = root / prefix if prefix else root
            if base.is_dir():
                names.update(str(p.relative_to(root).with_suffix("")) for p in base.rglob("*.csv"))
        return sorted(names)

    # ------------------------------------------------------------------ arrays

    def get_arrays(self, table: str, key: str) -> dict[str, np.ndarray] | None:
        """The arrays stored under ``key`` (None when absent or unreadable)."""
        for root in self.roots:
            path = root / _check_table(table) / f"{key}.npz"
            if path.is_file():
                try:
                    with np.load(path, allow_pickle=False) as f:
                        return {k: f[k] for k in f.files}
                except (OSError, ValueError, EOFError, zipfile.BadZipFile):
                    log.warning("unreadable arrays %s: computed again", path)
        return None

    def has_arrays(self, table: str, key: str) -> bool:
        """Whether arrays are stored under ``key`` (without reading them)."""
        return any((root / _check_table(table) / f"{key}.npz").is_file() for root in self.roots)

    def put_arrays(self, table: str, key: str, params: Mapping[str, Any], arrays: Mapping[str, np.ndarray],
                   run: str | None = None) -> Path:
        """Store ``arrays`` under ``key`` with ``params`` and the provenance id ``run`` beside them
        (``<key>.json``), atomically; ``run`` defaults to :meth:`register_run` now."""
        folder = self.root / _check_table(table)
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        atomic_write_json(folder / f"{key}.json", {"key": key, "version": VERSION, "params": dict(params),
                                                   "run": run or self.register_run()})
        return atomic_write(folder / f"{key}.npz", buf.getvalue())

    # ------------------------------------------------------------------ provenance

    def register_run(self, info: Mapping[str, Any] | None = None) -> str:
        """Record what is producing results now in the write root's ``provenance.json``; its id.

        The id hashes everything but the dates, so one code version on one machine is one entry
        (its ``last_used`` updated).
        """
        info = dict(info or provenance())
        stable = {k: v for k, v in info.items() if k not in ("date", "first_used", "last_used")}
        run = hashlib.sha256(json.dumps(stable, sort_keys=True).encode()).hexdigest()[:12]
        path = self.root / "provenance.json"
        with _locked(self.root):
            runs = _read_provenance(path)
            now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            entry = runs.get(run, {**stable, "first_used": now})
            entry["last_used"] = now
            runs[run] = entry
            atomic_write_json(path, runs)
        return run

    def provenance(self) -> dict[str, dict]:
        """Every provenance entry of every root, by run id."""
        out: dict[str, dict] = {}
        for root in reversed(self.roots):
            out.update(_read_provenance(root / "provenance.json"))
        return out


def _read_provenance(path: Path) -> dict[str, dict]:
    """The runs recorded in ``path`` ({} when absent); a clear error when it cannot be read."""
    if not path.is_file():
        return {}
    try:
        runs = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise HwlibError(f"results provenance {path} cannot be read ({exc}); restore it with git") from None
    if not isinstance(runs, dict):
        raise HwlibError(f"results provenance {path} is not a JSON object of runs; restore it with git")
    return runs


def _concat(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """``old`` rows then ``new`` rows; a column empty in one part keeps the other's values and type."""
    with warnings.catch_warnings():     # pandas warns that it may one day type all-empty columns otherwise
        warnings.simplefilter("ignore", FutureWarning)
        return pd.concat([old, new], ignore_index=True)


@contextmanager
def _locked(root: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``root`` (its ``.lock`` file) while a file of it is rewritten.

    Two processes adding records to one table (the study runner and a chapter, say) would
    otherwise each rewrite it without the other's rows. Where ``fcntl`` is missing (Windows),
    writes are not locked.
    """
    root.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:
        yield
        return
    with open(root / ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _check_table(table: str) -> str:
    parts = table.split("/")
    if not table or any(p in ("", ".", "..") or p.startswith(".") for p in parts):
        raise InputError(f"cannot store results under {table!r}: a part of it is empty or starts with '.' "
                         "(rename the dataset or file it comes from)")
    return table


def _encode(value: Any) -> Any:
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, sort_keys=True, default=_plain)
    if isinstance(value, np.generic):
        return value.item()
    return value


def _decode(value: Any) -> Any:
    """A CSV cell back to a Python value: NaN/empty -> None, JSON text -> dict/list, numpy -> plain."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _decoded_records(frame: pd.DataFrame) -> list[dict]:
    """The rows of ``frame`` as dicts of plain Python values, each cell as :func:`_decode` reads
    it (converted a column at a time: pandas' row-wise ``to_dict`` boxes every value alone)."""
    names = list(frame.columns)
    columns = []
    for name in names:
        col = frame[name]
        if col.dtype.kind in "fiub":
            values = col.to_numpy().tolist()          # Python floats, ints, bools
            if col.dtype.kind == "f" and col.hasnans:
                values = [None if v != v else v for v in values]
        else:
            values = [_decode(v) for v in col.tolist()]
        columns.append(values)
    return [dict(zip(names, row)) for row in zip(*columns)]


def _copy(record: dict) -> dict:
    """A copy of a decoded record that shares nothing changeable with it (its dicts and lists
    copied too)."""
    return {k: copy.deepcopy(v) if isinstance(v, (dict, list)) else v for k, v in record.items()}


def default_store(committed: bool = True) -> Store:
    """The project's store: writes to the cache (``.cache/``), reads the committed ``results/`` first.

    With ``committed=False`` the committed results are not read (everything is recomputed into
    the cache: how the quick profile checks itself against them).
    """
    return Store(cache_dir(), [results_dir()] if committed else [])


def provenance() -> dict[str, Any]:
    """What is computing now: hwlib version and commit, libraries, CPU and its kernels, Python, platform, date."""
    return {**_code_and_machine(), "date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}


@lru_cache(maxsize=1)
def _code_and_machine() -> dict[str, Any]:
    """The provenance that cannot change within a process (read once: two git calls and the
    library metadata, not once per stored group); the commit is that of the code loaded at start."""
    from importlib import metadata

    from . import __version__

    libs = {}
    for name in _LIBRARIES:
        try:
            libs[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return {"hwlib": __version__, "commit": git_commit(), "libraries": libs, "cpu": cpu_model(),
            "kernels": kernels(), "python": platform.python_version(), "platform": platform.platform(terse=True)}
