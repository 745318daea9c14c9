# Two commands on a fresh clone:
#   make book   build the book into _build/html (creates .venv on first use)
#   make test   lint; run the package tests and execute every notebook; build the
#               site from those executed notebooks and test it in a browser
VENV    ?= .venv
PYTHON  := $(VENV)/bin/python
JOBS    ?= 2
READY   := $(VENV)/.installed
# MathJax, served with the site so equations render offline (from the npm registry).
MATHJAX_VERSION := 3.2.2
MATHJAX := _build/vendor/mathjax/tex-chtml.js
# `make test` executes a copy of the book, so the notebooks in book/ stay clean
# (not under _build: nbmake skips any path with a _build folder in it).
EXECUTED := _executed
SITE := $(EXECUTED)/_build/html
NBMAKE := --nbmake --nbmake-kernel=python3 --nbmake-timeout=120
# The book's models are tiny: one CPU thread per process is faster than several, and
# the tests run two processes on two cores. Readers' own runs keep torch's default.
export OMP_NUM_THREADS ?= 1

.PHONY: book test lint clean

book: $(READY) $(MATHJAX)
	$(VENV)/bin/jupyter-book build --all . -W -n --keep-going

test: $(READY) $(MATHJAX) lint
	rm -rf $(EXECUTED) && mkdir -p $(EXECUTED)/_build
	cp -r book _toc.yml $(EXECUTED)/
	cp -r _build/vendor $(EXECUTED)/_build/
	if [ -d benchmarks/results ]; then mkdir -p $(EXECUTED)/benchmarks && cp -r benchmarks/results $(EXECUTED)/benchmarks/; fi
	sed 's/^\(  *execute_notebooks:\).*/\1 "off"/' _config.yml > $(EXECUTED)/_config.yml
	$(PYTHON) -m pytest -n $(JOBS) $(NBMAKE) --overwrite tests $(EXECUTED)/book
	$(VENV)/bin/jupyter-book build --all $(EXECUTED) -W -n --keep-going
	OPTNOTES_SITE=$(SITE) $(PYTHON) -m pytest -n $(JOBS) tests/site

lint: $(READY)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# The environment: re-installed when requirements.txt or pyproject.toml change.
# Chromium (for the browser tests) comes from the system's packages.
$(READY): requirements.txt pyproject.toml
	command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet -r requirements.txt -e .
	touch $@

$(MATHJAX):
	rm -rf _build/vendor && mkdir -p _build/vendor/npm
	cd _build/vendor/npm && npm pack --silent mathjax@$(MATHJAX_VERSION) >/dev/null && tar -xzf mathjax-$(MATHJAX_VERSION).tgz
	mkdir -p _build/vendor/mathjax/input/tex _build/vendor/mathjax/output/chtml/fonts
	cd _build/vendor/npm/package/es5 && cp -r tex-chtml.js ui ../../../mathjax/ \
	  && cp -r input/tex/extensions ../../../mathjax/input/tex/ \
	  && cp -r output/chtml/fonts/woff-v2 ../../../mathjax/output/chtml/fonts/
	rm -rf _build/vendor/npm

clean:
	rm -rf _build $(EXECUTED) .pytest_cache .hypothesis
