"""Check a student's optimizer against the reference, step by step.

Both optimizers minimise the same random least-squares problem
(:class:`~optnotes.grading.problem.Quadratics`) in several settings of the
hyper-parameters; after every step the parameters are compared. A difference is located
(step, parameter, element, both values) and its pattern (the ratio of the two updates,
the param group, the hyper-parameter whose switching off makes it disappear) is turned
into advice by :mod:`~optnotes.grading.hints`.
"""

import inspect
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from optnotes.grading.compare import (
    Settings,
    accepts,
    first_mismatch,
    label,
    make_report,
    reference_name,
    settings_to_run,
    tolerances,
)
from optnotes.grading.hints import SWITCH_OFF, Evidence, error_hints, family_of, optimizer_hints
from optnotes.grading.problem import FIRST_OF_GROUP_1, Quadratics
from optnotes.grading.report import CaseResult, Report

__all__ = ["OPTIMIZER_SETTINGS", "check_optimizer"]

OPTIMIZER_SETTINGS: dict[str, list[dict[str, Any]]] = {
    "SGD": [
        {"lr": 0.1},
        {"lr": 0.1, "momentum": 0.9},
        {"lr": 0.1, "momentum": 0.9, "dampening": 0.5},
        {"lr": 0.1, "momentum": 0.9, "nesterov": True},
        {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.1},
        {"lr": 0.1, "maximize": True},
    ],
    "Adam": [
        {},
        {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-3},
        {"lr": 0.01, "weight_decay": 0.1},
        {"lr": 0.01, "amsgrad": True},
        {"lr": 0.01, "maximize": True},
    ],
    "AdamW": [
        {},
        {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-3},
        {"lr": 0.01, "weight_decay": 0.1},
        {"lr": 0.01, "amsgrad": True},
    ],
    "RMSprop": [
        {},
        {"eps": 1e-3},
        {"momentum": 0.9},
        {"centered": True},
        {"weight_decay": 0.1},
    ],
    "Adagrad": [
        {},
        {"lr_decay": 0.1},
        {"initial_accumulator_value": 0.1},
        {"weight_decay": 0.1},
        {"eps": 1e-3},
    ],
    "Adadelta": [{}, {"rho": 0.8, "eps": 1e-3}, {"weight_decay": 0.1}, {"lr": 0.5}],
}
"""Settings tried when ``check_optimizer`` gets no ``kwargs``, by reference name."""


def check_optimizer(
    student_cls: type[torch.optim.Optimizer],
    reference: str | type[torch.optim.Optimizer] = "Adam",
    *,
    kwargs: Settings = None,
    steps: int = 20,
    seeds: Sequence[int] = (0, 1),
    dtype: torch.dtype = torch.float64,
    rtol: float | None = None,
    atol: float | None = None,
) -> Report:
    """Check that an optimizer moves parameters exactly as the reference does.

    Both optimizers minimise the same random least-squares problem: five parameters of
    different shapes (one a scalar, one without a gradient) in two param groups, the
    second with half the learning rate. After every step the parameters are compared.

    Parameters
    ----------
    student_cls : type
        The optimizer class to check.
    reference : str or type
        The name of a ``torch.optim`` class, or any optimizer class.
    kwargs : dict or list of dict, optional
        Hyper-parameter settings to try. By default a set that exercises every option
        of the reference (see ``OPTIMIZER_SETTINGS``), leaving out those whose
        arguments ``student_cls`` does not take.
    steps : int
        Optimizer steps per run.
    seeds : list of int
        One random problem per seed.
    dtype : torch.dtype
        Precision of the computation; float64 keeps round-off far below any bug.
    rtol, atol : float, optional
        Relative and absolute tolerance; by default 1e-9 and 1e-12 in float64, 1e-5
        and 1e-7 otherwise.

    Returns
    -------
    Report
        One result per setting, with the first difference and hints about its cause.
    """
    reference_cls = getattr(torch.optim, reference) if isinstance(reference, str) else reference
    defaults = OPTIMIZER_SETTINGS.get(reference_cls.__name__, [{}])
    settings, skipped = settings_to_run(kwargs, defaults, student_cls)
    rtol, atol = tolerances(dtype, rtol, atol)
    cases, hints = [], []
    for setting in settings:
        problems = (Quadratics.draw(seed, dtype) for seed in seeds)
        comparisons = (
            _compare(student_cls, reference_cls, setting, problem, steps, rtol, atol)
            for problem in problems
        )
        failure = next((comparison for comparison in comparisons if not comparison.agrees), None)
        if failure is None:
            cases.append(CaseResult(label(setting)))
        elif failure.difference is None:
            cases.append(CaseResult(label(setting), _describe_error(failure.student)))
            hints += error_hints(failure.student.error)
        else:
            evidence = _evidence(failure, student_cls, reference_cls, setting, steps, rtol, atol)
            cases.append(CaseResult(label(setting), _describe_difference(failure, evidence)))
            hints += optimizer_hints(evidence)
    title = f"{student_cls.__name__} vs {reference_name(reference, reference_cls, 'torch.optim')}"
    return make_report(title, cases, hints, skipped)


@dataclass
class _Run:
    """Parameters after 0, 1, 2, ... steps of one optimizer, and what stopped it early."""

    snapshots: list[list[torch.Tensor]] = field(default_factory=list)
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    error: Exception | None = None
    error_step: int = 0  # 0: the constructor failed


def _run(cls: type, setting: Mapping[str, Any], problem: Quadratics, lr: float, steps: int) -> _Run:
    params = problem.parameters()
    groups = [
        {"params": params[:FIRST_OF_GROUP_1]},
        {"params": params[FIRST_OF_GROUP_1:], "lr": lr / 2},
    ]
    run = _Run(snapshots=[[p.detach().clone() for p in params]])
    optimizer = None
    try:
        optimizer = cls(groups, **setting)
        run.hyperparameters = {k: v for k, v in optimizer.param_groups[0].items() if k != "params"}
        for _ in range(steps):
            for param in params:
                param.grad = None
            problem.loss(params).backward()
            optimizer.step()
            run.snapshots.append([p.detach().clone() for p in params])
    except Exception as error:  # the student's code may fail in any way; report it
        run.error = error
        run.error_step = 0 if optimizer is None else len(run.snapshots)
    return run


@dataclass(frozen=True)
class _Comparison:
    problem: Quadratics
    student: _Run
    reference: _Run
    difference: tuple[int, int, tuple[int, ...]] | None  # step, parameter, element

    @property
    def agrees(self) -> bool:
        return self.difference is None and self.student.error is None

    @property
    def reference_moved(self) -> bool:
        first, last = self.reference.snapshots[0], self.reference.snapshots[-1]
        return any(not torch.equal(a, b) for a, b in zip(first, last, strict=True))


def _compare(
    student_cls: type,
    reference_cls: type,
    setting: Mapping[str, Any],
    problem: Quadratics,
    steps: int,
    rtol: float,
    atol: float,
) -> _Comparison:
    lr = setting.get("lr", inspect.signature(reference_cls).parameters["lr"].default)
    reference = _run(reference_cls, setting, problem, lr, steps)
    if reference.error is not None:
        raise reference.error  # the setting itself is wrong, not the student's code
    student = _run(student_cls, setting, problem, lr, steps)
    for step, (ours, theirs) in enumerate(
        zip(student.snapshots, reference.snapshots, strict=False)
    ):
        for i, (mine, expected) in enumerate(zip(ours, theirs, strict=True)):
            index = first_mismatch(mine, expected, rtol, atol, equal_nan=True)
            if index is not None:
                return _Comparison(problem, student, reference, (step, i, index))
    return _Comparison(problem, student, reference, None)


def _evidence(
    comparison: _Comparison,
    student_cls: type,
    reference_cls: type,
    setting: Mapping[str, Any],
    steps: int,
    rtol: float,
    atol: float,
) -> Evidence:
    """Gather the pattern of a difference: ratio of the updates, group, hyper-parameter."""
    step, i, _ = comparison.difference
    hyperparameters = comparison.reference.hyperparameters
    switched_off = None
    for name, neutral in SWITCH_OFF.items():
        change = {key: value for key, value in neutral.items() if key in hyperparameters}
        if hyperparameters.get(name, neutral[name]) == neutral[name] or not accepts(
            student_cls, change
        ):
            continue
        rerun = _compare(
            student_cls, reference_cls, {**setting, **change}, comparison.problem, steps, rtol, atol
        )
        if rerun.agrees and rerun.reference_moved:
            switched_off = name
            break
    return Evidence(
        family=family_of(reference_cls),
        hyperparameters=hyperparameters,
        step=step,
        factor=_constant_ratio(comparison, step, i),
        second_group_only=i >= FIRST_OF_GROUP_1,
        switched_off=switched_off,
    )


def _constant_ratio(comparison: _Comparison, step: int, i: int) -> float | None:
    """Student's update over the reference's in ``step``, if the same for every element.

    A ratio of 1 (to 1e-3) says nothing about the cause, so it counts as no ratio.
    """
    before = comparison.student.snapshots[step - 1][i]
    mine = comparison.student.snapshots[step][i] - before
    expected = comparison.reference.snapshots[step][i] - before
    moved = expected != 0
    if not moved.any():
        return None
    ratios = mine[moved] / expected[moved]
    median = ratios.median().item()
    spread = (ratios.max() - ratios.min()).item()
    constant = math.isfinite(median) and spread <= 1e-3 * abs(median)
    return median if constant and not math.isclose(median, 1.0, rel_tol=1e-3) else None


def _describe_difference(comparison: _Comparison, evidence: Evidence) -> str:
    step, i, index = comparison.difference
    mine = comparison.student.snapshots[step][i][index].item()
    expected = comparison.reference.snapshots[step][i][index].item()
    shape = tuple(comparison.reference.snapshots[0][i].shape)
    group = int(i >= FIRST_OF_GROUP_1)
    element = f"[{', '.join(map(str, index))}]" if index else ""
    where = f"param {i}{element} (shape {shape}, param group {group})"
    lines = [
        f"first difference after step {step} (seed {comparison.problem.seed}) in {where}:",
        f"yours {mine:.10g}, reference {expected:.10g}",
    ]
    if evidence.factor is not None:
        lines.append(f"in that step your update is {evidence.factor:.4g} × the reference's")
    if evidence.switched_off is not None:
        value = SWITCH_OFF[evidence.switched_off][evidence.switched_off]
        lines.append(f"the difference disappears with {evidence.switched_off}={value}")
    return "\n".join(lines)


def _describe_error(run: _Run) -> str:
    when = f"in step {run.error_step}" if run.error_step else "in the constructor"
    return f"raised {type(run.error).__name__} {when}: {run.error}"
