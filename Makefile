# Build entry points. A newcomer needs two: `make book` and `make test`.
# Both set up the virtual environment and the data themselves.

PYTHON  ?= python3
VENV    ?= .venv
PY      := $(VENV)/bin/python
PROFILE ?= quick
# A local mirror of the benchmark files (used when it exists; else files are downloaded).
MIRROR  ?= $(firstword $(wildcard ../shared/data))
export HWLIB_DATA_MIRROR ?= $(MIRROR)

.PHONY: help setup data browser book book-full test test-fast bench clean

help:
	@echo "make book       set up, get the data, execute every chapter (PROFILE=$(PROFILE)), render HTML"
	@echo "make test       set up, get the data, run the test suite (includes the quick book build)"
	@echo "make test-fast  the test suite without the book build"
	@echo "make book-full  the book with the paper's full sizes (hours; cached and resumable)"
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

book: data
	$(PY) -m hwlib.book --profile $(PROFILE)
	@echo "open _build/html/index.html"

book-full:
	$(MAKE) book PROFILE=full

# Headless Chromium for the rendered-book test (Debian's package; the test skips without it).
browser:
	@command -v chromium > /dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get > /dev/null && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) > /dev/null 2>&1; } || \
	  echo "no chromium: the browser test will be skipped"

test: data browser
	$(PY) -m pytest

test-fast: data
	$(PY) -m pytest -m "not slow"

bench: data
	for b in bench/bench_*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf _build book/_build book/chapters
