"""What the three checks share: the reference by name, the settings to run, the comparison.

Each check (:mod:`~optnotes.grading.optimizers`, :mod:`~optnotes.grading.schedulers`,
:mod:`~optnotes.grading.clipping`) runs the student's code and the reference in several
settings of the hyper-parameters and reports, per setting, the first place where the two
differ by more than the tolerance: an element of a tensor (:func:`first_mismatch`) or an
entry of a table of numbers (:func:`first_row_difference`).
"""

import inspect
import math
from collections.abc import Callable, Mapping, Sequence
from types import ModuleType
from typing import Any

import torch

from optnotes.grading.report import CaseResult, Report

Settings = Mapping[str, Any] | Sequence[Mapping[str, Any]] | None
"""One setting of the hyper-parameters, several, or ``None`` for the check's defaults."""


def resolve(
    reference: Any,
    namespace: ModuleType | Sequence[ModuleType],
    is_valid: Callable[[Any], bool],
    what: str,
) -> Any:
    """Return the reference: ``reference`` itself, or the object of that name in ``namespace``.

    Names are matched without regard to case (``"adamw"`` is ``AdamW``).

    Parameters
    ----------
    reference : str or object
        A name, or the reference itself.
    namespace : types.ModuleType or sequence of types.ModuleType
        Where names are looked up, e.g. ``torch.optim``; of several, the first that has
        the name gives the object.
    is_valid : callable
        Which objects of ``namespace`` count as references.
    what : str
        What a reference is, for the error message: ``"optimizer"``.

    Returns
    -------
    object
        The reference.

    Raises
    ------
    ValueError
        If no valid object of ``namespace`` has that name; the message lists the names.
    TypeError
        If ``reference`` is neither a name nor callable.
    """
    if not isinstance(reference, str):
        if not callable(reference):
            raise TypeError(
                f"reference must be the name of a {what} or a {what} itself, "
                f"not {type(reference).__name__}"
            )
        return reference
    namespaces = [namespace] if isinstance(namespace, ModuleType) else list(namespace)
    names: dict[str, tuple[str, Any]] = {}
    for module in reversed(namespaces):  # the first namespace overrides the later ones
        for name in dir(module):
            if not name.startswith("_") and is_valid(getattr(module, name)):
                names[name.lower()] = (name, getattr(module, name))
    if reference.lower() not in names:
        valid = ", ".join(sorted((name for name, _ in names.values()), key=str.lower))
        where = " or ".join(module.__name__ for module in namespaces)
        raise ValueError(
            f"reference: {where} has no {what} named {reference!r}; valid names: {valid}"
        )
    return names[reference.lower()][1]


def settings_to_run(
    kwargs: Settings,
    defaults: list[dict[str, Any]] | None,
    student: Callable[..., Any],
) -> tuple[list[dict[str, Any]], list[CaseResult]]:
    """Return the settings to run, and failures for default settings the student cannot take.

    Parameters
    ----------
    kwargs : dict or list of dict or None
        The settings the caller asked for; ``None`` means ``defaults``.
    defaults : list of dict or None
        The check's default settings for the reference, ``None`` if it has none.
    student : callable
        The student's class or function. A default setting with an argument it does
        not take is a failure (the reference takes it); settings given explicitly are
        always run, so a teacher who asks for fewer arguments lists the settings.

    Returns
    -------
    tuple of (list of dict, list of CaseResult)
        The settings to run, and a failed case for each default setting that cannot.

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
    runnable = [dict(s) for s in defaults if accepts(student, s)]
    missing = [
        CaseResult(label(s), f"your code does not take the argument(s) {', '.join(names)}")
        for s in defaults
        if (names := missing_arguments(student, s))
    ]
    return runnable, missing


def missing_arguments(fn: Callable[..., Any], names: Mapping[str, Any]) -> list[str]:
    """Return the keyword arguments in ``names`` that ``fn`` (function or class) does not take."""
    try:
        parameters = inspect.signature(fn).parameters
    except (TypeError, ValueError):  # no signature to read: let the call decide
        return []
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return []
    return [name for name in names if name not in parameters]


def accepts(fn: Callable[..., Any], names: Mapping[str, Any]) -> bool:
    """Whether ``fn`` (a function or class) takes keyword arguments of these names."""
    return not missing_arguments(fn, names)


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
    return f"{namespace}.{resolved.__name__}" if isinstance(reference, str) else name_of(resolved)


def make_report(title: str, cases: list[CaseResult], hints: list[str]) -> Report:
    """Assemble the report, each hint once and in the order first given."""
    return Report(title, cases, list(dict.fromkeys(hints)))
