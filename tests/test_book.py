"""The book: jupyter-book executes the chapters itself (any fresh clone), a bad parameter stops a
chapter at its first cell with one line, and the rendered pages load in a real browser."""

import html as html_lib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import nbformat
import pytest

from hwlib import book
from hwlib.errors import HwlibError, InputError
from hwlib.paths import project_root

ROOT = project_root()
BIN = Path(sys.executable).parent


# ----------------------------------------------------------------------------- layout


def test_toc_lists_every_chapter_source():
    names = book.chapter_names()
    sources = sorted(p.stem for p in (ROOT / "chapters").glob("*.py"))
    assert names and sorted(names) == sources
    assert book.toc_pages()[0] == "intro"


def test_book_chapters_is_a_committed_link_to_the_sources():
    link = ROOT / "book" / "chapters"
    assert link.is_symlink() and os.readlink(link) == "../chapters"
    if (ROOT / ".git").exists():
        ignored = subprocess.run(["git", "check-ignore", "-q", "book/chapters"], cwd=ROOT).returncode == 0
        assert not ignored, ".gitignore hides book/chapters: a fresh clone would lack every chapter"


def test_every_chapter_defaults_to_the_environment_profile_else_full():
    for name in book.chapter_names():
        text = (ROOT / "chapters" / f"{name}.py").read_text()
        params = text.split('# %% tags=["parameters"]\n', 1)
        assert len(params) == 2, f"{name} has no parameters cell"
        cell = params[1].split("# %%", 1)[0]
        assert re.search(r'^profile = os\.environ\.get\("HWLIB_PROFILE", "full"\)', cell, re.M), name
        assert not re.search(r"^\s*(def|class) ", text, re.M), f"{name} defines a function or class"


def test_figures_and_tables_are_numbered_in_order_once_each():
    # a bold "**Figure 2.6**" introduces or captions a figure; later mentions are plain text, so
    # bold numbers never go back (a second "Figure 2.6" after 2.7 is a numbering slip) and run 1, 2, ...
    for name in book.chapter_names():
        text = (ROOT / "chapters" / f"{name}.py").read_text()
        for kind in ("Figure", "Table"):
            numbers = [(int(a), int(b)) for a, b in re.findall(rf"\*\*{kind} (\d+)\.(\d+)(?:\.|\*\*)", text)]
            assert numbers == sorted(numbers), f"{name}: a bold {kind} number goes back: {numbers}"
            distinct = list(dict.fromkeys(numbers))
            assert [n for _, n in distinct] == list(range(1, len(distinct) + 1)), f"{name}: {kind}s {distinct}"
            assert len({c for c, _ in distinct}) <= 1, f"{name}: {kind}s of several chapters: {distinct}"


def test_config_executes_the_sources_and_fails_on_errors():
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["execute"]["execute_notebooks"] in ("force", "cache")
    assert config["execute"]["raise_on_error"] is True and config["execute"]["timeout"] == -1
    assert config["sphinx"]["config"]["nb_custom_formats"][".py"] == "hwlib.book.read_chapter"
    assert "hwlib.book" in config["sphinx"]["extra_extensions"]


# ----------------------------------------------------------------------------- reading a chapter


CHAPTER = '# %% [markdown]\n# # T\n\n# %% tags=["parameters"]\nimport os\n\nprofile = "quick"\n\n# %%\nx = 1\n'


def test_read_chapter_adds_the_build_cell_after_the_parameters():
    nb = book.read_chapter(CHAPTER)
    tags = [c.metadata.get("tags", []) for c in nb.cells]
    assert "parameters" in tags[1] and "remove-input" in tags[2]
    assert book.build_key() in nb.cells[2].source and "build_note(profile);" in nb.cells[2].source
    assert nb.cells[3].source == "x = 1"
    nbformat.validate(nb)


def test_build_key_changes_with_profile_and_results(tmp_path, monkeypatch):
    monkeypatch.setenv("HWLIB_RESULTS_DIR", str(tmp_path))
    monkeypatch.setenv(book.PROFILE_ENV, "quick")
    key = book.build_key()
    monkeypatch.setenv(book.PROFILE_ENV, "full")
    assert book.build_key() != key
    full = book.build_key()
    book._digest.cache_clear()
    (tmp_path / "new.csv").write_text("a\n1\n")
    assert book.build_key() != full
    with_new = book.build_key()
    book._digest.cache_clear()
    (tmp_path / ".claims").mkdir()                       # a runner's lock files are not results
    (tmp_path / ".claims" / "t--10.lock").write_text("")
    (tmp_path / ".lock").write_text("")
    assert book.build_key() == with_new


def test_build_note_names_the_profile_and_rejects_an_unknown_one(tmp_path, monkeypatch):
    monkeypatch.setenv("HWLIB_RESULTS_DIR", str(tmp_path / "none"))
    assert "no committed results" in book.build_note("full")
    assert "(but GCN and NAO on 10 seeds up to 3036 samples," in book.build_note("full")   # a list in words
    assert "**quick** profile" in book.build_note("quick")
    with pytest.raises(InputError, match="unknown profile 'fast'"):
        book.build_note("fast")


# ----------------------------------------------------------------------------- executing (a kernel each)


def _papermill(source: Path, out: Path, *params: str) -> subprocess.CompletedProcess:
    """``jupytext --to ipynb -o - SOURCE | papermill - OUT -p ...``: the README's rerun, literally."""
    cmd = (f"{BIN / 'jupytext'} --to ipynb -o - {source} | "
           f"{BIN / 'papermill'} - {out} --kernel python3 " + " ".join(params))
    return subprocess.run(cmd, shell=True, capture_output=True, text=True, cwd=ROOT, timeout=600)


def _error_outputs(nb) -> list[tuple[int, dict]]:
    return [(i, o) for i, c in enumerate(nb.cells) if c.cell_type == "code"
            for o in c.get("outputs", []) if o.get("output_type") == "error"]


def test_a_bad_profile_stops_a_chapter_at_its_first_cell_with_one_line(tmp_path):
    out = tmp_path / "out.ipynb"
    run = _papermill(ROOT / "chapters" / "01_datasets.py", out, "-p", "profile", "fast")
    assert run.returncode != 0
    assert "InputError: unknown profile 'fast'; known: quick, full" in run.stderr
    nb = nbformat.read(out, as_version=4)
    errors = _error_outputs(nb)
    assert len(errors) == 1
    index, error = errors[0]
    assert error["traceback"] == ["InputError: unknown profile 'fast'; known: quick, full"]
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"
            and not {"parameters", "injected-parameters"} & set(c.metadata.get("tags", []))]
    assert index == code[0], "the error is not in the chapter's first cell"
    assert all(not nb.cells[i].get("outputs") for i in code[1:]), "cells after the error ran"


@pytest.mark.slow
def test_papermill_reruns_a_chapter_from_its_source_with_other_parameters(require_data, tmp_path):
    out = tmp_path / "scorecard.ipynb"
    run = _papermill(ROOT / "chapters" / "00_scorecard.py", out, "-p", "profile", "quick", "-p", "trials", "3",
                     "-p", "seeds", "2")
    assert run.returncode == 0, run.stderr[-3000:]
    nb = nbformat.read(out, as_version=4)
    assert not _error_outputs(nb)
    texts = json.dumps([o for c in nb.cells for o in c.get("outputs", [])])
    assert "Summary." in texts and "Kendall tau at deviation std 0.2" in texts


def test_other_errors_keep_their_traceback_and_fail_the_chapter(tmp_path):
    (tmp_path / "chapters").mkdir()
    (tmp_path / "chapters" / "bad.py").write_text(
        '# %% tags=["parameters"]\nprofile = "quick"\n\n# %%\nimport hwlib\nraise ValueError("broken chapter")\n')
    with pytest.raises(HwlibError, match="chapter bad failed .*ValueError: broken chapter"):
        book.execute_chapter("bad", root=tmp_path)
    failed = tmp_path / "_build" / "chapters" / "bad.failed.ipynb"
    (_, error), = _error_outputs(nbformat.read(failed, as_version=4))
    assert len(error["traceback"]) > 1
    assert not (tmp_path / "_build" / "chapters" / "bad.ipynb").exists()


# ----------------------------------------------------------------------------- jupyter-book (slow)


def _mini_book(tmp_path: Path, chapter: str, toc_extra: str = "") -> Path:
    """A copy of the project's configuration around one small chapter."""
    root = tmp_path / "proj"
    (root / "book").mkdir(parents=True)
    (root / "chapters").mkdir()
    shutil.copy(ROOT / "_config.yml", root / "_config.yml")
    (root / "_toc.yml").write_text(f"format: jb-book\nroot: intro\nchapters:\n  - file: chapters/c1\n{toc_extra}")
    (root / "book" / "_toc.yml").symlink_to("../_toc.yml")
    (root / "book" / "chapters").symlink_to("../chapters")
    (root / "book" / "intro.md").write_text("# Intro\n\n```{tableofcontents}\n```\n")
    (root / "chapters" / "c1.py").write_text(chapter)
    return root


def _jupyter_book(root: Path, profile: str = "quick") -> subprocess.CompletedProcess:
    env = {**os.environ, book.PROFILE_ENV: profile, "PYTHONPATH": str(ROOT)}
    return subprocess.run([str(BIN / "jupyter-book"), "build", "book/"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=900)


CHAPTER_OK = ('# %% [markdown]\n# # One\n\n# %% tags=["parameters"]\nimport os\n\n'
              'profile = os.environ.get("HWLIB_PROFILE", "full")\n\n# %%\nprint("profile is", profile)\n')


@pytest.mark.slow
def test_jupyter_book_executes_a_source_chapter_reruns_it_for_another_profile_and_fails_on_errors(tmp_path):
    root = _mini_book(tmp_path, CHAPTER_OK)
    run = _jupyter_book(root, "quick")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    page = (root / "_build" / "html" / "chapters" / "c1.html").read_text()
    assert "profile is quick" in page and "built with the <strong>quick</strong> profile" in page
    rerun = _jupyter_book(root, "full")       # another profile: the chapter is executed again
    assert rerun.returncode == 0, rerun.stdout[-3000:] + rerun.stderr[-3000:]
    page = (root / "_build" / "html" / "chapters" / "c1.html").read_text()
    assert "profile is full" in page and "built with the <strong>full</strong> profile" in page
    broken = _mini_book(tmp_path / "b", CHAPTER_OK + "\n# %%\nraise RuntimeError('broken')\n")
    assert _jupyter_book(broken).returncode != 0


@pytest.mark.slow
def test_a_missing_chapter_fails_the_build(tmp_path):
    root = _mini_book(tmp_path, CHAPTER_OK, toc_extra="  - file: chapters/missing\n")
    run = _jupyter_book(root)
    assert run.returncode != 0
    assert "chapters/missing" in run.stdout + run.stderr


@pytest.fixture(scope="session")
def fresh_clone_book(require_data, tmp_path_factory):
    """A clone of the committed tree, built as a new user would: plain ``jupyter-book build book/``
    (quick profile). Returns the clone and the finished process."""
    from hwlib.paths import data_dir

    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    clone = tmp_path_factory.mktemp("fresh") / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    mathjax = ROOT / "book" / book.MATHJAX.parent
    if mathjax.is_dir():      # what `make mathjax` would put there (npm, not git)
        shutil.copytree(mathjax, clone / "book" / book.MATHJAX.parent)
    env = {**os.environ, book.PROFILE_ENV: "quick", "PYTHONPATH": str(clone), "HWLIB_DATA_DIR": str(data_dir())}
    run = subprocess.run([str(BIN / "jupyter-book"), "build", "book/"], cwd=clone, env=env,
                         capture_output=True, text=True, timeout=3600)
    return clone, run


@pytest.mark.slow
def test_fresh_clone_builds_every_page_with_plain_jupyter_book(fresh_clone_book):
    """What a new user types, on a clone of the committed tree: every page, every figure, no error."""
    clone, run = fresh_clone_book
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    html = clone / "_build" / "html"
    assert book.missing_pages(html, clone) == []
    for name in book.chapter_names(clone):
        page = (html / "chapters" / f"{name}.html").read_text()
        assert "Traceback" not in page, f"{name} shows an error"
        assert re.search(r'<img [^>]*src="[^"]+\.png"', page), f"{name} shows no figure"
        assert "built with the <strong>quick</strong> profile" in page, f"{name} does not say its profile"
        assert "_static/hwlib.css" in page, f"{name} lacks the book's style sheet (book/_static/hwlib.css)"
        cut = re.findall(r"<td>([^<]*\.\.\.)</td>", page)
        assert not cut, f"{name} shows table cells cut short: {cut[:3]}"
    intro = (html / "intro.html").read_text()
    assert re.search(r"\d+</span>\s+are\s+reproduced", intro), "the introduction lacks the scorecard's summary"
    api = (html / "api.html").read_text()
    for name in ("hwlib.data.register_measurements", "hwlib.predictors.make_predictor", "hwlib.experiments.evaluate",
                 "hwlib.predictors.neural.SmallMLPRegressor", "hwlib.transfer.make_transfer_predictor",
                 "hwlib.simulation.simulate_selection", "hwlib.errors.InputError"):
        assert f'id="{name}"' in api, f"the library reference lacks {name}"
    assert re.search(r'<img [^>]*src="[^"]+\.png"', intro), "the introduction lacks the headline figure"


# ----------------------------------------------------------------------------- in a browser (slow)


CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars"]

#: Loads each page in an iframe of the same origin and writes what it found into #result.
HARNESS = """<!doctype html><html><body><pre id="result">pending</pre><script>
const pages = %s;
function settle(img) { return img.complete ? Promise.resolve() :
  new Promise(r => { img.addEventListener('load', r); img.addEventListener('error', r); }); }
async function check(page) {
  const frame = document.createElement('iframe');
  frame.style.width = '1200px'; frame.style.height = '900px';
  const loaded = new Promise(r => frame.addEventListener('load', r));
  frame.src = page; document.body.appendChild(frame); await loaded;
  const doc = frame.contentDocument;
  const imgs = [...doc.images]; imgs.forEach(i => { i.loading = 'eager'; });
  await Promise.all(imgs.map(settle));
  const links = [...new Set([...doc.querySelectorAll('nav.bd-docs-nav a.reference.internal, .toctree-wrapper a')]
                     .map(a => a.href.split('#')[0]))];
  const status = await Promise.all(links.map(l => fetch(l).then(r => r.status).catch(() => 0)));
  const mj = frame.contentWindow.MathJax;
  if (mj && mj.startup && mj.startup.promise) await mj.startup.promise;
  const out = {page, title: doc.title, math: doc.querySelectorAll('.math').length,
    typeset: doc.querySelectorAll('mjx-container').length, h1: doc.querySelectorAll('h1').length, images: imgs.length,
    broken: imgs.filter(i => !(i.naturalWidth > 0)).map(i => i.src),
    errors: doc.querySelectorAll('.cell_output .traceback, .output.traceback, .output.error').length,
    toc_links: links.length, bad_links: links.filter((l, k) => status[k] !== 200),
    wide_tables: [...doc.querySelectorAll('.cell_output .output')].filter(
      d => d.querySelector('table[id^="T_"]') && d.scrollWidth > d.clientWidth + 1).length,
    mathjax: [...doc.scripts].map(s => s.src).filter(s => /mathjax|tex-chtml/i.test(s))};
  frame.remove(); return out;
}
(async () => { const res = []; for (const p of pages) res.push(await check(p));
  document.getElementById('result').textContent = JSON.stringify(res); })();
</script></body></html>"""


def _serve(folder: Path):
    handler = partial(SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *a, **k: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.mark.slow
def test_rendered_book_in_a_real_browser(fresh_clone_book, tmp_path):
    """Headless Chromium opens every page: it loads, every image decodes (natural size > 0), no
    cell shows an error, every table-of-contents link resolves, the scorecard-style tables
    (:func:`hwlib.scorecard.styled`) fit the page's width; a screenshot of each page is kept in
    _build/screenshots/."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("no Chromium on this machine (Debian package 'chromium': make browser)")
    clone, run = fresh_clone_book
    html = clone / "_build" / "html"
    assert run.returncode == 0 and not book.missing_pages(html, clone), "the book did not build"
    pages = [f"/{p}.html" for p in book.toc_pages()]
    (html / "_harness.html").write_text(HARNESS % json.dumps(pages))
    shots = ROOT / "_build" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    server = _serve(html)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    common = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    try:
        dom = subprocess.run([*common, "--virtual-time-budget=120000", "--dump-dom", f"{base}/_harness.html"],
                             capture_output=True, text=True, timeout=600).stdout
        for page in pages:
            shot = shots / (page.strip("/").replace("/", "__").replace(".html", ".png"))
            subprocess.run([*common, "--window-size=1280,2400", f"--screenshot={shot}", f"{base}{page}"],
                           capture_output=True, timeout=180)
            assert shot.is_file() and shot.stat().st_size > 10_000, f"no screenshot of {page}"
    finally:
        server.shutdown()
        (html / "_harness.html").unlink(missing_ok=True)
    found = re.search(r'<pre id="result">(.*?)</pre>', dom, re.S)
    assert found and found.group(1) != "pending", "the harness did not finish"
    report = json.loads(html_lib.unescape(found.group(1)))
    assert [r["page"] for r in report] == pages
    local_mathjax = (clone / "book" / book.MATHJAX).is_file()
    for r in report:
        assert r["h1"] >= 1, f"{r['page']} did not render"
        assert not r["broken"], f"{r['page']}: images that did not load: {r['broken']}"
        assert r["errors"] == 0, f"{r['page']} shows an error output"
        assert r["toc_links"] >= len(pages) - 1 and not r["bad_links"], f"{r['page']}: {r['bad_links']}"
        assert r["wide_tables"] == 0, f"{r['page']}: {r['wide_tables']} scorecard-style table(s) scroll sideways"
        if local_mathjax and r["math"]:
            assert r["mathjax"] and all(s.startswith(base) for s in r["mathjax"]), \
                f"{r['page']} loads MathJax from {r['mathjax']}"
            assert r["typeset"] >= r["math"], f"{r['page']}: MathJax typeset {r['typeset']} of {r['math']} formulas"
    assert not local_mathjax or any(r["math"] for r in report), "no page has math: MathJax goes untested"
    chapters = [r for r in report if r["page"].startswith("/chapters/")]
    assert all(r["images"] >= 1 for r in chapters), "a chapter shows no figure"
