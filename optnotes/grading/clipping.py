"""Check a student's gradient-clipping function against the reference.

Both functions clip the same random gradients (those of the parameters of
:class:`~optnotes.grading.problem.Quadratics`, one of which has none); the value they
return and the gradients they leave are compared, with the tolerance that round-off
explains (the reference again in float64, plus a few units in the last place per
element summed). A function that returns the norm after clipping, scales gradients that
are already short enough, clips each tensor on its own or adds up the per-tensor norms
gets a hint: the check computes what each of these mistakes gives and compares.
"""

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from optnotes.grading.compare import (
    Settings,
    describe_error,
    label,
    make_report,
    name_of,
    reference_name,
    resolve,
    settings_to_run,
)
from optnotes.grading.hints import ADVICE, error_hints
from optnotes.grading.problem import UNUSED, Quadratics
from optnotes.grading.report import CaseResult, Report
from optnotes.grading.roundoff import FLOOR, SAFETY

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


def _is_clipping(obj: Any) -> bool:
    return callable(obj) and getattr(obj, "__name__", "").startswith("clip_grad")


def check_clip(
    student_fn: Callable[..., Any],
    reference: str | Callable[..., Any],
    *,
    kwargs: Settings = None,
    seeds: Sequence[int] = (0, 1, 2),
    dtype: torch.dtype = torch.float64,
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
        ``"clip_grad_norm_"``, ``"clip_grad_value_"`` (from ``torch.nn.utils``, any
        case) or any function.
    kwargs : dict or list of dict, optional
        Settings to try; by default those of ``CLIP_SETTINGS`` for the reference (a
        default setting with an argument ``student_fn`` does not take fails).
    seeds : list of int
        One set of random gradients per seed.
    dtype : torch.dtype
        Precision of the gradients.

    Returns
    -------
    Report
        One result per setting, with the first difference.

    Raises
    ------
    ValueError
        If ``reference`` names no clipping function of ``torch.nn.utils``.
    """
    reference_fn = resolve(reference, torch.nn.utils, _is_clipping, "clipping function")
    defaults = CLIP_SETTINGS.get(reference_fn.__name__)
    settings, cases = settings_to_run(kwargs, defaults, student_fn)
    hints, failed_settings = [], []
    for setting in settings:
        failures = (
            _clip_difference(student_fn, reference_fn, setting, seed, dtype) for seed in seeds
        )
        failure = next((f for f in failures if f is not None), None)
        cases.append(CaseResult(label(setting), None if failure is None else failure.text))
        if failure is not None:
            failed_settings.append(setting)
            hints += failure.hints
    if failed_settings and all(s.get("norm_type", 2.0) != 2.0 for s in failed_settings):
        hints.append(ADVICE["clip_norm_type"])
    if kwargs is None and defaults is not None:
        by_label = {case.setting: case for case in cases}
        cases = [by_label[label(setting)] for setting in defaults]
    title = f"{name_of(student_fn)} vs {reference_name(reference, reference_fn, 'torch.nn.utils')}"
    return make_report(title, cases, hints)


@dataclass(frozen=True)
class _ClipFailure:
    text: str
    hints: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Clipped:
    """What a clipping function returned and the gradients it left."""

    result: Any
    grads: list[torch.Tensor | None]


def _clip(fn: Callable[..., Any], grads: list[torch.Tensor | None], setting: Mapping) -> _Clipped:
    params = [torch.zeros_like(g if g is not None else grads[0]) for g in grads]
    for param, grad in zip(params, grads, strict=True):
        param.requires_grad_(True)
        param.grad = None if grad is None else grad.clone()
    result = fn(params, **setting)
    return _Clipped(result, [p.grad for p in params])


def _gradients(seed: int, dtype: torch.dtype) -> list[torch.Tensor | None]:
    problem = Quadratics.draw(seed, dtype)
    # total norm ≈ 15, well above max_norm=1
    return [None if i == UNUSED else 3 * value for i, value in enumerate(problem.initial)]


def _clip_difference(
    student_fn: Callable[..., Any],
    reference_fn: Callable[..., Any],
    setting: Mapping[str, Any],
    seed: int,
    dtype: torch.dtype,
) -> _ClipFailure | None:
    """Clip the same random gradients with both functions; describe the first difference."""
    grads = _gradients(seed, dtype)
    expected = _clip(reference_fn, grads, setting)
    precise = _clip(reference_fn, _gradients(seed, torch.float64), setting)
    try:
        mine = _clip(student_fn, grads, setting)
    except Exception as error:  # the student's code may fail in any way; report it
        return _ClipFailure(describe_error(error), error_hints(error))
    size = sum(g.numel() for g in grads if g is not None)
    eps = torch.finfo(dtype).eps

    def allowed(value: torch.Tensor, exact: torch.Tensor) -> float:
        drift = float((value.double() - exact.double()).abs().max())
        return SAFETY * drift + FLOOR * size * eps * float(value.abs().max())

    lines, grads_agree = [], True
    for i, (ours, theirs, exact) in enumerate(
        zip(mine.grads, expected.grads, precise.grads, strict=True)
    ):
        if ours is None or theirs is None:
            if ours is not theirs:
                lines.append(f"param {i}: .grad should stay None (seed {seed})")
                grads_agree = False
                break
            continue
        close = (ours.double() - theirs.double()).abs() <= allowed(theirs, exact)
        if not bool(close.all()):
            index = tuple(torch.nonzero(~close)[0].tolist())
            lines.append(
                f"grad of param {i}[{', '.join(map(str, index))}] (seed {seed}): "
                f"yours {ours[index].item():.10g}, reference {theirs[index].item():.10g}"
            )
            grads_agree = False
            break
    result_agrees = True
    if expected.result is not None:
        want = torch.as_tensor(expected.result)
        tolerance = allowed(want, torch.as_tensor(precise.result))
        if mine.result is None or abs(float(mine.result) - float(want)) > tolerance:
            returned = "None" if mine.result is None else f"{float(mine.result):.10g}"
            lines.insert(0, f"returned {returned}, reference {float(want):.10g} (seed {seed})")
            result_agrees = False
    if grads_agree and result_agrees:
        return None
    if not grads_agree:
        hints = _grad_hints(mine.grads, grads, expected.result, setting)
    else:
        hints = _result_hints(mine.result, grads, expected.grads, setting)
    return _ClipFailure("\n".join(lines), hints)


def _norms(grads: list[torch.Tensor | None], norm_type: float) -> list[torch.Tensor]:
    return [torch.linalg.vector_norm(g.double(), norm_type) for g in grads if g is not None]


def _result_hints(
    result: Any,
    grads: list[torch.Tensor | None],
    clipped: list[torch.Tensor | None],
    setting: Mapping[str, Any],
) -> list[str]:
    """Return advice when the gradients are right and the value returned is a known mistake's."""
    if result is None or "max_norm" not in setting:
        return []
    value = float(result)
    norm_type = float(setting.get("norm_type", 2.0))
    after = torch.linalg.vector_norm(torch.stack(_norms(clipped, norm_type)), norm_type)
    if math.isclose(value, float(after), rel_tol=1e-5):
        return [ADVICE["clip_returns_norm"]]
    if math.isfinite(norm_type) and math.isclose(
        value, float(sum(_norms(grads, norm_type))), rel_tol=1e-5
    ):
        return [ADVICE["clip_sum_of_norms"]]
    return []


def _grad_hints(
    clipped: list[torch.Tensor | None],
    grads: list[torch.Tensor | None],
    total: Any,
    setting: Mapping[str, Any],
) -> list[str]:
    """Return advice when the clipped gradients are what a known mistake leaves."""
    if "max_norm" not in setting:
        return []
    max_norm, norm_type = setting["max_norm"], float(setting.get("norm_type", 2.0))
    if total is not None and float(total) < max_norm:
        return [ADVICE["clip_no_op"]]
    per_tensor = [
        None if g is None else g.double() * min(1.0, max_norm / (float(n) + 1e-6))
        for g, n in zip(grads, _norms_or_none(grads, norm_type), strict=True)
    ]
    if _same(clipped, per_tensor):
        return [ADVICE["clip_per_tensor"]]
    if math.isfinite(norm_type):
        summed = float(sum(_norms(grads, norm_type)))
        scaled = [
            None if g is None else g.double() * min(1.0, max_norm / (summed + 1e-6)) for g in grads
        ]
        if _same(clipped, scaled):
            return [ADVICE["clip_sum_of_norms"]]
    return []


def _norms_or_none(grads: list[torch.Tensor | None], norm_type: float) -> list[Any]:
    return [None if g is None else torch.linalg.vector_norm(g.double(), norm_type) for g in grads]


def _same(a: list[torch.Tensor | None], b: list[torch.Tensor | None]) -> bool:
    """Whether two lists of gradients agree to 1e-5 (None only with None)."""
    for x, y in zip(a, b, strict=True):
        if (x is None) != (y is None):
            return False
        if x is not None and not torch.allclose(x.double(), y.double(), rtol=1e-5, atol=1e-12):
            return False
    return True
