# Two commands on a fresh clone:
#   make book   build the book into _build/html (creates .venv on first use)
#   make test   lint, then run the package tests and execute every notebook
VENV   ?= .venv
PYTHON := $(VENV)/bin/python
JOBS   ?= 2
READY  := $(VENV)/.installed

.PHONY: book test lint clean

book: $(READY)
	$(VENV)/bin/jupyter-book build --all . -W -n --keep-going

test: $(READY) lint
	$(PYTHON) -m pytest -n $(JOBS) --nbmake --nbmake-kernel=python3 --nbmake-timeout=120 tests book

lint: $(READY)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# The environment: re-installed when requirements.txt or pyproject.toml change.
$(READY): requirements.txt pyproject.toml
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet -r requirements.txt -e .
	touch $@

clean:
	rm -rf _build .pytest_cache .hypothesis
