# Two commands on a fresh clone:
#   make book   execute every notebook (in parallel) and build the book into _build/html
#   make test   lint; run the package tests and execute every notebook, natively and
#               under a perturbed numerics profile; build the site and test it in a browser
# and one for a closer look before a chapter change lands:
#   make numerics   every notebook under every numerics profile, as a table
VENV    ?= .venv
PYTHON  := $(VENV)/bin/python
JOBS    ?= 2
READY   := $(VENV)/.installed
# Notebooks execute in a copy of the book, so the notebooks in book/ stay without
# outputs; the copy is then built with execution off (not under _build: nbmake skips
# any path with a _build folder in it).
EXECUTED := _executed
SITE     := $(EXECUTED)/_build/html
NBMAKE   := --nbmake --nbmake-kernel=python3 --nbmake-timeout=120 -p no:cacheprovider
# The book's models are tiny: one CPU thread per process is faster than several, and
# the notebooks run two at a time on two cores. Readers' own runs keep torch's default.
export OMP_NUM_THREADS ?= 1
# The second pass of `make test`: other seeds (OPTNOTES_SEED) and other CPU kernels
# (scalar instead of SIMD), so a claim that holds on one machine's last bits only fails
# here, not on a reader's laptop. `make numerics` runs more profiles.
PERTURBED ?= OPTNOTES_SEED=5 ATEN_CPU_CAPABILITY=default

.PHONY: book book-without-solutions test lint numerics executed browser clean

book: $(READY) executed
	$(PYTHON) -m pytest -n $(JOBS) $(NBMAKE) --overwrite $(EXECUTED)/book
	$(VENV)/bin/jupyter-book build --all $(EXECUTED) -W -n --keep-going
	rm -rf _build/html && mkdir -p _build && cp -r $(SITE) _build/html
	@echo "The book is in _build/html (open _build/html/index.html)."

# The site without the exercises' solutions, for students (from the executed book).
book-without-solutions: $(READY)
	test -d $(EXECUTED)/book || $(MAKE) book
	rm -rf _students && cp -r $(EXECUTED) _students && rm -rf _students/_build
	$(PYTHON) tools/strip_solutions.py _students/book
	$(VENV)/bin/jupyter-book build --all _students -W -n --keep-going
	rm -rf _build/students && mkdir -p _build && cp -r _students/_build/html _build/students
	@echo "The book without solutions is in _build/students."

test: $(READY) lint executed browser
	$(PYTHON) -m pytest -n $(JOBS) $(NBMAKE) --overwrite tests $(EXECUTED)/book
	env $(PERTURBED) $(PYTHON) -m pytest -n $(JOBS) $(NBMAKE) book
	$(VENV)/bin/jupyter-book build --all $(EXECUTED) -W -n --keep-going
	OPTNOTES_SITE=$(SITE) $(PYTHON) -m pytest -n $(JOBS) tests/site

lint: $(READY)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

numerics: $(READY)
	$(PYTHON) tools/numerics_matrix.py --jobs $(JOBS)

# A fresh copy of the book to execute: notebooks (their install cell first brought in
# step with the repository _config.yml names), table of contents, the stored benchmark
# results the appendix reads, and the configuration with execution off.
executed:
	$(PYTHON) tools/install_cell.py
	rm -rf $(EXECUTED) && mkdir -p $(EXECUTED)/benchmarks
	cp -r book _toc.yml $(EXECUTED)/
	cp -r benchmarks/results $(EXECUTED)/benchmarks/
	sed 's/^\(  *execute_notebooks:\).*/\1 "off"/' _config.yml > $(EXECUTED)/_config.yml

# The environment: re-installed when requirements.txt or pyproject.toml change.
$(READY): requirements.txt pyproject.toml
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet -r requirements.txt
	touch $@

# Chromium, for the browser tests of `make test` only, from the system's packages.
browser:
	command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

clean:
	rm -rf _build $(EXECUTED) _students .pytest_cache .hypothesis
