"""Readers for the benchmarks' upstream file formats, admitting plain data only.

Pickles are never unpickled blindly: :class:`PlainUnpickler` resolves only containers, numbers,
strings and numpy arrays/scalars, and refuses every other global (a crafted pickle that would
call ``os.system`` is refused, not executed). ``torch.save`` files are zip archives whose
``data.pkl`` is read with the same unpickler; tensor storages are refused, so no torch import is
needed for the plain lists the benchmarks ship.
"""

from __future__ import annotations

import io
import pickle
import sqlite3
import zipfile
from contextlib import closing
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import DataError

__all__ = ["PlainUnpickler", "load_plain_pickle", "load_torch_plain", "read_csv", "read_sqlite_labels"]

# Globals a plain-data pickle may name: builtin containers and numpy's array/scalar rebuilders.
_ALLOWED_GLOBALS = {
    ("builtins", name) for name in ("dict", "list", "tuple", "set", "frozenset", "int", "float",
                                    "complex", "str", "bytes", "bytearray", "bool", "slice", "range")
} | {("collections", "OrderedDict"), ("collections", "defaultdict"), ("_codecs", "encode")} | {
    (mod, name)
    for mod in ("numpy.core.multiarray", "numpy._core.multiarray")
    for name in ("_reconstruct", "scalar")
} | {("numpy", "ndarray"), ("numpy", "dtype")}


class PlainUnpickler(pickle.Unpickler):
    """An unpickler that builds plain data only; anything else raises :class:`DataError`."""

    def __init__(self, file, source: str):
        super().__init__(file)
        self.source = source

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise DataError(f"{self.source}: refused to unpickle {module}.{name}; "
                        "only plain data (containers, numbers, strings, arrays) is admitted")

    def persistent_load(self, pid: Any) -> Any:
        raise DataError(f"{self.source}: holds tensor storages; only plain data is admitted")


def _unpickle(raw: bytes, source: str) -> Any:
    try:
        return PlainUnpickler(io.BytesIO(raw), source).load()
    except DataError:
        raise
    except Exception as exc:  # truncated or garbled stream
        raise DataError(f"{source}: not a readable pickle ({type(exc).__name__}: {exc})") from None


def load_plain_pickle(path: str | Path) -> Any:
    """Read a pickle file that holds plain data only."""
    path = Path(path)
    return _unpickle(_read_bytes(path), str(path))


def load_torch_plain(path: str | Path) -> Any:
    """Read a ``torch.save`` zip archive whose payload is plain data (lists, dicts, numbers)."""
    path = Path(path)
    raw = _read_bytes(path)
    if not zipfile.is_zipfile(io.BytesIO(raw)):
        if raw[:2] == b"\x80\x02":     # legacy (pre-1.6) torch format: let torch's safe loader read it
            return _load_torch_legacy(path)
        raise DataError(f"{path}: not a torch.save archive (truncated or corrupted?)")
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            member = next((n for n in zf.namelist() if n.endswith("/data.pkl")), None)
            if member is None:
                raise DataError(f"{path}: torch archive without data.pkl")
            payload = zf.read(member)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise DataError(f"{path}: corrupted torch archive ({exc})") from None
    return _unpickle(payload, str(path))


def _load_torch_legacy(path: Path) -> Any:
    import torch  # only for the legacy container; weights_only admits plain data only

    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise DataError(f"{path}: refused or unreadable torch file ({type(exc).__name__})") from None


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror})") from None


def read_csv(path: str | Path, required: list[str]) -> pd.DataFrame:
    """Read a CSV table and check that it has the ``required`` columns."""
    path = Path(path)
    try:
        frame = pd.read_csv(path)
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: not a readable CSV table ({exc})") from None
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise DataError(f"{path}: missing columns {', '.join(missing)}")
    return frame


def read_sqlite_labels(path: str | Path) -> list[str]:
    """Architecture names of a TransNAS-Bench-101 ``*.mindrecord.db`` file, in row order."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    try:
        # a URI, so that the file opens read-only; as_uri escapes '#', '?' and '%' in the path
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as con:
            rows = con.execute("SELECT label_0 FROM INDEXES ORDER BY ROW_ID").fetchall()
    except sqlite3.DatabaseError as exc:
        raise DataError(f"{path}: not a readable SQLite arch list ({exc})") from None
    return [r[0] for r in rows]
