r"""The 1cycle policy (Smith & Topin, 2019) in closed form: annealing between a few knots.

A 1cycle schedule passes through values :math:`v_0, v_1, \dots, v_K` (the *knots*) at
the steps :math:`e_0 = 0` and :math:`e_1, \dots, e_K` (the *ends* of the phases), and
anneals from one knot to the next, along a half cosine or a straight line:

.. math::
    v(t) = a\bigl(v_{k-1}, v_k, p\bigr), \qquad
    p = \frac{t - e_{k-1}}{e_k - e_{k-1}} \quad \text{for } e_{k-1} < t \le e_k

(step 0 in the first phase, steps past :math:`e_K` in the last),

.. math::
    a_{\cos}(u, w, p) = w + (u - w)\,\frac{1}{2}\bigl(1 + \cos \pi p\bigr), \qquad
    a_{\text{lin}}(u, w, p) = u + (w - u)\, p.

With PyTorch's ``OneCycleLR`` arguments (``one_cycle_phases``, ``one_cycle_knots``) the
learning rate rises from :math:`\eta_{\max} / d` to :math:`\eta_{\max}` during the first
``pct_start`` of the ``total_steps`` and falls to :math:`\eta_{\max} / (d\, d_f)` in the
rest; the momentum moves the other way, from ``max_momentum`` down to
``base_momentum`` and back. With ``three_phase`` the fall is split in two: back to
:math:`\eta_{\max} / d` symmetrically to the rise, then down to the minimum while the
momentum stays at ``max_momentum``.

``one_cycle_value`` is the interpolation, ``one_cycle_lr`` and ``one_cycle_momentum``
evaluate it with ``OneCycleLR``'s arguments, and the factory ``one_cycle`` makes the
schedule (see :mod:`~optnotes.lr_scheduler.schedules.base`). ``OneCycleLR`` calls
``one_cycle_value`` at every step, so these give its learning rates and momenta bit
for bit. Like PyTorch's, the schedule has ``total_steps + 1`` values, steps
:math:`0, \dots, T`; the last phase ends at :math:`T - 1`, so the value at :math:`T` is
the annealing curve continued one step past its end (:math:`p > 1`).

>>> from optnotes.lr_scheduler.schedules.annealing import one_cycle
>>> schedule = one_cycle(total_steps=100, max_lr=1.0, pct_start=0.25)
>>> [round(schedule(t), 4) for t in (0, 24, 99)]
[0.04, 1.0, 0.0]
"""

import math
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, TypeVar

from .base import Schedule
from .decay import raised_cosine

__all__ = [
    "annealing_cos",
    "annealing_linear",
    "check_anneal_strategy",
    "check_step",
    "one_cycle",
    "one_cycle_knots",
    "one_cycle_lr",
    "one_cycle_momentum",
    "one_cycle_phases",
    "one_cycle_value",
]

K = TypeVar("K")


def annealing_cos(start: float, end: float, pct: float) -> float:
    r"""Anneal from ``start`` to ``end`` along a half cosine as ``pct`` goes from 0 to 1.

    .. math::
        a(u, w, p) = w + (u - w)\, \frac{1}{2}\bigl(1 + \cos \pi p\bigr)

    This is ``cosine_annealing_lr`` with the fraction :math:`p = t / T_{\max}` given
    instead of the step.

    Parameters
    ----------
    start, end : float
        The values :math:`u` at :math:`p = 0` and :math:`w` at :math:`p = 1`.
    pct : float
        The fraction :math:`p` of the way; beyond 1 the cosine climbs back.

    Returns
    -------
    float
        The value :math:`a(u, w, p)`.
    """
    # torch writes (u − w) / 2 · (cos πp + 1): the halving is exact in floating point, so
    # (u − w) · ((1 + cos πp) / 2) rounds to the same bits
    return end + (start - end) * raised_cosine(math.cos(math.pi * pct))


def annealing_linear(start: float, end: float, pct: float) -> float:
    r"""Anneal from ``start`` to ``end`` along a straight line as ``pct`` goes from 0 to 1.

    .. math::
        a(u, w, p) = (w - u)\, p + u

    Parameters
    ----------
    start, end : float
        The values :math:`u` at :math:`p = 0` and :math:`w` at :math:`p = 1`.
    pct : float
        The fraction :math:`p` of the way; beyond 1 the line goes on.

    Returns
    -------
    float
        The value :math:`a(u, w, p)`. At :math:`p = 1` it is :math:`w` up to round-off
        (:math:`(w - u) + u` need not be :math:`w` exactly), as in PyTorch.
    """
    return (end - start) * pct + start


_ANNEALING: dict[str, Callable[[float, float, float], float]] = {
    "cos": annealing_cos,
    "linear": annealing_linear,
}


def check_anneal_strategy(anneal_strategy: str) -> Callable[[float, float, float], float]:
    """Return the annealing function of ``anneal_strategy``, ``'cos'`` or ``'linear'``.

    Parameters
    ----------
    anneal_strategy : str
        ``'cos'`` for ``annealing_cos``, ``'linear'`` for ``annealing_linear``.

    Returns
    -------
    callable
        The annealing function ``(start, end, pct) -> value``.

    Raises
    ------
    ValueError
        If ``anneal_strategy`` is neither, with PyTorch's message.
    """
    if anneal_strategy not in _ANNEALING:
        raise ValueError(
            f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}"
        )
    return _ANNEALING[anneal_strategy]


def one_cycle_phases(
    total_steps: int, pct_start: float = 0.3, three_phase: bool = False
) -> tuple[float, ...]:
    r"""Return the steps at which the phases of a 1cycle schedule end.

    With :math:`T` = ``total_steps`` and :math:`r` = ``pct_start``:

    .. math::
        (e_1, e_2) = (rT - 1,\ T - 1), \qquad
        (e_1, e_2, e_3) = (rT - 1,\ 2rT - 2,\ T - 1) \text{ with three phases}.

    :math:`rT` need not be an integer: the peak may fall between two steps. With
    :math:`rT < 1` the first phase ends before step 0 and is never entered: the
    schedule starts in a later one (with two phases, just past the peak: no warm-up).

    Parameters
    ----------
    total_steps : int
        The number of steps :math:`T \ge 1` of the cycle.
    pct_start : float, default 0.3
        The fraction :math:`r \in [0, 1]` of the cycle spent rising (a ``float``, as
        PyTorch requires).
    three_phase : bool, default False
        Split the fall into a mirror image of the rise and a final annihilation.

    Returns
    -------
    tuple of float
        The end steps :math:`e_1, \dots, e_K` (the last one an ``int``, as in PyTorch).

    Raises
    ------
    ValueError
        If ``total_steps`` is not a positive integer, ``pct_start`` is not a float in
        :math:`[0, 1]`, or :math:`rT = 1` exactly, which makes the first phase empty
        (PyTorch divides by zero at step 0).
    """
    if total_steps <= 0 or not isinstance(total_steps, int):
        raise ValueError(f"Expected positive integer total_steps, but got {total_steps}")
    # computed before pct_start is checked, in torch's order (same errors for odd types)
    rise_end = float(pct_start * total_steps) - 1  # e₁ = rT − 1
    if three_phase:
        # e₂ = 2rT − 2, written (2r)T as in torch: the same bits
        ends = (rise_end, float(2 * pct_start * total_steps) - 2, total_steps - 1)
    else:
        ends = (rise_end, total_steps - 1)
    if pct_start < 0 or pct_start > 1 or not isinstance(pct_start, float):
        raise ValueError(f"Expected float between 0 and 1 pct_start, but got {pct_start}")
    if rise_end == 0:
        raise ValueError(
            f"pct_start * total_steps must not be 1 (the rise would last no step), "
            f"got pct_start={pct_start} and total_steps={total_steps}"
        )
    return ends


def one_cycle_knots(start: K, peak: K, end: K, three_phase: bool = False) -> tuple[K, ...]:
    r"""Return the values a 1cycle schedule passes through, at step 0 and at each phase's end.

    .. math::
        (v_0, v_1, v_2) = (u, m, w), \qquad
        (v_0, v_1, v_2, v_3) = (u, m, u, w) \text{ with three phases}.

    For the learning rate :math:`(u, m, w) = (\eta_{\max}/d,\ \eta_{\max},\
    \eta_{\max}/(d\,d_f))`; for the momentum :math:`(\mu_{\max}, \mu_{\text{base}},
    \mu_{\max})`. ``OneCycleLR`` also passes the *names* of its param-group keys,
    to lay out its phase table as PyTorch does.

    Parameters
    ----------
    start, peak, end
        The value :math:`u` at step 0, :math:`m` at the end of the rise and :math:`w`
        at the end of the cycle.
    three_phase : bool, default False
        Return to ``start`` before falling to ``end``.

    Returns
    -------
    tuple
        The knots :math:`v_0, \dots, v_K`, one more than the phases.
    """
    return (start, peak, start, end) if three_phase else (start, peak, end)


def one_cycle_value(
    step: float,
    knots: Sequence[Any],
    ends: Sequence[float],
    anneal_strategy: str | Callable[[Any, Any, float], Any] = "cos",
) -> Any:
    r"""Anneal through ``knots``, reaching ``knots[k]`` at step ``ends[k - 1]``.

    .. math::
        v(t) = a\Bigl(v_{k-1}, v_k, \frac{t - e_{k-1}}{e_k - e_{k-1}}\Bigr)
        \quad \text{for the first } k \text{ with } t \le e_k, \qquad e_0 = 0,

    and the last phase :math:`k = K` for every :math:`t > e_K` (continued past its end).

    Parameters
    ----------
    step : float
        The step :math:`t`.
    knots : sequence of float
        The values :math:`v_0, \dots, v_K` (see ``one_cycle_knots``).
    ends : sequence of float
        The steps :math:`e_1, \dots, e_K` at which the phases end (see
        ``one_cycle_phases``).
    anneal_strategy : str or callable, default 'cos'
        The annealing :math:`a`: ``'cos'`` (``annealing_cos``), ``'linear'``
        (``annealing_linear``), or a function ``(start, end, pct) -> value``.

    Returns
    -------
    float
        The value :math:`v(t)`.

    Raises
    ------
    ValueError
        If ``anneal_strategy`` is neither ``'cos'`` nor ``'linear'``.
    ZeroDivisionError
        If the phase :math:`t` falls in is empty, :math:`e_k = e_{k-1}`: with PyTorch's
        phases, the last phase at :math:`t = T` when it has no steps
        (``pct_start=1.0``, for instance).
    """
    anneal = (
        anneal_strategy if callable(anneal_strategy) else check_anneal_strategy(anneal_strategy)
    )
    start = 0.0
    last = len(ends) - 1
    for k, end in enumerate(ends):
        if step <= end or k == last:
            pct = (step - start) / (end - start)  # p, the fraction of phase k done
            return anneal(knots[k], knots[k + 1], pct)
        start = end
    raise ValueError("ends must not be empty")


def check_step(step: float, total_steps: int) -> None:
    r"""Refuse a step past the end of the cycle, as ``OneCycleLR`` does.

    Parameters
    ----------
    step : float
        The step :math:`t`.
    total_steps : int
        The number of steps :math:`T` of the cycle; steps :math:`0, \dots, T` are allowed.

    Raises
    ------
    ValueError
        If :math:`t > T`, with PyTorch's message.
    """
    if step > total_steps:
        raise ValueError(
            f"Tried to step {step} times. The specified number of total steps is {total_steps}"
        )


def one_cycle_lr(
    step: int,
    max_lr: float,
    total_steps: int,
    pct_start: float = 0.3,
    anneal_strategy: str = "cos",
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    three_phase: bool = False,
) -> float:
    r"""Learning rate of the 1cycle policy, with ``OneCycleLR``'s arguments.

    .. math::
        \eta_0 = \frac{\eta_{\max}}{d}, \qquad
        \eta_{\min} = \frac{\eta_0}{d_f}, \qquad
        \eta_t = v(t) \text{ through the knots }
        (\eta_0, \eta_{\max}, \eta_{\min}) \text{ or }
        (\eta_0, \eta_{\max}, \eta_0, \eta_{\min})

    (see ``one_cycle_value``).

    Parameters
    ----------
    step : int
        The step :math:`0 \le t \le T`.
    max_lr : float
        The peak :math:`\eta_{\max}`.
    total_steps : int
        The number of steps :math:`T` of the cycle.
    pct_start : float, default 0.3
        The fraction of the cycle spent rising.
    anneal_strategy : str, default 'cos'
        ``'cos'`` or ``'linear'``.
    div_factor : float, default 25.0
        :math:`d`, the peak over the initial learning rate.
    final_div_factor : float, default 1e4
        :math:`d_f`, the initial over the final learning rate.
    three_phase : bool, default False
        Fall back to :math:`\eta_0` symmetrically to the rise, then to
        :math:`\eta_{\min}`.

    Returns
    -------
    float
        The learning rate :math:`\eta_t`.

    Raises
    ------
    ValueError
        If ``step > total_steps``, or the arguments are invalid (see
        ``one_cycle_phases``).
    """
    ends = one_cycle_phases(total_steps, pct_start, three_phase)
    check_step(step, total_steps)
    initial_lr = max_lr / div_factor
    knots = one_cycle_knots(initial_lr, max_lr, initial_lr / final_div_factor, three_phase)
    return one_cycle_value(step, knots, ends, anneal_strategy)


def one_cycle_momentum(
    step: int,
    total_steps: int,
    base_momentum: float = 0.85,
    max_momentum: float = 0.95,
    pct_start: float = 0.3,
    anneal_strategy: str = "cos",
    three_phase: bool = False,
) -> float:
    r"""Momentum of the 1cycle policy, cycled against the learning rate.

    .. math::
        \mu_t = v(t) \text{ through the knots }
        (\mu_{\max}, \mu_{\text{base}}, \mu_{\max}) \text{ or }
        (\mu_{\max}, \mu_{\text{base}}, \mu_{\max}, \mu_{\max})

    (see ``one_cycle_value``): lowest when the learning rate peaks.

    Parameters
    ----------
    step : int
        The step :math:`0 \le t \le T`.
    total_steps : int
        The number of steps :math:`T` of the cycle.
    base_momentum, max_momentum : float, default 0.85 and 0.95
        The momentum at the peak of the learning rate and at its ends.
    pct_start, anneal_strategy, three_phase
        As in ``one_cycle_lr``.

    Returns
    -------
    float
        The momentum :math:`\mu_t` (SGD's ``momentum``, Adam's :math:`\beta_1`).

    Raises
    ------
    ValueError
        If ``step > total_steps``, or the arguments are invalid (see
        ``one_cycle_phases``).
    """
    ends = one_cycle_phases(total_steps, pct_start, three_phase)
    check_step(step, total_steps)
    knots = one_cycle_knots(max_momentum, base_momentum, max_momentum, three_phase)
    return one_cycle_value(step, knots, ends, anneal_strategy)


def one_cycle(
    total_steps: int,
    max_lr: float = 1.0,
    pct_start: float = 0.3,
    anneal_strategy: str = "cos",
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    three_phase: bool = False,
) -> Schedule:
    r"""Return the 1cycle learning rate as a schedule, ``one_cycle_lr`` with its arguments fixed.

    With the default ``max_lr=1.0`` it is a factor of the peak learning rate; with the
    ``max_lr`` of ``OneCycleLR`` it gives that scheduler's learning rates bit for bit.

    Parameters
    ----------
    total_steps : int
        The number of steps :math:`T` of the cycle; the schedule is defined for
        :math:`0 \le t \le T`.
    max_lr : float, default 1.0
        The peak.
    pct_start, anneal_strategy, div_factor, final_div_factor, three_phase
        As in ``one_cycle_lr``.

    Returns
    -------
    callable
        The learning rate as a function of the step.

    Raises
    ------
    ValueError
        If the arguments are invalid (see ``one_cycle_phases``) or ``anneal_strategy``
        is neither ``'cos'`` nor ``'linear'``.
    """
    one_cycle_phases(total_steps, pct_start, three_phase)  # check the arguments now
    check_anneal_strategy(anneal_strategy)
    return partial(
        one_cycle_lr,
        max_lr=max_lr,
        total_steps=total_steps,
        pct_start=pct_start,
        anneal_strategy=anneal_strategy,
        div_factor=div_factor,
        final_div_factor=final_div_factor,
        three_phase=three_phase,
    )
