"""The book pipeline end to end: every chapter executes (quick profile) and renders to HTML."""

import re

import pytest

from hwlib import book
from hwlib.errors import HwlibError
from hwlib.paths import project_root


def test_toc_lists_every_chapter_source():
    names = book.chapter_names()
    sources = sorted(p.stem for p in (project_root() / "chapters").glob("*.py"))
    assert names and sorted(names) == sources


def test_every_chapter_has_a_parameters_cell_with_a_profile():
    for name in book.chapter_names():
        text = (project_root() / "chapters" / f"{name}.py").read_text()
        assert '# %% tags=["parameters"]' in text, name
        assert re.search(r'^profile = "quick"', text, re.M), name
        assert not re.search(r"^\s*(def|class) ", text, re.M), f"{name} defines a function or class"


def test_an_error_cell_fails_the_build(tmp_path):
    (tmp_path / "chapters").mkdir()
    (tmp_path / "chapters" / "bad.py").write_text(
        '# %% tags=["parameters"]\nprofile = "quick"\n\n# %%\nraise ValueError("broken chapter")\n')
    with pytest.raises(HwlibError, match="chapter bad failed .*ValueError: broken chapter"):
        book.execute_chapter("bad", root=tmp_path)
    assert not (tmp_path / "book" / "chapters" / "bad.ipynb").exists()


@pytest.mark.slow
def test_quick_book_builds_end_to_end(require_data):
    index = book.build_book("quick")
    html = index.parent
    assert index.is_file()
    for name in book.chapter_names():
        page = (html / "chapters" / f"{name}.html").read_text()
        assert "Traceback" not in page, f"{name} shows an error"
        assert re.search(r'<img [^>]*src="[^"]+\.png"', page), f"{name} shows no figure"


CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.mark.slow
def test_rendered_book_in_a_real_browser(require_data, tmp_path):
    """Headless Chromium loads every page of the built book: no error banner, figures decoded."""
    import shutil
    import subprocess

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("no Chromium on this machine (Debian package 'chromium')")
    html = project_root() / "_build" / "html"
    if not (html / "index.html").is_file():
        book.build_book("quick")
    for name in book.chapter_names():
        url = (html / "chapters" / f"{name}.html").as_uri()
        dom = subprocess.run([browser, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
                              "--dump-dom", url], capture_output=True, text=True, timeout=120).stdout
        assert "<h1>" in dom or "<h1 " in dom, f"{name}: page did not render"
        assert "An Exception was encountered" not in dom, f"{name}: executed with an error"
        assert dom.count("<img") >= 1, f"{name}: no figure in the rendered page"
