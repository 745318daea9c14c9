"""Keep every notebook's install cell in step with the repository named in ``_config.yml``.

A notebook opened outside this repository (Colab's launch button, a download) has no
``optnotes`` to import, so each notebook starts with a cell that installs it from the
repository the book is published from, and does nothing where ``optnotes`` is already
importable (a clone, Binder, the book's own build). The site hides that cell (tag
``remove-cell``). ``_config.yml``'s ``repository.url`` is the one place that names the
repository; this script writes it into the cells:

    python tools/install_cell.py          # rewrite the cells that differ
    python tools/install_cell.py --check  # exit 1 if any cell differs (the tests do this)
"""

import argparse
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
TAG = "remove-cell"


def install_source(config: Path = ROOT / "_config.yml") -> str:
    """Return the install cell's source for the repository and branch in ``config``."""
    repository = yaml.safe_load(config.read_text())["repository"]
    url, branch = repository["url"].rstrip("/"), repository.get("branch", "main")
    return (
        "# Opened outside the book's repository (Colab, a download)? Install its package.\n"
        "import importlib.util\n"
        "\n"
        'if importlib.util.find_spec("optnotes") is None:\n'
        f'    %pip install --quiet "optnotes[lab] @ git+{url}@{branch}"'
    )


def is_install_cell(cell: nbformat.NotebookNode) -> bool:
    """Whether ``cell`` is an install cell (of any repository)."""
    return cell.cell_type == "code" and 'importlib.util.find_spec("optnotes")' in cell.source


def synced(notebook: nbformat.NotebookNode, source: str) -> bool:
    """Put the install cell with ``source`` first in ``notebook``; return whether it was."""
    cells = notebook.cells
    first = cells[0] if cells else None
    if first is not None and is_install_cell(first):
        if first.source == source and TAG in first.metadata.get("tags", []):
            return True
        cells.pop(0)
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": [TAG]})
    cells.insert(0, cell)
    return False


def notebooks() -> list[Path]:
    """Every notebook of the book."""
    return sorted((ROOT / "book").rglob("*.ipynb"))


def main() -> int:
    """Rewrite (or with ``--check`` only list) the install cells that differ."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only report cells that differ")
    args = parser.parse_args()
    source = install_source()
    stale = []
    for path in notebooks():
        notebook = nbformat.read(path, as_version=4)
        if not synced(notebook, source):
            stale.append(path.relative_to(ROOT))
            if not args.check:
                nbformat.write(notebook, path)
    for path in stale:
        print(f"{'out of date' if args.check else 'updated'}: {path}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
