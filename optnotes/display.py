"""Show the package's own source in a notebook, so chapters never retype code."""

import inspect
from collections.abc import Callable

from IPython.display import Code


def show_source(obj: Callable | type) -> Code:
    """Return the source code of a function or class, syntax-highlighted for a notebook.

    The book's chapters display the functions that implement each update
    rule with this, so what a reader sees is exactly the code that is tested.

    Parameters
    ----------
    obj : callable or type
        A function, method or class defined in Python source.

    Returns
    -------
    IPython.display.Code
        Rendered with highlighting by Jupyter and by the book's HTML build.
    """
    return Code(inspect.getsource(obj), language="python")
