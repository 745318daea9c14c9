"""Compare a student's optimizer, scheduler or clipping function with the reference.

Each check runs the student's code and the reference side by side on small random
problems, in several settings of the hyper-parameters, and returns a
:class:`~optnotes.grading.report.Report` that names the first difference (step,
parameter, element and both values) and, for optimizers, guesses its cause.
"""

import inspect
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from optnotes.grading.hints import (
    ADVICE,
    SWITCH_OFF,
    Evidence,
    error_hints,
    family_of,
    optimizer_hints,
)
from optnotes.grading.report import CaseResult, Report
from optnotes.lr_scheduler import iter_lr_sequence

Settings = Mapping[str, Any] | Sequence[Mapping[str, Any]] | None

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

SCHEDULER_SETTINGS: dict[str, list[dict[str, Any]]] = {
    "StepLR": [{"step_size": 7, "gamma": 0.5}],
    "MultiStepLR": [{"milestones": [10, 25], "gamma": 0.3}],
    "ExponentialLR": [{"gamma": 0.9}],
    "LinearLR": [{"start_factor": 0.1, "total_iters": 10}],
    "CosineAnnealingLR": [{"T_max": 20}, {"T_max": 20, "eta_min": 0.001}],
    "ReduceLROnPlateau": [
        {"patience": 2, "factor": 0.5},
        {"patience": 1, "factor": 0.3, "cooldown": 2, "min_lr": 0.005},
    ],
    "CyclicLR": [
        {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 5},
        {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 4, "mode": "triangular2"},
    ],
}
"""Settings tried when ``check_scheduler`` gets no ``kwargs``, by reference name."""

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

# Shapes of the parameters of the random problems; a scalar among them. One more
# parameter, of shape (3,), takes no part in the loss, so its .grad stays None.
_SHAPES = ((5,), (3, 4), (), (2, 3, 2))
_UNUSED = 2  # position of that parameter among all of them; it sits in param group 0
_FIRST_OF_GROUP_1 = 3  # parameters from here on form param group 1, with half the lr


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
    settings, skipped = _settings(kwargs, defaults, student_cls)
    rtol, atol = _tolerances(dtype, rtol, atol)
    cases, hints = [], []
    for setting in settings:
        problems = (_Quadratics.draw(seed, dtype) for seed in seeds)
        comparisons = (
            _compare(student_cls, reference_cls, setting, problem, steps, rtol, atol)
            for problem in problems
        )
        failure = next((comparison for comparison in comparisons if not comparison.agrees), None)
        if failure is None:
            cases.append(CaseResult(_label(setting)))
        elif failure.difference is None:
            cases.append(CaseResult(_label(setting), _describe_error(failure.student)))
            hints += error_hints(failure.student.error)
        else:
            evidence = _evidence(failure, student_cls, reference_cls, setting, steps, rtol, atol)
            cases.append(CaseResult(_label(setting), _describe_difference(failure, evidence)))
            hints += optimizer_hints(evidence)
    title = f"{student_cls.__name__} vs {_name(reference, reference_cls, 'torch.optim')}"
    return Report(title, cases, list(dict.fromkeys(hints)), skipped)


def check_scheduler(
    student_cls: type,
    reference: str | type = "StepLR",
    *,
    kwargs: Settings = None,
    steps: int = 60,
    rtol: float = 1e-9,
    atol: float = 1e-12,
) -> Report:
    """Check that a learning-rate scheduler produces the reference's learning rates.

    Both schedulers drive an SGD optimizer with two param groups (learning rates 0.1 and
    0.01, momentum 0.9); the learning rates after construction and after every
    ``step()`` are compared. Schedulers whose ``step`` needs a metric
    (``ReduceLROnPlateau``) get made-up validation losses, falling, then flat.

    Parameters
    ----------
    student_cls : type
        The scheduler class to check; it is constructed as ``student_cls(optimizer, **kwargs)``.
    reference : str or type
        The name of a ``torch.optim.lr_scheduler`` class, or any scheduler class.
    kwargs : dict or list of dict, optional
        Settings to try; by default those of ``SCHEDULER_SETTINGS`` for the reference.
    steps : int
        Number of ``step()`` calls.
    rtol, atol : float
        Relative and absolute tolerance on the learning rates.

    Returns
    -------
    Report
        One result per setting, with the first difference.

    Raises
    ------
    ValueError
        If no ``kwargs`` are given and the reference has no default settings.
    """
    reference_cls = (
        getattr(torch.optim.lr_scheduler, reference) if isinstance(reference, str) else reference
    )
    defaults = SCHEDULER_SETTINGS.get(reference_cls.__name__)
    settings, skipped = _settings(kwargs, defaults, student_cls)
    # made-up validation losses, falling then flat, for schedulers that watch one
    metrics = [max(1.0 - 0.1 * t, 0.3) + 0.01 * (t % 3) for t in range(steps)]
    cases, hints = [], []
    for setting in settings:
        student, error = _lr_sequence(student_cls, setting, steps, metrics)
        expected, _ = _lr_sequence(reference_cls, setting, steps, metrics, raise_errors=True)
        difference = _first_lr_difference(student, expected, rtol, atol)
        if difference is None and error is None:
            cases.append(CaseResult(_label(setting)))
            continue
        if difference is None:
            cases.append(CaseResult(_label(setting), f"raised {type(error).__name__}: {error}"))
            hints += error_hints(error)
            continue
        step, group = difference
        text = (
            f"first difference at step {step}, param group {group}: "
            f"yours {student[step][group]:.10g}, reference {expected[step][group]:.10g}"
        )
        cases.append(CaseResult(_label(setting), text))
        hints += _scheduler_hints(student, expected, rtol, atol)
    title = (
        f"{_name_of(student_cls)} vs {_name(reference, reference_cls, 'torch.optim.lr_scheduler')}"
    )
    return Report(title, cases, list(dict.fromkeys(hints)), skipped)


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
    settings, skipped = _settings(kwargs, CLIP_SETTINGS.get(reference_fn.__name__), student_fn)
    rtol, atol = _tolerances(dtype, rtol, atol)
    cases, hints, failed_settings = [], [], []
    for setting in settings:
        failures = (
            _clip_difference(student_fn, reference_fn, setting, seed, dtype, rtol, atol)
            for seed in seeds
        )
        failure = next((f for f in failures if f is not None), None)
        cases.append(CaseResult(_label(setting), None if failure is None else failure.text))
        if failure is not None:
            failed_settings.append(setting)
            hints += failure.hints
    if failed_settings and all(s.get("norm_type", 2.0) != 2.0 for s in failed_settings):
        hints.append(ADVICE["clip_norm_type"])
    title = f"{_name_of(student_fn)} vs {_name(reference, reference_fn, 'torch.nn.utils')}"
    return Report(title, cases, list(dict.fromkeys(hints)), skipped)


# ---------------------------------------------------------------------------- optimizers


@dataclass(frozen=True)
class _Quadratics:
    r"""Random least-squares losses :math:`\tfrac12\|A_i \theta_i - b_i\|^2`, one per parameter."""

    seed: int
    initial: list[torch.Tensor]
    matrices: list[torch.Tensor]
    targets: list[torch.Tensor]

    @classmethod
    def draw(cls, seed: int, dtype: torch.dtype) -> "_Quadratics":
        generator = torch.Generator().manual_seed(seed)

        def normal(*shape: int) -> torch.Tensor:
            return torch.randn(shape, generator=generator, dtype=dtype)

        initial = [normal(*shape) for shape in _SHAPES]
        initial.insert(_UNUSED, normal(3))
        sizes = [math.prod(shape) for shape in _SHAPES]
        # A has more rows than columns and entries of variance 1/n: curvatures of order 1
        matrices = [normal(n + 2, n) / math.sqrt(n) for n in sizes]
        targets = [normal(n + 2) for n in sizes]
        return cls(seed, initial, matrices, targets)

    def parameters(self) -> list[torch.Tensor]:
        return [value.clone().requires_grad_(True) for value in self.initial]

    def loss(self, parameters: list[torch.Tensor]) -> torch.Tensor:
        used = parameters[:_UNUSED] + parameters[_UNUSED + 1 :]
        return sum(
            0.5 * (matrix @ param.reshape(-1) - target).square().sum()
            for param, matrix, target in zip(used, self.matrices, self.targets, strict=True)
        )


@dataclass
class _Run:
    """Parameters after 0, 1, 2, ... steps of one optimizer, and what stopped it early."""

    snapshots: list[list[torch.Tensor]] = field(default_factory=list)
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    error: Exception | None = None
    error_step: int = 0  # 0: the constructor failed


def _run(
    cls: type, setting: Mapping[str, Any], problem: _Quadratics, lr: float, steps: int
) -> _Run:
    params = problem.parameters()
    groups = [
        {"params": params[:_FIRST_OF_GROUP_1]},
        {"params": params[_FIRST_OF_GROUP_1:], "lr": lr / 2},
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
    problem: _Quadratics
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
    problem: _Quadratics,
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
            close = torch.isclose(mine, expected, rtol=rtol, atol=atol, equal_nan=True)
            if not close.all():
                index = tuple(torch.nonzero(~close)[0].tolist())
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
        if hyperparameters.get(name, neutral[name]) == neutral[name] or not _accepts(
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
        second_group_only=i >= _FIRST_OF_GROUP_1,
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
    group = int(i >= _FIRST_OF_GROUP_1)
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


# ---------------------------------------------------------------------------- schedulers


def _lr_sequence(
    cls: type,
    setting: Mapping[str, Any],
    steps: int,
    metrics: list[float],
    *,
    raise_errors: bool = False,
) -> tuple[list[tuple[float, ...]], Exception | None]:
    """Learning rates of both param groups, and the error that cut them short if any."""
    lrs: list[tuple[float, ...]] = []
    try:
        lrs.extend(iter_lr_sequence(cls, steps, metrics=metrics, **setting))
    except Exception as error:  # the student's code may fail in any way; report it
        if raise_errors:
            raise
        return lrs, error
    return lrs, None


def _first_lr_difference(
    student: list[tuple[float, ...]], expected: list[tuple[float, ...]], rtol: float, atol: float
) -> tuple[int, int] | None:
    for step, (mine, theirs) in enumerate(zip(student, expected, strict=False)):
        for group, (a, b) in enumerate(zip(mine, theirs, strict=True)):
            if not math.isclose(a, b, rel_tol=rtol, abs_tol=atol):
                return step, group
    return None


def _scheduler_hints(
    student: list[tuple[float, ...]], expected: list[tuple[float, ...]], rtol: float, atol: float
) -> list[str]:
    def same(a: list[tuple[float, ...]], b: list[tuple[float, ...]]) -> bool:
        return len(a) == len(b) and _first_lr_difference(a, b, rtol, atol) is None

    hints = []
    if same(student[1:], expected[:-1]):
        hints.append(ADVICE["scheduler_lags"])
    if same(student[:-1], expected[1:]):
        hints.append(ADVICE["scheduler_leads"])
    if same([lrs[:1] for lrs in student], [lrs[:1] for lrs in expected]):
        hints.append(ADVICE["scheduler_groups"])
    return hints


# ---------------------------------------------------------------------------- clipping


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
    problem = _Quadratics.draw(seed, dtype)
    grads = [3 * value for value in problem.initial]  # total norm ≈ 15, well above max_norm=1
    mine, theirs = problem.parameters(), problem.parameters()
    for params in (mine, theirs):
        for i, (param, grad) in enumerate(zip(params, grads, strict=True)):
            param.grad = None if i == _UNUSED else grad.clone()
    expected = reference_fn(theirs, **setting)
    try:
        result = student_fn(mine, **setting)
    except Exception as error:  # the student's code may fail in any way; report it
        return _ClipFailure(f"raised {type(error).__name__}: {error}", error_hints(error))
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
        close = torch.isclose(param.grad, reference.grad, rtol=rtol, atol=atol)
        if not close.all():
            index = tuple(torch.nonzero(~close)[0].tolist())
            no_op = expected is not None and float(expected) < setting.get("max_norm", 0.0)
            yours, theirs_value = param.grad[index].item(), reference.grad[index].item()
            return _ClipFailure(
                f"grad of param {i}[{', '.join(map(str, index))}] (seed {seed}): "
                f"yours {yours:.10g}, reference {theirs_value:.10g}",
                [ADVICE["clip_no_op"]] if no_op else [],
            )
    return None


# ---------------------------------------------------------------------------- shared


def _settings(
    kwargs: Settings,
    defaults: list[dict[str, Any]] | None,
    student: Callable[..., Any],
) -> tuple[list[dict[str, Any]], list[str]]:
    """Return the settings to run, and labels of default settings the student cannot take."""
    if isinstance(kwargs, Mapping):
        return [dict(kwargs)], []
    if kwargs is not None:
        return [dict(setting) for setting in kwargs], []
    if defaults is None:
        raise ValueError("there are no default settings for this reference: pass kwargs")
    return (
        [dict(s) for s in defaults if _accepts(student, s)],
        [_label(s) for s in defaults if not _accepts(student, s)],
    )


def _accepts(fn: Callable[..., Any], names: Mapping[str, Any]) -> bool:
    """Whether ``fn`` (a function or class) takes keyword arguments of these names."""
    try:
        parameters = inspect.signature(fn).parameters
    except (TypeError, ValueError):  # no signature to read: let the call decide
        return True
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return True
    return all(name in parameters for name in names)


def _tolerances(dtype: torch.dtype, rtol: float | None, atol: float | None) -> tuple[float, float]:
    default_rtol, default_atol = (1e-9, 1e-12) if dtype == torch.float64 else (1e-5, 1e-7)
    return (default_rtol if rtol is None else rtol, default_atol if atol is None else atol)


def _label(setting: Mapping[str, Any]) -> str:
    return ", ".join(f"{key}={value!r}" for key, value in setting.items()) or "defaults"


def _name_of(obj: Any) -> str:
    return getattr(obj, "__qualname__", type(obj).__name__)


def _name(reference: str | Any, resolved: Any, namespace: str) -> str:
    return f"{namespace}.{reference}" if isinstance(reference, str) else _name_of(resolved)
