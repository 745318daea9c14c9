r"""How far two correct implementations can drift apart: the tolerance of the checks.

Two correct implementations of one algorithm round differently: one computes
:math:`\hat m/(\sqrt{\hat v}+\epsilon)`, the other (torch) folds the bias corrections into
the step size. Each step they differ in the last bits, and the steps that follow carry
those differences on, shrunk on a convex problem, grown where an update divides by a
small number (Adadelta's ε, Adam near a minimum). A fixed relative tolerance is too tight
for some runs and too loose for others; so the checks measure, on the very run they
compare, how far the reference drifts from itself when it rounds differently:

- the reference run again with every parameter moved by one unit in the last place after
  every step, with random signs (twice, with other signs): the drift that round-off
  of the size of the dtype's ε grows into on this run;
- in a precision below float64, also the reference run in float64 (its scalar state
  too): the drift of the reference's own round-off from the exact trajectory. In
  float64, this run too where the reference keeps a scalar other than its step count
  in float32, as torch keeps NAdam's product of momentum coefficients in the default
  dtype: a student who keeps it in a Python float rounds less, and passes.

The allowed difference at step :math:`k` of parameter :math:`i` is
:data:`SAFETY` times the largest drift of any element of that parameter up to step
:math:`k`, plus :data:`FLOOR` units in the last place of its largest value and update:
an implementation whose error is of the size of the reference's own round-off passes,
one whose update is wrong by a factor fails at the first step.
"""

import torch

from optnotes.grading.runs import Run

__all__ = ["FLOOR", "SAFETY", "allowed_differences", "first_excess"]

SAFETY = 16.0
"""Drift of the reference's round-off that a student's implementation may reach, ×."""
FLOOR = 8.0
"""Units in the last place allowed where the measured drift is zero."""


def allowed_differences(reference: Run, drifted: list[Run]) -> list[list[float]]:
    """Return the largest difference from ``reference`` that round-off explains.

    Parameters
    ----------
    reference : Run
        The reference's run in the precision of the check.
    drifted : list of Run
        Runs of the reference that round differently (added round-off, another
        precision), of the same length.

    Returns
    -------
    list of list of float
        ``allowed[k][i]``, the tolerance on any element of parameter ``i`` after
        step ``k``; it never decreases with ``k``.
    """
    eps = torch.finfo(reference.snapshots[0][0].dtype).eps
    envelope = [0.0] * len(reference.snapshots[0])
    allowed = []
    for k, values in enumerate(reference.snapshots):
        row = []
        for i, value in enumerate(values):
            for run in drifted:
                drift = (run.snapshots[k][i].double() - value.double()).abs().nan_to_num(0.0)
                envelope[i] = max(envelope[i], float(drift.max()))
            update = value - reference.snapshots[k - 1][i] if k else torch.zeros_like(value)
            scale = float(value.abs().nan_to_num(0.0).max()) + float(
                update.abs().nan_to_num(0.0).max()
            )
            row.append(SAFETY * envelope[i] + FLOOR * eps * scale)
        allowed.append(row)
    return allowed


def first_excess(
    mine: Run, reference: Run, allowed: list[list[float]]
) -> tuple[int, int, tuple[int, ...]] | None:
    """Return the first ``(step, parameter, index)`` where ``mine`` differs too much.

    Where both runs have overflowed (inf or NaN at the same place) they count as
    agreeing; the comparison stops at the end of the shorter run.

    Parameters
    ----------
    mine, reference : Run
        The two runs.
    allowed : list of list of float
        The tolerances of :func:`allowed_differences`.

    Returns
    -------
    tuple or None
        Step, position of the parameter and index of the element (``()`` for a
        scalar), or ``None`` if the runs agree.
    """
    for k, (ours, theirs) in enumerate(zip(mine.snapshots, reference.snapshots, strict=False)):
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            if a.shape != b.shape:
                return k, i, ()
            a, b = a.double(), b.double()
            close = ((a - b).abs() <= allowed[k][i]) | (a == b) | (~a.isfinite() & ~b.isfinite())
            if not bool(close.all()):
                return k, i, tuple(torch.nonzero(~close)[0].tolist())
    return None
