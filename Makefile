# Build entry points. A newcomer needs two: `make book` and `make test`.
# Both set up the virtual environment and the data themselves.

PYTHON  ?= python3
VENV    ?= .venv
PY      := $(VENV)/bin/python
PROFILE ?= full
MATHJAX_VERSION := 3.2.2
MATHJAX := book/_static/mathjax/tex-chtml.js
# A local mirror of the benchmark files (used when it exists; else files are downloaded).
MIRROR  ?= $(firstword $(wildcard ../shared/data))
export HWLIB_DATA_MIRROR ?= $(MIRROR)

.PHONY: help setup data mathjax browser book book-full book-quick test test-fast bench clean

help:
	@echo "make book       set up, get the data, build the whole book (PROFILE=$(PROFILE): from the committed results)"
	@echo "make book-quick the quick book (PROFILE=quick: CI's subset, computed anew in minutes)"
	@echo "make test       set up, get the data, run the test suite (includes the quick book build)"
	@echo "make test-fast  the test suite without the book build"
	@echo "make bench      speed benchmarks (bench/)"

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade --quiet pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	$(PY) -m ipykernel install --sys-prefix --name python3 > /dev/null
	touch $@

setup: $(VENV)/.installed

data: setup
	$(VENV)/bin/hwlib data fetch

# MathJax 3 (its TeX-to-HTML build with fonts and extensions), served by the book itself
# (npm's package; kept out of git). Without npm the book
# loads MathJax from its CDN instead.
mathjax: $(MATHJAX)

$(MATHJAX):
	@command -v npm > /dev/null || { echo "no npm: the book will load MathJax from its CDN"; exit 0; }; \
	  set -e; rm -rf build/mathjax && mkdir -p build/mathjax book/_static; \
	  (cd build/mathjax && npm pack --silent mathjax@$(MATHJAX_VERSION) > /dev/null && tar xzf mathjax-$(MATHJAX_VERSION).tgz); \
	  rm -rf book/_static/mathjax && mkdir -p book/_static/mathjax/input/tex && \
	  cd build/mathjax/package/es5 && cp -r tex-chtml.js output ui a11y sre ../../../../book/_static/mathjax/ && \
	  cp -r input/tex/extensions ../../../../book/_static/mathjax/input/tex/

# jupyter-book executes every chapter (HWLIB_PROFILE=$(PROFILE)), warnings fail the build, and
# every page of _toc.yml must be there.
book: data mathjax
	$(PY) -m hwlib.book --profile $(PROFILE)
	@echo "open _build/html/index.html"

book-full:
	$(MAKE) book PROFILE=full

book-quick:
	$(MAKE) book PROFILE=quick

# Headless Chromium for the rendered-book test (Debian's package; the test skips without it).
browser:
	@command -v chromium > /dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get > /dev/null && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) > /dev/null 2>&1; } || \
	  echo "no chromium: the browser test will be skipped"

test: data browser mathjax
	$(PY) -m pytest

test-fast: data
	$(PY) -m pytest -m "not slow"

bench: data
	for b in bench/bench_*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf _build book/_build build/mathjax book/_static/mathjax
