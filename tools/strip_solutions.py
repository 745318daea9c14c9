"""Take the solutions out of the book's notebooks: a copy for students.

Every exercise of the book has a worked solution that readers reveal on the site. A
teacher who hands the chapters out as assignments builds them without:

    make book-without-solutions   # the site, in _build/students

which runs this script over an executed copy of the book:

    python tools/strip_solutions.py DIR   # every notebook under DIR, in place

It removes each ``{solution}`` directive from the Markdown cells, and each gated
solution, from the cell that opens it (``{solution-start}``) to the cell that closes it
(``{solution-end}``), code cells and their outputs included. The exercises stay.
"""

import argparse
import re
import sys
from pathlib import Path

import nbformat

# a fenced {solution} directive: its opening fence, anything, the same fence closing it
SOLUTION = re.compile(
    r"^(?P<fence>`{3,}|:{3,})\{solution\}.*?^(?P=fence)[ \t]*$\n?", re.MULTILINE | re.DOTALL
)
# the directives that open and close a gated solution, each with its closing fence
GATE_START = re.compile(r"^(?P<fence>`{3,}|:{3,})\{solution-start\}", re.MULTILINE)
GATE_END = re.compile(
    r"^(?P<fence>`{3,}|:{3,})\{solution-end\}.*?^(?P=fence)[ \t]*$\n?",
    re.MULTILINE | re.DOTALL,
)


def _with_source(cell: nbformat.NotebookNode, source: str) -> list[nbformat.NotebookNode]:
    """``cell`` holding ``source`` instead, or nothing if that is blank."""
    if not source.strip():
        return []
    cell.source = source
    return [cell]


def strip(notebook: nbformat.NotebookNode) -> int:
    """Remove every solution from ``notebook`` in place; return how many there were.

    Text before a ``{solution-start}`` or after a ``{solution-end}`` in the same Markdown
    cell (the exercise itself, say) stays.
    """
    kept, removed, inside = [], 0, False
    for cell in notebook.cells:
        source = cell.source if cell.cell_type == "markdown" else ""
        if not inside:
            start = GATE_START.search(source)
            if start is None:
                if cell.cell_type == "markdown":
                    cell.source, count = SOLUTION.subn("", cell.source)
                    removed += count
                kept.append(cell)
                continue
            inside, removed = True, removed + 1
            before, source = SOLUTION.subn("", source[: start.start()])[0], source[start.end() :]
            kept += _with_source(nbformat.from_dict(dict(cell)), before)
        end = GATE_END.search(source)
        if end is not None:
            inside = False
            if GATE_START.search(source[end.end() :]):
                raise ValueError("two gated solutions in one cell")
            kept += _with_source(cell, source[end.end() :])
    if inside:
        raise ValueError("a {solution-start} without its {solution-end}")
    notebook.cells = kept
    return removed


def main() -> int:
    """Strip the solutions of every notebook under the folder given."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="notebooks under it are changed in place")
    args = parser.parse_args()
    for path in sorted(args.folder.rglob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        count = strip(notebook)
        nbformat.write(notebook, path)
        print(f"{path}: {count} solutions removed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
