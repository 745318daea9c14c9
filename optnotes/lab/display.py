"""Show the package's own source in a notebook, and hand a run's numbers to the prose.

Chapters never retype code (:func:`show_source`) and never type a number a run
computed (:func:`glue`): the rendered page states what that build computed.
"""

import inspect
import numbers
import re
from collections.abc import Callable
from typing import TypeVar

from IPython.display import Code

T = TypeVar("T")


class Source(Code):
    """Highlighted Python source whose long lines wrap instead of scrolling.

    The package's lines carry the formula they compute as a comment at the right, so
    they run up to 100 characters: wider than a page's text column. In HTML each line
    is its own element with a hanging indent, and the book's stylesheet
    (``book/_static/optnotes.css``, class ``optnotes-source``) wraps a long line under
    itself, so the comment stays in view without horizontal scrolling.
    """

    def _repr_html_(self) -> str:
        from pygments import highlight
        from pygments.formatters import HtmlFormatter
        from pygments.lexers import PythonLexer

        formatter = HtmlFormatter(cssclass="highlight optnotes-source", linespans="source-line")
        body = highlight(self.data, PythonLexer(), formatter)
        body = re.sub(r'<span id="source-line-\d+">', '<span class="source-line">', body)
        # JupyterLab shows the output without the book's stylesheet: carry the wrapping,
        # and colours that apply there only (the site keeps its theme's, dark mode too)
        rules = (
            ".optnotes-source pre { white-space: pre-wrap; overflow-wrap: anywhere; }"
            " .optnotes-source .source-line { display: block; padding-left: 4ch;"
            " text-indent: -4ch; }"
        )
        colours = formatter.get_style_defs(".jp-OutputArea-output .optnotes-source")
        return f"<style>{rules}\n{colours}</style>{body}"


def show_source(obj: Callable | type) -> Source:
    """Return the source code of a function or class, syntax-highlighted for a notebook.

    The book's chapters display the functions that implement each update
    rule with this, so what a reader sees is exactly the code that is tested.

    Parameters
    ----------
    obj : callable or type
        A function, method or class defined in Python source.

    Returns
    -------
    Source
        Rendered with highlighting by Jupyter and by the book's HTML build; long lines
        wrap under themselves rather than scroll.
    """
    return Source(inspect.getsource(obj), language="python")


def glue(name: str, value: T) -> T:
    """Record a value computed by the notebook for the book's prose to quote.

    The markdown then writes ``{glue:text}`name:.3f``` (MyST-NB's glue role) where the
    number belongs, so the page always shows this run's value, on any machine. NumPy
    and torch scalars are stored as plain Python numbers, so format specs apply. Outside
    the book (no ``myst_nb`` installed, e.g. on Colab) nothing is recorded.

    Parameters
    ----------
    name : str
        The key the markdown refers to; unique within the notebook.
    value : object
        The number (or text) to record.

    Returns
    -------
    object
        ``value`` unchanged, so a cell can write ``gap = glue("gap", a - b)``.
    """
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        return value
    recorded = value
    if hasattr(value, "item") and getattr(value, "ndim", None) == 0:  # numpy or torch scalar
        recorded = value.item()
    if isinstance(recorded, numbers.Integral) and not isinstance(recorded, bool):
        recorded = int(recorded)
    elif isinstance(recorded, numbers.Real) and not isinstance(recorded, bool):
        recorded = float(recorded)
    myst_glue(name, recorded, display=False)
    return value
