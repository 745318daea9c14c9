"""Check a student's gradient-clipping function against the reference.

Both functions clip the same random gradients (those of the parameters of
:class:`~optnotes.grading.problem.Quadratics`, one of which has none); the value they
return and the gradients they leave are compared. A function that returns the norm after
clipping, or scales gradients that are already short enough, gets a hint.
"""

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from optnotes.grading.compare import (
    Settings,
    describe_error,
    first_mismatch,
    label,
    make_report,
    name_of,
    reference_name,
    settings_to_run,
    tolerances,
)
from optnotes.grading.hints import ADVICE, error_hints
from optnotes.grading.problem import UNUSED, Quadratics
from optnotes.grading.report import CaseResult, Report

__all__ = ["CLIP_SETTINGS", "check_clip"]

CLIP_SETTINGS: dict[str, list[dict[str, Any]]] = {
    "clip_grad_norm_": [
        {"max_norm": 1.0},
        {"max_norm": 1.0, "norm_type": 1.0},
        {"max_norm": 1.0, "norm_type": math.inf},
        {"max_norm": 1000.0},
    ],
    "clip_grad_value_": [{"clip_value": 0.1}, {"clip_value": 100.0}],
}
"""Settings tried when ``check_clip`` gets no ``kwargs``, by reference name."""


def check_clip(
    student_fn: Callable[..., Any],
    reference: str | Callable[..., Any] = "clip_grad_norm_",
    *,
    kwargs: Settings = None,
    seeds: Sequence[int] = (0, 1, 2),
    dtype: torch.dtype = torch.float64,
    rtol: float | None = None,
    atol: float | None = None,
) -> Report:
    """Check that a gradient-clipping function gives the reference's gradients and result.

    Both functions get parameters of several shapes with random gradients (one
    parameter has no gradient); the value they return and the gradients they leave are
    compared.

    Parameters
    ----------
    student_fn : callable
        The function to check, called as ``student_fn(parameters, **kwargs)``.
    reference : str or callable
        ``"clip_grad_norm_"``, ``"clip_grad_value_"`` (from ``torch.nn.utils``) or any
        function.
    kwargs : dict or list of dict, optional
        Settings to try; by default those of ``CLIP_SETTINGS`` for the reference.
    seeds : list of int
        One set of random gradients per seed.
    dtype : torch.dtype
        Precision of the gradients.
    rtol, atol : float, optional
        Relative and absolute tolerance, by default as in ``check_optimizer``.

    Returns
    -------
    Report
        One result per setting, with the first difference.
    """
    reference_fn = getattr(torch.nn.utils, reference) if isinstance(reference, str) else reference
    settings, skipped = settings_to_run(
        kwargs, CLIP_SETTINGS.get(reference_fn.__name__), student_fn
    )
    rtol, atol = tolerances(dtype, rtol, atol)
    cases, hints, failed_settings = [], [], []
    for setting in settings:
        failures = (
            _clip_difference(student_fn, reference_fn, setting, seed, dtype, rtol, atol)
            for seed in seeds
        )
        failure = next((f for f in failures if f is not None), None)
        cases.append(CaseResult(label(setting), None if failure is None else failure.text))
        if failure is not None:
            failed_settings.append(setting)
            hints += failure.hints
    if failed_settings and all(s.get("norm_type", 2.0) != 2.0 for s in failed_settings):
        hints.append(ADVICE["clip_norm_type"])
    title = f"{name_of(student_fn)} vs {reference_name(reference, reference_fn, 'torch.nn.utils')}"
    return make_report(title, cases, hints, skipped)


@dataclass(frozen=True)
class _ClipFailure:
    text: str
    hints: list[str]


def _clip_difference(
    student_fn: Callable[..., Any],
    reference_fn: Callable[..., Any],
    setting: Mapping[str, Any],
    seed: int,
    dtype: torch.dtype,
    rtol: float,
    atol: float,
) -> _ClipFailure | None:
    """Clip the same random gradients with both functions; describe the first difference."""
    problem = Quadratics.draw(seed, dtype)
    grads = [3 * value for value in problem.initial]  # total norm ≈ 15, well above max_norm=1
    mine, theirs = problem.parameters(), problem.parameters()
    for params in (mine, theirs):
        for i, (param, grad) in enumerate(zip(params, grads, strict=True)):
            param.grad = None if i == UNUSED else grad.clone()
    expected = reference_fn(theirs, **setting)
    try:
        result = student_fn(mine, **setting)
    except Exception as error:  # the student's code may fail in any way; report it
        return _ClipFailure(describe_error(error), error_hints(error))
    if expected is not None and (
        result is None
        or not math.isclose(float(result), float(expected), rel_tol=rtol, abs_tol=atol)
    ):
        returned = "None" if result is None else f"{float(result):.10g}"
        after_clipping = result is not None and math.isclose(
            float(result), setting.get("max_norm", math.nan), rel_tol=1e-5
        )
        return _ClipFailure(
            f"returned {returned}, reference {float(expected):.10g} (seed {seed})",
            [ADVICE["clip_returns_norm"]] if after_clipping else [],
        )
    for i, (param, reference) in enumerate(zip(mine, theirs, strict=True)):
        if param.grad is None or reference.grad is None:
            if param.grad is not reference.grad:
                return _ClipFailure(f"param {i}: .grad should stay None (seed {seed})", [])
            continue
        index = first_mismatch(param.grad, reference.grad, rtol, atol)
        if index is not None:
            no_op = expected is not None and float(expected) < setting.get("max_norm", 0.0)
            yours, theirs_value = param.grad[index].item(), reference.grad[index].item()
            return _ClipFailure(
                f"grad of param {i}[{', '.join(map(str, index))}] (seed {seed}): "
                f"yours {yours:.10g}, reference {theirs_value:.10g}",
                [ADVICE["clip_no_op"]] if no_op else [],
            )
    return None
