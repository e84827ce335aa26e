"""Every path hwlib uses, resolved in one place, and atomic writes.

Environment variables
---------------------
HWLIB_DATA_DIR
    Where the benchmark files live (default: ``data/`` in the project root).
HWLIB_DATA_MIRROR
    A local mirror of the benchmark files, laid out like the data directory; ``hwlib data fetch``
    copies from it before trying the upstream addresses.
HWLIB_CACHE_DIR
    Where computed results are cached (default: ``.cache/`` in the project root).
HWLIB_RESULTS_DIR
    The committed results of the full study (default: ``results/`` in the project root).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import IO, Any

from .errors import InputError

__all__ = ["project_root", "data_dir", "mirror_dir", "cache_dir", "results_dir", "atomic_write", "atomic_write_json",
           "try_lock"]


def project_root() -> Path:
    """The folder that holds ``hwlib/`` (the repository root in a checkout)."""
    return Path(__file__).resolve().parent.parent


def _env_path(var: str, default: Path | None) -> Path | None:
    value = os.environ.get(var, "").strip()
    if not value:
        return default
    try:
        path = Path(value).expanduser().resolve()
    except (RuntimeError, OSError) as exc:  # e.g. ~nosuchuser
        raise InputError(f"${var}={value!r}: {exc}") from None
    if path.exists() and not path.is_dir():
        raise InputError(f"${var}={value!r} names a file, not a folder")
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: Mode of the files written here: what ``open`` would give them (``mkstemp`` gives 0600).
_FILE_MODE = 0o666 & ~_umask()


def data_dir() -> Path:
    """The benchmark data directory (``$HWLIB_DATA_DIR`` or ``<root>/data``)."""
    return _env_path("HWLIB_DATA_DIR", project_root() / "data")


def mirror_dir() -> Path | None:
    """The local mirror directory named by ``$HWLIB_DATA_MIRROR``, or None."""
    return _env_path("HWLIB_DATA_MIRROR", None)


def cache_dir() -> Path:
    """The results cache (``$HWLIB_CACHE_DIR`` or ``<root>/.cache``)."""
    return _env_path("HWLIB_CACHE_DIR", project_root() / ".cache")


def results_dir() -> Path:
    """The committed results of the full study (``$HWLIB_RESULTS_DIR`` or ``<root>/results``)."""
    return _env_path("HWLIB_RESULTS_DIR", project_root() / "results")


def atomic_write(path: str | os.PathLike, data: bytes | str) -> Path:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one.

    The bytes go to a temporary file in the same folder, are flushed to disk, then renamed
    over ``path``; a crash leaves no half-written file behind. The file gets the mode a plain
    ``open`` would give it (readable by others under the usual umask).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode() if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), _FILE_MODE)
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_json(path: str | os.PathLike, obj: Any) -> Path:
    """:func:`atomic_write` of ``obj`` as indented JSON."""
    return atomic_write(path, json.dumps(obj, indent=1, sort_keys=True, default=_json_default))


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "tolist"):          # numpy scalars and arrays
        return obj.tolist()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def try_lock(path: str | os.PathLike) -> IO | None:
    """An exclusive lock on ``path`` (created if missing) for this process, or None when another
    holds it. The lock lasts until the returned file is closed, or its process ends. Where
    ``fcntl`` is missing (Windows), nothing is locked and the file is returned all the same."""
    handle = open(path, "a")
    try:
        import fcntl
    except ImportError:  # pragma: no cover
        return handle
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle
