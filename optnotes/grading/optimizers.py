"""Check a student's optimizer against the reference, step by step.

Both optimizers minimise the same random least-squares problem
(:class:`~optnotes.grading.problem.Quadratics`) in several settings of the
hyper-parameters, under the traps of :mod:`~optnotes.grading.runs` (learning rates that
change, param groups with different rates, a parameter without a gradient in some steps,
a resume from ``state_dict()``); after every step the parameters are compared, with the
tolerance that the reference's own round-off explains (:mod:`~optnotes.grading.roundoff`),
and so is state that is the optimizer's result (ASGD's average). A reference whose step
requires a closure (LBFGS) runs on one param group, each step ``step(closure)``, the
closure re-evaluating the loss and its gradients (:data:`~optnotes.grading.runs.CLOSURE_DRIVEN`).
SparseAdam does not fit this protocol and is refused. The Schedule-Free optimizers of
:mod:`optnotes.optim` are put in train mode before the first step, and after every step
their average is compared as well, in eval mode (:data:`~optnotes.grading.runs.TRAIN_EVAL`).
The step must leave ``.grad`` alone and create state of the parameter's dtype and device
(the reference package ``schedulefree`` writes into ``.grad``; ``optnotes.optim``'s
classes do not, and neither may a student's).
A difference is located (step, parameter, element, both values) and
:mod:`~optnotes.grading.diagnosis` finds out what it depends on.
"""

import math
from collections.abc import Sequence
from typing import Any

import torch

import optnotes.optim
from optnotes.grading.agreement import Agreement, compare_optimizers
from optnotes.grading.compare import (
    Settings,
    label,
    make_report,
    reference_name,
    resolve,
    settings_to_run,
)
from optnotes.grading.diagnosis import diagnose
from optnotes.grading.hints import ADVICE
from optnotes.grading.problem import (
    FIRST_OF_GROUP_1,
    INTERMITTENT,
    Quadratics,
    has_gradient,
    lr_factor,
    problem_shapes,
)
from optnotes.grading.report import CaseResult, Report
from optnotes.grading.runs import (
    AVERAGE,
    MissingMethodsError,
    default_lr,
    device_problem,
    needs_closure,
    needs_train_eval,
)

__all__ = ["OPTIMIZER_SETTINGS", "check_optimizer"]

OPTIMIZER_SETTINGS: dict[str, list[dict[str, Any]]] = {
    "SGD": [
        {"lr": 0.1},
        {"lr": 0.1, "momentum": 0.9},
        {"lr": 0.1, "momentum": 0.9, "dampening": 0.5},
        {"lr": 0.1, "momentum": 0.9, "nesterov": True},
        {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.1},
        {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.1, "maximize": True},
    ],
    "Adam": [
        {},
        {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-3},
        {"lr": 0.01, "weight_decay": 0.1},
        {"lr": 0.01, "betas": (0.9, 0.9), "amsgrad": True},
        {"lr": 0.01, "weight_decay": 0.1, "maximize": True},
    ],
    "AdamW": [
        {},
        {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-3},
        {"lr": 0.01, "weight_decay": 0.1},
        {"lr": 0.01, "betas": (0.9, 0.9), "amsgrad": True},
        {"lr": 0.01, "weight_decay": 0.1, "maximize": True},
    ],
    "Adamax": [
        {},
        {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-3},
        {"lr": 0.01, "weight_decay": 0.1},
        {"lr": 0.01, "weight_decay": 0.1, "maximize": True},
    ],
    "NAdam": [
        {},
        {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-3},
        {"lr": 0.01, "momentum_decay": 0.1},
        {"lr": 0.01, "weight_decay": 0.1},
        {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True},
        {"lr": 0.01, "weight_decay": 0.1, "maximize": True},
    ],
    "RAdam": [
        {},
        {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-3},
        {"lr": 0.01, "betas": (0.9, 0.65)},
        {"lr": 0.01, "weight_decay": 0.1},
        {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True},
        {"lr": 0.01, "weight_decay": 0.1, "maximize": True},
    ],
    "RMSprop": [
        {},
        {"alpha": 0.9, "eps": 1e-3},
        {"momentum": 0.9},
        {"centered": True},
        {"centered": True, "momentum": 0.5},
        {"weight_decay": 0.1},
        {"weight_decay": 0.1, "maximize": True},
    ],
    "Adagrad": [
        {},
        {"lr_decay": 0.1},
        {"initial_accumulator_value": 0.1},
        {"weight_decay": 0.1},
        {"eps": 1e-3},
        {"weight_decay": 0.1, "maximize": True},
    ],
    "Adadelta": [
        {},
        {"rho": 0.8, "eps": 1e-3},
        {"weight_decay": 0.1},
        {"lr": 0.5},
        {"weight_decay": 0.1, "maximize": True},
    ],
    # t0 = 5: the average (state "ax", compared too) starts within the run
    "ASGD": [
        {},
        {"t0": 5},
        {"lr": 0.1, "lambd": 0.5, "alpha": 0.5, "t0": 5},
        {"weight_decay": 0.1, "t0": 5},
        {"weight_decay": 0.1, "maximize": True, "t0": 5},
    ],
    "Rprop": [
        {},
        {"etas": (0.3, 1.5)},
        {"step_sizes": (5e-3, 0.03)},
        {"maximize": True},
    ],
    # eps2 = 2 is above RMS(θ) (of order 1): the floor acts; lr = 0.3 caps ρ = 1/√t
    # from step 12 on
    "Adafactor": [
        {},
        {"beta2_decay": -0.5, "eps": (1e-2, 2.0)},
        {"d": 1.2},
        {"lr": 0.3},
        {"weight_decay": 0.1},
        {"weight_decay": 0.1, "maximize": True},
    ],
    # eps = 10 is above the momentum's norm: the floor acts; (1.5, -0.5, 0) is the cubic
    # Newton-Schulz iteration
    # one param group; each step is step(closure). max_iter = 4 with max_eval = 5 stops
    # on the evaluation count, history_size = 3 drops pairs, the tolerances stop early
    "LBFGS": [
        {},
        {"lr": 0.5, "max_iter": 4, "history_size": 3},
        {"lr": 0.5, "max_iter": 4, "max_eval": 5},
        {"max_iter": 10, "tolerance_grad": 1e-2, "tolerance_change": 1e-3},
        {"line_search_fn": None},
        {"line_search_fn": "strong_wolfe"},
        {"max_iter": 5, "history_size": 3, "line_search_fn": "strong_wolfe"},
    ],
    # lr >= 0.1 overshoots: gradients change sign within the run, so a step that takes
    # the sign of another average shows; decoupled decay divides λ by the initial lr
    "Lion": [
        {"lr": 0.1},
        {"lr": 0.1, "betas": (0.95, 0.98)},
        {"lr": 0.1, "betas": (0.9, 0.9)},
        {"lr": 0.1, "weight_decay": 0.5},
        {"lr": 0.2, "weight_decay": 0.1, "decoupled_weight_decay": True},
    ],
    "Muon": [
        {},
        {"lr": 0.02, "momentum": 0.9, "nesterov": False},
        {"lr": 0.02, "weight_decay": 0.5},
        {"lr": 0.02, "ns_coefficients": (1.5, -0.5, 0.0), "ns_steps": 8, "eps": 10.0},
        {"lr": 0.02, "adjust_lr_fn": "original"},
        {"lr": 0.02, "adjust_lr_fn": "match_rms_adamw"},
    ],
    # train() before the first step, eval() after every step: the average is compared
    # too. warmup_steps = 5 warms up within the run (the weights of the average grow with
    # the largest rate so far); r = 1 weighs later points more
    "AdamWScheduleFree": [
        {},
        {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-3},
        {"lr": 0.05, "weight_decay": 0.1},
        {"lr": 0.05, "warmup_steps": 5, "r": 1.0},
        {"lr": 0.05, "warmup_steps": 5, "weight_lr_power": 0.0},
    ],
    "SGDScheduleFree": [
        {"lr": 0.3},
        {"lr": 0.3, "momentum": 0.5},
        {"lr": 0.3, "weight_decay": 0.1},
        {"lr": 0.3, "warmup_steps": 5, "r": 1.0},
        {"lr": 0.3, "warmup_steps": 5, "weight_lr_power": 0.0},
    ],
}
"""Settings tried when ``check_optimizer`` gets no ``kwargs``, by reference name, which
use every argument of the algorithm (not torch's implementation switches like ``foreach``)."""


REFERENCES = (torch.optim, optnotes.optim)
"""Where a reference given by name is looked up: ``torch.optim`` first, then the optimizers
beyond it that :mod:`optnotes.optim` adds (Lion, Schedule-Free)."""


UNSUPPORTED = {
    "SparseAdam": ("it takes sparse gradients only, where the check's problem has dense gradients"),
}
"""References the check cannot run, by name, and why."""


def _is_optimizer(obj: Any) -> bool:
    return isinstance(obj, type) and issubclass(obj, torch.optim.Optimizer)


def check_optimizer(
    student_cls: type[torch.optim.Optimizer],
    reference: str | type[torch.optim.Optimizer],
    *,
    kwargs: Settings = None,
    steps: int = 20,
    seeds: Sequence[int] = (0, 1),
    dtype: torch.dtype = torch.float64,
) -> Report:
    """Check that an optimizer moves parameters exactly as the reference does.

    Both optimizers minimise the same random least-squares problem: five parameters of
    different shapes (a scalar; one without a gradient; one without a gradient in every
    third step) in two param groups, the second with half the learning rate. Both
    groups' learning rates change twice during the run, and halfway the optimizer is
    rebuilt from its ``state_dict()``. After every step the parameters are compared; the
    tolerance is what round-off explains, measured on the reference's own run (see
    :mod:`~optnotes.grading.roundoff`), so a correct implementation in another order of
    operations passes in any precision, for any number of steps. A step must also leave
    ``.grad`` unchanged and keep state in the parameter's dtype and on its device.

    A reference whose ``step`` requires a closure (LBFGS, or a subclass) runs on one
    param group (L-BFGS takes no other), and each step is ``optimizer.step(closure)``,
    the closure zeroing the gradients, evaluating the loss, back-propagating and
    returning it; the parameters are compared after every step as before, and the
    tolerance also covers the round-off of the iterations within a step.

    A reference of matrices only (Muon) runs on a problem of 2-D parameters, wide and
    tall (:func:`~optnotes.grading.problem.problem_shapes`); where the optimizer's result
    is state (ASGD's average ``state[p]["ax"]``), that state is compared after every step
    as the parameters are (:data:`~optnotes.grading.runs.OBSERVED_STATE`); where the
    reference computes its update in a lower precision (Muon's bfloat16), the tolerance
    is measured with round-off of that precision on the update. A Schedule-Free
    reference (:data:`~optnotes.grading.runs.TRAIN_EVAL`) is put in train mode before the
    first step and, after every step, in eval mode to compare its average and back; its
    checkpoint is saved in eval mode. A student's optimizer without ``train()`` and
    ``eval()`` fails every setting with a report that says so.

    Parameters
    ----------
    student_cls : type
        The optimizer class to check.
    reference : str or type
        The name of a ``torch.optim`` class (any case: ``"adamw"``) or of an optimizer
        :mod:`optnotes.optim` adds beyond it (``"Lion"``, ``"AdamWScheduleFree"``,
        ``"SGDScheduleFree"``), or any optimizer class.
    kwargs : dict or list of dict, optional
        Hyper-parameter settings to try. By default a set that exercises every argument
        of the reference (see ``OPTIMIZER_SETTINGS``); a default setting with an
        argument ``student_cls`` does not take fails. To check fewer arguments, list
        the settings.
    steps : int
        Optimizer steps per run.
    seeds : list of int
        One random problem per seed.
    dtype : torch.dtype
        Precision of the computation.

    Returns
    -------
    Report
        One result per setting, with the first difference and, where the evidence
        singles out a cause, hints.

    Raises
    ------
    ValueError
        If ``reference`` names no ``torch.optim`` optimizer (the message lists them), is
        one the check cannot run (``UNSUPPORTED``: SparseAdam, or a subclass),
        ``steps`` is below 1 or ``seeds`` is empty.
    """
    reference_cls = resolve(reference, REFERENCES, _is_optimizer, "optimizer")
    for klass in reference_cls.__mro__:
        if klass.__name__ in UNSUPPORTED:
            raise ValueError(
                f"check_optimizer cannot check against {klass.__name__}: "
                f"{UNSUPPORTED[klass.__name__]}"
            )
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    if not seeds:
        raise ValueError("seeds must name at least one seed")
    defaults = OPTIMIZER_SETTINGS.get(reference_cls.__name__, [{}])
    settings, cases = settings_to_run(kwargs, defaults, student_cls)
    hints: list[str] = []
    shapes = problem_shapes(reference_cls)
    for setting in settings:
        lr = float(setting.get("lr", default_lr(reference_cls)))
        failure = None
        for seed in seeds:
            problem = Quadratics.draw(seed, dtype, *shapes)
            agreement = compare_optimizers(student_cls, reference_cls, setting, problem, steps, lr)
            if not agreement.agrees:
                failure = agreement
                break
        lines = [] if failure is None else _describe(failure, dtype, needs_closure(reference_cls))
        device = device_problem(
            student_cls, setting, lr, shapes[0][:2], train_eval=needs_train_eval(reference_cls)
        )
        if device is not None:
            lines.append(device)
            hints.append(ADVICE["state_like_param"])
        if failure is not None:
            diagnosis = diagnose(
                student_cls, reference_cls, setting, failure.problem.seed, steps, lr
            )
            lines += diagnosis.facts
            hints += diagnosis.hints
        cases.append(CaseResult(label(setting), "\n".join(lines) if lines else None))
    home = next(
        (m for m in REFERENCES if getattr(m, reference_cls.__name__, None) is reference_cls),
        torch.optim,
    )
    title = f"{student_cls.__name__} vs {reference_name(reference, reference_cls, home.__name__)}"
    return make_report(title, _in_order(cases, settings, kwargs, defaults), hints)


def _in_order(
    cases: list[CaseResult], settings: list[dict], kwargs: Settings, defaults: list[dict]
) -> list[CaseResult]:
    """Return the cases in the order of the default settings (those that cannot run too)."""
    if kwargs is not None:
        return cases
    by_label = {case.setting: case for case in cases}
    return [by_label[label(setting)] for setting in defaults]


def _describe(agreement: Agreement, dtype: torch.dtype, closure: bool = False) -> list[str]:
    """Describe what went wrong in the student's run, first things first."""
    run, seed = agreement.student, agreement.problem.seed
    if isinstance(run.error, MissingMethodsError):
        return [str(run.error)]
    if run.error is not None:
        return [f"raised {type(run.error).__name__} {run.error_when} (seed {seed}): {run.error}"]
    lines = []
    if agreement.difference is not None:
        lines += _describe_difference(agreement, dtype, closure)
    if run.grad_changed is not None:
        step, position = run.grad_changed
        lines.append(
            f"step {step} changed the .grad of param {position} (seed {seed}); "
            "torch's optimizers leave it as it is"
        )
    if run.state_problem is not None:
        lines.append(run.state_problem)
    return lines


def _describe_difference(
    agreement: Agreement, dtype: torch.dtype, closure: bool = False
) -> list[str]:
    step, i, index = agreement.difference
    mine = agreement.student.snapshots[step][i]
    expected = agreement.reference.snapshots[step][i]
    count = len(agreement.problem.initial)
    element = f"[{', '.join(map(str, index))}]" if index else ""
    position = i % count
    group = int(position >= FIRST_OF_GROUP_1 and not closure)  # closure-driven: one group
    where = f"param {position}{element} (shape {tuple(expected.shape)}, param group {group})"
    missing = []
    if i >= count:  # observed state key by key, then the average, after the parameters
        key = agreement.reference.observed[i // count - 1]
        if key == AVERAGE:
            where = f"{where} after eval() (the average)"
        else:
            where = f"state[{key!r}] of {where}"
            if bool(mine.isnan().all()):
                missing.append(f"your optimizer keeps no state[{key!r}] of the parameter's shape")
    lines = [
        f"first difference after step {step} (seed {agreement.problem.seed}) in {where}:",
        f"yours {mine[index].item():.10g}, reference {expected[index].item():.10g}: "
        f"a difference of {abs(mine[index].item() - expected[index].item()):.2g}, where "
        f"round-off in {str(dtype).removeprefix('torch.')} explains up to "
        f"{agreement.allowed[step][i]:.2g}",
    ]
    lines += missing
    context = _context(step, position, len(agreement.reference.snapshots) - 1, closure)
    if context:
        lines.append(f"in step {step} {context}")
    factor = _constant_ratio(agreement, step, i)
    if factor is not None:
        lines.append(f"in that step your update is {factor:.4g} × the reference's")
    return lines


def _context(step: int, position: int, steps: int, closure: bool = False) -> str:
    """Say what the run's traps did just before ``step``, if anything."""
    happened = []
    if step > 1 and lr_factor(step, steps) != lr_factor(step - 1, steps):
        happened.append("the learning rate had just changed")
    if steps >= 2 and step == steps // 2 + 1:
        happened.append("the optimizer had just been resumed from its state_dict()")
    if (
        not closure
        and position == INTERMITTENT
        and any(not has_gradient(position, k) for k in range(1, step))
    ):
        happened.append("this parameter had skipped steps without a gradient")
    return "; ".join(happened)


def _constant_ratio(agreement: Agreement, step: int, i: int) -> float | None:
    """Student's update over the reference's in ``step``, if the same for every element.

    A ratio of 1 (to 1e-3) says nothing about the cause, so it counts as no ratio.
    """
    before = agreement.student.snapshots[step - 1][i]
    mine = agreement.student.snapshots[step][i] - before
    expected = agreement.reference.snapshots[step][i] - before
    moved = expected != 0
    if step == 0 or not moved.any():
        return None
    ratios = mine[moved] / expected[moved]
    median = ratios.median().item()
    spread = (ratios.max() - ratios.min()).item()
    constant = math.isfinite(median) and spread <= 1e-3 * abs(median)
    return median if constant and not math.isclose(median, 1.0, rel_tol=1e-3) else None
