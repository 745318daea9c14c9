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


# A notebook opened outside the repository (Colab, a download) installs optnotes first,
# from the repository that _config.yml names (tools/install_cell.py writes the cell).
def test_install_cell_comes_first_and_names_the_configured_repository(notebook):
    from tools.install_cell import install_source

    first = json.loads(notebook.read_text())["cells"][0]
    assert first["cell_type"] == "code"
    assert "".join(first["source"]) == install_source(), "run python tools/install_cell.py"
    assert "remove-cell" in first["metadata"].get("tags", [])


# Every chapter opens with what the reader will be able to do and what to read first,
# and closes with a summary of its results before the exercises.
def test_chapter_states_objectives_prerequisites_and_summary(notebook):
    markdown = _cells(notebook, "markdown")
    assert markdown[0].lstrip().startswith("# "), "the title comes first"
    opening = markdown[1]
    assert "{admonition} Learning objectives" in opening
    assert "{admonition} Prerequisites" in opening
    headings = [line for cell in markdown for line in cell.splitlines() if line.startswith("## ")]
    assert "## Summary" in headings
    if "## Exercises" in headings:
        assert headings.index("## Summary") < headings.index("## Exercises")


EXERCISE = re.compile(r"^(`{3,}|:{3,})\{exercise(?:-start)?\}.*?\n:label: (\S+)", re.M)
SOLUTION_OF = re.compile(r"^(`{3,}|:{3,})\{solution(?:-start)?\} (\S+)", re.M)


def test_every_exercise_has_a_solution(notebook):
    text = "\n".join(_cells(notebook, "markdown"))
    exercises = [label for _, label in EXERCISE.findall(text)]
    solved = [label for _, label in SOLUTION_OF.findall(text)]
    assert len(exercises) == len(set(exercises)), "exercise labels are unique"
    assert sorted(exercises) == sorted(solved), "every exercise has exactly one solution"
    assert "Exercise" not in "\n".join(
        line for line in text.splitlines() if line.startswith("#") and "Exercises" not in line
    ), "exercises are {exercise} directives, not headings"


def test_exercise_labels_are_unique_across_the_book():
    labels = [
        label
        for path in NOTEBOOKS
        for _, label in EXERCISE.findall("\n".join(_cells(path, "markdown")))
    ]
    assert len(labels) == len(set(labels))


def test_student_copy_keeps_the_exercises_and_drops_every_solution(notebook):
    import nbformat

    from tools.strip_solutions import strip

    stripped = nbformat.read(notebook, as_version=4)
    strip(stripped)
    markdown = "\n".join(c.source for c in stripped.cells if c.cell_type == "markdown")
    original = "\n".join(_cells(notebook, "markdown"))
    assert EXERCISE.findall(markdown) == EXERCISE.findall(original)
    assert not SOLUTION_OF.findall(markdown)
    assert "{solution-end}" not in markdown


# Text in figures stays legible at the page's width (the site tests measure it): no
# notebook sets a font smaller than the book's smallest.
def test_no_font_smaller_than_the_books_minimum(notebook):
    from optnotes.lab.plotting import MIN_FONT_PT

    sizes = [
        float(size)
        for cell in _cells(notebook, "code")
        for size in re.findall(r"\b(?:fontsize|size|labelsize)\s*=\s*([0-9.]+)", cell)
    ]
    assert all(size >= MIN_FONT_PT for size in sizes), sizes


def test_every_public_module_is_on_an_api_page():
    """Each public module of the package (the root package aside) has an automodule entry."""
    root = BOOK.parent
    modules = set()
    for path in (root / "optnotes").rglob("*.py"):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if len(parts) > 1 and not any(part.startswith("_") for part in parts):
            modules.add(".".join(parts))
    pages = "".join(p.read_text() for p in (BOOK / "api").glob("*.md"))
    documented = set(re.findall(r"^\.\. automodule:: ([\w.]+)$", pages, flags=re.M))
    assert sorted(modules - documented) == []
