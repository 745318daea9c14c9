"""Drive a scheduler on a throw-away optimizer and read the learning rates it sets.

The book plots schedules and checks ours against torch's with :func:`lr_sequence`, and
the assignment checker compares a student's scheduler with the reference through
:func:`iter_lr_sequence`: one loop, written once.
"""

import inspect
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import torch

from .warmup import LinearWarmup

__all__ = ["iter_lr_sequence", "lr_sequence", "needs_metric"]


def needs_metric(scheduler: object) -> bool:
    """Whether ``scheduler.step`` takes the metric it watches.

    True for ``ReduceLROnPlateau`` (torch's, optnotes' or any look-alike whose ``step``
    requires an argument) and for a ``LinearWarmup`` in front of one; false for
    schedulers that follow a fixed timetable.

    Parameters
    ----------
    scheduler : object
        A learning-rate scheduler.

    Returns
    -------
    bool
        Whether ``step`` needs a metric.
    """
    if isinstance(scheduler, LinearWarmup):
        return scheduler.reads_metrics
    parameters = inspect.signature(scheduler.step).parameters.values()
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return any(p.kind in positional and p.default is inspect.Parameter.empty for p in parameters)


def iter_lr_sequence(
    scheduler_cls: Callable[..., Any],
    steps: int,
    *,
    lrs: Sequence[float] = (0.1, 0.01),
    metrics: Sequence[float] | None = None,
    keys: Sequence[str] = ("lr",),
    **kwargs: Any,
) -> Iterator[tuple[float, ...]]:
    """Yield the learning rates a scheduler sets, one tuple per step.

    An SGD optimizer (momentum 0.9, so that momentum-cycling schedulers work) with one
    param group per entry of ``lrs`` is built, the scheduler is attached, and the
    optimizer and the scheduler are stepped ``steps`` times; parameters have no
    gradients, so nothing but the schedule moves. Errors of the scheduler propagate
    from the step that raised them, after the values that came before it were yielded.

    Parameters
    ----------
    scheduler_cls : callable
        ``scheduler_cls(optimizer, **kwargs)`` builds the scheduler (a class, or a
        function such as a ``lambda``).
    steps : int
        Number of ``scheduler.step()`` calls.
    lrs : sequence of float
        Initial learning rate of each param group.
    metrics : sequence of float, optional
        The value passed to ``step`` at each step, for a scheduler that watches a
        metric (see :func:`needs_metric`); required for such a scheduler.
    keys : sequence of str, default ("lr",)
        The param-group entries to read, e.g. ``("lr", "momentum")`` for a scheduler
        that also cycles the momentum.
    **kwargs
        Passed to ``scheduler_cls``.

    Yields
    ------
    tuple of float
        The learning rate of each param group after construction (step 0), then after
        each step; with several ``keys``, the values of the first key for every group,
        then those of the next key, and so on.
    """
    params = [torch.zeros(1, requires_grad=True) for _ in lrs]
    groups = [{"params": [p], "lr": lr} for p, lr in zip(params, lrs, strict=True)]
    optimizer = torch.optim.SGD(groups, lr=lrs[0], momentum=0.9)
    scheduler = scheduler_cls(optimizer, **kwargs)
    watches_metric = needs_metric(scheduler)
    if watches_metric and (metrics is None or len(metrics) < steps):
        raise ValueError(f"this scheduler watches a metric: pass `metrics` for all {steps} steps")

    def row() -> tuple[float, ...]:
        return tuple(float(group[key]) for key in keys for group in optimizer.param_groups)

    yield row()
    for t in range(steps):
        optimizer.step()  # no gradients: nothing moves, but the scheduler sees a step
        if watches_metric:
            scheduler.step(metrics[t])
        else:
            scheduler.step()
        yield row()


def lr_sequence(
    scheduler_cls: Callable[..., Any],
    steps: int = 60,
    *,
    lrs: Sequence[float] = (0.1, 0.01),
    metrics: Sequence[float] | None = None,
    **kwargs: Any,
) -> list[tuple[float, ...]]:
    """Return the learning rates a scheduler sets after construction and each step.

    Parameters
    ----------
    scheduler_cls : callable
        ``scheduler_cls(optimizer, **kwargs)`` builds the scheduler.
    steps : int
        Number of ``scheduler.step()`` calls.
    lrs : sequence of float
        Initial learning rate of each param group.
    metrics : sequence of float, optional
        The value passed to ``step`` at each step, for a scheduler that watches a metric.
    **kwargs
        Passed to ``scheduler_cls``.

    Returns
    -------
    list of tuple of float
        ``steps + 1`` rows, one learning rate per param group (see
        :func:`iter_lr_sequence`); ``numpy.array`` of it has shape
        ``(steps + 1, len(lrs))``.

    Examples
    --------
    >>> from optnotes.lr_scheduler import StepLR, lr_sequence
    >>> lr_sequence(StepLR, 3, step_size=2, gamma=0.5)
    [(0.1, 0.01), (0.1, 0.01), (0.05, 0.005), (0.05, 0.005)]
    """
    return list(iter_lr_sequence(scheduler_cls, steps, lrs=lrs, metrics=metrics, **kwargs))
