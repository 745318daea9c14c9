"""Check a student's learning-rate scheduler against the reference, step by step.

Both schedulers drive the same throw-away optimizer through
:func:`~optnotes.lr_scheduler.sequence.iter_lr_sequence`, the helper the book plots schedules with;
the learning rates (and momenta, which ``CyclicLR`` and ``OneCycleLR`` cycle) of every
param group after construction and after every ``step()`` are compared. A sequence that
is the reference's shifted by one step, or right for the first param group only, gets a
hint.
"""

from collections.abc import Mapping
from typing import Any

import torch

from optnotes.grading.compare import (
    Settings,
    describe_error,
    first_row_difference,
    label,
    make_report,
    name_of,
    reference_name,
    resolve,
    settings_to_run,
)
from optnotes.grading.hints import ADVICE, error_hints
from optnotes.grading.report import CaseResult, Report
from optnotes.lr_scheduler import iter_lr_sequence

__all__ = ["SCHEDULER_SETTINGS", "check_scheduler"]

SCHEDULER_SETTINGS: dict[str, list[dict[str, Any]]] = {
    "StepLR": [{"step_size": 7, "gamma": 0.5}],
    "MultiStepLR": [{"milestones": [10, 25], "gamma": 0.3}],
    "ExponentialLR": [{"gamma": 0.9}],
    "ConstantLR": [{"factor": 0.5, "total_iters": 10}],
    "LinearLR": [
        {"start_factor": 0.1, "total_iters": 10},
        {"start_factor": 1.0, "end_factor": 0.2, "total_iters": 30},
    ],
    "PolynomialLR": [{"total_iters": 40, "power": 2.0}],
    "CosineAnnealingLR": [{"T_max": 20}, {"T_max": 20, "eta_min": 0.001}],
    "ReduceLROnPlateau": [
        {"patience": 2, "factor": 0.5},
        {"patience": 1, "factor": 0.3, "cooldown": 2, "min_lr": 0.005},
    ],
    "CosineAnnealingWarmRestarts": [{"T_0": 10}, {"T_0": 5, "T_mult": 2, "eta_min": 0.001}],
    "OneCycleLR": [
        {"max_lr": 0.5, "total_steps": 61},
        {"max_lr": 0.5, "total_steps": 61, "anneal_strategy": "linear", "three_phase": True},
    ],
    "CyclicLR": [
        {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 5},
        {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 4, "mode": "triangular2"},
    ],
}
"""Settings tried when ``check_scheduler`` gets no ``kwargs``, by reference name (those of
``OneCycleLR`` last 61 values, the default ``steps=60`` after construction)."""


def check_scheduler(
    student_cls: type,
    reference: str | type,
    *,
    kwargs: Settings = None,
    steps: int = 60,
    rtol: float = 1e-9,
    atol: float = 1e-12,
) -> Report:
    """Check that a learning-rate scheduler produces the reference's learning rates.

    Both schedulers drive an SGD optimizer with two param groups (learning rates 0.1 and
    0.01, momentum 0.9); the learning rates and the momenta after construction and after
    every ``step()`` are compared (the momenta stay at 0.9 unless the scheduler cycles
    them, as ``OneCycleLR`` and ``CyclicLR`` do by default). Schedulers whose ``step``
    needs a metric (``ReduceLROnPlateau``) get made-up validation losses, falling, then
    flat.

    Parameters
    ----------
    student_cls : type
        The scheduler class to check; it is constructed as ``student_cls(optimizer, **kwargs)``.
    reference : str or type
        The name of a ``torch.optim.lr_scheduler`` class (any case), or any scheduler
        class.
    kwargs : dict or list of dict, optional
        Settings to try; by default those of ``SCHEDULER_SETTINGS`` for the reference
        (a default setting with an argument ``student_cls`` does not take fails).
    steps : int
        Number of ``step()`` calls.
    rtol, atol : float
        Relative and absolute tolerance on the learning rates and momenta.

    Returns
    -------
    Report
        One result per setting, with the first difference.

    Raises
    ------
    ValueError
        If ``reference`` names no scheduler of ``torch.optim.lr_scheduler`` (the message
        lists them), or no ``kwargs`` are given and the reference has no default settings.
    """
    reference_cls = resolve(reference, torch.optim.lr_scheduler, _is_scheduler, "scheduler")
    defaults = SCHEDULER_SETTINGS.get(reference_cls.__name__)
    settings, cases = settings_to_run(kwargs, defaults, student_cls)
    # made-up validation losses, falling then flat, for schedulers that watch one
    metrics = [max(1.0 - 0.1 * t, 0.3) + 0.01 * (t % 3) for t in range(steps)]
    hints: list[str] = []
    for setting in settings:
        student, error = _lr_sequence(student_cls, setting, steps, metrics)
        expected, _ = _lr_sequence(reference_cls, setting, steps, metrics, raise_errors=True)
        difference = first_row_difference(student, expected, rtol, atol)
        if difference is None and error is None:
            cases.append(CaseResult(label(setting)))
            continue
        if difference is None:
            cases.append(CaseResult(label(setting), describe_error(error)))
            hints += error_hints(error)
            continue
        step, column = difference
        key, group = _KEYS[column // _GROUPS], column % _GROUPS
        text = (
            f"first difference at step {step}, param group {group}"
            f"{'' if key == 'lr' else f' ({key})'}: "
            f"yours {student[step][column]:.10g}, reference {expected[step][column]:.10g}"
        )
        cases.append(CaseResult(label(setting), text))
        hints += _scheduler_hints(student, expected, rtol, atol)
    if kwargs is None:
        by_label = {case.setting: case for case in cases}
        cases = [by_label[label(setting)] for setting in defaults]
    namespace = "torch.optim.lr_scheduler"
    title = f"{name_of(student_cls)} vs {reference_name(reference, reference_cls, namespace)}"
    return make_report(title, cases, hints)


# what the checker reads of each of the two param groups of iter_lr_sequence's optimizer
_KEYS = ("lr", "momentum")
_GROUPS = 2


def _is_scheduler(obj: Any) -> bool:
    return isinstance(obj, type) and (
        issubclass(obj, torch.optim.lr_scheduler.LRScheduler)
        or obj is torch.optim.lr_scheduler.ReduceLROnPlateau
    )


def _lr_sequence(
    cls: type,
    setting: Mapping[str, Any],
    steps: int,
    metrics: list[float],
    *,
    raise_errors: bool = False,
) -> tuple[list[tuple[float, ...]], Exception | None]:
    """Learning rates and momenta of both param groups, and the error that cut them short."""
    lrs: list[tuple[float, ...]] = []
    try:
        lrs.extend(iter_lr_sequence(cls, steps, metrics=metrics, keys=_KEYS, **setting))
    except Exception as error:  # the student's code may fail in any way; report it
        if raise_errors:
            raise
        return lrs, error
    return lrs, None


def _scheduler_hints(
    student: list[tuple[float, ...]], expected: list[tuple[float, ...]], rtol: float, atol: float
) -> list[str]:
    def same(a: list[tuple[float, ...]], b: list[tuple[float, ...]]) -> bool:
        return len(a) == len(b) and first_row_difference(a, b, rtol, atol) is None

    hints = []
    if same(student[1:], expected[:-1]):
        hints.append(ADVICE["scheduler_lags"])
    if same(student[:-1], expected[1:]):
        hints.append(ADVICE["scheduler_leads"])
    first_group = slice(0, None, _GROUPS)  # the columns of param group 0
    if same([row[first_group] for row in student], [row[first_group] for row in expected]):
        hints.append(ADVICE["scheduler_groups"])
    return hints
