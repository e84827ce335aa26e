"""Build the executable book: run each chapter with papermill, then render with jupyter-book.

Chapters are jupytext sources in ``chapters/``; each has a cell tagged ``parameters`` whose
``profile`` ('quick' or 'full') picks the experiment sizes. The build executes every chapter
listed in ``_toc.yml`` into ``book/chapters/<name>.ipynb`` (an error cell fails the build), then
renders HTML to ``_build/html`` with ``jupyter-book build book/``, the root ``_config.yml`` and
``_toc.yml`` being the single configuration, warnings as errors. A chapter whose source, profile and library are unchanged since its last run is kept.

Run it as ``python -m hwlib.book --profile quick`` (the README's ``make book`` does).
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import re
import subprocess
import sys
import time
from pathlib import Path

from .errors import HwlibError
from .paths import atomic_write, project_root

__all__ = ["chapter_names", "execute_chapter", "build_book", "PROFILES"]

log = logging.getLogger(__name__)
PROFILES = ("quick", "full")


def chapter_names(root: Path | None = None) -> list[str]:
    """Chapter names (``'01_datasets'``) in the order ``_toc.yml`` lists them."""
    root = root or project_root()
    toc = (root / "_toc.yml").read_text()
    return re.findall(r"file:\s*chapters/([\w-]+)", toc)


def _fingerprint(source: Path, profile: str, params: dict) -> str:
    digest = hashlib.sha256(source.read_bytes())
    for lib in sorted((project_root() / "hwlib").rglob("*.py")):
        digest.update(lib.read_bytes())
    digest.update(repr((profile, sorted(params.items()))).encode())
    return digest.hexdigest()[:20]


def execute_chapter(name: str, profile: str = "quick", force: bool = False, root: Path | None = None,
                    **params) -> Path:
    """Execute ``<root>/chapters/<name>.py`` into ``<root>/book/chapters/<name>.ipynb`` with papermill.

    Raises
    ------
    HwlibError
        When a cell fails (the message names the chapter; the failing notebook is kept beside
        the output as ``<name>.failed.ipynb`` for inspection).
    """
    import jupytext
    import nbformat
    import papermill

    root = root or project_root()
    source = root / "chapters" / f"{name}.py"
    if not source.is_file():
        raise HwlibError(f"no chapter source {source}")
    out = root / "book" / "chapters" / f"{name}.ipynb"
    stamp = out.with_suffix(".stamp")
    key = _fingerprint(source, profile, params)
    if not force and out.is_file() and stamp.is_file() and stamp.read_text() == key:
        log.info("%s: unchanged, kept", name)
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    failed = out.with_suffix(".failed.ipynb")
    raw = out.with_suffix(".source.ipynb")
    nbformat.write(jupytext.read(source), raw)
    started = time.perf_counter()
    try:
        papermill.execute_notebook(str(raw), str(failed), parameters={"profile": profile, **params},
                                   kernel_name="python3", language="python", cwd=str(out.parent),
                                   progress_bar=False)
    except papermill.PapermillExecutionError as exc:
        raise HwlibError(f"chapter {name} failed in cell {exc.exec_count}: {exc.ename}: {exc.evalue} "
                         f"(see {failed})") from None
    finally:
        raw.unlink(missing_ok=True)
    atomic_write(out, failed.read_bytes())
    failed.unlink()
    atomic_write(stamp, key)
    log.info("%s: executed in %.0f s", name, time.perf_counter() - started)
    return out


def build_book(profile: str = "quick", chapters: list[str] | None = None, force: bool = False) -> Path:
    """Execute the chapters, then render the HTML book; returns the path of its index page."""
    root = project_root()
    for name in chapters or chapter_names(root):
        print(f"[book] executing {name} ({profile} profile)", flush=True)
        execute_chapter(name, profile, force=force)
    # Exactly what a user types: book/_toc.yml links to the root _toc.yml, and jupyter-book finds
    # the root _config.yml by itself and writes next to it, to _build/html.
    cmd = [str(Path(sys.executable).with_name("jupyter-book")), "build", "book/", "-W", "-n", "--keep-going"]
    print("[book] rendering:", " ".join(cmd[1:]), flush=True)
    if subprocess.run(cmd, cwd=root).returncode != 0:
        raise HwlibError("jupyter-book build failed (see the messages above)")
    return root / "_build" / "html" / "index.html"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hwlib.book", description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", choices=PROFILES, default="quick",
                        help="quick: minutes on a laptop (CI); full: the paper's sizes (hours)")
    parser.add_argument("--chapter", action="append", help="execute only this chapter (repeatable)")
    parser.add_argument("--force", action="store_true", help="re-execute unchanged chapters")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        index = build_book(args.profile, args.chapter, args.force)
    except HwlibError as exc:
        print(f"hwlib.book: error: {exc}", file=sys.stderr)
        return 2
    print(f"[book] done: {index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
