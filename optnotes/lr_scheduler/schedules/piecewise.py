r"""Schedules in pieces: constants, linear ramps, and joins of any schedules.

``join`` puts schedules one after another at given boundaries, in the spirit of optax's
``join_schedules``: each later schedule sees the step counted from its own boundary, so
it starts from its step 0. Warm-up is such a join, a linear ramp in front of any
schedule, and ``warmup`` writes it so:

.. math::
    \operatorname{warmup}(g)(t) = \begin{cases}
        f_0 + (1 - f_0)\, t / W & t < W \\
        g(t - W) & t \ge W
    \end{cases}

>>> from optnotes.lr_scheduler.schedules import cosine, warmup
>>> schedule = warmup(cosine(T_max=95), warmup_steps=5, start_factor=0.2)
>>> [round(schedule(t), 3) for t in (0, 1, 4, 5, 100)]
[0.2, 0.36, 0.84, 1.0, 0.0]
"""

from bisect import bisect_right
from collections.abc import Sequence
from functools import partial

from .base import Schedule

__all__ = ["constant", "join", "linear", "linear_warmup_factor", "warmup"]


def _constant(step: int, value: float) -> float:
    return value  # f(t) = c


def constant(value: float = 1.0) -> Schedule:
    r"""Hold the same value at every step: :math:`f(t) = c`.

    Parameters
    ----------
    value : float, default 1.0
        The value :math:`c`.

    Returns
    -------
    callable
        The constant as a function of the step.
    """
    return partial(_constant, value=value)


def _linear(step: int, start: float, end: float, steps: int) -> float:
    if step >= steps:
        return end
    return start + (end - start) * step / steps  # f(t) = a + (b − a) t / n


def linear(start: float, end: float, steps: int) -> Schedule:
    r"""Ramp linearly from ``start`` to ``end`` in ``steps`` steps, then stay at ``end``.

    .. math::
        f(t) = \begin{cases}
            a + (b - a)\, t / n & t < n \\
            b & t \ge n
        \end{cases}

    Parameters
    ----------
    start : float
        The value :math:`a` at step 0.
    end : float
        The value :math:`b` from step :math:`n` on.
    steps : int
        The length :math:`n \ge 0` of the ramp; 0 gives :math:`b` at every step.

    Returns
    -------
    callable
        The ramp as a function of the step.

    Raises
    ------
    ValueError
        If ``steps`` is negative.
    """
    if steps < 0:
        raise ValueError(f"steps must be non-negative, got {steps}")
    return partial(_linear, start=start, end=end, steps=steps)


def _joined(schedules: tuple[Schedule, ...], boundaries: tuple[int, ...], step: int) -> float:
    k = bisect_right(boundaries, step)  # boundaries passed: b_k ≤ t < b_{k+1}
    start = boundaries[k - 1] if k else 0
    return schedules[k](step - start)  # g_k(t − b_k)


def join(schedules: Sequence[Schedule], boundaries: Sequence[int]) -> Schedule:
    r"""Run schedules one after another, each from its own step 0.

    .. math::
        f(t) = g_k(t - b_k) \quad \text{for } b_k \le t < b_{k+1},
        \qquad b_0 = 0,\ b_{K+1} = \infty

    At a boundary the later schedule takes over: :math:`f(b_k) = g_k(0)`.

    Parameters
    ----------
    schedules : sequence of callable
        The schedules :math:`g_0, \dots, g_K`.
    boundaries : sequence of int
        The steps :math:`b_1 \le \dots \le b_K` at which :math:`g_1, \dots, g_K` take
        over, counted from the start of the joined schedule; one fewer than
        ``schedules``.

    Returns
    -------
    callable
        The joined schedule.

    Raises
    ------
    ValueError
        If there are no schedules, the number of boundaries is not one fewer, or the
        boundaries are negative or decreasing.
    """
    schedules, boundaries = tuple(schedules), tuple(boundaries)
    if len(boundaries) != len(schedules) - 1:
        raise ValueError(
            f"join needs one boundary fewer than schedules, "
            f"got {len(schedules)} schedules and {len(boundaries)} boundaries"
        )
    if any(b < a for a, b in zip((0, *boundaries), boundaries, strict=False)):
        raise ValueError(f"boundaries must be non-negative and non-decreasing, got {boundaries}")
    return partial(_joined, schedules, boundaries)


def warmup(schedule: Schedule, warmup_steps: int, start_factor: float = 1.0 / 3) -> Schedule:
    r"""Put a linear warm-up from ``start_factor`` to 1 in front of ``schedule``.

    The join of ``linear(start_factor, 1.0, warmup_steps)`` and ``schedule`` at
    ``warmup_steps``: the ramp, then ``schedule`` from its step 0 (Goyal et al., 2017).

    Parameters
    ----------
    schedule : callable
        The schedule after the warm-up, e.g. ``cosine(T_max)``; it should start at 1.
    warmup_steps : int
        The length :math:`W` of the warm-up.
    start_factor : float, default 1/3
        The factor :math:`f_0` at step 0 (PyTorch ``LinearLR``'s default).

    Returns
    -------
    callable
        The warm-up followed by ``schedule``.
    """
    return join([linear(start_factor, 1.0, warmup_steps), schedule], [warmup_steps])


def linear_warmup_factor(step: int, warmup_steps: int, start_factor: float = 1.0 / 3) -> float:
    r"""Linear warm-up from ``start_factor`` to 1 in ``warmup_steps`` steps (Goyal et al., 2017).

    The warm-up in front of a constant 1, ``warmup(constant(1.0), W, f_0)``:

    .. math::
        f(t) = \begin{cases}
            f_0 + (1 - f_0)\, t / W & t < W \\
            1 & t \ge W
        \end{cases}

    Parameters
    ----------
    step : int
        The step :math:`t`.
    warmup_steps, start_factor
        :math:`W` and :math:`f_0`, as in ``warmup``.

    Returns
    -------
    float
        The factor :math:`f(t)` that multiplies the initial learning rate.
    """
    return warmup(constant(1.0), warmup_steps, start_factor)(step)
