"""Build the executable book: ``jupyter-book build book/`` executes every chapter and renders it.

The chapters are jupytext percent sources in ``chapters/``; ``book/chapters`` is a committed link
to that folder, and the root ``_config.yml`` registers ``.py`` as a notebook format read by
:func:`read_chapter`, so jupyter-book (myst-nb) executes each chapter itself, on any fresh clone,
with no step before it. A failing cell fails the build (``raise_on_error``), and so does a
chapter of ``_toc.yml`` without its page (:func:`setup`, a Sphinx extension the configuration
loads).

The profile: each chapter's ``parameters`` cell reads ``profile = os.environ.get("HWLIB_PROFILE",
"full")``, so a plain build renders the full book from the committed results (``results/``;
nothing expensive is recomputed), and ``HWLIB_PROFILE=quick`` builds CI's quick book. papermill
overrides the parameters of one chapter (README, "Rerun a chapter").

Executed chapters are cached by jupyter-cache (``_build/.jupyter_cache``); :func:`read_chapter`
adds to each chapter a cell whose text holds :func:`build_key` (the profile, a digest of the
library, of the committed results and of the settings that pick the data), so a changed profile,
library or result re-executes the chapter, and nothing else does.

``python -m hwlib.book --profile quick`` (what ``make book`` runs) sets the profile, builds with
warnings as errors and checks that every page of the table of contents was written.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import re
import subprocess
import sys
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import HwlibError
from .paths import project_root

__all__ = ["PROFILE_ENV", "chapter_names", "toc_pages", "read_chapter", "build_key", "build_note",
           "execute_chapter", "build_book", "missing_pages", "setup"]

log = logging.getLogger(__name__)

#: The environment variable the chapters' parameters cells read their default profile from.
PROFILE_ENV = "HWLIB_PROFILE"
#: Where the Makefile puts MathJax 3 (``make mathjax``), relative to the book's folder.
MATHJAX = Path("_static") / "mathjax" / "tex-chtml.js"
_BUILD_CELL_TAG = "hwlib-build"


# ----------------------------------------------------------------------------- the table of contents


def toc_pages(root: Path | None = None) -> list[str]:
    """Every page of ``_toc.yml`` (relative to ``book/``, no suffix), the root page first."""
    root = root or project_root()
    toc = (root / "_toc.yml").read_text()
    root_page = re.search(r"^root:\s*(\S+)", toc, re.M)
    return ([root_page.group(1)] if root_page else []) + re.findall(r"file:\s*(\S+)", toc)


def chapter_names(root: Path | None = None) -> list[str]:
    """Chapter names (``'01_datasets'``) in the order ``_toc.yml`` lists them."""
    return [p.split("/", 1)[1] for p in toc_pages(root) if p.startswith("chapters/")]


def missing_pages(html: Path, root: Path | None = None) -> list[str]:
    """The pages of ``_toc.yml`` that the HTML build in ``html`` lacks."""
    return [p for p in toc_pages(root) if not (html / f"{p}.html").is_file()]


# ----------------------------------------------------------------------------- reading a chapter


def _digest_files(digest, folder: Path, pattern: str) -> None:
    """Add the files of ``folder`` matching ``pattern`` to ``digest``; not the hidden ones (a
    runner's locks and claims) nor ``__pycache__``."""
    if folder.is_dir():
        for path in sorted(folder.rglob(pattern)):
            inside = path.relative_to(folder)
            if path.is_file() and "__pycache__" not in inside.parts and not any(
                    part.startswith(".") for part in inside.parts):
                digest.update(str(inside).encode())
                digest.update(path.read_bytes())


@lru_cache(maxsize=8)
def _digest(profile: str, results: str, data: str) -> str:
    digest = hashlib.sha256(repr((profile, results, data)).encode())
    _digest_files(digest, project_root() / "hwlib", "*.py")
    _digest_files(digest, Path(results), "*")
    return digest.hexdigest()[:16]


def build_key() -> str:
    """What a chapter's outputs depend on besides its source: profile, library, committed results.

    A hex digest of ``$HWLIB_PROFILE``, the library's code, the files under the committed results
    folder and the data and results folders in use.
    """
    from .paths import results_dir

    return _digest(os.environ.get(PROFILE_ENV, ""), str(results_dir()), os.environ.get("HWLIB_DATA_DIR", ""))


def read_chapter(text: str):
    """A chapter source (jupytext percent format) as a notebook, for jupyter-book to execute.

    After the ``parameters`` cell comes one cell (its input hidden) that says which profile and
    which results build the chapter (:func:`build_note`); its text holds :func:`build_key`, so the
    execution cache is keyed on them too.

    Returns
    -------
    nbformat.NotebookNode
    """
    import jupytext
    import nbformat

    nb = jupytext.reads(text, fmt="py:percent")
    where = next((i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])), None)
    if where is not None:
        cell = nbformat.v4.new_code_cell(
            f"# build key {build_key()}\nfrom hwlib.book import build_note\nbuild_note(profile);",
            metadata={"tags": ["remove-input", _BUILD_CELL_TAG]})
        nb.cells.insert(where + 1, cell)
    return nb


def _results_summary() -> str:
    from .paths import results_dir
    from .store import Store

    folder = results_dir()
    if not folder.is_dir():
        return f"no committed results (`{folder}` does not exist)"
    store = Store(folder)
    runs = store.provenance()
    first = min((r.get("first_used", "") for r in runs.values()), default="")
    last = max((r.get("last_used", "") for r in runs.values()), default="")
    commits = {r.get("commit") or "?" for r in runs.values()}
    return (f"the committed results in `{folder.name}/` ({len(store.tables())} tables from {len(runs)} run(s) "
            f"of {len(commits)} hwlib commit(s), written {first or '-'} to {last or '-'}; "
            f"each run's commit, libraries and CPU are in `{folder.name}/provenance.json`)")


def build_note(profile: str) -> str:
    """Display which profile built this chapter and from which results (one Markdown line); returns it.

    Raises
    ------
    InputError
        For an unknown profile: the chapter stops here, at its first cell.
    """
    from IPython.display import Markdown, display

    from .profiles import check_profile

    check_profile(profile)
    if profile == "quick":
        note = ("*This chapter was built with the **quick** profile: CI's smaller settings, computed when the "
                f"book was built. At hand: {_results_summary()}.*")
    else:
        from .predictors import labels_in_words
        from .profiles import settings

        cfg = settings("predictors", profile)
        heavy = labels_in_words(cfg.heavy)
        note = (f"*This chapter was built with the **{profile}** profile: the paper's settings (but {heavy} on "
                f"{cfg.heavy_seeds} seeds up to {cfg.heavy_max_size} samples, and every predictor at its defaults: "
                f"chapter 'Predictor comparison' says why and what it changes), rendered from "
                f"{_results_summary()}; only what they lack is computed.*")
    display(Markdown(note))
    return note


# ----------------------------------------------------------------------------- Sphinx extension


def _config_inited(app, config) -> None:
    missing = [p for p in toc_pages(Path(app.srcdir).parent)
               if not any((Path(app.srcdir) / f"{p}{s}").is_file() for s in (".md", ".py", ".ipynb"))]
    if missing:
        from sphinx.errors import ConfigError

        raise ConfigError(f"_toc.yml lists pages that do not exist under {app.srcdir}: {', '.join(missing)}")
    if (Path(app.srcdir) / MATHJAX).is_file():
        config.mathjax_path = MATHJAX.relative_to("_static").as_posix()
    else:
        logging.getLogger("sphinx." + __name__).info(
            "hwlib.book: MathJax is not installed under book/_static/mathjax (make mathjax); "
            "pages load it from its CDN")


def _outdated(app, env, added, changed, removed) -> list[str]:
    """Pages to read again besides those whose source changed: every page when the build key
    (profile, library, committed results) differs from the last build's; the root page (it pastes
    the scorecard's numbers) whenever a chapter is read again."""
    key = build_key()
    previous, env.hwlib_build_key = getattr(env, "hwlib_build_key", None), key
    if previous != key:
        return sorted(env.found_docs)
    chapters = {d for d in set(added) | set(changed) if d.startswith("chapters/")}
    return [app.config.root_doc] if chapters else []


def _build_finished(app, exception) -> None:
    if exception is None and app.builder.name == "html":
        missing = missing_pages(Path(app.outdir), Path(app.srcdir).parent)
        if missing:
            from sphinx.errors import SphinxError

            raise SphinxError(f"the book lacks pages of _toc.yml: {', '.join(missing)}")


def setup(app) -> dict[str, Any]:
    """Sphinx extension (``_config.yml``: ``sphinx: extra_extensions``): a toc page that is missing
    fails the build; a changed build key re-executes the chapters; MathJax is served from the book
    itself when installed."""
    app.connect("config-inited", _config_inited)
    app.connect("env-get-outdated", _outdated)
    app.connect("build-finished", _build_finished)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


# ----------------------------------------------------------------------------- running


def execute_chapter(name: str, profile: str = "quick", force: bool = True, root: Path | None = None,
                    out: Path | None = None, **params) -> Path:
    """Execute one chapter with papermill into ``<root>/_build/chapters/<name>.ipynb`` (a check
    while writing a chapter; the book build executes chapters itself). ``force`` is accepted for
    older callers: the chapter is always executed. ``params`` are further papermill parameters.

    Raises
    ------
    HwlibError
        When a cell fails (the message names the chapter, the cell and the error; the failing
        notebook is kept as ``<name>.failed.ipynb``).
    """
    import jupytext
    import nbformat
    import papermill

    root = root or project_root()
    source = root / "chapters" / f"{name}.py"
    if not source.is_file():
        raise HwlibError(f"no chapter source {source}")
    out = out or root / "_build" / "chapters" / f"{name}.ipynb"
    out.parent.mkdir(parents=True, exist_ok=True)
    failed = out.with_suffix(".failed.ipynb")
    raw = out.with_suffix(".source.ipynb")
    nbformat.write(jupytext.read(source), raw)
    started = time.perf_counter()
    try:
        papermill.execute_notebook(str(raw), str(failed), parameters={"profile": profile, **params},
                                   kernel_name="python3", language="python", cwd=str(source.parent),
                                   progress_bar=False)
    except papermill.PapermillExecutionError as exc:
        raise HwlibError(f"chapter {name} failed in cell {exc.exec_count}: {exc.ename}: {exc.evalue} "
                         f"(see {failed})") from None
    finally:
        raw.unlink(missing_ok=True)
    failed.replace(out)
    log.info("%s: executed in %.0f s", name, time.perf_counter() - started)
    return out


def build_book(profile: str | None = None, strict: bool = True, root: Path | None = None) -> Path:
    """Run ``jupyter-book build book/`` with ``profile`` (None: the chapters' default, full).

    ``strict`` adds ``-W -n --keep-going`` (every warning fails the build). Returns the index page.

    Raises
    ------
    HwlibError
        When the build fails or a page of ``_toc.yml`` is missing from ``_build/html``.
    """
    from .profiles import check_profile

    root = root or project_root()
    env = dict(os.environ)
    if profile is not None:
        env[PROFILE_ENV] = check_profile(profile)
    cmd = [str(Path(sys.executable).with_name("jupyter-book")), "build", "book/"]
    cmd += ["-W", "-n", "--keep-going"] if strict else []
    print(f"[book] {PROFILE_ENV}={env.get(PROFILE_ENV, '(unset: full)')}", " ".join(cmd[1:]), flush=True)
    started = time.perf_counter()
    if subprocess.run(cmd, cwd=root, env=env).returncode != 0:
        raise HwlibError("jupyter-book build failed (see the messages above)")
    html = root / "_build" / "html"
    missing = missing_pages(html, root)
    if missing:
        raise HwlibError(f"the built book lacks pages of _toc.yml: {', '.join(missing)}")
    print(f"[book] built in {time.perf_counter() - started:.0f} s", flush=True)
    return html / "index.html"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hwlib.book", description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default=None,
                        help="quick: CI's subset, computed now (minutes); full: the paper's sizes, rendered "
                             "from the committed results (default: $HWLIB_PROFILE, else full)")
    parser.add_argument("--no-strict", action="store_true", help="do not turn warnings into errors")
    parser.add_argument("--chapter", help="execute only this chapter with papermill into _build/chapters/")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    profile = args.profile or os.environ.get(PROFILE_ENV) or "full"
    try:
        if args.chapter:
            print(f"[book] done: {execute_chapter(args.chapter, profile)}")
        else:
            print(f"[book] done: {build_book(profile, strict=not args.no_strict)}")
    except HwlibError as exc:
        print(f"hwlib.book: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
