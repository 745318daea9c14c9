"""What the three checks share: which settings to run, the tolerances, and the comparison.

Each check (:mod:`~optnotes.grading.optimizers`, :mod:`~optnotes.grading.schedulers`,
:mod:`~optnotes.grading.clipping`) runs the student's code and the reference in several
settings of the hyper-parameters and reports, per setting, the first place where the two
differ by more than the tolerance: an element of a tensor (:func:`first_mismatch`) or an
entry of a table of numbers (:func:`first_row_difference`).
"""

import inspect
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch

from optnotes.grading.report import CaseResult, Report

Settings = Mapping[str, Any] | Sequence[Mapping[str, Any]] | None
"""One setting of the hyper-parameters, several, or ``None`` for the check's defaults."""


def settings_to_run(
    kwargs: Settings,
    defaults: list[dict[str, Any]] | None,
    student: Callable[..., Any],
) -> tuple[list[dict[str, Any]], list[str]]:
    """Return the settings to run, and labels of default settings the student cannot take.

    Parameters
    ----------
    kwargs : dict or list of dict or None
        The settings the caller asked for; ``None`` means ``defaults``.
    defaults : list of dict or None
        The check's default settings for the reference, ``None`` if it has none.
    student : callable
        The student's class or function; default settings with arguments it does not
        take are left out (and listed), settings given explicitly are always run.

    Returns
    -------
    tuple of (list of dict, list of str)
        The settings to run and the labels of the default settings left out.

    Raises
    ------
    ValueError
        If ``kwargs`` is ``None`` and there are no ``defaults``.
    """
    if isinstance(kwargs, Mapping):
        return [dict(kwargs)], []
    if kwargs is not None:
        return [dict(setting) for setting in kwargs], []
    if defaults is None:
        raise ValueError("there are no default settings for this reference: pass kwargs")
    return (
        [dict(s) for s in defaults if accepts(student, s)],
        [label(s) for s in defaults if not accepts(student, s)],
    )


def accepts(fn: Callable[..., Any], names: Mapping[str, Any]) -> bool:
    """Whether ``fn`` (a function or class) takes keyword arguments of these names."""
    try:
        parameters = inspect.signature(fn).parameters
    except (TypeError, ValueError):  # no signature to read: let the call decide
        return True
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return True
    return all(name in parameters for name in names)


def tolerances(dtype: torch.dtype, rtol: float | None, atol: float | None) -> tuple[float, float]:
    """Return ``(rtol, atol)``, filling in defaults for ``dtype``: tight in float64."""
    default_rtol, default_atol = (1e-9, 1e-12) if dtype == torch.float64 else (1e-5, 1e-7)
    return (default_rtol if rtol is None else rtol, default_atol if atol is None else atol)


def first_mismatch(
    mine: torch.Tensor,
    expected: torch.Tensor,
    rtol: float,
    atol: float,
    *,
    equal_nan: bool = False,
) -> tuple[int, ...] | None:
    r"""Index of the first element with :math:`|a - b| > \text{atol} + \text{rtol}\,|b|`.

    Parameters
    ----------
    mine, expected : torch.Tensor
        The student's tensor and the reference's, of the same shape.
    rtol, atol : float
        Relative and absolute tolerance, as in ``torch.isclose``.
    equal_nan : bool, default False
        Whether NaN in both places counts as agreement.

    Returns
    -------
    tuple of int or None
        The index (``()`` for a scalar), or ``None`` if every element agrees.
    """
    close = torch.isclose(mine, expected, rtol=rtol, atol=atol, equal_nan=equal_nan)
    if close.all():
        return None
    return tuple(torch.nonzero(~close)[0].tolist())


def first_row_difference(
    mine: Sequence[Sequence[float]],
    expected: Sequence[Sequence[float]],
    rtol: float,
    atol: float,
) -> tuple[int, int] | None:
    """Row and column of the first entry where two tables of numbers differ.

    Rows are compared up to the shorter table's length; entries as ``math.isclose``
    does, with ``rel_tol=rtol`` and ``abs_tol=atol``.

    Parameters
    ----------
    mine, expected : sequence of sequence of float
        The student's table and the reference's, e.g. learning rates by step and group.
    rtol, atol : float
        Relative and absolute tolerance.

    Returns
    -------
    tuple of (int, int) or None
        ``(row, column)``, or ``None`` if the common rows agree.
    """
    for row, (ours, theirs) in enumerate(zip(mine, expected, strict=False)):
        for column, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            if not math.isclose(a, b, rel_tol=rtol, abs_tol=atol):
                return row, column
    return None


def describe_error(error: BaseException) -> str:
    """Describe an error of the student's code: ``'raised TypeError: message'``."""
    return f"raised {type(error).__name__}: {error}"


def label(setting: Mapping[str, Any]) -> str:
    """Write a setting as text: ``'lr=0.1, momentum=0.9'``, or ``'defaults'`` if empty."""
    return ", ".join(f"{key}={value!r}" for key, value in setting.items()) or "defaults"


def name_of(obj: Any) -> str:
    """Return the qualified name of a class or function, else the name of its type."""
    return getattr(obj, "__qualname__", type(obj).__name__)


def reference_name(reference: str | Any, resolved: Any, namespace: str) -> str:
    """``'torch.optim.Adam'`` for a reference given by name, else the object's own name."""
    return f"{namespace}.{reference}" if isinstance(reference, str) else name_of(resolved)


def make_report(
    title: str, cases: list[CaseResult], hints: list[str], skipped: list[str]
) -> Report:
    """Assemble the report, each hint once and in the order first given."""
    return Report(title, cases, list(dict.fromkeys(hints)), skipped)
