"""Rules every chapter's source follows, checked on the notebooks as stored in book/."""

import json
import re
from pathlib import Path

import pytest

BOOK = Path(__file__).resolve().parent.parent / "book"
NOTEBOOKS = sorted(p for p in BOOK.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def _cells(path: Path, kind: str) -> list[str]:
    cells = json.loads(path.read_text())["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == kind]


@pytest.fixture(params=NOTEBOOKS, ids=lambda p: str(p.relative_to(BOOK)))
def notebook(request) -> Path:
    return request.param


def test_notebooks_are_stored_without_outputs(notebook):
    cells = json.loads(notebook.read_text())["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    assert not [c for c in code if c.get("outputs") or c.get("execution_count")]


# Every random draw flows through optnotes.seeding (and the helpers built on it), so
# that OPTNOTES_SEED moves all of them.
UNSEEDED = re.compile(
    r"torch\.manual_seed\(|torch\.Generator\([^)]*\)\.manual_seed|np\.random\.(default_rng|seed|rand)"
    r"|random\.seed\(|torch\.cuda\.manual_seed"
)


def test_random_draws_go_through_the_seed_source(notebook):
    offending = [line for cell in _cells(notebook, "code") for line in cell.splitlines()
                 if UNSEEDED.search(line)]  # fmt: skip
    assert offending == [], "seed through optnotes.seeding (manual_seed, generator, numpy_rng)"


# Experiment code lives once, in the package (optnotes.experiments, optnotes.lr_scheduler).
SHARED = ("train_digits", "lr_sequence", "parameter_history", "compare_optimizers")


def test_shared_experiments_are_not_copied_into_chapters(notebook):
    copies = [name for cell in _cells(notebook, "code") for name in SHARED
              if re.search(rf"^def {name}\(", cell, flags=re.M)]  # fmt: skip
    assert copies == [], "import it from the package instead"


# That every {glue:text} in the prose names a value the run glued is checked by the book's
# build: Sphinx warns of a missing key, and the build treats warnings as errors (-W).
