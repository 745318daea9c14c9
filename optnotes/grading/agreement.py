"""Whether a student's optimizer agrees with the reference on one problem.

Both run under the same :class:`~optnotes.grading.runs.Protocol`; the reference also runs
rounding differently (:mod:`~optnotes.grading.roundoff`), which gives the tolerance. The
result names the first disagreement: a parameter out of tolerance, an error, a changed
gradient or state of the wrong dtype.
"""

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import torch

from optnotes.grading.problem import Quadratics
from optnotes.grading.roundoff import allowed_differences, first_excess
from optnotes.grading.runs import (
    FULL,
    Protocol,
    Run,
    closure_protocol,
    needs_closure,
    needs_train_eval,
    observed_state,
    run_optimizer,
    update_eps,
)

__all__ = ["Agreement", "compare_optimizers"]

ROUNDOFF_SEEDS = (1, 2)
"""Seeds of the reference's runs with added round-off."""


@dataclass(frozen=True)
class Agreement:
    """The two runs on one problem, and where they first part.

    Parameters
    ----------
    problem : Quadratics
        The problem both ran on.
    student, reference : Run
        The runs.
    difference : tuple or None
        ``(step, parameter, index)`` of the first element out of tolerance.
    allowed : list of list of float
        The tolerance by step and parameter.
    """

    problem: Quadratics
    student: Run
    reference: Run
    difference: tuple[int, int, tuple[int, ...]] | None
    allowed: list[list[float]]

    @property
    def values_agree(self) -> bool:
        """Whether the parameters agree at every step the student's run reached."""
        return self.difference is None and self.student.error is None

    @property
    def agrees(self) -> bool:
        """Whether the values agree and the student's run broke no rule."""
        return (
            self.values_agree
            and self.student.grad_changed is None
            and self.student.state_problem is None
        )

    @property
    def reference_moved(self) -> bool:
        """Whether the reference changed any parameter (else agreement says little)."""
        first, last = self.reference.snapshots[0], self.reference.snapshots[-1]
        return any(not torch.equal(a, b) for a, b in zip(first, last, strict=True))


@contextmanager
def _default_dtype(dtype: torch.dtype) -> Iterator[None]:
    """Set torch's default dtype for the ``with`` block."""
    before = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        yield
    finally:
        torch.set_default_dtype(before)


def _rounds_scalar_state(cls: type, setting: Mapping[str, Any], lr: float) -> bool:
    """Whether the optimizer keeps a scalar other than its step count below float64.

    torch keeps such scalars in the default dtype, float32, whatever the parameters'
    precision (NAdam's product of momentum coefficients): a float64 run then rounds in
    float32 where a student's Python float does not.
    """
    param = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    try:
        optimizer = cls([param], **{**setting, "lr": lr})
        if needs_train_eval(cls):
            optimizer.train()
        param.grad = torch.ones_like(param)
        optimizer.step()
    except Exception:  # the run itself will say what is wrong
        return False
    return any(
        key != "step"
        and isinstance(value, torch.Tensor)
        and value.dim() == 0
        and value.is_floating_point()
        and value.dtype != torch.float64
        for key, value in optimizer.state[param].items()
    )


def compare_optimizers(
    student_cls: type,
    reference_cls: type,
    setting: Mapping[str, Any],
    problem: Quadratics,
    steps: int,
    lr: float,
    protocol: Protocol = FULL,
    *,
    reference_setting: Mapping[str, Any] | None = None,
    roundoff_seeds: Sequence[int] = ROUNDOFF_SEEDS,
) -> Agreement:
    """Run both optimizers on ``problem`` and find where they first part.

    Parameters
    ----------
    student_cls, reference_cls : type
        The two optimizer classes.
    setting : dict
        The hyper-parameters, passed to both.
    problem : Quadratics
        The problem, in the precision of the check.
    steps : int
        Number of steps.
    lr : float
        The first group's learning rate at the start.
    protocol : Protocol
        The traps of both runs (for a reference whose step requires a closure, as
        :func:`~optnotes.grading.runs.closure_protocol` turns them; for one switched with
        ``train()`` and ``eval()``, with ``train_eval`` set).
    reference_setting : dict, optional
        Other hyper-parameters for the reference (to see whether the student's run
        equals the reference's with an argument left at its default).
    roundoff_seeds : list of int
        Seeds of the reference's runs with added round-off, one run each.

    Returns
    -------
    Agreement
        Both runs and their first difference.

    Raises
    ------
    Exception
        Whatever the reference raises: then the setting itself is wrong.
    """
    theirs = setting if reference_setting is None else reference_setting
    if needs_closure(reference_cls):
        protocol = closure_protocol(protocol)
    if needs_train_eval(reference_cls):
        protocol = replace(protocol, train_eval=True)
    observed = observed_state(reference_cls)
    reference = run_optimizer(reference_cls, theirs, problem, steps, lr, protocol, observed)
    if reference.error is not None:
        raise reference.error
    drifted = [
        run_optimizer(
            reference_cls,
            theirs,
            problem,
            steps,
            lr,
            replace(protocol, roundoff=1.0, roundoff_seed=s, update_eps=update_eps(reference_cls)),
            observed,
        )
        for s in roundoff_seeds
    ]
    if problem.dtype != torch.float64 or _rounds_scalar_state(reference_cls, theirs, lr):
        precise = problem.to(torch.float64)
        with _default_dtype(torch.float64):  # its scalar state in float64 too
            drifted.append(
                run_optimizer(reference_cls, theirs, precise, steps, lr, protocol, observed)
            )
    allowed = allowed_differences(reference, drifted)
    student = run_optimizer(student_cls, setting, problem, steps, lr, protocol, observed)
    difference = first_excess(student, reference, allowed)
    return Agreement(problem, student, reference, difference, allowed)
