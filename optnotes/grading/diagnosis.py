"""Find out what a difference between a student's optimizer and the reference depends on.

The diagnosis reruns the failing setting in float64 with one thing changed at a time and
keeps only what the evidence singles out:

1. an argument the student's optimizer takes but ignores: its run equals the reference's
   with that argument at its default;
2. a trap of the run (:data:`~optnotes.grading.runs.TRAPS`) or a hyper-parameter
   (:data:`~optnotes.grading.hints.SWITCH_OFF`) whose switching off makes the
   difference disappear;
3. a first step that equals, on every element, the first step of exactly one of the
   mistakes in :data:`~optnotes.grading.hints.FIRST_STEPS`, in the failing setting and
   again with other values of the hyper-parameters (:data:`~optnotes.grading.hints.PROBE`).

What it finds are facts (lines for the report) and the advice that goes with them.
"""

import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import torch

from optnotes.grading.agreement import ROUNDOFF_SEEDS, Agreement, compare_optimizers
from optnotes.grading.compare import accepts
from optnotes.grading.hints import (
    ADVICE,
    FIRST_STEPS,
    PROBE,
    SWITCH_OFF,
    error_hints,
    family_of,
    ignored_argument_advice,
    switch_off_advice,
)
from optnotes.grading.problem import (
    FIRST_OF_GROUP_1,
    UNUSED,
    Quadratics,
    has_gradient,
    problem_shapes,
)
from optnotes.grading.runs import FULL, TRAPS

__all__ = ["Diagnosis", "diagnose"]

TRAP_FACTS = {
    "lr_changes": ("the learning rate stays constant", "lr_changes"),
    "group_lr_ratio": ("both param groups have the same learning rate", "param_groups"),
    "intermittent": ("every parameter has a gradient in every step", "intermittent"),
    "grads_in_place": ("each step gets a new .grad tensor", "grads_in_place"),
    "resume": ("the run is not resumed from state_dict()", "resume"),
}
"""For each trap: the condition under which it is off, and the advice when that removes
the difference."""


def _compare(*args: Any, **kwargs: Any) -> Agreement:
    """Compare as the check does, with one run of added round-off (enough in float64)."""
    return compare_optimizers(*args, roundoff_seeds=ROUNDOFF_SEEDS[:1], **kwargs)


MATCH = 1e-6
"""Relative tolerance of a first step matching a mistake's (all in float64)."""


@dataclass
class Diagnosis:
    """What a difference depends on.

    Parameters
    ----------
    facts : list of str
        Findings, one line each, for the report of the setting.
    hints : list of str
        Advice that follows from the findings.
    """

    facts: list[str] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)


def diagnose(
    student_cls: type,
    reference_cls: type,
    setting: Mapping[str, Any],
    seed: int,
    steps: int,
    lr: float,
) -> Diagnosis:
    """Find out what the difference in one setting depends on.

    Parameters
    ----------
    student_cls, reference_cls : type
        The two optimizer classes.
    setting : dict
        The failing setting.
    seed : int
        The seed of the problem it failed on.
    steps : int
        Steps of a run.
    lr : float
        The first group's starting learning rate.

    Returns
    -------
    Diagnosis
        Facts and hints; both empty when nothing singles out a cause.
    """
    problem = Quadratics.draw(seed, torch.float64, *problem_shapes(reference_cls))
    base = _compare(student_cls, reference_cls, setting, problem, steps, lr)
    diagnosis = Diagnosis()
    if base.student.error is not None:
        diagnosis.hints += error_hints(base.student.error)
        return diagnosis
    if base.student.grad_changed is not None:
        diagnosis.hints.append(ADVICE["grad_in_place"])
    if base.student.state_problem is not None:
        diagnosis.hints.append(ADVICE["state_like_param"])
    if base.values_agree:
        if base.student.grad_changed is None and base.student.state_problem is None:
            diagnosis.facts.append(
                "in float64 your optimizer agrees with the reference: the difference is "
                "rounding, larger than the reference's own"
            )
        return diagnosis
    ignored = _ignored_arguments(student_cls, reference_cls, setting, problem, steps, lr)
    if ignored:
        for name, value, default in ignored:
            diagnosis.facts.append(
                f"with {name}={value!r} your optimizer moves exactly as the reference does "
                f"with {name}={default!r}"
            )
            diagnosis.hints.append(ignored_argument_advice(name))
        return diagnosis
    trap = _trap(student_cls, reference_cls, setting, problem, steps, lr)
    if trap is not None:
        fact, keys = trap
        diagnosis.facts.append(fact)
        diagnosis.hints += [ADVICE[key] for key in keys]
        return diagnosis
    step, position, _ = base.difference
    if _moved_without_gradient(base, step, position):
        diagnosis.facts.append(
            f"param {position} had no gradient in step {step}, and the reference left it as it was"
        )
        diagnosis.hints.append(ADVICE["no_grad_no_step"])
        return diagnosis
    switched = _switched_off(student_cls, reference_cls, setting, base, steps, lr)
    if switched:
        values = " or ".join(f"{name}={value!r}" for name, value in switched)
        diagnosis.facts.append(f"the difference disappears with {values}")
        names = {name for name, _ in switched}
        family = family_of(reference_cls)
        if len(names) == 1:
            diagnosis.hints.append(
                switch_off_advice(names.pop(), family, base.reference.hyperparameters)
            )
        elif names == {"maximize", "weight_decay"}:
            diagnosis.hints.append(ADVICE["maximize"])
    if step == 1:
        mistake = _first_step_mistake(student_cls, reference_cls, setting, base, lr)
        if mistake is not None:
            diagnosis.hints.append(ADVICE[mistake])
    return diagnosis


def _ignored_arguments(
    student_cls: type,
    reference_cls: type,
    setting: Mapping[str, Any],
    problem: Quadratics,
    steps: int,
    lr: float,
) -> list[tuple[str, Any, Any]]:
    """Arguments whose value makes no difference to the student's run."""
    defaults = {
        name: parameter.default
        for name, parameter in inspect.signature(reference_cls).parameters.items()
        if parameter.default is not inspect.Parameter.empty
    }
    ignored = []
    for name, value in setting.items():
        if name == "lr" or name not in defaults or value == defaults[name]:
            continue
        try:
            agreement = _compare(
                student_cls,
                reference_cls,
                setting,
                problem,
                steps,
                lr,
                reference_setting={**setting, name: defaults[name]},
            )
        except Exception:  # the reference refuses the setting (nesterov without momentum)
            continue
        if agreement.values_agree:
            ignored.append((name, value, defaults[name]))
    return ignored


def _trap(
    student_cls: type,
    reference_cls: type,
    setting: Mapping[str, Any],
    problem: Quadratics,
    steps: int,
    lr: float,
) -> tuple[str, list[str]] | None:
    """Return the fact and advice of the traps whose switching off removes the difference.

    Single traps are tried first, then pairs: a learning rate read from
    ``self.defaults`` needs both the changes and the second group's rate kept constant,
    a step counter kept in the optimizer needs both the resume and the intermittent
    gradient switched off.
    """
    for traps in [(trap,) for trap in TRAPS] + list(combinations(TRAPS, 2)):
        protocol = FULL
        for trap in traps:
            protocol = protocol.without(trap)
        agreement = _compare(student_cls, reference_cls, setting, problem, steps, lr, protocol)
        if agreement.values_agree and agreement.reference_moved:
            conditions = " and ".join(TRAP_FACTS[trap][0] for trap in traps)
            keys = [TRAP_FACTS[trap][1] for trap in traps]
            if set(traps) == {"lr_changes", "group_lr_ratio"}:
                keys = ["param_groups"]  # one cause: the rate is not read from the group
            only = "only " if len(traps) > 1 else ""
            return f"the difference disappears {only}when {conditions}", keys
    return None


def _switched_off(
    student_cls: type,
    reference_cls: type,
    setting: Mapping[str, Any],
    base: Agreement,
    steps: int,
    lr: float,
) -> list[tuple[str, Any]]:
    """Return every hyper-parameter whose switching off alone removes the difference."""
    hyperparameters = base.reference.hyperparameters
    found = []
    for name, neutral in SWITCH_OFF.items():
        change = {key: value for key, value in neutral.items() if key in hyperparameters}
        if hyperparameters.get(name, neutral[name]) == neutral[name]:
            continue
        if not accepts(student_cls, change):
            continue
        try:
            agreement = _compare(
                student_cls, reference_cls, {**setting, **change}, base.problem, steps, lr
            )
        except Exception:  # the reference refuses the setting
            continue
        if agreement.values_agree and agreement.reference_moved:
            found.append((name, neutral[name]))
    return found


def _moved_without_gradient(base: Agreement, step: int, position: int) -> bool:
    """Whether the difference is a parameter the student moved in a step without gradient."""
    before, after = (
        base.reference.snapshots[step - 1][position],
        base.reference.snapshots[step][position],
    )
    return not has_gradient(position, step) and torch.equal(before, after)


def _first_step_mistake(
    student_cls: type,
    reference_cls: type,
    setting: Mapping[str, Any],
    base: Agreement,
    lr: float,
) -> str | None:
    """Return the one mistake whose first step is the student's, here and in a probe."""
    family = family_of(reference_cls)
    if family not in FIRST_STEPS:
        return None
    candidates = _matching_mistakes(family, base, lr)
    hyperparameters = base.reference.hyperparameters
    probe = {
        name: value
        for name, value in PROBE.items()
        if name in hyperparameters and hyperparameters[name] not in (0, 0.0, False)
    }
    if candidates and probe and accepts(student_cls, probe):
        other = _compare(student_cls, reference_cls, {**setting, **probe}, base.problem, 1, lr)
        if other.student.error is None:
            candidates &= _matching_mistakes(family, other, lr)
    return candidates.pop() if len(candidates) == 1 else None


def _matching_mistakes(family: str, agreement: Agreement, lr: float) -> set[str]:
    """Mistakes whose first step equals the student's on every element (and not torch's)."""
    correct, mistakes = FIRST_STEPS[family]
    h = agreement.reference.hyperparameters
    student = agreement.student.snapshots
    matching = {key for key, (_, applies) in mistakes.items() if applies(h)}
    shows = set()  # mistakes whose first step differs from the correct one somewhere
    for position, theta in enumerate(agreement.problem.initial):
        if position == UNUSED:
            continue
        group_lr = lr if position < FIRST_OF_GROUP_1 else lr * FULL.group_lr_ratio
        g = agreement.problem.gradient(position, theta)
        update = student[1][position] - student[0][position]
        right = correct(g, theta, group_lr, h)
        for key in list(matching):
            predicted = mistakes[key][0](g, theta, group_lr, h)
            scale = MATCH * float(predicted.abs().max()) + 1e-300
            if float((update - predicted).abs().max()) > scale:
                matching.discard(key)
            elif float((right - predicted).abs().max()) > scale:
                shows.add(key)
    return matching & shows
