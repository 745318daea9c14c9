"""The scripts of tools/: the student copy and the install cells."""

import nbformat
import pytest

from tools.install_cell import install_source, synced
from tools.strip_solutions import strip


def _notebook(*cells):
    return nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(source[5:])
            if source.startswith("code:")
            else nbformat.v4.new_markdown_cell(source)
            for source in cells
        ]
    )


def test_strip_keeps_exercises_and_text_around_the_solutions():
    notebook = _notebook(
        "## Exercises\n\n```{exercise} A\n:label: a\nQ?\n```\n\n```{solution} a\n"
        ":class: dropdown\nAnswer.\n```\nAfter.",
        "```{exercise} B\n:label: b\nQ2?\n```\n\n```{solution-start} b\n:class: dropdown\n```\n"
        "Worked:",
        "code:x = 2\nassert x == 2",
        "```{solution-end}\n```\nMore text.",
        "code:print('kept')",
    )
    assert strip(notebook) == 2
    sources = [cell.source for cell in notebook.cells]
    assert sources == [
        "## Exercises\n\n```{exercise} A\n:label: a\nQ?\n```\n\nAfter.",
        "```{exercise} B\n:label: b\nQ2?\n```\n\n",
        "More text.",
        "print('kept')",
    ]


def test_strip_refuses_an_unclosed_solution():
    notebook = _notebook("```{solution-start} b\n```", "code:x = 1")
    with pytest.raises(ValueError, match="solution-end"):
        strip(notebook)


def test_install_cell_is_put_first_once():
    notebook = _notebook("# Title")
    assert not synced(notebook, install_source())
    assert synced(notebook, install_source())
    assert [cell.cell_type for cell in notebook.cells] == ["code", "markdown"]
    assert notebook.cells[0].metadata["tags"] == ["remove-cell"]
