r"""Decays in closed form: step, multi-step, exponential, polynomial and cosine.

Each formula is written once, here, as a function of the step and the
hyper-parameters (``step_factor``, ``multistep_factor``, ``exponential_factor``,
``polynomial_factor``, ``cosine_annealing_factor``, ``cosine_annealing_lr``). The
factories ``step``, ``multistep``, ``exponential``, ``polynomial`` and ``cosine`` fix the
hyper-parameters and return the schedule (see :mod:`~optnotes.lr_scheduler.schedules.base`)
:math:`t \mapsto f(t)`.

The schedulers ``StepLR``, ``MultiStepLR``, ``ExponentialLR``, ``PolynomialLR`` and
``CosineAnnealingLR`` do not evaluate the closed forms below at every step: like PyTorch,
and because bit-for-bit parity with PyTorch needs it, they *multiply the current learning
rate* by the ratio of two consecutive values, :math:`\eta_t = \eta_{t-1}\, f(t) / f(t-1)`.
Both forms give the same numbers (up to float round-off) as long as nobody changes the
learning rate by hand; a manual change rescales the rest of a recursive schedule, while
the closed form ignores it.
"""

import math
from bisect import bisect_right
from collections.abc import Iterable
from functools import partial

from .base import Schedule

__all__ = [
    "cosine",
    "cosine_annealing_factor",
    "cosine_annealing_lr",
    "exponential",
    "exponential_factor",
    "multistep",
    "multistep_factor",
    "polynomial",
    "polynomial_factor",
    "raised_cosine",
    "step",
    "step_factor",
]


def step_factor(step: int, step_size: int, gamma: float = 0.1) -> float:
    r"""Step decay: multiply by :math:`\gamma` every ``step_size`` steps.

    .. math::
        f(t) = \gamma^{\lfloor t / s \rfloor}

    Parameters
    ----------
    step : int
        The step :math:`t`.
    step_size : int
        The period :math:`s` of the decay.
    gamma : float, default 0.1
        The decay factor :math:`\gamma`.

    Returns
    -------
    float
        The factor :math:`f(t)` that multiplies the initial learning rate.
    """
    return gamma ** (step // step_size)


def multistep_factor(step: int, milestones: Iterable[int], gamma: float = 0.1) -> float:
    r"""Multi-step decay: multiply by :math:`\gamma` at each milestone passed.

    .. math::
        f(t) = \gamma^{\,\#\{i \,:\, m_i \le t\}}

    A milestone listed twice counts twice, as in PyTorch's ``MultiStepLR``, whose
    ``_get_closed_form_lr`` this is (the order of the milestones does not matter).

    Parameters
    ----------
    step : int
        The step :math:`t`.
    milestones : iterable of int
        The steps :math:`m_1, m_2, \dots` at which the factor drops.
    gamma : float, default 0.1
        The decay factor :math:`\gamma`.

    Returns
    -------
    float
        The factor :math:`f(t)` that multiplies the initial learning rate.
    """
    return gamma ** bisect_right(sorted(milestones), step)  # γ^(milestones passed)


def exponential_factor(step: int, gamma: float) -> float:
    r"""Exponential decay: multiply by :math:`\gamma` at every step.

    .. math::
        f(t) = \gamma^{t}

    Parameters
    ----------
    step : int
        The step :math:`t`.
    gamma : float
        The decay factor :math:`\gamma`.

    Returns
    -------
    float
        The factor :math:`f(t)` that multiplies the initial learning rate.
    """
    return gamma**step


def polynomial_factor(step: int, total_iters: int, power: float = 1.0) -> float:
    r"""Polynomial decay from 1 to 0 in ``total_iters`` steps, then 0.

    .. math::
        f(t) = \Bigl(1 - \frac{\min(t, T)}{T}\Bigr)^{p}

    With :math:`p = 1` a straight line down to 0 at :math:`t = T`; :math:`p < 1` keeps
    the factor high longer, :math:`p > 1` drops it early.

    Parameters
    ----------
    step : int
        The step :math:`t`.
    total_iters : int
        The number of steps :math:`T` to reach 0.
    power : float, default 1.0
        The power :math:`p` of the polynomial.

    Returns
    -------
    float
        The factor :math:`f(t)` that multiplies the initial learning rate.
    """
    return (1.0 - min(total_iters, step) / total_iters) ** power  # (1 − min(t, T)/T)^p


def cosine_annealing_factor(step: int, T_max: int) -> float:
    r"""Cosine annealing from 1 down to 0 in ``T_max`` steps (Loshchilov & Hutter, 2017).

    .. math::
        f(t) = \frac{1}{2}\Bigl(1 + \cos\frac{\pi t}{T_{\max}}\Bigr)

    The cosine is not clamped: for :math:`T_{\max} < t \le 2T_{\max}` the factor
    climbs back to 1, and the schedule repeats with period :math:`2T_{\max}`,
    as PyTorch's ``CosineAnnealingLR`` does.

    Parameters
    ----------
    step : int
        The step :math:`t`.
    T_max : int
        The number of steps :math:`T_{\max}` from the top to the bottom.

    Returns
    -------
    float
        The factor :math:`f(t) \in [0, 1]`.
    """
    return raised_cosine(math.cos(math.pi * step / T_max))


def raised_cosine(cos_theta: float) -> float:
    r"""Return the cosine-annealing shape :math:`\tfrac12(1 + \cos\theta)` from :math:`\cos\theta`.

    Taking the cosine rather than the angle lets ``CosineAnnealingLR`` evaluate the
    factor one step past the trough as PyTorch does, from
    :math:`\cos(\pi + \pi/T) = -\cos(\pi/T)`.

    Parameters
    ----------
    cos_theta : float
        The cosine :math:`\cos\theta` of the angle.

    Returns
    -------
    float
        :math:`\tfrac12(1 + \cos\theta) \in [0, 1]`.
    """
    # (1 + cos θ) / 2 in this order: the halving is exact in floating point, so
    # f(t) / f(t-1) is bit for bit torch's ratio (1 + cos(π t / T)) / (1 + cos(π (t-1) / T))
    return (1 + cos_theta) / 2


def cosine_annealing_lr(step: int, base_lr: float, eta_min: float, T_max: int) -> float:
    r"""Learning rate of cosine annealing, in closed form.

    .. math::
        \eta_t = \eta_{\min} + (\eta_0 - \eta_{\min})\,
        \frac{1}{2}\Bigl(1 + \cos\frac{\pi t}{T_{\max}}\Bigr)

    Parameters
    ----------
    step : int
        The step :math:`t`.
    base_lr : float
        The initial learning rate :math:`\eta_0`.
    eta_min : float
        The smallest learning rate :math:`\eta_{\min}`, reached at
        :math:`t = T_{\max}`.
    T_max : int
        The number of steps :math:`T_{\max}` from the top to the bottom.

    Returns
    -------
    float
        The learning rate :math:`\eta_t`.
    """
    return eta_min + (base_lr - eta_min) * cosine_annealing_factor(step, T_max)


def step(step_size: int, gamma: float = 0.1) -> Schedule:
    r"""Step decay as a schedule: :math:`t \mapsto \gamma^{\lfloor t/s \rfloor}`, ``step_factor``.

    Parameters
    ----------
    step_size : int
        The period :math:`s \ge 1` of the decay.
    gamma : float, default 0.1
        The decay factor :math:`\gamma`.

    Returns
    -------
    callable
        :math:`t \mapsto \gamma^{\lfloor t / s \rfloor}`.

    Raises
    ------
    ValueError
        If ``step_size`` is not positive.
    """
    _check_positive("step_size", step_size)
    return partial(step_factor, step_size=step_size, gamma=gamma)


def multistep(milestones: Iterable[int], gamma: float = 0.1) -> Schedule:
    r"""Multi-step decay as a schedule: ``multistep_factor`` with the milestones fixed.

    Parameters
    ----------
    milestones : iterable of int
        The steps at which the factor is multiplied by :math:`\gamma` (a repeated
        milestone multiplies twice).
    gamma : float, default 0.1
        The decay factor :math:`\gamma`.

    Returns
    -------
    callable
        :math:`t \mapsto \gamma^{\,\#\{i \,:\, m_i \le t\}}`.
    """
    return partial(multistep_factor, milestones=tuple(sorted(milestones)), gamma=gamma)


def exponential(gamma: float) -> Schedule:
    r"""Exponential decay as a schedule: :math:`t \mapsto \gamma^t` (``exponential_factor``).

    Parameters
    ----------
    gamma : float
        The decay factor :math:`\gamma`.

    Returns
    -------
    callable
        :math:`t \mapsto \gamma^t`.
    """
    return partial(exponential_factor, gamma=gamma)


def polynomial(total_iters: int = 5, power: float = 1.0) -> Schedule:
    r"""Polynomial decay as a schedule: :math:`t \mapsto (1 - \min(t, T)/T)^p`.

    The learning rates of ``PolynomialLR(total_iters, power)`` divided by the initial
    learning rate (``polynomial_factor``).

    Parameters
    ----------
    total_iters : int, default 5
        The number of steps :math:`T \ge 1` to reach 0.
    power : float, default 1.0
        The power :math:`p` of the polynomial.

    Returns
    -------
    callable
        :math:`t \mapsto (1 - \min(t, T)/T)^p`.

    Raises
    ------
    ValueError
        If ``total_iters`` is not positive.
    """
    _check_positive("total_iters", total_iters)
    return partial(polynomial_factor, total_iters=total_iters, power=power)


def cosine(T_max: int, eta_min_ratio: float = 0.0) -> Schedule:
    r"""Cosine annealing as a schedule, from 1 down to ``eta_min_ratio`` in ``T_max`` steps.

    .. math::
        f(t) = r + (1 - r)\,\frac{1}{2}\Bigl(1 + \cos\frac{\pi t}{T_{\max}}\Bigr)

    which is ``cosine_annealing_lr`` with :math:`\eta_0 = 1` and :math:`\eta_{\min} = r`:
    the learning rates of ``CosineAnnealingLR(T_max, eta_min=r·lr)`` divided by ``lr``.
    Like PyTorch's it is not clamped and climbs back to 1 at :math:`2T_{\max}`; to stay
    at the bottom, join a constant: ``join([cosine(T), constant(r)], [T])``.

    Parameters
    ----------
    T_max : int
        The number of steps :math:`T_{\max} \ge 1` from the top to the bottom.
    eta_min_ratio : float, default 0.0
        The bottom :math:`r`, as a fraction of the initial learning rate.

    Returns
    -------
    callable
        The cosine factor :math:`f`, from 1 at :math:`t = 0` to :math:`r` at
        :math:`t = T_{\max}`.

    Raises
    ------
    ValueError
        If ``T_max`` is not positive.
    """
    _check_positive("T_max", T_max)
    return partial(cosine_annealing_lr, base_lr=1.0, eta_min=eta_min_ratio, T_max=T_max)


def _check_positive(name: str, value: int) -> None:
    if value <= 0:
        raise ValueError(f"{name} must be positive, got {value}")
